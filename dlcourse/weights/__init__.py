"""Small pretrained networks that ship with dlcourse, trained by the course's own code.

Model hubs are not always reachable (offline laptops, test machines, exam rooms), so the
lessons on transfer learning and deep reinforcement learning also work with weights that
the course trained itself and ships inside the package. Every file here comes with a JSON
file that records how it was made (script, seed, data, hyper-parameters, library
versions), what it scores, and its sha256; the loaders check the sha256 before they load.

=====================  ==========================================================  ========
weights                what they are                                               system
=====================  ==========================================================  ========
``mnist04_cnn``        a small CNN trained on the MNIST sample's digits 0-4,        #21
                       by ``scripts/train_transfer_base.py`` (PyTorch and Keras)
``cartpole_dqn``       a Deep Q-Network policy for Gymnasium's ``CartPole-v1``,     #22
                       by ``scripts/train_dqn.py`` (the code of lesson
                       ``course/module2/09_dqn.ipynb``; PyTorch and Keras)
=====================  ==========================================================  ========

The pretrained ImageNet networks the lessons call (Keras VGG16, torchvision ResNet-50)
are hundreds of megabytes and are downloaded by their libraries when a connection exists;
:func:`url_available` is the quick check the lessons use before trying.

Nothing here imports PyTorch or TensorFlow until a function needs it.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ..datasets._base import ChecksumError, sha256_of
from ..frameworks import require, require_torch

__all__ = [
    "WEIGHTS_DIR",
    "FRAMEWORKS",
    "ChecksumError",
    "weights_info",
    "weights_path",
    "digits_cnn",
    "load_pretrained_digits_cnn",
    "cartpole_qnet",
    "load_cartpole_dqn",
    "url_available",
]

#: The folder that holds the shipped weight files and their provenance JSON.
WEIGHTS_DIR = Path(__file__).resolve().parent
#: The frameworks every shipped network exists for.
FRAMEWORKS = ("torch", "keras")

_TRUE = {"1", "true", "yes", "on"}


def _check_framework(framework: str) -> str:
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {FRAMEWORKS}, got {framework!r}")
    return framework


def weights_info(name: str, directory: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Return the provenance record of the shipped weights ``name`` (its JSON file, parsed).

    The record has one entry per framework (``"torch"``, ``"keras"``) with the file name,
    its sha256 and size, the command that produced it, the seed and what it scores.

    Parameters
    ----------
    name : str
        The weights' name, such as ``"mnist04_cnn"`` or ``"cartpole_dqn"``.
    directory : str or path-like, optional
        Folder with the weight files and their JSON; default: the shipped ones.

    Returns
    -------
    dict
        The parsed JSON record.

    Raises
    ------
    FileNotFoundError
        When there are no such weights, naming the shipped ones.

    Examples
    --------
    >>> from dlcourse.weights import weights_info
    >>> info = weights_info("mnist04_cnn")
    >>> info["torch"]["file"], info["keras"]["file"]
    ('mnist04_cnn.pt', 'mnist04_cnn.weights.h5')
    """
    folder = Path(directory) if directory is not None else WEIGHTS_DIR
    path = folder / f"{name}.json"
    if not path.exists():
        shipped = sorted(p.stem for p in WEIGHTS_DIR.glob("*.json"))
        raise FileNotFoundError(f"no weights called {name!r} in {folder}; shipped: {shipped}")
    return json.loads(path.read_text(encoding="utf-8"))


def weights_path(name: str, framework: str, directory: str | os.PathLike[str] | None = None, verify: bool = True) -> Path:
    """Return the path of the weight file of ``name`` for ``framework``, after checking its sha256.

    Parameters
    ----------
    name : str
        The weights' name, such as ``"mnist04_cnn"``.
    framework : {"torch", "keras"}
        Which framework's file.
    directory : str or path-like, optional
        Folder with the weight files and their JSON; default: the shipped ones.
    verify : bool, default True
        Check the file's sha256 against the record.

    Returns
    -------
    pathlib.Path
        The weight file.

    Raises
    ------
    KeyError
        When the weights exist for other frameworks only.
    FileNotFoundError
        When the file is missing.
    ChecksumError
        When the file's sha256 differs from the one recorded at training time.

    Examples
    --------
    >>> from dlcourse.weights import weights_path
    >>> weights_path("mnist04_cnn", "keras").name
    'mnist04_cnn.weights.h5'
    """
    _check_framework(framework)
    folder = Path(directory) if directory is not None else WEIGHTS_DIR
    info = weights_info(name, folder)
    if framework not in info:
        raise KeyError(f"{name!r} has no {framework} weights; it has {sorted(k for k in info if k in FRAMEWORKS)}")
    entry = info[framework]
    path = folder / entry["file"]
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; reinstall dlcourse (pip install --force-reinstall dlcourse)")
    if verify:
        actual = sha256_of(path)
        if actual != entry["sha256"]:
            raise ChecksumError(
                f"{path} has sha256 {actual}, but {name}.json records {entry['sha256']}: the file was changed "
                "or damaged. Reinstall dlcourse, or retrain it with the command in the JSON file."
            )
    return path


