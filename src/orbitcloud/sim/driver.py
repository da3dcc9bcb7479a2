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
from orbitcloud.sim.engine import BlockResult, BlockRunner, RadiationBlock, RunSpec

#: Work below this many satellite-steps runs in the calling process (a pool costs ~0.5 s to start).
INLINE_SAT_STEPS = 20_000_000
#: Workload runs of at least this many satellites split their physics over workers
#: (:mod:`orbitcloud.sim.split`); below it the physics is a small share of the step and runs in place.
SPLIT_MIN_SATELLITES = 20_000
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
    n_penumbral_only: np.ndarray | None = None
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


def _worker_init() -> None:
    """A pool worker's start: the allocator tuned, numba and the bus kernels' module imported before
    the first block arrives (about half a second; the compiled code loads from numba's cache at the
    first call)."""
    from orbitcloud import accel

    accel.tune_allocator()
    if accel.use_numba():
        import orbitcloud.bus.kernel  # noqa: F401


def _started() -> bool:
    return True


def pool_workers(n_sat: int, spec: RunSpec, workers: int | None, has_ctl: bool, executor: str) -> int:
    """The number of local worker processes a :class:`FleetRunner` of this run advances its blocks
    in (0: none, the blocks run in the calling process)."""
    w = default_workers() if workers is None else max(1, workers)
    if has_ctl or executor != "local" or w < 2 or n_sat * spec.n_steps < INLINE_SAT_STEPS:
        return 0
    blocks = len(plan_blocks(n_sat, spec, w))
    return min(w, blocks) if blocks > 1 else 0


def start_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A process pool of ``workers`` processes that start now (each imports numba and the kernels'
    module while the caller goes on setting up the run); hand it to :class:`FleetRunner`, which
    closes it."""
    w = max(1, workers)
    pool = cf.ProcessPoolExecutor(max_workers=w, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init)
    for _ in range(w):
        pool.submit(_started)
    return pool


def _advance_in_worker(args) -> BlockRunner:
    """Advance a block and send it back without its inputs (the caller still holds them); at the
    run's end it is reduced here, so the reductions run in parallel too (:meth:`BlockRunner.settle`)."""
    runner, k_to = args
    runner.advance(k_to)
    runner.settle()
    return runner.detached()


def _advance_in_ray(args) -> BlockRunner:
    import copy

    runner, k_to = args
    runner = copy.deepcopy(runner)  # Ray hands the arrays over zero-copy, read-only
    runner.advance(k_to)
    runner.settle()
    return runner.detached()


def _rad_slice(rad: RadiationBlock | None, a: int, z: int) -> RadiationBlock | None:
    if rad is None:
        return None
    return dataclasses.replace(
        rad, n_devices=rad.n_devices[a:z], spares=rad.spares[a:z], spare_delay_s=rad.spare_delay_s[a:z],
        models=rad.models[a:z],
    )


