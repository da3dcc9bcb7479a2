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

def _quiet_help_types() -> None:
    """Help without type tags where they say nothing: a flag takes no value (typer 0.2x shows
    ``<bool>`` beside every flag, ``--help`` included) and a named argument needs no ``<str>``."""
    from typer import core as tc

    def option_type(self, ctx):
        if getattr(self, "is_flag", False):
            return None
        return _option_type(self, ctx)

    def argument_type(self, ctx):
        return None if self.metavar is not None else _argument_type(self, ctx)

    _option_type, _argument_type = tc.TyperOption.display_type_rich, tc.TyperArgument.display_type_rich
    if getattr(tc.TyperOption.display_type_rich, "_orbitcloud", False):
        return
    option_type._orbitcloud = True
    tc.TyperOption.display_type_rich = option_type
    tc.TyperArgument.display_type_rich = argument_type


_quiet_help_types()

#: A run still going after this long gets a progress bar on a terminal [s] (none with --json).
PROGRESS_AFTER_S = 1.5
_FLAG = dict(metavar="")  # boolean flags take no value: show none in --help


def _version(value: bool) -> None:
    if value:
        typer.echo(f"orbitcloud {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit.", **_FLAG),
) -> None:
    """orbitcloud: digital twin and operating layer of an AI data center in orbit."""


class _LazyProgress:
    """A progress bar with an ETA on stderr that appears only when a run takes a while (terminal only)."""

    def __init__(self, total: int, enabled: bool) -> None:
        import time

        self.total, self.enabled, self.done = total, enabled, 0
        self.t0 = time.perf_counter()
        self.bar = self.task = None

    def __call__(self, n: int) -> None:
        import time

        self.done += n
        if not self.enabled:
            return
        if self.bar is None:
            if time.perf_counter() - self.t0 < PROGRESS_AFTER_S or self.done >= self.total:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("[bold]simulating"), BarColumn(), TextColumn("{task.percentage:>5.1f}%"),
                                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("run", total=self.total, completed=self.done - n)
        self.bar.advance(self.task, n)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


_OUT_FILES = ("summary.json, satellites.parquet, scenario.yaml, and where the run has them eclipses.csv, "
              "contacts.csv, faults.parquet, timeseries.parquet (--record), actions.parquet, requests.parquet, "
              "workload_timeline.parquet, and with TT&C ttc_commands/ttc_telemetry/ttc_events/ttc_freshness.parquet "
              "and contact_plan.ion")


