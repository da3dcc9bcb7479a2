"""The TT&C ground network as data (``orbitcloud.network.ttc_ground``, ``catalog/ttc_networks.yaml``).

* every built-in station set builds, with the catalog's values (SvalSat 100 antennas, AWS X-band ...)
  and the same values for a site in ``ground-stations`` as in its operator's set;
* the catalog has an entry with a source for every set, and its ``sites`` name real stations;
* CSV (header row) and YAML files and inline records, with the precedence record > keyword >
  catalog site > catalog set > default;
* every bad input is one line naming the file and line or key path, the value and what was expected.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from orbitcloud import catalog
from orbitcloud.errors import ScenarioError
from orbitcloud.network.stations import builtin_station_sets, builtin_stations
from orbitcloud.network.ttc_ground import (
    STATION_COLUMNS,
    GroundNetwork,
    ground_network,
    ttc_defaults,
)

# ---- built-in sets and the catalog ----------------------------------------------------------------------


@pytest.mark.parametrize("spec", sorted(builtin_station_sets()))
def test_every_builtin_set_builds(spec):
    net = ground_network(spec)
    st = builtin_stations(spec)
    assert isinstance(net, GroundNetwork) and len(net) == len(st) > 0
    assert net.names == st.names and net.source == spec
    assert net.antennas.dtype == np.int64 and (net.antennas >= 1).all() and (net.antennas <= 1000).all()
    assert ((net.min_elevation_deg >= -5) & (net.min_elevation_deg <= 90)).all()
    for rate in (net.uplink_bps, net.downlink_bps):
        assert rate.dtype == np.float64 and ((rate > 0) & (rate <= 1e12)).all()


def test_catalog_values_of_the_sets():
    ksat = ground_network("builtin:ksat")
    assert dict(zip(ksat.names, ksat.antennas.tolist())) == {"SvalSat": 100, "TrollSat": 2, "Tromso": 30}
    aws = ground_network("builtin:aws")
    assert (aws.antennas == 2).all()
    down = dict(zip(aws.names, aws.downlink_bps.tolist()))
    assert down.pop("AWS Punta Arenas 1") == 5e7 and set(down.values()) == {8e8}  # no wideband X there
    rsgs = ground_network("builtin:china-rsgs")
    assert (rsgs.downlink_bps == 9e8).all() and dict(zip(rsgs.names, rsgs.antennas.tolist()))["Sanya"] == 5
    cities = ground_network("builtin:cities-top100")
    assert (cities.min_elevation_deg == 25.0).all() and (cities.antennas == 1).all()
    d = ttc_defaults()["default"]
    assert (d["antennas"], d["min_elevation_deg"], d["uplink_bps"], d["downlink_bps"]) == (1, 5.0, 64000.0, 2e6)


def test_ground_stations_set_uses_each_sites_operator_values():
    every = ground_network("builtin:ground-stations")
    for name in ("ksat", "ssc", "aws", "china-rsgs", "china"):
        part = ground_network(f"builtin:{name}")
        idx = every.stations.find(part.names)
        primary = [catalog.ground_station_sites()[k]["sets"][0] == name for k in catalog.station_sets()[name]]
        for key in ("antennas", "min_elevation_deg", "uplink_bps", "downlink_bps"):
            np.testing.assert_array_equal(getattr(every, key)[idx][primary], getattr(part, key)[primary])
    assert every.antennas[every.stations.index("Espacio Lejano")] == 1


def test_catalog_covers_every_set_with_sources():
    data = ttc_defaults()
    sets = [k.removeprefix("builtin:") for k in builtin_station_sets()]
    assert set(data) == {"default", *sets}
    for name, entry in data.items():
        assert len(entry["source"]) > 40, name
        for site, values in (entry.get("sites") or {}).items():
            assert len(values["source"]) > 40, (name, site)
            builtin_stations(name).index(site)  # a station of that set (raises otherwise)
    text = (Path(catalog.__file__).parent / "ttc_networks.yaml").read_text("utf-8")
    assert text.count("ASSUMPTION:") >= 10  # unpublished numbers are labelled


def test_subset():
    net = ground_network("builtin:ksat")
    sub = net.subset([2, 0])
    assert sub.names == ["Tromso", "SvalSat"] and sub.antennas.tolist() == [30, 100] and len(sub) == 2


# ---- files and records, precedence ----------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_csv_with_overrides_and_precedence(tmp_path):
    _write(tmp_path, "gs.csv", "# my stations\nname,lat_deg,lon_deg,antennas,uplink_bps,elevation_m\n"
                               "Alpha,10,20,3,,100\n\nBeta,-10,200.5,,128000,\n")
    net = ground_network("gs.csv", base_dir=tmp_path, antennas=2, uplink_bps=1e5, downlink_bps=5e6)
    assert net.names == ["Alpha", "Beta"] and net.source == "gs.csv"
    assert net.antennas.tolist() == [3, 2]  # record, keyword
    assert net.uplink_bps.tolist() == [1e5, 128000.0]  # keyword, record
    assert net.downlink_bps.tolist() == [5e6, 5e6]  # keyword
    assert net.min_elevation_deg.tolist() == [5.0, 5.0]  # catalog default
    assert net.stations.alt_m.tolist() == [100.0, 0.0]
    np.testing.assert_allclose(np.degrees(net.stations.lon_rad), [20.0, 200.5 - 360.0])
    assert net.stations.ids.tolist() == [0, 1]


def test_keyword_beats_the_catalog_and_takes_per_station_values():
    assert ground_network("builtin:ksat", antennas=5).antennas.tolist() == [5, 5, 5]
    net = ground_network("builtin:ksat", antennas=[None, 7, None], min_elevation_deg=np.array([1.0, 2.0, 3.0]))
    assert net.antennas.tolist() == [100, 7, 30] and net.min_elevation_deg.tolist() == [1.0, 2.0, 3.0]


def test_yaml_list_and_mapping(tmp_path):
    _write(tmp_path, "a.yaml", "- {name: A, lat_deg: 1, lon_deg: 2, antennas: 4, downlink_bps: 1.5e+8}\n"
                               "- {name: B, lat_deg: 3, lon_deg: 4, min_elevation_deg: 10, uplink_bps: '2e3'}\n")
    _write(tmp_path, "b.yml", "stations:\n  - {id: 7, name: A, lat_deg: 1, lon_deg: 2, elevation_m: 50}\n")
    a = ground_network(tmp_path / "a.yaml", uplink_bps=9e3)
    assert a.antennas.tolist() == [4, 1] and a.downlink_bps.tolist() == [1.5e8, 2e6]
    assert a.min_elevation_deg.tolist() == [5.0, 10.0] and a.uplink_bps.tolist() == [9e3, 2e3]
    b = ground_network("b.yml", base_dir=tmp_path)
    assert b.stations.ids.tolist() == [7] and b.stations.alt_m.tolist() == [50.0] and b.antennas.tolist() == [1]


def test_records_and_headerless_station_file(tmp_path):
    net = ground_network([{"name": "X", "lat_deg": 0, "lon_deg": 0, "antennas": 2}, {"name": "Y", "lat_deg": 1, "lon_deg": 1}],
                         antennas=9)
    assert net.antennas.tolist() == [2, 9] and net.source == "ttc.stations"
    _write(tmp_path, "cities.csv", "0,Tokyo,35.6895,139.6917,0\n1,Delhi,28.6667,77.2167,0\n")
    old = ground_network(tmp_path / "cities.csv", downlink_bps=3e6)
    assert old.names == ["Tokyo", "Delhi"] and old.downlink_bps.tolist() == [3e6, 3e6]


# ---- bad input: one line naming the place, the value and what was expected ------------------------------

HEAD = "name,lat_deg,lon_deg,antennas,min_elevation_deg,uplink_bps,downlink_bps\n"
CSV_CASES = [
    ("name,lat_deg,lon_deg,antenas\nA,1,2,3\n", r"^bad\.csv:1: antenas: unknown column; did you mean 'antennas'\?"),
    ("name,lat,lon_deg\nA,1,2\n", r"^bad\.csv:1: lat: unknown column; did you mean 'lat_deg'\?"),
    ("name,lon_deg\nA,1\n", r"^bad\.csv:1: missing column 'lat_deg'"),
    ("name,lat_deg,lon_deg,name\nA,1,2,B\n", r"^bad\.csv:1: column 'name' appears twice"),
    ("1.5,2,3\n", r"^bad\.csv:1: expected a header row"),
    ("", r"^bad\.csv:1: no header row and no stations"),
    (HEAD, r"^bad\.csv:1: no ground stations after the header"),
    (HEAD + "A,1,2,0,5,1,1\n", r"^bad\.csv:2: antennas: must be an integer in \[1, 1000\].*\(got '0'\)$"),
    (HEAD + "A,1,2,2.5,5,1,1\n", r"^bad\.csv:2: antennas: must be an integer.*\(got '2\.5'\)$"),
    (HEAD + "A,1,2,1001,5,1,1\n", r"^bad\.csv:2: antennas: .*\(got '1001'\)$"),
    (HEAD + "A,1,2,1,91,1,1\n", r"^bad\.csv:2: min_elevation_deg: must be in \[-5, 90\] degrees \(got '91'\)$"),
    (HEAD + "A,1,2,1,-6,1,1\n", r"^bad\.csv:2: min_elevation_deg: .*\(got '-6'\)$"),
    (HEAD + "A,1,2,1,5,0,1\n", r"^bad\.csv:2: uplink_bps: must be a rate in \(0, 1e12\] bit/s \(got '0'\)$"),
    (HEAD + "A,1,2,1,5,1,2e12\n", r"^bad\.csv:2: downlink_bps: must be a rate .*\(got '2e12'\)$"),
    (HEAD + "A,1,2,1,5,fast,1\n", r"^bad\.csv:2: uplink_bps: must be a finite number \(got 'fast'\)$"),
    (HEAD + "A,1,2,1,5,nan,1\n", r"^bad\.csv:2: uplink_bps: must be a finite number \(got 'nan'\)$"),
    (HEAD + "A,95,2,1,5,1,1\n", r"^bad\.csv:2: lat_deg: must be in \[-90, 90\] degrees \(got '95'\)$"),
    (HEAD + "A,1,400,1,5,1,1\n", r"^bad\.csv:2: lon_deg: must be in \[-180, 360\) degrees \(got '400'\)$"),
    (HEAD + "A,1,2,1,5,1,1\n\na ,3,4,1,5,1,1\n", r"^bad\.csv:4: name: duplicate station name .*first at line 2 \(got 'a'\)$"),
    (HEAD + "A,1,2\n", r"^bad\.csv:2: expected 7 columns .*found 3"),
    (HEAD + ",1,2,1,5,1,1\n", r"^bad\.csv:2: name: missing"),
]


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and msg.strip() == msg
    return msg


@pytest.mark.parametrize("text,pattern", CSV_CASES)
def test_bad_csv(tmp_path, text, pattern):
    _write(tmp_path, "bad.csv", text)
    with pytest.raises(ScenarioError) as exc:
        ground_network("bad.csv", base_dir=tmp_path)
    assert re.search(pattern, _one_line(exc)), str(exc.value)


YAML_CASES = [
    ("stations:\n  - {name: A, lat_deg: 1, lon_deg: 2}\n  - {name: B, lat_deg: 1, lon_deg: 2, uplink_bps: -5}\n",
     r"^bad\.yaml: stations\[1\]\.uplink_bps: must be a rate in \(0, 1e12\] bit/s \(got '-5'\)$"),
    ("stations:\n  - {name: A, lat_deg: 1, lon_deg: 2, downlink_kbps: 5}\n",
     r"^bad\.yaml: stations\[0\]\.downlink_kbps: unknown key; did you mean 'downlink_bps'\?"),
    ("station:\n  - {name: A, lat_deg: 1, lon_deg: 2}\n", r"^bad\.yaml: station: unknown top-level key; did you mean 'stations'\?"),
    ("- {lat_deg: 1, lon_deg: 2}\n", r"^bad\.yaml: \[0\]\.name: missing"),
    ("- {name: A, lat_deg: 1, lon_deg: 2, antennas: true}\n", r"^bad\.yaml: \[0\]\.antennas: must be a finite number \(got 'True'\)$"),
    ("- {name: A, lat_deg: 1, lon_deg: 2, antennas: 3.5}\n", r"^bad\.yaml: \[0\]\.antennas: must be an integer .*\(got '3\.5'\)$"),
    ("- {name: A, lat_deg: 1, lon_deg: 2, min_elevation_deg: high}\n", r"^bad\.yaml: \[0\]\.min_elevation_deg: must be a finite number \(got 'high'\)$"),
    ("- {name: A, lat_deg: 1, lon_deg: 2}\n- {name: A, lat_deg: 1, lon_deg: 2}\n", r"^bad\.yaml: \[1\]\.name: duplicate station name"),
    ("- {id: 1, name: A, lat_deg: 1, lon_deg: 2}\n- {id: 1, name: B, lat_deg: 1, lon_deg: 2}\n", r"^bad\.yaml: \[1\]\.id: duplicate station id"),
    ("stations:\n  - [1, 2]\n", r"^bad\.yaml: stations\[0\]: a station must be a mapping"),
    ("stations: {name: A}\n", r"^bad\.yaml: stations: expected a list of station records"),
    ("stations: []\n", r"^bad\.yaml: stations: no ground stations"),
    ("stations:\n  - {name: A, lat_deg: 1\n", r"^bad\.yaml:\d+: not valid YAML"),
]


@pytest.mark.parametrize("text,pattern", YAML_CASES)
def test_bad_yaml(tmp_path, text, pattern):
    _write(tmp_path, "bad.yaml", text)
    with pytest.raises(ScenarioError) as exc:
        ground_network("bad.yaml", base_dir=tmp_path)
    assert re.search(pattern, _one_line(exc)), str(exc.value)


@pytest.mark.parametrize("call,pattern", [
    (lambda: ground_network("builtin:ksta"), r"^ttc\.stations: unknown built-in station set 'builtin:ksta'; known: builtin:cities-top100, .*did you mean 'builtin:ksat'\?"),
    (lambda: ground_network("stations.txt"), r"^ttc\.stations: expected builtin:NAME, a \.csv or a \.yaml/\.yml station file \(got 'stations\.txt'\)$"),
    (lambda: ground_network("nowhere.csv", base_dir="/nonexistent"), r"^nowhere\.csv: ground station file not found"),
    (lambda: ground_network([]), r"^ttc\.stations: no ground stations"),
    (lambda: ground_network([{"name": "A", "lat_deg": 1, "lon_deg": 2, "antenna": 2}], label="ttc.stations"),
     r"^ttc\.stations\[0\]\.antenna: unknown key; did you mean 'antennas'\?"),
    (lambda: ground_network([{"name": "A", "lat_deg": 1, "lon_deg": 2}], antennas=0), r"^ttc\.stations: keyword antennas: must be an integer.*\(got '0'\)$"),
    (lambda: ground_network("builtin:ksat", uplink_bps=[1e3, -1, 1e3]), r"^ttc\.stations: keyword uplink_bps\[1\]: must be a rate .*\(got '-1'\)$"),
    (lambda: ground_network("builtin:ksat", downlink_bps=[1e3, 1e3]), r"^ttc\.stations: keyword downlink_bps: expected a scalar or 3 values"),
])
def test_bad_arguments(call, pattern):
    with pytest.raises(ScenarioError) as exc:
        call()
    assert re.search(pattern, _one_line(exc)), str(exc.value)


def test_columns_are_the_documented_ones():
    assert STATION_COLUMNS == ("id", "name", "lat_deg", "lon_deg", "elevation_m", "antennas", "min_elevation_deg",
                               "uplink_bps", "downlink_bps")
