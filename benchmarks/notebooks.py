"""Run every lesson and assignment source as a learner would, and measure it.

For each notebook (``course/module*/*.ipynb`` and ``course/source/*/*.ipynb``) the script
starts a fresh kernel of this environment (nbclient, kernel ``python3``, working directory
= the notebook's folder, no ``MPLBACKEND``: the inline backend, as in JupyterLab), runs every
cell in order and records:

* **wall time**: from starting the kernel to the end of the last cell (what "Restart
  Kernel and Run All" costs a learner), next to the 60 s budget;
* **peak memory**: the kernel's peak resident set size (``VmHWM`` in ``/proc/<pid>/status``,
  read before the kernel shuts down; the notebook runs in that one process), next to the
  1.5 GB budget (1 GB = 10^9 bytes);
* **time per framework**, where a lesson shows both: the summed time of cells that use only
  PyTorch (``torch``) and of cells that use only Keras/TensorFlow (``keras``, ``tf.``);
* **headline metrics**: the numbers each lesson claims (test accuracies and the like), read
  from the kernel after the run with the expressions in :data:`HEADLINES`. When a lesson
  renames a variable the table shows ``n/a`` with the reason: update the registry.

It also times ``import dlcourse`` (with ``benchmarks/import_time.py``) and, when PyTorch or
TensorFlow sees an accelerator, times a matrix product on CPU and accelerator
(``dlcourse.device``); without one the report says so.

Usage (with the environment's Python; takes several minutes)::

    .venv/bin/python benchmarks/notebooks.py                 # everything -> benchmarks/RESULTS.md
    .venv/bin/python benchmarks/notebooks.py --only cnn      # notebooks whose path contains "cnn" (printed only)
    .venv/bin/python benchmarks/notebooks.py --no-notebooks  # machine, import time and GPU section only
    .venv/bin/python benchmarks/notebooks.py --only module3 --update  # re-measure some rows of RESULTS.md

Timings depend on the machine and on what else runs on it: the table lists the load
average before each notebook. Nothing here asserts; the tests check the lessons' claims.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"

BUDGET_SECONDS = 60.0
BUDGET_BYTES = 1.5e9

#: Headline metrics per notebook (path relative to course/): (label, expression evaluated in
#: the notebook's kernel after the run, format spec for numbers). Read from the lessons'
#: printed comparisons and asserted claims; keep in step with the notebooks.
HEADLINES: dict[str, list[tuple[str, str, str]]] = {
    "module0/01_getting_started.ipynb": [
        ("PyTorch GFLOP/s, 256x256 product", 'gflops(timings["PyTorch"][SIZES.index(256)])', ".1f"),
        ("MLP training step, ms", "measured_ms", ".2f"),
        ("accelerator speed-up", 'comparison["speedup"] or "no accelerator"', ".1f"),
    ],
    "module1/01_history.ipynb": [
        ("perceptron's best XOR accuracy", "max(xor_accs)", ".2f"),
        ("2-layer XOR accuracy NumPy/PyTorch/Keras",
         "[float(((z > 0) == Y_XOR).mean()) for z in (logits_np, logits_torch, logits_keras)]", ".2f"),
    ],
    "module1/02_why_now.ipynb": [
        ("CNN test accuracy PyTorch", "cnn_torch_acc", ".3f"),
        ("CNN test accuracy Keras", "cnn_keras_acc", ".3f"),
        ("HOG + linear test accuracy", 'accuracy["linear, HOG features"][n_max]', ".3f"),
        ("tabular data: best classical / best network", "[best_classical, best_network]", ".3f"),
    ],
    "module1/03_neurons.ipynb": [
        ("regression MSE PyTorch", "torch_losses[-1]", ".4f"),
        ("regression MSE Keras", "keras_losses[-1]", ".4f"),
        ("noise MSE (the floor)", "noise_mse", ".4f"),
    ],
    "module1/04_backprop.ipynb": [
        ("from-scratch net: training accuracy", "train_acc", ".3f"),
        ("final / first loss", "final_loss / losses_np[0]", ".3f"),
    ],
    "module1/05_training_well.ipynb": [
        ("shifted digits, augmentation, PyTorch", 'accuracy[("PyTorch", "augmentation")][1]', ".3f"),
        ("shifted digits, augmentation, Keras", 'accuracy[("Keras", "augmentation")][1]', ".3f"),
        ("shifted digits, no augmentation, PyTorch/Keras",
         '[accuracy[("PyTorch", "no augmentation")][1], accuracy[("Keras", "no augmentation")][1]]', ".3f"),
    ],
    "module1/06_frameworks.ipynb": [
        ("MLP test accuracy PyTorch", 'torch_run["test_acc"]', ".3f"),
        ("MLP test accuracy Keras", 'keras_run["test_acc"]', ".3f"),
    ],
    "module1/07_life_cycle.ipynb": [
        ("test accuracy PyTorch", "float(np.mean(pred_torch == y_test))", ".3f"),
        ("test accuracy Keras", "float(np.mean(pred_keras == y_test))", ".3f"),
    ],
    "module2/01_mlp.ipynb": [
        ("MNIST test accuracy PyTorch", "torch_mnist_acc", ".3f"),
        ("MNIST test accuracy Keras", "keras_mnist_acc", ".3f"),
        ("tumour ROC AUC PyTorch/Keras", '[bc_results["PyTorch"]["ROC AUC"], bc_results["Keras"]["ROC AUC"]]', ".3f"),
    ],
    "module2/02_cnn.ipynb": [
        ("CNN test accuracy PyTorch", "torch_acc", ".3f"),
        ("CNN test accuracy Keras", "keras_acc", ".3f"),
    ],
    "module2/02b_modern_cnns.ipynb": [
        ("20-layer CNN test accuracy plain/residual, PyTorch",
         '[results[("PyTorch", False)][1], results[("PyTorch", True)][1]]', ".3f"),
        ("20-layer CNN test accuracy plain/residual, Keras",
         '[results[("Keras", False)][1], results[("Keras", True)][1]]', ".3f"),
    ],
    "module2/03_rnn.ipynb": [
        ("spoken digits accuracy PyTorch/Keras", "[torch_digits_acc, keras_digits_acc]", ".3f"),
        ("forecast MSE Keras LSTM / naive", '[forecast_mse["Keras LSTM (#12)"], naive_best]', ".4f"),
        ("held-out text loss after, PyTorch/Keras", "[torch_held_after, keras_held_after]", ".2f"),
    ],
    "module2/04_transformers.ipynb": [
        ("reversal, strings fully right PyTorch/Keras", '[results["PyTorch"][0], results["Keras"][0]]', ".3f"),
        ("best mirror-attention head PyTorch/Keras", "list(best.values())", ".2f"),
    ],
    "module2/05_autoencoders.ipynb": [
        ("reconstruction MSE PyTorch/Keras", "[mse_t, mse_k]", ".4f"),
    ],
    "module2/06_gans.ipynb": [
        ("judge's confidence in the samples", "{fw: r[-1][0] for fw, r in judged.items()}", ".2f"),
        ("judge's confidence in noise", "noise_conf", ".2f"),
        ("digits covered (of 10)", "{fw: digits_covered(r[-1][1]) for fw, r in judged.items()}", "d"),
    ],
    "module2/07_cnn_lstm.ipynb": [
        ("clip accuracy PyTorch", "torch_acc", ".3f"),
        ("clip accuracy Keras", "keras_acc", ".3f"),
    ],
    "module2/08_transfer_learning.ipynb": [
        ("pretrained CNN, digits 0-4, PyTorch/Keras", "[acc_torch, acc_keras]", ".4f"),
        ("1 label per class: fine-tuned vs scratch, PyTorch",
         '[mean[("PyTorch", "fine-tuned", n0)], mean[("PyTorch", "from scratch", n0)]]', ".3f"),
        ("1 label per class: fine-tuned vs scratch, Keras",
         '[mean[("Keras", "fine-tuned", n0)], mean[("Keras", "from scratch", n0)]]', ".3f"),
    ],
    "module2/09_dqn.ipynb": [
        ("CartPole mean return, shipped policy PyTorch/Keras (of 500)",
         '[final["PyTorch"].mean(), final["Keras"].mean()]', ".1f"),
        ("random pushes, mean return", "random_scores.mean()", ".1f"),
    ],
    "module3/01_vision.ipynb": [
        ("detector mAP@0.5 PyTorch/Keras", '[det_scores[f]["mAP@0.5"] for f in ("PyTorch", "Keras")]', ".3f"),
        ("detector box AP@0.5 PyTorch/Keras", '[det_scores[f]["box AP@0.5 (any digit)"] for f in ("PyTorch", "Keras")]', ".3f"),
        ("segmenter mean IoU PyTorch/Keras", '[seg_scores[f]["mean IoU"] for f in ("PyTorch", "Keras")]', ".3f"),
        ("NMS = tf.image.non_max_suppression (of 500)", "agree_tf", "d"),
    ],
    "module3/02_language.ipynb": [
        ("sentiment test accuracy TF-IDF/PyTorch/Keras", "[acc_base, acc_torch, acc_keras]", ".3f"),
        ("BPE tokens per word, 100/10,000 pieces", "[values[0], values[-1]]", ".2f"),
    ],
    "module3/03_speech.ipynb": [
        ("spoken-digit accuracy PyTorch/Keras", '[acc["PyTorch"], acc["Keras"]]', ".3f"),
        ("CTC WER PyTorch/Keras/cut-at-silence baseline",
         '[wer["PyTorch"], wer["Keras"], wer["cut at silence + digit CNN"]]', ".3f"),
    ],
    "module3/04_healthcare.ipynb": [
        ("breast cancer test AUC logistic/PyTorch/Keras", '[auc["breast cancer", m] for m in MODELS]', ".3f"),
        ("diabetes test AUC logistic/PyTorch/Keras", '[auc["diabetes", m] for m in MODELS]', ".3f"),
        ("diabetes test ECE before/after temperature, PyTorch",
         'list(rows["diabetes", "PyTorch MLP"]["ECE"])', ".3f"),
        ("PPV at prevalence 1%/10%/37%", "[ppv_1, ppv_10, ppv_37]", ".2f"),
    ],
    "module3/05_finance.ipynb": [
        ("never-fraud accuracy / recall (synthetic)", "[accuracy_never, recall_never]", ".3f"),
        ("fraud test AP PyTorch BCE/class weights/focal", '[ap["PyTorch", n] for n in LOSSES]', ".3f"),
        ("fraud test AP Keras BCE/class weights/focal", '[ap["Keras", n] for n in LOSSES]', ".3f"),
        ("fraud test AP logistic regression", 'ap["sklearn", "logistic regression"]', ".3f"),
        ("GOOG test MSE / naive: mean, linear, PyTorch MLP, Keras MLP", "[ratio[m] for m in MODELS_R]", ".3f"),
    ],
    "module4/01_data_compute.ipynb": [
        ("MNIST MLP accuracy, 250/8,000 digits", "[acc[0], acc[-1]]", ".3f"),
        ("training FLOPs per batch of 64, FlopCounterMode = by hand", "[train_torch_flops, train_keras_flops]", ",d"),
        ("PyTorch GFLOP/s per CPU second, batch 1/512", '[speed["PyTorch"][1][0] / 1e9, achieved / 1e9]', ".2f"),
        ("GPT-3: 6ND / reported compute", "c_6nd / C_REPORTED", ".4f"),
    ],
    "module4/02_interpretability.ipynb": [
        ("IG completeness error, median of 8 digits, 2/32/256 steps", "[medians[0], medians[STEP_GRID.index(32)], medians[-1]]", ".4f"),
        ("ink-pixel rank correlation, fully random PyTorch net: gradient/SmoothGrad/IG",
         '[cascade["PyTorch"]["ink"][m][-1] for m in METHODS]', ".2f"),
        ("deletion area: IG / gradient / brightest first / random",
         '[auc["integrated gradients"], auc["gradient |dS/dx|"], auc["brightest first (no model)"], auc["random order"]]',
         ".3f"),
    ],
    "module4/03_fairness.ipynb": [
        ("Adult test accuracy PyTorch/Keras/log. regression", '[acc["PyTorch"], acc["Keras"], acc_baseline]', ".3f"),
        ("equalized-odds difference by sex, before/after thresholds (PyTorch)", 'mitigation["PyTorch"]["eo"]', ".3f"),
        ("accuracy before/after thresholds (PyTorch)", 'mitigation["PyTorch"]["acc"]', ".4f"),
        ("spoken digits, per-speaker accuracy gap PyTorch/Keras",
         "[float(a.max() - a.min()) for a in per_speaker.values()]", ".2f"),
    ],
    "module4/04_privacy.ipynb": [
        ("canary attack AUC: no privacy PyTorch/Keras, sigma 1 Opacus/TF by hand",
         "[attack(r)[1] for r in results.values()]", ".3f"),
        ("test accuracy: no privacy PyTorch/Keras, sigma 1 Opacus/TF by hand",
         '[r["accuracy"] for r in results.values()]', ".3f"),
        ("epsilon at sigma 1 (RDP, delta 1e-5): Opacus run / TF run", "[eps_torch, eps_tf]", ".2f"),
        ("sigma 0.5 -> 8: epsilon / canary AUC", "[epsilons[1], epsilons[-1], canary_aucs[1], canary_aucs[-1]]", ".2f"),
    ],
    "module4/05_transparency.ipynb": [
        ("Adult test accuracy PyTorch/Keras", '[acc["PyTorch"], acc["Keras"]]', ".3f"),
        ("TPR women/men (PyTorch)", '[by_sex["PyTorch"]["Female"]["TPR"][0], by_sex["PyTorch"]["Male"]["TPR"][0]]', ".3f"),
        ("Adult rows with missing values / exact repeats", "[any_missing, duplicates]", ",d"),
    ],
    "module4/06_distributed.ipynb": [
        ("max param diff DDP/Mirrored/MultiWorker vs one process", "[ddp_err, mirrored_err, multi_err]", ".1e"),
        ("step speed-up, 2 processes vs 1", "SINGLE_STEP_S / rank0['step_s']", ".2f"),
        ("peak MB, kernel + 2 TF workers (summed RSS)", "kernel_mb + sum(phases['TF multi-worker'])", ".0f"),
    ],
    "module4/07_future.ipynb": [
        ("power-law exponent alpha / its standard error", "[alpha_fit, alpha_err]", ".3f"),
        ("held-out loss, 3.7k / 166k parameters", "[L[0], L[-1]]", ".3f"),
        ("width-64 held-out loss PyTorch/Keras", "[torch_loss, keras_loss]", ".3f"),
        ("20 tokens per parameter at Gopher's budget: N (billions) / D (trillions)", "[n_opt / 1e9, d_opt / 1e12]", ".2f"),
    ],
    "module3/06_environment.ipynb": [
        ("CO2 MASE, h=1-24: trend+season / best network / seasonal naive",
         '[mase["trend + season"], mase[best_net], mase["seasonal naive"]]', ".2f"),
        ("CO2 MASE PyTorch/Keras MLP, LSTM, 1-D CNN",
         '[mase[f"{fw} {a}"] for a in ("MLP", "LSTM", "1-D CNN") for fw in ("PyTorch", "Keras")]', ".2f"),
    ],
    "module3/07_art_music.ipynb": [
        ("Bach test perplexity per 16th: bigram/PyTorch LSTM/Keras LSTM",
         '[ppl["bigram"], ppl["PyTorch LSTM"], ppl["Keras LSTM"]]', ".2f"),
        ("share of sampled notes in key: random/bigram/PyTorch/Keras/Bach",
         '[in_key[n][0] for n in ("random notes", "bigram", "PyTorch LSTM", "Keras LSTM", "Bach")]', ".3f"),
        ("style loss fall: transfer (PyTorch)/texture (Keras)",
         "[style_start / style_end, texture_history[0] / texture_history[-1]]", ".0f"),
    ],
    "source/ex01_perceptron/ex01_perceptron.ipynb": [
        ("perceptron, 0 vs 1 test accuracy", "acc01", ".3f"),
    ],
    "source/ex02_activations_gd/ex02_activations_gd.ipynb": [
        ("loss after 60 steps, lr 0.2 / 0.02", "[curves[0.2][-1], curves[0.02][-1]]", ".3f"),
    ],
    "source/ex03_backprop/ex03_backprop.ipynb": [
        ("smallest relative gradient error", "min(rel_errors)", ".1e"),
    ],
    "source/ex04_cnn/ex04_cnn.ipynb": [
        ("CNN test accuracy PyTorch", "torch_acc", ".3f"),
        ("CNN test accuracy Keras", "keras_acc", ".3f"),
    ],
    "source/ex05_attention/ex05_attention.ipynb": [
        ("forecast validation MSE LSTM/naive", "[mse_model, mse_naive]", ".4f"),
    ],
    "source/ex07_applications/ex07_applications.ipynb": [
        ("breast cancer ECE: as fitted / logit x 0.3 / logit + 4", "list(ece.values())", ".3f"),
        ("CO2 MASE (m=12) seasonal naive 2005-2025 / with drift", "[mase_naive, mase_drift]", ".2f"),
    ],
    "source/ex08_responsible_ai/ex08_responsible_ai.ipynb": [
        ("Adult by sex: demographic-parity / equalized-odds difference", "[dp_sex, eo_sex]", ".3f"),
        ("MLP 784-128-64-10, batch 64: forward / training FLOPs", "[fwd_demo, train_demo]", ",d"),
    ],
}

_TORCH = re.compile(r"\btorch\b")
_KERAS = re.compile(r"\bkeras\b|\btf\.|\btensorflow\b")

#: Run in the kernel after the notebook: evaluate the headline expressions, print them as JSON.
_METRICS_CODE = """
def _dlcourse_bench_jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return value.item()
    if isinstance(value, dict):
        return {{str(k): _dlcourse_bench_jsonable(v) for k, v in value.items()}}
    if hasattr(value, "tolist"):
        return _dlcourse_bench_jsonable(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_dlcourse_bench_jsonable(v) for v in value]
    return str(value)


