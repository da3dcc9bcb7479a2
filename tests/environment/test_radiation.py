"""Radiation environment: AP8/AE8 grid, shielded dose, caching and the solar-particle-event process.

Independent references: aep8's own flux at a point (the grid must reproduce it at a node and
approximately between nodes), the plain Bethe formula for proton stopping powers (checks the embedded
PSTAR table), an independent orbit dose (aep8's public API at every sample + a Bethe/CSDA
solid-sphere transport written in test_radiation_published.py, no engine functions), the CREME96
worst-day solar-proton spectrum (Tylka et al. 1997, built on the October 1989 event; as tabulated
by SPENVIS, see test_radiation_published.py), the Suncatcher paper's expected dose (150 rad(Si)/yr
behind shielding at ~650 km dawn-dusk, Google Research 2025, arXiv 2511.19468; a loose sanity band
only), and physical properties (zero flux gives zero dose, dose falls with shielding, the South
Atlantic Anomaly and the outer-belt horns are where they belong). Published SHIELDOSE-2 doses are
compared in test_radiation_published.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitcloud.environment import pstar_al_si
from orbitcloud.environment import radiation as rad
from orbitcloud.environment.radiation import (
    YEAR_S,
    RadiationGrid,
    RadiationSpec,
    geocentric_to_ecef_m,
    proton_incident_energy_mev,
    proton_range_g_cm2,
    proton_stopping_si_mev_cm2_g,
    spe_dose_rate_rad_s,
    spe_events,
    spe_exposure,
)
from test_radiation_published import (  # the independent calculation and the published SPE spectrum
    creme96_worst_day_dose_rad,
    creme96_worst_day_power_law,
    independent_orbit_proton_dose_rad_s,
    independent_sphere_dose,
    independent_rel_tol,
    spe_independent_rel_tol,
    spe_published_factor,
)

# tolerances, in named units
node_rel_tol = 1e-6  # grid value at a node vs aep8 at the same point (only float rounding)
between_nodes_rel_tol = 0.20  # trilinear interpolation between 4-deg / 25-km nodes vs aep8
bethe_rel_tol = 0.025  # PSTAR table vs plain Bethe formula, 20 MeV - 1 GeV (shell/density terms < 2 %)
range_rel_tol = 0.015  # integrated CSDA range difference vs Bethe, 50 -> 250 MeV
suncatcher_factor = 3.0  # loose sanity band around Suncatcher's 150 rad/yr (their shielding is not ours)
orbit_grid_rel_tol = 0.05  # orbit-mean dose, grid vs IRBEM at every sample (measured 1.0 %)
kernel_rel_tol = 1e-9  # numba kernel vs NumPy reference (same formula, additions in another order)


@pytest.fixture(autouse=True, scope="module")
def _cache_dir(tmp_path_factory):
    """Keep the grid cache of this module in a temporary directory."""
    mp = pytest.MonkeyPatch()
    mp.setenv("ORBITCLOUD_CACHE", str(tmp_path_factory.mktemp("cache")))
    rad._MEMO.clear()
    yield
    rad._MEMO.clear()
    mp.undo()


@pytest.fixture(scope="module")
def grid550(_cache_dir) -> RadiationGrid:
    return RadiationGrid.build(550.0, 550.0, RadiationSpec(shielding_mm_al=10.0, solar="min"))


def _level(grid: RadiationGrid, alt_km: float) -> int:
    return int(np.flatnonzero(grid.alt_km == alt_km)[0])


def _aep8_flux(lat_deg, lon_deg, alt_km, energy_mev, solar="min", particle="p"):
    """aep8's public API at a point. aep8 converts metres to Earth radii with astropy's earthRad
    (6,378.1 km) while IRBEM reads Earth radii of 6,371.2 km, so the location is scaled to land on the
    same physical point that the grid uses."""
    from astropy import units as u
    from astropy.coordinates import EarthLocation
    from astropy.time import Time

    import aep8

    scale = u.earthRad.to(u.m) / rad.IRBEM_EARTH_RADIUS_M
    x, y, z = geocentric_to_ecef_m(lat_deg, lon_deg, alt_km)
    loc = EarthLocation.from_geocentric(x * scale, y * scale, z * scale, unit=u.m)
    m = aep8.model(particle=particle, solar=solar)
    return float(m.integral_flux(loc, Time("2000-01-01T00:00:00"), energy_mev * u.MeV).to_value(u.cm**-2 / u.s))


# --- the South Atlantic Anomaly -------------------------------------------------------------------------------
def test_saa_location_at_550km(grid550):
    f = grid550.flux_p10_cm2_s[_level(grid550, 550.0)]
    j = np.unravel_index(np.argmax(f), f.shape)
    lat, lon = grid550.lat_deg[j[0]], grid550.lon_deg[j[1]]
    assert -50.0 <= lat <= -10.0 and -90.0 <= lon <= 0.0, (lat, lon)
    # the dose maximum is there as well
    d = grid550.dose_p_rad_s[_level(grid550, 550.0)]
    jd = np.unravel_index(np.argmax(d), d.shape)
    assert -50.0 <= grid550.lat_deg[jd[0]] <= -10.0 and -90.0 <= grid550.lon_deg[jd[1]] <= 0.0


def test_saa_centre_matches_aep8(grid550):
    """At the grid maximum (a node) the grid's > 10 MeV-behind-shield flux is aep8's J(>E10)."""
    f = grid550.flux_p10_cm2_s[_level(grid550, 550.0)]
    j = np.unravel_index(np.argmax(f), f.shape)
    lat, lon = float(grid550.lat_deg[j[0]]), float(grid550.lon_deg[j[1]])
    e10 = float(proton_incident_energy_mev(10.0, 10.0))
    ref = _aep8_flux(lat, lon, 550.0, e10)
    got = float(grid550.proton_flux_cm2_s(*geocentric_to_ecef_m(lat, lon, 550.0)))
    assert ref > 1000.0  # the anomaly's core: ~2,100 cm^-2 s^-1 (measured)
    assert got == pytest.approx(ref, rel=node_rel_tol)
    # between nodes (half a cell in every direction) the interpolation stays within 20 %
    lat2, lon2, alt2 = lat + 2.0, lon + 2.0, 562.5
    ref2 = _aep8_flux(lat2, lon2, alt2, e10)
    got2 = float(grid550.proton_flux_cm2_s(*geocentric_to_ecef_m(lat2, lon2, alt2)))
    assert got2 == pytest.approx(ref2, rel=between_nodes_rel_tol), (got2, ref2)


def test_outside_the_belts_only_gcr(grid550):
    """Equator, 120 deg E, 550 km: no trapped flux (AP8 and AE8 give 0), so dose = GCR exactly."""
    x, y, z = geocentric_to_ecef_m(0.0, 120.0, 550.0)
    assert _aep8_flux(0.0, 120.0, 550.0, 0.1) == 0.0
    assert _aep8_flux(0.0, 120.0, 550.0, 0.05, particle="e") == 0.0
    assert float(grid550.proton_flux_cm2_s(x, y, z)) == 0.0
    assert float(grid550.trapped_dose_rate_rad_s(x, y, z)) == 0.0
    assert float(grid550.dose_rate_rad_s(x, y, z)) == grid550.spec.gcr_rad_s
    assert grid550.spec.gcr_rad_s * YEAR_S == pytest.approx(rad.GCR_DEFAULT_RAD_PER_YR)


def test_electron_horns_at_650km():
    """AE8 outer-belt horns: behind 1 mm Al the electron dose peaks at 50-75 deg |latitude| in both
    hemispheres away from the SAA longitudes, and is zero at the equator there."""
    g = RadiationGrid.build(650.0, 650.0, RadiationSpec(shielding_mm_al=1.0, solar="min"))
    d = g.dose_e_rad_s[_level(g, 650.0)]
    lon_ok = (g.lon_deg >= 60.0) & (g.lon_deg <= 180.0)  # Asia / Pacific, far from the SAA
    for hemi in (1.0, -1.0):
        band = hemi * g.lat_deg >= 20.0
        sub = d[np.ix_(band, lon_ok)]
        peak_lat = g.lat_deg[band][np.unravel_index(np.argmax(sub), sub.shape)[0]]
        assert 50.0 <= abs(peak_lat) <= 75.0, peak_lat
        assert sub.max() * YEAR_S > 1e4  # measured: 3.1e4 (north) and 7.3e4 (south) rad/yr
    eq = d[np.ix_(np.abs(g.lat_deg) <= 30.0, lon_ok)]
    assert eq.max() == 0.0


# --- dose along an orbit ----------------------------------------------------------------------------------------
def _sso_day_positions(alt_km: float, ltan: str, step_s: float = 30.0):
    from orbitcloud.ephemeris.frames import gmst_for_times
    from orbitcloud.ephemeris.propagate import fast_ecef_m, fast_orbits
    from orbitcloud.fleet import build_fleet
    from orbitcloud.scenario import parse_scenario
    from orbitcloud.timescale import jd_split, jd_split_offset

    text = (
        "name: rad-test\nepoch: 2026-03-20T00:00:00Z\nduration: 1d\nstep: 30s\nseed: 1\nconstellation:\n"
        f"  - {{kind: sso, altitude_km: {alt_km}, ltan: '{ltan}', planes: 1, sats_per_plane: 1}}\n"
    )
    loaded = parse_scenario(text)
    fleet = build_fleet(loaded)
    jd0, fr0 = (float(v) for v in jd_split(np.datetime64(loaded.scenario.epoch, "ns")))
    t_s = np.arange(0.0, 86400.0, step_s)
    jd, fr = jd_split_offset(jd0, fr0, t_s)
    x, y, z, _ = fast_ecef_m(fast_orbits(fleet.slice(0, 1), jd0, fr0), t_s, gmst_for_times(jd, fr))
    return x, y, z


@pytest.fixture(scope="module")
def sso650():
    return _sso_day_positions(650.0, "06:00")


def test_dawn_dusk_650km_dose_vs_suncatcher(sso650):
    """One day of a 650 km dawn-dusk SSO behind 10 mm Al (AP8MIN/AE8MIN + GCR).

    Tight check: the trapped-proton dose (191 of the 196 rad/yr) against an independent calculation
    on the same 2,880 samples -- aep8's public API for AP8MIN at every sample and a Bethe/CSDA
    solid-sphere transport that shares no function with the engine (test_radiation_published.py) --
    within 6 % (measured +1.6 %). Published SHIELDOSE-2 figures for neighbouring orbits (550 km,
    95-100 deg) are in test_radiation_published.py. Loose check: within a factor 3 of Suncatcher's
    150 rad(Si)/yr, an expected value for their own (unstated) shielding. Measured: 196 rad/yr
    (trapped 192 + GCR 4); AP8MAX gives 142. The grid also agrees with IRBEM evaluated directly at
    every sample through the engine's own transport (measured +1.0 %)."""
    x, y, z = sso650
    g = RadiationGrid.build(650.0, 650.0, RadiationSpec(shielding_mm_al=10.0, solar="min"))
    assert x.dtype == np.float32
    rate = g.dose_rate_rad_s(x, y, z)
    assert rate.shape == x.shape and np.all(np.isfinite(rate))
    per_yr = float(rate.mean()) * YEAR_S
    assert 150.0 / suncatcher_factor <= per_yr <= 150.0 * suncatcher_factor, per_yr
    # the tight, independent check (protons; electrons are 0.5 of 192 rad/yr behind 10 mm)
    x64, y64, z64 = (a[0].astype(np.float64) for a in (x, y, z))
    independent = independent_orbit_proton_dose_rad_s(x64, y64, z64, shielding_mm_al=10.0, solar="min")
    proton = float(g.trapped_dose_rate_rad_s(x, y, z, "p").mean())
    assert proton == pytest.approx(independent, rel=independent_rel_tol), (proton * YEAR_S, independent * YEAR_S)
    # the same dose computed without the grid: B, L from IRBEM at every sample
    import aep8

    xs, ys, zs = (a[0].astype(np.float64) / rad.IRBEM_EARTH_RADIUS_M for a in (x, y, z))
    t_unix = np.full(xs.shape, rad.FIELD_EPOCH_UNIX_S, dtype=np.int64)
    direct = 0.0
    for particle in ("p", "e"):
        m = aep8.model(particle=particle, solar="min")
        b, l_shell = m._geomag(t_unix, xs, ys, zs)
        direct += float(rad._shielded_dose(m._flux, b, l_shell, 10.0, particle).mean())
    trapped = float(g.trapped_dose_rate_rad_s(x, y, z).mean())
    assert trapped == pytest.approx(direct, rel=orbit_grid_rel_tol)
    # float32 and float64 positions agree (the kernel computes in float64)
    r64 = g.dose_rate_rad_s(x.astype(np.float64), y.astype(np.float64), z.astype(np.float64))
    assert float(r64.mean()) * YEAR_S == pytest.approx(per_yr, rel=1e-4)


