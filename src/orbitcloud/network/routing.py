"""Shortest-latency routing and max-min fair flows over one snapshot of a time-varying network.

The network of one time step is given as edge lists: inter-satellite links (ISL) ``(a, b, length_m,
capacity_bps)`` among satellites ``0 .. n_sat-1`` and ground-satellite links (GSL) ``(station s,
satellite j, range_m, capacity_bps)``. Nodes are numbered as in Hypatia: satellites first, then the
ground stations, station ``k`` being node ``n_sat + k`` ("ground-station IDs following the
satellites"). Every link is bidirectional, with propagation delay ``length / c`` (``c`` the speed of
light in vacuum) in both directions and ``capacity_bps`` in each direction (full duplex).

* :meth:`Snapshot.build` turns the edge lists into a ``scipy.sparse`` CSR graph of delays [s].
* :func:`rtt_and_paths` gives station-to-station round-trip times, hop counts and paths for many pairs
  with one ``scipy.sparse.csgraph.dijkstra`` call (one Dijkstra per distinct source station).
* :func:`nearest_gateway` gives each satellite's delay to its nearest ground station (one
  multi-source Dijkstra, ``min_only=True``); :func:`shortest_path_tree` one single-source tree.
* :func:`max_min_fair` shares link capacity among flows by progressive filling.
* :func:`path_changes` compares the paths of two steps.

Ground relay rule. Unless ``relay_via_ground``, a ground station is only ever a path's end point,
never an intermediate hop (as in Hypatia's default, which forbids ground-station relays). This is
exact by construction: the graph then has ``n_sat + 2 n_st`` nodes. Station ``k`` appears twice, as an
*uplink* node ``n_sat + k`` that has only outgoing edges (station -> satellite) and as a *downlink*
node ``n_sat + n_st + k`` that has only incoming edges (satellite -> station). A path can leave an
uplink node only if it starts there and can enter a downlink node only to end there, so no path of the
graph passes through a station, and every satellite-only path between two stations is a path of the
graph. Outputs use the public node numbers (``n_sat + k`` for both copies of station ``k``). With
``relay_via_ground=True`` the graph is the plain undirected one on ``n_sat + n_st`` nodes.

Sources:

* S. Kassing, D. Bhattacherjee, A. B. Aguas, J. E. Saethre, A. Singla, "Exploring the 'Internet from
  space' with Hypatia", ACM IMC 2020 (node numbering, shortest propagation-delay routing recomputed
  per time step, ground stations not used as relays).
* D. Bertsekas, R. Gallager, *Data Networks*, 2nd ed., Prentice Hall 1992, section 6.5.2 (max-min
  fairness, the bottleneck characterisation and the progressive-filling algorithm).
* E. W. Dijkstra, "A note on two problems in connexion with graphs", Numer. Math. 1 (1959) 269, as
  implemented in ``scipy.sparse.csgraph.dijkstra`` (Fibonacci heap).

Assumptions: delay is propagation only (no queueing, transmission or processing delay); routes are
shortest propagation delay, recomputed independently at every step. Details in ``docs/routing.md``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from orbitcloud.constants import C_M_S
from orbitcloud.errors import OrbitcloudError

if TYPE_CHECKING:
    from scipy.sparse import csr_array

__all__ = [
    "RoutingError",
    "Snapshot",
    "Paths",
    "Routes",
    "Gateways",
    "FairShare",
    "rtt_and_paths",
    "nearest_gateway",
    "shortest_path_tree",
    "path_changes",
    "max_min_fair",
]

_NO_PRED = -9999  # scipy.sparse.csgraph's "no predecessor" marker
#: Most entries of the (sources, nodes) distance and predecessor arrays of one Dijkstra call (~100 MB).
_DIJKSTRA_ELEMENTS = 1 << 23


class RoutingError(OrbitcloudError, ValueError):
    """Bad input to the routing functions (a ``ValueError`` with a one-line message)."""


# --------------------------------------------------------------------------------------------------
# input checks


def _count(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise RoutingError(f"{name} = {value!r} must be an integer >= {minimum}")
    return int(value)


def _vector(name: str, value) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise RoutingError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _indices(name: str, value, upper: int, what: str) -> np.ndarray:
    arr = _vector(name, value)
    if arr.size == 0:
        return arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise RoutingError(f"{name} must hold integers ({what} indices), got dtype {arr.dtype}")
    bad = (arr < 0) | (arr >= upper)
    if bad.any():
        i = int(np.argmax(bad))
        raise RoutingError(f"{name}[{i}] = {arr[i]} is not a {what} index in [0, {upper})")
    return arr.astype(np.int64, copy=False)


def _reals(name: str, value, *, positive: bool, allow_inf: bool = False) -> np.ndarray:
    arr = _vector(name, value)
    if arr.size and arr.dtype.kind not in "iuf":
        raise RoutingError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    bad = np.isnan(arr) | ((arr <= 0.0) if positive else (arr < 0.0))
    if not allow_inf:
        bad |= np.isinf(arr)
    if bad.any():
        i = int(np.argmax(bad))
        need = "> 0" if positive else ">= 0"
        kind = "" if allow_inf else " and finite"
        raise RoutingError(f"{name}[{i}] = {float(arr[i])!r} must be {need}{kind}")
    return arr


def _same_length(names: Sequence[str], arrays: Sequence[np.ndarray]) -> None:
    sizes = [a.size for a in arrays]
    if len(set(sizes)) > 1:
        listed = ", ".join(f"{n} has {s}" for n, s in zip(names, sizes))
        raise RoutingError(f"edge arrays differ in length ({listed}); give one entry per link in each")


# --------------------------------------------------------------------------------------------------
# the snapshot graph


@dataclasses.dataclass(frozen=True, eq=False)
class Snapshot:
    """The network of one time step as a CSR graph of propagation delays [s].

    Build it with :meth:`Snapshot.build`. Directed edge ids (used by :meth:`edges_of`,
    ``edge_*`` arrays and :func:`max_min_fair`): ISL ``i`` is edges ``2i`` (a -> b) and ``2i+1``
    (b -> a); GSL ``j`` is edges ``2(n_isl+j)`` (station -> satellite, uplink) and ``2(n_isl+j)+1``
    (satellite -> station, downlink). ``edge_src``/``edge_dst`` hold public node ids.

    Attributes:
        n_sat, n_st: satellites and ground stations.
        relay_via_ground: whether stations may be intermediate hops.
        graph: ``scipy.sparse.csr_array`` (n_node, n_node) of one-way delays [s]; ``n_node`` is
            ``n_sat + 2 n_st`` without ground relay (uplink and downlink copies of each station, see
            the module docstring), ``n_sat + n_st`` with it.
        n_isl, n_gsl: links given.
        edge_src, edge_dst: (2 (n_isl + n_gsl),) int64 public node ids of each directed edge.
        edge_delay_s: (2 (n_isl + n_gsl),) one-way propagation delay of each directed edge [s].
        edge_capacity_bps: (2 (n_isl + n_gsl),) capacity of each directed edge [bit/s].
    """

    n_sat: int
    n_st: int
    relay_via_ground: bool
    graph: csr_array
    n_isl: int
    n_gsl: int
    edge_src: np.ndarray
    edge_dst: np.ndarray
    edge_delay_s: np.ndarray
    edge_capacity_bps: np.ndarray

    @classmethod
    def build(
        cls,
        n_sat: int,
        n_st: int,
        isl_a,
        isl_b,
        isl_length_m,
        isl_capacity_bps,
        gsl_station,
        gsl_sat,
        gsl_range_m,
        gsl_capacity_bps,
        relay_via_ground: bool = False,
    ) -> Snapshot:
        """Graph of one step from its link lists.

        Args:
            n_sat: number of satellites (nodes ``0 .. n_sat-1``), >= 1.
            n_st: number of ground stations (nodes ``n_sat .. n_sat+n_st-1``), >= 0.
            isl_a, isl_b: (n_isl,) satellite indices of each inter-satellite link's ends.
            isl_length_m: (n_isl,) link length [m], > 0.
            isl_capacity_bps: (n_isl,) capacity in each direction [bit/s], >= 0.
            gsl_station: (n_gsl,) station index ``0 .. n_st-1`` (not the node id) of each
                ground-satellite link.
            gsl_sat: (n_gsl,) satellite index of each ground-satellite link.
            gsl_range_m: (n_gsl,) slant range [m], > 0.
            gsl_capacity_bps: (n_gsl,) capacity in each direction [bit/s], >= 0.
            relay_via_ground: allow stations as intermediate hops.

        Raises:
            RoutingError (a ValueError): lengths differ, an index is out of range, a length is not
                positive and finite, a capacity is negative or not finite, a link joins a satellite
                to itself or a link is given twice (in either direction).
        """
        n_sat = _count("n_sat", n_sat, 1)
        n_st = _count("n_st", n_st, 0)
        a = _indices("isl_a", isl_a, n_sat, "satellite")
        b = _indices("isl_b", isl_b, n_sat, "satellite")
        isl_len = _reals("isl_length_m", isl_length_m, positive=True)
        isl_cap = _reals("isl_capacity_bps", isl_capacity_bps, positive=False)
        _same_length(("isl_a", "isl_b", "isl_length_m", "isl_capacity_bps"), (a, b, isl_len, isl_cap))
        st = _indices("gsl_station", gsl_station, n_st, "station")
        gs = _indices("gsl_sat", gsl_sat, n_sat, "satellite")
        gsl_len = _reals("gsl_range_m", gsl_range_m, positive=True)
        gsl_cap = _reals("gsl_capacity_bps", gsl_capacity_bps, positive=False)
        _same_length(("gsl_station", "gsl_sat", "gsl_range_m", "gsl_capacity_bps"), (st, gs, gsl_len, gsl_cap))
        loop = a == b
        if loop.any():
            i = int(np.argmax(loop))
            raise RoutingError(f"ISL {i} joins satellite {a[i]} to itself")

        n_isl, n_gsl = a.size, st.size
        n_pub = n_sat + n_st
        st_node = n_sat + st
        # directed edges, interleaved: link l -> edges 2l (forward) and 2l+1 (backward)
        fwd_src = np.concatenate([a, st_node])
        fwd_dst = np.concatenate([b, gs])
        edge_src = np.empty(2 * (n_isl + n_gsl), np.int64)
        edge_dst = np.empty_like(edge_src)
        edge_src[0::2], edge_src[1::2] = fwd_src, fwd_dst
        edge_dst[0::2], edge_dst[1::2] = fwd_dst, fwd_src
        delay = np.concatenate([isl_len, gsl_len]) / C_M_S
        cap = np.concatenate([isl_cap, gsl_cap])
        edge_delay_s = np.repeat(delay, 2)
        edge_capacity_bps = np.repeat(cap, 2)

        if relay_via_ground:
            n_node = n_pub
            row, col = edge_src, edge_dst
        else:
            n_node = n_sat + 2 * n_st
            col = edge_dst.copy()
            # downlinks (odd GSL edges) end at the station's downlink copy
            col[2 * n_isl + 1 :: 2] += n_st
            row = edge_src
        from scipy.sparse import csr_array

        graph = csr_array((edge_delay_s, (row, col)), shape=(n_node, n_node))
        if graph.nnz != edge_src.size:  # coo -> csr summed duplicate (row, col) entries
            _raise_duplicate(n_isl, edge_src, edge_dst, n_pub)
        graph.sort_indices()
        return cls(
            n_sat=n_sat,
            n_st=n_st,
            relay_via_ground=bool(relay_via_ground),
            graph=graph,
            n_isl=n_isl,
            n_gsl=n_gsl,
            edge_src=edge_src,
            edge_dst=edge_dst,
            edge_delay_s=edge_delay_s,
            edge_capacity_bps=edge_capacity_bps,
        )

    @property
    def n_node(self) -> int:
        """Nodes of :attr:`graph` (``n_sat + 2 n_st`` without ground relay, else ``n_sat + n_st``)."""
        return self.graph.shape[0]

    def station_node(self, station) -> np.ndarray:
        """Public node id ``n_sat + k`` of station index ``k`` (array-like)."""
        return self.n_sat + _indices("station", station, self.n_st, "station")

    @functools.cached_property
    def _edge_keys(self) -> tuple[np.ndarray, np.ndarray]:
        n_pub = self.n_sat + self.n_st
        keys = self.edge_src * n_pub + self.edge_dst
        order = np.argsort(keys, kind="stable")
        return keys[order], order

    def edges_of(self, paths) -> list[np.ndarray]:
        """Directed edge ids along each path (for :func:`max_min_fair`).

        Args:
            paths: a :class:`Paths` or a sequence of node-id sequences (public ids).

        Returns:
            One int64 array per path, in path order (empty for an unreachable or one-node path).
        """
        p = paths if isinstance(paths, Paths) else Paths.from_sequences(paths)
        if p.nodes.shape[1] < 2:
            return [np.empty(0, np.int64) for _ in range(len(p))]
        u, v = p.nodes[:, :-1].astype(np.int64), p.nodes[:, 1:].astype(np.int64)
        valid = v >= 0
        n_pub = self.n_sat + self.n_st
        uu, vv = u[valid], v[valid]
        if uu.size and (min(uu.min(), vv.min()) < 0 or max(uu.max(), vv.max()) >= n_pub):
            raise RoutingError(f"a path holds a node id outside [0, {n_pub}) of this snapshot")
        keys = uu * n_pub + vv
        sorted_keys, order = self._edge_keys
        pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
        miss = sorted_keys[pos] != keys if sorted_keys.size else np.ones(keys.size, bool)
        if miss.any():
            i = int(np.argmax(miss))
            raise RoutingError(f"path step {uu[i]} -> {vv[i]} is not a link of this snapshot")
        ids = order[pos]
        counts = valid.sum(axis=1)
        return np.split(ids, np.cumsum(counts)[:-1])


def _raise_duplicate(n_isl: int, src: np.ndarray, dst: np.ndarray, n_pub: int) -> None:
    lo, hi = np.minimum(src[0::2], dst[0::2]), np.maximum(src[0::2], dst[0::2])
    key = lo * n_pub + hi
    order = np.argsort(key, kind="stable")
    dup = np.flatnonzero(key[order][1:] == key[order][:-1])
    i, j = sorted((int(order[dup[0]]), int(order[dup[0] + 1])))
    kind = lambda k: f"ISL {k}" if k < n_isl else f"GSL {k - n_isl}"  # noqa: E731
    raise RoutingError(
        f"{kind(j)} repeats {kind(i)} (nodes {lo[i]} and {hi[i]}); give each link once, in one direction"
    )


# --------------------------------------------------------------------------------------------------
# paths


@dataclasses.dataclass(frozen=True, eq=False)
class Paths:
    """Paths of many node pairs, padded: row ``i`` is ``nodes[i, :n_nodes[i]]``, then ``-1``.

    Node ids are public (satellite ``j`` is ``j``, station ``k`` is ``n_sat + k``). An unreachable pair
    has ``n_nodes == 0`` (hops ``n_nodes - 1 == -1``). ``paths[i]`` is the tuple of node ids.

    Attributes:
        nodes: (n_pairs, max_nodes) int32.
        n_nodes: (n_pairs,) int32.
    """

    nodes: np.ndarray
    n_nodes: np.ndarray

    def __len__(self) -> int:
        return self.n_nodes.size

    def __getitem__(self, i: int) -> tuple[int, ...]:
        return tuple(int(x) for x in self.nodes[i, : self.n_nodes[i]])

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def tolist(self) -> list[tuple[int, ...]]:
        """All paths as tuples of node ids (``()`` where unreachable)."""
        return list(self)

    @property
    def hops(self) -> np.ndarray:
        """(n_pairs,) links on each path; -1 where unreachable."""
        return self.n_nodes.astype(np.int64) - 1

    @classmethod
    def from_sequences(cls, paths: Sequence[Sequence[int]]) -> Paths:
        """Pack node-id sequences (``()`` for unreachable) into a :class:`Paths`."""
        if isinstance(paths, Paths):
            return paths
        lengths = np.fromiter((len(p) for p in paths), np.int32, len(paths))
        width = int(lengths.max()) if lengths.size else 0
        nodes = np.full((lengths.size, width), -1, np.int32)
        if lengths.size and width:
            flat = np.concatenate([np.asarray(p, dtype=np.int64).ravel() for p in paths if len(p)])
            if flat.min() < 0:
                raise RoutingError("node ids in paths must be >= 0")
            mask = np.arange(width)[None, :] < lengths[:, None]
            nodes[mask] = flat
        return cls(nodes=nodes, n_nodes=lengths)


class Routes(NamedTuple):
    """Result of :func:`rtt_and_paths` (a tuple ``(rtt_s, hops, paths)``)."""

    rtt_s: np.ndarray  #: (n_pairs,) round-trip time, 2 x one-way propagation delay [s]; inf if unreachable
    hops: np.ndarray  #: (n_pairs,) int64 links on the path; -1 if unreachable, 0 for a station to itself
    paths: Paths  #: node ids from source station to destination station


def rtt_and_paths(snapshot: Snapshot, src_stations, dst_stations) -> Routes:
    """Shortest propagation-delay paths between ground stations, for many pairs at once.

    One ``csgraph.dijkstra`` call (``indices`` = the distinct source stations, ``min_only=False``)
    gives the shortest-path trees; the paths are read from the predecessors, all pairs together,
    one hop per vectorised step. When both ``(s, d)`` and ``(d, s)`` can be read from a computed
    tree, the pair is read from the tree of the smaller station index (the path reversed), so
    requested pairs in both directions get bit-identical RTTs and mirrored paths.

    Args:
        snapshot: the step's graph.
        src_stations, dst_stations: (n_pairs,) station indices ``0 .. n_st-1``.

    Returns:
        :class:`Routes` ``(rtt_s, hops, paths)``. A station paired with itself has RTT 0, 0 hops and
        the one-node path.
    """
    n_sat, n_st = snapshot.n_sat, snapshot.n_st
    src = _indices("src_stations", src_stations, n_st, "station")
    dst = _indices("dst_stations", dst_stations, n_st, "station")
    if src.size != dst.size:
        raise RoutingError(f"src_stations has {src.size} entries but dst_stations has {dst.size}")
    n = src.size
    if n == 0:
        return Routes(np.empty(0), np.empty(0, np.int64), Paths(np.empty((0, 0), np.int32), np.empty(0, np.int32)))

    is_src = np.zeros(n_st, bool)
    is_src[src] = True
    swap = is_src[dst] & (dst < src)
    row_st = np.where(swap, dst, src)
    col_st = np.where(swap, src, dst)
    sources = np.unique(row_st)
    row_of = np.full(n_st, -1, np.int64)
    row_of[sources] = np.arange(sources.size)
    r = row_of[row_st]
    n_node = snapshot.n_node
    target = n_sat + (0 if snapshot.relay_via_ground else n_st) + col_st  # downlink copy of the end
    origin = n_sat + row_st  # uplink copy (= public id) of the tree's root
    same = src == dst

    one_way_s = np.empty(n)
    hops = np.full(n, -1, np.int64)
    pieces = []
    from scipy.sparse import csgraph  # scipy.sparse is imported only by runs that route (~0.15 s)

    per_call = max(1, _DIJKSTRA_ELEMENTS // n_node)  # bounds the (sources, n_node) dist/pred arrays
    for c0 in range(0, sources.size, per_call):
        sel = np.flatnonzero((r >= c0) & (r < c0 + per_call))
        dist, pred = csgraph.dijkstra(
            snapshot.graph, directed=True, indices=n_sat + sources[c0 : c0 + per_call],
            return_predecessors=True, min_only=False,
        )
        rows = r[sel] - c0
        ow = dist[rows, target[sel]]
        ow[same[sel]] = 0.0
        one_way_s[sel] = ow
        h, w = _walk(pred, rows, target[sel], origin[sel], np.isfinite(ow) & ~same[sel])
        h[same[sel]] = 0
        w[0] = np.where(h >= 0, n_sat + col_st[sel], -1)  # the end as a public id
        hops[sel] = h
        pieces.append((sel, w))

    width = max(w.shape[0] for _, w in pieces)
    walk = np.full((width, n), -1, np.int32)  # walk[k]: the node k hops before the end
    for sel, w in pieces:
        walk[: w.shape[0], sel] = w
    j = np.arange(width)[None, :]
    h = hops[:, None]
    k = np.where(swap[:, None], j, h - j)  # position j of the src -> dst path
    inside = (j <= h) & (h >= 0)
    nodes = np.where(inside, walk[np.clip(k, 0, width - 1), np.arange(n)[:, None]], -1).astype(np.int32)
    paths = Paths(nodes=nodes, n_nodes=(hops + 1).astype(np.int32))
    return Routes(rtt_s=2.0 * one_way_s, hops=hops, paths=paths)


def _walk(pred: np.ndarray, rows: np.ndarray, target: np.ndarray, origin: np.ndarray, reach: np.ndarray):
    """Follow predecessor rows from the targets back to the roots, all pairs at once.

    Returns hops (m,) (-1 where not reached) and the walk (max_hops + 1, m) int32: row k is the
    node k hops before the target (-1 past the root).
    """
    m, n_node = target.size, pred.shape[1]
    pred_flat = pred.ravel()
    hops = np.where(reach, 0, -1).astype(np.int64)
    walk = [np.where(reach, target, -1).astype(np.int32)]
    active = np.flatnonzero(reach)
    cur = target[active].astype(np.int64)
    while active.size:
        cur = pred_flat[rows[active] * n_node + cur].astype(np.int64)
        hops[active] += 1
        step = np.full(m, -1, np.int32)
        step[active] = cur
        walk.append(step)
        keep = cur != origin[active]
        active, cur = active[keep], cur[keep]
    return hops, np.stack(walk)


def path_changes(prev_paths, paths) -> np.ndarray:
    """Which pairs changed path between two steps.

    Args:
        prev_paths, paths: :class:`Paths` or sequences of node-id tuples, same pairs in the same order.

    Returns:
        (n_pairs,) bool: True where the node sequence differs (a pair becoming reachable or
        unreachable counts as a change; unreachable at both steps does not). ``.sum()`` is the number
        of path changes.
    """
    a = Paths.from_sequences(prev_paths)
    b = Paths.from_sequences(paths)
    if len(a) != len(b):
        raise RoutingError(f"prev_paths has {len(a)} pairs but paths has {len(b)}; give the same pairs")
    width = max(a.nodes.shape[1], b.nodes.shape[1])

    def pad(x: np.ndarray) -> np.ndarray:
        return np.pad(x, ((0, 0), (0, width - x.shape[1])), constant_values=-1)

    return (a.n_nodes != b.n_nodes) | np.any(pad(a.nodes) != pad(b.nodes), axis=1)


# --------------------------------------------------------------------------------------------------
# trees


class Gateways(NamedTuple):
    """Result of :func:`nearest_gateway` (per satellite)."""

    delay_s: np.ndarray  #: (n_sat,) one-way delay to the nearest gateway [s]; inf if none reachable
    gateway: np.ndarray  #: (n_sat,) int64 station index of that gateway; -1 if none reachable
    hops: np.ndarray  #: (n_sat,) int64 links to it; -1 if none reachable


def _depth(pred: np.ndarray, reached: np.ndarray) -> np.ndarray:
    """Hops from the root of each node of a predecessor forest (pointer jumping, log2(depth) passes)."""
    idx = np.arange(pred.size)
    jump = np.where(pred >= 0, pred, idx).astype(np.int64)
    depth = (pred >= 0).astype(np.int64)
    while True:
        nxt = jump[jump]
        if np.array_equal(nxt, jump):
            break
        depth = depth + depth[jump]
        jump = nxt
    return np.where(reached, depth, -1)


def nearest_gateway(snapshot: Snapshot, gateways=None) -> Gateways:
    """Each satellite's nearest ground station by propagation delay (one multi-source Dijkstra).

    ``csgraph.dijkstra(..., indices=gateway nodes, min_only=True)`` from all gateways at once; the
    links are symmetric, so the delay from a gateway to a satellite is the satellite's delay to it.
    Stations are not relays here unless ``snapshot.relay_via_ground``.

    Args:
        snapshot: the step's graph.
        gateways: station indices that are gateways (default: all stations).

    Returns:
        :class:`Gateways` ``(delay_s, gateway, hops)``, each (n_sat,).
    """
    n_sat = snapshot.n_sat
    if gateways is None:
        gw = np.arange(snapshot.n_st)
    else:
        gw = np.unique(_indices("gateways", gateways, snapshot.n_st, "station"))
    if gw.size == 0:
        return Gateways(np.full(n_sat, np.inf), np.full(n_sat, -1, np.int64), np.full(n_sat, -1, np.int64))
    from scipy.sparse import csgraph

    dist, pred, origin = csgraph.dijkstra(
        snapshot.graph, directed=True, indices=n_sat + gw, return_predecessors=True, min_only=True
    )
    reached = np.isfinite(dist)
    hops = _depth(pred, reached)[:n_sat]
    gateway = np.where(origin[:n_sat] >= 0, origin[:n_sat] - n_sat, -1).astype(np.int64)
    return Gateways(delay_s=dist[:n_sat], gateway=gateway, hops=hops)


def shortest_path_tree(snapshot: Snapshot, source: int) -> tuple[np.ndarray, np.ndarray]:
    """Single-source shortest propagation-delay tree.

    Args:
        snapshot: the step's graph.
        source: public node id (satellite ``j`` or station ``n_sat + k``).

    Returns:
        ``(delay_s, predecessor)``, each (n_sat + n_st,) over public node ids: one-way delay [s] (inf
        where unreachable) and the previous node on the path (-1 at the source and where unreachable).
    """
    n_sat, n_st = snapshot.n_sat, snapshot.n_st
    if isinstance(source, bool) or not isinstance(source, (int, np.integer)) or not 0 <= source < n_sat + n_st:
        raise RoutingError(f"source = {source!r} is not a node id in [0, {n_sat + n_st}) (satellites, then stations)")
    s = int(source)
    from scipy.sparse import csgraph

    dist, pred = csgraph.dijkstra(snapshot.graph, directed=True, indices=s, return_predecessors=True)
    if not snapshot.relay_via_ground and n_st:
        keep = np.concatenate([np.arange(n_sat), n_sat + n_st + np.arange(n_st)])
        dist, pred = dist[keep], pred[keep]
        if s >= n_sat:
            dist[s], pred[s] = 0.0, _NO_PRED
    pred = np.where(pred >= 0, pred, -1).astype(np.int64)
    return dist, pred


# --------------------------------------------------------------------------------------------------
# max-min fair bandwidth


def _row_entries(m: csr_array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of the given rows of a CSR matrix, concatenated (no Python loop)."""
    start, stop = m.indptr[rows], m.indptr[rows + 1]
    lens = stop - start
    total = int(lens.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0)
    offset = np.repeat(start - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    pos = offset + np.arange(total)
    return m.indices[pos], m.data[pos]


class FairShare(NamedTuple):
    """Result of :func:`max_min_fair`."""

    rate_bps: np.ndarray  #: (n_flows,) allocated rate [bit/s]
    load_bps: np.ndarray  #: (n_edges,) sum of the rates crossing each edge [bit/s]
    utilisation: np.ndarray  #: (n_edges,) load / capacity (0 where the capacity is 0 or infinite)
    unmet_bps: np.ndarray  #: (n_flows,) demand - rate [bit/s] (inf for an infinite demand)
    iterations: int  #: filling rounds (each saturates >= 1 edge or satisfies >= 1 demand)


def max_min_fair(paths, demands_bps, capacity_bps, *, rtol: float = 1e-12) -> FairShare:
    """Max-min fair rates of flows on fixed paths, by progressive filling (water-filling).

    Bertsekas & Gallager (1992) section 6.5.2: all unfrozen flows grow at the same rate until an edge
    saturates or a flow reaches its demand; flows crossing a saturated edge, and satisfied flows, are
    frozen; repeat. Each round is a few sparse matrix-vector products with the flow x edge incidence
    matrix ``A`` (``A[f, e]`` = times flow f crosses edge e), so the cost is O(nnz(A)) per round and
    the rounds are at most the number of distinct bottleneck levels (<= number of flows).

    The result satisfies the bottleneck characterisation: every flow either gets its demand or
    crosses a saturated edge on which no other flow has a larger rate.

    Args:
        paths: (n_flows,) sequence of edge-id sequences (e.g. :meth:`Snapshot.edges_of`). An edge
            listed twice in one path carries that flow twice.
        demands_bps: (n_flows,) demand [bit/s], >= 0; ``inf`` for a greedy flow.
        capacity_bps: (n_edges,) capacity [bit/s], >= 0; ``inf`` for an unconstrained edge.
        rtol: relative tolerance deciding that an edge saturates or a demand is met in the same round.

    Returns:
        :class:`FairShare` ``(rate_bps, load_bps, utilisation, unmet_bps, iterations)``.
    """
    cap = _reals("capacity_bps", capacity_bps, positive=False, allow_inf=True)
    dem = _reals("demands_bps", demands_bps, positive=False, allow_inf=True)
    n_f, n_e = len(paths), cap.size
    if dem.size != n_f:
        raise RoutingError(f"demands_bps has {dem.size} entries but there are {n_f} paths")
    lengths = np.fromiter((len(p) for p in paths), np.int64, n_f)
    if lengths.sum():
        parts = [np.asarray(p) for p in paths if len(p)]
        if any(q.dtype.kind not in "iu" for q in parts):
            raise RoutingError("paths must hold integer edge ids")
        idx = np.concatenate([q.ravel() for q in parts]).astype(np.int64)
        bad = (idx < 0) | (idx >= n_e)
        if bad.any():
            raise RoutingError(f"edge id {idx[np.argmax(bad)]} in paths is not in [0, {n_e}) of capacity_bps")
    else:
        idx = np.empty(0, np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    from scipy.sparse import csr_array

    inc = csr_array((np.ones(idx.size), idx, indptr), shape=(n_f, n_e))
    inc.sum_duplicates()
    inc_t = inc.T.tocsr()

    finite_edge = np.isfinite(cap)
    unbounded = np.isinf(dem) & ~(inc @ finite_edge.astype(np.float64) > 0)
    if unbounded.any():
        i = int(np.argmax(unbounded))
        raise RoutingError(f"flow {i} has infinite demand and crosses no finite-capacity edge; its rate is unbounded")

    rate = np.zeros(n_f)
    residual = cap.copy()
    active = dem > 0.0
    n_active = inc_t @ active.astype(np.float64)  # active flow crossings per edge (integers, exact)
    rounds = 0
    while active.any():
        rounds += 1
        used = n_active > 0.0
        with np.errstate(invalid="ignore"):
            inc_e = np.where(used, residual / np.where(used, n_active, 1.0), np.inf)
        head = np.where(active, dem - rate, np.inf)
        dt = min(inc_e.min(), head.min())
        rate[active] += dt
        residual -= dt * n_active
        saturated = np.flatnonzero(used & (inc_e <= dt * (1.0 + rtol)))
        residual[saturated] = 0.0
        met = active & (head <= dt * (1.0 + rtol))
        rate[met] = dem[met]
        frozen = met
        frozen[_row_entries(inc_t, saturated)[0]] = True  # flows crossing a saturated edge
        frozen = np.flatnonzero(frozen & active)
        active[frozen] = False
        cols, weights = _row_entries(inc, frozen)
        n_active -= np.bincount(cols, weights, minlength=n_e)

    load = inc_t @ rate
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where((cap > 0.0) & finite_edge, load / np.where(cap > 0.0, cap, 1.0), 0.0)
    return FairShare(rate_bps=rate, load_bps=load, utilisation=util, unmet_bps=dem - rate, iterations=rounds)
