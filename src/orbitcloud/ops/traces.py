"""LLM request arrivals: a reader and replay of the Azure LLM inference traces, and a generator fitted to them.

A request is an arrival time and two token counts: the context (prompt) tokens and the generated
(output) tokens. Two sources:

* **replay** of a trace file (``read_azure_trace`` then ``replay``), for users who have the files;
* a **fitted generator** (``trace_model`` then ``TraceModel.sample``) whose parameters are shipped in
  ``catalog/llm_traces.yaml``; they are the output of ``fit_trace`` on the Azure files (the shared-data
  test re-fits and compares; ``benchmarks/fit_traces.py`` prints the catalog block).

The generator is a renewal process with independent (request-level) token lengths:

* inter-arrival times: a mixture of K gamma distributions (K = 1 is a plain gamma; shape 1 phases make a
  hyperexponential), fitted by maximum likelihood with the EM algorithm; the mean is matched exactly and
  the variance is then matched by the shape of the longest-mean component (two-moment matching, the
  quantities that set queueing delay in Kingman's / Whitt's approximations);
* token lengths: a mixture of bivariate normals in ``(ln in, ln out)`` (a bivariate log-normal mixture),
  fitted by EM; samples are ``round(exp(.))`` clipped to the trace's observed range.

K of each part is the smallest for which the Kolmogorov-Smirnov distance between the fitted marginal
and the data is at most ``KS_TARGET`` (details and measured numbers: ``docs/traces.md``).

Sources:

* Data: Patel et al., "Splitwise: Efficient generative LLM inference using phase splitting", ISCA 2024
  (arXiv 2311.18677); Azure LLM inference traces 2023 (github.com/Azure/AzurePublicDataset,
  AzureLLMInferenceDataset2023), licensed CC-BY 4.0 (attribution in the docs and catalog ``source``).
* EM: Dempster, Laird & Rubin, J. R. Stat. Soc. B 39 (1977) 1; mixtures: McLachlan & Peel, "Finite
  Mixture Models", Wiley 2000. Gamma shape M-step: Minka, "Estimating a Gamma distribution" (2002).
* Two-moment characterisation of arrival processes: Whitt, "The Queueing Network Analyzer", Bell Syst.
  Tech. J. 62 (1983) 2779; Kingman, Proc. Camb. Phil. Soc. 57 (1961) 902.
* Counter-based random numbers (Philox): Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
  SC'11.

Determinism. ``TraceModel.sample`` draws requests in blocks of ``BLOCK`` requests; block b uses a NumPy
``Generator(Philox)`` keyed by ``SeedSequence((seed, stream, b, tag))`` and nothing else, so the result
is a pure function of (seed, stream, duration, rate), a longer duration extends a shorter one, and
request j has the same token counts at any rate.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections.abc import Mapping
from importlib import resources
from typing import Any

import numpy as np

from orbitcloud.errors import OrbitcloudError

__all__ = [
    "BLOCK",
    "KS_TARGET",
    "MAX_REQUESTS",
    "Requests",
    "TraceError",
    "TraceModel",
    "fit_trace",
    "read_azure_trace",
    "replay",
    "trace_catalog",
    "trace_model",
    "trace_summary",
]

#: Requests drawn per random-number block of ``TraceModel.sample`` (part of the determinism contract).
BLOCK = 65536
#: Largest expected number of requests of one ``TraceModel.sample`` call (24 bytes each).
MAX_REQUESTS = 100_000_000
#: Model order selection: the smallest K whose marginal KS distance to the data is at most this.
KS_TARGET = 0.03
#: Largest mixture orders tried by the automatic selection.
MAX_GAP_COMPONENTS = 5
MAX_TOKEN_COMPONENTS = 12
#: Inter-arrival gaps below this are raised to it before fitting (timestamps are 0.1 us; the Azure
#: files' smallest gap is 2 us, so this changes nothing there) [s].
GAP_FLOOR_S = 1e-6
#: Variance floor of each normal component in log-token space (sigma >= 0.01: token counts are integers
#: and some values recur hundreds of times; without a floor a component collapses on one value).
VAR_FLOOR_LN = 1e-4
#: EM stops when the log-likelihood gains less than EM_TOL x |log-likelihood| in an iteration, or after
#: EM_MAX_ITER iterations.
EM_TOL = 1e-11
EM_MAX_ITER = 5000
_MAX_SHAPE = 1e7
_TAG = 0x7472616365  # "trace": separates these streams from any other SeedSequence use of (seed, stream)
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


# --------------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------------


def _tuple(values: Any) -> tuple[float, ...]:
    return tuple(float(v) for v in np.asarray(values, dtype=np.float64).ravel())


@dataclasses.dataclass(frozen=True)
class TraceModel:
    """A fitted request generator (renewal arrivals, independent bivariate log-normal-mixture tokens).

    Attributes
    ----------
    name, source : str
        Catalog name; data source and licence.
    rate_per_s : float
        Mean request rate of the trace, ``(n - 1) / span`` [1/s]; the inter-arrival mixture has mean
        ``1 / rate_per_s`` exactly.
    gap_weights, gap_shapes, gap_means_s : tuple (K,)
        Inter-arrival mixture: weight, gamma shape and mean [s] of each component.
    tok_weights : tuple (M,)
        Token mixture weights.
    tok_mu_ln, tok_sigma_ln : tuple of (ln in, ln out) pairs (M,)
        Means and standard deviations of ln(tokens) per component.
    tok_rho : tuple (M,)
        Correlation of ln(in) and ln(out) within each component.
    in_range, out_range : (int, int)
        Sampled token counts are clipped to these (the trace's observed minimum and maximum).
    trace : mapping
        Statistics of the fitted trace (``trace_summary``), kept for validation.
    fit : mapping
        Fit settings and figures of merit (orders, KS distances, iterations).
    """

    name: str
    source: str
    rate_per_s: float
    gap_weights: tuple[float, ...]
    gap_shapes: tuple[float, ...]
    gap_means_s: tuple[float, ...]
    tok_weights: tuple[float, ...]
    tok_mu_ln: tuple[tuple[float, float], ...]
    tok_sigma_ln: tuple[tuple[float, float], ...]
    tok_rho: tuple[float, ...]
    in_range: tuple[int, int]
    out_range: tuple[int, int]
    trace: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)
    fit: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)

    # ---------------------------------------------------------------- analytic moments
    @property
    def interarrival_mean_s(self) -> float:
        """Mean inter-arrival time of the mixture [s]."""
        return float(np.dot(self.gap_weights, self.gap_means_s))

    @property
    def interarrival_cv(self) -> float:
        """Coefficient of variation of the inter-arrival time (std / mean) of the mixture."""
        w, a, m = (np.asarray(x) for x in (self.gap_weights, self.gap_shapes, self.gap_means_s))
        mean = float(np.dot(w, m))
        m2 = float(np.dot(w, m * m * (1.0 + 1.0 / a)))
        return math.sqrt(max(m2 - mean * mean, 0.0)) / mean

    @property
    def log_token_corr(self) -> float:
        """Correlation of ln(in) and ln(out) of the mixture (before rounding and clipping)."""
        w = np.asarray(self.tok_weights)
        mu = np.asarray(self.tok_mu_ln)
        s = np.asarray(self.tok_sigma_ln)
        rho = np.asarray(self.tok_rho)
        m = w @ mu
        exx = w @ (s[:, 0] ** 2 + mu[:, 0] ** 2) - m[0] ** 2
        eyy = w @ (s[:, 1] ** 2 + mu[:, 1] ** 2) - m[1] ** 2
        exy = w @ (rho * s[:, 0] * s[:, 1] + mu[:, 0] * mu[:, 1]) - m[0] * m[1]
        return float(exy / math.sqrt(exx * eyy))

    # ---------------------------------------------------------------- sampling
    def sample(self, duration_s: float, seed: int, rate_per_s: float | None = None, stream: int = 0) -> Requests:
        """Requests arriving in ``[0, duration_s)``.

        Parameters
        ----------
        duration_s : float
            Length of the window [s].
        seed, stream : int
            Randomness keys (integers; ``stream`` >= 0 separates independent sources, e.g. one per city).
        rate_per_s : float, optional
            Mean request rate [1/s]; the inter-arrival times are scaled by ``self.rate_per_s / rate_per_s``
            (same CV and shape). Default: the trace's rate.

        The first request arrives after one inter-arrival time (an ordinary renewal process started at
        0). The result is a pure function of (seed, stream, duration_s, rate_per_s).
        """
        duration_s = _positive("TraceModel.sample: duration_s", duration_s, allow_zero=True)
        rate = self.rate_per_s if rate_per_s is None else _positive("TraceModel.sample: rate_per_s", rate_per_s)
        seed_i, stream_i = _key("seed", seed), _key("stream", stream)
        if int(stream) < 0:
            raise TraceError(f"TraceModel.sample: stream = {stream!r}; expected an integer >= 0")
        if duration_s == 0.0:
            return _empty()
        if duration_s * rate > MAX_REQUESTS:
            raise TraceError(
                f"TraceModel.sample: duration_s {duration_s:g} x rate {rate:g}/s = {duration_s * rate:.3g} requests; "
                f"expected at most {MAX_REQUESTS:.0e} per call (a shorter window or a lower rate)"
            )
        scale = self.rate_per_s / rate
        gw = np.cumsum(self.gap_weights)
        ga = np.asarray(self.gap_shapes)
        gth = np.asarray(self.gap_means_s) / ga * scale
        tw = np.cumsum(self.tok_weights)
        mu = np.asarray(self.tok_mu_ln)
        sd = np.asarray(self.tok_sigma_ln)
        rho = np.asarray(self.tok_rho)
        rho_c = np.sqrt(1.0 - rho * rho)
        lo = np.log(np.asarray([self.in_range[0], self.out_range[0]], dtype=np.float64))
        hi = np.log(np.asarray([self.in_range[1], self.out_range[1]], dtype=np.float64))
        times, ins, outs = [], [], []
        t_end = 0.0
        block = 0
        while True:
            rng = np.random.Generator(np.random.Philox(np.random.SeedSequence((seed_i, stream_i, block, _TAG))))
            u = rng.random((2, BLOCK))
            gc = np.minimum(np.searchsorted(gw, u[0] * gw[-1], side="right"), gw.size - 1)
            gaps = rng.standard_gamma(ga[gc]) * gth[gc]
            z = rng.standard_normal((2, BLOCK))
            tc = np.minimum(np.searchsorted(tw, u[1] * tw[-1], side="right"), tw.size - 1)
            x = mu[tc, 0] + sd[tc, 0] * z[0]
            y = mu[tc, 1] + sd[tc, 1] * (rho[tc] * z[0] + rho_c[tc] * z[1])
            t = t_end + np.cumsum(gaps)
            last = t_end
            t_end = float(t[-1])
            stop = int(np.searchsorted(t, duration_s, side="left"))
            times.append(t[:stop])
            ins.append(_tokens(x[:stop], lo[0], hi[0], self.in_range))
            outs.append(_tokens(y[:stop], lo[1], hi[1], self.out_range))
            if stop < BLOCK or not t_end > last:
                break
            block += 1
        return Requests(np.concatenate(times), np.concatenate(ins), np.concatenate(outs))

    # ---------------------------------------------------------------- (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """The catalog entry of this model (``llm_traces.yaml`` holds ``{name: to_dict() minus name}``)."""
        return {
            "name": self.name,
            "source": self.source,
            "rate_per_s": self.rate_per_s,
            "interarrival": {
                "family": "gamma_mixture",
                "weights": list(self.gap_weights),
                "shapes": list(self.gap_shapes),
                "means_s": list(self.gap_means_s),
            },
            "tokens": {
                "family": "bivariate_lognormal_mixture",
                "weights": list(self.tok_weights),
                "mu_ln": [list(p) for p in self.tok_mu_ln],
                "sigma_ln": [list(p) for p in self.tok_sigma_ln],
                "rho": list(self.tok_rho),
                "in_range": list(self.in_range),
                "out_range": list(self.out_range),
            },
            "trace": dict(self.trace),
            "fit": dict(self.fit),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], name: str | None = None) -> "TraceModel":
        """Build from a ``to_dict`` / catalog mapping; ``TraceError`` naming the key on a bad entry."""
        where = name or str(data.get("name", "<trace model>"))
        try:
            ia, tok = data["interarrival"], data["tokens"]
            if ia.get("family") != "gamma_mixture":
                raise ValueError(f"interarrival.family {ia.get('family')!r}, expected 'gamma_mixture'")
            if tok.get("family") != "bivariate_lognormal_mixture":
                raise ValueError(f"tokens.family {tok.get('family')!r}, expected 'bivariate_lognormal_mixture'")
            model = cls(
                name=where,
                source=str(data["source"]),
                rate_per_s=float(data["rate_per_s"]),
                gap_weights=_tuple(ia["weights"]),
                gap_shapes=_tuple(ia["shapes"]),
                gap_means_s=_tuple(ia["means_s"]),
                tok_weights=_tuple(tok["weights"]),
                tok_mu_ln=tuple(tuple(float(v) for v in p) for p in tok["mu_ln"]),
                tok_sigma_ln=tuple(tuple(float(v) for v in p) for p in tok["sigma_ln"]),
                tok_rho=_tuple(tok["rho"]),
                in_range=(int(tok["in_range"][0]), int(tok["in_range"][1])),
                out_range=(int(tok["out_range"][0]), int(tok["out_range"][1])),
                trace=dict(data.get("trace") or {}),
                fit=dict(data.get("fit") or {}),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise TraceError(f"trace model {where!r}: bad or missing entry ({exc})") from None
        model._check(where)
        return model

    def _check(self, where: str) -> None:
        k, m = len(self.gap_weights), len(self.tok_weights)
        problems = []
        if not (len(self.gap_shapes) == len(self.gap_means_s) == k >= 1):
            problems.append("interarrival weights/shapes/means_s lengths differ")
        if not (len(self.tok_mu_ln) == len(self.tok_sigma_ln) == len(self.tok_rho) == m >= 1):
            problems.append("tokens weights/mu_ln/sigma_ln/rho lengths differ")
        if problems:
            raise TraceError(f"trace model {where!r}: {'; '.join(problems)}")
        checks = [
            ("rate_per_s", [self.rate_per_s], lambda v: v > 0),
            ("interarrival.weights", self.gap_weights, lambda v: v >= 0),
            ("interarrival.shapes", self.gap_shapes, lambda v: v > 0),
            ("interarrival.means_s", self.gap_means_s, lambda v: v > 0),
            ("tokens.weights", self.tok_weights, lambda v: v >= 0),
            ("tokens.sigma_ln", [s for p in self.tok_sigma_ln for s in p], lambda v: v > 0),
            ("tokens.rho", self.tok_rho, lambda v: -1 < v < 1),
        ]
        for key, values, ok in checks:
            for v in values:
                if not (math.isfinite(v) and ok(v)):
                    raise TraceError(f"trace model {where!r}: {key} has {v!r}; out of range")
        for key, w in (("interarrival.weights", self.gap_weights), ("tokens.weights", self.tok_weights)):
            if abs(sum(w) - 1.0) > 1e-6:
                raise TraceError(f"trace model {where!r}: {key} sum to {sum(w)!r}, expected 1")
        for key, (lo, hi) in (("tokens.in_range", self.in_range), ("tokens.out_range", self.out_range)):
            if not 1 <= lo <= hi:
                raise TraceError(f"trace model {where!r}: {key} = [{lo}, {hi}]; expected 1 <= min <= max")
        if abs(self.interarrival_mean_s * self.rate_per_s - 1.0) > 1e-6:
            raise TraceError(
                f"trace model {where!r}: rate_per_s {self.rate_per_s!r} disagrees with the inter-arrival mean "
                f"{self.interarrival_mean_s!r} s (their product must be 1)"
            )


def _tokens(z: np.ndarray, ln_lo: float, ln_hi: float, bounds: tuple[int, int]) -> np.ndarray:
    """round(exp(z)) clipped to ``bounds`` (clipped in log space first: no overflow for extreme draws)."""
    return np.clip(np.rint(np.exp(np.clip(z, ln_lo, ln_hi))), bounds[0], bounds[1]).astype(np.int64)


def _key(what: str, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TraceError(f"TraceModel.sample: {what} = {value!r}; expected an integer")
    return int(value) % (1 << 64)


# --------------------------------------------------------------------------------------------------
# catalog
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _catalog() -> dict[str, Any]:
    import yaml

    text = resources.files("orbitcloud.catalog").joinpath("llm_traces.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    for key, value in data.items():
        if not isinstance(value, dict) or not value.get("source"):
            raise RuntimeError(f"catalog llm_traces.yaml: entry {key!r} has no source")  # packaging bug
    return data


def trace_catalog() -> dict[str, Any]:
    """``catalog/llm_traces.yaml`` as a mapping of model name to entry (do not modify it)."""
    return _catalog()


@functools.lru_cache(maxsize=None)
def trace_model(name: str) -> TraceModel:
    """A shipped fitted model: ``"azure-conv"`` or ``"azure-code"`` (``TraceError`` lists the names)."""
    data = _catalog()
    if name not in data:
        raise TraceError(f"unknown trace model {name!r}; known: {', '.join(sorted(data))}")
    return TraceModel.from_dict(data[name], name=name)


# --------------------------------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------------------------------


def trace_summary(trace: Requests) -> dict[str, Any]:
    """Statistics of a trace (the figures the generator is validated against).

    ``rate_per_s = (n - 1) / span``; ``interarrival_cv`` = population std / mean of the gaps;
    percentiles by linear interpolation (NumPy's default); ``log_corr`` the Pearson correlation of
    ln(in) and ln(out).
    """
    n = len(trace)
    if n < 3:
        raise TraceError(f"trace has {n} request(s); at least 3 are needed for its statistics")
    gaps = np.diff(trace.t_s)
    span = float(trace.t_s[-1] - trace.t_s[0])
    if not span > 0.0:
        raise TraceError("all requests of the trace have the same time; the rate is undefined")
    li, lo = np.log(trace.in_tokens), np.log(trace.out_tokens)
    pin = np.percentile(trace.in_tokens, [50, 90, 99])
    pout = np.percentile(trace.out_tokens, [50, 90, 99])
    corr = float(np.corrcoef(li, lo)[0, 1]) if li.std() > 0 and lo.std() > 0 else 0.0
    return {
        "n_requests": n,
        "duration_s": span,
        "rate_per_s": (n - 1) / span,
        "interarrival_cv": float(gaps.std() / gaps.mean()),
        "in_tokens_mean": float(trace.in_tokens.mean()),
        "in_tokens_p50": float(pin[0]),
        "in_tokens_p90": float(pin[1]),
        "in_tokens_p99": float(pin[2]),
        "out_tokens_mean": float(trace.out_tokens.mean()),
        "out_tokens_p50": float(pout[0]),
        "out_tokens_p90": float(pout[1]),
        "out_tokens_p99": float(pout[2]),
        "log_corr": corr,
    }


def _logsumexp_rows(logp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row log-sum-exp and the responsibilities (rows of ``exp(logp - lse)``)."""
    m = logp.max(axis=1, keepdims=True)
    e = np.exp(logp - m)
    s = e.sum(axis=1, keepdims=True)
    return m[:, 0] + np.log(s[:, 0]), e / s


def _gamma_shape(c: np.ndarray) -> np.ndarray:
    """Solve ``ln a - digamma(a) = c`` (c > 0) for the gamma shape a (Minka 2002 start, Newton)."""
    from scipy import special

    c = np.maximum(np.asarray(c, dtype=np.float64), 1.0 / (2.0 * _MAX_SHAPE))
    a = (3.0 - c + np.sqrt((c - 3.0) ** 2 + 24.0 * c)) / (12.0 * c)
    for _ in range(100):
        f = np.log(a) - special.digamma(a) - c
        step = f / (1.0 / a - special.polygamma(1, a))
        new = np.where(a - step > 0.0, a - step, 0.5 * a)
        done = np.all(np.abs(new - a) <= 1e-15 * a)
        a = new
        if done:
            break
    return np.minimum(a, _MAX_SHAPE)


def _gamma_logpdf(x: np.ndarray, lx: np.ndarray, w: np.ndarray, a: np.ndarray, th: np.ndarray) -> np.ndarray:
    from scipy import special

    const = np.log(w) - special.gammaln(a) - a * np.log(th)
    return const + (a - 1.0) * lx[:, None] - x[:, None] / th


def _fit_gamma_mixture(x: np.ndarray, k: int) -> dict[str, Any]:
    """EM for a K-component gamma mixture (deterministic start: K equal-count groups of sorted x)."""
    n = x.size
    lx = np.log(x)
    r = np.zeros((n, k))
    for j, rows in enumerate(np.array_split(np.argsort(lx, kind="stable"), k)):
        r[rows, j] = 1.0
    ll_old = -math.inf
    it = 0
    for it in range(1, EM_MAX_ITER + 1):
        nk = np.maximum(r.sum(axis=0), 1e-300)
        w = nk / n
        mx = (x @ r) / nk
        ml = (lx @ r) / nk
        a = _gamma_shape(np.log(mx) - ml)
        th = mx / a
        ll_vec, r = _logsumexp_rows(_gamma_logpdf(x, lx, w, a, th))
        ll = float(ll_vec.sum())
        if ll - ll_old < EM_TOL * abs(ll):
            break
        ll_old = ll
    nk = r.sum(axis=0)
    w = nk / n
    mean = (x @ r) / nk
    a = _gamma_shape(np.log(mean) - (lx @ r) / nk)
    order = np.argsort(mean, kind="stable")
    return {"w": w[order], "a": a[order], "mean": mean[order], "loglik": ll, "iterations": it}


def _match_moments(w: np.ndarray, a: np.ndarray, mean: np.ndarray, target_mean: float, target_cv: float):
    """Rescale to the exact mean, then set the longest-mean component's shape to give the exact variance."""
    mean = mean * (target_mean / float(w @ mean))
    m2_target = target_mean**2 * (1.0 + target_cv**2)
    a = a.copy()
    j = int(np.argmax(mean))
    rest = float(np.sum(np.delete(w * mean * mean * (1.0 + 1.0 / a), j)))
    excess = (m2_target - rest) / (w[j] * mean[j] ** 2) - 1.0  # = 1 / a_j
    matched = bool(excess > 1.0 / _MAX_SHAPE)
    if matched:
        a[j] = 1.0 / excess
    return a, mean, matched


def _ks_gamma_mixture(x_sorted: np.ndarray, w, a, mean) -> float:
    from scipy import special

    cdf = special.gammainc(a, x_sorted[:, None] / (mean / a)) @ w
    n = x_sorted.size
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - cdf), np.max(cdf - (i - 1) / n)))


