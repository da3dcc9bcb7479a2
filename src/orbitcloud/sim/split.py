"""A workload run split over workers: separable physics in satellite blocks, the coupled layer in one place.

A run with workloads couples the fleet every step (routing over the ISL graph, dispatch of requests,
training jobs), so the controller and the bus it commands advance together in one process, one step
at a time. Everything that does not depend on the work does not need that: propagation, sunlight and
eclipses, radiation dose and accelerator faults, and the bus's state-independent inputs (array output,
absorbed environmental heat) are per satellite. :class:`SplitRunner` keeps that physics in satellite
blocks (:class:`~orbitcloud.sim.engine.BlockRunner` with ``export=True``) held by worker processes
(``executor="local"``, the default) or Ray actors (``executor="ray"``), and is itself the coordinator:
per time chunk the workers run their blocks and hand back the chunk's positions, illumination, bus
inputs, availability and fault events; the coordinator joins them in satellite order and runs the
coupled steps (:func:`orbitcloud.sim.engine.workload_steps`) with the whole fleet's bus. While the
coordinator steps chunk *c*, the workers already compute chunk *c + 1* (the physics does not depend
on what the coordinator decides), so on two cores the physics is off the critical path.

Results are bit-identical to the one-process run for any worker count and either executor: the chunk
boundaries are the coordinator's (those of the one-block run), every exported value is pointwise per
satellite, the fault events are put in canonical order (:func:`orbitcloud.ops.faults.concat_events`),
and the reductions kept in the blocks (sunlit time, eclipses, beta angle, dose) are per satellite
(``tests/sim/test_split.py``).
"""

from __future__ import annotations

import copy
import multiprocessing
import types

import numpy as np

from orbitcloud.bus.step import Geometry
from orbitcloud.errors import OrbitcloudError
from orbitcloud.sim.engine import BlockRunner, RunSpec, bus_result, chunk_frames, workload_steps

__all__ = ["SplitRunner", "EXECUTORS"]

#: How the blocks are held: worker processes (spawned) or Ray actors.
EXECUTORS = ("local", "ray")

_TIME_MAJOR = ("p_gen_t", "q_env_t", "t_arr_t", "avail_t")  # (T, n): joined along axis 1
_SAT_MAJOR = ("x", "y", "z", "illumination")  # (n, T): joined along axis 0
_FAULT_FIELDS = ("n_devices", "n_down", "dose_rad", "devices_lost", "spares_left")


class Blocks:
    """The satellite blocks one worker holds (contiguous, in satellite order)."""

    def __init__(self, runners: list[BlockRunner], from_store: bool = False) -> None:
        # from_store: the arrays came zero-copy from Ray's object store, read-only
        self.runners = copy.deepcopy(runners) if from_store else runners

    def chunk(self, k0: int, k1: int) -> dict:
        """Run the steps ``[k0, k1)`` of every block; the joined export of the chunk."""
        parts = []
        for r in self.runners:
            with np.errstate(invalid="ignore"):
                r._chunk(k0, k1)
            r.k = k1
            parts.append(r.exported)
            r.exported = None
        out = join_exports(parts)
        out["last"] = {key: np.concatenate([r.last[key] for r in self.runners]) for key in ("x_m", "y_m", "z_m", "illumination")}
        return out

    def results(self) -> list:
        return [r.result() for r in self.runners]

    def dijkstra(self, graph, sources: np.ndarray, cols: np.ndarray) -> np.ndarray:
        from scipy.sparse import csgraph

        return csgraph.dijkstra(graph, directed=True, indices=sources)[:, cols]

    def faults(self) -> dict | None:
        if not self.runners or self.runners[0].rad is None:
            return None
        return {f: np.concatenate([np.asarray(getattr(r.fault_state, f)) for r in self.runners]) for f in _FAULT_FIELDS}


def join_exports(parts: list[dict]) -> dict:
    """Chunk exports of consecutive satellite blocks joined in satellite order."""
    from orbitcloud.ops.faults import concat_events

    first = parts[0]
    out = {"k0": first["k0"], "k1": first["k1"]}
    for key in _SAT_MAJOR:
        out[key] = np.concatenate([p[key] for p in parts], axis=0)
    for key in _TIME_MAJOR:
        out[key] = None if first[key] is None else np.concatenate([p[key] for p in parts], axis=1)
    out["events"] = None if first["events"] is None else concat_events([p["events"] for p in parts])
    return out


# --------------------------------------------------------------------------- process workers

