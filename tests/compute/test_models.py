"""The LLM catalog and per-token arithmetic (``orbitcloud.compute.models``).

References independent of the code under test:

* parameter counts recomputed from the published shapes (config.json / papers), with the feed-forward
  widths typed in here: Llama 3 8B 14,336 (SwiGLU, untied output); GPT-2 3,072 (GELU, tied embeddings,
  biases); nanoGPT shakespeare-char 4 x 384 without biases (``bias = False`` in its config); Gemma 2B
  16,384 (GeGLU, the paper's "feedforward hidden dims 32,768" counts both gate and up projections);
* the well-known KV-cache size of Llama 3 8B in bf16: 128 KiB per token;
* nanoGPT's own FLOP estimate (``model.estimate_mfu``): ``6 N + 12 L H Q T`` per token.
"""

from __future__ import annotations

import pytest

from orbitcloud.compute import models
from orbitcloud.compute.models import (
    LLM,
    PRECISION_BYTES,
    kv_bytes_per_token,
    llm,
    llm_names,
    train_flops_per_token,
    weight_bytes,
)
from orbitcloud.errors import OrbitcloudError

REL_PARAMS = 0.005  # catalog parameter counts vs the count rebuilt from the shape: 0.5 %
EXPECTED = ("llama-3-8b", "llama-3.1-8b", "gpt2-124m", "nanogpt-shakespeare-char", "gemma-2b", "remote-sensing-8b")


def test_catalog_has_the_models_with_sources():
    names = llm_names()
    for name in EXPECTED:
        assert name in names
    assert "inference_efficiency" not in names
    for name in names:
        m = llm(name)
        assert isinstance(m, LLM) and m.source and m.label
        assert m.n_heads % m.n_kv_heads == 0, name
        assert m.n_heads * m.head_dim == m.d_model, name  # true of every catalog model
        assert m.params > 0 and m.context_max > 0
    assert "ASSUMPTION" in llm("remote-sensing-8b").source  # architecture not published
    assert llm("llama-3.1-8b").context_max == 131072 and llm("llama-3-8b").context_max == 8192


def _llama_params(vocab, d, layers, n_heads, n_kv, head_dim, ffn):
    attn = d * n_heads * head_dim * 2 + d * n_kv * head_dim * 2  # q, o; k, v
    mlp = 3 * d * ffn  # gate, up, down
    return 2 * vocab * d + layers * (attn + mlp + 2 * d) + d  # untied embedding and output; RMSNorm weights


def test_parameter_counts_follow_from_the_shapes():
    m = llm("llama-3-8b")
    assert m.params == pytest.approx(_llama_params(128256, 4096, 32, 32, 8, 128, 14336), rel=REL_PARAMS)
    g = llm("gpt2-124m")
    per_layer = (768 * 2304 + 2304) + (768 * 768 + 768) + (768 * 3072 + 3072) + (3072 * 768 + 768) + 4 * 768
    assert per_layer * 12 + 50257 * 768 + 1024 * 768 + 2 * 768 == 124_439_808
    assert g.params == pytest.approx(124_439_808, rel=REL_PARAMS)
    n = llm("nanogpt-shakespeare-char")
    # nanoGPT reports parameters without the position embedding; no biases; LayerNorm weights only
    nano = 6 * (12 * 384 * 384 + 2 * 384) + 65 * 384 + 384
    assert n.params == pytest.approx(nano, rel=REL_PARAMS)
    gem = llm("gemma-2b")
    gemma = 256000 * 2048 + 18 * (2048 * 8 * 256 * 2 + 2048 * 1 * 256 * 2 + 3 * 2048 * 16384 + 2 * 2048) + 2048
    assert gem.params == pytest.approx(gemma, rel=0.01)  # the paper's vocabulary is 256,128: within 1 %


def test_weight_and_kv_bytes():
    m = llm("llama-3-8b")
    assert weight_bytes(m, "bf16") == pytest.approx(16.06e9)
    assert weight_bytes(m, "fp8") == pytest.approx(8.03e9)
    assert weight_bytes("llama-3-8b", "int4") == pytest.approx(4.015e9)
    assert kv_bytes_per_token(m, "bf16") == 128 * 1024  # 128 KiB per token
    assert kv_bytes_per_token(m, "fp8") == 64 * 1024
    assert kv_bytes_per_token(llm("gemma-2b"), "bf16") == 2 * 18 * 1 * 256 * 2  # multi-query: one KV head
    assert kv_bytes_per_token(llm("gpt2-124m"), "fp32") == 2 * 12 * 12 * 64 * 4
    assert PRECISION_BYTES["fp4"] == 0.5 and PRECISION_BYTES["tf32"] == 4.0


