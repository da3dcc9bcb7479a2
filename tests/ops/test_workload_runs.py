"""Workloads inside runs: policies, conservation, determinism, autonomy and bad input (ops/controller.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitcloud.errors import OrbitcloudError
from orbitcloud.job import JobOptions, run_scenario

from workload_scenarios import SHELL_53, _scenario  # noqa: F401 (shared with tests/sim)


@pytest.fixture(scope="module")
def policy_runs(tmp_path_factory):
    path = _scenario(tmp_path_factory.mktemp("p"))
    return {pol: run_scenario(path, JobOptions(policy=pol)) for pol in ("first-fit", "power-aware", "follow-the-sun")}


def _thr_power(summary) -> float:
    return summary["shells"][0]["bus"]["throttled_fraction_power"]


def test_power_aware_throttles_less_than_first_fit_in_eclipse(policy_runs):
    """First-fit keeps the lowest-index replicas busy through every eclipse and runs their small
    batteries flat; power-aware moves the replicas to sunlit satellites with charge."""
    ff, pa = policy_runs["first-fit"], policy_runs["power-aware"]
    assert ff["shells"][0]["eclipses"] > 0
    assert _thr_power(ff) > 0.0
    assert _thr_power(pa) < 0.5 * _thr_power(ff), (_thr_power(pa), _thr_power(ff))
    # the power-aware operator never lets a battery reach the bottom of its window as often
    assert pa["bus"]["soc_min"] >= ff["bus"]["soc_min"]
    # both served the same demand: identical arrivals, nearly everything served
    assert pa["workloads"]["inference"]["requests"] == ff["workloads"]["inference"]["requests"]
    for s in (ff, pa):
        inf = s["workloads"]["inference"]
        assert inf["served"] + inf["pending"] + inf["unreachable"] == inf["requests"]
        assert inf["served"] > 0.95 * inf["requests"]


def test_follow_the_sun_also_avoids_eclipse_throttling(policy_runs):
    assert _thr_power(policy_runs["follow-the-sun"]) < _thr_power(policy_runs["first-fit"])


def test_first_fit_tokens_are_energy_metered(policy_runs):
    inf = policy_runs["first-fit"]["workloads"]["inference"]
    assert inf["tokens_out"] > 0 and inf["compute_energy_kwh"] > 0
    assert inf["tokens_per_kwh"] == pytest.approx(inf["tokens_out"] / inf["compute_energy_kwh"], rel=1e-6)
    # TTFT includes at least the user link: two slant ranges of >= 550 km at the speed of light
    assert inf["ttft_s_p50"] >= 2 * 1000e3 / 299_792_458.0


def test_workload_runs_are_deterministic(tmp_path):
    path = _scenario(tmp_path, duration="40min", rate=10)
    a = run_scenario(path, JobOptions(policy="power-aware"))
    b = run_scenario(path, JobOptions(policy="power-aware"))
    for s in (a, b):
        s.pop("wall_time_s")
        s.pop("satellite_steps_per_s")
        s["network"].pop("wall_time_s", None)
    assert a == b


def test_requests_table_accounts_for_every_request(tmp_path):
    import pyarrow.parquet as pq

    path = _scenario(tmp_path, duration="40min", rate=10)
    out = tmp_path / "out"
    s = run_scenario(path, JobOptions(out=out))
    req = pq.read_table(out / "requests.parquet").to_pydict()
    inf = s["workloads"]["inference"]
    assert len(req["request"]) == inf["requests"] == len(set(req["request"]))
    status = np.asarray(req["status"])
    assert (status == "served").sum() == inf["served"]
    assert (status == "pending").sum() == inf["pending"]
    served = status == "served"
    assert np.all(np.isfinite(np.asarray(req["ttft_s"])[served]))
    tl = pq.read_table(out / "workload_timeline.parquet").to_pydict()
    assert sum(tl["inference_arrivals"]) == inf["requests"]
    assert sum(tl["inference_served"]) == inf["served"]
    assert sum(tl["inference_tokens_out"]) == inf["tokens_out"]


def test_overload_is_reported_as_queues_not_dropped(tmp_path):
    """Four times what 48 satellites serving one request at a time can serve: queues grow, every
    request is accounted."""
    path = _scenario(tmp_path, duration="10min", rate=200)
    text = open(path).read().replace("max_batch: 64", "max_batch: 1")
    open(path, "w").write(text)
    s = run_scenario(path, JobOptions())
    inf = s["workloads"]["inference"]
    assert inf["active_servers_max"] == 48
    assert inf["queued_at_end"] > 0.5 * inf["requests"]
    assert inf["served"] + inf["pending"] + inf["unreachable"] == inf["requests"]


def test_unreachable_satellites_get_no_new_work(tmp_path):
    """Autonomy: with one gateway that no satellite can reach (a 89 deg elevation mask that nothing
    reaches is not allowed, so: no ISLs and a gateway at the pole a 53 deg shell never sees), no
    replica can be commanded on and every request stays unserved but accounted."""
    text = SHELL_53.format(duration="30min", rate=5, extra="")
    text = text.replace("isl: {topology: plus_grid, capacity_gbps: 100}", "isl: {topology: none}")
    start = text.index("ground:\n")
    end = text.index("workloads:")
    text = text[:start] + "ground:\n  stations:\n    - {name: Pole, lat_deg: 89.9, lon_deg: 0}\n  min_elevation_deg: 25\n" + text[end:]
    path = tmp_path / "u.yaml"
    path.write_text(text, "utf-8")
    s = run_scenario(str(path), JobOptions())
    inf = s["workloads"]["inference"]
    assert inf["active_servers_max"] == 0
    assert inf["served"] == 0
    assert inf["unreachable"] == inf["requests"] > 0


def test_unknown_policy_lists_the_known_ones(tmp_path):
    path = _scenario(tmp_path, duration="10min")
    with pytest.raises(OrbitcloudError, match="known: first-fit, power-aware, follow-the-sun, latency-aware, thermal-aware"):
        run_scenario(path, JobOptions(policy="round-robin"))


def test_unknown_policy_in_the_scenario_is_a_scenario_error(tmp_path):
    path = _scenario(tmp_path, duration="10min", extra="  placement: best-effort")
    with pytest.raises(OrbitcloudError, match=r"policies\.placement.*known: first-fit"):
        run_scenario(path, JobOptions())


def test_model_larger_than_any_placement_is_refused(tmp_path):
    path = _scenario(tmp_path, duration="10min").replace("s.yaml", "s.yaml")
    text = open(path).read().replace("model: llama-3-8b\n    precision: fp8", "model: llama-3-70b\n    precision: bf16")
    open(path, "w").write(text)
    with pytest.raises(OrbitcloudError, match=r"workloads\.inference\.model: .*llama-3-70b.*GB"):
        run_scenario(path, JobOptions())


def test_workloads_need_the_bus(tmp_path):
    """--no-bus means orbits and sunlight only: the workloads, which run on the bus, go off with it,
    and the summary says so; a policy then has nothing to place."""
    path = _scenario(tmp_path, duration="10min")
    s = run_scenario(path, JobOptions(bus=False))
    assert s["workloads"] is None and s["bus"] is None
    assert any("--no-bus" in note and "workloads off" in note for note in s["notes"])
    assert run_scenario(path, JobOptions(bus=False, workloads=False))["workloads"] is None
    with pytest.raises(OrbitcloudError, match="--policy power-aware: the run has no workloads"):
        run_scenario(path, JobOptions(bus=False, policy="power-aware"))


def test_training_and_earth_observation_in_builtins():
    """starcloud-1 trains nanoGPT to completion on its H100; three-body-12 filters > 90 % of its imagery."""
    s = run_scenario("starcloud-1", JobOptions(duration="6h"))
    tr = s["workloads"]["training"]
    assert tr["done"] and tr["tokens_trained"] == pytest.approx(81.92e6)
    t = run_scenario("three-body-12", JobOptions(duration="6h"))
    eo = t["workloads"]["earth_observation"]
    assert eo["downlink_reduction"] > 0.90
    assert eo["conservation_error_b"] == 0
    assert eo["captured_b"] == eo["discarded_b"] + eo["downlinked_b"] + eo["stored_b"] + eo["lost_b"]
    assert math.isfinite(eo["age_p50_s"])


@pytest.mark.shared_data
def test_planet_tle_fleet_images_and_downlinks(shared_data, tmp_path):
    """Planet's real fleet (public TLEs, April 2023) imaging with the Dove camera, no onboard filter:
    bytes are conserved and only part of the raw data comes down through three stations. (Workload
    runs step the bus, so the fleet needs a hardware design; the Starcloud-1 design stands in for the
    Dove bus, which does not matter without an onboard filter.)"""
    text = f"""
