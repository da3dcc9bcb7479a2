"""Issue #6 performance target: star-compute-2800 with inference and Earth observation, one simulated
day at 60-s steps, in <= 5 min on the 2-core machine. Also compares the placement policies on it.

Usage: python benchmarks/workloads_star_compute.py [--policies first-fit power-aware ...]
"""

from __future__ import annotations

import argparse
import resource
import time


def main() -> None:
    from orbitcloud.job import JobOptions, run_scenario

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--policies", nargs="*", default=["power-aware"])
    args = ap.parse_args()
    for pol in args.policies:
        t0 = time.perf_counter()
        s = run_scenario("star-compute-2800", JobOptions(policy=pol))
        total = time.perf_counter() - t0
        w = s["workloads"]
        inf, eo = w["inference"], w["earth_observation"]
        rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
        thr = max(sh["bus"]["throttled_fraction_power"] or 0.0 for sh in s["shells"])
        print(f"{pol}: total {total:.1f} s (simulation {s['wall_time_s']:.1f} s), peak RSS {rss_gb:.2f} GB")
        print(f"  inference: {inf['requests']:,} requests, {inf['served']:,} served, {inf['pending']:,} pending, "
              f"{inf['unreachable']:,} unreachable; TTFT p50/p99 {inf['ttft_s_p50']}/{inf['ttft_s_p99']} s, "
              f"TPOT p50/p99 {inf['tpot_s_p50']}/{inf['tpot_s_p99']} s, SLO {inf['slo_attainment']:.4f}, "
              f"{inf['tokens_per_kwh']:,.0f} tokens/kWh, {inf['active_servers_mean']} replicas")
        print(f"  earth observation: reduction {eo['downlink_reduction']:.4f}, downlinked {eo['downlinked_b'] / 1e12:.1f} TB, "
              f"lost {eo['lost_b']} B, age p50 {eo['age_p50_s']} s")
        print(f"  events {w['events']:,} ({w['events'] / s['wall_time_s']:,.0f} per simulated-run second); "
              f"max power-throttled fraction {thr:.4g}")


if __name__ == "__main__":
    main()
