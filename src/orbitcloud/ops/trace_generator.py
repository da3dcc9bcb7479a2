"""The fitted LLM request generator: ``TraceModel``, its moments, sampling and (de)serialisation.

The generator is a renewal process with independent (request-level) token lengths:

* inter-arrival times: a mixture of K gamma distributions (K = 1 is a plain gamma; shape 1 phases make a
  hyperexponential) whose mean and variance match the trace (two-moment matching, the quantities that
  set queueing delay in Kingman's / Whitt's approximations);
* token lengths: a mixture of bivariate normals in ``(ln in, ln out)`` (a bivariate log-normal mixture);
  samples are ``round(exp(.))`` clipped to the trace's observed range.

The parameters are fitted by :func:`orbitcloud.ops.trace_fit.fit_trace` and shipped in
``catalog/llm_traces.yaml`` (loaded by :func:`orbitcloud.ops.traces.trace_model`, which re-exports the
names here). Details and measured numbers: ``docs/traces.md``.

Sources:

* Data the shipped models are fitted to: Patel et al., "Splitwise: Efficient generative LLM inference
  using phase splitting", ISCA 2024 (arXiv 2311.18677); Azure LLM inference traces 2023
  (github.com/Azure/AzurePublicDataset, AzureLLMInferenceDataset2023), licensed CC-BY 4.0.
* Mixtures: McLachlan & Peel, "Finite Mixture Models", Wiley 2000.
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
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from orbitcloud.ops.trace_requests import Requests, TraceError, _empty, _positive

__all__ = [
    "BLOCK",
    "MAX_REQUESTS",
    "TraceModel",
]

#: Requests drawn per random-number block of ``TraceModel.sample`` (part of the determinism contract).
BLOCK = 65536
#: Largest expected number of requests of one ``TraceModel.sample`` call (24 bytes each).
MAX_REQUESTS = 100_000_000
_TAG = 0x7472616365  # "trace": separates these streams from any other SeedSequence use of (seed, stream)


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
