"""dlcourse: helpers for the interactive deep-learning course.

Importing ``dlcourse`` is cheap: it imports neither PyTorch nor TensorFlow, nor even NumPy.
The sub-modules are attributes of the package and load on first use.

Sub-modules
-----------
datasets   offline data that ships with the package, checksummed downloads, loaders
frameworks lazy, friendly imports of PyTorch and TensorFlow
distributed data-parallel training across processes (PyTorch DDP, tf.distribute)
device     hardware and environment report, best device, CPU-vs-GPU timing
plotting   colour-blind-safe figures for training curves, images, matrices ...
quiz       knowledge checks: question files, checking logic and widgets
seeding    one call that seeds Python, NumPy, PyTorch and TensorFlow
selfcheck  checks for exercises that say what was expected and what came instead
weights    small pretrained models that ship with the package
grading    the instructor's batch autograder (sandboxed nbgrader)
hub        pretrained transformers from the Hugging Face Hub, with an offline path
cli        the ``dlcourse`` command line

Examples
--------
>>> import dlcourse
>>> dlcourse.datasets.load_mnist_sample("test").images.shape
(2000, 28, 28)
>>> dlcourse.seed_everything(0)  # returns the seed
0
>>> dlcourse.selfcheck.check_shape  # doctest: +ELLIPSIS
<function check_shape at 0x...>
>>> "selfcheck" in dir(dlcourse)
True
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from . import _quiet_tensorflow

__version__ = "0.1.0"

#: The course repository; the Colab set-up cell and the badges point here.
REPO_URL = "https://github.com/dlcourse/dlcourse"

# TensorFlow prints C++ start-up logs on stderr; nbgrader counts any stderr in a graded
# cell as a failure, and learners should not have to read them. This only sets a default:
# it imports nothing, and a value the user set wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# That setting does not reach the INFO lines Abseil prints while TensorFlow 2.21 loads
# ("oneDNN custom operations are on ..."): a small import hook holds them back, and only
# them (see dlcourse/_quiet_tensorflow.py). It imports nothing either.
_quiet_tensorflow.install()

__all__ = [
    "REPO_URL",
    "__version__",
    "cli",
    "datasets",
    "device",
    "distributed",
    "frameworks",
    "grading",
    "hub",
    "plotting",
    "quiz",
    "seed_everything",
    "seeding",
    "selfcheck",
    "weights",
]
_SUBMODULES = frozenset(__all__) - {"REPO_URL", "__version__", "seed_everything"}

if TYPE_CHECKING:  # type checkers and IDEs see the real modules; at run time they load lazily
    from . import (
        cli,
        datasets,
        device,
        distributed,
        frameworks,
        grading,
        hub,
        plotting,
        quiz,
        seeding,
        selfcheck,
        weights,
    )
    from .seeding import seed_everything


def __getattr__(name: str) -> Any:
    """Import a sub-module (or ``seed_everything``) the first time it is used (PEP 562)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "seed_everything":
        from .seeding import seed_everything

        return seed_everything
    raise AttributeError(f"module 'dlcourse' has no attribute {name!r}")


def __dir__() -> list[str]:
    """Return the public names, sub-modules included, loaded or not."""
    return __all__
