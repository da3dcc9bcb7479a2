"""Battery ageing: the Xu et al. (2018) capacity-fade model and the streaming half-cycle counter.

References used here (independent of the code under test):

* Xu, Oudalov, Ulbig, Andersson & Kirschen, "Modeling of Lithium-Ion Battery Degradation for Cell Life
  Assessment", IEEE Trans. Smart Grid 9(2):1131-1140, 2018: the model's equations and its LMO parameter
  table are typed in again below (``_xu_closed_form``, ``XU_LMO``), as published, without reading the
  catalog;
* measured data (``battery_ageing.yaml``, ``points``): the source's own validation test, remaining
  capacity of its LMO cells after N DST test cycles at 20 C in seven state-of-charge windows, as
  digitised from the paper's figure by a third party (the catalog's ``source`` says which files, and that
  they are not re-verified against the journal figure); and (``cycle_life_points``) the source's cycle
  life to 80 % capacity against depth of discharge, a known deviation of the model, checked as such;
* ``model_points`` are NOT data: the published model evaluated for some protocols, a regression check of
  the closed form and the streaming counter only;
* the synthetic LEO profile: a sinusoid of state of charge between 0.7 and 1.0 with a 95 min period
  has 30 d / 95 min = 454.74 full cycles of depth 0.30 in 30 days and a throughput of 2 x 0.30 per
  cycle (equivalent full cycles = 0.30 x 454.74 = 136.42);
* plausibility of a year of LEO cycling: GS Yuasa's space Li-ion cells met the life requirement after
  40,000 LEO cycles (7 years) at 25 % DoD (Imamura, Inoue, Yoshida & Komada, 27th Space Energy
  Symposium, JAXA/ISAS, 2008), and JAXA reports > 30,000 simulated-LEO cycles for large cells ("Cycle-life
  testing of large-capacity lithium-ion cells in simulated satellite operation", J. Power Sources,
  abstract). Space cells at 25-30 % DoD therefore lose at most a few per cent a year; the model's
  commercial LMO cell is not space-grade, so a year at 30 % DoD may cost more, but not a large
  fraction of the capacity. At 80 % DoD the source's own cell life is about 5,500 cycles to 80 %
  capacity (25 C, 50 % SoC), i.e. about one LEO year: a year at 80 % DoD should end near 80 %.
"""

from __future__ import annotations

import itertools
import math
from importlib import resources

import numpy as np
import pytest
import yaml

from orbitcloud.bus import ageing
from orbitcloud.bus.ageing import AgeingState, ageing_model, ageing_model_names, fade_for_protocol
from orbitcloud.errors import OrbitcloudError

ZERO_C_K = 273.15
DAY_S = 86400.0
ORBIT_S = 95 * 60.0  # the LEO period of the brief (issue 17, part 3)

#: Xu et al. 2018, the LMO cell's parameter table, typed in as published.
XU_LMO = {"k_d1": 1.40e5, "k_d2": -5.01e-1, "k_d3": -1.23e5, "k_s": 1.04, "s_ref": 0.5, "k_T": 6.93e-2,
          "T_ref": 25.0 + ZERO_C_K, "k_t": 4.14e-10, "a_sei": 5.75e-2, "b_sei": 121.0}


def _xu_closed_form(dod, cycles, mean_soc, temp_c, days, p=XU_LMO):
    """The paper's model for a regular protocol, written out independently of orbitcloud.bus.ageing."""
    t_k = temp_c + ZERO_C_K
    s_d = 0.0 if dod == 0 else 1.0 / (p["k_d1"] * dod ** p["k_d2"] + p["k_d3"])
    s_s = math.exp(p["k_s"] * (mean_soc - p["s_ref"]))
    s_t = math.exp(p["k_T"] * (t_k - p["T_ref"]) * p["T_ref"] / t_k)
    f = cycles * s_d * s_s * s_t + p["k_t"] * days * DAY_S * s_s * s_t
    return p["a_sei"] * math.exp(-p["b_sei"] * f) + (1 - p["a_sei"]) * math.exp(-f)


def _raw(name: str = "xu2018-lmo") -> dict:
    text = resources.files("orbitcloud.catalog").joinpath("battery_ageing.yaml").read_text("utf-8")
    return yaml.safe_load(text)[name]


