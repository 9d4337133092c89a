"""Run one student's notebooks: check, sanitize with nbgrader, execute in the sandbox.

This is the part of grading that runs in parallel (one worker process per CPU, one sandbox
per kernel, see :mod:`.pool`). It never writes the gradebook: it returns the executed
notebooks and the reasons found, and the main process records grades serially with
nbgrader's own ``SaveAutoGrades`` (see :class:`~dlcourse.grading.gradebook.Recorder`).

:func:`run_notebook` grades one notebook, one step per function (its docstring lists them).

What it adds to nbgrader's ``Execute``:

* the notebook is read defensively (size limit, no symlinks, JSON and nbformat checked);
* nbgrader metadata the student changed is put back from the gradebook, duplicated or
  invented grade ids are dropped, edited or deleted test cells are noticed (and nbgrader's
  ``OverwriteCells`` restores them, ``add_missing_cells`` on);
* every autograded test cell is followed by a *canary* cell that must fail with a random
  message; a notebook that hooks IPython to skip or swallow test code makes the canary
  pass and is marked ``tampered_execution`` (its autograded tests score 0);
* a test cell scores from the kernel's ``execute_reply``: an error reply puts the error
  first (an ``execute_result`` printed earlier by student code cannot turn it into
  partial credit), and a test cell that never ran gets an error instead of nbgrader's
  default full marks for a cell without output;
* timeouts, a dead kernel, limits reached and output floods become reasons; output is
  capped in bytes while it arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import re
import secrets
import signal
import stat
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import nbformat
from nbformat.notebooknode import NotebookNode, from_dict

from . import guard
from .sandbox import human_size
from .status import Reason

if TYPE_CHECKING:
    from .sandbox import Limits, Workspace

SIGNAL_NAMES = {4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM",
                24: "SIGXCPU", 25: "SIGXFSZ"}

#: Student files never copied into the kernel's folder (they would configure the kernel itself).
IGNORED_FILES = re.compile(r"(^|/)(\.ipython|\.jupyter|\.ipynb_checkpoints|__pycache__)(/|$)|"
                           r"(^|/)(ipython|ipython_kernel|jupyter)[\w-]*_config\.(py|json)$|"
                           r"(^|/)(sitecustomize|usercustomize)\.py$|(^|/)timestamp\.txt$")


@dataclass
class CellInfo:
    """One nbgrader cell as the gradebook knows it.

    Examples
    --------
    >>> CellInfo("test_square", "code", locked=True, source="assert square(3) == 9", grade=True).autograded_test
    True
    """

    grade_id: str
    cell_type: str
    locked: bool
    source: str
    grade: bool = False
    solution: bool = False
    task: bool = False
    points: float = 0.0

    @property
    def autograded_test(self) -> bool:
        """Whether nbgrader scores this cell as a test (a graded code cell that is not a solution)."""
        return self.grade and not self.solution and self.cell_type == "code"


@dataclass
class RunSettings:
    """Everything a worker needs that is the same for every student of the run.

    Examples
    --------
    >>> import os, sys, tempfile
    >>> from dlcourse.grading.sandbox import Isolation, Limits, Workspace
    >>> ws = Workspace(Isolation(False, "example"), Limits(), sys.executable, protected=[])
    >>> settings = RunSettings(assignment="ps1", db_url="sqlite://", config={}, cells={}, limits=Limits(),
    ...                        workspace=ws, kernel_python=sys.executable)
    >>> settings.cell_timeout, settings.hidden_markers
    (30, ('BEGIN HIDDEN TESTS', 'END HIDDEN TESTS'))
    >>> ws.close()
    """

    assignment: str
    db_url: str  # a read-only snapshot of the gradebook for nbgrader's sanitizers
    config: dict  # the course's nbgrader configuration
    cells: dict[str, dict[str, CellInfo]]  # notebook -> grade_id -> cell
    limits: Limits
    workspace: Workspace  # unsandboxed runs have one too (its isolation says so)
    kernel_python: str
    sandboxed: bool = True
    cell_timeout: int = 30
    startup_timeout: int = 60
    max_notebook_bytes: int = 20 << 20
    max_file_bytes: int = 50 << 20
    hidden_markers: tuple[str, str] = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")  # the course's delimiters
    slot: int = 0  # the worker's index: without cgroups each worker's kernels run as a user of their own


@dataclass
class StudentJob:
    """One student's notebooks to grade, sent to a worker.

    Examples
    --------
    >>> StudentJob("s01", {"problem1": "submitted/s01/ps1/problem1.ipynb", "problem2": None}).workdir_files
    []
    """

    student: str
    notebooks: dict[str, str | None]  # canonical notebook name -> submitted file (None: missing)
    workdir_files: list[tuple[str, str]] = field(default_factory=list)  # (source path, relative path)
    renamed: dict[str, str] = field(default_factory=dict)  # canonical -> original file name


@dataclass
class NotebookOutcome:
    """What grading one notebook gave: the executed notebook (JSON), reasons, kernel report, time.

    Examples
    --------
    >>> NotebookOutcome("problem1").notebook is None
    True
    """

    name: str
    notebook: str | None = None  # the executed, sanitized notebook (JSON), None if it could not run
    reasons: list[Reason] = field(default_factory=list)
    kernel: dict = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class StudentOutcome:
    """What grading one student gave, one :class:`NotebookOutcome` per notebook.

    Examples
    --------
    >>> StudentOutcome("s01", {"problem1": NotebookOutcome("problem1")}).error
    ''
    """

    student: str
    notebooks: dict[str, NotebookOutcome] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""  # the worker itself failed (a bug); the student is reported as failed


# --------------------------------------------------------------------------- reading


class NotebookRejected(Exception):
    """A submitted notebook that cannot be graded; ``kind`` is the reason's kind.

    Examples
    --------
    >>> NotebookRejected("notebook_too_large", "the notebook is 30 MB; the limit is 20 MB").kind
    'notebook_too_large'
    """

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def read_submitted_notebook(path: str, max_bytes: int) -> NotebookNode:
    """Read a student's notebook without trusting it: no symlinks, bounded size, valid JSON and nbformat.

    Parameters
    ----------
    path : str
        The submitted file.
    max_bytes : int
        A larger file is rejected unread.

    Returns
    -------
    nbformat.NotebookNode
        The notebook (nbformat 4, normalized when the schema allows).

    Raises
    ------
    NotebookRejected
        With ``kind`` ``invalid_notebook`` or ``notebook_too_large`` and the reason.

    Examples
    --------
    >>> import os, tempfile
    >>> broken = os.path.join(tempfile.mkdtemp(), "problem1.ipynb")
    >>> _ = open(broken, "w").write('{"cells": [')
    >>> try:
    ...     read_submitted_notebook(broken, max_bytes=20 << 20)
    ... except NotebookRejected as exc:
    ...     print(exc.kind, "-", exc)
    invalid_notebook - invalid notebook: not valid JSON: Expecting value at line 1 column 12 (the file looks truncated)
    """
    if os.path.islink(path):
        raise NotebookRejected("invalid_notebook", "the notebook is a symbolic link; links are never followed")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise NotebookRejected("invalid_notebook", f"cannot open the notebook ({exc.strerror})") from exc
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise NotebookRejected("invalid_notebook", "the notebook is not a regular file")
        if st.st_size > max_bytes:
            raise NotebookRejected("notebook_too_large",
                                   f"the notebook is {st.st_size} bytes; the limit is {max_bytes}")
        raw = fh.read(max_bytes + 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookRejected("invalid_notebook", f"invalid notebook: not UTF-8 text ({exc.reason} at byte "
                                                   f"{exc.start})") from exc
    if not text.strip():
        raise NotebookRejected("invalid_notebook", "invalid notebook: the file is empty")
    try:
        data = json.loads(text)
    except RecursionError:
        raise NotebookRejected("invalid_notebook", "invalid notebook: JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        hint = " (the file looks truncated)" if not text.rstrip().endswith("}") else ""
        raise NotebookRejected("invalid_notebook", f"invalid notebook: not valid JSON: {exc.msg} at line "
                                                   f"{exc.lineno} column {exc.colno}{hint}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        raise NotebookRejected("invalid_notebook", "invalid notebook: JSON without a list of cells")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. duplicate cell ids, which nbformat corrects
            nb = nbformat.reads(text, as_version=4)
    except (Exception, RecursionError) as exc:
        raise NotebookRejected("invalid_notebook", f"invalid notebook: {type(exc).__name__}: "
                                                   f"{str(exc).splitlines()[0][:200]}") from exc
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError:
        try:
            from nbformat.validator import normalize

            _, fixed = normalize(nb)
            nb = from_dict(fixed)
            nbformat.validate(nb)
        except Exception as exc:
            first = str(exc).splitlines()[0][:200]
            raise NotebookRejected("invalid_notebook", f"invalid notebook: fails the nbformat schema: {first}") from exc
    return nb


# --------------------------------------------------------------------------- sanitizing


def _norm(src: str) -> str:
    return "\n".join(line.rstrip() for line in src.strip().splitlines())


def visible_source(source: str, begin: str = "BEGIN HIDDEN TESTS", end: str = "END HIDDEN TESTS") -> str:
    r"""Return the source without its hidden-test region (what the student was given).

    Parameters
    ----------
    source : str
        A cell's source.
    begin, end : str, optional
        The course's hidden-test delimiters.

    Examples
    --------
    >>> print(visible_source("assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 4\n### END HIDDEN TESTS"))
    assert f(1) == 1
    """
    out, hidden = [], False
    for line in source.split("\n"):
        if begin in line:
            hidden = True
        elif end in line:
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out)


def repair_metadata(nb: NotebookNode, cells: dict[str, CellInfo], name: str,
                    markers: tuple[str, str] = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")) -> list[Reason]:
    """Put nbgrader metadata back as the gradebook has it; report edited and deleted test cells.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The student's notebook, changed in place.
    cells : dict
        grade_id -> :class:`CellInfo` of this notebook, from the gradebook.
    name : str
        The notebook's name, for the reasons.
    markers : tuple of str, optional
        The course's hidden-test delimiters: a test cell equal to the released version
        (hidden region removed) is not an edit.

    Returns
    -------
    list of Reason
        ``tampered_tests`` and ``metadata_repaired`` findings.

    Examples
    --------
    A student edits one test of the demo notebook (:mod:`.demo`) and deletes the other:

    >>> from dlcourse.grading.demo import source_notebook
    >>> nb = source_notebook()
    >>> def info(cell):  # what the gradebook holds of a cell
    ...     md = cell.metadata.nbgrader
    ...     return CellInfo(md["grade_id"], cell.cell_type, md["locked"], cell.source, grade=md["grade"],
    ...                     solution=md["solution"], points=md.get("points", 0.0))
    >>> cells = {c.metadata.nbgrader["grade_id"]: info(c) for c in nb.cells}
    >>> nb.cells[2].source = "assert True"
    >>> del nb.cells[4]
    >>> for reason in repair_metadata(nb, cells, "problem1"):
    ...     print(reason.kind, "-", reason.message)
    tampered_tests - test cell 'test_square' was edited; restored from the gradebook before grading
    tampered_tests - test cell 'test_mean' was deleted; restored from the gradebook before grading
    """
    def visible(src: str) -> str:
        return visible_source(src, *markers)

    reasons: list[Reason] = []
    # a grade id claimed by several cells: keep the copy with the original source (else the last)
    claims: dict[str, list[int]] = {}
    for i, cell in enumerate(nb.cells):
        md = cell.metadata.get("nbgrader")
        gid = md.get("grade_id") if isinstance(md, dict) else None
        if isinstance(gid, str) and gid in cells:
            claims.setdefault(gid, []).append(i)
    keepers: dict[str, int] = {}
    info: CellInfo | None
    for gid, idxs in claims.items():
        info = cells[gid]
        same = [i for i in idxs if _norm(nb.cells[i].source) in (_norm(info.source), _norm(visible(info.source)))]
        keepers[gid] = (same or idxs)[-1]
    seen: set[str] = set()
    for i, cell in enumerate(nb.cells):
        md = cell.metadata.get("nbgrader")
        if md is None:
            continue
        gid = md.get("grade_id") if isinstance(md, dict) else None
        info = cells.get(gid) if isinstance(gid, str) else None
        if info is None or keepers.get(cast(str, gid)) != i:
            del cell.metadata["nbgrader"]
            why = "a duplicate of" if info is not None else "unknown to the gradebook:"
            reasons.append(Reason("metadata_repaired", f"cell {i + 1} claimed nbgrader metadata ({why} "
                                                       f"{gid!r}); graded as an ordinary cell", name))
            continue
        seen.add(cast(str, gid))
        want = {"grade": info.grade, "solution": info.solution, "locked": info.locked, "task": info.task,
                "grade_id": gid, "schema_version": 3}
        if info.grade:
            want["points"] = info.points
        changed = [k for k, v in want.items() if k != "schema_version" and md.get(k, False) != v]
        if changed:
            reasons.append(Reason("metadata_repaired", f"nbgrader metadata of cell {gid!r} was changed "
                                                       f"({', '.join(changed)}); put back", name))
        keep = {k: v for k, v in md.items() if k in ("checksum", "cell_type")}
        cell.metadata["nbgrader"] = from_dict({**keep, **want})
        if changed and info.autograded_test:
            reasons[-1] = Reason("tampered_tests", f"nbgrader metadata of test cell {gid!r} was changed "
                                                   f"({', '.join(changed)}); put back before grading", name)
        if info.locked and info.autograded_test:
            mine = _norm(cell.source if cell.cell_type == info.cell_type else "\0changed type")
            if mine not in (_norm(visible(info.source)), _norm(info.source)):
                reasons.append(Reason("tampered_tests", f"test cell {gid!r} was edited; restored from the "
                                                        "gradebook before grading", name))
        elif info.locked and _norm(cell.source) not in (_norm(info.source), _norm(visible(info.source))):
            reasons.append(Reason("metadata_repaired", f"locked cell {gid!r} was edited; restored", name))
    for gid, info in cells.items():
        if gid not in seen and info.autograded_test:
            reasons.append(Reason("tampered_tests", f"test cell {gid!r} was deleted; restored from the "
                                                    "gradebook before grading", name))
        elif gid not in seen and info.grade:
            reasons.append(Reason("metadata_repaired", f"graded cell {gid!r} was deleted; added back", name))
    return reasons


def normalize_test_outputs(cell: NotebookNode, reply: dict | None, tampered: bool = False,
                           not_run_reason: str | None = None) -> None:
    r"""Make an autograded test cell's outputs tell the truth of its ``execute_reply``.

    nbgrader scores a test cell from its outputs: the first ``error`` gives 0, the first
    ``execute_result`` gives partial credit (a non-number gives full marks), no output gives
    full marks. Student code can print an ``execute_result`` before the error (with
    ``get_ipython().displayhook``), and a cell that never ran has no output at all.

    Parameters
    ----------
    cell : nbformat.NotebookNode
        An autograded test cell after execution; its outputs are changed in place.
    reply : dict or None
        ``{"status", "ename", "evalue"}`` of its ``execute_reply`` (None: it never ran).
    tampered : bool, optional
        The test did not run as written (see :class:`GraderCells`): it gets one error.
    not_run_reason : str, optional
        Why a test that never ran did not, for its ``TestNotRun`` error.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_output
    >>> cell = new_code_cell("assert square(3) == 9")
    >>> cell.outputs = [new_output("execute_result", data={"text/plain": "'passed'"}),
    ...                 new_output("error", ename="AssertionError", evalue="", traceback=[])]
    >>> normalize_test_outputs(cell, {"status": "error", "ename": "AssertionError", "evalue": ""})
    >>> [o.output_type for o in cell.outputs]
    ['error', 'execute_result']
    >>> never_ran = new_code_cell("assert square(3) == 9")
    >>> normalize_test_outputs(never_ran, None, not_run_reason="the kernel died before this test ran")
    >>> never_ran.outputs[0].ename
    'TestNotRun'

    A test that did not raise keeps its points even when the code it called wrote to stderr
    (plain nbgrader scores any stderr line as a failure): such output is kept as ordinary text.

    >>> warned = new_code_cell("assert abs(f(2) - 4) < 1e-9")
    >>> warned.outputs = [new_output("stream", name="stderr", text="UserWarning: slow path\n")]
    >>> normalize_test_outputs(warned, {"status": "ok"})
    >>> [(o.output_type, o.name) for o in warned.outputs]
    [('stream', 'stdout')]
    """
    outputs = list(cell.get("outputs", []))
    if tampered:
        cell.outputs = [_error_output("TamperingDetected", "test execution was interfered with; see the grader's "
                                                           "reasons")]
    elif reply is None:
        cell.outputs = outputs + [_error_output("TestNotRun", not_run_reason or "this test did not run")]
    elif reply["status"] != "ok":
        errors = [o for o in outputs if o.get("output_type") == "error"]
        if not errors:
            errors = [_error_output(reply.get("ename") or "Error", reply.get("evalue", ""))]
        cell.outputs = errors + [o for o in outputs if o.get("output_type") != "error"]
    else:
        # it did not raise: stderr text (warnings, logs) and tracebacks the code printed and
        # caught itself are output, not failures (nbgrader would score either as 0)
        outputs = [_as_text(o) if _counts_as_failure(o) else o for o in outputs]
        results = [i for i, o in enumerate(outputs) if o.get("output_type") == "execute_result"]
        if len(results) > 1:  # only the cell's own last expression counts
            outputs = [o for i, o in enumerate(outputs) if i not in set(results[:-1])]
        cell.outputs = outputs


def _counts_as_failure(output: NotebookNode) -> bool:
    kind = output.get("output_type")
    return kind == "error" or (kind == "stream" and output.get("name") == "stderr")


def _as_text(output: NotebookNode) -> NotebookNode:
    if output.get("output_type") == "error":
        text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", "\n".join(output.get("traceback", []))) + "\n"
    else:
        text = output.get("text", "")
    return nbformat.v4.new_output("stream", name="stdout", text=text)


@dataclass
class GraderCells:
    """Where :func:`add_grader_cells` put the grader's own cells, and how to read their replies.

    Attributes
    ----------
    numbering : dict
        Index in the executed notebook -> the cell number the student sees (1-based).
    tests : set of int
        Indices of the autograded test cells.
    canaries : dict
        Index -> nonce of the canary after each test (it must fail with exactly that message).
    guards : dict
        Index -> marker of the guard before each test (see :mod:`.guard`).

    Examples
    --------
    >>> cells = GraderCells()
    >>> cells.grader_cells, cells.check({}, str)
    ({0}, ([], []))
    """

    numbering: dict[int, int] = field(default_factory=dict)
    tests: set[int] = field(default_factory=set)
    canaries: dict[int, str] = field(default_factory=dict)
    guards: dict[int, str] = field(default_factory=dict)

    @property
    def grader_cells(self) -> set[int]:
        """Indices of every cell the grader added (removed again before grades are recorded)."""
        return {0} | set(self.canaries) | set(self.guards)

    def check(self, replies: dict[int, dict], label: Callable[[int], str]) -> tuple[list[int], list[Reason]]:
        """Read the canaries' and guards' replies.

        Parameters
        ----------
        replies : dict
            Cell index -> ``{"status", "ename", "evalue"}`` of every cell that ran.
        label : callable
            Cell index -> how the reasons name that cell (``cell 4 (grade_id test_mean)``).

        Returns
        -------
        tuple
            ``(tampered, reasons)``: indices of the cells after tests that did not run as
            written (sorted), and the reasons to report.
        """
        tampered = []
        for idx, nonce in self.canaries.items():
            rep = replies.get(idx)
            if rep is not None and not (rep["status"] == "error" and rep["ename"] == "AssertionError"
                                        and rep["evalue"] == nonce):
                tampered.append(idx)
        put_back: list[str] = []
        for idx, marker in self.guards.items():
            what, as_written = guard.restored(replies.get(idx), marker)
            put_back += [w for w in what if w not in put_back]
            if not as_written:
                tampered.append(idx + 2)  # reported like a canary: the cell after the test it protects
        reasons = []
        if put_back:
            reasons.append(Reason("tampered_checks", f"the notebook replaced {', '.join(put_back)}; the originals "
                                                     "were put back before the tests ran"))
        tampered.sort()
        if tampered:
            reasons.append(Reason("tampered_execution", f"test code did not run as written (checked after "
                                                        f"{label(tampered[0] - 1)}): the notebook hooks or "
                                                        "suppresses execution; autograded tests scored 0"))
        return tampered, reasons


def add_grader_cells(nb: NotebookNode) -> GraderCells:
    """Add the grader's cells: a set-up cell first, a guard before and a canary after each test.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The sanitized student notebook, changed in place.

    Returns
    -------
    GraderCells
        Where they are, and the numbering the student sees.

    Examples
    --------
    The demo notebook (:mod:`.demo`) has five cells, two of them tests:

    >>> from dlcourse.grading.demo import source_notebook
    >>> nb = source_notebook()
    >>> added = add_grader_cells(nb)
    >>> len(nb.cells), sorted(added.tests), sorted(added.grader_cells)
    (10, [4, 8], [0, 3, 5, 7, 9])
    >>> added.numbering
    {1: 1, 2: 2, 4: 3, 6: 4, 8: 5}
    """
    from nbgrader import utils as nbutils

    tests = {i for i, c in enumerate(nb.cells) if nbutils.is_grade(c) and not nbutils.is_solution(c)
             and c.cell_type == "code"}
    added = GraderCells()
    new_cells = [guard.setup_cell()]
    for i, cell in enumerate(nb.cells):
        if i in tests:
            guard_cell, marker = guard.guard_cell()
            added.guards[len(new_cells)] = marker
            new_cells.append(guard_cell)
        added.numbering[len(new_cells)] = i + 1
        if i in tests:
            added.tests.add(len(new_cells))
        new_cells.append(cell)
        if i in tests:
            canary, nonce = _make_canary()
            added.canaries[len(new_cells)] = nonce
            new_cells.append(canary)
    nb.cells = new_cells
    return added


def _make_canary() -> tuple[NotebookNode, str]:
    nonce = secrets.token_hex(12)
    a, b = secrets.randbelow(9000) + 1000, secrets.randbelow(9000) + 1000
    wrong = a * b + secrets.randbelow(97) + 1
    var = "_" + secrets.token_hex(3)
    src = f"{var} = {a} * {b}\nassert {var} == {wrong}, {nonce!r}"
    cell = nbformat.v4.new_code_cell(src)
    cell.metadata["dlcourse_canary"] = nonce
    return cell, nonce


# --------------------------------------------------------------------------- execution


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _size(msg_type: str, content: dict) -> int:
    if msg_type == "stream":
        return len(content.get("text", ""))
    if msg_type == "error":
        return len(content.get("evalue", "")) + sum(len(x) for x in content.get("traceback", []))
    data = content.get("data", {})
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in data.values()) + 64


def _make_execute_class():
    from jupyter_core.utils import run_sync
    from nbclient.exceptions import CellTimeoutError, DeadKernelError  # noqa: F401  (re-exported below)
    from nbgrader.preprocessors import Execute

    class SandboxedExecute(Execute):
        """nbgrader's Execute with a sandboxed kernel, reply tracking, output caps and timeouts recorded."""

        def setup(self, sandbox, settings: RunSettings, kernel_manager_class, grade_cells: set[int]):
            self._sandbox = sandbox
            self._settings = settings
            self._km_class = kernel_manager_class
            self._grade_cells = grade_cells
            self.replies: dict[int, dict] = {}
            self.timeouts: list[int] = []
            self.current = -1
            self.kept = 0
            self.received = 0
            self.flooded: list[int] = []
            self.truncated = False
            self.km_used = None

        def create_kernel_manager(self):
            self.km = self._km_class(self._sandbox, self._settings.kernel_python, config=self.config)
            self.km_used = self.km
            return self.km

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            self.current = cell_index
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

        execute_cell = run_sync(async_execute_cell)

        def on_cell_executed(self, **kwargs):
            reply = kwargs.get("execute_reply") or {}
            content = reply.get("content", {})
            self.replies[kwargs["cell_index"]] = {
                "status": content.get("status"),
                "ename": content.get("ename", ""),
                "evalue": content.get("evalue", ""),
            }
            super().on_cell_executed(**kwargs)

        async def _async_handle_timeout(self, timeout, cell=None):
            self.timeouts.append(self.current)
            return await super()._async_handle_timeout(timeout, cell)

        def output(self, outs, msg, display_id, cell_index):
            msg_type = msg["msg_type"]
            content = msg.get("content", {})
            size = _size(msg_type, content)
            self.received += size
            limit = self._settings.limits.output_bytes
            if self.received > 20 * limit and not self.flooded:
                # A kernel that floods its output channel is stopped: interrupting it is not
                # reliable (its buffered output keeps coming) and the grader must stay responsive.
                self.flooded.append(cell_index)
                with contextlib.suppress(Exception):
                    asyncio.ensure_future(self.km.signal_kernel(signal.SIGKILL))
            if self.kept + size <= limit:
                self.kept += size
                return super().output(outs, msg, display_id, cell_index)
            self.truncated = True
            in_grade = cell_index in self._grade_cells
            if msg_type == "error":
                content = dict(content)
                content["traceback"] = [line[:2000] for line in content.get("traceback", [])[-20:]]
                content["evalue"] = content.get("evalue", "")[:2000]
                msg = {**msg, "content": content}
                return super().output(outs, msg, display_id, cell_index)
            if msg_type == "execute_result" and in_grade:
                text = content.get("data", {}).get("text/plain", "")
                msg = {**msg, "content": {**content, "data": {"text/plain": text[:1000]}}}
                return super().output(outs, msg, display_id, cell_index)
            if msg_type == "stream" and content.get("name") == "stderr" and in_grade:
                if not any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outs):
                    msg = {**msg, "content": {**content, "text": content.get("text", "")[:1000]}}
                    return super().output(outs, msg, display_id, cell_index)
            return None

    return SandboxedExecute


