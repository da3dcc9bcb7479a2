"""Earth shadow: closed forms and invariants of the conical umbra/penumbra model.

Geometry used throughout: a circular orbit of radius r = R + h in the x-y plane, sampled uniformly in
angle (uniform in time for a circular orbit), and the Sun at 1 au. With the Sun on +x the beta angle
is 0; with the Sun at (cos B, 0, sin B) it is B.

Why the conical numbers differ from the cylindrical (point-Sun) ones. Seen from the satellite at
beta = 0, the angle c between the Earth's centre and the Sun equals the orbital angle from the
anti-Sun line, so c changes at the orbital rate w = 2 pi / T. The Sun's centre is behind the Earth's
limb (illumination < 0.5, up to limb curvature) while c < b with sin b = R / r: a fraction
b / pi = asin(R / r) / pi of the orbit, the cylindrical fraction. The umbra needs c < b - a, where
a = asin(R_sun / 1 au) = 4.65e-3 rad is the Sun's angular radius: a fraction (b - a) / pi, shorter
by a / pi = 1.48e-3. Each limb crossing is a penumbra lasting 2 a / w (8.50 s at 550 km, T = 5739 s);
as the dimming is nearly antisymmetric about c = b, the mean darkness stays the cylindrical value.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.constants import AU_M, SUN_RADIUS_M, WGS84_A_M, WGS84_MU_M3_S2, circular_period_s
from orbitcloud.environment.shadow import (
    beta_angle_rad,
    cylindrical_eclipse_fraction,
    illumination,
    overlap_illumination,
    shadow_state,
    sin_beta_from_node,
)

R = WGS84_A_M
SUN_ANG_RADIUS = math.asin(SUN_RADIUS_M / AU_M)
fraction_tol = 0.002


def _ring(alt_m: float, n: int):
    r = R + alt_m
    th = (np.arange(n) + 0.5) / n * 2.0 * np.pi  # angle from +x
    x = (r * np.cos(th))[None, :]
    y = (r * np.sin(th))[None, :]
    return th, x, y, np.zeros_like(x)


def _sun(n: int, beta_rad: float = 0.0) -> np.ndarray:
    return np.tile([AU_M * math.cos(beta_rad), 0.0, AU_M * math.sin(beta_rad)], (n, 1))


def test_cylindrical_fraction_550km_closed_form():
    f = cylindrical_eclipse_fraction(550e3)
    assert abs(f - 0.372) <= 0.001
    assert math.isclose(f, math.asin(R / (R + 550e3)) / math.pi, rel_tol=1e-12)
    # no eclipse once beta exceeds asin(R / r) (the orbit clears the shadow cylinder)
    beta_star = math.asin(R / (R + 550e3))
    assert cylindrical_eclipse_fraction(550e3, beta_star + 1e-3) == 0.0
    assert cylindrical_eclipse_fraction(550e3, beta_star - 1e-2) > 0.0


def test_conical_vs_cylindrical_beta0_550km():
    n = 1_000_000
    alt = 550e3
    _, x, y, z = _ring(alt, n)
    ill = illumination(x, y, z, _sun(n))[0]
    cyl = math.asin(R / (R + alt)) / math.pi
    dark = float(np.mean(ill < 0.5))
    umbra = float(np.mean(ill == 0.0))
    penumbra = float(np.mean((ill > 0.0) & (ill < 1.0)))
    mean_dark = 1.0 - float(ill.mean())
    assert abs(dark - cyl) <= fraction_tol, (dark, cyl)
    assert abs(mean_dark - cylindrical_eclipse_fraction(alt)) <= fraction_tol, (mean_dark, cyl)
    # umbra shorter than the half-illumination interval by a / pi (see module docstring)
    assert umbra < dark
    assert math.isclose(dark - umbra, SUN_ANG_RADIUS / math.pi, rel_tol=0.05), (dark - umbra, SUN_ANG_RADIUS / math.pi)
    # penumbra duration per limb crossing: 2 a / w = 8.50 s (measured 8.497 s); check to 1 %
    period = circular_period_s(R + alt)
    assert math.isclose(period, 2 * math.pi * math.sqrt((R + alt) ** 3 / WGS84_MU_M3_S2))
    pen_each_s = penumbra * period / 2.0
    expected_s = 2.0 * SUN_ANG_RADIUS / (2.0 * math.pi / period)
    assert 8.3 < expected_s < 8.7
    assert math.isclose(pen_each_s, expected_s, rel_tol=0.01), (pen_each_s, expected_s)


def test_conical_vs_cylindrical_beta30():
    """Off-plane Sun: the half-illumination fraction follows Vallado's cylindrical closed form."""
    n = 400_000
    alt = 550e3
    beta = math.radians(30.0)
    _, x, y, z = _ring(alt, n)
    ill = illumination(x, y, z, _sun(n, beta))[0]
    assert abs(float(np.mean(ill < 0.5)) - cylindrical_eclipse_fraction(alt, beta)) <= fraction_tol
    assert abs(1.0 - float(ill.mean()) - cylindrical_eclipse_fraction(alt, beta)) <= fraction_tol


