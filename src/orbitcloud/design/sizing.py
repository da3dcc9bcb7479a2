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
(``scenario/hardware.py``) or from the module constants below (each with its source); the result lists
every assumption it used with its value, unit and source.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import re
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from orbitcloud import catalog
from orbitcloud.bus import power, thermal
from orbitcloud.constants import (
    AU_M,
    MAX_SSO_ALTITUDE_KM,
    SOLAR_CONSTANT_W_M2,
    WGS84_A_M,
    ZERO_C_K,
    circular_period_s,
)
from orbitcloud.errors import OrbitcloudError

# ---------------------------------------------------------------------------------------------------
# Defaults that the catalogs do not hold (each with its source; listed in the output assumptions)
# ---------------------------------------------------------------------------------------------------

#: Default orbit: Suncatcher's dawn-dusk sun-synchronous orbit at ~650 km.
DEFAULT_ALTITUDE_KM = 650.0
DEFAULT_ORBIT = "dawn-dusk"
SRC_ORBIT = "Suncatcher (Google Research blog, 4 Nov 2025; arXiv 2511.19468): dawn-dusk SSO at ~650 km"
#: Dawn-dusk is taken as LTAN 18:00 (as the built-in suncatcher-81 scenario).
DAWN_DUSK_LTAN = "18:00"
#: Default accelerator: the H100 SXM, the device Starcloud-1 flies and the one the economics default price is for.
DEFAULT_ACCELERATOR = "h100-sxm"
SRC_ACCELERATOR = ("Starcloud-1 flies one NVIDIA H100 (CNBC, 10 Dec 2025); catalog/economics.yaml accelerator_usd "
                   "is an H100 price")
DEFAULT_PRECISION = "bf16"
SRC_PRECISION = "orbitcloud default precision (hardware schema ComputeSpec, scenario/hardware.py)"
#: Default IT (compute) power of one satellite [W] when no design and no --sat-power-w is given.
DEFAULT_SAT_POWER_W = 100e3
SRC_SAT_POWER = ("built-in dc-node-100kw (catalog/satellites.yaml, 144 x H100 ~ 100 kW) and the SpaceX/xAI FCC "
                 "filing (30 Jan 2026) of 100 kW per tonne")
#: Bus (housekeeping) power as a fraction of IT power when no design gives it.
BUS_POWER_FRACTION = 0.05
SRC_BUS_POWER = ("orbitcloud assumption: avionics, attitude control, inter-satellite links and pumps ~5 % of compute "
                 "power (built-ins: dc-node-100kw 4 kW per 100.8 kW = 4 %, suncatcher-tpu 2.5 kW per 19.2 kW = 13 %; "
                 "range 3-15 %)")
#: Bus (structure, ADCS, avionics, propulsion, harness) mass as a fraction of the satellite mass.
BUS_MASS_FRACTION = 0.25
SRC_BUS_MASS = ("orbitcloud assumption: structure, mechanisms, attitude control, avionics, propulsion and harness are "
                "~20-35 % of a spacecraft's dry mass (Wertz & Larson, Space Mission Analysis and Design, 3rd ed., "
                "1999, ch. 10 mass budgets; approximate); built-in suncatcher-tpu 170 of 575 kg")
#: Cost of the bus hardware per kg of bus mass [$/kg].
BUS_USD_PER_KG = 1000.0
SRC_BUS_USD = ("orbitcloud assumption: mass-produced LEO bus hardware ~$1,000/kg (order of magnitude; public estimates "
               "of ~$0.5-1 M per few-hundred-kg Starlink satellite are secondary); range 500-5,000 $/kg")
#: Cost of deployable radiator panels per m^2 [$/m^2].
RADIATOR_USD_PER_M2 = 1000.0
SRC_RADIATOR_USD = ("orbitcloud assumption: no published price for mass-produced deployable radiators; ~$1,000/m2 "
                    "(range 300-10,000 $/m2)")
#: Sun distance of the design point [AU]: the mean (1 AU, S0 = 1,361 W/m^2) as the published sizings use.
SUN_DISTANCE_AU = 1.0
SRC_SUN_DISTANCE = ("mean Sun distance, S0 = 1,361 W/m2 (Kopp & Lean 2011) as Suncatcher and Starcloud use; "
                    "aphelion (1.0167 AU) gives 3.3 % less")
