"""LLM inference on one accelerator (or a tensor-parallel group): a per-iteration roofline.

Every forward pass (an *iteration*) takes the longer of its arithmetic and its memory traffic, each at a
documented fraction of the device's peak (Williams, Waterman & Patterson 2009, "Roofline", CACM 52:65),
plus a fixed overhead::

    t = max(F / (n P c), B / (n W m)) + o [+ tensor-parallel all-reduce]

* prefill of ``T`` prompt tokens in ``s`` sequences: ``F = 2 N T + 2 L d_attn T^2 / s`` (matrix products
  and causal attention), ``B = weights + T (kv + 2 L d_model 2)`` (weights read once, the KV cache
  written, the residual stream read and written per layer): compute-bound for long prompts;
* one decode iteration of ``b`` sequences whose caches hold ``C`` tokens in total:
  ``F = 2 N b + 4 L d_attn C``, ``B = weights + C kv``: memory-bound unless the batch is large.

``n`` devices in tensor parallel add their peaks, bandwidths and memories and split the weights
(Megatron-LM, Shoeybi et al. 2019); their two all-reduces per layer are charged only if ``tp_link_bps``
is given. KV-cache capacity: ``(n M (1 - reserve) - weights) / kv`` tokens (paged KV cache, Kwon et al.
2023). Continuous batching (Yu et al. 2022, "Orca"; vLLM) at steady state with ``B`` concurrent
sequences of ``i`` prompt and ``o`` output tokens is modelled as rounds, each prefilling ``B`` prompts
and decoding ``o`` tokens for ``B`` sequences at the mean context ``i + o/2``::

    throughput = B o / (t_prefill(B i) + o t_decode(B, B (i + o/2)))

The efficiency factors ``c`` (compute), ``m`` (memory) and ``o`` (overhead) are one documented set per
engine class (``llm_models.yaml``, ``inference_efficiency``); the calibration against published
throughputs is in ``tests/compute/test_calibration.py``. Equations, assumptions and validation:
``docs/compute.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from orbitcloud.compute.models import (
    LLM,
    PRECISION_BYTES,
    accelerator,
    efficiency_classes,
    kv_bytes_per_token,
    llm,
    peak_ops_per_s,
    precision_bytes,
    weight_bytes,
)
from orbitcloud.compute.training import ring_allreduce_s
from orbitcloud.errors import OrbitcloudError

__all__ = [
    "ModelTooLarge",
    "Efficiency",
    "DEFAULT_ENGINE",
    "ACTIVATION_BYTES",
    "efficiency",
    "efficiency_names",
    "InferencePerf",
    "fits",
]

#: Efficiency class used when none is given.
DEFAULT_ENGINE = "default"
#: Bytes per activation element (bf16/fp16 activations, also with fp8 or int8 weights).
ACTIVATION_BYTES = 2.0


class ModelTooLarge(OrbitcloudError):
    """The model's weights do not fit the usable memory of the devices."""


@dataclass(frozen=True)
class Efficiency:
    """Fractions of the roofline an inference engine reaches.

    compute : fraction of the dense peak reached by the arithmetic (0, 1]
    memory : fraction of the memory bandwidth reached by the weight and KV-cache reads (0, 1]
    overhead_s : fixed time added to every iteration (launches, scheduling, sampling) [s]
    source : where the numbers come from
    name : the class name (``custom`` for hand-made sets)
    """

    compute: float
    memory: float
    overhead_s: float
    source: str
    name: str = "custom"

    def __post_init__(self) -> None:
        for key in ("compute", "memory"):
            v = getattr(self, key)
            if not (0.0 < v <= 1.0):
                raise OrbitcloudError(f"efficiency {key} {v!r}: expected a fraction 0 < x <= 1")
        if not (self.overhead_s >= 0.0):
            raise OrbitcloudError(f"efficiency overhead_s {self.overhead_s!r}: expected >= 0 s")


def efficiency_names() -> list[str]:
    """Names of the efficiency classes in ``llm_models.yaml``."""
    return sorted(efficiency_classes())


def efficiency(name: str = DEFAULT_ENGINE) -> Efficiency:
    """The efficiency class ``name`` (``llm_models.yaml``, entry ``inference_efficiency``)."""
    classes = efficiency_classes()
    if name not in classes:
        raise OrbitcloudError(f"inference efficiency class {name!r} is unknown; known: {', '.join(sorted(classes))}")
    e = classes[name]
    return Efficiency(float(e["compute"]), float(e["memory"]), float(e["overhead_s"]), str(e["source"]), name)


def _out(x):
    return float(x) if np.ndim(x) == 0 else x


def _usable_b(acc: dict, n_devices: int, reserve: float) -> float:
    return float(acc["memory_b"]) * n_devices * (1.0 - reserve)


