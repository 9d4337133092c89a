"""The knowledge-check widget (ipywidgets 7.7 and 8), with a plain-text fallback.

The options appear in the order of :func:`dlcourse.quiz.load_quiz` (shuffled, stable per
question), lettered as in the text version and as :func:`dlcourse.quiz.check_answer` reads
letters.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._model import Question, Quiz, Result, check_answer, letter, load_quiz

__all__ = ["show_quiz", "quiz_widget"]

# Okabe-Ito colours: distinguishable with every common colour-vision deficiency; the
# feedback also says right/wrong in words and symbols, never by colour alone.
_RIGHT, _WRONG = "#009E73", "#D55E00"

# ipywidgets gives every radio label and checkbox a fixed one-line height (and the radio
# button floats after the text), so a long option runs over the next one. Lay each option out
# as a row, button first, text wrapping beside it, long code names broken anywhere (same
# classes in ipywidgets 7 and 8).
_CSS = """<style>
.dlcourse-quiz .widget-radio-box label,
.dlcourse-quiz .widget-checkbox,
.dlcourse-quiz .widget-checkbox label {
  display: flex; align-items: flex-start; height: auto;
  min-height: var(--jp-widgets-inline-height, 28px); line-height: 1.4;
  white-space: normal; overflow: visible; text-overflow: clip; overflow-wrap: anywhere;
}
.dlcourse-quiz .widget-radio-box label { margin-bottom: 6px; }
.dlcourse-quiz .widget-radio-box input,
.dlcourse-quiz .widget-checkbox input {
  order: -1; float: none; flex: 0 0 auto; align-self: flex-start; height: auto; margin-top: 0.2em;
}
.dlcourse-quiz .widget-checkbox span {
  white-space: normal; overflow: visible; text-overflow: clip; overflow-wrap: anywhere;
}
</style>"""


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


def _ticked(boxes: list[Any]) -> Callable[[], list[int]]:
    """Return a function that gives the positions of the ticked checkboxes."""
    return lambda: [i for i, box in enumerate(boxes) if box.value]


def _picked(radio: Any) -> Callable[[], list[int]]:
    """Return a function that gives the position of the chosen radio button, if any."""
    return lambda: [] if radio.index is None else [radio.index]


def quiz_widget(quiz: Quiz) -> Any:
    """Build the ipywidgets tree for ``quiz`` (one box per question and a score line).

    The root carries the CSS class ``dlcourse-quiz``; each question box
    ``dlcourse-quiz-question``, for tests and styling. Long options wrap.

    Parameters
    ----------
    quiz : Quiz
        A loaded quiz; options are shown in its order, lettered A, B, ...

    Returns
    -------
    ipywidgets.VBox
        The root widget: a title, one box per question (prompt, choices, a Check button
        and feedback) and the score.

    Examples
    --------
    >>> from dlcourse.quiz import load_quiz, quiz_widget
    >>> quiz = load_quiz("cnn")
    >>> root = quiz_widget(quiz)
    >>> len(root.children) == len(quiz) + 2   # title, questions, score
    True
    >>> root.children[1].children[1].options[0] == f"A) {quiz.questions[0].options[0].text}"
    True
    """
    import ipywidgets as w

    score_html = w.HTML(value=f"Score: 0 / {len(quiz)}")
    score_html.add_class("dlcourse-quiz-score")
    scores: dict[str, float] = {}
    boxes = []
    for n, q in enumerate(quiz.questions, 1):
        labels = [f"{letter(i)}) {o.text}" for i, o in enumerate(q.options)]
        if q.multiple:
            choices = [w.Checkbox(value=False, description=label, indent=False, layout=w.Layout(width="auto")) for label in labels]
            chooser: Any = w.VBox(choices)
            selected = _ticked(choices)
        else:
            chooser = w.RadioButtons(options=labels, index=None, layout=w.Layout(width="auto"))
            selected = _picked(chooser)

        button = w.Button(description="Check", button_style="primary", tooltip="Check this answer")
        feedback = w.HTML(value="")
        feedback.add_class("dlcourse-quiz-feedback")

        def on_click(
            _btn: Any,
            q: Question = q,
            selected: Callable[[], list[int]] = selected,
            feedback: Any = feedback,
        ) -> None:
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
    title = w.HTML(value=f"{_CSS}<h3>Knowledge check: {html.escape(quiz.title)}</h3>")
    root = w.VBox([title, *boxes, score_html])
    root.add_class("dlcourse-quiz")
    return root


def _in_kernel() -> bool:
    """Return whether this runs in a Jupyter kernel (not a script or the plain REPL)."""
    ip = sys.modules.get("IPython")
    shell = ip.get_ipython() if ip is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def show_quiz(lesson: str | Path | Quiz, *, text: bool | None = None) -> Quiz:
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
    >>> from dlcourse.quiz import show_quiz
    >>> quiz = show_quiz("cnn", text=True)   # doctest: +ELLIPSIS
    Knowledge check: Convolutional networks (... questions)
    <BLANKLINE>
    Q1. ...
    >>> quiz
    Quiz('cnn', ... questions)
    """
    quiz = lesson if isinstance(lesson, Quiz) else load_quiz(lesson)
    if text is None:
        text = not _in_kernel()
    if text:
        print(quiz.as_text())
        return quiz
    import IPython.display

    display: Callable[..., Any] = IPython.display.display  # IPython has no type hints
    widget = quiz_widget(quiz)
    bundle = _widget_bundle(widget)
    bundle["text/plain"] = quiz.as_text()
    display(bundle, raw=True)
    return quiz


def _widget_bundle(widget: Any) -> dict[str, Any]:
    """Return the display data of a widget, on ipywidgets 8 (``_repr_mimebundle_``) and 7."""
    if hasattr(widget, "_repr_mimebundle_"):
        return dict(widget._repr_mimebundle_())
    return {  # ipywidgets 7.x publishes this same view spec from _ipython_display_
        "application/vnd.jupyter.widget-view+json": {
            "version_major": 2,
            "version_minor": 0,
            "model_id": widget._model_id,
        }
    }
