"""``orbitcloud run`` with hardware: bus figures in the summary, Parquet columns, --record time series."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from orbitcloud.cli import main

TS_COLUMNS = [
    "time", "satellite", "illumination", "array_temp_k", "p_gen_w", "p_load_w", "p_compute_w", "p_heater_w",
    "p_curtailed_w", "p_battery_w", "soc", "t_k", "utilisation", "throttle",
]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture(scope="module")
def three_body_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tb")
    code = main(["run", "three-body-12", "--duration", "6h", "--step", "60s", "--out", str(out), "--record", "10min", "--json", "--no-workloads"])
    assert code == 0
    return out


#: The three-body design (catalog/satellites.yaml): one 744-TOPS INT8 computer at 500 W (Zhejiang Lab /
#: ADA Space, May 2025; the power is an orbitcloud assumption) at utilisation 0.8, a 250 W bus and a
#: 1,500 Wh battery starting full.
TB_SATS, TB_OPS, TB_ACC_W, TB_UTIL, TB_BUS_W, TB_BATTERY_J = 12, 744e12, 500.0, 0.8, 250.0, 1500 * 3600.0


def test_summary_has_bus_figures_per_shell(three_body_run):
    summary = json.loads((three_body_run / "summary.json").read_text())
    bus = summary["shells"][0]["bus"]
    assert bus["design"] == "three-body"
    assert bus["accelerator"] == "three-body-744" and bus["precision"] == "int8"
    assert bus["nameplate_ops_per_s"] == pytest.approx(TB_SATS * TB_OPS, rel=1e-12)
    duration_s = summary["steps"] * summary["step_s"]
    assert duration_s == 6 * 3600
    assert bus["compute_nameplate_ops"] == pytest.approx(TB_SATS * TB_OPS * duration_s, rel=1e-9)
    # the design closes at 500 km: nothing is throttled, so it delivers its utilisation target exactly
    assert bus["findings"] == []
    assert bus["throttled_fraction"] == 0.0
    assert bus["throttled_fraction_power"] == 0.0 and bus["throttled_fraction_thermal"] == 0.0
    assert bus["energy_bus_unmet_j"] == 0.0 and bus["energy_heater_j"] == 0.0
    assert bus["compute_delivered_fraction"] == pytest.approx(TB_UTIL, rel=1e-12)
    assert bus["energy_compute_j"] == pytest.approx(TB_SATS * TB_ACC_W * TB_UTIL * duration_s, rel=1e-12)
    assert bus["energy_used_j"] == pytest.approx(TB_SATS * (TB_BUS_W + TB_ACC_W * TB_UTIL) * duration_s, rel=1e-12)
    # energy balance: generated = used + curtailed + battery losses + change of stored energy, exactly
    table = pq.read_table(three_body_run / "satellites.parquet")
    stored_change_j = float(np.sum(table.column("battery_final_j").to_numpy())) - TB_SATS * TB_BATTERY_J
    balance_j = bus["energy_used_j"] + bus["energy_curtailed_j"] + bus["energy_battery_loss_j"] + stored_change_j
    assert balance_j == pytest.approx(bus["energy_generated_j"], rel=1e-9)
    # the battery only discharges below full (it starts full): within what soc_min allows
    assert -TB_SATS * TB_BATTERY_J * (1.0 - bus["soc_min"]) - 1.0 <= stored_change_j <= 1e-6
    assert 0.2 < bus["soc_min"] < 1.0  # it does cycle (eclipses at 500 km), never to its floor
    assert bus["temperature_min_c"] <= bus["temperature_max_c"] < bus["temperature_limit_c"]
    assert summary["bus"]["compute_delivered_ops"] == pytest.approx(bus["compute_delivered_ops"], rel=1e-9)
    assert bus["compute_delivered_ops"] == pytest.approx(TB_UTIL * TB_SATS * TB_OPS * duration_s, rel=1e-9)


def test_satellites_parquet_has_bus_columns(three_body_run):
    table = pq.read_table(three_body_run / "satellites.parquet")
    for col in ("energy_generated_j", "energy_used_j", "energy_compute_j", "energy_curtailed_j", "throttled_power_j",
                "throttled_thermal_j", "battery_min_j", "battery_final_j", "temperature_min_k", "temperature_max_k"):
        assert col in table.column_names
    summary = json.loads((three_body_run / "summary.json").read_text())
    total = np.sum(table.column("energy_generated_j").to_numpy())
    assert total == pytest.approx(summary["shells"][0]["bus"]["energy_generated_j"], rel=1e-9)


def test_record_time_series(three_body_run):
    table = pq.read_table(three_body_run / "timeseries.parquet")
    assert table.column_names == TS_COLUMNS
    # 6 h at 60 s = 360 steps; every 10th step -> 36 samples per satellite, 12 satellites
    assert table.num_rows == 12 * 36
    sat = table.column("satellite").to_numpy()
    assert np.all(np.diff(sat) >= 0)
    t = table.column("time").cast("int64").to_numpy()
    first = t[sat == 0]
    assert np.all(np.diff(first) == 600 * 10**9)
    soc = table.column("soc").to_numpy()
    assert np.all((soc >= 0.2 - 1e-9) & (soc <= 1.0 + 1e-9))
    throttle = table.column("throttle").to_numpy()
    assert set(np.unique(throttle)) <= {0, 1, 2}
    # load never exceeds what the array gives plus what the battery delivers
    p = {c: table.column(c).to_numpy() for c in ("p_gen_w", "p_load_w", "p_curtailed_w", "p_battery_w")}
    assert np.allclose(p["p_gen_w"] - p["p_curtailed_w"] + p["p_battery_w"], p["p_load_w"], rtol=1e-9, atol=1e-6)


def test_record_needs_out(capsys):
    code, _, err = _run(capsys, "run", "starcloud-1", "--record", "10min")
    assert code == 2
    assert err.startswith("orbitcloud: error: --record") and err.count("\n") == 1


def test_record_refuses_huge_time_series(capsys, tmp_path):
    code, _, err = _run(capsys, "run", "spacex-odc-1m", "--record", "60s", "--out", str(tmp_path / "x"))
    assert code == 2
    assert "--record" in err and "limit" in err
    assert not (tmp_path / "x").exists()


def test_table_output_shows_bus(capsys):
    code, text, _ = _run(capsys, "run", "starcloud-1", "--duration", "3h", "--json")
    bus = json.loads(text)["shells"][0]["bus"]
    code, out, _ = _run(capsys, "run", "starcloud-1", "--duration", "3h")
    assert code == 0
    flat = " ".join(out.split())
    assert "bus of shell starcloud-1: power, heat, compute" in flat
    # the figures of the JSON summary, in kWh and percent
    assert f"energy generated │ {bus['energy_generated_j'] / 3.6e6:.3g} kWh" in flat
    assert f"compute delivered │ {100 * bus['compute_delivered_fraction']:.1f} % of nameplate" in flat
    assert f"lowest state of charge │ {100 * bus['soc_min']:.1f} %" in flat


UNDERSIZED = """
name: undersized
epoch: 2026-03-20T00:00:00Z
duration: 3d
step: 60s
constellation:
  - kind: sso
    name: hot
    altitude_km: 650
    ltan: "18:00"
    sats_per_plane: 2
    hardware:
      base: starcloud-1
      radiator: {area_m2: 0.3}
