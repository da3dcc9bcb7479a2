"""Work added to a running twin, and the operator's other levers on the workload layer.

:class:`ControllerActions` is part of :class:`~orbitcloud.ops.controller.WorkloadController`; it
carries out the actions of :mod:`orbitcloud.sim.actions` that concern work:

* an inference stream from a city or place: Poisson arrivals at a rate with fixed token sizes, merged
  into the serving pool's future arrivals (the requests already sent are untouched); a city not yet a
  request source becomes one (a user terminal of the network, routed like the scenario's sources);
* a training job on free satellites of a shell, from now;
* an Earth-observation target (:mod:`orbitcloud.ops.tasking`);
* cancelling any of them, switching the placement policy, safe mode (no new work on the satellite),
  reboots (training members restart from their checkpoint).

Random arrivals are seeded by (scenario seed, work number): the same actions at the same times give
the same requests. Work ids are ``inference-N``, ``training-N``, ``eo-N`` in the order added.
"""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.errors import OrbitcloudError

_STREAM_SEED = 0x5EED_0001  # mixes the work number into the arrival generator's seed


class ControllerActions:
    """Mixed into the workload controller (its attributes are the controller's)."""

    def _work_init(self) -> None:
        self.work: dict[str, dict] = {}
        self._work_count = {"inference": 0, "training": 0, "eo": 0}
        self.safe = np.zeros(self.n, bool)
        self._force_replan = False
        self._reboots: list[dict] = []
        self.extra_train: list[dict] = []

    def _new_id(self, kind: str) -> str:
        self._work_count[kind] += 1
        return f"{kind}-{self._work_count[kind]}"

    # ------------------------------------------------------------------ policy, safe mode, reboots

    def set_policy(self, name: str) -> None:
        from orbitcloud.ops.policies import check_policy

        name = check_policy(name)
        self.pol = self.pol.model_copy(update={"placement": name})
        self.policy = name
        self._force_replan = True

    def set_safe(self, sats: np.ndarray, on: bool) -> None:
        """Safe mode: no new work goes to these satellites (their compute is off by the bus)."""
        self.safe[sats] = on
        self._force_replan = True

    def on_reboot(self, sats: np.ndarray, t_s: float) -> None:
        """Training members among ``sats`` crash now (as a reboot would): they restart from a checkpoint."""
        from orbitcloud.ops.faults import KIND_CODES

        self._reboots.append({"sat": np.asarray(sats, np.int64), "kind": np.full(len(sats), KIND_CODES["sefi"], np.int64),
                              "device": np.zeros(len(sats), np.int64), "t_s": np.full(len(sats), float(t_s)),
                              "seq": -1 - np.arange(len(sats), dtype=np.int64)})

    def _take_reboots(self) -> dict | None:
        if not self._reboots:
            return None
        parts, self._reboots = self._reboots, []
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    # ------------------------------------------------------------------ inference

    def add_inference(self, act, t_s: float) -> str:
        if self.inf is None:
            raise OrbitcloudError("AddInference: the scenario has no workloads.inference (model and serving shells) to serve it")
        src = self._source_index(act)
        end_s = self.spec.n_steps * self.dt
        if act.duration is not None:
            from orbitcloud.scenario import parse_duration_s

            end_s = min(end_s, t_s + parse_duration_s(act.duration))
        ctx_max = self.inf_cfg.max_context_tokens or self.model.context_max
        if act.in_tokens + act.out_tokens > ctx_max:
            raise OrbitcloudError(
                f"AddInference: in_tokens + out_tokens = {act.in_tokens + act.out_tokens:,} exceed the model's context of {ctx_max:,} tokens")
        wid = self._new_id("inference")
        stream = self._work_count["inference"]
        rng = np.random.default_rng([int(self.seed), _STREAM_SEED, stream])
        n_exp = int((end_s - t_s) * act.rate_per_s * 1.2 + 10 * math.sqrt(max((end_s - t_s) * act.rate_per_s, 1.0)) + 10)
        gaps = rng.exponential(1.0 / act.rate_per_s, n_exp)
        t_arr = t_s + np.cumsum(gaps)
        while t_arr.size and t_arr[-1] < end_s:  # rare: draw more
            more = t_arr[-1] + np.cumsum(rng.exponential(1.0 / act.rate_per_s, n_exp))
            t_arr = np.concatenate([t_arr, more])
        t_arr = t_arr[t_arr < end_s]
        n = t_arr.size
        self.pool.add_requests(t_arr, np.full(n, act.in_tokens), np.full(n, act.out_tokens), np.full(n, src), stream)
        self.work[wid] = {"kind": "inference", "stream": stream, "source": self.ns.stations.names[self.n_gw + src],
                          "rate_per_s": act.rate_per_s, "in_tokens": act.in_tokens, "out_tokens": act.out_tokens,
                          "t_start_s": t_s, "t_end_s": end_s, "cancelled_s": None}
        return wid

    def _source_index(self, act) -> int:
        """Index among the request sources of the action's city or place (added when new)."""
        from orbitcloud.network.ground import Stations, builtin_stations, stations_from_records

        users = [nm[len("user:"):] for nm in self.ns.stations.names[self.n_gw:]]
        norm = lambda s: s.strip().lower().replace("_", " ").replace("-", " ")  # noqa: E731
        if act.city is not None:
            for i, nm in enumerate(users):
                if norm(nm) == norm(act.city):
                    return i
            cities = builtin_stations("cities-top100")
            try:
                j = int(cities.find([act.city])[0])
            except OrbitcloudError as exc:
                raise OrbitcloudError(f"AddInference.city: {exc}") from None
            name, lat, lon, alt = cities.names[j], cities.lat_rad[j], cities.lon_rad[j], cities.alt_m[j]
        else:
            name = act.name or f"{act.lat_deg:.4f},{act.lon_deg:.4f}"
            one = stations_from_records([{"name": name, "lat_deg": act.lat_deg, "lon_deg": act.lon_deg}], label="AddInference")
            lat, lon, alt = one.lat_rad[0], one.lon_rad[0], one.alt_m[0]
            for i, nm in enumerate(users):
                if norm(nm) == norm(name):
                    return i
        old = self.ns.stations
        names = list(old.names) + [f"user:{name}"]
        stations = Stations.from_geodetic(np.arange(len(names)), names, np.append(old.lat_rad, lat), np.append(old.lon_rad, lon),
                                          np.append(old.alt_m, alt), source=old.source)
        from orbitcloud.network.simulate import setup

        self.ns = setup(self._loaded, self.fleet, stations)
        self.stepper.ns = self.ns
        w_sum = float(self.src_weight.sum())
        lam0 = max(self.lam, 1e-12)
        self.src_weight = np.append(self.src_weight, w_sum * act.rate_per_s / lam0)
        self.n_src += 1
        self.rtt = np.vstack([self.rtt, np.full((1, self.srv.size), np.inf)])
        self.cand_rtt = self.rtt[:, self.cand]
        self.k_routed = -1  # route from the new source at the next step
        return self.n_src - 1

    # ------------------------------------------------------------------ training

    def add_training(self, act, t_s: float) -> str:
        from orbitcloud.ops.training import TrainingJob, training_params
        from orbitcloud.scenario.training_schema import parse_training

        cfg = parse_training(act.job, where="AddTraining.job")
        with_acc = [i for i, d in enumerate(self.designs) if d is not None and d.n_acc > 0 and d.accelerator is not None]
        if cfg.shell is None:
            if not with_acc:
                raise OrbitcloudError("AddTraining.job.shell: no shell has accelerators to train on")
            si = with_acc[0]
        elif cfg.shell not in self.shell_names:
            raise OrbitcloudError(f"AddTraining.job.shell: unknown shell {cfg.shell!r}; shells: {', '.join(self.shell_names)}")
        else:
            si = self.shell_names.index(cfg.shell)
        if si not in with_acc:
            raise OrbitcloudError(f"AddTraining.job.shell: shell {self.shell_names[si]!r} has no accelerators")
        info = self.fleet.shells[si]
        busy = np.zeros(self.n, bool)
        for job in self._train_jobs():
            busy[job["job"].sats] = True
        if self.inf is not None:
            busy[self.srv[self.active]] = True
        free = np.nonzero(~busy[info.start:info.stop] & ~self.safe[info.start:info.stop])[0] + info.start
        count = cfg.count if cfg.count is not None else free.size - cfg.spares
        if count < 1 or count + cfg.spares > free.size:
            raise OrbitcloudError(
                f"AddTraining.job: {count} members + {cfg.spares} spares asked; shell {self.shell_names[si]!r} has "
                f"{free.size} satellites free (not training, serving or in safe mode)")
        d = self.designs[si]
        try:
            params = training_params(cfg, d.accelerator, d.n_acc)
            job = TrainingJob(params, free[:count], free[count:count + cfg.spares], self.seed, self.dt)
        except OrbitcloudError as exc:
            raise OrbitcloudError(f"AddTraining: {exc}") from None
        wid = self._new_id("training")
        entry = {"job": job, "link_override": None if cfg.isl_gbps is None else cfg.isl_gbps * 1e9, "id": wid,
                 "cancelled_s": None, "t_start_s": t_s}
        self.extra_train.append(entry)
        self.work[wid] = {"kind": "training", "entry": entry, "model": cfg.model, "tokens": cfg.tokens, "shell": self.shell_names[si],
                          "members": int(count), "t_start_s": t_s, "cancelled_s": None}
        self._force_replan = True
        return wid

    def _train_jobs(self) -> list[dict]:
        """Every training job still running: the scenario's and those added."""
        out = []
        if self.train is not None:
            out.append({"job": self.train, "link_override": self.train_link_override, "id": None, "cancelled_s": None})
        out += [e for e in self.extra_train if e["cancelled_s"] is None]
        return out

    # ------------------------------------------------------------------ Earth observation

    def add_eo_target(self, act, t_s: float) -> str:
        if self.eo is None:
            raise OrbitcloudError("AddEOTarget: the scenario has no workloads.earth_observation (imaging satellites) to task")
        end_s = self.spec.n_steps * self.dt
        if act.window is not None:
            from orbitcloud.scenario import parse_duration_s

            end_s = min(end_s, t_s + parse_duration_s(act.window))
        wid = self._new_id("eo")
        self.tasking.add(wid, act.lat_deg, act.lon_deg, t_s, end_s, act.name)
        self.work[wid] = {"kind": "eo_target", "t_start_s": t_s, "t_end_s": end_s, "cancelled_s": None}
        return wid

    # ------------------------------------------------------------------ cancelling

    def cancel(self, wid: str, t_s: float) -> None:
        if wid not in self.work:
            known = ", ".join(self.work) or "none added yet"
            raise OrbitcloudError(f"CancelWork.work: no added work {wid!r} (added: {known})")
        w = self.work[wid]
        if w["cancelled_s"] is not None:
            raise OrbitcloudError(f"CancelWork.work: {wid} was cancelled already, at {w['cancelled_s']:g} s")
        w["cancelled_s"] = t_s
        if w["kind"] == "inference":
            w["requests_withdrawn"] = self.pool.cancel_stream(w["stream"])
        elif w["kind"] == "training":
            w["entry"]["cancelled_s"] = t_s
            self._force_replan = True
        else:
            self.tasking.cancel(wid)

    # ------------------------------------------------------------------ reporting

    def work_labels(self) -> np.ndarray:
        """What each satellite is doing now ("" when nothing), for ``Simulation.state()``."""
        out = np.full(self.n, "", dtype=object)

        def add(sats, text):
            for s in np.asarray(sats, np.int64).tolist():
                out[s] = text if not out[s] else f"{out[s]} + {text}"

        if self.inf is not None:
            busy = self.pool.busy()
            add(self.srv[self.active & busy], "inference (serving)")
            add(self.srv[self.active & ~busy], "inference (ready)")
        for job in self._train_jobs():
            add(job["job"].sats, f"training {job['id'] or 'job'}")
        if self.eo is not None:
            add(self.eo_sats, "imaging")
        if self.batch is not None:
            add(self.batch_sats[self.dem_batch > 0.0], "batch")
        return out

    def added_summary(self) -> list[dict]:
        """Per added work: what was asked and what the twin delivered (``docs/python.md``)."""
        out = []
        for wid, w in self.work.items():
            row = {"work": wid, "kind": w["kind"], "t_start_s": w["t_start_s"], "cancelled_s": w["cancelled_s"]}
            if w["kind"] == "inference":
                row.update({k: w[k] for k in ("source", "rate_per_s", "in_tokens", "out_tokens", "t_end_s")})
                row["requests_withdrawn"] = w.get("requests_withdrawn", 0)
                row.update(self._stream_figures(w["stream"]))
            elif w["kind"] == "training":
                s = w["entry"]["job"].summary()
                row.update({"model": w["model"], "shell": w["shell"], "members": w["members"], "tokens_target": s["tokens_target"],
                            "tokens_trained": s["tokens_trained"], "done": s["done"], "time_to_train_s": s["time_to_train_s"],
                            "goodput": s["goodput"]})
            else:
                row.update(self.tasking.summary(wid))
            out.append(row)
        return out

    def stream_totals(self) -> dict[str, np.ndarray]:
        """Per request stream (index = stream number; 0: the scenario's own requests), over every
        request so far: ``served``, ``pending``, ``unreachable`` requests and the ``tokens_in`` and
        ``tokens_out`` of the served ones (for metering: one pass over the requests)."""
        from orbitcloud.ops.inference import PENDING, SERVED, UNREACHABLE

        n_streams = self._work_count["inference"] + 1
        if self.inf is None:
            z = np.zeros(n_streams)
            return {"served": z, "pending": z, "unreachable": z, "tokens_in": z, "tokens_out": z}
        p = self.pool
        st = p.status
        stream = p.stream[: st.size]
        served = st == SERVED

        def count(mask, weights=None):
            return np.bincount(stream[mask], weights=None if weights is None else weights[mask], minlength=n_streams)[:n_streams]

        return {"served": count(served), "pending": count(st == PENDING), "unreachable": count(st == UNREACHABLE),
                "tokens_in": count(served, p.in_tok[: st.size].astype(np.float64)),
                "tokens_out": count(served, p.out_tok[: st.size].astype(np.float64))}

    def _stream_figures(self, stream: int) -> dict:
        from orbitcloud.ops.inference import PENDING, SERVED, UNREACHABLE

        p = self.pool
        m = p.stream[: p.status.size] == stream
        st = p.status[m]
        served = st == SERVED
        ttft = (p.rtt_s + (p.t_first - p.t_arr))[m]
        tpot = ((p.t_done - p.t_first) / np.maximum(p.out_tok - 1, 1))[m]

        def pct(a, q):
            a = a[served & np.isfinite(a)]
            return round(float(np.percentile(a, q)), 6) if a.size else None

        return {"requests": int(m.sum()), "served": int(served.sum()), "pending": int((st == PENDING).sum()),
                "unreachable": int((st == UNREACHABLE).sum()), "tokens_out": int(p.out_tok[m][served].sum()),
                "tokens_in": int(p.in_tok[m][served].sum()),
                "ttft_s_p50": pct(ttft, 50), "ttft_s_p99": pct(ttft, 99), "tpot_s_p50": pct(tpot, 50), "tpot_s_p99": pct(tpot, 99)}
