"""Reports of a results directory: an offline HTML page, PNG figures and a CZML export.

``build_report(run_dir)`` writes ``RUN_DIR/report.html`` (``docs/report.md``);
``write_czml(run_dir)`` writes ``RUN_DIR/run.czml``. plotly, matplotlib and czml3 are imported only
when these are called, so ``import orbitcloud`` stays light.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["build_report", "write_czml"]


def build_report(
    run_dir: Path,
    out: Path | None = None,
    *,
    time: str | None = None,
    color: str = "illumination",
    sample: int | None = None,
    png: bool = False,
) -> Path:
    """Write the HTML report of ``run_dir``; see :func:`orbitcloud.report.page.build_report`."""
    from orbitcloud.report.page import build_report as _build

    return _build(run_dir, out, time=time, color=color, sample=sample, png=png)


def write_czml(run_dir: Path, out: Path | None = None, *, sample: int | None = None) -> Path:
    """Write the CZML document of ``run_dir``; see :func:`orbitcloud.report.czml.write_czml`."""
    from orbitcloud.report.czml import write_czml as _write

    return _write(run_dir, out, sample=sample)
