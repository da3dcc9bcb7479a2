"""Built-in scenarios, duration parsing, and the documented example with a TLE shell.

The built-ins are checked for content against the sources their headers cite: satellite count, per-shell
mean altitude, inclination (sun-synchronous shells against a first-order J2 closed form computed here,
independent of orbitcloud.fleet), planes and satellites per plane, local time of the ascending node and
the published envelopes (altitude band, inclination band). Every number in :data:`BUILTINS` carries its
source; values the source does not give are the header's stated assumptions and are marked so. A built-in
without an entry in :data:`BUILTINS` fails :func:`test_every_builtin_loads`.
"""

from __future__ import annotations

import dataclasses
import math
import re
import shutil

import numpy as np
import pytest

from orbitcloud.bus.design import resolve
from orbitcloud.cli import main
from orbitcloud.errors import ScenarioError
from orbitcloud.fleet import build_fleet, mean_altitude_km
from orbitcloud.scenario import builtin_names, builtin_text, load_scenario, parse_duration_s
from orbitcloud.scenario.schema import TLEShell
from tle_samples import DEB_L1, DEB_L2, ISS_L1, ISS_L2

# --------------------------------------------------------------------------------------------------
# Independent references for the orbit checks
# --------------------------------------------------------------------------------------------------

MU_KM3_S2 = 398_600.4418  # WGS-84 (NIMA TR8350.2; design/REFERENCES.md)
R_EARTH_KM = 6378.137  # WGS-84 equatorial radius (same)
J2 = 1.08263e-3  # design/REFERENCES.md
SSO_RATE_RAD_S = 2 * math.pi / (365.2422 * 86_400.0)  # 360 deg per 365.2422 d (design/REFERENCES.md)
#: First-order J2 omits SGP4's J2^2 and J4 node-rate terms and uses WGS-84 where SGP4 uses WGS-72: the
#: two differ by 0.020-0.029 deg between 500 and 1,950 km.
SSO_TOL_DEG = 0.05
ALT_TOL_KM = 1e-3  # designed shells set the SGP4 mean altitude exactly; 1 m covers float round-off
LTAN_TOL_H = 1.0 / 60.0  # one minute of local time (0.25 deg of node)


def sso_inclination_deg(alt_km):
    """Sun-synchronous inclination of a circular orbit, first-order J2 (Vallado, 4th ed., sec. 9.6):
    cos i = -dOmega/dt / (3/2 n J2 (R/a)^2), n = sqrt(mu / a^3), a = R + h."""
    a = R_EARTH_KM + np.asarray(alt_km, dtype=float)
    n = np.sqrt(MU_KM3_S2 / a**3)
    return np.degrees(np.arccos(-SSO_RATE_RAD_S / (1.5 * n * J2 * (R_EARTH_KM / a) ** 2)))


def ltan_h(raan_rad, jd):
    """Local time of the ascending node [h] from the right ascension of the mean Sun, low-precision
    formula of the Astronomical Almanac (sec. C): L = 280.460 deg + 0.9856474 deg/day x (JD - 2451545.0)."""
    ra_sun_deg = 280.460 + 0.9856474 * (np.asarray(jd) - 2_451_545.0)
    return np.mod(12.0 + (np.degrees(raan_rad) - ra_sun_deg) / 15.0, 24.0)


# --------------------------------------------------------------------------------------------------
# What each built-in must be (from the sources in its header)
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Shell:
    name: str
    kind: str
    count: int
    alt_km: tuple[float, float]  # lowest and highest plane mean altitude [km]
    mean_alt_km: float  # mean over the shell's satellites [km]
    incl_deg: float | None  # None: sun-synchronous at each satellite's altitude
    planes: int | None = None  # None: not a plane layout (formation cluster)
    per_plane: int | None = None
    ltan: tuple[float, float] | None = None  # (LTAN of plane 0 [h], spacing per plane [h]); None: Walker


