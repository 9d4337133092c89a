"""Data sets for the course, offline first.

* ``load_*`` return real data that ships with the package (no network needed).
* ``fetch_*`` download full data sets once into a cache folder (``DLCOURSE_DATA``, else a
  per-user cache) and check their sha256 after every download and on every use.
* ``make_*`` generate synthetic data sets, seeded.
* ``to_torch_loader`` and ``to_tf_dataset`` feed arrays to either framework.

Every loader returns a :class:`Bunch` (a dict with attribute access) with at least
``data`` and ``target``, or ``(data, target)`` with ``return_X_y=True``. Flags such as
``return_X_y``, ``data_home`` and ``progress`` are keyword-only everywhere.
``dlcourse data list`` shows every data set; :func:`clear_data_home` (or
``dlcourse data clear``) deletes the downloads.

How to add a downloadable data set
----------------------------------
A downloadable data set is a declaration plus a reader; downloading, mirrors, retries,
the sha256 check on every use and the error messages come from :func:`fetch`.

1. In a new module ``dlcourse/datasets/_<topic>.py``, write a *reader*:
   ``reader(files, subset) -> Bunch``. ``files(role)`` returns the verified local path of
   one declared file (downloading it first if needed), so ask only for the files that
   ``subset`` needs. Return a :class:`Bunch` with ``target``, ``data`` (or the field you
   name in ``X``), ``DESCR`` with the credit and licence, and the fields of the matching
   ``load_*`` loader if there is one.
2. Declare the data set with :func:`register` (it checks the declaration)::

       from ._base import Bunch
       from ._fetch import DataSet, FileGetter, RemoteFile, fetch, register

       def _read_reviews(files: FileGetter, subset: str) -> Bunch:
           lines = files(f"{subset}_text").read_text(encoding="utf-8").splitlines()
           ...
           return Bunch(data=texts, target=labels, DESCR="... By ..., CC BY 4.0.")

       REVIEWS = register(DataSet(
           name="reviews",                       # cache folder and `dlcourse data fetch reviews`
           title="Reviews: 10,000 labelled sentences",
           files={"train_text": RemoteFile("train.txt", "<sha256 of the file>", 1234567,
                                           ("https://primary.example/train.txt",
                                            "https://mirror.example/train.txt")),
                  "test_text": RemoteFile(...)},
           reader=_read_reviews,
           licence="CC BY 4.0; A. Author",
           homepage="https://primary.example/",
           offline="dlcourse.datasets.load_reviews_sample() (500 sentences shipped with dlcourse)",
           subsets=("train", "test"),            # default ("all", "train", "test")
       ))

   Take every sha256 from a primary source (the publisher, or a well-known library that
   pins the same file) and say where in a comment; give at least two URLs.
3. Add the thin public function, with keyword-only flags and the offline fallback as its
   example (doctests must run offline)::

       def fetch_reviews(subset="train", *, data_home=None, return_X_y=False, progress=True,
                         mirrors=None):
           '''numpydoc: Parameters, Returns, Raises, Examples (the offline fallback).'''
           return fetch("reviews", subset, data_home=data_home, return_X_y=return_X_y,
                        progress=progress, mirrors=mirrors)

4. Import it in this ``__init__.py`` and add it to ``__all__``; test the reader in
   ``tests/test_fetch.py`` style: serve small files made in the test from the loopback
   server and register a copy of the declaration whose ``files`` point there
   (``dataclasses.replace(REVIEWS, files=...)``).

Examples
--------
>>> import dlcourse.datasets as ds
>>> sorted(ds.DATASETS)
['creditcard', 'fashion_mnist', 'mnist', 'spoken_digits']
>>> ds.load_mnist_sample("test").images.shape
(2000, 28, 28)
"""

from ._adult import load_adult
from ._bach import load_bach_chorales
from ._base import Bunch, ChecksumError, get_data_home, package_data_path, sha256_of
from ._co2 import load_co2
from ._convert import to_tf_dataset, to_torch_loader
from ._creditcard import fetch_creditcard
from ._fetch import (
    DATASETS,
    CorruptCacheWarning,
    DataSet,
    DownloadError,
    RemoteFile,
    clear_data_home,
    fetch,
    fetch_fashion_mnist,
    fetch_file,
    fetch_mnist,
    fetch_spoken_digits,
    register,
)
from ._loaders import load_breast_cancer, load_digits, load_mnist_sample, load_shakespeare, load_spoken_digits
from ._scenes import make_digit_scenes
from ._speech import make_spoken_digit_sequences
from ._synthetic import (
    make_moons,
    make_moving_shapes,
    make_noisy_sine,
    make_spirals,
    make_transactions,
    make_windows,
    make_xor,
)
from ._text import load_sentiment_sentences

__all__ = [
    "Bunch",
    "ChecksumError",
    "get_data_home",
    "package_data_path",
    "sha256_of",
    "CorruptCacheWarning",
    "DownloadError",
    "DATASETS",
    "DataSet",
    "RemoteFile",
    "register",
    "fetch",
    "fetch_file",
    "clear_data_home",
    "fetch_mnist",
    "fetch_fashion_mnist",
    "fetch_spoken_digits",
    "fetch_creditcard",
    "load_mnist_sample",
    "load_spoken_digits",
    "load_shakespeare",
    "load_sentiment_sentences",
    "load_adult",
    "load_co2",
    "load_bach_chorales",
    "load_digits",
    "load_breast_cancer",
    "make_spirals",
    "make_moons",
    "make_xor",
    "make_noisy_sine",
    "make_windows",
    "make_moving_shapes",
    "make_transactions",
    "make_digit_scenes",
    "make_spoken_digit_sequences",
    "to_torch_loader",
    "to_tf_dataset",
]
