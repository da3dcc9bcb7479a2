"""The TT&C layer of a run: the contact plan, commands, telemetry, limits and onboard rules together.

:class:`TtcLayer` is built before the first step (the contact plan and the access timeline are
predicted from the orbits) and driven by the time loop (:class:`orbitcloud.sim.Simulation`) at step
boundaries: :meth:`TtcLayer.at_step` runs the housekeeping ticks (downlink of the last interval,
alarms on live telemetry, onboard sampling, onboard rules) and executes the commands due; the loop
advances the physics to :meth:`TtcLayer.next_k` and calls it again. The parts and their sources:
``access.py`` (when the ground reaches a satellite), ``commands.py``, ``telemetry.py``,
``monitoring.py``, ``packets.py``; the model and the figures are described in ``docs/ttc.md``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import numpy as np

from orbitcloud.errors import OrbitcloudError, ScenarioError

__all__ = ["TtcLayer", "MAX_TTC_SATELLITES"]

#: The layer keeps per-satellite stores and access samples in memory.
MAX_TTC_SATELLITES = 50_000

Execute = Callable[[str, np.ndarray, dict], tuple[bool, str | None]]


def _pct(x: np.ndarray, q: float) -> float | None:
    x = x[np.isfinite(x)]
    return round(float(np.percentile(x, q)), 3) if x.size else None


class TtcLayer:
    """See the module docstring. ``t_max_c``: each satellite's maximum temperature (the default red
    limit), None without a bus; ``workers``: processes for the contact plan."""

    def __init__(self, loaded, fleet, spec, *, t_max_c: np.ndarray | None = None, n_devices: np.ndarray | None = None,
                 workers: int = 1, ctl=None) -> None:
        from orbitcloud.network.contact_plan import contact_plan
        from orbitcloud.network.contact_schedule import schedule_antennas
        from orbitcloud.network.ttc_ground import ground_network
        from orbitcloud.ops.ttc import packets as PK
        from orbitcloud.ops.ttc.access import build_access
        from orbitcloud.ops.ttc.commands import CommandBook, first_uplink
        from orbitcloud.ops.ttc.monitoring import Limits
        from orbitcloud.ops.ttc.telemetry import OnboardStore
        from orbitcloud.scenario.ttc_schema import TTC

        sc = loaded.scenario
        cfg = sc.ttc if sc.ttc is not None else TTC()
        self.cfg, self.label = cfg, loaded.label
        n = len(fleet)
        if n > MAX_TTC_SATELLITES:
            raise ScenarioError(f"{loaded.label}: ttc: the fleet has {n:,} satellites; the TT&C layer supports at most {MAX_TTC_SATELLITES:,}")
        spec_st = cfg.stations
        if spec_st is None:
            if sc.ground is None:
                raise ScenarioError(f"{loaded.label}: ttc.stations: no stations (give ttc.stations, or a ground: section)")
            spec_st = sc.ground.stations if isinstance(sc.ground.stations, str) else [s.model_dump() for s in sc.ground.stations]
            min_el = cfg.min_elevation_deg if cfg.min_elevation_deg is not None else sc.ground.min_elevation_deg
        else:
            min_el = cfg.min_elevation_deg
        base = loaded.base_dir if loaded.base_dir is not None else Path(".")
        self.net = ground_network(spec_st, base_dir=base, label=f"{loaded.label}: ttc.stations", antennas=cfg.antennas,
                                  min_elevation_deg=min_el, uplink_bps=cfg.uplink_bps, downlink_bps=cfg.downlink_bps)
        self.fleet, self.spec, self.n = fleet, spec, n
        self.step_s = spec.step_s
        self.names = fleet.names()
        self._name_index = {nm: i for i, nm in enumerate(self.names)}
        self.shell_names = [s.name for s in fleet.shells]
        unknown = sorted(set(cfg.priority) - set(self.shell_names))
        if unknown:
            raise ScenarioError(f"{loaded.label}: ttc.priority: unknown shell {unknown[0]!r}; shells: {', '.join(self.shell_names)}")
        prio = np.zeros(n, np.int64)
        for i, s in enumerate(fleet.shells):
            prio[s.start:s.stop] = cfg.priority.get(s.name, 0)
        self.contacts = contact_plan(fleet, spec, self.net.stations, self.net.min_elevation_deg, workers=workers)
        self.schedule = schedule_antennas(self.contacts, self.net, priority=prio, min_duration_s=cfg.min_pass_s,
                                          handover_s=cfg.handover_s)
        self.contact_rates = _contact_rates(loaded, fleet, self.net, self.contacts)
        self.access, self.notes = build_access(loaded, fleet, spec, self.net, self.contacts, self.schedule, cfg,
                                               rates=self.contact_rates)
        self.relays = self.access.relays
        self.PK = PK
        self.params = PK.HK_PARAMETERS
        self.hk_bytes = PK.hk_packet_bytes()
        self.hk_steps = max(1, int(round(cfg.housekeeping_every / spec.step_s)))
        self.hk_dt = self.hk_steps * spec.step_s
        self.stride = np.ones(n, np.int64)  # per-satellite sampling stride (set_hk_interval)
        self.store = OnboardStore(n, len(self.params), max(1, cfg.store_bytes // self.hk_bytes), cfg.drop)
        self.limits = Limits(self.params, n, cfg.limits, t_max_c)
        self.book = CommandBook(self.access, spec.step_s, self.relays)
        self.ctl = ctl
        self.n_devices = np.zeros(n) if n_devices is None else np.asarray(n_devices, np.float64)
        if ctl is not None:
            ctl.external_telemetry = True
        # housekeeping ticks: the ground's view is updated at each
        self.n_ticks = int(math.ceil(spec.n_steps / self.hk_steps)) + 1
        tick_t = np.minimum(np.arange(self.n_ticks) * self.hk_dt, spec.n_steps * spec.step_s)
        self.tick_t = tick_t
        self._direct_bytes = self.access.direct_cumulative(tick_t, "down_bytes")
        self._relay_bytes = self.access.relay_cumulative_bytes(cfg.relay_downlink_share)
        self._residual = np.zeros(n)
        self.ages = np.full((self.n_ticks, n), np.nan, np.float32)
        self.events: list[dict[str, Any]] = []
        self._archive_parts: list[dict[str, np.ndarray]] = []  # the ground archive, one part per tick
        self._tick = 0
        self._last_tick_t = 0.0
        self._autonomy_safe = np.zeros(n, bool)
        self._autonomy_cap = np.zeros(n, bool)
        self._errors: list[tuple[float, np.ndarray]] = []  # (time, device errors per satellite) per tick
        self._fault_prev = np.zeros(n)
        self.stored_violations = 0
        self.rejected = 0
        # latency probes: a command issued at each probe time to every satellite (analytic)
        bits = 8.0 * PK.command_packet_bytes("ping", False)
        t_end = spec.n_steps * spec.step_s
        probes = np.arange(0.0, t_end, max(cfg.probe_every, spec.step_s))
        sats = np.arange(n, dtype=np.int64)
        lat_d = np.full((probes.size, n), np.inf)
        lat_r = np.full((probes.size, n), np.inf)
        for j, p in enumerate(probes):  # over probe times, vectorised over the fleet
            up = first_uplink(self.access, sats, p, bits, self.relays)
            lat_d[j] = np.where(up["direct_s"] <= t_end, up["direct_s"] - p, np.inf)
            lat_r[j] = np.where(up["arrival_s"] <= t_end, up["arrival_s"] - p, np.inf)
        self.probe_t, self.lat_direct, self.lat_relay = probes, lat_d, lat_r
        for c in cfg.commands:
            try:
                self.issue(c.satellite, c.command, c.params, time_tag_s=c.time_tag, t_s=c.at, source="scenario")
            except OrbitcloudError as exc:
                raise ScenarioError(f"{loaded.label}: ttc.commands: {exc}") from None

    # ------------------------------------------------------------------ commands

    def satellite(self, s: int | str) -> int:
        if isinstance(s, str):
            i = self._name_index.get(s)
            if i is None:
                raise OrbitcloudError(f"satellite: no satellite named {s!r} (names like {self.names[0]!r})")
            return i
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= int(s) < self.n:
            raise OrbitcloudError(f"satellite: {s!r} is not a satellite index in 0..{self.n - 1} or a name")
        return int(s)

    def issue(self, satellite: int | str, command: str, params: dict | None = None, *, time_tag_s: float | None = None,
              t_s: float, source: str = "operator", start_utc=None) -> dict[str, Any]:
        """Queue a command issued at ``t_s`` (see :mod:`orbitcloud.ops.ttc.commands`); raises
        :class:`OrbitcloudError` for an unknown satellite or command, bad parameters or a time tag
        before ``t_s``. Returns its history row."""
        import datetime as dt

        sat = self.satellite(satellite)
        if time_tag_s is not None and (not math.isfinite(time_tag_s) or time_tag_s < t_s):
            raise OrbitcloudError(f"time_tag: {time_tag_s!r} s is in the past (the command is issued at {t_s:g} s)")
        release = None
        if time_tag_s is not None:
            release = dt.datetime(2000, 1, 1) + dt.timedelta(seconds=float(time_tag_s))  # any epoch: only order matters onboard
        seq = self.book.seq % 16384
        raw = self.PK.encode_command(command, params or {}, seq_count=seq, release_utc=release)
        self.book.seq += 1
        row = {"id": f"cmd-{len(self.book.rows) + 1:06d}", "satellite": sat, "command": command, "params": dict(params or {}),
               "source": source, "issued_s": float(t_s), "time_tag_s": None if time_tag_s is None else float(time_tag_s)}
        return self._add(row, raw)

    def issue_packet(self, satellite: int | str, raw: bytes, *, t_s: float, source: str = "operator") -> dict[str, Any]:
        """Queue raw packet bytes (any bytes: a malformed packet is rejected onboard, never a crash)."""
        sat = self.satellite(satellite)
        row = {"id": f"cmd-{len(self.book.rows) + 1:06d}", "satellite": sat, "command": "packet", "params": {"hex": bytes(raw).hex()},
               "source": source, "issued_s": float(t_s), "time_tag_s": None}
        return self._add(row, bytes(raw))

    def _add(self, row, raw):
        def decode(b):
            d = self.PK.decode_command(b)
            if hasattr(d, "name") and d.release_utc is not None and row["time_tag_s"] is None:
                import datetime as dt

                row["time_tag_s"] = (d.release_utc.replace(tzinfo=None) - dt.datetime(2000, 1, 1)).total_seconds()
            return d

        out = self.book.add(row, raw, decode)
        if out["status"] == "rejected":
            self.rejected += 1
            self._event(out["arrival_s"], out["satellite"], "rejected", "", 0, None, out["reason"], onboard=True)
        return {k: out.get(k) for k in self.book.FIELDS}  # a copy: the book's row stays the book's

    # ------------------------------------------------------------------ stepping

    def next_k(self, k: int) -> int:
        """The next step (> k) at which the layer must run."""
        nxt = (k // self.hk_steps + 1) * self.hk_steps
        due = self.book.next_k()
        if due is not None and due > k:
            nxt = min(nxt, due)
        return min(nxt, self.spec.n_steps)

    def at_step(self, k: int, hk: Callable[[], dict[str, np.ndarray]], execute: Execute) -> None:
        """Run what falls at step boundary ``k`` (time ``k * step``): ``hk()`` gives the onboard truth
        now, ``execute(command, satellites, params)`` applies an action and says whether it could."""
        t = k * self.step_s
        for row in sorted(self.book.due(k), key=lambda r: r["id"]):
            self._execute(row, t, execute)
        if k % self.hk_steps == 0 or k == self.spec.n_steps:
            truth = hk()
            self._tick_downlink(t)
            if k < self.spec.n_steps:
                self._sample(k, t, truth)
                self._autonomy(t, truth, execute)

    def _execute(self, row, t, execute) -> None:
        dec = row.pop("_decoded")
        row.pop("_exec_k", None)
        sat = np.array([row["satellite"]])
        name = dec.name
        if name == "ping":
            ok, why = True, None
        elif name == "set_hk_interval":
            self.stride[sat] = max(1, int(round(dec.params["interval_s"] / self.hk_dt)))
            ok, why = True, None
        else:
            ok, why = execute(name, sat, dict(dec.params))
        self.book.executed(row, t, ok, why)
        self._event(t, row["satellite"], "command", name, 0, None, f"{row['id']} {'completed' if ok else 'failed: ' + str(why)}", onboard=True)

    def _tick_downlink(self, t: float) -> None:
        """Downlink of the interval since the last tick, then the ground's view and the ages."""
        i = min(self._tick, self.n_ticks - 1)
        ip = max(i - 1, 0)
        t0 = self._last_tick_t
        db = self._direct_bytes[i] - self._direct_bytes[ip] if i > 0 else np.zeros(self.n)
        ja = self.access.relay_index(t0) if t > t0 else 0
        jb = ja + max(0, int(round((t - t0) / self.access.relay_every_s))) if t > t0 else ja
        jb = min(jb, self._relay_bytes.shape[0] - 1)
        rb = self._relay_bytes[jb] - self._relay_bytes[ja]
        self._residual += db + rb
        budget = np.floor(self._residual / self.hk_bytes)
        sats = np.arange(self.n, dtype=np.int64)
        t_d, _, _, _ = self.access.next_direct(sats, t0)
        t_r, lat_r, _, _ = self.access.next_relay(sats, t0) if self.relays else (np.full(self.n, np.inf), np.zeros(self.n), 0, 0)
        t_g = np.minimum(t_d + self.access.ground_light_s, t_r + lat_r + self.access.ground_light_s)
        t_g = np.clip(t_g, t0, t)
        live_sats, live_vals = self.store.downlink(budget, t_g)
        # bytes not used carry over only while a backlog waits (a link's time cannot be banked)
        backlog = self.store.stored()
        self._residual = np.where(backlog > 0, np.maximum(self._residual - budget * self.hk_bytes, 0.0), 0.0)
        if live_sats.size:
            for s, p, old, new, v in self.limits.update(live_sats, live_vals):
                kind = "alarm_raised" if new > old else "alarm_cleared"
                self._event(float(self.store.last_t[s]), s, kind, self.params[p], new, v,
                            f"{self.params[p]} {('nominal', 'yellow', 'red')[old]} -> {('nominal', 'yellow', 'red')[new]}",
                            ground_s=float(t_g[s]))
        self._check_stored(t0)
        if self.ctl is not None:
            self._feed_controller()
        if self._tick < self.n_ticks:
            self.ages[self._tick] = self.store.age_s(t)
        self._tick += 1
        self._last_tick_t = t

    def _check_stored(self, t0: float) -> None:
        rows = self.store.rows(since_last=True)
        self._last_rows = rows
        if rows["sat"].size == 0:
            return
        lv = self.limits.levels(rows["sat"], rows["values"])
        old = rows["t_ground_s"] - rows["t_sample_s"] > self.hk_dt
        self.stored_violations += int(((lv > 0).any(axis=1) & old).sum())
        self._archive_parts.append(rows)

    def _feed_controller(self) -> None:
        ctl = self.ctl
        got = np.isfinite(self.store.last_vals[:, 0])
        if not got.any():
            return
        v = self.store.last_vals[got]
        P = self.params
        ctl.known["soc"][got] = v[:, P.index("soc")]
        ctl.known["margin"][got] = ctl.t_max_k[got] - (v[:, P.index("temperature_c")] + 273.15)
        dev = self.n_devices[got]
        ctl.known["avail"][got] = np.divide(v[:, P.index("devices_up")], dev, out=np.ones(int(got.sum())), where=dev > 0)

    def _sample(self, k: int, t: float, truth: dict[str, np.ndarray]) -> None:
        j = k // self.hk_steps
        sats = np.nonzero(j % self.stride == 0)[0]
        vals = np.stack([np.asarray(truth[p], np.float32) for p in self.params], axis=1)
        self.store.sample(sats, t, vals[sats])

    def _autonomy(self, t: float, truth: dict[str, np.ndarray], execute: Execute) -> None:
        au = self.cfg.autonomy
        P = self.params
        soc = np.asarray(truth["soc"], np.float64)
        temp = np.asarray(truth["temperature_c"], np.float64)
        safe = np.asarray(truth["safe_mode"]) > 0.5
        with np.errstate(invalid="ignore"):
            if au.safe_mode_soc is not None:
                thr = self.limits.lo_r[P.index("soc")] if au.safe_mode_soc == "red" else np.full(self.n, float(au.safe_mode_soc))
                enter = np.nonzero((soc < thr) & ~safe)[0]
                if enter.size:
                    self._onboard(t, enter, "safe_mode", {"on": True}, execute, "battery below its limit: safe mode")
                    self._autonomy_safe[enter] = True
                if au.recover_soc is not None:
                    leave = np.nonzero(self._autonomy_safe & safe & (soc > au.recover_soc))[0]
                    if leave.size:
                        self._onboard(t, leave, "safe_mode", {"on": False}, execute, "battery recovered: safe mode off")
                        self._autonomy_safe[leave] = False
            if au.overtemp_cap is not None:
                i = P.index("temperature_c")
                hot = np.nonzero((temp > self.limits.hi_r[i]) & ~self._autonomy_cap)[0]
                if hot.size:
                    self._onboard(t, hot, "power_cap", {"fraction": float(au.overtemp_cap)}, execute, "over temperature: compute capped")
                    self._autonomy_cap[hot] = True
                cool = np.nonzero(self._autonomy_cap & (temp < self.limits.hi_y[i]))[0]
                if cool.size:
                    self._onboard(t, cool, "power_cap", {"fraction": 1.0}, execute, "temperature back below yellow: cap lifted")
                    self._autonomy_cap[cool] = False
        if au.reboot_after_errors is not None:
            errs = np.asarray(truth.get("device_errors", np.zeros(self.n)), np.float64)
            new = errs - self._fault_prev
            self._fault_prev = errs
            self._errors.append((t, new))
            self._errors = [(tt, e) for tt, e in self._errors if tt > t - au.error_window_s]
            recent = np.sum([e for _, e in self._errors], axis=0)
            boot = np.nonzero(recent >= au.reboot_after_errors)[0]
            if boot.size:
                self._onboard(t, boot, "reboot", {}, execute, f"{au.reboot_after_errors} device errors within {au.error_window_s:g} s: reboot")
                for _, e in self._errors:
                    e[boot] = 0.0

    def _onboard(self, t, sats, command, params, execute, why) -> None:
        ok, reason = execute(command, sats, params)
        for s in sats.tolist():
            self._event(t, s, "autonomy", command, 0, None, why if ok else f"{why} (refused: {reason})", onboard=True)

    def _event(self, t, sat, kind, parameter, level, value, detail, *, onboard=False, ground_s=None) -> None:
        if ground_s is None and onboard:
            from orbitcloud.ops.ttc.commands import downlink_time

            ground_s = downlink_time(self.access, int(sat), float(t), self.relays)
        self.events.append({"t_s": float(t), "ground_s": None if ground_s is None or not math.isfinite(ground_s) else float(ground_s),
                            "satellite": int(sat), "kind": kind, "parameter": parameter, "level": ("nominal", "yellow", "red")[int(level)],
                            "value": value, "detail": detail})

    # ------------------------------------------------------------------ results

    def latest(self) -> dict[str, np.ndarray]:
        """What the ground knows now: per satellite the newest sample's time and values."""
        out = {"satellite": np.arange(self.n), "name": np.asarray(self.names, dtype=object), "sample_s": self.store.last_t.copy()}
        for i, p in enumerate(self.params):
            out[p] = self.store.last_vals[:, i].astype(np.float64)
        return out

    def archive(self) -> dict[str, np.ndarray]:
        """The whole ground archive: every delivered sample (satellite, sample and ground times, values)."""
        return self.archive_since(0)[0]

    def archive_since(self, cursor: int = 0) -> tuple[dict[str, np.ndarray], int]:
        """The ground archive's rows delivered since ``cursor`` (0: all) and the cursor to pass next
        time (the service writes each tick's new rows to its database; added for it)."""
        every = self._archive_parts
        parts, end = every[cursor:], len(every)
        if not parts:
            return {"sat": np.zeros(0, np.int64), "t_sample_s": np.zeros(0), "t_ground_s": np.zeros(0),
                    "values": np.zeros((0, len(self.params)), np.float32)}, end
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}, end

    def summary(self) -> dict[str, Any]:
        """Per shell: commandable shares, command latency (probes) p50/p99 direct and with relays,
        telemetry age p50/p99/max; per station: antenna utilisation, passes served and unserved;
        totals: packets rejected, alarms raised, telemetry lost, onboard actions."""
        n_steps_t = self.spec.n_steps * self.spec.step_s
        direct_s = self.access.direct_cumulative(np.array([n_steps_t]))[0]
        _, reach_share = self.access.reachable_share()
        ticks = min(self._tick, self.n_ticks)
        shells = []
        for s in self.fleet.shells:
            sl = slice(s.start, s.stop)
            ages = self.ages[:ticks, sl].astype(np.float64).ravel()
            ld, lr = self.lat_direct[:, sl].ravel(), self.lat_relay[:, sl].ravel()
            shells.append({
                "shell": s.name, "satellites": s.stop - s.start,
                "commandable_direct_fraction": round(float(direct_s[sl].mean() / n_steps_t), 6) if n_steps_t else None,
                "commandable_with_relays_fraction": round(float(np.maximum(reach_share[sl], direct_s[sl] / n_steps_t).mean()), 6),
                "command_latency_direct_p50_s": _pct(ld, 50), "command_latency_direct_p99_s": _pct(ld, 99),
                "command_latency_relay_p50_s": _pct(lr, 50), "command_latency_relay_p99_s": _pct(lr, 99),
                "command_unreached_direct_fraction": round(float(np.mean(~np.isfinite(ld))), 6) if ld.size else None,
                "command_unreached_relay_fraction": round(float(np.mean(~np.isfinite(lr))), 6) if lr.size else None,
                "telemetry_age_p50_s": _pct(ages, 50), "telemetry_age_p99_s": _pct(ages, 99),
                "telemetry_age_max_s": round(float(np.nanmax(ages)), 3) if ages.size and np.isfinite(ages).any() else None,
            })
        per = self.schedule.per_station(self.contacts, self.net, n_steps_t)
        stations = [{"station": nm, "antennas": int(self.net.antennas[i]), "passes": int(np.sum(self.contacts.station == i)),
                     "served": int(per["served"][i]), "unserved": int(per["unserved"][i]),
                     "antenna_utilisation": round(float(per["utilisation"][i]), 6)} for i, nm in enumerate(self.net.stations.names)]
        kinds = [e["kind"] for e in self.events]
        hist = self.book.rows
        return {
            "stations": stations, "shells": shells,
            "passes": len(self.contacts), "passes_unserved": int(np.sum(~self.schedule.served)),
            "relays": self.relays, "packets_rejected": self.rejected,
            "commands": len(hist), "commands_completed": sum(r["status"] == "completed" for r in hist),
            "commands_failed": sum(r["status"] in ("failed", "rejected") for r in hist),
            "alarms_raised": kinds.count("alarm_raised"), "alarms_cleared": kinds.count("alarm_cleared"),
            "stored_limit_violations": self.stored_violations, "autonomy_actions": kinds.count("autonomy"),
            "telemetry_packets_delivered": int(self.store.delivered.sum()), "telemetry_packets_lost": int(self.store.lost.sum()),
            "telemetry_packets_onboard": int(self.store.stored().sum()), "hk_packet_bytes": self.hk_bytes,
            "store_packets": self.store.cap, "housekeeping_every_s": self.hk_dt, "notes": list(self.notes),
        }

    def tables(self) -> dict[str, dict[str, np.ndarray]]:
        """Column dicts (times in s from the start; the writer makes them UTC): ``ttc_contacts``,
        ``ttc_commands``, ``ttc_telemetry``, ``ttc_events``, ``ttc_freshness``."""
        c, sch, net = self.contacts, self.schedule, self.net
        names = np.asarray(self.names, dtype=object)
        st_names = np.asarray(net.stations.names, dtype=object)
        out: dict[str, dict[str, np.ndarray]] = {}
        out["ttc_contacts"] = {
            "station": st_names[c.station], "satellite": c.sat.astype(np.int64), "satellite_name": names[c.sat],
            "rise_s": c.start_s, "set_s": c.end_s, "start_clipped": c.start_clipped, "end_clipped": c.end_clipped,
            "duration_s": np.round(c.end_s - c.start_s, 3), "max_elevation_deg": np.round(c.max_elevation_deg, 3),
            "antenna": sch.antenna.astype(np.int64), "served": sch.served, "reason": np.asarray(sch.reason, dtype=object),
            "uplink_bps": self.contact_rates[0], "downlink_bps": self.contact_rates[1],
        }
        import json

        hist = self.book.history()
        cols = {k: [r[k] for r in hist] for k in self.book.FIELDS}
        cols["params"] = [json.dumps(p, sort_keys=True) for p in cols["params"]]
        cols["satellite_name"] = [self.names[s] for s in cols["satellite"]]
        out["ttc_commands"] = {k: np.asarray(v, dtype=object) if k in ("id", "command", "params", "source", "path", "reason", "status", "satellite_name")
                               else np.asarray([np.nan if x is None else x for x in v], dtype=np.float64) for k, v in cols.items()}
        out["ttc_commands"]["satellite"] = np.asarray(cols["satellite"], dtype=np.int64)
        rows = self.archive()
        tel = {"satellite": rows["sat"].astype(np.int64), "sample_s": rows["t_sample_s"], "ground_s": rows["t_ground_s"]}
        for i, p in enumerate(self.params):
            tel[p] = rows["values"][:, i]
        out["ttc_telemetry"] = tel
        ev = self.events
        out["ttc_events"] = {
            "t_s": np.asarray([e["t_s"] for e in ev], np.float64),
            "ground_s": np.asarray([np.nan if e["ground_s"] is None else e["ground_s"] for e in ev], np.float64),
            "satellite": np.asarray([e["satellite"] for e in ev], np.int64),
            "kind": np.asarray([e["kind"] for e in ev], dtype=object), "parameter": np.asarray([e["parameter"] for e in ev], dtype=object),
            "level": np.asarray([e["level"] for e in ev], dtype=object),
            "value": np.asarray([np.nan if e["value"] is None else e["value"] for e in ev], np.float64),
            "detail": np.asarray([e["detail"] for e in ev], dtype=object),
        }
        ticks = min(self._tick, self.n_ticks)
        fr: dict[str, list] = {"t_s": [], "shell": [], "age_p50_s": [], "age_max_s": [], "commandable_direct": [], "commandable_with_relays": []}
        inside = self.access.in_contact(self.tick_t[:ticks])
        if self.relays:
            idx = np.array([self.access.relay_index(t) for t in self.tick_t[:ticks]], np.int64)
            reach = np.isfinite(self.access.relay_latency_s[idx]) | inside
        else:
            reach = inside
        for s in self.fleet.shells:
            sl = slice(s.start, s.stop)
            a = self.ages[:ticks, sl].astype(np.float64)
            fr["t_s"].append(self.tick_t[:ticks])
            fr["shell"].append(np.full(ticks, s.name, dtype=object))
            fr["age_p50_s"].append(np.nanmedian(a, axis=1) if a.size else np.zeros(ticks))
            fr["age_max_s"].append(np.nanmax(a, axis=1) if a.size else np.zeros(ticks))
            fr["commandable_direct"].append(inside[:, sl].mean(axis=1))
            fr["commandable_with_relays"].append(reach[:, sl].mean(axis=1))
        out["ttc_freshness"] = {k: np.concatenate(v) if v else np.zeros(0) for k, v in fr.items()}
        return out

    def ion_plan(self, path) -> None:
        from orbitcloud.network.contact_files import write_ion_contact_plan

        owlt = np.maximum(1, np.ceil(self.access.ground_light_s[self.contacts.sat])).astype(np.int64) if len(self.contacts) else None
        write_ion_contact_plan(path, self.contacts, self.schedule, net=self.net, n_sat=self.n, sat_names=self.names, owlt_s=owlt,
                               rates=self.contact_rates)


def _contact_rates(loaded, fleet, net, contacts) -> tuple[np.ndarray, np.ndarray]:
    """``(uplink_bps, downlink_bps)`` per pass: the stations' fixed rates, or with ``ground.link_budget``
    the pass-mean rates of its budgeted directions (``docs/link_budget.md``)."""
    ground = loaded.scenario.ground
    st = np.asarray(contacts.station, dtype=np.int64)
    if ground is None or ground.link_budget is None:
        return np.asarray(net.uplink_bps, np.float64)[st], np.asarray(net.downlink_bps, np.float64)[st]
    from orbitcloud.fleet.build import mean_altitude_km
    from orbitcloud.network.ground import ground_budget
    from orbitcloud.network.link_budget import pass_rates_bps

    try:
        budget = ground_budget(ground, label=f"{loaded.label}: ground")
    except OrbitcloudError as exc:
        raise ScenarioError(str(exc)) from None
    return pass_rates_bps(budget, contacts, net, mean_altitude_km(fleet) * 1000.0)
