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
the persisted actions at their steps and advancing to the persisted clock step; the metering state
is in the orders' rows. A tick whose database transaction fails rolls the twin back the same way.
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
from sqlalchemy import insert, select, update

from orbitcloud.errors import OrbitcloudError
from orbitcloud.service import db as T
from orbitcloud.service.ledger import SYS_CREDIT_NOTES, SYS_HOLDS, SYS_REVENUE, Posting, lock_head, now_iso, post
from orbitcloud.service.planning import Planner, iso
from orbitcloud.service.pricing import PriceList, micro

#: Inference orders end at most this long after their stream's last request [s] (pending ones unbilled).
INFERENCE_GRACE_S = 3600.0
#: The twin is metered at least this often [s of simulated time] (orders end at a chunk boundary).
CHUNK_S = 300.0
#: Completion this much later than promised (share of the planned duration, at least one step) is a miss.
LATE_SLACK = 0.10


class TwinHost(Planner):
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
        """Rebuild the twin from the database (actions replayed at their steps, then the clock)."""
        with self.lock:
            with self.db.read() as conn:
                clock = conn.execute(select(T.twin_clock).where(T.twin_clock.c.id == 1)).first()
                acts = conn.execute(select(T.twin_actions).order_by(T.twin_actions.c.seq)).all()
            if clock is not None and clock.scenario != self.name:
                raise OrbitcloudError(f"the database belongs to scenario {clock.scenario!r}, not {self.name!r}: "
                                      "serve that scenario or give another --db")
            if self.sim.k > 0:
                self.sim.close()
                self.sim = self._Simulation(self.scenario_arg, **self.options)
            from orbitcloud.sim import actions as A

            for a in acts:
                if a.step > self.sim.k:
                    self.sim.advance(steps=a.step - self.sim.k)
                d = json.loads(a.action_json)
                self.sim.act(A.ACTIONS[d["kind"]](**d["fields"]))
            k = 0 if clock is None else int(clock.step)
            if k > self.sim.k:
                self.sim.advance(steps=k - self.sim.k)
            if clock is None:
                with self.db.write() as conn:
                    conn.execute(insert(T.twin_clock).values(id=1, scenario=self.name, step=0, updated_at=now_iso()))
            self._acc_prev = None
            self._shell_acc_delta()  # the meter's baseline: what the shells delivered up to now

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
        with self.db.read() as conn:
            queued = [_ns(r) for r in conn.execute(select(T.orders).where(T.orders.c.status == "queued").order_by(T.orders.c.seq))]
        if not queued:
            return
        applied = []
        try:
            with self.db.write() as conn:
                lock_head(conn)
                postings = []
                for o in queued:
                    cur = conn.execute(select(T.orders.c.status).where(T.orders.c.id == o.id)).scalar_one()
                    if cur != "queued":
                        continue
                    req = json.loads(o.request_json)
                    action, meter0 = self._action_for(o.product, req)
                    work_id, err = None, None
                    if action is not None:
                        try:
                            work_id = self.sim.act(action)
                            applied.append(action)
                        except OrbitcloudError as exc:
                            err = str(exc)
                    if err is not None:
                        self._end(conn, o, "failed", postings, {}, reason=err[:300])
                        continue
                    if action is not None:
                        conn.execute(insert(T.twin_actions).values(step=self.sim.k, order_id=o.id,
                                                                   action_json=json.dumps({"kind": action.kind, "fields": _fields(action)})))
                    metered = json.loads(o.metered_json)
                    metered.update(meter0)
                    conn.execute(update(T.orders).where(T.orders.c.id == o.id).values(
                        status="running", work_id=work_id, sim_started=self.t_iso(), updated_at=now_iso(), metered_json=json.dumps(metered)))
                    conn.execute(insert(T.order_events).values(order_id=o.id, status="running", at=now_iso(), sim_time=self.t_iso()))
                post(conn, postings, guard=False)
        except Exception:
            if applied:
                self.restore()
            raise

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
        with self.db.read() as conn:
            running = [_ns(r) for r in conn.execute(select(T.orders).where(T.orders.c.status == "running").order_by(T.orders.c.seq))]
        k = self.sim.k
        t_s = k * self.sim.step_s
        ctl = self._ctl()
        streams = ctl.stream_totals() if ctl is not None and any(o.product == "inference" for o in running) else None
        acc_delta = self._shell_acc_delta()
        with self.db.write() as conn:
            lock_head(conn)
            postings: list[Posting] = []
            reserved = {}
            for o in running:
                if o.product == "accelerator_hours":
                    req = json.loads(o.request_json)
                    _i, info, d = self._shell_info(req.get("shell"))
                    m = json.loads(o.metered_json)
                    reserved.setdefault(info.name, []).append((o, req, m, d))
            for o in running:
                cur = conn.execute(select(T.orders.c.status, T.orders.c.charged_micro).where(T.orders.c.id == o.id)).one()
                if cur.status != "running":
                    continue
                o.charged_micro = cur.charged_micro
                if o.product == "accelerator_hours":
                    continue
                self._meter_one(conn, o, t_s, streams, postings)
            for shell, items in reserved.items():
                self._meter_reservations(conn, items, acc_delta.get(shell, 0.0), t_s, postings)
            post(conn, postings, guard=False)
            conn.execute(update(T.twin_clock).where(T.twin_clock.c.id == 1).values(step=k, updated_at=now_iso()))

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

    def _charge(self, conn, o, metered: dict, cum_price: float, postings, metrics: dict, t_s: float) -> int:
        """Usage events for ``metrics`` (metric -> quantity this tick) and the capture of the price's
        increase; returns the new charged total [micro-credits]."""
        want = micro(cum_price) if cum_price > 0 else 0
        room = int(o.hold_micro) - int(o.charged_micro)
        delta = max(0, min(want - int(metered.get("twin_charged_micro", 0)), room))
        rows = []
        total_q = sum(q for q in metrics.values() if q > 0)
        left = delta
        items = [(mname, q) for mname, q in metrics.items() if q > 0]
        for j, (mname, q) in enumerate(items):
            c = left if j == len(items) - 1 else int(delta * q / total_q)
            left -= c
            rows.append({"order_id": o.id, "account_id": o.account_id, "metric": mname, "quantity": float(q), "credits_micro": int(c),
                         "sim_time": self.t_iso(), "source": "twin", "created_at": now_iso()})
        if rows:
            conn.execute(insert(T.usage_events), rows)
        if delta > 0:
            postings.append(Posting("capture", [(SYS_HOLDS, -delta), (SYS_REVENUE, delta)], f"usage of order {o.id}", o.id, self.t_iso()))
        metered["twin_charged_micro"] = int(metered.get("twin_charged_micro", 0)) + delta
        return int(o.charged_micro) + delta

    def _meter_one(self, conn, o, t_s, streams, postings) -> None:
        m = json.loads(o.metered_json)
        plan = json.loads(o.plan_json)
        ctl = self._ctl()
        done, status, reason = False, "completed", None
        late_vs = None
        if o.product == "inference":
            w = ctl.work[o.work_id]
            s = w["stream"]
            tin, tout = float(streams["tokens_in"][s]), float(streams["tokens_out"][s])
            d_in, d_out = tin - m["input_tokens"], tout - m["output_tokens"]
            p_in, p_out = plan["detail"]["price_per_m_input"], plan["detail"]["price_per_m_output"]
            charged = self._charge(conn, o, m, (tin * p_in + tout * p_out) / 1e6, postings,
                                   {"input_tokens": d_in, "output_tokens": d_out}, t_s)
            m.update(input_tokens=tin, output_tokens=tout, served=int(streams["served"][s]), pending=int(streams["pending"][s]),
                     unreachable=int(streams["unreachable"][s]))
            end_s = w["t_end_s"] if w["cancelled_s"] is None else w["cancelled_s"]
            if t_s >= end_s and (m["pending"] == 0 or t_s >= end_s + INFERENCE_GRACE_S):
                done = True
                fig = ctl._stream_figures(s)
                m.update(ttft_s_p50=fig["ttft_s_p50"], ttft_s_p99=fig["ttft_s_p99"], tpot_s_p50=fig["tpot_s_p50"])
                promise = plan.get("latency_s_promise")
                if promise is not None and fig["ttft_s_p99"] is not None and fig["ttft_s_p99"] > promise:
                    late_vs = f"p99 time to first token {fig['ttft_s_p99']:.3f} s > promised {promise:.3f} s"
        elif o.product == "training":
            e = ctl.work[o.work_id]
            summ = e["entry"]["job"].summary()
            members = e["members"]
            d = self._shell_info(e["shell"])[2]
            acc_s = members * d.n_acc * (t_s - e["t_start_s"])
            price = acc_s / 3600.0 * self.prices.accelerator_hour(d.accelerator)
            charged = self._charge(conn, o, m, price, postings, {"accelerator_s": acc_s - m["accelerator_s"]}, t_s)
            m.update(accelerator_s=acc_s, tokens_trained=float(summ["tokens_trained"]), tokens_target=float(summ["tokens_target"]))
            if summ["done"] or charged >= o.hold_micro:
                done = True
                if not summ["done"]:
                    status, reason = "failed", "the hold is spent before the target was reached (charged for the time used)"
        else:  # eo_task
            s = ctl.tasking.summary(o.work_id)
            if s["status"] == "delivered":
                price = self.prices.eo_task() + s["product_b"] / 1e9 * self.prices.downlink_per_gb()
                charged = self._charge(conn, o, m, price, postings, {"tasks": 1, "bytes": s["product_b"]}, t_s)
                m.update(tasks=1, bytes=s["product_b"], satellite=s["satellite"], captured_s=s["captured_s"], delivered_s=s["delivered_s"])
                done = True
            elif s["status"] in ("expired", "cancelled"):
                done, status, reason = True, "failed", f"target not imaged within the window ({s['status']})"
                charged = int(o.charged_micro)
            else:
                charged = int(o.charged_micro)
        if done and status == "completed":
            exp = dt.datetime.fromisoformat(plan["expected_completion"].replace("Z", "+00:00"))
            start = dt.datetime.fromisoformat(plan["earliest_start"].replace("Z", "+00:00"))
            slack = max(LATE_SLACK * (exp - start).total_seconds(), self.chunk_steps * self.sim.step_s)
            if (self.now - exp).total_seconds() > slack and late_vs is None:
                late_vs = f"completed at {self.t_iso()}, promised by {plan['expected_completion']}"
        self._save(conn, o, m, charged, done, status, reason, late_vs, postings)

    def _meter_reservations(self, conn, items, delivered_s: float, t_s: float, postings) -> None:
        """Share the shell's delivered accelerator-seconds among its running reservations, in
        proportion to what each still needs (none gets more than it needs)."""
        need = np.array([max(req["quantity"] * 3600.0 - m["accelerator_s"], 0.0) for (_o, req, m, _d) in items])
        give = np.zeros(need.size)
        left = max(delivered_s, 0.0)
        active = need > 0
        while left > 1e-9 and active.any():  # water-filling: at most len(items) rounds
            share = left * need[active] / need[active].sum() if need[active].sum() > 0 else 0
            add = np.minimum(share, need[active] - give[active])
            give[active] += add
            left -= float(add.sum())
            active = active & (need - give > 1e-9)
            if float(add.sum()) <= 1e-12:
                break
        for j, (o, req, m, d) in enumerate(items):
            cur = conn.execute(select(T.orders.c.status, T.orders.c.charged_micro).where(T.orders.c.id == o.id)).one()
            if cur.status != "running":
                continue
            o.charged_micro = cur.charged_micro
            acc_s = m["accelerator_s"] + float(give[j])
            price = acc_s / 3600.0 * self.prices.accelerator_hour(d.accelerator)
            charged = self._charge(conn, o, m, price, postings, {"accelerator_s": float(give[j])}, t_s)
            m["accelerator_s"] = acc_s
            full = acc_s >= req["quantity"] * 3600.0 - 1e-6
            window_over = t_s - m["t_start_s"] >= req["window"]
            done = full or window_over
            late_vs, status, reason = None, "completed", None
            if done:
                plan = json.loads(o.plan_json)
                exp = dt.datetime.fromisoformat(plan["expected_completion"].replace("Z", "+00:00"))
                start = dt.datetime.fromisoformat(plan["earliest_start"].replace("Z", "+00:00"))
                slack = max(LATE_SLACK * (exp - start).total_seconds(), self.chunk_steps * self.sim.step_s)
                if not full:
                    reason = f"window ended with {acc_s / 3600:.4f} of {req['quantity']:g} accelerator-hours delivered (charged for those)"
                    late_vs = reason
                elif (self.now - exp).total_seconds() > slack:
                    late_vs = f"completed at {self.t_iso()}, promised by {plan['expected_completion']}"
            self._save(conn, o, m, charged, done, status, reason, late_vs, postings)

    def _save(self, conn, o, m, charged, done, status, reason, late_vs, postings) -> None:
        vals = {"metered_json": json.dumps(m), "charged_micro": int(charged), "updated_at": now_iso()}
        if not done:
            conn.execute(update(T.orders).where(T.orders.c.id == o.id).values(**vals))
            return
        o.charged_micro = int(charged)
        conn.execute(update(T.orders).where(T.orders.c.id == o.id).values(**vals))
        self._end(conn, o, status, postings, m, reason=reason, late=late_vs)

    def _end(self, conn, o, status: str, postings, metered: dict, reason: str | None = None, late: str | None = None) -> None:
        """End an order: release what its hold has left; a credit note when a promise was missed."""
        rest = int(o.hold_micro) - int(o.charged_micro)
        if rest > 0:
            postings.append(Posting("release", [(SYS_HOLDS, -rest), (o.account_id, rest)], f"release of order {o.id} ({status})", o.id, self.t_iso()))
        credited = 0
        if late is not None and int(o.charged_micro) > 0 and self.service.sla_credit_fraction > 0:
            credited = int(round(int(o.charged_micro) * float(self.service.sla_credit_fraction)))
            if credited > 0:
                postings.append(Posting("credit_note", [(SYS_CREDIT_NOTES, -credited), (o.account_id, credited)],
                                        f"credit note for order {o.id}: {late}"[:300], o.id, self.t_iso()))
        conn.execute(update(T.orders).where(T.orders.c.id == o.id).values(
            status=status, sim_ended=self.t_iso(), updated_at=now_iso(), credited_micro=credited,
            reason=reason if reason is not None else (late if late is not None else None)))
        conn.execute(insert(T.order_events).values(order_id=o.id, status=status, at=now_iso(), sim_time=self.t_iso(),
                                                   note=(reason or late or None)))

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
                    postings: list[Posting] = []
                    if o.status == "running" and o.work_id is not None:
                        act = A.CancelWork(work=o.work_id)
                        self.sim.act(act)
                        applied = True
                        conn.execute(insert(T.twin_actions).values(step=self.sim.k, order_id=o.id,
                                                                   action_json=json.dumps({"kind": act.kind, "fields": _fields(act)})))
                    self._end(conn, o, "cancelled", postings, {}, reason="cancelled by the customer")
                    post(conn, postings, guard=False)
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
