"""Grade one assignment for a whole class: parallel sandboxed execution, serial gradebook writes.

:func:`grade_assignment` (``dlcourse grade run ASSIGNMENT``) takes the course lock and runs
these steps, one function each, in order (``_grade_locked``):

1. ``_prepare``: read the course's nbgrader configuration, the assignment's cells and the
   roster from the gradebook (:mod:`.gradebook`);
2. ``_collect``: import an LMS zip into ``submitted/`` if there is one, then find every
   roster student's submission (:mod:`.submissions`);
3. ``_verify_isolation``: check the sandbox from the inside (a self-test that must fail to
   read course files, reach the network or write outside its folder) or refuse, unless
   ``--no-sandbox`` (:mod:`.sandbox`);
4. ``_build_jobs``: a result for every student, a job for every student who submitted;
5. ``_run_and_record``: hand the jobs to worker processes (:mod:`.pool`); each reads,
   sanitizes and executes a student's notebooks, one sandboxed kernel per notebook
   (:mod:`.executor`). As each student finishes, the main process (the only gradebook
   writer) records the grades with :class:`~dlcourse.grading.gradebook.Recorder`: nbgrader's
   ``Autograde`` with only ``SaveAutoGrades``, ``AssignLatePenalties`` and
   ``CheckCellMetadata`` left to do, so scores, late penalties and the ``autograded/``
   folder are exactly nbgrader's;
6. ``_write_results``: every roster student gets a status (graded, late, missing, failed)
   with reasons, in ``dlcourse_grading/<assignment>/results.json`` and ``grades.csv``
   in the course (:mod:`.course` keeps these files and the state of the run).

Why it is faster than ``nbgrader autograde`` on a small machine: students run in parallel,
kernels are killed instead of shut down politely (nbgrader waits about a second per
notebook), and the gradebook work overlaps with the kernels of the next students.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from . import sandbox as sb
from .course import (
    RESULTS_DIR,
    GradingError,
    append_progress,
    clear_progress,
    hidden_test_markers,
    load_course_config,
    quiet_logger,
    write_run_state,
)
from .executor import CellInfo, RunSettings, StudentJob, StudentOutcome
from .gradebook import Recorder, load_students, read_assignment, save_students, snapshot_gradebook
from .pool import default_jobs, run_jobs, start_workers, stop_workers
from .shard import Shard
from .status import Reason, StudentResult
from .submissions import Student, Submission, find_submissions, import_zip


@dataclass
class GradeOptions:
    """What to grade and how: the Python form of ``dlcourse grade run``'s options.

    Examples
    --------
    >>> options = GradeOptions("ps1", course_root=Path("course"), jobs=4, limits=sb.Limits(processes=32))
    >>> options.sandbox, options.limits.processes
    (True, 32)
    """

    assignment: str
    course_root: Path = Path(".")
    roster: Path | None = None
    zip_path: Path | None = None
    zip_timestamp: dt.datetime | None = None
    jobs: int = 0  # 0: one per CPU, plus one (see pool.default_jobs)
    sandbox: bool = True
    sandbox_user: str = sb.DEFAULT_USER
    limits: sb.Limits = field(default_factory=sb.Limits)
    cell_timeout: int | None = None  # None: the course's Execute.timeout (nbgrader default 30 s)
    notebook_timeout: int | None = None  # None: 20 x the cell timeout, at least 300 s
    students: list[str] | None = None
    shard: Shard | None = None  # grade only this shard's students (--shard K/N; needs a shared database)
    max_notebook_bytes: int = 20 << 20  # larger notebook files are not read (status failed)
    kernel_python: str = sys.executable
    extra_read_only: list[str] = field(default_factory=list)
    cgroups: bool = True  # False: rlimits only, one sandbox user per worker (as on a machine without cgroups)
    progress: bool = True
    quiet: bool = False
    out: TextIO | None = None  # a text stream for the summary (default sys.stdout)

    @property
    def state_suffix(self) -> str:
        """The suffix of this run's own state files and lock: a shard's ``-shard-K-of-N``, else empty."""
        return self.shard.suffix if self.shard else ""


@dataclass
class GradingRun:
    """The outcome of a grading run: one result per roster student, and where they were written.

    Examples
    --------
    >>> run = GradingRun("ps1", [StudentResult("s01", "ps1"), StudentResult("s02", "ps1", status="missing")],
    ...                  Path("results.json"), Path("grades.csv"), [], [], [], 12.0)
    >>> run.counts()
    {'graded': 1, 'late': 0, 'missing': 1, 'failed': 0}
    """

    assignment: str
    results: list[StudentResult]
    results_path: Path
    csv_path: Path
    isolation: list[str]
    warnings: list[str]
    unmatched: list[str]
    seconds: float
    shard: Shard | None = None

    def counts(self) -> dict[str, int]:
        """Count the students per status (graded, late, missing, failed)."""
        out = {k: 0 for k in ("graded", "late", "missing", "failed")}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out


# --------------------------------------------------------------------------- the command


def grade_assignment(options: GradeOptions) -> GradingRun:
    """Grade ``options.assignment`` for every roster student; see the module docstring.

    Parameters
    ----------
    options : GradeOptions
        What to grade and how.

    Returns
    -------
    GradingRun
        One result per roster student, and the files written.

    Raises
    ------
    GradingError
        A problem with the course or the options (never a student's work).

    Examples
    --------
    A folder that is not an nbgrader course is refused before anything is written:

    >>> import tempfile
    >>> try:
    ...     grade_assignment(GradeOptions("ps1", course_root=Path(tempfile.mkdtemp())))
    ... except GradingError as exc:
    ...     print(str(exc).split(" does not ")[1])
    look like an nbgrader course (no nbgrader_config.py or source/)
    """
    with warnings.catch_warnings():
        # nbgrader's gradebook code triggers SQLAlchemy "not in session" warnings; they are not ours to fix
        warnings.filterwarnings("ignore", module="nbgrader")
        warnings.filterwarnings("ignore", message=".*not in session.*")
        return _grade_assignment(options)


def _grade_assignment(options: GradeOptions) -> GradingRun:
    import fcntl

    root = Path(options.course_root).resolve()
    if not (root / "nbgrader_config.py").exists() and not (root / "source").is_dir():
        raise GradingError(f"{root} does not look like an nbgrader course (no nbgrader_config.py or source/)")
    (root / RESULTS_DIR).mkdir(exist_ok=True)
    suffix = options.state_suffix
    with open(root / RESULTS_DIR / f".lock{suffix}", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            what = f"shard {options.shard.label} of " if options.shard else ""
            raise GradingError(f"another `dlcourse grade run` is grading {what}{root}; wait for it to finish "
                               "(the gradebook has one writer)") from None
        # run.json says what this run did, so that an export after a failed or killed run
        # never reads "nobody graded" as "nobody submitted"
        started = write_run_state(root, options.assignment, "running", suffix=suffix).started_at
        try:
            return _grade_locked(options, root)
        except KeyboardInterrupt:
            write_run_state(root, options.assignment, "interrupted", reason="interrupted (Ctrl-C)",
                            started_at=started, suffix=suffix)
            raise
        except BaseException as exc:
            why = " ".join(str(exc).split()) or type(exc).__name__
            write_run_state(root, options.assignment, "failed", reason=why, started_at=started, suffix=suffix)
            raise


@dataclass
class _Course:
    """What one run knows about the course and the assignment (read once, step 1)."""

    root: Path
    config: Any  # traitlets Config
    db_url: str
    course_id: str
    assignment: str
    notebooks: list[str]
    cells: dict[str, dict[str, CellInfo]]
    max_score: float
    submitted: Path


@dataclass
class _Collected:
    """The roster's submissions (step 2)."""

    roster: list[Student]
    subs: dict[str, Submission]
    strangers: list[str]
    unmatched: list[str]
    lms_late: set[str]


def _grade_locked(options: GradeOptions, root: Path) -> GradingRun:
    """Run the steps, in order: prepare, collect, isolate, build jobs, run and record, write results."""
    t_start = time.monotonic()
    started_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    out = options.out or sys.stdout
    course, roster = _prepare(options, root)
    # No result has been written yet: refuse here if student code cannot be isolated.
    iso = sb.detect(options.sandbox_user) if options.sandbox else sb.Isolation(False, "--no-sandbox")
    if options.sandbox and not iso.available:
        raise sb.SandboxUnavailable(
            f"cannot isolate student code: {iso.reason}.\nRefusing to grade. To run student code WITHOUT "
            "isolation (only for work you trust), pass --no-sandbox."
        )
    collected = _collect(options, course, roster)
    protected = [str(root), str(course.submitted), course.db_url.removeprefix("sqlite:///")
                 if course.db_url.startswith("sqlite") else "", os.path.expanduser("~")]
    ws = sb.Workspace(iso, options.limits, options.kernel_python, [p for p in protected if p and p != "/"],
                      options.extra_read_only, cgroups=options.cgroups)
    warnings = list(ws.warnings)
    try:
        facts = _verify_isolation(ws, course, options, warnings, out)
        results, jobs, missing_ids = _build_jobs(course, collected, iso)
        recorder = _run_and_record(options, course, collected, ws, results, jobs)
        for sid in missing_ids:
            res = results[sid]
            if recorder.remove_stale_submission(sid):
                res.add("missing", "an earlier submission in the gradebook was removed: nothing is submitted now")
            res.reasons.insert(0, Reason("missing", "nothing submitted: scored 0"))
            res.score, res.max_score = 0.0, course.max_score
            res.finalize(submitted=False)
        for sid in collected.strangers:
            results[sid].finalize(submitted=True)
    finally:
        ws.close()
    ordered = [results[s.id] for s in collected.roster] + [results[s] for s in collected.strangers]
    results_path = _write_results(options, course, ordered, facts if iso.available else ["NONE (--no-sandbox)"],
                                  warnings, collected.unmatched)
    write_run_state(root, course.assignment, "finished", started_at=started_at, suffix=options.state_suffix)
    from .export import export_csv

    csv_path = export_csv(root, course.assignment, results_path.parent / "grades.csv")
    run = GradingRun(course.assignment, ordered, results_path, csv_path, facts, warnings, collected.unmatched,
                     time.monotonic() - t_start, options.shard)
    if not options.quiet:
        print_summary(run, out)
    return run


def _prepare(options: GradeOptions, root: Path) -> tuple[_Course, list[Student]]:
    """Step 1: the course's configuration, the assignment's cells and the roster (saved to the gradebook)."""
    import importlib.util

    from nbgrader.coursedir import CourseDirectory

    if importlib.util.find_spec("fastjsonschema") is not None:
        # nbformat validates every notebook it reads and writes (six times per student here);
        # its fastjsonschema backend does that about 15 times faster than jsonschema
        os.environ.setdefault("NBFORMAT_VALIDATOR", "fastjsonschema")
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")  # alembic
    config = load_course_config(root)
    coursedir = CourseDirectory(config=config, log=quiet_logger("coursedir"))
    db_url, course_id = coursedir.db_url, coursedir.course_id
    if options.shard is not None and options.shard.count > 1 and db_url.startswith("sqlite"):
        raise GradingError(f"--shard {options.shard.label} needs a gradebook that several machines can write at "
                           f"once, and this course's is a sqlite file ({db_url}): set c.CourseDirectory.db_url "
                           "to a PostgreSQL URL in nbgrader_config.py (README: \"Grading a large class on several "
                           "machines\")")
    notebooks, cells, max_score = read_assignment(db_url, course_id, options.assignment)
    roster = load_students(db_url, course_id, roster=options.roster, students=options.students)
    if options.shard is not None:
        # each shard writes only its own students: no two machines insert the same row
        roster = [s for s in roster if options.shard.owns(s.id)]
    if options.roster is not None:
        # the roster is not a result, and an export after a refusal needs it to tell missing students
        save_students(db_url, course_id, roster)
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, ".", ".")).resolve()
    return _Course(root, config, db_url, course_id, options.assignment, notebooks, cells, max_score, submitted), roster


