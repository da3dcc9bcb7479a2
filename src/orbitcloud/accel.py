"""When the compiled kernels (numba) are used: for runs big enough to repay numba's fixed cost.

Every compiled kernel in the package has a NumPy (or plain Python) twin that performs the same IEEE
operations in the same order, so the two give the same bits (each pair is tested). Importing numba
and loading a cached kernel costs about 0.5 s per process; a kernel saves tens of nanoseconds per
satellite-step. Below :data:`MIN_SAT_STEPS` satellite-steps a run therefore uses the twins and never
imports numba. ``ORBITCLOUD_NUMBA=1`` forces the kernels, ``ORBITCLOUD_NUMBA=0`` the twins.
"""

from __future__ import annotations

import functools
import os
from typing import Callable

#: Runs smaller than this many satellite-steps use the NumPy twins (a 12-satellite day is 17,280).
MIN_SAT_STEPS = 2_000_000

_run_sat_steps: int | None = None


def set_run_size(sat_steps: int | None) -> None:
    """The size of the run about to start (the :class:`~orbitcloud.sim.Simulation` tells it)."""
    global _run_sat_steps
    _run_sat_steps = None if sat_steps is None else int(sat_steps)


@functools.lru_cache(maxsize=1)
def numba_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("numba") is not None


def use_numba() -> bool:
    """Whether to use the compiled kernels now (see the module docstring)."""
    env = os.environ.get("ORBITCLOUD_NUMBA", "").strip().lower()
    if env in ("0", "false", "no", "off"):
        return False
    if env not in ("1", "true", "yes", "on") and _run_sat_steps is not None and _run_sat_steps < MIN_SAT_STEPS:
        return False
    return numba_installed()


def lazy_njit(py_func: Callable, **options) -> Callable[[], Callable | None]:
    """A function returning ``numba.njit(**options)(py_func)``, compiled on first use (None without
    numba), so importing a module that holds kernels costs nothing until one is needed."""
    compiled: list = []

    def get() -> Callable | None:
        if not compiled:
            if not numba_installed():
                compiled.append(None)
            else:
                import numba

                compiled.append(numba.njit(**options)(py_func))
        return compiled[0]

    return get


_allocator_tuned = False


def tune_allocator() -> None:
    """Let glibc keep freed memory for reuse in this process (idempotent; nothing elsewhere).

    A large run allocates and frees the same chunk-sized temporaries (about 2 MB each) every chunk.
    By default glibc serves them by ``mmap`` and returns them on ``free``, or trims its heap, so each
    reuse faults its pages in again: a fifth of a million-satellite run's time went to page faults.
    ``mallopt`` (M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 256 MiB) keeps them for reuse; a process
    then holds at most 256 MiB of freed memory (glibc ``mallopt(3)``).
    """
    global _allocator_tuned
    if _allocator_tuned:
        return
    _allocator_tuned = True
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another C library: nothing to tune
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 256 << 20)
