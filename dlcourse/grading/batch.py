"""Grade one assignment for a whole class: parallel sandboxed execution, serial gradebook writes.

The pipeline (``dlcourse grade ASSIGNMENT``):

1. read the course's nbgrader configuration and gradebook, the roster, and either
   ``submitted/`` or an LMS zip (imported into ``submitted/`` first);
2. check the sandbox from the inside (a self-test that must fail to read course files,
   reach the network or write outside its folder) or refuse, unless ``--no-sandbox``;
3. hand students to ``jobs`` worker processes; each reads, sanitizes and executes the
   student's notebooks, one sandboxed kernel per notebook (:mod:`.executor`);
4. as each student finishes, the main process (the only gradebook writer) runs nbgrader's
   ``Autograde`` on the executed notebooks with only ``SaveAutoGrades``,
   ``AssignLatePenalties`` and ``CheckCellMetadata`` left to do, so scores, late penalties
   and the ``autograded/`` folder are exactly nbgrader's;
5. every roster student gets a status (graded, late, missing, failed) with reasons; results
   go to ``dlcourse_grading/<assignment>/results.json`` and ``grades.csv`` in the course.

Why it is faster than ``nbgrader autograde`` on a small machine: students run in parallel,
kernels are killed instead of shut down politely (nbgrader waits about a second per
notebook), and the gradebook work overlaps with the kernels of the next students.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import json
import logging
import multiprocessing.connection
import os
import shutil
import signal
import socket
import sqlite3
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from . import sandbox as sb
from .course import (
    RESULTS_DIR,
    append_progress,
    clear_progress,
    hidden_test_markers,
    load_course_config,
    quiet_logger,
    write_run_state,
)
from .executor import CellInfo, RunSettings, StudentJob, StudentOutcome
from .shard import Shard
from .status import Reason, StudentResult
from .submissions import Student, Submission, find_submissions, import_zip, load_roster


class GradingError(RuntimeError):
    """A problem with the course or the command line (not with a student's work)."""


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
    jobs: int = 0  # 0: one per CPU, plus one (see default_jobs)
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


# --------------------------------------------------------------------------- course


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(f"{record.levelname}: {record.getMessage()}")


def _gradebook(db_url: str, course_id: str):
    from nbgrader.api import Gradebook

    return Gradebook(db_url, course_id)


def read_assignment(db_url: str, course_id: str, assignment: str) -> tuple[list[str], dict[str, dict[str, CellInfo]],
                                                                          float]:
    """Return the notebook names, their nbgrader cells, and the maximum score, from the gradebook.

    Parameters
    ----------
    db_url : str
        The gradebook's database URL.
    course_id : str
        nbgrader's course id.
    assignment : str
        The assignment name.

    Returns
    -------
    tuple
        ``(names, cells, max_score)``: sorted notebook names, notebook -> grade_id ->
        :class:`~dlcourse.grading.executor.CellInfo`, and the assignment's points.

    Raises
    ------
    GradingError
        If the assignment is not in the gradebook or has no notebooks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dlcourse.grading.demo import make_demo_course
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = make_demo_course(root)
    >>> db_url = f"sqlite:///{root / 'gradebook.db'}"
    >>> names, cells, max_score = read_assignment(db_url, "demo", "ps1")
    >>> names, sorted(cells["problem1"]), max_score
    (['problem1'], ['intro', 'mean', 'square', 'test_mean', 'test_square'], 5.0)
    """
    from nbgrader.api import MissingEntry

    with _gradebook(db_url, course_id) as gb:
        try:
            a = gb.find_assignment(assignment)
        except MissingEntry:
            raise GradingError(
                f"assignment {assignment!r} is not in the gradebook; run `nbgrader generate_assignment {assignment}` "
                "in the course folder first"
            ) from None
        names, cells = [], {}
        for nb in a.notebooks:
            names.append(nb.name)
            info: dict[str, CellInfo] = {}
            grade = {c.name: c for c in nb.grade_cells}
            solution = {c.name for c in nb.solution_cells}
            task = {c.name for c in nb.task_cells}
            for sc in nb.source_cells:
                info[sc.name] = CellInfo(
                    grade_id=sc.name, cell_type=sc.cell_type, locked=bool(sc.locked), source=sc.source,
                    grade=sc.name in grade, solution=sc.name in solution, task=sc.name in task,
                    points=float(grade[sc.name].max_score) if sc.name in grade else 0.0,
                )
            cells[nb.name] = info
        if not names:
            raise GradingError(f"assignment {assignment!r} has no notebooks in the gradebook")
        return sorted(names), cells, float(a.max_score)


def _snapshot(db_url: str, dest: Path) -> str:
    """Make a consistent copy of a sqlite gradebook for the workers to read; other databases are read in place."""
    prefix = "sqlite:///"
    if not db_url.startswith(prefix):
        return db_url
    src = sqlite3.connect(db_url[len(prefix):])
    dst = sqlite3.connect(str(dest))
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return prefix + str(dest)


# --------------------------------------------------------------------------- workers


class _Worker:
    """A grading worker process, spoken to over a socket pair (pickles).

    Forked from this process when it has no other threads (instant: nbgrader and friends
    are already imported); otherwise ``python -m dlcourse.grading.worker``.
    """

    def __init__(self, settings: RunSettings, slot: int = 0):
        from multiprocessing.connection import Connection

        settings = dataclasses.replace(settings, slot=slot)
        self.slot = slot
        parent, child = socket.socketpair()
        self.proc = None
        self.returncode: int | None = None
        if sys.platform.startswith("linux") and threading.active_count() == 1:
            pid = os.fork()
            if pid == 0:  # the worker: never returns into the caller's code
                code = 1
                try:
                    parent.close()
                    from .worker import serve

                    code = serve(Connection(child.detach()), settings)
                finally:
                    os._exit(code)
            self.pid = pid
            child.close()
            self.conn = Connection(parent.detach())
        else:
            import subprocess

            self.proc = subprocess.Popen([sys.executable, "-m", "dlcourse.grading.worker", str(child.fileno())],
                                         pass_fds=[child.fileno()], stdin=subprocess.DEVNULL)
            self.pid = self.proc.pid
            child.close()
            self.conn = Connection(parent.detach())
            self.conn.send(settings)
        self.job: StudentJob | None = None
        self.deadline = 0.0
        self.started = 0.0

    def poll(self) -> int | None:
        if self.returncode is None:
            if self.proc is not None:
                self.returncode = self.proc.poll()
            else:
                with contextlib.suppress(ChildProcessError):
                    pid, status = os.waitpid(self.pid, os.WNOHANG)
                    if pid:
                        self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def give(self, job: StudentJob, budget: float) -> None:
        self.job = job
        self.started = time.monotonic()
        self.deadline = self.started + budget
        self.conn.send(job)

    def close(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self.conn.send(None)

    def stop(self, kill: bool = False, wait: float = 5.0) -> None:
        if not kill:
            self.close()
            deadline = time.monotonic() + wait
            while self.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            while self.poll() is None:
                time.sleep(0.01)
        self.conn.close()


def default_jobs() -> int:
    """Return the default number of workers: one per CPU, plus one.

    A worker waits while its kernel starts and while the main process records grades, and
    the extra one keeps the CPUs busy meanwhile.

    Examples
    --------
    >>> default_jobs() >= 2
    True
    """
    return (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1) + 1


def start_workers(n: int, settings: RunSettings) -> list[_Worker]:
    """Start ``n`` (at least one) grading workers, numbered as slots ``0 .. n-1``.

    Parameters
    ----------
    n : int
        How many workers.
    settings : RunSettings
        What every worker needs; each gets its own ``slot``.

    Returns
    -------
    list of _Worker
        The started workers.

    Examples
    --------
    Two workers of a run without isolation, started and stopped with nothing to grade:

    >>> import sys
    >>> from dlcourse.grading.sandbox import Isolation, Limits, Workspace
    >>> ws = Workspace(Isolation(False, "example"), Limits(), sys.executable, protected=[])
    >>> settings = RunSettings(assignment="ps1", db_url="sqlite://", config={}, cells={}, limits=Limits(),
    ...                        workspace=ws, kernel_python=sys.executable)
    >>> workers = start_workers(2, settings)
    >>> [w.slot for w in workers]
    [0, 1]
    >>> stop_workers(workers)
    >>> ws.close()
    """
    if settings.workspace is not None:
        settings.workspace.prepare_slots(max(1, n))
    return [_Worker(settings, slot) for slot in range(max(1, n))]


def run_jobs(jobs: list[StudentJob], settings: RunSettings, workers: list[_Worker], budget_for, on_done) -> None:
    """Run ``jobs`` on ``workers``; call ``on_done(job, outcome, error)`` here, in completion order.

    A worker that dies or overruns its budget is replaced; its student is retried once
    on a fresh worker (unless it overran), then reported as failed. Stops the workers.

    Parameters
    ----------
    jobs : list of StudentJob
        The students to grade, in order.
    settings : RunSettings
        The run's settings (for replacement workers).
    workers : list of _Worker
        From :func:`start_workers`; replaced in place when one dies.
    budget_for : callable
        ``budget_for(job)``: the seconds a job may take before its worker is killed.
    on_done : callable
        ``on_done(job, outcome, error)``: ``outcome`` (a ``StudentOutcome``) or ``error`` (str) is None.

    Examples
    --------
    >>> import sys
    >>> from dlcourse.grading.sandbox import Isolation, Limits, Workspace
    >>> ws = Workspace(Isolation(False, "example"), Limits(), sys.executable, protected=[])
    >>> settings = RunSettings(assignment="ps1", db_url="sqlite://", config={}, cells={}, limits=Limits(),
    ...                        workspace=ws, kernel_python=sys.executable)
    >>> workers = start_workers(1, settings)
    >>> run_jobs([], settings, workers, budget_for=lambda job: 60.0, on_done=print)
    >>> [w.poll() for w in workers]  # stopped
    [0]
    >>> ws.close()
    """
    pending = list(jobs)
    retried: set[str] = set()
    try:
        for w in workers:
            if pending:
                job = pending.pop(0)
                w.give(job, budget_for(job))
        while any(w.job is not None for w in workers):
            busy = [w for w in workers if w.job is not None]
            ready = multiprocessing.connection.wait([w.conn for w in busy], timeout=1.0)
            now = time.monotonic()
            for i, w in enumerate(list(workers)):
                if w.job is None:
                    continue
                error = None
                outcome = None
                if w.conn in ready:
                    try:
                        outcome = w.conn.recv()
                    except (EOFError, OSError):
                        time.sleep(0.05)
                        error = f"the grading worker process died (exit code {w.poll()})"
                elif w.poll() is not None:
                    error = f"the grading worker process died (exit code {w.returncode})"
                elif now > w.deadline:
                    error = f"grading this student took longer than {int(w.deadline - w.started)} s; stopped"
                else:
                    continue
                job = w.job
                w.job = None
                report: tuple[StudentJob, StudentOutcome | None, str | None] | None = None
                if error is not None:
                    w.stop(kill=True)
                    workers[i] = w = _Worker(settings, w.slot)
                    if job.student not in retried and "longer than" not in error:
                        retried.add(job.student)
                        pending.insert(0, job)
                    else:
                        report = (job, None, error)
                else:
                    report = (job, outcome, None)
                # hand out the next student first, so the worker runs while we record this one
                if pending:
                    nxt = pending.pop(0)
                    w.give(nxt, budget_for(nxt))
                else:
                    w.close()  # nothing left for it: let it exit while the others finish
                if report is not None:
                    on_done(*report)
    finally:
        stop_workers(workers)


def stop_workers(workers: list[_Worker]) -> None:
    """Stop the workers: idle ones close their connection, busy ones are killed, within 5 seconds.

    Parameters
    ----------
    workers : list of _Worker
        From :func:`start_workers`.

    Examples
    --------
    >>> import sys
    >>> from dlcourse.grading.sandbox import Isolation, Limits, Workspace
    >>> ws = Workspace(Isolation(False, "example"), Limits(), sys.executable, protected=[])
    >>> settings = RunSettings(assignment="ps1", db_url="sqlite://", config={}, cells={}, limits=Limits(),
    ...                        workspace=ws, kernel_python=sys.executable)
    >>> workers = start_workers(1, settings)
    >>> stop_workers(workers)
    >>> [w.poll() for w in workers]
    [0]
    >>> ws.close()
    """
    for w in workers:
        if w.job is None:
            w.close()
    deadline = time.monotonic() + 5
    for w in workers:
        w.stop(kill=w.job is not None, wait=max(0.1, deadline - time.monotonic()))


# --------------------------------------------------------------------------- recording


class Recorder:
    """Writes grades into the gradebook (serially, in the main process) with nbgrader's Autograde.

    Examples
    --------
    A student of the demo course (:mod:`.demo`) whose notebook could not run gets a zero,
    recorded in the gradebook:

    >>> import tempfile, pathlib
    >>> from dlcourse.grading.demo import make_demo_course
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = make_demo_course(root)
    >>> db_url = f"sqlite:///{root / 'gradebook.db'}"
    >>> from nbgrader.api import Gradebook
    >>> from dlcourse.grading.course import load_course_config
    >>> with Gradebook(db_url, "demo") as gb:
    ...     _ = gb.update_or_create_student("s01")
    >>> rec = Recorder(load_course_config(root), root, "ps1", root / "staging", db_url, "demo", ["problem1"], 5.0)
    >>> result = StudentResult("s01", "ps1")
    >>> with warnings.catch_warnings():  # as grade_assignment does: nbgrader's SQLAlchemy warnings
    ...     warnings.simplefilter("ignore")
    ...     rec.record(Submission("s01", None, {"problem1": None}), None, result)
    >>> result.score, result.max_score
    (0.0, 5.0)
    >>> rec.remove_stale_submission("s01"), rec.remove_stale_submission("s01")
    (True, False)
    """

    def __init__(self, config, coursedir_root: Path, assignment: str, staging: Path, db_url: str, course_id: str,
                 notebooks: list[str], max_score: float):
        self.config = config
        self.root = coursedir_root
        self.assignment = assignment
        self.staging = staging
        self.db_url = db_url
        self.course_id = course_id
        self.notebooks = notebooks
        self.max_score = max_score

    def _autograde(self, student: str) -> list[str]:
        from nbgrader.converters import Autograde
        from nbgrader.coursedir import CourseDirectory
        from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, SaveAutoGrades
        from traitlets.config import Config

        c = Config(copy.deepcopy(self.config))
        c.CourseDirectory.root = str(self.root)
        c.CourseDirectory.submitted_directory = str(self.staging)
        c.CourseDirectory.assignment_id = self.assignment
        c.CourseDirectory.student_id = student
        c.CourseDirectory.notebook_id = "*"
        c.Autograde.sanitize_preprocessors = []
        c.Autograde.autograde_preprocessors = [SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
        c.Autograde.create_student = True
        c.BaseConverter.force = True
        capture = _Capture()
        log = quiet_logger("autograde")
        log.addHandler(capture)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SQLAlchemy warnings from inside nbgrader's gradebook code
                coursedir = CourseDirectory(config=c, log=log)
                app = Autograde(coursedir=coursedir, config=c, log=log)
                app.force = True
                app.start()
        except Exception as exc:
            capture.lines.append(f"{type(exc).__name__}: {exc}")
            return [line for line in capture.lines if line.startswith(("ERROR", "CRITICAL")) or ":" in line][-5:] \
                or [str(exc)]
        finally:
            log.removeHandler(capture)
        errors = [line for line in capture.lines if line.startswith(("ERROR", "CRITICAL"))]
        return errors

    def _zero_submission(self, student: str, timestamp) -> None:
        """No notebook could run: record a submission whose grades are all 0 (never silently absent)."""
        with _gradebook(self.db_url, self.course_id) as gb:
            kw = {"timestamp": timestamp} if timestamp else {}
            gb.update_or_create_submission(self.assignment, student, **kw)
            for name in self.notebooks:
                sub_nb = gb.find_submission_notebook(name, self.assignment, student)
                for grade in sub_nb.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
            gb.db.commit()
        autograded = Path(self.root) / "autograded" / student / self.assignment
        shutil.rmtree(autograded, ignore_errors=True)

    def record(self, sub: Submission, outcome: StudentOutcome | None, result: StudentResult) -> None:
        """Record one student in the gradebook: autograde the executed notebooks (else a zero), read the score.

        Parameters
        ----------
        sub : Submission
            What the student submitted (data files and timestamp are staged with the notebooks).
        outcome : StudentOutcome or None
            The executed notebooks (None: nothing ran).
        result : StudentResult
            Gets the notebooks' reasons and the score.
        """
        folder = self.staging / sub.student / self.assignment
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        ran = 0
        if outcome is not None:
            for name, nbo in outcome.notebooks.items():
                result.reasons.extend(nbo.reasons)
                if nbo.notebook is not None:
                    (folder / f"{name}.ipynb").write_text(nbo.notebook, encoding="utf-8")
                    ran += 1
        for src, rel in sub.files:
            dest = folder / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):
                shutil.copyfile(src, dest, follow_symlinks=False)
        if sub.timestamp is not None:
            (folder / "timestamp.txt").write_text(sub.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        if ran:
            errors = self._autograde(sub.student)
            if errors:
                result.add("grader_error", "nbgrader could not record the grades: " + " | ".join(errors)[:400])
                self._zero_submission(sub.student, sub.timestamp)
        else:
            self._zero_submission(sub.student, sub.timestamp)
        shutil.rmtree(folder, ignore_errors=True)
        self.read_scores(result)

    def remove_stale_submission(self, student: str) -> bool:
        """Remove a student's earlier submission from the gradebook; return whether there was one.

        Parameters
        ----------
        student : str
            The student id.
        """
        from nbgrader.api import MissingEntry

        with _gradebook(self.db_url, self.course_id) as gb:
            try:
                gb.find_submission(self.assignment, student)
            except MissingEntry:
                return False
            gb.remove_submission(self.assignment, student)
        shutil.rmtree(Path(self.root) / "autograded" / student / self.assignment, ignore_errors=True)
        return True

    def read_scores(self, result: StudentResult) -> None:
        """Fill ``result``'s score and maximum score from the gradebook.

        Parameters
        ----------
        result : StudentResult
            Changed in place (score 0 when the gradebook has no submission).
        """
        from nbgrader.api import MissingEntry

        with _gradebook(self.db_url, self.course_id) as gb:
            try:
                s = gb.find_submission(self.assignment, result.student)
            except MissingEntry:
                result.score, result.max_score = 0.0, self.max_score
                return
            result.score = float(s.score)
            result.max_score = float(s.max_score)
            result.seconds_late = float(s.total_seconds_late)
            if s.timestamp is not None:
                result.submitted_at = s.timestamp.isoformat(sep=" ")
            manual = [g.name for nb in s.notebooks for g in nb.grades if g.needs_manual_grade]
            if result.seconds_late > 0:
                result.add("late", f"submitted {_duration(result.seconds_late)} after the due date")
            if manual:
                result.add("needs_manual_grade", f"{len(manual)} cell(s) need manual grading: {', '.join(manual)}")


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


# --------------------------------------------------------------------------- the command


def _load_students(db_url: str, course_id: str, options: GradeOptions) -> list[Student]:
    """Return the roster (from --roster, else the gradebook's students), checked; write nothing."""
    if options.roster is not None:
        roster = load_roster(options.roster)
    else:
        with _gradebook(db_url, course_id) as gb:
            roster = [Student(s.id, s.first_name or "", s.last_name or "", s.email or "", s.lms_user_id or "")
                      for s in gb.students]
        if not roster:
            raise GradingError("no roster: pass --roster FILE.csv (or add students to the gradebook with "
                               "`nbgrader db student import`)")
    if options.students:
        unknown = sorted(set(options.students) - {s.id for s in roster})
        if unknown:
            raise GradingError(f"not on the roster: {', '.join(unknown)}")
    return roster


def _save_students(db_url: str, course_id: str, roster: list[Student]) -> None:
    with _gradebook(db_url, course_id) as gb:
        for s in roster:
            kw = {k: v for k, v in (("first_name", s.first_name), ("last_name", s.last_name),
                                    ("email", s.email), ("lms_user_id", s.lms_id)) if v}
            gb.update_or_create_student(s.id, **kw)


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
    suffix = options.shard.suffix if options.shard else ""
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
    suffix = options.shard.suffix if options.shard else ""
    write_run_state(root, course.assignment, "finished", started_at=started_at, suffix=suffix)
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
    roster = _load_students(db_url, course_id, options)
    if options.shard is not None:
        # each shard writes only its own students: no two machines insert the same row
        roster = [s for s in roster if options.shard.owns(s.id)]
    if options.roster is not None:
        # the roster is not a result, and an export after a refusal needs it to tell missing students
        _save_students(db_url, course_id, roster)
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
    snap = _snapshot(course.db_url, Path(ws.root) / "gradebook-snapshot.db")
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
                        suffix=options.shard.suffix if options.shard else "")
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
    suffix = options.shard.suffix if options.shard else ""
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
