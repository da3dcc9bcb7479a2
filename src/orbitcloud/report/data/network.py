"""The run's network recomputed for the report: links in use at one time, RTT over the run."""

from __future__ import annotations

import dataclasses

import numpy as np

from orbitcloud.report.data.run import RunDir

#: Full-fleet positions are propagated for links on the globe only up to this many satellites.
NETWORK_MAX_SATELLITES = 200_000
#: Satellite-steps routed for the RTT timeline (the cadence is coarsened to stay under it).
RTT_SAT_STEPS = 3_000_000
#: At most this many samples on the RTT timeline.
RTT_MAX_SAMPLES = 720


def network_setup(run: RunDir):
    """The scenario's network (``network.simulate.setup``) with the stations, or None without a section."""
    if not run.network_config:
        return None
    from orbitcloud.network import simulate as S
    from orbitcloud.network.ground import Stations

    stations = run.stations
    if stations is None:
        stations = Stations.from_geodetic([], [], [], [], [], source="no stations")
    return S.setup(run.loaded, run.fleet, stations)


@dataclasses.dataclass
class LinksAt:
    """Links in use at one time: ISLs ``(a, b)`` and ground links ``(station, sat)``, with all positions."""

    pos_m: np.ndarray  # (n_sat, 3) every satellite at that time
    isl_a: np.ndarray
    isl_b: np.ndarray
    gsl_station: np.ndarray
    gsl_sat: np.ndarray


def links_at(run: RunDir, t_s: float) -> LinksAt | None:
    """ISLs and assigned ground links at ``t_s`` (acquisition delay ignored: a snapshot, not a history).

    None without a network/ground section or above :data:`NETWORK_MAX_SATELLITES` satellites.
    """
    ns = network_setup(run)
    if ns is None or run.n_sat > NETWORK_MAX_SATELLITES:
        return None
    from orbitcloud.network import simulate as S

    ns = dataclasses.replace(ns, acquisition_s=0.0)
    pos = run.positions_ecef_m(np.arange(run.n_sat), np.array([t_s]))
    x, y, z = pos[:, :, 0], pos[:, :, 1], pos[:, :, 2]
    stepper = S.NetworkStepper(ns, run.n_sat)
    gsl = S.ground_links_by_step(ns, x, y, z) if len(ns.stations) else None
    if gsl is None:
        from orbitcloud.network.ground import Links

        z0 = np.zeros(0, np.int64)
        links = Links(z0, z0, z0, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
        net = stepper.build(x, y, z, 0, t_s, lambda _j: links)
    else:
        net = stepper.build(x, y, z, 0, t_s, gsl)
    return LinksAt(
        pos_m=pos[:, 0, :], isl_a=net.isl_a, isl_b=net.isl_b, gsl_station=net.gsl.station, gsl_sat=net.gsl.sat
    )


@dataclasses.dataclass
class RttSeries:
    """RTT between ``network.pairs`` over the run at a coarse cadence, with path changes marked."""

    t_s: np.ndarray
    pairs: list[str]
    rtt_ms: np.ndarray  # (T, n_pairs), NaN when unreachable
    hops: np.ndarray  # (T, n_pairs), -1 when unreachable
    changed: np.ndarray  # (T, n_pairs) bool: the path differs from the previous sample's
    stride: int  # run steps per sample


def rtt_series(run: RunDir) -> RttSeries | None:
    """Recompute RTTs for the scenario's ``network.pairs`` with :mod:`orbitcloud.network.routing`.

    The cadence is ``stride`` run steps, the smallest with at most :data:`RTT_SAT_STEPS`
    satellite-samples and :data:`RTT_MAX_SAMPLES` samples. None without pairs or stations.
    """
    sc = run.loaded.scenario
    if sc.network is None or not sc.network.pairs or sc.ground is None or run.n_sat > NETWORK_MAX_SATELLITES:
        return None
    from orbitcloud.network import routing as R
    from orbitcloud.network import simulate as S

    ns = network_setup(run)
    src, dst = [], []
    for text in sc.network.pairs:
        a, b = (p.strip() for p in text.split(","))
        i, j = ns.stations.find([a, b])
        src.append(i)
        dst.append(j)
    src_a, dst_a = np.asarray(src, np.int64), np.asarray(dst, np.int64)
    stride = max(1, int(np.ceil(run.n_sat * run.n_steps / RTT_SAT_STEPS)), int(np.ceil(run.n_steps / RTT_MAX_SAMPLES)))
    n = (run.n_steps - 1) // stride + 1
    spec = run.spec_at(0.0, run.step_s * stride, n)
    stepper = S.NetworkStepper(ns, run.n_sat)
    rtt = np.full((n, src_a.size), np.nan)
    hops = np.full((n, src_a.size), -1, np.int64)
    changed = np.zeros((n, src_a.size), bool)
    prev = None
    for k0, t_s, x, y, z in S.positions(run.fleet, spec):
        gsl_at = S.ground_links_by_step(ns, x, y, z)
        for j in range(x.shape[1]):
            net = stepper.build(x, y, z, j, float(t_s[j]), gsl_at)
            routes = R.rtt_and_paths(net.snapshot, src_a, dst_a)
            k = k0 + j
            ok = np.isfinite(routes.rtt_s)
            rtt[k] = np.where(ok, routes.rtt_s * 1e3, np.nan)
            hops[k] = routes.hops
            if prev is not None:
                changed[k] = R.path_changes(prev, routes.paths)
            prev = routes.paths
    return RttSeries(
        t_s=np.arange(n) * run.step_s * stride,
        pairs=[f"{sc.network.pairs[i]}" for i in range(src_a.size)],
        rtt_ms=rtt,
        hops=hops,
        changed=changed,
        stride=stride,
    )
