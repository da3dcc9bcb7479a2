"""Conjunction screening: orbit filter, vectorised coarse pass, refinement of TCA and miss distance.

Method (``docs/conjunctions.md``):

1. **Orbit filter** (apogee/perigee): an object of the second set whose radius band
   ``[perigee - pad, apogee + pad]`` overlaps no band of the first set is dropped before propagation;
   candidate pairs are checked again pair by pair. ``pad`` is the threshold plus
   :data:`RADIUS_PAD_KM` (mean-to-osculating radius differences of SGP4).
2. **Coarse pass**: SGP4 (``SatrecArray``, TEME, km) at node times every ``node_step_s``; positions at
   sub-steps every ``sub_step_s`` by cubic Hermite interpolation of the node positions and velocities
   (error below :func:`hermite_margin_km`); per sub-step one KD-tree per set
   (``scipy.spatial.cKDTree.sparse_distance_matrix``, or ``query_pairs`` for a set against itself)
   with the padded radius ``threshold + v_rel,max * sub_step / 2 + a_rel,max (sub_step / 2)^2 / 2 +
   interpolation margin``, which cannot miss a pair whose true distance dips below the threshold
   between sub-steps. Candidates keep the linear-motion closest approach within their sub-step. Large
   jobs split the window in time over worker processes (satellites rebuilt there by ``sgp4init``).
3. **Refinement**: per pair and run of consecutive hit sub-steps, the linear closest approach of the
   run's closest sub-step is the seed; Newton's method on ``f(t) = r_rel . v_rel`` (the derivative of ``|r_rel|^2 / 2``) with SGP4
   itself (``Satrec.sgp4``) converges to ``|dt| < 1e-6 s``; a bounded minimisation of the distance is the
   fallback. Events of the same pair whose refined TCAs agree within 1 s are merged.

Time is float seconds from the window start ``(jd0, fr0)`` (split Julian date); the frame is TEME.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from orbitcloud.constants import WGS72_MU_KM3_S2, WGS72_RADIUS_KM
from orbitcloud.errors import OrbitcloudError
from orbitcloud.timescale import jd_split_offset

#: Mean (SGP4) versus osculating radius and a day of decay: added to the threshold in the orbit filter [km].
RADIUS_PAD_KM = 30.0
#: Node intervals propagated per chunk (memory: 2 x n_objects x (CHUNK_NODES + 1) x 3 float64 per set).
CHUNK_NODES = 60
#: Far-away position for objects SGP4 cannot propagate (decayed, error codes) [km].
_FAR_KM = 1.0e9


@dataclasses.dataclass
class Objects:
    """A set of objects to screen: names, catalogue numbers, SGP4 satellites, radius bands [km]."""

    names: list[str]
    satnum: np.ndarray
    satrecs: list
    perigee_km: np.ndarray
    apogee_km: np.ndarray
    speed_perigee_km_s: np.ndarray

    def __len__(self) -> int:
        return len(self.satrecs)

    def subset(self, idx: np.ndarray) -> Objects:
        idx = np.asarray(idx, dtype=np.int64)
        return Objects(
            names=[self.names[int(i)] for i in idx], satnum=self.satnum[idx],
            satrecs=[self.satrecs[int(i)] for i in idx], perigee_km=self.perigee_km[idx],
            apogee_km=self.apogee_km[idx], speed_perigee_km_s=self.speed_perigee_km_s[idx],
        )


def objects_from_satrecs(satrecs: list, names: list[str]) -> Objects:
    """:class:`Objects` of initialised ``sgp4`` satellites (radius bands from their mean elements)."""
    a_km = np.array([s.a for s in satrecs], dtype=np.float64) * WGS72_RADIUS_KM
    ecc = np.array([s.ecco for s in satrecs], dtype=np.float64)
    satnum = np.array([s.satnum for s in satrecs], dtype=np.int64)
    per = a_km * (1.0 - ecc)
    apo = a_km * (1.0 + ecc)
    with np.errstate(invalid="ignore", divide="ignore"):
        vp = np.sqrt(WGS72_MU_KM3_S2 * (1.0 + ecc) / np.maximum(per, 1.0))
    return Objects(list(names), satnum, list(satrecs), per, apo, vp)


def objects_from_fleet(fleet) -> Objects:
    """:class:`Objects` of a :class:`~orbitcloud.fleet.Fleet` (TLE text or ``sgp4init`` elements)."""
    from orbitcloud.ephemeris.propagate import make_satrecs

    return objects_from_satrecs(make_satrecs(fleet.slice(0, len(fleet))), fleet.names())


def objects_from_tles(sets) -> Objects:
    """:class:`Objects` of TLE entries (:class:`orbitcloud.fleet.tle.TLE`)."""
    from sgp4.api import WGS72, Satrec

    sats = [Satrec.twoline2rv(t.line1, t.line2, WGS72) for t in sets]
    names = [t.name or f"NORAD-{t.line1[2:7].strip()}" for t in sets]
    return objects_from_satrecs(sats, names)


# --------------------------------------------------------------------------------------------------
# orbit filter


def band_overlap(per_a: np.ndarray, apo_a: np.ndarray, per_b: np.ndarray, apo_b: np.ndarray, pad_km: float) -> np.ndarray:
    """For each band ``b``: does ``[per_b - pad, apo_b + pad]`` overlap any band ``[per_a, apo_a]``?"""
    if len(per_a) == 0:
        return np.zeros(len(per_b), dtype=bool)
    order = np.argsort(per_a, kind="stable")
    per_sorted = per_a[order]
    apo_prefmax = np.maximum.accumulate(apo_a[order])
    k = np.searchsorted(per_sorted, apo_b + pad_km, side="right")
    ok = k > 0
    out = np.zeros(len(per_b), dtype=bool)
    out[ok] = apo_prefmax[k[ok] - 1] >= per_b[ok] - pad_km
    return out


def pair_overlap(a: Objects, b: Objects, ia: np.ndarray, ib: np.ndarray, pad_km: float) -> np.ndarray:
    """Pairwise apogee/perigee test: the radius bands of ``a[ia]`` and ``b[ib]`` overlap within ``pad_km``."""
    return (a.perigee_km[ia] - pad_km <= b.apogee_km[ib]) & (b.perigee_km[ib] - pad_km <= a.apogee_km[ia])


# --------------------------------------------------------------------------------------------------
# coarse pass


def hermite_margin_km(objs: list[Objects], node_step_s: float) -> float:
    """Bound on the cubic Hermite interpolation error [km]: ``5 h^4 / 384 max |r''''|`` with
    ``|r''''| ~ omega_p^4 r_p`` at perigee (a factor 5 for the perturbations)."""
    worst = 0.0
    for o in objs:
        if len(o) == 0:
            continue
        per = np.maximum(o.perigee_km, WGS72_RADIUS_KM)
        w = o.speed_perigee_km_s / per
        val = np.nanmax(w**4 * per)
        worst = max(worst, float(val) if np.isfinite(val) else 0.0)
    return 5.0 * node_step_s**4 / 384.0 * worst


