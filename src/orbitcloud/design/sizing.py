"""Closed-form design and economics of an orbital AI data center (``orbitcloud size``).

Given an IT power (or an accelerator count), an orbit, technology choices and prices, this module sizes
the solar array, the battery (for the longest eclipse of the orbit over a year, from the ephemeris), the
radiator, the masses, the satellites and launches, and compares the cost of energy and of an
accelerator-hour in orbit with a terrestrial data center. Equations, assumptions, sources and
validation: ``docs/sizing.md``.

The physics is the bus's: array power from :mod:`orbitcloud.bus.power` (irradiance, cell efficiency,
array temperature, generation) and radiator flux and area from :mod:`orbitcloud.bus.thermal`, so the
closed-form sizing and the time-stepped bus share one implementation.

Units are SI inside (W, J, m, kg, s, K); names carry their unit. Every default comes from the catalogs
(``catalog/*.yaml``, each entry with a ``source``), from the hardware schema defaults
(``scenario/hardware.py``) or from the constants of :mod:`orbitcloud.design.defaults` (each with its
source); the result lists every assumption it used with its value, unit and source.

This module holds the sizing itself (:func:`size_data_center`, :func:`size`); its parts live in
:mod:`orbitcloud.design.defaults` (the module constants, each with its source),
:mod:`orbitcloud.design.inputs` (:class:`SizeInputs`, :func:`load_inputs`, the cross-key checks),
:mod:`orbitcloud.design.eclipse` (the longest eclipse from the ephemeris),
:mod:`orbitcloud.design.energy` (array, battery and radiator building blocks),
:mod:`orbitcloud.design.economics` (launched-power price, energy cost) and
:mod:`orbitcloud.design.assumptions` (the assumption table and result helpers). Their public names
(and ``_longest_eclipse``, whose cache ``benchmarks/size.py`` clears) are re-exported here, so
``orbitcloud.design.sizing.X`` keeps working.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from orbitcloud import catalog
from orbitcloud.bus import power, thermal
from orbitcloud.constants import AU_M, SOLAR_CONSTANT_W_M2, WGS84_A_M, ZERO_C_K, circular_period_s
from orbitcloud.design.defaults import (  # re-exported
    DEFAULT_ALTITUDE_KM, DEFAULT_ORBIT, SRC_ORBIT, DAWN_DUSK_LTAN, DEFAULT_ACCELERATOR, SRC_ACCELERATOR,
    DEFAULT_PRECISION, SRC_PRECISION, DEFAULT_SAT_POWER_W, SRC_SAT_POWER, BUS_POWER_FRACTION, SRC_BUS_POWER,
    BUS_MASS_FRACTION, SRC_BUS_MASS, BUS_USD_PER_KG, SRC_BUS_USD, RADIATOR_USD_PER_M2, SRC_RADIATOR_USD,
    SUN_DISTANCE_AU, SRC_SUN_DISTANCE, ECLIPSE_YEAR_START, SRC_ECLIPSE_START, ECLIPSE_STEP_S, ECLIPSE_DAYS,
    SRC_EXTRA_CAPEX, SRC_SCHEMA, SRC_INPUT, SECONDS_PER_YEAR, HOURS_PER_YEAR, J_PER_KWH, MIN_ALTITUDE_KM,
    MAX_ALTITUDE_KM,
)
from orbitcloud.design.inputs import (  # re-exported
    Num, Seconds, Int, SizeInputs, FIELDS, flag_name, load_inputs, _check_combination, _orbit_kind,
)
from orbitcloud.design.eclipse import (  # re-exported
    Eclipse, eclipse_scenario_yaml, longest_eclipse, _longest_eclipse as _longest_eclipse, beta0_eclipse_s,
)
from orbitcloud.design.energy import (  # re-exported
    array_power_w, cell_array_power_w, hot_array_state, array_required_w, battery_capacity_j, radiator_net_flux_w_m2,
    radiator_area_for_heat_m2,
)
from orbitcloud.design.economics import (  # re-exported
    launched_power_price_usd_per_kw_yr, launched_power_per_year_w, energy_cost_usd_per_kwh,
)
from orbitcloud.design.assumptions import (  # used by size_data_center
    _Assumptions, _cat_src, _econ_src, _set, _finite, _schema_default,
)
from orbitcloud.errors import OrbitcloudError

__all__ = [  # the public names re-exported above and this module's own
    'DEFAULT_ALTITUDE_KM', 'DEFAULT_ORBIT', 'SRC_ORBIT', 'DAWN_DUSK_LTAN', 'DEFAULT_ACCELERATOR', 'SRC_ACCELERATOR',
    'DEFAULT_PRECISION', 'SRC_PRECISION', 'DEFAULT_SAT_POWER_W', 'SRC_SAT_POWER', 'BUS_POWER_FRACTION',
    'SRC_BUS_POWER', 'BUS_MASS_FRACTION', 'SRC_BUS_MASS', 'BUS_USD_PER_KG', 'SRC_BUS_USD', 'RADIATOR_USD_PER_M2',
    'SRC_RADIATOR_USD', 'SUN_DISTANCE_AU', 'SRC_SUN_DISTANCE', 'ECLIPSE_YEAR_START', 'SRC_ECLIPSE_START',
    'ECLIPSE_STEP_S', 'ECLIPSE_DAYS', 'SRC_EXTRA_CAPEX', 'SRC_SCHEMA', 'SRC_INPUT', 'SECONDS_PER_YEAR',
    'HOURS_PER_YEAR', 'J_PER_KWH', 'MIN_ALTITUDE_KM', 'MAX_ALTITUDE_KM', 'Num', 'Seconds', 'Int', 'SizeInputs',
    'FIELDS', 'flag_name', 'load_inputs', 'Eclipse', 'eclipse_scenario_yaml', 'longest_eclipse', 'beta0_eclipse_s',
    'array_power_w', 'cell_array_power_w', 'hot_array_state', 'array_required_w', 'battery_capacity_j',
    'radiator_net_flux_w_m2', 'radiator_area_for_heat_m2', 'launched_power_price_usd_per_kw_yr',
    'launched_power_per_year_w', 'energy_cost_usd_per_kwh', 'size_data_center', 'size',
]


def size_data_center(inp: SizeInputs) -> dict[str, Any]:
    """Size an orbital data center; returns a JSON-ready dict (see ``docs/sizing.md``, "Outputs")."""
    from orbitcloud.bus.design import resolve
    from orbitcloud.scenario.hardware import Hardware

    _check_combination(inp, {})
    t_start = time.perf_counter()
    a = _Assumptions()
    findings: list[str] = []

    # --- built-in design (technology and per-satellite size) -------------------------------------------
    dsg = hw = None
    if inp.design is not None:
        entry = catalog.entry("satellites", inp.design)
        hw = Hardware.model_validate({**entry, "design": inp.design})
        dsg = resolve(hw, inp.design)
        a.add("design", inp.design, "", SRC_INPUT + "; " + _cat_src("satellites", inp.design))
    dsrc = f"built-in design {inp.design} (catalog/satellites.yaml)" if inp.design else ""

    def from_design(value: Any) -> tuple[Any, str]:
        return (value if dsg is not None else None), dsrc

    # --- compute ------------------------------------------------------------------------------------
    d_acc = hw.compute.accelerator if hw is not None and hw.compute is not None else None
    acc_name = a.pick("accelerator", inp.accelerator, "", from_design(d_acc), (DEFAULT_ACCELERATOR, SRC_ACCELERATOR))
    acc = catalog.entry("accelerators", acc_name)
    same_acc = d_acc == acc_name
    d_prec = hw.compute.precision if (hw is not None and hw.compute is not None and same_acc) else None
    precision = a.pick("precision", inp.precision, "", from_design(d_prec), (DEFAULT_PRECISION, SRC_PRECISION))
    p_acc_w = a.pick("accelerator_power_w", inp.accelerator_power_w, "W",
                     from_design(_set(hw.compute, "power_w") if same_acc else None),
                     (float(acc["power_w"]), _cat_src("accelerators", acc_name)))
    m_acc_kg = a.pick("accelerator_mass_kg", inp.accelerator_mass_kg, "kg",
                      from_design(_set(hw.compute, "mass_kg") if same_acc else None),
                      (float(acc["mass_kg"]), _cat_src("accelerators", acc_name)))
    ops_acc = float(acc["ops_per_s"][precision])
    a.add("accelerator_ops_per_s", ops_acc, "OP/s", _cat_src("accelerators", acc_name) + f" (dense {precision})")
    usd_acc = a.econ("accelerator_usd", inp.accelerator_usd, "$")

    if inp.it_power_w is not None:
        p_it_w = a.add("it_power_w", inp.it_power_w, "W", SRC_INPUT)
        n_acc = p_it_w / p_acc_w
    elif inp.accelerators is not None:
        n_acc = float(a.add("accelerators", inp.accelerators, "", SRC_INPUT))
        p_it_w = n_acc * p_acc_w
    else:  # one satellite of the design
        n_acc = float(dsg.n_acc) if dsg is not None else 0.0
        if n_acc <= 0:
            raise OrbitcloudError(f"--design: {inp.design!r} carries no accelerators; give --it-power-w or --accelerators")
        a.add("accelerators", int(n_acc), "", f"one satellite of {dsrc}")
        p_it_w = n_acc * p_acc_w

    # --- orbit --------------------------------------------------------------------------------------
    orbit = _orbit_kind(inp)
    a.add("orbit", orbit, "", SRC_INPUT if inp.orbit is not None else
          ("implied by ltan / inclination_deg" if orbit != DEFAULT_ORBIT else SRC_ORBIT))
    alt_km = a.pick("altitude_km", inp.altitude_km, "km", (DEFAULT_ALTITUDE_KM, SRC_ORBIT))
    ltan = inp.ltan
    if orbit == "dawn-dusk":
        ltan = a.add("ltan", DAWN_DUSK_LTAN, "h:min", "dawn-dusk taken as LTAN 18:00 (as scenario suncatcher-81)")
    elif orbit == "sso":
        a.add("ltan", ltan, "h:min", SRC_INPUT)
    incl = a.add("inclination_deg", inp.inclination_deg, "deg", SRC_INPUT) if orbit == "inclined" else None
    period_s = circular_period_s(WGS84_A_M + alt_km * 1e3)
    r_over_re = (WGS84_A_M + alt_km * 1e3) / WGS84_A_M
    ecl: Eclipse | None = None
    if inp.eclipse_s is not None:
        eclipse_s = a.add("eclipse_s", inp.eclipse_s, "s", SRC_INPUT + " (no ephemeris run)")
        cos_z_hot = a.add("albedo_cos_zenith", 1.0, "", "worst case (beta = 0) since the orbit was not simulated")
    else:
        start = a.pick("eclipse_start", inp.eclipse_start, "UTC", (ECLIPSE_YEAR_START, SRC_ECLIPSE_START))
        a.add("eclipse_search", f"{ECLIPSE_DAYS} d at {ECLIPSE_STEP_S:g} s, {inp.propagator}", "",
              "orbitcloud.sim.simulate of one satellite; longest interval with illumination < 0.5 (conical shadow)")
        ecl = longest_eclipse(float(alt_km), orbit, ltan, None if incl is None else float(incl), start,
                              ECLIPSE_DAYS, ECLIPSE_STEP_S, inp.propagator)
        eclipse_s = ecl.longest_s
        cos_z_hot = a.add("albedo_cos_zenith", math.cos(ecl.beta_min_abs_rad), "",
                          "cos(smallest |beta| over the year): the most albedo a sunlit satellite of this orbit sees")
    sunlit_s = period_s - eclipse_s

    # --- technology ---------------------------------------------------------------------------------
    sa = hw.solar_array if hw is not None else None
    bs = hw.battery if hw is not None else None
    rs = hw.radiator if hw is not None else None
    cell_name = a.pick("cell", inp.cell, "", from_design(sa.cell if sa else None),
                       (_schema_default("SolarArraySpec", "cell"), SRC_SCHEMA))
    cell = catalog.entry("solar_cells", cell_name)
    csrc = _cat_src("solar_cells", cell_name)
    same_cell = sa is not None and sa.cell == cell_name
    eta_ref = a.pick("cell_efficiency", None, "", from_design(_set(sa, "efficiency") if same_cell else None),
                     (float(cell["efficiency"]), csrc))
    t_ref_k = a.add("cell_t_ref_k", float(cell["t_ref_c"]) + ZERO_C_K, "K", csrc)
    gamma = a.pick("cell_temp_coeff_per_k", None, "1/K", from_design(_set(sa, "temp_coeff_per_k") if same_cell else None),
                   (float(cell["temp_coeff_per_k"]), csrc))
    arr_alpha = a.pick("array_absorptance", None, "", from_design(_set(sa, "absorptance") if same_cell else None),
                       (float(cell["absorptance"]), csrc))
    arr_eps = a.pick("array_emissivity", None, "", from_design(_set(sa, "emissivity") if same_cell else None),
                     (float(cell["emissivity"]), csrc))
    packing = a.pick("packing_factor", inp.packing_factor, "", from_design(_set(sa, "packing_factor")),
                     (_schema_default("SolarArraySpec", "packing_factor"), SRC_SCHEMA))
    d_arr_kgm2 = None
    if same_cell and (_set(sa, "kg_per_m2") is not None or _set(sa, "mass_kg") is not None) and sa.area_m2 > 0:
        d_arr_kgm2 = dsg.mass_array_kg / dsg.array_area_m2
    arr_kg_m2 = a.pick("array_kg_per_m2", inp.array_kg_per_m2, "kg/m2", from_design(d_arr_kgm2),
                       (float(cell["array_kg_per_m2"]), csrc))
    arr_usd_w = a.pick("array_usd_per_w", inp.array_usd_per_w, "$/W (rated)", (float(cell["cost_usd_per_w"]), csrc))
    degr_pct = a.pick("array_degradation_pct_per_yr", inp.array_degradation_pct_per_yr, "%/yr",
                      from_design(_set(sa, "degradation_pct_per_yr")),
                      (catalog.default("array_degradation_pct_per_yr"), _econ_src("array_degradation_pct_per_yr")))
    sun_au = a.pick("sun_distance_au", inp.sun_distance_au, "AU", (SUN_DISTANCE_AU, SRC_SUN_DISTANCE))
    irr_w_m2 = float(power.irradiance_w_m2(sun_au * AU_M))

    bat_name = a.pick("battery", inp.battery, "", from_design(bs.technology if bs else None),
                      (_schema_default("BatterySpec", "technology"), SRC_SCHEMA))
    bat = catalog.entry("batteries", bat_name)
    bsrc = _cat_src("batteries", bat_name)
    same_bat = bs is not None and bs.technology == bat_name

    def bat_pick(name: str, field: str) -> float:
        return a.pick(name, None, "", from_design(_set(bs, field) if same_bat else None), (float(bat[field]), bsrc))

    eta_c = bat_pick("charge_efficiency", "charge_efficiency")
    eta_d = bat_pick("discharge_efficiency", "discharge_efficiency")
    soc_min = bat_pick("soc_min", "soc_min")
    soc_max = bat_pick("soc_max", "soc_max")
    wh_per_kg = a.add("battery_wh_per_kg", float(bat["wh_per_kg"]), "Wh/kg", bsrc)
    bat_usd_wh = a.pick("battery_usd_per_wh", inp.battery_usd_per_wh, "$/Wh", (float(bat["cost_usd_per_wh"]), bsrc))

    coat_name = a.pick("coating", inp.coating, "", from_design(rs.coating if rs else None),
                       (_schema_default("RadiatorSpec", "coating"), SRC_SCHEMA))
    coat = catalog.entry("coatings", coat_name)
    same_coat = rs is not None and rs.coating == coat_name
    ksrc = _cat_src("coatings", coat_name)
    rad_eps = a.pick("radiator_emissivity", None, "", from_design(_set(rs, "emissivity") if same_coat else None),
                     (float(coat["emissivity"]), ksrc))
    rad_alpha = a.pick("radiator_absorptance", None, "", from_design(_set(rs, "absorptance") if same_coat else None),
                       (float(coat["absorptance"]), ksrc))
    sides = a.pick("radiator_sides", inp.radiator_sides, "", from_design(_set(rs, "sides")),
                   (_schema_default("RadiatorSpec", "sides"), SRC_SCHEMA))
    sun_view = a.pick("radiator_sun_view", inp.radiator_sun_view, "", from_design(_set(rs, "sun_view")),
                      (_schema_default("RadiatorSpec", "sun_view"), SRC_SCHEMA + " (radiator edge-on to the Sun)"))
    t_design_c = a.econ("design_temp_c", inp.design_temp_c, "C", "design_temperature_c")
    t_design_k = t_design_c + ZERO_C_K
    rad_kg_m2 = a.pick("radiator_kg_per_m2", inp.radiator_kg_per_m2, "kg/m2", from_design(_set(rs, "kg_per_m2")),
                       (catalog.default("radiator_kg_per_m2"), _econ_src("radiator_kg_per_m2")))
    rad_usd_m2 = a.pick("radiator_usd_per_m2", inp.radiator_usd_per_m2, "$/m2", (RADIATOR_USD_PER_M2, SRC_RADIATOR_USD))
    vf = a.add("earth_view_factor", float(thermal.earth_view_factor(r_over_re, "edge")), "",
               "thermal.earth_view_factor(r/Re, 'edge'): edge-on plate (Howell B-20), per face; array back face "
               "and radiator")
    vf_rad = vf
    if _set(rs, "earth_view_factor") is not None:
        vf_rad = a.add("radiator_earth_view_factor", float(rs.earth_view_factor), "", dsrc)

    # --- economics inputs ---------------------------------------------------------------------------
    life_yr = a.econ("lifetime_yr", inp.lifetime_yr, "yr")
    launch_usd_kg = a.econ("launch_usd_per_kg", inp.launch_usd_per_kg, "$/kg")
    launch_cap_kg = a.econ("launch_capacity_kg", inp.launch_capacity_kg, "kg")
    elec = a.econ("electricity_usd_per_kwh", inp.electricity_usd_per_kwh, "$/kWh")
    pue = a.econ("pue", inp.pue, "")
    water = a.econ("water_l_per_kwh", inp.water_l_per_kwh, "L/kWh")
    ground_usd_w = a.econ("ground_capex_usd_per_w", inp.ground_capex_usd_per_w, "$/W")
    shield_kg_acc = a.econ("shielding_kg_per_accelerator", inp.shielding_kg_per_accelerator, "kg")
    extra_usd = a.pick("extra_capex_usd", inp.extra_capex_usd, "$", (0.0, SRC_EXTRA_CAPEX))
    bus_usd_kg = a.pick("bus_usd_per_kg", inp.bus_usd_per_kg, "$/kg", (BUS_USD_PER_KG, SRC_BUS_USD))

    # --- per-satellite size -------------------------------------------------------------------------
    sat_power_w = a.pick("sat_power_w", inp.sat_power_w, "W",
                         from_design(dsg.n_acc * p_acc_w if dsg is not None and dsg.n_acc > 0 else None),
                         (DEFAULT_SAT_POWER_W, SRC_SAT_POWER))
    if inp.sat_mass_kg is not None:
        a.add("sat_mass_kg", inp.sat_mass_kg, "kg", SRC_INPUT)
    if inp.bus_power_w is not None or (dsg is not None and inp.bus_power_fraction is None):
        bus_w_sat = a.pick("bus_power_w", inp.bus_power_w, "W per satellite", from_design(dsg.bus_w if dsg else None))
        bus_frac = None
    else:
        bus_w_sat = None
        bus_frac = a.pick("bus_power_fraction", inp.bus_power_fraction, "of IT power", (BUS_POWER_FRACTION, SRC_BUS_POWER))
    if inp.bus_mass_fraction is None and dsg is not None:
        bus_kg_sat = a.add("bus_mass_kg", dsg.mass_bus_kg, "kg per satellite", dsrc)
        bus_mass_frac = None
    else:
        bus_kg_sat = None
        bus_mass_frac = a.pick("bus_mass_fraction", inp.bus_mass_fraction, "of satellite mass",
                               (BUS_MASS_FRACTION, SRC_BUS_MASS))
    if inp.energy_launch_mass_kg is not None:
        a.add("energy_launch_mass_kg", inp.energy_launch_mass_kg, "kg", SRC_INPUT + " (replaces the computed "
              "array + battery + radiator mass in the space energy cost)")

    # --- design point (state-independent: the same for every satellite) ------------------------------
    if inp.array_temp_c is not None:
        t_arr_k = a.add("array_temp_k", inp.array_temp_c + ZERO_C_K, "K", SRC_INPUT)
        eta_eol = float(power.cell_efficiency(eta_ref, gamma, t_arr_k, t_ref_k, degr_pct / 100.0, life_yr))
        eta_bol = float(power.cell_efficiency(eta_ref, gamma, t_arr_k, t_ref_k, 0.0, 0.0))
    else:
        t_arr_k, eta_eol = hot_array_state(irr_w_m2, eta_ref, gamma, t_ref_k, arr_alpha, arr_eps, vf, cos_z_hot,
                                           degr_pct / 100.0, life_yr)
        _, eta_bol = hot_array_state(irr_w_m2, eta_ref, gamma, t_ref_k, arr_alpha, arr_eps, vf, cos_z_hot)
    w_per_m2_eol = float(power.generation_w(irr_w_m2, 1.0, 1.0, 1.0, packing, eta_eol))
    w_per_m2_bol = float(power.generation_w(irr_w_m2, 1.0, 1.0, 1.0, packing, eta_bol))
    w_per_m2_rated = float(power.generation_w(SOLAR_CONSTANT_W_M2, 1.0, 1.0, 1.0, packing, eta_ref))
    if w_per_m2_eol <= 0.0:
        findings.append(f"array cannot close: cell efficiency at the design point is {eta_eol:.3g} "
                        f"(array at {t_arr_k - ZERO_C_K:.0f} C after {life_yr:g} yr)")
    rad_ir = _set(rs, "ir_absorptance") if same_coat else None
    q_net_w_m2 = radiator_net_flux_w_m2(t_design_k, rad_eps, rad_alpha, sides, alt_km, irr_w_m2, sun_view, cos_z_hot,
                                        rad_ir, vf_rad)
    if q_net_w_m2 <= 0.0:
        findings.append(f"radiator cannot close: net flux {q_net_w_m2:.1f} W/m2 <= 0 at the design temperature "
                        f"{t_design_c:g} C (raise design_temp_c or choose a coating with higher emissivity / lower absorptance)")
    if sunlit_s <= 0.0:
        findings.append(f"orbit is dark for {eclipse_s:.0f} s of a {period_s:.0f} s period: no sunlit time to recharge")

    def per_sat(n: int) -> dict[str, float]:
        """Per-satellite design for ``n`` satellites."""
        p_it = p_it_w / n
        p_bus = bus_w_sat if bus_w_sat is not None else bus_frac * p_it
        p_load = p_it + p_bus
        p_arr = array_required_w(p_load, eclipse_s, period_s, eta_c, eta_d)
        area = p_arr / w_per_m2_eol if w_per_m2_eol > 0 else math.inf
        cap_j = battery_capacity_j(p_load, eclipse_s, eta_d, soc_min, soc_max)
        e_drawn_j = p_load * eclipse_s / eta_d
        p_charge = p_arr - p_load
        loss_w = max(p_charge * (1.0 - eta_c), p_load * (1.0 / eta_d - 1.0)) if eclipse_s > 0 else 0.0
        heat_w = p_load + loss_w
        rad_area = float(thermal.radiator_area_m2(heat_w, q_net_w_m2))
        m_arr = area * arr_kg_m2
        m_bat = cap_j / 3600.0 / wh_per_kg
        m_rad = rad_area * rad_kg_m2
        n_acc_sat = n_acc / n
        m_comp = n_acc_sat * m_acc_kg
        m_shield = n_acc_sat * shield_kg_acc
        m_payload = m_arr + m_bat + m_rad + m_comp + m_shield
        m_bus = bus_kg_sat if bus_kg_sat is not None else bus_mass_frac / (1.0 - bus_mass_frac) * m_payload
        return dict(p_it=p_it, p_bus=p_bus, p_load=p_load, p_arr=p_arr, p_charge=p_charge, area=area, cap_j=cap_j,
                    e_drawn_j=e_drawn_j, loss_w=loss_w, heat_w=heat_w, rad_area=rad_area, m_arr=m_arr, m_bat=m_bat,
                    m_rad=m_rad, m_comp=m_comp, m_shield=m_shield, m_bus=m_bus, mass=m_payload + m_bus,
                    n_acc=n_acc_sat)

    n_sat = max(1, math.ceil(p_it_w / sat_power_w - 1e-9))
    limit = "power"
    if inp.sat_mass_kg is not None and math.isfinite(per_sat(n_sat)["mass"]):
        m1, m2 = n_sat * per_sat(n_sat)["mass"], (n_sat + 1) * per_sat(n_sat + 1)["mass"]
        slope = m2 - m1  # total mass = fixed + n * slope (bus items that scale with the count)
        fixed = m1 - n_sat * slope
        if slope >= inp.sat_mass_kg * (1.0 - 1e-12):
            findings.append(f"per-satellite mass limit {inp.sat_mass_kg:g} kg cannot close: each satellite adds "
                            f"{slope:.1f} kg of fixed bus mass")
        else:
            need = max(1, math.ceil(fixed / (inp.sat_mass_kg - slope) - 1e-9))
            if need > n_sat:
                n_sat, limit = need, "mass"
    s = per_sat(n_sat)

    # --- checks of a built-in design's own hardware ------------------------------------------------
    design_check: dict[str, Any] | None = None
    if dsg is not None:
        gen_w = dsg.array_area_m2 * w_per_m2_eol
        k_w_k4 = dsg.sides * dsg.radiator_area_m2 * dsg.emissivity * thermal.SIGMA
        env_w = dsg.radiator_area_m2 * float(thermal.absorbed_w_m2(dsg.absorptance, dsg.ir_absorptance, dsg.sides,
                                                                   dsg.sun_view, vf_rad, irr_w_m2, 1.0, cos_z_hot))
        t_eq_k = float(thermal.equilibrium_temperature_k(s["heat_w"] + env_w, k_w_k4)) if k_w_k4 > 0 else math.inf
        usable_j = dsg.capacity_j * (dsg.soc_max - dsg.soc_min) * dsg.eta_discharge
        design_check = {
            "array_area_m2": dsg.array_area_m2, "array_power_eol_w": gen_w, "array_needed_w": s["p_arr"],
            "battery_capacity_wh": dsg.capacity_j / 3600.0, "battery_needed_wh": s["cap_j"] / 3600.0,
            "radiator_area_m2": dsg.radiator_area_m2, "radiator_equilibrium_c": t_eq_k - ZERO_C_K,
            "radiator_limit_c": dsg.t_max_k - ZERO_C_K, "mass_kg": dsg.mass_kg,
        }
        if gen_w < s["p_arr"] * (1.0 - 1e-9):
            findings.append(f"design {inp.design}: its {dsg.array_area_m2:g} m2 array gives {gen_w / 1e3:.1f} kW at the "
                            f"design point (end of life, {t_arr_k - ZERO_C_K:.0f} C), below the {s['p_arr'] / 1e3:.1f} kW "
                            f"needed for {s['p_load'] / 1e3:.1f} kW of load plus recharge ({s['area']:.1f} m2 needed)")
        if usable_j < s["p_load"] * eclipse_s * (1.0 - 1e-9):
            findings.append(f"design {inp.design}: its {dsg.capacity_j / 3600.0:,.0f} Wh battery delivers "
                            f"{usable_j / 3.6e6:.2f} kWh within its state-of-charge window; the longest eclipse "
                            f"({eclipse_s:.0f} s) needs {s['p_load'] * eclipse_s / 3.6e6:.2f} kWh")
        if not t_eq_k <= dsg.t_max_k:
            need = (s["heat_w"]) / max(float(thermal.net_flux_w_m2(dsg.emissivity, dsg.absorptance, dsg.sides, dsg.t_max_k,
                                                                  irr_w_m2, dsg.sun_view, vf_rad, dsg.ir_absorptance,
                                                                  cos_z_hot)), 1e-30)
            findings.append(f"design {inp.design}: its {dsg.radiator_area_m2:g} m2 radiator cannot reach equilibrium below "
                            f"its {dsg.t_max_k - ZERO_C_K:g} C limit at full load ({s['heat_w'] / 1e3:.1f} kW of heat; "
                            f"equilibrium {t_eq_k - ZERO_C_K:.0f} C; needs {need:.1f} m2 at the limit)")
        if t_design_k > dsg.t_max_k:
            findings.append(f"design temperature {t_design_c:g} C is above design {inp.design}'s radiator limit "
                            f"{dsg.t_max_k - ZERO_C_K:g} C")

    # --- totals -------------------------------------------------------------------------------------
    def tot(key: str) -> float:
        return n_sat * s[key]

    mass_kg = tot("mass")
    m_sat = s["mass"]
    if math.isfinite(m_sat) and m_sat > 0:
        per_launch = int(launch_cap_kg // m_sat)
        if per_launch >= 1:
            launches = math.ceil(n_sat / per_launch)
        else:
            launches = math.ceil(mass_kg / launch_cap_kg)
            findings.append(f"one satellite ({m_sat:,.0f} kg) exceeds the launch capacity ({launch_cap_kg:,.0f} kg); "
                            "launches counted by mass (in-orbit assembly)")
    else:
        per_launch, launches = 0, None
    launch_usd = mass_kg * launch_usd_kg
    p_rated_w = tot("area") * w_per_m2_rated
    p_bol_w = tot("area") * w_per_m2_bol
    array_usd = arr_usd_w * p_rated_w
    cap_wh = tot("cap_j") / 3600.0
    battery_usd = bat_usd_wh * cap_wh
    radiator_usd = rad_usd_m2 * tot("rad_area")
    bus_usd = bus_usd_kg * tot("m_bus")
    acc_usd_total = usd_acc * n_acc
    energy_mass_kg = (inp.energy_launch_mass_kg if inp.energy_launch_mass_kg is not None
                      else tot("m_arr") + tot("m_bat") + tot("m_rad"))
    energy_launch_usd = energy_mass_kg * launch_usd_kg
    energy_capex_usd = array_usd + battery_usd + radiator_usd + energy_launch_usd + extra_usd
    life_h = life_yr * HOURS_PER_YEAR
    e_it_kwh = p_it_w * life_h / 1e3
    space_usd_kwh_it = energy_cost_usd_per_kwh(energy_capex_usd, p_it_w, life_yr)
    space_usd_kwh_load = energy_cost_usd_per_kwh(energy_capex_usd, tot("p_load"), life_yr)
    ground_usd_kwh = elec * pue
    space_capex_usd = acc_usd_total + array_usd + battery_usd + radiator_usd + bus_usd + launch_usd + extra_usd
    ground_energy_usd = e_it_kwh * ground_usd_kwh
    ground_capex_usd = acc_usd_total + ground_usd_w * p_it_w
    acc_h = n_acc * life_h
    sunlit_fraction = ecl.sunlit_fraction if ecl is not None else None

    result: dict[str, Any] = {
        "orbitcloud_size_version": 1,
        "inputs": {k: v for k, v in inp.model_dump().items() if v is not None},
        "orbit": {
            "kind": orbit, "altitude_km": alt_km, "ltan": ltan, "inclination_deg": incl, "period_s": period_s,
            "longest_eclipse_s": eclipse_s, "eclipse_source": "input" if ecl is None else
            f"ephemeris ({ecl.propagator}, {ecl.days:g} d at {ecl.step_s:g} s)",
            "beta0_eclipse_s": beta0_eclipse_s(alt_km), "sunlit_s": sunlit_s,
            "beta_min_deg": None if ecl is None else math.degrees(ecl.beta_min_rad),
            "beta_max_deg": None if ecl is None else math.degrees(ecl.beta_max_rad),
            "sunlit_fraction": sunlit_fraction,
            "eclipse_wall_s": None if ecl is None else ecl.wall_s,
        },
        "compute": {
            "accelerator": acc_name, "precision": precision, "accelerators": n_acc, "it_power_w": p_it_w,
            "bus_power_w": tot("p_bus"), "load_power_w": tot("p_load"),
            "peak_ops_per_s": n_acc * ops_acc,
        },
        "satellites": {
            "count": n_sat, "limited_by": limit, "it_power_w": s["p_it"], "accelerators": s["n_acc"],
            "mass_kg": m_sat, "array_area_m2": s["area"], "radiator_area_m2": s["rad_area"],
            "battery_capacity_wh": s["cap_j"] / 3600.0,
        },
        "array": {
            "area_m2": tot("area"), "mass_kg": tot("m_arr"), "required_power_w": tot("p_arr"),
            "recharge_power_w": tot("p_charge"), "rated_power_w": p_rated_w, "bol_power_w": p_bol_w,
            "temperature_c": t_arr_k - ZERO_C_K, "efficiency_bol": eta_bol, "efficiency_eol": eta_eol,
            "irradiance_w_m2": irr_w_m2, "eol_w_per_m2": w_per_m2_eol, "cost_usd": array_usd,
        },
        "battery": {
            "technology": bat_name, "capacity_wh": cap_wh, "usable_wh": tot("p_load") * eclipse_s / 3600.0,
            "depth_of_discharge": soc_max - soc_min, "mass_kg": tot("m_bat"), "cost_usd": battery_usd,
        },
        "radiator": {
            "area_m2": tot("rad_area"), "mass_kg": tot("m_rad"), "heat_w": tot("heat_w"),
            "battery_loss_w": tot("loss_w"), "net_flux_w_m2": q_net_w_m2, "design_temp_c": t_design_c,
            "earth_view_factor": vf_rad, "cost_usd": radiator_usd,
        },
        "mass": {
            "array_kg": tot("m_arr"), "battery_kg": tot("m_bat"), "radiator_kg": tot("m_rad"),
            "compute_kg": tot("m_comp"), "shielding_kg": tot("m_shield"), "bus_kg": tot("m_bus"), "total_kg": mass_kg,
            "specific_power_w_per_kg": p_rated_w / mass_kg if mass_kg > 0 else None,
        },
        "launch": {
            "satellites_per_launch": per_launch, "launches": launches, "cost_usd": launch_usd,
            "launched_power_usd_per_kw_yr": launched_power_price_usd_per_kw_yr(mass_kg, launch_usd_kg, p_rated_w, life_yr)
            if p_rated_w > 0 else None,
        },
        "economics": {
            "lifetime_yr": life_yr,
            "it_energy_kwh": e_it_kwh,
            "space_energy_capex_usd": energy_capex_usd,
            "space_energy_launch_mass_kg": energy_mass_kg,
            "space_energy_usd_per_kwh": space_usd_kwh_it,
            "space_energy_usd_per_kwh_delivered": space_usd_kwh_load,
            "ground_energy_usd_per_kwh": ground_usd_kwh,
            "ground_energy_cost_usd": ground_energy_usd,
            "water_avoided_l": e_it_kwh * pue * water,
            "space_capex_usd": space_capex_usd,
            "ground_cost_usd": ground_capex_usd + ground_energy_usd,
            "space_usd_per_accelerator_hour": space_capex_usd / acc_h if acc_h > 0 else None,
            "ground_usd_per_accelerator_hour": (ground_capex_usd + ground_energy_usd) / acc_h if acc_h > 0 else None,
        },
        "design_check": design_check,
        "findings": findings,
        "assumptions": list(a.rows.values()),
    }
    result["wall_time_s"] = round(time.perf_counter() - t_start, 3)
    return _finite(result)


def size(config: str | Path | None = None, **overrides: Any) -> dict[str, Any]:
    """Convenience: :func:`load_inputs` then :func:`size_data_center` (keyword overrides as inputs)."""
    return size_data_center(load_inputs(config, overrides, {k: k for k in overrides}))
