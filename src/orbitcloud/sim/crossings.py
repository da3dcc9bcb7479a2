"""Shadow-function crossing times of a satellite block, collected chunk by chunk.

A crossing is a sign change of a shadow function ``h`` (``h > 0``: inside; Vallado, *Fundamentals
of Astrodynamics*, 4th ed., sec. 5.3; see :mod:`orbitcloud.environment.shadow`) between two samples
k and k + 1; its time is interpolated linearly, ``(k + h_k / (h_k - h_k+1)) step``, with k the
run's step index of the earlier sample whatever chunk it falls in, so the times do not depend on
how the run is cut. Samples where the propagator failed (``ok`` False) make no crossing.

:meth:`Crossings.add` has two interchangeable implementations: NumPy (the reference) and a compiled
loop (numba, used when :func:`orbitcloud.accel.use_numba` says so), which performs the same IEEE
operations and returns the same crossings in the same order (``tests/sim/test_chunk_kernels.py``).
"""

from __future__ import annotations

import numpy as np

from orbitcloud.accel import lazy_njit, use_numba


class Crossings:
    """Collects crossing times of one shadow function across chunks."""

    def __init__(self) -> None:
        self.sat: list[np.ndarray] = []
        self.t: list[np.ndarray] = []
        self.enter: list[np.ndarray] = []

    def add(
        self, h: np.ndarray, inside: np.ndarray, prev_h: np.ndarray | None, k0: int, step_s: float,
        ok: np.ndarray | None, compiled: bool | None = None,
    ) -> None:
        """Record sign changes of ``h`` (``inside`` = h > 0) within the chunk and from ``prev_h``.

        ``k0`` is the run's step index of the chunk's first column; every crossing time is
        ``(k + f) * step`` with k the absolute index of the earlier sample, whatever the chunking.
        ``compiled``: the compiled loop (default: when numba is used) or the NumPy code.
        """
        kernel = _kernel() if (use_numba() if compiled is None else compiled) else None
        if kernel is not None:
            parts = kernel(h, np.zeros((0, 0), bool) if ok is None else ok,
                           np.zeros(0, h.dtype) if prev_h is None else prev_h, k0, step_s)
        else:
            parts = _chunk_crossings_numpy(h, inside, prev_h, k0, step_s, ok)
        for sat, t, enter in parts:
            if sat.size:
                self.sat.append(sat)
                self.t.append(t)
                self.enter.append(enter)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.sat:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool)
        return np.concatenate(self.sat), np.concatenate(self.t), np.concatenate(self.enter)


def _chunk_crossings_numpy(h, inside, prev_h, k0, step_s, ok):
    """The chunk's crossings (row-major order of (satellite, step)), then those between the previous
    chunk's last sample and this one's first: two (sat, t, enter) triples."""
    empty = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool))
    within = edge = empty
    change = inside[:, 1:] != inside[:, :-1]
    if ok is not None:
        change &= ok[:, 1:] & ok[:, :-1]
    i, j = np.nonzero(change)
    if i.size:
        h0 = h[i, j].astype(np.float64)
        h1 = h[i, j + 1].astype(np.float64)
        within = (i.astype(np.int64), ((k0 + j) + h0 / (h0 - h1)) * step_s, inside[i, j + 1])
    if prev_h is not None:
        prev_inside = prev_h > 0.0
        change0 = prev_inside != inside[:, 0]
        if ok is not None:
            change0 &= np.isfinite(prev_h) & ok[:, 0]
        (i0,) = np.nonzero(change0)
        if i0.size:
            h0 = prev_h[i0].astype(np.float64)
            h1 = h[i0, 0].astype(np.float64)
            edge = (i0.astype(np.int64), ((k0 - 1) + h0 / (h0 - h1)) * step_s, inside[i0, 0])
    return within, edge


def _chunk_crossings_py(h, ok, prev_h, k0, step_s):
    """:func:`_chunk_crossings_numpy` as one loop (compiled by numba): ``ok`` with no rows means
    every sample is valid, ``prev_h`` with no elements that there is no previous chunk."""
    n, n_t = h.shape
    use_ok = ok.shape[0] > 0
    has_prev = prev_h.shape[0] > 0
    count = 0
    count0 = 0
    for i in range(n):
        for j in range(n_t - 1):
            if (h[i, j] > 0.0) != (h[i, j + 1] > 0.0) and (not use_ok or (ok[i, j] and ok[i, j + 1])):
                count += 1
        if has_prev and (prev_h[i] > 0.0) != (h[i, 0] > 0.0) and (not use_ok or (np.isfinite(prev_h[i]) and ok[i, 0])):
            count0 += 1
    sat = np.empty(count, np.int64)
    t = np.empty(count)
    enter = np.empty(count, np.bool_)
    sat0 = np.empty(count0, np.int64)
    t0 = np.empty(count0)
    enter0 = np.empty(count0, np.bool_)
    m = 0
    m0 = 0
    for i in range(n):
        for j in range(n_t - 1):
            a = h[i, j] > 0.0
            b = h[i, j + 1] > 0.0
            if a != b and (not use_ok or (ok[i, j] and ok[i, j + 1])):
                h0 = np.float64(h[i, j])
                h1 = np.float64(h[i, j + 1])
                sat[m] = i
                t[m] = ((k0 + j) + h0 / (h0 - h1)) * step_s
                enter[m] = b
                m += 1
        if has_prev and (prev_h[i] > 0.0) != (h[i, 0] > 0.0) and (not use_ok or (np.isfinite(prev_h[i]) and ok[i, 0])):
            h0 = np.float64(prev_h[i])
            h1 = np.float64(h[i, 0])
            sat0[m0] = i
            t0[m0] = ((k0 - 1) + h0 / (h0 - h1)) * step_s
            enter0[m0] = h[i, 0] > 0.0
            m0 += 1
    return (sat, t, enter), (sat0, t0, enter0)


_kernel = lazy_njit(_chunk_crossings_py, cache=True, nogil=True, error_model="numpy")
