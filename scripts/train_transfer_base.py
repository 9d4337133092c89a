"""Train the small digit CNN that the transfer-learning lesson reuses.

The source task: the MNIST sample's training images of digits 0-4 (about 4,100 real
hand-written digits, ``dlcourse.datasets.load_mnist_sample("train")``). The network is
``dlcourse.weights.digits_cnn`` (three conv/pool blocks, 288 features, a 5-way head).
The weights are written into ``dlcourse/weights/`` together with a provenance record
(``mnist04_cnn.json``): command, seed, data, hyper-parameters, library versions, test
accuracy on the held-out digits 0-4, file size and sha256.

Usage (from the repository root)::

    python scripts/train_transfer_base.py --framework torch
    python scripts/train_transfer_base.py --framework keras
    python scripts/train_transfer_base.py --framework torch --quick --out-dir /tmp/w   # smoke test

The same seed gives the same weights on the same machine and library versions.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import dlcourse  # noqa: E402  (sets TensorFlow's log level before TensorFlow loads)
from dlcourse.datasets import load_mnist_sample, sha256_of  # noqa: E402
from dlcourse.weights import WEIGHTS_DIR, digits_cnn  # noqa: E402

NAME = "mnist04_cnn"
SOURCE_CLASSES = [0, 1, 2, 3, 4]
FILES = {"torch": f"{NAME}.pt", "keras": f"{NAME}.weights.h5"}


def source_task(subset: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (n, 28, 28) float32 in [0, 1] and labels of digits 0-4 from the MNIST sample."""
    bunch = load_mnist_sample(subset)
    keep = np.isin(bunch.target, SOURCE_CLASSES)
    return bunch.images[keep].astype(np.float32) / 255.0, bunch.target[keep]


