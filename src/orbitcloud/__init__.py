"""orbitcloud: digital twin and operating layer of an AI data center in orbit.

The Python API (``docs/python.md``)::

    import orbitcloud as oc

    result = oc.run("three-body-12", duration="6h")          # the same options as `orbitcloud run`
    result.summary["sunlit_fraction"]; result.timeseries(); result.events()

    sim = oc.Simulation("three-body-12", record="10min")    # the live twin
    sim.advance("30min"); sim.state()                        # per-satellite snapshot (pyarrow)
    sim.act(oc.PowerCap(0.5, shell="three-body"))            # actions apply at the next step
    sim.advance(); result = sim.finish()

Importing the package is cheap: nothing numerical (numpy, scipy, sgp4, pyarrow) loads until a name
below is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orbitcloud.errors import OrbitcloudError, ScenarioError

__version__ = "0.1.0"

__all__ = [
    "run", "Simulation", "Result",
    "PowerCap", "SafeMode", "Reboot", "SetPolicy", "AddInference", "AddTraining", "AddEOTarget", "CancelWork",
    "OrbitcloudError", "ScenarioError", "__version__",
]

#: Public names loaded on first use: name -> (module, attribute).
_LAZY = {
    "Simulation": ("orbitcloud.sim.simulation", "Simulation"),
    "Result": ("orbitcloud.results.result", "Result"),
    **{name: ("orbitcloud.sim.actions", name) for name in (
        "PowerCap", "SafeMode", "Reboot", "SetPolicy", "AddInference", "AddTraining", "AddEOTarget", "CancelWork")},
}

if TYPE_CHECKING:  # for type checkers and IDEs; at run time these load lazily (see __getattr__)
    from orbitcloud.results.result import Result
    from orbitcloud.sim.actions import (
        AddEOTarget, AddInference, AddTraining, CancelWork, PowerCap, Reboot, SafeMode, SetPolicy,
    )
    from orbitcloud.sim.simulation import Simulation


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'orbitcloud' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def run(scenario: Any, **options: Any) -> "Result":
    """Run a scenario from start to end and return its :class:`Result`.

    ``scenario``: a built-in name (``orbitcloud scenarios``), a YAML file, YAML text or a mapping.
    ``options``: as ``orbitcloud run``: ``start``, ``duration``, ``step`` (``"90s"``, ``"1.5h"``,
    seconds), ``propagator`` (``"sgp4"`` | ``"fast"``), ``out`` (results directory), ``workers``,
    ``eclipses``, ``record`` (bus time-series interval), ``bus``, ``radiation``, ``network``,
    ``workloads`` (booleans), ``policy``. Bad input raises :class:`OrbitcloudError` with one line.
    """
    from orbitcloud.sim.simulation import Simulation

    sim = Simulation(scenario, **options)
    sim.advance()
    return sim.finish()
