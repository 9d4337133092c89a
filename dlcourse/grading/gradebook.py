"""The course's gradebook: what the grader reads from it and how grades are written to it.

nbgrader keeps its gradebook in a database (``gradebook.db``, a sqlite file, by default; any
database SQLAlchemy reaches, such as a shared PostgreSQL server for ``--shard``), and this
module is the only part of :mod:`dlcourse.grading` that opens it:

* :func:`read_assignment` -- the assignment's notebooks, their nbgrader cells and points;
* :func:`load_students` and :func:`save_students` -- the roster (``--roster`` or the
  gradebook's students);
* :func:`snapshot_gradebook` -- a consistent copy of a sqlite gradebook that the workers
  read while the main process writes the original;
* :class:`Recorder` -- writes a student's grades through nbgrader's own ``Autograde`` (with
  only ``SaveAutoGrades``, ``AssignLatePenalties`` and ``CheckCellMetadata``), records a
  zero when nothing could run, and reads the score back.

Only the main process writes (:mod:`.batch` calls the :class:`Recorder` as each student's
worker finishes), so the gradebook has one writer per course (per shard with ``--shard``).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import shutil
import sqlite3
import warnings
from pathlib import Path
from typing import Any

from .course import GradingError, quiet_logger
from .executor import CellInfo, StudentOutcome
from .status import StudentResult
from .submissions import Student, Submission, load_roster


def _gradebook(db_url: str, course_id: str) -> Any:
    """Open nbgrader's gradebook (a context manager that closes it)."""
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


def snapshot_gradebook(db_url: str, dest: Path) -> str:
    """Make a consistent copy of a sqlite gradebook for the workers to read; other databases are read in place.

    The workers' nbgrader sanitizers read the gradebook while the main process writes grades
    into it: they read a copy (made with sqlite's backup API) instead of the file being written.

    Parameters
    ----------
    db_url : str
        The gradebook's database URL.
    dest : Path
        Where to write the copy (sqlite gradebooks only).

    Returns
    -------
    str
        The URL the workers should read: the copy's, or ``db_url`` itself when it is not sqlite.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dlcourse.grading.demo import make_demo_course
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = make_demo_course(root)
    >>> copy_url = snapshot_gradebook(f"sqlite:///{root / 'gradebook.db'}", root / "snapshot.db")
    >>> copy_url.endswith("snapshot.db"), read_assignment(copy_url, "demo", "ps1")[0]
    (True, ['problem1'])
    >>> snapshot_gradebook("postgresql+psycopg://grader@db.example.org/course", root / "unused.db")
    'postgresql+psycopg://grader@db.example.org/course'
    """
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


def load_students(db_url: str, course_id: str, *, roster: Path | None = None,
                  students: list[str] | None = None) -> list[Student]:
    """Return the roster (from a roster file, else the gradebook's students), checked; write nothing.

    Parameters
    ----------
    db_url : str
        The gradebook's database URL.
    course_id : str
        nbgrader's course id.
    roster : Path, optional
        A roster CSV (``--roster``, see :func:`~dlcourse.grading.submissions.load_roster`);
        default: the students in the gradebook.
    students : list of str, optional
        Ids that must be on the roster (``--student``).

    Returns
    -------
    list of Student
        The whole roster (``students`` checks it, it does not select from it).

    Raises
    ------
    GradingError
        No roster at all, or a student of ``students`` is not on it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dlcourse.grading.demo import make_demo_course
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = make_demo_course(root)
    >>> db_url = f"sqlite:///{root / 'gradebook.db'}"
    >>> try:
    ...     load_students(db_url, "demo")
    ... except GradingError as exc:
    ...     print(str(exc).split(":")[0])
    no roster
    >>> save_students(db_url, "demo", [Student("s01", "Ada", "Lovelace"), Student("s02", "Alan", "Turing")])
    >>> [(s.id, s.last_name) for s in load_students(db_url, "demo", students=["s02"])]
    [('s01', 'Lovelace'), ('s02', 'Turing')]
    """
    if roster is not None:
        found = load_roster(roster)
    else:
        with _gradebook(db_url, course_id) as gb:
            found = [Student(s.id, s.first_name or "", s.last_name or "", s.email or "", s.lms_user_id or "")
                     for s in gb.students]
        if not found:
            raise GradingError("no roster: pass --roster FILE.csv (or add students to the gradebook with "
                               "`nbgrader db student import`)")
    if students:
        unknown = sorted(set(students) - {s.id for s in found})
        if unknown:
            raise GradingError(f"not on the roster: {', '.join(unknown)}")
    return found


def save_students(db_url: str, course_id: str, roster: list[Student]) -> None:
    """Add the roster's students to the gradebook, or update their names, e-mail and LMS id.

    Parameters
    ----------
    db_url : str
        The gradebook's database URL.
    course_id : str
        nbgrader's course id.
    roster : list of Student
        The students; empty fields leave what the gradebook has.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dlcourse.grading.demo import make_demo_course
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = make_demo_course(root)
    >>> db_url = f"sqlite:///{root / 'gradebook.db'}"
    >>> save_students(db_url, "demo", [Student("s01", "Ada", email="ada@example.org")])
    >>> save_students(db_url, "demo", [Student("s01", last_name="Lovelace")])
    >>> [(s.first_name, s.last_name, s.email) for s in load_students(db_url, "demo")]
    [('Ada', 'Lovelace', 'ada@example.org')]
    """
    with _gradebook(db_url, course_id) as gb:
        for s in roster:
            kw = {k: v for k, v in (("first_name", s.first_name), ("last_name", s.last_name),
                                    ("email", s.email), ("lms_user_id", s.lms_id)) if v}
            gb.update_or_create_student(s.id, **kw)


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(f"{record.levelname}: {record.getMessage()}")


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
