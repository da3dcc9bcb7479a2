"""Per-satellite byte ledgers of the Earth-observation model: grouped sums and FIFO matching, vectorised.

Helpers of :class:`orbitcloud.ops.eo.EOModel` on flat arrays of (satellite row, value) records:
cumulative sums within a satellite's run of records (storage in frame order), per-satellite counts
and exact int64 sums, the first record at or after a cumulative value (matching the cumulative
stored-in and downlinked curves of a satellite: ages on the ground, FIFO), and a weighted quantile.
Details: ``docs/earth_observation.md``.
"""

from __future__ import annotations

import numpy as np


def _first_at_or_after(ev_row: np.ndarray, ev_val: np.ndarray, q_row: np.ndarray, q_val: np.ndarray) -> np.ndarray:
    """For each query, the index of the first event of the same row with value >= the query's (-1: none).

    Events must be sorted by (row, value); vectorised with one lexsort of events and queries together.
    """
    n_e, n_q = ev_row.size, q_row.size
    if n_q == 0:
        return np.zeros(0, dtype=np.int64)
    rows = np.concatenate((q_row, ev_row))
    vals = np.concatenate((q_val, ev_val))
    kind = np.concatenate((np.zeros(n_q, dtype=np.int8), np.ones(n_e, dtype=np.int8)))  # queries first on ties
    order = np.lexsort((kind, vals, rows))
    is_ev = order >= n_q
    pos = np.where(is_ev, order - n_q, n_e)
    nxt = np.minimum.accumulate(pos[::-1])[::-1]
    res = np.empty(n_q, dtype=np.int64)
    res[order[~is_ev]] = nxt[~is_ev]
    ok = res < n_e
    ok[ok] = ev_row[res[ok]] == q_row[ok]
    res[~ok] = -1
    return res


def _group_cumsum(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` within runs of equal ``rows`` (rows sorted)."""
    c = np.cumsum(values)
    if rows.size == 0:
        return c
    start = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    base = np.repeat(c[start] - values[start], np.diff(np.r_[start, rows.size]))
    return c - base


def _count(rows: np.ndarray, flag: np.ndarray, m: int) -> np.ndarray:
    """Per-satellite count of True ``flag`` (int64, (m,))."""
    return np.bincount(rows[flag], minlength=m).astype(np.int64)


def _sum(rows: np.ndarray, values: np.ndarray, m: int) -> np.ndarray:
    """Per-satellite sum of int64 ``values`` (exact)."""
    out = np.zeros(m, dtype=np.int64)
    np.add.at(out, rows, values)
    return out


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(w[order])
    i = int(np.searchsorted(cw, q * cw[-1], side="left"))
    return float(x[order][min(i, x.size - 1)])