class FleetRunner:
    """Every satellite block of a run, advanced together (in worker processes when it pays).

    The block layout is fixed at construction from the whole run's size and the worker count, so
    the results do not depend on how :meth:`advance` is called. ``ctl`` (the workload layer) puts
    the whole fleet in one block advanced in this process, or, with several workers and at least
    :data:`SPLIT_MIN_SATELLITES` satellites (any size with ``executor="ray"``), in one
    :class:`~orbitcloud.sim.split.SplitRunner` whose physics blocks live in the workers. A pool, once
    started, is kept until :meth:`close`; each call that uses it sends the blocks' state to the workers
    and back. ``executor``: ``"local"`` (local processes) or ``"ray"`` (Ray tasks and actors, at
    ``address`` or a local instance).
    """

    def __init__(self, fleet: Fleet, spec: RunSpec, workers: int | None = None, bus: BusParams | None = None,
                 rad: RadiationBlock | None = None, ctl=None, executor: str = "local", address: str | None = None,
                 pool: cf.ProcessPoolExecutor | None = None) -> None:
        n_sat = len(fleet)
        self.spec = spec
        self.n_sat = n_sat
        self.k = 0
        self._pool = pool  # a pool started early (start_pool) or None: started on first use
        self.executor, self.address = executor, address
        if ctl is not None:
            want = default_workers() if workers is None else max(1, workers)
            if want > 1 and n_sat > 1 and (n_sat >= SPLIT_MIN_SATELLITES or executor == "ray"):
                from orbitcloud.sim.split import SplitRunner

                self.workers = want
                blocks = plan_blocks(n_sat, spec, want)
                self.runners = [SplitRunner(fleet, spec, blocks, want, bus, rad, ctl, executor=executor, address=address)]
                return
            self.workers = 1
            self.runners = [BlockRunner(fleet.slice(0, n_sat), spec, bus=bus, rad=rad, ctl=ctl)]
            return
        workers = default_workers() if workers is None else max(1, workers)
        if n_sat * spec.n_steps < INLINE_SAT_STEPS and executor != "ray":
            workers = 1
        self.workers = workers
        self.runners = [
            BlockRunner(fleet.slice(a, z), spec, bus=None if bus is None else bus.slice(a, z), rad=_rad_slice(rad, a, z))
            for a, z in plan_blocks(n_sat, spec, workers)
        ]

    def advance(self, k_to: int, progress: Callable[[int], None] | None = None) -> None:
        """Run every block through the steps ``[k, k_to)``."""
        k_to = min(int(k_to), self.spec.n_steps)
        if k_to <= self.k:
            return
        work = self.n_sat * (k_to - self.k)
        if self.executor == "ray" and self.workers > 1 and len(self.runners) > 1:
            from orbitcloud.sim.split import ray_ready

            ray_ready(self.workers, self.address)
            import ray

            remote = ray.remote(num_cpus=1, max_retries=0)(_advance_in_ray)
            refs = [remote.remote((r, k_to)) for r in self.runners]
            for b, ref in enumerate(refs):
                steps = k_to - self.runners[b].k
                self.runners[b] = ray.get(ref).attached(self.runners[b])
                if progress is not None:
                    progress(len(self.runners[b].sl) * steps)
        elif self.workers > 1 and len(self.runners) > 1 and work >= INLINE_SAT_STEPS // 8:
            pool = self._pool_started()
            futures = {pool.submit(_advance_in_worker, (r, k_to)): b for b, r in enumerate(self.runners)}
            for fut in cf.as_completed(futures):
                b = futures[fut]
                steps = k_to - self.runners[b].k
                self.runners[b] = fut.result().attached(self.runners[b])
                if progress is not None:
                    progress(len(self.runners[b].sl) * steps)
        else:
            for r in self.runners:
                r.advance(k_to, progress)
        self.k = k_to

    def _pool_started(self):
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = cf.ProcessPoolExecutor(max_workers=min(self.workers, len(self.runners)), mp_context=ctx,
                                                initializer=_worker_init)
        return self._pool

    def result(self) -> FleetResult:
        """Per-satellite reductions of the steps run so far, in satellite order."""
        if len(self.runners) == 1 and hasattr(self.runners[0], "fleet_result"):
            return self.runners[0].fleet_result()
        return _gather([r.result() for r in self.runners])

    def close(self) -> None:
        for r in self.runners:
            if hasattr(r, "close"):
                r.close()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def simulate(
    fleet: Fleet,
    spec: RunSpec,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    bus: BusParams | None = None,
    rad: RadiationBlock | None = None,
    ctl=None,
    executor: str = "local",
    address: str | None = None,
) -> FleetResult:
    """Run every satellite block through the whole run and gather the results in satellite order.

    ``bus`` (per-satellite parameters for the whole fleet) adds the power and thermal bus; ``rad``
    (per-satellite arrays for the whole fleet) the radiation dose and accelerator faults; ``ctl`` the
    workload layer (then the whole fleet is one block, advanced step by step in this process).
    """
    runner = FleetRunner(fleet, spec, workers=workers, bus=bus, rad=rad, ctl=ctl, executor=executor, address=address)
    try:
        runner.advance(spec.n_steps, progress)
        return runner.result()
    finally:
        runner.close()


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
        if parts[0].orbit is not None:
            bus.orbit = {k: np.concatenate([b.orbit[k] for b in parts]) for k in ("sk_w", "sk_lost", "sk_fire", "a_min_m", "a_samples_m")}
            bus.orbit["sample_t_s"] = parts[0].orbit["sample_t_s"]
        if any(b.ageing is not None for b in parts):
            bus.ageing = {k: np.concatenate([b.ageing[k] if b.ageing is not None else np.full(b.e_min_j.size, np.nan)
                                             for b in parts]) for k in ("capacity_left", "cycles")}
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
        n_penumbral_only=cat("n_penumbral_only"),
        beta_min_rad=cat("beta_min_rad"),
        beta_max_rad=cat("beta_max_rad"),
        events=events,
    )
