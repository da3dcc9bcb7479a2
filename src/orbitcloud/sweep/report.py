"""The sweep's offline HTML report: ``DIR/sweep_report.html`` from ``cases.parquet`` and ``analysis.json``.

``build_sweep_report(out_dir)`` reads what the sweep wrote (``docs/sweeps.md``, "Outputs") once
(:class:`SweepData`), builds its sections with the run report's building blocks
(:class:`~orbitcloud.report.sections.base.Section`, :func:`~orbitcloud.report.sections.base.plot_layout`,
:func:`~orbitcloud.report.sections.base.html_table`, the number formatting of
:mod:`orbitcloud.report.common`, the even spread of :func:`orbitcloud.report.sample.spread`) and writes
one self-contained page atomically, with the run report's style sheet and renderer
(:data:`orbitcloud.report.page.CSS`, :data:`~orbitcloud.report.page.RENDER_JS`): plotly.js is embedded once
from the installed plotly package, every figure as JSON, so the page opens offline and records when all
figures are drawn (``document.body.dataset.rendered``) as the run report does.

Sections, in page order (each only when its inputs exist; the header lists what is left out and why):

* "Sweep": the spec, runs done / failed / retried, wall times, Monte Carlo summaries of the outputs;
* "Failed runs": case, replicate, attempts and error of at most :data:`MAX_FAILED_ROWS` failed runs;
* "Outputs against parameters": one small scatter per (parameter, output) pair, the same evenly
  spread runs in every panel (at most :data:`MAX_SCATTER_POINTS`, fewer when there are many panels);
* "Sensitivity": Sobol S1 / ST with confidence intervals, or Morris mu* (with its interval) and sigma,
  one bar chart per output;
* "Distributions": a histogram per output over all done runs and, with replicates, a box per case;
* "Pareto front": every done run in grey, the front of the two chosen outputs highlighted; hover shows
  the run's inputs.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.report.common import PALETTE, fmt
from orbitcloud.report.sample import spread
from orbitcloud.report.sections.base import Section, html_table, plot_layout

__all__ = ["REPORT_FILE", "SweepData", "build_sweep_report", "read_sweep"]

#: The files of a sweep directory (the names :mod:`orbitcloud.sweep.runner` writes).
CASES_FILE = "cases.parquet"
ANALYSIS_FILE = "analysis.json"
REPORT_FILE = "sweep_report.html"

#: Failed runs listed at most (those with the lowest case and replicate numbers).
MAX_FAILED_ROWS = 50
#: Runs drawn at most in each panel of the scatter matrix and among the grey points of the Pareto plot
#: (evenly spread over the done runs in table order).
MAX_SCATTER_POINTS = 5000
#: Markers drawn at most over the whole scatter matrix (SVG stays responsive): with many panels each
#: panel draws ``MAX_SCATTER_MARKERS // panels`` runs, but never fewer than :data:`MIN_PANEL_POINTS`.
MAX_SCATTER_MARKERS = 40000
MIN_PANEL_POINTS = 200
#: Parameters (columns) and outputs (rows) of the scatter matrix at most (the first ones, spec order).
MAX_MATRIX_PARAMETERS = 10
MAX_MATRIX_OUTPUTS = 8
#: Cases drawn at most in the per-case box plot of each output (evenly spread over the case numbers).
MAX_CASE_BOXES = 100
#: Rows of the Pareto front table at most (the whole front is always drawn).
MAX_FRONT_ROWS = 50
#: Histogram bins at most.
MAX_BINS = 60
#: Characters of an error message shown in the failed-runs table.
MAX_ERROR_CHARS = 300

FRONT_COLOR = "#d62728"
GREY = "#9aa5b1"

#: What the run report's style sheet lacks: left-aligned text cells and the spec block.
EXTRA_CSS = """
table.text td,table.text th{text-align:left}
pre.spec{background:#f5f7fa;border-radius:6px;padding:8px 12px;font-size:12px;overflow:auto;max-height:420px}
"""


# --------------------------------------------------------------------------------------------------
# the data
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class SweepData:
    """A sweep directory read back: the table's columns, the analysis and the names in it.

    ``cols`` maps each column of ``cases.parquet`` to a numpy array (int64, float64, or object for
    strings), ``n_rows`` rows in file order (the order ``analysis.json``'s Pareto rows index).
    """

    path: Path
    n_rows: int
    cols: dict[str, np.ndarray]
    parameters: list[str]
    outputs: list[str]
    analysis: dict[str, Any]
    notes: list[str]

    @property
    def done(self) -> np.ndarray:
        """Boolean mask of the done runs."""
        return self.cols["status"] == "done"

    def inp(self, name: str) -> np.ndarray:
        return self.cols[f"in.{name}"]

    def out(self, name: str) -> np.ndarray:
        return np.asarray(self.cols[f"out.{name}"], dtype=np.float64)

    def numeric(self, name: str) -> bool:
        """Whether parameter ``name`` holds numbers (float64) rather than strings."""
        return self.inp(name).dtype.kind in "fiu"

    @property
    def replicates(self) -> int:
        spec = self.analysis.get("spec") or {}
        rep = spec.get("replicates")
        if isinstance(rep, int) and rep >= 1:
            return rep
        r = self.cols["replicate"]
        return int(r.max()) + 1 if r.size else 1

    @property
    def n_cases(self) -> int:
        return int(np.unique(self.cols["case"]).size)


def read_sweep(out_dir: Path) -> SweepData:
    """Read ``DIR/cases.parquet`` and ``DIR/analysis.json``; errors name the file (and key).

    Without ``analysis.json`` (a sweep interrupted before its analysis) the parameters and outputs are
    taken from the table's ``in.`` / ``out.`` columns and the analysis sections are left out.
    """
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    path = out_dir / CASES_FILE
    if not path.is_file():
        raise OrbitcloudError(
            f"{path}: no such file; a sweep directory holds {CASES_FILE} (orbitcloud sweep SPEC.yaml --out {out_dir})"
        )
    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - a torn or foreign file
        raise OrbitcloudError(f"{path}: cannot read it as Parquet ({exc})") from None
    for c in ("case", "replicate", "status"):
        if c not in table.column_names:
            raise OrbitcloudError(f"{path}: no column {c!r}; expected the columns of a sweep (docs/sweeps.md)")
    cols = {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}
    notes: list[str] = []
    apath = out_dir / ANALYSIS_FILE
    analysis: dict[str, Any] = {}
    if apath.is_file():
        try:
            analysis = json.loads(apath.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise OrbitcloudError(f"{apath}: cannot read it as JSON ({exc})") from None
        if not isinstance(analysis, dict):
            raise OrbitcloudError(f"{apath}: expected a JSON object with parameters, outputs, summary")
    else:
        notes.append(f"Analysis: {ANALYSIS_FILE} is absent; parameters and outputs are read from {CASES_FILE}.")
    parameters = _names(analysis, "parameters", cols, "in.", apath, path)
    outputs = _names(analysis, "outputs", cols, "out.", apath, path)
    return SweepData(out_dir, table.num_rows, cols, parameters, outputs, analysis, notes)


def _names(analysis: dict, key: str, cols: dict, prefix: str, apath: Path, path: Path) -> list[str]:
    if key not in analysis:
        return [c[len(prefix):] for c in cols if c.startswith(prefix)]
    names = analysis[key]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise OrbitcloudError(f"{apath}: {key}: expected a list of names, got {names!r}")
    for n in names:
        if prefix + n not in cols:
            raise OrbitcloudError(f"{apath}: {key}: {n!r} has no column {prefix}{n} in {path}")
    return list(names)


def _num(v: Any) -> float:
    """A JSON number (or null) as float; NaN for null."""
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else math.nan


def _pruned(x: Any) -> Any:
    """``x`` without the mapping entries that are null (the spec as written, not every default)."""
    if isinstance(x, dict):
        return {k: _pruned(v) for k, v in x.items() if v is not None}
    if isinstance(x, list):
        return [_pruned(v) for v in x]
    return x


def _value(v: Any) -> Any:
    """A cell as a plain Python value for tables and hover text."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


# --------------------------------------------------------------------------------------------------
# the sections: each returns (the section or None, a note on why it is absent or None)
# --------------------------------------------------------------------------------------------------


def failed_section(sd: SweepData) -> tuple[Section | None, str | None]:
    bad = np.flatnonzero(~sd.done)
    if bad.size == 0:
        return None, "Failed runs: none; every run finished."
    order = bad[np.lexsort((sd.cols["replicate"][bad], sd.cols["case"][bad]))]
    shown = order[:MAX_FAILED_ROWS]
    params = sd.parameters[:6]
    err = sd.cols.get("error")
    att = sd.cols.get("attempts")
    rows = []
    for i in shown:
        text = "" if err is None or err[i] is None else str(err[i])
        if len(text) > MAX_ERROR_CHARS:
            text = text[: MAX_ERROR_CHARS - 1] + "…"
        rows.append(
            [fmt(_value(sd.cols["case"][i])), fmt(_value(sd.cols["replicate"][i])),
             "–" if att is None else fmt(_value(att[i]))]
            + [fmt(_value(sd.inp(p)[i])) for p in params]
            + [text]
        )
    more = "" if shown.size == bad.size else f" The {shown.size} with the lowest case numbers are listed."
    sec = Section(
        "failed",
        "Failed runs",
        f"<p>{bad.size:,} of {sd.n_rows:,} runs failed after their retries and are left out of every figure "
        f"and statistic below.{html.escape(more)}</p>",
    )
    sec.html(html_table(["case", "replicate", "attempts", *params, "error"], rows, cls="text"))
    return sec, None


def scatter_section(sd: SweepData) -> tuple[Section | None, str | None]:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    done = np.flatnonzero(sd.done)
    if not sd.parameters or not sd.outputs or done.size == 0:
        why = "no parameters" if not sd.parameters else ("no outputs" if not sd.outputs else "no run finished")
        return None, f"Outputs against parameters: {why}."
    params = sd.parameters[:MAX_MATRIX_PARAMETERS]
    outs = sd.outputs[:MAX_MATRIX_OUTPUTS]
    panels = len(params) * len(outs)
    per_panel = min(MAX_SCATTER_POINTS, max(MIN_PANEL_POINTS, MAX_SCATTER_MARKERS // panels))
    pick = done[spread(done.size, per_panel)]
    ncol, nrow = len(params), len(outs)
    fig = make_subplots(
        rows=nrow,
        cols=ncol,
        shared_xaxes="columns",
        shared_yaxes="rows",
        horizontal_spacing=min(0.04, 0.4 / ncol),
        vertical_spacing=min(0.06, 0.4 / nrow),
    )
    case = sd.cols["case"][pick]
    rep = sd.cols["replicate"][pick]
    for j, p in enumerate(params):
        x = sd.inp(p)[pick]
        xnum = sd.numeric(p)
        xs = np.asarray(x, dtype=np.float64) if xnum else [str(v) for v in x]
        for i, o in enumerate(outs):
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=sd.out(o)[pick],
                    mode="markers",
                    showlegend=False,
                    marker=dict(size=4, opacity=0.55, color=PALETTE[i % len(PALETTE)]),
                    customdata=np.stack([case, rep], axis=1),
                    hovertemplate=f"{html.escape(p)} = %{{x{':.6g' if xnum else ''}}}<br>{html.escape(o)} = %{{y:.6g}}"
                    "<br>case %{customdata[0]}, replicate %{customdata[1]}<extra></extra>",
                ),
                row=i + 1,
                col=j + 1,
            )
            if i == nrow - 1:
                fig.update_xaxes(title_text=p, row=i + 1, col=j + 1, title_font=dict(size=11))
            if j == 0:
                fig.update_yaxes(title_text=o, row=i + 1, col=j + 1, title_font=dict(size=11))
    drawn = (
        f"all {done.size:,} done runs"
        if pick.size == done.size
        else f"{pick.size:,} of {done.size:,} done runs, evenly spread"
    )
    fig.update_layout(
        plot_layout(
            f"Outputs against parameters ({drawn})",
            height=min(2400, 80 + 190 * nrow),
            hovermode="closest",
            margin=dict(l=70, r=20, t=40, b=60),
        )
    )
    left = []
    if len(params) < len(sd.parameters):
        left.append(f"parameters {', '.join(sd.parameters[len(params):])}")
    if len(outs) < len(sd.outputs):
        left.append(f"outputs {', '.join(sd.outputs[len(outs):])}")
    intro = (
        "<p>Each panel: one parameter (column) against one output (row), over the done runs; every replicate "
        "is a point.</p>"
    )
    if left:
        intro += f"<p class='note'>Not drawn (the matrix shows the first {len(params)} parameters and " \
                 f"{len(outs)} outputs): {html.escape('; '.join(left))}.</p>"
    sec = Section("scatter", "Outputs against parameters", intro)
    sec.fig(fig)
    return sec, None


SOBOL_BARS = (("S1", "S1_conf", "first order S1", "#1f77b4"), ("ST", "ST_conf", "total order ST", "#ff7f0e"))
MORRIS_BARS = (("mu_star", "mu_star_conf", "mu*", "#1f77b4"), ("sigma", None, "sigma", "#7f7f7f"))


def sensitivity_section(sd: SweepData) -> tuple[Section | None, str | None]:
    import plotly.graph_objects as go

    a = sd.analysis
    key = "sobol" if a.get("sobol") else ("morris" if a.get("morris") else None)
    notes = [n for n in a.get("notes", []) if isinstance(n, str) and n.startswith(("sobol", "morris"))]
    if key is None:
        design = a.get("design", "unknown")
        why = (
            f"the design is {design}; give the parameters a range and design: {{method: sobol, n: 256}} "
            "or {method: morris, trajectories: 10, levels: 4}"
            if design not in ("sobol", "morris")
            else "no output gave indices"
        )
        return None, "Sensitivity indices: " + why + (f" ({'; '.join(notes)})" if notes else "") + "."
    per_output: dict = a[key]
    bars = SOBOL_BARS if key == "sobol" else MORRIS_BARS
    if key == "sobol":
        intro = (
            "<p>Sobol indices (SALib, Saltelli estimators) of the mean over replicates of each output: first order "
            "S1 (the share of the output's variance explained by the parameter alone) and total order ST (including "
            "its interactions); error bars: ± the half-widths of the 95 % bootstrap intervals (S1_conf, ST_conf).</p>"
        )
    else:
        intro = (
            "<p>Morris elementary effects (SALib) of the mean over replicates of each output: mu* (mean absolute "
            "effect, with its confidence interval) ranks influence, sigma (spread of the effects) flags "
            "non-linearity or interactions.</p>"
        )
    sec = Section("sensitivity", "Sensitivity" + (" (Sobol)" if key == "sobol" else " (Morris)"), intro)
    for o, per in per_output.items():
        if not isinstance(per, dict) or not per:
            continue
        names = list(per)
        fig = go.Figure()
        for val, conf, label, color in bars:
            y = np.array([_num(per[p].get(val)) for p in names], dtype=np.float64)
            err = None
            if conf is not None:
                err = dict(type="data", array=np.array([_num(per[p].get(conf)) for p in names]), visible=True,
                           thickness=1.2, width=4)
            fig.add_trace(go.Bar(x=names, y=y, name=label, marker_color=color, error_y=err))
        title = f"Sobol indices of {o}" if key == "sobol" else f"Morris mu* and sigma of {o}"
        s = (a.get("summary") or {}).get(o) or {}
        if _num(s.get("min")) == _num(s.get("max")):
            title += " (the output is constant over the runs: nothing to apportion)"
        fig.update_layout(plot_layout(title, height=320, barmode="group", hovermode="closest",
                                      yaxis=dict(title="index" if key == "sobol" else f"effect on {o}")))
        sec.fig(fig)
    cols = [c for v, c, _, _ in bars for c in (v, c) if c is not None]
    rows = [[o, p] + [fmt(_num(v.get(c)), 3) for c in cols]
            for o, per in per_output.items() if isinstance(per, dict) for p, v in per.items()]
    sec.html("<h3>Values</h3>" + html_table(["output", "parameter", *cols], rows))
    if notes:
        sec.html("".join(f"<p class='note'>{html.escape(n)}</p>" for n in notes))
    return sec, None


def distributions_section(sd: SweepData) -> tuple[Section | None, str | None]:
    import plotly.graph_objects as go

    done = sd.done
    if not sd.outputs or not done.any():
        return None, "Distributions: no run finished."
    summary = sd.analysis.get("summary") or {}
    reps = sd.replicates
    sec = Section(
        "distributions",
        "Distributions",
        "<p>Each output over all done runs (every case and replicate)"
        + (", then per case over its replicates." if reps > 1 else ".")
        + "</p>",
    )
    cases = np.unique(sd.cols["case"][done])
    drawn_cases = cases[spread(cases.size, MAX_CASE_BOXES)]
    for k, o in enumerate(sd.outputs):
        v = sd.out(o)[done]
        v = v[np.isfinite(v)]
        color = PALETTE[k % len(PALETTE)]
        fig = go.Figure()
        if v.size:
            bins = int(min(MAX_BINS, max(5, math.ceil(math.sqrt(v.size)))))
            lo, hi = float(v.min()), float(v.max())
            if hi <= lo:
                lo, hi = lo - 0.5 * (abs(lo) or 1.0), hi + 0.5 * (abs(hi) or 1.0)
            counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
            fig.add_trace(
                go.Bar(
                    x=0.5 * (edges[:-1] + edges[1:]),
                    y=counts,
                    width=np.diff(edges),
                    marker_color=color,
                    name=o,
                    showlegend=False,
                    customdata=np.stack([edges[:-1], edges[1:]], axis=1),
                    hovertemplate="%{customdata[0]:.4g} .. %{customdata[1]:.4g}: %{y} runs<extra></extra>",
                )
            )
            s = summary.get(o) or {}
            for stat, dash in (("p5", "dot"), ("mean", "solid"), ("p95", "dot")):
                x = _num(s.get(stat))
                if math.isfinite(x):
                    fig.add_vline(x=x, line=dict(color="#1d2733", dash=dash, width=1),
                                  annotation_text=stat, annotation_position="top")
        fig.update_layout(plot_layout(f"Distribution of {o} ({v.size:,} done runs)", height=300,
                                      hovermode="closest", bargap=0.02,
                                      xaxis=dict(title=o), yaxis=dict(title="runs")))
        sec.fig(fig)
        if reps > 1:
            rows = done & np.isin(sd.cols["case"], drawn_cases)
            y = sd.out(o)[rows]
            ok = np.isfinite(y)
            more = (
                f"all {cases.size:,} cases"
                if drawn_cases.size == cases.size
                else f"{drawn_cases.size:,} of {cases.size:,} cases, evenly spread"
            )
            fig = go.Figure(
                go.Box(
                    x=sd.cols["case"][rows][ok],
                    y=y[ok],
                    name=o,
                    marker_color=color,
                    boxpoints="all",
                    jitter=0.3,
                    pointpos=0,
                    showlegend=False,
                    customdata=sd.cols["replicate"][rows][ok],
                    hovertemplate="case %{x}, replicate %{customdata}: %{y:.6g}<extra></extra>",
                )
            )
            fig.update_layout(plot_layout(f"{o} per case over {reps} replicates ({more})", height=300,
                                          hovermode="closest", xaxis=dict(title="case"), yaxis=dict(title=o)))
            sec.fig(fig)
    if reps == 1:
        sec.html("<p class='note'>One replicate per case: no per-case distributions.</p>")
    return sec, None


def pareto_section(sd: SweepData) -> tuple[Section | None, str | None]:
    import plotly.graph_objects as go

    p = sd.analysis.get("pareto")
    if not p:
        return None, "Pareto front: the spec names none (pareto: {x: OUTPUT, y: OUTPUT, maximise: [true, false]})."
    apath = sd.path / ANALYSIS_FILE
    xo, yo = p.get("x"), p.get("y")
    for axis, name in (("x", xo), ("y", yo)):
        if f"out.{name}" not in sd.cols:
            raise OrbitcloudError(f"{apath}: pareto.{axis}: {name!r} has no column out.{name} in {sd.path / CASES_FILE}")
    maxi = list(p.get("maximise") or [True, True])
    rows = np.asarray(p.get("rows") or [], dtype=np.int64)
    if rows.size and (rows.min() < 0 or rows.max() >= sd.n_rows):
        bad = int(rows[(rows < 0) | (rows >= sd.n_rows)][0])
        raise OrbitcloudError(f"{apath}: pareto.rows: {bad} is not a row of {CASES_FILE} (it has {sd.n_rows} rows)")
    x, y = sd.out(xo), sd.out(yo)
    done = np.flatnonzero(sd.done & np.isfinite(x) & np.isfinite(y))
    grey = done[spread(done.size, MAX_SCATTER_POINTS)]
    front = rows[np.lexsort((y[rows], x[rows]))] if rows.size else rows

    def custom(idx: np.ndarray) -> list[list]:
        return [
            [_value(sd.cols["case"][i]), _value(sd.cols["replicate"][i])] + [_value(sd.inp(n)[i]) for n in sd.parameters]
            for i in idx
        ]

    hover = "case %{customdata[0]}, replicate %{customdata[1]}"
    for k, n in enumerate(sd.parameters):
        hover += f"<br>{html.escape(n)} = %{{customdata[{k + 2}]{':.6g' if sd.numeric(n) else ''}}}"
    hover += f"<br>{html.escape(xo)} = %{{x:.6g}}<br>{html.escape(yo)} = %{{y:.6g}}"
    fig = go.Figure()
    drawn = "" if grey.size == done.size else f", {grey.size:,} of {done.size:,} drawn"
    fig.add_trace(
        go.Scatter(
            x=x[grey], y=y[grey], mode="markers", name=f"done runs ({done.size:,}{drawn})",
            marker=dict(size=5, color=GREY, opacity=0.6), customdata=custom(grey),
            hovertemplate=hover + "<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x[front], y=y[front], mode="lines+markers", name="Pareto front",
            line=dict(color=FRONT_COLOR, width=1.5, shape="linear"),
            marker=dict(size=8, color=FRONT_COLOR, line=dict(color="#ffffff", width=1)),
            customdata=custom(front), hovertemplate=hover + "<extra>front</extra>",
        )
    )

    def sense(m: bool) -> str:
        return "maximised" if m else "minimised"

    fig.update_layout(
        plot_layout(
            f"Pareto front: {yo} against {xo} ({front.size:,} runs on the front)",
            height=440,
            hovermode="closest",
            xaxis=dict(title=f"{xo} ({sense(maxi[0])})"),
            yaxis=dict(title=f"{yo} ({sense(maxi[1])})"),
        )
    )
    sec = Section(
        "pareto",
        "Pareto front",
        f"<p>Runs that no other done run beats in both {html.escape(xo)} ({sense(maxi[0])}) and "
        f"{html.escape(yo)} ({sense(maxi[1])}); hover a point for its inputs.</p>",
    )
    sec.fig(fig)
    shown = front[:MAX_FRONT_ROWS]
    table_rows = [
        [fmt(_value(sd.cols["case"][i])), fmt(_value(sd.cols["replicate"][i]))]
        + [fmt(_value(sd.inp(n)[i])) for n in sd.parameters]
        + [fmt(float(x[i])), fmt(float(y[i]))]
        for i in shown
    ]
    more = "" if shown.size == front.size else f" (the first {shown.size} of {front.size:,}, by {html.escape(xo)})"
    sec.html(f"<h3>Runs on the front{more}</h3>"
             + html_table(["case", "replicate", *sd.parameters, xo, yo], table_rows))
    return sec, None


#: The sections below the sweep's header, in page order.
SECTIONS = (failed_section, scatter_section, sensitivity_section, distributions_section, pareto_section)


def build_sections(sd: SweepData) -> tuple[list[Section], list[str]]:
    """The page's sections (only those whose inputs exist) and notes on what is absent."""
    sections: list[Section] = []
    absent: list[str] = list(sd.notes)
    for make in SECTIONS:
        sec, note = make(sd)
        if sec is not None:
            sections.append(sec)
        if note is not None:
            absent.append(note)
    return sections, absent


# --------------------------------------------------------------------------------------------------
# header and page
# --------------------------------------------------------------------------------------------------


def _seconds(v: float) -> str:
    if not math.isfinite(v):
        return "–"
    if v >= 3600:
        return f"{v / 3600:.3g} h"
    if v >= 60:
        return f"{v / 60:.3g} min"
    return f"{v:.3g} s"


def header_html(sd: SweepData) -> str:
    from orbitcloud import __version__

    spec = sd.analysis.get("spec") or {}
    base = spec.get("base", sd.path.name)
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    design = sd.analysis.get("design", "–")
    return (
        f"<header><h1>orbitcloud sweep report: {html.escape(str(base))}</h1>"
        f"<p>{html.escape(str(design))} design · {len(sd.parameters)} parameter(s) · {len(sd.outputs)} output(s) · "
        f"{sd.n_cases:,} case(s) × {sd.replicates} replicate(s) · seed {html.escape(str(spec.get('seed', '–')))}</p>"
        f"<p>{html.escape(str(sd.path))} · orbitcloud {html.escape(__version__)} · report generated {generated}</p>"
        "</header>"
    )


def summary_html(sd: SweepData, absent: list[str]) -> str:
    """The "Sweep" section: counts, wall times, output summaries, the spec, what is not shown."""
    import yaml

    done = sd.done
    n_done = int(done.sum())
    n_failed = sd.n_rows - n_done
    wall = np.asarray(sd.cols.get("wall_s", np.full(sd.n_rows, np.nan)), dtype=np.float64)
    att = sd.cols.get("attempts")
    retried = int(((np.asarray(att) > 1) & done).sum()) if att is not None else 0
    finite = wall[np.isfinite(wall)]
    slow = int(np.nanargmax(wall)) if finite.size else None
    cards = [
        ("runs", fmt(sd.n_rows), f"{sd.n_cases:,} cases × {sd.replicates} replicate(s)"),
        ("done", fmt(n_done), f"{retried:,} of them after a retry" if att is not None else ""),
        ("failed", fmt(n_failed), "after their retries" if n_failed else "none"),
        (
            "run time",
            _seconds(float(finite.sum())) if finite.size else "–",
            "summed over runs (a pool of workers takes less wall-clock time)",
        ),
        (
            "per run",
            _seconds(float(np.median(finite))) if finite.size else "–",
            "median; longest "
            + (
                f"{_seconds(float(wall[slow]))} (case {sd.cols['case'][slow]}, replicate {sd.cols['replicate'][slow]})"
                if slow is not None
                else "–"
            ),
        ),
    ]
    card_html = "".join(
        f'<div class="card"><div class="l">{html.escape(label)}</div><div class="v">{html.escape(v)}</div>'
        f'<div class="n">{html.escape(n)}</div></div>'
        for label, v, n in cards
    )
    summary = sd.analysis.get("summary") or {}
    srows = []
    for o in sd.outputs:
        s = summary.get(o) or {}
        g = {k: _num(s.get(k)) for k in ("mean", "std", "ci_low", "ci_high", "p5", "p50", "p95", "min", "max")}
        srows.append(
            [o, fmt(_value(s.get("n"))), fmt(g["mean"]), f"{fmt(g['ci_low'])} .. {fmt(g['ci_high'])}", fmt(g["std"]),
             fmt(g["min"]), fmt(g["p5"]), fmt(g["p50"]), fmt(g["p95"]), fmt(g["max"])]
        )
    stable = (
        "<h3>Outputs over the done runs</h3>"
        + html_table(["output", "n", "mean", "95 % CI of the mean", "std", "min", "p5", "p50", "p95", "max"], srows)
        if srows and summary
        else ""
    )
    spec = sd.analysis.get("spec")
    spec_html = (
        f"<h3>Spec</h3><pre class='spec'>{html.escape(yaml.safe_dump(_pruned(spec), sort_keys=False, allow_unicode=True, default_flow_style=None))}</pre>"
        if spec
        else ""
    )
    notes = [n for n in sd.analysis.get("notes", []) if isinstance(n, str)]
    return (
        f'<section id="summary"><h2>Sweep</h2><div class="cards">{card_html}</div>{stable}{spec_html}'
        + (f"<h3>Notes of the analysis</h3><ul>{''.join(f'<li class=note>{html.escape(n)}</li>' for n in notes)}</ul>"
           if notes else "")
        + (f"<h3>Not shown</h3><ul>{''.join(f'<li class=note>{html.escape(a)}</li>' for a in absent)}</ul>"
           if absent else "")
        + "</section>"
    )


def render_page(sd: SweepData, sections: list[Section], absent: list[str]) -> str:
    """The whole HTML document: the run report's style and renderer, plotly.js embedded once."""
    from plotly.offline import get_plotlyjs

    from orbitcloud.report.page import CSS, RENDER_JS, sections_html

    parts, nav, nfig = sections_html(sections)
    spec = sd.analysis.get("spec") or {}
    title = f"orbitcloud sweep report: {spec.get('base', sd.path.name)}"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(str(title))}</title><meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<style>{CSS}{EXTRA_CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head>"
        f"<body data-plots='{nfig}'>{header_html(sd)}<nav><a href='#summary'>Sweep</a>{''.join(nav)}</nav><main>"
        f"{summary_html(sd, absent)}{''.join(parts)}</main><script>{RENDER_JS}</script></body></html>"
    )


def build_sweep_report(out_dir: Path) -> Path:
    """Write ``DIR/sweep_report.html`` (atomically) from the sweep directory ``out_dir``; returns its path.

    Raises :class:`~orbitcloud.errors.OrbitcloudError` naming the file when ``cases.parquet`` is missing or
    unreadable, or ``analysis.json`` is unreadable or does not match the table.
    """
    from orbitcloud.results.writer import write_text_atomic

    sd = read_sweep(Path(out_dir))
    sections, absent = build_sections(sd)
    page = render_page(sd, sections, absent)
    out = sd.path / REPORT_FILE
    try:
        write_text_atomic(out, page)
    except OSError as exc:
        raise OrbitcloudError(f"{out}: cannot write: {exc.strerror}") from None
    return out