def _dlcourse_bench_metrics(expressions):
    import json as _json
    out = {{}}
    for label, expression in expressions:
        try:
            out[label] = {{"value": _dlcourse_bench_jsonable(eval(expression, globals()))}}
        except Exception as exc:
            out[label] = {{"error": f"{{type(exc).__name__}}: {{exc}}"[:200]}}
    print("DLCOURSE_BENCH_METRICS " + _json.dumps(out))


_dlcourse_bench_metrics({expressions!r})
"""


def notebooks() -> list[Path]:
    lessons = sorted(COURSE.glob("module*/*.ipynb"))
    sources = sorted(COURSE.glob("source/*/*.ipynb"))
    return [p for p in lessons + sources if ".ipynb_checkpoints" not in p.parts]


def framework_of(source: str) -> str:
    """``torch``, ``keras``, ``both`` or ``none``: which framework a code cell uses."""
    torch, keras = bool(_TORCH.search(source)), bool(_KERAS.search(source))
    return "both" if torch and keras else "torch" if torch else "keras" if keras else "none"


def _vm_hwm_bytes(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def run_notebook(path: Path, cell_timeout: int = 600) -> dict[str, Any]:
    """Execute ``path`` in a fresh kernel; wall time, peak memory, per-framework time, metrics."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    rel = path.relative_to(COURSE).as_posix()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=cell_timeout, startup_timeout=180, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    result: dict[str, Any] = {
        "notebook": rel, "status": "ok", "load_before": os.getloadavg()[0], "framework_s": {},
        "peak_bytes": None, "metrics": {}, "cells": 0,
    }
    per_framework: dict[str, float] = {"torch": 0.0, "keras": 0.0, "both": 0.0, "none": 0.0}
    start = time.perf_counter()
    # The kernel's own stderr (TensorFlow's C++ start-up log) would interleave with this report;
    # what a cell writes to stderr still reaches the cell's outputs.
    with client.setup_kernel(stderr=subprocess.DEVNULL):
        pid = client.km.provisioner.pid if client.km.provisioner is not None else None
        result["kernel_start_s"] = time.perf_counter() - start
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t0 = time.perf_counter()
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as exc:
                name = getattr(exc, "ename", type(exc).__name__)
                value = str(getattr(exc, "evalue", ""))[:200]
                result["status"] = f"error in cell {index}: {name}: {value}"
                break
            except Exception as exc:  # a timeout or a dead kernel
                result["status"] = f"error in cell {index}: {type(exc).__name__}: {str(exc)[:200]}"
                break
            finally:
                per_framework[framework_of(cell.source)] += time.perf_counter() - t0
                result["cells"] += 1
        result["wall_s"] = time.perf_counter() - start
        result["stderr_cells"] = [
            i for i, c in enumerate(nb.cells) if c.cell_type == "code"
            and any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in c.get("outputs", []))
        ]
        expressions = [(label, expr) for label, expr, _ in HEADLINES.get(rel, [])]
        if expressions and result["status"] == "ok":
            cell = nbformat.v4.new_code_cell(_METRICS_CODE.format(expressions=expressions))
            nb.cells.append(cell)
            try:
                client.execute_cell(cell, len(nb.cells) - 1)
                text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
                line = next(x for x in text.splitlines() if x.startswith("DLCOURSE_BENCH_METRICS "))
                result["metrics"] = json.loads(line.split(" ", 1)[1])
            except Exception as exc:
                result["metrics"] = {"(headline metrics)": {"error": f"{type(exc).__name__}: {exc}"[:200]}}
        if pid is not None:
            result["peak_bytes"] = _vm_hwm_bytes(pid)
    result["framework_s"] = per_framework
    return result


