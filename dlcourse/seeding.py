"""Reproducibility: one call seeds every random number generator the course uses."""

from __future__ import annotations

import os
import random
import sys

import numpy as np

__all__ = ["seed_everything"]


def seed_everything(seed: int = 0, *, deterministic: bool = False) -> int:
    """Seed Python, NumPy, and PyTorch and TensorFlow/Keras if they are imported or installed.

    PyTorch and TensorFlow are seeded only when they are already imported, so calling
    this function never pays for importing a framework the lesson does not use. Call it
    again after importing a framework (lessons call it right after their imports).

    Parameters
    ----------
    seed : int, default 0
        The seed. The same seed gives the same numbers run to run on the same machine
        and library versions.
    deterministic : bool, default False
        Also ask the frameworks for deterministic kernels
        (``torch.use_deterministic_algorithms`` and TensorFlow's
        ``enable_op_determinism``). Slower; on a CPU results are usually already
        repeatable without it.

    Returns
    -------
    int
        The seed, so that it can be logged.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse import seed_everything
    >>> _ = seed_everything(42); a = np.random.rand()
    >>> _ = seed_everything(42); b = np.random.rand()
    >>> a == b
    True
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    os.environ["PYTHONHASHSEED"] = str(seed)  # affects sub-processes the lesson starts

    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
        if deterministic:
            torch.use_deterministic_algorithms(True)

    if "tensorflow" in sys.modules or "keras" in sys.modules:
        keras = sys.modules.get("keras")
        if keras is not None and hasattr(keras, "utils") and hasattr(keras.utils, "set_random_seed"):
            keras.utils.set_random_seed(seed)  # seeds Python, NumPy and the backend
        else:
            sys.modules["tensorflow"].random.set_seed(seed)
        if deterministic and "tensorflow" in sys.modules:
            sys.modules["tensorflow"].config.experimental.enable_op_determinism()
    return seed
