"""The small pretrained networks shipped in dlcourse/weights (Systems #21 and #22, offline cores).

They must load in both frameworks, match the sha256 recorded when they were trained, still score
what their provenance record says, and the scripts that made them must run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dlcourse.datasets import load_mnist_sample, sha256_of
from dlcourse.weights import (
    WEIGHTS_DIR,
    ChecksumError,
    load_cartpole_dqn,
    load_pretrained_digits_cnn,
    url_available,
    weights_info,
    weights_path,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["mnist04_cnn", "cartpole_dqn"]
FRAMEWORKS = ["torch", "keras"]


def _digits_0_to_4() -> tuple[np.ndarray, np.ndarray]:
    test = load_mnist_sample("test")
    keep = test.target < 5
    return test.images[keep].astype(np.float32) / 255.0, test.target[keep]


def _predict(model, framework: str, X: np.ndarray) -> np.ndarray:
    if framework == "torch":
        import torch

        with torch.no_grad():
            return np.concatenate([model(torch.from_numpy(X[i:i + 256, None])).numpy() for i in range(0, len(X), 256)])
    return np.concatenate([model(X[i:i + 256, ..., None], training=False).numpy() for i in range(0, len(X), 256)])


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_shipped_file_matches_its_record(name, framework):
    entry = weights_info(name)[framework]
    path = weights_path(name, framework)  # raises ChecksumError on a mismatch
    assert path.parent == WEIGHTS_DIR
    assert sha256_of(path) == entry["sha256"]
    assert path.stat().st_size == entry["bytes"]
    assert path.stat().st_size < 150_000, "shipped weights should stay small (tens of KB)"
    assert entry["command"].startswith("python scripts/") and "--quick" not in entry["command"]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_digits_cnn_loads_and_scores_its_recorded_accuracy(framework):
    model = load_pretrained_digits_cnn(framework)
    X, y = _digits_0_to_4()
    acc = float((_predict(model, framework, X).argmax(1) == y).mean())
    recorded = weights_info("mnist04_cnn")[framework]
    assert recorded["n_test"] == len(y)
    assert acc == pytest.approx(recorded["test_accuracy"], abs=2e-3)
    assert acc > 0.97


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_cartpole_policy_loads_and_balances_the_pole(framework):
    import gymnasium as gym

    q = load_cartpole_dqn(framework)
    if framework == "torch":
        import torch

        def q_values(obs):
            with torch.no_grad():
                return q(torch.as_tensor(obs, dtype=torch.float32)).numpy()
    else:

        def q_values(obs):
            return q(np.asarray(obs, np.float32), training=False).numpy()

    envs = [gym.make("CartPole-v1") for _ in range(5)]
    obs = np.stack([e.reset(seed=10_000 + i)[0] for i, e in enumerate(envs)])
    alive, total = np.ones(5, bool), np.zeros(5)
    while alive.any():
        idx = np.flatnonzero(alive)
        for j, a in zip(idx, q_values(obs[idx]).argmax(1)):
            obs[j], r, terminated, truncated, _ = envs[j].step(int(a))
            total[j] += r
            alive[j] = not (terminated or truncated)
    assert total.mean() >= 475, total  # the first 5 of the 100 evaluation episodes recorded in the JSON
    assert weights_info("cartpole_dqn")[framework]["eval_mean_return"] >= 475


def test_a_damaged_file_is_refused(tmp_path):
    for f in WEIGHTS_DIR.glob("mnist04_cnn.*"):
        shutil.copy(f, tmp_path / f.name)
    target = tmp_path / "mnist04_cnn.pt"
    data = bytearray(target.read_bytes())
    data[-100] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="sha256"):
        load_pretrained_digits_cnn("torch", directory=tmp_path)
    with pytest.raises(ValueError, match="framework"):
        load_pretrained_digits_cnn("jax")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_transfer_training_script_runs(tmp_path, framework):
    result = subprocess.run(
        [sys.executable, "scripts/train_transfer_base.py", "--framework", framework, "--quick", "--out-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    record = json.loads((tmp_path / "mnist04_cnn.json").read_text())
    assert record[framework]["command"].endswith("--quick")
    model = load_pretrained_digits_cnn(framework, directory=tmp_path)  # the loader checks the new sha256
    X, y = _digits_0_to_4()
    acc = float((_predict(model, framework, X).argmax(1) == y).mean())
    assert acc == pytest.approx(record[framework]["test_accuracy"], abs=2e-3)
    assert acc > 0.3  # one epoch on 512 images: well above chance (0.2), far from the shipped network


def test_dqn_training_script_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "scripts/train_dqn.py", "--framework", "torch", "--quick", "--out-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    record = json.loads((tmp_path / "cartpole_dqn.json").read_text())
    assert record["torch"]["config"]["n_steps"] == 2_000
    q = load_cartpole_dqn("torch", directory=tmp_path)
    assert sum(p.numel() for p in q.parameters()) == 4 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2


def test_url_available_is_quick_and_honours_offline(monkeypatch):
    assert url_available("http://127.0.0.1:9/", timeout=0.5) is False
    monkeypatch.setenv("DLCOURSE_OFFLINE", "1")
    assert url_available("https://example.org/") is False