def test_monotone_through_limb_and_half_crossing_matches_h_half():
    """Entering the shadow (c decreasing through b + a .. b - a) illumination never increases, and
    the 0.5 crossing lies within 0.03 s of the ``h_half`` root (the module's stated limb-curvature
    bound)."""
    alt = 550e3
    r = R + alt
    b = math.asin(R / r)
    a = SUN_ANG_RADIUS
    # orbital angle from the anti-Sun direction (-x) equals c at beta = 0; walk c from b + 2a to b - 2a
    c = np.linspace(b + 2 * a, b - 2 * a, 200_001)
    th = np.pi - c  # points on the +y side, approaching the anti-Sun line
    x = (r * np.cos(th))[None, :]
    y = (r * np.sin(th))[None, :]
    z = np.zeros_like(x)
    sun = _sun(c.size)
    ill = illumination(x, y, z, sun)[0]
    assert ill[0] == 1.0 and ill[-1] == 0.0
    # float64 round-off in the lens-area formula (a difference of terms ~1e4 times the area near
    # first contact) leaves steps up against the trend of up to 1.8e-7 (measured); 1e-6 allowed.
    assert np.all(np.diff(ill) <= 1e-6), np.diff(ill).max()
    assert np.any((ill > 0.1) & (ill < 0.9))
    state = shadow_state(x, y, z, sun)
    k_half = int(np.argmax(ill < 0.5))
    k_h = int(np.argmax(state.h_half[0] > 0.0))
    w = 2 * math.pi / circular_period_s(r)
    dt_s = abs(c[k_half] - c[k_h]) / w
    assert dt_s < 0.03, f"0.5 crossing and h_half root {dt_s:.4f} s apart"
    # the penumbra/umbra shadow functions bracket the crossing
    k_pen = int(np.argmax(state.h_pen[0] > 0.0))
    k_umb = int(np.argmax(state.h_umb[0] > 0.0))
    assert k_pen < k_half < k_umb
    assert math.isclose((c[k_pen] - c[k_umb]) / w, 2 * a / w, rel_tol=1e-3)


@settings(max_examples=300, deadline=None)
@given(
    r=st.floats(R + 1.0, 2.0e9),
    u=st.tuples(st.floats(-1, 1), st.floats(-1, 1), st.floats(-1, 1)).filter(lambda v: sum(t * t for t in v) > 1e-4),
    s=st.tuples(st.floats(-1, 1), st.floats(-1, 1), st.floats(-1, 1)).filter(lambda v: sum(t * t for t in v) > 1e-4),
    d_au=st.floats(0.98, 1.02),
)
def test_illumination_in_unit_interval(r, u, s, d_au):
    u = np.array(u) / np.linalg.norm(u)
    s = np.array(s) / np.linalg.norm(s)
    pos = r * u
    sun = (d_au * AU_M * s)[None, :]
    ill = illumination(pos[0:1, None], pos[1:2, None], pos[2:3, None], sun)
    assert ill.shape == (1, 1)
    assert 0.0 <= ill[0, 0] <= 1.0
    # directly between Earth and Sun: always fully lit; deep behind a near Earth: dark
    if r < 1e7:
        front = illumination(*(r * s)[:, None, None], sun)[0, 0]
        behind = illumination(*(-r * s)[:, None, None], sun)[0, 0]
        assert front == 1.0 and behind == 0.0


