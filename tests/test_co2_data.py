"""load_co2: the shipped Mauna Loa record, its missing-value codes and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse import datasets as ds
from dlcourse.datasets import _base, _co2


def test_806_consecutive_months_from_march_1958_to_april_2025():
    co2 = ds.load_co2()
    assert co2.target.shape == co2.data.shape == co2.year.shape == (806,)
    months = co2.year * 12 + co2.month - 1
    assert np.all(np.diff(months) == 1), "no month is missing or repeated"
    assert (co2.year[0], co2.month[0], co2.year[-1], co2.month[-1]) == (1958, 3, 2025, 4)
    assert co2.year.dtype == co2.month.dtype == np.int64
    assert np.all(np.floor(co2.decimal_date) == co2.year) and np.all(np.diff(co2.decimal_date) > 0)
    assert "public domain" in co2.DESCR and "Keeling" in co2.DESCR


def test_known_values_as_published():
    co2 = ds.load_co2()
    # first and last rows of the file
    assert (co2.target[0], co2.deseasonalized[0]) == (315.71, 314.44)
    assert (co2.target[-1], co2.ndays[-1], co2.sdev[-1], co2.unc[-1]) == (429.64, 23.0, 0.73, 0.29)
    assert 310 < co2.target.min() < co2.target.max() < 430


def test_missing_value_codes_become_nan_and_nothing_else_does():
    co2 = ds.load_co2()
    assert not np.isnan(co2.target).any() and not np.isnan(co2.deseasonalized).any()
    for field in ("ndays", "sdev", "unc"):
        values = co2[field]
        assert np.nanmin(values) >= 0, f"a missing-value code survived in {field}"
    assert np.isnan(co2.ndays).sum() == 195 and np.isnan(co2.sdev).sum() == 196
    no_days = np.isnan(co2.ndays)
    assert no_days[co2.year < 1974].all() and not no_days[co2.year >= 1976].any()
    # unc = 0 in two months without a standard deviation is not a measurement either
    assert np.isnan(co2.unc[np.isnan(co2.sdev)]).all() and np.isnan(co2.unc).sum() == 196
    assert np.nanmin(co2.unc) > 0


def test_return_x_y_and_keyword_only_flags():
    dates, ppm = ds.load_co2(return_X_y=True)
    co2 = ds.load_co2()
    assert np.array_equal(dates, co2.data) and np.array_equal(ppm, co2.target)
    with pytest.raises(TypeError):
        ds.load_co2(True)  # noqa: FBT003 - the point of the test


def test_cached_table_cannot_be_changed_by_a_caller():
    co2 = ds.load_co2()
    co2.target[0] = 0.0
    co2.sdev[-1] = -1.0
    again = ds.load_co2()
    assert again.target[0] == 315.71 and again.sdev[-1] == 0.73
    with pytest.raises(ValueError):
        _co2._co2_table()[0, 3] = 0.0


def test_damaged_file_is_refused(tmp_path, monkeypatch):
    (tmp_path / _co2.CO2_FILE).write_text("year,month\n1958,3\n")
    monkeypatch.setattr(_base, "DATA_DIR", tmp_path)
    _base.package_data_path.cache_clear()
    _co2._co2_table.cache_clear()
    try:
        with pytest.raises(ds.ChecksumError, match="Reinstall"):
            ds.load_co2()
    finally:
        _base.package_data_path.cache_clear()
        _co2._co2_table.cache_clear()
