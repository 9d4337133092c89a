"""A lesson as a learner meets it in JupyterLab: Run All Cells, no errors, its widgets
respond to input, its knowledge check is there.

Which lessons run: ``DLCOURSE_BROWSER_LESSONS`` (``all``, or course-relative paths separated
by commas); by default one quick lesson (see ``lab_helpers.QUICK_LESSONS``).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dlcourse.quiz import load_quiz

from .lab_helpers import (
    COURSE,
    NOTEBOOK,
    QUICK_LESSONS,
    KernelJanitor,
    LabServer,
    browser_lessons,
    expect,
    new_page,
    notebook_outputs,
    open_notebook,
    run_all,
    screenshot,
    wait_for_run_all,
    widget_actions,
    widget_roots,
    widget_snapshot,
)

pytestmark = pytest.mark.browser

#: A lesson must run in well under 60 s on a 2-core CPU; in a browser on a busy machine
#: allow much more before calling it stuck.
LESSON_TIMEOUT = 480
#: Seconds a widget has to show the effect of one input (a figure redrawn in the kernel).
RESPONSE_TIMEOUT = 30

#: Text JupyterLab's widget manager shows instead of a widget it cannot render.
WIDGET_FAILURES = ("Error displaying widget", "Failed to load model class", "Error creating widget", "Loading widget...")


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class LessonRun:
    """A lesson opened in JupyterLab and run with Run > Run All Cells."""

    path: str
    page: Any
    seconds: float = float("nan")
    cells: list[dict[str, Any]] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return Path(self.path).stem.split("_", 1)[1]


@pytest.fixture(scope="module", params=browser_lessons())
def lesson(request: pytest.FixtureRequest, lab: LabServer, browser_context: Any) -> Any:
    path = request.param
    if not (lab.root / path).exists():
        pytest.fail(f"course/{path} does not exist (DLCOURSE_BROWSER_LESSONS or QUICK_LESSONS names it)")
    janitor = KernelJanitor(lab)
    page = new_page(browser_context)
    run = LessonRun(path, page)
    try:
        open_notebook(page, lab, path, timeout=180)
        start = time.monotonic()
        run_all(page)
        wait_for_run_all(page, timeout=LESSON_TIMEOUT)
        run.seconds = time.monotonic() - start
        run.cells = notebook_outputs(page, path)
    except Exception:
        shot = screenshot(page, f"lesson-{Path(path).stem}-run-failed")
        print(f"screenshot: {shot}\nJavaScript errors: {page.js_errors[-10:]}\nserver log:\n{lab.log_tail(40)}")
        raise
    print(f"{path}: Run All took {run.seconds:.1f} s in the browser")
    yield run
    page.close()
    janitor.cleanup()


def test_lesson_runs_all_cells_without_errors(lesson: LessonRun) -> None:
    """Run > Run All Cells: every code cell ran, none shows an error, every widget rendered."""
    assert lesson.cells, f"{lesson.path} has no code cells"
    errors = [
        f"cell {c['index']} ({_squash(c['source'])[:80]!r}): {o['ename']}: {o['evalue']}\n{o['traceback'][-1500:]}"
        for c in lesson.cells
        for o in c["outputs"]
        if o["type"] == "error"
    ]
    assert not errors, f"{lesson.path}: a learner sees {len(errors)} error(s) after Run All:\n" + "\n\n".join(errors)
    not_run = [c["index"] for c in lesson.cells if c["count"] is None]
    assert not not_run, f"{lesson.path}: cells {not_run} did not run after Run All (see the screenshot)"

    deadline = time.monotonic() + RESPONSE_TIMEOUT  # widget views may still be attaching
    while True:
        text = lesson.page.locator(NOTEBOOK).inner_text()
        broken = [msg for msg in WIDGET_FAILURES if msg in text]
        if not broken or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not broken, f"{lesson.path}: widgets did not render: {broken}"


def test_lesson_shows_no_stderr(lesson: LessonRun) -> None:
    """A lesson that runs correctly shows no red text: no stderr stream in any cell.

    This is the only place that sees C-level stderr such as TensorFlow's start-up lines: the
    kernel here runs as a learner's does, while under pytest/nbval ipykernel drops output
    written straight to file descriptor 2. The lesson must import both frameworks, or this
    test would not cover TensorFlow's start-up (``QUICK_LESSONS`` are chosen for that).
    """
    if lesson.path in QUICK_LESSONS:
        cells = json.loads((COURSE / lesson.path).read_text())["cells"]
        sources = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert re.search(r"^import (keras|tensorflow)", sources, re.M) and re.search(r"^import torch", sources, re.M), (
            f"{lesson.path} no longer imports both frameworks: pick another quick lesson that does"
        )
    stderr = [
        f"cell {c['index']} ({_squash(c['source'])[:60]!r}): {o['text'][:600]}"
        for c in lesson.cells
        for o in c["outputs"]
        if o["type"] == "stream" and o["name"] == "stderr"
    ]
    assert not stderr, f"{lesson.path}: a learner sees {len(stderr)} stderr output(s) in red:\n" + "\n".join(stderr)


def test_lesson_knowledge_check_renders(lesson: LessonRun) -> None:
    """The lesson ends with its knowledge check, one box per question."""
    quiz = load_quiz(lesson.slug)
    root = lesson.page.locator(f"{NOTEBOOK} .dlcourse-quiz")
    expect(root).to_have_count(1)
    root.scroll_into_view_if_needed()
    expect(root).to_be_visible()
    expect(root.locator(".dlcourse-quiz-question")).to_have_count(len(quiz))
    expect(root.locator(".dlcourse-quiz-score")).to_contain_text(f"Score: 0 / {len(quiz)}")


def _wait_for_change(root: Any, before: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if widget_snapshot(root) != before:
            return True
        time.sleep(0.5)
    return False


def test_lesson_widgets_respond_to_input(lesson: LessonRun) -> None:
    """Each interactive widget (root class ``dlcourse-*``) changes what it shows when a learner
    uses one of its controls: toggle buttons, dropdowns, radio buttons, sliders (keyboard),
    checkboxes, buttons are tried in that order until one has a visible effect."""
    page = lesson.page
    roots = widget_roots(page)
    assert roots, f"{lesson.path} shows no widget with a dlcourse-* CSS class (AUTHORING.md asks for one)"
    failures = []
    for i, classes in enumerate(roots):
        root = page.locator(f'[data-browser-test-root="{i}"]')
        root.scroll_into_view_if_needed()
        actions = widget_actions(root)
        if not actions:
            failures.append(f"{classes}: no control a learner can use")
            continue
        tried = []
        for description, act in actions:
            before = widget_snapshot(root)
            act()
            if _wait_for_change(root, before, RESPONSE_TIMEOUT):
                print(f"{classes}: responds to '{description}'")
                break
            tried.append(description)
        else:
            failures.append(f"{classes}: nothing it shows changed after: {'; '.join(tried)}")
    assert not failures, f"{lesson.path}: widgets that did not respond:\n" + "\n".join(failures)
