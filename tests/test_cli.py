"""The ``dlcourse`` command line, run as ``python -m dlcourse`` in a subprocess (and in-process
for the plug-in mechanism and a download from a loopback server)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dlcourse import cli


def run(*args: str, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DLCOURSE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "dlcourse", *args], capture_output=True, text=True, timeout=timeout, env=full_env
    )


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_help_lists_the_commands():
    out = run("--help")
    assert out.returncode == 0, out.stderr
    assert "doctor" in out.stdout and "data" in out.stdout
    bare = run()
    assert bare.returncode == 2 and "usage: dlcourse" in bare.stdout
    version = run("--version")
    assert version.stdout.startswith("dlcourse ")


def test_console_script_is_installed():
    script = Path(sys.executable).with_name("dlcourse")
    if not script.exists():
        pytest.skip("dlcourse is not installed as a console script in this environment")
    out = subprocess.run([str(script), "data", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "fetch" in out.stdout


def test_doctor_text_and_json():
    out = run("doctor")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("dlcourse environment report")
    assert "Verdict" in out.stdout and "Traceback" not in out.stderr

    out = run("doctor", "--json", "--no-frameworks")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["cpu"]["logical_cores"] == os.cpu_count()
    assert report["torch"] == {"checked": False}


def test_doctor_benchmark():
    out = run("doctor", "--no-frameworks", "--benchmark", "--framework", "numpy", "--size", "64", "--json")
    assert out.returncode == 0, out.stderr
    bench = json.loads(out.stdout)["benchmark"]
    assert bench["cpu"]["n"] == 64 and bench["accelerator"] is None
    assert bench["message"].startswith("No accelerator")

    out = run("doctor", "--no-frameworks", "--benchmark", "--framework", "torch", "--size", "64")
    assert out.returncode == 0, out.stderr
    assert "Benchmark" in out.stdout and "matrix product" in out.stdout


def test_data_list_and_path(tmp_path):
    env = {"DLCOURSE_DATA": str(tmp_path / "cache")}
    out = run("data", "path", env=env)
    assert out.returncode == 0 and out.stdout.strip() == str(tmp_path / "cache")

    out = run("data", "list", env=env)
    assert out.returncode == 0, out.stderr
    for text in ("load_mnist_sample()", "CC BY-SA 3.0", "load_spoken_digits()", "CC BY-SA 4.0",
                 "fashion_mnist", "MIT", "spoken_digits", "not downloaded", str(tmp_path / "cache")):
        assert text in out.stdout


def test_shipped_data_table_covers_every_shipped_file():
    from dlcourse.datasets._base import DATA_DIR, SHIPPED

    on_disk = {p.name for p in DATA_DIR.iterdir() if p.is_file() and p.suffix != ".md"}
    assert set(SHIPPED) == on_disk
    for name, entry in SHIPPED.items():
        assert entry.loader.startswith("load_") and entry.what and entry.licence, name


def test_offline_fetch_is_one_line_without_traceback(tmp_path, closed_port):
    env = {"DLCOURSE_DATA": str(tmp_path), "DLCOURSE_MIRROR": f"http://127.0.0.1:{closed_port}", "DLCOURSE_OFFLINE": "0"}
    out = run("data", "fetch", "mnist", "--subset", "test", "--no-progress", env=env)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dlcourse: error: Could not download mnist/")
    assert f"http://127.0.0.1:{closed_port}/mnist/t10k-images-idx3-ubyte.gz" in lines[0]
    assert str(tmp_path / "mnist") in lines[0] and "load_mnist_sample()" in lines[0]


def test_unknown_data_set_and_bad_usage():
    out = run("data", "fetch", "imagenet")
    assert out.returncode == 1 and out.stderr.startswith("dlcourse: error: unknown data set 'imagenet'")
    out = run("data", "frobnicate")
    assert out.returncode == 2 and "invalid choice" in out.stderr


def test_fetch_from_a_loopback_mirror(tmp_path, monkeypatch, capsys):
    """A successful ``dlcourse data fetch`` (in-process: the registry is the test's)."""
    import gzip

    import numpy as np

    from dlcourse.datasets import _fetch

    site = tmp_path / "site" / "mnist"
    site.mkdir(parents=True)
    registry = {}
    for role, arr in {
        "test_images": np.zeros((3, 28, 28), np.uint8),
        "test_labels": np.array([1, 2, 3], np.uint8),
    }.items():
        header = bytes([0, 0, 8, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
        body = gzip.compress(header + arr.tobytes(), mtime=0)
        (site / f"{role}.gz").write_bytes(body)
        registry[role] = _fetch.RemoteFile(f"{role}.gz", hashlib.sha256(body).hexdigest(), len(body), ())
    mnist = dataclasses.replace(_fetch.DATASETS["mnist"], files=registry)
    monkeypatch.setattr(_fetch, "DATASETS", {**_fetch.DATASETS, "mnist": mnist})
    monkeypatch.setenv("DLCOURSE_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("DLCOURSE_MIRROR", raising=False)
    monkeypatch.delenv("DLCOURSE_OFFLINE", raising=False)

    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "site"))
    handler.log_message = lambda *a: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        status = cli.main(["data", "fetch", "mnist", "--subset", "test", "--no-progress", "--mirror", base])
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert status == 0
    assert "mnist (test): 3 examples" in capsys.readouterr().out
    assert (tmp_path / "cache" / "mnist" / "test_images.gz").exists()

    assert cli.main(["data", "clear", "mnist"]) == 0
    assert capsys.readouterr().out == f"removed {tmp_path / 'cache' / 'mnist'}\n"
    assert not (tmp_path / "cache" / "mnist").exists()
    assert cli.main(["data", "clear"]) == 0
    assert capsys.readouterr().out.startswith("nothing to remove in")


def _plugin(tmp_path, monkeypatch, body: str) -> None:
    (tmp_path / "fake_plugin.py").write_text(textwrap.dedent(body))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "PLUGINS", {"hello": "fake_plugin"})
    sys.modules.pop("fake_plugin", None)


def test_plugin_subcommand(tmp_path, monkeypatch, capsys):
    _plugin(
        tmp_path,
        monkeypatch,
        """
        def add_parser(subparsers):
            p = subparsers.add_parser("hello", help="say hello")
            p.add_argument("name")
            p.set_defaults(func=lambda args: print(f"hello {args.name}") or 3)
        """,
    )
    assert cli.main(["hello", "world"]) == 3
    assert capsys.readouterr().out == "hello world\n"
    # Other commands do not import the plug-in.
    sys.modules.pop("fake_plugin", None)
    assert cli.main(["data", "path"]) == 0
    assert "fake_plugin" not in sys.modules


def test_broken_plugin_is_listed_and_explains(tmp_path, monkeypatch, capsys):
    _plugin(tmp_path, monkeypatch, "import no_such_module_xyz\n")
    assert "unavailable" in cli.build_parser().format_help()
    assert cli.main(["hello"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dlcourse: error: 'dlcourse hello' cannot run") and "no_such_module_xyz" in err


def test_missing_plugin_is_skipped(monkeypatch):
    monkeypatch.setattr(cli, "PLUGINS", {"hello": "dlcourse.no_such_package.cli"})
    parser = cli.build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["hello"])
