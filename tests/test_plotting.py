"""Plotting helpers: every figure is titled, labelled, colour-blind safe and returned."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from dlcourse import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _labelled(ax):
    return ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_palette_is_okabe_ito_and_style_applies():
    assert plotting.PALETTE[:3] == ["#0072B2", "#E69F00", "#009E73"]
    plotting.use_style()
    cycle = [to_hex(c["color"]).upper() for c in matplotlib.rcParams["axes.prop_cycle"]]
    assert cycle == [c.upper() for c in plotting.PALETTE]


def test_style_file_works_as_a_context_and_by_name():
    before = matplotlib.rcParams["axes.prop_cycle"]
    for style in (plotting.STYLE, "dlcourse.course"):
        with plt.style.context(style):
            cycle = [to_hex(c["color"]).upper() for c in matplotlib.rcParams["axes.prop_cycle"]]
            assert cycle == [c.upper() for c in plotting.PALETTE]
            assert matplotlib.rcParams["axes.grid"] and not matplotlib.rcParams["axes.spines.top"]
            assert matplotlib.rcParams["image.cmap"] == plotting.CMAP
        assert matplotlib.rcParams["axes.prop_cycle"] == before, "the context restores the settings"


def test_plot_history_from_dict_and_keras_like_object():
    class History:  # what keras.Model.fit returns, minus the model
        history = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7], "accuracy": [0.5, 0.7, 0.8]}

    fig = plotting.plot_history(History())
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert all(_labelled(ax) for ax in fig.axes)
    assert len(fig.axes[0].lines) == 2 and len(fig.axes[1].lines) == 1
    with pytest.raises(TypeError, match="Keras History"):
        plotting.plot_history([1, 2, 3])
    with pytest.raises(KeyError, match="no metric"):
        plotting.plot_history({"loss": [1.0]}, metrics=["accuracy"])


def test_image_grid_handles_channel_layouts_and_marks_errors():
    fig = plotting.image_grid(np.zeros((5, 1, 8, 8)), labels=[0, 1, 2, 3, 4], predictions=[0, 1, 9, 3, 4], ncols=3)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 5 and titles[2] == "2→9 ✘" and titles[0] == "0→0"
    assert plotting.image_grid(np.zeros((2, 8, 8, 3))).axes[0].images[0].get_array().shape == (8, 8, 3)
    with pytest.raises(ValueError):
        plotting.image_grid(np.zeros(5))


def test_confusion_matrix_counts():
    fig = plotting.plot_confusion_matrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 0])
    ax = fig.axes[0]
    assert _labelled(ax)
    counts = [t.get_text() for t in ax.texts]
    assert counts == ["1", "1", "1", "2"]
    assert fig.axes[1].get_ylabel() == "count"  # the colour bar
    norm = plotting.plot_confusion_matrix([0, 1], [0, 1], normalize=True)
    assert [t.get_text() for t in norm.axes[0].texts] == ["1.00", "0.00", "0.00", "1.00"]
    named = plotting.plot_confusion_matrix(["b", "a", "b"], ["b", "b", "b"], labels=["ant", "bee"])
    assert [t.get_text() for t in named.axes[0].get_xticklabels()] == ["ant", "bee"]
    assert [t.get_text() for t in named.axes[0].texts] == ["0", "1", "0", "2"]
    with pytest.raises(ValueError, match="labels names 3 classes"):
        plotting.plot_confusion_matrix([0, 1], [0, 1], labels=["a", "b", "c"])
    with pytest.raises(ValueError, match="differ in shape"):
        plotting.plot_confusion_matrix([0, 1], [0])


def test_decision_boundary_accepts_labels_and_probabilities():
    X = np.random.default_rng(0).normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    ax = plotting.plot_decision_boundary(lambda a: (a[:, 0] > 0).astype(int), X, y, resolution=30)
    assert _labelled(ax)
    plotting.plot_decision_boundary(lambda a: np.stack([a[:, 0] <= 0, a[:, 0] > 0], 1).astype(float), X, y, resolution=20)
    plotting.plot_decision_boundary(lambda a: 1 / (1 + np.exp(-a[:, 0])), X, y, resolution=20)
    with pytest.raises(ValueError, match="2-D inputs"):
        plotting.plot_decision_boundary(lambda a: a, np.zeros((3, 3)), np.zeros(3))


def test_function_and_attention_plots():
    fig = plotting.plot_function({"relu": lambda x: np.maximum(x, 0)}, {"relu": lambda x: (x > 0) * 1.0})
    assert all(_labelled(ax) for ax in fig.axes if ax.get_title() in ("function", "derivative"))
    ax = plotting.plot_attention(np.full((2, 3), 1 / 3), ["a", "b", "c"], ["x", "y"])
    assert _labelled(ax)
    with pytest.raises(ValueError):
        plotting.plot_attention(np.zeros((2, 2, 2)))


def test_describe_requires_text(capsys):
    fig = plt.figure()
    plotting.describe(fig, "Loss falls from 1 to 0.1.")
    assert capsys.readouterr().out == "Figure: Loss falls from 1 to 0.1.\n"
    with pytest.raises(ValueError):
        plotting.describe(fig, " ")


def test_live_plot_records_and_rejects_unknown_metrics():
    live = plotting.LivePlot(["loss", "acc"])
    live.update(loss=1.0, acc=0.1)
    live.update(loss=0.5)
    with pytest.raises(KeyError, match="unknown metric"):
        live.update(lr=0.1)
    fig = live.close()
    assert live.history == {"loss": [1.0, 0.5], "acc": [0.1]}
    assert _labelled(fig.axes[0])
