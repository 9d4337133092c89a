"""The instructor's grading path: nbgrader autograding that loses nothing and trusts no submission.

``dlcourse grade run ASSIGNMENT --course COURSE --roster roster.csv`` grades a whole class:

* every roster student gets a status -- ``graded``, ``late``, ``missing`` or ``failed`` with
  the reason (timeout in cell X, kernel died, memory limit, invalid notebook, test cells
  tampered with and restored, output truncated, ...), see :mod:`.status`;
* student code runs in a sandbox -- its own user, mount/network/PID/IPC namespaces, an
  allowlisted read-only file system, cgroup and rlimit limits -- while nbgrader and the
  gradebook stay with the instructor, see :mod:`.sandbox`; without root it refuses (or,
  with ``--no-sandbox``, warns on screen and in every result);
* students run in parallel, one sandbox per worker; only the main process writes the
  gradebook, through nbgrader's own ``SaveAutoGrades``, see :mod:`.batch`;
* submissions come from nbgrader's ``submitted/`` or an LMS zip, see :mod:`.submissions`;
* ``--shard K/N`` splits a large class over N machines sharing one PostgreSQL gradebook,
  see :mod:`.shard`;
* ``dlcourse grade feedback`` renders feedback without hidden tests (:mod:`.feedback`) and
  ``dlcourse grade export`` writes a CSV with the status column (:mod:`.export`);
* ``dlcourse grade report`` writes one self-contained HTML page and a CSV on how the class
  did: status counts, score distribution, pass rate, difficulty and discrimination of every
  graded cell, grouped failure messages, students who need a look (statistics in
  :mod:`.report`, the page in :mod:`.report_page`).

The Python API mirrors the command: :func:`grade_assignment` with :class:`GradeOptions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["GradeOptions", "Limits", "Shard", "StudentResult", "export_csv", "generate_feedback", "grade_assignment",
           "write_report"]

if TYPE_CHECKING:  # type checkers and IDEs see the real names; at run time they load lazily
    from .batch import GradeOptions, grade_assignment
    from .export import export_csv
    from .feedback import generate_feedback
    from .report_page import write_report
    from .sandbox import Limits
    from .shard import Shard
    from .status import StudentResult


def __getattr__(name: str) -> Any:  # keep ``import dlcourse.grading`` light: nbgrader loads on use
    """Import a public name the first time it is used (PEP 562)."""
    if name in ("GradeOptions", "grade_assignment"):
        from . import batch

        return getattr(batch, name)
    if name == "Limits":
        from .sandbox import Limits

        return Limits
    if name == "Shard":
        from .shard import Shard

        return Shard
    if name == "StudentResult":
        from .status import StudentResult

        return StudentResult
    if name == "export_csv":
        from .export import export_csv

        return export_csv
    if name == "generate_feedback":
        from .feedback import generate_feedback

        return generate_feedback
    if name == "write_report":
        from .report_page import write_report

        return write_report
    raise AttributeError(f"module 'dlcourse.grading' has no attribute {name!r}")


def __dir__() -> list[str]:
    """Return the public names, loaded or not."""
    return __all__
