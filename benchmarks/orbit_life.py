"""Orbit life: cost of drag, decay and station-keeping, and the decay validation figures.

1. The decay model against an independent Cowell integration (two-body + J2 + NRLMSIS drag along
   the trajectory; the test's integrator, tests/environment/test_drag.py): relative error per case.
2. Set-up cost of ``orbit_life`` (NRLMSIS tables per shell, ballistic coefficients, B*) for a
   10,000-satellite fleet.
3. The fast propagator with and without SGP4's drag terms: 100,000 satellites x 1,440 steps, one core.
4. A run with station-keeping (the bus's NumPy loop with the propulsion load and the shadow bus
   that measures compute lost) against the same run without ``orbit_life`` (compiled bus), 1,000
   satellites x 1 day.

Usage: python benchmarks/orbit_life.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _doc(n_planes: int, per_plane: int, days: float, life: dict | None) -> dict:
    doc = {
        "name": "bench-life", "epoch": "2026-03-20T00:00:00Z", "duration": f"{days}d", "step": "60s",
        "constellation": [{"kind": "walker", "name": "shell", "hardware": "three-body", "altitude_km": 550,
                           "inclination_deg": 53, "planes": n_planes, "sats_per_plane": per_plane, "phasing": 1}],
    }
    if life is not None:
        doc["orbit_life"] = life
    return doc


def main() -> None:
    import orbitcloud as oc
    from orbitcloud.environment import drag

    sys.path.insert(0, str(ROOT / "tests" / "environment"))
    import test_drag as T  # the validation integrator

    print("1. decay model vs Cowell integration (300 km, B = 0.02 m^2/kg, 1 day)")
    for level in ("min", "mean", "max"):
        act = drag.activity_level(level)
        inc = np.array([30.0, 53.0, 97.0])
        dec, span, r_mean = T._cowell_decay(300.0, inc, 0.02, act)
        a0 = T.R_E + 300e3
        dates, lon, lat = drag.circular_orbit_samples(T.EPOCH, np.full(3, a0), np.radians(inc), np.zeros(3), np.zeros(3))
        for i in range(3):
            tab = drag.orbit_mean_density_table(dates[i], lon[i], lat[i], act)
            rho = drag.interp_density(tab, np.array([r_mean[i] - T.R_E]))
            m = -drag.decay_rate_m_s(np.array([r_mean[i]]), np.radians(inc[i]), rho, 0.02)[0] * span
            print(f"   {level:4s} i={inc[i]:4.0f} deg: Cowell {dec[i]:8.1f} m, model {m:8.1f} m, error {100 * (m - dec[i]) / dec[i]:+.2f} %")

    print("2. set-up (10,000 satellites, 1 shell)")
    t0 = time.perf_counter()
    sim = oc.Simulation(_doc(100, 100, 1.0, {"activity": "mean"}), propagator="fast")
    print(f"   Simulation(...) with orbit_life: {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    oc.Simulation(_doc(100, 100, 1.0, None), propagator="fast")
    print(f"   Simulation(...) without:         {time.perf_counter() - t0:.2f} s")
    del sim

    print("3. fast propagator, 100,000 satellites x 1,440 steps (one core)")
    from orbitcloud.ephemeris.frames import gmst_for_times
    from orbitcloud.ephemeris.propagate import fast_ecef_m, fast_orbits
    from orbitcloud.fleet import build_fleet
    from orbitcloud.scenario import parse_scenario
    from orbitcloud.timescale import jd_split_offset

    fleet = build_fleet(parse_scenario(yaml.safe_dump(_doc(400, 250, 1.0, None))))
    t_s = np.arange(1440) * 60.0
    jd0, fr0 = float(fleet.epoch_jd[0]), float(fleet.epoch_fr[0])
    jd, fr = jd_split_offset(jd0, fr0, t_s)
    gmst = gmst_for_times(jd, fr)
    for label, bstar in (("no drag", 0.0), ("with drag", 2e-4)):
        sl = fleet.slice(0, len(fleet))
        sl.bstar = np.full(len(sl), bstar)
        best = np.inf
        for _ in range(2):
            t0 = time.perf_counter()
            for a in range(0, len(sl), 4096):
                sub = fleet.slice(a, min(a + 4096, len(sl)))
                sub.bstar = sl.bstar[a:a + 4096]
                orb = fast_orbits(sub, jd0, fr0)
                for c in range(0, 1440, 64):
                    fast_ecef_m(orb, t_s[c:c + 64], gmst[c:c + 64])
            best = min(best, time.perf_counter() - t0)
        print(f"   {label:9s}: {best:.2f} s ({len(sl) * 1440 / best / 1e6:.1f} M satellite-steps/s)")

    print("4. 1,000 satellites x 1 day with the bus (fast propagator)")
    for label, life in (("no orbit_life (compiled bus)", None),
                        ("station-keeping bht-200 (NumPy bus + shadow)", {"activity": "max", "station_keeping": {"thruster": "bht-200", "band_km": 0.2}})):
        t0 = time.perf_counter()
        s = oc.run(_doc(20, 50, 1.0, life), propagator="fast", eclipses=False).summary
        wall = time.perf_counter() - t0
        extra = ""
        if life is not None:
            sh = s["orbit_life"]["shells"][0]
            extra = f"; dv {sh['dv_m_s_per_year']:.1f} m/s/yr, duty {sh['thruster_duty']:.3f}, compute lost {sh['compute_lost_j']:.3g} J"
        print(f"   {label}: {wall:.2f} s{extra}")


if __name__ == "__main__":
    main()
