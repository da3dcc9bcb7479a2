"""Defaults of ``orbitcloud size`` that the catalogs do not hold, each with its source.

Every constant here is listed, with its value, unit and source string, in the sizing's output
assumptions (``docs/sizing.md``, "Assumptions"). Sources: Suncatcher (Google Research blog, 4 Nov 2025;
arXiv 2511.19468) for the orbit; Starcloud-1 (CNBC, 10 Dec 2025) and the Starcloud white paper (2024)
for the accelerator and the extra capital; the SpaceX/xAI FCC filing (30 Jan 2026) for 100 kW per
tonne; Wertz & Larson, *Space Mission Analysis and Design*, 3rd ed. (1999), ch. 10 for the bus mass
fraction; Kopp & Lean 2011 for S0 = 1,361 W/m^2; the rest are orbitcloud assumptions, stated as such.
Split out of :mod:`orbitcloud.design.sizing`, which re-exports every name.
"""

from __future__ import annotations

from orbitcloud.bus import power

#: Default orbit: Suncatcher's dawn-dusk sun-synchronous orbit at ~650 km.
DEFAULT_ALTITUDE_KM = 650.0
DEFAULT_ORBIT = "dawn-dusk"
SRC_ORBIT = "Suncatcher (Google Research blog, 4 Nov 2025; arXiv 2511.19468): dawn-dusk SSO at ~650 km"
#: Dawn-dusk is taken as LTAN 18:00 (as the built-in suncatcher-81 scenario).
DAWN_DUSK_LTAN = "18:00"
#: Default accelerator: the H100 SXM, the device Starcloud-1 flies and the one the economics default price is for.
DEFAULT_ACCELERATOR = "h100-sxm"
SRC_ACCELERATOR = ("Starcloud-1 flies one NVIDIA H100 (CNBC, 10 Dec 2025); catalog/economics.yaml accelerator_usd "
                   "is an H100 price")
DEFAULT_PRECISION = "bf16"
SRC_PRECISION = "orbitcloud default precision (hardware schema ComputeSpec, scenario/hardware.py)"
#: Default IT (compute) power of one satellite [W] when no design and no --sat-power-w is given.
DEFAULT_SAT_POWER_W = 100e3
SRC_SAT_POWER = ("built-in dc-node-100kw (catalog/satellites.yaml, 144 x H100 ~ 100 kW) and the SpaceX/xAI FCC "
                 "filing (30 Jan 2026) of 100 kW per tonne")
#: Bus (housekeeping) power as a fraction of IT power when no design gives it.
BUS_POWER_FRACTION = 0.05
SRC_BUS_POWER = ("orbitcloud assumption: avionics, attitude control, inter-satellite links and pumps ~5 % of compute "
                 "power (built-ins: dc-node-100kw 4 kW per 100.8 kW = 4 %, suncatcher-tpu 2.5 kW per 19.2 kW = 13 %; "
                 "range 3-15 %)")
#: Bus (structure, ADCS, avionics, propulsion, harness) mass as a fraction of the satellite mass.
BUS_MASS_FRACTION = 0.25
SRC_BUS_MASS = ("orbitcloud assumption: structure, mechanisms, attitude control, avionics, propulsion and harness are "
                "~20-35 % of a spacecraft's dry mass (Wertz & Larson, Space Mission Analysis and Design, 3rd ed., "
                "1999, ch. 10 mass budgets; approximate); built-in suncatcher-tpu 170 of 575 kg")
#: Cost of the bus hardware per kg of bus mass [$/kg].
BUS_USD_PER_KG = 1000.0
SRC_BUS_USD = ("orbitcloud assumption: mass-produced LEO bus hardware ~$1,000/kg (order of magnitude; public estimates "
               "of ~$0.5-1 M per few-hundred-kg Starlink satellite are secondary); range 500-5,000 $/kg")
#: Cost of deployable radiator panels per m^2 [$/m^2].
RADIATOR_USD_PER_M2 = 1000.0
SRC_RADIATOR_USD = ("orbitcloud assumption: no published price for mass-produced deployable radiators; ~$1,000/m2 "
                    "(range 300-10,000 $/m2)")
#: Sun distance of the design point [AU]: the mean (1 AU, S0 = 1,361 W/m^2) as the published sizings use.
SUN_DISTANCE_AU = 1.0
SRC_SUN_DISTANCE = ("mean Sun distance, S0 = 1,361 W/m2 (Kopp & Lean 2011) as Suncatcher and Starcloud use; "
                    "aphelion (1.0167 AU) gives 3.3 % less")
#: Start of the year over which the longest eclipse is searched (a simulation choice).
ECLIPSE_YEAR_START = "2026-01-01T00:00:00Z"
SRC_ECLIPSE_START = "simulation choice: one year from this epoch (the yearly maximum does not depend on the start)"
#: Time step and duration of the eclipse search.
ECLIPSE_STEP_S = 30.0
ECLIPSE_DAYS = 365
#: Extra capital counted against space energy (e.g. Starcloud's $1.2 M shielding): none by default.
SRC_EXTRA_CAPEX = "none by default; Starcloud counts $1.2 M of shielding for 40 MW (white paper, 2024)"
#: Source string for values taken from the hardware schema.
SRC_SCHEMA = "orbitcloud hardware schema default (scenario/hardware.py, docs/scenario.md)"
SRC_INPUT = "input"

SECONDS_PER_YEAR = power.SECONDS_PER_YEAR
HOURS_PER_YEAR = SECONDS_PER_YEAR / 3600.0
J_PER_KWH = 3.6e6
MIN_ALTITUDE_KM = 160.0
MAX_ALTITUDE_KM = 40_000.0
