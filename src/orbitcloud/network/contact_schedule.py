"""Antenna scheduling of ground contacts, and relay paths over inter-satellite links.

**Antennas** (:func:`schedule_antennas`). Each station of a
:class:`~orbitcloud.network.ttc_ground.GroundNetwork` has ``antennas`` antennas; an antenna serves
one satellite at a time and a booked pass holds it from rise to set plus ``handover_s`` (slew and
set-up for the next pass). Passes of :class:`~orbitcloud.network.contacts.Contacts` are first
screened (shorter than ``min_duration_s``; highest elevation below the station's
``min_elevation_deg``) and then booked greedily, one at a time, always for the satellite that
comes first by

1. higher ``priority`` (per satellite; every pass of a higher class is booked before any of a lower);
2. least contact time booked so far, across all stations (max-min fairness, "progressive filling":
   a satellite with many passes cannot take them all while another gets none);
3. the longer pass (each satellite offers its remaining passes longest first, then earliest);
4. the lower satellite index (deterministic).

The offered pass is booked when an antenna of its station is free over its whole interval and,
unless ``allow_parallel``, the satellite is not booked elsewhere over any part of it (it needs one
link; the redundant pass is left with reason ``"already served"``); otherwise it stays unserved
(``"antennas busy"``). A pass refused once stays refused (bookings only grow). This is the classic
greedy for interval scheduling on k identical machines (Kolen et al., "Interval scheduling: a
survey", Naval Research Logistics 54, 2007), ordered by a max-min fair share key (Bertsekas &
Gallager, *Data Networks*, 2nd ed., 1992, ch. 6, max-min fairness). Capacity is tracked as the number of free
antennas on each elementary segment between a station's pass end points (a pass fits when no
segment it covers is full; one ``bytearray.find``); antenna numbers are given afterwards per station by a sweep in
rise order with a heap of free antennas (lowest number first), which never needs more than the
maximum depth antennas because interval graphs are perfect (Golumbic, *Algorithmic Graph Theory
and Perfect Graphs*, 1980, ch. 8).

**Relay paths** (:func:`relay_paths`). Satellites without a direct contact reach the ground over
inter-satellite links (undirected edges, latency ``range / c + hop_latency_s`` per hop, c from
:mod:`orbitcloud.constants`) to a *gateway* (a satellite with a served direct contact). Without a
hop limit the minimum-latency path to any gateway is ``scipy.sparse.csgraph.dijkstra`` from all
gateways at once (``min_only=True``); its hop count, bottleneck capacity and gateway follow from the
predecessor tree by pointer jumping (Wyllie's list ranking, O(log depth) vectorised steps; JaJa,
*An Introduction to Parallel Algorithms*, 1992, sec. 3.1). With ``max_hops`` the result is the
minimum-latency path among those of at most ``max_hops`` hops: ``max_hops`` rounds of Bellman-Ford
relaxation over all edges at once (round h uses only round h - 1 values, so it is exactly the
best path of <= h hops; Bellman 1958), carrying hops, bottleneck and gateway along.
"""

from __future__ import annotations

import dataclasses
import heapq
from bisect import bisect_left

import numpy as np

from orbitcloud.constants import C_M_S
from orbitcloud.errors import OrbitcloudError
from orbitcloud.network.contacts import Contacts
from orbitcloud.network.ttc_ground import GroundNetwork

__all__ = [
    "ALREADY_SERVED",
    "ANTENNAS_BUSY",
    "SERVED",
    "TOO_LOW",
    "TOO_SHORT",
    "RelayPaths",
    "Schedule",
    "relay_paths",
    "schedule_antennas",
]

SERVED = ""
ANTENNAS_BUSY = "antennas busy"
TOO_SHORT = "shorter than min_duration_s"
ALREADY_SERVED = "already served"
TOO_LOW = "below min_elevation_deg"


