"""load_bach_chorales: the shipped chorales, their split, copies and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse import datasets as ds
from dlcourse.datasets import _bach, _base


def test_the_published_split_of_382_chorales():
    sizes = {subset: len(ds.load_bach_chorales(subset).data) for subset in ("train", "valid", "test")}
    assert sizes == {"train": 229, "valid": 76, "test": 77}
    everything = ds.load_bach_chorales("all")
    assert len(everything.data) == len(everything.soprano) == len(everything.subset) == 382
    assert list(everything.subset[[0, 228, 229, 304, 305, 381]]) == ["train", "train", "valid", "valid", "test", "test"]
    assert "public domain" in everything.DESCR and "Boulanger-Lewandowski" in everything.DESCR


def test_values_as_published():
    train = ds.load_bach_chorales("train")
    first = train.data[0]
    assert first.shape == (192, 4) and first.dtype == np.float64
    assert list(first[0]) == [74.0, 70.0, 65.0, 58.0]  # B-flat major: D, B-flat, F, B-flat
    steps = np.concatenate(train.data)
    assert steps.shape == (55228, 4)
    pitches = steps[~np.isnan(steps)]
    assert np.all(pitches == np.round(pitches)), "MIDI pitches are whole numbers"
    assert np.nanmin(steps[:, 0]) == 60 and np.nanmax(steps[:, 0]) == 81  # soprano: C4 to A5
    assert np.nanmin(steps[:, 3]) == 36  # bass down to C2
    # voices stay in order wherever all four sound (crossings are rare in Bach, not absent)
    full = steps[~np.isnan(steps).any(axis=1)]
    assert 0.95 < np.mean(np.all(np.diff(full, axis=1) <= 0, axis=1)) < 1
    assert int(np.isnan(steps[:, 0]).sum()) == 73
    assert all(np.array_equal(s, c[:, 0], equal_nan=True) for s, c in zip(train.soprano, train.data))


def test_callers_get_copies():
    train = ds.load_bach_chorales("train")
    train.data[0][0, 0] = 0.0
    train.soprano[0][0] = 0.0
    again = ds.load_bach_chorales("train")
    assert again.data[0][0, 0] == 74.0 and again.soprano[0][0] == 74.0
    with pytest.raises(ValueError):
        _bach._bach_split()["train"][0][0, 0] = 0.0


def test_bad_subset_says_what_to_pass():
    with pytest.raises(ValueError, match="'train', 'valid', 'test' or 'all'"):
        ds.load_bach_chorales("validation")


def test_shipped_file_is_the_published_one():
    assert _base.PACKAGE_FILES[_bach.BACH_FILE] == "2adcdf0d57880c3763f104555072285fe7f9e3d6049fcc4b9830557b8d4a7820"
    assert _base.sha256_of(_base.package_data_path(_bach.BACH_FILE)) == _base.PACKAGE_FILES[_bach.BACH_FILE]


def test_damaged_file_is_refused_before_it_is_unpickled(tmp_path, monkeypatch):
    np.savez(tmp_path / _bach.BACH_FILE, train=np.zeros(3))
    monkeypatch.setattr(_base, "DATA_DIR", tmp_path)
    _base.package_data_path.cache_clear()
    _bach._bach_split.cache_clear()
    try:
        with pytest.raises(ds.ChecksumError, match="Reinstall"):
            ds.load_bach_chorales()
    finally:
        _base.package_data_path.cache_clear()
        _bach._bach_split.cache_clear()