#: NOT measured: the model's own equation for some protocols (regression checks of the closed form / counter).
CASES = _raw()["model_points"]["cases"]
#: MEASURED: the source's DST validation test (digitised), and its DST protocol.
MEASURED = _raw()["points"]
DST_CASES = MEASURED["cases"]
#: MEASURED: the source's cycle life to 80 % capacity against depth of discharge (digitised).
CYCLE_LIFE = _raw()["cycle_life_points"]


def _sawtooth(dod: float, mean_soc: float, cycles: int) -> np.ndarray:
    """A triangle wave of state of charge, 4 samples a cycle (top, mean, bottom, mean), starting at the top."""
    one = np.array([mean_soc + dod / 2, mean_soc, mean_soc - dod / 2, mean_soc])
    return np.tile(one, cycles)


def _leo(t_s: np.ndarray, dod: float, top: float = 1.0) -> np.ndarray:
    """Sinusoidal LEO state of charge between ``top - dod`` and ``top``, one swing per orbit."""
    return (top - dod / 2) + (dod / 2) * np.cos(2 * np.pi * t_s / ORBIT_S)


# --------------------------------------------------------------------------------------------------
# (a) the model against its source
# --------------------------------------------------------------------------------------------------


def test_catalog_parameters_are_the_published_table():
    m = ageing_model("xu2018-lmo")
    got = (m.k_delta1, m.k_delta2, m.k_delta3, m.k_sigma, m.sigma_ref, m.k_temp_per_k, m.temp_ref_k, m.k_cal_per_s,
           m.alpha_sei, m.beta_sei)
    p = XU_LMO
    assert got == (p["k_d1"], p["k_d2"], p["k_d3"], p["k_s"], p["s_ref"], p["k_T"], p["T_ref"], p["k_t"], p["a_sei"],
                   p["b_sei"])
    assert "2018" in m.source and "Xu" in m.source


# -- the model against MEASURED data: the source's DST validation test --------------------------------
#
# What the "matches its source's published fade curve within 10 %" means here: the source's figure
# plots the remaining capacity (state of health) against cycles, so "within 10 %" is read, as before, as the
# model's remaining capacity within 10 % (relative) of the measured remaining capacity. Observed: at most
# 4.2 %. On these data that bound is weak (every measured point keeps >= 77.6 % of its capacity; a model
# with no fade at all is within 10 % on 17 of the 44 points), so the test also pins the model to
# RETENTION_TOL_PP = 4 percentage points of the initial capacity (|C_model - C_measured| <= 0.04). That
# bound was set after seeing the errors (largest 3.5 points, 100-50 % window near 3,000 cycles; rms 1.6)
# with 0.5 point for the digitisation scatter: it is a regression bound, and it discriminates (no fade
# fails it on 43 points, the DST test without its pulses on 13). In fade units (1 - C) the model is NOT
# within 10 %: from 22 % below to 24 % above the measured fade (docs/power.md, "Battery ageing",
# Validation); that is reported, not tested away.

RETENTION_TOL_PP = 4.0


def _dst_profile(soc_min: float, soc_max: float, proto: dict = MEASURED["protocol"]):
    """(t [s], soc) of one DST test cycle: the DST profile repeated from ``soc_max`` down to ``soc_min`` (cut
    where it is reached), then a recharge at ``recharge_c_rate`` to ``soc_max``. Piecewise linear."""
    steps = list(zip(proto["step_s"], proto["step_c_rate"]))
    t, s = 0.0, soc_max
    ts, ss = [t], [s]
    while s > soc_min + 1e-12:
        for dt, c in steps:
            ds = c * dt / 3600.0  # C-rate x hours = fraction of capacity
            if s + ds < soc_min:
                dt, ds = dt * (soc_min - s) / ds, soc_min - s
            t, s = t + dt, s + ds
            ts.append(t)
            ss.append(s)
            if s <= soc_min + 1e-12:
                break
    t += (soc_max - soc_min) * 3600.0 / proto["recharge_c_rate"]
    ts.append(t)
    ss.append(soc_max)
    return np.array(ts), np.array(ss)


