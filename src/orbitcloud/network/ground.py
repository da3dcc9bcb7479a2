"""Ground segment: stations, visibility, contact windows and station limits.

Stations are a struct of arrays (:class:`Stations`) read strictly from a header-less CSV
(``id,name,lat_deg,lon_deg,elevation_m``, the format of Hypatia's ``cities-top100.csv``), built
from inline records, or taken from a set shipped with the package (``builtin:cities-top100``,
``builtin:ground-stations``, ``builtin:ksat`` ...; :func:`builtin_stations`, :func:`stations_from_spec`). Geometry is WGS-84 (NIMA TR8350.2): a station's position is
``geodetic_to_ecef`` and its local *up* is the ellipsoid normal (geodetic vertical),
``u = (cos phi cos lam, cos phi sin lam, sin phi)``; east ``(-sin lam, cos lam, 0)`` and north
``(-sin phi cos lam, -sin phi sin lam, cos phi)`` complete the topocentric horizon (ENU, Vallado's
SEZ with other axis names) frame of Vallado, *Fundamentals of Astrodynamics and Applications*,
4th ed. (2013), ch. 3 (topocentric horizon system) and ch. 4 (algorithm RAZEL). For a satellite at
Earth-fixed ``s`` and a station at ``g``, ``d = s - g``:

* slant range ``rho = |d|``,
* sine of the elevation ``sin E = (d . u) / rho`` and ``E = asin(sin E)``,
* azimuth ``atan2(d . e, d . n)`` (clockwise from north; :func:`look_angles`).

A satellite is *visible* from a station when ``E >= E_min`` and/or ``rho <= rho_max`` (both when
both are configured). The elevation test is made on ``sin E >= sin E_min`` (the same set; only
+, -, *, / and sqrt, so per-sample values are exact IEEE results, identical in the compiled
kernel, the NumPy blocks and the gathered pairs, and contact times do not depend on how the run is
chunked). Hypatia-style studies (Kassing et al., "Exploring the 'Internet from space' with
Hypatia", ACM IMC 2020) use the elevation criterion: 25 deg for Starlink, 30 deg for Kuiper,
10 deg for Telesat.

Closed form (spherical Earth of radius R, circular orbit of altitude h; law of cosines in the
Earth-centre, station, satellite triangle, e.g. Wertz & Larson, *Space Mission Analysis and
Design*, 3rd ed., sec. 5.2): the slant range at elevation E is
``rho = -R sin E + sqrt(R^2 sin^2 E + 2 R h + h^2)`` (:func:`max_slant_range_m`). The geodetic
vertical is tilted from the geocentric radial by at most 0.1924 deg (WGS-84, 45 deg latitude), so
the same formula with ``E - 0.2 deg`` and the station's geocentric radius bounds the range of every
satellite seen above ``E`` (:func:`_kd_radius_m`). The sparse path bins satellite samples by
geocentric radius (100 km bands), puts each band in a KD-tree (``scipy.spatial.cKDTree``), takes
each station's candidates within that bound and evaluates the exact geometry. The dense path
evaluates every pair, compiled with numba when it imports (NumPy blocks otherwise).

Contact windows (:class:`ContactTracker`) are runs of visible samples per (station, satellite).
Start and end are the zero of the visibility margin ``m`` between the last invisible and the first
visible sample, ``t = (k + f) * step`` with ``k`` the absolute step index: linear,
``f = m_k / (m_k - m_{k+1})`` as the shadow crossings in :mod:`orbitcloud.sim.engine` (default),
or quadratic through ``m_{k-1}, m_k, m_{k+1}``. The margin is ``sin E - sin E_min`` and/or
``(rho_max - rho) / rho_max`` (their minimum when both apply). The tracker takes time chunks in
order and carries open windows and the last two samples across chunks, so its table is
bit-identical for any chunking (``tests/network/test_ground.py``). ``max_elevation_deg`` is the
highest *sampled* elevation.

Station limits (:func:`assign_links`): at most ``max_tracked`` satellites per station and step,
chosen by highest elevation (ties: lower satellite index); each used link gets the station's
downlink/uplink rate (``rate_sharing="per_link"``) or an equal share of it
(``rate_sharing="per_station"``).

No terrain masks, no atmospheric refraction (optical refraction is 0.035 deg at 25 deg elevation
and 0.09 deg at 10 deg, Bennett 1982; radio refraction is larger), no weather outage of optical
terminals; positions are Earth-fixed (PEF ~ ITRF, see :mod:`orbitcloud.ephemeris.frames`). See
``docs/ground.md``.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from orbitcloud.constants import WGS84_A_M
from orbitcloud.ephemeris.frames import geodetic_to_ecef
from orbitcloud import accel
from orbitcloud.accel import lazy_njit
from orbitcloud.errors import OrbitcloudError, ScenarioError

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

#: Largest angle [deg] between the WGS-84 geodetic vertical and the geocentric radial of a point
#: near the surface (0.1924 deg at 45 deg latitude), rounded up; margin of the KD-tree radius.
MAX_VERTICAL_DEFLECTION_DEG = 0.2
#: Satellite samples per block of the dense path (5 float64 buffers of this size stay in L2).
DENSE_BLOCK_PAIRS = 1 << 15
#: Satellite samples per KD-tree of the sparse path (about 100 MB of tree and points).
KD_POINTS = 1 << 21
#: Width [m] of the geocentric-radius bands of the sparse path (one KD-tree and radius per band).
KD_BAND_M = 100e3
#: Station-satellite samples per visibility mask of the compiled dense path (16 MB of bool).
MASK_BLOCK = 1 << 24
#: ``method="auto"`` uses the dense path up to this many station-satellite pairs per step.
AUTO_DENSE_PAIRS = 1 << 22
_NO_LIMIT = np.iinfo(np.int64).max
_SEP = re.compile(r"[\s_\-]+")


def _norm_name(name: str) -> str:
    """Lookup key of a station name: case-folded, runs of spaces/underscores/hyphens as one '-'."""
    return _SEP.sub("-", name.strip()).casefold()


_PAREN = re.compile(r"^(.*?)[\s_-]*\(([^)]*)\)\s*$")


def _name_index(names: Sequence[str]) -> dict[str, int]:
    """Lookup keys -> station index: each full name, and for names such as ``Mumbai (Bombay)`` or
    ``Kinki M.M.A. (Osaka)`` also the part before the parentheses and the part inside them, unless
    another station has that name or alias (an ambiguous alias is left out)."""
    index = {_norm_name(name): i for i, name in enumerate(names)}
    alias: dict[str, int | None] = {}
    for i, name in enumerate(names):
        m = _PAREN.match(str(name))
        if not m:
            continue
        for part in (m.group(1), m.group(2)):
            key = _norm_name(part)
            if key and key not in index:
                alias[key] = None if key in alias and alias[key] != i else i
    index.update({k: v for k, v in alias.items() if v is not None})
    return index


# --------------------------------------------------------------------------------------------------
# Stations
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class Stations:
    """Ground stations as a struct of arrays (SI: radians, metres).

    ``ids`` int64 (n,), ``names`` (n,) unique case-insensitively, ``lat_rad``/``lon_rad`` WGS-84
    geodetic (longitude wrapped to [-pi, pi)), ``alt_m`` height above the ellipsoid, ``ecef_m``
    (n, 3) Earth-fixed position. ``source`` names where they came from (for error messages).
    ``east``/``north``/``up`` (n, 3) are the local ENU unit vectors (``up`` = ellipsoid normal).
    """

    ids: np.ndarray
    names: list[str]
    lat_rad: np.ndarray
    lon_rad: np.ndarray
    alt_m: np.ndarray
    ecef_m: np.ndarray
    source: str = "stations"
    east: np.ndarray = dataclasses.field(init=False, repr=False)
    north: np.ndarray = dataclasses.field(init=False, repr=False)
    up: np.ndarray = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.names)
        for key in ("ids", "lat_rad", "lon_rad", "alt_m"):
            if np.shape(getattr(self, key)) != (n,):
                raise ValueError(f"Stations.{key} must have shape ({n},), got {np.shape(getattr(self, key))}")
        if np.shape(self.ecef_m) != (n, 3):
            raise ValueError(f"Stations.ecef_m must have shape ({n}, 3), got {np.shape(self.ecef_m)}")
        sp, cp = np.sin(self.lat_rad), np.cos(self.lat_rad)
        sl, cl = np.sin(self.lon_rad), np.cos(self.lon_rad)
        object.__setattr__(self, "east", np.stack([-sl, cl, np.zeros(n)], axis=1))
        object.__setattr__(self, "north", np.stack([-sp * cl, -sp * sl, cp], axis=1))
        object.__setattr__(self, "up", np.stack([cp * cl, cp * sl, sp], axis=1))
        object.__setattr__(self, "_index", _name_index(self.names))

    @classmethod
    def from_geodetic(
        cls, ids: Sequence[int] | np.ndarray, names: Sequence[str], lat_rad, lon_rad, alt_m, source: str = "stations"
    ) -> "Stations":
        """Stations from WGS-84 geodetic coordinates (longitude wrapped to [-pi, pi))."""
        lat = np.asarray(lat_rad, dtype=np.float64).reshape(-1)
        lon = np.asarray(lon_rad, dtype=np.float64).reshape(-1)
        lon = (lon + math.pi) % (2.0 * math.pi) - math.pi
        alt = np.asarray(alt_m, dtype=np.float64).reshape(-1)
        return cls(
            ids=np.asarray(ids, dtype=np.int64).reshape(-1), names=list(names), lat_rad=lat, lon_rad=lon, alt_m=alt,
            ecef_m=geodetic_to_ecef(lat, lon, alt).reshape(-1, 3), source=source,
        )

    def __len__(self) -> int:
        return len(self.names)

    def subset(self, indices: Sequence[int] | np.ndarray) -> "Stations":
        """The stations at ``indices`` (in that order)."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        return Stations(
            ids=self.ids[idx], names=[self.names[i] for i in idx], lat_rad=self.lat_rad[idx], lon_rad=self.lon_rad[idx],
            alt_m=self.alt_m[idx], ecef_m=self.ecef_m[idx], source=self.source,
        )

    def find(self, names: str | Iterable[str]) -> np.ndarray:
        """Indices (int64) of stations by name, case-insensitive (spaces, '_' and '-' alike).

        An unknown name raises :class:`ScenarioError` naming the closest known names (difflib).
        """
        if isinstance(names, str):
            names = [names]
        index: dict[str, int] = self._index  # type: ignore[attr-defined]
        out = []
        for name in names:
            i = index.get(_norm_name(str(name)))
            if i is None:
                near = difflib.get_close_matches(_norm_name(str(name)), list(index), n=3, cutoff=0.6)
                hint = "; did you mean " + " or ".join(repr(self.names[index[k]]) for k in near) + "?" if near else ""
                raise ScenarioError(f"{self.source}: unknown ground station {str(name)!r} ({len(self)} stations){hint}")
            out.append(i)
        return np.asarray(out, dtype=np.int64)

    def index(self, name: str) -> int:
        """Index of one station by name (see :meth:`find`)."""
        return int(self.find([name])[0])


