"""Inputs of ``orbitcloud size``: the validated :class:`SizeInputs`, the YAML/flag loader and its errors.

:func:`load_inputs` reads an optional sizing YAML file (duplicate keys refused, through the scenario
loader), applies the command-line overrides and validates them into :class:`SizeInputs`; every error is
one line naming the file or flag, the key, the value and what was expected. Cross-key rules
(:func:`_check_combination`) and the orbit kind implied by the keys (:func:`_orbit_kind`) live here too.
Durations follow ``docs/scenario.md`` (Durations); the defaults come from
:mod:`orbitcloud.design.defaults` and the catalogs (``catalog/*.yaml``, each entry with a ``source``).
Split out of :mod:`orbitcloud.design.sizing`, which re-exports its public names.
"""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from orbitcloud import catalog
from orbitcloud.constants import MAX_SSO_ALTITUDE_KM
from orbitcloud.design.defaults import (
    DEFAULT_ACCELERATOR,
    DEFAULT_ALTITUDE_KM,
    DEFAULT_ORBIT,
    DEFAULT_PRECISION,
    MAX_ALTITUDE_KM,
    MIN_ALTITUDE_KM,
)
from orbitcloud.errors import OrbitcloudError


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
