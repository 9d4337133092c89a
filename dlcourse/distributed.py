"""Data-parallel training across processes on one machine, in PyTorch and TensorFlow.

A notebook cannot hand its own functions to new processes (they cannot be pickled by
reference, and TensorFlow must configure its devices before it starts), so the workers
of the distributed lesson live here, in an importable module, and :func:`launch` starts
them as ``python -m dlcourse.distributed TASK`` sub-processes.

Tasks
-----
``torch_ddp``       PyTorch ``DistributedDataParallel`` over the gloo backend, one process per rank
``tf_mirrored``     ``tf.distribute.MirroredStrategy`` over two logical CPU devices in one process,
                    next to single-device training on the combined batch
``tf_multiworker``  ``tf.distribute.MultiWorkerMirroredStrategy``, one process per worker (``TF_CONFIG``)
``echo``            no framework: reports its rank and memory, or fails or sleeps on request (for tests)

Every training task trains the same multi-layer perceptron on the same global batches of
the shipped MNIST sample, from the same initial weights (:func:`initial_weights`), so its
result can be compared with single-process training on the combined batch.

Importing this module imports neither PyTorch nor TensorFlow: the workers import them.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_CONFIG",
    "TASKS",
    "WorkerError",
    "free_port",
    "initial_weights",
    "launch",
    "mnist_batches",
    "parameter_count",
    "peak_rss_mb",
    "sharded_memory_gb",
]

#: The training set-up every task shares; :func:`launch` merges the caller's changes into it.
DEFAULT_CONFIG: dict[str, Any] = {
    "sizes": [784, 256, 10],  # layer widths of the perceptron
    "global_batch": 200,  # images per step, summed over all workers
    "steps": 40,  # 40 x 200 = 8,000 images: one pass over the training sample
    "lr": 0.1,
    "momentum": 0.9,
    "seed": 0,
    "timing_repeats": 20,  # steps timed separately for the compute / all-reduce split
}

TASKS = ("torch_ddp", "tf_mirrored", "tf_multiworker", "echo")


class WorkerError(RuntimeError):
    """A worker process failed or did not finish in time; the message names the worker."""


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now.

    The operating system picks it (bind to port 0); another program could take it before
    the workers bind it, which on a laptop practically never happens.

    Returns
    -------
    int
        A port number above 1023.

    Examples
    --------
    >>> port = free_port()
    >>> 1023 < port < 65536
    True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mb() -> float:
    """Return the peak resident memory of the calling process so far, in MB (10**6 bytes).

    On Linux this is ``VmHWM`` of ``/proc/self/status``, the high-water mark of this
    program's own address space. ``getrusage``'s ``ru_maxrss`` is not used there: Linux
    carries it over a ``fork`` and an ``exec``, so a small worker started by a large
    process (a notebook kernel, a test runner) would report its parent's size.

    Returns
    -------
    float
        Peak resident memory in MB (``ru_maxrss`` where there is no ``/proc``, e.g. macOS).

    Examples
    --------
    >>> peak_rss_mb() > 1
    True
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1e6 if sys.platform == "darwin" else rss * 1024 / 1e6


def parameter_count(sizes: Sequence[int]) -> int:
    """Count the weights and biases of a perceptron with the given layer widths.

    Parameters
    ----------
    sizes : sequence of int
        Widths from the input to the output, for example ``[784, 256, 10]``.

    Returns
    -------
    int
        Sum over the layers of ``n_in * n_out + n_out``.

    Examples
    --------
    >>> parameter_count([784, 256, 10])
    203530
    """
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ValueError(f"sizes needs at least two positive widths, got {list(sizes)!r}")
    return sum(int(a) * int(b) + int(b) for a, b in zip(sizes[:-1], sizes[1:]))


