"""Knowledge-check questions: the file schema, loading, and the checking logic.

Question files are YAML, one per lesson, in ``dlcourse/quiz/questions/<lesson>.yaml``::

    lesson: history                 # must match the file name
    title: History of AI and deep learning
    questions:
      - id: perceptron-year         # unique within the file: letters, digits, - and _
        prompt: When did Rosenblatt first describe the perceptron?
        multiple: false             # optional; true when several options are correct
        explanation: Shown after the learner checks, whatever they chose.   # optional
        options:
          - text: "1943"
            correct: false
            feedback: That was McCulloch and Pitts' neuron model.
          - text: 1957-58
            correct: true
            feedback: Right - a 1957 report, then a 1958 paper.

Every option needs ``text``, ``correct`` and ``feedback``. A single-answer question has
exactly one correct option; a multiple-answer question at least one.
Nothing here imports a widget library, so the logic is tested without a browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "Option",
    "Question",
    "Quiz",
    "Result",
    "QuestionFileError",
    "load_quiz",
    "available_quizzes",
    "check_answer",
    "score_answers",
    "questions_dir",
]

_ID = re.compile(r"^[A-Za-z0-9_-]+$")


class QuestionFileError(ValueError):
    """A question file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Question:
    id: str
    prompt: str
    options: tuple[Option, ...]
    multiple: bool = False
    explanation: str = ""

    @property
    def correct_indices(self) -> frozenset[int]:
        return frozenset(i for i, o in enumerate(self.options) if o.correct)


@dataclass(frozen=True)
class Quiz:
    lesson: str
    title: str
    questions: tuple[Question, ...]
    source: str = ""

    def __len__(self) -> int:
        return len(self.questions)

    def __repr__(self) -> str:  # short: a notebook cell ending in show_quiz(...) echoes it
        return f"Quiz({self.lesson!r}, {len(self.questions)} questions)"

    def __getitem__(self, key: int | str) -> Question:
        if isinstance(key, str):
            for q in self.questions:
                if q.id == key:
                    return q
            raise KeyError(f"quiz {self.lesson!r} has no question {key!r}; ids: {[q.id for q in self.questions]}")
        return self.questions[key]

    def as_text(self, *, show_answers: bool = False) -> str:
        """The quiz as plain text, for consoles and notebook runs without widgets."""
        lines = [f"Knowledge check: {self.title} ({len(self.questions)} questions)", ""]
        for n, q in enumerate(self.questions, 1):
            kind = " (choose all that apply)" if q.multiple else ""
            lines.append(f"Q{n}. {q.prompt}{kind}")
            for i, o in enumerate(q.options):
                mark = " *" if show_answers and o.correct else ""
                lines.append(f"   {chr(ord('A') + i)}) {o.text}{mark}")
            lines.append("")
        lines.append("Run this notebook in JupyterLab or Colab to answer interactively, or call")
        lines.append(f"dlcourse.quiz.check_answer(quiz['<id>'], 'B') with quiz = dlcourse.quiz.load_quiz({self.lesson!r}).")
        return "\n".join(lines)


@dataclass(frozen=True)
class Result:
    """The outcome of checking one answer."""

    correct: bool
    score: float  # 1.0 when exactly right; partial credit for multiple-answer questions
    feedback: tuple[tuple[str, bool, str], ...]  # (option text, was it correct, feedback) per chosen option
    missed: tuple[str, ...] = field(default=())  # correct options not chosen (multiple answers)

    def as_text(self) -> str:
        head = "Correct!" if self.correct else ("Partly right." if self.score > 0 else "Not quite.")
        lines = [head]
        for text, ok, fb in self.feedback:
            lines.append(f"{'✔' if ok else '✘'} {text}: {fb}")
        if self.missed:
            lines.append(f"You missed {len(self.missed)} correct option(s).")
        return "\n".join(lines)


def questions_dir() -> Path:
    """The folder of the question files that ship with dlcourse."""
    return Path(str(resources.files("dlcourse.quiz") / "questions"))


