"""Shared pieces of the data loaders: the Bunch, package data files and their checksums."""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["Bunch", "get_data_home", "package_data_path", "sha256_of", "ChecksumError"]

DATA_DIR = Path(__file__).with_name("data")

class ShippedFile(NamedTuple):
    """A data file that ships inside the package (provenance in full: ``data/DATA_LICENSES.md``).

    Examples
    --------
    >>> SHIPPED["co2_mm_mlo.csv"].loader
    'load_co2()'
    """

    sha256: str
    loader: str
    what: str
    licence: str


#: Every file shipped in ``dlcourse/datasets/data``: its sha256, how to load it, what it holds, its licence.
SHIPPED: dict[str, ShippedFile] = {
    "mnist10k.npz": ShippedFile(
        "0217e13bd0668deb198aa7d305edbf0331eb89f8a6e7dd226e03d1aa3a9bd4ef", "load_mnist_sample()",
        "10,000 MNIST digits", "CC BY-SA 3.0; Y. LeCun, C. Cortes, C. J. C. Burges"),
    "fsdd_600.npz": ShippedFile(
        "ad1d63ff647c6e24482b2e10835a94b5a7d7285625d91bdc9d96c70387e5bb27", "load_spoken_digits()",
        "600 spoken-digit recordings (FSDD)", "CC BY-SA 4.0; Z. Jackson et al."),
    "tinyshakespeare.txt.gz": ShippedFile(
        "011aca18445d20effc17981765da317b1f6df1e37a3125e9761deb0915d3f161", "load_shakespeare()",
        "Tiny Shakespeare, 1.1 M characters", "public domain (text from karpathy/char-rnn)"),
    "sentiment_labelled_sentences.tar.gz": ShippedFile(
        "172c527cda0e5dfc83589acc2afd55f85906fa2686f4ad63a2fc2aaf64f8c9cf", "load_sentiment_sentences()",
        "3,000 review sentences labelled by sentiment (Amazon, IMDb, Yelp)",
        "CC BY 4.0; Kotzias et al. (KDD 2015), UCI dataset 331"),
    "adult.data.gz": ShippedFile(
        "3be3165b1ef6c5680bda17889ebbb495edabeee0469865dd1d0b761e5e06acf7", "load_adult()",
        "Adult census income, 32,561 people (1994)", "CC BY 4.0; B. Becker, R. Kohavi (UCI)"),
    "co2_mm_mlo.csv": ShippedFile(
        "1fa856335e5ece5bce6cd18c1368365787472e5149a19dffb52fde149c70cc37", "load_co2()",
        "monthly CO2 at Mauna Loa, 1958-2025", "public domain; NOAA GML and Scripps (C. D. Keeling)"),
    "Jsb16thSeparated.npz": ShippedFile(
        "2adcdf0d57880c3763f104555072285fe7f9e3d6049fcc4b9830557b8d4a7820", "load_bach_chorales()",
        "382 Bach chorales in four voices, sixteenth-note grid",
        "public domain; split of Boulanger-Lewandowski et al. (2012)"),
}
#: name -> sha256 of every shipped file (what the loaders check).
PACKAGE_FILES = {name: f.sha256 for name, f in SHIPPED.items()}


class ChecksumError(OSError):
    """A data file's sha256 is not the one it must have."""


class Bunch(dict):
    """A dictionary whose keys are also attributes, as returned by every loader.

    Like :class:`sklearn.utils.Bunch`: ``bunch.data`` and ``bunch["data"]`` are the same.

    Examples
    --------
    >>> b = Bunch(data=[1, 2], target=[0, 1])
    >>> b.data
    [1, 2]
    >>> b["target"]
    [0, 1]
    >>> sorted(b)
    ['data', 'target']
    """

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(
                f"this Bunch has no field {key!r}; its fields are: {', '.join(sorted(self))}"
            ) from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.keys()))

    def __repr__(self) -> str:
        parts = []
        for key, value in self.items():
            shape = getattr(value, "shape", None)
            if shape is not None:
                parts.append(f"{key}: {type(value).__name__}{tuple(shape)} {getattr(value, 'dtype', '')}")
            elif isinstance(value, str):
                parts.append(f"{key}: str[{len(value)}]")
            elif isinstance(value, (list, tuple)):
                parts.append(f"{key}: {type(value).__name__}[{len(value)}]")
            else:
                parts.append(f"{key}: {type(value).__name__}")
        return "Bunch(" + ", ".join(parts) + ")"


def sha256_of(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    """Return the hex sha256 of a file, read in chunks.

    Parameters
    ----------
    path : str or path-like
        The file.
    chunk_size : int, default 1 MiB
        Bytes read at a time (memory use stays small for large files).

    Returns
    -------
    str
        64 lower-case hex digits.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile(delete=False) as f:
    ...     _ = f.write(b"abc")
    >>> sha256_of(f.name)[:16]
    'ba7816bf8f01cfea'
    >>> os.remove(f.name)
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def package_data_path(name: str) -> Path:
    """Return the path of a data file shipped with the package, after checking its sha256.

    The check runs once per file and process (the result is cached).

    Parameters
    ----------
    name : str
        A file in ``dlcourse/datasets/data`` listed in ``PACKAGE_FILES``.

    Returns
    -------
    pathlib.Path
        The verified file.

    Raises
    ------
    KeyError
        When no such file ships with dlcourse.
    FileNotFoundError
        When the file is missing from the installation.
    ChecksumError
        When the file was changed or damaged; reinstalling dlcourse restores it.

    Examples
    --------
    >>> package_data_path("mnist10k.npz").name
    'mnist10k.npz'
    """
    if name not in PACKAGE_FILES:
        raise KeyError(f"{name!r} is not shipped with dlcourse; shipped files: {sorted(PACKAGE_FILES)}")
    path = DATA_DIR / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing from the dlcourse installation; reinstall it with "
            "pip install --force-reinstall dlcourse"
        )
    actual = sha256_of(path)
    if actual != PACKAGE_FILES[name]:
        raise ChecksumError(
            f"{path} is damaged: its sha256 is {actual}, expected {PACKAGE_FILES[name]}. "
            "Reinstall dlcourse (pip install --force-reinstall dlcourse) to restore it."
        )
    return path


def get_data_home(data_home: str | os.PathLike[str] | None = None) -> Path:
    r"""Return the folder where ``fetch_*`` functions cache downloads, creating it.

    The folder is, in order of preference: the ``data_home`` argument, the environment
    variable ``DLCOURSE_DATA``, or a per-user cache folder
    (``~/.cache/dlcourse`` on Linux, ``~/Library/Caches/dlcourse`` on macOS,
    ``%LOCALAPPDATA%\dlcourse\Cache`` on Windows).

    Parameters
    ----------
    data_home : str or path-like, optional
        The folder to use; ``~`` is expanded.

    Returns
    -------
    pathlib.Path
        The folder, which now exists.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> str(get_data_home(d)) == d
    True
    """
    if data_home is None:
        data_home = os.environ.get("DLCOURSE_DATA") or None
    if data_home is None:
        import pooch

        data_home = pooch.os_cache("dlcourse")
    path = Path(data_home).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path
