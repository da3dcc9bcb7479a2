"""Default prices against the published figures they come from (catalog/service_prices.yaml), and the
scenario's `service.prices` replacing them."""

from __future__ import annotations

import pytest

from orbitcloud import catalog
from orbitcloud.scenario.service_schema import Service
from orbitcloud.service.pricing import PriceList, micro, sources


def test_defaults_are_the_published_list_prices():
    p = PriceList()
    assert p.token_prices("remote-sensing-8b") == (0.18, 0.18)  # Together AI, Llama 3.1 8B Turbo, US$ per M tokens
    assert p.token_prices("llama-3-70b") == (0.88, 0.88)  # Llama 3.1 70B Turbo
    assert p.accelerator_hour("h100-sxm") == 2.99  # Lambda on-demand H100 SXM per GPU-hour
    # scaled by dense peak at the best precision both list: three-body-744 int8 744 TOPS vs H100 int8 1,979 TOPS
    assert p.accelerator_hour("three-body-744") == pytest.approx(2.99 * 744 / 1979, abs=1e-6)
    assert p.eo_task() == 250.0 and p.downlink_per_gb() == 5.0
    src = sources()
    assert set(src) == set(catalog.load("service_prices")) and all(len(v) > 40 for v in src.values())
    assert "together.ai" in src["token_price_upto_10b_per_m"] and "ASSUMPTION" in src["eo_task"]


def test_scenario_prices_replace_the_defaults():
    spec = Service.model_validate({"prices": {"inference": {"remote-sensing-8b": {"input_per_m": 0.2, "output_per_m": 0.6}},
                                              "accelerator_hour": 1.5, "eo_task": 100, "downlink_per_gb": 2}})
    p = PriceList(spec.prices)
    assert p.token_prices("remote-sensing-8b") == (0.2, 0.6) and p.token_prices("llama-3-70b") == (0.88, 0.88)
    assert p.accelerator_hour("three-body-744") == 1.5 and p.eo_task() == 100 and p.downlink_per_gb() == 2


def test_charges_round_up_to_whole_micro_credits():
    assert micro(1.0) == 1_000_000 and micro(1e-7) == 1 and micro(0.1234564) == 123457 and micro(0.0) == 0
