"""The "Workloads" section: latency CDFs, requests by city and outcome, inference throughput, queue
and active servers, training progress, Earth-observation volumes, and the ``summary.workloads`` tables."""

from __future__ import annotations

import html

import numpy as np

from orbitcloud.report.common import PALETTE, fmt, pct, scale_for
from orbitcloud.report.data.gather import ReportData
from orbitcloud.report.data.run import RunDir
from orbitcloud.report.data.workloads import EO_FLOWS, LATENCY_COLUMNS, REQUEST_STATUSES, column, ecdf_points
from orbitcloud.report.sections.base import Section, html_table, plot_layout


def workload_figures(run: RunDir, req, wt) -> tuple[list, list[str]]:
    """Figures and notes from requests.parquet and workload_timeline.parquet."""
    import plotly.graph_objects as go

    figs, notes = [], []
    if req is not None and req.num_rows:
        status = np.asarray(req.column("status").to_pylist(), dtype=object)
        served = status == "served"
        fig = go.Figure()
        for i, c in enumerate(LATENCY_COLUMNS):
            v = column(req, c)
            if v is None:
                continue
            x, f = ecdf_points(v[served])
            if x.size:
                fig.add_trace(
                    go.Scatter(x=x, y=f, mode="lines", name=c.removesuffix("_s"), line=dict(width=2, color=PALETTE[i]))
                )
        fig.update_layout(
            plot_layout(
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
        for j, s in enumerate(REQUEST_STATUSES):
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
            plot_layout(
                f"Requests by city and outcome{more}",
                barmode="stack",
                hovermode="closest",
                yaxis=dict(title="requests"),
            )
        )
        figs.append(fig)
    if wt is not None and wt.num_rows:
        t_s = column(wt, "t_s").astype(np.float64)
        t = run.datetimes(t_s)
        dt_s = np.diff(t_s, append=t_s[-1] + (t_s[-1] - t_s[-2] if t_s.size > 1 else run.step_s))
        dt_s = np.where(dt_s > 0, dt_s, np.nan)
        if column(wt, "inference_arrivals") is not None or column(wt, "inference_served") is not None:
            fig = go.Figure()
            for name, color in (("inference_arrivals", "#7f7f7f"), ("inference_served", "#2ca02c")):
                v = column(wt, name)
                if v is not None:
                    fig.add_trace(
                        go.Scatter(
                            x=t, y=v / dt_s, name=name.split("_")[1], mode="lines", line=dict(color=color, width=2)
                        )
                    )
            tok = column(wt, "inference_tokens_out")
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
                plot_layout(
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
        if column(wt, "inference_queue") is not None or column(wt, "inference_active_servers") is not None:
            fig = go.Figure()
            q = column(wt, "inference_queue")
            if q is not None:
                fig.add_trace(go.Scatter(x=t, y=q, name="queue", mode="lines", line=dict(color="#ff7f0e", width=2)))
            a = column(wt, "inference_active_servers")
            if a is not None:
                fig.add_trace(
                    go.Scatter(x=t, y=a, name="active servers", yaxis="y2", mode="lines", line=dict(color="#1f77b4"))
                )
            fig.update_layout(
                plot_layout(
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
        tok = column(wt, "training_tokens_cum")
        if tok is not None:
            fig = go.Figure(
                go.Scatter(x=t, y=tok, name="tokens trained", mode="lines", line=dict(color="#9467bd", width=2))
            )
            m = column(wt, "training_active_members")
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
                plot_layout(
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
        eo = [(c, column(wt, c)) for c in EO_FLOWS]
        colors = dict(zip(EO_FLOWS, ("#7f7f7f", "#1f77b4", "#9467bd", "#2ca02c", "#d62728"), strict=True))
        eo = [(c, v) for c, v in eo if v is not None]
        stored = column(wt, "eo_stored_b")
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
                plot_layout("Earth observation data volumes", yaxis=dict(title=f"[{unit}]", rangemode="tozero"))
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
        out.append("<div><h3>Run</h3>" + html_table(["figure", "value"], general, "kv") + "</div>")
    for key, title in (
        ("inference", "Inference"),
        ("training", "Training"),
        ("earth_observation", "Earth observation"),
    ):
        d = workloads.get(key)
        if isinstance(d, dict) and d:
            rows = [[k, fmt(v)] for k, v in d.items()]
            out.append(f"<div><h3>{title}</h3>" + html_table(["figure", "value"], rows, "kv") + "</div>")
    return f'<div class="kvgrid">{"".join(out)}</div>' if out else ""


#: The serving-policy figures (docs/serving.md): (label, where, key, kind).
SERVING_ROWS = (
    ("serving policy", "inference", "serving_policy", "text"),
    ("SLO attainment", "inference", "slo_attainment", "pct"),
    ("output tokens per kWh", "inference", "tokens_per_kwh", "num"),
    ("quality-weighted tokens", "inference", "quality_weighted_tokens", "num"),
    ("quality-weighted tokens per kWh", "inference", "quality_weighted_tokens_per_kwh", "num"),
    ("cascade: escalated requests", "inference", "escalated", "num"),
    ("energy-aware: replica-steps capped", "inference", "capped_share", "pct"),
    ("energy-aware: replica-steps on the small model", "inference", "small_model_share", "pct"),
    ("lowest state of charge", "bus", "soc_min", "pct"),
    ("battery capacity left (lowest)", "bus", "battery_capacity_left_min", "pct"),
    ("energy curtailed", "bus", "energy_curtailed_j", "kwh"),
)


def serving_table(summary: dict) -> str:
    """The serving policy and what it bought (tokens per kWh, quality, battery, curtailment), or ''."""
    inf = (summary.get("workloads") or {}).get("inference")
    if not isinstance(inf, dict) or "serving_policy" not in inf:
        return ""
    parts = {"inference": inf, "bus": summary.get("bus") or {}}
    rows = []
    for label, where, key, kind in SERVING_ROWS:
        v = parts[where].get(key)
        if v is None:
            continue
        text = pct(v) if kind == "pct" else f"{v / 3.6e6:,.1f} kWh" if kind == "kwh" else str(v) if kind == "text" else fmt(v)
        rows.append([label, text])
    return "<h3>Serving under constrained power (docs/serving.md)</h3>" + html_table(["figure", "value"], rows, "kv")


def section(rd: ReportData) -> tuple[Section | None, str | None]:
    """The section when the run has workload files or ``summary.workloads``; no note."""
    run = rd.run
    workloads = run.summary.get("workloads") or {}
    figs, notes = workload_figures(run, rd.requests, rd.workload_timeline)
    if figs or workloads:
        sec = Section("workloads", "Workloads", "".join(f"<p class='note'>{html.escape(n)}</p>" for n in notes))
        for f in figs:
            sec.fig(f)
        serving = serving_table(run.summary)
        if serving:
            sec.html(serving)
        tables = workload_tables(workloads)
        if tables:
            sec.html("<h3>Run summary (summary.json)</h3>" + tables)
        return sec, None
    return None, None
