"""The "Adult" census-income data (UCI), shipped with dlcourse for the lesson on fairness."""

from __future__ import annotations

import gzip
from functools import lru_cache
from typing import Literal

import numpy as np

from ._base import Bunch, package_data_path

__all__ = ["load_adult"]

ADULT_FILE = "adult.data.gz"
#: The 14 columns of ``adult.data`` before the label, in file order, and their NumPy types.
ADULT_COLUMNS = (
    ("age", np.int64),
    ("workclass", "U16"),
    ("fnlwgt", np.int64),
    ("education", "U12"),
    ("education_num", np.int64),
    ("marital_status", "U21"),
    ("occupation", "U17"),
    ("relationship", "U14"),
    ("race", "U18"),
    ("sex", "U6"),
    ("capital_gain", np.int64),
    ("capital_loss", np.int64),
    ("hours_per_week", np.int64),
    ("native_country", "U26"),
)
ADULT_TEST_FRACTION = 0.25
_SPLIT_SEED = 19940301  # fixed: every lesson and both frameworks see the same split


@lru_cache(maxsize=1)
def _adult_rows() -> tuple[np.ndarray, np.ndarray]:
    """All 32,561 rows in file order as (structured array, int64 target), read-only."""
    with gzip.open(package_data_path(ADULT_FILE), "rt", encoding="ascii") as f:
        rows = [[field.strip() for field in line.split(",")] for line in f if line.strip()]
    dtype = np.dtype(list(ADULT_COLUMNS))
    data = np.empty(len(rows), dtype=dtype)
    for j, (name, _) in enumerate(ADULT_COLUMNS):
        data[name] = [row[j] for row in rows]
    target = np.array([row[-1] == ">50K" for row in rows], dtype=np.int64)
    data.setflags(write=False)
    target.setflags(write=False)
    return data, target


def load_adult(
    subset: Literal["all", "train", "test"] = "all", *, return_X_y: bool = False, shuffle: bool = True
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load the "Adult" census-income data: 32,561 people, income above $50,000 or not.

    The training file of the UCI "Adult" data set (Becker and Kohavi, 1996), extracted
    from the 1994 US Current Population Survey: 14 attributes per person and whether
    their yearly income exceeded $50,000. It is the classic benchmark of fairness
    research, and a dated one: Ding, Hardt, Miller and Schmidt ("Retiring Adult",
    NeurIPS 2021) show how its $50,000 cut-off and its 1994 origin limit what it can
    tell about fairness today; see ``DESCR``. The file ships with the package, so this
    works offline. A fixed split holds out a quarter of every (income, sex, race)
    stratum as a test set (8,141 rows), so each group keeps its share on both sides.

    Parameters
    ----------
    subset : {"all", "train", "test"}, default "all"
        ``"train"`` gives 24,420 rows, ``"test"`` the held-out 8,141.
    return_X_y : bool, default False
        Return ``(data, target)`` instead of a :class:`Bunch`.
    shuffle : bool, default True
        Return the rows in a fixed shuffled order; ``False`` keeps the file's order.

    Returns
    -------
    Bunch
        ``data``: a NumPy structured array with one named field per column
        (``data["age"]``; the names are in ``feature_names``), integers for the six
        numeric columns and strings, stripped of spaces, for the eight categorical ones,
        where ``"?"`` marks a missing value as in the file; ``target``: int64 ``(n,)``,
        1 = income above $50K; ``sex`` and ``race``: the protected attributes as string
        arrays (the same as ``data["sex"]`` and ``data["race"]``); ``feature_names``,
        ``numeric_features``, ``categorical_features``, ``target_names``
        (``["<=50K", ">50K"]``) and ``DESCR``.

    Raises
    ------
    ValueError
        When ``subset`` is not one of the three names.

    Examples
    --------
    >>> from dlcourse.datasets import load_adult
    >>> adult = load_adult("train")
    >>> len(adult.target), round(float(adult.target.mean()), 3)
    (24420, 0.241)
    >>> sorted(set(adult.sex.tolist())), int(adult.data["age"].min())
    (['Female', 'Male'], 17)
    >>> X, y = load_adult("test", return_X_y=True)
    >>> X.shape, X.dtype.names[:3]
    ((8141,), ('age', 'workclass', 'fnlwgt'))
    """
    if subset not in ("all", "train", "test"):
        raise ValueError(f"subset must be 'all', 'train' or 'test', got {subset!r}")
    data, target = _adult_rows()
    index = np.arange(len(target))
    if subset != "all":
        from sklearn.model_selection import train_test_split  # here: importing dlcourse stays light

        strata = np.char.add(np.char.add(target.astype(str), data["sex"]), data["race"])
        fit, held_out = train_test_split(index, test_size=ADULT_TEST_FRACTION, stratify=strata,
                                         random_state=_SPLIT_SEED)
        index = np.sort(held_out if subset == "test" else fit)
    if shuffle:
        index = np.random.default_rng(_SPLIT_SEED + 1).permutation(index)
    rows, y = data[index], target[index]
    if return_X_y:
        return rows, y
    names = [name for name, _ in ADULT_COLUMNS]
    return Bunch(
        data=rows,
        target=y,
        sex=rows["sex"],
        race=rows["race"],
        feature_names=names,
        numeric_features=[name for name, kind in ADULT_COLUMNS if kind is np.int64],
        categorical_features=[name for name, kind in ADULT_COLUMNS if kind is not np.int64],
        target_names=["<=50K", ">50K"],
        DESCR=(
            f"Adult census income ({subset}): {len(y)} people from the 1994 US Current Population "
            "Survey, 1 = yearly income above $50,000. Becker and Kohavi (1996), UCI Machine Learning "
            "Repository, dataset 2, CC BY 4.0. Caveat: Ding, Hardt, Miller and Schmidt, 'Retiring "
            "Adult: New Datasets for Fair Machine Learning' (NeurIPS 2021) show that the $50,000 "
            "threshold and the 1994 data limit the external validity of fairness results on it; "
            "their folktables package offers recent US census tasks."
        ),
    )
