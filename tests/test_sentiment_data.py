"""load_sentiment_sentences: the shipped review sentences, their fixed split and bad input."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from dlcourse import datasets as ds
from dlcourse.datasets import _base, _text


def test_all_3000_sentences_500_per_site_and_label():
    data = ds.load_sentiment_sentences()
    assert len(data.data) == len(data.target) == len(data.site) == 3000
    assert data.target.dtype == np.int64 and set(np.unique(data.target)) == {0, 1}
    counts = collections.Counter(zip(data.site.tolist(), data.target.tolist()))
    assert counts == {(site, label): 500 for site in ("amazon", "imdb", "yelp") for label in (0, 1)}
    assert data.site_names == ["amazon", "imdb", "yelp"] and data.target_names == ["negative", "positive"]
    assert all(isinstance(s, str) and s == s.strip() and s for s in data.data)
    assert "CC BY 4.0" in data.DESCR and "Kotzias" in data.DESCR


def test_known_rows_keep_their_label_and_site():
    data = ds.load_sentiment_sentences(shuffle=False)
    # the first line of each file, as published
    assert data.data[0].startswith("So there is no way for me to plug it in here in the US")
    assert (data.target[0], data.site[0]) == (0, "amazon")
    assert (data.site[1000], data.site[2000]) == ("imdb", "yelp")
    assert data.data[2000] == "Wow... Loved this place." and data.target[2000] == 1


def test_cp1252_punctuation_is_repaired_and_no_sentence_is_split_at_it():
    sentences = ds.load_sentiment_sentences().data
    assert not any(ch in s for s in sentences for ch in "\x85\x96\x97\t\n")
    assert any(s.startswith("The script is\u2026 was there a script?") for s in sentences)


def test_split_is_fixed_disjoint_stratified_and_keeps_repeated_sentences_together():
    train, test = ds.load_sentiment_sentences("train"), ds.load_sentiment_sentences("test")
    assert (len(train.data), len(test.data)) == (2400, 600)
    counts = collections.Counter(zip(test.site.tolist(), test.target.tolist()))
    assert set(counts.values()) == {100} and len(counts) == 6
    assert not {s.lower() for s in train.data} & {s.lower() for s in test.data}
    assert sorted(train.data + test.data) == sorted(ds.load_sentiment_sentences().data)
    again = ds.load_sentiment_sentences("test")
    assert again.data == test.data and np.array_equal(again.target, test.target)


def test_the_data_really_has_repeated_sentences_for_the_split_to_respect():
    keys = collections.Counter(s.lower() for s in ds.load_sentiment_sentences().data)
    assert sum(1 for n in keys.values() if n > 1) == 19


def test_shuffle_and_return_x_y():
    ordered = ds.load_sentiment_sentences("test", shuffle=False)
    assert list(ordered.site) == sorted(ordered.site), "unshuffled rows keep the files' order"
    shuffled = ds.load_sentiment_sentences("test")
    assert sorted(shuffled.data) == sorted(ordered.data) and shuffled.data != ordered.data
    X, y = ds.load_sentiment_sentences("test", return_X_y=True)
    assert X == shuffled.data and np.array_equal(y, shuffled.target)


def test_flags_are_keyword_only_and_bad_subset_is_named():
    with pytest.raises(TypeError):
        ds.load_sentiment_sentences("test", True)  # noqa: FBT003 - the point of the test
    with pytest.raises(ValueError, match="'all', 'train' or 'test'.*'valid'"):
        ds.load_sentiment_sentences("valid")


def test_cached_arrays_cannot_be_changed_by_a_caller():
    data = ds.load_sentiment_sentences(shuffle=False)
    data.target[0] = 1 - data.target[0]  # the caller's copy, not the cache
    assert ds.load_sentiment_sentences(shuffle=False).target[0] == 0
    _, labels, _ = _text._sentiment_rows()
    with pytest.raises(ValueError):
        labels[0] = 1


def test_damaged_archive_is_refused_with_both_hashes(tmp_path, monkeypatch):
    (tmp_path / _text.SENTIMENT_FILE).write_bytes(b"not the archive")
    monkeypatch.setattr(_base, "DATA_DIR", tmp_path)
    _base.package_data_path.cache_clear()
    _text._sentiment_rows.cache_clear()
    try:
        with pytest.raises(ds.ChecksumError, match="Reinstall"):
            ds.load_sentiment_sentences()
    finally:
        _base.package_data_path.cache_clear()
        _text._sentiment_rows.cache_clear()
