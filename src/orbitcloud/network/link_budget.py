"""RF link budgets (S, X, Ka band): data rate and margin of a ground link from its geometry.

Everything is SI and vectorised over link-steps (``range_m``, ``elevation_rad`` broadcast together);
see ``docs/link_budget.md`` for the equations, every number's source and a worked example. The optical
budget of inter-satellite links stays in :mod:`orbitcloud.network.links` (:class:`~orbitcloud.network.links.OpticalTerminal`);
optical *ground* links are not modelled (clouds would need a weather model): an optical ground link
keeps the fixed ``ground.downlink_gbps``.

The budget, per CCSDS 401.0-B (Radio frequency and modulation systems, Part 1, 2021) / ECSS-E-ST-50-05C
practice, in dB:

* ``EIRP = 10 log10(P_t) + G_t - L_tx`` with the parabolic-dish gain ``G = eta (pi D / lambda)^2``
  (Balanis, *Antenna Theory*, 4th ed., Wiley 2016, ch. 15, reflector antennas; aperture efficiency ``eta`` 0.55-0.65)
  or a gain given in dBi (patch, helix, horn);
* free-space path loss ``L_fs = 20 log10(4 pi d / lambda)`` (Friis 1946; ITU-R P.525-4, 2019, eq. 6);
* pointing loss ``L_p = 12 (theta_e / theta_3dB)^2`` of each end (the Gaussian main-lobe approximation,
  Wertz & Larson, *Space Mission Analysis and Design*, 3rd ed., 1999, eq. 13-21), with the half-power
  beamwidth ``theta_3dB = 70 lambda / D`` degrees for a dish (SMAD eq. 13-19: 21 / (f_GHz D_m) deg) or,
  for a gain-only antenna, from ``G = 44.3 - 10 log10(theta_3dB_deg^2)`` (SMAD eq. 13-20);
* atmospheric loss (gases, clouds, rain at the stated availability) ``A(el) = A_zenith m(el)`` with the
  air mass of a spherical shell of equivalent height ``H`` over an Earth of effective radius
  ``R_e = 8,500 km``, ``m = (sqrt((R_e + H)^2 - (R_e cos el)^2) - R_e sin el) / H`` -- which is the
  ITU-R P.618-13 (2017) §2.2.1.1 step 2 slant path ``2 H / (sqrt(sin^2 el + 2 H / R_e) + sin el)``
  divided by ``H``: ``1 / sin(el)`` at high elevation, finite (about 53) at the horizon. Zenith values per
  band: :data:`BANDS` (ITU-R P.676-12, 2019, gaseous; ITU-R P.840-8, 2019, clouds; ITU-R P.618-13 rain);
* ``C/N0 = EIRP - L_fs - A - L_p - L_other + G/T - 10 log10(k)``, ``k = 1.380649e-23 J/K``, G/T from a
  datasheet or ``G - 10 log10(T_sys)``;
* ``Es/N0 = C/N0 - 10 log10(R_s)`` at the modem's symbol rate ``R_s = B / (1 + alpha)``;
  ``Eb/N0 = Es/N0 - 10 log10(eta_mc)``;
* adaptive coding and modulation: the highest-efficiency MODCOD of the table (:data:`MODCODS`: DVB-S2,
  ETSI EN 302 307-1 V1.4.1 (2014) Table 13, or the CCSDS 131.0-B concatenated code) whose Es/N0
  threshold plus the required margin is met; rate ``R_s eta_mc`` (capped at the terminal's
  ``max_rate_bps``), margin ``Es/N0 - threshold``; rate 0 where no MODCOD closes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from numbers import Real
from typing import Any

import numpy as np

from orbitcloud.constants import C_M_S, WGS84_A_M

__all__ = [
    "BANDS",
    "BOLTZMANN_DBW_PER_K_HZ",
    "MODCODS",
    "GroundLinkBudget",
    "LinkDirection",
    "RFTerminal",
    "air_mass",
    "atmospheric_loss_db",
    "dish_gain_dbi",
    "free_space_loss_db",
    "pass_mean_rates_bps",
    "pass_rates_bps",
    "pointing_loss_db",
    "rf_rate_bps",
    "terminal",
    "terminal_names",
]

#: 10 log10(k) [dBW/(K Hz)], k = 1.380649e-23 J/K (exact in the SI since 2019).
BOLTZMANN_DBW_PER_K_HZ = 10.0 * math.log10(1.380649e-23)
#: Effective Earth radius of ITU-R P.618-13 §2.2.1.1 (eq. 2) [m].
EFFECTIVE_EARTH_RADIUS_M = 8.5e6

#: Bands: default frequency [Hz] and zenith atmospheric attenuation [dB] (gases + clouds + rain) at a
#: mid-latitude site, with the equivalent height [m] of the slant-path model. Values:
#: S (2.2 GHz): gaseous zenith attenuation about 0.035 dB (ITU-R P.676-12, 2019, Fig. 11, standard
#: atmosphere 7.5 g/m^3), clouds and rain negligible below 3 GHz (ITU-R P.840-8 / P.618-13): 0.04 dB.
#: X (8.2 GHz): gases 0.05 dB (P.676-12 Fig. 11), clouds 0.05 dB (P.840-8, 0.5 kg/m^2 liquid water),
#: rain exceeded 1 % of the year about 0.1 dB at zenith (P.618-13 with P.837-7 R_0.01 = 30 mm/h): 0.2 dB.
#: Ka (26 GHz): gases 0.25 dB (P.676-12, water-vapour line at 22 GHz), clouds 0.5 dB (P.840-8), rain at
#: 1 % about 1.25 dB (P.618-13): 2.0 dB. The X and Ka totals are ASSUMPTION: representative
#: availability-99 % values read from the ITU-R figures, not a site computation; NASA DSN 810-005
#: module 105 (Rev. E, 2000) gives zenith attenuations of the same size at X (0.04-0.12 dB) and Ka
#: (0.3-1.3 dB, 90-99 % weather) for the DSN sites.
BANDS: dict[str, dict[str, float]] = {
    "s": {"frequency_hz": 2.2e9, "zenith_loss_db": 0.04, "height_m": 6000.0},
    "x": {"frequency_hz": 8.2e9, "zenith_loss_db": 0.2, "height_m": 4000.0},
    "ka": {"frequency_hz": 26.0e9, "zenith_loss_db": 2.0, "height_m": 3000.0},
}

#: Modulation-and-coding tables: (name, Es/N0 threshold [dB], spectral efficiency [bit/symbol]).
#: ``dvb-s2``: ETSI EN 302 307-1 V1.4.1 (2014), Table 13 (ideal Es/N0 for quasi-error-free operation,
#: PER 1e-7, normal 64,800-bit FECFRAME, AWGN, no pilots). ``ccsds-conv-rs``: BPSK with the CCSDS
#: concatenated Reed-Solomon (255,223) + rate-1/2 convolutional (7) code, Eb/N0 = 2.5 dB at BER 1e-6
#: (CCSDS 130.1-G-3, TM Synchronization and Channel Coding -- Summary of Concept and Rationale, 2020,
#: §5 figures), efficiency 0.5 * 223/255; Es/N0 = Eb/N0 + 10 log10(eta). Tables are sorted and reduced
#: to the efficient frontier (a MODCOD that needs more Es/N0 for no more bits is dropped) at import.
_DVBS2 = (
    ("QPSK 1/4", -2.35, 0.490243), ("QPSK 1/3", -1.24, 0.656448), ("QPSK 2/5", -0.30, 0.789412),
    ("QPSK 1/2", 1.00, 0.988858), ("QPSK 3/5", 2.23, 1.188304), ("QPSK 2/3", 3.10, 1.322253),
    ("QPSK 3/4", 4.03, 1.487473), ("QPSK 4/5", 4.68, 1.587196), ("QPSK 5/6", 5.18, 1.654663),
    ("QPSK 8/9", 6.20, 1.766451), ("QPSK 9/10", 6.42, 1.788612), ("8PSK 3/5", 5.50, 1.779991),
    ("8PSK 2/3", 6.62, 1.980636), ("8PSK 3/4", 7.91, 2.228124), ("8PSK 5/6", 9.35, 2.478562),
    ("8PSK 8/9", 10.69, 2.646012), ("8PSK 9/10", 10.98, 2.679207), ("16APSK 2/3", 8.97, 2.637201),
    ("16APSK 3/4", 10.21, 2.966728), ("16APSK 4/5", 11.03, 3.165623), ("16APSK 5/6", 11.61, 3.300184),
    ("16APSK 8/9", 12.89, 3.523143), ("16APSK 9/10", 13.13, 3.567342), ("32APSK 3/4", 12.73, 3.703295),
    ("32APSK 4/5", 13.64, 3.951571), ("32APSK 5/6", 14.28, 4.119540), ("32APSK 8/9", 15.69, 4.397854),
    ("32APSK 9/10", 16.05, 4.453027),
)
_CONV_RS_ETA = 0.5 * 223.0 / 255.0
_CCSDS = (("BPSK RS(255,223)+CC(7,1/2)", 2.5 + 10.0 * math.log10(_CONV_RS_ETA), _CONV_RS_ETA),)


def _frontier(table) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    rows = sorted(table, key=lambda r: (r[1], -r[2]))
    keep, best = [], -math.inf
    for r in rows:
        if r[2] > best:
            keep.append(r)
            best = r[2]
    return tuple(r[0] for r in keep), np.array([r[1] for r in keep]), np.array([r[2] for r in keep])


#: name -> (MODCOD names, Es/N0 thresholds [dB] increasing, efficiencies [bit/symbol] increasing).
MODCODS: dict[str, tuple[tuple[str, ...], np.ndarray, np.ndarray]] = {
    "dvb-s2": _frontier(_DVBS2),
    "ccsds-conv-rs": _frontier(_CCSDS),
}


# --- validation ---------------------------------------------------------------------------------------


def _num(name: str, value, unit: str, *, positive: bool = False, allow_negative: bool = False) -> float:
    ok = isinstance(value, (Real, np.floating, np.integer)) and not isinstance(value, (bool, np.bool_))
    if ok:
        v = float(value)
        ok = math.isfinite(v) and (allow_negative or (v > 0.0 if positive else v >= 0.0))
    if not ok:
        what = "a finite" if allow_negative else ("a positive finite" if positive else "a non-negative finite")
        raise ValueError(f"{name} = {value!r}: expected {what} number in {unit}")
    return float(value)


def _array(name: str, value, unit: str, lo: float = 0.0) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64)
    bad = ~(np.isfinite(a) & (a >= lo))
    if np.any(bad):
        v = float(a.ravel()[np.flatnonzero(bad.ravel())[0]])
        raise ValueError(f"{name} = {v!r}: expected finite values >= {lo} in {unit}")
    return a


# --- the pieces ---------------------------------------------------------------------------------------


def free_space_loss_db(range_m, frequency_hz: float) -> np.ndarray:
    """Free-space path loss ``20 log10(4 pi d / lambda)`` [dB] (ITU-R P.525-4 eq. 6)."""
    f = _num("frequency_hz", frequency_hz, "Hz", positive=True)
    d = np.maximum(np.asarray(range_m, dtype=np.float64), 1.0)
    return 20.0 * np.log10(4.0 * math.pi * f / C_M_S) + 20.0 * np.log10(d)


def dish_gain_dbi(diameter_m: float, frequency_hz: float, efficiency: float = 0.55) -> float:
    """On-axis gain of a parabolic dish ``10 log10(eta (pi D / lambda)^2)`` [dBi]."""
    d = _num("dish_diameter_m", diameter_m, "m", positive=True)
    f = _num("frequency_hz", frequency_hz, "Hz", positive=True)
    eta = _num("aperture_efficiency", efficiency, "(0, 1]", positive=True)
    if eta > 1.0:
        raise ValueError(f"aperture_efficiency = {efficiency!r}: expected a fraction in (0, 1]")
    return 10.0 * math.log10(eta * (math.pi * d * f / C_M_S) ** 2)


def pointing_loss_db(error_rad, beamwidth_rad: float) -> np.ndarray:
    """``12 (theta_e / theta_3dB)^2`` [dB] (SMAD eq. 13-21), for errors within the main lobe."""
    bw = _num("beamwidth_rad", beamwidth_rad, "rad", positive=True)
    return 12.0 * (np.asarray(error_rad, dtype=np.float64) / bw) ** 2


def air_mass(elevation_rad, height_m: float = 6000.0) -> np.ndarray:
    """Slant path through a layer of equivalent height ``H`` over the effective Earth, over ``H``.

    ``(sqrt((R_e + H)^2 - (R_e cos el)^2) - R_e sin el) / H`` with ``R_e = 8,500 km`` (ITU-R P.618-13
    §2.2.1.1); elevations below 0 are taken as 0.
    """
    h = _num("height_m", height_m, "m", positive=True)
    el = np.clip(np.asarray(elevation_rad, dtype=np.float64), 0.0, 0.5 * math.pi)
    s = np.sin(el)
    # the cancellation-free form of the same path: 2 H / (sqrt(sin^2 + 2H/R + (H/R)^2) + sin)
    r = EFFECTIVE_EARTH_RADIUS_M
    return 2.0 / (np.sqrt(s * s + 2.0 * h / r + (h / r) ** 2) + s) * (1.0 + 0.5 * h / r)


def atmospheric_loss_db(elevation_rad, band: str | None = None, *, zenith_loss_db: float | None = None,
                        height_m: float | None = None) -> np.ndarray:
    """Atmospheric loss [dB] at ``elevation_rad``: the band's (or the given) zenith loss times :func:`air_mass`."""
    if band is not None:
        b = _band(band)
        z = b["zenith_loss_db"] if zenith_loss_db is None else zenith_loss_db
        h = b["height_m"] if height_m is None else height_m
    else:
        if zenith_loss_db is None:
            raise ValueError("atmospheric_loss_db: give a band or zenith_loss_db")
        z, h = zenith_loss_db, 6000.0 if height_m is None else height_m
    z = _num("zenith_loss_db", z, "dB")
    return z * air_mass(elevation_rad, h)