@dataclasses.dataclass(frozen=True)
class Builtin:
    total: int
    shells: tuple[Shell, ...]
    cites: tuple[str, ...]  # text the header must contain: the sources the values come from
    alt_band_km: tuple[float, float] | None = None  # published band every satellite must lie in
    incl_band_deg: tuple[float, float] | None = None  # published inclination band
    subtotals: tuple[tuple[str, int], ...] = ()  # (shell-name prefix, satellites) published split
    min_compute_w: float | None = None  # published power of the whole fleet's compute (lower bound)
    cluster: tuple[float, float, float] | None = None  # (radius [m], neighbour min, max [m])


BUILTINS = {
    # SpaceX FCC filings as used by Kassing et al. (Hypatia, IMC 2020); design/REFERENCES.md "Network
    # conventions": Starlink first shell 72 planes x 22 satellites, 550 km, 53 deg
    "starlink-shell1": Builtin(
        total=72 * 22,
        shells=(Shell("starlink-shell1", "walker", 1584, (550, 550), 550, 53.0, planes=72, per_plane=22),),
        cites=("SpaceX FCC filings", "Kassing et al."),
    ),
    # Amazon Kuiper FCC application as used by Kassing et al. 2020; design/REFERENCES.md: first shell
    # 34 planes x 34 satellites, 630 km, 51.9 deg
    "kuiper-630": Builtin(
        total=34 * 34,
        shells=(Shell("kuiper-630", "walker", 1156, (630, 630), 630, 51.9, planes=34, per_plane=34),),
        cites=("Amazon Kuiper FCC application", "Kassing et al."),
    ),
    # Sichuan gov. release / Science and Technology Daily (May 2025): 12 satellites in one plane; launch
    # reports: sun-synchronous. ASSUMPTION (header): 500 km, LTAN 10:30
    "three-body-12": Builtin(
        total=12,
        shells=(Shell("three-body", "sso", 12, (500, 500), 500, None, planes=1, per_plane=12, ltan=(10.5, 0.0)),),
        cites=("Sichuan provincial government release", "Zhejiang Lab / ADA Space", "sun-synchronous"),
    ),
    # SCIO summary (design/REFERENCES.md): 2,800 satellites = 2,400 inference + 400 training, 500-1,000 km,
    # dawn-dusk and other SSO plus low inclination. ASSUMPTION (header): the layout of each shell
    "star-compute-2800": Builtin(
        total=2_800,
        shells=(
            # ASSUMPTION: 8 dawn-dusk planes of 50, 900-970 km stacked 10 km apart, all at LTAN 18:00
            Shell("training-dawn-dusk", "sso", 400, (900, 970), 935, None, planes=8, per_plane=50, ltan=(18.0, 0.0)),
            # ASSUMPTION: 20 planes of 60 at 700 km, LTAN 10:30 + j x 1.2 h
            Shell("inference-sso", "sso", 1200, (700, 700), 700, None, planes=20, per_plane=60, ltan=(10.5, 1.2)),
            # ASSUMPTION: Walker delta 40 deg 1200/24/1 at 550 km
            Shell("inference-low-incl", "walker", 1200, (550, 550), 550, 40.0, planes=24, per_plane=50),
        ),
        cites=("State Council Information Office (SCIO)", "2,400 for inference", "400 for training"),
        alt_band_km=(500, 1000),  # SCIO: 500-1,000 km
        subtotals=(("inference", 2_400), ("training", 400)),  # SCIO: 2,400 inference + 400 training
    ),
    # Xinhua, 29 Nov 2025: dawn-dusk orbit 700-800 km, > 1 GW. ASSUMPTION (header): 10,000 satellites of
    # ~100 kW in one 750 km plane at LTAN 18:00
    "beijing-1gw": Builtin(
        total=10_000,
        shells=(Shell("dawn-dusk", "sso", 10_000, (750, 750), 750, None, planes=1, per_plane=10_000, ltan=(18.0, 0.0)),),
        cites=("Xinhua, 29 Nov 2025", "700-800 km", "1 GW"),
        alt_band_km=(700, 800),  # Xinhua: 700-800 km
        min_compute_w=1e9,  # Xinhua: more than 1 GW
    ),
    # Google Research blog (4 Nov 2025) and arXiv 2511.19468: 81 satellites, dawn-dusk SSO ~650 km, planar
    # cluster of 1 km radius, neighbours 100-200 m apart. ASSUMPTION (header): dawn-dusk = LTAN 18:00
    "suncatcher-81": Builtin(
        total=81,
        shells=(Shell("suncatcher", "cluster", 81, (650, 650), 650, None, ltan=(18.0, 0.0)),),
        cites=("Google Research blog", "arXiv:2511.19468", "81 satellites", "1 km radius", "100-200 m"),
        cluster=(1000.0, 100.0, 200.0),
    ),
    # CNBC, 10 Dec 2025: one satellite at ~325 km. ASSUMPTION (header): inclination 45 deg
    "starcloud-1": Builtin(
        total=1,
        shells=(Shell("starcloud-1", "walker", 1, (325, 325), 325, 45.0, planes=1, per_plane=1),),
        cites=("CNBC, 10 Dec 2025", "325 km"),
    ),
    # Blue Origin FCC filing, 19 Mar 2026: up to 51,600 satellites, SSO 500-1,800 km, 97-104 deg, planes
    # 5-10 km apart, 300-1,000 per plane. ASSUMPTION (header): two groups of 43 stacked planes x 600,
    # 10 km apart, LTAN 18:00 (500-920 km) and 10:30 (1,380-1,800 km)
    "sunrise-51600": Builtin(
        total=51_600,
        shells=(
            Shell("dawn-dusk", "sso", 25_800, (500, 920), 710, None, planes=43, per_plane=600, ltan=(18.0, 0.0)),
            Shell("mid-morning", "sso", 25_800, (1380, 1800), 1590, None, planes=43, per_plane=600, ltan=(10.5, 0.0)),
        ),
        cites=("Blue Origin, FCC filing, 19 Mar 2026", "51,600", "97-104 deg"),
        alt_band_km=(500, 1800),  # filing: 500-1,800 km
        incl_band_deg=(97, 104),  # filing: 97-104 deg
    ),
    # SpaceX FCC filing, 30 Jan 2026: up to 1,000,000 satellites, 500-2,000 km, 30 deg and SSO.
    # ASSUMPTION (header): four 30 deg Walker shells 100 x 1,250 at 520/800/1,100/1,400 km and an SSO
    # stack of 250 planes x 2,000 at 700 + 5 j km, LTAN 06:00 + j x 0.096 h
    "spacex-odc-1m": Builtin(
        total=1_000_000,
        shells=(
            Shell("incl30-520", "walker", 125_000, (520, 520), 520, 30.0, planes=100, per_plane=1250),
            Shell("incl30-800", "walker", 125_000, (800, 800), 800, 30.0, planes=100, per_plane=1250),
            Shell("incl30-1100", "walker", 125_000, (1100, 1100), 1100, 30.0, planes=100, per_plane=1250),
            Shell("incl30-1400", "walker", 125_000, (1400, 1400), 1400, 30.0, planes=100, per_plane=1250),
            Shell("sso-stack", "sso", 500_000, (700, 1945), 1322.5, None, planes=250, per_plane=2000,
                  ltan=(6.0, 24.0 / 250)),
        ),
        cites=("SpaceX, FCC filing, 30 Jan 2026", "1,000,000", "500-2,000 km", "30 deg"),
        alt_band_km=(500, 2000),  # filing: 500-2,000 km
    ),
}
EXPECTED = {name: b.total for name, b in BUILTINS.items()}
TOO_LARGE_TO_BUILD_HERE = {"sunrise-51600", "spacex-odc-1m"}  # for the per-satellite name check below


