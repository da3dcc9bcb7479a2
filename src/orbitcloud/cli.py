"""Command-line interface: ``orbitcloud run | scenarios``.

Every user-facing error is printed as one line on stderr (``orbitcloud: error: ...``) with exit
status 2; no tracebacks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from orbitcloud import __version__
from orbitcloud.errors import OrbitcloudError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="orbitcloud: digital twin and operating layer of an AI data center in orbit.",
)

#: Runs estimated to take longer than this get a progress bar [s].
PROGRESS_AFTER_S = 3.0
_NS_PER_SAT_STEP = {"sgp4": 600e-9, "fast": 100e-9}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"orbitcloud {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """orbitcloud: digital twin and operating layer of an AI data center in orbit."""


@app.command()
def run(
    scenario: str = typer.Argument(..., help="Built-in scenario name (see `orbitcloud scenarios`) or a YAML file."),
    start: Optional[str] = typer.Option(None, help="Start time, ISO 8601 UTC (default: the scenario epoch)."),
    duration: Optional[str] = typer.Option(None, help="Run length: 90s, 15min, 6h, 1d, 365d or seconds."),
    step: Optional[str] = typer.Option(None, help="Time step: 10s, 1min, ... or seconds."),
    propagator: str = typer.Option("sgp4", help="sgp4 (reference) or fast (analytic J2, ~5-10x faster)."),
    out: Optional[Path] = typer.Option(None, help="Write summary.json, eclipses.csv, satellites.parquet here."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as one JSON object on stdout, nothing else."),
    workers: Optional[int] = typer.Option(None, help="Worker processes (default: all cores)."),
    eclipses: bool = typer.Option(True, "--eclipses/--no-eclipses", help="Write eclipses.csv with --out."),
    record: Optional[str] = typer.Option(None, help="With --out: write timeseries.parquet, the bus state of every satellite every RECORD (e.g. 10min)."),
    bus: bool = typer.Option(True, "--bus/--no-bus", help="Simulate power, battery and temperature of shells with hardware (--no-bus: orbits and sunlight only, faster)."),
    radiation: bool = typer.Option(True, "--radiation/--no-radiation", help="Simulate dose and accelerator faults when the scenario has a radiation: section."),
    network: bool = typer.Option(True, "--network/--no-network", help="Network summaries (links, latency, contacts, downlink) when the scenario has network:/ground: sections."),
    workloads: bool = typer.Option(True, "--workloads/--no-workloads", help="Run the scenario's workloads: (inference, training, Earth observation)."),
    policy: Optional[list[str]] = typer.Option(None, "--policy", help="Placement policy (first-fit, power-aware, follow-the-sun, latency-aware, thermal-aware); repeat to compare policies side by side."),
    report_html: bool = typer.Option(False, "--report", help="With --out: also write OUT/report.html (see `orbitcloud report`)."),
) -> None:
    """Simulate a scenario: orbits, sunlight, power, heat, radiation, network and workloads."""
    import dataclasses

    from orbitcloud.job import JobOptions, run_scenario
    from orbitcloud.ops.policies import check_policy

    policies = list(dict.fromkeys(policy or []))
    for name in policies:
        check_policy(name)
    if report_html and out is None:
        raise OrbitcloudError("--report: needs --out (the report is written to OUT/report.html)")
    opts = JobOptions(
        start=start, duration=duration, step=step, propagator=propagator, out=out, workers=workers, eclipses=eclipses,
        record=record, bus=bus, radiation=radiation, network=network, workloads=workloads,
        policy=policies[0] if len(policies) == 1 else None,
    )
    if len(policies) > 1:
        summaries = {}
        for name in policies:
            sub = dataclasses.replace(opts, policy=name, out=None if out is None else out / name)
            summaries[name] = run_scenario(scenario, sub)
            if report_html:
                from orbitcloud.report import build_report

                build_report(sub.out)
        if json_out:
            sys.stdout.write(json.dumps({"policies": summaries}) + "\n")
            return
        _print_policy_table(summaries, out)
        return
    from rich.console import Console

    err_console = Console(stderr=True)
    progress_cm = None

    def factory(total: int):
        nonlocal progress_cm
        from orbitcloud.sim import default_workers

        est_s = total * _NS_PER_SAT_STEP.get(propagator, 600e-9) / max(1, min(workers or default_workers(), 8))
        if est_s < PROGRESS_AFTER_S or not err_console.is_terminal:
            return None
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        progress_cm = Progress(
            TextColumn("[bold]simulating"), BarColumn(), TextColumn("{task.percentage:>5.1f}%"),
            TimeElapsedColumn(), TimeRemainingColumn(), console=err_console, transient=True,
        )
        progress_cm.start()
        task = progress_cm.add_task("run", total=total)
        return lambda n: progress_cm.advance(task, n)

    try:
        summary = run_scenario(scenario, opts, progress_factory=factory)
    finally:
        if progress_cm is not None:
            progress_cm.stop()
    if report_html:
        from orbitcloud.report import build_report

        build_report(out)
    if json_out:
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    _print_summary(summary, out)
    if report_html:
        typer.echo(f"report written to {out / 'report.html'}")


def _fmt(value, unit: str = "", digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}{unit}"
    return f"{value:,}{unit}" if isinstance(value, int) else f"{value}{unit}"


def _print_summary(summary: dict, out: Optional[Path]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    head = Table(title=f"orbitcloud run: {summary['scenario']}", show_header=False, title_justify="left")
    head.add_column(style="bold")
    head.add_column()
    rows = [
        ("start", summary["start"]),
        ("duration", f"{summary['duration_s']:g} s in {summary['steps']:,} steps of {summary['step_s']:g} s"),
        ("propagator", summary["propagator"]),
        ("satellites", _fmt(summary["satellites"])),
        ("sunlit fraction", _fmt(summary["sunlit_fraction"])),
        ("longest eclipse", f"{_fmt(summary['longest_eclipse_s'], ' s', 5)} ({summary.get('longest_eclipse_satellite') or '-'})"),
        ("eclipses", _fmt(summary["eclipses"])),
        ("beta angle", f"{_fmt(summary['beta_min_deg'], '°')} .. {_fmt(summary['beta_max_deg'], '°')}"),
        ("wall time", f"{summary['wall_time_s']:.2f} s ({_fmt(summary['satellite_steps_per_s'])} satellite-steps/s)"),
    ]
    for k, v in rows:
        head.add_row(k, str(v))
    console.print(head)
    table = Table(title="shells", title_justify="left")
    for col in ("shell", "sats", "alt km", "incl°", "sunlit", "max ecl s", "ecl/day", "β° range"):
        table.add_column(col, justify="left" if col == "shell" else "right")

    def span(lo, hi, fmt: str, tol: float) -> str:
        return format(lo, fmt) if abs(hi - lo) < tol else f"{lo:{fmt}}-{hi:{fmt}}"

    for s in summary["shells"]:
        beta = "-" if s["beta_min_deg"] is None else f"{s['beta_min_deg']:.0f}..{s['beta_max_deg']:.0f}"
        table.add_row(
            s["name"], _fmt(s["satellites"]),
            span(s["mean_altitude_km_min"], s["mean_altitude_km_max"], ".0f", 0.5),
            span(s["inclination_deg_min"], s["inclination_deg_max"], ".1f", 0.05),
            _fmt(s["sunlit_fraction"]), _fmt(s["longest_eclipse_s"], "", 5),
            _fmt(s["eclipses_per_satellite_day"], "", 3), beta,
        )
    console.print(table)
    _print_bus(console, summary)
    _print_radiation(console, summary)
    _print_network(console, summary)
    _print_workloads(console, summary)
    if out is not None:
        console.print(f"results written to {out}/ (see docs/results.md)")


#: Rows of the workload tables: (workload, key, label, format: "pct" | "num" | "int").
_WORKLOAD_ROWS = (
    ("inference", "requests", "requests", "int"),
    ("inference", "served", "served", "int"),
    ("inference", "pending", "pending (queued at end)", "int"),
    ("inference", "unreachable", "unreachable", "int"),
    ("inference", "active_servers_mean", "active replicas (mean)", "num"),
    ("inference", "ttft_s_p50", "TTFT p50 [s]", "num"),
    ("inference", "ttft_s_p99", "TTFT p99 [s]", "num"),
    ("inference", "tpot_s_p50", "TPOT p50 [s]", "num"),
    ("inference", "tpot_s_p99", "TPOT p99 [s]", "num"),
    ("inference", "slo_attainment", "SLO attainment", "pct"),
    ("inference", "tokens_per_s", "tokens/s", "num"),
    ("inference", "tokens_per_kwh", "tokens/kWh", "num"),
    ("inference", "migrations", "migrations", "int"),
    ("training", "tokens_trained", "training tokens", "num"),
    ("training", "goodput", "training goodput", "pct"),
    ("training", "mfu_achieved", "training MFU", "pct"),
    ("training", "time_to_train_s", "time to train [s]", "num"),
    ("training", "checkpoint_overhead_fraction", "checkpoint overhead", "pct"),
    ("earth_observation", "captured_b", "EO captured [B]", "num"),
    ("earth_observation", "downlinked_b", "EO downlinked [B]", "num"),
    ("earth_observation", "downlink_reduction", "EO downlink reduction", "pct"),
    ("earth_observation", "value_density", "EO value density", "pct"),
    ("earth_observation", "age_p50_s", "EO age p50 [s]", "num"),
    ("earth_observation", "lost_b", "EO lost to full storage [B]", "num"),
)


def _cell(value, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "int":
        return f"{int(value):,}"
    return _fmt(float(value), "", 4)


def _workload_rows(summary: dict) -> list[tuple[str, str, str]]:
    w = summary.get("workloads") or {}
    rows = []
    for part, key, label, kind in _WORKLOAD_ROWS:
        if w.get(part) is not None and key in w[part]:
            rows.append((label, key, kind))
    return rows


def _print_workloads(console, summary: dict) -> None:
    w = summary.get("workloads")
    if not w:
        return
    from rich.table import Table

    head = Table(title=f"workloads (policy {w['policy']})", show_header=False, title_justify="left")
    head.add_column(style="bold")
    head.add_column()
    for part, key, label, kind in _WORKLOAD_ROWS:
        if w.get(part) is not None and key in w[part]:
            head.add_row(label, _cell(w[part][key], kind))
    console.print(head)


def _bus_row(summary: dict) -> list[tuple[str, object, str]]:
    b = summary.get("bus") or {}
    shells = [s["bus"] for s in summary["shells"] if s.get("bus")]
    thr_p = [s.get("throttled_fraction_power") for s in shells if s.get("throttled_fraction_power") is not None]
    thr_t = [s.get("throttled_fraction_thermal") for s in shells if s.get("throttled_fraction_thermal") is not None]
    return [
        ("compute energy [J]", b.get("energy_compute_j"), "num"),
        ("throttled by power (max over shells)", max(thr_p) if thr_p else None, "pct"),
        ("throttled by heat (max over shells)", max(thr_t) if thr_t else None, "pct"),
        ("lowest state of charge", b.get("soc_min"), "pct"),
    ]


def _print_policy_table(summaries: dict, out: Optional[Path]) -> None:
    """The same scenario under each policy, side by side."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    first = next(iter(summaries.values()))
    table = Table(title=f"orbitcloud run: {first['scenario']}, policies compared", title_justify="left")
    table.add_column("metric", style="bold")
    for name in summaries:
        table.add_column(name, justify="right")
    rows = _workload_rows(first)
    for label, key, kind in rows:
        part = next(p for p, k, lab, _ in _WORKLOAD_ROWS if k == key and lab == label)
        table.add_row(label, *(_cell((s["workloads"] or {}).get(part, {}).get(key), kind) for s in summaries.values()))
    for i, (label, _, kind) in enumerate(_bus_row(first)):
        table.add_row(label, *(_cell(_bus_row(s)[i][1], kind) for s in summaries.values()))
    table.add_row("wall time [s]", *(_fmt(s["wall_time_s"], "", 4) for s in summaries.values()))
    console.print(table)
    if out is not None:
        console.print(f"results written to {out}/<policy>/ (see docs/results.md)")


