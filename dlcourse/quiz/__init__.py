"""Knowledge checks: question files with feedback on every option, a widget, and plain
functions for checking answers (used by the lessons, the tests and graded exercises)."""

from ._model import (
    Option,
    Question,
    QuestionFileError,
    Quiz,
    Result,
    available_quizzes,
    check_answer,
    load_quiz,
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
    "load_quiz",
    "parse_quiz",
    "questions_dir",
    "score_answers",
    "quiz_widget",
    "show_quiz",
]
