"""Serving policies: the power cap and the model of every serving satellite, step by step.

``policies.serving`` (``--serving``; ``docs/serving.md``) picks one of:

``max-clock``
    the accelerators run uncapped (at the design's utilisation target of their power) whenever there
    is work, idle replicas at ``policies.idle_demand``: the behaviour before serving policies existed.
``race-to-idle``
    uncapped while busy, and an idle replica drops to the accelerator's measured idle power
    (``operating_points.yaml``) instead of ``idle_demand`` (Zeus, NSDI 2023, and the "race to idle"
    argument: finish at full clock, then sleep).
``energy-aware``
    per satellite and step, from what the satellite itself knows at the start of the step (its
    battery energy, the array output and the bus load it measured in the step before, its node
    temperature) and the predicted eclipse timeline (its own orbit, :class:`EclipseForecast`):

    * the *energy budget*: in eclipse the energy above ``policies.battery_floor`` spread over the
      rest of the eclipse, ``P = (E - E_floor) eta_d / tau - P_bus``; in sunlight the array output
      less the bus load less what must be stored to cross the next eclipse above the floor on the
      bus alone, ``P = P_gen - P_bus - (E_need - E) / (eta tau_sun)``;
    * the *SLO cap*: the lowest power cap whose throughput keeps the decode time per token and the
      prefill within the SLOs (with 20 % / 50 % margins, from the serving model at saturation);
    * in sunlight the highest cap the budget affords (uncapped when it covers the full draw: energy
      not used then would be curtailed once the battery is full); in eclipse the SLO cap — unless the
      battery was full in the sunlit spell before (the eclipse's energy comes back from array output
      that would otherwise be curtailed) or the replica has a queue, then uncapped — lowered further
      when the budget is smaller; when even the lowest
      cap does not fit, new requests go to the small model (``workloads.inference.small_model``)
      and, if the budget is gone, the satellite stops computing until it returns (the floor is kept
      whenever the bus load alone leaves it feasible). DynamoLLM (HPCA 2025) and POLCA (ASPLOS 2024)
      are the anchors for capping LLM serving by phase; the eclipse planning follows Denby & Lucia,
      "Orbital Edge Computing" (ASPLOS 2020).
``cascade``
    uncapped; every request goes to the small model first and a fixed share
    (``policies.escalate_share``, chosen per request by a seeded hash) is escalated to the
    scenario's model, which answers it afresh (FrugalGPT, Chen et al. 2023; RouteLLM, Ong et al.
    2024: a router sends the hard share on).

A cap ``c`` [W per accelerator] scales the satellite's compute power by ``pf(c) = P(c) / P(tdp)``
and its throughput by ``rel(c)``, both for the phase mix of the serving work (the share of server
time in prefill at saturation), from :mod:`orbitcloud.compute.operating_points`. The cap applies to
the whole satellite (batch and imaging work on it slow down too).
"""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.errors import ScenarioError

__all__ = ["ServingPower", "EclipseForecast", "predicted_lit", "prefill_share"]

#: Caps evaluated per accelerator to invert the power curve.
_GRID = 97


def _curve_names() -> list[str]:
    from orbitcloud.compute.operating_points import operating_curve_names

    return operating_curve_names()


def prefill_share(perf, mean_in: float, mean_out: float) -> float:
    """Share of a saturated replica's time spent in prefill (the rest decoding)."""
    conc = max(1, int(perf.max_concurrency(mean_in, mean_out)))
    pre = float(perf.prefill_s(mean_in * conc, conc))
    dec = float(mean_out * perf.decode_iter_s(conc, conc * (mean_in + 0.5 * mean_out)))
    return pre / (pre + dec) if pre + dec > 0 else 1.0


def predicted_lit(orbits, spec, t_s: np.ndarray) -> np.ndarray:
    """(n, T) predicted sunlight (illumination >= 0.5) of the fleet at run times ``t_s`` [s] from the
    fast propagator's ``orbits``: the orbit prediction flight dynamics would provide."""
    from orbitcloud.environment.shadow import shadow_state
    from orbitcloud.ephemeris.frames import gmst_for_times
    from orbitcloud.ephemeris.propagate import fast_ecef_m
    from orbitcloud.ephemeris.sun import sun_position_m
    from orbitcloud.timescale import jd_split_offset

    t = np.asarray(t_s, dtype=np.float64)
    jd, fr = jd_split_offset(spec.jd0, spec.fr0, t)
    gmst = gmst_for_times(jd, fr)
    sun = sun_position_m(jd, fr)
    c, s = np.cos(gmst), np.sin(gmst)
    sun_ecef = np.stack([c * sun[:, 0] + s * sun[:, 1], c * sun[:, 1] - s * sun[:, 0], sun[:, 2]], axis=1)
    x, y, z, r = fast_ecef_m(orbits, t, gmst)
    return ~(shadow_state(x, y, z, sun_ecef, r).h_half > 0.0)