def _rainflow(x) -> list[tuple[float, float, float]]:
    """(range, mean, count) of a periodic signal by rainflow counting (ASTM E1049-85 three-point method),
    written out here independently of orbitcloud's streaming counter: one period, rotated to start at its
    maximum; what is left on the stack is counted as half cycles."""
    rev = [float(x[0])]
    for v in map(float, x[1:]):
        if v == rev[-1]:
            continue
        if len(rev) >= 2 and (rev[-1] - rev[-2]) * (v - rev[-1]) > 0:
            rev[-1] = v  # still going the same way
        else:
            rev.append(v)
    k = int(np.argmax(rev))
    rev = rev[k:] + rev[1:k + 1]
    stack, out = [], []
    for v in rev:
        stack.append(v)
        while len(stack) >= 3 and abs(stack[-1] - stack[-2]) >= abs(stack[-2] - stack[-3]):
            out.append((abs(stack[-2] - stack[-3]), (stack[-2] + stack[-3]) / 2, 1.0))
            del stack[-3:-1]
    out += [(abs(b - a), (a + b) / 2, 0.5) for a, b in itertools.pairwise(stack)]
    return out


def _dst_capacity(case: dict, model=None) -> float:
    """The model's remaining capacity after the case's DST test cycles: the paper's method, rainflow cycles of
    the state-of-charge profile each adding ``n S_d S_s S_T``, plus the calendar term at the time-average state
    of charge, through the SEI two-term life model."""
    m = model or ageing_model("xu2018-lmo")
    temp_k = MEASURED["protocol"]["temp_c"] + ZERO_C_K
    t, soc = _dst_profile(case["soc_min"], case["soc_max"])
    per_cycle = sum(n * float(m.stress_dod(d) * m.stress_soc(s)) for d, s, n in _rainflow(soc))
    per_cycle *= float(m.stress_temp(temp_k))
    soc_avg = float(np.sum(np.diff(t) * (soc[1:] + soc[:-1]) / 2) / t[-1])
    calendar = m.k_cal_per_s * case["cycles"] * t[-1] * float(m.stress_soc(soc_avg) * m.stress_temp(temp_k))
    return float(m.capacity_from_damage(case["cycles"] * per_cycle + calendar))


def _dst_main_cycle_only(case: dict) -> float:
    """fade_for_protocol with the DST test reduced to its one big cycle (depth soc_max - soc_min about the
    window's middle), the DST pulses left out; the calendar days are the test's."""
    t, _ = _dst_profile(case["soc_min"], case["soc_max"])
    return float(fade_for_protocol("xu2018-lmo", case["soc_max"] - case["soc_min"], case["cycles"],
                                   (case["soc_max"] + case["soc_min"]) / 2, MEASURED["protocol"]["temp_c"] + ZERO_C_K,
                                   case["cycles"] * t[-1] / DAY_S))


def _dst_id(c):
    return f"{round(100 * c['soc_max'])}-{round(100 * c['soc_min'])}pct-n{c['cycles']:g}"


def test_measured_points_are_published_data():
    assert MEASURED["measured"] is True and CYCLE_LIFE["measured"] is True
    assert _raw()["model_points"]["measured"] is False
    for block in (MEASURED, CYCLE_LIFE):
        assert block["source"].startswith("MEASURED") and "Xu et al. 2018" in block["source"]
        assert "digitised" in block["source"] and "not re-verified" in block["source"]
    assert _raw()["model_points"]["source"].startswith("NOT MEASURED")
    # seven windows of the source's figure, 44 points; capacity falls along each curve
    windows = {(c["soc_min"], c["soc_max"]) for c in DST_CASES}
    assert windows == {(0.25, 1.0), (0.4, 1.0), (0.5, 1.0), (0.25, 0.85), (0.25, 0.75), (0.45, 0.75), (0.65, 0.75)}
    for w in windows:
        curve = sorted((c for c in DST_CASES if (c["soc_min"], c["soc_max"]) == w), key=lambda c: c["cycles"])
        caps = [c["capacity"] for c in curve]
        assert all(np.diff(caps) < 0), w


