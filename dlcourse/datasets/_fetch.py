"""Checksummed downloads of full data sets: MNIST, Fashion-MNIST and the Free Spoken Digit Dataset.

Each file is downloaded once into ``get_data_home() / <data set> / <file name>`` and its
sha256 is checked after every download and every time it is used from the cache:

* several mirrors per file are tried in order; the first good copy wins;
* a download is written to a temporary file in the same folder and renamed only once its
  sha256 is right (``os.replace``), so an interrupted download never leaves a file with the
  final name, and a wrong download leaves nothing;
* a cached file whose sha256 is wrong (damaged, truncated, edited) is reported with a
  :class:`CorruptCacheWarning` naming the expected and the actual hash, then downloaded again;
* when no mirror can be reached, ONE :class:`DownloadError` names every URL tried, the cache
  path and the offline alternative that ships with dlcourse.

Mirrors
-------
``REGISTRY[data set][role]`` is a :class:`RemoteFile` with the file's name, its sha256 and
its URLs. To use other servers (a classroom mirror, a test server), pass ``mirrors=[...]``
or set the environment variable ``DLCOURSE_MIRROR`` to one or more base URLs (separated by
spaces or commas). A base URL serves the same layout as the cache folder,
``<base>/<data set>/<file name>``, so ``python -m http.server`` run inside a filled cache
folder is a working mirror. The word ``default`` in that list stands for the built-in URLs:
``DLCOURSE_MIRROR="http://10.0.0.5:8000 default"`` tries the classroom server first, then
the internet. The sha256 is always the registry's, whichever server answers.

Where the hashes come from
--------------------------
* MNIST: the sha256 sums in TensorFlow Datasets' ``url_checksums/mnist.txt`` (the CVDF
  mirror); the same files are served by PyTorch's mirror (``ossci-datasets``, torchvision's
  ``MNIST.mirrors``) and Yann LeCun's original site.
* Fashion-MNIST: TensorFlow Datasets' ``url_checksums/fashion_mnist.txt`` (Zalando's S3
  site); Keras' ``fashion_mnist.py`` checks the same four sha256 sums on its Google Cloud
  Storage copy.
* FSDD: the authors publish no checksum, and GitHub builds source archives on the fly
  without promising that they stay byte-identical. The sha256 of the archive of commit
  26eb9aaf (the commit dlcourse's 600-clip sample was taken from) comes from an
  independent project that pins the same archive; it could not be recomputed when this
  module was written (no network). If GitHub ever re-encodes the archive, the check fails
  loudly with both hashes named; update ``REGISTRY["spoken_digits"]`` after checking the
  new archive by hand.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import re
import time
import warnings
import wave
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ._base import Bunch, ChecksumError, get_data_home, sha256_of
from ._loaders import spoken_digits_bunch

__all__ = [
    "DATASETS",
    "REGISTRY",
    "CorruptCacheWarning",
    "DownloadError",
    "RemoteFile",
    "fetch_file",
    "fetch_fashion_mnist",
    "fetch_mnist",
    "fetch_spoken_digits",
    "read_idx",
]

log = logging.getLogger(__name__)

Subset = Literal["all", "train", "test"]

#: Seconds to wait for a server to answer (and between two blocks of data).
TIMEOUT = 60
_CHUNK = 1 << 16


class DownloadError(OSError):
    """No mirror could deliver a file (offline, server down, file gone).

    Attributes
    ----------
    urls : list of str
        Every URL that was tried, in order.
    path : pathlib.Path
        Where the file would have been cached.
    """

    def __init__(self, message: str, urls: Sequence[str] = (), path: Path | None = None) -> None:
        super().__init__(message)
        self.urls = list(urls)
        self.path = path

    def __str__(self) -> str:
        return str(self.args[0])


class CorruptCacheWarning(UserWarning):
    """A cached file had the wrong sha256 and is being downloaded again."""


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file: its name in the cache, its sha256, its size and its URLs.

    Examples
    --------
    >>> f = REGISTRY["mnist"]["test_labels"]
    >>> f.name, f.size, len(f.sha256)
    ('t10k-labels-idx1-ubyte.gz', 4542, 64)
    """

    name: str
    sha256: str
    size: int | None
    urls: tuple[str, ...]


