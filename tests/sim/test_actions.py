"""Operator actions on the live twin: each changes the physics of the following steps by what it says
(computed here from the design's numbers), invalid ones change nothing, and state() shows them."""

from __future__ import annotations

import math

import numpy as np
import pyarrow.compute as pc
import pytest

import orbitcloud as oc

#: three-body design (catalog/satellites.yaml): a 500 W computer at utilisation 0.8, a 250 W bus (half
#: of it in safe mode: the SAFE_MODE_BUS_SHARE assumption), the device's reboot time its SEFI
#: recovery (catalog/faults.yaml, three-body-744: 300 s).
COMPUTE_W, BUS_W, SAFE_BUS_W, REBOOT_S = 500.0 * 0.8, 250.0, 125.0, 300.0
N_SAT, HOUR_S = 12, 3600.0
J_REL = 1e-9  # energies summed in another order: a few ulps


def _sim(**kw):
    return oc.Simulation("three-body-12", duration="2h", workloads=False, **kw)


def _compute_j(result, sat=None):
    table = result.satellites()
    col = table.column("energy_compute_j").to_numpy()
    return float(col.sum()) if sat is None else float(col[sat])


@pytest.fixture(scope="module")
def plain():
    return oc.run("three-body-12", duration="2h", workloads=False, record="60s")


def test_plain_run_delivers_its_target(plain):
    """The reference for the others: nothing limits the design, every step delivers 400 W."""
    assert _compute_j(plain) == pytest.approx(N_SAT * COMPUTE_W * 2 * HOUR_S, rel=J_REL)
    assert plain.summary["shells"][0]["bus"]["operator_fraction"] == 0.0


def test_power_cap_halves_compute_from_its_time(plain):
    sim = _sim()
    sim.advance("1h")
    assert sim.act(oc.PowerCap(0.5)) is None
    sim.advance()
    r = sim.finish()
    assert _compute_j(r) == pytest.approx(N_SAT * COMPUTE_W * HOUR_S * (1 + 0.5), rel=J_REL)
    bus = r.summary["shells"][0]["bus"]
    assert bus["operator_fraction"] == pytest.approx(0.25, abs=1e-6)  # half the target for half the run
    assert bus["throttled_fraction"] == 0.0 and bus["idle_fraction"] == 0.0
    assert r.summary["limits"]["operator"] == pytest.approx(0.25 * 0.8, abs=1e-6)


def test_safe_mode_stops_compute_and_sheds_bus_load():
    sim = _sim(record="60s")
    sim.advance("1h")
    sim.act(oc.SafeMode(True, satellites=[0, "three-body-0003"]))
    st = sim.state()
    assert st.column("safe_mode").to_pylist()[:4] == [True, False, False, True]
    assert st.column("compute_limit").to_pylist()[:4] == [0.0, 1.0, 1.0, 0.0]
    assert st.column("work").to_pylist()[0] == "safe mode"
    sim.advance("30min")
    sim.act(oc.SafeMode(False, satellites=0))
    sim.advance()
    r = sim.finish()
    assert _compute_j(r, 0) == pytest.approx(COMPUTE_W * 1.5 * HOUR_S, rel=J_REL)  # off for 30 min
    assert _compute_j(r, 3) == pytest.approx(COMPUTE_W * HOUR_S, rel=J_REL)  # off for the second hour
    assert _compute_j(r, 1) == pytest.approx(COMPUTE_W * 2 * HOUR_S, rel=J_REL)
    ts = r.timeseries()
    sat3 = ts.filter(pc.equal(ts["satellite"], 3))
    load = sat3.column("p_load_w").to_numpy()
    heater = sat3.column("p_heater_w").to_numpy()
    np.testing.assert_allclose(load[60:] - heater[60:], SAFE_BUS_W, rtol=1e-12)
    np.testing.assert_allclose(load[:60] - heater[:60], BUS_W + COMPUTE_W, rtol=1e-12)


def test_reboot_takes_the_devices_down_for_their_reboot_time():
    sim = _sim()
    sim.advance("1h")
    sim.act(oc.Reboot(satellites=5))
    st = sim.state()
    assert st.column("devices_up").to_pylist()[5] == 0 and st.column("devices_up").to_pylist()[4] == 1
    assert st.column("work").to_pylist()[5] == "rebooting"
    sim.advance()
    r = sim.finish()
    assert _compute_j(r, 5) == pytest.approx(COMPUTE_W * (2 * HOUR_S - REBOOT_S), rel=J_REL)
    assert _compute_j(r, 4) == pytest.approx(COMPUTE_W * 2 * HOUR_S, rel=J_REL)


