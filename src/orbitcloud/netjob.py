"""``orbitcloud net``: round-trip times, hop counts and paths between ground stations over time.

Per step the network of :mod:`orbitcloud.network.simulate` is built and routed
(:func:`orbitcloud.network.routing.rtt_and_paths`). Outputs (``docs/routing.md``): RTT statistics
per pair; with ``--out``: ``rtt.parquet`` (one row per step and pair), ``paths.parquet`` (a row whenever
a pair's path changes, and at the first step) and ``summary.json``; ``--csv`` also writes them as
``rtt.csv`` and ``paths.csv`` (large: Hypatia's Kuiper benchmark gives 750 MB of CSV).
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from orbitcloud.errors import OrbitcloudError


@dataclasses.dataclass
class NetOptions:
    pairs: list[str] = dataclasses.field(default_factory=list)  # "A,B"
    all_pairs: bool = False
    stations: str | None = None  # CSV overriding the scenario's stations
    start: str | None = None
    duration: str | None = None
    step: str | None = None
    propagator: str = "sgp4"
    out: Path | None = None
    csv: bool = False  # also write rtt.csv and paths.csv


def _pairs(stations, opts: NetOptions) -> tuple[np.ndarray, np.ndarray]:
    if opts.all_pairs:
        n = len(stations)
        a, b = np.triu_indices(n, 1)
        return a.astype(np.int64), b.astype(np.int64)
    if not opts.pairs:
        raise OrbitcloudError("give --pair A,B (repeatable) or --all-pairs")
    src, dst = [], []
    for text in opts.pairs:
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 2 or not all(parts):
            raise OrbitcloudError(f"--pair {text!r}: expected two station names separated by a comma, e.g. Manila,Dalian")
        i, j = stations.find(parts)
        if i == j:
            raise OrbitcloudError(f"--pair {text!r}: the two stations are the same")
        src.append(i)
        dst.append(j)
    return np.asarray(src, np.int64), np.asarray(dst, np.int64)


class PairRoutes:
    """Routes between station pairs at every step, advanced by the simulation's time loop."""

    def __init__(self, loaded, fleet, spec, stations, src: np.ndarray, dst: np.ndarray, keep_paths: bool) -> None:
        from orbitcloud.network import simulate as S
        from orbitcloud.network.simulate import FleetPositions

        self.spec, self.src, self.dst, self.keep_paths = spec, src, dst, keep_paths
        self.ns = S.setup(loaded, fleet, stations)
        self.stepper = S.NetworkStepper(self.ns, len(fleet))
        self.positions = FleetPositions(fleet, spec)
        n_pairs, n_steps = src.size, spec.n_steps
        self.rtt = np.empty((n_steps, n_pairs))
        self.hops = np.empty((n_steps, n_pairs), np.int32)
        self.changes = np.zeros(n_pairs, np.int64)
        self.isl_count = np.zeros(n_steps, np.int64)
        self.path_rows: list[tuple[int, np.ndarray, list]] = []
        self.prev = None
        self.k = 0

    def advance(self, k_to: int) -> None:
        from orbitcloud.network import routing as R
        from orbitcloud.network import simulate as S

        while self.k < k_to:
            k0 = self.k
            k1 = min(k_to, k0 + S.CHUNK_STEPS)
            t_s, x, y, z = self.positions.chunk(k0, k1)
            gsl_at = S.ground_links_by_step(self.ns, x, y, z)
            for j in range(x.shape[1]):
                net = self.stepper.build(x, y, z, j, float(t_s[j]), gsl_at)
                routes = R.rtt_and_paths(net.snapshot, self.src, self.dst)
                k = k0 + j
                self.rtt[k] = routes.rtt_s
                self.hops[k] = routes.hops
                self.isl_count[k] = net.isl_a.size
                if self.prev is None:
                    changed = np.ones(self.src.size, bool)
                else:
                    changed = R.path_changes(self.prev, routes.paths)
                    self.changes += changed
                if self.keep_paths and changed.any():
                    idx = np.nonzero(changed)[0]
                    self.path_rows.append((k, idx, [routes.paths[i] for i in idx]))
                self.prev = routes.paths
            self.k = k1


