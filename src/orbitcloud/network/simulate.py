"""The network over time: Earth-fixed positions -> ISLs and ground links -> routes, per time step.

Used by ``orbitcloud net`` (RTTs and paths between station pairs) and by ``orbitcloud run`` (network
summaries). Unlike the physics engine, routing needs every satellite at once, so positions are
produced for the whole fleet in time chunks (:func:`positions`). Per step (``docs/routing.md``):

1. ISLs from the scenario's topology (``links.plus_grid`` per shell with a plane structure,
   ``links.nearest`` or ``links.cluster_mesh``), kept only where feasible (range, the grazing height),
   with capacities fixed or from the optical link budget, and usable only after the acquisition time;
2. ground links: visibility by elevation and/or slant range, at most ``max_tracked`` per station;
3. a :class:`~orbitcloud.network.routing.Snapshot` and shortest-latency routes (scipy csgraph).
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterator

import numpy as np

from orbitcloud.errors import OrbitcloudError, ScenarioError
from orbitcloud.fleet import Fleet
from orbitcloud.network import links as L
from orbitcloud.network import routing as R
from orbitcloud.network.ground import StationLimits, Stations, assign_links, read_stations_csv, stations_from_records, visibility

#: ISL capacity when the scenario gives neither ``capacity_gbps`` nor a link budget: the Three-Body
#: constellation's laser links (100 Gbps; Sichuan gov. release, May 2025, design/REFERENCES.md).
DEFAULT_ISL_CAPACITY_BPS = 100e9
#: Steps per chunk of positions (memory: 17 bytes x stations x satellites x chunk for visibility).
CHUNK_STEPS = 16


@dataclasses.dataclass
class NetworkSetup:
    """Everything per-run about the network: stations, topology, capacities, station limits."""

    stations: Stations
    limits: StationLimits
    topology: str
    static_edges: tuple[np.ndarray, np.ndarray] | None
    k: int
    max_terminals: int
    max_range_m: float | None
    grazing_height_m: float
    capacity: object  # OpticalTerminal or a fixed rate [bps]
    acquisition_s: float
    relay_via_ground: bool
    min_elevation_deg: float | None
    gs_max_range_m: float | None


def load_stations(loaded, override: str | None = None) -> Stations:
    """The scenario's ground stations (``ground.stations``), or ``override`` (``--stations``).

    Either may name a shipped set, ``builtin:NAME`` (``builtin:cities-top100``,
    ``builtin:ground-stations``, ``builtin:ksat`` ...; ``docs/ground.md``), or a station CSV file
    (the scenario's path relative to the scenario file, the override's to the working directory);
    ``ground.stations`` may also be a list of inline stations.
    """
    from orbitcloud.network.ground import builtin_station_name, stations_from_spec

    if override is not None:
        if builtin_station_name(override) is not None:
            return stations_from_spec(override, label="--stations")
        return read_stations_csv(override)
    ground = loaded.scenario.ground
    if ground is None:
        raise OrbitcloudError(
            f"{loaded.label}: the scenario has no ground: section; pass --stations FILE.csv or "
            "--stations builtin:cities-top100"
        )
    if builtin_station_name(ground.stations) is not None:
        return stations_from_spec(ground.stations, label=f"{loaded.label}: ground.stations")
    if isinstance(ground.stations, str):
        return read_stations_csv(loaded.resolve(ground.stations), label=ground.stations)
    return stations_from_records([s.model_dump() for s in ground.stations], label=f"{loaded.label}: ground.stations")


def setup(loaded, fleet: Fleet, stations: Stations) -> NetworkSetup:
    """Resolve the scenario's ``network`` and ``ground`` sections (defaults when absent)."""
    from orbitcloud.scenario.schema import ISL, Ground, Network

    sc = loaded.scenario
    net = sc.network or Network()
    isl: ISL = net.isl
    ground = sc.ground or Ground(stations=[], min_elevation_deg=25.0)
    static = None
    if isl.topology == "plus_grid":
        parts_a, parts_b = [], []
        for info, shell in zip(fleet.shells, sc.constellation):
            planes = getattr(shell, "planes", None)
            q = getattr(shell, "sats_per_plane", None)
            if planes is None or q is None:
                raise ScenarioError(
                    f"{loaded.label}: network.isl.topology: plus_grid needs planes x sats_per_plane for shell "
                    f"{info.name!r} ({shell.kind}); give them (TLE shells: listed plane-major) or use nearest"
                )
            a, b = L.plus_grid(planes, q, start=info.start)
            parts_a.append(a)
            parts_b.append(b)
        static = (np.concatenate(parts_a), np.concatenate(parts_b))
    if isl.link_budget is not None:
        lb = isl.link_budget
        try:
            capacity: object = L.OpticalTerminal(
                tx_power_w=lb.tx_power_w, tx_aperture_m=lb.tx_aperture_m, rx_aperture_m=lb.rx_aperture_m,
                max_rate_bps=lb.max_rate_gbps * 1e9, wavelength_m=lb.wavelength_nm * 1e-9,
                pointing_loss_db=lb.pointing_loss_db, other_losses_db=lb.other_losses_db, photons_per_bit=lb.photons_per_bit,
            )
        except ValueError as exc:
            raise ScenarioError(f"{loaded.label}: network.isl.link_budget: {exc}") from None
    else:
        capacity = isl.capacity_gbps * 1e9 if isl.capacity_gbps is not None else DEFAULT_ISL_CAPACITY_BPS
    if isl.topology == "cluster_mesh" and isl.max_range_km is None:
        raise ScenarioError(f"{loaded.label}: network.isl.max_range_km: required for topology cluster_mesh")
    budget = None
    if ground.link_budget is not None:
        from orbitcloud.network.ground import ground_budget

        try:
            budget = ground_budget(ground, label=f"{loaded.label}: ground")
        except OrbitcloudError as exc:
            raise ScenarioError(str(exc)) from None
    limits = StationLimits.uniform(
        len(stations), ground.max_tracked, ground.downlink_gbps * 1e9, ground.uplink_gbps * 1e9, budget=budget,
    )
    return NetworkSetup(
        stations=stations, limits=limits, topology=isl.topology, static_edges=static, k=isl.k,
        max_terminals=isl.max_terminals, max_range_m=None if isl.max_range_km is None else isl.max_range_km * 1e3,
        grazing_height_m=isl.grazing_height_km * 1e3, capacity=capacity, acquisition_s=isl.acquisition_s,
        relay_via_ground=net.relay_via_ground, min_elevation_deg=ground.min_elevation_deg,
        gs_max_range_m=None if ground.max_range_km is None else ground.max_range_km * 1e3,
    )


