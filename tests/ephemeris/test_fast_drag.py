"""SGP4's drag terms in the fast propagator: ``drag_c2`` against ``Satrec.cc1`` and the decaying
orbit against SGP4 itself.

With B* = 0 the fast model's along-track error against SGP4 is the J2 short-period part (a few km,
``test_fast.py``). With drag SGP4's orbit falls behind quadratically (``1.5 n C1 t^2``): at 300 km with
B* = 5e-4 /ER the lag after 2 days is ~200 km, which the fast model must follow to the same few km.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sgp4.api import WGS72
from sgp4.model import Satrec as PySatrec

from orbitcloud.ephemeris.frames import gmst_for_times
from orbitcloud.ephemeris.propagate import fast_ecef_m, fast_ecef_pairs_m, fast_orbits
from orbitcloud.fleet import build_fleet
from orbitcloud.fleet.elements import drag_c2
from orbitcloud.scenario import parse_scenario
from orbitcloud.timescale import jd_split_offset
from orbitcloud.validate.cases_orbit_safety import sgp4_and_fast_ecef_m

one_km_m = 1_000.0


@pytest.mark.parametrize("alt_km, ecco, inc_deg", [(550, 1e-4, 53), (400, 1e-3, 51.6), (140, 5e-4, 97), (300, 0.02, 30), (90, 0.01, 60)])
def test_drag_c2_matches_sgp4init(alt_km, ecco, inc_deg):
    a_er = (6378.135 + alt_km) / 6378.135
    no = 0.0743669161 / a_er**1.5
    sat = PySatrec()
    sat.sgp4init(WGS72, "i", 1, 27000.0, 1e-4, 0.0, 0.0, ecco, 0.3, math.radians(inc_deg), 0.2, no, 0.1)
    got = 1e-4 * drag_c2(np.array([no]), np.array([ecco]), np.array([math.radians(inc_deg)]))[0]
    assert got == pytest.approx(sat.cc1, rel=1e-12)


SCEN = """
name: drag
epoch: 2026-03-20T00:00:00Z
duration: 2d
step: 60s
constellation:
  - kind: walker
    altitude_km: 300
    inclination_deg: 53
    planes: 2
    sats_per_plane: 3
    phasing: 1
"""


def _fleet_with_bstar(bstar: float):
    fleet = build_fleet(parse_scenario(SCEN))
    fleet.bstar[:] = bstar
    return fleet


def test_fast_mode_follows_sgp4_decay():
    fleet = _fleet_with_bstar(5e-4)
    t_s, ref, fast, err = sgp4_and_fast_ecef_m(fleet.slice(0, len(fleet)), 2.0)
    assert not err.any()
    diff = np.linalg.norm(fast - ref, axis=-1)
    # the same orbit without the drag terms is left far behind: the decay is real and large
    sl0 = fleet.slice(0, len(fleet))
    sl0.bstar = np.zeros_like(sl0.bstar)
    nodrag = sgp4_and_fast_ecef_m(sl0, 2.0)[2]
    lag = np.linalg.norm(nodrag - ref, axis=-1)
    assert lag[:, -1].min() > 50 * one_km_m, f"drag lag only {lag[:, -1].min() / 1e3:.1f} km"
    assert diff.max() <= 6 * one_km_m, f"fast with drag vs SGP4: max {diff.max() / 1e3:.2f} km"
    # radius falls by SGP4's 2 a C1 t: the mean radius of the last orbit is lower than the first
    r_fast = np.linalg.norm(fast, axis=-1)
    per = int(round(5400 / 60))
    assert (r_fast[:, :per].mean(axis=1) - r_fast[:, -per:].mean(axis=1)).min() > 1_000.0


def test_pairs_evaluation_matches_grid_with_drag():
    fleet = _fleet_with_bstar(5e-4)
    sl = fleet.slice(0, len(fleet))
    jd0, fr0 = float(fleet.epoch_jd[0]), float(fleet.epoch_fr[0])
    t_s = np.arange(0.0, 86_400.0, 600.0)
    jd, fr = jd_split_offset(jd0, fr0, t_s)
    gmst = gmst_for_times(jd, fr)
    orb = fast_orbits(sl, jd0, fr0)
    grid = np.stack(fast_ecef_m(orb, t_s, gmst)[:3], axis=-1)
    idx = np.repeat(np.arange(len(sl)), t_s.size)
    tt = np.tile(t_s, len(sl))
    pairs = np.stack(fast_ecef_pairs_m(orb, idx, tt, np.tile(gmst, len(sl))), axis=-1).reshape(grid.shape)
    assert np.abs(pairs - grid).max() < 5.0  # float32 grid vs float64 pairs, metres


def test_drag_terms_match_sgp4init():
    from orbitcloud.fleet.elements import drag_terms

    for alt_km, ecco, inc_deg, bstar in [(325, 1e-4, 45, 2e-3), (550, 5e-4, 53, 1e-3), (200, 1e-3, 97, 1e-4)]:
        a_er = (6378.135 + alt_km) / 6378.135
        no = 0.0743669161 / a_er**1.5
        sat = PySatrec()
        sat.sgp4init(WGS72, "i", 1, 27000.0, bstar, 0.0, 0.0, ecco, 0.3, math.radians(inc_deg), 0.2, no, 0.1)
        d = drag_terms(np.array([no]), np.array([ecco]), np.array([math.radians(inc_deg)]), np.array([bstar]))
        for ours, theirs in (("c1", "cc1"), ("d2", "d2"), ("d3", "d3"), ("d4", "d4"), ("t3cof", "t3cof"),
                             ("t4cof", "t4cof"), ("t5cof", "t5cof"), ("nodecf", "nodecf")):
            assert float(d[ours][0]) == pytest.approx(getattr(sat, theirs), rel=1e-12, abs=1e-300), (alt_km, ours)


def test_fast_mode_follows_a_steep_sgp4_decay():
    """325 km, B* = 2e-3 /ER: SGP4's D2..D4 terms matter (the orbit falls ~13 km in 5 days); the
    fast mode's orbit-mean radius stays within 1 km of SGP4's."""
    fleet = build_fleet(parse_scenario(SCEN.replace("altitude_km: 300", "altitude_km: 325")))
    fleet.bstar[:] = 2e-3
    sl = fleet.slice(0, len(fleet))
    t_s, ref, fast, err = sgp4_and_fast_ecef_m(sl, 5.0)
    assert not err.any()
    per = 91  # ~one orbit of 60-s samples
    n_orb = t_s.size // per
    r_ref = np.linalg.norm(ref, axis=-1)[:, :n_orb * per].reshape(len(sl), n_orb, per).mean(axis=2)
    r_fast = np.linalg.norm(fast, axis=-1)[:, :n_orb * per].reshape(len(sl), n_orb, per).mean(axis=2)
    assert (r_ref[:, 0] - r_ref[:, -1]).min() > 10 * one_km_m
    assert np.abs(r_fast - r_ref).max() < 1 * one_km_m, np.abs(r_fast - r_ref).max()
