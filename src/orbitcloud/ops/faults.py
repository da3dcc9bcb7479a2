"""Per-device fault models and a deterministic, vectorised fault-event generator driven by dose.

Every accelerator on a satellite is a *device slot*. Each slot runs three single-event Poisson
processes whose clock is the satellite's cumulative dose [rad(Si)] (or, in cross-section mode, its
cumulative proton fluence [cm^-2]):

* ``uecc``: an uncorrectable memory (HBM) error: the job on the device restarts from its checkpoint
  and the device is down for ``uecc.recovery_s`` (a reset that retires the page);
* ``sdc``: silent data corruption: no downtime, reported for the workload layer to account;
* ``sefi``: a single-event functional interrupt (the "host crash" of the Suncatcher test): the device
  reboots for ``sefi.recovery_s``.

A device also crosses total-ionising-dose thresholds (``tid_degrade``: rates are multiplied by each
process's ``degraded_factor``; ``tid_fail``: the device is lost) and has a baseline, time-driven
permanent failure (``permanent``; exponential or Weibull in the time since the device was powered).
A lost device is replaced by an on-board spare after ``spare_delay_s`` while the satellite has spares.

Sources (details, arithmetic and assumptions in ``docs/faults.md`` and ``catalog/faults.yaml``):

* Suncatcher: Google Research blog (4 Nov 2025) and arXiv 2511.19468, TPU v6e (Trillium) in 67 MeV
  protons: HBM uncorrectable ECC ~1 per 50 rad, host crash ~1 per 400-450 rad, SDC 1 per 107 rad
  (first test) to 1 per 17 rad (re-test), HBM irregularities from 2 krad, no hard failure to 15 krad.
* Llama 3 (Meta, arXiv 2407.21783, table 5): 419 unexpected interruptions in 54 days on 16,384 H100
  (1.97e-5 per GPU-hour); 47.3 % (faulty GPU + HBM3) treated here as permanent device losses.
* Counter-based random numbers: Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11
  (the idea); the SplitMix64 finaliser of Steele, Lea & Flood, OOPSLA 2014 (the mixing function).
* Thinning of a Poisson process: Lewis & Shedler, Naval Res. Logistics Q. 26 (1979) 403.

Determinism. Every random number is a pure function of (seed, satellite global index, device slot,
stream, counter), hashed with SplitMix64 in NumPy ``uint64`` arithmetic. The m-th candidate event of a
process sits at a fixed clock value ``theta_m = theta_{m-1} + E_m / lambda_max`` and is accepted with a
fixed uniform (thinning), so event times, the spare allocation and the availability are the same
whatever the time chunking and however the satellites are cut into blocks or processes. Step k of the

Code: this module holds the generator (:func:`advance_faults`) and re-exports the parts it uses:
:mod:`~orbitcloud.ops.fault_model` (the models, the catalog, overrides),
:mod:`~orbitcloud.ops.counter_rng` (:func:`uniform_hash`), :mod:`~orbitcloud.ops.fault_events` (event
kinds, the event log and its canonical order) and :mod:`~orbitcloud.ops.fault_state`
(:class:`FaultState`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from orbitcloud.ops.counter_rng import uniform_hash  # re-exported
from orbitcloud.ops.fault_events import (  # re-exported
    KIND_CODES,
    KINDS,
    PERMANENT,
    SDC,  # noqa: F401
    SEFI,  # noqa: F401
    SINGLE_EVENT_KINDS,
    SPARE_IN,
    TID_DEGRADE,
    TID_FAIL,
    UECC,  # noqa: F401
    _empty_events,
    concat_events,
    sort_events,
)
from orbitcloud.ops.fault_model import (  # re-exported
    HOUR_S,  # noqa: F401
    DoseEffect,
    FaultModel,
    FaultModelError,
    PermanentModel,
    TidModel,
    fault_catalog,
    resolve_faults,
)
from orbitcloud.ops.fault_state import (  # re-exported
    _NONE,
    _STREAM_ACCEPT,
    _STREAM_CANDIDATE,
    DEAD,
    FAILED,
    REBOOT,
    STATUS_NAMES,  # noqa: F401
    UP,
    WAIT,
    FaultState,
)

__all__ = [
    "KINDS",
    "KIND_CODES",
    "SINGLE_EVENT_KINDS",
    "FaultModelError",
    "DoseEffect",
    "TidModel",
    "PermanentModel",
    "FaultModel",
    "fault_catalog",
    "resolve_faults",
    "FaultState",
    "advance_faults",
    "sort_events",
    "concat_events",
    "uniform_hash",
]

# --------------------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------------------


class _Chunk:
    """One call of :func:`advance_faults`: clocks, pending items of the active slots, outputs."""

    # item columns: 0 end of reboot / spare installation, 1 TID failure, 2 baseline failure,
    # 3 TID degradation, 4..6 candidate uecc, sdc, sefi. Ties in one slot go to the lower column.
    N_COL = 7

    def __init__(self, state: FaultState, clocks: list[np.ndarray | None], n_steps: int):
        self.st = state
        self.clocks = clocks  # [dose (n, T+1), fluence (n, T+1) or None]
        self.k0 = state.next_step
        self.k1 = self.k0 + n_steps
        self.dt = state.step_s
        self.ev: list[tuple[np.ndarray, ...]] = []
        self.tr: list[tuple[np.ndarray, ...]] = []

    # -- item times ---------------------------------------------------------------------------------

    def _time_item(self, t: np.ndarray, sel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = np.full(t.shape, _NONE, dtype=np.int64)
        out = np.full(t.shape, np.inf)
        with np.errstate(invalid="ignore"):
            kk = np.floor(t / self.dt)
        ok = sel & np.isfinite(t) & (kk < self.k1)
        k[ok] = np.maximum(kk[ok].astype(np.int64), self.k0)
        out[ok] = t[ok]
        return k, out

    def _cross(self, c: np.ndarray, rows: np.ndarray, theta: np.ndarray, sel: np.ndarray):
        """First step where the clock ``c`` (n, T+1) of satellite ``rows`` reaches ``theta``."""
        k = np.full(theta.shape, _NONE, dtype=np.int64)
        t = np.full(theta.shape, np.inf)
        n_t = c.shape[1] - 1
        idx = np.flatnonzero(sel)
        if idx.size == 0 or n_t == 0:
            return k, t
        r, th = rows[idx], theta[idx]
        hit = th <= c[r, n_t]
        idx, r, th = idx[hit], r[hit], th[hit]
        if idx.size == 0:
            return k, t
        lo = np.ones(idx.size, dtype=np.int64)
        hi = np.full(idx.size, n_t, dtype=np.int64)
        while True:  # lower bound: smallest j in 1..T with c[r, j] >= th
            todo = lo < hi
            if not todo.any():
                break
            mid = (lo + hi) // 2
            ge = c[r, mid] >= th
            hi = np.where(todo & ge, mid, hi)
            lo = np.where(todo & ~ge, mid + 1, lo)
        c0, c1 = c[r, lo - 1], c[r, lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(c1 > c0, np.clip((th - c0) / (c1 - c0), 0.0, 1.0), 0.0)
        kabs = self.k0 + lo - 1
        k[idx] = kabs
        t[idx] = (kabs + f) * self.dt
        return k, t

    def column(self, col: int, s: np.ndarray, lo_k=None, lo_t=None) -> tuple[np.ndarray, np.ndarray]:
        st = self.st
        status = st.status[s]
        live = (status == UP) | (status == REBOOT)
        rows = st.slot_sat[s]
        if col == 0:
            k, t = self._time_item(st.t_up_s[s], (status == REBOOT) | (status == WAIT))
        elif col == 1:
            k, t = self._cross(self.clocks[0], rows, st.tid_fail_rad[s], live & np.isfinite(st.tid_fail_rad[s]))
        elif col == 2:
            k, t = self._time_item(st.fail_t_s[s], live)
        elif col == 3:
            sel = live & ~st.degraded[s] & np.isfinite(st.tid_degrade_rad[s])
            k, t = self._cross(self.clocks[0], rows, st.tid_degrade_rad[s], sel)
        else:
            q = col - 4
            clk = st.tables.clock[st.model_index[rows], q]
            sel = (status <= WAIT) & np.isfinite(st.theta[s, q])
            k = np.full(s.shape, _NONE, dtype=np.int64)
            t = np.full(s.shape, np.inf)
            for c_id in (0, 1):
                sub = sel & (clk == c_id)
                if sub.any():
                    kk, tt = self._cross(self.clocks[c_id], rows, st.theta[s, q], sub)
                    k[sub], t[sub] = kk[sub], tt[sub]
        if lo_k is not None:
            has = k != _NONE
            k = np.where(has, np.maximum(k, lo_k), k)
            t = np.where(has, np.maximum(t, lo_t), t)
        return k, t

    def items(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ks = np.empty((s.size, self.N_COL), dtype=np.int64)
        ts = np.empty((s.size, self.N_COL))
        for col in range(self.N_COL):
            ks[:, col], ts[:, col] = self.column(col, s)
        return ks, ts

    # -- outputs ------------------------------------------------------------------------------------

    def emit(self, kind: int, s: np.ndarray, k: np.ndarray, t: np.ndarray) -> None:
        if s.size:
            st = self.st
            self.ev.append((s.copy(), np.full(s.size, kind, dtype=np.int8), k.copy(), t.copy(),
                            st.generation[s].copy(), st.seq[s].copy()))
            st.seq[s] += 1

    def transition(self, s: np.ndarray, k: np.ndarray, t: np.ndarray, sign: int) -> None:
        if s.size:
            self.tr.append((s.copy(), k.copy(), t.copy(), np.full(s.size, sign, dtype=np.int64)))

    def dose_at(self, rows: np.ndarray, k: np.ndarray, t: np.ndarray) -> np.ndarray:
        c = self.clocks[0]
        j = k - self.k0
        f = np.clip(t / self.dt - k, 0.0, 1.0)
        c0 = c[rows, j]
        return c0 + f * (c[rows, j + 1] - c0)


def _check_array(name: str, a: Any, n: int) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != n:
        raise FaultModelError(f"{name} must have shape (n_satellites={n}, n_steps), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise FaultModelError(f"{name} must be finite")
    if (arr < 0).any():
        raise FaultModelError(f"{name} must be >= 0 (found {arr.min():g})")
    return arr


def advance_faults(
    state: FaultState,
    dose_rad: np.ndarray,
    proton_flux_cm2_s: np.ndarray | None = None,
    *,
    k0: int | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Advance ``state`` through the next ``T`` steps; return the events and the availability.

    ``dose_rad`` (n, T): dose [rad(Si)] each satellite receives in each step (behind its shielding);
    ``proton_flux_cm2_s`` (n, T): proton flux [cm^-2 s^-1], needed only by processes in cross-section
    mode; ``k0``: optional check that the chunk starts at ``state.next_step`` (absolute step index).

    Returns ``events`` (arrays of equal length, canonical order of :func:`sort_events`): ``sat``
    (global index), ``device`` (slot in the satellite), ``kind`` (code, see :data:`KINDS`), ``step``
    (absolute step index), ``t_s`` (time from the run start [s]), ``dose_rad`` (satellite cumulative
    dose at the event), ``generation`` (0: original device, g: g-th spare of the slot), ``seq`` (event
    number of the slot); and ``available_fraction`` (n, T): the time average over each step of the
    fraction of the satellite's nameplate devices working (not lost, not rebooting); 1 for a satellite
    without devices.
    """
    st = state
    n = st.n_sat
    dose = _check_array("dose_rad", dose_rad, n)
    n_t = dose.shape[1]
    if k0 is not None and int(k0) != st.next_step:
        raise FaultModelError(f"chunk starts at step {k0} but the fault state is at step {st.next_step}")
    mi_sat = st.model_index
    needs_flux = bool((st.tables.clock[mi_sat] == 1).any()) if n else False
    clocks: list[np.ndarray | None] = [np.cumsum(np.concatenate((st.dose_rad[:, None], dose), axis=1), axis=1), None]
    if proton_flux_cm2_s is not None:
        flux = _check_array("proton_flux_cm2_s", proton_flux_cm2_s, n)
        if flux.shape != dose.shape:
            raise FaultModelError(f"proton_flux_cm2_s has shape {flux.shape}, dose_rad {dose.shape}")
        clocks[1] = np.cumsum(np.concatenate((st.fluence_cm2[:, None], flux * st.step_s), axis=1), axis=1)
    elif needs_flux:
        raise FaultModelError("a fault model uses cross_section_cm2: pass proton_flux_cm2_s (n, T) [cm^-2 s^-1]")
    if n_t == 0:
        return _empty_events(), np.zeros((n, 0))

    ch = _Chunk(st, clocks, n_t)
    k1 = ch.k1

    act = np.flatnonzero(_screen(ch))  # slots that may have something to do in this chunk
    ks, ts = ch.items(act)

    while True:
        # phase A: every active slot processes its items in time order until it fails or the chunk ends
        while act.size:
            kmin = ks.min(axis=1)
            keep = kmin < k1
            if not keep.all():
                act, ks, ts, kmin = act[keep], ks[keep], ts[keep], kmin[keep]
                if not act.size:
                    break
            tt = np.where(ks == kmin[:, None], ts, np.inf)
            col_of = tt.argmin(axis=1)
            rows_all = np.arange(act.size)
            tev = tt[rows_all, col_of]
            for col in range(_Chunk.N_COL):
                r = rows_all[col_of == col]
                if r.size == 0:
                    continue
                s, k, t = act[r], kmin[r], tev[r]
                if col == 0:
                    _end_of_downtime(ch, s, k, t, r, ks, ts)
                elif col in (1, 2):
                    kind = TID_FAIL if col == 1 else PERMANENT
                    ch.emit(kind, s, k, t)
                    ch.transition(s[st.status[s] == UP], k[st.status[s] == UP], t[st.status[s] == UP], +1)
                    st.status[s] = FAILED
                    st.t_up_s[s] = np.inf
                    st.fail_step[s], st.fail_time_s[s] = k, t
                    ks[r, :] = _NONE
                    ts[r, :] = np.inf
                elif col == 3:
                    ch.emit(TID_DEGRADE, s, k, t)
                    st.degraded[s] = True
                    ks[r, 3], ts[r, 3] = _NONE, np.inf
                else:
                    _candidate(ch, col - 4, s, k, t, r, ks, ts)

        # phase B: per satellite, the earliest unresolved loss takes a spare (or the slot is lost)
        failed = np.flatnonzero(st.status == FAILED)
        if failed.size == 0:
            break
        sat = st.slot_sat[failed]
        order = np.lexsort((failed, st.fail_time_s[failed], st.fail_step[failed], sat))
        failed, sat = failed[order], sat[order]
        no_spare = st.spares_left[sat] == 0
        dead = failed[no_spare]
        st.status[dead] = DEAD
        st.t_up_s[dead] = np.inf
        cand, cand_sat = failed[~no_spare], sat[~no_spare]
        first = np.unique(cand_sat, return_index=True)[1]
        take, take_sat = cand[first], cand_sat[first]
        st.spares_left[take_sat] -= 1
        st.status[take] = WAIT
        st.t_up_s[take] = st.fail_time_s[take] + st.spare_delay_s[take_sat]
        st.fail_step[take], st.fail_time_s[take] = _NONE, np.inf
        st.fail_step[dead], st.fail_time_s[dead] = _NONE, np.inf
        nk, nt = ch.items(take)
        act = np.concatenate((act, take))
        ks = np.concatenate((ks, nk))
        ts = np.concatenate((ts, nt))

    # availability: devices down at each step start (integers) plus the partial steps, summed in a
    # canonical order so the result does not depend on how the run is cut
    dt = st.step_s
    dn = np.zeros((n, n_t), dtype=np.int64)
    part = np.zeros(n * n_t)
    if ch.tr:
        s_tr, k_tr, t_tr, sign = (np.concatenate(x) for x in zip(*ch.tr))
        sat_tr = st.slot_sat[s_tr]
        j = k_tr - ch.k0
        np.add.at(dn, (sat_tr, j), sign)
        order = np.lexsort((sign, s_tr, t_tr, j, sat_tr))
        frac = np.clip((k_tr + 1) - t_tr / dt, 0.0, 1.0)  # remaining fraction of the step after the change
        part = np.bincount((sat_tr * n_t + j)[order], weights=(sign * frac)[order], minlength=n * n_t)
    n_down_start = st.n_down[:, None] + np.cumsum(dn, axis=1) - dn
    down = n_down_start + part.reshape(n, n_t)
    with np.errstate(invalid="ignore", divide="ignore"):
        avail = np.where(st.n_devices[:, None] > 0, 1.0 - down / st.n_devices[:, None], 1.0)
    st.n_down += dn.sum(axis=1)

    # events
    if ch.ev:
        s_ev, kind, k_ev, t_ev, gen, seq = (np.concatenate(x) for x in zip(*ch.ev))
        rows = st.slot_sat[s_ev]
        events = sort_events({
            "sat": st.sat_index[rows], "device": st.slot_device[s_ev], "kind": kind, "step": k_ev, "t_s": t_ev,
            "dose_rad": ch.dose_at(rows, k_ev, t_ev), "generation": gen, "seq": seq,
        })
    else:
        events = _empty_events()

    st.dose_rad = clocks[0][:, -1].copy()
    if clocks[1] is not None:
        st.fluence_cm2 = clocks[1][:, -1].copy()
    st.next_step = k1
    return events, avail


