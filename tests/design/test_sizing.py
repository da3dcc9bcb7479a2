"""``orbitcloud size``: published reproductions, eclipse from the ephemeris, linearity, bad input, JSON.

Published figures (design/REFERENCES.md) are reproduced within 2 % through the public functions of
``orbitcloud.design.sizing``; ``docs/sizing.md`` ("Validation") lists the measured values.
"""

from __future__ import annotations

import json
import math

import pytest

from orbitcloud.cli import main
from orbitcloud.constants import WGS84_A_M, circular_period_s
from orbitcloud.design import sizing
from orbitcloud.environment.shadow import cylindrical_eclipse_fraction

REL = 0.02


def _close(value: float, expected: float, rel: float = REL) -> bool:
    return abs(value - expected) <= rel * abs(expected)


# --------------------------------------------------------------------------------------------------
# Published numbers
# --------------------------------------------------------------------------------------------------


#: Products of a handful of floats: the same value up to rounding (~1e-16 relative per operation).
FLOAT_REL = 1e-12
#: The paper quotes the array as "~28 kW": rounded to the kW [W].
HALF_KW_W = 500.0


def test_suncatcher_v2mini_array_power():
    """Suncatcher (arXiv 2511.19468, design/REFERENCES.md): the Starlink V2-mini proxy array,
    105 m2 x 1,361 W/m2 x 0.22 x 0.90 packing ~ 28 kW, cells at their reference temperature."""
    expected_w = 105.0 * 1361.0 * 0.22 * 0.90  # = 28,295.19 W, the paper's factors written out
    assert expected_w == pytest.approx(28e3, abs=HALF_KW_W)  # the paper's rounded figure
    p_w = sizing.cell_array_power_w(105.0, "starlink-v2mini-proxy", 0.90)
    assert p_w == pytest.approx(expected_w, rel=FLOAT_REL), p_w
    # the same through the general function (efficiency given, cells at T_ref, no ageing)
    assert sizing.array_power_w(105.0, 0.22, 0.90) == pytest.approx(expected_w, rel=FLOAT_REL)
    # 30 K hotter with -0.35 %/K: eta = 0.22 (1 - 0.0035 x 30) = 0.22 x 0.895, so 25,324.2 W
    hot_w = sizing.array_power_w(105.0, 0.22, 0.90, temp_coeff_per_k=-0.0035, t_cell_k=301.15 + 30.0)
    assert hot_w == pytest.approx(expected_w * (1.0 - 0.0035 * 30.0), rel=FLOAT_REL)


@pytest.mark.parametrize("launch_usd_per_kg, expected", [(3600.0, 14_786.0), (200.0, 821.0)])
def test_suncatcher_launched_power_price(launch_usd_per_kg, expected):
    """575 kg, 28 kW, 5 years: $14,786/kW-yr at $3,600/kg and $821 at $200/kg (paper: 14,700 and 810)."""
    price = sizing.launched_power_price_usd_per_kw_yr(575.0, launch_usd_per_kg, 28e3, 5.0)
    assert _close(price, expected), price


def test_starcloud_40mw_energy_cost():
    """40 MW for 10 years: $8.2 M in space ($2 M array, $5 M launch, $1.2 M shielding) -> $0.0023/kWh;
    ground $0.04/kWh at PUE 1.0.

    Starcloud's line items as inputs: array $0.05 per rated W (= $2 M / 40 MW), the shielding as extra
    capital, and the launch line as a stated launched mass (25 t at $200/kg = $5 M; the white paper's
    own mass and price are not in our references). No eclipse (their >95 % capacity factor, no battery
    line), no bus power, no radiator line, cells at the reference temperature without ageing, so that
    the array is rated at exactly 40 MW.
    """
    r = sizing.size(
        it_power_w=40e6, lifetime_yr=10, eclipse_s=0, bus_power_fraction=0, array_temp_c=28,
        array_degradation_pct_per_yr=0, array_usd_per_w=0.05, radiator_usd_per_m2=0, extra_capex_usd=1.2e6,
        energy_launch_mass_kg=25_000, launch_usd_per_kg=200, electricity_usd_per_kwh=0.04, pue=1.0,
    )
    e = r["economics"]
    assert r["array"]["cost_usd"] == pytest.approx(2.0e6, rel=1e-9)
    assert e["space_energy_capex_usd"] == pytest.approx(8.2e6, rel=1e-9)
    assert _close(e["space_energy_usd_per_kwh"], 0.0023), e["space_energy_usd_per_kwh"]
    assert _close(e["ground_energy_usd_per_kwh"], 0.040), e["ground_energy_usd_per_kwh"]
    # the ground energy bill of the white paper: $140 M over 10 years
    assert _close(e["ground_energy_cost_usd"], 140e6), e["ground_energy_cost_usd"]
    assert r["findings"] == []


