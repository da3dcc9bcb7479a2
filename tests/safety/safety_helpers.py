"""Satellites built for the safety tests: circular LEO orbits by sgp4init, and brute-force references."""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.safety.conjunctions import objects_from_satrecs
from orbitcloud.timescale import jd_split, jd_split_offset

EPOCH = np.datetime64("2026-03-20T00:00:00", "ns")
JD0, FR0 = (float(x) for x in jd_split(EPOCH))
_EPOCH_1949_JD = 2433281.5


def circular(satnum: int, alt_km: float, incl_deg: float, raan_deg: float, u_deg: float, ecc: float = 1e-4,
             argp_deg: float = 0.0):
    """An sgp4 satellite at EPOCH with the given Kepler elements (mean anomaly = u - argp)."""
    from orbitcloud.validate.cases_orbit_safety import circular_satrec

    return circular_satrec(satnum, alt_km, incl_deg, raan_deg, u_deg, JD0, FR0, ecc=ecc, argp_deg=argp_deg)


def objects(sats, prefix="S"):
    return objects_from_satrecs(sats, [f"{prefix}{i}" for i in range(len(sats))])


def rel_distance_km(sat_a, sat_b, t_s: np.ndarray) -> np.ndarray:
    """|r_b - r_a| [km] at ``t_s`` seconds after EPOCH (SGP4, TEME)."""
    from sgp4.api import SatrecArray

    jd, fr = jd_split_offset(JD0, FR0, np.asarray(t_s, dtype=np.float64))
    _, r, _ = SatrecArray([sat_a, sat_b]).sgp4(jd, fr)
    return np.linalg.norm(r[1] - r[0], axis=1)


def brute_tca(sat_a, sat_b, t_guess: float, half_s: float = 2.0, step_s: float = 1e-3) -> tuple[float, float]:
    """TCA and miss by fine stepping (1 ms) around ``t_guess``, on a grid anchored off ``t_guess``
    (whole seconds + 0.317 ms) so that it cannot contain the time under test."""
    n = int(round(half_s / step_s))
    t = math.floor(t_guess) + 3.17e-4 + np.arange(-n, n + int(round(1.0 / step_s)) + 1) * step_s
    d = rel_distance_km(sat_a, sat_b, t)
    k = int(np.argmin(d))
    return float(t[k]), float(d[k])


def random_leo(rng, n: int, start: int, alt=(500.0, 560.0)):
    return [circular(start + i, rng.uniform(*alt), rng.uniform(20, 100), rng.uniform(0, 360), rng.uniform(0, 360),
                     ecc=rng.uniform(1e-4, 3e-3), argp_deg=rng.uniform(0, 360)) for i in range(n)]
