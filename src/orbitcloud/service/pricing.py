"""Prices of the service's products in compute credits, and where the defaults come from.

One credit is set to buy what one US dollar buys at published ground-cloud list prices; the
scenario's ``service.prices`` replaces any of them. Money is computed in integer micro-credits,
rounded up per charge (:func:`micro`), so a charge is never a fraction of a micro-credit.
"""

from __future__ import annotations

import math

from orbitcloud.service.db import MICRO

#: The defaults: ``catalog/service_prices.yaml`` (each value with its source).
_CATALOG = "service_prices"


def _default(key: str) -> float:
    from orbitcloud import catalog

    return float(catalog.load(_CATALOG)[key]["value"])


def sources() -> dict[str, str]:
    """Each default price's source, by catalog key (``GET /v1/products``, ``docs/service.md``)."""
    from orbitcloud import catalog

    return {k: v["source"] for k, v in catalog.load(_CATALOG).items()}


#: Model sizes (parameters, up to) and the catalog keys of their token prices.
_TOKEN_PRICE_BY_SIZE = ((10e9, "token_price_upto_10b_per_m"), (100e9, "token_price_upto_100b_per_m"), (math.inf, "token_price_larger_per_m"))
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
        key = next(k for bound, k in _TOKEN_PRICE_BY_SIZE if params <= bound)
        price = _default(key)
        return price, price

    def accelerator_hour(self, accelerator: str) -> float:
        """Credits per accelerator-hour of ``accelerator``."""
        if self.spec is not None and self.spec.accelerator_hour is not None:
            return float(self.spec.accelerator_hour)
        from orbitcloud.compute.models import accelerator as acc

        mine, ref = acc(accelerator)["ops_per_s"], acc("h100-sxm")["ops_per_s"]
        h100 = _default("h100_hour")
        for p in _PRECISIONS:
            if p in mine and p in ref:
                return round(h100 * float(mine[p]) / float(ref[p]), 6)
        return h100

    def eo_task(self) -> float:
        return float(self.spec.eo_task) if self.spec is not None and self.spec.eo_task is not None else _default("eo_task")

    def downlink_per_gb(self) -> float:
        return float(self.spec.downlink_per_gb) if self.spec is not None and self.spec.downlink_per_gb is not None else _default("downlink_per_gb")
