"""Fault state of a block of satellites (struct of arrays): parameter tables, device slots, initial draws.

:class:`FaultState` holds, per satellite and per device slot, everything the generator
(:func:`orbitcloud.ops.faults.advance_faults`, which re-exports every name here) advances in place;
:meth:`FaultState.initial` builds it at the start of a run and draws each new device's lifetime
(exponential or Weibull) and total-ionising-dose thresholds (log-normal spread, Box-Muller pair).

Determinism. Every random number is a pure function of (seed, satellite global index, device slot,
stream, counter) (:func:`orbitcloud.ops.counter_rng.uniform_hash`: counter-based random numbers,
Salmon et al., SC'11, with the SplitMix64 finaliser of Steele, Lea & Flood, OOPSLA 2014). The m-th
candidate event of a process sits at a fixed clock value ``theta_m = theta_{m-1} + E_m / lambda_max``
(the first is drawn here), so the state is the same however the satellites are cut into blocks or
processes. Model parameters and their sources: :mod:`orbitcloud.ops.fault_model`, ``docs/faults.md``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from orbitcloud.ops.counter_rng import uniform_hash
from orbitcloud.ops.fault_events import SINGLE_EVENT_KINDS
from orbitcloud.ops.fault_model import DoseEffect, FaultModel, FaultModelError

#: Device slot status codes (``FaultState.status``).
UP, REBOOT, WAIT, DEAD, FAILED = 0, 1, 2, 3, 4  # FAILED only exists inside advance_faults
STATUS_NAMES = ("up", "rebooting", "waiting_for_spare", "lost", "failed")

_NONE = np.iinfo(np.int64).max  # "no item in this chunk" step index

# hash streams
_STREAM_CANDIDATE = (1, 2, 3)  # uecc, sdc, sefi: exponential gaps between candidate events
_STREAM_ACCEPT = (4, 5, 6)  # uecc, sdc, sefi: thinning uniforms
_STREAM_LIFE = 7  # baseline permanent-failure lifetime (counter = device generation)
_STREAM_TID_1, _STREAM_TID_2 = 8, 9  # Box-Muller pair for the TID threshold spread (counter = generation)


# --------------------------------------------------------------------------------------------------
# state
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Tables:
    """Model parameters, one row per distinct model (index ``FaultState.model_index``)."""

    rate: np.ndarray  # (M, 3) events per clock unit
    rate_max: np.ndarray  # (M, 3) rate x max(1, degraded_factor): the candidate rate (thinning)
    factor: np.ndarray  # (M, 3)
    clock: np.ndarray  # (M, 3) int: -1 off, 0 dose, 1 fluence
    recovery_s: np.ndarray  # (M, 3)
    life_scale_s: np.ndarray  # (M,)
    life_shape: np.ndarray  # (M,)
    tid_degrade_rad: np.ndarray  # (M,) inf: none
    tid_fail_rad: np.ndarray  # (M,)
    tid_sigma: np.ndarray  # (M,)
    spare_dose_factor: np.ndarray  # (M,)

    @classmethod
    def build(cls, models: list[FaultModel]) -> "_Tables":
        m = len(models)
        rate, factor, rec = np.zeros((m, 3)), np.ones((m, 3)), np.zeros((m, 3))
        clock = np.full((m, 3), -1, dtype=np.int64)
        for i, model in enumerate(models):
            for q, name in enumerate(SINGLE_EVENT_KINDS):
                eff: DoseEffect = getattr(model, name)
                clock[i, q] = {"off": -1, "dose": 0, "fluence": 1}[eff.clock]
                rate[i, q] = eff.rate_per_clock if clock[i, q] >= 0 else 0.0
                factor[i, q] = eff.degraded_factor
                rec[i, q] = eff.recovery_s
        rate_max = rate * np.maximum(1.0, factor)
        clock[rate_max <= 0.0] = -1

        def arr(f):
            return np.array([f(model) for model in models], dtype=np.float64)

        return cls(
            rate=rate, rate_max=rate_max, factor=factor, clock=clock, recovery_s=rec,
            life_scale_s=arr(lambda x: x.permanent.scale_s),
            life_shape=arr(lambda x: x.permanent.weibull_shape),
            tid_degrade_rad=arr(lambda x: math.inf if x.tid.degrade_rad is None else x.tid.degrade_rad),
            tid_fail_rad=arr(lambda x: math.inf if x.tid.fail_rad is None else x.tid.fail_rad),
            tid_sigma=arr(lambda x: x.tid.spread_ln),
            spare_dose_factor=arr(lambda x: x.tid.spare_dose_factor),
        )


@dataclasses.dataclass(eq=False, repr=False)
class FaultState:
    """Fault state of a block of satellites (struct of arrays), advanced in place by :func:`advance_faults`.

    Per satellite (length n): ``sat_index`` (global index, the hash key), ``n_devices`` (nameplate
    devices), ``spares`` (spares carried), ``spares_left``, ``spare_delay_s``, ``dose_rad`` and
    ``fluence_cm2`` (cumulative, at the end of the last step advanced), ``n_down`` (devices not working
    at that time), ``model_index``. Per device slot (length S = sum of n_devices, satellite-major):
    ``slot_sat`` (local satellite), ``slot_device``, ``generation`` (0: the original device, g: the
    g-th spare installed in the slot), ``status`` (``UP``, ``REBOOT``, ``WAIT`` for a spare, ``DEAD``),
    ``t_up_s`` (end of a reboot or spare installation), ``fail_t_s`` (scheduled baseline failure),
    ``tid_degrade_rad`` / ``tid_fail_rad`` (thresholds of the present device on the satellite dose
    clock), ``degraded``, ``theta`` (next candidate clock value per process) and ``count`` (its
    counter), ``seq`` (events emitted by the slot).
    """

    seed: int
    step_s: float
    next_step: int
    sat_index: np.ndarray
    n_devices: np.ndarray
    spares: np.ndarray
    spares_left: np.ndarray
    spare_delay_s: np.ndarray
    dose_rad: np.ndarray
    fluence_cm2: np.ndarray
    n_down: np.ndarray
    model_index: np.ndarray
    tables: _Tables
    models: tuple[FaultModel, ...]
    slot_sat: np.ndarray
    slot_device: np.ndarray
    generation: np.ndarray
    status: np.ndarray
    t_up_s: np.ndarray
    fail_t_s: np.ndarray
    tid_degrade_rad: np.ndarray
    tid_fail_rad: np.ndarray
    degraded: np.ndarray
    theta: np.ndarray
    count: np.ndarray
    seq: np.ndarray
    fail_step: np.ndarray  # scratch: failure step/time of FAILED slots (inside advance_faults)
    fail_time_s: np.ndarray

    def __repr__(self) -> str:
        counts = np.bincount(self.status, minlength=len(STATUS_NAMES))
        shown = ", ".join(f"{name} {int(c)}" for name, c in zip(STATUS_NAMES, counts) if c)
        return (f"FaultState({self.n_sat} satellites, {self.slot_sat.size} device slots: {shown or 'none'}; "
                f"next step {self.next_step}, spares left {int(self.spares_left.sum())})")

    @property
    def n_sat(self) -> int:
        return int(self.sat_index.size)

    @property
    def spares_used(self) -> np.ndarray:
        """Spares taken so far, per satellite."""
        return self.spares - self.spares_left

    @property
    def devices_lost(self) -> np.ndarray:
        """Device slots lost for good (failed with no spare left), per satellite."""
        return np.bincount(self.slot_sat[self.status == DEAD], minlength=self.n_sat)

    @classmethod
    def initial(
        cls,
        sat_index: np.ndarray,
        n_devices: np.ndarray,
        spares: np.ndarray,
        models: FaultModel | Sequence[FaultModel],
        seed: int,
        step_s: float,
        *,
        spare_delay_s: float | np.ndarray = 3600.0,
    ) -> "FaultState":
        """State at the start of the run (step 0, dose 0, every device new and working).

        ``sat_index``: global satellite indices (the hash key: give each satellite the same index in
        every block split); ``n_devices``, ``spares``: per satellite (integers >= 0); ``models``: one
        :class:`FaultModel` for all, or one per satellite; ``seed``: the scenario seed; ``step_s``:
        step length [s]; ``spare_delay_s``: time from a device loss to its spare working [s].
        """
        sat_index = np.atleast_1d(np.asarray(sat_index))
        n = sat_index.size
        if sat_index.ndim != 1 or not np.issubdtype(sat_index.dtype, np.integer) or (sat_index < 0).any():
            raise FaultModelError("sat_index must be a 1-D array of non-negative integers (global satellite indices)")
        if np.unique(sat_index).size != n:
            raise FaultModelError("sat_index must not repeat a satellite")

        def counts(x, what):
            a = np.asarray(x)
            if a.size == 0 and n == 0:
                return np.zeros(0, dtype=np.int64)
            if a.ndim > 1 or a.size not in (1, n):
                raise FaultModelError(f"{what} must be one integer or one per satellite ({n}), got shape {a.shape}")
            a = np.broadcast_to(a, (n,))
            if not np.issubdtype(a.dtype, np.integer) or (a < 0).any():
                raise FaultModelError(f"{what} must be non-negative integers, one per satellite")
            return a.astype(np.int64).copy()

        n_dev = counts(n_devices, "n_devices")
        n_spare = counts(spares, "spares")
        if not (isinstance(step_s, (int, float, np.floating, np.integer)) and math.isfinite(step_s) and step_s > 0):
            raise FaultModelError(f"step_s must be a positive number of seconds, got {step_s!r}")
        delay = np.broadcast_to(np.asarray(spare_delay_s, dtype=np.float64), (n,)).copy()
        if not np.all(np.isfinite(delay)) or (delay < 0).any():
            raise FaultModelError("spare_delay_s must be finite and >= 0 s")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise FaultModelError(f"seed must be an integer, got {seed!r}")

        if isinstance(models, FaultModel):
            model_list, model_index = [models], np.zeros(n, dtype=np.int64)
        else:
            models = list(models)
            if len(models) != n or not all(isinstance(m, FaultModel) for m in models):
                raise FaultModelError(f"models must be one FaultModel or {n} of them (one per satellite)")
            model_list, model_index, seen = [], np.empty(n, dtype=np.int64), {}
            for i, m in enumerate(models):  # equal models share a row of the parameter tables
                if m not in seen:
                    seen[m] = len(model_list)
                    model_list.append(m)
                model_index[i] = seen[m]
        tables = _Tables.build(model_list)

        n_slots = int(n_dev.sum())
        slot_sat = np.repeat(np.arange(n, dtype=np.int64), n_dev)
        offsets = (np.cumsum(n_dev) - n_dev).astype(np.int64)
        slot_device = np.arange(n_slots, dtype=np.int64) - np.repeat(offsets, n_dev)
        state = cls(
            seed=int(seed), step_s=float(step_s), next_step=0,
            sat_index=sat_index.astype(np.int64), n_devices=n_dev, spares=n_spare, spares_left=n_spare.copy(),
            spare_delay_s=delay, dose_rad=np.zeros(n), fluence_cm2=np.zeros(n), n_down=np.zeros(n, dtype=np.int64),
            model_index=model_index, tables=tables, models=tuple(model_list),
            slot_sat=slot_sat, slot_device=slot_device, generation=np.zeros(n_slots, dtype=np.int64),
            status=np.full(n_slots, UP, dtype=np.int8), t_up_s=np.full(n_slots, np.inf),
            fail_t_s=np.zeros(n_slots), tid_degrade_rad=np.zeros(n_slots), tid_fail_rad=np.zeros(n_slots),
            degraded=np.zeros(n_slots, dtype=bool), theta=np.full((n_slots, 3), np.inf),
            count=np.zeros((n_slots, 3), dtype=np.int64), seq=np.zeros(n_slots, dtype=np.int64),
            fail_step=np.full(n_slots, _NONE, dtype=np.int64), fail_time_s=np.full(n_slots, np.inf),
        )
        s = np.arange(n_slots, dtype=np.int64)
        state._new_device(s, np.zeros(n_slots), np.zeros(n_slots))
        mi = model_index[slot_sat]
        for q in range(3):
            lam_max = tables.rate_max[mi, q]
            on = tables.clock[mi, q] >= 0
            e = -np.log(state._u(s, _STREAM_CANDIDATE[q], np.zeros(n_slots, dtype=np.int64)))
            state.theta[:, q] = np.where(on, e / np.where(on, lam_max, 1.0), np.inf)
        return state

    # -- helpers ------------------------------------------------------------------------------------

    def _u(self, s: np.ndarray, stream: int, counter: np.ndarray) -> np.ndarray:
        return uniform_hash(self.seed, self.sat_index[self.slot_sat[s]], self.slot_device[s], stream, counter)

    def _new_device(self, s: np.ndarray, t_install_s: np.ndarray, dose_install_rad: np.ndarray) -> None:
        """Draw the lifetime and TID thresholds of the device now in slots ``s`` (generation already set)."""
        if s.size == 0:
            return
        tab, mi, gen = self.tables, self.model_index[self.slot_sat[s]], self.generation[s]
        scale, shape = tab.life_scale_s[mi], tab.life_shape[mi]
        e = -np.log(self._u(s, _STREAM_LIFE, gen))
        with np.errstate(invalid="ignore"):
            life = np.where(np.isfinite(scale), scale * e ** (1.0 / shape), np.inf)
        self.fail_t_s[s] = t_install_s + life
        sigma = tab.tid_sigma[mi]
        u1, u2 = self._u(s, _STREAM_TID_1, gen), self._u(s, _STREAM_TID_2, gen)
        z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
        mult = np.exp(sigma * z)
        # a spare stored on board received spare_dose_factor of the satellite dose before installation
        offset = np.where(gen > 0, (1.0 - tab.spare_dose_factor[mi]) * dose_install_rad, 0.0)
        self.tid_degrade_rad[s] = tab.tid_degrade_rad[mi] * mult + offset
        self.tid_fail_rad[s] = tab.tid_fail_rad[mi] * mult + offset
        self.degraded[s] = False
