"""Constellation builders: each shell of a scenario becomes arrays of SGP4 mean elements.

All builders are vectorised (no Python loop over satellites). Angles in radians, mean motion in
radians per minute (SGP4's unit), epochs as split Julian dates.

* Walker delta/star: Walker, "Satellite constellations", J. Br. Interplanet. Soc. 37 (1984).
  Plane j of P has RAAN = RAAN0 + j * S/P (S = 360 deg for delta, 180 deg for star); satellite k of
  the plane has argument of latitude k * 360/Q + j * F * 360/(P Q).
* Sun-synchronous: inclination from the SGP4 secular node rate (J2 with J2^2/J4 terms) equal to
  360 deg per tropical year; RAAN from the local time of ascending node and the mean Sun
  (Vallado 4th ed. sec. 11.4).
* Cluster: a planar lattice around a reference circular orbit, laid in the plane of the circular
  passive relative orbit of Clohessy-Wiltshire dynamics (Clohessy & Wiltshire 1960) so that the
  lattice turns rigidly once per orbit; members share the reference semi-major axis (no along-track
  drift). See :func:`cluster_members`.
"""

from __future__ import annotations

import numpy as np

from orbitcloud.constants import WGS84_A_M
from orbitcloud.fleet.elements import RADIUS_KM, brouwer_mean_motion, kozai_from_brouwer, sso_inclination_rad
from orbitcloud.timescale import JD_J2000, mean_sun_ra_rad

TWO_PI = 2.0 * np.pi


def altitude_to_a_km(altitude_km: np.ndarray | float) -> np.ndarray:
    """Mean semi-major axis [km] for a mean altitude above the WGS-84 equatorial radius."""
    return np.asarray(altitude_km, dtype=np.float64) + WGS84_A_M / 1000.0


def mean_motion_kozai(
    altitude_km: np.ndarray | float | None,
    mean_motion_rev_per_day: float | None,
    ecco: np.ndarray,
    inclo: np.ndarray,
) -> np.ndarray:
    """Kozai mean motion [rad/min] for a shell given by altitude or by TLE-style mean motion.

    An altitude sets SGP4's Brouwer mean semi-major axis exactly; a mean motion is taken as a TLE
    (Kozai) mean motion, as in element sets.
    """
    if mean_motion_rev_per_day is not None:
        return np.full(np.shape(inclo), mean_motion_rev_per_day * TWO_PI / 1440.0)
    n = brouwer_mean_motion(altitude_to_a_km(altitude_km))
    return kozai_from_brouwer(np.broadcast_to(n, np.shape(inclo)), ecco, inclo)


def walker(
    planes: int,
    sats_per_plane: int,
    phasing: int,
    inclination_deg: float,
    pattern: str = "delta",
    raan0_deg: float = 0.0,
) -> dict[str, np.ndarray]:
    """Walker pattern angles: ``raan``, ``arg_lat``, ``incl`` [rad], shape (planes * sats_per_plane,)."""
    spread = TWO_PI if pattern == "delta" else np.pi
    j, k = np.divmod(np.arange(planes * sats_per_plane, dtype=np.int64), sats_per_plane)
    raan = np.mod(np.radians(raan0_deg) + j * (spread / planes), TWO_PI)
    arg_lat = np.mod(k * (TWO_PI / sats_per_plane) + j * (phasing * TWO_PI / (planes * sats_per_plane)), TWO_PI)
    incl = np.full(j.shape, np.radians(inclination_deg))
    return {"raan": raan, "arg_lat": arg_lat, "incl": incl, "plane": j}


def ltan_to_raan_rad(ltan_h: np.ndarray | float, epoch_jd: float, epoch_fr: float) -> np.ndarray:
    """RAAN [rad] of a plane whose ascending node is at local mean solar time ``ltan_h`` at the epoch."""
    d = (epoch_jd - JD_J2000) + epoch_fr
    return np.mod(mean_sun_ra_rad(d) + np.radians(15.0 * (np.asarray(ltan_h, dtype=np.float64) - 12.0)), TWO_PI)


def sso_planes(
    altitude_km: float,
    planes: int,
    sats_per_plane: int,
    phasing: int,
    ltan_h: float,
    ltan_spacing_h: float | None,
    altitude_spacing_km: float,
    epoch_jd: float,
    epoch_fr: float,
) -> dict[str, np.ndarray]:
    """Angles and altitudes of a sun-synchronous shell (planes spread in local time and altitude)."""
    spacing = 24.0 / planes if ltan_spacing_h is None else ltan_spacing_h
    j, k = np.divmod(np.arange(planes * sats_per_plane, dtype=np.int64), sats_per_plane)
    alt = altitude_km + j * altitude_spacing_km
    raan = ltan_to_raan_rad(ltan_h + j * spacing, epoch_jd, epoch_fr)
    arg_lat = np.mod(k * (TWO_PI / sats_per_plane) + j * (phasing * TWO_PI / (planes * sats_per_plane)), TWO_PI)
    plane_alt = altitude_km + np.arange(planes) * altitude_spacing_km
    plane_inc = sso_inclination_rad(altitude_to_a_km(plane_alt))
    return {"raan": raan, "arg_lat": arg_lat, "incl": plane_inc[j], "alt_km": alt, "plane": j}


