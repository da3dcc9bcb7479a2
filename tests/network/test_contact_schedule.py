"""Antenna scheduling, relay paths and contact-plan files (``network/contact_schedule.py``,
``network/contact_files.py``).

* no antenna ever serves two passes at once (every pair checked), no satellite on two stations at
  once unless ``allow_parallel``; refusals are necessary (the station really is full), higher
  priority is never displaced by lower, and fairness beats first-come-first-served starvation;
* relay paths match networkx shortest paths (latency, hops, bottleneck, gateway) on random graphs,
  with and without a hop limit (the limit checked on a layered graph), across unreachable parts;
* the CSV table and the ION contact plan parse back to what was scheduled.
"""

from __future__ import annotations

import csv
import math
import re
from itertools import pairwise

import networkx as nx
import numpy as np
import pytest

from orbitcloud.constants import C_M_S
from orbitcloud.errors import OrbitcloudError
from orbitcloud.network.contact_files import (
    TABLE_COLUMNS,
    contacts_table,
    write_contacts_csv,
    write_ion_contact_plan,
)
from orbitcloud.network.contact_schedule import (
    ALREADY_SERVED,
    ANTENNAS_BUSY,
    TOO_LOW,
    TOO_SHORT,
    relay_paths,
    schedule_antennas,
)
from orbitcloud.network.contacts import Contacts
from orbitcloud.network.ttc_ground import ground_network


def _contacts(station, sat, start, end, elev=None) -> Contacts:
    station = np.asarray(station, dtype=np.int64)
    n = station.size
    elev = np.full(n, 45.0) if elev is None else np.asarray(elev, dtype=float)
    f = np.zeros(n, dtype=bool)
    return Contacts(station, np.asarray(sat, dtype=np.int64), np.asarray(start, float), np.asarray(end, float), elev, f, f.copy())


def _net(antennas, min_elevation_deg=5.0):
    recs = [{"name": f"S{i}", "lat_deg": float(i), "lon_deg": float(i), "antennas": int(k)} for i, k in enumerate(antennas)]
    return ground_network(recs, min_elevation_deg=min_elevation_deg, uplink_bps=64e3, downlink_bps=2e6)


def _random_contacts(rng, n, n_st, n_sat, span_s=20_000.0):
    start = rng.uniform(0, span_s, n)
    return _contacts(rng.integers(0, n_st, n), rng.integers(0, n_sat, n), start, start + rng.uniform(30, 900, n),
                     rng.uniform(0, 90, n))


def _check_no_conflicts(c: Contacts, net, s, handover_s=0.0):
    served = np.flatnonzero(s.served)
    assert (s.antenna[~s.served] == -1).all() and (s.reason[served] == "").all() and (s.reason[~s.served] != "").all()
    assert (s.antenna[served] >= 0).all() and (s.antenna[served] < net.antennas[c.station[served]]).all()
    for a in served:  # every pair of bookings on one antenna is disjoint
        same = served[(c.station[served] == c.station[a]) & (s.antenna[served] == s.antenna[a]) & (served != a)]
        assert ((c.end_s[same] + handover_s <= c.start_s[a]) | (c.end_s[a] + handover_s <= c.start_s[same])).all()


def _busy_everywhere(c: Contacts, net, s, p, handover_s=0.0) -> bool:
    """Whether adding pass p would put more bookings than antennas at some instant of its interval."""
    srv = np.flatnonzero(s.served & (c.station == c.station[p]))
    a, b = c.start_s[p], c.end_s[p] + handover_s
    pts = np.concatenate([[a], c.start_s[srv][(c.start_s[srv] > a) & (c.start_s[srv] < b)]])
    depth = [((c.start_s[srv] <= t) & (c.end_s[srv] + handover_s > t)).sum() for t in pts]
    return max(depth) >= net.antennas[c.station[p]]


