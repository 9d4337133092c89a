"""Downloadable data sets: one declaration each, one checksummed fetch path built on pooch.

A data set is a :class:`DataSet` declaration (its files with their sha256 and mirrors, its
licence, what to use offline, and a *reader* that turns the files into a :class:`Bunch`),
added to :data:`DATASETS` with :func:`register`. :func:`fetch` is the one generic path:
``fetch_mnist`` and the other ``fetch_*`` functions are thin wrappers around it. How to add
a data set is shown in the docstring of :mod:`dlcourse.datasets`.

Each file is downloaded once into ``get_data_home() / <data set> / <file name>`` and its
sha256 is checked after every download and every time it is used from the cache:

* the download itself is :func:`pooch.retrieve` with pooch's ``HTTPDownloader``: it streams
  into a temporary file in the cache folder and moves it to its final name only once the
  sha256 is right, so an interrupted or wrong download never leaves a file with the final
  name;
* around it, dlcourse keeps what pooch does not do: several mirrors per file (the first
  good copy wins), retries of transient failures (refused or dropped connections,
  time-outs, HTTP 5xx/429: :data:`RETRIES` more rounds over the mirrors, waiting
  ``RETRY_WAIT`` seconds times the round in between), and error messages that say what to
  do (pooch retries only inside one ``Pooch`` object with one URL per file);
* a cached file whose sha256 is wrong (damaged, truncated, edited) is reported with a
  :class:`CorruptCacheWarning` naming the expected and the actual hash, then downloaded again;
* when no mirror can deliver a file, ONE :class:`DownloadError` names every URL tried, the
  cache path and the offline alternative that ships with dlcourse. With the environment
  variable ``DLCOURSE_OFFLINE=1`` no download is tried at all (cached files still work).

Mirrors
-------
To use other servers (a classroom mirror, a test server), pass ``mirrors=[...]`` or set the
environment variable ``DLCOURSE_MIRROR`` to one or more base URLs (separated by spaces or
commas). A base URL serves the same layout as the cache folder,
``<base>/<data set>/<file name>``, so ``python -m http.server`` run inside a filled cache
folder is a working mirror. The word ``default`` in that list stands for the built-in URLs:
``DLCOURSE_MIRROR="http://10.0.0.5:8000 default"`` tries the classroom server first, then
the internet. The sha256 is always the declaration's, whichever server answers.

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
  loudly with both hashes named; update the ``spoken_digits`` declaration after checking the
  new archive by hand.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
import os
import re
import shutil
import time
import warnings
import wave
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ._base import Bunch, ChecksumError, get_data_home, sha256_of
from ._loaders import spoken_digits_bunch

__all__ = [
    "DATASETS",
    "CorruptCacheWarning",
    "DataSet",
    "DownloadError",
    "FileGetter",
    "RemoteFile",
    "clear_data_home",
    "fetch",
    "fetch_file",
    "fetch_fashion_mnist",
    "fetch_mnist",
    "fetch_spoken_digits",
    "read_idx",
    "register",
]

log = logging.getLogger(__name__)

Subset = Literal["all", "train", "test"]
PathLike = str | os.PathLike[str]

#: Seconds to wait for a server to answer (and between two blocks of data).
TIMEOUT = 60
#: Extra rounds over the mirrors after transient failures (refused or dropped connections,
#: time-outs, HTTP 408/425/429/5xx). A missing file (HTTP 404) or wrong content is not retried.
RETRIES = 2
#: Seconds to wait before retry round ``k`` is ``RETRY_WAIT * k``.
RETRY_WAIT = 1.0
_TRUE = {"1", "true", "yes", "on"}


class DownloadError(OSError):
    """No mirror could deliver a file (offline, server down, file gone).

    Parameters
    ----------
    message : str
        The full explanation, with every URL tried and what to do instead.
    urls : sequence of str, optional
        Every URL that was tried, in order.
    path : pathlib.Path, optional
        Where the file would have been cached.

    Attributes
    ----------
    urls : list of str
        Every URL that was tried, in order.
    path : pathlib.Path or None
        Where the file would have been cached.

    Examples
    --------
    >>> from pathlib import Path
    >>> err = DownloadError("no mirror answered", urls=["http://a/x.gz"], path=Path("/tmp/x.gz"))
    >>> print(err), err.urls
    no mirror answered
    (None, ['http://a/x.gz'])
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

    Parameters
    ----------
    name : str
        File name in the cache folder (and on a ``DLCOURSE_MIRROR`` server).
    sha256 : str
        The hex sha256 every copy must have.
    size : int or None
        Size in bytes, when known (shown by ``dlcourse data list``).
    urls : tuple of str
        The built-in URLs, tried in order.

    Examples
    --------
    >>> f = DATASETS["mnist"].files["test_labels"]
    >>> f.name, f.size, len(f.sha256)
    ('t10k-labels-idx1-ubyte.gz', 4542, 64)
    """

    name: str
    sha256: str
    size: int | None
    urls: tuple[str, ...]


#: What a reader receives: ``files(role)`` returns the verified path of one declared file,
#: downloading it first if needed (so a reader fetches only the files a subset needs).
FileGetter = Callable[[str], Path]


@dataclass(frozen=True, eq=False)
class DataSet:
    """The declaration of a downloadable data set: files, licence, offline stand-in, reader.

    Parameters
    ----------
    name : str
        Key in :data:`DATASETS`, name of the cache sub-folder and of ``dlcourse data fetch NAME``.
    title : str
        One line: what the data is.
    files : mapping of str to RemoteFile
        Role (any name the reader uses, such as ``"train_images"``) -> file.
    reader : callable
        ``reader(files, subset) -> Bunch``, where ``files`` is a :data:`FileGetter`.
        The Bunch must have ``target`` and the field named by ``X``.
    licence : str
        Licence and attribution, shown by ``dlcourse data list``.
    homepage : str
        Where the data set is described.
    offline : str
        What to use without a network; named in the :class:`DownloadError`.
    subsets : tuple of str, default ("all", "train", "test")
        The values the reader accepts for ``subset``.
    X : str, default "data"
        The field returned first by ``return_X_y=True``.

    Examples
    --------
    >>> ds = DATASETS["fashion_mnist"]
    >>> ds.licence, sorted(ds.files)[:2]
    ('MIT; Zalando SE', ['test_images', 'test_labels'])
    >>> ds.size
    30878645
    """

    name: str
    title: str
    files: Mapping[str, RemoteFile]
    reader: Callable[[FileGetter, str], Bunch]
    licence: str
    homepage: str
    offline: str
    subsets: tuple[str, ...] = ("all", "train", "test")
    X: str = "data"

    @property
    def size(self) -> int | None:
        """Total download size in bytes, or None when a file's size is not declared."""
        sizes = [f.size for f in self.files.values()]
        return None if None in sizes else sum(s for s in sizes if s is not None)


