"""Inter-satellite links (ISL): topologies, line of sight, optical link budget, acquisition time.

Everything is SI and vectorised over links; satellites are identified by their index in the fleet (or
in the ``positions_m`` array passed). An undirected link is a pair ``(a, b)`` with ``a < b``; a set of
links is two int64 arrays ``a``, ``b`` sorted by the key ``a * n_sats + b`` (:func:`edge_keys`), with
no duplicates. See ``docs/links.md`` for the equations, assumptions and measured validation.

Topologies
    * :func:`plus_grid` -- the Walker "+Grid": each satellite links to its two in-plane neighbours and
      to the satellite of the same slot in the two adjacent planes (Bhattacherjee & Singla, "Network
      topology design at 27,000 km/hour", ACM CoNEXT 2019; Handley, "Delay is not an option: low
      latency routing in space", ACM HotNets 2018; Kassing et al., "Exploring the 'Internet from
      space' with Hypatia", ACM IMC 2020). Pure index arithmetic, O(n), already in key order.
    * :func:`nearest` -- each satellite proposes links to its ``k`` nearest visible neighbours
      (``scipy.spatial.cKDTree``), then a per-satellite terminal limit is enforced greedily, shortest
      link first.
    * :func:`cluster_mesh` -- all pairs within a range (``cKDTree.query_pairs``): formation clusters
      such as Google's Suncatcher (81 satellites 100-200 m apart; Google Research, 4 Nov 2025,
      arXiv 2511.19468).

Geometry
    A link is clear when the straight segment between the satellites stays above the atmosphere
    grazing height ``h_g`` (80 km by default, as in Hypatia) over a spherical Earth of radius
    ``R = 6,378.137 km`` (WGS-84 equatorial). The longest clear link between altitudes ``h_a``,
    ``h_b`` is the tangent geometry ``sqrt((R+h_a)^2 - (R+h_g)^2) + sqrt((R+h_b)^2 - (R+h_g)^2)``.

Optical link budget
    Friis transmission with diffraction-limited telescope gains ``G = (pi D / lambda)^2`` (the on-axis
    gain of a uniformly illuminated circular aperture; Klein & Degnan, "Optical antenna gain. 1:
    Transmitting antennas", Appl. Opt. 13(9), 2134, 1974):
    ``P_r = P_t G_t G_r (lambda / (4 pi d))^2 L``, ``L = 10^(-(pointing + other losses)/10)``,
    as in Kaushal & Kaddoum, "Optical communication in space: challenges and mitigation techniques",
    IEEE Commun. Surveys & Tutorials 19(1), 57-96, 2017, and Hemmati (ed.), *Deep Space Optical
    Communications*, Wiley 2006. The receiver needs ``photons_per_bit`` photons of energy
    ``h c / lambda`` per bit, so the capacity is ``min(max_rate, P_r lambda / (photons_per_bit h c))``.
    The geometric coupling ``G_t G_r (lambda / 4 pi d)^2 = (pi D_t D_r / (4 lambda d))^2`` is capped
    at 1 (the receiver cannot collect more than is sent): the far-field Friis formula is only an upper
    bound inside ``d < pi D_t D_r / (4 lambda)``.

Acquisition
    A link that appears between two steps is unusable for ``acquisition_s`` (pointing, acquisition
    and tracking); :class:`LinkTracker` keeps the first-seen time of every present link.
"""

from __future__ import annotations

import dataclasses
import math
from numbers import Real

import numpy as np

from orbitcloud import accel
from orbitcloud.accel import lazy_njit
from orbitcloud.constants import C_M_S, WGS84_A_M

#: Spherical Earth used for the grazing test [m]: WGS-84 equatorial radius.
EARTH_RADIUS_M = WGS84_A_M
#: Default atmosphere grazing height [m] below which no link may pass (Hypatia, Kassing et al. 2020).
DEFAULT_GRAZING_HEIGHT_M = 80_000.0
#: Planck constant [J s] (exact in the SI since 2019).
PLANCK_J_S = 6.62607015e-34
#: Rows of positions queried at once by :func:`nearest` (bounds the temporaries to ~50 MB).
_QUERY_BLOCK = 1 << 16

