"""The run report: one self-contained HTML page of plotly figures built from a results directory.

``build_report(run_dir)`` reads what the run wrote (``docs/results.md``) and draws a section for
each input that exists (``docs/report.md``):

* header: scenario, window, key numbers from ``summary.json``, shells, findings, and what was drawn;
* the fleet at one time: a 3D globe (satellites coloured by illumination, state of charge,
  temperature or utilisation; ISLs and ground links from :mod:`orbitcloud.network.simulate`) and a
  ground-track map, from positions recomputed with the run's propagator
  (:class:`orbitcloud.report.data.RunDir`);
* timelines from ``timeseries.parquet`` (fleet power, state-of-charge percentile bands,
  temperatures, compute delivered against nameplate, utilisation and throttling);
* an eclipse calendar per shell from ``eclipses.csv``;
* network views: RTT over time for ``network.pairs`` with path changes marked (recomputed with
  :mod:`orbitcloud.network.routing`), contact Gantt chart and satellites in view from
  ``contacts.csv``, downlink per station from the summary;
* a fault timeline from ``faults.parquet``;
* workload views from ``requests.parquet``, ``workload_timeline.parquet`` and ``summary.workloads``.

The page embeds plotly.js once, from the installed plotly package (no network at view time), and
every figure as JSON; figures are drawn in order by ``Plotly.newPlot`` and the page records when
all are done (``document.body.dataset.rendered``, ``window.__orbitcloudRenderMs``), which the
browser test and ``benchmarks/report_1m.py`` read. Maps use Natural Earth coastlines shipped in
:mod:`orbitcloud.report.coastlines`, not plotly's geo traces (those fetch outlines from a CDN).
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.report import data as D
from orbitcloud.report.sample import DEFAULT_REPORT_SAMPLE, Sample, sample_satellites, spread

EARTH_RADIUS_KM = 6378.137
#: Contact windows drawn in the Gantt chart at most (evenly spread over the sorted windows).
MAX_GANTT_BARS = 20000
#: Colour classes of the Gantt chart by the window's highest elevation [deg]: (low, high, colour).
GANTT_CLASSES = ((0.0, 30.0, "#c7e9c0"), (30.0, 50.0, "#74c476"), (50.0, 70.0, "#31a354"), (70.0, 91.0, "#006d2c"))
#: Fault events drawn as points at most (the cumulative counts use all).
MAX_FAULT_POINTS = 5000
#: Links drawn on the globe at most.
MAX_LINKS = 20000
#: Stations drawn in the "satellites in view" chart (those with the most contact time).
MAX_VIEW_STATIONS = 12
#: Points of a time axis sampled from the run steps for derived series (satellites in view).
MAX_TIME_POINTS = 2000

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
#: Per-step Earth-observation volumes of workload_timeline.parquet, drawn as running sums.
EO_FLOWS = ("eo_captured_b", "eo_kept_b", "eo_discarded_b", "eo_downlinked_b", "eo_lost_b")
FAULT_COLORS = {
    "uecc": "#1f77b4",
    "sdc": "#d62728",
    "sefi": "#ff7f0e",
    "tid_degrade": "#bcbd22",
    "tid_fail": "#8c564b",
    "permanent": "#000000",
    "spare_in": "#2ca02c",
}


# --------------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------------


def si(value: float, unit: str, digits: int = 3) -> str:
    """``value`` with an SI prefix (``1.23 PW``)."""
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return f"0 {unit}"
    exp = int(math.floor(math.log10(abs(value)) / 3))
    exp = max(-3, min(exp, 8))
    prefix = {-3: "n", -2: "µ", -1: "m", 0: "", 1: "k", 2: "M", 3: "G", 4: "T", 5: "P", 6: "E", 7: "Z", 8: "Y"}[exp]
    return f"{value / 10 ** (3 * exp):.{digits}g} {prefix}{unit}"


def scale_for(values: np.ndarray, unit: str) -> tuple[float, str]:
    """A divisor and prefixed unit that put ``max(|values|)`` between 1 and 1000."""
    v = np.asarray(values, dtype=np.float64)
    peak = float(np.nanmax(np.abs(v))) if v.size and np.isfinite(v).any() else 0.0
    if peak <= 0:
        return 1.0, unit
    exp = max(0, min(8, int(math.floor(math.log10(peak) / 3))))
    return 10.0 ** (3 * exp), {0: "", 1: "k", 2: "M", 3: "G", 4: "T", 5: "P", 6: "E", 7: "Z", 8: "Y"}[exp] + unit


def fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return "–"
        if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
            return f"{v:.{digits}g}"
        return f"{v:,.{digits}g}" if abs(v) < 1e4 else f"{v:,.0f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {fmt(v, digits)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v, digits) for v in value)
    return str(value)


def pct(v: float | None, digits: int = 3) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{100 * v:.{digits}g}%"


TOP_LEGEND = dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0)


def _layout(title: str, height: int = 360, **kw) -> dict:
    base = dict(
        title=dict(text=title, x=0.01, xanchor="left", font=dict(size=15)),
        height=height,
        margin=dict(l=60, r=20, t=40, b=40),
        template="plotly_white",
        legend=dict(orientation="h", yanchor="top", y=-0.16, xanchor="left", x=0.0),
        hovermode="x unified",
    )
    base.update(kw)
    return base


class Section:
    """A titled block of the page: introduction HTML, figures, extra HTML."""

    def __init__(self, key: str, title: str, intro: str = "") -> None:
        self.key = key
        self.title = title
        self.intro = intro
        self.items: list[tuple[str, Any]] = []  # ("fig", figure) or ("html", text)

    def fig(self, figure) -> None:
        self.items.append(("fig", figure))

    def html(self, text: str) -> None:
        self.items.append(("html", text))


# --------------------------------------------------------------------------------------------------
# header
# --------------------------------------------------------------------------------------------------


def _cards(summary: dict) -> list[tuple[str, str, str]]:
    """(label, value, note) of the key numbers."""
    s = summary
    out = [
        ("satellites", fmt(s["satellites"]), f"{len(s['shells'])} shell(s)"),
        ("window", _duration(float(s["duration_s"])), f"{s['steps']:,} steps of {s['step_s']:g} s, {s['propagator']}"),
        (
            "sunlit fraction",
            pct(s.get("sunlit_fraction")),
            f"{fmt(s.get('eclipses_per_satellite_day'), 3)} eclipses per satellite-day",
        ),
        ("longest eclipse", f"{fmt(s.get('longest_eclipse_s'), 4)} s", str(s.get("longest_eclipse_satellite") or "")),
    ]
    b = s.get("bus")
    if b:
        gen = b.get("energy_generated_j") or 0.0
        out += [
            (
                "energy generated",
                si(gen / 3600.0, "Wh"),
                f"used {si((b.get('energy_used_j') or 0) / 3600.0, 'Wh')}, "
                f"curtailed {pct((b.get('energy_curtailed_j') or 0) / gen if gen else None)}",
            ),
            (
                "compute delivered",
                si(b.get("compute_delivered_ops") or 0.0, "OP"),
                f"{pct(b.get('compute_delivered_fraction'))} of nameplate {si(b.get('nameplate_ops_per_s') or 0.0, 'OP/s')}",
            ),
            (
                "battery",
                f"SoC min {pct(b.get('soc_min'))}",
                f"node {fmt(b.get('temperature_min_c'), 3)} .. {fmt(b.get('temperature_max_c'), 3)} °C",
            ),
        ]
    r = s.get("radiation")
    if r:
        ev = r.get("events") or {}
        out.append(
            (
                "accelerator availability",
                pct(r.get("availability"), 5),
                f"{sum(int(v) for v in ev.values()):,} fault events, {fmt(r.get('devices_lost'))} devices lost",
            )
        )
    n = s.get("network")
    if n:
        out.append(
            (
                "network",
                f"{n.get('isl_topology')}",
                f"{fmt(n.get('links_per_satellite_mean'), 3)} ISLs per satellite, {fmt(n.get('contacts'))} contacts",
            )
        )
        if n.get("stations"):
            out.append(
                (
                    "downlink",
                    si((n.get("downlink_bytes_per_day") or 0.0), "B/day"),
                    f"{n['stations']} stations; gateway delay mean {fmt(n.get('gateway_delay_ms_mean'), 3)} ms",
                )
            )
    w = s.get("workloads") or {}
    for key, label in (
        ("inference", "inference"),
        ("training", "training"),
        ("earth_observation", "Earth observation"),
    ):
        if isinstance(w.get(key), dict) and w[key]:
            first = list(w[key].items())[:2]
            out.append((label, fmt(first[0][1]), "; ".join(f"{k}: {fmt(v)}" for k, v in first)))
    return out


def _duration(seconds: float) -> str:
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{seconds / 86400:g} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.4g} h"
    if seconds >= 60:
        return f"{seconds / 60:.4g} min"
    return f"{seconds:g} s"


def _shell_table(summary: dict) -> str:
    head = [
        "shell",
        "kind",
        "satellites",
        "altitude km",
        "inclination °",
        "sunlit",
        "eclipses/day",
        "design",
        "compute delivered",
        "throttled P/T",
        "SoC min",
        "T °C",
    ]
    rows = []
    for s in summary["shells"]:
        b = s.get("bus") or {}

        def span(lo, hi, d):
            if lo is None:
                return "–"
            return f"{lo:.{d}f}" if hi is None or abs(hi - lo) < 10**-d else f"{lo:.{d}f}–{hi:.{d}f}"

        rows.append(
            [
                s["name"],
                s["kind"],
                fmt(s["satellites"]),
                span(s.get("mean_altitude_km_min"), s.get("mean_altitude_km_max"), 0),
                span(s.get("inclination_deg_min"), s.get("inclination_deg_max"), 1),
                pct(s.get("sunlit_fraction")),
                fmt(s.get("eclipses_per_satellite_day"), 3),
                b.get("design", "–"),
                pct(b.get("compute_delivered_fraction")),
                "–"
                if not b
                else f"{pct(b.get('throttled_fraction_power'))} / {pct(b.get('throttled_fraction_thermal'))}",
                pct(b.get("soc_min")),
                "–" if not b else f"{fmt(b.get('temperature_min_c'), 3)} .. {fmt(b.get('temperature_max_c'), 3)}",
            ]
        )
    return _table(head, rows)


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


# --------------------------------------------------------------------------------------------------
# the fleet at one time
# --------------------------------------------------------------------------------------------------


def _sphere_xyz(lon_deg: np.ndarray, lat_deg: np.ndarray, r_km: float) -> tuple[np.ndarray, ...]:
    lon, lat = np.radians(lon_deg), np.radians(lat_deg)
    return r_km * np.cos(lat) * np.cos(lon), r_km * np.cos(lat) * np.sin(lon), r_km * np.sin(lat)


def _sphere_mesh(r_km: float, n_lon: int = 48, n_lat: int = 25) -> tuple[np.ndarray, ...]:
    """Vertices (float32) and triangles (i, j, k) of a UV sphere; a mesh draws much faster than a
    plotly Surface in software WebGL."""
    lon = np.linspace(-np.pi, np.pi, n_lon, endpoint=False)
    lat = np.linspace(-np.pi / 2, np.pi / 2, n_lat)
    lo, la = np.meshgrid(lon, lat)
    x, y, z = (r_km * np.cos(la) * np.cos(lo), r_km * np.cos(la) * np.sin(lo), r_km * np.sin(la))
    idx = np.arange(n_lat * n_lon).reshape(n_lat, n_lon)
    a, b = idx[:-1], np.roll(idx[:-1], -1, axis=1)
    c, d = idx[1:], np.roll(idx[1:], -1, axis=1)
    i = np.concatenate([a.ravel(), b.ravel()])
    j = np.concatenate([b.ravel(), d.ravel()])
    k = np.concatenate([c.ravel(), c.ravel()])
    f32 = np.float32
    return (
        x.ravel().astype(f32),
        y.ravel().astype(f32),
        z.ravel().astype(f32),
        i.astype(np.int32),
        j.astype(np.int32),
        k.astype(np.int32),
    )


def _segments(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Line segments p[i] -> q[i] as one (3k, 3) array with NaN rows between them."""
    k = p.shape[0]
    out = np.full((3 * k, 3), np.nan, dtype=np.float32)
    out[0::3] = p
    out[1::3] = q
    return out


