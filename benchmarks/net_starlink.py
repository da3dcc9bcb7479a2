"""Issue #5 benchmark: the real Starlink TLE fleet (../shared/data/tle, July 2023) with the 100 cities:
one all-pairs routing snapshot (ISLs by nearest k=4 with 4 terminals, 80 km grazing height; ground
links at 25 deg elevation; RTT and path for all 4,950 city pairs). Target: <= 0.3 s.

Usage: python benchmarks/net_starlink.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from orbitcloud.fleet import build_fleet
from orbitcloud.network import routing as R
from orbitcloud.network import simulate as S
from orbitcloud.scenario import parse_scenario
from orbitcloud.sim import RunSpec
from orbitcloud.timescale import jd_split

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
YAML = f"""
name: starlink-tle
epoch: 2023-07-18T12:00:00Z
duration: 60s
step: 60s
constellation:
  - kind: tle
    path: {SHARED / 'tle' / 'starlink-2023-07-18.tle'}
network:
  isl: {{topology: nearest, k: 4, max_terminals: 4, grazing_height_km: 80}}
ground:
  stations: {SHARED / 'ground_stations' / 'cities-top100.csv'}
  min_elevation_deg: 25
"""


def main() -> None:
    loaded = parse_scenario(YAML)
    fleet = build_fleet(loaded)
    stations = S.load_stations(loaded)
    ns = S.setup(loaded, fleet, stations)
    jd, fr = jd_split(np.datetime64(loaded.scenario.epoch, "ns"))
    spec = RunSpec(jd0=float(jd), fr0=float(fr), step_s=60.0, n_steps=1, propagator="sgp4")
    src, dst = np.triu_indices(len(stations), 1)
    (k0, t_s, x, y, z), = list(S.positions(fleet, spec))
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        stepper = S.NetworkStepper(ns, len(fleet))
        gsl_at = S.ground_links_by_step(ns, x, y, z)
        net = stepper.build(x, y, z, 0, 0.0, gsl_at)
        routes = R.rtt_and_paths(net.snapshot, src.astype(np.int64), dst.astype(np.int64))
        times.append(time.perf_counter() - t0)
    ok = np.isfinite(routes.rtt_s)
    print(f"Starlink TLE fleet {len(fleet):,} satellites + {len(stations)} cities: one all-pairs snapshot "
          f"(ISLs, ground links, routing) {min(times):.3f} s best of 5 (median {np.median(times):.3f} s); target <= 0.3 s")
    print(f"ISLs {net.isl_a.size:,}, ground links {net.gsl.station.size:,}, reachable pairs {ok.sum():,} of {ok.size:,}, "
          f"mean RTT {np.mean(routes.rtt_s[ok]) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
