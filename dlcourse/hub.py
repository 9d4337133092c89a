"""Pretrained transformers from the Hugging Face Hub, with an offline path.

The loaders below are the real, current code for the pretrained models the course uses
(Hugging Face ``transformers`` 5, PyTorch). Each takes a Hub model id **or** a local
folder written by ``save_pretrained``, so the same code runs on the real weights when
they can be downloaded and on a small local model when they cannot (tests, offline
machines).

When a Hub model is asked for and huggingface.co cannot be reached (and the weights are
not in the local cache), the loaders raise :class:`HubUnavailableError`, whose message
is the single line :data:`OFFLINE_MESSAGE`; lessons catch it (or check
:func:`hub_available` first) and continue with an offline counterpart.

Which "System" of the course each piece answers (see the course's table of systems):

* ``load_text_generator``  - System 3, text generation with a GPT-style model.
* ``load_sentiment_classifier`` - System 5, the model behind ``pipeline("sentiment-analysis")``.
* ``load_bert`` - System 18, BERT tokenizer and encoder hidden states.
* ``load_bert_classifier`` and ``classify_with_labels`` - System 27, BERT sequence
  classification forward pass with labels.

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
from pathlib import Path
from typing import Any

from .frameworks import require, require_torch

__all__ = [
    "DEFAULT_BERT",
    "DEFAULT_GENERATOR",
    "DEFAULT_SENTIMENT",
    "DEFAULT_SENTIMENT_REVISION",
    "OFFLINE_MESSAGE",
    "HubUnavailableError",
    "hub_available",
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

#: GPT-2 small (124M parameters), the GPT-style generator of System 3.
DEFAULT_GENERATOR = "openai-community/gpt2"
#: The model ``pipeline("sentiment-analysis")`` loads when none is named (System 5) ...
DEFAULT_SENTIMENT = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
#: ... at the revision transformers pins for it.
DEFAULT_SENTIMENT_REVISION = "714eb0f"
#: BERT base, uncased (Systems 18 and 27).
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
    """

    def __init__(self, model: str = "", message: str = OFFLINE_MESSAGE):
        super().__init__(message)
        self.model = model


def _endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def _offline_by_setting() -> bool:
    return any(os.environ.get(v, "").strip().lower() in _TRUE for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_available(timeout: float = 3.0, endpoint: str | None = None) -> bool:
    """Return whether the Hugging Face Hub answers, within ``timeout`` seconds. Never raises.

    ``False`` at once when ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) is set, the
    switches ``huggingface_hub`` itself honours. Otherwise one ``HEAD`` request is sent to
    ``endpoint`` (default: ``$HF_ENDPOINT`` or https://huggingface.co); any HTTP answer
    below 500 counts as reachable.

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
    """Whether ``model`` is a folder on this machine (as written by ``save_pretrained``)."""
    try:
        return Path(model).expanduser().is_dir()
    except (TypeError, OSError):
        return False


@contextlib.contextmanager
def _quiet_loading():
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


def _load(model: str | os.PathLike[str], timeout: float, load_fn):
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
    """A ``text-generation`` pipeline around a GPT-style (decoder-only) model. System 3.

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

    Raises
    ------
    HubUnavailableError
        The Hub cannot be reached and the model is not cached locally.
    """
    transformers = require("transformers", "load a pretrained transformer")
    require_torch("run a transformers model (transformers 5 is PyTorch-only)")

    def load(name, extra):
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
    """A sentiment-analysis pipeline, with the model named explicitly. System 5.

    ``pipeline("sentiment-analysis")`` with no model loads
    :data:`DEFAULT_SENTIMENT` at revision :data:`DEFAULT_SENTIMENT_REVISION` (a DistilBERT
    fine-tuned on SST-2, labels ``NEGATIVE``/``POSITIVE``) and warns that no model was
    given. Naming it, pinned to the same revision, gives the same model without the
    warning and keeps results stable when the library's default changes.

    Returns
    -------
    transformers.TextClassificationPipeline
        Call it on a string or a list: ``[{"label": "POSITIVE", "score": 0.99}, ...]``.
    """
    transformers = require("transformers", "load a pretrained transformer")
    require_torch("run a transformers model (transformers 5 is PyTorch-only)")
    if revision is None and str(model) == DEFAULT_SENTIMENT:
        revision = DEFAULT_SENTIMENT_REVISION

    def load(name, extra):
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
    """BERT's tokenizer and encoder (``AutoModel``, no task head). System 18.

    ``model(**tokenizer(texts, padding=True, return_tensors="pt")).last_hidden_state``
    has shape ``(batch, sequence length, hidden size)``: one vector per token
    (768 numbers each for BERT base). The model is returned in evaluation mode.
    """
    transformers = require("transformers", "load a pretrained transformer")
    require_torch("run a transformers model (transformers 5 is PyTorch-only)")

    def load(name, extra):
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
    """Tokenizer and ``AutoModelForSequenceClassification``. System 27.

    Loaded from a plain pretrained encoder such as ``bert-base-uncased``, the
    classification head (a linear layer on the ``[CLS]`` vector) is new and random: the
    model has to be fine-tuned before its predictions mean anything. Loaded from a
    fine-tuned checkpoint, the head comes with it (and ``num_labels`` must match it).
    """
    transformers = require("transformers", "load a pretrained transformer")
    require_torch("run a transformers model (transformers 5 is PyTorch-only)")

    def load(name, extra):
        kwargs = dict(extra)
        if revision and not is_local_model(name):
            kwargs["revision"] = revision
        tokenizer = transformers.AutoTokenizer.from_pretrained(name, **kwargs)
        clf = transformers.AutoModelForSequenceClassification.from_pretrained(name, num_labels=num_labels, **kwargs)
        return tokenizer, clf

    return _load(model, timeout, load)


def classify_with_labels(tokenizer: Any, model: Any, texts: list[str], labels: list[int]) -> Any:
    """One forward pass of a sequence classifier *with labels*. System 27.

    Passing ``labels`` makes the model compute the loss itself (cross-entropy for
    ``num_labels > 1``, mean squared error for ``num_labels == 1``): ``outputs.loss`` is a
    scalar tensor ready for ``.backward()``, ``outputs.logits`` has shape
    ``(batch, num_labels)``.
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
    the folder. Returns ``save_dir`` as a :class:`Path`.
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
    ``load_text_generator(save_dir)`` loads the folder. Returns ``save_dir`` as a Path.
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
