"""Earth-observation workload (``orbitcloud.ops.eo``) and its scenario section (``scenario.eo_schema``).

Independent references used here:

* closed forms: frames per step = along-track distance / frame length for a track of known ground
  speed (7.6 km/s, 24 km frames); bytes per frame = (swath/gsd)(length/gsd) bands bits / 8; the
  circular-orbit rate sqrt(mu/r^3) on the first step;
* the ground-track length of an analytic circular orbit over a rotating Earth, summed from 1 s samples
  (independent of the model's one-step finite differences);
* the published cloud means (King et al. 2013, IEEE TGRS 51(7): 67 % global, 72 % ocean, 55 % land;
  design/REFERENCES.md) and the YAML table read directly, with band areas (sin phi2 - sin phi1)/2;
* the CloudScout figures (Giuffrida et al. 2020: 92 % accuracy, 1 % false positives) and the stated
  mapping to per-class rates;
* binomial statistics (tolerances 4 standard errors, stated at each assertion);
* a plain Python FIFO queue (collections.deque) for the ages of downlinked data;
* the exact byte balance captured = discarded + downlinked + stored + lost, per satellite and step.
"""

from __future__ import annotations

import collections
import json
import math
from importlib import resources

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orbitcloud.errors import OrbitcloudError, ScenarioError
from orbitcloud.ops.eo import (
    R_MEAN_M,
    EOError,
    EOModel,
    eo_params,
    frame_draws,
    land_mask,
    per_class_rates,
)
from orbitcloud.scenario.eo_schema import filter_names, parse_earth_observation, sensor_names

MU = 3.986004418e14  # WGS-84 [m^3/s^2]
OMEGA_E = 7.292115146706979e-5  # Earth rotation [rad/s]
A_E = 6378137.0
KING_2013 = {"global": 0.67, "ocean": 0.72, "land": 0.55}  # MODIS cloud fraction (abstract)
ONE_PP = 0.01  # one percentage point
ALWAYS_LIT = {"min_sun_elevation_deg": -90.0, "targets": "all"}  # image every frame (geometry tests)


def params(**kw):
    return eo_params(parse_earth_observation(kw))


def circular_ecef(n_sat: int, alt_m: float, inc_deg: float, t_s: np.ndarray, phase0: float = 0.0) -> np.ndarray:
    """Earth-fixed positions (n_sat, T, 3) [m] of satellites evenly spaced on one circular orbit."""
    a = A_E + alt_m
    n = math.sqrt(MU / a**3)
    inc = math.radians(inc_deg)
    u = n * t_s[None, :] + phase0 + 2.0 * np.pi * np.arange(n_sat)[:, None] / n_sat
    x, y, z = a * np.cos(u), a * np.sin(u) * math.cos(inc), a * np.sin(u) * math.sin(inc)
    th = OMEGA_E * t_s[None, :]
    return np.stack([np.cos(th) * x + np.sin(th) * y, -np.sin(th) * x + np.cos(th) * y, z], axis=-1)


def equator_track(n_sat: int, ground_speed_m_s: float, t_s: np.ndarray, radius_m: float = A_E + 500e3) -> np.ndarray:
    """Positions moving along the equator (Earth-fixed) at a given ground-track speed."""
    ang = ground_speed_m_s / R_MEAN_M * t_s[None, :] + np.arange(n_sat)[:, None] * 0.7
    return np.stack([radius_m * np.cos(ang), radius_m * np.sin(ang), np.zeros_like(ang)], axis=-1)


def run(model: EOModel, r: np.ndarray, dt: float, contact_bps=None, sun=(1.0, 0.0, 0.0), compute=None,
        component=None, component_bps=None, on_step=None) -> EOModel:
    m, n_t = r.shape[0], r.shape[1]
    for k in range(n_t):
        c = np.zeros(m) if contact_bps is None else np.asarray(contact_bps(k) if callable(contact_bps) else contact_bps)
        cs = np.ones(m) if compute is None else compute(k)
        comp = None if component is None else component(k)
        cbps = None if component_bps is None else component_bps(k)
        model.advance(k, k * dt, dt, r[:, k], np.asarray(sun), cs, c, comp, cbps)
        if on_step is not None:
            on_step(k, model)
    return model


def balance_ok(model: EOModel) -> None:
    s = model.per_satellite()
    assert np.array_equal(s["captured_b"], s["discarded_b"] + s["downlinked_b"] + s["stored_b"] + s["lost_b"])


