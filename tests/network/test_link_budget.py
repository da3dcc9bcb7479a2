"""RF link budgets: closed forms, a published budget reproduced, ACM monotonicity, the catalog, the
scenario option and its effect on runs and the TT&C contact plan.

Independent references used here:
* free-space loss in the practical form of ITU-R P.525-4 (2019) eq. 8,
  ``L = 32.45 + 20 log10(f_MHz) + 20 log10(d_km)``, against the ``20 log10(4 pi d / lambda)`` of the code;
* the published S-band budget of Table 1 of "On the feasibility of a secondary service transmission over
  an existent satellite infrastructure: design and analysis", EURASIP J. Wireless Commun. Netw. 2020:46
  (doi 10.1186/s13638-020-01674-9): 2200 MHz, 1 W, satellite EIRP 38.3 dBm, free-space loss 162.2 dB,
  depointing 10 dB, 5 m dish at 50 % efficiency 38.2 dBi, system noise temperature 130 K ->
  C/N0 81.8 dB Hz, Eb/N0 16.5 dB at 3.4 Mbit/s;
* the slant-path air mass against ``1 / sin(el)`` at high elevation (flat Earth).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import orbitcloud as oc
from orbitcloud import catalog
from orbitcloud.constants import C_M_S
from orbitcloud.errors import OrbitcloudError
from orbitcloud.network import link_budget as LB
from orbitcloud.results.keys import explain

X_DOWN = LB.LinkDirection(LB.terminal("x-band-eo-2w"), LB.terminal("ksat-7.3m-x"))


# --- closed forms -------------------------------------------------------------------------------------


def test_free_space_loss_formula_and_p525_value():
    f, d = 8.2e9, 1.0e6
    got = float(LB.free_space_loss_db(d, f))
    assert got == pytest.approx(20 * math.log10(4 * math.pi * d * f / C_M_S), abs=1e-9)
    assert got == pytest.approx(32.45 + 20 * math.log10(f / 1e6) + 20 * math.log10(d / 1e3), abs=0.01)  # P.525 eq. 8
    assert got == pytest.approx(170.7, abs=0.05)
    # inverse square: doubling the range adds 6.02 dB
    assert float(LB.free_space_loss_db(2 * d, f) - got) == pytest.approx(20 * math.log10(2), abs=1e-9)


def test_dish_gain_and_beamwidth():
    assert LB.dish_gain_dbi(5.0, 2.2e9, 0.5) == pytest.approx(38.2, abs=0.05)  # EURASIP 2020 Table 1
    assert LB.dish_gain_dbi(10.0, 2.2e9, 0.5) - LB.dish_gain_dbi(5.0, 2.2e9, 0.5) == pytest.approx(20 * math.log10(2))
    t = LB.RFTerminal(kind="ground", band="x", dish_diameter_m=7.3, g_over_t_dbk=30.0, frequency_hz=8.2e9)
    assert math.degrees(t.beamwidth_rad()) == pytest.approx(70 * C_M_S / 8.2e9 / 7.3)
    # pointing: 3 dB at half the half-power beamwidth (12 (1/2)^2)
    assert float(LB.pointing_loss_db(0.5, 1.0)) == pytest.approx(3.0)
    # gain-only antenna: the SMAD relation inverted gives the gain back
    g = LB.RFTerminal(kind="space", band="x", gain_dbi=20.0)
    assert 44.3 - 10 * math.log10(math.degrees(g.beamwidth_rad()) ** 2) == pytest.approx(20.0)


def test_air_mass_and_atmospheric_loss():
    assert float(LB.air_mass(math.pi / 2)) == pytest.approx(1.0, abs=1e-12)
    for el_deg in (30.0, 60.0):
        assert float(LB.air_mass(math.radians(el_deg), 6000.0)) == pytest.approx(1 / math.sin(math.radians(el_deg)), rel=5e-3)
    horizon = float(LB.air_mass(0.0, 6000.0))
    assert math.isfinite(horizon) and horizon == pytest.approx(math.sqrt(2 * 8.5e6 / 6000.0), rel=0.01)
    els = np.radians(np.linspace(-5, 90, 200))
    assert np.all(np.diff(LB.air_mass(els)) <= 0)
    assert float(LB.atmospheric_loss_db(math.pi / 2, "ka")) == pytest.approx(LB.BANDS["ka"]["zenith_loss_db"])
    assert float(LB.atmospheric_loss_db(math.radians(10), "x")) > float(LB.atmospheric_loss_db(math.radians(10), "s"))
    with pytest.raises(ValueError, match="band = 'q'"):
        LB.atmospheric_loss_db(0.1, "q")


def test_published_s_band_budget_reproduced_within_1_db():
    """EURASIP JWCN 2020, Table 1 (see the module docstring)."""
    f = 2.2e9
    lam = C_M_S / f
    d = lam / (4 * math.pi) * 10 ** (162.2 / 20)  # the range of the published free-space loss
    tx = LB.RFTerminal(kind="space", band="s", frequency_hz=f, gain_dbi=8.3, tx_power_w=1.0, bandwidth_hz=4.6e6)
    rx = LB.RFTerminal(kind="ground", band="s", dish_diameter_m=5.0, aperture_efficiency=0.5, system_noise_temp_k=130.0)
    link = LB.LinkDirection(tx, rx, margin_db=0.0, other_losses_db=10.0, atmosphere=False)  # 10 dB depointing
    assert tx.eirp_dbw + 30 == pytest.approx(38.3, abs=0.05)
    assert rx.g_over_t_at_dbk(f) == pytest.approx(38.2 - 10 * math.log10(130), abs=0.05)
    cn0 = float(link.cn0_dbhz(d, 0.0))
    assert cn0 == pytest.approx(81.8, abs=1.0)
    assert cn0 - 10 * math.log10(3.4e6) == pytest.approx(16.5, abs=1.0)


# --- ACM ------------------------------------------------------------------------------------------------


def test_modcod_tables_are_frontiers():
    for names, thr, eff in LB.MODCODS.values():
        assert len(names) == thr.size == eff.size
        assert np.all(np.diff(thr) > 0) and np.all(np.diff(eff) > 0)
    names, thr, eff = LB.MODCODS["dvb-s2"]
    assert names[0] == "QPSK 1/4" and thr[0] == -2.35 and names[-1] == "32APSK 9/10" and eff[-1] == 4.453027
    assert "QPSK 8/9" not in names  # 8PSK 3/5 needs less Es/N0 for more bits


def test_rate_at_thresholds_and_zero_when_not_closing():
    link = X_DOWN
    rs = link.tx.symbol_rate_sps
    _, thr, eff = LB.MODCODS["dvb-s2"]
    # find the range at which Es/N0 is exactly QPSK 1/2's threshold + margin, at zenith
    target = thr[3] + link.margin_db + 1e-6
    fixed = link.fixed_db - BANDS_ZENITH("x") - 10 * math.log10(rs)
    d = 10 ** ((fixed - target - 20 * math.log10(4 * math.pi * link.frequency_hz / C_M_S)) / 20)
    rate, margin = link.rate_bps(d, math.pi / 2)
    assert float(rate) == pytest.approx(eff[3] * rs)
    assert float(margin) == pytest.approx(link.margin_db, abs=1e-5)
    rate, margin = link.rate_bps(1e9, math.pi / 2)  # a million km: nothing closes
    assert float(rate) == 0.0 and float(margin) < link.margin_db
    r, _ = LB.rf_rate_bps("x-band-eo-2w", "ksat-7.3m-x", [550e3, 1e9], [math.pi / 2, math.pi / 2])
    assert r[0] > 0 and r[1] == 0


def BANDS_ZENITH(band):
    return LB.BANDS[band]["zenith_loss_db"]


@settings(max_examples=60, deadline=None)
@given(st.floats(300e3, 5000e3), st.floats(1.0, 4000e3), st.floats(0.0, 90.0), st.floats(0.0, 90.0))
def test_rate_monotone_in_range_and_elevation(d, dd, el1, el2):
    for link in (X_DOWN, LB.LinkDirection(LB.terminal("ka-band-hrd"), LB.terminal("ksat-13m-ka")),
                 LB.LinkDirection(LB.terminal("ksat-3.7m-s"), LB.terminal("s-band-ttc-transponder"))):
        el = math.radians(el1)
        r_near, _ = link.rate_bps(d, el)
        r_far, _ = link.rate_bps(d + dd, el)
        assert r_far <= r_near
        lo, hi = sorted((math.radians(el1), math.radians(el2)))
        assert link.rate_bps(d, hi)[0] >= link.rate_bps(d, lo)[0]


def test_rate_vectorised_and_margin_meets_requirement():
    d = np.linspace(500e3, 3000e3, 1000)
    el = np.radians(np.linspace(90, 5, 1000))
    rate, margin = X_DOWN.rate_bps(d, el)
    assert rate.shape == margin.shape == (1000,)
    assert np.all(margin[rate > 0] >= X_DOWN.margin_db - 1e-9)
    assert rate[0] > rate[-1] > 0


def test_pass_mean_rate_between_the_edge_and_the_peak():
    h = 550e3
    R = 6378137.0
    r = R + h
    def rng(el):
        return -R * math.sin(el) + math.sqrt((R * math.sin(el)) ** 2 + r * r - R * R)
    lo, hi = math.radians(5), math.radians(90)
    mean = float(LB.pass_mean_rates_bps(X_DOWN, hi, lo, h))
    edge = float(X_DOWN.rate_bps(rng(lo), lo)[0])
    peak = float(X_DOWN.rate_bps(rng(hi), hi)[0])
    assert edge < mean < peak
    low_pass = float(LB.pass_mean_rates_bps(X_DOWN, math.radians(15), lo, h))
    assert edge <= low_pass < mean


# --- terminals and catalog --------------------------------------------------------------------------------


def test_every_catalog_terminal_builds_with_a_source():
    names = LB.terminal_names()
    assert {"s-band-ttc-transponder", "x-band-eo-2w", "ka-band-hrd", "ksat-3.7m-s", "ksat-7.3m-x", "ksat-13m-ka"} <= set(names)
    for name in names:
        t = LB.terminal(name)
        assert t.name == name and len(catalog.load("link_terminals")[name]["source"]) > 40
        if t.kind == "ground" and t.g_over_t_dbk is not None and t.dish_diameter_m is not None:
            # the sources derive G/T from the dish gain at the band frequency and a system noise temperature
            temp = {"s": 150.0, "x": 180.0, "ka": 280.0}[t.band]
            f = {"s": 2.25e9, "x": 8.2e9, "ka": 26e9}[t.band]
            assert t.g_over_t_dbk == pytest.approx(LB.dish_gain_dbi(t.dish_diameter_m, f, t.aperture_efficiency) - 10 * math.log10(temp), abs=0.1)


def test_terminal_errors_name_key_and_value():
    with pytest.raises(ValueError, match=r"tx: unknown terminal 'nope'; known: .*x-band-eo-2w"):
        LB.rf_rate_bps("nope", "ksat-7.3m-x", 1e6, 1.0)
    with pytest.raises(ValueError, match=r"unknown terminal parameter 'power_w'"):
        LB.terminal({"base": "x-band-eo-2w", "power_w": 3})
    with pytest.raises(ValueError, match=r"tx_power_w = -1"):
        LB.terminal({"base": "x-band-eo-2w", "tx_power_w": -1})
    with pytest.raises(ValueError, match="gain_dbi or dish_diameter_m"):
        LB.RFTerminal(kind="space", band="x")
    with pytest.raises(ValueError, match="no transmitter|no tx_power_w"):
        LB.LinkDirection(LB.terminal("ksat-7.3m-x"), LB.terminal("x-band-eo-2w"))
    # an override of one field keeps the rest of the catalog entry
    t = LB.terminal({"base": "x-band-eo-2w", "tx_power_w": 4.0})
    assert t.eirp_dbw == pytest.approx(LB.terminal("x-band-eo-2w").eirp_dbw + 10 * math.log10(2))


# --- scenarios ----------------------------------------------------------------------------------------------


def _doc(link_budget=None, **ground):
    g = {"stations": "builtin:ksat", "min_elevation_deg": 5, **ground}
    if link_budget is not None:
        g["link_budget"] = link_budget
    return {
        "name": "lb-test", "epoch": "2026-03-20T00:00:00Z", "duration": "6h", "step": "30s", "seed": 1,
        "constellation": [{"kind": "sso", "name": "eo", "altitude_km": 550, "ltan": "10:30", "planes": 1, "sats_per_plane": 2}],
        "ground": g,
    }


BUDGET = {"downlink": {"space": "x-band-eo-2w", "ground": "ksat-7.3m-x"},
          "uplink": {"space": "s-band-ttc-transponder", "ground": "ksat-3.7m-s"}}


@pytest.mark.parametrize("budget, fragment", [
    ({"downlink": {"space": "x-band-eo-9w", "ground": "ksat-7.3m-x"}},
     r"ground\.link_budget\.downlink\.space.*unknown terminal 'x-band-eo-9w'; known: .*x-band-eo-2w"),
    ({"downlink": {"space": {"base": "nope"}, "ground": "ksat-7.3m-x"}}, r"unknown terminal 'nope'"),
    ({"downlink": {"space": "ksat-7.3m-x", "ground": "ksat-7.3m-x"}},
     r"ground\.link_budget\.downlink\.space: terminal 'ksat-7.3m-x' is a ground terminal"),
    ({"downlink": {"space": {"base": "x-band-eo-2w", "tx_power_w": 0}, "ground": "ksat-7.3m-x"}},
     r"ground\.link_budget\.downlink\.space.*tx_power_w = 0"),
    ({"downlink": {"space": "x-band-eo-2w", "ground": "ksat-7.3m-x"}, "margin_db": -1}, r"margin_db"),
])
def test_bad_link_budget_refused_with_location(budget, fragment):
    with pytest.raises(OrbitcloudError, match=fragment):
        oc.run(_doc(budget), duration="10min")


def test_run_rates_vary_with_elevation_and_summary_keys_are_explained():
    base = oc.run(_doc()).summary["network"]
    assert "link_rate_by_elevation" not in base and "ground_downlink_bps_mean" not in base
    net = oc.run(_doc(BUDGET)).summary["network"]
    table = net["link_rate_by_elevation"]
    down = np.asarray(table["downlink_bps_mean"])
    assert table["elevation_deg_min"][0] == 5.0 and len(down) >= 10 and sum(table["link_steps"]) > 0
    assert np.all(np.diff(down) >= 0) and down[-1] > 2 * down[0] > 0
    assert np.all(np.asarray(table["uplink_bps_mean"]) > 0)
    assert 0 < net["ground_downlink_bps_mean"] < 600e6
    # the downlink volume follows the budget, not the fixed 10 Gbit/s
    assert net["downlink_bytes_per_day"] < base["downlink_bytes_per_day"] / 10
    for key in ("network.ground_downlink_bps_mean", "network.ground_uplink_bps_mean", "network.link_rate_by_elevation",
                *(f"network.link_rate_by_elevation.{k}" for k in table)):
        assert explain(key) is not None, key


def test_ttc_contacts_take_the_pass_rates():
    r0 = oc.run(_doc(), ttc=True)
    fixed = r0.table("contacts").to_pandas() if hasattr(r0.table("contacts"), "to_pandas") else r0.table("contacts")
    assert (fixed.groupby("station")["downlink_bps"].nunique() == 1).all()  # the stations' own fixed rates
    r = oc.run(_doc(BUDGET), ttc=True)
    t = r.table("contacts")
    t = t.to_pandas() if hasattr(t, "to_pandas") else t
    el, down, up = (np.asarray(t[c], dtype=float) for c in ("max_elevation_deg", "downlink_bps", "uplink_bps"))
    assert el.size > 5
    assert down.min() > 0 and down.max() <= 600e6 and np.ptp(down) > 0
    order = np.argsort(el)
    assert np.all(np.diff(down[order]) >= -1e-6)  # same altitude: a higher pass carries more on average
    assert np.allclose(up, up[0]) and up[0] > 0  # the S-band command link closes at every elevation, one MODCOD


def test_report_draws_link_rate_against_elevation(tmp_path):
    import yaml

    from orbitcloud.cli import main
    from orbitcloud.report import build_report

    path = tmp_path / "lb.yaml"
    path.write_text(yaml.safe_dump(_doc(BUDGET), sort_keys=False))
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out), "--propagator", "fast", "--no-eclipses", "--json"]) == 0
    page = build_report(out).read_text("utf-8")
    assert "Link rate against elevation" in page
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(_doc(), sort_keys=False))
    out0 = tmp_path / "run0"
    assert main(["run", str(plain), "--out", str(out0), "--propagator", "fast", "--no-eclipses", "--json"]) == 0
    assert "Link rate against elevation" not in build_report(out0).read_text("utf-8")
