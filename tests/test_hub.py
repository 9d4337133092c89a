"""dlcourse.hub: the pretrained-transformer loaders, run offline on tiny models made here.

No test touches the internet: the models are written to tmp_path with save_pretrained,
the "Hub" for the reachability check is an HTTP server on 127.0.0.1, and the offline
path is forced by monkeypatching.
"""

from __future__ import annotations

import http.server
import math
import subprocess
import sys
import threading

import pytest

from dlcourse import hub

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TEXTS = [
    "To be, or not to be, that is the question.",
    "All the world's a stage, and all the men and women merely players.",
    "Now is the winter of our discontent made glorious summer.",
    "If music be the food of love, play on.",
] * 3


# ----------------------------------------------------------------------------- reachability


class _Handler(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_HEAD(self):  # noqa: N802 - the http.server API
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def local_server():
    servers = []

    def start(status: int) -> str:
        handler = type("H", (_Handler,), {"status": status})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _online_switches(monkeypatch):
    """Clear every offline switch (the test configuration sets DLCOURSE_OFFLINE=1)."""
    for name in hub.OFFLINE_SWITCHES:
        monkeypatch.delenv(name, raising=False)


def test_hub_available_true_when_the_endpoint_answers(local_server, monkeypatch):
    _online_switches(monkeypatch)
    assert hub.hub_available(timeout=2, endpoint=local_server(200)) is True
    assert hub.hub_available(timeout=2, endpoint=local_server(404)) is True  # answered: reachable


def test_hub_available_false_on_server_error_refusal_and_offline_switch(local_server, monkeypatch):
    _online_switches(monkeypatch)
    assert hub.hub_available(timeout=2, endpoint=local_server(503)) is False
    assert hub.hub_available(timeout=1, endpoint="http://127.0.0.1:9") is False  # refused
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub.hub_available(timeout=2, endpoint=local_server(200)) is False


@pytest.mark.parametrize("switch", ["DLCOURSE_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"])
@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_every_offline_switch_stops_the_request(local_server, monkeypatch, switch, value):
    """DLCOURSE_OFFLINE (set by the tests) must stop the request, as the Hugging Face switches do."""
    _online_switches(monkeypatch)
    endpoint = local_server(200)
    assert hub.hub_available(timeout=2, endpoint=endpoint) is True
    monkeypatch.setenv(switch, value)
    monkeypatch.setattr(hub.urllib.request, "urlopen", lambda *a, **k: pytest.fail("no request when offline"))
    assert hub.hub_available(timeout=2, endpoint=endpoint) is False


def test_offline_switch_set_to_zero_does_not_count(local_server, monkeypatch):
    _online_switches(monkeypatch)
    monkeypatch.setenv("DLCOURSE_OFFLINE", "0")
    assert hub.hub_available(timeout=2, endpoint=local_server(200)) is True


def test_model_source_picks_the_hub_online_and_the_folder_offline(local_server, monkeypatch, tmp_path, capsys):
    _online_switches(monkeypatch)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty_cache"))
    monkeypatch.setenv("HF_ENDPOINT", local_server(200))
    assert hub.model_source("owner/model", tmp_path / "tiny") == hub.ModelSource("owner/model", True)
    assert capsys.readouterr().out == ""
    monkeypatch.setenv("DLCOURSE_OFFLINE", "1")
    source = hub.model_source("owner/model", tmp_path / "tiny")
    assert source == hub.ModelSource(str(tmp_path / "tiny"), False) and not source.pretrained
    assert capsys.readouterr().out.strip() == hub.OFFLINE_MESSAGE
    hub.model_source("owner/model", tmp_path / "tiny", announce=False)
    assert capsys.readouterr().out == ""


def test_hub_available_honours_hf_endpoint(local_server, monkeypatch):
    _online_switches(monkeypatch)
    monkeypatch.setenv("HF_ENDPOINT", local_server(200))
    assert hub.hub_available(timeout=2) is True


# ----------------------------------------------------------------------------- offline path


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No Hub, and an empty cache: nothing can be had."""
    calls = []
    monkeypatch.setattr(hub, "hub_available", lambda timeout=3.0, endpoint=None: calls.append(timeout) or False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    return calls


@pytest.mark.parametrize(
    "loader", [hub.load_text_generator, hub.load_sentiment_classifier, hub.load_bert, hub.load_bert_classifier]
)
def test_loaders_offline_raise_one_clear_line(offline, loader, capsys):
    with pytest.raises(hub.HubUnavailableError) as info:
        loader()
    assert offline, "the loader did not check whether the Hub is reachable"
    message = str(info.value)
    assert message == hub.OFFLINE_MESSAGE
    assert "\n" not in message and "huggingface.co" in message
    assert info.value.model in {hub.DEFAULT_GENERATOR, hub.DEFAULT_SENTIMENT, hub.DEFAULT_BERT}
    assert isinstance(info.value, ConnectionError)
    # The lesson's pattern: catch it and print it, one line.
    print(info.value)
    assert capsys.readouterr().out.strip().splitlines() == [hub.OFFLINE_MESSAGE]


def test_hf_hub_offline_switch_gives_the_offline_error(monkeypatch, tmp_path):
    """With HF_HUB_OFFLINE=1 (and an empty cache) no request is made and the one-line error comes back."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    monkeypatch.setattr(hub.urllib.request, "urlopen", lambda *a, **k: pytest.fail("no request when offline"))
    with pytest.raises(hub.HubUnavailableError, match="continuing with the offline model"):
        hub.load_bert()


def test_a_missing_local_folder_is_not_reported_as_offline(offline, tmp_path):
    with pytest.raises(FileNotFoundError):
        hub.load_bert(tmp_path / "no_such_model")
    with pytest.raises(FileNotFoundError):
        hub.load_bert("./no_such_model")


def test_local_models_load_without_asking_the_hub(offline, tmp_path):
    path = hub.build_tiny_bert(tmp_path / "bert")
    tokenizer, model = hub.load_bert(path)
    assert offline == [], "a local folder must not wait for the Hub"
    assert model.config.hidden_size == 32


# ----------------------------------------------------------------------------- the defaults


def test_sentiment_default_matches_what_transformers_uses():
    from transformers.pipelines import SUPPORTED_TASKS, check_task

    task, defaults, _ = check_task("sentiment-analysis")
    assert task == "text-classification"
    assert defaults["default"]["model"] == (hub.DEFAULT_SENTIMENT, hub.DEFAULT_SENTIMENT_REVISION)
    assert SUPPORTED_TASKS["text-classification"]["default"]["model"][0] == hub.DEFAULT_SENTIMENT


def test_transformers_5_has_no_tensorflow_models():
    assert int(transformers.__version__.split(".")[0]) >= 5
    assert not hasattr(transformers, "TFAutoModel")
    assert not hasattr(transformers, "TFBertModel")


def test_importing_the_hub_module_imports_no_framework():
    code = "import sys, dlcourse.hub; print(sorted(m for m in ('torch', 'tensorflow', 'transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ----------------------------------------------------------------------------- System 3: GPT-style generation


def test_text_generation_with_a_tiny_gpt2(tmp_path):
    path = hub.build_tiny_gpt2(tmp_path / "gpt2", TEXTS, vocab_size=300)
    generator = hub.load_text_generator(path)
    assert generator.model.config.model_type == "gpt2"
    assert generator.model.config.n_layer == 2
    text = hub.generate_text(generator, "To be", max_new_tokens=8, seed=0)
    again = hub.generate_text(generator, "To be", max_new_tokens=8, seed=0)
    assert text.startswith("To be") and len(text) > len("To be")
    assert text == again, "a fixed seed must give the same text"
    greedy = hub.generate_text(generator, "All the", max_new_tokens=5, do_sample=False)
    ids = generator.tokenizer("All the", return_tensors="pt").input_ids
    expected = generator.model.generate(ids, max_new_tokens=5, do_sample=False, pad_token_id=generator.tokenizer.eos_token_id)
    assert greedy == generator.tokenizer.decode(expected[0])


def test_gpt2_built_by_hand_loads_too(tmp_path):
    """A model and tokenizer made without build_tiny_gpt2, to test the loader on its own."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"<|endoftext|>": 0, **{ch: i + 1 for i, ch in enumerate("abcdefghijklmnopqrstuvwxyz ")}}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<|endoftext|>"))
    backend.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    tok = transformers.PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|endoftext|>")
    config = transformers.GPT2Config(vocab_size=len(vocab), n_positions=32, n_embd=16, n_layer=1, n_head=2)
    transformers.GPT2LMHeadModel(config).save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    generator = hub.load_text_generator(str(tmp_path / "m"))
    out = hub.generate_text(generator, "ab", max_new_tokens=4, seed=1)
    assert out.startswith("ab")


# ----------------------------------------------------------------------------- System 5: sentiment


def test_sentiment_pipeline_on_a_tiny_classifier(tmp_path):
    path = hub.build_tiny_bert(tmp_path / "clf")
    classify = hub.load_sentiment_classifier(path)
    results = classify(["I loved this film", "a terrible boring plot"])
    assert len(results) == 2
    for r in results:
        assert r["label"] in {"NEGATIVE", "POSITIVE"}
        assert 0.5 <= r["score"] <= 1.0
    # The pipeline's score is the softmax of the model's logits.
    batch = classify.tokenizer(["I loved this film"], return_tensors="pt")
    with torch.no_grad():
        probs = classify.model(**batch).logits.softmax(-1)[0]
    assert math.isclose(results[0]["score"], float(probs.max()), rel_tol=1e-5)


# ----------------------------------------------------------------------------- Systems 18 and 27: BERT


def _hand_made_bert(tmp_path):
    words = ["the", "film", "was", "great", "awful", "plot", "i", "loved", "it", "##s"]
    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words])}
    tokenizer = transformers.BertTokenizer(vocab=vocab)
    config = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=24, num_hidden_layers=2, num_attention_heads=3, intermediate_size=48
    )
    transformers.BertModel(config).save_pretrained(tmp_path / "bert")
    tokenizer.save_pretrained(tmp_path / "bert")
    return tmp_path / "bert"


def test_bert_hidden_states_shape(tmp_path):
    path = _hand_made_bert(tmp_path)
    tokenizer, model = hub.load_bert(path)
    assert not model.training
    batch = tokenizer(["the film was great", "i loved it"], padding=True, return_tensors="pt")
    tokens = tokenizer.convert_ids_to_tokens(batch["input_ids"][0])
    assert tokens == ["[CLS]", "the", "film", "was", "great", "[SEP]"]
    assert "[UNK]" not in tokens
    with torch.no_grad():
        out = model(**batch)
    assert tuple(out.last_hidden_state.shape) == (2, 6, 24)  # (batch, sequence, hidden)
    assert batch["attention_mask"][1].tolist() == [1, 1, 1, 1, 1, 0]  # the shorter text is padded


def test_bert_sequence_classification_with_labels(tmp_path):
    path = _hand_made_bert(tmp_path)  # an encoder without a head: the head is created here
    tokenizer, model = hub.load_bert_classifier(path, num_labels=2)
    labels = [1, 0]
    out = hub.classify_with_labels(tokenizer, model, ["the film was great", "the plot was awful"], labels)
    assert out.loss.ndim == 0 and torch.isfinite(out.loss)
    assert tuple(out.logits.shape) == (2, 2)
    expected = torch.nn.functional.cross_entropy(out.logits, torch.tensor(labels))
    assert torch.allclose(out.loss, expected)
    out.loss.backward()
    assert model.classifier.weight.grad is not None
    with pytest.raises(ValueError):
        hub.classify_with_labels(tokenizer, model, ["one text"], [0, 1])


def test_build_tiny_bert_round_trip(tmp_path):
    path = hub.build_tiny_bert(tmp_path / "tiny", hidden_size=16, num_heads=2)
    tokenizer, model = hub.load_bert_classifier(path)
    assert model.config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    ids = tokenizer("We loved the film")["input_ids"]
    assert tokenizer.unk_token_id not in ids
    out = hub.classify_with_labels(tokenizer, model, ["We loved the film"], [1])
    assert torch.isfinite(out.loss)
