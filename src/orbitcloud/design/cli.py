"""``orbitcloud size``: closed-form design and economics of an orbital data center.

Inputs come from a YAML file (keys: ``docs/sizing.md``, "Inputs") and from flags; flags override the
file, ``--set KEY=VALUE`` reaches every key. Flags are read as text and validated by the sizing model, so
a bad value is reported as one line (``orbitcloud: error: --flag: ... (got VALUE)``) with exit status 2.

This module is imported when ``orbitcloud.cli`` is, so it imports nothing heavy at module level.
"""

from __future__ import annotations

import json
import sys
from typing import Any, List, Optional

import typer

from orbitcloud.errors import OrbitcloudError

_H_IT = "What to build"
_H_ORBIT = "Orbit"
_H_TECH = "Technology"
_H_ECON = "Launch, life and the ground comparison"


def _opt(flag: str, metavar: str, help: str, panel: str):  # noqa: A002 - typer keyword
    return typer.Option(None, flag, metavar=metavar, help=help, rich_help_panel=panel, show_default=False)


def size(
    config: Optional[str] = typer.Argument(None, metavar="CONFIG.yaml",
                                           help="Sizing inputs YAML (optional; flags override its keys).",
                                           show_default=False),
    it_power_w: Optional[str] = _opt("--it-power-w", "W", "IT (accelerator) power target, e.g. 40e6.", _H_IT),
    accelerators: Optional[str] = _opt("--accelerators", "N", "Accelerator count (instead of --it-power-w).", _H_IT),
    accelerator: Optional[str] = _opt("--accelerator", "NAME", "Accelerator from the catalog (default h100-sxm or the design's).", _H_IT),
    precision: Optional[str] = _opt("--precision", "NAME", "Precision for peak throughput (bf16, fp8, int8, ...).", _H_IT),
    design: Optional[str] = _opt("--design", "NAME", "Built-in satellite design: technology and per-satellite size.", _H_IT),
    sat_power_w: Optional[str] = _opt("--sat-power-w", "W", "IT power per satellite (default: the design's, else 100 kW).", _H_IT),
    sat_mass_kg: Optional[str] = _opt("--sat-mass-kg", "KG", "Mass limit per satellite.", _H_IT),
    bus_power_w: Optional[str] = _opt("--bus-power-w", "W", "Bus (housekeeping) power per satellite.", _H_IT),
    altitude_km: Optional[str] = _opt("--altitude-km", "KM", "Circular orbit altitude (default 650).", _H_ORBIT),
    orbit: Optional[str] = _opt("--orbit", "KIND", "dawn-dusk (SSO, LTAN 18:00; default), sso (needs --ltan) or inclined.", _H_ORBIT),
    ltan: Optional[str] = _opt("--ltan", "HH:MM", "Local time of ascending node of an SSO.", _H_ORBIT),
    inclination_deg: Optional[str] = _opt("--inclination-deg", "DEG", "Inclination of a non-SSO orbit.", _H_ORBIT),
    eclipse_s: Optional[str] = _opt("--eclipse-s", "DURATION", "Longest eclipse to design for, e.g. 2100 or 35min (skips the one-year ephemeris run).", _H_ORBIT),
    propagator: Optional[str] = _opt("--propagator", "NAME", "Propagator of the eclipse run: sgp4 (default) or fast.", _H_ORBIT),
    cell: Optional[str] = _opt("--cell", "NAME", "Solar cell from the catalog.", _H_TECH),
    packing_factor: Optional[str] = _opt("--packing-factor", "F", "Array packing factor (cell area / array area).", _H_TECH),
    array_temp_c: Optional[str] = _opt("--array-temp-c", "C", "Fixed array temperature (default: computed hot case).", _H_TECH),
    battery: Optional[str] = _opt("--battery", "NAME", "Battery technology from the catalog.", _H_TECH),
    coating: Optional[str] = _opt("--coating", "NAME", "Radiator coating from the catalog.", _H_TECH),
    design_temp_c: Optional[str] = _opt("--design-temp-c", "C", "Radiator design temperature (default 20).", _H_TECH),
    launch_usd_per_kg: Optional[str] = _opt("--launch-usd-per-kg", "$/KG", "Launch price (default 3,600).", _H_ECON),
    launch_capacity_kg: Optional[str] = _opt("--launch-capacity-kg", "KG", "Payload per launch (default 100 t).", _H_ECON),
    lifetime_yr: Optional[str] = _opt("--lifetime-yr", "YR", "Satellite life (default 5).", _H_ECON),
    electricity_usd_per_kwh: Optional[str] = _opt("--electricity-usd-per-kwh", "$/KWH", "Ground electricity price (default 0.04).", _H_ECON),
    pue: Optional[str] = _opt("--pue", "X", "Ground power usage effectiveness (default 1.2).", _H_ECON),
    water_l_per_kwh: Optional[str] = _opt("--water-l-per-kwh", "L/KWH", "Ground cooling water per kWh (default 0.5).", _H_ECON),
    set_: Optional[List[str]] = typer.Option(None, "--set", metavar="KEY=VALUE",
                                             help="Any input key (see docs/sizing.md), e.g. --set array_usd_per_w=0.05; repeatable.",
                                             show_default=False),
    json_out: bool = typer.Option(False, "--json", metavar="", help="Print the result as one JSON object on stdout, nothing else."),
) -> None:
    """Closed-form design and economics of an orbital AI data center.

    Sizes the array, battery and radiator, the mass and the launches, and compares the cost of energy
    and of an accelerator-hour with a ground data center."""
    from orbitcloud.design.sizing import FIELDS, flag_name, load_inputs, size_data_center

    flags = {
        "it_power_w": it_power_w, "accelerators": accelerators, "accelerator": accelerator, "precision": precision,
        "design": design, "sat_power_w": sat_power_w, "sat_mass_kg": sat_mass_kg, "bus_power_w": bus_power_w,
        "altitude_km": altitude_km, "orbit": orbit, "ltan": ltan, "inclination_deg": inclination_deg,
        "eclipse_s": eclipse_s, "propagator": propagator, "cell": cell, "packing_factor": packing_factor,
        "array_temp_c": array_temp_c, "battery": battery, "coating": coating, "design_temp_c": design_temp_c,
        "launch_usd_per_kg": launch_usd_per_kg, "launch_capacity_kg": launch_capacity_kg, "lifetime_yr": lifetime_yr,
        "electricity_usd_per_kwh": electricity_usd_per_kwh, "pue": pue, "water_l_per_kwh": water_l_per_kwh,
    }
    overrides: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for item in set_ or []:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise OrbitcloudError(f"--set: expected KEY=VALUE, got {item!r}")
        if key not in FIELDS:
            import difflib

            near = difflib.get_close_matches(key, FIELDS, n=1)
            hint = f"; did you mean {near[0]}?" if near else ""
            raise OrbitcloudError(f"--set {key}: unknown key {key!r}{hint} (got {item!r})")
        overrides[key] = _scalar(text)
        origin[key] = f"--set {key}"
    for key, value in flags.items():
        if value is not None:
            overrides[key] = value
            origin[key] = flag_name(key)
    inputs = load_inputs(config, overrides, origin)
    result = size_data_center(inputs)
    if json_out:
        sys.stdout.write(json.dumps(result, allow_nan=False) + "\n")
        return
    _print_result(result)


