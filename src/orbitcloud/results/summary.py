"""The run summary: fleet-wide and per-shell figures from the per-satellite reductions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from orbitcloud.fleet import Fleet, mean_altitude_km
from orbitcloud.sim import FleetResult, RunSpec


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
        "eclipses_per_satellite_day": _num(res.n_eclipses[sel].sum() / sat_windows / (window_s / 86400.0), 4) if valid else None,
        "dark_fraction": _num(res.dark_s[sel].sum() / (sat_windows * window_s)) if valid else None,
        "umbra_fraction": _num(res.umbra_s[sel].sum() / (sat_windows * window_s)) if valid else None,
        "beta_min_deg": _num(np.degrees(np.nanmin(beta_min)), 3) if np.isfinite(beta_min).any() else None,
        "beta_max_deg": _num(np.degrees(np.nanmax(beta_max)), 3) if np.isfinite(beta_max).any() else None,
        "invalid_samples": int(n * spec.n_steps - valid),
    }


def build_summary(
    fleet: Fleet,
    spec: RunSpec,
    result: FleetResult,
    meta: dict[str, Any],
) -> dict[str, Any]:
    """Assemble the summary dict (JSON-ready: no NaN, SI units named in keys)."""
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
        shells.append(entry)
    out["shells"] = shells
    return out
