"""Checks for exercises: messages that say what was expected, what came out, and a hint.

Learners meet these in the visible tests of the graded exercises (``course/release/``)::

    >>> import numpy as np
    >>> from dlcourse.selfcheck import check_close
    >>> check_close(np.array([0.5, 0.88]), [0.5, 0.8807970779778823], "sigmoid", atol=0.01)
    >>> check_close([0.5, 0.7], [0.5, 0.88], "sigmoid", hint="sigmoid(x) = 1 / (1 + exp(-x))")
    Traceback (most recent call last):
    ...
    AssertionError: sigmoid is not close enough to the expected value (1 of 2 values differ).
      expected: [0.5, 0.88]
      got:      [0.5, 0.7]
      largest difference: 0.18 at index (1,) (allowed: 1e-05 relative + 1e-08 absolute)
    Hint: sigmoid(x) = 1 / (1 + exp(-x))

Every ``check_*`` function returns ``None`` when the check passes and raises
:class:`AssertionError` with a readable message when it fails.

The second half of the module serves the *hidden* tests that decide a grade
(:func:`fair_play`, :class:`Parts`). Those tests reload this module before they use it, so a
notebook that replaced one of its functions does not change the grade; and they run on
inputs the notebook never saw, with reference values computed inside the test.
Everything here is plain Python and NumPy: no framework is imported.
"""

from __future__ import annotations

import builtins
import math
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = [
    "check",
    "check_close",
    "check_equal",
    "check_shape",
    "check_raises",
    "check_at_least",
    "check_no_warnings",
    "to_numpy",
    "fair_play",
    "Parts",
    "show_questions",
    "check_quiz_answers",
    "grade_quiz",
]


# ----------------------------------------------------------------------------------------
# Turning what a learner returned into something comparable
# ----------------------------------------------------------------------------------------


def _from_notebook(obj: Any) -> bool:
    """Whether ``obj`` (or its class) was defined by notebook code (module ``__main__``)."""
    try:
        if getattr(obj, "__module__", None) == "__main__":
            return True
        return getattr(type(obj), "__module__", None) == "__main__"
    except Exception:  # exotic proxies raise on attribute access
        return False


def to_numpy(value: Any, name: str = "the result") -> np.ndarray:
    """Convert a NumPy array, number, list, PyTorch tensor or TensorFlow tensor to float64.

    Parameters
    ----------
    value : array-like or tensor
        What the learner's code returned.
    name : str, default "the result"
        What to call it in an error message.

    Returns
    -------
    numpy.ndarray
        A float64 copy (a plain ``ndarray``, never a subclass).

    Raises
    ------
    AssertionError
        When ``value`` cannot be read as numbers (None, a string, an object of the
        notebook's own making ...), with a message that says what came back instead.

    Examples
    --------
    >>> to_numpy([1, 2])
    array([1., 2.])
    >>> to_numpy(None, "forward(x)")
    Traceback (most recent call last):
    ...
    AssertionError: forward(x) is None: did the function forget to `return` its result?
    """
    if value is None:
        raise AssertionError(f"{name} is None: did the function forget to `return` its result?")
    if _from_notebook(value):
        raise AssertionError(f"{name} is a {type(value).__name__} defined in the notebook; return an array or a tensor")
    module = type(value).__module__ or ""
    if module.startswith("torch"):
        value = value.detach().cpu().numpy()
    elif module.startswith(("tensorflow", "keras")) and hasattr(value, "numpy"):
        value = value.numpy()
    try:
        arr = np.array(value, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"{name} should be numbers, got {type(value).__name__}: {_short(value)} ({exc})") from None
    if type(arr) is not np.ndarray:  # a subclass could redefine comparisons
        arr = np.asarray(arr).view(np.ndarray)
    return arr


