"""Radiation and faults inside runs: determinism, coarse-step dose integration, coupling to the bus."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from orbitcloud.cli import main
from orbitcloud.fleet import build_fleet
from orbitcloud.sim.setup import bus_params, radiation_block, shell_designs
from orbitcloud.scenario import parse_scenario
from orbitcloud.sim import RunSpec, driver, simulate
from orbitcloud.timescale import jd_split

# rates raised far above the catalog's so that a day produces every event kind, spares included
SCENARIO = """
name: faulty
epoch: 2026-03-20T00:00:00Z
duration: 1d
step: 60s
seed: 11
radiation: {shielding_mm_al: 5, subsample_s: %(sub)s, spe: true}
constellation:
  - kind: walker
    name: saa
    altitude_km: 550
    inclination_deg: 53
    planes: 3
    sats_per_plane: 4
    hardware:
      base: v2mini-h100x8
      compute:
        spares: 2
        spare_delay_s: 1800
        faults:
          uecc: {per_rad: 5.0, per_rad_low: 1.0, per_rad_high: 10.0}
          sefi: {per_rad: 2.0, per_rad_low: 1.0, per_rad_high: 3.0}
          permanent: {per_device_hour: 0.01}
  - kind: sso
    name: dawn-dusk
    altitude_km: 650
    ltan: "18:00"
    sats_per_plane: 3
    hardware: suncatcher-tpu
"""


def _prepare(step_s: float = 60.0, sub: float = 60.0, days: float = 1.0):
    loaded = parse_scenario(SCENARIO % {"sub": sub})
    fleet = build_fleet(loaded)
    designs = shell_designs(loaded)
    jd, fr = jd_split(np.datetime64(loaded.scenario.epoch, "ns"))
    spec = RunSpec(jd0=float(jd), fr0=float(fr), step_s=step_s, n_steps=int(round(days * 86400 / step_s)))
    return fleet, spec, bus_params(fleet, designs), radiation_block(loaded, fleet, designs, step_s)


def _same(a, b, what: str) -> None:
    assert np.array_equal(a.dose_rad, b.dose_rad), what
    assert np.array_equal(a.avail_sum, b.avail_sum), what
    for key in a.fault_events:
        assert np.array_equal(a.fault_events[key], b.fault_events[key]), f"{what}: events[{key}]"
    for key in a.bus.sums:
        assert np.array_equal(a.bus.sums[key], b.bus.sums[key]), f"{what}: bus {key}"


@pytest.fixture(scope="module")
def reference():
    fleet, spec, bp, rad = _prepare()
    return fleet, spec, bp, rad, simulate(fleet, spec, workers=1, bus=bp, rad=rad)


def test_run_has_every_event_kind_and_lower_availability(reference):
    *_, rad, res = reference
    kinds = set(np.unique(res.fault_events["kind"]).tolist())
    assert {0, 2, 5, 6} <= kinds  # uecc, sefi, permanent, spare_in
    saa = slice(0, 12)
    assert res.avail_sum[saa].mean() / 1440 < 0.99
    assert res.bus.sums["fault_loss"][saa].sum() > 0
    # the bus delivers no more than the available devices allow
    assert np.all(res.bus.sums["compute"] <= res.bus.sums["target"] - res.bus.sums["fault_loss"] + 1e-6)
    assert res.spares_used[saa].sum() > 0 and np.all(res.spares_used <= rad.spares)


@pytest.mark.parametrize("chunk_elems", [1 << 12, 1 << 15])
def test_faults_do_not_depend_on_chunking(reference, chunk_elems):
    fleet, spec, bp, rad, ref = reference
    other = simulate(fleet, dataclasses.replace(spec, chunk_elems=chunk_elems), workers=1, bus=bp, rad=rad)
    _same(ref, other, f"chunk_elems={chunk_elems}")


def test_faults_do_not_depend_on_process_count(reference, monkeypatch):
    fleet, spec, bp, rad, ref = reference
    monkeypatch.setattr(driver, "INLINE_SAT_STEPS", 0)
    monkeypatch.setattr(driver, "MAX_BLOCK", 4)  # several blocks over two worker processes
    _same(ref, simulate(fleet, spec, workers=2, bus=bp, rad=rad), "workers=2")


def test_coarse_steps_integrate_the_dose():
    """One day at 1-h steps with 60-s sub-samples gives the 60-s-step dose within 3 %; sampling
    only the step's own position (sub-sampling off) is far off for some satellites."""
    fine = _prepare(60.0, 60.0)
    res_fine = simulate(fine[0], fine[1], workers=1, rad=fine[3])
    coarse = _prepare(3600.0, 60.0)
    assert coarse[3].subsamples == 60
    res_coarse = simulate(coarse[0], coarse[1], workers=1, rad=coarse[3])
    rel = np.abs(res_coarse.dose_rad / res_fine.dose_rad - 1.0)
    assert rel.max() < 0.03
    naive = _prepare(3600.0, 3600.0)
    assert naive[3].subsamples == 1
    res_naive = simulate(naive[0], naive[1], workers=1, rad=naive[3])
    assert np.abs(res_naive.dose_rad / res_fine.dose_rad - 1.0).max() > 3 * rel.max()


