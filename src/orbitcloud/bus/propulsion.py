"""Electric propulsion on the bus: drag make-up (station-keeping) and end-of-life disposal.

Ballistic coefficient ``B = C_D A / m`` of a design (Vallado 2013, sec. 8.6.2; C_D = 2.2 for a
satellite in free-molecular flow, Cook 1965 and Montenbruck & Gill, *Satellite Orbits*, 2000,
sec. 3.5.2). The area is the mean cross-section in the flight direction:

* solar arrays that track the Sun turn once per orbit about an axis normal to the orbit plane, so
  their mean projected area is ``(2/pi) A`` (the mean of ``|cos|``); fixed or body-mounted arrays are
  taken at ``A / 2`` (ASSUMPTION: half their area faces the flow on average);
* radiators are flown edge-on to the flow (ASSUMPTION: 10 % of their area projected);
* the body: a cube of the design's mass less its array at 500 kg/m^3 (ASSUMPTION, the bulk density
  of small satellites).

Station-keeping (drag make-up with a band, as Starlink-like constellations fly; Wertz, Everett &
Puschell, *Space Mission Engineering: The New SMAD*, 2011, sec. 10.4): each satellite's mean
semi-major axis ``a`` falls at its drag rate (:mod:`orbitcloud.environment.drag`); when it drops below
the band's floor the thrusters are asked to fire (in sunlight only, by default) until it is back at the
top. Their power is a bus load served after the bus and the heaters and before compute, so it competes
with compute: the compute it displaces in the step is counted as compute lost to station-keeping. A
tangential thrust ``F`` on a near-circular orbit raises ``a`` at ``2 (F / m) sqrt(a^3 / mu)`` (Gauss's
equation, Vallado 2013 eq. 9-24); Δv is ``F / m`` per second of firing and the propellant
``F / (Isp g0)``. The propagated orbit of a station-kept satellite is its held (drag-free) mean orbit;
the band's width bounds the difference.

Disposal at end of life: a low-thrust spiral (Edelbaum 1961: Δv = |v1 - v2| for a coplanar
circle-to-circle transfer) down to the highest circular altitude whose natural lifetime is within the
rule, then natural decay. The rule: FCC Second Report and Order 22-74 (Sept 2022; 47 CFR 25.114 and
25.283), five years after the end of the mission for satellites in LEO (below 2,000 km), the
"5-year rule" (ESA's Space Debris Mitigation Requirements ESSB-ST-U-007, 2023, have the same five
years). Propellant from the rocket equation. Docs: ``docs/orbit_life.md``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from orbitcloud.bus.design import Design
from orbitcloud.constants import WGS72_MU_KM3_S2

G0_M_S2 = 9.80665  # standard gravity (CGPM 1901)
MU_M3_S2 = WGS72_MU_KM3_S2 * 1e9  # WGS-72, as the propagators
#: default drag coefficient (free-molecular flat plates and boxes; Montenbruck & Gill 2000, 3.5.2)
CD_DEFAULT = 2.2
ARRAY_FACTOR = {"sun_tracking": 2.0 / math.pi, "single_axis": 2.0 / math.pi, "nadir_body_fixed": 0.5, "fixed": 0.5}
RADIATOR_FACTOR = 0.1
BODY_DENSITY_KG_M3 = 500.0
#: the 5-year rule (FCC 22-74, 2022) in seconds
FIVE_YEARS_S = 5.0 * 365.25 * 86400.0


@dataclasses.dataclass(frozen=True)
class Thruster:
    name: str
    thrust_n: float
    isp_s: float
    power_w: float
    mass_kg: float


def thruster(name: str) -> Thruster:
    """A thruster of ``catalog/thrusters.yaml``; ValueError naming the known ones when unknown."""
    from orbitcloud import catalog

    known = catalog.names("thrusters")
    if name not in known:
        raise ValueError(f"unknown thruster {name!r}; known: {', '.join(known)}")
    e = catalog.entry("thrusters", name)
    return Thruster(name, float(e["thrust_n"]), float(e["isp_s"]), float(e["power_w"]), float(e["mass_kg"]))


def drag_area_m2(d: Design) -> float:
    """Mean cross-section in the flight direction [m^2] (see the module docstring)."""
    body = ((d.mass_kg - d.mass_array_kg) / BODY_DENSITY_KG_M3) ** (2.0 / 3.0)
    return ARRAY_FACTOR.get(d.pointing, 0.5) * d.array_area_m2 + RADIATOR_FACTOR * d.radiator_area_m2 + body


def ballistic_coefficient_m2_kg(d: Design, cd: float = CD_DEFAULT) -> float:
    """``C_D A / m`` [m^2/kg]."""
    return cd * drag_area_m2(d) / d.mass_kg


def raise_rate_m_s(accel_m_s2: np.ndarray, a_m: np.ndarray) -> np.ndarray:
    """da/dt [m/s] of a tangential acceleration on a near-circular orbit: ``2 f sqrt(a^3 / mu)``."""
    a = np.asarray(a_m, float)
    return 2.0 * np.asarray(accel_m_s2) * np.sqrt(a * a * a / MU_M3_S2)


@dataclasses.dataclass
class StationKeeping:
    """Per-satellite station-keeping parameters (arrays (n,)); ``active`` marks satellites that hold
    their band (the others only decay)."""

    active: np.ndarray
    p_w: np.ndarray  # electrical power while firing (all thrusters)
    accel_m_s2: np.ndarray  # thrust / mass
    mdot_kg_s: np.ndarray  # propellant flow while firing
    adot_m_s: np.ndarray  # drag decay rate (negative)
    a0_m: np.ndarray  # the held mean semi-major axis (top of the band)
    a_lo_m: np.ndarray  # floor of the band
    sunlit_only: bool
    #: the bus samples ``a`` every this many steps (0: never)
    sample_steps: int = 0

    def slice(self, a: int, z: int) -> "StationKeeping":
        return StationKeeping(**{f.name: (getattr(self, f.name) if f.name in ("sunlit_only", "sample_steps") else getattr(self, f.name)[a:z])
                                 for f in dataclasses.fields(self)})


#: per-satellite sums of station-keeping (in W x steps, or per step: multiply by the step) and state
SK_SUMS = ("sk_w", "sk_lost", "sk_fire")


def sk_request_w(sk: StationKeeping, a_m: np.ndarray, firing: np.ndarray, illumination: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The latch (fire from below the floor until back at the top) and the power asked for this step."""
    firing = sk.active & ((firing & (a_m < sk.a0_m)) | (a_m < sk.a_lo_m))
    want = firing & (illumination > 0.0) if sk.sunlit_only else firing
    return firing, np.where(want, sk.p_w, 0.0)


