"""TT&C figures of three-body-12 with its ground sites (issue 16): command latency p50/p99 directly and
with laser relays, commandable shares, telemetry age, antenna utilisation, and the layer's run time.

    python benchmarks/ttc_three_body.py [--duration 1d] [--scenario three-body-12]

Runs the scenario twice (without and with ``--ttc``) and prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import resource
import time

import orbitcloud as oc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="three-body-12")
    ap.add_argument("--duration", default="1d")
    ap.add_argument("--propagator", default="sgp4")
    args = ap.parse_args()
    t0 = time.perf_counter()
    base = oc.run(args.scenario, duration=args.duration, propagator=args.propagator, ttc=False).summary
    t1 = time.perf_counter()
    res = oc.run(args.scenario, duration=args.duration, propagator=args.propagator, ttc=True).summary
    t2 = time.perf_counter()
    t = res["ttc"]
    print(f"{args.scenario}, {args.duration}, {args.propagator}: wall {t1 - t0:.2f} s without TT&C, {t2 - t1:.2f} s with "
          f"(TT&C layer {t['wall_time_s']:.2f} s); peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"passes {t['passes']:,} ({t['passes_unserved']:,} unserved), relays {t['relays']}, "
          f"HK packets delivered {t['telemetry_packets_delivered']:,}, lost {t['telemetry_packets_lost']:,}")
    print("| shell | commandable direct | with relays | latency direct p50 / p99 | with relays p50 / p99 | unreached direct / relay | age p50 / p99 / max |")
    print("|---|---|---|---|---|---|---|")
    for s in t["shells"]:
        def f(v):
            return "-" if v is None else f"{v:,.0f} s"
        print(f"| {s['shell']} | {s['commandable_direct_fraction']:.1%} | {s['commandable_with_relays_fraction']:.1%} | "
              f"{f(s['command_latency_direct_p50_s'])} / {f(s['command_latency_direct_p99_s'])} | "
              f"{f(s['command_latency_relay_p50_s'])} / {f(s['command_latency_relay_p99_s'])} | "
              f"{s['command_unreached_direct_fraction']:.1%} / {s['command_unreached_relay_fraction']:.1%} | "
              f"{f(s['telemetry_age_p50_s'])} / {f(s['telemetry_age_p99_s'])} / {f(s['telemetry_age_max_s'])} |")
    print("| station | antennas | passes | served | unserved | utilisation |")
    print("|---|---|---|---|---|---|")
    for s in t["stations"]:
        print(f"| {s['station']} | {s['antennas']} | {s['passes']} | {s['served']} | {s['unserved']} | {s['antenna_utilisation']:.1%} |")
    del base


if __name__ == "__main__":
    main()