def _print_network(console, summary: dict) -> None:
    n = summary.get("network")
    if not n:
        return
    from rich.table import Table

    head = Table(title="network", show_header=False, title_justify="left")
    head.add_column(style="bold")
    head.add_column()
    head.add_row("ISL topology", f"{n['isl_topology']} ({_fmt(n['links_per_satellite_mean'], '', 3)} links per satellite)")
    head.add_row("contacts", f"{n['contacts']:,} windows, {n['contact_minutes_per_station_day_mean']:.1f} min per station per day")
    head.add_row("downlink", f"{n['downlink_bytes_per_day'] / 1e12:.3g} TB per day over {n['stations']} stations")
    for p in n["pairs"]:
        head.add_row(f"{p['src']}-{p['dst']}", f"RTT {_fmt(p['rtt_ms_min'], '', 4)}..{_fmt(p['rtt_ms_max'], '', 4)} ms, reachable {100 * p['reachable_fraction']:.0f}%")
    console.print(head)


def _print_radiation(console, summary: dict) -> None:
    from rich.table import Table

    rows = [s for s in summary["shells"] if s.get("radiation")]
    if not rows:
        return
    table = Table(title="radiation and faults (events per device-year)", title_justify="left")
    for col in ("shell", "rad/yr", "avail", "uecc", "sdc", "sefi", "lost", "spares"):
        table.add_column(col, justify="left" if col == "shell" else "right")
    for s in rows:
        r = s["radiation"]
        rate = r["events_per_device_year"] or {}
        table.add_row(
            s["name"], _fmt(r["dose_rate_rad_per_yr_mean"], "", 3), _fmt(r["availability"], "", 5),
            _fmt(rate.get("uecc"), "", 3), _fmt(rate.get("sdc"), "", 3), _fmt(rate.get("sefi"), "", 3),
            _fmt(r["devices_lost"]), f"{r['spares_used']}/{r['spares_total']}",
        )
    console.print(table)