# --------------------------------------------------------------------------------------------------
# data: climatology, land mask, presets
# --------------------------------------------------------------------------------------------------


def _climatology() -> dict:
    text = resources.files("orbitcloud.catalog").joinpath("cloud_climatology.yaml").read_text("utf-8")
    return yaml.safe_load(text)["cloud_climatology"]


def test_area_weighted_climatology_reproduces_the_modis_means():
    d = _climatology()
    edges = np.radians(d["band_edges_deg"])
    area = (np.sin(edges[1:]) - np.sin(edges[:-1])) / 2.0  # fraction of the sphere in each band
    assert area.sum() == pytest.approx(1.0, abs=1e-12)
    lf = np.asarray(d["land_fraction"])
    w_land, w_ocean = area * lf, area * (1.0 - lf)
    land = (w_land * np.asarray(d["land"])).sum() / w_land.sum()
    ocean = (w_ocean * np.asarray(d["ocean"])).sum() / w_ocean.sum()
    glob = (w_land * np.asarray(d["land"])).sum() + (w_ocean * np.asarray(d["ocean"])).sum()
    # measured: land 54.9 %, ocean 71.9 %, global 67.0 %
    assert land == pytest.approx(KING_2013["land"], abs=ONE_PP)
    assert ocean == pytest.approx(KING_2013["ocean"], abs=ONE_PP)
    assert glob == pytest.approx(KING_2013["global"], abs=ONE_PP)
    assert all(0.0 < v < 1.0 for v in d["land"] + d["ocean"])


def test_land_mask_fractions_match_the_climatology_bands_and_the_ocean_share():
    mask = land_mask()
    rows = mask.grid.shape[0]
    lat = 90.0 - (np.arange(rows) + 0.5) * mask.resolution_deg
    w = np.cos(np.radians(lat))
    row_frac = mask.grid.mean(axis=1)
    # ocean ~71 % of the surface (design/REFERENCES.md): land 0.29 +- 0.01 (measured 0.2890)
    assert (row_frac * w).sum() / w.sum() == pytest.approx(0.29, abs=0.01)
    d = _climatology()
    edges = d["band_edges_deg"]
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        sel = (lat >= a) & (lat < b)
        band = (row_frac[sel] * w[sel]).sum() / w[sel].sum()
        # 0.1 deg majority mask vs the 1 km fractions in the YAML: within 1 percentage point
        assert band == pytest.approx(d["land_fraction"][i], abs=ONE_PP), (a, b)


@pytest.mark.parametrize(
    "lat_deg, lon_deg, land",
    [(48.86, 2.35, True), (23.0, 10.0, True), (-25.0, 135.0, True), (-80.0, 0.0, True), (40.0, -100.0, True),
     (0.0, -140.0, False), (35.0, -40.0, False), (-50.0, 90.0, False), (20.0, 65.0, False)],
)
def test_land_mask_known_places(lat_deg, lon_deg, land):
    # Paris, Sahara, central Australia, Antarctica, Kansas; Pacific, Atlantic, Southern and Arabian Sea
    got = land_mask().is_land(np.radians([lat_deg]), np.radians([lon_deg]))
    assert bool(got[0]) is land


def test_presets_cite_sources_and_resolve():
    for name in sensor_names():
        p = params(sensor=name)
        px = (p.swath_m / p.gsd_m) * (p.frame_length_m / p.gsd_m)
        assert p.frame_size_b == math.ceil(px * p.bands * p.bits_per_sample / 8.0)
    for name in filter_names():
        p = params(sensor="planet-dove", filter=name)
        assert p.filter_kind in ("cloud", "semantic")
        assert 0.0 < p.product_ratio <= 1.0
    # planet-dove: 25 km x 11.5 km at 3.7 m, 4 bands x 12 bit (Planet): 6,757 x 3,108 px, 126 MB
    p = params(sensor="planet-dove")
    assert p.frame_size_b == math.ceil((25e3 / 3.7) * (11.5e3 / 3.7) * 4 * 12 / 8)
    # the three-body semantic product: one byte per pixel vs 4 x 12 bits = 1/6 of the frame
    p = params(sensor="three-body", filter="three-body-semantic")
    assert p.product_ratio == pytest.approx(8.0 / 48.0)


# --------------------------------------------------------------------------------------------------
# frames and geometry
# --------------------------------------------------------------------------------------------------


