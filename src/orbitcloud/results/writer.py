"""Writing a results directory atomically (temporary file in the same directory, then rename).

Layout version 1 (``docs/results.md``):

``summary.json``      the run summary (the object ``orbitcloud run --json`` prints)
``eclipses.csv``      one row per eclipse per satellite:
                      ``satellite,penumbra_start,umbra_start,umbra_end,penumbra_end,kind`` (ISO 8601 UTC, ms)
``satellites.parquet`` one row per satellite: index, name, shell, elements, per-satellite figures
``scenario.yaml``     the scenario text as read
``timeseries.parquet`` (with ``--record``) bus state per satellite every record interval
and, where the run has them, ``contacts.csv``, ``faults.parquet``, ``actions.parquet``,
``requests.parquet``, ``workload_timeline.parquet``. The builders (``*_table``) give the same
tables in memory (:class:`orbitcloud.results.Result`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from orbitcloud.atomic import atomic_write
from orbitcloud.errors import OrbitcloudError

if TYPE_CHECKING:  # the shapes sim produces; results does not import sim
    from orbitcloud.fleet import Fleet
    from orbitcloud.sim import FleetResult

RESULTS_LAYOUT_VERSION = 1


def write_text_atomic(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, "utf-8"))


def iso_ms(start_ns: int, t_s: np.ndarray):
    """pyarrow string array of ISO 8601 UTC times (ms) for seconds after ``start_ns``; NaN -> null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = np.asarray(t_s, dtype=np.float64)
    bad = ~np.isfinite(t)
    ms = start_ns // 1_000_000 + np.round(np.where(bad, 0.0, t) * 1000.0).astype(np.int64)
    arr = pa.array(ms, type=pa.timestamp("ms"), mask=bad)
    return pc.strftime(arr, format="%Y-%m-%dT%H:%M:%SZ")


def _ms_timestamps(start_ns: int, t_s):
    """timestamp[ms, UTC] array for seconds after ``start_ns``; NaN -> null."""
    import pyarrow as pa

    t = np.asarray(t_s, dtype=np.float64)
    bad = ~np.isfinite(t)
    ms = start_ns // 1_000_000 + np.round(np.where(bad, 0.0, t) * 1000.0).astype(np.int64)
    return pa.array(ms, type=pa.timestamp("ms", tz="UTC"), mask=bad)


#: ``kind`` of an eclipse-table row: the pass reaches the umbra; the Sun's centre goes behind the limb
#: (illumination below 0.5, counted as an eclipse) without reaching the umbra; or the pass only grazes
#: the penumbra (illumination stays above 0.5, not counted as an eclipse: ``penumbral_only_passes``).
ECLIPSE_KINDS = ("umbral", "partial", "graze")


def eclipses_table(start_ns: int, events: dict[str, np.ndarray]):
    """One row per penumbra pass per satellite: satellite, penumbra/umbra start and end (UTC, ms; null
    where the pass has no umbra or lies outside the run) and its ``kind`` (:data:`ECLIPSE_KINDS`)."""
    import pyarrow as pa

    umbral = np.isfinite(events["umb_start"]) | np.isfinite(events["umb_end"])
    code = np.where(umbral, 0, np.where(events["central"], 1, 2))
    return pa.table({
        "satellite": pa.array(events["sat"], type=pa.int64()),
        "penumbra_start": _ms_timestamps(start_ns, events["pen_start"]),
        "umbra_start": _ms_timestamps(start_ns, events["umb_start"]),
        "umbra_end": _ms_timestamps(start_ns, events["umb_end"]),
        "penumbra_end": _ms_timestamps(start_ns, events["pen_end"]),
        "kind": pa.array(np.asarray(ECLIPSE_KINDS, dtype=object)[code], type=pa.string()),
    })


