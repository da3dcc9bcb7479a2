"""The TT&C files of a run (``docs/ttc.md``): ``summary.ttc``, the contact plan in ``contacts.csv``,
``ttc_commands.parquet``, ``ttc_events.parquet``, ``ttc_freshness.parquet`` and the size of the
ground archive ``ttc_telemetry.parquet``, as offsets [s] from the run start.

Only what the report draws is read: the contact plan and the event log whole (the sections sample
what they draw), the command history's stage times, the freshness series binned to at most
:data:`MAX_FRESHNESS_POINTS` per shell, and of the telemetry archive only its row count (parquet
metadata; it holds one row per satellite and housekeeping sample).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from orbitcloud.report.data.run import RunDir

#: Event kinds of ``ttc_events.parquet``, in drawing order (others follow, sorted).
EVENT_KINDS = ("alarm_raised", "alarm_cleared", "autonomy", "rejected", "command")
#: Points per shell of the freshness series at most (longer series are binned: mean of the median
#: age and of the commandable shares, maximum of the maximum age).
MAX_FRESHNESS_POINTS = 2000


@dataclasses.dataclass
class TtcContacts:
    """The TT&C contact plan (``contacts.csv`` of a TT&C run): every pass with its antenna booking."""

    station: np.ndarray  # object (names)
    sat: np.ndarray  # int64
    rise_s: np.ndarray
    set_s: np.ndarray
    max_elevation_deg: np.ndarray
    antenna: np.ndarray  # int64, -1: unserved
    served: np.ndarray  # bool
    reason: np.ndarray  # object ("" when served)

    def __len__(self) -> int:
        return int(self.sat.size)


@dataclasses.dataclass
class TtcCommands:
    """``ttc_commands.parquet``: one row per command sent (probes are analytic and not in it)."""

    id: np.ndarray  # object
    sat: np.ndarray  # int64
    name: np.ndarray  # object
    command: np.ndarray  # object
    source: np.ndarray  # object
    path: np.ndarray  # object: "direct", "relay" or None (never sent)
    status: np.ndarray  # object
    reason: np.ndarray  # object
    issued_s: np.ndarray
    arrival_s: np.ndarray
    completed_s: np.ndarray  # NaN unless completed
    failed_s: np.ndarray

    def __len__(self) -> int:
        return int(self.sat.size)

    @property
    def latency_s(self) -> np.ndarray:
        """Issued on the ground to completed onboard [s]; NaN for commands that did not complete."""
        return self.completed_s - self.issued_s


@dataclasses.dataclass
class TtcEvents:
    """``ttc_events.parquet``, sorted by onboard time: alarms, onboard actions, rejections, executions."""

    t_s: np.ndarray
    ground_s: np.ndarray  # NaN: never reached the ground within the run
    sat: np.ndarray
    kind: np.ndarray  # object
    parameter: np.ndarray  # object
    level: np.ndarray  # object
    value: np.ndarray
    detail: np.ndarray  # object

    def __len__(self) -> int:
        return int(self.sat.size)


@dataclasses.dataclass
class Freshness:
    """Per shell: (name, t_s, age_p50_s, age_max_s, commandable_direct, commandable_with_relays),
    at most :data:`MAX_FRESHNESS_POINTS` points; ``ticks``: rows per shell before binning."""

    shells: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    ticks: int
    binned: bool


@dataclasses.dataclass
class TtcData:
    summary: dict
    contacts: TtcContacts | None
    commands: TtcCommands | None
    events: TtcEvents | None
    freshness: Freshness | None
    telemetry_rows: int | None


def _strings(table, name: str) -> np.ndarray:
    if name not in table.column_names:
        return np.full(table.num_rows, None, dtype=object)
    return np.asarray(table.column(name).cast("string").to_pylist(), dtype=object)


def _floats(table, name: str) -> np.ndarray:
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    import pyarrow.compute as pc

    col = pc.cast(table.column(name), "float64")
    return pc.fill_null(col, np.nan).to_numpy().astype(np.float64)


def load_ttc_contacts(run: RunDir) -> TtcContacts | None:
    """The TT&C contact plan, or None when ``contacts.csv`` is absent or lacks the TT&C columns."""
    path = run.file("contacts.csv")
    if path is None:
        return None
    import pyarrow as pa
    import pyarrow.csv as pcsv

    from orbitcloud.report.data.tables import _offsets_s

    with open(path, encoding="utf-8") as fh:
        header = fh.readline().strip().replace('"', "").split(",")
    if not {"rise_utc", "set_utc", "antenna", "served"} <= set(header):
        return None
    types = {
        "station": pa.string(),
        "satellite": pa.int64(),
        "rise_utc": pa.timestamp("ms", tz="UTC"),
        "set_utc": pa.timestamp("ms", tz="UTC"),
        "max_elevation_deg": pa.float64(),
        "antenna": pa.int64(),
        "served": pa.bool_(),
        "reason": pa.string(),
    }
    types = {k: v for k, v in types.items() if k in header}
    t = pcsv.read_csv(
        path,
        convert_options=pcsv.ConvertOptions(
            column_types=types, include_columns=list(types), strings_can_be_null=True
        ),
    )
    reason = _strings(t, "reason")
    return TtcContacts(
        station=np.asarray(t.column("station").to_pylist(), dtype=object),
        sat=t.column("satellite").to_numpy(),
        rise_s=_offsets_s(run, t.column("rise_utc"), 0.0),
        set_s=_offsets_s(run, t.column("set_utc"), run.t_last_s),
        max_elevation_deg=_floats(t, "max_elevation_deg"),
        antenna=t.column("antenna").to_numpy(),
        served=np.asarray(t.column("served").to_pylist(), dtype=bool),
        reason=np.asarray([r or "" for r in reason.tolist()], dtype=object),
    )


def load_ttc_commands(run: RunDir) -> TtcCommands | None:
    path = run.file("ttc_commands.parquet")
    if path is None:
        return None
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    sat = (
        t.column("satellite").to_numpy()
        if "satellite" in t.column_names
        else np.zeros(t.num_rows, np.int64)
    )
    return TtcCommands(
        id=_strings(t, "id"),
        sat=sat.astype(np.int64),
        name=_strings(t, "satellite_name"),
        command=_strings(t, "command"),
        source=_strings(t, "source"),
        path=_strings(t, "path"),
        status=_strings(t, "status"),
        reason=_strings(t, "reason"),
        issued_s=_floats(t, "issued_s"),
        arrival_s=_floats(t, "arrival_s"),
        completed_s=_floats(t, "completed_s"),
        failed_s=_floats(t, "failed_s"),
    )


def load_ttc_events(run: RunDir) -> TtcEvents | None:
    path = run.file("ttc_events.parquet")
    if path is None:
        return None
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    t_s = _floats(t, "t_s")
    order = np.argsort(t_s, kind="stable")
    sat = (
        t.column("satellite").to_numpy().astype(np.int64)
        if t.num_rows
        else np.zeros(0, np.int64)
    )
    return TtcEvents(
        t_s=t_s[order],
        ground_s=_floats(t, "ground_s")[order],
        sat=sat[order],
        kind=_strings(t, "kind")[order],
        parameter=_strings(t, "parameter")[order],
        level=_strings(t, "level")[order],
        value=_floats(t, "value")[order],
        detail=_strings(t, "detail")[order],
    )


def bin_series(
    t_s: np.ndarray, values: list[np.ndarray], how: list[str], max_points: int
):
    """``t_s`` (sorted) and ``values`` cut to at most ``max_points`` consecutive bins of equal row
    count: the bin's first time, and per series the bin mean (``"mean"``) or maximum (``"max"``)."""
    n = t_s.size
    if n <= max_points:
        return t_s, values
    edges = np.floor(np.arange(max_points + 1) * n / max_points).astype(np.int64)
    starts = edges[:-1]
    out = []
    for v, h in zip(values, how, strict=True):
        v = np.asarray(v, dtype=np.float64)
        if h == "max":
            out.append(np.fmax.reduceat(v, starts))
        else:
            ok = np.isfinite(v)
            s = np.add.reduceat(np.where(ok, v, 0.0), starts)
            c = np.add.reduceat(ok.astype(np.float64), starts)
            out.append(np.where(c > 0, s / np.maximum(c, 1), np.nan))
    return t_s[starts], out


