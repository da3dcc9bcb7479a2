"""Dose behind an aluminium shield: range-energy relations, stopping powers and the solid-sphere dose.

The dose point is the centre of a solid aluminium sphere of radius ``t`` (SHIELDOSE-2 "solid sphere"
geometry: Seltzer 1994, NIST Publication 5477): every particle crosses the same thickness, losing
energy in the continuous-slowing-down approximation, so a particle of incident energy E arrives with
``E' = R^-1(R(E) - t)``, R the range in aluminium. The dose rate in silicon at the centre is fluence
rate x mass stopping power of silicon at the residual energy::

    D [rad(Si)/s] = 1.602e-8 * sum_k (J(>E_k) - J(>E_k+1)) * S_Si(E'_k)   (J in cm^-2 s^-1, S in MeV cm^2/g)

with the bins laid out in residual energy. Protons: range and stopping powers from NIST PSTAR
(:mod:`orbitcloud.environment.pstar_al_si`). Electrons: range in aluminium from the Katz & Penfold
(1952, Rev. Mod. Phys. 24, 28) empirical relation and the Bethe collision stopping power of silicon
(ICRU Report 37, 1984, without the density-effect term; constant K from the PDG). Bremsstrahlung,
nuclear reactions and secondaries are neglected. The integral fluxes J(>E) come from the AP8/AE8 flux
ufuncs of ``aep8`` (IRBEM); details and validation in ``docs/radiation.md``.
"""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.environment import pstar_al_si

# --- constants ---------------------------------------------------------------------------------------
#: Energy deposition of 1 MeV per gram in rad (1 rad = 0.01 J/kg; 1 MeV = 1.602176634e-13 J).
RAD_PER_MEV_G = 1.602176634e-8
#: Aluminium density [g/cm^3] (PSTAR/ESTAR).
AL_DENSITY_G_CM3 = pstar_al_si.AL_DENSITY_G_CM3
#: AP8/AE8 energy ranges accepted by aep8's flux ufuncs [MeV].
PROTON_E_RANGE_MEV = (0.1, 300.0)
ELECTRON_E_RANGE_MEV = (0.05, 7.0)
#: Residual-energy bins [MeV]: lower edge (below it: one bin down to 0) and bins per species.
PROTON_RESIDUAL_MIN_MEV = 0.05
ELECTRON_RESIDUAL_MIN_MEV = 0.01
N_ENERGY_BINS = 64
#: Residual energy [MeV] above which a proton counts in :meth:`RadiationGrid.proton_flux_cm2_s`.
PROTON_FLUX_THRESHOLD_MEV = 10.0

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
