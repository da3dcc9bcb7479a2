"""Energy-subsystem sizing blocks: solar array power and temperature, battery capacity, radiator flux and area.

Closed forms of the array (``P = G A packing eta(T, age)``; hot-array fixed point), of the array power
that carries the load and recharges the battery, of the battery capacity for one eclipse, and of the
radiator's net flux and area. The physics is the bus's: :mod:`orbitcloud.bus.power` (irradiance, cell
efficiency, array temperature, generation) and :mod:`orbitcloud.bus.thermal` (net flux, Earth view
factor, radiator area), so the closed-form sizing and the time-stepped bus share one implementation.
Sources: Patel, *Spacecraft Power Systems* (2005) for array and battery sizing; Gilmore (ed.),
*Spacecraft Thermal Control Handbook* (2002) and Howell's view-factor catalog (B-20, edge-on plate) for
the radiator; Kopp & Lean 2011 for S0 = 1,361 W/m^2. Public (used by the tests and ``docs/sizing.md``);
split out of :mod:`orbitcloud.design.sizing`, which re-exports every name.
"""

from __future__ import annotations

import math

from orbitcloud import catalog
from orbitcloud.bus import power, thermal
from orbitcloud.constants import SOLAR_CONSTANT_W_M2, WGS84_A_M, ZERO_C_K


def array_power_w(area_m2: float, eta_ref: float, packing: float, irradiance_w_m2: float = SOLAR_CONSTANT_W_M2,
                  temp_coeff_per_k: float = 0.0, t_cell_k: float | None = None, t_ref_k: float = 28.0 + ZERO_C_K,
                  degradation_per_yr: float = 0.0, age_yr: float = 0.0) -> float:
    """Electrical power of a sun-facing array [W] (cells at ``t_ref_k`` unless ``t_cell_k`` is given).

    ``P = G * A * packing * eta(T, age)`` through :func:`orbitcloud.bus.power.cell_efficiency` and
    :func:`orbitcloud.bus.power.generation_w`.
    """
    t = t_ref_k if t_cell_k is None else t_cell_k
    eta = power.cell_efficiency(eta_ref, temp_coeff_per_k, t, t_ref_k, degradation_per_yr, age_yr)
    return float(power.generation_w(irradiance_w_m2, 1.0, 1.0, area_m2, packing, eta))


def cell_array_power_w(area_m2: float, cell: str, packing: float, irradiance_w_m2: float = SOLAR_CONSTANT_W_M2) -> float:
    """Rated power of an array of a catalog cell at its reference temperature, beginning of life [W]."""
    c = catalog.entry("solar_cells", cell)
    return array_power_w(area_m2, float(c["efficiency"]), packing, irradiance_w_m2,
                         float(c["temp_coeff_per_k"]), None, float(c["t_ref_c"]) + ZERO_C_K)


def hot_array_state(irradiance_w_m2: float, eta_ref: float, temp_coeff_per_k: float, t_ref_k: float,
                    absorptance: float, emissivity: float, view_factor: float, cos_zenith: float,
                    degradation_per_yr: float = 0.0, age_yr: float = 0.0, iterations: int = 12) -> tuple[float, float]:
    """Temperature [K] and efficiency of a sun-facing array at the design point (fixed point).

    ``(alpha - eta) G + q_earth = 2 eps sigma T^4`` (:func:`orbitcloud.bus.power.array_temperature_k`,
    Earth load from :func:`orbitcloud.bus.power.earth_load_on_array_w_m2`) and
    ``eta = eta(T, age)`` (:func:`orbitcloud.bus.power.cell_efficiency`), iterated from ``T_ref``.
    """
    earth = power.earth_load_on_array_w_m2(absorptance, emissivity, view_factor, irradiance_w_m2, cos_zenith)
    eta = power.cell_efficiency(eta_ref, temp_coeff_per_k, t_ref_k, t_ref_k, degradation_per_yr, age_yr)
    t = t_ref_k
    for _ in range(iterations):
        t = float(power.array_temperature_k(irradiance_w_m2, eta, absorptance, 2.0 * emissivity, earth))
        eta = power.cell_efficiency(eta_ref, temp_coeff_per_k, t, t_ref_k, degradation_per_yr, age_yr)
    return t, float(eta)


def array_required_w(load_w: float, eclipse_s: float, period_s: float, eta_charge: float, eta_discharge: float) -> float:
    """Array power that carries ``load_w`` through the sunlit arc and recharges the battery [W].

    ``P_array = P_load + P_load t_e / (eta_c eta_d t_s)``, ``t_s = T - t_e`` (energy drawn in eclipse,
    ``P_load t_e / eta_d``, is put back during the sunlit time through the charge efficiency).
    """
    sunlit_s = period_s - eclipse_s
    if sunlit_s <= 0.0:
        return math.inf
    return load_w * (1.0 + eclipse_s / (eta_charge * eta_discharge * sunlit_s))


def battery_capacity_j(load_w: float, eclipse_s: float, eta_discharge: float, soc_min: float, soc_max: float) -> float:
    """Battery capacity for one eclipse [J]: ``E = P_load t_e / (eta_d (soc_max - soc_min))``."""
    return load_w * eclipse_s / (eta_discharge * (soc_max - soc_min))


def radiator_net_flux_w_m2(t_k: float, emissivity: float, absorptance: float, sides: int, altitude_km: float,
                           irradiance_w_m2: float = SOLAR_CONSTANT_W_M2, sun_view: float = 0.0,
                           cos_zenith: float = 1.0, ir_absorptance: float | None = None,
                           view_factor: float | None = None) -> float:
    """Net heat rejected per m^2 of radiator in sunlight at ``t_k`` [W/m^2].

    :func:`orbitcloud.bus.thermal.net_flux_w_m2` with the Earth view factor of an edge-on plate at the
    altitude (:func:`orbitcloud.bus.thermal.earth_view_factor`) unless ``view_factor`` is given.
    """
    vf = view_factor
    if vf is None:
        vf = float(thermal.earth_view_factor((WGS84_A_M + altitude_km * 1e3) / WGS84_A_M, "edge"))
    return float(thermal.net_flux_w_m2(emissivity, absorptance, sides, t_k, irradiance_w_m2, sun_view, vf,
                                       ir_absorptance, cos_zenith))


def radiator_area_for_heat_m2(heat_w: float, t_k: float, emissivity: float, absorptance: float, sides: int,
                              altitude_km: float, irradiance_w_m2: float = SOLAR_CONSTANT_W_M2, sun_view: float = 0.0,
                              cos_zenith: float = 1.0) -> float:
    """Radiator area for a heat load at temperature ``t_k`` [m^2] (linear in heat; ``inf`` if it cannot close)."""
    net = radiator_net_flux_w_m2(t_k, emissivity, absorptance, sides, altitude_km, irradiance_w_m2, sun_view, cos_zenith)
    return float(thermal.radiator_area_m2(heat_w, net))
