"""Accelerator power-cap operating points: throughput and board power against the board power limit.

A power cap (``nvidia-smi -pl``, a Jetson ``nvpmodel`` mode) makes the firmware lower the core clock
until the board power fits under the cap. How much throughput that costs depends on the work:
compute-bound work (LLM prefill) slows with the clock, memory-bound work (LLM decode) hardly at all,
because it never draws enough power for the cap to bite and its speed is set by the memory, whose clock
the cap does not lower.

Model (per accelerator, catalog ``operating_points.yaml``; tdp from ``accelerators.yaml`` ``power_w``):

* ``f`` is the core clock as a fraction of the clock compute-bound work sustains at the TDP [-].
* Dynamic CMOS power is ``C V^2 f``; the supply voltage follows the clock on a straight line,
  ``V(f) / V(1) = v0 + (1 - v0) f`` (DVFS: a voltage floor-to-top line; ``v0 = v_intercept``), so the
  busy board power of phase ``p`` is

      P_p(f) = idle_w + (P_p,max - idle_w) * g(f),      g(f) = f (v0 + (1 - v0) f)^2,   g(1) = 1

  with ``P_prefill,max = tdp_w`` (compute-bound work at full clock reaches the TDP) and
  ``P_decode,max = decode_power_frac * tdp_w`` (memory-bound work does not).
* A cap ``c`` sets the clock to the largest ``f <= 1`` with ``P_p(f) <= c``:
  ``f_p(c) = g^-1(min(1, (c - idle_w) / (P_p,max - idle_w)))``; the board then draws
  ``min(c, P_p,max)``.
* Prefill throughput is proportional to the clock: ``prefill_rel = f_prefill(c)``.
* Decode: a share ``s = decode_clock_share`` of a decode iteration's time (at full clock) runs at the core
  clock, the rest waits on memory (Amdahl): ``decode_rel = 1 / ((1 - s) + s / f_decode(c))``.
* A mix that spends the share ``q`` of its uncapped busy time in prefill keeps its work mix under the cap:
  ``rel = 1 / (q / prefill_rel + (1 - q) / decode_rel)``.

Sources (every number in ``operating_points.yaml`` names its own): nvidia-smi power-limit ranges as logged
for an A100-SXM4-80GB (NVIDIA/DCGM issue 152, 2024) and a 700 W SXM Hopper GPU (stackhpc PR 975, 2026);
Ujeniya et al. 2026 (arXiv 2604.11391, H100/H200 capped 200-700 W); Ma et al. 2026 (arXiv 2605.11999:
H200 decode draws 137-300 W, no cap triggers); the B100 (700 W) / B200 (1,000 W) / GB200 (1,200 W)
configurations of one Blackwell silicon (NVIDIA datasheets 2024, as transcribed); the Jetson AGX Orin
data sheet and nvpmodel modes. Parameters without a measurement for the device are marked ASSUMPTION in
the catalog and derived from the closest measured device. Equations, parameter table, validation:
``docs/compute.md``, section "Operating points (power caps)".
"""

from __future__ import annotations

import dataclasses
import functools
import math
from importlib import resources
from typing import Any

import numpy as np

from orbitcloud.errors import OrbitcloudError

__all__ = [
    "PHASES",
    "OperatingCurve",
    "OperatingPoint",
    "clock_fraction",
    "dynamic_power_frac",
    "operating_curve",
    "operating_curve_names",
]

#: The two phases of LLM inference the curves describe.
PHASES = ("prefill", "decode")
CATALOG_FILE = "operating_points.yaml"
#: Newton steps of :func:`clock_fraction` (converges to machine precision in under 10; the rest is margin).
_NEWTON_STEPS = 40


def dynamic_power_frac(f, v_intercept: float) -> np.ndarray:
    """Dynamic power at clock fraction ``f`` relative to the power at ``f = 1`` [-].

    ``g(f) = f (v0 + (1 - v0) f)^2``: CMOS dynamic power ``C V^2 f`` with the voltage on the line
    ``V / V(1) = v0 + (1 - v0) f``. Vectorised in ``f``.
    """
    f = np.asarray(f, np.float64)
    v = v_intercept + (1.0 - v_intercept) * f
    return f * v * v