@dataclasses.dataclass(frozen=True, eq=False)
class Schedule:
    """Antenna bookings, one entry per :class:`Contacts` row.

    ``antenna`` int64: the antenna index at the row's station (0 .. antennas-1), -1 if unserved;
    ``served`` bool; ``reason`` (object, str): ``""`` when served, else why not (``"antennas
    busy"``, ``"already served"``, ``"shorter than min_duration_s"``, ``"below
    min_elevation_deg"``); ``handover_s``: the set-up time each booking holds after the set.
    """

    antenna: np.ndarray
    served: np.ndarray
    reason: np.ndarray
    handover_s: float = 0.0

    def __len__(self) -> int:
        return int(self.served.size)

    @property
    def unserved(self) -> np.ndarray:
        """Row indices of the unserved passes."""
        return np.flatnonzero(~self.served)

    def per_station(self, contacts: Contacts, net: GroundNetwork, window_s: float) -> dict[str, np.ndarray]:
        """Per station: ``utilisation`` = booked antenna-seconds (pass + handover) / (antennas *
        window_s), ``busy_antenna_s``, ``served`` and ``unserved`` pass counts."""
        if not (np.isfinite(window_s) and window_s > 0):
            raise OrbitcloudError(f"Schedule.per_station: window_s must be a positive number of seconds (got {window_s!r})")
        n = len(net)
        st = np.asarray(contacts.station, dtype=np.int64)
        busy = np.bincount(st[self.served], weights=(contacts.duration_s + self.handover_s)[self.served], minlength=n)
        return {
            "utilisation": busy / (net.antennas * float(window_s)),
            "busy_antenna_s": busy,
            "served": np.bincount(st[self.served], minlength=n),
            "unserved": np.bincount(st[~self.served], minlength=n),
        }


def _check_number(name: str, v: float, lo: float = 0.0) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v) or v < lo:
        raise OrbitcloudError(f"schedule_antennas: {name} must be a finite number >= {lo:g} s (got {v!r})")
    return float(v)


def schedule_antennas(
    contacts: Contacts,
    net: GroundNetwork,
    *,
    priority: np.ndarray | None = None,
    min_duration_s: float = 0.0,
    handover_s: float = 0.0,
    allow_parallel: bool = False,
) -> Schedule:
    """Book the passes of ``contacts`` on the antennas of ``net`` (rule in the module docstring).

    ``priority``: int per satellite (higher first; default 0 for all), at least ``max(sat) + 1``
    long. ``min_duration_s``: shorter passes are not booked. ``handover_s``: an antenna stays busy
    this long after each set. ``allow_parallel``: allow one satellite on several stations at once.
    """
    min_duration_s = _check_number("min_duration_s", min_duration_s)
    handover_s = _check_number("handover_s", handover_s)
    n = len(contacts)
    st = np.asarray(contacts.station, dtype=np.int64)
    sat = np.asarray(contacts.sat, dtype=np.int64)
    rise = np.asarray(contacts.start_s, dtype=np.float64)
    end = np.asarray(contacts.end_s, dtype=np.float64)
    if n and (st.min() < 0 or st.max() >= len(net)):
        raise OrbitcloudError(f"schedule_antennas: contact station index {int(st.max())} outside the network ({len(net)} stations)")
    if n and sat.min() < 0:
        raise OrbitcloudError(f"schedule_antennas: negative satellite index {int(sat.min())}")
    if n and not (np.isfinite(rise).all() and np.isfinite(end).all() and (end >= rise).all()):
        raise OrbitcloudError("schedule_antennas: contact times must be finite with end_s >= start_s")
    n_sat = int(sat.max()) + 1 if n else 0
    if priority is None:
        prio = np.zeros(n_sat, dtype=np.int64)
    else:
        prio = np.asarray(priority).reshape(-1)
        if prio.dtype.kind not in "iu" or prio.size < n_sat:
            raise OrbitcloudError(f"schedule_antennas: priority must be an integer array with one value per satellite "
                                  f"(>= {n_sat}; got {prio.dtype} of {prio.size})")
        prio = prio.astype(np.int64)
    dur = end - rise
    reason = np.full(n, SERVED, dtype=object)
    low = contacts.max_elevation_deg < net.min_elevation_deg[st] if n else np.zeros(0, bool)
    short = dur < min_duration_s
    reason[low] = TOO_LOW
    reason[short] = TOO_SHORT
    eligible = ~(low | short)
    served = np.zeros(n, dtype=bool)
    antenna = np.full(n, -1, dtype=np.int64)
    if eligible.any():
        served = _book(st, sat, rise, end, dur, eligible, prio, net.antennas, handover_s, allow_parallel, reason)
        antenna = _number_antennas(st, rise, end + handover_s, served, net.antennas)
    return Schedule(antenna=antenna, served=served, reason=reason, handover_s=handover_s)


