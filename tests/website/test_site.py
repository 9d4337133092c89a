"""The course website, checked as a reader would: every page there, every link working,
figures with alt text, no tracebacks, launch and download links, and (in Chromium) figures
that render and an accessibility audit with axe-core.

The site is built by the ``site`` fixture (``scripts/build_site.sh``); see conftest.py.
"""

from __future__ import annotations

import json
import posixpath
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from browser.lab_helpers import ROOT
from bs4 import BeautifulSoup

pytestmark = pytest.mark.website

COURSE = ROOT / "course"
LESSONS = sorted(COURSE.glob("module*/*.ipynb"))
EXERCISES = sorted((COURSE / "release").glob("*/*.ipynb"))


def _page(notebook: Path) -> str:
    return notebook.relative_to(ROOT).with_suffix(".html").as_posix()


@cache
def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _crawl(site: Path) -> tuple[set[str], list[str]]:
    """Every page reachable from index.html by internal links, and every broken link."""
    seen: set[str] = set()
    broken: list[str] = []
    todo = ["index.html"]
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        seen.add(page)
        soup = _soup(site / page)
        for tag in soup.find_all(["a", "img", "link", "script"]):
            ref = tag.get("href") or tag.get("src")
            if not ref:
                continue
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc or ref.startswith(("mailto:", "javascript:")):
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path))) if parts.path else page
            if target.startswith(".."):
                broken.append(f"{page}: {ref} leaves the site")
                continue
            path = site / target
            if path.is_dir():
                path, target = path / "index.html", posixpath.join(target, "index.html")
            if not path.exists():
                broken.append(f"{page}: {ref} (no {target})")
                continue
            if target.endswith(".html"):
                if parts.fragment and not _soup(path).find(id=parts.fragment):
                    broken.append(f"{page}: {ref} (no anchor #{parts.fragment} in {target})")
                todo.append(target)
    return seen, broken


def test_every_lesson_and_exercise_has_a_page_reachable_from_the_landing_page(site: Path) -> None:
    seen, broken = _crawl(site)
    assert not broken, "broken internal links:\n" + "\n".join(broken[:40])
    expected = {_page(nb) for nb in [*LESSONS, *EXERCISES, COURSE / "index.ipynb"]} | {
        "index.html", "instructor.html", "api.html",
    }
    missing = sorted(expected - seen)
    assert not missing, f"pages not reachable from index.html: {missing}"
    assert len(LESSONS) >= 17


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.stem)
def test_lesson_page_shows_outputs_alt_texts_and_launch_links(site: Path, notebook: Path) -> None:
    soup = _soup(site / _page(notebook))
    outputs = soup.select("div.cell_output")
    assert outputs, "the page shows no cell output: was the lesson executed?"
    text = soup.get_text(" ")
    for marker in ("Traceback (most recent call last)", "Error Traceback", "NotImplementedError"):
        assert marker not in text, f"the page shows a Python error ({marker!r})"
    figures = [img for out in outputs for img in out.find_all("img")]
    assert figures, "a lesson page without a single figure"
    no_alt = [img.get("src") for img in figures if not (img.get("alt") or "").strip()]
    assert not no_alt, f"figures without alt text: {no_alt}"
    # The figure descriptions the lesson printed are the alt texts.
    described = {line.split("Figure: ", 1)[1].strip() for line in text.splitlines() if "Figure: " in line}
    assert any(img["alt"] in text for img in figures), described
    hrefs = [a.get("href", "") for a in soup.find_all("a")]
    rel = notebook.relative_to(ROOT).as_posix()
    assert f"https://colab.research.google.com/github/dlcourse/dlcourse/blob/main/{rel}" in hrefs
    assert f"https://mybinder.org/v2/gh/dlcourse/dlcourse/main?urlpath=lab/tree/{rel}" in hrefs
    download = [h for h in hrefs if h.endswith(f"_sources/{rel}")]
    assert download and (site / _page(notebook)).parent.joinpath(download[0]).resolve().exists()
    # The knowledge check, readable without a kernel, and a note on how to answer it.
    quiz = json.loads(notebook.read_text())["cells"][-1]
    if "show_quiz" in "".join(quiz["source"]):
        assert "Knowledge check:" in text and "Q1." in text and "A)" in text
        assert soup.select(".dlcourse-kernel-note"), "no note saying the widgets need a kernel"


@pytest.mark.parametrize("notebook", EXERCISES, ids=lambda p: p.stem)
def test_exercise_pages_show_the_student_version_not_the_solution(site: Path, notebook: Path) -> None:
    text = _soup(site / _page(notebook)).get_text(" ")
    assert "YOUR CODE HERE" in text or "YOUR ANSWER HERE" in text
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert not (site / "course" / "source").exists(), "assignment sources (solutions) must not be published"


def test_instructor_guide_and_api_reference(site: Path) -> None:
    guide = " ".join(_soup(site / "instructor.html").get_text(" ").split())
    assert "nbgrader" in guide and "dlcourse grade run" in guide
    api = _soup(site / "api.html")
    names = {dt.get("id") for dt in api.select("dt[id]")}
    for name in ("dlcourse.datasets.load_mnist_sample", "dlcourse.plotting.describe", "dlcourse.quiz.show_quiz"):
        assert any(n and n.endswith(name.rsplit(".", 1)[1]) for n in names), f"{name} missing from the API page"


# ------------------------------------------------------------------------------ in Chromium

MODULE_PAGES = sorted({_page(sorted(COURSE.glob(f"{m.name}/*.ipynb"))[0]) for m in COURSE.glob("module*")})
AUDITED = ["index.html", "course/index.html", *MODULE_PAGES[1:4]]


@pytest.mark.browser
@pytest.mark.parametrize("page_path", ["index.html", "course/index.html", *MODULE_PAGES])
def test_page_renders_its_figures_in_chromium(site_url: str, site_browser, page_path: str) -> None:
    page = site_browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{site_url}/{page_path}", wait_until="load")
        images = page.eval_on_selector_all(
            "div.cell_output img", "els => els.map(e => [e.getAttribute('src'), e.naturalWidth, e.alt])"
        )
        if page_path.startswith("course/module"):
            assert images, "no figure on a lesson page"
        broken = [src for src, width, _ in images if not width]
        assert not broken, f"figures that did not load: {broken}"
        assert all(alt.strip() for _, _, alt in images)
        assert "Traceback (most recent call last)" not in page.inner_text("body")
        assert not errors, f"JavaScript errors: {errors}"
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.parametrize("page_path", AUDITED)
def test_no_serious_accessibility_violations(site_url: str, site_browser, page_path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = site_browser.new_page()
    try:
        page.goto(f"{site_url}/{page_path}", wait_until="load")
        results = Axe().run(page)
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} - e.g. {v['nodes'][0]['html'][:160]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not serious, f"{page_path}: axe-core found serious or critical violations:\n" + "\n".join(serious)
    finally:
        page.close()


def test_publish_workflow_runs_the_same_build_command() -> None:
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    assert any(step.get("run") == "bash scripts/build_site.sh" for step in steps)
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    assert "download.pytorch.org/whl/cpu" in workflow["jobs"]["build"]["env"]["PIP_EXTRA_INDEX_URL"]
