"""LLM training step time: arithmetic at a model-FLOPs utilisation plus exposed gradient all-reduce.

Step time of data-parallel training over ``n = n_sats x devices_per_sat`` devices::

    t_step = F_step / (n peak MFU) + exposed communication
    F_step = (6 N + 12 L T d) x tokens_per_step                 (Kaplan et al. 2020; PaLM app. B)

The gradients (``params x grad_bytes_per_param`` bytes) are summed every step by an all-reduce:

* ``ring``: one ring over all devices, bottlenecked by the slowest hop (the inter-satellite link)::

      t_ring = 2 (p - 1) alpha + 2 (p - 1) / p x 8 S / B          (Patarasuk & Yuan 2009; Thakur et al. 2005)

* ``hierarchical``: reduce-scatter inside each satellite, ``p_intra`` concurrent rings of ``S / p_intra``
  across the satellites (sharing the satellite's inter-satellite link unless ``inter_links`` says
  otherwise), all-gather inside each satellite.

``diloco`` mode (Douillard et al. 2023, "DiLoCo: Distributed Low-Communication Training of Language
Models", arXiv 2311.08105): each satellite is a worker that takes ``H`` inner steps with only its own
devices' all-reduce, and the workers average their pseudo-gradients (an all-reduce of the same size
across the satellites) once every ``H`` steps: the outer synchronisation costs ``t_outer / H`` per step.

Checkpoint intervals: Young (1974), "A first order approximation to the optimum checkpoint interval",
CACM 17(9):530, ``tau = sqrt(2 delta M)``; Daly (2006), "A higher order estimate of the optimum checkpoint
interval for restart dumps", FGCS 22:303, with his wall-clock model ``daly_wall_time_s``.

Equations, assumptions and validation: ``docs/compute.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitcloud.compute.models import LLM, accelerator, llm, model_entry, peak_ops_per_s, train_flops_per_token
from orbitcloud.errors import OrbitcloudError

__all__ = [
    "NVLINK4_BPS",
    "TOPOLOGIES",
    "MODES",
    "ring_allreduce_s",
    "hierarchical_allreduce_s",
    "young_interval_s",
    "daly_interval_s",
    "daly_wall_time_s",
    "default_train_mfu",
    "TrainingPerf",
]

#: NVLink 4 (H100 SXM): 900 GB/s per GPU in both directions together = 450 GB/s = 3.6 Tbit/s each way
#: (NVIDIA H100 datasheet). The default bandwidth between the accelerators of one satellite [bit/s].
NVLINK4_BPS = 450e9 * 8.0

TOPOLOGIES = ("ring", "hierarchical")
MODES = ("sync", "diloco")


def _out(x):
    return float(x) if np.ndim(x) == 0 else x


def ring_allreduce_s(size_b, p, bandwidth_bps, latency_s=0.0):
    """Ring all-reduce of ``size_b`` bytes over ``p`` members [s] (array-friendly).

    ``2 (p - 1) latency_s + 2 (p - 1) / p x 8 size_b / bandwidth_bps``: a reduce-scatter and an all-gather,
    each of ``p - 1`` steps that send ``size_b / p`` over every link of the ring at once (Patarasuk & Yuan
    2009, J. Parallel Distrib. Comput. 69:117; Thakur, Rabenseifner & Gropp 2005, IJHPCA 19:49). It is
    bandwidth-optimal; as ``p`` grows it tends to ``2 x 8 size_b / bandwidth_bps``. Zero for ``p <= 1``.

    Parameters
    ----------
    size_b : bytes reduced [B]
    p : members of the ring [-]
    bandwidth_bps : bandwidth of the slowest link of the ring, each way [bit/s]
    latency_s : latency of one step (the slowest hop) [s]
    """
    p = np.asarray(p, dtype=np.float64)
    steps = np.maximum(p - 1.0, 0.0)
    bits = 8.0 * np.asarray(size_b, np.float64)
    t = 2.0 * steps * latency_s + 2.0 * steps / np.maximum(p, 1.0) * bits / bandwidth_bps
    return _out(t)


def hierarchical_allreduce_s(size_b, p_intra, p_inter, intra_bps, inter_bps, latency_s=0.0, *,
                             intra_latency_s=0.0, inter_links=1):
    """Two-level all-reduce over ``p_inter`` satellites of ``p_intra`` devices each [s].

    1. reduce-scatter inside each satellite: ``(p_i - 1) a_i + (p_i - 1)/p_i x 8 S / B_intra``;
    2. ``p_i`` concurrent ring all-reduces of ``S / p_i`` across the satellites (device k of every
       satellite in ring k). They share the satellite's inter-satellite capacity ``inter_bps``: with
       ``inter_links`` independent links (terminals) per satellite each ring gets
       ``inter_bps x min(inter_links, p_i) / p_i``; the default (one ISL) makes this step equal to a
       ring all-reduce of the whole ``S`` over ``p_inter`` at ``inter_bps``;
    3. all-gather inside each satellite (same cost as 1).

    With ``p_intra = 1`` it is :func:`ring_allreduce_s` over the satellites. Array-friendly in ``size_b``.

    Parameters
    ----------
    size_b : bytes reduced [B]
    p_intra, p_inter : devices per satellite, satellites [-]
    intra_bps, inter_bps : device-to-device bandwidth inside a satellite; inter-satellite link capacity [bit/s]
    latency_s : per-hop latency of the inter-satellite links [s]
    intra_latency_s : per-hop latency inside a satellite [s]
    inter_links : independent inter-satellite links per satellite the concurrent rings can use [-]
    """
    p_i = max(int(p_intra), 1)
    p_e = max(int(p_inter), 1)
    size_b = np.asarray(size_b, dtype=np.float64)
    intra = ring_allreduce_s(size_b, p_i, intra_bps, intra_latency_s)  # = reduce-scatter + all-gather
    per_ring_bps = inter_bps * min(max(int(inter_links), 1), p_i) / p_i
    inter = ring_allreduce_s(size_b / p_i, p_e, per_ring_bps, latency_s)
    return _out(np.asarray(intra) + np.asarray(inter))


def young_interval_s(checkpoint_s, mtbf_s):
    """Young's optimum compute time between checkpoints ``sqrt(2 delta M)`` [s] (Young 1974, CACM 17:530)."""
    return _out(np.sqrt(2.0 * np.asarray(checkpoint_s, np.float64) * np.asarray(mtbf_s, np.float64)))