def _short(value: Any, limit: int = 300) -> str:
    if isinstance(value, np.ndarray):
        text = np.array2string(
            value,
            threshold=12,
            edgeitems=3,
            separator=", ",
            max_line_width=100,
            formatter={"float_kind": lambda v: f"{v:.6g}"},
        )
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fail(message: str, hint: str = "") -> None:
    if hint:
        message = f"{message}\nHint: {hint}"
    raise AssertionError(message)


# ----------------------------------------------------------------------------------------
# Checks for visible tests (and hidden ones)
# ----------------------------------------------------------------------------------------


def check(condition: Any, message: str, hint: str = "") -> None:
    """Fail with ``message`` (and ``hint``) unless ``condition`` is true.

    Parameters
    ----------
    condition : bool
        Must be ``True`` (or a NumPy ``True``); a truthy non-boolean such as a non-empty
        list does not pass, so a check cannot be fooled by returning an object.
    message : str
        What is wrong when the condition is false.
    hint : str, optional
        A line that helps to fix it.

    Raises
    ------
    AssertionError
        With ``message`` and ``hint``, when the condition is not true.

    Examples
    --------
    >>> check(1 + 1 == 2, "arithmetic is broken")
    >>> check([0], "a list is not a boolean")
    Traceback (most recent call last):
    ...
    AssertionError: a list is not a boolean
    """
    if not (condition is True or (isinstance(condition, np.bool_) and bool(condition))):
        _fail(message, hint)


def check_shape(got: Any, shape: Iterable[int], name: str = "the result", hint: str = "") -> None:
    """Check that ``got`` is an array (or tensor) of exactly ``shape``.

    Parameters
    ----------
    got : array-like or tensor
        The learner's result.
    shape : iterable of int
        The expected shape.
    name : str, default "the result"
        What to call ``got`` in the message.
    hint : str, optional
        A line that helps to fix it.

    Raises
    ------
    AssertionError
        When the shapes differ, naming both.

    Examples
    --------
    >>> check_shape(np.zeros((2, 3)), (2, 3), "weights")
    >>> check_shape(np.zeros((3, 2)), (2, 3), "weights", hint="W has one row per input")
    Traceback (most recent call last):
    ...
    AssertionError: weights has the wrong shape.
      expected: (2, 3)
      got:      (3, 2)
    Hint: W has one row per input
    """
    expected = tuple(int(s) for s in shape)
    got_shape = getattr(got, "shape", None)
    if got_shape is None:
        got_shape = to_numpy(got, name).shape
    got_shape = tuple(int(s) for s in got_shape)
    if got_shape != expected:
        _fail(f"{name} has the wrong shape.\n  expected: {expected}\n  got:      {got_shape}", hint)


