"""Ground segment: stations, visibility, contact windows, station limits.

Oracles: skyfield's topocentric ``(satellite - station).at(t).altaz()`` (independent rotation
into the WGS-84 horizon frame) for elevation, azimuth and range; the closed-form slant range on a
sphere for satellites placed at exactly the minimum elevation; brute force (all pairs, Python
sorting) for the sparse path and the per-station link limit; 1-s sampling for contact windows.
Positions for the contact tests come from a circular-orbit model written here (two-body circular
motion rotated by the Earth's rotation angle), independent of the package's propagators.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from skyfield import api as skyfield_api  # test-only oracle

from orbitcloud.constants import WGS84_A_M, WGS84_F
from orbitcloud.errors import OrbitcloudError, ScenarioError
from orbitcloud.network import ground as G
from tle_samples import DEB_L1, DEB_L2, ISS_L1, ISS_L2, SYN_L1, SYN_L2

MU_M3_S2 = 3.986004418e14
OMEGA_E_RAD_S = 7.292115146706979e-5
WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)

STATION_RECORDS = [
    dict(name="Quito", lat_deg=-0.18, lon_deg=-78.47, elevation_m=2850.0),
    dict(name="Svalbard", lat_deg=78.23, lon_deg=15.39, elevation_m=500.0),
    dict(name="Mid-45", lat_deg=45.0, lon_deg=240.0),  # longitude in [180, 360) is wrapped
    dict(name="Sydney", lat_deg=-33.87, lon_deg=151.21),
    dict(name="Manila", lat_deg=14.6042, lon_deg=120.9822),
    dict(name="Tokyo", lat_deg=35.6895, lon_deg=139.69171, elevation_m=40.0),
    dict(name="New-York-Newark", lat_deg=40.717042, lon_deg=-74.003663),
    dict(name="Cape Town", lat_deg=-33.92, lon_deg=18.42),
    dict(name="South-45", lat_deg=-45.0, lon_deg=170.0),
]


def _ts():
    return skyfield_api.load.timescale(builtin=True)


def _stations(records=STATION_RECORDS) -> G.Stations:
    return G.stations_from_records(records)


def walker(n_planes: int, per_plane: int, alt_m: float, inc_deg: float, phasing: int = 1):
    raan = np.repeat(np.arange(n_planes) * 2 * np.pi / n_planes, per_plane)
    u0 = np.tile(np.arange(per_plane) * 2 * np.pi / per_plane, n_planes)
    u0 = u0 + np.repeat(np.arange(n_planes), per_plane) * 2 * np.pi * phasing / (n_planes * per_plane)
    n = n_planes * per_plane
    return raan, u0, np.full(n, alt_m), np.full(n, math.radians(inc_deg))


def circular_ecef_m(orbits, t_s: np.ndarray):
    """Earth-fixed positions (n, T) of circular two-body orbits (WGS-84 mu), Earth turning at
    OMEGA_E about z with the frames aligned at t = 0."""
    raan, u0, alt, inc = orbits
    a = WGS84_A_M + alt
    n = np.sqrt(MU_M3_S2 / a**3)
    u = u0[:, None] + n[:, None] * t_s[None, :]
    cu, su = np.cos(u), np.sin(u)
    co, so = np.cos(raan)[:, None], np.sin(raan)[:, None]
    ci, si = np.cos(inc)[:, None], np.sin(inc)[:, None]
    xi = a[:, None] * (co * cu - so * su * ci)
    yi = a[:, None] * (so * cu + co * su * ci)
    z = a[:, None] * su * si
    th = OMEGA_E_RAD_S * t_s[None, :]
    c, s = np.cos(th), np.sin(th)
    return c * xi + s * yi, -s * xi + c * yi, z


def same(a, b) -> bool:
    """Bit-identical (NaN equal) field by field, for NamedTuples or dataclasses."""
    if dataclasses.is_dataclass(a):
        a = [getattr(a, f.name) for f in dataclasses.fields(a)]
        b = [getattr(b, f.name) for f in dataclasses.fields(b)]
    return all(p.dtype == q.dtype and np.array_equal(p, q, equal_nan=p.dtype.kind == "f") for p, q in zip(a, b))


# --------------------------------------------------------------------------------------------------
# geometry against skyfield
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "l1, l2, start",
    [(ISS_L1, ISS_L2, (2019, 12, 9)), (SYN_L1, SYN_L2, (2019, 12, 9)), (DEB_L1, DEB_L2, (2006, 6, 25))],
    ids=["ISS", "SYN", "DEB"],
)
def test_elevation_range_azimuth_vs_skyfield_altaz(l1, l2, start):
    """Elevation, azimuth and slant range from skyfield's ITRS positions vs skyfield's topocentric
    ``(sat - station).at(t).altaz()`` (no refraction), 9 stations, one day every 37 s.

    Same positions in, so this checks the horizon frame (geodetic up, ENU) alone. Measured (worst
    of the three element sets): elevation 5.2e-12 deg, range 5.2e-8 m, azimuth 3.7e-11 deg.
    Bounds: 1e-8 deg, 1e-4 m, azimuth 1e-7 deg (where 0 < alt < 89 deg)."""
    from skyfield.api import EarthSatellite, wgs84
    from skyfield.framelib import itrs

    ts = _ts()
    sec = np.arange(0.0, 86400.0, 37.0)
    t = ts.utc(*start, 0, 0, sec)
    sat = EarthSatellite(l1, l2, ts=ts)
    p = sat.at(t).frame_xyz(itrs).m
    st = _stations()
    min_el = 10.0
    vis = G.visibility(st, p[0][None], p[1][None], p[2][None], min_elevation_deg=min_el)
    az, el, rng = G.look_angles(st, p[0][None], p[1][None], p[2][None])
    n_visible = 0
    for i, rec in enumerate(STATION_RECORDS):
        topo = wgs84.latlon(rec["lat_deg"], rec["lon_deg"], elevation_m=rec.get("elevation_m", 0.0))
        alt, azr, dist = (sat - topo).at(t).altaz()
        assert np.max(np.abs(np.degrees(vis.elevation_rad[i, 0]) - alt.degrees)) <= 1e-8
        assert np.max(np.abs(np.degrees(el[i, 0]) - alt.degrees)) <= 1e-8
        assert np.max(np.abs(vis.range_m[i, 0] - dist.m)) <= 1e-4
        assert np.max(np.abs(rng[i, 0] - dist.m)) <= 1e-4
        up = (alt.degrees > 0.0) & (alt.degrees < 89.0)
        daz = (np.degrees(az[i, 0]) - azr.degrees + 180.0) % 360.0 - 180.0
        assert np.max(np.abs(daz[up]), initial=0.0) <= 1e-7
        clear = np.abs(alt.degrees - min_el) > 1e-8
        np.testing.assert_array_equal(vis.visible[i, 0][clear], (alt.degrees >= min_el)[clear])
        n_visible += int(vis.visible[i, 0].sum())
    assert n_visible > 20


def test_project_pipeline_positions_vs_skyfield():
    """End to end: our SGP4 + TEME -> Earth-fixed (GMST-82, UT1 - UTC from skyfield's table)
    feeding :func:`visibility`, vs skyfield's altaz. Position differences of ~0.3 m
    (``tests/ephemeris/test_frames.py``) give measured 6.9e-6 deg and 0.06 m; bounds 1e-4 deg, 1 m."""
    from sgp4.api import Satrec
    from skyfield.api import EarthSatellite, wgs84

    from orbitcloud.ephemeris.frames import gmst_for_times, teme_to_ecef
    from orbitcloud.timescale import jd_split

    ts = _ts()
    sec = np.arange(0.0, 86400.0, 53.0)
    t = ts.utc(2019, 12, 9, 0, 0, sec)
    jd, fr = jd_split(np.datetime64("2019-12-09T00:00:00", "ns") + (sec * 1e9).astype("timedelta64[ns]"))
    st = _stations()
    worst_el = worst_r = 0.0
    for l1, l2 in ((ISS_L1, ISS_L2), (SYN_L1, SYN_L2)):
        err, r_km, _ = Satrec.twoline2rv(l1, l2).sgp4_array(jd, fr)
        assert not err.any()
        ecef = teme_to_ecef(r_km * 1000.0, gmst_for_times(jd, fr, dut1_s=float(np.mean(t.dut1))))
        vis = G.visibility(st, ecef[None, :, 0], ecef[None, :, 1], ecef[None, :, 2], min_elevation_deg=25.0)
        sat = EarthSatellite(l1, l2, ts=ts)
        for i, rec in enumerate(STATION_RECORDS):
            alt, _, dist = (sat - wgs84.latlon(rec["lat_deg"], rec["lon_deg"], rec.get("elevation_m", 0.0))).at(t).altaz()
            worst_el = max(worst_el, np.max(np.abs(np.degrees(vis.elevation_rad[i, 0]) - alt.degrees)))
            worst_r = max(worst_r, np.max(np.abs(vis.range_m[i, 0] - dist.m)))
    assert worst_el <= 1e-4, worst_el
    assert worst_r <= 1.0, worst_r


# --------------------------------------------------------------------------------------------------
# closed form
# --------------------------------------------------------------------------------------------------


def test_max_slant_range_closed_form_values():
    """rho(E = 90) = h; rho(E = 0) = sqrt(2 R h + h^2) (horizon distance); Starlink 550 km at
    25 deg and Kuiper 630 km at 30 deg (the Hypatia criteria) ~ 1,123 km and 1,124 km."""
    h = np.array([300e3, 550e3, 630e3, 1200e3, 2000e3])
    np.testing.assert_allclose(G.max_slant_range_m(h, 90.0), h, rtol=1e-12)
    np.testing.assert_allclose(G.max_slant_range_m(h, 0.0), np.sqrt(2 * WGS84_A_M * h + h * h), rtol=1e-12)
    assert G.max_slant_range_m(550e3, 25.0) == pytest.approx(1_123_417.7, abs=1.0)
    assert G.max_slant_range_m(630e3, 30.0) == pytest.approx(1_124_110.2, abs=1.0)
    # decreasing in elevation, increasing in altitude
    assert np.all(np.diff(G.max_slant_range_m(550e3, np.linspace(0, 90, 91))) < 0)
    assert np.all(np.diff(G.max_slant_range_m(h, 25.0)) > 0)


@pytest.mark.parametrize("lat_deg, radius_m", [(0.0, WGS84_A_M), (90.0, WGS84_B_M), (-90.0, WGS84_B_M)])
@pytest.mark.parametrize("alt_m, min_el_deg", [(550e3, 25.0), (630e3, 30.0), (1200e3, 10.0), (8000e3, 45.0)])
def test_visibility_at_min_elevation_matches_closed_form(lat_deg, radius_m, alt_m, min_el_deg):
    """Spherical case: at the equator and the poles the ellipsoid normal is radial, so a satellite
    at geocentric radius R + h seen at exactly E_min lies at the closed-form slant range.

    Satellites are placed along the line of sight at that range for 24 azimuths; the function must
    give E_min (1e-9 deg) and the range (1e-6 m relative), and the visibility flips between
    E_min - 1e-6 deg and E_min + 1e-6 deg."""
    st = G.stations_from_records([dict(name="s", lat_deg=lat_deg, lon_deg=37.0)])
    g, e, n, u = st.ecef_m[0], st.east[0], st.north[0], st.up[0]
    assert np.linalg.norm(g) == pytest.approx(radius_m, abs=1e-6)
    d = G.max_slant_range_m(alt_m, min_el_deg, earth_radius_m=radius_m)
    az = np.radians(np.arange(0.0, 360.0, 15.0))
    el = math.radians(min_el_deg)
    los = np.cos(el) * (np.sin(az)[:, None] * e + np.cos(az)[:, None] * n) + math.sin(el) * u
    s = g + d * los
    np.testing.assert_allclose(np.linalg.norm(s, axis=1), radius_m + alt_m, rtol=1e-12)
    vis = G.visibility(st, s[:, 0], s[:, 1], s[:, 2], min_elevation_deg=min_el_deg - 1e-6)
    assert np.max(np.abs(np.degrees(vis.elevation_rad) - min_el_deg)) <= 1e-9
    np.testing.assert_allclose(vis.range_m, d, rtol=1e-12, atol=1e-6)
    assert vis.visible.all()
    assert not G.visibility(st, s[:, 0], s[:, 1], s[:, 2], min_elevation_deg=min_el_deg + 1e-6).visible.any()
    # the range criterion at the closed-form range: inside by 1 mm, outside by 1 mm
    assert G.visibility(st, s[:, 0], s[:, 1], s[:, 2], max_range_m=d + 1e-3).visible.all()
    assert not G.visibility(st, s[:, 0], s[:, 1], s[:, 2], max_range_m=d - 1e-3).visible.any()


def _random_and_edge_positions(st: G.Stations, min_el_deg: float, seed: int = 7):
    """Random satellites (300 km - 36,000 km, some NaN) plus satellites just above and below
    E_min seen from every station (the KD-tree radius's worst case), 3 time columns."""
    rng = np.random.default_rng(seed)
    n = 4000
    r = WGS84_A_M + np.concatenate([rng.uniform(300e3, 2500e3, n - 50), rng.uniform(2500e3, 36e6, 50)])
    v = rng.normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    pts = [v * r[:, None]]
    for i in range(len(st)):
        az = rng.uniform(0, 2 * np.pi, 40)
        el = np.radians(min_el_deg + rng.choice([-1e-7, 1e-7, 0.05, -0.05], 40))
        d = rng.uniform(200e3, 4000e3, 40)
        los = np.cos(el)[:, None] * (np.sin(az)[:, None] * st.east[i] + np.cos(az)[:, None] * st.north[i])
        los += np.sin(el)[:, None] * st.up[i]
        pts.append(st.ecef_m[i] + d[:, None] * los)
    p = np.concatenate(pts)
    x = np.stack([p[:, 0], p[:, 0] * 1.0001, p[:, 0] * 0.9999], axis=1)
    y = np.stack([p[:, 1]] * 3, axis=1)
    z = np.stack([p[:, 2]] * 3, axis=1)
    x[::97, 1] = np.nan
    return x, y, z


@pytest.mark.parametrize("crit", [dict(min_elevation_deg=25.0), dict(max_range_m=1.5e6), dict(min_elevation_deg=10.0, max_range_m=2.0e6)])
def test_sparse_paths_equal_dense_and_brute_force(crit):
    """KD-tree, compiled and NumPy dense paths give the same triples and values, bit for bit, and
    the same set as a brute-force evaluation of the criterion (also just above/below E_min)."""
    st = _stations()
    x, y, z = _random_and_edge_positions(st, crit.get("min_elevation_deg", 25.0))
    dense = G.visibility(st, x, y, z, **crit)
    dense_np = G.visibility(st, x, y, z, **crit, use_numba=False)
    assert same(dense, dense_np)
    ref = dense.to_sparse()
    assert ref.station.size > 500
    for method in ("kd", "dense"):
        for use_numba in (True, False):
            got = G.visibility_sparse(st, x, y, z, **crit, method=method, use_numba=use_numba)
            assert same(got, ref), (method, use_numba)
    # brute force with skyfield-independent numpy arithmetic (angles, not sines)
    d = np.stack([x, y, z], axis=-1)[None] - st.ecef_m[:, None, None, :]
    rng = np.linalg.norm(d, axis=-1)
    el = np.degrees(np.arcsin(np.einsum("sntk,sk->snt", d, st.up) / rng))
    want = np.ones(rng.shape, bool)
    if "min_elevation_deg" in crit:
        want &= el >= crit["min_elevation_deg"]
    if "max_range_m" in crit:
        want &= rng <= crit["max_range_m"]
    tie = np.abs(el - crit.get("min_elevation_deg", -99.0)) < 1e-9
    np.testing.assert_array_equal(dense.visible[~tie], want[~tie])


def test_visibility_one_step_positions_and_criterion_errors():
    st = _stations()
    x, y, z = _random_and_edge_positions(st, 25.0)
    one = G.visibility(st, x[:, 0], y[:, 0], z[:, 0], 25.0)
    assert one.visible.shape == (len(st), x.shape[0], 1)
    with pytest.raises(OrbitcloudError, match="min_elevation_deg and/or max_range_m"):
        G.visibility(st, x, y, z)
    with pytest.raises(OrbitcloudError, match=r"min_elevation_deg must be in \[-90, 90\] \(got 95"):
        G.visibility(st, x, y, z, 95.0)
    with pytest.raises(OrbitcloudError, match="max_range_m must be a positive"):
        G.visibility(st, x, y, z, max_range_m=-1.0)


# --------------------------------------------------------------------------------------------------
# station files and records
# --------------------------------------------------------------------------------------------------

GOOD_ROWS = "0,Tokyo,35.6895,139.69171,0\n1,Manila,14.6042,120.9822,0\n"


@pytest.mark.parametrize(
    "text, line, fragments",
    [
        ("0,Tokyo,35.6895,139.69171\n", 1, ["expected 5 columns", "found 4", "'0,Tokyo,35.6895,139.69171'"]),
        (GOOD_ROWS + "2,Paris,48.85x,2.35,0\n", 3, ["latitude must be a number", "'48.85x'"]),
        (GOOD_ROWS + "2,Paris,95.5,2.35,0\n", 3, ["latitude must be in [-90, 90]", "'95.5'"]),
        (GOOD_ROWS + "2,Paris,48.85,360,0\n", 3, ["longitude must be in [-180, 360)", "'360'"]),
        (GOOD_ROWS + "2,Paris,48.85,2.35,nan\n", 3, ["elevation must be a finite number", "'nan'"]),
        (GOOD_ROWS + "1,Paris,48.85,2.35,0\n", 3, ["duplicate station id, first on line 2", "'1'"]),
        (GOOD_ROWS + "2,manila,48.85,2.35,0\n", 3, ["duplicate station name", "first on line 2", "'manila'"]),
        ("id,name,lat,lon,elevation\n" + GOOD_ROWS, 1, ["non-negative integer", "no header", "'id'"]),
        (GOOD_ROWS + "-3,Paris,48.85,2.35,0\n", 3, ["non-negative integer", "'-3'"]),
        (GOOD_ROWS + "3,,48.85,2.35,0\n", 3, ["name must not be empty"]),
        ("", 1, ["no ground stations"]),
    ],
    ids=["missing-column", "bad-number", "lat-range", "lon-range", "nan", "dup-id", "dup-name", "header", "neg-id", "no-name", "empty"],
)
def test_station_csv_errors_name_file_line_value(tmp_path, text, line, fragments):
    path = tmp_path / "st.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        G.read_stations_csv(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}:{line}: "), msg
    for frag in fragments:
        assert frag in msg, msg
    with pytest.raises(ScenarioError, match=rf"^ground/st\.csv:{line}: "):
        G.read_stations_csv(path, label="ground/st.csv")


def test_station_csv_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="not found"):
        G.read_stations_csv(tmp_path / "nope.csv")


