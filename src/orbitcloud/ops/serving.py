"""LLM serving inside the workload layer: request sources, the serving pool, dispatch, the active set.

:class:`ServingLayer` is part of :class:`~orbitcloud.ops.controller.WorkloadController` (its attributes
are the controller's): it builds the serving pool of ``workloads.inference`` (``docs/workloads.md``),
chooses a replica for each request (first free slot for ``first-fit``, least expected delay for the
other policies; ``docs/policies.md``), re-plans the active set and reports the requests.
"""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.errors import ScenarioError


#: energy-aware: a replica whose throughput its energy budget holds below this share of the uncapped
#: one takes new requests only when no other replica can (docs/serving.md).
MIN_REL_DISPATCH = 0.25


class ServingLayer:
    """Mixed into the workload controller (see the module docstring)."""

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
        small, escalate = self._serving_setup(loaded, cfg, acc, n_dev, len(reqs))
        try:
            pool = ServingPool(perf, m, reqs.t_s, tin, tout, city, self._choose, cfg.max_batch, small=small, escalate=escalate)
        except OrbitcloudError as exc:
            raise ScenarioError(f"{loaded.label}: {where}.small_model: {exc}") from None
        from orbitcloud.ops.serving_power import ServingPower

        self.spow = ServingPower(self, self.serving, self.pol, self._bus_p, perf, small, mean_in, mean_out, cfg.slo)
        self._work_prev = np.zeros(m)
        self.small_perf = small
        self.pool = pool
        self.slo = cfg.slo
        self.e_inf_j = 0.0
        self.inf_cfg = cfg
        self.model = model
        self.perf = perf
        for key in ("inference_arrivals", "inference_served", "inference_queue", "inference_tokens_out", "inference_active_servers"):
            self.timeline[key] = []
        return pool

    def _serving_setup(self, loaded, cfg, acc: str, n_dev: int, n_req: int):
        """The small model's InferencePerf (None unless the serving policy uses it) and, for the
        cascade, which requests its router escalates (a seeded hash per request)."""
        from orbitcloud.compute.inference import InferencePerf, ModelTooLarge
        from orbitcloud.errors import OrbitcloudError
        from orbitcloud.ops.faults import uniform_hash

        where = "workloads.inference.small_model"
        sm = cfg.small_model
        if self.serving == "cascade" and sm is None:
            raise ScenarioError(f"{loaded.label}: policies.serving cascade: needs {where} (the model asked first)")
        if sm is None or self.serving not in ("energy-aware", "cascade"):
            return None, None
        from orbitcloud.compute.model_choice import inference_perf, variant_names

        try:
            if f"{sm.model}@{sm.precision}" in variant_names():  # the catalog's variant (W4A16 runs at 16 bit)
                small = inference_perf(f"{sm.model}@{sm.precision}", acc, n_dev, max_batch=cfg.max_batch)
            else:
                small = InferencePerf(acc, sm.model, sm.precision, n_dev, max_batch=cfg.max_batch)
        except ModelTooLarge as exc:
            raise ScenarioError(f"{loaded.label}: {where}: {exc}") from None
        except OrbitcloudError as exc:
            raise ScenarioError(f"{loaded.label}: {where}: {exc}") from None
        escalate = None
        if self.serving == "cascade":
            escalate = uniform_hash(self.seed, np.arange(n_req), 0, 91, 0) < self.pol.escalate_share
        return small, escalate

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
        slow = None
        if self.spow.capping:  # a replica's cap is its own: a stopped one takes no request
            rel = self.spow.rel[cand]
            if (rel < 1.0).any():
                strong = ok & (rel >= MIN_REL_DISPATCH)
                ok = strong if strong.any() else ok & (rel > 0.0)  # a weak replica only when it is the only way
                slow = 1.0 / np.maximum(rel, 1e-6)
        if not ok.any():
            return -1, math.nan
        mb = self.pool.max_batch
        if self.policy == "first-fit":
            free = ok & (backlog < mb)
            i = int(np.argmax(free)) if free.any() else int(np.argmin(np.where(ok, backlog, np.iinfo(np.int64).max)))
        else:
            wait = backlog * (self.svc_s / mb) if slow is None else (backlog + 1) * (self.svc_s / mb) * slow
            score = np.where(ok, rtt + wait, np.inf)
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
        speeds = getattr(self, "srv_speeds", None)
        sp = self.speed[self.srv] if speeds is None else speeds[0]
        pool.set_speeds(t0, sp, None if speeds is None else speeds[1])
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
            **self._serving_figures(),
        }

    def _serving_figures(self) -> dict:
        """The serving policy's figures (docs/serving.md): tokens per model, quality-weighted tokens,
        the cascade's escalations and the policy's cap statistics."""
        pool = self.pool
        out = dict(self.spow.summary())
        q0 = _quality(self.model.name, self.inf_cfg.precision)
        names = [f"{self.model.name}@{self.inf_cfg.precision}"]
        qs = [q0]
        if pool.perfs[1:]:
            sm = self.inf_cfg.small_model
            names.append(f"{sm.model}@{sm.precision}")
            qs.append(_quality(sm.model, sm.precision))
        out["models"] = names
        out["tokens_generated_by_model"] = [int(x) for x in pool.tokens_by_var[: len(names)]]
        out["tokens_delivered_by_model"] = [int(x) for x in pool.delivered_by_var[: len(names)]]
        if pool.cascade:
            out["tokens_discarded"] = int(pool.small_tokens.sum())
            out["escalated"] = int(pool.escalated)
        out["model_quality"] = qs
        if all(q is not None for q in qs):
            qw = sum(float(q) * d for q, d in zip(qs, pool.delivered_by_var[: len(names)]))
            out["quality_weighted_tokens"] = round(qw, 3)
            kwh = self.e_inf_j / 3.6e6
            out["quality_weighted_tokens_per_kwh"] = round(qw / kwh, 3) if kwh > 0 else None
        else:
            out["quality_weighted_tokens"] = out["quality_weighted_tokens_per_kwh"] = None
        return out

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


#: Models without a published quality score, scored as the published model of the same shape
#: (ASSUMPTION, docs/serving.md): the Three-Body 8 B remote-sensing model has the Llama 3 8B shape.
QUALITY_PROXY = {"remote-sensing-8b": "llama-3-8b"}


def _quality(model: str, precision: str) -> float | None:
    """Normalised quality in [0, 1] of a model at a precision (``model_quality.yaml``, through
    :data:`QUALITY_PROXY`), None if the catalog has none for it."""
    from orbitcloud.compute.model_choice import variant
    from orbitcloud.errors import OrbitcloudError

    try:
        return float(variant(f"{QUALITY_PROXY.get(model, model)}@{precision}").quality_rel)
    except OrbitcloudError:
        return None
