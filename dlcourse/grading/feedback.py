"""Feedback for students that does not give away hidden tests.

nbgrader's ``generate_feedback`` renders the *autograded* notebook, which holds the full
test code, hidden tests included, and IPython tracebacks that quote the lines around a
failing assert (hidden ones too). :func:`generate_feedback` renders a scrubbed copy
instead, with nbgrader's own feedback template and scores:

* the hidden-test region is removed from every test cell's source;
* an error in a cell with hidden tests is shown as ``AssertionError in a hidden test``
  (no message, no traceback) when it was raised by a hidden line, and as the failing
  visible line with its message when a visible test failed;
* printed output of cells with hidden tests is withheld (it may print expected values);
* a first cell states the grading status and its reasons (timeout in cell X, ...).

``reveal_hidden=True`` (``--reveal-hidden``) renders the autograded notebook as nbgrader
would, hidden tests and all.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import nbformat

from .course import hidden_test_markers, load_course_config, load_results, quiet_logger
from .executor import visible_source

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LINE = re.compile(r"(?:Cell In\s*\[\d*\]|<ipython-input-[^>]*>|File <[^>]*>), line (\d+)")
DEFAULT_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def _hidden_lines(source: str, markers: tuple[str, str] = DEFAULT_MARKERS) -> set[int]:
    """1-based line numbers of the hidden region (delimiters included)."""
    begin, end = markers
    out, hidden = set(), False
    for n, line in enumerate(source.split("\n"), start=1):
        if begin in line:
            hidden = True
        if hidden:
            out.add(n)
        if end in line:
            hidden = False
    return out


def cell_error_line(traceback: list[str]) -> int | None:
    """Return the line of the cell itself where an error surfaced (its first frame in the cell).

    Parameters
    ----------
    traceback : list of str
        An error output's ``traceback`` (IPython's lines, colour codes and all).

    Returns
    -------
    int or None
        The 1-based line in the cell's source; None when the traceback does not say.

    Examples
    --------
    >>> cell_error_line(["AssertionError  Traceback", "Cell In[3], line 4", "----> 4 assert f(2) == 4"])
    4
    >>> cell_error_line(["AssertionError: "]) is None
    True
    """
    text = _ANSI.sub("", "\n".join(traceback))
    m = _LINE.search(text)
    return int(m.group(1)) if m else None


def scrub_notebook(nb: nbformat.NotebookNode, status_lines: list[str] | None = None,
                   markers: tuple[str, str] = DEFAULT_MARKERS) -> nbformat.NotebookNode:
    r"""Return a copy of an autograded notebook that is safe to give to the student.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The autograded notebook (not changed).
    status_lines : list of str, optional
        The grading status and its reasons, shown in a first markdown cell.
    markers : tuple of str, optional
        The course's hidden-test delimiters (``ClearHiddenTests.begin_test_delimeter`` and
        ``end_test_delimeter``), see :func:`~dlcourse.grading.course.hidden_test_markers`.

    Returns
    -------
    nbformat.NotebookNode
        A copy without hidden tests, their output or the tracebacks that would quote them.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook, new_output
    >>> test = new_code_cell("assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 4\n### END HIDDEN TESTS")
    >>> test.outputs = [new_output("error", ename="AssertionError", evalue="", traceback=["line 3"])]
    >>> safe = scrub_notebook(new_notebook(cells=[test]), ["status **failed**, score 0 of 1"])
    >>> print(safe.cells[1].source)
    assert f(1) == 1
    # (hidden tests are not shown)
    >>> safe.cells[1].outputs[0].traceback
    ['AssertionError in a hidden test (details are not shown)']
    >>> safe.cells[0].source
    '**Autograder:** status **failed**, score 0 of 1'
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code" or markers[0] not in cell.source:
            continue
        lines = cell.source.split("\n")
        hidden = _hidden_lines(cell.source, markers)
        new_outputs = []
        withheld = False
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                line_no = cell_error_line(out.get("traceback", []))
                ename = out.get("ename", "Error")
                if line_no is not None and line_no not in hidden and 1 <= line_no <= len(lines):
                    visible = lines[line_no - 1].strip()
                    evalue = out.get("evalue", "")
                    tb = [f"{ename} in a visible test, line {line_no}: {visible}"]
                    if evalue:
                        tb.append(f"{ename}: {evalue}")
                    new_outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=tb))
                else:
                    msg = f"{ename} in a hidden test (details are not shown)"
                    new_outputs.append(nbformat.v4.new_output("error", ename=ename, evalue="", traceback=[msg]))
            elif kind == "execute_result":
                new_outputs.append(out)  # partial credit: the number is the score
            else:
                withheld = True
        if withheld:
            new_outputs.insert(0, nbformat.v4.new_output(
                "stream", name="stdout", text="[output printed while hidden tests ran is not shown]\n"))
        cell.outputs = new_outputs
        cell.source = visible_source(cell.source, *markers).rstrip() + "\n# (hidden tests are not shown)"
    if status_lines:
        text = "**Autograder:** " + status_lines[0] + "".join(f"\n- {line}" for line in status_lines[1:])
        head = nbformat.v4.new_markdown_cell(text)
        nb.cells.insert(0, head)
    return nb