def _collect(options: GradeOptions, course: _Course, roster: list[Student]) -> _Collected:
    """Step 2: an LMS zip imported into ``submitted/``, then every roster student's submission."""
    if options.students:
        roster = [s for s in roster if s.id in set(options.students)]
    if options.zip_path is not None and options.shard is not None:
        raise GradingError("--zip cannot be combined with --shard: every machine would unpack the download into "
                           "the shared submitted/ folder at once. Import it once with an unsharded run "
                           "(`dlcourse grade run ASSIGNMENT --zip FILE`), then start the shards without --zip")
    unmatched: list[str] = []
    lms_late: set[str] = set()
    if options.zip_path is not None:
        imp = import_zip(options.zip_path, course.submitted, course.assignment, roster, course.notebooks,
                         timestamp=options.zip_timestamp)
        unmatched = [f"zip entry {u}" for u in imp.unmatched] + [f"zip entry {r}: not used" for r in imp.replaced]
        lms_late = imp.late
    subs, strangers = find_submissions(course.submitted, course.assignment, roster, course.notebooks)
    if options.shard is not None:
        strangers = [sid for sid in strangers if options.shard.owns(sid)]
    return _Collected(roster, subs, strangers, unmatched, lms_late)


def _verify_isolation(ws: sb.Workspace, course: _Course, options: GradeOptions, warnings: list[str],
                      out: TextIO) -> list[str]:
    """Step 3: the sandbox self-test (or the loud warning of ``--no-sandbox``); returns the verified facts."""
    facts: list[str] = []
    if ws.isolation.available:
        secrets_to_check = [p for p in (str(course.root / "source"), str(course.root / "gradebook.db"),
                                        str(course.submitted)) if os.path.exists(p)]
        facts = sb.preflight(ws, secrets_to_check)
    else:
        warnings.insert(0, "NO SANDBOX: student code runs as you, can read and change your files and use the "
                           "network; only rlimits apply (--no-sandbox)")
    if not options.quiet:
        if facts:
            print(f"sandbox verified ({ws.cgroups.describe() if ws.cgroups else 'rlimits'}):", file=out)
            for line in facts:
                print(f"  - {line}", file=out)
        for w in warnings:
            print(("!" * 8 + " WARNING: " if "NO SANDBOX" in w else "warning: ") + w, file=out)
    return facts


