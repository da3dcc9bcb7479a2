"""Atmospheric drag and orbit decay: NRLMSIS 2.1 density, orbit-mean decay rates, lifetimes.

Density
    NRLMSIS 2.1 (Emmert et al., "NRLMSIS 2.0: A whole-atmosphere empirical model of temperature and
    neutral species densities", Earth and Space Science 8, 2021, doi:10.1029/2020EA001321; 2.1 adds
    NO) through ``pymsis`` (NASA/CU LASP, Lucas et al.), with the solar and geomagnetic activity
    given as inputs: F10.7 (daily), F10.7a (81-day mean) and Ap (the seven NRLMSIS Ap slots set equal),
    from the sourced levels of ``catalog/solar_activity.yaml`` (ECSS-E-ST-10-04C low / moderate /
    high) or from a CSV of daily indices. Nothing is fetched at run time.

Orbit-mean density
    The density a satellite meets, averaged over its orbit: NRLMSIS evaluated at the latitudes,
    longitudes and times of sampled positions of the shell's satellites over one day (so the
    diurnal bulge and the latitude distribution of the orbit enter), at each point's WGS-84 geodetic
    height, for each orbit radius of a grid; ``log rho`` is interpolated between grid radii.

Decay of a near-circular orbit (King-Hele, *Satellite Orbits in an Atmosphere*, Blackie 1987, ch. 3;
Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. 2013, sec. 9.6):

    da/dt = -rho B sqrt(mu a) F,      B = C_D A / m,      F = (1 - r w_E cos i / v)^2

``F`` is the rotating-atmosphere factor. The lifetime is the time to fall from ``a`` to 120 km
(below which re-entry follows within hours), ``integral da / |da/dt|``.

Validated (``tests/environment/test_drag.py``) against an independent Cowell integration (two-body,
J2 and drag from NRLMSIS along the trajectory, co-rotating atmosphere) within 10 %, and against the
closed-form lifetime of an exponential atmosphere. Docs: ``docs/orbit_life.md``.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import numpy as np

from orbitcloud.constants import EARTH_ROTATION_RAD_S, WGS72_MU_KM3_S2, WGS72_RADIUS_KM
from orbitcloud.errors import ScenarioError

MU_M3_S2 = WGS72_MU_KM3_S2 * 1e9
EARTH_RATE_RAD_S = EARTH_ROTATION_RAD_S
R_EARTH_M = WGS72_RADIUS_KM * 1e3
#: re-entry altitude for lifetimes: below ~120 km an orbit decays within hours (King-Hele 1987)
REENTRY_ALT_M = 120e3
#: altitude grid of the orbit-mean density [km]
GRID_ALT_KM = np.array([100, 110, 120, 130, 140, 150, 160, 180, 200, 225, 250, 275, 300, 350, 400, 450, 500,
                        550, 600, 650, 700, 750, 800, 900, 1000, 1100, 1250, 1500, 2000], dtype=np.float64)


@dataclasses.dataclass(frozen=True)
class Activity:
    """Solar and geomagnetic activity for NRLMSIS: F10.7 and its 81-day mean [sfu], daily Ap."""

    f107: float
    f107a: float
    ap: float
    label: str = ""


def activity_level(name: str) -> Activity:
    """A sourced level of ``catalog/solar_activity.yaml``: ``min``, ``mean`` or ``max``."""
    from orbitcloud import catalog

    e = catalog.entry("solar_activity", name)
    return Activity(float(e["f107"]), float(e["f107a"]), float(e["ap"]), str(e.get("label", name)))


def read_activity_csv(path: str | Path) -> dict[str, np.ndarray]:
    """Daily indices from a CSV with a header ``date,f107,f107a,ap`` (ISO dates, one row per day).

    Refused with the file, line and value: a missing column, a value that is not a number or is
    negative, dates out of order, and gaps (every day between the first and the last must be there).
    """
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot read the activity file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{p}: byte {exc.start} is not UTF-8 text; expected a CSV date,f107,f107a,ap") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise ScenarioError(f"{p}: empty activity file; expected a header date,f107,f107a,ap")
    header = [h.strip().lower() for h in rows[0]]
    need = ("date", "f107", "f107a", "ap")
    missing = [c for c in need if c not in header]
    if missing:
        raise ScenarioError(f"{p}: line 1: missing column(s) {', '.join(missing)}; expected a header date,f107,f107a,ap")
    col = {c: header.index(c) for c in need}
    dates, vals = [], {c: [] for c in need[1:]}
    for ln, row in enumerate(rows[1:], start=2):
        if not row or all(not x.strip() for x in row):
            continue
        try:
            d = np.datetime64(row[col["date"]].strip(), "D")
        except (ValueError, IndexError):
            raise ScenarioError(f"{p}: line {ln}: date {row[col['date']] if len(row) > col['date'] else ''!r} is not an ISO date such as 2024-05-01") from None
        for c in need[1:]:
            raw = row[col[c]].strip() if len(row) > col[c] else ""
            try:
                v = float(raw)
            except ValueError:
                raise ScenarioError(f"{p}: line {ln}: {c} = {raw!r}: expected a number") from None
            if not math.isfinite(v) or v < 0.0:
                raise ScenarioError(f"{p}: line {ln}: {c} = {raw!r}: expected a finite number >= 0")
            vals[c].append(v)
        if dates and d <= dates[-1]:
            raise ScenarioError(f"{p}: line {ln}: date {d} is not after {dates[-1]}; expected one row per day in order")
        if dates and d != dates[-1] + np.timedelta64(1, "D"):
            raise ScenarioError(f"{p}: line {ln}: gap in the daily indices: {dates[-1]} is followed by {d}; every day must be given")
        dates.append(d)
    if not dates:
        raise ScenarioError(f"{p}: no rows after the header; expected one row per day")
    return {"date": np.array(dates, dtype="datetime64[D]"), **{c: np.array(v) for c, v in vals.items()}}


def activity_for_window(table: dict[str, np.ndarray], start: np.datetime64, stop: np.datetime64, label: str) -> Activity:
    """The mean of the daily indices over the days of ``[start, stop)`` (each must be in the table)."""
    d0, d1 = np.datetime64(start, "D"), np.datetime64(stop - np.timedelta64(1, "ns"), "D")
    if d0 < table["date"][0] or d1 > table["date"][-1]:
        raise ScenarioError(
            f"{label}: the run needs daily indices for {d0} .. {d1}; the file covers {table['date'][0]} .. {table['date'][-1]}"
        )
    sel = (table["date"] >= d0) & (table["date"] <= d1)
    return Activity(float(table["f107"][sel].mean()), float(table["f107a"][sel].mean()), float(table["ap"][sel].mean()), label)


def density_kg_m3(dates: np.ndarray, lon_deg: np.ndarray, lat_deg: np.ndarray, alt_km: np.ndarray, act: Activity) -> np.ndarray:
    """NRLMSIS 2.1 total mass density [kg/m^3] at paired points (arrays of one shape)."""
    import pymsis

    dates = np.asarray(dates, dtype="datetime64[ns]").ravel()
    shape = np.shape(alt_km)
    n = dates.size
    out = pymsis.calculate(
        dates, np.asarray(lon_deg, float).ravel(), np.asarray(lat_deg, float).ravel(), np.asarray(alt_km, float).ravel(),
        f107s=np.full(n, act.f107), f107as=np.full(n, act.f107a), aps=np.full((n, 7), act.ap), version=2.1,
    )
    return out[:, pymsis.Variable.MASS_DENSITY].reshape(shape)


def geodetic_points(lon_deg: np.ndarray, lat_deg: np.ndarray, radius_m: np.ndarray):
    """WGS-84 geodetic latitude [deg] and height [km] of points given by geocentric latitude,
    longitude and radius (arrays of one shape): what NRLMSIS takes (``ephemeris.frames.ecef_to_geodetic``).
    A spherical altitude ``r - R`` overstates the height at high latitudes by up to 21 km."""
    from orbitcloud.ephemeris.frames import ecef_to_geodetic

    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    r = np.asarray(radius_m, float)
    xyz = np.stack([r * np.cos(la) * np.cos(lo), r * np.cos(la) * np.sin(lo), r * np.sin(la)], axis=-1)
    glat, _, h = ecef_to_geodetic(xyz)
    return np.degrees(glat), h / 1e3


def orbit_mean_density_table(dates: np.ndarray, lon_deg: np.ndarray, lat_deg: np.ndarray, act: Activity,
                             alt_km: np.ndarray = GRID_ALT_KM) -> np.ndarray:
    """Mean NRLMSIS density [kg/m^3] over sampled points (time, longitude, geocentric latitude of
    positions of an orbit), for each orbit radius ``R + alt_km`` of the grid (``R`` = 6,378.135 km):
    shape ``alt_km.shape``. Each point is evaluated at its WGS-84 geodetic latitude and height."""
    dates = np.asarray(dates, dtype="datetime64[ns]").ravel()
    m = dates.size
    h = np.asarray(alt_km, float)
    lon = np.tile(np.asarray(lon_deg, float).ravel(), h.size)
    lat = np.tile(np.asarray(lat_deg, float).ravel(), h.size)
    glat, gh_km = geodetic_points(lon, lat, R_EARTH_M + np.repeat(h, m) * 1e3)
    rho = density_kg_m3(np.tile(dates, h.size), lon, glat, gh_km, act)
    return rho.reshape(h.size, m).mean(axis=1)


def interp_density(table_kg_m3: np.ndarray, alt_m: np.ndarray, grid_alt_km: np.ndarray = GRID_ALT_KM) -> np.ndarray:
    """``log rho`` interpolated linearly in altitude (exponential between grid points); the end
    scale heights are extended beyond the grid."""
    x = np.asarray(alt_m, float) / 1e3
    lg = np.log(table_kg_m3)
    out = np.interp(x, grid_alt_km, lg)
    lo = x < grid_alt_km[0]
    hi = x > grid_alt_km[-1]
    if lo.any():
        s = (lg[1] - lg[0]) / (grid_alt_km[1] - grid_alt_km[0])
        out[lo] = lg[0] + s * (x[lo] - grid_alt_km[0])
    if hi.any():
        s = (lg[-1] - lg[-2]) / (grid_alt_km[-1] - grid_alt_km[-2])
        out[hi] = lg[-1] + s * (x[hi] - grid_alt_km[-1])
    return np.exp(out)


def rotation_factor(a_m: np.ndarray, inc_rad: np.ndarray) -> np.ndarray:
    """King-Hele's F = (1 - r w_E cos i / v)^2 for a circular orbit (co-rotating atmosphere)."""
    a = np.asarray(a_m, float)
    v = np.sqrt(MU_M3_S2 / a)
    return (1.0 - a * EARTH_RATE_RAD_S * np.cos(inc_rad) / v) ** 2


