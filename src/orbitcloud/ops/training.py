"""A distributed training job on a set of satellites: progress, checkpoints, crashes, pause or shrink.

One data-parallel job (``workloads.training``) runs on ``m`` member satellites in ring order, with
``s`` spare satellites in reserve. The simulation loop calls, once per step of ``dt``:

* :meth:`TrainingJob.demand` with what the operator knows of each satellite (state of charge,
  temperature margin, sunlight, devices up, whether a command can reach it): the job decides who
  trains this step (pause the whole job, or shrink around constrained members; replace lost members
  by spares) and returns the compute demand per satellite;
* :meth:`TrainingJob.advance` with what each satellite actually delivered, the ring's bottleneck ISL
  capacity and the fault events of the step: the job makes progress, writes checkpoints, crashes and
  rolls back.

Model (equations, assumptions and sources in ``docs/training.md``):

* step time ``t_step(n, B_link)`` from :class:`orbitcloud.compute.training.TrainingPerf` (compute
  ``6 N D / (n peak MFU)`` plus the exposed ring or hierarchical all-reduce over the ISL, or DiLoCo's
  all-reduce every ``H`` inner steps: Douillard et al., arXiv 2311.08105); synchronous training runs
  at the pace of the slowest active member, so progress is ``dt * min(speed) / t_step`` steps;
* checkpoints of ``N * bytes_per_param`` bytes (mixed-precision Adam state, Rajbhandari et al., ZeRO,
  SC'20), written in parallel by the ``n`` members: ``delta = 8 S / (n w)``; interval fixed or
  ``auto``: Daly's interval (Daly, FGCS 22 (2006) 303) for the job MTBF estimated as
  ``(elapsed + M_prior) / (interruptions + 1)`` (a Gamma prior worth one interruption; ``M_prior`` from
  the fault model at 150 rad(Si)/yr, the Suncatcher shielded dose, or ``checkpoint.mtbf_prior``);
* a crash (``uecc``, ``sefi``, ``permanent``, ``tid_fail`` on a device of an active member) loses the
  work since the last completed checkpoint and costs ``restart_s``; a silent corruption (``sdc``) is
  detected with probability ``sdc_detection`` (a counter-based uniform, so runs are reproducible) and
  then rolls back the same way; undetected corruptions are counted;
* a member with a permanently lost device is replaced by a healthy, reachable spare satellite (its
  share of the state crosses the ISL), or, with no spare, dropped if its remaining speed is below
  ``(m-1)/m`` (fewer members are faster than a slow one); the global batch is kept, so fewer members
  mean a longer step;
* ``on_constraint: pause`` stops the whole job (after a checkpoint) while any member's state of
  charge is below ``soc_pause`` (or its temperature margin below ``temp_margin_pause_k``, or it is in
  eclipse with ``pause_in_eclipse``) and resumes (``restart_s``: reload) when all are back above
  ``soc_resume``; ``shrink`` drops those members temporarily (``reconfigure_s`` per change, and a
  rejoining member receives its share of the state over the ISL).

Decisions change a satellite's demand only where a command can reach it (``known['reachable']``);
elsewhere the satellite keeps doing what it was last told.

Layout: the job's parameters and satellites are set up in :mod:`orbitcloud.ops.training_setup`
(:class:`TrainingParams`, :func:`training_params`, :func:`job_satellites`, re-exported here); the
checkpoint/restart accounting is :class:`orbitcloud.ops.training_checkpoint.CheckpointCycle`, a base
class of :class:`TrainingJob`; this module holds the job's state machine (who trains, progress,
faults, results).
"""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.ops.training_checkpoint import _EPS_S, CheckpointCycle
from orbitcloud.ops.training_setup import (  # re-exported
    PRIOR_DOSE_RAD_PER_YR,
    YEAR_S,  # noqa: F401
    TrainingParams,
    job_satellites,
    training_params,
)

__all__ = [
    "TrainingParams",
    "TrainingJob",
    "training_params",
    "job_satellites",
    "STATE_NAMES",
    "PRIOR_DOSE_RAD_PER_YR",
]

#: Timeline state codes (``timeline()['state']``): the state of the job at the end of the step, with
#: ``restart`` for a running job that spent part of the step restarting, reconfiguring or migrating.
RUN, PAUSED, RESTART, STALLED, DONE = range(5)
STATE_NAMES = ("run", "paused", "restart", "stalled", "done")

