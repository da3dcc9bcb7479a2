"""Writing a results directory atomically (temporary file in the same directory, then rename).

Layout version 1 (``docs/results.md``):

``summary.json``      the run summary (the object ``orbitcloud run --json`` prints)
``eclipses.csv``      one row per eclipse per satellite:
                      ``satellite,penumbra_start,umbra_start,umbra_end,penumbra_end`` (ISO 8601 UTC, ms)
``satellites.parquet`` one row per satellite: index, name, shell, elements, per-satellite figures
``scenario.yaml``     the scenario text as read
``timeseries.parquet`` (with ``--record``) bus state per satellite every record interval
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.fleet import Fleet
from orbitcloud.sim import FleetResult

RESULTS_LAYOUT_VERSION = 1


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary path beside ``path``, fsync it, then rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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


def write_eclipses_csv(path: Path, start_ns: int, events: dict[str, np.ndarray]) -> None:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    table = pa.table(
        {
            "satellite": pa.array(events["sat"], type=pa.int64()),
            "penumbra_start": iso_ms(start_ns, events["pen_start"]),
            "umbra_start": iso_ms(start_ns, events["umb_start"]),
            "umbra_end": iso_ms(start_ns, events["umb_end"]),
            "penumbra_end": iso_ms(start_ns, events["pen_end"]),
        }
    )
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write((",".join(table.column_names) + "\n").encode("ascii"))
            pcsv.write_csv(table, fh, pcsv.WriteOptions(include_header=False, quoting_style="none"))

    atomic_write(path, write)


def write_satellites_parquet(path: Path, fleet: Fleet, result: FleetResult, window_s: float, step_s: float, n_steps: int = 1) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

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
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def write_contacts_csv(path: Path, start_ns: int, table, stations) -> None:
    """Contact windows: ``station,satellite,start,end,max_elevation_deg`` (ISO UTC, ms), sorted by
    station, satellite, start; an empty start/end marks a window open at the run's first/last sample."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = np.asarray(stations.names, dtype=object)
    start = np.where(table.start_clipped, np.nan, table.start_s)
    end = np.where(table.end_clipped, np.nan, table.end_s)
    out = pa.table({
        "station": pa.array(names[table.station] if len(table) else [], type=pa.string()),
        "satellite": pa.array(table.sat, type=pa.int64()),
        "start": iso_ms(start_ns, start),
        "end": iso_ms(start_ns, end),
        "max_elevation_deg": pa.array(np.round(table.max_elevation_deg, 3)),
    })
    atomic_write(path, lambda tmp: pcsv.write_csv(out, tmp))


def write_faults_parquet(path: Path, start_ns: int, events: dict[str, np.ndarray]) -> None:
    """Fault event log, one row per event in canonical order (``docs/faults.md``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from orbitcloud.ops.faults import KINDS

    t_ns = start_ns + np.round(events["t_s"] * 1e9).astype(np.int64)
    kinds = pa.DictionaryArray.from_arrays(pa.array(events["kind"].astype(np.int32)), pa.array(list(KINDS)))
    table = pa.table({
        "time": pa.array(t_ns, type=pa.timestamp("ns", tz="UTC")),
        "satellite": pa.array(events["sat"]),
        "device": pa.array(events["device"]),
        "kind": kinds,
        "dose_rad": pa.array(events["dose_rad"]),
        "generation": pa.array(events["generation"]),
    })
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def write_columns_parquet(path: Path, columns: dict[str, np.ndarray]) -> None:
    """A Parquet file with one column per array (object arrays are written as strings)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({k: pa.array(v.tolist() if v.dtype == object else v) for k, v in columns.items()})
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def write_timeseries_parquet(path: Path, start_ns: int, step_s: float, records: dict[str, np.ndarray]) -> None:
    """Bus time series, one row per (satellite, recorded step), sorted by satellite then time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    order = np.lexsort((records["step"], records["satellite"]))
    t_ns = start_ns + np.round(records["step"][order] * step_s * 1e9).astype(np.int64)
    cols = {"time": pa.array(t_ns, type=pa.timestamp("ns", tz="UTC"))}
    for key, values in records.items():
        if key != "step":
            cols[key] = pa.array(values[order])
    atomic_write(path, lambda tmp: pq.write_table(pa.table(cols), tmp))


def write_results(
    out_dir: Path,
    summary: dict[str, Any],
    fleet: Fleet,
    result: FleetResult,
    start_ns: int,
    window_s: float,
    scenario_text: str,
    contacts=None,
    tables: dict[str, dict[str, np.ndarray]] | None = None,
) -> list[Path]:
    """Write the results directory; returns the files written.

    ``tables`` adds Parquet files by name (``requests.parquet``, ``workload_timeline.parquet``):
    column name -> array.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OrbitcloudError(f"--out {out_dir}: exists and is not a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OrbitcloudError(f"--out {out_dir}: cannot create directory: {exc.strerror}") from None
    written = []
    if result.events is not None:
        p = out_dir / "eclipses.csv"
        write_eclipses_csv(p, start_ns, result.events)
        written.append(p)
    p = out_dir / "satellites.parquet"
    write_satellites_parquet(p, fleet, result, window_s, summary["step_s"], summary["steps"])
    written.append(p)
    if contacts is not None:
        p = out_dir / "contacts.csv"
        write_contacts_csv(p, start_ns, *contacts)
        written.append(p)
    if result.fault_events is not None:
        p = out_dir / "faults.parquet"
        write_faults_parquet(p, start_ns, result.fault_events)
        written.append(p)
    if result.records is not None:
        p = out_dir / "timeseries.parquet"
        write_timeseries_parquet(p, start_ns, summary["step_s"], result.records)
        written.append(p)
    for name, columns in (tables or {}).items():
        p = out_dir / name
        write_columns_parquet(p, columns)
        written.append(p)
    p = out_dir / "scenario.yaml"
    write_text_atomic(p, scenario_text)
    written.append(p)
    p = out_dir / "summary.json"  # last: its presence marks a complete results directory
    write_text_atomic(p, json.dumps(summary, indent=2) + "\n")
    written.append(p)
    return written