def shifted(X: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Each image moved by a random whole number of pixels, up to ``max_shift`` along each axis.

    MNIST digits sit in a 20x20 box with a 4-pixel empty border, so rolling by at most 2 pixels
    only moves background around. A network trained on shifted copies learns features that do
    not depend on exactly where a stroke is, which makes them more useful for new digits.
    """
    if max_shift == 0:
        return X
    out = np.empty_like(X)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(X), 2))
    for i, (dy, dx) in enumerate(shifts):
        out[i] = np.roll(X[i], (int(dy), int(dx)), axis=(0, 1))
    return out


def train_torch(X, y, Xte, yte, *, epochs, batch_size, lr, seed, shift, out):
    import torch

    torch.set_num_threads(1)  # tiny network: one thread is as fast and fully repeatable
    dlcourse.seed_everything(seed)
    model = digits_cnn("torch")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    yt = torch.from_numpy(y)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        model.train()
        Xt = torch.from_numpy(shifted(X, shift, rng)[:, None])   # new random shifts every epoch
        order = torch.randperm(len(Xt), generator=gen)
        for i in range(0, len(Xt), batch_size):
            idx = order[i : i + batch_size]
            loss = torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"  epoch {epoch + 1}/{epochs}: last batch loss {loss.item():.4f}", flush=True)
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(Xte[:, None])).argmax(1).numpy()
    torch.save(model.state_dict(), out)
    return float((pred == yte).mean()), sum(p.numel() for p in model.parameters())


def train_keras(X, y, Xte, yte, *, epochs, batch_size, lr, seed, shift, out):
    import keras
    import tensorflow as tf

    dlcourse.seed_everything(seed)
    tf.config.experimental.enable_op_determinism()  # repeatable run to run
    model = digits_cnn("keras")
    model.compile(
        optimizer=keras.optimizers.Adam(lr),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):   # one fit per epoch: new random shifts every epoch
        hist = model.fit(shifted(X, shift, rng)[..., None], y, batch_size=batch_size, epochs=1, shuffle=True, verbose=0)
        print(f"  epoch {epoch + 1}/{epochs}: mean loss {hist.history['loss'][0]:.4f}", flush=True)
    pred = model.predict(Xte[..., None], verbose=0, batch_size=512).argmax(1)
    # Keras 3's save_weights also stores the optimizer's state of a compiled model (Adam's moments:
    # twice the size of the weights). Copy the weights into a fresh, uncompiled model and save that.
    plain = digits_cnn("keras")
    plain.set_weights(model.get_weights())
    plain.save_weights(out)
    return float((pred == yte).mean()), int(model.count_params())


def versions(framework: str) -> dict[str, str]:
    out = {"python": platform.python_version(), "numpy": np.__version__, "dlcourse": dlcourse.__version__}
    if framework == "torch":
        import torch

        out["torch"] = torch.__version__
    else:
        import keras
        import tensorflow as tf

        out["tensorflow"], out["keras"] = tf.__version__, keras.__version__
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", choices=["torch", "keras"], required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--shift", type=int, default=2, help="random shifts of up to this many pixels (augmentation)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--out-dir", type=Path, default=WEIGHTS_DIR, help="where to write the weights and the JSON")
    parser.add_argument("--quick", action="store_true", help="1 epoch on 512 images: a smoke test, not for shipping")
    args = parser.parse_args(argv)

    X, y = source_task("train")
    Xte, yte = source_task("test")
    epochs = args.epochs
    if args.quick:
        X, y, epochs = X[:512], y[:512], 1
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / FILES[args.framework]
    print(f"Training {NAME} ({args.framework}) on {len(X)} images of digits 0-4, {epochs} epochs, seed {args.seed}")
    start = time.perf_counter()
    trainer = train_torch if args.framework == "torch" else train_keras
    acc, n_params = trainer(
        X, y, Xte, yte, epochs=epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed, shift=args.shift, out=out
    )
    seconds = time.perf_counter() - start

    command = (
        f"python scripts/train_transfer_base.py --framework {args.framework} --seed {args.seed} "
        f"--epochs {args.epochs} --shift {args.shift}"
    )
    if args.quick:
        command += " --quick"
    entry = {
        "file": out.name,
        "sha256": sha256_of(out),
        "bytes": out.stat().st_size,
        "command": command,
        "script": "scripts/train_transfer_base.py",
        "seed": args.seed,
        "data": (
            f"dlcourse.datasets.load_mnist_sample('train'), digits 0-4: {len(X)} images; "
            f"tested on load_mnist_sample('test'), digits 0-4: {len(Xte)} images"
        ),
        "epochs": epochs,
        "batch_size": args.batch_size,
        "optimizer": f"Adam(lr={args.lr})",
        "augmentation": f"random shifts of up to {args.shift} pixels along each axis, new every epoch",
        "n_params": n_params,
        "test_accuracy": round(acc, 6),
        "n_test": int(len(Xte)),
        "train_seconds": round(seconds, 1),
        "trained_on": _dt.date.today().isoformat(),
        "versions": versions(args.framework),
    }
    record_path = args.out_dir / f"{NAME}.json"
    record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.exists() else {}
    record.update(
        {
            "name": NAME,
            "system": "#21 (transfer learning), offline core",
            "description": (
                "Small CNN (dlcourse.weights.digits_cnn: 3 x [conv 3x3, 32 channels, ReLU, max-pool 2] -> "
                "288 features -> dense 5) trained on MNIST-sample digits 0-4; lesson "
                "course/module2/08_transfer_learning.ipynb reuses it for digits 5-9."
            ),
            "input": "torch: (N, 1, 28, 28); keras: (N, 28, 28, 1); float32 pixels in [0, 1]",
            "classes": SOURCE_CLASSES,
        }
    )
    record[args.framework] = entry
    record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"test accuracy on digits 0-4: {acc:.4f} ({len(Xte)} images); {n_params} parameters; {seconds:.0f} s")
    print(f"wrote {out} ({entry['bytes']} bytes, sha256 {entry['sha256'][:12]}...) and {record_path}")
    return entry


if __name__ == "__main__":
    main()