# --------------------------------------------------------------------------- formatting


def _fmt_value(value: Any, spec: str) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float)):
        try:
            return format(value, spec) if spec else f"{value:g}"
        except (ValueError, TypeError):
            return str(value)
    if isinstance(value, list):
        return " / ".join(_fmt_value(v, spec) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt_value(v, spec)}" for k, v in value.items())
    return str(value)


def format_metrics(rel: str, metrics: dict[str, Any]) -> str:
    specs = {label: spec for label, _, spec in HEADLINES.get(rel, [])}
    if not specs:
        return "(no headline registered)"
    if not metrics:
        return "(not evaluated: the run failed)"
    parts = []
    for label, entry in metrics.items():
        if "error" in entry:
            parts.append(f"{label}: n/a ({entry['error'].split(':')[0]})")
        else:
            parts.append(f"{label}: {_fmt_value(entry['value'], specs.get(label, ''))}")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def results_table(results: list[dict[str, Any]]) -> str:
    head = (
        "| notebook | status | wall s | peak MB | budget | PyTorch cells s | Keras/TF cells s | load | headline metrics |\n"
        "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- |"
    )
    rows = [head]
    for r in results:
        peak = r["peak_bytes"]
        over = []
        if r["wall_s"] > BUDGET_SECONDS:
            over.append("time")
        if peak is not None and peak > BUDGET_BYTES:
            over.append("memory")
        budget = "over: " + ", ".join(over) if over else "within"
        fw = r["framework_s"]
        both = fw["torch"] >= 0.05 and fw["keras"] >= 0.05  # the lesson really runs code in both
        status = r["status"]
        if r.get("stderr_cells"):
            status += f" (stderr in cells {', '.join(map(str, r['stderr_cells']))})"
        rows.append(
            "| " + " | ".join([
                f"`{r['notebook']}`",
                _cell(status),
                f"{r['wall_s']:.1f}",
                "n/a" if peak is None else f"{peak / 1e6:.0f}",
                budget,
                f"{fw['torch']:.1f}" if both else "",
                f"{fw['keras']:.1f}" if both else "",
                f"{r['load_before']:.1f}",
                _cell(format_metrics(r["notebook"], r["metrics"])),
            ]) + " |"
        )
    return "\n".join(rows)


