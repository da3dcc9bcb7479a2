"""Propagation of a fleet slice: SGP4 (reference) and a fast analytic mode.

``sgp4`` mode
    ``sgp4.api.SatrecArray`` (Vallado's C++ SGP4/SDP4, WGS-72) on satellites initialised from their
    TLE text (``Satrec.twoline2rv``) or from mean elements (``Satrec.sgp4init``). Output in TEME [km].

``fast`` mode
    Mean elements advanced with SGP4's own secular rates (J2, J2^2, J4; :mod:`orbitcloud.fleet.elements`)
    and SGP4's J3 long-period terms, with the orbit solved to first order in eccentricity:
    ``r = a (1 - k cos L - h sin L)``, ``u = L + 2 (k sin L - h cos L)`` where ``L`` is the mean
    argument of latitude and ``(k, h)`` SGP4's ``(axnl, aynl)``; eccentricity is floored at 1e-6 as
    in SGP4. Neglected: J2 short-period terms
    (a few km), deep-space resonances, and e^2 terms. Drag follows SGP4's own secular polynomials
    from each satellite's B* (:func:`orbitcloud.fleet.elements.drag_terms`): the mean semi-major axis
    ``a0 tempa^2`` with ``tempa = 1 - C1 t - D2 t^2 - D3 t^3 - D4 t^4``, the mean-anomaly term
    ``n (t2cof t^2 + t3cof t^3 + t^4 (t4cof + t t5cof))`` and the node term ``nodecf t^2`` (``t``
    from the element epoch); SGP4's eccentricity drag terms (cc4, cc5, omgcof, xmcof) are left out.
    The fast mode does not model re-entry (SGP4 reports it as an error; :mod:`orbitcloud.sim.orbit_life`
    notes runs that reach it). Positions come out directly in the
    Earth-fixed frame (node angle minus GMST). Trigonometric functions are evaluated in float32 after
    range reduction in float64 revolutions (argument error < 2.4e-7 rad, i.e. < 2 m at 7,000 km).
    The error against SGP4 is measured by ``benchmarks/ephemeris.py`` and ``tests/ephemeris/test_fast.py``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from orbitcloud.fleet import FleetSlice
from orbitcloud.fleet.elements import RADIUS_KM, secular_rates

TWO_PI = 2.0 * np.pi
_EPOCH_1949_JD = 2433281.5  # sgp4init's epoch origin: 1949 December 31 00:00 UT
ECCO_FLOOR = 1e-6  # SGP4's lower bound on the propagated eccentricity


def make_satrecs(sl: FleetSlice) -> list:
    """``Satrec`` objects for a fleet slice: from TLE text where there is one, else ``sgp4init``.

    ``sgp4init`` takes its epoch as one float of days since 1949-12-31; the split epoch is written
    back afterwards (``jdsatepoch``, ``jdsatepochF``) so propagation times keep full precision.
    """
    from sgp4.api import WGS72, Satrec

    out = []
    l1 = sl.tle_line1
    l2 = sl.tle_line2
    for i in range(len(sl)):
        if l1 is not None and l1[i]:
            out.append(Satrec.twoline2rv(l1[i], l2[i], WGS72))
            continue
        sat = Satrec()
        epoch_days = (sl.epoch_jd[i] - _EPOCH_1949_JD) + sl.epoch_fr[i]
        sat.sgp4init(
            WGS72, "i", int(sl.satnum[i]), epoch_days, sl.bstar[i], sl.ndot[i], sl.nddot[i], sl.ecco[i],
            sl.argpo_rad[i], sl.inclo_rad[i], sl.mo_rad[i], sl.no_kozai_rad_min[i], sl.nodeo_rad[i],
        )
        sat.jdsatepoch = float(sl.epoch_jd[i])
        sat.jdsatepochF = float(sl.epoch_fr[i])
        out.append(sat)
    return out


def sgp4_teme_km(satrec_array, jd: np.ndarray, fr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ``SatrecArray.sgp4``: error codes (n, T), r_teme_km (n, T, 3), v_teme_km_s (n, T, 3)."""
    return satrec_array.sgp4(np.ascontiguousarray(jd, dtype=np.float64), np.ascontiguousarray(fr, dtype=np.float64))


