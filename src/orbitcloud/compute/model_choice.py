"""Model variants: a catalog language model at a weight precision, with its memory, arithmetic and quality.

A *variant* is ``MODEL@PRECISION`` (``llama-3.1-8b@fp8``): a model of ``catalog/llm_models.yaml`` whose
weights are stored at ``PRECISION`` and whose quality has been published (``catalog/model_quality.yaml``).
It carries

* ``weight_b``: ``params x bytes(precision)`` [B] (:func:`orbitcloud.compute.models.weight_bytes`);
* ``flops_per_token``: ``2 N`` [FLOP/token], the forward arithmetic of one generated token at short context
  (the ``2 N b`` term of :meth:`~orbitcloud.compute.inference.InferencePerf.decode_flops` for ``b = 1``;
  the attention term ``4 L d_attn C`` vanishes as the context ``C`` goes to 0);
* ``quality``: the published score on the catalog's one scale (MMLU 5-shot macro-average accuracy of the
  instruction-tuned model [%]); a variant measured in another harness gets its parent's score times the
  published recovery (``measured / measured_baseline``);
* ``quality_rel``: ``quality / max(quality over the catalog)`` in ``[0, 1]``.

Where a variant runs (:func:`compute_precision`): the arithmetic runs at the precision of the published
scheme (``activation``: W16A16 and W4A16 at bf16, W8A8-FP at fp8, W8A8-INT and W4A8 at int8), which the
accelerator must list in its ``ops_per_s``. Weight-only-quantised variants (4-bit weights) never multiply in
int4: their weights are dequantised in the kernel to the activation precision, and where the accelerator
lacks that precision they may run at the next wider one it lists (int8 -> bf16 -> fp16; bf16 <-> fp16),
never narrower. A variant *fits* ``n`` devices if it runs there and its weights fit the usable memory
(:func:`orbitcloud.compute.inference.fits`: weights below ``n M (1 - reserve)``, the rest for the KV cache).

:func:`inference_perf` builds the :class:`~orbitcloud.compute.inference.InferencePerf` of a variant
(weight bytes of its precision, peak of its compute precision): W4A16 is ``precision="int4"`` with
``compute_precision="bf16"``, which ``InferencePerf`` already expresses.

Sources, the quality scale and the assumptions: ``docs/models.md``.
"""

from __future__ import annotations

import dataclasses
import functools
from importlib import resources
from typing import Any

from orbitcloud.compute.inference import InferencePerf, ModelTooLarge, fits
from orbitcloud.compute.models import (
    LLM,
    PRECISION_BYTES,
    accelerator,
    llm,
    llm_names,
    weight_bytes,
)
from orbitcloud.errors import OrbitcloudError

__all__ = [
    "ModelVariant",
    "QUALITY_FILE",
    "variant",
    "variant_names",
    "quality_scale",
    "compute_precision",
    "runs_on",
    "fitting_variants",
    "check_fits",
    "inference_perf",
]

#: The quality catalog (package data of ``orbitcloud.catalog``).
QUALITY_FILE = "model_quality.yaml"
#: The entry of the quality catalog that describes the scale (not a model).
SCALE_ENTRY = "scale"
#: Wider arithmetic a weight-only-quantised variant may fall back to, in order, when the accelerator lacks
#: the published activation precision (dequantising to a wider type never loses accuracy; never narrower).
_WIDER: dict[str, tuple[str, ...]] = {"int8": ("bf16", "fp16"), "fp8": ("bf16", "fp16"),
                                      "bf16": ("fp16",), "fp16": ("bf16",)}
_SCORE_KEYS = ("score", "measured", "recovery")


@dataclasses.dataclass(frozen=True)
class ModelVariant:
    """A catalog model at a weight precision with its published quality.

    name : ``"MODEL@PRECISION"``, e.g. ``"llama-3.1-8b@fp8"``
    model : the :class:`~orbitcloud.compute.models.LLM`
    precision : weight precision (a key of ``PRECISION_BYTES``)
    weight_b : memory of the weights, ``params x bytes(precision)`` [B]
    flops_per_token : forward arithmetic per generated token at short context, ``2 N`` [FLOP/token]
    quality : published score on the catalog scale (MMLU 5-shot macro-average accuracy [%])
    quality_rel : ``quality / best quality of the catalog``, in [0, 1]
    source : where the quality comes from
    scheme : published quantisation scheme (``W16A16``, ``W8A8-FP``, ``W8A8-INT``, ``W4A16``, ``W4A8``)
    activation : precision of the arithmetic in the published evaluation (a key of ``ops_per_s``)
    """

    name: str
    model: LLM
    precision: str
    weight_b: float
    flops_per_token: float
    quality: float
    quality_rel: float
    source: str
    scheme: str = ""
    activation: str = ""

    @property
    def params(self) -> float:
        """Parameters of the model [-]."""
        return self.model.params

    @property
    def weight_only(self) -> bool:
        """Whether the weights are narrower than the arithmetic (W4A16, W4A8): dequantised in the kernel."""
        return PRECISION_BYTES[self.precision] < PRECISION_BYTES[self.activation]


