"""When the ground can reach each satellite: served ground contacts and laser-relay paths over time.

The access timeline is predicted before the run from the orbits, as flight dynamics does for a real
constellation (the contact plan is a planning product, CCSDS 734.3-B-1 / NASA ION practice):

* **Direct**: the satellite–station visibility windows of the contact plan
  (:func:`orbitcloud.network.contact_plan.contact_plan`, rise and set refined below 1 s), with an
  antenna booked for them (:func:`orbitcloud.network.contact_schedule.schedule_antennas`). A
  satellite's served passes are merged into disjoint windows (the best uplink and downlink rate of
  the overlapping passes holds for the merged window).
* **Relay**: every ``relay_every`` the ISL graph of the run's topology
  (:class:`orbitcloud.network.simulate.NetworkStepper`) is searched for the minimum-latency path
  from each satellite to one in a served contact (:func:`orbitcloud.network.contact_schedule.relay_paths`;
  latency = ISL light time + a processing time per hop). The state of a sample holds until the next
  sample (piecewise constant).

The ground leg's light time is bounded by the slant range at the station's minimum elevation
(closed form, ``docs/ground.md``), at most a few milliseconds in LEO.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from orbitcloud.constants import C_M_S

__all__ = ["Access", "build_access", "positions_at"]

_MS_BITS = 40  # composite key: satellite << 40 | time in ms (2**40 ms = 34.8 years)


def positions_at(fleet, spec, t_s: np.ndarray) -> np.ndarray:
    """Earth-fixed positions [m], (n_sat, T, 3), at arbitrary times ``t_s`` from the run start (the
    propagation of :class:`orbitcloud.network.simulate.FleetPositions`)."""
    from orbitcloud.ephemeris.frames import gmst_for_times
    from orbitcloud.ephemeris.propagate import fast_ecef_m, fast_orbits, make_satrecs, sgp4_teme_km
    from orbitcloud.timescale import jd_split_offset

    t_s = np.asarray(t_s, dtype=np.float64)
    jd, fr = jd_split_offset(spec.jd0, spec.fr0, t_s)
    gmst = gmst_for_times(jd, fr)
    if spec.propagator == "sgp4":
        from sgp4.api import SatrecArray

        _, r_km, _ = sgp4_teme_km(SatrecArray(make_satrecs(fleet.slice(0, len(fleet)))), jd, fr)
        c, s = np.cos(gmst), np.sin(gmst)
        rx, ry = r_km[..., 0] * 1000.0, r_km[..., 1] * 1000.0
        return np.stack([c * rx + s * ry, c * ry - s * rx, r_km[..., 2] * 1000.0], axis=-1)
    x, y, z, _ = fast_ecef_m(fast_orbits(fleet.slice(0, len(fleet)), spec.jd0, spec.fr0), t_s, gmst)
    return np.stack([np.asarray(v, np.float64) for v in (x, y, z)], axis=-1)


@dataclasses.dataclass
class Access:
    """The access timeline of a fleet (see the module docstring); times [s] from the run start.

    Direct windows (disjoint per satellite, sorted by satellite then start): ``win_sat``,
    ``win_start_s``, ``win_end_s``, ``win_up_bps``, ``win_down_bps``. Relay samples at ``relay_t_s``
    (J,): per satellite ``relay_latency_s`` (ISL part, inf unreachable, 0 in contact), ``relay_hops``,
    ``relay_cap_bps`` (bottleneck ISL), ``relay_up_bps`` / ``relay_down_bps`` (the gateway station's
    rates), ``relay_next`` (J + 1, n): the first sample >= j at which the satellite is reachable
    (J: none). ``ground_light_s`` (n,): bound on the ground leg's one-way light time.
    """

    n_sat: int
    t_end_s: float
    win_sat: np.ndarray
    win_start_s: np.ndarray
    win_end_s: np.ndarray
    win_up_bps: np.ndarray
    win_down_bps: np.ndarray
    ground_light_s: np.ndarray
    relay_t_s: np.ndarray
    relay_every_s: float
    relay_latency_s: np.ndarray | None = None
    relay_hops: np.ndarray | None = None
    relay_cap_bps: np.ndarray | None = None
    relay_up_bps: np.ndarray | None = None
    relay_down_bps: np.ndarray | None = None
    relay_next: np.ndarray | None = None

    def __post_init__(self) -> None:
        end_ms = np.round(self.win_end_s * 1000.0).astype(np.int64)
        self._end_key = (self.win_sat.astype(np.int64) << _MS_BITS) | end_ms

    @property
    def relays(self) -> bool:
        return self.relay_latency_s is not None

    # ------------------------------------------------------------------ direct

    def next_direct(self, sat: np.ndarray, t_s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """First time >= ``t_s`` each ``sat`` is in a served contact: ``(t_avail_s, up_bps, down_bps,
        window_end_s)``; inf and 0 where none before the end."""
        sat = np.asarray(sat, dtype=np.int64)
        t = np.broadcast_to(np.asarray(t_s, dtype=np.float64), sat.shape)
        q = (sat << _MS_BITS) | np.floor(np.maximum(t, 0.0) * 1000.0).astype(np.int64)
        i = np.searchsorted(self._end_key, q, side="right")
        ok = i < self.win_sat.size
        ic = np.where(ok, i, 0)
        ok &= self.win_sat[ic] == sat if self.win_sat.size else np.zeros(sat.shape, bool)
        start = np.where(ok, np.maximum(t, self.win_start_s[ic] if self.win_sat.size else 0.0), np.inf)
        if self.win_sat.size:
            up = np.where(ok, self.win_up_bps[ic], 0.0)
            down = np.where(ok, self.win_down_bps[ic], 0.0)
            end = np.where(ok, self.win_end_s[ic], np.inf)
        else:
            up = down = np.zeros(sat.shape)
            end = np.full(sat.shape, np.inf)
        return start, up, down, end

    def direct_cumulative(self, t_grid_s: np.ndarray, weight: str = "seconds") -> np.ndarray:
        """(G, n) cumulative direct-contact seconds (``weight="seconds"``) or downlink bytes
        (``"down_bytes"``) from the start to each grid time (exact: piecewise linear in time)."""
        g = np.asarray(t_grid_s, dtype=np.float64)
        n = self.n_sat
        w = np.ones(self.win_sat.size) if weight == "seconds" else self.win_down_bps / 8.0
        # sum over breakpoints p <= t of w_p (t - p): +w at a window's start, -w at its end
        pts = np.concatenate([self.win_start_s, self.win_end_s])
        wts = np.concatenate([w, -w])
        sats = np.concatenate([self.win_sat, self.win_sat])
        j = np.searchsorted(g, pts, side="left")  # first grid time >= p
        W = np.zeros((g.size + 1, n))
        P = np.zeros((g.size + 1, n))
        np.add.at(W, (j, sats), wts)
        np.add.at(P, (j, sats), wts * pts)
        W = np.cumsum(W, axis=0)[:-1]
        P = np.cumsum(P, axis=0)[:-1]
        return np.maximum(g[:, None] * W - P, 0.0)

    # ------------------------------------------------------------------ relay

    def relay_index(self, t_s: float) -> int:
        return int(min(max(math.floor(t_s / self.relay_every_s + 1e-9), 0), self.relay_t_s.size - 1))

    def next_relay(self, sat: np.ndarray, t_s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """First time >= ``t_s`` each ``sat`` has an ISL path to a satellite in contact (the sample
        covering ``t_s``, else the next reachable sample): ``(t_avail_s, isl_latency_s, cap_bps,
        up_bps)``; inf / 0 where none (or no relays)."""
        sat = np.asarray(sat, dtype=np.int64)
        t = np.broadcast_to(np.asarray(t_s, dtype=np.float64), sat.shape)
        if not self.relays or self.relay_t_s.size == 0:
            inf = np.full(sat.shape, np.inf)
            return inf, inf.copy(), np.zeros(sat.shape), np.zeros(sat.shape)
        J = self.relay_t_s.size
        j = np.clip(np.floor(t / self.relay_every_s + 1e-9).astype(np.int64), 0, J - 1)
        jn = self.relay_next[j, sat].astype(np.int64)
        ok = jn < J
        jc = np.where(ok, jn, 0)
        t_av = np.where(ok, np.maximum(t, self.relay_t_s[jc]), np.inf)
        lat = np.where(ok, self.relay_latency_s[jc, sat], np.inf)
        cap = np.where(ok, self.relay_cap_bps[jc, sat], 0.0)
        up = np.where(ok, self.relay_up_bps[jc, sat], 0.0)
        return t_av, lat.astype(np.float64), cap.astype(np.float64), up.astype(np.float64)

    def relay_cumulative_bytes(self, share: float) -> np.ndarray:
        """(J + 1, n) cumulative telemetry bytes a satellite out of direct contact can send over its
        relay path: per sample ``relay_every`` x min(bottleneck ISL, ``share`` x gateway downlink) / 8."""
        n = self.n_sat
        if not self.relays:
            return np.zeros((self.relay_t_s.size + 1, n))
        relayed = np.isfinite(self.relay_latency_s) & (self.relay_hops > 0)
        rate = np.where(relayed, np.minimum(self.relay_cap_bps, share * self.relay_down_bps), 0.0)
        out = np.zeros((self.relay_t_s.size + 1, n))
        np.cumsum(rate * (self.relay_every_s / 8.0), axis=0, out=out[1:])
        return out

    def reachable_share(self) -> tuple[np.ndarray, np.ndarray]:
        """Per satellite, the share of relay samples at which it is in direct contact, and reachable
        directly or over relays."""
        n = self.n_sat
        J = self.relay_t_s.size
        if J == 0:
            return np.zeros(n), np.zeros(n)
        direct = self.in_contact(self.relay_t_s).mean(axis=0)
        if not self.relays:
            return direct, direct.copy()
        return direct, np.isfinite(self.relay_latency_s).mean(axis=0)

    def in_contact(self, t_grid_s: np.ndarray, rates: bool = False):
        """(G, n) bool: in a served direct contact at each grid time (with ``rates``: also the
        (G, n) uplink and downlink rates of the covering window)."""
        g = np.asarray(t_grid_s, dtype=np.float64)
        n = self.n_sat
        j0 = np.searchsorted(g, self.win_start_s, side="left")
        j1 = np.searchsorted(g, self.win_end_s, side="left")
        D = np.zeros((g.size + 1, n), np.int32)
        np.add.at(D, (j0, self.win_sat), 1)
        np.add.at(D, (j1, self.win_sat), -1)
        inside = np.cumsum(D, axis=0)[:-1] > 0
        if not rates:
            return inside
        U = np.zeros((g.size + 1, n))
        R = np.zeros((g.size + 1, n))
        np.add.at(U, (j0, self.win_sat), self.win_up_bps)
        np.add.at(U, (j1, self.win_sat), -self.win_up_bps)
        np.add.at(R, (j0, self.win_sat), self.win_down_bps)
        np.add.at(R, (j1, self.win_sat), -self.win_down_bps)
        return inside, np.where(inside, np.cumsum(U, axis=0)[:-1], 0.0), np.where(inside, np.cumsum(R, axis=0)[:-1], 0.0)


def merge_windows(sat, start, end, up, down) -> tuple[np.ndarray, ...]:
    """Disjoint windows per satellite from possibly overlapping ones (sorted by satellite, start);
    a merged window keeps the best rates of its members."""
    if sat.size == 0:
        e = np.zeros(0)
        return np.zeros(0, np.int64), e, e.copy(), e.copy(), e.copy()
    order = np.lexsort((start, sat))
    sat, start, end, up, down = sat[order], start[order], end[order], up[order], down[order]
    span = float(np.max(end)) + 1.0
    run_end = np.maximum.accumulate(end + sat * span) - sat * span
    new = np.ones(sat.size, bool)
    new[1:] = (sat[1:] != sat[:-1]) | (start[1:] > run_end[:-1])
    first = np.nonzero(new)[0]
    last = np.append(first[1:], sat.size) - 1
    return (sat[first], start[first], run_end[last], np.maximum.reduceat(up, first), np.maximum.reduceat(down, first))


def build_access(loaded, fleet, spec, net, contacts, schedule, cfg, *, progress=None, rates=None) -> tuple[Access, list[str]]:
    """The :class:`Access` of a run (direct windows from the served passes; relay samples when
    ``cfg.relays`` and the scenario has ISLs). ``rates``: ``(uplink_bps, downlink_bps)`` per pass
    (default: the stations' fixed rates). Returns it and notes on what was left out."""
    from orbitcloud.fleet.build import mean_altitude_km
    from orbitcloud.network.visibility import max_slant_range_m

    notes: list[str] = []
    n = len(fleet)
    t_end_s = spec.n_steps * spec.step_s
    served = schedule.served
    st = contacts.station[served]
    up_c, down_c = (net.uplink_bps[st], net.downlink_bps[st]) if rates is None else (rates[0][served], rates[1][served])
    sat, start, end, up, down = merge_windows(
        contacts.sat[served].astype(np.int64), contacts.start_s[served], contacts.end_s[served], up_c, down_c)
    alt_m = np.maximum(mean_altitude_km(fleet) * 1000.0, 1.0)
    light = max_slant_range_m(alt_m, float(np.min(net.min_elevation_deg)) if len(net) else 0.0) / C_M_S
    every = max(spec.step_s, round(cfg.relay_every / spec.step_s) * spec.step_s)
    J = max(1, int(math.ceil(t_end_s / every - 1e-9)))
    relay_t = np.arange(J) * every
    acc = Access(n, t_end_s, sat, start, end, up, down, np.asarray(light, np.float64), relay_t, every)
    sc = loaded.scenario
    if not cfg.relays:
        return acc, notes
    if sc.network is None or sc.network.isl.topology == "none":
        notes.append("ttc: no relays (the scenario has no ISLs: add a network: section)")
        return acc, notes
    from orbitcloud.network import links as L
    from orbitcloud.network.contact_schedule import relay_paths
    from orbitcloud.network.simulate import NetworkStepper, setup

    ns = setup(loaded, fleet, net.stations)
    stepper = NetworkStepper(ns, n)
    inside, up_g, down_g = acc.in_contact(relay_t, rates=True)
    lat = np.full((J, n), np.inf, np.float32)
    hops = np.full((J, n), -1, np.int32)
    cap = np.zeros((J, n), np.float32)
    upr = np.zeros((J, n), np.float32)
    dnr = np.zeros((J, n), np.float32)
    block = max(1, min(J, (1 << 22) // max(n, 1)))
    for j0 in range(0, J, block):
        j1 = min(J, j0 + block)
        pos = positions_at(fleet, spec, relay_t[j0:j1])
        for j in range(j0, j1):
            gw = inside[j]
            if not gw.any():
                continue
            p = pos[:, j - j0, :]
            a, b, length = stepper.isl(p, float(relay_t[j]))
            c_bps = L.capacity_bps(ns.capacity, length) if a.size else np.zeros(0)
            rp = relay_paths(n, a, b, length, c_bps, gw, hop_latency_s=cfg.relay_hop_latency_s, max_hops=cfg.relay_max_hops)
            ok = rp.hops >= 0
            lat[j] = np.where(ok, rp.latency_s, np.inf)
            hops[j] = rp.hops
            cap[j] = np.where(ok, rp.capacity_bps, 0.0)
            via = np.where(ok, rp.via, 0)
            upr[j] = np.where(ok, up_g[j][via], 0.0)
            dnr[j] = np.where(ok, down_g[j][via], 0.0)
        if progress is not None:
            progress(j1 - j0)
    reach = np.isfinite(lat)
    nxt = np.full((J + 1, n), J, np.int32)
    for j in range(J - 1, -1, -1):  # over samples (time), vectorised over the fleet
        nxt[j] = np.where(reach[j], j, nxt[j + 1])
    acc.relay_latency_s, acc.relay_hops, acc.relay_cap_bps = lat, hops, cap
    acc.relay_up_bps, acc.relay_down_bps, acc.relay_next = upr, dnr, nxt
    return acc, notes
