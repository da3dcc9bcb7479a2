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
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from orbitcloud.errors import OrbitcloudError

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

#: Dose rate used for the prior MTBF [rad(Si)/yr]: Suncatcher's 750 rad in 5 years behind shielding
#: at 650 km (Google Research blog, 4 Nov 2025; arXiv 2511.19468).
PRIOR_DOSE_RAD_PER_YR = 150.0
YEAR_S = 365.25 * 86400.0
#: Hysteresis of the temperature-margin constraint [K] (assumption).
TEMP_HYSTERESIS_K = 5.0
#: Fraction of devices up below which a satellite does not count as healthy (spare selection).
_AVAIL_OK = 1.0 - 1e-9
_STREAM_SDC_DETECT = 41  # uniform_hash stream of the SDC detection draws
_MIN_INTERVAL_S = 1e-3
_EPS_S = 1e-9

_MEMBER, _SPARE, _RESERVE = 0, 1, 2  # roles; RESERVE: replaced, waits for repair (then SPARE)


@dataclasses.dataclass(frozen=True)
class TrainingParams:
    """A training job in SI units (built by :func:`training_params`).

    Attributes
    ----------
    perf : TrainingPerf
        Step-time model (accelerator, model, precision, sequence length, global batch, MFU).
    devices_per_sat : int
        Accelerators per satellite working on the job.
    tokens_target : float
        Tokens to train [tokens].
    global_batch_tokens : float
        Tokens per optimiser step [tokens].
    flops_per_token : float
        Training FLOPs per token (``6 N + 12 L s d``) [FLOP].
    peak_ops_per_s : float
        Dense peak of one device at ``precision`` [FLOP/s].
    memory_b : float
        Memory of one device [B].
    checkpoint_b : float
        Job state written per checkpoint [B].
    train_state_b : float
        Training state held in device memory (checkpoint + bf16 gradients) [B].
    write_bps : float
        Checkpoint write rate of one satellite [bit/s].
    interval_s : float or None
        Fixed checkpoint interval of compute time [s]; ``inf``: never; ``None``: auto (Daly).
    mtbf_prior_s : float or None
        Prior MTBF of the whole job [s] (``None``: from ``device_rate_per_s``).
    device_rate_per_s : float
        Prior interruption rate of one device [1/s] (fault model at ``PRIOR_DOSE_RAD_PER_YR``).
    restart_s, reconfigure_s : float
        Cost of a restart from a checkpoint, and of a change of members [s].
    sdc_detection : float
        Probability that a silent corruption is detected (and rolled back).
    isl_bps : float or None
        Override of the ring's ISL capacity [bit/s].
    soc_pause, soc_resume : float
        State-of-charge thresholds (hysteresis) of the constraint.
    temp_pause_k : float
        Temperature margin below which a satellite is constrained [K].
    """

    perf: Any
    model: str
    accelerator: str
    precision: str
    devices_per_sat: int
    tokens_target: float
    global_batch_tokens: float
    flops_per_token: float
    peak_ops_per_s: float
    memory_b: float
    mode: str
    diloco_h: int
    topology: str
    on_constraint: str
    soc_pause: float
    soc_resume: float
    temp_pause_k: float
    pause_in_eclipse: bool
    checkpoint_b: float
    train_state_b: float
    write_bps: float
    interval_s: float | None
    mtbf_prior_s: float | None
    device_rate_per_s: float
    restart_s: float
    reconfigure_s: float
    sdc_detection: float
    isl_bps: float | None


def _prior_device_rate_per_s(accelerator: str, sdc_detection: float) -> float:
    """Interruptions per second of one device from ``catalog/faults.yaml`` at the prior dose rate.

    ``(uecc + sefi + p_detect * sdc) [1/rad] * 150 rad/yr + 1 / permanent lifetime``; processes on the
    fluence clock are left out (they need the proton flux). 0 when the catalog has no model.
    """
    from orbitcloud.ops.faults import FaultModelError, resolve_faults

    try:
        fm = resolve_faults(accelerator)
    except FaultModelError:
        return 0.0
    per_rad = 0.0
    for name, weight in (("uecc", 1.0), ("sefi", 1.0), ("sdc", sdc_detection)):
        eff = getattr(fm, name)
        if eff.clock == "dose":
            per_rad += weight * eff.rate_per_clock
    rate = per_rad * PRIOR_DOSE_RAD_PER_YR / YEAR_S
    scale_s = fm.permanent.scale_s
    if math.isfinite(scale_s):
        rate += 1.0 / scale_s
    return rate