_EXECUTE_CLASS = None


def execute_class():
    """Return nbgrader's ``Execute`` preprocessor with the grader's changes (built once).

    Examples
    --------
    >>> from nbgrader.preprocessors import Execute
    >>> issubclass(execute_class(), Execute), execute_class() is execute_class()
    (True, True)
    """
    global _EXECUTE_CLASS
    if _EXECUTE_CLASS is None:
        _EXECUTE_CLASS = _make_execute_class()
    return _EXECUTE_CLASS


def _cell_label(nb: NotebookNode, index: int, numbering: dict[int, int]) -> str:
    cell = nb.cells[index]
    if "dlcourse_canary" in cell.metadata:
        return "the integrity check after " + _cell_label(nb, index - 1, numbering)
    if "dlcourse_guard" in cell.metadata:
        return "the grader's check before " + _cell_label(nb, index + 1, numbering)
    if "dlcourse_guard_setup" in cell.metadata:
        return "the grader's set-up cell"
    gid = cell.metadata.get("nbgrader", {}).get("grade_id")
    label = f"cell {numbering.get(index, index + 1)}"
    return f"{label} (grade_id {gid})" if gid else label


def _kernel_death(report: dict, limits, where: str) -> Reason:
    sig = report.get("signal")
    if report.get("oom_kills", 0) > 0:
        return Reason("memory_limit", f"kernel died in {where}: memory limit ({human_size(limits.memory_bytes)}) "
                                      "exceeded")
    if sig == 24:
        return Reason("cpu_limit", f"kernel died in {where}: CPU-time limit ({limits.cpu_seconds} s) exceeded")
    if sig == 25:
        return Reason("kernel_died", f"kernel died in {where}: wrote a file larger than the limit")
    if sig is not None:
        return Reason("kernel_died", f"kernel died in {where}: killed by {SIGNAL_NAMES.get(sig, f'signal {sig}')}")
    if "exit_code" in report:
        return Reason("kernel_died", f"kernel died in {where}: it exited with code {report['exit_code']} "
                                     "(exit(), quit() or os._exit() in the notebook?)")
    return Reason("kernel_died", f"kernel died in {where}")


