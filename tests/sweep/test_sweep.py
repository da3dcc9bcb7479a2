"""``orbitcloud sweep`` end to end (sweep/spec.py, cases.py, runner.py): the issue's spec as written,
determinism across executors and worker counts, resume, failures recorded, bad specs refused."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from orbitcloud.errors import OrbitcloudError
from orbitcloud.sweep.cases import case_seed
from orbitcloud.sweep.runner import run_sweep

ISSUE_SPEC = """
base: three-body-12
options: {duration: 6h}
seed: 7
replicates: 2
parameters:
  constellation.0.altitude_km: {values: [500, 600]}
  radiation.shielding_mm_al: {values: [5, 10]}
outputs: [sunlit_fraction, bus.soc_min]
"""

# a small, fast sweep for the determinism and resume tests
SMALL = """
base: three-body-12
options: {duration: 1h, workloads: false, network: false}
seed: 11
replicates: 2
parameters:
  constellation.0.altitude_km: {values: [500, 700]}
  constellation.0.hardware.battery.capacity_wh: {range: [600, 1500], samples: 2}
outputs: [sunlit_fraction, bus.soc_min, bus.energy_compute_j]
pareto: {x: bus.soc_min, y: bus.energy_compute_j, maximise: [true, true]}
"""


def _spec(tmp_path, text: str, name: str = "spec.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return str(path)


def _rows(out) -> list[dict]:
    rows = pq.read_table(out / "cases.parquet").to_pylist()
    for r in rows:
        r.pop("wall_s")
    return rows


def test_the_issues_spec_works_as_written(tmp_path):
    out = tmp_path / "out"
    res = run_sweep(_spec(tmp_path, ISSUE_SPEC), out, workers=2)
    assert res["runs"] == 8 and res["done"] == 8 and res["failed"] == 0
    t = pq.read_table(out / "cases.parquet")
    cols = set(t.column_names)
    assert {"case", "replicate", "seed", "key", "status", "error", "attempts", "wall_s"} <= cols
    assert {"in.constellation.0.altitude_km", "in.radiation.shielding_mm_al", "out.sunlit_fraction", "out.bus.soc_min"} <= cols
    rows = t.to_pylist()
    assert [(r["case"], r["replicate"]) for r in rows] == [(i, r) for i in range(4) for r in range(2)]
    assert {(r["in.constellation.0.altitude_km"], r["in.radiation.shielding_mm_al"]) for r in rows} == {
        (500.0, 5.0), (500.0, 10.0), (600.0, 5.0), (600.0, 10.0)}
    for r in rows:
        assert r["status"] == "done" and r["error"] == "" and r["attempts"] == 1
        assert 0.5 < r["out.sunlit_fraction"] <= 1.0 and 0.0 < r["out.bus.soc_min"] <= 1.0
        assert r["seed"] == case_seed(7, r["case"], r["replicate"])
    # a higher orbit sees more sunlight (same plane, same epoch): the parameter reached the scenario
    by_alt = {a: np.mean([r["out.sunlit_fraction"] for r in rows if r["in.constellation.0.altitude_km"] == a]) for a in (500.0, 600.0)}
    assert by_alt[600.0] > by_alt[500.0]
    a = json.loads((out / "analysis.json").read_text())
    assert a["design"] == "grid" and a["done"] == 8
    assert a["summary"]["sunlit_fraction"]["n"] == 8
    assert len(a["by_case"]["bus.soc_min"]) == 4
    assert (out / "sweep_report.html").exists()


def test_same_table_with_any_worker_count_and_with_ray(tmp_path):
    spec = _spec(tmp_path, SMALL)
    one = tmp_path / "one"
    run_sweep(spec, one, workers=1, report=False)
    two = tmp_path / "two"
    run_sweep(spec, two, workers=2, report=False)
    assert _rows(one) == _rows(two)
    pytest.importorskip("ray")
    ray_out = tmp_path / "ray"
    run_sweep(spec, ray_out, workers=2, executor="ray", report=False)
    assert _rows(one) == _rows(ray_out)
    rows = _rows(one)
    assert len(rows) == 2 * 2 * 2  # 2 altitudes x 2 Monte Carlo draws x 2 replicates
    caps = sorted({r["in.constellation.0.hardware.battery.capacity_wh"] for r in rows})
    assert len(caps) == 2 and all(600 <= c <= 1500 for c in caps)
    a = json.loads((one / "analysis.json").read_text())
    assert a["design"] == "mc" and a["pareto"]["rows"]


def test_resume_runs_only_what_is_missing(tmp_path):
    spec = _spec(tmp_path, SMALL)
    out = tmp_path / "out"
    run_sweep(spec, out, workers=2, report=False)
    full = _rows(out)
    # an interrupted sweep: only the first three runs made it to the table
    t = pq.read_table(out / "cases.parquet")
    pq.write_table(t.slice(0, 3), out / "cases.parquet")
    with pytest.raises(OrbitcloudError, match="holds a sweep already.*--resume"):
        run_sweep(spec, out, workers=2, report=False)
    res = run_sweep(spec, out, workers=2, report=False, resume=True)
    assert res["skipped"] == 3 and res["runs"] == 8
    assert _rows(out) == full
    # a changed spec changes the content hashes: nothing is kept
    changed = _spec(tmp_path, SMALL.replace("duration: 1h", "duration: 30min"), "changed.yaml")
    res = run_sweep(changed, out, workers=2, report=False, resume=True)
    assert res["skipped"] == 0


def test_a_failing_case_is_retried_then_recorded_while_the_others_finish(tmp_path):
    """A 70 B model at int8 (70.6 GB) does not fit the 64 GB Three-Body computer: that case fails at
    run time (after validation), is retried once, and is recorded with its error."""
    text = """
