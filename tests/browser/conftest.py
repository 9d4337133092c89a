"""Fixtures for the browser tests: a JupyterLab server on a copy of the course, and Chromium.

The tests drive Debian's Chromium (``/usr/bin/chromium``, installed by ``scripts/test.sh``
with apt-get) through Python Playwright; Playwright never downloads a browser here. Where
Chromium or Playwright is missing the tests skip and say why.

Run them with ``pytest tests/browser`` (about 2 minutes on 2 busy cores). Environment variables:
``DLCOURSE_BROWSER_LESSONS`` (``all`` or course-relative lesson paths, comma-separated; default
one quick lesson), ``DLCOURSE_BROWSER_ASSIGNMENTS`` (``all`` or assignment names; default the
first), ``DLCOURSE_CHROMIUM`` (another Chromium binary).

When a test fails, a full-page screenshot of every page it used is saved under
``test-artifacts/browser/`` (with the page's JavaScript errors and the end of the JupyterLab
server log in the test report). The server log of the whole run is copied there too.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from .lab_helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, KernelJanitor, LabServer, new_page, start_lab

#: Playwright's default for each action and wait (ms); the machine may be busy.
DEFAULT_TIMEOUT_MS = 60_000


def _require_browser() -> None:
    pytest.importorskip(
        "playwright.sync_api", reason="Python Playwright is not installed (pip install -r requirements/course.txt)"
    )
    if not CHROMIUM.exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install chromium; "
            "scripts/test.sh does this as root) or point DLCOURSE_CHROMIUM at a Chromium binary"
        )


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab on 127.0.0.1 serving a temporary copy of ``course/``; package scope, so that
    the server, its kernels and the browser are gone before the rest of the suite runs."""
    _require_browser()
    server = start_lab(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        server.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(server.log_path, ARTIFACTS / "jupyter-server.log")


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium, driven by Playwright."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def browser_context(browser: Any) -> Iterator[Any]:
    """One browser profile for all browser tests: JupyterLab's scripts are fetched once."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(browser_context: Any, lab: LabServer) -> Iterator[Any]:
    """A fresh browser tab; the kernels it started are stopped afterwards."""
    janitor = KernelJanitor(lab)
    tab = new_page(browser_context)
    yield tab
    tab.close()
    janitor.cleanup()


# --------------------------------------------------------------------------- failure artefacts


def _pages(item: pytest.Item) -> list[Any]:
    """Playwright pages among the test's fixtures (a page, or an object with a ``page``)."""
    pages = []
    for value in getattr(item, "funcargs", {}).values():
        candidate = value if hasattr(value, "screenshot") and hasattr(value, "goto") else getattr(value, "page", None)
        if candidate is not None and hasattr(candidate, "screenshot") and candidate not in pages:
            pages.append(candidate)
    return pages


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if not report.failed or call.when == "teardown":
        return report
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])[:150]
    lines = []
    for n, page in enumerate(_pages(item)):
        path = ARTIFACTS / f"{stem}-{call.when}{'-' + str(n) if n else ''}.png"
        try:
            if not page.is_closed():
                page.screenshot(path=str(path), full_page=True, timeout=30_000)
                lines.append(f"screenshot: {path}")
        except Exception as exc:  # a crashed page must not hide the test's own failure
            lines.append(f"screenshot failed: {exc}")
        errors = getattr(page, "js_errors", [])
        if errors:
            lines.append("JavaScript errors on the page:\n  " + "\n  ".join(errors[-10:]))
    server = item.funcargs.get("lab") if hasattr(item, "funcargs") else None
    if server is not None:
        lines.append("end of the JupyterLab server log:\n" + server.log_tail(40))
    if lines:
        report.sections.append(("browser test artefacts", "\n".join(lines)))
    return report