def test_overlap_illumination_cases():
    """The four disk-overlap regimes, against exact values."""
    a, b = 0.01, 0.3
    sa, sb = math.sin(a), math.sin(b)
    assert overlap_illumination(np.cos(b + a + 1e-6), sb, sa) == 1.0  # apart
    assert overlap_illumination(np.cos(b - a - 1e-6), sb, sa) == 0.0  # umbra
    half = float(overlap_illumination(np.cos(b), sb, sa))
    assert abs(half - 0.5) < a / (2 * b) * 0.5  # limb curvature shifts the half point by ~a^2/b
    # annular: a small Earth disk inside a larger Sun disk (far from Earth) -> 1 - (b/a)^2
    a2, b2 = 0.02, 0.005
    ann = float(overlap_illumination(np.cos(0.001), math.sin(b2), math.sin(a2)))
    assert math.isclose(ann, 1.0 - (b2 / a2) ** 2, rel_tol=1e-9)


def test_overlap_illumination_vs_numerical_area():
    """Lens area by quadrature (independent of the closed form): the Sun disk of radius a at the
    origin, the Earth disk of radius b at distance c; the covered part of each Sun chord at abscissa
    u is 2 min(sqrt(a^2 - u^2), sqrt(b^2 - (u - c)^2)). Midpoint rule on 200,000 strips: the
    quadrature error is below 1e-6 here."""
    a = SUN_ANG_RADIUS
    b = math.asin(R / (R + 550e3))
    n = 200_000
    u = (np.arange(n) + 0.5) / n * 2 * a - a
    sun_half = np.sqrt(a * a - u * u)
    for c in np.linspace(b - a * 0.999, b + a * 0.999, 41):
        earth_half = np.sqrt(np.maximum(b * b - (u - c) ** 2, 0.0))
        covered = np.sum(2.0 * np.minimum(sun_half, earth_half)) * (2 * a / n)
        expected = 1.0 - covered / (math.pi * a * a)
        got = float(overlap_illumination(np.array(math.cos(c)), np.array(math.sin(b)), np.array(math.sin(a))))
        assert abs(got - expected) < 1e-6, (c, got, expected)  # measured 3.7e-8