def clock_fraction(power_frac, v_intercept: float) -> np.ndarray:
    """Inverse of :func:`dynamic_power_frac`: the clock fraction whose dynamic power is ``power_frac`` [-].

    With ``u = v0 + (1 - v0) f`` the equation ``g(f) = x`` is ``u^3 - v0 u^2 = (1 - v0) x``; the left
    side is increasing and convex for ``u >= v0``, so Newton's method started above the root (at
    ``u = 1 + x``) converges monotonically. ``x = 0`` gives ``f = 0``; ``x > 1`` (power above the
    reference) gives ``f > 1``. Vectorised in ``power_frac``.
    """
    v0 = float(v_intercept)
    x = np.maximum(np.asarray(power_frac, np.float64), 0.0)
    rhs = (1.0 - v0) * x
    u = 1.0 + x
    for _ in range(_NEWTON_STEPS):
        h = u * u * (u - v0) - rhs
        dh = u * (3.0 * u - 2.0 * v0)
        u = u - h / dh
    return np.maximum((u - v0) / (1.0 - v0), 0.0)


@dataclasses.dataclass(frozen=True)
class OperatingPoint:
    """A cited measurement the curve is checked against: throughput of ``phase`` at board power cap
    ``cap_w`` [W], relative to the uncapped throughput [-]."""

    cap_w: float
    phase: str
    throughput_rel: float
    source: str


@dataclasses.dataclass(frozen=True)
class OperatingCurve:
    """Throughput and board power of one accelerator against its board power cap (DVFS model above).

    Attributes: ``tdp_w`` (= ``accelerators.yaml`` ``power_w``) and ``min_cap_w`` bound the settable cap
    [W]; ``idle_w`` is the board power with nothing running [W]; ``v_intercept`` the voltage-line
    intercept ``v0`` [-]; ``decode_power_frac`` the busy power of decode at full clock over the TDP [-];
    ``decode_clock_share`` the share of a decode iteration's time that scales with the core clock [-];
    ``points`` the cited checks; ``source`` the entry's summary of its sources.
    """

    accelerator: str
    tdp_w: float
    min_cap_w: float
    idle_w: float
    v_intercept: float
    decode_power_frac: float
    decode_clock_share: float
    source: str
    points: tuple[OperatingPoint, ...] = ()

    def __post_init__(self) -> None:
        name = f"operating_points.yaml: {self.accelerator}"
        numbers = (self.tdp_w, self.min_cap_w, self.idle_w, self.v_intercept, self.decode_power_frac,
                   self.decode_clock_share)
        if not all(math.isfinite(float(x)) for x in numbers):
            raise OrbitcloudError(f"{name}: every parameter must be a finite number")
        if not 0.0 <= self.idle_w < self.min_cap_w < self.tdp_w:
            raise OrbitcloudError(f"{name}: need 0 <= idle_w ({self.idle_w:g}) < min_cap_w ({self.min_cap_w:g}) "
                                  f"< tdp_w ({self.tdp_w:g}) W")
        if not 0.0 < self.v_intercept < 1.0:
            raise OrbitcloudError(f"{name}: v_intercept {self.v_intercept:g} must lie in (0, 1)")
        if not self.idle_w < self.decode_power_frac * self.tdp_w <= self.tdp_w:
            raise OrbitcloudError(f"{name}: decode_power_frac {self.decode_power_frac:g} must put the decode power "
                                  f"above idle ({self.idle_w:g} W) and at most the TDP")
        if not 0.0 <= self.decode_clock_share < 1.0:
            raise OrbitcloudError(f"{name}: decode_clock_share {self.decode_clock_share:g} must lie in [0, 1)")

    # ------------------------------------------------------------------ inputs
    def check_cap(self, cap_w, where: str) -> float:
        """``cap_w`` as a float; :class:`OrbitcloudError` naming ``where``, the value and the allowed range
        ``[min_cap_w, tdp_w]`` if it is not a number in that range."""
        try:
            value = float(cap_w)
        except (TypeError, ValueError):
            raise OrbitcloudError(f"{where}: power cap {cap_w!r} of {self.accelerator} is not a number; "
                                  f"allowed: [{self.min_cap_w:g}, {self.tdp_w:g}] W") from None
        self._check_caps(np.asarray(value), where)
        return value

    def _check_caps(self, cap_w, where: str) -> np.ndarray:
        c = np.asarray(cap_w, np.float64)
        bad = ~np.isfinite(c) | (c < self.min_cap_w) | (c > self.tdp_w)
        if np.any(bad):
            value = c[bad].flat[0] if c.ndim else float(c)
            raise OrbitcloudError(
                f"{where}: power cap {value:g} W of {self.accelerator} is outside the allowed range "
                f"[{self.min_cap_w:g}, {self.tdp_w:g}] W (lowest settable limit, operating_points.yaml "
                f"min_cap_w; TDP, accelerators.yaml power_w)")
        return c

    def _phase_max_w(self, phase: str) -> float:
        if phase == "prefill":
            return self.tdp_w
        if phase == "decode":
            return self.decode_power_frac * self.tdp_w
        raise OrbitcloudError(f"phase {phase!r} is unknown; known: {', '.join(PHASES)}")

    # ------------------------------------------------------------------ the model
    def clock_frac(self, cap_w, phase: str) -> np.ndarray:
        """Core clock under cap ``cap_w`` [W] while busy in ``phase``, as a fraction of the TDP clock [-]."""
        p_max = self._phase_max_w(phase)
        c = self._check_caps(cap_w, "cap_w")
        x = np.minimum((c - self.idle_w) / (p_max - self.idle_w), 1.0)
        return np.minimum(clock_fraction(x, self.v_intercept), 1.0)

    def prefill_rel(self, cap_w) -> np.ndarray:
        """Throughput of compute-bound work (LLM prefill) at cap ``cap_w`` [W] over the uncapped one
        (cap = TDP), in (0, 1]: the clock fraction. Vectorised."""
        return self.clock_frac(cap_w, "prefill")

    def decode_rel(self, cap_w) -> np.ndarray:
        """Throughput of memory-bound work (LLM decode) at cap ``cap_w`` [W] over the uncapped one, in
        (0, 1]: ``1 / ((1 - s) + s / f_decode)``. Vectorised."""
        f = self.clock_frac(cap_w, "decode")
        s = self.decode_clock_share
        return 1.0 / ((1.0 - s) + s / f)

    def power_w(self, cap_w, phase: str) -> np.ndarray:
        """Board power drawn while busy in ``phase`` at cap ``cap_w`` [W]: ``min(cap, P_phase,max)``
        (decode, memory-bound, stays below ``decode_power_frac * tdp_w`` whatever the cap). Vectorised."""
        p_max = self._phase_max_w(phase)
        c = self._check_caps(cap_w, "cap_w")
        return np.minimum(c, p_max)

    def rel(self, cap_w, prefill_share) -> np.ndarray:
        """Throughput of a mix that spends the share ``prefill_share`` of its uncapped busy time in prefill
        (the rest in decode) at cap ``cap_w`` [W], over the uncapped one: the work mix is kept, so
        ``1 / (q / prefill_rel + (1 - q) / decode_rel)``. Vectorised (both arguments broadcast)."""
        q = np.asarray(prefill_share, np.float64)
        bad = ~np.isfinite(q) | (q < 0.0) | (q > 1.0)
        if np.any(bad):
            value = q[bad].flat[0] if q.ndim else float(q)
            raise OrbitcloudError(f"prefill_share {value:g} of {self.accelerator} must lie in [0, 1]")
        return 1.0 / (q / self.prefill_rel(cap_w) + (1.0 - q) / self.decode_rel(cap_w))