# --------------------------------------------------------------------------- machine, import, GPU


def machine_section() -> tuple[str, dict[str, Any]]:
    from dlcourse.device import environment_report, format_report

    report = environment_report(frameworks=False)
    cpu, mem = report["cpu"], report["memory"]
    total = mem.get("total_bytes")
    lines = [
        f"- Date: {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- Host: {platform.node()}, {report['os']['platform']}",
        f"- CPU: {cpu['model']}, {cpu['logical_cores']} logical cores ({cpu['usable_cores']} usable)",
        f"- Memory: {total / 2**30:.1f} GiB total" if total else "- Memory: unknown",
        f"- Python {report['python']['version']}; "
        + ", ".join(f"{k} {v}" for k, v in report["packages"].items() if v),
        f"- Load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
        "(1, 5, 15 min; other work on the machine inflates the timings)",
    ]
    return "\n".join(lines) + "\n\n```\n" + format_report(report) + "\n```", report


def import_section(repeats: int) -> str:
    sys.path.insert(0, str(Path(__file__).parent))
    import import_time  # benchmarks/import_time.py: fresh-interpreter wall times

    rows = ["| statement | median wall ms | import ms |", "| --- | ---: | ---: |"]
    bare = None
    for statement in import_time.STATEMENTS:
        import_time.wall_time(statement)  # warm the file-system cache
        median = statistics.median(import_time.wall_time(statement) for _ in range(repeats))
        bare = median if bare is None else bare
        rows.append(f"| `{statement}` | {median * 1e3:.0f} | {(median - bare) * 1e3:.0f} |")
    return (
        f"Median of {repeats} fresh interpreters per statement (`benchmarks/import_time.py`); "
        "'import ms' is the median minus the bare interpreter's start-up (`pass`).\n\n" + "\n".join(rows)
    )