def test_cli_writes_fault_log_and_summary(tmp_path, capsys):
    path = tmp_path / "faulty.yaml"
    path.write_text(SCENARIO % {"sub": 60})
    out_dir = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out_dir), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    shell = summary["shells"][0]["radiation"]
    log = pq.read_table(out_dir / "faults.parquet")
    assert log.column_names == ["time", "satellite", "device", "kind", "dose_rad", "generation"]
    kinds = log.column("kind").to_pylist()
    assert kinds.count("uecc") == shell["events"]["uecc"] + summary["shells"][1]["radiation"]["events"]["uecc"]
    assert shell["devices"] == 12 * 8 and 0 < shell["availability"] < 1
    assert shell["events_per_device_year"]["uecc"] == pytest.approx(shell["events"]["uecc"] / shell["device_years"], rel=1e-5)
    sats = pq.read_table(out_dir / "satellites.parquet")
    assert {"dose_rad", "accelerator_availability", "spares_used", "devices_lost"} <= set(sats.column_names)
    # Every device failure either takes a spare or loses the device for good; the permanent-failure
    # rate above (0.01 per device-hour) makes about 23 of them in the day.
    failed = kinds.count("tid_fail") + kinds.count("permanent")
    assert failed == sum(sh["radiation"]["devices_failed"] for sh in summary["shells"]) > 0
    assert shell["devices_failed"] == shell["spares_used"] + shell["devices_lost"]
    t_ns = log.column("time").cast("int64").to_numpy()
    mine = np.isin(kinds, ("tid_fail", "permanent")) & (np.asarray(log.column("satellite").to_pylist()) < 12)
    epoch_ns = np.datetime64("2026-03-20T00:00:00", "ns").astype(np.int64)
    assert shell["first_device_failure_s"] == pytest.approx((t_ns[mine].min() - epoch_ns) * 1e-9, abs=1e-3)
    assert main(["run", str(path), "--no-radiation", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["radiation"] is None


def test_bad_fault_override_is_one_line(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text((SCENARIO % {"sub": 60}).replace("per_rad: 5.0,", "per_rad: -1,"))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "faults" in err and "-1" in err


#: The expected dose below positions the satellites with skyfield (its own TEME -> ITRS, builtin UT1-UTC
#: table, no polar motion), ~20 m from the run's GMST rotation (tests/ephemeris/test_frames.py), and
#: looks the rate up with the grid's NumPy reference path instead of the run's numba kernel. Over a
#: 4-deg (~450 km) trilinear cell 20 m moves the rate by a few 1e-5: measured 2.6e-5, bound 2e-4.
REL_DOSE_FRAMES = 2e-4
#: summary.json rounds doses to 4 decimals [rad]: half a unit of the last one.
SUMMARY_ROUNDING_RAD = 0.5e-4


def test_radiation_with_a_shell_without_hardware(tmp_path):
    """A shell without accelerators beside one with them: dose for both, faults only where devices are.

    Independent expectation: D_i = sum_k rate(r_i(t_k)) x 60 s over the run's samples t_k = k x 60 s,
    k = 0..119 (``docs/scenario.md``: samples cover [0, duration)), with r_i from skyfield and the
    rate from the grid's reference lookup. Both shells fly the same 2 x 3 Walker geometry, so the
    plain shell's doses also equal the compute shell's, satellite by satellite.
    """
    from skyfield.api import EarthSatellite, load
    from skyfield.framelib import itrs

    from orbitcloud.ephemeris.propagate import make_satrecs
    from orbitcloud.job import JobOptions, run_scenario

    text = """
name: mixed
epoch: 2026-03-20T00:00:00Z
duration: 2h
step: 60s
seed: 3
radiation: {shielding_mm_al: 10}
constellation:
  - kind: walker
    name: compute
    hardware: v2mini-h100x8
    altitude_km: 550
    inclination_deg: 53
    planes: 2
    sats_per_plane: 3
  - kind: walker
    name: plain
    altitude_km: 550
    inclination_deg: 53
    planes: 2
    sats_per_plane: 3
"""
    path = tmp_path / "mixed.yaml"
    path.write_text(text, "utf-8")
    out = tmp_path / "out"
    s = run_scenario(str(path), JobOptions(out=out, eclipses=False))
    comp, plain = s["shells"]
    assert comp["radiation"]["devices"] == 6 * 8  # 6 satellites x 8 H100
    assert plain["radiation"] is not None and plain["radiation"]["devices"] == 0
    assert sum(plain["radiation"]["events"].values()) == 0  # no devices, no faults
    dose = pq.read_table(out / "satellites.parquet").column("dose_rad").to_numpy()
    assert dose.shape == (12,)

    loaded = parse_scenario(text)
    fleet = build_fleet(loaded)
    grid = radiation_block(loaded, fleet, shell_designs(loaded), 60.0).grid
    ts = load.timescale(builtin=True)
    step_s, n = 60.0, 120
    t = ts.utc(2026, 3, 20, 0, 0, np.arange(n) * step_s)
    expected = np.empty(len(fleet))
    for i, satrec in enumerate(make_satrecs(fleet.slice(0, len(fleet)))):
        r_m = EarthSatellite.from_satrec(satrec, ts).at(t).frame_xyz(itrs).m
        expected[i] = grid.dose_rate_rad_s(r_m[0], r_m[1], r_m[2], use_numba=False).sum() * step_s
    assert (expected > 0).all()
    np.testing.assert_allclose(dose, expected, rtol=REL_DOSE_FRAMES, atol=0)
    np.testing.assert_array_equal(dose[6:], dose[:6])  # same orbits, same dose
    for shell, sel in ((comp, slice(0, 6)), (plain, slice(6, 12))):
        r = shell["radiation"]
        for key, fn in (("dose_rad_min", np.min), ("dose_rad_mean", np.mean), ("dose_rad_max", np.max)):
            want = float(fn(expected[sel]))
            assert r[key] == pytest.approx(want, rel=REL_DOSE_FRAMES, abs=SUMMARY_ROUNDING_RAD), (shell["name"], key)
