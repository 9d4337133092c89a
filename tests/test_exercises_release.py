"""The graded exercises: well-formed nbgrader sources, and student versions that are up to date.

``course/source/<id>/<id>.ipynb`` holds solutions and hidden tests; nbgrader generates the
student version ``course/release/<id>/<id>.ipynb`` from it (``scripts/release_exercises.py``).
The student versions are committed so that learners on Binder and Colab find them. These tests
fail when a source changed and its student version was not regenerated, and check the nbgrader
metadata that autograding relies on. The full pipeline (autograde, feedback, export) is in
``tests/test_nbgrader_pipeline.py``.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
from notebook_rules import COLAB_SETUP, COURSE, ROOT, colab_badge

SOURCE, RELEASE = COURSE / "source", COURSE / "release"
ASSIGNMENTS = sorted(p.name for p in SOURCE.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))
ID = re.compile(r"^[A-Za-z0-9_-]+$")


def _release_script():
    spec = importlib.util.spec_from_file_location("release_exercises", ROOT / "scripts" / "release_exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nb(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def normalised(nb: nbformat.NotebookNode) -> list[dict]:
    """What a student version consists of: cell kinds, ids, sources and nbgrader metadata."""
    keep = ("nbgrader", "editable", "deletable")
    return [
        {
            "cell_type": c.cell_type,
            "id": c.get("id"),
            "source": c.source,
            "metadata": {k: c.metadata[k] for k in keep if k in c.metadata},
        }
        for c in nb.cells
    ]


def test_there_are_enough_assignments():
    assert len(ASSIGNMENTS) >= 6, ASSIGNMENTS
    for a in ASSIGNMENTS:
        assert ID.match(a), f"{a!r} is not a valid nbgrader assignment id"
        assert [p.name for p in (SOURCE / a).glob("*.ipynb")] == [f"{a}.ipynb"], f"{a}: one notebook named {a}.ipynb"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_has_valid_nbgrader_metadata(assignment):
    nb = _nb(SOURCE / assignment / f"{assignment}.ipynb")
    ids, auto, manual = set(), 0, 0
    for cell in nb.cells:
        m = _meta(cell)
        if not m:
            continue
        assert m.get("schema_version") == 3, f"{assignment}: nbgrader metadata must be schema 3: {m}"
        gid = m.get("grade_id", "")
        assert ID.match(gid), f"{assignment}: invalid grade_id {gid!r}"
        assert gid not in ids, f"{assignment}: grade_id {gid!r} is used twice"
        ids.add(gid)
        assert all(isinstance(m.get(k), bool) for k in ("grade", "solution", "locked")), m
        text = cell.source
        if m["grade"]:
            assert m.get("points", 0) > 0, f"{assignment}/{gid}: a graded cell needs points"
            if cell.cell_type == "markdown":
                assert m["solution"], f"{assignment}/{gid}: a graded markdown cell must be a solution cell"
                manual += 1
            else:
                assert not m["solution"] and m["locked"], f"{assignment}/{gid}: test cells are locked, not solutions"
                auto += 1
                assert "### BEGIN HIDDEN TESTS" in text and "### END HIDDEN TESTS" in text, (
                    f"{assignment}/{gid}: every test cell has hidden tests that decide the grade"
                )
                hidden = text.split("### BEGIN HIDDEN TESTS", 1)[1]
                assert "_sc.fair_play(globals())" in hidden and "importlib.reload(_sc)" in hidden, (
                    f"{assignment}/{gid}: hidden tests start by reloading the checks and checking fair play"
                )
        if m["solution"]:
            assert "### BEGIN SOLUTION" in text and "### END SOLUTION" in text, f"{assignment}/{gid}: no solution markers"
    assert auto >= 1, f"{assignment}: no auto-graded cells"
    if assignment != "ex06_knowledge_check":
        assert manual >= 1, f"{assignment}: at least one written answer graded by a person"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_opens_like_a_lesson(assignment):
    nb = _nb(SOURCE / assignment / f"{assignment}.ipynb")
    first = nb.cells[0]
    release_path = RELEASE / assignment / f"{assignment}.ipynb"
    assert first.cell_type == "markdown" and first.source.startswith("# "), f"{assignment}: start with a title"
    assert colab_badge(release_path) in first.source, f"{assignment}: the Colab badge must open the student version"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source.strip() == COLAB_SETUP, f"{assignment}: the first code cell is the Colab set-up"
    assert _meta(code[0]).get("locked") is True, f"{assignment}: the Colab set-up cell is read-only"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    return _release_script().generate(ASSIGNMENTS, out=out)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_is_up_to_date(regenerated, assignment):
    committed = RELEASE / assignment / f"{assignment}.ipynb"
    assert committed.exists(), f"no student version of {assignment}; run: python scripts/release_exercises.py"
    fresh = regenerated[assignment] / f"{assignment}.ipynb"
    assert normalised(_nb(committed)) == normalised(_nb(fresh)), (
        f"course/release/{assignment} is out of date with its source; run: "
        f"python scripts/release_exercises.py {assignment}"
    )
    extra = sorted(p.name for p in (RELEASE / assignment).iterdir()) != sorted(p.name for p in regenerated[assignment].iterdir())
    assert not extra, f"course/release/{assignment} holds files that nbgrader does not generate"


def test_no_stale_student_versions():
    stale = sorted(p.name for p in RELEASE.iterdir() if p.is_dir() and p.name not in ASSIGNMENTS)
    assert not stale, f"student versions without a source: {stale}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_hides_solutions_and_hidden_tests(assignment):
    nb = _nb(RELEASE / assignment / f"{assignment}.ipynb")
    text = "\n".join(c.source for c in nb.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "_sc.fair_play", "Model answer"):
        assert marker not in text, f"{assignment}: the student version contains {marker!r}"
    for cell in nb.cells:
        m = _meta(cell)
        if m.get("solution"):
            stub = "raise NotImplementedError()" if cell.cell_type == "code" else "YOUR ANSWER HERE"
            assert stub in cell.source, f"{assignment}/{m['grade_id']}: solution cell without the stub"
        if m.get("grade") or m.get("locked") or m.get("solution"):
            assert m.get("checksum"), f"{assignment}/{m['grade_id']}: nbgrader's checksum is missing"


def test_knowledge_check_key_matches_the_question_files(capsys):
    """The source's answers score full marks against the lesson question files (catches edits there)."""
    from dlcourse import selfcheck

    nb = _nb(SOURCE / "ex06_knowledge_check" / "ex06_knowledge_check.ipynb")
    namespace: dict = {}
    for cell in nb.cells:
        m = _meta(cell)
        if m.get("solution") and cell.cell_type == "code":
            exec(cell.source, namespace)  # noqa: S102 - our own source notebook
    graded = [c for c in nb.cells if _meta(c).get("grade") and c.cell_type == "code"]
    assert graded
    for cell in graded:
        call = re.search(r'grade_quiz\((answers_\w+), "(\w+)", (\[.*?\]), _parts\)', cell.source)
        assert call, f"no grade_quiz call in {_meta(cell)['grade_id']}"
        ids = eval(call.group(3))  # noqa: S307 - a list literal from our own notebook
        parts = selfcheck.Parts()
        selfcheck.grade_quiz(namespace[call.group(1)], call.group(2), ids, parts)
        assert parts.score == parts.total == _meta(cell)["points"] == len(ids), (
            f"{call.group(2)}: the answer key scores {parts.score}/{parts.total}; a question file changed:\n"
            + "\n".join(parts.report)
        )
    capsys.readouterr()
