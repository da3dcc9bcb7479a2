"""The sweep report (``DIR/sweep_report.html``) from a synthetic sweep directory: sections present
exactly when their inputs exist, offline, and the drawn values read back out of the page's figures."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orbitcloud.errors import OrbitcloudError
from orbitcloud.sweep.report import MAX_FAILED_ROWS, MAX_SCATTER_POINTS, build_sweep_report


def _report_helpers():
    """tests/report/report_helpers.py (figures read back out of a report page), shared, not copied."""
    if "report_helpers" not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "report" / "report_helpers.py"
        spec = importlib.util.spec_from_file_location("report_helpers", path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules["report_helpers"] = mod
        spec.loader.exec_module(mod)
    return sys.modules["report_helpers"]


H = _report_helpers()

ALT = "constellation.0.altitude_km"
SHIELD = "radiation.shielding_mm_al"
DESIGN = "bus.design"
SUNLIT = "sunlit_fraction"
SOC = "bus.soc_min"


def _front(a: np.ndarray, b: np.ndarray, ok: np.ndarray) -> list[int]:
    """Rows no other row beats in both (both maximised), by brute force."""
    rows = np.flatnonzero(ok)
    out = []
    for i in rows:
        beaten = (a[rows] >= a[i]) & (b[rows] >= b[i]) & ((a[rows] > a[i]) | (b[rows] > b[i]))
        if not beaten.any():
            out.append(int(i))
    return out


def write_sweep(
    path: Path,
    *,
    cases: int,
    replicates: int,
    failed: int,
    sobol: bool,
    pareto: bool,
    text_param: bool = False,
    seed: int = 3,
) -> dict:
    """cases.parquet and analysis.json of a synthetic sweep (the layout of docs/sweeps.md)."""
    rng = np.random.default_rng(seed)
    n = cases * replicates
    case = np.repeat(np.arange(cases, dtype=np.int64), replicates)
    rep = np.tile(np.arange(replicates, dtype=np.int64), cases)
    alt = np.repeat(rng.uniform(400.0, 800.0, cases), replicates)
    shield = np.repeat(rng.uniform(2.0, 20.0, cases), replicates)
    sunlit = 0.6 + 0.0003 * (alt - 400) + rng.normal(0, 0.01, n)
    soc = 0.9 - 0.0004 * (alt - 400) + 0.002 * shield + rng.normal(0, 0.01, n)
    status = np.array(["done"] * n, dtype=object)
    bad = rng.choice(n, failed, replace=False)
    status[bad] = "failed"
    sunlit[bad] = np.nan
    soc[bad] = np.nan
    error = np.where(status == "failed", "ScenarioError: bus: battery too small (synthetic)", "")
    params = [ALT, SHIELD] + ([DESIGN] if text_param else [])
    cols = {
        "case": pa.array(case),
        "replicate": pa.array(rep),
        "seed": pa.array(rng.integers(0, 2**31 - 1, n)),
        "key": pa.array([f"{i:064x}" for i in range(n)], pa.string()),
        f"in.{ALT}": pa.array(alt),
        f"in.{SHIELD}": pa.array(shield),
    }
    if text_param:
        cols[f"in.{DESIGN}"] = pa.array([("small", "large")[c % 2] for c in case.tolist()], pa.string())
    cols |= {
        f"out.{SUNLIT}": pa.array(sunlit),
        f"out.{SOC}": pa.array(soc),
        "status": pa.array(status.tolist(), pa.string()),
        "error": pa.array(error.tolist(), pa.string()),
        "attempts": pa.array(np.where(status == "failed", 2, 1).astype(np.int64)),
        "wall_s": pa.array(rng.uniform(1.0, 5.0, n)),
    }
    pq.write_table(pa.table(cols), path / "cases.parquet")
    ok = status == "done"
    analysis: dict = {
        "parameters": params,
        "outputs": [SUNLIT, SOC],
        "design": "sobol" if sobol else "mc",
        "spec": {"base": "three-body-12", "options": {"duration": "6h"}, "seed": 7, "replicates": replicates,
                 "parameters": {ALT: {"range": [400, 800]}, SHIELD: {"range": [2, 20]}},
                 "outputs": [SUNLIT, SOC]},
        "done": int(ok.sum()),
        "failed": int((~ok).sum()),
        "summary": {
            o: {"n": int(ok.sum()), "mean": float(np.nanmean(v)), "std": float(np.nanstd(v)),
                "p5": float(np.nanpercentile(v, 5)), "p25": float(np.nanpercentile(v, 25)),
                "p50": float(np.nanpercentile(v, 50)), "p75": float(np.nanpercentile(v, 75)),
                "p95": float(np.nanpercentile(v, 95)), "min": float(np.nanmin(v)), "max": float(np.nanmax(v)),
                "ci_low": float(np.nanmean(v)) - 0.01, "ci_high": float(np.nanmean(v)) + 0.01}
            for o, v in ((SUNLIT, sunlit), (SOC, soc))
        },
    }
    if sobol:
        analysis["sobol"] = {
            SUNLIT: {ALT: {"S1": 0.81, "S1_conf": 0.05, "ST": 0.86, "ST_conf": 0.07},
                     SHIELD: {"S1": 0.02, "S1_conf": 0.01, "ST": 0.04, "ST_conf": 0.02}},
            SOC: {ALT: {"S1": 0.55, "S1_conf": 0.06, "ST": 0.61, "ST_conf": 0.08},
                  SHIELD: {"S1": 0.30, "S1_conf": 0.04, "ST": None, "ST_conf": None}},
        }
    if pareto:
        analysis["pareto"] = {"x": SUNLIT, "y": SOC, "maximise": [True, True], "rows": _front(sunlit, soc, ok)}
    (path / "analysis.json").write_text(json.dumps(analysis))
    return {"sunlit": sunlit, "soc": soc, "status": status, "analysis": analysis, "alt": alt, "shield": shield}


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """40 cases × 2 replicates, 5 failed runs, Sobol indices and a Pareto front."""
    d = tmp_path_factory.mktemp("sweep_full")
    truth = write_sweep(d, cases=40, replicates=2, failed=5, sobol=True, pareto=True)
    out = build_sweep_report(d)
    return out, out.read_text("utf-8"), truth


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """6,000 cases × 1 replicate, many failures, a text parameter, no Sobol and no Pareto."""
    d = tmp_path_factory.mktemp("sweep_bare")
    truth = write_sweep(d, cases=6000, replicates=1, failed=120, sobol=False, pareto=False, text_param=True)
    out = build_sweep_report(d)
    return out, out.read_text("utf-8"), truth


def test_report_is_written_offline_with_every_section(full):
    out, page, _ = full
    assert out.name == "sweep_report.html" and out.is_file()
    assert not list(out.parent.glob(".sweep_report.html.*")), "atomic write left its temporary file"
    assert not re.search(r"<script[^>]*\bsrc\s*=", page), "the page loads a script from elsewhere"
    assert not re.search(r"<link[^>]*\bhref\s*=\s*['\"]https?://", page)
    assert "Plotly.newPlot" in page and "plotly.js" in page.lower()  # plotly.js inlined
    assert H.sections(page) == ["summary", "failed", "scatter", "sensitivity", "distributions", "pareto"]
    for title in ("Sweep", "Failed runs", "Outputs against parameters", "Sensitivity (Sobol)", "Distributions",
                  "Pareto front"):
        assert f"<h2>{title}</h2>" in page
    figs = H.figures(page)
    assert int(re.search(r"data-plots='(\d+)'", page).group(1)) == len(figs)
    # scatter matrix + 2 Sobol + 2 x (histogram + per-case boxes) + Pareto
    assert len(figs) == 1 + 2 + 4 + 1
    assert "three-body-12" in page and "5 of 80 runs failed" in page


def test_scatter_matrix_draws_each_pair(full):
    _, page, truth = full
    fig = H.find(H.figures(page), "Outputs against parameters")
    assert len(fig["data"]) == 2 * 2
    done = truth["status"] == "done"
    # column-major: parameter j, output i; every panel the same 75 done runs, values as written
    for k, (p, o) in enumerate((("alt", "sunlit"), ("alt", "soc"), ("shield", "sunlit"), ("shield", "soc"))):
        t = fig["data"][k]
        np.testing.assert_array_equal(H.arr(t["x"]), truth[p][done])
        np.testing.assert_array_equal(H.arr(t["y"]), truth[o][done])


def test_sobol_bars_carry_the_indices(full):
    _, page, truth = full
    figs = H.figures(page)
    for o, per in truth["analysis"]["sobol"].items():
        fig = H.find(figs, f"Sobol indices of {o}")
        for key, label in (("S1", "first order S1"), ("ST", "total order ST")):
            t = H.trace(fig, label)
            assert list(t["x"]) == [ALT, SHIELD]
            want = np.array([np.nan if per[p][key] is None else per[p][key] for p in (ALT, SHIELD)])
            conf = np.array([np.nan if per[p][f"{key}_conf"] is None else per[p][f"{key}_conf"] for p in (ALT, SHIELD)])
            np.testing.assert_array_equal(H.arr(t["y"]), want)
            np.testing.assert_array_equal(H.arr(t["error_y"]["array"]), conf)


def test_pareto_trace_is_exactly_the_front(full):
    _, page, truth = full
    fig = H.find(H.figures(page), "Pareto front")
    front = H.trace(fig, "Pareto front")
    rows = truth["analysis"]["pareto"]["rows"]
    assert len(rows) >= 2
    got = sorted(zip(H.arr(front["x"]).tolist(), H.arr(front["y"]).tolist(), strict=True))
    assert got == sorted(zip(truth["sunlit"][rows].tolist(), truth["soc"][rows].tolist(), strict=True))
    assert len(front["customdata"]) == len(rows)
    assert ALT in front["hovertemplate"] and SHIELD in front["hovertemplate"]
    grey = [t for t in fig["data"] if t["name"].startswith("done runs")]
    assert len(grey) == 1 and H.arr(grey[0]["x"]).size == int((truth["status"] == "done").sum())


def test_distributions_per_output_and_per_case(full):
    _, page, truth = full
    figs = H.figures(page)
    done = truth["status"] == "done"
    for o, key in ((SUNLIT, "sunlit"), (SOC, "soc")):
        hist = H.find(figs, f"Distribution of {o}")
        assert H.arr(hist["data"][0]["y"]).sum() == done.sum()
        box = H.find(figs, f"{o} per case over 2 replicates")
        np.testing.assert_array_equal(np.sort(H.arr(box["data"][0]["y"])), np.sort(truth[key][done]))


def test_report_without_sobol_pareto_or_replicates(bare):
    _, page, _ = bare
    assert H.sections(page) == ["summary", "failed", "scatter", "distributions"]
    for note in ("Sensitivity indices: the design is mc", "Pareto front: the spec names none",
                 "One replicate per case"):
        assert note in page
    figs = H.figures(page)
    assert not [f for f in figs if H.title(f).startswith(("Sobol", "Pareto", "Morris"))]
    # failed runs bounded
    failed = page.split('<section id="failed">')[1].split("</section>")[0]
    assert failed.count("<tr>") == 1 + MAX_FAILED_ROWS
    assert "120 of 6,000 runs failed" in failed
    # scatter matrix bounded, the text parameter drawn as categories
    fig = H.find(figs, "Outputs against parameters")
    assert len(fig["data"]) == 3 * 2
    for t in fig["data"]:
        assert H.arr(t["y"]).size == MAX_SCATTER_POINTS
    assert set(fig["data"][-1]["x"]) == {"small", "large"}


def test_morris_bars(tmp_path):
    write_sweep(tmp_path, cases=12, replicates=1, failed=0, sobol=False, pareto=False)
    a = json.loads((tmp_path / "analysis.json").read_text())
    a["design"] = "morris"
    a["morris"] = {o: {ALT: {"mu": 0.1, "mu_star": 0.3, "mu_star_conf": 0.05, "sigma": 0.2},
                       SHIELD: {"mu": 0.0, "mu_star": 0.01, "mu_star_conf": 0.004, "sigma": 0.02}}
                   for o in (SUNLIT, SOC)}
    (tmp_path / "analysis.json").write_text(json.dumps(a))
    page = build_sweep_report(tmp_path).read_text("utf-8")
    assert "<h2>Sensitivity (Morris)</h2>" in page and "Failed runs: none" in page
    fig = H.find(H.figures(page), f"Morris mu* and sigma of {SOC}")
    np.testing.assert_array_equal(H.arr(H.trace(fig, "mu*")["y"]), [0.3, 0.01])
    np.testing.assert_array_equal(H.arr(H.trace(fig, "mu*")["error_y"]["array"]), [0.05, 0.004])
    np.testing.assert_array_equal(H.arr(H.trace(fig, "sigma")["y"]), [0.2, 0.02])


def test_missing_cases_file_names_it(tmp_path):
    with pytest.raises(OrbitcloudError, match=r"cases\.parquet"):
        build_sweep_report(tmp_path)
    assert not (tmp_path / "sweep_report.html").exists()


def test_analysis_that_does_not_match_the_table(tmp_path):
    write_sweep(tmp_path, cases=4, replicates=1, failed=0, sobol=False, pareto=True)
    a = json.loads((tmp_path / "analysis.json").read_text())
    a["pareto"]["rows"] = [99]
    (tmp_path / "analysis.json").write_text(json.dumps(a))
    with pytest.raises(OrbitcloudError, match=r"analysis\.json: pareto\.rows: 99"):
        build_sweep_report(tmp_path)
    (tmp_path / "analysis.json").write_text("{not json")
    with pytest.raises(OrbitcloudError, match=r"analysis\.json: cannot read it as JSON"):
        build_sweep_report(tmp_path)
