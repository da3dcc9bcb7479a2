"""Fault events: the event kinds and their codes, and the event log format and its canonical order.

An event log is a dict of equal-length arrays (:data:`_EVENT_FIELDS`): ``sat`` (global index),
``device`` (slot in the satellite), ``kind`` (code, see :data:`KINDS`), ``step`` (absolute step index),
``t_s`` (time from the run start [s]), ``dose_rad`` (satellite cumulative dose at the event),
``generation`` (0: original device, g: g-th spare of the slot) and ``seq`` (event number of the slot).
The canonical order (:func:`sort_events`) makes logs of differently chunked or blocked runs identical.
Produced by :func:`orbitcloud.ops.faults.advance_faults`, which re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Event kinds, in code order (``events["kind"]`` holds the code).
KINDS = ("uecc", "sdc", "sefi", "tid_degrade", "tid_fail", "permanent", "spare_in")
KIND_CODES = {name: code for code, name in enumerate(KINDS)}
UECC, SDC, SEFI, TID_DEGRADE, TID_FAIL, PERMANENT, SPARE_IN = range(len(KINDS))
#: The single-event (Poisson) processes of a device, in the order of their codes 0..2.
SINGLE_EVENT_KINDS = ("uecc", "sdc", "sefi")

_EVENT_FIELDS = ("sat", "device", "kind", "step", "t_s", "dose_rad", "generation", "seq")
_EVENT_DTYPES = (np.int64, np.int64, np.int8, np.int64, np.float64, np.float64, np.int64, np.int64)


def _empty_events() -> dict[str, np.ndarray]:
    return {f: np.zeros(0, dtype=d) for f, d in zip(_EVENT_FIELDS, _EVENT_DTYPES)}


def sort_events(events: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Events in canonical order: step, time, satellite, device, the slot's event number."""
    order = np.lexsort((events["seq"], events["device"], events["sat"], events["t_s"], events["step"]))
    return {k: v[order] for k, v in events.items()}


def concat_events(parts: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Events of several chunks or blocks, concatenated and put in canonical order."""
    if not parts:
        return _empty_events()
    return sort_events({f: np.concatenate([p[f] for p in parts]) for f in _EVENT_FIELDS})