def run_notebook(name: str, path: str, job: StudentJob, settings: RunSettings, km_classes) -> NotebookOutcome:
    """Read, sanitize, execute and post-process one notebook of one student.

    The steps, each a function below: read the file (:func:`read_submitted_notebook`), put
    the gradebook's metadata back (:func:`repair_metadata`), run nbgrader's sanitizers
    (``_sanitize``), add the grader's cells (:func:`add_grader_cells`), execute in a sandboxed
    kernel (``_execute``), turn what happened into reasons (``_execution_reasons``), score
    the tests from the kernel's replies (``_score_tests``) and hand the outputs to nbgrader's
    post-processing (``_finish_outputs``).

    Parameters
    ----------
    name : str
        The assignment's name of the notebook (without ``.ipynb``).
    path : str
        The submitted file.
    job : StudentJob
        The student's job (data files for the working folder).
    settings : RunSettings
        The run's settings.
    km_classes : type
        The kernel manager class (:class:`~dlcourse.grading.kernels.SandboxKernelManager` or
        ``UnsandboxedKernelManager``).

    Returns
    -------
    NotebookOutcome
        The executed notebook (None if it could not run) and the reasons.

    Examples
    --------
    A notebook that cannot be read is reported before any kernel starts:

    >>> import os, sys, tempfile
    >>> from dlcourse.grading.sandbox import Isolation, Limits, Workspace
    >>> ws = Workspace(Isolation(False, "example"), Limits(), sys.executable, protected=[])
    >>> settings = RunSettings(assignment="ps1", db_url="sqlite://", config={}, cells={}, limits=Limits(),
    ...                        workspace=ws, kernel_python=sys.executable)
    >>> broken = os.path.join(tempfile.mkdtemp(), "problem1.ipynb")
    >>> _ = open(broken, "w").write('{"cells": [')
    >>> out = run_notebook("problem1", broken, StudentJob("s01", {"problem1": broken}), settings, None)
    >>> out.notebook, [r.kind for r in out.reasons]
    (None, ['invalid_notebook'])
    >>> ws.close()
    """
    from traitlets.config import Config

    t0 = time.monotonic()
    out = NotebookOutcome(name)
    try:
        nb = read_submitted_notebook(path, settings.max_notebook_bytes)
    except NotebookRejected as exc:
        out.reasons.append(Reason(exc.kind, str(exc), name))
        return out
    out.reasons += repair_metadata(nb, settings.cells.get(name, {}), name, settings.hidden_markers)
    cfg = Config(copy.deepcopy(settings.config))
    cfg.OverwriteCells.add_missing_cells = True
    resources = {
        "nbgrader": {"student": job.student, "assignment": settings.assignment, "notebook": name,
                     "db_url": settings.db_url},
        "metadata": {"path": "."},
    }
    try:
        nb, resources = _sanitize(nb, resources, cfg)
    except Exception as exc:
        out.reasons.append(Reason("invalid_notebook", f"invalid nbgrader metadata: {type(exc).__name__}: "
                                                      f"{str(exc).splitlines()[0][:200] if str(exc) else ''}", name))
        return out

    added = add_grader_cells(nb)
    run = _execute(nb, resources, cfg, job, settings, km_classes, added.tests)
    out.kernel = run.kernel

    def label(idx: int) -> str:  # how reasons name a cell of the executed notebook (grader cells included)
        return _cell_label(run.nb, idx, added.numbering)

    happened, not_run_reason = _execution_reasons(run, settings, label)
    # canaries and guards: did test code run as written, against genuine checking functions?
    tampered, integrity = added.check(run.replies, label)
    scoring = _score_tests(run.nb, added.tests, run.replies, bool(tampered), not_run_reason, label)
    graded, finishing = _finish_outputs(run.nb, run.resources, cfg, added.grader_cells, run.truncated)
    for reason in happened + integrity + scoring + finishing:
        reason.notebook = name
        out.reasons.append(reason)
    out.notebook = nbformat.writes(graded)
    out.seconds = time.monotonic() - t0
    return out