def test_spacex_filing_launched_power_per_year():
    """1 Mt/yr at 100 kW/t = 100 GW/yr."""
    assert _close(sizing.launched_power_per_year_w(1e9, 100.0), 100e9)


# --------------------------------------------------------------------------------------------------
# Longest eclipse of the year from the ephemeris
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eclipses():
    """One-year runs (30 s, sgp4), cached for the module (and by ``longest_eclipse`` itself)."""
    return {
        "dawn-dusk-650": sizing.longest_eclipse(650.0, "dawn-dusk"),
        "incl53-550": sizing.longest_eclipse(550.0, "inclined", inclination_deg=53.0),
    }


def _beta0_eclipse_s(alt_km: float) -> float:
    r_m = WGS84_A_M + alt_km * 1e3
    return math.asin(WGS84_A_M / r_m) / math.pi * circular_period_s(r_m)


def test_dawn_dusk_longest_eclipse_is_seasonal_not_beta0(eclipses):
    ecl = eclipses["dawn-dusk-650"]
    beta0 = _beta0_eclipse_s(650.0)
    assert sizing.beta0_eclipse_s(650.0) == pytest.approx(beta0, rel=1e-9)
    assert 0.0 < ecl.longest_s < 0.7 * beta0, (ecl.longest_s, beta0)
    # it is the cylindrical eclipse at the year's smallest |beta| (the solstice season)
    at_beta = cylindrical_eclipse_fraction(650e3, ecl.beta_min_abs_rad) * ecl.period_s
    assert _close(ecl.longest_s, at_beta), (ecl.longest_s, at_beta)
    assert ecl.beta_min_abs_rad > math.radians(45.0)


def test_inclined_longest_eclipse_is_beta0(eclipses):
    ecl = eclipses["incl53-550"]
    beta0 = _beta0_eclipse_s(550.0)
    assert _close(ecl.longest_s, beta0, 0.03), (ecl.longest_s, beta0)
    assert ecl.beta_min_abs_rad == 0.0  # beta crosses zero during the year


def test_fast_propagator_agrees(eclipses):
    fast = sizing.longest_eclipse(650.0, "dawn-dusk", propagator="fast")
    assert _close(fast.longest_s, eclipses["dawn-dusk-650"].longest_s, 0.01)


def test_battery_and_array_use_the_longest_eclipse(eclipses):
    ecl = eclipses["dawn-dusk-650"]
    r = sizing.size(it_power_w=1e6, altitude_km=650, orbit="dawn-dusk")
    assert r["orbit"]["longest_eclipse_s"] == pytest.approx(ecl.longest_s)
    load_w = r["compute"]["load_power_w"]
    eta_c = eta_d = 0.97  # li-ion-space (catalog)
    t_e, t_s = ecl.longest_s, r["orbit"]["sunlit_s"]
    # the battery delivers the load through the eclipse within its state-of-charge window
    assert r["battery"]["capacity_wh"] * 3600 * 0.8 * eta_d == pytest.approx(load_w * t_e, rel=1e-9)
    # the array carries the load and puts back in sunlit time what the eclipse drew
    assert r["array"]["recharge_power_w"] * t_s * eta_c == pytest.approx(load_w * t_e / eta_d, rel=1e-9)


# --------------------------------------------------------------------------------------------------
# Radiator: linear in heat; designs that cannot close are findings
# --------------------------------------------------------------------------------------------------


def test_radiator_area_is_linear_in_heat():
    a1 = sizing.radiator_area_for_heat_m2(1e6, 293.15, 0.92, 0.09, 2, 650.0)
    a2 = sizing.radiator_area_for_heat_m2(2e6, 293.15, 0.92, 0.09, 2, 650.0)
    assert a2 == pytest.approx(2.0 * a1, rel=1e-12)
    q = sizing.radiator_net_flux_w_m2(293.15, 0.92, 0.09, 2, 650.0)
    assert a1 == pytest.approx(1e6 / q, rel=1e-12)
    # through the whole sizing: twice the IT power, twice the radiator
    r1 = sizing.size(it_power_w=1e6, eclipse_s=1000)
    r2 = sizing.size(it_power_w=2e6, eclipse_s=1000)
    assert r2["radiator"]["area_m2"] == pytest.approx(2.0 * r1["radiator"]["area_m2"], rel=1e-9)
    assert r2["radiator"]["heat_w"] == pytest.approx(2.0 * r1["radiator"]["heat_w"], rel=1e-9)