def _status_lines(result) -> list[str]:
    if result is None:
        return []
    lines = [f"status **{result.status}**, score {result.score:g} of {result.max_score:g}"]
    for r in result.reasons:
        if r.kind in ("needs_manual_grade",):
            continue
        lines.append((f"{r.notebook}: " if r.notebook else "") + r.message)
    return lines


def generate_feedback(course_root: str | os.PathLike, assignment: str, students: list[str] | None = None,
                      reveal_hidden: bool = False) -> dict[str, list[Path]]:
    """Write ``feedback/<student>/<assignment>/<notebook>.html`` for graded students; return the files.

    Parameters
    ----------
    course_root : str or os.PathLike
        The nbgrader course folder.
    assignment : str
        The assignment name.
    students : list of str, optional
        Only these students (default: every student with an autograded submission).
    reveal_hidden : bool, optional
        Show hidden tests and their output (default: they are withheld, see :func:`scrub_notebook`).

    Returns
    -------
    dict of str to list of Path
        Student id -> the HTML files written.

    Examples
    --------
    Nothing has been autograded in a fresh demo course (:mod:`.demo`), so nothing is written:

    >>> import tempfile, pathlib
    >>> from dlcourse.grading.demo import make_demo_course
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = make_demo_course(root)
    >>> generate_feedback(root, "ps1")
    {}
    """
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    from .status import StudentResult

    root = Path(course_root).resolve()
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    config = load_course_config(root)
    coursedir = CourseDirectory(config=config, log=quiet_logger("coursedir"))
    autograded = Path(coursedir.format_path(coursedir.autograded_directory, ".", ".")).resolve()
    feedback = Path(coursedir.format_path(coursedir.feedback_directory, ".", ".")).resolve()
    markers = hidden_test_markers(config)
    saved = {sid: StudentResult.from_dict(r) for sid, r in load_results(root, assignment).items()}
    ids = sorted(p.name for p in autograded.iterdir() if (p / assignment).is_dir()) if autograded.is_dir() else []
    if students:
        ids = [s for s in ids if s in set(students)]
    written: dict[str, list[Path]] = {}
    with tempfile.TemporaryDirectory(prefix="dlcourse-feedback-") as tmp:
        tmp_root = Path(tmp) / "autograded"
        for sid in ids:
            src = autograded / sid / assignment
            dest = tmp_root / sid / assignment
            dest.mkdir(parents=True)
            for nb_path in sorted(src.glob("*.ipynb")):
                nb = nbformat.read(nb_path, as_version=4)
                status = _status_lines(saved.get(sid))
                if reveal_hidden:
                    if status:
                        nb.cells.insert(0, nbformat.v4.new_markdown_cell("**Autograder:** " + "\n- ".join(status)))
                else:
                    nb = scrub_notebook(nb, status, markers)
                nbformat.write(nb, dest / nb_path.name)
            shutil.rmtree(feedback / sid / assignment, ignore_errors=True)
            c = Config(config)
            c.CourseDirectory.root = str(root)
            c.CourseDirectory.autograded_directory = str(tmp_root)
            c.CourseDirectory.assignment_id = assignment
            c.CourseDirectory.student_id = sid
            c.CourseDirectory.notebook_id = "*"
            log = quiet_logger("feedback")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                app = GenerateFeedback(coursedir=CourseDirectory(config=c, log=log), config=c, log=log)
                app.force = True
                app.start()
            written[sid] = sorted((feedback / sid / assignment).glob("*.html"))
    return written