#: Every downloadable data set, by name. Add one with :func:`register`.
DATASETS: dict[str, DataSet] = {}


def register(dataset: DataSet) -> DataSet:
    """Check a :class:`DataSet` declaration and add it to :data:`DATASETS`.

    Parameters
    ----------
    dataset : DataSet
        The declaration. Its files need distinct names, a 64-digit hex sha256 and at
        least one URL.

    Returns
    -------
    DataSet
        ``dataset`` itself, so that a module can write ``MY_SET = register(DataSet(...))``.

    Raises
    ------
    ValueError
        When the declaration is incomplete or another data set already has its name.

    Examples
    --------
    >>> register(DATASETS["mnist"]) is DATASETS["mnist"]  # registering again is harmless
    True
    """
    problems = []
    if not re.fullmatch(r"[a-z0-9_]+", dataset.name):
        problems.append(f"name {dataset.name!r} must be lower-case letters, digits and _")
    names = [f.name for f in dataset.files.values()]
    if not names or len(set(names)) != len(names):
        problems.append(f"needs files with distinct names, got {names}")
    for role, remote in dataset.files.items():
        if not re.fullmatch(r"[0-9a-f]{64}", remote.sha256):
            problems.append(f"file {role!r}: sha256 must be 64 lower-case hex digits")
        if not remote.urls:
            problems.append(f"file {role!r}: no URL")
    if problems:
        raise ValueError(f"data set {dataset.name!r} is not a valid declaration: " + "; ".join(problems))
    other = DATASETS.get(dataset.name)
    if other is not None and other is not dataset:
        raise ValueError(f"a data set named {dataset.name!r} is already registered")
    DATASETS[dataset.name] = dataset
    return dataset


