"""The page's header (scenario, window, version, time of writing) and the "Key numbers" section:
cards from ``summary.json``, the shells table, findings, what was drawn and what is not shown."""

from __future__ import annotations

import datetime as _dt
import html

from orbitcloud.report.common import fmt, pct, si
from orbitcloud.report.data.gather import ReportData
from orbitcloud.report.sections.base import html_table


def _cards(summary: dict) -> list[tuple[str, str, str]]:
    """(label, value, note) of the key numbers."""
    s = summary
    out = [
        ("satellites", fmt(s["satellites"]), f"{len(s['shells'])} shell(s)"),
        ("window", _duration(float(s["duration_s"])), f"{s['steps']:,} steps of {s['step_s']:g} s, {s['propagator']}"),
        (
            "sunlit fraction",
            pct(s.get("sunlit_fraction")),
            f"{fmt(s.get('eclipses_per_satellite_day'), 3)} eclipses per satellite-day",
        ),
        ("longest eclipse", f"{fmt(s.get('longest_eclipse_s'), 4)} s", str(s.get("longest_eclipse_satellite") or "")),
    ]
    b = s.get("bus")
    if b:
        gen = b.get("energy_generated_j") or 0.0
        out += [
            (
                "energy generated",
                si(gen / 3600.0, "Wh"),
                f"used {si((b.get('energy_used_j') or 0) / 3600.0, 'Wh')}, "
                f"curtailed {pct((b.get('energy_curtailed_j') or 0) / gen if gen else None)}",
            ),
            (
                "compute delivered",
                si(b.get("compute_delivered_ops") or 0.0, "OP"),
                f"{pct(b.get('compute_delivered_fraction'))} of nameplate {si(b.get('nameplate_ops_per_s') or 0.0, 'OP/s')}",
            ),
            (
                "battery",
                f"SoC min {pct(b.get('soc_min'))}",
                f"node {fmt(b.get('temperature_min_c'), 3)} .. {fmt(b.get('temperature_max_c'), 3)} °C",
            ),
        ]
    r = s.get("radiation")
    if r:
        ev = r.get("events") or {}
        out.append(
            (
                "accelerator availability",
                pct(r.get("availability"), 5),
                f"{sum(int(v) for v in ev.values()):,} fault events, {fmt(r.get('devices_lost'))} devices lost",
            )
        )
    n = s.get("network")
    if n:
        out.append(
            (
                "network",
                f"{n.get('isl_topology')}",
                f"{fmt(n.get('links_per_satellite_mean'), 3)} ISLs per satellite, {fmt(n.get('contacts'))} contacts",
            )
        )
        if n.get("stations"):
            out.append(
                (
                    "downlink",
                    si((n.get("downlink_bytes_per_day") or 0.0), "B/day"),
                    f"{n['stations']} stations; gateway delay mean {fmt(n.get('gateway_delay_ms_mean'), 3)} ms",
                )
            )
    w = s.get("workloads") or {}
    for key, label in (
        ("inference", "inference"),
        ("training", "training"),
        ("earth_observation", "Earth observation"),
    ):
        if isinstance(w.get(key), dict) and w[key]:
            first = list(w[key].items())[:2]
            out.append((label, fmt(first[0][1]), "; ".join(f"{k}: {fmt(v)}" for k, v in first)))
    return out


def _duration(seconds: float) -> str:
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{seconds / 86400:g} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.4g} h"
    if seconds >= 60:
        return f"{seconds / 60:.4g} min"
    return f"{seconds:g} s"


def _shell_table(summary: dict) -> str:
    head = [
        "shell",
        "kind",
        "satellites",
        "altitude km",
        "inclination °",
        "sunlit",
        "eclipses/day",
        "design",
        "compute delivered",
        "throttled P/T",
        "SoC min",
        "T °C",
    ]
    rows = []
    for s in summary["shells"]:
        b = s.get("bus") or {}

        def span(lo, hi, d):
            if lo is None:
                return "–"
            return f"{lo:.{d}f}" if hi is None or abs(hi - lo) < 10**-d else f"{lo:.{d}f}–{hi:.{d}f}"

        rows.append(
            [
                s["name"],
                s["kind"],
                fmt(s["satellites"]),
                span(s.get("mean_altitude_km_min"), s.get("mean_altitude_km_max"), 0),
                span(s.get("inclination_deg_min"), s.get("inclination_deg_max"), 1),
                pct(s.get("sunlit_fraction")),
                fmt(s.get("eclipses_per_satellite_day"), 3),
                b.get("design", "–"),
                pct(b.get("compute_delivered_fraction")),
                "–"
                if not b
                else f"{pct(b.get('throttled_fraction_power'))} / {pct(b.get('throttled_fraction_thermal'))}",
                pct(b.get("soc_min")),
                "–" if not b else f"{fmt(b.get('temperature_min_c'), 3)} .. {fmt(b.get('temperature_max_c'), 3)}",
            ]
        )
    return html_table(head, rows)


def header_html(rd: ReportData) -> str:
    """The ``<header>`` block: scenario, description, source, start, window, version, when written."""
    run = rd.run
    s = run.summary
    sc = run.loaded.scenario
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        f"<header><h1>orbitcloud run report: {html.escape(str(s['scenario']))}</h1>"
        f"<p>{html.escape(sc.description)}</p>"
        f"<p>{html.escape(str(s.get('source', '')))} · start {html.escape(str(s['start']))} · "
        f"{_duration(float(s['duration_s']))} · orbitcloud {html.escape(str(s.get('orbitcloud_version', '')))} · "
        f"report generated {generated}</p></header>"
    )
    return header


def summary_html(rd: ReportData, absent: list[str]) -> str:
    """The "Key numbers" section: cards, what was drawn, shells, findings and the sections not shown."""
    run = rd.run
    s = run.summary
    cards = "".join(
        f'<div class="card"><div class="l">{html.escape(label)}</div><div class="v">{html.escape(v)}</div>'
        f'<div class="n">{html.escape(n)}</div></div>'
        for label, v, n in _cards(s)
    )
    findings = []
    for sh in s["shells"]:
        for f in (sh.get("bus") or {}).get("findings", []):
            findings.append(f"<li class='finding'>{html.escape(sh['name'])}: {html.escape(f)}</li>")
    summary_sec = (
        f'<section id="summary"><h2>Key numbers</h2><div class="cards">{cards}</div>'
        f"<p class='note'>{html.escape(rd.sample.describe(run.shell_names))}</p>"
        f"<h3>Shells</h3>{_shell_table(s)}"
        + (f"<h3>Findings</h3><ul>{''.join(findings)}</ul>" if findings else "")
        + (f"<h3>Not shown</h3><ul>{''.join(f'<li class=note>{a}</li>' for a in absent)}</ul>" if absent else "")
        + "</section>"
    )
    return summary_sec
