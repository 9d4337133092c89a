"""Pretrained transformers from the Hugging Face Hub, with an offline path.

Lessons call the library itself (``pipeline(...)``, ``AutoModel.from_pretrained(...)``);
this module only decides *what* they load. :func:`model_source` returns the Hub id when
the Hub answers (or the weights are cached) and otherwise a local folder written by
``save_pretrained``, so the very same call runs on the real weights online and on a small
local model offline (tests, classrooms without a connection). :func:`build_tiny_bert` and
:func:`build_tiny_gpt2` write such folders.

The loaders (``load_text_generator``, ``load_sentiment_classifier``, ``load_bert``,
``load_bert_classifier``) wrap the same calls for scripts and tests. When a Hub model is
asked for and huggingface.co cannot be reached (and the weights are not in the local
cache), they raise :class:`HubUnavailableError`, whose message is the single line
:data:`OFFLINE_MESSAGE`.

What each loader gives:

* ``load_text_generator`` - text generation with a GPT-style model.
* ``load_sentiment_classifier`` - the model behind ``pipeline("sentiment-analysis")``.
* ``load_bert`` - BERT's tokenizer and encoder hidden states.
* ``load_bert_classifier`` and ``classify_with_labels`` - BERT sequence classification,
  a forward pass with labels.

Setting ``DLCOURSE_OFFLINE=1`` (the tests do) makes :func:`hub_available` answer
``False`` at once, as ``HF_HUB_OFFLINE=1`` does, so nothing is downloaded.

``transformers`` 5 supports PyTorch only: its TensorFlow and JAX model classes
(``TFAutoModel`` and friends) were removed (see the library's ``MIGRATION_GUIDE_V5.md``,
"Removal of TensorFlow and Jax"). That is why this module has no Keras variant.

Model ids, checked against the Hub and the ``transformers`` 5.23 source:

* ``openai-community/gpt2``: GPT-2 "small" (124M parameters), the canonical id since the
  Hub moved its un-namespaced models into organisations in January 2024 (the old short
  name ``gpt2`` still redirects; huggingface/transformers pull request 28795).
* ``distilbert/distilbert-base-uncased-finetuned-sst-2-english`` at revision ``714eb0f``:
  the default of ``pipeline("sentiment-analysis")``, which is an alias of
  ``"text-classification"`` (``transformers/pipelines/__init__.py``, ``SUPPORTED_TASKS``).
  The default of ``pipeline("text-generation")`` in transformers 5 is a 3-billion
  parameter model (``HuggingFaceTB/SmolLM3-3B``), not GPT-2, so we always name the model.
* ``google-bert/bert-base-uncased``: BERT base (12 layers, hidden size 768, 12 heads).
"""

from __future__ import annotations

import contextlib
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from .frameworks import require, require_torch

__all__ = [
    "DEFAULT_BERT",
    "DEFAULT_GENERATOR",
    "DEFAULT_SENTIMENT",
    "DEFAULT_SENTIMENT_REVISION",
    "OFFLINE_MESSAGE",
    "OFFLINE_SWITCHES",
    "HubUnavailableError",
    "ModelSource",
    "hub_available",
    "model_source",
    "is_local_model",
    "load_text_generator",
    "generate_text",
    "load_sentiment_classifier",
    "load_bert",
    "load_bert_classifier",
    "classify_with_labels",
    "build_tiny_bert",
    "build_tiny_gpt2",
]

#: GPT-2 small (124M parameters), the GPT-style generator.
DEFAULT_GENERATOR = "openai-community/gpt2"
#: The model ``pipeline("sentiment-analysis")`` loads when none is named ...
DEFAULT_SENTIMENT = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
#: ... at the revision transformers pins for it.
DEFAULT_SENTIMENT_REVISION = "714eb0f"
#: BERT base, uncased.
DEFAULT_BERT = "google-bert/bert-base-uncased"

#: The one line a lesson prints when the Hub cannot be reached.
OFFLINE_MESSAGE = (
    "Pretrained weights can't be downloaded here (no connection to huggingface.co); "
    "continuing with the offline model."
)

