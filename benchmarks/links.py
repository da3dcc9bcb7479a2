"""Inter-satellite link topologies: time to build them and what they look like.

* A 1,000,000-satellite Walker delta (1,000 planes x 1,000, 550 km, 53 deg, F = 1, circular,
  positions at t = 0): ``plus_grid``, the link lengths, the grazing/range test, the acquisition
  tracker's update on the 2,000,000 link keys.
* The Starlink fleet of ``../shared/data/tle/starlink-2023-07-18.tle`` (4,428 satellites, SGP4 at the
  latest element epoch, TEME): ``nearest(k=4)`` with and without a 4-terminal limit, range limited
  to the 550 km grazing range; without the shared data, a random 4,428-satellite shell at 540-570 km.
* ``nearest(k=4, max_terminals=4)`` on the 1,000,000-satellite Walker (``--no-big`` skips it).
* A Suncatcher-like cluster (81 satellites, 100 m x 200 m lattice): ``cluster_mesh`` at 250 m and the
  optical capacity of its links.

Times are medians of ``--repeat`` runs after one warm-up (the warm-up compiles the numba greedy).
Usage: python benchmarks/links.py [--repeat N] [--no-big]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from orbitcloud.constants import WGS84_A_M
from orbitcloud.network.links import (
    LinkTracker,
    OpticalTerminal,
    capacity_bps,
    cluster_mesh,
    edge_keys,
    link_degrees,
    link_feasible,
    link_lengths_m,
    max_isl_range_m,
    nearest,
    plus_grid,
)

SHARED_TLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "tle" / "starlink-2023-07-18.tle"


def timed(fn, repeat: int):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def walker_positions_m(planes: int, per_plane: int, phasing: int, incl_deg: float, alt_m: float) -> np.ndarray:
    p = np.repeat(np.arange(planes), per_plane)
    s = np.tile(np.arange(per_plane), planes)
    raan = 2 * np.pi * p / planes
    u = 2 * np.pi * s / per_plane + 2 * np.pi * phasing * p / (planes * per_plane)
    i = np.radians(incl_deg)
    r = WGS84_A_M + alt_m
    return np.column_stack([
        r * (np.cos(u) * np.cos(raan) - np.sin(u) * np.cos(i) * np.sin(raan)),
        r * (np.cos(u) * np.sin(raan) + np.sin(u) * np.cos(i) * np.cos(raan)),
        r * np.sin(u) * np.sin(i),
    ])


def starlink_positions_m() -> tuple[np.ndarray, str]:
    if SHARED_TLE.is_file():
        from sgp4.api import WGS72, Satrec, SatrecArray

        from orbitcloud.fleet.tle import read_tle_file

        sats = [Satrec.twoline2rv(t.line1, t.line2, WGS72) for t in read_tle_file(SHARED_TLE)]
        jd = max(s.jdsatepoch + s.jdsatepochF for s in sats)
        err, r_km, _ = SatrecArray(sats).sgp4(np.array([np.floor(jd)]), np.array([jd - np.floor(jd)]))
        ok = err[:, 0] == 0
        label = f"{SHARED_TLE.name}, SGP4 at JD {jd:.5f} ({ok.sum():,} of {len(sats):,} propagated)"
        return r_km[ok, 0, :] * 1e3, label
    rng = np.random.default_rng(0)
    v = rng.normal(size=(4428, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    pos = v * (WGS84_A_M + rng.uniform(540e3, 570e3, 4428))[:, None]
    return pos, "random shell, 4,428 at 540-570 km (no shared data)"


def describe(pos, a, b) -> str:
    n = len(pos)
    deg = link_degrees(a, b, n)
    length_m = link_lengths_m(pos, a, b)
    hist = np.bincount(deg)
    share = ", ".join(f"{d}:{c / n:.1%}" for d, c in enumerate(hist) if c)
    scale, unit = (1e3, "km") if length_m.max() > 1e4 else (1.0, "m")
    return (f"{len(a):,} links, degree {share}; length median {np.median(length_m) / scale:,.1f} {unit}, "
            f"max {length_m.max() / scale:,.1f} {unit}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-big", action="store_true")
    args = ap.parse_args()
    rep = args.repeat

    print("== 1,000,000-satellite Walker, 1,000 x 1,000, 550 km, 53 deg, F = 1")
    pos = walker_positions_m(1000, 1000, 1, 53.0, 550e3)
    n = len(pos)
    (a, b), t_grid = timed(lambda: plus_grid(1000, 1000), rep)
    length_m, t_len = timed(lambda: link_lengths_m(pos, a, b), rep)
    ok, t_ok = timed(lambda: link_feasible(pos, a, b, max_range_m=float(max_isl_range_m(550e3, 550e3))), rep)
    keys = edge_keys(a, b, n)

    def track():
        tr = LinkTracker(acquisition_s=60.0)
        tr.update(keys, 0.0)
        return tr.update(keys[1:], 60.0)

    _, t_track = timed(track, rep)
    print(f"plus_grid: {t_grid * 1e3:8.1f} ms for {len(a):,} links")
    print(f"lengths:   {t_len * 1e3:8.1f} ms (median {np.median(length_m) / 1e3:.2f} km, "
          f"max {length_m.max() / 1e3:.2f} km)")
    print(f"feasible:  {t_ok * 1e3:8.1f} ms (grazing 80 km + 5,017 km range; {ok.mean():.4%} feasible)")
    print(f"tracker:   {t_track * 1e3 / 2:8.1f} ms per update of {len(keys):,} keys")

    print("\n== Starlink positions")
    pos_s, label = starlink_positions_m()
    print(label)
    range_m = float(max_isl_range_m(550e3, 550e3))
    (a4, b4), t_near = timed(lambda: nearest(pos_s, 4, max_range_m=range_m), rep)
    (a4t, b4t), t_near_t = timed(lambda: nearest(pos_s, 4, max_terminals=4, max_range_m=range_m), rep)
    print(f"nearest k=4:                  {t_near * 1e3:7.1f} ms, {describe(pos_s, a4, b4)}")
    print(f"nearest k=4, max_terminals=4: {t_near_t * 1e3:7.1f} ms, {describe(pos_s, a4t, b4t)}")

    if not args.no_big:
        print("\n== nearest k=4, max_terminals=4 on the 1,000,000-satellite Walker")
        (ab, bb), t_big = timed(lambda: nearest(pos, 4, max_terminals=4, max_range_m=range_m), max(1, rep // 5))
        print(f"{t_big:.2f} s, {describe(pos, ab, bb)}")

    print("\n== Suncatcher-like cluster: 81 satellites, 100 m x 200 m lattice at 650 km")
    gx, gy = np.meshgrid(np.arange(9) * 100.0, np.arange(9) * 200.0)
    pos_c = np.column_stack([gx.ravel(), np.zeros(81), gy.ravel()]) + np.array([WGS84_A_M + 650e3, 0.0, 0.0])
    (ac, bc), t_mesh = timed(lambda: cluster_mesh(pos_c, 250.0), rep)
    term = OpticalTerminal(tx_power_w=1.0, tx_aperture_m=0.01, rx_aperture_m=0.01, max_rate_bps=10e12)
    cap = capacity_bps(term, link_lengths_m(pos_c, ac, bc))
    print(f"cluster_mesh 250 m: {t_mesh * 1e3:.2f} ms, {describe(pos_c, ac, bc)}; "
          f"capacity {cap.min() / 1e12:.1f}-{cap.max() / 1e12:.1f} Tbit/s per link (1 W, 1 cm, cap 10 Tbit/s)")


if __name__ == "__main__":
    main()
