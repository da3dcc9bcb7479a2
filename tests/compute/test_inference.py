"""Inference roofline, KV capacity and continuous batching (``orbitcloud.compute.inference``).

References independent of the code under test: the roofline closed forms written out here from the model
shape and the datasheet numbers (arithmetic 2 N per token plus attention, bytes = weights + KV cache),
the ridge point where arithmetic time equals memory time (solved here as a quadratic in the prompt
length), the KV-capacity arithmetic, the Megatron tensor-parallel all-reduce count (two per layer), and
monotonicity properties over random inputs (hypothesis).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.compute import Efficiency, InferencePerf, ModelTooLarge, efficiency, fits, llm, ring_allreduce_s
from orbitcloud.errors import OrbitcloudError

REL = 1e-9  # closed forms evaluated two ways: float rounding only
A100_BW = 2.039e12
A100_BF16 = 312e12
H100_BW = 3.35e12
H100_FP8 = 1979e12
N_8B = 8.03e9
L, D = 32, 4096
KV_BF16 = 2 * 32 * 8 * 128 * 2
EFF = Efficiency(compute=0.5, memory=0.7, overhead_s=2e-4, source="test set")


def _a100(**kw):
    return InferencePerf("a100-sxm-80", "llama-3-8b", "bf16", efficiency=EFF, **kw)


def _prefill_closed(tokens, seqs, peak, bw, eff=EFF):
    flops = 2 * N_8B * tokens + 2 * L * D * tokens ** 2 / seqs
    bytes_ = 2 * N_8B + tokens * (KV_BF16 + 2 * L * D * 2)
    return max(flops / (peak * eff.compute), bytes_ / (bw * eff.memory)) + eff.overhead_s


def test_attributes_and_kv_capacity_arithmetic():
    p = _a100()
    assert p.weight_b == pytest.approx(2 * N_8B, rel=REL)
    assert p.kv_b_per_token == KV_BF16
    assert p.peak_ops_per_s == A100_BF16 and p.bandwidth_b_per_s == A100_BW and p.n_devices == 1
    assert p.kv_capacity_tokens == math.floor((80e9 * 0.9 - 2 * N_8B) / KV_BF16)  # 426,788 tokens
    assert p.kv_capacity_tokens == 426_788
    q = _a100(memory_reserve_fraction=0.2)
    assert q.kv_capacity_tokens == math.floor((80e9 * 0.8 - 2 * N_8B) / KV_BF16)
    # fp8 weights and fp8 KV on an H100
    h = InferencePerf("h100-sxm", "llama-3.1-8b", "fp8")
    assert h.kv_b_per_token == KV_BF16 / 2
    assert h.kv_capacity_tokens == math.floor((80e9 * 0.9 - N_8B) / (KV_BF16 / 2))
    # 4-bit weights keep a 16-bit KV cache unless told
    j = InferencePerf("jetson-agx-orin-64", "llama-3-8b", "int4", compute_precision="fp16")
    assert j.kv_b_per_token == KV_BF16 and j.weight_b == pytest.approx(N_8B / 2)


def test_prefill_roofline_switches_at_the_ridge_point():
    p = _a100()
    # arithmetic time = memory time: a T^2 + b T - c = 0 with the closed forms above (one sequence)
    pc, wm = A100_BF16 * EFF.compute, A100_BW * EFF.memory
    a = 2 * L * D / pc
    b = 2 * N_8B / pc - (KV_BF16 + 2 * L * D * 2) / wm
    c = 2 * N_8B / wm
    t_star = (-b + math.sqrt(b * b + 4 * a * c)) / (2 * a)
    assert 100 < t_star < 130  # ~110 tokens on an A100 at these factors
    for t in (0.5 * t_star, 0.99 * t_star):
        assert not p.prefill_bound(t)
        mem = (2 * N_8B + t * (KV_BF16 + 2 * L * D * 2)) / wm
        assert p.prefill_s(t) == pytest.approx(mem + EFF.overhead_s, rel=REL)
    for t in (1.01 * t_star, 10 * t_star, 8000.0):
        assert p.prefill_bound(t)
        comp = (2 * N_8B * t + 2 * L * D * t * t) / pc
        assert p.prefill_s(t) == pytest.approx(comp + EFF.overhead_s, rel=REL)
    # intensity at the switch equals the ridge intensity P c / (W m)
    flops = 2 * N_8B * t_star + 2 * L * D * t_star ** 2
    bytes_ = 2 * N_8B + t_star * (KV_BF16 + 2 * L * D * 2)
    assert flops / bytes_ == pytest.approx(p.ridge_intensity, rel=1e-9)
    assert p.ridge_intensity == pytest.approx(pc / wm, rel=REL)


def test_prefill_in_sequences_and_arrays():
    p = _a100()
    tokens = np.array([0.0, 10.0, 512.0, 4096.0, 65536.0])
    seqs = np.array([1, 1, 4, 8, 64])
    t = p.prefill_s(tokens, n_seqs=seqs)
    assert isinstance(t, np.ndarray) and t.shape == (5,)
    assert t[0] == 0.0  # nothing to do takes no time
    for k in range(1, 5):
        assert t[k] == pytest.approx(_prefill_closed(tokens[k], seqs[k], A100_BF16, A100_BW), rel=REL)
        assert t[k] == pytest.approx(p.prefill_s(float(tokens[k]), n_seqs=int(seqs[k])), rel=REL)
    assert isinstance(p.prefill_s(100.0), float)
    # splitting a prompt budget into more sequences saves causal attention work
    assert p.prefill_s(8192.0, n_seqs=8) < p.prefill_s(8192.0, n_seqs=1)


def test_decode_time_grows_linearly_with_the_kv_cache():
    p = _a100()
    wm = A100_BW * EFF.memory
    ctx = np.linspace(0.0, 400_000.0, 9)
    t = p.decode_iter_s(8, ctx)
    expected = (2 * N_8B + ctx * KV_BF16) / wm + EFF.overhead_s  # memory-bound at batch 8
    np.testing.assert_allclose(t, expected, rtol=REL)
    slopes = np.diff(t) / np.diff(ctx)
    np.testing.assert_allclose(slopes, KV_BF16 / wm, rtol=1e-6)
    # batch 1 at empty context: weights over bandwidth
    assert p.single_stream_tok_s() == pytest.approx(1.0 / (2 * N_8B / wm + EFF.overhead_s), rel=REL)
    assert p.single_stream_tok_s(100_000) < p.single_stream_tok_s(0)


def test_decode_turns_compute_bound_at_large_batch():
    p = InferencePerf("h100-sxm", "llama-3.1-8b", "fp8", efficiency=EFF, max_batch=4096)
    b, ctx = 4096, 4096 * 200
    comp = (2 * N_8B * b + 4 * L * D * ctx) / (H100_FP8 * EFF.compute)
    mem = (N_8B + ctx * KV_BF16 / 2) / (H100_BW * EFF.memory)
    assert comp > mem
    assert p.decode_iter_s(b, ctx) == pytest.approx(comp + EFF.overhead_s, rel=REL)
    assert p.decode_iter_s(0, 0) == 0.0


def test_continuous_batching_round():
    p = InferencePerf("h100-sxm", "llama-3.1-8b", "fp8", efficiency=EFF, max_batch=4096)
    i, o = 2048, 128
    cap = math.floor((80e9 * 0.9 - N_8B) / (KV_BF16 / 2))
    assert p.max_concurrency(i, o) == min(4096, cap // (i + o)) == 448
    assert _a100(max_batch=16).max_concurrency(128, 128) == 16  # max_batch binds
    b = 448
    pc, wm = H100_FP8 * EFF.compute, H100_BW * EFF.memory
    pre = max((2 * N_8B * b * i + 2 * L * D * b * i * i) / pc,
              (N_8B + b * i * (KV_BF16 / 2 + 2 * L * D * 2)) / wm) + EFF.overhead_s
    ctx = b * (i + o / 2)
    dec = max((2 * N_8B * b + 4 * L * D * ctx) / pc, (N_8B + ctx * KV_BF16 / 2) / wm) + EFF.overhead_s
    assert p.throughput_tok_s(i, o) == pytest.approx(b * o / (pre + o * dec), rel=REL)
    assert p.throughput_tok_s(i, o, concurrency=10) < p.throughput_tok_s(i, o)
    with pytest.raises(OrbitcloudError, match="concurrency 449: .*at most 448"):
        p.throughput_tok_s(i, o, concurrency=449)


def test_tensor_parallel_splits_weights_and_adds_bandwidth():
    one = _a100()
    two = _a100(n_devices=2)
    assert two.peak_ops_per_s == 2 * A100_BF16 and two.bandwidth_b_per_s == 2 * A100_BW
    assert two.kv_capacity_tokens == math.floor((2 * 80e9 * 0.9 - 2 * N_8B) / KV_BF16)
    t1 = one.decode_iter_s(1, 0) - EFF.overhead_s
    t2 = two.decode_iter_s(1, 0) - EFF.overhead_s
    assert t2 == pytest.approx(t1 / 2, rel=REL)  # no communication charged by default
    link = 2.4e12  # 300 GB/s each way
    comm = _a100(n_devices=2, tp_link_bps=link)
    extra = 2 * L * ring_allreduce_s(1 * D * 2, 2, link)  # two all-reduces of the activations per layer
    assert comm.decode_iter_s(1, 0) == pytest.approx(two.decode_iter_s(1, 0) + extra, rel=REL)


def test_model_too_large_and_fits():
    with pytest.raises(ModelTooLarge) as exc:
        InferencePerf("tpu-v6e", "llama-3-8b", "fp32", compute_precision="bf16")  # fp32 weights, bf16 arithmetic
    msg = str(exc.value)
    assert msg == ("llama-3-8b at fp32 needs 32.1 GB of weights; 1 x tpu-v6e has 28.8 GB usable (32 GB each, 10% "
                   "reserved); at least 2 devices are needed")
    assert isinstance(exc.value, OrbitcloudError)
    InferencePerf("tpu-v6e", "llama-3-8b", "fp32", 2, compute_precision="bf16")  # two chips hold it
    ok, why = fits("jetson-agx-orin-64", 1, "llama-3-8b", "bf16")
    assert ok and why.startswith(
        "llama-3-8b at bf16 needs 16.1 GB of weights; 1 x jetson-agx-orin-64 has 57.6 GB usable")
    ok, why = fits("tpu-v6e", 1, llm("llama-3-8b"), "fp32")
    assert not ok and "needs 32.1 GB" in why and "28.8 GB usable" in why


def test_bad_input():
    with pytest.raises(OrbitcloudError, match="precision 'fp8' is not supported by a100-sxm-80; supported: "):
        InferencePerf("a100-sxm-80", "llama-3-8b", "fp8")
    with pytest.raises(OrbitcloudError, match="precision 'int4' is not supported by h100-sxm; supported: .*fp8"):
        InferencePerf("h100-sxm", "llama-3-8b", "int4")
    with pytest.raises(OrbitcloudError, match="unknown accelerator 'h300'; known: .*h100-sxm"):
        InferencePerf("h300", "llama-3-8b", "bf16")
    with pytest.raises(OrbitcloudError, match="model 'llama-2-7b' is unknown; known models: "):
        InferencePerf("h100-sxm", "llama-2-7b", "bf16")
    with pytest.raises(OrbitcloudError, match="n_devices 0: expected an integer >= 1"):
        InferencePerf("h100-sxm", "llama-3-8b", "bf16", 0)
    with pytest.raises(OrbitcloudError, match="memory_reserve_fraction 1.0"):
        InferencePerf("h100-sxm", "llama-3-8b", "bf16", memory_reserve_fraction=1.0)
    with pytest.raises(OrbitcloudError, match="inference efficiency class 'fast' is unknown; known: default"):
        efficiency("fast")
    with pytest.raises(OrbitcloudError, match="efficiency compute 1.5"):
        Efficiency(1.5, 0.5, 0.0, "x")
    p = InferencePerf("h100-sxm", "llama-3-8b", "bf16")
    with pytest.raises(OrbitcloudError, match="exceeds the context of llama-3-8b \\(8192 tokens\\)"):
        p.throughput_tok_s(8000, 500)
    with pytest.raises(OrbitcloudError, match="expected in >= 0 and out >= 1"):
        p.throughput_tok_s(100, 0)
    small = InferencePerf("h100-sxm", "llama-3.1-8b", "bf16", memory_reserve_fraction=0.7)
    assert small.kv_capacity_tokens < 100_000
    assert small.max_concurrency(90_000, 10_000) == 0
    with pytest.raises(OrbitcloudError, match="does not fit the KV cache"):
        small.throughput_tok_s(90_000, 10_000)


def test_default_efficiency_is_sourced():
    e = efficiency()
    assert e.name == "default" and "gpt-fast" in e.source and "2407.21783" in e.source
    assert 0 < e.compute <= 1 and 0 < e.memory <= 1 and e.overhead_s >= 0
    assert InferencePerf("h100-sxm", "gemma-2b", "bf16").efficiency == e


# ------------------------------------------------------------------ properties
SETTINGS = settings(max_examples=40, deadline=None)
H100 = InferencePerf("h100-sxm", "llama-3.1-8b", "fp8", max_batch=4096)


@SETTINGS
@given(st.floats(0.0, 1e6), st.floats(0.0, 1e6))
def test_prefill_nondecreasing_in_tokens(t0, dt):
    assert H100.prefill_s(t0 + dt) >= H100.prefill_s(t0)


@SETTINGS
@given(st.integers(1, 4096), st.integers(0, 4096), st.floats(0.0, 5e5), st.floats(0.0, 5e5))
def test_decode_nondecreasing_in_batch_and_context(b, db, c, dc):
    assert H100.decode_iter_s(b + db, c) >= H100.decode_iter_s(b, c)
    assert H100.decode_iter_s(b, c + dc) >= H100.decode_iter_s(b, c)


@SETTINGS
@given(st.integers(0, 8000), st.integers(0, 8000), st.integers(1, 2000))
def test_throughput_nonincreasing_in_prompt_length(i, di, o):
    a = H100.throughput_tok_s(i, o)
    b = H100.throughput_tok_s(i + di, o)
    assert b <= a * (1 + 1e-12)


@SETTINGS
@given(st.integers(1, 7), st.integers(1, 256), st.floats(0.0, 1e5))
def test_more_devices_decode_faster_and_hold_more(n, b, c):
    one = InferencePerf("a100-sxm-80", "llama-3-8b", "bf16", n)
    more = InferencePerf("a100-sxm-80", "llama-3-8b", "bf16", n + 1)
    assert more.decode_iter_s(b, c) <= one.decode_iter_s(b, c)
    assert more.kv_capacity_tokens > one.kv_capacity_tokens
