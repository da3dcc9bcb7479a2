"""Placement policies (ops/policies.py): orders, incumbency, reachability; the CLI comparison table."""

from __future__ import annotations

import numpy as np
import pytest

from orbitcloud.errors import OrbitcloudError
from orbitcloud.ops.policies import POLICY_NAMES, Known, check_policy, select_active


def _known(**kw) -> Known:
    n = 6
    base = dict(
        soc=np.array([0.9, 0.2, 0.8, 0.95, 0.6, 0.7]),
        temp_margin_k=np.array([30.0, 2.0, 10.0, 25.0, 40.0, 1.0]),
        lit=np.array([True, True, False, True, True, True]),
        lit_ahead=np.array([True, True, True, False, True, True]),
        avail=np.ones(n),
        reachable=np.ones(n, bool),
        demand_rtt_s=np.array([0.05, 0.01, 0.02, np.inf, 0.03, 0.04]),
    )
    base.update(kw)
    return Known(**base)


def _pick(policy, n_needed, known=None, incumbent=None):
    k = known or _known()
    inc = np.zeros(6, bool) if incumbent is None else incumbent
    return np.nonzero(select_active(policy, k, np.ones(6, bool), n_needed, inc))[0].tolist()


def test_first_fit_takes_index_order():
    assert _pick("first-fit", 3) == [0, 1, 2]


def test_power_aware_takes_lit_charged_satellites_by_charge():
    # preferred: lit now and ahead with soc >= 0.5 -> 0 (0.9), 4 (0.6), 5 (0.7); by charge: 0, 5, 4
    assert _pick("power-aware", 3) == [0, 4, 5]
    assert _pick("power-aware", 4) == [0, 3, 4, 5]  # then the best of the rest: 3 (0.95, eclipse ahead)


def test_follow_the_sun_ignores_the_battery():
    assert _pick("follow-the-sun", 3) == [0, 1, 4]


def test_latency_aware_takes_the_nearest_to_demand():
    assert _pick("latency-aware", 2) == [1, 2]


def test_thermal_aware_takes_the_coolest_with_margin():
    assert _pick("thermal-aware", 2) == [0, 4]


def test_incumbents_that_qualify_stay():
    inc = np.array([False, False, False, False, True, True])
    # power-aware with one slot: 0 is the best newcomer but the qualifying incumbents come first
    assert _pick("power-aware", 2, incumbent=inc) == [4, 5]


def test_unreachable_newcomers_are_not_activated():
    k = _known(reachable=np.array([False, True, True, True, True, True]))
    assert 0 not in _pick("first-fit", 3, known=k)
    inc = np.array([True, False, False, False, False, False])
    assert 0 in _pick("first-fit", 3, known=k, incumbent=inc)  # an incumbent out of touch keeps serving


def test_check_policy_lists_known_names():
    assert check_policy("power-aware") == "power-aware"
    with pytest.raises(OrbitcloudError, match="known: " + ", ".join(POLICY_NAMES)):
        check_policy("random")


def test_cli_compares_policies_side_by_side(tmp_path, capsys):
    from orbitcloud.cli import main
    from workload_scenarios import _scenario

    path = _scenario(tmp_path, duration="20min", rate=5)
    code = main(["run", path, "--policy", "first-fit", "--policy", "power-aware", "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert code == 0
    assert "policies compared" in out and "first-fit" in out and "power-aware" in out
    assert "time to first token, p50" in out and "throttled by power" in out
    assert (tmp_path / "o" / "first-fit" / "summary.json").exists()
    assert (tmp_path / "o" / "power-aware" / "requests.parquet").exists()


def test_cli_unknown_policy_is_one_line(tmp_path, capsys):
    from orbitcloud.cli import main

    code = main(["run", "three-body-12", "--policy", "first-fit", "--policy", "greedy"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "unknown policy 'greedy'" in err
