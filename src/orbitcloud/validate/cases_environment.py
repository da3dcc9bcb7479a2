"""Radiation dose against published SHIELDOSE-2 figures (AP8MIN / AE8MAX); drag decay against a Cowell
integration with NRLMSIS along the trajectory, and the lifetime of an exponential atmosphere.

Taken from tests/environment/test_radiation_published.py (factor 1.4 either way) and
tests/environment/test_drag.py (10 % and 2e-3 relative).
"""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.validate.common import measured, series, version

#: Engine orbit-mean dose vs SPENVIS SHIELDOSE-2 solid-sphere dose, either way [ratio]; measured 0.78-0.96.
published_factor = 1.4
#: Pfandzelter & Bermbach (2023), SPENVIS SHIELDOSE-2, 550 km circular: inclination [deg] -> Al [mm] ->
#: (total, electrons, bremsstrahlung, trapped protons) [rad(Si) per 5 years] (compute-failure/results/*.txt).
SPENVIS_550KM_DOSE_RAD_5YR = {
    30: {1.0: (4.7086e3, 2.6219e3, 3.0894e1, 2.0558e3), 2.0: (2.3155e3, 5.1765e2, 1.4272e1, 1.7836e3),
         3.0: (1.8247e3, 1.9698e2, 9.7311e0, 1.6180e3), 4.0: (1.5990e3, 8.2522e1, 7.5283e0, 1.5090e3),
         10.0: (1.1955e3, 1.1096e-4, 3.3678e0, 1.1922e3), 20.0: (9.0931e2, 0.0, 1.8397e0, 9.0747e2)},
    55: {1.0: (2.6242e4, 2.4114e4, 1.3420e2, 1.9933e3), 2.0: (9.5457e3, 8.1051e3, 6.6534e1, 1.3741e3),
         3.0: (4.6072e3, 3.4140e3, 4.3714e1, 1.1495e3), 4.0: (2.5464e3, 1.4796e3, 3.2640e1, 1.0342e3),
         10.0: (7.6484e2, 3.8668e0, 1.3916e1, 7.4705e2), 20.0: (5.5193e2, 0.0, 8.2789e0, 5.4365e2)},
    95: {1.0: (3.0554e4, 2.9081e4, 1.4048e2, 1.3323e3), 2.0: (1.0714e4, 9.6846e3, 6.9196e1, 9.6033e2),
         3.0: (4.8049e3, 3.9443e3, 4.4729e1, 8.1590e2), 4.0: (2.4410e3, 1.6681e3, 3.3069e1, 7.3986e2),
         10.0: (5.6028e2, 3.8351e0, 1.4063e1, 5.4238e2), 20.0: (4.0533e2, 0.0, 8.5940e0, 3.9673e2)},
    100: {1.0: (3.3331e4, 3.1824e4, 1.5184e2, 1.3545e3), 2.0: (1.1605e4, 1.0555e4, 7.4644e1, 9.7506e2),
          3.0: (5.1537e3, 4.2776e3, 4.8157e1, 8.2789e2), 4.0: (2.5890e3, 1.8029e3, 3.5569e1, 7.5057e2),
          10.0: (5.6937e2, 4.0993e0, 1.5132e1, 5.5014e2), 20.0: (4.1173e2, 0.0, 9.2703e0, 4.0246e2)},
}
SPENVIS_YEARS = 5.0
PROTON_DEPTHS_MM = (4.0, 10.0, 20.0)
ELECTRON_DEPTHS_MM = (1.0, 2.0, 3.0)
TOTAL_DEPTHS_MM = (1.0, 3.0, 10.0)
SPENVIS_SOURCE = ("Pfandzelter & Bermbach 2023, LEO-NET '23, arXiv 2302.08952: SPENVIS 4.6.11 SHIELDOSE-2 "
                  "(AP-8 MIN protons, AE-8 MAX electrons, Al solid sphere, Si)")
#: WGS-84 mu [m^3/s^2], rotation [rad/s], equatorial radius [m] of the two-body orbits.
EARTH_MU_M3_S2 = 3.986004418e14
EARTH_ROTATION_RAD_S = 7.292115e-5
EARTH_A_M = 6378137.0

#: Drag: model da/dt vs the Cowell integration [relative] (tests/environment/test_drag.py).
decay_rel_tol = 0.10
#: Lifetime in an exponential atmosphere vs its integral at 1 m resolution [relative].
lifetime_rel_tol = 2e-3
J2 = 1.08262668e-3


def circular_orbit_ecef_m(alt_km: float, inc_deg: float, days: float, step_s: float):
    """Earth-fixed positions [m] of a two-body circular orbit (RAAN 0, start at the node, Greenwich at 0)."""
    r = EARTH_A_M + alt_km * 1000.0
    t = np.arange(0.0, days * 86400.0, step_s)
    u = math.sqrt(EARTH_MU_M3_S2 / r**3) * t
    inc = math.radians(inc_deg)
    xi, yi, zi = r * np.cos(u), r * np.sin(u) * math.cos(inc), r * np.sin(u) * math.sin(inc)
    th = EARTH_ROTATION_RAD_S * t
    return np.cos(th) * xi + np.sin(th) * yi, -np.sin(th) * xi + np.cos(th) * yi, zi