def test_dst_profile_and_rainflow_count():
    # the USABC DST profile removes 10 % of the capacity per 360 s at these C-rates (net -360 C-s / 3600)
    proto = MEASURED["protocol"]
    assert sum(proto["step_s"]) == 360
    assert sum(s * c for s, c in zip(proto["step_s"], proto["step_c_rate"])) / 3600 == pytest.approx(-0.10)
    t, soc = _dst_profile(0.25, 1.0)
    assert soc.max() == 1.0 and soc.min() == pytest.approx(0.25, abs=1e-12)
    # down: 7 profiles, then 240.5 s of the 8th (238 s of steps to -160 C-s, 2.5 s of the 8C step to -180 C-s,
    # the last 5 %); up: 0.75 of the capacity at 1C
    assert t[-1] == pytest.approx(7 * 360 + 240.5 + 0.75 * 3600, rel=1e-12)
    cycles = _rainflow(soc)
    assert sum(n * d for d, _, n in cycles if d > 0.5) == pytest.approx(0.75)  # the big cycle, whole
    # + the 5 charge pulses of each of the 7 whole profiles and the 3 before the cut in the 8th, all closed cycles
    assert len(cycles) == 1 + 7 * 5 + 3 and all(n == 1.0 for *_, n in cycles)
    # the summation reduces to fade_for_protocol for a plain cycle (one rainflow cycle of the full depth)
    m = ageing_model("xu2018-lmo")
    tri = _rainflow(np.array([1.0, 0.4, 1.0]))
    assert [(round(d, 12), round(s, 12), n) for d, s, n in tri] == [(0.6, 0.7, 1.0)]  # one period, one cycle
    f = 1000 * sum(n * float(m.stress_dod(d) * m.stress_soc(s) * m.stress_temp(293.15)) for d, s, n in tri)
    want = float(fade_for_protocol(m, 0.6, 1000, 0.7, 293.15))
    assert float(m.capacity_from_damage(f)) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("case", DST_CASES, ids=_dst_id)
def test_model_matches_the_measured_dst_fade(case):
    """The model, on the source's own validation protocol, against the measured remaining capacity."""
    got = _dst_capacity(case)
    assert got == pytest.approx(case["capacity"], rel=0.10)  # the 10 % (of remaining capacity)
    assert abs(got - case["capacity"]) * 100 <= RETENTION_TOL_PP  # the bound that can fail


def test_measured_dst_errors_summary():
    """All 44 points at once: errors as reported in docs/power.md (Validation)."""
    got = np.array([_dst_capacity(c) for c in DST_CASES])
    meas = np.array([c["capacity"] for c in DST_CASES])
    err_pp = 100 * (got - meas)
    assert np.max(np.abs(got / meas - 1)) < 0.045  # the 10 %: 4.2 % at most
    assert np.max(np.abs(err_pp)) < 3.6 and np.sqrt(np.mean(err_pp**2)) < 1.7  # 3.52 and 1.60 points
    fade_rel = (1 - got) / (1 - meas) - 1
    assert -0.24 < fade_rel.min() < -0.20 and 0.22 < fade_rel.max() < 0.26  # fade: NOT within 10 % everywhere
    # systematic, not scatter: windows that reach 100 % state of charge fade faster than the model (all 16
    # points), windows at or below 85 % slower (26 of 28)
    top = np.array([c["soc_max"] == 1.0 for c in DST_CASES])
    assert np.all(err_pp[top] > 0) and np.sum(err_pp[~top] < 0) >= 26
    # the bound discriminates: no fade at all fails it on most points, and so does the DST test reduced to its
    # one big cycle (fade_for_protocol), which under-predicts the fade on every point: in this model the DST
    # pulses (0.2-0.9 % of capacity each, ~5 a profile) carry 33-45 % of the cycle damage
    assert np.sum(100 * (1 - meas) > RETENTION_TOL_PP) == 43
    main = np.array([_dst_main_cycle_only(c) for c in DST_CASES])
    assert np.all(main > meas)
    assert np.sum(100 * (main - meas) > RETENTION_TOL_PP) == 13 and np.max(100 * (main - meas)) > 7.5


def test_known_deviation_cycle_life_to_80_percent():
    """KNOWN DEVIATION (docs/power.md): against the source's cycle-life-to-80 % data (digitised, 25 C, 50 % SoC)
    the published parameters give 6-33 % fewer cycles, i.e. 0.74-0.79 capacity where the cells measured 0.80:
    within the issue's 10 % of remaining capacity (<= 7.9 %), not within 3 points at high depth."""
    m = ageing_model("xu2018-lmo")
    temp_k = CYCLE_LIFE["temp_c"] + ZERO_C_K
    dod = np.array([c["dod"] for c in CYCLE_LIFE["cases"]])
    n80 = np.array([c["cycles_to_80"] for c in CYCLE_LIFE["cases"]], dtype=float)
    cap = fade_for_protocol(m, dod, n80, CYCLE_LIFE["mean_soc"], temp_k, 0.0)
    np.testing.assert_allclose(cap, 0.80, rtol=0.10)
    assert np.all(cap < 0.80)  # the model fades faster than these cells, at every depth
    assert np.max(100 * (0.80 - cap)) > RETENTION_TOL_PP  # 6.3 points at 100 % DoD: documented, not hidden
    # as cycle life: bisection on fade_for_protocol
    lo, hi = np.ones_like(dod), np.full_like(dod, 1e7)
    for _ in range(200):
        mid = np.sqrt(lo * hi)
        above = fade_for_protocol(m, dod, mid, CYCLE_LIFE["mean_soc"], temp_k, 0.0) > 0.8
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    ratio = lo / n80
    assert np.all((ratio > 0.65) & (ratio < 0.95))