def test_frame_rate_closed_form_7_6_km_s_and_24_km_frames():
    dt, n_t, v = 50.0, 40, 7600.0
    t = np.arange(n_t) * dt
    r = equator_track(3, v, t)
    p = params(sensor="planet-dove", frame_length_km=24.0, **ALWAYS_LIT)
    model = run(EOModel(p, np.arange(3), np.zeros(3), 0, dt, n_t), r, dt)
    frames = model.timeline()["frames_captured"]
    # step 0: no previous position -> circular-orbit rate sqrt(mu / r^3) on the mean-radius ground track
    d0 = math.sqrt(MU / (A_E + 500e3) ** 3) * R_MEAN_M * dt
    assert frames[0] == 3 * math.ceil(d0 / 24e3)
    # later steps: 7.6 km/s x 50 s = 380 km = 15.83 frames of 24 km per step and satellite
    expected = 3 * (n_t - 1) * v * dt / 24e3
    assert abs(frames[1:].sum() - expected) <= 3  # at most one frame per satellite from the phase
    assert set(np.unique(frames[1:] // 3)) <= {15, 16}
    s = model.summary()
    assert s["captured_b"] == s["frames_captured"] * math.ceil((25e3 / 3.7) * (24e3 / 3.7) * 4 * 12 / 8)


def test_frames_follow_the_ground_track_length_of_a_rotating_earth():
    dt, orbits = 60.0, 2
    period = 2 * math.pi * math.sqrt((A_E + 500e3) ** 3 / MU)
    n_t = int(orbits * period / dt)
    t = np.arange(n_t) * dt
    r = circular_ecef(1, 500e3, 97.4, t)
    p = params(sensor="planet-dove", frame_length_km=10.0, **ALWAYS_LIT)
    model = run(EOModel(p, np.array([7]), np.zeros(1), 0, dt, n_t), r, dt)
    frames = model.timeline()["frames_captured"][1:].sum()
    # oracle: the sub-satellite track from 1 s samples between t_0 and t_{T-1} (steps 1..T-1 extrapolate
    # the previous step's motion, so together they cover that arc)
    tf = np.arange(0.0, t[-1] + 0.5, 1.0)
    u = circular_ecef(1, 500e3, 97.4, tf)[0]
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    arc_m = R_MEAN_M * np.arctan2(np.linalg.norm(np.cross(u[:-1], u[1:]), axis=1), (u[:-1] * u[1:]).sum(1)).sum()
    assert frames == pytest.approx(arc_m / 10e3, abs=2.0)
    # Earth rotation matters: the non-rotating circular rate would differ by > 0.5 %
    assert abs(arc_m / (math.sqrt(MU / (A_E + 500e3) ** 3) * R_MEAN_M * t[-1]) - 1.0) > 0.005


def test_no_position_no_frames_and_daylight_only():
    dt, n_t = 60.0, 30
    t = np.arange(n_t) * dt
    r = equator_track(2, 7000.0, t)
    r[1, 10:20] = np.nan
    p = params(sensor="planet-dove", **ALWAYS_LIT)
    model = run(EOModel(p, np.arange(2), np.zeros(2), 0, dt, n_t), r, dt)
    per = model.per_satellite()
    assert per["frames_captured"][1] < per["frames_captured"][0]
    # only the day side: a satellite on the equator with the Sun on +x images about half its frames
    p = params(sensor="planet-dove", targets="all", min_sun_elevation_deg=0.0)
    orbit_t = np.arange(0.0, 2 * math.pi * R_MEAN_M / 7000.0, dt)
    r = equator_track(1, 7000.0, orbit_t)
    day = run(EOModel(p, np.arange(1), np.zeros(1), 0, dt, orbit_t.size), r, dt).summary()["frames_captured"]
    allf = run(EOModel(params(sensor="planet-dove", **ALWAYS_LIT), np.arange(1), np.zeros(1), 0, dt, orbit_t.size),
               r, dt).summary()["frames_captured"]
    assert day / allf == pytest.approx(0.5, abs=0.02)


# --------------------------------------------------------------------------------------------------
# cloud statistics and the classifier
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lat_deg, land, surface", [(45.0, False, "ocean"), (-25.0, True, "land"), (5.0, True, "land"),
                                                    (-55.0, False, "ocean")])