class EclipseForecast:
    """Predicted sunlight of some satellites from their own orbits (the fast propagator): sampled every
    ``sample_s`` over ``horizon_s`` ahead, refreshed when half of it is used."""

    def __init__(self, fleet, spec, sats: np.ndarray, horizon_s: float = 4 * 3600.0, sample_s: float = 30.0) -> None:
        self.fleet, self.spec, self.sats = fleet, spec, np.asarray(sats)
        self.horizon_s, self.sample_s = float(horizon_s), float(sample_s)
        self.t0 = -math.inf
        self._orbits = None

    def _refresh(self, t_s: float) -> None:
        from orbitcloud.ephemeris.propagate import fast_orbits

        if self._orbits is None:
            self._orbits = fast_orbits(self.fleet.slice(0, len(self.fleet)), self.spec.jd0, self.spec.fr0)
        t = t_s + np.arange(0.0, self.horizon_s + self.sample_s, self.sample_s)
        self.lit = predicted_lit(self._orbits, self.spec, t)[self.sats]  # (m, T)
        self.t0 = t_s

    def at(self, t_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lit now, seconds to the next change of light, length of the next dark spell [s]) per
        satellite; inf where the horizon shows no change (no eclipse ahead: a dawn-dusk orbit)."""
        if t_s > self.t0 + 0.5 * self.horizon_s:
            self._refresh(t_s)
        j = int((t_s - self.t0) // self.sample_s)
        lit = self.lit[:, j:]
        now = lit[:, 0]
        change = lit != now[:, None]
        has = change.any(axis=1)
        i1 = np.where(has, np.argmax(change, axis=1), lit.shape[1])
        to_change = np.where(has, i1 * self.sample_s - (t_s - self.t0 - j * self.sample_s), np.inf)
        # the dark spell after the change (lit now) or the present one (dark now)
        rest = np.arange(lit.shape[1])[None, :] >= i1[:, None]
        after = rest & ~(lit != now[:, None])  # back to the present state after the change
        has2 = after.any(axis=1)
        i2 = np.where(has2, np.argmax(after, axis=1), lit.shape[1])
        dark_len = np.where(now, np.where(has2, (i2 - i1) * self.sample_s, np.inf), to_change)
        return now, np.maximum(to_change, 0.0), dark_len


class ServingPower:
    """The serving policy's caps, power factors and model choice for the serving satellites.

    Args:
        ctl: the workload controller (its ``srv``, ``full_w``, ``cap_j``, ``designs``, ``fleet``, ``spec``).
        policy: a name of ``SERVING_NAMES``; pol: the scenario's ``policies``; bus_p: the bus parameters.
        perf, small: the serving model's and the small model's InferencePerf (small may be None).
        mean_in, mean_out: mean prompt and output tokens of the requests; slo: the SLO.
    """

    def __init__(self, ctl, policy: str, pol, bus_p, perf, small, mean_in: float, mean_out: float, slo) -> None:
        from orbitcloud.compute.operating_points import operating_curve

        self.policy = policy
        self.pol = pol
        srv = ctl.srv
        self.srv = srv
        self.m = srv.size
        acc = perf.accelerator
        if acc in _curve_names():
            self.curve = operating_curve(acc)
        elif policy in ("energy-aware", "race-to-idle"):  # an accelerator without a curve cannot be capped
            raise ScenarioError(f"{ctl.label}: policies.serving {policy}: {acc} has no operating-point curve; "
                                f"curves exist for {', '.join(_curve_names())}")
        else:
            self.curve = None
        self.mix = prefill_share(perf, mean_in, mean_out)
        self.small = small
        self.full_w = ctl.full_w[srv]
        self.n_acc = bus_p["n_acc"][srv]
        self.util = bus_p["utilisation"][srv]
        self.eta_c = bus_p["eta_charge"][srv]
        self.eta_d = bus_p["eta_discharge"][srv]
        self.soc_max = bus_p["soc_max"][srv]
        self.ctl = ctl  # ctl.cap_j: the batteries' present capacities (battery ageing lowers them)
        self.pf = np.ones(self.m)
        self.rel = np.ones(self.m)  # blended throughput factor (the phase mix)
        self.rel_p = np.ones(self.m)  # prefill (compute-bound) and decode (memory-bound) throughput factors
        self.rel_d = np.ones(self.m)
        self.max_batch = perf.max_batch
        self.cap_w = np.full(self.m, np.nan if self.curve is None else self.curve.tdp_w)
        self.use_small = np.zeros(self.m, bool)
        full0 = bus_p["soc_initial"][srv] >= self.soc_max - 0.01
        self.refilled = full0.copy()  # the battery reached full in the sunlit spell before this eclipse
        self._reached = full0.copy()
        self._was_lit = np.ones(self.m, bool)
        self.stopped_steps = 0
        self.capped_steps = 0
        self.small_steps = 0
        self.working_steps = 0
        self.steps = 0
        self.forecast = None
        if self.curve is not None:
            cv = self.curve
            self.grid_w = np.linspace(cv.min_cap_w, cv.tdp_w, _GRID)
            p_full = self._busy_power(np.array([cv.tdp_w]))[0]
            self.pf_grid = self._busy_power(self.grid_w) / p_full
            self.rel_grid = np.asarray(cv.rel(self.grid_w, self.mix), dtype=np.float64)
            self.relp_grid = np.asarray(cv.prefill_rel(self.grid_w), dtype=np.float64)
            self.reld_grid = np.asarray(cv.decode_rel(self.grid_w), dtype=np.float64)
            # an idle accelerator draws its measured idle power [W]; the demand is a share of the design's
            # compute power (p_acc_w x utilisation per accelerator)
            p_dev = bus_p["p_acc_w"][srv] * bus_p["utilisation"][srv]
            self.idle_frac = np.divide(float(cv.idle_w), p_dev, out=np.zeros(self.m), where=p_dev > 0)
            self.slo_cap_w = self._slo_cap(perf, mean_in, mean_out, slo)
        #: a fixed cap (policies.power_cap_w) for every policy; energy-aware's ceiling
        self.capping = policy == "energy-aware"
        self.i_max = _GRID - 1
        if pol.power_cap_w is not None:
            if self.curve is None:
                raise ScenarioError(f"{ctl.label}: policies.power_cap_w: {acc} has no operating-point curve; "
                                    f"curves exist for {', '.join(_curve_names())}")
            cv = self.curve
            if not cv.min_cap_w <= pol.power_cap_w <= cv.tdp_w:
                raise ScenarioError(
                    f"{ctl.label}: policies.power_cap_w: {pol.power_cap_w:g} W per accelerator is outside what {acc} "
                    f"can be set to ({cv.min_cap_w:g} to {cv.tdp_w:g} W, operating_points.yaml)")
            self.i_max = int(np.searchsorted(self.grid_w, pol.power_cap_w, side="right")) - 1
            self.capping = True
            c = np.array([float(pol.power_cap_w)])
            one = np.ones(self.m)
            self.cap_w = one * c[0]
            self.pf = one * (self._busy_power(c)[0] / self._busy_power(np.array([cv.tdp_w]))[0])
            self.rel = one * float(np.asarray(cv.rel(c, self.mix))[0])
            self.rel_p = one * float(np.asarray(cv.prefill_rel(c))[0])
            self.rel_d = one * float(np.asarray(cv.decode_rel(c))[0])
        if policy == "energy-aware":
            self.forecast = EclipseForecast(ctl.fleet, ctl.spec, srv)

    def _busy_power(self, cap_w: np.ndarray) -> np.ndarray:
        cv = self.curve
        return self.mix * np.asarray(cv.power_w(cap_w, "prefill")) + (1.0 - self.mix) * np.asarray(cv.power_w(cap_w, "decode"))

    def _slo_cap(self, perf, mean_in: float, mean_out: float, slo) -> float:
        """The lowest cap whose throughput keeps TPOT within 80 % and the prefill within 50 % of the SLO."""
        conc = max(1, int(perf.max_concurrency(mean_in, mean_out)))
        tpot = float(perf.decode_iter_s(conc, conc * (mean_in + 0.5 * mean_out)))
        pre = float(perf.prefill_s(mean_in))
        ok = (self.reld_grid >= min(tpot / (0.8 * slo.tpot_s), 1.0)) & (self.relp_grid >= min(pre / (0.5 * slo.ttft_s), 1.0))
        return float(self.grid_w[np.argmax(ok)]) if ok.any() else float(self.curve.tdp_w)

    # ------------------------------------------------------------------ per step

    def demand(self, t_s: float, dt: float, dem_srv: np.ndarray, active: np.ndarray, busy: np.ndarray, own: dict,
               queued: np.ndarray | None = None, load: np.ndarray | None = None) -> np.ndarray:
        """The serving replicas' own compute demand (m,) for the step after the policy; sets the
        per-satellite factors :attr:`pf` (power; the caller scales the satellite's whole demand by it),
        :attr:`rel` (throughput) and :attr:`use_small` (new requests go to the small model).

        ``own``: the satellites' own state at the start of the step, (n,) arrays ``soc``, ``gen_w``
        (array output of the step before) and ``other_w`` (bus and heater load of the step before).
        ``queued`` (m,): replicas with requests waiting beyond a full batch (they run uncapped unless
        energy is short: a cap there would only lengthen the queue). ``load`` (m,): each replica's work
        in the step before, in server seconds at full speed per second (the cap keeps 25 % headroom
        over it)."""
        if queued is None:
            queued = np.zeros(self.m, bool)
        self.steps += 1
        if self.policy in ("max-clock", "cascade") or self.curve is None:
            return dem_srv
        if self.policy == "race-to-idle":
            return np.where(active & ~busy, np.minimum(dem_srv, self.idle_frac), dem_srv)
        return self._energy_aware(t_s, dt, dem_srv, own, queued, load)

    def _energy_aware(self, t_s: float, dt: float, dem: np.ndarray, own: dict, queued: np.ndarray,
                      load: np.ndarray | None) -> np.ndarray:
        srv = self.srv
        cap_j = self.ctl.cap_j[srv]
        e = own["soc"][srv] * cap_j
        floor = self.pol.battery_floor * cap_j
        p_bus = own["other_w"][srv]
        gen = own["gen_w"][srv]
        lit, to_change, dark_len = self.forecast.at(t_s)
        tau = np.maximum(to_change, dt)
        # the energy that must be in the battery when the next eclipse starts: the bus through it
        e_need = floor + p_bus * np.where(np.isfinite(dark_len), dark_len, 0.0) / self.eta_d
        spare = e - e_need
        in_sun = gen - p_bus + np.where(spare >= 0.0, spare * self.eta_d, spare / self.eta_c) / np.where(np.isfinite(tau), tau, 1e300)
        in_dark = (e - floor) * self.eta_d / tau - p_bus
        allow = np.where(lit, in_sun, in_dark)
        full = self.full_w * np.maximum(dem, 1e-12)
        pf_need = np.clip(allow / full, 0.0, None)
        # the cap: the SLO cap (or uncapped with free energy), lowered to the budget
        i_slo = int(np.searchsorted(self.grid_w, self.slo_cap_w))
        if load is not None:  # enough throughput for the replica's present load, with headroom
            i_slo = np.maximum(i_slo, np.searchsorted(self.rel_grid, np.minimum(load / 0.8, 1.0)))
        i_need = np.searchsorted(self.pf_grid, pf_need, side="right") - 1  # highest grid cap within the budget
        # in sunlight the highest cap the budget affords (energy not used now would be curtailed once
        # the battery is full); in eclipse the SLO cap (uncapped with a queue), within the budget
        # the battery was full in the last sunlit spell: what the eclipse uses is refilled from energy that
        # would be curtailed, so only the floor limits it
        soc = own["soc"][srv]
        self._reached |= lit & (soc >= self.soc_max - 0.01)
        into_dark = self._was_lit & ~lit
        self.refilled = np.where(into_dark, self._reached, self.refilled)
        self._reached &= ~into_dark
        self._was_lit = lit
        i = np.minimum(np.where(lit | queued | self.refilled, self.i_max, np.minimum(i_slo, self.i_max)), i_need)
        short = i < 0  # even the lowest cap draws more than the budget: duty-cycle at the lowest cap
        i = np.clip(i, 0, _GRID - 1)
        duty = np.where(short, np.clip(pf_need / self.pf_grid[0], 0.0, 1.0), 1.0)
        stop = duty <= 0.0
        self.cap_w = self.grid_w[i]
        self.pf = self.pf_grid[i] * duty
        self.rel = self.rel_grid[i] * duty
        self.rel_p = self.relp_grid[i] * duty
        self.rel_d = self.reld_grid[i] * duty
        self.use_small = short & (self.small is not None)
        working = dem > 0.0  # replicas that draw power this step (inactive ones draw none)
        self.working_steps += int(working.sum())
        self.capped_steps += int(((i < self.i_max) & working).sum())
        self.stopped_steps += int((stop & working).sum())
        self.small_steps += int((self.use_small & working).sum())
        return dem

    def summary(self) -> dict:
        m_steps = max(self.working_steps, 1)
        out = {
            "serving_policy": self.policy,
            "prefill_share": round(self.mix, 6),
        }
        if self.pol.power_cap_w is not None:
            out["power_cap_w"] = float(self.pol.power_cap_w)
        if self.curve is not None:
            out["power_cap_slo_w"] = round(self.slo_cap_w, 3)
            out["power_cap_min_w"] = round(float(self.curve.min_cap_w), 3)
        if self.policy == "energy-aware":
            out["capped_share"] = round(self.capped_steps / m_steps, 6)
            out["stopped_share"] = round(self.stopped_steps / m_steps, 6)
            out["small_model_share"] = round(self.small_steps / m_steps, 6)
        return out
