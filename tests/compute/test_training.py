"""Training step time, all-reduce and checkpoint intervals (``orbitcloud.compute.training``).

References independent of the code under test:

* the ring all-reduce cost ``2 (p-1) a + 2 (p-1)/p n / B`` (Patarasuk & Yuan 2009; Thakur et al. 2005),
  written out here, and its bandwidth limit ``2 n / B`` for many members;
* Young's interval ``sqrt(2 delta M)`` (Young 1974) and Daly's series (Daly 2006), written out here;
* the exact optimum of Daly's wall-clock model ``M e^{R/M} (e^{(tau+delta)/M} - 1) T_s / tau``: its
  derivative vanishes at ``tau = M (1 + W0(-e^{-(1+delta/M)}))`` (Lambert W, scipy.special), which is
  also checked by a numerical minimisation (scipy.optimize);
* DiLoCo (Douillard et al. 2023): the outer synchronisation every H steps divides the cross-satellite
  communication per step by H.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special

from orbitcloud.compute import (
    TrainingPerf,
    daly_interval_s,
    daly_wall_time_s,
    hierarchical_allreduce_s,
    llm,
    ring_allreduce_s,
    young_interval_s,
)
from orbitcloud.compute.training import NVLINK4_BPS, default_train_mfu
from orbitcloud.errors import OrbitcloudError

REL = 1e-12  # closed forms evaluated two ways
GB = 1e9


def test_ring_allreduce_closed_form():
    size_b, bw, lat = 2.0 * GB, 100e9, 1e-3
    for p in (2, 3, 8, 81):
        expected = 2 * (p - 1) * lat + 2 * (p - 1) / p * 8 * size_b / bw
        assert ring_allreduce_s(size_b, p, bw, lat) == pytest.approx(expected, rel=REL)
    assert ring_allreduce_s(size_b, 1, bw, lat) == 0.0
    # two members: each sends half and receives half, twice: n / B
    assert ring_allreduce_s(size_b, 2, bw) == pytest.approx(8 * size_b / bw, rel=REL)
    # bandwidth-optimal limit 2 n / B
    big = ring_allreduce_s(size_b, 100_000, bw)
    assert big == pytest.approx(2 * 8 * size_b / bw, rel=2e-5)
    assert big < 2 * 8 * size_b / bw
    # array-friendly
    t = ring_allreduce_s(np.array([1.0, 2.0]) * GB, 4, bw)
    np.testing.assert_allclose(t, [1.5 * 8 / 100, 3.0 * 8 / 100], rtol=REL)


def test_hierarchical_allreduce_reduces_to_ring():
    size_b, intra, inter, lat = 1.6 * GB, NVLINK4_BPS, 100e9, 2e-3
    for p_e in (1, 2, 12, 81):
        assert hierarchical_allreduce_s(size_b, 1, p_e, intra, inter, lat) == pytest.approx(
            ring_allreduce_s(size_b, p_e, inter, lat), rel=REL)
    # one satellite: a ring inside it
    assert hierarchical_allreduce_s(size_b, 8, 1, intra, inter, lat) == pytest.approx(
        ring_allreduce_s(size_b, 8, intra), rel=REL)
    # p_intra devices share one ISL: the inter step moves as much as a ring of the whole size
    p_i, p_e = 4, 12
    rs_ag = 2 * (p_i - 1) / p_i * 8 * size_b / intra
    shared = 2 * (p_e - 1) * lat + 2 * (p_e - 1) / p_e * 8 * size_b / inter
    assert hierarchical_allreduce_s(size_b, p_i, p_e, intra, inter, lat) == pytest.approx(rs_ag + shared, rel=REL)
    # one link per device (DGX-style NICs): rings of size / p_intra each at the full link rate
    own = 2 * (p_e - 1) * lat + 2 * (p_e - 1) / p_e * 8 * (size_b / p_i) / inter
    assert hierarchical_allreduce_s(size_b, p_i, p_e, intra, inter, lat, inter_links=p_i) == pytest.approx(
        rs_ag + own, rel=REL)
    # fewer latency steps and no more bytes over the ISL than a flat ring over all devices
    flat = ring_allreduce_s(size_b, p_i * p_e, inter, lat)
    assert hierarchical_allreduce_s(size_b, p_i, p_e, intra, inter, lat) < flat


def test_young_and_daly_closed_forms():
    delta, m = 300.0, 86400.0
    assert young_interval_s(delta, m) == pytest.approx(math.sqrt(2 * delta * m), rel=REL)
    x = delta / (2 * m)
    daly = math.sqrt(2 * delta * m) * (1 + math.sqrt(x) / 3 + x / 9) - delta
    assert daly_interval_s(delta, m) == pytest.approx(daly, rel=REL)
    # delta >= 2M: checkpoint every M
    assert daly_interval_s(3000.0, 1000.0) == 1000.0
    assert daly_interval_s(2000.0, 1000.0) == 1000.0
    # arrays
    np.testing.assert_allclose(daly_interval_s(np.array([1.0, 3000.0]), 1000.0),
                               [math.sqrt(2000.0) * (1 + math.sqrt(1 / 2000) / 3 + 1 / 18000) - 1, 1000.0], rtol=REL)


def test_daly_tends_to_young_for_small_delta_over_m():
    m = 1e6
    ratios = [daly_interval_s(d, m) / young_interval_s(d, m) for d in (1e4, 1e3, 1e2, 1e1, 1.0)]
    errs = [abs(r - 1.0) for r in ratios]
    assert all(a > b for a, b in zip(errs, errs[1:]))  # monotone approach
    assert errs[-1] < 1e-3  # delta/M = 1e-6
    # leading correction: Daly - Young = -delta + (2/3) ... -> relative error ~ (2/3) sqrt(delta / 2M)
    d = 1.0
    assert errs[-1] == pytest.approx((2 / 3) * math.sqrt(d / (2 * m)), rel=0.01)


def _exact_optimum(delta, m):
    return m * (1.0 + special.lambertw(-math.exp(-(1.0 + delta / m)), 0).real)


@pytest.mark.parametrize("delta_over_m", [1e-4, 1e-3, 1e-2, 0.1, 0.5])
def test_daly_interval_near_the_exact_optimum_of_his_model(delta_over_m):
    m = 3600.0 * 24
    delta = delta_over_m * m
    exact = _exact_optimum(delta, m)
    # the numerical minimiser of the wall-clock model agrees with the Lambert-W optimum
    res = optimize.minimize_scalar(lambda tau: daly_wall_time_s(1e6, tau, delta, m, 600.0),
                                   bounds=(1e-3 * exact, 10 * exact), method="bounded",
                                   options={"xatol": 1e-6 * exact})
    assert res.x == pytest.approx(exact, rel=1e-3)
    # Daly's series is within 1 % of the exact optimum for delta/M <= 0.5 (0.55 % at 0.5)
    assert daly_interval_s(delta, m) == pytest.approx(exact, rel=0.01)
    # and at least as good as Young's in wall-clock time
    t_daly = daly_wall_time_s(1e6, daly_interval_s(delta, m), delta, m)
    t_young = daly_wall_time_s(1e6, young_interval_s(delta, m), delta, m)
    assert t_daly <= t_young * (1 + 1e-12)


def test_daly_wall_time_small_failure_rate_limit():
    # no failures in practice: T_w -> T_s (1 + delta / tau)
    ts, tau, delta = 1e5, 1000.0, 10.0
    assert daly_wall_time_s(ts, tau, delta, 1e15) == pytest.approx(ts * (1 + delta / tau), rel=1e-9)


def _gpt2(**kw):
    return TrainingPerf("h100-sxm", "gpt2-124m", "bf16", 1024, 524288, **kw)


def test_training_arithmetic():
    t = _gpt2()
    per_token = 6 * 124.44e6 + 12 * 12 * 1024 * 768
    assert t.flops_per_token == pytest.approx(per_token, rel=REL)
    assert t.flops_per_step == pytest.approx(per_token * 524288, rel=REL)
    assert t.mfu == 0.40  # accelerators.yaml, Llama 3 paper
    assert t.compute_s(8) == pytest.approx(per_token * 524288 / (8 * 989e12 * 0.40), rel=REL)
    assert t.grad_b == pytest.approx(124.44e6 * 2, rel=REL)
    assert t.model == llm("gpt2-124m")
    assert _gpt2(mfu=0.2).compute_s(8) == pytest.approx(2 * t.compute_s(8), rel=REL)


def test_default_mfu_sources():
    assert default_train_mfu("a100-sxm-80") == 0.47
    assert default_train_mfu("a100-sxm-80", "nanogpt-shakespeare-char") == 0.10  # model-specific override
    assert default_train_mfu("h100-sxm", "nanogpt-shakespeare-char") == 0.05
    assert default_train_mfu("h200-sxm", "nanogpt-shakespeare-char") == 0.40  # no override there
    with pytest.raises(OrbitcloudError, match="accelerator 'jetson-agx-orin-64' has no sourced train_mfu .*give mfu"):
        TrainingPerf("jetson-agx-orin-64", "gpt2-124m", "bf16", 1024, 524288)
    assert TrainingPerf("jetson-agx-orin-64", "gpt2-124m", "bf16", 1024, 524288, mfu=0.3).mfu == 0.3


def test_comm_and_step_time():
    t = _gpt2()
    link, lat = 100e9, 1e-3
    # one satellite of 8: a ring over NVLink
    assert t.comm_s(1, 8, 0.0) == pytest.approx(2 * 7 / 8 * 8 * t.grad_b / NVLINK4_BPS, rel=REL)
    assert t.comm_s(1, 1, 0.0) == 0.0
    # flat ring over 4 x 2 devices: bottleneck min(link, intra) and latency per step
    assert t.comm_s(4, 2, link, latency_s=lat) == pytest.approx(ring_allreduce_s(t.grad_b, 8, link, lat), rel=REL)
    assert t.comm_s(4, 2, link, "hierarchical", latency_s=lat) == pytest.approx(
        hierarchical_allreduce_s(t.grad_b, 2, 4, NVLINK4_BPS, link, lat), rel=REL)
    # sync step = compute + exposed comm; overlap hides up to the compute time
    c, tc = t.comm_s(4, 2, link), t.compute_s(8)
    assert t.step_s(4, 2, link) == pytest.approx(tc + c, rel=REL)
    assert t.step_s(4, 2, link, overlap=0.5) == pytest.approx(tc + c - min(0.5 * c, tc), rel=REL)
    slow = 1e9  # 1 Gbit/s: comm far above compute, full overlap hides only the compute time
    cs = t.comm_s(4, 2, slow)
    assert cs > tc and t.step_s(4, 2, slow, overlap=1.0) == pytest.approx(cs, rel=REL)
    assert t.tokens_per_s(4, 2, link) == pytest.approx(524288 / t.step_s(4, 2, link), rel=REL)


def test_diloco_amortises_the_outer_synchronisation():
    t = TrainingPerf("h100-sxm", "llama-3-8b", "bf16", 8192, 4 * 2**20)
    link = 100e9
    for n_sats in (2, 12, 81):
        sync = t.step_s(n_sats, 1, link)
        for h in (1, 10, 500):
            dil = t.step_s(n_sats, 1, link, mode="diloco", diloco_h=h)
            # one device per satellite: no inner all-reduce; the cross-satellite cost is divided by H
            assert (dil - t.compute_s(n_sats)) == pytest.approx((sync - t.compute_s(n_sats)) / h, rel=1e-9)
    # several devices per satellite: inner NVLink all-reduce every step
    d = t.step_s(12, 4, link, mode="diloco", diloco_h=500)
    expected = t.compute_s(48) + t.comm_s(1, 4, link) + t.comm_s(12, 4, link) / 500
    assert d == pytest.approx(expected, rel=REL)
    assert d < t.step_s(12, 4, link)
    # a single satellite has no outer synchronisation: DiLoCo = synchronous training inside it
    assert t.step_s(1, 4, link, mode="diloco", diloco_h=7) == pytest.approx(t.step_s(1, 4, link), rel=REL)


def test_bad_training_input():
    t = _gpt2()
    with pytest.raises(OrbitcloudError, match="training mode 'async' is unknown; known: sync, diloco"):
        t.step_s(2, 1, 1e9, mode="async")
    with pytest.raises(OrbitcloudError, match="all-reduce topology 'tree' is unknown; known: ring, hierarchical"):
        t.comm_s(2, 1, 1e9, "tree")
    with pytest.raises(OrbitcloudError, match="n_sats 0: expected an integer >= 1"):
        t.step_s(0, 1, 1e9)
    with pytest.raises(OrbitcloudError, match="link_bps 0.0"):
        t.comm_s(2, 1, 0.0)
    with pytest.raises(OrbitcloudError, match="training seq_len 2048: expected an integer 1..1024"):
        TrainingPerf("h100-sxm", "gpt2-124m", "bf16", 2048, 524288)
    with pytest.raises(OrbitcloudError, match="training mfu 1.5"):
        _gpt2(mfu=1.5)
    with pytest.raises(OrbitcloudError, match="precision 'fp4' is not supported by h100-sxm"):
        TrainingPerf("h100-sxm", "gpt2-124m", "fp4", 1024, 524288)
    with pytest.raises(OrbitcloudError, match="overlap 2"):
        t.step_s(2, 1, 1e9, overlap=2)


SETTINGS = settings(max_examples=40, deadline=None)
T8B = TrainingPerf("h100-sxm", "llama-3-8b", "bf16", 8192, 2**22)


@SETTINGS
@given(st.integers(1, 81), st.integers(1, 8), st.floats(1e8, 1e12), st.floats(1.0, 100.0),
       st.sampled_from(["ring", "hierarchical"]))
def test_step_time_nonincreasing_in_link_capacity(n, d, bps, factor, topology):
    assert T8B.step_s(n, d, bps * factor, topology=topology) <= T8B.step_s(n, d, bps, topology=topology)


@SETTINGS
@given(st.integers(2, 81), st.integers(1, 8), st.floats(1e8, 1e12), st.integers(1, 1000), st.integers(1, 1000))
def test_diloco_step_nonincreasing_in_h(n, d, bps, h, dh):
    a = T8B.step_s(n, d, bps, mode="diloco", diloco_h=h)
    b = T8B.step_s(n, d, bps, mode="diloco", diloco_h=h + dh)
    assert b <= a
    assert b >= T8B.compute_s(n * d)


@SETTINGS
@given(st.floats(1.0, 1e5), st.floats(60.0, 1e8))
def test_daly_not_above_young_and_positive(delta, m):
    if delta < 2 * m:
        assert 0.0 < daly_interval_s(delta, m)
    assert daly_interval_s(delta, m) <= max(young_interval_s(delta, m), m)
