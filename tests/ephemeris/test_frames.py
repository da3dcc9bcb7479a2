"""Frames: TEME -> Earth-fixed (GMST-82) -> WGS-84 geodetic, against skyfield.

Oracles: skyfield's ``EarthSatellite`` (same SGP4, TEME -> GCRS with IAU 2000 precession-nutation)
read back in its ITRS frame and through ``wgs84.geographic_position_of``; skyfield's ``wgs84``
ellipsoid for geodetic -> Cartesian; skyfield's ``t.gmst`` (IAU 2006, from the Earth rotation angle)
and its own ``theta_GMST1982`` (an independent coding of the formula we use).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.ephemeris.frames import (
    ecef_to_geodetic,
    ecef_to_teme,
    geodetic_to_ecef,
    gmst_for_times,
    teme_to_ecef,
)
from orbitcloud.timescale import gmst82_rad, jd_split

from skyfield import api as skyfield_api  # test-only oracle (the package never imports skyfield)

one_mm_m = 1e-3


def _ts():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return skyfield_api.load.timescale(builtin=True)


# --------------------------------------------------------------------------------------- geodetic


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(-90.0, 90.0),
    lon=st.floats(-180.0, 180.0),
    h_m=st.floats(0.0, 40_000e3),
)
def test_geodetic_round_trip(lat, lon, h_m):
    r = geodetic_to_ecef(np.radians(lat), np.radians(lon), h_m)
    lat2, lon2, h2 = ecef_to_geodetic(r)
    r2 = geodetic_to_ecef(lat2, lon2, h2)
    assert np.linalg.norm(r2 - r) <= one_mm_m
    assert abs(h2 - h_m) <= one_mm_m
    # latitude error as a distance along the meridian (radius of curvature < 6,400 km + h)
    assert abs(lat2 - np.radians(lat)) * (6_400e3 + h_m) <= one_mm_m
    if abs(lat) < 89.999:
        dlon = np.angle(np.exp(1j * (lon2 - np.radians(lon))))
        assert abs(dlon) * (6_400e3 + h_m) * np.cos(np.radians(lat)) <= one_mm_m


def test_geodetic_to_ecef_vs_skyfield_wgs84():
    """Our WGS-84 geodetic -> Cartesian equals skyfield's ``wgs84.latlon(...).itrs_xyz`` to 1 mm."""
    rng = np.random.default_rng(7)
    lat = rng.uniform(-90.0, 90.0, 500)
    lon = rng.uniform(-180.0, 180.0, 500)
    h = rng.uniform(-1_000.0, 40_000e3, 500)
    ours = geodetic_to_ecef(np.radians(lat), np.radians(lon), h)
    ref = skyfield_api.wgs84.latlon(lat, lon, elevation_m=h).itrs_xyz.m.T
    err = np.linalg.norm(ours - ref, axis=1).max()
    assert err <= one_mm_m, f"{err * 1e3:.4f} mm"


def test_known_points():
    """Closed forms: equator/prime meridian at a; the pole at b = a (1 - f)."""
    from orbitcloud.constants import WGS84_A_M, WGS84_F

    eq = geodetic_to_ecef(np.array(0.0), np.array(0.0), np.array(0.0))
    np.testing.assert_allclose(eq, [WGS84_A_M, 0.0, 0.0], atol=one_mm_m)
    pole = geodetic_to_ecef(np.array(np.pi / 2), np.array(0.0), np.array(100.0))
    np.testing.assert_allclose(pole, [0.0, 0.0, WGS84_A_M * (1 - WGS84_F) + 100.0], atol=one_mm_m)
    lat, lon, h = ecef_to_geodetic(np.array([[0.0, 7_000e3, 0.0]]))
    assert abs(lat[0]) < 1e-15 and abs(lon[0] - np.pi / 2) < 1e-15 and abs(h[0] - (7_000e3 - WGS84_A_M)) < one_mm_m


def test_teme_ecef_rotation_inverse_and_axis():
    rng = np.random.default_rng(3)
    r = rng.normal(size=(4, 50, 3)) * 7e6
    g = rng.uniform(0, 2 * np.pi, 50)
    back = ecef_to_teme(teme_to_ecef(r, g), g)
    np.testing.assert_allclose(back, r, rtol=0, atol=1e-8)
    # GMST = 90 deg: the TEME x axis points to ECEF -y (Earth has turned east under it)
    out = teme_to_ecef(np.array([[1.0, 0.0, 0.0]]), np.array([np.pi / 2]))
    np.testing.assert_allclose(out, [[0.0, -1.0, 0.0]], atol=1e-15)


