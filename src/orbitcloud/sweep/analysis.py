"""Analysis of a sweep: Sobol and Morris designs and indices, Monte Carlo summaries, Pareto fronts.

Pure functions over numpy arrays. Sampling and sensitivity estimation use SALib (imported lazily
inside the functions so that ``import orbitcloud`` stays light):

- SALib: Herman, J. & Usher, W. (2017), "SALib: An open-source Python library for Sensitivity
  Analysis", Journal of Open Source Software 2(9), 97, doi:10.21105/joss.00097; Iwanaga, T.,
  Usher, W. & Herman, J. (2022), "Toward SALib 2.0: Advancing the accessibility and interpretability
  of global sensitivity analyses", Socio-Environmental Systems Modelling 4, 18155,
  doi:10.18174/sesmo.18155.
- Sobol indices: the Saltelli design (Saltelli, A. (2002), "Making best use of model evaluations to
  compute sensitivity indices", Computer Physics Communications 145(2), 280-297) drawn from a
  scrambled Sobol' sequence, with the first-order estimator of Saltelli et al. (2010), "Variance based
  sensitivity analysis of model output. Design and estimator for the total sensitivity index",
  Computer Physics Communications 181(2), 259-270 (their Table 2 (b)), and the total-order estimator
  of Jansen (1999) given there (Table 2 (f)); confidence intervals by bootstrap over the N base rows.
  ``calc_second_order=False`` throughout: the design has ``N * (D + 2)`` rows.
- Morris screening: Morris, M. D. (1991), "Factorial sampling plans for preliminary computational
  experiments", Technometrics 33(2), 161-174 (elementary effects on a ``levels``-level grid,
  ``mu`` and ``sigma``); Campolongo, F., Cariboni, J. & Saltelli, A. (2007), "An effective screening
  design for sensitivity analysis of large models", Environmental Modelling & Software 22(10),
  1509-1518 (``mu_star``, the mean absolute elementary effect). SALib's elementary effects are not
  scaled: they are output change per unit *fraction of the parameter's range* (the grid step
  ``delta = levels / (2 (levels - 1))`` in the unit cube), so ``mu_star`` has the output's units.
- Test function: Ishigami, T. & Homma, T. (1990), "An importance quantification technique in
  uncertainty analysis for computer models", Proc. ISUMA '90, 398-403; the closed-form indices as
  in Saltelli, A. et al. (2008), *Global Sensitivity Analysis: The Primer*, Wiley, sect. 4.9 / 5.

Every function is deterministic given its ``seed``. Problems caused by the caller's input (bad
bounds, an ``n`` that is not a power of two, missing outputs) raise
:class:`orbitcloud.errors.OrbitcloudError` with a message naming the parameter and the expectation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from orbitcloud.errors import OrbitcloudError

__all__ = [
    "DISTS",
    "ISHIGAMI_BOUNDS",
    "ISHIGAMI_INDICES",
    "ishigami",
    "ishigami_indices",
    "mc_summary",
    "morris_design",
    "morris_indices",
    "pareto_front",
    "problem",
    "sobol_design",
    "sobol_indices",
]

#: Distributions accepted by :func:`problem`, with the meaning of each parameter's ``bounds`` entry
#: (SALib 1.6 conventions, ``SALib.util._nonuniform_scale_samples``).
DISTS: dict[str, str] = {
    "unif": "(low, high), low < high",
    "norm": "(mean, sd), sd > 0",
    "lognorm": "(mean, sd) of ln(x), sd > 0",
    "triang": "(low, high, peak) with 0 <= low < high and peak in [0, 1) as a fraction of high - low",
}


# --------------------------------------------------------------------------------------------------
# Problem definition
# --------------------------------------------------------------------------------------------------


def problem(
    names: list[str],
    bounds: list[tuple[float, float]],
    dists: list[str] | None = None,
) -> dict:
    """A SALib problem dict ``{"num_vars", "names", "bounds", "dists"}``, validated.

    Parameters
    ----------
    names
        Parameter names (unique, non-empty), e.g. the spec's dotted key paths.
    bounds
        One entry per parameter, meaning set by its distribution (:data:`DISTS`): ``(low, high)``
        for ``unif``, ``(mean, sd)`` for ``norm``, ``(mean, sd)`` of ``ln x`` for ``lognorm``,
        ``(low, high, peak)`` for ``triang`` (peak as a fraction of the range; SALib 1.6 requires
        ``0 <= low < high``).
    dists
        One of ``"unif"``, ``"norm"``, ``"lognorm"``, ``"triang"`` per parameter; default all
        ``"unif"``.

    Raises
    ------
    OrbitcloudError
        Naming the parameter, the bad value and the expectation.
    """
    names = [str(n) for n in names]
    d = len(names)
    if d == 0:
        raise OrbitcloudError("sensitivity problem: no parameters given (expected at least one)")
    seen: set[str] = set()
    for name in names:
        if not name:
            raise OrbitcloudError("sensitivity problem: a parameter name is empty")
        if name in seen:
            raise OrbitcloudError(f"sensitivity problem: parameter {name!r} is named twice")
        seen.add(name)
    if len(bounds) != d:
        raise OrbitcloudError(
            f"sensitivity problem: {len(bounds)} bounds given for {d} parameters {names} (expected one each)"
        )
    if dists is None:
        dists = ["unif"] * d
    dists = [str(x) for x in dists]
    if len(dists) != d:
        raise OrbitcloudError(
            f"sensitivity problem: {len(dists)} distributions given for {d} parameters {names} (expected one each)"
        )
    out_bounds: list[list[float]] = []
    for name, b, dist in zip(names, bounds, dists):
        out_bounds.append(_check_bounds(name, b, dist))
    return {"num_vars": d, "names": names, "bounds": out_bounds, "dists": dists}


def _check_bounds(name: str, b: Sequence[float], dist: str) -> list[float]:
    where = f"parameter {name!r}"
    if dist not in DISTS:
        raise OrbitcloudError(f"{where}: unknown distribution {dist!r} (expected one of {sorted(DISTS)})")
    want = 3 if dist == "triang" else 2
    try:
        vals = [float(v) for v in b]
    except (TypeError, ValueError):
        raise OrbitcloudError(f"{where}: bounds {b!r} are not numbers (expected {DISTS[dist]})") from None
    if len(vals) != want:
        raise OrbitcloudError(f"{where}: {dist} bounds {b!r} have {len(vals)} values (expected {DISTS[dist]})")
    if not all(math.isfinite(v) for v in vals):
        raise OrbitcloudError(f"{where}: bounds {b!r} are not finite (expected {DISTS[dist]})")
    if dist == "unif" and not vals[0] < vals[1]:
        raise OrbitcloudError(f"{where}: uniform bounds {b!r} need low < high")
    if dist in ("norm", "lognorm") and not vals[1] > 0.0:
        raise OrbitcloudError(f"{where}: {dist} bounds {b!r} need (mean, sd) with sd > 0")
    if dist == "triang" and not (0.0 <= vals[0] < vals[1] and 0.0 <= vals[2] < 1.0):
        raise OrbitcloudError(f"{where}: triang bounds {b!r} need {DISTS['triang']} (SALib 1.6)")
    return vals


def _d(prob: dict) -> int:
    return int(prob["num_vars"])


# --------------------------------------------------------------------------------------------------
# Sobol (Saltelli design)
# --------------------------------------------------------------------------------------------------


def _check_pow2(n: int) -> int:
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise OrbitcloudError(f"Sobol design: n = {n!r} must be a positive integer power of two, e.g. 1024")
    n = int(n)
    if n & (n - 1):
        lo = 1 << (n.bit_length() - 1)
        hi = lo << 1
        nearest = lo if n - lo < hi - n else hi
        raise OrbitcloudError(
            f"Sobol design: n = {n} is not a power of two (Sobol' sequences balance only at 2^k points); "
            f"use n = {nearest} (nearest; or {lo} / {hi})"
        )
    return n


def sobol_design(prob: dict, n: int, seed: int) -> np.ndarray:
    """Saltelli design for first- and total-order Sobol indices, shape ``(n * (D + 2), D)``.

    Rows are in SALib's order (per base row: A, AB_1 ... AB_D, B), values in the parameters'
    distributions. ``n`` is the number of base rows and must be a power of two; the scrambled Sobol'
    sequence (``scipy.stats.qmc.Sobol``, Owen scrambling) is seeded with ``seed``.
    """
    n = _check_pow2(n)
    from SALib.sample import sobol as _sobol

    x = _sobol.sample(prob, n, calc_second_order=False, scramble=True, seed=int(seed))
    return np.asarray(x, dtype=float)


def _missing(y: np.ndarray) -> int:
    return int(np.count_nonzero(~np.isfinite(y)))


def sobol_indices(
    prob: dict, y: np.ndarray, seed: int, conf_level: float = 0.95
) -> dict[str, dict[str, float]]:
    """First- and total-order Sobol indices ``{param: {S1, S1_conf, ST, ST_conf}}``.

    ``y`` holds the model output for every row of :func:`sobol_design` (same order), shape
    ``(n * (D + 2),)``. ``*_conf`` is the half-width of the ``conf_level`` bootstrap interval
    (100 resamples of the base rows, seeded by ``seed``), so the interval is ``S1 +- S1_conf``.
    A constant output has no variance to apportion: every index is returned as 0.0 (conf 0.0).

    Raises
    ------
    OrbitcloudError
        If ``y`` has the wrong length, or any value is NaN/inf (a failed case): the Saltelli
        estimators need the full design.
    """
    y = np.asarray(y, dtype=float).ravel()
    d = _d(prob)
    _check_conf(conf_level)
    if y.size == 0 or y.size % (d + 2):
        raise OrbitcloudError(
            f"Sobol indices: {y.size} outputs do not fill a Saltelli design for {d} parameters "
            f"(expected n * (D + 2) = n * {d + 2}, from sobol_design with calc_second_order=False)"
        )
    bad = _missing(y)
    if bad:
        raise OrbitcloudError(
            f"Sobol indices: {bad} of {y.size} outputs are missing (NaN/inf, failed cases); "
            "Sobol estimation needs the full design - rerun the failed cases or use Monte Carlo summaries"
        )
    names = list(prob["names"])
    if float(np.ptp(y)) == 0.0:
        return {p: {"S1": 0.0, "S1_conf": 0.0, "ST": 0.0, "ST_conf": 0.0} for p in names}
    from SALib.analyze import sobol as _sobol

    # SALib 1.6 tests ``if seed:`` and falls back to the global numpy state for seed=0, so hand it
    # a Generator (truthy, and ``default_rng(gen)`` returns ``gen``).
    si = _sobol.analyze(
        prob, y, calc_second_order=False, conf_level=conf_level, seed=np.random.default_rng(int(seed))
    )
    return {
        p: {k: float(si[k][j]) for k in ("S1", "S1_conf", "ST", "ST_conf")} for j, p in enumerate(names)
    }


def _check_conf(conf_level: float) -> None:
    if not 0.0 < float(conf_level) < 1.0:
        raise OrbitcloudError(f"conf_level = {conf_level!r} must lie strictly between 0 and 1, e.g. 0.95")


# --------------------------------------------------------------------------------------------------
# Morris (elementary effects)
# --------------------------------------------------------------------------------------------------


def _check_levels(levels: int) -> int:
    if isinstance(levels, bool) or int(levels) != levels or levels < 2 or int(levels) % 2:
        raise OrbitcloudError(f"Morris design: levels = {levels!r} must be an even integer >= 2, e.g. 4")
    return int(levels)


def morris_design(prob: dict, n_trajectories: int, levels: int, seed: int) -> np.ndarray:
    """Morris (1991) one-at-a-time trajectories, shape ``(n_trajectories * (D + 1), D)``.

    Each trajectory is ``D + 1`` consecutive rows on a ``levels``-level grid, moving one parameter
    per step. ``levels`` must be even (SALib); at least two trajectories are needed for ``sigma``.
    """
    levels = _check_levels(levels)
    if isinstance(n_trajectories, bool) or int(n_trajectories) != n_trajectories or n_trajectories < 2:
        raise OrbitcloudError(
            f"Morris design: n_trajectories = {n_trajectories!r} must be an integer >= 2 (typically 10-50)"
        )
    from SALib.sample import morris as _morris

    x = _morris.sample(prob, int(n_trajectories), num_levels=levels, seed=int(seed))
    return np.asarray(x, dtype=float)


def morris_indices(
    prob: dict,
    x: np.ndarray,
    y: np.ndarray,
    seed: int,
    conf_level: float = 0.95,
    levels: int = 4,
) -> dict[str, dict[str, float]]:
    """Morris screening measures ``{param: {mu, mu_star, mu_star_conf, sigma}}``.

    ``x`` is the :func:`morris_design` (shape ``(r * (D + 1), D)``) and ``y`` the output per row;
    ``levels`` must match the design's. ``mu_star_conf`` is the half-width of the ``conf_level``
    bootstrap interval of ``mu_star`` (1000 resamples, seeded by ``seed``). ``sigma`` (sample
    standard deviation of the elementary effects) > 0 flags non-linearity or interactions.

    Raises
    ------
    OrbitcloudError
        On shape mismatch or any NaN/inf output (each trajectory needs all its ``D + 1`` points).
    """
    levels = _check_levels(levels)
    _check_conf(conf_level)
    d = _d(prob)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    if x.ndim != 2 or x.shape[1] != d or x.shape[0] % (d + 1) or x.shape[0] < 2 * (d + 1):
        raise OrbitcloudError(
            f"Morris indices: design of shape {x.shape} is not r >= 2 trajectories of D + 1 = {d + 1} rows "
            f"by {d} parameters (expected the array from morris_design)"
        )
    if y.size != x.shape[0]:
        raise OrbitcloudError(f"Morris indices: {y.size} outputs for {x.shape[0]} design rows (expected one each)")
    bad = _missing(y)
    if bad:
        raise OrbitcloudError(
            f"Morris indices: {bad} of {y.size} outputs are missing (NaN/inf, failed cases); "
            "every trajectory needs all its points - rerun the failed cases"
        )
    from SALib.analyze import morris as _morris

    si = _morris.analyze(
        prob, x, y, conf_level=conf_level, num_levels=levels, seed=np.random.default_rng(int(seed))
    )
    return {
        p: {k: float(si[k][j]) for k in ("mu", "mu_star", "mu_star_conf", "sigma")}
        for j, p in enumerate(prob["names"])
    }


# --------------------------------------------------------------------------------------------------
# Monte Carlo summary and Pareto front
# --------------------------------------------------------------------------------------------------


def mc_summary(values: np.ndarray, conf_level: float = 0.95) -> dict[str, float]:
    """Summary statistics of Monte Carlo outputs, NaNs (failed cases) dropped and counted.

    Returns ``n`` (values used), ``n_missing`` (NaNs dropped), ``mean``, ``std`` (sample, ddof=1),
    percentiles ``p5 p25 p50 p75 p95`` (numpy's default linear interpolation), ``min``, ``max`` and
    ``ci_low``/``ci_high``: the Student-t ``conf_level`` interval of the mean,
    ``mean +- t_{(1+c)/2, n-1} * std / sqrt(n)`` (``scipy.stats.t``). Statistics that need more
    values than there are (all with n = 0; std and CI with n = 1) are NaN.
    """
    _check_conf(conf_level)
    v = np.asarray(values, dtype=float).ravel()
    keep = ~np.isnan(v)
    v = v[keep]
    n = int(v.size)
    out: dict[str, float] = {"n": n, "n_missing": int(keep.size - n)}
    keys = ("mean", "std", "p5", "p25", "p50", "p75", "p95", "min", "max", "ci_low", "ci_high")
    if n == 0:
        out.update({k: math.nan for k in keys})
        return out
    mean = float(np.mean(v))
    p5, p25, p50, p75, p95 = (float(q) for q in np.percentile(v, [5, 25, 50, 75, 95]))
    out.update(mean=mean, p5=p5, p25=p25, p50=p50, p75=p75, p95=p95, min=float(v.min()), max=float(v.max()))
    if n >= 2:
        from scipy.stats import t

        std = float(np.std(v, ddof=1))
        half = float(t.ppf(0.5 + conf_level / 2.0, n - 1)) * std / math.sqrt(n)
        out.update(std=std, ci_low=mean - half, ci_high=mean + half)
    else:
        out.update(std=math.nan, ci_low=math.nan, ci_high=math.nan)
    return {k: out[k] for k in ("n", "n_missing", *keys)}


def pareto_front(a: np.ndarray, b: np.ndarray, maximise: tuple[bool, bool] = (True, True)) -> np.ndarray:
    """Indices of the non-dominated points of ``(a, b)``, ordered by ascending ``a`` (then ``b``).

    A point is dominated when another is at least as good in both objectives and strictly better in
    one (``maximise`` says, per objective, whether larger is better); exact duplicates of a front
    point are all kept. Points with NaN in either objective are excluded. One sort and one sweep:
    O(n log n) (Kung, Luccio & Preparata 1975, two-objective case).
    """
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape:
        raise OrbitcloudError(f"Pareto front: objectives have {a.size} and {b.size} values (expected equal)")
    idx = np.flatnonzero(~(np.isnan(a) | np.isnan(b)))
    if idx.size == 0:
        return np.zeros(0, dtype=np.int64)
    # both objectives as "larger is better"
    ga = a[idx] if maximise[0] else -a[idx]
    gb = b[idx] if maximise[1] else -b[idx]
    order = np.lexsort((-gb, -ga))  # best a first, within equal a best b first
    sa, sb = ga[order], gb[order]
    start = np.r_[True, sa[1:] != sa[:-1]]  # first row of each group of equal a
    group = np.cumsum(start) - 1
    group_best_b = sb[start][group]
    # best b among all strictly better a (previous groups); -inf for the first group
    run_max = np.maximum.accumulate(sb)
    starts = np.flatnonzero(start)
    prev_best = np.full(starts.size, -np.inf)
    prev_best[1:] = run_max[starts[1:] - 1]
    keep = (sb == group_best_b) & (sb > prev_best[group])
    front = idx[order[keep]]
    return front[np.lexsort((b[front], a[front]))].astype(np.int64)


# --------------------------------------------------------------------------------------------------
# Ishigami test function (validation oracle)
# --------------------------------------------------------------------------------------------------


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """Ishigami & Homma (1990) function ``sin x1 + a sin^2 x2 + b x3^4 sin x1``, shape ``(n,)``.

    ``x`` has shape ``(n, 3)``, each column uniform on ``[-pi, pi]`` for the analytic indices.
    """
    x = np.asarray(x, dtype=float)
    s1 = np.sin(x[:, 0])
    return s1 + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * s1


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, dict[str, float]]:
    """Analytic first- and total-order Sobol indices of :func:`ishigami`, ``{x1|x2|x3: {S1, ST}}``.

    With ``x_i ~ U(-pi, pi)`` (Saltelli et al. 2008, *The Primer*; Ishigami & Homma 1990)::

        V1  = (1 + b pi^4 / 5)^2 / 2          V2 = a^2 / 8          V3 = 0
        V13 = b^2 pi^8 (1/18 - 1/50) = 8 b^2 pi^8 / 225
        V   = a^2 / 8 + b pi^4 / 5 + b^2 pi^8 / 18 + 1 / 2

    ``S1_i = V_i / V``; ``ST1 = (V1 + V13) / V``, ``ST2 = S1_2``, ``ST3 = V13 / V``. For a = 7,
    b = 0.1: S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437.
    """
    pi4 = math.pi**4
    v1 = 0.5 * (1.0 + b * pi4 / 5.0) ** 2
    v2 = a * a / 8.0
    v13 = 8.0 * b * b * pi4 * pi4 / 225.0
    v = a * a / 8.0 + b * pi4 / 5.0 + b * b * pi4 * pi4 / 18.0 + 0.5
    return {
        "x1": {"S1": v1 / v, "ST": (v1 + v13) / v},
        "x2": {"S1": v2 / v, "ST": v2 / v},
        "x3": {"S1": 0.0, "ST": v13 / v},
    }


#: Analytic indices of the Ishigami function for a = 7, b = 0.1 (:func:`ishigami_indices`).
ISHIGAMI_INDICES: dict[str, dict[str, float]] = ishigami_indices()

#: The Ishigami problem (x1, x2, x3 uniform on [-pi, pi]) as plain data for :func:`problem`.
ISHIGAMI_BOUNDS: list[tuple[float, float]] = [(-math.pi, math.pi)] * 3
