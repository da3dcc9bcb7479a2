"""Operator actions on a running :class:`~orbitcloud.sim.Simulation`: typed, validated, recorded.

An action is applied at the current step boundary (before the next step) and its effect flows through
the physics of the following steps: power, battery, heat, faults, network, workloads. Each is a frozen
dataclass whose fields are checked when it is made (:class:`~orbitcloud.errors.OrbitcloudError` naming
the field and the value); what depends on the scenario (a satellite, shell, city or work that does not
exist) is checked by ``Simulation.act``, which changes nothing when it refuses. Every action taken is
recorded with its simulation time (``actions.parquet``, ``Result.events("action")``).

Which satellites: ``satellites`` (an index, a name such as ``"three-body-0003"``, or a list of them),
``shell`` (a shell name), or neither (every satellite).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Sequence

from orbitcloud.errors import OrbitcloudError

__all__ = [
    "Action", "PowerCap", "SafeMode", "Reboot", "SetPolicy", "AddInference", "AddTraining", "AddEOTarget",
    "CancelWork", "ACTIONS",
]

Satellites = int | str | Sequence[int | str] | None


def _fail(action: str, field: str, value: Any, expected: str) -> OrbitcloudError:
    return OrbitcloudError(f"{action}.{field}: {value!r} is not valid; expected {expected}")


def _number(action: str, field: str, value: Any, lo: float, hi: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not lo <= value <= hi:
        raise _fail(action, field, value, what)
    return float(value)


def _check_target(action: str, satellites: Satellites, shell: str | None) -> None:
    if satellites is not None and shell is not None:
        raise OrbitcloudError(f"{action}: give satellites or shell, not both")
    if shell is not None and (not isinstance(shell, str) or not shell):
        raise _fail(action, "shell", shell, "a shell name")
    if satellites is None:
        return
    items = [satellites] if isinstance(satellites, (int, str)) else satellites
    try:
        items = list(items)
    except TypeError:
        raise _fail(action, "satellites", satellites, "an index, a name, or a list of them") from None
    if not items:
        raise _fail(action, "satellites", satellites, "at least one satellite")
    for s in items:
        if isinstance(s, bool) or not isinstance(s, (int, str)) or (isinstance(s, int) and s < 0):
            raise _fail(action, "satellites", s, "a satellite index >= 0 or a satellite name")


@dataclasses.dataclass(frozen=True)
class Action:
    """Base of the actions (``kind`` names it in the records)."""

    kind = "action"

    def detail(self) -> dict[str, Any]:
        """The action's fields (JSON-ready), as recorded."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out


@dataclasses.dataclass(frozen=True)
class PowerCap(Action):
    """Limit compute to ``fraction`` of each chosen satellite's target (1 lifts the cap)."""

    fraction: float
    satellites: Satellites = None
    shell: str | None = None
    kind = "power_cap"

    def __post_init__(self) -> None:
        _number("PowerCap", "fraction", self.fraction, 0.0, 1.0, "a fraction of the compute target in [0, 1]")
        _check_target("PowerCap", self.satellites, self.shell)


@dataclasses.dataclass(frozen=True)
class SafeMode(Action):
    """Safe mode on (payload off: no compute; bus at its safe-mode load) or off (back to normal)."""

    on: bool = True
    satellites: Satellites = None
    shell: str | None = None
    kind = "safe_mode"

    def __post_init__(self) -> None:
        if not isinstance(self.on, bool):
            raise _fail("SafeMode", "on", self.on, "True or False")
        _check_target("SafeMode", self.satellites, self.shell)


@dataclasses.dataclass(frozen=True)
class Reboot(Action):
    """Reboot the accelerators: down for the device's reboot time (its fault model's SEFI recovery);
    work on them stops (training members restart from their checkpoint)."""

    satellites: Satellites = None
    shell: str | None = None
    kind = "reboot"

    def __post_init__(self) -> None:
        _check_target("Reboot", self.satellites, self.shell)


@dataclasses.dataclass(frozen=True)
class SetPolicy(Action):
    """Switch the workloads' placement policy (first-fit, power-aware, follow-the-sun, latency-aware,
    thermal-aware)."""

    policy: str
    kind = "set_policy"

    def __post_init__(self) -> None:
        from orbitcloud.ops.policies import check_policy

        check_policy(self.policy)


