"""Turn NumPy arrays into a PyTorch ``DataLoader`` or a ``tf.data.Dataset``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..frameworks import require_tensorflow, require_torch

__all__ = ["to_torch_loader", "to_tf_dataset"]


def _check_xy(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray | None]:
    X = np.asarray(X)
    if y is not None:
        y = np.asarray(y)
        if len(X) != len(y):
            raise ValueError(f"X and y have different lengths: {len(X)} and {len(y)}")
    return X, y


def to_torch_loader(
    X: Any,
    y: Any = None,
    *,
    batch_size: int = 64,
    shuffle: bool = True,
    seed: int = 0,
    dtype: str = "float32",
) -> Any:
    """Wrap arrays in a ``torch.utils.data.DataLoader``.

    Floating-point ``X`` becomes ``dtype`` (float32); integer ``y`` becomes int64
    (``nn.CrossEntropyLoss`` wants class indices as int64), float ``y`` float32.

    Parameters
    ----------
    X : array-like
        Inputs, one row per example.
    y : array-like, optional
        Targets, as long as ``X``; without them the batches hold ``X`` only.
    batch_size : int, default 64
        Examples per batch (the last batch may be smaller).
    shuffle : bool, default True
        Reshuffle every epoch, from a generator seeded with ``seed`` (repeatable).
    seed : int, default 0
        Seed of that generator.
    dtype : str, default "float32"
        Type of floating-point ``X``.

    Returns
    -------
    torch.utils.data.DataLoader
        Yields ``(X_batch, y_batch)`` tensors (or one-element lists without ``y``).

    Raises
    ------
    ImportError
        When PyTorch is not installed, saying how to install it.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.datasets import to_torch_loader
    >>> loader = to_torch_loader(np.zeros((10, 3)), np.arange(10), batch_size=4)
    >>> xb, yb = next(iter(loader)); xb.shape, yb.dtype
    (torch.Size([4, 3]), torch.int64)
    """
    torch = require_torch("build a DataLoader")
    X, y = _check_xy(X, y)
    tx = torch.as_tensor(X.astype(dtype) if X.dtype.kind == "f" else X)
    tensors = [tx]
    if y is not None:
        ty = torch.as_tensor(y.astype(np.int64) if y.dtype.kind in "iub" else y.astype(np.float32))
        tensors.append(ty)
    generator = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(*tensors), batch_size=batch_size, shuffle=shuffle, generator=generator
    )


def to_tf_dataset(
    X: Any,
    y: Any = None,
    *,
    batch_size: int = 64,
    shuffle: bool = True,
    seed: int = 0,
    dtype: str = "float32",
) -> Any:
    """Wrap arrays in a batched, prefetched ``tf.data.Dataset``.

    Floating-point ``X`` becomes ``dtype`` (float32); integer ``y`` becomes int64, float
    ``y`` float32, as in :func:`to_torch_loader`.

    Parameters
    ----------
    X : array-like
        Inputs, one row per example.
    y : array-like, optional
        Targets, as long as ``X``; without them the elements are ``X`` batches only.
    batch_size : int, default 64
        Examples per batch (the last batch may be smaller).
    shuffle : bool, default True
        Reshuffle every epoch (``reshuffle_each_iteration``), seeded with ``seed``.
    seed : int, default 0
        Seed of the shuffle.
    dtype : str, default "float32"
        Type of floating-point ``X``.

    Returns
    -------
    tf.data.Dataset
        Yields ``(X_batch, y_batch)`` (or ``X_batch`` without ``y``); ready for ``model.fit``.

    Raises
    ------
    ImportError
        When TensorFlow is not installed, saying how to install it.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.datasets import to_tf_dataset
    >>> ds = to_tf_dataset(np.zeros((10, 3)), np.arange(10), batch_size=4)
    >>> [tuple(x.shape) for x, _ in ds]
    [(4, 3), (4, 3), (2, 3)]
    """
    tf = require_tensorflow("build a tf.data.Dataset")
    X, y = _check_xy(X, y)
    X = X.astype(dtype) if X.dtype.kind == "f" else X
    if y is not None:
        y = y.astype(np.int64) if y.dtype.kind in "iub" else y.astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices(X if y is None else (X, y))
    if shuffle:
        ds = ds.shuffle(len(X), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