def test_invalid_actions_raise_and_change_nothing(plain):
    from orbitcloud.scenario.hardware import Hardware  # noqa: F401 (the package imports; nothing else)

    for make, match in [
        (lambda: oc.PowerCap(1.5), r"PowerCap.fraction: 1.5 is not valid; expected a fraction"),
        (lambda: oc.PowerCap(0.5, satellites=[], shell=None), r"PowerCap.satellites: \[\] is not valid"),
        (lambda: oc.PowerCap(0.5, satellites=1, shell="x"), "give satellites or shell, not both"),
        (lambda: oc.SafeMode("yes"), r"SafeMode.on: 'yes' is not valid; expected True or False"),
        (lambda: oc.AddInference(rate_per_s=0, city="Tokyo"), "AddInference.rate_per_s: 0"),
        (lambda: oc.AddInference(rate_per_s=1, city="Tokyo", lat_deg=1, lon_deg=2), "give city, or lat_deg and lon_deg"),
        (lambda: oc.AddInference(rate_per_s=1, city="Tokyo", in_tokens=0), "AddInference.in_tokens: 0"),
        (lambda: oc.AddEOTarget(lat_deg=91, lon_deg=0), "AddEOTarget.lat_deg: 91"),
        (lambda: oc.AddTraining(job={"model": "gpt2-124m"}), r"AddTraining.job.tokens: Field required"),
        (lambda: oc.SetPolicy("fastest"), "fastest"),
        (lambda: oc.CancelWork(""), "CancelWork.work"),
    ]:
        with pytest.raises(oc.OrbitcloudError, match=match):
            make()
    sim = _sim(record="60s")
    sim.advance("30min")
    for action, match in [
        (oc.PowerCap(0.5, shell="nope"), "PowerCap.shell: unknown shell 'nope'; shells: three-body"),
        (oc.PowerCap(0.5, satellites=[1, 12]), r"PowerCap.satellites: index 12 is outside 0..11"),
        (oc.SafeMode(True, satellites="sat-7"), "SafeMode.satellites: no satellite named 'sat-7'"),
        (oc.SetPolicy("power-aware"), "SetPolicy: needs the workload layer; the run has no workloads"),
        (oc.CancelWork("training-1"), "CancelWork: needs the workload layer"),
    ]:
        with pytest.raises(oc.OrbitcloudError, match=match):
            sim.act(action)
    with pytest.raises(oc.OrbitcloudError, match="act: expected an action"):
        sim.act("power cap 0.5")
    assert sim.actions == []
    sim.advance()
    r = sim.finish()
    assert "actions" not in r.tables and r.summary["actions"] == 0
    assert r.summary["shells"] == plain.summary["shells"]


def test_state_at_the_start_and_after_steps(plain):
    sim = _sim(record="60s", eclipses=True)
    st = sim.state()
    assert st.num_rows == N_SAT
    # at t = 0: the battery full (soc_initial = soc_max = 1), the node at its initial 20 C, nothing run yet
    assert st.column("soc").to_pylist() == [1.0] * N_SAT
    assert st.column("temperature_c").to_pylist() == pytest.approx([20.0] * N_SAT, abs=1e-9)
    assert st.column("compute_w").to_pylist() == [0.0] * N_SAT
    assert st.column("nameplate_ops_per_s").to_pylist() == [744e12] * N_SAT
    alt = st.column("alt_km").to_numpy()
    assert np.all((alt > 480) & (alt < 540))  # a 500 km mean altitude, SGP4 osculating
    sim.advance("47min")
    st = sim.state()
    sim.advance()
    r = sim.finish()
    # the last step's compute and the battery after it are what the time series recorded for step 46
    ts = r.timeseries()
    row46 = ts.filter(pc.equal(ts["time"], ts["time"][46]))
    assert row46.num_rows == N_SAT
    np.testing.assert_array_equal(st.column("compute_w").to_numpy(), row46.column("p_compute_w").to_numpy())
    # sunlit at 47 min exactly when no eclipse of eclipses.csv covers that time
    now = r.summary["start"]
    ecl = r.table("eclipses")
    t47 = np.datetime64(now.replace("Z", ""), "ms") + np.timedelta64(47 * 60, "s")
    for i, lit in enumerate(st.column("sunlit").to_pylist()):
        mine = ecl.filter(pc.equal(ecl["satellite"], i))
        starts = mine.column("penumbra_start").to_numpy(zero_copy_only=False).astype("datetime64[ms]")
        ends = mine.column("penumbra_end").to_numpy(zero_copy_only=False).astype("datetime64[ms]")
        inside = bool(np.any((starts <= t47) & (t47 <= ends)))
        illum = st.column("illumination").to_pylist()[i]
        assert (illum < 1.0) == inside, (i, illum, inside)
        assert lit == (illum >= 0.5)


