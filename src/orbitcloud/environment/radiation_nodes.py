"""Radiation environment: the geocentric grid nodes and the McIlwain (B, L) coordinates on them.

B and L are slow to compute (~0.1-0.25 ms a point), so they are evaluated once on a geocentric latitude
x longitude x altitude grid (4 deg x 4 deg, altitude levels every 25 km or coarser covering the
requested band) and everything else is derived on that grid. Altitude here is ``|r| - 6,378.137 km``
(WGS-84 equatorial radius, spherical). B and L come from IRBEM (Boscher, Bourdarie et al., LGPL-3.0)
through the PyPI package ``aep8`` (BSD-3-Clause), with the field model each AE8/AP8 map was built with:
Jensen & Cain 1960 for AE8 and AP8MIN, GSFC 12/66 for AP8MAX; the field epoch is fixed (no secular
drift of the South Atlantic Anomaly). Details in ``docs/radiation.md``.
"""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.constants import WGS84_A_M
from orbitcloud.environment.radiation_cache import _MEMO, _key, _load, _save, cache_dir

# --- constants ---------------------------------------------------------------------------------------
#: Earth radius IRBEM uses to normalise Earth-fixed (GEO) Cartesian coordinates [m] (IRBEM ``INITIZE``:
#: ``ERA = 6371.2 km``). ``aep8``'s public API divides by astropy's ``earthRad`` (6,378.1 km) instead,
#: which would put every point 0.11 % (7.6 km at 650 km altitude) too low; this module calls the ufuncs
#: with the right scale (see ``docs/radiation.md``).
IRBEM_EARTH_RADIUS_M = 6_371_200.0
#: Fixed epoch passed to IRBEM (2000-01-01T00:00:00Z); it only sets the dipole tilt used for GSM,
#: which the internal-field-only L computation does not use (L changes < 1e-6 over years).
FIELD_EPOCH_UNIX_S = 946_684_800
#: Grid spacing [deg] in geocentric latitude and longitude.
GRID_STEP_DEG = 4.0
#: Altitude grid: lattice step [km] (multiplied for wide bands so a band has at most ~10 intervals),
#: padding added to the requested band [km], and the clamp to the model's useful range [km].
ALT_STEP_KM = 25.0
ALT_PAD_KM = 25.0
ALT_LIMITS_KM = (100.0, 40_000.0)

_R_EQ_M = WGS84_A_M


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
