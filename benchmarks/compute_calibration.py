"""Calibration table of the compute models: orbitcloud vs published numbers, with ratios.

Cases (sources in docs/compute.md and tests/compute/test_calibration.py):

* Llama-3-8B batch-1 bf16 decode on A100-80GB, ~95 tok/s (gpt-fast / torchao);
* TensorRT-LLM Llama 3.1 8B FP8 on one H100: 28,312 output tok/s at 128/128, 3,450 at 2,048/128;
* GPT-2 124M, 10 B tokens on 8 x H100: ~45 min (llm.c);
* nanoGPT shakespeare-char, 5,000 x 16,384 tokens on one A100: ~3 min (consistency of the catalog MFU),
  and the same job on Starcloud-1's H100 at the recommended MFU.

Also prints the efficiency factors each case would need to match exactly (what the published number
implies), so that the defaults can be judged. Usage: python benchmarks/compute_calibration.py
"""

from __future__ import annotations

from dataclasses import replace

from orbitcloud.compute import InferencePerf, TrainingPerf, efficiency


def _implied_compute(i: int, o: int, published: float) -> float:
    """The compute efficiency that reproduces ``published`` (memory efficiency kept), by bisection."""
    lo, hi = 0.01, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        eff = replace(efficiency(), compute=mid, name="probe")
        p = InferencePerf("h100-sxm", "llama-3.1-8b", "fp8", kv_precision="fp8", max_batch=4096, efficiency=eff)
        lo, hi = (mid, hi) if p.throughput_tok_s(i, o) < published else (lo, mid)
    return 0.5 * (lo + hi)


def main() -> None:
    eff = efficiency()
    print(f"efficiency class '{eff.name}': compute {eff.compute}, memory {eff.memory}, overhead {eff.overhead_s} s")
    rows = []

    a100 = InferencePerf("a100-sxm-80", "llama-3-8b", "bf16")
    v = a100.single_stream_tok_s()
    implied_mem = 95.0 * a100.weight_b / a100.bandwidth_b_per_s
    rows.append(("Llama-3-8B bs1 bf16 decode, A100-80GB", "tok/s", v, 95.0, f"memory eff. {implied_mem:.3f}"))

    h100 = InferencePerf("h100-sxm", "llama-3.1-8b", "fp8", kv_precision="fp8", max_batch=4096)
    for i, o, pub in ((128, 128, 28_312.0), (2048, 128, 3_450.0)):
        b = h100.max_concurrency(i, o)
        v = h100.throughput_tok_s(i, o)
        rows.append((f"TRT-LLM L3.1-8B FP8 H100 {i}/{o} (B={b})", "tok/s", v, pub,
                     f"compute eff. {_implied_compute(i, o, pub):.3f}"))

    gpt2 = TrainingPerf("h100-sxm", "gpt2-124m", "bf16", 1024, 524_288)
    s = gpt2.time_to_train_s(10e9, 1, 8, 0.0)
    implied = gpt2.flops_per_token * 10e9 / (45 * 60 * 8 * 989e12)
    rows.append(("GPT-2 124M 10B tok, 8 x H100", "min", s / 60, 45.0, f"MFU {implied:.3f} (default {gpt2.mfu})"))

    nano = TrainingPerf("a100-sxm-80", "nanogpt-shakespeare-char", "bf16", 256, 16_384)
    s = nano.time_to_train_s(5000 * 16_384, 1, 1, 0.0)
    implied = nano.flops_per_step * 5000 / (180.0 * 312e12)
    rows.append(("nanoGPT shakespeare-char, 1 x A100", "min", s / 60, 3.0, f"MFU {implied:.3f} (catalog {nano.mfu})"))

    print(f"{'case':46s} {'unit':5s} {'model':>10s} {'published':>10s} {'ratio':>6s}  implied by the published number")
    for name, unit, model, pub, note in rows:
        print(f"{name:46s} {unit:5s} {model:10.1f} {pub:10.1f} {model / pub:6.3f}  {note}")

    star = TrainingPerf("h100-sxm", "nanogpt-shakespeare-char", "bf16", 256, 16_384)
    s = star.time_to_train_s(5000 * 16_384, 1, 1, 0.0)
    print(f"\nStarcloud-1 (1 x H100, MFU {star.mfu}): nanoGPT shakespeare-char 5,000 iterations in {s / 60:.1f} min")


if __name__ == "__main__":
    main()
