"""Routing and flow performance (``orbitcloud.network.routing``) against the issue's targets.

Cases (each prints its timings; run one with ``--case``):

* ``kuiper``: Kuiper-630 (34 planes x 34 satellites, Walker delta 34/1156/1 at 630 km, 51.9 deg, +Grid
  ISLs) with 100 ground stations, all 4,950 station pairs per step, 2,000 steps of 100 ms (200 s).
  Target: <= 60 s including graph construction (``Snapshot.build``). The synthetic geometry (positions,
  ISL lengths, ground links at elevation >= 30 deg) is timed separately: it is the job of the other
  network modules, not of routing.
* ``allpairs``: one snapshot of a 4,400-satellite shell (80 x 55 at 550 km, 53 deg) with 100 cities,
  all 4,950 pairs. Target: <= 0.3 s (build + routing).
* ``million``: a 1,000 x 1,000 +Grid (1,000,000 satellites at 550 km, 53 deg), single-source shortest
  path tree. Target: <= 2 s (the tree; the graph build is printed beside it).
* ``flows``: max-min fair rates of the 4,950 Kuiper flows on one snapshot (no target; for scale).

Geometry is deliberately simple and kept in this file: circular two-body orbits (Walker delta phasing,
mean motion from WGS-84 mu), a spherical rotating Earth (WGS-84 equatorial radius, sidereal rate) and
stations at seeded pseudo-random places (|latitude| <= 50 deg, uniform in area). Timings are medians of
``--repeat`` runs where a case is short; wall-clock, one process.

Usage: python benchmarks/routing.py [--case kuiper|allpairs|million|flows|all] [--steps N] [--repeat R]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from orbitcloud.constants import EARTH_ROTATION_RAD_S, WGS84_A_M, WGS84_MU_M3_S2
from orbitcloud.network.routing import Snapshot, max_min_fair, path_changes, rtt_and_paths, shortest_path_tree

ISL_CAPACITY_BPS = 100e9
GSL_CAPACITY_BPS = 10e9


class Walker:
    """Circular Walker-delta shell: positions in an Earth-centred inertial frame."""

    def __init__(self, planes: int, per_plane: int, alt_m: float, incl_deg: float, phasing: int = 1):
        self.planes, self.per_plane = planes, per_plane
        self.r_m = WGS84_A_M + alt_m
        self.n_rad_s = math.sqrt(WGS84_MU_M3_S2 / self.r_m**3)
        n = planes * per_plane
        p, s = np.divmod(np.arange(n), per_plane)
        self.raan = 2 * np.pi * p / planes
        self.u0 = 2 * np.pi * s / per_plane + 2 * np.pi * phasing * p / n
        self.inc = math.radians(incl_deg)

    def positions_m(self, t_s: float) -> np.ndarray:
        u = self.u0 + self.n_rad_s * t_s
        cu, su, co, so = np.cos(u), np.sin(u), np.cos(self.raan), np.sin(self.raan)
        ci, si = math.cos(self.inc), math.sin(self.inc)
        return self.r_m * np.stack([co * cu - so * su * ci, so * cu + co * su * ci, su * si], axis=1)

    def plus_grid(self) -> tuple[np.ndarray, np.ndarray]:
        """In-plane neighbour and same-slot satellite of the next plane (wrapping), each link once."""
        n = self.planes * self.per_plane
        p, s = np.divmod(np.arange(n), self.per_plane)
        in_plane = p * self.per_plane + (s + 1) % self.per_plane
        cross = ((p + 1) % self.planes) * self.per_plane + s
        return np.concatenate([np.arange(n), np.arange(n)]), np.concatenate([in_plane, cross])


def stations_ecef_m(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lat = np.arcsin(rng.uniform(-math.sin(math.radians(50)), math.sin(math.radians(50)), n))
    lon = rng.uniform(-np.pi, np.pi, n)
    return WGS84_A_M * np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)


def ground_links(sat_m: np.ndarray, gs_ecef_m: np.ndarray, t_s: float, min_elev_deg: float = 30.0):
    """(station, satellite, range_m) of every pair with elevation >= min_elev_deg (spherical Earth)."""
    th = EARTH_ROTATION_RAD_S * t_s
    c, s = math.cos(th), math.sin(th)
    gs = gs_ecef_m @ np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])  # rotate into inertial
    up = gs / WGS84_A_M
    d = sat_m[None, :, :] - gs[:, None, :]
    rng_m = np.sqrt(np.einsum("ijk,ijk->ij", d, d))
    sin_el = np.einsum("ijk,ik->ij", d, up) / rng_m
    st, sat = np.nonzero(sin_el >= math.sin(math.radians(min_elev_deg)))
    return st, sat, rng_m[st, sat]


def geometry(shell: Walker, a, b, gs_ecef_m, t_s: float):
    pos = shell.positions_m(t_s)
    isl_len = np.linalg.norm(pos[a] - pos[b], axis=1)
    st, sat, rng_m = ground_links(pos, gs_ecef_m, t_s)
    return isl_len, st, sat, rng_m


def build(shell: Walker, n_st: int, a, b, geo) -> Snapshot:
    isl_len, st, sat, rng_m = geo
    return Snapshot.build(
        shell.planes * shell.per_plane, n_st, a, b, isl_len, np.full(a.size, ISL_CAPACITY_BPS),
        st, sat, rng_m, np.full(st.size, GSL_CAPACITY_BPS),
    )


def all_pairs(n_st: int) -> tuple[np.ndarray, np.ndarray]:
    i, j = np.triu_indices(n_st, 1)
    return i, j


def case_kuiper(steps: int, step_s: float = 0.1) -> None:
    shell = Walker(34, 34, 630e3, 51.9)
    a, b = shell.plus_grid()
    gs = stations_ecef_m(100)
    src, dst = all_pairs(100)
    t_geo = t_build = t_route = 0.0
    changes = 0
    prev = None
    rtt_sum, rtt_n, unreach = 0.0, 0, 0
    t_all = time.perf_counter()
    for k in range(steps):
        t0 = time.perf_counter()
        geo = geometry(shell, a, b, gs, k * step_s)
        t1 = time.perf_counter()
        snap = build(shell, 100, a, b, geo)
        t2 = time.perf_counter()
        routes = rtt_and_paths(snap, src, dst)
        t3 = time.perf_counter()
        t_geo, t_build, t_route = t_geo + t1 - t0, t_build + t2 - t1, t_route + t3 - t2
        if prev is not None:
            changes += int(path_changes(prev, routes.paths).sum())
        prev = routes.paths
        ok = np.isfinite(routes.rtt_s)
        rtt_sum, rtt_n, unreach = rtt_sum + routes.rtt_s[ok].sum(), rtt_n + ok.sum(), unreach + (~ok).sum()
    wall = time.perf_counter() - t_all
    print(f"kuiper: 1,156 satellites + 100 stations, {src.size:,} pairs x {steps:,} steps of {step_s * 1e3:g} ms")
    print(f"  Snapshot.build        {t_build:7.2f} s  ({1e3 * t_build / steps:6.2f} ms/step)")
    print(f"  rtt_and_paths         {t_route:7.2f} s  ({1e3 * t_route / steps:6.2f} ms/step)")
    print(f"  build + routing       {t_build + t_route:7.2f} s  (target <= 60 s for 2,000 steps)")
    print(f"  synthetic geometry    {t_geo:7.2f} s  ({1e3 * t_geo / steps:6.2f} ms/step, not routing)")
    print(f"  whole loop            {wall:7.2f} s  (incl. path-change counting)")
    print(
        f"  mean RTT {1e3 * rtt_sum / max(rtt_n, 1):.2f} ms, unreachable pair-steps {unreach:,}, "
        f"path changes {changes:,}"
    )


def case_allpairs(repeat: int) -> None:
    shell = Walker(80, 55, 550e3, 53.0)
    a, b = shell.plus_grid()
    gs = stations_ecef_m(100, seed=2)
    src, dst = all_pairs(100)
    geo = geometry(shell, a, b, gs, 0.0)
    tb, tr = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        snap = build(shell, 100, a, b, geo)
        t1 = time.perf_counter()
        routes = rtt_and_paths(snap, src, dst)
        t2 = time.perf_counter()
        tb.append(t1 - t0)
        tr.append(t2 - t1)
    ok = np.isfinite(routes.rtt_s)
    n_sat = shell.planes * shell.per_plane
    print(f"allpairs: {n_sat:,} satellites + 100 stations, {src.size:,} pairs, {geo[1].size} ground links")
    print(
        f"  Snapshot.build {1e3 * statistics.median(tb):7.1f} ms, "
        f"rtt_and_paths {1e3 * statistics.median(tr):7.1f} ms, "
        f"total {1e3 * statistics.median(np.add(tb, tr)):7.1f} ms (median of {repeat}; target <= 300 ms)"
    )
    print(
        f"  reachable pairs {ok.sum():,}, median RTT {1e3 * np.median(routes.rtt_s[ok]):.1f} ms, "
        f"max hops {routes.hops.max()}"
    )


def case_million(repeat: int) -> None:
    shell = Walker(1000, 1000, 550e3, 53.0)
    a, b = shell.plus_grid()
    t0 = time.perf_counter()
    pos = shell.positions_m(0.0)
    length = np.linalg.norm(pos[a] - pos[b], axis=1)
    t1 = time.perf_counter()
    snap = Snapshot.build(a.size // 2, 0, a, b, length, np.full(a.size, ISL_CAPACITY_BPS), [], [], [], [])
    t2 = time.perf_counter()
    ts = []
    for _ in range(repeat):
        t3 = time.perf_counter()
        delay_s, pred = shortest_path_tree(snap, 0)
        ts.append(time.perf_counter() - t3)
    print(f"million: 1,000 x 1,000 +Grid, {snap.n_sat:,} satellites, {a.size:,} ISLs")
    print(f"  geometry {t1 - t0:5.2f} s, Snapshot.build {t2 - t1:5.2f} s, shortest_path_tree "
          f"{statistics.median(ts):5.2f} s (median of {repeat}; target <= 2 s)")
    print(f"  farthest satellite {1e3 * delay_s.max():.1f} ms one way")


def case_flows(repeat: int) -> None:
    shell = Walker(34, 34, 630e3, 51.9)
    a, b = shell.plus_grid()
    gs = stations_ecef_m(100)
    src, dst = all_pairs(100)
    snap = build(shell, 100, a, b, geometry(shell, a, b, gs, 0.0))
    routes = rtt_and_paths(snap, src, dst)
    ok = np.flatnonzero(routes.hops > 0)
    t0 = time.perf_counter()
    edges = snap.edges_of(routes.paths)
    edges = [edges[i] for i in ok]
    t1 = time.perf_counter()
    ts = []
    for _ in range(repeat):
        t2 = time.perf_counter()
        share = max_min_fair(edges, np.full(ok.size, np.inf), snap.edge_capacity_bps)
        ts.append(time.perf_counter() - t2)
    print(f"flows: {ok.size:,} greedy flows on the Kuiper snapshot, {snap.edge_capacity_bps.size:,} directed edges")
    print(f"  edges_of {1e3 * (t1 - t0):.1f} ms, max_min_fair {1e3 * statistics.median(ts):.1f} ms "
          f"(median of {repeat}), {share.iterations} rounds")
    print(f"  rate min {share.rate_bps.min() / 1e6:.1f} Mb/s, median {np.median(share.rate_bps) / 1e6:.1f} Mb/s, "
          f"saturated edges {(share.utilisation > 1 - 1e-9).sum()}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", default="all", choices=["kuiper", "allpairs", "million", "flows", "all"])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if args.case in ("allpairs", "all"):
        case_allpairs(args.repeat)
    if args.case in ("flows", "all"):
        case_flows(args.repeat)
    if args.case in ("million", "all"):
        case_million(max(1, args.repeat // 2))
    if args.case in ("kuiper", "all"):
        case_kuiper(args.steps)


if __name__ == "__main__":
    main()
