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
from orbitcloud.ops.serving import ServingLayer
from orbitcloud.ops.work import ControllerActions

__all__ = ["WorkloadController", "MAX_WORKLOAD_SATELLITES"]

#: Workload runs step the coupled layer (routing, dispatch, the bus) for the whole fleet in one process;
#: the separable physics is split over workers (:mod:`orbitcloud.sim.split`). The coupled layer holds
#: a few kB per satellite (routing graph, telemetry ring, serving pool): above this size it would not
#: fit a workstation's memory (``docs/scaling.md``).
MAX_WORKLOAD_SATELLITES = 1_000_000


def _concat_stations(a, b):
    from orbitcloud.network.ground import Stations

    if b is None or len(b) == 0:
        return a
    names = list(a.names) + [f"user:{nm}" for nm in b.names]
    return Stations.from_geodetic(
        np.arange(len(names)), names, np.concatenate([a.lat_rad, b.lat_rad]), np.concatenate([a.lon_rad, b.lon_rad]),
        np.concatenate([a.alt_m, b.alt_m]), source=f"{a.source} + {b.source}",
    )


class WorkloadController(ServingLayer, ControllerActions):
    """Runs a scenario's ``workloads:`` under one placement policy (see the module docstring); work can
    be added, cancelled and re-placed while it runs (:mod:`orbitcloud.ops.work`).

    Args:
        loaded: the loaded scenario; fleet, spec: the run's fleet and :class:`~orbitcloud.sim.RunSpec`;
        bus: the fleet's :class:`~orbitcloud.bus.step.BusParams`; designs: the shells' designs;
        policy: placement policy (None: the scenario's ``policies.placement``).
    """

    def __init__(self, loaded, fleet, spec, bus, designs, policy: str | None = None, serving: str | None = None) -> None:
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
        if serving is not None:
            from orbitcloud.ops.policies import check_serving

            pol = pol.model_copy(update={"serving": check_serving(serving)})
        self.pol = pol
        self.policy = pol.placement
        self.serving = pol.serving
        self.spow = None
        n = len(fleet)
        if n > MAX_WORKLOAD_SATELLITES:
            raise ScenarioError(
                f"{loaded.label}: workloads: the fleet has {n:,} satellites; workload runs support at most "
                f"{MAX_WORKLOAD_SATELLITES:,} (the coupled layer holds the whole fleet in one process; docs/scaling.md)"
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
        self._bus_p = p
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
        # the satellites' own measurements at the start of the step (the serving policy's onboard view)
        self.own = {"soc": soc0.copy(), "gen_w": np.zeros(n), "other_w": p["bus_w"].copy()}
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
            queued = self.pool.backlog > self.pool.max_batch
            work = self.pool.work_s.copy()
            load = (work - self._work_prev) / self.dt
            self._work_prev = work
            srv_dem = self.spow.demand(t_s, self.dt, srv_dem, self.active, self.pool.busy(), self.own, queued, load)
            if self.spow.small is not None:
                self.pool.server_var = self.spow.use_small.astype(np.int64).tolist()
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
        if self.spow is not None and self.spow.capping:
            # the cap holds for all the work of the satellite (shares between the works unchanged)
            pf = np.ones(self.n)
            pf[self.srv] = self.spow.pf
            dem *= pf
            self.dem_inf = self.dem_inf * self.spow.pf
            if self.batch is not None:
                self.dem_batch = self.dem_batch * pf[self.batch_sats]
        self.demand_now = dem
        return dem

    def observe(self, k: int, compute_w: np.ndarray, soc: np.ndarray, t_k: np.ndarray, avail: np.ndarray | None,
                illum: np.ndarray, faults: dict | None, limit: np.ndarray | None = None,
                gen_w: np.ndarray | None = None, other_w: np.ndarray | None = None) -> None:
        """The bus's result for step ``k``: run the workloads through ``[t_k, t_k + step)``.

        ``limit``: the operator's compute limit of the step per satellite (power caps, safe mode,
        reboots), None when there is none. ``gen_w``, ``other_w``: the step's array output and
        bus + heater load [W] (what the satellite measures; the serving policy's next decision)."""
        t0, dt = self.t, self.dt
        av = np.ones(self.n) if avail is None else avail
        want = self.full_w * av * self.demand_now if limit is None else self.full_w * av * limit * self.demand_now
        ratio = np.divide(compute_w, want, out=np.ones(self.n), where=want > 0)
        np.clip(ratio, 0.0, 1.0, out=ratio)
        self.speed = self.util * (av * ratio if limit is None else av * limit * ratio)
        self.srv_speeds = None
        if self.spow is not None and self.spow.capping:
            base = self.speed[self.srv]
            self.srv_speeds = (base * self.spow.rel_d, base * self.spow.rel_p)  # decode, prefill
            self.speed[self.srv] = base * self.spow.rel_p  # other work on the satellite is compute-bound
        own = self.own
        own["soc"] = np.where(self.cap_j > 0, soc, 1.0)
        if gen_w is not None:
            own["gen_w"] = gen_w
        if other_w is not None:
            own["other_w"] = other_w
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
            if self.sources_dijkstra is not None:
                dist = self.sources_dijkstra(snap.graph, src_nodes, self.srv)
            else:
                dist = csgraph.dijkstra(snap.graph, directed=True, indices=src_nodes)[:, self.srv]
            self.rtt = 2.0 * dist
            self._refresh_candidates()

    k_routed = -1
    _components = None  # (network, component labels, its ISL ends) of the last EO relay
    #: ``NetworkSummary.feed`` when the run's network summary may take this layer's routing (see
    #: ``Simulation``); None otherwise
    net_feed = None

    #: ``f(graph, sources, cols)`` giving ``csgraph.dijkstra(graph, indices=sources)[:, cols]`` with the
    #: sources shared over worker processes (set by ``sim.split`` in split runs); None: here
    sources_dijkstra = None

    #: set by the TT&C layer (``ops/ttc``): the ground's view comes from its telemetry archive instead
    #: of the fixed delay
    external_telemetry = False

    def _telemetry(self, k: int) -> None:
        """What the ground knows at step k: the truth of ``delay`` steps ago from reachable satellites."""
        if k < self.delay_steps or self.external_telemetry:
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
        if self.delay_steps == 0 and not self.external_telemetry:
            for key in self.known:
                self.known[key][self.reach] = self.ring[key][row][self.reach]

    def _lit_ahead(self, t_s: float, sats: np.ndarray) -> np.ndarray:
        """Predicted sunlight (illumination >= 0.5) of ``sats`` at ``t_s + eclipse_lookahead``: the
        operator's own orbit prediction (fast propagator), as flight dynamics would provide."""
        from orbitcloud.ephemeris.propagate import fast_orbits
        from orbitcloud.ops.serving_power import predicted_lit

        if self._orbits is None:
            self._orbits = fast_orbits(self.fleet.slice(0, self.n), self.spec.jd0, self.spec.fr0)
        return predicted_lit(self._orbits, self.spec, np.array([t_s + self.pol.eclipse_lookahead]))[sats, 0]

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