def radiation_shieldose(full: bool) -> dict:
    from orbitcloud.environment.radiation import YEAR_S, RadiationGrid, RadiationSpec

    incs = sorted(SPENVIS_550KM_DOSE_RAD_5YR) if full else [55]
    rows = []
    for inc in incs:
        x, y, z = circular_orbit_ecef_m(550.0, inc, 30.0, 60.0)
        depths = sorted(set(PROTON_DEPTHS_MM) | set(ELECTRON_DEPTHS_MM) | set(TOTAL_DEPTHS_MM)) if full else [1.0, 10.0]
        for t_mm in depths:
            total, electrons, _brems, protons = (v / SPENVIS_YEARS for v in SPENVIS_550KM_DOSE_RAD_5YR[inc][t_mm])
            p = float(RadiationGrid.build(550.0, 550.0, RadiationSpec(shielding_mm_al=t_mm, solar="min"))
                      .trapped_dose_rate_rad_s(x, y, z, "p").mean()) * YEAR_S
            e = float(RadiationGrid.build(550.0, 550.0, RadiationSpec(shielding_mm_al=t_mm, solar="max"))
                      .trapped_dose_rate_rad_s(x, y, z, "e").mean()) * YEAR_S
            if t_mm in PROTON_DEPTHS_MM:
                rows.append((f"{inc} deg p {t_mm:g} mm", p, protons))
            if t_mm in ELECTRON_DEPTHS_MM:
                rows.append((f"{inc} deg e {t_mm:g} mm", e, electrons))
            if t_mm in TOTAL_DEPTHS_MM:
                rows.append((f"{inc} deg total {t_mm:g} mm", p + e, total))
    factors = [max(got / ref, ref / got) for _, got, ref in rows]
    ratios = [got / ref for _, got, ref in rows]
    return measured(
        "orbit-mean dose at 550 km behind Al spheres, SPENVIS SHIELDOSE-2 (5-year files / 5)", SPENVIS_SOURCE + f"; engine AP8/AE8 via aep8 {version('aep8')}",
        published_factor, "factor", max(factors), "factor",
        detail=f"{len(rows)} doses, engine/published {min(ratios):.2f}-{max(ratios):.2f}: " + ", ".join(f"{k} {got / ref:.2f}" for k, got, ref in rows[:6]),
    )


def cowell_decay(alt_km: float, inc_deg: np.ndarray, b_m2_kg: float, act, epoch, days: float = 1.0):
    """Mean-semi-major-axis decay [m] over ``days`` (RK4 at 20 s, two-body + J2 + drag, NRLMSIS along
    the trajectory, co-rotating atmosphere), the span [s], the mean radius flown [m], a(t) series."""
    from orbitcloud.environment import drag
    from orbitcloud.ephemeris.frames import ecef_to_geodetic
    from orbitcloud.timescale import gmst82_rad, jd_split

    r_e, mu = drag.R_EARTH_M, drag.MU_M3_S2
    inc = np.radians(inc_deg)
    k = inc.size
    a0 = r_e + alt_km * 1e3
    v0 = math.sqrt(mu / a0)
    r = np.stack([np.full(k, a0), np.zeros(k), np.zeros(k)], axis=1)
    v = np.stack([np.zeros(k), v0 * np.cos(inc), v0 * np.sin(inc)], axis=1)
    dt = 20.0
    n = int(days * 86400 / dt)

    def accel(t_s, r, v):
        rn = np.linalg.norm(r, axis=1, keepdims=True)
        g = -mu * r / rn**3
        z2 = (r[:, 2:3] / rn) ** 2
        f = 1.5 * J2 * mu * r_e**2 / rn**5
        gj2 = np.concatenate([f * r[:, :1] * (5 * z2 - 1), f * r[:, 1:2] * (5 * z2 - 1), f * r[:, 2:3] * (5 * z2 - 3)], axis=1)
        date = epoch + np.timedelta64(int(round(t_s * 1e9)), "ns")
        jd, fr = jd_split(np.array([date]))
        gmst = float(gmst82_rad(jd, fr)[0])
        # Earth-fixed position, then WGS-84 geodetic latitude and height (what NRLMSIS takes)
        c, s_ = math.cos(gmst), math.sin(gmst)
        ecef = np.stack([c * r[:, 0] + s_ * r[:, 1], c * r[:, 1] - s_ * r[:, 0], r[:, 2]], axis=1)
        glat, glon, gh = ecef_to_geodetic(ecef)
        rho = drag.density_kg_m3(np.full(k, date), np.degrees(glon), np.degrees(glat), gh / 1e3, act)
        vrel = v - np.cross(np.array([0.0, 0.0, drag.EARTH_RATE_RAD_S]), r)
        vr = np.linalg.norm(vrel, axis=1, keepdims=True)
        return g + gj2 - 0.5 * (rho * b_m2_kg)[:, None] * vr * vrel

    def sma(r, v):
        return 1.0 / (2.0 / np.linalg.norm(r, axis=1) - np.sum(v * v, axis=1) / mu)

    per = int(round(2 * math.pi * math.sqrt(a0**3 / mu) / dt))
    a_hist, r_hist = np.empty((n + 1, k)), np.empty((n + 1, k))
    a_hist[0], r_hist[0] = sma(r, v), np.linalg.norm(r, axis=1)
    t = 0.0
    for i in range(n):
        k1v = accel(t, r, v); k1r = v
        k2v = accel(t + dt / 2, r + dt / 2 * k1r, v + dt / 2 * k1v); k2r = v + dt / 2 * k1v
        k3v = accel(t + dt / 2, r + dt / 2 * k2r, v + dt / 2 * k2v); k3r = v + dt / 2 * k2v
        k4v = accel(t + dt, r + dt * k3r, v + dt * k3v); k4r = v + dt * k3v
        r = r + dt / 6 * (k1r + 2 * k2r + 2 * k3r + k4r)
        v = v + dt / 6 * (k1v + 2 * k2v + 2 * k3v + k4v)
        t += dt
        a_hist[i + 1], r_hist[i + 1] = sma(r, v), np.linalg.norm(r, axis=1)
    decay = a_hist[:per].mean(axis=0) - a_hist[-per:].mean(axis=0)
    return decay, (n - per) * dt, r_hist.mean(axis=0), (np.arange(n + 1) * dt, a_hist)


