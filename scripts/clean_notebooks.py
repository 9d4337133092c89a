"""Strip outputs, execution counts and run-time metadata from notebooks, in place.

Usage: python scripts/clean_notebooks.py [PATH ...]   (default: every notebook under course/)
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

KEEP_CELL_METADATA = {"nbgrader", "tags", "editable", "deletable"}


def clean(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("execution", None)
    after = nbformat.writes(nb) + "\n"
    if after != before + "\n":
        path.write_text(after, encoding="utf-8")
        return True
    return False


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(Path(__file__).resolve().parents[1].joinpath("course").rglob("*.ipynb"))
    changed = [p for p in paths if ".ipynb_checkpoints" not in p.parts and clean(p)]
    for p in changed:
        print(f"cleaned {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