def _book(st, sat, rise, end, dur, eligible, prio, antennas, handover_s, allow_parallel, reason) -> np.ndarray:
    """The greedy booking loop; returns ``served`` and fills ``reason`` for refused passes."""
    n = st.size
    end_h = end + handover_s
    # elementary segments: the sorted distinct end points (rise, set + handover) of each station
    kst = np.concatenate([st, st])
    kt = np.concatenate([rise, end_h])
    order = np.lexsort((kt, kst))
    new = np.ones(2 * n, dtype=bool)
    new[1:] = (kst[order][1:] != kst[order][:-1]) | (kt[order][1:] != kt[order][:-1])
    inv = np.empty(2 * n, dtype=np.int64)
    inv[order] = np.cumsum(new) - 1
    lo = inv[:n]
    hi = np.maximum(inv[n:], lo + 1)  # a zero-length booking holds the segment it starts
    n_seg = int(inv.max()) + 1
    # free antennas per segment, saturated at 255 in a bytearray so that "is any segment of the
    # pass full" is one C-level bytearray.find(0, lo, hi); exact counts kept where antennas > 255
    seg_cap = np.zeros(n_seg, dtype=np.int64)
    seg_cap[inv] = antennas[np.concatenate([st, st])]
    free_b = bytearray(np.minimum(seg_cap, 255).astype(np.uint8).tobytes())
    free_np = np.frombuffer(free_b, dtype=np.uint8)
    big = bool((antennas > 255).any())
    used_np = np.zeros(n_seg if big else 0, dtype=np.int64)
    # each satellite offers its passes longest first, then earliest, then by station
    idx = np.flatnonzero(eligible)
    offer = idx[np.lexsort((st[idx], rise[idx], -dur[idx], sat[idx]))]
    sat_o = sat[offer]
    first = np.flatnonzero(np.concatenate([[True], sat_o[1:] != sat_o[:-1]]))
    n_sat = int(sat.max()) + 1
    ptr = [0] * n_sat
    stop = [0] * n_sat
    for i, a, b in zip(sat_o[first].tolist(), first.tolist(), [*first[1:].tolist(), offer.size]):
        ptr[i], stop[i] = a, b
    # per-pass values in offer order: the loop walks each satellite's offers in sequence
    lo_l, hi_l = lo[offer].tolist(), hi[offer].tolist()
    rise_l, end_l, dur_l = rise[offer].tolist(), end[offer].tolist(), dur[offer].tolist()
    cap_l = antennas[st[offer]].tolist()
    booked = [0.0] * n_sat
    starts: list[list[float]] = [[] for _ in range(n_sat)]
    ends: list[list[float]] = [[] for _ in range(n_sat)]
    heap = [(-int(prio[i]), 0.0, -dur_l[ptr[i]], i) for i in sat_o[first].tolist()]
    heapq.heapify(heap)
    served_k: list[int] = []
    busy_k: list[int] = []
    parallel_k: list[int] = []
    heapreplace, heappop, find = heapq.heapreplace, heapq.heappop, free_b.find
    while heap:
        top = heap[0]
        i = top[3]
        k = ptr[i]
        ptr[i] = k + 1
        ok = True
        if not allow_parallel:
            r, e = rise_l[k], end_l[k]
            s_i = starts[i]
            j = bisect_left(s_i, e)
            if j and ends[i][j - 1] > r:
                parallel_k.append(k)
                ok = False
        if ok:
            a, b = lo_l[k], hi_l[k]
            if find(0, a, b) >= 0:
                busy_k.append(k)
            else:
                c = cap_l[k]
                if c > 255:
                    used_np[a:b] += 1
                    free_np[a:b] = np.minimum(c - used_np[a:b], 255)
                else:
                    free_np[a:b] -= 1
                served_k.append(k)
                booked[i] += dur_l[k]
                if not allow_parallel:
                    j = bisect_left(s_i, r)
                    s_i.insert(j, r)
                    ends[i].insert(j, e)
        if k + 1 < stop[i]:
            heapreplace(heap, (top[0], booked[i], -dur_l[k + 1], i))
        else:
            heappop(heap)
    served = np.zeros(n, dtype=bool)
    served[offer[served_k]] = True
    reason[offer[busy_k]] = ANTENNAS_BUSY
    reason[offer[parallel_k]] = ALREADY_SERVED
    return served


