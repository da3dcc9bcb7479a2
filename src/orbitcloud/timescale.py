"""Time conversions shared by every stage: UTC datetime64[ns] <-> split Julian dates, GMST, TT.

Time is never carried as one float Julian date: a float JD near 2.46e6 resolves only ~40 us. Here a
Julian date is a pair ``(jd, fr)`` with ``jd`` a whole-or-half day and ``fr`` in [0, 1), as sgp4 takes
it, and inside the time loop time is float seconds from the scenario epoch.

Sources: Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., Alg. 15 (GMST, IAU-82),
and Vallado et al. 2006 (TEME uses GMST-82 with UT1); TT - UTC = 32.184 s + TAI - UTC, where TAI - UTC
= 37 s since 2017-01-01 (IERS Bulletin C).
"""

from __future__ import annotations

import numpy as np

#: Julian date of the Unix epoch 1970-01-01T00:00:00 UTC.
JD_UNIX_EPOCH = 2440587.5
#: Julian date of J2000.0 (2000-01-01T12:00:00 TT; used here on the UTC/UT1 scale as in IAU-82 GMST).
JD_J2000 = 2451545.0
_NS_PER_DAY = 86_400 * 1_000_000_000
#: TT - UTC [s], exact from 2017-01-01 until the next leap second (none announced to date).
TT_MINUS_UTC_S = 69.184


def jd_split(t_utc: np.ndarray | np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """Split Julian date ``(jd, fr)`` of UTC times, with ``jd`` ending in .5 and ``fr`` in [0, 1)."""
    ns = np.asarray(t_utc, dtype="datetime64[ns]").astype(np.int64)
    days, rem = np.divmod(ns, _NS_PER_DAY)
    return JD_UNIX_EPOCH + days.astype(np.float64), rem.astype(np.float64) / _NS_PER_DAY


def jd_split_offset(jd0: float, fr0: float, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split Julian date of ``t_s`` seconds after the instant ``(jd0, fr0)``."""
    total = fr0 + np.asarray(t_s, dtype=np.float64) / 86400.0
    whole = np.floor(total)
    return jd0 + whole, total - whole


def days_since_j2000(jd: np.ndarray, fr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Days since J2000.0 as (whole days, fraction in [0,1)) keeping full precision."""
    d_whole = np.asarray(jd, dtype=np.float64) - JD_J2000  # exact: both are half-integers
    return d_whole, np.asarray(fr, dtype=np.float64)


def gmst82_rad(jd_ut1: np.ndarray, fr_ut1: np.ndarray) -> np.ndarray:
    """Greenwich mean sidereal time, IAU-82 [rad] in [0, 2 pi), as used to rotate TEME to PEF.

    Vallado Alg. 15: GMST = 67310.54841 s + (876600 h + 8640184.812866 s) T + 0.093104 s T^2
    - 6.2e-6 s T^3, T = Julian UT1 centuries from J2000. The 876600 h T term equals 86400 s per day,
    taken modulo one day from the split date so no precision is lost.
    """
    d_whole, frac = days_since_j2000(jd_ut1, fr_ut1)
    d = d_whole + frac
    t_cent = d / 36525.0
    # 86400 * d modulo 86400: d_whole is k + 0.5, so its part is 43200 s; frac adds 86400 * frac.
    theta_s = (
        67310.54841
        + 43200.0
        + 86400.0 * frac
        + 8640184.812866 * t_cent
        + 0.093104 * t_cent**2
        - 6.2e-6 * t_cent**3
    )
    return np.mod(theta_s, 86400.0) * (2.0 * np.pi / 86400.0)


def mean_sun_ra_rad(days_j2000: np.ndarray | float) -> np.ndarray:
    """Right ascension of the fictitious mean Sun [rad]: 280.46061837 deg + 0.98564736629 deg/day.

    This is GMST minus the Earth's rotation (Meeus, *Astronomical Algorithms*, eq. 12.4); local
    mean solar time at a right ascension alpha is 12 h + (alpha - alpha_mean_sun) / 15 deg/h.
    """
    return np.mod(np.radians(280.46061837 + 0.98564736629 * np.asarray(days_j2000, dtype=np.float64)), 2.0 * np.pi)
