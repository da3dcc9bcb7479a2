"""The "Fleet at one time" section: the globe (:mod:`.globe`) and the ground-track map
(:mod:`.groundtrack`) at the report's time, from positions recomputed with the run's propagator."""

from __future__ import annotations

import html

from orbitcloud.report.data.gather import ReportData
from orbitcloud.report.data.network import NETWORK_MAX_SATELLITES
from orbitcloud.report.sections.base import Section
from orbitcloud.report.sections.globe import globe_figure
from orbitcloud.report.sections.groundtrack import map_figure


def section(rd: ReportData) -> tuple[Section | None, str | None]:
    """The section (always drawn) and no note."""
    run = rd.run
    sec = Section(
        "fleet",
        "Fleet at one time",
        f"<p>Positions recomputed from <code>scenario.yaml</code> with the run's propagator "
        f"(<code>{html.escape(run.propagator)}</code>). {html.escape(rd.sample.describe(run.shell_names))}</p>",
    )
    sec.fig(globe_figure(run, rd.snapshot, rd.names))
    sec.fig(map_figure(run, rd.snapshot, rd.names))
    if rd.snapshot.links is None and run.network_config:
        sec.html(f"<p class='note'>Links are not drawn for fleets above {NETWORK_MAX_SATELLITES:,} satellites.</p>")
    return sec, None