# ---- antenna scheduling ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed,handover_s", [(0, 0.0), (1, 120.0), (2, 30.0)])
def test_random_schedule_is_conflict_free_and_refusals_are_needed(seed, handover_s):
    rng = np.random.default_rng(seed)
    net = _net([1, 2, 3, 300])
    c = _random_contacts(rng, 600, len(net), 40)
    s = schedule_antennas(c, net, min_duration_s=60.0, handover_s=handover_s)
    _check_no_conflicts(c, net, s, handover_s)
    assert set(s.reason) <= {"", ANTENNAS_BUSY, ALREADY_SERVED, TOO_SHORT, TOO_LOW}
    np.testing.assert_array_equal(s.reason == TOO_SHORT, c.duration_s < 60.0)
    np.testing.assert_array_equal(s.reason == TOO_LOW, (c.max_elevation_deg < 5.0) & (c.duration_s >= 60.0))
    for p in np.flatnonzero(s.reason == ANTENNAS_BUSY):
        assert _busy_everywhere(c, net, s, p, handover_s)
    for p in np.flatnonzero(s.reason == ALREADY_SERVED):  # overlaps a booking of the same satellite
        other = s.served & (c.sat == c.sat[p])
        assert ((c.start_s[other] < c.end_s[p]) & (c.end_s[other] > c.start_s[p])).any()
    for i in range(40):  # one link at a time per satellite
        mine = np.flatnonzero(s.served & (c.sat == i))
        o = mine[np.argsort(c.start_s[mine])]
        assert (c.start_s[o][1:] >= c.end_s[o][:-1]).all()
    assert ANTENNAS_BUSY in set(s.reason) and s.served.sum() > 100
    assert (s.per_station(c, net, 20_000.0)["utilisation"] <= 1.0 + 1e-12).all()


def test_schedule_is_deterministic_and_ignores_row_order():
    rng = np.random.default_rng(5)
    net = _net([1, 2])
    c = _random_contacts(rng, 300, 2, 25)
    s = schedule_antennas(c, net)
    perm = rng.permutation(len(c))
    cp = Contacts(*(getattr(c, f)[perm] for f in ("station", "sat", "start_s", "end_s", "max_elevation_deg", "start_clipped", "end_clipped")))
    sp = schedule_antennas(cp, net)
    np.testing.assert_array_equal(sp.served, s.served[perm])
    np.testing.assert_array_equal(sp.antenna, s.antenna[perm])


def test_priority_is_never_displaced_by_lower_priority():
    rng = np.random.default_rng(3)
    net = _net([1, 2, 1])
    c = _random_contacts(rng, 500, 3, 30)
    prio = np.where(np.arange(30) < 8, 5, 0)
    s = schedule_antennas(c, net, priority=prio)
    high = prio[c.sat] == 5
    only = schedule_antennas(Contacts(*(getattr(c, f)[high] for f in ("station", "sat", "start_s", "end_s", "max_elevation_deg",
                                                                        "start_clipped", "end_clipped"))), net, priority=prio)
    np.testing.assert_array_equal(s.served[high], only.served)  # the high class is booked as if alone
    assert s.served[high].mean() > s.served[~high].mean()


def test_fairness_where_first_come_first_served_starves():
    # one antenna; satellite 0 always rises 10 s before satellite 1 with an overlapping pass
    k = np.arange(20)
    c = _contacts(np.zeros(40, int), np.repeat([0, 1], 20), np.concatenate([k * 1000.0, k * 1000.0 + 10]),
                  np.concatenate([k * 1000.0 + 500, k * 1000.0 + 510]))
    net = _net([1])
    fcfs_free, fcfs = -np.inf, []  # greedy by start time: satellite 1 never gets a pass
    for p in np.argsort(c.start_s, kind="stable"):
        if c.start_s[p] >= fcfs_free:
            fcfs.append(p)
            fcfs_free = c.end_s[p]
    assert set(c.sat[fcfs]) == {0}
    s = schedule_antennas(c, net)
    _check_no_conflicts(c, net, s)
    per_sat = np.bincount(c.sat[s.served], weights=c.duration_s[s.served], minlength=2)
    assert per_sat[0] == per_sat[1] == 10 * 500.0
    # equal booked time: the longer pass wins; then the lower satellite index
    c2 = _contacts([0, 0], [0, 1], [0.0, 5.0], [100.0, 300.0])
    assert schedule_antennas(c2, net).served.tolist() == [False, True]
    c3 = _contacts([0, 0], [1, 0], [0.0, 5.0], [100.0, 105.0])
    assert schedule_antennas(c3, net).served.tolist() == [False, True]


