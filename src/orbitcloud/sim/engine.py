"""The time loop: propagate, rotate to Earth-fixed, Sun, shadow; reduce per satellite.

Work is split into *satellite blocks*; each block is advanced through the whole run in *time chunks*
(fixed steps), so peak memory depends on the chunk size, not on the fleet or the duration. Blocks are
independent and run in worker processes (sgp4 holds the GIL). Results do not depend on how the work
is cut:

* every per-sample quantity is computed pointwise,
* the illumination sum is an exact integer count of fully lit samples plus the penumbral
  fractions added one by one in time order, so any chunking gives the same bits,
* crossing times are interpolated between two samples whatever chunk they fall in (the last sample
  of a chunk is carried to the next).

Crossing times of a shadow function h (see :mod:`orbitcloud.environment.shadow`) between samples j
and j + 1 are ``t_j + step * h_j / (h_j - h_{j+1})`` (linear interpolation of a smooth function;
the error is measured against 1-s sampling in ``tests/sim/test_engine.py``).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from typing import Callable

import numpy as np

from orbitcloud import accel
from orbitcloud.bus.step import BusParams, BusState, BusTotals, accumulate_rows, advance
from orbitcloud.environment.shadow import penumbra_illumination, shadow_state, sin_beta_from_node, sin_beta_rv
from orbitcloud.ephemeris.frames import gmst_for_times, teme_km_to_ecef_m_components
from orbitcloud.ephemeris.propagate import (
    fast_ecef_m,
    fast_orbits,
    make_satrecs,
    sgp4_teme_km,
    sincos_rev,
)
from orbitcloud.ephemeris.sun import sun_position_m
from orbitcloud.fleet import FleetSlice
from orbitcloud.sim.chunk_inputs import _bus_geometry, _dose
from orbitcloud.sim.crossings import Crossings
from orbitcloud.timescale import jd_split_offset

GROUP = 64  # chunks are a multiple of this many steps (cache-friendly blocks)
KINDS = ("pen", "umb", "half")


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """What to simulate: start ``(jd0, fr0)`` (UTC split date), steps and options."""

    jd0: float
    fr0: float
    step_s: float
    n_steps: int
    propagator: str = "sgp4"
    want_events: bool = False
    chunk_elems: int = 1 << 18
    beta_every_s: float = 600.0
    record_every_steps: int = 0  # bus time series: one sample every this many steps (0: none)

    @property
    def t_last_s(self) -> float:
        return (self.n_steps - 1) * self.step_s

    def chunk_steps(self, n_sat: int) -> int:
        steps = max(GROUP, (self.chunk_elems // max(n_sat, 1)) // GROUP * GROUP)
        return int(min(steps, math.ceil(self.n_steps / GROUP) * GROUP))


@dataclasses.dataclass
class RadiationBlock:
    """Radiation environment and fault inputs of one satellite block (see :func:`run_block`).

    ``grid``: the :class:`~orbitcloud.environment.radiation.RadiationGrid`; ``subsamples``: dose-rate
    samples per step (positions from the fast propagator at the sub-step midpoints when > 1);
    ``n_devices``, ``spares``, ``spare_delay_s``: per satellite; ``models``: one fault model per
    satellite (None for satellites without accelerators); ``seed``: the scenario seed;
    ``need_flux``: some model counts proton fluence (cross-section mode).
    """

    grid: object
    subsamples: int
    n_devices: np.ndarray
    spares: np.ndarray
    spare_delay_s: np.ndarray
    models: list
    seed: int
    need_flux: bool = False


@dataclasses.dataclass
class BlockResult:
    """Per-satellite reductions for satellites ``start .. stop - 1`` (arrays of shape (n,))."""

    start: int
    stop: int
    illum_sum: np.ndarray  # sum of illumination over valid samples
    n_valid: np.ndarray  # samples with a valid position
    longest_dark_s: np.ndarray  # longest interval with illumination < 0.5 (clipped to the run)
    dark_s: np.ndarray  # total time with illumination < 0.5
    umbra_s: np.ndarray  # total time in umbra
    n_eclipses: np.ndarray  # eclipses touching the run: intervals with illumination < 0.5
    beta_min_rad: np.ndarray
    beta_max_rad: np.ndarray
    events: dict[str, np.ndarray] | None = None  # sat, pen_start, umb_start, umb_end, pen_end [s], central
    n_penumbral_only: np.ndarray | None = None  # penumbra passes that never went below 0.5
    bus: BusTotals | None = None
    records: dict[str, np.ndarray] | None = None  # bus time series (see orbitcloud.bus.step)
    dose_rad: np.ndarray | None = None  # total dose per satellite over the run [rad(Si)]
    avail_sum: np.ndarray | None = None  # available fraction of accelerators summed over steps
    fault_events: dict[str, np.ndarray] | None = None  # see orbitcloud.ops.faults.advance_faults
    spares_used: np.ndarray | None = None
    devices_lost: np.ndarray | None = None


def pair_intervals(
    sat: np.ndarray, t: np.ndarray, enter: np.ndarray, init_in: np.ndarray, final_in: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pair entering/leaving crossings into intervals per satellite.

    A satellite inside at the first sample gets an interval starting at ``-inf``; one inside at the
    last sample an interval ending at ``+inf``. Returns (sat, start, end) sorted by satellite, time.
    """
    s_init = np.nonzero(init_in)[0]
    s_final = np.nonzero(final_in)[0]
    all_sat = np.concatenate([sat, s_init, s_final])
    all_t = np.concatenate([t, np.full(s_init.size, -np.inf), np.full(s_final.size, np.inf)])
    all_enter = np.concatenate([enter, np.ones(s_init.size, bool), np.zeros(s_final.size, bool)])
    order = np.lexsort((all_t, all_sat))
    all_sat, all_t, all_enter = all_sat[order], all_t[order], all_enter[order]
    if all_sat.size % 2 or not (np.all(all_enter[0::2]) and not np.any(all_enter[1::2])):
        raise RuntimeError("shadow crossings do not alternate; this is a bug, please report it")
    return all_sat[0::2], all_t[0::2], all_t[1::2]


