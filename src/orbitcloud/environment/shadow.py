"""Earth shadow: conical umbra/penumbra illumination fraction, shadow functions and beta angle.

Model (Montenbruck & Gill, *Satellite Orbits*, 2000, sec. 3.4.2): seen from the satellite, the Sun
is a disk of angular radius ``a = asin(R_sun / |s - r|)`` and the Earth a disk of angular radius
``b = asin(R_earth / |r|)``; their centres are ``c`` apart, with
``cos c = -r . (s - r) / (|r| |s - r|)`` (exact, parallax included). The illuminated fraction is

* 1 when ``c >= a + b`` (no overlap),
* 0 when ``c <= b - a`` (umbra; ``b > a`` for every orbit below ~ 1.4e6 km),
* ``1 - (b^2 / a^2)`` when ``c <= a - b`` (annular, only far from Earth),
* otherwise ``1 - A / (pi a^2)`` with the circle-overlap area
  ``A = a^2 acos(x / a) + b^2 acos((c - x) / b) - c y``, ``x = (c^2 + a^2 - b^2) / (2 c)``,
  ``y = sqrt(a^2 - x^2)``.

The Earth is a sphere of radius 6,378.137 km (WGS-84 equatorial), the Sun a disk of 695,700 km
(IAU 2015). The atmosphere is not modelled (no refraction, no grazing absorption). A point-Sun
cylindrical shadow gives an eclipse fraction ``asin(R/r)/pi`` at beta = 0 (0.372 at 550 km); the
conical model gives the same mean darkness, split into a shorter umbra and ~9 s of penumbra at each
limb crossing (see ``docs/environment.md``).

The *shadow functions* used to time crossings are smooth in time and cheap (no trigonometry):

* ``h_pen = cos c - cos(a + b)`` > 0 inside the penumbra cone (illumination < 1),
* ``h_umb = cos c - cos(b - a)`` > 0 inside the umbra (illumination 0),
* ``h_half = cos c - cos b`` > 0 when the Sun's centre is behind the Earth's limb (illumination
  < 0.5 up to the tiny limb curvature term, < 0.03 s in LEO).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from orbitcloud.accel import lazy_njit, use_numba
from orbitcloud.constants import SUN_RADIUS_M, WGS84_A_M

EARTH_RADIUS_M = WGS84_A_M


@dataclasses.dataclass
class ShadowState:
    """Shadow functions and overlap geometry for (n, T) samples (see module docstring)."""

    h_pen: np.ndarray
    h_umb: np.ndarray
    h_half: np.ndarray
    cos_c: np.ndarray
    sin_b: np.ndarray
    sin_a: np.ndarray  # (T,) float64


def shadow_state(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, sun_m: np.ndarray, r: np.ndarray | None = None,
    compiled: bool | None = None,
) -> ShadowState:
    """Shadow functions for satellites at (x, y, z) [m], each (n, T), and the Sun at ``sun_m`` (T, 3).

    Satellite and Sun must be in the same frame (any; the geometry is rotation-invariant). ``r``
    (= |(x, y, z)|) may be passed when known. Works in the dtype of ``x`` (float32 in fast mode:
    the shadow functions near a crossing are then good to ~3e-8, i.e. ~3e-5 s in time).

    The parallax of the Sun (|r|/|s| ~ 5e-5) enters to first order:
    ``cos c = (r^2 - p d) / (r |s - r|) = -p/r + (r^2 - p^2) / (r d) + O((r/d)^2)`` with
    ``p = r . s_hat``; the neglected term is below 3e-9.

    ``compiled``: a compiled loop over the elements (numba; default when
    :func:`orbitcloud.accel.use_numba` says so) or NumPy; they perform the same IEEE operations in
    the same order and give the same bits (``tests/environment/test_shadow.py``).
    """
    dtype = x.dtype
    d = np.sqrt(np.einsum("ij,ij->i", sun_m, sun_m))
    u = (sun_m / d[:, None]).astype(dtype)
    inv_d = (1.0 / d).astype(dtype)[None, :]
    sin_a64 = SUN_RADIUS_M / d
    sin_a = sin_a64.astype(dtype)[None, :]
    one_minus_cos_a = (sin_a64 * sin_a64 / (1.0 + np.sqrt(1.0 - sin_a64 * sin_a64))).astype(dtype)[None, :]
    kernel = None
    if (use_numba() if compiled is None else compiled) and x.ndim == 2 and dtype in (np.float32, np.float64):
        kernel = _shadow_kernel()
    if kernel is not None:
        out = [np.empty(x.shape, dtype) for _ in range(5)]
        kernel(x, y, z, np.zeros((0, 0), dtype) if r is None else r, np.ascontiguousarray(u), inv_d[0], sin_a[0],
               one_minus_cos_a[0], dtype.type(EARTH_RADIUS_M), *out)
        h_pen, h_umb, h_half, cos_c, sin_b = out
        return ShadowState(h_pen=h_pen, h_umb=h_umb, h_half=h_half, cos_c=cos_c, sin_b=sin_b, sin_a=sin_a64)
    if r is None:
        r2 = x * x + y * y + z * z
        r = np.sqrt(r2)
    else:
        r2 = r * r
    inv_r = dtype.type(1.0) / r
    p = x * u[:, 0] + y * u[:, 1] + z * u[:, 2]
    cos_c = inv_r * ((r2 - p * p) * inv_d - p)
    sin_b = dtype.type(EARTH_RADIUS_M) * inv_r
    cos_b = np.sqrt(dtype.type(1.0) - sin_b * sin_b)
    h_half = cos_c - cos_b
    base = h_half + one_minus_cos_a * cos_b  # cos c - cos a cos b
    sab = sin_a * sin_b
    return ShadowState(
        h_pen=base + sab,  # cos c - cos(a + b)
        h_umb=base - sab,  # cos c - cos(b - a)
        h_half=h_half,
        cos_c=cos_c,
        sin_b=sin_b,
        sin_a=sin_a64,
    )


def _shadow_py(x, y, z, r_in, u, inv_d, sin_a, omca, r_earth, h_pen, h_umb, h_half, cos_c, sin_b):
    """:func:`shadow_state`'s NumPy operations for one element at a time (compiled by numba);
    ``r_in`` with no rows: compute the radius."""
    n, n_t = x.shape
    have_r = r_in.shape[0] > 0
    one = r_earth / r_earth
    for i in range(n):
        for j in range(n_t):
            xi, yi, zi = x[i, j], y[i, j], z[i, j]
            if have_r:
                r = r_in[i, j]
                r2 = r * r
            else:
                r2 = (xi * xi + yi * yi) + zi * zi
                r = np.sqrt(r2)
            inv_r = one / r
            p = (xi * u[j, 0] + yi * u[j, 1]) + zi * u[j, 2]
            cc = inv_r * ((r2 - p * p) * inv_d[j] - p)
            sb = r_earth * inv_r
            cb = np.sqrt(one - sb * sb)
            hh = cc - cb
            base = hh + omca[j] * cb
            sab = sin_a[j] * sb
            h_pen[i, j] = base + sab
            h_umb[i, j] = base - sab
            h_half[i, j] = hh
            cos_c[i, j] = cc
            sin_b[i, j] = sb


_shadow_kernel = lazy_njit(_shadow_py, cache=True, nogil=True, error_model="numpy")


def overlap_illumination(cos_c: np.ndarray, sin_b: np.ndarray, sin_a: np.ndarray) -> np.ndarray:
    """Illuminated fraction in [0, 1] from the disk geometry (all cases; elementwise arrays)."""
    c = np.arccos(np.clip(cos_c, -1.0, 1.0))
    b = np.arcsin(np.clip(sin_b, 0.0, 1.0))
    a = np.arcsin(np.clip(sin_a, 0.0, 1.0))
    out = np.ones(np.broadcast(c, b, a).shape)
    c, b, a = np.broadcast_arrays(c, b, a)
    umbra = c <= b - a
    annular = c <= a - b
    partial = (c < a + b) & ~umbra & ~annular
    out[umbra] = 0.0
    out[annular] = 1.0 - (b[annular] / a[annular]) ** 2
    cp, ap, bp = c[partial], a[partial], b[partial]
    xx = (cp * cp + ap * ap - bp * bp) / (2.0 * cp)
    yy = np.sqrt(np.maximum(ap * ap - xx * xx, 0.0))
    area = ap * ap * np.arccos(np.clip(xx / ap, -1.0, 1.0)) + bp * bp * np.arccos(np.clip((cp - xx) / bp, -1.0, 1.0)) - cp * yy
    out[partial] = np.clip(1.0 - area / (np.pi * ap * ap), 0.0, 1.0)
    return out


def illumination(x: np.ndarray, y: np.ndarray, z: np.ndarray, sun_m: np.ndarray) -> np.ndarray:
    """Illuminated fraction of the solar disk in [0, 1] for satellites at (x, y, z) [m], (n, T)."""
    st = shadow_state(x, y, z, sun_m)
    return illumination_from_state(st)


def illumination_from_state(st: ShadowState) -> np.ndarray:
    """Illumination from a :class:`ShadowState`, doing the disk-overlap work only in the penumbra."""
    out = np.where(st.h_pen > 0.0, 0.0, 1.0)
    out[np.isnan(st.h_pen)] = np.nan
    idx = np.nonzero((st.h_pen > 0.0) & (st.h_umb < 0.0))
    if idx[0].size:
        out[idx] = penumbra_illumination(st, idx)
    return out


def penumbra_illumination(st: ShadowState, idx: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Illumination (float64) at the (satellite, time) indices ``idx``, which lie in the penumbra."""
    sin_a = st.sin_a[idx[1]] if np.ndim(st.sin_a) == 1 else st.sin_a[idx]
    return overlap_illumination(
        st.cos_c[idx].astype(np.float64), st.sin_b[idx].astype(np.float64), sin_a
    )


