"""Orbit life in runs (``sim/orbit_life.py``, ``bus/propulsion.py``): decay flown by SGP4 itself,
station-keeping that holds its band at the drag make-up rate, thrusters competing with compute,
energy conservation with the propulsion load, and bad input.

References: the decay rate is NRLMSIS's (``tests/environment/test_drag.py`` checks it against a
Cowell integration); here SGP4 must fly it (mean radius drop within 10 %), and the station-keeping
Δv must match the drag make-up of energy balance, ``|da/dt| / (2 sqrt(a^3 / mu))`` per second,
within 10 % (the band's latch quantises it).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

import orbitcloud as oc
from orbitcloud.errors import OrbitcloudError
from orbitcloud.scenario import builtin_text

YEAR_S = 365.25 * 86400.0
one_km = 1.0


def _doc(days: float = 3.0, **life):
    doc = yaml.safe_load(builtin_text("three-body-12"))
    for k in ("network", "ground", "radiation", "workloads", "ttc"):
        doc.pop(k, None)
    doc["duration"] = f"{days}d"
    doc["orbit_life"] = {"activity": "max", **life}
    return doc


def test_sgp4_flies_the_planned_decay():
    from sgp4.api import SatrecArray

    from orbitcloud.ephemeris.propagate import make_satrecs, sgp4_teme_km
    from orbitcloud.timescale import jd_split_offset

    sim = oc.Simulation(_doc(), propagator="sgp4")
    life = sim._life
    fleet = sim.fleet
    assert np.all(fleet.bstar > 0), "designed satellites that decay freely get a B*"
    t_s = np.arange(0.0, 3 * 86400.0, 30.0)
    jd, fr = jd_split_offset(sim.spec.jd0, sim.spec.fr0, t_s)
    err, r_km, _ = sgp4_teme_km(SatrecArray(make_satrecs(fleet.slice(0, len(fleet)))), jd, fr)
    assert not err.any()
    r = np.linalg.norm(r_km, axis=-1) * 1e3
    per = int(round(5677 / 30))  # one orbit at 500 km
    drop_m = r[:, :per].mean(axis=1) - r[:, -per:].mean(axis=1)
    expect_m = -life.adot_m_s * (t_s[-per // 2] - t_s[per // 2])
    assert expect_m.min() > 1_000.0
    assert drop_m == pytest.approx(expect_m, rel=0.10)
    sim.advance()
    res = sim.finish().summary["orbit_life"]["shells"][0]
    assert res["altitude_km_start"] - res["altitude_km_end"] == pytest.approx(expect_m.mean() / 1e3, rel=0.10)


def test_station_keeping_holds_the_band_at_the_make_up_rate():
    band_km = 0.2
    s = oc.run(_doc(days=3.0, station_keeping={"thruster": "bht-200", "band_km": band_km})).summary
    sh = s["orbit_life"]["shells"][0]
    assert sh["altitude_km_min"] >= sh["altitude_km_start"] - band_km - 0.05 * one_km
    assert sh["altitude_km_end"] >= sh["altitude_km_start"] - band_km - 0.05 * one_km
    # energy balance: the thrust makes up the drag decay; dv rate = |adot| / (2 sqrt(a^3/mu))
    from orbitcloud.bus.propulsion import MU_M3_S2

    a = 6378.135e3 + sh["altitude_km_start"] * 1e3
    adot = sh["decay_rate_m_per_day"] / 86400.0
    expect = adot / (2.0 * math.sqrt(a**3 / MU_M3_S2)) * YEAR_S
    assert sh["dv_m_s_per_year"] == pytest.approx(expect, rel=0.10)
    # propellant follows from the rocket equation's rate F / (Isp g0) for the firing time
    assert sh["propellant_kg_per_year"] == pytest.approx(sh["dv_m_s_per_year"] * 220.0 / (1390 * 9.80665), rel=0.05)
    assert 0.0 < sh["thruster_duty"] < 0.5
    # sunlit-only thrusting from the three-body array's surplus costs no compute: the shadow bus
    # without thrusters (stepped alongside) delivers the same
    assert sh["compute_lost_j"] == 0.0


def test_thrusting_in_eclipse_competes_with_compute_and_conserves_energy():
    # Starcloud-1's H100 at 325 km: at solar maximum the thrusters fire more than half the time
    def doc_of(sk):
        doc = yaml.safe_load(builtin_text("starcloud-1"))
        for k in ("network", "ground", "radiation", "workloads", "ttc"):
            doc.pop(k, None)
        doc["duration"] = "1d"
        if sk:
            doc["orbit_life"] = {"activity": "max", "station_keeping": sk}
        return doc

    s = oc.run(doc_of({"thruster": "bht-200", "band_km": 0.2, "sunlit_only": False})).summary
    base = oc.run(doc_of(None)).summary  # no orbit_life: the held (drag-free) orbit, no thrusters
    sh = s["orbit_life"]["shells"][0]
    assert sh["compute_lost_j"] > 0.0
    b, b0 = s["bus"], base["bus"]
    assert b["energy_compute_j"] < b0["energy_compute_j"]
    # the compute lost is what the shadow bus without thrusters delivers more: the run without
    # station-keeping (the same physics run on its own) to the joule
    lost_total = b0["energy_compute_j"] - b["energy_compute_j"]
    assert sh["compute_lost_j"] == pytest.approx(lost_total, rel=1e-9, abs=1e-3)
    # the loads include the thrusters: used = bus + heaters + compute + propulsion, with the bus
    # energy of the run without (less what the drained battery could not serve)
    bus0 = b0["energy_used_j"] - b0["energy_compute_j"] - b0["energy_heater_j"]
    bus1 = b["energy_used_j"] - b["energy_compute_j"] - b["energy_heater_j"] - sh["energy_station_keeping_j"]
    assert bus1 == pytest.approx(bus0 - (b["energy_bus_unmet_j"] - b0["energy_bus_unmet_j"]), rel=1e-9, abs=1.0)


def test_piecewise_advance_gives_the_same_bits():
    doc = _doc(days=0.5, station_keeping={"thruster": "bht-200", "band_km": 0.02})
    one = oc.run(doc).summary
    sim = oc.Simulation(doc)
    for d in ("37min", "3h", "1h"):
        sim.advance(d)
    sim.advance()
    two = sim.finish().summary
    for key in ("orbit_life", "bus"):
        assert one[key] == two[key]


def test_bad_inputs_are_located(tmp_path):
    doc = _doc(days=1.0, station_keeping={"thruster": "nope"})
    with pytest.raises(OrbitcloudError, match=r"orbit_life.station_keeping.thruster: unknown thruster 'nope'; known: bht-200"):
        oc.run(doc)
    csv = tmp_path / "ind.csv"
    csv.write_text("date,f107,f107a,ap\n2026-03-20,150,140,12\n2026-03-22,151,140,9\n")
    doc = _doc(days=1.0)
    doc["orbit_life"]["activity"] = str(csv)
    with pytest.raises(OrbitcloudError, match=r"ind.csv: line 3: gap in the daily indices"):
        oc.run(doc)
    doc["orbit_life"]["activity"] = "sunny"
    with pytest.raises(OrbitcloudError, match=r"activity 'sunny': expected min, mean, max or the path of a CSV"):
        oc.run(doc)
    doc = _doc(days=1.0, station_keeping={"thruster": "bht-200"})
    doc["constellation"][0]["hardware"] = {"design": "three-body", "solar_array": {"area_m2": -3.0}}
    with pytest.raises(OrbitcloudError, match=r"constellation\[0\].hardware.solar_array.area_m2: Input should be greater than or equal to 0 \(got -3.0\)"):
        oc.run(doc)
    doc = _doc(days=1.0, station_keeping={"thruster": "bht-200"})
    doc["constellation"][0].pop("hardware")
    with pytest.raises(OrbitcloudError, match=r"orbit_life.station_keeping: no designed shell has hardware"):
        oc.run(doc)


def test_disposal_plan_against_the_five_year_rule():
    # at solar minimum a 500 km orbit of this design outlives five years: a disposal spiral is planned
    doc = _doc(days=0.1, station_keeping={"thruster": "bht-200"})
    doc["orbit_life"]["activity"] = "min"
    sh = oc.run(doc).summary["orbit_life"]["shells"][0]
    assert sh["natural_lifetime_years"] > 5.0
    assert sh["disposal_altitude_km"] < sh["altitude_km_start"]
    from orbitcloud.bus.propulsion import edelbaum_dv_m_s

    a1, a2 = 6378.135e3 + sh["altitude_km_start"] * 1e3, 6378.135e3 + sh["disposal_altitude_km"] * 1e3
    assert sh["disposal_dv_m_s"] == pytest.approx(float(edelbaum_dv_m_s(a1, a2)), rel=1e-3)
    assert sh["meets_disposal_rule"] is True
    assert sh["time_to_reentry_years"] <= 5.0


CROSSING = """
name: crossing
epoch: 2026-03-20T00:00:00Z
duration: 3h
step: 60s
constellation:
  - {kind: walker, name: a, hardware: three-body, altitude_km: 550, inclination_deg: 53, planes: 6, sats_per_plane: 10, phasing: 1}
  - {kind: walker, name: b, hardware: three-body, altitude_km: 552, inclination_deg: 97, planes: 4, sats_per_plane: 10, phasing: 1}
