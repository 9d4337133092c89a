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

The learner sees each question's options in a shuffled order that is the same on every run
and every machine: :func:`option_order` derives it from the lesson name and the question id.
:func:`load_quiz` returns the options in that order, so the widget, the text version, the
letters that :func:`check_answer` and :func:`score_answers` accept and the graded knowledge
check (``dlcourse.selfcheck``) all agree. Nothing here imports a widget library, so the
logic is tested without a browser.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
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
    "letter",
    "load_quiz",
    "option_order",
    "parse_quiz",
    "available_quizzes",
    "check_answer",
    "score_answers",
    "questions_dir",
]

_ID = re.compile(r"^[A-Za-z0-9_-]+$")


class QuestionFileError(ValueError):
    """A question file is malformed; the message names the file and the field."""


def letter(index: int) -> str:
    """Return the letter that labels the option at a 0-based position.

    Parameters
    ----------
    index : int
        Position of the option as shown, from 0.

    Returns
    -------
    str
        ``"A"`` for 0, ``"B"`` for 1, and so on.

    Examples
    --------
    >>> letter(0), letter(3)
    ('A', 'D')
    """
    return chr(ord("A") + index)


def option_order(lesson: str, question_id: str, n_options: int) -> list[int]:
    """Return the order in which a question's options are shown: stable, and shuffled.

    Each option is ranked by the SHA-256 digest of ``"<lesson>/<question id>/<index in the
    file>"``, so the order looks random, differs between questions, and is the same on every
    run, machine and Python version (``hash()`` and :mod:`random` promise neither). Where the
    correct option sits in the file therefore tells the learner nothing.

    Parameters
    ----------
    lesson : str
        The quiz's lesson name (its file name without ``.yaml``).
    question_id : str
        The question's ``id``.
    n_options : int
        How many options the question has.

    Returns
    -------
    list of int
        ``order[k]`` is the index, in the file, of the option shown at position ``k``.

    Examples
    --------
    >>> order = option_order("cnn", "pooling", 4)
    >>> sorted(order)
    [0, 1, 2, 3]
    >>> order == option_order("cnn", "pooling", 4)
    True
    """

    def rank(i: int) -> bytes:
        return hashlib.sha256(f"{lesson}/{question_id}/{i}".encode()).digest()

    return sorted(range(n_options), key=rank)


@dataclass(frozen=True)
class Option:
    """One answer option of a question.

    Parameters
    ----------
    text : str
        What the learner reads.
    correct : bool
        Whether choosing it is right.
    feedback : str
        Why it is right or wrong, shown when the learner checks it.

    Examples
    --------
    >>> Option("4", True, "2 + 2 = 4.").correct
    True
    """

    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Question:
    """One question, with its options in the order the learner sees them.

    Parameters
    ----------
    id : str
        Unique within the quiz: letters, digits, ``-`` and ``_``.
    prompt : str
        The question.
    options : tuple of Option
        The options, in the order shown (letter A first).
    multiple : bool, default False
        ``True`` when several options may be correct ("choose all that apply").
    explanation : str, default ""
        Shown after a right or partly right answer.

    Examples
    --------
    >>> q = Question("q", "2 + 2?", (Option("5", False, "No."), Option("4", True, "Yes.")))
    >>> q.correct_indices, q.correct_letters
    (frozenset({1}), 'B')
    """

    id: str
    prompt: str
    options: tuple[Option, ...]
    multiple: bool = False
    explanation: str = ""

    @property
    def correct_indices(self) -> frozenset[int]:
        """The 0-based positions of the correct options, as shown."""
        return frozenset(i for i, o in enumerate(self.options) if o.correct)

    @property
    def correct_letters(self) -> str:
        """The letters of the correct options, as shown (``"B"``, or ``"AC"``)."""
        return "".join(letter(i) for i in sorted(self.correct_indices))


