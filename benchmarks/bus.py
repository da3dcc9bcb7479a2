"""Cost of the spacecraft bus relative to the ephemeris (issue #3 target: bus adds <= 30 %).

A 100,000-satellite Walker fleet (100 planes x 1,000, 550 km, 53 deg) with the ``v2mini-h100x8``
hardware, one day at 60 s. Runs the same satellite blocks with and without the bus in one process
(``sim.engine.run_block``; the worker pool would divide both by the core count alike) and prints the
seconds per 100,000 satellite-days and the ratio, for both propagators.

Usage: python benchmarks/bus.py [--sats N] [--blocks B]   (B blocks of 4,096 are timed, then scaled)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from orbitcloud.fleet import build_fleet
from orbitcloud.sim.setup import bus_params, shell_designs
from orbitcloud.scenario import parse_scenario
from orbitcloud.sim import RunSpec
from orbitcloud.sim.engine import run_block
from orbitcloud.timescale import jd_split

YAML = """
name: bench-bus
epoch: 2026-03-20T00:00:00Z
duration: 1d
step: 60s
constellation:
  - kind: walker
    altitude_km: 550
    inclination_deg: 53
    planes: 100
    sats_per_plane: {per_plane}
    phasing: 1
    hardware: v2mini-h100x8
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sats", type=int, default=100_000)
    ap.add_argument("--blocks", type=int, default=4)
    args = ap.parse_args()
    loaded = parse_scenario(YAML.format(per_plane=args.sats // 100))
    fleet = build_fleet(loaded)
    bp = bus_params(fleet, shell_designs(loaded))
    jd, fr = jd_split(np.datetime64(loaded.scenario.epoch, "ns"))
    n = len(fleet)
    block = 4096
    starts = np.linspace(0, n - block, args.blocks).astype(int)
    print(f"{n:,} satellites, 1 d at 60 s; timing {args.blocks} blocks of {block:,}, one process")
    for prop in ("sgp4", "fast"):
        spec = RunSpec(jd0=float(jd), fr0=float(fr), step_s=60.0, n_steps=1440, propagator=prop)
        t_eph = t_bus = 0.0
        for a in starts:
            sl = fleet.slice(a, a + block)
            t0 = time.perf_counter()
            run_block(sl, spec)
            t1 = time.perf_counter()
            run_block(sl, spec, bus=bp.slice(a, a + block))
            t2 = time.perf_counter()
            t_eph += t1 - t0
            t_bus += t2 - t1
        scale = n / (block * args.blocks)
        print(
            f"{prop:5s}: ephemeris {t_eph * scale:7.1f} s, with bus {t_bus * scale:7.1f} s "
            f"(bus adds {100 * (t_bus / t_eph - 1):5.1f} %) per {n:,} satellite-days on one core"
        )


if __name__ == "__main__":
    main()