def test_cloudy_frames_follow_the_band_probability(lat_deg, land, surface):
    n = 200_000
    d = _climatology()
    band = int(np.searchsorted(d["band_edges_deg"], lat_deg, side="right") - 1)
    p_tab = d[surface][band]
    p = params(sensor="planet-dove")
    sat = np.arange(n) % 97
    cloudy, discard = frame_draws(p, 11, sat, np.arange(n), np.full(n, math.radians(lat_deg)), np.full(n, land))
    se = math.sqrt(p_tab * (1 - p_tab) / n)
    assert cloudy.mean() == pytest.approx(p_tab, abs=4 * se)  # 4 standard errors (~0.004)
    assert not discard.any()  # no filter: nothing is discarded


def test_classifier_confusion_rates_match_cloudscout():
    # published: 92 % accuracy, 1 % false positives, on a set with cloudy share pi = 0.5 (assumed)
    p_dc, p_kc = per_class_rates(0.92, 0.01, 0.5)
    assert (p_dc, p_kc) == pytest.approx((0.02, 0.14), abs=1e-12)
    assert 0.5 * (1 - p_dc) + 0.5 * (1 - p_kc) == pytest.approx(0.92)  # accuracy back on that set
    p = params(sensor="planet-dove", filter="cloudscout")
    assert (p.p_discard_clear, p.p_keep_cloudy) == pytest.approx((0.02, 0.14))
    n = 400_000
    lat, land = np.full(n, math.radians(-5.0)), np.zeros(n, bool)
    cloudy, discard = frame_draws(p, 5, np.arange(n) % 13, np.arange(n), lat, land)
    clear = ~cloudy
    fpr, fnr = discard[clear].mean(), (~discard[cloudy]).mean()
    assert fpr == pytest.approx(0.02, abs=4 * math.sqrt(0.02 * 0.98 / clear.sum()))
    assert fnr == pytest.approx(0.14, abs=4 * math.sqrt(0.14 * 0.86 / cloudy.sum()))


def test_draws_are_pure_functions_of_seed_satellite_and_frame():
    p = params(sensor="planet-dove", filter="cloudscout")
    sat, fno = np.arange(1000) % 7 + 100, np.arange(1000) + 5_000
    lat, land = np.full(1000, 0.3), np.zeros(1000, bool)
    a = frame_draws(p, 3, sat, fno, lat, land)
    perm = np.random.default_rng(0).permutation(1000)
    b = frame_draws(p, 3, sat[perm], fno[perm], lat[perm], land[perm])
    assert np.array_equal(a[0][perm], b[0]) and np.array_equal(a[1][perm], b[1])
    c = frame_draws(p, 4, sat, fno, lat, land)
    assert not np.array_equal(a[0], c[0])


# --------------------------------------------------------------------------------------------------
# storage, downlink, relay, filter capacity
# --------------------------------------------------------------------------------------------------


def test_storage_full_loses_frames_and_counts_them():
    dt, n_t = 60.0, 10
    t = np.arange(n_t) * dt
    r = equator_track(1, 7000.0, t)
    p0 = params(sensor="planet-dove", **ALWAYS_LIT)
    cap_b = int(3.5 * p0.frame_size_b)
    p = params(sensor="planet-dove", storage_gb=cap_b / 1e9, **ALWAYS_LIT)
    model = run(EOModel(p, np.arange(1), np.zeros(1), 0, dt, n_t), r, dt)
    s = model.summary()
    assert s["stored_b"] == 3 * p.frame_size_b  # three whole frames fit, the fourth does not
    assert s["frames_lost"] == s["frames_captured"] - 3
    assert s["lost_b"] == s["frames_lost"] * p.frame_size_b
    assert s["storage_high_water_b_max"] == 3 * p.frame_size_b
    assert s["downlinked_b"] == 0 and s["conservation_error_b"] == 0
    # with a contact that drains the recorder every step, nothing is lost
    model = run(EOModel(p, np.arange(1), np.zeros(1), 0, dt, n_t), r, dt, contact_bps=[1e12])
    assert model.summary()["frames_lost"] == 0
    # the same through an ISL pool (frames pass through to the ground, the recorder never overflows)
    model = run(EOModel(p, np.arange(1), np.zeros(1), 0, dt, n_t), r, dt, contact_bps=[1e12],
                component=lambda k: np.array([0]), component_bps=lambda k: np.array([1e12]))
    assert model.summary()["frames_lost"] == 0 and model.summary()["storage_high_water_b_max"] <= p.storage_b


