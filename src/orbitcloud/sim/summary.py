"""The run summary: fleet-wide and per-shell figures from the per-satellite reductions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from orbitcloud.constants import WGS84_A_M
from orbitcloud.fleet import Fleet, mean_altitude_km
from orbitcloud.sim.driver import FleetResult
from orbitcloud.sim.engine import RunSpec


def _num(value: float | np.floating | int | None, digits: int = 6) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    v = float(value)
    if not math.isfinite(v):
        return None
    return round(v, digits)


def _figures(res: FleetResult, sel: slice, spec: RunSpec) -> dict[str, Any]:
    valid = int(res.n_valid[sel].sum())
    n = res.n_valid[sel].size
    window_s = max(spec.t_last_s, spec.step_s)
    # satellite-time with a valid position (decayed TLE satellites drop out), in satellite-windows
    sat_windows = valid / spec.n_steps
    longest = res.longest_dark_s[sel]
    beta_min = res.beta_min_rad[sel]
    beta_max = res.beta_max_rad[sel]
    return {
        "satellites": n,
        "sunlit_fraction": _num(res.illum_sum[sel].sum() / valid) if valid else None,
        "longest_eclipse_s": _num(longest.max() if n else 0.0, 3),
        "eclipses": int(res.n_eclipses[sel].sum()),
        "penumbral_only_passes": int(res.n_penumbral_only[sel].sum()) if res.n_penumbral_only is not None else 0,
        "eclipses_per_satellite_day": _num(res.n_eclipses[sel].sum() / sat_windows / (window_s / 86400.0), 4) if valid else None,
        "dark_fraction": _num(res.dark_s[sel].sum() / (sat_windows * window_s)) if valid else None,
        "umbra_fraction": _num(res.umbra_s[sel].sum() / (sat_windows * window_s)) if valid else None,
        "beta_min_deg": _num(np.degrees(np.nanmin(beta_min)), 3) if np.isfinite(beta_min).any() else None,
        "beta_max_deg": _num(np.degrees(np.nanmax(beta_max)), 3) if np.isfinite(beta_max).any() else None,
        "invalid_samples": int(n * spec.n_steps - valid),
    }


def _bus_figures(res: FleetResult, sel: slice, spec: RunSpec, design, r_over_re: float, sunlit: float | None) -> dict[str, Any]:
    """Power, thermal and compute figures of the satellites ``sel`` (one design)."""
    from orbitcloud.bus.closure import findings
    from orbitcloud.constants import ZERO_C_K

    b = res.bus
    s = {k: float(v[sel].sum()) * spec.step_s for k, v in b.sums.items()}  # J (or W x s)
    n = sel.stop - sel.start
    full_w = design.n_acc * design.p_acc_w
    ops_j = design.ops_per_s_acc / design.p_acc_w if design.p_acc_w > 0 else 0.0  # OP per J of compute
    duration_s = spec.n_steps * spec.step_s
    nameplate_ops = design.nameplate_ops_per_s * n * duration_s
    cap = design.capacity_j
    e_min = b.e_min_j[sel]
    out = {
        "design": design.name,
        "accelerator": design.accelerator,
        "accelerators_per_satellite": design.n_acc,
        "precision": design.precision,
        "utilisation_target": design.utilisation,
        "compute_power_w_per_satellite": full_w,
        "nameplate_ops_per_s": _num(design.nameplate_ops_per_s * n, 6),
        "energy_generated_j": _num(s["gen"], 1),
        "energy_used_j": _num(s["load"], 1),
        "energy_compute_j": _num(s["compute"], 1),
        "energy_curtailed_j": _num(s["curtailed"], 1),
        "energy_heater_j": _num(s["heater"], 1),
        "energy_battery_loss_j": _num(s["loss"], 1),
        "energy_bus_unmet_j": _num(s["bus_unmet"], 1),
        "compute_delivered_ops": _num(s["compute"] * ops_j, 1),
        "compute_nameplate_ops": _num(nameplate_ops, 1),
        "compute_delivered_fraction": _num(s["compute"] * ops_j / nameplate_ops) if nameplate_ops > 0 else None,
        "throttled_fraction": _num((s["thr_power"] + s["thr_thermal"]) / s["target"]) if s["target"] > 0 else None,
        "throttled_fraction_power": _num(s["thr_power"] / s["target"]) if s["target"] > 0 else None,
        "throttled_fraction_thermal": _num(s["thr_thermal"] / s["target"]) if s["target"] > 0 else None,
        "fault_loss_fraction": _num(s["fault_loss"] / s["target"]) if s["target"] > 0 else None,
        "operator_fraction": _num(s["operator"] / s["target"]) if s["target"] > 0 else None,
        "idle_fraction": _num(s["idle"] / s["target"]) if s["target"] > 0 else None,
        "soc_min": _num(e_min.min() / cap) if cap > 0 and n else None,
        "temperature_min_c": _num(b.t_min_k[sel].min() - ZERO_C_K, 3) if n else None,
        "temperature_max_c": _num(b.t_max_k[sel].max() - ZERO_C_K, 3) if n else None,
        "temperature_limit_c": _num(design.t_max_k - ZERO_C_K, 3),
        "mass_kg_per_satellite": _num(design.mass_kg, 3),
    }
    if b.ageing is not None:
        left = b.ageing["capacity_left"][sel]
        left = left[np.isfinite(left)]
        if left.size:
            cyc = b.ageing["cycles"][sel]
            cyc = cyc[np.isfinite(cyc)]
            out["battery_ageing"] = design.ageing
            out["battery_capacity_left_min"] = _num(float(left.min()))
            out["battery_capacity_left_mean"] = _num(float(left.mean()))
            out["battery_cycles_mean"] = _num(float(cyc.mean()), 3) if cyc.size else None
    found = findings(design, r_over_re, sunlit)
    if s["bus_unmet"] > 0:
        found.append(f"bus load not met: {s['bus_unmet'] / max(design.bus_w, 1e-300) / n:.0f} s per satellite without full bus power")
    out["findings"] = found
    return out


def build_summary(
    fleet: Fleet,
    spec: RunSpec,
    result: FleetResult,
    meta: dict[str, Any],
    designs: list | None = None,
    rad=None,
) -> dict[str, Any]:
    """Assemble the summary dict (JSON-ready: no NaN, SI units named in keys).

    ``designs`` (one resolved design or None per shell) adds the bus figures when the run had a bus.
    """
    everything = slice(0, len(fleet))
    out: dict[str, Any] = dict(meta)
    out.update(
        {
            "satellites": len(fleet),
            "steps": spec.n_steps,
            "step_s": spec.step_s,
            "propagator": spec.propagator,
        }
    )
    fig = _figures(result, everything, spec)
    fig.pop("satellites")
    out.update(fig)
    if len(fleet):
        worst = int(np.argmax(result.longest_dark_s))
        out["longest_eclipse_satellite"] = fleet.name(worst) if result.longest_dark_s[worst] > 0 else None
    alt_km = mean_altitude_km(fleet)
    shells = []
    for info in fleet.shells:
        sel = slice(info.start, info.stop)
        entry: dict[str, Any] = {"name": info.name, "kind": info.kind}
        entry.update(_figures(result, sel, spec))
        entry["mean_altitude_km_min"] = _num(alt_km[sel].min(), 3)
        entry["mean_altitude_km_max"] = _num(alt_km[sel].max(), 3)
        inc = np.degrees(fleet.inclo_rad[sel])
        entry["inclination_deg_min"] = _num(inc.min(), 4)
        entry["inclination_deg_max"] = _num(inc.max(), 4)
        design = designs[info.index] if designs else None
        if result.bus is not None and design is not None and info.count:
            r_over_re = 1.0 + float(alt_km[sel].mean()) * 1000.0 / WGS84_A_M
            entry["bus"] = _bus_figures(result, sel, spec, design, r_over_re, entry["sunlit_fraction"])
        else:
            entry["bus"] = None
        entry["radiation"] = _radiation_figures(result, sel, spec, rad) if result.dose_rad is not None and info.count else None
        shells.append(entry)
    out["shells"] = shells
    out["bus"] = _fleet_bus(shells)
    out["radiation"] = _fleet_radiation(result, spec, rad) if result.dose_rad is not None and len(fleet) else None
    return out


def _kind_counts(events: dict[str, np.ndarray], sel: slice) -> dict[str, int]:
    from orbitcloud.ops.faults import KINDS

    mask = (events["sat"] >= sel.start) & (events["sat"] < sel.stop)
    counts = np.bincount(events["kind"][mask].astype(np.int64), minlength=len(KINDS))
    return {name: int(counts[i]) for i, name in enumerate(KINDS)}


def _radiation_figures(res: FleetResult, sel: slice, spec: RunSpec, rad) -> dict[str, Any]:
    """Dose, faults and availability of the satellites ``sel``."""
    from orbitcloud.ops.faults import PERMANENT, TID_FAIL

    years = spec.n_steps * spec.step_s / (365.25 * 86400.0)
    dose = res.dose_rad[sel]
    n_dev = rad.n_devices[sel]
    device_years = float(n_dev.sum()) * years
    counts = _kind_counts(res.fault_events, sel)
    ev = res.fault_events
    mask = (ev["sat"] >= sel.start) & (ev["sat"] < sel.stop) & np.isin(ev["kind"], (TID_FAIL, PERMANENT))
    model = rad.models[sel.start]
    out: dict[str, Any] = {
        "shielding_mm_al": rad.grid.spec.shielding_mm_al if hasattr(rad.grid, "spec") else None,
        "dose_rad_min": _num(dose.min(), 4),
        "dose_rad_mean": _num(dose.mean(), 4),
        "dose_rad_max": _num(dose.max(), 4),
        "dose_rate_rad_per_yr_mean": _num(dose.mean() / years, 4) if years > 0 else None,
        "devices": int(n_dev.sum()),
        "device_years": _num(device_years, 6),
        "events": counts,
        "events_per_device_year": {k: _num(v / device_years, 6) for k, v in counts.items()} if device_years > 0 else None,
        "availability": _num(res.avail_sum[sel].sum() / (spec.n_steps * (sel.stop - sel.start))),
        "devices_failed": int(mask.sum()),
        "first_device_failure_s": _num(ev["t_s"][mask].min(), 3) if mask.any() else None,
        "devices_lost": int(res.devices_lost[sel].sum()),
        "spares_total": int(rad.spares[sel].sum()),
        "spares_used": int(res.spares_used[sel].sum()),
    }
    if model is not None:
        out["tid_degrade_rad"] = model.tid.degrade_rad
        out["satellites_over_tid_degrade"] = int((dose >= model.tid.degrade_rad).sum()) if model.tid.degrade_rad else 0
    return out


def _fleet_radiation(res: FleetResult, spec: RunSpec, rad) -> dict[str, Any]:
    everything = slice(0, res.dose_rad.size)
    fig = _radiation_figures(res, everything, spec, rad)
    for key in ("tid_degrade_rad", "satellites_over_tid_degrade", "shielding_mm_al"):
        fig.pop(key, None)
    return fig


def _fleet_bus(shells: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Fleet totals of the shells' bus figures."""
    parts = [s["bus"] for s in shells if s.get("bus")]
    if not parts:
        return None

    def total(key: str):
        vals = [p[key] for p in parts if p[key] is not None]
        return _num(sum(vals), 1) if vals else None

    out = {k: total(k) for k in (
        "nameplate_ops_per_s", "energy_generated_j", "energy_used_j", "energy_compute_j", "energy_curtailed_j",
        "energy_heater_j", "energy_battery_loss_j", "energy_bus_unmet_j", "compute_delivered_ops", "compute_nameplate_ops",
    )}
    out["compute_delivered_fraction"] = (
        _num(out["compute_delivered_ops"] / out["compute_nameplate_ops"]) if out["compute_nameplate_ops"] else None
    )
    mins = [p["soc_min"] for p in parts if p["soc_min"] is not None]
    out["soc_min"] = min(mins) if mins else None
    left = [p["battery_capacity_left_min"] for p in parts if p.get("battery_capacity_left_min") is not None]
    if left:
        out["battery_capacity_left_min"] = min(left)
    out["temperature_min_c"] = min(p["temperature_min_c"] for p in parts)
    out["temperature_max_c"] = max(p["temperature_max_c"] for p in parts)
    out["findings"] = sum(len(p["findings"]) for p in parts)
    return out