def _sanitize(nb: NotebookNode, resources: dict, cfg) -> tuple[NotebookNode, dict]:
    """Run nbgrader's sanitizing preprocessors, as ``nbgrader autograde`` does before executing."""
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        OverwriteCells,
        OverwriteKernelspec,
    )

    for cls in (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata):
        nb, resources = cls(config=cfg)(nb, resources)
    return nb, resources


@dataclass
class _Execution:
    """What executing one notebook left: the notebook, the kernel's replies and report, what went wrong."""

    nb: NotebookNode  # the executed notebook (as far as it ran)
    resources: dict
    kernel: dict  # the kernel manager's final report (signal, exit code, OOM kills, ...)
    replies: dict[int, dict]  # cell index -> {"status", "ename", "evalue"}
    timeouts: list[int]  # cells that timed out
    flooded: list[int]  # the cell whose output flood stopped the kernel
    truncated: bool  # output was cut at the byte limit
    failure: str | None = None  # the exception's class name when execution stopped early
    failure_at: int | None = None  # the cell running then (-1: none had started)
    failure_detail: str = ""  # its message, for failures other than a dead kernel or a timeout


def _execute(nb: NotebookNode, resources: dict, cfg, job: StudentJob, settings: RunSettings, km_classes,
             tests: set[int]) -> _Execution:
    """Execute the notebook in a fresh sandboxed kernel with the grader's Execute; always release the kernel."""
    sandbox = settings.workspace.new_kernel(job.workdir_files, slot=settings.slot)
    ex = execute_class()(config=cfg)
    ex.timeout = settings.cell_timeout
    ex.startup_timeout = settings.startup_timeout
    ex.shutdown_kernel = "immediate"
    ex.store_widget_state = False
    ex.record_timing = False
    ex.iopub_timeout = 5
    ex.raise_on_iopub_timeout = True
    ex.interrupt_on_timeout = True
    ex.setup(sandbox, settings, km_classes, tests)
    failure: str | None = None
    failure_at: int | None = None
    failure_detail = ""
    kernel: dict = {}
    try:
        nb, resources = ex(nb, resources)
    except Exception as exc:
        failure_at = ex.current
        failure = type(exc).__name__
        if failure not in ("DeadKernelError", "CellTimeoutError"):
            failure_detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:300]
    finally:
        km = ex.km_used
        if km is not None:
            with contextlib.suppress(Exception):
                km.release()
            kernel = dict(km.final_report or {})
        else:
            sandbox.cleanup()
    return _Execution(ex.nb if ex.nb is not None else nb, resources, kernel, ex.replies, ex.timeouts, ex.flooded,
                      ex.truncated, failure, failure_at, failure_detail)