def test_parallel_passes_handover_and_per_station():
    net = _net([1, 1])
    c = _contacts([0, 1, 0], [0, 0, 1], [0.0, 100.0, 650.0], [600.0, 500.0, 900.0])
    s = schedule_antennas(c, net)
    assert s.served.tolist() == [True, False, True] and s.reason[1] == ALREADY_SERVED
    assert schedule_antennas(c, net, allow_parallel=True).served.all()
    h = schedule_antennas(c, net, handover_s=100.0)  # 600 + 100 > 650: the antenna is still slewing
    assert h.served.tolist() == [True, False, False] and h.reason[2] == ANTENNAS_BUSY
    assert schedule_antennas(c, _net([2, 1]), handover_s=100.0).antenna.tolist() == [0, -1, 1]
    stats = s.per_station(c, net, 1000.0)
    np.testing.assert_allclose(stats["utilisation"], [(600 + 250) / 1000.0, 0.0])
    assert stats["served"].tolist() == [2, 0] and stats["unserved"].tolist() == [0, 1]
    assert s.unserved.tolist() == [1]


def test_many_antennas_and_zero_length_passes():
    net = _net([300])
    c = _contacts(np.zeros(400, int), np.arange(400), np.zeros(400), np.full(400, 100.0))
    s = schedule_antennas(c, net)
    assert s.served.sum() == 300 and sorted(s.antenna[s.served].tolist()) == list(range(300))
    z = _contacts([0, 0, 0], [0, 1, 2], [5.0, 5.0, 0.0], [5.0, 5.0, 10.0])
    sz = schedule_antennas(z, _net([1]))
    _check_no_conflicts(z, _net([1]), sz)
    assert sz.served.sum() >= 1
    empty = schedule_antennas(Contacts.empty(), net)
    assert len(empty) == 0


@pytest.mark.parametrize("kwargs,pattern", [
    ({"min_duration_s": -1.0}, r"min_duration_s must be a finite number >= 0"),
    ({"handover_s": float("nan")}, r"handover_s must be a finite number"),
    ({"priority": np.array([1.5, 2.0])}, r"priority must be an integer array"),
    ({"priority": np.array([1])}, r"priority must be an integer array .*\(>= 2; got int64 of 1\)"),
])
def test_schedule_bad_arguments(kwargs, pattern):
    c = _contacts([0, 0], [0, 1], [0.0, 5.0], [100.0, 300.0])
    with pytest.raises(OrbitcloudError, match=pattern):
        schedule_antennas(c, _net([1]), **kwargs)


# ---- relay paths -----------------------------------------------------------------------------------------


def _random_graph(rng, n, m):
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    return a, b, rng.uniform(100e3, 5000e3, m), rng.uniform(1e9, 100e9, m)


def _nx_graph(n, a, b, rng_m, cap, hop_s):
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for u, v, r, c in zip(a.tolist(), b.tolist(), rng_m.tolist(), cap.tolist()):
        w = r / C_M_S + hop_s
        if u != v and (not g.has_edge(u, v) or w < g[u][v]["w"]):
            g.add_edge(u, v, w=w, cap=c)
    return g


@pytest.mark.parametrize("seed,hop_s", [(0, 0.0), (1, 1e-3), (2, 0.0), (3, 5e-3)])
def test_relay_paths_match_networkx(seed, hop_s):
    rng = np.random.default_rng(seed)
    n = 80
    a, b, r, cap = _random_graph(rng, n, 110)  # sparse: several components
    gw = np.zeros(n, bool)
    gw[rng.choice(n, 5, replace=False)] = True
    res = relay_paths(n, a, b, r, cap, gw, hop_latency_s=hop_s)
    g = _nx_graph(n, a, b, r, cap, hop_s)
    dist, paths = nx.multi_source_dijkstra(g, set(np.flatnonzero(gw).tolist()), weight="w")
    assert set(dist) == set(np.flatnonzero(res.reachable).tolist()) and len(dist) < n
    for v in range(n):
        if v not in dist:
            assert res.latency_s[v] == np.inf and res.hops[v] == -1 and res.capacity_bps[v] == 0 and res.via[v] == -1
            continue
        p = paths[v]
        assert res.latency_s[v] == pytest.approx(dist[v], rel=1e-12, abs=1e-15)
        assert res.hops[v] == len(p) - 1 and res.via[v] == p[0]
        bott = min((g[x][y]["cap"] for x, y in pairwise(p)), default=np.inf)
        assert res.capacity_bps[v] == bott
    assert (res.hops[gw] == 0).all() and (res.latency_s[gw] == 0).all() and np.isinf(res.capacity_bps[gw]).all()


