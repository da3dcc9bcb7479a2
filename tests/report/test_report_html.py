"""The HTML report: sections present exactly when their inputs exist, offline, and every drawn number
checked against an independent reading of the run directory."""

from __future__ import annotations

import html
import json
import math
import re

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
#: Display rounding of the header: a number shown with d significant digits is within half a unit of its
#: last digit, at most 5 x 10^-d of the value (relative to the smallest d-digit mantissa, 1.00...).
SIG3_REL = 5e-3
SIG4_REL = 5e-4
SIG5_REL = 5e-5
#: Table cells with a fixed number of decimals: half a unit of the last one.
HALF_DEGREE_TENTH = 0.05
HALF_KM = 0.5
#: Sun-synchronous inclination, first-order J2 closed form cos i = -(2 a^2 / (3 J2 Re^2)) (rho_dot / n)
#: (circular orbit; Vallado, Fundamentals of Astrodynamics, sun-synchronous orbits) with WGS-84 Re, mu
#: and J2. The fleet refines it on SGP4's full secular node rate (J2^2, J4; docs/scenario.md,
#: "Sun-synchronous geometry": 97.43 deg at 500 km, 98.01 deg at 650 km); against the first-order form
#: that is +0.025 deg at 650 km and +0.028 deg at 500 km (measured): bound 0.05 deg on top of the rounding.
J2 = 1.08262668e-3
MU_M3_S2 = 3.986004418e14
RE_M = 6378137.0
RHO_DOT_RAD_S = 2.0 * math.pi / (365.2421897 * 86400.0)  # one revolution per tropical year
SSO_MODEL_DEG = 0.05
#: SGP4's osculating radius against the mean semi-major axis in LEO: J2 short-period terms of order
#: (3/2) J2 Re^2 / a ~ 10 km; bound [km].
SGP4_SHORT_PERIOD_KM = 25.0

_CARD = re.compile(r'<div class="card"><div class="l">(.*?)</div><div class="v">(.*?)</div><div class="n">(.*?)</div></div>')
_PREFIX = {"n": 1e-9, "µ": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
           "Z": 1e21, "Y": 1e24}


def _cards(page: str) -> dict[str, tuple[str, str]]:
    """The header's key-number cards: label -> (value, note), HTML entities decoded."""
    out = {html.unescape(lab): (html.unescape(v), html.unescape(n)) for lab, v, n in _CARD.findall(page)}
    assert out, "no key-number cards in the page"
    return out


