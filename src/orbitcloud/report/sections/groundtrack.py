"""The ground-track map of the "Fleet at one time" section: coastlines, one orbit of track for a
stratified handful of satellites, the drawn sub-satellite points and the stations."""

from __future__ import annotations

import numpy as np

from orbitcloud.report.common import PALETTE
from orbitcloud.report.data.run import RunDir
from orbitcloud.report.data.snapshot import COLORS, FleetSnapshot
from orbitcloud.report.sections.base import TOP_LEGEND, plot_layout


def map_figure(run: RunDir, snap: FleetSnapshot, names: list[str]):
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
    _, label, rng = COLORS[snap.color]
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
        plot_layout(
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