def _band(band: str) -> dict[str, float]:
    key = str(band).strip().lower()
    if key not in BANDS:
        raise ValueError(f"band = {band!r}: unknown band; known: {', '.join(BANDS)}")
    return BANDS[key]


# --- terminals ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class RFTerminal:
    """One end of an RF link (a spacecraft or ground antenna with its transmitter and receiver).

    ``kind`` "space" or "ground"; ``band`` s / x / ka (:data:`BANDS`); ``frequency_hz`` the frequency it
    transmits at (default: the band's). Antenna: ``gain_dbi`` or ``dish_diameter_m`` with
    ``aperture_efficiency``. Transmit: ``tx_power_w`` (None: receive only), ``tx_losses_db`` (line,
    filter, radome), the modem's ``bandwidth_hz`` with ``roll_off`` and ``modcod`` (:data:`MODCODS`),
    ``max_rate_bps`` (modem cap). Receive: ``g_over_t_dbk`` (datasheet, at the station's reference
    elevation) or ``system_noise_temp_k`` (with the antenna gain at the received frequency). Pointing:
    ``pointing_error_deg`` (0: none, e.g. a nadir or isoflux antenna).
    """

    name: str = "inline"
    kind: str = "space"
    band: str = "x"
    frequency_hz: float | None = None
    gain_dbi: float | None = None
    dish_diameter_m: float | None = None
    aperture_efficiency: float = 0.55
    tx_power_w: float | None = None
    tx_losses_db: float = 0.0
    bandwidth_hz: float | None = None
    roll_off: float = 0.35
    modcod: str = "dvb-s2"
    max_rate_bps: float | None = None
    g_over_t_dbk: float | None = None
    system_noise_temp_k: float | None = None
    pointing_error_deg: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        p = f"terminal {self.name!r}"
        if self.kind not in ("space", "ground"):
            raise ValueError(f"{p}: kind = {self.kind!r}: expected 'space' or 'ground'")
        _band(self.band)
        if self.frequency_hz is not None:
            _num(f"{p}: frequency_hz", self.frequency_hz, "Hz", positive=True)
        if (self.gain_dbi is None) == (self.dish_diameter_m is None):
            raise ValueError(f"{p}: give gain_dbi or dish_diameter_m (exactly one)")
        if self.gain_dbi is not None:
            _num(f"{p}: gain_dbi", self.gain_dbi, "dBi", allow_negative=True)
        else:
            _num(f"{p}: dish_diameter_m", self.dish_diameter_m, "m", positive=True)
        eta = _num(f"{p}: aperture_efficiency", self.aperture_efficiency, "(0, 1]", positive=True)
        if eta > 1.0:
            raise ValueError(f"{p}: aperture_efficiency = {eta!r}: expected a fraction in (0, 1]")
        if self.tx_power_w is not None:
            _num(f"{p}: tx_power_w", self.tx_power_w, "W", positive=True)
            if self.bandwidth_hz is None:
                raise ValueError(f"{p}: a transmitter (tx_power_w) needs bandwidth_hz")
        _num(f"{p}: tx_losses_db", self.tx_losses_db, "dB (a loss, >= 0)")
        if self.bandwidth_hz is not None:
            _num(f"{p}: bandwidth_hz", self.bandwidth_hz, "Hz", positive=True)
        a = _num(f"{p}: roll_off", self.roll_off, "[0, 1]")
        if a > 1.0:
            raise ValueError(f"{p}: roll_off = {a!r}: expected a value in [0, 1]")
        if self.modcod not in MODCODS:
            raise ValueError(f"{p}: modcod = {self.modcod!r}: unknown; known: {', '.join(MODCODS)}")
        if self.max_rate_bps is not None:
            _num(f"{p}: max_rate_bps", self.max_rate_bps, "bit/s", positive=True)
        if self.g_over_t_dbk is not None:
            _num(f"{p}: g_over_t_dbk", self.g_over_t_dbk, "dB/K", allow_negative=True)
        if self.system_noise_temp_k is not None:
            _num(f"{p}: system_noise_temp_k", self.system_noise_temp_k, "K", positive=True)
        e = _num(f"{p}: pointing_error_deg", self.pointing_error_deg, "deg")
        if e > 0.0 and self.beamwidth_rad() <= math.radians(e):
            raise ValueError(f"{p}: pointing_error_deg = {e!r} is not within the half-power beamwidth "
                             f"{math.degrees(self.beamwidth_rad()):.3g} deg")

    @property
    def tx_frequency_hz(self) -> float:
        return float(self.frequency_hz) if self.frequency_hz is not None else BANDS[self.band]["frequency_hz"]

    def gain_at_dbi(self, frequency_hz: float | None = None) -> float:
        """Antenna gain [dBi] at ``frequency_hz`` (default: its transmit frequency)."""
        f = self.tx_frequency_hz if frequency_hz is None else frequency_hz
        if self.gain_dbi is not None:
            return float(self.gain_dbi)
        return dish_gain_dbi(self.dish_diameter_m, f, self.aperture_efficiency)

    def beamwidth_rad(self, frequency_hz: float | None = None) -> float:
        """Half-power beamwidth [rad]: ``70 lambda / D`` deg for a dish, else from ``G = 44.3 - 10 log10(theta^2)``."""
        f = self.tx_frequency_hz if frequency_hz is None else frequency_hz
        if self.dish_diameter_m is not None:
            return math.radians(70.0 * C_M_S / f / self.dish_diameter_m)
        return math.radians(math.sqrt(10.0 ** ((44.3 - float(self.gain_dbi)) / 10.0)))

    def pointing_loss_db(self, frequency_hz: float | None = None) -> float:
        if self.pointing_error_deg <= 0.0:
            return 0.0
        return float(pointing_loss_db(math.radians(self.pointing_error_deg), self.beamwidth_rad(frequency_hz)))

    @property
    def eirp_dbw(self) -> float:
        """``10 log10(P_t) + G_t - L_tx`` [dBW] (ValueError for a receive-only terminal)."""
        if self.tx_power_w is None:
            raise ValueError(f"terminal {self.name!r}: has no transmitter (tx_power_w)")
        return 10.0 * math.log10(self.tx_power_w) + self.gain_at_dbi() - self.tx_losses_db

    def g_over_t_at_dbk(self, frequency_hz: float) -> float:
        """Receive figure of merit [dB/K] at ``frequency_hz``."""
        if self.g_over_t_dbk is not None:
            return float(self.g_over_t_dbk)
        if self.system_noise_temp_k is None:
            raise ValueError(f"terminal {self.name!r}: has no receiver (g_over_t_dbk or system_noise_temp_k)")
        return self.gain_at_dbi(frequency_hz) - 10.0 * math.log10(self.system_noise_temp_k)

    @property
    def symbol_rate_sps(self) -> float:
        if self.bandwidth_hz is None:
            raise ValueError(f"terminal {self.name!r}: has no modem bandwidth_hz")
        return float(self.bandwidth_hz) / (1.0 + self.roll_off)