def test_add_and_cancel_inference(tmp_path):
    from workload_scenarios import _scenario

    path = _scenario(tmp_path, duration="20min", rate=2)
    sim = oc.Simulation(path)
    sim.advance("5min")
    tokyo = sim.act(oc.AddInference(rate_per_s=3.0, city="Tokyo", in_tokens=256, out_tokens=64))
    mumbai = sim.act(oc.AddInference(rate_per_s=1.0, city="Mumbai", duration="10min"))
    place = sim.act(oc.AddInference(rate_per_s=0.5, lat_deg=-1.29, lon_deg=36.82, name="Nairobi"))
    assert (tokyo, mumbai, place) == ("inference-1", "inference-2", "inference-3")
    sim.advance("5min")
    sim.act(oc.CancelWork(place))
    with pytest.raises(oc.OrbitcloudError, match="was cancelled already"):
        sim.act(oc.CancelWork(place))
    with pytest.raises(oc.OrbitcloudError, match="no added work 'inference-9'"):
        sim.act(oc.CancelWork("inference-9"))
    sim.advance()
    r = sim.finish()
    added = {a["work"]: a for a in r.summary["workloads"]["added"]}
    req = r.table("requests")
    for wid, rate, span_s in ((tokyo, 3.0, 900.0), (mumbai, 1.0, 600.0), (place, 0.5, 300.0)):
        a = added[wid]
        n = a["requests"]
        expect = rate * span_s
        assert abs(n - expect) <= 5 * math.sqrt(expect), (wid, n, expect)  # Poisson, 5 sigma
        mine = req.filter(pc.equal(req["work"], wid))
        assert mine.num_rows == n
        t = mine.column("t_s").to_numpy()
        assert t.min() >= 300.0 and t.max() <= 300.0 + span_s
        assert a["served"] + a["pending"] + a["unreachable"] == n
    assert added[tokyo]["source"] == "user:Tokyo" and added[mumbai]["source"] == "user:Mumbai-(Bombay)"
    assert added[tokyo]["served"] > 0 and added[tokyo]["tokens_out"] == 64 * added[tokyo]["served"]
    assert added[place]["cancelled_s"] == 600.0 and added[place]["requests_withdrawn"] > 0
    # the scenario's own requests are still all there
    own = req.filter(pc.equal(req["work"], ""))
    assert own.num_rows == r.summary["workloads"]["inference"]["requests"] - sum(a["requests"] for a in added.values())


def test_add_training_on_free_satellites(tmp_path):
    from workload_scenarios import _scenario

    path = _scenario(tmp_path, duration="30min", rate=1)
    sim = oc.Simulation(path)
    sim.advance("10min")
    job = {"model": "gpt2-124m", "tokens": 2e9, "global_batch_tokens": 524288, "count": 4, "precision": "fp8", "mode": "diloco"}
    wid = sim.act(oc.AddTraining(job=job))
    assert wid == "training-1"
    st = sim.state()
    training = [w for w in st.column("work").to_pylist() if "training training-1" in w]
    assert len(training) == 4 and not any("inference" in w for w in training)
    with pytest.raises(oc.OrbitcloudError, match="AddTraining.job: 400 members"):
        sim.act(oc.AddTraining(job={**job, "count": 400}))
    sim.advance()
    r = sim.finish()
    (a,) = r.summary["workloads"]["added"]
    assert a["work"] == wid and a["members"] == 4 and a["tokens_trained"] > 0


def test_eo_target_taken_by_the_satellite_passing_over_it():
    """A target placed under a sunlit satellite's track 20 min ahead is taken by it within a step."""
    probe = oc.Simulation("three-body-12", duration="6h")
    probe.advance("80min")
    st = probe.state()
    lit = [i for i, s in enumerate(st.column("sunlit").to_pylist()) if s]
    i = lit[0]
    lat, lon = st.column("lat_deg")[i].as_py(), st.column("lon_deg")[i].as_py()
    sim = oc.Simulation("three-body-12", duration="6h")
    sim.advance("1h")
    wid = sim.act(oc.AddEOTarget(lat_deg=lat, lon_deg=lon, window="1h", name="under-track"))
    far = sim.act(oc.AddEOTarget(lat_deg=0.0, lon_deg=0.0, window="1min"))
    sim.advance()
    r = sim.finish()
    added = {a["work"]: a for a in r.summary["workloads"]["added"]}
    t = added[wid]
    assert t["satellite"] == i and t["status"] in ("captured", "delivered")
    assert abs(t["captured_s"] - 4800.0) <= 60.0
    if t["status"] == "delivered":
        assert t["delivered_s"] >= t["captured_s"] and t["turnaround_s"] == t["delivered_s"] - 3600.0
    assert added[far]["status"] in ("expired", "pending")