def _serve(conn) -> None:  # pragma: no cover - runs in the worker process (covered through SplitRunner)
    """The worker's loop. A thread reads the requests as they come, so the coordinator's sends never
    wait on this process's own (possibly large, not yet read) answer: no pipe deadlock."""
    import queue
    import threading

    inbox: queue.Queue = queue.Queue()

    def read() -> None:
        while True:
            try:
                inbox.put(conn.recv())
            except (EOFError, OSError):
                inbox.put(("stop", ()))
                return

    threading.Thread(target=read, daemon=True).start()
    blocks = None
    while True:
        op, args = inbox.get()
        if op == "stop":
            return
        try:
            if op == "init":
                blocks = Blocks(args)
                conn.send(("ok", None))
            else:
                conn.send(("ok", getattr(blocks, op)(*args)))
        except BaseException as exc:  # noqa: BLE001 - reported to the coordinator
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class _ProcessWorker:
    """One spawned worker process; requests are answered in order, each :meth:`submit` returns a
    ticket that :meth:`get` redeems (answers read before theirs is wanted are kept)."""

    def __init__(self, ctx, runners: list[BlockRunner]) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self._sent = self._read = 0
        self._kept: dict[int, tuple] = {}
        self.conn.send(("init", runners))
        self._sent += 1
        self.get(0)

    def submit(self, op: str, *args) -> int:
        self.conn.send((op, args))
        self._sent += 1
        return self._sent - 1

    def get(self, ticket: int):
        while ticket not in self._kept:
            try:
                self._kept[self._read] = self.conn.recv()
            except EOFError:
                raise OrbitcloudError(f"run worker process {self.proc.pid} died (exit code {self.proc.exitcode})") from None
            self._read += 1
        status, value = self._kept.pop(ticket)
        if status == "error":
            raise OrbitcloudError(f"run worker process: {value}")
        return value

    def drain(self) -> None:
        while self._read < self._sent:
            try:
                self.get(self._read)
            except OrbitcloudError:
                pass

    def close(self) -> None:
        try:
            self.drain()
            self.conn.send(("stop", ()))
        except (BrokenPipeError, OSError, OrbitcloudError):
            pass
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.terminate()
        self.conn.close()


class _RayWorker:
    def __init__(self, actor_cls, runners: list[BlockRunner]) -> None:
        self.actor = actor_cls.remote(runners, True)

    def submit(self, op: str, *args):
        return getattr(self.actor, op).remote(*args)

    def get(self, ref):
        import ray

        try:
            return ray.get(ref)
        except Exception as exc:  # noqa: BLE001
            raise OrbitcloudError(f"run worker (Ray actor): {exc}") from None

    def drain(self) -> None:
        pass

    def close(self) -> None:
        import ray

        ray.kill(self.actor)


def ray_ready(workers: int, address: str | None) -> bool:
    """Ray started here (``workers`` CPUs) or joined at ``address``; a clear error when it cannot be.
    True when this call started it (the caller may shut it down), False when it was running."""
    try:
        import ray
    except ImportError:
        raise OrbitcloudError("--executor ray: Ray is not installed (pip install 'orbitcloud[ray]')") from None
    if ray.is_initialized():
        return False
    kw = {"address": address} if address else {"num_cpus": workers}
    try:
        ray.init(include_dashboard=False, log_to_driver=False, ignore_reinit_error=True, **kw)
    except Exception as exc:  # noqa: BLE001
        raise OrbitcloudError(f"--executor ray: cannot start or reach Ray{' at ' + address if address else ''} ({exc})") from None
    return True


# --------------------------------------------------------------------------- the coordinator