_FIELDS = {f.name for f in dataclasses.fields(RFTerminal)}


def terminal_names() -> list[str]:
    """Names of the terminals in the ``link_terminals`` catalog."""
    from orbitcloud import catalog

    return catalog.names("link_terminals")


def terminal(spec: str | Mapping[str, Any] | RFTerminal, label: str = "terminal") -> RFTerminal:
    """An :class:`RFTerminal` from a catalog name, a mapping of its fields, or itself.

    A mapping may name a catalog entry as ``base`` and override some of its fields.
    ValueError naming ``label`` and the value for an unknown name or field.
    """
    from orbitcloud import catalog

    if isinstance(spec, RFTerminal):
        return spec
    if isinstance(spec, str):
        fields: dict[str, Any] = {"base": spec}
    elif isinstance(spec, Mapping):
        fields = dict(spec)
    else:
        raise ValueError(f"{label} = {spec!r}: expected a terminal name or a mapping of terminal parameters")
    base = fields.pop("base", None)
    merged: dict[str, Any] = {}
    if base is not None:
        known = catalog.load("link_terminals")
        key = str(base).strip().lower()
        if key not in known:
            raise ValueError(f"{label}: unknown terminal {base!r}; known: {', '.join(sorted(known))}")
        merged = {k: v for k, v in known[key].items() if k in _FIELDS}
        merged["name"] = key
    unknown = sorted(set(fields) - _FIELDS)
    if unknown:
        raise ValueError(f"{label}: unknown terminal parameter {unknown[0]!r}; known: {', '.join(sorted(_FIELDS))}")
    merged.update(fields)
    try:
        return RFTerminal(**merged)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{label}: {exc}") from None