def decay_rate_m_s(a_m: np.ndarray, inc_rad: np.ndarray, rho_kg_m3: np.ndarray, b_m2_kg: np.ndarray) -> np.ndarray:
    """da/dt [m/s] of a near-circular orbit: ``-rho B sqrt(mu a) F`` (negative)."""
    a = np.asarray(a_m, float)
    return -np.asarray(rho_kg_m3) * np.asarray(b_m2_kg) * np.sqrt(MU_M3_S2 * a) * rotation_factor(a, inc_rad)


def lifetime_s(alt_m: np.ndarray, inc_rad: np.ndarray, b_m2_kg: np.ndarray, table_kg_m3: np.ndarray,
               grid_alt_km: np.ndarray = GRID_ALT_KM, floor_alt_m: float = REENTRY_ALT_M, step_m: float = 500.0) -> np.ndarray:
    """Time [s] for a circular orbit at ``alt_m`` to decay to ``floor_alt_m``: the integral of
    ``da / |da/dt|`` by the trapezoid rule on ``step_m`` steps (vectorised over satellites)."""
    alt = np.atleast_1d(np.asarray(alt_m, float))
    inc = np.broadcast_to(np.asarray(inc_rad, float), alt.shape)
    b = np.broadcast_to(np.asarray(b_m2_kg, float), alt.shape)
    top = float(alt.max())
    if top <= floor_alt_m:
        return np.zeros(alt.shape)
    h = np.arange(floor_alt_m, top + step_m, step_m)
    out = np.zeros(alt.shape)
    rho = interp_density(table_kg_m3, h, grid_alt_km)
    for k in np.unique(np.round(np.degrees(inc), 6)):  # a handful of inclinations, not satellites
        sel = np.round(np.degrees(inc), 6) == k
        # per unit B: 1 / |da/dt| at B = 1
        inv = 1.0 / (rho * np.sqrt(MU_M3_S2 * (R_EARTH_M + h)) * rotation_factor(R_EARTH_M + h, math.radians(k)))
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (inv[1:] + inv[:-1]) * np.diff(h))])
        out[sel] = np.interp(np.maximum(alt[sel], floor_alt_m), h, cum) / b[sel]
    return out


