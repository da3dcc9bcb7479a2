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


def test_summary_has_bus_figures_per_shell(three_body_run):
    summary = json.loads((three_body_run / "summary.json").read_text())
    bus = summary["shells"][0]["bus"]
    assert bus["design"] == "three-body"
    assert bus["accelerator"] == "three-body-744" and bus["precision"] == "int8"
    # nameplate: 12 satellites x 744 TOPS
    assert bus["nameplate_ops_per_s"] == pytest.approx(12 * 744e12, rel=1e-12)
    duration_s = summary["steps"] * summary["step_s"]
    assert bus["compute_nameplate_ops"] == pytest.approx(12 * 744e12 * duration_s, rel=1e-9)
    # utilisation target 0.8 and nothing throttled: delivered = 0.8 of nameplate
    assert bus["throttled_fraction"] == pytest.approx(bus["throttled_fraction_power"] + bus["throttled_fraction_thermal"], abs=1e-9)
    assert bus["compute_delivered_fraction"] == pytest.approx(0.8 * (1 - bus["throttled_fraction"]), rel=1e-6)
    assert 0.0 <= bus["soc_min"] <= 1.0
    assert bus["temperature_min_c"] <= bus["temperature_max_c"]
    assert bus["energy_used_j"] <= bus["energy_generated_j"] + 12 * 1500 * 3600  # battery can add at most its energy
    assert summary["bus"]["compute_delivered_ops"] == pytest.approx(bus["compute_delivered_ops"], rel=1e-9)
    assert isinstance(bus["findings"], list)


def test_satellites_parquet_has_bus_columns(three_body_run):
    table = pq.read_table(three_body_run / "satellites.parquet")
    for col in ("energy_generated_j", "energy_used_j", "energy_compute_j", "energy_curtailed_j", "throttled_power_j",
                "throttled_thermal_j", "battery_min_j", "temperature_min_k", "temperature_max_k"):
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
    code, out, _ = _run(capsys, "run", "starcloud-1", "--duration", "3h")
    assert code == 0
    assert "bus: power, thermal, compute" in out


UNDERSIZED = """
name: undersized
epoch: 2026-03-20T00:00:00Z
duration: 6h
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


def test_design_that_does_not_close_is_a_finding(capsys, tmp_path):
    path = tmp_path / "undersized.yaml"
    path.write_text(UNDERSIZED)
    code, out, _ = _run(capsys, "run", str(path), "--json")
    assert code == 0
    bus = json.loads(out)["shells"][0]["bus"]
    assert any(f.startswith("radiator too small") for f in bus["findings"])
    assert bus["throttled_fraction_thermal"] > 0.3
    # the finding's sustainable fraction matches what the run could deliver once settled (dawn-dusk:
    # always sunlit in March), within a few percent
    frac = float(bus["findings"][0].split("holds ")[1].split("%")[0]) / 100
    assert bus["compute_delivered_fraction"] == pytest.approx(frac, abs=0.1)
    assert bus["temperature_max_c"] <= bus["temperature_limit_c"] + 0.5
    code, out, _ = _run(capsys, "run", str(path))
    assert code == 0 and "finding" in out and "radiator too small" in out
