"""Economics blocks of ``orbitcloud size``: launched-power price and cost of energy per kWh.

:func:`launched_power_price_usd_per_kw_yr` is Suncatcher's metric (launch cost per kW per year of life;
Google Suncatcher, arXiv 2511.19468); :func:`launched_power_per_year_w` is launched mass per year times
specific power (SpaceX/xAI FCC filing, 30 Jan 2026: 1 Mt/yr at 100 kW/t); :func:`energy_cost_usd_per_kwh`
is capital per kWh delivered, as Starcloud's 40 MW comparison ("Why we should train AI in space", 2024).
No discounting, no operations costs (``docs/sizing.md``, "Economics"). Split out of
:mod:`orbitcloud.design.sizing`, which re-exports every name.
"""

from __future__ import annotations

import math

from orbitcloud.design.defaults import J_PER_KWH, SECONDS_PER_YEAR


def launched_power_price_usd_per_kw_yr(mass_kg: float, launch_usd_per_kg: float, power_w: float,
                                       lifetime_yr: float) -> float:
    """Launch cost per kW of power per year of life: ``m c_launch / (P_kW * life_yr)`` (Suncatcher's metric)."""
    return mass_kg * launch_usd_per_kg / (power_w / 1e3 * lifetime_yr)


def launched_power_per_year_w(launched_mass_kg_per_yr: float, specific_power_w_per_kg: float) -> float:
    """Power put in orbit per year [W/yr]: launched mass per year x specific power."""
    return launched_mass_kg_per_yr * specific_power_w_per_kg


def energy_cost_usd_per_kwh(capex_usd: float, power_w: float, lifetime_yr: float, capacity_factor: float = 1.0) -> float:
    """Capital per kWh delivered: ``capex / (P * capacity_factor * life)``."""
    e_kwh = power_w * capacity_factor * lifetime_yr * SECONDS_PER_YEAR / J_PER_KWH
    return capex_usd / e_kwh if e_kwh > 0 else math.inf
