"""Battery ageing inside runs (bus/ageing_fleet.py): capacity fades once a day, the energy books still
balance, and the result does not depend on chunking, block size or worker count."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import orbitcloud as oc
from orbitcloud.bus.ageing import AgeingState, ageing_model

from test_bus_run import ENERGY as _ENERGY
from test_bus_run import run

# the bus test scenario with battery ageing on (it is opt-in: hardware.battery.ageing)
ENERGY = _ENERGY.replace("battery: {capacity_wh: 400,", "battery: {ageing: xu2018-lmo, capacity_wh: 400,")
THREE_DAYS = ENERGY.replace("duration: 1d", "duration: 3d") if "duration: 1d" in ENERGY else None


def _three_days() -> str:
    assert THREE_DAYS is not None, "the bus test scenario changed its duration line"
    return THREE_DAYS


def test_capacity_fades_and_the_books_balance_over_three_days():
    fleet, bp, spec, res = run(_three_days())
    b = res.bus
    busy = bp.has
    left = b.ageing["capacity_left"]
    assert np.all(np.isnan(left[~busy]))
    assert np.all((left[busy] < 1.0) & (left[busy] > 0.98)), left
    assert np.all(b.ageing["cycles"][busy] > 1.0)
    # the caller's parameters are not changed by the run (the block keeps its own capacities)
    s = {k: v * spec.step_s for k, v in b.sums.items()}
    e0 = bp.p["soc_initial"] * bp.p["capacity_j"]
    lhs = s["gen"] - s["curtailed"] - s["load"] - s["loss"]
    rhs = b.e_final_j - e0
    scale = s["charge"] + s["from_battery"]
    assert np.all(np.abs(lhs - rhs)[busy] <= 1e-6 * scale[busy]), (lhs, rhs)


def test_ageing_does_not_depend_on_chunking_or_workers():
    a = run(_three_days(), workers=1)[3].bus
    b = run(_three_days(), workers=2)[3].bus
    c = run(_three_days(), workers=1, chunk_elems=64 * 3)[3].bus
    for other in (b, c):
        for key in ("capacity_left", "cycles"):
            assert np.array_equal(a.ageing[key], other.ageing[key], equal_nan=True), key
        assert np.array_equal(a.e_final_j, other.e_final_j)
        assert np.array_equal(a.sums["loss"], other.sums["loss"])


def test_the_run_counts_what_a_direct_count_of_its_records_gives():
    """The fleet's counter sees every step: replaying the recorded state of charge (every step)
    through a fresh counter gives the same capacity left, to the day-boundary capacity updates."""
    fleet, bp, spec, res = run(ENERGY, record=1)
    rec = res.records
    i = int(np.flatnonzero(bp.has)[0])
    sel = rec["satellite"] == i
    order = np.argsort(rec["step"][sel])
    soc = rec["soc"][sel][order]
    t_k = rec["t_k"][sel][order]
    st = AgeingState(ageing_model(), np.array([bp.p["soc_initial"][i]]), np.array([bp.p["t_initial_k"][i]]))
    st.steps(soc[:, None], t_k[:, None], spec.step_s)
    assert res.bus.ageing["capacity_left"][i] == pytest.approx(float(st.capacity_fraction()[0]), rel=1e-12)


def test_ageing_can_be_turned_off_and_a_bad_model_is_named():
    from orbitcloud.errors import OrbitcloudError

    s = oc.run("three-body-12", duration="2h").summary
    assert s["shells"][0]["bus"]["battery_ageing"] == "xu2018-lmo"
    text = ENERGY.replace("ageing: xu2018-lmo", "ageing: none")
    assert text != ENERGY
    fleet, bp, spec, res = run(text)
    assert res.bus.ageing is None
    assert run(_ENERGY)[3].bus.ageing is None  # off unless asked for
    with pytest.raises(OrbitcloudError, match="unknown ageing model 'lfp-magic'; known: none, xu2018-lmo"):
        run(ENERGY.replace("ageing: xu2018-lmo", "ageing: lfp-magic"))


def test_dataclass_replace_keeps_the_ageing_codes():
    fleet, bp, spec, res = run(ENERGY)
    assert bp.ageing_models == ("xu2018-lmo",)
    sub = dataclasses.replace(bp)
    assert sub.ageing_code is bp.ageing_code
    assert np.array_equal(bp.slice(1, 3).ageing_code, bp.ageing_code[1:3])