#: Each share of a pool is floored to whole bytes once per step: +-1 B per step and satellite.
ONE_BYTE = 1


def test_relay_pooling_downlinks_more_than_direct_only():
    """Two satellites, equal captures; only satellite 0 sees a station (1 Gbit/s). Direct only: 0 sends
    everything it takes (~4.6 GB per step < its 7.5 GB per step), 1 nothing. Pooled over the ISLs: the
    pool (7.5 GB per step) is smaller than the two captures together (~9.2 GB per step) in every step,
    so it is used in full and split equally between the equal backlogs."""
    dt, n_t = 60.0, 20
    t = np.arange(n_t) * dt
    r = equator_track(2, 7000.0, t)
    p = params(sensor="planet-dove", **ALWAYS_LIT)
    contact = [1e9, 0.0]  # only satellite 0 sees a station (1 Gbps)
    pool_b_per_step = math.floor(1e9 * dt / 8)  # 7.5e9 B
    # captures, closed form: the first step at the circular rate sqrt(mu/r^3), then 7,000 m/s along the
    # track; a frame belongs to the step in which its start is passed: ceil(distance / L) frames
    first_m = R_MEAN_M * math.sqrt(MU / (A_E + 500e3) ** 3) * dt
    frames = math.ceil((first_m + 7000.0 * dt * (n_t - 1)) / p.frame_length_m)
    per_step_min_b = math.floor(7000.0 * dt / p.frame_length_m) * p.frame_size_b  # >= 36 frames a step
    per_step_max_b = (math.ceil(max(first_m, 7000.0 * dt) / p.frame_length_m) + 1) * p.frame_size_b
    # one satellite's capture fits its own contact; the two together overfill the pool in every step
    assert per_step_max_b < pool_b_per_step < 2 * per_step_min_b
    direct = run(EOModel(p, np.arange(2), np.zeros(2), 0, dt, n_t), r, dt, contact_bps=contact).per_satellite()
    pooled = run(EOModel(p, np.arange(2), np.zeros(2), 0, dt, n_t), r, dt, contact_bps=contact,
                 component=lambda k: np.array([0, 0]), component_bps=lambda k: np.array([1e9])).per_satellite()
    np.testing.assert_array_equal(direct["frames_captured"], [frames, frames])
    np.testing.assert_array_equal(pooled["captured_b"], [frames * p.frame_size_b] * 2)
    assert direct["downlinked_b"][0] == direct["captured_b"][0] and direct["downlinked_b"][1] == 0
    # the pool is used in full every step: 20 x 7.5 GB in all
    assert pooled["downlinked_b"].sum() == pytest.approx(n_t * pool_b_per_step, abs=2 * n_t * ONE_BYTE)
    # the pool is shared in proportion to the backlogs: equal backlogs -> equal shares (+-1 B rounding)
    for i in (0, 1):
        assert pooled["downlinked_b"][i] == pytest.approx(n_t * pool_b_per_step / 2, abs=n_t * ONE_BYTE)
    assert abs(int(pooled["downlinked_b"][0]) - int(pooled["downlinked_b"][1])) <= n_t * ONE_BYTE
    assert pooled["lost_b"].sum() == 0  # 64 GB recorders hold the 17 GB left over each
    balance_ok(run(EOModel(p, np.arange(2), np.zeros(2), 0, dt, n_t), r, dt, contact_bps=contact,
                   component=lambda k: np.array([0, 0]), component_bps=lambda k: np.array([1e9])))
    # relay: false ignores the components
    p_off = params(sensor="planet-dove", relay=False, **ALWAYS_LIT)
    off = run(EOModel(p_off, np.arange(2), np.zeros(2), 0, dt, n_t), r, dt, contact_bps=contact,
              component=lambda k: np.array([0, 0]), component_bps=lambda k: np.array([1e9])).per_satellite()
    assert np.array_equal(off["downlinked_b"], direct["downlinked_b"])


