"""TensorFlow's start-up lines stay out of the lessons; everything else on stderr stays.

Under pytest, ipykernel drops C-level stderr, so these tests run plain subprocesses; the
browser test (tests/browser/test_lab_lesson.py) checks the same in a learner's JupyterLab.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from notebook_rules import ROOT

IMPORT_TF = "import tensorflow as tf; print(tf.__spec__.loader.__class__.__name__)"


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    environ.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=300)


def test_filter_drops_absl_info_lines_and_keeps_the_rest():
    code = (
        "import os\n"
        "from dlcourse._quiet_tensorflow import filtered_stderr_fd\n"
        "with filtered_stderr_fd():\n"
        "    os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n')\n"
        "    os.write(2, b'I0000 00:00:1796178906.077010   13865 port.cc:153] oneDNN custom operations are on.\\n')\n"
        "    os.write(2, b'W0000 00:00:1796178906.077010   13865 foo.cc:1] a real warning\\n')\n"
        "    os.write(2, b'Traceback: something else\\n')\n"
    )
    done = _run(code)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == ["W0000 00:00:1796178906.077010   13865 foo.cc:1] a real warning", "Traceback: something else"]


def test_importing_dlcourse_installs_no_framework_and_no_hook_after_tensorflow():
    done = _run("import sys, dlcourse; print([f.__class__.__name__ for f in sys.meta_path][0]);"
                "print(any(m in sys.modules for m in ('tensorflow', 'torch', 'keras')))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["_QuietTensorFlowFinder", "False"]


def test_tensorflow_starts_without_stderr_after_dlcourse():
    pytest.importorskip("tensorflow")
    plain = _run(IMPORT_TF, TF_CPP_MIN_LOG_LEVEL="2")
    assert plain.returncode == 0, plain.stderr
    # What a learner saw before: TF_CPP_MIN_LOG_LEVEL alone does not hide these lines.
    # (Should a TensorFlow release stop printing them, this part fails: drop the hook then.)
    assert re.search(r"oneDNN custom operations are on", plain.stderr), plain.stderr
    quiet = _run("import dlcourse\n" + IMPORT_TF)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == "", quiet.stderr
    assert quiet.stdout.strip() == "SourceFileLoader"  # TensorFlow sees its real loader
    loud = _run("import dlcourse\n" + IMPORT_TF, TF_CPP_MIN_LOG_LEVEL="0")  # the learner's way to see all
    assert "oneDNN custom operations are on" in loud.stderr


def test_every_lesson_imports_dlcourse_before_tensorflow():
    """The hook acts only if dlcourse is imported first; keras imports TensorFlow too."""
    late = []
    for path in sorted((ROOT / "course").glob("module*/*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        imports = re.findall(r"^\s*(?:import|from)\s+(dlcourse|tensorflow|keras)\b", code, re.M)
        if imports and imports[0] != "dlcourse":
            late.append(f"{path.relative_to(ROOT)}: imports {imports[0]} before dlcourse")
    assert not late, "\n".join(late)