def _iso_columns(table):
    """The timestamp columns of ``table`` as ISO 8601 text (as :func:`iso_ms`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_timestamp(col.type):
            col = pc.strftime(col.cast(pa.timestamp("ms")), format="%Y-%m-%dT%H:%M:%SZ")
        cols[name] = col
    return pa.table(cols)


def satellites_table(fleet: Fleet, result: FleetResult, window_s: float, step_s: float, n_steps: int = 1):
    """One row per satellite: index, name, shell, elements and the run's per-satellite figures."""
    import pyarrow as pa

    n = len(fleet)
    shell_names = np.array([s.name for s in fleet.shells], dtype=object)
    valid = np.maximum(result.n_valid, 1)
    table = pa.table(
        {
            "satellite": pa.array(np.arange(n, dtype=np.int64)),
            "name": pa.array(fleet.names()),
            "shell": pa.array(shell_names[fleet.shell_index]).dictionary_encode(),
            "inclination_deg": np.degrees(fleet.inclo_rad),
            "raan_deg": np.degrees(fleet.nodeo_rad),
            "eccentricity": fleet.ecco,
            "mean_motion_rev_per_day": fleet.no_kozai_rad_min * 1440.0 / (2 * np.pi),
            "sunlit_fraction": result.illum_sum / valid,
            "eclipses": result.n_eclipses,
            "longest_eclipse_s": result.longest_dark_s,
            "dark_fraction": result.dark_s / window_s,
            "beta_min_deg": np.degrees(result.beta_min_rad),
            "beta_max_deg": np.degrees(result.beta_max_rad),
        }
    )
    if result.bus is not None:
        b = result.bus
        for key, col in (
            ("gen", "energy_generated_j"), ("load", "energy_used_j"), ("compute", "energy_compute_j"),
            ("curtailed", "energy_curtailed_j"), ("thr_power", "throttled_power_j"), ("thr_thermal", "throttled_thermal_j"),
        ):
            table = table.append_column(col, pa.array(b.sums[key] * step_s))
        table = table.append_column("battery_min_j", pa.array(np.where(np.isfinite(b.e_min_j), b.e_min_j, np.nan)))
        table = table.append_column("battery_final_j", pa.array(b.e_final_j))
        table = table.append_column("temperature_min_k", pa.array(b.t_min_k))
        table = table.append_column("temperature_max_k", pa.array(b.t_max_k))
    if result.dose_rad is not None:
        table = table.append_column("dose_rad", pa.array(result.dose_rad))
        table = table.append_column("accelerator_availability", pa.array(result.avail_sum / max(n_steps, 1)))
        table = table.append_column("spares_used", pa.array(result.spares_used))
        table = table.append_column("devices_lost", pa.array(result.devices_lost))
    return table


def contacts_table(start_ns: int, table, stations):
    """Contact windows: station, satellite, start, end (UTC, ms; null where the window is open at the
    run's first or last sample), max_elevation_deg; sorted by station, satellite, start."""
    import pyarrow as pa

    names = np.asarray(stations.names, dtype=object)
    start = np.where(table.start_clipped, np.nan, table.start_s)
    end = np.where(table.end_clipped, np.nan, table.end_s)
    return pa.table({
        "station": pa.array(names[table.station] if len(table) else [], type=pa.string()),
        "satellite": pa.array(table.sat, type=pa.int64()),
        "start": _ms_timestamps(start_ns, start),
        "end": _ms_timestamps(start_ns, end),
        "max_elevation_deg": pa.array(np.round(table.max_elevation_deg, 3)),
    })


def faults_table(start_ns: int, events: dict[str, np.ndarray]):
    """Fault event log, one row per event in canonical order (``docs/faults.md``)."""
    import pyarrow as pa

    from orbitcloud.ops.faults import KINDS

    t_ns = start_ns + np.round(events["t_s"] * 1e9).astype(np.int64)
    kinds = pa.DictionaryArray.from_arrays(pa.array(events["kind"].astype(np.int32)), pa.array(list(KINDS)))
    return pa.table({
        "time": pa.array(t_ns, type=pa.timestamp("ns", tz="UTC")),
        "satellite": pa.array(events["sat"]),
        "device": pa.array(events["device"]),
        "kind": kinds,
        "dose_rad": pa.array(events["dose_rad"]),
        "generation": pa.array(events["generation"]),
    })