@dataclass(frozen=True)
class Quiz:
    """A lesson's knowledge check: its questions, each with options in the order shown.

    Parameters
    ----------
    lesson : str
        The lesson name, equal to the question file's name.
    title : str
        The heading shown above the questions.
    questions : tuple of Question
        The questions, in file order.
    source : str, default ""
        The file the quiz was read from.

    Examples
    --------
    >>> quiz = Quiz("demo", "Demo", (Question("q", "2 + 2?", (Option("4", True, "Yes."), Option("5", False, "No."))),))
    >>> len(quiz), quiz["q"].prompt, quiz
    (1, '2 + 2?', Quiz('demo', 1 questions))
    """

    lesson: str
    title: str
    questions: tuple[Question, ...]
    source: str = ""

    def __len__(self) -> int:
        """Return the number of questions."""
        return len(self.questions)

    def __repr__(self) -> str:
        """Return a short form: a notebook cell ending in ``show_quiz(...)`` echoes it."""
        return f"Quiz({self.lesson!r}, {len(self.questions)} questions)"

    def __getitem__(self, key: int | str) -> Question:
        """Return a question by position or by id.

        Raises
        ------
        KeyError
            When no question has the id; the message lists the ids.
        """
        if isinstance(key, str):
            for q in self.questions:
                if q.id == key:
                    return q
            raise KeyError(f"quiz {self.lesson!r} has no question {key!r}; ids: {[q.id for q in self.questions]}")
        return self.questions[key]

    def as_text(self, *, show_answers: bool = False) -> str:
        """Return the quiz as plain text, for consoles and notebook runs without widgets.

        Parameters
        ----------
        show_answers : bool, default False
            Mark the correct options with ``*`` (for instructors).

        Returns
        -------
        str
            The title, then each question with its options lettered as the widget shows them.

        Examples
        --------
        >>> q = Question("q", "2 + 2?", (Option("4", True, "Yes."), Option("5", False, "No.")))
        >>> print(Quiz("demo", "Demo", (q,)).as_text(show_answers=True).splitlines()[2:5])
        ['Q1. 2 + 2?', '   A) 4 *', '   B) 5']
        """
        lines = [f"Knowledge check: {self.title} ({len(self.questions)} questions)", ""]
        for n, q in enumerate(self.questions, 1):
            kind = " (choose all that apply)" if q.multiple else ""
            lines.append(f"Q{n}. {q.prompt}{kind}")
            for i, o in enumerate(q.options):
                mark = " *" if show_answers and o.correct else ""
                lines.append(f"   {letter(i)}) {o.text}{mark}")
            lines.append("")
        lines.append("Run this notebook in JupyterLab or Colab to answer interactively, or call")
        lines.append(f"dlcourse.quiz.check_answer(quiz['<id>'], 'B') with quiz = dlcourse.quiz.load_quiz({self.lesson!r}).")
        return "\n".join(lines)


@dataclass(frozen=True)
class Result:
    """The outcome of checking one answer.

    Parameters
    ----------
    correct : bool
        Whether exactly the correct options were chosen.
    score : float
        1.0 when exactly right; partial credit for a multiple-answer question.
    feedback : tuple of (str, bool, str)
        For each chosen option: its text, whether it is correct, and its feedback.
    missed : tuple of str, default ()
        The correct options not chosen (multiple-answer questions).

    Examples
    --------
    >>> print(Result(False, 0.0, (("5", False, "2 + 2 is 4."),)).as_text())
    Not quite.
    ✘ 5: 2 + 2 is 4.
    """

    correct: bool
    score: float
    feedback: tuple[tuple[str, bool, str], ...]
    missed: tuple[str, ...] = field(default=())

    def as_text(self) -> str:
        """Return the verdict and the feedback on every chosen option, one per line.

        Returns
        -------
        str
            ``Correct!``, ``Partly right.`` or ``Not quite.``, then one line per option.
        """
        head = "Correct!" if self.correct else ("Partly right." if self.score > 0 else "Not quite.")
        lines = [head]
        for text, ok, fb in self.feedback:
            lines.append(f"{'✔' if ok else '✘'} {text}: {fb}")
        if self.missed:
            lines.append(f"You missed {len(self.missed)} correct option(s).")
        return "\n".join(lines)


def questions_dir() -> Path:
    """Return the folder of the question files that ship with dlcourse.

    Returns
    -------
    Path
        ``dlcourse/quiz/questions`` inside the installed package.

    Examples
    --------
    >>> (questions_dir() / "cnn.yaml").exists()
    True
    """
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


def parse_quiz(data: Any, path: str = "<quiz>", *, shuffle: bool = True) -> Quiz:
    """Validate a parsed question file and build a :class:`Quiz`.

    Parameters
    ----------
    data : Any
        The file's content as :func:`yaml.safe_load` returns it.
    path : str, default "<quiz>"
        Where it came from, for error messages.
    shuffle : bool, default True
        Put each question's options in the order the learner sees them
        (:func:`option_order`); ``False`` keeps the file's order.

    Returns
    -------
    Quiz
        The validated quiz.

    Raises
    ------
    QuestionFileError
        Naming the file, the question and the field that is wrong.

    Examples
    --------
    >>> data = {"lesson": "demo", "title": "Demo", "questions": [{"id": "q", "prompt": "2 + 2?",
    ...     "options": [{"text": 4, "correct": True, "feedback": "Yes."},
    ...                 {"text": 5, "correct": False, "feedback": "No."}]}]}
    >>> [o.text for o in parse_quiz(data, shuffle=False)["q"].options]
    ['4', '5']
    >>> parse_quiz({"lesson": "demo"})
    Traceback (most recent call last):
    ...
    dlcourse.quiz._model.QuestionFileError: <quiz>: the file is missing the field 'title'
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
        if shuffle:
            options = [options[i] for i in option_order(lesson, qid, len(options))]
        questions.append(Question(qid, prompt, tuple(options), multiple, str(explanation)))
    return Quiz(lesson, title, tuple(questions), path)


def load_quiz(lesson: str | Path, *, shuffle: bool = True) -> Quiz:
    """Load the knowledge check of a lesson.

    Parameters
    ----------
    lesson : str or Path
        A lesson name such as ``"history"`` (a file that ships with dlcourse), or the path
        of a YAML question file.
    shuffle : bool, default True
        Options in the order the learner sees them (:func:`option_order`), which is what
        letters refer to everywhere; ``False`` keeps the file's order (for authors).

    Returns
    -------
    Quiz
        The questions, with options in the order shown.

    Raises
    ------
    QuestionFileError
        When the file is malformed; the message names the file and the field.
    FileNotFoundError
        When no such lesson exists; the message lists the available ones.

    Examples
    --------
    >>> from dlcourse.quiz import load_quiz, available_quizzes
    >>> quiz = load_quiz("cnn")
    >>> len(quiz) >= 6
    True
    >>> load_quiz("cnn", shuffle=False)["pooling"].options == quiz["pooling"].options
    False
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
    quiz = parse_quiz(data, str(path), shuffle=shuffle)
    if path.parent == questions_dir() and quiz.lesson != path.stem:
        raise QuestionFileError(f"{path}: field 'lesson' is {quiz.lesson!r} but the file is named {path.stem!r}")
    return quiz


