"""The whole nbgrader pipeline, end to end, on a temporary copy of the course.

generate_assignment -> submit -> autograde -> (manual grades) -> generate_feedback -> export,
for every assignment in ``course/source``, with these students:

* ``solution``: the source notebooks as they are. Every auto-graded cell gets full marks;
  the written answers wait for a person (the test plays the instructor in the gradebook, as the
  formgrader would), and the export then shows full marks.
* ``untouched``: the generated student versions, unchanged. Every auto-graded cell scores 0
  (no test passes without an answer).
* ``typical``: the solution with typical mistakes patched in (``TYPICAL`` below), which must
  get exactly the partial marks designed for them.
* ``gamer``: submissions that try to pass tests without solving the task (hard-coded outputs,
  monkeypatched checks, swallowed errors); the gamed cells score 0.
* ``noisy``: correct answers that also write library warnings, TensorFlow-style logs and a
  text progress bar to stderr; they keep full marks (``IgnorePattern`` in nbgrader_config.py).

The solution and untouched submissions are then graded once more with the sandboxed
``dlcourse grade`` (where it can run: Linux, root), which must give the same marks.

Run it alone with ``pytest tests/test_nbgrader_pipeline.py -s`` to see the timing table; ``-k ex07``
(tests of one assignment only) grades that assignment alone.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

pytestmark = [pytest.mark.nbgrader, pytest.mark.notebook]

# ---------------------------------------------------------------------------------------------
# Typical wrong answers: (cell grade_id, text in the solution, replacement). Each replacement is
# a plausible mistake; ``scores`` holds the marks designed for every graded cell in response.
# ---------------------------------------------------------------------------------------------
TYPICAL: dict[str, dict] = {
    "ex01_perceptron": {
        "mistake": "the learning rule forgets to update the bias",
        "patches": [("perceptron_update", "return w + lr * error * x, b + lr * error", "return w + lr * error * x, b")],
        # update: the visible test already shows the frozen bias (0 of 3); train: OR passes (its
        # boundary needs no bias), but hidden data with an offset never converges (0 of 2) while XOR
        # still runs all its epochs (1 of 1); MNIST 0 vs 1 is separable through the origin (2 of 2).
        "scores": {"test_predict": 2, "test_update": 0, "test_train": 1, "test_mnist": 2},
    },
    "ex02_activations_gd": {
        "mistake": "the textbook sigmoid 1/(1+exp(-x)), which overflows; torch_step never calls zero_grad()",
        "patches": [
            (
                "activations",
                """    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out""",
                "    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))",
            ),
            ("torch_step", "    optimizer.zero_grad()\n", ""),
        ],
        # activations: values right, overflow for x = -1000 (2 of 3); torch_step: the first step is
        # right, the second adds old gradients (1 of 2).
        "scores": {"test_activations": 2, "test_derivatives": 3, "test_gd": 3, "test_torch_step": 1, "test_keras_step": 2},
    },
    "ex03_backprop": {
        "mistake": "the textbook cross-entropy -mean(y log p + (1-y) log(1-p)); BCE-with-logits fed probabilities",
        "patches": [
            (
                "forward",
                "    loss = float(np.mean(np.logaddexp(0.0, z) - y * z))",
                "    p = 1.0 / (1.0 + np.exp(-z))\n    loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))",
            ),
            (
                "torch_gradients",
                "F.binary_cross_entropy_with_logits(z, torch.as_tensor(y, dtype=torch.float64)).backward()",
                "F.binary_cross_entropy_with_logits(torch.sigmoid(z), torch.as_tensor(y, dtype=torch.float64)).backward()",
            ),
        ],
        # forward: right for moderate logits, overflows and returns inf for huge ones (2 of 3);
        # torch_gradients: a sigmoid applied twice gives wrong gradients (0 of 2).
        "scores": {
            "test_forward": 2,
            "test_numerical_gradient": 2,
            "test_backward": 4,
            "test_torch_gradients": 0,
            "test_tf_gradients": 2,
            "test_train": 2,
        },
    },
    "ex04_cnn": {
        "mistake": "the output size of conv2d rounded up instead of down; a Keras logit layer with from_logits=False",
        "patches": [
            (
                "conv2d",
                "    out_h = (image.shape[0] - kh) // stride + 1\n    out_w = (image.shape[1] - kw) // stride + 1",
                "    out_h = -(-(image.shape[0] - kh) // stride) + 1\n    out_w = -(-(image.shape[1] - kw) // stride) + 1",
            ),
            (
                "keras_cnn",
                "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)",
                "loss=keras.losses.SparseCategoricalCrossentropy()",
            ),
        ],
        # conv2d: stride 1 is right, stride > 1 breaks where it does not divide (1 of 3); the Keras
        # model trains on logits as if they were probabilities and stays far below 94 % (0 of 3).
        "scores": {"test_conv2d": 1, "test_max_pool2d": 2, "test_sizes": 2, "test_torch_cnn": 3, "test_keras_cnn": 0},
    },
    "ex05_attention": {
        "mistake": "attention transposes K with .T (fine for one sequence, wrong for a batch); no 1/sqrt(d) in the module",
        "patches": [
            ("attention", "scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])", "scores = Q @ K.T / np.sqrt(Q.shape[-1])"),
            (
                "torch_attention",
                "scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])",
                "scores = q @ k.transpose(-2, -1)",
            ),
        ],
        # attention: unbatched cases right, batched wrong (2 of 3); the module: shape and causality
        # right, values wrong without the scale (2 of 3).
        "scores": {
            "test_softmax": 1,
            "test_attention": 2,
            "test_causal_mask": 1,
            "test_positional_encoding": 2,
            "test_torch_attention": 2,
            "test_forecaster": 3,
        },
    },
    "ex06_knowledge_check": {
        "mistake": "the perceptron dated to 1943, a causal mask taken for padding, and one wrong option "
        "added to a choose-all question",
        "patches": [
            ("answers_history", '"perceptron-date": "D"', '"perceptron-date": "A"'),
            ("answers_transformers", '"causal-mask": "A"', '"causal-mask": "C"'),
            ("answers_transformers", '"mha-libraries": ["A", "B", "C"]', '"mha-libraries": ["A", "B", "D"]'),
        ],
        # one wrong single answer costs its point; the choose-all question scores (2 right - 1 wrong) / 3.
        "scores": {
            "test_getting_started": 1,
            "test_history": 2,
            "test_neurons": 3,
            "test_backprop": 3,
            "test_transformers": 1 + 1 / 3,
        },
    },
    "ex07_applications": {
        "mistake": "a spectrogram that never checks that the signal is 1-D; tied scores taken one at a time in AP",
        "patches": [
            ("spectrogram", "    if x.ndim != 1 or len(x) < n_fft:", "    if len(x) < n_fft:"),
            (
                "average_precision",
                "    last = np.r_[scores[1:] != scores[:-1], True]",
                "    last = np.ones(len(scores), dtype=bool)",
            ),
        ],
        # spectrogram: the visible tests pass, a hidden 2-D input is not refused (2 of 3); AP: the
        # visible test with a tie fails, so the cell scores nothing (0 of 2).
        "scores": {"test_spectrogram": 2, "test_ece": 2, "test_average_precision": 0, "test_mase": 2, "test_ctc_decode": 2},
    },
    "ex08_responsible_ai": {
        "mistake": "the equalized-odds difference taken as the TPR gap alone (equal opportunity); DP-SGD noise "
        "of standard deviation sigma instead of sigma * C",
        "patches": [
            ("differences", "    return max(max(tpr) - min(tpr), max(fpr) - min(fpr))", "    return max(tpr) - min(tpr)"),
            (
                "private_gradient",
                "    noise = noise_multiplier * max_norm * torch.randn(",
                "    noise = noise_multiplier * torch.randn(",
            ),
        ],
        # differences: the visible example's TPR gap is the larger one, hidden data's FPR gap is
        # (1 of 2); private_gradient: right for C = 1 (visible tests and the float32 part), wrong
        # for C = 0.5 and 2 (2 of 3).
        "scores": {
            "test_group_rates": 2,
            "test_differences": 1,
            "test_private_gradient": 2,
            "test_integrated_gradients": 2,
            "test_mlp_flops": 2,
        },
    },
}

# ---------------------------------------------------------------------------------------------
# Gaming: code that tries to pass the tests without solving the task. (grade_id, old, new) as
# above; ``zero`` lists the cells that must score 0.
# ---------------------------------------------------------------------------------------------
GAMING: dict[str, dict] = {
    "ex01_perceptron": {
        "trick": "predict hard-codes the answers of the visible tests",
        "patches": [
            (
                "predict",
                "    return (np.asarray(X) @ w + b > 0).astype(int)",
                "    if np.shape(X) == (4, 2):\n        return np.array([0, 0, 0, 1])\n"
                "    return (np.asarray(X) @ w + b > 0).astype(int)[:0]",
            )
        ],
        "zero": ["test_predict"],
    },
    "ex02_activations_gd": {
        "trick": "a wrong sigmoid, with np.allclose and the notebook's check_close replaced by functions that always pass",
        "patches": [
            (
                "activations",
                "def relu(x):",
                "import dlcourse.selfcheck\n\ncheck_close = lambda *a, **k: None\n"
                "dlcourse.selfcheck.check_close = check_close\nnp.allclose = lambda *a, **k: True\n\n\ndef relu(x):",
            ),
            ("activations", "    out[~pos] = e / (1.0 + e)\n    return out", "    return np.zeros_like(x)"),
        ],
        "zero": ["test_activations", "test_derivatives", "test_gd", "test_torch_step", "test_keras_step"],
    },
    "ex03_backprop": {
        "trick": "a wrong forward pass, with errors swallowed by IPython's set_custom_exc",
        "patches": [
            (
                "forward",
                "    Z1 = X @ params[\"W1\"] + params[\"b1\"]",
                "    get_ipython().set_custom_exc((Exception,), lambda *args, **kwargs: None)\n"
                "    Z1 = X @ params[\"W1\"] + params[\"b1\"] + 1.0",
            ),
        ],
        "zero": ["test_forward", "test_backward", "test_train"],
    },
    "ex07_applications": {
        "trick": "CTC decoding that returns the visible tests' answers and drops every label otherwise",
        "patches": [
            (
                "ctc_decode",
                "    return [int(c) for c in best[keep]]",
                "    answers = {9: [1, 2, 3], 4: [1, 1], 5: [1, 2], 3: []}\n"
                "    return answers.get(len(best), [])",
            )
        ],
        "zero": ["test_ctc_decode"],
    },
    "ex08_responsible_ai": {
        "trick": "mlp_flops returns the visible test's numbers whatever the sizes",
        "patches": [
            (
                "mlp_flops",
                "    return int(forward), int(forward + backward)",
                "    return 13_975_552, 29_081_600",
            )
        ],
        "zero": ["test_mlp_flops"],
    },
}

# ---------------------------------------------------------------------------------------------
# Correct answers that write to stderr: they must keep full marks.
# ---------------------------------------------------------------------------------------------
NOISY: dict[str, list[tuple[str, str, str]]] = {
    "ex04_cnn": [
        (
            "max_pool2d",
            "    h, w = x.shape[0] // size, x.shape[1] // size",
            "    import warnings\n    warnings.warn('max_pool2d: debug note from the learner')\n"
            "    h, w = x.shape[0] // size, x.shape[1] // size",
        ),
        (
            "torch_cnn",
            "    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)",
            "    import sys\n    from tqdm import tqdm\n"
            "    print('I0000 00:00:1795325079.023991    9632 port.cc:153] oneDNN custom operations are on.', file=sys.stderr)\n"
            "    for _ in tqdm(range(3), mininterval=0):\n        pass\n"
            "    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)",
        ),
        (
            "keras_cnn",
            "        keras.Input((28, 28, 1)),\n        layers.Conv2D(8, 3, activation=\"relu\"),",
            "        layers.Conv2D(8, 3, activation=\"relu\", input_shape=(28, 28, 1)),",
        ),
    ],
}


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def patched(source: Path, patches: list[tuple[str, str, str]]) -> nbformat.NotebookNode:
    """The source notebook with text replaced inside the named cells (each replacement must apply)."""
    nb = nbformat.read(source, as_version=4)
    for grade_id, old, new in patches:
        cells = [c for c in nb.cells if _grade_id(c) == grade_id]
        assert cells, f"{source.name}: no cell with grade_id {grade_id!r}"
        assert old in cells[0].source, f"{source.name}, cell {grade_id}: the patch no longer applies:\n{old}"
        cells[0].source = cells[0].source.replace(old, new)
    return nb


class Pipeline:
    """The graded course: scores per (student, assignment), timings, feedback and export paths."""

    def __init__(self, root: Path):
        self.root = root
        self.scores: dict[tuple[str, str], dict[str, dict]] = {}
        self.seconds: dict[tuple[str, str], float] = {}
        self.export: dict[tuple[str, str], dict[str, str]] = {}


def _api(root: Path):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config), config


def _cell_scores(root: Path, assignment: str, student: str) -> dict[str, dict]:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "dlcourse") as gb:
        nb = gb.find_submission_notebook(assignment, assignment, student)
        for grade in nb.grades:
            out[grade.name] = {
                "score": grade.score,
                "max": grade.max_score,
                "auto": grade.auto_score,
                "manual": grade.needs_manual_grade,
                "type": grade.cell.cell_type,
            }
    return out


def run_pipeline(root: Path, assignments: list[str] = ASSIGNMENTS) -> Pipeline:
    """Copy the course to ``root`` (a new folder) and run the whole pipeline there."""
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ["PATH"].split(os.pathsep):  # nbgrader runs the venv's `alembic`
        os.environ["PATH"] = bindir + os.pathsep + os.environ["PATH"]
    root.mkdir(parents=True)
    shutil.copy2(COURSE / "nbgrader_config.py", root)
    for a in assignments:
        shutil.copytree(COURSE / "source" / a, root / "source" / a, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    api, _ = _api(root)
    result = Pipeline(root)

    submissions: dict[tuple[str, str], nbformat.NotebookNode] = {}
    for a in assignments:
        gen = api.generate_assignment(a, force=True)
        assert gen["success"], f"generate_assignment {a} failed:\n{gen['error']}\n{gen['log']}"
        source = root / "source" / a / f"{a}.ipynb"
        submissions["solution", a] = nbformat.read(source, as_version=4)
        submissions["untouched", a] = nbformat.read(root / "release" / a / f"{a}.ipynb", as_version=4)
        submissions["typical", a] = patched(source, TYPICAL[a]["patches"])
        if a in GAMING:
            submissions["gamer", a] = patched(source, GAMING[a]["patches"])
        if a in NOISY:
            submissions["noisy", a] = patched(source, NOISY[a])

    for (student, a), nb in submissions.items():
        folder = root / "submitted" / student / a
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{a}.ipynb")
    for (student, a) in submissions:
        start = time.perf_counter()
        res = api.autograde(a, student, force=True)
        result.seconds[student, a] = time.perf_counter() - start
        assert res["success"], f"autograde {a} for {student} failed:\n{res['error']}\n{res['log']}"
        result.scores[student, a] = _cell_scores(root, a, student)

    # The instructor grades the written answers of the solution (what the formgrader does).
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "dlcourse") as gb:
        for a in assignments:
            for grade in gb.find_submission_notebook(a, a, "solution").grades:
                if grade.needs_manual_grade:
                    grade.manual_score = grade.max_score
            gb.db.commit()
    for a in assignments:
        result.scores["solution", a] = _cell_scores(root, a, "solution")

    for (student, a) in submissions:
        res = api.generate_feedback(a, student)
        assert res["success"], f"generate_feedback {a} for {student} failed:\n{res['error']}"

    csv_path = root / "grades.csv"
    proc = subprocess.run(
        [str(Path(bindir) / "nbgrader"), "export", "--to", str(csv_path)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    with open(csv_path, newline="") as fh:
        for row in csv.DictReader(fh):
            result.export[row["student_id"], row["assignment"]] = row
    return result


def timing_table(result: Pipeline) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [f"autograde time per submission (load average {load:.1f} on {os.cpu_count()} CPUs):"]
    for (student, a), sec in sorted(result.seconds.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        got = sum(s["score"] or 0 for s in result.scores[student, a].values())
        top = sum(s["max"] for s in result.scores[student, a].values())
        lines.append(f"  {a:<22} {student:<10} {sec:6.1f} s   {got:6.2f} / {top:g} points")
    return "\n".join(lines)


def _selected_assignments(request) -> list[str]:
    """The assignments the selected tests need: all of them unless ``-k`` left only parametrised ones."""
    needed: set[str] = set()
    for item in request.session.items:
        if getattr(item, "module", None) is not request.module:  # nbval cells have no module
            continue
        callspec = getattr(item, "callspec", None)
        if callspec is None or "assignment" not in callspec.params:
            return ASSIGNMENTS
        needed.add(callspec.params["assignment"])
    return sorted(needed) or ASSIGNMENTS


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, request) -> Pipeline:
    result = run_pipeline(tmp_path_factory.mktemp("nbgrader") / "course", _selected_assignments(request))
    print("\n" + timing_table(result))
    return result


def _auto(scores: dict[str, dict]) -> dict[str, float]:
    return {name: s["score"] for name, s in scores.items() if s["type"] == "code"}


def _manual(scores: dict[str, dict]) -> dict[str, dict]:
    return {name: s for name, s in scores.items() if s["type"] == "markdown"}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_gets_full_marks(pipeline, assignment):
    scores = pipeline.scores["solution", assignment]
    lost = {n: (s["score"], s["max"]) for n, s in scores.items() if s["type"] == "code" and s["score"] != s["max"]}
    assert not lost, f"{assignment}: the solution lost points in {lost}"
    for name, s in _manual(scores).items():
        assert s["max"] > 0 and s["score"] == s["max"], f"{assignment}: written answer {name} not graded: {s}"
    total = sum(s["max"] for s in scores.values())
    row = pipeline.export["solution", assignment]
    assert float(row["raw_score"]) == pytest.approx(total) and float(row["max_score"]) == pytest.approx(total), row


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_student_version_scores_zero(pipeline, assignment):
    scores = pipeline.scores["untouched", assignment]
    assert _auto(scores), f"{assignment} has no auto-graded cells"
    vacuous = {n: v for n, v in _auto(scores).items() if v != 0}
    assert not vacuous, f"{assignment}: these tests pass without an answer: {vacuous}"
    for name, s in _manual(scores).items():  # an unchanged written answer is zero without a person
        assert s["score"] == 0 and not s["manual"], f"{assignment}: unanswered {name} should score 0: {s}"
    assert float(pipeline.export["untouched", assignment]["raw_score"]) == 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_typical_wrong_answers_get_the_designed_partial_marks(pipeline, assignment):
    got = _auto(pipeline.scores["typical", assignment])
    designed = TYPICAL[assignment]["scores"]
    assert set(got) == set(designed), f"{assignment}: graded cells {sorted(got)} vs designed {sorted(designed)}"
    wrong = {n: (got[n], designed[n]) for n in designed if got[n] != pytest.approx(designed[n])}
    assert not wrong, f"{assignment} ({TYPICAL[assignment]['mistake']}): (got, designed) = {wrong}"
    full = sum(s["max"] for s in pipeline.scores["solution", assignment].values() if s["type"] == "code")
    assert 0 < sum(got.values()) < full


@pytest.mark.parametrize("assignment", sorted(GAMING))
def test_gaming_the_tests_earns_nothing(pipeline, assignment):
    got = _auto(pipeline.scores["gamer", assignment])
    earned = {n: got[n] for n in GAMING[assignment]["zero"] if got[n] != 0}
    assert not earned, f"{assignment} ({GAMING[assignment]['trick']}) earned points in {earned}"


@pytest.mark.parametrize("assignment", sorted(NOISY))
def test_stderr_noise_costs_no_points(pipeline, assignment):
    got = pipeline.scores["noisy", assignment]
    lost = {n: (s["score"], s["max"]) for n, s in got.items() if s["type"] == "code" and s["score"] != s["max"]}
    assert not lost, f"{assignment}: correct answers lost points because of stderr output: {lost}"


@pytest.fixture(scope="module")
def dlcourse_graded(pipeline, tmp_path_factory) -> dict[tuple[str, str], tuple[str, dict[str, dict]]]:
    """The solution and untouched submissions graded again, with ``dlcourse grade`` (sandboxed), in a fresh copy."""
    import io

    from dlcourse.grading.batch import GradeOptions, grade_assignment
    from dlcourse.grading.sandbox import environment_problem

    problem = environment_problem()
    if problem is not None:
        pytest.skip(f"cannot run the grading sandbox here: {problem}")
    students = ("solution", "untouched")
    root = tmp_path_factory.mktemp("dlcourse-grade") / "course"
    root.mkdir()
    shutil.copy2(COURSE / "nbgrader_config.py", root)
    (root / "roster.csv").write_text("id\n" + "\n".join(students) + "\n")
    api, _ = _api(root)
    result = {}
    for a in sorted({a for (_, a) in pipeline.scores}):
        shutil.copytree(pipeline.root / "source" / a, root / "source" / a)
        assert api.generate_assignment(a, force=True)["success"]
        for student in students:
            shutil.copytree(pipeline.root / "submitted" / student / a, root / "submitted" / student / a)
        run = grade_assignment(GradeOptions(a, root, roster=root / "roster.csv", progress=False, out=io.StringIO()))
        for r in run.results:
            result[r.student, a] = (r.status, _cell_scores(root, a, r.student))
    return result


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_dlcourse_grade_gives_the_same_marks(dlcourse_graded, pipeline, assignment):
    """Full marks for the solution and zero for the untouched version under ``dlcourse grade`` too."""
    for student in ("solution", "untouched"):
        status, scores = dlcourse_graded[student, assignment]
        assert status == "graded", f"{assignment}, {student}: dlcourse grade says {status}"
        assert _auto(scores) == _auto(pipeline.scores[student, assignment]), f"{assignment}, {student}"


def test_feedback_is_generated_for_every_submission(pipeline):
    for (student, a) in pipeline.scores:
        html = pipeline.root / "feedback" / student / a / f"{a}.html"
        assert html.exists(), f"no feedback for {student}/{a}"
        text = html.read_text(encoding="utf-8")
        assert "Score:" in text or "score" in text.lower(), f"{html} shows no score"


def test_feedback_explains_a_hidden_test_failure(pipeline):
    text = (pipeline.root / "feedback" / "typical" / "ex02_activations_gd" / "ex02_activations_gd.html").read_text(
        encoding="utf-8"
    )
    assert "without overflow" in text and "FloatingPointError" in text, "the feedback should say what failed and why"


def test_written_answers_wait_for_a_person(pipeline):
    for a in ASSIGNMENTS:
        manual = _manual(pipeline.scores["typical", a])
        for name, s in manual.items():
            assert s["manual"] and s["auto"] is None, f"{a}: written answer {name} should need manual grading: {s}"
    assert any(_manual(pipeline.scores["typical", a]) for a in ASSIGNMENTS)