# ---------------------------------------------------------------------- catalog
@functools.cache
def _catalog() -> dict[str, Any]:
    import yaml

    text = resources.files("orbitcloud.catalog").joinpath(CATALOG_FILE).read_text("utf-8")
    data = yaml.safe_load(text)
    for key, value in data.items():
        if not isinstance(value, dict) or not value.get("source"):
            raise RuntimeError(f"catalog {CATALOG_FILE}: entry {key!r} has no source")  # packaging bug
    return data


def operating_curve_names() -> list[str]:
    """Names of the accelerators with an operating curve, sorted."""
    return sorted(_catalog())


@functools.cache
def _curve(name: str) -> OperatingCurve:
    from orbitcloud.compute.models import accelerator

    e = _catalog()[name]
    points = tuple(OperatingPoint(float(p["cap_w"]), str(p["phase"]), float(p["throughput_rel"]), str(p["source"]))
                   for p in e.get("points") or ())
    for p in points:
        if p.phase not in PHASES:
            raise RuntimeError(f"catalog {CATALOG_FILE}: {name} point phase {p.phase!r} is unknown")  # packaging bug
    return OperatingCurve(
        accelerator=name,
        tdp_w=float(accelerator(name)["power_w"]),
        min_cap_w=float(e["min_cap_w"]),
        idle_w=float(e["idle_w"]),
        v_intercept=float(e["v_intercept"]),
        decode_power_frac=float(e["decode_power_frac"]),
        decode_clock_share=float(e["decode_clock_share"]),
        source=str(e["source"]),
        points=points,
    )


def operating_curve(accelerator: str) -> OperatingCurve:
    """The operating curve of catalog accelerator ``accelerator`` (cached).

    Raises :class:`OrbitcloudError` listing the known names if ``operating_points.yaml`` has no entry for it.
    """
    if not isinstance(accelerator, str) or accelerator not in _catalog():
        raise OrbitcloudError(f"accelerator {accelerator!r} has no operating curve (power-cap model); known: "
                              f"{', '.join(operating_curve_names())}")
    return _curve(accelerator)
