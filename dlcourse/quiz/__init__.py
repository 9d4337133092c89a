"""Knowledge checks: question files with feedback on every option, a widget, and checks.

The lessons show them with :func:`show_quiz`; the tests and the graded exercises check
answers with :func:`check_answer` and :func:`score_answers`. Options appear in a shuffled
order that is stable per question (:func:`option_order`), the same in the widget, the text
version and the letters every checker accepts.

Examples
--------
>>> from dlcourse.quiz import load_quiz, check_answer
>>> quiz = load_quiz("cnn")
>>> q = quiz["pooling"]
>>> check_answer(q, q.correct_letters).correct
True
"""

from ._model import (
    Option,
    Question,
    QuestionFileError,
    Quiz,
    Result,
    available_quizzes,
    check_answer,
    letter,
    load_quiz,
    option_order,
    parse_quiz,
    questions_dir,
    score_answers,
)
from ._widget import quiz_widget, show_quiz

__all__ = [
    "Option",
    "Question",
    "Quiz",
    "Result",
    "QuestionFileError",
    "available_quizzes",
    "check_answer",
    "letter",
    "load_quiz",
    "option_order",
    "parse_quiz",
    "questions_dir",
    "score_answers",
    "quiz_widget",
    "show_quiz",
]
