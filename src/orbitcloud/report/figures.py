"""The report's main figures as PNG files (matplotlib, Agg), for papers and slides.

``orbitcloud report RUN_DIR --png`` writes, beside the HTML file ``STEM.html``, one
``STEM-NAME.png`` per figure whose inputs exist (the same data as the HTML page,
:class:`orbitcloud.report.data.gather.ReportData`): ``globe``, ``map``, ``power``, ``soc``,
``temperature``, ``compute``, ``throttling``, ``eclipses``, ``rtt``, ``contacts``, ``faults``,
``latency``, ``throughput``, ``training``, ``eo``. Figures are drawn with matplotlib's
object-oriented API on an Agg canvas (no pyplot, so the caller's backend is not touched), 150 dpi.

This module imports only the report's data (:mod:`orbitcloud.report.data`), the shared helpers
(:mod:`orbitcloud.report.common`), :mod:`~orbitcloud.report.sample` and
:mod:`~orbitcloud.report.coastlines`, never the page or its sections.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from orbitcloud.report.common import EARTH_RADIUS_KM, FAULT_COLORS, MAX_GANTT_BARS, scale_for
from orbitcloud.report.data.gather import ReportData
from orbitcloud.report.data.run import RunDir, iso_utc
from orbitcloud.report.data.snapshot import COLORS
from orbitcloud.report.data.workloads import EO_FLOWS, LATENCY_COLUMNS, column, ecdf_points

DPI = 150
SIZE_IN = (9.0, 4.0)


def _figure(size=SIZE_IN):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _dates(run: RunDir, t_s: np.ndarray) -> np.ndarray:
    return run.datetimes(np.asarray(t_s, dtype=np.float64)).astype("datetime64[ms]")


def _time_axis(ax) -> None:
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    ax.grid(True, alpha=0.3)


def _save(fig, out_dir: Path, stem: str, name: str, written: list[Path]) -> None:
    path = out_dir / f"{stem}-{name}.png"
    fig.savefig(path)
    written.append(path)


def _cmap(color: str):
    from matplotlib.colors import LinearSegmentedColormap

    if color == "illumination":
        return LinearSegmentedColormap.from_list("illum", ["#1a1a4e", "#8a5a9e", "#ffd21f"])
    return "viridis"


def write_pngs(rd: ReportData, out_dir: Path, stem: str = "report") -> list[Path]:
    """Write the PNG figures of a :class:`~orbitcloud.report.data.gather.ReportData`; returns the files."""
    from orbitcloud.report.coastlines import coastlines_deg

    run = rd.run
    out_dir = Path(out_dir)
    written: list[Path] = []
    snap = rd.snapshot
    _, label, rng = COLORS[snap.color]
    vmin, vmax = (
        rng
        if rng is not None
        else (
            np.nanmin(snap.values) if np.isfinite(snap.values).any() else 0,
            np.nanmax(snap.values) if np.isfinite(snap.values).any() else 1,
        )
    )
    when = iso_utc(run.time_ns(snap.t_s))

    # globe: 3D scatter over a wireframe Earth
    fig = _figure((7.0, 6.5))
    ax = fig.add_subplot(projection="3d")
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 37), np.linspace(0, np.pi, 19))
    r = EARTH_RADIUS_KM
    ax.plot_surface(
        r * np.cos(u) * np.sin(v), r * np.sin(u) * np.sin(v), r * np.cos(v), color="#dbe7f3", alpha=0.35, linewidth=0
    )
    # matplotlib does not hide what is behind the sphere: split by the view direction ourselves
    elev, azim = np.radians(25.0), np.radians(-60.0)
    view = np.array([np.cos(elev) * np.cos(azim), np.cos(elev) * np.sin(azim), np.sin(elev)])
    ax.view_init(elev=25.0, azim=-60.0)
    clon, clat = np.radians(coastlines_deg()[0]), np.radians(coastlines_deg()[1])
    cxyz = np.stack([r * np.cos(clat) * np.cos(clon), r * np.cos(clat) * np.sin(clon), r * np.sin(clat)], axis=1)
    cxyz[cxyz @ view < 0] = np.nan
    ax.plot(cxyz[:, 0], cxyz[:, 1], cxyz[:, 2], color="#5b6b7b", lw=0.4)
    p = snap.pos_m / 1000.0
    along = p @ view
    across = np.linalg.norm(p - along[:, None] * view[None, :], axis=1)
    front = (along > 0) | (across > r)
    size = 4 if p.shape[0] > 2000 else 10
    ax.scatter(
        p[~front, 0],
        p[~front, 1],
        p[~front, 2],
        c=snap.values[~front],
        cmap=_cmap(snap.color),
        vmin=vmin,
        vmax=vmax,
        s=size,
        alpha=0.12,
        depthshade=False,
    )
    sc = ax.scatter(
        p[front, 0],
        p[front, 1],
        p[front, 2],
        c=snap.values[front],
        cmap=_cmap(snap.color),
        vmin=vmin,
        vmax=vmax,
        s=size,
        depthshade=False,
    )
    lim = float(np.nanmax(np.abs(p))) if np.isfinite(p).any() else r
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_zlim(-lim, lim)
    ax.set_box_aspect((1, 1, 1))
    ax.set_axis_off()
    fig.colorbar(sc, ax=ax, shrink=0.6, label=label)
    ax.set_title(f"{run.summary['scenario']}: {snap.sats.size:,} of {run.n_sat:,} satellites at {when}", fontsize=10)
    _save(fig, out_dir, stem, "globe", written)

    # ground-track map
    fig = _figure((10.0, 5.4))
    ax = fig.add_subplot()
    ax.plot(*coastlines_deg(), color="#9aa5b1", lw=0.6)
    for i, s in enumerate(snap.track_sats.tolist()):
        shell = int(run.shell_of[s])
        ax.plot(snap.track_lon_deg[i], snap.track_lat_deg[i], lw=0.7, color=f"C{shell % 10}", alpha=0.8)
    sc = ax.scatter(
        snap.lon_deg,
        snap.lat_deg,
        c=snap.values,
        cmap=_cmap(snap.color),
        vmin=vmin,
        vmax=vmax,
        s=3 if snap.sats.size > 2000 else 10,
        zorder=3,
    )
    if run.stations is not None and len(run.stations):
        ax.scatter(
            np.degrees(run.stations.lon_rad),
            np.degrees(run.stations.lat_rad),
            marker="^",
            color="#006d2c",
            s=30,
            zorder=4,
        )
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_aspect("equal")
    ax.set_xticks(np.arange(-180, 181, 30))
    ax.set_yticks(np.arange(-90, 91, 30))
    ax.set_xlabel("longitude [°]")
    ax.set_ylabel("latitude [°]")
    ax.grid(True, alpha=0.3)
    fig.colorbar(sc, ax=ax, shrink=0.8, label=label)
    ax.set_title(f"Ground tracks and sub-satellite points at {when}", fontsize=10)
    _save(fig, out_dir, stem, "map", written)

    tl = rd.timeline
    if tl is not None:
        t = _dates(run, tl.t_s)
        div, unit = scale_for(np.concatenate(list(tl.power_w.values())), "W")
        fig = _figure()
        ax = fig.add_subplot()
        for key, c in (
            ("generated", "#f2b100"),
            ("used", "#1f77b4"),
            ("compute", "#d62728"),
            ("heater", "#9467bd"),
            ("curtailed", "#7f7f7f"),
        ):
            ax.plot(t, tl.power_w[key] / div, label=key, color=c)
        ax.set_ylabel(f"power [{unit}]")
        ax.legend(ncol=5, fontsize=8, loc="lower left")
        ax.set_title("Fleet power (sum over all satellites)", fontsize=10)
        _time_axis(ax)
        _save(fig, out_dir, stem, "power", written)
        for name, q, title, ylabel, c in (
            (
                "soc",
                tl.soc_q * 100.0,
                "Battery state of charge (satellites with hardware)",
                "state of charge [%]",
                "#2ca02c",
            ),
            (
                "temperature",
                tl.t_node_c_q,
                "Node temperatures (satellites with hardware)",
                "temperature [°C]",
                "#d62728",
            ),
        ):
            fig = _figure()
            ax = fig.add_subplot()
            for lo, hi, alpha, lab in ((0, 6, 0.12, "min–max"), (1, 5, 0.22, "5–95 %"), (2, 4, 0.35, "25–75 %")):
                ax.fill_between(t, q[lo], q[hi], color=c, alpha=alpha, lw=0, label=lab)
            ax.plot(t, q[3], color=c, label="median")
            if name == "temperature":
                for lim in list(tl.t_limit_c.values())[:5]:
                    ax.axhline(lim, color="#d62728", ls="--", lw=0.8)
            ax.set_ylabel(ylabel)
            ax.legend(ncol=4, fontsize=8, loc="lower left")
            ax.set_title(title, fontsize=10)
            _time_axis(ax)
            _save(fig, out_dir, stem, name, written)
        div, unit = scale_for(np.array([tl.nameplate_ops_per_s]), "OP/s")
        fig = _figure()
        ax = fig.add_subplot()
        ax.fill_between(t, 0, tl.delivered_ops_per_s / div, color="#1f77b4", alpha=0.5, label="delivered")
        ax.axhline(tl.nameplate_ops_per_s / div, color="k", ls="--", label="nameplate")
        ax.axhline(tl.target_ops_per_s / div, color="#7f7f7f", ls=":", label="utilisation target")
        ax.set_ylabel(f"[{unit}]")
        ax.set_ylim(bottom=0)
        ax.legend(ncol=3, fontsize=8, loc="lower left")
        ax.set_title("Compute delivered vs nameplate", fontsize=10)
        _time_axis(ax)
        _save(fig, out_dir, stem, "compute", written)
        fig = _figure()
        ax = fig.add_subplot()
        ax.stackplot(
            t,
            100 * tl.throttled_power,
            100 * tl.throttled_thermal,
            colors=["#ff7f0e", "#d62728"],
            labels=["throttled by power", "throttled by temperature"],
            alpha=0.7,
        )
        ax.plot(t, 100 * tl.utilisation_mean, color="#1f77b4", label="mean utilisation")
        ax.set_ylim(0, 101)
        ax.set_ylabel("[%]")
        ax.legend(ncol=3, fontsize=8, loc="lower left")
        ax.set_title("Utilisation and throttling (share of satellites with hardware)", fontsize=10)
        _time_axis(ax)
        _save(fig, out_dir, stem, "throttling", written)

    cal = rd.calendar
    if cal is not None and cal.shells:
        n = len(cal.shells)
        fig = _figure((9.0, 1.2 + n * (0.6 + 0.18 * len(cal.days))))
        axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
        for ax, (name, m) in zip(axes, cal.shells):
            im = ax.imshow(
                m,
                aspect="auto",
                origin="upper",
                cmap="cividis_r",
                vmin=0,
                vmax=1,
                interpolation="nearest",
                extent=(0, 24, len(cal.days), 0),
            )
            ax.set_yticks(
                np.arange(len(cal.days)) + 0.5, cal.days if len(cal.days) <= 12 else [""] * len(cal.days), fontsize=7
            )
            ax.set_title(name, fontsize=9)
        axes[-1].set_xlabel("time of day [h UTC]")
        axes[-1].set_xticks(np.arange(0, 25, 2))
        fig.colorbar(im, ax=list(axes), label="fraction in eclipse", shrink=0.8)
        _save(fig, out_dir, stem, "eclipses", written)

    if rd.rtt is not None:
        rs = rd.rtt
        fig = _figure()
        ax = fig.add_subplot()
        t = _dates(run, rs.t_s)
        for p, name in enumerate(rs.pairs):
            ax.plot(t, rs.rtt_ms[:, p], color=f"C{p}", label=name.replace(",", " – "))
            k = np.flatnonzero(rs.changed[:, p])
            ax.plot(t[k], rs.rtt_ms[k, p], "x", color=f"C{p}", ms=4)
        ax.set_ylabel("RTT [ms]")
        ax.legend(fontsize=8)
        ax.set_title("Round-trip time between station pairs (× path change)", fontsize=10)
        _time_axis(ax)
        _save(fig, out_dir, stem, "rtt", written)

    ct = rd.contacts
    if ct is not None and len(ct):
        from orbitcloud.report.sample import spread

        stations = sorted(set(ct.station.tolist()))
        fig = _figure((9.0, 1.0 + 0.3 * len(stations)))
        ax = fig.add_subplot()
        order = np.lexsort((ct.start_s, ct.station))
        pick = order[spread(order.size, MAX_GANTT_BARS)]
        row = {s: i for i, s in enumerate(stations)}
        y = np.array([row[s] for s in ct.station[pick]])
        ax.barh(
            y,
            (ct.end_s[pick] - ct.start_s[pick]) / 3600.0,
            left=ct.start_s[pick] / 3600.0,
            height=0.7,
            color="#2ca02c",
            alpha=0.45,
            lw=0,
        )
        ax.set_yticks(np.arange(len(stations)), stations, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(f"hours after {run.summary['start']}")
        ax.set_title(f"Contact windows ({len(ct):,})", fontsize=10)
        ax.grid(True, axis="x", alpha=0.3)
        _save(fig, out_dir, stem, "contacts", written)

    fl = rd.faults
    if fl is not None and len(fl):
        fig = _figure()
        ax = fig.add_subplot()
        for k in sorted(set(fl.kind.tolist())):
            tk = np.sort(fl.t_s[fl.kind == k])
            x = np.concatenate([[0.0], tk, [run.t_last_s]])
            yv = np.concatenate([[0], np.arange(1, tk.size + 1), [tk.size]])
            ax.step(_dates(run, x), yv, where="post", color=FAULT_COLORS.get(k, "#7f7f7f"), label=f"{k} ({tk.size:,})")
        ax.set_ylabel("events")
        ax.legend(fontsize=8, ncol=4)
        ax.set_title("Cumulative fault events", fontsize=10)
        _time_axis(ax)
        _save(fig, out_dir, stem, "faults", written)

    _workload_pngs(run, rd, out_dir, stem, written)
    return written


def _workload_pngs(run: RunDir, rd: ReportData, out_dir: Path, stem: str, written: list[Path]) -> None:
    req, wt = rd.requests, rd.workload_timeline
    if req is not None and req.num_rows:
        served = np.asarray(req.column("status").to_pylist(), dtype=object) == "served"
        fig = _figure()
        ax = fig.add_subplot()
        for i, c in enumerate(LATENCY_COLUMNS):
            v = column(req, c)
            if v is None:
                continue
            x, f = ecdf_points(v[served])
            if x.size:
                ax.step(x, f, where="post", label=c.removesuffix("_s"), color=f"C{i}")
        ax.set_xscale("log")
        ax.set_xlabel("latency [s]")
        ax.set_ylabel("fraction ≤ x")
        ax.set_ylim(0, 1.01)
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # nothing served yet: no curves to name
            ax.legend(fontsize=8)
        ax.set_title(f"Inference latency CDFs ({int(served.sum()):,} served)", fontsize=10)
        _save(fig, out_dir, stem, "latency", written)
    if wt is None or not wt.num_rows:
        return
    t_s = column(wt, "t_s").astype(np.float64)
    t = _dates(run, t_s)
    dt_s = np.diff(t_s, append=t_s[-1] + (t_s[-1] - t_s[-2] if t_s.size > 1 else run.step_s))
    dt_s = np.where(dt_s > 0, dt_s, np.nan)
    arr, srv = column(wt, "inference_arrivals"), column(wt, "inference_served")
    if arr is not None or srv is not None:
        fig = _figure()
        ax = fig.add_subplot()
        for v, lab, c in ((arr, "arrivals", "#7f7f7f"), (srv, "served", "#2ca02c")):
            if v is not None:
                ax.plot(t, v / dt_s, label=lab, color=c)
        ax.set_ylabel("requests/s")
        ax.legend(fontsize=8)
        ax.set_title("Inference throughput", fontsize=10)
        _time_axis(ax)
        _save(fig, out_dir, stem, "throughput", written)
    tok = column(wt, "training_tokens_cum")
    if tok is not None:
        fig = _figure()
        ax = fig.add_subplot()
        ax.plot(t, tok, color="#9467bd")
        ax.set_ylabel("tokens trained")
        ax.set_title("Training progress", fontsize=10)
        _time_axis(ax)
        _save(fig, out_dir, stem, "training", written)
    eo = [(c, column(wt, c)) for c in EO_FLOWS]
    eo = [(c, np.cumsum(v.astype(np.float64))) for c, v in eo if v is not None]
    stored = column(wt, "eo_stored_b")
    if eo or stored is not None:
        allv = np.concatenate([v for _, v in eo] + ([stored.astype(np.float64)] if stored is not None else []))
        div, unit = scale_for(allv, "B")
        fig = _figure()
        ax = fig.add_subplot()
        for c, v in eo:
            ax.plot(t, v / div, label=c[3:-2] + " (cumulative)")
        if stored is not None:
            ax.plot(t, stored / div, ls=":", label="stored on board")
        ax.set_ylabel(f"[{unit}]")
        ax.legend(fontsize=8)
        ax.set_title("Earth observation data volumes", fontsize=10)
        _time_axis(ax)
        _save(fig, out_dir, stem, "eo", written)
