"""The "TT&C" section (``docs/ttc.md``): key numbers per shell and per station with the run's totals,
the contact plan per station on a timeline (served passes coloured by antenna, unserved in grey),
command latency issued → completed by path, telemetry age and commandable shares over time, and
the alarms and onboard actions on a timeline with the first events and commands as tables.

Shown when ``summary.ttc`` is not null; every drawing is bounded (:data:`MAX_GANTT_BARS` passes,
:data:`MAX_EVENT_POINTS` events, :data:`MAX_EVENT_ROWS` / :data:`MAX_COMMAND_ROWS` table rows,
freshness binned in :mod:`orbitcloud.report.data.ttc`); totals come from ``summary.json``.
"""

from __future__ import annotations

import html

import numpy as np

from orbitcloud.report.common import fmt, pct
from orbitcloud.report.data.gather import ReportData
from orbitcloud.report.data.run import RunDir
from orbitcloud.report.data.ttc import (
    TtcCommands,
    TtcData,
    TtcEvents,
)
from orbitcloud.report.sections.base import Section, html_table
from orbitcloud.report.sections.ttc_figures import (  # noqa: F401  (constants re-exported)
    ANTENNA_COLORS,
    EVENT_COLORS,
    MAX_ANTENNA_LANES,
    MAX_COMMAND_ROWS,
    MAX_EVENT_POINTS,
    MAX_EVENT_ROWS,
    MAX_STATION_ROWS,
    UNSERVED_COLOR,
    _event_hover,
    _when,
    command_latency_figure,
    contact_plan_figure,
    duration,
    event_figure,
    freshness_figures,
)


def shell_rows(ttc: dict) -> list[list[str]]:
    return [
        [
            s.get("shell", "–"),
            fmt(s.get("satellites")),
            pct(s.get("commandable_direct_fraction")),
            pct(s.get("commandable_with_relays_fraction")),
            duration(s.get("command_latency_direct_p50_s")),
            duration(s.get("command_latency_direct_p99_s")),
            duration(s.get("command_latency_relay_p50_s")),
            duration(s.get("command_latency_relay_p99_s")),
            pct(s.get("command_unreached_direct_fraction")),
            pct(s.get("command_unreached_relay_fraction")),
            duration(s.get("telemetry_age_p50_s")),
            duration(s.get("telemetry_age_p99_s")),
            duration(s.get("telemetry_age_max_s")),
        ]
        for s in ttc.get("shells") or []
    ]


SHELL_HEAD = [
    "shell",
    "satellites",
    "commandable direct",
    "with relays",
    "latency direct p50",
    "p99",
    "with relays p50",
    "p99",
    "unreached direct",
    "with relays",
    "telemetry age p50",
    "p99",
    "max",
]
STATION_HEAD = [
    "station",
    "antennas",
    "passes",
    "served",
    "unserved",
    "antenna utilisation",
]


def station_rows(ttc: dict) -> tuple[list[list[str]], str]:
    st = list(ttc.get("stations") or [])
    note = ""
    if len(st) > MAX_STATION_ROWS:
        note = f"<p class='note'>{MAX_STATION_ROWS} of {len(st):,} stations shown, those with the most passes.</p>"
        st = sorted(st, key=lambda r: -int(r.get("passes") or 0))[:MAX_STATION_ROWS]
    rows = [
        [
            r.get("station", "–"),
            fmt(r.get("antennas")),
            fmt(r.get("passes")),
            fmt(r.get("served")),
            fmt(r.get("unserved")),
            pct(r.get("antenna_utilisation")),
        ]
        for r in st
    ]
    return rows, note


#: The totals of ``summary.ttc`` shown, in order: (key, label).
TOTALS = (
    ("passes", "passes"),
    ("passes_unserved", "passes unserved"),
    ("relays", "laser relays"),
    ("commands", "commands sent"),
    ("commands_completed", "commands completed"),
    ("commands_failed", "commands failed or rejected"),
    ("packets_rejected", "packets rejected onboard"),
    ("alarms_raised", "alarms raised"),
    ("alarms_cleared", "alarms cleared"),
    ("stored_limit_violations", "stored limit violations"),
    ("autonomy_actions", "onboard actions"),
    ("telemetry_packets_delivered", "telemetry packets delivered"),
    ("telemetry_packets_lost", "telemetry packets lost"),
    ("telemetry_packets_onboard", "telemetry packets still onboard"),
    ("housekeeping_every_s", "housekeeping every [s]"),
    ("store_packets", "onboard store [packets]"),
)


def totals_rows(td: TtcData) -> list[list[str]]:
    rows = [
        [label, fmt(td.summary.get(key))] for key, label in TOTALS if key in td.summary
    ]
    if td.telemetry_rows is not None:
        rows.append(
            ["ground archive rows (ttc_telemetry.parquet)", fmt(td.telemetry_rows)]
        )
    return rows


# ------------------------------------------------------------------------------------ contact plan