def _scalar(text: str) -> Any:
    """A ``--set`` value as YAML reads it (numbers, true/false, null, text)."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, (int, float, str, bool)) or value is None else text


_PREFIX = ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def _num(value: Any, unit: str = "", digits: int = 4) -> str:
    """A value with its unit, scaled for reading (W -> kW/MW/GW, kg -> t, $ -> $k/$M/$B)."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    v = float(value)
    if unit == "$":
        for scale, name in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(v) >= scale:
                return f"${v / scale:.{digits}g} {name}"
        return f"${v:.{digits}g}"
    if unit.startswith("$") and abs(v) < 1e4:
        return f"{v:.{digits}g} {unit}"
    if unit == "kg" and abs(v) >= 1e3:
        return f"{v / 1e3:,.{digits}g} t"
    if unit in ("W", "Wh", "OP/s", "L") and abs(v) >= 1e3:
        for scale, name in _PREFIX:
            if abs(v) >= scale:
                return f"{v / scale:.{digits}g} {name}{unit}"
    if isinstance(value, int):
        return f"{value:,} {unit}".strip()
    if 1e4 <= abs(v) < 1e15:
        return f"{v:,.0f} {unit}".strip()
    return f"{v:.{digits}g} {unit}".strip()


# (label, section, key, unit)
_ROWS = (
    ("Orbit", None, None, None),
    ("orbit", "orbit", "kind", ""),
    ("altitude", "orbit", "altitude_km", "km"),
    ("period", "orbit", "period_s", "s"),
    ("longest eclipse (year)", "orbit", "longest_eclipse_s", "s"),
    ("eclipse at beta = 0 (closed form)", "orbit", "beta0_eclipse_s", "s"),
    ("eclipse from", "orbit", "eclipse_source", ""),
    ("Compute", None, None, None),
    ("accelerators", "compute", "accelerators", ""),
    ("IT power", "compute", "it_power_w", "W"),
    ("bus power", "compute", "bus_power_w", "W"),
    ("peak throughput", "compute", "peak_ops_per_s", "OP/s"),
    ("Satellites", None, None, None),
    ("satellites", "satellites", "count", ""),
    ("limited by", "satellites", "limited_by", ""),
    ("IT power per satellite", "satellites", "it_power_w", "W"),
    ("mass per satellite", "satellites", "mass_kg", "kg"),
    ("Solar array", None, None, None),
    ("area", "array", "area_m2", "m²"),
    ("required power (end of life, hot)", "array", "required_power_w", "W"),
    ("of which battery recharge", "array", "recharge_power_w", "W"),
    ("rated power (1,361 W/m², T_ref)", "array", "rated_power_w", "W"),
    ("cell temperature (hot case)", "array", "temperature_c", "°C"),
    ("efficiency BOL / EOL", "array", ("efficiency_bol", "efficiency_eol"), ""),
    ("mass", "array", "mass_kg", "kg"),
    ("Battery", None, None, None),
    ("capacity", "battery", "capacity_wh", "Wh"),
    ("depth of discharge", "battery", "depth_of_discharge", ""),
    ("mass", "battery", "mass_kg", "kg"),
    ("Radiator", None, None, None),
    ("heat (IT + bus + battery losses)", "radiator", "heat_w", "W"),
    ("net flux at design temperature", "radiator", "net_flux_w_m2", "W/m²"),
    ("area", "radiator", "area_m2", "m²"),
    ("mass", "radiator", "mass_kg", "kg"),
    ("Mass and launch", None, None, None),
    ("compute", "mass", "compute_kg", "kg"),
    ("bus", "mass", "bus_kg", "kg"),
    ("total", "mass", "total_kg", "kg"),
    ("specific power (rated)", "mass", "specific_power_w_per_kg", "W/kg"),
    ("launches", "launch", "launches", ""),
    ("launch cost", "launch", "cost_usd", "$"),
    ("launched-power price", "launch", "launched_power_usd_per_kw_yr", "$/kW·yr"),
    ("Economics", None, None, None),
    ("space energy capital", "economics", "space_energy_capex_usd", "$"),
    ("energy cost in space (per IT kWh)", "economics", "space_energy_usd_per_kwh", "$/kWh"),
    ("energy cost on the ground (price × PUE)", "economics", "ground_energy_usd_per_kwh", "$/kWh"),
    ("water avoided over life", "economics", "water_avoided_l", "L"),
    ("space capital (all)", "economics", "space_capex_usd", "$"),
    ("ground cost (capital + energy)", "economics", "ground_cost_usd", "$"),
    ("accelerator-hour in space", "economics", "space_usd_per_accelerator_hour", "$/h"),
    ("accelerator-hour on the ground", "economics", "ground_usd_per_accelerator_hour", "$/h"),
)


def _print_result(r: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="orbitcloud size", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, section, key, unit in _ROWS:
        if section is None:
            table.add_section()
            table.add_row(f"[underline]{label}[/underline]", "")
            continue
        if isinstance(key, tuple):
            value = " / ".join(_num(r[section][k], unit) for k in key)
        else:
            value = _num(r[section][key], unit)
        table.add_row(label, value)
    console.print(table)
    if r["findings"]:
        console.print("[bold red]findings[/bold red]")
        for f in r["findings"]:
            console.print(f"  [red]•[/red] {f}", highlight=False)
    else:
        console.print("[green]findings: none (the design closes)[/green]")
    console.print("[bold]assumptions[/bold] (name = value unit: source)")
    for row in r["assumptions"]:
        value = row["value"]
        text = f"{value:.6g}" if isinstance(value, float) else str(value)
        unit = f" {row['unit']}" if row["unit"] else ""
        console.print(f"  [bold]{row['name']}[/bold] = {text}{unit}: [dim]{row['source']}[/dim]", highlight=False)
