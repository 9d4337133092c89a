"""A tiny nbgrader course to try the grader on (and what the tests and benchmark use).

``make_demo_course(root)`` writes ``nbgrader_config.py`` and ``source/ps1/problem1.ipynb``
(two functions to write, each with a visible and a hidden test; 5 points), runs nbgrader's
``generate_assignment`` and returns the released notebook. ``student_notebook(release,
answers)`` fills in the solution cells the way a student would.
"""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ASSIGNMENT = "ps1"
NOTEBOOK = "problem1"

SQUARE_TEST = "assert square(3) == 9\n### BEGIN HIDDEN TESTS\nassert square(-4) == 16\n### END HIDDEN TESTS"
MEAN_TEST = ("assert mean([1, 2, 3]) == 2\n### BEGIN HIDDEN TESTS\nassert mean([10]) == 10\n"
             "assert abs(mean([0.5, 1.5]) - 1.0) < 1e-12\n### END HIDDEN TESTS")

CORRECT = {
    "square": "def square(x):\n    return x * x",
    "mean": "def mean(xs):\n    return sum(xs) / len(xs)",
}


def _meta(cell, **kw):
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False, "locked": False, **kw}
    return cell


def source_notebook() -> nbformat.NotebookNode:
    """Return the demo assignment's source notebook (solutions and hidden tests included).

    Examples
    --------
    >>> nb = source_notebook()
    >>> [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
    ['intro', 'square', 'test_square', 'mean', 'test_mean']
    """
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    nb.cells = [
        _meta(new_markdown_cell("# Problem set 1\nWrite the two functions below."), grade_id="intro", locked=True),
        _meta(new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"),
              grade_id="square", solution=True),
        _meta(new_code_cell(SQUARE_TEST), grade_id="test_square", grade=True, locked=True, points=2),
        _meta(new_code_cell("def mean(xs):\n    ### BEGIN SOLUTION\n    return sum(xs) / len(xs)\n"
                            "    ### END SOLUTION"), grade_id="mean", solution=True),
        _meta(new_code_cell(MEAN_TEST), grade_id="test_mean", grade=True, locked=True, points=3),
    ]
    return nb


def make_demo_course(root: str | os.PathLike, course_id: str = "demo", duedate: str | None = None,
                     db_url: str | None = None) -> Path:
    """Create the course in ``root`` and return the path of the released student notebook.

    Parameters
    ----------
    root : str or os.PathLike
        The course folder (created if needed).
    course_id : str, optional
        nbgrader's course id.
    duedate : str, optional
        A due date for the assignment in the gradebook (e.g. ``"2026-01-01 09:00:00 UTC"``).
    db_url : str, optional
        The gradebook's database (``CourseDirectory.db_url``, written to ``nbgrader_config.py``),
        for example ``"postgresql+psycopg://grader@db.example.org/course"``; default nbgrader's
        ``gradebook.db`` in ``root``.

    Returns
    -------
    Path
        ``release/ps1/problem1.ipynb`` under ``root``.

    Raises
    ------
    RuntimeError
        If nbgrader's ``generate_assignment`` fails.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> make_demo_course(root).relative_to(root).as_posix()
    'release/ps1/problem1.ipynb'
    >>> (root / "gradebook.db").exists()
    True
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    root = Path(root)
    (root / "source" / ASSIGNMENT).mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {course_id!r}\n"
        + (f"c.CourseDirectory.db_url = {db_url!r}\n" if db_url else "")
    )
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = course_id
    if db_url:
        c.CourseDirectory.db_url = db_url
    api = NbGraderAPI(coursedir=CourseDirectory(config=c), config=c)
    res = api.generate_assignment(ASSIGNMENT, force=True)
    if not res["success"]:
        raise RuntimeError(f"nbgrader generate_assignment failed: {res['error']}\n{res['log']}")
    if duedate:
        from nbgrader.api import Gradebook

        with Gradebook(db_url or f"sqlite:///{root / 'gradebook.db'}", course_id) as gb:
            gb.update_or_create_assignment(ASSIGNMENT, duedate=duedate)
    return root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"


def student_notebook(release: str | os.PathLike | nbformat.NotebookNode, answers: dict[str, str] | None = None):
    """Return the released notebook with solution cells replaced by ``answers`` (grade_id -> source).

    Parameters
    ----------
    release : str, os.PathLike or nbformat.NotebookNode
        The released notebook (a path, or the notebook itself; it is not changed).
    answers : dict of str to str, optional
        The source per solution cell's grade_id; default :data:`CORRECT` (full marks).

    Examples
    --------
    >>> nb = student_notebook(source_notebook(), {"square": "square = abs"})
    >>> nb.cells[1].source
    'square = abs'
    """
    nb = release if isinstance(release, nbformat.NotebookNode) else nbformat.read(release, as_version=4)
    nb = copy.deepcopy(nb)
    answers = CORRECT if answers is None else answers
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nb


def submit(root: str | os.PathLike, student: str, nb, timestamp: str | None = "2026-01-01 10:00:00.000000 UTC",
           name: str = f"{NOTEBOOK}.ipynb") -> Path:
    """Place a notebook (object, JSON text or bytes) in ``submitted/<student>/ps1/``.

    Parameters
    ----------
    root : str or os.PathLike
        The course folder.
    student : str
        The student id.
    nb : nbformat.NotebookNode, str or bytes
        The notebook, or any text or bytes (to submit a broken file).
    timestamp : str or None, optional
        Written to ``timestamp.txt``; None writes no timestamp.
    name : str, optional
        The file name.

    Returns
    -------
    Path
        The submitted file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> submit(root, "s01", b"not a notebook").relative_to(root).as_posix()
    'submitted/s01/ps1/problem1.ipynb'
    """
    folder = Path(root) / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(nb, bytes):
        path.write_bytes(nb)
    elif isinstance(nb, str):
        path.write_text(nb)
    else:
        nbformat.write(nb, path)
    if timestamp:
        (folder / "timestamp.txt").write_text(timestamp)
    return path