__all__ = [
    "DEFAULT_GRAZING_HEIGHT_M",
    "EARTH_RADIUS_M",
    "LinkTracker",
    "OpticalTerminal",
    "capacity_bps",
    "check_budget",
    "cluster_mesh",
    "edge_keys",
    "edges_from_keys",
    "first_seen_s",
    "line_of_sight_clear",
    "link_degrees",
    "link_feasible",
    "link_lengths_m",
    "link_min_altitude_m",
    "max_isl_range_m",
    "max_range_for_rate_m",
    "nearest",
    "plus_grid",
    "propagation_delay_s",
    "received_power_w",
]


# --- validation -------------------------------------------------------------------------------------


def _int_at_least(name: str, value, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} = {value!r}: expected an integer >= {minimum}")
    return int(value)


def _real(name: str, value, unit: str, *, positive: bool = False, allow_inf: bool = False) -> float:
    """A finite real (``positive``: > 0, else >= 0); ``allow_inf`` admits +inf."""
    ok = isinstance(value, (Real, np.floating, np.integer)) and not isinstance(value, (bool, np.bool_))
    if ok:
        v = float(value)
        ok = (v > 0.0 if positive else v >= 0.0) and (math.isfinite(v) or (allow_inf and v == math.inf))
    if not ok:
        what = "a positive" if positive else "a non-negative"
        fin = "" if allow_inf else " finite"
        raise ValueError(f"{name} = {value!r}: expected {what}{fin} number in {unit}")
    return float(value)


def _grazing(grazing_height_m) -> float:
    return _real("grazing_height_m", grazing_height_m, "m")


def _max_range(max_range_m) -> float:
    if max_range_m is None:
        return math.inf
    return _real("max_range_m", max_range_m, "m", positive=True, allow_inf=True)