def load_freshness(
    run: RunDir, max_points: int = MAX_FRESHNESS_POINTS
) -> Freshness | None:
    path = run.file("ttc_freshness.parquet")
    if path is None:
        return None
    import pyarrow.parquet as pq

    cols = [
        "t_s",
        "shell",
        "age_p50_s",
        "age_max_s",
        "commandable_direct",
        "commandable_with_relays",
    ]
    t = pq.read_table(path, columns=cols)
    shell = _strings(t, "shell")
    t_s = _floats(t, "t_s")
    data = {c: _floats(t, c) for c in cols[2:]}
    names = [n for n in run.shell_names if (shell == n).any()]
    names += sorted({str(s) for s in shell.tolist()} - set(names))
    out = []
    ticks = 0
    binned = False
    for name in names:
        sel = np.flatnonzero(shell == name)
        sel = sel[np.argsort(t_s[sel], kind="stable")]
        ticks = max(ticks, int(sel.size))
        tt, vals = bin_series(
            t_s[sel],
            [data[c][sel] for c in cols[2:]],
            ["mean", "max", "mean", "mean"],
            max_points,
        )
        binned |= tt.size < sel.size
        out.append((name, tt, *vals))
    return Freshness(shells=out, ticks=ticks, binned=binned)


def telemetry_rows(run: RunDir) -> int | None:
    """Rows of ``ttc_telemetry.parquet`` (from its metadata), or None when absent."""
    path = run.file("ttc_telemetry.parquet")
    if path is None:
        return None
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def load_ttc(run: RunDir) -> TtcData | None:
    """Everything the TT&C section draws, or None when the run has no TT&C (``summary.ttc`` null)."""
    summary = run.summary.get("ttc")
    if not summary:
        return None
    return TtcData(
        summary=summary,
        contacts=load_ttc_contacts(run),
        commands=load_ttc_commands(run),
        events=load_ttc_events(run),
        freshness=load_freshness(run),
        telemetry_rows=telemetry_rows(run),
    )
