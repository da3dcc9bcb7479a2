"""Independent references for the end-to-end oracles of ``orbitcloud run`` (tests/oracles).

Nothing here calls orbitcloud's physics. The orbit of each test satellite is taken from the fleet the
scenario builds (its SGP4 mean elements: that is the run's *input*), and everything downstream is
recomputed here from outside authorities and closed forms:

* positions: skyfield ``EarthSatellite`` from a ``Satrec`` initialised here with ``sgp4init``
  (skyfield's own TEME -> GCRS / ITRS chain, IERS time scales);
* the Sun: JPL DE421 through skyfield (geometric geocentric position);
* shadow: the conical Earth-shadow model written out again here (Montenbruck & Gill, *Satellite
  Orbits*, 2000, sec. 3.4.2: two overlapping disks), evaluated on skyfield's vectors;
* view factor of an edge-on plate: Howell, *A Catalog of Radiation Heat Transfer Configuration
  Factors*, factor B-20;
* ground visibility: skyfield ``wgs84.latlon`` topocentric altitude and ``find_events``;
* constants with their sources below (the test states them; it does not read orbitcloud's).

Tests compare the run's summary with what these give, with tolerances in named units.
"""

from __future__ import annotations

import json
import math
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

#: Total solar irradiance at 1 AU [W/m^2] (Kopp & Lean 2011, GRL 38, L01706).
S0_W_M2 = 1361.0
#: Astronomical unit [m] (IAU 2012 Resolution B2).
AU_M = 149_597_870_700.0
#: Earth mean outgoing longwave radiation [W/m^2] and Bond albedo (CERES EBAF, Loeb et al. 2009).
OLR_W_M2 = 239.0
ALBEDO = 0.30
#: Stefan-Boltzmann constant [W m^-2 K^-4] (CODATA 2018).
SIGMA = 5.670374419e-8
#: Deep-space sink temperature [K] (CMB, Fixsen 2009).
T_SPACE_K = 2.725
#: WGS-84 equatorial radius [m] (NIMA TR8350.2) and the IAU 2015 nominal solar radius [m].
R_EARTH_M = 6_378_137.0
R_SUN_M = 6.957e8
#: Speed of light [m/s] (exact).
C_M_S = 299_792_458.0
ZERO_C_K = 273.15


@lru_cache(maxsize=1)
def skyfield_env():
    """(timescale, DE421 ephemeris) from skyfield-data, with no network access."""
    from skyfield.api import Loader, load
    from skyfield_data import get_skyfield_data_path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = load.timescale(builtin=True)
        eph = Loader(get_skyfield_data_path())("de421.bsp")
    return ts, eph


def run_json(tmp_path: Path, name: str, yaml_text: str, *extra: str) -> dict:
    """Write the scenario, run ``orbitcloud run FILE --json`` through the CLI, return the summary."""
    import contextlib
    import io

    from orbitcloud.cli import main

    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml_text)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["run", str(path), "--json", *extra])
    assert code == 0, buf.getvalue()
    return json.loads(buf.getvalue())


def run_dir(tmp_path: Path, name: str, yaml_text: str, *extra: str) -> tuple[dict, Path]:
    """As :func:`run_json` with ``--out``; returns (summary, results directory)."""
    out = tmp_path / f"{name}-out"
    return run_json(tmp_path, name, yaml_text, "--out", str(out), *extra), out


def timeseries(out: Path) -> dict[str, np.ndarray]:
    """``timeseries.parquet`` of a results directory as numpy columns (``time`` as int64 ns)."""
    import pyarrow.parquet as pq

    table = pq.read_table(out / "timeseries.parquet")
    cols = {c: table.column(c).to_numpy() for c in table.column_names if c != "time"}
    cols["time_ns"] = table.column("time").cast("int64").to_numpy()
    return cols


