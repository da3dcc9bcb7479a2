"""Station sets shipped with the package (``builtin:NAME``; docs/ground.md, "Shipped station sets").

* ``cities-top100.csv`` is the shared file byte for byte (where ``../shared/data`` exists) and
  otherwise loads 100 cities at sane coordinates;
* every entry of ``ground_stations.yaml`` has a source, valid coordinates, a unique id and name,
  and belongs to the sets its docs list;
* scenarios reference them as ``ground.stations: builtin:NAME``, ``orbitcloud net`` as
  ``--stations builtin:NAME``; unknown names are refused with the known ones;
* ``orbitcloud net kuiper-630 --pair Manila,Dalian --duration 20s --step 100ms`` runs on a fresh
  install (no files beside the package).
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import yaml

from orbitcloud import catalog
from orbitcloud.cli import main
from orbitcloud.errors import ScenarioError
from orbitcloud.network import ground as G
from orbitcloud.network.simulate import load_stations
from orbitcloud.scenario import builtin_names, builtin_text, load_scenario
from orbitcloud.scenario.schema import Ground

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_CSV = ROOT / "src" / "orbitcloud" / "catalog" / "cities-top100.csv"


# ---- cities-top100 ---------------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_package_csv_is_the_shared_file_byte_for_byte(shared_data):
    shared = shared_data / "ground_stations" / "cities-top100.csv"
    assert catalog.cities_csv().read_bytes() == shared.read_bytes()
    assert PACKAGE_CSV.read_bytes() == shared.read_bytes()


def test_cities_load_100_with_sane_coordinates():
    st = G.builtin_stations("cities-top100")
    assert len(st) == 100 and st.source == "builtin:cities-top100"
    assert st.ids.tolist() == list(range(100))
    assert len({n.casefold() for n in st.names}) == 100
    lat, lon = np.degrees(st.lat_rad), np.degrees(st.lon_rad)
    assert np.all(np.abs(lat) < 60.0)  # the 100 largest cities lie between 35 S and 60 N
    assert np.all((lon >= -180.0) & (lon < 180.0))
    assert np.all(st.alt_m == 0.0)
    # spot checks against the file's first row and the Hypatia pair (typed in from the CSV)
    assert st.names[0] == "Tokyo" and lat[0] == pytest.approx(35.6895) and lon[0] == pytest.approx(139.69171)
    manila, dalian = st.find(["Manila", "Dalian"])
    assert (lat[manila], lon[manila]) == pytest.approx((14.6042, 120.9822))
    assert (lat[dalian], lon[dalian]) == pytest.approx((38.913811, 121.602322))
    # the file's format: no header, 5 columns, one station per line, UTF-8
    lines = catalog.cities_csv().read_text("utf-8").splitlines()
    assert len(lines) == 100 and all(len(line.split(",")) == 5 for line in lines)


def test_cities_provenance_sidecar_names_source_and_licence():
    text = resources.files("orbitcloud.catalog").joinpath("cities-top100.SOURCE.md").read_text("utf-8")
    for needle in ("Hypatia", "IMC 2020", "MIT", "snkas/hypatia", "world-cities"):
        assert needle in text


def test_package_data_globs_cover_the_station_files():
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["orbitcloud"]
    pkg = ROOT / "src" / "orbitcloud"
    shipped = {p.relative_to(pkg).as_posix() for g in globs for p in pkg.glob(g)}
    for name in ("catalog/cities-top100.csv", "catalog/cities-top100.SOURCE.md", "catalog/ground_stations.yaml"):
        assert name in shipped


# ---- ground_stations.yaml --------------------------------------------------------------------------------


def _sites() -> dict:
    return yaml.safe_load(resources.files("orbitcloud.catalog").joinpath("ground_stations.yaml").read_text("utf-8"))


def test_every_site_has_a_source_and_valid_coordinates():
    sites = _sites()
    assert len(sites) >= 12
    ids, names = set(), set()
    for key, site in sites.items():
        assert set(site) >= {"id", "name", "lat_deg", "lon_deg", "elevation_m", "operator", "sets", "source"}, key
        assert isinstance(site["source"], str) and len(site["source"]) > 40, key
        for f in ("lat_deg", "lon_deg", "elevation_m"):
            assert isinstance(site[f], (int, float)) and not isinstance(site[f], bool) and math.isfinite(site[f]), key
        assert -90.0 <= site["lat_deg"] <= 90.0 and -180.0 <= site["lon_deg"] < 180.0, key
        assert -100.0 <= site["elevation_m"] <= 5000.0, key
        # a height is either in the source (it names metres) or marked as assumed 0 m
        if site["elevation_m"]:
            assert re.search(r"\d m\b|metres|\d m above", site["source"]), key
        else:
            assert "ASSUMPTION" in site["source"] and "0 m" in site["source"], key
        assert site["id"] not in ids and site["name"].casefold() not in names, key
        ids.add(site["id"])
        names.add(site["name"].casefold())
        assert site["sets"] and all(isinstance(s, str) for s in site["sets"]), key


def test_aws_sites_say_their_coordinates_are_assumed():
    # AWS publishes place names, not antenna coordinates
    for site in _sites().values():
        if "aws" in site["sets"]:
            assert site["operator"] == "AWS Ground Station"
            assert "ASSUMPTION" in site["source"] and "AWS Ground Station Locations" in site["source"]


def test_named_sets():
    sets = G.builtin_station_sets()
    assert list(sets)[:2] == ["builtin:cities-top100", "builtin:ground-stations"]
    for name in ("builtin:ksat", "builtin:ssc", "builtin:aws", "builtin:china-rsgs", "builtin:china"):
        assert name in sets
    assert G.builtin_stations("ksat").names == ["SvalSat", "TrollSat", "Tromso"]
    assert G.builtin_stations("china-rsgs").names == ["Miyun", "Kashgar", "Sanya"]
    every = G.builtin_stations("builtin:ground-stations")
    assert len(every) == len(_sites()) and every.source == "builtin:ground-stations"
    subsets = [G.builtin_stations(n[len("builtin:"):]) for n in sets if n not in ("builtin:cities-top100", "builtin:ground-stations")]
    assert {name for st in subsets for name in st.names} == set(every.names)


def test_svalsat_and_troll_where_the_sources_put_them():
    st = G.builtin_stations("ksat")
    lat, lon = np.degrees(st.lat_rad), np.degrees(st.lon_rad)
    i, j = st.find(["SvalSat", "TrollSat"])
    assert (lat[i], lon[i]) == pytest.approx((78.23, 15.41), abs=0.01)  # 78°13′47″N 15°24′28″E
    assert (lat[j], lon[j]) == pytest.approx((-72.0, 2.5), abs=0.05)  # 72°01′S 2°32′E
    assert st.alt_m[j] == 1270.0


def test_china_rsgs_equals_the_three_body_12_stations():
    sc = load_scenario("three-body-12").scenario
    inline = {s.name: (s.lat_deg, s.lon_deg) for s in sc.ground.stations}
    st = G.builtin_stations("china-rsgs")
    got = dict(zip(st.names, zip(np.degrees(st.lat_rad), np.degrees(st.lon_rad))))
    assert set(got) == set(inline)
    for name, (la, lo) in inline.items():
        assert got[name] == pytest.approx((la, lo), abs=1e-9)


# ---- referencing them -------------------------------------------------------------------------------------

SCENARIO = """\
name: builtin-stations
epoch: 2026-03-20T00:00:00Z
duration: 10min
step: 60s
constellation:
  - kind: walker
    altitude_km: 550
    inclination_deg: 53
    planes: 4
    sats_per_plane: 4
