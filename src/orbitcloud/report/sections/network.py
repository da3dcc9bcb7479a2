"""The "Network" section: RTT between station pairs over time (path changes marked), the contact
Gantt chart per station, satellites in view per station, downlink per station and the pair table."""

from __future__ import annotations

import numpy as np

from orbitcloud.report.common import MAX_GANTT_BARS, PALETTE, fmt, pct, scale_for, si
from orbitcloud.report.data.gather import ReportData
from orbitcloud.report.data.network import RttSeries
from orbitcloud.report.data.run import RunDir
from orbitcloud.report.data.tables import ContactTable, interval_counts
from orbitcloud.report.sample import spread
from orbitcloud.report.sections.base import Section, html_table, plot_layout

#: Colour classes of the Gantt chart by the window's highest elevation [deg]: (low, high, colour).
GANTT_CLASSES = ((0.0, 30.0, "#c7e9c0"), (30.0, 50.0, "#74c476"), (50.0, 70.0, "#31a354"), (70.0, 91.0, "#006d2c"))
#: Stations drawn in the "satellites in view" chart (those with the most contact time).
MAX_VIEW_STATIONS = 12
#: Points of a time axis sampled from the run steps for derived series (satellites in view).
MAX_TIME_POINTS = 2000


def rtt_figure(run: RunDir, rs: RttSeries):
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
        plot_layout(
            f"Round-trip time between station pairs (every {cad:g} s; × marks a path change)",
            yaxis=dict(title="RTT [ms]"),
        )
    )
    return fig


def contact_figures(run: RunDir, ct: ContactTable) -> list:
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
        plot_layout(
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
                y=interval_counts(ct.start_s[sel], ct.end_s[sel], tt),
                name=s,
                mode="lines",
                line=dict(shape="hv", width=1.5, color=PALETTE[i % len(PALETTE)]),
            )
        )
    more = "" if len(top) == len(stations) else f", {len(top)} stations with the most contact time"
    fig.update_layout(
        plot_layout(f"Satellites in view per station{more}", yaxis=dict(title="satellites", rangemode="tozero"))
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
        plot_layout(
            f"Downlink capacity used per station (assigned ground links × rate; total {si(float(vals.sum()), 'B/day')})",
            yaxis=dict(title=f"[{unit}]"),
            hovermode="closest",
        )
    )
    return fig


def link_rate_figure(net: dict):
    """Mean downlink and uplink rate per elevation bin (``network.link_rate_by_elevation``, runs with
    ``ground.link_budget``; docs/link_budget.md)."""
    import plotly.graph_objects as go

    tab = net["link_rate_by_elevation"]
    lo = np.asarray(tab["elevation_deg_min"], dtype=np.float64)
    hi = np.asarray(tab["elevation_deg_max"], dtype=np.float64)
    mid = 0.5 * (lo + hi)
    fig = go.Figure()
    for key, name, colour in (("downlink_bps_mean", "downlink", "#2ca02c"), ("uplink_bps_mean", "uplink", "#1f77b4")):
        vals = np.asarray(tab[key], dtype=np.float64)
        fig.add_trace(go.Scatter(
            x=mid, y=vals, mode="lines+markers", name=name, line=dict(color=colour),
            customdata=np.stack([lo, hi, np.asarray(tab["link_steps"], dtype=np.float64)], axis=1),
            hovertemplate="elevation %{customdata[0]:g}–%{customdata[1]:g}°<br>%{y:.4g}<br>"
                          "%{customdata[2]:.0f} link-steps<extra></extra>",
        ))
    fig.update_layout(plot_layout(
        "Link rate against elevation (link budget; mean over the assigned ground link-steps per 5° bin)",
        xaxis=dict(title="elevation [deg]", range=[0, 90]), yaxis=dict(title="rate [bit/s]", type="log"), hovermode="closest",
    ))
    return fig


def section(rd: ReportData) -> tuple[Section | None, str | None]:
    """The section when the run has a network, contacts or a network summary; no note."""
    run = rd.run
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
        if net and net.get("link_rate_by_elevation", {}).get("link_steps"):
            sec.fig(link_rate_figure(net))
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
                + html_table(["pair", "reachable", "RTT min ms", "mean", "max"], rows)
            )
        if sec.items:
            return sec, None
    return None, None
