"""The compiled kernels and their NumPy twins give the same bits, so choosing by run size
(:mod:`orbitcloud.accel`) changes no result; and the network summary's no-ISL shortcut gives the
figures of the full graph."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from orbitcloud import accel


def _run_json(env_numba: str, *argv: str) -> dict:
    """``orbitcloud run`` in a fresh process with ORBITCLOUD_NUMBA set (the choice is per process)."""
    import os

    env = {**os.environ, "ORBITCLOUD_NUMBA": env_numba}
    code = "import sys; from orbitcloud.cli import main; sys.exit(main(sys.argv[1:]))"
    out = subprocess.run([sys.executable, "-c", code, "run", *argv, "--json"], capture_output=True, text=True, env=env, check=True)
    s = json.loads(out.stdout)
    for key in ("wall_time_s", "satellite_steps_per_s"):
        s.pop(key)
    if s.get("network"):
        s["network"].pop("wall_time_s")
    return s


def test_kernels_and_twins_give_the_same_run():
    """three-body-12 exercises the bus, the radiation lookup, ground visibility and the workloads."""
    a = _run_json("1", "three-body-12", "--duration", "2h")
    b = _run_json("0", "three-body-12", "--duration", "2h")
    assert a == b


def test_radiation_lookup_twin_is_bit_identical():
    from orbitcloud.environment.radiation import RadiationGrid, RadiationSpec

    g = RadiationGrid.build(500.0, 700.0, RadiationSpec())
    rng = np.random.default_rng(7)
    n = 50_000
    lat, lon = rng.uniform(-90, 90, n), rng.uniform(-180, 180, n)
    r = 6_378_137.0 + rng.uniform(480e3, 720e3, n)
    x = r * np.cos(np.radians(lat)) * np.cos(np.radians(lon))
    y = r * np.cos(np.radians(lat)) * np.sin(np.radians(lon))
    z = r * np.sin(np.radians(lat))
    # the edges: longitude +180 exactly, the poles, a missing position
    x = np.append(x, [-7e6, 0.0, 0.0, np.nan])
    y = np.append(y, [0.0, 0.0, 0.0, 1.0])
    z = np.append(z, [0.0, 7e6, -7e6, 1.0])
    for dtype in (np.float64, np.float32):
        for fn in (g.dose_rate_rad_s, g.proton_flux_cm2_s):
            fast = fn(x.astype(dtype), y.astype(dtype), z.astype(dtype), use_numba=True)
            ref = fn(x.astype(dtype), y.astype(dtype), z.astype(dtype), use_numba=False)
            np.testing.assert_array_equal(fast, ref)


def test_run_size_and_environment_choose(monkeypatch):
    monkeypatch.delenv("ORBITCLOUD_NUMBA", raising=False)
    accel.set_run_size(accel.MIN_SAT_STEPS - 1)
    assert not accel.use_numba()
    accel.set_run_size(accel.MIN_SAT_STEPS)
    assert accel.use_numba() == accel.numba_installed()
    monkeypatch.setenv("ORBITCLOUD_NUMBA", "0")
    assert not accel.use_numba()
    monkeypatch.setenv("ORBITCLOUD_NUMBA", "1")
    accel.set_run_size(10)
    assert accel.use_numba() == accel.numba_installed()
    accel.set_run_size(None)


def test_small_runs_do_not_import_numba():
    code = ("import sys, orbitcloud as oc; oc.run('three-body-12', duration='1h'); "
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


BENT_PIPE = """
name: bent-pipe
epoch: 2026-03-20T00:00:00Z
duration: 3h
step: 60s
constellation:
  - {kind: walker, altitude_km: 550, inclination_deg: 53, planes: 6, sats_per_plane: 8, phasing: 1}
ground:
  stations:
    - {name: Madrid, lat_deg: 40.4, lon_deg: -3.7}
    - {name: Canberra, lat_deg: -35.3, lon_deg: 149.1}
    - {name: Singapore, lat_deg: 1.35, lon_deg: 103.8}
  min_elevation_deg: 10
  max_tracked: 2
"""


def test_network_summary_without_isls_matches_the_graph(tmp_path, monkeypatch):
    """With no ISLs the summary takes each satellite's nearest station in view directly; forcing the
    graph path (csgraph Dijkstra over the same links) gives the same figures, bit for bit."""
    import orbitcloud as oc
    from orbitcloud.network import summary as NS

    path = tmp_path / "b.yaml"
    path.write_text(BENT_PIPE)
    fast = oc.run(str(path)).summary["network"]
    monkeypatch.setattr(NS.NetworkSummary, "_bent_pipe", property(lambda self: False))
    graph = oc.run(str(path)).summary["network"]
    fast.pop("wall_time_s")
    graph.pop("wall_time_s")
    assert fast == graph
    assert 0.0 < fast["gateway_reachable_fraction"] < 1.0