def run_net(source: str, opts: NetOptions) -> dict[str, Any]:
    """Route the station pairs over the scenario's run window; returns the summary dict.

    The routes are a part of a :class:`~orbitcloud.sim.Simulation` (the package's one time loop) with
    no satellite physics: positions, links and routes only."""
    from orbitcloud.network import simulate as S
    from orbitcloud.sim import Simulation

    sim = Simulation(source, _physics=False, start=opts.start, duration=opts.duration, step=opts.step,
                     propagator=opts.propagator, eclipses=False, bus=False, radiation=False, network=False, workloads=False)
    loaded, prep = sim.loaded, sim._prep
    stations = S.load_stations(loaded, opts.stations)
    src, dst = _pairs(stations, opts)
    routes = PairRoutes(loaded, sim.fleet, sim.spec, stations, src, dst, keep_paths=opts.out is not None)
    sim.attach(routes)
    t0 = time.perf_counter()
    sim.advance()
    wall_s = time.perf_counter() - t0
    spec, start, duration_s = sim.spec, prep.start, prep.duration_s
    rtt, hops, changes, isl_count, path_rows = routes.rtt, routes.hops, routes.changes, routes.isl_count, routes.path_rows
    n_pairs, n_steps = src.size, spec.n_steps
    names = stations.names
    pairs_out = []
    with np.errstate(invalid="ignore"):
        for p in range(n_pairs):
            r = rtt[:, p]
            ok = np.isfinite(r)
            pairs_out.append({
                "src": names[src[p]], "dst": names[dst[p]],
                "reachable_fraction": float(ok.mean()),
                "rtt_ms_min": float(r[ok].min() * 1e3) if ok.any() else None,
                "rtt_ms_mean": float(r[ok].mean() * 1e3) if ok.any() else None,
                "rtt_ms_median": float(np.median(r[ok]) * 1e3) if ok.any() else None,
                "rtt_ms_max": float(r[ok].max() * 1e3) if ok.any() else None,
                "hops_min": int(hops[ok, p].min()) if ok.any() else None,
                "hops_max": int(hops[ok, p].max()) if ok.any() else None,
                "path_changes": int(changes[p]),
            })
    iso = lambda d: d.isoformat() + "Z"  # noqa: E731
    summary = {
        "scenario": loaded.scenario.name, "start": iso(start), "duration_s": duration_s, "steps": n_steps,
        "step_s": spec.step_s, "propagator": spec.propagator, "satellites": len(prep.fleet), "stations": len(stations),
        "isl_topology": routes.ns.topology, "isl_per_step_mean": float(isl_count.mean()),
        "pairs": pairs_out, "wall_time_s": round(wall_s, 3),
    }
    if opts.out is not None:
        _write(Path(opts.out), summary, spec, start, names, src, dst, rtt, hops, path_rows, len(prep.fleet), opts.csv)
    return summary


def _write(out_dir: Path, summary, spec, start, names, src, dst, rtt, hops, path_rows, n_sat, with_csv: bool = False) -> None:
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    from orbitcloud.results.writer import _ms_timestamps, atomic_write, iso_ms, write_text_atomic

    out_dir.mkdir(parents=True, exist_ok=True)
    start_ns = int(np.datetime64(start, "ns").astype(np.int64))
    n_steps, n_pairs = rtt.shape
    t = np.repeat(np.arange(n_steps) * spec.step_s, n_pairs)
    # station names dictionary-encoded (two small columns of indices instead of millions of strings)
    src_col = pa.DictionaryArray.from_arrays(pa.array(np.tile(src, n_steps).astype(np.int32)), pa.array(list(names), pa.string()))
    dst_col = pa.DictionaryArray.from_arrays(pa.array(np.tile(dst, n_steps).astype(np.int32)), pa.array(list(names), pa.string()))
    rtt_ms = pa.array(np.where(np.isfinite(rtt), rtt * 1e3, np.nan).ravel())
    table = pa.table({"time": _ms_timestamps(start_ns, t), "src": src_col, "dst": dst_col, "rtt_ms": rtt_ms,
                      "hops": pa.array(hops.ravel())})
    atomic_write(out_dir / "rtt.parquet", lambda tmp: pq.write_table(table, tmp))
    if with_csv:
        ctable = pa.table({"time": iso_ms(start_ns, t), "src": src_col.cast(pa.string()), "dst": dst_col.cast(pa.string()),
                           "rtt_ms": rtt_ms, "hops": table["hops"]})
        atomic_write(out_dir / "rtt.csv", lambda tmp: pcsv.write_csv(ctable, tmp))

    def node_name(v: int) -> str:
        return f"sat{v}" if v < n_sat else str(names[v - n_sat])

    rows_t, rows_s, rows_d, rows_p = [], [], [], []
    for k, idx, paths in path_rows:
        for i, path in zip(idx, paths):
            rows_t.append(k * spec.step_s)
            rows_s.append(names[src[i]])
            rows_d.append(names[dst[i]])
            rows_p.append(" ".join(node_name(int(v)) for v in path))
    cols = {"src": pa.array(rows_s, type=pa.string()), "dst": pa.array(rows_d, type=pa.string()),
            "path": pa.array(rows_p, type=pa.string())}
    t_paths = np.asarray(rows_t, dtype=np.float64)
    ptable = pa.table({"time": _ms_timestamps(start_ns, t_paths), **cols})
    atomic_write(out_dir / "paths.parquet", lambda tmp: pq.write_table(ptable, tmp))
    if with_csv:
        atomic_write(out_dir / "paths.csv", lambda tmp: pcsv.write_csv(pa.table({"time": iso_ms(start_ns, t_paths), **cols}), tmp))
    write_text_atomic(out_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
