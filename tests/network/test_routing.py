"""Routing and flows (``orbitcloud.network.routing``).

References used here (independent of the code under test):

* networkx (``single_source_dijkstra``, pure Python) on the same random graphs, with the ground relay
  rule applied by taking the subgraph of the satellites plus the two end stations;
* brute force over stations for the nearest gateway;
* max-min fairness: the bottleneck characterisation (Bertsekas & Gallager, *Data Networks*, 2nd ed.,
  1992, section 6.5.2: a feasible rate vector is max-min fair iff every flow that is below its demand
  crosses a saturated link on which its rate is the largest), an exact progressive-filling reference in
  rational arithmetic (``fractions.Fraction``), the textbook example of S. Keshav (*An Engineering
  Approach to Computer Networking*, 1997: demands 2, 2.6, 4, 5 on capacity 10 -> 2, 2.6, 2.7, 2.7)
  and a multi-link example solved by hand in the test.

Edge lengths are drawn from continuous distributions, so shortest paths are unique with probability
one and paths and hop counts can be compared exactly; delays are compared to 1e-12 relative.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.constants import C_M_S
from orbitcloud.network.routing import (
    Paths,
    RoutingError,
    Snapshot,
    max_min_fair,
    nearest_gateway,
    path_changes,
    rtt_and_paths,
    shortest_path_tree,
)

REL = 1e-12  # relative tolerance on delays (sums of ~10 doubles in a different order)


def random_network(seed: int, n_sat: int = 18, n_st: int = 5, p_isl: float = 0.18, gsl_per_station: int = 2):
    """Random satellites graph (may be disconnected) with stations seeing a few random satellites."""
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n_sat, 1)
    keep = rng.random(i.size) < p_isl
    a, b = i[keep], j[keep]
    swap = rng.random(a.size) < 0.5  # give links in either direction
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    isl_len = rng.uniform(5e5, 5e6, a.size)
    isl_cap = rng.uniform(1e9, 1e11, a.size)
    st_idx = np.repeat(np.arange(n_st), gsl_per_station)
    sat = np.concatenate([rng.choice(n_sat, gsl_per_station, replace=False) for _ in range(n_st)])
    if n_st > 1:  # one station without any ground link: unreachable
        st_idx, sat = st_idx[st_idx != n_st - 1], sat[st_idx != n_st - 1]
    gsl_len = rng.uniform(6e5, 1.5e6, st_idx.size)
    gsl_cap = rng.uniform(1e8, 1e10, st_idx.size)
    return dict(
        n_sat=n_sat, n_st=n_st, isl_a=a, isl_b=b, isl_length_m=isl_len, isl_capacity_bps=isl_cap,
        gsl_station=st_idx, gsl_sat=sat, gsl_range_m=gsl_len, gsl_capacity_bps=gsl_cap,
    )


def nx_graph(net) -> nx.Graph:
    g = nx.Graph()
    n_sat = net["n_sat"]
    g.add_nodes_from(range(n_sat + net["n_st"]))
    for a, b, length in zip(net["isl_a"], net["isl_b"], net["isl_length_m"]):
        g.add_edge(int(a), int(b), weight=float(length) / C_M_S)
    for s, j, length in zip(net["gsl_station"], net["gsl_sat"], net["gsl_range_m"]):
        g.add_edge(n_sat + int(s), int(j), weight=float(length) / C_M_S)
    return g


def nx_route(g: nx.Graph, n_sat: int, s_node: int, d_node: int, relay: bool):
    """(one-way delay, path) by networkx; stations other than the ends removed unless relay."""
    h = g if relay else g.subgraph([*range(n_sat), s_node, d_node])
    try:
        length, path = nx.single_source_dijkstra(h, s_node, target=d_node, weight="weight")
    except nx.NetworkXNoPath:
        return math.inf, ()
    return length, tuple(path)


# ---------------------------------------------------------------------------------------------------
# graph construction


def test_graph_weights_are_delays_and_stations_split():
    net = random_network(1)
    snap = Snapshot.build(**net)
    n_sat, n_st = net["n_sat"], net["n_st"]
    assert snap.n_node == n_sat + 2 * n_st
    g = snap.graph.toarray()
    for a, b, length in zip(net["isl_a"], net["isl_b"], net["isl_length_m"]):
        assert g[a, b] == g[b, a] == length / C_M_S
    for s, j, length in zip(net["gsl_station"], net["gsl_sat"], net["gsl_range_m"]):
        assert g[n_sat + s, j] == length / C_M_S  # uplink copy: out-edges only
        assert g[j, n_sat + n_st + s] == length / C_M_S  # downlink copy: in-edges only
    assert not g[:, n_sat : n_sat + n_st].any()  # nothing enters an uplink copy
    assert not g[n_sat + n_st :, :].any()  # nothing leaves a downlink copy
    assert snap.graph.nnz == 2 * (net["isl_a"].size + net["gsl_station"].size)

    relay = Snapshot.build(**net, relay_via_ground=True)
    assert relay.n_node == n_sat + n_st
    assert (relay.graph != relay.graph.T).nnz == 0


def test_edge_ids_and_capacities():
    net = random_network(2)
    snap = Snapshot.build(**net)
    n_isl = net["isl_a"].size
    np.testing.assert_array_equal(snap.edge_src[0 : 2 * n_isl : 2], net["isl_a"])
    np.testing.assert_array_equal(snap.edge_dst[1 : 2 * n_isl : 2], net["isl_a"])
    np.testing.assert_array_equal(snap.edge_src[2 * n_isl :: 2], net["n_sat"] + net["gsl_station"])
    np.testing.assert_array_equal(snap.edge_dst[2 * n_isl + 1 :: 2], net["n_sat"] + net["gsl_station"])
    link_capacity_bps = np.concatenate([net["isl_capacity_bps"], net["gsl_capacity_bps"]])
    np.testing.assert_array_equal(snap.edge_capacity_bps[0::2], link_capacity_bps)
    np.testing.assert_array_equal(snap.edge_capacity_bps[1::2], link_capacity_bps)
    routes = rtt_and_paths(snap, *np.nonzero(np.ones((net["n_st"], net["n_st"]))))
    for i, (path, edges) in enumerate(zip(routes.paths, snap.edges_of(routes.paths))):
        assert len(edges) == max(len(path) - 1, 0)
        for (u, v), e in zip(itertools.pairwise(path), edges):
            assert (snap.edge_src[e], snap.edge_dst[e]) == (u, v)
        if len(path) > 1:  # the delays of the path's edges add up to half the RTT
            assert 2.0 * math.fsum(snap.edge_delay_s[edges]) == pytest.approx(routes.rtt_s[i], rel=REL, abs=0.0)
    with pytest.raises(ValueError, match="is not a link"):
        snap.edges_of([(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17)])


# ---------------------------------------------------------------------------------------------------
# station-to-station routes against networkx


@pytest.mark.parametrize("relay", [False, True])
@pytest.mark.parametrize("seed", range(12))
def test_routes_match_networkx(seed, relay):
    net = random_network(seed, n_sat=14 + seed % 7, n_st=4 + seed % 3, p_isl=0.12 + 0.02 * (seed % 4))
    snap = Snapshot.build(**net, relay_via_ground=relay)
    n_sat, n_st = net["n_sat"], net["n_st"]
    src, dst = (x.ravel() for x in np.meshgrid(np.arange(n_st), np.arange(n_st), indexing="ij"))
    routes = rtt_and_paths(snap, src, dst)
    g = nx_graph(net)
    reachable = 0
    for i, (s, d) in enumerate(zip(src, dst)):
        one_way, path = nx_route(g, n_sat, n_sat + s, n_sat + d, relay)
        if math.isinf(one_way):
            assert math.isinf(routes.rtt_s[i]) and routes.hops[i] == -1 and routes.paths[i] == ()
            continue
        reachable += 1
        assert routes.rtt_s[i] == pytest.approx(2.0 * one_way, rel=REL, abs=0.0)
        assert routes.hops[i] == len(path) - 1
        assert routes.paths[i] == path
        # the path's own edge delays add up to the RTT / 2
        delays = [g.edges[u, v]["weight"] for u, v in itertools.pairwise(path)]
        assert 2.0 * math.fsum(delays) == pytest.approx(routes.rtt_s[i], rel=REL, abs=0.0)
    assert reachable > n_st  # not only the diagonal


def test_chunked_dijkstra_calls_agree(monkeypatch):
    from orbitcloud.network import routing

    net = random_network(5, n_sat=20, n_st=7, p_isl=0.15, gsl_per_station=3)
    snap = Snapshot.build(**net)
    src, dst = (x.ravel() for x in np.meshgrid(np.arange(7), np.arange(7), indexing="ij"))
    whole = rtt_and_paths(snap, src, dst)
    monkeypatch.setattr(routing, "_DIJKSTRA_ELEMENTS", 2 * snap.n_node)  # two sources per call
    parts = rtt_and_paths(snap, src, dst)
    np.testing.assert_array_equal(parts.rtt_s, whole.rtt_s)
    np.testing.assert_array_equal(parts.hops, whole.hops)
    assert parts.paths.tolist() == whole.paths.tolist()
    assert not path_changes(parts.paths, whole.paths).any()


def test_station_to_itself_and_unreachable():
    net = random_network(3)
    snap = Snapshot.build(**net)
    n_sat, last = net["n_sat"], net["n_st"] - 1  # the last station has no ground link
    routes = rtt_and_paths(snap, [0, 2, last, 0], [0, 2, 0, last])
    np.testing.assert_array_equal(routes.rtt_s[:2], 0.0)
    np.testing.assert_array_equal(routes.hops, [0, 0, -1, -1])
    assert routes.paths.tolist() == [(n_sat,), (n_sat + 2,), (), ()]
    assert np.isinf(routes.rtt_s[2:]).all()
    empty = rtt_and_paths(snap, [], [])
    assert empty.rtt_s.size == 0 and len(empty.paths) == 0


def test_stations_are_never_relays_unless_allowed():
    # two satellite islands {0,1,2} and {3,4,5}, bridged only through station 1 (node 7)
    n_sat, n_st = 6, 3
    isl = dict(isl_a=[0, 1, 3, 4], isl_b=[1, 2, 4, 5], isl_length_m=[1e6] * 4, isl_capacity_bps=[1e9] * 4)
    gsl = dict(
        gsl_station=[0, 1, 1, 2], gsl_sat=[0, 2, 3, 5], gsl_range_m=[7e5, 8e5, 9e5, 6e5], gsl_capacity_bps=[1e9] * 4
    )
    plain = rtt_and_paths(Snapshot.build(n_sat, n_st, **isl, **gsl), [0, 0], [2, 1])
    assert np.isinf(plain.rtt_s[0]) and plain.hops[0] == -1  # would need station 1 as a relay
    assert plain.paths[1] == (6, 0, 1, 2, 7)
    relay = rtt_and_paths(Snapshot.build(n_sat, n_st, **isl, **gsl, relay_via_ground=True), [0], [2])
    assert relay.paths[0] == (6, 0, 1, 2, 7, 3, 4, 5, 8)
    assert relay.rtt_s[0] == pytest.approx(2 * (7e5 + 2e6 + 8e5 + 9e5 + 2e6 + 6e5) / C_M_S, rel=REL)


@pytest.mark.parametrize("seed", range(20))
def test_no_station_inside_paths_on_dense_ground(seed):
    # many ground links per station make a ground relay often shorter than the space path
    net = random_network(seed, n_sat=16, n_st=8, p_isl=0.15, gsl_per_station=4)
    n_sat = net["n_sat"]
    src, dst = np.triu_indices(net["n_st"], 1)
    plain = rtt_and_paths(Snapshot.build(**net), src, dst)
    relay = rtt_and_paths(Snapshot.build(**net, relay_via_ground=True), src, dst)
    for path in plain.paths:
        assert all(node < n_sat for node in path[1:-1])
    # a relay can only help
    finite = np.isfinite(plain.rtt_s)
    assert (relay.rtt_s[finite] <= plain.rtt_s[finite] * (1 + REL)).all()
    assert np.isfinite(relay.rtt_s[finite]).all()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), relay=st.booleans())
def test_rtt_symmetric(seed, relay):
    net = random_network(seed, n_sat=20, n_st=6, p_isl=0.15)
    snap = Snapshot.build(**net, relay_via_ground=relay)
    src, dst = (x.ravel() for x in np.meshgrid(np.arange(6), np.arange(6), indexing="ij"))
    both = rtt_and_paths(snap, src, dst)
    rtt = both.rtt_s.reshape(6, 6)
    hops = both.hops.reshape(6, 6)
    np.testing.assert_array_equal(rtt, rtt.T)  # both directions in one call: bit-identical
    np.testing.assert_array_equal(hops, hops.T)
    for k, (s, d) in enumerate(zip(src, dst)):
        assert both.paths[k] == tuple(reversed(both.paths[int(d) * 6 + int(s)]))
    # one direction per call: equal to rounding
    fwd = rtt_and_paths(snap, src, dst[::-1])
    bwd = rtt_and_paths(snap, dst[::-1], src)
    np.testing.assert_allclose(fwd.rtt_s, bwd.rtt_s, rtol=REL, atol=0.0)
    np.testing.assert_array_equal(fwd.hops, bwd.hops)


# ---------------------------------------------------------------------------------------------------
# path changes


def test_path_changes_counts():
    prev = [(10, 0, 1, 11), (10, 2, 11), (), (), (12, 3, 4, 5, 13), (12,)]
    cur = [(10, 0, 1, 11), (10, 3, 11), (), (12, 4, 13), (12, 3, 4, 5), (12,)]
    changed = path_changes(prev, cur)
    np.testing.assert_array_equal(changed, [False, True, False, True, True, False])
    assert changed.sum() == 3
    assert path_changes(Paths.from_sequences(prev), Paths.from_sequences(cur)).sum() == 3
    assert not path_changes(cur, cur).any()
    assert Paths.from_sequences(prev).tolist() == prev
    np.testing.assert_array_equal(Paths.from_sequences(prev).hops, [3, 2, -1, -1, 4, 0])
    with pytest.raises(ValueError, match="same pairs"):
        path_changes(prev, cur[:-1])


def test_path_changes_between_steps():
    # ring of 6 satellites; stations at satellites 0 and 3; two equal-ish ways round
    n_sat, a, b = 6, np.arange(6), (np.arange(6) + 1) % 6
    gsl = dict(gsl_station=[0, 1], gsl_sat=[0, 3], gsl_range_m=[7e5, 7e5], gsl_capacity_bps=[1e9, 1e9])
    lengths = np.array([1.0, 1.0, 1.0, 1.1, 1.1, 1.1]) * 1e6
    s1 = Snapshot.build(n_sat, 2, a, b, lengths, np.ones(6), **gsl)
    s2 = Snapshot.build(n_sat, 2, a, b, lengths[::-1].copy(), np.ones(6), **gsl)
    r1 = rtt_and_paths(s1, [0, 1], [1, 0])
    r2 = rtt_and_paths(s2, [0, 1], [1, 0])
    assert r1.paths[0] == (6, 0, 1, 2, 3, 7)
    assert r2.paths[0] == (6, 0, 5, 4, 3, 7)
    assert path_changes(r1.paths, r2.paths).sum() == 2
    assert path_changes(r1.paths, rtt_and_paths(s1, [0, 1], [1, 0]).paths).sum() == 0


# ---------------------------------------------------------------------------------------------------
# trees


@pytest.mark.parametrize("relay", [False, True])
@pytest.mark.parametrize("seed", range(8))
def test_nearest_gateway_brute_force(seed, relay):
    net = random_network(seed, n_sat=20, n_st=5, p_isl=0.12)
    snap = Snapshot.build(**net, relay_via_ground=relay)
    n_sat, n_st = net["n_sat"], net["n_st"]
    g = nx_graph(net)
    for gateways in (None, [1, 3]):
        got = nearest_gateway(snap, gateways)
        stations = range(n_st) if gateways is None else gateways
        for j in range(n_sat):
            best = (math.inf, -1, ())
            for k in stations:
                d, path = nx_route(g, n_sat, n_sat + k, j, relay)
                if d < best[0]:
                    best = (d, k, path)
            if math.isinf(best[0]):
                assert math.isinf(got.delay_s[j]) and got.gateway[j] == -1 and got.hops[j] == -1
            else:
                assert got.delay_s[j] == pytest.approx(best[0], rel=REL, abs=0.0)
                assert got.gateway[j] == best[1]
                assert got.hops[j] == len(best[2]) - 1


@pytest.mark.parametrize("seed", range(6))
def test_shortest_path_tree_matches_networkx(seed):
    net = random_network(seed, n_sat=20, n_st=5, p_isl=0.15)
    snap = Snapshot.build(**net)
    n_sat, n_st = net["n_sat"], net["n_st"]
    g = nx_graph(net)
    for source in (0, n_sat + 1):
        delay_s, pred = shortest_path_tree(snap, source)
        assert delay_s.shape == pred.shape == (n_sat + n_st,)
        for t in range(n_sat + n_st):
            d, path = nx_route(g, n_sat, source, t, relay=False)
            if t == source:
                assert delay_s[t] == 0.0 and pred[t] == -1
            elif math.isinf(d):
                assert math.isinf(delay_s[t]) and pred[t] == -1
            else:
                assert delay_s[t] == pytest.approx(d, rel=REL, abs=0.0)
                assert pred[t] == path[-2]


# ---------------------------------------------------------------------------------------------------
# max-min fairness


def exact_max_min(paths, demands, capacity):
    """Progressive filling in exact rational arithmetic, one flow set at a time (slow reference)."""
    rate = [Fraction(0)] * len(paths)
    cap = [Fraction(c) for c in capacity]
    active = {f for f, d in enumerate(demands) if d > 0}
    edges = range(len(cap))

    def load(e):
        return sum(rate[f] * paths[f].count(e) for f in range(len(paths)))

    while active:
        count = [sum(paths[f].count(e) for f in active) for e in edges]
        steps = [(cap[e] - load(e)) / count[e] for e in edges if count[e]]
        steps += [Fraction(demands[f]) - rate[f] for f in active]
        dt = min(steps)
        for f in active:
            rate[f] += dt
        full = {e for e in edges if count[e] and load(e) == cap[e]}
        active = {f for f in active if rate[f] < demands[f] and not full.intersection(paths[f])}
    return [float(r) for r in rate]


def check_bottleneck(paths, demands, capacity, share, tol=1e-9):
    rate, load = share.rate_bps, share.load_bps
    capacity = np.asarray(capacity, float)
    assert (rate >= 0).all() and (rate <= np.asarray(demands) * (1 + tol) + tol).all()
    assert (load <= capacity * (1 + tol) + tol).all()  # no link over capacity
    for f, path in enumerate(paths):
        if rate[f] >= demands[f] * (1 - tol):
            continue  # demand satisfied
        ok = False
        for e in set(path):
            users = [g for g, p in enumerate(paths) if e in p]
            if load[e] >= capacity[e] * (1 - tol) - tol and rate[f] >= max(rate[users]) * (1 - tol) - tol:
                ok = True
        assert ok, f"flow {f} (rate {rate[f]}) below its demand has no bottleneck link"


def test_keshav_single_link():
    share = max_min_fair([[0], [0], [0], [0]], [2.0, 2.6, 4.0, 5.0], [10.0])
    np.testing.assert_allclose(share.rate_bps, [2.0, 2.6, 2.7, 2.7], rtol=1e-12)
    np.testing.assert_allclose(share.unmet_bps, [0.0, 0.0, 1.3, 2.3], rtol=1e-12, atol=1e-12)
    assert share.utilisation[0] == pytest.approx(1.0, rel=1e-12)


def test_hand_example_three_links():
    # links a, b (capacity 1) and c (capacity 2); greedy flows:
    # f0: a, b   f1: a   f2: a   f3: b, c   f4: c
    # a saturates first with 3 flows (1/3 each: f0, f1, f2); b then holds f0 = 1/3, so f3 = 2/3;
    # c then holds f3 = 2/3 and f4 takes the rest, 4/3.
    paths = [[0, 1], [0], [0], [1, 2], [2]]
    share = max_min_fair(paths, [np.inf] * 5, [1.0, 1.0, 2.0])
    np.testing.assert_allclose(share.rate_bps, [1 / 3, 1 / 3, 1 / 3, 2 / 3, 4 / 3], rtol=1e-12)
    np.testing.assert_allclose(share.utilisation, [1.0, 1.0, 1.0], rtol=1e-12)
    assert share.iterations == 3
    assert np.isinf(share.unmet_bps).all()


def test_max_min_edge_cases():
    # zero demand, empty path, zero-capacity edge, infinite capacity, a path crossing an edge twice
    paths = [[0], [], [1], [2, 0], [3, 3], [3]]
    share = max_min_fair(paths, [5.0, 7.0, 1.0, 4.0, np.inf, np.inf], [6.0, 0.0, np.inf, 3.0])
    np.testing.assert_allclose(share.rate_bps, [3.0, 7.0, 0.0, 3.0, 1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(share.load_bps, [6.0, 0.0, 3.0, 3.0], rtol=1e-12)
    np.testing.assert_allclose(share.utilisation, [1.0, 0.0, 0.0, 1.0], rtol=1e-12)
    assert max_min_fair([[0]], [0.0], [1.0]).rate_bps[0] == 0.0
    assert max_min_fair([], [], [1.0]).rate_bps.size == 0


@pytest.mark.parametrize("seed", range(15))
def test_max_min_random_against_exact_and_bottleneck(seed):
    rng = np.random.default_rng(seed)
    n_e, n_f = int(rng.integers(3, 9)), int(rng.integers(2, 14))
    capacity = rng.integers(1, 20, n_e).astype(float)
    lengths = rng.integers(1, min(4, n_e) + 1, n_f)
    paths = [sorted(rng.choice(n_e, int(k), replace=False).tolist()) for k in lengths]
    demands = rng.integers(1, 12, n_f).astype(float)
    demands[rng.random(n_f) < 0.3] = np.inf
    share = max_min_fair(paths, demands, capacity)
    check_bottleneck(paths, demands, capacity, share)
    finite = [d if np.isfinite(d) else 10**9 for d in demands]
    np.testing.assert_allclose(share.rate_bps, exact_max_min(paths, finite, capacity), rtol=1e-10)
    assert share.iterations <= n_f


def test_max_min_on_routes():
    net = random_network(4, n_sat=25, n_st=6, p_isl=0.2, gsl_per_station=3)
    snap = Snapshot.build(**net)
    src, dst = np.nonzero(~np.eye(6, dtype=bool))
    routes = rtt_and_paths(snap, src, dst)
    edges = snap.edges_of(routes.paths)
    demands = np.where(routes.hops > 0, 5e9, 0.0)
    share = max_min_fair(edges, demands, snap.edge_capacity_bps)
    check_bottleneck([e.tolist() for e in edges], demands, snap.edge_capacity_bps, share)
    assert share.rate_bps.sum() > 0


# ---------------------------------------------------------------------------------------------------
# bad input


GOOD = dict(
    n_sat=3, n_st=2, isl_a=[0, 1], isl_b=[1, 2], isl_length_m=[1e6, 1e6], isl_capacity_bps=[1e9, 1e9],
    gsl_station=[0, 1], gsl_sat=[0, 2], gsl_range_m=[7e5, 7e5], gsl_capacity_bps=[1e9, 1e9],
)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(n_sat=0), "n_sat = 0 must be an integer >= 1"),
        (dict(n_st=-1), "n_st = -1 must be an integer >= 0"),
        (dict(isl_b=[1, 3]), r"isl_b\[1\] = 3 is not a satellite index in \[0, 3\)"),
        (dict(isl_a=[0.0, 1.0]), "isl_a must hold integers"),
        (dict(isl_length_m=[1e6]), "edge arrays differ in length"),
        (dict(isl_length_m=[1e6, 0.0]), r"isl_length_m\[1\] = 0.0 must be > 0 and finite"),
        (dict(isl_length_m=[1e6, np.nan]), r"isl_length_m\[1\] = nan must be > 0"),
        (dict(isl_capacity_bps=[-1.0, 1.0]), r"isl_capacity_bps\[0\] = -1.0 must be >= 0"),
        (dict(isl_a=[0, 1], isl_b=[1, 1]), "ISL 1 joins satellite 1 to itself"),
        (dict(isl_a=[0, 1], isl_b=[1, 0]), r"ISL 1 repeats ISL 0 \(nodes 0 and 1\)"),
        (dict(gsl_station=[0, 0], gsl_sat=[0, 0]), r"GSL 1 repeats GSL 0"),
        (dict(gsl_station=[0, 2]), r"gsl_station\[1\] = 2 is not a station index in \[0, 2\)"),
        (dict(gsl_range_m=[7e5, np.inf]), r"gsl_range_m\[1\] = inf must be > 0 and finite"),
        (dict(isl_a=[[0, 1]], isl_b=[[1, 2]]), "isl_a must be one-dimensional"),
    ],
)
def test_build_rejects_bad_input(change, message):
    with pytest.raises(ValueError, match=message) as info:
        Snapshot.build(**{**GOOD, **change})
    assert isinstance(info.value, RoutingError) and "\n" not in str(info.value)


def test_routing_rejects_bad_input():
    snap = Snapshot.build(**GOOD)
    with pytest.raises(ValueError, match=r"dst_stations\[0\] = 5 is not a station index in \[0, 2\)"):
        rtt_and_paths(snap, [0], [5])
    with pytest.raises(ValueError, match="src_stations has 2 entries but dst_stations has 1"):
        rtt_and_paths(snap, [0, 1], [1])
    with pytest.raises(ValueError, match="not a station index"):
        nearest_gateway(snap, [2])
    with pytest.raises(ValueError, match=r"source = 5 is not a node id in \[0, 5\)"):
        shortest_path_tree(snap, 5)
    with pytest.raises(ValueError, match="demands_bps has 1 entries but there are 2 paths"):
        max_min_fair([[0], [1]], [1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"edge id 4 in paths is not in \[0, 2\)"):
        max_min_fair([[0], [4]], [1.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="flow 1 has infinite demand and crosses no finite-capacity edge"):
        max_min_fair([[0], [1]], [1.0, np.inf], [1.0, np.inf])
    with pytest.raises(ValueError, match=r"capacity_bps\[0\] = -1.0 must be >= 0"):
        max_min_fair([[0]], [1.0], [-1.0])
    with pytest.raises(ValueError, match="integer edge ids"):
        max_min_fair([[0.5]], [1.0], [1.0])
