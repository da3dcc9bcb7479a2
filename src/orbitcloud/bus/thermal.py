"""Thermal physics of one satellite: radiator fluxes, Earth view factors, the lumped node, sizing.

One implementation serves the time-stepped bus (:mod:`orbitcloud.bus.step`) and the closed-form sizing
(:mod:`orbitcloud.design`). Equations, assumptions and validation: ``docs/thermal.md``.

Radiator environment per m^2 of panel (both faces), after Gilmore (ed.), *Spacecraft Thermal Control
Handbook* vol. I (2002), ch. 2:

* direct sunlight on one face:  alpha * S * illumination * sun_view
* Earth infrared on each face: ir_absorptance * OLR * F_E      (Kirchhoff: ir_absorptance = epsilon)
* albedo on each face:         alpha * a * S * F_E * max(0, cos z)   (z: solar zenith below the satellite)
* emission:                    sides * epsilon * sigma * (T^4 - T_space^4)

``S = S0 (1 AU / d)^2``. The lumped node obeys ``C dT/dt = Q_in - k (T^4 - T_space^4)`` with
``k = sides * A * epsilon * sigma``; it is advanced by backward Euler (L-stable: no oscillation or
overshoot at any step) solved exactly by Newton's method (from T0, else from a bracketing start).
"""

from __future__ import annotations

import numpy as np

from orbitcloud.constants import DEEP_SPACE_K, EARTH_ALBEDO, EARTH_OLR_W_M2, STEFAN_BOLTZMANN_W_M2_K4

SIGMA = STEFAN_BOLTZMANN_W_M2_K4
T_SPACE4 = DEEP_SPACE_K**4
#: Newton iterations of the implicit step: every element takes FIRST_ITERS from its temperature at the
#: start of the step; those not yet converged restart from the bracketing start and take NEWTON_ITERS
#: (enough for steps up to a day; see tests).
NEWTON_ITERS = 8
FIRST_ITERS = 3


def earth_view_factor(r_over_re, orientation: str = "edge") -> np.ndarray:
    """View factor from a small flat plate at r = H * R_E to the Earth sphere.

    ``orientation``: ``"nadir"`` (plate faces the Earth centre): F = 1 / H^2;
    ``"edge"`` (plate normal horizontal, i.e. the plate is edge-on to the Earth):
    F = (1/pi) [atan(1/X) - X / H^2], X = sqrt(H^2 - 1)
    (Howell, *A Catalog of Radiation Heat Transfer Configuration Factors*, 3rd ed., factor B-20;
    Gilmore 2002, table 2.4). At 650 km the edge-on factor is 0.241.
    """
    h = np.asarray(r_over_re, dtype=np.float64)
    if np.any(h <= 1.0):
        raise ValueError("r_over_re must exceed 1")
    if orientation == "nadir":
        return 1.0 / h**2
    if orientation == "edge":
        x = np.sqrt(h * h - 1.0)
        return (np.arctan(1.0 / x) - x / (h * h)) / np.pi
    raise ValueError(f"orientation {orientation!r} is not 'nadir' or 'edge'")


def absorbed_w_m2(
    alpha, ir_absorptance, sides, sun_view, view_factor, irradiance_w_m2, illumination=1.0, cos_zenith=1.0,
):
    """Environmental heat absorbed per m^2 of panel (all faces) [W/m^2]; broadcasts over arrays."""
    sun = alpha * irradiance_w_m2 * illumination * sun_view
    earth = sides * view_factor * (ir_absorptance * EARTH_OLR_W_M2 + alpha * EARTH_ALBEDO * irradiance_w_m2 * np.maximum(cos_zenith, 0.0))
    return sun + earth


def emitted_w_m2(emissivity, sides, t_k):
    """Emitted power per m^2 of panel to deep space [W/m^2]."""
    t2 = np.asarray(t_k, dtype=np.float64) ** 2
    return sides * emissivity * SIGMA * (t2 * t2 - T_SPACE4)


def net_flux_w_m2(emissivity, alpha, sides, t_k, irradiance_w_m2, sun_view=0.0, view_factor=0.0, ir_absorptance=None, cos_zenith=1.0):
    """Net heat a radiator panel rejects per m^2 at temperature ``t_k`` in full sunlight [W/m^2]."""
    ir = emissivity if ir_absorptance is None else ir_absorptance
    return emitted_w_m2(emissivity, sides, t_k) - absorbed_w_m2(
        alpha, ir, sides, sun_view, view_factor, irradiance_w_m2, 1.0, cos_zenith
    )