def _number_antennas(st, rise, end_h, served, antennas) -> np.ndarray:
    """Antenna index per booked pass: per station, in rise order, the lowest-numbered free antenna."""
    antenna = np.full(st.size, -1, dtype=np.int64)
    srv = np.flatnonzero(served)
    o = srv[np.lexsort((srv, end_h[srv], rise[srv], st[srv]))]
    st_l, rise_l, end_l = st[o].tolist(), rise[o].tolist(), end_h[o].tolist()
    cap = antennas.tolist()
    out = [0] * o.size
    cur = -1
    free: list[int] = []
    busy: list[tuple[float, int]] = []
    push, pop = heapq.heappush, heapq.heappop
    for j in range(o.size):
        s = st_l[j]
        if s != cur:
            cur, free, busy = s, list(range(cap[s])), []
        r = rise_l[j]
        while busy and busy[0][0] <= r:
            push(free, pop(busy)[1])
        if not free:  # cannot happen: bookings never exceed the antennas (depth check)
            raise AssertionError("antenna numbering: more simultaneous bookings than antennas")
        a = pop(free)
        push(busy, (end_l[j], a))
        out[j] = a
    antenna[o] = out
    return antenna


# --------------------------------------------------------------------------------------------------
# Relay paths over inter-satellite links
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class RelayPaths:
    """Per satellite, the path to the ground side over ISLs.

    ``latency_s``: one-way ISL latency to the gateway (0 for a gateway, inf if unreachable; the
    ground-satellite hop itself is not included); ``hops`` int64 ISL hops (0 gateway, -1
    unreachable); ``capacity_bps``: bottleneck ISL capacity on the path (inf for 0 hops, 0
    unreachable); ``via`` int64: the gateway the path ends at (itself for gateways, -1 unreachable).
    """

    latency_s: np.ndarray
    hops: np.ndarray
    capacity_bps: np.ndarray
    via: np.ndarray

    @property
    def reachable(self) -> np.ndarray:
        return self.hops >= 0


def _edges(n_sat, isl_a, isl_b, isl_range_m, isl_capacity_bps, hop_latency_s):
    """Checked undirected edges (u < v), duplicates reduced to the lowest latency (then highest
    capacity), self-loops dropped; returns u, v, latency_s, capacity_bps."""
    a = np.asarray(isl_a).reshape(-1)
    b = np.asarray(isl_b).reshape(-1)
    rng = np.asarray(isl_range_m, dtype=np.float64).reshape(-1)
    cap = np.asarray(isl_capacity_bps, dtype=np.float64).reshape(-1)
    m = a.size
    if not (b.size == rng.size == cap.size == m):
        raise ValueError(f"relay_paths: isl_a, isl_b, isl_range_m, isl_capacity_bps must have one value per edge "
                         f"(got {a.size}, {b.size}, {rng.size}, {cap.size})")
    if m and (a.dtype.kind not in "iu" or b.dtype.kind not in "iu"):
        raise ValueError("relay_paths: isl_a and isl_b must be integer satellite indices")
    a = a.astype(np.int64)
    b = b.astype(np.int64)
    if m and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n_sat):
        raise ValueError(f"relay_paths: ISL end outside 0..{n_sat - 1}")
    if m and not (np.isfinite(rng).all() and (rng >= 0).all()):
        raise ValueError("relay_paths: isl_range_m must be finite and >= 0")
    if m and not (cap > 0).all():
        raise ValueError("relay_paths: isl_capacity_bps must be > 0")
    keep = a != b
    u, v = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
    w = rng[keep] / C_M_S + hop_latency_s
    cap = cap[keep]
    key = u * n_sat + v
    o = np.lexsort((-cap, w, key))
    first = np.concatenate([[True], key[o][1:] != key[o][:-1]]) if o.size else np.zeros(0, bool)
    o = o[first]
    return u[o], v[o], w[o], cap[o]


