"""What every lesson notebook must look like; shared by the static tests and the tooling."""

from __future__ import annotations

from pathlib import Path

import dlcourse

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"

#: The set-up cell every lesson carries as its first code cell, verbatim.
COLAB_SETUP = f'''# Set-up for Google Colab: installs the course's helper package there, leaving Colab's
# own PyTorch, TensorFlow and ipywidgets alone. Anywhere else this cell does nothing.
import sys

if "google.colab" in sys.modules:
    %pip install --quiet "dlcourse @ git+{dlcourse.REPO_URL}@main"'''

COLAB_BADGE_IMG = "https://colab.research.google.com/assets/colab-badge.svg"


def colab_url(notebook: Path) -> str:
    rel = notebook.resolve().relative_to(ROOT).as_posix()
    return f"https://colab.research.google.com/github/{dlcourse.REPO_URL.split('github.com/')[1]}/blob/main/{rel}"


def colab_badge(notebook: Path) -> str:
    return f"[![Open In Colab]({COLAB_BADGE_IMG})]({colab_url(notebook)})"


def lesson_notebooks() -> list[Path]:
    """All lesson notebooks (module folders), sorted."""
    return sorted(COURSE.glob("module*/*.ipynb"))


def course_notebooks() -> list[Path]:
    """Every notebook under course/, lessons, landing page and assignments alike."""
    return sorted(p for p in COURSE.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def lesson_slug(notebook: Path) -> str:
    """``course/module1/02_history.ipynb`` -> ``history``."""
    return notebook.stem.split("_", 1)[1]