def _layered_best(g, gateways, n, max_hops):
    """Hop-limited shortest paths with networkx on the layered graph (v, h), h <= max_hops."""
    lg = nx.DiGraph()
    for h in range(max_hops):
        for v in range(n):
            lg.add_edge((v, h), (v, h + 1), w=0.0, hop=0, cap=np.inf)
        for x, y, d in g.edges(data=True):
            for s, t in ((x, y), (y, x)):
                lg.add_edge((s, h), (t, h + 1), w=d["w"], hop=1, cap=d["cap"])
    src = {(v, 0) for v in gateways}
    lg.add_nodes_from(src)
    dist, paths = nx.multi_source_dijkstra(lg, src, weight="w")
    out = {}
    for v in range(n):
        if (v, max_hops) in dist:
            p = paths[(v, max_hops)]
            edges = [lg[x][y] for x, y in pairwise(p)]
            out[v] = (dist[(v, max_hops)], sum(e["hop"] for e in edges), min((e["cap"] for e in edges), default=np.inf), p[0][0])
    return out


@pytest.mark.parametrize("seed,max_hops", [(0, 0), (1, 1), (2, 3), (3, 5)])
def test_relay_paths_hop_limit(seed, max_hops):
    rng = np.random.default_rng(seed + 10)
    n = 40
    a, b, r, cap = _random_graph(rng, n, 90)
    gw = np.zeros(n, bool)
    gw[rng.choice(n, 3, replace=False)] = True
    res = relay_paths(n, a, b, r, cap, gw, max_hops=max_hops)
    want = _layered_best(_nx_graph(n, a, b, r, cap, 0.0), np.flatnonzero(gw).tolist(), n, max_hops)
    assert set(want) == set(np.flatnonzero(res.reachable).tolist())
    for v, (d, h, c, via) in want.items():
        assert res.latency_s[v] == pytest.approx(d, rel=1e-12, abs=1e-15)
        assert (res.hops[v], res.capacity_bps[v], res.via[v]) == (h, c, via) and h <= max_hops
    full = relay_paths(n, a, b, r, cap, gw)
    big = relay_paths(n, a, b, r, cap, gw, max_hops=n)
    np.testing.assert_allclose(big.latency_s, full.latency_s, rtol=1e-12)
    np.testing.assert_array_equal(big.hops, full.hops)


def test_relay_paths_edge_cases():
    # chain 0-1-2-3, island 4-5, duplicate edge 1-2 (the faster one counts), self loop ignored
    a, b = np.array([0, 1, 2, 4, 2, 3]), np.array([1, 2, 3, 5, 1, 3])
    r = np.array([3e5, 6e5, 3e5, 1e5, 9e5, 1e5])
    cap = np.array([10e9, 5e9, 20e9, 1e9, 50e9, 1e9])
    gw = np.array([True, False, False, False, False, False])
    res = relay_paths(6, a, b, r, cap, gw)
    assert res.hops.tolist() == [0, 1, 2, 3, -1, -1] and res.via.tolist() == [0, 0, 0, 0, -1, -1]
    np.testing.assert_allclose(res.latency_s[:4], np.cumsum([0, 3e5, 6e5, 3e5]) / C_M_S)
    assert res.capacity_bps.tolist() == [np.inf, 10e9, 5e9, 5e9, 0.0, 0.0]
    none = relay_paths(6, a, b, r, cap, np.zeros(6, bool))
    assert (none.hops == -1).all() and np.isinf(none.latency_s).all()
    assert relay_paths(6, a, b, r, cap, gw, max_hops=2).hops.tolist() == [0, 1, 2, -1, -1, -1]
    with pytest.raises(ValueError, match="gateway must be a bool array"):
        relay_paths(6, a, b, r, cap, np.zeros(5, bool))
    with pytest.raises(ValueError, match="outside 0..5"):
        relay_paths(6, a, b + 3, r, cap, gw)
    with pytest.raises(ValueError, match="max_hops"):
        relay_paths(6, a, b, r, cap, gw, max_hops=-1)


# ---- files -----------------------------------------------------------------------------------------------

ION_LINE = re.compile(r"^a (contact|range) \+(\d+) \+(\d+) (\d+) (\d+) (\d+)$")