# --- shielding -----------------------------------------------------------------------------------------------------
def test_dose_decreases_with_shielding(sso650):
    """Orbit-mean (650 km dawn-dusk) and globe-mean (550 km) dose fall strictly with shielding.

    Single points need not: with AP8's hard, coarsely tabulated inner-belt spectra the CSDA dose at
    the SAA core rises by up to 7 % between 3 and 5 mm Al (docs/radiation.md)."""
    x, y, z = sso650
    prev_orbit = prev_globe = math.inf
    for t_mm in (0.1, 1.0, 3.0, 10.0, 30.0, 100.0):
        spec = RadiationSpec(shielding_mm_al=t_mm)
        orbit = float(RadiationGrid.build(650.0, 650.0, spec).trapped_dose_rate_rad_s(x, y, z).mean())
        g = RadiationGrid.build(550.0, 550.0, spec)
        w = np.cos(np.radians(g.lat_deg))[None, :, None] * np.ones(g.dose_p_rad_s.shape)
        globe = float(np.average(g.dose_p_rad_s + g.dose_e_rad_s, weights=w))
        assert orbit < prev_orbit and globe < prev_globe, t_mm
        prev_orbit, prev_globe = orbit, globe
    # behind 100 mm (27 g/cm^2) electrons (Katz-Penfold range of 7 MeV: 3.6 g/cm^2) are stopped
    assert g.dose_e_rad_s.max() == 0.0 and g.dose_p_rad_s.max() > 0.0


