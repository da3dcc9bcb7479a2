"""The main job, end to end: scenario -> fleet -> simulation -> summary -> results directory.

Usable from Python (``orbitcloud.job.run_scenario("three-body-12")``) and by ``orbitcloud run``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from orbitcloud import __version__
from orbitcloud.errors import OrbitcloudError
from orbitcloud.scenario import load_scenario, n_steps, parse_duration_s
from orbitcloud.scenario.schema import MAX_STEPS, parse_epoch

PROPAGATORS = ("sgp4", "fast")
#: More eclipse rows than this are refused before the run (about 9 GB of CSV).
MAX_ECLIPSE_ROWS = 100_000_000
#: More bus time-series rows than this are refused before the run (each row ~90 bytes in memory).
MAX_RECORD_ROWS = 20_000_000


@dataclasses.dataclass
class JobOptions:
    """Overrides and options of ``orbitcloud run`` (None keeps the scenario's value)."""

    start: str | None = None
    duration: str | None = None
    step: str | None = None
    propagator: str = "sgp4"
    out: Path | None = None
    workers: int | None = None
    eclipses: bool = True
    record: str | None = None  # bus time-series interval (duration text), needs ``out``
    bus: bool = True  # simulate the power/thermal bus of shells with hardware


def _override_duration(text: str, flag: str) -> float:
    try:
        value = parse_duration_s(text)
    except ValueError as exc:
        raise OrbitcloudError(f"{flag}: {exc}") from None
    if value <= 0:
        raise OrbitcloudError(f"{flag}: must be positive, got {text!r}")
    return value


def prepare(source: str, opts: JobOptions):
    """Load and check everything before any large allocation; returns (loaded, fleet, spec, start)."""
    from orbitcloud.fleet import build_fleet
    from orbitcloud.sim import RunSpec
    from orbitcloud.timescale import jd_split

    if opts.propagator not in PROPAGATORS:
        raise OrbitcloudError(f"--propagator: {opts.propagator!r} is not one of {', '.join(PROPAGATORS)}")
    if opts.workers is not None and opts.workers < 1:
        raise OrbitcloudError(f"--workers: must be at least 1, got {opts.workers}")
    loaded = load_scenario(source)
    sc = loaded.scenario
    start = sc.epoch
    if opts.start is not None:
        try:
            start = parse_epoch(opts.start)
        except ValueError as exc:
            raise OrbitcloudError(f"--start: {exc}") from None
    duration_s = _override_duration(opts.duration, "--duration") if opts.duration is not None else sc.duration
    step_s = _override_duration(opts.step, "--step") if opts.step is not None else sc.step
    steps = n_steps(duration_s, step_s)
    if steps > MAX_STEPS:
        raise OrbitcloudError(f"--duration/--step: {steps:,} time steps; at most {MAX_STEPS:,} are supported")
    fleet = build_fleet(loaded)
    want_events = opts.out is not None and opts.eclipses
    if want_events:
        estimate = len(fleet) * max(1.0, duration_s / 86400.0) * 16
        if estimate > MAX_ECLIPSE_ROWS:
            raise OrbitcloudError(
                f"--out: eclipses.csv would hold about {estimate:,.0f} rows (limit {MAX_ECLIPSE_ROWS:,}); "
                "shorten --duration or pass --no-eclipses"
            )
    stride = 0
    if opts.record is not None:
        if not opts.bus:
            raise OrbitcloudError("--record: records the bus, which --no-bus turns off")
        if opts.out is None:
            raise OrbitcloudError("--record: needs --out (the time series is written to OUT/timeseries.parquet)")
        record_s = _override_duration(opts.record, "--record")
        stride = max(1, int(round(record_s / step_s)))
        rows = len(fleet) * math.ceil(steps / stride)
        if rows > MAX_RECORD_ROWS:
            raise OrbitcloudError(
                f"--record {opts.record}: {rows:,} rows for {len(fleet):,} satellites x {math.ceil(steps / stride):,} "
                f"samples (limit {MAX_RECORD_ROWS:,}); record less often or run fewer satellites"
            )
    jd0, fr0 = jd_split(np.datetime64(start, "ns"))
    spec = RunSpec(
        jd0=float(jd0), fr0=float(fr0), step_s=step_s, n_steps=steps, propagator=opts.propagator,
        want_events=want_events, record_every_steps=stride,
    )
    return loaded, fleet, spec, start, duration_s


def shell_designs(loaded) -> list:
    """The resolved :class:`~orbitcloud.bus.design.Design` of each shell (None without hardware)."""
    from orbitcloud.bus.design import resolve

    out = []
    for idx, shell in enumerate(loaded.scenario.constellation):
        out.append(None if shell.hardware is None else resolve(shell.hardware, shell.hardware.design or f"{shell.name or shell.kind + str(idx)}-inline"))
    return out


def bus_params(fleet, designs):
    """Per-satellite bus parameters for the fleet (None when no shell has hardware)."""
    from orbitcloud.bus.step import build_bus_params
    from orbitcloud.constants import WGS84_A_M
    from orbitcloud.fleet import mean_altitude_km

    r_over_re = (mean_altitude_km(fleet) * 1000.0 + WGS84_A_M) / WGS84_A_M
    return build_bus_params(fleet.shell_index, designs, r_over_re)


def run_scenario(
    source: str,
    opts: JobOptions | None = None,
    progress_factory: Callable[[int], Callable[[int], None]] | None = None,
) -> dict[str, Any]:
    """Run a scenario (built-in name or YAML path); returns the summary dict, writes ``opts.out``."""
    from orbitcloud.results import RESULTS_LAYOUT_VERSION, build_summary, write_results
    from orbitcloud.sim import simulate

    opts = opts or JobOptions()
    loaded, fleet, spec, start, duration_s = prepare(source, opts)
    designs = shell_designs(loaded) if opts.bus else [None] * len(loaded.scenario.constellation)
    bus = bus_params(fleet, designs)
    total = len(fleet) * spec.n_steps
    progress = progress_factory(total) if progress_factory is not None else None
    t0 = time.perf_counter()
    result = simulate(fleet, spec, workers=opts.workers, progress=progress, bus=bus)
    wall_s = time.perf_counter() - t0
    iso = lambda d: d.replace(tzinfo=dt.timezone.utc).isoformat().replace("+00:00", "Z")  # noqa: E731
    meta = {
        "orbitcloud_version": __version__,
        "results_layout_version": RESULTS_LAYOUT_VERSION,
        "scenario": loaded.scenario.name,
        "source": loaded.label,
        "epoch": iso(loaded.scenario.epoch),
        "start": iso(start),
        "duration_s": duration_s,
    }
    summary = build_summary(fleet, spec, result, meta, designs)
    summary["wall_time_s"] = round(wall_s, 3)
    summary["satellite_steps_per_s"] = round(total / wall_s) if wall_s > 0 else None
    if opts.out is not None:
        start_ns = int(np.datetime64(start, "ns").astype(np.int64))
        write_results(Path(opts.out), summary, fleet, result, start_ns, max(spec.t_last_s, spec.step_s), loaded.text)
    return summary
