"""Figures for the course, in one colour-blind-safe style.

Every function returns the matplotlib ``Figure`` (or ``Axes`` where it draws into one you
pass) so that a lesson can adjust it, save it, or test it. Colours come from the
Okabe-Ito palette, which stays distinguishable with the common colour-vision
deficiencies; lines also differ by style and marker where several are drawn.
Each function sets a title and axis labels; give the figure a one-line text description
for screen-reader users with :func:`describe`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "PALETTE",
    "CMAP",
    "DIVERGING_CMAP",
    "use_style",
    "describe",
    "plot_history",
    "image_grid",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_function",
    "plot_attention",
    "LivePlot",
]

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
#: Perceptually uniform, colour-blind-safe colour maps.
CMAP = "viridis"
DIVERGING_CMAP = "PuOr"
_LINESTYLES = ["-", "--", "-.", ":"]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def use_style() -> None:
    """Apply the course style (palette, sizes, grid) to all later matplotlib figures.

    Examples
    --------
    >>> from dlcourse.plotting import use_style
    >>> use_style()
    """
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=PALETTE),
            "image.cmap": CMAP,
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 11,
            "axes.titlesize": 12,
            "legend.frameon": False,
        }
    )


def _plt():
    import matplotlib.pyplot as plt

    return plt


def describe(fig: Any, text: str) -> Any:
    """Attach a one-line text description to a figure, for screen readers.

    The description is stored as the figure's label and printed, so it is in the
    notebook's text output next to the image (screen readers read it) and in the
    saved file's metadata.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig = plt.figure()
    >>> _ = describe(fig, "An empty figure.")
    Figure: An empty figure.
    >>> fig.get_label()
    'An empty figure.'
    """
    if not text or not text.strip():
        raise ValueError("a figure description must say what the figure shows")
    fig.set_label(text)
    print(f"Figure: {text}")
    return fig


def _history_dict(history: Any) -> dict[str, Sequence[float]]:
    if hasattr(history, "history") and isinstance(history.history, Mapping):
        return dict(history.history)  # a keras.callbacks.History
    if isinstance(history, Mapping):
        return dict(history)
    raise TypeError(
        "plot_history needs a Keras History (model.fit's return value) or a dict such as "
        f"{{'loss': [...], 'val_loss': [...]}}; got {type(history).__name__}"
    )


def plot_history(
    history: Any, metrics: Sequence[str] | None = None, title: str = "Training curves"
) -> Any:
    """Plot training (solid) and validation (dashed) curves per metric.

    Parameters
    ----------
    history : keras.callbacks.History or dict
        ``{"loss": [...], "val_loss": [...], "accuracy": [...], ...}``.
    metrics : list of str, optional
        Base metric names (``"loss"``, ``"accuracy"``); default: all found.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from dlcourse.plotting import plot_history
    >>> fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    >>> fig.axes[0].get_title()
    'loss'
    """
    hist = _history_dict(history)
    if not hist:
        raise ValueError("the history is empty: train for at least one epoch first")
    if metrics is None:
        metrics = [k for k in hist if not k.startswith("val_")]
    plt = _plt()
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.5), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        if metric not in hist:
            raise KeyError(f"no metric {metric!r} in the history; it has {sorted(hist)}")
        epochs = np.arange(1, len(hist[metric]) + 1)
        ax.plot(epochs, hist[metric], "-o", color=PALETTE[0], label="training", markersize=3)
        if f"val_{metric}" in hist:
            ax.plot(epochs, hist[f"val_{metric}"], "--s", color=PALETTE[1], label="validation", markersize=3)
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def image_grid(
    images: Any,
    labels: Sequence[Any] | None = None,
    predictions: Sequence[Any] | None = None,
    ncols: int = 8,
    title: str = "Images",
    cmap: str = "gray",
    size: float = 1.2,
) -> Any:
    """Show images in a grid, with their labels and, optionally, predictions.

    Wrong predictions are marked with "✘" in the caption (not by colour alone).

    Parameters
    ----------
    images : array, shape (n, h, w), (n, h, w, c) or (n, c, h, w) with c in {1, 3}

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from dlcourse.plotting import image_grid
    >>> fig = image_grid(np.zeros((3, 8, 8)), labels=[0, 1, 2], ncols=3)
    >>> len(fig.axes)
    3
    """
    imgs = np.asarray(images)
    if imgs.ndim == 4 and imgs.shape[1] in (1, 3) and imgs.shape[-1] not in (1, 3):
        imgs = imgs.transpose(0, 2, 3, 1)  # channels first (PyTorch) -> last
    if imgs.ndim == 4 and imgs.shape[-1] == 1:
        imgs = imgs[..., 0]
    if imgs.ndim not in (3, 4):
        raise ValueError(f"images must be (n, h, w) or (n, h, w, c); got shape {np.asarray(images).shape}")
    n = len(imgs)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    plt = _plt()
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.6), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        ax.imshow(imgs[i], cmap=cmap if imgs.ndim == 3 else None)
        caption = ""
        if labels is not None:
            caption = str(labels[i])
        if predictions is not None:
            ok = labels is None or predictions[i] == labels[i]
            caption = f"{caption}→{predictions[i]}" + ("" if ok else " ✘")
        if caption:
            ax.set_title(caption, fontsize=9)
    for ax in axes.flat[n:]:
        ax.remove()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(
    y_true: Any, y_pred: Any, labels: Sequence[Any] | None = None, normalize: bool = False, title: str = "Confusion matrix"
) -> Any:
    """Plot a confusion matrix with the count (or row fraction) in every cell.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from dlcourse.plotting import plot_confusion_matrix
    >>> fig = plot_confusion_matrix([0, 1, 1], [0, 1, 0])
    >>> fig.axes[0].get_xlabel()
    'predicted class'
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred differ in shape: {y_true.shape} vs {y_pred.shape}")
    classes = np.unique(np.concatenate([y_true, y_pred]))
    k = len(classes)
    index = {c: i for i, c in enumerate(classes)}
    cm = np.zeros((k, k))
    for t, p in zip(y_true, y_pred):
        cm[index[t], index[p]] += 1
    if normalize:
        cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    names = list(labels) if labels is not None else [str(c) for c in classes]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(0.5 * k + 2.5, 0.5 * k + 2))
    im = ax.imshow(cm, cmap=CMAP)
    ax.grid(False)
    fig.colorbar(im, ax=ax, label="fraction of true class" if normalize else "count")
    ax.set_xticks(range(k), names, rotation=45 if max(len(n) for n in names) > 2 else 0)
    ax.set_yticks(range(k), names)
    thresh = cm.max() / 2 if cm.size else 0
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}", ha="center", va="center",
                    color="black" if cm[i, j] > thresh else "white", fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_decision_boundary(
    predict: Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    ax: Any = None,
    resolution: int = 200,
    title: str = "Decision boundary",
) -> Any:
    """Colour the plane by a model's predicted class and overlay the data points.

    Parameters
    ----------
    predict : callable
        Maps an ``(n, 2)`` float32 array to class labels ``(n,)`` or class
        probabilities ``(n, k)`` (or ``(n,)``/``(n, 1)`` probabilities of class 1).
        Wrap a framework model, e.g. ``lambda a: model(torch.tensor(a)).argmax(1)``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from dlcourse.plotting import plot_decision_boundary
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0]]); y = np.array([0, 1])
    >>> ax = plot_decision_boundary(lambda a: (a.sum(1) > 1).astype(int), X, y)
    >>> ax.get_xlabel()
    '$x_1$'
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary draws 2-D inputs; X has shape {X.shape}")
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    pad = 0.1 * (X.max(0) - X.min(0)) + 1e-9
    x0 = np.linspace(X[:, 0].min() - pad[0], X[:, 0].max() + pad[0], resolution)
    x1 = np.linspace(X[:, 1].min() - pad[1], X[:, 1].max() + pad[1], resolution)
    g0, g1 = np.meshgrid(x0, x1)
    grid = np.column_stack([g0.ravel(), g1.ravel()]).astype(np.float32)
    out = predict(grid)
    out = np.asarray(out.detach().cpu().numpy() if hasattr(out, "detach") else out)
    if out.ndim == 2 and out.shape[1] > 1:
        out = out.argmax(1)
    elif out.dtype.kind == "f":
        out = (out.reshape(-1) > 0.5).astype(int)
    classes = np.unique(y)
    from matplotlib.colors import ListedColormap

    colours = PALETTE[: max(len(classes), int(out.max()) + 1)]
    ax.contourf(
        g0, g1, out.reshape(g0.shape), levels=np.arange(-0.5, len(colours)), cmap=ListedColormap(colours), alpha=0.25
    )
    for k, c in enumerate(classes):
        m = y == c
        ax.scatter(X[m, 0], X[m, 1], s=14, color=PALETTE[k % len(PALETTE)], marker=_MARKERS[k % len(_MARKERS)],
                   edgecolor="black", linewidth=0.3, label=f"class {c}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return ax


def plot_function(
    functions: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    derivatives: Mapping[str, Callable[[np.ndarray], np.ndarray]] | None = None,
    x: np.ndarray | None = None,
    title: str = "Functions and their derivatives",
) -> Any:
    """Plot functions (left) and, optionally, their derivatives (right).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from dlcourse.plotting import plot_function
    >>> fig = plot_function({"tanh": np.tanh}, {"tanh": lambda x: 1 - np.tanh(x) ** 2})
    >>> [ax.get_title() for ax in fig.axes]
    ['function', 'derivative']
    """
    x = np.linspace(-5, 5, 401) if x is None else np.asarray(x)
    plt = _plt()
    ncols = 2 if derivatives else 1
    fig, axes = plt.subplots(1, ncols, figsize=(5.2 * ncols, 3.8), squeeze=False)
    for col, (label, funcs) in enumerate([("function", functions), ("derivative", derivatives or {})][:ncols]):
        ax = axes[0, col]
        for k, (name, f) in enumerate(funcs.items()):
            ax.plot(x, f(x), _LINESTYLES[k % 4], color=PALETTE[k % len(PALETTE)], label=name, linewidth=2)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_title(label)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)" if col == 0 else "f'(x)")
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_attention(
    weights: Any,
    x_labels: Sequence[str] | None = None,
    y_labels: Sequence[str] | None = None,
    ax: Any = None,
    title: str = "Attention weights",
) -> Any:
    """Draw an attention matrix (queries as rows, keys as columns).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from dlcourse.plotting import plot_attention
    >>> ax = plot_attention(np.eye(3), ["a", "b", "c"], ["a", "b", "c"])
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('key (attended to)', 'query (attending)')
    """
    weights = np.asarray(weights.detach().cpu().numpy() if hasattr(weights, "detach") else weights)
    if weights.ndim != 2:
        raise ValueError(f"attention weights must be 2-D (queries x keys); got shape {weights.shape}")
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(0.35 * weights.shape[1] + 2.5, 0.35 * weights.shape[0] + 2))
    im = ax.imshow(weights, cmap=CMAP, vmin=0, vmax=max(1e-9, float(weights.max())))
    ax.grid(False)
    ax.figure.colorbar(im, ax=ax, label="weight")
    if x_labels is not None:
        ax.set_xticks(range(len(x_labels)), x_labels, rotation=90)
    if y_labels is not None:
        ax.set_yticks(range(len(y_labels)), y_labels)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query (attending)")
    ax.set_title(title)
    return ax


class LivePlot:
    """A training plot that redraws in place as a loop reports metrics.

    In Jupyter it updates one output area; elsewhere (scripts, nbval) it draws once
    when :meth:`close` is called, so tests stay fast.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from dlcourse.plotting import LivePlot
    >>> live = LivePlot(["loss"], title="Training", every=10)
    >>> for step in range(3):
    ...     live.update(loss=1.0 / (step + 1))
    >>> fig = live.close()
    >>> live.history["loss"]
    [1.0, 0.5, 0.3333333333333333]
    """

    def __init__(self, metrics: Sequence[str], title: str = "Training", xlabel: str = "step", every: int = 1):
        self.metrics = list(metrics)
        self.title = title
        self.xlabel = xlabel
        self.every = max(1, int(every))
        self.history: dict[str, list[float]] = {m: [] for m in self.metrics}
        self._handle = None
        self._fig = None
        self._interactive = self._in_kernel()

    @staticmethod
    def _in_kernel() -> bool:
        from .quiz._widget import _in_kernel

        return _in_kernel()

    def update(self, **values: float) -> None:
        """Record one value per metric and redraw every ``every`` calls."""
        unknown = set(values) - set(self.metrics)
        if unknown:
            raise KeyError(f"LivePlot tracks {self.metrics}; got unknown metric(s) {sorted(unknown)}")
        for m, v in values.items():
            self.history[m].append(float(v))
        n = max(len(v) for v in self.history.values())
        if self._interactive and n % self.every == 0:
            self._draw(live=True)

    def _draw(self, live: bool) -> Any:
        plt = _plt()
        if self._fig is None:
            self._fig, self._ax = plt.subplots(figsize=(6, 3.5))
        ax = self._ax
        ax.clear()
        for k, m in enumerate(self.metrics):
            ys = self.history[m]
            ax.plot(range(1, len(ys) + 1), ys, _LINESTYLES[k % 4], color=PALETTE[k % len(PALETTE)], label=m)
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel("value")
        ax.set_title(self.title)
        if self.metrics:
            ax.legend()
        if live:
            from IPython.display import display

            if self._handle is None:
                self._handle = display(self._fig, display_id=True)
            else:
                self._handle.update(self._fig)
        return self._fig

    def close(self) -> Any:
        """Draw the final state, close the live view, and return the figure."""
        fig = self._draw(live=self._interactive)
        _plt().close(fig)
        return fig