@pytest.mark.parametrize("bad", [0.0, 0.05, 100.5, 1e3, -1.0, float("nan"), float("inf")])
def test_bad_shielding_raises(bad):
    with pytest.raises(ValueError, match=r"shielding_mm_al = .* outside the allowed range \[0.1, 100.0\] mm"):
        RadiationSpec(shielding_mm_al=bad)


def test_bad_spec_values_raise():
    with pytest.raises(ValueError, match="solar"):
        RadiationSpec(solar="medium")
    with pytest.raises(ValueError, match="gcr_rad_per_yr"):
        RadiationSpec(gcr_rad_per_yr=-1.0)
    with pytest.raises(ValueError, match="altitude band"):
        RadiationGrid.build(600.0, 500.0, RadiationSpec())


# --- stopping powers and ranges ------------------------------------------------------------------------------------
def _bethe_proton_mev_cm2_g(e_mev, z_over_a, i_ev):
    """Plain Bethe formula (PDG eq. 34.5 without density effect or shell corrections)."""
    mp, me = 938.272088, 0.51099895
    gamma = 1.0 + e_mev / mp
    beta2 = 1.0 - 1.0 / gamma**2
    bg2 = beta2 * gamma**2
    wmax = 2.0 * me * bg2 / (1.0 + 2.0 * gamma * me / mp + (me / mp) ** 2)
    i = i_ev * 1e-6
    return 0.307075 * z_over_a / beta2 * (0.5 * np.log(2.0 * me * bg2 * wmax / i**2) - beta2)


