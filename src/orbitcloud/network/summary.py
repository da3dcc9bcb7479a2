"""The network over a run, advanced with the rest of the simulation: links per satellite, latency
between ``network.pairs``, gateway reach and delay, max-min fair ``network.flows``, contact windows and
downlink capacity.

:class:`NetworkSummary` is one component of :class:`orbitcloud.sim.Simulation`'s time loop: each
:meth:`~NetworkSummary.advance` takes the whole fleet's Earth-fixed positions for the next steps
(:class:`FleetPositions`, chunks of :data:`~orbitcloud.network.simulate.CHUNK_STEPS`) and adds them
to the reductions, in time order, so any sequence of calls gives the same figures. Contacts use every
step; ISLs and routing every ``stride``-th step when the fleet is large (``stride`` is reported).
Equations and sources: ``docs/routing.md``, ``docs/ground.md``.
"""

from __future__ import annotations

import numpy as np

from orbitcloud.errors import ScenarioError
from orbitcloud.fleet import Fleet
from orbitcloud.network import links as L
from orbitcloud.network import routing as R
from orbitcloud.network.simulate import CHUNK_STEPS, FleetPositions, NetworkStepper, ground_links_by_step, load_stations, setup

#: Fleets above this many satellite-steps get their run network summary from every k-th step only.
SUMMARY_SAT_STEPS = 20_000_000
#: Elevation bins of the link rate against elevation (with ``ground.link_budget``): 5 deg wide, 0-90 deg.
ELEVATION_BIN_DEG = 5.0
ELEVATION_BINS = 18


