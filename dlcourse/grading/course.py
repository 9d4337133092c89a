"""The course side of grading: nbgrader configuration, result files and the state of the last run.

``dlcourse grade run`` keeps what it knows in ``COURSE/dlcourse_grading/ASSIGNMENT/``:

``run.json``
    the state of the last run (``running``, ``finished``, ``failed`` or ``interrupted``),
    with the one-line reason of a failure; written when a run starts and when it ends, so
    a run that was killed is still ``running`` with no process holding the course lock;
``progress.jsonl``
    one :class:`~dlcourse.grading.status.StudentResult` per line, appended as each
    student is recorded in the gradebook; removed when the run finishes;
``results.json`` and ``grades.csv``
    the whole class, written when a run finishes.

A run of one shard of the class (``--shard K/N``, :mod:`.shard`) keeps its own
``run-shard-K-of-N.json``, ``progress-shard-K-of-N.jsonl`` and course lock
``.lock-shard-K-of-N``, so that N machines grading one course folder at once never
overwrite each other's state; each merges its students into ``results.json`` when it ends,
and the state of the assignment is the worst of its shards' (a failed shard is not hidden
by one that finished).

Both :mod:`.batch` (which writes these files) and :mod:`.export` (which reads them) use
this module; neither imports the other's internals.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: The folder, inside the course, that holds what ``dlcourse grade`` writes.
RESULTS_DIR = "dlcourse_grading"
LOCK_NAME = ".lock"


def load_course_config(root: Path) -> Any:
    r"""Read the nbgrader configuration an ``nbgrader`` command run in ``root`` would see.

    Parameters
    ----------
    root : Path
        The course folder (the one that holds ``nbgrader_config.py``).

    Returns
    -------
    traitlets.config.Config
        The merged configuration, with ``CourseDirectory.root`` set to ``root``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> course = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'dl101'")
    >>> cfg = load_course_config(course)
    >>> cfg.CourseDirectory.course_id, cfg.CourseDirectory.root == str(course)
    ('dl101', True)
    """
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    cfg = Config()
    for path in list(reversed(jupyter_config_path())) + [str(root)]:
        if os.path.isfile(os.path.join(path, "nbgrader_config.py")):
            cfg.merge(PyFileConfigLoader("nbgrader_config.py", path=path).load_config())
    cfg.CourseDirectory.root = str(root)
    return cfg


def hidden_test_markers(config: Any) -> tuple[str, str]:
    """Return the hidden-test delimiters of a course (nbgrader's ``ClearHiddenTests`` settings).

    Parameters
    ----------
    config : traitlets.config.Config or dict
        The course's nbgrader configuration.

    Returns
    -------
    tuple of str
        ``(begin, end)``, nbgrader's defaults unless the course changed them.

    Examples
    --------
    >>> hidden_test_markers({})
    ('BEGIN HIDDEN TESTS', 'END HIDDEN TESTS')
    >>> hidden_test_markers({"ClearHiddenTests": {"begin_test_delimeter": "BEGIN SECRET"}})
    ('BEGIN SECRET', 'END HIDDEN TESTS')
    """
    section = config.get("ClearHiddenTests", {}) if hasattr(config, "get") else {}
    begin = section.get("begin_test_delimeter") or "BEGIN HIDDEN TESTS"
    end = section.get("end_test_delimeter") or "END HIDDEN TESTS"
    return str(begin), str(end)


def quiet_logger(name: str) -> logging.Logger:
    """Return a logger for nbgrader's applications that prints nothing (the grader reports instead).

    Parameters
    ----------
    name : str
        Suffix of the logger name (``dlcourse.grading.<name>``).

    Returns
    -------
    logging.Logger
        A logger that does not propagate to the root logger.

    Examples
    --------
    >>> log = quiet_logger("example")
    >>> log.name, log.propagate
    ('dlcourse.grading.example', False)
    """
    log = logging.getLogger(f"dlcourse.grading.{name}")
    log.propagate = False
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    return log


def results_dir(course_root: Path, assignment: str) -> Path:
    """``COURSE/dlcourse_grading/ASSIGNMENT`` (not created).

    Parameters
    ----------
    course_root : Path
        The course folder.
    assignment : str
        The assignment name.

    Returns
    -------
    Path
        The folder that holds the assignment's result files.

    Examples
    --------
    >>> results_dir(Path("course"), "ps1").as_posix()
    'course/dlcourse_grading/ps1'
    """
    return Path(course_root) / RESULTS_DIR / assignment


# --------------------------------------------------------------------------- the state of the last run


@dataclass
class RunState:
    """What the last ``dlcourse grade run`` of an assignment did.

    Attributes
    ----------
    state : str
        ``running``, ``finished``, ``failed`` or ``interrupted``.
    started_at : str
        ISO time (UTC) the run started.
    ended_at : str
        ISO time (UTC) it ended; empty while running or when it was killed.
    reason : str
        One line: why it failed or was interrupted.
    pid : int
        The process that ran it.

    Examples
    --------
    >>> RunState("failed", reason="the gradebook is locked").state
    'failed'
    """

    state: str
    started_at: str = ""
    ended_at: str = ""
    reason: str = ""
    pid: int = 0


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


def write_run_state(course_root: Path, assignment: str, state: str, *, reason: str = "",
                    started_at: str = "", suffix: str = "") -> RunState:
    r"""Record the state of the current run in ``run.json``.

    Parameters
    ----------
    course_root : Path
        The course folder.
    assignment : str
        The assignment being graded.
    state : str
        ``running``, ``finished``, ``failed`` or ``interrupted``.
    reason : str, optional
        Why it failed (kept to one line).
    started_at : str, optional
        When the run started (default: now, for ``running``).
    suffix : str, optional
        A shard's :attr:`~dlcourse.grading.shard.Shard.suffix` (``run-shard-K-of-N.json``).

    Returns
    -------
    RunState
        What was written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> course = pathlib.Path(tempfile.mkdtemp())
    >>> run = write_run_state(course, "ps1", "failed", reason="no  roster\nfound")
    >>> run.state, run.reason, (results_dir(course, "ps1") / "run.json").exists()
    ('failed', 'no roster found', True)
    """
    ended = "" if state == "running" else _now()
    run = RunState(state, started_at or _now(), ended, " ".join(reason.split())[:500], os.getpid())
    _write_json(results_dir(course_root, assignment) / f"run{suffix}.json", asdict(run))
    return run


def read_run_state(course_root: Path, assignment: str) -> RunState | None:
    """Return the state of the last run, or None if no run has started for this assignment.

    Parameters
    ----------
    course_root : Path
        The course folder.
    assignment : str
        The assignment name.

    Returns
    -------
    RunState or None
        A run recorded as ``running`` whose process no longer holds the course lock is
        returned as ``interrupted`` (it was killed). With shards, the worst state of any
        shard's run (failed, then interrupted, then running, then finished).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> course = pathlib.Path(tempfile.mkdtemp())
    >>> read_run_state(course, "ps1") is None
    True
    >>> _ = write_run_state(course, "ps1", "running")  # and no process holds the lock
    >>> read_run_state(course, "ps1").state
    'interrupted'
    """
    runs = []
    for path in sorted(results_dir(course_root, assignment).glob("run*.json")):
        suffix = path.stem[len("run"):]
        try:
            data = json.loads(path.read_text())
            run = RunState(**{k: data[k] for k in ("state", "started_at", "ended_at", "reason", "pid") if k in data})
        except (OSError, ValueError, TypeError):
            continue
        if run.state == "running" and not course_locked(course_root, suffix):
            run.state = "interrupted"
            run.reason = run.reason or f"the run started at {run.started_at} (process {run.pid}) was killed"
        if suffix and run.reason:
            run.reason = f"shard {suffix.removeprefix('-shard-').replace('-of-', '/')}: {run.reason}"
        runs.append(run)
    worst = ("failed", "interrupted", "running", "finished")
    runs.sort(key=lambda r: worst.index(r.state) if r.state in worst else 0)
    return runs[0] if runs else None


def course_locked(course_root: Path, suffix: str = "") -> bool:
    """Whether a ``dlcourse grade run`` holds the course's lock right now.

    Parameters
    ----------
    course_root : Path
        The course folder.
    suffix : str, optional
        A shard's :attr:`~dlcourse.grading.shard.Shard.suffix`: that shard's lock.

    Returns
    -------
    bool
        True while another process is grading this course.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> course = pathlib.Path(tempfile.mkdtemp())
    >>> course_locked(course)
    False
    """
    lock = Path(course_root) / RESULTS_DIR / (LOCK_NAME + suffix)
    if not lock.exists():
        return False
    with open(lock, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def last_run_problem(course_root: Path, assignment: str) -> str | None:
    """One line saying why the results of ``assignment`` are not those of a finished run, or None.

    Parameters
    ----------
    course_root : Path
        The course folder.
    assignment : str
        The assignment name.

    Returns
    -------
    str or None
        None when the last run finished.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> course = pathlib.Path(tempfile.mkdtemp())
    >>> last_run_problem(course, "ps1")
    '`dlcourse grade run ps1` has never run: no submission of ps1 has been graded by it'
    >>> _ = write_run_state(course, "ps1", "finished")
    >>> last_run_problem(course, "ps1") is None
    True
    """
    run = read_run_state(course_root, assignment)
    cmd = f"`dlcourse grade run {assignment}`"
    if run is None:
        if (results_dir(course_root, assignment) / "results.json").exists():
            return None  # results of a version that did not record its state
        return f"{cmd} has never run: no submission of {assignment} has been graded by it"
    if run.state == "finished":
        return None
    if run.state == "running":
        return f"{cmd} is still running (started {run.started_at}, process {run.pid}); its results are incomplete"
    what = "failed" if run.state == "failed" else "did not finish"
    return f"the last {cmd} {what} ({run.started_at}): {run.reason or 'no reason recorded'}"


# --------------------------------------------------------------------------- per-student results


def append_progress(course_root: Path, assignment: str, result: dict[str, Any], *, suffix: str = "") -> None:
    """Append one recorded student's result to ``progress.jsonl`` (flushed to disk).

    Parameters
    ----------
    course_root : Path
        The course folder.
    assignment : str
        The assignment being graded.
    result : dict
        ``StudentResult.to_dict()`` of a student whose grades are in the gradebook.
    suffix : str, optional
        A shard's :attr:`~dlcourse.grading.shard.Shard.suffix` (``progress-shard-K-of-N.jsonl``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> course = pathlib.Path(tempfile.mkdtemp())
    >>> append_progress(course, "ps1", {"student": "s01", "status": "graded"})
    >>> load_results(course, "ps1")
    {'s01': {'student': 's01', 'status': 'graded'}}
    """
    path = results_dir(course_root, assignment) / f"progress{suffix}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(result) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def clear_progress(course_root: Path, assignment: str, *, suffix: str = "") -> None:
    """Remove ``progress.jsonl`` once ``results.json`` holds the whole run.

    Parameters
    ----------
    course_root : Path
        The course folder.
    assignment : str
        The assignment name.
    suffix : str, optional
        A shard's :attr:`~dlcourse.grading.shard.Shard.suffix`: only that shard's progress.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> course = pathlib.Path(tempfile.mkdtemp())
    >>> append_progress(course, "ps1", {"student": "s01", "status": "graded"})
    >>> clear_progress(course, "ps1")
    >>> load_results(course, "ps1")
    {}
    """
    with contextlib.suppress(FileNotFoundError):
        (results_dir(course_root, assignment) / f"progress{suffix}.jsonl").unlink()


def load_results(course_root: Path, assignment: str) -> dict[str, dict[str, Any]]:
    """Every student's last recorded result: ``results.json``, updated by an unfinished run's progress.

    Parameters
    ----------
    course_root : Path
        The course folder.
    assignment : str
        The assignment name.

    Returns
    -------
    dict
        Student id -> ``StudentResult.to_dict()``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> course = pathlib.Path(tempfile.mkdtemp())
    >>> from dlcourse.grading.status import StudentResult
    >>> append_progress(course, "ps1", StudentResult("s01", "ps1", score=5.0).to_dict())
    >>> StudentResult.from_dict(load_results(course, "ps1")["s01"]).score
    5.0
    """
    folder = results_dir(course_root, assignment)
    out: dict[str, dict[str, Any]] = {}
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        for r in json.loads((folder / "results.json").read_text())["results"]:
            out[r["student"]] = r
    for progress in sorted(folder.glob("progress*.jsonl")):  # an unfinished run's, or each shard's
        with contextlib.suppress(OSError):
            for line in progress.read_text(encoding="utf-8").splitlines():
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    r = json.loads(line)
                    out[r["student"]] = r
    return out