def run_block(
    sl: FleetSlice, spec: RunSpec, on_chunk: Callable[[int], None] | None = None, satrecs=None,
    bus: BusParams | None = None, rad: RadiationBlock | None = None, ctl=None,
) -> BlockResult:
    """Simulate one satellite block through the whole run (:class:`BlockRunner` from step 0 to the end).

    ``satrecs`` may pass a prebuilt ``SatrecArray`` for the slice (benchmarks time it apart); for
    ``bus``, ``rad`` and ``ctl`` see :class:`BlockRunner`.
    """
    runner = BlockRunner(sl, spec, satrecs=satrecs, bus=bus, rad=rad, ctl=ctl)
    runner.advance(spec.n_steps, on_chunk)
    return runner.result()


class BlockRunner:
    """One satellite block advanced through the run in time chunks, keeping its state between calls.

    Samples where SGP4 reports an error (decayed, eccentricity out of range) carry NaN positions;
    they count as invalid, contribute nothing, and break no eclipse interval.
    ``bus`` (the block's :class:`~orbitcloud.bus.step.BusParams`) adds the power and thermal bus;
    ``rad`` (:class:`RadiationBlock`) the radiation dose and the accelerator faults it drives, whose
    availability scales the bus's compute target. ``ctl`` (a
    :class:`~orbitcloud.ops.controller.WorkloadController`, whole fleet in one block) runs the workload
    layer: the block is advanced one step at a time, the controller sets each step's compute demand
    before the bus advances and runs its events with what the bus delivered.

    :meth:`advance` runs the steps ``[k, k_to)``; any sequence of calls gives the same bits as one
    call over the same steps (every reduction is pointwise or added in time order; see the module
    docstring). Operator actions between calls: :attr:`cap` (compute limit per satellite, fraction of
    the target), :attr:`bus_w` (bus load per satellite, safe mode), :attr:`down_until_s` (accelerators
    rebooting until that time). :meth:`result` reduces the state so far into a :class:`BlockResult`
    without changing it. The runner pickles (the SGP4 objects are rebuilt after unpickling), so worker
    processes can advance it and send it back.
    """

    def __init__(self, sl: FleetSlice, spec: RunSpec, *, satrecs=None, bus: BusParams | None = None,
                 rad: RadiationBlock | None = None, ctl=None, export: bool = False) -> None:
        n = len(sl)
        self.sl, self.spec, self.bus, self.rad, self.ctl = sl, spec, bus, rad, ctl
        #: physics only (a satellite block of a split workload run, :mod:`orbitcloud.sim.split`): each
        #: chunk's bus inputs are left in :attr:`exported` for the coordinator, which steps the bus
        self.export = export
        self.exported: dict | None = None
        self.n = n
        self.k = 0
        self._satrecs = satrecs
        self.use_sgp4 = spec.propagator == "sgp4"
        self._orbits = None  # the fast propagator's elements, made where the block is first advanced
        self._sub_orbits = None
        self.n_lit = np.zeros(n, dtype=np.int64)  # samples with illumination exactly 1
        self.partial_sum = np.zeros(n)  # penumbral illumination, added in time order
        self.n_valid = np.zeros(n, dtype=np.int64)
        self.sin_beta_min = np.full(n, np.inf)  # inf: no valid sample yet
        self.sin_beta_max = np.full(n, -np.inf)
        self.beta_stride = max(1, int(round(spec.beta_every_s / spec.step_s)))
        self.crossings = {k: Crossings() for k in KINDS}
        self.prev: dict[str, np.ndarray] | None = None
        self.first_in: dict[str, np.ndarray] = {}
        # operator actions (None: none taken)
        self.cap: np.ndarray | None = None
        self.bus_w: np.ndarray | None = None
        self.down_until_s: np.ndarray | None = None
        # the last step's instantaneous state, for snapshots (position and sunlight at its start)
        self.last: dict[str, np.ndarray] = {}
        # called with each chunk's Earth-fixed positions (k0, t_s, x, y, z) [m] after its steps, so a
        # consumer in this process (the network summary) need not propagate them again; not pickled
        self.position_sink = None
        self.ageing = None
        if bus is not None and not export:
            self.bus_state = BusState.initial(bus)
            self.bus_tot = BusTotals.zeros(n)
            self.records: list[dict[str, np.ndarray]] = []
            if bus.ageing_code is not None:
                from orbitcloud.bus.ageing_fleet import FleetAgeing

                # the block's own capacities (fade lowers them; the caller's parameters stay as built)
                own = dataclasses.replace(bus, p={**bus.p, "capacity_j": bus.p["capacity_j"].copy()})
                ageing = FleetAgeing(own, spec.step_s, spec.n_steps)
                if ageing.active:
                    self.bus = bus = own
                    self.ageing = ageing
                    if ctl is not None:
                        ctl.cap_j = own.p["capacity_j"]
        if rad is not None:
            from orbitcloud.ops.faults import FaultState

            self.fault_state = FaultState.initial(
                np.arange(sl.start, sl.stop, dtype=np.int64), rad.n_devices, rad.spares,
                [m for m in rad.models], rad.seed, spec.step_s, spare_delay_s=rad.spare_delay_s,
            )
            self.dose_total = np.zeros(n)
            self.avail_total = np.zeros(n)
            self.fault_events: list[dict[str, np.ndarray]] = []

    # --- a worker's round trip: the inputs stay with the caller, the reduction is made at the end
    def _static_fields(self) -> tuple[str, ...]:
        # the block's inputs, never changed by advancing (ageing fades the block's own capacities)
        return ("sl", "_orbits", "_sub_orbits", "rad") + (("bus",) if self.ageing is None else ())

    @property
    def orbits(self):
        """The fast propagator's elements of the block (None with SGP4), made on first use."""
        if self._orbits is None and not self.use_sgp4:
            self._orbits = fast_orbits(self.sl, self.spec.jd0, self.spec.fr0)
        return self._orbits

    @property
    def sub_orbits(self):
        """Fast-propagator elements for the radiation sub-samples (None without them)."""
        if self.rad is None or self.rad.subsamples <= 1:
            return None
        if not self.use_sgp4:
            return self.orbits
        if self._sub_orbits is None:
            self._sub_orbits = fast_orbits(self.sl, self.spec.jd0, self.spec.fr0)
        return self._sub_orbits

    def detached(self) -> "BlockRunner":
        """A shallow copy without the block's inputs (fleet slice, orbits, bus and radiation
        parameters), for sending back to the process that holds them; see :meth:`attached`."""
        out = copy.copy(self)
        for name in self._static_fields():
            if hasattr(out, name):
                setattr(out, name, None)
        out._detached = True
        return out

    def attached(self, original: "BlockRunner") -> "BlockRunner":
        """This runner (advanced elsewhere and :meth:`detached`) with the inputs of ``original``,
        the runner it was made from."""
        if self.__dict__.pop("_detached", False):
            for name in self._static_fields():
                if hasattr(original, name):
                    setattr(self, name, getattr(original, name))
        return self

    def settle(self) -> None:
        """At the run's end: reduce now (:meth:`result` then returns this reduction) and drop the
        crossing times that only the reduction reads, so a block sent back is small."""
        if self.k == self.spec.n_steps and self.prev is not None and self.crossings is not None:
            self._final = self.result()
            self.crossings = None

    # --- pickling: SatrecArray is rebuilt from the elements on the other side
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_satrecs"] = None
        state["position_sink"] = None
        return state

    @property
    def satrecs(self):
        if self._satrecs is None:
            from sgp4.api import SatrecArray

            self._satrecs = SatrecArray(make_satrecs(self.sl))
        return self._satrecs

    def advance(self, k_to: int, on_chunk: Callable[[int], None] | None = None) -> None:
        """Run steps ``[self.k, k_to)`` (``k_to`` at most the run's ``n_steps``)."""
        k_to = min(int(k_to), self.spec.n_steps)
        steps = self.spec.chunk_steps(self.n)
        if self.n * self.spec.n_steps >= accel.MIN_SAT_STEPS:
            accel.tune_allocator()  # large blocks reuse their chunk temporaries without page faults
        with np.errstate(invalid="ignore"):
            while self.k < k_to:
                k0 = self.k
                k1 = min(k_to, k0 + steps)
                if self.ageing is not None:  # capacity fade is applied at fixed step indices
                    k1 = min(k1, self.ageing.next_boundary(k0))
                self._chunk(k0, k1)
                self.k = k1
                if on_chunk is not None:
                    on_chunk((k1 - k0) * self.n)

    def _operator_cap_t(self, t_s: np.ndarray) -> np.ndarray | None:
        """(T, n) operator limit of the chunk: the cap, times the share of each step not rebooting."""
        cap, down = self.cap, self.down_until_s
        if cap is None and down is None:
            return None
        out = np.ones((t_s.size, self.n)) if cap is None else np.repeat(cap[None, :], t_s.size, axis=0)
        if down is not None:
            up = np.clip((t_s[:, None] + self.spec.step_s - down[None, :]) / self.spec.step_s, 0.0, 1.0)
            out = out * up
        return out

    def _chunk(self, k0: int, k1: int) -> None:
        spec, bus, rad = self.spec, self.bus, self.rad
        use_sgp4 = self.use_sgp4
        t_s = np.arange(k0, k1, dtype=np.float64) * spec.step_s
        jd, fr, gmst, sun_teme, c, s, sun_ecef = chunk_frames(spec, t_s)
        ok = None
        r_km = v_km_s = None
        if use_sgp4:
            err, r_km, v_km_s = sgp4_teme_km(self.satrecs, jd, fr)
            x, y, z = teme_km_to_ecef_m_components(r_km, c, s)
            if err.any():
                ok = err == 0
            r = None
        else:
            x, y, z, r = fast_ecef_m(self.orbits, t_s, gmst)
        st = shadow_state(x, y, z, sun_ecef, r)
        inside = {"pen": st.h_pen > 0.0, "umb": st.h_umb > 0.0, "half": st.h_half > 0.0}
        lit = ~inside["pen"]
        pen_only = inside["pen"] & ~inside["umb"]
        if ok is not None:
            lit &= ok
            pen_only &= ok
            self.n_valid += ok.sum(axis=1)
        else:
            self.n_valid += k1 - k0
        self.n_lit += lit.sum(axis=1)
        idx = np.nonzero(pen_only)
        pen_values = penumbra_illumination(st, idx) if idx[0].size else None
        if pen_values is not None:
            np.add.at(self.partial_sum, idx[0], pen_values)
        illum_last = lit[:, -1].astype(np.float64)
        if pen_values is not None:
            at_last = idx[1] == (k1 - k0 - 1)
            illum_last[idx[0][at_last]] = pen_values[at_last]
        self.last = {"x_m": np.asarray(x[:, -1], np.float64), "y_m": np.asarray(y[:, -1], np.float64),
                     "z_m": np.asarray(z[:, -1], np.float64), "illumination": illum_last, "t_s": float(t_s[-1])}
        avail_t = None
        events = None
        if rad is not None:
            dose, flux = _dose(rad, x, y, z, ok, t_s, spec, self.sub_orbits)
            events, avail = _advance_faults(self.fault_state, dose, flux, k0)
            self.fault_events.append(events)
            accumulate_rows(self.dose_total, np.ascontiguousarray(dose.T))
            avail_t = np.ascontiguousarray(avail.T)
            accumulate_rows(self.avail_total, avail_t)
        if bus is not None:
            geo = _bus_geometry(bus, x, y, z, r, sun_ecef, sun_teme, c, s, lit, idx, pen_values, ok, t_s,
                                (r_km, v_km_s) if use_sgp4 else None, None if use_sgp4 else self.orbits)
            if self.export:
                self.exported = _exported(bus, spec, k0, k1, x, y, z, sun_ecef, geo, avail_t, events)
            else:
                self._bus_chunk(k0, k1, t_s, x, y, z, sun_ecef, geo, avail_t, events)
        # beta angle at a coarse cadence (changes by < 0.1 deg per 10 min)
        sel = np.nonzero(np.arange(k0, k1) % self.beta_stride == 0)[0]
        if sel.size:
            # the extremes of sin(beta); the arcsine (increasing) is taken once, in result()
            if use_sgp4:
                sb = sin_beta_rv(r_km[:, sel, :], v_km_s[:, sel, :], sun_teme[sel])
            else:
                orb = self.orbits
                # float32 sine and cosine after reduction in float64 revolutions: sin(beta) to ~1e-7
                s_n, c_n = sincos_rev(orb.node0_rev[:, None] + orb.node_rate_rev_s[:, None] * t_s[sel][None, :])
                sb = sin_beta_from_node(orb.sin_i, orb.cos_i, s_n.astype(np.float64), c_n.astype(np.float64), sun_teme[sel])
            self.sin_beta_min = np.fmin(self.sin_beta_min, np.fmin.reduce(sb, axis=1))
            self.sin_beta_max = np.fmax(self.sin_beta_max, np.fmax.reduce(sb, axis=1))
        hs = {"pen": st.h_pen, "umb": st.h_umb, "half": st.h_half}
        prev = self.prev
        for kind, h in hs.items():
            if prev is None:
                self.first_in[kind] = h[:, 0] > 0.0
            self.crossings[kind].add(h, inside[kind], None if prev is None else prev[kind], k0, spec.step_s, ok)
        self.prev = {kind: np.where(ok[:, -1], h[:, -1], np.nan) if ok is not None else h[:, -1].copy() for kind, h in hs.items()}
        if self.position_sink is not None:
            self.position_sink(k0, t_s, x, y, z)

    def _bus_chunk(self, k0, k1, t_s, x, y, z, sun_ecef, geo, avail_t, events) -> None:
        """The bus through the chunk: in one call, or step by step with the workload layer."""
        bus, spec, tot = self.bus, self.spec, self.bus_tot
        cap_t = self._operator_cap_t(t_s)
        if self.ctl is None:
            trace = None if self.ageing is None else np.empty((2, k1 - k0, self.n))
            advance(bus, self.bus_state, tot, geo, spec.step_s, k0, spec.record_every_steps, self.records,
                    avail_t=avail_t, cap_t=cap_t, bus_w=self.bus_w, e_trace=trace)
            if trace is not None:
                self.ageing.consume(trace, k0, self.bus_state, tot)
        else:
            from orbitcloud.bus.step import step_inputs

            pre = step_inputs(bus, geo, bool(spec.record_every_steps))
            workload_steps(self, k0, t_s, x, y, z, sun_ecef, geo, pre, avail_t, cap_t, events)

    def result(self) -> BlockResult:
        """The block's reductions over the steps run so far (the run window is the spec's)."""
        if self.prev is None:
            raise RuntimeError("BlockRunner.result before any step")
        if self.crossings is None:  # settled at the run's end (no step can follow)
            return self._final
        last_in = {kind: self.prev[kind] > 0.0 for kind in KINDS}
        illum_sum = self.n_lit + self.partial_sum
        spec = self.spec if self.k == self.spec.n_steps else dataclasses.replace(self.spec, n_steps=self.k)
        out = _reduce(self.sl, spec, illum_sum, self.n_valid, self.sin_beta_min, self.sin_beta_max, self.crossings,
                      self.first_in, last_in)
        if self.bus is not None and not self.export:
            bus_result(self, out)
        if self.rad is not None:
            from orbitcloud.ops.faults import concat_events

            out.dose_rad = self.dose_total.copy()
            out.avail_sum = self.avail_total.copy()
            out.fault_events = concat_events(self.fault_events)
            out.spares_used = np.asarray(self.fault_state.spares_used, dtype=np.int64)
            out.devices_lost = np.asarray(self.fault_state.devices_lost, dtype=np.int64)
        return out


