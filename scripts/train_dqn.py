"""Train the CartPole DQN policy that ships with dlcourse, with the lesson's own code.

The algorithm is not copied here: this script reads ``course/module2/09_dqn.ipynb``, runs its code
cells tagged ``dqn-core`` (replay buffer, Q-networks, PyTorch and Keras DQN agents, training loop,
evaluation) and calls the lesson's ``run_dqn`` with the lesson's ``CONFIG``. The network with the
best greedy evaluation (10 episodes, seeds 5000-5009, every ``eval_every`` steps) is kept, tested on
100 episodes with seeds 10000-10099, and written to ``dlcourse/weights/`` with a provenance record
(``cartpole_dqn.json``: command, seed, config, versions, evaluation, sha256).

Usage (from the repository root)::

    python scripts/train_dqn.py --framework torch
    python scripts/train_dqn.py --framework keras
    python scripts/train_dqn.py --framework torch --quick --out-dir /tmp/w   # smoke test (2,000 steps)
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import linecache
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import dlcourse  # noqa: E402  (sets TensorFlow's log level before TensorFlow loads)
from dlcourse.datasets import sha256_of  # noqa: E402
from dlcourse.weights import WEIGHTS_DIR  # noqa: E402

NAME = "cartpole_dqn"
LESSON = ROOT / "course" / "module2" / "09_dqn.ipynb"
TAG = "dqn-core"
FILES = {"torch": f"{NAME}.pt", "keras": f"{NAME}.weights.h5"}


def lesson_namespace(framework: str) -> dict:
    """Run the lesson's ``dqn-core`` cells and return their namespace."""
    import copy

    import gymnasium as gym
    import keras
    import nbformat
    import numpy as np
    import tensorflow as tf
    import torch
    import torch.nn as nn

    torch.set_num_threads(1)  # tiny network: one thread is fastest and repeatable
    if framework == "keras":
        tf.config.experimental.enable_op_determinism()
    ns: dict = {"copy": copy, "gym": gym, "np": np, "torch": torch, "nn": nn, "keras": keras, "tf": tf}
    nb = nbformat.read(LESSON, as_version=4)
    core = [c.source for c in nb.cells if c.cell_type == "code" and TAG in c.metadata.get("tags", [])]
    if not core:
        raise RuntimeError(f"no cells tagged {TAG!r} in {LESSON}")
    for i, source in enumerate(core):
        filename = f"<{LESSON.name} cell {i + 1} tagged {TAG}>"
        # register the source so that inspect (and TensorFlow's AutoGraph, which reads it) can find it
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), ns)  # noqa: S102 - the course's own lesson
    return ns


def versions(framework: str) -> dict[str, str]:
    import gymnasium
    import numpy as np
    import torch

    out = {"python": platform.python_version(), "numpy": np.__version__, "gymnasium": gymnasium.__version__,
           "dlcourse": dlcourse.__version__, "torch": torch.__version__}
    if framework == "keras":
        import keras
        import tensorflow as tf

        out.update(tensorflow=tf.__version__, keras=keras.__version__)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", choices=["torch", "keras"], required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", type=Path, default=WEIGHTS_DIR, help="where to write the weights and the JSON")
    parser.add_argument("--quick", action="store_true", help="2,000 steps: a smoke test, not for shipping")
    args = parser.parse_args(argv)

    ns = lesson_namespace(args.framework)
    config = dict(ns["CONFIG"])
    n_steps, eval_every = config["n_steps"], config["eval_every"]
    if args.quick:
        n_steps, eval_every = 2_000, 1_000
    Agent = ns["TorchDQN"] if args.framework == "torch" else ns["KerasDQN"]
    agent = Agent(config, seed=args.seed)

    print(f"Training {NAME} ({args.framework}) for {n_steps:,} steps, seed {args.seed}, config {config}")
    start = time.perf_counter()

    def progress(t, returns):
        if (t + 1) % 5_000 == 0:
            recent = sum(returns[-10:]) / max(1, len(returns[-10:]))
            print(f"  step {t + 1:,}: mean return of the last 10 episodes {recent:.0f}", flush=True)

    returns, evaluations, best = ns["run_dqn"](agent, config, n_steps, seed=args.seed, eval_every=eval_every,
                                               progress=progress)
    seconds = time.perf_counter() - start
    best_step, best_score = max(((s, v) for s, v in evaluations), key=lambda sv: (sv[1], sv[0]))
    agent.set_weights(best)
    final = ns["greedy_returns"](agent.q_values, 100, seed=10_000)
    print(f"evaluations (step, mean of 10 episodes): {evaluations}")
    print(f"kept step {best_step}; 100 test episodes: mean {final.mean():.1f}, min {final.min():.0f}")

    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / FILES[args.framework]
    if args.framework == "torch":
        import torch

        torch.save(agent.q.state_dict(), out)
    else:
        agent.q.save_weights(out)  # the Q-network is never compiled: weights only, no optimizer state

    command = f"python scripts/train_dqn.py --framework {args.framework} --seed {args.seed}"
    if args.quick:
        command += " --quick"
    config_used = {**config, "n_steps": n_steps, "eval_every": eval_every}
    entry = {
        "file": out.name,
        "sha256": sha256_of(out),
        "bytes": out.stat().st_size,
        "command": command,
        "script": "scripts/train_dqn.py (runs the cells tagged 'dqn-core' of course/module2/09_dqn.ipynb)",
        "seed": args.seed,
        "config": config_used,
        "environment": "gymnasium CartPole-v1 (500-step limit, reward threshold 475)",
        "selection": f"greedy mean return on 10 episodes (seeds 5000-5009) every {eval_every} steps; best kept",
        "evaluations": [[int(s), float(v)] for s, v in evaluations],
        "best_step": int(best_step),
        "eval_episodes": 100,
        "eval_seeds": "10000-10099",
        "eval_mean_return": round(float(final.mean()), 2),
        "eval_min_return": float(final.min()),
        "train_episodes": len(returns),
        "train_seconds": round(seconds, 1),
        "trained_on": _dt.date.today().isoformat(),
        "versions": versions(args.framework),
    }
    record_path = args.out_dir / f"{NAME}.json"
    record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.exists() else {}
    record.update(
        {
            "name": NAME,
            "system": "#22 (deep Q-learning on CartPole)",
            "description": (
                "Q-network 4 -> 64 -> 64 -> 2 (ReLU; dlcourse.weights.cartpole_qnet) trained by DQN on "
                "CartPole-v1 with the code of course/module2/09_dqn.ipynb. Act greedily: argmax of the output."
            ),
            "input": "CartPole observation (cart position, cart velocity, pole angle, pole angular velocity), float32",
        }
    )
    record[args.framework] = entry
    record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out} ({entry['bytes']} bytes, sha256 {entry['sha256'][:12]}...) and {record_path} "
          f"in {seconds:.0f} s of training")
    return entry


if __name__ == "__main__":
    main()