def check_close(
    got: Any,
    expected: Any,
    name: str = "the result",
    hint: str = "",
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> None:
    """Check that ``got`` equals ``expected`` up to a tolerance, element by element.

    Shapes must match exactly (no broadcasting: a (3, 1) result for a (3,) answer is an
    error worth hearing about). NaN never matches a number. The comparison is
    ``|got - expected| <= atol + rtol * |expected|``, as in :func:`numpy.isclose`, done in
    plain Python.

    Parameters
    ----------
    got : array-like or tensor
        The learner's result.
    expected : array-like
        The reference value.
    name : str, default "the result"
        What to call ``got`` in the message.
    hint : str, optional
        A line that helps to fix it.
    rtol : float, default 1e-5
        Relative tolerance.
    atol : float, default 1e-8
        Absolute tolerance.

    Raises
    ------
    AssertionError
        Naming how many values differ and the largest difference, and where.

    Examples
    --------
    >>> check_close([0.1 + 0.2], [0.3], "the sum")
    >>> check_close([1.0, 2.0], [1.0, 2.5], "the means", atol=0.1)
    Traceback (most recent call last):
    ...
    AssertionError: the means is not close enough to the expected value (1 of 2 values differ).
      expected: [1, 2.5]
      got:      [1, 2]
      largest difference: 0.5 at index (1,) (allowed: 1e-05 relative + 0.1 absolute)
    """
    exp = to_numpy(expected, "the expected value")
    arr = to_numpy(got, name)
    if arr.shape != exp.shape:
        _fail(
            f"{name} has the wrong shape.\n  expected: {exp.shape}\n  got:      {arr.shape}",
            hint,
        )
    worst, worst_at, bad = 0.0, None, 0
    for index, (g, e) in enumerate(zip(arr.ravel().tolist(), exp.ravel().tolist())):
        if math.isnan(e) and math.isnan(g):
            continue
        if math.isinf(e) and g == e:
            continue
        diff = abs(g - e)
        if not diff <= atol + rtol * abs(e):  # `not <=` so that NaN counts as a mismatch
            bad += 1
            if worst_at is None or not diff <= worst:
                worst, worst_at = diff, index
    if bad:
        assert worst_at is not None  # set together with the first mismatch
        where = tuple(int(i) for i in np.unravel_index(worst_at, exp.shape)) if exp.shape else ()
        count = f" ({bad} of {exp.size} values differ)" if exp.size > 1 else ""
        _fail(
            f"{name} is not close enough to the expected value{count}.\n"
            f"  expected: {_short(exp)}\n"
            f"  got:      {_short(arr)}\n"
            f"  largest difference: {worst:.3g} at index {where} (allowed: {rtol:g} relative + {atol:g} absolute)",
            hint,
        )


def check_equal(got: Any, expected: Any, name: str = "the result", hint: str = "") -> None:
    """Check exact equality: numbers, strings, tuples, or arrays (same shape, same values).

    Parameters
    ----------
    got : object
        The learner's result.
    expected : object
        The reference value; a string, bytes, bool, None, or a non-numeric tuple or dict
        is compared as a Python value (same type), anything else as an array.
    name : str, default "the result"
        What to call ``got`` in the message.
    hint : str, optional
        A line that helps to fix it.

    Raises
    ------
    AssertionError
        Naming the first difference.

    Examples
    --------
    >>> check_equal(3, 3, "output size")
    >>> check_equal(np.array([1, 0]), [1, 1], "predictions")
    Traceback (most recent call last):
    ...
    AssertionError: predictions is not what was expected (1 of 2 values differ).
      expected: [1, 1]
      got:      [1, 0]
      first difference at index (1,)
    """
    if isinstance(expected, (str, bytes, bool, type(None))) or (
        isinstance(expected, (tuple, dict)) and not _is_numeric_sequence(expected)
    ):
        if _from_notebook(got) or type(got) is not type(expected) or got != expected:
            _fail(f"{name} is not what was expected.\n  expected: {expected!r}\n  got:      {_short(got)}", hint)
        return
    exp = to_numpy(expected, "the expected value")
    arr = to_numpy(got, name)
    if arr.shape != exp.shape:
        _fail(f"{name} has the wrong shape.\n  expected: {exp.shape}\n  got:      {arr.shape}", hint)
    flat_g, flat_e = arr.ravel().tolist(), exp.ravel().tolist()
    wrong = [i for i, (g, e) in enumerate(zip(flat_g, flat_e)) if not g == e]
    if wrong:
        where = tuple(int(i) for i in np.unravel_index(wrong[0], exp.shape)) if exp.shape else ()
        count = f" ({len(wrong)} of {exp.size} values differ)" if exp.size > 1 else ""
        _fail(
            f"{name} is not what was expected{count}.\n"
            f"  expected: {_short(np.asarray(expected))}\n"
            f"  got:      {_short(np.asarray(got) if not hasattr(got, 'detach') else arr)}\n"
            f"  first difference at index {where}",
            hint,
        )


def _is_numeric_sequence(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(v, (int, float, np.number)) for v in value)


def check_at_least(got: Any, minimum: float, name: str = "the result", hint: str = "") -> None:
    """Check that a single number (an accuracy, say) is at least ``minimum``.

    Parameters
    ----------
    got : float, 0-d array or tensor
        The learner's number.
    minimum : float
        The least acceptable value (NaN never passes).
    name : str, default "the result"
        What to call ``got`` in the message.
    hint : str, optional
        A line that helps to fix it.

    Raises
    ------
    AssertionError
        When ``got`` is not one number or is below ``minimum``.

    Examples
    --------
    >>> check_at_least(0.97, 0.95, "test accuracy")
    >>> check_at_least(0.50, 0.95, "test accuracy", hint="train for longer")
    Traceback (most recent call last):
    ...
    AssertionError: test accuracy is too low: expected at least 0.95, got 0.5.
    Hint: train for longer
    """
    arr = to_numpy(got, name)
    if arr.size != 1:
        _fail(f"{name} should be a single number, got an array of shape {arr.shape}", hint)
    value = float(arr.reshape(()))
    if not value >= minimum:
        _fail(f"{name} is too low: expected at least {minimum:g}, got {value:.4g}.", hint)


def check_raises(
    function: Callable[[], Any],
    exception: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    name: str = "the call",
    hint: str = "",
) -> BaseException:
    """Check that calling ``function()`` raises ``exception``; return the exception.

    Parameters
    ----------
    function : callable
        Called with no arguments (wrap a call in ``lambda: ...``).
    exception : exception class or tuple of them, default Exception
        What it must raise.
    name : str, default "the call"
        What to call the call in the message.
    hint : str, optional
        A line that helps to fix it.

    Returns
    -------
    BaseException
        The exception raised, to check its message.

    Raises
    ------
    AssertionError
        When the call returns, or raises another kind of exception.

    Examples
    --------
    >>> check_raises(lambda: int("x"), ValueError, "int('x')")
    ValueError("invalid literal for int() with base 10: 'x'")
    >>> check_raises(lambda: 1, ValueError, "f(-1)", hint="reject negative sizes")
    Traceback (most recent call last):
    ...
    AssertionError: f(-1) should raise ValueError, but it returned 1.
    Hint: reject negative sizes
    """
    names = exception.__name__ if isinstance(exception, type) else " or ".join(e.__name__ for e in exception)
    try:
        result = function()
    except exception as exc:
        return exc
    except Exception as exc:  # the wrong error
        _fail(f"{name} should raise {names}, but it raised {type(exc).__name__}: {exc}", hint)
    _fail(f"{name} should raise {names}, but it returned {_short(result)}.", hint)
    raise AssertionError("unreachable")  # for type checkers


def check_no_warnings(function: Callable[[], Any], name: str = "the call", hint: str = "") -> Any:
    """Call ``function()`` and fail if it warns or hits a floating-point overflow/invalid value.

    NumPy's floating-point errors are raised for the duration of the call
    (``numpy.errstate(over="raise", invalid="raise", divide="raise")``), so a computation
    that overflows fails here even when the notebook told NumPy to stay silent.

    Parameters
    ----------
    function : callable
        Called with no arguments (wrap a call in ``lambda: ...``).
    name : str, default "the call"
        What to call the call in the message.
    hint : str, optional
        A line that helps to fix it.

    Returns
    -------
    object
        What ``function()`` returned.

    Raises
    ------
    AssertionError
        Naming the first warning or the floating-point error.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(check_no_warnings(lambda: np.exp(1.0), "exp(1)")), 3)
    2.718
    >>> check_no_warnings(lambda: np.exp(np.array(1000.0)), "exp(1000)")
    Traceback (most recent call last):
    ...
    AssertionError: exp(1000) overflowed or produced an invalid value: FloatingPointError: overflow encountered in exp
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                result = function()
        except FloatingPointError as exc:
            _fail(f"{name} overflowed or produced an invalid value: FloatingPointError: {exc}", hint)
    if caught:
        first = caught[0]
        _fail(f"{name} emitted {len(caught)} warning(s), first: {first.category.__name__}: {first.message}", hint)
    return result


# ----------------------------------------------------------------------------------------
# For hidden tests: fair play and partial credit
# ----------------------------------------------------------------------------------------

#: Modules whose functions hidden tests rely on. A notebook that puts its own function on
#: one of them (``np.allclose = lambda *a, **k: True``) is reported, not graded.
WATCHED_MODULES = (
    "builtins",
    "math",
    "random",
    "warnings",
    "importlib",
    "numpy",
    "numpy.linalg",
    "numpy.random",
    "numpy.testing",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.autograd",
    "torch.testing",
    "tensorflow",
    "keras",
    "keras.ops",
    "yaml",
    "dlcourse",
    "dlcourse.datasets",
    "dlcourse.datasets._loaders",
    "dlcourse.datasets._synthetic",
    "dlcourse.quiz",
    "dlcourse.quiz._model",
)

#: Built-in names a notebook must not replace with its own function: hidden tests use them.
PROTECTED_BUILTINS = frozenset(
    "abs all any bool callable dict enumerate float getattr hasattr int isinstance iter len list "
    "map max min next print range repr round set sorted str sum tuple type zip".split()
)


def fair_play(namespace: dict[str, Any] | None = None) -> None:
    """Fail when notebook code changed the tools that tests rely on.

    Hidden tests call this first. It reports, with a message naming the change:

    * a function or object defined in the notebook placed on NumPy, PyTorch,
      TensorFlow/Keras, ``math``, ``builtins`` or ``dlcourse`` (monkeypatching),
    * a notebook function shadowing a built-in the tests use (``def abs(x): ...``),
    * IPython hooks that swallow errors or rewrite later cells (``set_custom_exc``,
      replaced ``showtraceback``, input or AST transformers).

    A learner's own variables, functions and classes are fine; only changes to shared
    tools are reported. Code that rewrites every later cell before it runs (an input
    transformer that deletes the tests) can hide from any test that runs inside the same
    kernel; this function reports such transformers when the cell that calls it runs at all.

    Parameters
    ----------
    namespace : dict, optional
        The notebook's global namespace (``globals()`` in a cell).

    Raises
    ------
    AssertionError
        Listing the changes found.

    Examples
    --------
    >>> fair_play({"np": np, "my_helper": len})
    >>> fair_play({"np": math})
    Traceback (most recent call last):
    ...
    AssertionError: The grader found notebook code that changes how tests run:
      - `np` in the notebook is not NumPy
    Hint: tests need NumPy, the frameworks and Python's built-ins as they ship; remove these changes.
    """
    problems: list[str] = []
    for modname in WATCHED_MODULES:
        module = sys.modules.get(modname)
        if module is None:
            continue
        try:
            items = list(vars(module).items())
        except TypeError:
            continue
        for attr, obj in items:
            if _from_notebook(obj):
                problems.append(f"{modname}.{attr} was replaced by notebook code")
    if namespace is not None:
        for attr in sorted(PROTECTED_BUILTINS):
            if attr in namespace and namespace[attr] is not getattr(builtins, attr) and _from_notebook(namespace[attr]):
                problems.append(f"the notebook defines its own `{attr}`, hiding Python's built-in (rename it)")
        np_alias = namespace.get("np")
        if np_alias is not None and np_alias is not np:
            problems.append("`np` in the notebook is not NumPy")
    problems.extend(_ipython_problems())
    if problems:
        _fail(
            "The grader found notebook code that changes how tests run:\n  - "
            + "\n  - ".join(problems[:10])
            + ("\n  - ..." if len(problems) > 10 else ""),
            "tests need NumPy, the frameworks and Python's built-ins as they ship; remove these changes.",
        )


def _ipython_problems() -> list[str]:
    shell_module = sys.modules.get("IPython")
    if shell_module is None:
        return []
    try:
        shell = shell_module.get_ipython()
    except Exception:
        return []
    if shell is None:
        return []
    problems = []
    if getattr(shell, "custom_exceptions", ()) != ():
        problems.append("IPython's set_custom_exc() was used to handle errors")
    own = vars(shell)
    for attr in ("showtraceback", "_showtraceback", "showsyntaxerror", "run_cell", "run_code", "run_ast_nodes"):
        # ipykernel itself binds _showtraceback on the instance; only code from elsewhere counts
        if attr in own and not (getattr(own[attr], "__module__", "") or "").startswith(("IPython", "ipykernel")):
            problems.append(f"IPython's {attr} was replaced")
    for attr in ("ast_transformers", "input_transformers_cleanup", "input_transformers_post"):
        for transformer in getattr(shell, attr, []) or []:
            if _from_notebook(transformer) or not (getattr(transformer, "__module__", "") or "").startswith("IPython"):
                problems.append(f"a transformer was added to IPython's {attr}")
    return problems


class Parts:
    """Partial credit inside one graded cell.

    Each ``with parts.part(points, "what"):`` block runs a group of checks; a failure
    (``AssertionError`` or any error from the learner's code) costs that block's points and is
    reported on stdout, and the next block still runs. The cell's last line,
    ``parts.score``, is the number nbgrader records for the cell (nbgrader gives partial
    credit for a grade cell whose last expression is a number).

    Warnings raised inside a block are silenced: they must not cost points (nbgrader counts
    anything written to stderr as a failed cell). Check for warnings explicitly with
    :func:`check_no_warnings` where that is the point.

    Attributes
    ----------
    score : float
        Points earned so far.
    total : float
        Points at stake so far.
    report : list of str
        One line per part, ``"[earned/points] what: why"``.

    Examples
    --------
    >>> parts = Parts()
    >>> with parts.part(2, "adds"):
    ...     check(1 + 1 == 2, "no")
    ✔ adds (2/2)
    >>> with parts.part(1, "subtracts"):
    ...     check(1 - 1 == 1, "1 - 1 should be 1")
    ✘ subtracts (0/1):
        1 - 1 should be 1
    >>> parts.score, parts.total
    (2.0, 3.0)
    """

    def __init__(self) -> None:
        self.score = 0.0
        self.total = 0.0
        self.report: list[str] = []

    @contextmanager
    def part(self, points: float, what: str) -> Iterator[None]:
        """Run the checks of one part in a ``with`` block; a failure costs only its points.

        Parameters
        ----------
        points : float
            What the part is worth.
        what : str
            What it tests, shown in the report.

        Yields
        ------
        None
            The checks run inside the block.

        Examples
        --------
        >>> parts = Parts()
        >>> with parts.part(1, "division"):
        ...     1 / 0
        ✘ division (0/1):
            ZeroDivisionError: division by zero
        >>> parts.report
        ['[0/1] division: ZeroDivisionError: division by zero']
        """
        self.total += points
        ok = False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
            ok = True
        except Exception as exc:  # any error of the learner's code costs this part only
            text = str(exc).strip() or type(exc).__name__
            if not isinstance(exc, AssertionError):
                text = f"{type(exc).__name__}: {text}"
            self.report.append(f"[0/{points:g}] {what}: {text}")
            sys.stdout.write(f"✘ {what} (0/{points:g}):\n    " + text.replace("\n", "\n    ") + "\n")
        if ok:
            self.score += points
            self.report.append(f"[{points:g}/{points:g}] {what}")
            sys.stdout.write(f"✔ {what} ({points:g}/{points:g})\n")

    def award(self, earned: float, points: float, what: str, note: str = "") -> None:
        """Record ``earned`` out of ``points`` directly (for answers worth a fraction).

        Parameters
        ----------
        earned : float
            Points earned, clipped to ``[0, points]``.
        points : float
            What the part is worth.
        what : str
            What it tests, shown in the report.
        note : str, optional
            Why points were lost.

        Examples
        --------
        >>> parts = Parts()
        >>> parts.award(0.5, 1, "q1", "one of two right options")
        ◐ q1 (0.5/1): one of two right options
        >>> parts.score
        0.5
        """
        earned = min(max(float(earned), 0.0), float(points))
        self.total += points
        self.score += earned
        mark = "✔" if earned == points else ("◐" if earned > 0 else "✘")
        self.report.append(f"[{earned:.3g}/{points:g}] {what}" + (f": {note}" if note else ""))
        sys.stdout.write(f"{mark} {what} ({earned:.3g}/{points:g})" + (f": {note}" if note else "") + "\n")


# ----------------------------------------------------------------------------------------
# Graded knowledge checks: the same question files as the lesson widgets
# ----------------------------------------------------------------------------------------


def _question_file(lesson: str) -> Any:
    """Read a lesson's knowledge-check questions afresh from the shipped YAML, by id.

    Each question's options are put in the order the lesson widget shows them
    (:func:`dlcourse.quiz.option_order`), so that letters mean what the learner saw.
    """
    from pathlib import Path

    import yaml

    from .quiz._model import option_order  # fair_play() reports a replaced one

    path = Path(__file__).resolve().parent / "quiz" / "questions" / f"{lesson}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    questions = {}
    for q in data["questions"]:
        options = q["options"]
        q["options"] = [options[i] for i in option_order(lesson, str(q["id"]), len(options))]
        questions[q["id"]] = q
    return questions


def _selected(lesson: str, ids: Iterable[str]) -> list[dict[str, Any]]:
    questions = _question_file(lesson)
    missing = [i for i in ids if i not in questions]
    if missing:
        raise KeyError(f"the knowledge check {lesson!r} has no question(s) {missing}; it has {sorted(questions)}")
    return [questions[i] for i in ids]


def show_questions(lesson: str, ids: Iterable[str]) -> None:
    """Print questions of a lesson's knowledge check, with lettered options and no answers.

    Parameters
    ----------
    lesson : str
        The knowledge check's slug (``dlcourse/quiz/questions/<slug>.yaml``).
    ids : iterable of str
        The questions to show, in order.

    Raises
    ------
    KeyError
        When a question id is not in the file.

    Examples
    --------
    >>> show_questions("history", ["ai-named"])  # doctest: +ELLIPSIS
    "ai-named": ...
        A) ...
        B) ...
    ...
    """
    for q in _selected(lesson, list(ids)):
        kind = "  (choose all that apply: a list of letters)" if q.get("multiple") else ""
        print(f'"{q["id"]}": {" ".join(str(q["prompt"]).split())}{kind}')
        for k, option in enumerate(q["options"]):
            print(f"    {chr(ord('A') + k)}) {' '.join(str(option['text']).split())}")
        print()


def _letters(answer: Any, n_options: int, multiple: bool, qid: str) -> set[int]:
    if isinstance(answer, str):
        items = [a for a in answer.replace(",", " ").split() if a]
    elif isinstance(answer, (list, tuple, set, frozenset)):
        items = list(answer)
    else:
        raise AssertionError(
            f'answer to "{qid}" should be a letter such as "B"{" or a list of letters" if multiple else ""}, '
            f"got {answer!r}"
        )
    chosen = set()
    for item in items:
        letter = item.strip().upper() if isinstance(item, str) else item
        if not (isinstance(letter, str) and len(letter) == 1 and 0 <= ord(letter) - ord("A") < n_options):
            last = chr(ord("A") + n_options - 1)
            raise AssertionError(f'answer to "{qid}": {item!r} is not one of the letters A-{last}')
        chosen.add(ord(letter) - ord("A"))
    if not chosen:
        raise AssertionError(f'"{qid}" has no answer yet')
    if not multiple and len(chosen) != 1:
        raise AssertionError(f'"{qid}" takes exactly one letter, got {answer!r}')
    return chosen


def check_quiz_answers(answers: Any, lesson: str, ids: Iterable[str]) -> None:
    """Check that every question of a graded knowledge check is answered, in a valid form.

    The visible test of such a check: it says nothing about which answers are right (the
    lesson's widget does that).

    Parameters
    ----------
    answers : dict
        ``{question id: letter}``, or a list of letters for a multiple-answer question.
    lesson : str
        The knowledge check's slug.
    ids : iterable of str
        The questions the exercise asks.

    Raises
    ------
    AssertionError
        Naming the first question that is missing or answered with an invalid letter.

    Examples
    --------
    >>> check_quiz_answers({"ai-named": "B"}, "history", ["ai-named"])
    >>> check_quiz_answers({"ai-named": "Z"}, "history", ["ai-named"])
    Traceback (most recent call last):
    ...
    AssertionError: answer to "ai-named": 'Z' is not one of the letters A-D
    """
    ids = list(ids)
    check(isinstance(answers, dict), f"answers should be a dict {{question id: letter}}, got {type(answers).__name__}")
    unknown = sorted(set(answers) - set(ids))
    check(not unknown, f"no such question(s) here: {unknown}; the ids are {ids}")
    for q in _selected(lesson, ids):
        check(q["id"] in answers, f'question "{q["id"]}" is not answered', hint=f"the ids are {ids}")
        _letters(answers[q["id"]], len(q["options"]), bool(q.get("multiple")), q["id"])


def grade_quiz(answers: Any, lesson: str, ids: Iterable[str], parts: Parts) -> None:
    """Hidden test of a graded knowledge check: one point per question, added to ``parts``.

    The correct options come from the shipped question file, read afresh (not through
    ``dlcourse.quiz``, which a notebook could have changed). A single-answer question scores 1
    or 0; a multiple-answer question (right choices - wrong choices) / number of right options,
    at least 0, as in :func:`dlcourse.quiz.check_answer`. The feedback quotes the question
    file's feedback for every wrong choice.

    Parameters
    ----------
    answers : dict
        ``{question id: letter}``, or a list of letters for a multiple-answer question.
    lesson : str
        The knowledge check's slug.
    ids : iterable of str
        The questions to grade.
    parts : Parts
        Receives one part per question, worth 1 point.

    Raises
    ------
    AssertionError
        When ``answers`` is not a dict.

    Examples
    --------
    >>> parts = Parts()
    >>> grade_quiz({}, "history", ["ai-named"], parts)  # an unanswered question scores 0
    ✘ ai-named (0/1): answer to "ai-named" should be a letter such as "B", got None
    >>> parts.score, parts.total
    (0.0, 1.0)
    """
    if not isinstance(answers, dict):
        raise AssertionError(f"answers should be a dict, got {type(answers).__name__}")
    for q in _selected(lesson, list(ids)):
        options = q["options"]
        right = {k for k, option in enumerate(options) if option["correct"] is True}
        try:
            chosen = _letters(answers.get(q["id"]), len(options), bool(q.get("multiple")), q["id"])
        except AssertionError as exc:
            parts.award(0, 1, q["id"], str(exc))
            continue
        hits, wrong = len(chosen & right), len(chosen - right)
        earned = (1.0 if chosen == right else 0.0) if not q.get("multiple") else max(0.0, (hits - wrong) / len(right))
        notes = [
            f"{chr(ord('A') + k)}: {' '.join(str(options[k]['feedback']).split())}" for k in sorted(chosen - right)
        ]
        if q.get("multiple") and right - chosen:
            notes.append(f"{len(right - chosen)} correct option(s) not chosen")
        parts.award(earned, 1, q["id"], "; ".join(notes))