def _build_jobs(course: _Course, collected: _Collected, iso: sb.Isolation
                ) -> tuple[dict[str, StudentResult], list[StudentJob], list[str]]:
    """Step 4: a result for everyone (with the notes found on disk) and a job for everyone who submitted."""
    results: dict[str, StudentResult] = {}
    jobs, missing_ids = [], []
    assignment = course.assignment
    for s in collected.roster:
        sub = collected.subs[s.id]
        res = StudentResult(s.id, assignment, first_name=s.first_name, last_name=s.last_name, email=s.email)
        results[s.id] = res
        for name, orig in sub.renamed.items():
            res.add("renamed_notebook", f"{orig!r} graded as {name}.ipynb")
        for extra in sub.extra_notebooks:
            res.add("extra_file_ignored", f"extra notebook {extra!r} ignored (not part of {assignment})")
        for skipped in sub.skipped:
            res.add("extra_file_ignored", f"file not given to the kernel: {skipped}")
        if sub.timestamp_note:
            res.add("metadata_repaired", sub.timestamp_note)
        if s.id in collected.lms_late:
            res.add("late", "marked late by the LMS")
        if not iso.available:
            res.add("unsandboxed", "graded WITHOUT the sandbox (--no-sandbox)")
        if sub.submitted_anything:
            for name, path in sub.notebooks.items():
                if path is None:
                    res.add("notebook_missing", f"{name}.ipynb was not submitted: scored 0")
            jobs.append(StudentJob(s.id, dict(sub.notebooks), list(sub.files), dict(sub.renamed)))
        else:
            missing_ids.append(s.id)
    for sid in collected.strangers:
        res = StudentResult(sid, assignment)
        res.add("not_on_roster", f"submitted/{sid}/{assignment} exists but {sid} is not on the roster; not graded")
        res.max_score = course.max_score
        results[sid] = res
    return results, jobs, missing_ids