def drag_decay(full: bool) -> dict:
    from orbitcloud.environment import drag

    epoch = np.datetime64("2026-03-20T00:00:00", "ns")
    act = drag.activity_level("mean")
    inc_deg = np.array([30.0, 53.0, 97.0]) if full else np.array([53.0])
    alt_km, b = 300.0, 0.02  # m^2/kg: C_D 2.2 x 0.009 m^2/kg
    decay_m, span_s, r_mean_m, (t_s, a_hist) = cowell_decay(alt_km, inc_deg, b, act, epoch)
    a0 = drag.R_EARTH_M + alt_km * 1e3
    n = inc_deg.size
    dates, lon, lat = drag.circular_orbit_samples(epoch, np.full(n, a0), np.radians(inc_deg), np.zeros(n), np.zeros(n))
    model, rates = [], []
    for i in range(n):
        table = drag.orbit_mean_density_table(dates[i], lon[i], lat[i], act)
        rho = drag.interp_density(table, np.array([r_mean_m[i] - drag.R_EARTH_M]))
        rate = drag.decay_rate_m_s(np.array([r_mean_m[i]]), np.radians(inc_deg[i]), rho, b)[0]
        rates.append(rate)
        model.append(-rate * span_s)
    model = np.array(model)
    rel = np.abs(model - decay_m) / decay_m
    # error against time: the Cowell a(t) (orbit-averaged) minus the model's straight line, in metres
    per = int(round(2 * math.pi * math.sqrt(a0**3 / drag.MU_M3_S2) / 20.0))
    kern = np.ones(per) / per
    a_mean = np.convolve(a_hist[:, 0], kern, mode="valid")
    t_mid = t_s[: a_mean.size] + 0.5 * (per - 1) * 20.0
    line = a_mean[0] + rates[0] * (t_mid - t_mid[0])
    return measured(
        "Cowell integration (RK4 20 s, two-body + J2 + drag, NRLMSIS 2.1 along the trajectory), 1 day at 300 km",
        f"NRLMSIS 2.1 via pymsis {version('pymsis')}; ECSS-E-ST-10-04C mean activity; integration written here",
        decay_rel_tol, "relative", float(rel.max()), "relative", passed=bool(decay_m.min() > 500.0),
        detail="; ".join(f"{i:g} deg: model {m:.0f} m vs Cowell {c:.0f} m" for i, m, c in zip(inc_deg, model, decay_m)),
        series=series(t_mid / 3600.0, a_mean - line, "time [h]", f"Cowell mean a - model line, {inc_deg[0]:g} deg [m]"),
    )


def drag_lifetime(full: bool) -> dict:
    from orbitcloud.environment import drag

    h0, rho0, big_h = 400e3, 3e-12, 60e3
    table = rho0 * np.exp(-(drag.GRID_ALT_KM * 1e3 - h0) / big_h)
    b = 0.01
    got = float(drag.lifetime_s(np.array([400e3]), 0.0, b, table, floor_alt_m=200e3, step_m=100.0)[0])
    h = np.linspace(200e3, 400e3, 200_001)
    a = drag.R_EARTH_M + h
    inv = 1.0 / (rho0 * np.exp(-(h - h0) / big_h) * b * np.sqrt(drag.MU_M3_S2 * a) * drag.rotation_factor(a, 0.0))
    ref = float(np.sum(0.5 * (inv[1:] + inv[:-1]) * np.diff(h)))
    return measured("lifetime 400 -> 200 km in an exponential atmosphere (H 60 km): da/dt integrated at 1 m",
                    "closed form, e.g. Vallado 2013 sec. 9.6 (exponential atmosphere); integral written here",
                    lifetime_rel_tol, "relative", abs(got - ref) / ref, "relative",
                    detail=f"model {got / 86400:.2f} d vs {ref / 86400:.2f} d")
