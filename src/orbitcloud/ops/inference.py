"""LLM serving on satellites: continuous-batching servers driven by discrete events.

Each serving satellite is one *server* (its accelerators hold one model replica, tensor-parallel). A
server keeps a FIFO queue and a running batch of at most ``max_batch`` sequences whose KV caches fit
its KV capacity (:class:`orbitcloud.compute.inference.InferencePerf`). Time per request
(``docs/workloads.md``):

* admission: the request leaves the queue when a batch slot and its ``in + out`` KV tokens are free;
* prefill: its first token comes ``prefill_s(in)`` of server work after admission (plus the
  prefills admitted before it); the batch's decoding stalls meanwhile for the *amortised* prefill
  cost ``prefill_s(B_max in) / B_max`` (prefills of a saturated server are batched, as in chunked
  prefill), so throughput at saturation matches the steady-state model of ``compute.inference``;
* decode: ``out`` iterations at the decode time of the batch size and context at admission,
  ``decode_iter_s(B, sum of contexts)``.

Work is counted in *server seconds at full speed*. A server's speed is the fraction of its nameplate
compute the bus delivered in the current step (power or thermal throttling, faults; 0 when off), set
at every step boundary; each server has a decode clock that advances at that speed, so throttling
stretches every request in flight. The event queue holds one pending completion per server (versioned:
a speed change or an admission supersedes it).

Latency = network round trip (city -> visible satellite -> ISLs -> server and back, from the routing
snapshot at arrival) + queueing + compute; TTFT and TPOT are measured from the simulated times:
``ttft = rtt + (t_first - t_arrival)``, ``tpot = (t_done - t_first) / (out - 1)``.

A request that cannot reach any active server (no satellite in view of its city, or no ISL path) is
``unreachable``; one still queued or in service at the end of the run is ``pending``; none is dropped.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from typing import Callable

import numpy as np

from orbitcloud.ops.events import EventQueue

__all__ = ["ServingPool", "SERVED", "PENDING", "UNREACHABLE", "STATUS_NAMES"]

SERVED, PENDING, UNREACHABLE = 0, 1, 2
STATUS_NAMES = ("served", "pending", "unreachable")
_ARRIVAL, _FINISH = 0, 1


class ServingPool:
    """Continuous-batching servers, one per serving satellite, and the requests they serve.

    Args:
        perf: an :class:`~orbitcloud.compute.inference.InferencePerf` (one replica per server).
        n_servers: number of servers (indices ``0 .. n_servers-1``; the caller maps them to satellites).
        t_s, in_tokens, out_tokens, city: the requests, sorted by arrival time ``t_s`` [s].
        choose: ``choose(city, t_s, exclude) -> (server, rtt_s)``: where a request from ``city`` goes
            (``server = -1``: unreachable); ``exclude`` is a server to avoid (migration) or -1.
        max_batch: most sequences in a server's running batch.
        queue: the event queue (shared with other workloads).
    """

    def __init__(
        self, perf, n_servers: int, t_s: np.ndarray, in_tokens: np.ndarray, out_tokens: np.ndarray, city: np.ndarray,
        choose: Callable[[int, float, int], tuple[int, float]], max_batch: int, queue: EventQueue | None = None,
    ) -> None:
        self.perf = perf
        self.n = int(n_servers)
        self.max_batch = int(max_batch)
        self.kv_capacity = int(perf.kv_capacity_tokens)
        self.choose = choose
        self.q = queue if queue is not None else EventQueue()
        n_req = int(np.asarray(t_s).size)
        self.t_arr = np.asarray(t_s, dtype=np.float64)
        self.in_tok = np.asarray(in_tokens, dtype=np.int64)
        self.out_tok = np.asarray(out_tokens, dtype=np.int64)
        self.city = np.asarray(city, dtype=np.int64)
        self.stream = np.zeros(n_req, np.int64)  # 0: the scenario's requests; k: the k-th added stream
        self._tin = self.t_arr.tolist()
        self._in = self.in_tok.tolist()
        self._out = self.out_tok.tolist()
        self._city = self.city.tolist()
        self.next_arrival = 0
        # per request results
        self.server = np.full(n_req, -1, np.int64)
        self.status = np.full(n_req, PENDING, np.int8)
        self.rtt_s = np.full(n_req, np.nan)
        self.t_admit = np.full(n_req, np.nan)
        self.t_first = np.full(n_req, np.nan)
        self.t_done = np.full(n_req, np.nan)
        self.migrations = np.zeros(n_req, np.int32)
        self._rem = [0.0] * n_req  # remaining decode work of a migrated request [server s]
        self._dfin = [0.0] * n_req  # decode-clock value at which a running request finishes
        # per server state (Python lists: scalar access in event handlers)
        n = self.n
        self.speed = [0.0] * n
        self.dclock = [0.0] * n
        self.stall = [0.0] * n  # pending prefill work [s at full speed] that holds the decode clock
        self.t_upd = [0.0] * n
        self.kv_used = [0] * n
        self.ctx_sum = [0.0] * n
        self.version = [0] * n
        self.queues: list[deque] = [deque() for _ in range(n)]
        self.running: list[list[tuple[float, int]]] = [[] for _ in range(n)]
        self.backlog = np.zeros(n, np.int64)  # queued + running, read by dispatch policies
        self.work_s = np.zeros(n)  # server seconds at full speed spent (decode + prefill)
        self.queue_max = 0
        self.queued = 0  # requests waiting in all queues
        self.tokens_out = 0
        self.served = 0
        self._amort_b = self.max_batch  # prefills of a saturated server are batched this many at a time
        self._pre: dict[int, tuple[float, float]] = {}  # prompt length -> (prefill_s, amortised stall)
        # decode time is max(F / ops, B / bw) + overhead with F and B affine in (batch, context): the same
        # arithmetic as InferencePerf.decode_iter_s, evaluated here in scalar form (tested equal)
        self._dec = None
        if getattr(perf, "tp_link_bps", None) is None or perf.n_devices == 1:
            f1 = float(perf.decode_flops(1, 0))
            fc = float(perf.decode_flops(1, 1)) - f1
            b0 = float(perf.decode_bytes(1, 0))
            bc = float(perf.decode_bytes(1, 1)) - b0
            self._dec = (f1 / perf.effective_ops_per_s, fc / perf.effective_ops_per_s, b0 / perf.effective_b_per_s,
                         bc / perf.effective_b_per_s, float(perf.efficiency.overhead_s))
        self._handlers = (self._on_arrival, self._on_finish)

    # ------------------------------------------------------------------ server clock

    def _sync(self, s: int, t: float) -> None:
        """Advance server ``s``'s decode clock to ``t`` at its current speed."""
        tu = self.t_upd[s]
        if t <= tu:
            return
        self.t_upd[s] = t
        sp = self.speed[s]
        if sp <= 0.0 or not self.running[s]:
            return
        work = sp * (t - tu)
        st = self.stall[s]
        if st >= work:
            self.stall[s] = st - work
            self.work_s[s] += work
            return
        self.stall[s] = 0.0
        self.dclock[s] += work - st
        self.work_s[s] += work

    def _schedule(self, s: int, t: float) -> None:
        self.version[s] += 1
        run = self.running[s]
        sp = self.speed[s]
        if not run or sp <= 0.0:
            return
        t_next = t + (self.stall[s] + max(run[0][0] - self.dclock[s], 0.0)) / sp
        self.q.push(t_next, _FINISH, s, self.version[s])

    def _admit(self, s: int, t: float) -> bool:
        """Move queued requests of server ``s`` into its batch while a slot and KV space are free."""
        qu = self.queues[s]
        run = self.running[s]
        admitted = False
        perf = self.perf
        while qu and len(run) < self.max_batch:
            r = qu[0]
            need = self._in[r] + self._out[r]
            if self.kv_used[s] + need > self.kv_capacity and run:
                break
            qu.popleft()
            self.queued -= 1
            self.kv_used[s] += need
            self.ctx_sum[s] += self._in[r] + 0.5 * self._out[r]
            rem = self._rem[r]
            if rem > 0.0:  # migrated with its KV cache: decoding resumes
                work = rem
            else:
                b = len(run) + 1
                n_in = self._in[r]
                pa = self._pre.get(n_in)
                if pa is None:
                    pa = (float(perf.prefill_s(n_in)), float(perf.prefill_s(n_in * self._amort_b, self._amort_b)) / self._amort_b)
                    self._pre[n_in] = pa
                pre, amort = pa
                self.stall[s] += amort
                sp = self.speed[s]
                self.t_first[r] = t + (self.stall[s] - amort + pre) / sp if sp > 0.0 else np.nan
                self.t_admit[r] = t
                work = self._out[r] * self.decode_iter_s(b, self.ctx_sum[s])
            fin = self.dclock[s] + work
            self._dfin[r] = fin
            heapq.heappush(run, (fin, r))
            admitted = True
        return admitted

    def decode_iter_s(self, batch: int, context_tokens: float) -> float:
        """One decode iteration [s] (:meth:`InferencePerf.decode_iter_s`, scalar fast path)."""
        d = self._dec
        if d is None:
            return float(self.perf.decode_iter_s(batch, context_tokens))
        f = d[0] * batch + d[1] * context_tokens
        m = d[2] + d[3] * context_tokens
        return (f if f > m else m) + d[4]

    # ------------------------------------------------------------------ events

    def _on_arrival(self, t: float, r: int, _b: int) -> None:
        self._dispatch(r, t, -1)

    def _dispatch(self, r: int, t: float, exclude: int) -> None:
        s, rtt = self.choose(self._city[r], t, exclude)
        if s < 0:
            if exclude < 0:
                self.status[r] = UNREACHABLE
                return
            s = exclude  # nowhere to migrate to: stay
        else:
            if exclude < 0:
                self.rtt_s[r] = rtt
        self.server[r] = s
        self.queues[s].append(r)
        self.queued += 1
        self.backlog[s] += 1
        qlen = len(self.queues[s])
        if qlen > self.queue_max:
            self.queue_max = qlen
        self._sync(s, t)
        if self._admit(s, t):
            self._schedule(s, t)

    def _on_finish(self, t: float, s: int, ver: int) -> None:
        if ver != self.version[s]:
            return
        self._sync(s, t)
        run = self.running[s]
        d = self.dclock[s]
        # completions due within the rounding of the clocks (a later event could not advance them)
        clock = d + 8.0 * (math.ulp(t) * self.speed[s] + math.ulp(d)) + 1e-12
        while run and run[0][0] <= clock:
            _, r = heapq.heappop(run)
            self._complete(r, s, t)
        self._admit(s, t)
        self._schedule(s, t)

    def _complete(self, r: int, s: int, t: float) -> None:
        self.kv_used[s] -= self._in[r] + self._out[r]
        self.ctx_sum[s] -= self._in[r] + 0.5 * self._out[r]
        self.backlog[s] -= 1
        self.t_done[r] = t
        if not self.t_first[r] <= t:  # admitted while stopped, or the estimate ran past the end
            self.t_first[r] = t
        self.status[r] = SERVED
        self.served += 1
        self.tokens_out += self._out[r]

    # ------------------------------------------------------------------ driving

    def run_until(self, t_end: float) -> int:
        """Handle arrivals and completions before ``t_end``; returns the number of events."""
        n_arr = n_ev = 0
        tin = self._tin
        n_in = len(tin)
        q = self.q
        handlers = self._handlers
        inf = float("inf")
        while True:
            i = self.next_arrival
            t_a = tin[i] if i < n_in else inf
            t_q = q.peek_s()
            if t_a >= t_end and t_q >= t_end:
                break
            if t_a <= t_q:
                self.next_arrival = i + 1
                q.now_s = t_a
                self._on_arrival(t_a, i, 0)
                n_arr += 1
            else:
                n_ev += q.run_until(min(t_end, t_a), handlers)
        q.now_s = max(q.now_s, t_end)
        q.processed += n_arr  # queue events are counted by EventQueue.run_until
        return n_arr + n_ev

    def set_speeds(self, t: float, speed: np.ndarray) -> None:
        """Set every server's speed for the step starting at ``t`` (fraction of nameplate compute)."""
        old = np.asarray(self.speed)
        new = np.asarray(speed, dtype=np.float64)
        for s in np.nonzero(new != old)[0].tolist():
            self._sync(s, t)
            self.speed[s] = float(new[s])
            if self.running[s] and new[s] > 0.0:
                # the prefill estimate of requests admitted while stopped becomes known now
                self._schedule(s, t)
            elif self.running[s]:
                self.version[s] += 1  # stopped: no completion until it runs again

    def evacuate(self, s: int, t: float, include_running: bool) -> int:
        """Send server ``s``'s queued (and, if asked, running) requests elsewhere; returns how many moved.

        Running requests keep their remaining decode work (their KV cache travels over the ISLs, a
        transfer of milliseconds at ISL rates, neglected); queued ones start afresh at the new server.
        """
        self._sync(s, t)
        moved: list[int] = list(self.queues[s])
        self.queued -= len(moved)
        self.queues[s].clear()
        if include_running and self.running[s]:
            for fin, r in self.running[s]:
                self._rem[r] = max(fin - self.dclock[s], 1e-9)
                self.kv_used[s] -= self._in[r] + self._out[r]
                self.ctx_sum[s] -= self._in[r] + 0.5 * self._out[r]
                moved.append(r)
            self.running[s] = []
            self.stall[s] = 0.0
            self._schedule(s, t)
        self.backlog[s] -= len(moved)
        for r in moved:
            self.migrations[r] += 1
            self._dispatch(r, t, s)
        return len(moved)

    def busy(self) -> np.ndarray:
        """(n,) bool: servers with requests queued or running."""
        return self.backlog > 0

    def finish(self) -> None:
        """Mark requests not yet arrived by the end as not part of the run (they are dropped from
        the arrays) — call once after the last step."""
        i = self.next_arrival
        for name in _PER_REQUEST:
            setattr(self, name, getattr(self, name)[:i])

    # ------------------------------------------------------------------ requests added while running

    def add_requests(self, t_s: np.ndarray, in_tokens: np.ndarray, out_tokens: np.ndarray, city: np.ndarray, stream: int) -> None:
        """Merge new requests (arrival times ``t_s`` at or after the pool's present time) into the
        arrivals still to come, in time order (the earlier-listed first among equal times). Requests
        that have arrived keep their index; those to come are renumbered."""
        i = self.next_arrival
        t_new = np.asarray(t_s, dtype=np.float64)
        if t_new.size == 0:
            return
        tail_t = np.concatenate([self.t_arr[i:], t_new])
        order = np.argsort(tail_t, kind="stable")
        n_old_tail = self.t_arr.size - i

        def merged(arr, new):
            return np.concatenate([arr[:i], np.concatenate([arr[i:], np.asarray(new, dtype=arr.dtype)])[order]])

        self.t_arr = merged(self.t_arr, t_new)
        self.in_tok = merged(self.in_tok, in_tokens)
        self.out_tok = merged(self.out_tok, out_tokens)
        self.city = merged(self.city, city)
        self.stream = merged(self.stream, np.full(t_new.size, stream))
        extra = t_new.size
        for name, fill in (("server", -1), ("status", PENDING), ("rtt_s", np.nan), ("t_admit", np.nan), ("t_first", np.nan),
                           ("t_done", np.nan), ("migrations", 0)):
            arr = getattr(self, name)
            setattr(self, name, np.concatenate([arr, np.full(extra, fill, dtype=arr.dtype)]))
        self._tin = self.t_arr.tolist()
        self._in = self.in_tok.tolist()
        self._out = self.out_tok.tolist()
        self._city = self.city.tolist()
        self._rem = self._rem[:i] + [0.0] * (n_old_tail + extra)
        self._dfin = self._dfin[:i] + [0.0] * (n_old_tail + extra)

    def cancel_stream(self, stream: int) -> int:
        """Withdraw the requests of ``stream`` not yet arrived; returns how many."""
        i = self.next_arrival
        keep = np.ones(self.t_arr.size, bool)
        keep[i:] = self.stream[i:] != stream
        gone = int((~keep).sum())
        if gone:
            for name in _PER_REQUEST:
                setattr(self, name, getattr(self, name)[keep])
            self._tin = self.t_arr.tolist()
            self._in = self.in_tok.tolist()
            self._out = self.out_tok.tolist()
            self._city = self.city.tolist()
            self._rem = [v for v, k in zip(self._rem, keep.tolist()) if k]
            self._dfin = [v for v, k in zip(self._dfin, keep.tolist()) if k]
        return gone


#: Per-request arrays of :class:`ServingPool` (all indexed by request number).
_PER_REQUEST = ("t_arr", "in_tok", "out_tok", "city", "stream", "server", "status", "rtt_s", "t_admit", "t_first", "t_done", "migrations")
