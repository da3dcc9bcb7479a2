"""Serving policies under constrained power (issue 17): what the levers buy, per policy, side by side.

    python benchmarks/serving_policies.py                         # both cases below
    python benchmarks/serving_policies.py --case star-compute-2800 --duration 1d
    python benchmarks/serving_policies.py --case three-body-12 --duration 365d --step 120s
    python benchmarks/serving_policies.py --case three-body-12-small-battery --policy max-clock --policy energy-aware

For each policy it runs the scenario once (same seed) and prints: SLO attainment, delivered tokens,
tokens per kWh, quality-weighted tokens per kWh, minimum state of charge, battery capacity left
(with ageing), energy curtailed, compute lost when energy ran short (``throttled_fraction_power``,
the eclipses), batch items and wall time. The wall time of ``max-clock`` against the others is the
overhead of the serving step. Nothing is asserted; figures go into the closing note.
"""

from __future__ import annotations

import argparse
import resource
import time

import orbitcloud as oc

POLICIES = ("max-clock", "race-to-idle", "energy-aware", "cascade")
#: name -> (scenario, duration, step, changes to the scenario document)
CASES = {
    "star-compute-2800": ("star-compute-2800", "1d", "60s", None),
    "three-body-12": ("three-body-12", "365d", "60s", None),
    # where the levers matter: the same satellites with a third of the battery (500 Wh), so a full
    # compute load through an eclipse reaches the bottom of the battery window at max clock
    "three-body-12-small-battery": ("three-body-12", "30d", "60s", {"battery_wh": 500}),
    # a fixed cap as the lever on its own (policies.power_cap_w, 60 % of the 500 W TDP)
    "three-body-12-capped": ("three-body-12", "7d", "60s", {"power_cap_w": 300}),
}


def _source(name: str, changes: dict | None):
    """The built-in scenario, or its document with the case's changes (a mapping oc.run accepts)."""
    if not changes:
        return name
    from importlib import resources

    import yaml

    doc = yaml.safe_load(resources.files("orbitcloud.scenario.builtin").joinpath(f"{name}.yaml").read_text("utf-8"))
    if "battery_wh" in changes:
        for shell in doc["constellation"]:
            shell["hardware"] = {"base": shell["hardware"], "battery": {"capacity_wh": changes["battery_wh"]}}
    if "power_cap_w" in changes:
        doc.setdefault("policies", {})["power_cap_w"] = changes["power_cap_w"]
    doc["name"] = f"{name}-modified"
    return doc


def _worst(s: dict, key: str):
    vals = [sh["bus"][key] for sh in s["shells"] if sh.get("bus") and sh["bus"].get(key) is not None]
    return max(vals) if vals else None


def run_case(name: str, duration: str, step: str, policies, propagator: str, changes=None) -> None:
    rows = []
    src = _source(name, changes)
    for pol in policies:
        t0 = time.perf_counter()
        s = oc.run(src, duration=duration, step=step, serving=pol, propagator=propagator).summary
        wall = time.perf_counter() - t0
        inf = s["workloads"]["inference"]
        bat = s["workloads"].get("batch") or {}
        rows.append((pol, s, inf, bat, wall))
        print(f"  {pol}: {wall:.1f} s", flush=True)
    print(f"\n{name}{'' if not changes else ' ' + str(changes)}, {duration} at {step} ({propagator}); peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print("| policy | SLO attainment | tokens delivered | tokens/kWh | quality-wtd tokens/kWh | min SoC | capacity left (min) "
          "| curtailed [kWh] | lost to power | batch items | wall [s] |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for pol, s, inf, bat, wall in rows:
        b = s["bus"]

        def f(v, fmt):
            return "-" if v is None else format(v, fmt)
        print(f"| {pol} | {f(inf['slo_attainment'], '.2%')} | {inf['tokens_out']:,} | {f(inf['tokens_per_kwh'], ',.0f')} | "
              f"{f(inf.get('quality_weighted_tokens_per_kwh'), ',.0f')} | {f(b['soc_min'], '.3f')} | "
              f"{f(b.get('battery_capacity_left_min'), '.4f')} | {f(b['energy_curtailed_j'] / 3.6e6, ',.1f')} | "
              f"{f(_worst(s, 'throttled_fraction_power'), '.2%')} | {f(bat.get('items_done'), ',.0f')} | {wall:.1f} |")
    base = rows[0][4]
    for pol, *_, wall in rows[1:]:
        print(f"wall time {pol} / {rows[0][0]}: {wall / base:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=sorted(CASES), action="append")
    ap.add_argument("--duration")
    ap.add_argument("--step")
    ap.add_argument("--policy", action="append", choices=POLICIES)
    ap.add_argument("--propagator", default="sgp4")
    args = ap.parse_args()
    for case in args.case or list(CASES):
        name, dur, step, changes = CASES[case]
        run_case(name, args.duration or dur, args.step or step, args.policy or POLICIES, args.propagator, changes)


if __name__ == "__main__":
    main()
