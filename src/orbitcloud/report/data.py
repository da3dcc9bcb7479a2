"""Reading a results directory back for reports: summary, tables, and the fleet rebuilt exactly.

A results directory (``docs/results.md``) stores the scenario text as read (``scenario.yaml``) and
the run's start, step count, step and propagator (``summary.json``). :class:`RunDir` re-parses that
text with :func:`orbitcloud.scenario.parse_scenario` (relative paths such as TLE files or station
CSVs resolved against the original scenario file's folder when ``summary.source`` names one, else
against the run directory), rebuilds the fleet with :func:`orbitcloud.fleet.build_fleet` and
propagates any subset of satellites with the run's own propagator (SGP4 via
:func:`orbitcloud.ephemeris.propagate.sgp4_teme_km`, or the fast analytic mode via
:func:`~orbitcloud.ephemeris.propagate.fast_ecef_m`). Positions are therefore the run's positions,
not an approximation from the stored elements.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path
from typing import Any

import numpy as np

from orbitcloud.errors import OrbitcloudError

SUMMARY = "summary.json"


def _iso_to_ns(text: str) -> int:
    t = text[:-1] if text.endswith("Z") else text
    return int(np.datetime64(t, "ns").astype(np.int64))


def iso_utc(t_ns: int | np.integer) -> str:
    """ISO 8601 UTC text with seconds (``2026-03-20T00:10:00Z``) of nanoseconds since 1970."""
    return str(np.datetime64(int(t_ns), "ns").astype("datetime64[s]")) + "Z"


@dataclasses.dataclass
class RunDir:
    """A complete results directory (``summary.json`` present), opened for reading.

    Attributes
    ----------
    path : Path
    summary : dict
        ``summary.json``.
    start_ns : int
        Run start [ns since 1970, UTC].
    step_s : float
        Simulation step [s].
    n_steps : int
        Samples ``t = 0, step, ..., (n_steps - 1) step``.
    """

    path: Path
    summary: dict[str, Any]
    start_ns: int
    step_s: float
    n_steps: int

    @property
    def t_last_s(self) -> float:
        """Last sample time after the start [s]."""
        return (self.n_steps - 1) * self.step_s

    @property
    def n_sat(self) -> int:
        return int(self.summary["satellites"])

    @property
    def propagator(self) -> str:
        return str(self.summary.get("propagator", "sgp4"))

    def file(self, name: str) -> Path | None:
        """``path / name`` when it exists, else None."""
        p = self.path / name
        return p if p.is_file() else None

    @functools.cached_property
    def loaded(self):
        """The scenario re-parsed from ``scenario.yaml`` (a :class:`~orbitcloud.scenario.LoadedScenario`)."""
        from orbitcloud.scenario import parse_scenario

        p = self.path / "scenario.yaml"
        if not p.is_file():
            raise OrbitcloudError(f"{self.path}: no scenario.yaml; the report needs it to rebuild the fleet")
        source = str(self.summary.get("source", ""))
        base = self.path.resolve()
        if source and not source.startswith("builtin:"):
            original = Path(source).expanduser()
            if original.parent.is_dir():
                base = original.resolve().parent
        return parse_scenario(p.read_text("utf-8"), label=str(p), base_dir=base)

    @functools.cached_property
    def fleet(self):
        """The run's fleet (:class:`~orbitcloud.fleet.Fleet`), rebuilt from the scenario."""
        from orbitcloud.fleet import build_fleet

        fleet = build_fleet(self.loaded)
        if len(fleet) != self.n_sat:
            raise OrbitcloudError(
                f"{self.path}/scenario.yaml: rebuilds {len(fleet):,} satellites but summary.json has "
                f"{self.n_sat:,} (a TLE file changed since the run?)"
            )
        return fleet

    @functools.cached_property
    def shell_of(self) -> np.ndarray:
        """Shell index of every satellite, int64 (n_sat,), from ``summary.shells`` counts (scenario order)."""
        counts = [int(s["satellites"]) for s in self.summary["shells"]]
        return np.repeat(np.arange(len(counts), dtype=np.int64), counts)

    @property
    def shell_names(self) -> list[str]:
        return [str(s["name"]) for s in self.summary["shells"]]

    @property
    def shell_starts(self) -> np.ndarray:
        counts = np.array([int(s["satellites"]) for s in self.summary["shells"]], dtype=np.int64)
        return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)

    @functools.cached_property
    def has_hardware(self) -> np.ndarray:
        """Per satellite: True when its shell simulated a bus (``shells[].bus`` not null)."""
        hw = np.array([s.get("bus") is not None for s in self.summary["shells"]], dtype=bool)
        return hw[self.shell_of] if hw.size else np.zeros(0, bool)

    def time_ns(self, t_s: np.ndarray | float) -> np.ndarray:
        """Absolute times [ns since 1970] of offsets ``t_s`` from the start."""
        return self.start_ns + np.round(np.asarray(t_s, dtype=np.float64) * 1e9).astype(np.int64)

    def datetimes(self, t_s: np.ndarray) -> np.ndarray:
        """``datetime64[ms]`` of offsets ``t_s`` (for plot axes)."""
        return self.time_ns(t_s).astype("datetime64[ns]").astype("datetime64[ms]")

    def parse_time_s(self, text: str | None, flag: str = "--time") -> float | None:
        """Seconds after the start of an ISO 8601 UTC time inside the run window (None stays None)."""
        if text is None:
            return None
        from orbitcloud.scenario.schema import parse_epoch

        try:
            when = parse_epoch(text)
        except ValueError as exc:
            raise OrbitcloudError(f"{flag}: {exc}") from None
        t_s = (int(np.datetime64(when, "ns").astype(np.int64)) - self.start_ns) / 1e9
        if not -1e-6 <= t_s <= self.t_last_s + 1e-6:
            raise OrbitcloudError(
                f"{flag}: {text!r} is outside the run window {iso_utc(self.start_ns)} .. "
                f"{iso_utc(self.time_ns(self.t_last_s))}"
            )
        return float(min(max(t_s, 0.0), self.t_last_s))

    def spec_at(self, t0_s: float, step_s: float, n_steps: int):
        """A :class:`~orbitcloud.sim.RunSpec` starting ``t0_s`` after the run start (same propagator)."""
        from orbitcloud.sim import RunSpec
        from orbitcloud.timescale import jd_split

        jd0, fr0 = jd_split(np.datetime64(int(self.time_ns(t0_s)), "ns"))
        return RunSpec(
            jd0=float(jd0), fr0=float(fr0), step_s=float(step_s), n_steps=int(n_steps), propagator=self.propagator
        )

    def positions_ecef_m(self, sats: np.ndarray, t_s: np.ndarray) -> np.ndarray:
        """Earth-fixed positions [m], shape (n, T, 3), of satellites ``sats`` at offsets ``t_s`` [s].

        Same propagator and frame as the run (TEME rotated by GMST-82, as in
        :func:`orbitcloud.network.simulate.positions`); NaN where SGP4 reports an error.
        """
        from orbitcloud.ephemeris.frames import gmst_for_times
        from orbitcloud.ephemeris.propagate import fast_ecef_m, fast_orbits, make_satrecs, sgp4_teme_km
        from orbitcloud.fleet import Fleet, FleetSlice
        from orbitcloud.timescale import jd_split

        fleet = self.fleet
        idx = np.asarray(sats, dtype=np.int64)
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        out = np.full((idx.size, t.size, 3), np.nan)
        if idx.size == 0 or t.size == 0:
            return out
        arrays = {name: getattr(fleet, name)[idx] for name in Fleet.ARRAYS}
        l1 = None if fleet.tle_line1 is None else fleet.tle_line1[idx]
        l2 = None if fleet.tle_line2 is None else fleet.tle_line2[idx]
        sl = FleetSlice(start=0, stop=idx.size, tle_line1=l1, tle_line2=l2, **arrays)
        jd0, fr0 = jd_split(np.datetime64(self.start_ns, "ns"))
        jd0, fr0 = float(jd0), float(fr0)
        from orbitcloud.timescale import jd_split_offset

        jd, fr = jd_split_offset(jd0, fr0, t)
        gmst = gmst_for_times(jd, fr)
        if self.propagator == "fast":
            orb = fast_orbits(sl, jd0, fr0)
            x, y, z, _ = fast_ecef_m(orb, t, gmst)
            out[..., 0], out[..., 1], out[..., 2] = x, y, z
            return out
        from sgp4.api import SatrecArray

        err, r_km, _ = sgp4_teme_km(SatrecArray(make_satrecs(sl)), jd, fr)
        c, s = np.cos(gmst), np.sin(gmst)
        rx, ry = r_km[..., 0] * 1000.0, r_km[..., 1] * 1000.0
        out[..., 0] = c * rx + s * ry
        out[..., 1] = c * ry - s * rx
        out[..., 2] = r_km[..., 2] * 1000.0
        out[err != 0] = np.nan
        return out

    def sun_ecef_m(self, t_s: np.ndarray) -> np.ndarray:
        """Sun position [m], shape (T, 3), in the same Earth-fixed axes."""
        from orbitcloud.ephemeris.frames import gmst_for_times, teme_to_ecef
        from orbitcloud.ephemeris.sun import sun_position_m
        from orbitcloud.timescale import jd_split, jd_split_offset

        jd0, fr0 = jd_split(np.datetime64(self.start_ns, "ns"))
        jd, fr = jd_split_offset(float(jd0), float(fr0), np.atleast_1d(np.asarray(t_s, dtype=np.float64)))
        return teme_to_ecef(sun_position_m(jd, fr), gmst_for_times(jd, fr))

    @functools.cached_property
    def network_config(self) -> bool:
        """True when the scenario has a ``network:`` or ``ground:`` section."""
        sc = self.loaded.scenario
        return sc.network is not None or sc.ground is not None

    @functools.cached_property
    def stations(self):
        """The scenario's ground stations, or None (no ``ground:`` section)."""
        if self.loaded.scenario.ground is None:
            return None
        from orbitcloud.network.simulate import load_stations

        return load_stations(self.loaded)