@dataclasses.dataclass
class FastOrbits:
    """Per-satellite constants of the fast propagator (arrays of shape (n,)); angles in revolutions."""

    a_m: np.ndarray
    cos_i: np.ndarray
    sin_i: np.ndarray
    lat0_rev: np.ndarray  # mean argument of latitude at the scenario epoch
    lat_rate_rev_s: np.ndarray
    node0_rev: np.ndarray  # RAAN at the scenario epoch
    node_rate_rev_s: np.ndarray
    argp0_rev: np.ndarray
    argp_rate_rev_s: np.ndarray
    ecco: np.ndarray  # floored at SGP4's 1e-6
    ay: np.ndarray  # J3 long-period term aycof / (a (1 - e^2))
    xl: np.ndarray  # J3 long-period term xlcof / (a (1 - e^2))
    k0: np.ndarray  # e cos(omega) at the run start (circular path)
    h0: np.ndarray  # e sin(omega) + ay at the run start (circular path)
    eccentric: bool  # any satellite with e > 1e-6 (else the cheaper circular path is used)
    #: drag (SGP4's secular polynomials from B*, :func:`orbitcloud.fleet.elements.drag_terms`, with
    #: ``dt0_min`` the minutes from each element epoch to the scenario epoch and ``no_rev`` n / 2 pi);
    #: None without drag (B* = 0 everywhere)
    drag: dict | None = None


def fast_orbits(sl: FleetSlice, jd0: float, fr0: float) -> FastOrbits:
    """Precompute fast-mode constants for a slice, referred to the scenario epoch ``(jd0, fr0)``."""
    rates = secular_rates(sl.no_kozai_rad_min, sl.ecco, sl.inclo_rad)
    # seconds from each satellite's element epoch to the scenario epoch
    dt0_s = ((jd0 - sl.epoch_jd) + (fr0 - sl.epoch_fr)) * 86400.0
    per_s = 1.0 / 60.0 / TWO_PI  # rad/min -> rev/s
    lat_rate = (rates["mdot"] + rates["argpdot"]) * per_s
    node_rate = rates["nodedot"] * per_s
    argp_rate = rates["argpdot"] * per_s
    lat0 = (sl.mo_rad + sl.argpo_rad) / TWO_PI + lat_rate * dt0_s
    node0 = sl.nodeo_rad / TWO_PI + node_rate * dt0_s
    argp0 = sl.argpo_rad / TWO_PI + argp_rate * dt0_s
    # SGP4 floors the propagated eccentricity at 1e-6 (Vallado sgp4: "if em < 1e-6: em = 1e-6")
    ecco = np.maximum(np.asarray(sl.ecco, dtype=np.float64), ECCO_FLOOR)
    temp = 1.0 / (rates["a_er"] * (1.0 - ecco**2))
    argp0_rad = TWO_PI * (argp0 - np.floor(argp0))
    drag = None
    bstar = np.asarray(sl.bstar, dtype=np.float64)
    if np.any(bstar != 0.0):
        from orbitcloud.fleet.elements import drag_terms

        drag = drag_terms(sl.no_kozai_rad_min, sl.ecco, sl.inclo_rad, bstar)
        drag["dt0_min"] = dt0_s / 60.0
        drag["no_rev"] = drag.pop("no") / TWO_PI
        drag["nodecf_rev"] = drag.pop("nodecf") / TWO_PI
        del drag["ao"]
    return FastOrbits(
        a_m=rates["a_er"] * RADIUS_KM * 1000.0,
        cos_i=np.cos(sl.inclo_rad),
        sin_i=np.sin(sl.inclo_rad),
        lat0_rev=lat0 - np.floor(lat0),
        lat_rate_rev_s=lat_rate,
        node0_rev=node0 - np.floor(node0),
        node_rate_rev_s=node_rate,
        argp0_rev=argp0 - np.floor(argp0),
        argp_rate_rev_s=argp_rate,
        ecco=ecco,
        ay=rates["aycof"] * temp,
        xl=rates["xlcof"] * temp,
        k0=ecco * np.cos(argp0_rad),
        h0=ecco * np.sin(argp0_rad) + rates["aycof"] * temp,
        eccentric=bool(np.any(sl.ecco > ECCO_FLOOR)),
        drag=drag,
    )