def radiator_area_m2(heat_w, net_w_m2):
    """Radiator area for a heat load: A = Q / q_net (linear in Q); ``inf`` where q_net <= 0."""
    heat_w = np.asarray(heat_w, dtype=np.float64)
    net = np.asarray(net_w_m2, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(net > 0.0, heat_w / np.where(net > 0.0, net, 1.0), np.inf)


def equilibrium_temperature_k(heat_w, k_w_k4):
    """Steady temperature of a node with heat input Q and radiative conductance k: (Q/k + T_space^4)^(1/4)."""
    q = np.asarray(heat_w, dtype=np.float64)
    return np.sqrt(np.sqrt(np.maximum(q, 0.0) / k_w_k4 + T_SPACE4))


def heat_for_temperature_w(t0_k, t1_k, k_w_k4, c_over_dt_w_k):
    """Total heat input over a backward-Euler step that takes the node from ``t0_k`` to exactly ``t1_k``."""
    t1 = np.asarray(t1_k, dtype=np.float64)
    t2 = t1 * t1
    return c_over_dt_w_k * (t1 - t0_k) + k_w_k4 * (t2 * t2 - T_SPACE4)


def _newton(t, b, k3, k4, c, iters):
    """``iters`` Newton iterations on f(T) = c T + k T^4 - b, written as T <- (3 k T^4 + b) / (c + 4 k T^3)
    (``k3`` = 3k, ``k4`` = 4k); returns (T, last change)."""
    prev = t
    for _ in range(iters):
        prev = t
        t2 = t * t
        t = (k3 * (t2 * t2) + b) / (k4 * (t2 * t) + c)
    return t, t - prev


def bracketing_start(t0, q, k, c):
    """A start for Newton's method on ``f(T) = c (T - T0) + k (T^4 - Ts^4) - Q`` with ``f >= 0`` and
    within a factor 2 of the root, for any step and temperature: the smaller of two upper bounds,
    T0 when cooling (f(T0) >= 0) or the explicit-Euler value when heating, and ``(R / k)^(1/4)`` with
    ``R = c T0 + k Ts^4 + max(Q, 0)`` (``R / c``, the root of the linear term alone, is never below
    the first). As the root T* satisfies ``max(c T*, k T*^4) >= R / 2``, the start is within a
    factor 2 of T*."""
    ct0 = c * t0
    t0sq = t0 * t0
    start = t0 + np.maximum((q + k * T_SPACE4) - k * (t0sq * t0sq), 0.0) / c
    return np.minimum(start, np.sqrt(np.sqrt((ct0 + np.maximum(q, 0.0) + k * T_SPACE4) / k)))


def implicit_step(t0_k, heat_w, k_w_k4, c_over_dt_w_k, out=None):
    """One backward-Euler step of ``C dT/dt = Q - k (T^4 - T_space^4)``: solve for T1.

    ``f(T) = c (T - T0) + k (T^4 - Ts^4) - Q`` is increasing and convex for T > 0, so Newton's method
    converges from any start T > 0: from one with f >= 0 it decreases monotonically to the root, and
    from one with f < 0 its first iterate has f >= 0. Every element first takes ``FIRST_ITERS``
    iterations from T0 itself: at the bus's steps the temperature moves by a small fraction of
    itself per step, so these reach machine precision (the error squares each iteration). Elements
    whose last change still exceeds 1e-9 T (or is not finite) start again from
    :func:`bracketing_start`, within a factor 2 of the root whatever the step, and take
    ``NEWTON_ITERS`` iterations, which reach machine precision for any step and temperature the
    inputs allow (from T0 alone, cooling with a large step, e.g. 1,000 K -> 6 K in a day-long step
    of a light node, needs ~20). The decision is per element, so the result does not depend on the
    array shape.
    """
    t0 = np.asarray(t0_k, dtype=np.float64)
    q = np.asarray(heat_w, dtype=np.float64)
    k, c = k_w_k4, c_over_dt_w_k
    b = c * t0 + (q + k * T_SPACE4)
    k3, k4 = 3.0 * k, 4.0 * k
    t, change = _newton(np.broadcast_to(t0, np.shape(b)), b, k3, k4, c, FIRST_ITERS)
    # not (|change| <= 1e-9 T): a NaN from an overflowing iterate also takes the bracketed restart
    more = ~(np.abs(change) <= 1e-9 * t)
    if np.any(more):
        shape = np.shape(t)
        t = np.atleast_1d(t)  # a fresh array from _newton (writable); scalar inputs become 1-d here
        idx = np.nonzero(np.reshape(more, t.shape))
        pick = lambda a: np.broadcast_to(a, shape).reshape(t.shape)[idx]  # noqa: E731
        kk, cc = pick(k), pick(c)
        t[idx], _ = _newton(bracketing_start(pick(t0), pick(q), kk, cc), pick(b), pick(k3), pick(k4), cc, NEWTON_ITERS)
        t = t.reshape(shape)
    if out is not None:
        out[...] = t
        return out
    return t