def columns_table(columns: dict[str, np.ndarray]):
    """A table with one column per array (object arrays become strings)."""
    import pyarrow as pa

    return pa.table({k: pa.array(v.tolist() if v.dtype == object else v) for k, v in columns.items()})


def columns_table_arrow(columns: dict):
    """A table from columns that are lists, arrays or pyarrow arrays (``conjunctions.parquet``)."""
    import pyarrow as pa

    return pa.table({k: (v if isinstance(v, pa.Array) else pa.array(v.tolist() if isinstance(v, np.ndarray) and v.dtype == object else v))
                     for k, v in columns.items()})


def ttc_contacts_table(start_ns: int, cols: dict[str, np.ndarray]):
    """The TT&C contact plan as ``contacts.csv``: every satellite–station visibility window with its
    antenna booking: station, satellite (index), satellite_name, start/end (UTC, ms; null where the
    window is open at the run's first or last sample, as the network's contact table),
    rise_utc/set_utc (UTC, ms; the run bound where open), duration_s, max_elevation_deg, antenna (-1:
    unserved), served, reason, uplink_bps, downlink_bps."""
    import pyarrow as pa

    rise, set_ = cols["rise_s"], cols["set_s"]
    return pa.table({
        "station": pa.array(cols["station"].tolist(), type=pa.string()),
        "satellite": pa.array(cols["satellite"], type=pa.int64()),
        "satellite_name": pa.array(cols["satellite_name"].tolist(), type=pa.string()),
        "start": _ms_timestamps(start_ns, np.where(cols["start_clipped"], np.nan, rise)),
        "end": _ms_timestamps(start_ns, np.where(cols["end_clipped"], np.nan, set_)),
        "rise_utc": _ms_timestamps(start_ns, rise),
        "set_utc": _ms_timestamps(start_ns, set_),
        "duration_s": pa.array(cols["duration_s"]),
        "max_elevation_deg": pa.array(cols["max_elevation_deg"]),
        "antenna": pa.array(cols["antenna"], type=pa.int64()),
        "served": pa.array(cols["served"], type=pa.bool_()),
        "reason": pa.array(cols["reason"].tolist(), type=pa.string()),
        "uplink_bps": pa.array(cols["uplink_bps"]),
        "downlink_bps": pa.array(cols["downlink_bps"]),
    })


def seconds_table(start_ns: int, cols: dict[str, np.ndarray]):
    """A table from column arrays where every column named ``t_s`` or ending in ``_s`` that is a time
    (``t_s``, ``sample_s``, ``ground_s``, ``issued_s``, ``*_ground_s`` ...: seconds from the run start)
    is also given as a UTC timestamp column (``time``, ``sample_utc``, ...; null where NaN)."""
    import pyarrow as pa

    times = {"t_s": "time", "sample_s": "sample_utc", "ground_s": "ground_utc", "issued_s": "issued_utc",
             "time_tag_s": "time_tag_utc", "arrival_s": "arrival_utc", "accepted_s": "accepted_utc",
             "started_s": "started_utc", "completed_s": "completed_utc", "failed_s": "failed_utc"}
    out = {}
    for k, v in cols.items():
        v = np.asarray(v)
        if k in times:
            out[times[k]] = _ms_timestamps(start_ns, np.where(np.isfinite(v.astype(np.float64)), v, np.nan))
        out[k] = pa.array(v.tolist() if v.dtype == object else v)
    return pa.table(out)


def timeseries_table(start_ns: int, step_s: float, records: dict[str, np.ndarray]):
    """Bus time series, one row per (satellite, recorded step), sorted by satellite then time."""
    import pyarrow as pa

    order = np.lexsort((records["step"], records["satellite"]))
    t_ns = start_ns + np.round(records["step"][order] * step_s * 1e9).astype(np.int64)
    cols = {"time": pa.array(t_ns, type=pa.timestamp("ns", tz="UTC"))}
    for key, values in records.items():
        if key != "step":
            cols[key] = pa.array(values[order])
    return pa.table(cols)


