"""Ground contact windows: runs of visible samples per (station, satellite), start and end
interpolated between steps, tracked over time chunks.

Part of the ground segment (:mod:`orbitcloud.network.ground`, which re-exports these names; see
``docs/ground.md``); visibility and its margin come from :mod:`orbitcloud.network.visibility`.

Contact windows (:class:`ContactTracker`) are runs of visible samples per (station, satellite).
Start and end are the zero of the visibility margin ``m`` between the last invisible and the first
visible sample, ``t = (k + f) * step`` with ``k`` the absolute step index: linear,
``f = m_k / (m_k - m_{k+1})`` as the shadow crossings in :mod:`orbitcloud.sim.engine` (default),
or quadratic through ``m_{k-1}, m_k, m_{k+1}`` (stable root form, Numerical Recipes sec. 5.6;
:func:`_crossing_fraction`). The margin is ``sin E - sin E_min`` and/or
``(rho_max - rho) / rho_max`` (their minimum when both apply). The tracker takes time chunks in
order and carries open windows and the last two samples across chunks, so its table is
bit-identical for any chunking (``tests/network/test_ground.py``). ``max_elevation_deg`` is the
highest *sampled* elevation.

:func:`bracketed_roots`, :func:`bracketed_maxima` and :func:`quadratic_root` refine crossings and
maxima on the true geometry for :mod:`orbitcloud.network.contact_plan` (sources in their docstrings;
helpers of that module, so not in ``__all__`` nor re-exported by :mod:`orbitcloud.network.ground`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.network.stations import Stations
from orbitcloud.network.visibility import Criterion, _as_positions, _elev_rad, _sin_el_range, _visible_triples

__all__ = [
    "Contacts",
    "ContactTracker",
    "INTERPOLATIONS",
    "contact_windows",
]


# --------------------------------------------------------------------------------------------------
# Contact windows
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Contacts:
    """Contact windows (one row per window), times in seconds from the run start.

    ``station``/``sat``: indices; ``start_s``/``end_s``: interpolated visibility crossings (or the
    run's first/last sample when ``start_clipped``/``end_clipped``); ``max_elevation_deg``: highest
    sampled elevation in the window.
    """

    station: np.ndarray
    sat: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    max_elevation_deg: np.ndarray
    start_clipped: np.ndarray
    end_clipped: np.ndarray

    @classmethod
    def empty(cls) -> "Contacts":
        i = np.zeros(0, dtype=np.int64)
        f = np.zeros(0)
        b = np.zeros(0, dtype=bool)
        return cls(i, i.copy(), f, f.copy(), f.copy(), b, b.copy())

    @classmethod
    def concat(cls, parts: Iterable["Contacts"]) -> "Contacts":
        """All windows of ``parts``, sorted by station, satellite, start (deterministic order)."""
        parts = list(parts)
        if not parts:
            return cls.empty()
        cols = {f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(cls)}
        order = np.lexsort((cols["start_s"], cols["sat"], cols["station"]))
        return cls(**{k: v[order] for k, v in cols.items()})

    def __len__(self) -> int:
        return int(self.station.size)

    @property
    def duration_s(self) -> np.ndarray:
        return self.end_s - self.start_s


INTERPOLATIONS = ("linear", "quadratic")


def _crossing_fraction(m_prev: np.ndarray, m0: np.ndarray, m1: np.ndarray, quadratic: bool) -> np.ndarray:
    """Fraction f in [0, 1] of a step at which the margin crosses zero between samples k and k + 1.

    Linear: ``f = m_k / (m_k - m_{k+1})``. Quadratic: the root in [0, 1] of the parabola through
    ``(-1, m_{k-1}), (0, m_k), (1, m_{k+1})`` (stable form, Numerical Recipes sec. 5.6); linear
    where ``m_{k-1}`` is missing (NaN, or before the run) or no root falls in [0, 1]. Only
    +, -, *, / and sqrt, so the result is the same bits whatever the array layout.
    """
    lin = m0 / (m0 - m1)
    if not quadratic:
        return lin
    b = 0.5 * (m1 - m_prev)
    c = 0.5 * (m1 + m_prev) - m0
    disc = np.maximum(b * b - 4.0 * c * m0, 0.0)
    q = -0.5 * (b + np.copysign(np.sqrt(disc), b))
    r1 = m0 / q
    r2 = q / c
    ok1 = (r1 >= 0.0) & (r1 <= 1.0)
    ok2 = (r2 >= 0.0) & (r2 <= 1.0)
    return np.where(ok1, r1, np.where(ok2, r2, lin))


class ContactTracker:
    """Contact windows of every (station, satellite) pair from time chunks given in order.

    ``add(x_m, y_m, z_m)`` takes Earth-fixed positions (n_sat, T) of the next T steps (step
    ``step_s``, the first chunk starting at step 0 = time 0) and returns the windows that closed in
    it; ``finish()`` returns the windows still open, ended at the last sample (``end_clipped``).
    Windows open at the first sample start at 0 (``start_clipped``). A crossing between absolute
    steps k and k + 1 is at ``(k + f) * step_s`` with ``f`` from the visibility margins at k and
    k + 1 (``interpolation="linear"``, as the shadow crossings of :mod:`orbitcloud.sim.engine`) or
    at k - 1, k and k + 1 (``"quadratic"``); the tracker keeps the last two samples of the previous
    chunk, so the windows are bit-identical for any chunking. A pass entirely between two samples
    is missed. ``method``: "dense", "kd" or "auto" (see :func:`_visible_triples`).
    """

    def __init__(
        self, stations: Stations, step_s: float, min_elevation_deg: float | None = None,
        max_range_m: float | None = None, method: str = "auto", interpolation: str = "linear",
        use_numba: bool | None = None,
    ) -> None:
        if not (math.isfinite(step_s) and step_s > 0.0):
            raise OrbitcloudError(f"contact tracking: step_s must be positive (got {step_s!r})")
        if interpolation not in INTERPOLATIONS:
            raise OrbitcloudError(f"contact tracking: interpolation must be one of {', '.join(INTERPOLATIONS)} (got {interpolation!r})")
        if method not in ("auto", "dense", "kd"):
            raise ValueError(f"method must be 'dense', 'kd' or 'auto', got {method!r}")
        self.stations = stations
        self.step_s = float(step_s)
        self.crit = Criterion(min_elevation_deg, max_range_m)
        self.method = method
        self.quadratic = interpolation == "quadratic"
        self.use_numba = use_numba
        self.n_sat: int | None = None
        self.k_next = 0  # absolute index of the next chunk's first step
        self._hist = np.zeros((0, 0, 3))  # positions of the last (up to) two samples, (n_sat, H, 3)
        self._open_key = np.zeros(0, dtype=np.int64)  # station * n_sat + sat, sorted
        self._open_start_s = np.zeros(0)
        self._open_start_clipped = np.zeros(0, dtype=bool)
        self._open_smax = np.zeros(0)
        self._open_m_last = np.zeros(0)
        self._finished = False

    def _margin_at(self, key: np.ndarray, k_abs: np.ndarray, x, y, z, k0: int) -> np.ndarray:
        """Margin of pairs ``key`` at absolute steps ``k_abs`` (this chunk or the carried samples;
        NaN before the run)."""
        n_sat = self.n_sat
        st, sat = np.divmod(key, n_sat)
        col = k_abs - k0
        n = key.size
        px = np.full(n, np.nan)
        py = np.full(n, np.nan)
        pz = np.full(n, np.nan)
        cur = col >= 0
        if cur.any():
            s_c, c_c = sat[cur], col[cur]
            px[cur], py[cur], pz[cur] = x[s_c, c_c], y[s_c, c_c], z[s_c, c_c]
        h_n = self._hist.shape[1]
        hc = col + h_n
        old = ~cur & (hc >= 0)
        if old.any():
            p = self._hist[sat[old], hc[old]]
            px[old], py[old], pz[old] = p[:, 0], p[:, 1], p[:, 2]
        g, u = self.stations.ecef_m[st], self.stations.up[st]
        s, rng = _sin_el_range(g[:, 0], g[:, 1], g[:, 2], u[:, 0], u[:, 1], u[:, 2], px, py, pz)
        return self.crit.margin(s, rng)

    def _cross_s(self, key, k_before: np.ndarray, m0: np.ndarray, m1: np.ndarray, fallback_s: np.ndarray, x, y, z, k0) -> np.ndarray:
        """Time [s] of the margin's zero between absolute steps k and k + 1 (``fallback_s`` where a
        bracketing sample is invalid)."""
        m_prev = self._margin_at(key, k_before - 1, x, y, z, k0) if self.quadratic else None
        f = _crossing_fraction(m_prev, m0, m1, self.quadratic)
        t = (k_before.astype(np.float64) + f) * self.step_s
        return np.where(np.isfinite(f), t, fallback_s)

    def add(self, x_m, y_m, z_m) -> Contacts:
        """Process the next chunk of positions (n_sat, T); return the windows closed in it."""
        if self._finished:
            raise RuntimeError("ContactTracker.add after finish()")
        x, y, z = _as_positions(x_m, y_m, z_m)
        n_sat, n_t = x.shape
        if self.n_sat is None:
            self.n_sat = n_sat
            self._hist = np.zeros((n_sat, 0, 3))
        elif n_sat != self.n_sat:
            raise ValueError(f"chunk has {n_sat} satellites, the tracker {self.n_sat}")
        if n_t == 0:
            return Contacts.empty()
        k0 = self.k_next
        step = self.step_s
        with np.errstate(invalid="ignore", divide="ignore"):
            closed = self._add(x, y, z, n_sat, n_t, k0, step)
        last = np.stack([x[:, -2:], y[:, -2:], z[:, -2:]], axis=2)
        self._hist = np.concatenate([self._hist, last], axis=1)[:, -2:]
        self.k_next = k0 + n_t
        return closed

    def _add(self, x, y, z, n_sat: int, n_t: int, k0: int, step: float) -> Contacts:
        st, sat, j, s, _rng, m = _visible_triples(self.stations, x, y, z, self.crit, self.method, self.use_numba)
        key = st * n_sat + sat
        n = key.size
        if n:
            brk = (key[1:] != key[:-1]) | (j[1:] != j[:-1] + 1)
            a = np.flatnonzero(np.concatenate([[True], brk]))  # first element of each run
            b = np.concatenate([a[1:] - 1, [n - 1]])  # last element of each run
            seg_key, ja, jb = key[a], j[a], j[b]
            seg_smax = np.maximum.reduceat(s, a)
            ma, mb = m[a], m[b]
        else:
            seg_key = ja = jb = np.zeros(0, dtype=np.int64)
            seg_smax = ma = mb = np.zeros(0)
        # runs at the chunk's first sample continue windows open at the previous last sample
        open_key = self._open_key
        cont = np.zeros(seg_key.size, dtype=bool)
        pos = np.zeros(seg_key.size, dtype=np.int64)
        continued = np.zeros(open_key.size, dtype=bool)
        if open_key.size:
            pos = np.minimum(np.searchsorted(open_key, seg_key), open_key.size - 1)
            cont = (ja == 0) & (open_key[pos] == seg_key)
            continued[pos[cont]] = True
        start_s = np.empty(seg_key.size)
        start_clipped = np.zeros(seg_key.size, dtype=bool)
        if cont.any():
            oi = pos[cont]
            start_s[cont] = self._open_start_s[oi]
            start_clipped[cont] = self._open_start_clipped[oi]
            seg_smax[cont] = np.maximum(seg_smax[cont], self._open_smax[oi])
        fresh = ~cont
        at_run_start = fresh & (ja == 0) & (k0 == 0)
        start_s[at_run_start] = 0.0
        start_clipped[at_run_start] = True
        new = fresh & ~at_run_start
        if new.any():
            kv = k0 + ja[new]  # first visible sample
            m_prev = self._margin_at(seg_key[new], kv - 1, x, y, z, k0)
            start_s[new] = self._cross_s(seg_key[new], kv - 1, m_prev, ma[new], kv.astype(np.float64) * step, x, y, z, k0)
        parts = []
        # windows open at the previous chunk's last sample and not visible at this chunk's first
        ended = ~continued
        if ended.any():
            okey = open_key[ended]
            kb = np.full(okey.size, k0 - 1, dtype=np.int64)
            m1 = self._margin_at(okey, kb + 1, x, y, z, k0)
            end_s = self._cross_s(okey, kb, self._open_m_last[ended], m1, kb.astype(np.float64) * step, x, y, z, k0)
            ost, osat = np.divmod(okey, n_sat)
            parts.append(Contacts(
                ost, osat, self._open_start_s[ended], end_s, np.degrees(_elev_rad(self._open_smax[ended])),
                self._open_start_clipped[ended], np.zeros(okey.size, dtype=bool),
            ))
        # runs ending inside the chunk close; those reaching its last sample stay open
        closes = jb < n_t - 1
        if closes.any():
            ck = seg_key[closes]
            kb = k0 + jb[closes]  # last visible sample
            m_next = self._margin_at(ck, kb + 1, x, y, z, k0)
            end_s = self._cross_s(ck, kb, mb[closes], m_next, kb.astype(np.float64) * step, x, y, z, k0)
            cst, csat = np.divmod(ck, n_sat)
            parts.append(Contacts(
                cst, csat, start_s[closes], end_s, np.degrees(_elev_rad(seg_smax[closes])), start_clipped[closes],
                np.zeros(ck.size, dtype=bool),
            ))
        stay = ~closes
        self._open_key = seg_key[stay]
        self._open_start_s = start_s[stay]
        self._open_start_clipped = start_clipped[stay]
        self._open_smax = seg_smax[stay]
        self._open_m_last = mb[stay]
        return Contacts.concat(parts)

    def finish(self) -> Contacts:
        """Close the windows still open at the last sample (``end_clipped``) and return them."""
        self._finished = True
        n = self._open_key.size
        if n == 0 or self.n_sat is None:
            return Contacts.empty()
        st, sat = np.divmod(self._open_key, self.n_sat)
        out = Contacts(
            st, sat, self._open_start_s, np.full(n, (self.k_next - 1) * self.step_s),
            np.degrees(_elev_rad(self._open_smax)), self._open_start_clipped, np.ones(n, dtype=bool),
        )
        self._open_key = np.zeros(0, dtype=np.int64)
        return Contacts.concat([out])


def contact_windows(
    stations: Stations, chunks: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]], step_s: float,
    min_elevation_deg: float | None = None, max_range_m: float | None = None, method: str = "auto",
    interpolation: str = "linear", use_numba: bool | None = None,
) -> Contacts:
    """All contact windows of a run given as position chunks ``(x_m, y_m, z_m)`` in time order,
    sorted by station, satellite, start (see :class:`ContactTracker`)."""
    tracker = ContactTracker(stations, step_s, min_elevation_deg, max_range_m, method, interpolation, use_numba)
    parts = [tracker.add(*c) for c in chunks]
    parts.append(tracker.finish())
    return Contacts.concat(parts)


# --------------------------------------------------------------------------------------------------
# Refinement on the true geometry (used by orbitcloud.network.contact_plan): vectorised solvers over
# many queries at once; ``fun(q, t)`` evaluates the queries ``q`` (indices) at times ``t``
# --------------------------------------------------------------------------------------------------

_GOLD = 0.3819660112501051  # golden-section fraction, (3 - sqrt 5) / 2
_SOLVER_ITER = 40


def bracketed_roots(fun, a, b, fa, fb, x0, slope0, tol: float) -> np.ndarray:
    """Zeros in brackets [a, b] (``fa``, ``fb`` on opposite sides of 0, ``>= 0`` counting as one side).

    A Newton step from the first guess ``x0`` with the slope estimate ``slope0``, then secant
    steps on the last two iterates (Dekker, "Finding a zero by means of successive linear
    interpolation", 1969), each kept inside the shrinking bracket (regula falsi there otherwise,
    bisection after 8 iterations, so it terminates however ``fun`` behaves); stops when a step or
    the bracket is below ``tol``. Where ``fun`` gives NaN the last point is returned.
    """
    out = np.array(x0, dtype=np.float64)
    q = np.arange(out.size)
    lo, hi, flo, fhi = (np.array(v, dtype=np.float64) for v in (a, b, fa, fb))
    x, xp, fp = out.copy(), None, None
    for it in range(_SOLVER_ITER):
        if q.size == 0:
            break
        fx = fun(q, x)
        same = (fx >= 0.0) == (fhi >= 0.0)
        hi, fhi = np.where(same, x, hi), np.where(same, fx, fhi)
        lo, flo = np.where(same, lo, x), np.where(same, flo, fx)
        left, right = np.minimum(lo, hi), np.maximum(lo, hi)
        with np.errstate(invalid="ignore", divide="ignore"):
            xn = x - fx / slope0 if it == 0 else x - fx * (x - xp) / (fx - fp)
            rf = (lo * fhi - hi * flo) / (fhi - flo)
        mid = 0.5 * (left + right)
        if it >= 8:
            xn = mid
        xn = np.where((xn > left) & (xn < right), xn, np.where((rf > left) & (rf < right), rf, mid))
        bad = (fx == 0.0) | ~np.isfinite(fx)
        out[q] = np.where(bad, x, xn)
        go = ~(bad | (np.abs(xn - x) < tol) | (right - left < tol))
        q, x, xp, fp, lo, hi, flo, fhi = q[go], xn[go], x[go], fx[go], lo[go], hi[go], flo[go], fhi[go]
    return out


def bracketed_maxima(fun, a, b, c, fa, fb, fc, tol_t: float, tol_f: float) -> tuple[np.ndarray, np.ndarray]:
    """Maxima on brackets ``a < b < c`` with ``fb >= fa, fc``; returns (time, value) of the best point.

    Successive parabolic interpolation, with golden-section steps where the parabola is not
    concave or leaves the bracket (Brent, *Algorithms for Minimization without Derivatives*, 1973,
    ch. 5); stops when the next step is below ``tol_t``, the parabola promises less than
    ``tol_f`` over the best point, or the bracket is below ``2 tol_t``.
    """
    t_out, f_out = np.array(b, dtype=np.float64), np.array(fb, dtype=np.float64)
    q = np.arange(t_out.size)
    a, b, c, fa, fb, fc = (np.array(v, dtype=np.float64) for v in (a, b, c, fa, fb, fc))
    for _ in range(_SOLVER_ITER):
        with np.errstate(invalid="ignore", divide="ignore"):
            k2 = ((fc - fb) / (c - b) - (fb - fa) / (b - a)) / (c - a)  # half the second derivative
            u = b - 0.5 * ((b - a) ** 2 * (fb - fc) - (b - c) ** 2 * (fb - fa)) / ((b - a) * (fb - fc) - (b - c) * (fb - fa))
            gain = -k2 * (u - b) ** 2
        para = (k2 < 0.0) & (u > a) & (u < c)
        gold = np.where(c - b > b - a, b + _GOLD * (c - b), b - _GOLD * (b - a))
        go = ~(para & ((np.abs(u - b) < tol_t) | (gain < tol_f)) | (c - a < 2.0 * tol_t))
        u = np.where(para, u, gold)[go]
        q, a, b, c, fa, fb, fc = q[go], a[go], b[go], c[go], fa[go], fb[go], fc[go]
        if q.size == 0:
            break
        fu = fun(q, u)
        better, left = fu > fb, u < b
        # better: (a, b, c) -> (a, u, b) or (b, u, c); else (u, b, c) or (a, b, u)
        a, fa, c, fc = (np.where(better, np.where(left, a, b), np.where(left, u, a)),
                        np.where(better, np.where(left, fa, fb), np.where(left, fu, fa)),
                        np.where(better, np.where(left, b, c), np.where(left, c, u)),
                        np.where(better, np.where(left, fb, fc), np.where(left, fc, fu)))
        b, fb = np.where(better, u, b), np.where(better, fu, fb)
        t_out[q], f_out[q] = b, fb
        ok = np.isfinite(fu)
        q, a, b, c, fa, fb, fc = q[ok], a[ok], b[ok], c[ok], fa[ok], fb[ok], fc[ok]
    return t_out, f_out


def quadratic_root(m_prev: np.ndarray, m0: np.ndarray, m1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Root in [0, 1] of the parabola through (-1, m_prev), (0, m0), (1, m1) (NaN where none; the
    stable form of :func:`_crossing_fraction`) and the parabola's slope there, per unit."""
    b = 0.5 * (m1 - m_prev)
    c = 0.5 * (m1 + m_prev) - m0
    with np.errstate(invalid="ignore", divide="ignore"):
        qv = -0.5 * (b + np.copysign(np.sqrt(np.maximum(b * b - 4.0 * c * m0, 0.0)), b))
        r1, r2 = m0 / qv, qv / c
    r = np.where((r1 >= 0) & (r1 <= 1), r1, np.where((r2 >= 0) & (r2 <= 1), r2, np.nan))
    return r, b + 2.0 * c * r
