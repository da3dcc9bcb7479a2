"""The TT&C ground segment as data: stations with antennas, elevation masks and link rates.

A :class:`GroundNetwork` is a :class:`~orbitcloud.network.stations.Stations` plus, per station, the
number of antennas (each serves one satellite at a time), the minimum elevation of a worked pass and
the telecommand (TC) uplink / downlink rate of one antenna. :func:`ground_network` builds one from

* ``"builtin:NAME"``: a shipped station set (``builtin_station_sets()``), with the TT&C values of
  ``catalog/ttc_networks.yaml`` (each with a ``source``; unpublished numbers marked ASSUMPTION);
* a ``.csv`` file with a header row: ``name,lat_deg,lon_deg`` required, ``id, elevation_m,
  antennas, min_elevation_deg, uplink_bps, downlink_bps`` optional, in any order (blank cells take
  the defaults; ``#`` lines are comments). A header-less five-column file in the ``ground.stations``
  format (``id,name,lat_deg,lon_deg,elevation_m``, Hypatia's ``cities-top100.csv``; Kassing et al.,
  ACM IMC 2020) is read as such, without TT&C columns;
* a ``.yaml``/``.yml`` file holding a list of records or ``{stations: [...]}`` (a number may also be
  a string such as ``'64e3'``: PyYAML reads ``64e3``, without a dot, as a string);
* a list of records (mappings, or objects with those attributes).

Precedence of each per-station value: the station's own value > the keyword argument of
:func:`ground_network` (a scalar or one value per station) > the set's value in
``ttc_networks.yaml`` (its ``sites`` entry for the station, then the set's own) > the file's
``default``. Files and records have no set, so they fall back from the keyword to ``default``.

Validation: antennas an integer in [1, 1000], minimum elevation in [-5, 90] deg, rates in
(0, 1e12] bit/s, latitude in [-90, 90], longitude in [-180, 360), height in [-10, 100] km, ids and
names (case-insensitive) unique. Each problem raises :class:`ScenarioError` as one line naming the
place, the bad value and what was expected: ``FILE:LINE: key: what (got 'text')`` for CSV,
``FILE: stations[3].key: what (got 'text')`` for YAML, ``LABEL[3].key: ...`` for records; unknown
columns/keys get the closest known name (difflib). Default rates and the CCSDS/ECSS background are
cited in ``ttc_networks.yaml`` (CCSDS 231.0-B-3, TC Synchronization and Channel Coding, 2017; CCSDS
401.0-B-25, Radio Frequency and Modulation Systems, 2015; ECSS-E-ST-50-05C Rev.2, 2011).
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import functools
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from orbitcloud.errors import ScenarioError
from orbitcloud.network.stations import (
    Stations,
    _norm_name,
    builtin_station_name,
    read_station_text,
    read_stations_csv,
    stations_from_spec,
)

__all__ = ["STATION_COLUMNS", "TTC_FIELDS", "GroundNetwork", "ground_network", "ttc_defaults"]

#: The per-station TT&C values.
TTC_FIELDS = ("antennas", "min_elevation_deg", "uplink_bps", "downlink_bps")
_GEO = ("id", "name", "lat_deg", "lon_deg", "elevation_m")
#: Every column/key a station file or record may have.
STATION_COLUMNS = _GEO + TTC_FIELDS
_REQUIRED = ("name", "lat_deg", "lon_deg")
MAX_ANTENNAS = 1000
MAX_RATE_BPS = 1e12
_CATALOG = "ttc_networks.yaml"
_NUM = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


@dataclasses.dataclass(frozen=True, eq=False)
class GroundNetwork:
    """Stations with TT&C values, one entry per station (SI units).

    ``antennas`` int64 >= 1 (each serves one satellite at a time), ``min_elevation_deg`` float64,
    ``uplink_bps``/``downlink_bps`` float64 per antenna; ``source`` names where they came from.
    """

    stations: Stations
    antennas: np.ndarray
    min_elevation_deg: np.ndarray
    uplink_bps: np.ndarray
    downlink_bps: np.ndarray
    source: str = "ttc.stations"

    def __post_init__(self) -> None:
        n = len(self.stations)
        for key, dtype in (("antennas", np.int64), ("min_elevation_deg", np.float64), ("uplink_bps", np.float64),
                           ("downlink_bps", np.float64)):
            arr = np.asarray(getattr(self, key), dtype=dtype).reshape(-1)
            if arr.shape != (n,):
                raise ValueError(f"GroundNetwork.{key} must have shape ({n},), got {arr.shape}")
            object.__setattr__(self, key, arr)
        if n and int(self.antennas.min()) < 1:
            raise ValueError("GroundNetwork.antennas must be >= 1")

    def __len__(self) -> int:
        return len(self.stations)

    @property
    def names(self) -> list[str]:
        return self.stations.names

    def subset(self, idx: Sequence[int] | np.ndarray) -> GroundNetwork:
        """The stations at ``idx`` (in that order) with their values."""
        i = np.asarray(idx, dtype=np.int64).reshape(-1)
        return GroundNetwork(self.stations.subset(i), self.antennas[i], self.min_elevation_deg[i], self.uplink_bps[i],
                             self.downlink_bps[i], self.source)


# --------------------------------------------------------------------------------------------------
# Values and their checks
# --------------------------------------------------------------------------------------------------


def _fail(prefix: str, key: str, what: str, got: object) -> ScenarioError:
    return ScenarioError(f"{prefix}{key}: {what} (got {str(got)!r})")


def _as_float(prefix: str, key: str, v: object) -> float:
    if isinstance(v, str) and _NUM.match(v):
        v = float(v)
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(float(v)):
        raise _fail(prefix, key, "must be a finite number", v)
    return float(v)


def _check_field(prefix: str, key: str, v: object, shown: str | None = None) -> float | int:
    """A validated TT&C value (``antennas`` as int); errors name ``shown`` (default ``key``)."""
    name = shown or key
    if key == "antennas":
        x = v if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else _as_float(prefix, name, v)
        if (isinstance(x, float) and not x.is_integer()) or not 1 <= x <= MAX_ANTENNAS:
            raise _fail(prefix, name, f"must be an integer in [1, {MAX_ANTENNAS}] (antennas at the site)", v)
        return int(x)
    x = _as_float(prefix, name, v)
    if key == "min_elevation_deg":
        if not -5.0 <= x <= 90.0:
            raise _fail(prefix, name, "must be in [-5, 90] degrees", v)
    elif not 0.0 < x <= MAX_RATE_BPS:
        raise _fail(prefix, name, "must be a rate in (0, 1e12] bit/s", v)
    return x


def _check_geo(prefix: str, key: str, v: object) -> float:
    x = _as_float(prefix, key, v)
    ok, what = {
        "lat_deg": (-90.0 <= x <= 90.0, "must be in [-90, 90] degrees"),
        "lon_deg": (-180.0 <= x < 360.0, "must be in [-180, 360) degrees"),
        "elevation_m": (-1.0e4 <= x <= 1.0e5, "must be in [-10000, 100000] m above the WGS-84 ellipsoid"),
    }[key]
    if not ok:
        raise _fail(prefix, key, what, v)
    return x


def _unknown(prefix: str, key: str, kind: str, known: Sequence[str]) -> ScenarioError:
    near = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    return ScenarioError(f"{prefix}{key}: unknown {kind}{hint} (expected {', '.join(known)})")


@functools.cache
def ttc_defaults() -> dict[str, Any]:
    """``catalog/ttc_networks.yaml``, checked (do not modify the result)."""
    from importlib import resources

    import yaml

    data = yaml.safe_load(resources.files("orbitcloud.catalog").joinpath(_CATALOG).read_text("utf-8"))
    for name, entry in data.items():
        for where, e in [(name, entry), *((f"{name}.sites.{k}", v) for k, v in (entry.get("sites") or {}).items())]:
            if not isinstance(e, dict) or not e.get("source"):
                raise RuntimeError(f"catalog {_CATALOG}: {where} has no source")  # packaging bug
            for key, v in e.items():
                if key in TTC_FIELDS:
                    e[key] = _check_field(f"catalog {_CATALOG}: {where}.", key, v)
                elif key not in ("source", "sites") or (key == "sites" and where != name):
                    raise RuntimeError(f"catalog {_CATALOG}: {where}: unknown key {key!r}")
    if not all(k in data["default"] for k in TTC_FIELDS):
        raise RuntimeError(f"catalog {_CATALOG}: default must give {', '.join(TTC_FIELDS)}")
    return data


def _set_chain(set_name: str | None, station_name: str) -> list[Mapping[str, Any]]:
    """Catalog mappings to look a station's values up in, most specific first."""
    data = ttc_defaults()
    chain: list[Mapping[str, Any]] = []
    names = [set_name] if set_name else []
    if set_name == "ground-stations":
        from orbitcloud import catalog

        for site in catalog.ground_station_sites().values():
            if _norm_name(str(site["name"])) == _norm_name(station_name) and site.get("sets"):
                names.append(str(site["sets"][0]))
    for name in names:
        entry = data.get(name) or {}
        sites = {_norm_name(k): v for k, v in (entry.get("sites") or {}).items()}
        chain += [sites.get(_norm_name(station_name), {}), entry]
    return [*chain, data["default"]]


