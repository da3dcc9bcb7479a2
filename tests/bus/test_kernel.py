"""The compiled bus loop (numba) performs the NumPy loop's operations exactly: bit-identical results."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import orbitcloud.sim.engine as engine
from orbitcloud.bus import step
from orbitcloud.fleet import build_fleet
from orbitcloud.sim.setup import bus_params, shell_designs
from orbitcloud.scenario import parse_scenario
from orbitcloud.sim import RunSpec
from orbitcloud.timescale import jd_split

# three designs that between them exercise every branch: thermal throttling with the hysteresis
# latch, power throttling with an empty battery, heaters, curtailment, and a shell without hardware
SCENARIO = """
name: kernel-check
epoch: 2026-06-01T00:00:00Z
duration: 12h
step: 60s
constellation:
  - kind: walker
    name: hot
    altitude_km: 500
    inclination_deg: 53
    planes: 2
    sats_per_plane: 5
    hardware:
      base: starcloud-1
      radiator: {area_m2: 0.45, hysteresis_k: 3}
  - kind: walker
    name: starved
    altitude_km: 600
    inclination_deg: 97
    planes: 2
    sats_per_plane: 5
    hardware:
      base: starcloud-1
      solar_array: {area_m2: 2.0}
      battery: {capacity_wh: 150}
  - kind: sso
    name: cold
    altitude_km: 700
    ltan: "12:00"
    sats_per_plane: 7
    hardware:
      base: three-body
      compute: {utilisation: 0.1}
      radiator: {area_m2: 4.0, t_min_c: 15, heater_w: 200}
  - kind: walker
    name: bare
    altitude_km: 550
    inclination_deg: 30
    planes: 1
    sats_per_plane: 3
"""


@pytest.mark.parametrize(("propagator", "step_s", "n_steps"), [("sgp4", 60.0, 720), ("fast", 60.0, 720), ("fast", 10800.0, 8)])
def test_kernel_and_numpy_loops_are_bit_identical(monkeypatch, propagator, step_s, n_steps):
    """At 60-s steps every branch of the power policy and the latch; at 3-h steps the thermal
    step's bracketed restart (Newton from T0 has not converged after FIRST_ITERS iterations)."""
    from orbitcloud.bus import thermal

    loaded = parse_scenario(SCENARIO)
    fleet = build_fleet(loaded)
    bp = bus_params(fleet, shell_designs(loaded))
    jd, fr = jd_split(np.datetime64(loaded.scenario.epoch, "ns"))
    spec = RunSpec(jd0=float(jd), fr0=float(fr), step_s=step_s, n_steps=n_steps, propagator=propagator,
                   record_every_steps=5 if step_s == 60.0 else 1)
    assert step._kernel(force=True) is not None, "numba is a dependency; the compiled loop must be available"
    restarts = []
    real_start = thermal.bracketing_start
    monkeypatch.setattr(thermal, "bracketing_start", lambda t0, *a: restarts.append(np.size(t0)) or real_start(t0, *a))
    out = {}
    for use_kernel in (False, True):
        monkeypatch.setattr(engine, "advance", functools.partial(step.advance, use_kernel=use_kernel))
        out[use_kernel] = engine.run_block(fleet.slice(0, len(fleet)), spec, bus=bp)
    a, b = out[False], out[True]
    sums = a.bus.sums
    if step_s == 60.0:
        assert sums["thr_thermal"][:10].sum() > 0 and sums["thr_power"][10:20].sum() > 0 and sums["heater"][20:27].sum() > 0
        assert sums["curtailed"].sum() > 0
    else:
        assert sum(restarts) > 0, "the long steps should take the bracketed restart"
    for key in sums:
        assert np.array_equal(sums[key], b.bus.sums[key]), key
    for key in ("e_min_j", "t_min_k", "t_max_k", "t_final_k", "e_final_j"):
        assert np.array_equal(getattr(a.bus, key), getattr(b.bus, key)), key
    assert a.records.keys() == b.records.keys()
    for key in a.records:
        assert np.array_equal(a.records[key], b.records[key]), key
    if step_s == 60.0:
        assert set(np.unique(a.records["throttle"])) == {0, 1, 2}
    # battery ageing counts cycles from each loop's per-step energy and temperature trace
    assert a.bus.ageing is not None and np.isfinite(a.bus.ageing["capacity_left"][20:27]).all()  # three-body: ageing
    for key in ("capacity_left", "cycles"):
        assert np.array_equal(a.bus.ageing[key], b.bus.ageing[key], equal_nan=True), key