def initial_weights(sizes: Sequence[int], *, seed: int = 0) -> list[np.ndarray]:
    """Draw the perceptron's initial weights once, in NumPy, for both frameworks.

    He-uniform weights (the default of neither framework, but the same for both) stored as
    ``(n_in, n_out)`` matrices, as Keras keeps them (PyTorch's ``nn.Linear`` keeps the
    transpose), and zero biases.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first.
    seed : int, default 0
        Seed of the NumPy generator.

    Returns
    -------
    list of numpy.ndarray
        ``[W1, b1, W2, b2, ...]`` in float32.

    Examples
    --------
    >>> [w.shape for w in initial_weights([4, 3, 2])]
    [(4, 3), (3,), (3, 2), (2,)]
    """
    parameter_count(sizes)  # validates
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / n_in)
        out += [rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32), np.zeros(n_out, np.float32)]
    return out


def mnist_batches(
    global_batch: int, steps: int, *, seed: int = 0
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Return the indices of each step's global batch into the MNIST training sample.

    Every worker computes the same table and takes its own contiguous share of each row,
    so together the workers see exactly the global batch one process would see.

    Parameters
    ----------
    global_batch : int
        Images per step over all workers.
    steps : int
        Number of steps.
    seed : int, default 0
        Seed of the shuffle.

    Returns
    -------
    tuple of numpy.ndarray
        ``(index, (X, y))``: ``index`` is ``(steps, global_batch)``; ``X`` float32
        ``(8000, 784)`` in [0, 1] and ``y`` int64, the shipped training sample.

    Examples
    --------
    >>> index, (X, y) = mnist_batches(200, 40)
    >>> index.shape, X.shape, len(set(index.ravel()))  # one pass over the 8,000 images
    ((40, 200), (8000, 784), 8000)
    """
    from .datasets import load_mnist_sample

    X, y = load_mnist_sample("train", return_X_y=True)
    if global_batch < 1 or steps < 1:
        raise ValueError(f"global_batch and steps must be positive, got {global_batch} and {steps}")
    rng = np.random.default_rng(seed)
    n_epochs = -(-global_batch * steps // len(y))
    order = np.concatenate([rng.permutation(len(y)) for _ in range(n_epochs)])
    return order[: global_batch * steps].reshape(steps, global_batch), (X, y)


def sharded_memory_gb(
    n_params: float, n_devices: int, *, stage: str = "ddp", k_optimizer: int = 12, bytes_per_value: int = 2
) -> dict[str, float]:
    """Memory per device for model states under plain data parallelism and ZeRO/FSDP sharding.

    The arithmetic of Rajbhandari et al. (2020, "ZeRO", section 3.1 and figure 1) for
    mixed-precision Adam: every parameter needs ``bytes_per_value`` bytes for its 16-bit
    copy, the same for its gradient, and ``k_optimizer`` bytes of optimizer state (a 32-bit
    master copy, momentum and variance: 4 + 4 + 4 = 12). Plain data parallelism keeps all
    of it on every device; ZeRO stage 1 shards the optimizer states over the devices,
    stage 2 also the gradients, stage 3 (PyTorch FSDP's full sharding) also the parameters.
    Activations and buffers come on top.

    Parameters
    ----------
    n_params : float
        Number of parameters.
    n_devices : int
        Number of data-parallel devices.
    stage : {"ddp", "zero1", "zero2", "zero3"}, default "ddp"
        What is sharded. ``"zero3"`` is also what FSDP's ``FULL_SHARD`` does.
    k_optimizer : int, default 12
        Bytes of optimizer state per parameter.
    bytes_per_value : int, default 2
        Bytes of one parameter or gradient value (2 for fp16/bf16, 4 for fp32).

    Returns
    -------
    dict
        ``params``, ``grads``, ``optimizer`` and ``total`` in GB (10**9 bytes) per device.

    Examples
    --------
    ZeRO's own example, a 7.5-billion-parameter model on 64 devices (their figure 1):

    >>> [round(sharded_memory_gb(7.5e9, 64, stage=s)["total"], 1) for s in ("ddp", "zero1", "zero2", "zero3")]
    [120.0, 31.4, 16.6, 1.9]
    """
    shards = {"ddp": (1, 1, 1), "zero1": (1, 1, n_devices), "zero2": (1, n_devices, n_devices)}
    shards["zero3"] = (n_devices, n_devices, n_devices)
    if stage not in shards:
        raise ValueError(f"stage must be one of {sorted(shards)}, got {stage!r}")
    if n_devices < 1 or n_params < 0:
        raise ValueError(f"n_devices must be at least 1 and n_params non-negative, got {n_devices}, {n_params}")
    p, g, o = shards[stage]
    out = {
        "params": bytes_per_value * n_params / p / 1e9,
        "grads": bytes_per_value * n_params / g / 1e9,
        "optimizer": k_optimizer * n_params / o / 1e9,
    }
    out["total"] = sum(out.values())
    return out


# --------------------------------------------------------------------------- the launcher


def launch(
    task: str,
    *,
    world_size: int = 2,
    config: dict[str, Any] | None = None,
    timeout: float = 180.0,
) -> list[dict[str, Any]]:
    """Start ``world_size`` worker processes for ``task``, wait for all, return their reports.

    The workers are ``python -m dlcourse.distributed TASK --rank R ...``. They find each
    other as ``torchrun`` would tell them to: ``MASTER_ADDR=127.0.0.1``, a free
    ``MASTER_PORT``, ``RANK`` and ``WORLD_SIZE`` in the environment (and ``TF_CONFIG`` for
    TensorFlow's multi-worker strategy). If a worker fails, or the time runs out, every
    worker still running is killed and :class:`WorkerError` says which worker failed and
    ends with its last lines of stderr. Workers also die with the launching process.

    We start plain sub-processes rather than ``torch.multiprocessing.spawn``: the same
    launcher then serves TensorFlow, a worker's memory is its own (measured per process),
    and a worker's logs stay in its own files instead of the notebook.

    Parameters
    ----------
    task : str
        One of :data:`TASKS`.
    world_size : int, default 2
        Number of worker processes.
    config : dict, optional
        Changes to :data:`DEFAULT_CONFIG`.
    timeout : float, default 180
        Seconds for all workers together.

    Returns
    -------
    list of dict
        One report per rank, in rank order. Every report has ``rank``, ``world_size``,
        ``peak_rss_mb``, ``shared_libs_mb`` (the part of it in shared libraries), ``wall_s`` and
        ``cpu_s``; training tasks add ``params`` (the final
        weights as NumPy arrays, ``[W1, b1, ...]`` in Keras layout) and timings.

    Raises
    ------
    WorkerError
        A worker exited with an error or the timeout passed.

    Examples
    --------
    >>> reports = launch("echo", world_size=2, timeout=60)
    >>> [r["rank"] for r in reports], all(r["peak_rss_mb"] > 1 for r in reports)
    ([0, 1], True)
    >>> launch("echo", world_size=2, config={"fail_rank": 1}, timeout=60)
    Traceback (most recent call last):
    ...
    dlcourse.distributed.WorkerError: worker 1 of 2 (echo) exited with code 1; its last lines of stderr:
    ...
    RuntimeError: rank 1 was asked to fail (config fail_rank)
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if world_size < 1:
        raise ValueError(f"world_size must be at least 1, got {world_size}")
    cfg = {**DEFAULT_CONFIG, **(config or {})}
    cfg["ports"] = [free_port() for _ in range(world_size)]
    cfg["parent_pid"] = os.getpid()
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="dlcourse-dist-") as tmp:
        out = Path(tmp)
        procs: list[subprocess.Popen[bytes]] = []
        logs = []
        env = {
            **os.environ,
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(cfg["ports"][0]),
            "WORLD_SIZE": str(world_size),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "OMP_NUM_THREADS": "1",
        }
        (out / "config.json").write_text(json.dumps(cfg))
        try:
            for rank in range(world_size):
                log = open(out / f"stderr{rank}.txt", "wb")  # closed in the finally clause below
                logs.append(log)
                cmd = [sys.executable, "-m", "dlcourse.distributed", task, "--out", str(out)]
                procs.append(
                    subprocess.Popen(
                        cmd,
                        env={**env, "RANK": str(rank), "LOCAL_RANK": str(rank)},
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            _wait_all(procs, task, out, timeout)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            for log in logs:
                log.close()
        reports = []
        for rank in range(world_size):
            report = json.loads((out / f"rank{rank}.json").read_text())
            npz = out / f"rank{rank}.npz"
            if npz.exists():  # lists of arrays, saved as NAME__0, NAME__1, ...
                arrays: dict[str, dict[int, np.ndarray]] = {}
                with np.load(npz) as f:
                    for name in f.files:
                        key, i = name.rsplit("__", 1)
                        arrays.setdefault(key, {})[int(i)] = f[name]
                report.update({key: [parts[i] for i in sorted(parts)] for key, parts in arrays.items()})
            reports.append(report)
    return reports


def _wait_all(procs: list[subprocess.Popen[bytes]], task: str, out: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        codes = [p.poll() for p in procs]
        for rank, code in enumerate(codes):
            if code not in (None, 0):
                raise WorkerError(
                    f"worker {rank} of {len(procs)} ({task}) exited with code {code}; "
                    f"its last lines of stderr:\n{_tail(out / f'stderr{rank}.txt')}"
                )
        if all(code == 0 for code in codes):
            return
        if time.monotonic() > deadline:
            waiting = [rank for rank, code in enumerate(codes) if code is None]
            raise WorkerError(
                f"workers {waiting} of {len(procs)} ({task}) did not finish within {timeout:.0f} s and were killed; "
                f"the last lines of worker {waiting[0]}'s stderr:\n{_tail(out / f'stderr{waiting[0]}.txt')}"
            )
        time.sleep(0.05)


def _tail(path: Path, n: int = 8) -> str:
    lines = path.read_text(errors="replace").strip().splitlines() if path.exists() else []
    return "\n".join(lines[-n:]) or "(nothing)"


# --------------------------------------------------------------------------- the workers


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to kill this worker when its launcher dies (no orphans left behind)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the launcher died before prctl took effect
        sys.exit("the launching process is gone")


def _global_batches(cfg: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    index, (X, y) = mnist_batches(cfg["global_batch"], cfg["steps"], seed=cfg["seed"])
    return index, X, y


def _local(index_row: np.ndarray, rank: int, world_size: int) -> np.ndarray:
    """Return this rank's contiguous share of one global batch."""
    share = len(index_row) // world_size
    return index_row[rank * share : (rank + 1) * share]


def _torch_ddp(rank: int, world_size: int, cfg: dict[str, Any]) -> dict[str, Any]:
    import torch
    import torch.distributed as dist
    from torch import nn
    from torch.nn.parallel import DistributedDataParallel as DDP

    torch.set_num_threads(1)
    # init_method "env://": MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE come from the
    # environment, exactly as torchrun sets them on every node.
    dist.init_process_group("gloo", init_method="env://", rank=rank, world_size=world_size)
    try:
        sizes = cfg["sizes"]
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers += [nn.Linear(n_in, n_out)] + ([nn.ReLU()] if i < len(sizes) - 2 else [])
        model = nn.Sequential(*layers)
        with torch.no_grad():
            linears = [m for m in model if isinstance(m, nn.Linear)]
            init = initial_weights(sizes, seed=cfg["seed"])
            for lin, w, b in zip(linears, init[::2], init[1::2]):
                lin.weight.copy_(torch.from_numpy(w.T))
                lin.bias.copy_(torch.from_numpy(b))
        ddp = DDP(model)  # broadcasts rank 0's weights, then all-reduces gradients in backward()
        opt = torch.optim.SGD(ddp.parameters(), lr=cfg["lr"], momentum=cfg["momentum"])
        index, X, y = _global_batches(cfg)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        losses, step_s = [], []
        dist.barrier()
        for row in index:
            t0 = time.perf_counter()
            mine = torch.from_numpy(_local(row, rank, world_size))
            loss = nn.functional.cross_entropy(ddp(Xt[mine]), yt[mine])  # mean over this rank's share
            opt.zero_grad()
            loss.backward()  # DDP averages the gradients over the ranks here
            opt.step()
            step_s.append(time.perf_counter() - t0)
            losses.append(loss.item())
        params = [p.detach().numpy().copy() for p in model.parameters()]
        params = [p.T.copy() if p.ndim == 2 else p for p in params]  # Keras layout

        # Where does a step's time go? Time forward+backward without communication
        # (no_sync), then an all-reduce of a buffer as large as all gradients together.
        compute_s, allreduce_s = [], []
        flat = torch.zeros(sum(p.numel() for p in model.parameters()))
        for row in index[: cfg["timing_repeats"]]:
            mine = torch.from_numpy(_local(row, rank, world_size))
            dist.barrier()
            t0 = time.perf_counter()
            with ddp.no_sync():
                nn.functional.cross_entropy(ddp(Xt[mine]), yt[mine]).backward()
            compute_s.append(time.perf_counter() - t0)
            dist.barrier()
            t0 = time.perf_counter()
            dist.all_reduce(flat)
            allreduce_s.append(time.perf_counter() - t0)
        return {
            "params": params,
            "losses": losses,
            "step_s": float(np.min(step_s)),
            "compute_s": float(np.min(compute_s)),
            "allreduce_s": float(np.min(allreduce_s)),
            "allreduce_bytes": int(flat.numel() * flat.element_size()),
        }
    finally:
        dist.destroy_process_group()


def _keras_mlp(sizes: list[int], seed: int) -> Any:
    import keras

    model = keras.Sequential(
        [keras.Input((sizes[0],))]
        + [keras.layers.Dense(n, activation="relu") for n in sizes[1:-1]]
        + [keras.layers.Dense(sizes[-1])]
    )
    model.set_weights(initial_weights(sizes, seed=seed))
    return model


def _tf_train(strategy: Any, cfg: dict[str, Any], shards: int, rank: int = 0, world_size: int = 1) -> dict[str, Any]:
    """Train with a custom loop under ``strategy``; each of ``shards`` local replicas gets its share.

    ``rank``/``world_size`` pick this process's part of the global batch (multi-worker);
    inside a process, the ``shards`` replicas split that part again (mirrored).
    """
    import keras
    import tensorflow as tf

    global_batch = cfg["global_batch"]
    with strategy.scope():
        model = _keras_mlp(cfg["sizes"], cfg["seed"])
        opt = keras.optimizers.SGD(learning_rate=cfg["lr"], momentum=cfg["momentum"])
        opt.build(model.trainable_variables)  # its momentum slots, mirrored like the weights

    def replica_step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            per_example = keras.losses.sparse_categorical_crossentropy(y, model(x, training=True), from_logits=True)
            # divide by the GLOBAL batch: the replicas' gradients are then summed, not averaged
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))  # all-reduces (sums) the gradients
        return loss

    @tf.function
    def step(x: Any, y: Any) -> Any:
        return strategy.reduce("SUM", strategy.run(replica_step, args=(x, y)), axis=None)

    index, X, y = _global_batches(cfg)
    losses, step_s = [], []
    for row in index:
        mine = _local(row, rank, world_size)
        if shards == 1:
            xb, yb = tf.constant(X[mine]), tf.constant(y[mine])
        else:
            parts = np.array_split(mine, shards)
            xb = strategy.experimental_distribute_values_from_function(
                lambda ctx, parts=parts: tf.constant(X[parts[ctx.replica_id_in_sync_group]])
            )
            yb = strategy.experimental_distribute_values_from_function(
                lambda ctx, parts=parts: tf.constant(y[parts[ctx.replica_id_in_sync_group]])
            )
        t0 = time.perf_counter()
        losses.append(float(step(xb, yb)))
        step_s.append(time.perf_counter() - t0)
    return {
        "params": [w.numpy() if hasattr(w, "numpy") else np.asarray(w) for w in model.get_weights()],
        "losses": losses,
        "step_s": float(np.min(step_s[1:])),  # the first step traces the function
        "replicas": int(strategy.num_replicas_in_sync),
    }


def _tf_mirrored(rank: int, world_size: int, cfg: dict[str, Any]) -> dict[str, Any]:
    import tensorflow as tf

    # Must run before TensorFlow initialises its devices, hence a fresh process.
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    single = _tf_train(tf.distribute.get_strategy(), cfg, shards=1)  # the default: no distribution
    mirrored = _tf_train(tf.distribute.MirroredStrategy(devices), cfg, shards=2)
    return {
        "devices": devices,
        "params": mirrored["params"],
        "single_params": single["params"],
        "losses": mirrored["losses"],
        "single_losses": single["losses"],
        "step_s": mirrored["step_s"],
        "single_step_s": single["step_s"],
        "replicas": mirrored["replicas"],
    }


def _tf_multiworker(rank: int, world_size: int, cfg: dict[str, Any]) -> dict[str, Any]:
    # TF_CONFIG names every worker's address and this process's place among them; it must be
    # set before the strategy is created. On real machines the addresses are host names.
    os.environ["TF_CONFIG"] = json.dumps(
        {
            "cluster": {"worker": [f"127.0.0.1:{port}" for port in cfg["ports"]]},
            "task": {"type": "worker", "index": rank},
        }
    )
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    return _tf_train(strategy, cfg, shards=1, rank=rank, world_size=world_size)


def _echo(rank: int, world_size: int, cfg: dict[str, Any]) -> dict[str, Any]:
    time.sleep(cfg.get("sleep", 0))
    if cfg.get("fail_rank") == rank:
        raise RuntimeError(f"rank {rank} was asked to fail (config fail_rank)")
    return {"pid": os.getpid()}


_WORKERS = {"torch_ddp": _torch_ddp, "tf_mirrored": _tf_mirrored, "tf_multiworker": _tf_multiworker, "echo": _echo}


def _main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dlcourse.distributed", description="run one worker")
    parser.add_argument("task", choices=TASKS)
    parser.add_argument("--out", required=True, type=Path, help="folder for the reports; may hold a config.json")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    config = args.out / "config.json"
    # Under torchrun there is no config file: the defaults apply, and the parent is torchrun's agent.
    cfg = {**DEFAULT_CONFIG, **(json.loads(config.read_text()) if config.exists() else {})}
    _die_with_parent(cfg.get("parent_pid", os.getppid()))
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    t0, cpu0 = time.perf_counter(), time.process_time()
    report = _WORKERS[args.task](rank, world_size, cfg)
    arrays = {k: v for k, v in report.items() if isinstance(v, list) and v and isinstance(v[0], np.ndarray)}
    for key in arrays:
        del report[key]
    if arrays:
        np.savez(args.out / f"rank{rank}.npz", **{f"{k}__{i}": a for k, v in arrays.items() for i, a in enumerate(v)})
    report.update(
        rank=rank,
        world_size=world_size,
        wall_s=time.perf_counter() - t0,
        cpu_s=time.process_time() - cpu0,
        peak_rss_mb=peak_rss_mb(),
        shared_libs_mb=_rss_file_mb(),
    )
    (args.out / f"rank{rank}.json").write_text(json.dumps(report))


def _rss_file_mb() -> float:
    """Resident memory backed by files (mostly shared libraries, shared with other processes), in MB."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssFile:"):
                return int(line.split()[1]) * 1024 / 1e6
    return float("nan")


if __name__ == "__main__":
    _main()
