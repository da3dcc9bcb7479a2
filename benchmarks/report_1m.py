"""Report size and load time for a 10^6-satellite run (and small runs for comparison).

Runs (unless given run directories) ``orbitcloud run spacex-odc-1m --propagator fast --duration 1h
--record 10min --out DIR``, builds the HTML report and the CZML export, then opens the report in
headless Chromium (Debian ``chromium``, through Playwright, as the browser test does) several times
and prints the file size, the build time and the load time: navigation start to every plot rendered
(wall clock; the page also reports its own plotting time) and the CPU time all Chromium processes
used meanwhile (renderer, GPU process with software WebGL, browser), which depends much less on
what else runs. The load average is printed with the times: on a shared two-core machine the wall
times scale with it.

    python benchmarks/report_1m.py                       # the 10^6 run, made in a temporary folder
    python benchmarks/report_1m.py --run-dir /tmp/odc    # an existing results directory
    python benchmarks/report_1m.py --small               # also three-body-12 (1 d) and starlink-shell1 (6 h)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "report"))

LIMIT_MB = 25.0
LIMIT_LOAD_S = 5.0


def make_run(name: str, out: Path, *extra: str) -> float:
    from orbitcloud.cli import main

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["run", name, "--out", str(out), "--json", *extra])
    if code != 0:
        raise SystemExit(f"orbitcloud run {name} failed ({code})")
    return time.perf_counter() - t0


def measure(run_dir: Path, loads: int) -> dict:
    from report_helpers import load_report

    from orbitcloud.report import build_report, write_czml

    t0 = time.perf_counter()
    html = build_report(run_dir)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    czml = write_czml(run_dir)
    czml_s = time.perf_counter() - t0
    results = []
    for _ in range(loads):
        la = os.getloadavg()[0]
        r = load_report(html, timeout_s=300.0)
        if r["errors"] or r["page_errors"] or r["rendered"] != r["expected"]:
            raise SystemExit(f"{html}: not rendered cleanly: {r['errors'] or r['page_errors']}")
        results.append((r["load_s"], r["render_ms"] / 1e3, la, r["plot_ms"], r["cpu_s"]))
    load_s = [x[0] for x in results]
    return {
        "run_dir": str(run_dir),
        "satellites": json.loads((run_dir / "summary.json").read_text())["satellites"],
        "report_mb": html.stat().st_size / 1e6,
        "build_s": round(build_s, 2),
        "czml_mb": czml.stat().st_size / 1e6,
        "czml_s": round(czml_s, 2),
        "plots": r["expected"],
        "load_s_min": round(min(load_s), 2),
        "load_s_median": round(statistics.median(load_s), 2),
        "render_s_min": round(min(x[1] for x in results), 2),
        "chromium_cpu_s_min": round(min(x[4] for x in results), 2),
        "loadavg_1min": [round(x[2], 2) for x in results],
        "plot_ms_first": results[0][3],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run-dir", type=Path, help="an existing spacex-odc-1m results directory (default: run it)")
    ap.add_argument("--loads", type=int, default=3, help="browser loads per report (default 3)")
    ap.add_argument("--small", action="store_true", help="also measure three-body-12 and starlink-shell1")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="report-bench-"))
    rows = []
    if args.small:
        for name, extra in (
            ("three-body-12", ["--record", "10min"]),
            ("starlink-shell1", ["--record", "30min", "--duration", "6h"]),
        ):
            d = tmp / name
            run_s = make_run(name, d, *extra)
            rows.append({"scenario": name, "run_s": round(run_s, 1), **measure(d, args.loads)})
    d = args.run_dir
    run_s = None
    if d is None:
        d = tmp / "spacex-odc-1m"
        run_s = make_run("spacex-odc-1m", d, "--propagator", "fast", "--duration", "1h", "--record", "10min")
    rows.append(
        {"scenario": "spacex-odc-1m", "run_s": None if run_s is None else round(run_s, 1), **measure(d, args.loads)}
    )
    for r in rows:
        ok = r["report_mb"] < LIMIT_MB and r["load_s_min"] < LIMIT_LOAD_S
        print(
            f"{r['scenario']:>16}: {r['satellites']:>9,} satellites  report {r['report_mb']:6.2f} MB ({r['plots']} plots, "
            f"built in {r['build_s']:.1f} s)  load {r['load_s_min']:.2f} s min / {r['load_s_median']:.2f} s median "
            f"(plotting {r['render_s_min']:.2f} s; Chromium CPU {r['chromium_cpu_s_min']:.2f} s; load average {r['loadavg_1min']})  CZML {r['czml_mb']:.1f} MB in "
            f"{r['czml_s']:.1f} s  {'ok' if ok else 'OVER LIMIT'}" + (f"  [run {r['run_s']} s]" if r["run_s"] else "")
        )
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