def test_filter_compute_limit_keeps_the_rest_raw_and_reports_demand():
    dt, n_t = 60.0, 8
    t = np.arange(n_t) * dt
    r = equator_track(1, 7000.0, t)
    p = params(sensor="planet-dove", filter="cloudscout", **ALWAYS_LIT)
    ops = np.array([3.0 * p.ops_per_frame / dt])  # exactly three frames per step at full speed
    model = run(EOModel(p, np.arange(1), ops, 0, dt, n_t), r, dt)
    s = model.summary()
    assert s["frames_discarded"] + s["frames_product"] == 3 * n_t
    assert s["frames_kept_raw"] == s["frames_captured"] - 3 * n_t
    frames_last = model.timeline()["frames_captured"][-1]
    assert model.compute_demand()[0] == pytest.approx(min(1.0, frames_last / 3.0))
    # half speed (throttling): one frame per step (floor of 1.5)
    half = run(EOModel(p, np.arange(1), ops, 0, dt, n_t), r, dt, compute=lambda k: np.array([0.5])).summary()
    assert half["frames_discarded"] + half["frames_product"] == n_t
    # no accelerator: nothing can be filtered, everything is kept raw, demand 0
    none = run(EOModel(p, np.arange(1), np.zeros(1), 0, dt, n_t), r, dt)
    assert none.summary()["frames_kept_raw"] == none.summary()["frames_captured"]
    assert none.compute_demand()[0] == 0.0


def test_no_filter_unlimited_downlink_has_zero_reduction():
    dt, n_t = 60.0, 30
    t = np.arange(n_t) * dt
    r = circular_ecef(4, 500e3, 97.4, t)
    p = params(sensor="planet-dove", filter="none", **ALWAYS_LIT)
    s = run(EOModel(p, np.arange(4), np.zeros(4), 2, dt, n_t), r, dt, contact_bps=np.full(4, 1e15)).summary()
    assert s["downlink_reduction"] == 0.0 and s["discarded_b"] == 0
    assert s["downlinked_fraction"] == 1.0 and s["stored_b"] == 0
    assert s["value_density"] == pytest.approx(s["value_density_captured"], rel=1e-12)
    assert s["age_mean_s"] == pytest.approx(dt / 2)  # captured mid-step, down by the end of the step
    assert json.loads(json.dumps(s)) == s  # JSON-ready


# --------------------------------------------------------------------------------------------------
# conservation (property), FIFO ages (reference queue), determinism and invariance
# --------------------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    m=st.integers(1, 4),
    n_t=st.integers(3, 25),
    storage_frames=st.floats(0.0, 40.0),
    filt=st.sampled_from(["none", "cloudscout", "three-body-semantic"]),
    seed=st.integers(0, 2**31),
    relay=st.booleans(),
    data=st.data(),
)
def test_bytes_are_conserved_exactly(m, n_t, storage_frames, filt, seed, relay, data):
    dt = 60.0
    t = np.arange(n_t) * dt
    r = circular_ecef(m, 500e3, 97.4, t, phase0=data.draw(st.floats(0, 6.28)))
    p0 = params(sensor="planet-dove", filter=filt)
    p = params(sensor="planet-dove", filter=filt, storage_gb=storage_frames * p0.frame_size_b / 1e9, **ALWAYS_LIT)
    rng = np.random.default_rng(seed)
    contacts = np.where(rng.random((n_t, m)) < 0.3, rng.uniform(0, 2e9, (n_t, m)), 0.0)
    comps = rng.integers(-1, 2, (n_t, m))
    ops = rng.uniform(0, 5, m) * p.ops_per_frame / dt if p.ops_per_frame else np.zeros(m)

    def check(k, model):
        balance_ok(model)
        per = model.per_satellite()
        assert (per["stored_b"] >= 0).all() and (per["stored_b"] <= p.storage_b).all()
        assert (per["high_water_b"] <= p.storage_b).all()

    model = run(EOModel(p, np.arange(m) * 3 + 1, ops, seed, dt, n_t), r, dt, contact_bps=lambda k: contacts[k],
                compute=lambda k: rng.uniform(0, 1, m), component=(lambda k: comps[k]) if relay else None,
                component_bps=(lambda k: np.array([3e9, 1e8])) if relay else None, on_step=check)
    s = model.summary()
    tl = model.timeline()
    assert s["conservation_error_b"] == 0
    assert tl["captured_b"].sum() == s["captured_b"] and tl["downlinked_b"].sum() == s["downlinked_b"]
    assert tl["lost_b"].sum() == s["lost_b"] and tl["stored_b"][-1] == s["stored_b"]
    if s["age_mean_s"] is not None:
        assert 0.0 < s["age_p50_s"] <= s["age_p99_s"] and s["age_mean_s"] > 0


