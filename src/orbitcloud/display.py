"""The run summary for people: terminal tables that fit 80 columns (and use a wider terminal), every
number with its unit and a human scale (``35.5 TB``, ``6,510 s (1.8 h)``, ``100 Gbit/s``).

Cells never truncate: long values fold onto the next line of their cell. What a figure means is
one command away: ``orbitcloud explain KEY`` (the text of ``results/keys.yaml``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------------------------------
# numbers with units
# --------------------------------------------------------------------------------------------------


def _g(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits, thousands separated, no exponent below 1e15."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    mag = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - mag)
    return f"{value:,.{decimals}f}"


def _scaled(value: float | None, unit: str, prefixes: tuple[tuple[float, str], ...], digits: int = 3) -> str:
    if value is None:
        return "-"
    v = float(value)
    for size, prefix in prefixes:
        if abs(v) >= size:
            return f"{_g(v / size, digits)} {prefix}{unit}"
    return f"{_g(v, digits)} {unit}"


_SI = ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def num(value: Any, digits: int = 4) -> str:
    """A plain number, or ``-``."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return _g(float(value), digits)


def pct(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.123`` -> ``12.3 %``."""
    return "-" if value is None else f"{100.0 * float(value):.{digits}f} %"


def seconds(value: float | None) -> str:
    """``6510`` -> ``6,510 s (1.8 h)``, ``86400`` -> ``86,400 s (1 d)``; short times plain (``60 s``,
    ``0.165 s``)."""
    if value is None:
        return "-"
    v = float(value)
    if abs(v) < 120.0:
        return f"{v:.3g} s"
    head = f"{v:,.0f} s"
    for size, unit in ((86400.0 * 365.25, "yr"), (86400.0, "d"), (3600.0, "h"), (60.0, "min")):
        if abs(v) >= size:
            x = v / size
            scale = f"{x:.0f}" if abs(x - round(x)) < 0.05 else (f"{x:.1f}" if abs(x) < 100 else f"{x:,.0f}")
            return f"{head} ({scale} {unit})"
    return head


def energy_j(value: float | None) -> str:
    """Energy in watt-hours with a prefix: ``3.6e9`` J -> ``1 MWh``."""
    if value is None:
        return "-"
    return _scaled(float(value) / 3600.0, "Wh", _SI)


def data_b(value: float | None) -> str:
    """Bytes with a decimal prefix: ``3.546e13`` -> ``35.5 TB``."""
    return _scaled(value, "B", _SI)


def rate_bps(value: float | None) -> str:
    """Bit rate: ``1e11`` -> ``100 Gbit/s``."""
    return _scaled(value, "bit/s", _SI)


def power_w(value: float | None) -> str:
    return _scaled(value, "W", _SI)


def ops_per_s(value: float | None) -> str:
    """Operations per second: ``8.93e15`` -> ``8.93 POP/s``."""
    return _scaled(value, "OP/s", _SI)


def celsius(lo: float | None, hi: float | None) -> str:
    if lo is None or hi is None:
        return "-"
    return f"{lo:.1f} .. {hi:.1f} °C"


# --------------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------------


def _kv(title: str):
    from rich.table import Table

    t = Table(title=title, show_header=False, title_justify="left", expand=False, pad_edge=False)
    t.add_column(style="bold", overflow="fold", no_wrap=False, max_width=34)
    t.add_column(overflow="fold", no_wrap=False)
    return t


def print_summary(summary: dict, out: Path | None, console=None) -> None:
    """Print the run summary (see the module docstring)."""
    from rich.console import Console

    console = console or Console()
    s = summary
    head = _kv(f"orbitcloud run: {s['scenario']}")
    shells = s["shells"]
    head.add_row("start", s["start"])
    head.add_row("duration", f"{seconds(s['duration_s'])} in {s['steps']:,} steps of {seconds(s['step_s'])}")
    head.add_row("propagator", {"sgp4": "sgp4 (reference)", "fast": "fast (analytic; 1.7-6 km from SGP4 over a day)"}.get(s["propagator"], s["propagator"]))
    head.add_row("satellites", f"{s['satellites']:,} in {len(shells)} shell{'s' if len(shells) != 1 else ''}")
    ecl = s.get("longest_eclipse_satellite")
    head.add_row("sunlight", f"{pct(s['sunlit_fraction'])} of the time sunlit; {s['eclipses']:,} eclipses")
    head.add_row("longest eclipse", seconds(s["longest_eclipse_s"]) + (f" ({ecl})" if ecl else ""))
    if s.get("beta_min_deg") is not None:
        head.add_row("beta angle", f"{s['beta_min_deg']:.1f}° .. {s['beta_max_deg']:.1f}°")
    limits = s.get("limits")
    if limits:
        head.add_row("compute delivered", f"{pct(limits['delivered'])} of the accelerators' nameplate")
        lost = [(k, v) for k, v in limits.items() if k not in ("delivered", "main_limit") and v and v > 5e-4]
        if lost:
            names = {"power": "power", "heat": "heat", "faults": "faults", "operator": "operator limits",
                     "no_work": "no work", "no_link": "no link", "not_targeted": "utilisation target"}
            head.add_row("what limited it", ", ".join(f"{names[k]} {pct(v)}" for k, v in sorted(lost, key=lambda kv: -kv[1])))
    head.add_row("wall time", f"{seconds(s['wall_time_s'])} ({num(s['satellite_steps_per_s'])} satellite-steps/s)")
    for note in s.get("notes", []):
        head.add_row("note", note)
    console.print(head)
    _print_shells(console, s)
    _print_bus(console, s)
    _print_radiation(console, s)
    _print_orbit_life(console, s)
    _print_network(console, s)
    _print_workloads(console, s)
    _print_ttc(console, s)
    if out is not None:
        files = sorted(p.name for p in Path(out).iterdir() if p.is_file() and not p.name.startswith("."))
        console.print(f"results written to {out}/: {', '.join(files)}", overflow="fold")
    console.print("what a figure means: orbitcloud explain KEY (e.g. orbitcloud explain soc_min)", style="dim")


def _print_shells(console, s: dict) -> None:
    from rich.table import Table

    t = Table(title="shells", title_justify="left")
    for col, just in (("shell", "left"), ("satellites", "right"), ("altitude", "right"), ("inclination", "right"),
                      ("sunlit", "right"), ("longest eclipse", "right")):
        t.add_column(col, justify=just, overflow="fold")

    def span(lo, hi, unit, digits):
        if lo is None:
            return "-"
        return f"{lo:.{digits}f} {unit}" if abs(hi - lo) < 0.5 * 10 ** -digits else f"{lo:.{digits}f}-{hi:.{digits}f} {unit}"

    for sh in s["shells"]:
        t.add_row(sh["name"], f"{sh['satellites']:,}", span(sh["mean_altitude_km_min"], sh["mean_altitude_km_max"], "km", 0),
                  span(sh["inclination_deg_min"], sh["inclination_deg_max"], "°", 1), pct(sh["sunlit_fraction"]),
                  seconds(sh["longest_eclipse_s"]))
    console.print(t)


def _print_bus(console, s: dict) -> None:
    for sh in s["shells"]:
        b = sh.get("bus")
        if not b:
            continue
        t = _kv(f"bus of shell {sh['name']}: power, heat, compute ({b['design']}, {b['accelerators_per_satellite']} x {b['accelerator']})")
        gen = b["energy_generated_j"] or 0.0
        t.add_row("energy generated", energy_j(gen))
        t.add_row("energy used", f"{energy_j(b['energy_used_j'])} (compute {energy_j(b['energy_compute_j'])}, heaters {energy_j(b['energy_heater_j'])})")
        t.add_row("energy curtailed", f"{energy_j(b['energy_curtailed_j'])} ({pct(b['energy_curtailed_j'] / gen if gen else None)} of generated)")
        t.add_row("compute delivered", f"{pct(b['compute_delivered_fraction'])} of nameplate ({ops_per_s(b['nameplate_ops_per_s'])} {b['precision']})")
        shares = [("power", b.get("throttled_fraction_power")), ("heat", b.get("throttled_fraction_thermal")),
                  ("faults", b.get("fault_loss_fraction")), ("operator", b.get("operator_fraction")), ("no work", b.get("idle_fraction"))]
        t.add_row("target not delivered", ", ".join(f"{k} {pct(v)}" for k, v in shares if v is not None) +
                  f" (of the {pct(b['utilisation_target'], 0)} utilisation target)")
        t.add_row("lowest state of charge", pct(b["soc_min"]))
        t.add_row("temperature", f"{celsius(b['temperature_min_c'], b['temperature_max_c'])} (limit {b['temperature_limit_c']:.1f} °C)")
        if b.get("energy_bus_unmet_j"):
            t.add_row("bus energy not met", energy_j(b["energy_bus_unmet_j"]))
        t.add_row("mass per satellite", f"{b['mass_kg_per_satellite']:,.1f} kg")
        console.print(t)
        for f in b["findings"]:
            console.print(f"[bold yellow]finding[/] {sh['name']}: {f}", overflow="fold")


def _print_radiation(console, s: dict) -> None:
    for sh in s["shells"]:
        r = sh.get("radiation")
        if not r:
            continue
        t = _kv(f"radiation and faults of shell {sh['name']} ({r.get('shielding_mm_al')} mm Al)")
        t.add_row("dose", f"{num(r['dose_rate_rad_per_yr_mean'], 3)} rad(Si)/yr mean; {num(r['dose_rad_max'], 3)} rad(Si) most in the run")
        rate = r.get("events_per_device_year") or {}
        t.add_row("faults per device-year", f"uecc {num(rate.get('uecc'), 3)}, sdc {num(rate.get('sdc'), 3)}, sefi {num(rate.get('sefi'), 3)}")
        t.add_row("accelerator availability", pct(r["availability"], 2))
        t.add_row("devices failed", f"{r['devices_failed']:,} (first after {seconds(r['first_device_failure_s'])})"
                  if r.get("first_device_failure_s") is not None else "0")
        t.add_row("spares switched in", f"{r['spares_used']:,} of {r['spares_total']:,} carried")
        t.add_row("devices lost for good", f"{r['devices_lost']:,} (failed with no spare left)")
        console.print(t)


def _years(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 365.25:.1f} days" if value < 0.2 else f"{num(value, 3)} years"


def _print_orbit_life(console, s: dict) -> None:
    life = s.get("orbit_life")
    if not life:
        return
    act = life.get("activity") or {}
    for sh in life.get("shells") or []:
        if not sh:
            continue
        t = _kv(f"orbit life of shell {sh['name']} (F10.7 {num(act.get('f107'))}, Ap {num(act.get('ap'))})")
        t.add_row("drag decay", f"{num(sh['decay_rate_m_per_day'], 3)} m/day; mean altitude {num(sh['altitude_km_start'], 5)} -> "
                  f"{num(sh['altitude_km_end'], 5)} km")
        t.add_row("natural lifetime", f"{_years(sh.get('natural_lifetime_years'))} (to 120 km)")
        if sh.get("thruster"):
            t.add_row("station-keeping", f"{sh['thruster']}: duty {pct(sh['thruster_duty'])}, {num(sh['dv_m_s_per_year'], 3)} m/s per year, "
                      f"{num(sh['propellant_kg_per_year'], 3)} kg propellant per satellite-year")
            t.add_row("compute lost to it", energy_j(sh.get("compute_lost_j")))
        if "meets_disposal_rule" in sh:
            verdict = "meets" if sh["meets_disposal_rule"] else "does NOT meet"
            t.add_row("disposal", f"{verdict} the {life.get('disposal_rule_years'):g}-year rule: re-entry "
                      f"{_years(sh.get('time_to_reentry_years'))} after end of mission"
                      + (f" (spiral to {num(sh['disposal_altitude_km'], 4)} km, {num(sh['disposal_dv_m_s'], 3)} m/s)"
                         if sh.get("disposal_dv_m_s") else ""))
        console.print(t)


def _print_network(console, s: dict) -> None:
    n = s.get("network")
    if not n:
        return
    t = _kv("network")
    t.add_row("inter-satellite links", f"{n['isl_topology']}: {num(n['links_per_satellite_mean'], 3)} links per satellite")
    t.add_row("contact windows", f"{n['contacts']:,} (satellite, station) passes over {n['stations']} stations")
    if n.get("station_in_contact_minutes_per_day_mean") is not None:
        busy = n["station_in_contact_minutes_per_day_mean"]
        t.add_row("station time in contact", f"{busy:,.1f} min per day ({pct(busy / 1440.0)}) with at least one satellite in view (mean over stations)")
        t.add_row("satellite-minutes in view", f"{n['contact_satellite_minutes_per_station_day_mean']:,.1f} per station per day "
                  "(every satellite in view counts: can exceed 1,440)")
    t.add_row("downlink capacity", f"{data_b(n['downlink_bytes_per_day'])} per day over all stations")
    if n.get("gateway_reachable_fraction") is not None:
        t.add_row("reach of a gateway", f"{pct(n['gateway_reachable_fraction'])} of satellite-time; one-way delay "
                  f"{num(n['gateway_delay_ms_mean'], 3)} ms mean, {num(n['gateway_delay_ms_max'], 3)} ms max")
    for p in n["pairs"]:
        t.add_row(f"{p['src']} - {p['dst']}", f"RTT {num(p['rtt_ms_min'], 4)} .. {num(p['rtt_ms_max'], 4)} ms, reachable {pct(p['reachable_fraction'], 0)}")
    console.print(t)


#: Rows of the workload table: (workload, key, label, format).
WORKLOAD_ROWS = (
    ("inference", "requests", "requests", "int"),
    ("inference", "served", "served", "int"),
    ("inference", "pending", "pending (queued at the end)", "int"),
    ("inference", "unreachable", "unreachable (no path)", "int"),
    ("inference", "active_servers_mean", "active replicas (mean)", "num"),
    ("inference", "ttft_s_p50", "time to first token, p50", "s"),
    ("inference", "ttft_s_p99", "time to first token, p99", "s"),
    ("inference", "tpot_s_p50", "time per output token, p50", "s"),
    ("inference", "tpot_s_p99", "time per output token, p99", "s"),
    ("inference", "slo_attainment", "SLO attainment", "pct"),
    ("inference", "tokens_per_s", "output tokens per second", "num"),
    ("inference", "tokens_per_kwh", "output tokens per kWh", "num"),
    ("inference", "serving_policy", "serving policy", "text"),
    ("inference", "quality_weighted_tokens_per_kwh", "quality-weighted tokens per kWh", "num"),
    ("inference", "escalated", "cascade: escalated requests", "int"),
    ("inference", "capped_share", "energy-aware: share of replica-steps capped", "pct"),
    ("inference", "small_model_share", "energy-aware: share on the small model", "pct"),
    ("inference", "migrations", "migrations", "int"),
    ("training", "tokens_trained", "training tokens", "num"),
    ("training", "goodput", "training goodput", "pct"),
    ("training", "mfu_achieved", "training MFU", "pct"),
    ("training", "time_to_train_s", "time to train", "s"),
    ("training", "checkpoint_overhead_fraction", "checkpoint overhead", "pct"),
    ("earth_observation", "captured_b", "EO data captured", "bytes"),
    ("earth_observation", "downlinked_b", "EO data downlinked", "bytes"),
    ("earth_observation", "downlink_reduction", "EO downlink reduction", "pct"),
    ("earth_observation", "value_density", "EO value density downlinked", "pct"),
    ("earth_observation", "age_p50_s", "EO data age on the ground, p50", "s"),
    ("earth_observation", "lost_b", "EO data lost to full storage", "bytes"),
    ("batch", "items_done", "batch items done", "num"),
    ("batch", "nameplate_share", "batch share of nameplate", "pct"),
    ("batch", "backlog_left", "batch backlog left", "num"),
    ("batch", "no_link_fraction", "batch: idle for want of a link", "pct"),
)


def cell(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    return {"pct": pct, "int": lambda v: f"{int(v):,}", "s": seconds, "bytes": data_b, "text": str}.get(kind, lambda v: num(float(v), 4))(value)


def _print_workloads(console, s: dict) -> None:
    w = s.get("workloads")
    if not w:
        return
    t = _kv(f"workloads (placement policy {w['policy']})")
    for part, key, label, kind in WORKLOAD_ROWS:
        if w.get(part) is not None and key in w[part]:
            t.add_row(label, cell(w[part][key], kind))
    for a in w.get("added", []):
        if a["kind"] == "inference":
            text = f"{a['requests']:,} requests from {a['source']}, {a['served']:,} served, TTFT p50 {seconds(a['ttft_s_p50'])}"
        elif a["kind"] == "training":
            text = f"{a['model']}: {num(a['tokens_trained'])} of {num(a['tokens_target'])} tokens" + (" (done)" if a["done"] else "")
        else:
            text = f"target {a['status']}" + (f", delivered after {seconds(a['turnaround_s'])}" if a.get("turnaround_s") is not None else "")
        t.add_row(f"added {a['work']}", text)
    console.print(t)


def _print_ttc(console, s: dict) -> None:
    from rich.table import Table

    t = s.get("ttc")
    if not t:
        return
    head = _kv("TT&C (contact plan, commands, telemetry; docs/ttc.md)")
    head.add_row("passes", f"{t['passes']:,} ({t['passes_unserved']:,} left unserved: antennas busy)")
    head.add_row("commands", f"{t['commands']:,} sent, {t['commands_completed']:,} completed, {t['commands_failed']:,} failed or rejected; "
                 f"{t['packets_rejected']:,} packets rejected onboard")
    head.add_row("telemetry", f"{t['telemetry_packets_delivered']:,} HK packets down, {t['telemetry_packets_lost']:,} lost (store full), "
                 f"{t['telemetry_packets_onboard']:,} still onboard")
    head.add_row("alarms", f"{t['alarms_raised']:,} raised, {t['alarms_cleared']:,} cleared; {t['autonomy_actions']:,} onboard actions")
    for note in t.get("notes", []):
        head.add_row("note", note)
    console.print(head)
    table = Table(title="TT&C per shell: commandable, command latency (issue -> execution), telemetry age", title_justify="left")
    for col in ("shell", "commandable direct", "with relays", "latency direct p50 / p99", "with relays p50 / p99", "telemetry age p50 / p99 / max"):
        table.add_column(col, justify="left" if col == "shell" else "right")
    for sh in t["shells"]:
        table.add_row(sh["shell"], pct(sh["commandable_direct_fraction"]), pct(sh["commandable_with_relays_fraction"]),
                      f"{seconds(sh['command_latency_direct_p50_s'])} / {seconds(sh['command_latency_direct_p99_s'])}",
                      f"{seconds(sh['command_latency_relay_p50_s'])} / {seconds(sh['command_latency_relay_p99_s'])}",
                      f"{seconds(sh['telemetry_age_p50_s'])} / {seconds(sh['telemetry_age_p99_s'])} / {seconds(sh['telemetry_age_max_s'])}")
    console.print(table)
    st = Table(title="TT&C stations", title_justify="left")
    for col in ("station", "antennas", "passes", "served", "unserved", "antenna utilisation"):
        st.add_column(col, justify="left" if col == "station" else "right")
    for row in t["stations"][:30]:
        st.add_row(row["station"], str(row["antennas"]), f"{row['passes']:,}", f"{row['served']:,}", f"{row['unserved']:,}", pct(row["antenna_utilisation"]))
    console.print(st)


def print_policy_table(summaries: dict, out: Path | None, console=None, what: str = "policies") -> None:
    """The same scenario under each policy (placement or serving), side by side."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    first = next(iter(summaries.values()))
    table = Table(title=f"orbitcloud run: {first['scenario']}, {what} compared", title_justify="left")
    table.add_column("figure", style="bold", overflow="fold")
    for name in summaries:
        table.add_column(name, justify="right", overflow="fold")
    w0 = first.get("workloads") or {}
    for part, key, label, kind in WORKLOAD_ROWS:
        if w0.get(part) is not None and key in w0[part]:
            table.add_row(label, *(cell(((s.get("workloads") or {}).get(part) or {}).get(key), kind) for s in summaries.values()))
    rows = (("compute energy", lambda s: energy_j((s.get("bus") or {}).get("energy_compute_j"))),
            ("throttled by power (worst shell)", lambda s: pct(_worst(s, "throttled_fraction_power"))),
            ("throttled by heat (worst shell)", lambda s: pct(_worst(s, "throttled_fraction_thermal"))),
            ("lowest state of charge", lambda s: pct((s.get("bus") or {}).get("soc_min"))),
            ("battery capacity left (lowest)", lambda s: pct((s.get("bus") or {}).get("battery_capacity_left_min"))),
            ("energy curtailed", lambda s: energy_j((s.get("bus") or {}).get("energy_curtailed_j"))),
            ("wall time", lambda s: seconds(s["wall_time_s"])))
    for label, fn in rows:
        table.add_row(label, *(fn(s) for s in summaries.values()))
    console.print(table)
    if out is not None:
        console.print(f"results written to {out}/<{'serving policy' if what.startswith('serving') else 'policy'}>/")


def _worst(summary: dict, key: str) -> float | None:
    vals = [sh["bus"][key] for sh in summary["shells"] if sh.get("bus") and sh["bus"].get(key) is not None]
    return max(vals) if vals else None