def _print_bus(console, summary: dict) -> None:
    from rich.table import Table

    rows = [s for s in summary["shells"] if s.get("bus")]
    if not rows:
        return
    table = Table(title="bus: power, thermal, compute (thr P/T: throttled by power / by temperature)", title_justify="left")
    for col in ("shell", "gen MWh", "used MWh", "curtail", "compute", "thr P/T", "SOC min", "T °C"):
        table.add_column(col, justify="left" if col == "shell" else "right")
    pct = lambda v: "-" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    findings = []
    for s in rows:
        b = s["bus"]
        gen = b["energy_generated_j"] or 0.0
        table.add_row(
            s["name"], f"{gen / 3.6e9:.4g}", f"{(b['energy_used_j'] or 0) / 3.6e9:.4g}",
            pct((b["energy_curtailed_j"] or 0) / gen if gen else None), pct(b["compute_delivered_fraction"]),
            "-" if b["throttled_fraction_power"] is None else f"{100 * b['throttled_fraction_power']:.0f}/{100 * b['throttled_fraction_thermal']:.0f}%",
            pct(b["soc_min"]),
            f"{_fmt(b['temperature_min_c'], '', 2)}..{_fmt(b['temperature_max_c'], '', 2)}",
        )
        findings += [f"{s['name']}: {f}" for f in b["findings"]]
    console.print(table)
    for f in findings:
        console.print(f"[bold yellow]finding[/] {f}")


