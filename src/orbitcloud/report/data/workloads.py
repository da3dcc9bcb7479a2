"""Workload files of a run: ``requests.parquet``, ``workload_timeline.parquet`` (schema in
``docs/report.md``), their column groups, and the empirical CDF of latencies."""

from __future__ import annotations

import numpy as np

from orbitcloud.report.data.run import RunDir

REQUEST_STATUSES = ("served", "pending", "unreachable")
LATENCY_COLUMNS = ("e2e_s", "ttft_s", "tpot_s", "network_s", "queue_s")
#: Per-step Earth-observation volumes of workload_timeline.parquet, drawn as running sums.
EO_FLOWS = ("eo_captured_b", "eo_kept_b", "eo_discarded_b", "eo_downlinked_b", "eo_lost_b")


def load_requests(run: RunDir):
    """``requests.parquet`` as a pyarrow table, or None."""
    path = run.file("requests.parquet")
    if path is None:
        return None
    import pyarrow.parquet as pq

    return pq.read_table(path)


def load_workload_timeline(run: RunDir):
    """``workload_timeline.parquet`` as a pyarrow table, or None."""
    path = run.file("workload_timeline.parquet")
    if path is None:
        return None
    import pyarrow.parquet as pq

    return pq.read_table(path)


def ecdf_points(values: np.ndarray, max_points: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Empirical CDF of the finite ``values``: (x sorted, F(x)) thinned to at most ``max_points``
    order statistics (evenly spaced in rank, first and last kept), exact at every point kept."""
    v = np.sort(np.asarray(values, dtype=np.float64)[np.isfinite(values)])
    n = v.size
    if n == 0:
        return v, v
    if n <= max_points:
        idx = np.arange(n)
    else:
        idx = np.unique(np.round(np.linspace(0, n - 1, max_points)).astype(np.int64))
    return v[idx], (idx + 1) / n


def column(table, name: str) -> np.ndarray | None:
    """Column ``name`` of a pyarrow table as numpy, or None (no table or no such column)."""
    if table is None or name not in table.column_names:
        return None
    return table.column(name).to_numpy(zero_copy_only=False)