def training_params(spec: Any, accelerator: str, devices_per_sat: int,
                    where: str = "workloads.training") -> TrainingParams:
    """Resolve a validated :class:`~orbitcloud.scenario.training_schema.Training` into SI parameters.

    Parameters
    ----------
    spec : Training
        The ``workloads.training`` section.
    accelerator : str
        Accelerator catalog name of the shell's satellites.
    devices_per_sat : int
        Accelerators per satellite.
    where : str
        Key path used in error messages.

    Raises
    ------
    OrbitcloudError
        Unknown model, a precision the accelerator does not list, no devices.
    """
    from orbitcloud import catalog
    from orbitcloud.compute.models import llm, train_flops_per_token
    from orbitcloud.compute.training import TrainingPerf

    if int(devices_per_sat) < 1:
        raise OrbitcloudError(f"{where}: the satellites of the job carry {devices_per_sat} accelerators; need >= 1")
    try:
        model = llm(spec.model)
    except OrbitcloudError as exc:
        raise OrbitcloudError(f"{where}.model: {exc}") from None
    try:
        entry = catalog.entry("accelerators", accelerator)
    except KeyError as exc:
        raise OrbitcloudError(f"{where}: {exc.args[0]}") from None
    if spec.precision not in entry["ops_per_s"]:
        raise OrbitcloudError(
            f"{where}.precision: {spec.precision!r} is not listed for {accelerator}; "
            f"known: {', '.join(entry['ops_per_s'])}"
        )
    kwargs = {} if spec.mfu is None else {"mfu": float(spec.mfu)}
    try:
        perf = TrainingPerf(accelerator=accelerator, model=model, precision=spec.precision, seq_len=int(spec.seq_len),
                            global_batch_tokens=float(spec.global_batch_tokens), **kwargs)
    except OrbitcloudError as exc:
        raise OrbitcloudError(f"{where}: {exc}") from None
    ck = spec.checkpoint
    if ck.interval == "auto":
        interval_s = None
    elif ck.interval == "none":
        interval_s = math.inf
    else:
        interval_s = float(ck.interval)
    ckpt_b = float(model.params) * float(ck.bytes_per_param)
    return TrainingParams(
        perf=perf,
        model=model.name,
        accelerator=accelerator,
        precision=spec.precision,
        devices_per_sat=int(devices_per_sat),
        tokens_target=float(spec.tokens),
        global_batch_tokens=float(spec.global_batch_tokens),
        flops_per_token=float(train_flops_per_token(model, int(spec.seq_len))),
        peak_ops_per_s=float(entry["ops_per_s"][spec.precision]),
        memory_b=float(entry["memory_b"]),
        mode=spec.mode,
        diloco_h=int(spec.diloco_h),
        topology=spec.allreduce,
        on_constraint=spec.on_constraint,
        soc_pause=float(spec.soc_pause),
        soc_resume=float(spec.soc_resume_value),
        temp_pause_k=float(spec.temp_margin_pause_k),
        pause_in_eclipse=bool(spec.pause_in_eclipse),
        checkpoint_b=ckpt_b,
        train_state_b=ckpt_b + 2.0 * float(model.params),
        write_bps=float(ck.write_gbps) * 1e9,
        interval_s=interval_s,
        mtbf_prior_s=None if ck.mtbf_prior is None else float(ck.mtbf_prior),
        device_rate_per_s=_prior_device_rate_per_s(accelerator, float(spec.sdc_detection)),
        restart_s=float(spec.restart_s),
        reconfigure_s=float(spec.reconfigure_s),
        sdc_detection=float(spec.sdc_detection),
        isl_bps=None if spec.isl_gbps is None else float(spec.isl_gbps) * 1e9,
    )


def job_satellites(spec: Any, shell_sats: np.ndarray, shell_name: str = "",
                   where: str = "workloads.training") -> tuple[np.ndarray, np.ndarray]:
    """Members (the first ``count`` satellites of the shell, ring order) and spares (the next ``spares``).

    ``shell_sats`` are the global indices of the shell's satellites in shell order. Raises
    :class:`OrbitcloudError` when the shell has fewer satellites than ``count + spares``.
    """
    sats = np.asarray(shell_sats, dtype=np.int64).ravel()
    count = sats.size - int(spec.spares) if spec.count is None else int(spec.count)
    need = count + int(spec.spares)
    name = f"shell {shell_name!r}" if shell_name else "the shell"
    if count < 1 or need > sats.size:
        key = "count" if spec.count is not None else "spares"
        raise OrbitcloudError(
            f"{where}.{key}: {count} member(s) + {int(spec.spares)} spare(s) = {need} satellites requested "
            f"but {name} has {sats.size}; expected count + spares <= {sats.size}"
        )
    return sats[:count].copy(), sats[count:need].copy()


