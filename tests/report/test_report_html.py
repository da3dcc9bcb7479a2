"""The HTML report: sections present exactly when their inputs exist, offline, and every drawn number
checked against an independent reading of the run directory."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from report_helpers import arr, figures, find, sections, trace

from orbitcloud.cli import main
from orbitcloud.errors import OrbitcloudError
from orbitcloud.report import build_report
from orbitcloud.report import data as D

MIN_ELEVATION_DEG = 20.0  # the net scenario's ground.min_elevation_deg


@pytest.fixture(scope="module")
def net_report(net_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "net.html"
    assert build_report(net_run, out) == out
    return out.read_text("utf-8")


def test_sections_follow_inputs_and_page_is_offline(net_report, net_run):
    assert sections(net_report) == ["summary", "fleet", "timelines", "eclipses", "network", "faults"]
    # plotly.js embedded once for the whole page, nothing loaded from elsewhere
    assert net_report.count("* plotly.js v") == 1
    assert "<script src" not in net_report and "<link" not in net_report
    figs = figures(net_report)
    assert len(figs) == int(net_report.split("data-plots='")[1].split("'")[0]) == 14
    summary = json.loads((net_run / "summary.json").read_text())
    assert f"{summary['satellites']:,}" in net_report and summary["scenario"] in net_report


def test_globe_positions_are_the_runs(net_report, net_run):
    """Who is in view of whom on the globe agrees with the run's own contacts.csv, and the globe's
    illumination (computed by the report) with the run's recorded illumination at that time."""
    from orbitcloud.network.ground import look_angles

    run = D.open_run(net_run)
    t_s = D.default_time_s(run)
    globe = find(figures(net_report), "Fleet at")
    sats = trace(globe, "satellites")
    pos_m = np.stack([arr(sats[k]) for k in "xyz"], axis=1).astype(np.float64) * 1000.0
    assert pos_m.shape == (run.n_sat, 3)  # all 150 drawn
    # the same time in the run's time series (default time is a recorded sample)
    ts = pq.read_table(net_run / "timeseries.parquet", columns=["time", "satellite", "illumination"])
    stamp = np.datetime64(int(run.time_ns(t_s)), "ns")
    rows = ts.filter(pc.equal(pc.cast(ts["time"], "int64"), int(stamp.astype(np.int64))))
    assert rows.num_rows == run.n_sat
    recorded = rows.sort_by("satellite")["illumination"].to_numpy()
    np.testing.assert_allclose(arr(sats["marker"]["color"]), recorded, atol=1e-5)
    assert ((recorded > 0) & (recorded < 1)).sum() < run.n_sat  # not a degenerate all-penumbra time
    # elevations from the globe's positions against the contact windows (interpolated crossings)
    stations = run.stations
    _, el_rad, _ = look_angles(stations, pos_m[:, 0:1], pos_m[:, 1:2], pos_m[:, 2:3])
    el_deg = np.degrees(el_rad[..., 0])  # (stations, sats)
    ct = D.load_contacts(run)
    margin_s = 1.0  # a window edge closer than this to t may round either way
    for j, name in enumerate(stations.names):
        sel = ct.station == name
        inside = np.zeros(run.n_sat, bool)
        near_edge = np.zeros(run.n_sat, bool)
        for s, a, b in zip(ct.sat[sel], ct.start_s[sel], ct.end_s[sel]):
            inside[s] |= a + margin_s <= t_s <= b - margin_s
            near_edge[s] |= abs(t_s - a) < margin_s or abs(t_s - b) < margin_s
        assert inside.any()
        assert (el_deg[j, inside] >= MIN_ELEVATION_DEG).all()
        assert (el_deg[j, ~inside & ~near_edge] < MIN_ELEVATION_DEG).all()


def test_totals_use_every_satellite_whatever_is_drawn(net_run, net_report, tmp_path):
    small = build_report(net_run, tmp_path / "small.html", sample=10).read_text("utf-8")
    assert "Drawn: 10 of 150 satellites" in small
    full_figs, small_figs = figures(net_report), figures(small)
    assert arr(trace(find(small_figs, "Fleet at"), "satellites")["x"]).size == 10
    power_full = find(full_figs, "Fleet power")
    power_small = find(small_figs, "Fleet power")
    for name in ("generated", "used", "compute", "curtailed"):
        np.testing.assert_array_equal(arr(trace(power_full, name)["y"]), arr(trace(power_small, name)["y"]))
    # and they are the sums over all satellites (pyarrow's group_by, not the report's code)
    ts = pq.read_table(net_run / "timeseries.parquet")
    sums = ts.group_by("time").aggregate([("p_gen_w", "sum")]).sort_by("time")["p_gen_w_sum"].to_numpy()
    unit = power_full["layout"]["yaxis"]["title"]["text"]
    scale = {"power [W]": 1.0, "power [kW]": 1e3, "power [MW]": 1e6, "power [GW]": 1e9}[unit]
    np.testing.assert_allclose(arr(trace(power_full, "generated")["y"]) * scale, sums, rtol=1e-12)
    # energy over the run from the 10-min samples is close to the summary's every-step total
    summary = json.loads((net_run / "summary.json").read_text())
    e_j = sums.sum() * 600.0
    assert e_j == pytest.approx(summary["bus"]["energy_generated_j"], rel=0.05)