# --------------------------------------------------------------------------------------------------
# Records, CSV and YAML
# --------------------------------------------------------------------------------------------------


def _parse_record(get, prefix: str, i: int, seen_id: dict, seen_name: dict, where_i: str) -> dict[str, Any]:
    """Geo and TT&C values of one record; ``get(key)`` returns the raw value or None."""
    for key in _REQUIRED:
        v = get(key)
        if v is None or (isinstance(v, str) and not v.strip()):
            raise ScenarioError(f"{prefix}{key}: missing (a station needs {', '.join(_REQUIRED)})")
    name = get("name")
    if not isinstance(name, str) or not name.strip():
        raise _fail(prefix, "name", "must be a non-empty string", name)
    out: dict[str, Any] = {"name": name.strip()}
    for key in ("lat_deg", "lon_deg", "elevation_m"):
        v = get(key)
        out[key] = 0.0 if v is None or (isinstance(v, str) and not v.strip()) else _check_geo(prefix, key, v)
    sid = get("id")
    if sid is None or (isinstance(sid, str) and not sid.strip()):
        sid = i
    elif isinstance(sid, str) and re.fullmatch(r"\s*\+?\d+\s*", sid):
        sid = int(sid)
    if isinstance(sid, bool) or not isinstance(sid, (int, np.integer)) or sid < 0:
        raise _fail(prefix, "id", "must be a non-negative integer", sid)
    sid = int(sid)
    if sid in seen_id:
        raise _fail(prefix, "id", f"duplicate station id, first at {seen_id[sid]}", sid)
    key = _norm_name(out["name"])
    if key in seen_name:
        raise _fail(prefix, "name", f"duplicate station name (case-insensitive), first at {seen_name[key]}", name)
    seen_id[sid] = seen_name[key] = where_i
    out["id"] = sid
    for f in TTC_FIELDS:
        v = get(f)
        out[f] = None if v is None or (isinstance(v, str) and not v.strip()) else _check_field(prefix, f, v)
    return out


