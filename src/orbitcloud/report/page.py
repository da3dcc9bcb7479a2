"""The run report's page: one self-contained HTML document assembled from the sections.

``build_report(run_dir)`` reads what the run wrote (``docs/results.md``) once
(:class:`orbitcloud.report.data.gather.ReportData`), asks each section module of
:mod:`orbitcloud.report.sections` for its part of the page (only those whose inputs exist;
``docs/report.md``) and writes the page atomically:

* header and key numbers (:mod:`~orbitcloud.report.sections.header`);
* the fleet at one time: globe and ground-track map (:mod:`~orbitcloud.report.sections.fleet`);
* timelines from ``timeseries.parquet`` (:mod:`~orbitcloud.report.sections.timelines`);
* an eclipse calendar per shell (:mod:`~orbitcloud.report.sections.eclipses`);
* network views (:mod:`~orbitcloud.report.sections.network`);
* TT&C: contact plan, command latency, telemetry age, alarms and onboard actions
  (:mod:`~orbitcloud.report.sections.ttc`);
* a fault timeline (:mod:`~orbitcloud.report.sections.faults`);
* workload views (:mod:`~orbitcloud.report.sections.workloads`).

The page embeds plotly.js once, from the installed plotly package (no network at view time), and
every figure as JSON; figures are drawn in order by ``Plotly.newPlot`` and the page records when
all are done (``document.body.dataset.rendered``, ``window.__orbitcloudRenderMs``), which the
browser test and ``benchmarks/report_1m.py`` read. Maps use Natural Earth coastlines shipped in
:mod:`orbitcloud.report.coastlines`, not plotly's geo traces (those fetch outlines from a CDN).

Data flows one way: ``data`` -> ``sections`` -> ``page``; the PNG figures
(:mod:`orbitcloud.report.figures`) read the same :class:`ReportData` and import nothing of the page.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from orbitcloud.errors import OrbitcloudError
from orbitcloud.report.data.gather import ReportData, check_options
from orbitcloud.report.data.run import open_run
from orbitcloud.report.sections import eclipses, faults, fleet, network, orbit_life, timelines, ttc, workloads
from orbitcloud.report.sections.base import Section
from orbitcloud.report.sections.header import header_html, summary_html

#: The sections below the key numbers, in page order; each module's ``section(rd)`` returns
#: (the section or None, a note on why it is absent or None).
SECTIONS = (fleet, timelines, eclipses, network, ttc, faults, orbit_life, workloads)


def build_sections(rd: ReportData) -> tuple[list[Section], list[str]]:
    """The page's sections (only those whose inputs exist) and notes on what is absent."""
    sections: list[Section] = []
    absent: list[str] = []
    for module in SECTIONS:
        sec, note = module.section(rd)
        if sec is not None:
            sections.append(sec)
        if note is not None:
            absent.append(note)
    return sections, absent


CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1d2733;background:#f5f7fa}
header{background:#0b1020;color:#eef2f7;padding:18px 28px}
header h1{margin:0 0 4px;font-size:24px}
header p{margin:2px 0;color:#b9c3cf}
nav{padding:8px 28px;background:#e9eef4;font-size:14px}
nav a{margin-right:16px;color:#1f4e8c;text-decoration:none}
main{padding:8px 28px 40px}
section{background:#fff;border-radius:8px;padding:12px 18px;margin:16px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{margin:6px 0 8px;font-size:19px}
h3{font-size:15px;margin:14px 0 6px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:10px;margin:10px 0}
.card{background:#f5f7fa;border-radius:6px;padding:8px 12px}
.card .l{font-size:12px;color:#5b6b7b;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:20px;font-weight:600;margin:2px 0}
.card .n{font-size:12px;color:#5b6b7b}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{padding:4px 10px;border-bottom:1px solid #e3e8ee;text-align:right}
th:first-child,td:first-child{text-align:left}
table.kv td:last-child{text-align:left}
.plot{width:100%;margin:8px 0}
.kvgrid{display:flex;flex-wrap:wrap;gap:8px 40px;align-items:flex-start}
.note{color:#5b6b7b;font-size:13px}
.finding{color:#8a4b00}
code{background:#eef2f7;padding:0 3px;border-radius:3px}
"""

RENDER_JS = """
(function(){
  var figs = document.querySelectorAll('script[type="application/json"][data-plot]');
  var t0 = performance.now();
  var chain = Promise.resolve();
  window.__orbitcloudPlotMs = [];
  figs.forEach(function(node){
    chain = chain.then(function(){
      var t1 = performance.now();
      var spec = JSON.parse(node.textContent);
      return Plotly.newPlot(node.getAttribute('data-plot'), spec.data, spec.layout, spec.config).then(function(){
        window.__orbitcloudPlotMs.push(Math.round(performance.now() - t1));
      });
    }).catch(function(err){ console.error('orbitcloud report: plot failed: ' + err); });
  });
  chain.then(function(){
    window.__orbitcloudRenderMs = performance.now() - t0;
    document.body.dataset.rendered = String(figs.length);
  });
})();
"""


def sections_html(sections: list[Section]) -> tuple[list[str], list[str], int]:
    """(section HTML parts, navigation links, number of figures): each figure as a ``div`` and its
    plotly JSON in a ``script`` the page's renderer draws (the run and sweep reports share it)."""
    parts = []
    nfig = 0
    nav = []
    for sec in sections:
        nav.append(f'<a href="#{sec.key}">{html.escape(sec.title)}</a>')
        body = [f'<section id="{sec.key}"><h2>{html.escape(sec.title)}</h2>{sec.intro}']
        for kind, item in sec.items:
            if kind == "html":
                body.append(item)
                continue
            div = f"plot-{nfig}"
            nfig += 1
            spec = json.loads(item.to_json())
            spec["config"] = {"displaylogo": False, "responsive": True}
            height = int(spec.get("layout", {}).get("height", 360))
            text = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
            body.append(
                f'<div id="{div}" class="plot" style="height:{height}px"></div>'
                f'<script type="application/json" data-plot="{div}">{text}</script>'
            )
        body.append("</section>")
        parts.append("".join(body))
    return parts, nav, nfig


def render_page(rd: ReportData, sections: list[Section], absent: list[str]) -> str:
    """The whole HTML document (plotly.js embedded once)."""
    from plotly.offline import get_plotlyjs

    s = rd.run.summary
    parts, nav, nfig = sections_html(sections)
    header = header_html(rd)
    summary_sec = summary_html(rd, absent)
    title = f"orbitcloud report: {s['scenario']}"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<style>{CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head>"
        f"<body data-plots='{nfig}'>{header}<nav><a href='#summary'>Key numbers</a>{''.join(nav)}</nav><main>"
        f"{summary_sec}{''.join(parts)}</main><script>{RENDER_JS}</script></body></html>"
    )


def build_report(
    run_dir: Path,
    out: Path | None = None,
    *,
    time: str | None = None,
    color: str = "illumination",
    sample: int | None = None,
    png: bool = False,
) -> Path:
    """Write the HTML report of a results directory; returns its path.

    Parameters
    ----------
    run_dir : Path
        A complete results directory (``orbitcloud run ... --out DIR``).
    out : Path, optional
        The HTML file (default ``RUN_DIR/report.html``).
    time : str, optional
        ISO 8601 UTC time of the globe and map (default: mid-run, at the nearest recorded sample).
    color : {"illumination", "soc", "temperature", "utilisation"}
        What colours the satellites; all but illumination need ``timeseries.parquet``.
    sample : int, optional
        At most this many satellites drawn on the globe and map (default
        :data:`~orbitcloud.report.sample.DEFAULT_REPORT_SAMPLE`); totals always use all.
    png : bool
        Also write the main figures as PNG files (matplotlib) beside the HTML.
    """
    check_options(color, sample)
    run = open_run(run_dir)
    out = Path(out) if out is not None else run.path / "report.html"
    if out.exists() and out.is_dir():
        raise OrbitcloudError(f"--out {out}: is a directory, expected an HTML file name")
    rd = ReportData(run, run.parse_time_s(time), color, sample)
    sections, absent = build_sections(rd)
    page = render_page(rd, sections, absent)
    from orbitcloud.results.writer import write_text_atomic

    try:
        write_text_atomic(out, page)
    except OSError as exc:
        raise OrbitcloudError(f"--out {out}: cannot write: {exc.strerror}") from None
    written_pngs.clear()
    if png:
        from orbitcloud.report.figures import write_pngs

        written_pngs.extend(write_pngs(rd, out.parent, stem=out.stem))
    return out


#: The PNG files the last :func:`build_report` call wrote (``orbitcloud report --png`` lists them).
written_pngs: list[Path] = []
