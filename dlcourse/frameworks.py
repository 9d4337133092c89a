"""Lazy, friendly imports of the deep-learning frameworks.

``dlcourse`` never imports PyTorch or TensorFlow at import time. Functions that need
one call :func:`require_torch` or :func:`require_tensorflow`, which import it on demand
and, when it is missing, raise :class:`MissingFrameworkError` with the command that
installs it, instead of an ``ImportError`` from deep inside the package.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from types import ModuleType

__all__ = [
    "MissingFrameworkError",
    "available",
    "require",
    "require_tensorflow",
    "require_torch",
]

#: import name -> (pip extra of dlcourse, what to install by hand)
_INSTALL_HINTS = {
    "torch": ("torch", "pip install 'dlcourse[torch]'  (or: pip install torch)"),
    "tensorflow": ("tensorflow", "pip install 'dlcourse[tensorflow]'  (or: pip install tensorflow)"),
    "keras": ("tensorflow", "pip install 'dlcourse[tensorflow]'  (Keras comes with TensorFlow)"),
    "sklearn": ("", "pip install scikit-learn"),
    "gymnasium": ("rl", "pip install 'dlcourse[rl]'  (or: pip install gymnasium)"),
    "nbgrader": ("course", "pip install 'dlcourse[course]'  (or: pip install nbgrader)"),
    "tqdm": ("", "pip install tqdm"),
    "ipywidgets": ("", "pip install ipywidgets"),
}


class MissingFrameworkError(ImportError):
    """A framework or optional package that a function needs is not installed."""


def available(name: str) -> bool:
    """Return whether the package ``name`` can be imported, without importing it.

    Parameters
    ----------
    name : str
        An import name such as ``"torch"`` (a dotted name's parent is imported).

    Returns
    -------
    bool
        True when the package is installed.

    Examples
    --------
    >>> from dlcourse.frameworks import available
    >>> available("numpy")
    True
    >>> available("no_such_package_xyz")
    False
    """
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def require(name: str, purpose: str | None = None) -> ModuleType:
    """Import and return the package ``name``, or explain how to install it.

    Parameters
    ----------
    name : str
        The import name, for example ``"torch"`` or ``"tensorflow"``.
    purpose : str, optional
        What the caller wanted to do; it is named in the error message.

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    MissingFrameworkError
        When the package is not installed. The message says what to install.

    Examples
    --------
    >>> from dlcourse.frameworks import require
    >>> np = require("numpy")
    >>> require("no_such_package_xyz")
    Traceback (most recent call last):
    ...
    dlcourse.frameworks.MissingFrameworkError: no_such_package_xyz is not installed. Install it with: pip install no_such_package_xyz
    """
    if name == "tensorflow":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name.split(".")[0] != name.split(".")[0]:
            raise  # the package exists but one of *its* dependencies is missing
        hint = _INSTALL_HINTS.get(name.split(".")[0], ("", f"pip install {name}"))[1]
        what = f" (needed to {purpose})" if purpose else ""
        raise MissingFrameworkError(
            f"{name} is not installed{what}. Install it with: {hint}"
        ) from None


def require_torch(purpose: str | None = None) -> ModuleType:
    """Import and return :mod:`torch`; see :func:`require`.

    Parameters
    ----------
    purpose : str, optional
        What the caller wanted to do; it is named in the error message.

    Returns
    -------
    module
        :mod:`torch`.

    Raises
    ------
    MissingFrameworkError
        When PyTorch is not installed, with the command that installs it.

    Examples
    --------
    >>> from dlcourse.frameworks import require_torch
    >>> torch = require_torch("build a tensor")
    >>> torch.zeros(2).shape
    torch.Size([2])
    """
    return require("torch", purpose)


def require_tensorflow(purpose: str | None = None) -> ModuleType:
    """Import and return :mod:`tensorflow` with its C++ logs quietened; see :func:`require`.

    Parameters
    ----------
    purpose : str, optional
        What the caller wanted to do; it is named in the error message.

    Returns
    -------
    module
        :mod:`tensorflow`.

    Raises
    ------
    MissingFrameworkError
        When TensorFlow is not installed, with the command that installs it.

    Examples
    --------
    >>> from dlcourse.frameworks import require_tensorflow
    >>> tf = require_tensorflow("build a tensor")
    >>> tuple(tf.zeros(2).shape)
    (2,)
    """
    return require("tensorflow", purpose)