# --------------------------------------------------------------------------- downloading


def _mirror_urls(dataset: str, remote: RemoteFile, mirrors: Sequence[str] | str | None) -> list[str]:
    """Return the URLs to try, in order: ``mirrors``, else ``DLCOURSE_MIRROR``, else the built-in ones."""
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
    return list(dict.fromkeys(urls))


def _describe_failure(exc: BaseException) -> str:
    """Say in one short line why a download failed (requests' messages are long)."""
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code} {exc.response.reason}"
    text = str(exc)
    if isinstance(exc, requests.Timeout):
        return f"no answer within {TIMEOUT} s"
    cut = re.search(r"IncompleteRead\((\d+) bytes read, (\d+) more expected\)", text)
    if cut:
        got, more = int(cut[1]), int(cut[2])
        return f"the connection closed after {got} of {got + more} bytes"
    errno = re.search(r"\[Errno -?\d+\] [^'\")]+", text)
    if errno:
        return errno[0].strip()
    return f"{type(exc).__name__}: {text}"


def _is_transient(exc: BaseException) -> bool:
    """Return whether trying the same URL again later may succeed."""
    import requests

    if isinstance(exc, requests.HTTPError):
        code = exc.response.status_code if exc.response is not None else 0
        return code in (408, 425, 429) or code >= 500
    return isinstance(exc, (requests.ConnectionError, requests.Timeout))


