"""Earth-observation workload: frames captured along the ground track, filtered onboard, stored, downlinked.

Per time step and imaging satellite (all vectorised over satellites x frames):

1. **Frames.** The sub-satellite point moves along the ground track; frame ``n`` of a satellite covers
   along-track distance ``[n L, (n + 1) L)`` (``L`` = frame length) and belongs to the step in which its
   start is passed. Ground-track speed: the great-circle angle between the Earth-fixed sub-satellite
   directions of the previous and the present step, over the previous step (this includes the Earth's
   rotation and orbit eccentricity), extrapolated over the present step along the same great circle;
   on a satellite's first step (or after a step without position) the circular-orbit rate
   ``sqrt(mu / r^3)`` and frames at the sub-satellite point. Data per frame
   ``(swath / gsd) (L / gsd) bands bits / 8`` bytes, rounded up.
2. **Imaging.** A frame is imaged when the Sun is at least ``min_sun_elevation`` above the horizon at
   its centre (optical), and, for ``targets: land``, when its centre is over land (0.1 deg mask from the
   GLOBE 1 km DEM, ``catalog/land_mask.yaml``).
3. **Cloud.** A frame is cloudy (cover at or above the filter's threshold, e.g. 70 %) with the annual
   cloud fraction of its 10 deg latitude band over land or ocean (``catalog/cloud_climatology.yaml``,
   normalised to the MODIS means of King et al. 2013: 67 % global, 55 % land, 72 % ocean).
4. **Onboard filter** (CloudScout-style, Giuffrida et al. 2020, Remote Sensing 12(14) 2205): the
   classifier discards a clear frame with probability ``P(discard | clear) = FP / (1 - pi)`` and keeps
   a cloudy one with ``P(keep | cloudy) = (1 - accuracy - FP) / pi``, ``pi`` being the cloudy share of
   the evaluation set the published accuracy and false-positive figures refer to. Kept frames are
   stored raw (``cloud``) or as a semantic product of ``product_ratio`` of the raw size
   (``semantic``). The filter needs ``ops_per_frame`` on the satellite's accelerator: frames beyond
   what ``compute_speed x ops_per_s x dt`` can process in the step are **kept raw** (unfiltered; the
   ground can still use them).
5. **Storage and downlink.** FIFO storage per satellite. In a step, stored data go down first, then
   new frames are stored while they fit in the free space plus the downlink left in the step
   (frames taken during a contact pass straight through); a frame that does not fit is lost, and so
   is every later frame of that step; then new data go down with the rest of the step's downlink.
   The downlink is the satellite's own ground contact, or -- with ISL relay -- a share of the total
   ground downlink of its ISL-connected component, in proportion to the members' backlogs.

Bytes are integers, so ``captured = discarded + downlinked + stored + lost`` holds exactly.

Randomness (cloudy? classifier right?) is a pure function of (seed, global satellite index, frame
number) through :func:`orbitcloud.ops.faults.uniform_hash` (counter-based; Salmon et al. SC'11,
SplitMix64): results do not depend on how the fleet is cut into blocks.

Ages on the ground (FIFO): from cumulative stored-in and downlinked curves per satellite, matched at
the end of the run (vectorised), from the middle of the capture step to the end of the downlink step.

Sources: King et al. 2013, IEEE TGRS 51(7) 3826 (cloud fraction); Giuffrida et al. 2020 (CloudScout:
70 % threshold, 92 % accuracy, 1 % false positives); Devaraj et al. 2017, SSC17-VII-02 (Dove
downlink); GLOBE (NOAA NGDC, Hastings & Dunbar 1999) via global-land-mask (land/sea); the sensor and
filter presets in ``catalog/eo_sensors.yaml`` cite theirs. Details: ``docs/earth_observation.md``.

Layout: the Earth data (cloud climatology, land mask) are :mod:`orbitcloud.ops.eo_earth_data`; the
sensor and onboard-filter parameters and the per-frame draws :mod:`orbitcloud.ops.eo_sensor`; the
per-satellite byte ledgers :mod:`orbitcloud.ops.eo_ledger`. This module holds the model that advances
frames, storage and downlink step by step (:class:`EOModel`) and re-exports the names of the first two.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from orbitcloud.constants import WGS84_F, WGS84_MU_M3_S2
from orbitcloud.ops.eo_earth_data import (  # re-exported
    CloudTable,
    LandMask,
    cloud_table,
    land_mask,
)
from orbitcloud.ops.eo_ledger import (
    _count,
    _first_at_or_after,
    _group_cumsum,
    _sum,
    _weighted_quantile,
)
from orbitcloud.ops.eo_sensor import (  # re-exported
    STREAM_CLASSIFY,  # noqa: F401
    STREAM_CLOUD,  # noqa: F401
    EOError,
    EOParams,
    eo_params,
    frame_draws,
    per_class_rates,
)

__all__ = [
    "EOError",
    "CloudTable",
    "cloud_table",
    "LandMask",
    "land_mask",
    "EOParams",
    "eo_params",
    "per_class_rates",
    "frame_draws",
    "EOModel",
    "R_MEAN_M",
]

#: IUGG mean Earth radius [m] (Moritz 2000, Geodetic Reference System 1980): the ground-track radius.
R_MEAN_M = 6_371_008.8
_E2 = WGS84_F * (2.0 - WGS84_F)  # first eccentricity squared (WGS-84)


def _vec(name: str, value: Any, m: int) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (m,):
        raise EOError(f"{name} must have shape ({m},) (one value per imaging satellite), got {arr.shape}")
    return arr


class EOModel:
    """Earth-observation workload of a set of imaging satellites (see the module docstring).

    Parameters
    ----------
    params : EOParams
    sats : ndarray (m,) of int
        Global satellite indices (stable keys of the random numbers).
    ops_per_s : ndarray (m,)
        Accelerator capacity of each satellite at the filter's precision [OP/s]; 0: cannot filter.
    seed : int
        Scenario seed.
    step_s : float
        Nominal step [s].
    n_steps : int
        Steps of the run (timeline length).
    """

    def __init__(self, params: EOParams, sats: np.ndarray, ops_per_s: np.ndarray, seed: int, step_s: float,
                 n_steps: int) -> None:
        sats = np.asarray(sats)
        if sats.ndim != 1 or not np.issubdtype(sats.dtype, np.integer):
            raise EOError(f"sats must be a 1-D array of integer satellite indices, got {sats.dtype} {sats.shape}")
        m = sats.size
        ops = _vec("ops_per_s", ops_per_s, m)
        if not np.all(np.isfinite(ops)) or (ops < 0).any():
            raise EOError("ops_per_s must be finite and >= 0 [OP/s]")
        if not (step_s > 0 and math.isfinite(step_s)):
            raise EOError(f"step_s must be positive, got {step_s!r}")
        if int(n_steps) < 1:
            raise EOError(f"n_steps must be >= 1, got {n_steps!r}")
        self.p = params
        self.sats = sats.astype(np.int64)
        self.m = m
        self.ops_per_s = ops
        self.seed = int(seed)
        self.step_s = float(step_s)
        self.n_steps = int(n_steps)
        self._next_k = 0
        self._s_m = np.zeros(m)  # along-track distance at the start of the next step [m]
        self._prev_u = np.full((m, 3), np.nan)
        self._prev_t_s = math.nan
        z = functools.partial(np.zeros, m, dtype=np.int64)
        self.stored_b, self.high_water_b = z(), z()
        self.captured_b, self.kept_b, self.discarded_b, self.downlinked_b, self.lost_b = z(), z(), z(), z(), z()
        self.valuable_captured_b = z()
        self.frames_captured, self.frames_discarded, self.frames_product = z(), z(), z()
        self.frames_raw, self.frames_lost, self.frames_valuable = z(), z(), z()
        self.busy_s = np.zeros(m)
        self._demand = np.zeros(m)
        self._in: list[tuple[np.ndarray, ...]] = []
        self._out: list[tuple[np.ndarray, ...]] = []
        names = ("captured_b", "kept_b", "discarded_b", "downlinked_b", "stored_b", "lost_b", "frames_captured")
        self._tl = {k: np.zeros(self.n_steps, dtype=np.int64) for k in names}
        self._t_s = np.full(self.n_steps, np.nan)
        self._dt_s = np.full(self.n_steps, np.nan)
        self._mask = land_mask()

    # -- API -----------------------------------------------------------------------------------------

    def compute_demand(self) -> np.ndarray:
        """(m,) fraction [0, 1] of each satellite's compute the filter needs in the next step.

        The frames imaged in the last step times the compute per frame, over the satellite's capacity
        in one step (0 before the first step, without a filter, or without an accelerator).
        """
        return self._demand.copy()

    def advance(self, k: int, t_s: float, dt_s: float, r_ecef_m: np.ndarray, sun_ecef_unit: np.ndarray,
                compute_speed: np.ndarray, contact_bps: np.ndarray, component: np.ndarray | None = None,
                component_bps: np.ndarray | None = None) -> None:
        """Advance one step (see the class and module docstrings for the arguments' meaning)."""
        p, m = self.p, self.m
        if int(k) != self._next_k:
            raise EOError(f"advance: step {k} given, step {self._next_k} expected (steps must come in order)")
        if k >= self.n_steps:
            raise EOError(f"advance: step {k} is past the run's {self.n_steps} steps")
        if not (dt_s > 0 and math.isfinite(dt_s)):
            raise EOError(f"advance: dt_s must be positive, got {dt_s!r}")
        r = np.asarray(r_ecef_m, dtype=np.float64)
        if r.shape != (m, 3):
            raise EOError(f"r_ecef_m must have shape ({m}, 3), got {r.shape}")
        sun = np.asarray(sun_ecef_unit, dtype=np.float64).reshape(3)
        sun = sun / np.linalg.norm(sun)
        cs = np.clip(np.nan_to_num(_vec("compute_speed", compute_speed, m), nan=0.0), 0.0, 1.0)
        cbps = np.nan_to_num(_vec("contact_bps", contact_bps, m), nan=0.0)
        if (cbps < 0).any():
            raise EOError(f"contact_bps must be >= 0 [bit/s] (found {cbps.min():g})")
        pool = None
        if p.relay and component is not None and component_bps is not None:
            comp = np.asarray(component, dtype=np.int64)
            cb = np.nan_to_num(np.asarray(component_bps, dtype=np.float64), nan=0.0)
            if comp.shape != (m,):
                raise EOError(f"component must have shape ({m},), got {comp.shape}")
            if cb.ndim != 1 or (comp.size and comp.max() >= cb.size) or (cb < 0).any():
                raise EOError(f"component_bps must be >= 0 with one entry per component label (max label {comp.max()}, "
                              f"got shape {cb.shape})")
            pool = (comp, np.floor(cb * dt_s / 8.0))

        # -- geometry: sub-satellite directions, along-track distance, frame centres ------------------
        rn = np.linalg.norm(r, axis=1)
        ok = np.isfinite(rn) & (rn > 0.0)
        u = np.full((m, 3), np.nan)
        u[ok] = r[ok] / rn[ok, None]
        d = np.zeros((m, 3))
        omega = np.zeros(m)
        omega[ok] = np.sqrt(WGS84_MU_M3_S2 / rn[ok] ** 3)  # circular-orbit rate: first step / after a gap
        dt_prev = t_s - self._prev_t_s
        if math.isfinite(dt_prev) and dt_prev > 0:
            # finite difference over the previous step, where it spans less than a quarter orbit
            prev = self._prev_u
            have = ok & np.isfinite(prev).all(axis=1) & (omega * dt_prev < 0.5 * math.pi)
            rows = np.flatnonzero(have)
            cr = np.cross(prev[rows], u[rows])
            sn = np.linalg.norm(cr, axis=1)
            theta = np.arctan2(sn, np.einsum("ij,ij->i", prev[rows], u[rows]))
            good = sn > 1e-12
            rg = rows[good]
            omega[rg] = theta[good] / dt_prev
            d[rg] = np.cross(cr[good] / sn[good, None], u[rg])
        dist = R_MEAN_M * omega * dt_s
        L = p.frame_length_m
        s0 = self._s_m
        n0 = np.ceil(s0 / L).astype(np.int64)
        n1 = np.ceil((s0 + dist) / L).astype(np.int64)
        nf = np.where(ok, n1 - n0, 0)
        f_max = int(nf.max()) if m else 0

        stored_in = np.zeros(m, dtype=np.int64)
        valuable_in = np.zeros(m, dtype=np.int64)
        kept_step = np.zeros(m, dtype=np.int64)
        lost_step = np.zeros(m, dtype=np.int64)
        captured_step = np.zeros(m, dtype=np.int64)
        n_imaged = np.zeros(m, dtype=np.int64)
        n_processed = np.zeros(m, dtype=np.int64)

        # downlink phase (a): data already stored
        budget = np.floor(cbps * dt_s / 8.0)
        alloc_a, budget, pool_left = self._share(self.stored_b, budget, pool)
        self.stored_b -= alloc_a
        # what may pass straight through to the ground this step: the direct downlink left, or an
        # equal part of the pool left among the component's imaging satellites
        pass_b = budget.astype(np.int64)
        if pool is not None:
            pr = np.flatnonzero(pool[0] >= 0)
            members = np.bincount(pool[0][pr], minlength=pool[1].size)
            pass_b[pr] = np.floor(pool_left[pool[0][pr]] / members[pool[0][pr]]).astype(np.int64)

        if f_max > 0:
            # frame centres on the great circle through u with direction d (orthonormal, so unit vectors):
            # p = u cos(alpha) + d sin(alpha); only the sunlit frames get latitude and longitude
            valid = np.arange(f_max)[None, :] < nf[:, None]
            rows, cols = np.nonzero(valid)
            # alpha = alpha0 + j * L / R_MEAN (alpha0: the satellite's first frame): angle addition
            alpha0 = ((n0 + 0.5) * L - s0) / R_MEAN_M
            c0, s0a = np.cos(alpha0), np.sin(alpha0)
            cj, sj = np.cos(np.arange(f_max) * (L / R_MEAN_M)), np.sin(np.arange(f_max) * (L / R_MEAN_M))
            ca = c0[rows] * cj[cols] - s0a[rows] * sj[cols]
            sa = s0a[rows] * cj[cols] + c0[rows] * sj[cols]
            nodir = ~d.any(axis=1)[rows]  # no direction known: frames at the sub-satellite point
            ca[nodir], sa[nodir] = 1.0, 0.0
            us, ds = u @ sun, d @ sun
            lit = ca * us[rows] + sa * ds[rows] >= math.sin(p.min_sun_elevation_rad)
            rows, cols, ca, sa = rows[lit], cols[lit], ca[lit], sa[lit]
            ur, dr = u[rows], d[rows]
            px = ca * ur[:, 0] + sa * dr[:, 0]
            py = ca * ur[:, 1] + sa * dr[:, 1]
            pz = ca * ur[:, 2] + sa * dr[:, 2]
            lat = np.arctan2(pz, (1.0 - _E2) * np.hypot(px, py))  # geodetic latitude of the frame centre
            land = self._mask.is_land(lat, np.arctan2(py, px))
            if p.targets_land:
                rows, cols, lat, land = rows[land], cols[land], lat[land], land[land]
            # the imaged frames, in order (satellite, frame): flat arrays from here on
            fno = n0[rows] + cols
            cloudy, discard = frame_draws(p, self.seed, self.sats[rows], fno, lat, land)
            valuable = ~cloudy & land if p.targets_land else ~cloudy
            n_imaged = np.bincount(rows, minlength=m).astype(np.int64)
            if p.filter_kind == "none":
                sz = np.full(rows.size, p.frame_size_b, dtype=np.int64)
                self.frames_raw += n_imaged
            else:
                if p.ops_per_frame > 0.0:
                    cap = np.floor(cs * self.ops_per_s * dt_s / p.ops_per_frame + 1e-9)  # whole frames
                else:
                    cap = np.full(m, np.inf)
                rank = _group_cumsum(rows, np.ones(rows.size, dtype=np.int64))  # 1-based order in the step
                processed = rank <= cap[rows]
                sz = np.where(processed, np.where(discard, 0, p.product_size_b), p.frame_size_b).astype(np.int64)
                n_processed = _count(rows, processed, m)
                self.frames_discarded += _count(rows, processed & discard, m)
                self.frames_product += _count(rows, processed & ~discard, m)
                self.frames_raw += n_imaged - n_processed
            # storage (b): frames in order while they fit; the direct downlink left in the step lets
            # frames pass through to the ground (it drains them in phase (c))
            free = p.storage_b - self.stored_b + pass_b
            kept = sz > 0
            fits = kept & (_group_cumsum(rows, sz) <= free[rows])
            lost = kept & ~fits
            stored_in = _sum(rows, np.where(fits, sz, 0), m)
            lost_step = _sum(rows, np.where(lost, sz, 0), m)
            kept_step = stored_in + lost_step
            valuable_in = _sum(rows, np.where(fits & valuable, sz, 0), m)
            captured_step = n_imaged * p.frame_size_b
            n_valuable = _count(rows, valuable, m)
            self.frames_captured += n_imaged
            self.frames_valuable += n_valuable
            self.frames_lost += _count(rows, lost, m)
            self.valuable_captured_b += n_valuable * p.frame_size_b
            self.stored_b += stored_in

        # downlink phase (c): the step's new data, with what is left of the downlink
        over = np.maximum(self.stored_b - p.storage_b, 0)
        alloc_c, _, _ = self._share(self.stored_b, budget, None if pool is None else (pool[0], pool_left), over)
        self.stored_b -= alloc_c
        np.maximum(self.high_water_b, self.stored_b, out=self.high_water_b)
        out_step = alloc_a + alloc_c

        self.captured_b += captured_step
        self.kept_b += kept_step
        self.discarded_b += captured_step - kept_step
        self.lost_b += lost_step
        self.downlinked_b += out_step
        if p.ops_per_frame > 0.0:
            with np.errstate(invalid="ignore", divide="ignore"):
                busy = np.where(self.ops_per_s > 0, n_processed * p.ops_per_frame / (self.ops_per_s * dt_s), 0.0)
                need = np.where(self.ops_per_s > 0, n_imaged * p.ops_per_frame / (self.ops_per_s * self.step_s), 0.0)
            self.busy_s += np.minimum(busy, 1.0) * dt_s
            self._demand = np.clip(need, 0.0, 1.0)
        sel = np.flatnonzero(stored_in)
        if sel.size:
            k_arr = np.full(sel.size, k, dtype=np.int32)
            self._in.append((sel.astype(np.int32), k_arr, stored_in[sel], valuable_in[sel]))
        sel = np.flatnonzero(out_step)
        if sel.size:
            self._out.append((sel.astype(np.int32), np.full(sel.size, k, dtype=np.int32), out_step[sel]))
        tl = self._tl
        tl["captured_b"][k] = captured_step.sum()
        tl["kept_b"][k] = kept_step.sum()
        tl["discarded_b"][k] = (captured_step - kept_step).sum()
        tl["downlinked_b"][k] = out_step.sum()
        tl["stored_b"][k] = self.stored_b.sum()
        tl["lost_b"][k] = lost_step.sum()
        tl["frames_captured"][k] = n_imaged.sum()
        self._t_s[k], self._dt_s[k] = t_s, dt_s

        self._s_m = s0 + dist
        self._prev_u = u
        self._prev_t_s = float(t_s)
        self._next_k = k + 1

    @staticmethod
    def _share(backlog: np.ndarray, budget: np.ndarray, pool, must: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Downlink of ``backlog`` [B] from direct ``budget`` [B] and, for ISL-pooled satellites, pools.

        Returns (allocation, direct budget left, pool budget left). A pool's budget is shared in
        proportion to the members' backlogs (all of it when it covers them), after each member got
        the bytes it ``must`` send (frames that passed through beyond its recorder's capacity).
        """
        b = backlog.astype(np.float64)
        alloc = np.minimum(b, budget)
        left = budget - alloc
        pool_left = None
        if pool is not None:
            comp, pb = pool
            pr = np.flatnonzero(comp >= 0)
            c = comp[pr]
            first = np.zeros(pr.size) if must is None else np.minimum(must[pr].astype(np.float64), b[pr])
            rest = b[pr] - first
            avail = np.maximum(pb - np.bincount(c, weights=first, minlength=pb.size), 0.0)
            total = np.bincount(c, weights=rest, minlength=pb.size)
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = np.where(total > avail, avail / total, 1.0)
            a = first + np.minimum(np.floor(rest * ratio[c]), rest)
            alloc[pr] = a
            left[pr] = 0.0  # pooled satellites use the pool (their own contacts are part of it)
            pool_left = np.maximum(pb - np.bincount(c, weights=a, minlength=pb.size), 0.0)
        return alloc.astype(np.int64), left, pool_left

    # -- results ---------------------------------------------------------------------------------------

    def _events(self) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        def cat(parts, n):
            if not parts:
                return tuple(np.zeros(0, dtype=np.int64) for _ in range(n))
            arrs = [np.concatenate(x).astype(np.int64) for x in zip(*parts)]
            order = np.lexsort((arrs[1], arrs[0]))  # by satellite row, then step
            return tuple(a[order] for a in arrs)
        return cat(self._in, 4), cat(self._out, 3)

    def _fifo(self) -> dict[str, np.ndarray]:
        """Segments of downlinked bytes with their capture and downlink steps (FIFO per satellite)."""
        (ri, ki, bi, vi), (ro, ko, bo) = self._events()
        if ro.size == 0:
            z = np.zeros(0, dtype=np.int64)
            return {"bytes": z, "k_in": z, "k_out": z, "valuable": np.zeros(0)}
        ci = _group_cumsum(ri, bi)
        co = _group_cumsum(ro, bo)
        total_out = np.zeros(self.m, dtype=np.int64)
        np.add.at(total_out, ro, bo)
        use_in = ci <= total_out[ri]
        q_row = np.concatenate((ri[use_in], ro))
        q_val = np.concatenate((ci[use_in], co))
        order = np.lexsort((q_val, q_row))
        q_row, q_val = q_row[order], q_val[order]
        keep = np.r_[True, (q_row[1:] != q_row[:-1]) | (q_val[1:] != q_val[:-1])]
        q_row, q_val = q_row[keep], q_val[keep]
        first = np.r_[True, q_row[1:] != q_row[:-1]]
        prev = np.where(first, 0, np.r_[0, q_val[:-1]])
        seg = q_val - prev
        j_in = _first_at_or_after(ri, ci, q_row, q_val)
        j_out = _first_at_or_after(ro, co, q_row, q_val)
        if (j_in < 0).any() or (j_out < 0).any():  # pragma: no cover - bookkeeping bug
            raise RuntimeError("EO FIFO matching failed: downlinked more than stored")
        return {"bytes": seg, "k_in": ki[j_in], "k_out": ko[j_out], "valuable": seg * (vi[j_in] / bi[j_in])}

    def per_satellite(self) -> dict[str, np.ndarray]:
        """Per-satellite totals (m,): bytes, frames, storage high-water mark and filter busy time."""
        return {
            "sat": self.sats.copy(), "captured_b": self.captured_b.copy(), "discarded_b": self.discarded_b.copy(),
            "kept_b": self.kept_b.copy(), "downlinked_b": self.downlinked_b.copy(), "stored_b": self.stored_b.copy(),
            "lost_b": self.lost_b.copy(), "high_water_b": self.high_water_b.copy(),
            "frames_captured": self.frames_captured.copy(), "frames_lost": self.frames_lost.copy(),
            "filter_busy_s": self.busy_s.copy(),
        }

    def summary(self) -> dict[str, Any]:
        """Fleet totals, JSON-ready (units in key names; fractions are 0..1; None where undefined)."""
        p = self.p
        cap, kept, disc = int(self.captured_b.sum()), int(self.kept_b.sum()), int(self.discarded_b.sum())
        down, st, lost = int(self.downlinked_b.sum()), int(self.stored_b.sum()), int(self.lost_b.sum())
        steps = self._next_k
        dur = float(np.nansum(self._dt_s[:steps])) if steps else 0.0
        seg = self._fifo()
        w = seg["bytes"].astype(np.float64)
        if w.size and w.sum() > 0:
            t_in = self._t_s[seg["k_in"]] + 0.5 * self._dt_s[seg["k_in"]]
            t_out = self._t_s[seg["k_out"]] + self._dt_s[seg["k_out"]]
            age = t_out - t_in
            age_mean = float((age * w).sum() / w.sum())
            p50, p99 = _weighted_quantile(age, w, 0.5), _weighted_quantile(age, w, 0.99)
            value_density = float(seg["valuable"].sum() / w.sum())
        else:
            age_mean = p50 = p99 = value_density = None

        def frac(a: float, b: float) -> float | None:
            return None if b == 0 else float(a / b)

        return {
            "n_satellites": int(self.m),
            "sensor": p.sensor,
            "filter": p.filter_kind,
            "targets": "land" if p.targets_land else "all",
            "steps": int(steps),
            "duration_s": dur,
            "frame_size_b": int(p.frame_size_b),
            "product_size_b": int(p.product_size_b),
            "frames_captured": int(self.frames_captured.sum()),
            "frames_valuable": int(self.frames_valuable.sum()),
            "frames_discarded": int(self.frames_discarded.sum()),
            "frames_product": int(self.frames_product.sum()),
            "frames_kept_raw": int(self.frames_raw.sum()),
            "frames_lost": int(self.frames_lost.sum()),
            "captured_b": cap,
            "discarded_b": disc,
            "kept_b": kept,
            "downlinked_b": down,
            "stored_b": st,
            "lost_b": lost,
            "conservation_error_b": cap - (disc + down + st + lost),
            "raw_rate_bps_per_sat": None if dur == 0 or self.m == 0 else cap * 8.0 / (dur * self.m),
            "downlink_reduction": frac(disc, cap),
            "downlinked_fraction": frac(down, cap),
            "value_density_captured": frac(int(self.valuable_captured_b.sum()), cap),
            "value_density": value_density,
            "age_mean_s": age_mean,
            "age_p50_s": p50,
            "age_p99_s": p99,
            "storage_capacity_b": int(p.storage_b),
            "storage_high_water_b_max": int(self.high_water_b.max()) if self.m else 0,
            "storage_high_water_b_mean": float(self.high_water_b.mean()) if self.m else 0.0,
            "storage_high_water_fraction_max": frac(int(self.high_water_b.max()) if self.m else 0, p.storage_b),
            "filter_busy_fraction_mean": None if dur == 0 or self.m == 0 else float(self.busy_s.sum() / (dur * self.m)),
            "filter_energy_j": float(self.busy_s.sum() * p.filter_power_w),
        }

    def timeline(self) -> dict[str, np.ndarray]:
        """Per-step fleet totals (steps advanced so far): bytes captured, kept, discarded, downlinked,
        lost in the step, stored at its end, and frames captured."""
        n = self._next_k
        out = {key: v[:n].copy() for key, v in self._tl.items()}
        out["t_s"] = self._t_s[:n].copy()
        return out
