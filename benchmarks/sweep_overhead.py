"""Issue 18: the per-case overhead of `orbitcloud sweep` against a three-body-12 one-day case.

    python benchmarks/sweep_overhead.py [--cases 200] [--workers 2] [--executor local|ray]

Times one three-body-12 day in this process (the case itself), then a sweep of N replicates of it
(each its own derived seed) on the given workers, and prints the overhead per case
``(sweep wall x workers / N - one case) / one case`` and the sweep's wall against N x one case /
workers. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import orbitcloud as oc
from orbitcloud.sweep.runner import run_sweep


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--executor", default="local")
    ap.add_argument("--duration", default="1d")
    args = ap.parse_args()
    oc.run("three-body-12", duration="1h")  # warm imports and caches as a worker would have them
    times = []
    for _ in range(3):  # the fastest of three: this machine's speed varies from minute to minute
        t0 = time.perf_counter()
        oc.run("three-body-12", duration=args.duration, workers=1)
        times.append(time.perf_counter() - t0)
    one = min(times)
    spec = {"base": "three-body-12", "options": {"duration": args.duration}, "seed": 1, "replicates": args.cases,
            "outputs": ["sunlit_fraction", "bus.soc_min", "workloads.inference.served"]}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = run_sweep(spec, Path(tmp) / "out", workers=args.workers, executor=args.executor, report=False)
        wall = time.perf_counter() - t0
        import pyarrow.parquet as pq

        inside = pq.read_table(Path(tmp) / "out" / "cases.parquet")["wall_s"].to_numpy()
    print(f"run time inside the workers: median {sorted(inside)[len(inside) // 2]:.2f} s, sum {inside.sum():.1f} s")
    ideal = args.cases * one / args.workers
    print(f"one three-body-12 case ({args.duration}): {one:.2f} s; sweep of {args.cases} on {args.workers} {args.executor} workers: "
          f"{wall:.1f} s ({res['done']} done, {res['failed']} failed)")
    print(f"ideal N x case / workers = {ideal:.1f} s; ratio {wall / ideal:.3f} (target <= 1.1); "
          f"overhead per case {(wall * args.workers / args.cases - one) / one:+.1%} of a case (target <= 5 %)")


if __name__ == "__main__":
    main()
