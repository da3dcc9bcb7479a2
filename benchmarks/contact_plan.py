"""Contact plan throughput and accuracy: 10,000 satellites x 100 stations x 1 day at 10-s steps.

The fleet is an inline Walker shell (100 planes x 100 satellites, 550 km, 53 deg, phasing 1);
the stations are ``builtin:cities-top100``. Each case runs
:func:`orbitcloud.network.contact_plan.contact_plan` in a fresh process (so the peak RSS of
``resource.getrusage`` is the case's own: the calling process, and the largest worker), after a
small warm-up run that fills numba's on-disk kernel cache. Printed: windows, wall time, peak RSS
(parent + workers x largest worker), ns per station-satellite-step pair. Then the refinement
accuracy on 200 random windows: rise/set against the crossing of 0.1-s brute-force samples of
the same propagator (SGP4 from ``sgp4.api``; the fast model in float64), linear between samples,
and the maximum elevation against the highest 0.1-s sample (the parabola through the top three).

Usage: python benchmarks/contact_plan.py [--workers 2] [--cases fast:10,fast:25,sgp4:10,sgp4:25]
       [--sats 10000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import types

import numpy as np

WALKER = """
name: contact-plan-bench
epoch: 2026-03-20T00:00:00Z
duration: 1d
step: 10s
constellation:
  - kind: walker
    altitude_km: 550
    inclination_deg: 53
    planes: 100
    sats_per_plane: {per_plane}
    phasing: 1
"""
STEP_S, N_STEPS = 10.0, 8640


def _setup(n_sat: int, propagator: str):
    from orbitcloud.fleet import build_fleet
    from orbitcloud.network.stations import builtin_stations
    from orbitcloud.scenario import parse_scenario
    from orbitcloud.timescale import jd_split

    loaded = parse_scenario(WALKER.format(per_plane=n_sat // 100), label="bench.yaml")
    fleet = build_fleet(loaded)
    jd0, fr0 = (float(v) for v in jd_split(np.datetime64(loaded.scenario.epoch, "ns")))
    spec = types.SimpleNamespace(jd0=jd0, fr0=fr0, step_s=STEP_S, n_steps=N_STEPS, propagator=propagator)
    return fleet, spec, builtin_stations("cities-top100")


def _sin_el(fleet, spec, stations, sat: int, st: int, t_s: np.ndarray) -> np.ndarray:
    """Brute force: sin E of one pair at ``t_s`` from the propagator itself."""
    from sgp4.api import SatrecArray

    from orbitcloud.ephemeris.frames import gmst_for_times
    from orbitcloud.ephemeris.propagate import fast_ecef_pairs_m, fast_orbits, make_satrecs, sgp4_ecef_m
    from orbitcloud.network.visibility import _sin_el_range
    from orbitcloud.timescale import jd_split_offset

    jd, fr = jd_split_offset(spec.jd0, spec.fr0, t_s)
    gmst = gmst_for_times(jd, fr)
    if spec.propagator == "sgp4":
        x, y, z = (v[0] for v in sgp4_ecef_m(SatrecArray(make_satrecs(fleet.slice(sat, sat + 1))), jd, fr, gmst)[:3])
    else:
        orb = fast_orbits(fleet.slice(0, len(fleet)), spec.jd0, spec.fr0)
        x, y, z = fast_ecef_pairs_m(orb, np.full(t_s.size, sat), t_s, gmst)
    g, u = stations.ecef_m[st], stations.up[st]
    return _sin_el_range(g[0], g[1], g[2], u[0], u[1], u[2], x, y, z)[0]


def _accuracy(c, fleet, spec, stations, mask_deg: float, n: int = 200, h: float = 0.1) -> tuple[float, float]:
    sin_min = np.sin(np.radians(mask_deg))
    worst_t = worst_e = 0.0
    for w in np.random.default_rng(7).choice(len(c), min(n, len(c)), replace=False):
        j, i = int(c.sat[w]), int(c.station[w])
        for t_ref, clipped, rising in ((c.start_s[w], c.start_clipped[w], True), (c.end_s[w], c.end_clipped[w], False)):
            if clipped:
                continue
            tt = t_ref + np.arange(-30, 31) * h
            m = _sin_el(fleet, spec, stations, j, i, tt) - sin_min
            k = np.flatnonzero((m[:-1] < 0) & (m[1:] >= 0) if rising else (m[:-1] >= 0) & (m[1:] < 0))
            if k.size:
                k = k[0]
                worst_t = max(worst_t, abs(t_ref - (tt[k] + h * m[k] / (m[k] - m[k + 1]))))
        s = _sin_el(fleet, spec, stations, j, i, np.append(np.arange(c.start_s[w], c.end_s[w], h), c.end_s[w]))
        k, top = int(np.argmax(s)), float(s.max())
        if 0 < k < s.size - 1:
            top += 0.125 * (s[k + 1] - s[k - 1]) ** 2 / (2.0 * s[k] - s[k - 1] - s[k + 1])
        worst_e = max(worst_e, abs(c.max_elevation_deg[w] - np.degrees(np.arcsin(min(top, 1.0)))))
    return worst_t, worst_e


def run_case(propagator: str, mask_deg: float, workers: int, n_sat: int) -> dict:
    from orbitcloud.network.contact_plan import contact_plan

    fleet, spec, stations = _setup(n_sat, propagator)
    t0 = time.perf_counter()
    c = contact_plan(fleet, spec, stations, mask_deg, workers=workers)
    wall = time.perf_counter() - t0
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    err_t, err_e = _accuracy(c, fleet, spec, stations, mask_deg)
    return dict(case=f"{propagator} {mask_deg:g} deg, {workers} worker(s)", windows=len(c), wall_s=wall, parent_mb=self_mb,
                worker_mb=child_mb, total_mb=self_mb + (workers if workers > 1 else 0) * child_mb,
                ns_pair=wall / (n_sat * len(stations) * N_STEPS) * 1e9, err_t=err_t, err_e=err_e)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cases", default="fast:10,fast:25,sgp4:10,sgp4:25")
    ap.add_argument("--sats", type=int, default=10_000)
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        prop, mask = args.case.split(":")
        print(json.dumps(run_case(prop, float(mask), args.workers, args.sats)))
        return
    # warm-up: compile the kernels into numba's cache (not timed)
    subprocess.run([sys.executable, __file__, "--case", "fast:10", "--workers", "1", "--sats", "200"], check=True,
                   stdout=subprocess.DEVNULL)
    print(f"{args.sats:,} satellites x 100 stations (builtin:cities-top100) x {N_STEPS:,} steps of {STEP_S:g} s")
    head = f"{'case':<28} {'windows':>10} {'wall s':>7} {'peak RSS MB (parent + workers)':>31} {'ns/pair-step':>12}"
    print(head + f" {'max |rise/set err| s':>21} {'max |max el err| deg':>21}")
    for case in args.cases.split(","):
        out = subprocess.run([sys.executable, __file__, "--case", case, "--workers", str(args.workers), "--sats", str(args.sats)],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        rss = f"{r['total_mb']:.0f} ({r['parent_mb']:.0f} + {args.workers} x {r['worker_mb']:.0f})"
        print(f"{r['case']:<28} {r['windows']:>10,} {r['wall_s']:>7.1f} {rss:>31} {r['ns_pair']:>12.2f}"
              f" {r['err_t']:>21.1e} {r['err_e']:>21.1e}")


if __name__ == "__main__":
    main()
