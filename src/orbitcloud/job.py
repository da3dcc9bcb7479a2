"""The main job, end to end, as ``orbitcloud run`` does it: a :class:`~orbitcloud.sim.Simulation`
advanced over the whole run and finished.

Kept for scripts written against it: ``orbitcloud.job.run_scenario("three-body-12")`` returns the
summary dict. New code uses ``orbitcloud.run(...)`` (a :class:`~orbitcloud.results.Result`) or
``orbitcloud.Simulation``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from orbitcloud.sim.setup import (  # noqa: F401 (re-exported for scripts written against orbitcloud.job)
    MAX_ECLIPSE_ROWS,
    MAX_RECORD_ROWS,
    PROPAGATORS,
    RunOptions,
    bus_params,
    radiation_block,
    shell_designs,
)

#: The options of ``orbitcloud run`` (one dataclass for the CLI and the Python API).
JobOptions = RunOptions


def prepare(source: Any, opts: RunOptions):
    """``(loaded, fleet, spec, start, duration_s)`` of a run (:func:`orbitcloud.sim.setup.prepare`)."""
    from orbitcloud.sim.setup import prepare as _prepare

    p = _prepare(source, opts)
    return p.loaded, p.fleet, p.spec, p.start, p.duration_s


def run_scenario(
    source: Any,
    opts: RunOptions | None = None,
    progress_factory: Callable[[int], Callable[[int], None] | None] | None = None,
) -> dict[str, Any]:
    """Run a scenario (built-in name, YAML path, text or mapping); returns the summary dict and
    writes ``opts.out`` when given. ``progress_factory(total_satellite_steps)`` may return a callback
    that receives satellite-steps as they are done."""
    from orbitcloud.sim import Simulation

    opts = opts or RunOptions()
    sim = Simulation(source, **dataclasses.asdict(opts))
    progress = progress_factory(len(sim.fleet) * sim.steps) if progress_factory is not None else None
    sim.advance(progress=progress)
    return sim.finish().summary
