"""The ``hardware:`` mapping of a shell: compute payload, solar array, battery, radiator, masses.

A shell's ``hardware`` is either the name of a built-in design (``catalog/satellites.yaml``) or a
mapping; a mapping may start from a built-in with ``base: NAME`` and override any key (nested mappings
are merged key by key). Catalog names (accelerator, cell, battery technology, coating) are checked here
so that a typo is reported with the file, line and the list of known names. Values that are not given
come from the catalog entry named, then from the defaults documented in ``docs/scenario.md``.
Quantities keep the unit of their key; the bus layer converts to SI.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, Strict, model_validator

from orbitcloud.scenario.base import Num, ScenarioModel, Seconds

Count = Annotated[int, Strict()]
Fraction = Annotated[Num, Field(ge=0.0, le=1.0)]
Efficiency = Annotated[Num, Field(gt=0.0, le=1.0)]

POINTING = ("sun_tracking", "single_axis", "nadir_body_fixed", "fixed")


_Model = ScenarioModel


def _known(catalog: str, key: str) -> dict[str, Any]:
    from orbitcloud import catalog as _catalog

    try:
        return _catalog.entry(catalog, key)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None


class ComputeSpec(_Model):
    """Accelerators on one satellite."""

    accelerator: str
    count: Count = Field(ge=0)
    precision: str = "bf16"
    utilisation: Fraction = 1.0
    power_w: Num | None = Field(default=None, ge=0.0)
    mass_kg: Num | None = Field(default=None, ge=0.0)
    spares: Count = Field(default=0, ge=0)
    spare_delay_s: Seconds = Field(default=3600.0, ge=0.0)
    faults: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _check(self) -> "ComputeSpec":
        entry = _known("accelerators", self.accelerator)
        if self.precision not in entry["ops_per_s"]:
            raise ValueError(
                f"precision {self.precision!r} is not listed for {self.accelerator}; "
                f"known: {', '.join(entry['ops_per_s'])}"
            )
        return self


class SolarArraySpec(_Model):
    """Solar array: area, cell, packing, degradation, pointing."""

    area_m2: Num = Field(ge=0.0)
    cell: str = "xtj"
    efficiency: Efficiency | None = None
    packing_factor: Efficiency = 0.90
    degradation_pct_per_yr: Num | None = Field(default=None, ge=0.0, le=100.0)
    age_yr: Num = Field(default=0.0, ge=0.0, le=100.0)
    temp_coeff_per_k: Num | None = Field(default=None, ge=-0.05, le=0.05)
    operating_temp_c: Num | None = Field(default=None, ge=-150.0, le=200.0)
    absorptance: Fraction | None = None
    emissivity: Fraction | None = None
    pointing: Literal["sun_tracking", "single_axis", "nadir_body_fixed", "fixed"] = "sun_tracking"
    normal: tuple[Num, Num, Num] | None = None
    kg_per_m2: Num | None = Field(default=None, ge=0.0)
    mass_kg: Num | None = Field(default=None, ge=0.0)

    @model_validator(mode="after")
    def _check(self) -> "SolarArraySpec":
        _known("solar_cells", self.cell)
        if self.normal is not None:
            if self.pointing not in ("nadir_body_fixed", "fixed"):
                raise ValueError(f"normal is only used with pointing nadir_body_fixed or fixed, not {self.pointing}")
            if sum(c * c for c in self.normal) < 1e-12:
                raise ValueError(f"normal {list(self.normal)} must be a non-zero vector")
        elif self.pointing == "fixed":
            raise ValueError("pointing fixed needs normal: [x, y, z] (inertial TEME direction)")
        return self


class BatterySpec(_Model):
    """Battery: capacity, efficiencies, state-of-charge window."""

    capacity_wh: Num = Field(ge=0.0)
    technology: str = "li-ion-space"
    charge_efficiency: Efficiency | None = None
    discharge_efficiency: Efficiency | None = None
    soc_min: Fraction | None = None
    soc_max: Fraction | None = None
    soc_initial: Fraction | None = None
    mass_kg: Num | None = Field(default=None, ge=0.0)
    ageing: str | None = None

    @model_validator(mode="after")
    def _check(self) -> "BatterySpec":
        if self.ageing is not None and self.ageing != "none":
            from orbitcloud.catalog import _load

            known = sorted(k for k, v in _load("battery_ageing").items() if isinstance(v, dict) and "points" in v)
            if self.ageing not in known:
                raise ValueError(f"unknown ageing model {self.ageing!r}; known: none, {', '.join(known)}")
        tech = _known("batteries", self.technology)
        lo = tech["soc_min"] if self.soc_min is None else self.soc_min
        hi = tech["soc_max"] if self.soc_max is None else self.soc_max
        if lo >= hi:
            raise ValueError(f"soc_min {lo:g} must be below soc_max {hi:g}")
        if self.soc_initial is not None and not lo <= self.soc_initial <= hi:
            raise ValueError(f"soc_initial {self.soc_initial:g} is outside soc_min..soc_max ({lo:g}..{hi:g})")
        return self


class RadiatorSpec(_Model):
    """Radiator panels and the thermal limits of the satellite's lumped node."""

    area_m2: Num = Field(ge=0.0)
    sides: Literal[1, 2] = 2
    coating: str = "starcloud-white"
    emissivity: Fraction | None = None
    absorptance: Fraction | None = None
    ir_absorptance: Fraction | None = None
    sun_view: Fraction = 0.0
    earth_view_factor: Fraction | None = None
    t_max_c: Num = Field(default=45.0, ge=-100.0, le=300.0)
    t_min_c: Num = Field(default=-10.0, ge=-200.0, le=200.0)
    hysteresis_k: Num = Field(default=5.0, ge=0.0, le=100.0)
    heater_w: Num = Field(default=0.0, ge=0.0)
    kg_per_m2: Num | None = Field(default=None, ge=0.0)

    @model_validator(mode="after")
    def _check(self) -> "RadiatorSpec":
        _known("coatings", self.coating)
        if self.t_min_c >= self.t_max_c:
            raise ValueError(f"t_min_c {self.t_min_c:g} must be below t_max_c {self.t_max_c:g}")
        return self


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _expand(value: object) -> object:
    """A design name becomes the catalog mapping; ``base: NAME`` is merged under the given keys."""
    if isinstance(value, str):
        return {**copy.deepcopy(_known("satellites", value)), "design": value}
    if isinstance(value, dict) and "base" in value:
        name = value["base"]
        if not isinstance(name, str):
            raise ValueError(f"base must be the name of a built-in design, got {name!r}")
        over = {k: v for k, v in value.items() if k != "base"}
        return {**_merge(_known("satellites", name), over), "design": name}
    return value


class Hardware(_Model):
    """One satellite design (every satellite of the shell carries it)."""

    design: str | None = None
    label: str = ""
    source: str = ""
    compute: ComputeSpec | None = None
    bus_power_w: Num = Field(default=0.0, ge=0.0)
    #: Bus load in safe mode (payload off, non-essential loads shed); default half of ``bus_power_w``.
    bus_power_safe_w: Num | None = Field(default=None, ge=0.0)
    solar_array: SolarArraySpec
    battery: BatterySpec = BatterySpec(capacity_wh=0.0)
    radiator: RadiatorSpec
    capacitance_j_per_k: Num | None = Field(default=None, gt=0.0)
    bus_mass_kg: Num = Field(default=0.0, ge=0.0)
    initial_temp_c: Num | None = Field(default=None, ge=-200.0, le=300.0)


HardwareField = Annotated[Hardware | None, BeforeValidator(_expand)]