def _link_segments(run: D.RunDir, snap: D.FleetSnapshot) -> tuple[np.ndarray | None, np.ndarray | None, int, int]:
    """ISL and ground-link segments [km] touching a drawn satellite (capped at MAX_LINKS)."""
    lk = snap.links
    if lk is None:
        return None, None, 0, 0
    drawn = np.zeros(run.n_sat, bool)
    drawn[snap.sats] = True
    pos_km = lk.pos_m / 1000.0
    isl = np.flatnonzero(drawn[lk.isl_a] | drawn[lk.isl_b])
    isl = isl[spread(isl.size, MAX_LINKS)]
    isl_seg = _segments(pos_km[lk.isl_a[isl]], pos_km[lk.isl_b[isl]]) if isl.size else None
    gsl = np.flatnonzero(drawn[lk.gsl_sat])
    gsl_seg = None
    if gsl.size and run.stations is not None:
        st_km = run.stations.ecef_m / 1000.0
        gsl_seg = _segments(st_km[lk.gsl_station[gsl]], pos_km[lk.gsl_sat[gsl]])
    return isl_seg, gsl_seg, int(isl.size), int(gsl.size)


def _camera_eye(run: D.RunDir, snap: D.FleetSnapshot) -> dict:
    """Look from above the ground stations (their mean direction), else across the terminator (the
    Sun to the right, so both lit and shadowed satellites are in view)."""
    if run.stations is not None and len(run.stations):
        v = run.stations.ecef_m.mean(axis=0)
    else:
        v = np.array([snap.sun_m[1], -snap.sun_m[0], 0.0])
    n = float(np.linalg.norm(v))
    u = v / n if n > 0 else np.array([1.0, 0.0, 0.0])
    u = np.array([u[0], u[1], 0.6 * u[2] + 0.25])  # a little from the north, as maps are read
    u = u / np.linalg.norm(u) * 1.35
    return dict(x=float(u[0]), y=float(u[1]), z=float(u[2]))