def daly_interval_s(checkpoint_s, mtbf_s):
    """Daly's higher-order optimum compute time between checkpoints [s] (Daly 2006, FGCS 22:303).

    ``sqrt(2 delta M) [1 + (1/3) sqrt(delta / 2M) + (1/9) (delta / 2M)] - delta`` for ``delta < 2M``,
    and ``M`` for ``delta >= 2M``. Tends to Young's ``sqrt(2 delta M)`` as ``delta / M -> 0``.
    """
    d = np.asarray(checkpoint_s, np.float64)
    m = np.asarray(mtbf_s, np.float64)
    x = d / (2.0 * m)
    tau = np.sqrt(2.0 * d * m) * (1.0 + np.sqrt(x) / 3.0 + x / 9.0) - d
    return _out(np.where(d < 2.0 * m, tau, m))


def daly_wall_time_s(solve_s, interval_s, checkpoint_s, mtbf_s, restart_s=0.0):
    """Expected wall-clock time of a job with exponential failures and periodic checkpoints [s].

    Daly 2006 (FGCS 22:303): ``T_w = M e^{R/M} (e^{(tau + delta)/M} - 1) T_s / tau`` for a job of
    ``T_s`` compute seconds, compute ``tau`` between checkpoints of ``delta`` seconds, restart time ``R``
    and mean time between failures ``M``. Its exact minimiser over ``tau`` is
    ``M (1 + W0(-e^{-(1 + delta/M)}))`` (Lambert W), which Daly's interval approximates.
    """
    m = np.asarray(mtbf_s, np.float64)
    tau = np.asarray(interval_s, np.float64)
    t = m * np.exp(np.asarray(restart_s, np.float64) / m) * np.expm1((tau + checkpoint_s) / m) * solve_s / tau
    return _out(t)


def default_train_mfu(accelerator_name: str, model: LLM | str | None = None) -> float:
    """The sourced default training MFU: the model's per-accelerator ``train_mfu`` (``llm_models.yaml``)
    if it has one, else the accelerator's ``train_mfu`` (``accelerators.yaml``).

    Raises :class:`OrbitcloudError` if neither gives one (pass ``mfu`` explicitly then).
    """
    if model is not None:
        per_model = model_entry(llm(model).name).get("train_mfu") or {}
        if accelerator_name in per_model:
            return float(per_model[accelerator_name])
    acc = accelerator(accelerator_name)
    if "train_mfu" not in acc:
        with_mfu = [k for k, v in _accelerators().items() if "train_mfu" in v]
        raise OrbitcloudError(f"accelerator {accelerator_name!r} has no sourced train_mfu in accelerators.yaml "
                              f"(devices with one: {', '.join(with_mfu)}); give mfu explicitly (0 < mfu <= 1)")
    return float(acc["train_mfu"])