# --------------------------------------------------------------------------- transfer learning
def digits_cnn(framework: str = "torch", n_classes: int = 5) -> Any:
    """Build the small digit CNN of the transfer-learning lesson (untrained).

    Three blocks of 3x3 convolution (32 channels, ReLU) and 2x2 max pooling turn a
    28x28 grey image into 3x3x32 = 288 features (the part called ``features``); one
    dense layer (``head``) maps them to ``n_classes`` logits. 20,261 parameters with
    5 classes.

    * PyTorch: ``nn.Sequential`` with children ``features`` and ``head``; input
      ``(N, 1, 28, 28)`` float in [0, 1].
    * Keras: ``keras.Sequential`` whose layers are the sub-model ``features`` and the
      ``Dense`` layer ``head``; input ``(N, 28, 28, 1)`` float in [0, 1].

    Parameters
    ----------
    framework : {"torch", "keras"}, default "torch"
        Which framework's network to build.
    n_classes : int, default 5
        Outputs of the head.

    Returns
    -------
    torch.nn.Sequential or keras.Sequential
        The untrained network.

    Examples
    --------
    >>> from dlcourse.weights import digits_cnn
    >>> net = digits_cnn("torch")
    >>> sum(p.numel() for p in net.parameters())
    20261
    """
    _check_framework(framework)
    if framework == "torch":
        from collections import OrderedDict

        nn = require_torch("build the digit CNN").nn
        blocks = []
        for c_in in (1, 32, 32):
            blocks += [nn.Conv2d(c_in, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        features = nn.Sequential(*blocks, nn.Flatten())  # 28 -> 14 -> 7 -> 3: 32 * 3 * 3 = 288
        return nn.Sequential(OrderedDict(features=features, head=nn.Linear(288, n_classes)))
    keras = require("keras", "build the digit CNN")
    layers = keras.layers
    blocks = []
    for _ in range(3):
        blocks += [layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(2)]
    features = keras.Sequential([keras.Input((28, 28, 1)), *blocks, layers.Flatten()], name="features")
    return keras.Sequential([keras.Input((28, 28, 1)), features, layers.Dense(n_classes, name="head")], name="digits_cnn")


def load_pretrained_digits_cnn(framework: str = "torch", directory: str | os.PathLike[str] | None = None) -> Any:
    """Load the digit CNN with the shipped weights, trained on MNIST-sample digits 0-4.

    The offline core of the transfer-learning lesson. The sha256 of the file is checked
    first. PyTorch models are returned in ``eval()`` mode.

    Parameters
    ----------
    framework : {"torch", "keras"}, default "torch"
        Which framework's network to build.
    directory : str or path-like, optional
        Folder with weights written by ``scripts/train_transfer_base.py --out-dir``;
        default: the shipped ones.

    Returns
    -------
    torch.nn.Sequential or keras.Sequential
        The trained network (5 outputs, digits 0-4).

    Examples
    --------
    >>> import torch
    >>> from dlcourse.datasets import load_mnist_sample
    >>> from dlcourse.weights import load_pretrained_digits_cnn
    >>> net = load_pretrained_digits_cnn("torch")
    >>> X, y = load_mnist_sample("test", return_X_y=True)
    >>> low = y < 5
    >>> with torch.no_grad():
    ...     pred = net(torch.from_numpy(X[low].reshape(-1, 1, 28, 28))).argmax(1).numpy()
    >>> bool((pred == y[low]).mean() > 0.95)
    True
    """
    path = weights_path("mnist04_cnn", framework, directory)
    model = digits_cnn(framework, n_classes=5)
    if framework == "torch":
        torch = require_torch("load the digit CNN")
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return model.eval()
    model.load_weights(path)
    return model


# --------------------------------------------------------------------------- deep Q-learning
def cartpole_qnet(framework: str = "torch", hidden: int = 64, n_obs: int = 4, n_actions: int = 2) -> Any:
    """Build the Q-network of the DQN lesson: ``n_obs`` -> hidden -> hidden -> ``n_actions`` (ReLU).

    The same network as the lesson's ``make_q_network``; it outputs one Q-value per action.

    Parameters
    ----------
    framework : {"torch", "keras"}, default "torch"
        Which framework's network to build.
    hidden : int, default 64
        Units in each of the two hidden layers.
    n_obs : int, default 4
        Size of an observation (CartPole: 4).
    n_actions : int, default 2
        Number of actions (CartPole: 2).

    Returns
    -------
    torch.nn.Sequential or keras.Sequential
        The untrained network.

    Examples
    --------
    >>> from dlcourse.weights import cartpole_qnet
    >>> q = cartpole_qnet("torch")
    >>> [tuple(p.shape) for p in q.parameters()][:2]
    [(64, 4), (64,)]
    """
    _check_framework(framework)
    if framework == "torch":
        nn = require_torch("build the Q-network").nn
        return nn.Sequential(
            nn.Linear(n_obs, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, n_actions)
        )
    keras = require("keras", "build the Q-network")
    layers = keras.layers
    return keras.Sequential(
        [keras.Input((n_obs,)), layers.Dense(hidden, activation="relu"), layers.Dense(hidden, activation="relu"),
         layers.Dense(n_actions)],
        name="q_network",
    )


def load_cartpole_dqn(framework: str = "torch", directory: str | os.PathLike[str] | None = None) -> Any:
    """Load the shipped DQN policy for ``CartPole-v1``: a Q-network with trained weights.

    Act greedily with ``q(obs).argmax()``. The sha256 is checked first; the network's size
    is read from the provenance record.

    Parameters
    ----------
    framework : {"torch", "keras"}, default "torch"
        Which framework's network to build.
    directory : str or path-like, optional
        Folder with the weight files and their JSON; default: the shipped ones.

    Returns
    -------
    torch.nn.Sequential or keras.Sequential
        The trained Q-network (4 inputs, 2 Q-values), PyTorch in ``eval()`` mode.

    Examples
    --------
    >>> import torch
    >>> from dlcourse.weights import load_cartpole_dqn
    >>> q = load_cartpole_dqn("torch")
    >>> with torch.no_grad():
    ...     q(torch.zeros(1, 4)).shape
    torch.Size([1, 2])
    """
    path = weights_path("cartpole_dqn", framework, directory)
    info = weights_info("cartpole_dqn", directory)
    model = cartpole_qnet(framework, hidden=int(info[framework]["config"]["hidden"]))
    if framework == "torch":
        torch = require_torch("load the DQN policy")
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return model.eval()
    model.load_weights(path)
    return model


# ---------------------------------------------------------------------- connectivity
def url_available(url: str, timeout: float = 3.0) -> bool:
    """Return whether ``url``'s server answers within ``timeout`` seconds. Never raises.

    ``False`` at once when the environment variable ``DLCOURSE_OFFLINE`` is set to 1
    (tests and offline classrooms set it to skip the attempt). Otherwise one ``HEAD``
    request is sent; any HTTP answer below 500 counts as reachable.

    Parameters
    ----------
    url : str
        Any URL; its server is asked for the headers only.
    timeout : float, default 3.0
        Seconds to wait for an answer.

    Returns
    -------
    bool
        Whether the server answered with a status below 500.

    Examples
    --------
    >>> from dlcourse.weights import url_available
    >>> url_available("http://127.0.0.1:9/", timeout=0.5)  # nothing listens there
    False
    """
    if os.environ.get("DLCOURSE_OFFLINE", "").strip().lower() in _TRUE:
        return False
    try:
        request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "dlcourse"})
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - caller's URL
            return int(response.status) < 500
    except urllib.error.HTTPError as exc:  # the server answered, with an error status
        return int(exc.code) < 500
    except Exception:  # DNS failure, refused, timeout, TLS, proxy: all mean "not reachable"
        return False
