"""Event tables of a run: the eclipse calendar (``eclipses.csv``), contact windows
(``contacts.csv``) and fault events (``faults.parquet``), all rows, as offsets from the run start."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from orbitcloud.report.data.run import RunDir


def _read_times_csv(path: Path, time_columns: tuple[str, ...], other: dict[str, object]):
    import pyarrow as pa
    import pyarrow.csv as pcsv

    types = {c: pa.timestamp("ms", tz="UTC") for c in time_columns}
    types.update(other)
    return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=types, include_columns=list(types)))


def _offsets_s(run: RunDir, arr, fill: float) -> np.ndarray:
    """Seconds after the start of a timestamp[ms] column; nulls become ``fill``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ms = arr.cast(pa.timestamp("ms", tz="UTC")).cast(pa.int64())
    null = ms.is_null().to_numpy(zero_copy_only=False)
    v = pc.fill_null(ms, 0).to_numpy().astype(np.float64)
    return np.where(null, fill, (v - run.start_ns / 1e6) / 1e3)


@dataclasses.dataclass
class EclipseCalendar:
    """Fraction of each shell in eclipse (illumination < 1) per day (rows) and time of day (columns)."""

    days: list[str]
    tod_h: np.ndarray
    bin_s: float
    shells: list[tuple[str, np.ndarray]]  # (name, (n_days, n_bins) fraction; NaN outside the run)
    eclipses: int


def eclipse_calendar(run: RunDir, bin_s: float | None = None) -> EclipseCalendar | None:
    """Eclipse calendar per shell from ``eclipses.csv`` (all satellites).

    Each cell is the fraction of the shell's satellites inside a penumbra interval
    (``penumbra_start .. penumbra_end``) at the cell's centre time; open intervals (an eclipse in
    progress at the start or end) extend to the window edge.
    """
    path = run.file("eclipses.csv")
    if path is None:
        return None
    import pyarrow as pa

    table = _read_times_csv(path, ("penumbra_start", "penumbra_end"), {"satellite": pa.int64()})
    sat = table.column("satellite").to_numpy()
    start = _offsets_s(run, table.column("penumbra_start"), -np.inf)
    end = _offsets_s(run, table.column("penumbra_end"), np.inf)
    if bin_s is None:
        bin_s = max(run.step_s, 600.0 if run.t_last_s <= 30 * 86400 else 1800.0)
    day0_ns = run.start_ns - run.start_ns % (86400 * 10**9)
    last_ns = int(run.time_ns(run.t_last_s))
    n_days = int((last_ns - day0_ns) // (86400 * 10**9)) + 1
    n_bins = int(np.ceil(86400.0 / bin_s))
    centres = (
        (day0_ns - run.start_ns) / 1e9
        + np.arange(n_days)[:, None] * 86400.0
        + (np.arange(n_bins)[None, :] + 0.5) * bin_s
    )
    inside = (centres >= 0.0) & (centres <= run.t_last_s)
    shell = run.shell_of[sat] if sat.size else np.zeros(0, np.int64)
    out = []
    for i, s in enumerate(run.summary["shells"]):
        n = int(s["satellites"])
        if n == 0:
            continue
        sel = shell == i
        st = np.sort(start[sel])
        en = np.sort(end[sel])
        count = np.searchsorted(st, centres, side="right") - np.searchsorted(en, centres, side="right")
        out.append((str(s["name"]), np.where(inside, count / n, np.nan)))
    days = [str(np.datetime64(day0_ns + d * 86400 * 10**9, "ns").astype("datetime64[D]")) for d in range(n_days)]
    return EclipseCalendar(
        days=days, tod_h=(np.arange(n_bins) + 0.5) * bin_s / 3600.0, bin_s=bin_s, shells=out, eclipses=int(sat.size)
    )


@dataclasses.dataclass
class ContactTable:
    """``contacts.csv``: windows as offsets [s] (open ends at the window edges)."""

    station: np.ndarray  # object (names)
    sat: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    max_elevation_deg: np.ndarray

    def __len__(self) -> int:
        return int(self.sat.size)


def load_contacts(run: RunDir) -> ContactTable | None:
    path = run.file("contacts.csv")
    if path is None:
        return None
    import pyarrow as pa

    t = _read_times_csv(
        path, ("start", "end"), {"station": pa.string(), "satellite": pa.int64(), "max_elevation_deg": pa.float64()}
    )
    return ContactTable(
        station=np.asarray(t.column("station").to_pylist(), dtype=object),
        sat=t.column("satellite").to_numpy(),
        start_s=_offsets_s(run, t.column("start"), 0.0),
        end_s=_offsets_s(run, t.column("end"), run.t_last_s),
        max_elevation_deg=t.column("max_elevation_deg").to_numpy(),
    )


def interval_counts(start_s: np.ndarray, end_s: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """How many closed intervals ``[start, end]`` contain each time ``t_s`` (sorted search, vectorised)."""
    st = np.sort(start_s)
    en = np.sort(end_s)
    return np.searchsorted(st, t_s, side="right") - np.searchsorted(en, t_s, side="left")


@dataclasses.dataclass
class FaultLog:
    """``faults.parquet``: event offsets [s], satellites, devices, kinds (str), dose [rad]."""

    t_s: np.ndarray
    sat: np.ndarray
    device: np.ndarray
    kind: np.ndarray
    dose_rad: np.ndarray

    def __len__(self) -> int:
        return int(self.sat.size)


def load_faults(run: RunDir) -> FaultLog | None:
    path = run.file("faults.parquet")
    if path is None:
        return None
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    if t.num_rows == 0:
        return FaultLog(*(np.zeros(0) for _ in range(5)))
    t_ns = t.column("time").to_numpy().astype("datetime64[ns]").astype(np.int64)
    kind = np.asarray(t.column("kind").cast("string").to_pylist(), dtype=object)
    return FaultLog(
        t_s=(t_ns - run.start_ns) / 1e9,
        sat=t.column("satellite").to_numpy(),
        device=t.column("device").to_numpy(),
        kind=kind,
        dose_rad=t.column("dose_rad").to_numpy(),
    )
