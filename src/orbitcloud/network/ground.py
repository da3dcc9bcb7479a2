"""Ground segment: station limits, link assignment and the scenario's ``ground:`` section; the
public face of the ground layer (stations, visibility, contact windows and station limits).

The ground segment is split by idea; this module re-exports the names of the others, so
``from orbitcloud.network.ground import ...`` gives all of them (``docs/ground.md``):

* :mod:`orbitcloud.network.stations` -- :class:`Stations` (WGS-84 positions and local ENU frames,
  NIMA TR8350.2; Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., ch. 3), read
  strictly from a header-less CSV (Hypatia's ``cities-top100.csv`` format; Kassing et al., ACM IMC
  2020), from inline records or from the sets shipped with the package (``builtin:NAME``).
* :mod:`orbitcloud.network.visibility` -- elevation / slant range / azimuth (Vallado ch. 4,
  algorithm RAZEL), the visibility criterion (``E >= E_min`` and/or ``rho <= rho_max``; Hypatia's
  25 deg for Starlink, 30 deg for Kuiper, 10 deg for Telesat), the closed-form slant range (Wertz &
  Larson, *Space Mission Analysis and Design*, 3rd ed., sec. 5.2), dense (numba or NumPy blocks)
  and KD-tree (``scipy.spatial.cKDTree``) paths with bit-identical values.
* :mod:`orbitcloud.network.contacts` -- contact windows per (station, satellite) with start and
  end interpolated (linear as the shadow crossings of :mod:`orbitcloud.sim.engine`, or quadratic;
  Numerical Recipes sec. 5.6), bit-identical for any chunking of the run.

Station limits (:func:`assign_links`): at most ``max_tracked`` satellites per station and step,
chosen by highest elevation (ties: lower satellite index); each used link gets the station's
downlink/uplink rate (``rate_sharing="per_link"``) or an equal share of it
(``rate_sharing="per_station"``). :func:`ground_from_config` builds the :class:`GroundSegment`
(stations, limits, visibility criterion) of a scenario's ``ground:`` section.

No terrain masks, no atmospheric refraction (optical refraction is 0.035 deg at 25 deg elevation
and 0.09 deg at 10 deg, Bennett 1982; radio refraction is larger), no weather outage of optical
terminals; positions are Earth-fixed (PEF ~ ITRF, see :mod:`orbitcloud.ephemeris.frames`). See
``docs/ground.md``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import NamedTuple

import numpy as np

from orbitcloud.errors import OrbitcloudError

# Re-exported: the ground segment's stations, visibility and contact windows (see __all__).
from orbitcloud.network.contacts import INTERPOLATIONS, Contacts, ContactTracker, contact_windows
from orbitcloud.network.stations import (
    BUILTIN_PREFIX,
    Stations,
    builtin_station_name,
    builtin_station_sets,
    builtin_stations,
    read_stations_csv,
    stations_from_records,
    stations_from_spec,
)
from orbitcloud.network.visibility import (
    Criterion,
    SparseVisibility,
    Visibility,
    look_angles,
    max_slant_range_m,
    visibility,
    visibility_sparse,
)

# Re-exported for readers of ``ground.X`` (tuning constants; benchmarks/ground.py reads _mask_kernel).
from orbitcloud.network.visibility import (  # noqa: F401
    AUTO_DENSE_PAIRS,
    DENSE_BLOCK_PAIRS,
    KD_BAND_M,
    KD_POINTS,
    MASK_BLOCK,
    MAX_VERTICAL_DEFLECTION_DEG,
    _mask_kernel,
    _values_kernel,
)

__all__ = [
    "Stations",
    "read_stations_csv",
    "stations_from_records",
    "BUILTIN_PREFIX",
    "builtin_station_sets",
    "builtin_stations",
    "builtin_station_name",
    "stations_from_spec",
    "Criterion",
    "Visibility",
    "SparseVisibility",
    "visibility",
    "visibility_sparse",
    "look_angles",
    "max_slant_range_m",
    "Contacts",
    "ContactTracker",
    "INTERPOLATIONS",
    "contact_windows",
    "StationLimits",
    "Links",
    "assign_links",
    "GroundSegment",
    "ground_from_config",
]

_NO_LIMIT = np.iinfo(np.int64).max

# --------------------------------------------------------------------------------------------------
# Station limits and link assignment
# --------------------------------------------------------------------------------------------------

TERMINALS = ("rf", "optical")
RATE_SHARING = ("per_link", "per_station")


@dataclasses.dataclass(frozen=True)
class StationLimits:
    """Per-station limits: ``max_tracked`` (int64; ``np.iinfo(int64).max`` = unlimited) satellites
    at once, ``downlink_bps``/``uplink_bps`` rates, ``terminal`` ("rf" or "optical", a label; no
    weather model) and ``rate_sharing``: "per_link" (each link gets the station's rate) or
    "per_station" (the station's rate is split equally among its links of the step). ``budget``: a
    :class:`~orbitcloud.network.link_budget.GroundLinkBudget` (or None): when given, each link's rate
    in a direction it budgets comes from the link's elevation and range instead of the fixed rate
    (``docs/link_budget.md``)."""

    max_tracked: np.ndarray
    downlink_bps: np.ndarray
    uplink_bps: np.ndarray
    terminal: tuple[str, ...]
    rate_sharing: str = "per_link"
    budget: object = None

    def __post_init__(self) -> None:
        n = self.max_tracked.shape[0]
        if self.downlink_bps.shape != (n,) or self.uplink_bps.shape != (n,) or len(self.terminal) != n:
            raise ValueError("StationLimits arrays must all have one entry per station")
        if np.any(self.max_tracked < 1):
            raise OrbitcloudError(f"ground: max_tracked must be >= 1 (got {int(self.max_tracked.min())})")
        for name in ("downlink_bps", "uplink_bps"):
            v = getattr(self, name)
            if not np.all(np.isfinite(v) & (v >= 0.0)):
                raise OrbitcloudError(f"ground: {name} must be finite and >= 0 (got {v[~(np.isfinite(v) & (v >= 0.0))][0]!r})")
        bad = [t for t in self.terminal if t not in TERMINALS]
        if bad:
            raise OrbitcloudError(f"ground: terminal must be one of {', '.join(TERMINALS)} (got {bad[0]!r})")
        if self.rate_sharing not in RATE_SHARING:
            raise OrbitcloudError(f"ground: rate_sharing must be one of {', '.join(RATE_SHARING)} (got {self.rate_sharing!r})")

    @classmethod
    def uniform(
        cls, n_stations: int, max_tracked: int | None = None, downlink_bps: float = 10e9, uplink_bps: float = 1e9,
        terminal: str = "rf", rate_sharing: str = "per_link", budget=None,
    ) -> "StationLimits":
        """The same limits at every station (``max_tracked=None``: unlimited)."""
        mt = _NO_LIMIT if max_tracked is None else int(max_tracked)
        return cls(
            np.full(n_stations, mt, dtype=np.int64), np.full(n_stations, float(downlink_bps)),
            np.full(n_stations, float(uplink_bps)), (terminal,) * n_stations, rate_sharing, budget,
        )


class Links(NamedTuple):
    """Used ground links, sorted by step, station, then descending elevation."""

    station: np.ndarray
    sat: np.ndarray
    step: np.ndarray
    elevation_rad: np.ndarray
    range_m: np.ndarray
    downlink_bps: np.ndarray
    uplink_bps: np.ndarray


def assign_links(vis: SparseVisibility | Visibility, limits: StationLimits) -> Links:
    """Choose the links each station uses per step: at most ``max_tracked`` visible satellites,
    highest elevation first (ties: lower satellite index), and give them their rates (the station's
    fixed rates, or the link budget's at each link's elevation and range when ``limits.budget``).

    Deterministic (a lexicographic sort); vectorised over all triples.
    """
    if isinstance(vis, Visibility):
        vis = vis.to_sparse()
    st, sat, k, el, rng = vis
    order = np.lexsort((sat, -el, st, k))
    st, sat, k, el, rng = st[order], sat[order], k[order], el[order], rng[order]
    n = st.size
    if n:
        new = np.concatenate([[True], (st[1:] != st[:-1]) | (k[1:] != k[:-1])])
        first = np.flatnonzero(new)
        grp = np.cumsum(new) - 1
        rank = np.arange(n) - first[grp]
        keep = rank < limits.max_tracked[st]
        st, sat, k, el, rng, grp = st[keep], sat[keep], k[keep], el[keep], rng[keep], grp[keep]
    down = limits.downlink_bps[st].astype(np.float64)
    up = limits.uplink_bps[st].astype(np.float64)
    if limits.budget is not None and st.size:
        b_down, b_up = limits.budget.rates_bps(el, rng)
        down = down if b_down is None else np.asarray(b_down, dtype=np.float64)
        up = up if b_up is None else np.asarray(b_up, dtype=np.float64)
    if limits.rate_sharing == "per_station" and st.size:
        _, inv, cnt = np.unique(grp, return_inverse=True, return_counts=True)
        down = down / cnt[inv]
        up = up / cnt[inv]
    return Links(st, sat, k, el, rng, down, up)


# --------------------------------------------------------------------------------------------------
# Scenario bridge
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class GroundSegment:
    """Stations, their limits and the visibility criterion of a scenario's ``ground:`` section."""

    stations: Stations
    limits: StationLimits
    min_elevation_deg: float | None
    max_range_m: float | None


def ground_budget(ground, label: str = "ground"):
    """The :class:`~orbitcloud.network.link_budget.GroundLinkBudget` of a ``ground:`` section, or None
    when it has no ``link_budget``; :class:`OrbitcloudError` naming the key for a bad terminal."""
    cfg = getattr(ground, "link_budget", None)
    if cfg is None:
        return None
    from orbitcloud.network.link_budget import GroundLinkBudget

    try:
        return GroundLinkBudget.from_config(cfg, label=f"{label}.link_budget")
    except ValueError as exc:
        raise OrbitcloudError(str(exc)) from None


def ground_from_config(ground, base_dir: str | Path = ".", label: str = "ground") -> GroundSegment:
    """Build the ground segment from a scenario ``Ground`` section (duck-typed: ``stations`` a
    built-in set ``builtin:NAME``, a CSV path relative to ``base_dir`` or a list of records,
    ``min_elevation_deg``, ``max_range_km``, ``downlink_gbps``, ``uplink_gbps``, ``max_tracked``)."""
    stations = stations_from_spec(ground.stations, base_dir, label=f"{label}.stations")
    max_range_km = getattr(ground, "max_range_km", None)
    limits = StationLimits.uniform(
        len(stations), max_tracked=getattr(ground, "max_tracked", None),
        downlink_bps=float(getattr(ground, "downlink_gbps", 10.0)) * 1e9,
        uplink_bps=float(getattr(ground, "uplink_gbps", 1.0)) * 1e9,
        budget=ground_budget(ground, label),
    )
    return GroundSegment(
        stations, limits, getattr(ground, "min_elevation_deg", None), None if max_range_km is None else float(max_range_km) * 1e3
    )
