"""Importing dlcourse and its light modules must not import PyTorch, TensorFlow or Keras."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "tensorflow", "keras")


def test_light_imports_leave_the_frameworks_out():
    code = (
        "import sys\n"
        "import dlcourse\n"
        "import dlcourse.datasets\n"
        "import dlcourse.plotting\n"
        "import dlcourse.quiz\n"
        "import dlcourse.device\n"
        "import dlcourse.cli\n"
        "import dlcourse.distributed\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"heavy frameworks imported: {out.stdout.strip()}"