def test_pstar_table_vs_bethe():
    e = pstar_al_si.ENERGY_MEV
    sel = (e >= 20.0) & (e <= 1000.0)
    al = _bethe_proton_mev_cm2_g(e[sel], 13.0 / 26.9815, 166.0)
    si = _bethe_proton_mev_cm2_g(e[sel], 14.0 / 28.0855, 173.0)
    np.testing.assert_allclose(pstar_al_si.S_AL_MEV_CM2_G[sel], al, rtol=bethe_rel_tol)
    np.testing.assert_allclose(pstar_al_si.S_SI_MEV_CM2_G[sel], si, rtol=bethe_rel_tol)
    # log-log interpolation returns the table at its nodes
    np.testing.assert_allclose(proton_stopping_si_mev_cm2_g(e), pstar_al_si.S_SI_MEV_CM2_G, rtol=1e-12)


def test_proton_range_in_aluminium():
    # range differences between 50 and 250 MeV vs the Bethe formula integrated independently
    ee = np.linspace(50.0, 250.0, 20001)
    s = _bethe_proton_mev_cm2_g(ee, 13.0 / 26.9815, 166.0)
    bethe_dr = float(np.sum(0.5 * (1.0 / s[1:] + 1.0 / s[:-1]) * np.diff(ee)))
    ours_dr = float(proton_range_g_cm2(250.0) - proton_range_g_cm2(50.0))
    assert ours_dr == pytest.approx(bethe_dr, rel=range_rel_tol)
    # PSTAR CSDA ranges in aluminium (NIST SRD 124): 10 MeV 0.170 g/cm^2, 100 MeV 9.98 g/cm^2
    assert float(proton_range_g_cm2(10.0)) == pytest.approx(0.170, rel=0.01)
    assert float(proton_range_g_cm2(100.0)) == pytest.approx(9.98, rel=0.01)
    # incident energy to keep 10 MeV behind 10 mm Al (2.699 g/cm^2) and the round trip
    e10 = float(proton_incident_energy_mev(10.0, 10.0))
    assert float(proton_range_g_cm2(e10)) == pytest.approx(0.170 + 2.699, rel=0.01)
    assert float(rad.proton_energy_from_range_mev(proton_range_g_cm2(e10))) == pytest.approx(e10, rel=1e-6)


