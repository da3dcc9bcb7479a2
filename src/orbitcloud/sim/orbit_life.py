"""The orbit life cycle in a run: drag and decay, station-keeping on the bus, disposal (``docs/orbit_life.md``).

Before the first step (:func:`plan`): the activity (a sourced level or the mean of a CSV's daily
indices over the run), an orbit-mean NRLMSIS density table per shell (from sampled orbits of up to
four of its satellites), each satellite's ballistic coefficient (its design) and drag decay rate.
Designed satellites that do not station-keep get the SGP4 B* of that decay rate, so both propagators
(SGP4 and the fast mode, which follows SGP4's drag terms) fly the decaying orbit; TLE satellites keep
their own B*. Satellites that station-keep fly their held orbit and the bus tracks their mean
semi-major axis (:mod:`orbitcloud.bus.propulsion`).

At the end (:func:`figures`, :func:`altitude_table`): per shell the mean altitude over time, decay,
Δv per year, propellant, thruster duty, compute lost to station-keeping, and the disposal plan with
its check against the rule (FCC 22-74's five years by default).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from orbitcloud.errors import OrbitcloudError, ScenarioError

YEAR_S = 365.25 * 86400.0
#: per-satellite altitude samples kept by station-keeping runs (satellites x samples at most)
MAX_ALT_SAMPLES = 4_000_000


@dataclasses.dataclass
class OrbitLifePlan:
    activity: Any
    tables: np.ndarray  # (n_shell, n_grid) orbit-mean density [kg/m^3]
    a_m: np.ndarray  # SGP4 mean semi-major axis at each element epoch [m]
    inc_rad: np.ndarray
    b_m2_kg: np.ndarray  # ballistic coefficient (NaN: no design; TLE satellites use their B*)
    adot_m_s: np.ndarray  # drag decay rate at the run start
    sk: Any  # bus.propulsion.StationKeeping or None
    thruster: Any
    sample_steps: int  # altitude samples every this many steps (station-keeping runs)
    rule_years: float
    drag_terms: dict  # SGP4's drag polynomials of every satellite (fleet.elements.drag_terms; zero when held)
    dt0_min: np.ndarray  # minutes from each element epoch to the run start
    catalog: tuple | None = None  # (TLE sets, skipped count, path) of orbit_life.conjunctions.catalog
    sk_count: int = 1  # thrusters per satellite
    series: tuple | None = None  # the altitude series once computed at the end


def plan(loaded, fleet, designs, start, duration_s: float, n_steps: int, with_bus: bool = True) -> OrbitLifePlan | None:
    """Set up drag, decay and station-keeping for a run; modifies ``fleet.bstar`` of designed
    satellites that decay freely. None without ``orbit_life:``. ``with_bus`` False (``--no-bus``):
    no station-keeping (its thrusters draw on the bus), so every designed satellite decays."""
    cfg = loaded.scenario.orbit_life
    if cfg is None:
        return None
    check(loaded, duration_s)
    catalog = None
    if cfg.conjunctions is not None and cfg.conjunctions.catalog is not None:
        from orbitcloud.safety.catalog_tle import read_catalog

        path = loaded.resolve(cfg.conjunctions.catalog)
        try:
            cat = read_catalog(path)
        except OrbitcloudError as exc:
            raise ScenarioError(f"{loaded.label}: orbit_life.conjunctions.catalog: {exc}") from None
        catalog = (cat.sets, cat.n_skipped, str(path))
    from orbitcloud.bus import propulsion as P
    from orbitcloud.environment import drag
    from orbitcloud.fleet.elements import RADIUS_KM, secular_rates

    start64 = np.datetime64(start, "ns")
    if cfg.activity in ("min", "mean", "max"):
        act = drag.activity_level(cfg.activity)
    else:
        path = loaded.resolve(cfg.activity)
        table = drag.read_activity_csv(path)
        stop64 = start64 + np.timedelta64(int(round(duration_s * 1e9)), "ns")
        act = drag.activity_for_window(table, start64, stop64, f"{loaded.label}: orbit_life.activity {path}")
    rates = secular_rates(fleet.no_kozai_rad_min, fleet.ecco, fleet.inclo_rad)
    a_m = rates["a_er"] * RADIUS_KM * 1e3
    n = len(fleet)
    tables = np.empty((len(fleet.shells), drag.GRID_ALT_KM.size))
    for info in fleet.shells:
        if info.count == 0:
            tables[info.index] = np.nan
            continue
        pick = np.unique(np.linspace(info.start, info.stop - 1, min(4, info.count)).round().astype(np.int64))
        dates, lon, lat = drag.circular_orbit_samples(
            start64, a_m[pick], fleet.inclo_rad[pick], fleet.nodeo_rad[pick], fleet.argpo_rad[pick] + fleet.mo_rad[pick])
        tables[info.index] = drag.orbit_mean_density_table(dates.ravel(), lon.ravel(), lat.ravel(), act)
    b = np.full(n, np.nan)
    for info in fleet.shells:
        d = designs[info.index]
        if d is not None and info.kind != "tle":
            b[info.start:info.stop] = P.ballistic_coefficient_m2_kg(d, cfg.drag_coefficient)
    rho = np.empty(n)
    for info in fleet.shells:
        sel = slice(info.start, info.stop)
        if info.count:
            rho[sel] = drag.interp_density(tables[info.index], a_m[sel] - drag.R_EARTH_M)
    designed = np.isfinite(b)
    adot = np.where(designed, drag.decay_rate_m_s(a_m, fleet.inclo_rad, rho, np.where(designed, b, 0.0)), 0.0)
    own = ~designed
    if own.any():
        adot[own] = drag.adot_from_bstar(fleet.bstar[own], a_m[own], fleet.no_kozai_rad_min[own], fleet.ecco[own], fleet.inclo_rad[own])
    sk = thr = None
    sample_steps = 0
    spec = cfg.station_keeping if with_bus else None
    if spec is not None:
        thr = P.thruster(spec.thruster)
        mass = np.full(n, np.nan)
        for info in fleet.shells:
            d = designs[info.index]
            if d is not None and info.kind != "tle":
                mass[info.start:info.stop] = d.mass_kg
        active = designed.copy()
        m = np.where(active, mass, 1.0)
        sk = P.StationKeeping(
            active=active, p_w=np.where(active, spec.count * thr.power_w, 0.0),
            accel_m_s2=np.where(active, spec.count * thr.thrust_n / m, 0.0),
            mdot_kg_s=np.where(active, spec.count * thr.thrust_n / (thr.isp_s * P.G0_M_S2), 0.0),
            adot_m_s=adot.copy(), a0_m=a_m.copy(), a_lo_m=a_m - spec.band_km * 1e3, sunlit_only=bool(spec.sunlit_only),
        )
        samples = max(2, min(200, MAX_ALT_SAMPLES // max(n, 1)))
        sample_steps = max(1, math.ceil(n_steps / samples))
        sk.sample_steps = sample_steps
    # designed satellites that decay freely fly the decay in both propagators: SGP4's B* for it
    free = designed & ~sk.active if sk is not None else designed
    if np.any(free):
        fleet.bstar[free] = drag.bstar_for_decay(adot[free], a_m[free], fleet.no_kozai_rad_min[free], fleet.ecco[free],
                                                 fleet.inclo_rad[free])
    from orbitcloud.fleet.elements import drag_terms
    from orbitcloud.timescale import jd_split

    terms = drag_terms(fleet.no_kozai_rad_min, fleet.ecco, fleet.inclo_rad, np.where(free | own, fleet.bstar, 0.0))
    jd0, fr0 = (float(x) for x in jd_split(start64))
    dt0_min = ((jd0 - fleet.epoch_jd) + (fr0 - fleet.epoch_fr)) * 1440.0
    return OrbitLifePlan(act, tables, a_m, np.asarray(fleet.inclo_rad, float), b, adot, sk, thr, sample_steps,
                         float(cfg.disposal.rule_years), terms, dt0_min, catalog, spec.count if spec is not None else 1)


#: below this mean altitude an orbit has re-entered (SGP4 itself stops near the surface)
REENTERED_ALT_M = 100e3


def altitude_series(life: OrbitLifePlan, fleet, spec, bus_orbit: dict | None, duration_s: float):
    """(times [s from the start], per-shell mean altitude [km] (n_shell, T)) over the run: SGP4's
    secular ``a0 tempa^2`` for satellites that decay freely (NaN once re-entered), the bus's tracked
    mean orbit for station-kept ones."""
    from orbitcloud.environment.drag import R_EARTH_M
    from orbitcloud.fleet.elements import drag_tempa

    stride = max(1, math.ceil(spec.n_steps / 200))
    t = np.arange(0, spec.n_steps, stride) * spec.step_s
    if t[-1] < (spec.n_steps - 1) * spec.step_s:
        t = np.append(t, (spec.n_steps - 1) * spec.step_s)
    d = {k: v[:, None] for k, v in life.drag_terms.items()}
    tempa = drag_tempa(d, life.dt0_min[:, None] + t[None, :] / 60.0)
    alt = life.a_m[:, None] * (tempa * tempa) - R_EARTH_M
    alt = np.where((tempa > 0.0) & (alt > REENTERED_ALT_M), alt, np.nan)
    if bus_orbit is not None and "a_samples_m" in bus_orbit and life.sk is not None:
        ts = bus_orbit["sample_t_s"]
        held = life.sk.active
        if held.any() and ts.size:
            # linear interpolation between the bus's samples (common times), vectorised over satellites
            a_s = bus_orbit["a_samples_m"][held]
            j = np.clip(np.searchsorted(ts, t, side="right") - 1, 0, max(ts.size - 2, 0))
            if ts.size > 1:
                w = np.clip((t - ts[j]) / (ts[j + 1] - ts[j]), 0.0, 1.0)
                a_t = a_s[:, j] * (1.0 - w) + a_s[:, j + 1] * w
            else:
                a_t = np.repeat(a_s[:, :1], t.size, axis=1)
            alt[held] = a_t - R_EARTH_M
    per_shell = np.full((len(fleet.shells), t.size), np.nan)
    for info in fleet.shells:
        if info.count:
            sub = alt[info.start:info.stop]
            up = np.isfinite(sub).any(axis=0)
            per_shell[info.index, up] = np.nanmean(sub[:, up], axis=0) / 1e3  # the satellites still in orbit
    return t, per_shell


def figures(life: OrbitLifePlan, fleet, spec, result, designs, duration_s: float) -> dict[str, Any]:
    """The ``orbit_life`` summary section."""
    from orbitcloud.bus import propulsion as P
    from orbitcloud.environment import drag

    orbit = result.bus.orbit if result.bus is not None else None
    t, alt = life.series if getattr(life, "series", None) is not None else altitude_series(life, fleet, spec, orbit, duration_s)
    life.series = (t, alt)  # altitude_table uses the same
    run_s = max(duration_s, spec.step_s)
    shells = []
    for info in fleet.shells:
        sel = slice(info.start, info.stop)
        if not info.count:
            shells.append(None)
            continue
        d = designs[info.index]
        b = life.b_m2_kg[sel]
        entry: dict[str, Any] = {
            "name": info.name,
            "ballistic_coefficient_m2_kg": _r(np.nanmean(b)) if np.isfinite(b).any() else None,
            "decay_rate_m_per_day": _r(-life.adot_m_s[sel].mean() * 86400.0, 3),
            "altitude_km_start": _r(alt[info.index, 0], 4),
            "altitude_km_end": _r(alt[info.index, -1], 4),
        }
        # from where the shell flies at the run start (its elements may be older than the run)
        alt_m = float(alt[info.index, 0]) * 1e3 if np.isfinite(alt[info.index, 0]) else float(life.a_m[sel].mean()) - drag.R_EARTH_M
        a_mean = drag.R_EARTH_M + alt_m
        inc = float(life.inc_rad[sel].mean())
        table = life.tables[info.index]
        life_of = drag.lifetime_function(inc, table)  # lifetime [s] of B = 1 m^2/kg against altitude
        if np.isfinite(b).any():
            bb = float(np.nanmean(b))
        else:
            # TLE satellites: the ballistic coefficient their B* implies at this density
            rho = float(drag.interp_density(table, np.array([alt_m]))[0])
            bb = float(-life.adot_m_s[sel].mean() / (rho * math.sqrt(drag.MU_M3_S2 * a_mean) * float(drag.rotation_factor(a_mean, inc))))
        life_s = float(life_of(alt_m)) / bb if bb > 0 else math.inf
        entry["natural_lifetime_years"] = _r(life_s / YEAR_S, 3) if math.isfinite(life_s) else None
        held = life.sk is not None and bool(life.sk.active[sel].any())
        if held and orbit is not None:
            s = {k: orbit[k][sel] for k in ("sk_w", "sk_lost", "sk_fire")}
            fire_s = float(s["sk_fire"].sum()) * spec.step_s
            accel = life.sk.accel_m_s2[sel]
            mdot = life.sk.mdot_kg_s[sel]
            n = info.count
            entry.update({
                "thruster": life.thruster.name,
                "thruster_duty": _r(fire_s / (n * run_s)),
                "dv_m_s_per_year": _r(float((s["sk_fire"] * accel).sum()) * spec.step_s / n / run_s * YEAR_S, 4),
                "propellant_kg": _r(float((s["sk_fire"] * mdot).sum()) * spec.step_s, 6),
                "propellant_kg_per_year": _r(float((s["sk_fire"] * mdot).sum()) * spec.step_s / n / run_s * YEAR_S, 4),
                "energy_station_keeping_j": _r(float(s["sk_w"].sum()) * spec.step_s, 1),
                "compute_lost_j": _r(float(s["sk_lost"].sum()) * spec.step_s, 1),
                "altitude_km_min": _r((float(orbit["a_min_m"][sel].min()) - drag.R_EARTH_M) / 1e3, 4),
            })
        if d is not None and info.kind != "tle":
            thr = life.thruster
            rule_s = life.rule_years * YEAR_S
            count = life.sk_count if life.sk is not None else 1
            duty = 0.5 if (life.sk is not None and life.sk.sunlit_only) else 1.0

            def spiral_s(h_d: float) -> float:
                if thr is None:
                    return 0.0
                dv_ = float(P.edelbaum_dv_m_s(a_mean, drag.R_EARTH_M + h_d))
                return 0.0 if dv_ == 0.0 else d.mass_kg * dv_ / (count * thr.thrust_n) / duty

            # the highest altitude from which the spiral down plus the natural decay meet the rule
            h_d = P.disposal_altitude_m(alt_m, lambda h: spiral_s(h) + float(life_of(h)) / bb, rule_s) if thr is not None \
                else alt_m
            dv = float(P.edelbaum_dv_m_s(a_mean, drag.R_EARTH_M + h_d))
            entry["disposal_altitude_km"] = _r(h_d / 1e3, 2)
            entry["disposal_dv_m_s"] = _r(dv, 3)
            if thr is not None:
                entry["disposal_propellant_kg"] = _r(float(P.propellant_kg(d.mass_kg, dv, thr.isp_s)), 4)
                reentry_s = spiral_s(h_d) + float(life_of(h_d)) / bb
            else:
                # no propulsion: the satellite can only decay from where it flies
                entry["disposal_propellant_kg"] = None
                reentry_s = life_s
            entry["time_to_reentry_years"] = _r(reentry_s / YEAR_S, 3) if math.isfinite(reentry_s) else None
            entry["meets_disposal_rule"] = bool(math.isfinite(reentry_s) and reentry_s <= rule_s * (1 + 1e-9))
        shells.append(entry)
    return {
        "activity": {"f107": life.activity.f107, "f107a": life.activity.f107a, "ap": life.activity.ap, "label": life.activity.label},
        "disposal_rule_years": life.rule_years,
        "shells": shells,
    }


def altitude_table(start_ns: int, life: OrbitLifePlan, fleet, spec, result, duration_s: float) -> dict[str, np.ndarray]:
    """Columns of ``altitude.parquet``: time, shell, mean altitude [km]."""
    orbit = result.bus.orbit if result.bus is not None else None
    t, alt = life.series if getattr(life, "series", None) is not None else altitude_series(life, fleet, spec, orbit, duration_s)
    shells = [info for info in fleet.shells if info.count]
    return {
        "time_utc": np.tile((start_ns + np.round(t * 1e9).astype(np.int64)).astype("datetime64[ns]"), len(shells)),
        "shell": np.repeat(np.array([info.name for info in shells], dtype=object), t.size),
        "mean_altitude_km": np.concatenate([alt[info.index] for info in shells]) if shells else np.zeros(0),
    }


def _r(v, digits: int = 6):
    v = float(v)
    return round(v, digits) if math.isfinite(v) else None


#: the longest window a run screens for conjunctions (safety.conjunctions.check_window)
MAX_SCREEN_DAYS = 30.0


def check(loaded, duration_s: float | None = None) -> None:
    """Refuse an ``orbit_life`` section the run cannot use, before any step (located messages)."""
    cfg = loaded.scenario.orbit_life
    if cfg is None:
        return
    if cfg.conjunctions is not None and duration_s is not None and duration_s > MAX_SCREEN_DAYS * 86400.0:
        raise ScenarioError(f"{loaded.label}: orbit_life.conjunctions: the run is {duration_s / 86400.0:g} days; "
                            f"a run screens at most {MAX_SCREEN_DAYS:g} days (shorten it, or use orbitcloud conjunctions per window)")
    if cfg.station_keeping is None:
        return
    if not any(s.hardware is not None and s.kind != "tle" for s in loaded.scenario.constellation):
        raise ScenarioError(f"{loaded.label}: orbit_life.station_keeping: no designed shell has hardware: "
                            "station-keeping needs a design's mass and bus")


def conjunctions(loaded, fleet, start, duration_s: float, life: OrbitLifePlan | None = None):
    """Screen the fleet over the run's window when ``orbit_life.conjunctions`` asks for it:
    ``(summary section, parquet columns)`` or ``(None, None)``. The screening propagates with SGP4
    (``safety.conjunctions``) whatever the run's propagator; a broken catalogue entry is skipped and
    counted."""
    cfg = loaded.scenario.orbit_life
    if cfg is None or cfg.conjunctions is None:
        return None, None
    from orbitcloud.safety.screening import screen_fleet

    spec = cfg.conjunctions
    sets, skipped, label = None, 0, None
    if spec.catalog is not None:
        if life is not None and life.catalog is not None:
            sets, skipped, label = life.catalog
        else:
            from orbitcloud.safety.catalog_tle import read_catalog

            path = loaded.resolve(spec.catalog)
            cat = read_catalog(path)
            sets, skipped, label = cat.sets, cat.n_skipped, str(path)
    sc = screen_fleet(fleet, sets, start, max(duration_s, 1.0), spec.threshold_km, spec.hbr_m)
    cols = sc.columns(start)
    order = np.lexsort((sc.miss_km, -sc.pc))[:10]
    worst = [{"object_a": cols["object_a"][i], "object_b": cols["object_b"][i],
              "tca_s": _r(sc.tca_s[i], 3), "miss_km": _r(sc.miss_km[i], 6), "pc": float(sc.pc[i])} for i in order]
    section = {
        "threshold_km": spec.threshold_km,
        "catalog": label,
        "catalog_skipped": skipped,
        "hbr_m": spec.hbr_m,
        "events": len(sc),
        "miss_km_min": _r(sc.miss_km.min(), 6) if len(sc) else None,
        "pc_max": float(sc.pc.max()) if len(sc) else 0.0,
        "worst": worst,
    }
    return section, cols


def reentry_notes(life: OrbitLifePlan, fleet, duration_s: float) -> list[str]:
    """A note per shell whose freely decaying satellites re-enter during the run (SGP4 then reports
    their samples invalid; the fast mode does not model re-entry)."""
    from orbitcloud.environment.drag import R_EARTH_M
    from orbitcloud.fleet.elements import drag_tempa

    out = []
    t = np.linspace(0.0, duration_s, 64)
    d = {k: v[:, None] for k, v in life.drag_terms.items()}
    tempa = drag_tempa(d, life.dt0_min[:, None] + t[None, :] / 60.0)
    down = (tempa <= 0.0) | (life.a_m[:, None] * tempa * tempa - R_EARTH_M < REENTERED_ALT_M)
    for info in fleet.shells:
        sub = down[info.start:info.stop]
        hit = sub.any(axis=1)
        if hit.any():
            first = t[int(np.argmax(sub[hit].any(axis=0)))]
            out.append(f"orbit life: {int(hit.sum()):,} satellites of shell {info.name} decay below 100 km "
                       f"{first / 86400.0:.1f} days into the run (SGP4 marks them invalid from then; the fast mode does not model re-entry)")
    return out
