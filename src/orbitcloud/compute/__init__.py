"""Compute performance models: LLM catalog, inference roofline and continuous batching, training step time.

* :mod:`orbitcloud.compute.models`: the language models (``catalog/llm_models.yaml``), weight and KV-cache
  bytes, training FLOPs per token;
* :mod:`orbitcloud.compute.inference`: per-iteration roofline of prefill and decode, KV-cache capacity,
  steady-state continuous batching (:class:`InferencePerf`);
* :mod:`orbitcloud.compute.training`: training step time at a model-FLOPs utilisation plus exposed
  all-reduce (ring, hierarchical, DiLoCo), Young and Daly checkpoint intervals (:class:`TrainingPerf`).

Layer: imports only ``orbitcloud.catalog`` and ``orbitcloud.errors``. Documentation: ``docs/compute.md``.
"""

from __future__ import annotations

from orbitcloud.compute.inference import Efficiency, InferencePerf, ModelTooLarge, efficiency, efficiency_names, fits
from orbitcloud.compute.models import (
    LLM,
    PRECISION_BYTES,
    kv_bytes_per_token,
    llm,
    llm_names,
    train_flops_per_token,
    weight_bytes,
)
from orbitcloud.compute.training import (
    TrainingPerf,
    daly_interval_s,
    daly_wall_time_s,
    hierarchical_allreduce_s,
    ring_allreduce_s,
    young_interval_s,
)

__all__ = [
    "LLM",
    "PRECISION_BYTES",
    "llm",
    "llm_names",
    "weight_bytes",
    "kv_bytes_per_token",
    "train_flops_per_token",
    "ModelTooLarge",
    "Efficiency",
    "efficiency",
    "efficiency_names",
    "InferencePerf",
    "fits",
    "TrainingPerf",
    "ring_allreduce_s",
    "hierarchical_allreduce_s",
    "young_interval_s",
    "daly_interval_s",
    "daly_wall_time_s",
]
