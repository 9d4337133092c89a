"""Loaders for the real data that ships with dlcourse (no network needed)."""

from __future__ import annotations

import gzip
from functools import lru_cache
from typing import Literal

import numpy as np

from ._base import Bunch, package_data_path

__all__ = [
    "load_mnist_sample",
    "load_spoken_digits",
    "load_shakespeare",
    "load_digits",
    "load_breast_cancer",
]

Subset = Literal["all", "train", "test"]

MNIST_TEST_SIZE = 2000
_SPLIT_SEED = 20240521  # fixed: every lesson and both frameworks see the same split


def _check_subset(subset: str) -> None:
    if subset not in ("all", "train", "test"):
        raise ValueError(f"subset must be 'all', 'train' or 'test', got {subset!r}")


@lru_cache(maxsize=1)
def _mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    with np.load(package_data_path("mnist10k.npz")) as f:
        images, labels = f["images"], f["labels"].astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _stratified_test_mask(labels: np.ndarray, test_size: int, seed: int) -> np.ndarray:
    """Return a boolean mask choosing ``test_size`` items with every class in proportion."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(labels), dtype=bool)
    classes, counts = np.unique(labels, return_counts=True)
    quotas = np.floor(counts / len(labels) * test_size).astype(int)
    quotas[: test_size - quotas.sum()] += 1  # hand out the remainder
    for cls, quota in zip(classes, quotas):
        idx = np.flatnonzero(labels == cls)
        mask[rng.choice(idx, size=quota, replace=False)] = True
    return mask


def load_mnist_sample(
    subset: Subset = "all", *, return_X_y: bool = False, shuffle: bool = True
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load 10,000 real MNIST hand-written digits (28x28, grey, 10 classes).

    The sample ships with the package, so it works offline. A fixed, stratified split
    holds out 2,000 images as a test set; every lesson uses the same split, so results
    in PyTorch and Keras are comparable. For all 70,000 digits use
    :func:`dlcourse.datasets.fetch_mnist` (downloads once).

    Parameters
    ----------
    subset : {"all", "train", "test"}, default "all"
        ``"train"`` gives 8,000 images, ``"test"`` the 2,000 held-out ones.
    return_X_y : bool, default False
        Return ``(data, target)`` instead of a :class:`Bunch`.
    shuffle : bool, default True
        Return the images in a fixed shuffled order. The file stores them sorted by
        class, which is a trap for anyone who slices off the last 20% as a test set.

    Returns
    -------
    Bunch
        ``images`` uint8 ``(n, 28, 28)`` with 0 = black background and 255 = white ink;
        ``data`` float32 ``(n, 784)`` scaled to [0, 1]; ``target`` int64 ``(n,)``;
        ``target_names``; ``DESCR``.

    Examples
    --------
    >>> from dlcourse.datasets import load_mnist_sample
    >>> train = load_mnist_sample("train")
    >>> train.images.shape, train.data.shape, train.target.shape
    ((8000, 28, 28), (8000, 784), (8000,))
    >>> X_test, y_test = load_mnist_sample("test", return_X_y=True)
    >>> X_test.shape
    (2000, 784)
    """
    _check_subset(subset)
    images, labels = _mnist_arrays()
    index = np.arange(len(labels))
    if subset != "all":
        test = _stratified_test_mask(labels, MNIST_TEST_SIZE, _SPLIT_SEED)
        index = index[test] if subset == "test" else index[~test]
    if shuffle:
        index = np.random.default_rng(_SPLIT_SEED + 1).permutation(index)
    imgs = images[index]
    data = imgs.reshape(len(imgs), -1).astype(np.float32) / 255.0
    target = labels[index]
    if return_X_y:
        return data, target
    return Bunch(
        images=imgs,
        data=data,
        target=target,
        target_names=[str(i) for i in range(10)],
        DESCR=(
            f"MNIST sample ({subset}): {len(target)} real hand-written digits, 28x28 pixels, "
            "white on black. MNIST by Y. LeCun, C. Cortes and C. J. C. Burges, CC BY-SA 3.0."
        ),
    )


