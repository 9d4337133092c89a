"""The checksummed downloads, against a real HTTP server on 127.0.0.1 serving files made here.

No test touches the internet: each test declares the data sets it needs with files whose
URLs point at the loopback server (``dataclasses.replace`` of the real declaration, so the
real readers run), and ``DLCOURSE_MIRROR`` and ``DLCOURSE_OFFLINE`` are cleared.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import socket
import threading
import wave
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from dlcourse.datasets import (
    ChecksumError,
    CorruptCacheWarning,
    DownloadError,
    _fetch,
    fetch_creditcard,
    fetch_fashion_mnist,
    fetch_mnist,
    fetch_spoken_digits,
    load_spoken_digits,
)
from dlcourse.datasets._fetch import RemoteFile, read_idx

REAL = dict(_fetch.DATASETS)

# ----------------------------------------------------------------------------- fixtures


class _Server:
    """A loopback HTTP server serving ``files`` (path -> bytes) and counting requests."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.truncate: set[str] = set()  # paths whose body is cut short of Content-Length
        self.fail_first: dict[str, int] = {}  # path -> how many requests get HTTP 503 first
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if server.fail_first.get(self.path, 0) > 0:
                    server.fail_first[self.path] -= 1
                    self.send_error(503)
                    return
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if self.path in server.truncate else body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """A private cache, no user mirror, online, short time-outs, no waiting between retries,
    and a private copy of the declarations (tests replace the files of the real ones)."""
    monkeypatch.setenv("DLCOURSE_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("DLCOURSE_MIRROR", raising=False)
    monkeypatch.delenv("DLCOURSE_OFFLINE", raising=False)
    monkeypatch.setattr(_fetch, "TIMEOUT", 5)
    monkeypatch.setattr(_fetch, "RETRY_WAIT", 0.0)
    monkeypatch.setattr(_fetch, "DATASETS", dict(REAL))
    return tmp_path / "cache"


def _declare(dataset: str, files: dict[str, RemoteFile]) -> None:
    """Point the real declaration of ``dataset`` (its reader, licence...) at these files."""
    _fetch.DATASETS[dataset] = dataclasses.replace(REAL[dataset], files=files)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def _publish_idx(server, dataset, n_train=6, n_test=4, seed=0, urls_for=None):
    """Serve tiny IDX files for ``dataset`` and register them; return the arrays."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28)),
        "train_labels": rng.integers(0, 10, n_train),
        "test_images": rng.integers(0, 256, (n_test, 28, 28)),
        "test_labels": rng.integers(0, 10, n_test),
    }
    entries = {}
    for role, arr in arrays.items():
        name = f"{role}.gz"
        body = _idx(arr)
        server.files[f"/good/{dataset}/{name}"] = body
        urls = urls_for(name) if urls_for else (server.url(f"/good/{dataset}/{name}"),)
        entries[role] = RemoteFile(name, _sha(body), len(body), tuple(urls))
    _declare(dataset, entries)
    return arrays


def _wav(samples: np.ndarray, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


# ----------------------------------------------------------------------------- tests


def test_download_parse_cache_and_verify_on_every_use(server, isolated, monkeypatch):
    arrays = _publish_idx(server, "mnist")
    calls = []
    real_sha = _fetch.sha256_of
    monkeypatch.setattr(_fetch, "sha256_of", lambda p: calls.append(p) or real_sha(p))

    train = fetch_mnist("train", progress=False)
    np.testing.assert_array_equal(train.images, arrays["train_images"])
    np.testing.assert_array_equal(train.target, arrays["train_labels"])
    assert train.images.dtype == np.uint8 and train.target.dtype == np.int64
    assert train.data.shape == (6, 784) and train.data.dtype == np.float32
    assert 0.0 <= train.data.min() and train.data.max() <= 1.0
    assert train.images.flags.writeable
    assert len(server.requests) == 2
    cached = sorted(p.name for p in (isolated / "mnist").iterdir())
    assert cached == ["train_images.gz", "train_labels.gz"]  # no temporary files left
    assert train.DESCR.startswith("MNIST (train): 6 hand-written digits")

    calls.clear()
    again = fetch_mnist("train", progress=False)
    assert len(server.requests) == 2, "a cached file must not be downloaded again"
    assert len(calls) == 2, "the sha256 of each cached file is checked on every use"
    np.testing.assert_array_equal(again.images, train.images)

    X, y = fetch_mnist("all", return_X_y=True, progress=False)
    assert X.shape == (10, 784)
    np.testing.assert_array_equal(y, np.concatenate([arrays["train_labels"], arrays["test_labels"]]))
    assert len(server.requests) == 4  # only the two test files were new


@pytest.mark.parametrize("damage", ["corrupt", "truncated"])
def test_damaged_cache_is_detected_and_downloaded_again(server, isolated, damage):
    _publish_idx(server, "mnist")
    fetch_mnist("test", progress=False)
    remote = _fetch.DATASETS["mnist"].files["test_images"]
    path = isolated / "mnist" / remote.name
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2] if damage == "truncated" else b"x" + good[1:])
    bad_sha = _sha(path.read_bytes())

    with pytest.warns(CorruptCacheWarning) as record:
        bunch = fetch_mnist("test", progress=False)
    message = str(record[0].message)
    assert remote.sha256 in message and bad_sha in message and str(path) in message
    assert path.read_bytes() == good
    assert server.requests.count(f"/good/mnist/{remote.name}") == 2
    assert bunch.images.shape == (4, 28, 28)


def test_download_with_wrong_hash_raises_and_leaves_nothing(server, isolated):
    body = _idx(np.zeros((2, 28, 28)))
    server.files["/f.gz"] = body
    expected = "0" * 64
    _declare("mnist", {"test_images": RemoteFile("f.gz", expected, None, (server.url("/f.gz"),))})
    with pytest.raises(ChecksumError) as info:
        _fetch.fetch_file("mnist", "test_images", progress=False)
    assert expected in str(info.value) and _sha(body) in str(info.value)
    assert isinstance(info.value, OSError)
    assert list((isolated / "mnist").iterdir()) == []
    assert server.requests == ["/f.gz"], "wrong content is not retried"


def test_404_on_first_mirror_falls_back_to_second(server, isolated):
    arrays = _publish_idx(
        server, "mnist", urls_for=lambda name: (server.url(f"/missing/{name}"), server.url(f"/good/mnist/{name}"))
    )
    test = fetch_mnist("test", progress=False)
    np.testing.assert_array_equal(test.images, arrays["test_images"])
    assert server.requests == [
        "/missing/test_images.gz",
        "/good/mnist/test_images.gz",
        "/missing/test_labels.gz",
        "/good/mnist/test_labels.gz",
    ]


def test_all_mirrors_down_gives_one_clear_error(server, isolated, closed_port):
    urls = (f"http://127.0.0.1:{closed_port}/mnist/a.gz", server.url("/nothing-here/a.gz"))
    _declare(
        "mnist",
        {
            "test_images": RemoteFile("a.gz", "1" * 64, None, urls),
            "test_labels": RemoteFile("b.gz", "2" * 64, None, urls),
        },
    )
    with pytest.raises(DownloadError) as info:
        fetch_mnist("test", progress=False)
    err = info.value
    text = str(err)
    assert isinstance(err, OSError)
    for url in urls:
        assert url in text
    assert "HTTP 404" in text
    assert str(isolated / "mnist" / "a.gz") in text
    assert "load_mnist_sample()" in text
    assert err.urls == list(urls) and err.path == isolated / "mnist" / "a.gz"
    assert list((isolated / "mnist").iterdir()) == []
    # The refused connection is transient and was retried; the 404 was not.
    lines = text.splitlines()
    assert lines[1].startswith(f"  {urls[0]}: ") and lines[1].endswith(f"({1 + _fetch.RETRIES} attempts)")
    assert lines[2] == f"  {urls[1]}: HTTP 404 Not Found"
    assert server.requests == ["/nothing-here/a.gz"]


def test_truncated_transfer_is_a_failed_mirror(server, isolated):
    arrays = _publish_idx(
        server, "mnist", urls_for=lambda name: (server.url(f"/cut/{name}"), server.url(f"/good/mnist/{name}"))
    )
    for role in ("test_images", "test_labels"):
        name = f"{role}.gz"
        server.files[f"/cut/{name}"] = server.files[f"/good/mnist/{name}"]
        server.truncate.add(f"/cut/{name}")
    test = fetch_mnist("test", progress=False)
    np.testing.assert_array_equal(test.target, arrays["test_labels"])
    assert "/cut/test_images.gz" in server.requests

    # With no good mirror it is a failed download (not a checksum error), and says why.
    remote = _fetch.DATASETS["mnist"].files["test_images"]
    _declare("mnist", {"test_images": RemoteFile("other.gz", remote.sha256, None, (server.url("/cut/test_images.gz"),))})
    with pytest.raises(DownloadError, match=r"closed after \d+ of \d+ bytes"):
        _fetch.fetch_file("mnist", "test_images", progress=False)
    assert sorted(p.name for p in (isolated / "mnist").iterdir()) == ["test_images.gz", "test_labels.gz"]


def test_dlcourse_data_and_data_home_are_honoured(server, isolated, tmp_path, monkeypatch):
    _publish_idx(server, "mnist")
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("DLCOURSE_DATA", str(elsewhere))
    fetch_mnist("test", progress=False)
    assert (elsewhere / "mnist" / "test_images.gz").exists()
    assert not (isolated / "mnist").exists()

    explicit = tmp_path / "explicit"
    fetch_mnist("test", data_home=explicit, progress=False)
    assert (explicit / "mnist" / "test_labels.gz").exists()


def test_mirror_variable_and_argument(server, isolated, closed_port, monkeypatch):
    arrays = _publish_idx(server, "mnist", urls_for=lambda name: (f"http://127.0.0.1:{closed_port}/{name}",))
    # DLCOURSE_MIRROR serves the cache layout <base>/<data set>/<file>.
    monkeypatch.setenv("DLCOURSE_MIRROR", f"http://127.0.0.1:{closed_port}/x, {server.base}/good")
    test = fetch_mnist("test", progress=False)
    np.testing.assert_array_equal(test.images, arrays["test_images"])

    # "default" stands for the registry's own URLs.
    remote = _fetch.DATASETS["mnist"].files["train_images"]
    urls = _fetch._mirror_urls("mnist", remote, ["http://m", "default"])
    assert urls == ["http://m/mnist/train_images.gz", *remote.urls]

    monkeypatch.delenv("DLCOURSE_MIRROR")
    train = fetch_mnist("train", mirrors=[server.base + "/good"], progress=False)
    np.testing.assert_array_equal(train.images, arrays["train_images"])


def test_fashion_mnist_fields(server):
    arrays = _publish_idx(server, "fashion_mnist", seed=1)
    fm = fetch_fashion_mnist("all", progress=False)
    assert fm.images.shape == (10, 28, 28)
    np.testing.assert_array_equal(fm.images[6:], arrays["test_images"])
    assert fm.target_names == [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]
    assert "Fashion-MNIST" in fm.DESCR


def test_spoken_digits_from_a_zip_of_wavs(server, isolated):
    rng = np.random.default_rng(0)
    clips = {}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("fsdd-abc/README.md", "not audio")
        for digit in (2, 0, 1):
            for speaker in ("bob", "alice"):
                for take in (7, 0, 4, 5):
                    samples = rng.integers(-3000, 3000, 50 + 10 * take)
                    clips[digit, speaker, take] = samples
                    zf.writestr(f"fsdd-abc/recordings/{digit}_{speaker}_{take}.wav", _wav(samples))
    body = buf.getvalue()
    server.files["/fsdd.zip"] = body
    _declare("spoken_digits", {"archive": RemoteFile("fsdd.zip", _sha(body), None, (server.url("/fsdd.zip"),))})

    everything = fetch_spoken_digits(progress=False)
    assert set(everything) == set(load_spoken_digits("test")), "same fields as the offline sample"
    assert len(everything.audio) == 24
    assert everything.speaker_names == ["alice", "bob"]
    assert everything.sample_rate == 8000
    order = list(zip(everything.target, everything.speakers, everything.takes))
    assert order == sorted(order), "ordered by digit, speaker, take, like load_spoken_digits"
    for audio, data, d, s, t in zip(
        everything.audio, everything.data, everything.target, everything.speakers, everything.takes
    ):
        np.testing.assert_array_equal(audio, clips[int(d), everything.speaker_names[s], int(t)])
        assert audio.dtype == np.int16 and data.dtype == np.float32
        np.testing.assert_allclose(data, audio / 32768.0)

    test = fetch_spoken_digits("test", progress=False)
    train_audio, train_target = fetch_spoken_digits("train", return_X_y=True, progress=False)
    assert set(test.takes.tolist()) == {0, 4}  # FSDD's official split: takes 0-4 are the test set
    assert len(test.audio) == 12 and len(train_audio) == 12 and train_target.dtype == np.int64
    assert server.requests == ["/fsdd.zip"], "downloaded once, then read from the cache"


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.gz"
    bad.write_bytes(gzip.compress(b"\x01\x02\x08\x01" + (3).to_bytes(4, "big") + b"abc"))
    with pytest.raises(ValueError, match="magic"):
        read_idx(bad)
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + (5).to_bytes(4, "big") + b"abc"))
    with pytest.raises(ValueError, match="truncated"):
        read_idx(short)
    long = tmp_path / "long.gz"
    long.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + (2).to_bytes(4, "big") + b"abc"))
    with pytest.raises(ValueError, match="beyond"):
        read_idx(long)


def test_bad_subset():
    with pytest.raises(ValueError, match="subset"):
        fetch_mnist("validation")


def test_a_failed_first_attempt_is_retried(server, isolated, monkeypatch):
    """HTTP 503 on the first request (a transient failure): the retry succeeds, after a wait."""
    arrays = _publish_idx(server, "mnist")
    server.fail_first["/good/mnist/test_images.gz"] = 1
    waits = []
    monkeypatch.setattr(_fetch, "RETRY_WAIT", 0.25)
    monkeypatch.setattr(_fetch.time, "sleep", waits.append)
    test = fetch_mnist("test", progress=False)
    np.testing.assert_array_equal(test.images, arrays["test_images"])
    assert server.requests == ["/good/mnist/test_images.gz"] * 2 + ["/good/mnist/test_labels.gz"]
    assert waits == [0.25]

    # A server that keeps failing is tried 1 + RETRIES times, then named in the error.
    monkeypatch.setattr(_fetch, "RETRIES", 3)
    server.fail_first["/good/mnist/train_images.gz"] = 10
    with pytest.raises(DownloadError, match=r"HTTP 503 .* \(4 attempts\)"):
        fetch_mnist("train", progress=False)
    assert server.requests.count("/good/mnist/train_images.gz") == 4
    assert waits == [0.25, 0.25, 0.5, 0.75]


def test_offline_switch_tries_nothing_but_cached_files_still_work(server, isolated, monkeypatch):
    arrays = _publish_idx(server, "mnist")
    fetch_mnist("test", progress=False)
    monkeypatch.setenv("DLCOURSE_OFFLINE", "1")
    cached = fetch_mnist("test", progress=False)
    np.testing.assert_array_equal(cached.target, arrays["test_labels"])
    with pytest.raises(DownloadError, match="DLCOURSE_OFFLINE") as info:
        fetch_mnist("train", progress=False)
    assert "load_mnist_sample()" in str(info.value) and str(isolated / "mnist") in str(info.value)
    assert server.requests == ["/good/mnist/test_images.gz", "/good/mnist/test_labels.gz"]


def test_flags_are_keyword_only():
    for fetcher in (fetch_mnist, fetch_fashion_mnist, fetch_spoken_digits):
        with pytest.raises(TypeError):
            fetcher("test", None, True)


def test_generic_fetch_and_return_X_y_field(server, isolated):
    arrays = _publish_idx(server, "mnist")
    X, y = _fetch.fetch("mnist", "test", return_X_y=True, progress=False)
    assert X.shape == (4, 784)
    np.testing.assert_array_equal(y, arrays["test_labels"])
    with pytest.raises(ValueError, match="unknown data set 'imagenet'.*mnist"):
        _fetch.fetch("imagenet")
    with pytest.raises(ValueError, match="no file 'valid_images'"):
        _fetch.fetch_file("mnist", "valid_images")


def test_clear_data_home_removes_only_registered_data_sets(server, isolated):
    _publish_idx(server, "mnist")
    fetch_mnist("test", progress=False)
    (isolated / "my_notes").mkdir()
    with pytest.raises(ValueError, match="unknown data set"):
        _fetch.clear_data_home(dataset="notes")
    assert _fetch.clear_data_home(dataset="fashion_mnist") == []
    assert _fetch.clear_data_home() == [isolated / "mnist"]
    assert sorted(p.name for p in isolated.iterdir()) == ["my_notes"]


def test_register_checks_declarations(isolated):
    good = REAL["mnist"]
    with pytest.raises(ValueError, match="already registered"):
        _fetch.register(dataclasses.replace(good))
    bad_hash = {"x": RemoteFile("x.gz", "abc", None, ("http://a/x.gz",))}
    with pytest.raises(ValueError, match="64 lower-case hex"):
        _fetch.register(dataclasses.replace(good, name="other", files=bad_hash))
    with pytest.raises(ValueError, match="no URL"):
        _fetch.register(dataclasses.replace(good, name="other", files={"x": RemoteFile("x", "0" * 64, 1, ())}))
    new = _fetch.register(dataclasses.replace(good, name="other"))
    assert _fetch.DATASETS["other"] is new


def test_real_declarations_are_well_formed():
    from dlcourse.datasets import DATASETS

    assert set(DATASETS) >= {"mnist", "fashion_mnist", "spoken_digits"}
    for name, dataset in DATASETS.items():
        assert dataset.name == name
        names = [f.name for f in dataset.files.values()]
        assert len(set(names)) == len(names)
        for remote in dataset.files.values():
            assert len(remote.sha256) == 64 and int(remote.sha256, 16) >= 0
            assert len(remote.urls) >= 2, f"{name}/{remote.name} needs more than one mirror"
            assert all(u.startswith(("https://", "http://")) for u in remote.urls)
        # the offline stand-in is shipped data (load_*) or, where no real data can ship, a generator
        assert ("load_" in dataset.offline or "make_" in dataset.offline) and dataset.licence and dataset.title
    # MNIST and Fashion-MNIST share file names but not content.
    assert {f.sha256 for f in DATASETS["mnist"].files.values()}.isdisjoint(
        f.sha256 for f in DATASETS["fashion_mnist"].files.values()
    )
    assert DATASETS["mnist"].size == 9912422 + 28881 + 1648877 + 4542


def test_interrupted_download_leaves_no_file(server, isolated, monkeypatch):
    import pooch.core

    body = _idx(np.ones((3, 28, 28)))
    server.files["/f.gz"] = body
    _declare("mnist", {"test_images": RemoteFile("f.gz", _sha(body), None, (server.url("/f.gz"),))})

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C after the data arrived, before the rename

    monkeypatch.setattr(pooch.core, "hash_matches", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _fetch.fetch_file("mnist", "test_images", progress=False)
    assert list((isolated / "mnist").iterdir()) == []


def test_killed_download_never_leaves_the_final_name(server, isolated):
    """SIGKILL a process in the middle of a download: only a temporary file remains."""
    import os
    import signal
    import subprocess
    import sys
    import time

    half_sent = threading.Event()
    release = threading.Event()
    name = "t10k-labels-idx1-ubyte.gz"  # the real declaration's name; the child uses DLCOURSE_MIRROR

    class Stall(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "200000")
            self.end_headers()
            self.wfile.write(b"\0" * 100000)
            self.wfile.flush()
            half_sent.set()
            release.wait(120)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Stall)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    env = {**os.environ, "DLCOURSE_DATA": str(isolated), "DLCOURSE_MIRROR": f"http://127.0.0.1:{httpd.server_address[1]}/m"}
    env.pop("DLCOURSE_OFFLINE", None)
    code = "from dlcourse.datasets import fetch_file; fetch_file('mnist', 'test_labels', progress=False)"
    child = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.DEVNULL)
    try:
        assert half_sent.wait(60), "the child never asked for the file"
        folder = isolated / "mnist"
        deadline = time.monotonic() + 30
        while not any(p.stat().st_size for p in folder.glob("tmp*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        release.set()
        if child.poll() is None:
            child.kill()
        httpd.shutdown()
        httpd.server_close()
    left = [p.name for p in (isolated / "mnist").iterdir()]
    assert name not in left
    assert len(left) == 1 and left[0].startswith("tmp")


def test_stale_temporary_files_are_cleaned_up(tmp_path):
    import os

    old = tmp_path / "tmpold1"
    new = tmp_path / "tmpnew2"
    data = tmp_path / "train.gz"
    for p in (old, new, data):
        p.write_bytes(b"partial")
    os.utime(old, (0, 0))
    os.utime(data, (0, 0))
    _fetch._remove_stale_temporaries(tmp_path)
    assert not old.exists() and new.exists() and data.exists()


def _creditcard_csv(rows: list[list[float]], quote_class: bool = True, header: str | None = None) -> bytes:
    """A small file in the layout of Kaggle's creditcard.csv (quoted header, quoted Class)."""
    names = ["Time", *(f"V{i}" for i in range(1, 29)), "Amount", "Class"]
    lines = [header if header is not None else ",".join(f'"{n}"' for n in names)]
    for row in rows:
        cls = f'"{int(row[-1])}"' if quote_class else str(int(row[-1]))
        lines.append(",".join(repr(float(v)) for v in row[:-1]) + "," + cls)
    return ("\n".join(lines) + "\n").encode("ascii")


def _publish_creditcard(server, body: bytes) -> None:
    server.files["/cc/creditcard.csv"] = body
    _declare("creditcard", {"table": RemoteFile("creditcard.csv", _sha(body), len(body), (server.url("/cc/creditcard.csv"),))})


@pytest.mark.parametrize("quote_class", [True, False])
def test_creditcard_reader(server, isolated, quote_class):
    rng = np.random.default_rng(0)
    rows = [[float(t), *rng.normal(size=28).round(6), float(rng.integers(1, 500)), t % 3 == 0] for t in range(7)]
    _publish_creditcard(server, _creditcard_csv(rows, quote_class=quote_class))
    cc = fetch_creditcard(progress=False)
    assert cc.data.shape == (7, 30) and cc.data.dtype == np.float32
    np.testing.assert_array_equal(cc.target, [1, 0, 0, 1, 0, 0, 1])
    np.testing.assert_allclose(cc.data, np.array(rows, dtype=np.float64)[:, :30], rtol=1e-6)
    assert cc.feature_names[0] == "Time" and cc.feature_names[-1] == "Amount" and len(cc.feature_names) == 30
    assert cc.target_names == ["legitimate", "fraud"]
    assert "7 card transactions" in cc.DESCR and "3 fraudulent" in cc.DESCR and "ODbL" in cc.DESCR
    X, y = fetch_creditcard(return_X_y=True, progress=False)  # from the cache, checked again
    assert X.shape == (7, 30) and y.sum() == 3
    assert server.requests == ["/cc/creditcard.csv"]


@pytest.mark.parametrize(
    "body, match",
    [
        (_creditcard_csv([[0.0] * 31], header="Time,Amount,Class"), "expected the columns"),
        (_creditcard_csv([[0.0] * 30 + [2.0]]), "Class must be 0 or 1"),
    ],
)
def test_creditcard_reader_rejects_other_files(server, isolated, body, match):
    _publish_creditcard(server, body)
    with pytest.raises(ValueError, match=match):
        fetch_creditcard(progress=False)


def test_creditcard_offline_names_the_synthetic_stand_in(isolated, monkeypatch):
    monkeypatch.setenv("DLCOURSE_OFFLINE", "1")
    with pytest.raises(DownloadError, match="make_transactions"):
        fetch_creditcard(progress=False)
    declared = REAL["creditcard"]
    assert declared.size == 150828752 and declared.subsets == ("all",)
    assert all(url.endswith("creditcard.csv") for url in declared.files["table"].urls)
