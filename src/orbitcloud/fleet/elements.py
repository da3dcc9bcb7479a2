"""Mean orbital elements in SGP4's theory, vectorised over satellites.

Designed shells are described by SGP4 (Brouwer) mean elements so that the reference propagator
(``sgp4``) and the fast analytic one share the same orbit. This module holds the pieces of SGP4's
initialisation needed for that, ported from Vallado's ``initl``/``sgp4init`` (Vallado, Crawford,
Hujsak & Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753; python-sgp4 ``propagation.py``),
as numpy functions over arrays:

* Kozai <-> Brouwer ("un-Kozai") mean motion,
* the secular rates of mean anomaly, argument of perigee and node (J2, J2^2 and J4 terms),
* the J3 long-period coefficients ``aycof`` and ``xlcof``.

Units follow SGP4 inside this module: Earth radii (WGS-72, 6378.135 km) and radians per minute.
Tests compare every function with the attributes of ``sgp4.api.Satrec`` objects.
"""

from __future__ import annotations

import numpy as np

from orbitcloud.constants import WGS72_MU_KM3_S2, WGS72_RADIUS_KM

#: SGP4 WGS-72 constants (Vallado 2006, ``getgravconst('wgs72')``).
RADIUS_KM = WGS72_RADIUS_KM
XKE = 60.0 / np.sqrt(RADIUS_KM**3 / WGS72_MU_KM3_S2)  # sqrt(mu) in earth radii^1.5 per minute
J2 = 0.001082616
J3 = -0.00000253881
J4 = -0.00000165597
J3OJ2 = J3 / J2
_X2O3 = 2.0 / 3.0


def _delta(no_kozai: np.ndarray, ecco: np.ndarray, cosio: np.ndarray) -> np.ndarray:
    omeosq = 1.0 - ecco * ecco
    rteosq = np.sqrt(omeosq)
    ak = (XKE / no_kozai) ** _X2O3
    d1 = 0.75 * J2 * (3.0 * cosio * cosio - 1.0) / (rteosq * omeosq)
    del_ = d1 / (ak * ak)
    adel = ak * (1.0 - del_ * del_ - del_ * (1.0 / 3.0 + 134.0 * del_ * del_ / 81.0))
    return d1 / (adel * adel)


def unkozai(no_kozai: np.ndarray, ecco: np.ndarray, inclo: np.ndarray) -> np.ndarray:
    """Brouwer mean motion [rad/min] from the Kozai mean motion of a TLE (SGP4 ``initl``)."""
    no_kozai = np.asarray(no_kozai, dtype=np.float64)
    return no_kozai / (1.0 + _delta(no_kozai, np.asarray(ecco, float), np.cos(inclo)))


def kozai_from_brouwer(no_unkozai: np.ndarray, ecco: np.ndarray, inclo: np.ndarray) -> np.ndarray:
    """Kozai mean motion [rad/min] whose SGP4 un-Kozai'd value is ``no_unkozai`` (fixed point)."""
    no_unkozai = np.asarray(no_unkozai, dtype=np.float64)
    ecco = np.asarray(ecco, dtype=np.float64)
    cosio = np.cos(inclo)
    no_kozai = no_unkozai.copy()
    for _ in range(30):
        new = no_unkozai * (1.0 + _delta(no_kozai, ecco, cosio))
        if np.all(np.abs(new - no_kozai) <= 1e-15 * no_kozai):
            return new
        no_kozai = new
    return no_kozai


def brouwer_mean_motion(a_km: np.ndarray) -> np.ndarray:
    """Mean motion [rad/min] of SGP4's mean semi-major axis ``a_km`` (WGS-72 constants)."""
    return XKE / (np.asarray(a_km, dtype=np.float64) / RADIUS_KM) ** 1.5


