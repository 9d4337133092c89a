"""load_adult: the shipped census-income file, its fixed stratified split and bad input."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from dlcourse import datasets as ds
from dlcourse.datasets import _adult, _base


def test_all_32561_rows_with_the_published_class_balance():
    adult = ds.load_adult()
    assert len(adult.data) == len(adult.target) == len(adult.sex) == len(adult.race) == 32561
    assert adult.target.dtype == np.int64 and int(adult.target.sum()) == 7841  # UCI: 24,720 <=50K, 7,841 >50K
    assert adult.data.dtype.names == tuple(adult.feature_names) and len(adult.feature_names) == 14
    assert set(adult.numeric_features) | set(adult.categorical_features) == set(adult.feature_names)
    assert adult.numeric_features == ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
    assert collections.Counter(adult.sex.tolist()) == {"Male": 21790, "Female": 10771}
    assert set(adult.race.tolist()) == {"White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"}
    assert np.array_equal(adult.sex, adult.data["sex"]) and np.array_equal(adult.race, adult.data["race"])
    assert "CC BY 4.0" in adult.DESCR and "Retiring Adult" in adult.DESCR and adult.target_names == ["<=50K", ">50K"]


def test_first_and_last_rows_as_published():
    adult = ds.load_adult(shuffle=False)
    first, last = adult.data[0], adult.data[-1]
    assert (first["age"], first["workclass"], first["fnlwgt"], first["capital_gain"]) == (39, "State-gov", 77516, 2174)
    assert (first["sex"], first["native_country"], adult.target[0]) == ("Male", "United-States", 0)
    assert (last["age"], last["relationship"], last["sex"], last["capital_gain"], adult.target[-1]) == (
        52, "Wife", "Female", 15024, 1)


def test_missing_values_stay_marked_and_no_string_is_cut_short():
    data = ds.load_adult().data
    assert int((data["occupation"] == "?").sum()) == 1843 and int((data["workclass"] == "?").sum()) == 1836
    assert "Outlying-US(Guam-USVI-etc)" in set(data["native_country"].tolist())  # the longest value, 26 characters
    assert not any(v != v.strip() for name in ("workclass", "occupation") for v in set(data[name].tolist()))


def test_split_is_fixed_disjoint_and_stratified_by_income_sex_and_race():
    train, test = ds.load_adult("train", shuffle=False), ds.load_adult("test", shuffle=False)
    assert (len(train.target), len(test.target)) == (24420, 8141)
    everything = ds.load_adult(shuffle=False)
    joined = np.sort(np.concatenate([train.data, test.data]), order=list(everything.feature_names))
    assert np.array_equal(joined, np.sort(everything.data, order=list(everything.feature_names)))
    for sex in ("Female", "Male"):
        for label in (0, 1):
            n_all = int(((everything.sex == sex) & (everything.target == label)).sum())
            n_test = int(((test.sex == sex) & (test.target == label)).sum())
            assert abs(n_test - 0.25 * n_all) <= 3  # rounding per race stratum
    again = ds.load_adult("test")
    assert np.array_equal(np.sort(again.data, order=["fnlwgt", "age"]), np.sort(test.data, order=["fnlwgt", "age"]))
    assert np.array_equal(ds.load_adult("test").target, again.target)


def test_shuffle_return_x_y_and_read_only_cache():
    ordered = ds.load_adult("test", shuffle=False)
    shuffled = ds.load_adult("test")
    assert not np.array_equal(ordered.target, shuffled.target) or not np.array_equal(ordered.data, shuffled.data)
    X, y = ds.load_adult("train", return_X_y=True)
    assert X.shape == y.shape == (24420,) and X["age"].dtype == np.int64
    data, target = _adult._adult_rows()
    with pytest.raises(ValueError):
        target[0] = 1


def test_bad_subset_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="'all', 'train' or 'test'"):
        ds.load_adult("validation")


def test_the_file_is_registered_with_its_published_checksum():
    assert _base.PACKAGE_FILES["adult.data.gz"] == "3be3165b1ef6c5680bda17889ebbb495edabeee0469865dd1d0b761e5e06acf7"
    assert _base.sha256_of(_base.package_data_path("adult.data.gz")) == _base.PACKAGE_FILES["adult.data.gz"]
