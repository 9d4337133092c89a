"""Export grades to CSV with the grading status of every student.

Scores come from the gradebook at export time, so manual grades entered later in
nbgrader's formgrader are included; the status and reasons come from the last
``dlcourse grade`` run (``dlcourse_grading/<assignment>/results.json``). Students who are
in the gradebook but were never graded for the assignment are exported as ``missing``.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

COLUMNS = ["student_id", "first_name", "last_name", "email", "assignment", "status", "score", "max_score",
           "seconds_late", "submitted_at", "needs_manual_grade", "reasons"]


def load_results(course_root: Path, assignment: str) -> dict:
    from .batch import RESULTS_DIR

    path = Path(course_root) / RESULTS_DIR / assignment / "results.json"
    if not path.exists():
        return {"results": []}
    return json.loads(path.read_text())


def export_rows(course_root: Path, assignment: str) -> list[dict]:
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.coursedir import CourseDirectory

    from .batch import _quiet_logger, load_course_config
    from .status import StudentResult

    root = Path(course_root).resolve()
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    config = load_course_config(root)
    coursedir = CourseDirectory(config=config, log=_quiet_logger("coursedir"))
    saved = {r["student"]: StudentResult.from_dict(r) for r in load_results(root, assignment)["results"]}
    rows = []
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            a = gb.find_assignment(assignment)
        except MissingEntry:
            raise ValueError(f"assignment {assignment!r} is not in the gradebook") from None
        max_score = float(a.max_score)
        ids = [s.id for s in gb.students]
        for sid in list(saved):
            if sid not in ids:
                ids.append(sid)
        for sid in ids:
            res = saved.get(sid)
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
            if res is not None:
                row["status"] = res.status
                row["reasons"] = res.reason_text()
                if res.status == "missing":
                    row["score"] = 0.0
            elif sub is None:
                row["status"] = "missing"
                row["reasons"] = "nothing submitted (not graded by dlcourse grade)"
            else:
                row["status"] = "graded"
                row["reasons"] = "graded outside dlcourse grade (no status recorded)"
            rows.append(row)
    return rows


def export_csv(course_root: Path, assignment: str, dest: Path) -> Path:
    """Write the grades of ``assignment`` to ``dest`` (CSV, one row per student); returns ``dest``."""
    rows = export_rows(course_root, assignment)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:g}" if isinstance(v, float) else v) for k, v in row.items()})
    tmp.replace(dest)
    return dest