base: three-body-12
options: {duration: 20min}
seed: 3
retries: 1
parameters:
  workloads.inference.model: {values: [remote-sensing-8b, llama-3.1-70b]}
outputs: [workloads.inference.served]
"""
    out = tmp_path / "out"
    res = run_sweep(_spec(tmp_path, text), out, workers=2, report=True)
    assert res["done"] == 1 and res["failed"] == 1
    rows = pq.read_table(out / "cases.parquet").to_pylist()
    ok, bad = rows
    assert ok["status"] == "done" and ok["attempts"] == 1
    assert bad["status"] == "failed" and bad["attempts"] == 2
    assert "llama-3.1-70b" in bad["error"] and "needs 70.6 GB of weights" in bad["error"]
    assert np.isnan(bad["out.workloads.inference.served"])


@pytest.mark.parametrize("text, match", [
    ("base: three-body-12\nparameters:\n  constellation.0.altitud_km: {values: [500]}\noutputs: [sunlit_fraction]\n",
     "parameters constellation.0.altitud_km = 500: the scenario rejects it"),
    ("base: three-body-12\nparameters:\n  constellation.0.altitude_km: {values: [50, 500]}\noutputs: [sunlit_fraction]\n",
     "parameters constellation.0.altitude_km = 50"),
    ("base: three-body-12\nparameters:\n  constellation.3.altitude_km: {values: [500]}\noutputs: [sunlit_fraction]\n",
     r"parameters.constellation.3.altitude_km: constellation.3: the base has 1 item"),
    ("base: three-body-12\nparameters:\n  radiation.shielding_mm_al: {values: []}\noutputs: [sunlit_fraction]\n",
     "parameters.radiation.shielding_mm_al: values: an empty list gives no cases"),
    ("base: three-body-12\nparameters:\n  radiation.shielding_mm_al: {values: [5]}\noutputs: [bus.soc_minimum]\n",
     "outputs: 'bus.soc_minimum' is not a summary key"),
    ("base: three-body-12\noptions: {duraton: 1h}\noutputs: [sunlit_fraction]\n", "options: unknown run option 'duraton'"),
    ("base: three-body-12\nparameters:\n  radiation.shielding_mm_al: {range: [5, 20]}\ndesign: {method: sobol, n: 100}\n"
     "outputs: [sunlit_fraction]\n", "design sobol: n must be a power of two"),
    ("base: no-such-scenario\noutputs: [sunlit_fraction]\n", "no-such-scenario"),
])
def test_bad_specs_are_refused_before_any_case_runs(tmp_path, text, match):
    out = tmp_path / "out"
    with pytest.raises(OrbitcloudError, match=match):
        run_sweep(_spec(tmp_path, text), out)
    assert not (out / "cases.parquet").exists()


def test_the_cli_runs_a_sobol_sweep_and_prints_the_indices(tmp_path, capsys):
    from orbitcloud.cli import main

    text = """
base: three-body-12
options: {duration: 30min, workloads: false, network: false, radiation: false}
seed: 5
parameters:
  constellation.0.hardware.battery.capacity_wh: {range: [400, 1600]}
  constellation.0.hardware.bus_power_w: {range: [150, 350]}
design: {method: sobol, n: 4}
outputs: [bus.soc_min]
"""
    code = main(["sweep", _spec(tmp_path, text), "--out", str(tmp_path / "o"), "--workers", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "sobol indices" in out and "ST_conf" in out
    a = json.loads((tmp_path / "o" / "analysis.json").read_text())
    assert set(a["sobol"]["bus.soc_min"]) == {"constellation.0.hardware.battery.capacity_wh", "constellation.0.hardware.bus_power_w"}
    assert len(pq.read_table(tmp_path / "o" / "cases.parquet")) == 4 * (2 + 2)


def test_ctrl_c_leaves_a_table_that_resume_completes(tmp_path):
    """A real SIGINT to `orbitcloud sweep` once the first runs are in cases.parquet: exit 130 with the
    hint, the finished runs kept; --resume then runs only the rest and gives the full table."""
    import os
    import signal
    import subprocess
    import sys
    import time

    text = SMALL.replace("duration: 1h, workloads: false, network: false", "duration: 1d")
    assert "duration: 1d" in text
    spec = _spec(tmp_path, text)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "orbitcloud.cli", "sweep", spec, "--out", str(out), "--workers", "1", "--no-report"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "cases.parquet").exists() and len(pq.read_table(out / "cases.parquet")) >= 2:
            break
        time.sleep(0.1)
    assert proc.poll() is None, "the sweep finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    kept = len(pq.read_table(out / "cases.parquet"))
    assert 2 <= kept < 8
    res = run_sweep(spec, out, workers=2, report=False, resume=True)
    assert res["skipped"] == kept and res["runs"] == 8 and res["failed"] == 0
    rows = _rows(out)
    assert [(r["case"], r["replicate"]) for r in rows] == [(i, r) for i in range(4) for r in range(2)]
    assert all(r["status"] == "done" for r in rows)