def _schema_count(name: str) -> int:
    sc = load_scenario(name).scenario
    assert not any(isinstance(s, TLEShell) for s in sc.constellation)
    return sum(s.count for s in sc.constellation)


def _header(name: str) -> str:
    lines = []
    for line in builtin_text(name).splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return " ".join(line.lstrip("#").strip() for line in lines)


def test_expected_names_exist():
    assert set(EXPECTED) <= set(builtin_names())
    assert builtin_names() == sorted(builtin_names())


def _check_cluster(fleet, sl, radius_m, nn_min_m, nn_max_m):
    """Member positions at the epoch from SGP4 (python-sgp4 directly, not orbitcloud.ephemeris)."""
    from sgp4.api import WGS72, Satrec, SatrecArray

    sats = []
    for i in range(sl.start, sl.stop):
        s = Satrec()
        s.sgp4init(WGS72, "i", i + 1, fleet.epoch_jd[i] - 2_433_281.5 + fleet.epoch_fr[i], 0.0, 0.0, 0.0,
                   fleet.ecco[i], fleet.argpo_rad[i], fleet.inclo_rad[i], fleet.mo_rad[i],
                   fleet.no_kozai_rad_min[i], fleet.nodeo_rad[i])
        sats.append(s)
    err, r_km, _ = SatrecArray(sats).sgp4(fleet.epoch_jd[sl.start : sl.start + 1], fleet.epoch_fr[sl.start : sl.start + 1])
    assert not err.any()
    r_m = r_km[:, 0, :] * 1e3
    assert np.linalg.norm(r_m - r_m.mean(axis=0), axis=1).max() <= radius_m  # source: 1 km radius
    dist = np.linalg.norm(r_m[:, None, :] - r_m[None, :, :], axis=2)
    np.fill_diagonal(dist, np.inf)
    nearest = dist.min(axis=1)
    # source: neighbours 100-200 m apart; 5 %: the first-order relative-orbit mapping of the lattice and
    # SGP4's short-period terms move members by a few metres (96.8-100.1 m at this epoch)
    assert nn_min_m * 0.95 <= nearest.min() and nearest.max() <= nn_max_m * 1.05, (nearest.min(), nearest.max())


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_loads(name):
    loaded = load_scenario(name)
    assert loaded.label == f"builtin:{name}"
    assert loaded.scenario.name == name
    assert loaded.scenario.duration > 0 and loaded.scenario.step > 0
    assert loaded.text == builtin_text(name)
    assert name in BUILTINS, f"built-in {name!r} has no entry in BUILTINS: add its orbits with their sources"
    want = BUILTINS[name]
    header = _header(name)
    for cite in want.cites:
        assert cite in header, f"{name}: header does not cite {cite!r}"

    fleet = build_fleet(loaded)
    assert len(fleet) == want.total
    assert [(s.name, s.kind, s.count) for s in fleet.shells] == [(s.name, s.kind, s.count) for s in want.shells]
    alt = mean_altitude_km(fleet)
    incl = np.degrees(fleet.inclo_rad)
    jd = fleet.epoch_jd + fleet.epoch_fr
    for info, shell in zip(fleet.shells, want.shells):
        sl = slice(info.start, info.stop)
        a = alt[sl]
        assert a.mean() == pytest.approx(shell.mean_alt_km, abs=ALT_TOL_KM), shell.name
        assert a.min() == pytest.approx(shell.alt_km[0], abs=ALT_TOL_KM), shell.name
        assert a.max() == pytest.approx(shell.alt_km[1], abs=ALT_TOL_KM), shell.name
        if shell.incl_deg is None:
            np.testing.assert_allclose(incl[sl], sso_inclination_deg(a), atol=SSO_TOL_DEG, err_msg=shell.name)
        else:
            np.testing.assert_allclose(incl[sl], shell.incl_deg, atol=1e-9, err_msg=shell.name)
        local = np.arange(info.count)
        if shell.planes is not None:
            # a plane: same node and same altitude (stacked SSO planes share the node)
            key = np.stack([np.round(fleet.nodeo_rad[sl], 6), np.round(a, 3)], axis=1)
            _, plane_of, per_plane = np.unique(key, axis=0, return_inverse=True, return_counts=True)
            assert len(per_plane) == shell.planes, shell.name
            assert (per_plane == shell.per_plane).all(), shell.name
            # satellites are listed plane by plane (plane j = local index // per_plane, used for the LTAN)
            blocks = plane_of.ravel().reshape(shell.planes, shell.per_plane)
            assert (blocks == blocks[:, :1]).all() and len(set(blocks[:, 0])) == shell.planes, shell.name
        if shell.ltan is not None:
            first, spacing = shell.ltan
            j = local // shell.per_plane if shell.per_plane else np.zeros_like(local)
            diff = np.mod(ltan_h(fleet.nodeo_rad[sl], jd[sl]) - (first + spacing * j) + 12.0, 24.0) - 12.0
            assert np.abs(diff).max() <= LTAN_TOL_H, (shell.name, np.abs(diff).max())
        if want.cluster is not None:
            _check_cluster(fleet, sl, *want.cluster)
    if want.alt_band_km is not None:
        assert want.alt_band_km[0] <= alt.min() and alt.max() <= want.alt_band_km[1]
    if want.incl_band_deg is not None:
        assert want.incl_band_deg[0] <= incl.min() and incl.max() <= want.incl_band_deg[1]
    for prefix, count in want.subtotals:
        assert sum(s.count for s in fleet.shells if s.name.startswith(prefix)) == count, prefix
    if want.min_compute_w is not None:
        shells = loaded.scenario.constellation
        total_w = sum(s.count * resolve(s.hardware).compute_w for s in shells if s.hardware is not None)
        assert total_w > want.min_compute_w