_MNIST_MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",  # TensorFlow Datasets
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # torchvision
    "https://yann.lecun.com/exdb/mnist/",  # the original site (often refuses downloads)
)
_FASHION_MIRRORS = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",  # Keras
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",  # Zalando (HTTP only)
)
_FSDD_COMMIT = "26eb9aaf76e81b692f806f9140c2d2777410d7a1"


def _idx_files(mirrors: tuple[str, ...], files: dict[str, tuple[str, str, int]]) -> dict[str, RemoteFile]:
    return {
        role: RemoteFile(name, sha, size, tuple(m + name for m in mirrors))
        for role, (name, sha, size) in files.items()
    }


#: data set -> role -> file. Tests and mirrors may replace entries (see the module docstring).
REGISTRY: dict[str, dict[str, RemoteFile]] = {
    "mnist": _idx_files(
        _MNIST_MIRRORS,
        {
            "train_images": (
                "train-images-idx3-ubyte.gz",
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                9912422,
            ),
            "train_labels": (
                "train-labels-idx1-ubyte.gz",
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                28881,
            ),
            "test_images": (
                "t10k-images-idx3-ubyte.gz",
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                1648877,
            ),
            "test_labels": (
                "t10k-labels-idx1-ubyte.gz",
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                4542,
            ),
        },
    ),
    "fashion_mnist": _idx_files(
        _FASHION_MIRRORS,
        {
            "train_images": (
                "train-images-idx3-ubyte.gz",
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                26421880,
            ),
            "train_labels": (
                "train-labels-idx1-ubyte.gz",
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                29515,
            ),
            "test_images": (
                "t10k-images-idx3-ubyte.gz",
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                4422102,
            ),
            "test_labels": (
                "t10k-labels-idx1-ubyte.gz",
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                5148,
            ),
        },
    ),
    "spoken_digits": {
        "archive": RemoteFile(
            f"free-spoken-digit-dataset-{_FSDD_COMMIT[:8]}.zip",
            # Not from the FSDD authors (they publish none); see the module docstring.
            "beaca4fb849cad13103b2cffba913b3d7fdb5f15222da4ddd07187b3c38a757a",
            None,
            (
                f"https://codeload.github.com/Jakobovski/free-spoken-digit-dataset/zip/{_FSDD_COMMIT}",
                f"https://github.com/Jakobovski/free-spoken-digit-dataset/archive/{_FSDD_COMMIT}.zip",
            ),
        )
    },
}

#: What each data set is, its licence, and what to use instead when offline.
DATASETS: dict[str, dict[str, str]] = {
    "mnist": {
        "title": "MNIST: 70,000 hand-written digits, 28x28 grey",
        "function": "fetch_mnist",
        "licence": "CC BY-SA 3.0; Y. LeCun, C. Cortes, C. J. C. Burges",
        "homepage": "http://yann.lecun.com/exdb/mnist/",
        "offline": "dlcourse.datasets.load_mnist_sample() (10,000 real MNIST digits shipped with dlcourse)",
    },
    "fashion_mnist": {
        "title": "Fashion-MNIST: 70,000 Zalando article images, 28x28 grey, 10 classes",
        "function": "fetch_fashion_mnist",
        "licence": "MIT; Zalando SE",
        "homepage": "https://github.com/zalandoresearch/fashion-mnist",
        "offline": (
            "dlcourse.datasets.load_mnist_sample() (no Fashion-MNIST ships with dlcourse; "
            "the MNIST sample has the same shape and API)"
        ),
    },
    "spoken_digits": {
        "title": "Free Spoken Digit Dataset: 3,000 recordings of spoken digits, 8 kHz",
        "function": "fetch_spoken_digits",
        "licence": "CC BY-SA 4.0; Z. Jackson et al.",
        "homepage": "https://github.com/Jakobovski/free-spoken-digit-dataset",
        "offline": "dlcourse.datasets.load_spoken_digits() (600 of the recordings, shipped with dlcourse)",
    },
}

FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


# --------------------------------------------------------------------------- downloading


