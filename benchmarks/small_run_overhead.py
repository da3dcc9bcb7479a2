"""Fixed overhead of a small run: wall time of ``orbitcloud run SCENARIO --json`` in a fresh process,
minus the interpreter's own start (``python -c pass``) and minus the simulation loop the summary
reports (``wall_time_s``), median of N runs (issue 14: under 1 s for a 12-satellite, 1-day run).

    python benchmarks/small_run_overhead.py [--scenario three-body-12] [--repeat 7]

Also prints the import time of ``import orbitcloud`` (no numpy) in a fresh process. Not a test: no
asserts on times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time


def _wall(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="three-body-12")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("extra", nargs="*", help="more orbitcloud run options, e.g. --no-workloads")
    a = ap.parse_args()
    py = sys.executable
    _wall([py, "-m", "orbitcloud.cli", "run", a.scenario, "--json", *a.extra])  # warm the caches
    bare = statistics.median(_wall([py, "-c", "pass"])[0] for _ in range(a.repeat))
    imp = statistics.median(_wall([py, "-c", "import orbitcloud"])[0] for _ in range(a.repeat)) - bare
    walls, loops = [], []
    for _ in range(a.repeat):
        w, out = _wall([py, "-m", "orbitcloud.cli", "run", a.scenario, "--json", *a.extra])
        walls.append(w)
        loops.append(json.loads(out)["wall_time_s"])
    wall, loop = statistics.median(walls), statistics.median(loops)
    over = [w - bare - l for w, l in zip(walls, loops)]
    print(f"orbitcloud run {a.scenario} {' '.join(a.extra)} --json, median of {a.repeat}:")
    print(f"  wall {wall:.3f} s; interpreter start {bare:.3f} s; simulation loop {loop:.3f} s")
    print(f"  fixed overhead (wall - interpreter - loop): {statistics.median(over):.3f} s (min {min(over):.3f}, max {max(over):.3f})")
    print(f"  import orbitcloud: {1e3 * imp:.1f} ms beyond the interpreter")


if __name__ == "__main__":
    main()