name: planet-eo
epoch: 2023-04-20T00:00:00Z
duration: 3h
step: 60s
seed: 1
constellation:
  - kind: tle
    name: planet
    path: {shared_data / "tle" / "planet-2023-04-20.tle"}
    hardware: {{base: starcloud-1}}
ground:
  stations:
    - {{name: Svalbard, lat_deg: 78.23, lon_deg: 15.39}}
    - {{name: Fairbanks, lat_deg: 64.86, lon_deg: -147.85}}
    - {{name: Awarua, lat_deg: -46.53, lon_deg: 168.38}}
  min_elevation_deg: 10
  downlink_gbps: 0.16
workloads:
  earth_observation:
    sensor: planet-dove
    filter: none
    relay: false
"""
    path = tmp_path / "planet.yaml"
    path.write_text(text, "utf-8")
    s = run_scenario(str(path), JobOptions())
    eo = s["workloads"]["earth_observation"]
    assert s["satellites"] > 150
    assert eo["n_satellites"] == s["satellites"]
    assert eo["captured_b"] > 0
    assert eo["captured_b"] == eo["discarded_b"] + eo["downlinked_b"] + eo["stored_b"] + eo["lost_b"]
    assert eo["discarded_b"] == 0  # no filter
    assert 0.0 < eo["downlinked_b"] < eo["captured_b"]
