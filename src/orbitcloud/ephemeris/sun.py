"""Analytic solar ephemeris, accurate to about 0.01 deg, in the TEME / true-of-date equatorial frame.

Source: *The Astronomical Almanac*, section C "Low-precision formulas for the Sun" (also Meeus,
*Astronomical Algorithms*, ch. 25, and Vallado 4th ed. Alg. 29): accuracy 0.01 deg in direction and
about 1e-4 au in distance for 1950-2050. The formula gives the apparent longitude (aberration
included) on the mean ecliptic and equinox of date; the vector is expressed on the equator of date,
which differs from TEME (true equator, mean equinox) by nutation in obliquity (< 0.003 deg).
Validated against skyfield + DE421 in ``tests/ephemeris/test_sun.py``.

Time argument: TT days since J2000.0, from UTC with TT - UTC = 69.184 s (exact since 2017).
"""

from __future__ import annotations

import numpy as np

from orbitcloud.constants import AU_M
from orbitcloud.timescale import JD_J2000, TT_MINUS_UTC_S

_DEG = np.pi / 180.0


def sun_position_m(jd_utc: np.ndarray, fr_utc: np.ndarray) -> np.ndarray:
    """Geocentric Sun position [m], shape (n_time, 3), TEME / equator-of-date axes."""
    d = (np.asarray(jd_utc, dtype=np.float64) - JD_J2000) + np.asarray(fr_utc, dtype=np.float64) + TT_MINUS_UTC_S / 86400.0
    mean_lon = (280.460 + 0.9856474 * d) * _DEG
    g = (357.528 + 0.9856003 * d) * _DEG
    lam = mean_lon + (1.915 * np.sin(g) + 0.020 * np.sin(2.0 * g)) * _DEG
    eps = (23.439 - 0.0000004 * d) * _DEG
    r_m = (1.00014 - 0.01671 * np.cos(g) - 0.00014 * np.cos(2.0 * g)) * AU_M
    cl = np.cos(lam)
    sl = np.sin(lam)
    out = np.empty(np.shape(d) + (3,))
    out[..., 0] = r_m * cl
    out[..., 1] = r_m * np.cos(eps) * sl
    out[..., 2] = r_m * np.sin(eps) * sl
    return out