ground:
  stations: {stations}
  min_elevation_deg: 10
"""


def _scenario(tmp_path: Path, stations: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(stations=stations))
    return path


@pytest.mark.parametrize(
    "spec, n", [("builtin:cities-top100", 100), ("builtin:ground-stations", 16), ("builtin:KSAT", 3), (" builtin: aws ", 6)],
)
def test_scenario_references_builtin_sets(tmp_path, spec, n):
    loaded = load_scenario(_scenario(tmp_path, repr(spec)))
    assert loaded.scenario.ground.stations == "builtin:" + spec.strip()[len("builtin:"):].strip().lower()
    st = load_stations(loaded)
    assert len(st) == n
    seg = G.ground_from_config(loaded.scenario.ground, base_dir=tmp_path)
    assert seg.stations.names == st.names and seg.min_elevation_deg == 10


def test_unknown_builtin_set_is_refused_with_the_known_names(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(_scenario(tmp_path, "builtin:kast"))
    msg = str(info.value)
    assert "s.yaml:12" in msg and "ground.stations" in msg and "'builtin:kast'" in msg
    for name in ("builtin:cities-top100", "builtin:ground-stations", "builtin:ksat"):
        assert name in msg
    with pytest.raises(ScenarioError, match=r"did you mean 'builtin:ksat'"):
        G.stations_from_spec("builtin:kast")
    with pytest.raises(ScenarioError, match="unknown built-in station set"):
        G.builtin_stations("nope")
    with pytest.raises(ValueError, match="unknown built-in station set"):
        Ground(stations="builtin:")


def test_a_csv_path_still_works(tmp_path):
    (tmp_path / "gs.csv").write_text("0,Here,10,20,0\n1,There,-10,30,5\n")
    loaded = load_scenario(_scenario(tmp_path, "gs.csv"))
    assert load_stations(loaded).names == ["Here", "There"]


def test_unknown_station_name_points_at_the_set():
    st = G.builtin_stations("cities-top100")
    with pytest.raises(ScenarioError, match=r"builtin:cities-top100: unknown ground station 'Manla'.*'Manila'"):
        st.find(["Manla"])


# ---- orbitcloud net on a fresh install --------------------------------------------------------------------


def test_net_kuiper_manila_dalian_100ms(capsys):
    code = main(["net", "kuiper-630", "--pair", "Manila,Dalian", "--duration", "20s", "--step", "100ms", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    s = json.loads(out)
    assert s["scenario"] == "kuiper-630" and s["satellites"] == 1156 and s["stations"] == 100
    assert s["step_s"] == 0.1 and s["duration_s"] == 20.0 and s["steps"] == 200
    (pair,) = s["pairs"]
    assert (pair["src"], pair["dst"]) == ("Manila", "Dalian")
    assert 0.0 <= pair["reachable_fraction"] <= 1.0


def test_net_stations_override_builtin(tmp_path, capsys):
    path = _scenario(tmp_path, "builtin:cities-top100")
    code = main(["net", str(path), "--stations", "builtin:ksat", "--pair", "SvalSat,Tromso", "--duration", "2min", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    s = json.loads(out)
    assert s["stations"] == 3 and s["pairs"][0]["src"] == "SvalSat"


def test_every_builtin_with_a_network_has_ground():
    for name in builtin_names():
        doc = yaml.safe_load(builtin_text(name))
        if "network" in doc or name in ("kuiper-630", "starlink-shell1"):
            assert "ground" in doc, name
            stations = doc["ground"]["stations"]
            if isinstance(stations, str) and stations.startswith("builtin:"):
                assert stations in G.builtin_station_sets(), name
    for name, mask in (("kuiper-630", 30), ("starlink-shell1", 25)):  # Hypatia's masks
        g = load_scenario(name).scenario.ground
        assert g.stations == "builtin:cities-top100" and g.min_elevation_deg == mask
        assert "builtin:cities-top100" in builtin_text(name).split("name:")[0]  # explained in the header