# -- model_points: NOT data, the model's own equation (regression checks) -----------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"dod{c['dod']}-n{c['cycles']}-{c['temp_c']}C-{c['days']}d")
def test_model_points_are_the_published_equation(case):
    # the catalog's 4-digit model_points are the source's model: 6e-5 covers the rounding
    ref = _xu_closed_form(case["dod"], case["cycles"], case["mean_soc"], case["temp_c"], case["days"])
    assert case["capacity"] == pytest.approx(ref, abs=6e-5)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"dod{c['dod']}-n{c['cycles']}-{c['temp_c']}C-{c['days']}d")
def test_fade_for_protocol_reproduces_the_model_points(case):
    got = fade_for_protocol("xu2018-lmo", case["dod"], case["cycles"], case["mean_soc"], case["temp_c"] + ZERO_C_K,
                            case["days"])
    assert got == pytest.approx(case["capacity"], abs=6e-5)  # the closed form, to the catalog's rounding


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"dod{c['dod']}-n{c['cycles']}-{c['temp_c']}C-{c['days']}d")
def test_streamed_protocol_reproduces_the_model_points(case):
    """The protocol as a time series through the streaming counter gives the closed form's value."""
    temp_k = case["temp_c"] + ZERO_C_K
    if case["cycles"]:
        soc = _sawtooth(case["dod"], case["mean_soc"], int(case["cycles"]))
        dt = case["days"] * DAY_S / soc.size
    else:  # storage: constant state of charge, one step a day
        soc = np.full(round(case["days"]), case["mean_soc"])
        dt = case["days"] * DAY_S / soc.size
    st = AgeingState("xu2018-lmo", soc[:1], temp_k)
    st.steps(soc[:, None], temp_k, dt)
    cap = st.capacity_fraction()[0]
    # counting is exact for this profile; the calendar term's mean-of-exp over a 100 % swing is 4.6 % above
    # exp-of-mean (sinh(0.52)/0.52), a fraction of a per cent of capacity
    assert cap == pytest.approx(case["capacity"], abs=0.005)
    s = st.stats()
    assert s["full_cycles"][0] == pytest.approx(case["cycles"], abs=0.5)  # the last half cycle is still open


def test_cycle_life_at_the_reference_state():
    # the source's curve at 25 C and 50 % SoC, without calendar time: 80 % capacity after ~2,790 cycles at
    # 100 % DoD and ~21,800 at 30 % DoD (closed form above, solved by bisection)
    def cycles_to(cap, dod):
        lo, hi = 1.0, 1e7
        for _ in range(200):
            mid = math.sqrt(lo * hi)
            lo, hi = (mid, hi) if _xu_closed_form(dod, mid, 0.5, 25.0, 0.0) > cap else (lo, mid)
        return lo

    for dod, n_ref in ((1.0, 2787), (0.3, 21787)):
        n = cycles_to(0.8, dod)
        assert n == pytest.approx(n_ref, rel=1e-3)
        assert fade_for_protocol("xu2018-lmo", dod, n) == pytest.approx(0.8, abs=1e-9)


# --------------------------------------------------------------------------------------------------
# (b) the streaming counter on a synthetic LEO profile; chunking
# --------------------------------------------------------------------------------------------------


def _leo_month(noise: float = 0.0, seed: int = 0):
    dt = 60.0
    t = np.arange(1, int(30 * DAY_S / dt) + 1) * dt
    soc = _leo(t, 0.30)
    if noise:
        soc = np.clip(soc + np.random.default_rng(seed).uniform(-noise, noise, soc.size), 0.0, 1.0)
    return t, soc, dt