class NetworkSummary:
    """Network figures of a run, accumulated step by step (see the module docstring)."""

    def __init__(self, loaded, fleet: Fleet, spec) -> None:
        from orbitcloud.network.ground import ContactTracker

        stations = load_stations(loaded)
        self.stations = stations
        self.ns = ns = setup(loaded, fleet, stations)
        self.spec = spec
        self.n_sat = n_sat = len(fleet)
        self.stride = max(1, int(np.ceil(n_sat * spec.n_steps / SUMMARY_SAT_STEPS)))
        net = loaded.scenario.network
        pairs = (net.pairs if net else []) or []
        src, dst = [], []
        for text in pairs:
            parts = [p.strip() for p in text.split(",")]
            if len(parts) != 2:
                raise ScenarioError(f"{loaded.label}: network.pairs: {text!r} is not two station names 'A,B'")
            i, j = stations.find(parts)
            src.append(i)
            dst.append(j)
        self.src, self.dst = np.asarray(src, np.int64), np.asarray(dst, np.int64)
        self.flows = flows = (net.flows if net else []) or []
        self.f_src = stations.find([f.src for f in flows]) if flows else np.zeros(0, np.int64)
        self.f_dst = stations.find([f.dst for f in flows]) if flows else np.zeros(0, np.int64)
        self.f_demand = np.asarray([f.demand_gbps * 1e9 for f in flows])
        self.f_rate_sum = np.zeros(len(flows))
        self.f_unmet_sum = np.zeros(len(flows))
        self.util_max = 0.0
        self.gw_delay_sum = self.gw_reach_sum = self.gw_delay_max = 0.0
        self.tracker = ContactTracker(stations, spec.step_s, ns.min_elevation_deg, ns.gs_max_range_m)
        self.stepper = NetworkStepper(ns, n_sat)
        self.contacts: list = []
        self.down_bits = np.zeros(len(stations))
        # link rate against elevation (only with ground.link_budget): link-steps and rate sums per bin
        self.budget = ns.limits.budget is not None
        self.el_steps = np.zeros(ELEVATION_BINS)
        self.el_down_sum = np.zeros(ELEVATION_BINS)
        self.el_up_sum = np.zeros(ELEVATION_BINS)
        self.degree_sum, self.degree_min, self.degree_max = 0.0, np.inf, 0.0
        self.routed = 0
        self.rtts: list[np.ndarray] = []
        self.positions = FleetPositions(fleet, spec)
        self.k = 0
        self._fed: dict[int, tuple] = {}  # step -> routing figures given by the workload layer

    def feed(self, k: int, net, gw) -> None:
        """The routing of step ``k`` from the workload layer's own network of that step (the same
        satellites, ISLs and gateways; ``gw``: its nearest-gateway result over the gateways), so the
        summary does not build it a second time."""
        if k % self.stride == 0:
            self._fed[k] = self._figures(net, gw)

    def take(self, k0: int, t_s, x, y, z) -> None:
        """Add the steps ``[k0, k0 + T)`` from positions already propagated for the whole fleet
        (``x, y, z`` (n_sat, T) Earth-fixed [m], as :class:`FleetPositions` gives them); ignored unless
        ``k0`` is the next step. The steps go in chunks of ``CHUNK_STEPS`` as :meth:`advance`'s own."""
        if k0 != self.k or x.shape[0] != self.n_sat:
            return
        for j0 in range(0, x.shape[1], CHUNK_STEPS):
            j1 = min(x.shape[1], j0 + CHUNK_STEPS)
            part = (np.ascontiguousarray(v[:, j0:j1], dtype=np.float64) for v in (x, y, z))
            self._chunk(k0 + j0, t_s[j0:j1], *part)
            self.k = k0 + j1

    def advance(self, k_to: int) -> None:
        """Add the steps ``[k, k_to)``."""
        k_to = min(int(k_to), self.spec.n_steps)
        while self.k < k_to:
            k0 = self.k
            k1 = min(k_to, k0 + CHUNK_STEPS)
            self._chunk(k0, *self.positions.chunk(k0, k1))
            self.k = k1

    def _chunk(self, k0: int, t_s, x, y, z) -> None:
        ns, stations = self.ns, self.stations
        self.contacts.append(self.tracker.add(x, y, z))
        gsl_at = ground_links_by_step(ns, x, y, z)
        for j in range(x.shape[1]):
            gl = gsl_at(j)
            np.add.at(self.down_bits, gl.station, gl.downlink_bps * self.spec.step_s)
            if self.budget and gl.station.size:
                b = np.clip((np.degrees(gl.elevation_rad) / ELEVATION_BIN_DEG).astype(np.int64), 0, ELEVATION_BINS - 1)
                self.el_steps += np.bincount(b, minlength=ELEVATION_BINS)
                self.el_down_sum += np.bincount(b, weights=gl.downlink_bps, minlength=ELEVATION_BINS)
                self.el_up_sum += np.bincount(b, weights=gl.uplink_bps, minlength=ELEVATION_BINS)
            k = k0 + j
            if k % self.stride:
                continue
            fig = self._fed.pop(k, None)
            if fig is None and self._bent_pipe:
                fig = self._bent_pipe_figures(gl)
            if fig is None:
                net = self.stepper.build(x, y, z, j, float(t_s[j]), lambda _j, _gl=gl: _gl)
                fig = self._figures(net, R.nearest_gateway(net.snapshot) if len(stations) else None)
            self._add(fig)

    @property
    def _bent_pipe(self) -> bool:
        """No ISLs, no ground relay, no pairs or flows: a satellite's nearest gateway is its nearest
        station in view, one link, so no graph is needed."""
        return (self.ns.topology == "none" and not self.ns.relay_via_ground and not self.src.size
                and not self.f_src.size and len(self.stations) > 0)

    def _bent_pipe_figures(self, gl) -> tuple:
        """:meth:`_figures` without ISLs: the delay to the nearest gateway is the shortest slant range
        in view over c (the one-edge path Dijkstra would find, the same division)."""
        from orbitcloud.constants import C_M_S

        delay = np.full(self.n_sat, np.inf)
        if gl.sat.size:
            np.minimum.at(delay, gl.sat, gl.range_m / C_M_S)
        reach = np.isfinite(delay)
        gw_fig = (float(reach.mean()), float(delay[reach].mean()) if reach.any() else None,
                  float(delay[reach].max()) if reach.any() else None)
        return 0.0, 0.0, 0.0, gw_fig, None, None

    def _figures(self, net, gw) -> tuple:
        """The routing figures of one step's network (degrees, gateway reach and delay, pairs, flows)."""
        n_sat = self.n_sat
        deg = L.link_degrees(net.isl_a, net.isl_b, n_sat) if net.isl_a.size else np.zeros(n_sat)
        gw_fig = None
        if gw is not None:
            reach = np.isfinite(gw.delay_s)
            gw_fig = (float(reach.mean()), float(gw.delay_s[reach].mean()) if reach.any() else None,
                      float(gw.delay_s[reach].max()) if reach.any() else None)
        rtt = R.rtt_and_paths(net.snapshot, self.src, self.dst).rtt_s if self.src.size else None
        flow = None
        if self.f_src.size:
            routes = R.rtt_and_paths(net.snapshot, self.f_src, self.f_dst)
            ok = np.isfinite(routes.rtt_s)
            share = R.max_min_fair(
                [e if good else np.zeros(0, np.int64) for e, good in zip(net.snapshot.edges_of(routes.paths), ok)],
                np.where(ok, self.f_demand, 0.0), net.snapshot.edge_capacity_bps,
            )
            flow = (share.rate_bps, np.where(ok, share.unmet_bps, self.f_demand),
                    float(share.utilisation.max()) if share.utilisation.size else 0.0)
        return float(deg.mean()), float(deg.min()), float(deg.max()), gw_fig, rtt, flow

    def _add(self, fig: tuple) -> None:
        deg_mean, deg_min, deg_max, gw_fig, rtt, flow = fig
        self.degree_sum += deg_mean
        self.degree_min = min(self.degree_min, deg_min)
        self.degree_max = max(self.degree_max, deg_max)
        self.routed += 1
        if gw_fig is not None:
            reach, d_mean, d_max = gw_fig
            self.gw_reach_sum += reach
            if d_mean is not None:
                self.gw_delay_sum += d_mean
                self.gw_delay_max = max(self.gw_delay_max, d_max)
        if rtt is not None:
            self.rtts.append(rtt)
        if flow is not None:
            self.f_rate_sum += flow[0]
            self.f_unmet_sum += flow[1]
            self.util_max = max(self.util_max, flow[2])

    def _rate_by_elevation(self) -> dict:
        """The ground-link rates of the run with a link budget: means over the assigned link-steps,
        and the same per 5-degree elevation bin."""
        n = float(self.el_steps.sum())
        return {
            "ground_downlink_bps_mean": round(float(self.el_down_sum.sum() / n), 1) if n else None,
            "ground_uplink_bps_mean": round(float(self.el_up_sum.sum() / n), 1) if n else None,
            "link_rate_by_elevation": _rate_table(self.el_steps, self.el_down_sum, self.el_up_sum),
        }

    def finish(self) -> tuple[dict, tuple]:
        """The summary figures of the steps added so far and ``(contacts table, stations)``; call once."""
        from orbitcloud.network.ground import Contacts

        stations, routed = self.stations, self.routed
        contacts = self.contacts + [self.tracker.finish()]
        table = Contacts.concat(contacts)
        days = max(self.k, 1) * self.spec.step_s / 86400.0
        # satellite-minutes: every satellite's minutes in view, summed (more than 1,440 a day when
        # several satellites are in view at once); and the minutes with at least one in view
        satellite_min = np.bincount(table.station, weights=table.duration_s, minlength=len(stations)) / 60.0 / days
        covered_min = _covered_s(table, len(stations)) / 60.0 / days
        has_gw = bool(routed and len(stations))
        out: dict = {
            "stations": len(stations),
            "isl_topology": self.ns.topology,
            "sampled_every_steps": self.stride,
            "links_per_satellite_mean": round(self.degree_sum / routed, 4) if routed else None,
            "links_per_satellite_min": self.degree_min if routed else None,
            "links_per_satellite_max": self.degree_max if routed else None,
            "contacts": len(table),
            "contact_satellite_minutes_per_station_day_mean": round(float(satellite_min.mean()), 3) if len(stations) else None,
            "contact_satellite_minutes_per_station_day": {stations.names[i]: round(float(v), 3) for i, v in enumerate(satellite_min)},
            "station_in_contact_minutes_per_day_mean": round(float(covered_min.mean()), 3) if len(stations) else None,
            "station_in_contact_minutes_per_day": {stations.names[i]: round(float(v), 3) for i, v in enumerate(covered_min)},
            "downlink_bytes_per_day": round(float(self.down_bits.sum() / 8 / days), 1),
            "downlink_bytes_per_station_day": {stations.names[i]: round(float(v / 8 / days), 1) for i, v in enumerate(self.down_bits)},
            "gateway_reachable_fraction": round(self.gw_reach_sum / routed, 6) if has_gw else None,
            "gateway_delay_ms_mean": round(self.gw_delay_sum / routed * 1e3, 4) if has_gw else None,
            "gateway_delay_ms_max": round(self.gw_delay_max * 1e3, 4) if has_gw else None,
            "pairs": [],
            "flows": [
                {
                    "src": f.src, "dst": f.dst, "demand_gbps": f.demand_gbps,
                    "rate_gbps_mean": round(float(self.f_rate_sum[i] / routed / 1e9), 6) if routed else None,
                    "unmet_gbps_mean": round(float(self.f_unmet_sum[i] / routed / 1e9), 6) if routed else None,
                }
                for i, f in enumerate(self.flows)
            ],
            "link_utilisation_max": round(self.util_max, 6) if self.flows else None,
        }
        if self.budget:
            out.update(self._rate_by_elevation())
        if self.rtts:
            arr = np.stack(self.rtts)
            for p in range(self.src.size):
                r = arr[:, p]
                ok = np.isfinite(r)
                out["pairs"].append({
                    "src": stations.names[self.src[p]], "dst": stations.names[self.dst[p]],
                    "reachable_fraction": round(float(ok.mean()), 6),
                    "rtt_ms_min": round(float(r[ok].min() * 1e3), 4) if ok.any() else None,
                    "rtt_ms_mean": round(float(r[ok].mean() * 1e3), 4) if ok.any() else None,
                    "rtt_ms_max": round(float(r[ok].max() * 1e3), 4) if ok.any() else None,
                })
        return out, (table, stations)