def _screen(ch: _Chunk) -> np.ndarray:
    """Slots that may have an item in the chunk (a superset: ``items`` decides exactly)."""
    st = ch.st
    status, sat = st.status, st.slot_sat
    live = (status == UP) | (status == REBOOT)
    t_lim = (ch.k1 + 1) * ch.dt  # generous: exact step tests follow
    d_end = ch.clocks[0][:, -1][sat]
    hit = ((status == REBOOT) | (status == WAIT)) & (st.t_up_s < t_lim)
    hit |= live & ((st.fail_t_s < t_lim) | (st.tid_fail_rad <= d_end) | (~st.degraded & (st.tid_degrade_rad <= d_end)))
    clock = st.tables.clock[st.model_index[sat]]
    ends = [d_end, None if ch.clocks[1] is None else ch.clocks[1][:, -1][sat]]
    waiting_or_live = status <= WAIT
    for q in range(3):
        for c_id in (0, 1):
            if ends[c_id] is not None:
                hit |= waiting_or_live & (clock[:, q] == c_id) & (st.theta[:, q] <= ends[c_id])
    return hit


def _end_of_downtime(ch: _Chunk, s, k, t, r, ks, ts) -> None:
    """Column 0: a reboot ends, or a spare is installed in an empty slot."""
    st = ch.st
    reb = st.status[s] == REBOOT
    if reb.any():
        sr = s[reb]
        st.status[sr] = UP
        st.t_up_s[sr] = np.inf
        ch.transition(sr, k[reb], t[reb], -1)
    ks[r, 0], ts[r, 0] = _NONE, np.inf
    wt = st.status[s] == WAIT
    if not wt.any():
        return
    sw, kw, tw, rw = s[wt], k[wt], t[wt], r[wt]
    st.generation[sw] += 1
    st.t_up_s[sw] = np.inf
    ch.emit(SPARE_IN, sw, kw, tw)
    d_install = ch.dose_at(st.slot_sat[sw], kw, tw)
    st._new_device(sw, tw, d_install)
    lost = d_install >= st.tid_fail_rad[sw]  # a spare already past its failure dose
    deg = ~lost & (d_install >= st.tid_degrade_rad[sw])
    if lost.any():
        sl = sw[lost]
        ch.emit(TID_FAIL, sl, kw[lost], tw[lost])
        st.status[sl] = FAILED
        st.fail_step[sl], st.fail_time_s[sl] = kw[lost], tw[lost]
        ks[rw[lost], :] = _NONE
        ts[rw[lost], :] = np.inf
    ok = ~lost
    if ok.any():
        so, ko, to, ro = sw[ok], kw[ok], tw[ok], rw[ok]
        st.status[so] = UP
        ch.transition(so, ko, to, -1)
        st.degraded[so] = deg[ok]
        ch.emit(TID_DEGRADE, so[deg[ok]], ko[deg[ok]], to[deg[ok]])
        for col in (1, 2, 3):
            ks[ro, col], ts[ro, col] = ch.column(col, so, ko, to)


