"""The ``workloads.training:`` section of a scenario: one distributed training job (``docs/training.md``).

Quantities keep the unit of their YAML key (``write_gbps``, ``isl_gbps``, ``restart_s``); durations
written as text (``interval: 30min``) go through :func:`orbitcloud.scenario.durations.parse_duration_s`.
:func:`orbitcloud.ops.training.training_params` converts a validated :class:`Training` to SI.

Defaults that are not computed, with their sources (details in ``docs/training.md``):

* ``checkpoint.bytes_per_param`` 14: mixed-precision Adam keeps 16 bytes per parameter of model state
  (bf16 weights 2 + bf16 gradients 2 + fp32 master weights, first and second moments 12; Rajbhandari
  et al., "ZeRO", SC'20, arXiv 1910.02054, sec. 3.1); a checkpoint needs all but the gradients.
* ``checkpoint.write_gbps`` 16 (2 GB/s per satellite): assumption; one PCIe 3.0/4.0 x4 NVMe SSD writes
  sequentially at 3-7 GB/s (vendor datasheets), derated for sustained writes and space-grade storage.
* ``restart_s`` 300 s: assumption; job relaunch and checkpoint reload, the same order as the fault
  model's host-crash reboot (``catalog/faults.yaml``, ``sefi.recovery_s`` 300 s).
* ``reconfigure_s`` 60 s: assumption; rebuilding the collective group when members leave or join
  (elastic rendezvous; the weights stay in memory on the remaining members).
* ``sdc_detection`` 0.5: assumption, no published detection probability is known to orbitcloud. SDC in
  training is caught by loss/gradient-norm spikes and NaN checks (Altenbernd, Wiesner & Kao, arXiv
  2604.00726, 2026); Meta found 6 SDC interruptions in 54 days on 16,384 H100 (Llama 3, arXiv 2407.21783,
  table 5), Google reports SDC "every week or two" in Gemini training (arXiv 2312.11805). Set 0 or 1 to
  bound the effect.
* ``soc_pause`` 0.3 / ``soc_resume`` soc_pause + 0.1: assumption; 10 points above the battery catalog's
  ``soc_min`` 0.2 so the job stops (after a checkpoint) before the power policy throttles the payload.
* ``diloco_h`` 500: Douillard et al., "DiLoCo", arXiv 2311.08105 (2023), H = 500 inner steps.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BeforeValidator, Field, Strict, ValidationError, model_validator

from orbitcloud.errors import ScenarioError
from orbitcloud.scenario.base import Num, ScenarioModel, Seconds
from orbitcloud.scenario.durations import parse_duration_s

__all__ = ["Checkpoint", "Training", "parse_training", "INTERVAL_WORDS"]

Count = Annotated[int, Strict()]

#: Words accepted by ``checkpoint.interval`` besides a duration.
INTERVAL_WORDS = ("auto", "none")


def _interval(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() in INTERVAL_WORDS:
        return value.strip().lower()
    if isinstance(value, str) and value.strip().lower() == "off":
        return "none"
    try:
        t_s = parse_duration_s(value)
    except ValueError:
        raise ValueError(f"{value!r} is not 'auto' (Young/Daly), 'none' or a duration such as 30min") from None
    if t_s <= 0.0:
        raise ValueError(f"interval {value!r} must be positive, 'auto' (Young/Daly) or 'none'")
    return t_s


def _duration(value: object) -> float:
    return parse_duration_s(value)


Interval = Annotated[Union[Literal["auto", "none"], float], BeforeValidator(_interval)]
DurationS = Annotated[float, BeforeValidator(_duration)]


_Model = ScenarioModel


class Checkpoint(_Model):
    """Checkpointing: state size per parameter, write rate per satellite, interval."""

    interval: Interval = "auto"
    write_gbps: Num = Field(default=16.0, gt=0.0, le=1e6)
    bytes_per_param: Num = Field(default=14.0, gt=0.0, le=64.0)
    mtbf_prior: DurationS | None = None

    @model_validator(mode="after")
    def _prior(self) -> "Checkpoint":
        if self.mtbf_prior is not None and self.mtbf_prior <= 0.0:
            raise ValueError(f"mtbf_prior must be a positive duration, got {self.mtbf_prior:g} s")
        return self


class Training(_Model):
    """One data-parallel training job on the first ``count`` satellites of ``shell``.

    ``model`` is a name of ``catalog/llm_models.yaml`` (checked when the job is built, by
    :func:`orbitcloud.ops.training.training_params`); ``tokens`` the training tokens to process;
    ``global_batch_tokens`` the tokens of one optimiser step (kept constant when the job shrinks);
    ``spares`` further satellites of the shell held in reserve.
    """

    model: str = Field(min_length=1)
    precision: str = "bf16"
    tokens: Num = Field(gt=0.0, le=1e16)
    global_batch_tokens: Num = Field(gt=0.0, le=1e12)
    seq_len: Count = Field(default=1024, ge=1, le=10_000_000)
    shell: str | None = None
    count: Count | None = Field(default=None, ge=1)
    spares: Count = Field(default=0, ge=0)
    mfu: Num | None = Field(default=None, gt=0.0, le=1.0)
    mode: Literal["sync", "diloco"] = "sync"
    diloco_h: Count = Field(default=500, ge=1, le=1_000_000)
    allreduce: Literal["ring", "hierarchical"] = "ring"
    on_constraint: Literal["pause", "shrink"] = "pause"
    soc_pause: Num = Field(default=0.3, ge=0.0, le=1.0)
    soc_resume: Num | None = Field(default=None, ge=0.0, le=1.0)
    temp_margin_pause_k: Num = Field(default=0.0, ge=-100.0, le=200.0)
    pause_in_eclipse: bool = False
    checkpoint: Checkpoint = Checkpoint()
    restart_s: Seconds = Field(default=300.0, ge=0.0, le=1e7)
    reconfigure_s: Seconds = Field(default=60.0, ge=0.0, le=1e7)
    sdc_detection: Num = Field(default=0.5, ge=0.0, le=1.0)
    isl_gbps: Num | None = Field(default=None, gt=0.0, le=1e6)

    @model_validator(mode="after")
    def _check(self) -> "Training":
        if self.global_batch_tokens < self.seq_len:
            raise ValueError(
                f"global_batch_tokens {self.global_batch_tokens:g} is smaller than one sequence "
                f"(seq_len {self.seq_len})"
            )
        if self.soc_resume is not None and self.soc_resume < self.soc_pause:
            raise ValueError(f"soc_resume {self.soc_resume:g} must not be below soc_pause {self.soc_pause:g}")
        return self

    @property
    def soc_resume_value(self) -> float:
        """``soc_resume``, or ``soc_pause + 0.1`` (capped at 1) when not given."""
        return self.soc_resume if self.soc_resume is not None else min(1.0, self.soc_pause + 0.1)


def parse_training(data: Any, where: str = "workloads.training") -> Training:
    """Validate a ``workloads.training`` mapping outside a scenario file (API and tests).

    Raises :class:`~orbitcloud.errors.ScenarioError` with one line ``WHERE.KEY: problem (got VALUE)``.
    """
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: expected a mapping, got {type(data).__name__}")
    try:
        return Training.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith(("function-", "literal[")))
        path = f"{where}.{loc}" if loc else where
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        shown = "" if isinstance(got, dict) or err["type"].startswith("value_error") else f" (got {got!r})"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise ScenarioError(f"{path}: {msg}{shown}{more}") from None
