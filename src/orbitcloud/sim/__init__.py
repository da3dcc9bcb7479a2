"""The simulation loop (fixed time steps, vectorised over satellites) and its parallel driver."""

from orbitcloud.sim.driver import FleetResult, default_workers, simulate
from orbitcloud.sim.engine import RunSpec

__all__ = ["FleetResult", "RunSpec", "default_workers", "simulate"]
