"""The live twin: a :class:`Simulation` you advance, inspect and command, and the one time loop of the
package (``orbitcloud run``, ``orbitcloud net``, the service and sweeps all go through it).

A simulation owns every time-stepped part of a run, each advanced to the same step by
:meth:`Simulation.advance`: the satellite blocks (orbits, sunlight, radiation and faults, the power and
thermal bus; :class:`~orbitcloud.sim.driver.FleetRunner`), the workload layer (inside the block, when
the scenario has ``workloads:``) and the network summary (:class:`~orbitcloud.network.summary.NetworkSummary`).
Every part reduces in time order and is invariant to how the run is cut, so advancing in any increments
gives the same bits as one ``advance`` over the whole run; actions (:mod:`orbitcloud.sim.actions`)
apply at step boundaries and are recorded with their time. ``docs/python.md`` is the user guide.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.sim import actions as A
from orbitcloud.sim.setup import RunOptions, _duration_option, bus_params, prepare, radiation_block, shell_designs

__all__ = ["Simulation"]

UTC = dt.timezone.utc
_OPTION_NAMES = tuple(f.name for f in dataclasses.fields(RunOptions))


def _iso(d: dt.datetime) -> str:
    return d.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


class Simulation:
    """A scenario as a live twin (see the module docstring).

    Args:
        scenario: a built-in name (``orbitcloud scenarios``), a YAML file path, YAML text or a mapping.
        **options: as ``orbitcloud run``: ``start``, ``duration``, ``step``, ``propagator``, ``out``,
            ``workers``, ``eclipses``, ``record``, ``bus``, ``radiation``, ``network``, ``workloads``,
            ``policy`` (:class:`~orbitcloud.sim.setup.RunOptions`).

    Raises:
        OrbitcloudError: one line naming the option or scenario key, the value and what was expected.
    """

    def __init__(self, scenario: Any, *, _physics: bool = True, **options: Any) -> None:
        # _physics=False: no satellite blocks (orbits, sunlight, bus): for `orbitcloud net`
        unknown = sorted(set(options) - set(_OPTION_NAMES))
        if unknown:
            raise OrbitcloudError(f"Simulation: unknown option {unknown[0]!r}; options: {', '.join(_OPTION_NAMES)}")
        opts = RunOptions(**options)
        if opts.out is not None:
            opts.out = Path(opts.out)
            if opts.out.exists() and not opts.out.is_dir():
                raise OrbitcloudError(f"--out {opts.out}: exists and is not a directory")
        if opts.policy is not None:
            from orbitcloud.ops.policies import check_policy

            check_policy(opts.policy)
        if opts.serving is not None:
            from orbitcloud.ops.policies import check_serving

            check_serving(opts.serving)
        self._wall0 = time.perf_counter()
        prep = prepare(scenario, opts)
        self._prep = prep
        from orbitcloud import accel

        accel.set_run_size(len(prep.fleet) * prep.spec.n_steps if _physics else None)
        self.loaded, self.fleet, self.spec = prep.loaded, prep.fleet, prep.spec
        sc = self.loaded.scenario
        self.notes: list[str] = []
        want_workloads = opts.workloads and sc.workloads is not None
        if want_workloads and not opts.bus:
            want_workloads = False
            self.notes.append("workloads off: they run on the bus, which --no-bus turns off")
        if opts.policy is not None and not want_workloads:
            raise OrbitcloudError(f"--policy {opts.policy}: the run has no workloads to place"
                                  + ("" if sc.workloads is not None else " (the scenario has no workloads: section)"))
        if opts.serving is not None and not (want_workloads and sc.workloads.inference is not None):
            raise OrbitcloudError(f"--serving {opts.serving}: the run has no LLM serving (workloads.inference) to run")
        self._pool = None
        if _physics:
            from orbitcloud.sim.driver import pool_workers, start_pool

            n_workers = pool_workers(len(self.fleet), self.spec, opts.workers, want_workloads, opts.executor)
            if n_workers:
                self._pool = start_pool(n_workers)  # its workers start while the run is set up
        try:
            self.designs = shell_designs(self.loaded) if opts.bus else [None] * len(sc.constellation)
            self._life = None
            if sc.orbit_life is not None:
                from orbitcloud.sim import orbit_life

                self._life = orbit_life.plan(self.loaded, self.fleet, self.designs if opts.bus else shell_designs(self.loaded),
                                             prep.start, prep.duration_s, self.spec.n_steps, with_bus=opts.bus)
                if sc.orbit_life.station_keeping is not None and not opts.bus:
                    self.notes.append("station-keeping off: its thrusters draw on the bus, which --no-bus turns off; "
                                      "the satellites decay freely")
                self.notes.extend(orbit_life.reentry_notes(self._life, self.fleet, prep.duration_s))
            self._bus = bus_params(self.fleet, self.designs)
            if self._bus is not None and self._life is not None and self._life.sk is not None:
                self._bus.sk = self._life.sk
            self._rad = radiation_block(self.loaded, self.fleet, self.designs, self.spec.step_s) if opts.radiation else None
            self._ctl = None
            if want_workloads:
                from orbitcloud.ops.controller import WorkloadController

                self._ctl = WorkloadController(self.loaded, self.fleet, self.spec, self._bus, self.designs, opts.policy,
                                               serving=opts.serving)
            from orbitcloud.sim.driver import FleetRunner

            self._runner = FleetRunner(self.fleet, self.spec, workers=opts.workers, bus=self._bus, rad=self._rad, ctl=self._ctl,
                                       executor=opts.executor, address=opts.address, pool=self._pool) if _physics else None
        except BaseException:
            if self._pool is not None:  # set-up failed: stop the workers started for it
                self._pool.shutdown(wait=False, cancel_futures=True)
            raise
        self._components: list = []
        self._net = None
        self._net_wall_s = 0.0
        if opts.network and (sc.ground is not None or sc.network is not None):
            from orbitcloud.network.summary import NetworkSummary

            self._net = NetworkSummary(self.loaded, self.fleet, self.spec)
            ctl = self._ctl
            # the workload layer routes the same network every step: the summary takes its routing
            if (ctl is not None and ctl.needs_routing and ctl.route_every == 1 and self._net.stride == 1
                    and len(ctl.ns.stations) >= len(self._net.stations)):
                ctl.net_feed = self._net.feed
            # one block in this process: the summary takes its positions instead of propagating again
            if self._runner is not None and len(self._runner.runners) == 1:
                self._runner.runners[0].position_sink = self._net.take
        self.opts = opts
        self.k = 0
        self._actions: list[dict[str, Any]] = []
        n = len(self.fleet)
        self._cap = np.ones(n)
        self._safe = np.zeros(n, bool)
        self._down = np.full(n, -np.inf)
        self._have_cap = self._have_safe = self._have_down = False
        self._sim_wall_s = 0.0
        self._finished = None
        self._names: dict[str, int] | None = None
        self._ttc = None
        want_ttc = opts.ttc if opts.ttc is not None else sc.ttc is not None
        if want_ttc and _physics:
            from orbitcloud.sim.ttc_bridge import make_ttc

            t0 = time.perf_counter()
            self._ttc = make_ttc(self)
            self._ttc_setup_s = time.perf_counter() - t0

    # ------------------------------------------------------------------ time

    @property
    def start(self) -> dt.datetime:
        """Start of the run (UTC)."""
        return self._prep.start.replace(tzinfo=UTC)

    @property
    def step_s(self) -> float:
        """The fixed time step [s]."""
        return self.spec.step_s

    @property
    def steps(self) -> int:
        """Steps in the whole run."""
        return self.spec.n_steps

    @property
    def now(self) -> dt.datetime:
        """Simulated time (UTC): the start of the next step."""
        return self.start + dt.timedelta(seconds=self.k * self.spec.step_s)

    @property
    def end(self) -> dt.datetime:
        """End of the run (UTC): the end of its last step."""
        return self.start + dt.timedelta(seconds=self.spec.n_steps * self.spec.step_s)

    @property
    def done(self) -> bool:
        """True once every step has run."""
        return self.k >= self.spec.n_steps

    def _steps_to(self, x: Any) -> int:
        """The step index that ``advance(x)`` reaches (see :meth:`advance`)."""
        if isinstance(x, (dt.datetime, np.datetime64)) or (isinstance(x, str) and ("T" in x or x.count("-") >= 2)):
            from orbitcloud.scenario.schema import parse_epoch

            try:
                when = parse_epoch(x.astype("datetime64[us]").item() if isinstance(x, np.datetime64) else x)
            except ValueError as exc:
                raise OrbitcloudError(f"advance: {exc}") from None
            dt_s = (when - self._prep.start).total_seconds()
            k = math.ceil(dt_s / self.spec.step_s - 1e-9)
            if k < self.k:
                raise OrbitcloudError(f"advance: {_iso(when)} is before the simulated time {_iso(self._prep.start + dt.timedelta(seconds=self.k * self.spec.step_s))}")
            if k > self.spec.n_steps:
                raise OrbitcloudError(f"advance: {_iso(when)} is after the end of the run, {_iso(self.end.replace(tzinfo=None))}")
            return k
        from orbitcloud.scenario import parse_duration_s

        try:
            dur_s = parse_duration_s(x)
        except ValueError as exc:
            raise OrbitcloudError(f"advance: {exc}") from None
        if dur_s < 0:
            raise OrbitcloudError(f"advance: a duration must not be negative, got {x!r}")
        return min(self.spec.n_steps, self.k + math.ceil(dur_s / self.spec.step_s - 1e-9))

    def advance(self, x: Any = None, *, steps: int | None = None, progress: Callable[[int], None] | None = None) -> dt.datetime:
        """Advance simulated time; returns :attr:`now`.

        ``x``: a duration (``"10min"``, ``"1.5h"``, seconds) or a time to advance to (a datetime, naive
        taken as UTC, or ISO 8601 text); or ``steps=n``; nothing: to the end. Time moves in whole steps,
        to the first step boundary at or after the target; a duration past the end stops at the end, a
        time past the end is an error. ``progress`` is called with the satellite-steps done.
        """
        if self._finished is not None:
            raise OrbitcloudError("advance: the simulation has finished; start a new Simulation")
        if steps is not None and x is not None:
            raise OrbitcloudError("advance: give a duration or time, or steps=, not both")
        if steps is not None:
            if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
                raise OrbitcloudError(f"advance: steps must be a whole number >= 0, got {steps!r}")
            k_to = min(self.spec.n_steps, self.k + int(steps))
        elif x is None:
            k_to = self.spec.n_steps
        else:
            k_to = self._steps_to(x)
        if k_to > self.k:
            if self._ttc is not None:
                from orbitcloud.sim import ttc_bridge

                ttc_bridge.advance(self, k_to, progress, lambda k: self._advance_parts(k, progress))
            else:
                self._push_actions()
                self._advance_parts(k_to, progress)
                self.k = k_to
        return self.now

    def _advance_parts(self, k_to: int, progress) -> None:
        t0 = time.perf_counter()
        if self._runner is not None:
            self._runner.advance(k_to, progress)
        t1 = time.perf_counter()
        if self._net is not None:
            self._net.advance(k_to)
        for part in self._components:
            part.advance(k_to)
        self._sim_wall_s += t1 - t0
        self._net_wall_s += time.perf_counter() - t1

    def attach(self, part) -> None:
        """Advance ``part`` (anything with ``advance(k_to)`` and a step counter ``k``) with the rest of
        the simulation from now on; it must be at the simulation's step."""
        if getattr(part, "k", self.k) != self.k:
            raise OrbitcloudError(f"attach: the part is at step {part.k}, the simulation at {self.k}")
        self._components.append(part)

    # ------------------------------------------------------------------ actions

    def _push_actions(self) -> None:
        """Hand the operator's limits to the blocks (each holds its slice)."""
        if not (self._have_cap or self._have_safe or self._have_down) or self._runner is None:
            return
        bus = self._bus
        cap = np.where(self._safe, 0.0, self._cap) if (self._have_cap or self._have_safe) else None
        bus_w = np.where(self._safe, bus.p["bus_min_w"], bus.p["bus_w"]) if (self._have_safe and bus is not None) else None
        down = self._down if self._have_down else None
        for r in self._runner.runners:
            a, z = r.sl.start, r.sl.stop
            r.cap = None if cap is None else cap[a:z].copy()
            r.bus_w = None if bus_w is None else bus_w[a:z].copy()
            r.down_until_s = None if down is None else down[a:z].copy()

    def _name_index(self) -> dict[str, int]:
        if self._names is None:
            self._names = {name: i for i, name in enumerate(self.fleet.names())}
        return self._names

    def _select(self, where: str, satellites: A.Satellites, shell: str | None) -> np.ndarray:
        """Global indices of the satellites an action names."""
        n = len(self.fleet)
        if shell is not None:
            names = [s.name for s in self.fleet.shells]
            if shell not in names:
                raise OrbitcloudError(f"{where}.shell: unknown shell {shell!r}; shells: {', '.join(names)}")
            info = self.fleet.shells[names.index(shell)]
            return np.arange(info.start, info.stop, dtype=np.int64)
        if satellites is None:
            return np.arange(n, dtype=np.int64)
        items = [satellites] if isinstance(satellites, (int, str)) else list(satellites)
        out = []
        for s in items:
            if isinstance(s, str):
                idx = self._name_index().get(s)
                if idx is None:
                    raise OrbitcloudError(f"{where}.satellites: no satellite named {s!r} (names like {self.fleet.name(0)!r})")
                out.append(idx)
            else:
                if s >= n:
                    raise OrbitcloudError(f"{where}.satellites: index {s} is outside 0..{n - 1}")
                out.append(int(s))
        return np.unique(np.asarray(out, dtype=np.int64))

    def _need_ctl(self, where: str):
        if self._ctl is None:
            why = "the run has no workloads" if self.loaded.scenario.workloads is not None else "the scenario has no workloads: section"
            raise OrbitcloudError(f"{where}: needs the workload layer; {why}")
        return self._ctl

    def act(self, action: A.Action) -> str | None:
        """Apply ``action`` at the current step boundary; returns the id of work it adds (else None).

        Raises :class:`OrbitcloudError` naming the field and value, leaving the simulation unchanged,
        when the action does not fit this scenario."""
        if self._finished is not None:
            raise OrbitcloudError("act: the simulation has finished")
        if not isinstance(action, A.Action):
            raise OrbitcloudError(f"act: expected an action (orbitcloud.PowerCap, SafeMode, ...), got {type(action).__name__}")
        where = type(action).__name__
        t_s = self.k * self.spec.step_s
        work = None
        target = "fleet"
        if isinstance(action, (A.PowerCap, A.SafeMode, A.Reboot)):
            sel = self._select(where, action.satellites, action.shell)
            target = action.shell if action.shell is not None else ("all" if action.satellites is None else f"{sel.size} satellites")
            if self._bus is None and not isinstance(action, A.Reboot):
                raise OrbitcloudError(f"{where}: the run has no bus (no shell has hardware, or bus=False)")
            if isinstance(action, A.PowerCap):
                self._cap[sel] = action.fraction
                self._have_cap = True
            elif isinstance(action, A.SafeMode):
                self._safe[sel] = action.on
                self._have_safe = True
                if self._ctl is not None:
                    self._ctl.set_safe(sel, action.on)
            else:
                self._down[sel] = np.maximum(self._down[sel], t_s + self._reboot_s(sel))
                self._have_down = True
                if self._ctl is not None:
                    self._ctl.on_reboot(sel, t_s)
        elif isinstance(action, A.SetPolicy):
            self._need_ctl(where).set_policy(action.policy)
            target = action.policy
        elif isinstance(action, A.AddInference):
            work = self._need_ctl(where).add_inference(action, t_s)
            target = action.city or action.name or f"{action.lat_deg:g},{action.lon_deg:g}"
        elif isinstance(action, A.AddTraining):
            work = self._need_ctl(where).add_training(action, t_s)
            target = action.job.get("shell") or "first shell with accelerators"
        elif isinstance(action, A.AddEOTarget):
            work = self._need_ctl(where).add_eo_target(action, t_s)
            target = action.name or f"{action.lat_deg:g},{action.lon_deg:g}"
        elif isinstance(action, A.CancelWork):
            self._need_ctl(where).cancel(action.work, t_s)
            target = action.work
        else:  # pragma: no cover - every Action subclass is handled above
            raise OrbitcloudError(f"act: {where} is not supported")
        self._actions.append({"t_s": t_s, "step": self.k, "action": action.kind, "target": target,
                              "detail": action.detail(), "work": work if work is not None else (action.work if isinstance(action, A.CancelWork) else None)})
        return work

    # ------------------------------------------------------------------ TT&C

    @property
    def ttc(self):
        """The TT&C layer (:class:`~orbitcloud.ops.ttc.layer.TtcLayer`; None when off)."""
        return self._ttc

    def command(self, satellite: int | str, command: str, params: dict | None = None, *, time_tag: Any = None) -> dict[str, Any]:
        """Send a telecommand through the TT&C layer now (``docs/ttc.md``): it goes up at the
        satellite's first contact or relay path and runs onboard at ``time_tag`` (a time or a
        duration from now; None: on arrival). Returns its command-history row (``ttc.book.history``
        has every stage as the run goes). Raises :class:`OrbitcloudError` for an unknown satellite
        or command, bad parameters, a time tag in the past, or a run without TT&C."""
        if self._ttc is None:
            raise OrbitcloudError("command: the run has no TT&C layer (add a ttc: section or pass ttc=True)")
        t_s = self.k * self.spec.step_s
        tag = None
        if time_tag is not None:
            if isinstance(time_tag, (str, int, float)) and not isinstance(time_tag, bool) and not (isinstance(time_tag, str) and "T" in time_tag):
                tag = t_s + _duration_option(time_tag, "time_tag")
            else:
                tag = self._steps_to_s(time_tag)
        return self._ttc.issue(satellite, command, params, time_tag_s=tag, t_s=t_s)

    def _steps_to_s(self, when: Any) -> float:
        """Seconds from the start of a datetime or ISO 8601 time (naive: UTC)."""
        if isinstance(when, str):
            try:
                when = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
            except ValueError:
                raise OrbitcloudError(f"time_tag: {when!r} is not an ISO 8601 time or a duration") from None
        if not isinstance(when, dt.datetime):
            raise OrbitcloudError(f"time_tag: {when!r} is not a time or a duration")
        if when.tzinfo is not None:
            when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return (when - self.start.replace(tzinfo=None)).total_seconds()

    def _reboot_s(self, sel: np.ndarray) -> np.ndarray:
        """Reboot time [s] of each satellite's accelerators: its fault model's SEFI recovery."""
        from orbitcloud.ops.faults import resolve_faults

        out = np.zeros(sel.size)
        shells = self.loaded.scenario.constellation
        per_shell = {}
        for i, shell in enumerate(shells):
            comp = shell.hardware.compute if shell.hardware is not None else None
            per_shell[i] = 0.0 if comp is None or comp.count == 0 else float(resolve_faults(comp.accelerator, comp.faults).sefi.recovery_s)
        si = self.fleet.shell_index[sel]
        for i, v in per_shell.items():
            out[si == i] = v
        return out

    @property
    def actions(self) -> list[dict[str, Any]]:
        """The actions taken so far, in order (time [s from the start], step, action, target, detail, work)."""
        return [dict(a) for a in self._actions]

    # ------------------------------------------------------------------ state

    def state(self):
        """A per-satellite snapshot at :attr:`now` as a pyarrow Table (``docs/python.md`` lists the
        columns): position, sunlight, battery, temperature, compute delivered in the last step and
        nameplate, devices, the operator's limits and the current work."""
        from orbitcloud.sim.snapshot import snapshot

        return snapshot(self)

    def compute_delivered_j(self) -> np.ndarray:
        """Per satellite, the compute energy its accelerators have drawn since the start [J] (the
        bus's delivered compute: what power, heat, faults and the operator allowed); zeros without a
        bus. Divided by an accelerator's power it is accelerator-seconds at full power."""
        n = len(self.fleet)
        if self._bus is None or self._runner is None:
            return np.zeros(n)
        return np.concatenate([r.bus_tot.sums["compute"] for r in self._runner.runners]) * self.spec.step_s

    # ------------------------------------------------------------------ the end

    def finish(self):
        """Reduce the run into a :class:`~orbitcloud.results.Result` (and write ``out`` when given).

        A simulation not advanced to the end is finished where it stands (its summary covers the
        steps run). Calling it again returns the same result."""
        if self._finished is not None:
            return self._finished
        if self.k == 0:
            raise OrbitcloudError("finish: no step has run; advance() first")
        if self._runner is None:
            raise OrbitcloudError("finish: this simulation steps no satellites (orbitcloud net reads its parts)")
        from orbitcloud.sim.finish import finish

        try:
            self._finished = finish(self)
        finally:
            self._runner.close()
        return self._finished

    def close(self) -> None:
        """Stop worker processes (finish() does it too)."""
        if self._runner is not None:
            self._runner.close()

    def __repr__(self) -> str:
        return (f"<Simulation {self.loaded.scenario.name!r}: {len(self.fleet):,} satellites, step {self.k:,} of "
                f"{self.spec.n_steps:,} ({_iso(self.now.replace(tzinfo=None))})>")
