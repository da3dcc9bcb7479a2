"""Language models (catalog ``llm_models.yaml``) and their memory and arithmetic per token.

A model is described by its transformer shape (layers, width, attention and key/value heads, head size,
vocabulary, context) and its parameter count; everything the performance models need follows:

* weights: ``params x bytes(precision)`` [B];
* key/value cache per token: ``2 x n_layers x n_kv_heads x head_dim x bytes(kv_precision)`` [B]
  (one key and one value vector per layer and KV head; Shazeer 2019 for multi-query, Ainslie et al. 2023
  for grouped-query attention);
* training arithmetic per token: ``6 N + 12 n_layers seq_len d_model`` [FLOP] (Kaplan et al. 2020,
  arXiv 2001.08361, sec. 2.1: 2N forward + 4N backward for the matrix products, plus the attention scores
  and weighted values over the context; the form of PaLM, Chowdhery et al. 2022, arXiv 2204.02311, app. B).

Equations, assumptions and validation: ``docs/compute.md``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

from orbitcloud.errors import OrbitcloudError

__all__ = [
    "PRECISION_BYTES",
    "LLM",
    "llm",
    "llm_names",
    "weight_bytes",
    "kv_bytes_per_token",
    "train_flops_per_token",
    "precision_bytes",
    "accelerator",
    "peak_ops_per_s",
    "model_entry",
    "efficiency_classes",
]

#: Bytes per stored number for each precision name (IEEE / OCP formats; tf32 is stored as fp32).
PRECISION_BYTES: dict[str, float] = {
    "fp32": 4.0,
    "tf32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
    "fp4": 0.5,
    "fp64": 8.0,
}

#: Name of the catalog entry that holds the inference-engine efficiency classes (not a model).
EFFICIENCY_ENTRY = "inference_efficiency"


@dataclass(frozen=True)
class LLM:
    """A decoder-only transformer language model (shape and size; SI-free counts).

    ``params`` counts every parameter, embeddings included [-]; ``context_max`` is the longest sequence
    (prompt plus output) the model accepts [tokens]. The attention width is ``n_heads x head_dim``.
    """

    name: str
    label: str
    params: float
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    vocab: int
    context_max: int
    source: str

    @property
    def d_attn(self) -> int:
        """Width of the attention (queries): ``n_heads x head_dim``."""
        return self.n_heads * self.head_dim


@functools.lru_cache(maxsize=None)
def _catalog() -> dict[str, Any]:
    import yaml

    text = resources.files("orbitcloud.catalog").joinpath("llm_models.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    for key, value in data.items():
        if not isinstance(value, dict) or not value.get("source"):
            raise RuntimeError(f"catalog llm_models.yaml: entry {key!r} has no source")  # packaging bug
    return data


def _model_entries() -> dict[str, Any]:
    return {k: v for k, v in _catalog().items() if k != EFFICIENCY_ENTRY}


def llm_names() -> list[str]:
    """Names of the catalog models, sorted."""
    return sorted(_model_entries())


@functools.lru_cache(maxsize=None)
def _llm(name: str) -> LLM:
    e = _model_entries()[name]
    return LLM(
        name=name,
        label=str(e["label"]),
        params=float(e["params"]),
        n_layers=int(e["n_layers"]),
        d_model=int(e["d_model"]),
        n_heads=int(e["n_heads"]),
        n_kv_heads=int(e["n_kv_heads"]),
        head_dim=int(e["head_dim"]),
        vocab=int(e["vocab"]),
        context_max=int(e["context_max"]),
        source=str(e["source"]),
    )


def llm(name: str | LLM) -> LLM:
    """The catalog model ``name`` (an :class:`LLM` is returned unchanged).

    Raises :class:`OrbitcloudError` listing the known names if ``name`` is not in ``llm_models.yaml``.
    """
    if isinstance(name, LLM):
        return name
    if not isinstance(name, str) or name not in _model_entries():
        raise OrbitcloudError(f"model {name!r} is unknown; known models: {', '.join(llm_names())}")
    return _llm(name)


def model_entry(name: str) -> dict[str, Any]:
    """The raw catalog entry of a model (optional fields such as ``train_mfu``); {} for custom models."""
    return dict(_model_entries().get(name, {}))


def efficiency_classes() -> dict[str, Any]:
    """The raw ``inference_efficiency.classes`` mapping of the catalog."""
    return dict(_catalog()[EFFICIENCY_ENTRY]["classes"])


def precision_bytes(precision: str, what: str = "precision") -> float:
    """Bytes per number of ``precision``; :class:`OrbitcloudError` listing the known precisions if unknown."""
    if precision not in PRECISION_BYTES:
        raise OrbitcloudError(f"{what} {precision!r} is unknown; known precisions: {', '.join(PRECISION_BYTES)}")
    return PRECISION_BYTES[precision]


def weight_bytes(model: LLM, precision: str) -> float:
    """Bytes of the weights: ``params x bytes(precision)`` [B]."""
    return llm(model).params * precision_bytes(precision)


def kv_bytes_per_token(model: LLM, kv_precision: str) -> float:
    """Key/value cache per token: ``2 n_layers n_kv_heads head_dim bytes(kv_precision)`` [B/token]."""
    m = llm(model)
    return 2.0 * m.n_layers * m.n_kv_heads * m.head_dim * precision_bytes(kv_precision, "kv precision")


def train_flops_per_token(model: LLM, seq_len: int) -> float:
    """Training arithmetic per token: ``6 N + 12 n_layers seq_len d_model`` [FLOP/token].

    Kaplan et al. 2020 (arXiv 2001.08361) sec. 2.1; PaLM (arXiv 2204.02311) app. B. ``6 N`` is the forward
    (2N) and backward (4N) matrix products; ``12 L T d`` the attention scores and weighted sums over a
    context of ``T = seq_len`` (no saving from the causal mask, no activation recomputation: model FLOPs).
    """
    m = llm(model)
    return 6.0 * m.params + 12.0 * m.n_layers * float(seq_len) * m.d_model


def accelerator(name: str) -> dict[str, Any]:
    """The ``accelerators.yaml`` entry ``name``; :class:`OrbitcloudError` listing the known names if unknown."""
    from orbitcloud import catalog

    try:
        return catalog.entry("accelerators", name)
    except KeyError as exc:
        raise OrbitcloudError(str(exc.args[0])) from None


def peak_ops_per_s(accelerator_name: str, precision: str) -> float:
    """Dense peak of one device at ``precision`` [OP/s] (catalog ``ops_per_s``).

    Raises :class:`OrbitcloudError` naming the supported precisions if the device lists none for it.
    """
    ops = accelerator(accelerator_name)["ops_per_s"]
    if precision not in ops:
        raise OrbitcloudError(f"precision {precision!r} is not supported by {accelerator_name}; "
                              f"supported: {', '.join(ops)}")
    return float(ops[precision])
