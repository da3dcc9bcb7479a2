"""Per-device fault models and a deterministic, vectorised fault-event generator driven by dose.

Every accelerator on a satellite is a *device slot*. Each slot runs three single-event Poisson
processes whose clock is the satellite's cumulative dose [rad(Si)] (or, in cross-section mode, its
cumulative proton fluence [cm^-2]):

* ``uecc``: an uncorrectable memory (HBM) error: the job on the device restarts from its checkpoint
  and the device is down for ``uecc.recovery_s`` (a reset that retires the page);
* ``sdc``: silent data corruption: no downtime, reported for the workload layer to account;
* ``sefi``: a single-event functional interrupt (the "host crash" of the Suncatcher test): the device
  reboots for ``sefi.recovery_s``.

A device also crosses total-ionising-dose thresholds (``tid_degrade``: rates are multiplied by each
process's ``degraded_factor``; ``tid_fail``: the device is lost) and has a baseline, time-driven
permanent failure (``permanent``; exponential or Weibull in the time since the device was powered).
A lost device is replaced by an on-board spare after ``spare_delay_s`` while the satellite has spares.

Sources (details, arithmetic and assumptions in ``docs/faults.md`` and ``catalog/faults.yaml``):

* Suncatcher: Google Research blog (4 Nov 2025) and arXiv 2511.19468, TPU v6e (Trillium) in 67 MeV
  protons: HBM uncorrectable ECC ~1 per 50 rad, host crash ~1 per 400-450 rad, SDC 1 per 107 rad
  (first test) to 1 per 17 rad (re-test), HBM irregularities from 2 krad, no hard failure to 15 krad.
* Llama 3 (Meta, arXiv 2407.21783, table 5): 419 unexpected interruptions in 54 days on 16,384 H100
  (1.97e-5 per GPU-hour); 47.3 % (faulty GPU + HBM3) treated here as permanent device losses.
* Counter-based random numbers: Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11
  (the idea); the SplitMix64 finaliser of Steele, Lea & Flood, OOPSLA 2014 (the mixing function).
* Thinning of a Poisson process: Lewis & Shedler, Naval Res. Logistics Q. 26 (1979) 403.

Determinism. Every random number is a pure function of (seed, satellite global index, device slot,
stream, counter), hashed with SplitMix64 in NumPy ``uint64`` arithmetic. The m-th candidate event of a
process sits at a fixed clock value ``theta_m = theta_{m-1} + E_m / lambda_max`` and is accepted with a
fixed uniform (thinning), so event times, the spare allocation and the availability are the same
whatever the time chunking and however the satellites are cut into blocks or processes. Step k of the
run covers ``[k step_s, (k+1) step_s)``; event times are ``(k + f) step_s`` like the crossing times of
``orbitcloud.sim.engine``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from orbitcloud.errors import OrbitcloudError

__all__ = [
    "KINDS",
    "KIND_CODES",
    "SINGLE_EVENT_KINDS",
    "FaultModelError",
    "DoseEffect",
    "TidModel",
    "PermanentModel",
    "FaultModel",
    "fault_catalog",
    "resolve_faults",
    "FaultState",
    "advance_faults",
    "sort_events",
    "concat_events",
    "uniform_hash",
]

#: Event kinds, in code order (``events["kind"]`` holds the code).
KINDS = ("uecc", "sdc", "sefi", "tid_degrade", "tid_fail", "permanent", "spare_in")
KIND_CODES = {name: code for code, name in enumerate(KINDS)}
UECC, SDC, SEFI, TID_DEGRADE, TID_FAIL, PERMANENT, SPARE_IN = range(len(KINDS))
#: The single-event (Poisson) processes of a device, in the order of their codes 0..2.
SINGLE_EVENT_KINDS = ("uecc", "sdc", "sefi")

#: Device slot status codes (``FaultState.status``).
UP, REBOOT, WAIT, DEAD, FAILED = 0, 1, 2, 3, 4  # FAILED only exists inside advance_faults
STATUS_NAMES = ("up", "rebooting", "waiting_for_spare", "lost", "failed")

HOUR_S = 3600.0
_NONE = np.iinfo(np.int64).max  # "no item in this chunk" step index

# hash streams
_STREAM_CANDIDATE = (1, 2, 3)  # uecc, sdc, sefi: exponential gaps between candidate events
_STREAM_ACCEPT = (4, 5, 6)  # uecc, sdc, sefi: thinning uniforms
_STREAM_LIFE = 7  # baseline permanent-failure lifetime (counter = device generation)
_STREAM_TID_1, _STREAM_TID_2 = 8, 9  # Box-Muller pair for the TID threshold spread (counter = generation)


class FaultModelError(OrbitcloudError, ValueError):
    """A fault model, its override or the input of the generator is invalid."""


# --------------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DoseEffect(_Model):
    """One single-event process of a device (events per rad(Si), or a cross-section per proton/cm^2)."""

    per_rad: float | None = Field(default=None, ge=0.0, description="mean events per rad(Si) per device")
    per_rad_low: float | None = Field(default=None, ge=0.0, description="published range, low end")
    per_rad_high: float | None = Field(default=None, ge=0.0, description="published range, high end")
    cross_section_cm2: float | None = Field(default=None, ge=0.0, description="events per proton/cm^2 per device")
    recovery_s: float = Field(default=0.0, ge=0.0, description="device downtime after each event [s]")
    degraded_factor: float = Field(default=1.0, ge=0.0, description="rate multiplier past tid.degrade_rad")

    @model_validator(mode="after")
    def _check(self) -> "DoseEffect":
        if self.cross_section_cm2 is not None and self.per_rad:
            raise ValueError(
                f"give per_rad ({self.per_rad:g}) or cross_section_cm2 ({self.cross_section_cm2:g}), not both "
                "(set per_rad: 0 to use the cross-section)"
            )
        lo, hi = self.per_rad_low, self.per_rad_high
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"per_rad_low {lo:g} must not exceed per_rad_high {hi:g}")
        if self.per_rad and self.cross_section_cm2 is None:
            if (lo is not None and self.per_rad < lo) or (hi is not None and self.per_rad > hi):
                raise ValueError(
                    f"per_rad {self.per_rad:g} lies outside per_rad_low..per_rad_high "
                    f"({lo if lo is not None else '-'}..{hi if hi is not None else '-'}); widen the range too"
                )
        return self

    @property
    def clock(self) -> str:
        """``"dose"``, ``"fluence"`` or ``"off"``."""
        if self.cross_section_cm2 is not None:
            return "fluence" if self.cross_section_cm2 > 0.0 else "off"
        return "dose" if self.per_rad else "off"

    @property
    def rate_per_clock(self) -> float:
        """Events per rad (dose clock) or per proton/cm^2 (fluence clock); 0 when off."""
        if self.cross_section_cm2 is not None:
            return float(self.cross_section_cm2)
        return float(self.per_rad or 0.0)


class TidModel(_Model):
    """Total-ionising-dose thresholds of a device."""

    degrade_rad: float | None = Field(default=None, gt=0.0, description="dose where rates are multiplied")
    fail_rad: float | None = Field(default=None, gt=0.0, description="dose where the device is lost")
    spread_ln: float = Field(default=0.0, ge=0.0, le=3.0, description="log-normal sigma of per-device thresholds")
    spare_dose_factor: float = Field(default=1.0, ge=0.0, le=1.0, description="dose fraction a stored spare receives")

    @model_validator(mode="after")
    def _check(self) -> "TidModel":
        if self.degrade_rad is not None and self.fail_rad is not None and self.degrade_rad >= self.fail_rad:
            raise ValueError(f"degrade_rad {self.degrade_rad:g} must be below fail_rad {self.fail_rad:g}")
        return self


class PermanentModel(_Model):
    """Baseline permanent device loss, in the time since the device was powered."""

    per_device_hour: float | None = Field(default=None, ge=0.0, description="constant hazard [1/h]")
    weibull_scale_hour: float | None = Field(default=None, gt=0.0, description="Weibull scale [h]")
    weibull_shape: float = Field(default=1.0, gt=0.0, le=20.0, description="Weibull shape (1: exponential)")

    @model_validator(mode="after")
    def _check(self) -> "PermanentModel":
        if self.per_device_hour is not None and self.weibull_scale_hour is not None:
            raise ValueError("give per_device_hour or weibull_scale_hour, not both")
        if self.per_device_hour is not None and self.weibull_shape != 1.0:
            raise ValueError(
                f"weibull_shape {self.weibull_shape:g} needs weibull_scale_hour (per_device_hour is the exponential case)"
            )
        return self

    @property
    def scale_s(self) -> float:
        """Weibull scale [s] (``inf``: no baseline failures)."""
        if self.weibull_scale_hour is not None:
            return self.weibull_scale_hour * HOUR_S
        if self.per_device_hour:
            return HOUR_S / self.per_device_hour
        return math.inf


class FaultModel(_Model):
    """The fault model of one accelerator type (see ``docs/faults.md``)."""

    label: str = ""
    source: str = ""
    assumptions: str = ""
    uecc: DoseEffect = DoseEffect()
    sdc: DoseEffect = DoseEffect()
    sefi: DoseEffect = DoseEffect()
    tid: TidModel = TidModel()
    permanent: PermanentModel = PermanentModel()


@functools.lru_cache(maxsize=None)
def _catalog() -> dict[str, Any]:
    import yaml

    text = resources.files("orbitcloud.catalog").joinpath("faults.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    for key, value in data.items():
        if not isinstance(value, dict) or not value.get("source"):
            raise RuntimeError(f"catalog faults.yaml: entry {key!r} has no source")  # packaging bug
    return data


def fault_catalog() -> dict[str, Any]:
    """``catalog/faults.yaml`` as a mapping of accelerator name to entry (do not modify it)."""
    return _catalog()


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "model"
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        shown = "" if isinstance(got, dict) or err["type"].startswith("value_error") else f" (got {got!r})"
        parts.append(f"{loc}: {msg}{shown}")
    return "; ".join(parts)


_RATE_PAIR = (("cross_section_cm2", ("per_rad",)), ("per_rad", ("cross_section_cm2",)))
_LIFE_PAIR = (("weibull_scale_hour", ("per_device_hour",)), ("per_device_hour", ("weibull_scale_hour", "weibull_shape")))


def resolve_faults(accelerator: str, override: dict[str, Any] | None = None) -> FaultModel:
    """The catalog fault model of ``accelerator`` with ``override`` merged in (nested keys one by one).

    Alternatives replace each other: an override that gives ``cross_section_cm2`` (``per_rad``) of a
    process drops the catalog's ``per_rad`` (``cross_section_cm2``); one that gives
    ``weibull_scale_hour`` (``per_device_hour``) drops the catalog's ``per_device_hour``
    (``weibull_scale_hour`` and ``weibull_shape``).

    Raises :class:`FaultModelError` naming the known accelerators, or the bad key and value.
    """
    data = _catalog()
    if accelerator not in data:
        raise FaultModelError(f"no fault model for accelerator {accelerator!r}; known: {', '.join(sorted(data))}")
    if override is not None and not isinstance(override, dict):
        raise FaultModelError(f"fault override for {accelerator} must be a mapping, got {type(override).__name__}")
    merged = _merge(data[accelerator], override or {})
    # alternatives replace each other: an override naming one drops the catalog's other
    for key, pairs in (("uecc", _RATE_PAIR), ("sdc", _RATE_PAIR), ("sefi", _RATE_PAIR), ("permanent", _LIFE_PAIR)):
        over = (override or {}).get(key)
        if isinstance(over, dict) and isinstance(merged.get(key), dict):
            for given, dropped in pairs:
                if given in over and not any(d in over for d in dropped):
                    merged[key] = {k: v for k, v in merged[key].items() if k not in dropped}
    try:
        return FaultModel.model_validate(merged)
    except ValidationError as exc:
        raise FaultModelError(f"fault model for {accelerator}: {_explain(exc)}") from None


# --------------------------------------------------------------------------------------------------
# counter-based random numbers
# --------------------------------------------------------------------------------------------------

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_KEYS = tuple(np.uint64(c) for c in (0x9E3779B97F4A7C15, 0xD1B54A32D192ED03, 0x8CB92BA72F3D8DD7, 0xF1357AEA2E62A9C5))
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))


def _mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser (Steele, Lea & Flood 2014), a bijection of uint64 (wrapping arithmetic)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def _seed_word(seed: int) -> int:
    """The seed reduced to 64 bits and mixed once (pure Python integers)."""
    z = (int(seed) + 0x9E3779B97F4A7C15) % (1 << 64)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % (1 << 64)
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % (1 << 64)
    return z ^ (z >> 31)


def uniform_hash(seed: int, sat: np.ndarray, device: np.ndarray, stream: int, counter: np.ndarray) -> np.ndarray:
    """Uniform numbers in (0, 1), a pure function of (seed, satellite, device, stream, counter).

    Each key word is folded in as ``h = mix64((h ^ word) + K_i)``; the top 53 bits of the result give
    ``(j + 0.5) / 2^53``, never 0 or 1 (so ``-log(u)`` is finite and positive).
    """
    sat, device, counter = np.broadcast_arrays(
        np.atleast_1d(np.asarray(sat, dtype=np.int64)),
        np.atleast_1d(np.asarray(device, dtype=np.int64)),
        np.atleast_1d(np.asarray(counter, dtype=np.int64)),
    )
    h = np.full(sat.shape, _seed_word(seed), dtype=np.uint64)
    for word, key in zip((sat, device, np.full(sat.shape, stream, dtype=np.int64), counter), _KEYS):
        h = _mix64((h ^ word.astype(np.uint64)) + key)
    return ((h >> _S11).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


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


# --------------------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------------------

_EVENT_FIELDS = ("sat", "device", "kind", "step", "t_s", "dose_rad", "generation", "seq")
_EVENT_DTYPES = (np.int64, np.int64, np.int8, np.int64, np.float64, np.float64, np.int64, np.int64)


def _empty_events() -> dict[str, np.ndarray]:
    return {f: np.zeros(0, dtype=d) for f, d in zip(_EVENT_FIELDS, _EVENT_DTYPES)}


def sort_events(events: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Events in canonical order: step, time, satellite, device, the slot's event number."""
    order = np.lexsort((events["seq"], events["device"], events["sat"], events["t_s"], events["step"]))
    return {k: v[order] for k, v in events.items()}