@dataclasses.dataclass(frozen=True)
class AddInference(Action):
    """A stream of LLM requests from a city (a name of the shipped 100-city list or of the scenario's
    sources) or a place (``lat_deg``, ``lon_deg`` with a ``name``), Poisson at ``rate_per_s`` with
    fixed token sizes, from now for ``duration`` (default: to the end of the run). Needs the scenario's
    ``workloads.inference`` (its model and serving shells)."""

    rate_per_s: float
    city: str | None = None
    lat_deg: float | None = None
    lon_deg: float | None = None
    in_tokens: int = 512
    out_tokens: int = 128
    duration: Any = None
    name: str | None = None
    kind = "add_inference"

    def __post_init__(self) -> None:
        _number("AddInference", "rate_per_s", self.rate_per_s, 1e-9, 1e6, "requests per second in (0, 1e6]")
        for f in ("in_tokens", "out_tokens"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 10_000_000:
                raise _fail("AddInference", f, v, "a whole number of tokens in 1..10,000,000")
        place = self.lat_deg is not None or self.lon_deg is not None
        if (self.city is None) == (not place):
            raise OrbitcloudError("AddInference: give city, or lat_deg and lon_deg (not both)")
        if place:
            _number("AddInference", "lat_deg", self.lat_deg, -90.0, 90.0, "a latitude in [-90, 90] deg")
            _number("AddInference", "lon_deg", self.lon_deg, -180.0, 360.0, "a longitude in [-180, 360) deg")
        elif not isinstance(self.city, str) or not self.city:
            raise _fail("AddInference", "city", self.city, "a city name")
        if self.duration is not None:
            from orbitcloud.scenario import parse_duration_s

            try:
                if parse_duration_s(self.duration) <= 0:
                    raise ValueError("must be positive")
            except ValueError as exc:
                raise _fail("AddInference", "duration", self.duration, f"a positive duration ({exc})") from None


@dataclasses.dataclass(frozen=True)
class AddTraining(Action):
    """A training job starting now, on satellites of a shell not training already; ``job`` is a
    ``workloads.training`` mapping (``docs/scenario.md``: model, tokens, global_batch_tokens, shell,
    count, mode ...)."""

    job: dict
    name: str | None = None
    kind = "add_training"

    def __post_init__(self) -> None:
        from orbitcloud.scenario.training_schema import parse_training

        parse_training(self.job, where="AddTraining.job")

    def detail(self) -> dict[str, Any]:
        return {"job": dict(self.job), "name": self.name}


@dataclasses.dataclass(frozen=True)
class AddEOTarget(Action):
    """Image a target (``lat_deg``, ``lon_deg``) within ``window`` from now (default: to the end): the
    first imaging satellite that passes over it in daylight takes it; the filtered product goes down
    with priority at the next contact (``docs/earth_observation.md``, tasking)."""

    lat_deg: float
    lon_deg: float
    window: Any = None
    name: str | None = None
    kind = "add_eo_target"

    def __post_init__(self) -> None:
        _number("AddEOTarget", "lat_deg", self.lat_deg, -90.0, 90.0, "a latitude in [-90, 90] deg")
        _number("AddEOTarget", "lon_deg", self.lon_deg, -180.0, 360.0, "a longitude in [-180, 360) deg")
        if self.window is not None:
            from orbitcloud.scenario import parse_duration_s

            try:
                if parse_duration_s(self.window) <= 0:
                    raise ValueError("must be positive")
            except ValueError as exc:
                raise _fail("AddEOTarget", "window", self.window, f"a positive duration ({exc})") from None


@dataclasses.dataclass(frozen=True)
class CancelWork(Action):
    """Cancel work added earlier (the id ``act`` returned): an inference stream stops sending (requests
    already sent are served), a training job stops, a target not yet imaged is dropped."""

    work: str
    kind = "cancel_work"

    def __post_init__(self) -> None:
        if not isinstance(self.work, str) or not self.work:
            raise _fail("CancelWork", "work", self.work, "the id of added work (what act() returned)")


#: Action kinds by their record name.
ACTIONS = {cls.kind: cls for cls in (PowerCap, SafeMode, Reboot, SetPolicy, AddInference, AddTraining, AddEOTarget, CancelWork)}
