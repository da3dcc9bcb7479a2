"""Physical constants shared by every stage (SI unless the name says otherwise).

Sources: WGS-84 (NIMA TR8350.2, 3rd ed., 2000); WGS-72 as used by SGP4 (Vallado et al., "Revisiting
Spacetrack Report #3", AIAA 2006-6753); IAU 2015 Resolution B3 (nominal solar radius); IAU 2012
Resolution B2 (astronomical unit); CODATA 2018 (Stefan-Boltzmann).
"""

from __future__ import annotations

import math

#: WGS-84 equatorial radius [m] and flattening.
WGS84_A_M = 6_378_137.0
WGS84_F = 1.0 / 298.257223563
#: WGS-84 gravitational parameter [m^3/s^2] and J2 (unnormalised).
WGS84_MU_M3_S2 = 3.986004418e14
WGS84_J2 = 1.08262668e-3
#: WGS-72 constants used inside SGP4 [km, km^3/s^2].
WGS72_RADIUS_KM = 6378.135
WGS72_MU_KM3_S2 = 398600.8
#: Nominal solar radius [m] (IAU 2015 B3) and astronomical unit [m] (IAU 2012 B2).
SUN_RADIUS_M = 6.957e8
AU_M = 149_597_870_700.0
#: Speed of light in vacuum [m/s].
C_M_S = 299_792_458.0
#: Earth sidereal rotation rate [rad/s] (IERS, conventional).
EARTH_ROTATION_RAD_S = 7.292115146706979e-5
#: Sun-synchronous nodal precession: one revolution per tropical year (365.2422 d) [rad/s].
SSO_NODE_RATE_RAD_S = 2.0 * math.pi / (365.2422 * 86400.0)
#: Highest circular sun-synchronous altitude [km]: above it cos i = -rate / (1.5 n J2 (R/a)^2) < -1.
#: a = (1.5 sqrt(mu) J2 R^2 / rate)^(2/7) = 12,352 km, i.e. 5,974 km above the equatorial radius.
MAX_SSO_ALTITUDE_KM = (1.5 * math.sqrt(WGS84_MU_M3_S2) * WGS84_J2 * WGS84_A_M**2 / SSO_NODE_RATE_RAD_S) ** (2.0 / 7.0) / 1000.0 - WGS84_A_M / 1000.0
#: Seconds per day.
DAY_S = 86400.0


def semi_major_axis_m_from_mean_motion(mean_motion_rev_per_day: float) -> float:
    """Two-body semi-major axis [m] for a mean motion [rev/day] (WGS-84 mu)."""
    n_rad_s = mean_motion_rev_per_day * 2.0 * math.pi / DAY_S
    return (WGS84_MU_M3_S2 / n_rad_s**2) ** (1.0 / 3.0)


def altitude_km_from_mean_motion(mean_motion_rev_per_day: float) -> float:
    """Mean altitude above the WGS-84 equatorial radius [km] for a mean motion [rev/day]."""
    return (semi_major_axis_m_from_mean_motion(mean_motion_rev_per_day) - WGS84_A_M) / 1000.0


def circular_period_s(semi_major_axis_m: float) -> float:
    """Two-body orbital period [s]: T = 2 pi sqrt(a^3 / mu)."""
    return 2.0 * math.pi * math.sqrt(semi_major_axis_m**3 / WGS84_MU_M3_S2)

# --- radiation environment of the spacecraft bus -------------------------------------------------------
#: Stefan-Boltzmann constant [W m^-2 K^-4] (CODATA 2018, exact in SI 2019).
STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8
#: Total solar irradiance at 1 AU [W/m^2] (Kopp & Lean 2011, SORCE/TIM; GRL 38, L01706).
SOLAR_CONSTANT_W_M2 = 1361.0
#: Earth's mean outgoing longwave radiation at the top of the atmosphere [W/m^2] and Bond albedo
#: (CERES EBAF: Loeb et al. 2009, J. Climate 22, 748; Stephens et al. 2015 give 0.29-0.30).
EARTH_OLR_W_M2 = 239.0
EARTH_ALBEDO = 0.30
#: Cosmic microwave background temperature [K] (Fixsen 2009): the deep-space sink.
DEEP_SPACE_K = 2.725
#: Zero Celsius [K].
ZERO_C_K = 273.15
