"""Static rules for every notebook in course/: clean, one source, the lesson shape."""

from __future__ import annotations

import json

import nbformat
import pytest
from notebook_rules import COLAB_SETUP, COURSE, colab_badge, course_notebooks, lesson_notebooks, lesson_slug

from dlcourse.quiz import load_quiz

ALL = course_notebooks()
LESSONS = lesson_notebooks()


def _ids(paths):
    return [p.relative_to(COURSE).as_posix() for p in paths]


def test_the_course_has_lessons():
    assert len(LESSONS) >= 1, "no lesson notebooks found under course/module*/"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_notebook_is_committed_clean(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; run scripts/clean_notebooks.py"
    assert "widgets" not in nb.get("metadata", {}), f"{path.name}: saved widget state; run scripts/clean_notebooks.py"
    nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_notebook_has_one_source_of_truth(path):
    twins = [path.with_suffix(s) for s in (".py", ".md", ".Rmd", ".myst") if path.with_suffix(s).exists()]
    assert not twins, f"{path.name} has a paired copy {twins}; the .ipynb is the single source"
    meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    assert "jupytext" not in meta, f"{path.name} is paired by jupytext; keep the .ipynb only"


def test_no_two_notebooks_have_the_same_content():
    seen: dict[str, str] = {}
    for path in ALL:
        if "release" in path.relative_to(COURSE).parts:
            continue  # nbgrader's generated student versions, checked against their sources elsewhere
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        key = json.dumps([c["source"] for c in cells if "COLAB" not in "".join(c["source"]).upper()])
        assert key not in seen, f"{path} duplicates {seen[key]}"
        seen[key] = str(path)


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_lesson_shape(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), f"{path.name}: start with a '# Title' cell"
    assert colab_badge(path) in first.source, f"{path.name}: the first cell needs the Colab badge\n{colab_badge(path)}"
    assert "learning objectives" in first.source.lower(), f"{path.name}: the first cell lists the learning objectives"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and code[0].source.strip() == COLAB_SETUP, f"{path.name}: the first code cell must be COLAB_SETUP"
    text = "\n".join(c.source for c in nb.cells)
    assert "summary" in text.lower(), f"{path.name}: end with a summary"
    slug = lesson_slug(path)
    assert f'show_quiz("{slug}")' in code[-1].source, f'{path.name}: the last code cell shows show_quiz("{slug}")'
    quiz = load_quiz(slug)
    assert len(quiz) >= 6, f"{slug}: a knowledge check needs at least 6 questions, has {len(quiz)}"
    assert "ipywidgets" in text or "interact" in text, f"{path.name}: needs at least one interactive widget"
    n_figs = text.count("plt.subplots") + text.count("plt.figure") + text.count("plotting.")
    if n_figs:
        assert "describe(" in text, f"{path.name}: figures need a text description (dlcourse.plotting.describe)"
