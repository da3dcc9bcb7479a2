"""Running a sweep: executors, retries, resume, ``cases.parquet`` and ``analysis.json``.

:func:`run_sweep` plans every run (:mod:`orbitcloud.sweep.cases`; nothing runs when the spec is bad),
skips the runs ``cases.parquet`` already holds as done with the same content hash (``resume``), and
runs the rest on a local process pool (``executor="local"``, ``workers`` processes, each run with one
worker) or on Ray (``executor="ray"``: a local instance, or the cluster at ``address``). A run that
raises is retried ``spec.retries`` times, then recorded as failed with its error while the sweep goes
on. ``cases.parquet`` is rewritten atomically as runs finish (at most once a second, and at the end),
so an interrupted sweep (Ctrl-C, a crash) keeps every finished run and ``resume`` completes it.

The rows are sorted by (case, replicate) and every value but ``wall_s`` depends only on the spec, so
the same spec gives the same table with either executor and any worker count.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from orbitcloud.errors import OrbitcloudError

__all__ = ["run_sweep", "run_case", "EXECUTORS"]

EXECUTORS = ("local", "ray")
CASES_FILE = "cases.parquet"
ANALYSIS_FILE = "analysis.json"


def _summary_value(summary: dict, path: str) -> float:
    node: Any = summary
    for part in path.split("."):
        if isinstance(node, list):
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            node = None
        if node is None:
            return float("nan")
    if isinstance(node, bool):
        return float(node)
    return float(node) if isinstance(node, (int, float)) else float("nan")


def run_case(text: str, label: str, base_dir: str | None, options: dict, outputs: list[str], run_dir: str | None) -> dict:
    """One run (in a worker): the collected outputs, or the error. Never raises."""
    t0 = time.perf_counter()
    try:
        from orbitcloud.scenario.load import parse_scenario
        from orbitcloud.sim.simulation import Simulation

        loaded = parse_scenario(text, label=label, base_dir=None if base_dir is None else Path(base_dir))
        sim = Simulation(loaded, workers=1, out=None if run_dir is None else Path(run_dir), **options)
        sim.advance()
        summary = sim.finish().summary
        return {"ok": True, "outputs": [_summary_value(summary, o) for o in outputs], "error": "",
                "wall_s": time.perf_counter() - t0}
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, the sweep goes on
        return {"ok": False, "outputs": [float("nan")] * len(outputs), "error": f"{type(exc).__name__}: {exc}",
                "wall_s": time.perf_counter() - t0}


def _check_outputs(outputs: list[str], label: str) -> None:
    import re

    from orbitcloud.results.keys import explain, explanations, lookup

    table = explanations()

    def known(canon: str) -> bool:
        cands = [canon] + ([canon[len("shells[]."):]] if canon.startswith("shells[].") else [])
        if any(c in table for c in cands):
            return True
        if explain(canon) is None:
            return False
        # explained by its parent: only an entry of a mapping (per station, per kind) whose entries are not listed
        parents = [c.rsplit(".", 1)[0] for c in cands if "." in c]
        return not any(k.startswith(p + ".") for p in parents for k in table)

    for o in outputs:
        canon = re.sub(r"\.\d+(?=\.|$)", "[]", o)
        if not known(canon):
            try:
                hint = ", ".join(k for k, _, _ in lookup(o.rsplit(".", 1)[-1])[:4])
            except OrbitcloudError:
                hint = ""
            raise OrbitcloudError(f"{label}: outputs: {o!r} is not a summary key (orbitcloud explain --all)"
                                  + (f"; did you mean {hint}?" if hint else ""))


class _Table:
    """The rows of cases.parquet, written atomically."""

    def __init__(self, path: Path, names: list[str], outputs: list[str]) -> None:
        self.path, self.names, self.outputs = path, names, outputs
        self.rows: dict[tuple[int, int], dict] = {}
        self._last = 0.0

    def load_done(self, keys: set[str]) -> int:
        """Keep the done rows of an existing table whose key is still planned; returns how many."""
        import pyarrow.parquet as pq

        if not self.path.exists():
            return 0
        try:
            t = pq.read_table(self.path).to_pylist()
        except Exception as exc:  # noqa: BLE001 - a torn or foreign file
            raise OrbitcloudError(f"--resume: cannot read {self.path} ({exc}); move it away to start afresh") from None
        for r in t:
            if r.get("status") == "done" and r.get("key") in keys:
                self.rows[(int(r["case"]), int(r["replicate"]))] = r
        return len(self.rows)

    def add(self, case, result: dict, attempts: int) -> None:
        row = {"case": case.index, "replicate": case.replicate, "seed": case.seed, "key": case.key}
        for n in self.names:
            row[f"in.{n}"] = case.values[n]
        for o, v in zip(self.outputs, result["outputs"]):
            row[f"out.{o}"] = v
        row.update(status="done" if result["ok"] else "failed", error=result["error"], attempts=attempts,
                   wall_s=float(result["wall_s"]))
        self.rows[(case.index, case.replicate)] = row

    def write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 1.0:
            return
        self._last = now
        import pyarrow as pa
        import pyarrow.parquet as pq

        from orbitcloud.results.writer import atomic_write

        rows = [self.rows[k] for k in sorted(self.rows)]
        cols: dict[str, Any] = {}
        for c in ("case", "replicate", "seed"):
            cols[c] = pa.array([r[c] for r in rows], pa.int64())
        cols["key"] = pa.array([r["key"] for r in rows], pa.string())
        for n in self.names:
            vals = [r[f"in.{n}"] for r in rows]
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)
            cols[f"in.{n}"] = pa.array([float(v) for v in vals], pa.float64()) if numeric else pa.array([str(v) for v in vals], pa.string())
        for o in self.outputs:
            cols[f"out.{o}"] = pa.array([float(r[f"out.{o}"]) for r in rows], pa.float64())
        cols["status"] = pa.array([r["status"] for r in rows], pa.string())
        cols["error"] = pa.array([r["error"] for r in rows], pa.string())
        cols["attempts"] = pa.array([r["attempts"] for r in rows], pa.int64())
        cols["wall_s"] = pa.array([r["wall_s"] for r in rows], pa.float64())
        table = pa.table(cols)
        atomic_write(self.path, lambda tmp: pq.write_table(table, tmp))


def _local(jobs, workers: int, submit_done: Callable) -> None:
    import concurrent.futures as cf
    import multiprocessing as mp

    # fork where there is one: the workers inherit the imported package (no re-import of the caller's
    # __main__, no start-up per worker); the pool is created before any thread of ours (progress bar)
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    try:
        pending = {pool.submit(run_case, *args): tag for tag, args in jobs()}
        while pending:
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for f in done:
                tag = pending.pop(f)
                try:
                    result = f.result()
                except cf.process.BrokenProcessPool as exc:
                    raise OrbitcloudError(f"sweep: a worker process died ({exc}); the finished runs are kept: "
                                          "run again with --resume") from None
                again = submit_done(tag, result)
                if again is not None:
                    pending[pool.submit(run_case, *again[1])] = again[0]
    except BaseException:
        # interrupted (Ctrl-C) or failed: stop the workers now, their runs would be lost anyway
        procs = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)
        raise
    pool.shutdown(wait=True)


def _ray(jobs, workers: int, address: str | None, submit_done: Callable) -> None:
    from orbitcloud.sim.split import ray_ready

    started = ray_ready(workers, address)
    import ray

    remote = ray.remote(num_cpus=1, max_retries=0)(run_case)
    try:
        pending = {remote.remote(*args): tag for tag, args in jobs()}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                tag = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - a worker that died
                    result = {"ok": False, "outputs": None, "error": f"ray: {exc}", "wall_s": 0.0}
                again = submit_done(tag, result)
                if again is not None:
                    pending[remote.remote(*again[1])] = again[0]
    finally:
        if started:
            ray.shutdown()


def run_sweep(spec_source: str | Path | dict, out: str | Path, *, workers: int | None = None, executor: str = "local",
              address: str | None = None, resume: bool = False, keep_runs: bool = False, report: bool = True,
              progress: Callable[[int, int], None] | None = None) -> dict:
    """Run the sweep of ``spec_source`` into ``out`` (see the module docstring); returns the counts and
    the analysis. ``progress(done, total)`` is called as runs finish."""
    from orbitcloud.sweep.cases import plan_cases
    from orbitcloud.sweep.spec import parse_spec

    if executor not in EXECUTORS:
        raise OrbitcloudError(f"--executor: {executor!r} is not one of {', '.join(EXECUTORS)}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise OrbitcloudError(f"--workers: must be a whole number of at least 1, got {workers!r}")
    if address is not None and executor != "ray":
        raise OrbitcloudError("--address: only with --executor ray")
    label = "<sweep spec>" if isinstance(spec_source, dict) else str(spec_source)
    spec, spec_dir = parse_spec(spec_source, label)
    _check_outputs(spec.outputs, label)
    plan = plan_cases(spec, spec_dir, label)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OrbitcloudError(f"--out {out}: exists and is not a directory")
    table = _Table(out / CASES_FILE, plan.names, spec.outputs)
    if table.path.exists() and not resume:
        raise OrbitcloudError(f"--out {out}: holds a sweep already ({CASES_FILE}); --resume completes it, or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    from orbitcloud.results.writer import write_text_atomic

    import yaml

    write_text_atomic(out / "spec.yaml", yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False))
    skipped = table.load_done({c.key for c in plan.cases}) if resume else 0
    todo = [c for c in plan.cases if (c.index, c.replicate) not in table.rows]
    n_workers = workers or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    base_dir = None if plan.base_dir is None else str(plan.base_dir)
    attempts: dict[int, int] = {}
    total = len(plan.cases)
    done_count = [len(table.rows)]

    def args_of(i: int):
        c = todo[i]
        run_dir = str(out / "runs" / f"case{c.index:05d}-r{c.replicate:03d}") if keep_runs else None
        return (c.text, f"{plan.base_label} (sweep case {c.index}, replicate {c.replicate})", base_dir, plan.options,
                spec.outputs, run_dir)

    def jobs():
        for i in range(len(todo)):
            attempts[i] = 1
            yield i, args_of(i)

    def submit_done(i: int, result: dict):
        if result.get("outputs") is None:
            result["outputs"] = [float("nan")] * len(spec.outputs)
        if not result["ok"] and attempts[i] <= spec.retries:
            attempts[i] += 1
            return i, args_of(i)
        table.add(todo[i], result, attempts[i])
        done_count[0] += 1
        table.write()
        if progress is not None:
            progress(done_count[0], total)
        return None

    t0 = time.perf_counter()
    try:
        if todo:
            if executor == "local":
                _local(jobs, min(n_workers, len(todo)), submit_done)
            else:
                _ray(jobs, n_workers, address, submit_done)
    finally:
        table.write(force=True)
    analysis = analyse(plan, table, out)
    if report:
        from orbitcloud.sweep.report import build_sweep_report

        build_sweep_report(out)
    failed = sum(1 for r in table.rows.values() if r["status"] == "failed")
    return {"runs": total, "done": total - failed, "failed": failed, "skipped": skipped,
            "wall_s": round(time.perf_counter() - t0, 3), "out": str(out), "analysis": analysis}


def analyse(plan, table: _Table, out: Path) -> dict:
    """Monte Carlo summaries, Sobol / Morris indices and the Pareto front of the finished runs, written
    to ``analysis.json``."""
    from orbitcloud.results.writer import write_text_atomic
    from orbitcloud.sweep import analysis as an

    spec = plan.spec
    rows = [table.rows[k] for k in sorted(table.rows)]
    ok = [r for r in rows if r["status"] == "done"]
    res: dict[str, Any] = {"parameters": plan.names, "outputs": spec.outputs, "design": plan.method,
                           "spec": spec.model_dump(mode="json"), "done": len(ok), "failed": len(rows) - len(ok),
                           "notes": []}
    res["summary"] = {o: an.mc_summary(np.array([r[f"out.{o}"] for r in ok], dtype=np.float64)) for o in spec.outputs}
    if spec.replicates > 1:
        by_case: dict[str, list] = {o: [] for o in spec.outputs}
        for i in sorted({r["case"] for r in ok}):
            reps = [r for r in ok if r["case"] == i]
            for o in spec.outputs:
                by_case[o].append({"case": i, **an.mc_summary(np.array([r[f"out.{o}"] for r in reps], dtype=np.float64))})
        res["by_case"] = by_case
    if plan.method in ("sobol", "morris") and plan.x is not None:
        n_pts = plan.x.shape[0]
        key = "sobol" if plan.method == "sobol" else "morris"
        res[key] = {}
        for o in spec.outputs:
            sums: dict[int, list[float]] = {}
            for r in ok:
                sums.setdefault(r["case"], []).append(r[f"out.{o}"])
            y = np.array([np.mean(sums[i]) if i in sums else np.nan for i in range(n_pts)], dtype=np.float64)
            try:
                if key == "sobol":
                    res[key][o] = an.sobol_indices(plan.problem, y, spec.seed)
                else:
                    res[key][o] = an.morris_indices(plan.problem, plan.x, y, spec.seed, levels=spec.design.levels)
            except OrbitcloudError as exc:
                res["notes"].append(f"{key} indices of {o}: {exc}")
    if spec.pareto is not None:
        p = spec.pareto
        a = np.array([r[f"out.{p.x}"] if r["status"] == "done" else np.nan for r in rows], dtype=np.float64)
        b = np.array([r[f"out.{p.y}"] if r["status"] == "done" else np.nan for r in rows], dtype=np.float64)
        res["pareto"] = {"x": p.x, "y": p.y, "maximise": list(p.maximise),
                         "rows": [int(i) for i in an.pareto_front(a, b, tuple(p.maximise))]}
    write_text_atomic(out / ANALYSIS_FILE, json.dumps(_jsonable(res), indent=1, allow_nan=False))
    return res


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if np.isfinite(v) else None
    if isinstance(x, np.integer):
        return int(x)
    return x