def actions_table(start_ns: int, actions: list[dict[str, Any]]):
    """The operator actions of a run, in the order taken: time (UTC), step, action, target, detail
    (the action's fields as JSON), work (the id of work it added or cancelled; null otherwise)."""
    import pyarrow as pa

    t_ns = start_ns + np.round(np.array([a["t_s"] for a in actions], dtype=np.float64) * 1e9).astype(np.int64)
    return pa.table({
        "time": pa.array(t_ns, type=pa.timestamp("ns", tz="UTC")),
        "step": pa.array([a["step"] for a in actions], type=pa.int64()),
        "action": pa.array([a["action"] for a in actions], type=pa.string()),
        "target": pa.array([a["target"] for a in actions], type=pa.string()),
        "detail": pa.array([json.dumps(a["detail"], sort_keys=True) for a in actions], type=pa.string()),
        "work": pa.array([a.get("work") for a in actions], type=pa.string()),
    })


def _write_csv(path: Path, table, header_unquoted: bool = False) -> None:
    import pyarrow.csv as pcsv

    text = _iso_columns(table)
    if not header_unquoted:
        atomic_write(path, lambda tmp: pcsv.write_csv(text, tmp))
        return

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write((",".join(text.column_names) + "\n").encode("ascii"))
            pcsv.write_csv(text, fh, pcsv.WriteOptions(include_header=False, quoting_style="none"))

    atomic_write(path, write)


def _write_parquet(path: Path, table) -> None:
    import pyarrow.parquet as pq

    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


#: The tables of a results directory: table name -> (file name, writer), in writing order.
FILES = {
    "eclipses": ("eclipses.csv", lambda p, t: _write_csv(p, t, header_unquoted=True)),
    "satellites": ("satellites.parquet", _write_parquet),
    "contacts": ("contacts.csv", _write_csv),
    "faults": ("faults.parquet", _write_parquet),
    "timeseries": ("timeseries.parquet", _write_parquet),
    "actions": ("actions.parquet", _write_parquet),
    "requests": ("requests.parquet", _write_parquet),
    "workload_timeline": ("workload_timeline.parquet", _write_parquet),
    "altitude": ("altitude.parquet", _write_parquet),
    "conjunctions": ("conjunctions.parquet", _write_parquet),
    "ttc_commands": ("ttc_commands.parquet", _write_parquet),
    "ttc_telemetry": ("ttc_telemetry.parquet", _write_parquet),
    "ttc_events": ("ttc_events.parquet", _write_parquet),
    "ttc_freshness": ("ttc_freshness.parquet", _write_parquet),
    "contact_plan_ion": ("contact_plan.ion", lambda p, write: write(p)),
}


def write_results(out_dir: Path, summary: dict[str, Any], scenario_text: str, tables: dict[str, Callable[[], Any]]) -> list[Path]:
    """Write the results directory; returns the files written.

    ``tables``: table name (see :data:`FILES`) -> a function that builds the pyarrow table; names a
    run does not have are left out. ``summary.json`` is written last: its presence marks a complete
    results directory.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OrbitcloudError(f"--out {out_dir}: exists and is not a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OrbitcloudError(f"--out {out_dir}: cannot create directory: {exc.strerror}") from None
    unknown = set(tables) - set(FILES)
    if unknown:
        raise ValueError(f"write_results: unknown tables {sorted(unknown)}")
    written = []
    for name, (file_name, write) in FILES.items():
        if name in tables:
            p = out_dir / file_name
            write(p, tables[name]())
            written.append(p)
    p = out_dir / "scenario.yaml"
    write_text_atomic(p, scenario_text)
    written.append(p)
    p = out_dir / "summary.json"  # last: its presence marks a complete results directory
    write_text_atomic(p, json.dumps(summary, indent=2) + "\n")
    written.append(p)
    return written