def sincos_rev(rev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sin and cos of an angle given in revolutions, float32 after float64 range reduction."""
    frac = rev - np.floor(rev)
    ang = np.empty(frac.shape, dtype=np.float32)
    np.multiply(frac, TWO_PI, out=ang, casting="unsafe")
    return np.sin(ang), np.cos(ang)


def _drag_columns(d: dict, idx, t_s):
    """SGP4's drag polynomials at ``t_s`` after the scenario epoch: ``tempa``, the mean-anomaly term
    and the node term in revolutions; ``idx`` None: (n, T) grids, else paired with ``t_s``."""
    from orbitcloud.fleet.elements import drag_tempa, drag_templ

    if idx is None:
        dd = {k: v[:, None] for k, v in d.items()}
        tau = dd["dt0_min"] + np.asarray(t_s, dtype=np.float64).reshape(1, -1) / 60.0
    else:
        dd = {k: v[idx] for k, v in d.items()}
        tau = dd["dt0_min"] + np.asarray(t_s, dtype=np.float64) / 60.0
    tempa = drag_tempa(dd, tau)
    templ_rev = dd["no_rev"] * drag_templ(dd, tau)
    node_rev = dd["nodecf_rev"] * (tau * tau)
    return tempa, templ_rev, node_rev


def fast_ecef_m(
    orb: FastOrbits, t_s: np.ndarray, gmst_rad: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Earth-fixed position components and radius [m], float32 (n, T), ``t_s`` after the scenario epoch.

    Angles are advanced in float64 revolutions and reduced to [0, 1) before the float32 part, so
    the float32 error (< 1 m) does not grow with time.
    """
    f32 = np.float32
    t = np.asarray(t_s, dtype=np.float64)[None, :]
    lat_rev = orb.lat0_rev[:, None] + orb.lat_rate_rev_s[:, None] * t
    tempa = None
    if orb.drag is not None:
        tempa, templ_rev, node_drag_rev = _drag_columns(orb.drag, None, t)
        lat_rev += templ_rev
        del templ_rev
    if orb.eccentric:
        s_w, c_w = sincos_rev(orb.argp0_rev[:, None] + orb.argp_rate_rev_s[:, None] * t)
        e = orb.ecco.astype(f32)[:, None]
        k = e * c_w
        h = e * s_w + orb.ay.astype(f32)[:, None]
        lat_rev = lat_rev + (orb.xl[:, None] / TWO_PI) * k
    sl, cl = sincos_rev(lat_rev)
    del lat_rev
    node_rev = (orb.node0_rev[:, None] + orb.node_rate_rev_s[:, None] * t) - (gmst_rad / TWO_PI)[None, :]
    if tempa is not None:
        node_rev += node_drag_rev
        del node_drag_rev
    so, co = sincos_rev(node_rev)
    del node_rev
    a = orb.a_m.astype(f32)[:, None]
    if tempa is not None:
        a = (orb.a_m[:, None] * (tempa * tempa)).astype(f32)
        del tempa
    if orb.eccentric:
        r = a * (f32(1.0) - k * cl - h * sl)
        delta = f32(2.0) * (k * sl - h * cl)
    else:
        # e at SGP4's 1e-6 floor: its perigee turns by argpdot, but 1e-6 x a is only 7 m, so the
        # e-vector is held at its run-start value (error < 7 m x the perigee turn in radians)
        k = orb.k0.astype(f32)[:, None]
        h = orb.h0.astype(f32)[:, None]
        r = a - (a * k) * cl - (a * h) * sl
        delta = f32(2.0) * (k * sl - h * cl)
    # sin/cos of u = L + delta, to second order in delta
    half_d2 = f32(1.0) - f32(0.5) * delta * delta
    su = sl * half_d2 + delta * cl
    cu = cl * half_d2 - delta * sl
    del delta, half_d2, sl, cl
    rsu = r * su
    rcu = r * cu
    rsu_ci = rsu * orb.cos_i.astype(f32)[:, None]
    x = co * rcu - so * rsu_ci
    y = so * rcu + co * rsu_ci
    z = rsu * orb.sin_i.astype(f32)[:, None]
    return x, y, z, r


def fast_inertial_normal(orb: FastOrbits, t_s: np.ndarray) -> np.ndarray:
    """Unit orbit normal in TEME, shape (n, T, 3), for beta angles."""
    node = TWO_PI * (orb.node0_rev[:, None] + orb.node_rate_rev_s[:, None] * np.asarray(t_s)[None, :])
    out = np.empty(node.shape + (3,))
    out[..., 0] = orb.sin_i[:, None] * np.sin(node)
    out[..., 1] = -orb.sin_i[:, None] * np.cos(node)
    out[..., 2] = orb.cos_i[:, None]
    return out


def fast_ecef_pairs_m(
    orb: FastOrbits, idx: np.ndarray, t_s: np.ndarray, gmst_rad: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Earth-fixed position [m] of satellite ``idx[i]`` at ``t_s[i]`` (paired, arrays of one shape).

    The model of :func:`fast_ecef_m` (the same ``orb``, so the same circular/eccentric branch),
    evaluated in float64 throughout: a smooth function of time for root finding and maxima
    (the float32 grid values differ from it by the float32 rounding, < 1 m).
    """
    idx = np.asarray(idx, dtype=np.int64)
    t = np.asarray(t_s, dtype=np.float64)
    lat_rev = orb.lat0_rev[idx] + orb.lat_rate_rev_s[idx] * t
    tempa = None
    if orb.drag is not None:
        tempa, templ_rev, node_drag_rev = _drag_columns(orb.drag, idx, t)
        lat_rev = lat_rev + templ_rev
    if orb.eccentric:
        w = TWO_PI * (orb.argp0_rev[idx] + orb.argp_rate_rev_s[idx] * t)
        e = orb.ecco[idx]
        k = e * np.cos(w)
        h = e * np.sin(w) + orb.ay[idx]
        lat_rev = lat_rev + (orb.xl[idx] / TWO_PI) * k
    else:
        k = orb.k0[idx]
        h = orb.h0[idx]
    lat = TWO_PI * (lat_rev - np.floor(lat_rev))
    sl, cl = np.sin(lat), np.cos(lat)
    node_rev = (orb.node0_rev[idx] + orb.node_rate_rev_s[idx] * t) - gmst_rad / TWO_PI
    if tempa is not None:
        node_rev = node_rev + node_drag_rev
    node = TWO_PI * (node_rev - np.floor(node_rev))
    so, co = np.sin(node), np.cos(node)
    a = orb.a_m[idx]
    if tempa is not None:
        a = a * (tempa * tempa)
    r = a * (1.0 - k * cl - h * sl)
    delta = 2.0 * (k * sl - h * cl)
    half_d2 = 1.0 - 0.5 * delta * delta
    rsu = r * (sl * half_d2 + delta * cl)
    rcu = r * (cl * half_d2 - delta * sl)
    rsu_ci = rsu * orb.cos_i[idx]
    return co * rcu - so * rsu_ci, so * rcu + co * rsu_ci, rsu * orb.sin_i[idx]


def slice_fast_orbits(orb: FastOrbits, start: int, stop: int) -> FastOrbits:
    """The satellites ``start .. stop - 1`` of ``orb``, keeping its circular/eccentric branch, so a
    block gives the positions the whole fleet's ``orb`` gives (worker-count independence)."""
    return FastOrbits(**{
        f.name: (getattr(orb, f.name) if f.name == "eccentric" or getattr(orb, f.name) is None
                 else {k: v[start:stop] for k, v in orb.drag.items()} if f.name == "drag"
                 else getattr(orb, f.name)[start:stop])
        for f in dataclasses.fields(FastOrbits)
    })


#: d(GMST-82)/dt [rad/s]: 1 + 8640184.812866 s / 36525 days per UT1 day (Vallado Alg. 15).
GMST_RATE_RAD_S = (1.0 + 8640184.812866 / 36525.0 / 86400.0) * TWO_PI / 86400.0


def sgp4_ecef_m(satrec_array, jd: np.ndarray, fr: np.ndarray, gmst_rad: np.ndarray):
    """SGP4 Earth-fixed positions [m] and velocities [m/s], each (n, T): TEME rotated by GMST-82
    (as ``orbitcloud.network.simulate.FleetPositions``, the same operations), velocity
    ``R v_teme + dGMST/dt (y, -x, 0)`` (the derivative of the rotation). NaN where SGP4 fails."""
    _, r_km, v_km_s = sgp4_teme_km(satrec_array, jd, fr)
    c, s = np.cos(gmst_rad), np.sin(gmst_rad)
    rx, ry = r_km[..., 0] * 1000.0, r_km[..., 1] * 1000.0
    x, y, z = c * rx + s * ry, c * ry - s * rx, r_km[..., 2] * 1000.0
    vx, vy = v_km_s[..., 0] * 1000.0, v_km_s[..., 1] * 1000.0
    return x, y, z, c * vx + s * vy + GMST_RATE_RAD_S * y, c * vy - s * vx - GMST_RATE_RAD_S * x, v_km_s[..., 2] * 1000.0
