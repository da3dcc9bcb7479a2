"""Golden cases of the orbit-life, conjunction and link-budget models (issue #19).

* ``drag.fast_vs_sgp4``: the fast propagator's drag terms against SGP4 itself (``tests/ephemeris/test_fast_drag.py``);
* ``conjunction.refinement``: TCA and miss distance of ``safety.conjunctions.screen`` against brute-force
  1-ms stepping of SGP4 (``tests/safety/test_conjunctions.py``: 10 m, 0.1 s);
* ``collision.foster_isotropic``: Foster's Pc against the closed form of an isotropic covariance at zero miss,
  ``1 - exp(-R^2 / (2 sigma^2))`` (``tests/safety/test_collision.py``);
* ``link.s_band_eurasip``: an S-band budget of the literature reproduced (``tests/network/test_link_budget.py``).
"""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.validate.common import measured, series, version

_EPOCH_1949_JD = 2433281.5


def circular_satrec(satnum: int, alt_km: float, incl_deg: float, raan_deg: float, u_deg: float, jd0: float, fr0: float,
              ecc: float = 1e-4, argp_deg: float = 0.0):
    """An SGP4 satellite (``sgp4init``) at ``(jd0, fr0)`` with Kepler elements; mean anomaly = u - argp."""
    from sgp4.api import WGS72, Satrec

    from orbitcloud.constants import WGS72_MU_KM3_S2, WGS72_RADIUS_KM

    a = WGS72_RADIUS_KM + alt_km
    n_rad_min = math.sqrt(WGS72_MU_KM3_S2 / a**3) * 60.0
    sat = Satrec()
    sat.sgp4init(WGS72, "i", satnum, (jd0 - _EPOCH_1949_JD) + fr0, 0.0, 0.0, 0.0, ecc, math.radians(argp_deg),
                 math.radians(incl_deg), math.radians((u_deg - argp_deg) % 360.0), n_rad_min, math.radians(raan_deg))
    sat.jdsatepoch, sat.jdsatepochF = jd0, fr0
    return sat


def conjunction_refinement(full: bool) -> dict:
    from sgp4.api import SatrecArray

    from orbitcloud.safety.conjunctions import objects_from_satrecs, screen
    from orbitcloud.timescale import jd_split, jd_split_offset

    jd0, fr0 = (float(x) for x in jd_split(np.datetime64("2026-03-20T00:00:00", "ns")))
    rng = np.random.default_rng(11)
    n = 40 if full else 25

    def leo(k, start):
        return [circular_satrec(start + i, rng.uniform(500, 560), rng.uniform(20, 100), rng.uniform(0, 360), rng.uniform(0, 360),
                          jd0, fr0, ecc=rng.uniform(1e-4, 3e-3), argp_deg=rng.uniform(0, 360)) for i in range(k)]

    sa, sb = leo(n, 100), leo(n, 500)
    dur = 3 * 3600.0
    res = screen(objects_from_satrecs(sa, [f"A{i}" for i in range(n)]), objects_from_satrecs(sb, [f"B{i}" for i in range(n)]),
                 jd0, fr0, dur, 60.0, workers=1)
    dt_err, dm_err = [], []
    for e in range(min(len(res), 30 if full else 12)):
        t_e = float(res.tca_s[e])
        if not 0.0 < t_e < dur:
            continue
        # the 1-ms grid is anchored off the refined time (so it cannot contain it): an independent minimum
        t = math.floor(t_e) + 3.17e-4 + np.arange(-1500, 1501) * 1e-3
        jd, fr = jd_split_offset(jd0, fr0, t)
        _, r, _ = SatrecArray([sa[res.ia[e]], sb[res.ib[e]]]).sgp4(jd, fr)
        d = np.linalg.norm(r[1] - r[0], axis=1)
        k = int(np.argmin(d))
        dt_err.append(abs(t_e - float(t[k])))
        dm_err.append(abs(float(res.miss_km[e]) - float(d[k])) * 1e3)
    if not dt_err:
        return measured("brute-force 1-ms stepping", "SGP4 (python-sgp4)", 10.0, "m", math.nan, "m", detail="no events")
    worst_t, worst_m = max(dt_err), max(dm_err)
    return measured(
        f"brute-force 1-ms SGP4 stepping around each of {len(dt_err)} TCAs (random LEO pairs, 3 h, 60 km threshold)",
        f"python-sgp4 {version('sgp4')} (Vallado et al. 2006, AIAA 2006-6753)",
        10.0, "m", worst_m, "m", passed=worst_t < 0.1,
        detail=f"worst miss-distance error {worst_m:.3g} m, worst TCA error {worst_t * 1e3:.3g} ms (tolerance 100 ms)",
    )


