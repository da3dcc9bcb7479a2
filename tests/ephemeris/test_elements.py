"""SGP4 mean-element theory in numpy (orbitcloud.fleet.elements) against sgp4's own ``Satrec``.

``Satrec.sgp4init`` (Vallado's C++) computes the un-Kozai'd mean motion, the mean semi-major axis and
the secular rates of mean anomaly, perigee and node; our vectorised port must give the same numbers
to 1e-12 relative for any near-Earth orbit. Closed forms: the two-body period, the sun-synchronous
inclination (published ~98.0 deg at 650 km) and the nodal rate 360 deg per tropical year.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sgp4.api import WGS72, Satrec

from orbitcloud.constants import SSO_NODE_RATE_RAD_S, WGS84_A_M, circular_period_s
from orbitcloud.fleet.elements import (
    J2,
    J3,
    J4,
    RADIUS_KM,
    XKE,
    brouwer_mean_motion,
    kozai_from_brouwer,
    secular_rates,
    sso_inclination_rad,
    unkozai,
)
from orbitcloud.fleet.shells import altitude_to_a_km

rel_1e12 = 1e-12
EPOCH_1949_DAYS_2026 = 27_836.0  # 2026-03-20 minus 1949-12-31, days (any epoch works)


# The C++ Satrec exposes the Brouwer ("un-Kozai'd") mean motion as ``nm``: sgp4init ends with a
# propagation to t = 0, which with no drag sets nm = xke / a^1.5 = no_unkozai (``no`` is the Kozai value).


def _satrec(no_kozai: float, ecco: float, inclo: float, nodeo: float = 0.3, argpo: float = 1.1, mo: float = 2.0) -> Satrec:
    sat = Satrec()
    sat.sgp4init(WGS72, "i", 1, EPOCH_1949_DAYS_2026, 0.0, 0.0, 0.0, ecco, argpo, inclo, mo, no_kozai, nodeo)
    assert sat.error == 0
    return sat


def test_constants_are_sgp4_wgs72():
    sat = _satrec(15.0 * 2 * math.pi / 1440.0, 0.001, 1.0)
    assert RADIUS_KM == sat.radiusearthkm
    assert math.isclose(XKE, sat.xke, rel_tol=1e-15)
    assert (J2, J3, J4) == (sat.j2, sat.j3, sat.j4)


# near-Earth orbits only (period < 225 min, i.e. > 6.4 rev/day), perigee above 120 km
@st.composite
def near_earth_elements(draw):
    rev_day = draw(st.floats(6.5, 16.4))
    inc = draw(st.floats(0.0, math.pi))
    no = rev_day * 2 * math.pi / 1440.0
    a_km = (XKE / no) ** (2.0 / 3.0) * RADIUS_KM
    e_max = min(0.7, 1.0 - (RADIUS_KM + 120.0) / a_km)
    ecco = draw(st.floats(0.0, e_max)) if e_max > 0.0 else 0.0
    return no, ecco, inc


@settings(max_examples=300, deadline=None)
@given(near_earth_elements())
def test_secular_rates_match_satrec(elements):
    no, ecco, inc = elements
    sat = _satrec(no, ecco, inc)
    ours = secular_rates(np.array([no]), np.array([ecco]), np.array([inc]))
    assert math.isclose(ours["no_unkozai"][0], sat.nm, rel_tol=rel_1e12)
    assert math.isclose(ours["a_er"][0], sat.a, rel_tol=rel_1e12)
    assert math.isclose(ours["mdot"][0], sat.mdot, rel_tol=rel_1e12)
    # argpdot and nodedot vanish at the critical / polar inclinations: compare on the scale of J2 n
    scale = 1.5 * J2 * sat.nm / sat.a**2
    assert abs(ours["argpdot"][0] - sat.argpdot) <= rel_1e12 * max(abs(sat.argpdot), scale)
    assert abs(ours["nodedot"][0] - sat.nodedot) <= rel_1e12 * max(abs(sat.nodedot), scale)
    assert math.isclose(unkozai(np.array([no]), np.array([ecco]), np.array([inc]))[0], sat.nm, rel_tol=rel_1e12)


def test_secular_rates_vectorised_equals_scalar():
    rng = np.random.default_rng(5)
    no = rng.uniform(13, 16, 64) * 2 * math.pi / 1440.0
    ecco = rng.uniform(0, 0.01, 64)
    inc = rng.uniform(0, math.pi, 64)
    vec = secular_rates(no, ecco, inc)
    for k in (0, 17, 63):
        one = secular_rates(no[k : k + 1], ecco[k : k + 1], inc[k : k + 1])
        for key in vec:
            assert vec[key][k] == one[key][0]


@settings(max_examples=200, deadline=None)
@given(
    alt_km=st.floats(160.0, 5_000.0),
    ecco=st.floats(0.0, 0.02),
    inc=st.floats(0.0, math.pi),
)
def test_kozai_from_brouwer_round_trip(alt_km, ecco, inc):
    """Brouwer n -> Kozai n (fixed point) -> SGP4's un-Kozai gives back n, ours and Satrec's."""
    n = brouwer_mean_motion(np.array([altitude_to_a_km(alt_km)]))
    no_kozai = kozai_from_brouwer(n, np.array([ecco]), np.array([inc]))
    assert math.isclose(unkozai(no_kozai, np.array([ecco]), np.array([inc]))[0], n[0], rel_tol=1e-14)
    sat = _satrec(float(no_kozai[0]), ecco, inc)
    assert math.isclose(sat.nm, n[0], rel_tol=rel_1e12)
    # SGP4's mean semi-major axis is the requested one
    assert math.isclose(sat.a * RADIUS_KM, float(altitude_to_a_km(alt_km)), rel_tol=rel_1e12)


def test_circular_period_closed_form():
    a = WGS84_A_M + 550e3
    period = circular_period_s(a)
    assert math.isclose(period, 2 * math.pi * math.sqrt(a**3 / 3.986004418e14), rel_tol=1e-15)
    assert abs(period / 60.0 - 95.6) < 0.1  # 550 km: 95.6 min
    # geostationary radius 42,164 km: one sidereal day, 86,164.1 s
    assert abs(circular_period_s(42_164.17e3) - 86_164.09) < 1.0
    # Kepler's third law: 4x the radius, 8x the period
    assert math.isclose(circular_period_s(4 * a), 8 * period, rel_tol=1e-14)


def test_sso_inclination_650km():
    """Published: ~98.0 deg at 650 km. The first-order J2 closed form cos i = -(a / 12,352 km)^3.5
    gives 97.987 deg; SGP4's J2^2 and J4 secular terms move it to 98.011 deg (measured)."""
    a_km = float(altitude_to_a_km(650.0))
    inc = float(sso_inclination_rad(np.array([a_km]))[0])
    assert abs(math.degrees(inc) - 98.0) <= 0.05, math.degrees(inc)
    first_order = math.degrees(math.acos(-((a_km / 12_352.0) ** 3.5)))
    assert abs(math.degrees(inc) - first_order) < 0.05
    # SGP4 itself precesses the node at exactly one turn per tropical year
    n = brouwer_mean_motion(np.array([a_km]))
    no_kozai = float(kozai_from_brouwer(n, np.zeros(1), np.array([inc]))[0])
    sat = _satrec(no_kozai, 0.0, inc)
    target_rad_min = 2 * math.pi / (365.2422 * 1440.0)
    assert math.isclose(SSO_NODE_RATE_RAD_S * 60.0, target_rad_min, rel_tol=1e-15)
    assert math.isclose(sat.nodedot, target_rad_min, rel_tol=1e-9), (sat.nodedot, target_rad_min)


@pytest.mark.parametrize("alt_km", [300.0, 500.0, 800.0, 1200.0, 5000.0])
def test_sso_inclination_other_altitudes(alt_km):
    a_km = float(altitude_to_a_km(alt_km))
    inc = float(sso_inclination_rad(np.array([a_km]))[0])
    assert math.pi / 2 < inc < math.pi
    no_kozai = float(kozai_from_brouwer(brouwer_mean_motion(np.array([a_km])), np.zeros(1), np.array([inc]))[0])
    assert math.isclose(_satrec(no_kozai, 0.0, inc).nodedot, SSO_NODE_RATE_RAD_S * 60.0, rel_tol=1e-9)
