"""Earth data of the Earth-observation model: cloud fraction per latitude band, and the land/sea mask.

* :func:`cloud_table`: the annual cloud fraction of each 10 deg latitude band over land and over ocean
  (``catalog/cloud_climatology.yaml``), normalised to the MODIS means of King et al. 2013, IEEE TGRS
  51(7) 3826 (67 % global, 55 % land, 72 % ocean); a frame is cloudy (cover at or above the filter's
  threshold) with the fraction of its band.
* :func:`land_mask`: a 0.1 deg land/sea mask of the Earth from the GLOBE 1 km DEM (NOAA NGDC, Hastings &
  Dunbar 1999) via global-land-mask (``catalog/land_mask.yaml``), for ``targets: land``.

Used by :mod:`orbitcloud.ops.eo_sensor` (per-frame draws) and :class:`orbitcloud.ops.eo.EOModel`;
:mod:`orbitcloud.ops.eo` re-exports the names here. Details: ``docs/earth_observation.md``.
"""

from __future__ import annotations

import dataclasses
import functools
from importlib import resources

import numpy as np

__all__ = [
    "CloudTable",
    "LandMask",
    "cloud_table",
    "land_mask",
]


@dataclasses.dataclass(frozen=True)
class CloudTable:
    """Cloud fraction per latitude band over land and ocean (``catalog/cloud_climatology.yaml``)."""

    edges_rad: np.ndarray  # (n_bands + 1,) band edges, south to north [rad]
    p_land: np.ndarray  # (n_bands,)
    p_ocean: np.ndarray  # (n_bands,)
    land_fraction: np.ndarray  # (n_bands,) area fraction of land in each band
    source: str

    def band(self, lat_rad: np.ndarray) -> np.ndarray:
        """Band index of geodetic latitudes [rad] (the poles fall in the end bands)."""
        idx = np.searchsorted(self.edges_rad, np.asarray(lat_rad, dtype=np.float64), side="right") - 1
        return np.clip(idx, 0, self.p_land.size - 1)

    def probability(self, lat_rad: np.ndarray, land: np.ndarray) -> np.ndarray:
        """Probability that a frame at latitude ``lat_rad`` [rad] over land (True) / ocean is cloudy."""
        b = self.band(lat_rad)
        return np.where(np.asarray(land, dtype=bool), self.p_land[b], self.p_ocean[b])


@functools.lru_cache(maxsize=None)
def cloud_table() -> CloudTable:
    import yaml

    text = resources.files("orbitcloud.catalog").joinpath("cloud_climatology.yaml").read_text("utf-8")
    d = yaml.safe_load(text)["cloud_climatology"]
    edges = np.radians(np.asarray(d["band_edges_deg"], dtype=np.float64))
    out = CloudTable(edges, np.asarray(d["land"], dtype=np.float64), np.asarray(d["ocean"], dtype=np.float64),
                     np.asarray(d["land_fraction"], dtype=np.float64), str(d["source"]))
    n = edges.size - 1
    if not (out.p_land.size == out.p_ocean.size == out.land_fraction.size == n) or not d.get("source"):
        raise RuntimeError("catalog cloud_climatology.yaml: band arrays do not match the edges")  # packaging bug
    return out


@dataclasses.dataclass(frozen=True)
class LandMask:
    """Boolean land grid, rows north to south, columns west to east from -180 deg."""

    grid: np.ndarray  # (rows, cols) bool
    resolution_deg: float
    source: str

    def is_land(self, lat_rad: np.ndarray, lon_rad: np.ndarray) -> np.ndarray:
        """Land (True) at geodetic latitudes / longitudes [rad] (nearest cell; vectorised)."""
        rows, cols = self.grid.shape
        inv = 1.0 / self.resolution_deg
        i = np.floor((90.0 - np.degrees(lat_rad)) * inv).astype(np.int64)
        j = np.floor((np.degrees(lon_rad) + 180.0) * inv).astype(np.int64)
        np.clip(i, 0, rows - 1, out=i)
        j %= cols
        return self.grid[i, j]


@functools.lru_cache(maxsize=None)
def land_mask() -> LandMask:
    import base64
    import zlib

    import yaml

    text = resources.files("orbitcloud.catalog").joinpath("land_mask.yaml").read_text("utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    d = yaml.load(text, Loader=loader)["land_mask"]
    rows, cols = int(d["rows"]), int(d["cols"])
    raw = zlib.decompress(base64.b64decode("".join(d["data"].split()), validate=True))
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8))[: rows * cols]
    return LandMask(bits.reshape(rows, cols).astype(bool), float(d["resolution_deg"]), str(d["source"]))
