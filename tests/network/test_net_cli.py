"""``orbitcloud net`` and the network summary of ``orbitcloud run``: outputs, symmetry, bad input."""

from __future__ import annotations

import csv
import json

import pytest

from orbitcloud.cli import main

SCENARIO = """
name: net-test
epoch: 2000-01-01T00:00:00Z
duration: 20min
step: 60s
constellation:
  - kind: walker
    name: kuiper-630
    mean_motion_rev_per_day: 14.80
    inclination_deg: 51.9
    planes: 34
    sats_per_plane: 34
network:
  isl: {topology: plus_grid, grazing_height_km: 80}
  pairs: ["Manila,Dalian"]
  flows:
    - {src: Manila, dst: Dalian, demand_gbps: 4}
    - {src: Singapore, dst: Dalian, demand_gbps: 500}
ground:
  stations:
    - {name: Manila, lat_deg: 14.5995, lon_deg: 120.9842}
    - {name: Dalian, lat_deg: 38.9140, lon_deg: 121.6147}
    - {name: Singapore, lat_deg: 1.3521, lon_deg: 103.8198}
  min_elevation_deg: 30
"""


@pytest.fixture()
def scenario(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(SCENARIO)
    return path


def test_net_pairs_json_and_files(scenario, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["net", str(scenario), "--pair", "Manila,Dalian", "--pair", "Dalian,Manila", "--out", str(out), "--json", "--csv"]) == 0
    s = json.loads(capsys.readouterr().out)
    a, b = s["pairs"]
    assert a["reachable_fraction"] == 1.0
    # RTTs are symmetric
    assert a["rtt_ms_min"] == pytest.approx(b["rtt_ms_min"], rel=1e-12)
    assert a["rtt_ms_max"] == pytest.approx(b["rtt_ms_max"], rel=1e-12)
    # lower bound: the great-circle distance ~2,700 km at the speed of light, there and back
    assert a["rtt_ms_min"] > 2 * 2.7e6 / 299_792_458.0 * 1e3
    rows = list(csv.DictReader(open(out / "rtt.csv")))
    assert len(rows) == s["steps"] * 2 and set(rows[0]) == {"time", "src", "dst", "rtt_ms", "hops"}
    paths = list(csv.DictReader(open(out / "paths.csv")))
    assert paths[0]["path"].startswith("Manila sat") and paths[0]["path"].endswith(" Dalian")
    assert len(paths) == 2 + a["path_changes"] + b["path_changes"]
    assert json.loads((out / "summary.json").read_text())["pairs"] == s["pairs"]
    # the Parquet tables hold the same rows (written with or without --csv)
    import pyarrow.parquet as pq

    rt = pq.read_table(out / "rtt.parquet").to_pydict()
    assert len(rt["time"]) == len(rows) and [str(v) for v in rt["src"]] == [r["src"] for r in rows]
    assert rt["hops"] == [int(r["hops"]) for r in rows]
    got = [float(r["rtt_ms"]) if r["rtt_ms"] else float("nan") for r in rows]
    assert all((a == b) or (a != a and b != b) for a, b in zip(rt["rtt_ms"], got))
    assert rt["time"][0].strftime("%Y-%m-%dT%H:%M:%S.000Z") == rows[0]["time"]
    assert pq.read_table(out / "paths.parquet").column("path").to_pylist() == [p["path"] for p in paths]
    plain = tmp_path / "plain"
    assert main(["net", str(scenario), "--pair", "Manila,Dalian", "--out", str(plain), "--json"]) == 0
    capsys.readouterr()
    assert (plain / "rtt.parquet").exists() and not (plain / "rtt.csv").exists()


def test_unknown_station_suggests(scenario, capsys):
    assert main(["net", str(scenario), "--pair", "Manla,Dalian"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Manla" in err and "Manila" in err


def test_pair_syntax_and_missing_pairs(scenario, capsys):
    assert main(["net", str(scenario), "--pair", "Manila"]) == 2
    assert "two station names" in capsys.readouterr().err
    assert main(["net", str(scenario)]) == 2
    assert "--all-pairs" in capsys.readouterr().err


def test_run_reports_network_and_contacts(scenario, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "--json"]) == 0
    n = json.loads(capsys.readouterr().out)["network"]
    assert n["isl_topology"] == "plus_grid" and n["links_per_satellite_mean"] == pytest.approx(4.0)
    # every satellite reaches a gateway over the grid; one-way delay below half the Earth's circumference at c
    assert n["gateway_reachable_fraction"] == 1.0
    assert 0 < n["gateway_delay_ms_mean"] < n["gateway_delay_ms_max"] < 20_000e3 / 299_792_458.0 * 1e3 * 1.5
    assert n["pairs"][0]["src"] == "Manila" and n["pairs"][0]["reachable_fraction"] == 1.0
    small, big = n["flows"]
    # 4 Gbps fits under the 10 Gbps ground links; 500 Gbps is cut to what its links can carry
    assert small["rate_gbps_mean"] == pytest.approx(4.0) and small["unmet_gbps_mean"] == pytest.approx(0.0, abs=1e-9)
    assert 0 < big["rate_gbps_mean"] <= 10.0 + 1e-9
    assert big["unmet_gbps_mean"] == pytest.approx(500 - big["rate_gbps_mean"])
    assert n["link_utilisation_max"] <= 1.0 + 1e-9
    rows = list(csv.DictReader(open(out / "contacts.csv")))
    assert set(rows[0]) == {"station", "satellite", "start", "end", "max_elevation_deg"}
    assert all(float(r["max_elevation_deg"]) >= 30.0 for r in rows)
    assert n["contacts"] == len(rows)


def test_plus_grid_needs_planes(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(SCENARIO.replace("  - kind: walker\n    name: kuiper-630\n    mean_motion_rev_per_day: 14.80\n    inclination_deg: 51.9\n    planes: 34\n    sats_per_plane: 34\n",
                                     "  - kind: cluster\n    count: 9\n    radius_m: 1000\n    spacing_m: [100, 200]\n    reference: {kind: sso, altitude_km: 650, ltan: \"18:00\"}\n"))
    assert main(["net", str(path), "--pair", "Manila,Dalian"]) == 2
    assert "plus_grid needs planes" in capsys.readouterr().err
