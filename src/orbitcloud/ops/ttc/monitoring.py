"""Limits, alarms and onboard autonomy over the housekeeping parameters.

**Limits** (ground, on live telemetry): per parameter and satellite a yellow and a red limit, low and
high (OpenC3 COSMOS limits sets; Yamcs alarm levels). A live sample's level is the worst it crosses
(0 nominal, 1 yellow, 2 red); a change of level raises (worse) or clears / downgrades (better) an
alarm, each an event with the sample time and the time the ground saw it. Alarm states follow
ISA-18.2's raise and return-to-normal (acknowledge and shelve are left to the operator's tools).
Stored (back-orbit) samples out of limits are events of kind ``stored_violation`` and raise nothing.

**Onboard autonomy** (on the satellite's own state at each housekeeping sample, no ground needed;
failure detection, isolation and recovery in the sense of ECSS-E-ST-70-11C and ECSS-Q-ST-30-02):

* battery state of charge below ``safe_mode_soc`` -> safe mode; above ``recover_soc`` -> leave it
  (when the rule entered it, not when the ground did);
* temperature above its red-high limit -> compute cap ``overtemp_cap``, lifted below yellow-high;
* ``reboot_after_errors`` device errors (UECC, SDC, SEFI) within ``error_window_s`` -> reboot.

Each onboard action is an event reported to the ground (PUS service 5 style) at the next downlink.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Limits", "LEVELS"]

LEVELS = ("nominal", "yellow", "red")


class Limits:
    """Limit arrays (n_param, n_sat) and the alarm state (n_sat, n_param)."""

    def __init__(self, params: tuple[str, ...], n_sat: int, sets: dict, t_max_c: np.ndarray | None) -> None:
        P = len(params)
        self.params = params
        self.lo_r = np.full((P, n_sat), -np.inf)
        self.lo_y = np.full((P, n_sat), -np.inf)
        self.hi_y = np.full((P, n_sat), np.inf)
        self.hi_r = np.full((P, n_sat), np.inf)
        if t_max_c is not None and "temperature_c" in params and "temperature_c" not in sets:
            i = params.index("temperature_c")
            self.hi_r[i] = t_max_c
            self.hi_y[i] = t_max_c - 5.0
        for name, ls in sets.items():
            i = params.index(name)
            for arr, key in ((self.lo_r, "red_low"), (self.lo_y, "yellow_low"), (self.hi_y, "yellow_high"), (self.hi_r, "red_high")):
                v = getattr(ls, key)
                if v is not None:
                    arr[i] = v
        self.state = np.zeros((n_sat, P), np.int8)

    def levels(self, sats: np.ndarray, values: np.ndarray) -> np.ndarray:
        """(len(sats), P) level of each value: 2 beyond red, 1 beyond yellow, 0 else (NaN: 0)."""
        v = values.astype(np.float64)
        lo_r, lo_y, hi_y, hi_r = (a[:, sats].T for a in (self.lo_r, self.lo_y, self.hi_y, self.hi_r))
        with np.errstate(invalid="ignore"):
            red = (v < lo_r) | (v > hi_r)
            yellow = (v < lo_y) | (v > hi_y)
        return np.where(red, 2, np.where(yellow, 1, 0)).astype(np.int8)

    def update(self, sats: np.ndarray, values: np.ndarray) -> list[tuple[int, int, int, int, float]]:
        """New live values: the changes as ``(sat, param, old level, new level, value)``."""
        if sats.size == 0:
            return []
        new = self.levels(sats, values)
        old = self.state[sats]
        si, pi = np.nonzero(new != old)
        out = [(int(sats[a]), int(b), int(old[a, b]), int(new[a, b]), float(values[a, b])) for a, b in zip(si, pi)]
        self.state[sats] = new
        return out

    def active(self) -> tuple[np.ndarray, np.ndarray]:
        """Satellites and parameters whose alarm is active now."""
        return np.nonzero(self.state > 0)
