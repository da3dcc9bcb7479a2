"""Longest eclipse of a circular orbit over a year, from the ephemeris, and the beta = 0 closed form.

:func:`longest_eclipse` simulates one satellite of the orbit for a year (built by
:func:`orbitcloud.scenario.parse_scenario` and :func:`orbitcloud.fleet.build_fleet`, run by
:func:`orbitcloud.sim.simulate`; conical shadow, illumination < 0.5) and caches the result per process;
:func:`beta0_eclipse_s` is the cylindrical-shadow eclipse at beta = 0 (Vallado, *Fundamentals of
Astrodynamics and Applications*, sec. 5.3, through :func:`orbitcloud.environment.shadow.cylindrical_eclipse_fraction`).
Dawn-dusk is LTAN 18:00 (as the built-in suncatcher-81 scenario); the search year, step and length are
the simulation choices in :mod:`orbitcloud.design.defaults`. Split out of
:mod:`orbitcloud.design.sizing`, which re-exports every name.
"""

from __future__ import annotations

import dataclasses
import functools
import time

import numpy as np

from orbitcloud.constants import WGS84_A_M, circular_period_s
from orbitcloud.design.defaults import DAWN_DUSK_LTAN, ECLIPSE_DAYS, ECLIPSE_STEP_S, ECLIPSE_YEAR_START


@dataclasses.dataclass(frozen=True)
class Eclipse:
    """Longest eclipse of one circular orbit over a simulated year."""

    longest_s: float  # longest interval with illumination < 0.5
    period_s: float  # two-body period of the circular orbit
    beta_min_abs_rad: float  # smallest |beta| over the run (0 when beta changes sign)
    beta_min_rad: float
    beta_max_rad: float
    sunlit_fraction: float
    days: float
    step_s: float
    propagator: str
    wall_s: float


def eclipse_scenario_yaml(altitude_km: float, orbit: str, ltan: str | None = None, inclination_deg: float | None = None,
                          start: str = ECLIPSE_YEAR_START, days: float = ECLIPSE_DAYS,
                          step_s: float = ECLIPSE_STEP_S) -> str:
    """A one-satellite scenario document for the orbit (``orbit``: dawn-dusk, sso or inclined)."""
    if orbit == "dawn-dusk":
        orbit, ltan = "sso", DAWN_DUSK_LTAN
    if orbit == "sso":
        shell = f"kind: sso\n    name: size\n    altitude_km: {altitude_km!r}\n    ltan: \"{ltan}\"\n    sats_per_plane: 1"
    elif orbit == "inclined":
        shell = (f"kind: walker\n    name: size\n    altitude_km: {altitude_km!r}\n    inclination_deg: {inclination_deg!r}\n"
                 "    planes: 1\n    sats_per_plane: 1")
    else:
        raise ValueError(f"orbit {orbit!r} is not dawn-dusk, sso or inclined")
    return (f"name: size-eclipse\nepoch: {start}\nduration: {days:g}d\nstep: {step_s:g}s\n"
            f"constellation:\n  - {shell}\n")


def longest_eclipse(altitude_km: float, orbit: str = "dawn-dusk", ltan: str | None = None,
                    inclination_deg: float | None = None, start: str = ECLIPSE_YEAR_START,
                    days: float = ECLIPSE_DAYS, step_s: float = ECLIPSE_STEP_S, propagator: str = "sgp4") -> Eclipse:
    """Simulate one satellite of the orbit for ``days`` and return its longest eclipse (cached per process).

    The fleet is built by :func:`orbitcloud.scenario.parse_scenario` and
    :func:`orbitcloud.fleet.build_fleet`, run by :func:`orbitcloud.sim.simulate`; the eclipse is
    ``FleetResult.longest_dark_s`` (illumination < 0.5, conical shadow). ``orbit``: ``dawn-dusk`` (LTAN
    18:00), ``sso`` (give ``ltan``) or ``inclined`` (give ``inclination_deg``).
    """
    if orbit == "dawn-dusk":
        ltan = DAWN_DUSK_LTAN
    if orbit != "inclined":
        inclination_deg = None
    return _longest_eclipse(float(altitude_km), orbit, ltan, None if inclination_deg is None else float(inclination_deg),
                            str(start), float(days), float(step_s), propagator)


@functools.lru_cache(maxsize=64)
def _longest_eclipse(altitude_km: float, orbit: str, ltan: str | None, inclination_deg: float | None, start: str,
                     days: float, step_s: float, propagator: str) -> Eclipse:
    from orbitcloud.fleet import build_fleet
    from orbitcloud.scenario import n_steps, parse_scenario
    from orbitcloud.sim import RunSpec, simulate
    from orbitcloud.timescale import jd_split

    t0 = time.perf_counter()
    loaded = parse_scenario(eclipse_scenario_yaml(altitude_km, orbit, ltan, inclination_deg, start, days, step_s),
                            label="size: orbit")
    fleet = build_fleet(loaded)
    jd0, fr0 = jd_split(np.datetime64(loaded.scenario.epoch, "ns"))
    spec = RunSpec(jd0=float(jd0), fr0=float(fr0), step_s=step_s,
                   n_steps=n_steps(loaded.scenario.duration, step_s), propagator=propagator)
    res = simulate(fleet, spec, workers=1)
    bmin, bmax = float(res.beta_min_rad[0]), float(res.beta_max_rad[0])
    beta_abs = 0.0 if bmin <= 0.0 <= bmax else min(abs(bmin), abs(bmax))
    return Eclipse(
        longest_s=float(res.longest_dark_s[0]),
        period_s=circular_period_s(WGS84_A_M + altitude_km * 1e3),
        beta_min_abs_rad=beta_abs, beta_min_rad=bmin, beta_max_rad=bmax,
        sunlit_fraction=float(res.illum_sum[0] / max(res.n_valid[0], 1)),
        days=float(days), step_s=float(step_s), propagator=propagator, wall_s=time.perf_counter() - t0,
    )


def beta0_eclipse_s(altitude_km: float) -> float:
    """Eclipse of a circular orbit at beta = 0 in a cylindrical shadow (closed form) [s]."""
    from orbitcloud.environment.shadow import cylindrical_eclipse_fraction

    return cylindrical_eclipse_fraction(altitude_km * 1e3, 0.0) * circular_period_s(WGS84_A_M + altitude_km * 1e3)