def sin_beta(normal: np.ndarray, sun_m: np.ndarray) -> np.ndarray:
    """Sine of the beta angle, ``h_hat . s_hat`` clipped to [-1, 1] (see :func:`beta_angle_rad`)."""
    s_hat = sun_m / np.linalg.norm(sun_m, axis=-1, keepdims=True)
    nrm = np.linalg.norm(normal, axis=-1)
    return np.clip(np.einsum("...k,...k->...", normal, s_hat) / nrm, -1.0, 1.0)


def sin_beta_rv(r: np.ndarray, v: np.ndarray, sun_m: np.ndarray, compiled: bool | None = None) -> np.ndarray:
    """Sine of the beta angle from positions and velocities (n, T, 3) (the normal ``r x v``, any
    units) and the Sun (T, 3) in the same inertial frame, clipped to [-1, 1]. ``compiled``: one
    compiled pass (numba; default when :func:`orbitcloud.accel.use_numba` says so) or NumPy, with the
    same IEEE operations in the same order (the same bits)."""
    s_hat = np.ascontiguousarray(sun_m / np.linalg.norm(sun_m, axis=-1, keepdims=True))
    kernel = _sin_beta_kernel() if (use_numba() if compiled is None else compiled) else None
    if kernel is not None:
        out = np.empty(r.shape[:2])
        kernel(r, v, s_hat, out)
        return out
    r0, r1, r2 = r[..., 0], r[..., 1], r[..., 2]
    v0, v1, v2 = v[..., 0], v[..., 1], v[..., 2]
    h0 = r1 * v2 - r2 * v1
    h1 = r2 * v0 - r0 * v2
    h2 = r0 * v1 - r1 * v0
    nrm = np.sqrt((h0 * h0 + h1 * h1) + h2 * h2)
    dot = (h0 * s_hat[:, 0] + h1 * s_hat[:, 1]) + h2 * s_hat[:, 2]
    return np.clip(dot / nrm, -1.0, 1.0)


