"""End-to-end: ``orbitcloud run spacex-odc-1m --duration 1d --step 60s --propagator fast --json``.

Measures wall time and the peak of the summed resident memory of the whole process tree (parent and
worker processes), sampled every 0.1 s from /proc. Targets (issue #2, orbits and sunlight): <= 120 s,
<= 4 GB, both cores. Since issue #3 the run also steps every satellite's power and thermal bus;
pass ``--no-bus`` to time the orbit-and-sunlight run the issue #2 target was set for.

Also prints the CPU time of the process tree (its waited-for worker processes included) over the
wall time: how many cores the run kept busy.

Usage: python benchmarks/run_1m.py [extra orbitcloud run arguments]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time


def tree_rss_bytes(pid: int) -> int:
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def run_sampled(cmd: list[str], every_s: float = 0.1) -> tuple[dict, float, int]:
    """Run ``cmd`` (an ``orbitcloud ... --json`` command): its JSON output, wall time [s] and the peak
    resident memory of its process tree [bytes], sampled every ``every_s``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_bytes(proc.pid))
        time.sleep(every_s)
    out = proc.stdout.read()
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)}: exit {proc.returncode}")
    return json.loads(out), time.perf_counter() - t0, peak


def main() -> None:
    cmd = ["orbitcloud", "run", "spacex-odc-1m", "--duration", "1d", "--step", "60s", "--propagator", "fast", "--json"]
    cmd += sys.argv[1:]
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary, wall, peak = run_sampled(cmd)
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(" ".join(cmd))
    print(f"wall time {wall:.1f} s (target <= 120 s); peak RSS of process tree {peak / 1e9:.2f} GB (target <= 4 GB)")
    print(f"CPU time {cpu_s:.1f} s: {cpu_s / wall:.2f} of {os.cpu_count()} cores busy on average")
    print(
        f"satellites {summary['satellites']:,}, steps {summary['steps']}, sunlit_fraction {summary['sunlit_fraction']}, "
        f"longest_eclipse_s {summary['longest_eclipse_s']}, {summary['satellite_steps_per_s'] / 1e6:.1f} M satellite-steps/s"
    )


if __name__ == "__main__":
    main()
