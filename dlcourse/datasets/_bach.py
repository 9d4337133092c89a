"""Real music that ships with dlcourse: J. S. Bach's chorales in four voices."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np

from ._base import Bunch, package_data_path

__all__ = ["load_bach_chorales"]

BACH_FILE = "Jsb16thSeparated.npz"
#: The split of Boulanger-Lewandowski et al. (ICML 2012), in the file's order.
BACH_SUBSETS = ("train", "valid", "test")
BACH_VOICES = ("soprano", "alto", "tenor", "bass")


@lru_cache(maxsize=1)
def _bach_split() -> dict[str, tuple[np.ndarray, ...]]:
    """Every chorale of every subset as a read-only float64 array (steps, 4), file order."""
    # The file stores each subset as an object array of float16 arrays, which NumPy can
    # only read with allow_pickle=True. package_data_path has checked its sha256 first, so
    # exactly the published bytes are unpickled, nothing a third party could have changed.
    path = package_data_path(BACH_FILE)
    with np.load(path, allow_pickle=True, encoding="latin1") as archive:
        split = {}
        for subset in BACH_SUBSETS:
            chorales = tuple(np.asarray(c, dtype=np.float64) for c in archive[subset])
            for c in chorales:
                c.setflags(write=False)
            split[subset] = chorales
    return split


def load_bach_chorales(subset: Literal["train", "valid", "test", "all"] = "train") -> Bunch:
    """Load 382 chorales by J. S. Bach in four voices, on a grid of sixteenth notes.

    The chorale harmonisations in the form of Boulanger-Lewandowski, Bengio and Vincent
    (ICML 2012), with their split into 229 training, 76 validation and 77 test chorales,
    as published on a sixteenth-note grid for Coconet (Huang et al., ISMIR 2017). Each
    time step holds the MIDI pitch of the soprano, alto, tenor and bass (60 is middle C;
    NaN means the voice is silent). The grid records which pitch sounds, not where a note
    starts: a note repeated on the next step and a note held through it look the same.
    The file ships with the package, so this works offline.

    Parameters
    ----------
    subset : {"train", "valid", "test", "all"}, default "train"
        Which chorales; ``"all"`` gives the three subsets one after the other.

    Returns
    -------
    Bunch
        ``data``: a list of float64 arrays, one per chorale, of shape (steps, 4): MIDI
        pitches of the four voices, NaN = silent; ``soprano``: a list of the first
        columns, (steps,) each, the melody; ``subset``: the subset of each chorale (an
        array of strings); ``voices``: the column names; ``steps_per_quarter``: 4;
        ``DESCR``. The arrays are copies: changing them changes nothing for later calls.

    Raises
    ------
    ValueError
        When ``subset`` is not one of the four names.

    Examples
    --------
    >>> from dlcourse.datasets import load_bach_chorales
    >>> train = load_bach_chorales("train")
    >>> len(train.data), train.data[0].shape, train.voices
    (229, (192, 4), ('soprano', 'alto', 'tenor', 'bass'))
    >>> [int(p) for p in train.soprano[0][:8]]  # the melody, sixteenth by sixteenth
    [74, 74, 74, 74, 75, 75, 75, 75]
    >>> chorales = load_bach_chorales("all")
    >>> len(chorales.data), sorted(set(chorales.subset.tolist()))
    (382, ['test', 'train', 'valid'])
    """
    if subset not in (*BACH_SUBSETS, "all"):
        raise ValueError(f"subset must be 'train', 'valid', 'test' or 'all', got {subset!r}")
    split = _bach_split()
    names = BACH_SUBSETS if subset == "all" else (subset,)
    data = [c.copy() for name in names for c in split[name]]
    return Bunch(
        data=data,
        soprano=[c[:, 0].copy() for c in data],
        subset=np.array([name for name in names for _ in split[name]]),
        voices=BACH_VOICES,
        steps_per_quarter=4,
        DESCR=(
            f"{len(data)} chorales by J. S. Bach ({subset}), four voices on a sixteenth-note grid, MIDI pitches "
            "(NaN = silent). Split of Boulanger-Lewandowski, Bengio and Vincent (ICML 2012); file from "
            "github.com/czhuang/JSB-Chorales-dataset (Coconet, Huang et al., ISMIR 2017). Bach's music is in "
            "the public domain."
        ),
    )
