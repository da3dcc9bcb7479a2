"""Contact plan of the TT&C layer: every (station, satellite) visibility window of a run, rise and
set refined on the true geometry to ~1 ms, maximum elevation refined to the true maximum.

Geometry and criterion are those of :mod:`orbitcloud.network.visibility` (WGS-84 station frame;
Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., ch. 3-4): visible when
``sin E >= sin E_min`` (one mask per station allowed) and/or slant range ``<= max_range_m``; margin
``m = sin E - sin E_min`` and/or ``(rho_max - rho) / rho_max`` (the smaller), ``>= 0`` when visible.

1. **Screening** in coarse intervals of ``M`` steps (~60 s). Seen at ``E >= E_min``, a satellite
   of radius ``<= R`` is within ``rho* = sqrt(R^2 - R_g^2 cos^2 E') - R_g sin E'`` of a station of
   geocentric radius ``R_g`` (``E' = E_min - 0.2 deg`` covers the geodetic vertical; the bound of
   the KD-tree path, Wertz & Larson, SMAD 3rd ed., sec. 5.2); moving at ``<= V``, it can be seen
   inside an interval only if ``d_a + d_b <= 2 rho* + V M step`` for its distances at the ends.
   ``R`` = largest sampled radius + ``A_r step^2 / 8``, ``V`` = largest step chord / step +
   ``A_v step / 2`` (a function exceeds its chord by at most ``max|f''| h^2 / 8``; ``A_r = 31``,
   ``A_v = 12 m/s^2`` bound the radial and Earth-fixed accelerations above the ground): no visible
   sample is ever dropped.
2. **Grid.** The intervals that pass are sampled at every step (numba kernel, or NumPy with the
   same IEEE operations as :func:`~orbitcloud.network.visibility._sin_el_range`), so the windows on
   the grid are those of sampling all pairs at all steps: with ``refine=False`` the table equals
   :func:`~orbitcloud.network.contacts.contact_windows` (linear crossings) bit for bit (tested).
3. **Refinement** on positions at sub-step times: the fast propagator evaluated at the times
   (float64, :func:`~orbitcloud.ephemeris.propagate.fast_ecef_pairs_m`); SGP4 by cubic Hermite
   interpolation of its Earth-fixed positions and velocities between the enclosing steps (2 cm at
   10-s steps, where SGP4's velocity is off the derivative of its position by up to 2 cm/s; 0.34 m
   at 60 s, the ``h^4 |d^4 r / dt^4| / 384`` term). Rise and set: a Newton step from the
   parabola through three samples, then secant steps inside the bracket
   (:func:`~orbitcloud.network.contacts.bracketed_roots`, Dekker 1969) to ``ROOT_TOL_S``. Maximum:
   successive parabolic interpolation on ``sin E``, smooth at the peak even for an overhead pass
   (:func:`~orbitcloud.network.contacts.bracketed_maxima`, Brent 1973, ch. 5).
4. **Passes between samples.** Each sampled local maximum of the margin below 0 is tested
   against the most the margin can rise within half a step (``|d sin E / dt| <= V / rho``,
   ``|d rho / dt| <= V``); where it could reach 0, its maximum is refined and, if >= 0, the window
   added. Passes of any length above the tolerances are found, provided the margin has one peak
   per pass (two peaks between two samples would need a dip below the mask within one step).

Windows open at the first (last) step start at 0 (end at the last step), ``start_clipped``
(``end_clipped``). Time chunks carry the open windows; chunks, satellite blocks and worker
processes (``spawn``, as :mod:`orbitcloud.sim.driver`) change nothing, as every number comes from
the same per-(satellite, step) values (tested bit for bit).
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import dataclasses
import math
import multiprocessing
import os
from typing import Callable

import numpy as np

from orbitcloud import accel
from orbitcloud.accel import lazy_njit
from orbitcloud.errors import OrbitcloudError
from orbitcloud.network.contacts import Contacts, bracketed_maxima, bracketed_roots, quadratic_root
from orbitcloud.network.stations import Stations
from orbitcloud.network.visibility import MAX_VERTICAL_DEFLECTION_DEG, _sin_el_range

__all__ = ["contact_plan", "PROPAGATORS"]

PROPAGATORS = ("sgp4", "fast")
#: Length [s] of the coarse screening intervals (rounded to whole steps, at least one).
COARSE_S = 60.0
#: Satellite-steps of positions per time chunk (float32 x, y, z for the fast propagator, float64
#: positions and velocities for SGP4) and the largest satellite block (a worker's unit of work).
CHUNK_SAT_STEPS, BLOCK_SATS = 1 << 20, 4096
#: Tolerances [s] on rise and set and on the time of the maximum; the maximum's search also stops
#: once the parabola promises less than MAX_TOL_SIN in sin E (< 0.001 deg even overhead, where
#: E = 90 deg - sqrt(2 (1 - sin E))).
ROOT_TOL_S, MAX_TOL_S, MAX_TOL_SIN = 1e-3, 1e-2, 1e-10
#: Plans below this many station-satellite-steps use the NumPy twins unless numba is asked for.
MIN_NUMBA_PAIR_STEPS = 20_000_000
#: Bounds on |d^2 r / dt^2| (radius) and on the Earth-fixed acceleration [m/s^2] above the ground.
ACC_RADIAL_M_S2, ACC_FIXED_M_S2 = 31.0, 12.0


#: The run's time grid; ``coarse``: steps per screening interval, ``chunk``: steps per time chunk.
_Grid = collections.namedtuple("_Grid", "jd0 fr0 step_s n_steps propagator coarse chunk")


@dataclasses.dataclass(frozen=True)
class _Mask:
    has_el: bool
    sin_min: np.ndarray  # per station (0 where unused)
    e_min_deg: np.ndarray
    has_r: bool
    max_r: float

    def margin(self, st: np.ndarray, s: np.ndarray, rng: np.ndarray) -> np.ndarray:
        """As :meth:`~orbitcloud.network.visibility.Criterion.margin`, with per-station masks."""
        h = s - self.sin_min[st] if self.has_el else None
        if self.has_r:
            hr = (self.max_r - rng) / self.max_r
            h = hr if h is None else np.minimum(h, hr)
        return h


# Kernels, compiled by numba; each has a NumPy twin with the same IEEE operations (float64 inside)

def _bounds_py(x, y, z, r_out, c_out):  # pragma: no cover - compiled
    """Per satellite: largest radius and largest step chord [m]; chord inf where a sample is NaN."""
    n, t = x.shape
    for j in range(n):
        rmax, cmax, bad = 0.0, 0.0, False
        for k in range(t):
            xk, yk, zk = np.float64(x[j, k]), np.float64(y[j, k]), np.float64(z[j, k])
            r = math.sqrt(xk * xk + yk * yk + zk * zk)
            if r != r:
                bad = True
            elif r > rmax:
                rmax = r
            if k > 0:
                dx, dy, dz = xk - x[j, k - 1], yk - y[j, k - 1], zk - z[j, k - 1]
                cmax = max(cmax, math.sqrt(dx * dx + dy * dy + dz * dz))
        r_out[j], c_out[j] = rmax, math.inf if bad else cmax


def _bounds_np(x, y, z, r_out, c_out) -> None:
    x, y, z = (v.astype(np.float64) for v in (x, y, z))
    r = np.sqrt(x * x + y * y + z * z)
    r_out[:] = np.where(np.isnan(r), 0.0, r).max(axis=1, initial=0.0)
    dx, dy, dz = np.diff(x, axis=1), np.diff(y, axis=1), np.diff(z, axis=1)
    d = np.sqrt(dx * dx + dy * dy + dz * dz)
    c_out[:] = np.where(np.isnan(r).any(axis=1), np.inf, np.where(np.isnan(d), 0.0, d).max(axis=1, initial=0.0))


def _screen_py(cx, cy, cz, g, thr, out):  # pragma: no cover - compiled
    """out[j, i, c] = not (d_c + d_(c+1) > thr[j, i]): satellite j, station i, coarse interval c."""
    n_sat, n_c = cx.shape
    d = np.empty(n_c)
    for j in range(n_sat):
        for i in range(g.shape[0]):
            for c in range(n_c):
                dx, dy, dz = cx[j, c] - g[i, 0], cy[j, c] - g[i, 1], cz[j, c] - g[i, 2]
                d[c] = math.sqrt(dx * dx + dy * dy + dz * dz)
            for c in range(n_c - 1):
                out[j, i, c] = not (d[c] + d[c + 1] > thr[j, i])


def _screen_np(cx, cy, cz, g, thr, out) -> None:
    for i in range(g.shape[0]):  # a loop over stations; satellites and intervals are vectorised
        dx, dy, dz = cx - g[i, 0], cy - g[i, 1], cz - g[i, 2]
        d = np.sqrt(dx * dx + dy * dy + dz * dz)
        out[:, i] = ~(d[:, :-1] + d[:, 1:] > thr[:, i][:, None])


def _fill_py(x, y, z, ka, n_steps, m_c, r_sat, r_st, r_c, g, u, sin_min, has_el, max_r, has_r, m_out, s_out):  # pragma: no cover
    """Margin and sin E at the steps ``c M - 1 .. c M + M + 1`` of each candidate (NaN off the run),
    the operations of :func:`~orbitcloud.network.visibility._sin_el_range` and ``Criterion.margin``."""
    for r in range(r_st.size):
        i, j, k_first = r_st[r], r_sat[r], r_c[r] * m_c - 1
        for q in range(m_c + 3):
            k = k_first + q
            if k < 0 or k >= n_steps:
                m_out[r, q], s_out[r, q] = math.nan, math.nan
                continue
            p = k - ka
            dx, dy, dz = np.float64(x[j, p]) - g[i, 0], np.float64(y[j, p]) - g[i, 1], np.float64(z[j, p]) - g[i, 2]
            rng = math.sqrt(dx * dx + dy * dy + dz * dz)
            s = (dx * u[i, 0] + dy * u[i, 1] + dz * u[i, 2]) / rng
            h = s - sin_min[i] if has_el else math.nan
            if has_r:
                hr = (max_r - rng) / max_r
                if not has_el or hr < h or hr != hr:
                    h = hr
            m_out[r, q], s_out[r, q] = h, s


def _fill_np(x, y, z, ka, n_steps, m_c, r_sat, r_st, r_c, g, u, mask: _Mask, m_out, s_out) -> None:
    k = r_c[:, None] * m_c - 1 + np.arange(m_c + 3)
    off = (k < 0) | (k >= n_steps)
    p, j = np.clip(k - ka, 0, x.shape[1] - 1), r_sat[:, None]
    gg, uu = g[r_st][:, None, :], u[r_st][:, None, :]
    px, py, pz = (v[j, p].astype(np.float64) for v in (x, y, z))
    s, rng = _sin_el_range(gg[..., 0], gg[..., 1], gg[..., 2], uu[..., 0], uu[..., 1], uu[..., 2], px, py, pz)
    m_out[:] = np.where(off, np.nan, mask.margin(r_st[:, None], s, rng))
    s_out[:] = np.where(off, np.nan, s)


def _piece_max_py(s, m_c, fs, fe, smax, fmax):  # pragma: no cover - compiled
    """Highest sin E of each piece (own samples ``fs[p] .. fe[p]`` of the flattened rows, all
    visible) and the flat index of its first occurrence."""
    for p in range(fs.size):
        best, arg = -math.inf, fs[p]
        for f in range(fs[p], fe[p] + 1):
            v = s[f // m_c, f % m_c + 1]
            if v > best:
                best, arg = v, f
        smax[p], fmax[p] = best, arg


def _piece_max_np(s, m_c, fs, fe, smax, fmax) -> None:
    n = fe - fs + 1
    first = np.cumsum(n) - n
    idx = np.repeat(np.arange(fs.size), n)
    f = np.arange(idx.size) - first[idx] + fs[idx]
    vals = s[:, 1:m_c + 1].reshape(-1)[f]
    smax[:] = np.maximum.reduceat(vals, first)
    ieq = np.flatnonzero(vals == smax[idx])
    fmax[:] = f[ieq[np.concatenate([[True], idx[ieq][1:] != idx[ieq][:-1]])]]


def _local_max_py(m, m_c, out):  # pragma: no cover - compiled
    """out[r, q - 1]: the margin at column q (1 .. M + 1) is a sampled local maximum below 0
    (left neighbour lower or NaN, right not higher or NaN)."""
    for r in range(m.shape[0]):
        for q in range(1, m_c + 2):
            v = m[r, q]
            out[r, q - 1] = v < 0.0 and not (m[r, q - 1] >= v) and not (m[r, q + 1] > v)


def _local_max_np(m, m_c, out) -> None:
    mid = m[:, 1:m_c + 2]
    out[:] = (mid < 0.0) & ~(m[:, :m_c + 1] >= mid) & ~(m[:, 2:m_c + 3] > mid)


_K = {name: lazy_njit(fn, cache=True, nogil=True, error_model="numpy") for name, fn in (
    ("bounds", _bounds_py), ("screen", _screen_py), ("fill", _fill_py), ("piece_max", _piece_max_py),
    ("local_max", _local_max_py))}
_TWINS = {"bounds": _bounds_np, "screen": _screen_np, "fill": _fill_np, "piece_max": _piece_max_np, "local_max": _local_max_np}


class _Source:
    """Earth-fixed positions [m] of a block at steps ``ka .. kb`` (:meth:`load`; float32 from the
    fast propagator as it computes them, float64 with velocities from SGP4) and at (satellite,
    time) pairs inside the loaded steps (:meth:`at`, float64)."""

    def __init__(self, grid: _Grid, sl, orb) -> None:
        self.grid, self.sl, self.orb, self._sat, self.ka = grid, sl, orb, None, 0

    def load(self, ka: int, kb: int) -> None:
        from orbitcloud.ephemeris import propagate as P
        from orbitcloud.ephemeris.frames import gmst_for_times
        from orbitcloud.timescale import jd_split_offset

        g, self.ka = self.grid, ka
        t_s = np.arange(ka, kb + 1, dtype=np.float64) * g.step_s
        jd, fr = jd_split_offset(g.jd0, g.fr0, t_s)
        gmst = gmst_for_times(jd, fr)
        if self.orb is not None:
            self.x, self.y, self.z, _ = P.fast_ecef_m(self.orb, t_s, gmst)
            self.gmst0 = float(gmst_for_times(np.array([g.jd0]), np.array([g.fr0]))[0])
            return
        if self._sat is None:
            from sgp4.api import SatrecArray

            self._sat = SatrecArray(P.make_satrecs(self.sl))
        self.x, self.y, self.z, *self.v = P.sgp4_ecef_m(self._sat, jd, fr, gmst)

    def at(self, sat: np.ndarray, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        from orbitcloud.ephemeris.propagate import GMST_RATE_RAD_S, fast_ecef_pairs_m

        if self.orb is not None:
            return fast_ecef_pairs_m(self.orb, sat, t_s, self.gmst0 + GMST_RATE_RAD_S * t_s)
        n_t, h = self.x.shape[1], self.grid.step_s
        u = t_s / h
        kb = np.clip(np.floor(u), self.ka, self.ka + n_t - 2).astype(np.int64)
        tau = u - kb
        i0 = sat * n_t + (kb - self.ka)
        t2 = tau * tau
        t3 = t2 * tau
        h00, h01, h10, h11 = 2.0 * t3 - 3.0 * t2 + 1.0, 3.0 * t2 - 2.0 * t3, (t3 - 2.0 * t2 + tau) * h, (t3 - t2) * h
        return tuple(h00 * p.ravel()[i0] + h10 * v.ravel()[i0] + h01 * p.ravel()[i0 + 1] + h11 * v.ravel()[i0 + 1]
                     for p, v in zip((self.x, self.y, self.z), self.v))  # cubic Hermite between the two steps


@dataclasses.dataclass
class _Pieces:
    """Runs of visible steps of one chunk, sorted by pair ``key = sat * n_st + station``, start."""

    key: np.ndarray
    k_first: np.ndarray  # first visible step (orders windows of a pair)
    start_s: np.ndarray
    start_kind: np.ndarray  # 0 rise, 1 clipped at the run start, 2 continues the previous chunk
    end_s: np.ndarray
    end_kind: np.ndarray  # 0 set, 1 clipped at the run end, 2 continues into the next chunk
    smax: np.ndarray  # highest sampled sin E (decides which piece's maximum a window keeps)
    sref: np.ndarray  # refined maximum sin E

    def take(self, sel) -> "_Pieces":
        return _Pieces(*(getattr(self, f.name)[sel] for f in dataclasses.fields(_Pieces)))


class _BlockPlan:
    """Windows of one satellite block, chunk by chunk (see the module docstring)."""

    def __init__(self, grid: _Grid, sl, orb, stations: Stations, mask: _Mask, refine: bool, use_numba: bool) -> None:
        self.grid, self.stations, self.mask, self.refine, self.numba = grid, stations, mask, refine, use_numba
        self.n_sat, self.n_st, self.src = len(sl), len(stations), _Source(grid, sl, orb)
        self.rg = np.linalg.norm(stations.ecef_m, axis=1)
        e = np.radians(np.maximum(mask.e_min_deg - MAX_VERTICAL_DEFLECTION_DEG, -90.0))
        self.sin_e, self.cos_e = np.sin(e), np.cos(e)
        self.open = _Pieces(*(np.zeros(0, dtype=t) for t in (np.int64, np.int64, float, np.int8, float, np.int8, float, float)))
        self.done: list[_Pieces] = []

    def _kernel(self, name: str):  # the compiled kernel or its NumPy twin
        return _K[name]() if self.numba else _TWINS[name]

    def _rows(self, k0: int, k1: int):
        """Candidate intervals (sat, station, coarse index), sorted, with their margin and sin E."""
        m_c, n_sat, n_st, step = self.grid.coarse, self.n_sat, self.n_st, self.grid.step_s
        n_int = -(-(k1 - k0) // m_c)
        ke = k0 + n_int * m_c
        self.src.load(k0 - 1, ke + 1)
        x, y, z = self.src.x, self.src.y, self.src.z
        r_max, chord = np.empty(n_sat), np.empty(n_sat)
        self._kernel("bounds")(x, y, z, r_max, chord)
        self.v_max = chord / step + ACC_FIXED_M_S2 * step / 2.0
        r_sat = (r_max + ACC_RADIAL_M_S2 * step * step / 8.0)[:, None]
        rho = np.full((n_sat, n_st), np.inf)
        if self.mask.has_el:
            rho = np.sqrt(np.maximum(r_sat**2 - (self.rg * self.cos_e) ** 2, 0.0)) - self.rg * self.sin_e
        if self.mask.has_r:
            rho = np.minimum(rho, self.mask.max_r)
        thr = (2.0 * rho + self.v_max[:, None] * (m_c * step)) * (1.0 + 1e-9) + 2.0
        cols = np.arange(1, ke - k0 + 2, m_c)  # coarse samples k0, k0 + M, ..., ke
        cand = np.empty((n_sat, n_st, n_int), dtype=bool)
        with np.errstate(invalid="ignore"):
            self._kernel("screen")(*(np.ascontiguousarray(v[:, cols]) for v in (x, y, z)), self.stations.ecef_m, thr, cand)
        f = np.flatnonzero(cand)
        sat, rem = np.divmod(f, n_st * n_int)
        st, c = np.divmod(rem, n_int)
        c += k0 // m_c
        m, s = np.empty((f.size, m_c + 3)), np.empty((f.size, m_c + 3))
        mk, args = self.mask, (x, y, z, k0 - 1, self.grid.n_steps, m_c, sat, st, c, self.stations.ecef_m, self.stations.up)
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.numba:
                _K["fill"]()(*args, mk.sin_min, mk.has_el, mk.max_r, mk.has_r, m, s)
            else:
                _fill_np(*args, mk, m, s)
        return sat, st, c, m, s

    def _geom(self, sat, st, t_s):
        (x, y, z), g, u = self.src.at(sat, t_s), self.stations.ecef_m[st], self.stations.up[st]
        s, rng = _sin_el_range(g[:, 0], g[:, 1], g[:, 2], u[:, 0], u[:, 1], u[:, 2], x, y, z)
        return s, self.mask.margin(st, s, rng)

    def _edges(self, sat, st, k_in, m_out, m_in, m_far, later: bool) -> np.ndarray:
        """Crossing between the visible step ``k_in`` and its invisible neighbour (after it when
        ``later``); ``m_far`` is the margin one step beyond ``k_in`` on the visible side."""
        step, d = self.grid.step_s, 1.0 if later else -1.0
        k_b, m0, m1 = (k_in, m_in, m_out) if later else (k_in - 1, m_out, m_in)
        with np.errstate(invalid="ignore", divide="ignore"):
            lin = (k_b.astype(np.float64) + m0 / (m0 - m1)) * step  # exactly as ContactTracker
        t_in = k_in * step
        if not self.refine or sat.size == 0:
            return np.where(np.isfinite(lin), lin, t_in)
        fq, slope = quadratic_root(m_far, m_in, m_out)  # parabola through the 3 steps, from k_in
        guess = np.where(np.isfinite(fq), t_in + d * step * fq, lin)
        slope = np.where(np.isfinite(fq), slope, m_out - m_in) / (d * step)
        t = bracketed_roots(lambda q, t: self._geom(sat[q], st[q], t)[1], t_in, t_in + d * step, m_in, m_out, guess, slope,
                            ROOT_TOL_S)
        return np.where(np.isfinite(m_out) & np.isfinite(t), t, t_in)

    def _peak(self, sat, st, k, f3, use_margin: bool) -> tuple[np.ndarray, np.ndarray]:
        """Maximum of sin E (or of the margin) near step ``k`` from its samples at k - 1, k, k + 1.
        At a run bound or next to an invalid sample the bracket's missing side is a point 1 us
        away at -inf, so the search can converge onto the bound."""
        step, last, idx = self.grid.step_s, self.grid.n_steps - 1, 1 if use_margin else 0
        fa, fb, fc = (np.where(np.isnan(v), -np.inf, v) for v in f3)
        b = k * step
        lo, hi = (k == 0) | np.isinf(fa), (k == last) | np.isinf(fc)
        a, c = np.where(lo, b - 1e-6, b - step), np.where(hi, b + 1e-6, b + step)
        return bracketed_maxima(lambda q, t: self._geom(sat[q], st[q], t)[idx], a, b, c, np.where(lo, -np.inf, fa), fb,
                                np.where(hi, -np.inf, fc), MAX_TOL_S, MAX_TOL_SIN)

    def chunk(self, k0: int, k1: int) -> None:
        m_c, n_st, n, step = self.grid.coarse, self.n_st, self.grid.n_steps, self.grid.step_s
        sat, st, c, m, s = self._rows(k0, k1)
        with np.errstate(invalid="ignore"):
            vis = m >= 0.0
        own, prev, nxt = vis[:, 1:m_c + 1], vis[:, :m_c], vis[:, 2:m_c + 2]
        k_row = c * m_c  # first own step of each row
        is_start, is_end = own & ~prev, own & ~nxt
        cont = (k_row == k0) & own[:, 0] & prev[:, 0]
        is_start[:, 0] |= cont
        opened = (k_row + m_c == k1) & own[:, m_c - 1] & nxt[:, m_c - 1] if k1 < n else np.zeros(c.size, bool)
        is_end[:, m_c - 1] |= opened
        fs, fe = np.flatnonzero(is_start), np.flatnonzero(is_end)
        if fs.size != fe.size:  # pragma: no cover - an invariant of the construction
            raise AssertionError("contact plan: unpaired window starts and ends")
        (rs, js), (re, je) = np.divmod(fs, m_c), np.divmod(fe, m_c)
        ks, ke = k_row[rs] + js, k_row[re] + je
        p_sat, p_st = sat[rs], st[rs]
        start_kind = np.where((js == 0) & cont[rs], 2, np.where(ks == 0, 1, 0)).astype(np.int8)
        end_kind = np.where((je == m_c - 1) & opened[re], 2, np.where(ke == n - 1, 1, 0)).astype(np.int8)
        start_s, end_s = ks * step, ke * step
        r0, e0 = start_kind == 0, end_kind == 0
        a, b = rs[r0], js[r0]
        start_s[r0] = self._edges(p_sat[r0], p_st[r0], ks[r0], m[a, b], m[a, b + 1], m[a, b + 2], later=False)
        a, b = re[e0], je[e0]
        end_s[e0] = self._edges(p_sat[e0], p_st[e0], ke[e0], m[a, b + 2], m[a, b + 1], m[a, b], later=True)
        smax, fmax = np.empty(fs.size), np.empty(fs.size, dtype=np.int64)  # each piece's highest sample
        if fs.size:
            self._kernel("piece_max")(s, m_c, fs, fe, smax, fmax)
        rm, jm = np.divmod(fmax, m_c)
        s3 = (s[rm, jm], s[rm, jm + 1], s[rm, jm + 2])
        sref = self._peak(p_sat, p_st, k_row[rm] + jm, s3, False)[1] if self.refine and fs.size else smax
        self._stitch(_Pieces(p_sat * n_st + p_st, ks, start_s, start_kind, end_s, end_kind, smax, sref))
        if self.refine:
            self._near_misses(sat, st, c, m)

    def _stitch(self, p: _Pieces) -> None:
        op, cont = self.open, p.start_kind == 2
        if op.key.size != cont.sum() or not np.array_equal(op.key, p.key[cont]):  # pragma: no cover
            raise AssertionError("contact plan: a window open at a chunk boundary was not continued")
        if cont.any():
            keep_old = ~(p.smax[cont] > op.smax)  # ties: the earlier sample
            for name in ("k_first", "start_s", "start_kind"):
                getattr(p, name)[cont] = getattr(op, name)
            p.sref[cont] = np.where(keep_old, op.sref, p.sref[cont])
            p.smax[cont] = np.where(keep_old, op.smax, p.smax[cont])
        stay = p.end_kind == 2
        self.open = p.take(stay)
        self.done.append(p.take(~stay))

    def _near_misses(self, sat, st, c, m) -> None:
        """Windows between samples: sampled local maxima of the margin below 0 that could reach 0
        (it rises at most ``V step / 2 / (rho - 1.5 V step)``, or ``V step / 2 / max_range``)."""
        m_c, n, step = self.grid.coarse, self.grid.n_steps, self.grid.step_s
        lm = np.empty((m.shape[0], m_c + 1), dtype=bool)
        with np.errstate(invalid="ignore"):
            self._kernel("local_max")(m, m_c, lm)
        r, q = np.divmod(np.flatnonzero(lm), m_c + 1)
        q += 1
        k = c[r] * m_c - 1 + q
        ok = (np.isfinite(m[r, q - 1]) | (k == 0)) & (np.isfinite(m[r, q + 1]) | (k == n - 1))
        r, q, k = r[ok], q[ok], k[ok]
        j, i = sat[r], st[r]
        p, g = k - self.src.ka, self.stations.ecef_m[i]
        dx, dy, dz = self.src.x[j, p] - g[:, 0], self.src.y[j, p] - g[:, 1], self.src.z[j, p] - g[:, 2]
        v = self.v_max[j]
        rise = np.zeros(k.size)
        if self.mask.has_el:
            rise = 0.5 * v * step / np.maximum(np.sqrt(dx * dx + dy * dy + dz * dz) - 1.5 * v * step, 1.0)
        if self.mask.has_r:
            rise = np.maximum(rise, 0.5 * v * step / self.mask.max_r)
        keep = np.flatnonzero(m[r, q] >= -(rise * (1.0 + 1e-6) + 1e-6))
        _, u = np.unique(((j * self.n_st + i) * (n + 1) + k)[keep], return_index=True)  # one per (pair, step)
        r, q, k, j, i = (w[keep[u]] for w in (r, q, k, j, i))
        if k.size == 0:
            return
        t_pk, m_pk = self._peak(j, i, k, (m[r, q - 1], m[r, q], m[r, q + 1]), True)
        hit = m_pk >= 0.0
        k, j, i, t_pk, m_pk = k[hit], j[hit], i[hit], t_pk[hit], m_pk[hit]
        if k.size == 0:
            return
        lo, hi = np.maximum(k - 1, 0) * step, np.minimum(k + 1, n - 1) * step
        m_lo, m_hi = self._geom(j, i, lo)[1], self._geom(j, i, hi)[1]
        fun = lambda qq, t: self._geom(j[qq], i[qq], t)[1]  # noqa: E731
        with np.errstate(invalid="ignore", divide="ignore"):
            sl0, sl1 = (m_pk - m_lo) / (t_pk - lo), (m_hi - m_pk) / (hi - t_pk)
            t0 = bracketed_roots(fun, lo, t_pk, m_lo, m_pk, lo - m_lo / sl0, sl0, ROOT_TOL_S)
            t1 = bracketed_roots(fun, t_pk, hi, m_pk, m_hi, t_pk - m_pk / sl1, sl1, ROOT_TOL_S)
        s_pk, z = self._geom(j, i, t_pk)[0], np.zeros(k.size, dtype=np.int8)
        self.done.append(_Pieces(j * self.n_st + i, k, t0, z, t1, z.copy(), s_pk, s_pk))

    def run(self) -> Contacts:
        n, size = self.grid.n_steps, self.grid.chunk
        for k0 in range(0, n, size):
            self.chunk(k0, min(n, k0 + size))
        p = _Pieces(*(np.concatenate([getattr(d, f.name) for d in self.done]) for f in dataclasses.fields(_Pieces)))
        # by pair then first step (a near miss found from two chunks has the same numbers: keep one)
        ordkey = p.key * (n + 1) + p.k_first
        order = np.argsort(ordkey, kind="stable")
        ordkey = ordkey[order]
        p = p.take(order[np.concatenate([[True], ordkey[1:] != ordkey[:-1]])] if order.size else order)
        sat, st = np.divmod(p.key, self.n_st)
        o = _station_order(st, self.n_st)
        return Contacts(st[o], sat[o], p.start_s[o], p.end_s[o], np.degrees(np.arcsin(np.clip(p.sref[o], -1.0, 1.0))),
                        p.start_kind[o] == 1, p.end_kind[o] == 1)


def _station_order(st: np.ndarray, n_st: int) -> np.ndarray:
    """Stable sort order by station (radix sort on 16-bit indices where they fit)."""
    return np.argsort(st.astype(np.int16) if n_st < 32768 else st, kind="stable")


def _run_block(args) -> Contacts:
    return _BlockPlan(*args).run()


def _mask(min_elevation_deg, max_range_m, n_st: int) -> _Mask:
    where, e = "contact plan: min_elevation_deg", np.zeros(n_st)
    has_el, has_r = min_elevation_deg is not None, max_range_m is not None
    if has_el:
        try:
            arr = np.asarray(min_elevation_deg, dtype=np.float64)
        except (TypeError, ValueError):
            raise OrbitcloudError(f"{where} must be a number or one number per station (got {min_elevation_deg!r})") from None
        e = np.full(n_st, float(arr)) if arr.ndim == 0 else arr
        if e.shape != (n_st,):
            raise OrbitcloudError(f"{where} must be a number or an array of shape ({n_st},), one per station (got {arr.shape})")
        bad = np.flatnonzero(~(np.isfinite(e) & (e >= -90.0) & (e <= 90.0)))
        if bad.size:
            raise OrbitcloudError(f"{where} must be finite and in [-90, 90] degrees (got {float(e[bad[0]])!r}, station {bad[0]})")
    if has_r and not (isinstance(max_range_m, (int, float, np.floating)) and math.isfinite(max_range_m) and max_range_m > 0):
        raise OrbitcloudError(f"contact plan: max_range_m must be a positive finite number of metres (got {max_range_m!r})")
    if not (has_el or has_r):
        raise OrbitcloudError("contact plan: give min_elevation_deg and/or max_range_m (got neither)")
    # math.sin per station, as Criterion.sin_min, so the margins equal those of the contact tracker
    sin_min = np.array([math.sin(math.radians(float(v))) for v in e]) if has_el else np.zeros(n_st)
    return _Mask(has_el, sin_min, e, has_r, float(max_range_m) if has_r else math.inf)


def _positive_int(name: str, v, allow_none: bool = True) -> None:
    if not ((v is None and allow_none) or (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1)):
        raise OrbitcloudError(f"contact plan: {name} must be a positive integer (got {v!r})")


def _grid(spec, coarse_steps, chunk_steps, block: int) -> _Grid:
    try:
        jd0, fr0, step_s, n_steps, prop = float(spec.jd0), float(spec.fr0), float(spec.step_s), spec.n_steps, spec.propagator
    except (AttributeError, TypeError, ValueError) as exc:
        raise OrbitcloudError(f"contact plan: spec needs numbers jd0, fr0, step_s, n_steps and a propagator ({exc})") from None
    if not (math.isfinite(jd0) and math.isfinite(fr0) and math.isfinite(step_s) and step_s > 0.0):
        raise OrbitcloudError(f"contact plan: spec.jd0, fr0 must be finite, step_s > 0 (got {jd0!r}, {fr0!r}, {step_s!r})")
    if prop not in PROPAGATORS:
        raise OrbitcloudError(f"contact plan: spec.propagator must be one of {', '.join(PROPAGATORS)} (got {prop!r})")
    for name, v in (("spec.n_steps", n_steps), ("coarse_steps", coarse_steps), ("chunk_steps", chunk_steps)):
        _positive_int(name, v, allow_none=name != "spec.n_steps")
    m_c = int(coarse_steps) if coarse_steps is not None else max(1, int(round(COARSE_S / step_s)))
    size = int(chunk_steps) if chunk_steps is not None else max(m_c, CHUNK_SAT_STEPS // block)
    return _Grid(jd0, fr0, step_s, int(n_steps), prop, m_c, -(-size // m_c) * m_c)


def _numba_on(use_numba: bool | None, pair_steps: int) -> bool:
    """The compiled kernels as asked, else where numba is installed and the plan is not tiny
    (``ORBITCLOUD_NUMBA=0``/``1`` force the NumPy twins / the kernels, as :mod:`orbitcloud.accel`)."""
    if use_numba is not None:
        if use_numba and not accel.numba_installed():
            raise OrbitcloudError("contact plan: use_numba=True but numba is not installed")
        return bool(use_numba)
    env = os.environ.get("ORBITCLOUD_NUMBA", "").strip().lower()
    forced = env in ("1", "true", "yes", "on")
    return env not in ("0", "false", "no", "off") and accel.numba_installed() and (forced or pair_steps >= MIN_NUMBA_PAIR_STEPS)


def contact_plan(
    fleet, spec, stations: Stations, min_elevation_deg, *, max_range_m: float | None = None, workers: int = 1,
    chunk_steps: int | None = None, refine: bool = True, progress: Callable[[int], None] | None = None,
    coarse_steps: int | None = None, use_numba: bool | None = None,
) -> Contacts:
    """Every visibility window of every (station, satellite) pair over a run (module docstring).

    ``fleet``: :class:`~orbitcloud.fleet.Fleet`; ``spec``: anything with ``jd0, fr0`` (UTC split
    date of step 0), ``step_s``, ``n_steps`` and ``propagator`` ("sgp4" or "fast"), such as the
    engine's ``RunSpec``; ``min_elevation_deg``: one mask [deg] or one per station (None with
    ``max_range_m`` alone); ``max_range_m``: slant-range limit [m] (both hold when both given).

    Returns :class:`~orbitcloud.network.contacts.Contacts` sorted by station, satellite, start:
    rise/set ``start_s``/``end_s`` [s from step 0] and ``max_elevation_deg``, refined (with
    ``refine=False``: linear crossings and the sampled maximum, the table of
    :func:`~orbitcloud.network.contacts.contact_windows`, without the passes between samples);
    ``start_clipped``/``end_clipped`` for windows open at the first/last step.

    ``workers > 1``: satellite blocks in that many processes. ``chunk_steps`` (rounded up to whole
    screening intervals of ``coarse_steps``, default ~60 s) and the blocks (<= ``BLOCK_SATS``)
    bound the memory and never change the result. ``progress(n)``: satellite-steps done, per block.
    """
    if not isinstance(stations, Stations):
        raise OrbitcloudError(f"contact plan: stations must be a Stations table (got {type(stations).__name__})")
    _positive_int("workers", workers, allow_none=False)
    mask = _mask(min_elevation_deg, max_range_m, len(stations))
    n_sat, n_st = len(fleet), len(stations)
    block = max(1, min(BLOCK_SATS, -(-n_sat // (2 * workers)) if workers > 1 else n_sat))
    grid = _grid(spec, coarse_steps, chunk_steps, block)
    if n_sat == 0 or n_st == 0:
        return Contacts.empty()
    numba, orb = _numba_on(use_numba, n_sat * n_st * grid.n_steps), None
    from orbitcloud.ephemeris.propagate import fast_orbits, slice_fast_orbits

    if grid.propagator == "fast":  # the whole fleet's constants, so every block takes the same branch
        orb = fast_orbits(fleet.slice(0, n_sat), grid.jd0, grid.fr0)
    bounds = [(a, min(n_sat, a + block)) for a in range(0, n_sat, block)]
    jobs = [(grid, fleet.slice(a, z), None if orb is None else slice_fast_orbits(orb, a, z), stations, mask, bool(refine), numba)
            for a, z in bounds]
    results: list = [None] * len(bounds)

    def done(b: int, res: Contacts) -> None:
        results[b] = res
        if progress is not None:
            progress((bounds[b][1] - bounds[b][0]) * grid.n_steps)

    if workers > 1 and len(bounds) > 1:
        with cf.ProcessPoolExecutor(min(workers, len(bounds)), mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(_run_block, job): b for b, job in enumerate(jobs)}
            for fut in cf.as_completed(futures):
                done(futures[fut], fut.result())
    else:
        for b, job in enumerate(jobs):
            done(b, _run_block(job))
    cols = {f.name: np.concatenate([getattr(r, f.name) for r in results]) for f in dataclasses.fields(Contacts)}
    cols["sat"] += np.repeat([a for a, _ in bounds], [len(r) for r in results])
    order = _station_order(cols["station"], n_st)  # the blocks hold increasing satellites
    return Contacts(**{k: v[order] for k, v in cols.items()})