def test_starcloud_radiator_flux_order():
    """Starcloud: 770 W/m2 emitted two-sided at 20 C (eps 0.92), ~633 W/m2 net."""
    from orbitcloud.bus import thermal

    assert _close(float(thermal.emitted_w_m2(0.92, 2, 293.15)), 770.0)
    q = sizing.radiator_net_flux_w_m2(293.15, 0.92, 0.09, 2, 650.0)
    assert 600.0 < q < 700.0


def test_radiator_that_cannot_close_is_a_finding():
    r = sizing.size(it_power_w=1e6, eclipse_s=0, design_temp_c=-100)
    assert any("radiator cannot close" in f for f in r["findings"])
    assert r["radiator"]["area_m2"] is None  # infinite area is reported as null, not a crash
    json.dumps(r, allow_nan=False)


def test_design_radiator_too_small_is_a_finding(capsys):
    code = main(["size", "--design", "starcloud-1", "--set", "accelerator_power_w=5000", "--eclipse-s", "0", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    r = json.loads(out)
    assert any("cannot reach equilibrium below" in f for f in r["findings"]), r["findings"]
    assert r["design_check"]["radiator_equilibrium_c"] > r["design_check"]["radiator_limit_c"]


# --------------------------------------------------------------------------------------------------
# A sized satellite runs in the time-stepped bus
# --------------------------------------------------------------------------------------------------


def test_sized_satellite_closes_in_the_time_stepped_bus(tmp_path, eclipses):
    """Size one 70 kW satellite at 550 km / 53 deg, then fly it for a day in ``orbitcloud run``'s bus.

    Sized exactly for the longest eclipse, the battery reaches its floor (soc_min 0.2) within 1 % of
    capacity, compute is never throttled and the node stays at or below the design temperature.
    """
    from orbitcloud.job import JobOptions, run_scenario

    r = sizing.size(it_power_w=70e3, sat_power_w=70e3, altitude_km=550, orbit="inclined", inclination_deg=53)
    assert r["findings"] == []
    s = r["satellites"]
    path = tmp_path / "sized.yaml"
    path.write_text(f"""name: sized
epoch: 2026-03-20T00:00:00Z
duration: 1d
step: 5s
constellation:
  - kind: walker
    altitude_km: 550
    inclination_deg: 53
    planes: 1
    sats_per_plane: 1
    hardware:
      compute: {{accelerator: h100-sxm, count: 100, precision: bf16}}
      bus_power_w: {r['compute']['bus_power_w']!r}
      solar_array: {{area_m2: {s['array_area_m2']!r}, cell: xtj, packing_factor: 0.9, pointing: sun_tracking}}
      battery: {{capacity_wh: {s['battery_capacity_wh']!r}, technology: li-ion-space}}
      radiator: {{area_m2: {s['radiator_area_m2']!r}, sides: 2, coating: starcloud-white, t_max_c: 40, t_min_c: -40}}
""")
    bus = run_scenario(str(path), JobOptions(workers=1))["shells"][0]["bus"]
    assert bus["throttled_fraction"] == 0.0
    assert 0.2 <= bus["soc_min"] < 0.21
    assert bus["temperature_max_c"] <= 20.0 + 0.05


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def test_json_output_parses(capsys, eclipses):
    code = main(["size", "--design", "suncatcher-tpu", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1
    r = json.loads(lines[0])
    assert r["satellites"]["count"] == 1
    assert r["compute"]["accelerators"] == 64
    assert r["orbit"]["kind"] == "dawn-dusk"
    assert r["orbit"]["longest_eclipse_s"] == pytest.approx(eclipses["dawn-dusk-650"].longest_s)
    for row in r["assumptions"]:
        assert set(row) == {"name", "value", "unit", "source"} and row["source"]
    names = {row["name"] for row in r["assumptions"]}
    assert {"launch_usd_per_kg", "lifetime_yr", "pue", "design_temp_c", "launch_capacity_kg"} <= names


def test_yaml_file_and_flags_override(tmp_path, capsys):
    cfg = tmp_path / "dc.yaml"
    cfg.write_text("it_power_w: 1.0e6\neclipse_s: 1200\nlaunch_usd_per_kg: 500\nltan: 10:30\norbit: sso\n")
    assert main(["size", str(cfg), "--launch-usd-per-kg", "200", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["compute"]["it_power_w"] == 1e6
    assert r["orbit"]["ltan"] == "10:30"  # unquoted 10:30 in YAML 1.1 is sexagesimal 630
    row = next(a for a in r["assumptions"] if a["name"] == "launch_usd_per_kg")
    assert row["value"] == 200 and row["source"] == "input"


def _table_rows(out: str) -> dict[str, str]:
    """``label -> value`` of the rich table's two-column rows (first occurrence of a label)."""
    rows: dict[str, str] = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 2 and cells[0] and cells[1]:
            rows.setdefault(cells[0], cells[1])
    return rows


def _shown(text: str) -> float:
    """A table value with an SI prefix (``"1.413 EOP/s"``, ``"50 kW"``, ``"5864 s"``) as a number."""
    number, unit = text.replace(",", "").split(" ", 1)
    prefix = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}.get(unit[0], 1.0) if len(unit) > 1 else 1.0
    return float(number) * prefix


#: The table shows 4 significant digits: within half a unit of the last one (5e-4 relative at most).
SIG4_REL = 5e-4


def test_table_output(capsys):
    """The table carries the sizing's numbers, checked against closed forms of the inputs: 1 MW of H100
    (700 W, 989 TFLOP/s bf16 dense: catalog/accelerators.yaml, NVIDIA datasheet) at the default
    dawn-dusk 650 km orbit, 100 kW satellites, bus power 5 % of IT (docs/sizing.md defaults)."""
    assert main(["size", "--it-power-w", "1e6", "--eclipse-s", "600"]) == 0
    out = capsys.readouterr().out
    assert "radiator" in out.lower() and "assumptions" in out
    rows = _table_rows(out)
    a_m = WGS84_A_M + 650e3
    period_s = 2.0 * math.pi * math.sqrt(a_m**3 / 3.986004418e14)  # Kepler, WGS-84 mu: 5,863.7 s
    assert _shown(rows["period"]) == pytest.approx(period_s, abs=0.5)  # whole seconds shown
    assert _shown(rows["longest eclipse (year)"]) == 600.0  # the input
    assert int(rows["accelerators"].replace(",", "")) == round(1e6 / 700.0)  # 1,428.6 shown as 1429
    assert _shown(rows["IT power"]) == 1e6
    assert _shown(rows["bus power"]) == pytest.approx(0.05 * 1e6, rel=SIG4_REL)
    assert _shown(rows["peak throughput"]) == pytest.approx(1e6 / 700.0 * 989e12, rel=SIG4_REL)
    assert int(rows["satellites"]) == math.ceil(1e6 / 100e3)


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["size"], "give an IT power"),
        (["size", "--it-power-w", "abc"], "--it-power-w"),
        (["size", "--it-power-w", "-5"], "greater than 0"),
        (["size", "--accelerator", "tpu-v9", "--it-power-w", "1e6"], "known: a100-sxm-80, b200"),
        (["size", "--it-power-w", "1e6", "--accelerators", "8"], "not both"),
        (["size", "--it-power-w", "1e6", "--orbit", "polar"], "--orbit"),
        (["size", "--it-power-w", "1e6", "--orbit", "sso"], "needs ltan"),
        (["size", "--it-power-w", "1e6", "--altitude-km", "7000"], "sun-synchronous"),
        (["size", "--it-power-w", "1e6", "--precision", "fp4"], "fp4"),
        (["size", "--design", "starcloud-2"], "known: "),
        (["size", "--it-power-w", "1e6", "--set", "pue=0.5"], "--set pue"),
        (["size", "--it-power-w", "1e6", "--set", "itpower=3"], "unknown key"),
        (["size", "--accelerators", "2.5"], "integer"),
        (["size", "no-such-file.yaml"], "no such sizing file"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, argv, needle):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("orbitcloud: error: ")
    assert needle in lines[0]
    assert "Traceback" not in err


def test_bad_yaml_key_names_file_and_key(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("it_power_w: 1.0e6\nlifetime_yr: forever\n")
    assert main(["size", str(cfg)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert str(cfg) in err and "lifetime_yr" in err and "forever" in err


def test_duplicate_yaml_key_is_refused(tmp_path, capsys):
    path = tmp_path / "dup.yaml"
    path.write_text("it_power_w: 1e6\nit_power_w: 2e6\naltitude_km: 650\n")
    code = main(["size", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == f"orbitcloud: error: {path}:2: YAML syntax error: duplicate key 'it_power_w'\n"
