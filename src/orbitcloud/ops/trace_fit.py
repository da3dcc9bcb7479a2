"""Fitting the LLM request generator to a trace: statistics, EM for the mixtures, order selection.

``fit_trace`` turns :class:`~orbitcloud.ops.trace_requests.Requests` (e.g. an Azure trace read by
``read_azure_trace``) into a :class:`~orbitcloud.ops.trace_generator.TraceModel`:

* inter-arrival times: a mixture of K gamma distributions fitted by maximum likelihood with the EM
  algorithm; the mean is matched exactly and the variance is then matched by the shape of the
  longest-mean component (two-moment matching, the quantities that set queueing delay in Kingman's /
  Whitt's approximations);
* token lengths: a mixture of bivariate normals in ``(ln in, ln out)``, fitted by EM with a variance
  floor.

K of each part is the smallest for which the Kolmogorov-Smirnov distance between the fitted marginal
and the data is at most ``KS_TARGET``. The shipped ``catalog/llm_traces.yaml`` is the output of
``fit_trace`` on the Azure files (``benchmarks/fit_traces.py``); :mod:`orbitcloud.ops.traces`
re-exports the names here. Details and measured numbers: ``docs/traces.md``.

Sources:

* EM: Dempster, Laird & Rubin, J. R. Stat. Soc. B 39 (1977) 1; mixtures: McLachlan & Peel, "Finite
  Mixture Models", Wiley 2000. Gamma shape M-step: Minka, "Estimating a Gamma distribution" (2002).
* Two-moment characterisation of arrival processes: Whitt, "The Queueing Network Analyzer", Bell Syst.
  Tech. J. 62 (1983) 2779; Kingman, Proc. Camb. Phil. Soc. 57 (1961) 902.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from orbitcloud.ops.trace_generator import TraceModel, _tuple
from orbitcloud.ops.trace_requests import Requests, TraceError

__all__ = [
    "EM_MAX_ITER",
    "EM_TOL",
    "GAP_FLOOR_S",
    "KS_TARGET",
    "MAX_GAP_COMPONENTS",
    "MAX_TOKEN_COMPONENTS",
    "VAR_FLOOR_LN",
    "fit_trace",
    "trace_summary",
]

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
