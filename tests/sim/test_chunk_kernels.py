"""Compiled twins of the engine's per-chunk loops (crossings, cos z) give the NumPy code's bits, in the same order."""

from __future__ import annotations

import numpy as np
import pytest

from orbitcloud.sim.crossings import Crossings, _kernel


def _random_chunk(rng, n, n_t, dtype):
    # smooth sign changes, exact zeros (a sample on the boundary) and NaN (failed samples)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    h = np.sin(phase + np.linspace(0, 6 * np.pi, n_t)[None, :] * rng.uniform(0.5, 1.5, (n, 1))).astype(dtype)
    h[rng.random((n, n_t)) < 0.02] = 0.0
    ok = rng.random((n, n_t)) > 0.05
    h[~ok] = np.nan
    return h, ok


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("with_ok", [False, True])
def test_compiled_and_numpy_crossings_are_identical(dtype, with_ok):
    assert _kernel() is not None, "numba is a dependency; the compiled loop must be available"
    out = {}
    for compiled in (False, True):
        c = Crossings()
        prev = None
        for k0 in (0, 64, 128):
            h, ok = _random_chunk(np.random.default_rng(k0), 300, 64, dtype)
            if not with_ok:
                h = np.nan_to_num(h)
            c.add(h, h > 0.0, prev, k0, 60.0, ok if with_ok else None, compiled=compiled)
            prev = np.where(ok[:, -1], h[:, -1], np.nan) if with_ok else h[:, -1].copy()
        out[compiled] = c.arrays()
    (sa, ta, ea), (sb, tb, eb) = out[False], out[True]
    assert sa.size > 1000  # the chunks have many crossings, within and across chunk edges
    assert np.array_equal(sa, sb) and np.array_equal(ea, eb)
    assert np.array_equal(ta, tb)
    assert sa.dtype == sb.dtype and ta.dtype == tb.dtype and ea.dtype == eb.dtype


def test_crossing_time_is_the_linear_interpolation():
    # h goes from +1 at step 10 to -3 at step 11: zero a quarter of the way, at (10.25) x 60 s
    h = np.ones((1, 64))
    h[0, 11:] = -3.0
    for compiled in (False, True):
        c = Crossings()
        c.add(h, h > 0.0, None, 0, 60.0, None, compiled=compiled)
        sat, t, enter = c.arrays()
        assert sat.tolist() == [0] and enter.tolist() == [False]
        assert t[0] == pytest.approx(10.25 * 60.0, abs=1e-9)  # s


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_cos_zenith_is_bit_identical(dtype):
    from orbitcloud.sim.chunk_inputs import cos_zenith

    rng = np.random.default_rng(2)
    x, y, z = (rng.normal(size=(100, 20)).astype(dtype) * dtype(7e6) for _ in range(3))
    r = np.sqrt(x * x + y * y + z * z)
    s = rng.normal(size=(20, 3))
    s_x = (s / np.linalg.norm(s, axis=1, keepdims=True)).astype(dtype)
    a = cos_zenith(x, y, z, r, s_x, compiled=False)
    b = cos_zenith(x, y, z, r, s_x, compiled=True)
    assert a.dtype == b.dtype == np.float64 and np.array_equal(a, b)
    assert np.all(np.abs(a) <= 1.0 + 1e-6)
