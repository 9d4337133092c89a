"""Sphinx configuration of the course website (built by ``scripts/build_site.sh``).

The site is the Jupyter Book 1 stack driven by Sphinx directly: myst-nb renders every
lesson with the outputs ``site/execute.py`` gave it (executed once and cached, so a
rebuild with no change executes nothing; that file says why myst-nb's own execution is not
used); sphinx-book-theme is Jupyter Book's theme. See ``requirements/site.txt`` for why
the ``jupyter-book`` command itself is not used.

``scripts/build_site.sh`` copies what is published (``course/`` without the assignment
sources, this folder's pages, the README) into ``_build/site-src`` and builds from there,
so the repository layout is the site's layout and the launch buttons find each notebook.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(ROOT))  # autodoc imports the dlcourse of this checkout

import dlcourse  # noqa: E402

project = "dlcourse"
author = "The dlcourse team"
copyright = "2026, the dlcourse team (code MIT; data under their own licences)"
release = version = dlcourse.__version__ if hasattr(dlcourse, "__version__") else "0.1"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "dlcourse_site",
]

root_doc = "index"
exclude_patterns = [
    "_build",
    "**/.ipynb_checkpoints",
    "README.md",  # pulled into pages with {include}, not a page of its own
]

# --- notebooks -------------------------------------------------------------------------
# site/execute.py has run every lesson (cached) before Sphinx starts: render what it stored.
nb_execution_mode = os.environ.get("DLCOURSE_SITE_EXECUTE", "off")
nb_execution_cache_path = str(ROOT / "_build" / ".jupyter_cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True  # a lesson that fails must fail the build
nb_execution_show_tb = True
# Student versions of the exercises stop at `raise NotImplementedError()` by design.
nb_execution_excludepatterns = ["course/release/*/*.ipynb"]  # matched from the right
nb_kernel_rgx_aliases = {".*": "python3"}
# Widgets need a running kernel: the site shows a note with launch links instead (see
# _ext/dlcourse_site.py), and loads no widget JavaScript from a CDN.
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
    ("html", "application/vnd.jupyter.widget-state+json", None),
]
# TensorFlow's C++ start-up lines are not the lesson's output.
nb_output_stderr = "remove"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]

# --- API reference ------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_mock_imports = ["torch", "tensorflow", "keras"]
napoleon_numpy_docstring = True
napoleon_google_docstring = False

# --- theme ----------------------------------------------------------------------------------
REPO = dlcourse.REPO_URL.rstrip("/")
html_title = "dlcourse: deep learning, hands-on"
html_theme = "sphinx_book_theme"
html_static_path = [str(HERE / "_static")]
html_css_files = ["dlcourse.css"]
html_theme_options = {
    "repository_url": REPO,
    "repository_branch": "main",
    "path_to_docs": "",
    "use_repository_button": True,
    "use_download_button": True,  # the .ipynb of every lesson
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "notebook_interface": "jupyterlab",
    },
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_last_updated_fmt = None
html_show_sourcelink = False