def _fit_gmm2(y: np.ndarray, k: int) -> dict[str, Any]:
    """EM for a K-component bivariate normal mixture with a variance floor (deterministic start)."""
    n = y.shape[0]
    y0, y1 = y[:, 0], y[:, 1]
    sq = np.column_stack([y0 * y0, y1 * y1, y0 * y1])
    r = np.zeros((n, k))
    for j, rows in enumerate(np.array_split(np.lexsort((y1, y0 + y1)), k)):
        r[rows, j] = 1.0
    ll_old = -math.inf
    it = 0
    for it in range(1, EM_MAX_ITER + 1):
        w, mu, sxx, syy, sxy = _gmm_mstep(r, y, sq, n)
        det = sxx * syy - sxy * sxy
        d0 = y0[:, None] - mu[:, 0]
        d1 = y1[:, None] - mu[:, 1]
        q = (syy * d0 * d0 - 2.0 * sxy * d0 * d1 + sxx * d1 * d1) / det
        logp = np.log(w) - math.log(2.0 * math.pi) - 0.5 * np.log(det) - 0.5 * q
        ll_vec, r = _logsumexp_rows(logp)
        ll = float(ll_vec.sum())
        if ll - ll_old < EM_TOL * abs(ll):
            break
        ll_old = ll
    w, mu, sxx, syy, sxy = _gmm_mstep(r, y, sq, n)
    sx, sy = np.sqrt(sxx), np.sqrt(syy)
    rho = sxy / (sx * sy)
    order = np.lexsort((mu[:, 1], mu[:, 0]))
    return {
        "w": w[order], "mu": mu[order], "sigma": np.column_stack([sx, sy])[order], "rho": rho[order],
        "loglik": ll, "iterations": it,
    }


