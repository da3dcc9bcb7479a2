"""Model variants (``orbitcloud.compute.model_choice``, ``catalog/model_quality.yaml``).

References independent of the code under test, typed in here with their citations:

* MMLU 5-shot macro_avg/acc of the instruction-tuned models: Meta Llama 3.1 model card (Jul 2024) and
  Llama 3.2 model card, quantized revision (24 Oct 2024);
* the quantised 8B/70B/3B figures: Neural Magic checkpoint cards on Hugging Face (Jul/Sep 2024), the
  checkpoint family of Kurtic et al. 2024 (arXiv 2411.02355), as (quantised, BF16) pairs;
* parameter counts rebuilt from config.json; PTE file sizes of the Llama 3.2 card (ExecuTorch, OnePlus 12);
* the accelerator memories and peaks of the datasheets (H100 SXM: 80 GB, dense BF16 989 TFLOPS).
"""

from __future__ import annotations

import itertools
import math

import pytest

from orbitcloud.compute import model_choice as mc
from orbitcloud.compute.inference import InferencePerf, ModelTooLarge
from orbitcloud.compute.models import llm, weight_bytes
from orbitcloud.errors import OrbitcloudError

GB = 1e9
MIB = 2.0**20

#: The quality of every variant on the catalog scale (MMLU 5-shot, %), from the cited numbers.
CITED = {
    # Meta Llama 3.2 card (Oct 2024), Instruction Tuned Models, MMLU: 1B bf16 49.3, SpinQuant 47.3
    "llama-3.2-1b@bf16": 49.3,
    "llama-3.2-1b@int4": 47.3,
    # same table: 3B bf16 63.4, SpinQuant 62; Neural Magic Llama-3.2-3B-Instruct-FP8-dynamic: 62.98 -> 62.95
    "llama-3.2-3b@bf16": 63.4,
    "llama-3.2-3b@fp8": 63.4 * 62.95 / 62.98,
    "llama-3.2-3b@int4": 62.0,
    # Meta Llama 3.1 card (Jul 2024): 8B Instruct 69.4; Neural Magic cards: FP8 67.95 -> 67.97,
    # w8a8 OpenLLM v1 recovery 100.3 % (ASSUMPTION: stands in for MMLU), w4a16 68.3 -> 66.9
    "llama-3.1-8b@bf16": 69.4,
    "llama-3.1-8b@fp8": 69.4 * 67.97 / 67.95,
    "llama-3.1-8b@int8": 69.4 * 1.003,
    "llama-3.1-8b@int4": 69.4 * 66.9 / 68.3,
    # Meta Llama 3.1 card: 70B Instruct 83.6; Neural Magic cards: FP8 83.83 -> 83.73, w8a8 83.9 -> 83.7,
    # w4a16 83.9 -> 83.6
    "llama-3.1-70b@bf16": 83.6,
    "llama-3.1-70b@fp8": 83.6 * 83.73 / 83.83,
    "llama-3.1-70b@int8": 83.6 * 83.7 / 83.9,
    "llama-3.1-70b@int4": 83.6 * 83.6 / 83.9,
    # off the ladder, the model of the built-in shell scenarios: Meta Llama 3.1 card, Llama 3 8B Instruct
    # 68.5; Neural Magic cards (Jun/Jul 2024): FP8 66.60 -> 66.27, w8a8 66.54 -> 66.13
    "llama-3-8b@bf16": 68.5,
    "llama-3-8b@fp8": 68.5 * 66.27 / 66.60,
    "llama-3-8b@int8": 68.5 * 66.13 / 66.54,
}
LADDER = ("llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b", "llama-3.1-70b")


def test_the_catalog_lists_exactly_the_cited_variants():
    assert set(mc.variant_names()) == set(CITED)
    names = mc.variant_names()
    assert names[0] == "llama-3.2-1b@bf16" and names[-1] == "llama-3.1-70b@int4"  # small first, wide first


@pytest.mark.parametrize("name", sorted(CITED))
def test_quality_matches_the_cited_value(name):
    v = mc.variant(name)
    assert v.quality == pytest.approx(CITED[name], rel=1e-12)
    assert v.name == name and v.source and v.scheme and v.activation
    assert v.model is llm(name.split("@")[0]) and v.precision == name.split("@")[1]


def test_the_scale_is_stated_and_the_normalisation_is_score_over_the_best():
    s = mc.quality_scale()
    assert s["benchmark"] == "MMLU" and "5-shot" in s["setting"] and "macro_avg/acc" in s["setting"]
    best = max(CITED.values())
    assert best == 83.6  # llama-3.1-70b@bf16
    for name, q in CITED.items():
        v = mc.variant(name)
        assert v.quality_rel == pytest.approx(q / best, rel=1e-12)
        assert 0.0 < v.quality_rel <= 1.0
    assert mc.variant("llama-3.1-70b@bf16").quality_rel == 1.0


