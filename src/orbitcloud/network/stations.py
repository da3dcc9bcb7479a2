"""Ground stations: the :class:`Stations` struct of arrays and where stations come from.

Part of the ground segment (:mod:`orbitcloud.network.ground`, which re-exports these names; see
``docs/ground.md``). Stations are a struct of arrays (:class:`Stations`) read strictly from a
header-less CSV (``id,name,lat_deg,lon_deg,elevation_m``, the format of Hypatia's
``cities-top100.csv``; Kassing et al., "Exploring the 'Internet from space' with Hypatia", ACM IMC
2020), built from inline records, or taken from a set shipped with the package
(``builtin:cities-top100``, ``builtin:ground-stations``, ``builtin:ksat`` ...;
:func:`builtin_stations`, :func:`stations_from_spec`; the sets and their sources are in
``orbitcloud/catalog``).

Geometry is WGS-84 (NIMA TR8350.2): a station's position is ``geodetic_to_ecef`` and its local *up*
is the ellipsoid normal (geodetic vertical), ``u = (cos phi cos lam, cos phi sin lam, sin phi)``;
east ``(-sin lam, cos lam, 0)`` and north ``(-sin phi cos lam, -sin phi sin lam, cos phi)``
complete the topocentric horizon (ENU, Vallado's SEZ with other axis names) frame of Vallado,
*Fundamentals of Astrodynamics and Applications*, 4th ed. (2013), ch. 3 (topocentric horizon
system). Station names are looked up case-insensitively (spaces, '_' and '-' alike), with the
parts of names such as ``Mumbai (Bombay)`` as aliases; unknown names get difflib suggestions.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from orbitcloud.ephemeris.frames import geodetic_to_ecef
from orbitcloud.errors import ScenarioError

__all__ = [
    "Stations",
    "read_stations_csv",
    "stations_from_records",
    "BUILTIN_PREFIX",
    "builtin_station_sets",
    "builtin_stations",
    "builtin_station_name",
    "stations_from_spec",
]

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


def read_station_text(path: Path, src: str) -> str:
    """The text of a ground-station file, or a :class:`ScenarioError` naming it (missing, not UTF-8, unreadable)."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError(f"{src}: ground station file not found (got '{path}')") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{src}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ScenarioError(f"{src}: cannot read the ground station file ({exc.strerror})") from None


def read_stations_csv(path: str | Path, label: str | None = None) -> Stations:
    """Read a header-less station CSV: ``id,name,lat_deg,lon_deg,elevation_m`` per row (UTF-8).

    Strict: exactly 5 columns, integer id >= 0, non-empty name, finite numbers, latitude in
    [-90, 90], longitude in [-180, 360), elevation in [-10 km, 100 km]; ids and names (case-
    insensitive) unique; blank lines are skipped. Any problem raises :class:`ScenarioError` as
    ``FILE:LINE: what (got 'text')``, with ``FILE`` = ``label`` or the path.
    """
    path = Path(path)
    src = label if label is not None else str(path)
    text = read_station_text(path, src)
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
