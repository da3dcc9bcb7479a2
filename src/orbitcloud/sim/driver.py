"""Cutting a run into satellite blocks and running them, in worker processes when it pays.

Block size is chosen so that (a) there are several blocks per worker for load balance and progress,
(b) the crossing records a block keeps for the whole run stay under ~200 MB. The block results are
put back in satellite order, so the outcome does not depend on the number of workers.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import math
import multiprocessing
import os
from typing import Callable

import numpy as np

from orbitcloud.fleet import Fleet
from orbitcloud.bus.step import SUMS, BusParams, BusTotals
from orbitcloud.sim.engine import BlockResult, RadiationBlock, RunSpec, run_block

#: Work below this many satellite-steps runs in the calling process (a pool costs ~0.5 s to start).
INLINE_SAT_STEPS = 20_000_000
MAX_BLOCK = 4096  # satellites; with 64-step chunks the working set stays in L2 cache


@dataclasses.dataclass
class FleetResult:
    """Per-satellite reductions for the whole fleet (arrays of shape (n_sat,)) and eclipse events."""

    illum_sum: np.ndarray
    n_valid: np.ndarray
    longest_dark_s: np.ndarray
    dark_s: np.ndarray
    umbra_s: np.ndarray
    n_eclipses: np.ndarray
    beta_min_rad: np.ndarray
    beta_max_rad: np.ndarray
    events: dict[str, np.ndarray] | None
    bus: BusTotals | None = None
    records: dict[str, np.ndarray] | None = None
    dose_rad: np.ndarray | None = None
    avail_sum: np.ndarray | None = None
    fault_events: dict[str, np.ndarray] | None = None
    spares_used: np.ndarray | None = None
    devices_lost: np.ndarray | None = None


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def plan_blocks(n_sat: int, spec: RunSpec, workers: int) -> list[tuple[int, int]]:
    """Satellite ranges [start, stop) for the run."""
    days = spec.n_steps * spec.step_s / 86400.0
    # ~16 orbits/day x 3 shadow functions x 2 crossings x ~25 bytes each: ~2.4 kB per satellite-day
    by_memory = max(16, int(200e6 / (2400.0 * max(days, 1.0))))
    per_worker = 4 if workers > 1 else 1
    size = min(MAX_BLOCK, by_memory, max(1, math.ceil(n_sat / (workers * per_worker))))
    if workers == 1:
        size = min(MAX_BLOCK, by_memory, n_sat)
    return [(a, min(n_sat, a + size)) for a in range(0, n_sat, size)]


def _work(args) -> BlockResult:
    sl, spec, bus, rad = args
    return run_block(sl, spec, bus=bus, rad=rad)


def _rad_slice(rad: RadiationBlock | None, a: int, z: int) -> RadiationBlock | None:
    if rad is None:
        return None
    return dataclasses.replace(
        rad, n_devices=rad.n_devices[a:z], spares=rad.spares[a:z], spare_delay_s=rad.spare_delay_s[a:z],
        models=rad.models[a:z],
    )


def simulate(
    fleet: Fleet,
    spec: RunSpec,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    bus: BusParams | None = None,
    rad: RadiationBlock | None = None,
    ctl=None,
) -> FleetResult:
    """Run every satellite block and gather the per-satellite results in satellite order.

    ``bus`` (per-satellite parameters for the whole fleet) adds the power and thermal bus; ``rad``
    (per-satellite arrays for the whole fleet) the radiation dose and accelerator faults; ``ctl`` the
    workload layer (then the whole fleet is one block, advanced step by step in this process).
    """
    n_sat = len(fleet)
    if ctl is not None:
        return _gather([run_block(fleet.slice(0, n_sat), spec, on_chunk=progress, bus=bus, rad=rad, ctl=ctl)])
    workers = default_workers() if workers is None else max(1, workers)
    if n_sat * spec.n_steps < INLINE_SAT_STEPS:
        workers = 1
    blocks = plan_blocks(n_sat, spec, workers)
    results: list[BlockResult | None] = [None] * len(blocks)
    if workers == 1 or len(blocks) == 1:
        for b, (a, z) in enumerate(blocks):
            results[b] = run_block(
                fleet.slice(a, z), spec, on_chunk=progress, bus=None if bus is None else bus.slice(a, z),
                rad=_rad_slice(rad, a, z),
            )
    else:
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=min(workers, len(blocks)), mp_context=ctx) as pool:
            futures = {pool.submit(_work, (fleet.slice(a, z), spec, None if bus is None else bus.slice(a, z), _rad_slice(rad, a, z))): b for b, (a, z) in enumerate(blocks)}
            for fut in cf.as_completed(futures):
                b = futures[fut]
                results[b] = fut.result()
                if progress is not None:
                    a, z = blocks[b]
                    progress((z - a) * spec.n_steps)
    return _gather(results)  # type: ignore[arg-type]


def _gather(results: list[BlockResult]) -> FleetResult:
    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(r, name) for r in results])

    events = None
    if results and results[0].events is not None:
        events = {k: np.concatenate([r.events[k] for r in results]) for k in results[0].events}
    bus = None
    if results and results[0].bus is not None:
        parts = [r.bus for r in results]
        bus = BusTotals(
            sums={k: np.concatenate([b.sums[k] for b in parts]) for k in SUMS},
            e_min_j=np.concatenate([b.e_min_j for b in parts]),
            t_min_k=np.concatenate([b.t_min_k for b in parts]),
            t_max_k=np.concatenate([b.t_max_k for b in parts]),
            t_final_k=np.concatenate([b.t_final_k for b in parts]),
            e_final_j=np.concatenate([b.e_final_j for b in parts]),
            steps=parts[0].steps,
        )
    records = None
    recs = [r.records for r in results if r.records is not None]
    if recs:
        records = {k: np.concatenate([r[k] for r in recs]) for k in recs[0]}
    extra = {}
    if results and results[0].dose_rad is not None:
        from orbitcloud.ops.faults import concat_events

        extra = dict(
            dose_rad=cat("dose_rad"), avail_sum=cat("avail_sum"), spares_used=cat("spares_used"),
            devices_lost=cat("devices_lost"), fault_events=concat_events([r.fault_events for r in results]),
        )
    return FleetResult(
        **extra,
        bus=bus,
        records=records,
        illum_sum=cat("illum_sum"),
        n_valid=cat("n_valid"),
        longest_dark_s=cat("longest_dark_s"),
        dark_s=cat("dark_s"),
        umbra_s=cat("umbra_s"),
        n_eclipses=cat("n_eclipses"),
        beta_min_rad=cat("beta_min_rad"),
        beta_max_rad=cat("beta_max_rad"),
        events=events,
    )