def secular_rates(no_kozai: np.ndarray, ecco: np.ndarray, inclo: np.ndarray) -> dict[str, np.ndarray]:
    """SGP4's secular rates without drag, as in ``sgp4init``.

    Returns a dict of arrays: ``no_unkozai``, ``mdot``, ``argpdot``, ``nodedot`` [rad/min],
    ``a_er`` (mean semi-major axis [Earth radii]), ``aycof`` and ``xlcof`` (J3 long-period terms).
    """
    no_kozai = np.asarray(no_kozai, dtype=np.float64)
    ecco = np.asarray(ecco, dtype=np.float64)
    inclo = np.asarray(inclo, dtype=np.float64)
    cosio = np.cos(inclo)
    sinio = np.sin(inclo)
    cosio2 = cosio * cosio
    cosio4 = cosio2 * cosio2
    omeosq = 1.0 - ecco * ecco
    rteosq = np.sqrt(omeosq)
    no = no_kozai / (1.0 + _delta(no_kozai, ecco, cosio))
    ao = (XKE / no) ** _X2O3
    po = ao * omeosq
    con42 = 1.0 - 5.0 * cosio2
    con41 = -con42 - cosio2 - cosio2
    pinvsq = 1.0 / (po * po)
    temp1 = 1.5 * J2 * pinvsq * no
    temp2 = 0.5 * temp1 * J2 * pinvsq
    temp3 = -0.46875 * J4 * pinvsq * pinvsq * no
    mdot = (
        no
        + 0.5 * temp1 * rteosq * con41
        + 0.0625 * temp2 * rteosq * (13.0 - 78.0 * cosio2 + 137.0 * cosio4)
    )
    argpdot = (
        -0.5 * temp1 * con42
        + 0.0625 * temp2 * (7.0 - 114.0 * cosio2 + 395.0 * cosio4)
        + temp3 * (3.0 - 36.0 * cosio2 + 49.0 * cosio4)
    )
    xhdot1 = -temp1 * cosio
    nodedot = xhdot1 + (0.5 * temp2 * (4.0 - 19.0 * cosio2) + 2.0 * temp3 * (3.0 - 7.0 * cosio2)) * cosio
    # J3 long-period coefficients; SGP4 guards the 1 + cos i singularity at i = 180 deg.
    denom = np.where(np.abs(cosio + 1.0) > 1.5e-12, 1.0 + cosio, 1.5e-12)
    xlcof = -0.25 * J3OJ2 * sinio * (3.0 + 5.0 * cosio) / denom
    aycof = -0.5 * J3OJ2 * sinio
    return {
        "no_unkozai": no,
        "a_er": ao,
        "mdot": mdot,
        "argpdot": argpdot,
        "nodedot": nodedot,
        "aycof": aycof,
        "xlcof": xlcof,
    }


def sso_inclination_rad(a_km: np.ndarray, ecco: np.ndarray | float = 0.0, node_rate_rad_s: float | None = None) -> np.ndarray:
    """Sun-synchronous inclination [rad] for SGP4 mean semi-major axis ``a_km``.

    Starts from the first-order J2 closed form cos i = -dOmega/dt / (1.5 n J2 (R/p)^2) and refines
    with SGP4's full secular node rate (J2, J2^2, J4) by Newton steps, so that SGP4 and the fast
    propagator precess the node at exactly 360 deg per tropical year.
    """
    from orbitcloud.constants import SSO_NODE_RATE_RAD_S

    rate_rad_min = (SSO_NODE_RATE_RAD_S if node_rate_rad_s is None else node_rate_rad_s) * 60.0
    a_km = np.asarray(a_km, dtype=np.float64)
    ecco = np.broadcast_to(np.asarray(ecco, dtype=np.float64), a_km.shape)
    n = brouwer_mean_motion(a_km)
    p_er = a_km / RADIUS_KM * (1.0 - ecco**2)
    cos_i = np.clip(-rate_rad_min / (1.5 * n * J2 / p_er**2), -1.0, 1.0)
    inc = np.arccos(cos_i)
    for _ in range(8):
        no_kozai = kozai_from_brouwer(n, ecco, inc)
        f = secular_rates(no_kozai, ecco, inc)["nodedot"] - rate_rad_min
        h = 1e-7
        no_kozai_h = kozai_from_brouwer(n, ecco, inc + h)
        df = (secular_rates(no_kozai_h, ecco, inc + h)["nodedot"] - rate_rad_min - f) / h
        step = f / df
        inc = inc - step
        if np.all(np.abs(step) < 1e-14):
            break
    return inc


def _drag_geometry(no_kozai, ecco, inclo):
    """The pieces of ``sgp4init`` behind its drag terms: Brouwer n, a, tsi, sfour, coef1, C2, the
    node-drag factor and whether SGP4 uses its simple drag (perigee below 220 km)."""
    no_kozai = np.asarray(no_kozai, dtype=np.float64)
    ecco = np.asarray(ecco, dtype=np.float64)
    inclo = np.asarray(inclo, dtype=np.float64)
    cosio = np.cos(inclo)
    cosio2 = cosio * cosio
    omeosq = 1.0 - ecco * ecco
    no = no_kozai / (1.0 + _delta(no_kozai, ecco, cosio))
    ao = (XKE / no) ** _X2O3
    rp = ao * (1.0 - ecco)
    con41 = -(1.0 - 5.0 * cosio2) - cosio2 - cosio2
    perige = (rp - 1.0) * RADIUS_KM
    sfour_km = np.where(perige < 156.0, np.where(perige < 98.0, 20.0, perige - 78.0), 78.0)
    qzms24 = ((120.0 - sfour_km) / RADIUS_KM) ** 4
    sfour = sfour_km / RADIUS_KM + 1.0
    tsi = 1.0 / (ao - sfour)
    eta = ao * ecco * tsi
    etasq = eta * eta
    eeta = ecco * eta
    psisq = np.abs(1.0 - etasq)
    coef = qzms24 * tsi**4
    coef1 = coef / psisq**3.5
    c2 = coef1 * no * (ao * (1.0 + 1.5 * etasq + eeta * (4.0 + etasq)) + 0.375 * J2 * tsi / psisq * con41 * (8.0 + 3.0 * etasq * (8.0 + etasq)))
    po = ao * omeosq
    xhdot1 = -1.5 * J2 / (po * po) * no * cosio
    simple = rp < 220.0 / RADIUS_KM + 1.0
    return dict(no=no, ao=ao, tsi=tsi, sfour=sfour, c2=c2, nodecf_per_c1=3.5 * omeosq * xhdot1, simple=simple)


