"""Ground-segment throughput: station-satellite visibility and contact windows.

Prints nanoseconds per station-satellite-step pair, on ONE core, for

1. the built-in ``kuiper-630`` fleet (1,156 satellites, 34 x 34 at 630 km, 51.9 deg) x the 100
   cities of Hypatia's ``cities-top100.csv`` x 2,000 steps of 60 s, in the engine's 64-step chunks:
   dense :func:`~orbitcloud.network.ground.visibility` (bool + elevation + range per pair, compiled
   kernel and NumPy), the sparse triples (compiled all-pairs and KD-tree), and the whole
   :class:`~orbitcloud.network.ground.ContactTracker` (linear and quadratic crossings);
2. the built-in ``spacex-odc-1m`` fleet (1,000,000 satellites, 520-1,945 km) x 100 stations for one
   step: the sparse path, KD-tree and compiled all-pairs; then the ``max_tracked`` link assignment.

Positions come from the fast propagator (``orbitcloud.ephemeris.propagate.fast_ecef_m``) and are
computed before timing; each timing is the best of ``--repeat`` runs.

Usage: python benchmarks/ground.py [--stations PATH] [--steps 2000] [--no-big] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from orbitcloud.ephemeris.frames import gmst_for_times
from orbitcloud.ephemeris.propagate import fast_ecef_m, fast_orbits
from orbitcloud.fleet import build_fleet
from orbitcloud.network import ground as G
from orbitcloud.scenario import load_scenario
from orbitcloud.sim.engine import GROUP
from orbitcloud.timescale import jd_split, jd_split_offset

ROOT = Path(__file__).resolve().parents[1]
CITIES = ROOT.parent / "shared" / "data" / "ground_stations" / "cities-top100.csv"
STEP_S = 60.0


def positions(loaded, n_steps: int, t0_s: float = 0.0):
    """Earth-fixed positions (n, T) [m], float64, of a scenario's fleet from the fast propagator."""
    fleet = build_fleet(loaded)
    sl = fleet.slice(0, len(fleet))
    jd0, fr0 = (float(v) for v in jd_split(np.datetime64(loaded.scenario.epoch, "ns")))
    t_s = t0_s + np.arange(n_steps) * STEP_S
    jd, fr = jd_split_offset(jd0, fr0, t_s)
    x, y, z, _ = fast_ecef_m(fast_orbits(sl, jd0, fr0), t_s, gmst_for_times(jd, fr))
    return x.astype(np.float64), y.astype(np.float64), z.astype(np.float64)


def best_of(fn, repeat: int) -> tuple[float, object]:
    fn()  # warm-up (numba compilation, caches)
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def chunked(x, y, z, fn):
    n_t = x.shape[1]
    return [fn(x[:, k0:k0 + GROUP], y[:, k0:k0 + GROUP], z[:, k0:k0 + GROUP]) for k0 in range(0, n_t, GROUP)]


def bench_kuiper(st: G.Stations, n_steps: int, repeat: int) -> None:
    loaded = load_scenario("kuiper-630")
    x, y, z = positions(loaded, n_steps)
    n_sat = x.shape[0]
    pairs = len(st) * n_sat * n_steps
    print(f"kuiper-630: {n_sat:,} satellites x {len(st)} stations x {n_steps:,} steps = {pairs:,} pairs, "
          f"{GROUP}-step chunks, min elevation 30 deg")
    cases = [
        ("dense visibility(), compiled", lambda: chunked(x, y, z, lambda a, b, c: G.visibility(st, a, b, c, 30.0))),
        ("dense visibility(), NumPy", lambda: chunked(x, y, z, lambda a, b, c: G.visibility(st, a, b, c, 30.0, use_numba=False))),
        ("sparse triples, compiled all-pairs", lambda: chunked(x, y, z, lambda a, b, c: G.visibility_sparse(st, a, b, c, 30.0, method="dense"))),
        ("sparse triples, KD-tree", lambda: chunked(x, y, z, lambda a, b, c: G.visibility_sparse(st, a, b, c, 30.0, method="kd"))),
        ("sparse triples, NumPy all-pairs", lambda: chunked(x, y, z, lambda a, b, c: G.visibility_sparse(st, a, b, c, 30.0, method="dense", use_numba=False))),
    ]
    for interp in ("linear", "quadratic"):
        def run(interp=interp):
            tr = G.ContactTracker(st, STEP_S, min_elevation_deg=30.0, interpolation=interp)
            parts = chunked(x, y, z, tr.add)
            parts.append(tr.finish())
            return G.Contacts.concat(parts)
        cases.append((f"ContactTracker ({interp})", run))
    for name, fn in cases:
        t, out = best_of(fn, repeat)
        extra = ""
        if isinstance(out, G.Contacts):
            extra = f" | {len(out):,} windows, median {np.median(out.duration_s):.0f} s"
        elif isinstance(out, list) and out and isinstance(out[0], G.SparseVisibility):
            extra = f" | {sum(o.station.size for o in out):,} visible pairs"
        print(f"  {name:<36} {t:7.3f} s  {t / pairs * 1e9:6.2f} ns/pair{extra}", flush=True)


def bench_big(st: G.Stations, repeat: int) -> None:
    loaded = load_scenario("spacex-odc-1m")
    x, y, z = positions(loaded, 1)
    n_sat = x.shape[0]
    pairs = len(st) * n_sat
    print(f"\nspacex-odc-1m: {n_sat:,} satellites (520-1,945 km) x {len(st)} stations x 1 step = {pairs:,} pairs, "
          "min elevation 25 deg")
    for name, kw in (("sparse, KD-tree", dict(method="kd")), ("sparse, compiled all-pairs", dict(method="dense"))):
        t, out = best_of(lambda kw=kw: G.visibility_sparse(st, x, y, z, 25.0, **kw), repeat)
        print(f"  {name:<36} {t:7.3f} s  {t / pairs * 1e9:6.2f} ns/pair | {out.station.size:,} visible pairs", flush=True)
    lim = G.StationLimits.uniform(len(st), max_tracked=8)
    vis = G.visibility_sparse(st, x, y, z, 25.0)
    t, links = best_of(lambda: G.assign_links(vis, lim), repeat)
    print(f"  {'assign_links (max_tracked 8)':<36} {t:7.3f} s  {t / max(vis.station.size, 1) * 1e9:6.2f} ns/visible pair | {links.station.size:,} links")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stations", type=Path, default=CITIES)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--no-big", action="store_true", help="skip the 1,000,000-satellite case")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    st = G.read_stations_csv(args.stations)
    print(f"single core; numba kernel: {'yes' if G._mask_kernel is not None else 'no'}")
    bench_kuiper(st, args.steps, args.repeat)
    if not args.no_big:
        bench_big(st, args.repeat)


if __name__ == "__main__":
    main()