def relay_paths(
    n_sat: int,
    isl_a,
    isl_b,
    isl_range_m,
    isl_capacity_bps,
    gateway,
    *,
    hop_latency_s: float = 0.0,
    max_hops: int | None = None,
) -> RelayPaths:
    """Minimum-latency ISL path from every satellite to a gateway (see the module docstring).

    ``isl_a``/``isl_b``: edge ends (undirected), ``isl_range_m`` [m], ``isl_capacity_bps``;
    ``gateway``: bool (n_sat,), satellites with a served direct contact now; ``hop_latency_s``:
    added per hop (switching, queueing); ``max_hops``: paths of more ISL hops do not count.
    """
    n_sat = int(n_sat)
    gw = np.asarray(gateway).reshape(-1)
    if n_sat < 0 or gw.shape != (n_sat,) or gw.dtype != bool:
        raise ValueError(f"relay_paths: gateway must be a bool array of shape ({n_sat},) (got {gw.dtype} {gw.shape})")
    if not (np.isfinite(hop_latency_s) and hop_latency_s >= 0):
        raise ValueError(f"relay_paths: hop_latency_s must be finite and >= 0 (got {hop_latency_s!r})")
    if max_hops is not None and (isinstance(max_hops, bool) or int(max_hops) != max_hops or max_hops < 0):
        raise ValueError(f"relay_paths: max_hops must be None or an integer >= 0 (got {max_hops!r})")
    u, v, w, cap = _edges(n_sat, isl_a, isl_b, isl_range_m, isl_capacity_bps, float(hop_latency_s))
    if max_hops is not None:
        return _hop_limited(n_sat, u, v, w, cap, gw, int(max_hops))
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    lat = np.full(n_sat, np.inf)
    hops = np.full(n_sat, -1, dtype=np.int64)
    bottleneck = np.zeros(n_sat)
    via = np.full(n_sat, -1, dtype=np.int64)
    roots = np.flatnonzero(gw)
    if roots.size == 0 or n_sat == 0:
        return RelayPaths(lat, hops, bottleneck, via)
    graph = csr_matrix((w, (u, v)), shape=(n_sat, n_sat))
    dist, pred = dijkstra(graph, directed=False, indices=roots, min_only=True, return_predecessors=True)[:2]
    reach = np.isfinite(dist)
    has_pred = pred >= 0
    node = np.arange(n_sat)
    ptr = np.where(has_pred, pred, node)
    # capacity of the edge to the predecessor (edges are unique, keyed u * n + v with u < v)
    keys = u * n_sat + v
    k = np.minimum(node, ptr) * n_sat + np.maximum(node, ptr)
    pos = np.minimum(np.searchsorted(keys, k), max(keys.size - 1, 0))
    c = np.where(has_pred, cap[pos] if keys.size else np.inf, np.inf)
    h = has_pred.astype(np.int64)
    while True:  # pointer jumping: c, h cover the path node -> ptr[node]
        up = ptr[ptr]
        if np.array_equal(up, ptr):
            break
        c = np.minimum(c, c[ptr])
        h = h + h[ptr]
        ptr = up
    lat[reach] = dist[reach]
    hops[reach] = h[reach]
    bottleneck[reach] = c[reach]
    via[reach] = ptr[reach]
    return RelayPaths(lat, hops, bottleneck, via)


def _hop_limited(n_sat, u, v, w, cap, gw, max_hops) -> RelayPaths:
    """Best path of at most ``max_hops`` hops: Jacobi Bellman-Ford rounds over both edge directions."""
    node = np.arange(n_sat)
    lat = np.where(gw, 0.0, np.inf)
    hops = np.where(gw, 0, -1).astype(np.int64)
    bottleneck = np.where(gw, np.inf, 0.0)
    via = np.where(gw, node, -1).astype(np.int64)
    src = np.concatenate([u, v])
    dst = np.concatenate([v, u])
    w2 = np.concatenate([w, w])
    c2 = np.concatenate([cap, cap])
    for _ in range(max_hops):
        cand = lat[src] + w2
        best = np.full(n_sat, np.inf)
        np.minimum.at(best, dst, cand)
        better = best < lat
        if not better.any():
            break
        win = np.flatnonzero(better[dst] & (cand == best[dst]))
        _, first = np.unique(dst[win], return_index=True)
        e = win[first]  # one edge per improved node: the first in edge order
        t, s = dst[e], src[e]
        new_lat, new_hops, new_cap, new_via = lat.copy(), hops.copy(), bottleneck.copy(), via.copy()
        new_lat[t] = best[t]
        new_hops[t] = hops[s] + 1
        new_cap[t] = np.minimum(bottleneck[s], c2[e])
        new_via[t] = via[s]
        lat, hops, bottleneck, via = new_lat, new_hops, new_cap, new_via
    return RelayPaths(lat, hops, bottleneck, via)
