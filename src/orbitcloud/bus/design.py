"""A satellite design resolved to SI numbers: the scenario's ``hardware`` plus catalog values.

:func:`resolve` fills every value the scenario leaves out from the catalog entry it names
(accelerator, cell, battery technology, coating) or from a documented default
(``catalog/economics.yaml``), so the bus and the sizing see one flat record.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from orbitcloud import catalog
from orbitcloud.constants import ZERO_C_K
from orbitcloud.scenario.hardware import Hardware

POINTING_CODES = {"sun_tracking": 0, "single_axis": 1, "nadir_body_fixed": 2, "fixed": 3}
#: Share of the bus load kept in safe mode when the design does not give ``bus_power_safe_w``
#: (ASSUMPTION: no published figure for the built-in designs; see docs/power.md, "Safe mode").
SAFE_MODE_BUS_SHARE = 0.5


@dataclasses.dataclass(frozen=True)
class Design:
    """One satellite design in SI units (see ``docs/power.md`` and ``docs/thermal.md``)."""

    name: str
    # compute
    accelerator: str | None
    precision: str | None
    n_acc: int
    p_acc_w: float  # per device at full utilisation
    ops_per_s_acc: float  # dense peak at the precision, per device
    utilisation: float
    # bus
    bus_w: float
    bus_min_w: float  # in safe mode
    # array
    array_area_m2: float
    packing: float
    eta_ref: float
    t_ref_k: float
    temp_coeff_per_k: float
    degradation_per_yr: float
    age_yr: float
    array_absorptance: float
    array_emissivity: float
    array_temp_k: float | None  # fixed operating temperature, or None (computed)
    pointing: str
    normal: tuple[float, float, float]
    # battery
    capacity_j: float
    eta_charge: float
    eta_discharge: float
    soc_min: float
    soc_max: float
    soc_initial: float
    ageing: str | None  # battery ageing model (bus.ageing), None: no capacity fade
    # radiator and node
    radiator_area_m2: float
    sides: int
    emissivity: float
    absorptance: float
    ir_absorptance: float
    sun_view: float
    view_factor: float | None  # None: geometric (edge-on plate at the satellite's altitude)
    t_max_k: float
    t_min_k: float
    hysteresis_k: float
    heater_w: float
    capacitance_j_k: float
    t_initial_k: float
    # masses [kg]
    mass_array_kg: float
    mass_battery_kg: float
    mass_radiator_kg: float
    mass_compute_kg: float
    mass_bus_kg: float

    @property
    def compute_w(self) -> float:
        """Compute power at full utilisation [W]."""
        return self.n_acc * self.p_acc_w

    @property
    def mass_kg(self) -> float:
        return self.mass_array_kg + self.mass_battery_kg + self.mass_radiator_kg + self.mass_compute_kg + self.mass_bus_kg

    @property
    def nameplate_ops_per_s(self) -> float:
        return self.n_acc * self.ops_per_s_acc

    @property
    def radiator_k_w_k4(self) -> float:
        from orbitcloud.bus.thermal import SIGMA

        return self.sides * self.radiator_area_m2 * self.emissivity * SIGMA


def _pick(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


def resolve(hw: Hardware, name: str = "") -> Design:
    """Resolve a validated :class:`Hardware` into a :class:`Design` (catalog values filled in)."""
    comp = hw.compute
    if comp is not None:
        acc = catalog.entry("accelerators", comp.accelerator)
        p_acc = float(_pick(comp.power_w, acc["power_w"]))
        ops = float(acc["ops_per_s"][comp.precision])
        # the cold spares fly too: their mass counts (they draw no power until switched in)
        m_comp = (comp.count + comp.spares) * float(_pick(comp.mass_kg, acc["mass_kg"]))
    else:
        p_acc = ops = m_comp = 0.0
    arr = hw.solar_array
    cell = catalog.entry("solar_cells", arr.cell)
    eta_ref = float(_pick(arr.efficiency, cell["efficiency"]))
    degr = float(_pick(arr.degradation_pct_per_yr, catalog.default("array_degradation_pct_per_yr"))) / 100.0
    m_arr = float(_pick(arr.mass_kg, arr.area_m2 * float(_pick(arr.kg_per_m2, cell["array_kg_per_m2"]))))
    normal = arr.normal if arr.normal is not None else (1.0, 0.0, 0.0)
    nn = sum(c * c for c in normal) ** 0.5
    bat = hw.battery
    tech = catalog.entry("batteries", bat.technology)
    soc_min = float(_pick(bat.soc_min, tech["soc_min"]))
    soc_max = float(_pick(bat.soc_max, tech["soc_max"]))
    m_bat = float(_pick(bat.mass_kg, bat.capacity_wh / float(tech["wh_per_kg"])))
    rad = hw.radiator
    coat = catalog.entry("coatings", rad.coating)
    eps = float(_pick(rad.emissivity, coat["emissivity"]))
    alpha = float(_pick(rad.absorptance, coat["absorptance"]))
    m_rad = rad.area_m2 * float(_pick(rad.kg_per_m2, catalog.default("radiator_kg_per_m2")))
    t_max = rad.t_max_c + ZERO_C_K
    t_min = rad.t_min_c + ZERO_C_K
    mass_no_array = m_bat + m_rad + m_comp + hw.bus_mass_kg
    cap = float(_pick(hw.capacitance_j_per_k, max(mass_no_array, 1.0) * catalog.default("specific_heat_j_per_kg_k")))
    t0 = hw.initial_temp_c + ZERO_C_K if hw.initial_temp_c is not None else min(max(20.0 + ZERO_C_K, t_min), t_max)
    return Design(
        name=name or hw.design or "inline",
        accelerator=comp.accelerator if comp else None,
        precision=comp.precision if comp else None,
        n_acc=comp.count if comp else 0,
        p_acc_w=p_acc,
        ops_per_s_acc=ops,
        utilisation=comp.utilisation if comp else 0.0,
        bus_w=hw.bus_power_w,
        # ASSUMPTION (no published figure for these designs): safe mode sheds half the bus load --
        # payload data handling, high-rate downlink and fine pointing off; heaters stay (thermal control)
        bus_min_w=hw.bus_power_w * SAFE_MODE_BUS_SHARE if hw.bus_power_safe_w is None else min(hw.bus_power_safe_w, hw.bus_power_w),
        array_area_m2=arr.area_m2,
        packing=arr.packing_factor,
        eta_ref=eta_ref,
        t_ref_k=float(cell["t_ref_c"]) + ZERO_C_K,
        temp_coeff_per_k=float(_pick(arr.temp_coeff_per_k, cell["temp_coeff_per_k"])),
        degradation_per_yr=degr,
        age_yr=arr.age_yr,
        array_absorptance=float(_pick(arr.absorptance, cell["absorptance"])),
        array_emissivity=float(_pick(arr.emissivity, cell["emissivity"])),
        array_temp_k=None if arr.operating_temp_c is None else arr.operating_temp_c + ZERO_C_K,
        pointing=arr.pointing,
        normal=tuple(c / nn for c in normal),
        capacity_j=bat.capacity_wh * 3600.0,
        eta_charge=float(_pick(bat.charge_efficiency, tech["charge_efficiency"])),
        eta_discharge=float(_pick(bat.discharge_efficiency, tech["discharge_efficiency"])),
        soc_min=soc_min,
        soc_max=soc_max,
        soc_initial=float(_pick(bat.soc_initial, soc_max)),
        ageing=None if bat.ageing in (None, "none") else bat.ageing,
        radiator_area_m2=rad.area_m2,
        sides=rad.sides,
        emissivity=eps,
        absorptance=alpha,
        ir_absorptance=float(_pick(rad.ir_absorptance, eps)),
        sun_view=rad.sun_view,
        view_factor=rad.earth_view_factor,
        t_max_k=t_max,
        t_min_k=t_min,
        hysteresis_k=rad.hysteresis_k,
        heater_w=rad.heater_w,
        capacitance_j_k=cap,
        t_initial_k=t0,
        mass_array_kg=m_arr,
        mass_battery_kg=m_bat,
        mass_radiator_kg=m_rad,
        mass_compute_kg=m_comp,
        mass_bus_kg=hw.bus_mass_kg,
    )
