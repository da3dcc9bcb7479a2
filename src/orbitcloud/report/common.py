"""Helpers shared by the HTML sections and the PNG figures: constants, colours, caps, number formatting.

Nothing here imports plotly or matplotlib, and nothing here imports another module of the report,
so both renderers (:mod:`orbitcloud.report.sections`, :mod:`orbitcloud.report.figures`) can use it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

EARTH_RADIUS_KM = 6378.137
#: Contact windows drawn in the Gantt chart at most (evenly spread over the sorted windows).
MAX_GANTT_BARS = 20000
#: Colours of series and shells, in order.
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
#: Colour of each fault kind (others are grey).
FAULT_COLORS = {
    "uecc": "#1f77b4",
    "sdc": "#d62728",
    "sefi": "#ff7f0e",
    "tid_degrade": "#bcbd22",
    "tid_fail": "#8c564b",
    "permanent": "#000000",
    "spare_in": "#2ca02c",
}


def si(value: float, unit: str, digits: int = 3) -> str:
    """``value`` with an SI prefix (``1.23 PW``)."""
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return f"0 {unit}"
    exp = int(math.floor(math.log10(abs(value)) / 3))
    exp = max(-3, min(exp, 8))
    prefix = {-3: "n", -2: "µ", -1: "m", 0: "", 1: "k", 2: "M", 3: "G", 4: "T", 5: "P", 6: "E", 7: "Z", 8: "Y"}[exp]
    return f"{value / 10 ** (3 * exp):.{digits}g} {prefix}{unit}"


def scale_for(values: np.ndarray, unit: str) -> tuple[float, str]:
    """A divisor and prefixed unit that put ``max(|values|)`` between 1 and 1000."""
    v = np.asarray(values, dtype=np.float64)
    peak = float(np.nanmax(np.abs(v))) if v.size and np.isfinite(v).any() else 0.0
    if peak <= 0:
        return 1.0, unit
    exp = max(0, min(8, int(math.floor(math.log10(peak) / 3))))
    return 10.0 ** (3 * exp), {0: "", 1: "k", 2: "M", 3: "G", 4: "T", 5: "P", 6: "E", 7: "Z", 8: "Y"}[exp] + unit


def fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return "–"
        if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
            return f"{v:.{digits}g}"
        return f"{v:,.{digits}g}" if abs(v) < 1e4 else f"{v:,.0f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {fmt(v, digits)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v, digits) for v in value)
    return str(value)


def pct(v: float | None, digits: int = 3) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{100 * v:.{digits}g}%"