def _reference_fifo(stored_in, out, t_s, dt):
    """Byte-weighted ages from a plain FIFO queue: (ages, weights)."""
    q = collections.deque()
    ages, weights = [], []
    for k in range(len(stored_in)):
        if stored_in[k]:
            q.append([t_s[k] + dt / 2, int(stored_in[k])])
        need = int(out[k])
        while need:
            head = q[0]
            take = min(need, head[1])
            ages.append(t_s[k] + dt - head[0])
            weights.append(take)
            head[1] -= take
            need -= take
            if head[1] == 0:
                q.popleft()
    return np.array(ages), np.array(weights, dtype=float)


def test_ages_match_a_reference_fifo_queue():
    dt, n_t = 60.0, 300
    t = np.arange(n_t) * dt
    r = circular_ecef(1, 500e3, 97.4, t)
    p = params(sensor="planet-dove", filter="cloudscout", **ALWAYS_LIT)
    rng = np.random.default_rng(1)
    rate = np.where(rng.random(n_t) < 0.1, rng.uniform(1e8, 3e9, n_t), 0.0)
    model = run(EOModel(p, np.array([42]), np.array([1e15]), 9, dt, n_t), r, dt, contact_bps=lambda k: [rate[k]])
    tl = model.timeline()
    ages, w = _reference_fifo(tl["kept_b"] - tl["lost_b"], tl["downlinked_b"], tl["t_s"], dt)
    s = model.summary()
    assert w.sum() == s["downlinked_b"] > 0
    assert s["age_mean_s"] == pytest.approx((ages * w).sum() / w.sum(), rel=1e-12)
    order = np.argsort(ages, kind="stable")
    cw = np.cumsum(w[order])
    for q, key in ((0.5, "age_p50_s"), (0.99, "age_p99_s")):
        assert s[key] == ages[order][np.searchsorted(cw, q * cw[-1])]


def _totals(model):
    s = model.summary()
    return {k: v for k, v in s.items() if k not in ("filter_busy_fraction_mean",)}


def test_deterministic_and_invariant_to_satellite_blocks_and_mid_run_reads():
    dt, n_t, m = 60.0, 60, 6
    t = np.arange(n_t) * dt
    r = circular_ecef(m, 500e3, 97.4, t)
    p = params(sensor="three-body", filter="three-body-semantic", **ALWAYS_LIT)
    sats = np.array([3, 10, 11, 40, 41, 99])
    ops = np.full(m, 744e12)
    contact = lambda k: np.where((np.arange(m) + k) % 5 == 0, 5e8, 0.0)  # noqa: E731
    a = run(EOModel(p, sats, ops, 7, dt, n_t), r, dt, contact_bps=contact)
    b = run(EOModel(p, sats, ops, 7, dt, n_t), r, dt, contact_bps=contact,
            on_step=lambda k, mod: (mod.summary(), mod.timeline()) if k % 7 == 0 else None)
    assert _totals(a) == _totals(b)
    for key, v in a.timeline().items():
        assert np.array_equal(v, b.timeline()[key])
    # the fleet cut into two blocks gives the same per-satellite results
    b1 = run(EOModel(p, sats[:2], ops[:2], 7, dt, n_t), r[:2], dt, contact_bps=lambda k: contact(k)[:2])
    b2 = run(EOModel(p, sats[2:], ops[2:], 7, dt, n_t), r[2:], dt, contact_bps=lambda k: contact(k)[2:])
    for key, v in a.per_satellite().items():
        assert np.array_equal(v, np.concatenate((b1.per_satellite()[key], b2.per_satellite()[key]))), key
    # another seed draws other clouds
    c = run(EOModel(p, sats, ops, 8, dt, n_t), r, dt, contact_bps=contact)
    assert c.summary()["frames_discarded"] != a.summary()["frames_discarded"]


# --------------------------------------------------------------------------------------------------
# the Three-Body claim
# --------------------------------------------------------------------------------------------------