@app.command()
def run(
    scenario: str = typer.Argument(..., metavar="SCENARIO", help="Built-in scenario name (see `orbitcloud scenarios`) or a YAML file."),
    start: Optional[str] = typer.Option(None, metavar="TIME", help="Start time, ISO 8601 UTC. Default: the scenario's epoch."),
    duration: Optional[str] = typer.Option(None, metavar="DURATION", help="Run length: 100ms, 90s, 15min, 1.5h, 1d, 365d or seconds. Default: the scenario's duration."),
    step: Optional[str] = typer.Option(None, metavar="DURATION", help="Time step (same forms). Default: the scenario's step."),
    propagator: str = typer.Option("sgp4", metavar="NAME", help="sgp4 (the reference) or fast (analytic J2/J3, 5-10x faster; 1.7-6 km from SGP4 over a day)."),
    out: Optional[Path] = typer.Option(None, metavar="DIR", help=f"Write the results directory: {_OUT_FILES}."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as one JSON object on stdout, nothing else.", **_FLAG),
    workers: Optional[int] = typer.Option(None, metavar="N", help="Worker processes for large fleets (workload runs: >= 20,000 satellites). Results do not depend on N. Default: all cores."),
    executor: str = typer.Option("local", metavar="NAME", help="local (worker processes on this machine) or ray (Ray tasks and actors; pip install 'orbitcloud[ray]')."),
    address: Optional[str] = typer.Option(None, metavar="ADDRESS", help="With --executor ray: a running Ray cluster (ray start --head). Default: a local instance with N CPUs."),
    eclipses: bool = typer.Option(True, "--eclipses/--no-eclipses", help="With --out: write eclipses.csv (every eclipse of every satellite).", **_FLAG),
    record: Optional[str] = typer.Option(None, metavar="INTERVAL", help="With --out: write timeseries.parquet, the bus state of every satellite every INTERVAL (e.g. 10min)."),
    bus: bool = typer.Option(True, "--bus/--no-bus", help="Power, battery and temperature of shells with hardware. --no-bus: orbits and sunlight only (and no workloads, which run on the bus).", **_FLAG),
    radiation: bool = typer.Option(True, "--radiation/--no-radiation", help="Dose and accelerator faults when the scenario has a radiation: section.", **_FLAG),
    network: bool = typer.Option(True, "--network/--no-network", help="Network figures (links, latency, contacts, downlink) when the scenario has network:/ground: sections.", **_FLAG),
    workloads: bool = typer.Option(True, "--workloads/--no-workloads", help="Run the scenario's workloads: (inference, training, Earth observation, batch).", **_FLAG),
    policy: Optional[list[str]] = typer.Option(None, "--policy", metavar="NAME", help="Placement policy (first-fit, power-aware, follow-the-sun, latency-aware, thermal-aware); repeat to compare policies side by side. Default: the scenario's."),
    serving: Optional[list[str]] = typer.Option(None, "--serving", metavar="NAME", help="Serving policy of LLM inference (max-clock, race-to-idle, energy-aware, cascade; docs/serving.md); repeat to compare side by side. Default: the scenario's."),
    ttc: Optional[bool] = typer.Option(None, "--ttc/--no-ttc", help="The TT&C layer (contact plan, commands, telemetry, alarms, onboard rules; docs/ttc.md). Default: on when the scenario has a ttc: section.", show_default=False),
    report_html: bool = typer.Option(False, "--report", help="With --out: also write OUT/report.html (see `orbitcloud report`).", **_FLAG),
) -> None:
    """Simulate a scenario: orbits, sunlight, power, heat, radiation, network, workloads and TT&C."""
    import dataclasses

    from orbitcloud.ops.policies import check_policy
    from orbitcloud.sim.setup import RunOptions

    from orbitcloud.ops.policies import check_serving

    policies = list(dict.fromkeys(policy or []))
    for name in policies:
        check_policy(name)
    servings = list(dict.fromkeys(serving or []))
    for name in servings:
        check_serving(name)
    if len(policies) > 1 and len(servings) > 1:
        raise OrbitcloudError("--policy and --serving: repeat one of them to compare, not both")
    if report_html and out is None:
        raise OrbitcloudError("--report: needs --out (the report is written to OUT/report.html)")
    if record is not None and out is None:
        raise OrbitcloudError("--record: needs --out (the time series is written to OUT/timeseries.parquet)")
    opts = RunOptions(
        start=start, duration=duration, step=step, propagator=propagator, out=out, workers=workers,
        executor=executor, address=address, eclipses=eclipses and out is not None, record=record, bus=bus, radiation=radiation, network=network,
        workloads=workloads, policy=policies[0] if len(policies) == 1 else None, ttc=ttc,
        serving=servings[0] if len(servings) == 1 else None,
    )
    field, names = ("serving", servings) if len(servings) > 1 else ("policy", policies)
    if len(names) > 1:
        from orbitcloud.display import print_policy_table

        summaries = {}
        for name in names:
            sub = dataclasses.replace(opts, **{field: name}, out=None if out is None else out / name)
            summaries[name] = _run_one(scenario, sub, show_progress=not json_out)
            if report_html:
                from orbitcloud.report import build_report

                build_report(sub.out)
        if json_out:
            sys.stdout.write(json.dumps({"policies" if field == "policy" else "serving": summaries}) + "\n")
            return
        print_policy_table(summaries, out, what="serving policies" if field == "serving" else "policies")
        return
    summary = _run_one(scenario, opts, show_progress=not json_out)
    if report_html:
        from orbitcloud.report import build_report

        build_report(out)
    if json_out:
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    from orbitcloud.display import print_summary

    print_summary(summary, out)


def _run_one(scenario: str, opts, show_progress: bool) -> dict:
    """One run through the live twin: Simulation, advanced to the end, finished."""
    import dataclasses

    from rich.console import Console

    from orbitcloud.sim import Simulation

    sim = Simulation(scenario, **dataclasses.asdict(opts))
    bar = _LazyProgress(len(sim.fleet) * sim.steps, show_progress and Console(stderr=True).is_terminal)
    try:
        sim.advance(progress=bar)
    finally:
        bar.stop()
    return sim.finish().summary


@app.command()
def scenarios(
    show: Optional[str] = typer.Option(None, "--show", metavar="NAME", help="Print the YAML of a built-in scenario, to start your own from (orbitcloud scenarios --show three-body-12 > my.yaml)."),
) -> None:
    """List the built-in scenarios with satellite counts, or print one."""
    from orbitcloud.scenario import builtin_names, builtin_text, load_scenario
    from orbitcloud.scenario.schema import TLEShell

    if show is not None:
        sys.stdout.write(builtin_text(show))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="built-in scenarios (orbitcloud scenarios --show NAME prints one)", title_justify="left")
    table.add_column("name", style="bold", overflow="fold")
    table.add_column("satellites", justify="right")
    table.add_column("shells", justify="right")
    table.add_column("description", overflow="fold")
    for name in builtin_names():
        sc = load_scenario(name).scenario
        count = sum(s.count for s in sc.constellation if not isinstance(s, TLEShell))
        table.add_row(name, f"{count:,}", str(len(sc.constellation)), sc.description)
    Console().print(table)


