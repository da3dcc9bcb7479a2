"""Power-cap operating points (``orbitcloud.compute.operating_points``, catalog ``operating_points.yaml``).

References independent of the code under test:

* the cited points of the catalog, read here as raw YAML (not through the loader): every one must be
  reproduced within ``POINT_REL_TOL`` (5 %, the brief); the B200 GB200 point above the TDP is checked with
  the module's clock law;
* closed forms typed in here: ``g(f) = f (v0 + (1 - v0) f)^2`` evaluated by hand; the board power under a
  binding cap equals the cap;
* properties over a grid of caps for every accelerator: monotone, 1 at the TDP, power never above the cap
  or the TDP, decode less sensitive than prefill.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from importlib import resources

import numpy as np
import pytest
import yaml

from orbitcloud.compute import operating_points as op
from orbitcloud.compute.operating_points import (
    OperatingCurve,
    clock_fraction,
    dynamic_power_frac,
    operating_curve,
    operating_curve_names,
)
from orbitcloud.errors import OrbitcloudError

#: Relative tolerance on every cited point (the brief: within 5 %).
POINT_REL_TOL = 0.05
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b|\bundated\b")  # as tests/catalog/test_catalog_sources.py
_ASSUMPTION_WORDS = re.compile(r"assum|estimate|not published|approximate|hypothetical", re.IGNORECASE)

RAW = yaml.safe_load(resources.files("orbitcloud.catalog").joinpath("operating_points.yaml").read_text("utf-8"))
ACCELERATORS = yaml.safe_load(resources.files("orbitcloud.catalog").joinpath("accelerators.yaml").read_text("utf-8"))
NAMES = sorted(RAW)
POINTS = [(name, i, p) for name in NAMES for i, p in enumerate(RAW[name].get("points") or [])]
BEYOND = [(name, i, p) for name in NAMES for i, p in enumerate(RAW[name].get("beyond_tdp_points") or [])]


def _model(curve: OperatingCurve, cap_w, phase: str) -> float:
    return float(curve.prefill_rel(cap_w) if phase == "prefill" else curve.decode_rel(cap_w))


# --------------------------------------------------------------------------------------------------
# (a) the cited points
# --------------------------------------------------------------------------------------------------


def test_there_are_cited_points_to_check():
    # the check below must not be vacuous: at least one prefill and one decode point, on two devices
    assert {p["phase"] for _, _, p in POINTS} == {"prefill", "decode"}
    assert len({name for name, _, _ in POINTS}) >= 2 and len(POINTS) >= 3


@pytest.mark.parametrize(("name", "i", "point"), POINTS, ids=[f"{n}-{i}" for n, i, _ in POINTS])
def test_model_reproduces_each_cited_point(name, i, point):
    curve = operating_curve(name)
    got = _model(curve, float(point["cap_w"]), point["phase"])
    assert got == pytest.approx(float(point["throughput_rel"]), rel=POINT_REL_TOL), point["source"]


@pytest.mark.parametrize(("name", "i", "point"), BEYOND, ids=[f"{n}-{i}" for n, i, _ in BEYOND])
def test_model_reproduces_the_points_beyond_the_tdp(name, i, point):
    """GB200 at 1,200 W (a higher-TDP configuration of the B200 silicon): the cap API refuses caps above the
    TDP, so the clock law is applied directly: f = g^-1((P - idle) / (tdp - idle))."""
    curve = operating_curve(name)
    assert float(point["cap_w"]) > curve.tdp_w and point["phase"] == "prefill"
    x = (float(point["cap_w"]) - curve.idle_w) / (curve.tdp_w - curve.idle_w)
    got = float(clock_fraction(x, curve.v_intercept))
    assert got == pytest.approx(float(point["throughput_rel"]), rel=POINT_REL_TOL), point["source"]


def test_the_point_check_can_fail():
    """The model is a clock law, not an interpolation of the points: a wrong voltage line misses them."""
    b200 = operating_curve("b200")
    (pre,) = [p for p in b200.points if p.phase == "prefill"]
    for v0 in (0.2, 0.95):  # a nearly cubic and a nearly linear power-clock law
        wrong = dataclasses.replace(b200, v_intercept=v0)
        assert abs(float(wrong.prefill_rel(pre.cap_w)) / pre.throughput_rel - 1.0) > POINT_REL_TOL
    # decode drawing more than a 300 W cap on the H200 would contradict Ma et al. 2026
    h200 = operating_curve("h200-sxm")
    heavy = dataclasses.replace(h200, decode_power_frac=0.9, decode_clock_share=0.5)
    assert abs(float(heavy.decode_rel(300.0)) - 1.0) > POINT_REL_TOL


def test_every_point_source_names_a_year_and_marks_assumptions():
    for name, _, p in POINTS + BEYOND:
        assert p["phase"] in op.PHASES, (name, p)
        assert _YEAR.search(p["source"]), (name, p["source"][:80])
        if _ASSUMPTION_WORDS.search(p["source"]):
            assert "ASSUMPTION" in p["source"], (name, p["source"][:80])


def test_points_are_loaded_with_the_curve():
    for name in NAMES:
        c = operating_curve(name)
        assert [(p.cap_w, p.phase, p.throughput_rel) for p in c.points] == [
            (float(p["cap_w"]), p["phase"], float(p["throughput_rel"])) for p in RAW[name].get("points") or []]


# --------------------------------------------------------------------------------------------------
# closed forms
# --------------------------------------------------------------------------------------------------


def test_dynamic_power_law_by_hand():
    # g(f) = f (v0 + (1 - v0) f)^2: v0 = 0.65, f = 0.5 -> 0.5 * 0.825^2 = 0.3403125
    assert float(dynamic_power_frac(0.5, 0.65)) == pytest.approx(0.3403125, rel=1e-12)
    assert float(dynamic_power_frac(1.0, 0.3)) == 1.0
    assert float(dynamic_power_frac(0.0, 0.3)) == 0.0


def test_clock_fraction_inverts_the_power_law():
    x = np.linspace(0.0, 2.0, 41)
    for v0 in (0.05, 0.3, 0.65, 0.95):
        f = clock_fraction(x, v0)
        assert np.allclose(dynamic_power_frac(f, v0), x, rtol=1e-12, atol=1e-14)
        assert np.all(np.diff(f) > 0)
    assert float(clock_fraction(1.0, 0.65)) == pytest.approx(1.0, abs=1e-14)
    assert np.ndim(clock_fraction(0.3, 0.65)) == 0 and clock_fraction(x, 0.65).shape == x.shape


def test_prefill_clock_follows_the_power_law():
    c = operating_curve("h100-sxm")
    cap = np.array([250.0, 400.0, 550.0])
    f = c.prefill_rel(cap)
    # under a binding cap the board draws the cap: idle + (tdp - idle) g(f) = cap
    assert np.allclose(c.idle_w + (c.tdp_w - c.idle_w) * dynamic_power_frac(f, c.v_intercept), cap, rtol=1e-12)
    assert np.allclose(c.power_w(cap, "prefill"), cap)
    # decode: the Amdahl law with the decode clock
    fd = c.clock_frac(cap, "decode")
    s = c.decode_clock_share
    assert np.allclose(c.decode_rel(cap), 1.0 / ((1 - s) + s / fd))
    assert np.allclose(c.power_w(cap, "decode"), np.minimum(cap, c.decode_power_frac * c.tdp_w))


def test_blend_keeps_the_work_mix():
    c = operating_curve("a100-sxm-80")
    cap = 200.0
    rp, rd = float(c.prefill_rel(cap)), float(c.decode_rel(cap))
    # 30 % of the uncapped time in prefill: capped time = 0.3 / rp + 0.7 / rd
    assert float(c.rel(cap, 0.3)) == pytest.approx(1.0 / (0.3 / rp + 0.7 / rd), rel=1e-12)
    assert float(c.rel(cap, 1.0)) == pytest.approx(rp) and float(c.rel(cap, 0.0)) == pytest.approx(rd)
    grid = c.rel(np.array([[150.0], [300.0]]), np.array([0.0, 0.5, 1.0]))
    assert grid.shape == (2, 3)


# --------------------------------------------------------------------------------------------------
# (b) properties over the cap range, every accelerator
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_curve_properties(name):
    c = operating_curve(name)
    caps = np.linspace(c.min_cap_w, c.tdp_w, 201)
    pre, dec = c.prefill_rel(caps), c.decode_rel(caps)
    for r in (pre, dec, c.rel(caps, 0.4)):
        assert np.all(np.diff(r) >= -1e-12), "non-decreasing in the cap"
        assert np.all((r > 0) & (r <= 1 + 1e-12)), "in (0, 1]"
    for r in (c.prefill_rel(c.tdp_w), c.decode_rel(c.tdp_w), c.rel(c.tdp_w, 0.25)):
        assert float(r) == pytest.approx(1.0, abs=1e-12), "rel(tdp) = 1"
    for phase in op.PHASES:
        p = c.power_w(caps, phase)
        assert np.all(p <= caps + 1e-9) and np.all(p <= c.tdp_w + 1e-9) and np.all(p > c.idle_w)
        assert np.all(np.diff(p) >= 0)
    assert np.all(c.power_w(caps, "decode") <= c.power_w(caps, "prefill"))
    # decode less sensitive to the cap than prefill: never slower relative to its own uncapped rate, and
    # strictly less slowed at the lowest cap
    assert np.all(dec >= pre - 1e-12)
    assert 1.0 - float(dec[0]) < 1.0 - float(pre[0])
    assert float(pre[0]) < 1.0  # the lowest cap does bite on compute-bound work
    # the blend lies between its two phases
    mix = c.rel(caps, 0.5)
    assert np.all((mix >= pre - 1e-12) & (mix <= dec + 1e-12))


@pytest.mark.parametrize("name", NAMES)
def test_scalars_and_arrays_agree(name):
    c = operating_curve(name)
    caps = np.linspace(c.min_cap_w, c.tdp_w, 7)
    arr = c.prefill_rel(caps)
    assert np.allclose([float(c.prefill_rel(float(x))) for x in caps], arr)
    assert c.decode_rel(caps.reshape(7, 1)).shape == (7, 1)


# --------------------------------------------------------------------------------------------------
# (c) errors
# --------------------------------------------------------------------------------------------------


def test_cap_out_of_range_names_value_and_range():
    c = operating_curve("h100-sxm")
    with pytest.raises(OrbitcloudError, match=r"scenario\.hardware\.power_cap_w.*150 W.*\[200, 700\] W"):
        c.check_cap(150, "scenario.hardware.power_cap_w")
    with pytest.raises(OrbitcloudError, match=r"where-x.*701 W.*\[200, 700\] W"):
        c.check_cap(701.0, "where-x")
    with pytest.raises(OrbitcloudError, match=r"nan W.*\[200, 700\]"):
        c.check_cap(float("nan"), "cap")
    with pytest.raises(OrbitcloudError, match=r"not a number.*\[200, 700\]"):
        c.check_cap("lots", "cap")
    assert c.check_cap(np.float32(450), "cap") == 450.0 and isinstance(c.check_cap(450, "cap"), float)
    # the vectorised calls refuse a bad element too, naming it
    for call in (c.prefill_rel, c.decode_rel, lambda x: c.power_w(x, "decode"), lambda x: c.rel(x, 0.5)):
        with pytest.raises(OrbitcloudError, match=r"199 W.*\[200, 700\] W"):
            call(np.array([300.0, 199.0, 700.0]))


def test_bad_phase_and_share():
    c = operating_curve("b200")
    with pytest.raises(OrbitcloudError, match=r"phase 'train' is unknown; known: prefill, decode"):
        c.power_w(500.0, "train")
    with pytest.raises(OrbitcloudError, match=r"prefill_share 1.5"):
        c.rel(500.0, 1.5)


def test_unknown_accelerator_lists_the_known_names():
    with pytest.raises(OrbitcloudError, match=r"'a1000'.*known: a100-sxm-80, b200, h100-sxm"):
        operating_curve("a1000")


def test_invalid_parameters_are_refused():
    c = operating_curve("h100-sxm")
    for change in ({"min_cap_w": 50.0}, {"min_cap_w": 800.0}, {"v_intercept": 1.0}, {"decode_power_frac": 0.1},
                   {"decode_clock_share": 1.0}, {"idle_w": float("nan")}):
        with pytest.raises(OrbitcloudError, match="operating_points.yaml: h100-sxm"):
            dataclasses.replace(c, **change)


# --------------------------------------------------------------------------------------------------
# (d) coverage of the accelerator catalog, and a light import
# --------------------------------------------------------------------------------------------------


def test_every_accelerator_has_a_curve():
    assert set(operating_curve_names()) == set(ACCELERATORS)
    for name in ACCELERATORS:
        c = operating_curve(name)
        assert c.tdp_w == float(ACCELERATORS[name]["power_w"]) and c.accelerator == name
        assert operating_curve(name) is c  # cached


def test_every_entry_states_its_parameter_sources():
    for name, e in RAW.items():
        for key in ("min_cap_source", "idle_source", "model_source", "source"):
            assert _YEAR.search(e[key]), (name, key)
        # a parameter that is not measured for the device is marked
        if not e.get("points"):
            assert "ASSUMPTION" in e["model_source"], name


def test_importing_the_module_does_not_read_yaml():
    code = ("import sys, orbitcloud.compute.operating_points as m; "
            "print('yaml' in sys.modules, m._catalog.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[1] == "0"  # the catalog is read on first use only