@pytest.mark.parametrize("noise", [0.0, 0.004])
def test_leo_month_counts_cycles_and_depth(noise):
    _, soc, dt = _leo_month(noise)
    st = AgeingState("xu2018-lmo", np.array([1.0]), 293.15)
    st.steps(soc[:, None], 293.15, dt)
    s = st.stats()
    n_ref = 30 * DAY_S / ORBIT_S  # 454.74
    assert s["full_cycles"][0] == pytest.approx(n_ref, rel=0.01)
    assert s["mean_dod"][0] == pytest.approx(0.30, rel=0.01)
    if not noise:  # noise adds throughput (it is charge moved), not cycles
        assert s["equivalent_full_cycles"][0] == pytest.approx(0.30 * n_ref, rel=0.01)
    # the counted cycles age the battery as the closed form of the same protocol (sinusoid mean 0.85)
    ref = fade_for_protocol("xu2018-lmo", 0.30, n_ref, 0.85, 293.15, 30.0)
    assert st.capacity_fraction()[0] == pytest.approx(ref, abs=2e-4)


def test_leo_sawtooth_counts_cycles():
    dt = 60.0
    t = np.arange(1, int(30 * DAY_S / dt) + 1) * dt
    x = (t % ORBIT_S) / ORBIT_S  # discharge 35 min (eclipse), charge 60 min (sunlit), 0.7 .. 1.0
    soc = np.where(x < 35 / 95, 1.0 - 0.3 * x / (35 / 95), 0.7 + 0.3 * (x - 35 / 95) / (60 / 95))
    st = AgeingState("xu2018-lmo", np.array([1.0]))
    st.steps(soc[:, None], 288.15, dt)
    s = st.stats()
    assert s["full_cycles"][0] == pytest.approx(30 * DAY_S / ORBIT_S, rel=0.01)
    assert s["mean_dod"][0] == pytest.approx(0.30, rel=0.01)


def _random_profile(n_t=1500, n=6, seed=3):
    rng = np.random.default_rng(seed)
    t = np.arange(n_t) * 60.0
    period = rng.uniform(80, 120, n) * 60.0
    depth = rng.uniform(0.05, 0.8, n)
    soc = 1.0 - depth / 2 + depth / 2 * np.cos(2 * np.pi * t[:, None] / period) + rng.normal(0, 0.01, (n_t, n))
    soc = np.clip(soc, 0.0, 1.0)
    soc[200:260, 2] = 0.5  # a rest
    temp = 283.15 + 10 * rng.random((n_t, n))
    return soc, temp


def _state_arrays(st: AgeingState) -> dict:
    out = {k: v.copy() for k, v in vars(st).items() if isinstance(v, np.ndarray)}
    out.update({f"stats.{k}": v for k, v in st.stats().items()})
    out["capacity"] = st.capacity_fraction()
    out["t_s"] = np.array(st._t_s)
    return out


@pytest.mark.parametrize("chunks", ["ones", "seven", "whole", "random"])
def test_steps_equals_repeated_step_exactly(chunks):
    soc, temp = _random_profile()
    n_t = soc.shape[0]
    ref = AgeingState("xu2018-lmo", soc[0], temp[0])
    for k in range(n_t):
        ref.step(soc[k], temp[k], 60.0)
    st = AgeingState("xu2018-lmo", soc[0], temp[0])
    if chunks == "ones":
        cuts = list(range(n_t + 1))
    elif chunks == "seven":
        cuts = list(range(0, n_t, 7)) + [n_t]
    elif chunks == "whole":
        cuts = [0, n_t]
    else:
        rng = np.random.default_rng(11)
        cuts = [0] + sorted(rng.choice(np.arange(1, n_t), 40, replace=False).tolist()) + [n_t]
    for a, z in itertools.pairwise(cuts):
        st.steps(soc[a:z], temp[a:z], 60.0)
    got, want = _state_arrays(st), _state_arrays(ref)
    assert got.keys() == want.keys()
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def test_steps_temperature_forms_agree():
    soc, _ = _random_profile(n_t=300, n=4)
    temps = np.linspace(280.0, 300.0, soc.shape[0])
    a = AgeingState("xu2018-lmo", soc[0], 290.0)
    b = AgeingState("xu2018-lmo", soc[0], 290.0)
    a.steps(soc, temps, 30.0)  # (T,)
    b.steps(soc, np.repeat(temps[:, None], 4, axis=1), 30.0)  # (T, n)
    np.testing.assert_array_equal(a.capacity_fraction(), b.capacity_fraction())
    c = AgeingState("xu2018-lmo", soc[0], 290.0)
    d = AgeingState("xu2018-lmo", soc[0], 290.0)
    c.steps(soc, 290.0, 30.0)
    for k in range(soc.shape[0]):
        d.step(soc[k], 290.0, 30.0)
    np.testing.assert_array_equal(c.capacity_fraction(), d.capacity_fraction())


