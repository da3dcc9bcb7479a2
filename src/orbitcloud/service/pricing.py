"""Prices of the service's products in compute credits, and where the defaults come from.

One credit is set to buy what one US dollar buys at published ground-cloud list prices; the
scenario's ``service.prices`` replaces any of them. Money is computed in integer micro-credits,
rounded up per charge (:func:`micro`), so a charge is never a fraction of a micro-credit.
"""

from __future__ import annotations

import math

from orbitcloud.service.db import MICRO

#: The defaults' sources (``docs/service.md``; ``orbitcloud serve`` prints none of this).
SOURCES = {
    "inference": ("Together AI serverless list prices, Llama 3.1 Instruct Turbo: 8B US$0.18, 70B US$0.88, 405B US$3.50 "
                  "per million tokens, input and output alike (together.ai/pricing, 2024-09)"),
    "accelerator_hour": ("Lambda on-demand H100 SXM, US$2.99 per GPU-hour (lambda.ai pricing, 2025); other accelerators "
                         "scaled by dense peak at the best precision both list (catalog/accelerators.yaml)"),
    "eo_task": ("order of magnitude of commercial sub-metre tasking: about US$10 per km² with a 25 km² minimum, "
                "i.e. about US$250 per tasked scene (SkySat tasking as resold in 2023-24); set your own"),
    "downlink_per_gb": ("AWS Ground Station on-demand wideband antenna time, about US$22 per minute (aws.amazon.com/"
                        "ground-station/pricing), at 500 Mbit/s: US$5.9 per GB; default rounded to 5 credits/GB"),
}

#: Credits per million tokens by model size (parameters up to the bound), from SOURCES["inference"].
_TOKEN_PRICE_BY_SIZE = ((10e9, 0.18), (100e9, 0.88), (math.inf, 3.50))
H100_HOUR = 2.99
EO_TASK = 250.0
DOWNLINK_PER_GB = 5.0
_PRECISIONS = ("bf16", "fp16", "fp8", "int8")


def micro(credits: float) -> int:
    """Credits as whole micro-credits, rounded up (never a charge below its exact value)."""
    return int(math.ceil(credits * MICRO - 1e-6))


def credits(m: int) -> float:
    return m / MICRO


class PriceList:
    """The prices in effect (scenario's ``service.prices`` over the sourced defaults)."""

    def __init__(self, spec=None) -> None:
        self.spec = spec

    def token_prices(self, model: str) -> tuple[float, float]:
        """(credits per million input tokens, per million output tokens) of ``model``."""
        if self.spec is not None and model in self.spec.inference:
            p = self.spec.inference[model]
            return float(p.input_per_m), float(p.output_per_m)
        from orbitcloud.compute.models import llm

        params = float(llm(model).params)
        for bound, price in _TOKEN_PRICE_BY_SIZE:
            if params <= bound:
                return price, price
        return _TOKEN_PRICE_BY_SIZE[-1][1], _TOKEN_PRICE_BY_SIZE[-1][1]  # pragma: no cover

    def accelerator_hour(self, accelerator: str) -> float:
        """Credits per accelerator-hour of ``accelerator``."""
        if self.spec is not None and self.spec.accelerator_hour is not None:
            return float(self.spec.accelerator_hour)
        from orbitcloud.compute.models import accelerator as acc

        mine, ref = acc(accelerator)["ops_per_s"], acc("h100-sxm")["ops_per_s"]
        for p in _PRECISIONS:
            if p in mine and p in ref:
                return round(H100_HOUR * float(mine[p]) / float(ref[p]), 6)
        return H100_HOUR

    def eo_task(self) -> float:
        return float(self.spec.eo_task) if self.spec is not None and self.spec.eo_task is not None else EO_TASK

    def downlink_per_gb(self) -> float:
        return float(self.spec.downlink_per_gb) if self.spec is not None and self.spec.downlink_per_gb is not None else DOWNLINK_PER_GB
