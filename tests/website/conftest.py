"""Fixtures for the website tests: the built site, served on 127.0.0.1, and Chromium.

The ``site`` fixture runs ``scripts/build_site.sh`` once per test run: the first build
executes every lesson (several minutes on 2 cores, ``site/execute.py``); the executions
are cached in ``_build/.executed``, so a later build with no change only re-renders the pages.
Set ``DLCOURSE_SITE_REUSE=1`` to test an existing ``_build/html`` without rebuilding.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser.lab_helpers import CHROMIUM, CHROMIUM_ARGS, ROOT

HTML = ROOT / "_build" / "html"


@pytest.fixture(scope="package")
def site() -> Path:
    """The built website (``_build/html``), built now from this checkout."""
    if not (os.environ.get("DLCOURSE_SITE_REUSE") and (HTML / "index.html").exists()):
        env = dict(os.environ)
        for var in [v for v in env if v.startswith("PYTEST_")] + ["MPLBACKEND"]:
            env.pop(var, None)  # the build's kernels are not test kernels (tests/conftest.py sets Agg)
        env.setdefault("DLCOURSE_OFFLINE", "1")  # no model hub from the build machines
        done = subprocess.run(
            ["bash", str(ROOT / "scripts" / "build_site.sh")], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=3600,
        )
        assert done.returncode == 0, f"the site build failed:\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}"
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        (ROOT / "test-artifacts" / "site-build.log").write_text(done.stdout + done.stderr)
    assert (HTML / "index.html").exists()
    return HTML


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="package")
def site_url(site: Path) -> Iterator[str]:
    """The site served over HTTP on 127.0.0.1 (as GitHub Pages would serve it)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="package")
def site_browser() -> Iterator[Any]:
    """Headless Debian Chromium (as in tests/browser); skips with the reason when missing."""
    pytest.importorskip("playwright.sync_api", reason="Python Playwright is not installed")
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(60_000)
        yield context
        context.close()
        chromium.close()
