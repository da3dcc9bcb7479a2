"""The time loop: satellite blocks advanced in fixed steps (engine, driver), the live twin that owns
them (:class:`Simulation`) and the operator's actions on it."""

from orbitcloud.sim.driver import FleetResult, FleetRunner, default_workers, simulate
from orbitcloud.sim.engine import RunSpec
from orbitcloud.sim.simulation import Simulation

__all__ = ["FleetResult", "FleetRunner", "RunSpec", "Simulation", "default_workers", "simulate"]
