"""Regenerate the student versions of the graded exercises with nbgrader, and clean them.

Usage::

    python scripts/release_exercises.py              # every assignment in course/source/
    python scripts/release_exercises.py ex01_perceptron ex04_cnn

nbgrader (``generate_assignment``) turns each source notebook in ``course/source/<id>/``
into a student version: solutions replaced by a stub, hidden tests removed, checksums
recorded for autograding. This script runs it in a temporary copy of the course, so that no
gradebook is left in the repository, then writes the result to ``course/release/<id>/``
with outputs, execution counts and run-time metadata stripped (the nbgrader metadata stays:
autograding needs it). ``tests/test_exercises_release.py`` fails when a source changed and
this script was not run.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
KEEP_CELL_METADATA = ("nbgrader", "editable", "deletable", "tags")


def assignments(course: Path = COURSE) -> list[str]:
    """The assignment ids: the folders of ``course/source`` that hold a notebook."""
    return sorted(p.name for p in (course / "source").iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def clean_release_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip what nbgrader or a run may leave that does not belong in a committed student version."""
    for cell in nb.cells:
        cell.metadata = {k: cell.metadata[k] for k in KEEP_CELL_METADATA if k in cell.metadata}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    for key in ("widgets", "execution", "toc", "varInspector"):
        nb.metadata.pop(key, None)
    return nb


def _nbgrader_env() -> None:
    # nbgrader runs the `alembic` command of this environment when it opens a gradebook.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def generate(ids: list[str] | None = None, *, course: Path = COURSE, out: Path | None = None) -> dict[str, Path]:
    """Generate and clean student versions.

    Parameters
    ----------
    ids : list of str, optional
        Assignment ids (default: all in ``course/source``).
    course : Path
        The course root (holds ``nbgrader_config.py`` and ``source/``).
    out : Path, optional
        Where the ``<id>/`` folders go (default: ``course/release``).

    Returns
    -------
    dict
        Assignment id -> folder of its student version.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    _nbgrader_env()
    ids = ids or assignments(course)
    out = out or course / "release"
    result: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="dlcourse-release-") as tmp:
        root = Path(tmp) / "course"
        root.mkdir()
        shutil.copy2(course / "nbgrader_config.py", root / "nbgrader_config.py")
        for a in ids:
            if not (course / "source" / a).is_dir():
                raise SystemExit(f"no assignment {a!r} in {course / 'source'}; have: {', '.join(assignments(course))}")
            shutil.copytree(course / "source" / a, root / "source" / a, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        config = Config()
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
        config.CourseDirectory.root = str(root)
        config.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        for a in ids:
            res = api.generate_assignment(a, force=True)
            if not res["success"]:
                raise RuntimeError(f"nbgrader generate_assignment {a} failed:\n{res.get('error')}\n{res.get('log')}")
            target = out / a
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(root / "release" / a, target)
            for path in sorted(target.glob("*.ipynb")):
                nb = clean_release_notebook(nbformat.read(path, as_version=4))
                nbformat.write(nb, path)
            result[a] = target
    return result


def main(argv: list[str]) -> int:
    done = generate(argv or None)
    for a, folder in done.items():
        print(f"released {a} -> {folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