orbit_life:
  activity: mean
  conjunctions: {threshold_km: 20}
"""


def test_run_screens_its_window_like_the_command_and_the_report_shows_it(tmp_path):
    import pyarrow.parquet as pq

    from orbitcloud.cli import main
    from orbitcloud.safety.cli import run_conjunctions

    scen = tmp_path / "crossing.yaml"
    scen.write_text(CROSSING)
    out = tmp_path / "run"
    s = oc.run(str(scen), out=out).summary
    c = s["orbit_life"]["conjunctions"]
    assert c["events"] > 0 and c["miss_km_min"] <= 20.0
    ref = run_conjunctions(str(scen), duration="3h", threshold_km=20.0, out=tmp_path / "cmd")
    assert c["events"] == ref["conjunctions"]
    got = pq.read_table(out / "conjunctions.parquet").to_pydict()
    want = pq.read_table(tmp_path / "cmd" / "conjunctions.parquet").to_pydict()
    # the run screens the orbits it flew (with the B* of its drag); the command the element sets as
    # built: the same pairs; the drag lag grows as t^2 (9 ms of TCA after 3 h at 550 km, mean activity)
    for col in ("object_a", "object_b"):
        assert got[col] == want[col], col
    dt_s = np.array([(x - y).total_seconds() for x, y in zip(got["tca_utc"], want["tca_utc"])])
    assert np.abs(dt_s).max() < 0.05
    assert np.abs(np.array(got["miss_km"]) - np.array(want["miss_km"])).max() < 0.1
    alt = pq.read_table(out / "altitude.parquet").to_pydict()
    assert set(alt["shell"]) == {"a", "b"}
    assert main(["report", str(out)]) == 0
    html = (out / "report.html").read_text("utf-8")
    for text in ("Orbit life", "Mean altitude per shell", "Conjunctions: miss distance", "Drag, station-keeping and disposal"):
        assert text in html


def test_station_keeping_is_the_same_with_any_worker_count():
    doc = {"name": "sk-workers", "epoch": "2026-03-20T00:00:00Z", "duration": "2h", "step": "60s",
           "constellation": [{"kind": "walker", "name": "s", "hardware": "three-body", "altitude_km": 450, "inclination_deg": 53,
                              "planes": 30, "sats_per_plane": 200, "phasing": 1}],  # 6,000 satellites: two blocks
           "orbit_life": {"activity": "max", "station_keeping": {"thruster": "bht-200", "band_km": 0.02, "sunlit_only": False}}}
    one = oc.run(doc, workers=1, propagator="fast", eclipses=False).summary
    two = oc.run(doc, workers=2, propagator="fast", eclipses=False).summary
    assert one["orbit_life"]["shells"][0]["thruster_duty"] > 0
    assert one["orbit_life"] == two["orbit_life"]
    assert one["bus"] == two["bus"]


def test_a_later_start_reports_where_the_shell_flies_then():
    # the elements are at the scenario epoch; a run two days later starts lower by two days of decay
    doc = _doc(days=0.5)
    at_epoch = oc.run(doc).summary["orbit_life"]["shells"][0]
    later = oc.run(doc, start="2026-03-22T00:00:00Z").summary["orbit_life"]["shells"][0]
    fall_km = at_epoch["decay_rate_m_per_day"] * 2.0 / 1e3
    assert at_epoch["altitude_km_start"] - later["altitude_km_start"] == pytest.approx(fall_km, rel=0.15)


def test_no_bus_turns_station_keeping_off_and_the_satellites_decay():
    doc = _doc(days=1.0, station_keeping={"thruster": "bht-200"})
    s = oc.run(doc, bus=False).summary
    assert any("station-keeping off" in n for n in s["notes"])
    sh = s["orbit_life"]["shells"][0]
    assert "thruster" not in sh
    assert sh["altitude_km_start"] - sh["altitude_km_end"] > 0.3  # ~0.6 km/day at solar maximum


def test_conjunctions_in_a_run_longer_than_the_screening_window_are_refused_first():
    doc = _doc(days=31.0)
    doc["orbit_life"]["conjunctions"] = {"threshold_km": 5}
    with pytest.raises(OrbitcloudError, match=r"orbit_life.conjunctions: the run is 31 days; a run screens at most 30 days"):
        oc.Simulation(doc)
    doc["duration"] = "1d"
    doc["orbit_life"]["conjunctions"]["catalog"] = "/nonexistent/cat.tle"
    with pytest.raises(OrbitcloudError, match=r"orbit_life.conjunctions.catalog: "):
        oc.Simulation(doc)
