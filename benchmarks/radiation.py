"""Radiation grid: build time (cold, new shield, cached) and lookup cost per sample.

Prints, for one shell (default 650 km, 10 mm Al, solar minimum):

* cold build: B and L from IRBEM on every node plus the shielded dose (aep8 import included),
* a new shielding over the same nodes (B, L from the cache, only the flux tables are evaluated),
* a cached build (from disk, in-memory memo cleared) and a memo hit,
* lookups of ``dose_rate_rad_s`` and ``proton_flux_cm2_s`` for 1e6 samples in float32 and float64
  (numba kernel, and the NumPy reference path), in ns/sample, on one core.

Usage: python benchmarks/radiation.py [--alt 650] [--shield 10] [--samples 1000000]
The cache goes to a temporary directory (ORBITCLOUD_CACHE is overridden) so the cold build is cold.
Target (issue brief): a shell's grid in a few seconds; lookups well under 100 ns/sample.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def best_of(fn, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alt", type=float, default=650.0, help="shell altitude [km]")
    ap.add_argument("--shield", type=float, default=10.0, help="aluminium thickness [mm]")
    ap.add_argument("--solar", default="min", choices=("min", "max"))
    ap.add_argument("--samples", type=int, default=1_000_000)
    args = ap.parse_args()
    os.environ["ORBITCLOUD_CACHE"] = tempfile.mkdtemp(prefix="orbitcloud-bench-")

    from orbitcloud.environment import radiation as rad
    from orbitcloud.environment.radiation import RadiationGrid, RadiationSpec, geocentric_to_ecef_m

    spec = RadiationSpec(shielding_mm_al=args.shield, solar=args.solar)
    t0 = time.perf_counter()
    grid = RadiationGrid.build(args.alt, args.alt, spec)
    t_cold = time.perf_counter() - t0
    nodes = grid.dose_p_rad_s.size
    print(f"grid {grid.alt_km.tolist()} km x {grid.lat_deg.size} lat x {grid.lon_deg.size} lon "
          f"({nodes:,} nodes, {rad.GRID_STEP_DEG:g} deg), {args.shield:g} mm Al, solar {args.solar}")
    print(f"  cold build (IRBEM B, L + dose):     {t_cold:7.3f} s  ({t_cold / nodes * 1e6:.0f} us/node)")
    t0 = time.perf_counter()
    RadiationGrid.build(args.alt, args.alt, RadiationSpec(shielding_mm_al=args.shield * 1.5, solar=args.solar))
    print(f"  new shielding, cached B and L:      {time.perf_counter() - t0:7.3f} s")

    def from_disk():
        rad._MEMO.clear()
        RadiationGrid.build(args.alt, args.alt, spec)

    print(f"  cached build (disk):                {best_of(from_disk) * 1e3:7.2f} ms")
    print(f"  cached build (memory):              {best_of(lambda: RadiationGrid.build(args.alt, args.alt, spec)) * 1e3:7.2f} ms")

    rng = np.random.default_rng(1)
    n = args.samples
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    alt = args.alt + rng.uniform(-20.0, 20.0, n)
    x, y, z = geocentric_to_ecef_m(lat, lon, alt)
    grid.dose_rate_rad_s(x[:10], y[:10], z[:10])  # compile / load the numba kernel
    grid.dose_rate_rad_s(x[:10].astype(np.float32), y[:10].astype(np.float32), z[:10].astype(np.float32))
    print(f"lookups, {n:,} random samples in the shell, one core:")
    for dtype in (np.float32, np.float64):
        xs, ys, zs = (a.astype(dtype) for a in (x, y, z))
        t_dose = best_of(lambda: grid.dose_rate_rad_s(xs, ys, zs))
        t_flux = best_of(lambda: grid.proton_flux_cm2_s(xs, ys, zs))
        t_np = best_of(lambda: grid.dose_rate_rad_s(xs, ys, zs, use_numba=False), repeats=2)
        print(f"  {np.dtype(dtype).name}: dose_rate_rad_s {t_dose / n * 1e9:6.1f} ns/sample | "
              f"proton_flux_cm2_s {t_flux / n * 1e9:6.1f} ns/sample | NumPy path {t_np / n * 1e9:6.1f} ns/sample")
    mean_rad_yr = float(grid.dose_rate_rad_s(x, y, z).mean()) * rad.YEAR_S
    print(f"globe-mean dose rate in the shell: {mean_rad_yr:.1f} rad(Si)/yr (trapped + GCR)")


if __name__ == "__main__":
    main()