def open_run(run_dir: str | Path) -> RunDir:
    """Open a complete results directory; a missing or incomplete one raises :class:`OrbitcloudError`."""
    path = Path(run_dir)
    if not path.is_dir():
        raise OrbitcloudError(f"RUN_DIR {path}: not a directory (expected the --out folder of `orbitcloud run`)")
    p = path / SUMMARY
    if not p.is_file():
        raise OrbitcloudError(f"RUN_DIR {path}: no {SUMMARY}; not a complete results directory (see docs/results.md)")
    try:
        summary = json.loads(p.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise OrbitcloudError(f"RUN_DIR {path}/{SUMMARY}: cannot read: {exc}") from None
    for key in ("start", "steps", "step_s", "satellites", "shells"):
        if key not in summary:
            raise OrbitcloudError(
                f"RUN_DIR {path}/{SUMMARY}: key {key!r} missing; expected a run summary (docs/results.md)"
            )
    return RunDir(
        path=path,
        summary=summary,
        start_ns=_iso_to_ns(summary["start"]),
        step_s=float(summary["step_s"]),
        n_steps=int(summary["steps"]),
    )


# --------------------------------------------------------------------------------------------------
# Aggregates over all satellites (the report's totals never come from the drawn sample)
# --------------------------------------------------------------------------------------------------

#: Percentiles of the state-of-charge and temperature bands [%].
BAND_PERCENTILES = (0.0, 5.0, 25.0, 50.0, 75.0, 95.0, 100.0)


def group_quantiles(values: np.ndarray, group: np.ndarray, n_groups: int, q_pct: tuple[float, ...]) -> np.ndarray:
    """Percentiles ``q_pct`` of ``values`` within each group ``0 .. n_groups-1``: shape (len(q), n_groups).

    Linear interpolation between order statistics (numpy's default ``'linear'`` method); one
    lexicographic sort for all groups, NaN values dropped, NaN for an empty group.
    """
    v = np.asarray(values, dtype=np.float64)
    g = np.asarray(group, dtype=np.int64)
    ok = np.isfinite(v)
    v, g = v[ok], g[ok]
    order = np.lexsort((v, g))
    v = v[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = np.full((len(q_pct), n_groups), np.nan)
    has = counts > 0
    for i, q in enumerate(q_pct):
        pos = starts[has] + (q / 100.0) * (counts[has] - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, starts[has] + counts[has] - 1)
        frac = pos - lo
        out[i, has] = v[lo] * (1.0 - frac) + v[hi] * frac
    return out


@dataclasses.dataclass
class Timeline:
    """Fleet time series from ``timeseries.parquet`` (all satellites), one value per recorded sample.

    Power sums are over every satellite [W]; distributions (``soc_q``, ``t_node_c_q``:
    :data:`BAND_PERCENTILES` x T) and throttling fractions are over the satellites with hardware.
    """

    t_s: np.ndarray
    power_w: dict[str, np.ndarray]
    sunlit_fraction: np.ndarray
    soc_q: np.ndarray
    t_node_c_q: np.ndarray
    t_array_c_median: np.ndarray
    t_limit_c: dict[str, float]
    delivered_ops_per_s: np.ndarray
    nameplate_ops_per_s: float
    target_ops_per_s: float
    throttled_power: np.ndarray
    throttled_thermal: np.ndarray
    utilisation_mean: np.ndarray
    n_hw: int
    rows: int


def _ops_per_j(run: RunDir) -> np.ndarray:
    """Operations per joule of compute energy, per shell (0 without hardware), from the summary."""
    out = []
    for s in run.summary["shells"]:
        b = s.get("bus")
        if not b or not b.get("compute_power_w_per_satellite") or not s["satellites"]:
            out.append(0.0)
            continue
        out.append(
            float(b["nameplate_ops_per_s"] or 0.0) / (float(b["compute_power_w_per_satellite"]) * int(s["satellites"]))
        )
    return np.asarray(out, dtype=np.float64)


def load_timeline(run: RunDir) -> Timeline | None:
    """Aggregate ``timeseries.parquet`` over all satellites (None without it or without hardware)."""
    path = run.file("timeseries.parquet")
    if path is None or not run.has_hardware.any():
        return None
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    if pf.metadata.num_rows == 0:
        return None

    def col(name: str) -> np.ndarray:
        return pf.read(columns=[name]).column(0).to_numpy()

    t_ns = col("time").astype("datetime64[ns]").astype(np.int64)
    uniq, inv = np.unique(t_ns, return_inverse=True)
    n_t = uniq.size
    sat = col("satellite")
    hw = run.has_hardware[sat]
    n_hw_t = np.bincount(inv, weights=hw, minlength=n_t)
    inv_hw = inv[hw]

    def fleet_sum(name: str) -> np.ndarray:
        return np.bincount(inv, weights=np.nan_to_num(col(name)), minlength=n_t)

    power = {
        key: fleet_sum(c)
        for key, c in (
            ("generated", "p_gen_w"),
            ("used", "p_load_w"),
            ("compute", "p_compute_w"),
            ("heater", "p_heater_w"),
            ("curtailed", "p_curtailed_w"),
        )
    }
    illum = col("illumination")
    sunlit = np.bincount(inv, weights=np.nan_to_num(illum), minlength=n_t) / np.maximum(
        np.bincount(inv, minlength=n_t), 1
    )
    del illum
    soc_q = group_quantiles(col("soc")[hw], inv_hw, n_t, BAND_PERCENTILES)
    zero_c = 273.15
    t_q = group_quantiles(col("t_k")[hw] - zero_c, inv_hw, n_t, BAND_PERCENTILES)
    t_arr = group_quantiles(col("array_temp_k")[hw] - zero_c, inv_hw, n_t, (50.0,))[0]
    ops_j = _ops_per_j(run)[run.shell_of[sat]]
    delivered = np.bincount(inv, weights=np.nan_to_num(col("p_compute_w")) * ops_j, minlength=n_t)
    thr = col("throttle")
    thr_p = np.bincount(inv_hw, weights=thr[hw] == 1, minlength=n_t) / np.maximum(n_hw_t, 1)
    thr_t = np.bincount(inv_hw, weights=thr[hw] == 2, minlength=n_t) / np.maximum(n_hw_t, 1)
    util = np.bincount(inv_hw, weights=np.nan_to_num(col("utilisation")[hw]), minlength=n_t) / np.maximum(n_hw_t, 1)
    nameplate = 0.0
    target = 0.0
    limits = {}
    for s in run.summary["shells"]:
        b = s.get("bus")
        if b:
            nameplate += float(b["nameplate_ops_per_s"] or 0.0)
            target += float(b["nameplate_ops_per_s"] or 0.0) * float(b["utilisation_target"] or 0.0)
            if b.get("temperature_limit_c") is not None:
                limits[s["name"]] = float(b["temperature_limit_c"])
    return Timeline(
        t_s=(uniq - run.start_ns) / 1e9,
        power_w=power,
        sunlit_fraction=sunlit,
        soc_q=soc_q,
        t_node_c_q=t_q,
        t_array_c_median=t_arr,
        t_limit_c=limits,
        delivered_ops_per_s=delivered,
        nameplate_ops_per_s=nameplate,
        target_ops_per_s=target,
        throttled_power=thr_p,
        throttled_thermal=thr_t,
        utilisation_mean=util,
        n_hw=int(run.has_hardware.sum()),
        rows=int(pf.metadata.num_rows),
    )


def values_at(run: RunDir, column: str, t_s: float, sats: np.ndarray) -> tuple[np.ndarray, float]:
    """``timeseries.parquet`` column at the recorded sample nearest ``t_s`` for satellites ``sats``.

    Returns (values (n,), the sample's offset [s]); NaN for satellites without a row.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = run.file("timeseries.parquet")
    times = record_times_s(run)
    if path is None or times.size == 0:
        raise OrbitcloudError(
            f"--color {column}: needs timeseries.parquet in {run.path} (run with --out DIR --record 10min)"
        )
    t_rec = float(times[np.argmin(np.abs(times - t_s))])
    stamp = pa.scalar(int(run.time_ns(t_rec)), pa.timestamp("ns", tz="UTC"))
    table = pq.read_table(path, columns=["satellite", column], filters=[("time", "=", stamp)])
    s = table.column("satellite").to_numpy()
    v = table.column(column).to_numpy().astype(np.float64)
    order = np.argsort(s, kind="stable")
    s, v = s[order], v[order]
    want = np.asarray(sats, dtype=np.int64)
    out = np.full(want.size, np.nan)
    if s.size:
        pos = np.minimum(np.searchsorted(s, want), s.size - 1)
        hit = s[pos] == want
        out[hit] = v[pos[hit]]
    return out, t_rec


def record_times_s(run: RunDir) -> np.ndarray:
    """Offsets [s] of the recorded samples in ``timeseries.parquet`` (those of its first satellite)."""
    import pyarrow.parquet as pq

    path = run.file("timeseries.parquet")
    if path is None:
        return np.zeros(0)
    pf = pq.ParquetFile(path)
    if pf.metadata.num_rows == 0:
        return np.zeros(0)
    first = pf.read_row_group(0, columns=["time", "satellite"])
    t = first.column("time").to_numpy().astype("datetime64[ns]").astype(np.int64)
    s = first.column("satellite").to_numpy()
    return (np.unique(t[s == s[0]]) - run.start_ns) / 1e9


# --------------------------------------------------------------------------------------------------
# Eclipses, contacts, faults
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# Network: links at one time, RTT over time
# --------------------------------------------------------------------------------------------------

#: Full-fleet positions are propagated for links on the globe only up to this many satellites.
NETWORK_MAX_SATELLITES = 200_000
#: Satellite-steps routed for the RTT timeline (the cadence is coarsened to stay under it).
RTT_SAT_STEPS = 3_000_000
#: At most this many samples on the RTT timeline.
RTT_MAX_SAMPLES = 720


def network_setup(run: RunDir):
    """The scenario's network (``network.simulate.setup``) with the stations, or None without a section."""
    if not run.network_config:
        return None
    from orbitcloud.network import simulate as S
    from orbitcloud.network.ground import Stations

    stations = run.stations
    if stations is None:
        stations = Stations.from_geodetic([], [], [], [], [], source="no stations")
    return S.setup(run.loaded, run.fleet, stations)


@dataclasses.dataclass
class LinksAt:
    """Links in use at one time: ISLs ``(a, b)`` and ground links ``(station, sat)``, with all positions."""

    pos_m: np.ndarray  # (n_sat, 3) every satellite at that time
    isl_a: np.ndarray
    isl_b: np.ndarray
    gsl_station: np.ndarray
    gsl_sat: np.ndarray


def links_at(run: RunDir, t_s: float) -> LinksAt | None:
    """ISLs and assigned ground links at ``t_s`` (acquisition delay ignored: a snapshot, not a history).

    None without a network/ground section or above :data:`NETWORK_MAX_SATELLITES` satellites.
    """
    ns = network_setup(run)
    if ns is None or run.n_sat > NETWORK_MAX_SATELLITES:
        return None
    from orbitcloud.network import simulate as S

    ns = dataclasses.replace(ns, acquisition_s=0.0)
    pos = run.positions_ecef_m(np.arange(run.n_sat), np.array([t_s]))
    x, y, z = pos[:, :, 0], pos[:, :, 1], pos[:, :, 2]
    stepper = S.NetworkStepper(ns, run.n_sat)
    gsl = S.ground_links_by_step(ns, x, y, z) if len(ns.stations) else None
    if gsl is None:
        from orbitcloud.network.ground import Links

        z0 = np.zeros(0, np.int64)
        links = Links(z0, z0, z0, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
        net = stepper.build(x, y, z, 0, t_s, lambda _j: links)
    else:
        net = stepper.build(x, y, z, 0, t_s, gsl)
    return LinksAt(
        pos_m=pos[:, 0, :], isl_a=net.isl_a, isl_b=net.isl_b, gsl_station=net.gsl.station, gsl_sat=net.gsl.sat
    )


@dataclasses.dataclass
class RttSeries:
    """RTT between ``network.pairs`` over the run at a coarse cadence, with path changes marked."""

    t_s: np.ndarray
    pairs: list[str]
    rtt_ms: np.ndarray  # (T, n_pairs), NaN when unreachable
    hops: np.ndarray  # (T, n_pairs), -1 when unreachable
    changed: np.ndarray  # (T, n_pairs) bool: the path differs from the previous sample's
    stride: int  # run steps per sample


def rtt_series(run: RunDir) -> RttSeries | None:
    """Recompute RTTs for the scenario's ``network.pairs`` with :mod:`orbitcloud.network.routing`.

    The cadence is ``stride`` run steps, the smallest with at most :data:`RTT_SAT_STEPS`
    satellite-samples and :data:`RTT_MAX_SAMPLES` samples. None without pairs or stations.
    """
    sc = run.loaded.scenario
    if sc.network is None or not sc.network.pairs or sc.ground is None or run.n_sat > NETWORK_MAX_SATELLITES:
        return None
    from orbitcloud.network import routing as R
    from orbitcloud.network import simulate as S

    ns = network_setup(run)
    src, dst = [], []
    for text in sc.network.pairs:
        a, b = (p.strip() for p in text.split(","))
        i, j = ns.stations.find([a, b])
        src.append(i)
        dst.append(j)
    src_a, dst_a = np.asarray(src, np.int64), np.asarray(dst, np.int64)
    stride = max(1, int(np.ceil(run.n_sat * run.n_steps / RTT_SAT_STEPS)), int(np.ceil(run.n_steps / RTT_MAX_SAMPLES)))
    n = (run.n_steps - 1) // stride + 1
    spec = run.spec_at(0.0, run.step_s * stride, n)
    stepper = S.NetworkStepper(ns, run.n_sat)
    rtt = np.full((n, src_a.size), np.nan)
    hops = np.full((n, src_a.size), -1, np.int64)
    changed = np.zeros((n, src_a.size), bool)
    prev = None
    for k0, t_s, x, y, z in S.positions(run.fleet, spec):
        gsl_at = S.ground_links_by_step(ns, x, y, z)
        for j in range(x.shape[1]):
            net = stepper.build(x, y, z, j, float(t_s[j]), gsl_at)
            routes = R.rtt_and_paths(net.snapshot, src_a, dst_a)
            k = k0 + j
            ok = np.isfinite(routes.rtt_s)
            rtt[k] = np.where(ok, routes.rtt_s * 1e3, np.nan)
            hops[k] = routes.hops
            if prev is not None:
                changed[k] = R.path_changes(prev, routes.paths)
            prev = routes.paths
    return RttSeries(
        t_s=np.arange(n) * run.step_s * stride,
        pairs=[f"{sc.network.pairs[i]}" for i in range(src_a.size)],
        rtt_ms=rtt,
        hops=hops,
        changed=changed,
        stride=stride,
    )


# --------------------------------------------------------------------------------------------------
# Workloads (requests.parquet, workload_timeline.parquet, summary.workloads)
# --------------------------------------------------------------------------------------------------

REQUEST_STATUSES = ("served", "pending", "unreachable")
LATENCY_COLUMNS = ("e2e_s", "ttft_s", "tpot_s", "network_s", "queue_s")


def load_requests(run: RunDir):
    """``requests.parquet`` as a pyarrow table, or None."""
    path = run.file("requests.parquet")
    if path is None:
        return None
    import pyarrow.parquet as pq

    return pq.read_table(path)


def load_workload_timeline(run: RunDir):
    """``workload_timeline.parquet`` as a pyarrow table, or None."""
    path = run.file("workload_timeline.parquet")
    if path is None:
        return None
    import pyarrow.parquet as pq

    return pq.read_table(path)


def ecdf_points(values: np.ndarray, max_points: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Empirical CDF of the finite ``values``: (x sorted, F(x)) thinned to at most ``max_points``
    order statistics (evenly spaced in rank, first and last kept), exact at every point kept."""
    v = np.sort(np.asarray(values, dtype=np.float64)[np.isfinite(values)])
    n = v.size
    if n == 0:
        return v, v
    if n <= max_points:
        idx = np.arange(n)
    else:
        idx = np.unique(np.round(np.linspace(0, n - 1, max_points)).astype(np.int64))
    return v[idx], (idx + 1) / n


# --------------------------------------------------------------------------------------------------
# The fleet at one time (globe and ground-track map)
# --------------------------------------------------------------------------------------------------

#: Colour choices of the globe and map: timeseries column (None: computed from the geometry), label, range.
COLORS: dict[str, tuple[str | None, str, tuple[float, float] | None]] = {
    "illumination": (None, "illumination (fraction of the solar disk)", (0.0, 1.0)),
    "soc": ("soc", "battery state of charge", (0.0, 1.0)),
    "temperature": ("t_k", "node temperature [°C]", None),
    "utilisation": ("utilisation", "accelerator utilisation", (0.0, 1.0)),
}
#: Satellites that get a ground track on the map (stratified like the drawn sample).
TRACKS = 24


@dataclasses.dataclass
class FleetSnapshot:
    """Drawn satellites at one time: positions, colour values, links and ground tracks."""

    t_s: float
    sats: np.ndarray  # drawn satellite indices (sorted)
    pos_m: np.ndarray  # (n, 3) Earth-fixed
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    color: str
    values: np.ndarray  # (n,) colour values (temperature in °C)
    values_t_s: float  # time the values belong to (the nearest recorded sample for timeseries columns)
    sun_m: np.ndarray  # (3,) Earth-fixed Sun position
    links: LinksAt | None
    track_sats: np.ndarray
    track_lon_deg: np.ndarray  # (k, T), NaN at antimeridian jumps
    track_lat_deg: np.ndarray
    track_t_s: np.ndarray


def default_time_s(run: RunDir) -> float:
    """The globe's default time: the middle of the run window, moved to the nearest recorded sample."""
    mid = 0.5 * run.t_last_s
    rec = record_times_s(run)
    if rec.size:
        return float(rec[np.argmin(np.abs(rec - mid))])
    return float(np.round(mid / run.step_s) * run.step_s)


def _geodetic_deg(pos_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from orbitcloud.ephemeris.frames import ecef_to_geodetic

    shape = pos_m.shape[:-1]
    ok = np.isfinite(pos_m).all(axis=-1)
    flat = np.where(ok[..., None], pos_m, 7e6).reshape(-1, 3)
    lat, lon, _ = ecef_to_geodetic(flat)
    lat = np.where(ok, np.degrees(lat).reshape(shape), np.nan)
    lon = np.where(ok, np.degrees(lon).reshape(shape), np.nan)
    return lat, lon


def break_antimeridian(lon_deg: np.ndarray, lat_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of (k, T) tracks with a NaN inserted where the longitude jumps by more than 180 deg."""
    k, n = lon_deg.shape
    jump = np.zeros((k, n), bool)
    jump[:, 1:] = np.abs(np.diff(lon_deg, axis=1)) > 180.0
    extra = int(jump.sum(axis=1).max()) if k else 0
    out_lon = np.full((k, n + extra), np.nan)
    out_lat = np.full((k, n + extra), np.nan)
    pos = np.arange(n)[None, :] + np.cumsum(jump, axis=1)
    rows = np.repeat(np.arange(k)[:, None], n, axis=1)
    out_lon[rows, pos] = lon_deg
    out_lat[rows, pos] = lat_deg
    return out_lon, out_lat


def fleet_snapshot(run: RunDir, t_s: float, color: str, sample, with_links: bool = True) -> FleetSnapshot:
    """Positions and colours of the drawn satellites at ``t_s``, links, and ground tracks.

    Illumination is computed at ``t_s`` with :func:`orbitcloud.environment.shadow.illumination`
    (conical shadow, the run's model); the other colours are the ``timeseries.parquet`` values at
    the recorded sample nearest ``t_s``. Ground tracks span one orbital period centred on ``t_s``
    (30-s resolution) for :data:`TRACKS` satellites chosen by the same stratified rule.
    """
    from orbitcloud.environment.shadow import illumination
    from orbitcloud.report.sample import sample_satellites

    sats = sample.index
    pos = run.positions_ecef_m(sats, np.array([t_s]))[:, 0, :]
    lat, lon = _geodetic_deg(pos)
    sun = run.sun_ecef_m(np.array([t_s]))
    column, _, _ = COLORS[color]
    if column is None:
        ok = np.isfinite(pos).all(axis=1)
        vals = np.full(sats.size, np.nan)
        if ok.any():
            vals[ok] = illumination(pos[ok, 0:1], pos[ok, 1:2], pos[ok, 2:3], sun)[:, 0]
        vals_t = t_s
    else:
        vals, vals_t = values_at(run, column, t_s, sats)
        if column == "t_k":
            vals = vals - 273.15
        vals = np.where(run.has_hardware[sats], vals, np.nan)
    links = links_at(run, t_s) if with_links else None
    # ground tracks: a stratified handful of the drawn satellites
    pick = sample_satellites(np.bincount(run.shell_of[sats], minlength=len(run.summary["shells"])), TRACKS).index
    track_sats = sats[pick]
    n_rev = run.fleet.no_kozai_rad_min[track_sats] * 1440.0 / (2 * np.pi) if track_sats.size else np.ones(1)
    period_s = 86400.0 / float(np.min(n_rev)) if track_sats.size else 0.0
    tt = t_s + np.arange(-0.5 * period_s, 0.5 * period_s + 1e-9, 30.0)
    tpos = run.positions_ecef_m(track_sats, tt)
    tlat, tlon = _geodetic_deg(tpos)
    tlon, tlat = break_antimeridian(tlon, tlat)
    return FleetSnapshot(
        t_s=t_s,
        sats=sats,
        pos_m=pos,
        lat_deg=lat,
        lon_deg=lon,
        color=color,
        values=vals,
        values_t_s=vals_t,
        sun_m=sun[0],
        links=links,
        track_sats=track_sats,
        track_lon_deg=tlon,
        track_lat_deg=tlat,
        track_t_s=tt,
    )
