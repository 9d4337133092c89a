"""Real environmental data that ships with dlcourse: monthly CO2 at Mauna Loa."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._base import Bunch, package_data_path

__all__ = ["load_co2"]

CO2_FILE = "co2_mm_mlo.csv"
_COLUMNS = ("year", "month", "decimal date", "average", "deseasonalized", "ndays", "sdev", "unc")


@lru_cache(maxsize=1)
def _co2_table() -> np.ndarray:
    """Read the file's 806 rows x 8 columns as float64, read-only, missing-value codes in place."""
    path = package_data_path(CO2_FILE)
    with open(path, encoding="ascii") as fh:
        header = tuple(fh.readline().strip().split(","))
        if header != _COLUMNS:  # pragma: no cover - the checksum guarantees the header
            raise ValueError(f"{path} has columns {header}, expected {_COLUMNS}")
        table = np.loadtxt(fh, delimiter=",", dtype=np.float64, ndmin=2)
    table.setflags(write=False)
    return table


def load_co2(*, return_X_y: bool = False) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load the monthly mean CO2 at Mauna Loa, Hawaii, March 1958 to April 2025 (806 months).

    The record begun by Charles David Keeling (Scripps) in 1958 and continued by NOAA's
    Global Monitoring Laboratory: the monthly mean mole fraction of CO2 in dry air, in
    parts per million (ppm). Every month from March 1958 to April 2025 has a value, one
    after the other with no gaps, so the series can be cut into windows directly. The file
    ships with the package, so this works offline.

    The file marks statistics that are not available with codes: ``ndays = -1`` (the
    number of days with data is unknown, as for every month before May 1974), ``sdev =
    -9.99`` and ``unc = -0.99``. This loader turns them into NaN, so that a careless mean
    cannot silently include them. Two months with no standard deviation (December 1975
    and April 1984) carry ``unc = 0``; an uncertainty of zero cannot be measured, so it is
    NaN here too. The ``average`` and ``deseasonalized`` columns have no codes.

    Parameters
    ----------
    return_X_y : bool, default False
        Return ``(decimal_date, average)`` instead of a :class:`Bunch`.

    Returns
    -------
    Bunch
        ``target``: float64 ``(806,)``, the monthly mean CO2 in ppm (the file's
        ``average``); ``data``: float64 ``(806,)``, the middle of each month as a decimal
        year (``decimal_date``, e.g. 1958.2027); ``year`` and ``month`` (int64);
        ``deseasonalized``: the monthly mean with the average seasonal cycle removed,
        ppm; ``ndays``: days with data in the month (float64, NaN where unknown);
        ``sdev``: standard deviation of the daily means, ppm; ``unc``: uncertainty of the
        monthly mean, ppm (both NaN where not available); ``DESCR``.

    Examples
    --------
    >>> from dlcourse.datasets import load_co2
    >>> co2 = load_co2()
    >>> co2.target.shape, int(co2.year[0]), int(co2.month[0]), int(co2.year[-1]), int(co2.month[-1])
    ((806,), 1958, 3, 2025, 4)
    >>> float(co2.target[0]), float(co2.target[-1])
    (315.71, 429.64)
    >>> int(np.isnan(co2.ndays).sum()), bool(np.nanmin(co2.sdev) >= 0)
    (195, True)
    >>> dates, ppm = load_co2(return_X_y=True)
    >>> round(float(dates[-1]), 4), float(ppm.max())
    (2025.2917, 429.64)
    """
    table = _co2_table()
    year, month, date, average, deseasonalized, ndays, sdev, unc = (table[:, j].copy() for j in range(8))
    if return_X_y:
        return date, average
    ndays[ndays < 0] = np.nan
    sdev[sdev < 0] = np.nan
    unc[unc <= 0] = np.nan
    return Bunch(
        data=date,
        target=average,
        year=year.astype(np.int64),
        month=month.astype(np.int64),
        decimal_date=date,
        deseasonalized=deseasonalized,
        ndays=ndays,
        sdev=sdev,
        unc=unc,
        DESCR=(
            f"Monthly mean CO2 at Mauna Loa, {int(year[0])}-{int(month[0]):02d} to {int(year[-1])}-{int(month[-1]):02d} "
            f"({len(average)} months), ppm. NOAA Global Monitoring Laboratory and Scripps Institution of "
            "Oceanography (C. D. Keeling); X. Lan, P. Tans, K. W. Thoning, NOAA GML, gml.noaa.gov/ccgg/trends. "
            "NOAA data are a U.S. Government work in the public domain."
        ),
    )
