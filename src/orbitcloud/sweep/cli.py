"""``orbitcloud sweep SPEC.yaml --out DIR`` (``docs/sweeps.md``): registered on the main typer app."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

_FLAG = {"show_default": False}


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)


def sweep(
    spec: Path = typer.Argument(..., metavar="SPEC", help="The sweep spec (YAML; docs/sweeps.md)."),
    out: Path = typer.Option(..., "--out", metavar="DIR", help="Output directory: cases.parquet, analysis.json, sweep_report.html (and runs/ with --keep-runs)."),
    workers: Optional[int] = typer.Option(None, metavar="N", help="Runs at a time (local processes, or Ray CPUs on a local instance). Default: all cores."),
    executor: str = typer.Option("local", metavar="NAME", help="local (a process pool) or ray (pip install 'orbitcloud[ray]')."),
    address: Optional[str] = typer.Option(None, metavar="ADDRESS", help="With --executor ray: the cluster's head, e.g. 10.0.0.1:6379 (ray start --head). Default: a local instance."),
    resume: bool = typer.Option(False, "--resume", help="Keep the runs DIR/cases.parquet holds as done (same content hash) and run the rest.", **_FLAG),
    keep_runs: bool = typer.Option(False, "--keep-runs", help="Write each run's results directory under DIR/runs/.", **_FLAG),
    report: bool = typer.Option(True, "--report/--no-report", help="Write DIR/sweep_report.html.", **_FLAG),
    json_out: bool = typer.Option(False, "--json", help="Print the counts and the analysis as one JSON object.", **_FLAG),
) -> None:
    """Run a scenario over a parameter design (values, Monte Carlo, Sobol, Morris) with replicates; collect
    summary keys, sensitivity indices and Monte Carlo summaries."""
    from orbitcloud.sweep.runner import run_sweep

    bar = _Bar(enabled=not json_out and sys.stderr.isatty())
    try:
        res = run_sweep(spec, out, workers=workers, executor=executor, address=address, resume=resume,
                        keep_runs=keep_runs, report=report, progress=bar)
    except KeyboardInterrupt:
        bar.stop()
        print(f"orbitcloud: sweep interrupted; the finished runs are in {out}/cases.parquet: "
              f"run the same command with --resume to complete it", file=sys.stderr)
        raise typer.Exit(130) from None
    bar.stop()
    if json_out:
        sys.stdout.write(json.dumps(res, default=str) + "\n")
        return
    _print(res)


class _Bar:
    """A progress bar with an ETA on stderr (terminal only)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.bar, self.task = enabled, None, None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("runs", total=total, completed=done - 1)
        self.bar.update(self.task, completed=done)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _print(res: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    a = res["analysis"]
    t = Table(title=f"orbitcloud sweep: {res['runs']:,} runs ({a['design']} design), {res['done']:,} done, "
                    f"{res['failed']:,} failed, {res['skipped']:,} kept from before; {res['wall_s']:.1f} s", title_justify="left")
    for col in ("output", "mean", "95 % CI of the mean", "p5", "p50", "p95", "n"):
        t.add_column(col, justify="left" if col == "output" else "right", overflow="fold")

    def f(v):
        return "-" if v is None else f"{v:.6g}"
    for o, s in a["summary"].items():
        t.add_row(o, f(s.get("mean")), f"{f(s.get('ci_low'))} .. {f(s.get('ci_high'))}", f(s.get("p5")), f(s.get("p50")),
                  f(s.get("p95")), str(s.get("n", 0)))
    con.print(t)
    for key, cols in (("sobol", ("S1", "S1_conf", "ST", "ST_conf")), ("morris", ("mu_star", "mu_star_conf", "sigma"))):
        if a.get(key):
            st = Table(title=f"{key} indices", title_justify="left")
            st.add_column("output", overflow="fold")
            st.add_column("parameter", overflow="fold")
            for c in cols:
                st.add_column(c, justify="right")
            for o, per in a[key].items():
                for p, v in per.items():
                    st.add_row(o, p, *(f(v.get(c)) for c in cols))
            con.print(st)
    for note in a.get("notes", []):
        con.print(f"note: {note}")
    con.print(f"results written to {res['out']}/")