def test_three_body_semantic_filter_reduces_downlink_by_more_than_90_percent():
    """12 satellites, one 500 km SSO plane, one day at 60 s, the three-body preset (targets all)."""
    dt, n_t, m = 60.0, 1440, 12
    t = np.arange(n_t) * dt
    r = circular_ecef(m, 500e3, 97.4, t)
    spec = parse_earth_observation({"sensor": "three-body", "filter": "three-body-semantic"})
    p = eo_params(spec)
    # a ground station near Beijing (40 N, 116 E) within 2,000 km of the sub-satellite point: 1 Gbps
    st_ecef = A_E * np.array([math.cos(math.radians(40)) * math.cos(math.radians(116)),
                              math.cos(math.radians(40)) * math.sin(math.radians(116)), math.sin(math.radians(40))])
    contact = lambda k: np.where(np.linalg.norm(r[:, k] - st_ecef, axis=1) < 2.0e6, 1e9, 0.0)  # noqa: E731
    sun = np.array([math.cos(0.4), math.sin(0.4), 0.0])
    s = run(EOModel(p, np.arange(m), np.full(m, 744e12), 1, dt, n_t), r, dt, contact_bps=contact, sun=sun).summary()
    assert s["conservation_error_b"] == 0 and s["frames_kept_raw"] == 0  # 744 TOPS is ample
    # the reduction comes out of the clouds, the classifier and the product ratio:
    keep = s["frames_product"] / s["frames_captured"]  # frames the cloud screen keeps
    cloudy = 1.0 - s["frames_valuable"] / s["frames_captured"]
    assert keep == pytest.approx((1 - cloudy) * (1 - 0.02) + cloudy * 0.14, abs=0.01)
    assert s["downlink_reduction"] == pytest.approx(1.0 - keep * p.product_size_b / p.frame_size_b, abs=1e-9)
    assert s["downlink_reduction"] > 0.90  # measured 0.93
    assert s["downlinked_fraction"] < 0.10
    assert s["value_density"] > s["value_density_captured"]  # the filter enriches what comes down


# --------------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc, words",
    [
        ({"sensor": "landsat-9"}, ["unknown sensor 'landsat-9'", "planet-dove", "sentinel-2-msi", "three-body"]),
        ({"filter": "magic"}, ["unknown filter preset 'magic'", "none", "cloudscout"]),
        ({"swath_km": -5}, ["workloads.earth_observation.swath_km", "-5"]),
        ({"storage_gb": -1}, ["storage_gb", "-1"]),
        ({"bits_per_sample": 0}, ["bits_per_sample", "0"]),
        ({"filter": {"preset": "cloudscout", "accuracy": 1.2}}, ["filter.accuracy", "1.2"]),
        ({"filter": {"preset": "nope"}}, ["unknown filter preset 'nope'", "three-body-semantic"]),
        ({"targets": "sea"}, ["targets", "sea"]),
        ({"swath": 10}, ["swath", "extra"]),
    ],
)
def test_bad_section_is_one_line(doc, words):
    with pytest.raises(ScenarioError) as exc:
        parse_earth_observation(doc)
    msg = str(exc.value)
    assert "\n" not in msg
    for w in words:
        assert w.lower() in msg.lower(), msg


def test_bad_filter_numbers_and_model_inputs():
    with pytest.raises(OrbitcloudError, match="product"):
        params(sensor="planet-dove", filter={"kind": "semantic", "accuracy": 0.9, "false_positive": 0.01,
                                              "eval_cloudy_fraction": 0.5, "ops_per_pixel": 1.0,
                                              "product_bits_per_pixel": 100})
    with pytest.raises(OrbitcloudError, match="per-class rates"):
        params(sensor="planet-dove", filter={"preset": "cloudscout", "accuracy": 0.5, "false_positive": 0.2,
                                              "eval_cloudy_fraction": 0.1})
    p = params(sensor="planet-dove")
    with pytest.raises(EOError, match="ops_per_s"):
        EOModel(p, np.arange(2), np.array([1.0, -1.0]), 0, 60.0, 5)
    model = EOModel(p, np.arange(2), np.zeros(2), 0, 60.0, 5)
    with pytest.raises(EOError, match="r_ecef_m"):
        model.advance(0, 0.0, 60.0, np.zeros((3, 3)), np.array([1.0, 0, 0]), np.ones(2), np.zeros(2))
    with pytest.raises(EOError, match="contact_bps"):
        model.advance(0, 0.0, 60.0, np.ones((2, 3)) * 7e6, np.array([1.0, 0, 0]), np.ones(2), np.array([-1.0, 0]))
    with pytest.raises(EOError, match="step 3 given, step 0 expected"):
        model.advance(3, 0.0, 60.0, np.ones((2, 3)) * 7e6, np.array([1.0, 0, 0]), np.ones(2), np.zeros(2))