def globe_figure(run: D.RunDir, snap: D.FleetSnapshot, names: list[str]):
    import plotly.graph_objects as go

    from orbitcloud.report.coastlines import coastlines_deg

    ex, ey, ez, ti, tj, tk = _sphere_mesh(EARTH_RADIUS_KM)
    traces = [
        go.Mesh3d(
            x=ex,
            y=ey,
            z=ez,
            i=ti,
            j=tj,
            k=tk,
            color="#dbe7f3",
            hoverinfo="skip",
            name="Earth",
            lighting=dict(ambient=0.85, diffuse=0.25, specular=0.0),
            flatshading=False,
        )
    ]
    clon, clat = coastlines_deg()
    cx, cy, cz = _sphere_xyz(clon, clat, EARTH_RADIUS_KM * 1.003)
    traces.append(
        go.Scatter3d(
            x=cx.astype(np.float32),
            y=cy.astype(np.float32),
            z=cz.astype(np.float32),
            mode="lines",
            line=dict(color="#5b6b7b", width=1.5),
            hoverinfo="skip",
            name="coastlines",
            showlegend=False,
        )
    )
    sun = snap.sun_m / np.linalg.norm(snap.sun_m) * EARTH_RADIUS_KM * 1.6
    traces.append(
        go.Scatter3d(
            x=[0, sun[0]],
            y=[0, sun[1]],
            z=[0, sun[2]],
            mode="lines",
            line=dict(color="#f2b100", width=5),
            hoverinfo="skip",
            name="Sun direction",
        )
    )
    isl_seg, gsl_seg, n_isl, n_gsl = _link_segments(run, snap)
    if isl_seg is not None:
        traces.append(
            go.Scatter3d(
                x=isl_seg[:, 0],
                y=isl_seg[:, 1],
                z=isl_seg[:, 2],
                mode="lines",
                connectgaps=False,
                line=dict(color="rgba(80,80,200,0.55)", width=2),
                hoverinfo="skip",
                name=f"ISLs ({n_isl:,})",
            )
        )
    if gsl_seg is not None:
        traces.append(
            go.Scatter3d(
                x=gsl_seg[:, 0],
                y=gsl_seg[:, 1],
                z=gsl_seg[:, 2],
                mode="lines",
                connectgaps=False,
                line=dict(color="rgba(0,150,60,0.9)", width=3),
                hoverinfo="skip",
                name=f"ground links ({n_gsl:,})",
            )
        )
    if run.stations is not None and len(run.stations):
        st = run.stations.ecef_m / 1000.0 * 1.002
        traces.append(
            go.Scatter3d(
                x=st[:, 0],
                y=st[:, 1],
                z=st[:, 2],
                mode="markers",
                text=list(run.stations.names),
                marker=dict(size=4, color="#006d2c", symbol="diamond"),
                name="ground stations",
                hovertemplate="%{text}<extra></extra>",
            )
        )
    _, label, rng = D.COLORS[snap.color]
    p = (snap.pos_m / 1000.0).astype(np.float32)
    marker = dict(
        size=3 if snap.sats.size > 2000 else 4,
        color=snap.values.astype(np.float32),
        colorscale="Viridis" if snap.color != "illumination" else [[0, "#1a1a4e"], [0.5, "#8a5a9e"], [1, "#ffd21f"]],
        colorbar=dict(title=dict(text=label, side="right"), len=0.7, thickness=14),
        line=dict(width=0),
    )
    if rng is not None:
        marker.update(cmin=rng[0], cmax=rng[1])
    traces.append(
        go.Scatter3d(
            x=p[:, 0],
            y=p[:, 1],
            z=p[:, 2],
            mode="markers",
            marker=marker,
            text=names,
            name="satellites",
            hovertemplate="%{text}<br>" + label + ": %{marker.color:.3g}<extra></extra>",
        )
    )
    axis = dict(visible=False, showbackground=False)
    when = D.iso_utc(run.time_ns(snap.t_s))
    note = (
        ""
        if abs(snap.values_t_s - snap.t_s) < 1e-6
        else f" (colour from the sample at {D.iso_utc(run.time_ns(snap.values_t_s))})"
    )
    fig = go.Figure(traces)
    fig.update_layout(
        _layout(
            f"Fleet at {when}{note}",
            height=640,
            hovermode="closest",
            legend=TOP_LEGEND,
            scene=dict(
                xaxis=axis,
                yaxis=axis,
                zaxis=axis,
                aspectmode="data",
                bgcolor="#0b1020",
                camera=dict(eye=_camera_eye(run, snap)),
            ),
            margin=dict(l=0, r=0, t=48, b=0),
            paper_bgcolor="white",
        )
    )
    return fig


def map_figure(run: D.RunDir, snap: D.FleetSnapshot, names: list[str]):
    import plotly.graph_objects as go

    from orbitcloud.report.coastlines import coastlines_deg

    clon, clat = coastlines_deg()
    traces = [
        go.Scatter(
            x=clon,
            y=clat,
            mode="lines",
            line=dict(color="#9aa5b1", width=1),
            hoverinfo="skip",
            showlegend=False,
            name="coastlines",
        )
    ]
    shell_names = run.shell_names
    for i, s in enumerate(snap.track_sats.tolist()):
        shell = int(run.shell_of[s])
        traces.append(
            go.Scatter(
                x=snap.track_lon_deg[i].astype(np.float32),
                y=snap.track_lat_deg[i].astype(np.float32),
                mode="lines",
                line=dict(color=PALETTE[shell % len(PALETTE)], width=1.2),
                opacity=0.8,
                name=f"track {shell_names[shell]}",
                legendgroup=f"shell{shell}",
                showlegend=i == int(np.flatnonzero(run.shell_of[snap.track_sats] == shell)[0]),
                hoverinfo="skip",
            )
        )
    _, label, rng = D.COLORS[snap.color]
    marker = dict(
        size=4 if snap.sats.size > 2000 else 6,
        color=snap.values.astype(np.float32),
        colorscale="Viridis" if snap.color != "illumination" else [[0, "#1a1a4e"], [0.5, "#8a5a9e"], [1, "#ffd21f"]],
        colorbar=dict(title=dict(text=label, side="right"), thickness=14),
        line=dict(width=0),
    )
    if rng is not None:
        marker.update(cmin=rng[0], cmax=rng[1])
    cls = go.Scatter  # SVG: a second WebGL context costs ~1 s in software rendering
    traces.append(
        cls(
            x=snap.lon_deg.astype(np.float32),
            y=snap.lat_deg.astype(np.float32),
            mode="markers",
            marker=marker,
            text=names,
            name="satellites",
            hovertemplate="%{text}<br>" + label + ": %{marker.color:.3g}<extra></extra>",
        )
    )
    if run.stations is not None and len(run.stations):
        traces.append(
            go.Scatter(
                x=np.degrees(run.stations.lon_rad),
                y=np.degrees(run.stations.lat_rad),
                mode="markers+text",
                text=list(run.stations.names),
                textposition="top center",
                name="ground stations",
                marker=dict(symbol="triangle-up", size=9, color="#006d2c"),
            )
        )
    span_min = (snap.track_t_s[-1] - snap.track_t_s[0]) / 60.0 if snap.track_t_s.size else 0.0
    fig = go.Figure(traces)
    fig.update_layout(
        _layout(
            f"Ground tracks ({snap.track_sats.size} satellites, ±{span_min / 2:.0f} min) and sub-satellite points",
            height=520,
            hovermode="closest",
            legend=TOP_LEGEND,
            xaxis=dict(
                range=[-180, 180], title="longitude [°]", dtick=30, showgrid=True, zeroline=False, constrain="domain"
            ),
            yaxis=dict(range=[-90, 90], title="latitude [°]", dtick=30, scaleanchor="x", scaleratio=1, zeroline=False),
        )
    )
    return fig