def _too_large_message(model: LLM, precision: str, weights_b: float, acc_name: str, acc: dict, n: int,
                       reserve: float) -> str:
    per_dev = float(acc["memory_b"]) * (1.0 - reserve)
    need = math.floor(weights_b / per_dev) + 1
    return (f"{model.name} at {precision} needs {weights_b / 1e9:.1f} GB of weights; {n} x {acc_name} "
            f"has {_usable_b(acc, n, reserve) / 1e9:.1f} GB usable ({float(acc['memory_b']) / 1e9:g} GB each, "
            f"{reserve:.0%} reserved); at least {need} devices are needed")


def _check_reserve(reserve: float) -> float:
    if not (0.0 <= reserve < 1.0):
        raise OrbitcloudError(f"memory_reserve_fraction {reserve!r}: expected a fraction 0 <= x < 1")
    return float(reserve)


def _check_n(n, what: str = "n_devices") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise OrbitcloudError(f"{what} {n!r}: expected an integer >= 1")
    return int(n)


def fits(accelerator: str, n_devices: int, model: LLM | str, precision: str,
         memory_reserve_fraction: float = 0.1) -> tuple[bool, str]:
    """Whether the weights fit ``n_devices`` devices with room left for a KV cache, and why.

    Returns ``(ok, reason)``; ``reason`` states the bytes needed and available. Unknown names raise
    :class:`OrbitcloudError`.
    """
    m = llm(model)
    n = _check_n(n_devices)
    reserve = _check_reserve(memory_reserve_fraction)
    acc = _accelerator(accelerator)
    w = weight_bytes(m, precision)
    usable = _usable_b(acc, n, reserve)
    if w >= usable:
        return False, _too_large_message(m, precision, w, accelerator, acc, n, reserve)
    return True, (f"{m.name} at {precision} needs {w / 1e9:.1f} GB of weights; {n} x {accelerator} has "
                  f"{usable / 1e9:.1f} GB usable, {(usable - w) / 1e9:.1f} GB left for the KV cache")


def _accelerator(name: str) -> dict:
    return accelerator(name)


