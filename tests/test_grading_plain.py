"""Issue 14: a plain nbgrader assignment (no dlcourse helpers, no course-specific settings).

* A notebook that replaces ``numpy.allclose``, ``numpy.testing.assert_allclose``,
  ``torch.allclose`` or a built-in the tests call earns nothing for a wrong answer.
* A correct answer whose function writes a warning or a line on stderr while a test calls it
  keeps its points (plain nbgrader scores any stderr output in a test cell as 0).
* A course that changes nbgrader's hidden-test delimiters neither marks every student as
  tampered nor leaks its hidden tests into feedback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from dlcourse.grading.sandbox import environment_problem

pytestmark = [
    pytest.mark.nbgrader,
    pytest.mark.filterwarnings("ignore:Object of type .* not in session"),
    pytest.mark.filterwarnings("ignore:Non-unique cell id"),
]
SANDBOX = environment_problem() is None


def _meta(cell, **kw):
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False, "locked": False, **kw}
    return cell


def make_course(root: Path, cells: list, config_lines: str = "") -> Path:
    """An nbgrader course with one notebook ``hw/hw.ipynb``; returns the released notebook."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from dlcourse.grading.course import load_course_config

    (root / "source" / "hw").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = 'plain'\n"
                                             + config_lines)
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    nbformat.write(nb, root / "source" / "hw" / "hw.ipynb")
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    c = load_course_config(root)  # what `nbgrader generate_assignment` run in the course would read
    res = NbGraderAPI(coursedir=CourseDirectory(config=c), config=c).generate_assignment("hw", force=True)
    assert res["success"], res["log"]
    return root / "release" / "hw" / "hw.ipynb"


def submit(root: Path, release: Path, student: str, answer: str) -> None:
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answer
    folder = root / "submitted" / student / "hw"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "hw.ipynb")


def grade(root: Path, students: list[str]):
    import io

    from dlcourse.grading.batch import GradeOptions, grade_assignment

    (root / "roster.csv").write_text("id\n" + "\n".join(students) + "\n")
    run = grade_assignment(GradeOptions("hw", root, roster=root / "roster.csv", sandbox=SANDBOX, cell_timeout=60,
                                        progress=False, out=io.StringIO(), jobs=2))
    return {r.student: r for r in run.results}


CORRECT = "def double(x):\n    return 2 * np.asarray(x, dtype=float)"
NOISY = ("import sys, warnings\n"
         "def double(x):\n"
         "    warnings.warn('double() takes the slow path')\n"
         "    print('double() was called', file=sys.stderr)\n"
         "    return 2 * np.asarray(x, dtype=float)")
CHEAT = ("def double(x):\n    return x\n"
         "np.allclose = lambda *a, **k: True\n"
         "np.testing.assert_allclose = lambda *a, **k: None\n"
         "torch.allclose = lambda *a, **k: True\n"
         "def abs(x):\n    return 0")


def test_checking_functions_are_genuine_and_stderr_does_not_fail_a_test(tmp_path):
    cells = [
        _meta(new_code_cell("import numpy as np\nimport torch"), grade_id="setup", locked=True),
        _meta(new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * np.asarray(x, dtype=float)\n"
                            "    ### END SOLUTION"), grade_id="answer", solution=True),
        _meta(new_code_cell("assert np.allclose(double([1, 2]), [2, 4])\n"
                            "np.testing.assert_allclose(double([3.0]), [6.0])"),
              grade_id="test_numpy", grade=True, locked=True, points=2),
        _meta(new_code_cell("assert torch.allclose(torch.as_tensor(double([1.5])), "
                            "torch.tensor([3.0], dtype=torch.float64))"),
              grade_id="test_torch", grade=True, locked=True, points=1),
        _meta(new_code_cell("assert abs(float(double(2)) - 4) < 1e-12"),
              grade_id="test_builtin", grade=True, locked=True, points=1),
    ]
    release = make_course(tmp_path, cells)
    for sid, answer in (("honest", CORRECT), ("noisy", NOISY), ("cheat", CHEAT)):
        submit(tmp_path, release, sid, answer)
    got = grade(tmp_path, ["honest", "noisy", "cheat"])
    assert (got["honest"].status, got["honest"].score) == ("graded", 4), got["honest"].reason_text()
    assert (got["noisy"].status, got["noisy"].score) == ("graded", 4), got["noisy"].reason_text()
    cheat = got["cheat"]
    assert (cheat.status, cheat.score) == ("failed", 0), cheat.reason_text()
    text = cheat.reason_text()
    for name in ("numpy.allclose", "numpy.testing.assert_allclose", "torch.allclose", "abs()"):
        assert name in text, text
    # the noisy student's stderr text is still in the graded notebook, as ordinary output
    graded = (tmp_path / "autograded" / "noisy" / "hw" / "hw.ipynb").read_text()
    assert "double() was called" in graded


def test_course_hidden_test_markers_are_used(tmp_path):
    from dlcourse.grading.feedback import generate_feedback

    cells = [
        _meta(new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"),
              grade_id="answer", solution=True),
        _meta(new_code_cell("assert square(3) == 9\n### BEGIN SECRET CHECKS\nassert square(-7) == 49  # hidden-7\n"
                            "### END SECRET CHECKS"), grade_id="test_square", grade=True, locked=True, points=2),
    ]
    markers = ("c.ClearHiddenTests.begin_test_delimeter = 'BEGIN SECRET CHECKS'\n"
               "c.ClearHiddenTests.end_test_delimeter = 'END SECRET CHECKS'\n")
    release = make_course(tmp_path, cells, markers)
    assert "hidden-7" not in release.read_text()  # nbgrader itself honoured them
    submit(tmp_path, release, "right", "def square(x):\n    return x * x")
    submit(tmp_path, release, "wrong", "def square(x):\n    return 9 if x == 3 else 0")
    got = grade(tmp_path, ["right", "wrong"])
    assert (got["right"].status, got["right"].score) == ("graded", 2), got["right"].reason_text()
    assert (got["wrong"].status, got["wrong"].score) == ("graded", 0), got["wrong"].reason_text()
    written = generate_feedback(tmp_path, "hw")
    for sid in ("right", "wrong"):
        html = "".join(p.read_text() for p in written[sid])
        assert "hidden-7" not in html and "square(-7)" not in html
