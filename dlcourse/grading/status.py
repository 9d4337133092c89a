"""What happened to each student's submission: a status and the reasons for it.

Every student on the roster gets exactly one :class:`StudentResult`:

``graded``
    every notebook was found, ran to the end in the sandbox, and nothing needed attention;
``late``
    as ``graded``, but submitted after the due date (nbgrader's late-penalty plugin applies);
``missing``
    nothing was submitted (score 0, said so);
``failed``
    at least one problem needs the instructor's attention; the reasons say which, e.g.
    ``timeout in cell 5 (grade_id test_square)``, ``kernel died in cell 3: memory limit
    (2 GiB) exceeded``, ``invalid notebook``, ``test cells tampered with and restored``,
    ``output truncated``. The score is still what the autograder awarded for what did run
    (a restored test counts with its original code; a cell that never ran scores 0).

Notes that do not change the status (an extra notebook that was ignored, a renamed file
that was matched, cells that need manual grading) are listed with the reasons too.

>>> r = StudentResult("s1", "ps1")
>>> r.add("timeout", "timeout in cell 4 (grade_id t1) after 30 s")
>>> r.add("late", "submitted 3600 s after the due date")
>>> r.finalize()
>>> r.status, r.reason_text()
('failed', 'timeout in cell 4 (grade_id t1) after 30 s; submitted 3600 s after the due date')
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

STATUSES = ("graded", "late", "missing", "failed")

#: The status an export gives a student who submitted but has no grade from ``dlcourse grade
#: run`` (the run failed, was killed, or the work came later); the score is left empty.
NOT_GRADED = "not graded"

#: Reasons that make a result ``failed``.
FAILURES = {
    "invalid_notebook": "the notebook is not a valid .ipynb file",
    "notebook_too_large": "the notebook file is larger than the grader accepts",
    "notebook_missing": "one notebook of the assignment was not submitted (scored 0)",
    "kernel_died": "the kernel died (crash, exit, memory or CPU limit)",
    "timeout": "a cell ran longer than the per-cell timeout",
    "memory_limit": "the memory limit was exceeded",
    "process_limit": "the process-count limit was reached",
    "cpu_limit": "the CPU-time limit was exceeded",
    "output_truncated": "the output was larger than the limit and was cut",
    "output_flood": "a cell printed so much that it was interrupted",
    "tampered_tests": "test cells were edited or deleted (restored from the gradebook before grading)",
    "tampered_execution": "the notebook interfered with how tests run; autograded tests scored 0",
    "tampered_checks": "the notebook replaced functions tests check answers with (numpy.allclose, a built-in, "
                       "...); the originals were put back before each test",
    "kernel_start": "the sandboxed kernel did not start",
    "grader_error": "the grader itself hit an error on this submission",
    "not_on_roster": "a submission from someone not on the roster (not graded)",
}

#: Reasons that are reported but leave the status alone.
NOTES = {
    "missing": "nothing was submitted",
    "late": "submitted after the due date",
    "extra_file_ignored": "a file the assignment does not have was ignored",
    "renamed_notebook": "a notebook with a different file name was matched to the assignment's",
    "metadata_repaired": "nbgrader metadata changed by the student was put back",
    "needs_manual_grade": "some cells need manual grading",
    "unsandboxed": "graded WITHOUT the sandbox (--no-sandbox)",
}


@dataclass
class Reason:
    """One reason for a status, or a note, with the notebook it concerns.

    Examples
    --------
    >>> Reason("timeout", "timeout in cell 4 after 30 s", "ps1").failure
    True
    >>> Reason("late", "submitted 60 s after the due date").failure
    False
    """

    kind: str
    message: str
    notebook: str = ""

    @property
    def failure(self) -> bool:
        """Whether this reason makes the student ``failed``."""
        return self.kind in FAILURES


@dataclass
class StudentResult:
    """One roster student's grading result: status, score and the reasons.

    Examples
    --------
    >>> r = StudentResult("s1", "ps1", score=7.0, max_score=10.0)
    >>> r.add("late", "submitted 60 s after the due date")
    >>> r.finalize()
    >>> r.status, r.has("late"), r.has("timeout")
    ('late', True, False)
    >>> StudentResult.from_dict(r.to_dict()) == r
    True
    """

    student: str
    assignment: str
    status: str = "graded"
    score: float = 0.0
    max_score: float = 0.0
    reasons: list[Reason] = field(default_factory=list)
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    submitted_at: str = ""
    seconds_late: float = 0.0
    seconds: float = 0.0  # wall time spent grading this student

    def add(self, kind: str, message: str, notebook: str = "") -> None:
        """Record a reason of a known ``kind`` (once; duplicates are dropped).

        Parameters
        ----------
        kind : str
            A key of ``FAILURES`` or ``NOTES``; any other raises ``ValueError``.
        message : str
            What happened, in words for the instructor.
        notebook : str, optional
            The notebook the reason concerns ("" for the whole submission).
        """
        if kind not in FAILURES and kind not in NOTES:
            raise ValueError(f"unknown reason kind {kind!r}")
        reason = Reason(kind, message, notebook)
        if reason not in self.reasons:
            self.reasons.append(reason)

    def has(self, kind: str) -> bool:
        """Return whether a reason of this ``kind`` was recorded.

        Parameters
        ----------
        kind : str
            The reason's kind, e.g. ``"late"``.
        """
        return any(r.kind == kind for r in self.reasons)

    def finalize(self, submitted: bool = True) -> None:
        """Set ``status`` from what was recorded: missing > failed > late > graded.

        Parameters
        ----------
        submitted : bool, optional
            False when the student submitted nothing (status ``missing``).
        """
        if not submitted:
            self.status = "missing"
        elif any(r.failure for r in self.reasons):
            self.status = "failed"
        elif self.has("late"):
            self.status = "late"
        else:
            self.status = "graded"

    def reason_text(self) -> str:
        """Return the reasons as one line, each prefixed by its notebook."""
        out = []
        for r in self.reasons:
            prefix = f"{r.notebook}: " if r.notebook else ""
            out.append(prefix + r.message)
        return "; ".join(out)

    def to_dict(self) -> dict:
        """Return the result as a plain dict (JSON-ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> StudentResult:
        """Build a result from :meth:`to_dict`'s output.

        Parameters
        ----------
        data : dict
            A dict as :meth:`to_dict` returns it (reasons as dicts); it is not changed.
        """
        data = dict(data)
        data["reasons"] = [Reason(**r) for r in data.get("reasons", [])]
        return cls(**data)