class InferencePerf:
    """Roofline performance of one model served on ``n_devices`` identical accelerators in tensor parallel.

    Parameters
    ----------
    accelerator : name in ``accelerators.yaml``
    model : an :class:`LLM` or a name in ``llm_models.yaml``
    precision : weight precision (``bf16``, ``fp8``, ``int8``, ``int4`` ...); also the arithmetic precision
        unless ``compute_precision`` is given (weight-only quantisation)
    n_devices : devices in the tensor-parallel group
    kv_precision : KV-cache precision; default: ``precision``, or ``fp16`` for 4-bit weights
    efficiency : :class:`Efficiency`; default: the ``default`` class of ``llm_models.yaml``
    max_batch : most sequences decoded together (the engine's max batch size)
    memory_reserve_fraction : fraction of device memory kept for activations, workspace and runtime
    compute_precision : precision of the arithmetic (a key of the accelerator's ``ops_per_s``)
    tp_link_bps : device-to-device bandwidth for the tensor-parallel all-reduces [bit/s]; ``None``: free
    tp_latency_s : per-step latency of those all-reduces [s]

    Raises :class:`ModelTooLarge` if the weights do not fit, :class:`OrbitcloudError` for bad names.

    Attributes (SI): ``weight_b`` [B], ``kv_b_per_token`` [B], ``usable_memory_b`` [B],
    ``kv_capacity_tokens`` [tokens], ``peak_ops_per_s`` [OP/s, all devices], ``bandwidth_b_per_s`` [B/s,
    all devices], ``n_devices``.
    """

    def __init__(self, accelerator: str, model: LLM | str, precision: str, n_devices: int = 1, *,
                 kv_precision: str | None = None, efficiency: Efficiency | None = None, max_batch: int = 256,
                 memory_reserve_fraction: float = 0.1, compute_precision: str | None = None,
                 tp_link_bps: float | None = None, tp_latency_s: float = 0.0) -> None:
        self.model: LLM = llm(model)
        self.accelerator = accelerator
        acc = _accelerator(accelerator)
        self.n_devices = _check_n(n_devices)
        self.max_batch = _check_n(max_batch, "max_batch")
        self.memory_reserve_fraction = _check_reserve(memory_reserve_fraction)
        self.precision = precision
        self.weight_b = weight_bytes(self.model, precision)
        if kv_precision is None:
            kv_precision = precision if PRECISION_BYTES[precision] >= 1.0 else "fp16"
        self.kv_precision = kv_precision
        self.kv_b_per_token = kv_bytes_per_token(self.model, kv_precision)
        self.compute_precision = precision if compute_precision is None else compute_precision
        if compute_precision is not None:
            precision_bytes(compute_precision, "compute precision")
        self.peak_ops_per_s = peak_ops_per_s(accelerator, self.compute_precision) * self.n_devices
        self.bandwidth_b_per_s = float(acc["bandwidth_b_per_s"]) * self.n_devices
        self.memory_b = float(acc["memory_b"]) * self.n_devices
        self.efficiency = _efficiency_default() if efficiency is None else efficiency
        if tp_link_bps is not None and not (tp_link_bps > 0.0):
            raise OrbitcloudError(f"tp_link_bps {tp_link_bps!r}: expected a positive bandwidth [bit/s] or None")
        self.tp_link_bps = tp_link_bps
        self.tp_latency_s = float(tp_latency_s)
        self.usable_memory_b = _usable_b(acc, self.n_devices, self.memory_reserve_fraction)
        if self.weight_b >= self.usable_memory_b:
            raise ModelTooLarge(_too_large_message(self.model, precision, self.weight_b, accelerator, acc,
                                                   self.n_devices, self.memory_reserve_fraction))
        self.kv_capacity_tokens = int((self.usable_memory_b - self.weight_b) // self.kv_b_per_token)

    def __repr__(self) -> str:
        return (f"InferencePerf({self.model.name} {self.precision} on {self.n_devices} x {self.accelerator}, "
                f"KV {self.kv_capacity_tokens} tokens, efficiency {self.efficiency.name})")

    # ------------------------------------------------------------------ effective rates
    @property
    def effective_ops_per_s(self) -> float:
        """Reached arithmetic rate ``n P c`` [OP/s]."""
        return self.peak_ops_per_s * self.efficiency.compute

    @property
    def effective_b_per_s(self) -> float:
        """Reached memory bandwidth ``n W m`` [B/s]."""
        return self.bandwidth_b_per_s * self.efficiency.memory

    @property
    def ridge_intensity(self) -> float:
        """Arithmetic intensity at which an iteration turns compute-bound: ``P c / (W m)`` [FLOP/B]."""
        return self.effective_ops_per_s / self.effective_b_per_s

    # ------------------------------------------------------------------ work of one iteration
    def prefill_flops(self, tokens, n_seqs=1):
        """Arithmetic of a prefill of ``tokens`` prompt tokens in ``n_seqs`` equal sequences [FLOP].

        ``2 N T + 2 L d_attn T^2 / s``: the matrix products, and causal attention (a token at position j
        attends to j tokens: 4 L d_attn j, summed over j = 1..T/s per sequence).
        """
        m = self.model
        t = np.asarray(tokens, np.float64)
        s = np.maximum(np.asarray(n_seqs, np.float64), 1.0)
        return _out(2.0 * m.params * t + 2.0 * m.n_layers * m.d_attn * t * t / s)

    def prefill_bytes(self, tokens):
        """Memory traffic of a prefill [B]: weights once, the KV cache written, the residual stream read
        and written by every layer: ``weights + T (kv + 2 L d_model a)``."""
        m = self.model
        t = np.asarray(tokens, np.float64)
        per_token = self.kv_b_per_token + 2.0 * m.n_layers * m.d_model * ACTIVATION_BYTES
        return _out(np.where(t > 0, self.weight_b + t * per_token, 0.0))

    def decode_flops(self, batch, context_tokens):
        """Arithmetic of one decode iteration [FLOP]: ``2 N b + 4 L d_attn C``."""
        m = self.model
        b = np.asarray(batch, np.float64)
        c = np.asarray(context_tokens, np.float64)
        return _out(2.0 * m.params * b + 4.0 * m.n_layers * m.d_attn * c)

    def decode_bytes(self, batch, context_tokens):
        """Memory traffic of one decode iteration [B]: ``weights + C kv`` (weights once for the batch)."""
        b = np.asarray(batch, np.float64)
        c = np.asarray(context_tokens, np.float64)
        return _out(np.where(b > 0, self.weight_b + c * self.kv_b_per_token, 0.0))

    def _tp_comm_s(self, tokens):
        """Two all-reduces of the activations per layer in tensor parallel (Megatron-LM) [s]."""
        if self.tp_link_bps is None or self.n_devices == 1:
            return 0.0
        size_b = np.asarray(tokens, np.float64) * self.model.d_model * ACTIVATION_BYTES
        return 2.0 * self.model.n_layers * np.asarray(
            ring_allreduce_s(size_b, self.n_devices, self.tp_link_bps, self.tp_latency_s))

    def _iteration_s(self, flops, bytes_, tokens):
        t = np.maximum(np.asarray(flops) / self.effective_ops_per_s, np.asarray(bytes_) / self.effective_b_per_s)
        t = t + self.efficiency.overhead_s + self._tp_comm_s(tokens)
        return _out(np.where(np.asarray(tokens, np.float64) > 0, t, 0.0))

    # ------------------------------------------------------------------ times
    def prefill_s(self, tokens, n_seqs=1):
        """Time of a prefill of ``tokens`` prompt tokens (in ``n_seqs`` equal sequences) [s].

        ``max(F / (n P c), B / (n W m)) + overhead``; 0 for no tokens. Array-friendly.
        """
        return self._iteration_s(self.prefill_flops(tokens, n_seqs), self.prefill_bytes(tokens), tokens)

    def decode_iter_s(self, batch, context_tokens):
        """Time of one decode iteration of ``batch`` sequences whose KV caches hold ``context_tokens``
        tokens in total [s]: ``max(F / (n P c), B / (n W m)) + overhead``; 0 for an empty batch."""
        return self._iteration_s(self.decode_flops(batch, context_tokens), self.decode_bytes(batch, context_tokens),
                                 batch)

    def prefill_bound(self, tokens, n_seqs=1):
        """``True`` where the prefill is compute-bound (arithmetic time >= memory time)."""
        f = np.asarray(self.prefill_flops(tokens, n_seqs)) / self.effective_ops_per_s
        b = np.asarray(self.prefill_bytes(tokens)) / self.effective_b_per_s
        return _out(f >= b)

    # ------------------------------------------------------------------ batching
    def _check_lengths(self, in_tokens: float, out_tokens: float) -> None:
        if not (in_tokens >= 0.0) or not (out_tokens >= 1.0):
            raise OrbitcloudError(f"sequence lengths in={in_tokens!r}, out={out_tokens!r}: expected in >= 0 and "
                                  "out >= 1 tokens")
        if in_tokens + out_tokens > self.model.context_max:
            raise OrbitcloudError(f"sequence of {in_tokens:g} + {out_tokens:g} tokens exceeds the context of "
                                  f"{self.model.name} ({self.model.context_max} tokens)")

    def max_concurrency(self, in_tokens: float, out_tokens: float) -> int:
        """Most sequences served together: ``min(max_batch, KV capacity // (in + out))`` (0 if none fits)."""
        per_seq = math.ceil(in_tokens + out_tokens)
        return int(min(self.max_batch, self.kv_capacity_tokens // max(per_seq, 1)))

    def round_s(self, in_tokens: float, out_tokens: float, concurrency: int) -> float:
        """One continuous-batching round of ``B`` sequences: ``t_prefill(B i) + o t_decode(B, B (i + o/2))`` [s]."""
        b = concurrency
        t_pre = self.prefill_s(b * in_tokens, n_seqs=b)
        t_dec = self.decode_iter_s(b, b * (in_tokens + out_tokens / 2.0))
        return float(t_pre + out_tokens * t_dec)

    def throughput_tok_s(self, in_tokens: float, out_tokens: float, concurrency: int | None = None) -> float:
        """Steady-state output tokens per second of continuous batching [tokens/s].

        ``B o / (t_prefill(B i) + o t_decode(B, B (i + o/2)))`` with ``B = concurrency`` or
        :meth:`max_concurrency`. Raises :class:`OrbitcloudError` if one sequence does not fit the KV cache
        or the context, or if ``concurrency`` exceeds what the KV cache holds.
        """
        self._check_lengths(in_tokens, out_tokens)
        b_max = self.max_concurrency(in_tokens, out_tokens)
        if b_max < 1:
            raise OrbitcloudError(
                f"a sequence of {in_tokens + out_tokens:g} tokens does not fit the KV cache of {self.model.name} on "
                f"{self.n_devices} x {self.accelerator} ({self.kv_capacity_tokens} tokens)")
        if concurrency is None:
            b = b_max
        else:
            b = _check_n(concurrency, "concurrency")
            per_seq = math.ceil(in_tokens + out_tokens)
            if b * per_seq > self.kv_capacity_tokens:
                raise OrbitcloudError(
                    f"concurrency {b}: {b} sequences of {in_tokens + out_tokens:g} tokens exceed the KV cache of "
                    f"{self.kv_capacity_tokens} tokens (at most {self.kv_capacity_tokens // per_seq})")
        return b * out_tokens / self.round_s(in_tokens, out_tokens, b)

    def single_stream_tok_s(self, context_tokens: float = 0.0) -> float:
        """Decode rate of one sequence whose cache holds ``context_tokens`` tokens [tokens/s]."""
        return 1.0 / float(self.decode_iter_s(1, context_tokens))


def _efficiency_default() -> Efficiency:
    return efficiency(DEFAULT_ENGINE)