# --------------------------------------------------------------------------------------------------
# timelines
# --------------------------------------------------------------------------------------------------


def timeline_figures(run: D.RunDir, tl: D.Timeline) -> list:
    import plotly.graph_objects as go

    t = run.datetimes(tl.t_s)
    figs = []
    div, unit = scale_for(np.concatenate(list(tl.power_w.values())), "W")
    fig = go.Figure()
    for key, color in (
        ("generated", "#f2b100"),
        ("used", "#1f77b4"),
        ("compute", "#d62728"),
        ("heater", "#9467bd"),
        ("curtailed", "#7f7f7f"),
    ):
        fig.add_trace(go.Scatter(x=t, y=tl.power_w[key] / div, name=key, mode="lines", line=dict(color=color, width=2)))
    fig.add_trace(
        go.Scatter(
            x=t,
            y=tl.sunlit_fraction,
            name="mean illumination",
            yaxis="y2",
            mode="lines",
            line=dict(color="#f2b100", dash="dot", width=1),
        )
    )
    fig.update_layout(
        _layout(
            "Fleet power (sum over all satellites)",
            yaxis=dict(title=f"power [{unit}]"),
            yaxis2=dict(
                title="mean illumination",
                overlaying="y",
                side="right",
                range=[0, 1.02],
                showgrid=False,
                tickmode="linear",
                tick0=0,
                dtick=0.25,
            ),
        )
    )
    figs.append(fig)

    figs.append(
        _band_figure(
            t,
            tl.soc_q * 100.0,
            "Battery state of charge (all satellites with hardware)",
            "state of charge [%]",
            "#2ca02c",
            extra=[
                (
                    "lowest at any step (summary)",
                    100.0 * (run.summary.get("bus") or {}).get("soc_min", np.nan)
                    if (run.summary.get("bus") or {}).get("soc_min") is not None
                    else None,
                    "#d62728",
                )
            ],
        )
    )
    limits = [(f"limit {name}", v, "#d62728") for name, v in tl.t_limit_c.items()]
    fig = _band_figure(
        t,
        tl.t_node_c_q,
        "Node temperatures (all satellites with hardware)",
        "temperature [°C]",
        "#d62728",
        extra=limits[:5],
    )
    fig.add_trace(
        go.Scatter(
            x=t, y=tl.t_array_c_median, name="array median", mode="lines", line=dict(color="#ff7f0e", dash="dot")
        )
    )
    figs.append(fig)

    div, unit = scale_for(
        np.array([tl.nameplate_ops_per_s, np.nanmax(tl.delivered_ops_per_s) if tl.delivered_ops_per_s.size else 0]),
        "OP/s",
    )
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=t,
            y=tl.delivered_ops_per_s / div,
            name="delivered",
            mode="lines",
            fill="tozeroy",
            line=dict(color="#1f77b4", width=2),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=t,
            y=np.full(t.size, tl.nameplate_ops_per_s / div),
            name="nameplate",
            mode="lines",
            line=dict(color="#000", dash="dash"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=t,
            y=np.full(t.size, tl.target_ops_per_s / div),
            name="utilisation target",
            mode="lines",
            line=dict(color="#7f7f7f", dash="dot"),
        )
    )
    fig.update_layout(
        _layout(
            "Compute delivered vs nameplate (dense peak at each shell's precision)",
            yaxis=dict(title=f"[{unit}]", rangemode="tozero"),
        )
    )
    figs.append(fig)

    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=t,
            y=100 * tl.throttled_power,
            name="throttled by power",
            stackgroup="thr",
            mode="lines",
            line=dict(color="#ff7f0e"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=t,
            y=100 * tl.throttled_thermal,
            name="throttled by temperature",
            stackgroup="thr",
            mode="lines",
            line=dict(color="#d62728"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=t, y=100 * tl.utilisation_mean, name="mean utilisation", mode="lines", line=dict(color="#1f77b4", width=2)
        )
    )
    fig.update_layout(
        _layout(
            "Utilisation and throttling (share of satellites with hardware)", yaxis=dict(title="[%]", range=[0, 101])
        )
    )
    figs.append(fig)
    return figs


def _band_figure(t, q: np.ndarray, title: str, ytitle: str, color: str, extra=()):
    """Percentile bands: min–max, 5–95, 25–75 and the median (rows of q follow D.BAND_PERCENTILES)."""
    import plotly.graph_objects as go

    rgb = tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))
    fig = go.Figure()
    for lo, hi, alpha, name in ((0, 6, 0.12, "min–max"), (1, 5, 0.22, "5–95 %"), (2, 4, 0.35, "25–75 %")):
        fig.add_trace(
            go.Scatter(
                x=t, y=q[lo], mode="lines", line=dict(width=0), showlegend=False, hoverinfo="skip", legendgroup=name
            )
        )
        fig.add_trace(
            go.Scatter(
                x=t,
                y=q[hi],
                mode="lines",
                line=dict(width=0),
                fill="tonexty",
                name=name,
                fillcolor=f"rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha})",
                legendgroup=name,
                hovertemplate=f"{name}: %{{y:.3g}}<extra></extra>",
            )
        )
    fig.add_trace(go.Scatter(x=t, y=q[3], mode="lines", name="median", line=dict(color=color, width=2)))
    for name, value, c in extra:
        if value is not None and math.isfinite(value):
            fig.add_trace(
                go.Scatter(
                    x=[t[0], t[-1]], y=[value, value], mode="lines", name=name, line=dict(color=c, dash="dash", width=1)
                )
            )
    fig.update_layout(_layout(title, yaxis=dict(title=ytitle)))
    return fig


# --------------------------------------------------------------------------------------------------
# eclipses, network, faults, workloads
# --------------------------------------------------------------------------------------------------


def eclipse_figure(cal: D.EclipseCalendar):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    n = len(cal.shells)
    rows_px = 40 + 16 * len(cal.days)
    fig = make_subplots(
        rows=n,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.08, 0.3 / max(n, 1)),
        subplot_titles=[name for name, _ in cal.shells],
    )
    for i, (name, m) in enumerate(cal.shells):
        fig.add_trace(
            go.Heatmap(
                z=m.astype(np.float32),
                x=cal.tod_h,
                y=cal.days,
                zmin=0,
                zmax=1,
                colorscale="Cividis_r",
                showscale=i == 0,
                colorbar=dict(title=dict(text="fraction in eclipse", side="right"), thickness=14),
                hovertemplate=name + "<br>%{y} %{x:.2f} h UTC: %{z:.3f} in eclipse<extra></extra>",
            ),
            row=i + 1,
            col=1,
        )
    fig.update_xaxes(title_text="time of day [h UTC]", row=n, col=1, range=[0, 24], dtick=2)
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_layout(
        _layout(
            f"Eclipse calendar per shell ({cal.bin_s / 60:g}-min bins; {cal.eclipses:,} eclipses, all satellites)",
            height=min(2400, 80 + n * rows_px + 40 * n),
            hovermode="closest",
        )
    )
    return fig