def _records(records: Sequence[object], label: str, path_prefix: str) -> list[dict[str, Any]]:
    """Parsed records; errors ``{path_prefix}[i].key: ...``."""
    if not len(records):
        raise ScenarioError(f"{label}: no ground stations (got an empty list)")
    out: list[dict[str, Any]] = []
    seen_id: dict[int, str] = {}
    seen_name: dict[str, str] = {}
    for i, rec in enumerate(records):
        prefix = f"{path_prefix}[{i}]."
        if isinstance(rec, Mapping):
            for k in rec:
                if k not in STATION_COLUMNS:
                    raise _unknown(prefix, k, "key", STATION_COLUMNS)

            def get(key, _r=rec):
                return _r.get(key)
        elif isinstance(rec, (str, bytes, Sequence)) or rec is None:
            raise ScenarioError(f"{prefix[:-1]}: a station must be a mapping with {', '.join(_REQUIRED)} (got {rec!r})")
        else:
            def get(key, _r=rec):
                return getattr(_r, key, None)
        out.append(_parse_record(get, prefix, i, seen_id, seen_name, f"{path_prefix}[{i}]"))
    return out


def _read_csv(path: Path, src: str) -> tuple[list[dict[str, Any]] | None, Stations | None]:
    """Records of a CSV with a header row, or (None, Stations) for a header-less ground.stations file."""
    text = read_station_text(path, src)
    lines = text.splitlines()
    reader = csv.reader(lines, strict=True)
    header: list[str] | None = None
    records: list[dict[str, Any]] = []
    seen_id: dict[int, str] = {}
    seen_name: dict[str, str] = {}
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ScenarioError(f"{src}:{reader.line_num}: malformed CSV ({exc}) (got {lines[reader.line_num - 1]!r})") from None
        n = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()) or row[0].lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in row]
        if header is None:
            if re.fullmatch(r"\+?\d+", cells[0]) and len(cells) == 5:
                return None, read_stations_csv(path, label=src)  # header-less ground.stations format
            cols = [c.lower() for c in cells]
            if _NUM.match(cells[0]):
                raise ScenarioError(f"{src}:{n}: expected a header row name,lat_deg,lon_deg[,...] (got {lines[n - 1]!r})")
            for c in cols:
                if c not in STATION_COLUMNS:
                    raise _unknown(f"{src}:{n}: ", c, "column", STATION_COLUMNS)
                if cols.count(c) > 1:
                    raise ScenarioError(f"{src}:{n}: column {c!r} appears twice (got {lines[n - 1]!r})")
            for c in _REQUIRED:
                if c not in cols:
                    raise ScenarioError(f"{src}:{n}: missing column {c!r}; the header needs {', '.join(_REQUIRED)} (got {lines[n - 1]!r})")
            header = cols
            continue
        if len(cells) != len(header):
            raise ScenarioError(f"{src}:{n}: expected {len(header)} columns ({','.join(header)}), found {len(cells)} (got {lines[n - 1]!r})")
        values = dict(zip(header, cells))
        records.append(_parse_record(values.get, f"{src}:{n}: ", len(records), seen_id, seen_name, f"line {n}"))
    if header is None:
        raise ScenarioError(f"{src}:1: no header row and no stations (got an empty file)")
    if not records:
        raise ScenarioError(f"{src}:{len(lines)}: no ground stations after the header (got only '{','.join(header)}')")
    return records, None


