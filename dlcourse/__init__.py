"""dlcourse: helpers for the interactive deep-learning course.

Importing ``dlcourse`` is cheap: it imports neither PyTorch nor TensorFlow.
The sub-modules load on first use::

    >>> import dlcourse
    >>> bunch = dlcourse.datasets.load_mnist_sample()   # doctest: +SKIP
    >>> dlcourse.seed_everything(0)                      # doctest: +SKIP

Sub-modules
-----------
datasets   offline data that ships with the package, checksummed downloads, loaders
frameworks lazy, friendly imports of PyTorch and TensorFlow
device     hardware and environment report, best device, CPU-vs-GPU timing
plotting   colour-blind-safe figures for training curves, images, matrices ...
quiz       knowledge checks: question files, checking logic and widgets
seeding    one call that seeds Python, NumPy, PyTorch and TensorFlow
grading    the instructor's batch autograder (sandboxed nbgrader)
hub        pretrained transformers from the Hugging Face Hub, with an offline path
"""

from __future__ import annotations

import importlib
import os
from typing import Any

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

_SUBMODULES = {
    "datasets",
    "device",
    "frameworks",
    "grading",
    "hub",
    "plotting",
    "quiz",
    "seeding",
    "weights",
}

__all__ = sorted(_SUBMODULES | {"seed_everything", "REPO_URL", "__version__"})


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "seed_everything":
        from .seeding import seed_everything

        return seed_everything
    raise AttributeError(f"module 'dlcourse' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