def _positions(positions_m) -> np.ndarray:
    pos = np.asarray(positions_m, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise ValueError(f"positions_m has shape {pos.shape}: expected (n_sats, 3) in metres")
    if not np.all(np.isfinite(pos)):
        bad = int(np.flatnonzero(~np.all(np.isfinite(pos), axis=1))[0])
        raise ValueError(f"positions_m[{bad}] = {pos[bad].tolist()}: expected finite coordinates in m")
    return pos


def _max_terminals(max_terminals) -> int | None:
    return None if max_terminals is None else _int_at_least("max_terminals", max_terminals, 1)


_EMPTY = np.zeros(0, dtype=np.int64)


# --- link sets ----------------------------------------------------------------------------------------


def edge_keys(a: np.ndarray, b: np.ndarray, n_sats: int) -> np.ndarray:
    """Keys ``a * n_sats + b`` (int64) of undirected links with ``0 <= a < b < n_sats``."""
    n = _int_at_least("n_sats", n_sats, 1)
    if n > 3_037_000_499:  # n^2 must fit in int64
        raise ValueError(f"n_sats = {n}: expected at most 3,037,000,499 so that a * n_sats + b fits in int64")
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if a.shape != b.shape:
        raise ValueError(f"a and b have shapes {a.shape} and {b.shape}: expected equal shapes")
    bad = ~((a >= 0) & (a < b) & (b < n))
    if np.any(bad):
        i = int(np.flatnonzero(bad.ravel())[0])
        raise ValueError(f"link {i} = ({a.ravel()[i]}, {b.ravel()[i]}): expected 0 <= a < b < n_sats = {n}")
    return a * n + b


def edges_from_keys(keys: np.ndarray, n_sats: int) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`edge_keys`: ``(a, b) = divmod(keys, n_sats)``."""
    n = _int_at_least("n_sats", n_sats, 1)
    a, b = np.divmod(np.asarray(keys, dtype=np.int64), n)
    return a, b


def link_degrees(a: np.ndarray, b: np.ndarray, n_sats: int) -> np.ndarray:
    """Number of links of each satellite (int64, shape (n_sats,))."""
    n = _int_at_least("n_sats", n_sats, 1)
    return np.bincount(np.asarray(a), minlength=n) + np.bincount(np.asarray(b), minlength=n)


# --- topologies ----------------------------------------------------------------------------------------


def plus_grid(
    planes: int, sats_per_plane: int, start: int = 0, cross_plane_wrap: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Walker +Grid links of one shell whose satellites are listed plane-major.

    Satellite ``start + p * Q + s`` (plane ``p`` of ``P = planes``, slot ``s`` of ``Q =
    sats_per_plane``) links to slots ``s +- 1 (mod Q)`` of its plane and to slot ``s`` of planes
    ``p +- 1``; with ``cross_plane_wrap`` the last plane also links to the first (the seam; in a
    Walker delta with phasing F the seam partners are offset by ``F * 360 / Q`` degrees in argument
    of latitude, and in a star pattern the seam planes counter-rotate: pass ``False`` to drop it).
    Degenerate shells give no duplicates and no self-links: ``Q = 2`` has one in-plane link per plane,
    ``Q = 1`` none; ``P = 2`` one cross-plane link per slot, ``P = 1`` none. Every satellite has
    degree 4 when ``P, Q >= 3`` and the seam is kept.

    Also valid for a TLE shell when the scenario states that its satellites are listed plane-major
    as ``planes x sats_per_plane`` (the function only does index arithmetic; it does not check the
    geometry -- filter with :func:`link_feasible` if links may be blocked or too long).

    Returns ``(a, b)``, int64, ``a < b``, sorted by ``(a, b)``; O(n) with no sort: the partners of
    satellite ``i`` with ``i < partner`` are, in increasing order, ``i + 1`` (slot < Q-1),
    ``i + Q - 1`` (the in-plane wrap, slot 0, Q >= 3), ``i + Q`` (plane < P-1) and ``i + (P-1) Q``
    (the seam, plane 0, P >= 3).
    """
    p_n = _int_at_least("planes", planes, 1)
    q_n = _int_at_least("sats_per_plane", sats_per_plane, 1)
    start = _int_at_least("start", start, 0)
    n = p_n * q_n
    idx = np.arange(n, dtype=np.int64)
    plane = idx // q_n
    slot = idx - plane * q_n
    partner = np.empty((n, 4), dtype=np.int64)
    keep = np.empty((n, 4), dtype=bool)
    partner[:, 0] = idx + 1
    keep[:, 0] = slot < q_n - 1
    partner[:, 1] = idx + (q_n - 1)
    keep[:, 1] = (slot == 0) & (q_n >= 3)
    partner[:, 2] = idx + q_n
    keep[:, 2] = plane < p_n - 1
    partner[:, 3] = idx + (p_n - 1) * q_n
    keep[:, 3] = (plane == 0) & (p_n >= 3) & bool(cross_plane_wrap)
    a = np.broadcast_to(idx[:, None], (n, 4))[keep]
    b = partner[keep]
    if start:
        a += start
        b += start
    return a, b


def nearest(
    positions_m: np.ndarray,
    k: int,
    max_terminals: int | None = None,
    max_range_m: float | None = None,
    grazing_height_m: float = DEFAULT_GRAZING_HEIGHT_M,
    workers: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Links to the ``k`` nearest visible neighbours, then at most ``max_terminals`` links each.

    1. Proposals: each satellite ``i`` proposes links to the ``k`` satellites nearest to it (by
       Euclidean distance; ties broken by the lower index among the candidates the tree returns)
       among those whose link from ``i`` is clear of the grazing height (:func:`line_of_sight_clear`)
       and no longer than ``max_range_m`` (``None``: unlimited). Blocked neighbours are skipped and
       the search widens (doubling the number of neighbours queried, only for the satellites that
       need it) until ``k`` are found or none is left in range. The candidate set is the union of the
       proposals, without duplicates (a link proposed by both ends counts once), so a satellite may
       have more than ``k`` candidates.
    2. Terminals (when ``max_terminals`` is given): candidates are taken in order of increasing
       length (ties: increasing ``(a, b)``) and accepted while both ends still have a free terminal
       -- the greedy b-matching; deterministic, every accepted link is kept regardless of later
       ones, and a satellite may end with fewer than ``k`` links when its neighbours' terminals are
       taken by shorter links.

    Returns ``(a, b)`` indices into ``positions_m`` (int64, ``a < b``, sorted by ``(a, b)``).
    Neighbour search: ``scipy.spatial.cKDTree`` (Maneewongvatana & Mount 1999), ``workers``
    threads.
    """
    from scipy.spatial import cKDTree

    pos = _positions(positions_m)
    k = _int_at_least("k", k, 1)
    max_terminals = _max_terminals(max_terminals)
    range_m = _max_range(max_range_m)
    h_g = _grazing(grazing_height_m)
    n = pos.shape[0]
    if n < 2:
        return _EMPTY.copy(), _EMPTY.copy()
    tree = cKDTree(pos)
    bound = np.nextafter(range_m, math.inf) if math.isfinite(range_m) else math.inf
    picks_i: list[np.ndarray] = []
    picks_j: list[np.ndarray] = []
    for lo in range(0, n, _QUERY_BLOCK):
        rows = np.arange(lo, min(lo + _QUERY_BLOCK, n), dtype=np.int64)
        n_query = min(k + 1, n)
        while rows.size:
            dist_m, nbr = tree.query(pos[rows], k=n_query, distance_upper_bound=bound, workers=workers)
            nbr = nbr.astype(np.int64, copy=False)
            order = np.lexsort((nbr, dist_m), axis=-1)
            dist_m = np.take_along_axis(dist_m, order, axis=-1)
            nbr = np.take_along_axis(nbr, order, axis=-1)
            found = nbr < n
            cand = found & (nbr != rows[:, None]) & (dist_m <= range_m)
            ci, cj = np.nonzero(cand)
            clear = np.zeros_like(cand)
            clear[ci, cj] = line_of_sight_clear(pos[rows[ci]], pos[nbr[ci, cj]], h_g)
            count = np.cumsum(clear, axis=1)
            more = (count[:, -1] < k) & found[:, -1] & (n_query < n)
            take = clear & (count <= k) & ~more[:, None]
            ti, tj = np.nonzero(take)
            picks_i.append(rows[ti])
            picks_j.append(nbr[ti, tj])
            rows = rows[more]
            n_query = min(2 * n_query, n)
    i = np.concatenate(picks_i)
    j = np.concatenate(picks_j)
    keys = np.unique(np.minimum(i, j) * n + np.maximum(i, j))
    a, b = np.divmod(keys, n)
    if max_terminals is not None:
        keep = _limit_terminals(a, b, link_lengths_m(pos, a, b), n, max_terminals)
        a, b = a[keep], b[keep]
    return a, b


def cluster_mesh(
    positions_m: np.ndarray,
    max_range_m: float,
    grazing_height_m: float = DEFAULT_GRAZING_HEIGHT_M,
    max_terminals: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """All clear links no longer than ``max_range_m`` (inclusive), e.g. inside a formation cluster.

    Pairs from ``scipy.spatial.cKDTree.query_pairs`` (distance <= r), then the grazing test; with
    ``max_terminals`` the same shortest-first greedy as :func:`nearest`. Returns ``(a, b)`` indices
    into ``positions_m`` (int64, ``a < b``, sorted by ``(a, b)``).
    """
    from scipy.spatial import cKDTree

    pos = _positions(positions_m)
    range_m = _real("max_range_m", max_range_m, "m", positive=True)
    h_g = _grazing(grazing_height_m)
    max_terminals = _max_terminals(max_terminals)
    n = pos.shape[0]
    if n < 2:
        return _EMPTY.copy(), _EMPTY.copy()
    pairs = cKDTree(pos).query_pairs(r=range_m, output_type="ndarray").astype(np.int64, copy=False)
    keys = np.sort(np.minimum(pairs[:, 0], pairs[:, 1]) * n + np.maximum(pairs[:, 0], pairs[:, 1]))
    a, b = np.divmod(keys, n)
    clear = line_of_sight_clear(pos[a], pos[b], h_g)
    a, b = a[clear], b[clear]
    if max_terminals is not None:
        keep = _limit_terminals(a, b, link_lengths_m(pos, a, b), n, max_terminals)
        a, b = a[keep], b[keep]
    return a, b


def _greedy_terminals_py(a, b, order, max_terminals, used):  # pragma: no cover - compiled by numba
    """Accept links in ``order`` while both ends have a free terminal (``used`` counts, in place)."""
    keep = np.zeros(a.shape[0], dtype=np.bool_)
    for e in order:
        u = a[e]
        v = b[e]
        if used[u] < max_terminals and used[v] < max_terminals:
            used[u] += 1
            used[v] += 1
            keep[e] = True
    return keep


_greedy_terminals = lazy_njit(_greedy_terminals_py, cache=True, nogil=True)


def _limit_terminals(a, b, length_m, n_sats: int, max_terminals: int, use_numba: bool = True) -> np.ndarray:
    """Mask of the links kept by the shortest-first greedy terminal assignment (see :func:`nearest`)."""
    order = np.lexsort((b, a, length_m)).astype(np.int64)
    used = np.zeros(n_sats, dtype=np.int64)
    kernel = (_greedy_terminals() or _greedy_terminals_py) if use_numba and accel.use_numba() else _greedy_terminals_py
    return kernel(a.astype(np.int64), b.astype(np.int64), order, np.int64(max_terminals), used)


# --- geometry ------------------------------------------------------------------------------------------


def link_lengths_m(positions_m: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Lengths [m] of links ``(a, b)``; ``positions_m`` is (..., n_sats, 3), the result (..., n_links)."""
    pos = np.asarray(positions_m)
    d = np.take(pos, b, axis=-2).astype(np.float64) - np.take(pos, a, axis=-2)
    return np.sqrt(np.einsum("...i,...i->...", d, d))


def propagation_delay_s(length_m: np.ndarray | float) -> np.ndarray:
    """One-way delay [s] at the speed of light in vacuum."""
    return np.asarray(length_m, dtype=np.float64) / C_M_S


def link_min_altitude_m(p_a_m: np.ndarray, p_b_m: np.ndarray) -> np.ndarray:
    """Lowest altitude [m] above the spherical Earth reached by the segment from ``p_a_m`` to ``p_b_m``.

    Positions (..., 3) [m] in any Earth-centred frame, broadcast together. The closest point to the
    centre is ``p_a + t d`` with ``d = p_b - p_a`` and ``t = clip(-p_a.d / d.d, 0, 1)`` (``t = 0``
    for coincident ends).
    """
    p_a = np.asarray(p_a_m, dtype=np.float64)
    p_b = np.asarray(p_b_m, dtype=np.float64)
    d = p_b - p_a
    dd = np.einsum("...i,...i->...", d, d)
    ad = np.einsum("...i,...i->...", np.broadcast_to(p_a, d.shape), d)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(dd > 0.0, np.clip(-ad / dd, 0.0, 1.0), 0.0)
    closest = p_a + t[..., None] * d
    return np.sqrt(np.einsum("...i,...i->...", closest, closest)) - EARTH_RADIUS_M


def line_of_sight_clear(
    p_a_m: np.ndarray, p_b_m: np.ndarray, grazing_height_m: float = DEFAULT_GRAZING_HEIGHT_M
) -> np.ndarray:
    """True where the segment stays strictly above ``R + grazing_height_m`` (spherical Earth, R = WGS-84 a)."""
    h_g = _grazing(grazing_height_m)
    return link_min_altitude_m(p_a_m, p_b_m) > h_g


def link_feasible(
    positions_m: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    max_range_m: float | None = None,
    grazing_height_m: float = DEFAULT_GRAZING_HEIGHT_M,
) -> np.ndarray:
    """Mask of links ``(a, b)`` that are clear of the grazing height and no longer than ``max_range_m``."""
    pos = np.asarray(positions_m, dtype=np.float64)
    range_m = _max_range(max_range_m)
    ok = line_of_sight_clear(np.take(pos, a, axis=-2), np.take(pos, b, axis=-2), grazing_height_m)
    if math.isfinite(range_m):
        ok &= link_lengths_m(pos, a, b) <= range_m
    return ok


def max_isl_range_m(
    alt_a_m: np.ndarray | float, alt_b_m: np.ndarray | float, grazing_height_m: float = DEFAULT_GRAZING_HEIGHT_M
) -> np.ndarray:
    """Longest link [m] clear of the grazing height between altitudes ``alt_a_m`` and ``alt_b_m``.

    The limiting segment is tangent to the sphere of radius ``R + h_g``:
    ``sqrt((R + h_a)^2 - (R + h_g)^2) + sqrt((R + h_b)^2 - (R + h_g)^2)``, R = 6,378,137 m.
    Both altitudes must be at least the grazing height.
    """
    h_g = _grazing(grazing_height_m)
    h_a = np.asarray(alt_a_m, dtype=np.float64)
    h_b = np.asarray(alt_b_m, dtype=np.float64)
    for name, h in (("alt_a_m", h_a), ("alt_b_m", h_b)):
        bad = ~(np.isfinite(h) & (h >= h_g))
        if np.any(bad):
            v = float(h.ravel()[np.flatnonzero(bad.ravel())[0]])
            raise ValueError(f"{name} = {v!r}: expected a finite altitude >= the grazing height {h_g} m")
    r_g2 = (EARTH_RADIUS_M + h_g) ** 2
    return np.sqrt((EARTH_RADIUS_M + h_a) ** 2 - r_g2) + np.sqrt((EARTH_RADIUS_M + h_b) ** 2 - r_g2)


# --- optical link budget -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class OpticalTerminal:
    """A pair of identical-role optical terminals (transmitter and receiver of one direction).

    ``tx_power_w`` mean optical power launched [W]; ``tx_aperture_m``, ``rx_aperture_m`` telescope
    diameters [m]; ``max_rate_bps`` the terminal's data-rate cap (modem, DWDM channel count) [bit/s];
    ``wavelength_m`` (1550 nm, the telecom C band); ``pointing_loss_db`` (static pointing error and
    jitter, 3 dB) and ``other_losses_db`` (optics transmission, Gaussian-beam truncation -- about
    0.9 dB per end for an optimal truncation (Klein & Degnan 1974) -- and fibre coupling, 3 dB), both
    as positive losses in dB; ``photons_per_bit`` the receiver sensitivity at the target bit error
    rate: the quantum limit is about 9 photons/bit for homodyne BPSK and about 20-40 for preamplified
    direct detection at BER 1e-9 (Agrawal, *Fiber-Optic Communication Systems*, ch. on coherent
    lightwave systems); the default 100 is a practical receiver some 10 dB above the homodyne limit.
    """

    tx_power_w: float
    tx_aperture_m: float
    rx_aperture_m: float
    max_rate_bps: float
    wavelength_m: float = 1550e-9
    pointing_loss_db: float = 3.0
    other_losses_db: float = 3.0
    photons_per_bit: float = 100.0

    def __post_init__(self) -> None:
        _real("OpticalTerminal.tx_power_w", self.tx_power_w, "W", positive=True)
        _real("OpticalTerminal.tx_aperture_m", self.tx_aperture_m, "m", positive=True)
        _real("OpticalTerminal.rx_aperture_m", self.rx_aperture_m, "m", positive=True)
        _real("OpticalTerminal.max_rate_bps", self.max_rate_bps, "bit/s", positive=True)
        _real("OpticalTerminal.wavelength_m", self.wavelength_m, "m", positive=True)
        _real("OpticalTerminal.pointing_loss_db", self.pointing_loss_db, "dB (a loss, >= 0)")
        _real("OpticalTerminal.other_losses_db", self.other_losses_db, "dB (a loss, >= 0)")
        _real("OpticalTerminal.photons_per_bit", self.photons_per_bit, "photons per bit", positive=True)

    @property
    def gain_tx(self) -> float:
        """Diffraction-limited transmit gain ``(pi D_t / lambda)^2`` (linear)."""
        return (math.pi * self.tx_aperture_m / self.wavelength_m) ** 2

    @property
    def gain_rx(self) -> float:
        """Diffraction-limited receive gain ``(pi D_r / lambda)^2`` (linear)."""
        return (math.pi * self.rx_aperture_m / self.wavelength_m) ** 2

    @property
    def loss_factor(self) -> float:
        """Linear factor of the pointing and other losses, ``10^(-(L_p + L_o) / 10)``."""
        return 10.0 ** (-(self.pointing_loss_db + self.other_losses_db) / 10.0)

    @property
    def photon_energy_j(self) -> float:
        """``h c / lambda`` [J]."""
        return PLANCK_J_S * C_M_S / self.wavelength_m

    @property
    def energy_per_bit_j(self) -> float:
        """Received energy needed per bit [J]: ``photons_per_bit h c / lambda``."""
        return self.photons_per_bit * self.photon_energy_j

    @property
    def unity_coupling_range_m(self) -> float:
        """Distance [m] where the Friis coupling ``(pi D_t D_r / (4 lambda d))^2`` reaches 1."""
        return math.pi * self.tx_aperture_m * self.rx_aperture_m / (4.0 * self.wavelength_m)

    @property
    def budget_limit_bps(self) -> float:
        """Rate [bit/s] the power budget allows at full coupling: ``P_t L / E_bit`` (any distance)."""
        return self.tx_power_w * self.loss_factor / self.energy_per_bit_j


def _distances(distance_m) -> np.ndarray:
    d = np.asarray(distance_m, dtype=np.float64)
    bad = ~(np.isfinite(d) & (d >= 0.0))
    if np.any(bad):
        v = float(d.ravel()[np.flatnonzero(bad.ravel())[0]])
        raise ValueError(f"distance_m = {v!r}: expected finite distances >= 0 in m")
    return d


def _fixed_rate(terminal) -> float | None:
    """The rate of a fixed-capacity link (a plain number), or None for an :class:`OpticalTerminal`."""
    if isinstance(terminal, OpticalTerminal):
        return None
    if isinstance(terminal, (Real, np.floating, np.integer)) and not isinstance(terminal, (bool, np.bool_)):
        return _real("fixed capacity", terminal, "bit/s", positive=True)
    raise ValueError(f"terminal = {terminal!r}: expected an OpticalTerminal or a fixed capacity in bit/s")


def received_power_w(terminal: OpticalTerminal, distance_m: np.ndarray | float) -> np.ndarray:
    """Received optical power [W]: ``P_t L min(1, G_t G_r (lambda / (4 pi d))^2)``."""
    if not isinstance(terminal, OpticalTerminal):
        raise ValueError(f"terminal = {terminal!r}: expected an OpticalTerminal")
    d = _distances(distance_m)
    k_m = terminal.unity_coupling_range_m
    coupling = (k_m / np.maximum(d, k_m)) ** 2
    return terminal.tx_power_w * terminal.loss_factor * coupling


def capacity_bps(terminal: OpticalTerminal | float, distance_m: np.ndarray | float) -> np.ndarray:
    """Link capacity [bit/s] at ``distance_m``: ``min(max_rate, P_r / (photons_per_bit h c / lambda))``.

    ``terminal`` may be a plain number: a fixed capacity, the same at every distance.
    """
    fixed = _fixed_rate(terminal)
    d = _distances(distance_m)
    if fixed is not None:
        return np.full(d.shape, fixed)
    return np.minimum(terminal.max_rate_bps, received_power_w(terminal, d) / terminal.energy_per_bit_j)


def max_range_for_rate_m(terminal: OpticalTerminal | float, rate_bps: np.ndarray | float) -> np.ndarray:
    """Longest distance [m] at which the link still carries ``rate_bps`` (closed form).

    ``d = (pi D_t D_r / (4 lambda)) sqrt(P_t L / (rate photons_per_bit h c / lambda))``; infinite for a
    fixed capacity at or above the rate. A rate above the terminal cap, or above the power budget at
    full coupling (:attr:`OpticalTerminal.budget_limit_bps`), cannot be carried at any distance:
    ValueError.
    """
    fixed = _fixed_rate(terminal)
    rate = np.asarray(rate_bps, dtype=np.float64)
    bad = ~(np.isfinite(rate) & (rate > 0.0))
    if np.any(bad):
        v = float(rate.ravel()[np.flatnonzero(bad.ravel())[0]])
        raise ValueError(f"rate_bps = {v!r}: expected positive finite rates in bit/s")
    top = fixed if fixed is not None else min(terminal.max_rate_bps, terminal.budget_limit_bps)
    if np.any(rate > top):
        v = float(rate.max())
        why = (
            "the fixed capacity" if fixed is not None
            else ("the terminal cap max_rate_bps" if top == terminal.max_rate_bps
                  else "the power budget at full coupling (P_t L / E_bit)")
        )
        raise ValueError(f"rate_bps = {v:.6g}: no distance carries it; expected at most {top:.6g} bit/s ({why})")
    if fixed is not None:
        return np.full(rate.shape, math.inf)
    return terminal.unity_coupling_range_m * np.sqrt(terminal.budget_limit_bps / rate)


def check_budget(terminal: OpticalTerminal | float, min_rate_bps: float, range_m: float) -> float:
    """Capacity [bit/s] at ``range_m``; ValueError when it is below ``min_rate_bps`` (a failed budget)."""
    need = _real("min_rate_bps", min_rate_bps, "bit/s", positive=True)
    d = _real("range_m", range_m, "m")
    cap = float(capacity_bps(terminal, d))
    if cap < need:
        reach = max_range_for_rate_m(terminal, need) if need <= _top_rate(terminal) else None
        tail = (
            f"; it reaches {need:.6g} bit/s only up to {float(reach):.6g} m" if reach is not None
            else "; no distance reaches it"
        )
        raise ValueError(
            f"link budget: {cap:.6g} bit/s at range_m = {d:.6g} m, below min_rate_bps = {need:.6g}{tail}"
        )
    return cap


def _top_rate(terminal) -> float:
    fixed = _fixed_rate(terminal)
    return fixed if fixed is not None else min(terminal.max_rate_bps, terminal.budget_limit_bps)


# --- acquisition ---------------------------------------------------------------------------------------


def _sorted_keys(keys) -> np.ndarray:
    k = np.asarray(keys)
    if k.ndim != 1 or not (k.size == 0 or np.issubdtype(k.dtype, np.integer)):
        raise ValueError(f"keys has shape {k.shape} and dtype {k.dtype}: expected a 1-D integer array")
    k = k.astype(np.int64, copy=False)
    if k.size > 1:
        steps = np.diff(k)
        if np.any(steps <= 0):
            i = int(np.flatnonzero(steps <= 0)[0])
            raise ValueError(
                f"keys[{i}:{i + 2}] = {k[i:i + 2].tolist()}: expected strictly increasing keys (sorted, no duplicates)"
            )
    return k


def first_seen_s(prev_keys: np.ndarray, prev_first_seen_s: np.ndarray, keys: np.ndarray, t_s: float) -> np.ndarray:
    """First-seen time [s] of each link in ``keys`` (sorted): carried over when it was present at the
    previous step (``prev_keys``, sorted, with ``prev_first_seen_s``), else ``t_s`` (a new link, or one
    that came back after a gap: acquisition starts again)."""
    prev = np.asarray(prev_keys, dtype=np.int64)
    keys = np.asarray(keys, dtype=np.int64)
    if prev.size == 0:
        return np.full(keys.shape, float(t_s))
    pos = np.minimum(np.searchsorted(prev, keys), prev.size - 1)
    found = prev[pos] == keys
    return np.where(found, np.asarray(prev_first_seen_s, dtype=np.float64)[pos], float(t_s))


class LinkTracker:
    """Which links are usable, given that a new link needs ``acquisition_s`` before it carries data.

    Call :meth:`update` once per step, in time order, with the step's link keys (:func:`edge_keys`,
    sorted, unique). A link is usable at time ``t`` when it has been present at every step since its
    first-seen time ``t0`` and ``t - t0 >= acquisition_s`` (to 1e-9 relative, so that times built as
    ``k * step_s`` compare as intended). A link missing at one step is lost: when it returns it is
    acquired again. With ``established_at_start`` (default) the links present at the first step are
    taken as already acquired (the network was running before the simulation began); otherwise they
    too wait ``acquisition_s``.
    """

    def __init__(self, acquisition_s: float, established_at_start: bool = True) -> None:
        self.acquisition_s = _real("acquisition_s", acquisition_s, "s")
        self.established_at_start = bool(established_at_start)
        self.keys = _EMPTY.copy()
        self.first_seen_s = np.zeros(0)
        self.t_s: float | None = None

    def update(self, keys: np.ndarray, t_s: float) -> np.ndarray:
        """Record the links present at ``t_s`` and return the mask of those usable (aligned with ``keys``)."""
        keys = _sorted_keys(keys)
        t = float(t_s)
        if not math.isfinite(t):
            raise ValueError(f"t_s = {t_s!r}: expected a finite time in s")
        if self.t_s is not None and not t > self.t_s:
            raise ValueError(f"t_s = {t!r}: expected a time after the previous step's {self.t_s!r} s")
        if self.t_s is None:
            seen = np.full(keys.shape, -math.inf if self.established_at_start else t)
        else:
            seen = first_seen_s(self.keys, self.first_seen_s, keys, t)
        self.keys, self.first_seen_s, self.t_s = keys, seen, t
        tol_s = 1e-9 * max(1.0, abs(t))
        return (t - seen) >= self.acquisition_s - tol_s
