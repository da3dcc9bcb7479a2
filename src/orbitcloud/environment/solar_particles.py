"""Radiation environment: solar particle events (seeded Poisson process, dose behind the shield, cutoff).

Events are Poisson in time at ``spec.spe_rate_per_yr`` (NOAA SWPC list "Solar Proton Events Affecting
the Earth Environment", see :data:`~orbitcloud.environment.radiation_spec.SPE_RATE_PER_YR`); each has a
log-normal free-space fluence of protons > 30 MeV with a power-law integral spectrum (order-of-magnitude
defaults), turned into a dose by the solid-sphere calculation of :mod:`orbitcloud.environment.shielding`
(PSTAR ranges and stopping powers). Random numbers are counter-based (SplitMix64 finaliser, Steele, Lea
& Flood, OOPSLA 2014), so every caller, chunk or worker sees the same events. The geomagnetic cutoff is
a centred dipole (IGRF-2020 pole) with the Stormer vertical cutoff rigidity (Smart & Shea 2005, Adv.
Space Res. 36, 2012). Details in ``docs/radiation.md``.
"""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.environment.radiation_nodes import _R_EQ_M
from orbitcloud.environment.radiation_spec import YEAR_S, RadiationSpec
from orbitcloud.environment.shielding import _dose_behind


# --- solar particle events -----------------------------------------------------------------------------------
def _hash_uniform(seed: int, index: np.ndarray, stream: int) -> np.ndarray:
    """Counter-based uniform numbers in (0, 1) from (seed, index, stream) (SplitMix64 finaliser)."""
    mask = np.uint64(0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        z = (np.uint64(seed & 0xFFFFFFFFFFFFFFFF) * np.uint64(0x9E3779B97F4A7C15)
             + np.asarray(index, dtype=np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
             + np.uint64(stream) * np.uint64(0x94D049BB133111EB)) & mask
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


def _ndtri(u: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    return ndtri(u)


def spe_dose_per_fluence30_rad_cm2(spec: RadiationSpec) -> float:
    """Dose [rad(Si)] behind the spec's shield per unit free-space fluence of protons > 30 MeV [cm^-2].

    Event spectrum J(>E) = (E / 30 MeV)^-gamma (integral, power law), through the solid-sphere CSDA
    calculation of the trapped protons (PSTAR ranges and stopping powers), protons 0.1 - 300 MeV.
    """
    gamma = spec.spe_gamma
    return float(_dose_behind(lambda e: (np.asarray(e) / 30.0)[:, None] ** -gamma, spec.shielding_mm_al, "p")[0])


def spe_events(spec: RadiationSpec, t_end_s: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Start times [s] and doses behind the shield in free space [rad(Si)] of the events in [0, t_end_s).

    Event k (k = 0, 1, ...) starts at the sum of k + 1 exponential gaps of mean 1 / rate; its gap and
    fluence come from a counter-based hash of (seed, k), so any caller, chunk or worker sees the same
    events. Fluence > 30 MeV is log-normal (median ``spe_median_fluence30_cm2``, ln-sd
    ``spe_sigma_ln``); dose = fluence x :func:`spe_dose_per_fluence30_rad_cm2`.
    """
    if not spec.spe or spec.spe_rate_per_yr <= 0.0 or t_end_s <= 0.0:
        return np.zeros(0), np.zeros(0)
    mean_gap_s = YEAR_S / spec.spe_rate_per_yr
    times: list[np.ndarray] = []
    k0 = 0
    t = 0.0
    block = 64  # fixed blocks, summed sequentially: the times do not depend on t_end_s
    while t < t_end_s:
        idx = np.arange(k0, k0 + block, dtype=np.uint64)
        gaps = -mean_gap_s * np.log(_hash_uniform(seed, idx, 1))
        start = np.cumsum(np.concatenate([[t], gaps]))[1:]
        times.append(start)
        t = float(start[-1])
        k0 += block
    start = np.concatenate(times)
    start = start[start < t_end_s]
    idx = np.arange(start.size, dtype=np.uint64)
    fluence = spec.spe_median_fluence30_cm2 * np.exp(spec.spe_sigma_ln * _ndtri(_hash_uniform(seed, idx, 2)))
    return start, fluence * spe_dose_per_fluence30_rad_cm2(spec)


def spe_exposure(x_m, y_m, z_m, cutoff_l: float = 4.0) -> np.ndarray:
    """Fraction (0 or 1) of the free-space SPE flux reaching each position (geomagnetic cutoff).

    Approximation: a centred dipole (IGRF-2020 pole at 80.7 N, 72.7 W) gives the dipole L of the field
    line through the point, ``L = r / (R cos^2 lambda_m)``; solar protons reach field lines with
    ``L > cutoff_l``. With the Stormer vertical cutoff rigidity ``14.9 / L^2`` GV (Smart & Shea 2005,
    Adv. Space Res. 36, 2012), L = 4 admits protons above ~0.93 GV (~370 MeV) in quiet conditions; storm-
    time cutoffs observed during large events are lower (polar-cap boundary ~60 deg invariant latitude,
    i.e. L ~ 4), which is why the default boundary is L = 4.
    """
    pole_lat = math.radians(80.7)
    pole_lon = math.radians(-72.7)
    px, py, pz = math.cos(pole_lat) * math.cos(pole_lon), math.cos(pole_lat) * math.sin(pole_lon), math.sin(pole_lat)
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    z = np.asarray(z_m, dtype=np.float64)
    r = np.sqrt(x * x + y * y + z * z)
    with np.errstate(invalid="ignore", divide="ignore"):
        sin_m = (x * px + y * py + z * pz) / r
        cos2 = 1.0 - sin_m * sin_m
        l_dip = (r / _R_EQ_M) / cos2
    return np.where(l_dip > cutoff_l, 1.0, 0.0)


def spe_dose_rate_rad_s(spec: RadiationSpec, t_s: np.ndarray, seed: int, exposure: np.ndarray) -> np.ndarray:
    """Extra dose rate [rad(Si)/s] from solar particle events, shape of ``exposure`` (n, T).

    ``t_s`` (T,): seconds from the run start; ``exposure`` (n, T): fraction of the free-space event
    flux each satellite sees (e.g. :func:`spe_exposure`). The free-space dose rate of an event of dose
    D starting at t0 is ``D / tau exp(-(t - t0) / tau)`` (tau = ``spe_decay_s``), so an exposure of 1
    throughout collects D. Events are the same for every satellite and depend only on ``seed``
    (:func:`spe_events`), never on the times asked or on global random state. Zero when ``spec.spe``
    is false.
    """
    t = np.asarray(t_s, dtype=np.float64)
    expo = np.asarray(exposure, dtype=np.float64)
    if not spec.spe or t.size == 0:
        return np.zeros(np.broadcast_shapes(expo.shape, t.shape))
    start, dose = spe_events(spec, float(t.max()) + 1.0, seed)
    tau = spec.spe_decay_s
    rate = np.zeros(t.shape)
    for t0, d in zip(start, dose):  # a handful of events per year
        after = t >= t0
        rate[after] += d / tau * np.exp(-(t[after] - t0) / tau)
    return expo * rate