@contextlib.contextmanager
def _quiet_pooch() -> Iterator[None]:
    """Silence pooch's "Downloading data from ..." lines on stderr (lessons show a progress bar)."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _retrieve(url: str, path: Path, remote: RemoteFile, progress: bool) -> None:
    """Download one URL to ``path`` with pooch; raise if it fails or the sha256 is wrong."""
    import pooch

    from .. import __version__

    downloader = pooch.HTTPDownloader(
        progressbar=progress, timeout=TIMEOUT, headers={"User-Agent": f"dlcourse/{__version__}"}
    )
    with _quiet_pooch():
        pooch.retrieve(
            url, known_hash=f"sha256:{remote.sha256}", fname=path.name, path=path.parent, downloader=downloader
        )


def _remove_stale_temporaries(folder: Path, max_age_s: float = 24 * 3600) -> None:
    """Delete temporary files (pooch's ``tmp*``) that downloads killed long ago left behind."""
    now = time.time()
    for part in folder.glob("tmp*"):
        try:
            if part.is_file() and now - part.stat().st_mtime > max_age_s:
                part.unlink()
        except OSError:
            pass


def _offline() -> bool:
    return os.environ.get("DLCOURSE_OFFLINE", "").strip().lower() in _TRUE


def fetch_file(
    dataset: str,
    role: str,
    *,
    data_home: PathLike | None = None,
    mirrors: Sequence[str] | str | None = None,
    progress: bool = True,
) -> Path:
    """Return the path of a verified copy of one declared file, downloading it if needed.

    Parameters
    ----------
    dataset : str
        A key of :data:`DATASETS`, for example ``"mnist"``.
    role : str
        A key of that data set's ``files``, for example ``"train_images"``.
    data_home : str or path-like, optional
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
    A cached file is only checked, never downloaded again:

    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> home = Path(tempfile.mkdtemp())
    >>> (home / "fake").mkdir()
    >>> _ = (home / "fake" / "abc.txt").write_bytes(b"abc")
    >>> fake = DataSet("fake", "three letters", {"letters": RemoteFile("abc.txt",
    ...     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3, ("http://127.0.0.1:9/abc.txt",))},
    ...     reader=lambda files, subset: Bunch(), licence="CC0", homepage="", offline="nothing")
    >>> DATASETS["fake"] = fake
    >>> fetch_file("fake", "letters", data_home=home).read_bytes()
    b'abc'
    >>> del DATASETS["fake"]; shutil.rmtree(home)
    """
    if dataset not in DATASETS:
        raise ValueError(f"unknown data set {dataset!r}; choose one of: {', '.join(DATASETS)}")
    declared = DATASETS[dataset]
    if role not in declared.files:
        raise ValueError(f"data set {dataset!r} has no file {role!r}; its files: {', '.join(declared.files)}")
    remote = declared.files[role]
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

    _remove_stale_temporaries(folder)
    urls = _mirror_urls(dataset, remote, mirrors)
    instead = (
        f"\nOffline? Use {declared.offline}, or copy the file to {path} yourself "
        f"(sha256 {remote.sha256}), or set DLCOURSE_MIRROR to a server that has it."
    )
    if _offline():
        raise DownloadError(
            f"Could not download {dataset}/{remote.name}: DLCOURSE_OFFLINE is set, so no download "
            f"was tried (unset it to download from {', '.join(urls)})." + instead,
            urls=[],
            path=path,
        )

    failures: dict[str, str] = {}
    attempts: dict[str, int] = dict.fromkeys(urls, 0)
    wrong: list[str] = []
    pending = list(urls)
    for round_ in range(1 + RETRIES):
        if round_:
            log.info("retrying %d URL(s) for %s in %.1f s", len(pending), remote.name, RETRY_WAIT * round_)
            time.sleep(RETRY_WAIT * round_)
        retry = []
        for url in pending:
            attempts[url] += 1
            try:
                _retrieve(url, path, remote, progress)
                return path
            except ValueError as exc:  # pooch: the sha256 of the download is wrong (nothing is kept)
                if type(exc) is not ValueError:  # requests' InvalidURL and friends are ValueErrors too
                    failures[url] = _describe_failure(exc)
                    continue
                wrong.append(url)
                failures[url] = f"wrong content ({exc})"
                log.warning("%s sent the wrong content for %s: %s", url, remote.name, exc)
            except Exception as exc:  # any other failure of this mirror: note it, try the next one
                failures[url] = _describe_failure(exc)
                log.info("download of %s failed: %s", url, exc)
                if _is_transient(exc):
                    retry.append(url)
        pending = retry
        if not pending:
            break

    tried = [
        f"  {url}: {failures[url]}" + (f" ({attempts[url]} attempts)" if attempts[url] > 1 else "")
        for url in urls
    ]
    if wrong:
        raise ChecksumError(
            f"Downloaded {dataset}/{remote.name} but its sha256 is wrong: expected {remote.sha256}. "
            f"Nothing was saved in {folder}. Tried:\n" + "\n".join(tried)
        )
    raise DownloadError(
        f"Could not download {dataset}/{remote.name}: no mirror could deliver it. Tried:\n"
        + "\n".join(tried or ["  (no URL configured)"])
        + f"\nThe file would be cached as {path}."
        + instead,
        urls=urls,
        path=path,
    )


def fetch(
    name: str,
    subset: str = "all",
    *,
    data_home: PathLike | None = None,
    return_X_y: bool = False,
    progress: bool = True,
    mirrors: Sequence[str] | str | None = None,
) -> Bunch | tuple[Any, np.ndarray]:
    """Download (once) and load any registered data set: the path every ``fetch_*`` takes.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS` (``dlcourse data list`` shows them).
    subset : str, default "all"
        One of the data set's ``subsets``, usually ``"all"``, ``"train"`` or ``"test"``.
        Only the files the reader asks for are downloaded.
    data_home : str or path-like, optional
        Cache folder; default ``DLCOURSE_DATA``, else a per-user cache folder.
    return_X_y : bool, default False
        Return ``(X, target)`` instead of a :class:`Bunch`; ``X`` is the field the
        declaration names (``data`` for images, ``audio`` for recordings).
    progress : bool, default True
        Show a progress bar while downloading.
    mirrors : list of str or str, optional
        Other servers to download from (see :mod:`dlcourse.datasets._fetch`).

    Returns
    -------
    Bunch or tuple
        What the declaration's reader returns, or ``(X, target)``.

    Raises
    ------
    DownloadError
        When no mirror can deliver a file (for example offline).
    ValueError
        For an unknown data set or subset.

    Examples
    --------
    >>> from dlcourse.datasets import DownloadError, fetch, load_mnist_sample
    >>> try:
    ...     digits = fetch("mnist", "test", progress=False)
    ... except DownloadError:  # offline: the 10,000 digits that ship with dlcourse
    ...     digits = load_mnist_sample("test")
    >>> digits.images.shape[1:], digits.data.dtype
    ((28, 28), dtype('float32'))
    """
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of: {', '.join(DATASETS)}")
    declared = DATASETS[name]
    if subset not in declared.subsets:
        raise ValueError(f"subset must be one of {', '.join(map(repr, declared.subsets))}, got {subset!r}")
    files = partial(fetch_file, name, data_home=data_home, mirrors=mirrors, progress=progress)
    bunch = declared.reader(files, subset)
    if return_X_y:
        return bunch[declared.X], bunch.target
    return bunch


def clear_data_home(*, data_home: PathLike | None = None, dataset: str | None = None) -> list[Path]:
    """Delete downloaded data sets from the cache folder.

    Only the sub-folders of registered data sets are removed (``<cache>/mnist`` and so
    on): anything else in the folder, which ``DLCOURSE_DATA`` may point anywhere, is left alone.

    Parameters
    ----------
    data_home : str or path-like, optional
        Cache folder; default ``DLCOURSE_DATA``, else the per-user cache folder.
    dataset : str, optional
        Remove only this data set; default: every registered one.

    Returns
    -------
    list of pathlib.Path
        The folders that were removed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> home = Path(tempfile.mkdtemp())
    >>> (home / "mnist").mkdir()
    >>> _ = (home / "notes.txt").write_text("mine")
    >>> [p.name for p in clear_data_home(data_home=home)]
    ['mnist']
    >>> sorted(p.name for p in home.iterdir())
    ['notes.txt']
    """
    if dataset is not None and dataset not in DATASETS:
        raise ValueError(f"unknown data set {dataset!r}; choose one of: {', '.join(DATASETS)}")
    home = get_data_home(data_home)
    removed = []
    for name in [dataset] if dataset else list(DATASETS):
        folder = home / name
        if folder.is_dir():
            shutil.rmtree(folder)
            removed.append(folder)
    return removed


# --------------------------------------------------------------------------- readers


def read_idx(path: PathLike) -> np.ndarray:
    """Read a gzip-compressed IDX file (the MNIST format) of unsigned bytes into an array.

    The format: two zero bytes, a type code (``0x08`` = unsigned byte), the number of
    dimensions, then each dimension as a big-endian 32-bit integer, then the data.

    Parameters
    ----------
    path : str or path-like
        The ``.gz`` file.

    Returns
    -------
    numpy.ndarray
        uint8 array with the shape the header declares.

    Raises
    ------
    ValueError
        When the file is not an unsigned-byte IDX file, or its data is cut short or too long.

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
        view = out.data.cast("B")
        filled = 0
        while filled < len(view):
            n = fh.readinto(view[filled:])
            if not n:
                raise ValueError(f"{path}: IDX data is truncated ({filled} of {len(view)} bytes)")
            filled += n
        if fh.read(1):
            raise ValueError(f"{path}: IDX file has data beyond the shape {shape}")
    return out


def _read_idx_images(files: FileGetter, subset: str, *, target_names: Sequence[str], descr: str) -> Bunch:
    """Read the MNIST layout: ``{train,test}_{images,labels}`` IDX files."""
    parts = ["train", "test"] if subset == "all" else [subset]
    images, labels = [], []
    for part in parts:
        img, lab = read_idx(files(f"{part}_images")), read_idx(files(f"{part}_labels"))
        if img.ndim != 3 or lab.ndim != 1 or len(img) != len(lab):
            raise ValueError(f"{part}: images {img.shape} and labels {lab.shape} do not match")
        images.append(img)
        labels.append(lab.astype(np.int64))
    all_images = images[0] if len(parts) == 1 else np.concatenate(images)
    target = labels[0] if len(parts) == 1 else np.concatenate(labels)
    return Bunch(
        images=all_images,
        data=all_images.reshape(len(all_images), -1).astype(np.float32) / 255.0,
        target=target,
        target_names=list(target_names),
        DESCR=descr.format(subset=subset, n=len(target)),
    )


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


def _read_fsdd(files: FileGetter, subset: str) -> Bunch:
    """Read the FSDD archive: WAV files named ``recordings/<digit>_<speaker>_<take>.wav``."""
    archive = files("archive")
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
    return spoken_digits_bunch(
        [c[3] for c in clips],
        np.array([c[0] for c in clips], dtype=np.int64),
        speakers=np.array([index[c[1]] for c in clips], dtype=np.int64),
        speaker_names=speaker_names,
        takes=np.array([c[2] for c in clips], dtype=np.int64),
        sample_rate=rates.pop(),
        descr=(
            f"Free Spoken Digit Dataset ({subset}): {len(clips)} recordings, 8 kHz mono, "
            f"commit {_FSDD_COMMIT[:8]}."
        ),
    )


# --------------------------------------------------------------------------- declarations

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
_IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


def _idx_files(mirrors: tuple[str, ...], hashes: dict[str, tuple[str, int]]) -> dict[str, RemoteFile]:
    """Return the four MNIST-layout files, each at ``<mirror><name>``."""
    return {
        role: RemoteFile(_IDX_NAMES[role], sha, size, tuple(m + _IDX_NAMES[role] for m in mirrors))
        for role, (sha, size) in hashes.items()
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

MNIST = register(
    DataSet(
        name="mnist",
        title="MNIST: 70,000 hand-written digits, 28x28 grey",
        files=_idx_files(
            _MNIST_MIRRORS,
            {
                "train_images": ("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422),
                "train_labels": ("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881),
                "test_images": ("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877),
                "test_labels": ("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542),
            },
        ),
        reader=partial(
            _read_idx_images,
            target_names=[str(i) for i in range(10)],
            descr=(
                "MNIST ({subset}): {n} hand-written digits, 28x28 pixels, white on black. "
                "By Y. LeCun, C. Cortes and C. J. C. Burges, CC BY-SA 3.0."
            ),
        ),
        licence="CC BY-SA 3.0; Y. LeCun, C. Cortes, C. J. C. Burges",
        homepage="http://yann.lecun.com/exdb/mnist/",
        offline="dlcourse.datasets.load_mnist_sample() (10,000 real MNIST digits shipped with dlcourse)",
    )
)

FASHION_MNIST = register(
    DataSet(
        name="fashion_mnist",
        title="Fashion-MNIST: 70,000 Zalando article images, 28x28 grey, 10 classes",
        files=_idx_files(
            _FASHION_MIRRORS,
            {
                "train_images": ("3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26421880),
                "train_labels": ("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29515),
                "test_images": ("346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4422102),
                "test_labels": ("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5148),
            },
        ),
        reader=partial(
            _read_idx_images,
            target_names=FASHION_MNIST_CLASSES,
            descr=(
                "Fashion-MNIST ({subset}): {n} Zalando article images, 28x28 grey, 10 classes. "
                "By H. Xiao, K. Rasul and R. Vollgraf (Zalando SE), MIT licence."
            ),
        ),
        licence="MIT; Zalando SE",
        homepage="https://github.com/zalandoresearch/fashion-mnist",
        offline=(
            "dlcourse.datasets.load_mnist_sample() (no Fashion-MNIST ships with dlcourse; "
            "the MNIST sample has the same shape and API)"
        ),
    )
)

SPOKEN_DIGITS = register(
    DataSet(
        name="spoken_digits",
        title="Free Spoken Digit Dataset: 3,000 recordings of spoken digits, 8 kHz",
        files={
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
        reader=_read_fsdd,
        licence="CC BY-SA 4.0; Z. Jackson et al.",
        homepage="https://github.com/Jakobovski/free-spoken-digit-dataset",
        offline="dlcourse.datasets.load_spoken_digits() (600 of the recordings, shipped with dlcourse)",
        X="audio",
    )
)


# --------------------------------------------------------------------------- fetch_* functions


def fetch_mnist(
    subset: Subset = "all",
    *,
    data_home: PathLike | None = None,
    return_X_y: bool = False,
    progress: bool = True,
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
    >>> from dlcourse.datasets import DownloadError, fetch_mnist, load_mnist_sample
    >>> try:
    ...     X_test, y_test = fetch_mnist("test", return_X_y=True, progress=False)
    ... except DownloadError:  # offline: the digits that ship with dlcourse
    ...     X_test, y_test = load_mnist_sample("test", return_X_y=True)
    >>> X_test.shape[1], sorted(set(y_test.tolist()))
    (784, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    return fetch("mnist", subset, data_home=data_home, return_X_y=return_X_y, progress=progress, mirrors=mirrors)


def fetch_fashion_mnist(
    subset: Subset = "all",
    *,
    data_home: PathLike | None = None,
    return_X_y: bool = False,
    progress: bool = True,
    mirrors: Sequence[str] | str | None = None,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Download (once) and load Fashion-MNIST: 70,000 grey 28x28 images of 10 kinds of clothing.

    Zalando's drop-in replacement for MNIST (same format and split sizes, 60,000 training
    and 10,000 test images; 30.9 MB), harder to classify. Cached and sha256-checked like
    :func:`fetch_mnist`. No Fashion-MNIST ships with dlcourse; offline, the closest
    stand-in is :func:`dlcourse.datasets.load_mnist_sample`.

    Parameters
    ----------
    subset : {"all", "train", "test"}, default "all"
        ``"train"``: 60,000 images; ``"test"``: 10,000; ``"all"``: both, training first.
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
        ``images`` uint8 ``(n, 28, 28)``, ``data`` float32 ``(n, 784)`` in [0, 1],
        ``target`` int64, ``target_names`` (``"T-shirt/top"``, ``"Trouser"``, ...,
        ``"Ankle boot"``), ``DESCR``.

    Raises
    ------
    DownloadError
        When no mirror can be reached (for example offline).

    Examples
    --------
    >>> from dlcourse.datasets import DownloadError, fetch_fashion_mnist, load_mnist_sample
    >>> try:
    ...     clothes = fetch_fashion_mnist("test", progress=False)
    ... except DownloadError:  # offline: the MNIST sample has the same shapes
    ...     clothes = load_mnist_sample("test")
    >>> clothes.images.shape[1:], len(clothes.target_names)
    ((28, 28), 10)
    """
    return fetch(
        "fashion_mnist", subset, data_home=data_home, return_X_y=return_X_y, progress=progress, mirrors=mirrors
    )


def fetch_spoken_digits(
    subset: Subset = "all",
    *,
    data_home: PathLike | None = None,
    return_X_y: bool = False,
    progress: bool = True,
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
    subset : {"all", "train", "test"}, default "all"
        Which takes to keep (see above); the whole archive is downloaded in every case.
    data_home : str or path-like, optional
        Cache folder; default ``DLCOURSE_DATA``, else a per-user cache folder.
    return_X_y : bool, default False
        Return ``(audio, target)`` instead of a :class:`Bunch`.
    progress : bool, default True
        Show a progress bar while downloading.
    mirrors : list of str or str, optional
        Other servers to download from (see :mod:`dlcourse.datasets._fetch`).

    Returns
    -------
    Bunch
        The fields of :func:`~dlcourse.datasets.load_spoken_digits`: ``audio`` (list of
        int16 arrays), ``data`` (the same as float32 in [-1, 1]), ``target`` int64 digit,
        ``speakers`` int64 index into ``speaker_names``, ``speaker_names``, ``takes``,
        ``sample_rate`` (8000), ``target_names``, ``DESCR``; ordered by digit, speaker,
        take.

    Raises
    ------
    DownloadError
        When no mirror can be reached (for example offline).

    Examples
    --------
    >>> from dlcourse.datasets import DownloadError, fetch_spoken_digits, load_spoken_digits
    >>> try:
    ...     sd = fetch_spoken_digits("test", progress=False)
    ... except DownloadError:  # offline: 600 of the recordings ship with dlcourse
    ...     sd = load_spoken_digits("test")
    >>> sd.sample_rate, sd.speaker_names
    (8000, ['george', 'jackson', 'lucas', 'nicolas', 'theo', 'yweweler'])
    """
    return fetch(
        "spoken_digits", subset, data_home=data_home, return_X_y=return_X_y, progress=progress, mirrors=mirrors
    )