def test_electron_range_katz_penfold():
    # the two branches of the empirical relation at 1 MeV and 5 MeV [g/cm^2]
    assert float(rad.electron_range_g_cm2(1.0)) == pytest.approx(0.412, rel=2e-3)
    assert float(rad.electron_range_g_cm2(5.0)) == pytest.approx(0.530 * 5.0 - 0.106, rel=2e-3)
    # Bethe collision stopping power of Si near its minimum: ~1.5 MeV cm^2/g at 1 MeV
    assert float(rad.electron_stopping_si_mev_cm2_g(1.0)) == pytest.approx(1.53, rel=0.02)


# --- cache and kernels ----------------------------------------------------------------------------------------------
def test_cached_grid_equals_fresh(grid550, monkeypatch):
    spec = RadiationSpec(shielding_mm_al=10.0, solar="min")
    cache_root = rad.cache_dir()
    # a cache directory that cannot be written is not an error (the grid is computed and returned)
    monkeypatch.setenv("ORBITCLOUD_CACHE", "/proc/orbitcloud-no-such-dir")
    g = RadiationGrid.build(550.0, 550.0, RadiationSpec(shielding_mm_al=7.0))
    assert g.dose_p_rad_s.max() > 0.0
    monkeypatch.setenv("ORBITCLOUD_CACHE", str(cache_root.parent))
    assert sorted(p.name.split("-")[0] for p in cache_root.glob("*.npz")).count("grid") >= 1
    assert not list(cache_root.glob("*.tmp"))  # atomic writes leave no temporary files
    rad._MEMO.clear()
    from_disk = RadiationGrid.build(550.0, 550.0, spec)  # written by the fixture's build
    fresh = RadiationGrid.build(550.0, 550.0, spec, cache=False)
    for name in ("dose_p_rad_s", "dose_e_rad_s", "flux_p10_cm2_s"):
        np.testing.assert_array_equal(getattr(from_disk, name), getattr(fresh, name))
    np.testing.assert_array_equal(from_disk.alt_km, fresh.alt_km)
    # a damaged cache file is recomputed, not trusted
    for path in cache_root.glob("grid-*.npz"):
        path.write_bytes(b"not an npz file")
    rad._MEMO.clear()
    again = RadiationGrid.build(550.0, 550.0, spec)
    np.testing.assert_array_equal(again.dose_p_rad_s, fresh.dose_p_rad_s)


def test_kernel_matches_numpy_and_handles_shapes(grid550):
    rng = np.random.default_rng(5)
    n = 20_000
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    alt = rng.uniform(450.0, 650.0, n)  # beyond the 500-600 km levels: clamped to the edge levels
    x, y, z = geocentric_to_ecef_m(lat, lon, alt)
    x, y, z = x.reshape(100, 200), y.reshape(100, 200), z.reshape(100, 200)
    fast = grid550.dose_rate_rad_s(x, y, z)
    ref = grid550.dose_rate_rad_s(x, y, z, use_numba=False)
    assert fast.shape == (100, 200)
    np.testing.assert_allclose(fast, ref, rtol=kernel_rel_tol, atol=kernel_rel_tol * float(ref.max()))
    flux = grid550.proton_flux_cm2_s(x, y, z)
    np.testing.assert_allclose(flux, grid550.proton_flux_cm2_s(x, y, z, use_numba=False), rtol=kernel_rel_tol,
                               atol=kernel_rel_tol * float(flux.max()))
    assert np.all(flux >= 0.0) and np.any(flux == 0.0)
    # longitude wrap: both sides of the antimeridian give the same value
    a = grid550.dose_rate_rad_s(*geocentric_to_ecef_m(-20.0, 179.999999, 550.0))
    b = grid550.dose_rate_rad_s(*geocentric_to_ecef_m(-20.0, -179.999999, 550.0))
    assert float(a) == pytest.approx(float(b), rel=1e-6)
    # a position that is not finite gives NaN (SGP4 failures)
    nan = grid550.dose_rate_rad_s(np.array([np.nan]), np.array([0.0]), np.array([0.0]))
    assert np.isnan(nan[0])
    with pytest.raises(ValueError, match="equal shapes"):
        grid550.dose_rate_rad_s(np.zeros(3), np.zeros(3), np.zeros(4))