def test_the_noise_is_one_binomial_standard_error_of_mmlu():
    # Hendrycks et al. 2021: 14,042 MMLU test questions; standard error of an accuracy near 70 %
    se_pp = 100.0 * math.sqrt(0.7 * 0.3 / 14_042)
    assert mc.quality_scale()["noise_pp"] == round(se_pp, 1) == 0.4


@pytest.mark.parametrize("prec", ["bf16", "fp8", "int8", "int4"])
def test_quality_is_monotone_in_size_within_a_precision(prec):
    qs = [mc.variant(f"{m}@{prec}").quality for m in LADDER if f"{m}@{prec}" in CITED]
    params = [llm(m).params for m in LADDER if f"{m}@{prec}" in CITED]
    assert len(qs) >= 2 and params == sorted(params)
    assert all(a < b for a, b in itertools.pairwise(qs)), (prec, qs)


def test_quantised_variants_are_never_above_their_parent_by_more_than_the_noise():
    noise = mc.quality_scale()["noise_pp"]
    for name in CITED:
        model, prec = name.split("@")
        if prec == "bf16":
            continue
        q, parent = mc.variant(name).quality, mc.variant(f"{model}@bf16").quality
        assert q <= parent + noise, name
        # the published recoveries span 95.9 % (1B SpinQuant 47.3 / 49.3) to 100.3 % (8B w8a8)
        assert 0.95 <= q / parent <= 1.0 + noise / parent, name


def test_weights_and_arithmetic_reuse_the_model_helpers():
    for name in CITED:
        v = mc.variant(name)
        assert v.weight_b == weight_bytes(v.model, v.precision)
        assert v.flops_per_token == 2.0 * v.model.params  # = InferencePerf.decode_flops(1, 0)
    # 70B at 16 bits: 70,553,706,496 weights x 2 B = 141.1 GB (the catalog's 70.6e9 rounds it: 0.1 %)
    assert mc.variant("llama-3.1-70b@bf16").weight_b == pytest.approx(2 * 70_553_706_496, rel=1e-3)
    assert mc.variant("llama-3.1-70b@int4").weight_b == pytest.approx(0.5 * 70_553_706_496, rel=1e-3)
    p = InferencePerf("h100-sxm", "llama-3.1-8b", "bf16")
    assert float(p.decode_flops(1, 0)) == mc.variant("llama-3.1-8b@bf16").flops_per_token


def _llama_params(vocab, d, layers, n_heads, n_kv, head_dim, ffn, tied):
    attn = d * n_heads * head_dim * 2 + d * n_kv * head_dim * 2  # q, o; k, v
    per_layer = attn + 3 * d * ffn + 2 * d  # gate, up, down; two RMSNorm weights
    return (1 if tied else 2) * vocab * d + layers * per_layer + d


def test_the_added_shapes_follow_config_json():
    # config.json of meta-llama/Llama-3.2-1B and -3B (Sep 2024; tie_word_embeddings true), Llama-3.1-70B
    one = _llama_params(128_256, 2048, 16, 32, 8, 64, 8192, tied=True)
    three = _llama_params(128_256, 3072, 28, 24, 8, 128, 8192, tied=True)
    seventy = _llama_params(128_256, 8192, 80, 64, 8, 128, 28_672, tied=False)
    assert (one, three, seventy) == (1_235_814_400, 3_212_749_824, 70_553_706_496)
    # Meta Llama 3.2 card: "1B (1.23B)", "3B (3.21B)"; catalog keeps 4 digits
    for name, n in (("llama-3.2-1b", one), ("llama-3.2-3b", three), ("llama-3.1-70b", seventy)):
        m = llm(name)
        assert m.params == pytest.approx(n, rel=1e-3)
        assert m.n_heads * m.head_dim == m.d_model and m.context_max == 131_072 and m.vocab == 128_256


def test_bf16_weight_bytes_match_the_published_file_sizes():
    # Meta Llama 3.2 card (Oct 2024), Inference time table: PTE file 1B BF16 2358 MB, 3B BF16 6129 MB (MiB)
    assert mc.variant("llama-3.2-1b@bf16").weight_b / MIB == pytest.approx(2358, rel=2e-3)
    assert mc.variant("llama-3.2-3b@bf16").weight_b / MIB == pytest.approx(6129, rel=2e-3)
    # documented limitation (docs/models.md): params x 0.5 B understates the 4-bit files, whose embedding and
    # classification layers stay at 8 bits (1B SpinQuant 1083 MB, 3B SpinQuant 2435 MB)
    assert mc.variant("llama-3.2-1b@int4").weight_b / MIB < 1083
    assert mc.variant("llama-3.2-3b@int4").weight_b / MIB < 2435


