"""Workload runs split over workers (``orbitcloud.sim.split``) give the one-process run's results.

The split is forced for small fleets (``SPLIT_MIN_SATELLITES = 0``) so the cases stay quick: every
file of the results directory (Parquet tables compared cell by cell, the summary without its wall
times), the live twin's snapshots after operator actions, and the TT&C figures must be identical
for one worker, two and three worker processes, and two Ray actors.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import orbitcloud as oc
import orbitcloud.sim.driver as driver
from orbitcloud.sim import Simulation
from orbitcloud.sim.split import SplitRunner

VOLATILE = ("wall", "per_s_wall", "satellite_steps_per_s")


def _clean(obj):
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items() if not any(w in k for w in VOLATILE)}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and math.isnan(obj):
        return "nan"
    return obj


@pytest.fixture
def forced_split(monkeypatch):
    monkeypatch.setattr(driver, "SPLIT_MIN_SATELLITES", 0)


def _run(scenario: str, out: Path | None, workers: int, executor: str = "local", **kw):
    sim = Simulation(scenario, workers=workers, executor=executor, out=out, **kw)
    split = isinstance(sim._runner.runners[0], SplitRunner)
    sim.advance()
    res = sim.finish()
    return _clean(res.summary), split


def _tables(out: Path) -> dict:
    return {p.name: pq.read_table(p) for p in sorted(out.glob("*.parquet"))}


def _same_column(a, b) -> bool:
    """Cell by cell, NaN equal to NaN (bit-identical floats, same nulls)."""
    import pyarrow as pa

    if pa.types.is_floating(a.type) and a.type == b.type:
        x, y = a.to_numpy(zero_copy_only=False), b.to_numpy(zero_copy_only=False)
        return bool(np.array_equal(x, y, equal_nan=True))
    return a.equals(b)


def _same_dirs(a: Path, b: Path) -> None:
    ta, tb = _tables(a), _tables(b)
    assert ta.keys() == tb.keys() and ta
    for name in ta:
        assert ta[name].column_names == tb[name].column_names, name
        for col in ta[name].column_names:
            if "wall" in col:
                continue
            assert _same_column(ta[name].column(col), tb[name].column(col)), f"{name}:{col}"


@pytest.mark.parametrize("scenario,duration", [("three-body-12", "6h"), ("suncatcher-81", "2h")])
def test_split_run_identical_to_one_process(tmp_path, forced_split, scenario, duration):
    kw = dict(duration=duration, propagator="fast", record="10min")
    one, split1 = _run(scenario, tmp_path / "one", 1, **kw)
    two, split2 = _run(scenario, tmp_path / "two", 2, **kw)
    three, split3 = _run(scenario, tmp_path / "three", 3, **kw)
    assert (split1, split2, split3) == (False, True, True)
    assert one == two == three
    assert one["workloads"]  # the run did work
    _same_dirs(tmp_path / "one", tmp_path / "two")
    _same_dirs(tmp_path / "one", tmp_path / "three")


def test_split_live_twin_actions_and_ttc(forced_split):
    """Step by step with operator actions and the TT&C layer: same snapshots and summary."""

    def twin(workers):
        sim = Simulation("three-body-12", duration="3h", workers=workers, propagator="fast", ttc=True)
        snaps = []
        sim.advance("1h")
        sim.act(oc.PowerCap(0.5, satellites=[0, 1, 2, 3]))
        sim.act(oc.Reboot(satellites=8))
        sim.advance("1h")
        snaps.append(sim.state())
        sim.act(oc.SafeMode(True, satellites=[5, 6]))
        sim.advance()
        snaps.append(sim.state())
        return snaps, _clean(sim.finish().summary), isinstance(sim._runner.runners[0], SplitRunner)

    s1, sum1, split1 = twin(1)
    s2, sum2, split2 = twin(2)
    assert (split1, split2) == (False, True)
    assert sum1 == sum2
    assert sum1.get("ttc")
    for a, b in zip(s1, s2):
        assert a.column_names == b.column_names
        for col in a.column_names:
            assert _same_column(a.column(col), b.column(col)), col


def test_split_with_ray_identical(tmp_path, forced_split):
    pytest.importorskip("ray")
    kw = dict(duration="2h", propagator="fast")
    one, _ = _run("three-body-12", tmp_path / "one", 1, **kw)
    ray_two, split = _run("three-body-12", tmp_path / "ray", 2, executor="ray", **kw)
    assert split
    assert one == ray_two
    _same_dirs(tmp_path / "one", tmp_path / "ray")


def test_split_threshold_and_bad_executor():
    from orbitcloud.errors import OrbitcloudError

    sim = Simulation("three-body-12", duration="10min", workers=2, propagator="fast")
    assert not isinstance(sim._runner.runners[0], SplitRunner)  # below SPLIT_MIN_SATELLITES: one process
    sim.close()
    with pytest.raises(OrbitcloudError, match="--executor: expected local or ray, got 'dask'"):
        Simulation("three-body-12", duration="10min", executor="dask")
    with pytest.raises(OrbitcloudError, match="--address: only with --executor ray"):
        Simulation("three-body-12", duration="10min", address="127.0.0.1:6379")


def test_summary_json_is_identical(tmp_path, forced_split):
    kw = dict(duration="1h", propagator="fast")
    _run("three-body-12", tmp_path / "one", 1, **kw)
    _run("three-body-12", tmp_path / "two", 2, **kw)
    a = _clean(json.loads((tmp_path / "one" / "summary.json").read_text()))
    b = _clean(json.loads((tmp_path / "two" / "summary.json").read_text()))
    assert a == b


def test_physics_only_run_on_ray_identical(tmp_path):
    """Without workloads the satellite blocks go to Ray tasks: same results as one process."""
    pytest.importorskip("ray")
    kw = dict(duration="3h", propagator="fast", workloads=False)
    one, _ = _run("star-compute-2800", tmp_path / "one", 1, **kw)
    sim = Simulation("star-compute-2800", workers=2, executor="ray", out=tmp_path / "ray", **kw)
    assert len(sim._runner.runners) > 1 and sim._runner.executor == "ray"
    sim.advance()
    assert _clean(sim.finish().summary) == one
    _same_dirs(tmp_path / "one", tmp_path / "ray")


def test_workload_fleet_above_limit_refused(monkeypatch):
    import orbitcloud.ops.controller as controller
    from orbitcloud.errors import OrbitcloudError

    monkeypatch.setattr(controller, "MAX_WORKLOAD_SATELLITES", 10)
    with pytest.raises(OrbitcloudError, match=r"the fleet has 12 satellites; workload runs support at most 10 "):
        Simulation("three-body-12", duration="10min")
