"""nbgrader in JupyterLab: the learner's assignment list, the instructor's formgrader, and a
student version of an assignment that opens and validates with the toolbar's Validate button.

The server serves a copy of ``course/`` with nbgrader's configuration (``course/nbgrader_config.py``
plus the course root and a private exchange, see ``lab_helpers.start_lab``); every student
version in ``course/release/`` is released into that exchange before the tests start.
Which student versions are validated: ``DLCOURSE_BROWSER_ASSIGNMENTS`` (``all`` or names
separated by commas); by default the first one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .lab_helpers import (
    NOTEBOOK,
    LabServer,
    assignments,
    browser_assignments,
    expect,
    open_in_lab,
    open_nbgrader_menu_item,
    open_notebook,
)

pytestmark = [pytest.mark.browser, pytest.mark.nbgrader]

#: nbgrader validates by running the whole notebook in a new kernel; allow for a busy machine.
VALIDATE_TIMEOUT_MS = 300_000


def test_assignment_list_shows_released_assignments_and_fetches(page: Any, lab: LabServer) -> None:
    """Nbgrader > Assignment List shows every released assignment; Fetch downloads one."""
    released = assignments("release", lab.root)
    assert released, "course/release/ holds no student versions"
    open_in_lab(page, lab)
    open_nbgrader_menu_item(page, "nbgrader:open-assignment-list")
    names = page.locator("#released_assignments_list .list_item .item_name")
    expect(names).to_have_count(len(released), timeout=120_000)
    assert sorted(names.all_inner_texts()) == released
    expect(page.locator("#released_assignments_list .list_item .item_course").first).to_have_text("dlcourse")

    first = released[0]
    row = page.locator("#released_assignments_list .list_item").filter(has=page.get_by_text(first, exact=True))
    row.get_by_role("button", name="Fetch").click()
    expect(
        page.locator("#fetched_assignments_list .list_item").filter(has=page.get_by_text(first, exact=True)).first
    ).to_be_visible(timeout=60_000)
    fetched = sorted(p.name for p in (lab.root / first).glob("*.ipynb"))
    expected = sorted(p.name for p in (lab.root / "release" / first).glob("*.ipynb"))
    assert fetched == expected, f"Fetch put {fetched} into {lab.root / first}, expected {expected}"


def test_formgrader_lists_the_course_assignments(page: Any, lab: LabServer) -> None:
    """Nbgrader > Formgrader opens "Manage Assignments" with every assignment in course/source/."""
    sources = assignments("source", lab.root)
    assert sources, "course/source/ holds no assignments"
    open_in_lab(page, lab)
    open_nbgrader_menu_item(page, "nbgrader:open-formgrader")
    formgrader = page.frame_locator(".jp-MainAreaWidget:not(.lm-mod-hidden) iframe")
    expect(formgrader.get_by_role("heading", name="Manage Assignments")).to_be_visible(timeout=120_000)
    names = formgrader.locator("#main-table td.name")
    expect(names).to_have_count(len(sources), timeout=180_000)  # the first visit creates the gradebook
    assert sorted(n.strip() for n in names.all_inner_texts()) == sources
    # The exchange is set up and the course id known: no warning banner on the page.
    expect(formgrader.locator(".alert-danger:visible")).to_have_count(0)


def _expected_validation(notebook: dict[str, Any]) -> str:
    """``failed`` for an untouched student version whose tests need code the learner writes."""
    graded_tests = stubs = False
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
            graded_tests = True
        if cell["cell_type"] == "code" and meta.get("solution") and "NotImplementedError" in source:
            stubs = True
    return "failed" if graded_tests and stubs else "success"


@pytest.mark.parametrize("assignment", browser_assignments())
def test_student_version_opens_and_validates(page: Any, lab: LabServer, assignment: str) -> None:
    """A learner opens the student version and presses Validate: nbgrader runs it and shows its
    verdict. Untouched, the answer cells still ``raise NotImplementedError()``: the verdict
    must be that the tests fail because of that (the stub's error, or a ``NameError`` for what the
    answer cell should have defined), not a crash of the validate command."""
    notebooks = sorted((lab.root / "release" / assignment).glob("*.ipynb"))
    assert notebooks, f"course/release/{assignment} holds no notebook"
    notebook = notebooks[0]
    path = notebook.relative_to(lab.root).as_posix()
    expected = _expected_validation(json.loads(notebook.read_text()))

    open_notebook(page, lab, path)
    page.locator(f"{NOTEBOOK} .validate-button").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_be_visible(timeout=VALIDATE_TIMEOUT_MS)
    expect(dialog.locator(".jp-Dialog-header")).to_contain_text("Validation Results")
    message = dialog.locator("#validation-message")
    expect(message).to_have_count(1)
    classes = message.get_attribute("class") or ""
    text = message.inner_text()
    assert "There was an error running the validate command" not in text, text[:3000]
    if expected == "failed":
        assert "validation-failed" in classes, f"expected failing tests, nbgrader says ({classes}): {text[:3000]}"
        # A test calls the stub (NotImplementedError) or uses a name the stub cell never defined.
        assert "NotImplementedError" in text or "NameError" in text, text[:3000]
    else:
        assert "validation-success" in classes, f"expected success, nbgrader says ({classes}): {text[:3000]}"
    dialog.get_by_role("button", name="Ok").click()
    expect(dialog).to_have_count(0)
