"""Figures for the course, in one colour-blind-safe style.

Every function returns the matplotlib ``Figure`` (or ``Axes`` where it draws into one you
pass) so that a lesson can adjust it, save it, or test it. Colours come from the
Okabe-Ito palette, which stays distinguishable with the common colour-vision
deficiencies; lines also differ by style and marker where several are drawn.
Each function sets a title and axis labels; give the figure a one-line text description
for screen-reader users with :func:`describe`.

The course style is a matplotlib style file shipped with the package (:data:`STYLE`,
also reachable by the name ``"dlcourse.course"``): use it for some figures with
``plt.style.context(...)``, or for all of them with :func:`use_style`.

Examples
--------
>>> import matplotlib.pyplot as plt
>>> from dlcourse.plotting import STYLE, plot_history
>>> with plt.style.context(STYLE):
...     fig = plot_history({"loss": [0.9, 0.4]})
>>> fig.axes[0].get_xlabel()
'epoch'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "PALETTE",
    "CMAP",
    "DIVERGING_CMAP",
    "STYLE",
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
#: Path of the course's matplotlib style file (:data:`PALETTE` as colour cycle, a light grid,
#: no top and right spines); ``plt.style.context(STYLE)`` or ``plt.style.use("dlcourse.course")``.
STYLE = str(Path(__file__).with_name("course.mplstyle"))


def use_style() -> None:
    """Apply the course style (:data:`STYLE`) to all later matplotlib figures.

    The same as ``matplotlib.pyplot.style.use(STYLE)``; to style only some figures, use
    ``with plt.style.context(STYLE):`` instead.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> from dlcourse.plotting import PALETTE, use_style
    >>> with mpl.rc_context():  # here only, to leave the doctest session as it was
    ...     use_style()
    ...     mpl.rcParams["axes.prop_cycle"].by_key()["color"] == PALETTE
    True
    """
    import matplotlib.style

    matplotlib.style.use(STYLE)


def _plt() -> Any:
    import matplotlib.pyplot as plt

    return plt


def describe(fig: Figure, text: str) -> Figure:
    """Attach a one-line text description to a figure, for screen readers.

    The description is stored as the figure's label and printed, so it is in the
    notebook's text output next to the image (screen readers read it) and in the
    saved file's metadata.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to describe.
    text : str
        What the figure shows, in one sentence (the finding, not just the axes).

    Returns
    -------
    matplotlib.figure.Figure
        ``fig``, so that ``describe(plot_history(h), "...")`` can be chained.

    Raises
    ------
    ValueError
        When ``text`` is empty.

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
) -> Figure:
    """Plot training (solid) and validation (dashed) curves per metric.

    Parameters
    ----------
    history : keras.callbacks.History or dict
        ``{"loss": [...], "val_loss": [...], "accuracy": [...], ...}``.
    metrics : list of str, optional
        Base metric names (``"loss"``, ``"accuracy"``); default: all found.
    title : str, default "Training curves"
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per metric.

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
) -> Figure:
    """Show images in a grid, with their labels and, optionally, predictions.

    Wrong predictions are marked with "✘" in the caption (not by colour alone).

    Parameters
    ----------
    images : array-like, shape (n, h, w), (n, h, w, c) or (n, c, h, w) with c in {1, 3}
        The images; channels-first arrays (PyTorch) are transposed.
    labels : sequence, optional
        The true label of each image, shown as its caption.
    predictions : sequence, optional
        Predicted labels, shown as ``label→prediction``; wrong ones end in "✘".
    ncols : int, default 8
        Images per row.
    title : str, default "Images"
        The figure's title.
    cmap : str, default "gray"
        Colour map for one-channel images.
    size : float, default 1.2
        Width and height of one image, in inches.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per image.

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
) -> Figure:
    """Plot a confusion matrix with the count (or row fraction) in every cell.

    Drawn by scikit-learn's :class:`~sklearn.metrics.ConfusionMatrixDisplay`, in the
    course's colour map and with the course's axis labels.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        The true classes.
    y_pred : array-like of shape (n,)
        The predicted classes.
    labels : sequence of str, optional
        Display names of the classes, in sorted class order; default: the classes
        themselves (every class found in ``y_true`` or ``y_pred``).
    normalize : bool, default False
        Show the fraction of each true class (rows sum to 1) instead of counts.
    title : str, default "Confusion matrix"
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        The matrix and its colour bar; rows are true classes, columns predictions.

    Examples
    --------
    >>> from dlcourse.plotting import plot_confusion_matrix
    >>> fig = plot_confusion_matrix([0, 1, 1], [0, 1, 0], labels=["cat", "dog"])
    >>> fig.axes[0].get_xlabel(), [t.get_text() for t in fig.axes[0].texts]
    ('predicted class', ['1', '0', '1', '1'])
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred differ in shape: {y_true.shape} vs {y_pred.shape}")
    k = len(np.unique(np.concatenate([y_true, y_pred])))
    if labels is not None and len(labels) != k:
        raise ValueError(f"labels names {len(labels)} classes, but y_true and y_pred hold {k}")
    fig, ax = _plt().subplots(figsize=(0.5 * k + 2.5, 0.5 * k + 2))
    names = [str(n) for n in labels] if labels is not None else None
    display = ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        display_labels=names,
        normalize="true" if normalize else None,
        values_format=".2f" if normalize else "d",
        cmap=CMAP,
        ax=ax,
        text_kw={"fontsize": 8},
        xticks_rotation=45 if names and max(len(n) for n in names) > 2 else "horizontal",
    )
    display.im_.colorbar.set_label("fraction of true class" if normalize else "count")
    ax.grid(False)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_decision_boundary(
    predict: Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    ax: Axes | None = None,
    resolution: int = 200,
    title: str = "Decision boundary",
) -> Axes:
    """Colour the plane by a model's predicted class and overlay the data points.

    Parameters
    ----------
    predict : callable
        Maps an ``(n, 2)`` float32 array to class labels ``(n,)`` or class
        probabilities ``(n, k)`` (or ``(n,)``/``(n, 1)`` probabilities of class 1).
        Wrap a framework model, e.g. ``lambda a: model(torch.tensor(a)).argmax(1)``.
    X : array-like of shape (n, 2)
        The data points.
    y : array-like of shape (n,)
        Their classes (one colour and marker per class).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default: a new figure.
    resolution : int, default 200
        Grid points per axis at which ``predict`` is evaluated.
    title : str, default "Decision boundary"
        The axes' title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into.

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
) -> Figure:
    """Plot functions (left) and, optionally, their derivatives (right).

    Parameters
    ----------
    functions : mapping of str to callable
        Name -> function of a NumPy array.
    derivatives : mapping of str to callable, optional
        Name -> derivative; drawn in a second panel.
    x : array-like, optional
        Where to evaluate them; default 401 points from -5 to 5.
    title : str, default "Functions and their derivatives"
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        One or two panels, titled "function" and "derivative".

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
    ax: Axes | None = None,
    title: str = "Attention weights",
) -> Axes:
    """Draw an attention matrix (queries as rows, keys as columns).

    Parameters
    ----------
    weights : array-like or tensor of shape (queries, keys)
        Attention weights (a PyTorch tensor is detached and moved to the CPU).
    x_labels : sequence of str, optional
        Names of the keys (columns), for example tokens.
    y_labels : sequence of str, optional
        Names of the queries (rows).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default: a new figure.
    title : str, default "Attention weights"
        The axes' title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into, with a colour bar.

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

    Parameters
    ----------
    metrics : sequence of str
        The names of the values :meth:`update` will receive.
    title : str, default "Training"
        The axes' title.
    xlabel : str, default "step"
        Label of the x axis (one point per :meth:`update`).
    every : int, default 1
        Redraw every ``every`` updates (redrawing costs time).

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
        self._handle: Any = None
        self._fig: Figure | None = None
        self._ax: Axes | None = None
        self._interactive = self._in_kernel()

    @staticmethod
    def _in_kernel() -> bool:
        from .quiz._widget import _in_kernel

        return _in_kernel()

    def update(self, **values: float) -> None:
        """Record one value per metric and redraw every ``every`` calls.

        Parameters
        ----------
        **values : float
            ``metric=value`` for some or all of the tracked metrics.
        """
        unknown = set(values) - set(self.metrics)
        if unknown:
            raise KeyError(f"LivePlot tracks {self.metrics}; got unknown metric(s) {sorted(unknown)}")
        for m, v in values.items():
            self.history[m].append(float(v))
        n = max(len(v) for v in self.history.values())
        if self._interactive and n % self.every == 0:
            self._draw(live=True)

    def _draw(self, live: bool) -> Figure:
        if self._fig is None or self._ax is None:
            self._fig, self._ax = _plt().subplots(figsize=(6, 3.5))
        fig, ax = self._fig, self._ax
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
                self._handle = display(fig, display_id=True)
            else:
                self._handle.update(fig)
        return fig

    def close(self) -> Figure:
        """Draw the final state, close the live view, and return the figure.

        Returns
        -------
        matplotlib.figure.Figure
            The final plot (closed in pyplot, so it is not shown twice).
        """
        fig = self._draw(live=self._interactive)
        _plt().close(fig)
        return fig
