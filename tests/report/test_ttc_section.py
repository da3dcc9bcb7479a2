"""The report's TT&C section on a real TT&C run (three-body-12, 3 h, commands, tight limits that raise
alarms and an onboard safe-mode rule), every drawn number checked against summary.json and the TT&C
files read independently; a run without TT&C has no TT&C section; the drawings stay bounded."""

from __future__ import annotations

import html
import re

import numpy as np
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import yaml
from report_helpers import arr, figures, find, sections

from orbitcloud.cli import main
from orbitcloud.report import build_report
from orbitcloud.report import data as D
from orbitcloud.report.common import MAX_GANTT_BARS, pct
from orbitcloud.report.data.ttc import (
    MAX_FRESHNESS_POINTS,
    TtcContacts,
    TtcEvents,
    bin_series,
)
from orbitcloud.report.sections import ttc as S
from orbitcloud.scenario import builtin_text

#: The scenario's TT&C section: commands (direct and time-tagged), limits that the battery and the
#: temperature cross in 3 h (three-body-12's SoC goes below 0.9 in eclipse, nodes run at 14-20 °C),
#: and safe mode below 0.8 SoC.
TTC = {
    "antennas": 1,
    "limits": {
        "soc": {"red_low": 0.8, "yellow_low": 0.9},
        "temperature_c": {"yellow_high": 17.0, "red_high": 19.0},
    },
    "autonomy": {"safe_mode_soc": 0.8, "recover_soc": 0.85},
    "commands": [
        {
            "at": "10min",
            "satellite": "three-body-0003",
            "command": "power_cap",
            "params": {"fraction": 0.5},
        },
        {"at": "20min", "satellite": 5, "command": "ping"},
        {
            "at": "30min",
            "satellite": "three-body-0007",
            "command": "safe_mode",
            "params": {"on": 1},
            "time_tag": "2h",
        },
        {
            "at": "1h",
            "satellite": "three-body-0001",
            "command": "set_hk_interval",
            "params": {"interval_s": 120},
        },
        {"at": "90min", "satellite": "three-body-0010", "command": "reboot"},
    ],
}


@pytest.fixture(scope="module")
def ttc_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("ttc")
    text = builtin_text("three-body-12")
    text = text[
        : text.index("\nworkloads:")
    ]  # workloads are not drawn here; keeps the run short
    assert "\nduration: 1d\n" in text and "\nname: three-body-12\n" in text
    text = text.replace("\nduration: 1d\n", "\nduration: 3h\n").replace(
        "\nname: three-body-12\n", "\nname: report-ttc\n"
    )
    path = base / "ttc.yaml"
    path.write_text(text + "\n" + yaml.safe_dump({"ttc": TTC}, sort_keys=False))
    out = base / "run"
    assert main(["run", str(path), "--out", str(out), "--json"]) == 0
    page = build_report(out).read_text("utf-8")
    return out, page


def _section(page: str) -> str:
    m = re.search(r'<section id="ttc">(.*?)</section>', page, re.S)
    assert m, "no TT&C section"
    return m.group(1)