# --------------------------------------------------------------------------------------------------
# (c) monotonic in depth and temperature; calendar fade alone
# --------------------------------------------------------------------------------------------------


def test_deeper_cycles_age_faster():
    dods = np.array([0.1, 0.2, 0.3, 0.5, 0.8, 1.0])
    cap = fade_for_protocol("xu2018-lmo", dods, 5000, 0.5, 298.15, 100.0)
    assert np.all(np.diff(cap) < 0)
    # per unit of charge moved, deep cycles cost more than LEO-depth ones (the source's S_d / d has its
    # minimum near 30 % DoD: 2.5e-5 per equivalent full cycle there, 3.7e-5 at 80 %, 5.9e-5 at 100 %)
    per_efc = ageing_model().stress_dod(dods) / dods
    np.testing.assert_allclose(per_efc[[2, 4, 5]], [2.508e-5, 3.725e-5, 5.882e-5], rtol=1e-3)
    # streamed: the same orbit at 30 % and 60 % DoD
    dt = 120.0
    t = np.arange(1, int(10 * DAY_S / dt) + 1) * dt
    soc = np.stack([_leo(t, 0.3), _leo(t, 0.6)], axis=1)
    st = AgeingState("xu2018-lmo", soc[0], 293.15)
    st.steps(soc, 293.15, dt)
    s = st.stats()
    assert s["fade_cycling"][1] > 1.5 * s["fade_cycling"][0]
    assert st.capacity_fraction()[1] < st.capacity_fraction()[0]


def test_warmer_cells_age_faster():
    temps = np.array([0.0, 10.0, 20.0, 30.0, 40.0]) + ZERO_C_K
    for dod, cycles in ((0.0, 0), (0.3, 5000)):
        cap = fade_for_protocol("xu2018-lmo", dod, cycles, 0.85, temps, 365.0)
        assert np.all(np.diff(cap) < 0)
    dt = 300.0
    t = np.arange(1, int(5 * DAY_S / dt) + 1) * dt
    soc = np.repeat(_leo(t, 0.3)[:, None], 2, axis=1)
    st = AgeingState("xu2018-lmo", soc[0], 273.15)
    st.steps(soc, np.tile([273.15, 303.15], (t.size, 1)), dt)  # (T, n): 0 C and 30 C
    s = st.stats()
    assert s["fade_cycling"][1] > s["fade_cycling"][0] and s["fade_calendar"][1] > s["fade_calendar"][0]


def test_calendar_fade_without_cycling():
    st = AgeingState("xu2018-lmo", np.array([0.5, 0.9]), 298.15)
    n_t = 30 * 24
    st.steps(np.tile([0.5, 0.9], (n_t, 1)), 298.15, 3600.0)
    s = st.stats()
    assert np.all(s["fade"] > 0) and np.all(s["fade_calendar"] > 0)
    np.testing.assert_array_equal(s["half_cycles"], 0.0)
    np.testing.assert_array_equal(s["fade_cycling"], 0.0)
    assert s["fade"][1] > s["fade"][0]  # higher state of charge ages faster
    ref = fade_for_protocol("xu2018-lmo", 0.0, 0, np.array([0.5, 0.9]), 298.15, 30.0)
    np.testing.assert_allclose(st.capacity_fraction(), ref, rtol=1e-12)


def test_small_noise_is_not_a_cycle():
    rng = np.random.default_rng(5)
    soc = np.clip(0.8 + rng.uniform(-0.004, 0.004, 5000), 0, 1)  # +-0.4 %, below the 1 % hysteresis
    st = AgeingState("xu2018-lmo", soc[:1])
    st.steps(soc[:, None], 293.15, 60.0)
    s = st.stats()
    assert s["half_cycles"][0] == 0 and s["fade_cycling"][0] == 0.0
    assert s["equivalent_full_cycles"][0] > 0  # the charge still moved


# --------------------------------------------------------------------------------------------------
# (d) a year of LEO cycling at 30 % and 80 % depth of discharge
# --------------------------------------------------------------------------------------------------


