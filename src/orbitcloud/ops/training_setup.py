"""Set-up of a distributed training job: the ``workloads.training`` section in SI units, and its satellites.

:func:`training_params` resolves a validated :class:`~orbitcloud.scenario.training_schema.Training`
(model, accelerator, precision, checkpoint settings) into a frozen :class:`TrainingParams`;
:func:`job_satellites` picks the members (ring order) and the spares of the job from the shell. The
job itself is :class:`orbitcloud.ops.training.TrainingJob`, which re-exports these names.

* step-time model: :class:`orbitcloud.compute.training.TrainingPerf` (compute ``6 N D / (n peak MFU)``
  plus the ISL all-reduce; DiLoCo: Douillard et al., arXiv 2311.08105);
* checkpoint size ``N * bytes_per_param`` bytes (mixed-precision Adam state, Rajbhandari et al., ZeRO,
  SC'20); the training state held in device memory is the checkpoint plus bf16 gradients;
* prior interruption rate of one device: ``catalog/faults.yaml`` (:mod:`orbitcloud.ops.faults`) at
  ``PRIOR_DOSE_RAD_PER_YR`` = 150 rad(Si)/yr, the Suncatcher shielded dose (750 rad in 5 years behind
  shielding at 650 km: Google Research blog, 4 Nov 2025; arXiv 2511.19468), plus the permanent-failure
  rate; it sets the prior MTBF of the ``auto`` (Daly) checkpoint interval.

Equations, assumptions and sources: ``docs/training.md``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from orbitcloud.errors import OrbitcloudError

__all__ = [
    "PRIOR_DOSE_RAD_PER_YR",
    "TrainingParams",
    "job_satellites",
    "training_params",
]

#: Dose rate used for the prior MTBF [rad(Si)/yr]: Suncatcher's 750 rad in 5 years behind shielding
#: at 650 km (Google Research blog, 4 Nov 2025; arXiv 2511.19468).
PRIOR_DOSE_RAD_PER_YR = 150.0
YEAR_S = 365.25 * 86400.0


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
