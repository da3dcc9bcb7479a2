"""What every case shares: the case record, optional reference tools, the skyfield environment."""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

#: Shown for a case whose reference tool is not installed.
SKIP_HINT = "skipped: install orbitcloud[validate]"
#: At most this many points of an error-vs-time series are kept (the plot and the JSON).
MAX_SERIES_POINTS = 2000


class Skip(Exception):
    """Raised by a case whose reference cannot be computed here (a tool missing): reported as skipped."""


@dataclass(frozen=True)
class Case:
    """One golden case: ``run(full)`` returns the measured part of the record (see :func:`measured`)."""

    name: str
    model: str
    run: Callable[[bool], dict[str, Any]]
    quick: bool = True  #: part of ``--quick``
    needs: tuple[str, ...] = field(default=())  #: importable modules the reference needs


def measured(reference: str, source: str, tolerance: float, tolerance_unit: str, error: float, error_unit: str,
             *, passed: bool | None = None, detail: str = "", series: dict | None = None) -> dict[str, Any]:
    """The measured part of a record. ``passed`` defaults to ``error <= tolerance`` (a NaN fails)."""
    error = float(error)
    ok = bool(np.isfinite(error) and error <= tolerance) if passed is None else bool(passed and np.isfinite(error) and error <= tolerance)
    return dict(reference=reference, source=source, tolerance=float(tolerance), tolerance_unit=tolerance_unit,
                error=error, error_unit=error_unit, passed=ok, detail=detail, series=series)


def series(x, y, x_label: str, y_label: str) -> dict[str, Any]:
    """An error-vs-time series, thinned to at most :data:`MAX_SERIES_POINTS` points (largest kept)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.size > MAX_SERIES_POINTS:
        step = int(np.ceil(x.size / MAX_SERIES_POINTS))
        n = x.size // step * step
        idx = np.argmax(np.abs(y[:n]).reshape(-1, step), axis=1) + np.arange(0, n, step)
        x, y = x[idx], y[idx]
    return dict(x=[round(float(v), 6) for v in x], y=[float(f"{v:.6g}") for v in y], x_label=x_label, y_label=y_label)


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as v

    try:
        return v(dist)
    except PackageNotFoundError:
        return "not installed"


@lru_cache(maxsize=1)
def skyfield_env():
    """(timescale, DE421) from skyfield-data, offline."""
    from skyfield.api import Loader, load
    from skyfield_data import get_skyfield_data_path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skyfield-data's "expired" notice for its tables
        ts = load.timescale(builtin=True)
        eph = Loader(get_skyfield_data_path())("de421.bsp")
    return ts, eph


def skyfield_source() -> str:
    return f"skyfield {version('skyfield')}, JPL DE421 from skyfield-data {version('skyfield-data')}"


def tle_line(body68: str) -> str:
    """Append the modulo-10 checksum (digits count their value, '-' counts 1) to 68 columns."""
    total = sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in body68)
    return body68 + str(total % 10)


#: Element sets of the cases: the ISS from python-sgp4's documentation, DELTA 1 DEB from Vallado's
#: verification set, SYN a near-polar companion of the ISS set (inclination 97.5 deg, checksums here).
ISS = ("1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991",
       "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482", (2019, 12, 9))
SYN = (tle_line("1 25545U 98067B   19343.69339541  .00001764  00000-0  38792-4 0  999"),
       tle_line("2 25545  97.5000 211.2001 0007417  17.6667  85.6398 15.5010347220248"), (2019, 12, 9))
DEB = ("1 06251U 62025E   06176.82412014  .00008885  00000-0  12808-3 0  3985",
       "2 06251  58.0579  54.0425 0030035 139.1568 221.1854 15.56387291  6774", (2006, 6, 25))
