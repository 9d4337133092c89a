"""Keep the functions tests check answers with genuine, for every course.

A plain nbgrader test such as ``assert np.allclose(f(x), expected)`` trusts ``np.allclose``,
which the student's notebook runs before it and can replace (``np.allclose = lambda *a, **k:
True``). The grader adds two kinds of cells to the notebook it executes (and removes them
before scores are recorded):

* a *set-up* cell, first, before any student code: it remembers Python's built-ins and
  installs an import hook that remembers ``numpy.allclose``, ``numpy.testing.assert_allclose``,
  ``torch.allclose`` and their siblings the moment those modules are first imported (from
  the read-only environment, before the import returns to student code);
* a *guard* cell before every autograded test: it puts back any remembered function that
  was replaced, removes notebook-defined functions that shadow a built-in the test would
  call (``def abs(x): ...``), and fails with a random marker naming what it restored.

The executor turns the marker into a ``tampered_checks`` reason; the test then runs against
the genuine functions. A guard that fails without its marker (the notebook broke the
grader's bookkeeping) counts as ``tampered_execution``. This is in-process protection: a
notebook written against this very module could still defeat it, which the canary after
each test and the ``tampered_execution`` reason exist for; the aim is that ordinary
monkeypatching earns nothing in any course, with or without the package's own test helpers.
"""

from __future__ import annotations

import secrets

import nbformat
from nbformat.notebooknode import NotebookNode

#: module -> the checking functions a test may call on it.
CHECKING_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "numpy": ("allclose", "isclose", "array_equal", "array_equiv", "all", "any", "abs", "isfinite"),
    "numpy.testing": ("assert_allclose", "assert_almost_equal", "assert_approx_equal", "assert_array_almost_equal",
                      "assert_array_equal", "assert_array_less", "assert_equal", "assert_raises"),
    "torch": ("allclose", "isclose", "equal", "all", "any", "abs", "isfinite"),
    "torch.testing": ("assert_close", "assert_allclose"),
}

#: Built-ins a test may call; a notebook function with one of these names is removed before a test.
CHECKING_BUILTINS = ("abs", "all", "any", "bool", "callable", "float", "getattr", "hasattr", "int", "isinstance",
                     "issubclass", "len", "list", "max", "min", "print", "range", "repr", "round", "set", "sorted",
                     "str", "sum", "tuple", "type", "zip")

_REGISTRY = "_dlcourse_grading_guard"

_SETUP = '''\
def _dlcourse_guard_setup(watch, names, registry):
    import builtins, importlib.abc, sys, types
    snap = {("builtins", n): getattr(builtins, n) for n in names}
    def remember(name, module):
        for attr in watch.get(name, ()):
            if hasattr(module, attr):
                snap.setdefault((name, attr), getattr(module, attr))
    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name not in watch:
                return None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
            else:
                return None
            loader = spec.loader
            if loader is None or not hasattr(loader, "exec_module"):
                return spec
            run = loader.exec_module
            def exec_module(module, run=run, name=name):
                run(module)
                remember(name, module)
            loader.exec_module = exec_module
            return spec
    for name in watch:
        if name in sys.modules:
            remember(name, sys.modules[name])
    finder = Finder()
    sys.meta_path.insert(0, finder)
    reg = types.ModuleType(registry)
    reg.snap, reg.watch, reg.names, reg.finder = snap, watch, names, finder
    sys.modules[registry] = reg
_dlcourse_guard_setup(WATCH, NAMES, REGISTRY)
del _dlcourse_guard_setup
'''

_GUARD = '''\
def _dlcourse_guard(marker, registry):
    import builtins, sys
    reg = sys.modules[registry]
    fixed = []
    for name in reg.watch:
        module = sys.modules.get(name)
        if module is None:
            continue
        for attr in reg.watch[name]:
            key = (name, attr)
            if key not in reg.snap:
                if hasattr(module, attr):
                    fixed.append(name + "." + attr + " (imported past the grader's hook)")
                continue
            if getattr(module, attr, None) is not reg.snap[key]:
                setattr(module, attr, reg.snap[key])
                fixed.append(name + "." + attr)
    for attr in reg.names:
        if getattr(builtins, attr, None) is not reg.snap[("builtins", attr)]:
            setattr(builtins, attr, reg.snap[("builtins", attr)])
            fixed.append("builtins." + attr)
    ns = get_ipython().user_ns  # noqa: F821
    for attr in reg.names:
        obj = ns.get(attr)
        if obj is not None and obj is not reg.snap[("builtins", attr)] and callable(obj) \
                and getattr(obj, "__module__", None) == "__main__":
            del ns[attr]
            fixed.append("the notebook's own " + attr + "()")
    if reg.finder not in sys.meta_path:
        sys.meta_path.insert(0, reg.finder)
    if fixed:
        raise AssertionError(marker + " " + ", ".join(fixed))
try:
    _dlcourse_guard(MARKER, REGISTRY)
finally:
    del _dlcourse_guard
'''


def setup_cell() -> NotebookNode:
    """Return the first cell the grader runs: remember the genuine checking functions.

    Returns
    -------
    nbformat.NotebookNode
        A code cell marked ``dlcourse_guard_setup`` in its metadata.

    Examples
    --------
    >>> cell = setup_cell()
    >>> cell.cell_type, cell.metadata["dlcourse_guard_setup"]
    ('code', True)
    """
    source = (_SETUP.replace("WATCH", repr(CHECKING_FUNCTIONS)).replace("NAMES", repr(CHECKING_BUILTINS))
              .replace("REGISTRY", repr(_REGISTRY)))
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["dlcourse_guard_setup"] = True
    return cell


def guard_cell() -> tuple[NotebookNode, str]:
    """Return a cell to run right before an autograded test: put back replaced checking functions.

    Returns
    -------
    tuple
        ``(cell, marker)``: the cell fails with ``AssertionError("<marker> what, was, restored")``
        when it restored anything, and succeeds otherwise.

    Examples
    --------
    >>> cell, marker = guard_cell()
    >>> marker.startswith("dlcourse-guard-"), cell.metadata["dlcourse_guard"] == marker
    (True, True)
    """
    marker = "dlcourse-guard-" + secrets.token_hex(8)
    cell = nbformat.v4.new_code_cell(_GUARD.replace("MARKER", repr(marker)).replace("REGISTRY", repr(_REGISTRY)))
    cell.metadata["dlcourse_guard"] = marker
    return cell, marker


def restored(reply: dict | None, marker: str) -> tuple[list[str], bool]:
    """Read a guard cell's reply.

    Parameters
    ----------
    reply : dict or None
        ``{"status", "ename", "evalue"}`` of the guard cell (None: it never ran).
    marker : str
        The guard's marker.

    Returns
    -------
    tuple
        ``(what was restored, whether the guard ran as written)``.

    Examples
    --------
    >>> restored({"status": "ok"}, "m")
    ([], True)
    >>> restored({"status": "error", "ename": "AssertionError", "evalue": "m numpy.allclose"}, "m")
    (['numpy.allclose'], True)
    >>> restored({"status": "error", "ename": "KeyError", "evalue": "'_dlcourse_grading_guard'"}, "m")
    ([], False)
    """
    if reply is None or reply.get("status") == "ok":
        return [], True
    evalue = reply.get("evalue", "")
    if reply.get("ename") == "AssertionError" and evalue.startswith(marker + " "):
        return [x for x in evalue[len(marker) + 1:].split(", ") if x], True
    return [], False
