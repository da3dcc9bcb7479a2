"""The workload layer of a run: inference, training and Earth observation over the physics steps.

The time loop (:mod:`orbitcloud.sim.engine`) advances the whole fleet one step at a time when a
scenario has ``workloads:`` and calls, per step k covering ``[t_k, t_k + step)``:

1. :meth:`WorkloadController.demand` at ``t_k`` with the fleet's Earth-fixed positions: the network is
   rebuilt (ISLs, ground and user links, routes from the request sources, reach of the gateways),
   telemetry is updated, the active set is re-planned every ``policies.replan`` and the compute
   demand of every satellite for the step is returned (1 for busy replicas and training members,
   ``idle_demand`` for idle active replicas, the Earth-observation filter's share);
2. the bus advances with that demand (power, battery, heat; throttling) and faults are drawn;
3. :meth:`WorkloadController.observe` with what the bus delivered: each satellite's *speed* (the
   fraction of its nameplate compute a job could use during the step: the design's utilisation
   target x available devices x the operator's limit x the throttle ratio) drives the request events up to ``t_k + step``, the training job and the imaging
   pipeline.

Energy follows work with a lag of one step (the demand of step k is set from the state at ``t_k``).
Decisions use what the operator could know: satellite state reaches the ground ``telemetry_delay``
late and only from satellites with an ISL path to a gateway (or a contact); new work (activation of a
replica, a training member) needs such a path. A satellite's own decisions (moving its requests away
when it stops) use its own state. Details and sources: ``docs/workloads.md``, ``docs/policies.md``.
"""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.errors import ScenarioError
from orbitcloud.ops.work import ControllerActions

__all__ = ["WorkloadController", "MAX_WORKLOAD_SATELLITES"]

#: Workload runs advance the whole fleet in one block, one step at a time.
MAX_WORKLOAD_SATELLITES = 50_000


def _concat_stations(a, b):
    from orbitcloud.network.ground import Stations

    if b is None or len(b) == 0:
        return a
    names = list(a.names) + [f"user:{nm}" for nm in b.names]
    return Stations.from_geodetic(
        np.arange(len(names)), names, np.concatenate([a.lat_rad, b.lat_rad]), np.concatenate([a.lon_rad, b.lon_rad]),
        np.concatenate([a.alt_m, b.alt_m]), source=f"{a.source} + {b.source}",
    )


