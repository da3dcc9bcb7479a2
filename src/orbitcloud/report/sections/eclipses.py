"""The "Eclipse calendar" section: per shell, days × time of day UTC, the share in the penumbra."""

from __future__ import annotations

import numpy as np

from orbitcloud.report.data.gather import ReportData
from orbitcloud.report.data.tables import EclipseCalendar
from orbitcloud.report.sections.base import Section, plot_layout


def eclipse_figure(cal: EclipseCalendar):
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
        plot_layout(
            f"Eclipse calendar per shell ({cal.bin_s / 60:g}-min bins; {cal.eclipses:,} eclipses, all satellites)",
            height=min(2400, 80 + n * rows_px + 40 * n),
            hovermode="closest",
        )
    )
    return fig


def section(rd: ReportData) -> tuple[Section | None, str | None]:
    """The section, or a note that ``eclipses.csv`` is absent."""
    if rd.calendar is not None and rd.calendar.shells:
        sec = Section(
            "eclipses",
            "Eclipse calendar",
            "<p>Share of each shell's satellites inside the penumbra (illumination &lt; 1), from <code>eclipses.csv</code>.</p>",
        )
        sec.fig(eclipse_figure(rd.calendar))
        return sec, None
    return None, "Eclipse calendar: <code>eclipses.csv</code> is absent (run without <code>--no-eclipses</code>)."
