"""Radiation dose against published figures and against an independent calculation.

Three kinds of oracle, none of which calls the engine's range, stopping-power or dose functions:

1. **Published SHIELDOSE-2 doses** (SPENVIS runs whose output files are public):
   Pfandzelter, T. & Bermbach, D. (2023), *Edge Computing in Low-Earth Orbit -- What Could Possibly
   Go Wrong?*, Proc. 1st ACM Workshop on LEO Networking and Communication (LEO-NET '23),
   arXiv:2302.08952. Data: https://github.com/pfandzelter/leo-edge-failure-models (MIT licence),
   ``compute-failure/results/{30,55,95,100}.txt`` = SPENVIS 4.6.11 "SHIELDOSE-2 Doses" output of
   17 Jan 2023 (procedure in ``compute-failure/README.md``): circular orbit, 550 km, inclination 30,
   55, 95 and 100 deg; mission 2023-01-01 .. 2027-12-31 (1,825 days) from a 30-day representative
   trajectory; trapped protons AP-8 solar minimum, trapped electrons AE-8 solar maximum (the README
   selects "solar maximum" for AE-8; its parenthesis says AE8-MIN, but the tabulated electron doses
   match AE8MAX to 0.81-1.00 (1-4 mm) and are twice AE8MIN's, so AE8MAX it is); geometry "4pi dose
   at centre of Al spheres" (solid sphere, the engine's geometry); target silicon; columns total, electrons,
   bremsstrahlung, trapped protons [rad(Si) over the 5 years] -- no solar protons, no GCR. Values
   below are the file's numbers divided by 5 (per year).
2. **Published orbit-averaged AP8 spectra** from SPENVIS 4.6.13, in T. D. Loveless' course
   repository for IU ENGR-E-399/599 "ME Radiation Effects and Reliability"
   (https://github.com/tdloveless/me-radfx, no licence file; a few model outputs quoted with
   attribution): ``HW/HW_02_Resources/starlink_spenvis_tri.txt`` (18 Sep 2025; circular 530 km,
   53 deg, 30-day trajectory from 2026-01-01; "AP-8 MIN Orbit averaged flux", omnidirectional
   integral flux [cm^-2 s^-1]) and ``HW/HW_02_Solutions/polar_leo_spenvis_tri.txt`` (19 Sep 2025;
   circular 825 km, 98.8 deg). And a published solar-particle-event spectrum from the same repository,
   ``HW/HW_02_Solutions/heo_spenvis_sefflare.txt``: CREME96 "worst day" solar protons (Tylka, A. J.
   et al. 1997, *CREME96: a revision of the Cosmic Ray Effects on Micro-Electronics code*, IEEE Trans.
   Nucl. Sci. 44, 2150; the worst-day model is built on the October 1989 event), integral flux at
   the spacecraft [m^-2 sr^-1 s^-1] with SPENVIS' orbit-averaged attenuation factor per energy; the
   free-space flux is IFlux / attenuation (the polar-LEO file of the same run gives the same
   free-space flux at 10 MeV to 0.05 %: 2.4469e7 / 0.2138 vs 1.0330e8 / 0.9030).
3. **An independent dose calculation** written here: AP8/AE8 fluxes from aep8's public API
   (``Model.geomagnetic_coordinates`` + ``integral_flux_for_geomagnetic_coordinates``) at the orbit
   samples, and the dose at the centre of an aluminium sphere in the continuous-slowing-down
   approximation with proton ranges and stopping powers from the plain Bethe formula (PDG Review of
   Particle Physics, "Passage of particles through matter", eq. 34.5, no shell or density
   corrections), integrated here -- not PSTAR, not the engine's functions.

SHIELDOSE-2 (Seltzer 1994, NISTIR 5477) uses Monte Carlo transmission data with nuclear
interactions and bremsstrahlung; the engine is CSDA without either (docs/radiation.md). Orbits here
are two-body circular orbits on a rotating Earth (altitude above 6,378.137 km); SPENVIS' altitude
reference is not stated in its output: 7 km lower changes the 550 km dose by 4 % (measured).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitcloud.environment.radiation import (
    YEAR_S,
    RadiationGrid,
    RadiationSpec,
    spe_dose_per_fluence30_rad_cm2,
    spe_events,
)

# --- tolerances (ratios are engine / reference) ------------------------------------------------------------
#: Engine orbit-mean dose vs SPENVIS SHIELDOSE-2 solid-sphere dose, either way [ratio]. Measured 0.78-0.96
#: (protons 0.78-0.90, electrons 0.81-0.98, total 0.79-0.96). The bias is mostly AP8 itself: the
#: engine's orbit-mean proton flux is 0.92-0.96 of SPENVIS' (``test_orbit_mean_proton_flux_vs_spenvis``;
#: SPENVIS can interpolate AP8 with the ESA scheme of Daly et al. 1996, which IRBEM offers through a
#: negative model index and aep8 does not; spacepy issue #289 asks for it as the way to reproduce
#: SPENVIS' fluxes -- consistent with, not proof of, the cause), the rest presumably SHIELDOSE-2's
#: Monte Carlo transport (nuclear interactions) and bremsstrahlung (~2.5 % of the total behind 10 mm
#: here), which the engine's CSDA leaves out.
published_factor = 1.4
#: Engine orbit-mean proton flux J(> E) vs SPENVIS' orbit-averaged AP8MIN integral flux [ratio].
#: Measured 0.92-0.96.
spenvis_flux_factor = 1.15
#: Engine orbit-mean trapped-proton dose vs the independent transport applied to SPENVIS' published
#: orbit-averaged AP8MIN spectrum [ratio]. Measured 0.89-0.96 (the flux difference above).
spenvis_spectrum_factor = 1.25
#: Engine vs the independent calculation on the same samples, trapped protons [relative]. Measured
#: +1.2 % to +1.6 %: Bethe is 0-4 % above PSTAR in silicon at 0.5-10 MeV and < 2 % above 10 MeV, its
#: range 3 % short at 10 MeV (test_independent_transport_reproduces_pstar_ranges), the 4-deg grid is
#: within ~1 % in orbit means (docs/radiation.md), and below 0.5 MeV residual energy (0.6 % of the
#: dose) the independent calculation holds S constant. A geometry (x2) or unit error, 25 km of
#: altitude (~15 %) or a 20 % error in the shield's areal density (~10 %) falls outside 6 %.
independent_rel_tol = 0.06
#: The same for the power-law SPE spectrum, which is soft (J ~ E^-2.5 down to 0.1 MeV), so more of
#: its dose comes from low residual energies where Bethe and PSTAR differ most [relative]. Measured
#: +4.5 % behind 3 mm, +2.2 % behind 10 mm.
spe_independent_rel_tol = 0.08
#: SPE: engine event dose (power law through the event's > 30 and > 100 MeV fluences) vs the independent
#: transport of the tabulated CREME96 worst-day spectrum, behind >= 5 mm Al [ratio]. Measured
#: 0.88-1.06. Thinner shields are outside the power law's reach (docs/radiation.md).
spe_published_factor = 1.25

# --- constants of the independent calculation (each with its source) -----------------------------------------
#: 4 pi N_A r_e^2 m_e c^2 [MeV cm^2 / mol] (PDG RPP, Table 34.1).
BETHE_K_MEV_CM2_MOL = 0.307075
#: Electron and proton rest energies [MeV] (CODATA 2018).
ELECTRON_MC2_MEV = 0.51099895
PROTON_MC2_MEV = 938.27208816
#: Z/A and mean excitation energy [eV] (PDG "Atomic and nuclear properties of materials": aluminium
#: Z = 13, A = 26.9815385, I = 166 eV, density 2.699 g/cm^3; silicon Z = 14, A = 28.0855, I = 173 eV).
AL_Z_OVER_A = 13.0 / 26.9815385
AL_I_EV = 166.0
AL_DENSITY_G_CM3 = 2.699
SI_Z_OVER_A = 14.0 / 28.0855
SI_I_EV = 173.0
#: 1 MeV/g in rad (1 MeV = 1.602176634e-13 J, SI 2019; 1 rad = 0.01 J/kg).
RAD_PER_MEV_G = 1.602176634e-8
#: Geocentric gravitational constant [m^3/s^2] and Earth rotation rate [rad/s] (WGS-84), equatorial
#: radius [m] (WGS-84; the engine's altitude reference too).
EARTH_MU_M3_S2 = 3.986004418e14
EARTH_ROTATION_RAD_S = 7.292115e-5
EARTH_A_M = 6378137.0
#: IRBEM reads Earth-fixed coordinates in Earth radii of 6,371.2 km (IRBEM ``INITIZE``); aep8's public
#: API divides by astropy's earthRad (6,378.1 km), so locations are scaled to land on the same point.
IRBEM_RE_M = 6371200.0
#: Lowest energy [MeV] at which the plain Bethe formula is used; below it S is held at S(0.5 MeV).
BETHE_MIN_MEV = 0.5

# --- published figures -----------------------------------------------------------------------------------------
#: Pfandzelter & Bermbach (2023), SPENVIS SHIELDOSE-2, 550 km circular; per inclination [deg]:
#: Al thickness [mm] -> (total, electrons, bremsstrahlung, trapped protons) [rad(Si) per 5 years],
#: copied from compute-failure/results/<inclination>.txt.
SPENVIS_550KM_DOSE_RAD_5YR = {
    30: {1.0: (4.7086e3, 2.6219e3, 3.0894e1, 2.0558e3), 2.0: (2.3155e3, 5.1765e2, 1.4272e1, 1.7836e3),
         3.0: (1.8247e3, 1.9698e2, 9.7311e0, 1.6180e3), 4.0: (1.5990e3, 8.2522e1, 7.5283e0, 1.5090e3),
         6.0: (1.3830e3, 5.6418e0, 5.2439e0, 1.3721e3), 10.0: (1.1955e3, 1.1096e-4, 3.3678e0, 1.1922e3),
         20.0: (9.0931e2, 0.0, 1.8397e0, 9.0747e2)},
    55: {1.0: (2.6242e4, 2.4114e4, 1.3420e2, 1.9933e3), 2.0: (9.5457e3, 8.1051e3, 6.6534e1, 1.3741e3),
         3.0: (4.6072e3, 3.4140e3, 4.3714e1, 1.1495e3), 4.0: (2.5464e3, 1.4796e3, 3.2640e1, 1.0342e3),
         6.0: (1.1646e3, 2.4661e2, 2.1888e1, 8.9608e2), 10.0: (7.6484e2, 3.8668e0, 1.3916e1, 7.4705e2),
         20.0: (5.5193e2, 0.0, 8.2789e0, 5.4365e2)},
    95: {1.0: (3.0554e4, 2.9081e4, 1.4048e2, 1.3323e3), 2.0: (1.0714e4, 9.6846e3, 6.9196e1, 9.6033e2),
         3.0: (4.8049e3, 3.9443e3, 4.4729e1, 8.1590e2), 4.0: (2.4410e3, 1.6681e3, 3.3069e1, 7.3986e2),
         6.0: (9.3955e2, 2.7100e2, 2.2007e1, 6.4654e2), 10.0: (5.6028e2, 3.8351e0, 1.4063e1, 5.4238e2),
         20.0: (4.0533e2, 0.0, 8.5940e0, 3.9673e2)},
    100: {1.0: (3.3331e4, 3.1824e4, 1.5184e2, 1.3545e3), 2.0: (1.1605e4, 1.0555e4, 7.4644e1, 9.7506e2),
          3.0: (5.1537e3, 4.2776e3, 4.8157e1, 8.2789e2), 4.0: (2.5890e3, 1.8029e3, 3.5569e1, 7.5057e2),
          6.0: (9.7155e2, 2.9204e2, 2.3659e1, 6.5585e2), 10.0: (5.6937e2, 4.0993e0, 1.5132e1, 5.5014e2),
          20.0: (4.1173e2, 0.0, 9.2703e0, 4.0246e2)},
}
SPENVIS_550KM_YEARS = 5.0  # MIS_DUR 1,825 days in the same files
#: Depths [mm] at which each column is compared: protons where they dominate or matter, electrons
#: where they are more than a few % of the total (behind >= 6 mm they are < 1 %). Few depths: each
#: is a grid to build on a cold cache.
PROTON_DEPTHS_MM = (4.0, 10.0, 20.0)
ELECTRON_DEPTHS_MM = (1.0, 2.0, 3.0)
TOTAL_DEPTHS_MM = (1.0, 3.0, 10.0)

#: SPENVIS 4.6.13 AP-8 MIN orbit-averaged omnidirectional integral proton flux J(> E) [cm^-2 s^-1]
#: (energy [MeV], flux), rows >= 10 MeV of the files named in the module docstring.
SPENVIS_AP8MIN_530KM_53DEG = np.array([
    (10.0, 5.0715e1), (15.0, 4.4521e1), (20.0, 4.0858e1), (30.0, 3.6399e1), (40.0, 3.2903e1),
    (50.0, 2.9872e1), (60.0, 2.6818e1), (70.0, 2.3980e1), (100.0, 1.7074e1), (150.0, 9.4775e0),
    (200.0, 5.3879e0), (300.0, 1.7631e0), (400.0, 5.9242e-1)])
SPENVIS_AP8MIN_825KM_98P8DEG = np.array([
    (10.0, 1.9021e2), (15.0, 1.6995e2), (20.0, 1.5676e2), (30.0, 1.4092e2), (40.0, 1.2806e2),
    (50.0, 1.1663e2), (60.0, 1.0608e2), (70.0, 9.6098e1), (100.0, 7.1276e1), (150.0, 4.2643e1),
    (200.0, 2.5874e1), (300.0, 9.7212e0), (400.0, 3.7240e0)])
SPENVIS_SPECTRA = {"530km-53deg": (530.0, 53.0, SPENVIS_AP8MIN_530KM_53DEG),
                   "825km-98.8deg": (825.0, 98.8, SPENVIS_AP8MIN_825KM_98P8DEG)}

#: CREME96 worst day, solar protons, as printed by SPENVIS 4.6.13 for the HEO orbit of the course run
#: (heo_spenvis_sefflare.txt): energy [MeV], integral flux at the spacecraft [m^-2 sr^-1 s^-1],
#: orbit-averaged attenuation factor; rows >= 10 MeV.
CREME96_WORST_DAY_HEO = np.array([
    (10.0, 1.0330e8, 0.9030), (11.0, 9.1455e7, 0.9030), (12.0, 8.1638e7, 0.9030), (14.0, 6.6179e7, 0.9030),
    (16.0, 5.4708e7, 0.9030), (18.0, 4.5864e7, 0.9030), (20.0, 3.8841e7, 0.9030), (22.0, 3.3216e7, 0.9030),
    (25.0, 2.6728e7, 0.9030), (28.0, 2.1885e7, 0.9030), (32.0, 1.7095e7, 0.9030), (35.0, 1.4413e7, 0.9030),
    (40.0, 1.1049e7, 0.9030), (45.0, 8.6594e6, 0.9030), (50.0, 6.9180e6, 0.9030), (55.0, 5.6149e6, 0.9030),
    (63.0, 4.1222e6, 0.9030), (71.0, 3.1151e6, 0.9030), (80.0, 2.3349e6, 0.9030), (90.0, 1.7412e6, 0.9030),
    (100.0, 1.3313e6, 0.9030), (110.0, 1.0411e6, 0.9032), (120.0, 8.3143e5, 0.9038), (140.0, 5.5059e5, 0.9057),
    (160.0, 3.8299e5, 0.9081), (180.0, 2.7595e5, 0.9107), (200.0, 2.0395e5, 0.9133), (220.0, 1.5392e5, 0.9159),
    (250.0, 1.0379e5, 0.9198), (280.0, 7.1972e4, 0.9234), (320.0, 4.5010e4, 0.9279), (350.0, 3.1973e4, 0.9308),
    (400.0, 1.7525e4, 0.9350), (450.0, 8.7441e3, 0.9384), (500.0, 3.2006e3, 0.9412)])
#: Free-space omnidirectional fluence of the worst day [cm^-2]: flux / attenuation x 4 pi sr x 86,400 s
#: x 1e-4 m^2/cm^2.
CREME96_WORST_DAY_E_MEV = CREME96_WORST_DAY_HEO[:, 0]
CREME96_WORST_DAY_FLUENCE_CM2 = (CREME96_WORST_DAY_HEO[:, 1] / CREME96_WORST_DAY_HEO[:, 2]
                                 * 4.0 * math.pi * 86400.0 * 1e-4)


# --- the independent calculation --------------------------------------------------------------------------------
def bethe_proton_mev_cm2_g(e_mev, z_over_a: float, i_ev: float) -> np.ndarray:
    """Plain Bethe mass stopping power for protons [MeV cm^2/g] (PDG eq. 34.5, no density or shell terms)."""
    e = np.asarray(e_mev, dtype=np.float64)
    gamma = 1.0 + e / PROTON_MC2_MEV
    beta2 = 1.0 - 1.0 / gamma**2
    bg2 = beta2 * gamma**2
    ratio = ELECTRON_MC2_MEV / PROTON_MC2_MEV
    w_max = 2.0 * ELECTRON_MC2_MEV * bg2 / (1.0 + 2.0 * gamma * ratio + ratio**2)
    i_mev = i_ev * 1e-6
    return BETHE_K_MEV_CM2_MOL * z_over_a / beta2 * (0.5 * np.log(2.0 * ELECTRON_MC2_MEV * bg2 * w_max / i_mev**2) - beta2)


_E_TAB_MEV = np.geomspace(BETHE_MIN_MEV, 2000.0, 20001)
_S_AL_TAB = bethe_proton_mev_cm2_g(_E_TAB_MEV, AL_Z_OVER_A, AL_I_EV)
#: Range in Al [g/cm^2] from 0.5 MeV (the residual range below 0.5 MeV, < 0.001 g/cm^2, is left out).
_R_AL_TAB = np.concatenate([[0.0], np.cumsum(0.5 * (1.0 / _S_AL_TAB[1:] + 1.0 / _S_AL_TAB[:-1]) * np.diff(_E_TAB_MEV))])


def range_al_g_cm2(e_mev) -> np.ndarray:
    return np.interp(np.asarray(e_mev, dtype=np.float64), _E_TAB_MEV, _R_AL_TAB)


def energy_from_range_al_mev(r_g_cm2) -> np.ndarray:
    return np.interp(np.asarray(r_g_cm2, dtype=np.float64), _R_AL_TAB, _E_TAB_MEV)


def stopping_si_mev_cm2_g(e_mev) -> np.ndarray:
    return bethe_proton_mev_cm2_g(np.maximum(e_mev, BETHE_MIN_MEV), SI_Z_OVER_A, SI_I_EV)


def loglog(x_tab, y_tab):
    """J(x) interpolated log-log in a table (zero where the table is zero)."""
    lx = np.log(np.asarray(x_tab, dtype=np.float64))
    ly = np.log(np.maximum(np.asarray(y_tab, dtype=np.float64), 1e-300))
    return lambda x: np.exp(np.interp(np.log(x), lx, ly))


def independent_sphere_dose(integral, shielding_mm_al: float, e_top_mev: float) -> float:
    """Dose [rad(Si) per unit time of ``integral``] at the centre of an Al sphere, protons, CSDA.

    ``integral(E)``: omnidirectional integral flux (or fluence) J(> E) of incident protons, E in MeV,
    given up to ``e_top_mev``; protons above it deposit S at the residual energy of ``e_top_mev``.
    Quadrature in residual energy eps: incident E(eps) = R^-1(R(eps) + t); each slice of the spectrum
    deposits S_Si at its mean residual energy.
    """
    t = shielding_mm_al * 0.1 * AL_DENSITY_G_CM3
    eps_top = float(energy_from_range_al_mev(range_al_g_cm2(e_top_mev) - t))
    eps = np.concatenate([[0.0], np.geomspace(1e-2, eps_top, 4000)])
    e_in = energy_from_range_al_mev(range_al_g_cm2(eps) + t)
    e_in[-1] = e_top_mev
    j = integral(e_in)
    s_mid = stopping_si_mev_cm2_g(0.5 * (eps[1:] + eps[:-1]))
    return RAD_PER_MEV_G * float(np.sum((j[:-1] - j[1:]) * s_mid) + j[-1] * stopping_si_mev_cm2_g(eps_top))


def circular_orbit_ecef_m(alt_km: float, inc_deg: float, days: float, step_s: float):
    """Earth-fixed positions [m] of a two-body circular orbit (``orbitcloud validate``'s helper)."""
    from orbitcloud.validate.cases_environment import circular_orbit_ecef_m as orbit

    return orbit(alt_km, inc_deg, days, step_s)


def aep8_orbit_mean_integral_flux(x_m, y_m, z_m, energy_mev, particle: str = "p", solar: str = "min") -> np.ndarray:
    """Orbit mean of AP8/AE8 J(> E) [cm^-2 s^-1] at each energy, from aep8's public API at every sample."""
    import aep8
    from astropy import units as u
    from astropy.coordinates import EarthLocation
    from astropy.time import Time

    scale = u.earthRad.to(u.m) / IRBEM_RE_M
    loc = EarthLocation.from_geocentric(np.asarray(x_m, dtype=np.float64) * scale, np.asarray(y_m, dtype=np.float64) * scale,
                                        np.asarray(z_m, dtype=np.float64) * scale, unit=u.m)
    model = aep8.model(particle=particle, solar=solar)
    l_shell, b = model.geomagnetic_coordinates(loc, Time("2000-01-01T00:00:00"))
    e = np.asarray(energy_mev, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        j = model.integral_flux_for_geomagnetic_coordinates(np.ravel(l_shell)[:, None], np.ravel(b)[:, None],
                                                            e[None, :] * u.MeV).to_value(u.cm**-2 / u.s)
    j = np.where(np.isfinite(j) & (j > 0.0), j, 0.0)  # outside the model's (B, L) domain: no flux
    return np.minimum.accumulate(j.mean(axis=0))


def independent_orbit_proton_dose_rad_s(x_m, y_m, z_m, shielding_mm_al: float, solar: str = "min") -> float:
    """Orbit-mean trapped-proton dose rate [rad(Si)/s] behind an Al sphere, computed without the engine."""
    e = np.geomspace(0.1, 300.0, 121)  # aep8's AP8 energy range [MeV]
    j = aep8_orbit_mean_integral_flux(x_m, y_m, z_m, e, "p", solar)
    return independent_sphere_dose(loglog(e, j), shielding_mm_al, 300.0)


def _ratio_ok(ratio: float, factor: float) -> bool:
    return 1.0 / factor <= ratio <= factor


# --- SHIELDOSE-2 doses at 550 km ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def orbits550():
    """30 days at 60 s, as SPENVIS' 30-day representative trajectory."""
    return {inc: circular_orbit_ecef_m(550.0, inc, 30.0, 60.0) for inc in SPENVIS_550KM_DOSE_RAD_5YR}


@pytest.mark.parametrize("inc_deg", sorted(SPENVIS_550KM_DOSE_RAD_5YR))
def test_shieldose2_550km_dose_vs_spenvis(orbits550, inc_deg):
    """Orbit-mean dose behind 1-20 mm Al at 550 km (30, 55 deg; 95 and 100 deg bracket the 97.6-deg SSO)
    vs SPENVIS SHIELDOSE-2 (Pfandzelter & Bermbach 2023): protons (AP8MIN), electrons (AE8MAX), total.

    Measured engine / SPENVIS: protons 0.78-0.81 at 30 deg, 0.87-0.90 at 55-100 deg; electrons
    0.81-0.98; total 0.79-0.96 (docs/radiation.md, "Validation against published figures")."""
    x, y, z = orbits550[inc_deg]
    table = SPENVIS_550KM_DOSE_RAD_5YR[inc_deg]
    rows = []
    for t_mm in sorted(set(PROTON_DEPTHS_MM) | set(ELECTRON_DEPTHS_MM) | set(TOTAL_DEPTHS_MM)):
        total, electrons, _brems, protons = (v / SPENVIS_550KM_YEARS for v in table[t_mm])
        p = float(RadiationGrid.build(550.0, 550.0, RadiationSpec(shielding_mm_al=t_mm, solar="min"))
                  .trapped_dose_rate_rad_s(x, y, z, "p").mean()) * YEAR_S
        e = 0.0
        if t_mm in ELECTRON_DEPTHS_MM or t_mm in TOTAL_DEPTHS_MM:
            e = float(RadiationGrid.build(550.0, 550.0, RadiationSpec(shielding_mm_al=t_mm, solar="max"))
                      .trapped_dose_rate_rad_s(x, y, z, "e").mean()) * YEAR_S
        if t_mm in PROTON_DEPTHS_MM:
            rows.append(("p", t_mm, p, protons))
        if t_mm in ELECTRON_DEPTHS_MM:
            rows.append(("e", t_mm, e, electrons))
        if t_mm in TOTAL_DEPTHS_MM:
            rows.append(("total", t_mm, p + e, total))
    bad = [(k, t, round(got, 1), round(ref, 1), round(got / ref, 3)) for k, t, got, ref in rows
           if not _ratio_ok(got / ref, published_factor)]
    assert not bad, bad


# --- orbit-averaged AP8 spectra (SPENVIS) ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spenvis_orbits():
    return {name: circular_orbit_ecef_m(alt, inc, 30.0, 60.0) for name, (alt, inc, _) in SPENVIS_SPECTRA.items()}


def _grid_for(alt_km: float, t_mm: float) -> RadiationGrid:
    # 530 km lies within the 550-km grid's levels (525, 550, 575 km)
    return RadiationGrid.build(550.0 if alt_km < 600.0 else alt_km, 550.0 if alt_km < 600.0 else alt_km,
                               RadiationSpec(shielding_mm_al=t_mm, solar="min"))


@pytest.mark.parametrize("name", sorted(SPENVIS_SPECTRA))
def test_orbit_mean_proton_flux_vs_spenvis(spenvis_orbits, name):
    """The engine's flux of protons keeping > 10 MeV behind 1 and 10 mm Al is AP8's J(> E10) with
    E10 = R^-1(R(10 MeV) + t) (17.3 and 49.6 MeV here, from the Bethe range); its orbit mean vs
    SPENVIS' orbit-averaged AP8MIN J(> E10). Measured 0.92-0.96."""
    alt, _, table = SPENVIS_SPECTRA[name]
    x, y, z = spenvis_orbits[name]
    ref = loglog(table[:, 0], table[:, 1])
    for t_mm in (1.0, 10.0):
        e10 = float(energy_from_range_al_mev(range_al_g_cm2(10.0) + t_mm * 0.1 * AL_DENSITY_G_CM3))
        got = float(_grid_for(alt, t_mm).proton_flux_cm2_s(x, y, z).mean())
        want = float(ref(e10))
        assert _ratio_ok(got / want, spenvis_flux_factor), (name, t_mm, e10, got, want)


@pytest.mark.parametrize("name", sorted(SPENVIS_SPECTRA))
def test_dose_vs_spenvis_spectrum_with_independent_transport(spenvis_orbits, name):
    """Orbit-mean trapped-proton dose behind 4, 10, 20 mm vs the independent Bethe/CSDA solid-sphere
    transport of SPENVIS' published orbit-averaged AP8MIN spectrum (the dose is linear in the
    spectrum, so the dose of the mean spectrum is the mean dose). Measured 0.89-0.96."""
    alt, _, table = SPENVIS_SPECTRA[name]
    x, y, z = spenvis_orbits[name]
    spectrum = loglog(table[:, 0], table[:, 1])
    for t_mm in (4.0, 10.0, 20.0):
        got = float(_grid_for(alt, t_mm).trapped_dose_rate_rad_s(x, y, z, "p").mean())
        want = independent_sphere_dose(spectrum, t_mm, float(table[-1, 0]))
        assert _ratio_ok(got / want, spenvis_spectrum_factor), (name, t_mm, got * YEAR_S, want * YEAR_S)


# --- the independent calculation on the engine's own samples --------------------------------------------------------
def test_independent_calculation_matches_engine_polar_825km():
    """825 km, 98.8 deg, one day at 30 s: the engine's grid dose vs aep8's public API at every sample
    plus the Bethe/CSDA transport above, behind 3, 10 and 30 mm. Measured +1.5 %, +1.2 %, +1.3 %."""
    x, y, z = circular_orbit_ecef_m(825.0, 98.8, 1.0, 30.0)
    e = np.geomspace(0.1, 300.0, 121)
    spectrum = loglog(e, aep8_orbit_mean_integral_flux(x, y, z, e, "p", "min"))
    for t_mm in (3.0, 10.0, 30.0):
        got = float(_grid_for(825.0, t_mm).trapped_dose_rate_rad_s(x, y, z, "p").mean())
        want = independent_sphere_dose(spectrum, t_mm, 300.0)
        assert got == pytest.approx(want, rel=independent_rel_tol), (t_mm, got * YEAR_S, want * YEAR_S)


def test_independent_transport_reproduces_pstar_ranges():
    """Sanity of the oracle itself: its Bethe CSDA ranges vs NIST PSTAR's CSDA ranges in aluminium
    (NIST SRD 124: 0.170 g/cm^2 at 10 MeV, 9.98 g/cm^2 at 100 MeV, as quoted in
    test_radiation.py::test_proton_range_in_aluminium) within 4 % (Bethe without shell corrections
    runs short at low energy: measured -2.9 % at 10 MeV, -0.1 % at 100 MeV)."""
    assert float(range_al_g_cm2(10.0)) == pytest.approx(0.170, rel=0.04)
    assert float(range_al_g_cm2(100.0)) == pytest.approx(9.98, rel=0.04)


# --- solar particle events -------------------------------------------------------------------------------------------
def creme96_worst_day_power_law() -> tuple[float, float]:
    """(> 30 MeV fluence [cm^-2], integral power-law index) of the CREME96 worst day, the index from
    the > 30 and > 100 MeV fluences: the engine's J(> E) ~ E^-gamma through the two."""
    f = loglog(CREME96_WORST_DAY_E_MEV, CREME96_WORST_DAY_FLUENCE_CM2)
    f30, f100 = float(f(30.0)), float(f(100.0))
    return f30, math.log(f30 / f100) / math.log(100.0 / 30.0)


def creme96_worst_day_dose_rad(shielding_mm_al: float) -> float:
    """Independent dose [rad(Si)] of the tabulated CREME96 worst-day spectrum behind a solid Al sphere."""
    spectrum = loglog(CREME96_WORST_DAY_E_MEV, CREME96_WORST_DAY_FLUENCE_CM2)
    return independent_sphere_dose(spectrum, shielding_mm_al, float(CREME96_WORST_DAY_E_MEV[-1]))


def test_spe_event_dose_vs_creme96_worst_day():
    """An SPE with the CREME96 worst-day fluence (free space, 2.32e9 cm^-2 > 30 MeV; integral index
    2.22 between 30 and 100 MeV) through the engine's event process (sigma_ln = 0: every event has
    the median fluence) vs the independent transport of the tabulated spectrum. Measured engine /
    independent behind 5, 10, 20 mm: 1.06, 0.92, 0.88 (214 vs 233 rad behind 10 mm). Behind 1-3 mm
    the power law, steeper than the real spectrum below 30 MeV, overestimates (x2.2 at 1 mm, x1.27 at
    3 mm): a documented limitation, not asserted."""
    f30, gamma = creme96_worst_day_power_law()
    assert 1e9 < f30 < 1e10 and 1.5 < gamma < 3.0  # the table read as documented (2.32e9, 2.22)
    for t_mm in (5.0, 10.0, 20.0):
        spec = RadiationSpec(shielding_mm_al=t_mm, spe=True, spe_median_fluence30_cm2=f30, spe_sigma_ln=0.0,
                             spe_gamma=gamma, spe_rate_per_yr=6.0)
        _, doses = spe_events(spec, 2.0 * YEAR_S, seed=7)
        assert doses.size > 0 and np.all(doses == doses[0])
        want = creme96_worst_day_dose_rad(t_mm)
        assert _ratio_ok(float(doses[0]) / want, spe_published_factor), (t_mm, float(doses[0]), want)


def test_spe_default_spectrum_vs_independent_transport():
    """The default event spectrum (1e6 cm^-2 > 30 MeV, J ~ E^-2.5, 0.1-300 MeV) behind 3 and 10 mm:
    engine vs the independent transport of the same spectrum. Measured +4.5 % and +2.2 %
    (0.079 and 0.086 rad per median event)."""
    for t_mm in (3.0, 10.0):
        spec = RadiationSpec(shielding_mm_al=t_mm, spe=True)
        got = spe_dose_per_fluence30_rad_cm2(spec) * spec.spe_median_fluence30_cm2
        want = independent_sphere_dose(lambda e: spec.spe_median_fluence30_cm2 * (np.asarray(e) / 30.0) ** -spec.spe_gamma,
                                       t_mm, 300.0)  # the engine spectrum's top energy (aep8 range, docs)
        assert got == pytest.approx(want, rel=spe_independent_rel_tol), (t_mm, got, want)
