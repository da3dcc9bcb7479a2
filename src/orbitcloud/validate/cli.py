"""``orbitcloud validate`` and ``orbitcloud sources`` (registered on the main app by ``orbitcloud.cli``)."""

from __future__ import annotations

import json as _json
import sys
from pathlib import Path
from typing import Optional

import typer

_FLAG = {"show_default": False}


def validate(
    quick: bool = typer.Option(False, "--quick", help="A representative subset (under a minute); default: every case (under 15 minutes).", **_FLAG),
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR", help="Write DIR/validation.html (offline, with error plots) and DIR/validation.json."),
) -> None:
    """Run the golden cases (each model against an outside reference) and print case, reference and source,
    tolerance, measured error, pass/fail and time. Exit code 1 when a case fails; cases whose reference tool
    is missing are skipped (pip install 'orbitcloud[validate]')."""
    from rich.console import Console
    from rich.table import Table

    from orbitcloud.validate.report import fmt, write_reports
    from orbitcloud.validate.runner import run_cases

    err = Console(stderr=True)
    live = sys.stderr.isatty()

    def progress(rec):
        if live:
            err.print(f"  {rec['case']}: {rec['status']} ({rec['wall_s']:.1f} s)")

    res = run_cases(quick, progress=progress)
    table = Table(show_header=True, title=f"orbitcloud validate ({res['mode']}): {res['wall_s']:.1f} s", title_justify="left")
    for col in ("case", "reference (source)", "tolerance", "error", "result", "time"):
        table.add_column(col, overflow="fold", no_wrap=col in ("tolerance", "error", "result", "time"))
    styles = {"pass": "green", "fail": "bold red", "skipped": "yellow"}
    for r in res["cases"]:
        ref = f"{r['reference']} ({r['source']})" if r["reference"] else r["detail"]
        if r["status"] == "fail" and r["detail"]:
            ref = f"{ref}\n{r['detail']}" if r["reference"] else ref
        table.add_row(f"{r['case']}\n{r['model']}", ref, fmt(r["tolerance"], r["tolerance_unit"]), fmt(r["error"], r["error_unit"]),
                      f"[{styles[r['status']]}]{r['status']}[/]", f"{r['wall_s']:.2f} s")
    console = Console(width=max(Console().width, 140))
    console.print(table)
    c = res["counts"]
    console.print(f"{c['pass']} passed, {c['fail']} failed, {c['skipped']} skipped in {res['wall_s']:.1f} s")
    if out is not None:
        h, j = write_reports(res, out)
        console.print(f"written: {h}, {j}")
    if c["fail"]:
        raise typer.Exit(1)


def sources(
    catalog: Optional[str] = typer.Argument(None, metavar="CATALOG", help="One catalog (e.g. accelerators); default: all."),
    json: bool = typer.Option(False, "--json", help="Print every entry (all its numbers and sources) as a JSON list.", **_FLAG),
) -> None:
    """List every catalog entry with its key numbers and the source each default comes from."""
    from rich.console import Console
    from rich.table import Table

    from orbitcloud.validate.sources import numbers_text, source_rows

    rows = source_rows(catalog)
    if json:
        sys.stdout.write(_json.dumps(rows, indent=1) + "\n")
        return
    table = Table(show_header=True, title_justify="left", title=f"catalog sources ({len(rows)} entries)")
    for col in ("catalog", "entry", "numbers", "source"):
        table.add_column(col, overflow="fold")
    for r in rows:
        src = r["source"] + "".join(f"\n{k}: {v}" for k, v in r["other_sources"].items())
        table.add_row(r["catalog"], r["entry"] + (f"\n{r['label']}" if r["label"] else ""), numbers_text(r["numbers"]), src)
    Console(width=max(Console().width, 160)).print(table)