def _execution_reasons(run: _Execution, settings: RunSettings, label: Callable[[int], str]
                       ) -> tuple[list[Reason], str | None]:
    """Say what happened while the notebook ran (timeouts, floods, a dead kernel, limits reached).

    Returns the reasons and, when execution stopped early, why the tests after that point did not run.
    """
    reasons: list[Reason] = []
    limits, report = settings.limits, run.kernel
    for idx in run.timeouts:
        reasons.append(Reason("timeout", f"timeout in {label(idx)} after {settings.cell_timeout} s"))
    for idx in run.flooded:
        reasons.append(Reason("output_flood", f"{label(idx)} printed more than {human_size(20 * limits.output_bytes)}; "
                                              "the kernel was stopped"))
    if run.truncated:
        reasons.append(Reason("output_truncated", f"output truncated: more than {human_size(limits.output_bytes)} "
                                                  "of output"))
    not_run_reason = None
    if run.failure is not None:
        reason, not_run_reason = _failure_reason(run, settings, label, reasons)
        if reason is not None:
            reasons.append(reason)
    if report.get("pids_limit_hits", 0) > 0:
        reasons.append(Reason("process_limit", f"reached the limit of {limits.processes} processes "
                                               f"({report['pids_limit_hits']} refused forks)"))
    for idx, cell in enumerate(run.nb.cells):
        if cell.cell_type == "code" and any(o.get("output_type") == "error" and o.get("ename") == "MemoryError"
                                            for o in cell.get("outputs", [])):
            if not any(r.kind == "memory_limit" for r in reasons):
                reasons.append(Reason("memory_limit", f"MemoryError in {label(idx)}"))
    return reasons, not_run_reason


