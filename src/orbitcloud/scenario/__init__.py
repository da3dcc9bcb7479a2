"""Scenario documents: schema, loading and the built-in scenarios."""

from orbitcloud.scenario.durations import format_duration, parse_duration_s
from orbitcloud.scenario.load import LoadedScenario, builtin_names, builtin_text, load_scenario, parse_scenario
from orbitcloud.scenario.schema import (
    ClusterShell,
    MAX_SATELLITES,
    Scenario,
    SSOShell,
    TLEShell,
    WalkerShell,
    n_steps,
)

__all__ = [
    "ClusterShell",
    "LoadedScenario",
    "MAX_SATELLITES",
    "SSOShell",
    "Scenario",
    "TLEShell",
    "WalkerShell",
    "builtin_names",
    "builtin_text",
    "format_duration",
    "load_scenario",
    "n_steps",
    "parse_duration_s",
    "parse_scenario",
]
