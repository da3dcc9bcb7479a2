"""Probability of collision: closed forms and a fine numerical 2-D integral."""

from __future__ import annotations

import numpy as np
import pytest

from orbitcloud.safety.collision import (
    covariance_from_rtn,
    encounter_plane,
    pc_2d,
    probability_of_collision,
)


@pytest.mark.parametrize("r_over_sigma", [0.01, 0.2, 1.0, 3.0, 8.0])
def test_isotropic_zero_miss_closed_form(r_over_sigma):
    sigma = 0.2
    R = r_over_sigma * sigma
    pc = pc_2d(np.zeros((1, 2)), np.diag([sigma**2, sigma**2])[None], R)[0]
    assert pc == pytest.approx(1.0 - np.exp(-R**2 / (2 * sigma**2)), rel=1e-9)


def _grid_pc(m, C, R, n=1601):
    x = np.linspace(-R, R, n)
    X, Y = np.meshgrid(x, x, indexing="ij")
    inside = X**2 + Y**2 <= R**2
    inv = np.linalg.inv(C)
    dx, dy = X - m[0], Y - m[1]
    q = inv[0, 0] * dx**2 + 2 * inv[0, 1] * dx * dy + inv[1, 1] * dy**2
    f = np.exp(-q / 2) / (2 * np.pi * np.sqrt(np.linalg.det(C)))
    h = x[1] - x[0]
    return float((f * inside).sum() * h * h)


def test_anisotropic_offset_matches_a_fine_grid():
    m = np.array([0.03, -0.015])
    C = np.array([[0.04**2, 0.3 * 0.04 * 0.01], [0.3 * 0.04 * 0.01, 0.01**2]])
    R = 0.02
    pc = pc_2d(m[None], C[None], R)[0]
    ref = _grid_pc(m, C, R)
    assert pc == pytest.approx(ref, rel=5e-3)
    assert 1e-4 < pc < 1


def test_isotropic_offset_rice_series():
    # isotropic: Pc = P(|x| <= R) for a 2-D Gaussian offset by d: a noncentral chi-square CDF
    from scipy.stats import ncx2

    sigma, d, R = 0.3, 0.5, 0.05
    pc = pc_2d(np.array([[d, 0.0]]), np.diag([sigma**2] * 2)[None], R)[0]
    assert pc == pytest.approx(ncx2.cdf(R**2 / sigma**2, 2, d**2 / sigma**2), rel=1e-8)


def test_states_projection_and_isotropic_case():
    # an isotropic 3-D covariance projects to an isotropic 2-D one whatever the geometry
    r_a = np.array([[7000.0, 0.0, 0.0]])
    v_a = np.array([[0.0, 7.5, 0.0]])
    r_b = r_a.copy()
    v_b = np.array([[0.0, 0.0, 7.5]])
    s = 0.1
    cov = np.eye(3)[None] * s**2
    pc = probability_of_collision(r_a, v_a, r_b, v_b, cov, cov, hbr_m=20.0)[0]
    sig2 = 2 * s**2
    assert pc == pytest.approx(1 - np.exp(-0.02**2 / (2 * sig2)), rel=1e-9)
    P = encounter_plane(np.array([[0.0, 0.0, 0.0]]), v_b - v_a)[0]
    assert np.allclose(P @ P.T, np.eye(2)) and np.allclose(P @ (v_b - v_a)[0], 0.0)


def test_default_covariance_is_rtn_diagonal():
    r = np.array([[7000.0, 0.0, 0.0]])
    v = np.array([[0.0, 7.5, 0.0]])
    C = covariance_from_rtn(r, v, (0.1, 0.5, 0.2))[0]
    assert np.allclose(np.diag(C), [0.01, 0.25, 0.04])  # R = x, T = y, N = z here
    # far-apart objects: vanishing Pc
    pc = probability_of_collision(r, v, r + [[0.0, 0.0, 5.0]], np.array([[0.0, 0.0, 7.5]]))
    assert pc[0] < 1e-9  # 3.5 km normal to the relative velocity, about 6.6 sigma