def concat_events(parts: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Events of several chunks or blocks, concatenated and put in canonical order."""
    if not parts:
        return _empty_events()
    return sort_events({f: np.concatenate([p[f] for p in parts]) for f in _EVENT_FIELDS})


class _Chunk:
    """One call of :func:`advance_faults`: clocks, pending items of the active slots, outputs."""

    # item columns: 0 end of reboot / spare installation, 1 TID failure, 2 baseline failure,
    # 3 TID degradation, 4..6 candidate uecc, sdc, sefi. Ties in one slot go to the lower column.
    N_COL = 7

    def __init__(self, state: FaultState, clocks: list[np.ndarray | None], n_steps: int):
        self.st = state
        self.clocks = clocks  # [dose (n, T+1), fluence (n, T+1) or None]
        self.k0 = state.next_step
        self.k1 = self.k0 + n_steps
        self.dt = state.step_s
        self.ev: list[tuple[np.ndarray, ...]] = []
        self.tr: list[tuple[np.ndarray, ...]] = []

    # -- item times ---------------------------------------------------------------------------------

    def _time_item(self, t: np.ndarray, sel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = np.full(t.shape, _NONE, dtype=np.int64)
        out = np.full(t.shape, np.inf)
        with np.errstate(invalid="ignore"):
            kk = np.floor(t / self.dt)
        ok = sel & np.isfinite(t) & (kk < self.k1)
        k[ok] = np.maximum(kk[ok].astype(np.int64), self.k0)
        out[ok] = t[ok]
        return k, out

    def _cross(self, c: np.ndarray, rows: np.ndarray, theta: np.ndarray, sel: np.ndarray):
        """First step where the clock ``c`` (n, T+1) of satellite ``rows`` reaches ``theta``."""
        k = np.full(theta.shape, _NONE, dtype=np.int64)
        t = np.full(theta.shape, np.inf)
        n_t = c.shape[1] - 1
        idx = np.flatnonzero(sel)
        if idx.size == 0 or n_t == 0:
            return k, t
        r, th = rows[idx], theta[idx]
        hit = th <= c[r, n_t]
        idx, r, th = idx[hit], r[hit], th[hit]
        if idx.size == 0:
            return k, t
        lo = np.ones(idx.size, dtype=np.int64)
        hi = np.full(idx.size, n_t, dtype=np.int64)
        while True:  # lower bound: smallest j in 1..T with c[r, j] >= th
            todo = lo < hi
            if not todo.any():
                break
            mid = (lo + hi) // 2
            ge = c[r, mid] >= th
            hi = np.where(todo & ge, mid, hi)
            lo = np.where(todo & ~ge, mid + 1, lo)
        c0, c1 = c[r, lo - 1], c[r, lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(c1 > c0, np.clip((th - c0) / (c1 - c0), 0.0, 1.0), 0.0)
        kabs = self.k0 + lo - 1
        k[idx] = kabs
        t[idx] = (kabs + f) * self.dt
        return k, t

    def column(self, col: int, s: np.ndarray, lo_k=None, lo_t=None) -> tuple[np.ndarray, np.ndarray]:
        st = self.st
        status = st.status[s]
        live = (status == UP) | (status == REBOOT)
        rows = st.slot_sat[s]
        if col == 0:
            k, t = self._time_item(st.t_up_s[s], (status == REBOOT) | (status == WAIT))
        elif col == 1:
            k, t = self._cross(self.clocks[0], rows, st.tid_fail_rad[s], live & np.isfinite(st.tid_fail_rad[s]))
        elif col == 2:
            k, t = self._time_item(st.fail_t_s[s], live)
        elif col == 3:
            sel = live & ~st.degraded[s] & np.isfinite(st.tid_degrade_rad[s])
            k, t = self._cross(self.clocks[0], rows, st.tid_degrade_rad[s], sel)
        else:
            q = col - 4
            clk = st.tables.clock[st.model_index[rows], q]
            sel = (status <= WAIT) & np.isfinite(st.theta[s, q])
            k = np.full(s.shape, _NONE, dtype=np.int64)
            t = np.full(s.shape, np.inf)
            for c_id in (0, 1):
                sub = sel & (clk == c_id)
                if sub.any():
                    kk, tt = self._cross(self.clocks[c_id], rows, st.theta[s, q], sub)
                    k[sub], t[sub] = kk[sub], tt[sub]
        if lo_k is not None:
            has = k != _NONE
            k = np.where(has, np.maximum(k, lo_k), k)
            t = np.where(has, np.maximum(t, lo_t), t)
        return k, t

    def items(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ks = np.empty((s.size, self.N_COL), dtype=np.int64)
        ts = np.empty((s.size, self.N_COL))
        for col in range(self.N_COL):
            ks[:, col], ts[:, col] = self.column(col, s)
        return ks, ts

    # -- outputs ------------------------------------------------------------------------------------

    def emit(self, kind: int, s: np.ndarray, k: np.ndarray, t: np.ndarray) -> None:
        if s.size:
            st = self.st
            self.ev.append((s.copy(), np.full(s.size, kind, dtype=np.int8), k.copy(), t.copy(),
                            st.generation[s].copy(), st.seq[s].copy()))
            st.seq[s] += 1

    def transition(self, s: np.ndarray, k: np.ndarray, t: np.ndarray, sign: int) -> None:
        if s.size:
            self.tr.append((s.copy(), k.copy(), t.copy(), np.full(s.size, sign, dtype=np.int64)))

    def dose_at(self, rows: np.ndarray, k: np.ndarray, t: np.ndarray) -> np.ndarray:
        c = self.clocks[0]
        j = k - self.k0
        f = np.clip(t / self.dt - k, 0.0, 1.0)
        c0 = c[rows, j]
        return c0 + f * (c[rows, j + 1] - c0)


def _check_array(name: str, a: Any, n: int) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != n:
        raise FaultModelError(f"{name} must have shape (n_satellites={n}, n_steps), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise FaultModelError(f"{name} must be finite")
    if (arr < 0).any():
        raise FaultModelError(f"{name} must be >= 0 (found {arr.min():g})")
    return arr


def advance_faults(
    state: FaultState,
    dose_rad: np.ndarray,
    proton_flux_cm2_s: np.ndarray | None = None,
    *,
    k0: int | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Advance ``state`` through the next ``T`` steps; return the events and the availability.

    ``dose_rad`` (n, T): dose [rad(Si)] each satellite receives in each step (behind its shielding);
    ``proton_flux_cm2_s`` (n, T): proton flux [cm^-2 s^-1], needed only by processes in cross-section
    mode; ``k0``: optional check that the chunk starts at ``state.next_step`` (absolute step index).

    Returns ``events`` (arrays of equal length, canonical order of :func:`sort_events`): ``sat``
    (global index), ``device`` (slot in the satellite), ``kind`` (code, see :data:`KINDS`), ``step``
    (absolute step index), ``t_s`` (time from the run start [s]), ``dose_rad`` (satellite cumulative
    dose at the event), ``generation`` (0: original device, g: g-th spare of the slot), ``seq`` (event
    number of the slot); and ``available_fraction`` (n, T): the time average over each step of the
    fraction of the satellite's nameplate devices working (not lost, not rebooting); 1 for a satellite
    without devices.
    """
    st = state
    n = st.n_sat
    dose = _check_array("dose_rad", dose_rad, n)
    n_t = dose.shape[1]
    if k0 is not None and int(k0) != st.next_step:
        raise FaultModelError(f"chunk starts at step {k0} but the fault state is at step {st.next_step}")
    mi_sat = st.model_index
    needs_flux = bool((st.tables.clock[mi_sat] == 1).any()) if n else False
    clocks: list[np.ndarray | None] = [np.cumsum(np.concatenate((st.dose_rad[:, None], dose), axis=1), axis=1), None]
    if proton_flux_cm2_s is not None:
        flux = _check_array("proton_flux_cm2_s", proton_flux_cm2_s, n)
        if flux.shape != dose.shape:
            raise FaultModelError(f"proton_flux_cm2_s has shape {flux.shape}, dose_rad {dose.shape}")
        clocks[1] = np.cumsum(np.concatenate((st.fluence_cm2[:, None], flux * st.step_s), axis=1), axis=1)
    elif needs_flux:
        raise FaultModelError("a fault model uses cross_section_cm2: pass proton_flux_cm2_s (n, T) [cm^-2 s^-1]")
    if n_t == 0:
        return _empty_events(), np.zeros((n, 0))

    ch = _Chunk(st, clocks, n_t)
    k1 = ch.k1

    act = np.flatnonzero(_screen(ch))  # slots that may have something to do in this chunk
    ks, ts = ch.items(act)

    while True:
        # phase A: every active slot processes its items in time order until it fails or the chunk ends
        while act.size:
            kmin = ks.min(axis=1)
            keep = kmin < k1
            if not keep.all():
                act, ks, ts, kmin = act[keep], ks[keep], ts[keep], kmin[keep]
                if not act.size:
                    break
            tt = np.where(ks == kmin[:, None], ts, np.inf)
            col_of = tt.argmin(axis=1)
            rows_all = np.arange(act.size)
            tev = tt[rows_all, col_of]
            for col in range(_Chunk.N_COL):
                r = rows_all[col_of == col]
                if r.size == 0:
                    continue
                s, k, t = act[r], kmin[r], tev[r]
                if col == 0:
                    _end_of_downtime(ch, s, k, t, r, ks, ts)
                elif col in (1, 2):
                    kind = TID_FAIL if col == 1 else PERMANENT
                    ch.emit(kind, s, k, t)
                    ch.transition(s[st.status[s] == UP], k[st.status[s] == UP], t[st.status[s] == UP], +1)
                    st.status[s] = FAILED
                    st.t_up_s[s] = np.inf
                    st.fail_step[s], st.fail_time_s[s] = k, t
                    ks[r, :] = _NONE
                    ts[r, :] = np.inf
                elif col == 3:
                    ch.emit(TID_DEGRADE, s, k, t)
                    st.degraded[s] = True
                    ks[r, 3], ts[r, 3] = _NONE, np.inf
                else:
                    _candidate(ch, col - 4, s, k, t, r, ks, ts)

        # phase B: per satellite, the earliest unresolved loss takes a spare (or the slot is lost)
        failed = np.flatnonzero(st.status == FAILED)
        if failed.size == 0:
            break
        sat = st.slot_sat[failed]
        order = np.lexsort((failed, st.fail_time_s[failed], st.fail_step[failed], sat))
        failed, sat = failed[order], sat[order]
        no_spare = st.spares_left[sat] == 0
        dead = failed[no_spare]
        st.status[dead] = DEAD
        st.t_up_s[dead] = np.inf
        cand, cand_sat = failed[~no_spare], sat[~no_spare]
        first = np.unique(cand_sat, return_index=True)[1]
        take, take_sat = cand[first], cand_sat[first]
        st.spares_left[take_sat] -= 1
        st.status[take] = WAIT
        st.t_up_s[take] = st.fail_time_s[take] + st.spare_delay_s[take_sat]
        st.fail_step[take], st.fail_time_s[take] = _NONE, np.inf
        st.fail_step[dead], st.fail_time_s[dead] = _NONE, np.inf
        nk, nt = ch.items(take)
        act = np.concatenate((act, take))
        ks = np.concatenate((ks, nk))
        ts = np.concatenate((ts, nt))

    # availability: devices down at each step start (integers) plus the partial steps, summed in a
    # canonical order so the result does not depend on how the run is cut
    dt = st.step_s
    dn = np.zeros((n, n_t), dtype=np.int64)
    part = np.zeros(n * n_t)
    if ch.tr:
        s_tr, k_tr, t_tr, sign = (np.concatenate(x) for x in zip(*ch.tr))
        sat_tr = st.slot_sat[s_tr]
        j = k_tr - ch.k0
        np.add.at(dn, (sat_tr, j), sign)
        order = np.lexsort((sign, s_tr, t_tr, j, sat_tr))
        frac = np.clip((k_tr + 1) - t_tr / dt, 0.0, 1.0)  # remaining fraction of the step after the change
        part = np.bincount((sat_tr * n_t + j)[order], weights=(sign * frac)[order], minlength=n * n_t)
    n_down_start = st.n_down[:, None] + np.cumsum(dn, axis=1) - dn
    down = n_down_start + part.reshape(n, n_t)
    with np.errstate(invalid="ignore", divide="ignore"):
        avail = np.where(st.n_devices[:, None] > 0, 1.0 - down / st.n_devices[:, None], 1.0)
    st.n_down += dn.sum(axis=1)

    # events
    if ch.ev:
        s_ev, kind, k_ev, t_ev, gen, seq = (np.concatenate(x) for x in zip(*ch.ev))
        rows = st.slot_sat[s_ev]
        events = sort_events({
            "sat": st.sat_index[rows], "device": st.slot_device[s_ev], "kind": kind, "step": k_ev, "t_s": t_ev,
            "dose_rad": ch.dose_at(rows, k_ev, t_ev), "generation": gen, "seq": seq,
        })
    else:
        events = _empty_events()

    st.dose_rad = clocks[0][:, -1].copy()
    if clocks[1] is not None:
        st.fluence_cm2 = clocks[1][:, -1].copy()
    st.next_step = k1
    return events, avail


def _screen(ch: _Chunk) -> np.ndarray:
    """Slots that may have an item in the chunk (a superset: ``items`` decides exactly)."""
    st = ch.st
    status, sat = st.status, st.slot_sat
    live = (status == UP) | (status == REBOOT)
    t_lim = (ch.k1 + 1) * ch.dt  # generous: exact step tests follow
    d_end = ch.clocks[0][:, -1][sat]
    hit = ((status == REBOOT) | (status == WAIT)) & (st.t_up_s < t_lim)
    hit |= live & ((st.fail_t_s < t_lim) | (st.tid_fail_rad <= d_end) | (~st.degraded & (st.tid_degrade_rad <= d_end)))
    clock = st.tables.clock[st.model_index[sat]]
    ends = [d_end, None if ch.clocks[1] is None else ch.clocks[1][:, -1][sat]]
    waiting_or_live = status <= WAIT
    for q in range(3):
        for c_id in (0, 1):
            if ends[c_id] is not None:
                hit |= waiting_or_live & (clock[:, q] == c_id) & (st.theta[:, q] <= ends[c_id])
    return hit


def _end_of_downtime(ch: _Chunk, s, k, t, r, ks, ts) -> None:
    """Column 0: a reboot ends, or a spare is installed in an empty slot."""
    st = ch.st
    reb = st.status[s] == REBOOT
    if reb.any():
        sr = s[reb]
        st.status[sr] = UP
        st.t_up_s[sr] = np.inf
        ch.transition(sr, k[reb], t[reb], -1)
    ks[r, 0], ts[r, 0] = _NONE, np.inf
    wt = st.status[s] == WAIT
    if not wt.any():
        return
    sw, kw, tw, rw = s[wt], k[wt], t[wt], r[wt]
    st.generation[sw] += 1
    st.t_up_s[sw] = np.inf
    ch.emit(SPARE_IN, sw, kw, tw)
    d_install = ch.dose_at(st.slot_sat[sw], kw, tw)
    st._new_device(sw, tw, d_install)
    lost = d_install >= st.tid_fail_rad[sw]  # a spare already past its failure dose
    deg = ~lost & (d_install >= st.tid_degrade_rad[sw])
    if lost.any():
        sl = sw[lost]
        ch.emit(TID_FAIL, sl, kw[lost], tw[lost])
        st.status[sl] = FAILED
        st.fail_step[sl], st.fail_time_s[sl] = kw[lost], tw[lost]
        ks[rw[lost], :] = _NONE
        ts[rw[lost], :] = np.inf
    ok = ~lost
    if ok.any():
        so, ko, to, ro = sw[ok], kw[ok], tw[ok], rw[ok]
        st.status[so] = UP
        ch.transition(so, ko, to, -1)
        st.degraded[so] = deg[ok]
        ch.emit(TID_DEGRADE, so[deg[ok]], ko[deg[ok]], to[deg[ok]])
        for col in (1, 2, 3):
            ks[ro, col], ts[ro, col] = ch.column(col, so, ko, to)


def _candidate(ch: _Chunk, q: int, s, k, t, r, ks, ts) -> None:
    """Columns 4..6: the next candidate of process q; accepted (thinning) only on a working device."""
    st = ch.st
    tab = st.tables
    mi = st.model_index[st.slot_sat[s]]
    m = st.count[s, q]
    lam, lam_max = tab.rate[mi, q], tab.rate_max[mi, q]
    lam_now = np.where(st.degraded[s], lam * tab.factor[mi, q], lam)
    u = st._u(s, _STREAM_ACCEPT[q], m)
    accept = (st.status[s] == UP) & ((lam_now >= lam_max) | (u * lam_max < lam_now))
    if accept.any():
        sa, ka, ta = s[accept], k[accept], t[accept]
        ch.emit(q, sa, ka, ta)
        rec = tab.recovery_s[mi[accept], q]
        down = rec > 0.0
        if down.any():
            sd = sa[down]
            st.status[sd] = REBOOT
            st.t_up_s[sd] = ta[down] + rec[down]
            ch.transition(sd, ka[down], ta[down], +1)
            rd = r[accept][down]
            ks[rd, 0], ts[rd, 0] = ch.column(0, sd)
    m = m + 1
    st.count[s, q] = m
    st.theta[s, q] = st.theta[s, q] + (-np.log(st._u(s, _STREAM_CANDIDATE[q], m))) / lam_max
    ks[r, 4 + q], ts[r, 4 + q] = ch.column(4 + q, s, k, t)