def lifetime_function(inc_rad: float, table_kg_m3: np.ndarray, grid_alt_km: np.ndarray = GRID_ALT_KM,
                      floor_alt_m: float = REENTRY_ALT_M, top_alt_m: float = 2000e3, step_m: float = 500.0):
    """``f(alt_m)`` = lifetime [s] at B = 1 m^2/kg (divide by B): the cumulative table of
    :func:`lifetime_s` built once, then interpolated (disposal searches call it many times)."""
    h = np.arange(floor_alt_m, top_alt_m + step_m, step_m)
    rho = interp_density(table_kg_m3, h, grid_alt_km)
    inv = 1.0 / (rho * np.sqrt(MU_M3_S2 * (R_EARTH_M + h)) * rotation_factor(R_EARTH_M + h, inc_rad))
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (inv[1:] + inv[:-1]) * np.diff(h))])
    return lambda alt_m: np.interp(np.maximum(np.asarray(alt_m, float), floor_alt_m), h, cum)


def bstar_for_decay(adot_m_s: np.ndarray, a_m: np.ndarray, no_kozai_rad_min: np.ndarray, ecco: np.ndarray,
                    inclo_rad: np.ndarray) -> np.ndarray:
    """SGP4 B* [1/Earth radii] whose secular decay ``a (1 - C1 t)^2`` starts at ``adot_m_s``:
    ``C1 = -adot / (2 a)`` per second x 60, ``B* = C1 / drag_c2`` (:func:`orbitcloud.fleet.elements.drag_c2`).

    SGP4's own power-law atmosphere then shapes the decay; the rate at the run start is NRLMSIS's."""
    from orbitcloud.fleet.elements import drag_c2

    c1_min = -np.asarray(adot_m_s, float) / (2.0 * np.asarray(a_m, float)) * 60.0
    return c1_min / drag_c2(no_kozai_rad_min, ecco, inclo_rad)


