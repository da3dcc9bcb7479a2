"""Operations of the fleet: device faults (``faults``); scheduling and recovery arrive with later issues."""

from orbitcloud.ops.faults import (
    KIND_CODES,
    KINDS,
    FaultModel,
    FaultModelError,
    FaultState,
    advance_faults,
    concat_events,
    fault_catalog,
    resolve_faults,
    sort_events,
)

__all__ = [
    "KIND_CODES",
    "KINDS",
    "FaultModel",
    "FaultModelError",
    "FaultState",
    "advance_faults",
    "concat_events",
    "fault_catalog",
    "resolve_faults",
    "sort_events",
]
