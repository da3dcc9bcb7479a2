"""The "Faults" section, from ``faults.parquet``: events by satellite and time, cumulative events per
kind, and the summary's events per device-year."""

from __future__ import annotations

import numpy as np

from orbitcloud.report.common import FAULT_COLORS, fmt
from orbitcloud.report.data.gather import ReportData
from orbitcloud.report.data.run import RunDir
from orbitcloud.report.data.tables import FaultLog
from orbitcloud.report.sample import spread
from orbitcloud.report.sections.base import Section, html_table, plot_layout

#: Fault events drawn as points at most (the cumulative counts use all).
MAX_FAULT_POINTS = 5000


def fault_figures(run: RunDir, fl: FaultLog) -> list:
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
        plot_layout(
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
    fig.update_layout(
        plot_layout("Cumulative fault events (all events)", yaxis=dict(title="events", rangemode="tozero"))
    )
    figs.append(fig)
    return figs


def section(rd: ReportData) -> tuple[Section | None, str | None]:
    """The section when the run recorded fault events, a note when it recorded none."""
    run = rd.run
    if rd.faults is None:
        return None, None
    if len(rd.faults):
        sec = Section("faults", "Faults", "<p>From <code>faults.parquet</code> (all events).</p>")
        for f in fault_figures(run, rd.faults):
            sec.fig(f)
        rad = run.summary.get("radiation") or {}
        if rad.get("events_per_device_year"):
            rows = [
                [k, fmt((rad.get("events") or {}).get(k)), fmt(v, 4)] for k, v in rad["events_per_device_year"].items()
            ]
            sec.html(
                "<h3>Events per device-year (run summary)</h3>"
                + html_table(["kind", "events", "per device-year"], rows)
            )
        return sec, None
    return None, "Fault timeline: the run recorded no fault events."
