"""Ground visibility: which satellites each station sees, with elevation and slant range.

Part of the ground segment (:mod:`orbitcloud.network.ground`, which re-exports these names; see
``docs/ground.md``). Stations (:mod:`orbitcloud.network.stations`) carry their WGS-84 position and
the local ENU frame (Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013),
ch. 3, topocentric horizon system, and ch. 4, algorithm RAZEL). For a satellite at Earth-fixed
``s`` and a station at ``g``, ``d = s - g``:

* slant range ``rho = |d|``,
* sine of the elevation ``sin E = (d . u) / rho`` and ``E = asin(sin E)``,
* azimuth ``atan2(d . e, d . n)`` (clockwise from north; :func:`look_angles`).

A satellite is *visible* from a station when ``E >= E_min`` and/or ``rho <= rho_max`` (both when
both are configured; :class:`Criterion`). The elevation test is made on ``sin E >= sin E_min`` (the
same set; only +, -, *, / and sqrt, so per-sample values are exact IEEE results, identical in the
compiled kernel, the NumPy blocks and the gathered pairs, and contact times do not depend on how
the run is chunked). Hypatia-style studies (Kassing et al., "Exploring the 'Internet from space'
with Hypatia", ACM IMC 2020) use the elevation criterion: 25 deg for Starlink, 30 deg for Kuiper,
10 deg for Telesat.

Closed form (spherical Earth of radius R, circular orbit of altitude h; law of cosines in the
Earth-centre, station, satellite triangle, e.g. Wertz & Larson, *Space Mission Analysis and
Design*, 3rd ed., sec. 5.2): the slant range at elevation E is
``rho = -R sin E + sqrt(R^2 sin^2 E + 2 R h + h^2)`` (:func:`max_slant_range_m`). The geodetic
vertical is tilted from the geocentric radial by at most 0.1924 deg (WGS-84, 45 deg latitude), so
the same formula with ``E - 0.2 deg`` and the station's geocentric radius bounds the range of every
satellite seen above ``E`` (:func:`_kd_radius_m`). The sparse path bins satellite samples by
geocentric radius (100 km bands), puts each band in a KD-tree (``scipy.spatial.cKDTree``), takes
each station's candidates within that bound and evaluates the exact geometry. The dense path
evaluates every pair, compiled with numba when it imports (lazily, :func:`orbitcloud.accel.lazy_njit`;
NumPy blocks otherwise).

No terrain masks, no atmospheric refraction (optical refraction is 0.035 deg at 25 deg elevation
and 0.09 deg at 10 deg, Bennett 1982; radio refraction is larger); positions are Earth-fixed
(PEF ~ ITRF, see :mod:`orbitcloud.ephemeris.frames`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from orbitcloud import accel
from orbitcloud.accel import lazy_njit
from orbitcloud.constants import WGS84_A_M
from orbitcloud.errors import OrbitcloudError
from orbitcloud.network.stations import Stations

__all__ = [
    "Criterion",
    "Visibility",
    "SparseVisibility",
    "visibility",
    "visibility_sparse",
    "look_angles",
    "max_slant_range_m",
]

#: Largest angle [deg] between the WGS-84 geodetic vertical and the geocentric radial of a point
#: near the surface (0.1924 deg at 45 deg latitude), rounded up; margin of the KD-tree radius.
MAX_VERTICAL_DEFLECTION_DEG = 0.2
#: Satellite samples per block of the dense path (5 float64 buffers of this size stay in L2).
DENSE_BLOCK_PAIRS = 1 << 15
#: Satellite samples per KD-tree of the sparse path (about 100 MB of tree and points).
KD_POINTS = 1 << 21
#: Width [m] of the geocentric-radius bands of the sparse path (one KD-tree and radius per band).
KD_BAND_M = 100e3
#: Station-satellite samples per visibility mask of the compiled dense path (16 MB of bool).
MASK_BLOCK = 1 << 24
#: ``method="auto"`` uses the dense path up to this many station-satellite pairs per step.
AUTO_DENSE_PAIRS = 1 << 22


# --------------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------------


def max_slant_range_m(alt_m, min_elevation_deg, earth_radius_m: float = WGS84_A_M):
    """Slant range [m] to a satellite at altitude ``alt_m`` seen at elevation ``min_elevation_deg``.

    Spherical Earth of radius ``earth_radius_m`` (law of cosines in the centre-station-satellite
    triangle; Vallado, Fundamentals of Astrodynamics, sec. 11.3):
    ``rho = -R sin E + sqrt(R^2 sin^2 E + 2 R h + h^2)``. It is the largest range at which a
    circular orbit of altitude h is seen at or above E. Broadcasts; returns float or ndarray.
    """
    r = float(earth_radius_m)
    h = np.asarray(alt_m, dtype=np.float64)
    s = np.sin(np.radians(np.asarray(min_elevation_deg, dtype=np.float64)))
    out = -r * s + np.sqrt(r * r * s * s + 2.0 * r * h + h * h)
    return float(out) if out.ndim == 0 else out


@dataclasses.dataclass(frozen=True)
class Criterion:
    """Visibility criterion: ``elevation >= min_elevation_deg`` and/or ``range <= max_range_m``."""

    min_elevation_deg: float | None = None
    max_range_m: float | None = None

    def __post_init__(self) -> None:
        e, r = self.min_elevation_deg, self.max_range_m
        if e is None and r is None:
            raise OrbitcloudError("ground visibility: give min_elevation_deg and/or max_range_m (got neither)")
        if e is not None and not (math.isfinite(e) and -90.0 <= e <= 90.0):
            raise OrbitcloudError(f"ground visibility: min_elevation_deg must be in [-90, 90] (got {e!r})")
        if r is not None and not (math.isfinite(r) and r > 0.0):
            raise OrbitcloudError(f"ground visibility: max_range_m must be a positive finite number (got {r!r})")

    @property
    def sin_min(self) -> float | None:
        return None if self.min_elevation_deg is None else math.sin(math.radians(self.min_elevation_deg))

    def margin(self, sin_el: np.ndarray, range_m: np.ndarray) -> np.ndarray:
        """Visibility margin, >= 0 exactly where visible (NaN for invalid positions)."""
        h = None
        if self.min_elevation_deg is not None:
            h = sin_el - self.sin_min
        if self.max_range_m is not None:
            hr = (self.max_range_m - range_m) / self.max_range_m
            h = hr if h is None else np.minimum(h, hr)
        return h


def _as_positions(x_m, y_m, z_m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """float64 C-contiguous (n_sat, T) copies/views (the compiled kernels vectorise on those)."""
    x = np.ascontiguousarray(x_m, dtype=np.float64)
    y = np.ascontiguousarray(y_m, dtype=np.float64)
    z = np.ascontiguousarray(z_m, dtype=np.float64)
    if x.ndim == 1:
        x, y, z = x[:, None], y[:, None], z[:, None]
    if x.ndim != 2 or x.shape != y.shape or x.shape != z.shape:
        raise ValueError(f"positions must be (n_sat, T) arrays of one shape, got {x.shape}, {y.shape}, {z.shape}")
    return x, y, z


def _sin_el_range(gx, gy, gz, ux, uy, uz, x, y, z):
    """sin(elevation) and slant range [m]: d = s - g, rho = |d|, sin E = (d . u) / rho.

    One sequence of IEEE operations whatever the shapes (broadcast blocks or gathered pairs), so
    the dense and the sparse paths give bit-identical values.
    """
    dx = x - gx
    dy = y - gy
    dz = z - gz
    rng = np.sqrt(dx * dx + dy * dy + dz * dz)
    s = (dx * ux + dy * uy + dz * uz) / rng
    return s, rng


def _elev_rad(sin_el: np.ndarray) -> np.ndarray:
    return np.arcsin(np.clip(sin_el, -1.0, 1.0))


def look_angles(stations: Stations, x_m, y_m, z_m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Azimuth [rad, clockwise from north, in [0, 2 pi)], elevation [rad] and range [m].

    Dense, shape (n_st, n_sat, T) for positions (n_sat, T) per coordinate (Vallado Alg. 27).
    """
    x, y, z = _as_positions(x_m, y_m, z_m)
    g = stations.ecef_m[:, :, None, None]
    dx, dy, dz = x[None] - g[:, 0], y[None] - g[:, 1], z[None] - g[:, 2]
    e, n, u = (v[:, :, None, None] for v in (stations.east, stations.north, stations.up))
    de = dx * e[:, 0] + dy * e[:, 1] + dz * e[:, 2]
    dn = dx * n[:, 0] + dy * n[:, 1] + dz * n[:, 2]
    du = dx * u[:, 0] + dy * u[:, 1] + dz * u[:, 2]
    az = np.mod(np.arctan2(de, dn), 2.0 * math.pi)
    el = np.arctan2(du, np.hypot(de, dn))
    return az, el, np.sqrt(dx * dx + dy * dy + dz * dz)


