"""dlcourse.device: the environment report, device choice and the matmul timing.

This machine has no GPU: the CPU paths run for real; the CUDA, MPS and TensorFlow-GPU
branches are exercised by replacing the frameworks' device queries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from dlcourse import device
from dlcourse.device import (
    best_device,
    compare_cpu_accelerator,
    environment_report,
    format_report,
    matmul_benchmark,
)


def test_report_without_frameworks_is_light_and_serialisable():
    code = (
        "import sys, json\n"
        "from dlcourse.device import environment_report\n"
        "r = environment_report(frameworks=False)\n"
        "json.dumps(r)\n"
        "print(sorted(m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", "versions must come from metadata, not from importing the frameworks"

    r = environment_report(frameworks=False)
    assert r["packages"]["numpy"] == np.__version__
    assert r["cpu"]["logical_cores"] == os.cpu_count()
    assert 1 <= r["cpu"]["usable_cores"] <= os.cpu_count()
    assert r["memory"]["total_bytes"] > 0
    assert 0 < r["memory"]["available_bytes"] <= r["memory"]["total_bytes"]
    assert r["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert r["torch"] == {"checked": False}
    text = format_report(r)
    assert "devices not checked" in text and "Verdict" not in text


def test_full_report_matches_the_frameworks():
    torch = pytest.importorskip("torch")
    tf = pytest.importorskip("tensorflow")
    r = environment_report()
    json.dumps(r)
    assert r["torch"]["version"] == torch.__version__
    assert r["torch"]["cuda_available"] == torch.cuda.is_available()
    assert r["torch"]["cuda_build"] == torch.version.cuda
    assert r["tensorflow"]["version"] == tf.__version__
    assert len(r["tensorflow"]["gpus"]) == len(tf.config.list_physical_devices("GPU"))
    text = format_report(r)
    for word in ("Python", "CPU", "Memory", "PyTorch", "TensorFlow", "Verdict"):
        assert word in text


def _report(**changes):
    r = environment_report(frameworks=False)
    r["torch"] = {
        "installed": True, "version": "2.x", "cuda_build": None, "hip_build": None,
        "cuda_available": False, "devices": [], "mps_built": False, "mps_available": False,
    }
    r["tensorflow"] = {"installed": True, "version": "2.x", "built_with_cuda": False, "gpus": []}
    r["nvidia_smi"] = None
    r.update(changes)
    return r


def test_format_report_says_plainly_when_there_is_no_accelerator():
    text = format_report(_report())
    assert "CPU-only build" in text
    assert "TensorFlow  no GPU visible" in text
    assert "no GPU or other accelerator" in text
    assert "nvidia-smi  not found" in text


def test_format_report_names_the_gpus():
    r = _report()
    r["torch"].update(
        cuda_build="12.8", cuda_available=True,
        devices=[{"name": "NVIDIA H100 80GB HBM3", "memory_bytes": 80 * 2**30, "capability": "9.0"}],
    )
    r["tensorflow"]["gpus"] = ["NVIDIA H100 80GB HBM3"]
    r["nvidia_smi"] = [{"name": "NVIDIA H100 80GB HBM3", "memory_mib": 81559, "driver": "570.1"}]
    r["memory"]["limit_bytes"] = 2 * 2**30
    text = format_report(r)
    assert "CUDA 12.8: NVIDIA H100 80GB HBM3 (80.0 GiB)" in text
    assert "accelerator in use: PyTorch: cuda, TensorFlow: GPU" in text
    assert "81559 MiB" in text
    assert "this container may use 2.0 GiB" in text


def test_meminfo_and_nvidia_smi_parsing(monkeypatch):
    assert device._parse_meminfo("MemTotal: 100 kB\nMemAvailable: 50 kB\n") == {
        "total_bytes": 102400,
        "available_bytes": 51200,
    }
    monkeypatch.setattr(device.shutil, "which", lambda name: None)
    assert device._nvidia_smi() is None

    monkeypatch.setattr(device.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    seen = {}

    def fake_run(cmd, **kwargs):
        seen["cmd"] = cmd
        return subprocess.CompletedProcess(
            cmd, 0, stdout="NVIDIA H100 80GB HBM3, 81559, 570.86.15\nTesla T4, 15360, 535.1\n", stderr=""
        )

    monkeypatch.setattr(device.subprocess, "run", fake_run)
    assert device._nvidia_smi() == [
        {"name": "NVIDIA H100 80GB HBM3", "memory_mib": 81559, "driver": "570.86.15"},
        {"name": "Tesla T4", "memory_mib": 15360, "driver": "535.1"},
    ]
    assert "--format=csv,noheader,nounits" in seen["cmd"]
    monkeypatch.setattr(device.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 9, "", "no driver"))
    assert device._nvidia_smi() is None


def test_best_device_torch(monkeypatch):
    torch = pytest.importorskip("torch")
    real = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert best_device("torch") == real
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert best_device("torch") == "cpu"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert best_device("torch") == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert best_device("torch") == "cuda"


def test_best_device_tensorflow(monkeypatch):
    tf = pytest.importorskip("tensorflow")
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    assert best_device("tensorflow") == "/CPU:0"
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: ["fake GPU"])
    assert best_device("tensorflow") == "/GPU:0"
    with pytest.raises(ValueError, match="framework"):
        best_device("jax")


@pytest.mark.parametrize(
    ("framework", "cpu"),
    [("numpy", "cpu"), ("torch", "cpu"), ("tensorflow", "/CPU:0")],
)
def test_matmul_benchmark_on_the_cpu(framework, cpu):
    if framework != "numpy":
        pytest.importorskip(framework)
    r = matmul_benchmark(n=48, repeats=3, framework=framework, device=cpu, warmup=1)
    assert r["device"] == cpu and r["n"] == 48 and len(r["times_s"]) == 3
    assert all(t > 0 for t in r["times_s"])
    assert r["median_s"] == sorted(r["times_s"])[1] and r["best_s"] == min(r["times_s"])
    assert r["gflops"] == pytest.approx(2 * 48**3 / r["median_s"] / 1e9)
    json.dumps(r)


def test_timing_waits_for_the_device_after_every_product():
    events = []
    times = device._timed(lambda: events.append("run") or 7, lambda r: events.append(("finish", r)), 3, 2)
    assert len(times) == 3
    assert events == ["run", ("finish", 7)] * 5


def test_torch_sync_picks_the_right_call(monkeypatch):
    torch = pytest.importorskip("torch")
    calls = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda dev=None: calls.append(("cuda", str(dev))))
    monkeypatch.setattr(torch.mps, "synchronize", lambda: calls.append(("mps",)))
    device._torch_sync(torch, torch.device("cuda:1"))(None)
    device._torch_sync(torch, torch.device("mps"))(None)
    device._torch_sync(torch, torch.device("cpu"))(None)
    assert calls == [("cuda", "cuda:1"), ("mps",)]


def test_compare_without_accelerator_says_so(capsys, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setattr(device, "best_device", lambda framework="torch": "cpu")
    r = compare_cpu_accelerator(n=32, repeats=2, framework="torch")
    assert r["accelerator"] is None and r["speedup"] is None
    assert r["cpu"]["device"] == "cpu"
    printed = capsys.readouterr().out
    assert printed.startswith("No accelerator: PyTorch sees no GPU or other accelerator here")
    assert printed.strip() == r["message"]


def test_compare_with_an_accelerator_reports_the_speedup(monkeypatch):
    calls = []

    def fake_benchmark(n, repeats, framework, device):
        calls.append(device)
        seconds = 0.5 if device == "cpu" else 0.01
        return {"device": device, "dtype": "float32", "median_s": seconds, "gflops": 2 * n**3 / seconds / 1e9}

    monkeypatch.setattr(device, "best_device", lambda framework="torch": "cuda")
    monkeypatch.setattr(device, "matmul_benchmark", fake_benchmark)
    r = compare_cpu_accelerator(n=1024, repeats=3, framework="torch", verbose=False)
    assert calls == ["cpu", "cuda"]
    assert r["speedup"] == pytest.approx(50.0)
    assert "50.0x faster" in r["message"] and "cuda" in r["message"]


def test_bad_arguments():
    with pytest.raises(ValueError):
        matmul_benchmark(n=0, framework="numpy")
    with pytest.raises(ValueError, match="framework"):
        matmul_benchmark(n=4, framework="jax")


def test_missing_framework_gives_install_hint(monkeypatch):
    from dlcourse.frameworks import MissingFrameworkError

    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    with pytest.raises(MissingFrameworkError, match="pip install"):
        best_device("torch")