def _rate_table(steps, down_sum, up_sum) -> dict:
    """The ``link_rate_by_elevation`` figure: per elevation bin with link-steps, its centre and mean rates."""
    ok = steps > 0
    lo = np.arange(ELEVATION_BINS)[ok] * ELEVATION_BIN_DEG
    n = steps[ok]
    return {
        "elevation_deg_min": lo.tolist(),
        "elevation_deg_max": (lo + ELEVATION_BIN_DEG).tolist(),
        "link_steps": n.astype(np.int64).tolist(),
        "downlink_bps_mean": np.round(down_sum[ok] / n, 1).tolist(),
        "uplink_bps_mean": np.round(up_sum[ok] / n, 1).tolist(),
    }


def _covered_s(table, n_stations: int) -> np.ndarray:
    """Per station, the time [s] with at least one satellite in view (union of its windows)."""
    out = np.zeros(n_stations)
    if len(table) == 0:
        return out
    order = np.lexsort((table.start_s, table.station))
    st, a, b = table.station[order], table.start_s[order], table.end_s[order]
    for i in np.unique(st).tolist():
        m = st == i
        starts, ends = a[m], b[m]
        reach = np.maximum.accumulate(ends)
        # a new covered span begins where a window starts after everything before it has ended
        new = np.concatenate([[True], starts[1:] > reach[:-1]])
        span_start = starts[new]
        span_end = np.maximum.reduceat(ends, np.nonzero(new)[0])
        out[i] = float(np.sum(span_end - span_start))
    return out