def gpu_section() -> str:
    from dlcourse.device import compare_cpu_accelerator, environment_report, format_report, matmul_benchmark

    report = environment_report(frameworks=True)
    torch_info, tf_info = report["torch"], report["tensorflow"]
    torch_acc = bool(torch_info.get("cuda_available") or torch_info.get("mps_available"))
    tf_acc = bool(tf_info.get("gpus"))
    lines = ["The device report (`dlcourse doctor`, with PyTorch and TensorFlow asked which devices they see):",
             "", "```", format_report(report), "```", ""]
    if not (torch_acc or tf_acc):
        why = []
        if torch_info.get("installed"):
            why.append("PyTorch " + ("is a CPU-only build" if not torch_info.get("cuda_build") and not torch_info.get("hip_build")
                                     else "sees no usable GPU"))
        if tf_info.get("installed"):
            why.append("TensorFlow sees no GPU")
        lines.append(f"**No accelerator present** for the course's frameworks ({'; '.join(why) or 'neither is installed'}): "
                     "the GPU timings were not run. CPU reference:")
        rows = ["| framework | device | n | median ms | GFLOP/s |", "| --- | --- | ---: | ---: | ---: |"]
        for framework in ("numpy", "torch"):
            try:
                r = matmul_benchmark(n=2048, repeats=3, framework=framework)
                rows.append(f"| {framework} | {r['device']} | {r['n']} | {r['median_s'] * 1e3:.1f} | {r['gflops']:.1f} |")
            except Exception as exc:
                rows.append(f"| {framework} | - | - | {type(exc).__name__} | - |")
        return "\n".join(lines + ["", *rows])
    rows = ["| framework | n | CPU ms | accelerator | accelerator ms | CPU GFLOP/s | accelerator GFLOP/s | speed-up |",
            "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |"]
    for framework, present in (("torch", torch_acc), ("tensorflow", tf_acc)):
        if not present:
            rows.append(f"| {framework} | | | none visible | | | | |")
            continue
        for n in (1024, 4096):
            c = compare_cpu_accelerator(n=n, repeats=5, framework=framework, verbose=False)
            cpu, acc = c["cpu"], c["accelerator"]
            rows.append(
                f"| {framework} | {n} | {cpu['median_s'] * 1e3:.1f} | {acc['device']} | {acc['median_s'] * 1e3:.2f} | "
                f"{cpu['gflops']:.0f} | {acc['gflops']:.0f} | {c['speedup']:.1f}x |"
            )
    lines.append("Accelerator present; float32 matrix products, median of 5 after 2 warm-up runs "
                 "(`dlcourse.device.compare_cpu_accelerator`).")
    return "\n".join(lines + ["", *rows])