def _propagate(sat_array, jd0: float, fr0: float, t_s: np.ndarray, side: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """r_teme_km, v_teme_km_s (n, T, 3) at ``t_s``; objects with an SGP4 error anywhere are far away,
    each at its own place, on the +x axis for the first set (``side`` 1) and -x for the second."""
    jd, fr = jd_split_offset(jd0, fr0, t_s)
    err, r, v = sat_array.sgp4(np.ascontiguousarray(jd), np.ascontiguousarray(fr))
    bad = ((err != 0) | ~np.isfinite(r).all(axis=2)).any(axis=1)
    if bad.any():
        # a whole chunk far away, each object at its own place (no false pairs among them)
        idx = np.flatnonzero(bad)
        r[idx] = 0.0
        r[idx, :, 0] = side * _FAR_KM * (1.0 + idx[:, None])
        v[idx] = 0.0
    return r, v, bad


def _hermite_coefficients(r: np.ndarray, v: np.ndarray, h: float) -> np.ndarray:
    """Cubic Hermite polynomials of every node interval: (4, T-1, n, 3) coefficients ``c0..c3`` of
    ``p(s) = c0 + s (c1 + s (c2 + s c3))`` for ``s`` in [0, 1], from r (n, T, 3) and v (n, T, 3)."""
    r0 = np.ascontiguousarray(np.swapaxes(r[:, :-1], 0, 1))
    r1 = np.ascontiguousarray(np.swapaxes(r[:, 1:], 0, 1))
    m0 = np.ascontiguousarray(np.swapaxes(v[:, :-1], 0, 1)) * h
    m1 = np.ascontiguousarray(np.swapaxes(v[:, 1:], 0, 1)) * h
    d = r1 - r0
    return np.stack([r0, m0, 3 * d - 2 * m0 - m1, -2 * d + m0 + m1])


def _hermite(c: np.ndarray, node: int, s: float) -> np.ndarray:
    """Positions (n, 3) at fraction ``s`` of node interval ``node``."""
    return c[0, node] + s * (c[1, node] + s * (c[2, node] + s * c[3, node]))


def _hermite_velocity(c: np.ndarray, node: int, s: float, idx: np.ndarray, h: float) -> np.ndarray:
    """Velocities (len(idx), 3) of objects ``idx`` at fraction ``s`` of node interval ``node``."""
    return (c[1, node, idx] + s * (2 * c[2, node, idx] + 3 * s * c[3, node, idx])) / h


@dataclasses.dataclass
class Candidates:
    """Coarse-pass hits: pair indices, sub-step index, linear closest-approach distance and offset."""

    ia: np.ndarray
    ib: np.ndarray
    k: np.ndarray
    d_lin_km: np.ndarray
    tau_s: np.ndarray
    sub_steps: int = 0
    radius_km: float = 0.0


def _geometry(sets: list[Objects], self_screen: bool, duration_s: float, threshold_km: float,
              node_step_s: float, sub_step_s: float) -> dict:
    """Sub-steps, node intervals and the padded radii of the coarse pass."""
    per_sub = max(1, int(round(node_step_s / sub_step_s)))
    dt = node_step_s / per_sub
    n_sub = int(math.ceil(duration_s / dt - 1e-9))
    r_min = max(WGS72_RADIUS_KM, min(float(np.nanmin(o.perigee_km)) for o in sets if len(o)))
    v_max = [float(np.nanmax(o.speed_perigee_km_s)) for o in sets]
    v_rel = 2 * v_max[0] if self_screen else v_max[0] + v_max[1]
    curv = 0.5 * (2 * WGS72_MU_KM3_S2 / r_min**2) * (dt / 2) ** 2
    interp = hermite_margin_km(sets, node_step_s)
    return dict(per_sub=per_sub, dt=dt, n_sub=n_sub, n_nodes=int(math.ceil(n_sub / per_sub)), node_step_s=node_step_s,
                radius=threshold_km + v_rel * dt / 2 + curv + interp, keep_km=threshold_km + curv + interp)


#: Node intervals x objects^2 above which the coarse pass uses worker processes when ``workers`` is None.
PARALLEL_WORK = 2e10


def coarse_pass(
    a: Objects, b: Objects | None, jd0: float, fr0: float, duration_s: float, threshold_km: float,
    node_step_s: float = 120.0, sub_step_s: float = 20.0, workers: int | None = None,
) -> Candidates:
    """Every (pair, sub-step) whose linear closest approach within the sub-step is near the threshold.

    ``b=None`` screens ``a`` against itself (pairs ``ia < ib``). ``workers`` processes split the window
    in time (None: up to 2 for large jobs, as ``os.cpu_count()`` allows); the hits are the same.
    """
    import os

    self_screen = b is None
    sets = [a] if self_screen else [a, b]
    g = _geometry(sets, self_screen, duration_s, threshold_km, node_step_s, sub_step_s)
    if workers is None:
        work = g["n_nodes"] * len(a) * (len(a) if b is None else len(b))
        workers = min(2, os.cpu_count() or 1) if work > PARALLEL_WORK else 1
    workers = max(1, min(int(workers), g["n_nodes"]))
    if workers == 1:
        parts = [_coarse_range([o.satrecs for o in sets], jd0, fr0, g, 0, g["n_nodes"])]
    else:
        import concurrent.futures as cf
        import multiprocessing as mp

        edges = np.linspace(0, g["n_nodes"], workers + 1).round().astype(int)
        elements = [[_elements(sat) for sat in o.satrecs] for o in sets]
        with cf.ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
            futs = [pool.submit(_coarse_worker, elements, jd0, fr0, g, int(edges[w]), int(edges[w + 1])) for w in range(workers)]
            parts = [f.result() for f in futs]
    out = [np.concatenate([p[k] for p in parts]) for k in range(5)]
    return Candidates(*out, sub_steps=g["n_sub"] + 1, radius_km=g["radius"])


_ELEMENTS = ("satnum", "jdsatepoch", "jdsatepochF", "bstar", "ndot", "nddot", "ecco", "argpo", "inclo", "mo", "no_kozai", "nodeo")


def _elements(sat) -> tuple:
    """What ``sgp4init`` needs to rebuild a satellite in another process (``Satrec`` does not pickle)."""
    return tuple(getattr(sat, k) for k in _ELEMENTS)


def _rebuild(el: tuple):
    from sgp4.api import WGS72, Satrec

    satnum, jd, fr, bstar, ndot, nddot, ecco, argpo, inclo, mo, no, nodeo = el
    sat = Satrec()
    sat.sgp4init(WGS72, "i", int(satnum), (jd - 2433281.5) + fr, bstar, ndot, nddot, ecco, argpo, inclo, mo, no, nodeo)
    sat.jdsatepoch, sat.jdsatepochF = jd, fr
    return sat


def _coarse_worker(elements, jd0, fr0, g, n_lo, n_hi):
    return _coarse_range([[_rebuild(e) for e in els] for els in elements], jd0, fr0, g, n_lo, n_hi)


def _coarse_range(sat_lists: list[list], jd0: float, fr0: float, g: dict, n_lo: int, n_hi: int):
    """The coarse pass over node intervals ``n_lo .. n_hi - 1`` (the last one includes the end sample)."""
    from scipy.spatial import cKDTree
    from sgp4.api import SatrecArray

    self_screen = len(sat_lists) == 1
    per_sub, dt, n_sub, n_nodes, node_step_s = g["per_sub"], g["dt"], g["n_sub"], g["n_nodes"], g["node_step_s"]
    radius, keep_km = g["radius"], g["keep_km"]
    arrays = [SatrecArray(sats) for sats in sat_lists]
    out_ia, out_ib, out_k, out_d, out_tau = [], [], [], [], []
    for n0 in range(n_lo, n_hi, CHUNK_NODES):
        n1 = min(n_hi, n0 + CHUNK_NODES)
        t_nodes = np.arange(n0, n1 + 1, dtype=np.float64) * node_step_s
        coef = []
        for side, arr in zip((1.0, -1.0), arrays):
            r, v, _bad = _propagate(arr, jd0, fr0, t_nodes, side)
            coef.append(_hermite_coefficients(r, v, node_step_s))
            del r, v
        for kk in range(n0 * per_sub, min(n_sub + 1, n1 * per_sub + (1 if n1 == n_nodes else 0))):
            node = min(kk // per_sub, n_nodes - 1) - n0
            s = (kk - (node + n0) * per_sub) / per_sub
            pos = [_hermite(c, node, s) for c in coef]
            if self_screen:
                pairs = cKDTree(pos[0], balanced_tree=False, compact_nodes=False).query_pairs(radius, output_type="ndarray")
                if len(pairs) == 0:
                    continue
                i, j = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
                swap = i > j
                i[swap], j[swap] = j[swap], i[swap]
                cb = coef[0]
                pb = pos[0]
            else:
                ta = cKDTree(pos[0], balanced_tree=False, compact_nodes=False)
                tb = cKDTree(pos[1], balanced_tree=False, compact_nodes=False)
                m = ta.sparse_distance_matrix(tb, radius, output_type="ndarray")
                if len(m) == 0:
                    continue
                i, j = m["i"].astype(np.int64), m["j"].astype(np.int64)
                cb = coef[1]
                pb = pos[1]
            dr = pb[j] - pos[0][i]
            dv = _hermite_velocity(cb, node, s, j, node_step_s) - _hermite_velocity(coef[0], node, s, i, node_step_s)
            vv = np.einsum("ij,ij->i", dv, dv)
            with np.errstate(invalid="ignore", divide="ignore"):
                tau = np.where(vv > 0, -np.einsum("ij,ij->i", dr, dv) / vv, 0.0)
            tau = np.clip(tau, -dt / 2, dt / 2)
            d = np.linalg.norm(dr + dv * tau[:, None], axis=1)
            hit = d <= keep_km
            if hit.any():
                out_ia.append(i[hit])
                out_ib.append(j[hit])
                out_k.append(np.full(int(hit.sum()), kk, dtype=np.int64))
                out_d.append(d[hit])
                out_tau.append(tau[hit])
    cat = lambda xs, dtype: np.concatenate(xs).astype(dtype) if xs else np.zeros(0, dtype=dtype)
    return (cat(out_ia, np.int64), cat(out_ib, np.int64), cat(out_k, np.int64), cat(out_d, np.float64),
            cat(out_tau, np.float64))


def seeds(c: Candidates, sub_step_s: float, duration_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seed times of the refinement: per pair and run of consecutive hit sub-steps, the linear closest
    approach of the run's closest sub-step. A fast encounter is a run of one or two sub-steps; a pair
    that stays near (formation flying) gives one seed per run, its closest approach in the run."""
    if len(c.ia) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0)
    order = np.lexsort((c.k, c.ib, c.ia))
    ia, ib, k, d, tau = c.ia[order], c.ib[order], c.k[order], c.d_lin_km[order], c.tau_s[order]
    t = k * sub_step_s + tau
    new_run = np.ones(len(ia), dtype=bool)
    new_run[1:] = (ia[1:] != ia[:-1]) | (ib[1:] != ib[:-1]) | (k[1:] - k[:-1] > 1)
    run_id = np.cumsum(new_run) - 1
    # the closest sub-step of each run
    o2 = np.lexsort((d, run_id))
    first = np.ones(len(o2), dtype=bool)
    first[1:] = run_id[o2][1:] != run_id[o2][:-1]
    best = np.zeros(len(ia), dtype=bool)
    best[o2[first]] = True
    pick = best
    return ia[pick], ib[pick], np.clip(t[pick], 0.0, duration_s)


# --------------------------------------------------------------------------------------------------
# refinement


def _state(sat, jd0: float, fr0: float, t: float) -> tuple[np.ndarray, np.ndarray]:
    total = fr0 + t / 86400.0
    whole = math.floor(total)
    err, r, v = sat.sgp4(jd0 + whole, total - whole)
    if err != 0:
        return np.full(3, np.nan), np.full(3, np.nan)
    return np.asarray(r), np.asarray(v)


def refine_pair(sat_a, sat_b, jd0: float, fr0: float, t_seed: float, t_lo: float, t_hi: float,
                bracket_s: float) -> tuple[float, float]:
    """TCA [s from the window start] and miss distance [km] of one pair near ``t_seed``, by Newton's
    method on ``r_rel . v_rel`` with SGP4 (bounded minimisation of the distance as the fallback);
    the TCA is kept inside ``[t_lo, t_hi]``."""

    def rel(t):
        ra, va = _state(sat_a, jd0, fr0, t)
        rb, vb = _state(sat_b, jd0, fr0, t)
        return rb - ra, vb - va, ra, rb

    t = t_seed
    converged = False
    for _ in range(12):
        dr, dv, ra, rb = rel(t)
        if not np.all(np.isfinite(dr)):
            break
        f = float(dr @ dv)
        acc = -WGS72_MU_KM3_S2 * (rb / np.linalg.norm(rb) ** 3 - ra / np.linalg.norm(ra) ** 3)
        fp = float(dv @ dv + dr @ acc)
        if fp <= 0:
            break
        step = -f / fp
        step = max(-bracket_s, min(bracket_s, step))
        t_new = min(t_hi, max(t_lo, t + step))
        if abs(t_new - t) < 1e-6:
            t = t_new
            converged = True
            break
        t = t_new
    if not converged or abs(t - t_seed) > 2 * bracket_s:
        from scipy.optimize import minimize_scalar

        lo, hi = max(t_lo, t_seed - bracket_s), min(t_hi, t_seed + bracket_s)
        if hi <= lo:
            t = lo
        else:
            res = minimize_scalar(lambda x: float(np.linalg.norm(rel(x)[0])), bounds=(lo, hi), method="bounded",
                                  options={"xatol": 1e-5})
            t = float(res.x)
    dr = rel(t)[0]
    return t, float(np.linalg.norm(dr))


@dataclasses.dataclass
class Conjunctions:
    """Refined close approaches (arrays over events), TEME states at TCA."""

    ia: np.ndarray
    ib: np.ndarray
    tca_s: np.ndarray  # seconds after the window start
    miss_km: np.ndarray
    r_a_km: np.ndarray  # (E, 3)
    v_a_km_s: np.ndarray
    r_b_km: np.ndarray
    v_b_km_s: np.ndarray
    stats: dict

    def __len__(self) -> int:
        return len(self.ia)

    @property
    def speed_km_s(self) -> np.ndarray:
        return np.linalg.norm(self.v_b_km_s - self.v_a_km_s, axis=1)


def check_window(duration_s: float, threshold_km: float) -> None:
    """Refuse a window or threshold the screening cannot do, naming the value."""
    if not (isinstance(threshold_km, (int, float)) and math.isfinite(threshold_km) and 0 < threshold_km <= 1000):
        raise OrbitcloudError(f"--threshold-km: expected a distance in (0, 1000] km, got {threshold_km!r}")
    if not (math.isfinite(duration_s) and 0 < duration_s <= 30 * 86400):
        raise OrbitcloudError(f"--duration: expected a positive window of at most 30 days, got {duration_s!r} s")


def screen(
    a: Objects, b: Objects | None, jd0: float, fr0: float, duration_s: float, threshold_km: float,
    node_step_s: float = 120.0, sub_step_s: float = 20.0, workers: int | None = None,
) -> Conjunctions:
    """Screen ``a`` against ``b`` (``None``: against itself) over ``[0, duration_s]`` after ``(jd0, fr0)``:
    every close approach with a miss distance at most ``threshold_km``."""
    check_window(duration_s, threshold_km)
    if sub_step_s <= 0 or node_step_s <= 0:
        raise OrbitcloudError(f"steps must be positive, got node {node_step_s!r} s, sub-step {sub_step_s!r} s")
    pad = threshold_km + RADIUS_PAD_KM
    stats = {"objects_a": len(a), "objects_b": len(a) if b is None else len(b)}
    keep_b = None
    if b is not None:
        keep_b = np.flatnonzero(band_overlap(a.perigee_km, a.apogee_km, b.perigee_km, b.apogee_km, pad))
        keep_a = np.flatnonzero(band_overlap(b.perigee_km, b.apogee_km, a.perigee_km, a.apogee_km, pad))
        b_used = b.subset(keep_b)
        a_used = a.subset(keep_a)
    else:
        keep_a = np.arange(len(a))
        a_used, b_used = a, None
    stats["objects_a_after_orbit_filter"] = len(a_used)
    stats["objects_b_after_orbit_filter"] = len(a_used) if b is None else len(b_used)
    empty = Conjunctions(*(np.zeros(0, dtype=np.int64),) * 2, np.zeros(0), np.zeros(0),
                         *(np.zeros((0, 3)),) * 4, stats=stats)
    if len(a_used) == 0 or (b_used is not None and len(b_used) == 0) or (b_used is None and len(a_used) < 2):
        return empty
    c = coarse_pass(a_used, b_used, jd0, fr0, duration_s, threshold_km, node_step_s, sub_step_s, workers)
    other = a_used if b_used is None else b_used
    ok = pair_overlap(a_used, other, c.ia, c.ib, pad)
    c = Candidates(c.ia[ok], c.ib[ok], c.k[ok], c.d_lin_km[ok], c.tau_s[ok], c.sub_steps, c.radius_km)
    per_sub = max(1, int(round(node_step_s / sub_step_s)))
    dt = node_step_s / per_sub
    sa, sb, t_seed = seeds(c, dt, duration_s)
    stats.update(coarse_sub_steps=c.sub_steps, coarse_radius_km=c.radius_km, coarse_hits=len(c.ia), seeds=len(sa))
    tca = np.empty(len(sa))
    miss = np.empty(len(sa))
    for e in range(len(sa)):  # a loop over the few refined events, not over satellites
        tca[e], miss[e] = refine_pair(a_used.satrecs[sa[e]], other.satrecs[sb[e]], jd0, fr0, float(t_seed[e]),
                                      0.0, duration_s, dt)
    good = np.isfinite(miss) & (miss <= threshold_km)
    sa, sb, tca, miss = sa[good], sb[good], tca[good], miss[good]
    # merge seeds of the same pair that refined to the same approach
    order = np.lexsort((tca, sb, sa))
    sa, sb, tca, miss = sa[order], sb[order], tca[order], miss[order]
    dup = np.zeros(len(sa), dtype=bool)
    dup[1:] = (sa[1:] == sa[:-1]) & (sb[1:] == sb[:-1]) & (np.abs(tca[1:] - tca[:-1]) < 1.0)
    sa, sb, tca, miss = sa[~dup], sb[~dup], tca[~dup], miss[~dup]
    # map back to the caller's indices
    ia = keep_a[sa]
    ib = (keep_a if b is None else keep_b)[sb]
    sets_b = a if b is None else b
    r_a, v_a = states_at(a, ia, jd0, fr0, tca)
    r_b, v_b = states_at(sets_b, ib, jd0, fr0, tca)
    order = np.argsort(tca, kind="stable")
    stats["conjunctions"] = len(ia)
    return Conjunctions(ia[order], ib[order], tca[order], miss[order], r_a[order], v_a[order], r_b[order], v_b[order], stats)


def states_at(objs: Objects, idx: np.ndarray, jd0: float, fr0: float, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TEME position [km] and velocity [km/s] of ``objs[idx[e]]`` at ``t_s[e]`` (one per event)."""
    r = np.empty((len(idx), 3))
    v = np.empty((len(idx), 3))
    for e in range(len(idx)):
        r[e], v[e] = _state(objs.satrecs[int(idx[e])], jd0, fr0, float(t_s[e]))
    return r, v