def sk_update(sk: StationKeeping, a_m: np.ndarray, req_w: np.ndarray, served_w: np.ndarray, dt_s: float):
    """The fraction of full thrust delivered and the new semi-major axis after a step."""
    frac = np.divide(served_w, req_w, out=np.zeros_like(served_w), where=req_w > 0.0)
    a_new = a_m + (sk.adot_m_s + frac * raise_rate_m_s(sk.accel_m_s2, a_m)) * dt_s
    return frac, a_new


def edelbaum_dv_m_s(a1_m: np.ndarray, a2_m: np.ndarray) -> np.ndarray:
    """Δv [m/s] of a low-thrust coplanar spiral between circular orbits: ``|sqrt(mu/a1) - sqrt(mu/a2)|``."""
    return np.abs(np.sqrt(MU_M3_S2 / np.asarray(a1_m, float)) - np.sqrt(MU_M3_S2 / np.asarray(a2_m, float)))


def propellant_kg(mass_kg: np.ndarray, dv_m_s: np.ndarray, isp_s: float) -> np.ndarray:
    """Rocket equation: propellant for ``dv`` from a wet mass ``mass_kg``."""
    return np.asarray(mass_kg, float) * (1.0 - np.exp(-np.asarray(dv_m_s, float) / (isp_s * G0_M_S2)))


def disposal_altitude_m(alt_m: float, life_of, rule_s: float = FIVE_YEARS_S, floor_m: float = 150e3) -> float:
    """The highest circular altitude <= ``alt_m`` whose natural lifetime ``life_of(alt)`` is within
    ``rule_s`` (bisection; ``life_of`` increases with altitude)."""
    if life_of(alt_m) <= rule_s:
        return alt_m
    lo, hi = floor_m, alt_m
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if life_of(mid) <= rule_s:
            lo = mid
        else:
            hi = mid
        if hi - lo < 10.0:
            break
    return lo