def test_fitting_variants_on_one_h100():
    names = {v.name for v in mc.fitting_variants("h100-sxm", 1)}
    # H100 SXM: 80 GB, 10 % reserved -> 72 GB usable
    assert "llama-3.1-70b@bf16" not in names  # 141 GB
    assert {"llama-3.1-70b@int4", "llama-3.1-70b@int8", "llama-3.1-70b@fp8"} <= names  # 35.3 / 70.6 / 70.6 GB
    assert {f"llama-3.1-8b@{p}" for p in ("bf16", "fp8", "int8", "int4")} <= names
    assert names == set(CITED) - {"llama-3.1-70b@bf16"}
    # two in tensor parallel hold the 16-bit 70B (144 GB usable)
    assert "llama-3.1-70b@bf16" in {v.name for v in mc.fitting_variants("h100-sxm", 2)}
    # a larger reserve pushes the 8-bit 70B out: 80 x 0.8 = 64 GB < 70.6 GB
    tight = {v.name for v in mc.fitting_variants("h100-sxm", 1, memory_reserve_fraction=0.2)}
    assert "llama-3.1-70b@fp8" not in tight and "llama-3.1-70b@int4" in tight


def test_fitting_variants_on_the_three_body_computer():
    # three-body-744: int8 arithmetic only, 64 GB (57.6 GB usable). The 16-bit and FP8 variants and the
    # W4A16 checkpoints (16-bit arithmetic) cannot run; Meta's W4A8 1B/3B (int8 activations) and the 8B
    # W8A8-INT checkpoints can; the 70B W8A8-INT (70.6 GB) does not fit.
    names = [v.name for v in mc.fitting_variants("three-body-744", 1)]
    assert names == ["llama-3.2-1b@int4", "llama-3.2-3b@int4", "llama-3-8b@int8", "llama-3.1-8b@int8"]
    with pytest.raises(ModelTooLarge, match=r"70\.6 GB of weights; 1 x three-body-744 has 57\.6 GB usable"):
        mc.check_fits(mc.variant("llama-3.1-70b@int8"), "three-body-744", 1, "workloads.inference.model")
    assert "llama-3.1-70b@int8" in {v.name for v in mc.fitting_variants("three-body-744", 2)}


def test_fitting_variants_elsewhere():
    # A100: no FP8 (datasheet); TPU v6e: bf16 and int8, 32 GB (28.8 usable); B200: 180 GB holds 70B bf16
    a100 = {v.name for v in mc.fitting_variants("a100-sxm-80", 1)}
    assert not any(n.endswith("@fp8") for n in a100) and "llama-3.1-70b@int4" in a100
    tpu = {v.name for v in mc.fitting_variants("tpu-v6e", 1)}
    assert "llama-3.1-8b@bf16" in tpu and not any(n.startswith("llama-3.1-70b") for n in tpu)
    assert {v.name for v in mc.fitting_variants("b200", 1)} == set(CITED)


def test_the_compute_precision_rule():
    # published scheme's arithmetic; 4-bit weights are never multiplied in int4
    assert mc.compute_precision("llama-3.1-8b@int4", "h100-sxm") == "bf16"  # W4A16
    assert mc.compute_precision("llama-3.2-1b@int4", "h100-sxm") == "int8"  # W4A8
    assert mc.compute_precision("llama-3.2-1b@int4", "three-body-744") == "int8"
    assert mc.compute_precision("llama-3.1-8b@int4", "three-body-744") is None  # no 16-bit ops
    assert mc.compute_precision("llama-3.1-8b@fp8", "a100-sxm-80") is None  # W8A8-FP needs FP8 ops
    assert mc.compute_precision("llama-3.1-8b@fp8", "h100-sxm") == "fp8"
    assert mc.compute_precision("llama-3.1-8b@bf16", "three-body-744") is None
    for acc in ("h100-sxm", "h200-sxm", "a100-sxm-80", "b200", "tpu-v6e", "jetson-agx-orin-64", "three-body-744"):
        for name in CITED:
            assert mc.compute_precision(name, acc) != "int4"
            assert mc.runs_on(name, acc) == (mc.compute_precision(name, acc) is not None)


