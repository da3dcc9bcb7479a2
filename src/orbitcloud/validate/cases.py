"""The list of golden cases, in table order: name, model, the function, quick or full only, the tools needed."""

from __future__ import annotations

from orbitcloud.validate import cases_design as d
from orbitcloud.validate import cases_environment as env
from orbitcloud.validate import cases_ephemeris as eph
from orbitcloud.validate import cases_network as net
from orbitcloud.validate import cases_orbit_safety as osf
from orbitcloud.validate.common import Case

SKYFIELD = ("skyfield", "skyfield_data")

CASES: tuple[Case, ...] = (
    Case("sgp4.vallado", "ephemeris.propagate (SGP4 via SatrecArray)", eph.sgp4_vallado),
    Case("sun.direction_de421", "ephemeris.sun (Almanac low-precision formula)", eph.sun_direction, needs=SKYFIELD),
    Case("eclipse.crossings", "environment.shadow (conical) + ephemeris.sun", eph.eclipse_crossings, needs=SKYFIELD),
    Case("eclipse.sunlit_fraction", "environment.shadow illumination", eph.sunlit_fraction, needs=SKYFIELD),
    Case("eclipse.engine_events", "sim.engine run_block eclipse events", eph.engine_eclipse_events, quick=False, needs=SKYFIELD),
    Case("ground.pass_times", "network.contacts (60-s samples, linear edges)", net.pass_times, needs=SKYFIELD),
    Case("routing.rtt", "network.routing rtt_and_paths", net.rtt_routing),
    Case("radiation.shieldose2_550km", "environment.radiation (AP8/AE8 grid, CSDA sphere dose)", env.radiation_shieldose),
    Case("drag.decay_cowell", "environment.drag decay_rate_m_s (orbit-mean NRLMSIS)", env.drag_decay),
    Case("drag.lifetime_exponential", "environment.drag lifetime_s", env.drag_lifetime),
    Case("drag.fast_vs_sgp4", "ephemeris.propagate fast mode with SGP4's drag terms", osf.fast_drag_vs_sgp4),
    Case("conjunction.refinement", "safety.conjunctions screen (TCA, miss distance)", osf.conjunction_refinement),
    Case("collision.foster_isotropic", "safety.collision pc_2d (Foster)", osf.foster_isotropic),
    Case("link.s_band_eurasip", "network.link_budget C/N0", osf.link_s_band),
    Case("sizing.suncatcher_array", "design.sizing cell_array_power_w", d.suncatcher_array),
    Case("sizing.suncatcher_price", "design.sizing launched_power_price_usd_per_kw_yr", d.suncatcher_price),
    Case("sizing.starcloud_energy", "design.sizing size (economics)", d.starcloud_energy),
    Case("sizing.starcloud_radiator", "bus.thermal emitted_w_m2", d.starcloud_radiator),
    Case("llm.a100_batch1_decode", "compute InferencePerf (roofline)", d.llm_a100_batch1),
    Case("llm.trtllm_h100_128_128", "compute InferencePerf (continuous batching)", d.llm_trtllm_128),
    Case("llm.trtllm_h100_2048_128", "compute InferencePerf (continuous batching)", d.llm_trtllm_2048),
    Case("llm.gpt2_124m_training", "compute TrainingPerf", d.llm_gpt2_training),
)