def _candidate(ch: _Chunk, q: int, s, k, t, r, ks, ts) -> None:
    """Columns 4..6: the next candidate of process q; accepted (thinning) only on a working device."""
    st = ch.st
    tab = st.tables
    mi = st.model_index[st.slot_sat[s]]
    m = st.count[s, q]
    lam, lam_max = tab.rate[mi, q], tab.rate_max[mi, q]
    lam_now = np.where(st.degraded[s], lam * tab.factor[mi, q], lam)
    u = st._u(s, _STREAM_ACCEPT[q], m)
    accept = (st.status[s] == UP) & ((lam_now >= lam_max) | (u * lam_max < lam_now))
    if accept.any():
        sa, ka, ta = s[accept], k[accept], t[accept]
        ch.emit(q, sa, ka, ta)
        rec = tab.recovery_s[mi[accept], q]
        down = rec > 0.0
        if down.any():
            sd = sa[down]
            st.status[sd] = REBOOT
            st.t_up_s[sd] = ta[down] + rec[down]
            ch.transition(sd, ka[down], ta[down], +1)
            rd = r[accept][down]
            ks[rd, 0], ts[rd, 0] = ch.column(0, sd)
    m = m + 1
    st.count[s, q] = m
    st.theta[s, q] = st.theta[s, q] + (-np.log(st._u(s, _STREAM_CANDIDATE[q], m))) / lam_max
    ks[r, 4 + q], ts[r, 4 + q] = ch.column(4 + q, s, k, t)
