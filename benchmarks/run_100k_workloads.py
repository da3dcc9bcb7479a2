"""A workload run above the old 50,000-satellite limit: 100,000 satellites with inference (issue #18 part 2).

``benchmarks/scenarios/star-compute-100k.yaml`` (star-compute-2800 scaled up, 100 requests/s) through
``orbitcloud run --propagator fast``: first a short window with 1 and with 2 workers (the summaries must
be identical apart from wall times), then the full day with 2 workers. Prints wall time and the peak
resident memory of the whole process tree (coordinator and workers, sampled from /proc every 0.2 s).

Usage: python benchmarks/run_100k_workloads.py [--short 2h] [--long 1d] [--skip-long]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run_1m import run_sampled  # noqa: E402

SCENARIO = str(Path(__file__).parent / "scenarios" / "star-compute-100k.yaml")


def run(duration: str, workers: int) -> tuple[dict, float, int]:
    cmd = ["orbitcloud", "run", SCENARIO, "--duration", duration, "--propagator", "fast", "--workers", str(workers), "--json"]
    return run_sampled(cmd, every_s=0.2)


def clean(obj):
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items() if "wall" not in k and k != "satellite_steps_per_s"}
    return obj


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--short", default="2h")
    ap.add_argument("--long", default="1d")
    ap.add_argument("--skip-long", action="store_true")
    args = ap.parse_args()
    s1, w1, m1 = run(args.short, 1)
    s2, w2, m2 = run(args.short, 2)
    print(f"{args.short}: 1 worker {w1:.1f} s ({m1 / 1e9:.2f} GB), 2 workers {w2:.1f} s ({m2 / 1e9:.2f} GB); "
          f"summaries identical: {clean(s1) == clean(s2)}")
    if not args.skip_long:
        s, w, m = run(args.long, 2)
        inf = s["workloads"]["inference"]
        print(f"{args.long}, 2 workers: {w:.1f} s, peak RSS {m / 1e9:.2f} GB; satellites {s['satellites']:,}, "
              f"requests {inf['requests']:,}, served {inf['served']:,}, ttft p50 {inf['ttft_s_p50']} s, "
              f"slo_attainment {inf['slo_attainment']}")


if __name__ == "__main__":
    main()
