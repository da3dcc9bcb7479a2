"""Advancing the live twin one step at a time against one advance over the whole run (issue 14: at
most 1.2x), on star-compute-2800 for one day at 60 s by default, and the two results compared.

    python benchmarks/step_by_step.py [--scenario star-compute-2800] [--duration 1d] [--increment 1]

Both runs are in this process, the one-go run first (it warms numba's cache and the radiation grid
for both, which a separate untimed warm-up run would also do). Not a test: no asserts on times.
"""

from __future__ import annotations

import argparse
import json
import time

import orbitcloud as oc

WALL = {"wall_time_s", "satellite_steps_per_s"}


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in WALL}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="star-compute-2800")
    ap.add_argument("--duration", default="1d")
    ap.add_argument("--increment", type=int, default=1, help="steps per advance in the stepped run")
    ap.add_argument("--warm-up", default="10min", help="an untimed run first (caches), this long")
    a = ap.parse_args()
    oc.run(a.scenario, duration=a.warm_up)
    t0 = time.perf_counter()
    sim = oc.Simulation(a.scenario, duration=a.duration)
    sim.advance()
    one = sim.finish()
    t1 = time.perf_counter()
    sim = oc.Simulation(a.scenario, duration=a.duration)
    calls = 0
    while not sim.done:
        sim.advance(steps=a.increment)
        calls += 1
    stepped = sim.finish()
    t2 = time.perf_counter()
    same = json.dumps(_strip(one.summary), sort_keys=True) == json.dumps(_strip(stepped.summary), sort_keys=True)
    print(f"{a.scenario}, {a.duration}: {one.summary['satellites']:,} satellites, {one.summary['steps']:,} steps")
    print(f"  one advance:         {t1 - t0:8.2f} s (simulation loop {one.summary['wall_time_s']:.2f} s)")
    print(f"  {calls:,} advances of {a.increment} step(s): {t2 - t1:8.2f} s (simulation loop {stepped.summary['wall_time_s']:.2f} s)")
    print(f"  ratio stepped / one: {(t2 - t1) / (t1 - t0):.3f}")
    print(f"  summaries identical: {same}")


if __name__ == "__main__":
    main()
