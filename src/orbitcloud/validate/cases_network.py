"""Pass times against skyfield's ``find_events``; RTTs against an independent shortest-path computation.

Taken from tests/oracles/test_oracle_ring.py (windows at a 10 deg mask, 60-s samples, the same edge
tolerances) and tests/network/test_routing.py (random graphs, delays to 1e-12 relative).
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from orbitcloud.validate.common import (
    ISS,
    SYN,
    have,
    measured,
    series,
    skyfield_env,
    skyfield_source,
    version,
)

MASK_DEG = 10.0
STEP_S = 60.0
#: Window edges vs find_events [s]: passes >= 5 min (tests/oracles/test_oracle_ring.py, measured 2.9 s).
edge_tol_long_s = 4.0
#: Shorter passes: linear interpolation of the elevation margin on grazing passes errs by a good part of
#: a step (tests/network/test_ground.py, linear interpolation vs 1-s sampling: measured 40.7 s, bound
#: 45 s; the ring oracle's 12 s holds for its passes, here a 2-day polar pass gave 21.8 s). A pass
#: shorter than one step may fall between two samples (missed, counted).
edge_tol_short_s = 45.0
LONG_PASS_S = 300.0
#: RTT vs the independent shortest paths [relative] (sums of ~10 doubles in a different order).
REL = 1e-12
STATIONS = [("Miyun", 40.45, 116.85), ("Kashgar", 39.50, 76.00), ("Sanya", 18.30, 109.30),
            ("Svalbard", 78.23, 15.39), ("Quito", -0.18, -78.47), ("Sydney", -33.87, 151.21),
            ("Cape Town", -33.92, 18.42), ("South-45", -45.0, 170.0), ("Mid-45", 45.0, -120.0)]


def _our_windows(tle, st, t_s: np.ndarray, dut1_s: float):
    """Our path: SGP4 (TEME) -> Earth-fixed (GMST-82) -> the contact tracker at 60-s samples."""
    from sgp4.api import Satrec

    from orbitcloud.ephemeris.frames import gmst_for_times, teme_to_ecef
    from orbitcloud.network.contacts import contact_windows
    from orbitcloud.timescale import jd_split, jd_split_offset

    y, m, d = tle[2]
    jd0, fr0 = jd_split(np.datetime64(f"{y:04d}-{m:02d}-{d:02d}T00:00:00", "ns"))
    jd, fr = jd_split_offset(float(jd0), float(fr0), t_s)
    err, r_km, _ = Satrec.twoline2rv(tle[0], tle[1]).sgp4_array(jd, fr)
    if err.any():
        raise RuntimeError(f"SGP4 error for {tle[0][2:7]}")
    ecef = teme_to_ecef(r_km * 1000.0, gmst_for_times(jd, fr, dut1_s=dut1_s))
    return contact_windows(st, [(ecef[None, :, 0], ecef[None, :, 1], ecef[None, :, 2])], STEP_S, min_elevation_deg=MASK_DEG)


def pass_times(full: bool) -> dict:
    from skyfield.api import EarthSatellite, wgs84

    from orbitcloud.network.stations import stations_from_records

    ts, _ = skyfield_env()
    sats = (ISS, SYN) if full else (ISS,)
    stations = STATIONS if full else STATIONS[:4]
    days = 2.0 if full else 1.0
    n_steps = int(days * 86400 / STEP_S)
    t_s = np.arange(n_steps) * STEP_S
    t_last = float(t_s[-1])
    st = stations_from_records([dict(name=n, lat_deg=la, lon_deg=lo) for n, la, lo in stations])
    worst_long = worst_short = 0.0
    xs, ys, problems, n_checked, missed = [], [], [], 0, 0
    for tle in sats:
        y, m, d = tle[2]
        t_beg, t_end = ts.utc(y, m, d, 0, 0, 0.0), ts.utc(y, m, d, 0, 0, t_last)
        ours = _our_windows(tle, st, t_s, float(np.mean(ts.utc(y, m, d, 0, 0, t_s).dut1)))
        sat = EarthSatellite(tle[0], tle[1], ts=ts)
        for k, (name, lat, lon) in enumerate(stations):
            topo = wgs84.latlon(lat, lon, elevation_m=0.0)
            tt, ev = sat.find_events(topo, t_beg, t_end, altitude_degrees=MASK_DEG)
            alt0 = (sat - topo).at(t_beg).altaz()[0].degrees
            spans, rise = [], 0.0 if alt0 >= MASK_DEG else None
            for x, kind in zip((tt - t_beg) * 86400.0, ev):
                if kind == 0:
                    rise = float(x)
                elif kind == 2 and rise is not None:
                    spans.append((rise, float(x)))
                    rise = None
            if rise is not None:
                spans.append((rise, t_last))
            sel = ours.station == k
            got = list(zip(ours.start_s[sel].tolist(), ours.end_s[sel].tolist()))
            for a, b in spans:
                match = [w for w in got if w[0] < b + STEP_S and w[1] > a - STEP_S]
                if b - a < STEP_S and not match:
                    missed += 1
                    continue
                if len(match) != 1:
                    problems.append(f"{name}: skyfield window {a:.0f}-{b:.0f} s matched {len(match)} windows")
                    continue
                c, e = match[0]
                got.remove(match[0])
                errs = ([c - a] if a > 0.0 else []) + ([e - b] if b < t_last else [])
                for x, err in zip((a, b), errs):
                    xs.append(x / 3600.0)
                    ys.append(err)
                worst = max((abs(v) for v in errs), default=0.0)
                if b - a >= LONG_PASS_S:
                    worst_long = max(worst_long, worst)
                elif b - a >= STEP_S:
                    worst_short = max(worst_short, worst)
                elif worst > STEP_S:
                    problems.append(f"{name}: a sub-step pass off by {worst:.1f} s")
                n_checked += 1
            if got:
                problems.append(f"{name}: {len(got)} window(s) skyfield does not have")
    if worst_short > edge_tol_short_s:
        problems.append(f"short passes: {worst_short:.1f} s > {edge_tol_short_s} s")
    return measured(
        f"skyfield find_events at {MASK_DEG:g} deg over the WGS-84 horizon", skyfield_source(),
        edge_tol_long_s, "s", worst_long, "s", passed=not problems and n_checked > 0,
        detail=(f"{len(sats)} satellite(s) x {len(stations)} stations, {days:g} day(s) at {STEP_S:g} s: {n_checked} windows; "
                f"passes >= 5 min {worst_long:.2f} s, shorter {worst_short:.2f} s (tol {edge_tol_short_s:g} s); {missed} sub-step pass(es) missed")
               + ("; " + "; ".join(problems) if problems else ""),
        series=series(xs, ys, "time [h]", "window edge ours - skyfield [s]") if xs else None,
    )


# --- RTT ------------------------------------------------------------------------------------------------------
def random_network(seed: int, n_sat: int = 18, n_st: int = 5, p_isl: float = 0.18, gsl_per_station: int = 2):
    """Random satellite graph (may be disconnected) with stations seeing a few random satellites."""
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n_sat, 1)
    keep = rng.random(i.size) < p_isl
    a, b = i[keep], j[keep]
    swap = rng.random(a.size) < 0.5
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    st_idx = np.repeat(np.arange(n_st), gsl_per_station)
    sat = np.concatenate([rng.choice(n_sat, gsl_per_station, replace=False) for _ in range(n_st)])
    st_idx, sat = st_idx[st_idx != n_st - 1], sat[st_idx != n_st - 1]  # one station without a ground link
    return dict(n_sat=n_sat, n_st=n_st, isl_a=a, isl_b=b, isl_length_m=rng.uniform(5e5, 5e6, a.size),
                isl_capacity_bps=rng.uniform(1e9, 1e11, a.size), gsl_station=st_idx, gsl_sat=sat,
                gsl_range_m=rng.uniform(6e5, 1.5e6, st_idx.size), gsl_capacity_bps=rng.uniform(1e8, 1e10, st_idx.size))


def _adjacency(net, c_m_s: float) -> dict[int, list[tuple[int, float]]]:
    adj: dict[int, list[tuple[int, float]]] = {k: [] for k in range(net["n_sat"] + net["n_st"])}
    edges = [(int(a), int(b), float(x)) for a, b, x in zip(net["isl_a"], net["isl_b"], net["isl_length_m"])]
    edges += [(net["n_sat"] + int(s), int(j), float(x)) for s, j, x in zip(net["gsl_station"], net["gsl_sat"], net["gsl_range_m"])]
    for a, b, x in edges:
        adj[a].append((b, x / c_m_s))
        adj[b].append((a, x / c_m_s))
    return adj


def dijkstra(adj, n_sat: int, s: int, d: int) -> float:
    """One-way delay [s] from node s to d with heapq; stations other than the two ends are not relays."""
    best = {s: 0.0}
    heap = [(0.0, s)]
    while heap:
        t, u = heapq.heappop(heap)
        if u == d:
            return t
        if t > best.get(u, math.inf) or (u >= n_sat and u != s):
            continue
        for v, w in adj[u]:
            if v >= n_sat and v != d:
                continue
            if t + w < best.get(v, math.inf):
                best[v] = t + w
                heapq.heappush(heap, (t + w, v))
    return math.inf


def _networkx_delay(net, c_m_s: float, s: int, d: int) -> float:
    import networkx as nx

    g = nx.Graph()
    n_sat = net["n_sat"]
    g.add_nodes_from(range(n_sat + net["n_st"]))
    for a, b, x in zip(net["isl_a"], net["isl_b"], net["isl_length_m"]):
        g.add_edge(int(a), int(b), weight=float(x) / c_m_s)
    for st, j, x in zip(net["gsl_station"], net["gsl_sat"], net["gsl_range_m"]):
        g.add_edge(n_sat + int(st), int(j), weight=float(x) / c_m_s)
    h = g.subgraph([*range(n_sat), s, d])
    try:
        return float(nx.single_source_dijkstra(h, s, target=d, weight="weight")[0])
    except nx.NetworkXNoPath:
        return math.inf


def rtt_routing(full: bool) -> dict:
    from orbitcloud.constants import C_M_S
    from orbitcloud.network.routing import Snapshot, rtt_and_paths

    use_nx = have("networkx")
    seeds = range(40) if full else range(8)
    worst, problems, n_pairs, xs, ys = 0.0, [], 0, [], []
    for seed in seeds:
        big = full and seed % 4 == 3
        net = random_network(seed, n_sat=120 if big else 18, n_st=12 if big else 5, p_isl=0.04 if big else 0.18)
        snap = Snapshot.build(**net)
        src, dst = np.nonzero(np.ones((net["n_st"], net["n_st"])))
        routes = rtt_and_paths(snap, src, dst)
        adj = _adjacency(net, C_M_S)
        for i, (s, d) in enumerate(zip(src, dst)):
            if s == d:
                continue
            a, b = net["n_sat"] + int(s), net["n_sat"] + int(d)
            ref = 2.0 * (_networkx_delay(net, C_M_S, a, b) if use_nx else dijkstra(adj, net["n_sat"], a, b))
            got = float(routes.rtt_s[i])
            n_pairs += 1
            if math.isinf(ref) or math.isinf(got):
                if math.isinf(ref) != math.isinf(got):
                    problems.append(f"seed {seed} pair {s}->{d}: reachable in one only")
                continue
            rel = abs(got - ref) / ref
            worst = max(worst, rel)
            xs.append(n_pairs)
            ys.append(rel)
    tool = f"networkx {version('networkx')} single_source_dijkstra" if use_nx else "a plain heapq Dijkstra (networkx not installed)"
    return measured(
        "independent shortest paths on the same graphs (stations relay only as ends)", tool,
        REL, "relative", worst, "relative", passed=not problems and n_pairs > 0,
        detail=f"{len(seeds)} random networks, {n_pairs} station pairs" + ("; " + "; ".join(problems[:3]) if problems else ""),
        series=series(xs, ys, "station pair", "relative RTT error"),
    )