#: Hysteresis of the temperature-margin constraint [K] (assumption).
TEMP_HYSTERESIS_K = 5.0
#: Fraction of devices up below which a satellite does not count as healthy (spare selection).
_AVAIL_OK = 1.0 - 1e-9
_STREAM_SDC_DETECT = 41  # uniform_hash stream of the SDC detection draws

_MEMBER, _SPARE, _RESERVE = 0, 1, 2  # roles; RESERVE: replaced, waits for repair (then SPARE)


def _json(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


class TrainingJob(CheckpointCycle):
    """State of one training job, advanced step by step (see the module docstring and docs/training.md).

    Parameters
    ----------
    params : TrainingParams
    members : ndarray of int, (m,)
        Global satellite indices of the members, in ring order.
    spares : ndarray of int, (s,)
        Global satellite indices held in reserve.
    seed : int
        Scenario seed (SDC detection draws are ``uniform_hash(seed, sat, device, 41, seq)``).
    step_s : float
        Time step of the run [s] (the nominal ``dt``).

    Raises
    ------
    OrbitcloudError
        No members, a satellite listed twice, or a training state that does not fit in memory.
    """

    def __init__(self, params: TrainingParams, members: np.ndarray, spares: np.ndarray, seed: int,
                 step_s: float) -> None:
        members = np.asarray(members, dtype=np.int64).ravel()
        spares = np.asarray(spares, dtype=np.int64).ravel()
        if members.size == 0:
            raise OrbitcloudError("workloads.training: the job has no member satellites")
        sats = np.concatenate((members, spares))
        if np.unique(sats).size != sats.size:
            raise OrbitcloudError("workloads.training: a satellite is listed twice among members and spares")
        if not step_s > 0.0:
            raise OrbitcloudError(f"workloads.training: step must be positive, got {step_s!r} s")
        p = params
        m0 = int(members.size)
        hbm_sat_b = p.devices_per_sat * p.memory_b * 0.9  # 10 % reserve, as compute.inference
        if p.mode == "diloco":
            need_b, have_b, how = p.train_state_b, hbm_sat_b, "a satellite (DiLoCo keeps a full replica per satellite)"
        else:
            need_b, have_b, how = p.train_state_b, hbm_sat_b * m0, f"the {m0} member satellite(s) (state sharded)"
        if need_b > have_b:
            raise OrbitcloudError(
                f"workloads.training.model: {p.model} needs {need_b / 1e9:,.1f} GB of training state "
                f"({need_b / p.perf.model.params:.0f} B/parameter) but {how} hold {have_b / 1e9:,.1f} GB "
                f"(90 % of {p.devices_per_sat} x {p.memory_b / 1e9:g} GB per satellite); use more members, "
                "sync mode or a smaller model"
            )
        self.params = p
        self._seed = int(seed)
        self._dt = float(step_s)
        self._sats = sats
        self._sorter = np.argsort(sats, kind="stable")
        self._sorted = sats[self._sorter]
        n = sats.size
        self._m0 = m0
        self._role = np.concatenate((np.full(m0, _MEMBER), np.full(spares.size, _SPARE))).astype(np.int8)
        self._pos = np.concatenate((np.arange(m0), np.full(spares.size, -1))).astype(np.int64)
        self._held = np.zeros(n, dtype=bool)
        self._dev_lost = np.zeros(n, dtype=np.int64)
        self._down_until = np.full(n, -np.inf)  # DiLoCo: a worker restarting after a crash, until then
        self._demand = np.zeros(n)
        self._active = np.zeros(n, dtype=bool)
        self._ring_prev: np.ndarray | None = None
        self._n_ring = m0
        # job state
        self._paused = False
        self._waiting = False  # a member that should run cannot be commanded to (pause mode)
        self._pause_ckpt = False
        self._reconf = False
        self._owed_s = 0.0
        self._ckpt_left_s = 0.0
        self._phase_s = 0.0
        self._steps = 0.0
        self._steps_safe = 0.0
        self._target_steps = p.tokens_target / p.global_batch_tokens
        self._pending_b = 0.0
        self._pending_sync = False
        self._t_start: float | None = None
        self._t_end: float | None = None
        self._t_done: float | None = None
        self._t = 0.0
        self._last_step_s = math.nan
        self._cache: dict[tuple, float] = {}
        # counters
        self.c = {name: 0 for name in ("checkpoints", "restarts", "rollbacks_sdc", "sdc_undetected", "interruptions",
                                       "shrink_events", "members_lost", "spares_used", "pauses", "worker_restarts")}
        self.s = {name: 0.0 for name in ("compute_s", "lost_work_s", "checkpoint_s", "overhead_s", "paused_s",
                                         "stalled_s")}
        self._tl: dict[str, list] = {"t_s": [], "tokens": [], "active": [], "state": []}

    # -- views --------------------------------------------------------------------------------------

    @property
    def sats(self) -> np.ndarray:
        """Members then spares: every satellite the job may use (global indices, fixed order)."""
        return self._sats

    @property
    def ring(self) -> np.ndarray:
        """Global indices of the members training this step, in ring order (for the ISL bottleneck)."""
        idx = np.flatnonzero(self._active)
        return self._sats[idx[np.argsort(self._pos[idx], kind="stable")]]

    @property
    def members(self) -> np.ndarray:
        """Global indices of the current members (training or not), in ring order."""
        idx = np.flatnonzero(self._role == _MEMBER)
        return self._sats[idx[np.argsort(self._pos[idx], kind="stable")]]

    @property
    def done(self) -> bool:
        return self._t_done is not None

    # -- helpers ------------------------------------------------------------------------------------

    def _step_time(self, n: int, link_bps: float, mode: str) -> float:
        key = (n, link_bps, mode)
        val = self._cache.get(key)
        if val is None:
            p = self.params
            if mode == "inner":  # DiLoCo inner step alone: arithmetic + the all-reduce inside one satellite
                val = float(p.perf.compute_s(n * p.devices_per_sat)
                            + p.perf.comm_s(1, p.devices_per_sat, 0.0, topology=p.topology))
            else:
                val = float(p.perf.step_s(n, p.devices_per_sat, link_bps, topology=p.topology, mode=mode,
                                          diloco_h=p.diloco_h))
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = val
        return val

    def _comm_s(self, n: int, link_bps: float) -> float:
        p = self.params
        return float(p.perf.comm_s(n, p.devices_per_sat, link_bps, topology=p.topology))

    # -- the operator's decision --------------------------------------------------------------------

    def demand(self, known: dict[str, np.ndarray]) -> np.ndarray:
        """Decide who trains this step; return the compute demand (0..1) of each of :attr:`sats`.

        ``known`` maps ``soc`` (0..1), ``temp_margin_k`` [K], ``lit`` (bool), ``avail`` (fraction of
        devices up) and ``reachable`` (bool) to arrays aligned with :attr:`sats`; a missing key means
        no constraint (``soc`` 1, margin inf, lit, all devices up, reachable).
        """
        p = self.params
        n = self._sats.size

        def get(key, default, dtype):
            if key not in known or known[key] is None:
                return np.full(n, default, dtype=dtype)
            arr = np.asarray(known[key], dtype=dtype)
            if arr.shape != (n,):
                raise ValueError(f"known[{key!r}] has shape {arr.shape}, expected ({n},) aligned with sats")
            return arr

        soc = get("soc", 1.0, np.float64)
        margin = get("temp_margin_k", np.inf, np.float64)
        lit = get("lit", True, bool)
        avail = get("avail", 1.0, np.float64)
        reach = get("reachable", True, bool)

        if self._t_done is not None:
            self._demand = np.where(reach, 0.0, self._demand)
            self._active[:] = False
            return self._demand.copy()

        enter = (soc < p.soc_pause) | (margin < p.temp_pause_k) | (p.pause_in_eclipse & ~lit)
        clear = ((soc >= p.soc_resume) & (margin >= p.temp_pause_k + TEMP_HYSTERESIS_K)
                 & (lit | (not p.pause_in_eclipse)))
        self._held = enter | (self._held & ~clear)
        impaired = self._dev_lost > 0
        healthy = ~impaired & (avail >= _AVAIL_OK) & ~self._held
        member = self._role == _MEMBER

        # replace members with a permanently lost device by healthy, reachable spares
        bad = np.flatnonzero(member & impaired)
        if bad.size:
            cand = np.flatnonzero((self._role == _SPARE) & healthy & reach)
            k = min(bad.size, cand.size)
            if k:
                out, inn = bad[:k], cand[:k]
                self._role[out], self._role[inn] = _RESERVE, _MEMBER
                self._pos[inn], self._pos[out] = self._pos[out], -1
                self.c["spares_used"] += k
                member = self._role == _MEMBER
        self._role[(self._role == _RESERVE) & ~impaired] = _SPARE  # repaired (spare device installed)

        m_ring = int(member.sum())
        straggle = member & impaired & (avail < (m_ring - 1) / max(m_ring, 1))
        out_c = member & self._held if p.on_constraint == "shrink" else np.zeros(n, dtype=bool)
        want_in = member & ~straggle & ~out_c
        if p.on_constraint == "pause":
            paused = bool((member & self._held).any()) or not want_in.any()
        else:
            paused = not want_in.any()
        want_run = want_in & (not paused)
        new = np.where(reach, want_run.astype(np.float64), self._demand)
        running = new > 0.5
        ring = want_run & running
        waiting = (not paused) and p.on_constraint == "pause" and bool((want_run & ~running).any())

        # transitions
        if paused and not self._paused:
            self._pause_ckpt = True
            self.c["pauses"] += 1
        if not paused and self._paused and self._t_start is not None:
            self._owed_s = max(self._owed_s, p.restart_s)  # reload the checkpoint written at the pause
        if not paused and not waiting and self._ring_prev is not None and not self._paused:
            joined = ring & ~self._ring_prev
            left = self._ring_prev & ~ring
            if joined.any() or left.any():
                self._reconf = True
                self.c["shrink_events"] += int(max(0, left.sum() - joined.sum()))
                share_b = p.checkpoint_b / max(int(ring.sum()), 1)
                self._pending_b += share_b * int(joined.sum())
        if not paused and not waiting:
            self._ring_prev = ring.copy()
            self._n_ring = int(ring.sum())
        self._paused = paused
        self._waiting = waiting
        self._active = ring if not (paused or waiting) else np.zeros(n, dtype=bool)
        self._demand = new
        return new.copy()

    # -- progress -----------------------------------------------------------------------------------

    def _local(self, sat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = np.searchsorted(self._sorted, sat)
        pos = np.clip(pos, 0, self._sorted.size - 1)
        ok = self._sorted[pos] == sat
        return self._sorter[pos], ok

    def _events(self, faults: dict[str, np.ndarray] | None, t0: float, t1: float):
        """Update device-loss bookkeeping; return the interrupting events of active members, in time order.

        Returns ``(t_s, local index, is_sdc)``: crashes (``uecc``, ``sefi``, ``permanent``, ``tid_fail``)
        and detected silent corruptions.
        """
        from orbitcloud.ops.faults import KIND_CODES, uniform_hash

        none = (np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool))
        if not faults or np.asarray(faults.get("sat", ())).size == 0:
            return none
        sat = np.asarray(faults["sat"], dtype=np.int64)
        loc, ok = self._local(sat)
        kind = np.asarray(faults["kind"], dtype=np.int64)[ok]
        t = np.clip(np.asarray(faults["t_s"], dtype=np.float64)[ok], t0, t1)
        dev = np.asarray(faults["device"], dtype=np.int64)[ok] if "device" in faults else np.zeros(kind.size, np.int64)
        if "seq" in faults:
            seq = np.asarray(faults["seq"], dtype=np.int64)[ok]
        else:  # no event numbers: number the events of the step
            step = np.asarray(faults.get("step", np.zeros(sat.size)), dtype=np.int64)[ok]
            seq = step * 1_000_003 + np.arange(kind.size)
        loc, sat = loc[ok], sat[ok]

        loss = (kind == KIND_CODES["permanent"]) | (kind == KIND_CODES["tid_fail"])
        back = kind == KIND_CODES["spare_in"]
        before = self._dev_lost > 0
        np.add.at(self._dev_lost, loc[loss], 1)
        np.add.at(self._dev_lost, loc[back], -1)
        np.maximum(self._dev_lost, 0, out=self._dev_lost)
        newly = (self._dev_lost > 0) & ~before & (self._role == _MEMBER)
        self.c["members_lost"] += int(newly.sum())

        on = self._active[loc]
        crash = on & (loss | (kind == KIND_CODES["uecc"]) | (kind == KIND_CODES["sefi"]))
        sdc = on & (kind == KIND_CODES["sdc"])
        det = np.zeros(kind.size, dtype=bool)
        if sdc.any():
            u = uniform_hash(self._seed, sat[sdc], dev[sdc], _STREAM_SDC_DETECT, seq[sdc])
            det[np.flatnonzero(sdc)] = u < self.params.sdc_detection
            self.c["sdc_undetected"] += int(sdc.sum() - det.sum())
        hit = crash | det
        order = np.argsort(t[hit], kind="stable")
        return t[hit][order], loc[hit][order], det[hit][order]

    def _rate(self, up: np.ndarray, spd: np.ndarray, link: float) -> tuple[float, bool, float]:
        """Progress rate [steps/s] with the members ``up``; (rate, stalled, step time)."""
        p = self.params
        n = int(up.sum())
        if n == 0 or self._pending_b > 0.0:  # nobody up, or a new member waits for its state (no link)
            return 0.0, True, math.inf
        if n > 1 and link <= 0.0:
            if p.mode != "diloco":
                return 0.0, True, math.inf
            step_s = self._step_time(n, 0.0, "inner")  # inner steps only; the outer sync waits
        else:
            step_s = self._step_time(n, link if link > 0.0 else 1e30, p.mode)
        rate = float(spd[up].min()) / step_s
        return rate, rate <= 0.0, step_s

    def advance(self, k: int, t_s: float, dt_s: float, speed: np.ndarray, link_bps: float,
                faults: dict[str, np.ndarray] | None) -> None:
        """Advance the job through step ``k`` = ``[t_s, t_s + dt_s)``.

        ``speed`` (len(sats),): fraction of nameplate compute each satellite delivered; ``link_bps``:
        bottleneck ISL capacity of the ring [bit/s] (0: broken); ``faults``: the fault events of the
        step (``orbitcloud.ops.faults`` format), or ``None``.
        """
        p = self.params
        t0 = float(t_s)
        t1 = t0 + float(dt_s)
        if self._t_start is None:
            self._t_start = t0
        self._t = t0
        ev_t, ev_loc, ev_sdc = self._events(faults, t0, t1)
        self._t_end = t1
        if self._t_done is not None:
            self._record(t0, DONE, 0)
            return
        if self._paused:
            self._pause_step(t0, t1)
            self._record(t0, PAUSED, 0)
            return
        if self._waiting:
            self.s["stalled_s"] += t1 - t0
            self._record(t0, STALLED, 0)
            return

        active = self._active
        n_ring = int(active.sum())
        if n_ring == 0:  # no member can train (none reachable yet, or all dropped): the job waits
            self.s["stalled_s"] += t1 - t0
            self._record(t0, STALLED, 0)
            return
        link = float(link_bps)
        if p.isl_bps is not None and link > 0.0:
            link = p.isl_bps
        if self._reconf:
            self._owed_s = max(self._owed_s, p.reconfigure_s)
            self._reconf = False
        if n_ring == 1 or link > 0.0:
            link_used = link if link > 0.0 else 1e30  # one satellite: no inter-satellite traffic
            if self._pending_sync:
                self._owed_s += self._comm_s(n_ring, link_used)
                self._pending_sync = False
            if self._pending_b > 0.0 and link > 0.0:
                self._owed_s += 8.0 * self._pending_b / link
                self._pending_b = 0.0
        elif p.mode == "diloco":
            self._pending_sync = True
        spd = np.clip(np.asarray(speed, dtype=np.float64), 0.0, 1.0)
        local = p.mode == "diloco"

        overhead0 = self.s["overhead_s"]
        cur, i, last = t0, 0, -math.inf
        stalled = False
        while self._t_done is None:
            down = active & (self._down_until > cur + _EPS_S)
            up = active & ~down
            t_back = float(self._down_until[down].min()) if down.any() else math.inf
            t_ev = float(ev_t[i]) if i < ev_t.size else math.inf
            te = min(t_back, t_ev, t1)
            rate, stalled, step_s = self._rate(up, spd, link)
            self._last_step_s = step_s
            self._run(te - cur, rate, stalled, n_ring, int(up.sum()) / n_ring)
            cur = te
            if self._t_done is not None or (te >= t1 and i >= ev_t.size):
                break
            if t_ev <= te:
                j = int(ev_loc[i])
                if local:
                    self._worker_restart(j, t_ev, up, step_s, bool(ev_sdc[i]))
                elif t_ev - last > _EPS_S:  # simultaneous events: one interruption
                    last = t_ev
                    self._interrupt(bool(ev_sdc[i]))
                i += 1
        n_up = int((active & (self._down_until <= t1)).sum())
        if self._t_done is not None:
            state = DONE
        elif self.s["overhead_s"] > overhead0 or self._owed_s > 0.0:
            state = RESTART
        elif stalled:
            state = STALLED
        else:
            state = RUN
        self._record(t0, state, n_up)

    def _record(self, t0: float, state: int, n_up: int) -> None:
        tl = self._tl
        tl["t_s"].append(t0)
        tl["tokens"].append(min(self._steps, self._target_steps) * self.params.global_batch_tokens)
        tl["active"].append(n_up)
        tl["state"].append(state)

    # -- results ------------------------------------------------------------------------------------

    def summary(self) -> dict:
        """JSON-ready results (times [s], fractions, counts); ``None`` where a value is undefined."""
        p = self.params
        start = self._t_start if self._t_start is not None else 0.0
        end = self._t_done if self._t_done is not None else (self._t_end if self._t_end is not None else start)
        elapsed = end - start
        tokens = min(self._steps, self._target_steps) * p.global_batch_tokens
        tokens_safe = min(self._steps_safe, self._target_steps) * p.global_batch_tokens
        useful_s = self.s["compute_s"] - self.s["lost_work_s"]
        nameplate = self._m0 * p.devices_per_sat * p.peak_ops_per_s
        if self._t_done is not None:
            ttt = self._t_done - start
            projected = False
        elif tokens > 0.0 and elapsed > 0.0:
            ttt = elapsed * p.tokens_target / tokens
            projected = True
        else:
            ttt, projected = math.inf, True
        n0 = self._m0
        out = {
            "model": p.model,
            "accelerator": p.accelerator,
            "precision": p.precision,
            "mode": p.mode,
            "members": int(n0),
            "devices_per_sat": p.devices_per_sat,
            "spares": int(self._sats.size - n0),
            "tokens_target": p.tokens_target,
            "tokens_trained": tokens,
            "tokens_checkpointed": tokens_safe,
            "done": self._t_done is not None,
            "time_to_train_s": _json(ttt),
            "time_to_train_projected": projected,
            "elapsed_s": elapsed,
            "goodput": _json(useful_s / elapsed) if elapsed > 0 else None,
            "mfu_achieved": _json(tokens * p.flops_per_token / (nameplate * elapsed)) if elapsed > 0 else None,
            "mfu_model": float(p.perf.mfu),
            "tokens_per_s": _json(tokens / elapsed) if elapsed > 0 else None,
            "step_s_last": _json(self._last_step_s),
            "checkpoint_overhead_fraction": _json(self.s["checkpoint_s"] / elapsed) if elapsed > 0 else None,
            "checkpoint_write_s": self._delta_s(n0),
            "checkpoint_b": p.checkpoint_b,
            "interval_s": _json(self._interval(max(self._n_ring, 1))),
            "interval_mode": "auto" if p.interval_s is None else "fixed",
            "mtbf_estimate_s": _json(self._mtbf_s()),
            "useful_s": useful_s,
            "shrink_events": self.c["shrink_events"],
            "members_lost": self.c["members_lost"],
            "spares_used": self.c["spares_used"],
        }
        out.update({k: v for k, v in self.c.items() if k not in out})
        out.update(self.s)
        return out

    def timeline(self) -> dict[str, np.ndarray]:
        """Per step: ``t_s`` (step start), ``tokens`` (cumulative, model state at the step end),
        ``active`` (members training), ``state`` (code, see :data:`STATE_NAMES`)."""
        tl = self._tl
        return {
            "t_s": np.asarray(tl["t_s"], dtype=np.float64),
            "tokens": np.asarray(tl["tokens"], dtype=np.float64),
            "active": np.asarray(tl["active"], dtype=np.int64),
            "state": np.asarray(tl["state"], dtype=np.int8),
        }
