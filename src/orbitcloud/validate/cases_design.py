"""Sizing against the papers' numbers; the LLM compute models against published throughputs.

Taken from tests/design/test_sizing.py (2 %) and tests/compute/test_calibration.py (25 %, one
efficiency class for every inference case, the accelerator's sourced training MFU).
"""

from __future__ import annotations

from orbitcloud.validate.common import measured

#: Published sizing figures reproduced within 2 % (tests/design/test_sizing.py).
REL = 0.02
#: Suncatcher quotes the array as "~28 kW": rounded to the kW [W].
HALF_KW_W = 500.0
#: Each compute model within 25 % of the published number (issue #6).
CALIBRATION_REL_TOL = 0.25
TRTLLM_MAX_BATCH = 4096  # trtllm-bench: max batch size capped at 4,096

SUNCATCHER = "Suncatcher (Google, 2025), arXiv 2511.19468; design/REFERENCES.md"
STARCLOUD = "Starcloud white paper (2024), 'Why we should train AI in space'; design/REFERENCES.md"


def _rel(got: float, ref: float) -> float:
    return abs(got - ref) / abs(ref)


def suncatcher_array(full: bool) -> dict:
    from orbitcloud.design import sizing

    p = sizing.cell_array_power_w(105.0, "starlink-v2mini-proxy", 0.90)
    return measured("~28 kW: 105 m2 x 1,361 W/m2 x 0.22 x 0.90 packing", SUNCATCHER, HALF_KW_W, "W", abs(p - 28e3), "W",
                    detail=f"model {p:,.0f} W")


def suncatcher_price(full: bool) -> dict:
    from orbitcloud.design import sizing

    rows = [(launch, sizing.launched_power_price_usd_per_kw_yr(575.0, launch, 28e3, 5.0), ref)
            for launch, ref in ((3600.0, 14_700.0), (200.0, 810.0))]
    err = max(_rel(got, ref) for _, got, ref in rows)
    return measured("launched-power price 575 kg, 28 kW, 5 yr: $14,700 and $810 per kW-yr at $3,600 and $200/kg",
                    SUNCATCHER, REL, "relative", err, "relative",
                    detail="; ".join(f"${launch:,.0f}/kg: model {got:,.0f} vs {ref:,.0f}" for launch, got, ref in rows))


def starcloud_energy(full: bool) -> dict:
    from orbitcloud.design import sizing

    r = sizing.size(
        it_power_w=40e6, lifetime_yr=10, eclipse_s=0, bus_power_fraction=0, array_temp_c=28,
        array_degradation_pct_per_yr=0, array_usd_per_w=0.05, radiator_usd_per_m2=0, extra_capex_usd=1.2e6,
        energy_launch_mass_kg=25_000, launch_usd_per_kg=200, electricity_usd_per_kwh=0.04, pue=1.0,
    )
    e = r["economics"]
    rows = [("space $/kWh", e["space_energy_usd_per_kwh"], 0.0023), ("ground $/kWh", e["ground_energy_usd_per_kwh"], 0.040),
            ("ground 10-yr bill $", e["ground_energy_cost_usd"], 140e6), ("space capex $", e["space_energy_capex_usd"], 8.2e6)]
    err = max(_rel(got, ref) for _, got, ref in rows)
    return measured("40 MW for 10 years: $8.2 M in space -> $0.0023/kWh; ground $0.04/kWh, $140 M", STARCLOUD,
                    REL, "relative", err, "relative", passed=r["findings"] == [],
                    detail="; ".join(f"{k}: {got:.4g} vs {ref:.4g}" for k, got, ref in rows))


def starcloud_radiator(full: bool) -> dict:
    from orbitcloud.bus import thermal

    q = float(thermal.emitted_w_m2(0.92, 2, 293.15))
    return measured("770 W/m2 emitted two-sided at 20 C, emissivity 0.92", STARCLOUD, REL, "relative", _rel(q, 770.0), "relative",
                    detail=f"model {q:.1f} W/m2")


def _calib(got: float, ref: float, what: str, source: str, detail: str = "") -> dict:
    ratio = got / ref
    return measured(what, source, CALIBRATION_REL_TOL, "relative", abs(ratio - 1.0), "relative",
                    detail=f"model {got:.4g} vs published {ref:.4g} (ratio {ratio:.3f}){detail}")


def llm_a100_batch1(full: bool) -> dict:
    from orbitcloud.compute import InferencePerf

    p = InferencePerf("a100-sxm-80", "llama-3-8b", "bf16")
    return _calib(p.single_stream_tok_s(context_tokens=0.0), 95.0, "Llama-3-8B batch 1 bf16 decode on A100-80GB: ~95 tok/s",
                  "gpt-fast / torchao benchmarks (PyTorch, 2024); design/REFERENCES.md")


def _trtllm(in_tokens: int, out_tokens: int, published: float) -> dict:
    from orbitcloud.compute import InferencePerf

    p = InferencePerf("h100-sxm", "llama-3.1-8b", "fp8", kv_precision="fp8", max_batch=TRTLLM_MAX_BATCH)
    return _calib(p.throughput_tok_s(in_tokens, out_tokens), published,
                  f"TensorRT-LLM Llama 3.1 8B FP8 on one H100 SXM, {in_tokens} in / {out_tokens} out: {published:,.0f} output tok/s",
                  "NVIDIA TensorRT-LLM perf-overview (2024), 'Llama 3.1 8B', TP1")


def llm_trtllm_128(full: bool) -> dict:
    return _trtllm(128, 128, 28_312.0)


def llm_trtllm_2048(full: bool) -> dict:
    return _trtllm(2048, 128, 3_450.0)


def llm_gpt2_training(full: bool) -> dict:
    from orbitcloud.compute import TrainingPerf

    t = TrainingPerf("h100-sxm", "gpt2-124m", "bf16", seq_len=1024, global_batch_tokens=524_288)
    s = t.time_to_train_s(10e9, n_sats=1, devices_per_sat=8, link_bps=0.0)
    return _calib(s, 45 * 60.0, "GPT-2 124M on 10 B tokens, 8 x H100 (one node): ~45 min", "llm.c (Karpathy, 2024), GPT-2 (124M) reproduction",
                  detail=f"; MFU {t.mfu} (sourced H100 default)")
