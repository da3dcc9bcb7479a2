"""Checkpoint and restart accounting of a training job: write time, interval, rollbacks, wall-time cycles.

:class:`CheckpointCycle` is the part of :class:`orbitcloud.ops.training.TrainingJob` (a base class of
it) that turns wall time into compute, checkpoint writes and restart overhead, and rolls the job back
on a crash. It works on the job's state (``params``, ``c``, ``s``, ``_steps``, ``_steps_safe``,
``_phase_s``, ``_ckpt_left_s``, ``_owed_s``, ``_t``, ...), set up by ``TrainingJob.__init__``.

* checkpoints of ``N * bytes_per_param`` bytes (mixed-precision Adam state, Rajbhandari et al., ZeRO,
  SC'20), written in parallel by the ``n`` members: ``delta = 8 S / (n w)``;
* interval fixed or ``auto``: Daly's interval (Daly, FGCS 22 (2006) 303,
  :func:`orbitcloud.compute.training.daly_interval_s`) for the job MTBF estimated as
  ``(elapsed + M_prior) / (interruptions + 1)`` (a Gamma prior worth one interruption; ``M_prior`` from
  the fault model at 150 rad(Si)/yr, the Suncatcher shielded dose, or ``checkpoint.mtbf_prior``);
* a crash (or a detected silent corruption) loses the work since the last completed checkpoint and
  costs ``restart_s``; with DiLoCo (Douillard et al., arXiv 2311.08105) only the crashed worker loses
  its inner steps since the last outer synchronisation and restarts from the outer weights;
* ``on_constraint: pause`` writes a checkpoint when the job pauses.

Equations, assumptions and sources: ``docs/training.md``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["CheckpointCycle"]

_MIN_INTERVAL_S = 1e-3
_EPS_S = 1e-9


class CheckpointCycle:
    """Checkpoint write time, MTBF estimate and interval, rollbacks, and the compute/checkpoint cycles.

    A base class of :class:`orbitcloud.ops.training.TrainingJob` (see the module docstring); it holds
    no state of its own.
    """

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
