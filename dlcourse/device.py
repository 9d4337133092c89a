"""What is this machine? Python, packages, CPU, memory, GPUs; the best device; a matmul timing.

Nothing here is imported by ``import dlcourse``, and importing this module imports neither
PyTorch nor TensorFlow. Package versions come from the installed metadata; only the
functions that must ask a framework about its devices import it, when called.

Examples
--------
>>> from dlcourse.device import environment_report, format_report
>>> report = environment_report(frameworks=False)
>>> report["cpu"]["logical_cores"] >= 1
True
>>> print(format_report(report))  # doctest: +ELLIPSIS
dlcourse environment report
  Python ...
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "best_device",
    "compare_cpu_accelerator",
    "environment_report",
    "format_report",
    "matmul_benchmark",
]

Framework = Literal["torch", "tensorflow"]

#: Packages whose versions the report lists (distribution names; the first one found wins).
PACKAGES: dict[str, tuple[str, ...]] = {
    "numpy": ("numpy",),
    "torch": ("torch",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos", "tensorflow-intel", "tf-nightly"),
    "keras": ("keras",),
    "jupyterlab": ("jupyterlab",),
    "ipywidgets": ("ipywidgets",),
    "nbgrader": ("nbgrader",),
    "dlcourse": ("dlcourse",),
}


# --------------------------------------------------------------------------- the machine


def _package_versions() -> dict[str, str | None]:
    import importlib.metadata  # here, not at the top: it costs ~20 ms to import

    versions: dict[str, str | None] = {}
    for name, distributions in PACKAGES.items():
        versions[name] = None
        for dist in distributions:
            try:
                versions[name] = importlib.metadata.version(dist)
                break
            except importlib.metadata.PackageNotFoundError:
                continue
    return versions


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "Hardware", "cpu model") and value.strip():
                    return value.strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5
            ).stdout.strip()
            if out:
                return out
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or "unknown"


def _parse_meminfo(text: str) -> dict[str, int]:
    r"""Return the bytes of ``MemTotal`` and ``MemAvailable`` from the text of ``/proc/meminfo``.

    Examples
    --------
    >>> _parse_meminfo("MemTotal:  2048 kB\nMemFree: 10 kB\nMemAvailable:  1024 kB\n")
    {'total_bytes': 2097152, 'available_bytes': 1048576}
    """
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if key in ("MemTotal", "MemAvailable") and parts and parts[0].isdigit():
            factor = 1024 if parts[1:2] == ["kB"] else 1
            values[key] = int(parts[0]) * factor
    out = {}
    if "MemTotal" in values:
        out["total_bytes"] = values["MemTotal"]
    if "MemAvailable" in values:
        out["available_bytes"] = values["MemAvailable"]
    return out


def _cgroup_memory_limit() -> int | None:
    """Return the container's memory limit in bytes (Binder, Docker, Kubernetes), if one is set."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:  # "max" or a huge number mean no limit
            return int(text)
    return None


def _memory() -> dict[str, int | None]:
    mem: dict[str, int | None] = {"total_bytes": None, "available_bytes": None, "limit_bytes": None}
    try:
        mem.update(_parse_meminfo(Path("/proc/meminfo").read_text()))
    except OSError:
        if hasattr(os, "sysconf"):
            try:
                page = os.sysconf("SC_PAGE_SIZE")
                mem["total_bytes"] = page * os.sysconf("SC_PHYS_PAGES")
                mem["available_bytes"] = page * os.sysconf("SC_AVPHYS_PAGES")
            except (ValueError, OSError):  # macOS has no SC_AVPHYS_PAGES
                pass
        if sys.platform == "win32":
            mem.update(_windows_memory())
    mem["limit_bytes"] = _cgroup_memory_limit()
    return mem


