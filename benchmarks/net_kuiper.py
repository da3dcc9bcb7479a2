"""Issue #5 benchmark: Kuiper-630 (34 x 34, 14.80 rev/day, 51.9 deg, +Grid, 80 km grazing) with the 100
cities (../shared/data/ground_stations/cities-top100.csv, 30 deg elevation), 200 s at 100 ms steps,
RTT and path for all 4,950 city pairs, epoch 2000-01-01 (Hypatia's set-up). Target: <= 60 s on 2 cores.

Usage: python benchmarks/net_kuiper.py [--duration 200s] [--propagator sgp4|fast]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from orbitcloud.netjob import NetOptions, run_net

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ground_stations" / "cities-top100.csv"
YAML = f"""
name: kuiper-630-hypatia
epoch: 2000-01-01T00:00:00Z
duration: 200s
step: 0.1
constellation:
  - kind: walker
    name: kuiper-630
    mean_motion_rev_per_day: 14.80
    inclination_deg: 51.9
    planes: 34
    sats_per_plane: 34
network:
  isl: {{topology: plus_grid, grazing_height_km: 80}}
ground:
  stations: {SHARED}
  min_elevation_deg: 30
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", default="200s")
    ap.add_argument("--propagator", default="sgp4")
    ap.add_argument("--write", action="store_true", help="also write the results (rtt.parquet, paths.parquet) and time it")
    ap.add_argument("--csv", action="store_true", help="with --write: the CSV files too")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kuiper.yaml"
        path.write_text(YAML)
        out = Path(tmp) / "out" if args.write else None
        t0 = time.perf_counter()
        s = run_net(str(path), NetOptions(all_pairs=True, duration=args.duration, propagator=args.propagator, out=out,
                                          csv=args.csv))
        wall = time.perf_counter() - t0
        if out is not None:
            sizes = ", ".join(f"{f.name} {f.stat().st_size / 1e6:.1f} MB" for f in sorted(out.iterdir()))
            print(f"written: {sizes}")
    rtts = [p["rtt_ms_mean"] for p in s["pairs"] if p["rtt_ms_mean"] is not None]
    print(f"Kuiper-630 + 100 cities, {len(s['pairs']):,} pairs x {s['steps']:,} steps ({args.duration} at 0.1 s), "
          f"{args.propagator}: {wall:.1f} s wall (routing loop {s['wall_time_s']:.1f} s); target <= 60 s")
    print(f"mean RTT over pairs {sum(rtts) / len(rtts):.1f} ms; reachable pairs {len(rtts):,}; "
          f"path changes {sum(p['path_changes'] for p in s['pairs']):,}; ISLs per step {s['isl_per_step_mean']:.0f}")


if __name__ == "__main__":
    main()
