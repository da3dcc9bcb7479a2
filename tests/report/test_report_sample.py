"""The drawn-satellite sample: SplitMix64 keys, largest-remainder allocation, uniformity, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from orbitcloud.report.sample import allocate, sample_satellites, splitmix64, spread

MASK64 = (1 << 64) - 1


def splitmix64_reference(x: int) -> int:
    """Steele, Lea & Flood (2014) / Vigna's splitmix64.c, one call of next() from state x, in Python ints."""
    z = (x + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def test_splitmix64_matches_the_reference():
    # the first output from seed 0 is the published test value 0xE220A8397B1DCDAF
    assert int(splitmix64(np.array([0]))[0]) == 0xE220A8397B1DCDAF
    idx = np.array([0, 1, 2, 12345, 10**6 - 1, 2**40 + 7], dtype=np.int64)
    assert [int(v) for v in splitmix64(idx)] == [splitmix64_reference(int(i)) for i in idx]


@pytest.mark.parametrize(
    "counts, m", [([125_000] * 4 + [500_000], 5000), ([7, 1, 992], 10), ([3, 0, 5], 4), ([10, 20], 100)]
)
def test_allocation_is_proportional_and_keeps_every_shell(counts, m):
    counts = np.array(counts)
    per = allocate(counts, m)
    total = counts.sum()
    assert per.sum() == min(m, total)
    assert (per <= counts).all()
    assert ((per >= 1) | (counts == 0)).all()
    if total > m:
        # largest remainder: within one of the exact quota, plus one for each small shell lifted to one draw
        quota = counts * m / total
        lifted = int(((quota < 1) & (counts > 0)).sum())
        assert (np.abs(per - quota) < 1.0 + lifted).all()


def test_sample_is_deterministic_nested_and_sorted():
    counts = np.array([125_000, 500_000])
    a = sample_satellites(counts, 2000)
    b = sample_satellites(counts, 2000)
    np.testing.assert_array_equal(a.index, b.index)
    assert (np.diff(a.index) > 0).all()
    bigger = sample_satellites(counts, 4000)
    assert np.isin(a.index, bigger.index).all()  # a larger sample draws a superset
    assert ((a.index >= 0) & (a.index < counts.sum())).all()
    assert (a.index < 125_000).sum() == a.per_shell[0] == 400


def test_sample_spreads_over_planes_and_slots():
    """A Walker shell of 100 planes x 1250 (plane-major): 1000 draws land ~10 per plane and the
    in-plane slots are spread too (a systematic every-125th pick would hit 10 slots only)."""
    planes, per_plane, m = 100, 1250, 1000
    s = sample_satellites(np.array([planes * per_plane]), m)
    plane, slot = np.divmod(s.index, per_plane)
    counts = np.bincount(plane, minlength=planes)
    # multivariate hypergeometric: mean 10, sd < sqrt(10); 6 sd covers every plane
    assert counts.min() >= 10 - 6 * np.sqrt(10) and counts.max() <= 10 + 6 * np.sqrt(10)
    assert np.unique(slot).size > 500
    # chi-square of the plane counts against uniform, 99 dof: below the 0.999 quantile (148.2)
    chi2 = ((counts - 10.0) ** 2 / 10.0).sum()
    assert chi2 < 148.2


def test_complete_when_the_fleet_is_small():
    s = sample_satellites(np.array([12, 3]), 5000)
    assert s.complete and s.index.tolist() == list(range(15))
    assert s.describe(["a", "b"]) == "All 15 satellites are drawn."
    part = sample_satellites(np.array([1000, 3000]), 400)
    text = part.describe(["a", "b"])
    assert "400 of 4,000" in text and "a: 100 of 1,000" in text and "all 4,000 satellites" in text


def test_spread_caps_evenly():
    assert spread(5, 10).tolist() == [0, 1, 2, 3, 4]
    idx = spread(1000, 10)
    assert idx.tolist() == [50, 150, 250, 350, 450, 550, 650, 750, 850, 950]