def _windows_memory() -> dict[str, int]:
    import ctypes

    class MemoryStatusEx(ctypes.Structure):
        _fields_ = [
            ("dwLength", ctypes.c_ulong),
            ("dwMemoryLoad", ctypes.c_ulong),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    status = MemoryStatusEx()
    status.dwLength = ctypes.sizeof(MemoryStatusEx)
    try:
        windll = getattr(ctypes, "windll", None)  # Windows only
        if windll is not None and windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
            return {"total_bytes": status.ullTotalPhys, "available_bytes": status.ullAvailPhys}
    except (AttributeError, OSError):
        pass
    return {}


def _nvidia_smi() -> list[dict[str, Any]] | None:
    """GPUs listed by ``nvidia-smi`` (name, memory in MiB, driver), or None without it."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        result = subprocess.run(
            [exe, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=15,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    gpus = []
    for line in result.stdout.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) == 3 and fields[0]:
            memory = int(fields[1]) if fields[1].isdigit() else None
            gpus.append({"name": fields[0], "memory_mib": memory, "driver": fields[2]})
    return gpus


def _torch_report() -> dict[str, Any]:
    from .frameworks import available

    if not available("torch"):
        return {"installed": False}
    try:
        import torch
    except Exception as exc:  # a broken install must not stop the report
        return {"installed": True, "error": f"{type(exc).__name__}: {exc}"}
    info: dict[str, Any] = {
        "installed": True,
        "version": torch.__version__,
        "cuda_build": torch.version.cuda,  # None for CPU-only builds
        "hip_build": getattr(torch.version, "hip", None),  # AMD ROCm builds
        "cuda_available": bool(torch.cuda.is_available()),
        "devices": [],
        "mps_built": False,
        "mps_available": False,
    }
    if info["cuda_available"]:
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            info["devices"].append(
                {"name": props.name, "memory_bytes": int(props.total_memory), "capability": f"{props.major}.{props.minor}"}
            )
    mps = getattr(torch.backends, "mps", None)
    if mps is not None:
        info["mps_built"] = bool(mps.is_built())
        info["mps_available"] = bool(mps.is_available())
    return info


def _tensorflow_report() -> dict[str, Any]:
    from .frameworks import available

    if not available("tensorflow"):
        return {"installed": False}
    try:
        from .frameworks import require_tensorflow

        tf = require_tensorflow()
        gpus = tf.config.list_physical_devices("GPU")
        names = []
        for gpu in gpus:
            try:
                names.append(tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name))
            except Exception:
                names.append(gpu.name)
        return {
            "installed": True,
            "version": tf.__version__,
            "built_with_cuda": bool(tf.test.is_built_with_cuda()),
            "gpus": names,
        }
    except Exception as exc:
        return {"installed": True, "error": f"{type(exc).__name__}: {exc}"}


def environment_report(frameworks: bool = True) -> dict[str, Any]:
    """Describe this machine and Python environment, as a JSON-serialisable dict.

    Parameters
    ----------
    frameworks : bool, default True
        Also ask PyTorch and TensorFlow which devices they see. This imports them (a few
        seconds and several hundred MB); with ``False`` only their installed versions are
        reported and nothing heavy is imported.

    Returns
    -------
    dict
        ``python`` (version, implementation, executable), ``os``, ``packages`` (versions or
        None), ``cpu`` (model, logical and usable cores), ``memory`` (bytes total, available,
        container limit or None), ``torch`` (CUDA, devices, Apple MPS), ``tensorflow``
        (visible GPUs), ``nvidia_smi`` (GPUs that ``nvidia-smi`` lists, or None when it is
        not installed).

    Examples
    --------
    >>> from dlcourse.device import environment_report
    >>> r = environment_report(frameworks=False)
    >>> sorted(r)
    ['cpu', 'memory', 'nvidia_smi', 'os', 'packages', 'python', 'tensorflow', 'torch']
    >>> r["packages"]["numpy"] is not None
    True
    """
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    report: dict[str, Any] = {
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "os": {"system": platform.system(), "release": platform.release(), "platform": platform.platform()},
        "packages": _package_versions(),
        "cpu": {"model": _cpu_model(), "machine": platform.machine(), "logical_cores": os.cpu_count(), "usable_cores": usable},
        "memory": _memory(),
        "torch": {"checked": False},
        "tensorflow": {"checked": False},
        "nvidia_smi": _nvidia_smi(),
    }
    if frameworks:
        report["torch"] = _torch_report()
        report["tensorflow"] = _tensorflow_report()
    return report


def _gib(n: int | None) -> str:
    return "unknown" if n is None else f"{n / 2**30:.1f} GiB"


def format_report(report: dict[str, Any]) -> str:
    """Render :func:`environment_report` as a short text for people.

    Parameters
    ----------
    report : dict
        What :func:`environment_report` returned.

    Returns
    -------
    str
        A few lines: Python, CPU, memory, packages, accelerators.

    Examples
    --------
    >>> from dlcourse.device import environment_report, format_report
    >>> text = format_report(environment_report(frameworks=False))
    >>> text.splitlines()[0]
    'dlcourse environment report'
    """
    py, cpu, mem, pk = report["python"], report["cpu"], report["memory"], report["packages"]
    lines = ["dlcourse environment report"]
    lines.append(f"  Python      {py['version']} ({py['implementation']}) on {report['os']['platform']}")
    lines.append(f"  CPU         {cpu['model']}, {cpu['logical_cores']} logical cores ({cpu['usable_cores']} usable)")
    memory = f"{_gib(mem['total_bytes'])} total, {_gib(mem['available_bytes'])} available"
    if mem.get("limit_bytes"):
        memory += f"; this container may use {_gib(mem['limit_bytes'])}"
    lines.append(f"  Memory      {memory}")
    lines.append("  Packages    " + ", ".join(f"{k} {v}" for k, v in pk.items() if v))
    missing = [k for k, v in pk.items() if not v]
    if missing:
        lines.append("  Not found   " + ", ".join(missing))

    accelerators = []
    torch_info = report["torch"]
    if torch_info.get("checked") is False:
        lines.append("  PyTorch     devices not checked")
    elif not torch_info.get("installed"):
        lines.append("  PyTorch     not installed")
    elif "error" in torch_info:
        lines.append(f"  PyTorch     cannot be imported: {torch_info['error']}")
    else:
        if torch_info["cuda_available"]:
            gpus = "; ".join(f"{d['name']} ({_gib(d['memory_bytes'])})" for d in torch_info["devices"])
            cuda = f"CUDA {torch_info['cuda_build'] or torch_info.get('hip_build')}: {gpus}"
            accelerators.append("PyTorch: cuda")
        elif torch_info["cuda_build"]:
            cuda = f"built for CUDA {torch_info['cuda_build']}, but no usable NVIDIA GPU"
        else:
            cuda = "CPU-only build (no CUDA)"
        if torch_info["mps_available"]:
            mps = "Apple MPS available"
            accelerators.append("PyTorch: mps")
        else:
            mps = "Apple MPS not available"
        lines.append(f"  PyTorch     {cuda}; {mps}")

    tf_info = report["tensorflow"]
    if tf_info.get("checked") is False:
        lines.append("  TensorFlow  devices not checked")
    elif not tf_info.get("installed"):
        lines.append("  TensorFlow  not installed")
    elif "error" in tf_info:
        lines.append(f"  TensorFlow  cannot be imported: {tf_info['error']}")
    elif tf_info["gpus"]:
        lines.append(f"  TensorFlow  GPUs: {', '.join(tf_info['gpus'])}")
        accelerators.append("TensorFlow: GPU")
    else:
        lines.append("  TensorFlow  no GPU visible")

    smi = report.get("nvidia_smi")
    if smi is None:
        lines.append("  nvidia-smi  not found (no NVIDIA driver)")
    else:
        lines.append(
            "  nvidia-smi  "
            + ("; ".join(f"{g['name']}, {g['memory_mib']} MiB, driver {g['driver']}" for g in smi) or "no GPU listed")
        )

    checked = torch_info.get("checked") is not False or tf_info.get("checked") is not False
    if accelerators:
        lines.append(f"  Verdict     accelerator in use: {', '.join(accelerators)}")
    elif checked:
        lines.append("  Verdict     no GPU or other accelerator: everything runs on the CPU (the lessons are sized for that)")
    return "\n".join(lines)


# --------------------------------------------------------------------------- devices


def best_device(framework: Framework = "torch") -> str:
    """Return the fastest device a framework can use here.

    Parameters
    ----------
    framework : {"torch", "tensorflow"}

    Returns
    -------
    str
        PyTorch: ``"cuda"`` (NVIDIA, or AMD with ROCm), else ``"mps"`` (Apple GPU), else
        ``"cpu"``. TensorFlow: ``"/GPU:0"`` or ``"/CPU:0"``; use it in ``with tf.device(...)``.

    Examples
    --------
    >>> from dlcourse.device import best_device
    >>> best_device("torch") in ("cuda", "mps", "cpu")
    True
    """
    if framework == "torch":
        from .frameworks import require_torch

        torch = require_torch("choose a device")
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if framework == "tensorflow":
        from .frameworks import require_tensorflow

        tf = require_tensorflow("choose a device")
        return "/GPU:0" if tf.config.list_physical_devices("GPU") else "/CPU:0"
    raise ValueError(f"framework must be 'torch' or 'tensorflow', got {framework!r}")


def _is_cpu(device: str) -> bool:
    return device.lower().lstrip("/").startswith("cpu")


def _timed(run: Callable[[], Any], finish: Callable[[Any], None], repeats: int, warmup: int) -> list[float]:
    """Seconds per call of ``run``; ``finish(result)`` waits until the device is done."""
    for _ in range(warmup):
        finish(run())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        finish(run())
        times.append(time.perf_counter() - start)
    return times


def _torch_sync(torch: Any, device: Any) -> Callable[[Any], None]:
    """Return a function that blocks until all queued work on ``device`` has finished."""
    if device.type == "cuda":
        return lambda _result: torch.cuda.synchronize(device)
    if device.type == "mps":
        return lambda _result: torch.mps.synchronize()
    return lambda _result: None


def matmul_benchmark(
    n: int = 2048,
    repeats: int = 5,
    framework: Literal["torch", "numpy", "tensorflow"] = "torch",
    device: str | None = None,
    dtype: str = "float32",
    warmup: int = 2,
) -> dict[str, Any]:
    """Time the product of two random ``n x n`` matrices on one device.

    A matrix product costs ``2 n**3`` floating-point operations; the result reports the
    median time and the speed in GFLOP/s (10**9 operations per second). The first
    ``warmup`` products are not timed (they include start-up work such as loading GPU
    kernels). GPUs work asynchronously: each timed product waits for the device to finish
    (``torch.cuda.synchronize``, ``torch.mps.synchronize``; in TensorFlow, fetching one
    number computed from the result), otherwise only the time to *queue* the work would be
    measured.

    Parameters
    ----------
    n : int, default 2048
    repeats : int, default 5
        Timed products; the median is reported.
    framework : {"torch", "numpy", "tensorflow"}, default "torch"
    device : str, optional
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` (torch) or ``"/CPU:0"``, ``"/GPU:0"``
        (TensorFlow); default :func:`best_device`. NumPy always uses the CPU.
    dtype : str, default "float32"
    warmup : int, default 2

    Returns
    -------
    dict
        ``framework``, ``device``, ``n``, ``dtype``, ``times_s`` (each timed product),
        ``median_s``, ``best_s``, ``gflops`` (from the median), ``threads`` (CPU threads
        torch uses, when relevant) and, on GPUs, ``tf32`` (whether float32 products may
        use the faster, less precise TensorFloat-32 mode: TensorFlow's default is on,
        PyTorch's is off).

    Examples
    --------
    >>> from dlcourse.device import matmul_benchmark
    >>> r = matmul_benchmark(n=64, repeats=3, framework="numpy")
    >>> r["device"], len(r["times_s"]), r["gflops"] > 0
    ('cpu', 3, True)
    """
    if n < 1 or repeats < 1 or warmup < 0:
        raise ValueError("n and repeats must be positive and warmup non-negative")
    extra: dict[str, Any] = {}
    if framework == "numpy":
        import numpy as np

        rng = np.random.default_rng(0)
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        device = "cpu"
        times = _timed(lambda: a @ b, lambda _r: None, repeats, warmup)
    elif framework == "torch":
        from .frameworks import require_torch

        torch = require_torch("time a matrix product")
        dev = torch.device(device or best_device("torch"))
        generator = torch.Generator().manual_seed(0)
        a = torch.randn(n, n, generator=generator, dtype=getattr(torch, dtype)).to(dev)
        b = torch.randn(n, n, generator=generator, dtype=getattr(torch, dtype)).to(dev)
        device = str(dev)
        if dev.type == "cpu":
            extra["threads"] = torch.get_num_threads()
        else:
            extra["tf32"] = torch.get_float32_matmul_precision() != "highest"
        with torch.no_grad():
            times = _timed(lambda: a @ b, _torch_sync(torch, dev), repeats, warmup)
    elif framework == "tensorflow":
        from .frameworks import require_tensorflow

        tf = require_tensorflow("time a matrix product")
        device = device or best_device("tensorflow")
        if not _is_cpu(device):
            extra["tf32"] = bool(tf.config.experimental.tensor_float_32_execution_enabled())
        with tf.device(device):
            a = tf.random.stateless_normal((n, n), seed=(0, 0), dtype=dtype)
            b = tf.random.stateless_normal((n, n), seed=(0, 1), dtype=dtype)
            # .numpy() of a scalar waits for the product without copying the whole matrix.
            times = _timed(lambda: tf.linalg.matmul(a, b), lambda c: tf.reduce_sum(c).numpy(), repeats, warmup)
    else:
        raise ValueError(f"framework must be 'torch', 'numpy' or 'tensorflow', got {framework!r}")
    median = statistics.median(times)
    return {
        "framework": framework,
        "device": device,
        "n": n,
        "dtype": dtype,
        "repeats": repeats,
        "times_s": times,
        "median_s": median,
        "best_s": min(times),
        "gflops": 2 * n**3 / median / 1e9,
        **extra,
    }


def compare_cpu_accelerator(
    n: int = 2048,
    repeats: int = 5,
    framework: Literal["torch", "numpy", "tensorflow"] = "torch",
    verbose: bool = True,
) -> dict[str, Any]:
    """Time the same matrix product on the CPU and, when there is one, on the accelerator.

    Parameters
    ----------
    n, repeats : int
        As for :func:`matmul_benchmark`.
    framework : {"torch", "tensorflow", "numpy"}, default "torch"
        NumPy only ever uses the CPU.
    verbose : bool, default True
        Print the one-line conclusion.

    Returns
    -------
    dict
        ``cpu`` and ``accelerator`` (results of :func:`matmul_benchmark`; ``accelerator``
        is None when there is none), ``speedup`` (CPU time / accelerator time, or None) and
        ``message``.

    Examples
    --------
    >>> from dlcourse.device import compare_cpu_accelerator
    >>> r = compare_cpu_accelerator(n=64, repeats=2, framework="numpy", verbose=False)
    >>> r["accelerator"] is None, r["speedup"] is None
    (True, True)
    """
    if framework == "numpy":
        accelerator = "cpu"
        cpu_device = "cpu"
    else:
        accelerator = best_device(framework)
        cpu_device = "cpu" if framework == "torch" else "/CPU:0"
    cpu = matmul_benchmark(n, repeats, framework, device=cpu_device)
    what = f"{n}x{n} {cpu['dtype']} matrix product"
    if _is_cpu(accelerator):
        acc = None
        speedup = None
        reason = "NumPy only uses the CPU" if framework == "numpy" else f"{_FRAMEWORK_NAMES[framework]} sees no GPU or other accelerator here"
        message = (
            f"No accelerator: {reason}, so only the CPU was timed. A {what} takes "
            f"{cpu['median_s'] * 1e3:.1f} ms on the CPU ({cpu['gflops']:.1f} GFLOP/s)."
        )
    else:
        acc = matmul_benchmark(n, repeats, framework, device=accelerator)
        speedup = cpu["median_s"] / acc["median_s"]
        message = (
            f"A {what}: CPU {cpu['median_s'] * 1e3:.1f} ms ({cpu['gflops']:.1f} GFLOP/s), "
            f"{accelerator} {acc['median_s'] * 1e3:.2f} ms ({acc['gflops']:.1f} GFLOP/s): "
            f"the accelerator is {speedup:.1f}x faster."
        )
    if verbose:
        print(message)
    return {"cpu": cpu, "accelerator": acc, "speedup": speedup, "message": message}


_FRAMEWORK_NAMES = {"torch": "PyTorch", "tensorflow": "TensorFlow", "numpy": "NumPy"}