@lru_cache(maxsize=1)
def _fsdd_arrays() -> dict[str, np.ndarray]:
    with np.load(package_data_path("fsdd_600.npz")) as f:
        return {k: f[k] for k in f.files}


def load_spoken_digits(
    subset: Subset = "all", *, return_X_y: bool = False
) -> Bunch | tuple[list[np.ndarray], np.ndarray]:
    """Load 600 real recordings of spoken digits (Free Spoken Digit Dataset, 8 kHz).

    Six speakers each say every digit ten times (takes 0-9). The clips have different
    lengths (about 0.14 to 2.3 s). Following FSDD's own convention that the first takes
    form the test set, takes 0 and 1 (120 clips) are the test set and takes 2-9
    (480 clips) the training set. For all 3,000 recordings use
    :func:`dlcourse.datasets.fetch_spoken_digits`, which keeps FSDD's official split
    (takes 0-4 of 0-49 are the test set).

    Parameters
    ----------
    subset : {"all", "train", "test"}, default "all"
        ``"train"``: takes 2-9 (480 clips); ``"test"``: takes 0-1 (120 clips); ``"all"``: 600.
    return_X_y : bool, default False
        Return ``(audio, target)`` instead of a :class:`Bunch`.

    Returns
    -------
    Bunch
        ``audio`` (list of int16 arrays, one per clip), ``data`` (the same list as float32
        in [-1, 1]), ``target`` int64 digit, ``speakers`` int64 index into
        ``speaker_names``, ``takes``, ``sample_rate`` (8000), ``DESCR``.

    Examples
    --------
    >>> from dlcourse.datasets import load_spoken_digits
    >>> sd = load_spoken_digits("train")
    >>> len(sd.audio), sd.sample_rate, sd.speaker_names[:2]
    (480, 8000, ['george', 'jackson'])
    """
    _check_subset(subset)
    f = _fsdd_arrays()
    offsets = f["offsets"]
    takes = f["takes"].astype(np.int64)
    keep = np.ones(len(takes), dtype=bool)
    if subset == "test":
        keep = takes < 2
    elif subset == "train":
        keep = takes >= 2
    idx = np.flatnonzero(keep)
    audio = [f["audio"][offsets[i] : offsets[i + 1]] for i in idx]
    target = f["labels"][idx].astype(np.int64)
    if return_X_y:
        return audio, target
    return spoken_digits_bunch(
        audio,
        target,
        speakers=f["speakers"][idx].astype(np.int64),
        speaker_names=[str(s) for s in f["speaker_names"]],
        takes=takes[idx],
        sample_rate=int(f["sample_rate"]),
        descr=f"Free Spoken Digit Dataset ({subset}): {len(idx)} recordings, 8 kHz mono.",
    )


def spoken_digits_bunch(
    audio: list[np.ndarray],
    target: np.ndarray,
    *,
    speakers: np.ndarray,
    speaker_names: list[str],
    takes: np.ndarray,
    sample_rate: int,
    descr: str,
) -> Bunch:
    """Build the Bunch shared by :func:`load_spoken_digits` and ``fetch_spoken_digits``.

    Parameters
    ----------
    audio : list of numpy.ndarray
        One int16 array per clip.
    target : numpy.ndarray
        The digit said in each clip.
    speakers : numpy.ndarray
        Index of each clip's speaker in ``speaker_names``.
    speaker_names : list of str
        The speakers, sorted.
    takes : numpy.ndarray
        Each clip's take number.
    sample_rate : int
        Samples per second.
    descr : str
        The first sentence of ``DESCR``; the credit and licence are appended.

    Returns
    -------
    Bunch
        The fields above, plus ``data`` (the audio as float32 in [-1, 1]) and ``target_names``.

    Examples
    --------
    >>> import numpy as np
    >>> b = spoken_digits_bunch([np.array([16384, -32768], np.int16)], np.array([3]),
    ...     speakers=np.array([0]), speaker_names=["ann"], takes=np.array([0]), sample_rate=8000, descr="One clip.")
    >>> b.data[0].tolist(), b.DESCR
    ([0.5, -1.0], 'One clip. By Z. Jackson et al., CC BY-SA 4.0.')
    """
    return Bunch(
        audio=audio,
        data=[a.astype(np.float32) / 32768.0 for a in audio],
        target=target,
        speakers=speakers,
        speaker_names=speaker_names,
        takes=takes,
        sample_rate=sample_rate,
        target_names=[str(i) for i in range(10)],
        DESCR=f"{descr} By Z. Jackson et al., CC BY-SA 4.0.",
    )


