"""Figures of the "TT&C" report section (:mod:`orbitcloud.report.sections.ttc`): the contact plan
per station, command latency by path, telemetry freshness and the event timeline (bounds and
colours are this module's constants).
"""

from __future__ import annotations

import html
import math

import numpy as np

from orbitcloud.report.common import MAX_GANTT_BARS, PALETTE
from orbitcloud.report.data.run import RunDir, iso_utc
from orbitcloud.report.data.ttc import (
    EVENT_KINDS,
    Freshness,
    TtcCommands,
    TtcContacts,
    TtcEvents,
)
from orbitcloud.report.sample import spread
from orbitcloud.report.sections.base import plot_layout

#: Events drawn as points at most on the timeline (evenly spread in time; the counts use all).
MAX_EVENT_POINTS = 5000
#: Rows of the event table (the first events in onboard time).
MAX_EVENT_ROWS = 100
#: Rows of the command table (the first commands issued).
MAX_COMMAND_ROWS = 50
#: Rows of the station table at most (the stations with the most passes).
MAX_STATION_ROWS = 100
#: Antennas with their own lane and colour in the contact plan; higher ones share the last.
MAX_ANTENNA_LANES = 8
#: Colours of the antennas (the palette's grey is left to unserved passes).
ANTENNA_COLORS = [c for c in PALETTE if c != "#7f7f7f"]
UNSERVED_COLOR = "#b8b8b8"
#: Colour of each event kind (others are grey).
EVENT_COLORS = {
    "alarm_raised": "#d62728",
    "alarm_cleared": "#2ca02c",
    "autonomy": "#ff7f0e",
    "rejected": "#9467bd",
    "command": "#1f77b4",
}


def duration(v) -> str:
    """Seconds as ``12.3 s``, ``4.56 min`` or ``1.23 h`` (``–`` for None or NaN)."""
    if v is None or not math.isfinite(float(v)):
        return "–"
    v = float(v)
    if abs(v) < 120:
        return f"{v:.3g} s"
    if abs(v) < 7200:
        return f"{v / 60:.3g} min"
    return f"{v / 3600:.3g} h"


def _when(run: RunDir, t_s: float) -> str:
    return "–" if not math.isfinite(t_s) else iso_utc(run.time_ns(t_s))


# ------------------------------------------------------------------------------------- key numbers


