"""Event-engine throughput (issue #6: >= 300,000 events/s).

Two figures:

1. the bare queue (``ops/events.py``) under the classic *hold* model: a heap of N pending events,
   every handled event schedules one new event a random time later (Vaucher & Duval 1975);
2. the serving model (``ops/inference.py``): Poisson requests on 64 continuous-batching servers,
   arrivals and completions counted as events, speeds reset every 60-s step.

Usage: python benchmarks/events.py [--events N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def hold(n_events: int, pending: int = 10_000) -> float:
    from orbitcloud.ops.events import EventQueue

    rng = np.random.default_rng(1)
    delays = rng.exponential(1.0, n_events + pending).tolist()
    q = EventQueue()
    for i in range(pending):
        q.push(delays[i], 0, i, 0)
    it = iter(delays[pending:])

    def handler(t, a, b):
        q.push(t + next(it, 1.0), 0, a, b)

    t0 = time.perf_counter()
    done = 0
    horizon = 0.0
    while done < n_events:
        horizon += 50.0
        done += q.run_until(horizon, (handler,))
    return done / (time.perf_counter() - t0)


def serving(n_requests: int) -> tuple[float, int]:
    from orbitcloud.compute.inference import InferencePerf
    from orbitcloud.ops.inference import ServingPool

    perf = InferencePerf("h100-sxm", "llama-3-8b", "fp8", 1, max_batch=64)
    m = 64
    mu = perf.throughput_tok_s(512, 128) / 128
    rate = 0.7 * mu * m
    t = np.cumsum(np.random.default_rng(2).exponential(1.0 / rate, n_requests))
    rng = np.random.default_rng(3)
    n_in = rng.integers(64, 1024, n_requests)
    n_out = rng.integers(16, 256, n_requests)
    backlog_choice = lambda c, tt, ex: (int(np.argmin(pool.backlog)), 0.03)  # noqa: E731
    pool = ServingPool(perf, m, t, n_in, n_out, np.zeros(n_requests, np.int64), backlog_choice, max_batch=64)
    t0 = time.perf_counter()
    events = 0
    tt = 0.0
    end = float(t[-1]) + 600.0
    while tt < end:
        pool.set_speeds(tt, np.ones(m))
        events += pool.run_until(tt + 60.0)
        tt += 60.0
    return events / (time.perf_counter() - t0), events


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--requests", type=int, default=300_000)
    args = ap.parse_args()
    rate = hold(args.events)
    print(f"bare event queue (hold model, 10k pending): {rate:,.0f} events/s")
    rate2, n = serving(args.requests)
    print(f"serving model ({args.requests:,} requests, {n:,} events incl. dispatch): {rate2:,.0f} events/s")


if __name__ == "__main__":
    main()
