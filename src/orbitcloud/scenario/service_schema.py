"""The scenario's ``service:`` section: prices and limits of ``orbitcloud serve`` (``docs/service.md``).

Prices are in **compute credits**, the service's unit of account; the defaults are set so that one
credit buys what one US dollar buys at published ground-cloud list prices (sources in
``docs/service.md`` and ``catalog/service_prices.yaml``). Every field is optional.
"""

from __future__ import annotations

from pydantic import Field

from orbitcloud.scenario.base import Num, ScenarioModel, Seconds


class TokenPrice(ScenarioModel):
    """Credits per million input (context) and per million output (generated) tokens."""

    input_per_m: Num = Field(ge=0.0)
    output_per_m: Num = Field(ge=0.0)


class RateLimit(ScenarioModel):
    """Per API key: a token bucket refilled at ``per_s`` requests per second holding ``burst``."""

    per_s: Num = Field(default=50.0, gt=0.0, le=1e6)
    burst: Num = Field(default=100.0, ge=1.0, le=1e7)


class Prices(ScenarioModel):
    """Price list. ``inference`` maps a model of the catalog to its token prices; a model not listed
    is priced by its size (``docs/service.md``)."""

    inference: dict[str, TokenPrice] = Field(default_factory=dict)
    accelerator_hour: Num | None = Field(default=None, ge=0.0)
    eo_task: Num | None = Field(default=None, ge=0.0)
    downlink_per_gb: Num | None = Field(default=None, ge=0.0)


class Service(ScenarioModel):
    """What ``orbitcloud serve`` sells and how (see the module docstring)."""

    prices: Prices = Field(default_factory=Prices)
    quote_valid_s: Seconds = Field(default=600.0, gt=0.0, le=30 * 86400.0)
    sla_credit_fraction: Num = Field(default=0.10, ge=0.0, le=1.0)
    rate_limit: RateLimit = Field(default_factory=RateLimit)
    max_body_bytes: int = Field(default=65536, ge=1024, le=16 * 1024 * 1024)
    max_usage_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    horizon_s: Seconds = Field(default=30 * 86400.0, gt=0.0, le=20 * 365.25 * 86400.0)