def test_inference_perf_expresses_w4a16():
    v = mc.variant("llama-3.1-8b@int4")
    p = mc.inference_perf(v, "h100-sxm", 1)
    assert p.weight_b == pytest.approx(0.5 * 8.03e9)  # int4 weights
    assert p.compute_precision == "bf16" and p.peak_ops_per_s == 989e12  # H100 SXM dense BF16 989 TFLOPS
    direct = InferencePerf("h100-sxm", "llama-3.1-8b", "int4", compute_precision="bf16")
    assert p.single_stream_tok_s() == direct.single_stream_tok_s()
    # a memory-bound decode reads a quarter of the 16-bit bytes: faster than bf16 at batch 1
    assert p.single_stream_tok_s() > mc.inference_perf("llama-3.1-8b@bf16", "h100-sxm").single_stream_tok_s()
    w4a8 = mc.inference_perf("llama-3.2-3b@int4", "three-body-744")
    assert w4a8.compute_precision == "int8" and w4a8.peak_ops_per_s == 744e12
    with pytest.raises(ModelTooLarge):
        mc.inference_perf("llama-3.1-70b@bf16", "h100-sxm", 1)


def _one_line(exc) -> str:
    msg = str(exc.value)
    assert "\n" not in msg, msg
    return msg


def test_unknown_model_precision_and_quality_name_where_and_the_known_ones():
    with pytest.raises(OrbitcloudError) as info:
        mc.variant("llama-9b@bf16", "workloads.inference.model")
    msg = _one_line(info)
    assert msg.startswith("workloads.inference.model: model 'llama-9b' is unknown; ")
    assert "llama-3.2-1b, llama-3.2-3b, llama-3-8b, llama-3.1-8b, llama-3.1-70b" in msg
    with pytest.raises(OrbitcloudError) as info:
        mc.variant("gemma-2b@bf16", "m")  # a catalog model without published quality
    assert _one_line(info).startswith("m: model 'gemma-2b' has no published quality; ")
    with pytest.raises(OrbitcloudError) as info:
        mc.variant("llama-3.1-8b@fp6", "m")
    assert _one_line(info) == "m: precision 'fp6' of llama-3.1-8b is unknown; published precisions of llama-3.1-8b: bf16, fp8, int8, int4"
    with pytest.raises(OrbitcloudError) as info:
        mc.variant("llama-3.2-1b@fp8", "m")
    assert _one_line(info) == "m: llama-3.2-1b@fp8 has no published quality; published precisions of llama-3.2-1b: bf16, int4"
    for bad in ("llama-3.1-8b", "a@b@c", 8):
        with pytest.raises(OrbitcloudError, match=r"^m: .* is not a model variant; expected MODEL@PRECISION"):
            mc.variant(bad, "m")


def test_a_model_that_does_not_fit_names_the_sizes():
    with pytest.raises(ModelTooLarge) as info:
        mc.check_fits(mc.variant("llama-3.1-70b@bf16"), "h100-sxm", 1, "workloads.inference.model")
    msg = _one_line(info)
    assert msg.startswith("workloads.inference.model: model llama-3.1-70b@bf16 does not fit: ")
    assert "141.2 GB of weights" in msg and "1 x h100-sxm has 72.0 GB usable" in msg
    assert "at least 2 devices are needed" in msg
    assert isinstance(info.value, OrbitcloudError)
    assert mc.check_fits(mc.variant("llama-3.1-70b@bf16"), "h100-sxm", 2, "w") is None


def test_an_accelerator_without_the_arithmetic_is_refused_with_what_it_supports():
    with pytest.raises(OrbitcloudError) as info:
        mc.check_fits("llama-3.1-8b@fp8", "a100-sxm-80", 1, "w.model")
    assert _one_line(info) == ("w.model: llama-3.1-8b@fp8 (W8A8-FP) computes at fp8, which a100-sxm-80 does not "
                               "support; it supports: fp64, tf32, bf16, fp16, int8")
    with pytest.raises(OrbitcloudError, match=r"W4A16\) computes at bf16 \(or, dequantised, fp16\)"):
        mc.check_fits("llama-3.1-8b@int4", "three-body-744", 1, "w.model")
    with pytest.raises(OrbitcloudError, match="unknown accelerator 'h100'"):
        mc.fitting_variants("h100", 1)
    for n in (0, 1.5, True):
        with pytest.raises(OrbitcloudError, match="n_devices"):
            mc.check_fits("llama-3.1-8b@fp8", "h100-sxm", n, "w")


def test_the_loader_refuses_a_variant_without_source(monkeypatch):
    import yaml

    real = yaml.safe_load

    def without_source(text):
        data = real(text)
        del data["llama-3.1-8b"]["precisions"]["fp8"]["source"]
        return data

    mc._catalog.cache_clear()
    monkeypatch.setattr(yaml, "safe_load", without_source)
    try:
        with pytest.raises(RuntimeError, match=r"llama-3\.1-8b\.precisions\.fp8 has no source"):
            mc._catalog()
    finally:
        monkeypatch.undo()
        mc._catalog.cache_clear()
