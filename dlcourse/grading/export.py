"""Export grades to CSV with the grading status of every student.

Scores come from the gradebook at export time, so manual grades entered later in
nbgrader's formgrader are included; the status and reasons come from the last
``dlcourse grade run`` (see :mod:`.course`). Whether a student handed anything in is
decided from ``submitted/`` (where an LMS import also lands), never from the absence of a
grade:

* a student with nothing in ``submitted/`` is ``missing`` (score 0);
* a student who submitted but has no grade from a ``dlcourse grade run`` (the run failed,
  was killed, or the work arrived after it) is ``not graded``, with the reason, and an
  **empty** score;
* a student graded by plain ``nbgrader autograde`` is ``graded`` with a note saying so.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path
from typing import Any

from .course import last_run_problem, load_course_config, load_results, quiet_logger, read_run_state
from .status import NOT_GRADED, StudentResult

COLUMNS = ["student_id", "first_name", "last_name", "email", "assignment", "status", "score", "max_score",
           "seconds_late", "submitted_at", "needs_manual_grade", "reasons"]


def _not_graded_reason(course_root: Path, assignment: str, after_run: bool) -> str:
    if after_run:
        return "submitted after the last `dlcourse grade run`; not graded yet"
    run = read_run_state(course_root, assignment)
    if run is None:
        return "submitted; not graded yet (no `dlcourse grade run` has graded this assignment)"
    if run.state == "finished":
        return "submitted; not graded by the last run"
    what = {"failed": "failed", "interrupted": "did not finish", "running": "is still running"}[run.state]
    return f"submitted; not graded: the last `dlcourse grade run` {what}: {run.reason or 'no reason recorded'}"


def export_rows(course_root: Path, assignment: str) -> list[dict[str, Any]]:
    """One row per student (the gradebook's students and anyone graded or submitted).

    Parameters
    ----------
    course_root : Path
        The nbgrader course folder.
    assignment : str
        The assignment to export.

    Returns
    -------
    list of dict
        Rows keyed by :data:`COLUMNS`; ``score`` is None for a ``not graded`` student.

    Raises
    ------
    ValueError
        If the assignment is not in the gradebook.

    Examples
    --------
    A demo course (:mod:`.demo`) with one submission that no run has graded yet:

    >>> import tempfile, pathlib
    >>> from dlcourse.grading.demo import make_demo_course, student_notebook, submit
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = submit(root, "s01", student_notebook(make_demo_course(root)))
    >>> [(r["student_id"], r["status"], r["score"]) for r in export_rows(root, "ps1")]
    [('s01', 'not graded', None)]
    """
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.coursedir import CourseDirectory

    from .submissions import Student, find_submissions

    root = Path(course_root).resolve()
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")  # alembic
    config = load_course_config(root)
    coursedir = CourseDirectory(config=config, log=quiet_logger("coursedir"))
    saved = {sid: StudentResult.from_dict(r) for sid, r in load_results(root, assignment).items()}
    submitted_dir = Path(coursedir.format_path(coursedir.submitted_directory, ".", ".")).resolve()
    rows = []
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            a = gb.find_assignment(assignment)
        except MissingEntry:
            raise ValueError(f"assignment {assignment!r} is not in the gradebook") from None
        max_score = float(a.max_score)
        notebooks = sorted(nb.name for nb in a.notebooks)
        ids = [s.id for s in gb.students]
        ids += [sid for sid in saved if sid not in ids]
        subs, strangers = find_submissions(submitted_dir, assignment, [Student(i) for i in ids], notebooks)
        ids += [sid for sid in strangers if sid not in ids]
        for sid in ids:
            res = saved.get(sid)
            handed_in = sid in strangers or subs[sid].submitted_anything
            try:
                student = gb.find_student(sid)
                names = (student.first_name or "", student.last_name or "", student.email or "")
            except MissingEntry:
                names = (res.first_name, res.last_name, res.email) if res else ("", "", "")
            row = dict(zip(COLUMNS, [sid, *names, assignment, "", 0.0, max_score, 0.0, "", 0, ""]))
            try:
                sub = gb.find_submission(assignment, sid)
            except MissingEntry:
                sub = None
            if sub is not None:
                row["score"] = float(sub.score)
                row["seconds_late"] = float(sub.total_seconds_late)
                row["submitted_at"] = sub.timestamp.isoformat(sep=" ") if sub.timestamp else ""
                row["needs_manual_grade"] = int(bool(sub.needs_manual_grade))
            if res is not None and not (res.status == "missing" and handed_in):
                row["status"] = res.status
                row["reasons"] = res.reason_text()
                if res.status == "missing":
                    row["score"] = 0.0
            elif not handed_in:
                row["status"] = "missing"
                row["score"] = 0.0
                row["reasons"] = "nothing submitted"
            elif sub is not None and res is None:
                row["status"] = "graded"
                row["reasons"] = "graded outside dlcourse grade (no status recorded)"
            else:
                row["status"] = NOT_GRADED
                row["score"] = None
                row["reasons"] = _not_graded_reason(root, assignment, after_run=res is not None)
            rows.append(row)
    return rows


def export_csv(course_root: Path, assignment: str, dest: Path) -> Path:
    """Write the grades of ``assignment`` to ``dest`` (CSV, one row per student).

    Parameters
    ----------
    course_root : Path
        The nbgrader course folder.
    assignment : str
        The assignment to export.
    dest : Path
        The CSV file to write (replaced atomically).

    Returns
    -------
    Path
        ``dest``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dlcourse.grading.demo import make_demo_course, student_notebook, submit
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = submit(root, "s01", student_notebook(make_demo_course(root)))
    >>> path = export_csv(root, "ps1", root / "grades.csv")
    >>> path.read_text().splitlines()[1].split(",")[:6]
    ['s01', '', '', '', 'ps1', 'not graded']
    """
    rows = export_rows(course_root, assignment)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:g}" if isinstance(v, float) else "" if v is None else v)
                             for k, v in row.items()})
    tmp.replace(dest)
    return dest


__all__ = ["COLUMNS", "export_csv", "export_rows", "last_run_problem"]