def test_station_csv_reads_values_and_wraps_longitude(tmp_path):
    path = tmp_path / "st.csv"
    path.write_text("7,A,10.5,200.0,120\n\n3,\"B, quoted\",-20,-30,0\n", encoding="utf-8")
    st = G.read_stations_csv(path)
    assert st.ids.tolist() == [7, 3] and st.names == ["A", "B, quoted"]
    np.testing.assert_allclose(np.degrees(st.lon_rad), [-160.0, -30.0], atol=1e-12)
    np.testing.assert_allclose(st.alt_m, [120.0, 0.0])
    from orbitcloud.ephemeris.frames import ecef_to_geodetic

    lat, lon, h = ecef_to_geodetic(st.ecef_m)
    np.testing.assert_allclose(np.degrees(lat), [10.5, -20.0], atol=1e-9)
    np.testing.assert_allclose(h, [120.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(np.einsum("ij,ij->i", st.up, st.east), 0.0, atol=1e-15)
    np.testing.assert_allclose(np.cross(st.east, st.north), st.up, atol=1e-15)


@pytest.mark.shared_data
def test_cities_top100_file_loads(shared_data):
    path = shared_data / "ground_stations" / "cities-top100.csv"
    st = G.read_stations_csv(path)
    assert len(st) == 100
    assert st.ids.tolist() == list(range(100))
    assert st.names[0] == "Tokyo" and st.names[3] == "São-Paulo"
    assert np.all(np.abs(st.lat_rad) <= np.pi / 2) and np.all(st.alt_m == 0.0)
    assert st.find(["tokyo", "MANILA", "new york newark"]).tolist() == [0, 17, 9]
    with pytest.raises(ScenarioError, match="did you mean 'Manila'"):
        st.find("Manla")


def test_find_is_case_insensitive_and_suggests_near_names():
    st = _stations()
    assert st.find(["manila", "TOKYO", "new york newark", "cape-town", "Cape_Town"]).tolist() == [4, 5, 6, 7, 7]
    assert st.index("Sydney") == 3
    with pytest.raises(ScenarioError) as info:
        st.find(["Tokyo", "Manla"])
    msg = str(info.value)
    assert "\n" not in msg and "unknown ground station 'Manla'" in msg and "did you mean 'Manila'" in msg
    with pytest.raises(ScenarioError, match="unknown ground station 'Xyzzy'") as info:
        st.find("Xyzzy")
    assert "did you mean" not in str(info.value)


@pytest.mark.parametrize(
    "records, fragment",
    [
        ([dict(name="A", lat_deg=91.0, lon_deg=0.0)], r"ground\.stations\[0\]\.lat_deg: must be in \[-90, 90\] degrees \(got '91\.0'\)"),
        ([dict(name="A", lat_deg=1.0, lon_deg=0.0), dict(name="a", lat_deg=1.0, lon_deg=1.0)], r"\[1\]\.name: duplicate station name"),
        ([dict(name="A", lat_deg=1.0, lon_deg=0.0, id=3), dict(name="B", lat_deg=1.0, lon_deg=1.0, id=3)], r"\[1\]\.id: duplicate station id"),
        ([dict(name="A", lat_deg=1.0, lon_deg="x")], r"\[0\]\.lon_deg: must be a finite number \(got 'x'\)"),
        ([dict(name="A", lat_deg=1.0, lon_deg=0.0, height=3)], r"\[0\]\.height: unknown key"),
        ([dict(name="A", lon_deg=0.0)], r"\[0\]: missing 'lat_deg'"),
        ([], r"no ground stations"),
    ],
)
def test_station_records_errors(records, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        G.stations_from_records(records)


def test_ground_from_config_inline_and_csv(tmp_path):
    """The scenario's ``ground:`` section (schema objects) builds stations, limits, criterion."""
    from orbitcloud.scenario.schema import Ground

    cfg = Ground(stations=[dict(name="Quito", lat_deg=-0.18, lon_deg=-78.47, elevation_m=2850.0, id=5)], max_tracked=2)
    seg = G.ground_from_config(cfg)
    assert seg.stations.ids.tolist() == [5] and seg.min_elevation_deg == 25.0 and seg.max_range_m is None
    assert seg.limits.max_tracked.tolist() == [2] and seg.limits.downlink_bps.tolist() == [10e9]
    (tmp_path / "gs.csv").write_text(GOOD_ROWS, encoding="utf-8")
    seg = G.ground_from_config(Ground(stations="gs.csv", min_elevation_deg=None, max_range_km=1500.0), base_dir=tmp_path)
    assert seg.stations.names == ["Tokyo", "Manila"] and seg.max_range_m == 1.5e6
    (tmp_path / "bad.csv").write_text("0,A,1,2\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"^bad\.csv:1: expected 5 columns"):
        G.ground_from_config(Ground(stations="bad.csv"), base_dir=tmp_path)


# --------------------------------------------------------------------------------------------------
# contact windows
# --------------------------------------------------------------------------------------------------

STEP_S = 60.0
N_STEPS = 720  # 12 h


def _run_contacts(st, orbits, chunk: int, step_s=STEP_S, n_steps=N_STEPS, **kw) -> G.Contacts:
    tracker = G.ContactTracker(st, step_s, **kw)
    parts = []
    for k0 in range(0, n_steps, chunk):
        parts.append(tracker.add(*circular_ecef_m(orbits, np.arange(k0, min(n_steps, k0 + chunk)) * step_s)))
    parts.append(tracker.finish())
    return G.Contacts.concat(parts)


@pytest.mark.parametrize("interpolation", ["linear", "quadratic"])
@pytest.mark.parametrize("crit", [dict(min_elevation_deg=25.0), dict(min_elevation_deg=10.0, max_range_m=1.5e6), dict(max_range_m=1.2e6)])
def test_contacts_invariant_to_chunking_and_method(crit, interpolation):
    """Chunks of 720, 64, 7 and 1 steps, dense (compiled and NumPy) and KD-tree paths: the same
    windows, bit for bit; and :func:`contact_windows` gives them too."""
    st = _stations()
    orbits = walker(6, 8, 550e3, 53.0)
    ref = _run_contacts(st, orbits, N_STEPS, interpolation=interpolation, **crit)
    assert len(ref) > 300
    assert ref.start_clipped.any() and ref.end_clipped.any()
    for chunk, method, use_numba in ((64, "kd", None), (7, "dense", False), (1, "dense", True), (64, "auto", None)):
        got = _run_contacts(st, orbits, chunk, method=method, use_numba=use_numba, interpolation=interpolation, **crit)
        assert same(got, ref), (chunk, method, use_numba)
    chunks = (circular_ecef_m(orbits, np.arange(k0, min(N_STEPS, k0 + 100)) * STEP_S) for k0 in range(0, N_STEPS, 100))
    assert same(G.contact_windows(st, chunks, STEP_S, interpolation=interpolation, **crit), ref)
    assert np.all(ref.end_s >= ref.start_s) and np.all(ref.start_s >= 0.0) and np.all(ref.end_s <= (N_STEPS - 1) * STEP_S)


@pytest.mark.parametrize(
    "interpolation, crit, bound_all_s, bound_long_s, bound_mean_s",
    [
        # measured (max over all windows, max over windows > 3 steps, mean): 40.7, 3.3, 2.7 s
        ("linear", dict(min_elevation_deg=25.0), 45.0, 4.5, 3.5),
        # measured 7.1, 2.7, 1.3 s
        ("quadratic", dict(min_elevation_deg=25.0), 9.0, 3.5, 1.6),
        # measured 29.1, 3.8, 2.3 s / 3.1, 1.0, 0.6 s
        ("linear", dict(max_range_m=1.2e6), 36.0, 4.5, 3.0),
        ("quadratic", dict(max_range_m=1.2e6), 4.0, 1.3, 0.8),
        # measured 33.3, 4.2, 1.5 s / 1.2, 0.9, 0.4 s
        ("linear", dict(min_elevation_deg=10.0, max_range_m=1.5e6), 40.0, 5.0, 2.0),
        ("quadratic", dict(min_elevation_deg=10.0, max_range_m=1.5e6), 1.6, 1.2, 0.5),
    ],
)
def test_contacts_match_1s_reference(interpolation, crit, bound_all_s, bound_long_s, bound_mean_s):
    """60-s windows vs windows from 1-s sampling of the same orbits (12 h, 48 satellites, 9
    stations). Every unclipped 60-s window matches exactly one reference window; start and end
    differ by at most ``bound_all_s`` (a fraction of the 60-s step; the largest errors are grazing
    passes shorter than a step), by ``bound_long_s`` for windows longer than 3 steps. The sampled
    maximum elevation never exceeds the 1-s one (the 60-s samples are among the 1-s samples)."""
    st = _stations()
    orbits = walker(6, 8, 550e3, 53.0)
    coarse = _run_contacts(st, orbits, N_STEPS, interpolation=interpolation, **crit)
    fine = _run_contacts(st, orbits, 3600, step_s=1.0, n_steps=int((N_STEPS - 1) * STEP_S) + 1, interpolation=interpolation, **crit)
    errs, long_errs = [], []
    for i in range(len(coarse)):
        if coarse.start_clipped[i] or coarse.end_clipped[i]:
            continue
        m = np.flatnonzero(
            (fine.station == coarse.station[i]) & (fine.sat == coarse.sat[i])
            & (fine.start_s < coarse.end_s[i]) & (fine.end_s > coarse.start_s[i])
        )
        assert m.size == 1
        j = m[0]
        e = max(abs(coarse.start_s[i] - fine.start_s[j]), abs(coarse.end_s[i] - fine.end_s[j]))
        errs.append(e)
        if fine.duration_s[j] > 3 * STEP_S:
            long_errs.append(e)
        assert coarse.max_elevation_deg[i] <= fine.max_elevation_deg[j] + 1e-12
    assert len(errs) > 300
    assert max(errs) <= bound_all_s, max(errs)
    assert max(long_errs) <= bound_long_s, max(long_errs)
    assert np.mean(errs) <= bound_mean_s, np.mean(errs)
    # passes the coarse sampling misses are all shorter than a step
    unmatched = [
        j for j in range(len(fine))
        if not fine.start_clipped[j] and not fine.end_clipped[j] and not np.any(
            (coarse.station == fine.station[j]) & (coarse.sat == fine.sat[j])
            & (coarse.start_s < fine.end_s[j]) & (coarse.end_s > fine.start_s[j])
        )
    ]
    assert all(fine.duration_s[j] < STEP_S for j in unmatched)


def test_contact_window_edges_by_construction():
    """One station, one 'satellite' moved along a path whose elevation margin is known: visible at
    the first sample (start clipped at 0), a window with linear margin (exact crossings), a NaN
    sample next to a visible one (the window ends at the last visible sample), visible at the
    last sample (end clipped)."""
    st = G.stations_from_records([dict(name="eq", lat_deg=0.0, lon_deg=0.0)])
    g = st.ecef_m[0]
    # sin(elevation) wanted per sample; the satellite is put at 1000 km range in the x-z plane
    sin_el = np.array([0.6, 0.1, -0.2, 0.2, 0.6, 0.6, 0.0, -0.6, 0.3, np.nan, -0.5, 0.55, 0.7])
    cos_el = np.sqrt(1.0 - np.nan_to_num(sin_el) ** 2)
    p = g[None, :] + 1.0e6 * (sin_el[:, None] * st.up[0] + cos_el[:, None] * st.north[0])
    thr = math.degrees(math.asin(0.5))
    for chunk in (13, 4, 1):
        tr = G.ContactTracker(st, 10.0, min_elevation_deg=thr)
        parts = [tr.add(p[None, k:k + chunk, 0], p[None, k:k + chunk, 1], p[None, k:k + chunk, 2]) for k in range(0, 13, chunk)]
        c = G.Contacts.concat(parts + [tr.finish()])
        assert len(c) == 3
        # window 1: visible at sample 0 only; margin 0.1 -> -0.4: end at (0 + 0.1 / 0.5) * 10 s
        assert c.start_s[0] == 0.0 and c.start_clipped[0] and not c.end_clipped[0]
        assert c.end_s[0] == pytest.approx(2.0, abs=1e-9)
        # window 2: samples 4, 5; start between 3 (-0.3) and 4 (0.1): 3.75 -> 37.5 s; end between
        # 5 (0.1) and 6 (-0.5): 5 + 1/6
        assert c.start_s[1] == pytest.approx(37.5, abs=1e-9)
        assert c.end_s[1] == pytest.approx((5 + 1 / 6) * 10.0, abs=1e-9)
        assert c.max_elevation_deg[1] == pytest.approx(math.degrees(math.asin(0.6)), abs=1e-9)
        # sample 8 (0.3) is below the threshold; samples 11, 12 visible: start between 10 (-1.0) and
        # 11 (0.05): 10 + 20/21; end clipped at the last sample, 120 s
        assert c.start_s[2] == pytest.approx((10 + 20.0 / 21.0) * 10.0, abs=1e-9)
        assert c.end_clipped[2] and c.end_s[2] == 120.0 and not c.start_clipped[2]
        assert c.max_elevation_deg[2] == pytest.approx(math.degrees(math.asin(0.7)), abs=1e-9)
        assert c.station.tolist() == [0, 0, 0] and c.sat.tolist() == [0, 0, 0]


def test_contact_window_next_to_invalid_sample():
    """A NaN position next to a visible sample ends/starts the window at the visible sample."""
    st = G.stations_from_records([dict(name="eq", lat_deg=0.0, lon_deg=0.0)])
    g = st.ecef_m[0]
    sin_el = np.array([0.0, 0.9, np.nan, 0.9, 0.0])
    p = g[None, :] + 1.0e6 * (np.nan_to_num(sin_el)[:, None] * st.up[0] + np.sqrt(1 - np.nan_to_num(sin_el) ** 2)[:, None] * st.north[0])
    p[2] = np.nan
    for chunk in (5, 2, 1):
        tr = G.ContactTracker(st, 1.0, min_elevation_deg=30.0)
        c = G.Contacts.concat([tr.add(p[None, k:k + chunk, 0], p[None, k:k + chunk, 1], p[None, k:k + chunk, 2]) for k in range(0, 5, chunk)] + [tr.finish()])
        f = 0.5 / 0.9  # crossing of sin_el - 0.5 from 0 to 0.9
        np.testing.assert_allclose(c.start_s, [f, 3.0], atol=1e-12)
        np.testing.assert_allclose(c.end_s, [1.0, 3.0 + 0.4 / 0.9], atol=1e-12)


# --------------------------------------------------------------------------------------------------
# station limits
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_tracked", [1, 3])
def test_max_tracked_highest_elevation_first(max_tracked):
    st = _stations()
    orbits = walker(24, 24, 550e3, 53.0)
    x, y, z = circular_ecef_m(orbits, np.arange(0, 90) * 60.0)
    vis = G.visibility_sparse(st, x, y, z, 25.0)
    limits = G.StationLimits.uniform(len(st), max_tracked=max_tracked, downlink_bps=2e9, uplink_bps=5e8)
    links = G.assign_links(vis, limits)
    assert same(links, G.assign_links(G.visibility(st, x, y, z, 25.0), limits))
    # brute force: per (station, step), the max_tracked highest elevations (ties: lower sat)
    groups: dict[tuple[int, int], list[tuple[float, int]]] = {}
    for s_, sat, k, el in zip(vis.station, vis.sat, vis.step, vis.elevation_rad):
        groups.setdefault((int(s_), int(k)), []).append((-float(el), int(sat)))
    want = sorted((s_, k, sat) for (s_, k), cand in groups.items() for _, sat in sorted(cand)[:max_tracked])
    got = sorted(zip(links.station.tolist(), links.step.tolist(), links.sat.tolist()))
    assert got == want
    counts = np.bincount(links.station * 1000 + links.step)
    assert counts.max() == max_tracked and any(len(c) > max_tracked for c in groups.values())
    assert np.all(links.downlink_bps == 2e9) and np.all(links.uplink_bps == 5e8)


def test_rate_sharing_per_station_and_unlimited():
    st = _stations()
    orbits = walker(24, 24, 550e3, 53.0)
    x, y, z = circular_ecef_m(orbits, np.arange(0, 30) * 60.0)
    vis = G.visibility_sparse(st, x, y, z, 25.0)
    links = G.assign_links(vis, G.StationLimits.uniform(len(st), downlink_bps=4e9, uplink_bps=1e9, rate_sharing="per_station"))
    assert links.station.size == vis.station.size  # unlimited
    key = links.station * 1000 + links.step
    np.testing.assert_allclose(np.bincount(key, weights=links.downlink_bps)[np.unique(key)], 4e9, rtol=1e-12)
    np.testing.assert_allclose(np.bincount(key, weights=links.uplink_bps)[np.unique(key)], 1e9, rtol=1e-12)
    with pytest.raises(OrbitcloudError, match="max_tracked must be >= 1"):
        G.StationLimits.uniform(3, max_tracked=0)
    with pytest.raises(OrbitcloudError, match="terminal must be one of rf, optical"):
        G.StationLimits.uniform(3, terminal="laser")


def test_ground_re_exports_its_parts():
    """``orbitcloud.network.ground`` is split by idea (stations, visibility, contacts); every name
    of its ``__all__`` (and the names other modules read from it) is the object of the part."""
    from orbitcloud.network import contacts, stations, visibility

    parts = (stations, visibility, contacts)
    for name in G.__all__:
        owner = [m for m in parts if name in m.__all__]
        assert owner or name in ("StationLimits", "Links", "assign_links", "GroundSegment", "ground_from_config"), name
        if owner:
            assert getattr(G, name) is getattr(owner[0], name), name
    assert sorted(sum((m.__all__ for m in parts), [])) == sorted(n for n in G.__all__ if not any(
        n == k for k in ("StationLimits", "Links", "assign_links", "GroundSegment", "ground_from_config")))
    for name in ("KD_POINTS", "KD_BAND_M", "DENSE_BLOCK_PAIRS", "MASK_BLOCK", "AUTO_DENSE_PAIRS", "_mask_kernel"):
        assert getattr(G, name) is getattr(visibility, name), name
