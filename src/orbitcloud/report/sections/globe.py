"""The 3D globe of the "Fleet at one time" section: Earth mesh, coastlines, Sun direction, links in
use, ground stations and the drawn satellites coloured by ``--color``."""

from __future__ import annotations

import numpy as np

from orbitcloud.report.common import EARTH_RADIUS_KM
from orbitcloud.report.data.run import RunDir, iso_utc
from orbitcloud.report.data.snapshot import COLORS, FleetSnapshot
from orbitcloud.report.sample import spread
from orbitcloud.report.sections.base import TOP_LEGEND, plot_layout

#: Links drawn on the globe at most.
MAX_LINKS = 20000


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


def _link_segments(run: RunDir, snap: FleetSnapshot) -> tuple[np.ndarray | None, np.ndarray | None, int, int]:
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


def _camera_eye(run: RunDir, snap: FleetSnapshot) -> dict:
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


def globe_figure(run: RunDir, snap: FleetSnapshot, names: list[str]):
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
    _, label, rng = COLORS[snap.color]
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
    when = iso_utc(run.time_ns(snap.t_s))
    note = (
        ""
        if abs(snap.values_t_s - snap.t_s) < 1e-6
        else f" (colour from the sample at {iso_utc(run.time_ns(snap.values_t_s))})"
    )
    fig = go.Figure(traces)
    fig.update_layout(
        plot_layout(
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
