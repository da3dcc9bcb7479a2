"""Electrical power of one satellite: solar generation, cell temperature and age, the power policy.

One implementation serves the time-stepped bus (:mod:`orbitcloud.bus.step`) and the closed-form sizing
(:mod:`orbitcloud.design`). Equations, assumptions and validation: ``docs/power.md``.

Generation (Patel, *Spacecraft Power Systems*, 2005, ch. 4; Kopp & Lean 2011 for S0):

    P = S0 (1 AU / d)^2 * illumination * A * packing * eta(T, age) * max(0, cos theta)
    eta(T, age) = eta_ref * (1 + gamma (T - T_ref)) * (1 - d_yr)^age

Power policy (documented in ``docs/power.md``): loads are served in the order bus, thermal control
(heaters), compute, from the array first and the battery second; surplus charges the battery up to its
maximum state of charge and the rest is curtailed (left on the array). Compute is the first load to
throttle when energy runs short.
"""

from __future__ import annotations

import numpy as np

from orbitcloud.constants import AU_M, EARTH_ALBEDO, EARTH_OLR_W_M2, SOLAR_CONSTANT_W_M2, STEFAN_BOLTZMANN_W_M2_K4

SECONDS_PER_YEAR = 365.25 * 86400.0


def irradiance_w_m2(sun_distance_m):
    """Solar irradiance at distance ``d`` from the Sun: S0 (1 AU / d)^2 [W/m^2]."""
    d = np.asarray(sun_distance_m, dtype=np.float64)
    return SOLAR_CONSTANT_W_M2 * (AU_M / d) ** 2


def cell_efficiency(eta_ref, temp_coeff_per_k, t_cell_k, t_ref_k, degradation_per_yr=0.0, age_yr=0.0):
    """Cell efficiency at temperature and age (linear temperature coefficient, geometric ageing), >= 0."""
    eta = eta_ref * (1.0 + temp_coeff_per_k * (t_cell_k - t_ref_k)) * (1.0 - degradation_per_yr) ** age_yr
    return np.maximum(eta, 0.0)


def array_temperature_k(
    absorbed_sun_w_m2, eta, absorptance, emissivity_sum, earth_w_m2=0.0,
):
    """Quasi-steady temperature of a thin array panel [K].

    ``(alpha - eta) * G_n + q_earth = (eps_front + eps_back) * sigma * T^4`` with G_n the sunlight on
    the cells (irradiance x illumination x cos theta) and ``q_earth`` the Earth IR and albedo the
    panel absorbs. A panel of ~2 kg/m^2 has a thermal time constant of ~2 min, so the quasi-steady
    value is a good step-average at minute steps (``docs/power.md``).
    """
    q = np.maximum((absorptance - eta) * absorbed_sun_w_m2 + earth_w_m2, 0.0)
    return np.sqrt(np.sqrt(q / (emissivity_sum * STEFAN_BOLTZMANN_W_M2_K4)))


def earth_load_on_array_w_m2(absorptance, emissivity, view_factor, irradiance, cos_zenith):
    """Earth IR (absorbed at the back-face emissivity) and albedo on an array panel [W/m^2]."""
    return view_factor * (emissivity * EARTH_OLR_W_M2 + absorptance * EARTH_ALBEDO * irradiance * np.maximum(cos_zenith, 0.0))


def generation_w(irradiance, illumination, cos_incidence, area_m2, packing, eta):
    """Electrical power of the array [W]."""
    return irradiance * illumination * np.maximum(cos_incidence, 0.0) * area_m2 * packing * eta


def battery_coefficients(eta_charge, eta_discharge, dt_s) -> tuple:
    """Per-satellite constants of :func:`serve_loads` for a step ``dt_s`` (computed once per run)."""
    return (
        eta_discharge / dt_s,  # battery energy above the floor -> deliverable power
        1.0 / (eta_charge * dt_s),  # room in the battery -> array power it can take
        eta_charge * dt_s,  # charge power -> stored energy
        dt_s / eta_discharge,  # delivered power -> energy drawn
        1.0 - eta_charge,  # charge power -> loss
        1.0 / eta_discharge - 1.0,  # delivered power -> loss
    )


def serve_loads(p_gen_w, bus_w, heater_w, compute_w, e_j, e_min_j, e_max_j, eta_charge, eta_discharge, dt_s, coef=None,
                extra_w=None):
    """One step of the power policy; every argument broadcasts (arrays over satellites).

    Returns ``(bus_w, heater_w, compute_w, from_battery_w, charge_w, curtailed_w, e_new_j, loss_w)``
    where ``charge_w`` is array power sent to the battery, ``from_battery_w`` the power the battery
    delivers to loads and ``loss_w`` the charge/discharge losses (heat). Energy is conserved exactly:
    ``p_gen - curtailed = loads - from_battery + charge`` and
    ``(e_new - e) / dt = charge * eta_c - from_battery / eta_d``.
    ``coef`` may pass :func:`battery_coefficients` precomputed (the time loop does).
    ``extra_w``: a load served after the heaters and before compute (electric propulsion,
    :mod:`orbitcloud.bus.propulsion`); when given, the power it gets is returned as a ninth value and
    counts in the loads.
    """
    if coef is None:
        coef = battery_coefficients(eta_charge, eta_discharge, dt_s)
    deliver, take, store, draw, loss_c, loss_d = coef
    supply = np.maximum(e_j - e_min_j, 0.0) * deliver + p_gen_w
    bus = np.minimum(bus_w, supply)
    rest = supply - bus
    heater = np.minimum(heater_w, rest)
    rest -= heater  # >= 0: heater <= rest
    extra = None
    if extra_w is not None:
        extra = np.minimum(extra_w, rest)
        rest = rest - extra
    compute = np.minimum(compute_w, rest)
    load = bus + heater
    if extra is not None:
        load += extra
    load += compute
    from_gen = np.minimum(load, p_gen_w)
    from_batt = load - from_gen
    surplus = p_gen_w - from_gen
    charge = np.minimum(surplus, np.maximum(e_max_j - e_j, 0.0) * take)
    curtailed = surplus - charge
    e_new = e_j + (charge * store - from_batt * draw)
    loss = charge * loss_c + from_batt * loss_d
    if extra is not None:
        return bus, heater, compute, from_batt, charge, curtailed, e_new, loss, extra
    return bus, heater, compute, from_batt, charge, curtailed, e_new, loss