@lru_cache(maxsize=1)
def _shakespeare_text() -> str:
    with gzip.open(package_data_path("tinyshakespeare.txt.gz"), "rt", encoding="utf-8") as fh:
        return fh.read()


def load_shakespeare(n_chars: int | None = None) -> Bunch:
    """Load the Tiny Shakespeare text (1,115,394 characters), for character-level models.

    Parameters
    ----------
    n_chars : int, optional
        Keep only the first ``n_chars`` characters (lessons train on a slice to stay fast).

    Returns
    -------
    Bunch
        ``text`` (str), ``data`` (the same text), ``vocab`` (sorted list of the distinct
        characters of the *whole* text, so encodings agree whatever ``n_chars`` is),
        ``DESCR``.

    Examples
    --------
    >>> from dlcourse.datasets import load_shakespeare
    >>> sh = load_shakespeare(n_chars=100)
    >>> sh.text[:14]
    'First Citizen:'
    >>> len(sh.vocab)
    65
    """
    full = _shakespeare_text()
    if n_chars is not None and n_chars < 1:
        raise ValueError(f"n_chars must be positive, got {n_chars}")
    text = full if n_chars is None else full[:n_chars]
    return Bunch(
        text=text,
        data=text,
        vocab=sorted(set(full)),
        DESCR="Tiny Shakespeare: public-domain plays, as published in karpathy/char-rnn.",
    )


def _sklearn_datasets():
    from ..frameworks import require

    return require("sklearn.datasets", "load scikit-learn's bundled data sets")


def load_digits(*, return_X_y: bool = False) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load scikit-learn's 1,797 real 8x8 hand-written digits (16 grey levels).

    Parameters
    ----------
    return_X_y : bool, default False
        Return ``(data, target)`` instead of a :class:`Bunch`.

    Returns
    -------
    Bunch
        ``images`` float ``(1797, 8, 8)`` in 0-16, ``data`` float32 ``(1797, 64)`` scaled
        to [0, 1], ``target``, ``target_names``, ``DESCR``.

    Examples
    --------
    >>> from dlcourse.datasets import load_digits
    >>> load_digits().data.shape
    (1797, 64)
    """
    raw = _sklearn_datasets().load_digits()
    data = (raw.data / 16.0).astype(np.float32)
    target = raw.target.astype(np.int64)
    if return_X_y:
        return data, target
    return Bunch(
        images=raw.images,
        data=data,
        target=target,
        target_names=[str(t) for t in raw.target_names],
        DESCR=raw.DESCR,
    )


def load_breast_cancer(*, return_X_y: bool = False) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load the Breast Cancer Wisconsin (Diagnostic) data: 569 real tumours, 30 features.

    Real clinical measurements of cell nuclei from fine-needle aspirates. The target is
    1 for malignant and 0 for benign. (scikit-learn codes it the other way round,
    0 = malignant; here the disease is the positive class, as clinicians count
    sensitivity.)

    Parameters
    ----------
    return_X_y : bool, default False
        Return ``(data, target)`` instead of a :class:`Bunch`.

    Returns
    -------
    Bunch
        ``data`` float32 ``(569, 30)`` (raw units: standardise before training),
        ``target`` int64 (1 = malignant, 212 of them), ``feature_names``,
        ``target_names`` (``["benign", "malignant"]``), ``DESCR``.

    Examples
    --------
    >>> from dlcourse.datasets import load_breast_cancer
    >>> bc = load_breast_cancer()
    >>> bc.data.shape, int(bc.target.sum())
    ((569, 30), 212)
    """
    raw = _sklearn_datasets().load_breast_cancer()
    data = raw.data.astype(np.float32)
    target = (raw.target == 0).astype(np.int64)  # 1 = malignant
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        feature_names=list(raw.feature_names),
        target_names=["benign", "malignant"],
        DESCR=raw.DESCR,
    )
