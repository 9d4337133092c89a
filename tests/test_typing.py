"""The package is typed (PEP 561) and mypy passes on it, with the configuration in pyproject.toml.

mypy is pinned in every environment file, so this runs wherever the tests run (CI included).
"""

from __future__ import annotations

import subprocess
import sys

import tomllib
from notebook_rules import ROOT


def test_mypy_passes_on_the_package():
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success: no issues found" in out.stdout


def test_py_typed_marker_is_shipped():
    assert (ROOT / "dlcourse" / "py.typed").exists()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["dlcourse"]


def test_public_names_are_discoverable():
    code = (
        "import sys, dlcourse\n"
        "names = dir(dlcourse)\n"
        "assert {'selfcheck', 'datasets', 'plotting', 'seed_everything'} <= set(names), names\n"
        "assert dlcourse.selfcheck.check_close is not None\n"
        "assert callable(dlcourse.seed_everything)\n"
        "print(sorted(m for m in ('torch', 'tensorflow', 'numpy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['numpy']"  # selfcheck needs NumPy; no framework was imported


def test_grading_names_are_discoverable():
    code = (
        "import sys, dlcourse.grading as g\n"
        "names = dir(g)\n"
        "assert 'grade_assignment' in names and 'annotations' not in names, names\n"
        "assert 'nbgrader' not in sys.modules\n"
        "assert all(getattr(g, n) is not None for n in names)\n"
        "print(sorted(names) == sorted(g.__all__))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