def _run_and_record(options: GradeOptions, course: _Course, collected: _Collected, ws: sb.Workspace,
                    results: dict[str, StudentResult], jobs: list[StudentJob]) -> Recorder:
    """Step 5: run the jobs on parallel workers; record each student in the gradebook as it finishes."""
    timeout = options.cell_timeout or int(course.config.get("Execute", {}).get("timeout", 30) or 30)
    nb_budget = options.notebook_timeout or max(300, 20 * timeout)
    snap = snapshot_gradebook(course.db_url, Path(ws.root) / "gradebook-snapshot.db")
    staging = Path(ws.root) / "staging"
    staging.mkdir()
    os.chmod(staging, 0o700)
    recorder = Recorder(course.config, course.root, course.assignment, staging, course.db_url, course.course_id,
                        course.notebooks, course.max_score)
    settings = RunSettings(
        assignment=course.assignment, db_url=snap, config=_plain(course.config), cells=course.cells,
        limits=options.limits, workspace=ws, kernel_python=options.kernel_python, sandboxed=ws.isolation.available,
        cell_timeout=timeout, max_notebook_bytes=options.max_notebook_bytes,
        hidden_markers=hidden_test_markers(course.config),
    )
    # The workers' modules are imported here, once, and the workers forked afterwards.
    from tqdm import tqdm

    from . import kernels  # noqa: F401
    from .executor import execute_class

    execute_class()
    workers = start_workers(min(options.jobs or default_jobs(), max(1, len(jobs))), settings) if jobs else []

    class _Bar(tqdm):
        monitor_interval = 0  # no monitor thread: this process stays single-threaded (workers fork)

    bar = _Bar(total=len(jobs), desc=f"grading {course.assignment}", unit="student", file=sys.stderr,
               disable=not options.progress, mininterval=0.5, dynamic_ncols=True)

    def budget_for(job: StudentJob) -> float:
        return 120 + nb_budget * sum(1 for p in job.notebooks.values() if p)

    def on_done(job: StudentJob, outcome: StudentOutcome | None, error: str | None) -> None:
        res = results[job.student]
        if error is None and outcome is not None and outcome.error:
            error = f"grader error: {outcome.error}"
        if error is not None:
            res.add("grader_error", error)
        try:
            recorder.record(collected.subs[job.student], outcome, res)
        except Exception as exc:
            res.add("grader_error", f"recording the grades failed: {type(exc).__name__}: {exc}"[:400])
        if outcome is not None:
            res.seconds = round(outcome.seconds, 2)
        res.finalize(submitted=True)
        append_progress(course.root, course.assignment, res.to_dict(),  # in the gradebook now: say so at once
                        suffix=options.state_suffix)
        bar.set_postfix_str(f"{job.student}: {res.status}", refresh=False)
        bar.update(1)

    try:
        if jobs:
            run_jobs(jobs, settings, workers, budget_for, on_done)
    finally:
        bar.close()
        stop_workers(workers)
    return recorder


