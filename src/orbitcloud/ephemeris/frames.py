"""Reference frames: TEME -> Earth-fixed (PEF ~ ITRF) -> WGS-84 geodetic.

TEME to the pseudo-Earth-fixed frame is a rotation about z by GMST-82 of UT1 (Vallado et al. 2006,
"Revisiting Spacetrack Report #3", sec. on TEME). UT1 is taken as UTC plus ``dut1_s`` (default 0;
|UT1 - UTC| < 0.9 s keeps the longitude error under 420 m at the equator) and polar motion
(< 0.5", about 15 m) is neglected, so PEF stands for ITRF. The error against skyfield's full
IAU 2000 model is measured in ``tests/ephemeris/test_frames.py`` and documented in
``docs/ephemeris.md``.

Geodetic conversion: Heikkinen's exact closed form (M. Heikkinen, "Geschlossene Formeln zur
Berechnung räumlicher geodätischer Koordinaten aus rechtwinkligen Koordinaten", Z. Vermess. 107,
1982; as given by Zhu, IEEE Trans. AES 30, 1994) on the WGS-84 ellipsoid.
"""

from __future__ import annotations

import numpy as np

from orbitcloud.constants import WGS84_A_M, WGS84_F
from orbitcloud.timescale import gmst82_rad, jd_split_offset


def gmst_for_times(jd_utc: np.ndarray, fr_utc: np.ndarray, dut1_s: float = 0.0) -> np.ndarray:
    """GMST-82 [rad] at UTC split dates, with UT1 = UTC + ``dut1_s``."""
    if dut1_s:
        jd_utc, fr_utc = jd_split_offset(np.asarray(jd_utc, dtype=np.float64), np.asarray(fr_utc, dtype=np.float64), dut1_s)
    return gmst82_rad(jd_utc, fr_utc)


def teme_to_ecef(r_teme: np.ndarray, gmst_rad: np.ndarray) -> np.ndarray:
    """Rotate TEME vectors to Earth-fixed axes.

    Parameters
    ----------
    r_teme : array (..., n_time, 3)
        Vectors in TEME (any length unit); time is the second-to-last axis.
    gmst_rad : array (n_time,)
    """
    c = np.cos(gmst_rad)
    s = np.sin(gmst_rad)
    out = np.empty_like(r_teme)
    x = r_teme[..., 0]
    y = r_teme[..., 1]
    out[..., 0] = c * x + s * y
    out[..., 1] = c * y - s * x
    out[..., 2] = r_teme[..., 2]
    return out


def teme_km_to_ecef_m_components(r_teme_km: np.ndarray, cos_g: np.ndarray, sin_g: np.ndarray,
                                  compiled: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Earth-fixed x, y, z [m] (each (n, T)) of TEME positions ``r_teme_km`` (n, T, 3) [km], rotated
    about z by GMST (``cos_g``, ``sin_g`` (T,); polar motion ignored, as in :func:`teme_to_ecef`).

    ``compiled``: one compiled pass (numba; default when :func:`orbitcloud.accel.use_numba` says so)
    or NumPy; the same IEEE operations, the same bits (``tests/ephemeris/test_frames.py``).
    """
    from orbitcloud.accel import use_numba

    kernel = _teme_kernel() if (use_numba() if compiled is None else compiled) and r_teme_km.dtype == np.float64 else None
    if kernel is not None:
        n, n_t, _ = r_teme_km.shape
        x, y, z = np.empty((n, n_t)), np.empty((n, n_t)), np.empty((n, n_t))
        kernel(r_teme_km, np.ascontiguousarray(cos_g, dtype=np.float64), np.ascontiguousarray(sin_g, dtype=np.float64), x, y, z)
        return x, y, z
    rx = r_teme_km[..., 0] * 1000.0
    ry = r_teme_km[..., 1] * 1000.0
    return cos_g * rx + sin_g * ry, cos_g * ry - sin_g * rx, r_teme_km[..., 2] * 1000.0


def _teme_py(r, c, s, x, y, z):
    n, n_t, _ = r.shape
    for i in range(n):
        for j in range(n_t):
            rx = r[i, j, 0] * 1000.0
            ry = r[i, j, 1] * 1000.0
            x[i, j] = c[j] * rx + s[j] * ry
            y[i, j] = c[j] * ry - s[j] * rx
            z[i, j] = r[i, j, 2] * 1000.0


def _teme_kernel():
    from orbitcloud.accel import lazy_njit

    global _TEME
    if _TEME is None:
        _TEME = lazy_njit(_teme_py, cache=True, nogil=True, error_model="numpy")
    return _TEME()


_TEME = None


def ecef_to_teme(r_ecef: np.ndarray, gmst_rad: np.ndarray) -> np.ndarray:
    """Inverse of :func:`teme_to_ecef` (used for the Sun and in tests)."""
    return teme_to_ecef(r_ecef, -np.asarray(gmst_rad))


def ecef_to_geodetic(r_ecef_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS-84 geodetic latitude [rad], longitude [rad] and height [m] of Earth-fixed points [m].

    Exact closed form (Heikkinen 1982), valid everywhere except within ~40 km of the Earth's centre.
    """
    a = WGS84_A_M
    f = WGS84_F
    b = a * (1.0 - f)
    e2 = f * (2.0 - f)
    ep2 = e2 / (1.0 - e2)
    x = r_ecef_m[..., 0]
    y = r_ecef_m[..., 1]
    z = r_ecef_m[..., 2]
    p2 = x * x + y * y
    p = np.sqrt(p2)
    z2 = z * z
    big_f = 54.0 * b * b * z2
    g = p2 + (1.0 - e2) * z2 - e2 * (a * a - b * b)
    c = e2 * e2 * big_f * p2 / (g * g * g)
    s = np.cbrt(1.0 + c + np.sqrt(c * c + 2.0 * c))
    k = s + 1.0 + 1.0 / s
    big_p = big_f / (3.0 * k * k * g * g)
    q = np.sqrt(1.0 + 2.0 * e2 * e2 * big_p)
    r0 = -big_p * e2 * p / (1.0 + q) + np.sqrt(
        np.maximum(0.5 * a * a * (1.0 + 1.0 / q) - big_p * (1.0 - e2) * z2 / (q * (1.0 + q)) - 0.5 * big_p * p2, 0.0)
    )
    t = p - e2 * r0
    u = np.sqrt(t * t + z2)
    v = np.sqrt(t * t + (1.0 - e2) * z2)
    z0 = b * b * z / (a * v)
    h = u * (1.0 - b * b / (a * v))
    lat = np.arctan2(z + ep2 * z0, p)
    lon = np.arctan2(y, x)
    return lat, lon, h


def geodetic_to_ecef(lat_rad: np.ndarray, lon_rad: np.ndarray, h_m: np.ndarray) -> np.ndarray:
    """Earth-fixed position [m], shape (..., 3), of WGS-84 geodetic coordinates."""
    e2 = WGS84_F * (2.0 - WGS84_F)
    sl = np.sin(lat_rad)
    n = WGS84_A_M / np.sqrt(1.0 - e2 * sl * sl)
    cl = np.cos(lat_rad)
    out = np.empty(np.broadcast(lat_rad, lon_rad, h_m).shape + (3,))
    out[..., 0] = (n + h_m) * cl * np.cos(lon_rad)
    out[..., 1] = (n + h_m) * cl * np.sin(lon_rad)
    out[..., 2] = (n * (1.0 - e2) + h_m) * sl
    return out