_TRUE = {"1", "true", "yes", "on"}


class HubUnavailableError(ConnectionError):
    """The Hugging Face Hub cannot be reached and the model is not cached locally.

    ``str(error)`` is :data:`OFFLINE_MESSAGE` (one line), so ``print(error)`` is all a
    lesson needs; ``error.model`` names the model that was asked for.

    Parameters
    ----------
    model : str, optional
        The Hub id that could not be loaded.
    message : str, optional
        The error message; default :data:`OFFLINE_MESSAGE`.
    """

    def __init__(self, model: str = "", message: str = OFFLINE_MESSAGE) -> None:
        super().__init__(message)
        self.model = model


#: Environment variables that, set to 1/true/yes/on, mean "do not try the network":
#: the course's own switch and the two that ``huggingface_hub`` and ``transformers`` honour.
OFFLINE_SWITCHES = ("DLCOURSE_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


def _endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def _offline_by_setting() -> bool:
    return any(os.environ.get(v, "").strip().lower() in _TRUE for v in OFFLINE_SWITCHES)


def hub_available(timeout: float = 3.0, endpoint: str | None = None) -> bool:
    """Return whether the Hugging Face Hub answers, within ``timeout`` seconds. Never raises.

    ``False`` at once when one of :data:`OFFLINE_SWITCHES` is set: ``DLCOURSE_OFFLINE``
    (the course's switch, which the tests set) or ``HF_HUB_OFFLINE`` /
    ``TRANSFORMERS_OFFLINE`` (the ones ``huggingface_hub`` itself honours). Otherwise one
    ``HEAD`` request is sent to ``endpoint``; any HTTP answer below 500 counts as reachable.

    Parameters
    ----------
    timeout : float, optional
        Seconds to wait for an answer.
    endpoint : str, optional
        The Hub's address; default ``$HF_ENDPOINT`` or https://huggingface.co.

    Returns
    -------
    bool
        ``True`` when the Hub answered.

    Examples
    --------
    >>> from dlcourse.hub import hub_available
    >>> hub_available(timeout=0.5, endpoint="http://127.0.0.1:9")  # nothing listens there
    False
    """
    if _offline_by_setting():
        return False
    url = (endpoint or _endpoint()).rstrip("/") + "/"
    try:
        request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "dlcourse"})
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - fixed https URL
            return int(response.status) < 500
    except urllib.error.HTTPError as exc:  # the server answered, with an error status
        return int(exc.code) < 500
    except Exception:  # DNS failure, refused, timeout, TLS, proxy ... : all mean "not reachable"
        return False


def is_local_model(model: str | os.PathLike[str]) -> bool:
    """Return whether ``model`` is a folder on this machine (as written by ``save_pretrained``).

    Parameters
    ----------
    model : str or os.PathLike
        A Hub id or a path.

    Returns
    -------
    bool
        ``True`` for an existing folder.

    Examples
    --------
    >>> is_local_model(".")
    True
    >>> is_local_model("openai-community/gpt2")  # a Hub id, not a folder here
    False
    """
    try:
        return Path(model).expanduser().is_dir()
    except (TypeError, OSError):
        return False