def _bad(where: str, what: str, text: object) -> ScenarioError:
    return ScenarioError(f"{where}: {what} (got {str(text)!r})")


def _parse_float(where: str, field: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _bad(where, f"{field} must be a number", text) from None
    if not math.isfinite(value):
        raise _bad(where, f"{field} must be a finite number", text)
    return value


def _check_geo(where: str, lat_deg: float, lon_deg: float, elev_m: float, texts: tuple[object, object, object]) -> None:
    if not -90.0 <= lat_deg <= 90.0:
        raise _bad(where, "latitude must be in [-90, 90] degrees", texts[0])
    if not -180.0 <= lon_deg < 360.0:
        raise _bad(where, "longitude must be in [-180, 360) degrees", texts[1])
    if not -1.0e4 <= elev_m <= 1.0e5:
        raise _bad(where, "elevation must be in [-10000, 100000] m above the WGS-84 ellipsoid", texts[2])


def read_stations_csv(path: str | Path, label: str | None = None) -> Stations:
    """Read a header-less station CSV: ``id,name,lat_deg,lon_deg,elevation_m`` per row (UTF-8).

    Strict: exactly 5 columns, integer id >= 0, non-empty name, finite numbers, latitude in
    [-90, 90], longitude in [-180, 360), elevation in [-10 km, 100 km]; ids and names (case-
    insensitive) unique; blank lines are skipped. Any problem raises :class:`ScenarioError` as
    ``FILE:LINE: what (got 'text')``, with ``FILE`` = ``label`` or the path.
    """
    path = Path(path)
    src = label if label is not None else str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError(f"{src}: ground station file not found (got '{path}')") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{src}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ScenarioError(f"{src}: cannot read the ground station file ({exc.strerror})") from None
    ids: list[int] = []
    names: list[str] = []
    lat: list[float] = []
    lon: list[float] = []
    elev: list[float] = []
    seen_id: dict[int, int] = {}
    seen_name: dict[str, int] = {}
    lines = text.splitlines()
    reader = csv.reader(lines, strict=True)
    lineno = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _bad(f"{src}:{reader.line_num}", f"malformed CSV ({exc})", lines[reader.line_num - 1]) from None
        lineno = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        where = f"{src}:{lineno}"
        raw = lines[lineno - 1]
        if len(row) != 5:
            raise _bad(where, f"expected 5 columns id,name,lat_deg,lon_deg,elevation_m (no header), found {len(row)}", raw)
        sid, name, slat, slon, selev = (c.strip() for c in row)
        if not re.fullmatch(r"\+?\d+", sid):
            hint = " (the file must have no header row)" if lineno == 1 else ""
            raise _bad(where, f"station id must be a non-negative integer{hint}", sid)
        if not name:
            raise _bad(where, "station name must not be empty", raw)
        la = _parse_float(where, "latitude", slat)
        lo = _parse_float(where, "longitude", slon)
        el = _parse_float(where, "elevation", selev)
        _check_geo(where, la, lo, el, (slat, slon, selev))
        i = int(sid)
        if i in seen_id:
            raise _bad(where, f"duplicate station id, first on line {seen_id[i]}", sid)
        key = _norm_name(name)
        if key in seen_name:
            raise _bad(where, f"duplicate station name (case-insensitive), first on line {seen_name[key]}", name)
        seen_id[i] = lineno
        seen_name[key] = lineno
        ids.append(i)
        names.append(name)
        lat.append(la)
        lon.append(lo)
        elev.append(el)
    if not names:
        raise ScenarioError(f"{src}:1: no ground stations in the file (got an empty file)")
    return Stations.from_geodetic(ids, names, np.radians(lat), np.radians(lon), elev, source=src)


_RECORD_KEYS = ("id", "name", "lat_deg", "lon_deg", "elevation_m")


def stations_from_records(records: Sequence[Mapping[str, object] | object], label: str = "ground.stations") -> Stations:
    """Stations from inline records ``{id?, name, lat_deg, lon_deg, elevation_m?}``.

    Records may be mappings or objects with those attributes (e.g. the scenario's
    ``StationEntry``). A missing ``id`` is the record's position; ``elevation_m`` defaults to 0.
    Errors: ``label[i].key: what (got 'value')``.
    """
    ids: list[int] = []
    names: list[str] = []
    lat: list[float] = []
    lon: list[float] = []
    elev: list[float] = []
    seen_id: dict[int, int] = {}
    seen_name: dict[str, int] = {}
    if not records:
        raise ScenarioError(f"{label}: no ground stations (got an empty list)")
    for i, rec in enumerate(records):
        where = f"{label}[{i}]"
        if isinstance(rec, Mapping):
            extra = sorted(set(rec) - set(_RECORD_KEYS))
            if extra:
                raise _bad(f"{where}.{extra[0]}", "unknown key; expected " + ", ".join(_RECORD_KEYS), rec[extra[0]])
            get = rec.get
        else:
            def get(key, default=None, _r=rec):
                return getattr(_r, key, default)
        for key in ("name", "lat_deg", "lon_deg"):
            if get(key) is None:
                raise ScenarioError(f"{where}: missing {key!r} (got keys {sorted(rec) if isinstance(rec, Mapping) else '-'})")
        name = get("name")
        if not isinstance(name, str) or not name.strip():
            raise _bad(f"{where}.name", "must be a non-empty string", name)
        vals = []
        for key, default in (("lat_deg", None), ("lon_deg", None), ("elevation_m", 0.0)):
            v = get(key, default)
            if v is None:
                v = default
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(float(v)):
                raise _bad(f"{where}.{key}", "must be a finite number", v)
            vals.append(float(v))
        la, lo, el = vals
        for key, v, ok, what in (
            ("lat_deg", la, -90.0 <= la <= 90.0, "must be in [-90, 90] degrees"),
            ("lon_deg", lo, -180.0 <= lo < 360.0, "must be in [-180, 360) degrees"),
            ("elevation_m", el, -1.0e4 <= el <= 1.0e5, "must be in [-10000, 100000] m"),
        ):
            if not ok:
                raise _bad(f"{where}.{key}", what, v)
        sid = get("id")
        if sid is None:
            sid = i
        if isinstance(sid, bool) or not isinstance(sid, (int, np.integer)) or sid < 0:
            raise _bad(f"{where}.id", "must be a non-negative integer", sid)
        sid = int(sid)
        if sid in seen_id:
            raise _bad(f"{where}.id", f"duplicate station id, first at {label}[{seen_id[sid]}]", sid)
        key = _norm_name(name)
        if key in seen_name:
            raise _bad(f"{where}.name", f"duplicate station name (case-insensitive), first at {label}[{seen_name[key]}]", name)
        seen_id[sid] = i
        seen_name[key] = i
        ids.append(sid)
        names.append(name.strip())
        lat.append(la)
        lon.append(lo)
        elev.append(el)
    return Stations.from_geodetic(ids, names, np.radians(lat), np.radians(lon), elev, source=label)


# --------------------------------------------------------------------------------------------------
# Built-in station sets (package data, orbitcloud/catalog)
# --------------------------------------------------------------------------------------------------

#: Prefix naming a shipped station set in ``ground.stations`` and ``--stations`` (``builtin:ksat``).
BUILTIN_PREFIX = "builtin:"


def builtin_station_name(spec: object) -> str | None:
    """The set name of ``"builtin:NAME"`` (stripped, lower case), or None for anything else."""
    if isinstance(spec, str) and spec.strip().lower().startswith(BUILTIN_PREFIX):
        return spec.strip()[len(BUILTIN_PREFIX):].strip().lower()
    return None


def builtin_station_sets() -> dict[str, str]:
    """The shipped station sets: ``builtin:NAME`` -> one-line description (``docs/ground.md``)."""
    from orbitcloud import catalog

    sites = catalog.ground_station_sites()
    out = {
        f"{BUILTIN_PREFIX}{catalog.CITIES_SET}": "the 100 most populous cities (Hypatia, IMC 2020)",
    }
    for name in catalog.station_set_names()[1:]:
        keys = catalog.station_sets()[name]
        out[f"{BUILTIN_PREFIX}{name}"] = f"{len(keys)} sites: " + ", ".join(str(sites[k]["name"]) for k in keys)
    return out


def _unknown_set(name: str, where: str) -> ScenarioError:
    from orbitcloud import catalog

    known = catalog.station_set_names()
    near = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = f"; did you mean '{BUILTIN_PREFIX}{near[0]}'?" if near else ""
    listed = ", ".join(BUILTIN_PREFIX + k for k in known)
    return ScenarioError(f"{where}: unknown built-in station set {BUILTIN_PREFIX + name!r}; known: {listed}{hint}")


def builtin_stations(name: str, label: str | None = None) -> Stations:
    """A shipped station set by name (``"cities-top100"``, ``"ground-stations"``, ``"ksat"`` ...;
    a leading ``builtin:`` is accepted).

    ``cities-top100`` is read from the package's ``cities-top100.csv`` (the file of
    ``../shared/data/ground_stations``, byte for byte); the others are entries of
    ``catalog/ground_stations.yaml``, each with a ``source``, in file order and with the file's ids.
    ``Stations.source`` is ``builtin:NAME`` (``label`` overrides it). An unknown name raises
    :class:`ScenarioError` listing the known sets.
    """
    from importlib import resources

    from orbitcloud import catalog

    key = builtin_station_name(name)
    key = key if key is not None else str(name).strip().lower()
    src = label if label is not None else f"{BUILTIN_PREFIX}{key}"
    sets = catalog.station_sets()
    if key not in sets:
        raise _unknown_set(key, label if label is not None else "ground.stations")
    if key == catalog.CITIES_SET:
        with resources.as_file(catalog.cities_csv()) as path:
            return read_stations_csv(path, label=src)
    sites = catalog.ground_station_sites()
    records = [{f: sites[k][f] for f in _RECORD_KEYS if f in sites[k]} for k in sets[key]]
    return stations_from_records(records, label=src)


def stations_from_spec(
    spec: str | Path | Sequence[Mapping[str, object] | object],
    base_dir: str | Path | None = ".",
    label: str = "ground.stations",
) -> Stations:
    """Stations from what a scenario's ``ground.stations`` (or ``--stations``) may hold.

    ``"builtin:NAME"``: a shipped set (:func:`builtin_stations`); any other string or path: a
    station CSV (:func:`read_stations_csv`), relative paths taken relative to ``base_dir``; a list:
    inline records (:func:`stations_from_records`, errors labelled ``label[i].key``). CSV errors
    name the path as written.
    """
    name = builtin_station_name(spec)
    if name is not None:
        from orbitcloud import catalog

        if name not in catalog.station_sets():
            raise _unknown_set(name, label)
        return builtin_stations(name)
    if isinstance(spec, (str, Path)):
        path = Path(spec).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        return read_stations_csv(path, label=str(spec) if not Path(spec).is_absolute() else None)
    return stations_from_records(list(spec), label=label)


# --------------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------------


def max_slant_range_m(alt_m, min_elevation_deg, earth_radius_m: float = WGS84_A_M):
    """Slant range [m] to a satellite at altitude ``alt_m`` seen at elevation ``min_elevation_deg``.

    Spherical Earth of radius ``earth_radius_m`` (law of cosines in the centre-station-satellite
    triangle; Vallado, Fundamentals of Astrodynamics, sec. 11.3):
    ``rho = -R sin E + sqrt(R^2 sin^2 E + 2 R h + h^2)``. It is the largest range at which a
    circular orbit of altitude h is seen at or above E. Broadcasts; returns float or ndarray.
    """
    r = float(earth_radius_m)
    h = np.asarray(alt_m, dtype=np.float64)
    s = np.sin(np.radians(np.asarray(min_elevation_deg, dtype=np.float64)))
    out = -r * s + np.sqrt(r * r * s * s + 2.0 * r * h + h * h)
    return float(out) if out.ndim == 0 else out


@dataclasses.dataclass(frozen=True)
class Criterion:
    """Visibility criterion: ``elevation >= min_elevation_deg`` and/or ``range <= max_range_m``."""

    min_elevation_deg: float | None = None
    max_range_m: float | None = None

    def __post_init__(self) -> None:
        e, r = self.min_elevation_deg, self.max_range_m
        if e is None and r is None:
            raise OrbitcloudError("ground visibility: give min_elevation_deg and/or max_range_m (got neither)")
        if e is not None and not (math.isfinite(e) and -90.0 <= e <= 90.0):
            raise OrbitcloudError(f"ground visibility: min_elevation_deg must be in [-90, 90] (got {e!r})")
        if r is not None and not (math.isfinite(r) and r > 0.0):
            raise OrbitcloudError(f"ground visibility: max_range_m must be a positive finite number (got {r!r})")

    @property
    def sin_min(self) -> float | None:
        return None if self.min_elevation_deg is None else math.sin(math.radians(self.min_elevation_deg))

    def margin(self, sin_el: np.ndarray, range_m: np.ndarray) -> np.ndarray:
        """Visibility margin, >= 0 exactly where visible (NaN for invalid positions)."""
        h = None
        if self.min_elevation_deg is not None:
            h = sin_el - self.sin_min
        if self.max_range_m is not None:
            hr = (self.max_range_m - range_m) / self.max_range_m
            h = hr if h is None else np.minimum(h, hr)
        return h


def _as_positions(x_m, y_m, z_m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """float64 C-contiguous (n_sat, T) copies/views (the compiled kernels vectorise on those)."""
    x = np.ascontiguousarray(x_m, dtype=np.float64)
    y = np.ascontiguousarray(y_m, dtype=np.float64)
    z = np.ascontiguousarray(z_m, dtype=np.float64)
    if x.ndim == 1:
        x, y, z = x[:, None], y[:, None], z[:, None]
    if x.ndim != 2 or x.shape != y.shape or x.shape != z.shape:
        raise ValueError(f"positions must be (n_sat, T) arrays of one shape, got {x.shape}, {y.shape}, {z.shape}")
    return x, y, z


def _sin_el_range(gx, gy, gz, ux, uy, uz, x, y, z):
    """sin(elevation) and slant range [m]: d = s - g, rho = |d|, sin E = (d . u) / rho.

    One sequence of IEEE operations whatever the shapes (broadcast blocks or gathered pairs), so
    the dense and the sparse paths give bit-identical values.
    """
    dx = x - gx
    dy = y - gy
    dz = z - gz
    rng = np.sqrt(dx * dx + dy * dy + dz * dz)
    s = (dx * ux + dy * uy + dz * uz) / rng
    return s, rng


def _elev_rad(sin_el: np.ndarray) -> np.ndarray:
    return np.arcsin(np.clip(sin_el, -1.0, 1.0))


def look_angles(stations: Stations, x_m, y_m, z_m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Azimuth [rad, clockwise from north, in [0, 2 pi)], elevation [rad] and range [m].

    Dense, shape (n_st, n_sat, T) for positions (n_sat, T) per coordinate (Vallado Alg. 27).
    """
    x, y, z = _as_positions(x_m, y_m, z_m)
    g = stations.ecef_m[:, :, None, None]
    dx, dy, dz = x[None] - g[:, 0], y[None] - g[:, 1], z[None] - g[:, 2]
    e, n, u = (v[:, :, None, None] for v in (stations.east, stations.north, stations.up))
    de = dx * e[:, 0] + dy * e[:, 1] + dz * e[:, 2]
    dn = dx * n[:, 0] + dy * n[:, 1] + dz * n[:, 2]
    du = dx * u[:, 0] + dy * u[:, 1] + dz * u[:, 2]
    az = np.mod(np.arctan2(de, dn), 2.0 * math.pi)
    el = np.arctan2(du, np.hypot(de, dn))
    return az, el, np.sqrt(dx * dx + dy * dy + dz * dz)


def _nonzero3(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 3-D array via the flat index (several times faster), int64."""
    f = np.flatnonzero(mask)
    _, n1, n2 = mask.shape
    i, r = np.divmod(f, n1 * n2)
    j, k = np.divmod(r, n2)
    return i, j, k


class Visibility(NamedTuple):
    """Dense visibility: arrays (n_st, n_sat, T)."""

    visible: np.ndarray  # bool
    elevation_rad: np.ndarray
    range_m: np.ndarray

    def to_sparse(self) -> "SparseVisibility":
        st, sat, k = _nonzero3(self.visible)
        return SparseVisibility(
            st.astype(np.int64), sat.astype(np.int64), k.astype(np.int64), self.elevation_rad[st, sat, k], self.range_m[st, sat, k]
        )


class SparseVisibility(NamedTuple):
    """Visible (station, satellite, step) triples, sorted by station, satellite, step (int64 index
    arrays; ``step`` counts from the first column of the positions given) and their geometry."""

    station: np.ndarray
    sat: np.ndarray
    step: np.ndarray
    elevation_rad: np.ndarray
    range_m: np.ndarray


def _mask_kernel_py(x, y, z, g, u, sin_min, max_r, vis):  # pragma: no cover - compiled
    """All-pairs visibility (compiled by numba): for station i, satellite j, column k the
    operations of :func:`_sin_el_range` in the same order (no fast-math, so the same bits), then
    ``vis[i, j, k] = s >= sin_min and range <= max_r`` (``-inf``/``inf`` for an unused criterion;
    NaN positions give False). Branch-free, so LLVM vectorises it."""
    n_sat, n_t = x.shape
    for i in range(g.shape[0]):
        gx = g[i, 0]
        gy = g[i, 1]
        gz = g[i, 2]
        ux = u[i, 0]
        uy = u[i, 1]
        uz = u[i, 2]
        for j in range(n_sat):
            for k in range(n_t):
                dx = x[j, k] - gx
                dy = y[j, k] - gy
                dz = z[j, k] - gz
                rng = math.sqrt(dx * dx + dy * dy + dz * dz)
                sv = (dx * ux + dy * uy + dz * uz) / rng
                vis[i, j, k] = (sv >= sin_min) & (rng <= max_r)


def _values_kernel_py(x, y, z, g, u, sin_min, max_r, vis, s_out, r_out):  # pragma: no cover - compiled
    """:func:`_mask_kernel_py` that also stores sin(elevation) and the range."""
    n_sat, n_t = x.shape
    for i in range(g.shape[0]):
        gx = g[i, 0]
        gy = g[i, 1]
        gz = g[i, 2]
        ux = u[i, 0]
        uy = u[i, 1]
        uz = u[i, 2]
        for j in range(n_sat):
            for k in range(n_t):
                dx = x[j, k] - gx
                dy = y[j, k] - gy
                dz = z[j, k] - gz
                rng = math.sqrt(dx * dx + dy * dy + dz * dz)
                sv = (dx * ux + dy * uy + dz * uz) / rng
                vis[i, j, k] = (sv >= sin_min) & (rng <= max_r)
                s_out[i, j, k] = sv
                r_out[i, j, k] = rng


_mask_kernel = lazy_njit(_mask_kernel_py, cache=True, nogil=True, error_model="numpy")
_values_kernel = lazy_njit(_values_kernel_py, cache=True, nogil=True, error_model="numpy")


def _numba_on(use_numba: bool | None) -> bool:
    if use_numba is None:
        return accel.use_numba()
    if use_numba and not accel.numba_installed():
        raise RuntimeError("use_numba=True but numba is not installed")
    return bool(use_numba)


def _run_pairs_kernel(stations: Stations, x, y, z, crit: Criterion, vis, s_out=None, r_out=None) -> None:
    sin_min = -math.inf if crit.sin_min is None else crit.sin_min
    max_r = math.inf if crit.max_range_m is None else float(crit.max_range_m)
    if s_out is None:
        _mask_kernel()(x, y, z, stations.ecef_m, stations.up, sin_min, max_r, vis)
    else:
        _values_kernel()(x, y, z, stations.ecef_m, stations.up, sin_min, max_r, vis, s_out, r_out)


class _DenseKernel:
    """Blocked all-pairs geometry with preallocated buffers: one station x a block of satellites x
    a slab of columns (about ``DENSE_BLOCK_PAIRS`` samples).

    Performs exactly the IEEE operations of :func:`_sin_el_range` in the same order (in place),
    so its values equal the gathered path's bit for bit.
    """

    def __init__(self, stations: Stations, x: np.ndarray, y: np.ndarray, z: np.ndarray, crit: Criterion) -> None:
        self.stations, self.x, self.y, self.z, self.crit = stations, x, y, z, crit
        n_sat, n_t = x.shape
        self.s_block = int(max(1, min(n_sat, DENSE_BLOCK_PAIRS)))
        self.t_block = int(min(n_t, max(1, DENSE_BLOCK_PAIRS // self.s_block)))
        shape = (self.s_block, self.t_block)
        self._buf = [np.empty(shape) for _ in range(5)]
        self._vis = [np.empty(shape, dtype=bool) for _ in range(2)]

    def blocks(self) -> Iterator[tuple[int, int, int, int, int, np.ndarray, np.ndarray, np.ndarray]]:
        """Yield (station i, satellites s0:s1, columns c0:c1, sin_el, range_m, visible); the arrays
        are views of reused buffers, valid until the next block."""
        n_sat, n_t = self.x.shape
        g, u = self.stations.ecef_m, self.stations.up
        crit = self.crit
        sin_min, max_r = crit.sin_min, crit.max_range_m
        for s0 in range(0, n_sat, self.s_block):
            s1 = min(n_sat, s0 + self.s_block)
            for c0 in range(0, n_t, self.t_block):
                c1 = min(n_t, c0 + self.t_block)
                x, y, z = self.x[s0:s1, c0:c1], self.y[s0:s1, c0:c1], self.z[s0:s1, c0:c1]
                dx, dy, dz, rng, s = (b[: s1 - s0, : c1 - c0] for b in self._buf)
                v, v2 = (b[: s1 - s0, : c1 - c0] for b in self._vis)
                for i in range(len(self.stations)):
                    np.subtract(x, g[i, 0], out=dx)
                    np.subtract(y, g[i, 1], out=dy)
                    np.subtract(z, g[i, 2], out=dz)
                    np.multiply(dx, dx, out=rng)
                    np.multiply(dy, dy, out=s)
                    np.add(rng, s, out=rng)
                    np.multiply(dz, dz, out=s)
                    np.add(rng, s, out=rng)
                    np.sqrt(rng, out=rng)
                    np.multiply(dx, u[i, 0], out=dx)
                    np.multiply(dy, u[i, 1], out=dy)
                    np.add(dx, dy, out=dx)
                    np.multiply(dz, u[i, 2], out=dz)
                    np.add(dx, dz, out=dx)
                    np.divide(dx, rng, out=s)
                    # same set as margin >= 0 (a - b >= 0 iff a >= b in IEEE arithmetic)
                    if sin_min is not None:
                        np.greater_equal(s, sin_min, out=v)
                        if max_r is not None:
                            np.less_equal(rng, max_r, out=v2)
                            np.logical_and(v, v2, out=v)
                    else:
                        np.less_equal(rng, max_r, out=v)
                    yield i, s0, s1, c0, c1, s, rng, v


def visibility(
    stations: Stations, x_m, y_m, z_m, min_elevation_deg: float | None = None, max_range_m: float | None = None,
    sparse: bool = False, use_numba: bool | None = None,
) -> Visibility | SparseVisibility:
    """Which satellites each station sees, with elevation [rad] and slant range [m].

    ``x_m, y_m, z_m``: Earth-fixed positions, (n_sat, T) (or (n_sat,) for one step); NaN
    positions are never visible. Visible where ``elevation >= min_elevation_deg`` and/or
    ``range <= max_range_m`` (both when both are given; at least one is required).

    Dense (default): :class:`Visibility` of (n_st, n_sat, T) arrays (17 bytes per pair: 100
    stations x 1,156 satellites x 64 steps is 126 MB). ``sparse=True``: :class:`SparseVisibility`
    (see :func:`visibility_sparse`), for large constellations. ``use_numba``: the compiled
    all-pairs kernel (default when numba imports) or the blocked NumPy path (same values).
    """
    crit = Criterion(min_elevation_deg, max_range_m)
    if sparse:
        return visibility_sparse(stations, x_m, y_m, z_m, min_elevation_deg, max_range_m, use_numba=use_numba)
    x, y, z = _as_positions(x_m, y_m, z_m)
    shape = (len(stations),) + x.shape
    vis = np.empty(shape, dtype=bool)
    el = np.empty(shape)
    rng_out = np.empty(shape)
    if _numba_on(use_numba):
        _run_pairs_kernel(stations, x, y, z, crit, vis, el, rng_out)
        np.minimum(el, 1.0, out=el)
        np.maximum(el, -1.0, out=el)
        with np.errstate(invalid="ignore"):
            np.arcsin(el, out=el)
        return Visibility(vis, el, rng_out)
    with np.errstate(invalid="ignore", divide="ignore"):
        for i, s0, s1, c0, c1, s, rng, v in _DenseKernel(stations, x, y, z, crit).blocks():
            vis[i, s0:s1, c0:c1] = v
            np.minimum(s, 1.0, out=s)
            np.maximum(s, -1.0, out=s)
            np.arcsin(s, out=el[i, s0:s1, c0:c1])
            rng_out[i, s0:s1, c0:c1] = rng
    return Visibility(vis, el, rng_out)


def _kd_radius_m(stations: Stations, crit: Criterion, r_sat_max_m: float) -> np.ndarray:
    """Per-station search radius [m] that holds every satellite (geocentric radius <= r_sat_max_m)
    meeting the criterion: the spherical slant range at ``E_min - 0.2 deg`` with the station's
    geocentric radius (geodetic and geocentric verticals differ by < 0.1924 deg), and/or max_range."""
    radius = np.full(len(stations), np.inf)
    if crit.min_elevation_deg is not None:
        r_g = np.linalg.norm(stations.ecef_m, axis=1)
        e = math.radians(max(-90.0, crit.min_elevation_deg - MAX_VERTICAL_DEFLECTION_DEG))
        se, ce = math.sin(e), math.cos(e)
        with np.errstate(invalid="ignore"):
            d = np.sqrt(np.maximum(r_sat_max_m * r_sat_max_m - r_g * r_g * ce * ce, 0.0)) - r_g * se
        radius = np.minimum(radius, d * (1.0 + 1e-9) + 1.0)
    if crit.max_range_m is not None:
        radius = np.minimum(radius, crit.max_range_m * (1.0 + 1e-12) + 1e-3)
    # no satellite can be farther than station radius + satellite radius
    return np.minimum(radius, np.linalg.norm(stations.ecef_m, axis=1) + r_sat_max_m + 1.0)


def _visible_triples(
    stations: Stations, x: np.ndarray, y: np.ndarray, z: np.ndarray, crit: Criterion, method: str,
    use_numba: bool | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(station, sat, step, sin_el, range_m, margin) of every visible sample, sorted by station,
    satellite, step. ``method``: "dense" (all pairs: the numba kernel, or blocked NumPy), "kd"
    (KD-tree candidates per altitude band, then the exact test), "auto" (dense with numba, or
    without it up to ``AUTO_DENSE_PAIRS`` pairs a step; else kd)."""
    n_sat, n_t = x.shape
    n_st = len(stations)
    numba_on = _numba_on(use_numba)
    if method == "auto":
        method = "dense" if numba_on or n_st * n_sat <= AUTO_DENSE_PAIRS else "kd"
    parts = []
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "dense" and numba_on:
            s_block = max(1, min(n_sat, MASK_BLOCK // max(n_st, 1)))
            t_block = max(1, min(n_t, MASK_BLOCK // (n_st * s_block)))
            mask = np.empty((n_st, s_block, t_block), dtype=bool)
            for s0 in range(0, n_sat, s_block):
                s1 = min(n_sat, s0 + s_block)
                for c0 in range(0, n_t, t_block):
                    c1 = min(n_t, c0 + t_block)
                    m = mask[:, : s1 - s0, : c1 - c0]
                    _run_pairs_kernel(stations, x[s0:s1, c0:c1], y[s0:s1, c0:c1], z[s0:s1, c0:c1], crit, m)
                    i, j, k = _nonzero3(m)
                    if i.size:
                        j += s0
                        k += c0
                        g, u = stations.ecef_m[i], stations.up[i]
                        sv, rv = _sin_el_range(g[:, 0], g[:, 1], g[:, 2], u[:, 0], u[:, 1], u[:, 2], x[j, k], y[j, k], z[j, k])
                        parts.append((i, j, k, sv, rv, crit.margin(sv, rv)))
        elif method == "dense":
            for i, s0, _s1, c0, _c1, s, rng, v in _DenseKernel(stations, x, y, z, crit).blocks():
                f = np.flatnonzero(v)
                if f.size:
                    j, k = np.divmod(f, v.shape[1])
                    sj, rj = s[j, k], rng[j, k]
                    parts.append((np.full(j.size, i, dtype=np.int64), j + s0, k + c0, sj, rj, crit.margin(sj, rj)))
        elif method == "kd":
            t_block = max(1, KD_POINTS // max(n_sat, 1))
            for c0 in range(0, n_t, t_block):
                c1 = min(n_t, c0 + t_block)
                parts.extend(_kd_slab(stations, x[:, c0:c1], y[:, c0:c1], z[:, c0:c1], crit, c0))
        else:
            raise ValueError(f"method must be 'dense', 'kd' or 'auto', got {method!r}")
    if not parts:
        e = np.zeros(0, dtype=np.int64)
        return e, e.copy(), e.copy(), np.zeros(0), np.zeros(0), np.zeros(0)
    st, sat, k, s, rng, h = (np.concatenate([p[i] for p in parts]) for i in range(6))
    st, sat, k = st.astype(np.int64), sat.astype(np.int64), k.astype(np.int64)
    if len(parts) > 1 or method == "kd":
        order = np.argsort((st * n_sat + sat) * n_t + k, kind="stable")
        st, sat, k, s, rng, h = st[order], sat[order], k[order], s[order], rng[order], h[order]
    return st, sat, k, s, rng, h


def _kd_slab(stations: Stations, x, y, z, crit: Criterion, c0: int) -> list[tuple[np.ndarray, ...]]:
    """Visible triples of one slab of columns by KD-tree: satellite samples are binned by
    geocentric radius (``KD_BAND_M`` wide bands), each band gets its own tree and search radius
    (:func:`_kd_radius_m` for the band's highest sample), candidates get the exact test."""
    from scipy.spatial import cKDTree

    n_st = len(stations)
    w = x.shape[1]
    px, py, pz = x.ravel(), y.ravel(), z.ravel()
    r2 = px * px + py * py + pz * pz
    valid = np.flatnonzero(np.isfinite(r2))
    if valid.size == 0:
        return []
    r = np.sqrt(r2[valid])
    band = ((r - r.min()) // KD_BAND_M).astype(np.int64)
    order = np.argsort(band, kind="stable")
    edges = np.flatnonzero(np.diff(band[order])) + 1
    out = []
    for sel in np.split(order, edges):
        idx = valid[sel]
        pts = np.stack([px[idx], py[idx], pz[idx]], axis=1)
        radius = _kd_radius_m(stations, crit, float(r[sel].max()))
        tree = cKDTree(pts, leafsize=16, balanced_tree=False, compact_nodes=False, copy_data=False)
        lists = tree.query_ball_point(stations.ecef_m, r=radius, return_sorted=False)
        counts = np.fromiter((len(v) for v in lists), dtype=np.int64, count=n_st)
        if counts.sum() == 0:
            continue
        p = idx[np.concatenate([np.asarray(v, dtype=np.int64) for v in lists])]
        st = np.repeat(np.arange(n_st, dtype=np.int64), counts)
        sat, k = np.divmod(p, w)
        g, u = stations.ecef_m[st], stations.up[st]
        s, rng = _sin_el_range(g[:, 0], g[:, 1], g[:, 2], u[:, 0], u[:, 1], u[:, 2], px[p], py[p], pz[p])
        h = crit.margin(s, rng)
        keep = h >= 0.0
        out.append((st[keep], sat[keep], k[keep] + c0, s[keep], rng[keep], h[keep]))
    return out


def visibility_sparse(
    stations: Stations, x_m, y_m, z_m, min_elevation_deg: float | None = None, max_range_m: float | None = None,
    method: str = "auto", use_numba: bool | None = None,
) -> SparseVisibility:
    """Visible (station, satellite, step) triples with elevation [rad] and range [m].

    ``method="kd"``: satellite samples go into a KD-tree (at most ``KD_POINTS`` per tree); each
    station's candidates lie within the slant range bound of :func:`_kd_radius_m` (the spherical
    closed form at ``E_min - 0.2 deg`` for the highest satellite, and/or ``max_range_m``); then
    the exact geometry decides. ``method="dense"`` evaluates every pair (same values, bit for bit).
    """
    crit = Criterion(min_elevation_deg, max_range_m)
    x, y, z = _as_positions(x_m, y_m, z_m)
    st, sat, k, s, rng, _ = _visible_triples(stations, x, y, z, crit, method, use_numba)
    return SparseVisibility(st, sat, k, _elev_rad(s), rng)


# --------------------------------------------------------------------------------------------------
# Contact windows
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Contacts:
    """Contact windows (one row per window), times in seconds from the run start.

    ``station``/``sat``: indices; ``start_s``/``end_s``: interpolated visibility crossings (or the
    run's first/last sample when ``start_clipped``/``end_clipped``); ``max_elevation_deg``: highest
    sampled elevation in the window.
    """

    station: np.ndarray
    sat: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    max_elevation_deg: np.ndarray
    start_clipped: np.ndarray
    end_clipped: np.ndarray

    @classmethod
    def empty(cls) -> "Contacts":
        i = np.zeros(0, dtype=np.int64)
        f = np.zeros(0)
        b = np.zeros(0, dtype=bool)
        return cls(i, i.copy(), f, f.copy(), f.copy(), b, b.copy())

    @classmethod
    def concat(cls, parts: Iterable["Contacts"]) -> "Contacts":
        """All windows of ``parts``, sorted by station, satellite, start (deterministic order)."""
        parts = list(parts)
        if not parts:
            return cls.empty()
        cols = {f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(cls)}
        order = np.lexsort((cols["start_s"], cols["sat"], cols["station"]))
        return cls(**{k: v[order] for k, v in cols.items()})

    def __len__(self) -> int:
        return int(self.station.size)

    @property
    def duration_s(self) -> np.ndarray:
        return self.end_s - self.start_s


INTERPOLATIONS = ("linear", "quadratic")


def _crossing_fraction(m_prev: np.ndarray, m0: np.ndarray, m1: np.ndarray, quadratic: bool) -> np.ndarray:
    """Fraction f in [0, 1] of a step at which the margin crosses zero between samples k and k + 1.

    Linear: ``f = m_k / (m_k - m_{k+1})``. Quadratic: the root in [0, 1] of the parabola through
    ``(-1, m_{k-1}), (0, m_k), (1, m_{k+1})`` (stable form, Numerical Recipes sec. 5.6); linear
    where ``m_{k-1}`` is missing (NaN, or before the run) or no root falls in [0, 1]. Only
    +, -, *, / and sqrt, so the result is the same bits whatever the array layout.
    """
    lin = m0 / (m0 - m1)
    if not quadratic:
        return lin
    b = 0.5 * (m1 - m_prev)
    c = 0.5 * (m1 + m_prev) - m0
    disc = np.maximum(b * b - 4.0 * c * m0, 0.0)
    q = -0.5 * (b + np.copysign(np.sqrt(disc), b))
    r1 = m0 / q
    r2 = q / c
    ok1 = (r1 >= 0.0) & (r1 <= 1.0)
    ok2 = (r2 >= 0.0) & (r2 <= 1.0)
    return np.where(ok1, r1, np.where(ok2, r2, lin))


class ContactTracker:
    """Contact windows of every (station, satellite) pair from time chunks given in order.

    ``add(x_m, y_m, z_m)`` takes Earth-fixed positions (n_sat, T) of the next T steps (step
    ``step_s``, the first chunk starting at step 0 = time 0) and returns the windows that closed in
    it; ``finish()`` returns the windows still open, ended at the last sample (``end_clipped``).
    Windows open at the first sample start at 0 (``start_clipped``). A crossing between absolute
    steps k and k + 1 is at ``(k + f) * step_s`` with ``f`` from the visibility margins at k and
    k + 1 (``interpolation="linear"``, as the shadow crossings of :mod:`orbitcloud.sim.engine`) or
    at k - 1, k and k + 1 (``"quadratic"``); the tracker keeps the last two samples of the previous
    chunk, so the windows are bit-identical for any chunking. A pass entirely between two samples
    is missed. ``method``: "dense", "kd" or "auto" (see :func:`_visible_triples`).
    """

    def __init__(
        self, stations: Stations, step_s: float, min_elevation_deg: float | None = None,
        max_range_m: float | None = None, method: str = "auto", interpolation: str = "linear",
        use_numba: bool | None = None,
    ) -> None:
        if not (math.isfinite(step_s) and step_s > 0.0):
            raise OrbitcloudError(f"contact tracking: step_s must be positive (got {step_s!r})")
        if interpolation not in INTERPOLATIONS:
            raise OrbitcloudError(f"contact tracking: interpolation must be one of {', '.join(INTERPOLATIONS)} (got {interpolation!r})")
        if method not in ("auto", "dense", "kd"):
            raise ValueError(f"method must be 'dense', 'kd' or 'auto', got {method!r}")
        self.stations = stations
        self.step_s = float(step_s)
        self.crit = Criterion(min_elevation_deg, max_range_m)
        self.method = method
        self.quadratic = interpolation == "quadratic"
        self.use_numba = use_numba
        self.n_sat: int | None = None
        self.k_next = 0  # absolute index of the next chunk's first step
        self._hist = np.zeros((0, 0, 3))  # positions of the last (up to) two samples, (n_sat, H, 3)
        self._open_key = np.zeros(0, dtype=np.int64)  # station * n_sat + sat, sorted
        self._open_start_s = np.zeros(0)
        self._open_start_clipped = np.zeros(0, dtype=bool)
        self._open_smax = np.zeros(0)
        self._open_m_last = np.zeros(0)
        self._finished = False

    def _margin_at(self, key: np.ndarray, k_abs: np.ndarray, x, y, z, k0: int) -> np.ndarray:
        """Margin of pairs ``key`` at absolute steps ``k_abs`` (this chunk or the carried samples;
        NaN before the run)."""
        n_sat = self.n_sat
        st, sat = np.divmod(key, n_sat)
        col = k_abs - k0
        n = key.size
        px = np.full(n, np.nan)
        py = np.full(n, np.nan)
        pz = np.full(n, np.nan)
        cur = col >= 0
        if cur.any():
            s_c, c_c = sat[cur], col[cur]
            px[cur], py[cur], pz[cur] = x[s_c, c_c], y[s_c, c_c], z[s_c, c_c]
        h_n = self._hist.shape[1]
        hc = col + h_n
        old = ~cur & (hc >= 0)
        if old.any():
            p = self._hist[sat[old], hc[old]]
            px[old], py[old], pz[old] = p[:, 0], p[:, 1], p[:, 2]
        g, u = self.stations.ecef_m[st], self.stations.up[st]
        s, rng = _sin_el_range(g[:, 0], g[:, 1], g[:, 2], u[:, 0], u[:, 1], u[:, 2], px, py, pz)
        return self.crit.margin(s, rng)

    def _cross_s(self, key, k_before: np.ndarray, m0: np.ndarray, m1: np.ndarray, fallback_s: np.ndarray, x, y, z, k0) -> np.ndarray:
        """Time [s] of the margin's zero between absolute steps k and k + 1 (``fallback_s`` where a
        bracketing sample is invalid)."""
        m_prev = self._margin_at(key, k_before - 1, x, y, z, k0) if self.quadratic else None
        f = _crossing_fraction(m_prev, m0, m1, self.quadratic)
        t = (k_before.astype(np.float64) + f) * self.step_s
        return np.where(np.isfinite(f), t, fallback_s)

    def add(self, x_m, y_m, z_m) -> Contacts:
        """Process the next chunk of positions (n_sat, T); return the windows closed in it."""
        if self._finished:
            raise RuntimeError("ContactTracker.add after finish()")
        x, y, z = _as_positions(x_m, y_m, z_m)
        n_sat, n_t = x.shape
        if self.n_sat is None:
            self.n_sat = n_sat
            self._hist = np.zeros((n_sat, 0, 3))
        elif n_sat != self.n_sat:
            raise ValueError(f"chunk has {n_sat} satellites, the tracker {self.n_sat}")
        if n_t == 0:
            return Contacts.empty()
        k0 = self.k_next
        step = self.step_s
        with np.errstate(invalid="ignore", divide="ignore"):
            closed = self._add(x, y, z, n_sat, n_t, k0, step)
        last = np.stack([x[:, -2:], y[:, -2:], z[:, -2:]], axis=2)
        self._hist = np.concatenate([self._hist, last], axis=1)[:, -2:]
        self.k_next = k0 + n_t
        return closed

    def _add(self, x, y, z, n_sat: int, n_t: int, k0: int, step: float) -> Contacts:
        st, sat, j, s, _rng, m = _visible_triples(self.stations, x, y, z, self.crit, self.method, self.use_numba)
        key = st * n_sat + sat
        n = key.size
        if n:
            brk = (key[1:] != key[:-1]) | (j[1:] != j[:-1] + 1)
            a = np.flatnonzero(np.concatenate([[True], brk]))  # first element of each run
            b = np.concatenate([a[1:] - 1, [n - 1]])  # last element of each run
            seg_key, ja, jb = key[a], j[a], j[b]
            seg_smax = np.maximum.reduceat(s, a)
            ma, mb = m[a], m[b]
        else:
            seg_key = ja = jb = np.zeros(0, dtype=np.int64)
            seg_smax = ma = mb = np.zeros(0)
        # runs at the chunk's first sample continue windows open at the previous last sample
        open_key = self._open_key
        cont = np.zeros(seg_key.size, dtype=bool)
        pos = np.zeros(seg_key.size, dtype=np.int64)
        continued = np.zeros(open_key.size, dtype=bool)
        if open_key.size:
            pos = np.minimum(np.searchsorted(open_key, seg_key), open_key.size - 1)
            cont = (ja == 0) & (open_key[pos] == seg_key)
            continued[pos[cont]] = True
        start_s = np.empty(seg_key.size)
        start_clipped = np.zeros(seg_key.size, dtype=bool)
        if cont.any():
            oi = pos[cont]
            start_s[cont] = self._open_start_s[oi]
            start_clipped[cont] = self._open_start_clipped[oi]
            seg_smax[cont] = np.maximum(seg_smax[cont], self._open_smax[oi])
        fresh = ~cont
        at_run_start = fresh & (ja == 0) & (k0 == 0)
        start_s[at_run_start] = 0.0
        start_clipped[at_run_start] = True
        new = fresh & ~at_run_start
        if new.any():
            kv = k0 + ja[new]  # first visible sample
            m_prev = self._margin_at(seg_key[new], kv - 1, x, y, z, k0)
            start_s[new] = self._cross_s(seg_key[new], kv - 1, m_prev, ma[new], kv.astype(np.float64) * step, x, y, z, k0)
        parts = []
        # windows open at the previous chunk's last sample and not visible at this chunk's first
        ended = ~continued
        if ended.any():
            okey = open_key[ended]
            kb = np.full(okey.size, k0 - 1, dtype=np.int64)
            m1 = self._margin_at(okey, kb + 1, x, y, z, k0)
            end_s = self._cross_s(okey, kb, self._open_m_last[ended], m1, kb.astype(np.float64) * step, x, y, z, k0)
            ost, osat = np.divmod(okey, n_sat)
            parts.append(Contacts(
                ost, osat, self._open_start_s[ended], end_s, np.degrees(_elev_rad(self._open_smax[ended])),
                self._open_start_clipped[ended], np.zeros(okey.size, dtype=bool),
            ))
        # runs ending inside the chunk close; those reaching its last sample stay open
        closes = jb < n_t - 1
        if closes.any():
            ck = seg_key[closes]
            kb = k0 + jb[closes]  # last visible sample
            m_next = self._margin_at(ck, kb + 1, x, y, z, k0)
            end_s = self._cross_s(ck, kb, mb[closes], m_next, kb.astype(np.float64) * step, x, y, z, k0)
            cst, csat = np.divmod(ck, n_sat)
            parts.append(Contacts(
                cst, csat, start_s[closes], end_s, np.degrees(_elev_rad(seg_smax[closes])), start_clipped[closes],
                np.zeros(ck.size, dtype=bool),
            ))
        stay = ~closes
        self._open_key = seg_key[stay]
        self._open_start_s = start_s[stay]
        self._open_start_clipped = start_clipped[stay]
        self._open_smax = seg_smax[stay]
        self._open_m_last = mb[stay]
        return Contacts.concat(parts)

    def finish(self) -> Contacts:
        """Close the windows still open at the last sample (``end_clipped``) and return them."""
        self._finished = True
        n = self._open_key.size
        if n == 0 or self.n_sat is None:
            return Contacts.empty()
        st, sat = np.divmod(self._open_key, self.n_sat)
        out = Contacts(
            st, sat, self._open_start_s, np.full(n, (self.k_next - 1) * self.step_s),
            np.degrees(_elev_rad(self._open_smax)), self._open_start_clipped, np.ones(n, dtype=bool),
        )
        self._open_key = np.zeros(0, dtype=np.int64)
        return Contacts.concat([out])


def contact_windows(
    stations: Stations, chunks: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]], step_s: float,
    min_elevation_deg: float | None = None, max_range_m: float | None = None, method: str = "auto",
    interpolation: str = "linear", use_numba: bool | None = None,
) -> Contacts:
    """All contact windows of a run given as position chunks ``(x_m, y_m, z_m)`` in time order,
    sorted by station, satellite, start (see :class:`ContactTracker`)."""
    tracker = ContactTracker(stations, step_s, min_elevation_deg, max_range_m, method, interpolation, use_numba)
    parts = [tracker.add(*c) for c in chunks]
    parts.append(tracker.finish())
    return Contacts.concat(parts)


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
    "per_station" (the station's rate is split equally among its links of the step)."""

    max_tracked: np.ndarray
    downlink_bps: np.ndarray
    uplink_bps: np.ndarray
    terminal: tuple[str, ...]
    rate_sharing: str = "per_link"

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
        terminal: str = "rf", rate_sharing: str = "per_link",
    ) -> "StationLimits":
        """The same limits at every station (``max_tracked=None``: unlimited)."""
        mt = _NO_LIMIT if max_tracked is None else int(max_tracked)
        return cls(
            np.full(n_stations, mt, dtype=np.int64), np.full(n_stations, float(downlink_bps)),
            np.full(n_stations, float(uplink_bps)), (terminal,) * n_stations, rate_sharing,
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
    highest elevation first (ties: lower satellite index), and give them their rates.

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
    )
    return GroundSegment(
        stations, limits, getattr(ground, "min_elevation_deg", None), None if max_range_km is None else float(max_range_km) * 1e3
    )
