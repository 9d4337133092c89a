"""What a learner sees first in JupyterLab: the landing page, and a knowledge check that gives
feedback and keeps score.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from dlcourse.quiz import available_quizzes, load_quiz

from .lab_helpers import NOTEBOOK, LabServer, expect, open_notebook, run_all, wait_for_run_all

pytestmark = pytest.mark.browser


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- knowledge check


def _quiz_notebook(slug: str) -> dict[str, Any]:
    return {
        "cells": [
            {
                "cell_type": "code", "execution_count": None, "id": "quiz", "metadata": {}, "outputs": [],
                "source": f'from dlcourse.quiz import show_quiz\n\nshow_quiz("{slug}")',
            }
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_knowledge_check_gives_feedback_and_scores(page: Any, lab: LabServer) -> None:
    """``show_quiz`` in JupyterLab: a wrong option shows its own feedback and scores 0; the
    right one says so and scores 1 (and, if the quiz has one, a multiple-answer question
    scores when all its right options are ticked)."""
    slugs = available_quizzes()
    assert slugs, "dlcourse ships no question files"
    slug = "getting_started" if "getting_started" in slugs else slugs[0]
    quiz = load_quiz(slug)
    path = "browser-checks/knowledge_check.ipynb"
    (lab.root / path).parent.mkdir(exist_ok=True)
    (lab.root / path).write_text(json.dumps(_quiz_notebook(slug)))

    open_notebook(page, lab, path)
    run_all(page)
    wait_for_run_all(page, timeout=180)
    root = page.locator(f"{NOTEBOOK} .dlcourse-quiz")
    expect(root).to_be_visible()
    boxes = root.locator(".dlcourse-quiz-question")
    expect(boxes).to_have_count(len(quiz))
    score = root.locator(".dlcourse-quiz-score")
    expect(score).to_have_text(f"Score: 0 / {len(quiz)}")

    single = next((k for k, q in enumerate(quiz.questions) if not q.multiple), None)
    assert single is not None, f"quiz {slug!r} has no single-answer question to try"
    question, box = quiz.questions[single], boxes.nth(single)
    right = min(question.correct_indices)
    wrong = next(i for i in range(len(question.options)) if i not in question.correct_indices)
    radios = box.locator(".widget-radio-box input[type=radio]")
    expect(radios).to_have_count(len(question.options))
    feedback = box.locator(".dlcourse-quiz-feedback")
    check = box.get_by_role("button", name="Check")

    radios.nth(wrong).check()
    check.click()
    expect(feedback).to_contain_text("Not quite")
    expect(feedback).to_contain_text(_squash(question.options[wrong].feedback)[:60])
    expect(score).to_have_text(f"Score: 0 / {len(quiz)} (1 answered)")

    radios.nth(right).check()
    check.click()
    expect(feedback).to_contain_text("Correct!")
    expect(feedback).to_contain_text(_squash(question.options[right].feedback)[:60])
    expect(score).to_have_text(f"Score: 1 / {len(quiz)} (1 answered)")

    multiple = next((k for k, q in enumerate(quiz.questions) if q.multiple), None)
    if multiple is not None:
        question, box = quiz.questions[multiple], boxes.nth(multiple)
        ticks = box.locator(".widget-checkbox input[type=checkbox]")
        expect(ticks).to_have_count(len(question.options))
        for i in sorted(question.correct_indices):
            ticks.nth(i).check()
        box.get_by_role("button", name="Check").click()
        expect(box.locator(".dlcourse-quiz-feedback")).to_contain_text("Correct!")
        expect(score).to_have_text(f"Score: 2 / {len(quiz)} (2 answered)")


# --------------------------------------------------------------------------- landing page


def test_landing_page_opens_and_links_to_lessons(page: Any, lab: LabServer) -> None:
    """``course/index.ipynb`` opens with its title; its links to notebooks point at files that
    exist; clicking the first lesson link opens that lesson in JupyterLab."""
    assert (lab.root / "index.ipynb").exists(), "course/index.ipynb (the landing page) is missing"
    open_notebook(page, lab, "index.ipynb")
    markdown = page.locator(f"{NOTEBOOK} .jp-RenderedMarkdown")
    expect(markdown.locator("h1").first).to_be_visible()

    # JupyterLab rewrites a relative link to ``<server>/files/<path>?_xsrf=...`` and opens it in
    # a tab when clicked; anchors (#...) and other sites are left alone.
    hrefs = markdown.locator("a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    local = []
    for href in hrefs:
        url = urlparse(href)
        if url.netloc == f"127.0.0.1:{lab.port}" and url.path.startswith("/files/"):
            local.append((href, unquote(url.path[len("/files/"):])))
    assert local, f"the landing page links to nothing in the course; its links: {hrefs}"
    missing = sorted({target for _, target in local if not (lab.root / target).exists()})

    lesson_links = [(h, t) for h, t in local if re.match(r"module\d+/.+\.ipynb$", t) and t not in missing]
    assert lesson_links, f"the landing page links to no existing lesson (moduleN/...): {[t for _, t in local]}"
    href, target = lesson_links[0]
    page.locator(f'{NOTEBOOK} .jp-RenderedMarkdown a[href="{href}"]').first.click()
    name = Path(target).name
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current", has_text=name)
    expect(tab).to_be_visible(timeout=60_000)
    expect(page.locator(f"{NOTEBOOK} .jp-RenderedMarkdown h1").first).to_be_visible(timeout=60_000)

    assert not missing, f"the landing page links to course files that do not exist: {missing}"