def _mirror_urls(dataset: str, remote: RemoteFile, mirrors: Sequence[str] | str | None) -> list[str]:
    """The URLs to try, in order: ``mirrors``, else ``DLCOURSE_MIRROR``, else the built-in ones."""
    if mirrors is None:
        mirrors = os.environ.get("DLCOURSE_MIRROR") or None
    if mirrors is None:
        return list(remote.urls)
    if isinstance(mirrors, str):
        mirrors = mirrors.replace(",", " ").split()
    urls: list[str] = []
    for base in mirrors:
        if base == "default":
            urls.extend(remote.urls)
        else:
            urls.append(f"{base.rstrip('/')}/{dataset}/{remote.name}")
    return urls


def _describe_failure(exc: BaseException) -> str:
    import urllib.error

    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return f"{type(exc).__name__}: {exc}"


def _download_to_temp(url: str, folder: Path, remote: RemoteFile, progress: bool) -> tuple[Path, str]:
    """Stream ``url`` into a new temporary file in ``folder``; return it and its sha256."""
    import hashlib
    import tempfile
    import urllib.request

    from tqdm.auto import tqdm

    from .. import __version__

    request = urllib.request.Request(url, headers={"User-Agent": f"dlcourse/{__version__}"})
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{remote.name}.", suffix=".part")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            length = response.headers.get("Content-Length")
            announced = int(length) if length and length.isdigit() else None
            received = 0
            with tqdm(
                total=announced or remote.size, unit="B", unit_scale=True, unit_divisor=1024,
                desc=remote.name, disable=not progress, mininterval=0.5, leave=False,
            ) as bar:
                while block := response.read(_CHUNK):
                    out.write(block)
                    digest.update(block)
                    received += len(block)
                    bar.update(len(block))
            if announced is not None and received != announced:
                raise ConnectionError(f"the connection closed after {received} of {announced} bytes")
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest()


def _remove_stale_parts(folder: Path, name: str, max_age_s: float = 24 * 3600) -> None:
    """Delete temporary files that downloads killed long ago left behind."""
    now = time.time()
    for part in folder.glob(f".{name}.*.part"):
        try:
            if now - part.stat().st_mtime > max_age_s:
                part.unlink()
        except OSError:
            pass


def fetch_file(
    dataset: str,
    role: str,
    *,
    data_home: str | os.PathLike[str] | None = None,
    mirrors: Sequence[str] | str | None = None,
    progress: bool = True,
) -> Path:
    """Return the path of a verified copy of one registered file, downloading it if needed.

    Parameters
    ----------
    dataset, role : str
        Keys of :data:`REGISTRY`, for example ``("mnist", "train_images")``.
    data_home : path, optional
        Cache folder; default :func:`~dlcourse.datasets.get_data_home`.
    mirrors : list of str or str, optional
        Base URLs to try instead of the built-in ones (see the module docstring);
        default: the ``DLCOURSE_MIRROR`` environment variable, else the built-in URLs.
    progress : bool, default True
        Show a progress bar while downloading.

    Returns
    -------
    pathlib.Path
        The cached file, whose sha256 was just checked.

    Raises
    ------
    DownloadError
        No mirror could deliver the file. The message names the URLs, the cache path and
        the offline alternative.
    ChecksumError
        Mirrors answered, but with content whose sha256 is wrong; nothing is kept.

    Examples
    --------
    >>> path = fetch_file("mnist", "test_labels")  # doctest: +SKIP
    >>> path.name  # doctest: +SKIP
    't10k-labels-idx1-ubyte.gz'
    """
    remote = REGISTRY[dataset][role]
    folder = get_data_home(data_home) / dataset
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / remote.name

    if path.exists():
        actual = sha256_of(path)
        if actual == remote.sha256:
            return path
        message = (
            f"The cached file {path} is damaged or incomplete: its sha256 is {actual}, "
            f"expected {remote.sha256}. Downloading it again."
        )
        log.warning(message)
        warnings.warn(message, CorruptCacheWarning, stacklevel=2)
        path.unlink()

    _remove_stale_parts(folder, remote.name)
    urls = _mirror_urls(dataset, remote, mirrors)
    failures: list[str] = []
    wrong: list[tuple[str, str]] = []
    for url in urls:
        try:
            tmp, actual = _download_to_temp(url, folder, remote, progress)
        except Exception as exc:  # any failure of this mirror: try the next one
            failures.append(f"  {url}: {_describe_failure(exc)}")
            log.info("download of %s failed: %s", url, exc)
            continue
        if actual == remote.sha256:
            os.replace(tmp, path)
            return path
        tmp.unlink(missing_ok=True)
        wrong.append((url, actual))
        failures.append(f"  {url}: wrong content (sha256 {actual})")
        log.warning("%s sent a file with sha256 %s, expected %s", url, actual, remote.sha256)

    if wrong:
        raise ChecksumError(
            f"Downloaded {dataset}/{remote.name} but its sha256 is wrong: expected {remote.sha256}, "
            f"got {', '.join(sorted({a for _, a in wrong}))}. Nothing was saved in {folder}. Tried:\n"
            + "\n".join(failures)
        )
    raise DownloadError(
        f"Could not download {dataset}/{remote.name}: no mirror could deliver it. Tried:\n"
        + "\n".join(failures or ["  (no URL configured)"])
        + f"\nThe file would be cached as {path}."
        f"\nOffline? Use {DATASETS.get(dataset, {}).get('offline', 'the data that ships with dlcourse')}, "
        f"or copy the file to that path yourself (sha256 {remote.sha256}), "
        "or set DLCOURSE_MIRROR to a server that has it.",
        urls=urls,
        path=path,
    )