def rtt_figure(run: D.RunDir, rs: D.RttSeries):
    import plotly.graph_objects as go

    t = run.datetimes(rs.t_s)
    fig = go.Figure()
    for p, name in enumerate(rs.pairs):
        c = PALETTE[p % len(PALETTE)]
        fig.add_trace(
            go.Scatter(
                x=t,
                y=rs.rtt_ms[:, p],
                name=name.replace(",", " – "),
                mode="lines",
                line=dict(color=c, width=2),
                customdata=rs.hops[:, p],
                hovertemplate="%{y:.2f} ms, %{customdata} hops",
            )
        )
        k = np.flatnonzero(rs.changed[:, p])
        if k.size:
            fig.add_trace(
                go.Scatter(
                    x=t[k],
                    y=rs.rtt_ms[k, p],
                    mode="markers",
                    name=f"path change ({k.size})",
                    marker=dict(symbol="x", size=7, color=c),
                    legendgroup=name,
                    hoverinfo="skip",
                )
            )
    cad = rs.stride * run.step_s
    fig.update_layout(
        _layout(
            f"Round-trip time between station pairs (every {cad:g} s; × marks a path change)",
            yaxis=dict(title="RTT [ms]"),
        )
    )
    return fig


def contact_figures(run: D.RunDir, ct: D.ContactTable) -> list:
    import plotly.graph_objects as go

    figs = []
    order = np.lexsort((ct.start_s, ct.station))
    pick = order[spread(order.size, MAX_GANTT_BARS)]
    stations = sorted(set(ct.station.tolist()))
    row = {name: i for i, name in enumerate(stations)}
    y_of = np.array([row[name] for name in ct.station[pick]], dtype=np.float64)
    capped = "" if pick.size == len(ct) else f"; {pick.size:,} of {len(ct):,} windows drawn, evenly spread"
    # one thick NaN-separated line per elevation class: a few SVG paths instead of a rectangle per window
    t0_ms = run.start_ns / 1e6
    fig = go.Figure()
    width = max(3, min(18, int(0.6 * (min(1400, 140 + 30 * len(stations)) - 120) / max(len(stations), 1))))
    for lo, hi, color in GANTT_CLASSES:
        sel = (ct.max_elevation_deg[pick] >= lo) & (ct.max_elevation_deg[pick] < hi)
        k = pick[sel]
        if not k.size:
            continue
        x = np.full(3 * k.size, np.nan)
        x[0::3] = t0_ms + ct.start_s[k] * 1e3
        x[1::3] = t0_ms + ct.end_s[k] * 1e3
        y = np.full(3 * k.size, np.nan)
        y[0::3] = y[1::3] = y_of[sel]
        info = np.zeros((3 * k.size, 3))
        info[0::3] = info[1::3] = np.stack(
            [ct.sat[k], ct.max_elevation_deg[k], (ct.end_s[k] - ct.start_s[k]) / 60.0], axis=1
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                connectgaps=False,
                line=dict(color=color, width=width),
                opacity=0.45,
                name=f"max elevation {lo:g}–{min(hi, 90):g}°",
                customdata=info,
                hovertemplate=(
                    "satellite %{customdata[0]:.0f}<br>%{customdata[2]:.1f} min, "
                    "max elevation %{customdata[1]:.1f}°<extra></extra>"
                ),
            )
        )
    fig.update_layout(
        _layout(
            f"Contact windows per station ({len(ct):,} windows{capped})",
            height=min(1400, 140 + 30 * len(stations)),
            hovermode="closest",
            xaxis=dict(type="date", range=[str(w) for w in run.datetimes(np.array([0.0, run.t_last_s]))]),
            yaxis=dict(
                tickmode="array",
                tickvals=list(range(len(stations))),
                ticktext=stations,
                range=[len(stations) - 0.5, -0.5],
                zeroline=False,
                showgrid=False,
            ),
        )
    )
    figs.append(fig)
    # satellites in view per station, from every window
    n_pts = min(run.n_steps, MAX_TIME_POINTS)
    tt = np.linspace(0.0, run.t_last_s, n_pts)
    minutes = {s: float(np.sum((ct.end_s - ct.start_s)[ct.station == s])) for s in stations}
    top = sorted(stations, key=lambda s: -minutes[s])[:MAX_VIEW_STATIONS]
    fig = go.Figure()
    for i, s in enumerate(top):
        sel = ct.station == s
        fig.add_trace(
            go.Scatter(
                x=run.datetimes(tt),
                y=D.interval_counts(ct.start_s[sel], ct.end_s[sel], tt),
                name=s,
                mode="lines",
                line=dict(shape="hv", width=1.5, color=PALETTE[i % len(PALETTE)]),
            )
        )
    more = "" if len(top) == len(stations) else f", {len(top)} stations with the most contact time"
    fig.update_layout(
        _layout(f"Satellites in view per station{more}", yaxis=dict(title="satellites", rangemode="tozero"))
    )
    figs.append(fig)
    return figs


def downlink_figure(net: dict):
    import plotly.graph_objects as go

    per = net.get("downlink_bytes_per_station_day") or {}
    names = list(per)
    vals = np.array([per[k] for k in names], dtype=np.float64)
    div, unit = scale_for(vals, "B/day")
    fig = go.Figure(go.Bar(x=names, y=vals / div, marker_color="#2ca02c", name="downlink"))
    fig.update_layout(
        _layout(
            f"Downlink capacity used per station (assigned ground links × rate; total {si(float(vals.sum()), 'B/day')})",
            yaxis=dict(title=f"[{unit}]"),
            hovermode="closest",
        )
    )
    return fig


def fault_figures(run: D.RunDir, fl: D.FaultLog) -> list:
    import plotly.graph_objects as go

    figs = []
    kinds = [k for k in FAULT_COLORS if (fl.kind == k).any()] + sorted(set(fl.kind.tolist()) - set(FAULT_COLORS))
    pick = spread(len(fl), MAX_FAULT_POINTS)
    fig = go.Figure()
    for k in kinds:
        sel = pick[fl.kind[pick] == k]
        fig.add_trace(
            go.Scatter(
                x=run.datetimes(fl.t_s[sel]),
                y=fl.sat[sel],
                mode="markers",
                name=k,
                marker=dict(size=5, color=FAULT_COLORS.get(k, "#7f7f7f"), symbol="circle"),
                customdata=np.stack([fl.device[sel], fl.dose_rad[sel]], axis=1),
                hovertemplate="satellite %{y}, device %{customdata[0]}, dose %{customdata[1]:.3g} rad<extra>"
                + k
                + "</extra>",
            )
        )
    capped = "" if pick.size == len(fl) else f"; {pick.size:,} of {len(fl):,} drawn, evenly spread in time"
    fig.update_layout(
        _layout(
            f"Fault events by satellite ({len(fl):,} events{capped})",
            hovermode="closest",
            yaxis=dict(title="satellite index"),
        )
    )
    figs.append(fig)
    fig = go.Figure()
    for k in kinds:
        tk = np.sort(fl.t_s[fl.kind == k])
        x = np.concatenate([[0.0], tk, [run.t_last_s]])
        y = np.concatenate([[0], np.arange(1, tk.size + 1), [tk.size]])
        fig.add_trace(
            go.Scatter(
                x=run.datetimes(x),
                y=y,
                mode="lines",
                name=f"{k} ({tk.size:,})",
                line=dict(shape="hv", color=FAULT_COLORS.get(k, "#7f7f7f"), width=2),
            )
        )
    fig.update_layout(_layout("Cumulative fault events (all events)", yaxis=dict(title="events", rangemode="tozero")))
    figs.append(fig)
    return figs


