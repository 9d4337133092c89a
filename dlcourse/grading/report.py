"""What a class's results say: statistics for ``dlcourse grade report`` (pure functions, no I/O).

The input is a table of per-student, per-cell results (:class:`ClassTable`): one row per
student with their status, total score and reasons, and a matrix of points per graded cell.
:mod:`.report_page` reads that table from a course and renders it; everything here works on
plain data, so the numbers can be checked by hand:

* :func:`status_counts`: graded, late, failed, flagged (tampered with), missing, not graded;
* :func:`item_statistics`: for every graded cell its pass rate (full marks), difficulty
  (proportion of the points earned; for a right/wrong item, the proportion correct) and
  discrimination: the correlation of the item's score with the *rest* of the score (total
  minus the item), which for a right/wrong item is the point-biserial correlation. It is
  undefined (NaN, with the reason) when everyone scored the same on the item or on the rest;
* :func:`normalise_message` and :func:`group_messages`: failure messages that differ only in
  numbers, paths, addresses or quoted values are counted together;
* :func:`needs_a_look`: failed, flagged, late, not graded and low-scoring students.

Only students whose work was graded (status graded, late or failed) count in the item
statistics: a missing student's zeros say nothing about an item.

Examples
--------
>>> import numpy as np
>>> table = ClassTable(
...     rows=[StudentRow("a", "graded", 3.0, 3.0), StudentRow("b", "graded", 1.0, 3.0),
...           StudentRow("c", "missing", 0.0, 3.0)],
...     items=["nb/q1", "nb/q2", "nb/q3"], points=np.array([1.0, 1.0, 1.0]),
...     scores=np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [np.nan, np.nan, np.nan]]))
>>> status_counts(table.rows)["missing"]
1
>>> [round(s.difficulty, 2) for s in item_statistics(table)]
[1.0, 0.5, 0.5]
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

#: Status counts in the order a report shows them. ``flagged`` counts students whose
#: notebook tampered with tests or checking functions (they are also ``failed``).
COUNTED = ("graded", "late", "failed", "flagged", "missing", "not graded")

#: Reason kinds (see :mod:`.status`) that flag a student as having tampered with grading.
TAMPER_KINDS = frozenset({"tampered_tests", "tampered_execution", "tampered_checks"})

#: Statuses whose scores count in the item statistics.
GRADED_STATUSES = frozenset({"graded", "late", "failed"})


@dataclass
class StudentRow:
    """One student's grading outcome, as the export has it.

    Examples
    --------
    >>> row = StudentRow("s01", "failed", 2.0, 5.0, kinds={"tampered_tests"})
    >>> row.flagged, row.fraction
    (True, 0.4)
    """

    student: str
    status: str
    score: float | None  # None: submitted but not graded
    max_score: float
    seconds_late: float = 0.0
    reasons: str = ""
    kinds: set[str] = field(default_factory=set)  # reason kinds recorded by the run (StudentResult.reasons)

    @property
    def flagged(self) -> bool:
        """Whether the run found the notebook tampering with tests or checking functions."""
        return bool(self.kinds & TAMPER_KINDS)

    @property
    def fraction(self) -> float | None:
        """The score as a fraction of the maximum (None when not graded or the maximum is 0)."""
        if self.score is None or not self.max_score:
            return None
        return self.score / self.max_score


@dataclass
class ClassTable:
    """Per-student, per-cell results of one assignment.

    ``scores[i, j]`` is the points student ``rows[i]`` earned on item ``items[j]`` (NaN: no
    score, e.g. nothing submitted or a cell still waiting for a manual grade).

    Examples
    --------
    >>> import numpy as np
    >>> t = ClassTable([StudentRow("a", "graded", 1.0, 2.0)], ["nb/t1", "nb/t2"], np.array([1.0, 1.0]),
    ...                np.array([[1.0, 0.0]]))
    >>> t.scores.shape
    (1, 2)
    """

    rows: list[StudentRow]
    items: list[str]
    points: np.ndarray
    scores: np.ndarray
    autograded: list[bool] | None = None  # per item: a test cell (True) or a manually graded cell

    def __post_init__(self) -> None:
        """Check that the shapes agree (a clear error rather than a wrong statistic)."""
        self.points = np.asarray(self.points, dtype=float)
        self.scores = np.asarray(self.scores, dtype=float)
        if self.points.shape != (len(self.items),):
            raise ValueError(f"points has {self.points.size} values for {len(self.items)} items")
        if self.scores.size == 0:
            self.scores = self.scores.reshape(len(self.rows), len(self.items))
        if self.scores.shape != (len(self.rows), len(self.items)):
            raise ValueError(f"scores has shape {self.scores.shape}, expected (students, items) = "
                             f"({len(self.rows)}, {len(self.items)})")
        if self.autograded is None:
            self.autograded = [True] * len(self.items)
        if len(self.autograded) != len(self.items):
            raise ValueError(f"autograded has {len(self.autograded)} values for {len(self.items)} items")


def status_counts(rows: Iterable[StudentRow]) -> dict[str, int]:
    """Count students per status, plus those flagged for tampering.

    Parameters
    ----------
    rows : iterable of StudentRow
        The class.

    Returns
    -------
    dict
        :data:`COUNTED` -> number of students (a flagged student is also counted as failed).

    Examples
    --------
    >>> status_counts([StudentRow("a", "graded", 5.0, 5.0), StudentRow("b", "failed", 0.0, 5.0,
    ...                                                                  kinds={"tampered_checks"})])
    {'graded': 1, 'late': 0, 'failed': 1, 'flagged': 1, 'missing': 0, 'not graded': 0}
    """
    counts = dict.fromkeys(COUNTED, 0)
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
        counts["flagged"] += row.flagged
    return counts


@dataclass
class ItemStats:
    """The statistics of one graded cell (item) over the graded students.

    Examples
    --------
    >>> ItemStats("nb/t1", 2.0, 10, 1.5, 0.6, 0.75, float("nan"), "everyone scored the same on the rest").defined
    False
    """

    item: str
    points: float
    students: int  # graded students with a score on this item
    mean_score: float
    pass_rate: float  # share with full marks
    difficulty: float  # mean share of the points (proportion correct for a right/wrong item)
    discrimination: float  # correlation with the rest of the score; NaN when undefined
    undefined_because: str = ""
    autograded: bool = True

    @property
    def defined(self) -> bool:
        """Whether the discrimination could be computed."""
        return not math.isnan(self.discrimination)


def item_rest_correlation(item: Sequence[float] | np.ndarray, rest: Sequence[float] | np.ndarray
                          ) -> tuple[float, str]:
    """Pearson correlation of an item's scores with the rest of the score (point-biserial for 0/1 items).

    Parameters
    ----------
    item : array-like of float
        Each student's points on the item (for a right/wrong item, 0 or the item's points).
    rest : array-like of float
        Each student's total minus the item.

    Returns
    -------
    tuple of (float, str)
        The correlation, and ``""``; or NaN and why it is undefined (fewer than three
        students, or no spread in the item or in the rest).

    Examples
    --------
    >>> r, why = item_rest_correlation([1, 1, 0, 0], [3, 2, 1, 0])
    >>> round(r, 4), why
    (0.8944, '')
    >>> item_rest_correlation([1, 1, 1], [3, 2, 1])
    (nan, 'everyone scored the same on this item')
    """
    x = np.asarray(item, dtype=float)
    y = np.asarray(rest, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"item and rest differ in length ({x.size} and {y.size})")
    if x.size < 3:
        return math.nan, f"only {x.size} graded student(s); at least 3 are needed"
    # a spread far below the scores' own rounding counts as none (floating-point sums of points)
    if np.ptp(x) <= 1e-9 * max(1.0, float(np.abs(x).max())):
        return math.nan, "everyone scored the same on this item"
    if np.ptp(y) <= 1e-9 * max(1.0, float(np.abs(y).max())):
        return math.nan, "everyone scored the same on the rest of the assignment"
    dx, dy = x - x.mean(), y - y.mean()
    r = float((dx @ dy) / math.sqrt(float(dx @ dx) * float(dy @ dy)))
    return max(-1.0, min(1.0, r)), ""


def item_statistics(table: ClassTable) -> list[ItemStats]:
    """Pass rate, difficulty and discrimination of every item, over the graded students.

    Parameters
    ----------
    table : ClassTable
        The class; rows whose status is not in :data:`GRADED_STATUSES` are left out, and
        so is a student's NaN on an item (the rest of their score counts the items they have).

    Returns
    -------
    list of ItemStats
        In the table's item order.

    Examples
    --------
    Three graded students: everyone passes ``t1`` (discrimination undefined); ``t2`` and
    ``t3`` are passed by the students with more of the rest:

    >>> import numpy as np
    >>> rows = [StudentRow(s, "graded", 0.0, 3.0) for s in "abc"]
    >>> t = ClassTable(rows, ["nb/t1", "nb/t2", "nb/t3"], np.ones(3),
    ...                np.array([[1, 1, 1], [1, 0, 1], [1, 0, 0]]))
    >>> [(s.item, round(s.pass_rate, 3), round(s.discrimination, 3)) for s in item_statistics(t)]
    [('nb/t1', 1.0, nan), ('nb/t2', 0.333, 0.5), ('nb/t3', 0.667, 0.5)]
    """
    keep = np.array([row.status in GRADED_STATUSES for row in table.rows], dtype=bool)
    scores = table.scores[keep] if table.rows else table.scores
    out = []
    autograded = table.autograded or [True] * len(table.items)
    for j, name in enumerate(table.items):
        has = ~np.isnan(scores[:, j])
        item = scores[has, j]
        rest = np.nansum(np.delete(scores[has], j, axis=1), axis=1)
        points = float(table.points[j])
        n = int(has.sum())
        if n:
            mean = float(item.mean())
            passed = float(np.mean(item >= points - 1e-9))
            difficulty = mean / points if points else math.nan
        else:
            mean = passed = difficulty = math.nan
        r, why = item_rest_correlation(item, rest)
        out.append(ItemStats(name, points, n, mean, passed, difficulty, r, why, bool(autograded[j])))
    return out


_NORMALISERS = [
    (re.compile(r"\x1b\[[0-9;]*[A-Za-z]"), ""),  # terminal colours
    (re.compile(r"0x[0-9a-fA-F]+"), "<addr>"),  # memory addresses
    (re.compile(r"(?:[A-Za-z]:)?(?:[\w.~-]*[/\\])+[\w.-]+"), "<path>"),  # file paths (POSIX or Windows)
    (re.compile(r"'[^'\n]*'|\"[^\"\n]*\""), "'…'"),  # quoted values (names, strings)
    (re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"), "<n>"),  # numbers
    (re.compile(r"\s+"), " "),
]


def normalise_message(message: str) -> str:
    """Return a failure message with numbers, paths, addresses and quoted values replaced by placeholders.

    Messages that differ only there (``timeout in cell 4 after 30 s`` and ``... cell 7 ...``)
    then read the same and are counted as one kind of failure.

    Parameters
    ----------
    message : str
        A message as the grader or a test wrote it.

    Returns
    -------
    str
        The message, stripped, on one line.

    Examples
    --------
    >>> normalise_message("AssertionError: expected 0.25, got -1.5e-3")
    'AssertionError: expected <n>, got <n>'
    >>> normalise_message("FileNotFoundError: [Errno 2] No such file: '/home/ada/data.csv'")
    "FileNotFoundError: [Errno <n>] No such file: '…'"
    >>> normalise_message("cannot open /tmp/x1/data.npz at 0x7f3a9c")
    'cannot open <path> at <addr>'
    """
    text = message
    for pattern, repl in _NORMALISERS:
        text = pattern.sub(repl, text)
    return text.strip()


@dataclass
class MessageGroup:
    """Failure messages that normalise to the same text.

    Examples
    --------
    >>> g = MessageGroup("AssertionError: got <n>", ["s1", "s2"], ["nb/t1"], "AssertionError: got 3", 2)
    >>> g.count
    2
    """

    pattern: str
    students: list[str]
    where: list[str]
    example: str
    count: int  # messages in the group (a student may contribute several)


def group_messages(entries: Iterable[tuple[str, str, str]]) -> list[MessageGroup]:
    """Group failure messages by their normalised text, most frequent first.

    Parameters
    ----------
    entries : iterable of (str, str, str)
        ``(student, where, message)``: who, which cell or step, and the message.

    Returns
    -------
    list of MessageGroup
        Sorted by the number of students, then messages, then text.

    Examples
    --------
    >>> groups = group_messages([("s1", "nb/t1", "timeout in cell 4 after 30 s"),
    ...                          ("s2", "nb/t1", "timeout in cell 7 after 30 s"),
    ...                          ("s2", "nb/t2", "NameError: name 'mean' is not defined")])
    >>> [(g.pattern, g.students, g.count) for g in groups]
    [('timeout in cell <n> after <n> s', ['s1', 's2'], 2), ("NameError: name '…' is not defined", ['s2'], 1)]
    """
    found: dict[str, MessageGroup] = {}
    for student, where, message in entries:
        key = normalise_message(message)
        if not key:
            continue
        group = found.setdefault(key, MessageGroup(key, [], [], message.strip(), 0))
        group.count += 1
        if student not in group.students:
            group.students.append(student)
        if where and where not in group.where:
            group.where.append(where)
    for group in found.values():
        group.students.sort()
        group.where.sort()
    return sorted(found.values(), key=lambda g: (-len(g.students), -g.count, g.pattern))


def needs_a_look(rows: Iterable[StudentRow], *, low_score: float = 0.5) -> list[tuple[StudentRow, list[str]]]:
    """List the students an instructor should look at, and why.

    Parameters
    ----------
    rows : iterable of StudentRow
        The class.
    low_score : float, optional
        A graded student below this fraction of the maximum is listed as ``low score``.

    Returns
    -------
    list of (StudentRow, list of str)
        Flagged and failed students first, then not graded, late and low scores; within
        each, by student id.

    Examples
    --------
    >>> rows = [StudentRow("a", "graded", 5.0, 5.0), StudentRow("b", "late", 1.0, 5.0, 7200.0),
    ...         StudentRow("c", "failed", 3.0, 5.0, reasons="timeout in cell 3")]
    >>> [(r.student, why) for r, why in needs_a_look(rows)]
    [('c', ['failed: timeout in cell 3']), ('b', ['late (2.0 h)', 'low score (1 of 5)'])]
    """
    if not 0 <= low_score <= 1:
        raise ValueError(f"low_score is a fraction of the maximum score, between 0 and 1 (got {low_score})")
    found = []
    for row in rows:
        why: list[tuple[int, str]] = []  # (rank, text): the most urgent reason decides the order
        if row.flagged:
            why.append((0, "flagged: the notebook tampered with tests or checking functions"))
        if row.status == "failed":
            why.append((1, "failed" + (f": {row.reasons}" if row.reasons else "")))
        if row.status == "not graded":
            why.append((2, "not graded" + (f": {row.reasons}" if row.reasons else "")))
        if row.status == "late":
            why.append((3, f"late ({row.seconds_late / 3600:.1f} h)"))
        fraction = row.fraction
        if row.status in GRADED_STATUSES and fraction is not None and fraction < low_score:
            why.append((4, f"low score ({row.score:g} of {row.max_score:g})"))
        if why:
            found.append((why[0][0], row.student, row, [text for _, text in why]))
    return [(row, texts) for _, _, row, texts in sorted(found, key=lambda f: f[:2])]


__all__ = ["COUNTED", "GRADED_STATUSES", "TAMPER_KINDS", "ClassTable", "ItemStats", "MessageGroup", "StudentRow",
           "group_messages", "item_rest_correlation", "item_statistics", "needs_a_look", "normalise_message",
           "status_counts"]
