"""``Simulation.state()``: one row per satellite at the simulation's current time.

Position and sunlight are computed at ``now`` (the start of the next step) with the run's propagator;
battery, node temperature and devices are the state after the last step; powers and the throttle are
those of the last step (zero before the first).
"""

from __future__ import annotations

import numpy as np

from orbitcloud.constants import ZERO_C_K

#: Columns of the snapshot, with units (``docs/python.md``).
COLUMNS = (
    "satellite", "name", "shell", "lat_deg", "lon_deg", "alt_km", "illumination", "sunlit", "soc", "battery_j",
    "temperature_c", "generation_w", "load_w", "compute_w", "compute_ops_per_s", "nameplate_ops_per_s", "throttle",
    "devices", "devices_up", "devices_lost", "spares_left", "compute_limit", "safe_mode", "work",
)
_THROTTLE = np.array(["none", "power", "heat"], dtype=object)


def snapshot(sim):
    """The table (see :data:`COLUMNS` and the module docstring)."""
    import pyarrow as pa

    from orbitcloud.environment.shadow import penumbra_illumination, shadow_state
    from orbitcloud.ephemeris.frames import ecef_to_geodetic, gmst_for_times
    from orbitcloud.ephemeris.sun import sun_position_m
    from orbitcloud.network.simulate import FleetPositions
    from orbitcloud.timescale import jd_split_offset

    fleet, spec = sim.fleet, sim.spec
    n = len(fleet)
    if getattr(sim, "_positions", None) is None:
        sim._positions = FleetPositions(fleet, spec)
    t_s, x, y, z = sim._positions.chunk(sim.k, sim.k + 1)
    jd, fr = jd_split_offset(spec.jd0, spec.fr0, t_s)
    gmst = gmst_for_times(jd, fr)
    sun = sun_position_m(jd, fr)
    c, s = np.cos(gmst), np.sin(gmst)
    sun_ecef = np.stack([c * sun[:, 0] + s * sun[:, 1], c * sun[:, 1] - s * sun[:, 0], sun[:, 2]], axis=1)
    with np.errstate(invalid="ignore"):
        st = shadow_state(x, y, z, sun_ecef)
        illum = (~(st.h_pen > 0.0)).astype(np.float64)
        idx = np.nonzero((st.h_pen > 0.0) & ~(st.h_umb > 0.0))
        if idx[0].size:
            illum[idx] = penumbra_illumination(st, idx)
        lat, lon, h = ecef_to_geodetic(np.stack([x[:, 0], y[:, 0], z[:, 0]], axis=1))
    ok = np.isfinite(x[:, 0])
    illum = np.where(ok, illum[:, 0], np.nan)
    shell_names = np.array([info.name for info in fleet.shells], dtype=object)
    cols: dict = {
        "satellite": np.arange(n, dtype=np.int64), "name": fleet.names(), "shell": shell_names[fleet.shell_index],
        "lat_deg": np.degrees(lat), "lon_deg": np.degrees(lon), "alt_km": h / 1000.0,
        "illumination": illum, "sunlit": illum >= 0.5,
    }
    nan = np.full(n, np.nan)
    soc, e_j, temp, gen, load, comp, thr = nan, nan, nan, nan, nan, nan, np.full(n, None, dtype=object)
    nameplate = np.zeros(n)
    runners = sim._runner.runners
    if sim._bus is not None:
        p = sim._bus.p
        cap = p["capacity_j"]
        e_j = np.concatenate([r.bus_state.e_j for r in runners])
        t_k = np.concatenate([r.bus_state.t_k for r in runners])
        has = sim._bus.has
        soc = np.where(has & (cap > 0), e_j / np.where(cap > 0, cap, 1.0), np.nan)
        temp = np.where(has, t_k - ZERO_C_K, np.nan)
        e_j = np.where(has, e_j, np.nan)
        nameplate = p["n_acc"] * p["ops_per_s_acc"]
        if all(r.bus_tot.last is not None for r in runners):
            last = {key: np.concatenate([r.bus_tot.last[key] for r in runners]) for key in runners[0].bus_tot.last}
            gen, load, comp = last["p_gen_w"], last["p_load_w"], last["p_compute_w"]
            thr = np.where(has, _THROTTLE[last["throttle"].astype(np.int64)], None)
        else:
            gen, load, comp = np.zeros(n), np.zeros(n), np.zeros(n)
        ops_per_j = np.divide(p["ops_per_s_acc"], p["p_acc_w"], out=np.zeros(n), where=p["p_acc_w"] > 0)
        cols.update(soc=soc, battery_j=e_j, temperature_c=temp, generation_w=np.where(has, gen, np.nan),
                    load_w=np.where(has, load, np.nan), compute_w=np.where(has, comp, np.nan),
                    compute_ops_per_s=np.where(has, comp * ops_per_j, np.nan), nameplate_ops_per_s=nameplate, throttle=thr)
        n_dev = p["n_acc"].astype(np.int64)
    else:
        cols.update(soc=soc, battery_j=e_j, temperature_c=temp, generation_w=nan, load_w=nan, compute_w=nan,
                    compute_ops_per_s=nan, nameplate_ops_per_s=nameplate, throttle=thr)
        n_dev = np.zeros(n, np.int64)
    if sim._rad is not None:
        fs = [r.fault_state for r in runners]
        n_dev = np.concatenate([f.n_devices for f in fs]).astype(np.int64)
        down = np.concatenate([f.n_down for f in fs]).astype(np.int64)
        lost = np.concatenate([f.devices_lost for f in fs]).astype(np.int64)
        spares_left = np.concatenate([f.spares_left for f in fs]).astype(np.int64)
    else:
        down = np.zeros(n, np.int64)
        lost = np.zeros(n, np.int64)
        spares_left = np.zeros(n, np.int64)
    t_now = sim.k * spec.step_s
    rebooting = sim._down > t_now
    up = np.where(rebooting, 0, np.maximum(n_dev - down, 0))
    limit = np.where(sim._safe, 0.0, sim._cap)
    cols.update(devices=n_dev, devices_up=up, devices_lost=lost, spares_left=spares_left, compute_limit=limit,
                safe_mode=sim._safe.copy())
    work = sim._ctl.work_labels() if sim._ctl is not None else np.full(n, "", dtype=object)
    work = np.where(sim._safe, "safe mode", np.where(rebooting & (n_dev > 0), "rebooting", work))
    cols["work"] = work
    table = pa.table({k: pa.array(list(v) if getattr(v, "dtype", None) == object else v) for k, v in cols.items()})
    return table.select(list(COLUMNS))