class SplitRunner:
    """The whole fleet's coupled layer (bus state, workload controller) over physics blocks in workers.

    Looks like the one block of a workload run to its users (:class:`~orbitcloud.sim.driver.FleetRunner`,
    the live twin's actions, snapshots, TT&C): :attr:`bus_state`, :attr:`bus_tot`, :attr:`last`,
    :attr:`cap` / :attr:`bus_w` / :attr:`down_until_s`, :attr:`fault_state`, :attr:`fault_events`,
    :meth:`advance`; :meth:`fleet_result` gives the run's :class:`~orbitcloud.sim.driver.FleetResult`.
    """

    def __init__(self, fleet, spec: RunSpec, blocks: list[tuple[int, int]], workers: int, bus, rad, ctl,
                 executor: str = "local", address: str | None = None) -> None:
        from orbitcloud.sim.driver import _rad_slice

        if executor not in EXECUTORS:
            raise OrbitcloudError(f"--executor: expected one of {', '.join(EXECUTORS)}, got {executor!r}")
        n = len(fleet)
        self.sl = fleet.slice(0, n)
        self.spec, self.n, self.ctl, self.rad = spec, n, ctl, rad
        self.k = 0
        self.cap = self.bus_w = self.down_until_s = None
        self.position_sink = None
        self.last: dict = {}
        self.fault_events: list[dict] = []
        # the coupled bus: the same state a one-block workload run keeps (ageing included)
        one = BlockRunner(self.sl, spec, bus=bus, ctl=ctl)
        self.bus, self.bus_state, self.bus_tot, self.records, self.ageing = one.bus, one.bus_state, one.bus_tot, one.records, one.ageing
        runners = [BlockRunner(fleet.slice(a, z), spec, bus=bus.slice(a, z), rad=_rad_slice(rad, a, z), export=True)
                   for a, z in blocks]
        workers = max(1, min(workers, len(runners)))
        groups = np.array_split(np.arange(len(runners)), workers)
        self._pending = None
        if executor == "ray":
            ray_ready(workers, address)
            import ray

            actor_cls = ray.remote(num_cpus=1)(Blocks)
            self.workers = [_RayWorker(actor_cls, [runners[i] for i in g]) for g in groups]
        else:
            ctx = multiprocessing.get_context("spawn")
            self.workers = []
            try:
                for g in groups:
                    self.workers.append(_ProcessWorker(ctx, [runners[i] for i in g]))
            except BaseException:
                self.close()
                raise
        ctl.sources_dijkstra = self.sources_dijkstra

    # ------------------------------------------------------------------ stepping

    def _bounds(self, k0: int, k_to: int) -> int:
        k1 = min(k_to, k0 + self.spec.chunk_steps(self.n))
        if self.ageing is not None:  # capacity fade is applied at fixed step indices
            k1 = min(k1, self.ageing.next_boundary(k0))
        return k1

    def _submit(self, k0: int, k1: int) -> None:
        self._pending = [w.submit("chunk", k0, k1) for w in self.workers]

    def _collect(self) -> dict:
        parts = [w.get(t) for w, t in zip(self.workers, self._pending)]
        self._pending = None
        out = join_exports(parts)
        out["last"] = {key: np.concatenate([p["last"][key] for p in parts]) for key in parts[0]["last"]}
        return out

    def advance(self, k_to: int, on_chunk=None) -> None:
        """Run steps ``[self.k, k_to)``; the workers compute the next chunk while this one is stepped."""
        k_to = min(int(k_to), self.spec.n_steps)
        if self.k >= k_to:
            return
        k0 = self.k
        k1 = self._bounds(k0, k_to)
        self._submit(k0, k1)
        while k0 < k_to:
            ex = self._collect()
            nxt = self._bounds(k1, k_to) if k1 < k_to else None
            if nxt is not None:
                self._submit(k1, nxt)
            self._coupled(ex)
            self.k = k1
            if on_chunk is not None:
                on_chunk((k1 - k0) * self.n)
            k0, k1 = k1, (nxt if nxt is not None else k1)

    def _coupled(self, ex: dict) -> None:
        spec = self.spec
        k0, k1 = ex["k0"], ex["k1"]
        t_s = np.arange(k0, k1, dtype=np.float64) * spec.step_s
        sun_ecef = chunk_frames(spec, t_s)[-1]
        x, y, z, illum = ex["x"], ex["y"], ex["z"], ex["illumination"]
        self.last = dict(ex["last"], t_s=float(t_s[-1]))
        if ex["events"] is not None:
            self.fault_events.append(ex["events"])
        n_t = k1 - k0
        # the coupled steps read the geometry's illumination only (the bus inputs come precomputed)
        geo = Geometry(illumination=illum, irradiance_w_m2=np.zeros(n_t), cos_zenith=illum, cos_incidence=None, t_s=t_s)
        cap_t = BlockRunner._operator_cap_t(self, t_s)
        workload_steps(self, k0, t_s, x, y, z, sun_ecef, geo, (ex["p_gen_t"], ex["q_env_t"], ex["t_arr_t"]),
                       ex["avail_t"], cap_t, ex["events"])
        if self.position_sink is not None:
            self.position_sink(k0, t_s, x, y, z)

    # ------------------------------------------------------------------ views and results

    @property
    def fault_state(self):
        """The fleet's fault counters now (fetched from the workers), as attributes like a FaultState's."""
        if self.rad is None:
            return None
        parts = self._call_all("faults")
        return types.SimpleNamespace(**{f: np.concatenate([p[f] for p in parts]) for f in _FAULT_FIELDS})

    def _call_all(self, op: str, *args) -> list:
        tickets = [w.submit(op, *args) for w in self.workers]
        return [w.get(t) for w, t in zip(self.workers, tickets)]

    def sources_dijkstra(self, graph, sources: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """``csgraph.dijkstra(graph, indices=sources)[:, cols]`` with the sources shared out over the
        workers (each source's search is independent, so the rows are the same bits)."""
        groups = [g for g in np.array_split(np.asarray(sources), len(self.workers)) if g.size]
        tickets = [(w, w.submit("dijkstra", graph, g, cols)) for w, g in zip(self.workers, groups)]
        return np.concatenate([w.get(t) for w, t in tickets], axis=0)

    def fleet_result(self):
        """Per-satellite reductions of the steps run so far (a FleetResult, in satellite order)."""
        from orbitcloud.sim.driver import _gather

        results = [res for part in self._call_all("results") for res in part]
        out = _gather(results)
        bus_result(self, out)
        return out

    def close(self) -> None:
        for w in getattr(self, "workers", []):
            w.close()
        self.workers = []
        self._pending = None

