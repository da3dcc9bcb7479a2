"""Cost of the RF link budget per link-step (issue #19 part 4).

Times :meth:`orbitcloud.network.link_budget.LinkDirection.rate_bps` (free-space loss, slant-path
atmosphere, C/N0, Es/N0, the DVB-S2 ACM choice and the margin) for ``N`` link-steps (default 10^6)
of an X-band 2 W downlink to a 7.3 m station, ranges 500-2,500 km and elevations 5-90 deg drawn at
random, and the downlink + uplink pair that the ground links use (``GroundLinkBudget.rates_bps``).
Best of ``--repeat`` runs; prints nanoseconds per link-step.

Usage: python benchmarks/link_budget.py [--n N] [--repeat R]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from orbitcloud.network import link_budget as LB


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    d = rng.uniform(500e3, 2500e3, args.n)
    el = np.radians(rng.uniform(5.0, 90.0, args.n))
    down = LB.LinkDirection(LB.terminal("x-band-eo-2w"), LB.terminal("ksat-7.3m-x"))
    up = LB.LinkDirection(LB.terminal("ksat-3.7m-s"), LB.terminal("s-band-ttc-transponder"))
    pair = LB.GroundLinkBudget(down, up)
    for label, fn in (("downlink rate_bps", lambda: down.rate_bps(d, el)), ("downlink + uplink rates_bps", lambda: pair.rates_bps(el, d))):
        best = np.inf
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        print(f"{label}: {args.n:,} link-steps in {best * 1e3:.1f} ms = {best / args.n * 1e9:.1f} ns per link-step")


if __name__ == "__main__":
    main()