def _number(text: str) -> float:
    """The first number in ``text`` ("2,093 s" -> 2093.0, "1.2e+11" -> 1.2e11)."""
    m = re.search(r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?", text)
    assert m, text
    return float(m.group(0).replace(",", ""))


def _si(text: str, unit: str) -> float:
    """A value written with an SI prefix, e.g. ``_si("3.54 MWh", "Wh")`` -> 3.54e6."""
    m = re.fullmatch(r"\s*([-+]?[\d.]+(?:e[-+]?\d+)?) (\S*)" + re.escape(unit) + r"\s*", text)
    assert m, (text, unit)
    return float(m.group(1)) * _PREFIX[m.group(2)]


def _pct(text: str) -> float:
    m = re.search(r"([-+]?[\d.]+(?:e[-+]?\d+)?)%", text)
    assert m, text
    return float(m.group(1)) / 100.0


def _rows(page: str, first_header: str) -> list[list[str]]:
    """Body rows of the table whose first column header is ``first_header``."""
    i = page.index(f"<thead><tr><th>{first_header}</th>")
    body = page[page.index("<tbody>", i) + 7 : page.index("</tbody>", i)]
    return [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", r)] for r in re.findall(r"<tr>(.*?)</tr>", body)]


def _satellites(run_dir) -> dict[str, np.ndarray]:
    t = pq.read_table(run_dir / "satellites.parquet")
    return {c: np.asarray(t[c].to_pylist()) if c in ("shell", "name") else t[c].to_numpy() for c in t.column_names}


def _check_header_cards(page: str, run_dir) -> dict:
    """The key numbers against an independent reading of the run directory: satellites.parquet (one row
    per satellite), scenario.yaml, faults.parquet, contacts.csv; summary.json where nothing else has it."""
    import yaml

    summary = json.loads((run_dir / "summary.json").read_text())
    scen = yaml.safe_load((run_dir / "scenario.yaml").read_text())
    sats = _satellites(run_dir)
    n = sats["satellite"].size
    c = _cards(page)
    assert f"<h1>orbitcloud run report: {html.escape(scen['name'])}</h1>" in page
    assert int(c["satellites"][0].replace(",", "")) == n
    assert c["satellites"][1] == f"{len(scen['constellation'])} shell(s)"
    # the window: the run's duration (scenario or --duration), N = ceil(duration / step) samples
    want_s = float(summary["duration_s"])
    unit_s = {"d": 86400.0, "h": 3600.0, "min": 60.0, "s": 1.0}[c["window"][0].split()[-1]]
    assert _number(c["window"][0]) * unit_s == pytest.approx(want_s, rel=SIG4_REL)
    step_s = float(summary["step_s"])
    assert summary["steps"] == math.ceil(want_s / step_s)  # docs/scenario.md: N = ceil(duration / step)
    assert c["window"][1] == f"{summary['steps']:,} steps of {step_s:g} s, {summary['propagator']}"
    # sunlit fraction: the mean of the per-satellite fractions (every sample valid, equal weights)
    assert _pct(c["sunlit fraction"][0]) == pytest.approx(sats["sunlit_fraction"].mean(), rel=SIG3_REL)
    assert _number(c["sunlit fraction"][1]) == pytest.approx(summary["eclipses_per_satellite_day"], rel=SIG3_REL)
    worst = int(np.argmax(sats["longest_eclipse_s"]))
    assert _number(c["longest eclipse"][0]) == pytest.approx(sats["longest_eclipse_s"][worst], rel=SIG4_REL)
    assert c["longest eclipse"][1] == (sats["name"][worst] if sats["longest_eclipse_s"][worst] > 0 else "")
    if summary.get("bus"):
        gen_j = sats["energy_generated_j"].sum()
        assert _si(c["energy generated"][0], "Wh") == pytest.approx(gen_j / 3600.0, rel=SIG3_REL)
        used, curtailed = c["energy generated"][1].split(", ")
        assert _si(used.removeprefix("used "), "Wh") == pytest.approx(sats["energy_used_j"].sum() / 3600.0, rel=SIG3_REL)
        assert _pct(curtailed) == pytest.approx(sats["energy_curtailed_j"].sum() / gen_j, rel=SIG3_REL)
        b = summary["bus"]
        assert _si(c["compute delivered"][0], "OP") == pytest.approx(b["compute_delivered_ops"], rel=SIG3_REL)
        assert _pct(c["compute delivered"][1]) == pytest.approx(b["compute_delivered_fraction"], rel=SIG3_REL)
        assert _pct(c["battery"][0]) == pytest.approx(b["soc_min"], rel=SIG3_REL)
        t_lo, t_hi = (float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", c["battery"][1]))
        assert t_lo == pytest.approx(sats["temperature_min_k"].min() - 273.15, rel=SIG3_REL)
        assert t_hi == pytest.approx(sats["temperature_max_k"].max() - 273.15, rel=SIG3_REL)
    else:
        assert "energy generated" not in c and "battery" not in c
    if summary.get("radiation"):
        # every satellite carries devices here: the fleet availability is the per-satellite mean
        assert _pct(c["accelerator availability"][0]) == pytest.approx(sats["accelerator_availability"].mean(),
                                                                         rel=SIG5_REL)
        events, lost = c["accelerator availability"][1].split(", ")
        assert int(_number(events)) == pq.read_table(run_dir / "faults.parquet").num_rows
        assert int(_number(lost)) == int(sats["devices_lost"].sum())
    else:
        assert "accelerator availability" not in c
    net = scen.get("network")
    if summary.get("network") and net:
        assert c["network"][0] == (net.get("isl") or {}).get("topology", "none")  # schema default "none"
        import csv

        with open(run_dir / "contacts.csv", newline="") as fh:
            n_contacts = sum(1 for _ in csv.DictReader(fh))
        assert c["network"][1].endswith(f", {n_contacts:,} contacts")
        stations = scen["ground"]["stations"]  # inline here (a CSV path would be counted from the file)
        assert isinstance(stations, list)
        assert c["downlink"][1].startswith(f"{len(stations)} stations; ")
        assert _si(c["downlink"][0], "B/day") == pytest.approx(summary["network"]["downlink_bytes_per_day"], rel=SIG3_REL)
    else:
        assert "network" not in c
    return summary


def _check_shell_table(page: str, run_dir) -> None:
    """One row per shell: name, kind, count, altitude and inclination as the scenario gives them (SSO
    inclination from the closed form), sunlit share as the mean over its satellites."""
    import yaml

    scen = yaml.safe_load((run_dir / "scenario.yaml").read_text())
    sats = _satellites(run_dir)
    rows = _rows(page, "shell")
    assert len(rows) == len(scen["constellation"])
    for row, shell in zip(rows, scen["constellation"]):
        name, kind, count, alt, inc, sunlit = row[:6]
        sel = sats["shell"] == shell["name"]
        assert (name, kind) == (shell["name"], shell["kind"])
        assert int(count.replace(",", "")) == sel.sum() == shell.get("planes", 1) * shell["sats_per_plane"]
        assert float(alt) == pytest.approx(shell["altitude_km"], abs=HALF_KM)
        if shell["kind"] == "walker":
            want_inc = shell["inclination_deg"]
        else:
            a = RE_M + shell["altitude_km"] * 1e3
            n_rad_s = math.sqrt(MU_M3_S2 / a**3)
            want_inc = math.degrees(math.acos(-2.0 * a**2 * RHO_DOT_RAD_S / (3.0 * J2 * RE_M**2 * n_rad_s)))
        bound_deg = HALF_DEGREE_TENTH + (0.0 if shell["kind"] == "walker" else SSO_MODEL_DEG)
        assert float(inc) == pytest.approx(want_inc, abs=bound_deg)
        assert _pct(sunlit) == pytest.approx(sats["sunlit_fraction"][sel].mean(), rel=SIG3_REL)


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


def test_header_key_numbers_are_the_runs(net_report, net_run):
    """Every key-number card and the shell table show the run's figures (read independently of the
    report from the run directory), within the rounding of their display."""
    _check_header_cards(net_report, net_run)
    _check_shell_table(net_report, net_run)
    assert "All 150 satellites are drawn." in net_report


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
    summary = _check_header_cards(page, plain_run)  # no radiation or network cards, the rest the run's
    assert summary["radiation"] is None and summary["network"] is None
    _check_shell_table(page, plain_run)
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
    page = (out / "report.html").read_text("utf-8")
    assert page.count("* plotly.js v") == 1
    # the page is this run's: its header figures and its globe carry the run's numbers
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "three-body-12" and summary["duration_s"] == 7200.0  # --duration 2h
    _check_header_cards(page, out)
    globe = trace(find(figures(page), "Fleet at"), "satellites")
    pos_km = np.stack([arr(globe[k]) for k in "xyz"], axis=1).astype(np.float64)
    sats = _satellites(out)
    assert pos_km.shape == (sats["satellite"].size, 3) == (12, 3)
    # each drawn radius is the satellite's semi-major axis from its mean motion (Kepler's third law,
    # a = (mu / n^2)^(1/3)) within SGP4's short-period terms and the eccentricity (J2: ~10 km in LEO)
    n_rad_s = sats["mean_motion_rev_per_day"] * 2.0 * math.pi / 86400.0
    a_km = (MU_M3_S2 / n_rad_s**2) ** (1.0 / 3.0) / 1000.0
    spread_km = a_km * sats["eccentricity"] + SGP4_SHORT_PERIOD_KM
    assert (np.abs(np.linalg.norm(pos_km, axis=1) - a_km) <= spread_km).all()
    capsys.readouterr()
    assert main(["run", "three-body-12", "--report"]) == 2
    assert "--report: needs --out" in capsys.readouterr().err