def _accelerators():
    from orbitcloud import catalog

    return catalog.load("accelerators")


@dataclass(frozen=True)
class TrainingPerf:
    """Step time of data-parallel LLM training on identical accelerators.

    Parameters
    ----------
    accelerator : name in ``accelerators.yaml``
    model : an :class:`LLM` or a name in ``llm_models.yaml``
    precision : arithmetic precision (a key of the accelerator's ``ops_per_s``), e.g. ``bf16``
    seq_len : training sequence length [tokens] (at most the model's ``context_max``)
    global_batch_tokens : tokens per optimiser step over all devices [tokens]
    mfu : model-FLOPs utilisation; ``None`` takes :func:`default_train_mfu` (sourced)
    grad_bytes_per_param : bytes per gradient element in the all-reduce [B] (2: bf16 gradients)
    """

    accelerator: str
    model: LLM
    precision: str
    seq_len: int
    global_batch_tokens: float
    mfu: float | None = None
    grad_bytes_per_param: float = 2.0

    def __post_init__(self) -> None:
        model = llm(self.model)
        object.__setattr__(self, "model", model)
        peak_ops_per_s(self.accelerator, self.precision)  # validates both names
        if not (isinstance(self.seq_len, (int, np.integer)) and 1 <= self.seq_len <= model.context_max):
            raise OrbitcloudError(f"training seq_len {self.seq_len!r}: expected an integer 1..{model.context_max} "
                                  f"(context of {model.name})")
        if not (self.global_batch_tokens >= self.seq_len):
            raise OrbitcloudError(f"training global_batch_tokens {self.global_batch_tokens!r}: expected at least "
                                  f"one sequence ({self.seq_len} tokens)")
        mfu = default_train_mfu(self.accelerator, model) if self.mfu is None else self.mfu
        if not (0.0 < float(mfu) <= 1.0):
            raise OrbitcloudError(f"training mfu {mfu!r}: expected a fraction 0 < mfu <= 1")
        object.__setattr__(self, "mfu", float(mfu))
        if not (self.grad_bytes_per_param > 0.0):
            raise OrbitcloudError(f"training grad_bytes_per_param {self.grad_bytes_per_param!r}: expected > 0")

    # ------------------------------------------------------------------ arithmetic
    @property
    def peak_ops_per_s(self) -> float:
        """Dense peak of one device at the precision [FLOP/s]."""
        return peak_ops_per_s(self.accelerator, self.precision)

    @property
    def flops_per_token(self) -> float:
        """``6 N + 12 L T d`` [FLOP/token]."""
        return train_flops_per_token(self.model, self.seq_len)

    @property
    def flops_per_step(self) -> float:
        """Model FLOPs of one optimiser step: ``flops_per_token x global_batch_tokens`` [FLOP]."""
        return self.flops_per_token * float(self.global_batch_tokens)

    @property
    def grad_b(self) -> float:
        """Bytes of the gradients all-reduced each step: ``params x grad_bytes_per_param`` [B]."""
        return self.model.params * self.grad_bytes_per_param

    def compute_s(self, n_devices: int) -> float:
        """Arithmetic time of one step on ``n_devices``: ``F_step / (n peak MFU)`` [s]."""
        n = _positive_int(n_devices, "n_devices")
        return self.flops_per_step / (n * self.peak_ops_per_s * self.mfu)

    # ------------------------------------------------------------------ communication
    def comm_s(self, n_sats: int, devices_per_sat: int, link_bps: float, topology: str = "ring",
               intra_bps: float = NVLINK4_BPS, latency_s: float = 0.0, *, inter_links: int = 1) -> float:
        """One all-reduce of the gradients over ``n_sats x devices_per_sat`` devices [s].

        ``ring``: one ring over every device; with more than one satellite its slowest hop is
        ``min(link_bps, intra_bps)`` and each of its ``2 (p - 1)`` steps waits ``latency_s``; inside one
        satellite it runs at ``intra_bps`` (intra-satellite latency neglected). ``hierarchical``:
        :func:`hierarchical_allreduce_s`. ``link_bps`` is the capacity of the inter-satellite path the
        ring uses (the bottleneck ISL) [bit/s]; ``latency_s`` its per-hop latency [s].
        """
        n_sats = _positive_int(n_sats, "n_sats")
        d = _positive_int(devices_per_sat, "devices_per_sat")
        if topology not in TOPOLOGIES:
            raise OrbitcloudError(f"all-reduce topology {topology!r} is unknown; known: {', '.join(TOPOLOGIES)}")
        if n_sats > 1 and not (link_bps > 0.0):
            raise OrbitcloudError(f"link_bps {link_bps!r}: expected a positive inter-satellite capacity [bit/s]")
        if n_sats * d > 1 and not (intra_bps > 0.0):
            raise OrbitcloudError(f"intra_bps {intra_bps!r}: expected a positive bandwidth [bit/s]")
        if n_sats == 1:
            return ring_allreduce_s(self.grad_b, d, intra_bps, 0.0)
        if topology == "ring":
            return ring_allreduce_s(self.grad_b, n_sats * d, min(link_bps, intra_bps), latency_s)
        return hierarchical_allreduce_s(self.grad_b, d, n_sats, intra_bps, link_bps, latency_s,
                                        inter_links=inter_links)

    def step_s(self, n_sats: int, devices_per_sat: int, link_bps: float, *, topology: str = "ring",
               mode: str = "sync", diloco_h: int = 500, overlap: float = 0.0, intra_bps: float = NVLINK4_BPS,
               latency_s: float = 0.0, inter_links: int = 1) -> float:
        """Wall time of one optimiser step [s]: arithmetic plus exposed communication.

        ``overlap`` is the fraction of the per-step all-reduce hidden behind the backward pass (never more
        than the arithmetic time): ``exposed = c - min(overlap c, t_compute)``.
        ``mode="sync"``: the gradients of all devices are all-reduced every step.
        ``mode="diloco"``: every step all-reduces only inside each satellite; the outer all-reduce over
        all devices happens once every ``diloco_h`` steps and is not overlapped (Douillard et al. 2023).
        """
        if mode not in MODES:
            raise OrbitcloudError(f"training mode {mode!r} is unknown; known: {', '.join(MODES)}")
        if not (0.0 <= overlap <= 1.0):
            raise OrbitcloudError(f"overlap {overlap!r}: expected a fraction 0..1")
        n_sats = _positive_int(n_sats, "n_sats")
        d = _positive_int(devices_per_sat, "devices_per_sat")
        t_c = self.compute_s(n_sats * d)
        if mode == "sync":
            c = self.comm_s(n_sats, d, link_bps, topology, intra_bps, latency_s, inter_links=inter_links)
            return t_c + c - min(overlap * c, t_c)
        h = _positive_int(diloco_h, "diloco_h")
        inner = self.comm_s(1, d, link_bps, topology, intra_bps, 0.0)
        outer = 0.0 if n_sats == 1 else self.comm_s(n_sats, d, link_bps, topology, intra_bps, latency_s,
                                                     inter_links=inter_links)
        return t_c + inner - min(overlap * inner, t_c) + outer / h

    def tokens_per_s(self, n_sats: int, devices_per_sat: int, link_bps: float, *, topology: str = "ring",
                     mode: str = "sync", diloco_h: int = 500, overlap: float = 0.0,
                     intra_bps: float = NVLINK4_BPS, latency_s: float = 0.0, inter_links: int = 1) -> float:
        """Training throughput ``global_batch_tokens / step_s`` [tokens/s] (same arguments as :meth:`step_s`)."""
        return float(self.global_batch_tokens) / self.step_s(
            n_sats, devices_per_sat, link_bps, topology=topology, mode=mode, diloco_h=diloco_h, overlap=overlap,
            intra_bps=intra_bps, latency_s=latency_s, inter_links=inter_links)

    def time_to_train_s(self, tokens: float, n_sats: int, devices_per_sat: int, link_bps: float, **kw) -> float:
        """Wall time to train on ``tokens`` tokens without failures: ``tokens / tokens_per_s`` [s]."""
        return float(tokens) / self.tokens_per_s(n_sats, devices_per_sat, link_bps, **kw)


def _positive_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise OrbitcloudError(f"{what} {value!r}: expected an integer >= 1")
    return int(value)