#: Start of the year over which the longest eclipse is searched (a simulation choice).
ECLIPSE_YEAR_START = "2026-01-01T00:00:00Z"
SRC_ECLIPSE_START = "simulation choice: one year from this epoch (the yearly maximum does not depend on the start)"
#: Time step and duration of the eclipse search.
ECLIPSE_STEP_S = 30.0
ECLIPSE_DAYS = 365
#: Extra capital counted against space energy (e.g. Starcloud's $1.2 M shielding): none by default.
SRC_EXTRA_CAPEX = "none by default; Starcloud counts $1.2 M of shielding for 40 MW (white paper, 2024)"
#: Source string for values taken from the hardware schema.
SRC_SCHEMA = "orbitcloud hardware schema default (scenario/hardware.py, docs/scenario.md)"
SRC_INPUT = "input"

SECONDS_PER_YEAR = power.SECONDS_PER_YEAR
HOURS_PER_YEAR = SECONDS_PER_YEAR / 3600.0
J_PER_KWH = 3.6e6
MIN_ALTITUDE_KM = 160.0
MAX_ALTITUDE_KM = 40_000.0


# ---------------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------------


def _number(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("expected a number, not a boolean")
    if isinstance(value, str):
        try:
            return float(value.strip().replace("_", ""))
        except ValueError:
            raise ValueError("expected a number") from None
    return value


def _integer(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("expected an integer, not a boolean")
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        try:
            number = float(text)
        except ValueError:
            raise ValueError("expected an integer") from None
        if not math.isfinite(number) or number != int(number):
            raise ValueError("expected an integer")
        return int(number)
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise ValueError("expected an integer")
        return int(value)
    return value


Num = Annotated[float, BeforeValidator(_number)]


def _seconds(value: object) -> object:
    if isinstance(value, str):
        from orbitcloud.scenario.durations import parse_duration_s

        return parse_duration_s(value)
    return _number(value)


#: A time [s]: a number of seconds or a duration text (``35min``; ``docs/scenario.md``, Durations).
Seconds = Annotated[float, BeforeValidator(_seconds)]
Int = Annotated[int, BeforeValidator(_integer)]
_LTAN = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


def _ltan(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 18:00 as the sexagesimal integer 1080 (minutes)
        return f"{value // 60:02d}:{value % 60:02d}"
    if isinstance(value, str) and _LTAN.match(value.strip()):
        hh, mm = value.strip().split(":")
        return f"{int(hh):02d}:{mm}"
    raise ValueError("expected a local time of ascending node \"HH:MM\" such as \"10:30\"")


def _known(cat: str, key: str) -> str:
    try:
        catalog.entry(cat, key)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    return key


class SizeInputs(BaseModel):
    """Inputs of ``orbitcloud size``; ``None`` means "use the default" (listed in the assumptions)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # what to build
    it_power_w: Num | None = Field(default=None, gt=0.0)
    accelerators: Int | None = Field(default=None, ge=1)
    accelerator: str | None = None
    precision: str | None = None
    accelerator_power_w: Num | None = Field(default=None, gt=0.0)
    accelerator_mass_kg: Num | None = Field(default=None, ge=0.0)
    accelerator_usd: Num | None = Field(default=None, ge=0.0)
    design: str | None = None
    # orbit
    altitude_km: Num | None = None
    orbit: Literal["dawn-dusk", "sso", "inclined"] | None = None
    ltan: Annotated[str | None, BeforeValidator(_ltan)] = None
    inclination_deg: Num | None = Field(default=None, ge=0.0, le=180.0)
    eclipse_s: Seconds | None = Field(default=None, ge=0.0)
    eclipse_start: str | None = None
    propagator: Literal["sgp4", "fast"] = "sgp4"
    # solar array
    cell: str | None = None
    packing_factor: Num | None = Field(default=None, gt=0.0, le=1.0)
    array_temp_c: Num | None = Field(default=None, ge=-150.0, le=200.0)
    array_degradation_pct_per_yr: Num | None = Field(default=None, ge=0.0, lt=100.0)
    array_kg_per_m2: Num | None = Field(default=None, ge=0.0)
    array_usd_per_w: Num | None = Field(default=None, ge=0.0)
    sun_distance_au: Num | None = Field(default=None, ge=0.1, le=10.0)
    # battery
    battery: str | None = None
    battery_usd_per_wh: Num | None = Field(default=None, ge=0.0)
    # radiator
    coating: str | None = None
    design_temp_c: Num | None = Field(default=None, ge=-100.0, le=500.0)
    radiator_sides: Literal[1, 2] | None = None
    radiator_sun_view: Num | None = Field(default=None, ge=0.0, le=1.0)
    radiator_kg_per_m2: Num | None = Field(default=None, ge=0.0)
    radiator_usd_per_m2: Num | None = Field(default=None, ge=0.0)
    # satellite
    sat_power_w: Num | None = Field(default=None, gt=0.0)
    sat_mass_kg: Num | None = Field(default=None, gt=0.0)
    bus_power_w: Num | None = Field(default=None, ge=0.0)
    bus_power_fraction: Num | None = Field(default=None, ge=0.0, le=10.0)
    bus_mass_fraction: Num | None = Field(default=None, ge=0.0, lt=1.0)
    bus_usd_per_kg: Num | None = Field(default=None, ge=0.0)
    shielding_kg_per_accelerator: Num | None = Field(default=None, ge=0.0)
    # launch and life
    launch_usd_per_kg: Num | None = Field(default=None, ge=0.0)
    launch_capacity_kg: Num | None = Field(default=None, gt=0.0)
    lifetime_yr: Num | None = Field(default=None, gt=0.0, le=100.0)
    energy_launch_mass_kg: Num | None = Field(default=None, ge=0.0)
    extra_capex_usd: Num | None = Field(default=None, ge=0.0)
    # terrestrial comparison
    electricity_usd_per_kwh: Num | None = Field(default=None, ge=0.0)
    pue: Num | None = Field(default=None, ge=1.0, le=5.0)
    water_l_per_kwh: Num | None = Field(default=None, ge=0.0)
    ground_capex_usd_per_w: Num | None = Field(default=None, ge=0.0)

    @field_validator("accelerator")
    @classmethod
    def _acc(cls, v: str | None) -> str | None:
        return None if v is None else _known("accelerators", v)

    @field_validator("design")
    @classmethod
    def _design(cls, v: str | None) -> str | None:
        return None if v is None else _known("satellites", v)

    @field_validator("cell")
    @classmethod
    def _cell(cls, v: str | None) -> str | None:
        return None if v is None else _known("solar_cells", v)

    @field_validator("battery")
    @classmethod
    def _battery(cls, v: str | None) -> str | None:
        return None if v is None else _known("batteries", v)

    @field_validator("coating")
    @classmethod
    def _coating(cls, v: str | None) -> str | None:
        return None if v is None else _known("coatings", v)

    @field_validator("altitude_km")
    @classmethod
    def _alt(cls, v: float | None) -> float | None:
        if v is not None and not MIN_ALTITUDE_KM <= v <= MAX_ALTITUDE_KM:
            raise ValueError(f"altitude {v:g} km is outside {MIN_ALTITUDE_KM:g}..{MAX_ALTITUDE_KM:g} km")
        return v

    @field_validator("eclipse_start")
    @classmethod
    def _start(cls, v: str | None) -> str | None:
        if v is None:
            return None
        from orbitcloud.scenario.schema import parse_epoch

        parse_epoch(v)
        return v


FIELDS = tuple(SizeInputs.model_fields)


def flag_name(key: str) -> str:
    """The command-line flag of an input key (``it_power_w`` -> ``--it-power-w``)."""
    return "--" + key.replace("_", "-")


def _describe_error(exc: ValidationError, origin: dict[str, str], values: dict[str, Any]) -> str:
    err = exc.errors(include_url=False)[0]
    loc = [str(p) for p in err["loc"]]
    key = loc[0] if loc else ""
    where = origin.get(key, "size")
    if err["type"] == "extra_forbidden":
        near = difflib.get_close_matches(key, FIELDS, n=1)
        hint = f"; did you mean {near[0]}?" if near else f"; known keys: {', '.join(FIELDS)}"
        return f"{where}: unknown key {key!r}{hint}"
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    if msg.startswith("Input should be "):
        rest = msg[len("Input should be "):]
        msg = ("expected a value " if rest.startswith(("greater", "less")) else "expected ") + rest
    got = values.get(key, err.get("input"))
    if repr(got) in msg:
        return f"{where}: {msg}"
    return f"{where}: {msg} (got {got!r})"


def load_inputs(config: str | Path | None = None, overrides: dict[str, Any] | None = None,
                override_origin: dict[str, str] | None = None) -> SizeInputs:
    """Read a sizing YAML file (optional) and apply ``overrides`` (flags win); validate.

    Errors raise :class:`OrbitcloudError` with one line naming the file or flag, the key, the value and
    what was expected.
    """
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    if config is not None:
        import yaml

        path = Path(config)
        if not path.exists():
            raise OrbitcloudError(f"{config}: no such sizing file")
        if path.is_dir():
            raise OrbitcloudError(f"{config}: is a directory, expected a sizing YAML file")
        try:
            from orbitcloud.scenario.load import _StrictLoader  # duplicate keys are refused

            text = path.read_text("utf-8")
            document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{config}:{mark.line + 1}" if mark is not None else str(config)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise OrbitcloudError(f"{where}: YAML syntax error: {problem}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise OrbitcloudError(f"{config}: cannot read: {exc}") from None
        if document is None:
            document = {}
        if not isinstance(document, dict):
            raise OrbitcloudError(f"{config}: expected a mapping of sizing keys (it_power_w, altitude_km, ...), "
                                  f"got {type(document).__name__}")
        for key, value in document.items():
            values[str(key)] = value
            origin[str(key)] = f"{config}: {key}"
    for key, value in (overrides or {}).items():
        values[key] = value
        origin[key] = (override_origin or {}).get(key, flag_name(key))
    try:
        inputs = SizeInputs.model_validate(values)
    except ValidationError as exc:
        raise OrbitcloudError(_describe_error(exc, origin, values)) from None
    _check_combination(inputs, origin)
    return inputs


def _check_combination(inp: SizeInputs, origin: dict[str, str]) -> None:
    """Cross-key rules, with the error naming where the offending key came from."""
    def where(key: str) -> str:
        return origin.get(key, key)

    if inp.it_power_w is not None and inp.accelerators is not None:
        raise OrbitcloudError(f"{where('accelerators')}: give it_power_w or accelerators, not both "
                              f"(got it_power_w {inp.it_power_w:g} and accelerators {inp.accelerators})")
    if inp.it_power_w is None and inp.accelerators is None and inp.design is None:
        raise OrbitcloudError("size: give an IT power (--it-power-w), an accelerator count (--accelerators) or a "
                              f"built-in design (--design; known: {', '.join(catalog.names('satellites'))})")
    orbit = _orbit_kind(inp)
    if inp.ltan is not None and orbit != "sso":
        raise OrbitcloudError(f"{where('ltan')}: ltan applies to orbit sso only (orbit is {orbit}; got {inp.ltan!r})")
    if inp.inclination_deg is not None and orbit != "inclined":
        raise OrbitcloudError(f"{where('inclination_deg')}: inclination_deg applies to orbit inclined only "
                              f"(orbit is {orbit}; got {inp.inclination_deg:g})")
    if orbit == "sso" and inp.ltan is None:
        raise OrbitcloudError(f"{where('orbit')}: orbit sso needs ltan (\"HH:MM\", e.g. --ltan 10:30); "
                              "use orbit dawn-dusk for LTAN 18:00")
    if orbit == "inclined" and inp.inclination_deg is None:
        raise OrbitcloudError(f"{where('orbit')}: orbit inclined needs inclination_deg (e.g. --inclination-deg 53)")
    alt = inp.altitude_km if inp.altitude_km is not None else DEFAULT_ALTITUDE_KM
    if orbit in ("sso", "dawn-dusk") and alt > MAX_SSO_ALTITUDE_KM:
        raise OrbitcloudError(f"{where('altitude_km')}: altitude {alt:g} km has no sun-synchronous circular orbit "
                              f"(above {MAX_SSO_ALTITUDE_KM:,.0f} km; got {alt:g})")
    acc = inp.accelerator
    if acc is None and inp.design is not None:
        comp = catalog.entry("satellites", inp.design).get("compute")
        acc = comp["accelerator"] if comp else None
        if acc is None and inp.accelerators is not None:
            raise OrbitcloudError(f"{where('design')}: design {inp.design!r} carries no accelerators; give accelerator")
    acc = acc or DEFAULT_ACCELERATOR
    prec = inp.precision
    if prec is None and inp.design is not None and inp.accelerator is None:
        comp = catalog.entry("satellites", inp.design).get("compute")
        prec = comp.get("precision") if comp else None
    prec = prec or DEFAULT_PRECISION
    ops = catalog.entry("accelerators", acc)["ops_per_s"]
    if prec not in ops:
        raise OrbitcloudError(f"{where('precision')}: precision {prec!r} is not listed for {acc}; "
                              f"known: {', '.join(ops)} (got {prec!r})")


def _orbit_kind(inp: SizeInputs) -> str:
    if inp.orbit is not None:
        return inp.orbit
    if inp.inclination_deg is not None:
        return "inclined"
    if inp.ltan is not None:
        return "sso"
    return DEFAULT_ORBIT


# ---------------------------------------------------------------------------------------------------
# Eclipse from the ephemeris
# ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Eclipse:
    """Longest eclipse of one circular orbit over a simulated year."""

    longest_s: float  # longest interval with illumination < 0.5
    period_s: float  # two-body period of the circular orbit
    beta_min_abs_rad: float  # smallest |beta| over the run (0 when beta changes sign)
    beta_min_rad: float
    beta_max_rad: float
    sunlit_fraction: float
    days: float
    step_s: float
    propagator: str
    wall_s: float


def eclipse_scenario_yaml(altitude_km: float, orbit: str, ltan: str | None = None, inclination_deg: float | None = None,
                          start: str = ECLIPSE_YEAR_START, days: float = ECLIPSE_DAYS,
                          step_s: float = ECLIPSE_STEP_S) -> str:
    """A one-satellite scenario document for the orbit (``orbit``: dawn-dusk, sso or inclined)."""
    if orbit == "dawn-dusk":
        orbit, ltan = "sso", DAWN_DUSK_LTAN
    if orbit == "sso":
        shell = f"kind: sso\n    name: size\n    altitude_km: {altitude_km!r}\n    ltan: \"{ltan}\"\n    sats_per_plane: 1"
    elif orbit == "inclined":
        shell = (f"kind: walker\n    name: size\n    altitude_km: {altitude_km!r}\n    inclination_deg: {inclination_deg!r}\n"
                 "    planes: 1\n    sats_per_plane: 1")
    else:
        raise ValueError(f"orbit {orbit!r} is not dawn-dusk, sso or inclined")
    return (f"name: size-eclipse\nepoch: {start}\nduration: {days:g}d\nstep: {step_s:g}s\n"
            f"constellation:\n  - {shell}\n")


def longest_eclipse(altitude_km: float, orbit: str = "dawn-dusk", ltan: str | None = None,
                    inclination_deg: float | None = None, start: str = ECLIPSE_YEAR_START,
                    days: float = ECLIPSE_DAYS, step_s: float = ECLIPSE_STEP_S, propagator: str = "sgp4") -> Eclipse:
    """Simulate one satellite of the orbit for ``days`` and return its longest eclipse (cached per process).

    The fleet is built by :func:`orbitcloud.scenario.parse_scenario` and
    :func:`orbitcloud.fleet.build_fleet`, run by :func:`orbitcloud.sim.simulate`; the eclipse is
    ``FleetResult.longest_dark_s`` (illumination < 0.5, conical shadow). ``orbit``: ``dawn-dusk`` (LTAN
    18:00), ``sso`` (give ``ltan``) or ``inclined`` (give ``inclination_deg``).
    """
    if orbit == "dawn-dusk":
        ltan = DAWN_DUSK_LTAN
    if orbit != "inclined":
        inclination_deg = None
    return _longest_eclipse(float(altitude_km), orbit, ltan, None if inclination_deg is None else float(inclination_deg),
                            str(start), float(days), float(step_s), propagator)


@functools.lru_cache(maxsize=64)
def _longest_eclipse(altitude_km: float, orbit: str, ltan: str | None, inclination_deg: float | None, start: str,
                     days: float, step_s: float, propagator: str) -> Eclipse:
    from orbitcloud.fleet import build_fleet
    from orbitcloud.scenario import n_steps, parse_scenario
    from orbitcloud.sim import RunSpec, simulate
    from orbitcloud.timescale import jd_split

    t0 = time.perf_counter()
    loaded = parse_scenario(eclipse_scenario_yaml(altitude_km, orbit, ltan, inclination_deg, start, days, step_s),
                            label="size: orbit")
    fleet = build_fleet(loaded)
    jd0, fr0 = jd_split(np.datetime64(loaded.scenario.epoch, "ns"))
    spec = RunSpec(jd0=float(jd0), fr0=float(fr0), step_s=step_s,
                   n_steps=n_steps(loaded.scenario.duration, step_s), propagator=propagator)
    res = simulate(fleet, spec, workers=1)
    bmin, bmax = float(res.beta_min_rad[0]), float(res.beta_max_rad[0])
    beta_abs = 0.0 if bmin <= 0.0 <= bmax else min(abs(bmin), abs(bmax))
    return Eclipse(
        longest_s=float(res.longest_dark_s[0]),
        period_s=circular_period_s(WGS84_A_M + altitude_km * 1e3),
        beta_min_abs_rad=beta_abs, beta_min_rad=bmin, beta_max_rad=bmax,
        sunlit_fraction=float(res.illum_sum[0] / max(res.n_valid[0], 1)),
        days=float(days), step_s=float(step_s), propagator=propagator, wall_s=time.perf_counter() - t0,
    )


def beta0_eclipse_s(altitude_km: float) -> float:
    """Eclipse of a circular orbit at beta = 0 in a cylindrical shadow (closed form) [s]."""
    from orbitcloud.environment.shadow import cylindrical_eclipse_fraction

    return cylindrical_eclipse_fraction(altitude_km * 1e3, 0.0) * circular_period_s(WGS84_A_M + altitude_km * 1e3)


# ---------------------------------------------------------------------------------------------------
# Physics building blocks (public: used by the tests and the docs)
# ---------------------------------------------------------------------------------------------------


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


def launched_power_price_usd_per_kw_yr(mass_kg: float, launch_usd_per_kg: float, power_w: float,
                                       lifetime_yr: float) -> float:
    """Launch cost per kW of power per year of life: ``m c_launch / (P_kW * life_yr)`` (Suncatcher's metric)."""
    return mass_kg * launch_usd_per_kg / (power_w / 1e3 * lifetime_yr)


def launched_power_per_year_w(launched_mass_kg_per_yr: float, specific_power_w_per_kg: float) -> float:
    """Power put in orbit per year [W/yr]: launched mass per year x specific power."""
    return launched_mass_kg_per_yr * specific_power_w_per_kg


def energy_cost_usd_per_kwh(capex_usd: float, power_w: float, lifetime_yr: float, capacity_factor: float = 1.0) -> float:
    """Capital per kWh delivered: ``capex / (P * capacity_factor * life)``."""
    e_kwh = power_w * capacity_factor * lifetime_yr * SECONDS_PER_YEAR / J_PER_KWH
    return capex_usd / e_kwh if e_kwh > 0 else math.inf


# ---------------------------------------------------------------------------------------------------
# The sizing
# ---------------------------------------------------------------------------------------------------


class _Assumptions:
    """Collects the value, unit and source of every input and default used."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def add(self, name: str, value: Any, unit: str, source: str) -> Any:
        self.rows[name] = {"name": name, "value": value, "unit": unit, "source": source}
        return value

    def pick(self, name: str, given: Any, unit: str, *fallbacks: tuple[Any, str]) -> Any:
        """The given input, else the first fallback ``(value, source)`` that is not None."""
        if given is not None:
            return self.add(name, given, unit, SRC_INPUT)
        for value, source in fallbacks:
            if value is not None:
                return self.add(name, value, unit, source)
        raise AssertionError(f"no default for {name}")  # pragma: no cover - programming error

    def econ(self, name: str, given: Any, unit: str, key: str | None = None) -> float:
        key = key or name
        return self.pick(name, given, unit, (catalog.default(key), _econ_src(key)))


def _cat_src(cat: str, name: str) -> str:
    return f"catalog/{cat}.yaml {name}: {catalog.entry(cat, name)['source']}"


def _econ_src(key: str) -> str:
    return f"catalog/economics.yaml {key}: {catalog.load('economics')[key]['source']}"


def _set(spec: Any, field: str) -> Any:
    """The value of ``field`` if the design states it explicitly (not a schema default), else None."""
    if spec is None or field not in spec.model_fields_set:
        return None
    return getattr(spec, field)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, (np.floating,)):
        return _finite(float(value))
    return value


def _schema_default(model: str, field: str) -> Any:
    from orbitcloud.scenario import hardware

    return getattr(hardware, model).model_fields[field].default


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
