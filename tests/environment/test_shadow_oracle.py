"""Eclipse timing of every Planet satellite over one day against skyfield's ``is_sunlit`` (DE421).

Oracle: skyfield's ``EarthSatellite(...).at(t).is_sunlit(de421)``: a point Sun (geometric DE421
position, GCRS) hidden behind a sphere of radius 6,378.1366 km. Its sunlit/shadow transitions are
found on a 20-s grid and refined by bisection to 0.01 s. The matching event of our conical model is
the crossing of illumination 0.5 (the Sun's centre on the Earth's limb): our illumination is computed
at 1-s samples from SGP4 (``sgp4_teme_km``), the analytic Sun (``sun_position_m``) in the same TEME
axes and ``illumination``, and the 0.5 crossings are interpolated linearly between samples.

The two models differ by the Sun's direction (apparent vs geometric, 20" of aberration; the analytic
Sun's 0.01 deg), the Earth radius (0.4 m) and the limb curvature of the half-disk criterion.

Measured on ../shared/data/tle/planet-2023-04-20.tle, 2023-04-20T00:00Z + 1 day: 188 satellites,
5,748 crossings, one-to-one per satellite, largest difference 0.042 s. Bound: 0.1 s (the task asked
for 3 s; the measured agreement is 70 times better).

Second check, the engine itself: ``run_block`` (SGP4, 10-s steps, events) must bracket every skyfield
entry between its penumbra and umbra entries (exit between umbra and penumbra exits), count the same
eclipses, and give a total time below illumination 0.5 within 0.6 s per satellite-day of skyfield's
(measured 0.41 s; linear interpolation of ``h_half`` on 10-s samples, ~30 crossings a day).

Runtime ~20 s (12 s of it our 1-s sampling of 188 x 86,400 points).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytestmark = pytest.mark.shared_data

from skyfield import api as skyfield_api  # test-only oracle (the package never imports skyfield)

crossing_tol_s = 0.1
bracket_tol_s = 0.1
dark_tol_s = 0.6
DAY_S = 86_400
START = np.datetime64("2023-04-20T00:00:00", "ns")


@pytest.fixture(scope="module")
def planet(planet_tle):
    from orbitcloud.fleet import FleetSlice
    from orbitcloud.fleet.tle import read_tle_file

    sets = read_tle_file(planet_tle)
    n = len(sets)
    z = np.zeros(n)
    sl = FleetSlice(
        start=0, stop=n, shell_index=np.zeros(n, np.int32), satnum=np.zeros(n, np.int64),
        epoch_jd=z, epoch_fr=z, no_kozai_rad_min=z, ecco=z, inclo_rad=z, nodeo_rad=z, argpo_rad=z,
        mo_rad=z, bstar=z, ndot=z, nddot=z,
        tle_line1=np.array([s.line1 for s in sets], dtype=object),
        tle_line2=np.array([s.line2 for s in sets], dtype=object),
    )
    return sets, sl


@pytest.fixture(scope="module")
def ours(planet):
    """Our 0.5-illumination crossings on 1-s samples: {sat: (times [s], leaving-shadow flags)}."""
    from sgp4.api import SatrecArray

    from orbitcloud.environment.shadow import illumination
    from orbitcloud.ephemeris.propagate import make_satrecs, sgp4_teme_km
    from orbitcloud.ephemeris.sun import sun_position_m
    from orbitcloud.timescale import jd_split, jd_split_offset

    _, sl = planet
    satrecs = make_satrecs(sl)
    t_s = np.arange(0.0, DAY_S, 1.0)
    jd0, fr0 = jd_split(START)
    jd, fr = jd_split_offset(float(jd0), float(fr0), t_s)
    sun = sun_position_m(jd, fr)
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    block = 16
    for k in range(0, len(satrecs), block):
        err, r_km, _ = sgp4_teme_km(SatrecArray(satrecs[k : k + block]), jd, fr)
        r = r_km * 1000.0
        ill = illumination(r[..., 0], r[..., 1], r[..., 2], sun)
        for q in range(r.shape[0]):
            if err[q].any():
                continue  # SGP4 error somewhere in the day: not compared
            dark = ill[q] < 0.5
            j = np.nonzero(dark[:-1] != dark[1:])[0]
            f0 = ill[q, j] - 0.5
            f1 = ill[q, j + 1] - 0.5
            out[k + q] = (t_s[j] + f0 / (f0 - f1), ~dark[j + 1])
    return out


@pytest.fixture(scope="module")
def skyfield_transitions(planet, ours):
    """skyfield's sunlit/shadow transitions, refined to 0.01 s, for the satellites we compare."""
    from skyfield.api import EarthSatellite, Loader
    from skyfield_data import get_skyfield_data_path

    sets, _ = planet
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = skyfield_api.load.timescale(builtin=True)
        eph = Loader(get_skyfield_data_path())("de421.bsp")
    grid = np.append(np.arange(0.0, DAY_S - 1.0, 20.0), DAY_S - 1.0)  # same span as our samples
    t_grid = ts.utc(2023, 4, 20, 0, 0, grid)  # one Time: its rotation matrices are computed once
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for i in ours:
        sat = EarthSatellite(sets[i].line1, sets[i].line2, ts=ts)
        lit = sat.at(t_grid).is_sunlit(eph)
        j = np.nonzero(lit[:-1] != lit[1:])[0]
        lo, hi, lo_lit = grid[j].copy(), grid[j + 1].copy(), lit[j]
        while hi.size and (hi - lo).max() > 0.01:
            mid = 0.5 * (lo + hi)
            m = sat.at(ts.utc(2023, 4, 20, 0, 0, mid)).is_sunlit(eph)
            same = m == lo_lit
            lo = np.where(same, mid, lo)
            hi = np.where(same, hi, mid)
        out[i] = (0.5 * (lo + hi), ~lo_lit)  # leaving shadow where the earlier side was dark
    return out