def test_percentile_bands_are_numpy_percentiles():
    rng = np.random.default_rng(7)
    groups = rng.integers(0, 9, 4000)
    values = rng.normal(size=4000)
    values[rng.random(4000) < 0.05] = np.nan
    q = D.group_quantiles(values, groups, 10, D.BAND_PERCENTILES)
    for g in range(9):
        v = values[(groups == g) & np.isfinite(values)]
        np.testing.assert_allclose(q[:, g], np.percentile(v, D.BAND_PERCENTILES), rtol=0, atol=1e-12)
    assert np.isnan(q[:, 9]).all()  # an empty group


def test_soc_band_is_the_recorded_distribution(net_run, net_report):
    soc = find(figures(net_report), "Battery state of charge")
    ts = pq.read_table(net_run / "timeseries.parquet", columns=["time", "soc"]).sort_by([("time", "ascending")])
    t = ts["time"].to_numpy().astype("datetime64[ns]").astype(np.int64)
    v = ts["soc"].to_numpy()
    times = np.unique(t)
    expect_min = np.array([v[t == x].min() for x in times]) * 100
    expect_med = np.array([np.median(v[t == x]) for x in times]) * 100
    np.testing.assert_allclose(arr(trace(soc, "median")["y"]), expect_med, atol=1e-9)
    lows = [arr(tr["y"]) for tr in soc["data"] if tr.get("legendgroup") == "min–max" and tr.get("showlegend") is False]
    np.testing.assert_allclose(lows[0], expect_min, atol=1e-9)


def test_eclipse_calendar_agrees_with_recorded_illumination(net_run):
    """With 20-min bins the cell centres fall on the 10-min records (odd multiples of 600 s): the
    share of each shell in eclipse from eclipses.csv equals the share with illumination < 1."""
    run = D.open_run(net_run)
    cal = D.eclipse_calendar(run, bin_s=1200.0)
    ts = pq.read_table(net_run / "timeseries.parquet", columns=["time", "satellite", "illumination"])
    t = (ts["time"].to_numpy().astype("datetime64[ns]").astype(np.int64) - run.start_ns) / 1e9
    sat = ts["satellite"].to_numpy()
    ill = ts["illumination"].to_numpy()
    checked = 0
    for (name, m), shell in zip(cal.shells, run.summary["shells"]):
        sel_shell = run.shell_of[sat] == run.shell_names.index(name)
        n = shell["satellites"]
        for j, c in enumerate((np.arange(m.shape[1]) + 0.5) * 1200.0):
            if c > run.t_last_s:
                break
            at = sel_shell & (np.abs(t - c) < 1e-6)
            assert at.sum() == n
            assert m[0, j] == pytest.approx((ill[at] < 1.0).mean(), abs=1.0 / n + 1e-12)
            checked += 1
    assert checked >= 10


def test_rtt_timeline_matches_the_run_summary(net_run):
    run = D.open_run(net_run)
    rs = D.rtt_series(run)
    assert rs.stride == 1 and rs.t_s.size == run.n_steps
    for p, pair in enumerate(run.summary["network"]["pairs"]):
        r = rs.rtt_ms[:, p]
        assert rs.pairs[p].replace(" ", "") == f"{pair['src']},{pair['dst']}"
        assert np.nanmin(r) == pytest.approx(pair["rtt_ms_min"], abs=1e-3)
        assert np.nanmean(r) == pytest.approx(pair["rtt_ms_mean"], abs=1e-3)
        assert np.nanmax(r) == pytest.approx(pair["rtt_ms_max"], abs=1e-3)
        # a path change is marked only where the hop count or the RTT can have changed
        assert rs.changed[0, p] == False  # noqa: E712
        assert rs.changed[:, p].sum() >= (np.diff(rs.hops[:, p]) != 0).sum()


