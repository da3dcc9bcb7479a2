"""The service's live twin: one :class:`~orbitcloud.sim.Simulation`, its clock, and the orders on it.

What happens at each tick (``advance_to``), under one lock:

1. **Start queued orders** (in the order they were accepted): each becomes a twin action
   (:mod:`orbitcloud.sim.actions`: an inference stream from the customer's place, a training job,
   an Earth-observation target; a reservation of accelerator-hours needs no action) applied at the
   current step; the action, its step and the order's new status ``running`` are committed together.
2. **Advance** the twin by at most :attr:`TwinHost.chunk_steps` steps.
3. **Meter** every running order from what the twin delivered (tokens served, accelerator-seconds,
   bytes delivered), write usage events, capture their price from the order's hold, and end orders
   whose work is done (the rest of the hold released; a credit note when the plan's promise was
   missed). The clock's new step is committed in the same transaction.

Crash recovery (``restore``): the twin is deterministic, so a new process rebuilds it by replaying
the persisted actions and operator TT&C commands at their steps and advancing to the persisted clock
step; the metering state is in the orders' rows. With the TT&C layer, each tick's transaction also
writes the telemetry the ground received (``orbitcloud.service.ttc_ops``). A tick whose database
transaction fails rolls the twin back the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import time
from types import SimpleNamespace
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select, update

from orbitcloud.errors import OrbitcloudError
from orbitcloud.service import db as T
from orbitcloud.service.ledger import SYS_CREDIT_NOTES, SYS_HOLDS, SYS_REVENUE, Posting, lock_head, now_iso, post
from orbitcloud.service.planning import Planner, iso
from orbitcloud.service.pricing import PriceList, micro
from orbitcloud.service.ttc_ops import TtcOps

#: Inference orders end at most this long after their stream's last request [s] (pending ones unbilled).
INFERENCE_GRACE_S = 3600.0
#: The twin is metered at least this often [s of simulated time] (orders end at a chunk boundary).
CHUNK_S = 300.0
#: Running reservations are written (usage events, charges) at least this often [s of simulated
#: time], and whenever one ends; in between they are metered in memory.
FLUSH_S = 3600.0
#: Completion this much later than promised (share of the planned duration, at least one step) is a miss.
LATE_SLACK = 0.10


class TwinHost(Planner, TtcOps):
    """Owns the simulation (see the module docstring).

    Args:
        scenario: as :class:`~orbitcloud.sim.Simulation`.
        database: a :class:`~orbitcloud.service.db.Database` (migrated).
        horizon: how far the twin may run (a duration; default the scenario's ``service.horizon_s``).
        options: more :class:`~orbitcloud.sim.Simulation` options (``propagator``, ``step`` ...).
    """

    def __init__(self, scenario: Any, database, horizon: Any = None, **options: Any) -> None:
        from orbitcloud.scenario import load_scenario
        from orbitcloud.sim import Simulation

        self.db = database
        self.scenario_arg = scenario
        loaded = load_scenario(scenario) if not isinstance(scenario, dict) else None
        spec = loaded.scenario.service if loaded is not None else None
        from orbitcloud.scenario.service_schema import Service

        self.service = spec or Service()
        self.prices = PriceList(self.service.prices)
        self.options = dict(options)
        self.options.setdefault("duration", horizon if horizon is not None else self.service.horizon_s)
        self.options.setdefault("workers", 1)
        self._Simulation = Simulation
        self.lock = threading.RLock()
        self._plan_lock = threading.Lock()
        self._pos_cache = None
        self._plan_positions = None
        self._ahead_s: dict[str, float] = {}
        self._fixed: dict[str, tuple[dict, dict]] = {}  # order id -> (request, plan), parsed once
        self._res: dict[str, dict] = {}  # running reservations metered in memory between writes
        self._ttc_cursor = 0  # the TT&C layer's archive written to the database up to here
        self._ttc_touched = False  # an operator command was given to the live twin (restore rebuilds it)
        self.sim = Simulation(scenario, **self.options)
        self.name = self.sim.loaded.scenario.name
        self.chunk_steps = max(1, int(round(CHUNK_S / self.sim.step_s)))
        self.wall_in_sim_s = 0.0
        self._acc_prev: np.ndarray | None = None
        self.restore()

    # ------------------------------------------------------------------ time

    @property
    def now(self) -> dt.datetime:
        return self.sim.now

    def t_iso(self, k: int | None = None) -> str:
        k = self.sim.k if k is None else k
        return iso(self.sim.start + dt.timedelta(seconds=k * self.sim.step_s))

    def steps_for(self, duration_s: float) -> int:
        return min(self.sim.steps - self.sim.k, int(math.ceil(duration_s / self.sim.step_s - 1e-9)))

    # ------------------------------------------------------------------ restore

    def restore(self) -> None:
        """Rebuild the twin from the database (actions and operator TT&C commands replayed at their
        steps, then the clock)."""
        with self.lock:
            with self.db.read() as conn:
                clock = conn.execute(select(T.twin_clock).where(T.twin_clock.c.id == 1)).first()
                acts = conn.execute(select(T.twin_actions).order_by(T.twin_actions.c.seq)).all()
                cmds = conn.execute(select(T.ttc_commands).order_by(T.ttc_commands.c.seq)).all()
            if clock is not None and clock.scenario != self.name:
                raise OrbitcloudError(f"the database belongs to scenario {clock.scenario!r}, not {self.name!r}: "
                                      "serve that scenario or give another --db")
            if cmds and self.sim._ttc is None:
                raise OrbitcloudError(f"the database holds {len(cmds)} TT&C command(s) but this twin has no TT&C layer: "
                                      "serve with --ttc (or a scenario with a ttc: section)")
            if self.sim.k > 0 or self.sim.actions or self._ttc_touched:
                self.sim.close()
                self.sim = self._Simulation(self.scenario_arg, **self.options)
            self._ttc_touched = False
            from orbitcloud.sim import actions as A

            # the twin's actions and the operator's commands in step order (at one step they do not
            # interact: a command only queues on the ground; each kind keeps its own order)
            todo = sorted([(int(a.step), 0, int(a.seq), a) for a in acts] + [(int(c.step), 1, int(c.seq), c) for c in cmds],
                          key=lambda x: x[:3])
            for step, kind, _seq, a in todo:
                if step > self.sim.k:
                    self.sim.advance(steps=step - self.sim.k)
                if kind == 1:
                    self._replay_ttc(a)
                    continue
                d = json.loads(a.action_json)
                self.sim.act(A.ACTIONS[d["kind"]](**d["fields"]))
            k = 0 if clock is None else int(clock.step)
            if k > self.sim.k:
                self.sim.advance(steps=k - self.sim.k)
            # the archive up to the persisted step is in the database already (written with its tick)
            self._ttc_cursor = self.sim._ttc.archive_since(0)[1] if self.sim._ttc is not None else 0
            if clock is None:
                with self.db.write() as conn:
                    conn.execute(insert(T.twin_clock).values(id=1, scenario=self.name, step=0, updated_at=now_iso()))
            self._acc_prev = None
            self._shell_acc_delta()  # the meter's baseline: what the shells delivered up to now
            self._res = {}
            with self.db.read() as conn:
                rows = T.run(conn, "SELECT id, metered_json FROM orders WHERE status = 'running' AND product = 'accelerator_hours'").all()
                self._fill_fixed(conn, [SimpleNamespace(id=r.id) for r in rows])
            for r in rows:
                self._track(r.id, json.loads(r.metered_json))

    def _track(self, oid: str, metered: dict) -> None:
        """Meter a running reservation in memory from now on (see ``_meter_reservations``)."""
        req, _plan = self._fixed[oid]
        _i, info, _d = self._shell_info(req.get("shell"))
        self._res[oid] = {"shell": info.name, "quantity_s": req["quantity"] * 3600.0, "window_s": float(req["window"]),
                          "t_start_s": float(metered.get("t_start_s", 0.0)), "acc_s": float(metered.get("accelerator_s", 0.0)),
                          "flushed_k": self.sim.k}

    # ------------------------------------------------------------------ ticks

    def advance_to(self, k_to: int) -> None:
        """Run the clock to step ``k_to`` (see the module docstring)."""
        with self.lock:
            k_to = min(int(k_to), self.sim.steps)
            self._start_queued()
            while self.sim.k < k_to:
                k_next = min(k_to, self.sim.k + self.chunk_steps)
                t0 = time.perf_counter()
                self.sim.advance(steps=k_next - self.sim.k)
                self.wall_in_sim_s += time.perf_counter() - t0
                try:
                    self._meter()
                except Exception:
                    self.restore()
                    raise
                self._start_queued()

    def advance(self, duration_s: float) -> None:
        with self.lock:
            self.advance_to(self.sim.k + self.steps_for(duration_s))

    def _start_queued(self) -> None:
        if not self._queued_hint():
            return
        applied, started = [], []
        try:
            with self.db.write() as conn:
                lock_head(conn)
                b = Batch()
                queued = [_ns(r) for r in conn.execute(select(T.orders).where(T.orders.c.status == "queued").order_by(T.orders.c.seq))]
                for o in queued:
                    req = json.loads(o.request_json)
                    if req.get("start") and req["start"] > self.t_iso():
                        continue  # a reservation whose window has not opened yet
                    action, meter0 = self._action_for(o.product, req)
                    work_id, err = None, None
                    if action is not None:
                        try:
                            work_id = self.sim.act(action)
                            applied.append(action)
                        except OrbitcloudError as exc:
                            err = str(exc)
                    if err is not None:
                        self._end(b, o, "failed", reason=err[:300])
                        continue
                    if action is not None:
                        b.actions.append({"step": self.sim.k, "order_id": o.id,
                                          "action_json": json.dumps({"kind": action.kind, "fields": _fields(action)})})
                    metered = json.loads(o.metered_json)
                    metered.update(meter0)
                    o.status, o.work_id, o.sim_started, o.metered_json = "running", work_id, self.t_iso(), json.dumps(metered)
                    b.touch(o)
                    if o.product == "accelerator_hours":
                        self._fixed.setdefault(o.id, (req, json.loads(o.plan_json)))
                        started.append((o.id, metered))
                    b.events.append({"order_id": o.id, "status": "running", "at": now_iso(), "sim_time": self.t_iso(), "note": None})
                b.flush(conn)
            for oid, metered in started:  # committed: meter them from the next tick
                self._track(oid, metered)
        except Exception:
            if applied:
                self.restore()
            raise

    def _queued_hint(self) -> bool:
        """Whether an order may be waiting to start (a cheap count; the write transaction re-reads)."""
        with self.db.read() as conn:
            n = conn.execute(select(func.count()).select_from(T.orders).where(T.orders.c.status == "queued")).scalar_one()
        return n > 0

    def _action_for(self, product: str, req: dict):
        """(the twin action, initial metering state) of an order's work."""
        from orbitcloud.sim import actions as A

        if product == "inference":
            place = {"city": req.get("city")} if req.get("city") else {"lat_deg": req["lat_deg"], "lon_deg": req["lon_deg"]}
            act = A.AddInference(rate_per_s=req["rate_per_s"], in_tokens=req["in_tokens"], out_tokens=req["out_tokens"],
                                 duration=req["duration"], **place)
            return act, {"input_tokens": 0, "output_tokens": 0, "twin_charged_micro": 0}
        if product == "training":
            _i, info, _d = self._shell_info(req.get("shell"))
            return A.AddTraining(job=self._training_job(_Obj(req), info.name)), {"accelerator_s": 0.0, "twin_charged_micro": 0}
        if product == "eo_task":
            return A.AddEOTarget(lat_deg=req["lat_deg"], lon_deg=req["lon_deg"], window=req["window"], name=req.get("name")), \
                {"tasks": 0, "bytes": 0, "twin_charged_micro": 0}
        # accelerator-hours: metered from the shell's delivered accelerator time from now
        return None, {"accelerator_s": 0.0, "twin_charged_micro": 0, "t_start_s": self.sim.k * self.sim.step_s}

    def _meter(self) -> None:
        k = self.sim.k
        t_s = k * self.sim.step_s
        ctl = self._ctl()
        acc_delta = self._shell_acc_delta()
        with self.db.write() as conn:
            lock_head(conn)
            cols = "id, seq, account_id, product, hold_micro, charged_micro, credited_micro, status, work_id, metered_json, reason, sim_started, sim_ended"
            running = [_ns(r) for r in T.run(conn, f"SELECT {cols} FROM orders WHERE status = 'running' AND product != 'accelerator_hours' ORDER BY seq")]
            self._fill_fixed(conn, running)
            streams = ctl.stream_totals() if ctl is not None and any(o.product == "inference" for o in running) else None
            b = Batch()
            for o in running:
                self._meter_one(b, o, t_s, streams)
            due = self._share_reservations(acc_delta, t_s)
            if due:
                rows = []
                for i in range(0, len(due), 500):
                    part = {f"i{j}": v for j, v in enumerate(due[i:i + 500])}
                    rows += [_ns(r) for r in T.run(conn, f"SELECT {cols} FROM orders WHERE id IN ({', '.join(':' + x for x in part)})", part)]
                self._fill_fixed(conn, rows)
                self._meter_reservations(b, rows, t_s)
            b.flush(conn)
            ttc_cursor = self._ttc_flush(conn)
            conn.execute(update(T.twin_clock).where(T.twin_clock.c.id == 1).values(step=k, updated_at=now_iso()))
        if ttc_cursor is not None:  # committed with the clock's step
            self._ttc_cursor = ttc_cursor
        for oid in [oid for oid, r in self._res.items() if r.get("ended")]:
            del self._res[oid]
        ahead: dict[str, float] = {}
        for r in self._res.values():
            ahead[r["shell"]] = ahead.get(r["shell"], 0.0) + max(r["quantity_s"] - r["acc_s"], 0.0)
        self._ahead_s = ahead

    def _fill_fixed(self, conn, orders: list) -> None:
        """Give each order its request and plan (parsed once: they never change after creation)."""
        missing = [o.id for o in orders if o.id not in self._fixed]
        for i in range(0, len(missing), 500):
            part = missing[i:i + 500]
            names = {f"i{j}": v for j, v in enumerate(part)}
            rows = T.run(conn, f"SELECT id, request_json, plan_json FROM orders WHERE id IN ({', '.join(':' + k for k in names)})", names)
            for r in rows:
                self._fixed[r.id] = (json.loads(r.request_json), json.loads(r.plan_json))
        for o in orders:
            o.req, o.plan = self._fixed[o.id]

    def _shell_acc_delta(self) -> dict[str, float]:
        """Accelerator-seconds each shell delivered since the last meter."""
        e = self.sim.compute_delivered_j()
        p_acc = self.sim._bus.p["p_acc_w"] if self.sim._bus is not None else np.zeros(e.size)
        n_acc = self.sim._bus.p["n_acc"] if self.sim._bus is not None else np.zeros(e.size)
        acc_s = np.divide(e, p_acc, out=np.zeros(e.size), where=(p_acc > 0) & (n_acc > 0))
        prev = self._acc_prev if self._acc_prev is not None else acc_s
        self._acc_prev = acc_s
        out = {}
        for info in self.sim.fleet.shells:
            out[info.name] = float(acc_s[info.start:info.stop].sum() - prev[info.start:info.stop].sum())
        return out

    def _charge(self, b: "Batch", o, metered: dict, cum_price: float, metrics: dict) -> None:
        """Usage events for ``metrics`` (metric -> quantity this tick) and the capture of the price's
        increase (never past the hold); updates ``o.charged_micro``."""
        want = micro(cum_price) if cum_price > 0 else 0
        room = int(o.hold_micro) - int(o.charged_micro)
        delta = max(0, min(want - int(metered.get("twin_charged_micro", 0)), room))
        items = [(mname, q) for mname, q in metrics.items() if q > 0]
        total_q = sum(q for _m, q in items)
        left = delta
        now, sim_t = now_iso(), self.t_iso()
        for j, (mname, q) in enumerate(items):
            c = left if j == len(items) - 1 else int(delta * q / total_q)
            left -= c
            b.usage.append({"order_id": o.id, "account_id": o.account_id, "metric": mname, "quantity": float(q), "credits_micro": int(c),
                            "sim_time": sim_t, "source": "twin", "created_at": now})
        if delta > 0:
            b.postings.append(Posting("capture", [(SYS_HOLDS, -delta), (SYS_REVENUE, delta)], f"usage of order {o.id}", o.id, sim_t))
        metered["twin_charged_micro"] = int(metered.get("twin_charged_micro", 0)) + delta
        o.charged_micro = int(o.charged_micro) + delta

    def _late(self, plan: dict) -> str | None:
        exp = dt.datetime.fromisoformat(plan["expected_completion"].replace("Z", "+00:00"))
        start = dt.datetime.fromisoformat(plan["earliest_start"].replace("Z", "+00:00"))
        slack = max(LATE_SLACK * (exp - start).total_seconds(), self.chunk_steps * self.sim.step_s)
        if (self.now - exp).total_seconds() > slack:
            return f"completed at {self.t_iso()}, promised by {plan['expected_completion']}"
        return None

    def _meter_one(self, b: "Batch", o, t_s: float, streams) -> None:
        m = json.loads(o.metered_json)
        plan = o.plan
        ctl = self._ctl()
        done, status, reason, late = False, "completed", None, None
        if o.product == "inference":
            w = ctl.work[o.work_id]
            s = w["stream"]
            tin, tout = float(streams["tokens_in"][s]), float(streams["tokens_out"][s])
            p_in, p_out = plan["detail"]["price_per_m_input"], plan["detail"]["price_per_m_output"]
            self._charge(b, o, m, (tin * p_in + tout * p_out) / 1e6, {"input_tokens": tin - m["input_tokens"], "output_tokens": tout - m["output_tokens"]})
            m.update(input_tokens=tin, output_tokens=tout, served=int(streams["served"][s]), pending=int(streams["pending"][s]),
                     unreachable=int(streams["unreachable"][s]))
            end_s = w["t_end_s"] if w["cancelled_s"] is None else w["cancelled_s"]
            if t_s >= end_s and (m["pending"] == 0 or t_s >= end_s + INFERENCE_GRACE_S):
                done = True
                fig = ctl._stream_figures(s)
                m.update(ttft_s_p50=fig["ttft_s_p50"], ttft_s_p99=fig["ttft_s_p99"], tpot_s_p50=fig["tpot_s_p50"])
                promise = plan.get("latency_s_promise")
                if promise is not None and fig["ttft_s_p99"] is not None and fig["ttft_s_p99"] > promise:
                    late = f"p99 time to first token {fig['ttft_s_p99']:.3f} s > promised {promise:.3f} s"
        elif o.product == "training":
            e = ctl.work[o.work_id]
            summ = e["entry"]["job"].summary()
            d = self._shell_info(e["shell"])[2]
            acc_s = e["members"] * d.n_acc * (t_s - e["t_start_s"])
            self._charge(b, o, m, acc_s / 3600.0 * self.prices.accelerator_hour(d.accelerator), {"accelerator_s": acc_s - m["accelerator_s"]})
            m.update(accelerator_s=acc_s, tokens_trained=float(summ["tokens_trained"]), tokens_target=float(summ["tokens_target"]))
            if summ["done"] or o.charged_micro >= o.hold_micro:
                done = True
                if not summ["done"]:
                    status, reason = "failed", "the hold is spent before the target was reached (charged for the time used)"
        else:  # eo_task
            s = ctl.tasking.summary(o.work_id)
            if s["status"] == "delivered":
                price = self.prices.eo_task() + s["product_b"] / 1e9 * self.prices.downlink_per_gb()
                self._charge(b, o, m, price, {"tasks": 1, "bytes": s["product_b"]})
                m.update(tasks=1, bytes=s["product_b"], satellite=s["satellite"], captured_s=s["captured_s"], delivered_s=s["delivered_s"])
                done = True
            elif s["status"] in ("expired", "cancelled"):
                done, status, reason = True, "failed", f"target not imaged within the window ({s['status']})"
        if done and status == "completed" and late is None:
            late = self._late(plan)
        self._save(b, o, m, done, status, reason, late)

    def _share_reservations(self, acc_delta: dict[str, float], t_s: float) -> list[str]:
        """Share each shell's delivered accelerator-seconds among its running reservations, in
        proportion to what each still needs (none gets more than it needs), in memory; returns the
        ids to write now: those done (full or window over) and those not written for
        ``FLUSH_S`` of simulated time."""
        by_shell: dict[str, list[str]] = {}
        for oid, r in self._res.items():
            by_shell.setdefault(r["shell"], []).append(oid)
        due = []
        flush_steps = max(1, int(round(FLUSH_S / self.sim.step_s)))
        for shell, ids in by_shell.items():
            need = np.array([max(self._res[i]["quantity_s"] - self._res[i]["acc_s"], 0.0) for i in ids])
            give = np.zeros(need.size)
            left = max(acc_delta.get(shell, 0.0), 0.0)
            active = need > 0
            while left > 1e-9 and active.any():  # water-filling: at most len(ids) rounds
                share = left * need[active] / need[active].sum()
                add = np.minimum(share, need[active] - give[active])
                give[active] += add
                left -= float(add.sum())
                active = active & (need - give > 1e-9)
                if float(add.sum()) <= 1e-12:
                    break
            for j, oid in enumerate(ids):
                r = self._res[oid]
                r["acc_s"] += float(give[j])
                r["full"] = r["acc_s"] >= r["quantity_s"] - 1e-6
                r["done"] = r["full"] or t_s - r["t_start_s"] >= r["window_s"]
                if r["done"] or self.sim.k - r["flushed_k"] >= flush_steps:
                    due.append(oid)
        return due

    def _meter_reservations(self, b: "Batch", rows: list, t_s: float) -> None:
        """Write the due reservations: usage and charges since their last write; end the done ones."""
        for o in rows:
            r = self._res.get(o.id)
            if r is None:
                continue
            if o.status != "running":  # ended elsewhere (cancelled) since the tick began
                r["ended"] = True
                continue
            req, plan = o.req, o.plan
            d = self._shell_info(req.get("shell"))[2]
            m = json.loads(o.metered_json)
            acc_s = r["acc_s"]
            d_acc = acc_s - m["accelerator_s"]
            self._charge(b, o, m, acc_s / 3600.0 * self.prices.accelerator_hour(d.accelerator), {"accelerator_s": d_acc})
            if d_acc > 0:  # the energy those accelerator-seconds drew from the bus (metered, not priced)
                b.usage.append({"order_id": o.id, "account_id": o.account_id, "metric": "energy_kwh",
                                "quantity": d_acc * float(d.p_acc_w) / 3.6e6, "credits_micro": 0, "sim_time": self.t_iso(),
                                "source": "twin", "created_at": now_iso()})
            m["accelerator_s"] = acc_s
            m["energy_kwh"] = acc_s * float(d.p_acc_w) / 3.6e6
            r["flushed_k"] = self.sim.k
            reason, late = None, None
            if r["done"] and not r["full"]:
                reason = late = f"window ended with {acc_s / 3600:.4f} of {req['quantity']:g} accelerator-hours delivered (charged for those)"
            elif r["done"]:
                late = self._late(plan)
            if r["done"]:
                r["ended"] = True
            self._save(b, o, m, r["done"], "completed", reason, late)

    def _save(self, b: "Batch", o, m: dict, done: bool, status: str, reason: str | None, late: str | None) -> None:
        text = json.dumps(m)
        if text != o.metered_json:
            o.metered_json = text
            b.touch(o)
        if done:
            self._end(b, o, status, reason=reason, late=late)

    def _end(self, b: "Batch", o, status: str, reason: str | None = None, late: str | None = None) -> None:
        """End an order: release what its hold has left; a credit note when a promise was missed."""
        sim_t = self.t_iso()
        rest = int(o.hold_micro) - int(o.charged_micro)
        if rest > 0:
            b.postings.append(Posting("release", [(SYS_HOLDS, -rest), (o.account_id, rest)], f"release of order {o.id} ({status})", o.id, sim_t))
        credited = 0
        if late is not None and int(o.charged_micro) > 0 and self.service.sla_credit_fraction > 0:
            credited = int(round(int(o.charged_micro) * float(self.service.sla_credit_fraction)))
            if credited > 0:
                b.postings.append(Posting("credit_note", [(SYS_CREDIT_NOTES, -credited), (o.account_id, credited)],
                                          f"credit note for order {o.id}: {late}"[:300], o.id, sim_t))
        o.status, o.sim_ended, o.credited_micro = status, sim_t, credited
        self._fixed.pop(o.id, None)
        o.reason = reason if reason is not None else late
        b.touch(o)
        b.events.append({"order_id": o.id, "status": status, "at": now_iso(), "sim_time": sim_t, "note": (reason or late or None)})

    # ------------------------------------------------------------------ cancel

    def cancel(self, order_id: str) -> None:
        """Cancel an order now: a queued one ends at once; a running one stops its twin work, is metered
        to now and ends (the rest of its hold released)."""
        from orbitcloud.sim import actions as A

        with self.lock:
            applied = False
            try:
                with self.db.write() as conn:
                    lock_head(conn)
                    o = _ns(conn.execute(select(T.orders).where(T.orders.c.id == order_id)).one())
                    if o.status not in ("accepted", "queued", "running"):
                        raise OrbitcloudError(f"order {order_id} is {o.status}; only open orders can be cancelled")
                    b = Batch()
                    if o.status == "running" and o.work_id is not None:
                        act = A.CancelWork(work=o.work_id)
                        self.sim.act(act)
                        applied = True
                        b.actions.append({"step": self.sim.k, "order_id": o.id, "action_json": json.dumps({"kind": act.kind, "fields": _fields(act)})})
                    r = self._res.get(o.id)
                    if r is not None:  # charge what it was delivered since its last write, then end it
                        self._fill_fixed(conn, [o])
                        d = self._shell_info(o.req.get("shell"))[2]
                        m = json.loads(o.metered_json)
                        self._charge(b, o, m, r["acc_s"] / 3600.0 * self.prices.accelerator_hour(d.accelerator),
                                     {"accelerator_s": r["acc_s"] - m["accelerator_s"]})
                        m["accelerator_s"] = r["acc_s"]
                        o.metered_json = json.dumps(m)
                    self._end(b, o, "cancelled", reason="cancelled by the customer")
                    b.flush(conn)
                self._res.pop(order_id, None)
            except Exception:
                if applied:
                    self.restore()
                raise

    # ------------------------------------------------------------------ fleet view

    def fleet(self) -> dict:
        """A compact view of the fleet now (for the console and ``GET /v1/fleet``)."""
        with self.lock:
            tab = self.sim.state()
            cols = ("name", "shell", "lat_deg", "lon_deg", "alt_km", "sunlit", "soc", "temperature_c", "compute_w", "nameplate_ops_per_s",
                    "compute_ops_per_s", "devices_up", "devices", "work")
            data = {c: tab.column(c).to_pylist() for c in cols}
            now = self.t_iso()
        n = len(data["name"])

        def clean(v):
            return None if isinstance(v, float) and not math.isfinite(v) else (round(v, 4) if isinstance(v, float) else v)

        rows = [{c: clean(data[c][i]) for c in cols} for i in range(min(n, 2000))]
        lit = sum(1 for v in data["sunlit"] if v)
        used = sum(v for v in data["compute_ops_per_s"] if isinstance(v, float) and math.isfinite(v))
        cap = sum(v for v in data["nameplate_ops_per_s"] if isinstance(v, float) and math.isfinite(v))
        return {"sim_time": now, "satellites": n, "sunlit": lit, "compute_share": (used / cap) if cap > 0 else 0.0,
                "rows": rows, "truncated": n > len(rows)}


#: The columns of an order a tick may change (written back with one executemany).
_MUTABLE = ("status", "work_id", "metered_json", "charged_micro", "credited_micro", "reason", "sim_started", "sim_ended")


class Batch:
    """What one tick writes, collected and then written in a few statements (``flush``)."""

    def __init__(self) -> None:
        self.usage: list[dict] = []
        self.events: list[dict] = []
        self.actions: list[dict] = []
        self.postings: list[Posting] = []
        self.dirty: dict[str, SimpleNamespace] = {}

    def touch(self, o: SimpleNamespace) -> None:
        self.dirty[o.id] = o

    def flush(self, conn) -> None:
        from sqlalchemy import bindparam

        if self.actions:
            conn.execute(insert(T.twin_actions), self.actions)
        if self.usage:
            conn.execute(insert(T.usage_events), self.usage)
        if self.dirty:
            now = now_iso()
            stmt = update(T.orders).where(T.orders.c.id == bindparam("b_id")).values(
                {c: bindparam(f"b_{c}") for c in _MUTABLE} | {"updated_at": bindparam("b_updated_at")})
            conn.execute(stmt, [{"b_id": o.id, "b_updated_at": now, **{f"b_{c}": getattr(o, c) for c in _MUTABLE}}
                                for o in self.dirty.values()])
        if self.events:
            conn.execute(insert(T.order_events), self.events)
        post(conn, self.postings, guard=False)


def _ns(row) -> SimpleNamespace:
    return SimpleNamespace(**row._mapping)


class _Obj:
    """Attribute access over a stored request (for rebuilding an order's work)."""

    def __init__(self, d: dict) -> None:
        self.job = d.get("job") or {}
        self.model = d.get("model")
        self.tokens = d.get("tokens")
        self.count = d.get("count")


def _fields(action) -> dict:
    import dataclasses

    out = {}
    for f in dataclasses.fields(action):
        v = getattr(action, f.name)
        out[f.name] = list(v) if isinstance(v, tuple) else v
    return out