def _require(mapping: Any, key: str, kind: type, where: str, path: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise QuestionFileError(f"{path}: {where} is missing the field '{key}'")
    value = mapping[key]
    if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # YAML reads an option such as 1957 as a number
    ok = isinstance(value, bool) if kind is bool else isinstance(value, kind) and not isinstance(value, bool)
    if not ok:
        raise QuestionFileError(f"{path}: {where}, field '{key}' must be {kind.__name__}, got {type(value).__name__}")
    if isinstance(value, str) and not value.strip():
        raise QuestionFileError(f"{path}: {where}, field '{key}' is empty")
    return value


def parse_quiz(data: Any, path: str = "<quiz>") -> Quiz:
    """Validate a parsed question file and build a :class:`Quiz`.

    Raises
    ------
    QuestionFileError
        Naming the file, the question and the field that is wrong.
    """
    if not isinstance(data, dict):
        raise QuestionFileError(f"{path}: the file must hold a mapping with 'lesson', 'title' and 'questions'")
    lesson = _require(data, "lesson", str, "the file", path)
    title = _require(data, "title", str, "the file", path)
    raw_questions = _require(data, "questions", list, "the file", path)
    if not raw_questions:
        raise QuestionFileError(f"{path}: 'questions' is empty")
    seen: set[str] = set()
    questions = []
    for n, rq in enumerate(raw_questions, 1):
        where = f"question {n}"
        qid = _require(rq, "id", str, where, path)
        where = f"question {n} ({qid})"
        if not _ID.match(qid):
            raise QuestionFileError(f"{path}: {where}, field 'id' may hold only letters, digits, '-' and '_'")
        if qid in seen:
            raise QuestionFileError(f"{path}: {where}, field 'id' repeats an earlier question's id")
        seen.add(qid)
        prompt = _require(rq, "prompt", str, where, path)
        multiple = rq.get("multiple", False)
        if not isinstance(multiple, bool):
            raise QuestionFileError(f"{path}: {where}, field 'multiple' must be true or false")
        explanation = rq.get("explanation", "") or ""
        raw_options = _require(rq, "options", list, where, path)
        if len(raw_options) < 2:
            raise QuestionFileError(f"{path}: {where}, field 'options' needs at least two options")
        options = []
        for k, ro in enumerate(raw_options, 1):
            owhere = f"{where}, option {k}"
            options.append(
                Option(
                    text=_require(ro, "text", str, owhere, path),
                    correct=_require(ro, "correct", bool, owhere, path),
                    feedback=_require(ro, "feedback", str, owhere, path),
                )
            )
        n_correct = sum(o.correct for o in options)
        if n_correct == 0:
            raise QuestionFileError(f"{path}: {where}, field 'options' has no option with correct: true")
        if not multiple and n_correct != 1:
            raise QuestionFileError(
                f"{path}: {where}, field 'options' has {n_correct} correct options; "
                "set 'multiple: true' or mark exactly one"
            )
        questions.append(Question(qid, prompt, tuple(options), multiple, str(explanation)))
    return Quiz(lesson, title, tuple(questions), path)


def load_quiz(lesson: str | Path) -> Quiz:
    """Load the knowledge check of a lesson.

    Parameters
    ----------
    lesson : str or Path
        A lesson name such as ``"history"`` (a file that ships with dlcourse), or the path
        of a YAML question file.

    Raises
    ------
    QuestionFileError
        When the file is malformed; the message names the file and the field.
    FileNotFoundError
        When no such lesson exists; the message lists the available ones.

    Examples
    --------
    >>> from dlcourse.quiz import load_quiz, available_quizzes
    >>> quiz = load_quiz(available_quizzes()[0])
    >>> len(quiz) >= 1
    True
    """
    import yaml

    path = Path(lesson)
    if path.suffix not in (".yaml", ".yml"):
        path = questions_dir() / f"{lesson}.yaml"
        if not path.exists():
            raise FileNotFoundError(f"no knowledge check named {lesson!r}; available: {', '.join(available_quizzes())}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise QuestionFileError(f"{path}: not valid YAML: {exc}") from None
    quiz = parse_quiz(data, str(path))
    if path.parent == questions_dir() and quiz.lesson != path.stem:
        raise QuestionFileError(f"{path}: field 'lesson' is {quiz.lesson!r} but the file is named {path.stem!r}")
    return quiz


def available_quizzes() -> list[str]:
    """Names of the knowledge checks that ship with dlcourse."""
    return sorted(p.stem for p in questions_dir().glob("*.yaml"))


def _as_indices(question: Question, selected: int | str | Iterable[int | str] | None) -> set[int]:
    if selected is None:
        return set()
    items: Sequence[int | str] = [selected] if isinstance(selected, (int, str)) else list(selected)
    out = set()
    n = len(question.options)
    for item in items:
        if isinstance(item, bool):
            raise TypeError(f"an answer must be an option index or letter, got {item!r}")
        if isinstance(item, str):
            s = item.strip()
            if len(s) == 1 and s.isalpha():
                idx = ord(s.upper()) - ord("A")
            else:
                texts = [o.text for o in question.options]
                if s not in texts:
                    raise ValueError(f"{item!r} is not an option of question {question.id!r}: use a letter A-{chr(ord('A') + n - 1)}")
                idx = texts.index(s)
        else:
            idx = int(item)
        if not 0 <= idx < n:
            raise ValueError(f"question {question.id!r} has options A-{chr(ord('A') + n - 1)} (0-{n - 1}); got {item!r}")
        out.add(idx)
    return out


def check_answer(question: Question, selected: int | str | Iterable[int | str] | None) -> Result:
    """Check an answer and return feedback for every option chosen.

    Parameters
    ----------
    question : Question
    selected : int, str, iterable of those, or None
        Option index (0-based), letter (``"A"``), option text, or several of them for a
        multiple-answer question.

    Returns
    -------
    Result
        ``correct`` when exactly the correct options were chosen. ``score`` is 1 or 0
        for a single-answer question; for a multiple-answer question it is
        (right choices - wrong choices) / number of correct options, floored at 0.

    Examples
    --------
    >>> from dlcourse.quiz._model import Option, Question, check_answer
    >>> q = Question("q", "2 + 2?", (Option("4", True, "Yes."), Option("5", False, "No.")))
    >>> check_answer(q, "A").correct, check_answer(q, 1).score
    (True, 0.0)
    """
    chosen = _as_indices(question, selected)
    if not question.multiple and len(chosen) > 1:
        raise ValueError(f"question {question.id!r} takes one answer, got {len(chosen)}")
    right = question.correct_indices
    hits = len(chosen & right)
    wrong = len(chosen - right)
    correct = chosen == right
    score = 1.0 if correct else (max(0.0, (hits - wrong) / len(right)) if question.multiple else 0.0)
    feedback = tuple(
        (question.options[i].text, question.options[i].correct, question.options[i].feedback) for i in sorted(chosen)
    )
    missed = tuple(question.options[i].text for i in sorted(right - chosen)) if question.multiple else ()
    return Result(correct, score, feedback, missed)


def score_answers(quiz: Quiz, answers: dict[str, Any]) -> tuple[float, dict[str, Result]]:
    """Score a whole quiz; unanswered questions score 0.

    Returns
    -------
    total : float
        Sum of the per-question scores (out of ``len(quiz)``).
    results : dict
        Question id -> :class:`Result`.
    """
    unknown = set(answers) - {q.id for q in quiz.questions}
    if unknown:
        raise KeyError(f"no such question(s) in {quiz.lesson!r}: {sorted(unknown)}")
    results = {q.id: check_answer(q, answers.get(q.id)) for q in quiz.questions}
    return sum(r.score for r in results.values()), results