# ---------------------------------------------------------------------------------------------- catalog
@functools.lru_cache(maxsize=None)
def _catalog() -> dict[str, Any]:
    import yaml

    text = resources.files("orbitcloud.catalog").joinpath(QUALITY_FILE).read_text("utf-8")
    data = yaml.safe_load(text)
    where = f"catalog {QUALITY_FILE}"
    if not isinstance(data, dict) or SCALE_ENTRY not in data:  # packaging bugs: RuntimeError, as the loaders
        raise RuntimeError(f"{where}: no '{SCALE_ENTRY}' entry")
    models = set(llm_names())
    for key, entry in data.items():
        if not isinstance(entry, dict) or not entry.get("source"):
            raise RuntimeError(f"{where}: entry {key!r} has no source")
        if key == SCALE_ENTRY:
            continue
        if key not in models:
            raise RuntimeError(f"{where}: {key!r} is not a model of llm_models.yaml")
        if not entry.get("precisions"):
            raise RuntimeError(f"{where}: {key} lists no precisions")
        for prec, v in entry["precisions"].items():
            path = f"{where}: {key}.precisions.{prec}"
            if prec not in PRECISION_BYTES or v.get("activation") not in PRECISION_BYTES:
                raise RuntimeError(f"{path}: unknown precision or activation precision")
            if not v.get("source"):
                raise RuntimeError(f"{path} has no source")
            if sum(k in v for k in _SCORE_KEYS) != 1 or (("measured" in v) != ("measured_baseline" in v)):
                raise RuntimeError(f"{path}: expected one of score, measured + measured_baseline, recovery")
    return data


def quality_scale() -> dict[str, Any]:
    """The ``scale`` entry of the quality catalog (benchmark, setting, unit, ``noise_pp``, normalisation)."""
    return dict(_catalog()[SCALE_ENTRY])


def _entries() -> dict[str, Any]:
    return {k: v for k, v in _catalog().items() if k != SCALE_ENTRY}


def _parent(model: str) -> str:
    """The unquantised reference precision of a model's entry (bf16, else fp16)."""
    precs = _entries()[model]["precisions"]
    for p in ("bf16", "fp16"):
        if p in precs and "score" in precs[p]:
            return p
    raise RuntimeError(f"catalog {QUALITY_FILE}: {model} has no bf16/fp16 score to scale recoveries by")


def _score(model: str, prec: str) -> float:
    v = _entries()[model]["precisions"][prec]
    if "score" in v:
        return float(v["score"])
    parent = float(_entries()[model]["precisions"][_parent(model)]["score"])
    if "recovery" in v:
        return parent * float(v["recovery"])
    return parent * float(v["measured"]) / float(v["measured_baseline"])


@functools.lru_cache(maxsize=None)
def _best() -> float:
    return max(_score(m, p) for m, e in _entries().items() for p in e["precisions"])


def _order(name: str) -> tuple:
    model, prec = name.split("@")
    return (llm(model).params, model, -PRECISION_BYTES[prec], prec)


def variant_names() -> list[str]:
    """Every published variant ``MODEL@PRECISION``, smallest model first, widest precision first."""
    return sorted((f"{m}@{p}" for m, e in _entries().items() for p in e["precisions"]), key=_order)


@functools.lru_cache(maxsize=None)
def _variant(model: str, prec: str) -> ModelVariant:
    m = llm(model)
    v = _entries()[model]["precisions"][prec]
    q = _score(model, prec)
    return ModelVariant(
        name=f"{model}@{prec}", model=m, precision=prec, weight_b=weight_bytes(m, prec),
        flops_per_token=2.0 * m.params, quality=q, quality_rel=q / _best(), source=str(v["source"]),
        scheme=str(v.get("scheme", "")), activation=str(v["activation"]),
    )


def variant(name: str, where: str = "model") -> ModelVariant:
    """The variant ``"MODEL@PRECISION"`` of the quality catalog.

    Raises :class:`OrbitcloudError` naming ``where`` (the scenario key or argument), the value and the known
    names: for a malformed name, an unknown model, a model without published quality, an unknown precision
    or a precision without published quality.
    """
    if isinstance(name, ModelVariant):
        return name
    if not isinstance(name, str) or name.count("@") != 1:
        raise OrbitcloudError(f"{where}: {name!r} is not a model variant; expected MODEL@PRECISION such as "
                              f"'llama-3.1-8b@fp8'; known: {', '.join(variant_names())}")
    model, prec = name.split("@")
    entries = _entries()
    if model not in entries:
        what = "has no published quality" if model in llm_names() else "is unknown"
        raise OrbitcloudError(f"{where}: model {model!r} {what}; models with published quality: "
                              f"{', '.join(sorted(entries, key=lambda k: (llm(k).params, k)))}")
    precs = entries[model]["precisions"]
    if prec not in precs:
        what = (f"{model}@{prec} has no published quality" if prec in PRECISION_BYTES
                else f"precision {prec!r} of {model} is unknown")
        raise OrbitcloudError(f"{where}: {what}; published precisions of {model}: {', '.join(precs)}")
    return _variant(model, prec)


