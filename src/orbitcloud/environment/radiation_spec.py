"""Radiation environment: the specification (shield, solar phase, GCR and SPE parameters).

:class:`RadiationSpec` says what the radiation environment looks like behind the satellite's shielding;
it is re-exported by :mod:`orbitcloud.environment.radiation` (model overview in ``docs/radiation.md``).

Sources of the defaults:

* **GCR.** A constant galactic-cosmic-ray dose rate (:data:`GCR_DEFAULT_RAD_PER_YR`) from DOSTEL
  measurements on the ISS (Berger et al. 2017, J. Space Weather Space Clim. 7, A8) bounded by the
  MSL/RAD cruise dose (Zeitlin et al. 2013, Science 340, 1080).
* **Solar particle events.** The mean rate (:data:`SPE_RATE_PER_YR`) from the NOAA SWPC list "Solar
  Proton Events Affecting the Earth Environment"; the fluence distribution and spectrum are
  order-of-magnitude defaults.
* **Shield.** Aluminium thickness of the SHIELDOSE-2 "solid sphere" geometry (Seltzer 1994, NIST
  Publication 5477).
"""

from __future__ import annotations

import dataclasses
import math

# --- constants ---------------------------------------------------------------------------------------
#: Seconds in a Julian year.
YEAR_S = 365.25 * 86400.0
#: Allowed aluminium thickness [mm] (0.027 - 27 g/cm^2).
SHIELDING_RANGE_MM_AL = (0.1, 100.0)
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
