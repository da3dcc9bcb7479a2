"""The TT&C layer in runs: commands through contacts and relays, telemetry store and forward, alarms,
onboard rules, and the figures of the summary (docs/ttc.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

import orbitcloud as oc
from orbitcloud.errors import OrbitcloudError
from orbitcloud.scenario.load import builtin_text


def _scenario(ttc: dict, duration: str = "6h", **top) -> str:
    doc = yaml.safe_load(builtin_text("three-body-12"))
    doc["duration"] = duration
    doc["ttc"] = ttc
    doc.update(top)
    return yaml.safe_dump(doc, sort_keys=False)


QUIET = {"autonomy": {"safe_mode_soc": None, "overtemp_cap": None, "reboot_after_errors": None}}


@pytest.fixture(scope="module")
def run6h():
    """three-body-12 for 6 h with TT&C and a few commands, one of them time-tagged."""
    cmds = [
        {"at": "10min", "satellite": "three-body-0003", "command": "power_cap", "params": {"fraction": 0.5}, "time_tag": "3h"},
        {"at": "20min", "satellite": 5, "command": "ping"},
        {"at": "30min", "satellite": "three-body-0007", "command": "safe_mode", "params": {"on": True}},
    ]
    sim = oc.Simulation(_scenario({**QUIET, "commands": cmds}))
    sim.advance()
    return sim, sim.finish()


def test_summary_has_the_issue_figures(run6h):
    _, res = run6h
    t = res.summary["ttc"]
    assert t["passes"] > 0 and t["relays"] is True
    sh = t["shells"][0]
    for key in ("commandable_direct_fraction", "commandable_with_relays_fraction", "command_latency_direct_p50_s",
                "command_latency_direct_p99_s", "command_latency_relay_p50_s", "command_latency_relay_p99_s",
                "telemetry_age_p50_s", "telemetry_age_p99_s", "telemetry_age_max_s"):
        assert sh[key] is not None, key
    # the laser relays over the in-plane ring reach satellites out of contact: latency falls
    assert sh["command_latency_relay_p99_s"] < sh["command_latency_direct_p99_s"]
    assert sh["commandable_with_relays_fraction"] > sh["commandable_direct_fraction"]
    assert all(0.0 <= s["antenna_utilisation"] <= 1.0 for s in t["stations"])
    assert sum(s["served"] + s["unserved"] for s in t["stations"]) == t["passes"]


def test_commands_run_at_their_time_tag_through_the_twin(run6h):
    sim, res = run6h
    hist = {r["command"]: r for r in sim._ttc.book.history()}
    cap = hist["power_cap"]
    assert cap["status"] == "completed"
    assert cap["issued_s"] <= cap["uplink_start_s"] <= cap["arrival_s"] == cap["accepted_s"] < cap["started_s"]
    step = sim.spec.step_s
    assert cap["started_s"] == 3 * 3600.0  # runs at its time tag
    assert cap["completed_ground_s"] >= cap["completed_s"]
    acts = [a for a in sim.actions if a["action"] == "power_cap"]
    # the twin applies it from the step boundary at or after its time tag
    assert len(acts) == 1 and acts[0]["t_s"] == math.ceil(cap["started_s"] / step - 1e-9) * step
    assert acts[0]["detail"]["satellites"] == [3]
    ping = hist["ping"]
    assert ping["status"] == "completed" and ping["started_s"] >= ping["arrival_s"]
    safe = hist["safe_mode"]
    assert safe["status"] == "completed"
    st = sim.state().to_pydict()
    assert st["safe_mode"][7] is True and st["compute_limit"][3] == 0.5


def test_direct_latency_matches_the_contact_plan(run6h):
    """A probe's direct latency is the wait for the satellite's next served pass (plus serialisation,
    light time and the step boundary): recomputed here from contacts.csv-level data."""
    sim, _ = run6h
    L = sim._ttc
    c, sch = L.contacts, L.schedule
    step = sim.spec.step_s
    j, sat = 3, 4
    p = L.probe_t[j]
    m = (c.sat == sat) & sch.served & (c.end_s > p)
    want = math.inf
    if m.any():
        start = max(p, float(np.min(c.start_s[m])))
        bits = 8.0 * L.PK.command_packet_bytes("ping", False)
        arrival = start + bits / float(L.net.uplink_bps[c.station[m][np.argmin(c.start_s[m])]]) + L.access.ground_light_s[sat]
        want = arrival - p if arrival <= sim.spec.n_steps * step else math.inf
    got = L.lat_direct[j, sat]
    assert (math.isinf(want) and math.isinf(got)) or abs(got - want) < 1e-6


def test_telemetry_is_conserved_and_ages(run6h):
    sim, res = run6h
    L = sim._ttc
    st = L.store
    taken = st.head  # samples taken per satellite
    assert np.array_equal(st.delivered + st.lost + st.stored(), taken)
    arch = L.archive()
    assert arch["sat"].size == st.delivered.sum()
    assert np.all(arch["t_ground_s"] >= arch["t_sample_s"])
    # archived per satellite in sample order, no sample twice
    for s in range(L.n):
        ts = arch["t_sample_s"][arch["sat"] == s]
        assert np.all(np.diff(ts) > 0)
    t = res.summary["ttc"]
    assert t["telemetry_packets_delivered"] == int(st.delivered.sum())
    # age is never negative and at most the run time
    ages = L.ages[np.isfinite(L.ages)]
    assert ages.min() >= 0.0 and ages.max() <= sim.spec.n_steps * sim.spec.step_s


def test_tt_and_c_without_commands_or_rules_leaves_the_physics_alone():
    a = oc.run(_scenario(QUIET, duration="3h")).summary
    b = oc.run(_scenario(QUIET, duration="3h"), ttc=False).summary
    for key in ("sunlit_fraction", "eclipses"):
        assert a[key] == b[key]
    ba, bb = a["shells"][0]["bus"], b["shells"][0]["bus"]
    assert ba["soc_min"] == bb["soc_min"] and ba["compute_delivered_fraction"] == bb["compute_delivered_fraction"]


def test_alarms_on_live_telemetry_and_onboard_safe_mode():
    """A limit set the battery crosses at every eclipse raises alarms; the onboard rule puts satellites
    in safe mode without the ground, and the action is logged and recorded."""
    ttc = {"limits": {"soc": {"red_low": 0.999, "yellow_low": 0.9995}},
           "autonomy": {"safe_mode_soc": "red", "recover_soc": None, "overtemp_cap": None, "reboot_after_errors": None}}
    sim = oc.Simulation(_scenario(ttc, duration="4h"))
    sim.advance()
    res = sim.finish()
    t = res.summary["ttc"]
    assert t["alarms_raised"] > 0 and t["autonomy_actions"] > 0
    ev = [e for e in sim._ttc.events if e["kind"] == "autonomy"]
    assert all(e["parameter"] == "safe_mode" for e in ev)
    safe = [a for a in sim.actions if a["action"] == "safe_mode"]
    assert safe and all(a["detail"]["on"] for a in safe)
    raised = [e for e in sim._ttc.events if e["kind"] == "alarm_raised"]
    assert all(e["ground_s"] is None or e["ground_s"] >= e["t_s"] for e in raised)


def test_malformed_packets_are_rejected_onboard_with_a_report():
    sim = oc.Simulation(_scenario(QUIET, duration="3h"))
    L = sim._ttc
    bad = L.issue_packet(2, b"\x18\x64\xc0\x00\x00\x05junk!", t_s=0.0)
    assert bad["status"] in ("rejected", "queued")
    good = L.PK.encode_command("reboot", {}, seq_count=9)
    flipped = bytearray(good)
    flipped[-3] ^= 0x40
    r2 = L.issue_packet(2, bytes(flipped), t_s=0.0)
    sim.advance()
    res = sim.finish()
    rejected = [r for r in (bad, r2) if r["status"] == "rejected"]
    assert rejected and all(r["failure_code"] in (1, 2, 3, 4, 5, 6) and r["reason"] for r in rejected)
    assert res.summary["ttc"]["packets_rejected"] == len(rejected)


def test_bad_commands_are_refused_with_the_reason():
    sim = oc.Simulation(_scenario(QUIET, duration="1h"))
    L = sim._ttc
    with pytest.raises(OrbitcloudError, match="no satellite named 'three-body-9999'"):
        L.issue("three-body-9999", "ping", t_s=0.0)
    with pytest.raises(OrbitcloudError, match="in the past"):
        L.issue(1, "ping", time_tag_s=10.0, t_s=600.0)
    with pytest.raises(OrbitcloudError, match="fraction"):
        L.issue(1, "power_cap", {"fraction": 1.5}, t_s=0.0)
    with pytest.raises(OrbitcloudError, match="unknown command|power_cap"):
        L.issue(1, "power_capp", {"fraction": 0.5}, t_s=0.0)
    assert L.book.rows == []  # nothing queued by a refused command


@pytest.mark.parametrize("ttc, match", [
    ({"commands": [{"at": "1min", "satellite": "nope", "command": "ping"}]}, "ttc.commands"),
    ({"limits": {"socc": {"red_low": 0.1}}}, "did you mean 'soc'"),
    ({"limits": {"soc": {"red_low": 0.5, "yellow_low": 0.3}}}, "must not exceed"),
    ({"store_bytes": 10}, "store_bytes"),
    ({"priority": {"no-such-shell": 1}}, "ttc.priority"),
])
def test_bad_ttc_sections_fail_clearly(ttc, match):
    with pytest.raises(OrbitcloudError, match=match):
        oc.Simulation(_scenario(ttc, duration="1h"))


def test_results_files(tmp_path, run6h):
    sim = oc.Simulation(_scenario(QUIET, duration="2h"), out=tmp_path)
    sim.advance()
    sim.finish()
    names = {p.name for p in tmp_path.iterdir()}
    for f in ("contacts.csv", "contact_plan.ion", "ttc_commands.parquet", "ttc_telemetry.parquet", "ttc_events.parquet",
              "ttc_freshness.parquet"):
        assert f in names, f
    import pyarrow.csv as pcsv

    c = pcsv.read_csv(tmp_path / "contacts.csv")
    for col in ("satellite", "station", "rise_utc", "set_utc", "max_elevation_deg", "antenna"):
        assert col in c.column_names
    ion = (tmp_path / "contact_plan.ion").read_text()
    assert "a contact +" in ion and "a range +" in ion


def test_deterministic():
    a = oc.Simulation(_scenario(QUIET, duration="2h"))
    a.advance()
    b = oc.Simulation(_scenario(QUIET, duration="2h"))
    b.advance("37min")
    b.advance()
    ta, tb = a._ttc.tables(), b._ttc.tables()
    for name in ("ttc_contacts", "ttc_telemetry", "ttc_freshness"):
        for k in ta[name]:
            va, vb = ta[name][k], tb[name][k]
            assert np.array_equal(va, vb) or (va.dtype.kind == "f" and np.array_equal(va, vb, equal_nan=True)), (name, k)


def test_live_twin_command_api():
    sim = oc.Simulation(_scenario(QUIET, duration="3h"))
    sim.advance("30min")
    row = sim.command("three-body-0002", "power_cap", {"fraction": 0.25}, time_tag="1h")
    assert row["time_tag_s"] == 5400.0 and row["issued_s"] == 1800.0
    with pytest.raises(OrbitcloudError, match="in the past"):
        sim.command(2, "ping", time_tag="2026-03-20T00:10:00Z")
    sim.advance()
    done = [r for r in sim.ttc.book.history() if r["id"] == row["id"]][0]
    assert done["status"] == "completed" and done["started_s"] == 5400.0
    assert sim.state().to_pydict()["compute_limit"][2] == 0.25
    with pytest.raises(OrbitcloudError, match="no TT&C"):
        oc.Simulation("three-body-12", duration="1h").command(1, "ping")


def test_the_workload_controller_sees_the_telemetry_archive(run6h):
    """One source of truth: with TT&C the operator's view of each satellite is its newest housekeeping
    sample on the ground, not the truth of a fixed delay ago."""
    sim, _ = run6h
    ctl, L = sim._ctl, sim._ttc
    assert ctl is not None and ctl.external_telemetry
    got = np.isfinite(L.store.last_vals[:, 0])
    assert got.any()
    soc = L.store.last_vals[got, L.params.index("soc")]
    assert np.allclose(ctl.known["soc"][got], soc, rtol=0, atol=1e-6)
    temp = L.store.last_vals[got, L.params.index("temperature_c")]
    assert np.allclose(ctl.known["margin"][got], ctl.t_max_k[got] - (temp + 273.15), atol=1e-3)


def test_reboot_rule_counts_device_errors_in_its_window():
    ttc = {"autonomy": {"safe_mode_soc": None, "overtemp_cap": None, "reboot_after_errors": 2, "error_window_s": 600}}
    sim = oc.Simulation(_scenario(ttc, duration="1h"))
    L = sim._ttc
    calls = []

    def execute(cmd, sats, params):
        calls.append((cmd, sats.tolist()))
        return True, None

    n = L.n
    truth = {p: np.zeros(n) for p in L.params}
    truth["soc"] = np.ones(n)
    truth["temperature_c"] = np.zeros(n)
    errs = np.zeros(n)
    for i, t in enumerate([0.0, 60.0, 120.0, 900.0, 960.0]):
        if i in (0, 1):
            errs[4] += 1  # two errors within 600 s on satellite 4 -> reboot
        if i in (3,):
            errs[6] += 1  # one error on satellite 6, then none: no reboot
        truth["device_errors"] = errs.copy()
        L._autonomy(t, truth, execute)
    assert calls == [("reboot", [4])]
    assert [e["satellite"] for e in L.events if e["kind"] == "autonomy"] == [4]