"""
#: starcloud-1 (catalog/satellites.yaml): one H100 at 700 W, utilisation 1; radiator node 40,000 J/K
#: starting at 20 C, t_max 45 C with the default 5 K thermostat band.
H100_W, NODE_J_K, WARM_K = 700.0, 40_000.0, 45.0 - 20.0


def test_design_that_does_not_close_is_a_finding(capsys, tmp_path):
    """The closure finding's sustainable share against a settled 3-day run.

    The finding assumes the worst case (the Sun at the zenith below: full albedo); this dawn-dusk orbit
    sees the Sun near the horizon, which the run's radiator does not have to reject: at most
    2 A F alpha a S / P_compute = 2 x 0.3 x 0.241 x 0.09 x 0.30 x 1,361 / 700 = 0.0076 of the target.
    The warm-up is checked on its own: until the node reaches t_max it runs at full compute, storing
    C (45 - 20) K in the node (within the heat it radiates meanwhile). The full derivation, with the
    geometry from skyfield, is tests/oracles/test_oracle_dawn_dusk.py."""
    path = tmp_path / "undersized.yaml"
    path.write_text(UNDERSIZED)
    out = tmp_path / "out"
    code, text, _ = _run(capsys, "run", str(path), "--json", "--out", str(out), "--record", "60s")
    assert code == 0
    summary = json.loads(text)
    bus = summary["shells"][0]["bus"]
    assert summary["eclipses"] == 0  # dawn-dusk in March: always sunlit
    finding = next(f for f in bus["findings"] if f.startswith("radiator too small"))
    share = float(finding.split("holds ")[1].split("%")[0]) / 100
    ts = pq.read_table(out / "timeseries.parquet")
    sat = ts.column("satellite").to_numpy()
    p_c = ts.column("p_compute_w").to_numpy()[sat == 0]
    throttle = ts.column("throttle").to_numpy()[sat == 0]
    settled = float(p_c[1440:].mean()) / H100_W  # days 2 and 3
    albedo_max = 2 * 0.3 * 0.241 * 0.09 * 0.30 * 1361 / H100_W
    finding_rounding = 5e-4  # the share is printed to 0.1 %
    assert 0.0 <= settled - share <= albedo_max + finding_rounding + 1e-3, (settled, share)
    assert 0.2 < share < 0.3
    assert bus["throttled_fraction_thermal"] == pytest.approx(1.0 - bus["compute_delivered_fraction"], abs=1e-9)
    assert bus["throttled_fraction_power"] == 0.0
    # the warm-up transient: full compute until the cap first binds, then the settled duty
    first = int(np.argmax(throttle == 2))
    assert first > 0 and np.all(p_c[:first] == pytest.approx(H100_W, rel=1e-12))
    warm_s = first * 60.0
    # heating at (700 + 100 + Q_env - k T^4) / C, between 0.017 and 0.013 K/s over 20..45 C: 25-32 min
    assert 25 * 60 - 60 <= warm_s <= 32 * 60 + 60, warm_s
    delivered_j = float(p_c.sum()) * 60.0
    excess_j = delivered_j - settled * H100_W * 3 * 86400.0
    # the excess over the settled duty is the warm-up: the node's stored heat C x 25 K, less the
    # emission it has not yet reached (at most k (T_max^4 - T_0^4) x t_warm = 89 W x t_warm)
    stored_j = NODE_J_K * WARM_K
    assert stored_j - 89.0 * warm_s - 3 * H100_W * 60.0 <= excess_j <= stored_j + 3 * H100_W * 60.0, (excess_j, stored_j)
    both_j = float(ts.column("p_compute_w").to_numpy().sum()) * 60.0
    assert bus["compute_delivered_fraction"] == pytest.approx(both_j / (2 * H100_W * 3 * 86400.0), rel=1e-5)
    assert bus["temperature_max_c"] <= bus["temperature_limit_c"] + 1e-6
    code, text, _ = _run(capsys, "run", str(path), "--duration", "1h")
    assert code == 0 and "finding" in text and "radiator too small" in text
