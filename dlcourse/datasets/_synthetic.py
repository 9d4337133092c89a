"""Generators of synthetic data sets that the lessons need (seeded, fast, small)."""

from __future__ import annotations

import numpy as np

from ._base import Bunch

__all__ = [
    "make_spirals",
    "make_moons",
    "make_xor",
    "make_noisy_sine",
    "make_windows",
    "make_moving_shapes",
    "make_transactions",
]


def _rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    return random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)


def _positive(name: str, value: int) -> None:
    if int(value) < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")


def make_spirals(
    n_samples: int = 600, n_classes: int = 2, noise: float = 0.2, random_state: int | None = 0
) -> Bunch:
    """Interleaved spirals in 2-D: a classic data set no straight line can separate.

    Parameters
    ----------
    n_samples : int, default 600
        Total points, split evenly between classes.
    n_classes : int, default 2
        Number of spiral arms.
    noise : float, default 0.2
        Standard deviation of the Gaussian noise added to the angle.
    random_state : int or None, default 0
        Seed; the same seed gives the same data (None: a fresh random draw).

    Returns
    -------
    Bunch
        ``data`` float32 ``(n, 2)``, ``target`` int64 ``(n,)``.

    Examples
    --------
    >>> from dlcourse.datasets import make_spirals
    >>> s = make_spirals(300, n_classes=3)
    >>> s.data.shape, sorted(set(s.target.tolist()))
    ((300, 2), [0, 1, 2])
    """
    _positive("n_samples", n_samples)
    _positive("n_classes", n_classes)
    rng = _rng(random_state)
    per = np.full(n_classes, n_samples // n_classes)
    per[: n_samples % n_classes] += 1
    xs, ys = [], []
    for k, m in enumerate(per):
        r = np.linspace(0.05, 1.0, m)
        theta = np.linspace(0, 3.5, m) + 2 * np.pi * k / n_classes + rng.normal(0, noise, m)
        xs.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        ys.append(np.full(m, k))
    order = rng.permutation(n_samples)
    return Bunch(
        data=np.concatenate(xs)[order].astype(np.float32),
        target=np.concatenate(ys)[order].astype(np.int64),
        DESCR=f"{n_classes} interleaved spirals, {n_samples} points, noise {noise}",
    )


def make_moons(n_samples: int = 500, noise: float = 0.2, random_state: int | None = 0) -> Bunch:
    """Two interleaving half-moons (scikit-learn's generator, returned as a Bunch).

    Parameters
    ----------
    n_samples : int, default 500
        Total points, half per moon.
    noise : float, default 0.2
        Standard deviation of the Gaussian noise added to the points.
    random_state : int or None, default 0
        Seed; the same seed gives the same data (None: a fresh random draw).

    Returns
    -------
    Bunch
        ``data`` float32 ``(n, 2)``, ``target`` int64 ``(n,)`` (0 or 1), ``DESCR``.

    Examples
    --------
    >>> from dlcourse.datasets import make_moons
    >>> make_moons(100).data.shape
    (100, 2)
    """
    from sklearn.datasets import make_moons as _sk_make_moons

    X, y = _sk_make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    return Bunch(data=X.astype(np.float32), target=y.astype(np.int64), DESCR="two half-moons")


def make_xor(n_samples: int = 400, noise: float = 0.15, random_state: int | None = 0) -> Bunch:
    """Noisy points around the four corners of a square, labelled by XOR of their signs.

    Parameters
    ----------
    n_samples : int, default 400
        Number of points; each picks one of the corners (±1, ±1) at random.
    noise : float, default 0.15
        Standard deviation of the Gaussian noise added to the corners.
    random_state : int or None, default 0
        Seed; the same seed gives the same data (None: a fresh random draw).

    Returns
    -------
    Bunch
        ``data`` float32 ``(n, 2)``, ``target`` int64 (1 where exactly one coordinate is
        positive), ``DESCR``.

    Examples
    --------
    >>> from dlcourse.datasets import make_xor
    >>> b = make_xor(8, noise=0.0)
    >>> bool(((b.data[:, 0] > 0) ^ (b.data[:, 1] > 0) == b.target.astype(bool)).all())
    True
    """
    _positive("n_samples", n_samples)
    rng = _rng(random_state)
    corners = rng.integers(0, 2, size=(n_samples, 2))
    X = (corners * 2 - 1) + rng.normal(0, noise, size=(n_samples, 2))
    y = corners[:, 0] ^ corners[:, 1]
    return Bunch(data=X.astype(np.float32), target=y.astype(np.int64), DESCR="noisy XOR")


def make_noisy_sine(
    n_steps: int = 2000,
    period: float = 50.0,
    noise: float = 0.1,
    trend: float = 0.0,
    second_period: float | None = 120.0,
    random_state: int | None = 0,
) -> Bunch:
    """Make a noisy periodic time series for forecasting lessons.

    ``y(t) = sin(2 pi t / period) + 0.5 sin(2 pi t / second_period) + trend * t + noise``.

    Parameters
    ----------
    n_steps : int, default 2000
        Length of the series.
    period : float, default 50.0
        Period of the main sine, in steps.
    noise : float, default 0.1
        Standard deviation of the Gaussian noise.
    trend : float, default 0.0
        Slope of a linear trend, per step.
    second_period : float or None, default 120.0
        Period of a second sine of half the amplitude; None leaves it out.
    random_state : int or None, default 0
        Seed; the same seed gives the same data (None: a fresh random draw).

    Returns
    -------
    Bunch
        ``t`` int64 ``(n_steps,)``, ``data`` float32 ``(n_steps,)`` (the series),
        ``clean`` float32 (the series without noise).

    Examples
    --------
    >>> from dlcourse.datasets import make_noisy_sine
    >>> s = make_noisy_sine(500)
    >>> s.data.shape
    (500,)
    """
    _positive("n_steps", n_steps)
    rng = _rng(random_state)
    t = np.arange(n_steps)
    clean = np.sin(2 * np.pi * t / period) + trend * t
    if second_period:
        clean = clean + 0.5 * np.sin(2 * np.pi * t / second_period)
    series = clean + rng.normal(0, noise, n_steps)
    return Bunch(
        t=t,
        data=series.astype(np.float32),
        clean=clean.astype(np.float32),
        DESCR=f"noisy sine, period {period}, noise {noise}",
    )


def make_windows(series: np.ndarray, window: int, horizon: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Cut a 1-D series into (input window, value ``horizon`` steps later) pairs.

    Parameters
    ----------
    series : array-like, shape (n_steps,)
        The series.
    window : int
        Steps in each input window.
    horizon : int, default 1
        How many steps after a window's last value the target lies.

    Returns
    -------
    X : ndarray, shape (n, window, 1)
        Ready for an RNN (batch, time, features).
    y : ndarray, shape (n,)
        The value ``horizon`` steps after each window.

    Raises
    ------
    ValueError
        When the series is not 1-D or too short for one window.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = make_windows(np.arange(10.0), window=3)
    >>> X.shape, X[0, :, 0].tolist(), float(y[0])
    ((7, 3, 1), [0.0, 1.0, 2.0], 3.0)
    """
    series = np.asarray(series, dtype=np.float32)
    if series.ndim != 1:
        raise ValueError(f"series must be 1-D, got shape {series.shape}")
    _positive("window", window)
    _positive("horizon", horizon)
    n = len(series) - window - horizon + 1
    if n < 1:
        raise ValueError(f"series of length {len(series)} is too short for window={window}, horizon={horizon}")
    idx = np.arange(window)[None, :] + np.arange(n)[:, None]
    return series[idx][..., None], series[idx[:, -1] + horizon]


_DIRECTIONS = {"left": (0, -1), "right": (0, 1), "up": (-1, 0), "down": (1, 0)}
_SHAPES = ("square", "disc", "cross")


def _draw(shape: str, size: int, cy: float, cx: float, radius: int) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    dy, dx = yy - cy, xx - cx
    if shape == "square":
        return ((np.abs(dy) <= radius) & (np.abs(dx) <= radius)).astype(np.float32)
    if shape == "disc":
        return (dy**2 + dx**2 <= radius**2).astype(np.float32)
    bar = max(1, radius // 3)
    return (((np.abs(dy) <= bar) & (np.abs(dx) <= radius)) | ((np.abs(dx) <= bar) & (np.abs(dy) <= radius))).astype(
        np.float32
    )


def make_moving_shapes(
    n_videos: int = 400,
    n_frames: int = 10,
    size: int = 64,
    noise: float = 0.1,
    random_state: int | None = 0,
) -> Bunch:
    """Short grey videos of one shape moving in one of four directions.

    The label is the direction of motion (left, right, up, down). A single frame does
    not reveal it: a model must compare frames over time, which is what a CNN (per
    frame) followed by an LSTM (over frames) does. The shape (square, disc or cross),
    start position, speed and background noise vary.

    Parameters
    ----------
    n_videos : int, default 400
        Number of videos.
    n_frames : int, default 10
        Frames per video.
    size : int, default 64
        Height and width of a frame in pixels (at least 16).
    noise : float, default 0.1
        Standard deviation of the Gaussian noise added to every pixel (then clipped to [0, 1]).
    random_state : int or None, default 0
        Seed; the same seed gives the same data (None: a fresh random draw).

    Returns
    -------
    Bunch
        ``data`` float32 ``(n_videos, n_frames, size, size, 1)`` in [0, 1] (channels last,
        as Keras' ``TimeDistributed`` expects; PyTorch users permute to channels first),
        ``target`` int64 direction, ``target_names``, ``shapes`` (index into
        ``shape_names``), ``shape_names``.

    Examples
    --------
    >>> from dlcourse.datasets import make_moving_shapes
    >>> v = make_moving_shapes(8, n_frames=10, size=64)
    >>> v.data.shape, v.target_names
    ((8, 10, 64, 64, 1), ['left', 'right', 'up', 'down'])
    """
    _positive("n_videos", n_videos)
    _positive("n_frames", n_frames)
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels, got {size}")
    rng = _rng(random_state)
    names = list(_DIRECTIONS)
    videos = np.empty((n_videos, n_frames, size, size, 1), dtype=np.float32)
    target = rng.integers(0, len(names), n_videos)
    shapes = rng.integers(0, len(_SHAPES), n_videos)
    for i in range(n_videos):
        dy, dx = _DIRECTIONS[names[target[i]]]
        radius = int(rng.integers(size // 16 + 2, size // 8 + 3))
        speed = rng.uniform(1.5, 3.0) * size / 64
        travel = speed * (n_frames - 1)
        lo, hi = radius + 1, size - radius - 2
        # start so that the whole path stays inside the frame
        cy = rng.uniform(lo + max(0, -dy) * travel, hi - max(0, dy) * travel)
        cx = rng.uniform(lo + max(0, -dx) * travel, hi - max(0, dx) * travel)
        for f in range(n_frames):
            frame = _draw(_SHAPES[shapes[i]], size, cy + dy * speed * f, cx + dx * speed * f, radius)
            frame += rng.normal(0, noise, frame.shape).astype(np.float32)
            videos[i, f, :, :, 0] = np.clip(frame, 0, 1)
    return Bunch(
        data=videos,
        target=target.astype(np.int64),
        target_names=names,
        shapes=shapes.astype(np.int64),
        shape_names=list(_SHAPES),
        DESCR=f"{n_videos} videos of {n_frames} frames, {size}x{size}, label = direction of motion",
    )


def make_transactions(
    n_samples: int = 20000, fraud_rate: float = 0.01, random_state: int | None = 0
) -> Bunch:
    """Make an imbalanced table of card transactions, about ``fraud_rate`` of them fraudulent.

    Synthetic but shaped like the real problem: amounts are log-normal, fraud is rare,
    happens more at night, online, far from home and in bursts, and no single feature
    separates it. Accuracy is useless here (predicting "never fraud" scores 99%); the
    lessons use precision, recall and the precision-recall curve.

    Parameters
    ----------
    n_samples : int, default 20000
        Number of transactions.
    fraud_rate : float, default 0.01
        Expected fraction of fraudulent ones, between 0 and 0.5.
    random_state : int or None, default 0
        Seed; the same seed gives the same data (None: a fresh random draw).

    Returns
    -------
    Bunch
        ``data`` float32 ``(n, 6)``, ``target`` int64 (1 = fraud), ``feature_names``.

    Examples
    --------
    >>> from dlcourse.datasets import make_transactions
    >>> t = make_transactions(10000, fraud_rate=0.02)
    >>> t.data.shape, round(float(t.target.mean()), 2)
    ((10000, 6), 0.02)
    """
    _positive("n_samples", n_samples)
    if not 0 < fraud_rate < 0.5:
        raise ValueError(f"fraud_rate must be between 0 and 0.5, got {fraud_rate}")
    rng = _rng(random_state)
    y = (rng.random(n_samples) < fraud_rate).astype(np.int64)
    fraud = y == 1
    amount = np.where(fraud, rng.lognormal(4.2, 1.1, n_samples), rng.lognormal(3.5, 1.0, n_samples))
    hour = np.where(fraud, rng.normal(2.0, 4.0, n_samples) % 24, rng.normal(14.0, 4.5, n_samples) % 24)
    online = rng.random(n_samples) < np.where(fraud, 0.7, 0.3)
    distance_km = np.where(fraud, rng.lognormal(3.5, 1.5, n_samples), rng.lognormal(1.5, 1.2, n_samples))
    tx_last_hour = rng.poisson(np.where(fraud, 3.0, 0.6))
    account_age_days = np.where(fraud, rng.exponential(300, n_samples), rng.exponential(900, n_samples))
    X = np.column_stack([amount, hour, online, distance_km, tx_last_hour, account_age_days])
    return Bunch(
        data=X.astype(np.float32),
        target=y,
        feature_names=["amount", "hour", "online", "distance_km", "tx_last_hour", "account_age_days"],
        DESCR=f"synthetic card transactions, {n_samples} rows, fraud rate {fraud_rate}",
    )
