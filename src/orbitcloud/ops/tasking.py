"""Tasked Earth observation: image a given place within a window, deliver the filtered product.

A target (latitude, longitude, window) is taken by the first imaging satellite whose swath passes
over it in daylight. Per step each satellite's swath sweeps the strip between its sub-satellite
points at the start of the previous step and of this one (a great-circle arc on the mean sphere,
``R_MEAN_M``): the target is covered when its cross-track distance from that arc is within half the
swath and its along-track position lies on the arc; the capture time is interpolated along the arc.
Daylight: the Sun at least the sensor's ``min_sun_elevation`` above the target's horizon. The product
(one frame through the onboard filter: ``product_size_b``) goes down ahead of the bulk imagery at the
satellite's first downlink from then: its own ground contact, or with ISL relay its connected
component's; delivered at the start of that step plus the product's transmission time at the rate.
Tasked products are small (MB against the GB of bulk imagery) and are not part of the bulk byte
accounting of :mod:`orbitcloud.ops.eo`. A satellite in safe mode does not image.
"""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.ops.eo import R_MEAN_M

PENDING, CAPTURED, DELIVERED, EXPIRED, CANCELLED = "pending", "captured", "delivered", "expired", "cancelled"


def _unit_from_latlon(lat_deg: float, lon_deg: float) -> np.ndarray:
    """Earth-fixed direction of a place given by WGS-84 geodetic latitude and longitude."""
    from orbitcloud.ephemeris.frames import geodetic_to_ecef

    r = np.asarray(geodetic_to_ecef(np.radians([lat_deg]), np.radians([lon_deg]), np.zeros(1)), dtype=np.float64).reshape(3)
    return r / np.linalg.norm(r)


class Tasking:
    """The targets of a run and their state (see the module docstring)."""

    def __init__(self, params, sats: np.ndarray, step_s: float) -> None:
        self.p = params
        self.sats = np.asarray(sats, np.int64)
        self.step_s = float(step_s)
        self.targets: dict[str, dict] = {}
        self._prev_u: np.ndarray | None = None  # sub-satellite unit vectors at the previous step start
        self._prev_t = math.nan

    def add(self, wid: str, lat_deg: float, lon_deg: float, t_start_s: float, t_end_s: float, name: str | None) -> None:
        self.targets[wid] = {"name": name, "lat_deg": lat_deg, "lon_deg": lon_deg, "u": _unit_from_latlon(lat_deg, lon_deg),
                             "t_start_s": t_start_s, "t_end_s": t_end_s, "status": PENDING, "captured_s": None,
                             "satellite": None, "delivered_s": None}

    def cancel(self, wid: str) -> None:
        t = self.targets[wid]
        if t["status"] in (PENDING, CAPTURED):
            t["status"] = CANCELLED

    def pending(self) -> bool:
        return any(t["status"] in (PENDING, CAPTURED) for t in self.targets.values())

    def step(self, t0: float, dt: float, r_ecef_m: np.ndarray, sun_unit: np.ndarray, imaging: np.ndarray,
             contact_bps: np.ndarray, component: np.ndarray | None, component_bps: np.ndarray | None) -> None:
        """Step ``[t0, t0 + dt)``: captures on the arcs swept since the previous step, then deliveries."""
        r = np.asarray(r_ecef_m, dtype=np.float64)
        u = r / np.linalg.norm(r, axis=1, keepdims=True)
        prev, t_prev = self._prev_u, self._prev_t
        self._prev_u, self._prev_t = u, t0
        if not self.pending():
            return
        half_swath_rad = 0.5 * self.p.swath_m / R_MEAN_M
        sin_min = math.sin(self.p.min_sun_elevation_rad)
        for wid, tg in self.targets.items():
            if tg["status"] != PENDING or prev is None:
                continue
            if t_prev > tg["t_end_s"]:
                tg["status"] = EXPIRED
                continue
            if t0 <= tg["t_start_s"]:
                continue
            if float(tg["u"] @ sun_unit) < sin_min:  # the target in darkness (or the Sun too low)
                continue
            hit = self._first_pass(tg["u"], prev, u, half_swath_rad, imaging)
            if hit is None:
                continue
            i, frac = hit
            t_cap = t_prev + frac * (t0 - t_prev)
            if t_cap < tg["t_start_s"] or t_cap > tg["t_end_s"]:
                continue
            tg.update(status=CAPTURED, captured_s=t_cap, satellite=int(self.sats[i]), _local=i)
        # delivery: the first step with a downlink for the capturing satellite
        for tg in self.targets.values():
            if tg["status"] != CAPTURED or tg["captured_s"] >= t0 + dt:
                continue
            i = tg["_local"]
            rate = float(contact_bps[i])
            if rate <= 0.0 and self.p.relay and component is not None and component_bps is not None:
                rate = float(component_bps[component[i]])
            if rate > 0.0:
                start = max(t0, tg["captured_s"])
                tg.update(status=DELIVERED, delivered_s=start + 8.0 * self.p.product_size_b / rate)

    @staticmethod
    def _first_pass(target_u: np.ndarray, a: np.ndarray, b: np.ndarray, half_swath_rad: float, imaging: np.ndarray):
        """The first satellite (lowest index) whose arc a -> b passes within the half swath of the
        target; returns (index, fraction along the arc) or None."""
        n = np.cross(a, b)
        norm = np.linalg.norm(n, axis=1)
        ok = (norm > 1e-12) & imaging
        if not ok.any():
            return None
        n_hat = np.where(ok[:, None], n / np.where(norm > 0, norm, 1.0)[:, None], 0.0)
        cross = np.abs(np.arcsin(np.clip(n_hat @ target_u, -1.0, 1.0)))  # cross-track angle
        # along-track: the target's projection on the orbit plane, as an angle from a towards b
        proj = target_u[None, :] - (n_hat @ target_u)[:, None] * n_hat
        pn = np.linalg.norm(proj, axis=1)
        proj = proj / np.where(pn > 0, pn, 1.0)[:, None]
        arc = np.arctan2(norm, np.einsum("ij,ij->i", a, b))
        ang = np.arctan2(np.einsum("ij,ij->i", np.cross(a, proj), n_hat), np.einsum("ij,ij->i", a, proj))
        inside = ok & (cross <= half_swath_rad) & (ang >= 0.0) & (ang <= arc)
        if not inside.any():
            return None
        i = int(np.argmax(inside))
        return i, float(ang[i] / arc[i]) if arc[i] > 0 else 0.0

    def summary(self, wid: str) -> dict:
        tg = self.targets[wid]
        lat = None if tg["captured_s"] is None or tg["delivered_s"] is None else tg["delivered_s"] - tg["t_start_s"]
        return {"name": tg["name"], "lat_deg": tg["lat_deg"], "lon_deg": tg["lon_deg"], "t_end_s": tg["t_end_s"],
                "status": tg["status"], "captured_s": tg["captured_s"], "satellite": tg["satellite"],
                "delivered_s": tg["delivered_s"], "product_b": int(self.p.product_size_b), "turnaround_s": lat}