@app.command()
def net(
    scenario: str = typer.Argument(..., metavar="SCENARIO", help="Built-in scenario name or a YAML file."),
    pair: list[str] = typer.Option([], "--pair", metavar="A,B", help="Station pair A,B (repeatable), e.g. Manila,Dalian."),
    all_pairs: bool = typer.Option(False, "--all-pairs", help="Every pair of stations.", **_FLAG),
    stations: Optional[str] = typer.Option(None, metavar="FILE|builtin:NAME", help="Ground stations instead of the scenario's: a CSV (id,name,lat,lon,elevation) or a shipped set such as builtin:cities-top100."),
    start: Optional[str] = typer.Option(None, metavar="TIME", help="Start time, ISO 8601 UTC. Default: the scenario's epoch."),
    duration: Optional[str] = typer.Option(None, metavar="DURATION", help="Run length: 100ms, 20s, 15min, 1.5h, 1d or seconds. Default: the scenario's."),
    step: Optional[str] = typer.Option(None, metavar="DURATION", help="Time step (100ms, 0.1, 1s, 60s, ...). Default: the scenario's."),
    propagator: str = typer.Option("sgp4", metavar="NAME", help="sgp4 (the reference) or fast (analytic; 1.7-6 km from SGP4 over a day)."),
    out: Optional[Path] = typer.Option(None, metavar="DIR", help="Write rtt.parquet, paths.parquet and summary.json here."),
    csv: bool = typer.Option(False, "--csv", help="With --out: also write rtt.csv and paths.csv (large for many pairs).", **_FLAG),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as one JSON object on stdout, nothing else.", **_FLAG),
) -> None:
    """Round-trip times, hops and paths between ground stations through the constellation."""
    from orbitcloud.netjob import NetOptions, run_net

    summary = run_net(scenario, NetOptions(
        pairs=pair, all_pairs=all_pairs, stations=stations, start=start, duration=duration, step=step,
        propagator=propagator, out=out, csv=csv,
    ))
    if json_out:
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"orbitcloud net: {summary['scenario']} ({summary['satellites']:,} satellites, {summary['steps']:,} steps of {summary['step_s']:g} s, ISL {summary['isl_topology']})", title_justify="left")
    from orbitcloud.display import num

    for col in ("pair", "reach", "RTT min", "mean", "max", "hops", "path changes"):
        table.add_column(col, justify="left" if col == "pair" else "right", overflow="fold")
    ms = lambda v: "-" if v is None else f"{num(v, 4)} ms"  # noqa: E731
    for p in summary["pairs"][:50]:
        table.add_row(
            f"{p['src']}-{p['dst']}", f"{100 * p['reachable_fraction']:.0f} %", ms(p["rtt_ms_min"]), ms(p["rtt_ms_mean"]),
            ms(p["rtt_ms_max"]), "-" if p["hops_min"] is None else f"{p['hops_min']}-{p['hops_max']}", num(p["path_changes"]),
        )
    Console().print(table)
    if len(summary["pairs"]) > 50:
        Console().print(f"... {len(summary['pairs']) - 50:,} more pairs (use --json or --out)")


