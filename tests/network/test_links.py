"""Inter-satellite links: topologies against brute force, grazing geometry against the tangent closed
form, the optical link budget against its dB form and closed-form inversions, acquisition time
against a dictionary reference.

Independent references used here:
* brute-force neighbour search (full distance matrix, Python sets and sorted lists);
* the grazing test re-done by sampling 1,001 points along each segment (no projection formula);
* the tangent geometry: satellite A at radius r_a on +x, B at r_b at the polar angle
  acos(r_g / r_a) + acos(r_g / r_b), where the segment touches the sphere r_g = R + h_g;
* the link budget in decibels, written term by term as in Kaushal & Kaddoum (2017), sec. III.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitcloud.constants import C_M_S, WGS84_A_M
from orbitcloud.network import links as L
from orbitcloud.network.links import (
    LinkTracker,
    OpticalTerminal,
    capacity_bps,
    check_budget,
    cluster_mesh,
    edge_keys,
    edges_from_keys,
    first_seen_s,
    line_of_sight_clear,
    link_degrees,
    link_feasible,
    link_lengths_m,
    link_min_altitude_m,
    max_isl_range_m,
    max_range_for_rate_m,
    nearest,
    plus_grid,
    propagation_delay_s,
    received_power_w,
)

R = WGS84_A_M
H_G = 80_000.0


def walker_positions_m(planes: int, per_plane: int, phasing: int, incl_deg: float, alt_m: float) -> np.ndarray:
    """Circular Walker delta at t = 0, plane-major (index = plane * per_plane + slot)."""
    p = np.repeat(np.arange(planes), per_plane)
    s = np.tile(np.arange(per_plane), planes)
    raan = 2 * np.pi * p / planes
    u = 2 * np.pi * s / per_plane + 2 * np.pi * phasing * p / (planes * per_plane)
    i = np.radians(incl_deg)
    r = R + alt_m
    x = r * (np.cos(u) * np.cos(raan) - np.sin(u) * np.cos(i) * np.sin(raan))
    y = r * (np.cos(u) * np.sin(raan) + np.sin(u) * np.cos(i) * np.cos(raan))
    z = r * np.sin(u) * np.sin(i)
    return np.column_stack([x, y, z])


def random_shell_m(rng, n: int, alt_lo_m: float, alt_hi_m: float) -> np.ndarray:
    v = rng.normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    return v * (R + rng.uniform(alt_lo_m, alt_hi_m, n))[:, None]


def sampled_min_radius_m(p_a, p_b, samples: int = 1001) -> np.ndarray:
    t = np.linspace(0.0, 1.0, samples)[None, :, None]
    pts = p_a[:, None, :] + t * (p_b - p_a)[:, None, :]
    return np.linalg.norm(pts, axis=2).min(axis=1)


def brute_clear(pos, h_g=H_G):
    """(n, n) matrix of clear pairs from the tangent geometry (independent of link_min_altitude_m):
    for fixed radii the segment dips lower as the central angle grows, and touches the sphere
    r_g = R + h_g at the angle acos(r_g / r_a) + acos(r_g / r_b)."""
    r = np.linalg.norm(pos, axis=1)
    cos_c = np.clip((pos @ pos.T) / np.outer(r, r), -1.0, 1.0)
    horizon = np.arccos((R + h_g) / r)
    return np.arccos(cos_c) < horizon[:, None] + horizon[None, :]


# --- geometry ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alt_a_km, alt_b_km, h_g_km", [(550, 550, 80), (550, 1200, 80), (340, 20_200, 0), (100, 630, 80)]
)
def test_max_isl_range_is_the_tangent_geometry(alt_a_km, alt_b_km, h_g_km):
    r_a, r_b, r_g = R + alt_a_km * 1e3, R + alt_b_km * 1e3, R + h_g_km * 1e3
    closed = float(max_isl_range_m(alt_a_km * 1e3, alt_b_km * 1e3, h_g_km * 1e3))
    theta_tangent = math.acos(r_g / r_a) + math.acos(r_g / r_b)
    p_a = np.array([r_a, 0.0, 0.0])

    def p_b(theta):
        return np.array([r_b * math.cos(theta), r_b * math.sin(theta), 0.0])

    assert np.linalg.norm(p_b(theta_tangent) - p_a) == pytest.approx(closed, rel=1e-12)
    # Brute force: bisect the polar angle at which line_of_sight_clear switches off.
    lo, hi = 1e-9, math.pi
    assert line_of_sight_clear(p_a, p_b(lo), h_g_km * 1e3) and not line_of_sight_clear(p_a, p_b(hi), h_g_km * 1e3)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if line_of_sight_clear(p_a, p_b(mid), h_g_km * 1e3):
            lo = mid
        else:
            hi = mid
    assert np.linalg.norm(p_b(lo) - p_a) == pytest.approx(closed, rel=1e-7)


def test_max_isl_range_starlink_number():
    # 550 km both ends, 80 km grazing: 2 sqrt(6928.137^2 - 6458.137^2) km = 2 x 2,508.296 km = 5,016.59 km.
    assert float(max_isl_range_m(550e3, 550e3)) == pytest.approx(2 * math.sqrt(6928137.0**2 - 6458137.0**2), rel=1e-14)
    assert float(max_isl_range_m(550e3, 550e3)) == pytest.approx(5_016_592, abs=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clear_iff_shorter_than_max_range(seed):
    """For fixed radii the segment dips lower as the pair separates: clear <=> d < d_max."""
    rng = np.random.default_rng(seed)
    n = 20_000
    alt_a = rng.uniform(100e3, 2000e3, n)
    alt_b = rng.uniform(100e3, 2000e3, n)
    u = rng.normal(size=(n, 3))
    v = rng.normal(size=(n, 3))
    p_a = u / np.linalg.norm(u, axis=1)[:, None] * (R + alt_a)[:, None]
    p_b = v / np.linalg.norm(v, axis=1)[:, None] * (R + alt_b)[:, None]
    d = np.linalg.norm(p_b - p_a, axis=1)
    d_max = max_isl_range_m(alt_a, alt_b)
    clear = line_of_sight_clear(p_a, p_b)
    away = np.abs(d - d_max) > 1e-6 * d_max
    assert np.array_equal(clear[away], (d < d_max)[away])
    assert 0.05 < clear.mean() < 0.95
    # the projection formula against sampling
    sampled = sampled_min_radius_m(p_a[:200], p_b[:200], 20001)
    assert np.allclose(link_min_altitude_m(p_a[:200], p_b[:200]) + R, sampled, rtol=0, atol=2.0)


def test_line_of_sight_degenerate_and_broadcast():
    p = np.array([R + 500e3, 0.0, 0.0])
    assert line_of_sight_clear(p, p)  # a zero-length link at 500 km
    assert not line_of_sight_clear(p, -p)  # through the Earth
    many = np.tile(p, (5, 1))
    assert line_of_sight_clear(many, p).shape == (5,)
    assert link_min_altitude_m(p, p) == pytest.approx(500e3)


def test_lengths_delay_and_feasible():
    pos = walker_positions_m(72, 22, 39, 53.0, 550e3)
    a, b = plus_grid(72, 22)
    length_m = link_lengths_m(pos, a, b)
    in_plane = (b - a == 1) | (b - a == 21)
    # in-plane neighbours on a circle of radius r, 360/22 deg apart: chord 2 r sin(pi / 22)
    assert np.allclose(length_m[in_plane], 2 * (R + 550e3) * math.sin(math.pi / 22), rtol=1e-12)
    stacked = np.stack([pos, pos])
    assert np.array_equal(link_lengths_m(stacked, a, b)[1], length_m)
    assert float(propagation_delay_s(C_M_S)) == 1.0
    # With phasing F = 39 the seam partners (plane 71 -> plane 0, same slot) are 2 pi F / Q = 278 deg
    # apart in argument of latitude: through the Earth. Every other +Grid link is clear.
    seam = b - a == 71 * 22
    feasible = link_feasible(pos, a, b)
    assert feasible[~seam].all() and not feasible[seam].any()
    assert link_feasible(walker_positions_m(72, 22, 1, 53.0, 550e3), a, b).all()
    assert not link_feasible(pos, a, b, max_range_m=1_000e3)[in_plane].any()  # chords are 1,975 km


# --- +Grid ------------------------------------------------------------------------------------------


def brute_plus_grid(planes, per_plane, start, wrap):
    edges = set()
    for p in range(planes):
        for s in range(per_plane):
            i = start + p * per_plane + s
            nbrs = [start + p * per_plane + (s + 1) % per_plane, start + p * per_plane + (s - 1) % per_plane]
            for q in (p - 1, p + 1):
                if wrap:
                    q %= planes
                if 0 <= q < planes:
                    nbrs.append(start + q * per_plane + s)
            for j in nbrs:
                if j != i:
                    edges.add((min(i, j), max(i, j)))
    return sorted(edges)


@pytest.mark.parametrize("wrap", [True, False])
@pytest.mark.parametrize("start", [0, 17])
def test_plus_grid_matches_brute_force(wrap, start):
    for planes in range(1, 7):
        for per_plane in range(1, 7):
            a, b = plus_grid(planes, per_plane, start=start, cross_plane_wrap=wrap)
            assert a.dtype == np.int64 and b.dtype == np.int64
            got = list(zip(a.tolist(), b.tolist()))
            assert got == brute_plus_grid(planes, per_plane, start, wrap), (planes, per_plane)


def test_plus_grid_degree_and_neighbours():
    planes, per_plane = 72, 22
    a, b = plus_grid(planes, per_plane)
    n = planes * per_plane
    assert len(a) == 2 * n
    assert np.all(link_degrees(a, b, n) == 4)
    keys = edge_keys(a, b, n)
    assert np.all(np.diff(keys) > 0)
    i = 5 * per_plane + 0  # plane 5, slot 0
    nbrs = set(b[a == i].tolist()) | set(a[b == i].tolist())
    assert nbrs == {5 * per_plane + 1, 5 * per_plane + 21, 4 * per_plane, 6 * per_plane}
    seam = set(b[a == 3].tolist()) | set(a[b == 3].tolist())  # plane 0 slot 3 links to plane 71 slot 3
    assert seam == {2, 4, per_plane + 3, 71 * per_plane + 3}
    a2, b2 = plus_grid(planes, per_plane, cross_plane_wrap=False)
    deg = link_degrees(a2, b2, n)
    assert np.all(deg[:per_plane] == 3) and np.all(deg[-per_plane:] == 3) and np.all(deg[per_plane:-per_plane] == 4)


# --- nearest and cluster mesh -------------------------------------------------------------------------


def brute_nearest(pos, k, max_range_m, h_g=H_G):
    n = len(pos)
    dist = np.linalg.norm(pos[:, None, :] - pos[None, :, :], axis=2)
    ok = brute_clear(pos, h_g) & (dist <= max_range_m)
    np.fill_diagonal(ok, False)
    edges = set()
    for i in range(n):
        cands = sorted((dist[i, j], j) for j in np.flatnonzero(ok[i]))
        for _, j in cands[:k]:
            edges.add((min(i, int(j)), max(i, int(j))))
    return edges, dist


def brute_greedy(edges, dist, n, max_terminals):
    used = [0] * n
    kept = set()
    for _, a, b in sorted((dist[a, b], a, b) for a, b in edges):
        if used[a] < max_terminals and used[b] < max_terminals:
            used[a] += 1
            used[b] += 1
            kept.add((a, b))
    return kept


CASES = [
    # (seed, n, alt_lo, alt_hi, k, max_range): dense shells, sparse shells (neighbours behind the
    # Earth), mixed altitudes, a range limit that leaves some satellites short of k.
    (0, 300, 550e3, 550e3, 4, math.inf),
    (1, 40, 400e3, 600e3, 6, math.inf),
    (2, 200, 300e3, 20_000e3, 5, math.inf),
    (3, 400, 500e3, 1200e3, 4, 1_500e3),
]


@pytest.mark.parametrize("seed, n, alt_lo, alt_hi, k, max_range", CASES)
def test_nearest_matches_brute_force(seed, n, alt_lo, alt_hi, k, max_range):
    rng = np.random.default_rng(seed)
    pos = random_shell_m(rng, n, alt_lo, alt_hi)
    expected, dist = brute_nearest(pos, k, max_range)
    rng_arg = None if math.isinf(max_range) else max_range
    a, b = nearest(pos, k, max_range_m=rng_arg)
    assert set(zip(a.tolist(), b.tolist())) == expected
    assert np.all(np.diff(edge_keys(a, b, n)) > 0)
    for max_terminals in (1, 2, 3, 4):
        a_t, b_t = nearest(pos, k, max_terminals=max_terminals, max_range_m=rng_arg)
        got = set(zip(a_t.tolist(), b_t.tolist()))
        assert got == brute_greedy(expected, dist, n, max_terminals)
        deg = link_degrees(a_t, b_t, n)
        assert deg.max() <= max_terminals
        # maximal: every dropped candidate has an end whose terminals are all in use
        for x, y in expected - got:
            assert deg[x] == max_terminals or deg[y] == max_terminals


def test_nearest_widens_past_blocked_neighbours():
    # Sparse fleet at 300-6,000 km: for some satellites a few of the 6 nearest are behind the Earth
    # while farther ones are visible.
    pos = random_shell_m(np.random.default_rng(2), 60, 300e3, 6000e3)
    dist = np.linalg.norm(pos[:, None] - pos[None], axis=2)
    np.fill_diagonal(dist, np.inf)
    clear = brute_clear(pos)
    np.fill_diagonal(clear, False)
    nearest6 = np.argsort(dist, axis=1)[:, :6]
    widened = [i for i in range(60) if not clear[i, nearest6[i]].all() and clear[i].sum() >= 6]
    assert len(widened) >= 3
    a, b = nearest(pos, 6)
    assert line_of_sight_clear(pos[a], pos[b]).all()
    deg = link_degrees(a, b, len(pos))
    assert np.all(deg[widened] >= 6)  # each still proposed 6 clear links


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_no_link_below_grazing_height(seed):
    rng = np.random.default_rng(seed)
    pos = np.concatenate([random_shell_m(rng, 150, 300e3, 1500e3), random_shell_m(rng, 50, 8_000e3, 36_000e3)])
    for a, b in (nearest(pos, 8), nearest(pos, 3, max_terminals=3), cluster_mesh(pos, 1e9)):
        assert len(a) > 0
        assert np.all(sampled_min_radius_m(pos[a], pos[b]) > R + H_G)
    # the mesh really is pruned by the Earth: far fewer links than pairs
    a, b = cluster_mesh(pos, 1e9)
    assert len(a) < 0.9 * len(pos) * (len(pos) - 1) / 2


def suncatcher_cluster_m(rng) -> np.ndarray:
    """81 satellites on a 9 x 9 lattice, 100 m x 200 m, jittered by 5 m, at 650 km."""
    gx, gy = np.meshgrid(np.arange(9) * 100.0, np.arange(9) * 200.0)
    local = np.column_stack([gx.ravel(), np.zeros(81), gy.ravel()]) + rng.normal(0, 5.0, (81, 3))
    return local + np.array([R + 650e3, 0.0, 0.0])


@pytest.mark.parametrize("max_range_m", [150.0, 250.0, 1_000.0])
def test_cluster_mesh_matches_brute_force(max_range_m):
    pos = suncatcher_cluster_m(np.random.default_rng(7))
    dist = np.linalg.norm(pos[:, None] - pos[None], axis=2)
    expected = {(i, j) for i in range(81) for j in range(i + 1, 81) if dist[i, j] <= max_range_m}
    a, b = cluster_mesh(pos, max_range_m)
    assert set(zip(a.tolist(), b.tolist())) == expected
    assert np.all(np.diff(edge_keys(a, b, 81)) > 0)
    a4, b4 = cluster_mesh(pos, max_range_m, max_terminals=4)
    assert set(zip(a4.tolist(), b4.tolist())) == brute_greedy(expected, dist, 81, 4)
    assert link_degrees(a4, b4, 81).max() <= 4


def test_numba_and_python_greedy_agree():
    pos = random_shell_m(np.random.default_rng(11), 3000, 500e3, 600e3)
    a, b = nearest(pos, 6)
    length_m = link_lengths_m(pos, a, b)
    fast = L._limit_terminals(a, b, length_m, len(pos), 3, use_numba=True)
    slow = L._limit_terminals(a, b, length_m, len(pos), 3, use_numba=False)
    assert np.array_equal(fast, slow)


def test_topologies_small_inputs():
    one = np.array([[R + 500e3, 0.0, 0.0]])
    for a, b in (nearest(one, 3), cluster_mesh(one, 1e6)):
        assert a.size == 0 and b.size == 0
    two = np.array([[R + 500e3, 0.0, 0.0], [R + 500e3, 1e3, 0.0]])
    a, b = nearest(two, 4)
    assert a.tolist() == [0] and b.tolist() == [1]


# --- optical link budget -----------------------------------------------------------------------------

LEO = OpticalTerminal(tx_power_w=1.0, tx_aperture_m=0.1, rx_aperture_m=0.1, max_rate_bps=100e9)
# Suncatcher-like (docs/links.md): 1 W summed over the DWDM channels, 1 cm apertures, 10 Tbit/s cap.
SUNCATCHER = OpticalTerminal(tx_power_w=1.0, tx_aperture_m=0.01, rx_aperture_m=0.01, max_rate_bps=10e12)


def test_gain_and_received_power_in_decibels():
    # G = (pi 0.1 / 1.55e-6)^2 = (202,683)^2 = 4.108e10 -> 106.14 dB
    assert 10 * math.log10(LEO.gain_tx) == pytest.approx(106.136, abs=1e-3)
    d_m = np.array([1e5, 1e6, 5e6])
    fspl_db = 20 * np.log10(4 * math.pi * d_m / LEO.wavelength_m)
    pr_dbw = (10 * math.log10(LEO.tx_power_w) + 10 * math.log10(LEO.gain_tx) + 10 * math.log10(LEO.gain_rx)
              - fspl_db - LEO.pointing_loss_db - LEO.other_losses_db)
    assert np.allclose(10 * np.log10(received_power_w(LEO, d_m)), pr_dbw, rtol=0, atol=1e-9)
    # photon energy at 1550 nm: 1.2816e-19 J
    assert LEO.photon_energy_j == pytest.approx(1.28158e-19, rel=1e-5)


def test_capacity_inverse_square_until_the_cap():
    d_m = np.geomspace(2e5, 5e7, 50)
    cap_bps = capacity_bps(LEO, d_m)
    budget_bps = received_power_w(LEO, d_m) / LEO.energy_per_bit_j
    below = budget_bps < LEO.max_rate_bps
    assert below.any() and (~below).any()
    assert np.allclose((cap_bps * d_m**2)[below], (cap_bps * d_m**2)[below][0], rtol=1e-12)
    assert np.all(cap_bps[~below] == LEO.max_rate_bps)
    # 1 W, 10 cm, 6 dB, 100 photons/bit at 5,000 km: 20.1 Gbit/s
    assert float(capacity_bps(LEO, 5e6)) == pytest.approx(20.13e9, rel=1e-3)


@pytest.mark.parametrize("rate_bps", [1e9, 20e9, 100e9])
def test_max_range_for_rate_reproduces_the_rate(rate_bps):
    d_m = float(max_range_for_rate_m(LEO, rate_bps))
    assert float(capacity_bps(LEO, d_m)) == pytest.approx(rate_bps, rel=1e-12)
    assert float(capacity_bps(LEO, d_m * 1.001)) < rate_bps
    assert np.allclose(max_range_for_rate_m(LEO, [rate_bps, rate_bps / 4]), [d_m, 2 * d_m], rtol=1e-12)


def test_suncatcher_like_cluster_is_tbps_class():
    # unity coupling at pi D^2 / (4 lambda) = 50.7 m; at 100 m the budget allows 5.0 Pbit/s
    assert SUNCATCHER.unity_coupling_range_m == pytest.approx(50.67, rel=1e-3)
    budget_100m = float(received_power_w(SUNCATCHER, 100.0)) / SUNCATCHER.energy_per_bit_j
    assert budget_100m == pytest.approx(5.03e15, rel=2e-3)
    assert float(capacity_bps(SUNCATCHER, 100.0)) == 10e12
    # the 10 Tbit/s cap holds to 2.24 km (the whole 2 km-wide cluster), 1.6 Tbit/s to 5.6 km
    assert float(max_range_for_rate_m(SUNCATCHER, 10e12)) == pytest.approx(2243, rel=1e-3)
    assert float(max_range_for_rate_m(SUNCATCHER, 1.6e12)) == pytest.approx(5608, rel=1e-3)
    pos = suncatcher_cluster_m(np.random.default_rng(3))
    a, b = cluster_mesh(pos, 250.0)
    assert np.all(capacity_bps(SUNCATCHER, link_lengths_m(pos, a, b)) == 10e12)


def test_near_field_coupling_is_capped():
    p_max_w = SUNCATCHER.tx_power_w * SUNCATCHER.loss_factor
    assert float(received_power_w(SUNCATCHER, 0.0)) == pytest.approx(p_max_w)
    assert np.all(received_power_w(SUNCATCHER, np.linspace(0, 200, 101)) <= p_max_w * (1 + 1e-15))
    tiny = OpticalTerminal(tx_power_w=1e-9, tx_aperture_m=0.01, rx_aperture_m=0.01, max_rate_bps=1e12)
    assert float(capacity_bps(tiny, 0.0)) == pytest.approx(tiny.budget_limit_bps)


def test_fixed_capacity_mode():
    assert np.all(capacity_bps(100e9, [0.0, 1e3, 1e7]) == 100e9)
    assert float(max_range_for_rate_m(100e9, 10e9)) == math.inf
    assert check_budget(100e9, 50e9, 5e6) == 100e9
    with pytest.raises(ValueError, match="fixed capacity"):
        max_range_for_rate_m(100e9, 200e9)


def test_check_budget():
    assert check_budget(LEO, 10e9, 5e6) == pytest.approx(20.13e9, rel=1e-3)
    with pytest.raises(ValueError, match=r"below min_rate_bps = 5e\+10; it reaches 5e\+10 bit/s only up to"):
        check_budget(LEO, 50e9, 5e6)
    with pytest.raises(ValueError, match="no distance reaches it"):
        check_budget(LEO, 200e9, 5e6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(tx_power_w=0.0), "tx_power_w = 0.0: expected a positive finite number in W"),
        (dict(tx_power_w=-1.0), "tx_power_w"),
        (dict(tx_aperture_m=0.0), "tx_aperture_m"),
        (dict(rx_aperture_m=float("nan")), "rx_aperture_m"),
        (dict(photons_per_bit=0.0), "photons_per_bit = 0.0"),
        (dict(photons_per_bit=-5), "photons_per_bit"),
        (dict(max_rate_bps=0), "max_rate_bps"),
        (dict(wavelength_m=float("inf")), "wavelength_m"),
        (dict(pointing_loss_db=-3.0), r"pointing_loss_db = -3.0: expected a non-negative finite number in dB"),
        (dict(other_losses_db="3"), "other_losses_db"),
    ],
)
def test_bad_terminal(kwargs, match):
    base = dict(tx_power_w=1.0, tx_aperture_m=0.1, rx_aperture_m=0.1, max_rate_bps=1e11)
    with pytest.raises(ValueError, match=match):
        OpticalTerminal(**{**base, **kwargs})


def test_bad_budget_requests():
    with pytest.raises(ValueError, match="terminal cap max_rate_bps"):
        max_range_for_rate_m(LEO, 200e9)
    weak = OpticalTerminal(tx_power_w=1e-12, tx_aperture_m=0.1, rx_aperture_m=0.1, max_rate_bps=1e11)
    with pytest.raises(ValueError, match="power budget at full coupling"):
        max_range_for_rate_m(weak, 1e9)
    with pytest.raises(ValueError, match="rate_bps = 0.0"):
        max_range_for_rate_m(LEO, 0.0)
    with pytest.raises(ValueError, match="distance_m = -1.0"):
        capacity_bps(LEO, [10.0, -1.0])
    with pytest.raises(ValueError, match="expected an OpticalTerminal or a fixed capacity"):
        capacity_bps("fast", 1.0)
    with pytest.raises(ValueError, match="fixed capacity = -5"):
        capacity_bps(-5, 1.0)


# --- bad topology / geometry input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: plus_grid(0, 22), "planes = 0: expected an integer >= 1"),
        (lambda: plus_grid(72, 2.5), "sats_per_plane = 2.5"),
        (lambda: plus_grid(72, 22, start=-1), "start = -1"),
        (lambda: nearest(np.zeros((5, 2)), 4), r"positions_m has shape \(5, 2\)"),
        (lambda: nearest(np.full((3, 3), np.nan), 1), r"positions_m\[0\]"),
        (lambda: nearest(np.ones((3, 3)) * 7e6, 0), "k = 0"),
        (lambda: nearest(np.ones((3, 3)) * 7e6, 2, max_terminals=0), "max_terminals = 0"),
        (lambda: nearest(np.ones((3, 3)) * 7e6, 2, max_range_m=-5.0), "max_range_m = -5.0"),
        (lambda: cluster_mesh(np.ones((3, 3)) * 7e6, 0.0), "max_range_m = 0.0"),
        (lambda: cluster_mesh(np.ones((3, 3)) * 7e6, 10.0, grazing_height_m=-1.0), "grazing_height_m = -1.0"),
        (lambda: max_isl_range_m(50e3, 550e3), "alt_a_m = 50000.0: expected a finite altitude >= the grazing height"),
        (lambda: max_isl_range_m(550e3, [550e3, np.nan]), "alt_b_m = nan"),
        (lambda: edge_keys([3], [2], 10), r"link 0 = \(3, 2\): expected 0 <= a < b < n_sats = 10"),
        (lambda: edge_keys([1], [10], 10), "link 0"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_edge_keys_round_trip():
    a, b = plus_grid(34, 34, start=100)
    n = 100 + 34 * 34
    a2, b2 = edges_from_keys(edge_keys(a, b, n), n)
    assert np.array_equal(a, a2) and np.array_equal(b, b2)


# --- acquisition -------------------------------------------------------------------------------------


def test_link_tracker_hand_case():
    tr = LinkTracker(acquisition_s=120.0)
    assert tr.update(np.array([1, 5, 9]), 0.0).tolist() == [True, True, True]  # established at start
    assert tr.update(np.array([1, 7, 9]), 60.0).tolist() == [True, False, True]  # 7 new at 60 s
    assert tr.update(np.array([1, 5, 7]), 120.0).tolist() == [True, False, False]  # 5 back: re-acquire
    assert tr.update(np.array([1, 5, 7]), 180.0).tolist() == [True, False, True]  # 7 ready at 60 + 120
    assert tr.update(np.array([5, 7]), 240.0).tolist() == [True, True]
    cold = LinkTracker(acquisition_s=120.0, established_at_start=False)
    assert cold.update(np.array([1]), 0.0).tolist() == [False]
    assert cold.update(np.array([1]), 120.0).tolist() == [True]
    zero = LinkTracker(acquisition_s=0.0, established_at_start=False)
    assert zero.update(np.array([4]), 0.0).tolist() == [True]


@pytest.mark.parametrize("seed", range(5))
def test_link_tracker_matches_dict_reference(seed):
    rng = np.random.default_rng(seed)
    step_s, acq_s = 0.1, 0.3  # 0.1 s steps: float times k * 0.1 are inexact, the tolerance matters
    tr = LinkTracker(acquisition_s=acq_s, established_at_start=bool(seed % 2))
    first: dict[int, float] = {}
    for k in range(60):
        t = k * step_s
        keys = np.flatnonzero(rng.random(40) < 0.6).astype(np.int64) * 7
        first = {key: first.get(key, -math.inf if (k == 0 and seed % 2) else t) for key in keys.tolist()}
        expected = [round((t - first[key]) / step_s, 6) >= round(acq_s / step_s, 6) for key in keys.tolist()]
        assert tr.update(keys, t).tolist() == expected
        assert np.array_equal(tr.keys, keys)


def test_first_seen_function():
    seen = first_seen_s(np.array([2, 4, 8]), np.array([0.0, 10.0, 20.0]), np.array([1, 4, 8, 9]), 30.0)
    assert seen.tolist() == [30.0, 10.0, 20.0, 30.0]
    assert first_seen_s(np.zeros(0, np.int64), np.zeros(0), np.array([3]), 5.0).tolist() == [5.0]


def test_link_tracker_bad_input():
    tr = LinkTracker(acquisition_s=10.0)
    with pytest.raises(ValueError, match=r"keys\[1:3\] = \[5, 5\]: expected strictly increasing"):
        tr.update(np.array([1, 5, 5]), 0.0)
    with pytest.raises(ValueError, match="expected a 1-D integer array"):
        tr.update(np.array([1.0, 2.0]), 0.0)
    tr.update(np.array([1, 2]), 0.0)
    with pytest.raises(ValueError, match="t_s = 0.0: expected a time after the previous step's 0.0 s"):
        tr.update(np.array([1, 2]), 0.0)
    with pytest.raises(ValueError, match="acquisition_s = -1"):
        LinkTracker(acquisition_s=-1)
