"""``validation.html`` (offline: plotly.js embedded once, one error-vs-time plot per case that has one) and
``validation.json``, both written atomically (a temporary file in the same folder, then ``os.replace``)."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

HTML_FILE = "validation.html"
JSON_FILE = "validation.json"

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:13px;width:100%}th,td{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f2f2f2}td.num{text-align:right;white-space:nowrap}.pass{color:#1a7f37;font-weight:600}
.fail{color:#c62828;font-weight:700}.skipped{color:#8a6d00}.plot{height:320px;margin:0.5em 0 1.5em}
h2{margin-top:1.5em}small{color:#666}
"""


def fmt(value: Any, unit: str) -> str:
    if value is None:
        return "-"
    v = float(value)
    text = "0" if v == 0 else f"{v:.3g}" if 1e-3 <= abs(v) < 1e5 else f"{v:.2e}"
    return f"{text} {unit}".strip()


def _rows(res: dict[str, Any]) -> str:
    out = []
    for r in res["cases"]:
        cls = r["status"]
        out.append(
            "<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in (r["case"], r["model"], r["reference"], r["source"]))
            + f"<td class='num'>{html.escape(fmt(r['tolerance'], r['tolerance_unit']))}</td>"
            + f"<td class='num'>{html.escape(fmt(r['error'], r['error_unit']))}</td>"
            + f"<td class='{cls}'>{cls}</td><td class='num'>{r['wall_s']:.2f} s</td>"
            + f"<td><small>{html.escape(r.get('detail') or '')}</small></td></tr>"
        )
    return "".join(out)


def render_html(res: dict[str, Any]) -> str:
    from plotly.offline import get_plotlyjs

    c = res["counts"]
    plots, scripts = [], []
    for i, r in enumerate(res["cases"]):
        s = r.get("series")
        if not s:
            continue
        div = f"fig{i}"
        plots.append(f"<h2 id='{div}-h'>{html.escape(r['case'])}</h2><p><small>{html.escape(r['reference'])}; "
                     f"tolerance {html.escape(fmt(r['tolerance'], r['tolerance_unit']))}</small></p><div id='{div}' class='plot'></div>")
        data = [dict(x=s["x"], y=s["y"], type="scatter", mode="markers", marker=dict(size=4), name="error")]
        tol = r["tolerance"]
        if tol is not None and s["x"]:
            for sign in (1, -1):
                data.append(dict(x=[min(s["x"]), max(s["x"])], y=[sign * tol, sign * tol], type="scatter", mode="lines",
                                 line=dict(dash="dash", color="#c62828"), name="tolerance", showlegend=sign == 1))
        layout = dict(margin=dict(l=60, r=20, t=10, b=45), xaxis=dict(title=dict(text=s["x_label"])),
                      yaxis=dict(title=dict(text=s["y_label"])))
        scripts.append(f"Plotly.newPlot('{div}',{json.dumps(data)},{json.dumps(layout)},{{responsive:true,displaylogo:false}});")
    tools = ", ".join(f"{k} {v}" for k, v in res["tools"].items())
    head = ("<tr>" + "".join(f"<th>{h}</th>" for h in ("case", "model", "reference", "source", "tolerance", "measured error",
                                                      "result", "time", "detail")) + "</tr>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>orbitcloud validate</title>"
        f"<style>{CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<h1>orbitcloud validate ({html.escape(res['mode'])})</h1>"
        f"<p>orbitcloud {html.escape(res['orbitcloud'])}, {html.escape(res['started_utc'])}, {res['wall_s']:.1f} s: "
        f"<span class='pass'>{c['pass']} passed</span>, <span class='fail'>{c['fail']} failed</span>, "
        f"<span class='skipped'>{c['skipped']} skipped</span>.<br><small>{html.escape(tools)}</small></p>"
        f"<table>{head}{_rows(res)}</table>{''.join(plots)}<script>{''.join(scripts)}</script></body></html>"
    )


def _finite(node: Any) -> Any:
    """NaN and infinities as null (a case that measured NaN failed; JSON has no NaN)."""
    if isinstance(node, float):
        return node if math.isfinite(node) else None
    if isinstance(node, dict):
        return {k: _finite(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_finite(v) for v in node]
    return node


def write_reports(res: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write ``validation.html`` and ``validation.json`` into ``out_dir`` (created); returns their paths."""
    from orbitcloud.errors import OrbitcloudError
    from orbitcloud.results.writer import write_text_atomic

    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        j = out_dir / JSON_FILE
        write_text_atomic(j, json.dumps(_finite(res), indent=1, allow_nan=False, default=str) + "\n")
        h = out_dir / HTML_FILE
        write_text_atomic(h, render_html(_finite(res)))
    except OSError as exc:
        raise OrbitcloudError(f"validate: cannot write to {out_dir}: {exc.strerror or exc}") from None
    return h, j