def event_rows(run: RunDir, ev: TtcEvents, names: dict[int, str]) -> list[list[str]]:
    rows = []
    for j in range(min(len(ev), MAX_EVENT_ROWS)):
        rows.append(
            [
                _when(run, float(ev.t_s[j])),
                _when(run, float(ev.ground_s[j])),
                names.get(int(ev.sat[j]), str(int(ev.sat[j]))),
                ev.kind[j] or "–",
                ev.parameter[j] or "–",
                ev.level[j] or "–",
                fmt(float(ev.value[j])),
                ev.detail[j] or "",
            ]
        )
    return rows


EVENT_HEAD = [
    "onboard time",
    "on the ground",
    "satellite",
    "kind",
    "parameter",
    "level",
    "value",
    "detail",
]
COMMAND_HEAD = [
    "id",
    "satellite",
    "command",
    "source",
    "issued",
    "path",
    "status",
    "issued → completed",
    "reason",
]


def command_rows(run: RunDir, cmd: TtcCommands) -> list[list[str]]:
    order = np.argsort(cmd.issued_s, kind="stable")[:MAX_COMMAND_ROWS]
    lat = cmd.latency_s
    return [
        [
            cmd.id[j] or "–",
            cmd.name[j] or str(int(cmd.sat[j])),
            cmd.command[j] or "–",
            cmd.source[j] or "–",
            _when(run, float(cmd.issued_s[j])),
            cmd.path[j] or "–",
            cmd.status[j] or "–",
            duration(float(lat[j])),
            cmd.reason[j] or "",
        ]
        for j in order.tolist()
    ]


def _names(run: RunDir, sats: np.ndarray) -> dict[int, str]:
    uniq = np.unique(sats)
    uniq = uniq[(uniq >= 0) & (uniq < run.n_sat)]
    return dict(zip(uniq.tolist(), run.fleet.names(uniq), strict=True))


# -------------------------------------------------------------------------------------- section


def section(rd: ReportData) -> tuple[Section | None, str | None]:
    """The section when ``summary.ttc`` is not null, else a note that the run has no TT&C."""
    run = rd.run
    td: TtcData | None = rd.ttc
    if td is None:
        return None, (
            "TT&amp;C: the run has no TT&amp;C layer (<code>summary.ttc</code> is null; run with "
            "<code>--ttc</code> or a <code>ttc:</code> section)."
        )
    ttc = td.summary
    sec = Section(
        "ttc",
        "TT&C",
        "<p>Telemetry, tracking and command (<code>docs/ttc.md</code>): the contact plan and antenna "
        "booking (<code>contacts.csv</code>), commands (<code>ttc_commands.parquet</code>), the ground's "
        "view of telemetry (<code>ttc_freshness.parquet</code>) and alarms and onboard actions "
        "(<code>ttc_events.parquet</code>). Latency figures per shell come from a probe command sent to "
        "every satellite every probe interval, issue to execution.</p>",
    )
    sec.html(
        "<h3>Per shell (summary.json)</h3>" + html_table(SHELL_HEAD, shell_rows(ttc))
    )
    st_rows, st_note = station_rows(ttc)
    notes = "".join(
        f"<li class='note'>{html.escape(str(n))}</li>" for n in ttc.get("notes") or []
    )
    sec.html(
        '<div class="kvgrid"><div><h3>Per station</h3>'
        + html_table(STATION_HEAD, st_rows)
        + st_note
        + "</div><div><h3>Totals</h3>"
        + html_table(["figure", "value"], totals_rows(td), "kv")
        + "</div></div>"
        + (f"<ul>{notes}</ul>" if notes else "")
    )
    if td.contacts is not None and len(td.contacts):
        sec.fig(contact_plan_figure(run, td.contacts, ttc))
    else:
        sec.html("<p class='note'>No TT&amp;C passes in the run window.</p>")
    if td.commands is not None and len(td.commands):
        fig = command_latency_figure(td.commands)
        if fig is not None:
            sec.fig(fig)
        else:
            sec.html("<p class='note'>No command completed within the run.</p>")
    else:
        sec.html(
            "<p class='note'>No commands were sent in the run (<code>ttc.commands</code>); the command "
            "latencies per shell above are those of the probes.</p>"
        )
    if td.freshness is not None and td.freshness.shells:
        for f in freshness_figures(run, td.freshness):
            sec.fig(f)
    ev = td.events
    if ev is not None and len(ev):
        names = _names(run, ev.sat)
        sec.fig(event_figure(run, ev, names))
        more = (
            ""
            if len(ev) <= MAX_EVENT_ROWS
            else f" (first {MAX_EVENT_ROWS} of {len(ev):,})"
        )
        sec.html(
            f"<h3>Events{more}</h3>"
            + html_table(EVENT_HEAD, event_rows(run, ev, names))
        )
    else:
        sec.html(
            "<p class='note'>No alarms, onboard actions, rejections or command executions in the run.</p>"
        )
    if td.commands is not None and len(td.commands):
        more = (
            ""
            if len(td.commands) <= MAX_COMMAND_ROWS
            else f" (first {MAX_COMMAND_ROWS} of {len(td.commands):,})"
        )
        sec.html(
            f"<h3>Commands{more}</h3>"
            + html_table(COMMAND_HEAD, command_rows(run, td.commands))
        )
    return sec, None
