"""Run directories for the report tests, made once per session by ``orbitcloud run``.

``net_run``: a 150-satellite scenario with everything a report can show — two shells with hardware,
a bus time series every 10 min, eclipses, raised fault rates (``faults.parquet`` has every event
kind), +Grid ISLs, three ground stations (``contacts.csv``) and two station pairs.
``plain_run``: one SSO plane of 12 satellites with hardware and nothing else (no radiation, network,
ground or workloads), 6 h with the fast propagator, no eclipses and no time series: the sections that
need them must be absent.
"""

from __future__ import annotations

import shutil

import pytest

from orbitcloud.cli import main

NET_SCENARIO = """
name: report-net
description: "Report test: Walker 53 deg with +Grid ISLs, three stations, raised fault rates"
epoch: 2026-03-20T00:00:00Z
duration: 2h
step: 60s
seed: 3
radiation: {shielding_mm_al: 5, spe: true}
constellation:
  - kind: walker
    name: w53
    altitude_km: 1100
    inclination_deg: 53
    planes: 12
    sats_per_plane: 12
    phasing: 1
    hardware:
      base: v2mini-h100x8
      compute:
        spares: 1
        faults:
          uecc: {per_rad: 5.0, per_rad_low: 1.0, per_rad_high: 10.0}
          sefi: {per_rad: 2.0, per_rad_low: 1.0, per_rad_high: 3.0}
          permanent: {per_device_hour: 0.01}
  - kind: sso
    name: dawn-dusk
    altitude_km: 650
    ltan: "18:00"
    sats_per_plane: 6
    hardware: suncatcher-tpu
network:
  isl: {topology: plus_grid}
  pairs: ["Manila,Dalian", "Singapore,Dalian"]
ground:
  stations:
    - {name: Manila, lat_deg: 14.5995, lon_deg: 120.9842}
    - {name: Dalian, lat_deg: 38.9140, lon_deg: 121.6147}
    - {name: Singapore, lat_deg: 1.3521, lon_deg: 103.8198}
  min_elevation_deg: 20
"""


@pytest.fixture(scope="session")
def net_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("net")
    path = base / "net.yaml"
    path.write_text(NET_SCENARIO)
    out = base / "run"
    assert main(["run", str(path), "--out", str(out), "--record", "10min", "--json"]) == 0
    return out


PLAIN_SCENARIO = """
name: report-plain
epoch: 2026-03-20T00:00:00Z
duration: 6h
step: 60s
constellation:
  - kind: sso
    name: plane
    hardware: three-body
    altitude_km: 500
    ltan: "10:30"
    planes: 1
    sats_per_plane: 12
"""


@pytest.fixture(scope="session")
def plain_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("plain")
    path = base / "plain.yaml"
    path.write_text(PLAIN_SCENARIO)
    out = base / "run"
    args = ["run", str(path), "--propagator", "fast", "--no-eclipses", "--out", str(out), "--json"]
    assert main(args) == 0
    return out


@pytest.fixture()
def net_copy(net_run, tmp_path):
    """A private copy of ``net_run`` that a test may add files to."""
    dst = tmp_path / "run"
    shutil.copytree(net_run, dst)
    return dst
