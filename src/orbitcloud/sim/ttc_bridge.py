"""The TT&C layer in the time loop: what the satellites measure, and what a command does to the twin.

:func:`make_ttc` builds the :class:`~orbitcloud.ops.ttc.layer.TtcLayer` of a :class:`Simulation`;
:func:`advance` runs the physics from one TT&C boundary to the next (the runner's results do not
depend on how its steps are cut, ``sim/engine.py``); :func:`housekeeping` is each satellite's own
state at a step boundary (the truth its housekeeping samples); :func:`execute` applies a command or
an onboard rule through the twin's actions (:mod:`orbitcloud.sim.actions`), recorded like any other.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from orbitcloud.constants import ZERO_C_K
from orbitcloud.errors import OrbitcloudError

__all__ = ["make_ttc", "advance", "housekeeping", "execute"]


def make_ttc(sim):
    from orbitcloud.ops.ttc.layer import TtcLayer

    bus = sim._bus
    t_max_c = None if bus is None else np.where(bus.has, bus.p["t_max_k"] - ZERO_C_K, np.inf)
    n_dev = None if bus is None else bus.p["n_acc"]
    if sim._rad is not None:
        n_dev = np.asarray(sim._rad.n_devices, np.float64)
    workers = 1 if sim.opts.workers is None else max(1, int(sim.opts.workers))
    return TtcLayer(sim.loaded, sim.fleet, sim.spec, t_max_c=t_max_c, n_devices=n_dev, workers=workers, ctl=sim._ctl)


def housekeeping(sim) -> dict[str, np.ndarray]:
    """Each satellite's state now: battery state of charge, temperature [°C], compute load (share of
    the accelerators' full power in the last step), devices up, device errors so far (UECC, SDC,
    SEFI), total ionising dose [rad], safe mode; NaN where the run has no such model."""
    n = len(sim.fleet)
    nan = np.full(n, np.nan)
    runners = sim._runner.runners
    out: dict[str, np.ndarray] = {"safe_mode": sim._safe.astype(np.float64)}
    bus = sim._bus
    if bus is not None:
        p = bus.p
        cap = p["capacity_j"]
        e_j = np.concatenate([r.bus_state.e_j for r in runners])
        t_k = np.concatenate([r.bus_state.t_k for r in runners])
        out["soc"] = np.where(bus.has & (cap > 0), e_j / np.where(cap > 0, cap, 1.0), np.nan)
        out["temperature_c"] = np.where(bus.has, t_k - ZERO_C_K, np.nan)
        full = p["n_acc"] * p["p_acc_w"]
        if all(r.bus_tot.last is not None for r in runners):
            comp = np.concatenate([r.bus_tot.last["p_compute_w"] for r in runners])
            out["compute_load"] = np.divide(comp, full, out=np.zeros(n), where=full > 0)
        else:
            out["compute_load"] = np.zeros(n)
        n_dev = p["n_acc"].astype(np.float64)
    else:
        out.update(soc=nan, temperature_c=nan.copy(), compute_load=nan.copy())
        n_dev = np.zeros(n)
    t_now = sim.k * sim.spec.step_s
    rebooting = sim._down > t_now
    if sim._rad is not None:
        fs = [r.fault_state for r in runners]
        n_dev = np.concatenate([f.n_devices for f in fs]).astype(np.float64)
        down = np.concatenate([f.n_down for f in fs]).astype(np.float64)
        out["dose_rad"] = np.concatenate([f.dose_rad for f in fs]).astype(np.float64)
        errors = np.zeros(n)
        for r in runners:
            for ev in r.fault_events[getattr(r, "_ttc_seen", 0):]:
                single = ev["kind"] <= 2  # UECC, SDC, SEFI (ops/fault_events.py)
                errors += np.bincount(ev["sat"][single], minlength=n)[:n]
            r._ttc_seen = len(r.fault_events)
        sim._ttc_errors = getattr(sim, "_ttc_errors", np.zeros(n)) + errors
        out["fault_count"] = sim._ttc_errors.copy()
        out["device_errors"] = out["fault_count"]
    else:
        down = np.zeros(n)
        out["dose_rad"] = nan.copy()
        out["fault_count"] = np.zeros(n)
    out["devices_up"] = np.where(rebooting, 0.0, np.maximum(n_dev - down, 0.0))
    return out


def execute(sim, command: str, sats: np.ndarray, params: dict[str, Any]) -> tuple[bool, str | None]:
    """Apply ``command`` to ``sats`` through :meth:`Simulation.act`; (False, why) when the twin refuses."""
    from orbitcloud.sim import actions as A

    sel = [int(s) for s in np.asarray(sats).tolist()]
    try:
        if command == "power_cap":
            action = A.PowerCap(float(params["fraction"]), satellites=sel)
        elif command == "safe_mode":
            action = A.SafeMode(bool(params["on"]), satellites=sel)
        elif command == "reboot":
            action = A.Reboot(satellites=sel)
        else:
            return False, f"no twin action for command {command!r}"
        sim.act(action)
    except OrbitcloudError as exc:
        return False, str(exc)
    return True, None


def advance(sim, k_to: int, progress: Callable[[int], None] | None, step_parts: Callable[[int], None]) -> None:
    """Advance ``sim`` to step ``k_to`` stopping at every TT&C boundary (``step_parts(k)`` advances
    the physics and the other parts to step k)."""
    ttc = sim._ttc
    while sim.k < k_to:
        ttc.at_step(sim.k, lambda: housekeeping(sim), lambda c, s, p: execute(sim, c, s, p))
        sim._push_actions()
        k_next = min(k_to, ttc.next_k(sim.k))
        step_parts(k_next)
        sim.k = k_next
    if sim.k == sim.spec.n_steps and not getattr(sim, "_ttc_closed", False):
        ttc.at_step(sim.k, lambda: housekeeping(sim), lambda c, s, p: (False, "the run has ended"))
        sim._ttc_closed = True
