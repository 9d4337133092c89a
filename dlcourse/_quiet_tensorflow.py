"""Keep TensorFlow's start-up INFO lines out of a learner's notebook.

TensorFlow 2.21 prints, while ``import tensorflow`` runs, two lines per native library::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:... port.cc:153] oneDNN custom operations are on. You may see slightly ...

They are written by Abseil's logging from C++ straight to file descriptor 2, before
Abseil reads any setting, so ``TF_CPP_MIN_LOG_LEVEL`` (which TensorFlow's own logging
honours) does not hide them, and JupyterLab shows them in red in every lesson that uses
TensorFlow. ``TF_ENABLE_ONEDNN_OPTS=0`` would remove the oneDNN line only by switching
TensorFlow's oneDNN kernels off, which changes speed and results; we keep them on.

No library offers a switch for this, hence this small hook: when ``tensorflow`` is first
imported, file descriptor 2 is pointed at a temporary file for the duration of that
import; afterwards every line is written back to stderr except Abseil's INFO lines
(``I`` plus a date) and its "before absl::InitializeLog()" banner. Warnings and errors
(``W``/``E``/``F`` lines, Python tracebacks, anything else) still appear. It acts only
while ``TF_CPP_MIN_LOG_LEVEL`` is at least 1 (``dlcourse`` sets 2 unless you chose a
value): set ``TF_CPP_MIN_LOG_LEVEL=0`` to see everything.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from types import ModuleType

#: Lines dropped from what ``import tensorflow`` writes on stderr.
NOISE = re.compile(
    rb"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|I\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] .*)$"
)


def _wanted() -> bool:
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0")) >= 1
    except ValueError:
        return False


@contextlib.contextmanager
def filtered_stderr_fd() -> Iterator[None]:
    r"""Send file descriptor 2 to a temporary file, then replay it without :data:`NOISE`.

    Yields
    ------
    None
        While the block runs, C-level writes to stderr are held back.

    Examples
    --------
    Of what is written straight to file descriptor 2 inside the block, Abseil's INFO line
    is dropped and the warning comes back (here into a file standing in for stderr):

    >>> import os, tempfile
    >>> from dlcourse._quiet_tensorflow import filtered_stderr_fd
    >>> info = b"I0000 00:00:1764645600.000000   1234 port.cc:153] oneDNN custom operations are on.\n"
    >>> warning = b"W0000 00:00:1764645600.000000   1234 cpu.cc:42] a warning\n"
    >>> with tempfile.TemporaryFile() as stderr_file:
    ...     real_stderr = os.dup(2)
    ...     _ = os.dup2(stderr_file.fileno(), 2)
    ...     with filtered_stderr_fd():
    ...         _ = os.write(2, info + warning)
    ...     _ = os.dup2(real_stderr, 2)
    ...     os.close(real_stderr)
    ...     _ = stderr_file.seek(0)
    ...     print(stderr_file.read().decode())
    W0000 00:00:1764645600.000000   1234 cpu.cc:42] a warning
    <BLANKLINE>
    """
    try:
        sys.stderr.flush()
    except Exception:  # a closed or odd sys.stderr: nothing to flush
        pass
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept = [line for line in held.read().splitlines(keepends=True) if not NOISE.match(line.rstrip(b"\r\n"))]
            if kept:
                os.write(2, b"".join(kept))


class _QuietLoader(importlib.abc.Loader):
    """Run the real loader of ``tensorflow`` inside :func:`filtered_stderr_fd`."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self._loader  # TensorFlow and tools see the real loader afterwards
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        with filtered_stderr_fd():
            self._loader.exec_module(module)

    def __getattr__(self, name: str) -> object:
        return getattr(self._loader, name)


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Find ``tensorflow`` with the other finders and wrap its loader, once."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "tensorflow":
            return None
        uninstall()
        if not _wanted():
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _QuietLoader(spec.loader)
        return spec


def install() -> None:
    """Install the hook unless TensorFlow is already imported (or the hook is in place).

    ``import dlcourse`` calls it; calling it again changes nothing.

    Examples
    --------
    >>> import sys
    >>> from dlcourse._quiet_tensorflow import install
    >>> install()
    >>> hooks = sum(type(f).__name__ == "_QuietTensorFlowFinder" for f in sys.meta_path)
    >>> hooks == 1 or "tensorflow" in sys.modules  # one hook, or TensorFlow already loaded
    True
    """
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietTensorFlowFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietTensorFlowFinder())


def uninstall() -> None:
    """Remove the hook (it removes itself when TensorFlow is imported).

    Examples
    --------
    >>> import sys
    >>> from dlcourse._quiet_tensorflow import install, uninstall
    >>> uninstall()
    >>> sum(type(f).__name__ == "_QuietTensorFlowFinder" for f in sys.meta_path)
    0
    >>> install()  # put it back for the rest of this session
    """
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _QuietTensorFlowFinder)]