def _read_yaml(path: Path, src: str) -> list[dict[str, Any]]:
    import yaml

    text = read_station_text(path, src)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"{src}{line}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if isinstance(data, Mapping):
        for k in data:
            if k != "stations":
                raise _unknown(f"{src}: ", k, "top-level key", ("stations",))
        items, where, prefix = data.get("stations"), f"{src}: stations", f"{src}: stations"
    else:
        items, where, prefix = data, src, f"{src}: "
    if not isinstance(items, list):
        raise ScenarioError(f"{where}: expected a list of station records (got {type(items).__name__} {str(items)[:60]!r})")
    return _records(items, where, prefix)


# --------------------------------------------------------------------------------------------------
# ground_network
# --------------------------------------------------------------------------------------------------


def _keyword(key: str, value: object, n: int, label: str) -> list[float | int | None]:
    """A keyword argument as one (checked) value per station, None where not given."""
    if value is None:
        return [None] * n
    if np.ndim(value) == 0:
        v = _check_field(f"{label}: keyword ", key, value.item() if isinstance(value, np.generic) else value)
        return [v] * n
    vals = list(np.asarray(value, dtype=object).reshape(-1))
    if len(vals) != n:
        raise ScenarioError(f"{label}: keyword {key}: expected a scalar or {n} values, one per station (got {len(vals)})")
    return [None if v is None else _check_field(f"{label}: keyword ", key, v, shown=f"{key}[{i}]") for i, v in enumerate(vals)]


def ground_network(
    spec: str | Path | Sequence[Mapping[str, Any] | object],
    *,
    base_dir: str | Path | None = ".",
    label: str = "ttc.stations",
    antennas: int | Sequence[int] | np.ndarray | None = None,
    min_elevation_deg: float | Sequence[float] | np.ndarray | None = None,
    uplink_bps: float | Sequence[float] | np.ndarray | None = None,
    downlink_bps: float | Sequence[float] | np.ndarray | None = None,
) -> GroundNetwork:
    """The TT&C ground network of ``spec`` (see the module docstring for the forms and precedence).

    ``base_dir``: folder of relative paths; ``label``: the name used in errors for records and
    keyword arguments (and for an unknown built-in set). Keyword values are a scalar or one value
    per station (None entries: not given).
    """
    set_name = builtin_station_name(spec)
    records: list[dict[str, Any]] | None = None
    if set_name is not None:
        stations = stations_from_spec(spec, base_dir=base_dir, label=label)
        source = stations.source
    elif isinstance(spec, (str, Path)):
        path = Path(spec).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        src = str(spec)
        suffix = path.suffix.lower()
        if suffix == ".csv":
            records, stations = _read_csv(path, src)
        elif suffix in (".yaml", ".yml"):
            records, stations = _read_yaml(path, src), None
        else:
            raise ScenarioError(f"{label}: expected builtin:NAME, a .csv or a .yaml/.yml station file (got {src!r})")
        source = src
    else:
        records, stations, source = _records(list(spec), label, label), None, label
    if records is not None:
        stations = Stations.from_geodetic(
            [r["id"] for r in records], [r["name"] for r in records], np.radians([r["lat_deg"] for r in records]),
            np.radians([r["lon_deg"] for r in records]), [r["elevation_m"] for r in records], source=source,
        )
    assert stations is not None
    n = len(stations)
    kw = {"antennas": antennas, "min_elevation_deg": min_elevation_deg, "uplink_bps": uplink_bps, "downlink_bps": downlink_bps}
    kw_vals = {k: _keyword(k, v, n, label) for k, v in kw.items()}
    out: dict[str, list] = {k: [] for k in TTC_FIELDS}
    for i, name in enumerate(stations.names):
        chain = _set_chain(set_name, name)
        for key in TTC_FIELDS:
            v = records[i][key] if records is not None else None
            if v is None:
                v = kw_vals[key][i]
            if v is None:
                v = next(e[key] for e in chain if key in e)
            out[key].append(v)
    return GroundNetwork(stations, np.asarray(out["antennas"], dtype=np.int64), np.asarray(out["min_elevation_deg"], float),
                         np.asarray(out["uplink_bps"], float), np.asarray(out["downlink_bps"], float), source)
