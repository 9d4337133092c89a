"""The quiz widget and a lesson's widgets under ipywidgets 7.7.1, the version Colab ships.

The course environment has ipywidgets 8, and ``dlcourse`` accepts ``>=7.7,<9``. This test
builds a second, small virtual environment with ipywidgets 7.7.1 and only what those widgets
need (NumPy, matplotlib, PyYAML, from the package registry, at the versions the course pins),
then builds the widgets there and drives their callbacks: every knowledge check of the
course, and the kernel explorer of ``course/module2/02_cnn.ipynb`` run from the lesson's own
cells. It is skipped, with the reason, when pip cannot reach a registry.

The environment is kept in the temporary folder between runs (``DLCOURSE_IPYWIDGETS7_VENV``
names another place); a fresh one takes about a minute to install.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import venv
from pathlib import Path

import pytest
from notebook_rules import ROOT

IPYWIDGETS = "7.7.1"
#: What the widgets import besides ipywidgets, at the course's pinned versions.
NEEDS = ("numpy", "matplotlib", "pyyaml")


def _pins() -> list[str]:
    pins = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        name, _, version = line.split("#", 1)[0].split(";", 1)[0].strip().partition("==")
        if version:
            pins[name.strip().lower()] = version.strip()
    return [f"{name}=={pins[name]}" if name in pins else name for name in NEEDS]


@pytest.fixture(scope="module")
def python7() -> Path:
    """The interpreter of a virtual environment with ipywidgets 7.7.1 (created on first use)."""
    default = Path(tempfile.gettempdir()) / f"dlcourse-ipywidgets-{IPYWIDGETS}-py{sys.version_info[0]}{sys.version_info[1]}"
    home = Path(os.environ.get("DLCOURSE_IPYWIDGETS7_VENV", default))
    python = home / "bin" / "python"
    requirements = [f"ipywidgets=={IPYWIDGETS}", *_pins()]
    stamp = home / "dlcourse-requirements.json"
    if python.exists() and stamp.exists() and json.loads(stamp.read_text()) == requirements:
        return python
    venv.EnvBuilder(clear=True, with_pip=True).create(home)
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements],
        capture_output=True, text=True, timeout=600,
    )
    if done.returncode != 0:
        unreachable = ("No matching distribution", "Could not find a version", "NewConnectionError", "Could not fetch URL",
                       "Failed to establish a new connection", "Temporary failure in name resolution",
                       "Network is unreachable", "ProxyError", "Read timed out")
        if any(s in done.stderr for s in unreachable):
            pytest.skip(f"pip could not install ipywidgets {IPYWIDGETS} from a registry: {done.stderr.strip()[-300:]}")
        pytest.fail(f"pip install {' '.join(requirements)} failed:\n{done.stderr[-2000:]}")
    stamp.write_text(json.dumps(requirements))
    return python


def _run(python: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(PYTHONPATH=str(ROOT), MPLBACKEND="Agg", PYTHONNOUSERSITE="1")
    return subprocess.run([str(python), "-c", code], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_the_environment_has_ipywidgets_7_and_no_frameworks(python7):
    done = _run(python7, textwrap.dedent("""
        import importlib.util, ipywidgets
        print(ipywidgets.__version__, [m for m in ("torch", "tensorflow", "keras") if importlib.util.find_spec(m)])
    """))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [IPYWIDGETS, "[]"]


def test_every_knowledge_check_works_under_ipywidgets_7(python7):
    slugs = sorted(p.stem for p in (ROOT / "dlcourse" / "quiz" / "questions").glob("*.yaml"))
    code = textwrap.dedent("""
        import html, sys
        import ipywidgets as w
        from dlcourse.quiz import load_quiz, quiz_widget

        def walk(widget):
            yield widget
            for child in getattr(widget, "children", ()):
                yield from walk(child)

        checked = 0
        for slug in sys.argv[1:]:
            quiz = load_quiz(slug)
            root = quiz_widget(quiz)
            assert "dlcourse-quiz" in root._dom_classes, slug
            boxes = [b for b in walk(root) if "dlcourse-quiz-question" in getattr(b, "_dom_classes", ())]
            score = next(b for b in walk(root) if "dlcourse-quiz-score" in getattr(b, "_dom_classes", ()))
            assert len(boxes) == len(quiz.questions), slug
            for box, q in zip(boxes, quiz.questions):
                parts = list(walk(box))
                button = next(p for p in parts if isinstance(p, w.Button))
                feedback = next(p for p in parts if "dlcourse-quiz-feedback" in getattr(p, "_dom_classes", ()))
                right = [o for o in q.options if o.correct]
                if q.multiple:
                    for box_ in (p for p in parts if isinstance(p, w.Checkbox)):
                        box_.value = any(o.text in box_.description for o in right)
                else:
                    radio = next(p for p in parts if isinstance(p, w.RadioButtons))
                    radio.index = next(i for i, label in enumerate(radio.options) if right[0].text in label)
                before = score.value
                button.click()                                    # the callback, as a learner's click runs it
                assert html.escape(right[0].feedback) in feedback.value, (slug, q.id, feedback.value)
                assert score.value != before, (slug, q.id)
                checked += 1
            assert score.value.startswith(f"Score: {len(quiz)} / {len(quiz)}"), (slug, score.value)
        print("checked", checked)
    """)
    done = _run(python7, code.replace("sys.argv[1:]", repr(slugs)))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-1] == str(sum(1 for _ in _questions(slugs)))


def _questions(slugs):
    import yaml

    for slug in slugs:
        yield from yaml.safe_load((ROOT / "dlcourse" / "quiz" / "questions" / f"{slug}.yaml").read_text())["questions"]


def _cells(notebook: Path, *markers: str, functions: tuple[str, ...] = ()) -> str:
    """The code of ``notebook`` that the widget needs, in notebook order: the named top-level
    ``functions`` alone (the rest of their cells is lesson, not machinery), then every code
    cell containing one of ``markers``."""
    cells = ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    defs = [
        ast.get_source_segment(src, node)
        for src in cells if any(f"def {f}(" in src for f in functions)
        for node in ast.parse(src).body if isinstance(node, ast.FunctionDef) and node.name in functions
    ]
    picked = [src for src in cells if any(m in src for m in markers)]
    assert len(defs) == len(functions) and len(picked) == len(markers), f"{notebook.name}: {functions} {markers}"
    return "\n\n".join(defs + picked)


def test_a_lesson_widget_builds_and_responds_under_ipywidgets_7(python7):
    """02_cnn's kernel explorer, from the lesson's own cells: pick kernels, edit a weight."""
    lesson = _cells(ROOT / "course" / "module2" / "02_cnn.ipynb", "KERNELS = {", "def kernel_explorer",
                    functions=("conv2d_numpy",))
    code = textwrap.dedent("""
        import html
        import ipywidgets as widgets
        import matplotlib.pyplot as plt
        import numpy as np
        from IPython.display import display
        from matplotlib import cbook
        from dlcourse.plotting import DIVERGING_CMAP, PALETTE, describe

        def show(fig):
            plt.close(fig)
    """) + lesson + textwrap.dedent("""

        choice = next(c for c in explorer.children[0].children if isinstance(c, widgets.Dropdown))
        cells = explorer.children[0].children[1].children
        assert "dlcourse-kernel-explorer" in explorer._dom_classes
        assert "weights sum to <b>0.00</b>" in explorer_info.value, explorer_info.value   # Sobel x
        choice.value = "box blur"                                                           # a callback
        assert [round(c.value, 4) for c in cells] == [round(1 / 9, 4)] * 9
        assert "weights sum to <b>1.00</b>" in explorer_info.value, explorer_info.value
        cells[4].value = 2.0                                                                # edit a weight
        assert choice.value == "custom", choice.value
        assert "weights sum to <b>2.89</b>" in explorer_info.value, explorer_info.value
        print("kernel explorer ok")
    """)
    done = _run(python7, code)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("kernel explorer ok")
