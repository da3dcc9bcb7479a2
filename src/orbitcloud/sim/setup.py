"""Everything a run needs before its first step: options checked, scenario loaded, fleet built,
designs resolved, radiation grid and fault models, bus parameters.

Checks come first and allocate nothing large, so a bad option or an absurd size is refused with one
line before any work (``docs/python.md`` lists the options; the CLI's flags are the same).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.scenario import load_scenario, n_steps, parse_duration_s
from orbitcloud.scenario.schema import MAX_STEPS, parse_epoch

PROPAGATORS = ("sgp4", "fast")
#: More eclipse rows than this are refused before the run (about 9 GB of CSV).
MAX_ECLIPSE_ROWS = 100_000_000
#: More bus time-series rows than this are refused before the run (each row ~90 bytes in memory).
MAX_RECORD_ROWS = 20_000_000


@dataclasses.dataclass
class RunOptions:
    """Options of a run (``orbitcloud run`` flags; ``orbitcloud.run`` / ``Simulation`` keywords).

    ``start``, ``duration``, ``step``: None keeps the scenario's value; durations as text (``90s``,
    ``15min``, ``1.5h``, ``1d``, ``100ms``) or seconds; ``start`` an ISO 8601 UTC time or a datetime.
    ``propagator``: ``sgp4`` (reference) or ``fast`` (analytic, 1.7-6 km from SGP4 in a day).
    ``out``: results directory written at the end. ``workers``: processes for large fleets
    (default: all cores). ``eclipses``: keep every eclipse (``eclipses.csv``, ``Result.events()``).
    ``record``: bus time-series interval. ``bus``/``radiation``/``network``/``workloads``: switch a
    layer off (the workloads need the bus: ``bus=False`` turns them off too). ``policy``: placement
    policy of the workloads (None: the scenario's). ``serving``: serving policy (``max-clock``,
    ``race-to-idle``, ``energy-aware``, ``cascade``; ``docs/serving.md``; None: the scenario's). ``ttc``: the TT&C layer (``docs/ttc.md``): None
    on when the scenario has a ``ttc:`` section, True on (with the defaults when it has none), False off.
    ``executor``: ``local`` (worker processes on this machine) or ``ray`` (Ray tasks and actors; ``address``
    joins a running cluster, None starts a local instance); workload runs of 20,000 satellites or
    more split their separable physics over the workers (``docs/scaling.md``).
    """

    start: Any = None
    duration: Any = None
    step: Any = None
    propagator: str = "sgp4"
    out: Path | None = None
    workers: int | None = None
    eclipses: bool = True
    record: Any = None
    bus: bool = True
    radiation: bool = True
    network: bool = True
    workloads: bool = True
    policy: str | None = None
    ttc: bool | None = None
    serving: str | None = None
    executor: str = "local"
    address: str | None = None


def _duration_option(value: Any, flag: str) -> float:
    try:
        out = parse_duration_s(value)
    except ValueError as exc:
        raise OrbitcloudError(f"{flag}: {exc}") from None
    if out <= 0:
        raise OrbitcloudError(f"{flag}: must be positive, got {value!r}")
    return out


def load_source(source: Any):
    """A :class:`~orbitcloud.scenario.LoadedScenario` from a built-in name, a YAML path, YAML text or a
    mapping (validated like a file; messages name ``<mapping>``)."""
    from orbitcloud.scenario import LoadedScenario, parse_scenario

    if isinstance(source, LoadedScenario):
        return source
    if isinstance(source, dict):
        import yaml

        return parse_scenario(yaml.safe_dump(source, sort_keys=False), label="<mapping>")
    if isinstance(source, str) and "\n" in source:
        return parse_scenario(source, label="<text>")
    if isinstance(source, (str, Path)):
        return load_scenario(source)
    raise OrbitcloudError(f"scenario: expected a built-in name, a YAML file, YAML text or a mapping, got {type(source).__name__}")


@dataclasses.dataclass
class Prepared:
    """A run ready to start: the loaded scenario, its fleet, the run spec and the resolved parts."""

    loaded: Any
    fleet: Any
    spec: Any
    start: dt.datetime
    duration_s: float
    opts: RunOptions


def prepare(source: Any, opts: RunOptions) -> Prepared:
    """Load and check everything before any large allocation."""
    from orbitcloud.fleet import build_fleet
    from orbitcloud.sim.engine import RunSpec
    from orbitcloud.timescale import jd_split

    if opts.propagator not in PROPAGATORS:
        raise OrbitcloudError(f"--propagator: {opts.propagator!r} is not one of {', '.join(PROPAGATORS)}")
    if opts.workers is not None and (not isinstance(opts.workers, int) or opts.workers < 1):
        raise OrbitcloudError(f"--workers: must be a whole number of at least 1, got {opts.workers!r}")
    if opts.executor not in ("local", "ray"):
        raise OrbitcloudError(f"--executor: expected local or ray, got {opts.executor!r}")
    if opts.address is not None and opts.executor != "ray":
        raise OrbitcloudError("--address: only with --executor ray")
    loaded = load_source(source)
    sc = loaded.scenario
    start = sc.epoch
    if opts.start is not None:
        try:
            start = parse_epoch(opts.start)
        except ValueError as exc:
            raise OrbitcloudError(f"--start: {exc}") from None
    duration_s = _duration_option(opts.duration, "--duration") if opts.duration is not None else sc.duration
    step_s = _duration_option(opts.step, "--step") if opts.step is not None else sc.step
    if step_s > duration_s * (1.0 + 1e-12):
        raise OrbitcloudError(
            f"--step: a step of {step_s:g} s is longer than the duration of {duration_s:g} s; "
            "shorten the step or lengthen the run"
        )
    steps = n_steps(duration_s, step_s)
    if steps > MAX_STEPS:
        raise OrbitcloudError(f"--duration/--step: {steps:,} time steps; at most {MAX_STEPS:,} are supported")
    fleet = build_fleet(loaded)
    if opts.eclipses:
        estimate = len(fleet) * max(1.0, duration_s / 86400.0) * 16
        if estimate > MAX_ECLIPSE_ROWS:
            raise OrbitcloudError(
                f"eclipses: about {estimate:,.0f} eclipse rows (limit {MAX_ECLIPSE_ROWS:,}); "
                "shorten the run or pass --no-eclipses (eclipses=False)"
            )
    stride = 0
    if opts.record is not None:
        if not opts.bus:
            raise OrbitcloudError("--record: records the bus, which --no-bus turns off")
        record_s = _duration_option(opts.record, "--record")
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
        want_events=bool(opts.eclipses), record_every_steps=stride,
    )
    return Prepared(loaded, fleet, spec, start, duration_s, opts)


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
