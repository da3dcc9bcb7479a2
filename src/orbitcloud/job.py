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
    radiation: bool = True  # simulate dose and faults when the scenario has ``radiation:``
    network: bool = True  # network summaries when the scenario has ``network:`` or ``ground:``
    workloads: bool = True  # run the scenario's ``workloads:`` (inference, training, Earth observation)
    policy: str | None = None  # placement policy (None: the scenario's ``policies.placement``)


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


#: The most dose-rate sub-samples per step (a 1-h step at the default 60-s sub-sampling uses 60).
MAX_SUBSAMPLES = 256


def radiation_block(loaded, fleet, designs, step_s: float):
    """The radiation environment and fault inputs for the fleet, or None without ``radiation:``."""
    cfg = loaded.scenario.radiation
    if cfg is None:
        return None
    from orbitcloud.environment.radiation import RadiationGrid, RadiationSpec
    from orbitcloud.errors import ScenarioError
    from orbitcloud.fleet import mean_altitude_km
    from orbitcloud.fleet.elements import RADIUS_KM
    from orbitcloud.ops.faults import FaultModelError, resolve_faults
    from orbitcloud.sim.engine import RadiationBlock

    kw = dict(shielding_mm_al=cfg.shielding_mm_al, solar=cfg.solar, spe=cfg.spe)
    if cfg.gcr_rad_per_yr is not None:
        kw["gcr_rad_per_yr"] = cfg.gcr_rad_per_yr
    try:
        rspec = RadiationSpec(**kw)
    except ValueError as exc:
        raise ScenarioError(f"{loaded.label}: radiation: {exc}") from None
    alt = mean_altitude_km(fleet)
    a_km = alt + RADIUS_KM
    lo = float(np.min(alt - a_km * fleet.ecco)) - 25.0
    hi = float(np.max(alt + a_km * fleet.ecco)) + 25.0
    grid = RadiationGrid.build(max(lo, 100.0), hi, rspec)
    shells = loaded.scenario.constellation
    models: list = [None] * len(shells)
    n_dev = np.zeros(len(shells), np.int64)
    spares = np.zeros(len(shells), np.int64)
    delay = np.zeros(len(shells))
    for idx, shell in enumerate(shells):
        comp = shell.hardware.compute if shell.hardware is not None else None
        if comp is None or comp.count == 0:
            continue
        try:
            models[idx] = resolve_faults(comp.accelerator, comp.faults)
        except FaultModelError as exc:
            raise ScenarioError(f"{loaded.label}: constellation[{idx}].hardware.compute.faults: {exc}") from None
        n_dev[idx], spares[idx], delay[idx] = comp.count, comp.spares, comp.spare_delay_s
    si = fleet.shell_index
    # satellites without accelerators carry no devices; any model stands in for them (no events)
    fallback = next((m for m in models if m is not None), None)
    if fallback is not None:
        models = [fallback if m is None else m for m in models]
    subsamples = min(MAX_SUBSAMPLES, max(1, math.ceil(step_s / cfg.subsample_s - 1e-9)))
    need_flux = any(m is not None and _uses_fluence(m) for m in models)
    return RadiationBlock(
        grid=grid, subsamples=subsamples, n_devices=n_dev[si], spares=spares[si], spare_delay_s=delay[si],
        models=[models[i] for i in si.tolist()], seed=loaded.scenario.seed, need_flux=need_flux,
    )


def _uses_fluence(model) -> bool:
    return any(getattr(getattr(model, k), "clock", "dose") == "fluence" for k in ("uecc", "sdc", "sefi"))


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
    rad = radiation_block(loaded, fleet, designs, spec.step_s) if opts.radiation else None
    ctl = None
    if opts.policy is not None:
        from orbitcloud.ops.policies import check_policy

        check_policy(opts.policy)
    if opts.workloads and loaded.scenario.workloads is not None:
        from orbitcloud.ops.controller import WorkloadController

        if not opts.bus:
            raise OrbitcloudError("--no-bus: the scenario's workloads need the bus; add --no-workloads to run without them")
        ctl = WorkloadController(loaded, fleet, spec, bus, designs, opts.policy)
    elif opts.policy is not None:
        raise OrbitcloudError(f"--policy {opts.policy}: the scenario has no workloads: section to place")
    total = len(fleet) * spec.n_steps
    progress = progress_factory(total) if progress_factory is not None else None
    t0 = time.perf_counter()
    result = simulate(fleet, spec, workers=opts.workers, progress=progress, bus=bus, rad=rad, ctl=ctl)
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
    summary = build_summary(fleet, spec, result, meta, designs, rad)
    contacts = None
    if opts.network and (loaded.scenario.ground is not None or loaded.scenario.network is not None):
        from orbitcloud.network.simulate import run_summary

        t1 = time.perf_counter()
        summary["network"], contacts = run_summary(loaded, fleet, spec)
        summary["network"]["wall_time_s"] = round(time.perf_counter() - t1, 3)
    else:
        summary["network"] = None
    tables = {}
    if ctl is not None:
        summary["workloads"] = ctl.summary()
        req = ctl.requests_table()
        if req is not None:
            tables["requests.parquet"] = req
        tables["workload_timeline.parquet"] = ctl.timeline_table()
    else:
        summary["workloads"] = None
    summary["wall_time_s"] = round(wall_s, 3)
    summary["satellite_steps_per_s"] = round(total / wall_s) if wall_s > 0 else None
    if opts.out is not None:
        start_ns = int(np.datetime64(start, "ns").astype(np.int64))
        write_results(Path(opts.out), summary, fleet, result, start_ns, max(spec.t_last_s, spec.step_s), loaded.text, contacts,
                      tables=tables)
    return summary
