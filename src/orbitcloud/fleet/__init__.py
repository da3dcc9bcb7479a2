"""Fleets: constellation shells expanded into SGP4 mean elements, as a struct of arrays."""

from orbitcloud.fleet.build import Fleet, FleetSlice, ShellInfo, build_fleet, mean_altitude_km

__all__ = ["Fleet", "FleetSlice", "ShellInfo", "build_fleet", "mean_altitude_km"]
