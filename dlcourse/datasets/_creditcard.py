"""The real card-fraud data for online learners: the ULB "Credit Card Fraud Detection" table.

284,807 card transactions made by European cardholders over two days of September 2013,
492 of them fraudulent (0.17%), collected by Worldline and the Machine Learning Group of the
Universite Libre de Bruxelles (Dal Pozzolo, Caelen, Johnson and Bontempi, "Calibrating
Probability with Undersampling for Unbalanced Classification", IEEE CIDM 2015). For
confidentiality, 28 of the 30 features are principal components (``V1``-``V28``); only
``Time`` and ``Amount`` are raw.

Where the hash comes from
-------------------------
The publisher's copy is Kaggle's ``mlg-ulb/creditcardfraud`` (``creditcard.csv``, 150,828,752
bytes), which needs a sign-in; OpenML's copy (data set 1597) is an ARFF file with an MD5 only.
The sha256 below is the one several independent projects pin for Kaggle's ``creditcard.csv``
(with its size, 150,828,752 bytes); one of them checked that the Hugging Face copy used as the
first URL is byte-identical. It could not be recomputed when this module was written (no
network). The second URL is the copy TensorFlow's tutorial "Classification on imbalanced data"
reads; whichever server answers, the file is kept only if its sha256 is this one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._base import Bunch
from ._fetch import DataSet, FileGetter, PathLike, RemoteFile, fetch, register

__all__ = ["CREDITCARD", "fetch_creditcard"]

#: Columns of ``creditcard.csv``, in order: the target ``Class`` is last.
CREDITCARD_COLUMNS = ("Time", *(f"V{i}" for i in range(1, 29)), "Amount", "Class")

_DESCR = (
    "Credit Card Fraud Detection (ULB): {n} card transactions by European cardholders over two days "
    "of September 2013, {frauds} fraudulent. V1-V28 are principal components (the raw features are "
    "confidential); Time is seconds since the first transaction, Amount the amount. By Worldline and "
    "the Machine Learning Group of ULB (Dal Pozzolo et al., IEEE CIDM 2015); database under the Open "
    "Database License (ODbL) 1.0, contents under the Database Contents License (DbCL) 1.0."
)


def _read_creditcard(files: FileGetter, subset: str) -> Bunch:
    """Read ``creditcard.csv``: a header line, then 31 numbers a line (``Class`` may be quoted)."""
    path = files("table")
    with open(path, encoding="ascii") as fh:
        header = tuple(name.strip().strip('"') for name in fh.readline().split(","))
        if header != CREDITCARD_COLUMNS:
            raise ValueError(f"{path}: expected the columns {', '.join(CREDITCARD_COLUMNS)}, got {', '.join(header)}")
        # Kaggle's file quotes the class ("0"); numpy's reader needs bare numbers. Lines are
        # fed one by one, so the 150 MB of text are never held in memory at once.
        table = np.loadtxt((line.replace('"', "") for line in fh), delimiter=",", dtype=np.float64, ndmin=2)
    if table.shape[1] != len(CREDITCARD_COLUMNS):
        raise ValueError(f"{path}: rows have {table.shape[1]} values, expected {len(CREDITCARD_COLUMNS)}")
    target = table[:, -1].astype(np.int64)
    if not np.isin(target, (0, 1)).all():
        raise ValueError(f"{path}: Class must be 0 or 1")
    return Bunch(
        data=table[:, :-1].astype(np.float32),
        target=target,
        feature_names=list(CREDITCARD_COLUMNS[:-1]),
        target_names=["legitimate", "fraud"],
        DESCR=_DESCR.format(n=len(target), frauds=int(target.sum())),
    )


CREDITCARD = register(
    DataSet(
        name="creditcard",
        title="Credit Card Fraud Detection (ULB): 284,807 card transactions, 492 frauds",
        files={
            "table": RemoteFile(
                "creditcard.csv",
                # Pinned for Kaggle's creditcard.csv by independent projects; see the module docstring.
                "76274b691b16a6c49d3f159c883398e03ccd6d1ee12d9d8ee38f4b4b98551a89",
                150828752,
                (
                    "https://huggingface.co/datasets/David-Egea/Creditcard-fraud-detection/resolve/main/creditcard.csv",
                    "https://storage.googleapis.com/download.tensorflow.org/data/creditcard.csv",
                ),
            )
        },
        reader=_read_creditcard,
        licence="ODbL 1.0 (database), DbCL 1.0 (contents); Worldline and ULB MLG",
        homepage="https://www.kaggle.com/datasets/mlg-ulb/creditcardfraud",
        offline=(
            "dlcourse.datasets.make_transactions() (synthetic transactions; no real card data ships "
            "with dlcourse)"
        ),
        subsets=("all",),
    )
)


def fetch_creditcard(
    *,
    data_home: PathLike | None = None,
    return_X_y: bool = False,
    progress: bool = True,
    mirrors: Sequence[str] | str | None = None,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Download (once) and load the ULB credit-card fraud data: 284,807 transactions, 492 frauds.

    Real card transactions by European cardholders over two days of September 2013
    (Worldline and ULB's Machine Learning Group), the standard public benchmark for fraud
    detection on imbalanced data: 0.17% of the transactions are fraudulent. ``V1``-``V28``
    are principal components of confidential features; ``Time`` (seconds since the first
    transaction) and ``Amount`` are raw. The CSV file (150.8 MB) is cached and its sha256
    checked on every call. The data has no official split; the rows are in time order, so
    a split by ``Time`` is the honest one. Offline, :func:`dlcourse.datasets.make_transactions`
    generates a *synthetic* stand-in.

    Parameters
    ----------
    data_home : str or path-like, optional
        Cache folder; default ``DLCOURSE_DATA``, else a per-user cache folder.
    return_X_y : bool, default False
        Return ``(data, target)`` instead of a :class:`Bunch`.
    progress : bool, default True
        Show a progress bar while downloading.
    mirrors : list of str or str, optional
        Other servers to download from (see :mod:`dlcourse.datasets._fetch`).

    Returns
    -------
    Bunch
        ``data`` float32 ``(284807, 30)`` (``Time``, ``V1``-``V28``, ``Amount``),
        ``target`` int64 (1 = fraud), ``feature_names``, ``target_names``
        (``["legitimate", "fraud"]``), ``DESCR`` with the credit and the licence
        (ODbL 1.0 / DbCL 1.0).

    Raises
    ------
    DownloadError
        When no mirror can be reached (for example offline).

    Examples
    --------
    >>> from dlcourse.datasets import DownloadError, fetch_creditcard, make_transactions
    >>> try:
    ...     X, y = fetch_creditcard(return_X_y=True, progress=False)
    ... except DownloadError:  # offline: synthetic transactions with a similar imbalance
    ...     synthetic = make_transactions(20000, fraud_rate=0.002)
    ...     X, y = synthetic.data, synthetic.target
    >>> bool(0 < y.mean() < 0.01)
    True
    """
    return fetch("creditcard", "all", data_home=data_home, return_X_y=return_X_y, progress=progress, mirrors=mirrors)
