"""Helpers of the report tests: headless Chromium (Debian ``chromium``) driven by Playwright, and
reading the figures back out of a report page.

Playwright's own browser downloads are not used: the system Chromium is launched through
``executable_path``. WebGL (the 3D globe) runs on SwiftShader, Chromium's software renderer,
which recent Chromium enables only with ``--enable-unsafe-swiftshader``.
"""

from __future__ import annotations

import time
from pathlib import Path

from browser_helpers import chromium_path

ARGS = ["--enable-unsafe-swiftshader", "--use-angle=swiftshader", "--ignore-gpu-blocklist", "--disable-dev-shm-usage"]

CHECK_JS = """
() => Array.from(document.querySelectorAll('div.plot')).map(d => {
  const scene = !!(d._fullLayout && d._fullLayout._has && d._fullLayout._has('gl3d'));
  const canvas = Array.from(d.querySelectorAll('canvas')).some(c => c.width > 0 && c.height > 0);
  return {id: d.id, laidOut: !!d._fullLayout, svg: !!d.querySelector('.main-svg'), scene: scene, canvas: canvas,
          traces: (d.data || []).length,
          noWebGL: (d.textContent || '').indexOf('WebGL is not supported') >= 0};
})
"""


def _chromium_cpu_s(pids: set[int]) -> float:
    """CPU time [s] (user + system) used so far by the processes ``pids`` (Linux /proc; 0 elsewhere)."""
    import os

    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / tick


def _chromium_pids() -> set[int]:
    out = set()
    proc = Path("/proc")
    if not proc.is_dir():
        return out
    for d in proc.iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip().startswith("chrom"):
                    out.add(int(d.name))
            except OSError:
                pass
    return out


def load_report(html: Path, shots: Path | None = None, timeout_s: float = 60.0, width: int = 1400) -> dict:
    """Open ``html`` from a file:// URL; returns console errors, page errors, outside requests, plot
    states and times (``load_s``: navigation to all plots rendered, wall clock; ``cpu_s``: CPU time
    all Chromium processes of this browser used meanwhile; ``render_ms``: the page's own measure of
    the plotting). With ``shots`` (a folder), saves one screenshot per
    ``<section>`` (``section-ID.png``; a single full-page capture wraps past Chromium's 8192-px
    software texture limit on long pages)."""
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        raise RuntimeError("no chromium executable on PATH")
    url = Path(html).resolve().as_uri()
    errors: list[str] = []
    page_errors: list[str] = []
    outside: list[str] = []
    before = _chromium_pids()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on(
                "request",
                lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None,
            )
            ours = _chromium_pids() - before
            cpu0 = _chromium_cpu_s(ours)
            t0 = time.perf_counter()
            page.goto(url, wait_until="load", timeout=timeout_s * 1000)
            page.wait_for_function("document.body.dataset.rendered !== undefined", timeout=timeout_s * 1000)
            load_s = time.perf_counter() - t0
            ours |= _chromium_pids() - before
            cpu_s = _chromium_cpu_s(ours) - cpu0
            expected = int(page.evaluate("document.body.dataset.plots"))
            rendered = int(page.evaluate("document.body.dataset.rendered"))
            render_ms = float(page.evaluate("window.__orbitcloudRenderMs"))
            plot_ms = page.evaluate("window.__orbitcloudPlotMs")
            plots = page.evaluate(CHECK_JS)
            saved = []
            if shots is not None:
                Path(shots).mkdir(parents=True, exist_ok=True)
                for ident in page.evaluate("Array.from(document.querySelectorAll('section')).map(s => s.id)"):
                    path = Path(shots) / f"section-{ident}.png"
                    page.locator(f"section#{ident}").screenshot(path=str(path))
                    saved.append(path)
        finally:
            browser.close()
    return {
        "errors": errors,
        "page_errors": page_errors,
        "outside_requests": outside,
        "expected": expected,
        "rendered": rendered,
        "plots": plots,
        "load_s": load_s,
        "cpu_s": cpu_s,
        "render_ms": render_ms,
        "plot_ms": plot_ms,
        "shots": saved,
    }


# --------------------------------------------------------------------------------------------------
# reading the report's figures back (the page embeds each figure as plotly JSON)
# --------------------------------------------------------------------------------------------------

import base64  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

_FIG = re.compile(r'<script type="application/json" data-plot="(plot-\d+)">(.*?)</script>', re.S)
_SECTION = re.compile(r'<section id="([a-z]+)">')


def figures(html_text: str) -> list[dict]:
    """Every figure spec (``data``, ``layout``, ``config``) in page order."""
    return [json.loads(body) for _, body in _FIG.findall(html_text)]


def sections(html_text: str) -> list[str]:
    return _SECTION.findall(html_text)


