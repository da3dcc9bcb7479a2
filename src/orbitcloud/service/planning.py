"""Quotes: the plan and price the twin can keep for a piece of work, at the current simulated time.

Mixed into :class:`~orbitcloud.service.twin.TwinHost` (its attributes are the host's). What each
product's plan says and how it is estimated is in ``docs/service.md`` (Products and prices).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.service.pricing import micro

C_M_S = 299_792_458.0
#: A hold covers the quoted price times this (Poisson arrivals vary; training slows in eclipse).
HOLD_MARGIN = {"inference": 1.25, "accelerator_hours": 1.0, "training": 1.5, "eo_task": 1.0}


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Planner:
    """The planning half of the twin host (see the module docstring)."""

    def _ctl(self):
        return self.sim._ctl

    def _shell_info(self, name: str | None, need_acc: bool = True):
        fleet = self.sim.fleet
        designs = self.sim.designs
        names = [s.name for s in fleet.shells]
        if name is None:
            for i, d in enumerate(designs):
                if d is not None and d.n_acc > 0 and d.accelerator is not None:
                    return i, fleet.shells[i], d
            raise OrbitcloudError("shell: no shell of the scenario has accelerators")
        if name not in names:
            raise OrbitcloudError(f"shell: unknown shell {name!r}; shells: {', '.join(names)}")
        i = names.index(name)
        d = designs[i]
        if need_acc and (d is None or d.n_acc == 0 or d.accelerator is None):
            raise OrbitcloudError(f"shell: shell {name!r} has no accelerators")
        return i, fleet.shells[i], d

    def plan(self, work) -> tuple[dict, int, int]:
        """(plan, price in micro-credits, hold in micro-credits) for ``work`` (a product body).

        It does not wait for the twin's lock (a tick may be running): it reads the twin's time, its
        last step's delivered compute and positions of the current step (cached per step), all of
        which the tick replaces whole rather than changing in place."""
        fn = {"inference": self._plan_inference, "accelerator_hours": self._plan_hours, "training": self._plan_training,
              "eo_task": self._plan_eo}[work.product]
        plan, price = fn(work)
        price_m = micro(price)
        hold_m = micro(price * HOLD_MARGIN[work.product])
        return plan, price_m, max(hold_m, price_m)

    def _plan_inference(self, w):
        ctl = self._ctl()
        if ctl is None or ctl.inf is None:
            raise OrbitcloudError("product inference: the scenario serves no LLM (it has no workloads.inference)")
        model = w.model or ctl.model.name
        if model != ctl.model.name:
            raise OrbitcloudError(f"model: {model!r} is not served by this constellation; it serves {ctl.model.name!r}")
        if w.city is None and (w.lat_deg is None or w.lon_deg is None):
            raise OrbitcloudError("city: give a city, or lat_deg and lon_deg")
        if w.city is not None and (w.lat_deg is not None or w.lon_deg is not None):
            raise OrbitcloudError("city: give a city or lat_deg and lon_deg, not both")
        lat, lon = self._place(w)
        n_req = w.rate_per_s * w.duration
        p_in, p_out = self.prices.token_prices(model)
        price = n_req * (w.in_tokens * p_in + w.out_tokens * p_out) / 1e6
        srv = ctl.srv
        rtt, reachable = self._rtt_estimate(lat, lon, srv)
        d = self.sim.designs[int(self.sim.fleet.shell_index[srv[0]])]
        params = float(ctl.model.params)
        ops = float(self.sim._bus.p["ops_per_s_acc"][srv[0]]) * max(d.n_acc, 1)
        prefill_s = w.in_tokens * 2.0 * params / (0.5 * ops) if ops > 0 else 0.0
        latency = rtt + prefill_s
        promise = 3.0 * latency + 1.0
        e_j = n_req * (w.in_tokens + w.out_tokens) * 2.0 * params / max(ops / max(float(d.n_acc * d.p_acc_w), 1e-9), 1e-9) if ops > 0 else 0.0
        t0 = self.sim.now
        shell = self.sim.fleet.shells[int(self.sim.fleet.shell_index[srv[0]])].name
        plan = {"earliest_start": iso(t0), "expected_completion": iso(t0 + dt.timedelta(seconds=w.duration)), "shell": shell,
                "energy_kwh": round(e_j / 3.6e6, 9), "latency_s": round(latency, 6), "latency_s_promise": round(promise, 6),
                "detail": {"model": model, "requests_expected": round(n_req, 3), "rtt_s": round(rtt, 6), "serving_satellite_in_view_now": reachable,
                           "charged_for": "tokens of served requests only (requests with no path to a serving satellite are not charged)",
                           "prefill_s": round(prefill_s, 6),
                           "price_per_m_input": p_in, "price_per_m_output": p_out,
                           "energy_basis": "accelerator nameplate efficiency, 2 x params ops per token (a lower bound)"}}
        return plan, price

    def _place(self, w) -> tuple[float, float]:
        if w.city is None:
            return float(w.lat_deg), float(w.lon_deg)
        ctl = self._ctl()
        norm = lambda s: s.strip().lower().replace("_", " ").replace("-", " ")  # noqa: E731
        st = ctl.ns.stations
        for i, nm in enumerate(st.names):
            if nm.startswith("user:") and norm(nm[5:]) == norm(w.city):
                return math.degrees(st.lat_rad[i]), math.degrees(st.lon_rad[i])
        from orbitcloud.network.ground import builtin_stations

        cities = builtin_stations("cities-top100")
        try:
            j = int(cities.find([w.city])[0])
        except OrbitcloudError as exc:
            raise OrbitcloudError(f"city: {exc}") from None
        return math.degrees(cities.lat_rad[j]), math.degrees(cities.lon_rad[j])

    def _positions_now(self) -> np.ndarray:
        from orbitcloud.network.simulate import FleetPositions

        sim = self.sim
        k = sim.k
        with self._plan_lock:
            cached = self._pos_cache
            if cached is not None and cached[0] == k:
                return cached[1]
            if self._plan_positions is None:
                self._plan_positions = FleetPositions(sim.fleet, sim.spec)
            _t, x, y, z = self._plan_positions.chunk(k, k + 1)
            pos = np.stack([x[:, 0], y[:, 0], z[:, 0]], axis=1)
            self._pos_cache = (k, pos)
            return pos

    def _rtt_estimate(self, lat_deg: float, lon_deg: float, srv: np.ndarray) -> float:
        """Round-trip light time from a place to the nearest serving satellite now: direct when one is
        above the ground mask, else through the nearest visible satellite and one laser chord."""
        from orbitcloud.ephemeris.frames import geodetic_to_ecef

        g = np.asarray(geodetic_to_ecef(np.radians([lat_deg]), np.radians([lon_deg]), np.zeros(1)), dtype=np.float64).reshape(3)
        r = self._positions_now()
        ok = np.isfinite(r[:, 0])
        d = r - g
        rng = np.linalg.norm(d, axis=1)
        up = g / np.linalg.norm(g)
        with np.errstate(invalid="ignore", divide="ignore"):
            elev = np.degrees(np.arcsin((d @ up) / rng))
        mask = float(self._ctl().ns.min_elevation_deg or 25.0)
        vis = ok & (elev >= mask)
        vis_srv = vis[srv]
        if vis_srv.any():
            return 2.0 * float(rng[srv][vis_srv].min()) / C_M_S, True
        if not vis.any():
            vis = ok & (elev >= 0.0)
            if not vis.any():
                return 2.0 * float(np.nanmin(rng)) / C_M_S, False
        iv = np.nonzero(vis)[0]
        iv = iv[np.argsort(rng[iv])[:16]]  # the nearest few: bounded memory on a large fleet
        chord = np.linalg.norm(r[iv][:, None, :] - r[srv][None, :, :], axis=2).min(axis=1)
        return 2.0 * float((rng[iv] + chord).min()) / C_M_S, False

    def _acc_rate_now(self, info, d) -> float:
        """Accelerators' worth of compute the shell delivered in the last step (0 before the first)."""
        try:
            comp = np.concatenate([r.bus_tot.last["p_compute_w"] for r in self.sim._runner.runners])
        except (TypeError, KeyError):
            return 0.0
        return float(comp[info.start:info.stop].sum()) / max(float(d.p_acc_w), 1e-9)

    def _plan_hours(self, w):
        _i, info, d = self._shell_info(w.shell)
        rate = self._acc_rate_now(info, d)
        if rate <= 0.0:
            rate = (info.stop - info.start) * d.n_acc * float(d.utilisation)
        ahead_s = self._reserved_ahead_s(info.name)
        hours_s = (ahead_s + w.quantity * 3600.0) / rate
        t0 = self.sim.now
        if w.start is not None:
            t_start = dt.datetime.fromisoformat(w.start.replace("Z", "+00:00"))
            if t_start > self.sim.end:
                raise OrbitcloudError(f"start: {w.start} is after the twin's horizon, {iso(self.sim.end)}")
            t0 = max(t0, t_start)
        price = w.quantity * self.prices.accelerator_hour(d.accelerator)
        plan = {"earliest_start": iso(t0), "expected_completion": iso(t0 + dt.timedelta(seconds=min(hours_s, w.window))),
                "shell": info.name, "energy_kwh": round(w.quantity * float(d.p_acc_w) / 1000.0, 9), "latency_s": None,
                "latency_s_promise": None,
                "detail": {"accelerator": d.accelerator, "price_per_accelerator_hour": self.prices.accelerator_hour(d.accelerator),
                           "shell_accelerators_delivering": round(rate, 3), "window_s": w.window,
                           "metering": "accelerator-seconds the shell's accelerators delivered (power, heat and faults allowing), shared by its reservations"}}
        if hours_s > w.window:
            plan["detail"]["warning"] = f"at the shell's present rate {w.quantity:g} accelerator-hours need {hours_s / 3600:.2f} h, more than the window"
        return plan, price

    def _reserved_ahead_s(self, shell: str) -> float:
        """Accelerator-seconds the shell's running reservations still needed at the last tick (they
        share its delivery; orders accepted since join them at the next tick)."""
        return float(self._ahead_s.get(shell, 0.0))

    def _plan_training(self, w):
        from orbitcloud.ops.training import training_params
        from orbitcloud.scenario.training_schema import parse_training

        _i, info, d = self._shell_info(w.shell)
        job = self._training_job(w, info.name)
        cfg = parse_training(job, where="job")
        count = cfg.count if cfg.count is not None else max(1, (info.stop - info.start) - cfg.spares)
        try:
            p = training_params(cfg, d.accelerator, d.n_acc, where="job")
        except OrbitcloudError as exc:
            raise OrbitcloudError(str(exc)) from None
        mfu = float(p.perf.mfu)
        ideal_s = cfg.tokens * p.flops_per_token / (count * d.n_acc * p.peak_ops_per_s * mfu)
        acc_h = count * d.n_acc * ideal_s / 3600.0
        t0 = self.sim.now
        price = acc_h * self.prices.accelerator_hour(d.accelerator)
        plan = {"earliest_start": iso(t0), "expected_completion": iso(t0 + dt.timedelta(seconds=ideal_s / max(float(d.utilisation), 1e-3))),
                "shell": info.name, "energy_kwh": round(acc_h * float(d.p_acc_w) / 1000.0, 9), "latency_s": None, "latency_s_promise": None,
                "detail": {"members": int(count), "accelerators": int(count * d.n_acc), "accelerator_hours": round(acc_h, 6), "mfu": mfu,
                           "compute_s_at_full_speed": round(ideal_s, 3), "model": cfg.model, "tokens": cfg.tokens}}
        return plan, price

    def _training_job(self, w, shell: str) -> dict:
        job = dict(w.job)
        job.update({"model": w.model, "tokens": w.tokens, "shell": shell})
        if w.count is not None:
            job["count"] = w.count
        return job

    def _plan_eo(self, w):
        ctl = self._ctl()
        if ctl is None or ctl.eo is None:
            raise OrbitcloudError("product eo_task: the scenario has no imaging satellites (workloads.earth_observation)")
        size_b = int(ctl.eo.p.product_size_b)
        price = self.prices.eo_task() + size_b / 1e9 * self.prices.downlink_per_gb()
        t0 = self.sim.now
        shell = self.sim.fleet.shells[int(self.sim.fleet.shell_index[ctl.eo_sats[0]])].name
        plan = {"earliest_start": iso(t0), "expected_completion": iso(t0 + dt.timedelta(seconds=w.window)), "shell": shell,
                "energy_kwh": 0.0, "latency_s": None, "latency_s_promise": None,
                "detail": {"product_bytes": size_b, "price_per_task": self.prices.eo_task(), "price_per_gb": self.prices.downlink_per_gb(),
                           "energy_basis": "onboard filtering of one scene is within the twin's own EO workload; not itemised"}}
        return plan, price