def _col(table, name: str) -> np.ndarray | None:
    if table is None or name not in table.column_names:
        return None
    return table.column(name).to_numpy(zero_copy_only=False)


def workload_figures(run: D.RunDir, req, wt) -> tuple[list, list[str]]:
    """Figures and notes from requests.parquet and workload_timeline.parquet."""
    import plotly.graph_objects as go

    figs, notes = [], []
    if req is not None and req.num_rows:
        status = np.asarray(req.column("status").to_pylist(), dtype=object)
        served = status == "served"
        fig = go.Figure()
        for i, c in enumerate(D.LATENCY_COLUMNS):
            v = _col(req, c)
            if v is None:
                continue
            x, f = D.ecdf_points(v[served])
            if x.size:
                fig.add_trace(
                    go.Scatter(x=x, y=f, mode="lines", name=c.removesuffix("_s"), line=dict(width=2, color=PALETTE[i]))
                )
        fig.update_layout(
            _layout(
                f"Inference latency CDFs ({int(served.sum()):,} served requests)",
                hovermode="closest",
                xaxis=dict(title="latency [s]", type="log"),
                yaxis=dict(title="fraction of requests ≤ x", range=[0, 1.01]),
            )
        )
        figs.append(fig)
        cities = np.asarray(req.column("city").to_pylist(), dtype=object)
        uniq, inv = np.unique(cities, return_inverse=True)
        total = np.bincount(inv, minlength=uniq.size)
        top = np.argsort(-total, kind="stable")[:20]
        fig = go.Figure()
        for j, s in enumerate(D.REQUEST_STATUSES):
            cnt = np.bincount(inv, weights=status == s, minlength=uniq.size)
            fig.add_trace(
                go.Bar(
                    x=uniq[top].tolist(),
                    y=cnt[top],
                    name=f"{s} ({int(cnt.sum()):,})",
                    marker_color=("#2ca02c", "#ff7f0e", "#d62728")[j],
                )
            )
        more = "" if uniq.size <= 20 else f" (20 of {uniq.size} cities with the most requests)"
        fig.update_layout(
            _layout(
                f"Requests by city and outcome{more}",
                barmode="stack",
                hovermode="closest",
                yaxis=dict(title="requests"),
            )
        )
        figs.append(fig)
    if wt is not None and wt.num_rows:
        t_s = _col(wt, "t_s").astype(np.float64)
        t = run.datetimes(t_s)
        dt_s = np.diff(t_s, append=t_s[-1] + (t_s[-1] - t_s[-2] if t_s.size > 1 else run.step_s))
        dt_s = np.where(dt_s > 0, dt_s, np.nan)
        if _col(wt, "inference_arrivals") is not None or _col(wt, "inference_served") is not None:
            fig = go.Figure()
            for name, color in (("inference_arrivals", "#7f7f7f"), ("inference_served", "#2ca02c")):
                v = _col(wt, name)
                if v is not None:
                    fig.add_trace(
                        go.Scatter(
                            x=t, y=v / dt_s, name=name.split("_")[1], mode="lines", line=dict(color=color, width=2)
                        )
                    )
            tok = _col(wt, "inference_tokens_out")
            if tok is not None:
                fig.add_trace(
                    go.Scatter(
                        x=t,
                        y=tok / dt_s,
                        name="output tokens/s",
                        yaxis="y2",
                        mode="lines",
                        line=dict(color="#1f77b4", dash="dot"),
                    )
                )
            fig.update_layout(
                _layout(
                    "Inference throughput",
                    yaxis=dict(title="requests/s", rangemode="tozero"),
                    yaxis2=dict(
                        title="tokens/s",
                        overlaying="y",
                        side="right",
                        tickmode="auto",
                        rangemode="tozero",
                        showgrid=False,
                    ),
                )
            )
            figs.append(fig)
        if _col(wt, "inference_queue") is not None or _col(wt, "inference_active_servers") is not None:
            fig = go.Figure()
            q = _col(wt, "inference_queue")
            if q is not None:
                fig.add_trace(go.Scatter(x=t, y=q, name="queue", mode="lines", line=dict(color="#ff7f0e", width=2)))
            a = _col(wt, "inference_active_servers")
            if a is not None:
                fig.add_trace(
                    go.Scatter(x=t, y=a, name="active servers", yaxis="y2", mode="lines", line=dict(color="#1f77b4"))
                )
            fig.update_layout(
                _layout(
                    "Inference queue and active servers",
                    yaxis=dict(title="requests waiting", rangemode="tozero"),
                    yaxis2=dict(
                        title="servers",
                        overlaying="y",
                        side="right",
                        tickmode="auto",
                        rangemode="tozero",
                        showgrid=False,
                    ),
                )
            )
            figs.append(fig)
        tok = _col(wt, "training_tokens_cum")
        if tok is not None:
            fig = go.Figure(
                go.Scatter(x=t, y=tok, name="tokens trained", mode="lines", line=dict(color="#9467bd", width=2))
            )
            m = _col(wt, "training_active_members")
            if m is not None:
                fig.add_trace(
                    go.Scatter(
                        x=t,
                        y=m,
                        name="active members",
                        yaxis="y2",
                        mode="lines",
                        line=dict(shape="hv", color="#7f7f7f"),
                    )
                )
            fig.update_layout(
                _layout(
                    "Training progress",
                    yaxis=dict(title="tokens (cumulative)", rangemode="tozero"),
                    yaxis2=dict(
                        title="members",
                        overlaying="y",
                        side="right",
                        tickmode="auto",
                        rangemode="tozero",
                        showgrid=False,
                    ),
                )
            )
            figs.append(fig)
        eo = [(c, _col(wt, c)) for c in EO_FLOWS]
        colors = dict(zip(EO_FLOWS, ("#7f7f7f", "#1f77b4", "#9467bd", "#2ca02c", "#d62728"), strict=True))
        eo = [(c, v) for c, v in eo if v is not None]
        stored = _col(wt, "eo_stored_b")
        if eo or stored is not None:
            cum = [(c, np.cumsum(v.astype(np.float64))) for c, v in eo]
            allv = np.concatenate([v for _, v in cum] + ([stored.astype(np.float64)] if stored is not None else []))
            div, unit = scale_for(allv, "B")
            fig = go.Figure()
            for c, v in cum:
                fig.add_trace(
                    go.Scatter(
                        x=t,
                        y=v / div,
                        name=c[3:-2] + " (cumulative)",
                        mode="lines",
                        line=dict(width=2, color=colors[c]),
                    )
                )
            if stored is not None:
                fig.add_trace(
                    go.Scatter(
                        x=t,
                        y=stored / div,
                        name="stored on board",
                        mode="lines",
                        line=dict(color="#ff7f0e", dash="dot"),
                    )
                )
            fig.update_layout(
                _layout("Earth observation data volumes", yaxis=dict(title=f"[{unit}]", rangemode="tozero"))
            )
            figs.append(fig)
    elif req is not None and req.num_rows:
        notes.append("No workload_timeline.parquet: throughput over time is not shown.")
    return figs, notes