def test_in_view_counts_against_brute_force():
    rng = np.random.default_rng(3)
    start = rng.uniform(0, 100, 300)
    end = start + rng.uniform(0, 20, 300)
    t = np.concatenate([rng.uniform(-5, 125, 500), start[:20], end[:20]])
    brute = ((start[None, :] <= t[:, None]) & (t[:, None] <= end[None, :])).sum(axis=1)
    np.testing.assert_array_equal(D.interval_counts(start, end, t), brute)


def test_contact_gantt_and_fault_counts(net_run, net_report):
    figs = figures(net_report)
    gantt = find(figs, "Contact windows per station")
    ct = D.load_contacts(D.open_run(net_run))
    # each window is a segment start -> end [ms since 1970] on its station's row, NaN between windows
    x = np.concatenate([arr(tr["x"]) for tr in gantt["data"]])
    y = np.concatenate([arr(tr["y"]) for tr in gantt["data"]])
    assert x.size == 3 * len(ct)  # all windows drawn (below the cap)
    start_ms, end_ms = x[0::3], x[1::3]
    t0_ms = D.open_run(net_run).start_ns / 1e6
    np.testing.assert_allclose(np.sort(end_ms - start_ms), np.sort((ct.end_s - ct.start_s) * 1000.0), atol=1e-3)
    np.testing.assert_allclose(np.sort(start_ms - t0_ms), np.sort(ct.start_s * 1000.0), atol=1e-3)
    stations = gantt["layout"]["yaxis"]["ticktext"]
    rows = y[0::3].astype(int)
    assert sorted(stations[r] for r in rows) == sorted(ct.station.tolist())
    faults = pq.read_table(net_run / "faults.parquet")
    cum = find(figs, "Cumulative fault events")
    kinds = faults["kind"].cast("string").to_pylist()
    for tr in cum["data"]:
        kind = tr["name"].split(" (")[0]
        assert arr(tr["y"])[-1] == kinds.count(kind)
    assert sum(arr(tr["y"])[-1] for tr in cum["data"]) == faults.num_rows


def test_sections_absent_without_their_inputs(plain_run, tmp_path):
    page = build_report(plain_run, tmp_path / "p.html").read_text("utf-8")
    assert sections(page) == ["summary", "fleet"]
    assert "--record 10min" in page and "--no-eclipses" in page  # says what is not shown and why
    with pytest.raises(OrbitcloudError, match="--color soc: needs timeseries.parquet"):
        build_report(plain_run, tmp_path / "q.html", color="soc")


def test_time_option_moves_the_globe(net_run, tmp_path):
    run = D.open_run(net_run)
    page = build_report(net_run, tmp_path / "t.html", time="2026-03-20T00:20:00Z", color="temperature").read_text(
        "utf-8"
    )
    globe = find(figures(page), "Fleet at 2026-03-20T00:20:00Z")
    ts = pq.read_table(net_run / "timeseries.parquet", columns=["time", "satellite", "t_k"])
    rows = ts.filter(pc.equal(pc.cast(ts["time"], "int64"), int(run.time_ns(1200.0)))).sort_by("satellite")
    np.testing.assert_allclose(
        arr(trace(globe, "satellites")["marker"]["color"]), rows["t_k"].to_numpy() - 273.15, atol=1e-4
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--color", "heat"], "--color: 'heat' is not one of illumination, soc, temperature, utilisation"),
        (["--time", "2026-03-21T00:00:00Z"], "--time: '2026-03-21T00:00:00Z' is outside the run window"),
        (["--time", "noon"], "--time: 'noon' is not an ISO 8601 UTC time"),
        (["--sample", "0"], "--sample: must be at least 1, got 0"),
    ],
)
def test_cli_bad_input_is_one_line(net_run, tmp_path, capsys, args, message):
    assert main(["report", str(net_run), "--out", str(tmp_path / "x.html"), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_cli_not_a_run_directory(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no summary.json" in err


def test_run_report_flag_writes_the_report(tmp_path, capsys):
    """`orbitcloud run ... --out DIR --report` writes DIR/report.html; --report alone is refused."""
    from orbitcloud.cli import main

    out = tmp_path / "r"
    assert main(["run", "three-body-12", "--duration", "2h", "--out", str(out), "--report"]) == 0
    html = (out / "report.html").read_text("utf-8")
    assert "three-body-12" in html and "plotly" in html.lower()
    capsys.readouterr()
    assert main(["run", "three-body-12", "--report"]) == 2
    assert "--report: needs --out" in capsys.readouterr().err
