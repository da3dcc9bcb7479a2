"""``orbitcloud run``: JSON on stdout, the results directory, the fast propagator, the table, --version."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import re

import pytest

from orbitcloud import __version__
from orbitcloud.cli import main

# three-body-12 and starcloud-1 have a radiation: section, so runs also write the fault log
RESULT_FILES = {"summary.json", "eclipses.csv", "satellites.parquet", "scenario.yaml", "faults.parquet", "contacts.csv", "workload_timeline.parquet",
                "requests.parquet"}
TIMING_KEYS = {"wall_time_s", "satellite_steps_per_s"}
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _run(capsys, *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err
    return out


def _json_run(capsys, *argv: str) -> dict:
    out = _run(capsys, *argv, "--json")
    lines = out.splitlines()
    assert len(lines) == 1, f"stdout must be exactly one JSON line, got {len(lines)} lines"
    summary = json.loads(lines[0])
    assert isinstance(summary, dict)
    assert out == json.dumps(summary) + "\n"
    return summary


def _finite_numbers(node) -> None:
    if isinstance(node, float):
        assert math.isfinite(node)
    elif isinstance(node, dict):
        for v in node.values():
            _finite_numbers(v)
    elif isinstance(node, list):
        for v in node:
            _finite_numbers(v)


def test_json_three_body_6h(capsys):
    s = _json_run(capsys, "run", "three-body-12", "--duration", "6h")
    assert s["scenario"] == "three-body-12"
    assert s["satellites"] == 12
    assert s["steps"] == 360
    assert s["duration_s"] == 21_600
    assert s["step_s"] == 60
    assert s["propagator"] == "sgp4"
    assert 0.0 <= s["sunlit_fraction"] <= 1.0
    assert s["longest_eclipse_s"] >= 0.0
    assert s["invalid_samples"] == 0
    assert isinstance(s["shells"], list) and len(s["shells"]) == 1
    shell = s["shells"][0]
    assert shell["name"] == "three-body" and shell["kind"] == "sso" and shell["satellites"] == 12
    assert shell["sunlit_fraction"] == s["sunlit_fraction"]
    # a 500 km orbit with |beta| ~ 24 deg: about 35 min of shadow per 94.6 min orbit
    assert 0.55 < s["sunlit_fraction"] < 0.72, s["sunlit_fraction"]
    assert 1_800 < s["longest_eclipse_s"] < 2_300, s["longest_eclipse_s"]
    _finite_numbers(s)


@pytest.fixture
def results(tmp_path, capsys):
    """One ``--out`` run of three-body-12 over 6 h, and a separate ``--json`` run of the same."""
    out_dir = tmp_path / "results"
    stdout = _run(capsys, "run", "three-body-12", "--duration", "6h", "--out", str(out_dir))
    printed = _json_run(capsys, "run", "three-body-12", "--duration", "6h")
    return out_dir, stdout, printed


def test_out_writes_exactly_the_result_files(results):
    out_dir, stdout, _ = results
    assert set(os.listdir(out_dir)) == RESULT_FILES, "temporary files left behind or files missing"
    assert "three-body-12" in stdout
    # the table lists every file written (a pip user has no docs/ folder to look in)
    flat = " ".join(stdout.split())
    assert "results written to" in flat and all(name in flat for name in RESULT_FILES)


def test_out_summary_equals_json_output(results):
    out_dir, _, printed = results
    written = json.loads((out_dir / "summary.json").read_text("utf-8"))
    assert TIMING_KEYS <= set(written) and TIMING_KEYS <= set(printed)
    def strip(d):
        return {k: ({kk: vv for kk, vv in v.items() if kk not in TIMING_KEYS} if isinstance(v, dict) else v)
                for k, v in d.items() if k not in TIMING_KEYS}

    assert strip(written) == strip(printed)


def test_out_scenario_yaml_is_the_source_text(results):
    from orbitcloud.scenario import builtin_text

    out_dir, _, _ = results
    assert (out_dir / "scenario.yaml").read_text("utf-8") == builtin_text("three-body-12")


def _t(text: str) -> dt.datetime:
    assert ISO_MS.match(text), text
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


def test_out_eclipses_csv(results):
    out_dir, _, printed = results
    raw = (out_dir / "eclipses.csv").read_text("ascii")
    assert raw.splitlines()[0] == "satellite,penumbra_start,umbra_start,umbra_end,penumbra_end,kind"
    rows = list(csv.DictReader(raw.splitlines()))
    assert len(rows) == printed["eclipses"] > 0
    start = dt.datetime(2026, 3, 20)
    end = start + dt.timedelta(hours=6)
    by_sat: dict[int, list[dict]] = {}
    complete = 0
    for row in rows:
        sat = int(row["satellite"])
        assert 0 <= sat < 12
        by_sat.setdefault(sat, []).append(row)
        times = [row[k] for k in ("penumbra_start", "umbra_start", "umbra_end", "penumbra_end")]
        present = [_t(x) for x in times if x]
        assert present, row
        assert present == sorted(present) and len(set(present)) == len(present), f"not increasing: {row}"
        assert all(start <= t <= end for t in present), row
        ps, us, ue, pe = times
        assert row["kind"] == ("umbral" if us or ue else row["kind"]) and row["kind"] in ("umbral", "partial", "graze"), row
        # umbra is empty only for a penumbral eclipse (both ends empty) or where the run cut it off
        if ps and not us:
            assert not ue, f"umbra end without umbra start inside a full penumbra: {row}"
        if pe and not ue:
            assert not us, f"umbra start without umbra end inside a full penumbra: {row}"
        if ps and pe:
            complete += 1
            assert us and ue, f"a 500 km orbit at beta -24 deg has no penumbral-only eclipse: {row}"
            assert 5.0 < (_t(us) - _t(ps)).total_seconds() < 20.0, row
            assert 5.0 < (_t(pe) - _t(ue)).total_seconds() < 20.0, row
            assert 1_800 < (_t(pe) - _t(ps)).total_seconds() < 2_300, row
    assert complete >= 12 * 3
    for sat, sat_rows in by_sat.items():
        # rows of a satellite are in time order and do not overlap; only the first may lack its
        # start and only the last its end (cut off by the run)
        for i, row in enumerate(sat_rows):
            if not row["penumbra_start"]:
                assert i == 0, (sat, row)
            if not row["penumbra_end"]:
                assert i == len(sat_rows) - 1, (sat, row)
        for a, b in zip(sat_rows, sat_rows[1:]):
            assert _t(a["penumbra_end"]) < _t(b["penumbra_start"]), (sat, a, b)


def test_out_satellites_parquet(results):
    import pyarrow.parquet as pq

    out_dir, _, printed = results
    table = pq.read_table(out_dir / "satellites.parquet")
    assert table.num_rows == 12
    cols = table.to_pydict()
    assert cols["satellite"] == list(range(12))
    assert cols["name"] == [f"three-body-{i:04d}" for i in range(12)]
    assert set(cols["shell"]) == {"three-body"}
    assert all(0.0 <= f <= 1.0 for f in cols["sunlit_fraction"])
    assert sum(cols["eclipses"]) == printed["eclipses"]
    assert max(cols["longest_eclipse_s"]) == pytest.approx(printed["longest_eclipse_s"], abs=1e-3)
    assert sum(cols["sunlit_fraction"]) / 12 == pytest.approx(printed["sunlit_fraction"], abs=1e-6)


def test_out_rerun_replaces_files(results, capsys):
    out_dir, _, _ = results
    _run(capsys, "run", "three-body-12", "--duration", "3h", "--out", str(out_dir))
    assert set(os.listdir(out_dir)) == RESULT_FILES
    assert json.loads((out_dir / "summary.json").read_text())["steps"] == 180


def test_out_no_eclipses(tmp_path, capsys):
    out_dir = tmp_path / "r"
    _run(capsys, "run", "starcloud-1", "--duration", "2h", "--out", str(out_dir), "--no-eclipses")
    assert set(os.listdir(out_dir)) == RESULT_FILES - {"eclipses.csv", "requests.parquet"}  # starcloud-1 serves no requests


def test_fast_propagator_agrees_with_sgp4(capsys):
    ref = _json_run(capsys, "run", "starlink-shell1", "--duration", "3h")
    fast = _json_run(capsys, "run", "starlink-shell1", "--duration", "3h", "--propagator", "fast")
    assert ref["propagator"] == "sgp4" and fast["propagator"] == "fast"
    assert ref["satellites"] == fast["satellites"] == 1584
    assert ref["steps"] == fast["steps"] == 180
    diff = abs(fast["sunlit_fraction"] - ref["sunlit_fraction"])
    assert diff < 0.01, f"sunlit fraction fast {fast['sunlit_fraction']} vs sgp4 {ref['sunlit_fraction']}"
    assert 0.5 < ref["sunlit_fraction"] < 0.8


@pytest.mark.parametrize("columns", [80, 160])
def test_table_output_shows_the_runs_figures(capsys, monkeypatch, columns):
    """The table names the scenario and carries the --json figures with units, within the terminal's
    width and without a truncated cell."""
    monkeypatch.setenv("COLUMNS", str(columns))
    s = _json_run(capsys, "run", "three-body-12", "--duration", "2h")
    out = _run(capsys, "run", "three-body-12", "--duration", "2h")
    assert not out.lstrip().startswith("{")
    assert "three-body-12" in out
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= columns
    flat = " ".join(out.split())
    assert f"{100 * s['sunlit_fraction']:.1f} % of the time sunlit" in flat
    assert f"{s['longest_eclipse_s']:,.0f} s ({s['longest_eclipse_s'] / 60:.1f} min)" in flat
    assert f"{s['duration_s']:,.0f} s (2 h) in {s['steps']:,} steps of 60 s" in flat
    assert "three-body" in out.split("shells", 1)[1]


def test_version(capsys):
    code = main(["--version"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.strip() == f"orbitcloud {__version__}"


def test_penumbral_only_passes_are_not_eclipses():
    """At 70 deg on 2026-03-26 some satellites of a 100-plane shell only graze the penumbra (the Sun's
    centre never goes behind the limb: illumination stays above 0.5). Those passes are rows of the
    eclipse table marked "penumbral only", counted in ``penumbral_only_passes`` and not in
    ``eclipses``; so a satellite has eclipses exactly when it has a longest eclipse."""
    import numpy as np

    import orbitcloud

    sc = {"name": "graze", "epoch": "2026-03-26T00:00:00Z", "duration": "1d", "step": "30s",
          "constellation": [{"kind": "walker", "mean_motion_rev_per_day": 15.05, "inclination_deg": 70,
                             "planes": 100, "sats_per_plane": 1, "phasing": 7}]}
    r = orbitcloud.run(sc)
    shell = r.summary["shells"][0]
    assert shell["penumbral_only_passes"] > 0
    sats = r.satellites().to_pydict()
    n_ecl = np.asarray(sats["eclipses"])
    longest = np.asarray(sats["longest_eclipse_s"])
    assert np.array_equal(n_ecl > 0, longest > 0)
    assert int(n_ecl.sum()) == shell["eclipses"] == r.summary["eclipses"]
    ecl = r.table("eclipses").to_pydict()
    assert len(ecl["satellite"]) == shell["eclipses"] + shell["penumbral_only_passes"]
    kinds = ecl["kind"]
    assert set(kinds) <= {"umbral", "partial", "graze"}
    assert kinds.count("graze") == shell["penumbral_only_passes"]
    for i, kind in enumerate(kinds):
        has_umbra = ecl["umbra_start"][i] is not None or ecl["umbra_end"][i] is not None
        assert has_umbra == (kind == "umbral"), i
        if kind == "graze":
            # brief: a shallow crossing of the penumbra band (~9 s deep at normal incidence for 500 km),
            # far shorter than the ~35-min eclipse
            dur_s = (ecl["penumbra_end"][i] - ecl["penumbra_start"][i]).total_seconds()
            assert 0 < dur_s < 600, ecl["satellite"][i]
    # each satellite's eclipses are its umbral and partial rows
    per_sat = np.bincount([s for s, k in zip(ecl["satellite"], kinds) if k != "graze"], minlength=n_ecl.size)
    assert np.array_equal(per_sat, n_ecl)
    details = r.events("eclipse").to_pydict()["detail"]
    assert details.count("penumbral only (not an eclipse)") == kinds.count("graze")
    assert details.count("partial: no umbra") == kinds.count("partial")