def _write_results(options: GradeOptions, course: _Course, ordered: list[StudentResult], sandbox_facts: list[str],
                   warnings: list[str], unmatched: list[str]) -> Path:
    """Step 6: ``results.json`` (a ``--student`` or ``--shard`` run keeps everybody else's); progress folded in."""
    results_dir = course.root / RESULTS_DIR / course.assignment
    results_dir.mkdir(parents=True, exist_ok=True)
    results_path = results_dir / "results.json"
    payload: dict[str, Any] = {
        "assignment": course.assignment,
        "graded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "sandbox": sandbox_facts,
        "warnings": warnings,
        "unmatched": unmatched,
        "results": [r.to_dict() for r in ordered],
    }
    partial = bool(options.students) or (options.shard is not None and options.shard.count > 1)
    suffix = options.state_suffix
    import fcntl

    # shards on several machines may finish at the same moment: read, merge and replace under a lock
    with open(results_dir / ".results.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if partial and results_path.exists():
            with contextlib.suppress(ValueError, KeyError):
                old = json.loads(results_path.read_text())
                mine = {r["student"] for r in payload["results"]}
                payload["results"] = [r for r in old["results"] if r["student"] not in mine] + payload["results"]
                payload["warnings"] = list(dict.fromkeys(old.get("warnings", []) + warnings))
                payload["unmatched"] = list(dict.fromkeys(old.get("unmatched", []) + unmatched))
        tmp = results_path.with_name(f"results{suffix}.json.tmp")
        tmp.write_text(json.dumps(payload, indent=1))
        tmp.replace(results_path)
    clear_progress(course.root, course.assignment, suffix=suffix)
    if options.shard is None and not options.students:
        for stale in results_dir.glob("run-shard-*.json"):  # this run graded everyone: old shards' states are moot
            stale.unlink()
    return results_path


def _plain(cfg) -> dict:
    """Return a picklable deep copy of a traitlets Config (plain dicts)."""
    def conv(v):
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return copy.deepcopy(v)
    return conv(cfg)


def print_summary(run: GradingRun, out) -> None:
    """Print a table of the run's results (student, status, score, reasons) to ``out``.

    Parameters
    ----------
    run : GradingRun
        What :func:`grade_assignment` returned.
    out : text stream
        Where to print, e.g. ``sys.stdout``.

    Examples
    --------
    >>> import sys
    >>> late = StudentResult("s01", "ps1", status="late", score=4.0, max_score=5.0)
    >>> late.add("late", "submitted 60 s after the due date")
    >>> run = GradingRun("ps1", [late], Path("results.json"), Path("grades.csv"), [], [], [], 12.0)
    >>> print_summary(run, sys.stdout)  # doctest: +NORMALIZE_WHITESPACE
    <BLANKLINE>
    student  status  score  reasons
    -------  ------  -----  -------
    s01      late    4 / 5  submitted 60 s after the due date
    <BLANKLINE>
    ps1: 0 graded, 1 late, 0 missing, 0 failed (1 on the roster) in 12.0 s
    results: results.json
    grades:  grades.csv
    """
    rows = [("student", "status", "score", "reasons")]
    for r in run.results:
        rows.append((r.student, r.status, f"{r.score:g} / {r.max_score:g}", r.reason_text() or "-"))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    print(file=out)
    for i, (a, b, c, d) in enumerate(rows):
        print(f"{a:<{w0}}  {b:<{w1}}  {c:>{w2}}  {d}", file=out)
        if i == 0:
            print(f"{'-' * w0}  {'-' * w1}  {'-' * w2}  {'-' * 7}", file=out)
    counts = run.counts()
    on_roster = sum(1 for r in run.results if not r.has("not_on_roster"))
    print(file=out)
    part = f" (shard {run.shard.label})" if run.shard else ""
    print(f"{run.assignment}{part}: " + ", ".join(f"{v} {k}" for k, v in counts.items()) +
          f" ({on_roster} on the roster) in {run.seconds:.1f} s", file=out)
    for u in run.unmatched:
        print(f"not graded: {u}", file=out)
    for w in run.warnings:
        if "NO SANDBOX" in w:
            print("!" * 8 + " WARNING: " + w, file=out)
    print(f"results: {run.results_path}", file=out)
    print(f"grades:  {run.csv_path}", file=out)