def _failure_reason(run: _Execution, settings: RunSettings, label: Callable[[int], str], reasons: list[Reason]
                    ) -> tuple[Reason | None, str]:
    """Explain why execution stopped early; return the reason (None: already given) and why tests did not run.

    A timeout that the Execute did not record itself is appended to ``reasons`` first.
    """
    report, failure_at = run.kernel, run.failure_at
    where = label(cast(int, failure_at)) if 0 <= (failure_at or -1) < len(run.nb.cells) else "start-up"
    if run.flooded:
        return None, "the kernel was stopped for flooding its output before this test ran"
    if run.failure == "DeadKernelError" or (report.get("signal") is not None or "exit_code" in report):
        return _kernel_death(report, settings.limits, where), "the kernel died before this test ran"
    if run.failure == "CellTimeoutError":
        if failure_at not in run.timeouts:
            reasons.append(Reason("timeout", f"timeout in {where} after {settings.cell_timeout} s"))
        return (Reason("timeout", f"the kernel did not respond after the timeout in {where}; it was stopped"),
                "the kernel was stopped after a timeout before this test ran")
    if failure_at in (-1, None) or not run.replies:
        detail = report.get("setup_error") or run.failure_detail or run.failure
        return Reason("kernel_start", f"the sandboxed kernel did not start: {detail}"), "the kernel did not start"
    return (Reason("grader_error", f"execution stopped in {where}: {run.failure_detail}"),
            "execution stopped before this test ran")


