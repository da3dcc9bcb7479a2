"""LLM requests and trace files: the ``Requests`` arrays, the Azure LLM inference trace reader and replay.

A request is an arrival time and two token counts: the context (prompt) tokens and the generated
(output) tokens. ``read_azure_trace`` reads a trace CSV (``TIMESTAMP,ContextTokens,GeneratedTokens``)
into :class:`Requests`; ``replay`` tiles it end to end over a window, at the trace's mean rate times
``rate_scale``. The fitted generator that needs no file is :mod:`orbitcloud.ops.trace_generator`;
:mod:`orbitcloud.ops.traces` re-exports every name here.

Source of the files: Patel et al., "Splitwise: Efficient generative LLM inference using phase
splitting", ISCA 2024 (arXiv 2311.18677); Azure LLM inference traces 2023
(github.com/Azure/AzurePublicDataset, AzureLLMInferenceDataset2023), licensed CC-BY 4.0 (attribution
in the docs and catalog ``source``). Details: ``docs/traces.md``.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any

import numpy as np

from orbitcloud.errors import OrbitcloudError

__all__ = [
    "Requests",
    "TraceError",
    "read_azure_trace",
    "replay",
]

_AZURE_COLUMNS = ("TIMESTAMP", "ContextTokens", "GeneratedTokens")


class TraceError(OrbitcloudError, ValueError):
    """A trace file, a trace model name or a generator argument is invalid."""


# --------------------------------------------------------------------------------------------------
# requests
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class Requests:
    """LLM requests: equal-length arrays sorted by arrival time.

    Attributes
    ----------
    t_s : float64 (n,)
        Arrival time from the run start [s], non-decreasing.
    in_tokens : int64 (n,)
        Context (prompt) tokens, >= 1.
    out_tokens : int64 (n,)
        Generated (output) tokens, >= 1.
    """

    t_s: np.ndarray
    in_tokens: np.ndarray
    out_tokens: np.ndarray

    def __post_init__(self) -> None:
        t = np.ascontiguousarray(self.t_s, dtype=np.float64)
        a = np.ascontiguousarray(self.in_tokens, dtype=np.int64)
        b = np.ascontiguousarray(self.out_tokens, dtype=np.int64)
        if t.ndim != 1 or t.shape != a.shape or t.shape != b.shape:
            raise TraceError(
                "Requests: t_s, in_tokens, out_tokens must be 1-D of equal length "
                f"(got {t.shape}, {a.shape}, {b.shape})"
            )
        object.__setattr__(self, "t_s", t)
        object.__setattr__(self, "in_tokens", a)
        object.__setattr__(self, "out_tokens", b)

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


def _empty() -> Requests:
    return Requests(np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64))


# --------------------------------------------------------------------------------------------------
# reader and replay
# --------------------------------------------------------------------------------------------------


def _parse_times(values: list[str], path: str, lines: list[int]) -> np.ndarray:
    """Timestamps as seconds (float64) from the first row: ISO date-times or plain numbers [s].

    A UTC offset (``+00:00``, ``Z``, as in later Azure traces) is applied by NumPy, which converts to UTC
    and warns that datetime64 has no time zone; the warning is silenced here.
    """
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="no explicit representation of timezones")
            ns = np.array(values, dtype="datetime64[ns]").astype(np.int64)
        return (ns - ns[0]).astype(np.float64) * 1e-9
    except ValueError:
        pass
    try:
        s = np.array(values, dtype=np.float64)
        if np.all(np.isfinite(s)):
            return s - s[0]
    except ValueError:
        pass
    as_datetime = _looks_like_datetime(values[0])
    for line, v in zip(lines, values):
        try:
            if as_datetime:
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message="no explicit representation of timezones")
                    np.datetime64(v, "ns")
            elif not math.isfinite(float(v)):
                raise ValueError(v)
        except ValueError:
            kind = "a date-time like 2023-11-16 18:15:46.68" if as_datetime else "a finite number of seconds"
            raise TraceError(f"{path}: line {line}: TIMESTAMP {v!r} is not {kind}") from None
    raise TraceError(f"{path}: TIMESTAMP column mixes date-times and numbers")  # pragma: no cover - defensive


def _looks_like_datetime(v: str) -> bool:
    try:
        float(v)
        return False
    except ValueError:
        return True


def read_azure_trace(path: str | os.PathLike[str]) -> Requests:
    """Read an Azure LLM inference trace CSV (``TIMESTAMP,ContextTokens,GeneratedTokens``).

    ``TIMESTAMP`` is a date-time (``2023-11-16 18:15:46.6805900``) or a number of seconds; ``t_s`` is
    counted from the first row. Rows must be in time order and token counts integers >= 1.

    Raises
    ------
    TraceError
        Missing or empty file, missing column, a value that does not parse or is out of range (the
        message names the file, the line and the value), rows out of time order.
    """
    import csv

    name = os.fspath(path)
    try:
        with open(name, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise TraceError(f"{name}: trace file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceError(f"{name}: cannot read the trace file ({exc})") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise TraceError(f"{name}: empty file; expected a header {','.join(_AZURE_COLUMNS)} and rows")
    header = [cell.strip().lstrip("\ufeff") for cell in rows[0]]
    missing = [c for c in _AZURE_COLUMNS if c not in header]
    if missing:
        raise TraceError(
            f"{name}: line 1: missing column(s) {', '.join(missing)}; header is {','.join(header)!r}, "
            f"expected {','.join(_AZURE_COLUMNS)}"
        )
    idx = [header.index(c) for c in _AZURE_COLUMNS]
    body = [(k + 2, r) for k, r in enumerate(rows[1:]) if any(cell.strip() for cell in r)]
    if not body:
        raise TraceError(f"{name}: no requests after the header line")
    for line, r in body:
        if len(r) != len(header):
            raise TraceError(f"{name}: line {line}: {len(r)} fields, expected {len(header)} ({','.join(header)})")
    lines = [line for line, _ in body]
    times = [r[idx[0]].strip() for _, r in body]
    t_s = _parse_times(times, name, lines)
    tokens = []
    for col, j in zip(_AZURE_COLUMNS[1:], idx[1:]):
        cells = [r[j].strip() for _, r in body]
        try:
            v = np.array(cells, dtype=np.int64)
        except ValueError:
            v = None
        if v is None or np.any(v < 1):
            for line, cell in zip(lines, cells):
                try:
                    ok = int(cell) >= 1
                except ValueError:
                    ok = False
                if not ok:
                    raise TraceError(f"{name}: line {line}: {col} {cell!r} is not an integer >= 1") from None
        tokens.append(v)
    back = np.flatnonzero(np.diff(t_s) < 0.0)
    if back.size:
        k = int(back[0]) + 1
        raise TraceError(
            f"{name}: line {lines[k]}: TIMESTAMP {times[k]!r} is earlier than the previous row's {times[k - 1]!r}; "
            "rows must be in time order"
        )
    return Requests(t_s, tokens[0], tokens[1])


def replay(trace: Requests, duration_s: float, rate_scale: float = 1.0) -> Requests:
    """The trace tiled end to end to cover ``[0, duration_s)``, its time axis divided by ``rate_scale``.

    Copy c of the trace starts at ``c P`` with the period ``P = span + span / (n - 1)``
    (``span = t_last - t_first``): one mean inter-arrival time separates the last request of a copy
    from the first of the next, so the tiled stream keeps the trace's mean rate ``(n - 1) / span``.
    Times are then divided by ``rate_scale`` (> 1 compresses the inter-arrival times: a higher rate,
    same burst structure and token lengths). A single-request trace has no rate and is refused.
    """
    n = len(trace)
    if n < 2:
        raise TraceError(f"replay: trace has {n} request(s); at least 2 are needed to define a rate")
    duration_s = _positive("replay: duration_s", duration_s, allow_zero=True)
    rate_scale = _positive("replay: rate_scale", rate_scale)
    t0 = trace.t_s - trace.t_s[0]
    span_s = float(t0[-1])
    if not span_s > 0.0:
        raise TraceError("replay: all requests of the trace have the same time; the rate is undefined")
    period_s = span_s * n / (n - 1)
    horizon_s = duration_s * rate_scale  # in trace time
    copies = max(1, math.ceil(horizon_s / period_s))
    t = (t0[None, :] + period_s * np.arange(copies, dtype=np.float64)[:, None]).ravel()
    keep = int(np.searchsorted(t, horizon_s, side="left"))
    t = t[:keep] / rate_scale
    keep = int(np.searchsorted(t, duration_s, side="left"))  # guard against rounding at the edge
    reps = math.ceil(keep / n) if keep else 0
    return Requests(t[:keep], np.tile(trace.in_tokens, reps)[:keep], np.tile(trace.out_tokens, reps)[:keep])


def _positive(what: str, value: Any, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not math.isfinite(v) or v < 0.0 or (v == 0.0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise TraceError(f"{what} = {value!r}; expected a finite number {bound}")
    return v