# ------------------------------------------------------------------------------------------- GMST


def _random_times(n: int, lo: str, hi: str, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = np.datetime64(lo, "ns").astype(np.int64)
    b = np.datetime64(hi, "ns").astype(np.int64)
    return np.sort(rng.integers(a, b, n)).astype("datetime64[ns]")


def test_gmst82_vs_skyfield_theta_gmst1982():
    """Same IAU-82 formula, independently coded in skyfield (``sgp4lib.theta_GMST1982``).

    Measured: 1.2e-13 rad over 1990-2050 (no precision lost to the split date).
    """
    from skyfield.sgp4lib import theta_GMST1982

    jd, fr = jd_split(_random_times(2000, "1990-01-01", "2050-01-01"))
    ours = gmst82_rad(jd, fr)
    ref, _ = theta_GMST1982(jd, fr)
    diff = np.abs(np.angle(np.exp(1j * (ours - ref))))
    assert diff.max() <= 1e-11, f"{diff.max():.2e} rad"
    assert np.all((ours >= 0.0) & (ours < 2 * np.pi))


def test_gmst82_vs_skyfield_iau2006_gmst():
    """GMST-82 against skyfield's IAU 2006 GMST (ERA-based) at the same UT1.

    The two models differ by a slow drift: measured -0.04" in 2000 to +0.10" in 2050, largest
    3.5e-5 deg (0.125") over 2000-2050, i.e. 4 m at a 7,000 km radius. Bound: 5e-5 deg. skyfield's
    time is built from one float UT1 Julian date (~2e-5 s resolution, worth 1e-7 deg).
    """
    ts = _ts()
    jd, fr = jd_split(_random_times(2000, "2000-01-01", "2050-01-01"))
    ours = gmst82_rad(jd, fr)
    t = ts.ut1_jd(jd + fr)
    ref = np.radians(np.asarray(t.gmst) * 15.0)
    diff_deg = np.degrees(np.angle(np.exp(1j * (ours - ref))))
    assert np.abs(diff_deg).max() <= 5e-5, f"max |GMST82 - GMST2006| = {np.abs(diff_deg).max():.2e} deg"
    # the models agree best near J2000 (their common epoch), within 1e-5 deg over 2000-2010
    near = jd + fr < 2455197.5
    assert np.abs(diff_deg[near]).max() <= 1e-5


def test_gmst_for_times_dut1_offset():
    """UT1 = UTC + dut1: GMST advances by the sidereal rate x dut1 (1.0027379 x 15"/s)."""
    jd, fr = jd_split(_random_times(50, "2020-01-01", "2030-01-01"))
    g0 = gmst_for_times(jd, fr)
    g1 = gmst_for_times(jd, fr, dut1_s=0.5)
    d = np.angle(np.exp(1j * (g1 - g0)))
    expected = 0.5 * 7.292115146706979e-5
    np.testing.assert_allclose(d, expected, rtol=1e-6)


# --------------------------------------------------------------------- real satellites (shared)


@pytest.mark.shared_data
def test_planet_fleet_earth_fixed_and_geodetic_vs_skyfield(planet_tle):
    """Every Planet satellite, 12 times over 2023-04-20: our TEME -> ECEF -> geodetic vs skyfield.

    Raw ECEF difference against skyfield's ITRS: measured 17.06 m. It is UT1 - UTC: skyfield's
    builtin IERS table gives -0.0334 s that day, and 0.0334 s x 7.29e-5 rad/s x 6,900 km = 16.8 m;
    with that dut1 passed to :func:`gmst_for_times` the difference falls to 0.28 m (the residual is
    dut1's drift over the day). skyfield's builtin timescale carries no polar motion. Bounds: 25 m
    raw, 0.5 m with dut1. Horizontal position (both points dropped onto the ellipsoid): measured
    15.8 m, bound 100 m. Height: measured 5e-8 m (rotation about z does not change it, so this
    checks our closed-form geodetic against skyfield's iteration), bound 1 mm.
    """
    from sgp4.api import SatrecArray
    from skyfield.api import EarthSatellite, wgs84
    from skyfield.framelib import itrs

    from orbitcloud.ephemeris.propagate import make_satrecs, sgp4_teme_km
    from orbitcloud.fleet import FleetSlice
    from orbitcloud.fleet.tle import read_tle_file

    sets = read_tle_file(planet_tle)
    n = len(sets)
    assert n > 100
    z = np.zeros(n)
    sl = FleetSlice(
        start=0, stop=n, shell_index=np.zeros(n, np.int32), satnum=np.zeros(n, np.int64),
        epoch_jd=z, epoch_fr=z, no_kozai_rad_min=z, ecco=z, inclo_rad=z, nodeo_rad=z, argpo_rad=z,
        mo_rad=z, bstar=z, ndot=z, nddot=z,
        tle_line1=np.array([s.line1 for s in sets], dtype=object),
        tle_line2=np.array([s.line2 for s in sets], dtype=object),
    )
    t0 = np.datetime64("2023-04-20T00:00:00", "ns")
    sec = np.arange(0, 86400, 7207)  # 12 times, not aligned to whole hours
    times = t0 + sec.astype("timedelta64[s]")
    jd, fr = jd_split(times)
    err, r_km, _ = sgp4_teme_km(SatrecArray(make_satrecs(sl)), jd, fr)
    ecef = teme_to_ecef(r_km * 1000.0, gmst_for_times(jd, fr))
    lat, lon, h = ecef_to_geodetic(ecef)

    ts = _ts()
    t = ts.utc(2023, 4, 20, 0, 0, sec.astype(float))
    dut1 = float(np.mean(t.dut1))
    ecef_dut1 = teme_to_ecef(r_km * 1000.0, gmst_for_times(jd, fr, dut1_s=dut1))
    worst = dict(raw=0.0, dut1=0.0, horiz=0.0, height=0.0)
    n_checked = 0
    for i, s in enumerate(sets):
        ok = err[i] == 0
        if not ok.any():
            continue
        n_checked += 1
        pos = EarthSatellite(s.line1, s.line2, ts=ts).at(t)
        ref = pos.frame_xyz(itrs).m.T
        geo = wgs84.geographic_position_of(pos)
        a = geodetic_to_ecef(lat[i], lon[i], np.zeros_like(lat[i]))
        b = geodetic_to_ecef(geo.latitude.radians, geo.longitude.radians, np.zeros_like(lat[i]))
        worst["raw"] = max(worst["raw"], np.linalg.norm(ecef[i] - ref, axis=1)[ok].max())
        worst["dut1"] = max(worst["dut1"], np.linalg.norm(ecef_dut1[i] - ref, axis=1)[ok].max())
        worst["horiz"] = max(worst["horiz"], np.linalg.norm(a - b, axis=1)[ok].max())
        worst["height"] = max(worst["height"], np.abs(h[i] - geo.elevation.m)[ok].max())
    assert n_checked >= 0.95 * n
    msg = ", ".join(f"{k} {v:.3g} m" for k, v in worst.items())
    assert worst["raw"] <= 25.0, msg
    assert worst["dut1"] <= 0.5, msg
    assert worst["horiz"] <= 100.0, msg
    assert worst["height"] <= one_mm_m, msg


def test_compiled_teme_km_to_ecef_m_is_bit_identical():
    from orbitcloud.ephemeris.frames import teme_km_to_ecef_m_components, teme_to_ecef

    rng = np.random.default_rng(4)
    r = rng.normal(size=(200, 16, 3)) * 7000.0
    g = rng.uniform(0, 2 * np.pi, 16)
    a = teme_km_to_ecef_m_components(r, np.cos(g), np.sin(g), compiled=False)
    b = teme_km_to_ecef_m_components(r, np.cos(g), np.sin(g), compiled=True)
    for ca, cb in zip(a, b):
        assert np.array_equal(ca, cb)
    # the rotation itself, against the frame module's teme_to_ecef [m]
    ref = teme_to_ecef(r * 1000.0, g[None, :])
    np.testing.assert_allclose(np.stack(a, axis=-1), ref, rtol=0, atol=1e-6)
