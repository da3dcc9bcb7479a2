"""Conjunction screening speed: a 10,000-satellite Walker fleet against 10,000 catalogue objects.

The catalogue is synthetic and the hard case for the orbit filter: random near-circular orbits in the
fleet's own altitude band (520-580 km, e < 0.005, inclinations 0-100 deg, random planes and phases),
so almost nothing is filtered out before the coarse pass. Screening window 1 day, threshold 1 km.
Prints the wall time of each stage, the whole, and the peak resident memory.

Usage: python benchmarks/conjunctions.py [--fleet 10000] [--catalog 10000] [--duration 1d] [--threshold-km 1]
       [--sub-step-s 20]
Target (issue #19 part 3): <= 60 s on 2 cores for 10,000 x 10,000, 1 day, 1 km.
"""

from __future__ import annotations

import argparse
import math
import resource
import time

import numpy as np

from orbitcloud.constants import WGS72_MU_KM3_S2, WGS72_RADIUS_KM
from orbitcloud.fleet import build_fleet
from orbitcloud.safety.collision import probability_of_collision
from orbitcloud.safety.conjunctions import (
    objects_from_fleet,
    objects_from_satrecs,
    screen,
)
from orbitcloud.scenario import parse_duration_s, parse_scenario
from orbitcloud.timescale import jd_split

EPOCH = "2026-03-20T00:00:00Z"
_EPOCH_1949_JD = 2433281.5


def walker_fleet(n: int):
    planes = int(round(math.sqrt(n)))
    per = n // planes
    text = f"""
name: bench-walker
epoch: {EPOCH}
duration: 1d
step: 60s
constellation:
  - kind: walker
    name: w
    altitude_km: 550
    inclination_deg: 53
    planes: {planes}
    sats_per_plane: {per}
    phasing: 1
"""
    return build_fleet(parse_scenario(text, label="<bench>"))


def random_catalog(n: int, jd0: float, fr0: float, seed: int = 1):
    from sgp4.api import WGS72, Satrec

    rng = np.random.default_rng(seed)
    alt = rng.uniform(520.0, 580.0, n)
    ecc = rng.uniform(1e-4, 5e-3, n)
    inc, raan, argp, mo = (np.radians(rng.uniform(lo, hi, n)) for lo, hi in ((0, 100), (0, 360), (0, 360), (0, 360)))
    no = np.sqrt(WGS72_MU_KM3_S2 / (WGS72_RADIUS_KM + alt) ** 3) * 60.0
    sats = []
    for i in range(n):  # setup only, not timed as screening
        s = Satrec()
        s.sgp4init(WGS72, "i", 70000 + i, (jd0 - _EPOCH_1949_JD) + fr0, 1e-5, 0.0, 0.0, ecc[i], argp[i], inc[i], mo[i], no[i], raan[i])
        sats.append(s)
    return objects_from_satrecs(sats, [f"CAT-{i:05d}" for i in range(n)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fleet", type=int, default=10_000)
    ap.add_argument("--catalog", type=int, default=10_000)
    ap.add_argument("--duration", default="1d")
    ap.add_argument("--threshold-km", type=float, default=1.0)
    ap.add_argument("--sub-step-s", type=float, default=20.0)
    ap.add_argument("--node-step-s", type=float, default=120.0)
    ap.add_argument("--workers", type=int, default=None, help="coarse-pass processes (default: 2 for a job this size)")
    args = ap.parse_args()
    t_all = time.perf_counter()
    jd0, fr0 = (float(x) for x in jd_split(np.datetime64(EPOCH.rstrip("Z"), "ns")))
    t = time.perf_counter()
    a = objects_from_fleet(walker_fleet(args.fleet))
    b = random_catalog(args.catalog, jd0, fr0)
    t_setup = time.perf_counter() - t
    t = time.perf_counter()
    res = screen(a, b, jd0, fr0, parse_duration_s(args.duration), args.threshold_km, node_step_s=args.node_step_s,
                 sub_step_s=args.sub_step_s, workers=args.workers)
    t_screen = time.perf_counter() - t
    t = time.perf_counter()
    pc = probability_of_collision(res.r_a_km, res.v_a_km_s, res.r_b_km, res.v_b_km_s)
    t_pc = time.perf_counter() - t
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    rss_children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    print(f"fleet {len(a):,} x catalogue {len(b):,}, {args.duration}, threshold {args.threshold_km:g} km, sub-step {args.sub_step_s:g} s")
    print(f"stats: {res.stats}")
    print(f"conjunctions: {len(res):,}; min miss {res.miss_km.min() if len(res) else float('nan'):.3f} km; max Pc {pc.max() if len(pc) else 0:.3g}")
    print(f"setup (fleet, catalogue, Satrec init) {t_setup:.1f} s; screening {t_screen:.1f} s; Pc {t_pc:.3f} s; "
          f"total {time.perf_counter() - t_all:.1f} s; peak RSS {rss_mb:.0f} MB (largest worker process {rss_children_mb:.0f} MB)")


if __name__ == "__main__":
    main()
