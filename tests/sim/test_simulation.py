"""The live twin: advancing in any increments gives the bits of one go, for runs with bus, radiation,
network and workloads; the same actions at the same times give the same results; advance's forms."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

import orbitcloud as oc
from orbitcloud.cli import main

#: Summary keys that measure the machine, not the simulation.
WALL_KEYS = {"wall_time_s", "satellite_steps_per_s"}


def _strip(obj):
    """The summary without wall-clock figures (at any depth)."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in WALL_KEYS}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _cli_json(capsys, *argv) -> dict:
    code = main(["run", *argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _tables_equal(a, b) -> None:
    """Every table of two results equal, column by column (NaN equal to NaN)."""
    import pyarrow as pa

    assert a.tables == b.tables
    for name in a.tables:
        ta, tb = a.table(name), b.table(name)
        assert ta.schema == tb.schema and ta.num_rows == tb.num_rows, name
        for col in ta.column_names:
            x, y = ta.column(col), tb.column(col)
            if pa.types.is_floating(x.type):
                assert np.array_equal(x.to_numpy(), y.to_numpy(), equal_nan=True), (name, col)
            else:
                assert x.equals(y), (name, col)


def _stepped(scenario, increments, **options):
    sim = oc.Simulation(scenario, **options)
    for inc in increments:
        sim.advance(steps=inc)
    sim.advance()
    assert sim.done
    return sim.finish()


# Runs that cover the layers: three-body-12 (bus, radiation, network, EO with ISL relay), starcloud-1
# (training on an H100 through its ground contacts), a 53-degree inference shell (tests/ops).
CASES = [
    ("three-body-12", {"duration": "3h", "record": "10min"}),
    ("starcloud-1", {"duration": "2h"}),
]


@pytest.mark.parametrize("scenario, options", CASES)
def test_increments_give_the_bits_of_one_go(capsys, tmp_path, scenario, options):
    argv = [scenario, "--duration", options["duration"]]
    one_go = _cli_json(capsys, *argv)
    a = _stepped(scenario, [1, 7], eclipses=True, **options)
    b = _stepped(scenario, [], eclipses=True, **options)
    c = _stepped(scenario, [3] * 11 + [50], eclipses=True, **options)
    assert _strip(a.summary) == _strip(b.summary) == _strip(c.summary)
    # the CLI (no results directory, so no eclipse list) agrees on every figure
    assert _strip(one_go) == _strip(b.summary)
    _tables_equal(a, b)
    _tables_equal(c, b)


def test_increments_with_inference_and_policy(tmp_path):
    from workload_scenarios import _scenario

    path = _scenario(tmp_path, duration="20min", rate=5)
    a = _stepped(path, [1, 7, 2], policy="power-aware")
    b = _stepped(path, [], policy="power-aware")
    assert _strip(a.summary) == _strip(b.summary)
    assert a.summary["workloads"]["inference"]["served"] > 0
    _tables_equal(a, b)


def test_worker_processes_and_increments(monkeypatch):
    """A fleet cut into blocks and advanced in worker processes, in increments, gives the bits of one
    process in one go."""
    from orbitcloud.sim import driver

    monkeypatch.setattr(driver, "INLINE_SAT_STEPS", 1000)
    opts = dict(duration="40min", step="60s", workloads=False, eclipses=True)
    pooled = _stepped("starlink-shell1", [5, 13], workers=2, **opts)
    single = _stepped("starlink-shell1", [], workers=1, **opts)
    assert _strip(pooled.summary) == _strip(single.summary)
    _tables_equal(pooled, single)


def _with_actions(scenario, plan, **options):
    sim = oc.Simulation(scenario, **options)
    ids = []
    for at, action in plan:
        sim.advance(at)
        ids.append(sim.act(action))
    sim.advance()
    return sim.finish(), ids


PLAN = [
    ("30min", oc.PowerCap(0.4, shell="three-body")),
    ("20min", oc.SafeMode(True, satellites=[2, "three-body-0005"])),
    ("10min", oc.Reboot(satellites=7)),
    ("15min", oc.AddEOTarget(lat_deg=30.0, lon_deg=110.0, window="2h", name="target-a")),
    ("5min", oc.SafeMode(False, satellites=[2])),
    ("1min", oc.PowerCap(1.0)),
]


def test_same_actions_at_the_same_times_give_the_same_results():
    a, ids_a = _with_actions("three-body-12", PLAN, duration="3h", record="10min")
    b, ids_b = _with_actions("three-body-12", PLAN, duration="3h", record="10min")
    assert ids_a == ids_b == [None, None, None, "eo-1", None, None]
    assert _strip(a.summary) == _strip(b.summary)
    _tables_equal(a, b)
    acts = a.table("actions").to_pylist()
    assert [r["action"] for r in acts] == ["power_cap", "safe_mode", "reboot", "add_eo_target", "safe_mode", "power_cap"]
    assert [r["step"] for r in acts] == [30, 50, 60, 75, 80, 81]
    assert acts[0]["time"] == dt.datetime(2026, 3, 20, 0, 30, tzinfo=dt.timezone.utc)
    assert a.summary["actions"] == 6
    # and they changed the run: the same scenario without them delivers more compute
    plain = oc.run("three-body-12", duration="3h", record="10min")
    assert a.summary["shells"][0]["bus"]["energy_compute_j"] < plain.summary["shells"][0]["bus"]["energy_compute_j"]
    assert a.summary["shells"][0]["bus"]["operator_fraction"] > 0.0 == plain.summary["shells"][0]["bus"]["operator_fraction"]


def test_advance_forms_and_limits():
    sim = oc.Simulation("three-body-12", duration="2h", workloads=False)
    start = sim.start
    assert sim.now == start and sim.step_s == 60.0 and sim.end == start + dt.timedelta(hours=2)
    assert sim.advance("90s") == start + dt.timedelta(minutes=2)  # whole steps, at or after
    assert sim.advance(steps=3) == start + dt.timedelta(minutes=5)
    assert sim.advance(600) == start + dt.timedelta(minutes=15)
    assert sim.advance(start + dt.timedelta(minutes=20)) == start + dt.timedelta(minutes=20)
    assert sim.advance("2026-03-20T00:30:00Z") == start + dt.timedelta(minutes=30)
    assert sim.advance(dt.datetime(2026, 3, 20, 0, 45)) == start + dt.timedelta(minutes=45)  # naive: UTC
    with pytest.raises(oc.OrbitcloudError, match="before the simulated time"):
        sim.advance("2026-03-20T00:10:00Z")
    with pytest.raises(oc.OrbitcloudError, match="after the end of the run"):
        sim.advance("2026-03-21T00:00:00Z")
    with pytest.raises(oc.OrbitcloudError, match="steps must be a whole number"):
        sim.advance(steps=-1)
    with pytest.raises(oc.OrbitcloudError, match="not both"):
        sim.advance("1min", steps=1)
    with pytest.raises(oc.OrbitcloudError, match="advance: 'soon' is not a duration"):
        sim.advance("soon")
    assert sim.advance("10h") == sim.end  # a duration past the end stops there
    assert sim.done
    r = sim.finish()
    assert sim.finish() is r
    with pytest.raises(oc.OrbitcloudError, match="finished"):
        sim.advance(steps=1)


def test_finish_early_covers_the_steps_run():
    sim = oc.Simulation("three-body-12", duration="2h", workloads=False)
    sim.advance("30min")
    s = sim.finish().summary
    assert s["steps"] == 30 and s["duration_s"] == 1800.0 and s["finished_early_at_step"] == 30
    full = oc.run("three-body-12", duration="30min", workloads=False).summary
    for key in ("sunlit_fraction", "eclipses", "dark_fraction"):
        assert s[key] == full[key]
    assert s["shells"][0]["bus"] == full["shells"][0]["bus"]


def test_unknown_option_and_bad_values_are_one_line():
    with pytest.raises(oc.OrbitcloudError, match="unknown option 'durations'; options: start, duration"):
        oc.Simulation("three-body-12", durations="1h")
    with pytest.raises(oc.OrbitcloudError, match="--step: a step of 7200 s is longer than the duration of 3600 s"):
        oc.Simulation("three-body-12", duration="1h", step="2h")
    with pytest.raises(oc.OrbitcloudError, match="--propagator"):
        oc.run("three-body-12", propagator="kepler")


def test_scenario_as_mapping_and_text():
    from orbitcloud.scenario import builtin_text

    text = builtin_text("starcloud-1")
    import yaml

    a = oc.run(text, duration="1h", workloads=False)
    b = oc.run(yaml.safe_load(text), duration="1h", workloads=False)
    c = oc.run("starcloud-1", duration="1h", workloads=False)
    assert _strip(a.summary) | {"source": None} == _strip(b.summary) | {"source": None} == _strip(c.summary) | {"source": None}
    assert (a.summary["source"], b.summary["source"]) == ("<text>", "<mapping>")
    assert np.isfinite(c.summary["sunlit_fraction"])


@pytest.mark.parametrize("propagator", ["sgp4", "fast"])
def test_network_summary_from_the_runs_positions_equals_its_own(monkeypatch, propagator):
    """With one block in this process the network summary takes the block's positions instead of
    propagating the fleet again; the figures are the bits of its own propagation."""
    from orbitcloud.network.summary import NetworkSummary

    opts = dict(duration="4h", propagator=propagator)
    fed = oc.run("three-body-12", **opts).summary
    taken = []
    monkeypatch.setattr(NetworkSummary, "take", lambda self, *a: taken.append(a[0]))
    own = oc.run("three-body-12", **opts).summary
    assert taken and taken[0] == 0, "the block hands its positions over from the first chunk"
    assert fed["network"] is not None and fed["network"]["contacts"] > 0
    assert _strip(fed) == _strip(own)
