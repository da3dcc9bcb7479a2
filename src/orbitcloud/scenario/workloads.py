"""Scenario sections ``workloads:`` and ``policies:`` (pydantic models; ``docs/scenario.md``).

``workloads.inference`` is defined here; ``workloads.training`` and ``workloads.earth_observation``
in :mod:`orbitcloud.scenario.training_schema` and :mod:`orbitcloud.scenario.eo_schema`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, Strict, field_validator, model_validator

from orbitcloud.scenario.base import Num, ScenarioModel
from orbitcloud.scenario.durations import parse_duration_s
from orbitcloud.scenario.eo_schema import EarthObservation
from orbitcloud.scenario.training_schema import Training

DurationS = Annotated[float, BeforeValidator(parse_duration_s)]
Count = Annotated[int, Strict()]

#: Placement policies of the workload layer (``docs/policies.md``).
POLICY_NAMES = ("first-fit", "power-aware", "follow-the-sun", "latency-aware", "thermal-aware")
#: Serving (power and model) policies (``docs/serving.md``).
SERVING_NAMES = ("max-clock", "race-to-idle", "energy-aware", "cascade")


_Model = ScenarioModel


class Source(_Model):
    """A city (or any place) that sends requests; ``weight`` is its share of the arrivals."""

    name: str = Field(min_length=1)
    lat_deg: Num = Field(ge=-90.0, le=90.0)
    lon_deg: Num = Field(ge=-180.0, lt=360.0)
    weight: Num = Field(default=1.0, gt=0.0)


class Arrivals(_Model):
    """Request arrivals: a shipped generator fitted to the Azure LLM traces, or a trace file replayed."""

    generator: str | None = None
    trace: str | None = None
    rate_per_s: Num | None = Field(default=None, gt=0.0, le=1e6)
    rate_scale: Num = Field(default=1.0, gt=0.0, le=1e6)

    @model_validator(mode="after")
    def _one_source(self) -> "Arrivals":
        if self.generator is not None and self.trace is not None:
            raise ValueError("give one of generator or trace, not both")
        if self.trace is not None and self.rate_per_s is not None:
            raise ValueError("rate_per_s applies to a generator; scale a replayed trace with rate_scale")
        return self


class SLO(_Model):
    """Service-level objectives per request."""

    ttft_s: DurationS = 2.0
    tpot_s: DurationS = 0.2


class SmallModel(_Model):
    """A second, smaller model each replica also holds (``docs/serving.md``): the ``energy-aware``
    policy falls back to it when energy is short, the ``cascade`` sends every request to it first."""

    model: str = Field(min_length=1)
    precision: str = "int8"


class Inference(_Model):
    """LLM serving: the model, where it runs, who sends requests and the objectives."""

    model: str = Field(min_length=1)
    precision: str = "bf16"
    small_model: SmallModel | None = None
    kv_precision: str | None = None
    shells: list[str] | None = None
    sources: str | list[Source]
    arrivals: Arrivals = Arrivals(generator="azure-conv")
    slo: SLO = SLO()
    max_batch: Count = Field(default=64, ge=1, le=4096)
    max_context_tokens: Count | None = Field(default=None, ge=2)

    @field_validator("sources")
    @classmethod
    def _some_sources(cls, value):
        if isinstance(value, list) and not value:
            raise ValueError("list at least one source")
        return value


class Batch(_Model):
    """A backlog of batch work (offline inference over scenes relayed from partner satellites) that
    takes whatever compute the other workloads leave (``docs/workloads.md``, "Batch backlog").

    Each item is ``tokens_per_item`` tokens through ``model`` (``2 params`` operations per token) or
    ``ops_per_item`` operations, on ``input_mb_per_item`` MB of input that reaches the satellite over its
    laser links (``input: isl``; a satellite with no ISL up cannot fetch work) or is already on board
    (``input: local``). ``items``: the backlog (default: more than the run can do).
    """

    shells: list[str] | None = None
    model: str = "remote-sensing-8b"
    precision: str = "int8"
    tokens_per_item: Count = Field(default=2000, ge=1, le=10_000_000)
    ops_per_item: Num | None = Field(default=None, gt=0.0, le=1e24)
    input_mb_per_item: Num = Field(default=126.0, ge=0.0, le=1e9)
    input: Literal["isl", "local"] = "isl"
    items: Count | None = Field(default=None, ge=0)


class Workloads(_Model):
    """The ``workloads:`` section: any of inference, training, Earth observation and batch."""

    inference: Inference | None = None
    training: Training | None = None
    earth_observation: EarthObservation | None = None
    batch: Batch | None = None

    @model_validator(mode="after")
    def _something(self) -> "Workloads":
        if self.inference is None and self.training is None and self.earth_observation is None and self.batch is None:
            raise ValueError("give at least one of inference, training, earth_observation, batch")
        return self


class Policies(_Model):
    """The ``policies:`` section: how the operator places work (``docs/policies.md``)."""

    placement: str = "first-fit"
    replan: DurationS = 300.0
    telemetry_delay: DurationS = 60.0
    route_every: DurationS = 60.0
    target_utilisation: Num = Field(default=0.6, gt=0.0, le=1.0)
    min_replicas: Count = Field(default=1, ge=1)
    soc_min: Num = Field(default=0.5, ge=0.0, le=1.0)
    temp_margin_k: Num = Field(default=5.0, ge=0.0)
    eclipse_lookahead: DurationS = 900.0
    idle_demand: Num = Field(default=0.15, ge=0.0, le=1.0)
    migrate_after: DurationS = 120.0
    serving: str = "max-clock"
    battery_floor: Num = Field(default=0.4, ge=0.0, le=1.0)
    escalate_share: Num = Field(default=0.3, ge=0.0, le=1.0)
    power_cap_w: Num | None = Field(default=None, gt=0.0)

    @field_validator("placement")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in POLICY_NAMES:
            raise ValueError(f"unknown placement policy {value!r}; known: {', '.join(POLICY_NAMES)}")
        return value

    @field_validator("serving")
    @classmethod
    def _known_serving(cls, value: str) -> str:
        if value not in SERVING_NAMES:
            raise ValueError(f"unknown serving policy {value!r}; known: {', '.join(SERVING_NAMES)}")
        return value

    @field_validator("replan", "route_every", "telemetry_delay", "eclipse_lookahead", "migrate_after")
    @classmethod
    def _non_negative(cls, value: float) -> float:
        if value < 0.0:
            raise ValueError(f"must not be negative, got {value:g} s")
        return value