def test_the_table_has_no_stale_entries():
    assert set(BUILTINS) == set(builtin_names())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_builtin_count_from_schema(name):
    assert _schema_count(name) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - TOO_LARGE_TO_BUILD_HERE))
def test_builtin_count_from_fleet(name):
    fleet = build_fleet(load_scenario(name))
    assert len(fleet) == EXPECTED[name]
    assert sum(s.count for s in fleet.shells) == EXPECTED[name]
    for arr in ("no_kozai_rad_min", "ecco", "inclo_rad", "nodeo_rad", "argpo_rad", "mo_rad"):
        assert np.isfinite(getattr(fleet, arr)).all(), arr
    names = fleet.names()
    assert len(set(names)) == len(names), "satellite names must be unique"


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_header_mentions_source(name):
    text = builtin_text(name)
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    assert text.startswith("#"), f"{name}: no comment header"
    assert len(header) >= 3, f"{name}: header too short"
    assert re.search(r"\bsources?\b", "\n".join(header), re.IGNORECASE), f"{name}: header names no source"
    assert re.search(r"assum", "\n".join(header), re.IGNORECASE), f"{name}: header states no assumptions"


def test_scenarios_command_lists_names_and_counts(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["scenarios"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    for name in builtin_names():
        rows = [line for line in out.splitlines() if re.search(rf"(^|[^\w-]){re.escape(name)}([^\w-]|$)", line)]
        assert rows, f"{name} not listed:\n{out}"
        count = f"{_schema_count(name):,}"
        assert any(re.search(rf"(^|\s){re.escape(count)}(\s|$)", row) for row in rows), (name, count, rows)


# --------------------------------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("90s", 90.0),
        ("90 s", 90.0),
        ("90sec", 90.0),
        ("15min", 900.0),
        ("15MIN", 900.0),
        ("6h", 21_600.0),
        ("1.5h", 5_400.0),
        ("1d", 86_400.0),
        ("365d", 365 * 86_400.0),
        ("2w", 1_209_600.0),
        ("90", 90.0),
        ("0.5", 0.5),
        ("1e3", 1_000.0),
        (90, 90.0),
        (0.25, 0.25),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration_s(text) == seconds


@pytest.mark.parametrize(
    "text, needle",
    [
        ("3m", "'min'"),
        ("abc", "not a duration"),
        ("-", "not a duration"),
        ("", "not a duration"),
        ("1h30min", "not a duration"),
        ("5y", "unknown unit"),
        ("1e400", "finite"),
        (math.nan, "finite"),
        (math.inf, "finite"),
        (True, "not a duration"),
        (None, "not a duration"),
        ([1], "not a duration"),
    ],
)
def test_parse_duration_errors(text, needle):
    with pytest.raises(ValueError) as info:
        parse_duration_s(text)
    assert needle in str(info.value)


# --------------------------------------------------------------------------------------------------
# The documented example, with a TLE shell
# --------------------------------------------------------------------------------------------------

# From sgp4's SGP4-VER.TLE ("DELTA 1 DEB"), line 2 trimmed to 69 columns.

EXAMPLE = """\
name: my-fleet
description: "Two Walker shells for a network test"
epoch: 2026-03-20T00:00:00Z
duration: 1d
step: 60s
seed: 1
constellation:
  - kind: walker
    name: shell-a
    altitude_km: 550
    inclination_deg: 53
    planes: 72
    sats_per_plane: 22
    phasing: 1
  - kind: sso
    name: dawn-dusk
    altitude_km: 650
    ltan: "18:00"
    sats_per_plane: 40
  - kind: tle
    name: tracked
    path: data/two.tle
"""


def test_example_with_tle_shell(tmp_path, monkeypatch):
    (tmp_path / "scenarios" / "data").mkdir(parents=True)
    tle = tmp_path / "scenarios" / "data" / "two.tle"
    tle.write_text(f"ISS (ZARYA)\n{ISS_L1}\n{ISS_L2}\n\n{DEB_L1}\n{DEB_L2}\n", "ascii")
    path = tmp_path / "scenarios" / "example.yaml"
    path.write_text(EXAMPLE, "utf-8")
    # run from elsewhere: the TLE path must resolve against the scenario file's directory
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    loaded = load_scenario(path)
    sc = loaded.scenario
    assert sc.name == "my-fleet" and sc.duration == 86_400.0 and sc.step == 60.0 and sc.seed == 1
    assert [s.kind for s in sc.constellation] == ["walker", "sso", "tle"]
    assert loaded.resolve("data/two.tle") == tle.resolve()

    fleet = build_fleet(loaded)
    assert len(fleet) == 1584 + 40 + 2
    assert [(s.name, s.count) for s in fleet.shells] == [("shell-a", 1584), ("dawn-dusk", 40), ("tracked", 2)]
    tle_info = fleet.shells[2]
    assert fleet.name(tle_info.start) == "ISS (ZARYA)"
    assert fleet.name(tle_info.start + 1) == "tracked-0001"  # a 2LE set has no name line
    assert fleet.satnum[tle_info.start : tle_info.stop].tolist() == [25544, 6251]
    assert fleet.tle_line1[tle_info.start] == ISS_L1 and fleet.tle_line2[tle_info.start + 1] == DEB_L2
    np.testing.assert_allclose(np.degrees(fleet.inclo_rad[tle_info.start : tle_info.stop]), [51.6439, 58.0579])
    # designed satellites carry no TLE text
    assert fleet.tle_line1[0] == ""


def test_relative_tle_path_does_not_resolve_against_cwd(tmp_path, monkeypatch):
    """The same relative path that exists beside the scenario is missing when looked up from the cwd."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.tle").write_text(f"{ISS_L1}\n{ISS_L2}\n", "ascii")
    path = tmp_path / "a" / "s.yaml"
    path.write_text(EXAMPLE.replace("data/two.tle", "two.tle"), "utf-8")
    monkeypatch.chdir(tmp_path / "b")
    with pytest.raises(ScenarioError, match=re.escape(str((tmp_path / "a" / "two.tle").resolve()))):
        build_fleet(load_scenario(path))
    shutil.copy(tmp_path / "b" / "two.tle", tmp_path / "a" / "two.tle")
    assert len(build_fleet(load_scenario(path))) == 1584 + 40 + 1