def cluster_lattice_m(count: int, radius_m: float, spacing_m: tuple[float, float]) -> np.ndarray:
    """The ``count`` lattice points nearest the centre, shape (count, 2): radial, along-track [m].

    The lattice is {(i * dx, j * dy)}; points farther than ``radius_m`` are not used. Ties in distance
    are broken by (along-track, radial) so the order is deterministic.

    Raises
    ------
    ValueError
        When fewer than ``count`` lattice points lie within ``radius_m``.
    """
    dx, dy = spacing_m
    ni = int(np.floor(radius_m / dx))
    nj = int(np.floor(radius_m / dy))
    if (2 * ni + 1) * (2 * nj + 1) > 50_000_000:
        raise ValueError("radius_m/spacing_m gives more than 5e7 lattice points; use a coarser spacing")
    i, j = np.meshgrid(np.arange(-ni, ni + 1), np.arange(-nj, nj + 1), indexing="ij")
    x = (i * dx).ravel()
    y = (j * dy).ravel()
    dist = np.hypot(x, y)
    inside = dist <= radius_m * (1.0 + 1e-12)
    x, y, dist = x[inside], y[inside], dist[inside]
    if x.size < count:
        raise ValueError(
            f"only {x.size} lattice points of spacing {dx:g} m x {dy:g} m fit within radius {radius_m:g} m; "
            f"count is {count}"
        )
    order = np.lexsort((x, y, np.round(dist, 6)))[:count]
    return np.stack([x[order], y[order]], axis=1)


def cluster_members(a_km: float, incl_rad: float, ref_arg_lat: float, offsets_m: np.ndarray) -> dict[str, np.ndarray]:
    """Mean elements of cluster members from lattice coordinates (p, q) [m] in the formation plane.

    The formation plane is that of the circular passive relative orbit of Clohessy-Wiltshire
    dynamics: a member at distance rho and phase phi from the centre moves as
    ``x = rho/2 cos(n t + phi)`` (radial), ``y = -rho sin(n t + phi)`` (along-track),
    ``z = sqrt(3)/2 rho cos(n t + phi)`` (cross-track), so |r| = rho at all times and the whole
    lattice turns rigidly once per orbit: neighbour distances are kept (to first order in rho/a).
    A lattice laid in the radial/along-track plane instead would collapse onto a line twice per
    orbit (bounded in-plane motion is x = x0 cos, y = y0 - 2 x0 sin).

    Lattice axis p is e1 = (1/2, 0, sqrt(3)/2) (radial/cross-track) and q is e2 = (0, -1, 0)
    (along-track) at the epoch. Conversion to mean-element differences uses the near-circular
    relative orbital elements of D'Amico (PhD thesis, TU Delft 2010, eq. 2.21):
    ``x/a = -de_x cos u - de_y sin u``, ``y/a = dlambda + 2 de_x sin u - 2 de_y cos u``,
    ``z/a = di_x sin u - di_y cos u``, with di_x = di, di_y = dOmega sin i,
    dlambda = du + dOmega cos i. Returns ``ecco``, ``argpo``, ``mo``, ``dincl``, ``draan`` [rad].
    """
    a_m = a_km * 1000.0
    p = offsets_m[:, 0]
    q = offsets_m[:, 1]
    rho_a = np.hypot(p, q) / a_m
    phase = np.arctan2(q, p) - ref_arg_lat  # phi - u0
    de_x = -0.5 * rho_a * np.cos(phase)
    de_y = 0.5 * rho_a * np.sin(phase)
    di_y = -np.sqrt(3.0) / 2.0 * rho_a * np.cos(phase)
    di_x = -np.sqrt(3.0) / 2.0 * rho_a * np.sin(phase)
    draan = di_y / np.sin(incl_rad)
    du = -draan * np.cos(incl_rad)
    ecco = np.hypot(de_x, de_y)
    argpo = np.mod(np.arctan2(de_y, de_x), TWO_PI)
    arg_lat = ref_arg_lat + du
    mo = np.mod(arg_lat - argpo, TWO_PI)
    return {"ecco": ecco, "argpo": argpo, "mo": mo, "dincl": di_x, "draan": draan}


__all__ = [
    "RADIUS_KM",
    "altitude_to_a_km",
    "cluster_lattice_m",
    "cluster_members",
    "ltan_to_raan_rad",
    "mean_motion_kozai",
    "sso_planes",
    "walker",
]