def adot_from_bstar(bstar: np.ndarray, a_m: np.ndarray, no_kozai_rad_min: np.ndarray, ecco: np.ndarray,
                    inclo_rad: np.ndarray) -> np.ndarray:
    """da/dt [m/s] at the element epoch implied by SGP4's B* (the inverse of :func:`bstar_for_decay`)."""
    from orbitcloud.fleet.elements import drag_c2

    c1_s = np.asarray(bstar, float) * drag_c2(no_kozai_rad_min, ecco, inclo_rad) / 60.0
    return -2.0 * np.asarray(a_m, float) * c1_s


def circular_orbit_samples(epoch: np.datetime64, a_m: np.ndarray, inc_rad: np.ndarray, node_rad: np.ndarray,
                           u0_rad: np.ndarray, duration_s: float = 86400.0, n_samples: int = 144):
    """Times, longitudes and latitudes [deg] of circular orbits sampled evenly over ``duration_s``
    (arrays (k, n_samples) for k orbits): the points where :func:`orbit_mean_density_table` evaluates
    the atmosphere. The node is held (its J2 drift over a day moves local time by < 1 deg x 4 min)."""
    from orbitcloud.timescale import gmst82_rad, jd_split

    a = np.atleast_1d(np.asarray(a_m, float))[:, None]
    inc = np.atleast_1d(np.asarray(inc_rad, float))[:, None]
    node = np.atleast_1d(np.asarray(node_rad, float))[:, None]
    u0 = np.atleast_1d(np.asarray(u0_rad, float))[:, None]
    t = (np.arange(n_samples) + 0.5) * (duration_s / n_samples)
    dates = np.datetime64(epoch, "ns") + (t * 1e9).astype("timedelta64[ns]")
    jd, fr = jd_split(dates)
    gmst = gmst82_rad(jd, fr)[None, :]
    u = u0 + np.sqrt(MU_M3_S2 / a**3) * t[None, :]
    su, cu = np.sin(u), np.cos(u)
    lat = np.degrees(np.arcsin(np.sin(inc) * su))
    lon = np.degrees(np.arctan2(np.cos(inc) * su, cu) + node - gmst)
    lon = (lon + 180.0) % 360.0 - 180.0
    return np.broadcast_to(dates[None, :], lat.shape), lon, lat
