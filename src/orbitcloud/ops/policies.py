"""Placement policies: which satellites host serving replicas, and where each request goes.

Every ``replan`` interval the operator chooses the *active set*: enough replicas for the measured
demand at a target utilisation (``n = ceil(lambda / (mu x target))``, ``mu`` the steady-state request
rate of one replica from :mod:`orbitcloud.compute.inference`), picked from the eligible satellites
(the model fits, some accelerators work, commands can reach them) in the policy's order:

``first-fit``
    satellite index order (the baseline: blind to power, heat and place).
``power-aware``
    only satellites that are sunlit now and at ``now + eclipse_lookahead`` and whose battery is at
    or above ``soc_min``, by state of charge (highest first); then the rest by state of charge.
``follow-the-sun``
    sunlit now and at the look-ahead time (index order), then the rest: work follows the solar
    energy, battery state ignored.
``latency-aware``
    by the demand-weighted mean round trip from the request sources (nearest to demand first).
``thermal-aware``
    by thermal margin ``t_max - T`` (coolest first), skipping satellites within ``temp_margin_k``.

Incumbents that still qualify keep their place ahead of newcomers of the same rank class, so the
set does not churn. Decisions use the *known* state (telemetry delayed by ``telemetry_delay``, only
from satellites that could report), never the truth.

Dispatch of a request from a city: ``first-fit`` sends it to the first active, reachable replica in
index order with a free batch slot (else the least loaded); the others minimise the expected delay,
round trip plus ``backlog / max_batch`` times the mean service time.

Sources: the power-aware and follow-the-sun rules follow the energy-aware scheduling of
orbital edge computing (Denby & Lucia, "Orbital Edge Computing", ASPLOS 2020); least-expected-delay
dispatch is the classic join-the-shortest-expected-delay rule (Whitt, Oper. Res. 34 (1986) 55).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.scenario.workloads import POLICY_NAMES

__all__ = ["POLICY_NAMES", "Known", "check_policy", "select_active"]


def check_policy(name: str, where: str = "--policy") -> str:
    """``name`` if it is a known policy, else a one-line error listing the known ones."""
    if name not in POLICY_NAMES:
        raise OrbitcloudError(f"{where}: unknown policy {name!r}; known: {', '.join(POLICY_NAMES)}")
    return name


def check_serving(name: str, where: str = "--serving") -> str:
    """``name`` if it is a known serving policy (``docs/serving.md``), else a one-line error."""
    from orbitcloud.scenario.workloads import SERVING_NAMES

    if name not in SERVING_NAMES:
        raise OrbitcloudError(f"{where}: unknown serving policy {name!r}; known: {', '.join(SERVING_NAMES)}")
    return name


@dataclasses.dataclass
class Known:
    """What the operator knows about each candidate satellite (arrays over the candidates)."""

    soc: np.ndarray  # state of charge 0..1 (1 where no battery)
    temp_margin_k: np.ndarray  # t_max - T [K]
    lit: np.ndarray  # bool, sunlit (illumination >= 0.5)
    lit_ahead: np.ndarray  # bool, predicted sunlit at now + eclipse_lookahead
    avail: np.ndarray  # fraction of accelerators working
    reachable: np.ndarray  # bool, commands can reach it now
    demand_rtt_s: np.ndarray | None = None  # demand-weighted mean round trip from the sources [s]


def _order(policy: str, k: Known, soc_min: float, temp_margin_k: float) -> tuple[np.ndarray, np.ndarray]:
    """(preferred, rank): ``preferred`` marks satellites in the policy's first class; ``rank`` sorts
    within a class (lower first)."""
    n = k.soc.size
    idx = np.arange(n, dtype=np.float64)
    if policy == "first-fit":
        return np.ones(n, bool), idx
    if policy == "power-aware":
        good = k.lit & k.lit_ahead & (k.soc >= soc_min)
        return good, -k.soc + idx * 1e-12
    if policy == "follow-the-sun":
        return k.lit & k.lit_ahead, idx
    if policy == "latency-aware":
        rtt = k.demand_rtt_s if k.demand_rtt_s is not None else np.zeros(n)
        return np.isfinite(rtt), np.where(np.isfinite(rtt), rtt, np.inf) + idx * 1e-15
    if policy == "thermal-aware":
        return k.temp_margin_k >= temp_margin_k, -k.temp_margin_k + idx * 1e-12
    raise OrbitcloudError(f"unknown policy {policy!r}; known: {', '.join(POLICY_NAMES)}")


def select_active(
    policy: str, known: Known, eligible: np.ndarray, n_needed: int, incumbent: np.ndarray,
    soc_min: float = 0.5, temp_margin_k: float = 5.0,
) -> np.ndarray:
    """Boolean mask of the satellites to keep active (at most ``n_needed`` of the eligible ones).

    Order: preferred incumbents, preferred newcomers, other incumbents, other newcomers; by the
    policy's rank inside each group.
    """
    preferred, rank = _order(policy, known, soc_min, temp_margin_k)
    ok = eligible & known.reachable | (eligible & incumbent)  # incumbents stay even while out of touch
    group = np.where(preferred, 0, 2) + np.where(incumbent, 0, 1)
    if policy == "first-fit":
        group = np.zeros_like(group)  # pure index order
    order = np.lexsort((np.arange(rank.size), rank, group))
    order = order[ok[order]]
    out = np.zeros(eligible.size, bool)
    out[order[: max(0, int(n_needed))]] = True
    return out