def _nonzero3(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 3-D array via the flat index (several times faster), int64."""
    f = np.flatnonzero(mask)
    _, n1, n2 = mask.shape
    i, r = np.divmod(f, n1 * n2)
    j, k = np.divmod(r, n2)
    return i, j, k


class Visibility(NamedTuple):
    """Dense visibility: arrays (n_st, n_sat, T)."""

    visible: np.ndarray  # bool
    elevation_rad: np.ndarray
    range_m: np.ndarray

    def to_sparse(self) -> "SparseVisibility":
        st, sat, k = _nonzero3(self.visible)
        return SparseVisibility(
            st.astype(np.int64), sat.astype(np.int64), k.astype(np.int64), self.elevation_rad[st, sat, k], self.range_m[st, sat, k]
        )


class SparseVisibility(NamedTuple):
    """Visible (station, satellite, step) triples, sorted by station, satellite, step (int64 index
    arrays; ``step`` counts from the first column of the positions given) and their geometry."""

    station: np.ndarray
    sat: np.ndarray
    step: np.ndarray
    elevation_rad: np.ndarray
    range_m: np.ndarray


def _mask_kernel_py(x, y, z, g, u, sin_min, max_r, vis):  # pragma: no cover - compiled
    """All-pairs visibility (compiled by numba): for station i, satellite j, column k the
    operations of :func:`_sin_el_range` in the same order (no fast-math, so the same bits), then
    ``vis[i, j, k] = s >= sin_min and range <= max_r`` (``-inf``/``inf`` for an unused criterion;
    NaN positions give False). Branch-free, so LLVM vectorises it."""
    n_sat, n_t = x.shape
    for i in range(g.shape[0]):
        gx = g[i, 0]
        gy = g[i, 1]
        gz = g[i, 2]
        ux = u[i, 0]
        uy = u[i, 1]
        uz = u[i, 2]
        for j in range(n_sat):
            for k in range(n_t):
                dx = x[j, k] - gx
                dy = y[j, k] - gy
                dz = z[j, k] - gz
                rng = math.sqrt(dx * dx + dy * dy + dz * dz)
                sv = (dx * ux + dy * uy + dz * uz) / rng
                vis[i, j, k] = (sv >= sin_min) & (rng <= max_r)


def _values_kernel_py(x, y, z, g, u, sin_min, max_r, vis, s_out, r_out):  # pragma: no cover - compiled
    """:func:`_mask_kernel_py` that also stores sin(elevation) and the range."""
    n_sat, n_t = x.shape
    for i in range(g.shape[0]):
        gx = g[i, 0]
        gy = g[i, 1]
        gz = g[i, 2]
        ux = u[i, 0]
        uy = u[i, 1]
        uz = u[i, 2]
        for j in range(n_sat):
            for k in range(n_t):
                dx = x[j, k] - gx
                dy = y[j, k] - gy
                dz = z[j, k] - gz
                rng = math.sqrt(dx * dx + dy * dy + dz * dz)
                sv = (dx * ux + dy * uy + dz * uz) / rng
                vis[i, j, k] = (sv >= sin_min) & (rng <= max_r)
                s_out[i, j, k] = sv
                r_out[i, j, k] = rng


_mask_kernel = lazy_njit(_mask_kernel_py, cache=True, nogil=True, error_model="numpy")
_values_kernel = lazy_njit(_values_kernel_py, cache=True, nogil=True, error_model="numpy")


def _numba_on(use_numba: bool | None) -> bool:
    if use_numba is None:
        return accel.use_numba()
    if use_numba and not accel.numba_installed():
        raise RuntimeError("use_numba=True but numba is not installed")
    return bool(use_numba)


def _run_pairs_kernel(stations: Stations, x, y, z, crit: Criterion, vis, s_out=None, r_out=None) -> None:
    sin_min = -math.inf if crit.sin_min is None else crit.sin_min
    max_r = math.inf if crit.max_range_m is None else float(crit.max_range_m)
    if s_out is None:
        _mask_kernel()(x, y, z, stations.ecef_m, stations.up, sin_min, max_r, vis)
    else:
        _values_kernel()(x, y, z, stations.ecef_m, stations.up, sin_min, max_r, vis, s_out, r_out)


class _DenseKernel:
    """Blocked all-pairs geometry with preallocated buffers: one station x a block of satellites x
    a slab of columns (about ``DENSE_BLOCK_PAIRS`` samples).

    Performs exactly the IEEE operations of :func:`_sin_el_range` in the same order (in place),
    so its values equal the gathered path's bit for bit.
    """

    def __init__(self, stations: Stations, x: np.ndarray, y: np.ndarray, z: np.ndarray, crit: Criterion) -> None:
        self.stations, self.x, self.y, self.z, self.crit = stations, x, y, z, crit
        n_sat, n_t = x.shape
        self.s_block = int(max(1, min(n_sat, DENSE_BLOCK_PAIRS)))
        self.t_block = int(min(n_t, max(1, DENSE_BLOCK_PAIRS // self.s_block)))
        shape = (self.s_block, self.t_block)
        self._buf = [np.empty(shape) for _ in range(5)]
        self._vis = [np.empty(shape, dtype=bool) for _ in range(2)]

    def blocks(self) -> Iterator[tuple[int, int, int, int, int, np.ndarray, np.ndarray, np.ndarray]]:
        """Yield (station i, satellites s0:s1, columns c0:c1, sin_el, range_m, visible); the arrays
        are views of reused buffers, valid until the next block."""
        n_sat, n_t = self.x.shape
        g, u = self.stations.ecef_m, self.stations.up
        crit = self.crit
        sin_min, max_r = crit.sin_min, crit.max_range_m
        for s0 in range(0, n_sat, self.s_block):
            s1 = min(n_sat, s0 + self.s_block)
            for c0 in range(0, n_t, self.t_block):
                c1 = min(n_t, c0 + self.t_block)
                x, y, z = self.x[s0:s1, c0:c1], self.y[s0:s1, c0:c1], self.z[s0:s1, c0:c1]
                dx, dy, dz, rng, s = (b[: s1 - s0, : c1 - c0] for b in self._buf)
                v, v2 = (b[: s1 - s0, : c1 - c0] for b in self._vis)
                for i in range(len(self.stations)):
                    np.subtract(x, g[i, 0], out=dx)
                    np.subtract(y, g[i, 1], out=dy)
                    np.subtract(z, g[i, 2], out=dz)
                    np.multiply(dx, dx, out=rng)
                    np.multiply(dy, dy, out=s)
                    np.add(rng, s, out=rng)
                    np.multiply(dz, dz, out=s)
                    np.add(rng, s, out=rng)
                    np.sqrt(rng, out=rng)
                    np.multiply(dx, u[i, 0], out=dx)
                    np.multiply(dy, u[i, 1], out=dy)
                    np.add(dx, dy, out=dx)
                    np.multiply(dz, u[i, 2], out=dz)
                    np.add(dx, dz, out=dx)
                    np.divide(dx, rng, out=s)
                    # same set as margin >= 0 (a - b >= 0 iff a >= b in IEEE arithmetic)
                    if sin_min is not None:
                        np.greater_equal(s, sin_min, out=v)
                        if max_r is not None:
                            np.less_equal(rng, max_r, out=v2)
                            np.logical_and(v, v2, out=v)
                    else:
                        np.less_equal(rng, max_r, out=v)
                    yield i, s0, s1, c0, c1, s, rng, v


def visibility(
    stations: Stations, x_m, y_m, z_m, min_elevation_deg: float | None = None, max_range_m: float | None = None,
    sparse: bool = False, use_numba: bool | None = None,
) -> Visibility | SparseVisibility:
    """Which satellites each station sees, with elevation [rad] and slant range [m].

    ``x_m, y_m, z_m``: Earth-fixed positions, (n_sat, T) (or (n_sat,) for one step); NaN
    positions are never visible. Visible where ``elevation >= min_elevation_deg`` and/or
    ``range <= max_range_m`` (both when both are given; at least one is required).

    Dense (default): :class:`Visibility` of (n_st, n_sat, T) arrays (17 bytes per pair: 100
    stations x 1,156 satellites x 64 steps is 126 MB). ``sparse=True``: :class:`SparseVisibility`
    (see :func:`visibility_sparse`), for large constellations. ``use_numba``: the compiled
    all-pairs kernel (default when numba imports) or the blocked NumPy path (same values).
    """
    crit = Criterion(min_elevation_deg, max_range_m)
    if sparse:
        return visibility_sparse(stations, x_m, y_m, z_m, min_elevation_deg, max_range_m, use_numba=use_numba)
    x, y, z = _as_positions(x_m, y_m, z_m)
    shape = (len(stations),) + x.shape
    vis = np.empty(shape, dtype=bool)
    el = np.empty(shape)
    rng_out = np.empty(shape)
    if _numba_on(use_numba):
        _run_pairs_kernel(stations, x, y, z, crit, vis, el, rng_out)
        np.minimum(el, 1.0, out=el)
        np.maximum(el, -1.0, out=el)
        with np.errstate(invalid="ignore"):
            np.arcsin(el, out=el)
        return Visibility(vis, el, rng_out)
    with np.errstate(invalid="ignore", divide="ignore"):
        for i, s0, s1, c0, c1, s, rng, v in _DenseKernel(stations, x, y, z, crit).blocks():
            vis[i, s0:s1, c0:c1] = v
            np.minimum(s, 1.0, out=s)
            np.maximum(s, -1.0, out=s)
            np.arcsin(s, out=el[i, s0:s1, c0:c1])
            rng_out[i, s0:s1, c0:c1] = rng
    return Visibility(vis, el, rng_out)


def _kd_radius_m(stations: Stations, crit: Criterion, r_sat_max_m: float) -> np.ndarray:
    """Per-station search radius [m] that holds every satellite (geocentric radius <= r_sat_max_m)
    meeting the criterion: the spherical slant range at ``E_min - 0.2 deg`` with the station's
    geocentric radius (geodetic and geocentric verticals differ by < 0.1924 deg), and/or max_range."""
    radius = np.full(len(stations), np.inf)
    if crit.min_elevation_deg is not None:
        r_g = np.linalg.norm(stations.ecef_m, axis=1)
        e = math.radians(max(-90.0, crit.min_elevation_deg - MAX_VERTICAL_DEFLECTION_DEG))
        se, ce = math.sin(e), math.cos(e)
        with np.errstate(invalid="ignore"):
            d = np.sqrt(np.maximum(r_sat_max_m * r_sat_max_m - r_g * r_g * ce * ce, 0.0)) - r_g * se
        radius = np.minimum(radius, d * (1.0 + 1e-9) + 1.0)
    if crit.max_range_m is not None:
        radius = np.minimum(radius, crit.max_range_m * (1.0 + 1e-12) + 1e-3)
    # no satellite can be farther than station radius + satellite radius
    return np.minimum(radius, np.linalg.norm(stations.ecef_m, axis=1) + r_sat_max_m + 1.0)


def _visible_triples(
    stations: Stations, x: np.ndarray, y: np.ndarray, z: np.ndarray, crit: Criterion, method: str,
    use_numba: bool | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(station, sat, step, sin_el, range_m, margin) of every visible sample, sorted by station,
    satellite, step. ``method``: "dense" (all pairs: the numba kernel, or blocked NumPy), "kd"
    (KD-tree candidates per altitude band, then the exact test), "auto" (dense with numba, or
    without it up to ``AUTO_DENSE_PAIRS`` pairs a step; else kd)."""
    n_sat, n_t = x.shape
    n_st = len(stations)
    numba_on = _numba_on(use_numba)
    if method == "auto":
        method = "dense" if numba_on or n_st * n_sat <= AUTO_DENSE_PAIRS else "kd"
    parts = []
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "dense" and numba_on:
            s_block = max(1, min(n_sat, MASK_BLOCK // max(n_st, 1)))
            t_block = max(1, min(n_t, MASK_BLOCK // (n_st * s_block)))
            mask = np.empty((n_st, s_block, t_block), dtype=bool)
            for s0 in range(0, n_sat, s_block):
                s1 = min(n_sat, s0 + s_block)
                for c0 in range(0, n_t, t_block):
                    c1 = min(n_t, c0 + t_block)
                    m = mask[:, : s1 - s0, : c1 - c0]
                    _run_pairs_kernel(stations, x[s0:s1, c0:c1], y[s0:s1, c0:c1], z[s0:s1, c0:c1], crit, m)
                    i, j, k = _nonzero3(m)
                    if i.size:
                        j += s0
                        k += c0
                        g, u = stations.ecef_m[i], stations.up[i]
                        sv, rv = _sin_el_range(g[:, 0], g[:, 1], g[:, 2], u[:, 0], u[:, 1], u[:, 2], x[j, k], y[j, k], z[j, k])
                        parts.append((i, j, k, sv, rv, crit.margin(sv, rv)))
        elif method == "dense":
            for i, s0, _s1, c0, _c1, s, rng, v in _DenseKernel(stations, x, y, z, crit).blocks():
                f = np.flatnonzero(v)
                if f.size:
                    j, k = np.divmod(f, v.shape[1])
                    sj, rj = s[j, k], rng[j, k]
                    parts.append((np.full(j.size, i, dtype=np.int64), j + s0, k + c0, sj, rj, crit.margin(sj, rj)))
        elif method == "kd":
            t_block = max(1, KD_POINTS // max(n_sat, 1))
            for c0 in range(0, n_t, t_block):
                c1 = min(n_t, c0 + t_block)
                parts.extend(_kd_slab(stations, x[:, c0:c1], y[:, c0:c1], z[:, c0:c1], crit, c0))
        else:
            raise ValueError(f"method must be 'dense', 'kd' or 'auto', got {method!r}")
    if not parts:
        e = np.zeros(0, dtype=np.int64)
        return e, e.copy(), e.copy(), np.zeros(0), np.zeros(0), np.zeros(0)
    st, sat, k, s, rng, h = (np.concatenate([p[i] for p in parts]) for i in range(6))
    st, sat, k = st.astype(np.int64), sat.astype(np.int64), k.astype(np.int64)
    if len(parts) > 1 or method == "kd":
        order = np.argsort((st * n_sat + sat) * n_t + k, kind="stable")
        st, sat, k, s, rng, h = st[order], sat[order], k[order], s[order], rng[order], h[order]
    return st, sat, k, s, rng, h


def _kd_slab(stations: Stations, x, y, z, crit: Criterion, c0: int) -> list[tuple[np.ndarray, ...]]:
    """Visible triples of one slab of columns by KD-tree: satellite samples are binned by
    geocentric radius (``KD_BAND_M`` wide bands), each band gets its own tree and search radius
    (:func:`_kd_radius_m` for the band's highest sample), candidates get the exact test."""
    from scipy.spatial import cKDTree

    n_st = len(stations)
    w = x.shape[1]
    px, py, pz = x.ravel(), y.ravel(), z.ravel()
    r2 = px * px + py * py + pz * pz
    valid = np.flatnonzero(np.isfinite(r2))
    if valid.size == 0:
        return []
    r = np.sqrt(r2[valid])
    band = ((r - r.min()) // KD_BAND_M).astype(np.int64)
    order = np.argsort(band, kind="stable")
    edges = np.flatnonzero(np.diff(band[order])) + 1
    out = []
    for sel in np.split(order, edges):
        idx = valid[sel]
        pts = np.stack([px[idx], py[idx], pz[idx]], axis=1)
        radius = _kd_radius_m(stations, crit, float(r[sel].max()))
        tree = cKDTree(pts, leafsize=16, balanced_tree=False, compact_nodes=False, copy_data=False)
        lists = tree.query_ball_point(stations.ecef_m, r=radius, return_sorted=False)
        counts = np.fromiter((len(v) for v in lists), dtype=np.int64, count=n_st)
        if counts.sum() == 0:
            continue
        p = idx[np.concatenate([np.asarray(v, dtype=np.int64) for v in lists])]
        st = np.repeat(np.arange(n_st, dtype=np.int64), counts)
        sat, k = np.divmod(p, w)
        g, u = stations.ecef_m[st], stations.up[st]
        s, rng = _sin_el_range(g[:, 0], g[:, 1], g[:, 2], u[:, 0], u[:, 1], u[:, 2], px[p], py[p], pz[p])
        h = crit.margin(s, rng)
        keep = h >= 0.0
        out.append((st[keep], sat[keep], k[keep] + c0, s[keep], rng[keep], h[keep]))
    return out


def visibility_sparse(
    stations: Stations, x_m, y_m, z_m, min_elevation_deg: float | None = None, max_range_m: float | None = None,
    method: str = "auto", use_numba: bool | None = None,
) -> SparseVisibility:
    """Visible (station, satellite, step) triples with elevation [rad] and range [m].

    ``method="kd"``: satellite samples go into a KD-tree (at most ``KD_POINTS`` per tree); each
    station's candidates lie within the slant range bound of :func:`_kd_radius_m` (the spherical
    closed form at ``E_min - 0.2 deg`` for the highest satellite, and/or ``max_range_m``); then
    the exact geometry decides. ``method="dense"`` evaluates every pair (same values, bit for bit).
    """
    crit = Criterion(min_elevation_deg, max_range_m)
    x, y, z = _as_positions(x_m, y_m, z_m)
    st, sat, k, s, rng, _ = _visible_triples(stations, x, y, z, crit, method, use_numba)
    return SparseVisibility(st, sat, k, _elev_rad(s), rng)
