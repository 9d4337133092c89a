"""Knowledge checks: schema validation, checking logic, text fallback and widget (no browser)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import yaml

from dlcourse.quiz import (
    QuestionFileError,
    available_quizzes,
    check_answer,
    load_quiz,
    quiz_widget,
    score_answers,
    show_quiz,
)

GOOD = {
    "lesson": "demo",
    "title": "Demo",
    "questions": [
        {
            "id": "one",
            "prompt": "Pick B",
            "options": [
                {"text": "A", "correct": False, "feedback": "no A"},
                {"text": "B", "correct": True, "feedback": "yes B"},
            ],
        },
        {
            "id": "many",
            "prompt": "Pick A and C",
            "multiple": True,
            "explanation": "A and C are right.",
            "options": [
                {"text": "A", "correct": True, "feedback": "A ok"},
                {"text": "B", "correct": False, "feedback": "B wrong"},
                {"text": 1957, "correct": True, "feedback": "C ok"},
            ],
        },
    ],
}


def write(tmp_path, data, name="demo.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def test_every_shipped_question_file_is_valid():
    names = available_quizzes()
    assert names, "no question files ship with dlcourse"
    for name in names:
        quiz = load_quiz(name)
        assert quiz.lesson == name
        for q in quiz.questions:
            assert all(o.feedback.strip() for o in q.options), f"{name}/{q.id}: feedback on every option"


def test_single_answer_checking(tmp_path):
    quiz = load_quiz(write(tmp_path, GOOD))
    q = quiz["one"]
    assert check_answer(q, "B").correct and check_answer(q, "b").score == 1.0
    assert check_answer(q, 1).correct and check_answer(q, "B").feedback == (("B", True, "yes B"),)
    wrong = check_answer(q, "A")
    assert not wrong.correct and wrong.score == 0 and wrong.feedback[0][2] == "no A"
    assert check_answer(q, None).score == 0 and check_answer(q, None).feedback == ()
    with pytest.raises(ValueError, match="takes one answer"):
        check_answer(q, ["A", "B"])
    with pytest.raises(ValueError, match="options A-B"):
        check_answer(q, "E")
    with pytest.raises(TypeError):
        check_answer(q, True)


def test_multiple_answer_partial_credit(tmp_path):
    q = load_quiz(write(tmp_path, GOOD))["many"]
    assert check_answer(q, ["A", "C"]).correct
    assert check_answer(q, ["A", "1957"]).correct, "an option can be named by its text"
    half = check_answer(q, ["A"])
    assert not half.correct and half.score == 0.5 and half.missed == ("1957",)
    assert check_answer(q, ["A", "B"]).score == 0.0  # one right, one wrong
    assert check_answer(q, ["A", "B", "C"]).score == 0.5


def test_score_answers(tmp_path):
    quiz = load_quiz(write(tmp_path, GOOD))
    total, results = score_answers(quiz, {"one": "B", "many": ["A"]})
    assert total == 1.5 and results["one"].correct
    assert score_answers(quiz, {})[0] == 0
    with pytest.raises(KeyError, match="nope"):
        score_answers(quiz, {"nope": "A"})


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.pop("title"), "the file is missing the field 'title'"),
        (lambda d: d["questions"][0].pop("prompt"), "question 1 (one) is missing the field 'prompt'"),
        (lambda d: d["questions"][0]["options"][1].pop("feedback"), "question 1 (one), option 2 is missing the field 'feedback'"),
        (lambda d: d["questions"][0]["options"][1].update(correct="yes"), "option 2, field 'correct' must be bool"),
        (lambda d: d["questions"][0]["options"][0].update(correct=True), "has 2 correct options"),
        (lambda d: d["questions"][1].update(id="one"), "repeats an earlier question's id"),
        (lambda d: d["questions"][1].update(id="bad id!"), "field 'id' may hold only"),
        (lambda d: d["questions"][0].update(options=[d["questions"][0]["options"][0]]), "at least two options"),
        (lambda d: d.update(questions=[]), "'questions' is empty"),
        (lambda d: d["questions"][0].update(prompt="  "), "field 'prompt' is empty"),
    ],
)
def test_malformed_files_name_the_file_and_field(tmp_path, mutate, message):
    import copy

    data = copy.deepcopy(GOOD)
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(QuestionFileError) as err:
        load_quiz(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_invalid_yaml_and_unknown_lesson(tmp_path):
    path = write(tmp_path, "lesson: [unclosed\n")
    with pytest.raises(QuestionFileError, match="not valid YAML"):
        load_quiz(path)
    with pytest.raises(FileNotFoundError, match="available"):
        load_quiz("no_such_lesson")


def test_text_fallback_prints_every_question(tmp_path, capsys):
    quiz = show_quiz(load_quiz(write(tmp_path, GOOD)), text=True)
    out = capsys.readouterr().out
    assert "Q1. Pick B" in out and "Q2. Pick A and C (choose all that apply)" in out and "C) 1957" in out
    assert "*" not in out, "the text version must not reveal the answers"
    assert quiz.lesson == "demo"


def test_outside_a_kernel_show_quiz_prints_text():
    code = "from dlcourse.quiz import show_quiz, available_quizzes; show_quiz(available_quizzes()[0])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("Knowledge check:")


def test_widget_gives_feedback_and_score(tmp_path):
    quiz = load_quiz(write(tmp_path, GOOD))
    root = quiz_widget(quiz)
    assert "dlcourse-quiz" in root._dom_classes
    _title, q1, q2, score = root.children
    radio, button, feedback = q1.children[1], q1.children[2], q1.children[3]
    button.click()
    assert "Choose an answer first" in feedback.value
    radio.index = 0
    button.click()
    assert "Not quite" in feedback.value and "no A" in feedback.value and "Score: 0 / 2" in score.value
    radio.index = 1
    button.click()
    assert "Correct" in feedback.value and "yes B" in feedback.value and "Score: 1 / 2" in score.value
    boxes, button2, feedback2 = q2.children[1], q2.children[2], q2.children[3]
    boxes.children[0].value = True
    button2.click()
    assert "Partly right" in feedback2.value and "Score: 1.5 / 2" in score.value


def test_kernel_display_carries_text_and_widget():
    """In a kernel, the display bundle holds the widget view and the questions as text."""
    code = textwrap.dedent(
        """
        from unittest import mock
        import IPython.display
        from dlcourse.quiz import _widget, available_quizzes
        shown = []
        with mock.patch.object(_widget, "_in_kernel", return_value=True), \\
             mock.patch.object(IPython.display, "display", lambda obj, raw=False: shown.append(obj)):
            _widget.show_quiz(available_quizzes()[0])
        bundle = shown[0]
        assert bundle["text/plain"].startswith("Knowledge check:"), bundle
        assert "model_id" in bundle["application/vnd.jupyter.widget-view+json"]
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
