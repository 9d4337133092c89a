"""Sphinx extension for the course website: figure descriptions as alt text, widget notes.

* Lessons describe every figure with ``dlcourse.plotting.describe(fig, "...")``, which
  prints ``Figure: <text>`` in the cell's output. Here that text becomes the ``alt`` of the
  cell's images, in order, so screen readers on the site read what a learner reads in
  JupyterLab. An image left without a description is reported as a build warning.
* Widgets need a running kernel. The site does not load widget JavaScript; where a cell's
  output is a widget (its plain-text form, ``VBox(children=...)``), the page shows a note
  with links to run the lesson on Colab or Binder. The knowledge checks render as their
  text version (questions and options) followed by the same note.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

LOG = logging.getLogger(__name__)

FIGURE_LINE = re.compile(r"^Figure: (.+)$", re.M)
WIDGET_REPR = re.compile(
    r"^(VBox|HBox|Box|GridBox|interactive|Tab|Accordion|Output|HTML|Button|Dropdown|"
    r"(Int|Float|FloatLog)(Slider|RangeSlider|Text)|Text|Textarea|Checkbox|ToggleButtons?|"
    r"RadioButtons|SelectMultiple|Select|Play|Image)\("
)
QUIZ_HEAD = "Knowledge check: "


def _links(app: Sphinx, docname: str) -> tuple[str, str]:
    repo = app.config.html_theme_options["repository_url"].rstrip("/")
    org_repo = repo.split("github.com/")[1]
    path = f"{docname}.ipynb"
    colab = f"https://colab.research.google.com/github/{org_repo}/blob/main/{path}"
    binder = f"https://mybinder.org/v2/gh/{org_repo}/main?urlpath=lab/tree/{path}"
    return colab, binder


def _note(app: Sphinx, docname: str, what: str) -> nodes.Node:
    colab, binder = _links(app, docname)
    para = nodes.paragraph()
    para += nodes.Text(f"{what} needs a running Python kernel, so this page cannot show it. ")
    para += nodes.reference("", "Open this lesson in Colab", refuri=colab)
    para += nodes.Text(" or ")
    para += nodes.reference("", "launch it on Binder", refuri=binder)
    para += nodes.Text(" to use it.")
    note = nodes.note()
    note["classes"].append("dlcourse-kernel-note")
    note += para
    return note


def _cells(doctree: nodes.document) -> list[nodes.Element]:
    return [
        n
        for n in doctree.findall(nodes.container)
        if n.get("nb_element") == "cell_code" or "cell" in n.get("classes", [])
    ]


def _process(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    if not app.env.doc2path(docname).suffix == ".ipynb":
        return
    for cell in _cells(doctree):
        texts = [b for b in cell.findall(nodes.literal_block) if "output" in b.get("classes", [])]
        descriptions = [m.group(1).strip() for b in texts for m in FIGURE_LINE.finditer(b.astext())]
        images = list(cell.findall(nodes.image))
        for i, image in enumerate(images):
            if image.get("alt"):
                continue
            if descriptions:
                image["alt"] = descriptions[min(i, len(descriptions) - 1)]
            else:
                LOG.warning("figure without a description (dlcourse.plotting.describe)", location=image)
        for block in texts:
            text = block.astext().strip()
            if text.startswith(QUIZ_HEAD):
                block.parent.insert(block.parent.index(block) + 1, _note(app, docname, "Answering interactively"))
            elif WIDGET_REPR.match(text):
                block.replace_self(_note(app, docname, "This interactive widget"))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", _process)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