def available_quizzes() -> list[str]:
    """Return the names of the knowledge checks that ship with dlcourse.

    Returns
    -------
    list of str
        Lesson names, sorted; each loads with :func:`load_quiz`.

    Examples
    --------
    >>> "cnn" in available_quizzes()
    True
    """
    return sorted(p.stem for p in questions_dir().glob("*.yaml"))


def _as_indices(question: Question, selected: int | str | Iterable[int | str] | None) -> set[int]:
    if selected is None:
        return set()
    items: Sequence[int | str] = [selected] if isinstance(selected, (int, str)) else list(selected)
    out: set[int] = set()
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
                    raise ValueError(f"{item!r} is not an option of question {question.id!r}: use a letter A-{letter(n - 1)}")
                idx = texts.index(s)
        else:
            idx = int(item)
        if not 0 <= idx < n:
            raise ValueError(f"question {question.id!r} has options A-{letter(n - 1)} (0-{n - 1}); got {item!r}")
        out.add(idx)
    return out


def check_answer(question: Question, selected: int | str | Iterable[int | str] | None) -> Result:
    """Check an answer and return feedback for every option chosen.

    Parameters
    ----------
    question : Question
        A question of a loaded quiz; letters and indices refer to its options as shown.
    selected : int, str, iterable of int or str, or None
        Option index (0-based), letter (``"A"``), option text, or several of them for a
        multiple-answer question; ``None`` for no answer.

    Returns
    -------
    Result
        ``correct`` when exactly the correct options were chosen. ``score`` is 1 or 0
        for a single-answer question; for a multiple-answer question it is
        (right choices - wrong choices) / number of correct options, floored at 0.

    Raises
    ------
    ValueError
        For a letter or index that is not an option, or several answers to a
        single-answer question.
    TypeError
        For an answer that is neither an index, a letter nor an option's text.

    Examples
    --------
    >>> from dlcourse.quiz import Option, Question, check_answer
    >>> q = Question("q", "2 + 2?", (Option("4", True, "Yes."), Option("5", False, "No.")))
    >>> check_answer(q, "A").correct, check_answer(q, 1).score
    (True, 0.0)
    >>> quiz = load_quiz("cnn")
    >>> check_answer(quiz["pooling"], quiz["pooling"].correct_letters).correct
    True
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


def score_answers(
    quiz: Quiz, answers: Mapping[str, int | str | Iterable[int | str] | None]
) -> tuple[float, dict[str, Result]]:
    """Score a whole quiz; unanswered questions score 0.

    Parameters
    ----------
    quiz : Quiz
        A loaded quiz; letters refer to the options as shown.
    answers : mapping of str to answer
        Question id -> an answer as :func:`check_answer` takes it.

    Returns
    -------
    total : float
        Sum of the per-question scores (out of ``len(quiz)``).
    results : dict of str to Result
        Question id -> :class:`Result`.

    Raises
    ------
    KeyError
        When ``answers`` names a question the quiz does not have.

    Examples
    --------
    >>> quiz = load_quiz("cnn")
    >>> total, results = score_answers(quiz, {"pooling": quiz["pooling"].correct_letters})
    >>> total, results["pooling"].correct
    (1.0, True)
    """
    unknown = set(answers) - {q.id for q in quiz.questions}
    if unknown:
        raise KeyError(f"no such question(s) in {quiz.lesson!r}: {sorted(unknown)}")
    results = {q.id: check_answer(q, answers.get(q.id)) for q in quiz.questions}
    return sum(r.score for r in results.values()), results