def _gmm_mstep(r, y, sq, n):
    nk = np.maximum(r.sum(axis=0), 1e-300)
    w = nk / n
    mu = (r.T @ y) / nk[:, None]
    m2 = (r.T @ sq) / nk[:, None]
    sxx = np.maximum(m2[:, 0] - mu[:, 0] ** 2, 0.0) + VAR_FLOOR_LN
    syy = np.maximum(m2[:, 1] - mu[:, 1] ** 2, 0.0) + VAR_FLOOR_LN
    sxy = m2[:, 2] - mu[:, 0] * mu[:, 1]
    lim = 0.999 * np.sqrt(sxx * syy)
    return w, mu, sxx, syy, np.clip(sxy, -lim, lim)


def _ks_tokens(values: np.ndarray, w, mu, sigma, lo: int, hi: int) -> float:
    """KS distance between the integer data and round(exp(N-mixture)) clipped to [lo, hi] (exact CDF)."""
    from scipy import special

    v = np.arange(lo, hi + 1)
    cdf = special.ndtr((np.log(v + 0.5)[:, None] - mu) / sigma) @ w
    cdf[-1] = 1.0
    emp = np.searchsorted(np.sort(values), v, side="right") / values.size
    return float(np.max(np.abs(emp - cdf)))


def fit_trace(
    trace: Requests,
    name: str,
    source: str,
    *,
    gap_components: int | None = None,
    token_components: int | None = None,
) -> TraceModel:
    """Fit the generator to a trace.

    Parameters
    ----------
    trace : Requests
        At least 20 requests spanning a positive time.
    name, source : str
        Catalog name and source (give the data's citation and licence).
    gap_components, token_components : int, optional
        Mixture orders; default: the smallest K (up to ``MAX_GAP_COMPONENTS`` / ``MAX_TOKEN_COMPONENTS``)
        whose KS distance to the data is at most ``KS_TARGET`` (for tokens: both marginals), or else the
        K with the smallest distance.

    Returns
    -------
    TraceModel
        Inter-arrivals: gamma mixture by EM, then the mean and the CV matched exactly (``fit.cv_ml``
        is the CV before matching). Tokens: bivariate normal mixture of (ln in, ln out) by EM.
    """
    n = len(trace)
    if n < 20:
        raise TraceError(f"fit_trace {name!r}: trace has {n} requests; at least 20 are needed")
    summary = trace_summary(trace)
    gaps = np.maximum(np.diff(trace.t_s), GAP_FLOOR_S)
    gaps_sorted = np.sort(gaps)

    def gap_fit(k: int) -> dict[str, Any]:
        res = _fit_gamma_mixture(gaps, k)
        w, mean_ml = res["w"], res["mean"]
        cv_ml = math.sqrt(float(w @ (mean_ml**2 * (1 + 1 / res["a"]))) / float(w @ mean_ml) ** 2 - 1)
        a, mean, matched = _match_moments(w, res["a"], mean_ml, 1.0 / summary["rate_per_s"], summary["interarrival_cv"])
        res.update(a=a, mean=mean, matched=matched, cv_ml=cv_ml, ks=_ks_gamma_mixture(gaps_sorted, res["w"], a, mean))
        return res

    y = np.column_stack([np.log(trace.in_tokens), np.log(trace.out_tokens)])
    in_range = (int(trace.in_tokens.min()), int(trace.in_tokens.max()))
    out_range = (int(trace.out_tokens.min()), int(trace.out_tokens.max()))

    def token_fit(k: int) -> dict[str, Any]:
        res = _fit_gmm2(y, k)
        res["ks_in"] = _ks_tokens(trace.in_tokens, res["w"], res["mu"][:, 0], res["sigma"][:, 0], *in_range)
        res["ks_out"] = _ks_tokens(trace.out_tokens, res["w"], res["mu"][:, 1], res["sigma"][:, 1], *out_range)
        res["ks"] = max(res["ks_in"], res["ks_out"])
        return res

    g = _select(gap_fit, gap_components, MAX_GAP_COMPONENTS, "gap_components", name)
    t = _select(token_fit, token_components, MAX_TOKEN_COMPONENTS, "token_components", name)
    fit = {
        "method": "EM maximum likelihood; inter-arrival mean and CV matched exactly; orders: smallest K with "
        f"KS <= {KS_TARGET} unless given",
        "gap_components": int(g["w"].size),
        "gap_iterations": int(g["iterations"]),
        "gap_cv_ml": float(g["cv_ml"]),
        "gap_ks": float(g["ks"]),
        "token_components": int(t["w"].size),
        "token_iterations": int(t["iterations"]),
        "in_tokens_ks": float(t["ks_in"]),
        "out_tokens_ks": float(t["ks_out"]),
    }
    if not g["matched"]:
        fit["note"] = "trace CV too small for the fitted body: variance not matched (CV is the ML value)"
    return TraceModel(
        name=name,
        source=source,
        rate_per_s=summary["rate_per_s"],
        gap_weights=_tuple(g["w"]),
        gap_shapes=_tuple(g["a"]),
        gap_means_s=_tuple(g["mean"]),
        tok_weights=_tuple(t["w"]),
        tok_mu_ln=tuple((float(a), float(b)) for a, b in t["mu"]),
        tok_sigma_ln=tuple((float(a), float(b)) for a, b in t["sigma"]),
        tok_rho=_tuple(t["rho"]),
        in_range=in_range,
        out_range=out_range,
        trace=summary,
        fit=fit,
    )


def _select(fit_k, given: int | None, k_max: int, what: str, name: str) -> dict[str, Any]:
    if given is not None:
        if isinstance(given, bool) or not isinstance(given, (int, np.integer)) or not 1 <= given <= 50:
            raise TraceError(f"fit_trace {name!r}: {what} = {given!r}; expected an integer 1..50")
        return fit_k(int(given))
    best = None
    for k in range(1, k_max + 1):
        res = fit_k(k)
        if best is None or res["ks"] < best["ks"]:
            best = res
        if res["ks"] <= KS_TARGET:
            return res
    return best