def test_beta_angle_simple_geometry():
    # equatorial orbit (normal +z), Sun at declination 23.44 deg: beta = declination
    dec = math.radians(23.44)
    sun = np.array([[math.cos(dec) * AU_M, 0.0, math.sin(dec) * AU_M]])
    assert math.isclose(float(beta_angle_rad(np.array([[0.0, 0.0, 5.0]]), sun)[0]), dec, rel_tol=1e-12)
    # r x v of a retrograde equatorial orbit points to -z: beta = -declination
    r = np.array([[7e6, 0.0, 0.0]])
    v = np.array([[0.0, -7.5e3, 0.0]])
    assert math.isclose(float(beta_angle_rad(np.cross(r, v), sun)[0]), -dec, rel_tol=1e-12)
    # polar dawn-dusk orbit whose normal points at the Sun: beta = 90 deg
    s_hat = sun[0] / np.linalg.norm(sun[0])
    assert math.isclose(float(beta_angle_rad(s_hat[None, :] * 3.0, sun)[0]), math.pi / 2, rel_tol=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    inc=st.floats(0.0, math.pi),
    raan=st.floats(0.0, 2 * math.pi),
    lam=st.floats(0.0, 2 * math.pi),
)
def test_beta_angle_vs_vallado_closed_form(inc, raan, lam):
    """The textbook closed form for an orbit (i, raan) and the Sun at ecliptic longitude lam:
    beta = asin(cos(lam) sin(raan) sin(i) - sin(lam) cos(eps) cos(raan) sin(i) + sin(lam) sin(eps) cos(i)),
    with the orbit normal taken here from position x velocity at the ascending node."""
    eps = math.radians(23.4393)
    sun = AU_M * np.array([[math.cos(lam), math.cos(eps) * math.sin(lam), math.sin(eps) * math.sin(lam)]])
    # normal from the orbit's position and velocity at the ascending node (not unit length)
    node = np.array([math.cos(raan), math.sin(raan), 0.0]) * 7e6
    along = np.array([-math.sin(raan) * math.cos(inc), math.cos(raan) * math.cos(inc), math.sin(inc)]) * 7.5e3
    normal = np.cross(node, along)[None, :]
    expected = math.asin(
        max(-1.0, min(1.0, math.cos(lam) * math.sin(raan) * math.sin(inc)
            - math.sin(lam) * math.cos(eps) * math.cos(raan) * math.sin(inc)
            + math.sin(lam) * math.sin(eps) * math.cos(inc)))
    )
    assert abs(float(beta_angle_rad(normal, sun)[0]) - expected) < 1e-9
    # the same from the node and inclination alone (the fast propagator's path)
    from_node = math.asin(float(sin_beta_from_node(np.array([math.sin(inc)]), np.array([math.cos(inc)]),
                                                   np.array([[math.sin(raan)]]), np.array([[math.cos(raan)]]), sun)[0, 0]))
    assert abs(from_node - expected) < 1e-9  # rad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pass_r", [False, True])
def test_compiled_shadow_state_is_bit_identical(dtype, pass_r):
    """The compiled element loop performs NumPy's operations: the same bits for every output."""
    from orbitcloud.environment.shadow import _shadow_kernel

    assert _shadow_kernel() is not None, "numba is a dependency; the compiled loop must be available"
    rng = np.random.default_rng(5)
    n, n_t = 500, 48
    r = rng.uniform(6.6e6, 8.5e6, (n, 1))
    v = rng.normal(size=(n, n_t, 3))
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    x, y, z = (np.ascontiguousarray((r * v[..., k]).astype(dtype)) for k in range(3))
    ang = np.linspace(0, 0.02, n_t)
    sun = AU_M * np.stack([np.cos(ang), np.sin(ang) * 0.917, np.sin(ang) * 0.398], axis=1)
    rr = np.sqrt(x * x + y * y + z * z) if pass_r else None
    a = shadow_state(x, y, z, sun, rr, compiled=False)
    b = shadow_state(x, y, z, sun, rr, compiled=True)
    assert (a.h_pen > 0).any() and (a.h_umb < 0).any()  # samples on both sides of the shadow
    for name in ("h_pen", "h_umb", "h_half", "cos_c", "sin_b"):
        va, vb = getattr(a, name), getattr(b, name)
        assert va.dtype == vb.dtype == dtype, name
        assert np.array_equal(va, vb), name


def test_compiled_sin_beta_rv_is_bit_identical():
    from orbitcloud.environment.shadow import sin_beta, sin_beta_rv

    rng = np.random.default_rng(9)
    r = rng.normal(size=(300, 12, 3)) * 7000.0
    v = rng.normal(size=(300, 12, 3)) * 7.5
    r[3, 4] = np.nan  # a failed SGP4 sample stays NaN (np.clip semantics)
    sun = rng.normal(size=(12, 3)) * AU_M
    a = sin_beta_rv(r, v, sun, compiled=False)
    b = sin_beta_rv(r, v, sun, compiled=True)
    assert np.isnan(a[3, 4]) and np.isnan(b[3, 4])
    assert np.array_equal(a, b, equal_nan=True)
    # and the same angle as from the normal r x v (to rounding)
    np.testing.assert_allclose(a, sin_beta(np.cross(r, v), sun), atol=1e-14)