def _sin_beta_py(r, v, s_hat, out):
    n, n_t, _ = r.shape
    for i in range(n):
        for j in range(n_t):
            h0 = r[i, j, 1] * v[i, j, 2] - r[i, j, 2] * v[i, j, 1]
            h1 = r[i, j, 2] * v[i, j, 0] - r[i, j, 0] * v[i, j, 2]
            h2 = r[i, j, 0] * v[i, j, 1] - r[i, j, 1] * v[i, j, 0]
            nrm = np.sqrt((h0 * h0 + h1 * h1) + h2 * h2)
            q = ((h0 * s_hat[j, 0] + h1 * s_hat[j, 1]) + h2 * s_hat[j, 2]) / nrm
            if q < -1.0:  # np.clip: NaN (a failed sample) stays NaN
                q = -1.0
            elif q > 1.0:
                q = 1.0
            out[i, j] = q


_sin_beta_kernel = lazy_njit(_sin_beta_py, cache=True, nogil=True, error_model="numpy")


def beta_angle_rad(normal: np.ndarray, sun_m: np.ndarray) -> np.ndarray:
    """Beta angle [rad]: elevation of the Sun above the orbit plane, ``asin(h_hat . s_hat)``.

    ``normal`` (..., T, 3) need not be unit length (e.g. r x v); ``sun_m`` (T, 3).
    """
    return np.arcsin(sin_beta(normal, sun_m))


def sin_beta_from_node(sin_i: np.ndarray, cos_i: np.ndarray, sin_node: np.ndarray, cos_node: np.ndarray,
                       sun_m: np.ndarray) -> np.ndarray:
    """Sine of the beta angle of orbits given by inclination (``sin_i``, ``cos_i``, (n,)) and the sine
    and cosine of the right ascension of the ascending node (n, T), the Sun at ``sun_m`` (T, 3) in
    the same inertial frame: ``h_hat . s_hat`` with the unit normal ``h_hat = (sin i sin node,
    -sin i cos node, cos i)`` (Vallado, 4th ed., sec. 5.3), clipped to [-1, 1], without forming the
    normals. The beta angle is its arcsine; as that is increasing, a run's extreme beta angles are
    the arcsines of the extreme sines."""
    s_hat = sun_m / np.linalg.norm(sun_m, axis=-1, keepdims=True)
    si = np.asarray(sin_i)[:, None]
    dot = si * (sin_node * s_hat[:, 0] - cos_node * s_hat[:, 1]) + np.asarray(cos_i)[:, None] * s_hat[:, 2]
    return np.clip(dot, -1.0, 1.0)


def cylindrical_eclipse_fraction(altitude_m: float, beta_rad: float = 0.0) -> float:
    """Fraction of a circular orbit inside a cylindrical (point-Sun) shadow (closed form).

    f = acos( sqrt(h^2 + 2 R h) / ((R + h) cos beta) ) / pi, 0 when the argument exceeds 1
    (Vallado 4th ed. sec. 5.3; with beta = 0 this is asin(R / r) / pi).
    """
    r = EARTH_RADIUS_M + altitude_m
    arg = np.sqrt(altitude_m**2 + 2.0 * EARTH_RADIUS_M * altitude_m) / (r * np.cos(beta_rad))
    return float(np.arccos(arg) / np.pi) if arg < 1.0 else 0.0
