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

Code: this module holds the grid (:class:`RadiationGrid`) and re-exports the parts it is built from:
:mod:`~orbitcloud.environment.radiation_spec` (:class:`RadiationSpec`, GCR and SPE defaults),
:mod:`~orbitcloud.environment.shielding` (ranges, stopping powers, the solid-sphere dose),
:mod:`~orbitcloud.environment.radiation_nodes` (grid nodes and IRBEM B, L),
:mod:`~orbitcloud.environment.radiation_cache` (memory and disk cache),
:mod:`~orbitcloud.environment.radiation_lookup` (trilinear lookup, NumPy and numba) and
:mod:`~orbitcloud.environment.solar_particles` (solar particle events).
"""

from __future__ import annotations

import numpy as np

from orbitcloud.environment.radiation_cache import (  # re-exported
    _MEMO,
    MODEL_VERSION,
    _key,
    _load,
    _save,
    cache_dir,
)
from orbitcloud.environment.radiation_lookup import _lookup, fast_atan2  # re-exported
from orbitcloud.environment.radiation_nodes import (  # re-exported
    ALT_LIMITS_KM,
    ALT_PAD_KM,
    ALT_STEP_KM,
    FIELD_EPOCH_UNIX_S,
    GRID_STEP_DEG,
    IRBEM_EARTH_RADIUS_M,
    _field_model_for,
    altitude_nodes_km,
    field_coordinates,
    geocentric_to_ecef_m,
    lat_nodes_deg,
    lon_nodes_deg,
)
from orbitcloud.environment.radiation_spec import (  # re-exported
    GCR_DEFAULT_RAD_PER_YR,
    SHIELDING_RANGE_MM_AL,
    SOLAR_PHASES,
    SPE_RATE_PER_YR,
    YEAR_S,
    RadiationSpec,
)
from orbitcloud.environment.shielding import (  # re-exported
    AL_DENSITY_G_CM3,
    ELECTRON_E_RANGE_MEV,
    ELECTRON_RESIDUAL_MIN_MEV,
    N_ENERGY_BINS,
    PROTON_E_RANGE_MEV,
    PROTON_FLUX_THRESHOLD_MEV,
    PROTON_RESIDUAL_MIN_MEV,
    RAD_PER_MEV_G,
    _proton_flux_behind,
    _shielded_dose,
    electron_energy_from_range_mev,
    electron_range_g_cm2,
    electron_stopping_si_mev_cm2_g,
    proton_energy_from_range_mev,
    proton_incident_energy_mev,
    proton_range_g_cm2,
    proton_stopping_si_mev_cm2_g,
    shield_g_cm2,
)
from orbitcloud.environment.solar_particles import (  # re-exported
    spe_dose_per_fluence30_rad_cm2,
    spe_dose_rate_rad_s,
    spe_events,
    spe_exposure,
)

__all__ = [
    "ALT_LIMITS_KM",
    "ALT_PAD_KM",
    "ALT_STEP_KM",
    "AL_DENSITY_G_CM3",
    "ELECTRON_E_RANGE_MEV",
    "ELECTRON_RESIDUAL_MIN_MEV",
    "FIELD_EPOCH_UNIX_S",
    "GCR_DEFAULT_RAD_PER_YR",
    "GRID_STEP_DEG",
    "IRBEM_EARTH_RADIUS_M",
    "MODEL_VERSION",
    "N_ENERGY_BINS",
    "PROTON_E_RANGE_MEV",
    "PROTON_FLUX_THRESHOLD_MEV",
    "PROTON_RESIDUAL_MIN_MEV",
    "RAD_PER_MEV_G",
    "SHIELDING_RANGE_MM_AL",
    "SOLAR_PHASES",
    "SPE_RATE_PER_YR",
    "YEAR_S",
    "RadiationGrid",
    "RadiationSpec",
    "altitude_nodes_km",
    "cache_dir",
    "electron_energy_from_range_mev",
    "electron_range_g_cm2",
    "electron_stopping_si_mev_cm2_g",
    "fast_atan2",
    "field_coordinates",
    "geocentric_to_ecef_m",
    "lat_nodes_deg",
    "lon_nodes_deg",
    "proton_energy_from_range_mev",
    "proton_incident_energy_mev",
    "proton_range_g_cm2",
    "proton_stopping_si_mev_cm2_g",
    "shield_g_cm2",
    "spe_dose_per_fluence30_rad_cm2",
    "spe_dose_rate_rad_s",
    "spe_events",
    "spe_exposure",
]


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