@app.command()
def scenarios() -> None:
    """List the built-in scenarios with satellite counts."""
    from rich.console import Console
    from rich.table import Table

    from orbitcloud.scenario import builtin_names, load_scenario
    from orbitcloud.scenario.schema import TLEShell

    table = Table(title="built-in scenarios", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("satellites", justify="right")
    table.add_column("shells", justify="right")
    table.add_column("description")
    for name in builtin_names():
        sc = load_scenario(name).scenario
        count = sum(s.count for s in sc.constellation if not isinstance(s, TLEShell))
        table.add_row(name, f"{count:,}", str(len(sc.constellation)), sc.description)
    Console().print(table)


@app.command()
def net(
    scenario: str = typer.Argument(..., help="Built-in scenario name or a YAML file."),
    pair: list[str] = typer.Option([], "--pair", help="Station pair A,B (repeatable)."),
    all_pairs: bool = typer.Option(False, "--all-pairs", help="Every pair of stations."),
    stations: Optional[str] = typer.Option(None, help="Ground stations CSV (id,name,lat,lon,elevation) instead of the scenario's."),
    start: Optional[str] = typer.Option(None, help="Start time, ISO 8601 UTC (default: the scenario epoch)."),
    duration: Optional[str] = typer.Option(None, help="Run length (90s, 15min, 6h, 1d or seconds)."),
    step: Optional[str] = typer.Option(None, help="Time step (100ms is 0.1, 1s, 60s, ...)."),
    propagator: str = typer.Option("sgp4", help="sgp4 or fast."),
    out: Optional[Path] = typer.Option(None, help="Write rtt.csv, paths.csv and summary.json here."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as one JSON object on stdout, nothing else."),
) -> None:
    """Round-trip times, hops and paths between ground stations through the constellation."""
    from orbitcloud.netjob import NetOptions, run_net

    summary = run_net(scenario, NetOptions(
        pairs=pair, all_pairs=all_pairs, stations=stations, start=start, duration=duration, step=step,
        propagator=propagator, out=out,
    ))
    if json_out:
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"orbitcloud net: {summary['scenario']} ({summary['satellites']:,} satellites, {summary['steps']:,} steps of {summary['step_s']:g} s, ISL {summary['isl_topology']})", title_justify="left")
    for col in ("pair", "reach", "RTT min ms", "mean", "max", "hops", "path changes"):
        table.add_column(col, justify="left" if col == "pair" else "right")
    for p in summary["pairs"][:50]:
        table.add_row(
            f"{p['src']}-{p['dst']}", f"{100 * p['reachable_fraction']:.0f}%", _fmt(p["rtt_ms_min"], "", 4),
            _fmt(p["rtt_ms_mean"], "", 4), _fmt(p["rtt_ms_max"], "", 4),
            "-" if p["hops_min"] is None else f"{p['hops_min']}-{p['hops_max']}", _fmt(p["path_changes"]),
        )
    Console().print(table)
    if len(summary["pairs"]) > 50:
        Console().print(f"... {len(summary['pairs']) - 50:,} more pairs (use --json or --out)")


def _register_size() -> None:
    from orbitcloud.design.cli import size

    app.command("size")(size)


_register_size()


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="A results directory written by `orbitcloud run ... --out DIR`."),
    out: Optional[Path] = typer.Option(None, help="HTML file to write (default: RUN_DIR/report.html)."),
    time: Optional[str] = typer.Option(None, help="Time of the globe and map, ISO 8601 UTC (default: mid-run)."),
    color: str = typer.Option("illumination", help="Colour satellites by illumination, soc, temperature or utilisation."),
    sample: Optional[int] = typer.Option(None, help="Draw at most N satellites on the globe and map (default 2000; totals use all)."),
    png: bool = typer.Option(False, "--png", help="Also write the main figures as PNG files beside the HTML."),
) -> None:
    """Write a self-contained HTML report (globe, maps, timelines, network, faults, workloads) of a run."""
    from orbitcloud.report import build_report

    path = build_report(run_dir, out, time=time, color=color, sample=sample, png=png)
    typer.echo(f"report written to {path}")


export_app = typer.Typer(no_args_is_help=True, help="Export a run for other tools.")
app.add_typer(export_app, name="export")


@export_app.command("czml")
def export_czml(
    run_dir: Path = typer.Argument(..., help="A results directory written by `orbitcloud run ... --out DIR`."),
    out: Optional[Path] = typer.Option(None, help="CZML file to write (default: RUN_DIR/run.czml)."),
) -> None:
    """Write satellites, stations and links as time-dynamic CZML (for CesiumJS)."""
    from orbitcloud.report import write_czml

    path = write_czml(run_dir, out)
    typer.echo(f"CZML written to {path}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the typer app, turning project errors into one line and exit status 2."""
    try:
        app(args=argv, standalone_mode=False)
    except OrbitcloudError as exc:
        print(f"orbitcloud: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("orbitcloud: interrupted", file=sys.stderr)
        return 130
    except (typer.Exit, typer.Abort) as exc:
        return getattr(exc, "exit_code", 1)
    except Exception as exc:
        # usage errors of the click layer bundled with typer (no public import path): they can
        # show themselves and carry an exit code
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            return exc.exit_code
        raise
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
