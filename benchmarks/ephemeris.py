"""Ephemeris pipeline throughput and fast-mode accuracy.

Prints satellite-steps per second, on ONE core, for the whole per-step pipeline of ``orbitcloud run``
(propagation + TEME->Earth-fixed + Sun + conical shadow + eclipse crossings and reductions:
``orbitcloud.sim.engine.run_block``) at 10,000 / 100,000 / 1,000,000 satellites, for both propagators,
and the ratio to bare ``SatrecArray.sgp4`` on the same satellites, times and chunks. Satellite
initialisation (``Satrec.sgp4init``) and the once-per-process load of the compiled kernels (numba)
are excluded from both sides and reported apart.
Then the fast propagator's position error against SGP4 over one day.

Usage: python benchmarks/ephemeris.py [--sizes 10000 100000 1000000] [--steps 64]
Targets (issue #2): sgp4 pipeline <= 1.5x bare SatrecArray.sgp4; fast pipeline >= 5x faster than it.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sgp4.api import SatrecArray

from orbitcloud.ephemeris.frames import gmst_for_times, teme_to_ecef
from orbitcloud.ephemeris.propagate import fast_ecef_m, fast_orbits, make_satrecs, sgp4_teme_km
from orbitcloud.fleet import build_fleet
from orbitcloud.scenario import load_scenario, parse_scenario
from orbitcloud.sim.driver import MAX_BLOCK
from orbitcloud.sim.engine import RunSpec, run_block
from orbitcloud.timescale import jd_split, jd_split_offset

EPOCH = "2026-03-20T00:00:00Z"


def fleet_of(n: int):
    planes = max(1, int(round(np.sqrt(n / 10))))
    per = n // planes
    text = (
        f"name: bench\nepoch: {EPOCH}\nduration: 1d\nconstellation:\n"
        f"  - {{kind: walker, altitude_km: 550, inclination_deg: 53, planes: {planes}, sats_per_plane: {per}, phasing: 1}}\n"
    )
    rest = n - planes * per
    if rest:
        text += f"  - {{kind: sso, altitude_km: 700, ltan: '10:30', planes: 1, sats_per_plane: {rest}}}\n"
    loaded = parse_scenario(text)
    return loaded, build_fleet(loaded)


def measure(n: int, steps: int) -> None:
    loaded, fleet = fleet_of(n)
    jd0, fr0 = (float(v) for v in jd_split(np.datetime64(loaded.scenario.epoch, "ns")))
    spec = {p: RunSpec(jd0, fr0, 60.0, steps, p) for p in ("sgp4", "fast")}
    # once per process: numba's import and the compiled kernels' cache load (timed apart, like sgp4init)
    t0 = time.perf_counter()
    for p in ("sgp4", "fast"):
        run_block(fleet.slice(0, min(n, 64)), spec[p])
    t_warm = time.perf_counter() - t0
    t_init = t_bare = t_sgp4 = t_fast = 0.0
    for a in range(0, n, MAX_BLOCK):
        sl = fleet.slice(a, min(n, a + MAX_BLOCK))
        t0 = time.perf_counter()
        arr = SatrecArray(make_satrecs(sl))
        t_init += time.perf_counter() - t0
        chunk = spec["sgp4"].chunk_steps(len(sl))
        t0 = time.perf_counter()
        for k0 in range(0, steps, chunk):
            t_s = np.arange(k0, min(steps, k0 + chunk)) * 60.0
            jd, fr = jd_split_offset(jd0, fr0, t_s)
            arr.sgp4(jd, fr)
        t_bare += time.perf_counter() - t0
        t0 = time.perf_counter()
        run_block(sl, spec["sgp4"], satrecs=arr)
        t_sgp4 += time.perf_counter() - t0
        t0 = time.perf_counter()
        run_block(sl, spec["fast"])
        t_fast += time.perf_counter() - t0
    ss = n * steps
    print(
        f"{n:>9,} sats x {steps} steps | bare sgp4 {ss / t_bare / 1e6:6.2f} M/s | "
        f"sgp4 pipeline {ss / t_sgp4 / 1e6:6.2f} M/s ({t_sgp4 / t_bare:4.2f}x bare) | "
        f"fast pipeline {ss / t_fast / 1e6:6.2f} M/s ({t_bare / t_fast:4.1f}x faster than bare sgp4) | "
        f"sgp4init {t_init / n * 1e6:.1f} us/sat | kernels loaded once per process in {t_warm:.2f} s",
        flush=True,
    )


def fast_accuracy() -> None:
    print("\nfast propagator vs SGP4 over 1 day (60 s samples), Earth-fixed position error:")
    for name in ("starlink-shell1", "kuiper-630", "three-body-12", "suncatcher-81", "star-compute-2800"):
        loaded = load_scenario(name)
        fleet = build_fleet(loaded)
        sl = fleet.slice(0, len(fleet))
        jd0, fr0 = (float(v) for v in jd_split(np.datetime64(loaded.scenario.epoch, "ns")))
        t_s = np.arange(0, 86400, 60.0)
        jd, fr = jd_split_offset(jd0, fr0, t_s)
        g = gmst_for_times(jd, fr)
        _, r_km, _ = sgp4_teme_km(SatrecArray(make_satrecs(sl)), jd, fr)
        ref = teme_to_ecef(r_km * 1000.0, g)
        x, y, z, _ = fast_ecef_m(fast_orbits(sl, jd0, fr0), t_s, g)
        err = np.sqrt((x - ref[..., 0]) ** 2 + (y - ref[..., 1]) ** 2 + (z - ref[..., 2]) ** 2)
        print(f"  {name:<18} median {np.median(err) / 1e3:6.2f} km  p99 {np.percentile(err, 99) / 1e3:6.2f} km  max {err.max() / 1e3:6.2f} km")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--steps", type=int, default=128, help="time steps per satellite (60 s apart)")
    ap.add_argument("--no-accuracy", action="store_true")
    args = ap.parse_args()
    print("single core; satellite-steps per second (M/s = millions)")
    for n in args.sizes:
        measure(n, args.steps)
    if not args.no_accuracy:
        fast_accuracy()


if __name__ == "__main__":
    main()