def _table_after(text: str, heading: str) -> list[list[str]]:
    """The body rows of the first table after ``<h3>heading``, cells unescaped."""
    i = text.index(f"<h3>{heading}")
    body = re.search(r"<tbody>(.*?)</tbody>", text[i:], re.S).group(1)
    return [
        [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", r, re.S)]
        for r in re.findall(r"<tr>(.*?)</tr>", body)
    ]


def _columns(path) -> dict[str, np.ndarray]:
    """A parquet file's columns as numpy (strings as object arrays, nulls as None or NaN)."""
    t = pq.read_table(path)
    out = {}
    for name in t.column_names:
        col = t.column(name)
        if str(col.type) in ("string", "large_string"):
            out[name] = np.asarray(col.to_pylist(), dtype=object)
        elif str(col.type).startswith(("double", "float")):
            out[name] = np.asarray(
                [np.nan if v is None else v for v in col.to_pylist()], dtype=np.float64
            )
        else:
            out[name] = col.to_numpy(zero_copy_only=False)
    return out


def _bars(fig: dict, prefix: str) -> int:
    """Bars (NaN-separated line segments) of the traces whose name starts with ``prefix``."""
    n = 0
    for tr in fig["data"]:
        if tr["name"].startswith(prefix):
            x = arr(tr["x"]).astype(np.float64)
            n += int(np.isfinite(x[0::3]).sum())
    return n


def test_section_present_with_key_numbers(ttc_run):
    out, page = ttc_run
    summary = D.open_run(out).summary["ttc"]
    assert summary is not None
    secs = sections(page)
    assert "ttc" in secs and secs.index("ttc") == secs.index("network") + 1
    assert '<a href="#ttc">TT&amp;C</a>' in page
    sec = _section(page)
    # per shell: the summary's figures, formatted as the page formats them
    rows = _table_after(sec, "Per shell")
    assert len(rows) == len(summary["shells"])
    for row, sh in zip(rows, summary["shells"], strict=True):
        assert row[0] == sh["shell"] and row[1] == f"{sh['satellites']:,}"
        assert row[2] == pct(sh["commandable_direct_fraction"])
        assert row[3] == pct(sh["commandable_with_relays_fraction"])
        assert row[4] == S.duration(sh["command_latency_direct_p50_s"])
        assert row[7] == S.duration(sh["command_latency_relay_p99_s"])
        assert row[10] == S.duration(sh["telemetry_age_p50_s"]) and row[
            12
        ] == S.duration(sh["telemetry_age_max_s"])
    # per station: antennas, passes, served, unserved, utilisation
    rows = _table_after(sec, "Per station")
    assert [r[0] for r in rows] == [s["station"] for s in summary["stations"]]
    for row, st in zip(rows, summary["stations"], strict=True):
        assert row[1:5] == [
            f"{st[k]:,}" for k in ("antennas", "passes", "served", "unserved")
        ]
        assert row[5] == pct(st["antenna_utilisation"])
    totals = dict(_table_after(sec, "Totals"))
    for key, label in (
        ("packets_rejected", "packets rejected onboard"),
        ("alarms_raised", "alarms raised"),
        ("autonomy_actions", "onboard actions"),
        ("telemetry_packets_lost", "telemetry packets lost"),
        ("commands", "commands sent"),
    ):
        assert totals[label] == f"{summary[key]:,}"
    n_tel = pq.ParquetFile(out / "ttc_telemetry.parquet").metadata.num_rows
    assert totals["ground archive rows (ttc_telemetry.parquet)"] == f"{n_tel:,}"


def test_contact_plan_by_antenna(ttc_run):
    out, page = ttc_run
    summary = D.open_run(out).summary["ttc"]
    plan = pcsv.read_csv(out / "contacts.csv")
    served = np.asarray(plan.column("served").to_pylist(), dtype=bool)
    assert len(served) <= MAX_GANTT_BARS
    fig = find(figures(page), "TT&C contact plan per station")
    # every pass drawn once: served ones on their antenna's trace, unserved ones in grey
    assert (
        _bars(fig, "antenna")
        == served.sum()
        == sum(s["served"] for s in summary["stations"])
    )
    assert _bars(fig, "unserved") == (~served).sum() == summary["passes_unserved"]
    antenna = plan.column("antenna").to_numpy()
    for a in np.unique(antenna[served]):
        assert _bars(fig, f"antenna {a + 1} (") == (antenna[served] == a).sum()
    assert fig["layout"]["yaxis"]["ticktext"] == [
        s["station"] for s in summary["stations"]
    ]
    assert f"{len(served):,} passes" in fig["layout"]["title"]["text"]


def test_latency_and_freshness(ttc_run):
    out, page = ttc_run
    figs = figures(page)
    cmd = _columns(out / "ttc_commands.parquet")
    lat = cmd["completed_s"] - cmd["issued_s"]
    done = np.isfinite(lat)
    assert done.any(), list(
        zip(cmd["command"], cmd["status"], cmd["reason"], strict=True)
    )
    hist = find(figs, "Command latency, issued → completed")
    assert (
        f"({done.sum():,} of {lat.size:,} commands completed)"
        in hist["layout"]["title"]["text"]
    )
    for tr in hist["data"]:
        path = tr["name"].split(" (")[0]
        assert arr(tr["y"]).sum() == (done & (cmd["path"] == path)).sum()
        assert (
            f"median {S.duration(float(np.median(lat[done & (cmd['path'] == path)])))}"
            in tr["name"]
        )
    assert sum(arr(tr["y"]).sum() for tr in hist["data"]) == done.sum()
    fr = _columns(out / "ttc_freshness.parquet")
    age = find(figs, "Telemetry age on the ground per shell")
    scale = {"age [min]": 60.0, "age [h]": 3600.0}[
        age["layout"]["yaxis"]["title"]["text"]
    ]
    share = find(figs, "Commandable share per shell")
    shells = sorted(set(fr["shell"].tolist()))
    assert shells == [s["shell"] for s in D.open_run(out).summary["ttc"]["shells"]]
    for name in shells:
        g = np.flatnonzero(fr["shell"] == name)
        g = g[np.argsort(fr["t_s"][g], kind="stable")]
        assert g.size <= MAX_FRESHNESS_POINTS  # drawn unbinned
        med = next(t for t in age["data"] if t["name"] == f"{name} median")
        np.testing.assert_allclose(
            arr(med["y"]) * scale, fr["age_p50_s"][g], rtol=1e-12
        )
        mx = next(t for t in age["data"] if t["name"] == f"{name} max")
        np.testing.assert_allclose(arr(mx["y"]) * scale, fr["age_max_s"][g], rtol=1e-12)
        rel = next(t for t in share["data"] if t["name"] == f"{name} with relays")
        np.testing.assert_allclose(arr(rel["y"]), fr["commandable_with_relays"][g])
        direct = next(t for t in share["data"] if t["name"] == f"{name} direct")
        np.testing.assert_allclose(arr(direct["y"]), fr["commandable_direct"][g])


def test_events_timeline_and_table(ttc_run):
    out, page = ttc_run
    summary = D.open_run(out).summary["ttc"]
    ev = _columns(out / "ttc_events.parquet")
    order = np.argsort(ev["t_s"], kind="stable")
    ev = {k: v[order] for k, v in ev.items()}
    n_ev = order.size
    assert (ev["kind"] == "alarm_raised").sum() == summary["alarms_raised"] > 0
    assert (ev["kind"] == "autonomy").sum() == summary["autonomy_actions"] > 0
    fig = find(figures(page), "Alarms, onboard actions, rejections and executions")
    assert f"({n_ev:,} events" in fig["layout"]["title"]["text"]
    for tr in fig["data"]:
        kind = tr["name"].split(" (")[0]
        n = int((ev["kind"] == kind).sum())
        assert (
            tr["name"] == f"{kind} ({n:,})" and len(tr["y"]) == n
        )  # all drawn: below the cap
        assert all(y == kind for y in tr["y"])
    assert sum(len(tr["y"]) for tr in fig["data"]) == n_ev
    sec = _section(page)
    rows = _table_after(sec, "Events")
    assert len(rows) == min(n_ev, S.MAX_EVENT_ROWS)
    run = D.open_run(out)
    names = run.fleet.names(ev["satellite"][: len(rows)])
    for j, (row, name) in enumerate(zip(rows, names, strict=True)):
        assert row[0] == D.iso_utc(run.time_ns(ev["t_s"][j]))
        assert row[2:6] == [
            name,
            ev["kind"][j],
            ev["parameter"][j] or "–",
            ev["level"][j] or "–",
        ]
    cmd_rows = _table_after(sec, "Commands")
    assert len(cmd_rows) == len(TTC["commands"])
    assert [r[2] for r in cmd_rows] == [c["command"] for c in TTC["commands"]]


def test_no_ttc_no_section(plain_run, tmp_path):
    page = build_report(plain_run, tmp_path / "p.html").read_text("utf-8")
    assert "ttc" not in sections(page) and 'id="ttc"' not in page
    assert "the run has no TT&amp;C layer" in page  # listed among what is not shown


def test_drawings_are_bounded(plain_run):
    run = D.open_run(plain_run)
    rng = np.random.default_rng(2)
    n = 3 * MAX_GANTT_BARS
    served = rng.random(n) < 0.7
    ct = TtcContacts(
        station=rng.choice(np.array(["A", "B", "C"], dtype=object), n),
        sat=rng.integers(0, 12, n),
        rise_s=rng.uniform(0, run.t_last_s, n),
        set_s=np.zeros(n),
        max_elevation_deg=rng.uniform(10, 90, n),
        antenna=np.where(served, rng.integers(0, 12, n), -1),
        served=served,
        reason=np.where(served, "", "busy").astype(object),
    )
    ct.set_s = ct.rise_s + 300.0
    fig = S.contact_plan_figure(run, ct, {"stations": []})
    drawn = sum(
        int(np.isfinite(np.asarray(tr.x, dtype=np.float64)[0::3]).sum())
        for tr in fig.data
    )
    assert drawn == MAX_GANTT_BARS
    assert (
        len(fig.data) == len(S.ANTENNA_COLORS) + 1
    )  # antennas past the palette share the last trace
    m = 4 * S.MAX_EVENT_POINTS
    ev = TtcEvents(
        t_s=np.sort(rng.uniform(0, run.t_last_s, m)),
        ground_s=np.full(m, np.nan),
        sat=rng.integers(0, 12, m),
        kind=rng.choice(np.array(["alarm_raised", "autonomy"], dtype=object), m),
        parameter=np.full(m, "soc", dtype=object),
        level=np.full(m, "red", dtype=object),
        value=rng.random(m),
        detail=np.full(m, "", dtype=object),
    )
    fig = S.event_figure(run, ev, {})
    assert sum(len(tr.y) for tr in fig.data) == S.MAX_EVENT_POINTS
    # freshness binning keeps the envelope: the maximum of the maximum, the mean of the rest
    t = np.arange(10_000.0)
    v = rng.random(t.size)
    tt, (mean, mx) = bin_series(t, [v, v], ["mean", "max"], 100)
    assert (
        tt.size == 100
        and mx.max() == v.max()
        and mean.mean() == pytest.approx(v.mean())
    )
