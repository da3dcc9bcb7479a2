"""The million-satellite day with SGP4 against bare ``SatrecArray.sgp4`` on the same work (issue #18).

1. Bare: ``spacex-odc-1m``'s satellites propagated with ``SatrecArray.sgp4`` over one day at 60 s, in
   two processes (half the fleet each), in the engine's blocks of 4,096 satellites and 64-step chunks,
   positions and velocities discarded; ``Satrec.sgp4init`` timed apart.
2. ``orbitcloud run spacex-odc-1m --duration 1d --step 60s --propagator sgp4 --json`` (with the bus,
   both cores), wall time and the peak resident memory of its process tree.

Prints both and their ratio (target: the run within 1.2x of the bare propagation).

Usage: python benchmarks/run_1m_sgp4.py [--hours H] [--skip-run]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import multiprocessing
import time

import numpy as np

from run_1m import run_sampled

BLOCK, CHUNK = 4096, 64


def _bare(args) -> tuple[float, float]:
    a, z, n_steps = args
    from sgp4.api import SatrecArray

    from orbitcloud.ephemeris.propagate import make_satrecs
    from orbitcloud.fleet import build_fleet
    from orbitcloud.scenario import load_scenario
    from orbitcloud.timescale import jd_split, jd_split_offset

    loaded = load_scenario("spacex-odc-1m")
    fleet = build_fleet(loaded)
    jd0, fr0 = (float(v) for v in jd_split(np.datetime64(loaded.scenario.epoch, "ns")))
    t_init = t_prop = 0.0
    for b in range(a, z, BLOCK):
        sl = fleet.slice(b, min(z, b + BLOCK))
        t0 = time.perf_counter()
        arr = SatrecArray(make_satrecs(sl))
        t1 = time.perf_counter()
        for k0 in range(0, n_steps, CHUNK):
            jd, fr = jd_split_offset(jd0, fr0, np.arange(k0, min(n_steps, k0 + CHUNK)) * 60.0)
            arr.sgp4(jd, fr)
        t_init += t1 - t0
        t_prop += time.perf_counter() - t1
    return t_init, t_prop


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--skip-run", action="store_true")
    args = ap.parse_args()
    n_steps = int(round(args.hours * 60))
    n = 1_000_000
    ctx = multiprocessing.get_context("spawn")
    t0 = time.perf_counter()
    with cf.ProcessPoolExecutor(2, mp_context=ctx) as pool:
        parts = list(pool.map(_bare, [(0, n // 2, n_steps), (n // 2, n, n_steps)]))
    wall = time.perf_counter() - t0
    init = max(p[0] for p in parts)
    prop = max(p[1] for p in parts)
    print(f"bare SatrecArray.sgp4, 10^6 satellites x {n_steps} steps, two processes: {prop:.1f} s "
          f"(slower process; sgp4init {init:.1f} s apart; {wall:.1f} s wall with start-up)")
    if args.skip_run:
        return
    cmd = ["orbitcloud", "run", "spacex-odc-1m", "--duration", f"{args.hours}h", "--step", "60s", "--propagator", "sgp4", "--json"]
    summary, run_wall, peak = run_sampled(cmd)
    print(" ".join(cmd))
    print(f"wall time {run_wall:.1f} s, peak RSS of process tree {peak / 1e9:.2f} GB; "
          f"{run_wall / prop:.2f}x the bare propagation ({run_wall / (prop + init):.2f}x with sgp4init)")


if __name__ == "__main__":
    main()