# --------------------------------------------------------------------------- main


def update_rows(results: list[dict[str, Any]]) -> None:
    """Replace or add the table rows of ``results`` in RESULTS.md, keeping every other line.

    The rows stay sorted by notebook path; a note under the table says which rows were
    measured when, because they may come from a different run (and load) than the rest.
    """
    lines = RESULTS.read_text().splitlines()
    new = {r["notebook"]: row for r, row in zip(results, results_table(results).splitlines()[2:])}
    first = next(i for i, ln in enumerate(lines) if ln.startswith("| `"))
    last = first
    while last + 1 < len(lines) and lines[last + 1].startswith("| `"):
        last += 1  # the notebook table is the first block of such rows
    rows = {ln.split("`")[1]: ln for ln in lines[first : last + 1]}
    rows.update(new)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    note = (f"Rows of {', '.join(f'`{n}`' for n in new)} measured on {stamp} "
            f"(`--only ... --update`; load average at the end {load}); the other rows come from the run above.")
    body = [rows[k] for k in sorted(rows)]
    RESULTS.write_text("\n".join(lines[:first] + body + ["", note] + lines[last + 1 :]) + "\n")
    print(f"\nupdated {len(new)} rows of {RESULTS}")



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only notebooks whose course-relative path contains this text")
    parser.add_argument("--no-notebooks", action="store_true", help="skip the notebooks (machine, import, GPU only)")
    parser.add_argument("--no-gpu", action="store_true", help="skip the GPU section")
    parser.add_argument("--import-repeats", type=int, default=5, help="fresh interpreters per import statement")
    parser.add_argument("--cell-timeout", type=int, default=600, help="seconds one cell may run")
    parser.add_argument("--output", type=Path, help=f"markdown file to write (default {RESULTS.relative_to(ROOT)} "
                        "for a full run; partial runs only print unless given)")
    parser.add_argument("--json", type=Path, help="also write the raw results as JSON")
    parser.add_argument("--reuse", type=Path, help="JSON from an earlier --json run: its notebooks are not run again "
                        "(measure only new or changed ones, then write the whole table)")
    parser.add_argument("--update", action="store_true", help="with --only: replace (or add) the rows of the notebooks "
                        f"run in {RESULTS.relative_to(ROOT)} and keep the rest of the file as it is")
    args = parser.parse_args()
    if args.update and not args.only:
        parser.error("--update needs --only (a full run rewrites the whole file anyway)")
    os.environ.pop("MPLBACKEND", None)  # kernels use the inline backend, as in JupyterLab
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    machine, _ = machine_section()
    print(machine, flush=True)
    selected = [] if args.no_notebooks else [p for p in notebooks() if not args.only or args.only in p.relative_to(COURSE).as_posix()]
    reused: dict[str, dict[str, Any]] = {}
    if args.reuse:
        reused = {r["notebook"]: r for r in json.loads(args.reuse.read_text())}
    results = []
    for path in selected:
        rel = path.relative_to(COURSE).as_posix()
        if rel in reused:
            print(f"reusing the earlier result of {rel}")
            results.append(reused[rel])
            continue
        print(f"running {path.relative_to(ROOT)} ...", flush=True)
        r = run_notebook(path, args.cell_timeout)
        peak = "n/a" if r["peak_bytes"] is None else f"{r['peak_bytes'] / 1e6:.0f} MB"
        print(f"  {r['status']}; {r['wall_s']:.1f} s; peak {peak}; load {r['load_before']:.1f}; "
              f"{format_metrics(r['notebook'], r['metrics'])}", flush=True)
        results.append(r)
    stale = [f"{r['notebook']}: {label}" for r in results for label, e in r["metrics"].items() if "error" in e]

    sections = ["# Benchmarks: lessons and assignments, measured", "",
                "Written by `benchmarks/notebooks.py` (see `benchmarks/README.md`). Budgets per notebook: "
                f"{BUDGET_SECONDS:.0f} s wall time and {BUDGET_BYTES / 1e9:.1f} GB peak memory on a 2-core CPU.", "",
                "## Machine", "", machine, ""]
    if results:
        sections += [
            "## Notebooks", "",
            "Each notebook in a fresh `python3` kernel of this environment (nbclient). *wall s*: kernel start "
            "plus all cells. *peak MB*: the kernel's peak resident memory (VmHWM, 10^6 bytes). *PyTorch/Keras "
            "cells s*: summed time of the cells that use only that framework (shown where a lesson spends time in both; "
            "shared cells such as imports are in neither). *load*: 1-minute load average before the run. "
            "*stderr in cells*: cells that show text on stderr (a learner sees it in red).", "",
            results_table(results), "",
            f"Within budget: {sum(1 for r in results if r['wall_s'] <= BUDGET_SECONDS and (r['peak_bytes'] or 0) <= BUDGET_BYTES)}"
            f" of {len(results)}. Load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}.", "",
        ]
        n_reused = sum(1 for r in results if r["notebook"] in reused)
        if n_reused:
            sections += [f"{n_reused} of the {len(results)} rows were measured by earlier runs of this script and "
                         "reused (`--reuse`), at the load shown in their row; the machine section is this run's.", ""]
        if stale:
            sections += ["Headline expressions that failed (update `HEADLINES` in `benchmarks/notebooks.py`): "
                         + "; ".join(stale), ""]
    sections += ["## `import dlcourse`", "", import_section(args.import_repeats), ""]
    if not args.no_gpu:
        sections += ["## GPU", "", gpu_section(), ""]
    text = "\n".join(sections)
    print("\n" + text)
    if args.update:
        update_rows(results)
        return
    output = args.output or (RESULTS if not args.only and not args.no_notebooks else None)
    if output:
        output.write_text(text)
        print(f"\nwritten to {output}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