def _scheduled(seed=7):
    rng = np.random.default_rng(seed)
    net = _net([1, 2, 1])
    c = _random_contacts(rng, 120, 3, 12, span_s=10_000.0)
    return net, c, schedule_antennas(c, net)


def test_contacts_table_and_csv_round_trip(tmp_path):
    net, c, s = _scheduled()
    t0 = np.datetime64("2026-03-01T12:00:00.250")
    names = [f"SAT-{i}" for i in range(12)]
    table = contacts_table(c, s, start_utc=t0, sat_names=names, net=net)
    assert tuple(table) == TABLE_COLUMNS and table["rise_utc"].dtype == np.dtype("datetime64[ns]")
    assert table["rise_utc"][0] == t0 + np.timedelta64(round(c.start_s[0] * 1e9), "ns")
    path = tmp_path / "contacts.csv"
    write_contacts_csv(path, table)
    assert [p.name for p in tmp_path.iterdir()] == ["contacts.csv"]  # no temporary file left
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(c) and tuple(rows[0]) == TABLE_COLUMNS
    for i, row in enumerate(rows):
        assert row["satellite"] == names[c.sat[i]] and row["station"] == net.names[c.station[i]]
        assert row["rise_utc"].endswith("Z") and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row["set_utc"])
        back = np.datetime64(row["rise_utc"][:-1], "ns")
        assert abs((back - table["rise_utc"][i]) / np.timedelta64(1, "ns")) <= 0.5e6
        assert float(row["duration_s"]) == c.duration_s[i] and float(row["max_elevation_deg"]) == c.max_elevation_deg[i]
        assert int(row["antenna"]) == s.antenna[i] and row["served"] == ("true" if s.served[i] else "false")
        assert row["reason"] == s.reason[i] and float(row["uplink_bps"]) == net.uplink_bps[c.station[i]]
    with pytest.raises(ValueError, match="lacks column"):
        write_contacts_csv(path, {k: v for k, v in table.items() if k != "reason"})


def _parse_ion(path):
    lines = path.read_text("utf-8").splitlines()
    cmds = [ION_LINE.match(x) for x in lines if x and not x.startswith("#") and not x.startswith("@ ")]
    assert all(cmds), [x for x in lines if x and not x.startswith(("#", "@ ")) and not ION_LINE.match(x)]
    return lines, [(m.group(1), *map(int, m.groups()[1:])) for m in cmds]


def test_ion_contact_plan_parses_back(tmp_path):
    net, c, s = _scheduled()
    names = [f"SAT-{i}" for i in range(12)]
    owlt = np.full(len(c), 0.004)
    owlt[0] = 2.6
    path = tmp_path / "plan.ionrc"
    write_ion_contact_plan(path, c, s, net=net, n_sat=12, sat_names=names, start_utc=np.datetime64("2026-03-01T12:00:00"),
                           owlt_s=owlt)
    lines, cmds = _parse_ion(path)
    assert "@ 2026/03/01-12:00:00" in lines and any("ionadmin" in x for x in lines if x.startswith("#"))
    assert "#   node 1 station S0" in lines and "#   node 1012 satellite SAT-11" in lines
    contacts = [x for x in cmds if x[0] == "contact"]
    ranges = [x for x in cmds if x[0] == "range"]
    assert len(contacts) == len(ranges) == 2 * int(s.served.sum())
    served = {(int(c.station[i]) + 1, 1001 + int(c.sat[i]), math.ceil(c.start_s[i])): i for i in np.flatnonzero(s.served)}
    for kind, a, b, frm, to, val in contacts + ranges:
        station, satn = (frm, to) if frm <= 1000 else (to, frm)
        i = served[(station, satn, a)]
        assert c.start_s[i] <= a < b <= c.end_s[i]
        if kind == "contact":
            rate = net.uplink_bps if frm == station else net.downlink_bps
            assert val == round(rate[station - 1] / 8)
        else:
            assert val == (3 if i == 0 else 1)
    everything = tmp_path / "all.ionrc"
    write_ion_contact_plan(everything, c, s, net=net, n_sat=12, sat_names=names, include_unserved=True)
    _, cmds_all = _parse_ion(everything)
    assert sum(x[0] == "contact" for x in cmds_all) == 2 * len(c)
    with pytest.raises(ValueError, match="sat_names has 3 names"):
        write_ion_contact_plan(path, c, s, net=net, n_sat=12, sat_names=names[:3])