# ---------------------------------------------------------------------------------------------- where it runs
def compute_precision(v: ModelVariant | str, accelerator_name: str) -> str | None:
    """The precision the arithmetic of ``v`` runs at on ``accelerator_name``, or ``None`` if it cannot run.

    The published activation precision if the accelerator lists it in ``ops_per_s``; for a weight-only-
    quantised variant (4-bit weights: W4A16, W4A8) otherwise the first wider precision it lists
    (int8 -> bf16 -> fp16, bf16 <-> fp16). Native int4 arithmetic is never used.
    """
    v = variant(v)
    ops = accelerator(accelerator_name)["ops_per_s"]
    if v.activation in ops:
        return v.activation
    if v.weight_only:
        for p in _WIDER.get(v.activation, ()):
            if p in ops:
                return p
    return None


def runs_on(v: ModelVariant | str, accelerator_name: str) -> bool:
    """Whether ``v`` can run its arithmetic on ``accelerator_name`` (:func:`compute_precision`)."""
    return compute_precision(v, accelerator_name) is not None


def _check_n(n_devices, where: str) -> int:
    if isinstance(n_devices, bool) or not isinstance(n_devices, int) or n_devices < 1:
        raise OrbitcloudError(f"{where}: n_devices {n_devices!r}: expected an integer >= 1")
    return n_devices


def fitting_variants(accelerator_name: str, n_devices: int = 1, *,
                     memory_reserve_fraction: float = 0.1) -> list[ModelVariant]:
    """The variants that run on ``n_devices`` x ``accelerator_name`` and whose weights fit.

    A variant fits if :func:`compute_precision` finds a precision the accelerator lists and
    :func:`orbitcloud.compute.inference.fits` accepts its weights (below ``n M (1 - reserve)``, the rest
    left for the KV cache). Order of :func:`variant_names`. Unknown accelerator: :class:`OrbitcloudError`.
    """
    n = _check_n(n_devices, "fitting_variants")
    accelerator(accelerator_name)  # unknown names raise here, with the known ones
    out = []
    for name in variant_names():
        v = variant(name)
        if compute_precision(v, accelerator_name) is None:
            continue
        ok, _ = fits(accelerator_name, n, v.model, v.precision, memory_reserve_fraction)
        if ok:
            out.append(v)
    return out


def check_fits(v: ModelVariant | str, accelerator_name: str, n_devices: int, where: str, *,
               memory_reserve_fraction: float = 0.1) -> None:
    """Raise if ``v`` cannot be served on ``n_devices`` x ``accelerator_name``; return ``None`` if it can.

    :class:`OrbitcloudError` (one line, starting with ``where``) if the accelerator lacks the variant's
    arithmetic; :class:`~orbitcloud.compute.inference.ModelTooLarge` naming the GB needed and available and
    the devices needed if the weights do not fit.
    """
    v = variant(v, where)
    n = _check_n(n_devices, where)
    if compute_precision(v, accelerator_name) is None:
        ops = accelerator(accelerator_name)["ops_per_s"]
        wider = f" (or, dequantised, {' / '.join(_WIDER.get(v.activation, ()))})" if v.weight_only else ""
        raise OrbitcloudError(f"{where}: {v.name} ({v.scheme}) computes at {v.activation}{wider}, which "
                              f"{accelerator_name} does not support; it supports: {', '.join(ops)}")
    ok, reason = fits(accelerator_name, n, v.model, v.precision, memory_reserve_fraction)
    if not ok:
        raise ModelTooLarge(f"{where}: model {v.name} does not fit: {reason}")


def inference_perf(v: ModelVariant | str, accelerator_name: str, n_devices: int = 1,
                   **kwargs: Any) -> InferencePerf:
    """The :class:`~orbitcloud.compute.inference.InferencePerf` of ``v`` on ``n_devices`` x ``accelerator_name``.

    Weights at ``v.precision``, arithmetic at :func:`compute_precision` (W4A16: int4 weight bytes, bf16
    peak). Other keyword arguments go to ``InferencePerf`` (``kv_precision``, ``efficiency``, ...).
    Raises as :func:`check_fits` (``where`` = ``"inference_perf"``).
    """
    check_fits(v, accelerator_name, n_devices, "inference_perf",
               memory_reserve_fraction=kwargs.get("memory_reserve_fraction", 0.1))
    v = variant(v)
    return InferencePerf(accelerator_name, v.model, v.precision, n_devices,
                         compute_precision=compute_precision(v, accelerator_name), **kwargs)

