"""Fleet time series from ``timeseries.parquet``: sums and percentile bands over all satellites.

The report's totals never come from the drawn sample: every row of the file is read.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.report.data.run import RunDir

#: Percentiles of the state-of-charge and temperature bands [%].
BAND_PERCENTILES = (0.0, 5.0, 25.0, 50.0, 75.0, 95.0, 100.0)


def group_quantiles(values: np.ndarray, group: np.ndarray, n_groups: int, q_pct: tuple[float, ...]) -> np.ndarray:
    """Percentiles ``q_pct`` of ``values`` within each group ``0 .. n_groups-1``: shape (len(q), n_groups).

    Linear interpolation between order statistics (numpy's default ``'linear'`` method); one
    lexicographic sort for all groups, NaN values dropped, NaN for an empty group.
    """
    v = np.asarray(values, dtype=np.float64)
    g = np.asarray(group, dtype=np.int64)
    ok = np.isfinite(v)
    v, g = v[ok], g[ok]
    order = np.lexsort((v, g))
    v = v[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = np.full((len(q_pct), n_groups), np.nan)
    has = counts > 0
    for i, q in enumerate(q_pct):
        pos = starts[has] + (q / 100.0) * (counts[has] - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, starts[has] + counts[has] - 1)
        frac = pos - lo
        out[i, has] = v[lo] * (1.0 - frac) + v[hi] * frac
    return out


@dataclasses.dataclass
class Timeline:
    """Fleet time series from ``timeseries.parquet`` (all satellites), one value per recorded sample.

    Power sums are over every satellite [W]; distributions (``soc_q``, ``t_node_c_q``:
    :data:`BAND_PERCENTILES` x T) and throttling fractions are over the satellites with hardware.
    """

    t_s: np.ndarray
    power_w: dict[str, np.ndarray]
    sunlit_fraction: np.ndarray
    soc_q: np.ndarray
    t_node_c_q: np.ndarray
    t_array_c_median: np.ndarray
    t_limit_c: dict[str, float]
    delivered_ops_per_s: np.ndarray
    nameplate_ops_per_s: float
    target_ops_per_s: float
    throttled_power: np.ndarray
    throttled_thermal: np.ndarray
    utilisation_mean: np.ndarray
    n_hw: int
    rows: int


def _ops_per_j(run: RunDir) -> np.ndarray:
    """Operations per joule of compute energy, per shell (0 without hardware), from the summary."""
    out = []
    for s in run.summary["shells"]:
        b = s.get("bus")
        if not b or not b.get("compute_power_w_per_satellite") or not s["satellites"]:
            out.append(0.0)
            continue
        out.append(
            float(b["nameplate_ops_per_s"] or 0.0) / (float(b["compute_power_w_per_satellite"]) * int(s["satellites"]))
        )
    return np.asarray(out, dtype=np.float64)


def load_timeline(run: RunDir) -> Timeline | None:
    """Aggregate ``timeseries.parquet`` over all satellites (None without it or without hardware)."""
    path = run.file("timeseries.parquet")
    if path is None or not run.has_hardware.any():
        return None
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    if pf.metadata.num_rows == 0:
        return None

    def col(name: str) -> np.ndarray:
        return pf.read(columns=[name]).column(0).to_numpy()

    t_ns = col("time").astype("datetime64[ns]").astype(np.int64)
    uniq, inv = np.unique(t_ns, return_inverse=True)
    n_t = uniq.size
    sat = col("satellite")
    hw = run.has_hardware[sat]
    n_hw_t = np.bincount(inv, weights=hw, minlength=n_t)
    inv_hw = inv[hw]

    def fleet_sum(name: str) -> np.ndarray:
        return np.bincount(inv, weights=np.nan_to_num(col(name)), minlength=n_t)

    power = {
        key: fleet_sum(c)
        for key, c in (
            ("generated", "p_gen_w"),
            ("used", "p_load_w"),
            ("compute", "p_compute_w"),
            ("heater", "p_heater_w"),
            ("curtailed", "p_curtailed_w"),
        )
    }
    illum = col("illumination")
    sunlit = np.bincount(inv, weights=np.nan_to_num(illum), minlength=n_t) / np.maximum(
        np.bincount(inv, minlength=n_t), 1
    )
    del illum
    soc_q = group_quantiles(col("soc")[hw], inv_hw, n_t, BAND_PERCENTILES)
    zero_c = 273.15
    t_q = group_quantiles(col("t_k")[hw] - zero_c, inv_hw, n_t, BAND_PERCENTILES)
    t_arr = group_quantiles(col("array_temp_k")[hw] - zero_c, inv_hw, n_t, (50.0,))[0]
    ops_j = _ops_per_j(run)[run.shell_of[sat]]
    delivered = np.bincount(inv, weights=np.nan_to_num(col("p_compute_w")) * ops_j, minlength=n_t)
    thr = col("throttle")
    thr_p = np.bincount(inv_hw, weights=thr[hw] == 1, minlength=n_t) / np.maximum(n_hw_t, 1)
    thr_t = np.bincount(inv_hw, weights=thr[hw] == 2, minlength=n_t) / np.maximum(n_hw_t, 1)
    util = np.bincount(inv_hw, weights=np.nan_to_num(col("utilisation")[hw]), minlength=n_t) / np.maximum(n_hw_t, 1)
    nameplate = 0.0
    target = 0.0
    limits = {}
    for s in run.summary["shells"]:
        b = s.get("bus")
        if b:
            nameplate += float(b["nameplate_ops_per_s"] or 0.0)
            target += float(b["nameplate_ops_per_s"] or 0.0) * float(b["utilisation_target"] or 0.0)
            if b.get("temperature_limit_c") is not None:
                limits[s["name"]] = float(b["temperature_limit_c"])
    return Timeline(
        t_s=(uniq - run.start_ns) / 1e9,
        power_w=power,
        sunlit_fraction=sunlit,
        soc_q=soc_q,
        t_node_c_q=t_q,
        t_array_c_median=t_arr,
        t_limit_c=limits,
        delivered_ops_per_s=delivered,
        nameplate_ops_per_s=nameplate,
        target_ops_per_s=target,
        throttled_power=thr_p,
        throttled_thermal=thr_t,
        utilisation_mean=util,
        n_hw=int(run.has_hardware.sum()),
        rows=int(pf.metadata.num_rows),
    )


def values_at(run: RunDir, column: str, t_s: float, sats: np.ndarray) -> tuple[np.ndarray, float]:
    """``timeseries.parquet`` column at the recorded sample nearest ``t_s`` for satellites ``sats``.

    Returns (values (n,), the sample's offset [s]); NaN for satellites without a row.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = run.file("timeseries.parquet")
    times = record_times_s(run)
    if path is None or times.size == 0:
        raise OrbitcloudError(
            f"--color {column}: needs timeseries.parquet in {run.path} (run with --out DIR --record 10min)"
        )
    t_rec = float(times[np.argmin(np.abs(times - t_s))])
    stamp = pa.scalar(int(run.time_ns(t_rec)), pa.timestamp("ns", tz="UTC"))
    table = pq.read_table(path, columns=["satellite", column], filters=[("time", "=", stamp)])
    s = table.column("satellite").to_numpy()
    v = table.column(column).to_numpy().astype(np.float64)
    order = np.argsort(s, kind="stable")
    s, v = s[order], v[order]
    want = np.asarray(sats, dtype=np.int64)
    out = np.full(want.size, np.nan)
    if s.size:
        pos = np.minimum(np.searchsorted(s, want), s.size - 1)
        hit = s[pos] == want
        out[hit] = v[pos[hit]]
    return out, t_rec


def record_times_s(run: RunDir) -> np.ndarray:
    """Offsets [s] of the recorded samples in ``timeseries.parquet`` (those of its first satellite)."""
    import pyarrow.parquet as pq

    path = run.file("timeseries.parquet")
    if path is None:
        return np.zeros(0)
    pf = pq.ParquetFile(path)
    if pf.metadata.num_rows == 0:
        return np.zeros(0)
    first = pf.read_row_group(0, columns=["time", "satellite"])
    t = first.column("time").to_numpy().astype("datetime64[ns]").astype(np.int64)
    s = first.column("satellite").to_numpy()
    return (np.unique(t[s == s[0]]) - run.start_ns) / 1e9
