"""Li-ion battery ageing: capacity fade from cycling (depth of discharge) and calendar time.

Summary
-------
A battery that is drained every eclipse (about 5,500 cycles a year in LEO) pays for it in capacity. This
module holds the semi-empirical model of Xu et al. (2018) and a streaming, vectorised counter that turns
a battery's state of charge, one time step at a time, into that model's damage and remaining capacity.
Parameters are data: ``src/orbitcloud/catalog/battery_ageing.yaml`` (one entry per model, each with its
``source`` and the reference ``points`` that ``tests/bus/test_ageing.py`` checks). The docs page is
``docs/power.md``, section "Battery ageing".

Model (Xu, Oudalov, Ulbig, Andersson & Kirschen, "Modeling of Lithium-Ion Battery Degradation for Cell
Life Assessment", IEEE Trans. Smart Grid 9(2):1131-1140, 2018)
-------------------------------------------------------------------------------------------------------
Stress factors, for a cycle of depth ``d`` [fraction of capacity], mean state of charge ``s`` and mean
cell temperature ``T`` [K]::

    S_d(d) = (k_d1 d^k_d2 + k_d3)^-1              damage of one full cycle at the reference state
    S_s(s) = exp(k_s (s - s_ref))                 state-of-charge stress
    S_T(T) = exp(k_T (T - T_ref) T_ref / T)       temperature stress (Arrhenius-type, T in kelvin)
    S_t(t) = k_t t                                calendar stress, t [s]

Linearised damage: each cycle ``i`` found by cycle counting adds ``n_i S_d(d_i) S_s(s_i) S_T(T_i)``
(``n_i`` = 1 for a full cycle, 0.5 for a half cycle); time adds the calendar term. This module writes the
calendar term in rate form, ``f_cal = sum_k k_t dt S_s(s_k) S_T(T_k)`` over time steps (identical to the
paper's ``S_t(t) S_s(s_avg) S_T(T_avg)`` under constant conditions; under a SoC swing the mean of the
exponential exceeds the exponential of the mean, by 0.6 % for a 0.7-1.0 LEO swing)::

    f_d = f_cyc + f_cal
    remaining capacity  C/C0 = 1 - L = a_sei exp(-b_sei f_d) + (1 - a_sei) exp(-f_d)

The first term is the fast early loss to SEI film formation (a_sei of the capacity, at rate b_sei), the
second the slow loss that follows. With the paper's LMO parameters: 2,790 cycles at 100 % DoD and
21,800 at 30 % DoD to 80 % capacity (25 C, mean SoC 50 %, no calendar time); storage alone at 25 C and
50 % SoC leaves 94.2 % after one year.

Fade attributed to cycling and to calendar (``stats``) splits L in proportion to ``f_cyc`` and ``f_cal``.

Cycle counting (streaming half cycles)
--------------------------------------
Per battery, a reversal counter with hysteresis ``h`` (default :data:`HYSTERESIS` = 0.01 of capacity):
the state of charge is rising or falling from the last reversal; the running extreme is tracked; when
the state of charge comes back by at least ``h`` from the extreme, the extreme is a reversal and the
half cycle from the previous reversal to it is counted: depth ``|s_ext - s_rev|``, mean state of charge
``(s_ext + s_rev) / 2`` (rainflow's mean), mean temperature the time average from the previous
reversal to the extreme. It adds ``0.5 S_d S_s S_T`` to ``f_cyc``. Swings smaller than ``h`` (noise) are
not counted as cycles (they still count in charge throughput and calendar time). The half cycle in
progress is included, provisionally, in :meth:`AgeingState.capacity_fraction` and :meth:`AgeingState.stats`.
For a regular profile (every LEO orbit alike) this equals rainflow counting; for an irregular one it
counts a large swing interrupted by a smaller one (> h) as two half cycles of partial depth where
rainflow (ASTM E1049) pairs the large range with itself: with S_d convex in d this under-counts damage.

Equivalent full cycles = charge throughput / (2 x capacity) = ``sum |delta s| / 2``.

Assumptions and limits
----------------------
- One published parameter set (an LMO/graphite commercial cell). Space cells (NMC/NCA, designed for
  30,000-40,000 LEO cycles) age differently; the model is a stand-in until a space-cell fit exists.
- No C-rate stress, no lithium plating at low temperature (cold cells age *slower* in this model, which
  is wrong below about 10 C for fast charging), no resistance growth, no knee beyond the SEI form.
- State of charge is relative to the battery's present capacity (the caller's convention).

Shapes: arrays are ``(n,)`` over batteries, time chunks ``(T, n)``; no Python loop over batteries.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

import numpy as np

from orbitcloud.errors import OrbitcloudError

__all__ = [
    "DEFAULT_MODEL",
    "HYSTERESIS",
    "AgeingModel",
    "AgeingState",
    "ageing_model",
    "ageing_model_names",
    "fade_for_protocol",
]

#: The model used when none is named.
DEFAULT_MODEL = "xu2018-lmo"
#: Default hysteresis of the half-cycle counter [fraction of capacity]. ASSUMPTION (orbitcloud's
#: choice): 1 % of capacity, above telemetry/load noise, far below an eclipse's 20-80 % swing.
HYSTERESIS = 0.01
DAY_S = 86400.0
ZERO_C_K = 273.15

_FIELDS = ("k_delta1", "k_delta2", "k_delta3", "k_sigma", "sigma_ref", "k_temp_per_k", "temp_ref_k",
           "k_cal_per_s", "alpha_sei", "beta_sei")


@dataclasses.dataclass(frozen=True)
class AgeingModel:
    """Parameters of the Xu et al. (2018) capacity-fade model (see the module docstring).

    Attributes:
        name, label: catalog key and description.
        k_delta1, k_delta2, k_delta3: depth-of-discharge stress ``S_d(d) = 1 / (k1 d^k2 + k3)`` [per cycle].
        k_sigma, sigma_ref: state-of-charge stress ``exp(k_sigma (s - sigma_ref))`` [-].
        k_temp_per_k, temp_ref_k: temperature stress ``exp(k_T (T - T_ref) T_ref / T)`` [1/K, K].
        k_cal_per_s: calendar stress ``k_t t`` [1/s].
        alpha_sei, beta_sei: SEI two-term life model [-].
        source: where the numbers come from (catalog ``source``).
    """

    name: str
    label: str
    k_delta1: float
    k_delta2: float
    k_delta3: float
    k_sigma: float
    sigma_ref: float
    k_temp_per_k: float
    temp_ref_k: float
    k_cal_per_s: float
    alpha_sei: float
    beta_sei: float
    source: str

    # -- stress factors (numpy, broadcasting) ------------------------------------------------------

    def stress_dod(self, dod):
        """Damage of one full cycle of depth ``dod`` [0..1] at the reference state; 0 for ``dod`` = 0."""
        d = np.asarray(dod, dtype=np.float64)
        pos = d > 0.0
        safe = np.where(pos, d, 1.0)
        return np.where(pos, 1.0 / (self.k_delta1 * safe**self.k_delta2 + self.k_delta3), 0.0)

    def stress_soc(self, soc):
        """State-of-charge stress factor [-] at mean state of charge ``soc`` [0..1]."""
        return np.exp(self.k_sigma * (np.asarray(soc, dtype=np.float64) - self.sigma_ref))

    def stress_temp(self, temp_k):
        """Temperature stress factor [-] at cell temperature ``temp_k`` [K]."""
        t = np.asarray(temp_k, dtype=np.float64)
        return np.exp(self.k_temp_per_k * (t - self.temp_ref_k) * (self.temp_ref_k / t))

    def capacity_from_damage(self, damage):
        """Remaining capacity fraction ``a exp(-b f) + (1 - a) exp(-f)`` for linearised damage ``f`` [-]."""
        f = np.asarray(damage, dtype=np.float64)
        return self.alpha_sei * np.exp(-self.beta_sei * f) + (1.0 - self.alpha_sei) * np.exp(-f)

    def fade(self, cycle_stress, calendar_s=0.0, soc_mean=None, temp_k=None):
        """Remaining capacity fraction (1.0 new) after cycling and storage.

        Args:
            cycle_stress: linearised cycle damage ``sum_i n_i S_d(d_i) S_s(s_i) S_T(T_i)`` [-].
            calendar_s: elapsed time [s].
            soc_mean: time-average state of charge for the calendar term [0..1] (default ``sigma_ref``).
            temp_k: time-average cell temperature for the calendar term [K] (default ``temp_ref_k``).
        """
        s = self.sigma_ref if soc_mean is None else soc_mean
        t = self.temp_ref_k if temp_k is None else temp_k
        f_cal = self.k_cal_per_s * np.asarray(calendar_s, dtype=np.float64) * self.stress_soc(s) * self.stress_temp(t)
        return self.capacity_from_damage(np.asarray(cycle_stress, dtype=np.float64) + f_cal)


# --------------------------------------------------------------------------------------------------
# catalog
# --------------------------------------------------------------------------------------------------


def _model_from_entry(name: str, e: dict[str, Any]) -> AgeingModel:
    missing = [k for k in _FIELDS if k not in e]
    if missing:
        raise RuntimeError(f"catalog battery_ageing.yaml: {name}: missing {', '.join(missing)}")  # packaging bug
    vals = {k: float(e[k]) for k in _FIELDS}
    m = AgeingModel(name=name, label=str(e.get("label", name)), source=str(e["source"]), **vals)
    if not (m.k_delta1 + m.k_delta3 > 0 and m.temp_ref_k > 0 and 0 <= m.alpha_sei <= 1 and m.k_cal_per_s >= 0):
        raise RuntimeError(f"catalog battery_ageing.yaml: {name}: parameters out of range")  # packaging bug
    return m


@functools.cache
def _models() -> dict[str, AgeingModel]:
    from orbitcloud.catalog import _load

    raw = _load("battery_ageing")
    return {k: _model_from_entry(k, v) for k, v in raw.items() if isinstance(v, dict) and "points" in v}


def ageing_model_names() -> list[str]:
    """The names of the shipped ageing models (``battery_ageing.yaml``), sorted."""
    return sorted(_models())


def ageing_model(name: str = DEFAULT_MODEL) -> AgeingModel:
    """The ageing model ``name``; an unknown name raises :class:`OrbitcloudError` listing the known ones."""
    models = _models()
    if name not in models:
        raise OrbitcloudError(f"unknown battery ageing model {name!r}; known: {', '.join(sorted(models))}")
    return models[name]


def _as_model(model: AgeingModel | str) -> AgeingModel:
    return ageing_model(model) if isinstance(model, str) else model


# --------------------------------------------------------------------------------------------------
# regular protocol (closed form)
# --------------------------------------------------------------------------------------------------


def fade_for_protocol(model: AgeingModel | str, dod, cycles, mean_soc=None, temp_k=None, days=0.0):
    """Remaining capacity fraction after ``cycles`` full cycles of depth ``dod`` about ``mean_soc`` at
    ``temp_k``, over ``days`` of elapsed time (the calendar term at the same mean state and temperature).

    All arguments broadcast (numpy). ``dod`` [0..1], ``cycles`` [-] >= 0, ``mean_soc`` [0..1] (default the
    model's ``sigma_ref``) with ``mean_soc +- dod/2`` inside [0, 1], ``temp_k`` [K] > 0 (default the
    model's ``temp_ref_k``), ``days`` >= 0. Bad values raise :class:`OrbitcloudError`.
    """
    m = _as_model(model)
    d = np.asarray(dod, dtype=np.float64)
    n = np.asarray(cycles, dtype=np.float64)
    s = np.asarray(m.sigma_ref if mean_soc is None else mean_soc, dtype=np.float64)
    t = np.asarray(m.temp_ref_k if temp_k is None else temp_k, dtype=np.float64)
    days_a = np.asarray(days, dtype=np.float64)
    if not (np.all(np.isfinite(d)) and np.all((d >= 0) & (d <= 1))):
        raise OrbitcloudError(f"fade_for_protocol: dod must be in [0, 1], got {d}")
    if not (np.all(np.isfinite(n)) and np.all(n >= 0)):
        raise OrbitcloudError(f"fade_for_protocol: cycles must be >= 0, got {n}")
    if not (np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= 1))):
        raise OrbitcloudError(f"fade_for_protocol: mean_soc must be in [0, 1], got {s}")
    if np.any(d / 2 > np.minimum(s, 1 - s) + 1e-12):
        raise OrbitcloudError(f"fade_for_protocol: a cycle of depth {d} about mean state of charge {s} leaves [0, 1]")
    if not (np.all(np.isfinite(t)) and np.all(t > 0)):
        raise OrbitcloudError(f"fade_for_protocol: temp_k must be a temperature in kelvin > 0, got {t}")
    if not (np.all(np.isfinite(days_a)) and np.all(days_a >= 0)):
        raise OrbitcloudError(f"fade_for_protocol: days must be >= 0, got {days_a}")
    stress = m.stress_soc(s) * m.stress_temp(t)
    f = n * m.stress_dod(d) * stress + m.k_cal_per_s * days_a * DAY_S * stress
    return m.capacity_from_damage(f)


# --------------------------------------------------------------------------------------------------
# streaming state
# --------------------------------------------------------------------------------------------------


class AgeingState:
    """Struct of arrays over n batteries: streaming half-cycle counting, calendar time, damage.

    Args:
        model: an :class:`AgeingModel` (or its name).
        soc0: initial state of charge (n,) [0..1].
        temp_k0: initial cell temperature [K], scalar or (n,): the temperature of a half cycle that has
            no time in it yet.
        hysteresis: smallest swing counted as a reversal [fraction of capacity] (> 0).

    :meth:`step` advances one time step; :meth:`steps` a ``(T, n)`` chunk with the identical operations,
    so results do not depend on chunking (bit for bit).
    """

    def __init__(self, model: AgeingModel | str, soc0, temp_k0=293.15, hysteresis: float = HYSTERESIS) -> None:
        self.model = _as_model(model)
        soc = np.array(soc0, dtype=np.float64, copy=True)
        if soc.ndim == 0:
            soc = soc.reshape(1)
        if soc.ndim != 1:
            raise OrbitcloudError(f"AgeingState: soc0 must be one value per battery (n,), got shape {soc.shape}")
        self.n = n = soc.size
        _check_soc(soc, "AgeingState: soc0")
        h = float(hysteresis)
        if not (math.isfinite(h) and 0.0 < h < 1.0):
            raise OrbitcloudError(f"AgeingState: hysteresis must be in (0, 1), got {hysteresis!r}")
        self.hysteresis = h
        tk = self._temps(temp_k0, "AgeingState: temp_k0")
        self._dir = np.zeros(n)  # +1 rising, -1 falling, 0 not yet moved by h
        self._soc_prev = soc.copy()  # last sample
        self._soc_rev = soc.copy()  # last reversal (start of the half cycle in progress)
        self._soc_ext = soc.copy()  # running extreme of the half cycle in progress
        self._th_sum = np.zeros(n)  # sum T dt from the last reversal to the extreme [K s]
        self._th_dt = np.zeros(n)  # sum dt from the last reversal to the extreme [s]
        self._tp_sum = np.zeros(n)  # sum T dt since the extreme [K s]
        self._tp_dt = np.zeros(n)  # sum dt since the extreme [s]
        self._temp_last = tk.copy()  # fallback temperature of an empty half cycle [K]
        self._f_cyc = np.zeros(n)  # cycle damage of the counted half cycles [-]
        self._f_cal = np.zeros(n)  # calendar damage [-]
        self._n_half = np.zeros(n, np.int64)  # counted half cycles
        self._dod_sum = np.zeros(n)  # sum of their depths
        self._throughput = np.zeros(n)  # sum |delta soc|
        self._temp_int = np.zeros(n)  # sum T dt [K s]
        self._t_s = 0.0  # elapsed time [s]

    # -- input checks ------------------------------------------------------------------------------

    def _temps(self, temp_k, where: str) -> np.ndarray:
        t = np.asarray(temp_k, dtype=np.float64)
        if t.ndim == 0:
            t = np.full(self.n, float(t))
        elif t.shape != (self.n,):
            raise OrbitcloudError(f"{where}: temperature must be a scalar or (n,) = ({self.n},), got shape {t.shape}")
        if not (np.all(np.isfinite(t)) and np.all(t > 0.0)):
            bad = t[~(np.isfinite(t) & (t > 0.0))]
            raise OrbitcloudError(f"{where}: temperature must be in kelvin (> 0), got {bad.flat[0]!r}")
        return t

    @staticmethod
    def _dt(dt_s) -> float:
        dt = float(dt_s)
        if not (math.isfinite(dt) and dt >= 0.0):
            raise OrbitcloudError(f"AgeingState: dt_s must be a time step >= 0 s, got {dt_s!r}")
        return dt

    # -- stepping ----------------------------------------------------------------------------------

    def step(self, soc, temp_k, dt_s: float) -> None:
        """Advance one time step of ``dt_s`` [s] ending at state of charge ``soc`` (n,) [0..1] and cell
        temperature ``temp_k`` [K] (scalar or (n,)). Bad values raise :class:`OrbitcloudError` and
        change nothing."""
        dt = self._dt(dt_s)
        s = np.asarray(soc, dtype=np.float64)
        if s.shape != (self.n,):
            raise OrbitcloudError(f"AgeingState.step: soc must have shape ({self.n},), got {s.shape}")
        _check_soc(s, "AgeingState.step: soc")
        self._advance(s, self._temps(temp_k, "AgeingState.step"), dt)

    def steps(self, soc_t, temp_k_t, dt_s: float) -> None:
        """Advance ``T`` steps of ``dt_s`` [s]: ``soc_t`` (T, n) [0..1]; ``temp_k_t`` [K] a scalar, (T,) (one
        temperature per step for all batteries) or (T, n). The same result as ``T`` calls of
        :meth:`step`, exactly. The whole chunk is checked first; bad values change nothing."""
        dt = self._dt(dt_s)
        s = np.asarray(soc_t, dtype=np.float64)
        if s.ndim != 2 or s.shape[1] != self.n:
            raise OrbitcloudError(f"AgeingState.steps: soc_t must have shape (T, {self.n}), got {s.shape}")
        _check_soc(s, "AgeingState.steps: soc_t")
        n_t = s.shape[0]
        t = np.asarray(temp_k_t, dtype=np.float64)
        if t.ndim == 0:
            t = np.full((n_t, self.n), float(t))
        elif t.ndim == 1 and t.shape[0] == n_t:
            t = np.repeat(t[:, None], self.n, axis=1)
        elif t.shape != (n_t, self.n):
            raise OrbitcloudError(f"AgeingState.steps: temp_k_t must be a scalar, (T,) or (T, n) = ({n_t}, {self.n}), got {t.shape}")
        if not (np.all(np.isfinite(t)) and np.all(t > 0.0)):
            raise OrbitcloudError("AgeingState.steps: temperature must be in kelvin (> 0)")
        for k in range(n_t):
            self._advance(s[k], t[k], dt)

    def _advance(self, s: np.ndarray, tk: np.ndarray, dt: float) -> None:
        """One step (the only place the state changes); ``s``, ``tk`` (n,) float64, checked."""
        m = self.model
        h = self.hysteresis
        # charge throughput, calendar damage (rate form: k_t dt S_s(s) S_T(T) in one exponential), time
        self._throughput += np.abs(s - self._soc_prev)
        self._soc_prev[:] = s
        tdt = tk * dt
        arg = m.k_sigma * (s - m.sigma_ref) + m.k_temp_per_k * (tk - m.temp_ref_k) * (m.temp_ref_k / tk)
        self._f_cal += (m.k_cal_per_s * dt) * np.exp(arg)
        self._temp_int += tdt
        self._t_s += dt
        self._temp_last[:] = tk
        # this sample belongs to the stretch after the current extreme ...
        self._tp_sum += tdt
        self._tp_dt += dt
        d = self._dir
        ext = self._soc_ext
        g = d * (s - ext)  # > 0: beyond the extreme in the direction of travel; <= -h: back by h
        new_ext = g > 0.0
        idle = d == 0.0
        if idle.any():
            up = idle & (s - self._soc_rev >= h)
            dn = idle & (self._soc_rev - s >= h)
            new_ext |= up | dn
            d[up] = 1.0
            d[dn] = -1.0
        reverse = g <= -h
        if new_ext.any():  # ... unless it is a new extreme: the stretch joins the half cycle
            i = np.nonzero(new_ext)[0]
            self._th_sum[i] += self._tp_sum[i]
            self._th_dt[i] += self._tp_dt[i]
            self._tp_sum[i] = 0.0
            self._tp_dt[i] = 0.0
            ext[i] = s[i]
        if reverse.any():  # the extreme was a reversal: count the half cycle that ended there
            i = np.nonzero(reverse)[0]
            depth = np.abs(ext[i] - self._soc_rev[i])
            mean_soc = 0.5 * (ext[i] + self._soc_rev[i])
            t_mean = self._half_temp(i)
            self._f_cyc[i] += 0.5 * (m.stress_dod(depth) * m.stress_soc(mean_soc) * m.stress_temp(t_mean))
            self._n_half[i] += 1
            self._dod_sum[i] += depth
            self._soc_rev[i] = ext[i]
            ext[i] = s[i]  # the furthest point of the new half cycle so far
            self._th_sum[i] = self._tp_sum[i]
            self._th_dt[i] = self._tp_dt[i]
            self._tp_sum[i] = 0.0
            self._tp_dt[i] = 0.0
            d[i] = -d[i]

    def _half_temp(self, i) -> np.ndarray:
        """Mean temperature [K] of the half cycle in progress (reversal to extreme), for indices ``i``."""
        dt = self._th_dt[i]
        return np.where(dt > 0.0, self._th_sum[i] / np.where(dt > 0.0, dt, 1.0), self._temp_last[i])

    # -- outputs -----------------------------------------------------------------------------------

    def _open_damage(self) -> np.ndarray:
        """Damage of the half cycle in progress (provisional: it is counted when it ends)."""
        m = self.model
        moving = self._dir != 0.0
        depth = np.where(moving, np.abs(self._soc_ext - self._soc_rev), 0.0)
        mean_soc = 0.5 * (self._soc_ext + self._soc_rev)
        t_mean = self._half_temp(slice(None))
        return 0.5 * (m.stress_dod(depth) * m.stress_soc(mean_soc) * m.stress_temp(t_mean))

    def capacity_fraction(self) -> np.ndarray:
        """Remaining capacity / initial capacity (n,), 1.0 new."""
        return self.model.capacity_from_damage(self._f_cyc + self._open_damage() + self._f_cal)

    def stats(self) -> dict[str, np.ndarray]:
        """Per battery (n,):

        ``capacity_fraction``; ``fade`` (1 - capacity_fraction), split in ``fade_cycling`` and
        ``fade_calendar`` in proportion to their damage; ``damage_cycling``, ``damage_calendar`` (the
        linearised f); ``equivalent_full_cycles`` (throughput / 2); ``half_cycles`` (counted, float);
        ``full_cycles`` (half_cycles / 2); ``mean_dod`` (mean depth of the counted half cycles, NaN
        before the first); ``time_s``; ``temp_mean_k`` (time average, NaN before the first step).
        """
        f_cyc = self._f_cyc + self._open_damage()
        f_cal = self._f_cal.copy()
        f = f_cyc + f_cal
        cap = self.model.capacity_from_damage(f)
        fade = 1.0 - cap
        share = np.where(f > 0.0, f_cyc / np.where(f > 0.0, f, 1.0), 0.0)
        nh = self._n_half.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_dod = np.where(nh > 0, self._dod_sum / np.where(nh > 0, nh, 1.0), np.nan)
            temp_mean = self._temp_int / self._t_s if self._t_s > 0 else np.full(self.n, np.nan)
        return {
            "capacity_fraction": cap,
            "fade": fade,
            "fade_cycling": fade * share,
            "fade_calendar": fade * (1.0 - share),
            "damage_cycling": f_cyc,
            "damage_calendar": f_cal,
            "equivalent_full_cycles": 0.5 * self._throughput,
            "half_cycles": nh,
            "full_cycles": 0.5 * nh,
            "mean_dod": mean_dod,
            "time_s": np.full(self.n, self._t_s),
            "temp_mean_k": np.asarray(temp_mean, dtype=np.float64),
        }


def _check_soc(s: np.ndarray, where: str) -> None:
    if s.size and not (np.all(np.isfinite(s)) and s.min() >= 0.0 and s.max() <= 1.0):
        bad = s[~(np.isfinite(s) & (s >= 0.0) & (s <= 1.0))]
        raise OrbitcloudError(f"{where}: state of charge must be in [0, 1], got {bad.flat[0]!r}")
