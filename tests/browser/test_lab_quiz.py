"""Knowledge checks in JupyterLab: every option is readable, none runs over another.

The options of a question are radio buttons (or checkboxes) whose labels ipywidgets draws one
line high; a long option used to spill over the next one. The test renders the CNN lesson's own
knowledge-check cell and every other shipped quiz, at a wide and a narrow window, and compares
the boxes of the painted option text, not only of the label elements: a label of fixed height
keeps its box while its text overflows onto the next option.
"""

from __future__ import annotations

import json
from typing import Any

import nbformat
import pytest

from dlcourse.quiz import available_quizzes, load_quiz

from .lab_helpers import COURSE, NOTEBOOK, LabServer, expect, open_notebook, run_all, wait_for_run_all

pytestmark = pytest.mark.browser

LESSON = "module2/02_cnn.ipynb"

#: For every question box: the rectangle of each option's painted text (a DOM Range over the
#: label's text), of the option's label element, and whether the label clips its content.
_OPTION_BOXES_JS = """
(root) => [...root.querySelectorAll('.dlcourse-quiz-question')].map((box) => {
  // a checkbox also holds an empty, hidden description label: only visible labels with text
  const labels = [...box.querySelectorAll('.widget-radio-box label, .widget-checkbox label')]
    .filter((label) => label.offsetParent !== null && label.textContent.replace(/\\u200b/g, '').trim());
  return labels.map((label) => {
    const range = document.createRange();
    range.selectNodeContents(label);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
    const text = rects.length ? {
      left: Math.min(...rects.map((r) => r.left)), right: Math.max(...rects.map((r) => r.right)),
      top: Math.min(...rects.map((r) => r.top)), bottom: Math.max(...rects.map((r) => r.bottom)),
    } : null;
    const own = label.getBoundingClientRect();
    const span = label.querySelector('span') || label;
    return {
      text: label.textContent.trim(),
      painted: text,
      label: {left: own.left, right: own.right, top: own.top, bottom: own.bottom},
      lines: rects.length ? Math.round((text.bottom - text.top) / parseFloat(getComputedStyle(label).lineHeight || 20)) : 0,
      clipped: span.scrollWidth > span.clientWidth + 1 || label.scrollHeight > label.clientHeight + 1,
    };
  });
})
"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """Area shared by two rectangles (0 when they only touch)."""
    w = min(a["right"], b["right"]) - max(a["left"], b["left"])
    h = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return max(w, 0.0) * max(h, 0.0)


def _knowledge_check_notebook() -> dict[str, Any]:
    """The CNN lesson's own knowledge-check cell, then every other shipped quiz."""
    lesson = nbformat.read(COURSE / LESSON, as_version=4)
    quiz_cell = next(c.source for c in reversed(lesson.cells) if c.cell_type == "code" and "show_quiz(" in c.source)
    sources = [quiz_cell] + [f'show_quiz("{slug}");' for slug in available_quizzes() if f'"{slug}"' not in quiz_cell]
    return {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"quiz{n}", "metadata": {}, "outputs": [], "source": s}
            for n, s in enumerate(sources)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _problems(roots: Any, width: int) -> tuple[list[str], int]:
    """Overlapping or clipped options in every quiz on the page; and how many options wrapped."""
    problems, wrapped = [], 0
    for k in range(roots.count()):
        questions = roots.nth(k).evaluate(_OPTION_BOXES_JS)
        for q, options in enumerate(questions, 1):
            assert len(options) >= 2, f"quiz {k + 1}, Q{q}: found {len(options)} option labels on the page"
            for opt in options:
                assert opt["painted"], f"quiz {k + 1}, Q{q}: option {opt['text'][:40]!r} is not painted"
                wrapped += opt["lines"] > 1
                if opt["clipped"]:
                    problems.append(f"{width}px, quiz {k + 1}, Q{q}: {opt['text'][:50]!r} is cut off")
            for i in range(len(options)):
                for j in range(i + 1, len(options)):
                    a, b = options[i], options[j]
                    for what in ("painted", "label"):
                        if _overlap(a[what], b[what]) > 1.0:
                            problems.append(
                                f"{width}px, quiz {k + 1}, Q{q}: {a['text'][:30]!r} and {b['text'][:30]!r} overlap ({what})"
                            )
    return problems, wrapped


def test_quiz_options_wrap_and_never_overlap(page: Any, lab: LabServer) -> None:
    """Every option of every question has its own area on screen, at 1400 and 700 pixels wide,
    and long options wrap onto several lines instead of running over the next one."""
    path = "browser-checks/quiz_layout.ipynb"
    (lab.root / path).parent.mkdir(exist_ok=True)
    (lab.root / path).write_text(json.dumps(_knowledge_check_notebook()))

    open_notebook(page, lab, path)
    run_all(page)
    states = wait_for_run_all(page, timeout=240)
    assert not any(s["error"] for s in states), "a show_quiz cell raised an error"
    roots = page.locator(f"{NOTEBOOK} .dlcourse-quiz")
    expect(roots).to_have_count(len(available_quizzes()))
    first = roots.first
    expect(first.locator(".dlcourse-quiz-question")).to_have_count(len(load_quiz("cnn")))

    report = []
    for width in (1400, 700):
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(500)  # JupyterLab lays the panel out again
        problems, wrapped = _problems(roots, width)
        report += problems
        if width < 1000:  # the check means something only if some options need more than one line
            assert wrapped > 0, f"at {width}px no option wrapped onto a second line; the test would prove nothing"
    assert not report, "options overlap or are cut off:\n  " + "\n  ".join(report[:20])