def contact_plan_figure(run: RunDir, ct: TtcContacts, ttc: dict):
    """Passes per station on a time axis: one lane per antenna (coloured by antenna) and one for the
    unserved passes (grey), at most :data:`MAX_GANTT_BARS` passes drawn, evenly spread."""
    import plotly.graph_objects as go

    stations = [str(r["station"]) for r in ttc.get("stations") or [] if "station" in r]
    stations += sorted(set(ct.station.tolist()) - set(stations))
    row = {name: i for i, name in enumerate(stations)}
    antennas = [int(r.get("antennas") or 1) for r in ttc.get("stations") or []]
    n_ant = max([1, *antennas])
    if ct.served.any():
        n_ant = max(n_ant, int(ct.antenna[ct.served].max()) + 1)
    lanes_ant = min(n_ant, MAX_ANTENNA_LANES)
    lanes = lanes_ant + 1
    order = np.lexsort((ct.rise_s, ct.station))
    pick = order[spread(order.size, MAX_GANTT_BARS)]
    capped = (
        ""
        if pick.size == len(ct)
        else f"; {pick.size:,} of {len(ct):,} passes drawn, evenly spread"
    )
    height = min(1400, 140 + 30 * max(len(stations), 1) * max(1, min(lanes, 4)) // 2)
    row_px = (height - 90) / max(len(stations), 1)
    width = max(1.5, min(18.0, 0.8 * row_px / lanes * 0.85))
    lane_h = 0.8 / lanes
    t0_ms = run.start_ns / 1e6
    served_n = int(ct.served.sum())
    fig = go.Figure()
    groups = []  # (name, colour, mask over pick, lane of each pick)
    ant = ct.antenna[pick]
    srv = ct.served[pick]
    for a in range(min(n_ant, len(ANTENNA_COLORS))):
        last = a == len(ANTENNA_COLORS) - 1 and n_ant > len(ANTENNA_COLORS)
        sel = srv & ((ant >= a) if last else (ant == a))
        name = f"antenna {a + 1}+" if last else f"antenna {a + 1}"
        groups.append((name, ANTENNA_COLORS[a], sel))
    groups.append(("unserved", UNSERVED_COLOR, ~srv))
    for name, color, sel in groups:
        k = pick[sel]
        if not k.size:
            continue
        lane = np.where(
            ct.served[k], np.minimum(ct.antenna[k], lanes_ant - 1), lanes_ant
        )
        y_mid = (
            np.array([row[s] for s in ct.station[k]], dtype=np.float64)
            - 0.4
            + lane_h * (lane + 0.5)
        )
        x = np.full(3 * k.size, np.nan)
        x[0::3] = t0_ms + ct.rise_s[k] * 1e3
        x[1::3] = t0_ms + ct.set_s[k] * 1e3
        y = np.full(3 * k.size, np.nan, np.float32)
        y[0::3] = y[1::3] = y_mid
        info = np.zeros((3 * k.size, 3), np.float32)
        info[0::3] = info[1::3] = np.stack(
            [ct.sat[k], (ct.set_s[k] - ct.rise_s[k]) / 60.0, ct.max_elevation_deg[k]],
            axis=1,
        )
        extra = {}
        if name == "unserved":
            text = np.full(3 * k.size, "", dtype=object)
            text[0::3] = text[1::3] = [
                f"unserved: {r}" if r else "unserved" for r in ct.reason[k].tolist()
            ]
            extra = dict(text=text.tolist())
            label = "%{text}"
        else:
            label = name
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                connectgaps=False,
                line=dict(color=color, width=width),
                name=f"{name} ({k.size:,})",
                customdata=info,
                hovertemplate=(
                    "satellite %{customdata[0]:.0f}, "
                    + label
                    + "<br>%{customdata[1]:.1f} min, max elevation %{customdata[2]:.1f}°<extra></extra>"
                ),
                **extra,
            )
        )
    fig.update_layout(
        plot_layout(
            f"TT&C contact plan per station ({len(ct):,} passes: {served_n:,} served, "
            f"{len(ct) - served_n:,} unserved{capped})",
            height=height,
            hovermode="closest",
            xaxis=dict(
                type="date",
                range=[str(w) for w in run.datetimes(np.array([0.0, run.t_last_s]))],
            ),
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
    return fig


# --------------------------------------------------------------------------- latency and freshness


def command_latency_figure(cmd: TtcCommands):
    """Histogram of issued → completed per uplink path (all completed commands), or None."""
    import plotly.graph_objects as go

    lat = cmd.latency_s
    ok = np.isfinite(lat)
    if not ok.any():
        return None
    div, unit = (60.0, "min") if np.nanmax(lat[ok]) > 300 else (1.0, "s")
    v = lat[ok] / div
    edges = np.histogram_bin_edges(
        v, bins=int(min(40, max(5, math.ceil(math.sqrt(v.size)))))
    )
    if edges[-1] <= edges[0]:
        edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
    centres = 0.5 * (edges[:-1] + edges[1:])
    fig = go.Figure()
    for path, color in (("direct", "#1f77b4"), ("relay", "#ff7f0e")):
        sel = ok & (cmd.path == path)
        if not sel.any():
            continue
        counts, _ = np.histogram(lat[sel] / div, bins=edges)
        p50 = float(np.median(lat[sel]))
        fig.add_trace(
            go.Bar(
                x=centres,
                y=counts,
                width=np.diff(edges),
                name=f"{path} ({int(sel.sum()):,}; median {duration(p50)})",
                marker_color=color,
                opacity=0.7,
                hovertemplate="%{y} commands<extra>" + path + "</extra>",
            )
        )
    fig.update_layout(
        plot_layout(
            f"Command latency, issued → completed ({int(ok.sum()):,} of {len(cmd):,} commands completed)",
            barmode="overlay",
            hovermode="closest",
            xaxis=dict(title=f"latency [{unit}]"),
            yaxis=dict(title="commands", rangemode="tozero"),
        )
    )
    return fig


def freshness_figures(run: RunDir, fr: Freshness) -> list:
    import plotly.graph_objects as go

    binned = (
        f"; binned to {max(len(s[1]) for s in fr.shells):,} of {fr.ticks:,} ticks"
        if fr.binned
        else ""
    )
    allmax = np.concatenate([s[3] for s in fr.shells]) if fr.shells else np.zeros(0)
    peak = (
        float(np.nanmax(allmax)) if allmax.size and np.isfinite(allmax).any() else 0.0
    )
    div, unit = (3600.0, "h") if peak > 5 * 3600 else (60.0, "min")
    age = go.Figure()
    share = go.Figure()
    for i, (name, t, p50, amax, direct, relays) in enumerate(fr.shells):
        c = PALETTE[i % len(PALETTE)]
        x = run.datetimes(t)
        age.add_trace(
            go.Scatter(
                x=x,
                y=p50 / div,
                name=f"{name} median",
                mode="lines",
                line=dict(color=c, width=2),
            )
        )
        age.add_trace(
            go.Scatter(
                x=x,
                y=amax / div,
                name=f"{name} max",
                mode="lines",
                line=dict(color=c, width=1.5, dash="dot"),
            )
        )
        share.add_trace(
            go.Scatter(
                x=x,
                y=direct,
                name=f"{name} direct",
                mode="lines",
                line=dict(color=c, width=2, shape="hv"),
            )
        )
        share.add_trace(
            go.Scatter(
                x=x,
                y=relays,
                name=f"{name} with relays",
                mode="lines",
                line=dict(color=c, width=1.5, dash="dash", shape="hv"),
            )
        )
    age.update_layout(
        plot_layout(
            f"Telemetry age on the ground per shell (median and maximum over satellites{binned})",
            yaxis=dict(title=f"age [{unit}]", rangemode="tozero"),
        )
    )
    share.update_layout(
        plot_layout(
            f"Commandable share per shell (in a served contact, or reachable over laser relays{binned})",
            yaxis=dict(title="share of satellites", range=[0, 1.02], tickformat=".0%"),
        )
    )
    return [age, share]


# --------------------------------------------------------------------------------------- events


def event_figure(run: RunDir, ev: TtcEvents, names: dict[int, str]):
    """Events by kind on a time axis (onboard time), hover with satellite, parameter, level, detail."""
    import plotly.graph_objects as go

    kinds = [k for k in EVENT_KINDS if (ev.kind == k).any()] + sorted(
        set(ev.kind.tolist()) - set(EVENT_KINDS)
    )
    pick = spread(len(ev), MAX_EVENT_POINTS)
    fig = go.Figure()
    for k in kinds:
        sel = pick[ev.kind[pick] == k]
        if not sel.size:
            continue
        text = [_event_hover(ev, j, names) for j in sel.tolist()]
        fig.add_trace(
            go.Scatter(
                x=run.datetimes(ev.t_s[sel]),
                y=[k] * sel.size,
                mode="markers",
                name=f"{k} ({int((ev.kind == k).sum()):,})",
                marker=dict(
                    size=8,
                    color=EVENT_COLORS.get(k, "#7f7f7f"),
                    symbol="line-ns-open",
                    line=dict(width=2),
                ),
                text=text,
                hovertemplate="%{x}<br>%{text}<extra>" + k + "</extra>",
            )
        )
    capped = (
        ""
        if pick.size == len(ev)
        else f"; {pick.size:,} of {len(ev):,} drawn, evenly spread in time"
    )
    fig.update_layout(
        plot_layout(
            f"Alarms, onboard actions, rejections and executions ({len(ev):,} events, onboard time{capped})",
            height=max(220, 120 + 40 * len(kinds)),
            hovermode="closest",
            xaxis=dict(
                type="date",
                range=[str(w) for w in run.datetimes(np.array([0.0, run.t_last_s]))],
            ),
            yaxis=dict(
                type="category", categoryorder="array", categoryarray=kinds[::-1]
            ),
            showlegend=True,
        )
    )
    return fig


def _event_hover(ev: TtcEvents, j: int, names: dict[int, str]) -> str:
    parts = [names.get(int(ev.sat[j]), f"satellite {int(ev.sat[j])}")]
    what = " ".join(str(x) for x in (ev.parameter[j], ev.level[j]) if x)
    if what:
        parts.append(
            what + ("" if not math.isfinite(ev.value[j]) else f" = {ev.value[j]:.4g}")
        )
    if ev.detail[j]:
        parts.append(str(ev.detail[j]))
    return html.escape("<br>".join(parts)).replace("&lt;br&gt;", "<br>")