def test_half_illumination_crossings_match_skyfield(planet, ours, skyfield_transitions):
    sets, _ = planet
    assert len(ours) >= 0.95 * len(sets), f"only {len(ours)} of {len(sets)} satellites propagate all day"
    worst, worst_sat, n_cross = 0.0, None, 0
    for i, (t_ours, leaving_ours) in ours.items():
        t_sky, leaving_sky = skyfield_transitions[i]
        assert t_ours.size == t_sky.size, (
            f"{sets[i].name}: {t_ours.size} crossings of illumination 0.5, skyfield has {t_sky.size}"
        )
        np.testing.assert_array_equal(leaving_ours, leaving_sky, err_msg=sets[i].name)
        if t_ours.size:
            d = np.abs(t_ours - t_sky).max()
            n_cross += t_ours.size
            if d > worst:
                worst, worst_sat = d, sets[i].name
    assert n_cross > 20 * len(ours)  # about 15 orbits a day, two crossings each
    assert worst <= crossing_tol_s, f"largest crossing-time difference {worst:.3f} s ({worst_sat}) over {n_cross} crossings"


def test_run_block_events_bracket_skyfield(planet, ours, skyfield_transitions):
    from orbitcloud.sim.engine import RunSpec, run_block
    from orbitcloud.timescale import jd_split

    sets, sl = planet
    jd0, fr0 = jd_split(START)
    step = 10.0
    spec = RunSpec(float(jd0), float(fr0), step, int(DAY_S / step), "sgp4", want_events=True)
    res = run_block(sl, spec)
    ev = res.events
    t_last = spec.t_last_s
    worst_bracket, worst_dark = 0.0, 0.0
    for i, (t_sky, leaving) in skyfield_transitions.items():
        m = ev["sat"] == i
        ps, us, ue, pe = ev["pen_start"][m], ev["umb_start"][m], ev["umb_end"][m], ev["pen_end"][m]
        us = np.where(np.isnan(us), pe, us)  # penumbral-only eclipse: no umbra
        ue = np.where(np.isnan(ue), ps, ue)
        inside = t_sky <= t_last
        t_sky, leaving = t_sky[inside], leaving[inside]
        in_shadow_at_start = bool(leaving[0]) if leaving.size else False
        assert res.n_eclipses[i] == np.sum(~leaving) + in_shadow_at_start, sets[i].name
        for t, out in zip(t_sky, leaving):
            if out:
                k = np.argmin(np.abs(pe - t))
                lo, hi = ue[k], pe[k]
            else:
                k = np.argmin(np.abs(ps - t))
                lo, hi = ps[k], us[k]
            worst_bracket = max(worst_bracket, lo - t, t - hi)
        # skyfield's time in shadow, clipped to the run [0, t_last]
        edges = np.concatenate([[0.0], t_sky, [t_last]])
        dark_phase = np.arange(edges.size - 1) % 2 == (0 if in_shadow_at_start else 1)
        sky_dark = float(np.sum(np.diff(edges)[dark_phase]))
        worst_dark = max(worst_dark, abs(sky_dark - res.dark_s[i]))
    assert worst_bracket <= bracket_tol_s, f"a skyfield transition lies {worst_bracket:.3f} s outside its penumbra"
    assert worst_dark <= dark_tol_s, f"time below illumination 0.5 differs by {worst_dark:.3f} s in a day"
