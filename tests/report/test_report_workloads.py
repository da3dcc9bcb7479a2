"""Workload views from a SCHEMA FIXTURE: requests.parquet, workload_timeline.parquet and
summary.json ``workloads`` written here exactly to the agreed schema (the workload layer that writes
them in real runs is tested end to end elsewhere)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from report_helpers import (
    N_REQ,
    arr,
    figures,
    find,
    sections,
    trace,
    write_schema_fixture,
)

from orbitcloud.report import build_report


@pytest.fixture(scope="module")
def workload_report(net_run, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("workloads") / "run"
    shutil.copytree(net_run, run_dir)
    truth = write_schema_fixture(run_dir)
    page = build_report(run_dir, png=True).read_text("utf-8")
    return page, truth, run_dir


def test_workload_section_and_latency_cdfs(workload_report):
    page, truth, _ = workload_report
    assert sections(page)[-1] == "workloads"
    figs = figures(page)
    cdf = find(figs, "Inference latency CDFs")
    served = truth["status"] == "served"
    for name, values in (("e2e", truth["e2e"]), ("ttft", truth["ttft"])):
        x, f = arr(trace(cdf, name)["x"]), arr(trace(cdf, name)["y"])
        v = np.sort(values[served])
        assert x.size <= 1000 and x[0] == v[0] and x[-1] == v[-1]
        # each point kept is an exact order statistic: F(x) = rank / n
        ranks = np.searchsorted(v, x, side="right")
        np.testing.assert_allclose(f, ranks / v.size, atol=1e-12)
        # the median read off the curve is numpy's
        assert np.interp(0.5, f, x) == pytest.approx(np.median(v), rel=0.01)


def test_requests_by_city_and_outcome(workload_report):
    page, truth, _ = workload_report
    bars = find(figures(page), "Requests by city and outcome")
    for status in ("served", "pending", "unreachable"):
        tr = next(t for t in bars["data"] if t["name"].startswith(status))
        assert arr(tr["y"]).sum() == (truth["status"] == status).sum()
        assert f"({(truth['status'] == status).sum():,})" in tr["name"]


def test_timeline_views(workload_report):
    page, truth, _ = workload_report
    tl = truth["timeline"]
    figs = figures(page)
    thr = find(figs, "Inference throughput")
    np.testing.assert_allclose(arr(trace(thr, "arrivals")["y"]), tl["inference_arrivals"] / 60.0)
    np.testing.assert_allclose(arr(trace(thr, "output tokens/s")["y"]), tl["inference_tokens_out"] / 60.0)
    q = find(figs, "Inference queue and active servers")
    np.testing.assert_array_equal(arr(trace(q, "queue")["y"]), tl["inference_queue"])
    train = find(figs, "Training progress")
    np.testing.assert_allclose(arr(trace(train, "tokens trained")["y"]), tl["training_tokens_cum"])
    eo = find(figs, "Earth observation data volumes")
    unit = eo["layout"]["yaxis"]["title"]["text"]
    scale = {"[GB]": 1e9, "[TB]": 1e12, "[PB]": 1e15}[unit]
    np.testing.assert_allclose(
        arr(trace(eo, "downlinked (cumulative)")["y"]) * scale, np.cumsum(tl["eo_downlinked_b"]), rtol=1e-12
    )
    np.testing.assert_allclose(arr(trace(eo, "stored on board")["y"]) * scale, tl["eo_stored_b"], rtol=1e-12)


#: The tables show 4 significant digits: within half a unit of the last one, 5e-4 of the value at most.
SIG4_REL = 5e-4


def _kv_tables(page: str) -> dict[str, dict[str, str]]:
    """The workload section's key/value tables: title -> {figure: shown value}."""
    import html
    import re

    out = {}
    for title, body in re.findall(r"<h3>([^<]*)</h3><table class=\"kv\">(.*?)</table>", page, re.S):
        rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", body)
        out[html.unescape(title)] = {html.unescape(k): html.unescape(v) for k, v in rows}
    return out


def test_summary_tables_and_pngs(workload_report):
    """Each workload table lists every figure of summary.json's ``workloads`` with its value (parsed back
    from the page, within the display's rounding); the truth is the fixture's, computed from its arrays."""
    page, truth, run_dir = workload_report
    tables = _kv_tables(page)
    want = {
        "Inference": {"requests": N_REQ, "served_fraction": float((truth["status"] == "served").mean()),
                      "ttft_s_p50": float(np.nanmedian(truth["ttft"]))},
        "Training": {"tokens": float(truth["timeline"]["training_tokens_cum"][-1]), "goodput": 0.93},
        "Earth observation": {"captured_b": float(truth["timeline"]["eo_captured_b"].sum()),
                              "downlinked_b": float(truth["timeline"]["eo_downlinked_b"].sum())},
    }
    assert set(want) <= set(tables), tables.keys()
    for title, figures_ in want.items():
        assert list(tables[title]) == list(figures_), (title, tables[title])
        for key, value in figures_.items():
            shown = tables[title][key]
            if isinstance(value, int):
                assert shown == f"{value:,}", (title, key, shown)
            else:
                assert float(shown.replace(",", "")) == pytest.approx(value, rel=SIG4_REL), (title, key, shown)
    for name in ("latency", "throughput", "training", "eo"):
        assert (run_dir / f"report-{name}.png").stat().st_size > 10_000


def test_serving_table_shows_what_the_policy_bought():
    from orbitcloud.report.sections.workloads import serving_table

    summary = {"workloads": {"inference": {"serving_policy": "energy-aware", "slo_attainment": 0.98, "tokens_per_kwh": 2.5e7,
                                           "quality_weighted_tokens_per_kwh": 2.0e7, "capped_share": 0.25}},
               "bus": {"soc_min": 0.41, "battery_capacity_left_min": 0.9921, "energy_curtailed_j": 7.2e6}}
    html = serving_table(summary)
    assert "Serving under constrained power" in html and "energy-aware" in html
    assert "2.0 kWh" in html  # 7.2 MJ curtailed
    assert "99.2" in html and "41" in html
    assert serving_table({"workloads": {"inference": {"tokens_per_kwh": 1.0}}}) == ""  # a run from before serving policies
