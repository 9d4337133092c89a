"""The knowledge-check widget (ipywidgets 7.7 and 8), with a plain-text fallback."""

from __future__ import annotations

import html
import sys
from typing import Any

from ._model import Question, Quiz, Result, check_answer, load_quiz

__all__ = ["show_quiz", "quiz_widget"]

# Okabe-Ito colours: distinguishable with every common colour-vision deficiency; the
# feedback also says right/wrong in words and symbols, never by colour alone.
_RIGHT, _WRONG = "#009E73", "#D55E00"


def _feedback_html(result: Result, question: Question) -> str:
    if not result.feedback:
        return "<em>Choose an answer first.</em>"
    head = "✔ Correct!" if result.correct else ("◐ Partly right." if result.score > 0 else "✘ Not quite.")
    colour = _RIGHT if result.correct else _WRONG
    parts = [f'<div class="dlcourse-quiz-verdict" style="font-weight:bold;color:{colour}">{head}</div><ul>']
    for text, ok, fb in result.feedback:
        mark = "✔" if ok else "✘"
        parts.append(f"<li><b>{mark} {html.escape(text)}</b>: {html.escape(fb)}</li>")
    parts.append("</ul>")
    if result.missed:
        parts.append(f"<div>You missed {len(result.missed)} correct option(s).</div>")
    if question.explanation and (result.correct or result.score > 0):
        parts.append(f"<div><em>{html.escape(question.explanation)}</em></div>")
    return "".join(parts)


def quiz_widget(quiz: Quiz) -> Any:
    """Build the ipywidgets tree for ``quiz`` (one box per question and a score line).

    The root carries the CSS class ``dlcourse-quiz``; each question box
    ``dlcourse-quiz-question``, for tests and styling.
    """
    import ipywidgets as w

    score_html = w.HTML(value=f"Score: 0 / {len(quiz)}")
    score_html.add_class("dlcourse-quiz-score")
    scores: dict[str, float] = {}
    boxes = []
    for n, q in enumerate(quiz.questions, 1):
        labels = [f"{chr(ord('A') + i)}) {o.text}" for i, o in enumerate(q.options)]
        if q.multiple:
            choices = [w.Checkbox(value=False, description=label, indent=False, layout=w.Layout(width="auto")) for label in labels]
            chooser = w.VBox(choices)

            def selected(choices=choices) -> list[int]:
                return [i for i, c in enumerate(choices) if c.value]
        else:
            chooser = w.RadioButtons(options=labels, index=None, layout=w.Layout(width="auto"))

            def selected(chooser=chooser) -> list[int]:
                return [] if chooser.index is None else [chooser.index]

        button = w.Button(description="Check", button_style="primary", tooltip="Check this answer")
        feedback = w.HTML(value="")
        feedback.add_class("dlcourse-quiz-feedback")

        def on_click(_btn: Any, q=q, selected=selected, feedback=feedback) -> None:
            result = check_answer(q, selected())
            feedback.value = _feedback_html(result, q)
            if result.feedback:
                scores[q.id] = result.score
                total = sum(scores.values())
                score_html.value = f"Score: {total:g} / {len(quiz)} ({len(scores)} answered)"

        button.on_click(on_click)
        hint = " <em>(choose all that apply)</em>" if q.multiple else ""
        box = w.VBox([w.HTML(value=f"<b>Q{n}.</b> {html.escape(q.prompt)}{hint}"), chooser, button, feedback])
        box.add_class("dlcourse-quiz-question")
        boxes.append(box)
    root = w.VBox([w.HTML(value=f"<h3>Knowledge check: {html.escape(quiz.title)}</h3>"), *boxes, score_html])
    root.add_class("dlcourse-quiz")
    return root


def _in_kernel() -> bool:
    ip = sys.modules.get("IPython")
    shell = ip.get_ipython() if ip is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def show_quiz(lesson: str | Quiz, *, text: bool | None = None) -> Any:
    """Show a lesson's knowledge check: a widget in Jupyter, plain text elsewhere.

    In a Jupyter kernel the widget is displayed together with a plain-text version of
    the questions, so a front end without widgets (nbval, nbconvert, a terminal console)
    shows readable questions instead of a widget placeholder. Outside a kernel (a
    script, the plain Python REPL) the questions are printed.

    Parameters
    ----------
    lesson : str or Quiz
        A lesson name (see :func:`available_quizzes`), a YAML path, or a loaded quiz.
    text : bool, optional
        Force text (``True``) or the widget (``False``); by default decided as above.

    Returns
    -------
    Quiz
        The quiz, for scripted checking with :func:`check_answer`.

    Examples
    --------
    >>> from dlcourse.quiz import show_quiz, available_quizzes
    >>> quiz = show_quiz(available_quizzes()[0], text=True)   # doctest: +ELLIPSIS
    Knowledge check: ...
    """
    quiz = lesson if isinstance(lesson, Quiz) else load_quiz(lesson)
    if text is None:
        text = not _in_kernel()
    if text:
        print(quiz.as_text())
        return quiz
    from IPython.display import display

    widget = quiz_widget(quiz)
    bundle = _widget_bundle(widget)
    bundle["text/plain"] = quiz.as_text()
    display(bundle, raw=True)
    return quiz


def _widget_bundle(widget: Any) -> dict[str, Any]:
    """The display data of a widget, on ipywidgets 8 (``_repr_mimebundle_``) and 7."""
    if hasattr(widget, "_repr_mimebundle_"):
        return dict(widget._repr_mimebundle_())
    return {  # ipywidgets 7.x publishes this same view spec from _ipython_display_
        "application/vnd.jupyter.widget-view+json": {
            "version_major": 2,
            "version_minor": 0,
            "model_id": widget._model_id,
        }
    }
