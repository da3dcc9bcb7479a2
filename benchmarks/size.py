"""Cost of ``orbitcloud size``: the one-year eclipse search (sgp4 vs fast, 30 s steps) and the sizing.

The eclipse search is one satellite over 365 days (1,051,200 steps at 30 s); the closed-form sizing
after it is milliseconds. Prints wall times and the longest eclipse each propagator finds.

Usage: python benchmarks/size.py [--repeat N]
"""

from __future__ import annotations

import argparse
import time

from orbitcloud.design import sizing

ORBITS = (
    ("650 km dawn-dusk", dict(altitude_km=650.0, orbit="dawn-dusk")),
    ("550 km 53 deg", dict(altitude_km=550.0, orbit="inclined", inclination_deg=53.0)),
    ("650 km SSO 10:30", dict(altitude_km=650.0, orbit="sso", ltan="10:30")),
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for label, kw in ORBITS:
        for prop in ("sgp4", "fast"):
            best = float("inf")
            for _ in range(args.repeat):
                sizing._longest_eclipse.cache_clear()
                t0 = time.perf_counter()
                ecl = sizing.longest_eclipse(propagator=prop, **kw)
                best = min(best, time.perf_counter() - t0)
            print(f"{label:18s} {prop:5s} longest eclipse {ecl.longest_s:8.1f} s  "
                  f"(beta=0: {sizing.beta0_eclipse_s(kw['altitude_km']):.1f} s)  {best:.3f} s")
    inputs = sizing.load_inputs(None, {"it_power_w": 40e6, "eclipse_s": 1200.0})
    t0 = time.perf_counter()
    n = 200
    for _ in range(n):
        sizing.size_data_center(inputs)
    print(f"closed-form sizing (eclipse given): {(time.perf_counter() - t0) / n * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