def _score_tests(nb: NotebookNode, tests: set[int], replies: dict[int, dict], tampered: bool,
                 not_run_reason: str | None, label: Callable[[int], str]) -> list[Reason]:
    """Score every test cell from its reply, never from the absence of output (:func:`normalize_test_outputs`)."""
    from nbgrader import utils as nbutils

    reasons = []
    for idx in sorted(tests):
        cell = nb.cells[idx]
        normalize_test_outputs(cell, replies.get(idx), tampered, not_run_reason)
        try:
            nbutils.determine_grade(cell)
        except Exception as exc:
            cell.outputs = [_error_output("InvalidPartialCredit", str(exc)[:300])]
            reasons.append(Reason("grader_error", f"{label(idx)}: partial credit is not a valid score ({exc})"))
    return reasons


def _finish_outputs(nb: NotebookNode, resources: dict, cfg, grader_cells: set[int], truncated: bool
                    ) -> tuple[NotebookNode, list[Reason]]:
    """Drop the grader's cells, then run nbgrader's own output post-processing (IgnorePattern, LimitOutput)."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import IgnorePattern, LimitOutput

    reasons = []
    nb.cells = [c for i, c in enumerate(nb.cells) if i not in grader_cells]
    nb.metadata.pop("widgets", None)
    before = json.dumps([c.get("outputs", []) for c in nb.cells])
    try:
        for cls in (IgnorePattern, LimitOutput):
            nb, resources = cls(config=cfg)(nb, resources)
        nb, resources = ClearMetadataPreprocessor(config=cfg)(nb, resources)
    except Exception as exc:  # pragma: no cover - configuration problems
        reasons.append(Reason("grader_error", f"output post-processing failed: {exc}"))
    if "Output truncated" in json.dumps([c.get("outputs", []) for c in nb.cells]) and \
            "Output truncated" not in before and not truncated:
        reasons.append(Reason("output_truncated", "output truncated: more lines than nbgrader's LimitOutput keeps"))
    return nb, reasons


def grade_student(job: StudentJob, settings: RunSettings) -> StudentOutcome:
    """Run every submitted notebook of one student (in a worker process).

    Parameters
    ----------
    job : StudentJob
        The student's notebooks (None for one not submitted, which is skipped).
    settings : RunSettings
        The run's settings.

    Returns
    -------
    StudentOutcome
        One :class:`NotebookOutcome` per submitted notebook; an unexpected error becomes a
        ``grader_error`` reason, never an exception.

    Examples
    --------
    >>> import os, sys, tempfile
    >>> from dlcourse.grading.sandbox import Isolation, Limits, Workspace
    >>> ws = Workspace(Isolation(False, "example"), Limits(), sys.executable, protected=[])
    >>> settings = RunSettings(assignment="ps1", db_url="sqlite://", config={}, cells={}, limits=Limits(),
    ...                        workspace=ws, kernel_python=sys.executable)
    >>> broken = os.path.join(tempfile.mkdtemp(), "problem1.ipynb")
    >>> _ = open(broken, "w").write('{"cells": [')
    >>> res = grade_student(StudentJob("s01", {"problem1": broken, "problem2": None}), settings)
    >>> sorted(res.notebooks), res.notebooks["problem1"].reasons[0].kind
    (['problem1'], 'invalid_notebook')
    >>> ws.close()
    """
    from .kernels import SandboxKernelManager, UnsandboxedKernelManager

    km_class = SandboxKernelManager if settings.sandboxed else UnsandboxedKernelManager
    t0 = time.monotonic()
    res = StudentOutcome(job.student)
    for name, path in sorted(job.notebooks.items()):
        if path is None:
            continue
        try:
            res.notebooks[name] = run_notebook(name, path, job, settings, km_class)
        except Exception as exc:  # a bug or an environment problem: say so, keep the batch going
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:300]
            res.notebooks[name] = NotebookOutcome(name, None, [Reason("grader_error", f"grader error: {detail}",
                                                                      name)])
    res.seconds = time.monotonic() - t0
    return res