def satellites_of(tmp_path: Path, name: str, yaml_text: str):
    """The scenario's fleet as skyfield satellites, built from the fleet's SGP4 mean elements."""
    from sgp4.api import WGS72, Satrec
    from skyfield.api import EarthSatellite

    from orbitcloud.fleet import build_fleet
    from orbitcloud.scenario import load_scenario

    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml_text)
    fleet = build_fleet(load_scenario(str(path)))
    ts, _ = skyfield_env()
    out = []
    for i in range(len(fleet)):
        sat = Satrec()
        # sgp4init's epoch: days since 1949-12-31 00:00 UT (Vallado, "Revisiting Spacetrack Report #3")
        epoch_days = (fleet.epoch_jd[i] - 2433281.5) + fleet.epoch_fr[i]
        sat.sgp4init(
            WGS72, "i", int(fleet.satnum[i]), float(epoch_days), float(fleet.bstar[i]), float(fleet.ndot[i]),
            float(fleet.nddot[i]), float(fleet.ecco[i]), float(fleet.argpo_rad[i]), float(fleet.inclo_rad[i]),
            float(fleet.mo_rad[i]), float(fleet.no_kozai_rad_min[i]), float(fleet.nodeo_rad[i]),
        )
        sat.jdsatepoch = float(fleet.epoch_jd[i])
        sat.jdsatepochF = float(fleet.epoch_fr[i])
        out.append(EarthSatellite.from_satrec(sat, ts))
    return out


def times(start_utc: tuple, t_s: np.ndarray):
    """skyfield Time for seconds ``t_s`` after ``start_utc`` = (year, month, day, hour, minute, second)."""
    ts, _ = skyfield_env()
    y, mo, d, h, mi, s = start_utc
    return ts.utc(y, mo, d, h, mi, s + np.asarray(t_s, dtype=np.float64))


class Geometry:
    """Satellite and Sun vectors at the times ``t`` (GCRS, metres), from skyfield and DE421."""

    def __init__(self, sat, t) -> None:
        _, eph = skyfield_env()
        self.r_m = sat.at(t).position.m  # (3, T) geocentric
        self.v_m_s = sat.at(t).velocity.m_per_s
        earth = eph["earth"]
        self.sun_m = (eph["sun"].at(t) - earth.at(t)).position.m  # geometric, geocentric (3, T)

    @property
    def sun_distance_m(self) -> np.ndarray:
        return np.linalg.norm(self.sun_m, axis=0)

    @property
    def irradiance_w_m2(self) -> np.ndarray:
        """S0 (1 AU / d)^2 with d the geocentric Sun distance."""
        return S0_W_M2 * (AU_M / self.sun_distance_m) ** 2

    @property
    def cos_zenith(self) -> np.ndarray:
        """Cosine of the Sun's zenith angle at the sub-satellite direction: r_hat . s_hat."""
        r = self.r_m / np.linalg.norm(self.r_m, axis=0)
        s = self.sun_m / np.linalg.norm(self.sun_m, axis=0)
        return np.einsum("it,it->t", r, s)

    @property
    def beta_rad(self) -> np.ndarray:
        """Beta angle: the Sun's elevation above the orbit plane (normal h = r x v)."""
        h = np.cross(self.r_m.T, self.v_m_s.T).T
        h /= np.linalg.norm(h, axis=0)
        s = self.sun_m / np.linalg.norm(self.sun_m, axis=0)
        return np.arcsin(np.einsum("it,it->t", h, s))

    def illumination(self) -> np.ndarray:
        """Visible fraction of the solar disk (conical shadow, spherical Earth of radius R_EARTH_M).

        Seen from the satellite the Sun is a disk of angular radius a = asin(R_sun / |s - r|), the
        Earth one of b = asin(R_e / |r|), their centres c apart; the hidden part of the Sun is the
        area of the two circles' overlap (Montenbruck & Gill 2000, eq. 3.85-3.87)."""
        from orbitcloud.validate.cases_ephemeris import conical_illumination

        return conical_illumination(self.r_m, self.sun_m)


def edge_view_factor(r_over_re) -> np.ndarray:
    """Earth view factor of a plate whose normal is horizontal (Howell, factor B-20)."""
    h = np.asarray(r_over_re, dtype=np.float64)
    x = np.sqrt(h * h - 1.0)
    return (np.arctan(1.0 / x) - x / (h * h)) / math.pi