def _advance_faults(state, dose, flux, k0):
    from orbitcloud.ops.faults import advance_faults

    return advance_faults(state, dose, flux, k0=k0)


def _arcsin_or_nan(x: np.ndarray) -> np.ndarray:
    ok = np.isfinite(x)
    return np.where(ok, np.arcsin(np.where(ok, x, 0.0)), np.nan)


def _reduce(sl, spec, illum_sum, n_valid, sin_beta_min, sin_beta_max, crossings, first_in, last_in) -> BlockResult:
    n = len(sl)
    t_last = spec.t_last_s
    iv = {}
    for kind in KINDS:
        sat, t, enter = crossings[kind].arrays()
        iv[kind] = pair_intervals(sat, t, enter, first_in[kind], last_in[kind])

    def clipped(start: np.ndarray, end: np.ndarray) -> np.ndarray:
        return np.minimum(end, t_last) - np.maximum(start, 0.0)

    h_sat, h_start, h_end = iv["half"]
    dur = clipped(h_start, h_end)
    longest = np.zeros(n)
    np.maximum.at(longest, h_sat, dur)
    dark = np.bincount(h_sat, weights=dur, minlength=n)
    u_sat, u_start, u_end = iv["umb"]
    umbra = np.bincount(u_sat, weights=clipped(u_start, u_end), minlength=n)
    p_sat, p_start, p_end = iv["pen"]
    # an eclipse is a time below half illumination (the Sun's centre behind the limb), as for the
    # longest eclipse; penumbra passes that never reach it are counted apart
    n_ecl = np.bincount(h_sat, minlength=n).astype(np.int64)
    n_pen_only = np.maximum(np.bincount(p_sat, minlength=n).astype(np.int64) - n_ecl, 0)
    events = None
    if spec.want_events:
        umb_first = np.full(p_sat.size, np.nan)
        umb_last = np.full(p_sat.size, np.nan)
        span = t_last + 4.0 * spec.step_s + 2.0
        lo = -spec.step_s - 1.0

        def key(s, t):
            return s * span + (np.clip(t, lo, t_last + 2.0 * spec.step_s) - lo)

        # the penumbra pass each below-half interval lies in: passes without one are grazes
        central = np.zeros(p_sat.size, bool)
        if h_sat.size and p_sat.size:
            central[np.clip(np.searchsorted(key(p_sat, p_start), key(h_sat, h_start), side="right") - 1, 0, p_sat.size - 1)] = True
        if u_sat.size and p_sat.size:
            owner = np.searchsorted(key(p_sat, p_start), key(u_sat, u_start), side="right") - 1
            owner = np.clip(owner, 0, p_sat.size - 1)
            umb_first[:] = np.inf
            umb_last[:] = -np.inf
            np.minimum.at(umb_first, owner, u_start)
            np.maximum.at(umb_last, owner, u_end)
            has = np.zeros(p_sat.size, bool)
            has[owner] = True
            umb_first = np.where(has, umb_first, np.nan)
            umb_last = np.where(has, umb_last, np.nan)
        events = {
            "sat": p_sat + sl.start,
            "pen_start": p_start,
            "umb_start": umb_first,
            "umb_end": umb_last,
            "pen_end": p_end,
            "central": central,
        }
    return BlockResult(
        start=sl.start,
        stop=sl.stop,
        illum_sum=illum_sum,
        n_valid=n_valid,
        longest_dark_s=longest,
        dark_s=dark,
        umbra_s=umbra,
        n_eclipses=n_ecl,
        n_penumbral_only=n_pen_only,
        beta_min_rad=_arcsin_or_nan(sin_beta_min),
        beta_max_rad=_arcsin_or_nan(sin_beta_max),
        events=events,
    )