def arr(value) -> np.ndarray:
    """A plotly data array: a list, or a typed array ``{"dtype", "bdata"}`` (base64, little-endian)."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
        shape = value.get("shape")
        if isinstance(shape, str):
            shape = [int(v) for v in shape.split(",")]
        return out.reshape(shape) if shape else out
    return np.asarray(value)


def title(fig: dict) -> str:
    t = fig.get("layout", {}).get("title", {})
    return t.get("text", "") if isinstance(t, dict) else str(t)


def find(figs: list[dict], prefix: str) -> dict:
    """The figure whose title starts with ``prefix``."""
    hits = [f for f in figs if title(f).startswith(prefix)]
    assert len(hits) == 1, f"{len(hits)} figures titled {prefix!r}: {[title(f) for f in figs]}"
    return hits[0]


def trace(fig: dict, name: str) -> dict:
    hits = [t for t in fig["data"] if t.get("name") == name]
    assert len(hits) == 1, f"{len(hits)} traces named {name!r}: {[t.get('name') for t in fig['data']]}"
    return hits[0]


# --------------------------------------------------------------------------------------------------
# SCHEMA FIXTURE of the workload outputs (requests.parquet, workload_timeline.parquet, summary.workloads)
# --------------------------------------------------------------------------------------------------

N_REQ = 2500
CITIES = ["Tokyo", "Delhi", "Shanghai", "Sao Paulo", "Lagos"]


def write_schema_fixture(run_dir, seed: int = 5) -> dict:
    """requests.parquet, workload_timeline.parquet (schema of the workload layer) and summary.workloads."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 7000, N_REQ))
    status = rng.choice(["served", "pending", "unreachable"], N_REQ, p=[0.85, 0.1, 0.05])
    served = status == "served"
    network = np.where(served, rng.uniform(0.02, 0.09, N_REQ), np.nan)
    queue = np.where(served, rng.exponential(0.5, N_REQ), np.nan)
    ttft = np.where(served, network + queue + rng.uniform(0.05, 0.3, N_REQ), np.nan)
    tpot = np.where(served, rng.uniform(0.01, 0.04, N_REQ), np.nan)
    out_tok = rng.integers(50, 800, N_REQ)
    e2e = np.where(served, ttft + tpot * out_tok, np.nan)
    pq.write_table(
        pa.table(
            {
                "request": pa.array(np.arange(N_REQ, dtype=np.int64)),
                "t_s": pa.array(t),
                "city": pa.array(rng.choice(CITIES, N_REQ).tolist(), type=pa.string()),
                "server": pa.array(np.where(served, rng.integers(0, 150, N_REQ), -1).astype(np.int64)),
                "status": pa.array(status.tolist(), type=pa.string()),
                "network_s": pa.array(network),
                "queue_s": pa.array(queue),
                "ttft_s": pa.array(ttft),
                "tpot_s": pa.array(tpot),
                "e2e_s": pa.array(e2e),
                "in_tokens": pa.array(rng.integers(100, 4000, N_REQ).astype(np.int64)),
                "out_tokens": pa.array(out_tok.astype(np.int64)),
            }
        ),
        run_dir / "requests.parquet",
    )
    steps = 120
    ts = np.arange(steps) * 60.0
    tl = {
        "step": np.arange(steps, dtype=np.int64),
        "t_s": ts,
        "inference_arrivals": rng.poisson(20, steps).astype(np.int64),
        "inference_served": rng.poisson(18, steps).astype(np.int64),
        "inference_queue": rng.poisson(5, steps).astype(np.int64),
        "inference_tokens_out": rng.poisson(9000, steps).astype(np.int64),
        "inference_active_servers": rng.integers(100, 150, steps).astype(np.int64),
        "training_tokens_cum": np.cumsum(rng.uniform(1e9, 2e9, steps)),
        "training_active_members": rng.integers(20, 25, steps).astype(np.int64),
        "eo_captured_b": rng.uniform(1e11, 2e11, steps),
        "eo_kept_b": rng.uniform(5e10, 1e11, steps),
        "eo_downlinked_b": rng.uniform(4e10, 9e10, steps),
        "eo_stored_b": np.cumsum(rng.uniform(0, 1e10, steps)),
        "eo_lost_b": rng.uniform(0, 1e9, steps),
    }
    pq.write_table(pa.table(tl), run_dir / "workload_timeline.parquet")
    summary = json.loads((run_dir / "summary.json").read_text())
    summary["workloads"] = {
        "inference": {
            "requests": N_REQ,
            "served_fraction": float(served.mean()),
            "ttft_s_p50": float(np.nanmedian(ttft)),
        },
        "training": {"tokens": float(tl["training_tokens_cum"][-1]), "goodput": 0.93},
        "earth_observation": {
            "captured_b": float(tl["eo_captured_b"].sum()),
            "downlinked_b": float(tl["eo_downlinked_b"].sum()),
        },
    }
    (run_dir / "summary.json").write_text(json.dumps(summary))
    return {"t": t, "status": status, "e2e": e2e, "ttft": ttft, "timeline": tl, "summary": summary["workloads"]}
