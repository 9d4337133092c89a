"""The page of ``dlcourse grade report`` in Chromium: every figure decodes and has alt text, and
the page asks the network for nothing (it is opened from a file, as an instructor would).

The class is the demo course with three students graded by ``dlcourse grade run --no-sandbox``
(the sandbox is not what this checks); no JupyterLab server is started.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from dlcourse.grading import demo

from .lab_helpers import new_page

pytestmark = [pytest.mark.browser, pytest.mark.nbgrader]

_IMAGES_JS = """
() => [...document.images].map((img) => ({
  alt: img.getAttribute('alt') || '', complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
  shown: img.getBoundingClientRect().width,
}))
"""


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dlcourse.cli import main

    root = tmp_path_factory.mktemp("course")
    release = demo.make_demo_course(root)
    demo.submit(root, "ada", demo.student_notebook(release))
    demo.submit(root, "alan", demo.student_notebook(release, {**demo.CORRECT, "square": "square = abs"}))
    demo.submit(root, "grace", demo.student_notebook(release, {**demo.CORRECT, "mean": "mean = max"}))
    (root / "roster.csv").write_text("id\nada\nalan\ngrace\nbarbara\n")
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["grade", "run", "ps1", "--course", str(root), "--roster", str(root / "roster.csv"),
                     "--no-sandbox", "--no-progress", "--jobs", "2", "--timeout", "20"]) == 0, out.getvalue()
        assert main(["grade", "report", "ps1", "--course", str(root), "--to", str(root / "report")]) == 0
    return root / "report" / "report.html"


def test_report_figures_render_with_alt_text(browser_context: Any, report_page: Path) -> None:
    page = new_page(browser_context)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(report_page.as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate(_IMAGES_JS)
        assert len(images) == 4, images
        for img in images:
            assert img["complete"] and img["width"] > 0 and img["height"] > 0, img
            assert img["shown"] > 0, img
            assert len(img["alt"].strip()) > 40, img
        assert "Grading report: ps1" in page.title()
        text = page.inner_text("body")
        assert "Students who need a look" in text and "barbara" not in text.split("Students who need a look")[1]
        assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
        assert page.js_errors == []
    finally:
        page.close()
