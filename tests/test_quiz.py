"""Knowledge checks: schema validation, checking logic, text fallback and widget (no browser)."""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap
from collections import Counter

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
    quiz = load_quiz(write(tmp_path, GOOD), shuffle=False)
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
    q = load_quiz(write(tmp_path, GOOD), shuffle=False)["many"]
    assert check_answer(q, ["A", "C"]).correct
    assert check_answer(q, ["A", "1957"]).correct, "an option can be named by its text"
    half = check_answer(q, ["A"])
    assert not half.correct and half.score == 0.5 and half.missed == ("1957",)
    assert check_answer(q, ["A", "B"]).score == 0.0  # one right, one wrong
    assert check_answer(q, ["A", "B", "C"]).score == 0.5


def test_score_answers(tmp_path):
    quiz = load_quiz(write(tmp_path, GOOD), shuffle=False)
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
    quiz = show_quiz(load_quiz(write(tmp_path, GOOD), shuffle=False), text=True)
    out = capsys.readouterr().out
    assert "Q1. Pick B" in out and "Q2. Pick A and C (choose all that apply)" in out and "C) 1957" in out
    assert "*" not in out, "the text version must not reveal the answers"
    assert quiz.lesson == "demo"


def test_outside_a_kernel_show_quiz_prints_text():
    code = "from dlcourse.quiz import show_quiz, available_quizzes; show_quiz(available_quizzes()[0])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("Knowledge check:")


def test_widget_gives_feedback_and_score(tmp_path):
    quiz = load_quiz(write(tmp_path, GOOD), shuffle=False)
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


# --------------------------------------------------------------------------- shuffled options


def test_options_are_shuffled_stably_per_question(tmp_path):
    """The order shown is a permutation of the file's, fixed by lesson and question id."""
    from dlcourse.quiz import option_order

    assert option_order("cnn", "pooling", 4) == option_order("cnn", "pooling", 4)
    orders = {tuple(option_order(name, q.id, len(q.options))) for name in available_quizzes() for q in load_quiz(name)}
    assert len(orders) >= 12, "different questions get different orders (24 permutations of 4)"
    data = copy.deepcopy(GOOD)
    data["questions"][0]["options"] += [{"text": t, "correct": False, "feedback": f"no {t}"} for t in "CDE"]
    path = write(tmp_path, data)
    raw, shown = load_quiz(path, shuffle=False)["one"], load_quiz(path)["one"]
    order = option_order("demo", "one", 5)
    assert sorted(order) == list(range(5)) and order != list(range(5))
    assert shown.options == tuple(raw.options[i] for i in order)
    # the same order in a fresh interpreter (no dependence on hash randomisation)
    code = "from dlcourse.quiz import option_order; print(option_order('demo', 'one', 5))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(order)


@pytest.mark.parametrize("name", available_quizzes())
def test_widget_text_checker_and_graded_check_agree(name, capsys):
    """Letter X means the same option in the widget, the text version, check_answer and the
    graded knowledge check (dlcourse.selfcheck, which reads the files on its own)."""
    from dlcourse import selfcheck

    quiz = load_quiz(name)
    text = quiz.as_text()
    root = quiz_widget(quiz)
    selfcheck.show_questions(name, [q.id for q in quiz.questions])
    printed = capsys.readouterr().out
    for n, q in enumerate(quiz.questions):
        box = root.children[1 + n]
        chooser = box.children[1]
        labels = [c.description for c in chooser.children] if q.multiple else list(chooser.options)
        for i, option in enumerate(q.options):
            line = f"{chr(65 + i)}) {option.text}"
            assert labels[i] == line and f"   {line}\n" in text, f"{name}/{q.id}: widget and text disagree"
            assert f"    {chr(65 + i)}) {' '.join(option.text.split())}\n" in printed, f"{name}/{q.id}: ex06 disagrees"
        key = q.correct_letters
        assert check_answer(q, list(key)).correct
        parts = selfcheck.Parts()
        selfcheck.grade_quiz({q.id: list(key)}, name, [q.id], parts)
        assert parts.score == 1, f"{name}/{q.id}: the graded check does not accept the widget's key {key}"
        wrong = next(letter for letter in "ABCD"[: len(q.options)] if letter not in key)
        parts = selfcheck.Parts()
        selfcheck.grade_quiz({q.id: wrong}, name, [q.id], parts)
        assert parts.score < 1
    capsys.readouterr()


# --------------------------------------------------------------------------- honest questions

#: Most a single key position may hold, over all files; the most a key position may hold in
#: one file; most questions whose right option is the strictly longest; most the right
#: option may be longer than the average wrong one, on average over all questions.
MAX_POSITION_SHARE = 0.35
MAX_POSITION_SHARE_PER_FILE = 0.5
MAX_KEY_LONGEST_SHARE = 0.35
MAX_MEAN_LENGTH_RATIO = 1.25


def _balance(shuffle: bool) -> dict:
    """Key positions of single-answer questions (overall and per file), and how many
    questions a learner could answer by picking the longest option."""
    positions: Counter = Counter()
    per_file: dict[str, Counter] = {}
    longest, ratios, n = [], [], 0
    for name in available_quizzes():  # every file in the folder, lessons added later included
        quiz = load_quiz(name, shuffle=shuffle)
        per_file[name] = Counter()
        for q in quiz.questions:
            n += 1
            lengths = [len(o.text) for o in q.options]
            right = [lengths[i] for i in q.correct_indices]
            wrong = [lengths[i] for i in range(len(q.options)) if i not in q.correct_indices]
            if wrong and min(right) > max(wrong):
                longest.append(f"{name}/{q.id}")
            if wrong:
                ratios.append((sum(right) / len(right)) / (sum(wrong) / len(wrong)))
            if not q.multiple:
                (k,) = q.correct_indices
                positions[k] += 1
                per_file[name][k] += 1
    return {"positions": positions, "per_file": per_file, "longest": longest, "ratios": ratios, "n": n}


@pytest.mark.parametrize("shuffle", [False, True], ids=["in the files", "as shown"])
def test_key_positions_are_balanced(shuffle):
    """A learner cannot score by always picking A (or any one letter): neither in the order
    shown nor in the files' order (which authors read and the shuffle starts from)."""
    b = _balance(shuffle)
    total = sum(b["positions"].values())
    shares = {chr(65 + k): round(v / total, 3) for k, v in sorted(b["positions"].items())}
    assert max(b["positions"].values()) / total <= MAX_POSITION_SHARE, f"key positions over all files: {shares}"
    where = "in the file" if not shuffle else "as shown (reorder the options in the file)"
    for name, counts in b["per_file"].items():
        singles = sum(counts.values())
        if singles >= 4:
            top, count = counts.most_common(1)[0]
            assert count <= MAX_POSITION_SHARE_PER_FILE * singles, (
                f"{name}: {count} of {singles} single-answer keys are option {chr(65 + top)} {where}"
            )


def test_the_key_is_not_the_longest_option():
    """Distractors are as long and as plausible as the key: picking the longest option
    must not pass a quiz."""
    b = _balance(shuffle=False)
    share = len(b["longest"]) / b["n"]
    assert share <= MAX_KEY_LONGEST_SHARE, (
        f"the key is the strictly longest option in {share:.0%} of the questions: {b['longest']}"
    )
    mean_ratio = sum(b["ratios"]) / len(b["ratios"])
    assert mean_ratio <= MAX_MEAN_LENGTH_RATIO, f"keys are on average {mean_ratio:.2f}x as long as distractors"