def array_power_w(g: "Geometry", illum: np.ndarray, t_s: np.ndarray, area_m2: float, packing: float, eta_ref: float,
                  gamma_per_k: float, t_ref_k: float, degradation_per_yr: float, absorptance: float,
                  emissivity: float) -> np.ndarray:
    """Sun-tracking array power [W] at each sample, with the cell temperature of the thin-panel balance
    solved exactly (not by a fixed number of passes):

        (alpha - eta(T)) G + F (eps OLR + alpha a S max(cos z, 0)) = 2 eps sigma T^4,
        eta(T) = eta_ref (1 + gamma (T - T_ref)) (1 - d)^(t / yr),   P = G A packing eta(T),

    G = S x illumination (Patel, *Spacecraft Power Systems*, 2005, ch. 4; Gilmore 2002 for the
    balance). F is the edge-on view factor at the orbit's mean geocentric radius."""
    s = g.irradiance_w_m2
    cz = np.maximum(g.cos_zenith, 0.0)
    f_view = float(edge_view_factor(np.linalg.norm(g.r_m, axis=0).mean() / R_EARTH_M))
    eta0 = eta_ref * (1.0 - degradation_per_yr) ** (np.asarray(t_s) / (365.25 * 86400.0))
    big_g = s * illum
    q_earth = f_view * (emissivity * OLR_W_M2 + absorptance * ALBEDO * s * cz)
    t = np.full(big_g.shape, 300.0)
    for _ in range(60):  # Newton on f(T) = 2 eps sigma T^4 - (alpha - eta(T)) G - q_earth (convex, increasing)
        eta = eta0 * (1.0 + gamma_per_k * (t - t_ref_k))
        f = 2.0 * emissivity * SIGMA * t**4 - (absorptance - eta) * big_g - q_earth
        df = 8.0 * emissivity * SIGMA * t**3 - eta0 * gamma_per_k * big_g
        t = t - f / df
    eta = eta0 * (1.0 + gamma_per_k * (t - t_ref_k))
    assert np.all(np.abs(2.0 * emissivity * SIGMA * t**4 - (absorptance - eta) * big_g - q_earth) < 1e-9 * (1.0 + big_g))
    return big_g * area_m2 * packing * eta


def solve_scalar(f, lo: float, hi: float) -> float:
    """Root of an increasing scalar function on [lo, hi] (scipy's Brent method)."""
    from scipy.optimize import brentq

    return float(brentq(f, lo, hi, xtol=1e-12, rtol=1e-14))


def shadow_intervals(sat, start_utc: tuple, t_end_s: float, coarse_s: float = 20.0, tol_s: float = 0.01):
    """Times [s] at which the Sun's centre goes behind / comes out from the Earth's limb (skyfield's
    ``is_sunlit``: point Sun, sphere of 6,378.1366 km), refined by bisection to ``tol_s``.

    Returns (intervals (k, 2) clipped to [0, t_end_s], lit at t=0)."""
    _, eph = skyfield_env()
    grid = np.append(np.arange(0.0, t_end_s, coarse_s), t_end_s)
    lit = sat.at(times(start_utc, grid)).is_sunlit(eph)
    j = np.nonzero(lit[:-1] != lit[1:])[0]
    lo, hi, lo_lit = grid[j].copy(), grid[j + 1].copy(), lit[j]
    while hi.size and (hi - lo).max() > tol_s:
        mid = 0.5 * (lo + hi)
        m = sat.at(times(start_utc, mid)).is_sunlit(eph)
        same = m == lo_lit
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    cross = 0.5 * (lo + hi)
    edges = np.concatenate([[0.0], cross, [t_end_s]])
    dark_first = not bool(lit[0])
    spans = np.stack([edges[:-1], edges[1:]], axis=1)
    dark = spans[(np.arange(spans.shape[0]) % 2 == 0) == dark_first]
    return dark, bool(lit[0])
