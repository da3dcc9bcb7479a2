"""Does a design close? Steady-state checks of one satellite design at one altitude.

Used by the run summary (per shell) and shown as findings, never as errors: a radiator too small to
hold the node below its limit at full load in full sunlight, or an array that cannot carry the
orbit-average load, is what a designer needs to know, not a crash.
"""

from __future__ import annotations

from orbitcloud.bus import power, thermal
from orbitcloud.bus.design import Design
from orbitcloud.constants import SOLAR_CONSTANT_W_M2, ZERO_C_K


def full_load_heat_w(d: Design) -> float:
    """Electrical load at full compute (all of it becomes heat) [W]."""
    return d.bus_w + d.n_acc * d.p_acc_w * d.utilisation


def sunlit_equilibrium_k(d: Design, r_over_re: float, compute_fraction: float = 1.0) -> float:
    """Node temperature in steady full sunlight with the Sun at the zenith below (worst albedo) [K]."""
    vf = d.view_factor if d.view_factor is not None else float(thermal.earth_view_factor(r_over_re, "edge"))
    env = d.radiator_area_m2 * float(thermal.absorbed_w_m2(d.absorptance, d.ir_absorptance, d.sides, d.sun_view, vf, SOLAR_CONSTANT_W_M2, 1.0, 1.0))
    q = env + d.bus_w + d.n_acc * d.p_acc_w * d.utilisation * compute_fraction
    return float(thermal.equilibrium_temperature_k(q, max(d.radiator_k_w_k4, 1e-30)))


def settled_temperature_k(d: Design) -> float:
    """Time-mean node temperature of a thermally throttled satellite [K]: the middle of its
    thermostat band ``t_max - hysteresis .. t_max``.

    Once the cap binds the node cycles between the band's edges (compute off until it has cooled
    to ``t_max - hysteresis``, full compute until it reaches ``t_max``; ``docs/thermal.md``). Both
    ramps are close to linear over a few kelvin, so the time-mean emission is that of the middle
    of the band: for a 5 K band at 45 C the exact mean of T^4 over the cycle (integrated in
    ``tests/oracles/test_oracle_dawn_dusk.py``) differs from the middle's by 1e-4 of the
    sustainable share.
    """
    return d.t_max_k - 0.5 * d.hysteresis_k


def sustainable_compute_fraction(d: Design, r_over_re: float) -> float:
    """Largest fraction of the compute target the radiator can reject in full sunlight with the
    Sun at the zenith below (worst albedo), the node at its settled (mid-band) temperature."""
    full = d.n_acc * d.p_acc_w * d.utilisation
    if full <= 0.0:
        return 1.0
    vf = d.view_factor if d.view_factor is not None else float(thermal.earth_view_factor(r_over_re, "edge"))
    env = d.radiator_area_m2 * float(thermal.absorbed_w_m2(d.absorptance, d.ir_absorptance, d.sides, d.sun_view, vf, SOLAR_CONSTANT_W_M2, 1.0, 1.0))
    t_set = settled_temperature_k(d)
    rejectable = float(thermal.heat_for_temperature_w(t_set, t_set, d.radiator_k_w_k4, 0.0))
    return min(1.0, max(0.0, (rejectable - env - d.bus_w) / full))


def findings(d: Design, r_over_re: float, sunlit_fraction: float | None = None) -> list[str]:
    """Human-readable findings for one design (empty when it closes)."""
    out: list[str] = []
    t_eq = sunlit_equilibrium_k(d, r_over_re)
    if full_load_heat_w(d) > 0 and t_eq > d.t_max_k:
        frac = sustainable_compute_fraction(d, r_over_re)
        out.append(
            f"radiator too small: at full load in full sunlight the node settles at {t_eq - ZERO_C_K:.1f} C, above "
            f"its {d.t_max_k - ZERO_C_K:.1f} C limit; the radiator holds {frac:.1%} of the compute target (worst-case albedo, node mid-way in its {d.hysteresis_k:g} K thermostat band)"
        )
    if sunlit_fraction is not None and d.array_area_m2 > 0:
        # sunlit generation must carry the load while lit plus the recharge of what the eclipse used
        p_sun = float(power.generation_w(SOLAR_CONSTANT_W_M2, 1.0, 1.0, d.array_area_m2, d.packing, d.eta_ref))
        load = full_load_heat_w(d)
        need = load * (sunlit_fraction + (1.0 - sunlit_fraction) / (d.eta_charge * d.eta_discharge))
        if p_sun * sunlit_fraction < need:
            out.append(
                f"array too small: {p_sun * sunlit_fraction / 1e3:.3g} kW orbit-average (sun-tracking, reference "
                f"temperature) against {need / 1e3:.3g} kW needed for the full load including battery recharge"
            )
    return out