@app.command()
def explain(
    key: Optional[str] = typer.Argument(None, metavar="KEY", help="A summary key (soc_min, shells[].bus.soc_min, eclipses, ...) or part of one."),
    all_keys: bool = typer.Option(False, "--all", help="List every key of the run summary.", **_FLAG),
) -> None:
    """What a figure of the run summary means, and its unit (the keys of --json and summary.json)."""
    from rich.console import Console
    from rich.table import Table

    from orbitcloud.results.keys import explanations, lookup

    if all_keys:
        rows = [(k, *v) for k, v in explanations().items()]
    elif key is None:
        raise OrbitcloudError("explain: give a KEY (e.g. orbitcloud explain soc_min) or --all")
    else:
        rows = lookup(key)
    table = Table(show_header=True, title_justify="left")
    for col in ("key", "unit", "meaning"):
        table.add_column(col, overflow="fold", style="bold" if col == "key" else None)
    for k, unit, meaning in rows:
        table.add_row(k, unit or "-", meaning)
    Console().print(table)


def _register_size() -> None:
    from orbitcloud.design.cli import size

    app.command("size")(size)


_register_size()


def _register_conjunctions() -> None:
    from orbitcloud.safety.cli import conjunctions

    app.command("conjunctions")(conjunctions)


_register_conjunctions()


def _register_validate() -> None:
    from orbitcloud.validate.cli import sources, validate  # typer only; the cases import lazily

    app.command("validate")(validate)
    app.command("sources")(sources)


_register_validate()


@app.command()
def report(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="A results directory written by `orbitcloud run ... --out DIR`."),
    out: Optional[Path] = typer.Option(None, metavar="FILE", help="HTML file to write. Default: RUN_DIR/report.html."),
    time: Optional[str] = typer.Option(None, metavar="TIME", help="Time of the globe and map, ISO 8601 UTC. Default: mid-run."),
    color: str = typer.Option("illumination", metavar="BY", help="Colour satellites by illumination, soc, temperature or utilisation."),
    sample: Optional[int] = typer.Option(None, metavar="N", help="Draw at most N satellites on the globe and map (totals use all). Default: 2000."),
    png: bool = typer.Option(False, "--png", help="Also write the main figures as PNG files beside the HTML.", **_FLAG),
) -> None:
    """Write a self-contained HTML report (globe, maps, timelines, network, faults, workloads) of a run."""
    from orbitcloud.report import build_report

    path = build_report(run_dir, out, time=time, color=color, sample=sample, png=png)
    typer.echo(f"report written to {path}")
    if png:
        from orbitcloud.report.page import written_pngs

        typer.echo(f"{len(written_pngs)} PNG figures written to {path.parent}/: {', '.join(p.name for p in written_pngs)}")


from orbitcloud.service.cli import register as _register_service  # noqa: E402
from orbitcloud.sweep.cli import register as _register_sweep  # noqa: E402

_register_service(app)
_register_sweep(app)

export_app = typer.Typer(no_args_is_help=True, help="Export a run for other tools.")
app.add_typer(export_app, name="export")


@export_app.command("czml")
def export_czml(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="A results directory written by `orbitcloud run ... --out DIR`."),
    out: Optional[Path] = typer.Option(None, metavar="FILE", help="CZML file to write. Default: RUN_DIR/run.czml."),
) -> None:
    """Write satellites, stations and links as time-dynamic CZML (for CesiumJS)."""
    from orbitcloud.report import write_czml

    path = write_czml(run_dir, out)
    typer.echo(f"CZML written to {path}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the typer app, turning project errors into one line and exit status 2."""
    try:
        rc = app(args=argv, standalone_mode=False)
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
    # with standalone_mode=False click answers typer.Exit(code) by returning the code
    return rc if isinstance(rc, int) and not isinstance(rc, bool) else 0


def _exit(code: int) -> None:
    """Leave the process once its output is flushed: results are already written (atomically, and
    fsynced) and worker pools closed, so the interpreter's teardown (~0.3 s of module finalisers,
    numba's among them) is skipped."""
    import os

    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: nothing more to say
        pass
    os._exit(code)


def entry() -> None:
    """Console-script entry point."""
    _exit(main())


if __name__ == "__main__":  # pragma: no cover
    _exit(main())