# --------------------------------------------------------------------------- parsing


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a gzip-compressed IDX file (the MNIST format) of unsigned bytes into an array.

    The format: two zero bytes, a type code (``0x08`` = unsigned byte), the number of
    dimensions, then each dimension as a big-endian 32-bit integer, then the data.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> import numpy as np
    >>> raw = bytes([0, 0, 8, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big") + bytes(range(6))
    >>> fd, name = tempfile.mkstemp(suffix=".gz"); os.close(fd)
    >>> with gzip.open(name, "wb") as f:
    ...     _ = f.write(raw)
    >>> read_idx(name)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    >>> os.remove(name)
    """
    with gzip.open(path, "rb") as fh:
        magic = fh.read(4)
        if len(magic) != 4 or magic[:2] != b"\x00\x00":
            raise ValueError(f"{path} is not an IDX file (bad magic number {magic.hex()})")
        if magic[2] != 0x08:
            raise ValueError(f"{path}: IDX type code {magic[2]:#04x} is not supported (only 0x08, unsigned byte)")
        ndim = magic[3]
        header = fh.read(4 * ndim)
        if len(header) != 4 * ndim:
            raise ValueError(f"{path}: IDX header is truncated")
        shape = tuple(int.from_bytes(header[4 * i : 4 * i + 4], "big") for i in range(ndim))
        out = np.empty(shape, dtype=np.uint8)
        view = memoryview(out).cast("B")
        filled = 0
        while filled < len(view):
            n = fh.readinto(view[filled:])
            if not n:
                raise ValueError(f"{path}: IDX data is truncated ({filled} of {len(view)} bytes)")
            filled += n
        if fh.read(1):
            raise ValueError(f"{path}: IDX file has data beyond the shape {shape}")
    return out


def _fetch_idx(
    dataset: str, subset: str, data_home, mirrors, progress: bool
) -> tuple[np.ndarray, np.ndarray]:
    if subset not in ("all", "train", "test"):
        raise ValueError(f"subset must be 'all', 'train' or 'test', got {subset!r}")
    parts = ["train", "test"] if subset == "all" else [subset]
    images, labels = [], []
    for part in parts:
        img = read_idx(fetch_file(dataset, f"{part}_images", data_home=data_home, mirrors=mirrors, progress=progress))
        lab = read_idx(fetch_file(dataset, f"{part}_labels", data_home=data_home, mirrors=mirrors, progress=progress))
        if img.ndim != 3 or lab.ndim != 1 or len(img) != len(lab):
            raise ValueError(f"{dataset} {part}: images {img.shape} and labels {lab.shape} do not match")
        images.append(img)
        labels.append(lab.astype(np.int64))
    if len(parts) == 1:
        return images[0], labels[0]
    return np.concatenate(images), np.concatenate(labels)


def _image_bunch(images, target, target_names, descr, return_X_y):
    data = images.reshape(len(images), -1).astype(np.float32) / 255.0
    if return_X_y:
        return data, target
    return Bunch(images=images, data=data, target=target, target_names=target_names, DESCR=descr)


def fetch_mnist(
    subset: Subset = "all",
    data_home: str | os.PathLike[str] | None = None,
    return_X_y: bool = False,
    progress: bool = True,
    *,
    mirrors: Sequence[str] | str | None = None,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Download (once) and load all 70,000 MNIST digits with the official train/test split.

    The four files (11.6 MB) are cached and their sha256 checked on every call. Offline,
    use :func:`dlcourse.datasets.load_mnist_sample` (10,000 digits shipped with dlcourse).

    Parameters
    ----------
    subset : {"all", "train", "test"}, default "all"
        ``"train"``: the 60,000 training digits; ``"test"``: the 10,000 test digits;
        ``"all"``: both, training first. Only the files needed are downloaded.
    data_home : path, optional
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
        Same fields as :func:`~dlcourse.datasets.load_mnist_sample`: ``images`` uint8
        ``(n, 28, 28)`` (0 = black background, 255 = white ink), ``data`` float32
        ``(n, 784)`` in [0, 1], ``target`` int64, ``target_names``, ``DESCR``. The
        digits keep the order of the original files.

    Raises
    ------
    DownloadError
        When no mirror can be reached (for example offline).

    Examples
    --------
    >>> from dlcourse.datasets import fetch_mnist
    >>> train = fetch_mnist("train")  # doctest: +SKIP
    >>> train.images.shape, train.data.shape  # doctest: +SKIP
    ((60000, 28, 28), (60000, 784))
    >>> X_test, y_test = fetch_mnist("test", return_X_y=True)  # doctest: +SKIP
    """
    images, target = _fetch_idx("mnist", subset, data_home, mirrors, progress)
    descr = (
        f"MNIST ({subset}): {len(target)} hand-written digits, 28x28 pixels, white on black. "
        "By Y. LeCun, C. Cortes and C. J. C. Burges, CC BY-SA 3.0."
    )
    return _image_bunch(images, target, [str(i) for i in range(10)], descr, return_X_y)


def fetch_fashion_mnist(
    subset: Subset = "all",
    data_home: str | os.PathLike[str] | None = None,
    return_X_y: bool = False,
    progress: bool = True,
    *,
    mirrors: Sequence[str] | str | None = None,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Download (once) and load Fashion-MNIST: 70,000 grey 28x28 images of 10 kinds of clothing.

    Zalando's drop-in replacement for MNIST (same format and split sizes, 60,000 training
    and 10,000 test images; 30.9 MB), harder to classify. Cached and sha256-checked like
    :func:`fetch_mnist`. No Fashion-MNIST ships with dlcourse; offline, the closest
    stand-in is :func:`dlcourse.datasets.load_mnist_sample`.

    Parameters
    ----------
    subset, data_home, return_X_y, progress, mirrors
        As for :func:`fetch_mnist`.

    Returns
    -------
    Bunch
        ``images`` uint8 ``(n, 28, 28)``, ``data`` float32 ``(n, 784)`` in [0, 1],
        ``target`` int64, ``target_names`` (``"T-shirt/top"``, ``"Trouser"``, ...,
        ``"Ankle boot"``), ``DESCR``.

    Examples
    --------
    >>> from dlcourse.datasets import fetch_fashion_mnist
    >>> fm = fetch_fashion_mnist("test")  # doctest: +SKIP
    >>> fm.images.shape, fm.target_names[9]  # doctest: +SKIP
    ((10000, 28, 28), 'Ankle boot')
    """
    images, target = _fetch_idx("fashion_mnist", subset, data_home, mirrors, progress)
    descr = (
        f"Fashion-MNIST ({subset}): {len(target)} Zalando article images, 28x28 grey, 10 classes. "
        "By H. Xiao, K. Rasul and R. Vollgraf (Zalando SE), MIT licence."
    )
    return _image_bunch(images, target, list(FASHION_MNIST_CLASSES), descr, return_X_y)


_WAV_NAME = re.compile(r"(?:^|/)recordings/(\d)_([^/_]+)_(\d+)\.wav$")

#: FSDD's official split: recordings numbered 0-4 of each speaker and digit are the test set.
FSDD_TEST_TAKES = 5


def _read_wav(data: bytes, name: str) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise ValueError(
                f"{name}: expected mono 16-bit audio, got {w.getnchannels()} channel(s) of "
                f"{8 * w.getsampwidth()} bits"
            )
        frames = w.readframes(w.getnframes())
        return np.frombuffer(frames, dtype="<i2").astype(np.int16), w.getframerate()


def fetch_spoken_digits(
    subset: Subset = "all",
    data_home: str | os.PathLike[str] | None = None,
    return_X_y: bool = False,
    progress: bool = True,
    *,
    mirrors: Sequence[str] | str | None = None,
) -> Bunch | tuple[list[np.ndarray], np.ndarray]:
    """Download (once) and load all 3,000 recordings of the Free Spoken Digit Dataset.

    Six speakers each say every digit 50 times (takes 0-49), 8 kHz mono. The GitHub
    archive of a fixed commit (about 16 MB) is cached, its sha256 checked on every call
    (see the module docstring for where that hash comes from), and the WAV files are read
    straight from it. The split is FSDD's official one: takes 0-4 of every speaker and
    digit (300 clips, 10%) are the test set, takes 5-49 (2,700 clips) the training set.
    (:func:`~dlcourse.datasets.load_spoken_digits`, the 600-clip offline sample, has only
    takes 0-9 and so holds out takes 0-1.)

    Parameters
    ----------
    subset, data_home, return_X_y, progress, mirrors
        As for :func:`fetch_mnist`.

    Returns
    -------
    Bunch
        The fields of :func:`~dlcourse.datasets.load_spoken_digits`: ``audio`` (list of
        int16 arrays), ``data`` (the same as float32 in [-1, 1]), ``target`` int64 digit,
        ``speakers`` int64 index into ``speaker_names``, ``speaker_names``, ``takes``,
        ``sample_rate`` (8000), ``target_names``, ``DESCR``; ordered by digit, speaker,
        take.

    Examples
    --------
    >>> from dlcourse.datasets import fetch_spoken_digits
    >>> sd = fetch_spoken_digits("test")  # doctest: +SKIP
    >>> len(sd.audio), sd.sample_rate, sd.speaker_names  # doctest: +SKIP
    (300, 8000, ['george', 'jackson', 'lucas', 'nicolas', 'theo', 'yweweler'])
    """
    if subset not in ("all", "train", "test"):
        raise ValueError(f"subset must be 'all', 'train' or 'test', got {subset!r}")
    archive = fetch_file("spoken_digits", "archive", data_home=data_home, mirrors=mirrors, progress=progress)
    clips = []
    rates = set()
    with zipfile.ZipFile(archive) as zf:
        for member in zf.namelist():
            match = _WAV_NAME.search(member)
            if not match:
                continue
            digit, speaker, take = int(match[1]), match[2], int(match[3])
            if subset == "test" and take >= FSDD_TEST_TAKES or subset == "train" and take < FSDD_TEST_TAKES:
                continue
            audio, rate = _read_wav(zf.read(member), member)
            rates.add(rate)
            clips.append((digit, speaker, take, audio))
    if not clips:
        raise ValueError(f"{archive} contains no recordings named recordings/<digit>_<speaker>_<take>.wav")
    if len(rates) != 1:
        raise ValueError(f"{archive}: recordings have different sample rates {sorted(rates)}")
    speaker_names = sorted({c[1] for c in clips})
    index = {name: i for i, name in enumerate(speaker_names)}
    clips.sort(key=lambda c: (c[0], index[c[1]], c[2]))
    audio = [c[3] for c in clips]
    target = np.array([c[0] for c in clips], dtype=np.int64)
    if return_X_y:
        return audio, target
    return spoken_digits_bunch(
        audio,
        target,
        speakers=np.array([index[c[1]] for c in clips], dtype=np.int64),
        speaker_names=speaker_names,
        takes=np.array([c[2] for c in clips], dtype=np.int64),
        sample_rate=rates.pop(),
        descr=(
            f"Free Spoken Digit Dataset ({subset}): {len(clips)} recordings, 8 kHz mono, "
            f"commit {_FSDD_COMMIT[:8]}."
        ),
    )
