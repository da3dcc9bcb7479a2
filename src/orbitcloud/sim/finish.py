"""The end of a run: the summary, the tables and the results directory of a :class:`Simulation`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from orbitcloud import __version__


def _iso(d: dt.datetime) -> str:
    return d.replace(tzinfo=dt.timezone.utc).isoformat().replace("+00:00", "Z")


def finish(sim):
    """Build the :class:`~orbitcloud.results.Result` of ``sim`` at the step it has reached."""
    from orbitcloud.results import RESULTS_LAYOUT_VERSION, write_results
    from orbitcloud.results import writer as W
    from orbitcloud.results.result import Result
    from orbitcloud.sim.summary import build_summary

    fleet, prep = sim.fleet, sim._prep
    spec = sim.spec if sim.k == sim.spec.n_steps else dataclasses.replace(sim.spec, n_steps=sim.k)
    result = sim._runner.result()
    duration_s = sim.k * sim.spec.step_s
    meta: dict[str, Any] = {
        "orbitcloud_version": __version__,
        "results_layout_version": RESULTS_LAYOUT_VERSION,
        "scenario": sim.loaded.scenario.name,
        "source": sim.loaded.label,
        "epoch": _iso(sim.loaded.scenario.epoch),
        "start": _iso(prep.start),
        "duration_s": duration_s if sim.k < sim.spec.n_steps else prep.duration_s,
    }
    if sim.k < sim.spec.n_steps:
        meta["finished_early_at_step"] = sim.k
    summary = build_summary(fleet, spec, result, meta, sim.designs, sim._rad)
    life = getattr(sim, "_life", None)
    conj_cols = None
    if life is not None:
        from orbitcloud.sim import orbit_life

        summary["orbit_life"] = orbit_life.figures(life, fleet, spec, result, sim.designs if sim.opts.bus else
                                                   [None] * len(fleet.shells), summary["duration_s"])
        conj, conj_cols = orbit_life.conjunctions(sim.loaded, fleet, prep.start, summary["duration_s"], life)
        if conj is not None:
            summary["orbit_life"]["conjunctions"] = conj
    else:
        summary["orbit_life"] = None
    contacts = None
    if sim._net is not None:
        import time

        t0 = time.perf_counter()
        summary["network"], contacts = sim._net.finish()
        summary["network"]["wall_time_s"] = round(sim._net_wall_s + time.perf_counter() - t0, 3)
    else:
        summary["network"] = None
    ctl = sim._ctl
    start_ns = int(np.datetime64(prep.start, "ns").astype(np.int64))
    tables: dict[str, Any] = {}
    window_s = max(spec.t_last_s, spec.step_s)
    tables["satellites"] = lambda: W.satellites_table(fleet, result, window_s, spec.step_s, spec.n_steps)
    if result.events is not None:
        tables["eclipses"] = lambda: W.eclipses_table(start_ns, result.events)
    if contacts is not None:
        tables["contacts"] = lambda: W.contacts_table(start_ns, *contacts)
    if result.fault_events is not None:
        tables["faults"] = lambda: W.faults_table(start_ns, result.fault_events)
    if life is not None and conj_cols is not None:
        tables["conjunctions"] = lambda: W.columns_table_arrow(conj_cols)
    if life is not None:
        tables["altitude"] = lambda: W.columns_table(orbit_life.altitude_table(start_ns, life, fleet, spec, result, summary["duration_s"]))
    if result.records is not None:
        tables["timeseries"] = lambda: W.timeseries_table(start_ns, spec.step_s, result.records)
    if sim._actions:
        acts = sim.actions
        tables["actions"] = lambda: W.actions_table(start_ns, acts)
    if ctl is not None:
        summary["workloads"] = ctl.summary()
        req = ctl.requests_table()
        if req is not None:
            tables["requests"] = lambda: W.columns_table(req)
        timeline = ctl.timeline_table()
        tables["workload_timeline"] = lambda: W.columns_table(timeline)
    else:
        summary["workloads"] = None
    if sim._ttc is not None:
        import time as _time

        t0 = _time.perf_counter()
        ttc = sim._ttc
        summary["ttc"] = ttc.summary()
        tt = ttc.tables()
        tables["contacts"] = lambda: W.ttc_contacts_table(start_ns, tt["ttc_contacts"])
        for name in ("ttc_commands", "ttc_telemetry", "ttc_events", "ttc_freshness"):
            tables[name] = (lambda cols: lambda: W.seconds_table(start_ns, cols))(tt[name])
        tables["contact_plan_ion"] = lambda: ttc.ion_plan
        summary["ttc"]["wall_time_s"] = round(getattr(sim, "_ttc_setup_s", 0.0) + _time.perf_counter() - t0, 3)
    else:
        summary["ttc"] = None
    summary["actions"] = len(sim._actions)
    summary["limits"] = _limits(summary)
    batch = (summary.get("workloads") or {}).get("batch")
    if summary["limits"] is not None and batch is not None:
        # the idle capacity of satellites that had batch work waiting but no laser link to fetch it
        nameplate = sum(sh["bus"]["compute_nameplate_ops"] or 0.0 for sh in summary["shells"] if sh.get("bus"))
        share = min(batch["no_link_ops"] / nameplate, summary["limits"]["no_work"]) if nameplate else 0.0
        summary["limits"]["no_link"] = round(share, 6)
        summary["limits"]["no_work"] = round(summary["limits"]["no_work"] - share, 6)
        lost = {k: v for k, v in summary["limits"].items() if k not in ("delivered", "main_limit")}
        summary["limits"]["main_limit"] = max(lost, key=lost.get) if any(v > 0 for v in lost.values()) else None
    if sim.notes:
        summary["notes"] = list(sim.notes)
    wall_s = sim._sim_wall_s
    total = len(fleet) * sim.k
    summary["wall_time_s"] = round(wall_s, 3)
    summary["satellite_steps_per_s"] = round(total / wall_s) if wall_s > 0 else None
    out = sim.opts.out
    if out is not None:
        write_results(Path(out), summary, sim.loaded.text, tables)
    return Result(summary, out, tables)


def _limits(summary: dict) -> dict | None:
    """What limited the fleet's compute, as shares of its nameplate [0-1]: delivered, and lost to power,
    heat, faults, the operator's limits, no work (idle) and the utilisation target (fleet figures of
    the shells with hardware)."""
    shells = [s for s in summary["shells"] if s.get("bus")]
    if not shells:
        return None
    name = 0.0
    parts = {"delivered": 0.0, "power": 0.0, "heat": 0.0, "faults": 0.0, "operator": 0.0, "no_work": 0.0, "no_link": 0.0,
             "not_targeted": 0.0}
    for s in shells:
        b = s["bus"]
        np_ops = b["compute_nameplate_ops"] or 0.0
        if not np_ops:
            continue
        name += np_ops
        frac = b["compute_delivered_fraction"] or 0.0
        util = b["utilisation_target"]
        parts["delivered"] += frac * np_ops
        parts["not_targeted"] += (1.0 - util) * np_ops
        for key, src in (("power", "throttled_fraction_power"), ("heat", "throttled_fraction_thermal"),
                         ("faults", "fault_loss_fraction"), ("operator", "operator_fraction"), ("no_work", "idle_fraction")):
            parts[key] += (b.get(src) or 0.0) * util * np_ops
    if not name:
        return None
    out = {k: round(v / name, 6) for k, v in parts.items()}
    lost = {k: v for k, v in out.items() if k not in ("delivered",)}
    out["main_limit"] = max(lost, key=lost.get) if any(v > 0 for v in lost.values()) else None
    return out
