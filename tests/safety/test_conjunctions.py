"""Screening and refinement against brute-force fine stepping with SGP4."""

from __future__ import annotations

import numpy as np
import pytest
from safety_helpers import (
    FR0,
    JD0,
    brute_tca,
    circular,
    objects,
    random_leo,
)

from orbitcloud.errors import OrbitcloudError
from orbitcloud.safety.conjunctions import band_overlap, screen


def test_constructed_crossing_found_at_the_node():
    # same altitude, inclinations 45 and 135 deg sharing the node line (RAAN 0): both reach the
    # ascending node (u = 0) 1,500 s after the epoch, so they meet there (the J2 rates of the mean
    # anomaly depend on cos^2 i, equal for both; the nodes drift apart by ~0.1 deg a day)
    t_cross = 1500.0
    n_deg_s = np.degrees(np.sqrt(398600.8 / (6378.135 + 550.0) ** 3))
    u0 = -n_deg_s * t_cross
    a = circular(1, 550.0, 45.0, 0.0, u0)
    b = circular(2, 550.0, 135.0, 0.0, u0)
    res = screen(objects([a]), objects([b], "T"), JD0, FR0, 3 * 3600.0, 20.0)
    assert len(res) >= 1
    first = int(np.argmin(np.abs(res.tca_s - t_cross)))
    assert abs(res.tca_s[first] - t_cross) < 3.0  # SGP4's mean vs Kepler elements: ~2 s
    assert res.miss_km[first] < 0.1
    t_bf, d_bf = brute_tca(a, b, float(res.tca_s[first]))
    assert abs(res.tca_s[first] - t_bf) < 0.1
    assert abs(res.miss_km[first] - d_bf) < 0.010
    # the crossing point is on the node line (x axis of TEME at the epoch, give or take J2 regression)
    r = res.r_a_km[first]
    assert abs(r[1]) / np.linalg.norm(r) < 0.05 and abs(r[2]) / np.linalg.norm(r) < 0.05


def _brute_force_events(sats_a, sats_b, duration_s: float, threshold_km: float, self_screen: bool):
    """Interior local minima of the distance below the threshold, every pair, 1 s then 1 ms stepping."""
    from sgp4.api import SatrecArray

    from orbitcloud.timescale import jd_split_offset

    t = np.arange(0.0, duration_s + 0.5, 1.0)
    jd, fr = jd_split_offset(JD0, FR0, t)
    _, ra, _ = SatrecArray(sats_a).sgp4(jd, fr)
    rb = ra if self_screen else SatrecArray(sats_b).sgp4(jd, fr)[1]
    events = []
    for i, sa in enumerate(sats_a):  # every pair, every second
        d = np.linalg.norm(rb - ra[i][None], axis=2)  # (n_b, T)
        jj, kk = np.nonzero((d[:, 1:-1] <= d[:, :-2]) & (d[:, 1:-1] <= d[:, 2:]) & (d[:, 1:-1] < threshold_km + 8.0))
        for j, k in zip(jj, kk + 1):
            if (self_screen and j <= i) or t[k] < 3 or t[k] > duration_s - 3:
                continue
            tb, db = brute_tca(sa, sats_b[j], float(t[k]), half_s=1.2)
            if db < threshold_km:
                events.append((i, int(j), tb, db))
    return events


@pytest.mark.parametrize("self_screen", [False, True])
def test_screening_misses_nothing_brute_force_finds(self_screen):
    rng = np.random.default_rng(7 if self_screen else 3)
    duration_s, thr = 3 * 3600.0, 50.0
    sats_a = random_leo(rng, 40, 100, alt=(525.0, 535.0))
    sats_b = sats_a if self_screen else random_leo(rng, 40, 500, alt=(525.0, 535.0))
    res = screen(objects(sats_a), None if self_screen else objects(sats_b, "T"), JD0, FR0, duration_s, thr)
    ref = _brute_force_events(sats_a, sats_b, duration_s, thr, self_screen)
    assert len(ref) >= 5, "the random set should give some encounters"
    assert np.all(res.miss_km <= thr)
    for i, j, tb, db in ref:
        m = (res.ia == i) & (res.ib == j) & (np.abs(res.tca_s - tb) < 1.0)
        assert m.any(), f"missed pair ({i}, {j}) at t={tb:.3f} s, miss {db:.3f} km"
        e = int(np.flatnonzero(m)[0])
        assert abs(res.tca_s[e] - tb) < 0.1
        assert abs(res.miss_km[e] - db) < 0.010
    # and nothing the brute force does not know (interior events)
    interior = (res.tca_s > 3) & (res.tca_s < duration_s - 3) & (res.miss_km < thr * 0.999)
    assert int(interior.sum()) <= len(ref)


def test_refinement_agrees_with_fine_stepping_to_10_m_and_0_1_s():
    rng = np.random.default_rng(11)
    sats_a, sats_b = random_leo(rng, 25, 100), random_leo(rng, 25, 500)
    res = screen(objects(sats_a), objects(sats_b, "T"), JD0, FR0, 3 * 3600.0, 60.0)
    assert len(res) >= 5
    for e in range(min(len(res), 12)):
        tb, db = brute_tca(sats_a[res.ia[e]], sats_b[res.ib[e]], float(res.tca_s[e]), half_s=0.5)
        if 0.0 < res.tca_s[e] < 3 * 3600.0:
            assert abs(res.tca_s[e] - tb) < 0.1
            assert abs(res.miss_km[e] - db) < 0.010


def test_orbit_filter_drops_objects_in_other_shells():
    per_a, apo_a = np.array([6900.0, 7300.0]), np.array([6910.0, 7310.0])
    per_b = np.array([6880.0, 7000.0, 7200.0, 8000.0, 6000.0])
    apo_b = np.array([6890.0, 7100.0, 7290.0, 8100.0, 9000.0])
    assert band_overlap(per_a, apo_a, per_b, apo_b, 15.0).tolist() == [True, False, True, False, True]
    rng = np.random.default_rng(1)
    low = random_leo(rng, 5, 100, alt=(500, 520))
    high = random_leo(rng, 5, 200, alt=(1200, 1220))
    res = screen(objects(low), objects(high, "T"), JD0, FR0, 3600.0, 5.0)
    assert res.stats["objects_b_after_orbit_filter"] == 0 and len(res) == 0


@pytest.mark.parametrize("duration_s, thr, what", [(3600.0, -1.0, "--threshold-km"), (3600.0, float("nan"), "--threshold-km"),
                                                   (0.0, 5.0, "--duration"), (-5.0, 5.0, "--duration")])
def test_bad_window_refused(duration_s, thr, what):
    o = objects([circular(1, 550, 50, 0, 0), circular(2, 550, 60, 0, 0)])
    with pytest.raises(OrbitcloudError, match=what):
        screen(o, None, JD0, FR0, duration_s, thr)


def test_worker_processes_give_the_same_hits():
    from orbitcloud.safety.conjunctions import coarse_pass

    rng = np.random.default_rng(5)
    a, b = objects(random_leo(rng, 20, 100, alt=(525, 535))), objects(random_leo(rng, 20, 300, alt=(525, 535)), "T")
    one = coarse_pass(a, b, JD0, FR0, 2 * 3600.0, 60.0, workers=1)
    two = coarse_pass(a, b, JD0, FR0, 2 * 3600.0, 60.0, workers=2)
    assert len(one.ia) > 0
    for name in ("ia", "ib", "k"):
        assert np.array_equal(getattr(one, name), getattr(two, name))
    assert np.allclose(one.d_lin_km, two.d_lin_km, rtol=0, atol=1e-6)
