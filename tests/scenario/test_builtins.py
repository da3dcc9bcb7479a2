"""Built-in scenarios, duration parsing, and the documented example with a TLE shell."""

from __future__ import annotations

import math
import re
import shutil

import numpy as np
import pytest

from orbitcloud.cli import main
from orbitcloud.errors import ScenarioError
from orbitcloud.fleet import build_fleet
from orbitcloud.scenario import builtin_names, builtin_text, load_scenario, parse_duration_s
from orbitcloud.scenario.schema import TLEShell
from tle_samples import DEB_L1, DEB_L2, ISS_L1, ISS_L2

EXPECTED = {
    "three-body-12": 12,
    "star-compute-2800": 2_800,
    "beijing-1gw": 10_000,
    "suncatcher-81": 81,
    "starcloud-1": 1,
    "starlink-shell1": 1_584,
    "kuiper-630": 1_156,
    "sunrise-51600": 51_600,
    "spacex-odc-1m": 1_000_000,
}
TOO_LARGE_TO_BUILD_HERE = {"sunrise-51600", "spacex-odc-1m"}


def _schema_count(name: str) -> int:
    sc = load_scenario(name).scenario
    assert not any(isinstance(s, TLEShell) for s in sc.constellation)
    return sum(s.count for s in sc.constellation)


def test_expected_names_exist():
    assert set(EXPECTED) <= set(builtin_names())
    assert builtin_names() == sorted(builtin_names())


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_loads(name):
    loaded = load_scenario(name)
    assert loaded.label == f"builtin:{name}"
    assert loaded.scenario.name == name
    assert loaded.scenario.duration > 0 and loaded.scenario.step > 0
    assert loaded.text == builtin_text(name)


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
