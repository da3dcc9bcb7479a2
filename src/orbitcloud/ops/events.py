"""A small discrete-event queue for the workload layer (after SimPy's event heap).

Events are tuples ``(t_s, seq, kind, a, b)`` on a binary heap (:mod:`heapq`): ``seq`` is a counter
that breaks ties in insertion order, so runs are deterministic; ``kind`` indexes a handler table and
``a``, ``b`` are two integer arguments (a request, a server, a version number). There is one event
per workload occurrence (a request arriving or finishing), never one per satellite per step: the
fixed-step physics is advanced separately and the queue is run up to each step boundary
(:meth:`EventQueue.run_until`).

Source: the design follows SimPy's environment (``simpy.core.Environment``: a heap of
``(time, priority, id, event)``), reduced to plain tuples and a handler table for speed.
Measured throughput: ``benchmarks/events.py``.
"""

from __future__ import annotations

import heapq
from typing import Callable, Sequence

__all__ = ["EventQueue"]


class EventQueue:
    """Time-ordered events with deterministic tie-breaking.

    Attributes:
        now_s: time of the last event processed (or the last boundary reached) [s].
        processed: number of events handled so far.
    """

    __slots__ = ("_heap", "_seq", "now_s", "processed")

    def __init__(self, now_s: float = 0.0) -> None:
        self._heap: list[tuple[float, int, int, int, int]] = []
        self._seq = 0
        self.now_s = float(now_s)
        self.processed = 0

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, t_s: float, kind: int, a: int = 0, b: int = 0) -> None:
        """Schedule event ``kind`` with arguments ``a``, ``b`` at ``t_s`` (not before ``now_s``)."""
        if t_s < self.now_s:
            raise ValueError(f"event at t = {t_s!r} s is before the current time {self.now_s!r} s")
        self._seq += 1
        heapq.heappush(self._heap, (t_s, self._seq, kind, a, b))

    def peek_s(self) -> float:
        """Time of the next event (inf when empty)."""
        return self._heap[0][0] if self._heap else float("inf")

    def run_until(self, t_end_s: float, handlers: Sequence[Callable[[float, int, int], None]]) -> int:
        """Handle every event with ``t < t_end_s`` in time order; returns how many were handled.

        A handler may push new events, including ones before ``t_end_s`` (handled in the same call).
        Afterwards ``now_s`` is ``t_end_s``.
        """
        heap = self._heap
        pop = heapq.heappop
        n = 0
        while heap and heap[0][0] < t_end_s:
            t, _, kind, a, b = pop(heap)
            self.now_s = t
            handlers[kind](t, a, b)
            n += 1
        self.now_s = max(self.now_s, t_end_s)
        self.processed += n
        return n