def _json(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


class TrainingJob:
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

    def _delta_s(self, n: int) -> float:
        """Checkpoint write time with ``n`` members writing their shares in parallel [s]."""
        return 8.0 * self.params.checkpoint_b / (max(n, 1) * self.params.write_bps)

    def _mtbf_s(self) -> float:
        p = self.params
        if p.mtbf_prior_s is not None:
            prior = p.mtbf_prior_s
        else:
            rate = p.device_rate_per_s * self._m0 * p.devices_per_sat
            prior = 1.0 / rate if rate > 0.0 else math.inf
        now = self._t if self._t_done is None else min(self._t, self._t_done)
        elapsed = 0.0 if self._t_start is None else now - self._t_start
        if not math.isfinite(prior):
            return elapsed / self.c["interruptions"] if self.c["interruptions"] else math.inf
        return (elapsed + prior) / (self.c["interruptions"] + 1)

    def _interval(self, n: int) -> float:
        p = self.params
        if p.interval_s is not None:
            return p.interval_s
        mtbf = self._mtbf_s()
        if not math.isfinite(mtbf):
            return math.inf
        from orbitcloud.compute.training import daly_interval_s

        return max(float(daly_interval_s(self._delta_s(n), mtbf)), _MIN_INTERVAL_S)

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

    def _pause_step(self, t0: float, t1: float) -> None:
        dt = t1 - t0
        if self._pause_ckpt:
            self._pause_ckpt = False
            if self._phase_s > 0.0 and self._owed_s <= 0.0:
                x = min(self._delta_s(self._n_ring), dt)
                self.s["checkpoint_s"] += x
                self._commit()
                dt -= x
            else:
                self._steps = self._steps_safe
                self._phase_s = 0.0
            self._owed_s = 0.0
            self._ckpt_left_s = 0.0
        self.s["paused_s"] += dt
        self._t = t1

    def _commit(self) -> None:
        self._steps_safe = self._steps
        self._phase_s = 0.0
        self.c["checkpoints"] += 1

    def _interrupt(self, sdc: bool) -> None:
        """A crash (or a detected corruption) at the current time: roll back and restart."""
        self.c["interruptions"] += 1
        self.c["rollbacks_sdc" if sdc else "restarts"] += 1
        self.s["lost_work_s"] += self._phase_s
        self._steps = self._steps_safe
        self._phase_s = 0.0
        self._ckpt_left_s = 0.0
        self._owed_s = self.params.restart_s

    def _worker_restart(self, j: int, t: float, up: np.ndarray, step_s: float, sdc: bool) -> None:
        """DiLoCo: member ``j`` crashed (or detected a corruption) at ``t``: it loses its inner steps since
        the last outer synchronisation and restarts from the outer weights (held by every worker), out of
        the job for ``restart_s``; the other workers go on."""
        self.c["rollbacks_sdc" if sdc else "restarts"] += 1
        self.c["worker_restarts"] += 1
        if up[j]:
            n_up = int(up.sum())
            lost_steps = min(math.fmod(self._steps, self.params.diloco_h), self._steps) / n_up
            self._steps -= lost_steps
            self._steps_safe = min(self._steps_safe, self._steps)
            if math.isfinite(step_s):
                self.s["lost_work_s"] += lost_steps * step_s
        self._down_until[j] = t + self.params.restart_s

    def _run(self, length_s: float, rate: float, stalled: bool, n: int, up_frac: float = 1.0) -> None:
        """Spend ``length_s`` of wall time: owed restart time, then compute and checkpoint cycles.

        ``up_frac``: fraction of the ring's members computing (DiLoCo workers restarting are not); the
        compute time is weighted by it and the rest counted as overhead.
        """
        s = self.s
        left = max(float(length_s), 0.0)
        delta = self._delta_s(n)
        tau = self._interval(n)
        while left > _EPS_S and self._t_done is None:
            if self._owed_s > 0.0:
                x = min(self._owed_s, left)
                self._owed_s -= x
                if self._owed_s < _EPS_S:
                    self._owed_s = 0.0
                s["overhead_s"] += x
            elif stalled:
                x = left
                s["stalled_s"] += x
            elif self._ckpt_left_s > 0.0:
                x = min(self._ckpt_left_s, left)
                self._ckpt_left_s -= x
                s["checkpoint_s"] += x
                if self._ckpt_left_s < _EPS_S:
                    self._ckpt_left_s = 0.0
                    self._commit()
            else:
                remaining = self._target_steps - self._steps
                to_done = remaining / rate
                if self._phase_s == 0.0 and math.isfinite(tau) and tau + delta < left and tau < to_done:
                    cycles = min(math.floor(left / (tau + delta)), math.floor(to_done / tau))
                    if cycles >= 1:  # whole compute+checkpoint cycles at once
                        x = cycles * (tau + delta)
                        self._steps += cycles * tau * rate
                        self._steps_safe = self._steps
                        s["compute_s"] += cycles * tau * up_frac
                        s["overhead_s"] += cycles * tau * (1.0 - up_frac)
                        s["checkpoint_s"] += cycles * delta
                        self.c["checkpoints"] += cycles
                        left -= x
                        self._t += x
                        continue
                x_ck = max(tau - self._phase_s, 0.0)
                x = min(x_ck, left, to_done)
                self._steps += x * rate
                self._phase_s += x
                s["compute_s"] += x * up_frac
                s["overhead_s"] += x * (1.0 - up_frac)
                if x >= to_done - _EPS_S and x <= left:
                    self._steps = self._target_steps
                    self._t += x
                    self._t_done = self._t
                    return
                if self._phase_s >= tau - _EPS_S:
                    if delta > 0.0:
                        self._ckpt_left_s = delta
                    else:
                        self._commit()
            left -= x
            self._t += x
        self._t += max(left, 0.0)

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