def test_a_leo_year_at_30_and_80_percent_dod():
    dt = ORBIT_S / 10  # 570 s: ten samples an orbit, the extremes among them
    t = np.arange(1, round(365.25 * DAY_S / dt) + 1) * dt
    soc = np.stack([_leo(t, 0.30), _leo(t, 0.80)], axis=1)  # 0.7-1.0 and 0.2-1.0
    st = AgeingState("xu2018-lmo", soc[0], 293.15)
    st.steps(soc, 293.15, dt)  # battery at 20 C, mid-range of the 0-30 C of satellite batteries
    cap = st.capacity_fraction()
    s = st.stats()
    n_year = 365.25 * DAY_S / ORBIT_S
    np.testing.assert_allclose(s["full_cycles"], n_year, rtol=0.01)
    ref = fade_for_protocol("xu2018-lmo", np.array([0.3, 0.8]), n_year, np.array([0.85, 0.6]), 293.15, 365.25)
    np.testing.assert_allclose(cap, ref, atol=0.003)  # streamed = closed form (0.892, 0.820)
    # plausible ranges (module docstring of this file): 30 % DoD loses a few to ~15 %; 80 % ends near the
    # source's cell life, 80 % capacity
    assert 0.85 <= cap[0] <= 0.97
    assert 0.70 <= cap[1] <= 0.90
    assert 1 - cap[1] > 1.5 * (1 - cap[0])  # draining every eclipse pays for it
    assert s["fade_cycling"][1] > 1.8 * s["fade_cycling"][0]  # 0.166 vs 0.082


# --------------------------------------------------------------------------------------------------
# (e) bad values
# --------------------------------------------------------------------------------------------------


def test_model_names_and_unknown_model():
    assert ageing_model_names() == ["xu2018-lmo"]
    assert ageing_model().name == ageing.DEFAULT_MODEL == "xu2018-lmo"
    with pytest.raises(OrbitcloudError, match=r"unknown battery ageing model 'nope'; known: xu2018-lmo"):
        ageing_model("nope")
    with pytest.raises(OrbitcloudError, match="known: xu2018-lmo"):
        AgeingState("nope", np.array([0.5]))
    with pytest.raises(OrbitcloudError, match="known"):
        fade_for_protocol("nope", 0.3, 10)


def test_bad_state_of_charge_time_step_and_temperature():
    st = AgeingState("xu2018-lmo", np.array([0.5, 0.6]))
    before = _state_arrays(st)
    for bad in ([0.5, 1.2], [-0.1, 0.5], [np.nan, 0.5]):
        with pytest.raises(OrbitcloudError, match=r"state of charge must be in \[0, 1\]"):
            st.step(np.array(bad), 293.15, 60.0)
    with pytest.raises(OrbitcloudError, match=r"state of charge must be in \[0, 1\]"):
        st.steps(np.array([[0.5, 0.6], [0.5, 1.01]]), 293.15, 60.0)
    with pytest.raises(OrbitcloudError, match="dt_s"):
        st.step(np.array([0.5, 0.6]), 293.15, -1.0)
    with pytest.raises(OrbitcloudError, match="dt_s"):
        st.steps(np.array([[0.5, 0.6]]), 293.15, -60.0)
    with pytest.raises(OrbitcloudError, match="kelvin"):
        st.step(np.array([0.5, 0.6]), -5.0, 60.0)
    with pytest.raises(OrbitcloudError, match="shape"):
        st.step(np.array([0.5, 0.6, 0.7]), 293.15, 60.0)
    with pytest.raises(OrbitcloudError, match="shape"):
        st.steps(np.array([0.5, 0.6]), 293.15, 60.0)
    after = _state_arrays(st)
    for key in before:  # a refused step changes nothing
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)
    with pytest.raises(OrbitcloudError, match=r"state of charge must be in \[0, 1\]"):
        AgeingState("xu2018-lmo", np.array([1.5]))
    with pytest.raises(OrbitcloudError, match="hysteresis"):
        AgeingState("xu2018-lmo", np.array([0.5]), hysteresis=0.0)


def test_bad_protocol():
    with pytest.raises(OrbitcloudError, match="dod"):
        fade_for_protocol("xu2018-lmo", 1.5, 10)
    with pytest.raises(OrbitcloudError, match="cycles"):
        fade_for_protocol("xu2018-lmo", 0.3, -1)
    with pytest.raises(OrbitcloudError, match="leaves"):
        fade_for_protocol("xu2018-lmo", 0.8, 10, mean_soc=0.9)
    with pytest.raises(OrbitcloudError, match="kelvin"):
        fade_for_protocol("xu2018-lmo", 0.3, 10, temp_k=20.0 - 273.15)
    with pytest.raises(OrbitcloudError, match="days"):
        fade_for_protocol("xu2018-lmo", 0.3, 10, days=-1)