def drag_c2(no_kozai: np.ndarray, ecco: np.ndarray, inclo: np.ndarray) -> np.ndarray:
    """SGP4's drag coefficient per unit B*: ``cc1 = bstar * drag_c2`` (``sgp4init``, near-Earth).

    SGP4's atmosphere is the power law ``rho ∝ ((q0 - s) / (r - s))^4`` with q0 = 120 km and
    s = 78 km above the surface, lowered for perigees below 156 km as in ``sgp4init``.
    ``tests/ephemeris/test_fast_drag.py`` compares this with ``Satrec.cc1``.
    """
    return _drag_geometry(no_kozai, ecco, inclo)["c2"]


def drag_terms(no_kozai: np.ndarray, ecco: np.ndarray, inclo: np.ndarray, bstar: np.ndarray) -> dict[str, np.ndarray]:
    """SGP4's secular drag polynomials (``sgp4init``/``sgp4``, near-Earth), per satellite:

    * mean semi-major axis ``a = ao * tempa^2``, ``tempa = 1 - C1 t - D2 t^2 - D3 t^3 - D4 t^4``;
    * mean anomaly ``+ n * (t2cof t^2 + t3cof t^3 + t^4 (t4cof + t t5cof))``;
    * node ``+ nodecf t^2``;

    ``t`` in minutes from the element epoch; D2..D4 and t3cof..t5cof are zero where SGP4 uses its
    simple drag (perigee below 220 km). The eccentricity terms (cc4, cc5, omgcof, xmcof) are left out
    (they vanish for near-circular orbits). Returns ``no`` [rad/min], ``ao`` [Earth radii] and the
    coefficients; ``tests/ephemeris/test_fast_drag.py`` compares them with ``Satrec``.
    """
    g = _drag_geometry(no_kozai, ecco, inclo)
    c1 = np.asarray(bstar, dtype=np.float64) * g["c2"]
    ao, tsi, sfour = g["ao"], g["tsi"], g["sfour"]
    full = ~g["simple"]
    c1sq = c1 * c1
    d2 = np.where(full, 4.0 * ao * tsi * c1sq, 0.0)
    temp = d2 * tsi * c1 / 3.0
    d3 = (17.0 * ao + sfour) * temp
    d4 = 0.5 * temp * ao * tsi * (221.0 * ao + 31.0 * sfour) * c1
    t3cof = np.where(full, d2 + 2.0 * c1sq, 0.0)
    t4cof = np.where(full, 0.25 * (3.0 * d3 + c1 * (12.0 * d2 + 10.0 * c1sq)), 0.0)
    t5cof = np.where(full, 0.2 * (3.0 * d4 + 12.0 * c1 * d3 + 6.0 * d2 * d2 + 15.0 * c1sq * (2.0 * d2 + c1sq)), 0.0)
    return dict(no=g["no"], ao=ao, c1=c1, d2=d2, d3=d3, d4=d4, t2cof=1.5 * c1, t3cof=t3cof, t4cof=t4cof, t5cof=t5cof,
                nodecf=g["nodecf_per_c1"] * c1)


def drag_tempa(d: dict, t_min):
    """SGP4's ``tempa(t)`` (``a = ao tempa^2``) for :func:`drag_terms` ``d``; ``t_min`` broadcasts."""
    t = t_min
    return 1.0 - t * (d["c1"] + t * (d["d2"] + t * (d["d3"] + t * d["d4"])))


def drag_templ(d: dict, t_min):
    """SGP4's mean-anomaly drag term ``templ(t)`` [rad per rad/min of n] for :func:`drag_terms` ``d``."""
    t = t_min
    return t * t * (d["t2cof"] + t * (d["t3cof"] + t * (d["t4cof"] + t * d["t5cof"])))