# --- solar particle events -----------------------------------------------------------------------------------------
def test_spe_deterministic_and_chunk_invariant():
    """SPE process: deterministic, chunk- and fleet-invariant, Poisson in count; event doses against
    the CREME96 worst day (published spectrum, independent transport) and the default spectrum
    against the independent transport of the same power law."""
    spec = RadiationSpec(spe=True, spe_rate_per_yr=6.0)
    t = np.arange(0.0, 2.0 * YEAR_S, 600.0)
    exposure = np.ones((2, t.size))
    whole = spe_dose_rate_rad_s(spec, t, seed=7, exposure=exposure)
    parts = np.concatenate([spe_dose_rate_rad_s(spec, c, seed=7, exposure=np.ones((2, c.size)))
                            for c in np.array_split(t, 7)], axis=1)
    np.testing.assert_array_equal(whole, parts)
    np.testing.assert_array_equal(whole[0], whole[1])  # the same events for the whole fleet
    start, dose = spe_events(spec, 2.0 * YEAR_S, seed=7)
    assert 3 <= start.size <= 30  # Poisson(12)
    # the rate integrates to the event doses (sampled every 600 s, tau = 1 day: Riemann error < 1 %)
    expected = float(np.sum(dose * (1.0 - np.exp(-(t[-1] - start) / spec.spe_decay_s))))
    assert float(np.sum(whole[0]) * 600.0) == pytest.approx(expected, rel=0.01)
    # the event dose against a published event: an event with the CREME96 worst-day fluence (free
    # space, > 30 MeV, 2.32e9 cm^-2) and the power law through its > 30 and > 100 MeV fluences
    # (index 2.22), every event at the median (sigma_ln = 0), behind 10 mm Al, vs the independent
    # transport of the tabulated spectrum (test_radiation_published.py): measured 214 vs 233 rad(Si)
    f30, gamma = creme96_worst_day_power_law()
    worst_day = RadiationSpec(spe=True, spe_rate_per_yr=6.0, spe_median_fluence30_cm2=f30, spe_sigma_ln=0.0,
                              spe_gamma=gamma)
    _, d_worst = spe_events(worst_day, 2.0 * YEAR_S, seed=7)
    assert d_worst.size == start.size and np.all(d_worst == d_worst[0])  # same event times, fluence fixed
    ratio = float(d_worst[0]) / creme96_worst_day_dose_rad(10.0)
    assert 1.0 / spe_published_factor <= ratio <= spe_published_factor, ratio
    # the default median event (1e6 cm^-2 > 30 MeV, J ~ E^-2.5) vs the independent transport of the same
    # spectrum behind 10 mm: measured 0.086 vs 0.084 rad(Si)
    median = rad.spe_dose_per_fluence30_rad_cm2(spec) * spec.spe_median_fluence30_cm2

    def default_spectrum(e):  # J(> E) [cm^-2] of the median event, as the engine defines it
        return spec.spe_median_fluence30_cm2 * (np.asarray(e) / 30.0) ** -spec.spe_gamma

    independent = independent_sphere_dose(default_spectrum, spec.shielding_mm_al, 300.0)  # 300 MeV: engine's top
    assert median == pytest.approx(independent, rel=spe_independent_rel_tol)
    assert rad.spe_dose_per_fluence30_rad_cm2(RadiationSpec(shielding_mm_al=1.0)) > 10 * rad.spe_dose_per_fluence30_rad_cm2(spec)
    other = spe_dose_rate_rad_s(spec, t, seed=8, exposure=exposure)
    assert not np.array_equal(whole, other)
    # the number of events over many years follows the rate
    s_long, _ = spe_events(spec, 200.0 * YEAR_S, seed=3)
    assert s_long.size == pytest.approx(1200, rel=4 * math.sqrt(1200) / 1200)
    # off by default
    assert not RadiationSpec().spe
    assert np.all(spe_dose_rate_rad_s(RadiationSpec(), t, 7, exposure) == 0.0)


def test_spe_exposure_polar_only():
    x, y, z = geocentric_to_ecef_m(np.array([0.0, 30.0, 85.0, -85.0]), np.array([0.0, 100.0, 0.0, 0.0]), 650.0)
    e = spe_exposure(x, y, z)
    np.testing.assert_array_equal(e, [0.0, 0.0, 1.0, 1.0])