class FleetPositions:
    """Earth-fixed positions [m] of every satellite at any run steps: ``chunk(k0, k1)`` ->
    ``(t_s (T,), x, y, z (n, T))``, SGP4 (TEME rotated by GMST-82) or the fast propagator."""

    def __init__(self, fleet: Fleet, spec) -> None:
        from orbitcloud.ephemeris.propagate import fast_orbits

        self.fleet, self.spec = fleet, spec
        self._satrecs = None
        self._orbits = None if spec.propagator == "sgp4" else fast_orbits(fleet.slice(0, len(fleet)), spec.jd0, spec.fr0)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_satrecs"] = None  # rebuilt on use
        return state

    def chunk(self, k0: int, k1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        from orbitcloud.ephemeris.frames import gmst_for_times
        from orbitcloud.ephemeris.propagate import fast_ecef_m, make_satrecs, sgp4_teme_km
        from orbitcloud.timescale import jd_split_offset

        spec = self.spec
        t_s = np.arange(k0, k1, dtype=np.float64) * spec.step_s
        jd, fr = jd_split_offset(spec.jd0, spec.fr0, t_s)
        gmst = gmst_for_times(jd, fr)
        if self._orbits is None:
            if self._satrecs is None:
                from sgp4.api import SatrecArray

                self._satrecs = SatrecArray(make_satrecs(self.fleet.slice(0, len(self.fleet))))
            _, r_km, _ = sgp4_teme_km(self._satrecs, jd, fr)
            c, s = np.cos(gmst), np.sin(gmst)
            rx, ry = r_km[..., 0] * 1000.0, r_km[..., 1] * 1000.0
            return t_s, c * rx + s * ry, c * ry - s * rx, r_km[..., 2] * 1000.0
        x, y, z, _ = fast_ecef_m(self._orbits, t_s, gmst)
        return t_s, *(np.asarray(v, dtype=np.float64) for v in (x, y, z))


def positions(fleet: Fleet, spec, chunk_steps: int = CHUNK_STEPS) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Earth-fixed positions [m] of every satellite, chunk by chunk: (k0, t_s (T,), x, y, z (n, T))."""
    pos = FleetPositions(fleet, spec)
    for k0 in range(0, spec.n_steps, chunk_steps):
        yield (k0, *pos.chunk(k0, min(spec.n_steps, k0 + chunk_steps)))


@dataclasses.dataclass
class StepNetwork:
    """One step's network: ISLs in use and the snapshot graph."""

    isl_a: np.ndarray
    isl_b: np.ndarray
    isl_length_m: np.ndarray
    gsl: object  # ground.Links of this step
    snapshot: R.Snapshot


class NetworkStepper:
    """Builds each step's network in time order (keeps the acquisition state of links)."""

    def __init__(self, ns: NetworkSetup, n_sat: int) -> None:
        self.ns = ns
        self.n_sat = n_sat
        self.tracker = L.LinkTracker(ns.acquisition_s) if ns.acquisition_s > 0 else None

    def isl(self, pos_m: np.ndarray, t_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ns = self.ns
        if ns.topology == "none":
            e = np.zeros(0, np.int64)
            return e, e, np.zeros(0)
        if ns.topology == "plus_grid":
            a, b = ns.static_edges
        elif ns.topology == "nearest":
            a, b = L.nearest(pos_m, ns.k, ns.max_terminals, ns.max_range_m, ns.grazing_height_m)
        else:
            a, b = L.cluster_mesh(pos_m, ns.max_range_m, ns.grazing_height_m, ns.max_terminals)
        if a.size:
            ok = L.link_feasible(pos_m, a, b, ns.max_range_m, ns.grazing_height_m)
            a, b = a[ok], b[ok]
        if self.tracker is not None and a.size:
            usable = self.tracker.update(L.edge_keys(a, b, self.n_sat), t_s)
            a, b = a[usable], b[usable]
        return a, b, L.link_lengths_m(pos_m, a, b)

    def build(self, x: np.ndarray, y: np.ndarray, z: np.ndarray, j: int, t_s: float, vis_chunk) -> StepNetwork:
        ns = self.ns
        pos = np.stack([x[:, j], y[:, j], z[:, j]], axis=1)
        ok = np.isfinite(pos).all(axis=1)
        pos_clean = np.where(ok[:, None], pos, 0.0)
        a, b, length = self.isl(pos_clean, t_s)
        if not ok.all() and a.size:
            keep = ok[a] & ok[b]
            a, b, length = a[keep], b[keep], length[keep]
        cap = L.capacity_bps(ns.capacity, length) if a.size else np.zeros(0)
        gsl = vis_chunk(j)
        snap = R.Snapshot.build(
            self.n_sat, len(ns.stations), a, b, length, cap, gsl.station, gsl.sat, gsl.range_m, gsl.downlink_bps,
            relay_via_ground=ns.relay_via_ground,
        )
        return StepNetwork(a, b, length, gsl, snap)


def ground_links_by_step(ns: NetworkSetup, x, y, z) -> Callable[[int], object]:
    """Ground links of every step of a chunk (station limits applied), as a lookup by column."""
    vis = visibility(ns.stations, x, y, z, ns.min_elevation_deg, ns.gs_max_range_m, sparse=True)
    gl = assign_links(vis, ns.limits)
    starts = np.searchsorted(gl.step, np.arange(x.shape[1] + 1))

    def at(j: int):
        s = slice(starts[j], starts[j + 1])
        return type(gl)(*(arr[s] for arr in gl))

    return at