# --- one direction -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LinkDirection:
    """One direction ``tx -> rx`` with the required ``margin_db`` and ``other_losses_db``
    (polarisation, modem implementation loss), and ``atmosphere`` (False: no atmospheric loss, e.g. an
    inter-satellite link). The constant part of the budget is computed once."""

    tx: RFTerminal
    rx: RFTerminal
    margin_db: float = 3.0
    other_losses_db: float = 1.0
    atmosphere: bool = True

    def __post_init__(self) -> None:
        _num("margin_db", self.margin_db, "dB", allow_negative=True)
        _num("other_losses_db", self.other_losses_db, "dB (a loss, >= 0)")
        if self.tx.tx_power_w is None:
            raise ValueError(f"terminal {self.tx.name!r}: used to transmit but has no tx_power_w")
        self.rx.g_over_t_at_dbk(self.tx.tx_frequency_hz)  # raises for a terminal without receiver

    @property
    def frequency_hz(self) -> float:
        return self.tx.tx_frequency_hz

    @property
    def fixed_db(self) -> float:
        """``EIRP - L_p(tx) - L_p(rx) - L_other + G/T - 10 log10 k`` [dB Hz]: C/N0 plus the path losses."""
        f = self.frequency_hz
        return (self.tx.eirp_dbw - self.tx.pointing_loss_db() - self.rx.pointing_loss_db(f) - self.other_losses_db
                + self.rx.g_over_t_at_dbk(f) - BOLTZMANN_DBW_PER_K_HZ)

    def cn0_dbhz(self, range_m, elevation_rad) -> np.ndarray:
        """Carrier-to-noise-density ratio [dB Hz] at ``range_m`` and ``elevation_rad`` (broadcast)."""
        out = self.fixed_db - free_space_loss_db(range_m, self.frequency_hz)
        if self.atmosphere:
            b = BANDS[self.tx.band]
            out = out - b["zenith_loss_db"] * air_mass(elevation_rad, b["height_m"])
        return out

    def rate_bps(self, range_m, elevation_rad) -> tuple[np.ndarray, np.ndarray]:
        """``(rate_bps, margin_db)``: the ACM rate that closes with ``margin_db`` and its margin over the
        chosen MODCOD's threshold (rate 0 and the margin over the lowest MODCOD where none closes)."""
        _, thr, eff = MODCODS[self.tx.modcod]
        rs = self.tx.symbol_rate_sps
        esn0 = self.cn0_dbhz(range_m, elevation_rad) - 10.0 * math.log10(rs)
        idx = np.searchsorted(thr, esn0 - self.margin_db, side="right") - 1
        ok = idx >= 0
        i = np.maximum(idx, 0)
        rate = np.where(ok, eff[i] * rs, 0.0)
        if self.tx.max_rate_bps is not None:
            rate = np.minimum(rate, self.tx.max_rate_bps)
        return rate, esn0 - thr[i]