def test_kernel_bit_identical_across_its_satellite_tiles(monkeypatch):
    """A block wider than the compiled step's satellite tile (two full tiles and a partial one, the
    tile boundaries inside shells that throttle): still the NumPy loop's bits, records included."""
    from orbitcloud.bus import kernel

    loaded = parse_scenario(SCENARIO.replace("sats_per_plane: 5", "sats_per_plane: 600"))
    fleet = build_fleet(loaded)
    n, tile = len(fleet), kernel.STEP_TILE
    assert n > 2 * tile and n % tile and 600 * 2 > tile  # the first boundary falls inside the hot shell
    bp = bus_params(fleet, shell_designs(loaded))
    jd, fr = jd_split(np.datetime64(loaded.scenario.epoch, "ns"))
    spec = RunSpec(jd0=float(jd), fr0=float(fr), step_s=60.0, n_steps=180, propagator="fast", record_every_steps=7)
    out = {}
    for use_kernel in (False, True):
        monkeypatch.setattr(engine, "advance", functools.partial(step.advance, use_kernel=use_kernel))
        out[use_kernel] = engine.run_block(fleet.slice(0, n), spec, bus=bp)
    a, b = out[False], out[True]
    assert a.bus.sums["thr_thermal"][:1200].sum() > 0 and a.bus.sums["thr_power"][1200:2400].sum() > 0
    for key in a.bus.sums:
        assert np.array_equal(a.bus.sums[key], b.bus.sums[key]), key
    for key in ("e_min_j", "t_min_k", "t_max_k", "t_final_k", "e_final_j"):
        assert np.array_equal(getattr(a.bus, key), getattr(b.bus, key)), key
    for key in a.records:
        assert np.array_equal(a.records[key], b.records[key]), key


@pytest.mark.parametrize("propagator", ["sgp4", "fast"])
def test_compiled_bus_inputs_bit_identical(monkeypatch, propagator):
    """Generation, environmental heat and array temperature of the compiled element loop are the
    NumPy function's bits (every design here: computed and fixed array temperatures, Sun-tracking and
    body-mounted arrays)."""
    loaded = parse_scenario(SCENARIO)
    fleet = build_fleet(loaded)
    bp = bus_params(fleet, shell_designs(loaded))
    jd, fr = jd_split(np.datetime64(loaded.scenario.epoch, "ns"))
    spec = RunSpec(jd0=float(jd), fr0=float(fr), step_s=60.0, n_steps=200, propagator=propagator, record_every_steps=5)
    geos = []
    real = engine._bus_geometry

    def keep(*args):
        geo = real(*args)
        geos.append(geo)
        return geo

    monkeypatch.setattr(engine, "_bus_geometry", keep)
    engine.run_block(fleet.slice(0, len(fleet)), spec, bus=bp)
    assert geos
    assert step._kernel(force=True) is not None
    for geo in geos:
        n, n_t = geo.illumination.shape
        out = [np.empty((n_t, n)) for _ in range(3)]
        step._inputs_compiled(bp, geo, *out)
        for a in range(0, n_t, step._COLS):
            b = min(n_t, a + step._COLS)
            with np.errstate(invalid="ignore", divide="ignore"):  # bare satellites: 0/0, masked after
                ref = step.chunk_inputs(bp, geo.columns(a, b))
            for got, want in zip(out, ref):
                assert np.array_equal(got[a:b], np.asarray(want).T), (a, b)
        assert (out[0] > 0).any() and (out[0] == 0).any()  # sunlit and eclipsed steps


def test_arena_rows_are_cache_line_aligned_and_spread_over_the_page():
    """The compiled step's per-satellite rows: copies of the inputs (scalars broadcast), row r at
    (256 r) mod 4096 bytes in its page, and the chunk inputs in the two slots after them."""
    n = 4096
    arrays = [np.arange(n, dtype=float) * (r + 1) for r in range(step._ARENA_ROWS - 5)] + [2.5]
    rows = step._arena(arrays, n, extra=4)
    assert len(rows) == step._ARENA_ROWS
    offsets = [row.ctypes.data % 4096 for row in rows]
    assert offsets == [(256 * r) % 4096 for r in range(step._ARENA_ROWS)]
    for row, want in zip(rows, arrays):
        assert row.shape == (n,) and np.array_equal(row, np.broadcast_to(want, (n,)))
    # rows do not overlap, and writing one leaves the inputs alone
    rows[-1][:] = -1.0
    assert np.array_equal(rows[0], arrays[0]) and np.array_equal(arrays[0], np.arange(n, dtype=float))
    for shape, slot in (((64, n), step._SLOT_P_GEN), ((3, 17), step._SLOT_Q_ENV)):
        a = step.aligned_empty(shape, slot * step._SLOT_BYTES % 4096)
        assert a.shape == shape and a.flags.c_contiguous and a.dtype == np.float64
        assert a.ctypes.data % 4096 == slot * step._SLOT_BYTES % 4096