def _cached(model: str) -> bool:
    """Return whether the Hub model's ``config.json`` is in the local Hugging Face cache."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    try:
        return isinstance(try_to_load_from_cache(model, "config.json"), str)
    except Exception:  # an id the cache cannot parse is simply not cached
        return False


class ModelSource(NamedTuple):
    """What to pass to ``from_pretrained`` or ``pipeline(model=...)``, and where it comes from.

    Attributes
    ----------
    name : str
        A Hub id (``pretrained`` is ``True``) or the path of a local folder.
    pretrained : bool
        ``True`` for the real pretrained model, ``False`` for the offline substitute.

    Examples
    --------
    >>> from dlcourse.hub import ModelSource
    >>> source = ModelSource("openai-community/gpt2", pretrained=True)
    >>> source.name, source.pretrained
    ('openai-community/gpt2', True)
    """

    name: str
    pretrained: bool


def model_source(
    model: str,
    offline: str | os.PathLike[str],
    *,
    timeout: float = 3.0,
    announce: bool = True,
) -> ModelSource:
    """Choose between a pretrained Hub model and an offline substitute folder.

    The lesson then calls the library with the answer, for example
    ``pipeline("sentiment-analysis", model=source.name)``: the call a learner reads is
    the library's own, and only the model it names changes when there is no connection.

    Parameters
    ----------
    model : str
        A Hub id such as ``"openai-community/gpt2"``.
    offline : str or os.PathLike
        A folder written by ``save_pretrained`` (for example by :func:`build_tiny_bert`),
        used when the Hub cannot be reached and ``model`` is not cached. It need not exist
        yet: the lesson may write it after this call.
    timeout : float, optional
        Seconds to wait for the Hub (see :func:`hub_available`).
    announce : bool, optional
        Print :data:`OFFLINE_MESSAGE` when the offline folder is chosen.

    Returns
    -------
    ModelSource
        ``(model, True)`` when the Hub answers or the weights are cached, else
        ``(str(offline), False)``.

    Examples
    --------
    With ``DLCOURSE_OFFLINE=1`` set (or no connection), the offline folder is chosen unless
    GPT-2's weights are already in the local cache; the same name then feeds the loaders:

    >>> import os, tempfile
    >>> from unittest import mock
    >>> from dlcourse.hub import build_tiny_gpt2, load_text_generator, model_source
    >>> folder = os.path.join(tempfile.mkdtemp(), "tiny-gpt2")
    >>> with mock.patch.dict(os.environ, {"DLCOURSE_OFFLINE": "1"}):
    ...     source = model_source("openai-community/gpt2", folder, announce=False)
    >>> source.pretrained or source.name == folder
    True
    >>> if not source.pretrained:  # write the offline substitute only when it is needed
    ...     _ = build_tiny_gpt2(folder, ["the cat sat on the mat", "the dog sat on the log"])
    >>> type(load_text_generator(source.name)).__name__
    'TextGenerationPipeline'
    """
    if _cached(model) or hub_available(timeout):
        return ModelSource(model, True)
    if announce:
        print(OFFLINE_MESSAGE)
    return ModelSource(str(Path(offline).expanduser()), False)


@contextlib.contextmanager
def _quiet_loading() -> Iterator[None]:
    """Hide transformers' per-load progress bars and load reports while loading.

    Download progress bars (huggingface_hub) stay: a 500 MB download should show progress.
    """
    logging = require("transformers").utils.logging
    bars_were_on = logging.is_progress_bar_enabled()
    verbosity = logging.get_verbosity()
    logging.disable_progress_bar()
    logging.set_verbosity_error()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bars_were_on:
            logging.enable_progress_bar()


def _resolve(model: str | os.PathLike[str], timeout: float) -> tuple[str, dict[str, Any]]:
    """Decide how to load ``model``: its string form and extra ``from_pretrained`` kwargs.

    A local folder loads as is. A Hub id loads from the Hub when it answers, else from the
    local cache only; when it is not cached either, :class:`HubUnavailableError`.
    """
    if is_local_model(model):
        return str(Path(model).expanduser()), {}
    name = str(model)
    if isinstance(model, os.PathLike) or name.startswith(("/", "./", "../", "~", "\\")):
        raise FileNotFoundError(f"no model folder at {name!r} (a Hub id looks like 'owner/name')")
    if hub_available(timeout):
        return name, {}
    return name, {"local_files_only": True}


def _load(model: str | os.PathLike[str], timeout: float, load_fn: Callable[[str, dict[str, Any]], Any]) -> Any:
    name, extra = _resolve(model, timeout)
    try:
        with _quiet_loading():
            return load_fn(name, extra)
    except OSError as exc:
        # Not cached while offline, or the connection dropped during the download.
        if not is_local_model(model) and (extra.get("local_files_only") or not hub_available(timeout)):
            raise HubUnavailableError(name) from exc
        raise


def load_text_generator(
    model: str | os.PathLike[str] = DEFAULT_GENERATOR,
    *,
    revision: str | None = None,
    device: str | int | None = None,
    timeout: float = 3.0,
) -> Any:
    """Return a ``text-generation`` pipeline around a GPT-style (decoder-only) model.

    Parameters
    ----------
    model : str or path
        A Hub id (default :data:`DEFAULT_GENERATOR`, GPT-2 small; ``"distilbert/distilgpt2"``
        is a smaller alternative) or a local folder with a causal language model and
        its tokenizer.
    revision : str, optional
        A branch, tag or commit of the Hub repository (ignored for local folders).
    device : str or int, optional
        Passed to ``pipeline`` (``"cpu"``, ``"cuda"``, ``0`` ...); default: the CPU.
    timeout : float, optional
        Seconds to wait for the Hub (see :func:`hub_available`).

    Returns
    -------
    transformers.TextGenerationPipeline
        Call it on a prompt, or pass it to :func:`generate_text`.

    Raises
    ------
    HubUnavailableError
        The Hub cannot be reached and the model is not cached locally.

    Examples
    --------
    Offline, on a tiny GPT-2 written by :func:`build_tiny_gpt2` (random weights):

    >>> import tempfile
    >>> from dlcourse.hub import build_tiny_gpt2, load_text_generator
    >>> folder = build_tiny_gpt2(tempfile.mkdtemp(), ["the cat sat on the mat", "the dog sat on the log"])
    >>> generator = load_text_generator(folder)
    >>> type(generator).__name__, generator.model.config.model_type
    ('TextGenerationPipeline', 'gpt2')
    >>> out = generator("the cat", max_new_tokens=3, do_sample=False)
    >>> out[0]["generated_text"].startswith("the cat")
    True
    """
    transformers = require("transformers", "load a pretrained transformer")
    require_torch("run a transformers model (transformers 5 is PyTorch-only)")

    def load(name: str, extra: dict[str, Any]) -> Any:
        kwargs = dict(extra)
        if revision and not is_local_model(name):
            kwargs["revision"] = revision
        tokenizer = transformers.AutoTokenizer.from_pretrained(name, **kwargs)
        lm = transformers.AutoModelForCausalLM.from_pretrained(name, **kwargs)
        return transformers.pipeline("text-generation", model=lm, tokenizer=tokenizer, device=device)

    return _load(model, timeout, load)


def generate_text(
    generator: Any,
    prompt: str,
    max_new_tokens: int = 30,
    *,
    do_sample: bool = True,
    temperature: float = 0.8,
    top_k: int = 50,
    seed: int | None = 0,
) -> str:
    """Continue ``prompt`` with a ``text-generation`` pipeline and return the whole text.

    Sampling with a fixed ``seed`` gives the same text run to run; ``do_sample=False``
    is greedy decoding.

    Parameters
    ----------
    generator : transformers.TextGenerationPipeline
        A pipeline, for example from :func:`load_text_generator`.
    prompt : str
        The text to continue.
    max_new_tokens : int, optional
        How many tokens to add at most.
    do_sample : bool, optional
        Sample the next token (``True``) or take the most likely one (``False``, greedy).
    temperature : float, optional
        Sampling temperature (ignored when ``do_sample`` is ``False``).
    top_k : int, optional
        Sample among the ``top_k`` most likely tokens (ignored when ``do_sample`` is ``False``).
    seed : int or None, optional
        Seed for PyTorch's generator before sampling; ``None`` leaves it alone.

    Returns
    -------
    str
        The prompt followed by its continuation.

    Examples
    --------
    >>> import tempfile
    >>> from dlcourse.hub import build_tiny_gpt2, generate_text, load_text_generator
    >>> folder = build_tiny_gpt2(tempfile.mkdtemp(), ["the cat sat on the mat", "the dog sat on the log"])
    >>> generator = load_text_generator(folder)
    >>> text = generate_text(generator, "the cat", max_new_tokens=5, seed=0)
    >>> text.startswith("the cat")
    True
    >>> text == generate_text(generator, "the cat", max_new_tokens=5, seed=0)  # same seed, same text
    True
    """
    torch = require_torch("generate text")
    if seed is not None:
        torch.manual_seed(seed)
    tokenizer = generator.tokenizer
    kwargs: dict[str, Any] = {"max_new_tokens": int(max_new_tokens), "do_sample": bool(do_sample)}
    if do_sample:
        kwargs.update(temperature=float(temperature), top_k=int(top_k))
    if tokenizer.pad_token_id is None and tokenizer.eos_token_id is not None:
        kwargs["pad_token_id"] = tokenizer.eos_token_id  # GPT-2 has no padding token
    out = generator(prompt, **kwargs)
    return out[0]["generated_text"]


def load_sentiment_classifier(
    model: str | os.PathLike[str] = DEFAULT_SENTIMENT,
    *,
    revision: str | None = None,
    device: str | int | None = None,
    timeout: float = 3.0,
) -> Any:
    """Return a sentiment-analysis pipeline, with the model named explicitly.

    ``pipeline("sentiment-analysis")`` with no model loads
    :data:`DEFAULT_SENTIMENT` at revision :data:`DEFAULT_SENTIMENT_REVISION` (a DistilBERT
    fine-tuned on SST-2, labels ``NEGATIVE``/``POSITIVE``) and warns that no model was
    given. Naming it, pinned to the same revision, gives the same model without the
    warning and keeps results stable when the library's default changes.

    Parameters
    ----------
    model : str or path
        A Hub id (default :data:`DEFAULT_SENTIMENT`) or a local folder with a sequence
        classifier and its tokenizer (for example from :func:`build_tiny_bert`).
    revision : str, optional
        A branch, tag or commit of the Hub repository (ignored for local folders); default
        :data:`DEFAULT_SENTIMENT_REVISION` for :data:`DEFAULT_SENTIMENT`.
    device : str or int, optional
        Passed to ``pipeline`` (``"cpu"``, ``"cuda"``, ``0`` ...); default: the CPU.
    timeout : float, optional
        Seconds to wait for the Hub (see :func:`hub_available`).

    Returns
    -------
    transformers.TextClassificationPipeline
        Call it on a string or a list: ``[{"label": "POSITIVE", "score": 0.99}, ...]``.

    Raises
    ------
    HubUnavailableError
        The Hub cannot be reached and the model is not cached locally.

    Examples
    --------
    Offline, on a tiny BERT written by :func:`build_tiny_bert` (random weights, so the
    label is a coin toss):

    >>> import tempfile
    >>> from dlcourse.hub import build_tiny_bert, load_sentiment_classifier
    >>> classifier = load_sentiment_classifier(build_tiny_bert(tempfile.mkdtemp()))
    >>> result = classifier(["a wonderful film", "a boring plot"])
    >>> len(result), result[0]["label"] in {"NEGATIVE", "POSITIVE"}, 0 <= result[0]["score"] <= 1
    (2, True, True)
    """
    transformers = require("transformers", "load a pretrained transformer")
    require_torch("run a transformers model (transformers 5 is PyTorch-only)")
    if revision is None and str(model) == DEFAULT_SENTIMENT:
        revision = DEFAULT_SENTIMENT_REVISION

    def load(name: str, extra: dict[str, Any]) -> Any:
        kwargs = dict(extra)
        if revision and not is_local_model(name):
            kwargs["revision"] = revision
        tokenizer = transformers.AutoTokenizer.from_pretrained(name, **kwargs)
        clf = transformers.AutoModelForSequenceClassification.from_pretrained(name, **kwargs)
        return transformers.pipeline("sentiment-analysis", model=clf, tokenizer=tokenizer, device=device)

    return _load(model, timeout, load)


def load_bert(
    model: str | os.PathLike[str] = DEFAULT_BERT, *, revision: str | None = None, timeout: float = 3.0
) -> tuple[Any, Any]:
    """Return BERT's tokenizer and encoder (``AutoModel``, no task head).

    ``model(**tokenizer(texts, padding=True, return_tensors="pt")).last_hidden_state``
    has shape ``(batch, sequence length, hidden size)``: one vector per token
    (768 numbers each for BERT base). The model is returned in evaluation mode.

    Parameters
    ----------
    model : str or path
        A Hub id (default :data:`DEFAULT_BERT`) or a local folder with a BERT-style model
        and its tokenizer (for example from :func:`build_tiny_bert`).
    revision : str, optional
        A branch, tag or commit of the Hub repository (ignored for local folders).
    timeout : float, optional
        Seconds to wait for the Hub (see :func:`hub_available`).

    Returns
    -------
    tuple
        ``(tokenizer, encoder)``.

    Raises
    ------
    HubUnavailableError
        The Hub cannot be reached and the model is not cached locally.

    Examples
    --------
    Offline, on a tiny BERT (hidden size 32) written by :func:`build_tiny_bert`:

    >>> import tempfile
    >>> from dlcourse.hub import build_tiny_bert, load_bert
    >>> tokenizer, encoder = load_bert(build_tiny_bert(tempfile.mkdtemp()))
    >>> batch = tokenizer(["a good film", "the acting was great"], padding=True, return_tensors="pt")
    >>> tuple(encoder(**batch).last_hidden_state.shape)  # [CLS] the acting was great [SEP]
    (2, 6, 32)
    >>> encoder.training
    False
    """
    transformers = require("transformers", "load a pretrained transformer")
    require_torch("run a transformers model (transformers 5 is PyTorch-only)")

    def load(name: str, extra: dict[str, Any]) -> Any:
        kwargs = dict(extra)
        if revision and not is_local_model(name):
            kwargs["revision"] = revision
        tokenizer = transformers.AutoTokenizer.from_pretrained(name, **kwargs)
        encoder = transformers.AutoModel.from_pretrained(name, **kwargs)
        return tokenizer, encoder.eval()

    return _load(model, timeout, load)


def load_bert_classifier(
    model: str | os.PathLike[str] = DEFAULT_BERT,
    num_labels: int = 2,
    *,
    revision: str | None = None,
    timeout: float = 3.0,
) -> tuple[Any, Any]:
    """Return a tokenizer and an ``AutoModelForSequenceClassification``.

    Loaded from a plain pretrained encoder such as ``bert-base-uncased``, the
    classification head (a linear layer on the ``[CLS]`` vector) is new and random: the
    model has to be fine-tuned before its predictions mean anything. Loaded from a
    fine-tuned checkpoint, the head comes with it (and ``num_labels`` must match it).

    Parameters
    ----------
    model : str or path
        A Hub id (default :data:`DEFAULT_BERT`) or a local folder with a BERT-style model
        and its tokenizer (for example from :func:`build_tiny_bert`).
    num_labels : int, optional
        Number of classes the head predicts.
    revision : str, optional
        A branch, tag or commit of the Hub repository (ignored for local folders).
    timeout : float, optional
        Seconds to wait for the Hub (see :func:`hub_available`).

    Returns
    -------
    tuple
        ``(tokenizer, model)``; pass them to :func:`classify_with_labels`.

    Raises
    ------
    HubUnavailableError
        The Hub cannot be reached and the model is not cached locally.

    Examples
    --------
    >>> import tempfile
    >>> from dlcourse.hub import build_tiny_bert, load_bert_classifier
    >>> tokenizer, model = load_bert_classifier(build_tiny_bert(tempfile.mkdtemp()), num_labels=2)
    >>> type(model).__name__, model.config.num_labels
    ('BertForSequenceClassification', 2)
    """
    transformers = require("transformers", "load a pretrained transformer")
    require_torch("run a transformers model (transformers 5 is PyTorch-only)")

    def load(name: str, extra: dict[str, Any]) -> Any:
        kwargs = dict(extra)
        if revision and not is_local_model(name):
            kwargs["revision"] = revision
        tokenizer = transformers.AutoTokenizer.from_pretrained(name, **kwargs)
        clf = transformers.AutoModelForSequenceClassification.from_pretrained(name, num_labels=num_labels, **kwargs)
        return tokenizer, clf

    return _load(model, timeout, load)


def classify_with_labels(tokenizer: Any, model: Any, texts: list[str], labels: list[int]) -> Any:
    """Run one forward pass of a sequence classifier *with labels*.

    Passing ``labels`` makes the model compute the loss itself (cross-entropy for
    ``num_labels > 1``, mean squared error for ``num_labels == 1``): ``outputs.loss`` is a
    scalar tensor ready for ``.backward()``, ``outputs.logits`` has shape
    ``(batch, num_labels)``.

    Parameters
    ----------
    tokenizer : transformers.PreTrainedTokenizerBase
        The model's tokenizer.
    model : transformers.PreTrainedModel
        A sequence classifier, for example from :func:`load_bert_classifier`.
    texts : list of str
        The inputs, padded and truncated to one batch.
    labels : list of int
        One class index per text.

    Returns
    -------
    transformers.modeling_outputs.SequenceClassifierOutput
        With ``loss`` and ``logits``.

    Raises
    ------
    ValueError
        ``texts`` and ``labels`` differ in length.

    Examples
    --------
    >>> import tempfile
    >>> from dlcourse.hub import build_tiny_bert, classify_with_labels, load_bert_classifier
    >>> tokenizer, model = load_bert_classifier(build_tiny_bert(tempfile.mkdtemp()))
    >>> outputs = classify_with_labels(tokenizer, model, ["a great film", "a bad plot"], [1, 0])
    >>> tuple(outputs.logits.shape), outputs.loss.ndim, bool(outputs.loss > 0)
    ((2, 2), 0, True)
    >>> outputs.loss.backward()  # ready for a training step
    """
    torch = require_torch("run a transformers model")
    if len(texts) != len(labels):
        raise ValueError(f"got {len(texts)} texts but {len(labels)} labels")
    batch = tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt")
    return model(**batch, labels=torch.tensor(list(labels), dtype=torch.long))


# --------------------------------------------------------------------------------------
# Small local models, for tests and for the offline path of the lessons. They have the
# architecture of the real ones and load through the same functions, but their weights
# are random (or trained for seconds): they teach the API and the shapes, not language.
# --------------------------------------------------------------------------------------

_BERT_SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_tiny_bert(
    save_dir: str | os.PathLike[str],
    words: list[str] | None = None,
    *,
    hidden_size: int = 32,
    num_layers: int = 2,
    num_heads: int = 2,
    labels: tuple[str, ...] = ("NEGATIVE", "POSITIVE"),
    seed: int = 0,
) -> Path:
    """Write a tiny, randomly initialised BERT sequence classifier and its tokenizer.

    The tokenizer is a BERT WordPiece tokenizer whose vocabulary is the special tokens
    plus ``words`` (lower-cased; default: the words of a few short film reviews).
    ``load_bert``, ``load_bert_classifier`` and ``load_sentiment_classifier`` all load
    the folder.

    Parameters
    ----------
    save_dir : str or os.PathLike
        Folder to write (created if needed).
    words : list of str, optional
        The vocabulary besides the special tokens.
    hidden_size : int, optional
        Width of the token vectors.
    num_layers : int, optional
        Number of encoder layers.
    num_heads : int, optional
        Attention heads per layer (must divide ``hidden_size``).
    labels : tuple of str, optional
        Class names, in the order of the classifier's outputs.
    seed : int, optional
        Seed for the random initial weights.

    Returns
    -------
    pathlib.Path
        ``save_dir``.

    Examples
    --------
    >>> import tempfile
    >>> from dlcourse.hub import build_tiny_bert, is_local_model, load_bert
    >>> folder = build_tiny_bert(tempfile.mkdtemp(), hidden_size=16, labels=("bad", "fine", "good"))
    >>> is_local_model(folder), (folder / "config.json").is_file()
    (True, True)
    >>> tokenizer, encoder = load_bert(folder)
    >>> tokenizer.tokenize("The film was GREAT!")
    ['the', 'film', 'was', 'great', '!']
    >>> encoder.config.hidden_size
    16
    """
    transformers = require("transformers", "build a small transformer")
    torch = require_torch("build a small transformer")
    if words is None:
        words = ("a an the this that film movie story plot acting was is it i we loved liked hated "
                 "great good fine boring bad awful terrible wonderful and but not very . , !").split()
    vocab_list = list(dict.fromkeys(_BERT_SPECIAL + [w.lower() for w in words]))
    # BertTokenizer(vocab=...) takes the vocabulary itself; note that transformers 5
    # silently ignores the older keyword vocab_file=..., leaving only the special tokens.
    tokenizer = transformers.BertTokenizer(vocab={w: i for i, w in enumerate(vocab_list)})
    config = transformers.BertConfig(
        vocab_size=len(vocab_list),
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=4 * hidden_size,
        max_position_embeddings=128,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={name: i for i, name in enumerate(labels)},
    )
    torch.manual_seed(seed)
    model = transformers.BertForSequenceClassification(config)
    save_dir = Path(save_dir)
    save_dir.mkdir(parents=True, exist_ok=True)
    with _quiet_loading():
        model.save_pretrained(save_dir)
        tokenizer.save_pretrained(save_dir)
    return save_dir


def build_tiny_gpt2(
    save_dir: str | os.PathLike[str],
    texts: list[str],
    *,
    vocab_size: int = 300,
    n_layer: int = 2,
    n_head: int = 2,
    n_embd: int = 32,
    n_positions: int = 128,
    seed: int = 0,
) -> Path:
    """Write a tiny, randomly initialised GPT-2 and a byte-level BPE tokenizer trained on ``texts``.

    The tokenizer is GPT-2's kind (byte-level BPE with the ``<|endoftext|>`` token),
    learned from ``texts`` with the ``tokenizers`` library in well under a second.
    ``load_text_generator(save_dir)`` loads the folder.

    Parameters
    ----------
    save_dir : str or os.PathLike
        Folder to write (created if needed).
    texts : list of str
        Text to learn the tokenizer's merges from.
    vocab_size : int, optional
        Size of the tokenizer's vocabulary at most (the 256 bytes and ``<|endoftext|>``
        included).
    n_layer : int, optional
        Number of decoder layers.
    n_head : int, optional
        Attention heads per layer (must divide ``n_embd``).
    n_embd : int, optional
        Width of the token vectors.
    n_positions : int, optional
        Longest sequence the model takes.
    seed : int, optional
        Seed for the random initial weights.

    Returns
    -------
    pathlib.Path
        ``save_dir``.

    Examples
    --------
    >>> import tempfile
    >>> from dlcourse.hub import build_tiny_gpt2, load_text_generator
    >>> folder = build_tiny_gpt2(tempfile.mkdtemp(), ["the cat sat on the mat", "the dog sat on the log"])
    >>> {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in folder.iterdir()}
    True
    >>> generator = load_text_generator(folder)
    >>> generator.tokenizer.eos_token, generator.model.config.n_layer
    ('<|endoftext|>', 2)
    """
    transformers = require("transformers", "build a small transformer")
    torch = require_torch("build a small transformer")
    tokenizers = require("tokenizers", "train a byte-level BPE tokenizer")
    eot = "<|endoftext|>"
    bpe = tokenizers.ByteLevelBPETokenizer()
    bpe.train_from_iterator(list(texts), vocab_size=vocab_size, min_frequency=1, special_tokens=[eot], show_progress=False)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=bpe._tokenizer, bos_token=eot, eos_token=eot, unk_token=eot
    )
    config = transformers.GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=n_positions,
        n_embd=n_embd,
        n_layer=n_layer,
        n_head=n_head,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    model = transformers.GPT2LMHeadModel(config)
    save_dir = Path(save_dir)
    save_dir.mkdir(parents=True, exist_ok=True)
    with _quiet_loading():
        model.save_pretrained(save_dir)
        tokenizer.save_pretrained(save_dir)
    return save_dir