def rf_rate_bps(tx: RFTerminal | str | Mapping, rx: RFTerminal | str | Mapping, range_m, elevation_rad,
                margin_db: float = 3.0, other_losses_db: float = 1.0, atmosphere: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """ACM data rate [bit/s] and margin [dB] of the link ``tx -> rx`` at ``range_m`` and ``elevation_rad``.

    Terminals are :class:`RFTerminal`, catalog names or mappings (:func:`terminal`). Vectorised: the
    arrays broadcast together; rate 0 where no MODCOD closes with ``margin_db``.
    """
    d = _array("range_m", range_m, "m")
    el = np.asarray(elevation_rad, dtype=np.float64)
    if not np.all(np.isfinite(el)):
        raise ValueError("elevation_rad: expected finite elevations in rad")
    link = LinkDirection(terminal(tx, "tx"), terminal(rx, "rx"), margin_db, other_losses_db, atmosphere)
    return link.rate_bps(d, el)


# --- the ground segment --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class GroundLinkBudget:
    """The downlink (space -> ground) and uplink (ground -> space) budgets of the ground links; a
    direction that is None keeps the fixed rate of the scenario."""

    downlink: LinkDirection | None = None
    uplink: LinkDirection | None = None

    def rates_bps(self, elevation_rad, range_m) -> tuple[np.ndarray | None, np.ndarray | None]:
        """``(downlink_bps, uplink_bps)`` of each link-step (None for a direction without budget)."""
        down = None if self.downlink is None else self.downlink.rate_bps(range_m, elevation_rad)[0]
        up = None if self.uplink is None else self.uplink.rate_bps(range_m, elevation_rad)[0]
        return down, up

    @classmethod
    def from_config(cls, cfg, label: str = "ground.link_budget") -> GroundLinkBudget:
        """From a scenario ``ground.link_budget`` block (duck-typed: ``downlink``/``uplink`` with
        ``space``/``ground`` terminals, ``margin_db``, ``other_losses_db``)."""
        out = {}
        for name in ("downlink", "uplink"):
            d = getattr(cfg, name, None)
            if d is None:
                out[name] = None
                continue
            space = terminal(_plain(d.space), f"{label}.{name}.space")
            ground = terminal(_plain(d.ground), f"{label}.{name}.ground")
            for t, want, key in ((space, "space", "space"), (ground, "ground", "ground")):
                if t.kind != want:
                    raise ValueError(f"{label}.{name}.{key}: terminal {t.name!r} is a {t.kind} terminal; expected a {want} one")
            tx, rx = (space, ground) if name == "downlink" else (ground, space)
            try:
                out[name] = LinkDirection(tx, rx, float(cfg.margin_db), float(cfg.other_losses_db))
            except ValueError as exc:
                raise ValueError(f"{label}.{name}: {exc}") from None
        return cls(**out)


def _plain(value):
    if hasattr(value, "model_dump"):
        return {k: v for k, v in value.model_dump().items() if v is not None}
    return value


# --- passes (TT&C) ------------------------------------------------------------------------------------


def pass_mean_rates_bps(link: LinkDirection, max_elevation_rad, min_elevation_rad, altitude_m,
                        samples: int = 33) -> np.ndarray:
    """Mean ACM rate [bit/s] over a pass (the pass's data volume over its duration).

    The pass of a circular orbit at ``altitude_m`` over a station, culminating at ``max_elevation_rad``
    and bounded by ``min_elevation_rad``: central angle ``lambda(t)`` with ``cos lambda = cos lambda_min
    cos(w t)`` (the spherical right triangle of SMAD §5.4, Earth rotation neglected), sampled at
    ``samples`` times evenly spaced over the pass; range ``sqrt(R^2 + r^2 - 2 R r cos lambda)`` and
    elevation ``atan2(r cos lambda - R, r sin lambda)``. Vectorised over passes.
    """
    el_max = np.asarray(max_elevation_rad, dtype=np.float64)
    el_min = np.broadcast_to(np.asarray(min_elevation_rad, dtype=np.float64), el_max.shape)
    h = np.broadcast_to(np.asarray(altitude_m, dtype=np.float64), el_max.shape)
    R = WGS84_A_M
    r = R + np.maximum(h, 1.0)

    def central(el):
        return np.arccos(np.clip(R * np.cos(el) / r, -1.0, 1.0)) - el

    lam_min = central(np.maximum(el_max, el_min))
    lam_edge = central(np.minimum(el_min, el_max))
    half = np.arccos(np.clip(np.cos(lam_edge) / np.cos(lam_min), -1.0, 1.0))
    u = np.linspace(-1.0, 1.0, samples)
    lam = np.arccos(np.clip(np.cos(lam_min)[..., None] * np.cos(half[..., None] * u), -1.0, 1.0))
    rr = r[..., None]
    rng = np.sqrt(R * R + rr * rr - 2.0 * R * rr * np.cos(lam))
    el = np.arctan2(rr * np.cos(lam) - R, rr * np.sin(lam))
    rate, _ = link.rate_bps(rng, el)
    w = np.ones(samples)
    w[0] = w[-1] = 0.5  # trapezoid in time
    return (rate * w).sum(axis=-1) / w.sum()


def pass_rates_bps(budget: GroundLinkBudget, contacts, net, altitude_m) -> tuple[np.ndarray, np.ndarray]:
    """``(uplink_bps, downlink_bps)`` of each pass of a TT&C contact plan: the pass-mean ACM rates
    (:func:`pass_mean_rates_bps`) of the budgeted directions, from each pass's peak elevation
    (``contacts.max_elevation_deg``), its station's elevation mask (``net.min_elevation_deg``) and
    its satellite's altitude (``altitude_m``, per satellite); a direction without budget keeps the
    station's fixed rate (``net.uplink_bps`` / ``net.downlink_bps``)."""
    st = np.asarray(contacts.station, dtype=np.int64)
    sat = np.asarray(contacts.sat, dtype=np.int64)
    up = np.asarray(net.uplink_bps, dtype=np.float64)[st]
    down = np.asarray(net.downlink_bps, dtype=np.float64)[st]
    if st.size == 0:
        return up, down
    el_max = np.radians(np.asarray(contacts.max_elevation_deg, dtype=np.float64))
    el_min = np.radians(np.asarray(net.min_elevation_deg, dtype=np.float64)[st])
    h = np.asarray(altitude_m, dtype=np.float64)[sat]
    if budget.uplink is not None:
        up = pass_mean_rates_bps(budget.uplink, el_max, el_min, h)
    if budget.downlink is not None:
        down = pass_mean_rates_bps(budget.downlink, el_max, el_min, h)
    return up, down
