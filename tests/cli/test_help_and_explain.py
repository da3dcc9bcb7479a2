"""What a new user reads: every --help without empty type tags and with its defaults, and
``orbitcloud explain`` for every key a run's summary can hold."""

from __future__ import annotations

import re

import pytest

import orbitcloud as oc
from orbitcloud.cli import main
from orbitcloud.results.keys import explain

#: Unit suffixes of summary keys and the unit their explanation must name.
UNIT_SUFFIX = {"_s": "s", "_j": "J", "_w": "W", "_b": "B", "_deg": "deg", "_km": "km", "_c": "degC", "_ms": "ms",
               "_kwh": "kWh", "_mm_al": "mm", "_rad": "rad", "_bps": "bit/s", "_ops": "OP"}


def _help(capsys, *argv, columns=100, monkeypatch=None) -> str:
    code = main([*argv, "--help"])
    out = capsys.readouterr().out
    assert code == 0
    return out


@pytest.mark.parametrize("command", [(), ("run",), ("net",), ("report",), ("size",), ("explain",), ("export", "czml"), ("scenarios",)])
def test_help_has_no_empty_type_tags(capsys, monkeypatch, command):
    monkeypatch.setenv("COLUMNS", "120")
    out = _help(capsys, *command)
    assert "<bool>" not in out and "<str>" not in out, out


def test_run_help_says_defaults_files_and_accuracy(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = " ".join(_help(capsys, "run").split())
    assert "Default: the scenario's duration" in out and "Default: the scenario's step" in out
    assert "1.7-6 km from SGP4" in out
    for name in ("summary.json", "satellites.parquet", "scenario.yaml", "eclipses.csv", "contacts.csv", "faults.parquet",
                 "timeseries.parquet", "actions.parquet", "requests.parquet", "workload_timeline.parquet"):
        assert name in out, name
    assert "100ms" in out


def test_top_level_help_lines_are_whole(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = _help(capsys)
    for command in ("run", "scenarios", "net", "size", "report", "explain"):
        line = next(line for line in out.splitlines() if re.search(rf"│\s*{command}\s", line))
        assert line.rstrip(" │").endswith("."), line  # a whole sentence, not cut mid-phrase


@pytest.fixture(scope="module")
def summaries():
    """Runs whose summaries hold every kind of key: bus, radiation, network, EO, inference, batch,
    training, added work, actions and TT&C."""
    out = [oc.run("three-body-12", duration="2h").summary, oc.run("starcloud-1", duration="1h").summary,
           oc.run("three-body-12", duration="2h", ttc=True).summary]
    sim = oc.Simulation("three-body-12", duration="1h")
    sim.advance("10min")
    sim.act(oc.AddInference(rate_per_s=0.5, city="Beijing"))
    sim.act(oc.AddEOTarget(lat_deg=30.0, lon_deg=110.0))
    sim.act(oc.PowerCap(0.5))
    sim.advance()
    out.append(sim.finish().summary)
    import yaml

    doc = yaml.safe_load(oc.scenario_text("three-body-12") if hasattr(oc, "scenario_text") else _builtin("three-body-12"))
    doc["orbit_life"] = {"activity": "max", "station_keeping": {"thruster": "bht-200", "band_km": 0.2},
                         "conjunctions": {"threshold_km": 100}}
    out.append(oc.run(doc, duration="2h").summary)
    return out


def _builtin(name: str) -> str:
    from orbitcloud.scenario import builtin_text

    return builtin_text(name)


def _paths(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            path = f"{prefix}.{k}" if prefix else k
            yield path
            yield from _paths(v, path)
    elif isinstance(obj, list):
        for item in obj:
            yield from _paths(item, prefix + "[]")


def test_every_summary_key_is_explained_with_its_unit(summaries):
    missing, no_unit = set(), set()
    for s in summaries:
        for path in _paths(s):
            got = explain(path)
            if got is None:
                missing.add(path)
                continue
            leaf = path.rsplit(".", 1)[-1]
            for suffix, unit in UNIT_SUFFIX.items():
                if leaf.endswith(suffix) and not leaf.startswith(("n_", "devices")) and unit not in got[0]:
                    no_unit.add((path, got[0]))
    assert not missing, sorted(missing)
    assert not no_unit, sorted(no_unit)


def test_explain_command(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["explain", "soc_min"]) == 0
    out = capsys.readouterr().out
    assert "bus.soc_min" in out and "lowest battery state of charge" in out
    assert main(["explain", "socmin"]) == 2
    assert "did you mean soc_min?" in capsys.readouterr().err
    assert main(["explain", "--all"]) == 0
    assert "limits.main_limit" in capsys.readouterr().out