class WorkloadController(ControllerActions):
    """Runs a scenario's ``workloads:`` under one placement policy (see the module docstring); work can
    be added, cancelled and re-placed while it runs (:mod:`orbitcloud.ops.work`).

    Args:
        loaded: the loaded scenario; fleet, spec: the run's fleet and :class:`~orbitcloud.sim.RunSpec`;
        bus: the fleet's :class:`~orbitcloud.bus.step.BusParams`; designs: the shells' designs;
        policy: placement policy (None: the scenario's ``policies.placement``).
    """

    def __init__(self, loaded, fleet, spec, bus, designs, policy: str | None = None) -> None:
        from orbitcloud.network.simulate import NetworkStepper, load_stations, setup
        from orbitcloud.ops.policies import check_policy
        from orbitcloud.scenario.workloads import Policies

        sc = loaded.scenario
        wl = sc.workloads
        self.label = loaded.label
        self._loaded = loaded
        pol = sc.policies or Policies()
        if policy is not None:
            pol = pol.model_copy(update={"placement": check_policy(policy)})
        self.pol = pol
        self.policy = pol.placement
        n = len(fleet)
        if n > MAX_WORKLOAD_SATELLITES:
            raise ScenarioError(
                f"{loaded.label}: workloads: the fleet has {n:,} satellites; workload runs support at most "
                f"{MAX_WORKLOAD_SATELLITES:,} (they advance the whole fleet together)"
            )
        if bus is None:
            raise ScenarioError(f"{loaded.label}: workloads: need satellites with hardware (and the bus: do not pass --no-bus)")
        if sc.ground is None:
            raise ScenarioError(
                f"{loaded.label}: workloads: need a ground: section (gateways carry commands, telemetry and downlink)"
            )
        self.n = n
        self.fleet = fleet
        self.spec = spec
        self.dt = spec.step_s
        self.seed = sc.seed
        self.shell_names = [info.name for info in fleet.shells]
        p = bus.p
        self.full_w = p["n_acc"] * p["p_acc_w"] * p["utilisation"]
        # a job at full speed runs at the design's utilisation target of the accelerators' nameplate
        # (the bus's compute power target is that share of their power)
        self.util = np.asarray(p["utilisation"], dtype=np.float64)
        self.cap_j = p["capacity_j"]
        self.t_max_k = p["t_max_k"]
        self.designs = designs
        self.route_every = max(1, int(round(pol.route_every / self.dt))) if pol.route_every > 0 else 1
        self.replan_every = max(1, int(round(pol.replan / self.dt))) if pol.replan > 0 else 1
        self.delay_steps = int(math.ceil(pol.telemetry_delay / self.dt - 1e-9))
        gw = load_stations(loaded)
        self.n_gw = len(gw)
        users = self._sources(loaded) if wl.inference is not None else None
        self.n_src = 0 if users is None else len(users)
        stations = _concat_stations(gw, users)
        self.ns = setup(loaded, fleet, stations)
        self.stepper = NetworkStepper(self.ns, n)
        # telemetry: a ring of past truth, and what the ground knows
        soc0 = np.where(self.cap_j > 0, p["soc_initial"], 1.0)
        margin0 = p["t_max_k"] - p["t_initial_k"]
        self.ring = {k: np.repeat(v[None, :], self.delay_steps + 1, axis=0) for k, v in (
            ("soc", soc0), ("margin", margin0), ("lit", np.ones(n, bool)), ("avail", np.ones(n)))}
        self.known = {"soc": soc0.copy(), "margin": margin0.copy(), "lit": np.ones(n, bool), "avail": np.ones(n)}
        self.reach = np.ones(n, bool)
        self.truth_lit = np.ones(n, bool)
        self.speed = np.ones(n)
        self.demand_now = np.zeros(n)
        self.k = -1
        self._orbits = None
        self.timeline: dict[str, list] = {"step": [], "t_s": []}
        self.inf = self._setup_inference(loaded, wl.inference) if wl.inference is not None else None
        self.eo = self._setup_eo(loaded, wl.earth_observation) if wl.earth_observation is not None else None
        self.train = self._setup_training(loaded, wl.training) if wl.training is not None else None
        self.batch = self._setup_batch(wl.batch) if wl.batch is not None else None
        self.events = 0
        self._work_init()
        self.tasking = None
        if self.eo is not None:
            from orbitcloud.ops.tasking import Tasking

            self.tasking = Tasking(self.eo.p, self.eo_sats, self.dt)

    # ------------------------------------------------------------------ set-up

    def _sources(self, loaded):
        from orbitcloud.network.ground import read_stations_csv, stations_from_records

        src = loaded.scenario.workloads.inference.sources
        if isinstance(src, str):
            st = read_stations_csv(loaded.resolve(src), label=src)
            self.src_weight = np.ones(len(st))
        else:
            st = stations_from_records(
                [{"name": s.name, "lat_deg": s.lat_deg, "lon_deg": s.lon_deg} for s in src],
                label=f"{loaded.label}: workloads.inference.sources",
            )
            self.src_weight = np.array([s.weight for s in src])
        return st

    def _shell_sats(self, names: list[str] | None, where: str, need_compute: bool = True) -> np.ndarray:
        si = self.fleet.shell_index
        if names is None:
            sel = [i for i, d in enumerate(self.designs) if d is not None and d.n_acc > 0]
        else:
            sel = []
            for nm in names:
                if nm not in self.shell_names:
                    raise ScenarioError(f"{self.label}: {where}: unknown shell {nm!r}; shells: {', '.join(self.shell_names)}")
                sel.append(self.shell_names.index(nm))
        if need_compute:
            for i in sel:
                d = self.designs[i]
                if d is None or d.n_acc == 0 or d.accelerator is None:
                    raise ScenarioError(f"{self.label}: {where}: shell {self.shell_names[i]!r} has no accelerators")
        return np.nonzero(np.isin(si, np.asarray(sel, np.int64)))[0]

    def _setup_inference(self, loaded, cfg):
        from orbitcloud.compute.inference import InferencePerf, ModelTooLarge
        from orbitcloud.compute.models import llm
        from orbitcloud.errors import OrbitcloudError
        from orbitcloud.ops.faults import uniform_hash
        from orbitcloud.ops.inference import ServingPool
        from orbitcloud.ops.traces import read_azure_trace, replay, trace_model

        where = "workloads.inference"
        servers = self._shell_sats(cfg.shells, f"{where}.shells")
        if servers.size == 0:
            raise ScenarioError(f"{loaded.label}: {where}.shells: no satellite with accelerators to serve from")
        shells = np.unique(self.fleet.shell_index[servers])
        keys = {(self.designs[i].accelerator, self.designs[i].n_acc) for i in shells.tolist()}
        if len(keys) > 1:
            raise ScenarioError(
                f"{loaded.label}: {where}.shells: serving shells must share one accelerator and count, got {sorted(keys)}"
            )
        acc, n_dev = keys.pop()
        try:
            model = llm(cfg.model)
            perf = InferencePerf(acc, model, cfg.precision, n_dev, kv_precision=cfg.kv_precision, max_batch=cfg.max_batch)
        except ModelTooLarge as exc:
            raise ScenarioError(f"{loaded.label}: {where}.model: {exc}") from None
        except OrbitcloudError as exc:
            raise ScenarioError(f"{loaded.label}: {where}: {exc}") from None
        dur = self.spec.n_steps * self.dt
        arr = cfg.arrivals
        try:
            if arr.trace is not None:
                reqs = replay(read_azure_trace(loaded.resolve(arr.trace)), dur, arr.rate_scale)
            else:
                tm = trace_model(arr.generator or "azure-conv")
                rate = (arr.rate_per_s if arr.rate_per_s is not None else tm.rate_per_s) * arr.rate_scale
                reqs = tm.sample(dur, self.seed, rate_per_s=rate, stream=1)
        except OrbitcloudError as exc:
            raise ScenarioError(f"{loaded.label}: {where}.arrivals: {exc}") from None
        ctx_max = cfg.max_context_tokens or model.context_max
        tin = np.clip(reqs.in_tokens, 1, max(1, ctx_max - 1))
        tout = np.clip(reqs.out_tokens, 1, np.maximum(ctx_max - tin, 1))
        w = np.cumsum(self.src_weight) / self.src_weight.sum()
        u = uniform_hash(self.seed, np.arange(len(reqs)), 0, 90, 0)
        city = np.minimum(np.searchsorted(w, u, side="right"), w.size - 1)
        m = servers.size
        self.srv = servers
        self.srv_pos = np.full(self.n, -1, np.int64)
        self.srv_pos[servers] = np.arange(m)
        self.active = np.zeros(m, bool)
        self.stopped_s = np.zeros(m)
        self.rtt = np.full((self.n_src, m), np.inf)
        self.cand = np.zeros(0, np.int64)
        self.cand_rtt = np.zeros((self.n_src, 0))
        mean_in, mean_out = float(np.mean(tin)) if tin.size else 1.0, float(np.mean(tout)) if tout.size else 1.0
        mu = perf.throughput_tok_s(mean_in, mean_out) / mean_out  # requests/s of one replica at saturation
        self.mu = mu
        self.svc_s = perf.max_concurrency(mean_in, mean_out) / mu  # mean time in service at saturation
        self.lam = len(reqs) / dur if dur > 0 else 0.0
        self.arrived_mark = 0
        pool = ServingPool(perf, m, reqs.t_s, tin, tout, city, self._choose, cfg.max_batch)
        self.pool = pool
        self.slo = cfg.slo
        self.e_inf_j = 0.0
        self.inf_cfg = cfg
        self.model = model
        self.perf = perf
        for key in ("inference_arrivals", "inference_served", "inference_queue", "inference_tokens_out", "inference_active_servers"):
            self.timeline[key] = []
        return pool

    def _setup_eo(self, loaded, cfg):
        from orbitcloud.ops.eo import EOModel, eo_params

        sats = self._shell_sats(getattr(cfg, "shells", None), "workloads.earth_observation.shells", need_compute=False)
        params = eo_params(cfg)
        from orbitcloud.compute.models import peak_ops_per_s
        from orbitcloud.errors import OrbitcloudError

        def filter_ops(d) -> float:  # the satellite's capacity at the filter's precision
            if d is None or d.n_acc == 0 or d.accelerator is None:
                return 0.0
            try:
                return d.n_acc * peak_ops_per_s(d.accelerator, params.precision)
            except OrbitcloudError:  # the accelerator lacks that precision: use its own
                return d.n_acc * d.ops_per_s_acc

        d_ops = np.array([filter_ops(d) for d in self.designs])
        ops = d_ops[self.fleet.shell_index[sats]]
        self.eo_sats = sats
        self.eo_bytes_j = 0.0
        return EOModel(params, sats, ops, self.seed, self.dt, self.spec.n_steps)

    def _setup_batch(self, cfg):
        from orbitcloud.compute.models import peak_ops_per_s
        from orbitcloud.errors import OrbitcloudError
        from orbitcloud.ops.batch import BatchBacklog

        sats = self._shell_sats(cfg.shells, "workloads.batch.shells")
        if sats.size == 0:
            raise ScenarioError(f"{self.label}: workloads.batch.shells: no satellite with accelerators")
        per_shell = np.zeros(len(self.designs))
        util = np.zeros(len(self.designs))
        for i, d in enumerate(self.designs):
            if d is None or d.n_acc == 0 or d.accelerator is None:
                continue
            try:
                per_shell[i] = d.n_acc * peak_ops_per_s(d.accelerator, cfg.precision)
            except OrbitcloudError as exc:
                raise ScenarioError(f"{self.label}: workloads.batch.precision: {exc}") from None
            util[i] = d.utilisation
        si = self.fleet.shell_index[sats]
        self.batch_sats = sats
        self.dem_batch = np.zeros(sats.size)
        return BatchBacklog(cfg, sats, per_shell[si], util[si], self.dt)

    def _setup_training(self, loaded, cfg):
        from orbitcloud.errors import OrbitcloudError
        from orbitcloud.ops.training import TrainingJob, training_params

        where = "workloads.training"
        with_acc = [i for i, d in enumerate(self.designs) if d is not None and d.n_acc > 0 and d.accelerator is not None]
        if cfg.shell is None:
            if not with_acc:
                raise ScenarioError(f"{loaded.label}: {where}: no shell has accelerators to train on")
            si = with_acc[0]
        elif cfg.shell not in self.shell_names:
            raise ScenarioError(f"{loaded.label}: {where}.shell: unknown shell {cfg.shell!r}; shells: {', '.join(self.shell_names)}")
        else:
            si = self.shell_names.index(cfg.shell)
        if si not in with_acc:
            raise ScenarioError(f"{loaded.label}: {where}.shell: shell {self.shell_names[si]!r} has no accelerators")
        d = self.designs[si]
        info = self.fleet.shells[si]
        count = cfg.count if cfg.count is not None else info.count - cfg.spares
        if count + cfg.spares > info.count or count < 1:
            raise ScenarioError(
                f"{loaded.label}: {where}: count {count} + spares {cfg.spares} exceed the {info.count} satellites of shell "
                f"{self.shell_names[si]!r}"
            )
        members = np.arange(info.start, info.start + count, dtype=np.int64)
        spares = np.arange(info.start + count, info.start + count + cfg.spares, dtype=np.int64)
        try:
            params = training_params(cfg, d.accelerator, d.n_acc)
            job = TrainingJob(params, members, spares, self.seed, self.dt)
        except OrbitcloudError as exc:
            raise ScenarioError(f"{loaded.label}: {exc}") from None
        self.train_sats = job.sats
        self.train_link_override = None if cfg.isl_gbps is None else cfg.isl_gbps * 1e9
        return job

    # ------------------------------------------------------------------ per step

    def demand(self, k: int, t_s: float, x: np.ndarray, y: np.ndarray, z: np.ndarray, sun_ecef_m: np.ndarray) -> np.ndarray:
        """Compute demand (n,) in [0, 1] of every satellite for step ``k`` starting at ``t_s``."""
        self.k = k
        self.t = t_s
        self.pos = np.stack([x, y, z], axis=1).astype(np.float64)
        self.sun_unit = sun_ecef_m / np.linalg.norm(sun_ecef_m)
        if self.needs_routing or self.eo is not None:
            self._links(k, t_s)
        self._telemetry(k)
        if self.inf is not None and (k % self.replan_every == 0 or self._force_replan):
            self._replan(t_s)
        self._force_replan = False
        dem = np.zeros(self.n)
        if self.inf is not None:
            srv_dem = np.where(self.active, self.pol.idle_demand, 0.0)
            srv_dem = np.where(self.pool.busy(), 1.0, srv_dem)
            dem[self.srv] += srv_dem
            self.dem_inf = srv_dem
        for entry in self._train_jobs():
            job = entry["job"]
            sats = job.sats
            known = {
                "soc": self.known["soc"][sats], "temp_margin_k": self.known["margin"][sats],
                "lit": self.known["lit"][sats], "avail": np.where(self.safe[sats], 0.0, self.known["avail"][sats]),
                "reachable": self.reach[sats],
            }
            dem[sats] += np.asarray(job.demand(known), dtype=np.float64)
        if self.eo is not None:
            dem[self.eo_sats] += np.asarray(self.eo.compute_demand(), dtype=np.float64)
        if self.batch is not None:
            from orbitcloud.network.links import link_degrees

            net = getattr(self, "net", None)
            linked = (link_degrees(net.isl_a, net.isl_b, self.n) > 0) if net is not None and net.isl_a.size else np.zeros(self.n, bool)
            b = self.batch_sats
            other = np.where(self.safe[b], 1.0, dem[b])  # safe mode: no batch either
            self.dem_batch = self.batch.demand(other, linked[b])
            dem[b] += self.dem_batch
        np.clip(dem, 0.0, 1.0, out=dem)
        self.demand_now = dem
        return dem

    def observe(self, k: int, compute_w: np.ndarray, soc: np.ndarray, t_k: np.ndarray, avail: np.ndarray | None,
                illum: np.ndarray, faults: dict | None, limit: np.ndarray | None = None) -> None:
        """The bus's result for step ``k``: run the workloads through ``[t_k, t_k + step)``.

        ``limit``: the operator's compute limit of the step per satellite (power caps, safe mode,
        reboots), None when there is none."""
        t0, dt = self.t, self.dt
        av = np.ones(self.n) if avail is None else avail
        want = self.full_w * av * self.demand_now if limit is None else self.full_w * av * limit * self.demand_now
        ratio = np.divide(compute_w, want, out=np.ones(self.n), where=want > 0)
        np.clip(ratio, 0.0, 1.0, out=ratio)
        self.speed = self.util * (av * ratio if limit is None else av * limit * ratio)
        self.truth_lit = illum >= 0.5
        self._record_truth(k, np.where(self.cap_j > 0, soc, 1.0), self.t_max_k - t_k, self.truth_lit, av)
        self.timeline["step"].append(k)
        self.timeline["t_s"].append(t0)
        if self.inf is not None:
            self._inference_step(t0, dt, compute_w)
        if self.eo is not None:
            self._eo_step(k, t0, dt)
        if self.batch is not None:
            b = self.batch_sats
            total = self.demand_now[b]
            share = np.divide(self.dem_batch, total, out=np.zeros(b.size), where=total > 0)
            self.batch.advance(self.speed[b] * share)
        reboots = self._take_reboots()
        for entry in self._train_jobs():
            job = entry["job"]
            f = None
            for part in (faults, reboots):
                if part is not None and part.get("sat") is not None and len(part["sat"]):
                    keep = np.isin(part["sat"], job.sats)
                    if keep.any():
                        sub = {key: part[key][keep] for key in ("sat", "kind", "device", "t_s", "seq") if key in part}
                        f = sub if f is None else {key: np.concatenate([f[key], sub[key]]) for key in sub if key in f}
            job.advance(k, t0, dt, self.speed[job.sats], self._train_link_bps(job, entry["link_override"]), f)

    # ------------------------------------------------------------------ network and telemetry

    @property
    def needs_routing(self) -> bool:
        """Whether some work needs the network routed (paths, gateway reach, ISL components): inference,
        training, batch fetching over ISLs, EO relay. Batch work on board alone does not."""
        return bool(self.inf is not None or self._train_jobs() or (self.batch is not None and self.batch.cfg.input == "isl")
                    or (self.eo is not None and self.eo.p.relay))

    def begin_chunk(self, k0: int, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> None:  # noqa: D417
        """The chunk's Earth-fixed positions (n, T), before its steps: ground links for all of them at
        once (each step's links are what that step alone would give)."""
        self._chunk_k0 = k0
        self._gl_at = None
        if self.needs_routing or self.eo is not None:
            from orbitcloud.network.simulate import ground_links_by_step

            self._gl_at = ground_links_by_step(self.ns, *(np.asarray(a, dtype=np.float64) for a in (x, y, z)))
            self._gl_ns = self.ns

    _gl_at = None
    _gl_ns = None
    _chunk_k0 = 0

    def _links(self, k: int, t_s: float) -> None:
        from scipy.sparse import csgraph

        from orbitcloud.network import routing as R
        from orbitcloud.network.simulate import ground_links_by_step

        X, Y, Z = self.pos[:, 0:1], self.pos[:, 1:2], self.pos[:, 2:3]
        if self._gl_at is not None and self._gl_ns is self.ns:
            gl = self._gl_at(k - self._chunk_k0)
        else:  # the stations changed within the chunk (a new request source)
            gl = ground_links_by_step(self.ns, X, Y, Z)(0)
        self.gl = gl
        if not self.needs_routing or (k % self.route_every and self.k_routed >= 0):
            return
        net = self.stepper.build(X, Y, Z, 0, t_s, lambda _j: gl)
        snap = net.snapshot
        self.net = net
        self.k_routed = k
        n = self.n
        if self.n_gw:
            gw = R.nearest_gateway(snap, np.arange(self.n_gw))
            self.reach = np.isfinite(gw.delay_s)
            if self.net_feed is not None:
                self.net_feed(k, net, gw)
        else:  # pragma: no cover - a ground section is required
            self.reach = np.zeros(n, bool)
        if self.inf is not None and self.n_src:
            src_nodes = n + self.n_gw + np.arange(self.n_src)
            dist = csgraph.dijkstra(snap.graph, directed=True, indices=src_nodes)
            self.rtt = 2.0 * dist[:, self.srv]
            self._refresh_candidates()

    k_routed = -1
    _components = None  # (network, component labels, its ISL ends) of the last EO relay
    #: ``NetworkSummary.feed`` when the run's network summary may take this layer's routing (see
    #: ``Simulation``); None otherwise
    net_feed = None

    def _telemetry(self, k: int) -> None:
        """What the ground knows at step k: the truth of ``delay`` steps ago from reachable satellites."""
        if k < self.delay_steps:
            return
        row = (k - self.delay_steps) % (self.delay_steps + 1)
        r = self.reach
        for key in self.known:
            self.known[key][r] = self.ring[key][row][r]

    def _record_truth(self, k: int, soc, margin, lit, avail) -> None:
        row = (k + 1) % (self.delay_steps + 1)  # the state at the end of step k (start of step k + 1)
        self.ring["soc"][row] = soc
        self.ring["margin"][row] = margin
        self.ring["lit"][row] = lit
        self.ring["avail"][row] = avail
        if self.delay_steps == 0:
            for key in self.known:
                self.known[key][self.reach] = self.ring[key][row][self.reach]

    def _lit_ahead(self, t_s: float, sats: np.ndarray) -> np.ndarray:
        """Predicted sunlight (illumination >= 0.5) of ``sats`` at ``t_s + eclipse_lookahead``: the
        operator's own orbit prediction (fast propagator), as flight dynamics would provide."""
        from orbitcloud.environment.shadow import shadow_state
        from orbitcloud.ephemeris.frames import gmst_for_times
        from orbitcloud.ephemeris.propagate import fast_ecef_m, fast_orbits
        from orbitcloud.ephemeris.sun import sun_position_m
        from orbitcloud.timescale import jd_split_offset

        if self._orbits is None:
            self._orbits = fast_orbits(self.fleet.slice(0, self.n), self.spec.jd0, self.spec.fr0)
        t = np.array([t_s + self.pol.eclipse_lookahead])
        jd, fr = jd_split_offset(self.spec.jd0, self.spec.fr0, t)
        gmst = gmst_for_times(jd, fr)
        sun = sun_position_m(jd, fr)
        c, s = np.cos(gmst), np.sin(gmst)
        sun_ecef = np.stack([c * sun[:, 0] + s * sun[:, 1], c * sun[:, 1] - s * sun[:, 0], sun[:, 2]], axis=1)
        x, y, z, r = fast_ecef_m(self._orbits, t, gmst)
        st = shadow_state(x, y, z, sun_ecef, r)
        return ~(st.h_half[:, 0] > 0.0)[sats]

    # ------------------------------------------------------------------ inference

    def _refresh_candidates(self) -> None:
        self.cand = np.nonzero(self.active)[0]
        self.cand_rtt = self.rtt[:, self.cand]

    def _choose(self, city: int, t: float, exclude: int) -> tuple[int, float]:
        cand = self.cand
        if cand.size == 0:
            return -1, math.nan
        rtt = self.cand_rtt[city]
        backlog = self.pool.backlog[cand]
        ok = np.isfinite(rtt)
        if exclude >= 0:
            ok &= cand != exclude
        if not ok.any():
            return -1, math.nan
        mb = self.pool.max_batch
        if self.policy == "first-fit":
            free = ok & (backlog < mb)
            i = int(np.argmax(free)) if free.any() else int(np.argmin(np.where(ok, backlog, np.iinfo(np.int64).max)))
        else:
            score = np.where(ok, rtt + backlog * (self.svc_s / mb), np.inf)
            i = int(np.argmin(score))
        return int(cand[i]), float(rtt[i])

    def _replan(self, t_s: float) -> None:
        from orbitcloud.ops.policies import Known, select_active

        pool = self.pool
        window = self.replan_every * self.dt
        arrived = pool.next_arrival - self.arrived_mark
        if self.k > 0:
            self.lam = 0.5 * self.lam + 0.5 * arrived / window  # EWMA of the measured arrival rate
        self.arrived_mark = pool.next_arrival
        n_needed = max(self.pol.min_replicas, int(math.ceil(self.lam / (self.mu * self.pol.target_utilisation))))
        srv = self.srv
        kn = self.known
        w = self.src_weight / self.src_weight.sum()
        finite = np.isfinite(self.rtt)
        demand_rtt = np.where(finite.any(axis=0), (np.where(finite, self.rtt, 0.0) * w[:, None]).sum(axis=0)
                              / np.maximum((finite * w[:, None]).sum(axis=0), 1e-30), np.inf)
        need_ahead = self.policy in ("power-aware", "follow-the-sun")
        known = Known(
            soc=kn["soc"][srv], temp_margin_k=kn["margin"][srv], lit=kn["lit"][srv],
            lit_ahead=self._lit_ahead(t_s, srv) if need_ahead else np.ones(srv.size, bool),
            avail=kn["avail"][srv], reachable=self.reach[srv], demand_rtt_s=demand_rtt,
        )
        eligible = (known.avail > 0.0) & ~self.safe[srv]
        new = select_active(self.policy, known, eligible, n_needed, self.active, self.pol.soc_min, self.pol.temp_margin_k)
        gone = np.nonzero(self.active & ~new)[0]
        self.active = new
        self._refresh_candidates()
        for s in gone.tolist():
            self.migrated += pool.evacuate(s, t_s, include_running=False)

    migrated = 0

    def _inference_step(self, t0: float, dt: float, compute_w: np.ndarray) -> None:
        pool = self.pool
        sp = self.speed[self.srv]
        pool.set_speeds(t0, sp)
        # a replica that cannot run moves its work away once it has been stopped migrate_after (onboard)
        stopped = (sp <= 0.0) & pool.busy()
        self.stopped_s = np.where(stopped, self.stopped_s + dt, 0.0)
        for s in np.nonzero(self.stopped_s >= max(self.pol.migrate_after, 1e-9))[0].tolist():
            self.migrated += pool.evacuate(s, t0, include_running=True)
            self.stopped_s[s] = 0.0
        a0, s0, tok0 = pool.next_arrival, pool.served, pool.tokens_out
        self.events += pool.run_until(t0 + dt)
        share = np.divide(self.dem_inf, self.demand_now[self.srv], out=np.zeros(self.srv.size), where=self.demand_now[self.srv] > 0)
        self.e_inf_j += float(np.dot(compute_w[self.srv], share)) * dt
        tl = self.timeline
        tl["inference_arrivals"].append(pool.next_arrival - a0)
        tl["inference_served"].append(pool.served - s0)
        tl["inference_queue"].append(pool.queued)
        tl["inference_tokens_out"].append(pool.tokens_out - tok0)
        tl["inference_active_servers"].append(int(self.active.sum()))

    # ------------------------------------------------------------------ Earth observation

    def _eo_step(self, k: int, t0: float, dt: float) -> None:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        gl = self.gl
        gw = gl.station < self.n_gw
        contact = np.bincount(gl.sat[gw], weights=gl.downlink_bps[gw], minlength=self.n)
        comp_lab = comp_bps = None
        net = getattr(self, "net", None)
        if net is not None and net.isl_a.size:
            cached = self._components
            if cached is not None and cached[0] is net:
                lab = cached[1]
            elif cached is not None and np.array_equal(cached[2], net.isl_a) and np.array_equal(cached[3], net.isl_b):
                lab = cached[1]  # the same ISLs as the last network: the same components
                self._components = (net, lab, net.isl_a, net.isl_b)
            else:
                g = coo_matrix((np.ones(net.isl_a.size), (net.isl_a, net.isl_b)), shape=(self.n, self.n))
                _, lab = connected_components(g, directed=False)
                self._components = (net, lab, net.isl_a, net.isl_b)
            comp_bps = np.bincount(lab, weights=contact)
            comp_lab = lab[self.eo_sats]
        sats = self.eo_sats
        self.eo.advance(k, t0, dt, self.pos[sats], self.sun_unit, self.speed[sats], contact[sats], comp_lab, comp_bps)
        if self.tasking is not None:
            on = ~self.safe[sats]
            self.tasking.step(t0, dt, self.pos[sats], self.sun_unit, on, contact[sats], comp_lab, comp_bps)

    # ------------------------------------------------------------------ training

    def _train_link_bps(self, job, override: float | None) -> float:
        """Bottleneck ISL capacity among the satellites of ``job`` training now (their ring); 0 when the
        ISLs between them do not connect them all; inf for one satellite."""
        if override is not None:
            return override
        members = np.asarray(job.ring, dtype=np.int64)
        if members.size <= 1:
            return math.inf
        net = getattr(self, "net", None)
        if net is None or net.isl_a.size == 0:
            return 0.0
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        inside = np.isin(net.isl_a, members) & np.isin(net.isl_b, members)
        if not inside.any():
            return 0.0
        pos = np.full(self.n, -1, np.int64)
        pos[members] = np.arange(members.size)
        a, b = pos[net.isl_a[inside]], pos[net.isl_b[inside]]
        n_comp, _ = connected_components(coo_matrix((np.ones(a.size), (a, b)), shape=(members.size,) * 2), directed=False)
        if n_comp > 1:
            return 0.0
        cap = net.snapshot.edge_capacity_bps[0::2][: net.isl_a.size][inside]
        return float(cap.min())

    # ------------------------------------------------------------------ results

    def summary(self) -> dict:
        """JSON-ready figures of every workload (``docs/results.md``)."""
        out: dict = {"policy": self.policy, "events": int(self.events)}
        if self.inf is not None:
            out["inference"] = self._inference_summary()
        if self.train is not None:
            out["training"] = self.train.summary()
        if self.eo is not None:
            out["earth_observation"] = self.eo.summary()
        if self.batch is not None:
            out["batch"] = self.batch.summary()
        if self.work:
            out["added"] = self.added_summary()
        return out

    def _inference_summary(self) -> dict:
        from orbitcloud.ops.inference import PENDING, SERVED, UNREACHABLE

        pool = self.pool
        pool.finish()
        st = pool.status
        served = st == SERVED
        ttft = pool.rtt_s + (pool.t_first - pool.t_arr)
        tpot = (pool.t_done - pool.t_first) / np.maximum(pool.out_tok - 1, 1)
        e2e = pool.rtt_s + (pool.t_done - pool.t_arr)
        queue = pool.t_admit - pool.t_arr
        dur = self.spec.n_steps * self.dt

        def pct(a, q):
            a = a[served & np.isfinite(a)]
            return round(float(np.percentile(a, q)), 6) if a.size else None

        n = st.size
        ok_ttft = served & (ttft <= self.slo.ttft_s)
        ok_tpot = served & (tpot <= self.slo.tpot_s)
        tl = self.timeline
        return {
            "model": self.model.name,
            "precision": self.inf_cfg.precision,
            "servers": int(self.srv.size),
            "active_servers_mean": round(float(np.mean(tl["inference_active_servers"])), 3) if tl["inference_active_servers"] else 0,
            "active_servers_max": int(max(tl["inference_active_servers"], default=0)),
            "requests": int(n),
            "served": int(served.sum()),
            "pending": int((st == PENDING).sum()),
            "unreachable": int((st == UNREACHABLE).sum()),
            "migrations": int(pool.migrations.sum()),
            "queue_max": int(pool.queue_max),
            "queued_at_end": int(pool.queued),
            "ttft_s_p50": pct(ttft, 50), "ttft_s_p99": pct(ttft, 99),
            "tpot_s_p50": pct(tpot, 50), "tpot_s_p99": pct(tpot, 99),
            "e2e_s_p50": pct(e2e, 50), "e2e_s_p99": pct(e2e, 99),
            "queue_s_p50": pct(queue, 50), "queue_s_p99": pct(queue, 99),
            "network_rtt_s_p50": pct(pool.rtt_s, 50), "network_rtt_s_p99": pct(pool.rtt_s, 99),
            "slo_ttft_s": self.slo.ttft_s, "slo_tpot_s": self.slo.tpot_s,
            "slo_attainment": round(float((ok_ttft & ok_tpot).sum() / n), 6) if n else None,
            "ttft_attainment": round(float(ok_ttft.sum() / n), 6) if n else None,
            "tpot_attainment": round(float(ok_tpot.sum() / n), 6) if n else None,
            "tokens_out": int(pool.tokens_out),
            "tokens_per_s": round(pool.tokens_out / dur, 3) if dur > 0 else None,
            "compute_energy_kwh": round(self.e_inf_j / 3.6e6, 6),
            "tokens_per_kwh": round(pool.tokens_out / (self.e_inf_j / 3.6e6), 3) if self.e_inf_j > 0 else None,
            "replica_requests_per_s": round(self.mu, 6),
        }

    def requests_table(self) -> dict[str, np.ndarray] | None:
        """Per-request columns for ``requests.parquet`` (None without inference)."""
        if self.inf is None:
            return None
        from orbitcloud.ops.inference import STATUS_NAMES

        p = self.pool
        srv_sat = np.where(p.server >= 0, self.srv[np.maximum(p.server, 0)], -1)
        return {
            "request": np.arange(p.status.size, dtype=np.int64),
            "t_s": p.t_arr,
            "city": np.asarray(self.ns.stations.names[self.n_gw:], dtype=object)[p.city] if p.city.size else np.zeros(0, object),
            "server": srv_sat.astype(np.int64),
            "status": np.asarray(STATUS_NAMES, dtype=object)[p.status],
            "network_s": p.rtt_s,
            "queue_s": p.t_admit - p.t_arr,
            "ttft_s": p.rtt_s + (p.t_first - p.t_arr),
            "tpot_s": (p.t_done - p.t_first) / np.maximum(p.out_tok - 1, 1),
            "e2e_s": p.rtt_s + (p.t_done - p.t_arr),
            "in_tokens": p.in_tok,
            "out_tokens": p.out_tok,
            "migrations": p.migrations.astype(np.int32),
            "work": np.array(["" if s == 0 else f"inference-{s}" for s in p.stream[: p.status.size].tolist()], dtype=object),
        }

    def timeline_table(self) -> dict[str, np.ndarray]:
        """Per-step columns for ``workload_timeline.parquet``."""
        out = {k: np.asarray(v) for k, v in self.timeline.items()}
        out["step"] = out["step"].astype(np.int64)
        for name, obj in (("training", self.train), ("eo", self.eo)):
            if obj is None:
                continue
            for key, val in obj.timeline().items():
                val = np.asarray(val)
                if val.shape[0] == out["step"].shape[0]:
                    out[f"{name}_{key}"] = val
        return out
