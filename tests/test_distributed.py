"""dlcourse.distributed: the launcher cleans up after failures, and the workers' distributed
training equals single-process training (short runs; the lesson runs the full one)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from notebook_rules import ROOT

from dlcourse import distributed

SHORT = {"steps": 4, "timing_repeats": 2}


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name, or None when the process is gone."""
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def _children(parent: int | None = None) -> list[int]:
    """Live (not zombie) child processes of ``parent`` (default: this test process)."""
    parent = os.getpid() if parent is None else parent
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) and int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(entry))
    return found


@pytest.fixture
def children_before() -> set[int]:
    """This process's children before the test: servers of other tests (JupyterLab, Chromium) are not ours."""
    return set(_children())


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def test_echo_workers_report_rank_and_memory(children_before):
    reports = distributed.launch("echo", world_size=3, timeout=60)
    assert [r["rank"] for r in reports] == [0, 1, 2]
    assert len({r["pid"] for r in reports}) == 3
    assert all(r["world_size"] == 3 and 1 < r["peak_rss_mb"] < 500 for r in reports)
    assert not set(_children()) - children_before


def test_a_failing_worker_is_named_and_the_others_are_killed(children_before):
    # rank 0 sleeps; rank 1 fails at once: the launcher must not wait for rank 0
    start = time.monotonic()
    with pytest.raises(distributed.WorkerError, match=r"worker 1 of 2 \(echo\) exited with code 1") as info:
        distributed.launch("echo", world_size=2, config={"fail_rank": 1, "sleep": 0}, timeout=60)
    assert "asked to fail" in str(info.value)
    with pytest.raises(distributed.WorkerError, match="worker 1 of 2"):
        distributed.launch("echo", world_size=2, config={"fail_rank": 1, "sleep": 0.5}, timeout=60)
    assert time.monotonic() - start < 60
    assert not set(_children()) - children_before


def test_timeout_kills_every_worker(children_before):
    start = time.monotonic()
    with pytest.raises(distributed.WorkerError, match=r"workers \[0, 1\] of 2 \(echo\) did not finish within 2 s"):
        distributed.launch("echo", world_size=2, config={"sleep": 120}, timeout=2)
    assert time.monotonic() - start < 30
    assert not set(_children()) - children_before


def test_workers_die_with_their_launcher():
    code = "from dlcourse import distributed; distributed.launch('echo', world_size=2, config={'sleep': 300})"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    launcher = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = _children(launcher.pid)
        assert len(workers) == 2, "the workers did not start"
        time.sleep(1.0)  # let them pass their start-up check
        launcher.send_signal(signal.SIGKILL)
        launcher.wait()
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in workers if _alive(pid)], "orphaned workers"
    finally:
        if launcher.poll() is None:
            launcher.kill()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="task must be one of"):
        distributed.launch("mpi")
    with pytest.raises(ValueError, match="world_size must be at least 1"):
        distributed.launch("echo", world_size=0)
    with pytest.raises(ValueError, match="stage must be one of"):
        distributed.sharded_memory_gb(1e9, 8, stage="zero4")
    with pytest.raises(ValueError, match="n_devices must be at least 1"):
        distributed.sharded_memory_gb(1e9, 0)
    with pytest.raises(ValueError, match="at least two positive widths"):
        distributed.parameter_count([784])


def test_sharded_memory_arithmetic():
    psi, n = 1e9, 8
    ddp = distributed.sharded_memory_gb(psi, n, stage="ddp")
    assert ddp == {"params": 2.0, "grads": 2.0, "optimizer": 12.0, "total": 16.0}
    assert distributed.sharded_memory_gb(psi, n, stage="zero1")["optimizer"] == 12.0 / n
    assert distributed.sharded_memory_gb(psi, n, stage="zero2")["grads"] == 2.0 / n
    assert distributed.sharded_memory_gb(psi, n, stage="zero3")["total"] == 16.0 / n
    assert distributed.sharded_memory_gb(psi, 1, stage="zero3") == ddp  # one device: nothing to shard


def _single_process_torch(cfg):
    import torch
    from torch import nn

    torch.set_num_threads(1)
    index, (X, y) = distributed.mnist_batches(cfg["global_batch"], cfg["steps"], seed=cfg["seed"])
    w = distributed.initial_weights(cfg["sizes"], seed=cfg["seed"])
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    with torch.no_grad():
        for layer, W, b in zip([model[0], model[2]], w[::2], w[1::2]):
            layer.weight.copy_(torch.from_numpy(W.T))
            layer.bias.copy_(torch.from_numpy(b))
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"])
    for row in index:
        batch = torch.from_numpy(row)
        loss = nn.functional.cross_entropy(model(torch.from_numpy(X)[batch]), torch.from_numpy(y)[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [p.detach().numpy().T if p.ndim == 2 else p.detach().numpy() for p in model.parameters()]


def _max_diff(a, b):
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b, strict=True))


@pytest.mark.notebook
def test_torch_ddp_equals_single_process_training(children_before):
    cfg = {**distributed.DEFAULT_CONFIG, **SHORT}
    reports = distributed.launch("torch_ddp", world_size=2, config=SHORT, timeout=300)
    reference = _single_process_torch(cfg)
    assert _max_diff(reports[0]["params"], reference) < 1e-6
    assert _max_diff(reports[0]["params"], reports[1]["params"]) == 0.0
    assert _max_diff(reports[0]["params"], distributed.initial_weights(cfg["sizes"])) > 1e-3  # it trained
    assert reports[0]["allreduce_bytes"] == 4 * distributed.parameter_count(cfg["sizes"])
    assert not set(_children()) - children_before


@pytest.mark.notebook
def test_torchrun_runs_the_same_worker_unchanged(tmp_path):
    # python -m torch.distributed.run is what the torchrun command runs
    (tmp_path / "config.json").write_text(json.dumps(SHORT))
    out = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "dlcourse.distributed", "torch_ddp", "--out", str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    reports = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world_size"] for r in reports] == [2, 2]
    with np.load(tmp_path / "rank0.npz") as f:
        params = [f[f"params__{i}"] for i in range(4)]
    assert _max_diff(params, _single_process_torch({**distributed.DEFAULT_CONFIG, **SHORT})) < 1e-6


@pytest.mark.notebook
def test_tf_strategies_equal_single_device_training(children_before):
    mirrored = distributed.launch("tf_mirrored", world_size=1, config=SHORT, timeout=300)[0]
    assert mirrored["replicas"] == 2 and len(mirrored["devices"]) == 2
    assert _max_diff(mirrored["params"], mirrored["single_params"]) < 1e-6
    multi = distributed.launch("tf_multiworker", world_size=2, config=SHORT, timeout=300)
    for worker in multi:
        assert worker["replicas"] == 2
        assert _max_diff(worker["params"], mirrored["single_params"]) < 1e-6
    assert not set(_children()) - children_before
