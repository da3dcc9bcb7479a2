"""The "Power, battery, temperature and compute" section, from ``timeseries.parquet``: fleet power,
state-of-charge and temperature percentile bands, compute delivered, utilisation and throttling."""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.report.common import scale_for
from orbitcloud.report.data.gather import ReportData
from orbitcloud.report.data.run import RunDir
from orbitcloud.report.data.timeline import Timeline
from orbitcloud.report.sections.base import Section, plot_layout


def timeline_figures(run: RunDir, tl: Timeline) -> list:
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
        plot_layout(
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
        plot_layout(
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
        plot_layout(
            "Utilisation and throttling (share of satellites with hardware)", yaxis=dict(title="[%]", range=[0, 101])
        )
    )
    figs.append(fig)
    return figs


def _band_figure(t, q: np.ndarray, title: str, ytitle: str, color: str, extra=()):
    """Percentile bands: min–max, 5–95, 25–75 and the median (rows of q follow BAND_PERCENTILES)."""
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
    fig.update_layout(plot_layout(title, yaxis=dict(title=ytitle)))
    return fig


def section(rd: ReportData) -> tuple[Section | None, str | None]:
    """The section, or a note on how to get it (a run with hardware but without ``--record``)."""
    run = rd.run
    if rd.timeline is not None:
        sec = Section(
            "timelines",
            "Power, battery, temperature and compute",
            f"<p>From <code>timeseries.parquet</code>: {rd.timeline.rows:,} rows, all {run.n_sat:,} satellites "
            f"({rd.timeline.n_hw:,} with hardware), {rd.timeline.t_s.size:,} samples.</p>",
        )
        for f in timeline_figures(run, rd.timeline):
            sec.fig(f)
        return sec, None
    if run.has_hardware.any():
        return None, "Timelines of power, battery, temperature and compute: run with <code>--record 10min</code>."
    return None, None