def foster_isotropic(full: bool) -> dict:
    from orbitcloud.safety import collision

    sig_km, hbr_km = 0.05, 0.02
    got = float(collision.pc_2d(np.zeros((1, 2)), np.diag([sig_km**2, sig_km**2])[None], hbr_km)[0])
    ref = 1.0 - math.exp(-hbr_km**2 / (2 * sig_km**2))
    return measured("closed form at zero miss, isotropic covariance: 1 - exp(-R^2 / (2 sigma^2))",
                    "Foster & Estes 1992, NASA JSC-25898; Alfano 2005, Adv. Astronaut. Sci. 120",
                    1e-6, "relative", abs(got - ref) / ref, "relative", detail=f"Pc {got:.6g} vs {ref:.6g}")


def link_s_band(full: bool) -> dict:
    from orbitcloud.constants import C_M_S
    from orbitcloud.network import link_budget as LB

    f = 2.2e9
    lam = C_M_S / f
    d = lam / (4 * math.pi) * 10 ** (162.2 / 20)
    tx = LB.RFTerminal(kind="space", band="s", frequency_hz=f, gain_dbi=8.3, tx_power_w=1.0, bandwidth_hz=4.6e6)
    rx = LB.RFTerminal(kind="ground", band="s", dish_diameter_m=5.0, aperture_efficiency=0.5, system_noise_temp_k=130.0)
    link = LB.LinkDirection(tx, rx, margin_db=0.0, other_losses_db=10.0, atmosphere=False)
    cn0 = float(link.cn0_dbhz(d, 0.0))
    return measured("published S-band budget: C/N0 81.8 dB-Hz (EIRP 38.3 dBm, 5 m dish, 162.2 dB path loss)",
                    "EURASIP J. Wireless Commun. Netw. 2020:46, Table 1",
                    1.0, "dB", abs(cn0 - 81.8), "dB", detail=f"C/N0 {cn0:.2f} dB-Hz")


def sgp4_and_fast_ecef_m(sl, days: float, step_s: float = 60.0):
    """Earth-fixed positions [m] of a fleet slice by SGP4 (the reference) and by the fast propagator,
    each (n, T, 3), at ``step_s`` steps over ``days`` from the fleet's epoch: ``(t_s, sgp4, fast, err)``
    with ``err`` SGP4's error codes (n, T). Shared by the validate case and the tests."""
    from sgp4.api import SatrecArray

    from orbitcloud.ephemeris.frames import gmst_for_times, teme_to_ecef
    from orbitcloud.ephemeris.propagate import fast_ecef_m, fast_orbits, make_satrecs, sgp4_teme_km
    from orbitcloud.timescale import jd_split_offset

    jd0, fr0 = float(sl.epoch_jd[0]), float(sl.epoch_fr[0])
    t_s = np.arange(0.0, days * 86400.0, step_s)
    jd, fr = jd_split_offset(jd0, fr0, t_s)
    gmst = gmst_for_times(jd, fr)
    err, r_km, _ = sgp4_teme_km(SatrecArray(make_satrecs(sl)), jd, fr)
    ref = teme_to_ecef(r_km * 1000.0, gmst)
    fast = np.stack(fast_ecef_m(fast_orbits(sl, jd0, fr0), t_s, gmst)[:3], axis=-1)
    return t_s, ref, fast, err


def fast_drag_vs_sgp4(full: bool) -> dict:
    from orbitcloud.fleet import build_fleet
    from orbitcloud.scenario import parse_scenario

    text = ("name: drag\nepoch: 2026-03-20T00:00:00Z\nduration: 2d\nconstellation:\n  - kind: walker\n    altitude_km: 300\n"
            "    inclination_deg: 53\n    planes: 2\n    sats_per_plane: 3\n    phasing: 1\n")
    fleet = build_fleet(parse_scenario(text))
    fleet.bstar[:] = 5e-4
    t_s, ref, fast, _ = sgp4_and_fast_ecef_m(fleet.slice(0, len(fleet)), 2.0)
    err = np.linalg.norm(fast - ref, axis=-1)
    return measured("SGP4 itself (B* = 5e-4 /ER, 300 km, 2 days; the drag-free orbit falls 50+ km behind)",
                    f"python-sgp4 {version('sgp4')}", 6.0, "km", float(err.max()) / 1e3, "km",
                    series=series(t_s / 3600.0, err.max(axis=0) / 1e3, "time [h]", "fast - SGP4, worst satellite [km]"))