def _exported(bus, spec, k0, k1, x, y, z, sun_ecef, geo, avail_t, events) -> dict:
    """What a physics-only block hands its coordinator for one chunk (everything the coupled steps
    read; the bus inputs are pointwise, so a block's columns are what the whole fleet would give)."""
    from orbitcloud.bus.step import step_inputs

    p_gen_t, q_env_t, t_arr_t = step_inputs(bus, geo, bool(spec.record_every_steps))
    return {"k0": k0, "k1": k1, "x": x, "y": y, "z": z, "illumination": geo.illumination,
            "p_gen_t": p_gen_t, "q_env_t": q_env_t, "t_arr_t": t_arr_t, "avail_t": avail_t, "events": events}


def workload_steps(r, k0, t_s, x, y, z, sun_ecef, geo, pre, avail_t, cap_t, events) -> None:
    """A chunk's steps one by one with the workload layer (``r``: a :class:`BlockRunner` with ``ctl``,
    or the coordinator of a split run, :class:`orbitcloud.sim.split.SplitRunner`). The physics that
    does not depend on the work (positions, sunlight, dose and faults, the bus's inputs ``pre``) is the
    chunk's; per step the controller sets the demand, the bus advances one step with it, the
    controller runs the work. ``geo`` is read for its illumination only."""
    bus, ctl, spec, n = r.bus, r.ctl, r.spec, r.n
    tot = r.bus_tot
    p_gen_t, q_env_t, t_arr_t = pre
    cap = bus.p["capacity_j"]
    ev_step = events["step"] if events is not None and "step" in events else None
    trace = None if r.ageing is None else np.empty((2, 1, n))
    ctl.begin_chunk(k0, x, y, z)
    for j in range(t_s.size):
        k = k0 + j
        demand = ctl.demand(k, float(t_s[j]), x[:, j], y[:, j], z[:, j], sun_ecef[j])[None, :]
        before = tot.sums["compute"].copy()
        pre_j = (p_gen_t[j:j + 1], q_env_t[j:j + 1], None if t_arr_t is None else t_arr_t[j:j + 1])
        advance(bus, r.bus_state, tot, geo.columns(j, j + 1), spec.step_s, k, spec.record_every_steps, r.records,
                avail_t=None if avail_t is None else avail_t[j:j + 1], demand_t=demand,
                cap_t=None if cap_t is None else cap_t[j:j + 1], bus_w=r.bus_w, pre=pre_j, e_trace=trace)
        if trace is not None:
            r.ageing.consume(trace, k, r.bus_state, tot)
        soc = np.divide(r.bus_state.e_j, cap, out=np.ones(n), where=cap > 0)
        step_events = events
        if ev_step is not None:
            m = ev_step == k
            step_events = {key: val[m] for key, val in events.items()}
        compute_w = tot.sums["compute"] - before
        last = tot.last
        ctl.observe(k, compute_w, soc, r.bus_state.t_k, None if avail_t is None else avail_t[j],
                    geo.illumination[:, j], step_events, None if cap_t is None else cap_t[j],
                    gen_w=p_gen_t[j], other_w=last["p_load_w"] - last["p_compute_w"])
        r.last["compute_w"] = compute_w


def chunk_frames(spec: RunSpec, t_s: np.ndarray) -> tuple:
    """A chunk's split dates, GMST, Sun (TEME and Earth-fixed) and the GMST rotation's cos and sin."""
    jd, fr = jd_split_offset(spec.jd0, spec.fr0, t_s)
    gmst = gmst_for_times(jd, fr)
    sun_teme = sun_position_m(jd, fr)
    c, s = np.cos(gmst), np.sin(gmst)
    sun_ecef = np.stack([c * sun_teme[:, 0] + s * sun_teme[:, 1], c * sun_teme[:, 1] - s * sun_teme[:, 0], sun_teme[:, 2]], axis=1)
    return jd, fr, gmst, sun_teme, c, s, sun_ecef


def bus_result(r, out) -> None:
    """Put the bus totals (finalised copy), ageing figures and records of ``r`` (a block or the
    coordinator of a split run) on the result ``out``."""
    tot = copy.deepcopy(r.bus_tot)
    tot.finalize(r.bus)
    if r.ageing is not None:
        tot.ageing = r.ageing.figures()
    out.bus = tot
    if r.records:
        out.records = {key: np.concatenate([rec[key] for rec in r.records]) for key in r.records[0]}