def test_train_flops_per_token_matches_nanogpt_estimate():
    m = llm("nanogpt-shakespeare-char")
    n_param, n_layer, n_head, head, t = m.params, 6, 6, 64, 256
    nanogpt = 6 * n_param + 12 * n_layer * n_head * head * t  # model.estimate_mfu
    assert train_flops_per_token(m, 256) == pytest.approx(nanogpt, rel=1e-12)
    g = llm("gpt2-124m")
    assert train_flops_per_token(g, 1024) == pytest.approx(6 * 124.44e6 + 12 * 12 * 1024 * 768, rel=1e-12)
    assert train_flops_per_token(g, 2048) > train_flops_per_token(g, 1024)


def _catalog_yaml(name: str) -> dict:
    """A catalog file read directly (not through ``orbitcloud.catalog``)."""
    from importlib import resources

    import yaml

    return yaml.safe_load(resources.files("orbitcloud.catalog").joinpath(f"{name}.yaml").read_text("utf-8"))


def _listed(message: str, after: str) -> list[str]:
    """The comma-separated names after ``after`` at the end of a one-line message."""
    assert after in message, message
    return [n.strip() for n in message.split(after, 1)[1].split(",")]


def test_bad_names_list_the_known_ones():
    """Every bad name raises (pytest.raises fails the test when nothing is raised) one line that names
    the bad value and lists exactly the known ones, read here from the YAML files themselves."""
    models_yaml = sorted(k for k in _catalog_yaml("llm_models") if k != "inference_efficiency")
    accel_yaml = _catalog_yaml("accelerators")
    # the precisions docs/compute.md lists for weight_bytes (`fp32 tf32 bf16 fp16 fp8 int8 int4 fp4 fp64`), typed in
    precisions = {"fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4", "fp4"}
    cases = [
        (lambda: llm("llama-9b"), "model 'llama-9b' is unknown; ", "known models: ", set(models_yaml)),
        (lambda: weight_bytes(llm("gpt2-124m"), "fp6"), "precision 'fp6' is unknown; ", "known precisions: ",
         precisions),
        (lambda: kv_bytes_per_token(llm("gpt2-124m"), "q8"), "kv precision 'q8' is unknown; ", "known precisions: ",
         precisions),
        (lambda: models.accelerator("a100"), "unknown accelerator 'a100'; ", "known: ", set(accel_yaml)),
        (lambda: models.peak_ops_per_s("a100-sxm-80", "fp8"), "precision 'fp8' is not supported by a100-sxm-80; ",
         "supported: ", set(accel_yaml["a100-sxm-80"]["ops_per_s"])),
        (lambda: llm("nope"), "model 'nope' is unknown; ", "known models: ", set(models_yaml)),
    ]
    for call, head, after, known in cases:
        with pytest.raises(OrbitcloudError) as info:
            call()
        msg = str(info.value)
        assert "\n" not in msg and "\r" not in msg, msg  # one line each
        assert msg.startswith(head), msg
        names = _listed(msg, after)
        assert len(names) == len(set(names)) and set(names) == known, msg
    assert "fp8" not in accel_yaml["a100-sxm-80"]["ops_per_s"]  # the A100 has no FP8 tensor cores


def test_accelerator_catalog_a100_and_train_mfu_sources():
    a100 = models.accelerator("a100-sxm-80")
    ops = {k: float(v) for k, v in a100["ops_per_s"].items()}  # YAML 1.1 reads 312.0e12 as text
    assert ops["bf16"] == 312e12 and ops["tf32"] == 156e12 and ops["int8"] == 624e12 and "fp8" not in ops
    assert float(a100["memory_b"]) == 80e9 and float(a100["bandwidth_b_per_s"]) == 2.039e12
    assert a100["power_w"] == 400
    from orbitcloud import catalog

    for name, entry in catalog.load("accelerators").items():
        if "train_mfu" in entry:
            assert 0.0 < float(entry["train_mfu"]) <= 1.0 and entry["train_mfu_source"], name
    h100 = models.accelerator("h100-sxm")
    assert 0.38 <= float(h100["train_mfu"]) <= 0.43  # Llama 3: 38-43 % BF16 MFU on H100
