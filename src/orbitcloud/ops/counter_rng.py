"""Counter-based random numbers: uniforms in (0, 1) as a pure function of a key (:func:`uniform_hash`).

Every random number of the fault generator (and of the workloads that share it) is a pure function of
(seed, satellite global index, device slot, stream, counter), hashed with SplitMix64 in NumPy ``uint64``
arithmetic, so results do not depend on how a run is chunked, blocked or spread over processes.

Sources:

* Counter-based random numbers: Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11
  (the idea); the SplitMix64 finaliser of Steele, Lea & Flood, OOPSLA 2014 (the mixing function).
"""

from __future__ import annotations

import numpy as np

# --------------------------------------------------------------------------------------------------
# counter-based random numbers
# --------------------------------------------------------------------------------------------------

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_KEYS = tuple(np.uint64(c) for c in (0x9E3779B97F4A7C15, 0xD1B54A32D192ED03, 0x8CB92BA72F3D8DD7, 0xF1357AEA2E62A9C5))
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))


def _mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser (Steele, Lea & Flood 2014), a bijection of uint64 (wrapping arithmetic)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def _seed_word(seed: int) -> int:
    """The seed reduced to 64 bits and mixed once (pure Python integers)."""
    z = (int(seed) + 0x9E3779B97F4A7C15) % (1 << 64)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % (1 << 64)
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % (1 << 64)
    return z ^ (z >> 31)


def uniform_hash(seed: int, sat: np.ndarray, device: np.ndarray, stream: int, counter: np.ndarray) -> np.ndarray:
    """Uniform numbers in (0, 1), a pure function of (seed, satellite, device, stream, counter).

    Each key word is folded in as ``h = mix64((h ^ word) + K_i)``; the top 53 bits of the result give
    ``(j + 0.5) / 2^53``, never 0 or 1 (so ``-log(u)`` is finite and positive).
    """
    sat, device, counter = np.broadcast_arrays(
        np.atleast_1d(np.asarray(sat, dtype=np.int64)),
        np.atleast_1d(np.asarray(device, dtype=np.int64)),
        np.atleast_1d(np.asarray(counter, dtype=np.int64)),
    )
    h = np.full(sat.shape, _seed_word(seed), dtype=np.uint64)
    for word, key in zip((sat, device, np.full(sat.shape, stream, dtype=np.int64), counter), _KEYS):
        h = _mix64((h ^ word.astype(np.uint64)) + key)
    return ((h >> _S11).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)