def workload_tables(workloads: dict) -> str:
    """Key/value tables of ``summary.workloads`` side by side: its scalars, then each workload's figures."""
    out = []
    general = [[k, fmt(v)] for k, v in workloads.items() if not isinstance(v, (dict, list))]
    if general:
        out.append("<div><h3>Run</h3>" + _table(["figure", "value"], general, "kv") + "</div>")
    for key, title in (
        ("inference", "Inference"),
        ("training", "Training"),
        ("earth_observation", "Earth observation"),
    ):
        d = workloads.get(key)
        if isinstance(d, dict) and d:
            rows = [[k, fmt(v)] for k, v in d.items()]
            out.append(f"<div><h3>{title}</h3>" + _table(["figure", "value"], rows, "kv") + "</div>")
    return f'<div class="kvgrid">{"".join(out)}</div>' if out else ""


# --------------------------------------------------------------------------------------------------
# assembling
# --------------------------------------------------------------------------------------------------


def _check_options(color: str, sample: int | None) -> None:
    if color not in D.COLORS:
        raise OrbitcloudError(f"--color: {color!r} is not one of {', '.join(D.COLORS)}")
    if sample is not None and sample < 1:
        raise OrbitcloudError(f"--sample: must be at least 1, got {sample}")


def report_sample(run: D.RunDir, sample: int | None) -> Sample:
    """The satellites drawn on the globe and map (:func:`orbitcloud.report.sample.sample_satellites`)."""
    counts = np.array([int(s["satellites"]) for s in run.summary["shells"]], dtype=np.int64)
    return sample_satellites(counts, DEFAULT_REPORT_SAMPLE if sample is None else sample)


class ReportData:
    """Everything the report draws, computed once and shared by the HTML page and the PNG figures."""

    def __init__(self, run: D.RunDir, t_s: float | None, color: str, sample: int | None) -> None:
        self.run = run
        self.sample = report_sample(run, sample)
        self.t_s = D.default_time_s(run) if t_s is None else t_s
        self.color = color
        if color != "illumination" and run.file("timeseries.parquet") is None:
            raise OrbitcloudError(
                f"--color {color}: needs timeseries.parquet in {run.path} (run with --out DIR --record 10min)"
            )
        if color != "illumination" and not run.has_hardware.any():
            raise OrbitcloudError(f"--color {color}: no shell of this run has hardware; use --color illumination")
        self.snapshot = D.fleet_snapshot(run, self.t_s, color, self.sample)
        self.names = run.fleet.names(self.sample.index)
        self.timeline = D.load_timeline(run)
        self.calendar = D.eclipse_calendar(run)
        self.contacts = D.load_contacts(run)
        self.faults = D.load_faults(run)
        self.rtt = D.rtt_series(run) if run.network_config else None
        self.requests = D.load_requests(run)
        self.workload_timeline = D.load_workload_timeline(run)


def build_sections(rd: ReportData) -> tuple[list[Section], list[str]]:
    """The page's sections (only those whose inputs exist) and notes on what is absent."""
    run = rd.run
    sections: list[Section] = []
    absent: list[str] = []
    sec = Section(
        "fleet",
        "Fleet at one time",
        f"<p>Positions recomputed from <code>scenario.yaml</code> with the run's propagator "
        f"(<code>{html.escape(run.propagator)}</code>). {html.escape(rd.sample.describe(run.shell_names))}</p>",
    )
    sec.fig(globe_figure(run, rd.snapshot, rd.names))
    sec.fig(map_figure(run, rd.snapshot, rd.names))
    if rd.snapshot.links is None and run.network_config:
        sec.html(f"<p class='note'>Links are not drawn for fleets above {D.NETWORK_MAX_SATELLITES:,} satellites.</p>")
    sections.append(sec)

    if rd.timeline is not None:
        sec = Section(
            "timelines",
            "Power, battery, temperature and compute",
            f"<p>From <code>timeseries.parquet</code>: {rd.timeline.rows:,} rows, all {run.n_sat:,} satellites "
            f"({rd.timeline.n_hw:,} with hardware), {rd.timeline.t_s.size:,} samples.</p>",
        )
        for f in timeline_figures(run, rd.timeline):
            sec.fig(f)
        sections.append(sec)
    elif run.has_hardware.any():
        absent.append("Timelines of power, battery, temperature and compute: run with <code>--record 10min</code>.")

    if rd.calendar is not None and rd.calendar.shells:
        sec = Section(
            "eclipses",
            "Eclipse calendar",
            "<p>Share of each shell's satellites inside the penumbra (illumination &lt; 1), from <code>eclipses.csv</code>.</p>",
        )
        sec.fig(eclipse_figure(rd.calendar))
        sections.append(sec)
    else:
        absent.append("Eclipse calendar: <code>eclipses.csv</code> is absent (run without <code>--no-eclipses</code>).")

    net = run.summary.get("network")
    if rd.rtt is not None or rd.contacts is not None or net:
        sec = Section("network", "Network", "")
        if rd.rtt is not None:
            sec.fig(rtt_figure(run, rd.rtt))
        if rd.contacts is not None and len(rd.contacts):
            for f in contact_figures(run, rd.contacts):
                sec.fig(f)
        if net and net.get("downlink_bytes_per_station_day"):
            sec.fig(downlink_figure(net))
        if net and net.get("pairs"):
            rows = [
                [
                    f"{p['src']} – {p['dst']}",
                    pct(p.get("reachable_fraction")),
                    fmt(p.get("rtt_ms_min"), 4),
                    fmt(p.get("rtt_ms_mean"), 4),
                    fmt(p.get("rtt_ms_max"), 4),
                ]
                for p in net["pairs"]
            ]
            sec.html(
                "<h3>Pairs (run summary, every routed step)</h3>"
                + _table(["pair", "reachable", "RTT min ms", "mean", "max"], rows)
            )
        if sec.items:
            sections.append(sec)

    if rd.faults is not None:
        if len(rd.faults):
            sec = Section("faults", "Faults", "<p>From <code>faults.parquet</code> (all events).</p>")
            for f in fault_figures(run, rd.faults):
                sec.fig(f)
            rad = run.summary.get("radiation") or {}
            if rad.get("events_per_device_year"):
                rows = [
                    [k, fmt((rad.get("events") or {}).get(k)), fmt(v, 4)]
                    for k, v in rad["events_per_device_year"].items()
                ]
                sec.html(
                    "<h3>Events per device-year (run summary)</h3>"
                    + _table(["kind", "events", "per device-year"], rows)
                )
            sections.append(sec)
        else:
            absent.append("Fault timeline: the run recorded no fault events.")

    workloads = run.summary.get("workloads") or {}
    figs, notes = workload_figures(run, rd.requests, rd.workload_timeline)
    if figs or workloads:
        sec = Section("workloads", "Workloads", "".join(f"<p class='note'>{html.escape(n)}</p>" for n in notes))
        for f in figs:
            sec.fig(f)
        tables = workload_tables(workloads)
        if tables:
            sec.html("<h3>Run summary (summary.json)</h3>" + tables)
        sections.append(sec)
    return sections, absent


CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1d2733;background:#f5f7fa}
header{background:#0b1020;color:#eef2f7;padding:18px 28px}
header h1{margin:0 0 4px;font-size:24px}
header p{margin:2px 0;color:#b9c3cf}
nav{padding:8px 28px;background:#e9eef4;font-size:14px}
nav a{margin-right:16px;color:#1f4e8c;text-decoration:none}
main{padding:8px 28px 40px}
section{background:#fff;border-radius:8px;padding:12px 18px;margin:16px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{margin:6px 0 8px;font-size:19px}
h3{font-size:15px;margin:14px 0 6px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:10px;margin:10px 0}
.card{background:#f5f7fa;border-radius:6px;padding:8px 12px}
.card .l{font-size:12px;color:#5b6b7b;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:20px;font-weight:600;margin:2px 0}
.card .n{font-size:12px;color:#5b6b7b}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{padding:4px 10px;border-bottom:1px solid #e3e8ee;text-align:right}
th:first-child,td:first-child{text-align:left}
table.kv td:last-child{text-align:left}
.plot{width:100%;margin:8px 0}
.kvgrid{display:flex;flex-wrap:wrap;gap:8px 40px;align-items:flex-start}
.note{color:#5b6b7b;font-size:13px}
.finding{color:#8a4b00}
code{background:#eef2f7;padding:0 3px;border-radius:3px}
"""

RENDER_JS = """
(function(){
  var figs = document.querySelectorAll('script[type="application/json"][data-plot]');
  var t0 = performance.now();
  var chain = Promise.resolve();
  window.__orbitcloudPlotMs = [];
  figs.forEach(function(node){
    chain = chain.then(function(){
      var t1 = performance.now();
      var spec = JSON.parse(node.textContent);
      return Plotly.newPlot(node.getAttribute('data-plot'), spec.data, spec.layout, spec.config).then(function(){
        window.__orbitcloudPlotMs.push(Math.round(performance.now() - t1));
      });
    }).catch(function(err){ console.error('orbitcloud report: plot failed: ' + err); });
  });
  chain.then(function(){
    window.__orbitcloudRenderMs = performance.now() - t0;
    document.body.dataset.rendered = String(figs.length);
  });
})();
"""


def render_page(rd: ReportData, sections: list[Section], absent: list[str]) -> str:
    """The whole HTML document (plotly.js embedded once)."""
    from plotly.offline import get_plotlyjs

    run = rd.run
    s = run.summary
    sc = run.loaded.scenario
    parts = []
    nfig = 0
    nav = []
    for sec in sections:
        nav.append(f'<a href="#{sec.key}">{html.escape(sec.title)}</a>')
        body = [f'<section id="{sec.key}"><h2>{html.escape(sec.title)}</h2>{sec.intro}']
        for kind, item in sec.items:
            if kind == "html":
                body.append(item)
                continue
            div = f"plot-{nfig}"
            nfig += 1
            spec = json.loads(item.to_json())
            spec["config"] = {"displaylogo": False, "responsive": True}
            height = int(spec.get("layout", {}).get("height", 360))
            text = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
            body.append(
                f'<div id="{div}" class="plot" style="height:{height}px"></div>'
                f'<script type="application/json" data-plot="{div}">{text}</script>'
            )
        body.append("</section>")
        parts.append("".join(body))
    cards = "".join(
        f'<div class="card"><div class="l">{html.escape(label)}</div><div class="v">{html.escape(v)}</div>'
        f'<div class="n">{html.escape(n)}</div></div>'
        for label, v, n in _cards(s)
    )
    findings = []
    for sh in s["shells"]:
        for f in (sh.get("bus") or {}).get("findings", []):
            findings.append(f"<li class='finding'>{html.escape(sh['name'])}: {html.escape(f)}</li>")
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        f"<header><h1>orbitcloud run report: {html.escape(str(s['scenario']))}</h1>"
        f"<p>{html.escape(sc.description)}</p>"
        f"<p>{html.escape(str(s.get('source', '')))} · start {html.escape(str(s['start']))} · "
        f"{_duration(float(s['duration_s']))} · orbitcloud {html.escape(str(s.get('orbitcloud_version', '')))} · "
        f"report generated {generated}</p></header>"
    )
    summary_sec = (
        f'<section id="summary"><h2>Key numbers</h2><div class="cards">{cards}</div>'
        f"<p class='note'>{html.escape(rd.sample.describe(run.shell_names))}</p>"
        f"<h3>Shells</h3>{_shell_table(s)}"
        + (f"<h3>Findings</h3><ul>{''.join(findings)}</ul>" if findings else "")
        + (f"<h3>Not shown</h3><ul>{''.join(f'<li class=note>{a}</li>' for a in absent)}</ul>" if absent else "")
        + "</section>"
    )
    title = f"orbitcloud report: {s['scenario']}"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<style>{CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head>"
        f"<body data-plots='{nfig}'>{header}<nav><a href='#summary'>Key numbers</a>{''.join(nav)}</nav><main>"
        f"{summary_sec}{''.join(parts)}</main><script>{RENDER_JS}</script></body></html>"
    )


def build_report(
    run_dir: Path,
    out: Path | None = None,
    *,
    time: str | None = None,
    color: str = "illumination",
    sample: int | None = None,
    png: bool = False,
) -> Path:
    """Write the HTML report of a results directory; returns its path.

    Parameters
    ----------
    run_dir : Path
        A complete results directory (``orbitcloud run ... --out DIR``).
    out : Path, optional
        The HTML file (default ``RUN_DIR/report.html``).
    time : str, optional
        ISO 8601 UTC time of the globe and map (default: mid-run, at the nearest recorded sample).
    color : {"illumination", "soc", "temperature", "utilisation"}
        What colours the satellites; all but illumination need ``timeseries.parquet``.
    sample : int, optional
        At most this many satellites drawn on the globe and map (default
        :data:`~orbitcloud.report.sample.DEFAULT_REPORT_SAMPLE`); totals always use all.
    png : bool
        Also write the main figures as PNG files (matplotlib) beside the HTML.
    """
    _check_options(color, sample)
    run = D.open_run(run_dir)
    out = Path(out) if out is not None else run.path / "report.html"
    if out.exists() and out.is_dir():
        raise OrbitcloudError(f"--out {out}: is a directory, expected an HTML file name")
    rd = ReportData(run, run.parse_time_s(time), color, sample)
    sections, absent = build_sections(rd)
    page = render_page(rd, sections, absent)
    from orbitcloud.results.writer import write_text_atomic

    try:
        write_text_atomic(out, page)
    except OSError as exc:
        raise OrbitcloudError(f"--out {out}: cannot write: {exc.strerror}") from None
    if png:
        from orbitcloud.report.figures import write_pngs

        write_pngs(rd, out.parent, stem=out.stem)
    return out
