"""Cost of the bus's compiled kernels per satellite-step, one core (issue #18: the bus's share).

Runs blocks of 4,096 satellites of the ``benchmarks/bus.py`` fleet (100 planes, 550 km, 53 deg,
``v2mini-h100x8``) through one day at 60 s with the fast propagator, and times every call of the
two compiled bus kernels (:func:`orbitcloud.bus.kernel.step_chunk`, the power and thermal step;
:func:`orbitcloud.bus.kernel.inputs_chunk`, generation and environmental heat) and of the whole bus
advance (:func:`orbitcloud.bus.step.advance`, kernels plus their set-up), against the block without
the bus. Prints nanoseconds per satellite-step (the best of ``--repeats`` passes over the blocks).

``--tiles 1024,4096``: instead, compiles the step kernel once per satellite-tile size
(``orbitcloud.bus.kernel.STEP_TILE``) and alternates them call by call over the same blocks, so that
the machine's minute-to-minute drift falls on all of them alike; prints each one's ns per
satellite-step. The variants compile during the first pass, so the block totals need
``--repeats`` >= 2 then (the best pass is printed).

Also prints the arithmetic floor: the time of the float64 divisions and square roots the bus performs
per satellite-step, alone (:func:`floor_ns`), against the budget for +30 %.

Usage: python benchmarks/bus_kernel.py [--blocks B] [--repeats R] [--tiles T1,T2,...]
"""

from __future__ import annotations

import argparse
import itertools
import time
import types

import numpy as np

import orbitcloud.bus.kernel as kernel
import orbitcloud.sim.engine as engine
from orbitcloud.bus import step
from orbitcloud.fleet import build_fleet
from orbitcloud.scenario import parse_scenario
from orbitcloud.sim import RunSpec
from orbitcloud.sim.setup import bus_params, shell_designs
from orbitcloud.timescale import jd_split

from bus import YAML


def timed(fn, acc: dict, key: str):
    def call(*args, **kwargs):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        acc[key] = acc.get(key, 0.0) + time.perf_counter() - t0
        return out

    return call


def tile_variants(tiles: list[int], acc: dict):
    """A step kernel that runs the variants compiled with each ``STEP_TILE`` in turn, call by call."""
    with open(kernel.__file__) as fh:
        src = fh.read()
    assert f"STEP_TILE = {kernel.STEP_TILE}\n" in src
    fns = {}
    for t in tiles:
        mod = types.ModuleType(f"step_tile_{t}")
        code = src.replace(f"STEP_TILE = {kernel.STEP_TILE}\n", f"STEP_TILE = {t}\n").replace("cache=True", "cache=False")
        exec(compile(code, f"<step kernel, STEP_TILE={t}>", "exec"), mod.__dict__)
        fns[t] = mod.step_chunk
    turn = itertools.cycle(tiles)

    def call(*a):
        t = next(turn)
        t0 = time.perf_counter()
        fns[t](*a)
        dt = time.perf_counter() - t0
        if f"tile {t} n" in acc or dt < 0.5:  # the first call of each compiles it: not counted
            acc[f"tile {t}"] = acc.get(f"tile {t}", 0.0) + dt
            acc[f"tile {t} n"] = acc.get(f"tile {t} n", 0) + a[0].size
            acc["step"] = acc.get("step", 0.0) + dt

    return call


def floor_ns(n: int = 4096, reps: int = 3000) -> float:
    """ns per element of the bus's float64 divisions and square roots alone, in their dependency
    chains: the inputs kernel's two quartic roots of a quotient (the array temperature, then again
    after the efficiency update) and the step kernel's ``FIRST_ITERS`` Newton divisions. Vectorised
    over ``n`` elements like the kernels; everything else they do (about 70 other operations and 55
    loads and stores per satellite-step) is left out, so this is a lower bound."""
    import math

    import numba

    from orbitcloud.bus.thermal import FIRST_ITERS

    @numba.njit(nogil=True, error_model="numpy")
    def chain(x, y, out, reps):
        for _ in range(reps):
            for i in range(x.shape[0]):
                a, b = x[i], y[i]
                t1 = math.sqrt(math.sqrt(a / b))
                tn = math.sqrt(math.sqrt((a + t1) / b))
                for _ in range(FIRST_ITERS):
                    t2 = tn * tn
                    tn = (a * (t2 * t2) + b) / (b * (t2 * tn) + a)
                out[i] = tn

    rng = np.random.default_rng(0)
    x, y, out = rng.random(n) + 1.0, rng.random(n) + 2.0, np.empty(n)
    chain(x, y, out, 1)
    best = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        chain(x, y, out, reps)
        best = min(best, time.perf_counter() - t0)
    return 1e9 * best / (n * reps)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tiles", default="", help="comma-separated STEP_TILE values to compare")
    args = ap.parse_args()
    tiles = [int(t) for t in args.tiles.split(",") if t]
    loaded = parse_scenario(YAML.format(per_plane=1000))
    fleet = build_fleet(loaded)
    bp = bus_params(fleet, shell_designs(loaded))
    jd, fr = jd_split(np.datetime64(loaded.scenario.epoch, "ns"))
    spec = RunSpec(jd0=float(jd), fr0=float(fr), step_s=60.0, n_steps=1440, propagator="fast")
    block = 4096
    starts = np.linspace(0, len(fleet) - block, args.blocks).astype(int)
    engine.run_block(fleet.slice(0, block), spec, bus=bp.slice(0, block))  # compile / load the kernels
    acc: dict[str, float] = {}
    step._KERNEL = timed(step._kernel(force=True), acc, "step") if not tiles else tile_variants(tiles, acc)
    kernel.inputs_chunk = timed(kernel.inputs_chunk, acc, "inputs")
    engine.advance = timed(engine.advance, acc, "advance")
    best: dict[str, float] = {}
    for _ in range(args.repeats):
        acc.clear()
        for a in starts:
            t0 = time.perf_counter()
            engine.run_block(fleet.slice(a, a + block), spec)
            t1 = time.perf_counter()
            engine.run_block(fleet.slice(a, a + block), spec, bus=bp.slice(a, a + block))
            t2 = time.perf_counter()
            acc["no bus"] = acc.get("no bus", 0.0) + t1 - t0
            acc["with bus"] = acc.get("with bus", 0.0) + t2 - t1
        for key, value in acc.items():
            best[key] = min(best.get(key, np.inf), value)
    sat_steps = args.blocks * block * spec.n_steps
    ns = {key: 1e9 * value / sat_steps for key, value in best.items()}
    print(f"{args.blocks} blocks of {block:,} satellites x {spec.n_steps} steps, fast propagator, one core; best of {args.repeats}")
    print(f"  block without the bus     {ns['no bus']:6.1f} ns per satellite-step")
    print(f"  block with the bus        {ns['with bus']:6.1f} ns  (bus adds {100 * (ns['with bus'] / ns['no bus'] - 1):.0f} %)")
    print(f"  bus advance (all of it)   {ns['advance']:6.1f} ns")
    print(f"    step kernel             {ns['step']:6.1f} ns")
    print(f"    inputs kernel           {ns['inputs']:6.1f} ns")
    print(f"  budget for +30 %          {0.3 * ns['no bus']:6.1f} ns")
    print(f"  float64 div and sqrt alone{floor_ns():6.1f} ns  (arithmetic floor of the two kernels)")
    for t in tiles:
        print(f"  step kernel, STEP_TILE = {t:5d}: {1e9 * acc[f'tile {t}'] / acc[f'tile {t} n']:6.2f} ns (last pass)")


if __name__ == "__main__":
    main()
