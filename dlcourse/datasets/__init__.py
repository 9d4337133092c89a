"""Data sets for the course, offline first.

* ``load_*`` return real data that ships with the package (no network needed).
* ``fetch_*`` download full data sets once into a cache folder (``DLCOURSE_DATA``, else a
  per-user cache) and check their sha256 after every download and on every use.
* ``make_*`` generate synthetic data sets, seeded.
* ``to_torch_loader`` and ``to_tf_dataset`` feed arrays to either framework.

Every loader returns a :class:`Bunch` (a dict with attribute access) with at least
``data`` and ``target``, or ``(data, target)`` with ``return_X_y=True``.
"""

from ._base import Bunch, ChecksumError, get_data_home, package_data_path, sha256_of
from ._convert import to_tf_dataset, to_torch_loader
from ._fetch import CorruptCacheWarning, DownloadError, fetch_fashion_mnist, fetch_mnist, fetch_spoken_digits
from ._loaders import load_breast_cancer, load_digits, load_mnist_sample, load_shakespeare, load_spoken_digits
from ._scenes import make_digit_scenes
from ._synthetic import (
    make_moons,
    make_moving_shapes,
    make_noisy_sine,
    make_spirals,
    make_transactions,
    make_windows,
    make_xor,
)

__all__ = [
    "Bunch",
    "ChecksumError",
    "get_data_home",
    "package_data_path",
    "sha256_of",
    "CorruptCacheWarning",
    "DownloadError",
    "fetch_mnist",
    "fetch_fashion_mnist",
    "fetch_spoken_digits",
    "load_mnist_sample",
    "load_spoken_digits",
    "load_shakespeare",
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
    "to_torch_loader",
    "to_tf_dataset",
]
