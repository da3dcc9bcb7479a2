"""Radiation environment: trapped protons and electrons (AP8/AE8) and the dose behind aluminium.

Model (details, equations and validation in ``docs/radiation.md``):

* **Trapped particles.** Omnidirectional integral fluxes J(>E) [cm^-2 s^-1] of the NASA AP8 (Sawyer &
  Vette 1976, NSSDC/WDC-A-R&S 76-06) and AE8 (Vette 1991, NSSDC/WDC-A-R&S 91-24) models at solar
  minimum or maximum, as implemented in IRBEM (Boscher, Bourdarie et al., LGPL-3.0) and exposed by the
  PyPI package ``aep8`` (BSD-3-Clause). The models are maps in McIlwain (B, L) computed with the field
  model they were built with: Jensen & Cain 1960 for AE8 and AP8MIN, GSFC 12/66 for AP8MAX; the field
  epoch is fixed (no secular drift of the South Atlantic Anomaly).
* **Grid.** B and L are slow to compute (~0.1-0.25 ms a point), so they are evaluated once on a
  geocentric latitude x longitude x altitude grid (4 deg x 4 deg, altitude levels every 25 km or
  coarser covering the requested band) and everything else is derived on that grid. Altitude here is
  ``|r| - 6,378.137 km`` (WGS-84 equatorial radius, spherical). Lookups interpolate the values
  trilinearly (unbiased on average, measured; ln-interpolation underestimated regional sums by 4 %);
  a value that is zero at every corner of its cell stays exactly zero; altitudes outside the levels
  take the edge level's value.
* **Shield.** The dose point is the centre of a solid aluminium sphere of radius ``t``
  (SHIELDOSE-2 "solid sphere" geometry: Seltzer 1994, NIST Publication 5477): every particle crosses
  the same thickness, losing energy in the continuous-slowing-down approximation, so a particle of
  incident energy E arrives with ``E' = R^-1(R(E) - t)``, R the range in aluminium. The dose rate in
  silicon at the centre is fluence rate x mass stopping power of silicon at the residual energy::

      D [rad(Si)/s] = 1.602e-8 * sum_k (J(>E_k) - J(>E_k+1)) * S_Si(E'_k)   (J in cm^-2 s^-1, S in MeV cm^2/g)

  with the bins laid out in residual energy. Protons: range and stopping powers from NIST PSTAR
  (:mod:`orbitcloud.environment.pstar_al_si`). Electrons: range in aluminium from the Katz & Penfold
  (1952, Rev. Mod. Phys. 24, 28) empirical relation and the Bethe collision stopping power of silicon
  (ICRU Report 37, 1984, without the density-effect term). Bremsstrahlung, nuclear reactions and
  secondaries are neglected.
* **GCR.** A constant galactic-cosmic-ray dose rate is added (parameter; default from DOSTEL
  measurements on the ISS, see :data:`GCR_DEFAULT_RAD_PER_YR`).
* **Solar particle events** (optional): :func:`spe_dose_rate_rad_s`.

Performance: lookups run in a numba kernel (NumPy reference path ``use_numba=False``); grids are cached
in memory and on disk (``$ORBITCLOUD_CACHE``, default ``~/.cache/orbitcloud``), keyed by every input
and the ``aep8`` version. Measured build and lookup times are in ``docs/radiation.md``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from orbitcloud.constants import WGS84_A_M
from orbitcloud.environment import pstar_al_si

# --- constants ---------------------------------------------------------------------------------------
#: Energy deposition of 1 MeV per gram in rad (1 rad = 0.01 J/kg; 1 MeV = 1.602176634e-13 J).
RAD_PER_MEV_G = 1.602176634e-8
#: Seconds in a Julian year.
YEAR_S = 365.25 * 86400.0
#: Earth radius IRBEM uses to normalise Earth-fixed (GEO) Cartesian coordinates [m] (IRBEM ``INITIZE``:
#: ``ERA = 6371.2 km``). ``aep8``'s public API divides by astropy's ``earthRad`` (6,378.1 km) instead,
#: which would put every point 0.11 % (7.6 km at 650 km altitude) too low; this module calls the ufuncs
#: with the right scale (see ``docs/radiation.md``).
IRBEM_EARTH_RADIUS_M = 6_371_200.0
#: Fixed epoch passed to IRBEM (2000-01-01T00:00:00Z); it only sets the dipole tilt used for GSM,
#: which the internal-field-only L computation does not use (L changes < 1e-6 over years).
FIELD_EPOCH_UNIX_S = 946_684_800
#: Allowed aluminium thickness [mm] (0.027 - 27 g/cm^2).
SHIELDING_RANGE_MM_AL = (0.1, 100.0)
#: Aluminium density [g/cm^3] (PSTAR/ESTAR).
AL_DENSITY_G_CM3 = pstar_al_si.AL_DENSITY_G_CM3
#: Default galactic-cosmic-ray dose rate [rad(Si)/yr]. DOSTEL silicon telescopes in the ISS Columbus
#: module measured GCR absorbed dose rates of about 0.07-0.12 mGy/day over 2009-2016 (Berger et al. 2017,
#: J. Space Weather Space Clim. 7, A8, doi:10.1051/swsc/2017005), i.e. 2.6-4.4 rad/yr at 51.6 deg;
#: high-inclination orbits see less geomagnetic shielding; near-Earth free space has about 0.48 mGy/day
#: (17.5 rad/yr, MSL/RAD cruise, Zeitlin et al. 2013, Science 340, 1080), of which the Earth hides ~30 %
#: at 650 km: an upper bound. 4 rad/yr (0.11 mGy/day) is used; treat it as a parameter (2-8).
GCR_DEFAULT_RAD_PER_YR = 4.0
#: Mean rate of solar proton events [1/yr]: the NOAA SWPC list "Solar Proton Events Affecting the
#: Earth Environment" (> 10 MeV flux >= 10 pfu) holds of order 250 events since 1976 (approximate
#: count), ~6 per year averaged over the cycles (most fall in the ~7 active years of each cycle).
SPE_RATE_PER_YR = 6.0
#: Solar-cycle phases of AE8/AP8.
SOLAR_PHASES = ("min", "max")
#: Grid spacing [deg] in geocentric latitude and longitude.
GRID_STEP_DEG = 4.0
#: Altitude grid: lattice step [km] (multiplied for wide bands so a band has at most ~10 intervals),
#: padding added to the requested band [km], and the clamp to the model's useful range [km].
ALT_STEP_KM = 25.0
ALT_PAD_KM = 25.0
ALT_LIMITS_KM = (100.0, 40_000.0)
#: AP8/AE8 energy ranges accepted by aep8's flux ufuncs [MeV].
PROTON_E_RANGE_MEV = (0.1, 300.0)
ELECTRON_E_RANGE_MEV = (0.05, 7.0)
#: Residual-energy bins [MeV]: lower edge (below it: one bin down to 0) and bins per species.
PROTON_RESIDUAL_MIN_MEV = 0.05
ELECTRON_RESIDUAL_MIN_MEV = 0.01
N_ENERGY_BINS = 64
#: Residual energy [MeV] above which a proton counts in :meth:`RadiationGrid.proton_flux_cm2_s`.
PROTON_FLUX_THRESHOLD_MEV = 10.0
#: Version of the grid computation (bump when the numbers change; part of the cache key).
MODEL_VERSION = 1

_R_EQ_M = WGS84_A_M
_ELECTRON_MASS_MEV = 0.51099895
_SI_Z_OVER_A = 14.0 / 28.0855
_SI_I_MEV = 173e-6  # mean excitation energy of silicon (ICRU 37)
_BETHE_K_MEV_CM2_MOL = 0.307075  # 4 pi N_A r_e^2 m_e c^2 (PDG)


# --- range-energy relations -----------------------------------------------------------------------------
def _proton_range_table() -> tuple[np.ndarray, np.ndarray]:
    """ln E and CSDA range in aluminium [g/cm^2] on a fine grid: R(E) = R(E0) + int dE / S_Al(E).

    S is interpolated log-log in the PSTAR table; below its first point (1 keV) S ~ sqrt(E), so
    R(E0) = 2 E0 / S(E0).
    """
    e_tab = pstar_al_si.ENERGY_MEV
    ln_e = np.linspace(math.log(e_tab[0]), math.log(e_tab[-1]), 8001)
    e = np.exp(ln_e)
    s = np.exp(np.interp(ln_e, np.log(e_tab), np.log(pstar_al_si.S_AL_MEV_CM2_G)))
    f = e / s  # dR / d ln E
    r = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(ln_e))])
    return ln_e, r + 2.0 * e_tab[0] / pstar_al_si.S_AL_MEV_CM2_G[0]


def _electron_range_table() -> tuple[np.ndarray, np.ndarray]:
    """ln E and range of electrons in aluminium [g/cm^2] (Katz & Penfold 1952), 0.01 - 20 MeV.

    R = 0.412 E^(1.265 - 0.0954 ln E) for E <= 2.5 MeV and R = 0.530 E - 0.106 above (E in MeV,
    R in g/cm^2); the two branches meet within 0.6 % at 2.5 MeV. This is the practical (extrapolated)
    range, ~0.75-0.9 of the CSDA range: the depth at which transmission ends, which is what the
    solid-sphere dose needs.
    """
    ln_e = np.linspace(math.log(0.01), math.log(20.0), 4001)
    e = np.exp(ln_e)
    low = 0.412 * e ** (1.265 - 0.0954 * ln_e)
    high = 0.530 * e - 0.106
    r = np.where(e <= 2.5, low, high)
    return ln_e, np.maximum.accumulate(r)


_P_LN_E, _P_RANGE = _proton_range_table()
_E_LN_E, _E_RANGE = _electron_range_table()


def proton_range_g_cm2(energy_mev) -> np.ndarray:
    """CSDA range of protons in aluminium [g/cm^2] (PSTAR stopping powers, integrated)."""
    return np.interp(np.log(np.asarray(energy_mev, dtype=np.float64)), _P_LN_E, _P_RANGE)


def proton_energy_from_range_mev(range_g_cm2) -> np.ndarray:
    """Inverse of :func:`proton_range_g_cm2` [MeV]."""
    return np.exp(np.interp(np.asarray(range_g_cm2, dtype=np.float64), _P_RANGE, _P_LN_E))


def electron_range_g_cm2(energy_mev) -> np.ndarray:
    """Practical range of electrons in aluminium [g/cm^2] (Katz & Penfold 1952)."""
    return np.interp(np.log(np.asarray(energy_mev, dtype=np.float64)), _E_LN_E, _E_RANGE)


def electron_energy_from_range_mev(range_g_cm2) -> np.ndarray:
    """Inverse of :func:`electron_range_g_cm2` [MeV]."""
    return np.exp(np.interp(np.asarray(range_g_cm2, dtype=np.float64), _E_RANGE, _E_LN_E))


def proton_stopping_si_mev_cm2_g(energy_mev) -> np.ndarray:
    """Total mass stopping power of silicon for protons [MeV cm^2/g] (PSTAR, log-log interpolation)."""
    ln_e = np.log(np.asarray(energy_mev, dtype=np.float64))
    return np.exp(np.interp(ln_e, np.log(pstar_al_si.ENERGY_MEV), np.log(pstar_al_si.S_SI_MEV_CM2_G)))


def electron_stopping_si_mev_cm2_g(energy_mev) -> np.ndarray:
    """Collision mass stopping power of silicon for electrons [MeV cm^2/g] (ICRU 37 Bethe formula).

    S = (K/2) (Z/A) / beta^2 [ln(tau^2 (tau + 2) / (2 (I/mc^2)^2)) + F(tau)],
    F = 1 - beta^2 + (tau^2/8 - (2 tau + 1) ln 2) / (tau + 1)^2, tau = E / mc^2, I = 173 eV.
    The density-effect term is left out (it lowers S by ~2 % at 1 MeV and ~8 % at 7 MeV in silicon).
    """
    tau = np.asarray(energy_mev, dtype=np.float64) / _ELECTRON_MASS_MEV
    gamma = tau + 1.0
    beta2 = 1.0 - 1.0 / (gamma * gamma)
    i_rel = _SI_I_MEV / _ELECTRON_MASS_MEV
    f = 1.0 - beta2 + (tau * tau / 8.0 - (2.0 * tau + 1.0) * math.log(2.0)) / (gamma * gamma)
    bracket = np.log(tau * tau * (tau + 2.0) / (2.0 * i_rel * i_rel)) + f
    return 0.5 * _BETHE_K_MEV_CM2_MOL * _SI_Z_OVER_A / beta2 * bracket


def shield_g_cm2(shielding_mm_al: float) -> float:
    """Areal density of an aluminium thickness [g/cm^2]."""
    return shielding_mm_al * 0.1 * AL_DENSITY_G_CM3


def proton_incident_energy_mev(residual_mev, shielding_mm_al: float) -> np.ndarray:
    """Incident energy [MeV] a proton needs to leave ``shielding_mm_al`` of Al with ``residual_mev``."""
    return proton_energy_from_range_mev(proton_range_g_cm2(np.maximum(residual_mev, 1e-3)) + shield_g_cm2(shielding_mm_al))


# --- specification ----------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class RadiationSpec:
    """What the radiation environment looks like behind the satellite's shielding.

    ``shielding_mm_al``: aluminium-equivalent shield thickness [mm] around the electronics (solid-sphere
    geometry), 0.1 - 100 mm. ``solar``: ``"min"`` or ``"max"`` (AE8/AP8 phase; AP8MIN has the higher
    LEO proton flux). ``gcr_rad_per_yr``: constant galactic-cosmic-ray dose rate [rad(Si)/yr].
    ``spe``: add solar particle events (:func:`spe_dose_rate_rad_s`): Poisson in time with
    ``spe_rate_per_yr`` [1/yr]; per event a log-normal fluence of protons > 30 MeV in free space
    (median ``spe_median_fluence30_cm2`` [cm^-2], ``spe_sigma_ln`` the standard deviation of its
    natural log) with an integral spectrum ``J(>E) ~ E^-spe_gamma``, turned into a dose behind the
    shield by the same solid-sphere calculation as the trapped protons; the dose rate decays
    exponentially with e-folding time ``spe_decay_s`` [s]. Only the rate is sourced; the fluence
    distribution and spectrum are order-of-magnitude defaults (``docs/radiation.md``).
    """

    shielding_mm_al: float = 10.0
    solar: str = "min"
    gcr_rad_per_yr: float = GCR_DEFAULT_RAD_PER_YR
    spe: bool = False
    spe_rate_per_yr: float = SPE_RATE_PER_YR
    spe_median_fluence30_cm2: float = 1e6
    spe_sigma_ln: float = 2.3
    spe_gamma: float = 2.5
    spe_decay_s: float = 86400.0

    def __post_init__(self) -> None:
        lo, hi = SHIELDING_RANGE_MM_AL
        t = self.shielding_mm_al
        try:
            ok = not isinstance(t, bool) and lo <= float(t) <= hi  # False for NaN
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(
                f"shielding_mm_al = {t!r} is outside the allowed range [{lo}, {hi}] mm of aluminium"
            )
        if self.solar not in SOLAR_PHASES:
            raise ValueError(f"solar = {self.solar!r}: must be one of {SOLAR_PHASES}")
        if not (math.isfinite(self.gcr_rad_per_yr) and self.gcr_rad_per_yr >= 0.0):
            raise ValueError(f"gcr_rad_per_yr = {self.gcr_rad_per_yr!r} must be a finite value >= 0")
        for name in ("spe_rate_per_yr", "spe_median_fluence30_cm2", "spe_sigma_ln", "spe_gamma", "spe_decay_s"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0.0):
                raise ValueError(f"{name} = {v!r} must be a finite value >= 0")
        if self.spe_decay_s <= 0.0:
            raise ValueError(f"spe_decay_s = {self.spe_decay_s!r} must be > 0")

    @property
    def gcr_rad_s(self) -> float:
        """GCR dose rate [rad(Si)/s]."""
        return self.gcr_rad_per_yr / YEAR_S


# --- grid geometry ----------------------------------------------------------------------------------------
def altitude_nodes_km(alt_min_km: float, alt_max_km: float) -> np.ndarray:
    """Altitude levels [km] covering [alt_min - 25, alt_max + 25] km, clamped to 100 - 40,000 km.

    Levels lie on a lattice of 25 km (50, 75, ... km for wider bands, so that there are at most about
    ten intervals); at least two levels.
    """
    if not (math.isfinite(alt_min_km) and math.isfinite(alt_max_km)) or alt_min_km > alt_max_km:
        raise ValueError(f"altitude band [{alt_min_km}, {alt_max_km}] km is not a finite, ordered interval")
    lo = min(max(alt_min_km - ALT_PAD_KM, ALT_LIMITS_KM[0]), ALT_LIMITS_KM[1])
    hi = min(max(alt_max_km + ALT_PAD_KM, ALT_LIMITS_KM[0]), ALT_LIMITS_KM[1])
    step = ALT_STEP_KM * max(1, math.ceil((hi - lo) / (ALT_STEP_KM * 10.0)))
    a0 = math.floor(lo / step) * step
    a1 = max(math.ceil(hi / step) * step, a0 + step)
    return np.arange(a0, a1 + 0.5 * step, step, dtype=np.float64)


def lat_nodes_deg() -> np.ndarray:
    return np.arange(-90.0, 90.0 + 0.5 * GRID_STEP_DEG, GRID_STEP_DEG)


def lon_nodes_deg() -> np.ndarray:
    return np.arange(-180.0, 180.0 - 0.5 * GRID_STEP_DEG, GRID_STEP_DEG)


def geocentric_to_ecef_m(lat_deg, lon_deg, alt_km) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Earth-fixed position [m] of geocentric latitude/longitude [deg] and altitude above 6,378.137 km."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    r = _R_EQ_M + 1000.0 * np.asarray(alt_km, dtype=np.float64)
    return r * np.cos(lat) * np.cos(lon), r * np.cos(lat) * np.sin(lon), r * np.sin(lat)


# --- cache --------------------------------------------------------------------------------------------------
def cache_dir() -> Path:
    """Directory of the on-disk grid cache: ``$ORBITCLOUD_CACHE/radiation`` (default ``~/.cache/orbitcloud``)."""
    base = os.environ.get("ORBITCLOUD_CACHE") or str(Path.home() / ".cache" / "orbitcloud")
    return Path(base) / "radiation"


def _aep8_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aep8")
    except PackageNotFoundError:  # pragma: no cover - aep8 is a dependency
        return "unknown"


def _key(kind: str, payload: dict) -> str:
    text = json.dumps({"kind": kind, "model": MODEL_VERSION, "aep8": _aep8_version(), **payload}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _load(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {n: data[n] for n in names}
    except Exception:  # missing, truncated or foreign file: recompute (the cache is best effort)
        return None


def _save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically (temporary file in the same directory, then rename); best effort."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return  # read-only or full disk: the run goes on without the cache


_MEMO: dict[str, object] = {}


# --- field coordinates (the slow part) ----------------------------------------------------------------------
def _field_model_for(particle: str, solar: str) -> str:
    """IRBEM field model of an AE8/AP8 map: AP8MAX uses GSFC 12/66, the others Jensen & Cain 1960."""
    return "gsfc1266" if (particle == "p" and solar == "max") else "jensen_cain_1960"


def field_coordinates(alt_km: np.ndarray, field: str, cache: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """B/B0 and McIlwain L on the grid nodes (n_alt, n_lat, n_lon), from IRBEM via aep8 (cached)."""
    alt_km = np.asarray(alt_km, dtype=np.float64)
    key = _key("field", {"field": field, "alt_km": alt_km.tolist(), "step_deg": GRID_STEP_DEG,
                         "era_m": IRBEM_EARTH_RADIUS_M, "t": FIELD_EPOCH_UNIX_S})
    path = cache_dir() / f"field-{key}.npz"
    if cache:
        hit = _MEMO.get(key)
        if hit is not None:
            return hit  # type: ignore[return-value]
        data = _load(path, ("b", "l"))
        if data is not None:
            _MEMO[key] = (data["b"], data["l"])
            return data["b"], data["l"]
    import aep8

    geomag = aep8.model(particle="p", solar="max" if field == "gsfc1266" else "min")._geomag
    lat, lon = np.meshgrid(lat_nodes_deg(), lon_nodes_deg(), indexing="ij")
    x, y, z = geocentric_to_ecef_m(lat[None], lon[None], alt_km[:, None, None])
    t = np.full(x.shape, FIELD_EPOCH_UNIX_S, dtype=np.int64)
    with np.errstate(all="ignore"):
        b, l_shell = geomag(t, x / IRBEM_EARTH_RADIUS_M, y / IRBEM_EARTH_RADIUS_M, z / IRBEM_EARTH_RADIUS_M)
    if cache:
        _save(path, {"b": b, "l": l_shell})
        _MEMO[key] = (b, l_shell)
    return b, l_shell


# --- dose on the grid -----------------------------------------------------------------------------------------
def _integral_flux(flux_ufunc, energy_mev: np.ndarray, b: np.ndarray, l_shell: np.ndarray) -> np.ndarray:
    """J(>E) (n_energy, n_points), NaN (outside the model) -> 0, made non-increasing in E."""
    with np.errstate(all="ignore"):
        j = flux_ufunc(energy_mev[:, None], l_shell[None, :], b[None, :])
    j = np.where(np.isfinite(j) & (j > 0.0), j, 0.0)
    return np.minimum.accumulate(j, axis=0)


def _shielded_dose(flux_ufunc, b, l_shell, shielding_mm_al: float, particle: str) -> np.ndarray:
    """Dose rate [rad(Si)/s] at the centre of an Al sphere for one species, at every point of (b, l)."""
    return _dose_behind(lambda e: _integral_flux(flux_ufunc, e, b.ravel(), l_shell.ravel()),
                        shielding_mm_al, particle).reshape(b.shape)


def _dose_behind(integral_flux, shielding_mm_al: float, particle: str) -> np.ndarray:
    """Dose [rad(Si)] per unit time of ``integral_flux(E) -> (n_E, n_points)`` (J(>E), non-increasing).

    Bins are laid out in residual energy eps (0, eps_lo, ..., eps_hi) and mapped to incident energy
    E = R^-1(R(eps) + t); each bin's particles deposit S_Si at the bin's geometric-mean residual energy,
    particles above the model's top energy at S_Si(eps_hi).
    """
    t = shield_g_cm2(shielding_mm_al)
    if particle == "p":
        e_lo, e_hi = PROTON_E_RANGE_MEV
        rng, inv, stop, eps_lo = proton_range_g_cm2, proton_energy_from_range_mev, proton_stopping_si_mev_cm2_g, PROTON_RESIDUAL_MIN_MEV
    else:
        e_lo, e_hi = ELECTRON_E_RANGE_MEV
        rng, inv, stop, eps_lo = electron_range_g_cm2, electron_energy_from_range_mev, electron_stopping_si_mev_cm2_g, ELECTRON_RESIDUAL_MIN_MEV
    r_max = float(rng(e_hi))
    if t >= r_max:
        return np.zeros(integral_flux(np.array([e_hi])).shape[1])
    eps_hi = float(inv(r_max - t))  # residual energy of the most energetic modelled particle
    eps = np.concatenate([[0.0], np.geomspace(min(eps_lo, 0.5 * eps_hi), eps_hi, N_ENERGY_BINS)])
    e_in = np.clip(inv(rng(np.maximum(eps, 1e-4)) + t), e_lo, e_hi)
    e_in[-1] = e_hi
    j = integral_flux(e_in)
    eps_mid = np.concatenate([[eps[1]], np.sqrt(eps[1:-1] * eps[2:])])
    dose_mev_g = stop(eps_mid) @ (j[:-1] - j[1:]) + stop(eps_hi) * j[-1]
    return RAD_PER_MEV_G * dose_mev_g


def _proton_flux_behind(flux_ufunc, b, l_shell, shielding_mm_al: float) -> np.ndarray:
    e10 = float(proton_incident_energy_mev(PROTON_FLUX_THRESHOLD_MEV, shielding_mm_al))
    e10 = min(max(e10, PROTON_E_RANGE_MEV[0]), PROTON_E_RANGE_MEV[1])
    return _integral_flux(flux_ufunc, np.array([e10]), b.ravel(), l_shell.ravel())[0].reshape(b.shape)


# --- interpolation --------------------------------------------------------------------------------------------
#: Odd polynomial for atan(a), a in [0, 1]: atan(a) ~ a * sum_k c_k a^(2k), least-squares fit on Chebyshev
#: nodes with iterative reweighting toward equal ripple; max error 3.7e-8 rad (0.24 m on the ground, vs
#: 4-deg cells). Used instead of libm asin/atan2, which cost ~50 ns a sample here.
_ATAN_C = (0.999999335647317, -0.3332986091101071, 0.1994656631609998, -0.13908630641254516,
           0.09642196487120172, -0.05591228176969722, 0.02186291032457669, -0.004054550787451373)


def _fast_atan2_py(y, x):
    """atan2(y, x) [rad] to 3.7e-8 rad (octant reduction + :data:`_ATAN_C`); scalar."""
    ax = abs(x)
    ay = abs(y)
    mx = max(ax, ay)
    if mx == 0.0:
        return 0.0
    a = min(ax, ay) / mx
    q = a * a
    c0, c1, c2, c3, c4, c5, c6, c7 = _ATAN_C
    r = a * (c0 + q * (c1 + q * (c2 + q * (c3 + q * (c4 + q * (c5 + q * (c6 + q * c7)))))))
    if ay > ax:
        r = 0.5 * math.pi - r
    if x < 0.0:
        r = math.pi - r
    if y < 0.0:
        r = -r
    return r


def fast_atan2(y, x) -> np.ndarray:
    """Vectorised :func:`_fast_atan2_py` (the NumPy reference of the kernel's arithmetic)."""
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    ay = np.abs(y)
    mx = np.maximum(ax, ay)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(mx > 0.0, np.minimum(ax, ay) / mx, 0.0)
    q = a * a
    c0, c1, c2, c3, c4, c5, c6, c7 = _ATAN_C
    r = a * (c0 + q * (c1 + q * (c2 + q * (c3 + q * (c4 + q * (c5 + q * (c6 + q * c7)))))))
    r = np.where(ay > ax, 0.5 * math.pi - r, r)
    r = np.where(x < 0.0, math.pi - r, r)
    return np.where(y < 0.0, -r, r)


def _interp_numpy(x, y, z, table, alt0_m, dalt_m, offset=0.0):
    """Reference lookup (NumPy): trilinear interpolation of ``table`` plus ``offset``; NaN where a
    position is not finite. The same IEEE operations in the same order as the compiled kernel
    (:func:`_kernel_py`), so both give the same bits (``tests/environment/test_radiation.py``)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    n_alt, n_lat, n_lon = table.shape
    inv_dalt = 1.0 / dalt_m
    inv_step = 1.0 / math.radians(GRID_STEP_DEG)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.sqrt(x * x + y * y)
        r = np.sqrt(rho * rho + z * z)
        fa = np.clip((r - _R_EQ_M - alt0_m) * inv_dalt, 0.0, n_alt - 1.0)
        fl = np.clip((fast_atan2(z, rho) + 0.5 * math.pi) * inv_step, 0.0, n_lat - 1.0)
        fo = np.maximum((fast_atan2(y, x) + math.pi) * inv_step, 0.0)
    bad = ~np.isfinite(r) | ~(r > 0.0)
    fa = np.where(bad, 0.0, fa)
    fl = np.where(bad, 0.0, fl)
    fo = np.where(bad, 0.0, fo)
    ia = np.minimum(fa.astype(np.int64), n_alt - 2)
    il = np.minimum(fl.astype(np.int64), n_lat - 2)
    io = fo.astype(np.int64)
    wa = fa - ia
    wl = fl - il
    wo = fo - io
    io = np.where(io >= n_lon, io - n_lon, io)
    io1 = np.where(io + 1 == n_lon, 0, io + 1)
    a0, l0, o0 = 1.0 - wa, 1.0 - wl, 1.0 - wo
    t = table
    v = (a0 * (l0 * (o0 * t[ia, il, io] + wo * t[ia, il, io1]) + wl * (o0 * t[ia, il + 1, io] + wo * t[ia, il + 1, io1]))
         + wa * (l0 * (o0 * t[ia + 1, il, io] + wo * t[ia + 1, il, io1])
                 + wl * (o0 * t[ia + 1, il + 1, io] + wo * t[ia + 1, il + 1, io1])))
    out = v + offset
    return np.where(bad, np.nan, out)


def _kernel_py(x, y, z, table, alt0_m, dalt_m, step_rad, r_eq_m, offset, out):  # pragma: no cover - compiled
    """Per-point lookup (compiled by numba): same arithmetic as :func:`_interp_numpy`."""
    n_alt, n_lat, n_lon = table.shape
    half_pi = 0.5 * math.pi
    inv_dalt = 1.0 / dalt_m
    inv_step = 1.0 / step_rad
    for i in range(x.size):
        xi = float(x[i])
        yi = float(y[i])
        zi = float(z[i])
        rho = math.sqrt(xi * xi + yi * yi)
        r = math.sqrt(rho * rho + zi * zi)
        if not (r > 0.0) or not math.isfinite(r):
            out[i] = math.nan
            continue
        fa = (r - r_eq_m - alt0_m) * inv_dalt
        if fa < 0.0:
            fa = 0.0
        elif fa > n_alt - 1.0:
            fa = n_alt - 1.0
        ia = int(fa)
        if ia > n_alt - 2:
            ia = n_alt - 2
        wa = fa - ia
        fl = (_fast_atan2(zi, rho) + half_pi) * inv_step
        if fl < 0.0:
            fl = 0.0
        elif fl > n_lat - 1.0:
            fl = n_lat - 1.0
        il = int(fl)
        if il > n_lat - 2:
            il = n_lat - 2
        wl = fl - il
        fo = (_fast_atan2(yi, xi) + math.pi) * inv_step
        if fo < 0.0:
            fo = 0.0
        io = int(fo)
        wo = fo - io
        if io >= n_lon:  # lon = +180 deg exactly
            io -= n_lon
        io1 = io + 1
        if io1 == n_lon:
            io1 = 0
        a0 = 1.0 - wa
        l0 = 1.0 - wl
        o0 = 1.0 - wo
        v = (a0 * (l0 * (o0 * table[ia, il, io] + wo * table[ia, il, io1])
                   + wl * (o0 * table[ia, il + 1, io] + wo * table[ia, il + 1, io1]))
             + wa * (l0 * (o0 * table[ia + 1, il, io] + wo * table[ia + 1, il, io1])
                     + wl * (o0 * table[ia + 1, il + 1, io] + wo * table[ia + 1, il + 1, io1])))
        out[i] = v + offset


_fast_atan2 = _fast_atan2_py  # the compiled kernel calls it inlined (see _compiled_kernel)


@functools.lru_cache(maxsize=1)
def _compiled_kernel():
    """:func:`_kernel_py` compiled by numba (with the arctangent inlined), or None without numba."""
    from orbitcloud import accel

    if not accel.numba_installed():
        return None
    import numba

    global _fast_atan2
    _fast_atan2 = numba.njit(inline="always", nogil=True)(_fast_atan2_py)
    return numba.njit(cache=True, nogil=True)(_kernel_py)


def _lookup(x_m, y_m, z_m, table, alt0_m, dalt_m, use_numba: bool | None, offset: float = 0.0) -> np.ndarray:
    x = np.asarray(x_m)
    y = np.asarray(y_m)
    z = np.asarray(z_m)
    if not (x.shape == y.shape == z.shape):
        raise ValueError(f"x, y, z must have equal shapes, got {x.shape}, {y.shape}, {z.shape}")
    from orbitcloud import accel

    kern = _compiled_kernel() if (accel.use_numba() if use_numba is None else use_numba) else None
    if kern is None:
        return _interp_numpy(x, y, z, table, alt0_m, dalt_m, offset)
    # float64 in, as the NumPy twin reads them (numba's float32 specialisation rounds differently)
    xf = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    yf = np.ascontiguousarray(y, dtype=np.float64).reshape(-1)
    zf = np.ascontiguousarray(z, dtype=np.float64).reshape(-1)
    out = np.empty(xf.shape, dtype=np.float64)
    kern(xf, yf, zf, table, alt0_m, dalt_m, math.radians(GRID_STEP_DEG), _R_EQ_M, float(offset), out)
    return out.reshape(x.shape)


# --- the grid -------------------------------------------------------------------------------------------------
class RadiationGrid:
    """Trapped-particle dose rate and proton flux behind the shield, tabulated for one altitude band.

    Build with :meth:`build` (cached). Arrays (n_alt, n_lat, n_lon) on nodes ``alt_km`` x
    ``lat_deg`` (-90 .. 90) x ``lon_deg`` (-180 .. 176, periodic): ``dose_p_rad_s``, ``dose_e_rad_s``
    (trapped protons / electrons) and ``flux_p10_cm2_s`` (protons keeping > 10 MeV behind the shield).
    """

    def __init__(self, spec: RadiationSpec, alt_km: np.ndarray, dose_p_rad_s: np.ndarray,
                 dose_e_rad_s: np.ndarray, flux_p10_cm2_s: np.ndarray) -> None:
        self.spec = spec
        self.alt_km = np.asarray(alt_km, dtype=np.float64)
        self.lat_deg = lat_nodes_deg()
        self.lon_deg = lon_nodes_deg()
        self.dose_p_rad_s = dose_p_rad_s
        self.dose_e_rad_s = dose_e_rad_s
        self.flux_p10_cm2_s = flux_p10_cm2_s
        for a in (self.alt_km, dose_p_rad_s, dose_e_rad_s, flux_p10_cm2_s):
            a.flags.writeable = False
        self._alt0_m = float(self.alt_km[0]) * 1000.0
        self._dalt_m = float(self.alt_km[1] - self.alt_km[0]) * 1000.0
        self._tables = {
            "all": np.ascontiguousarray(dose_p_rad_s + dose_e_rad_s),
            "p": np.ascontiguousarray(dose_p_rad_s),
            "e": np.ascontiguousarray(dose_e_rad_s),
            "flux": np.ascontiguousarray(flux_p10_cm2_s),
        }

    @classmethod
    def build(cls, alt_min_km: float, alt_max_km: float, spec: RadiationSpec, *, cache: bool = True) -> "RadiationGrid":
        """The grid for altitudes [alt_min_km, alt_max_km] (above 6,378.137 km) and ``spec``.

        Looked up in memory, then on disk (see :func:`cache_dir`), else computed (a few seconds per
        shell: B and L cost ~0.1-0.25 ms for each of 4,140 nodes per altitude level) and stored.
        ``cache=False`` computes afresh and stores nothing.
        """
        alt_km = altitude_nodes_km(alt_min_km, alt_max_km)
        key = _key("grid", {"alt_km": alt_km.tolist(), "step_deg": GRID_STEP_DEG, "solar": spec.solar,
                            "shielding_mm_al": float(spec.shielding_mm_al), "bins": N_ENERGY_BINS,
                            "era_m": IRBEM_EARTH_RADIUS_M, "t": FIELD_EPOCH_UNIX_S})
        names = ("dose_p_rad_s", "dose_e_rad_s", "flux_p10_cm2_s")
        path = cache_dir() / f"grid-{key}.npz"
        if cache:
            arrays = _MEMO.get(key)
            if arrays is None:
                arrays = _load(path, names)
            if arrays is not None:
                _MEMO[key] = arrays
                return cls(spec, alt_km, *(np.array(arrays[n]) for n in names))
        arrays = cls._compute(alt_km, spec, cache)
        if cache:
            _save(path, arrays)
            _MEMO[key] = arrays
        return cls(spec, alt_km, *(np.array(arrays[n]) for n in names))

    @staticmethod
    def _compute(alt_km: np.ndarray, spec: RadiationSpec, cache: bool) -> dict[str, np.ndarray]:
        import aep8

        mp = aep8.model(particle="p", solar=spec.solar)
        me = aep8.model(particle="e", solar=spec.solar)
        fields = {f: field_coordinates(alt_km, f, cache) for f in {_field_model_for(s, spec.solar) for s in "pe"}}
        b_p, l_p = fields[_field_model_for("p", spec.solar)]
        b_e, l_e = fields[_field_model_for("e", spec.solar)]
        return {
            "dose_p_rad_s": _shielded_dose(mp._flux, b_p, l_p, spec.shielding_mm_al, "p"),
            "dose_e_rad_s": _shielded_dose(me._flux, b_e, l_e, spec.shielding_mm_al, "e"),
            "flux_p10_cm2_s": _proton_flux_behind(mp._flux, b_p, l_p, spec.shielding_mm_al),
        }

    def _get(self, name: str, x_m, y_m, z_m, use_numba: bool | None, offset: float = 0.0) -> np.ndarray:
        return _lookup(x_m, y_m, z_m, self._tables[name], self._alt0_m, self._dalt_m, use_numba, offset)

    def trapped_dose_rate_rad_s(self, x_m, y_m, z_m, species: str = "all", *, use_numba: bool | None = None) -> np.ndarray:
        """Dose rate [rad(Si)/s] from trapped particles only: ``species`` "all", "p" or "e"."""
        if species not in ("all", "p", "e"):
            raise ValueError(f"species = {species!r}: must be 'all', 'p' or 'e'")
        return self._get(species, x_m, y_m, z_m, use_numba)

    def dose_rate_rad_s(self, x_m, y_m, z_m, *, use_numba: bool | None = None) -> np.ndarray:
        """Dose rate [rad(Si)/s] behind the shield at Earth-fixed positions [m]: trapped + GCR.

        ``x_m, y_m, z_m``: arrays of any equal shape, float32 or float64; the result is float64 of
        that shape (NaN where a position is not finite). Pointwise: no averaging over time.
        """
        return self._get("all", x_m, y_m, z_m, use_numba, self.spec.gcr_rad_s)

    def proton_flux_cm2_s(self, x_m, y_m, z_m, *, use_numba: bool | None = None) -> np.ndarray:
        """Omnidirectional flux [cm^-2 s^-1] of trapped protons that still have > 10 MeV behind the shield."""
        return self._get("flux", x_m, y_m, z_m, use_numba)


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
