"""CZML export of a run: time-dynamic satellite positions, ground stations, ISLs and ground links.

CZML (Analytical Graphics / Cesium, "CZML Structure" and "Packet" in the czml-writer wiki,
https://github.com/AnalyticalGraphicsInc/czml-writer/wiki) is a JSON array of packets; the first is
the document packet (``id: "document"``, ``version: "1.0"``, the ``clock``). Written with the
``czml3`` package, which validates each packet against the specification's types.

Mapping (``docs/report.md``):

* **satellite** ``sat-I`` (I its index in scenario order; ``name`` its fleet name): ``position``
  with ``referenceFrame: FIXED`` and ``cartesian = [t, x, y, z, t, x, y, z, ...]`` — ``t`` seconds
  after ``epoch`` (the run start), ``x, y, z`` Earth-fixed metres (TEME rotated by GMST-82, the
  frame every orbitcloud module uses), rounded to 1 m; ``interpolationAlgorithm: LAGRANGE`` of
  ``interpolationDegree`` 7 (lower for runs with fewer samples). Samples every ``cadence_s``
  (:func:`plan`): the run step multiplied up to 300 s, so a day of one satellite is about 300
  samples; the samples extend ``degree // 2 + 1`` cadences beyond both ends of the run window so
  that interpolation inside the window always uses a centred stencil.
  ``availability`` is the run window; samples where SGP4 failed are left out.
* **ground station** ``station-J``: a constant ``cartographicDegrees`` position and a label.
* **ISL** ``isl-A-B`` and **ground link** ``gsl-J-I``: a ``polyline`` whose ``positions`` are
  ``references`` to the two end points' ``#position``, shown only inside its ``availability``
  intervals: the link is in use at a sample time (:mod:`orbitcloud.network.simulate`: the
  scenario's topology, feasibility, acquisition delay, station limits) and each interval runs from
  its first sample to the first sample without it. Only links between exported satellites are
  written.

Large fleets: at most :data:`~orbitcloud.report.sample.DEFAULT_CZML_SAMPLE` satellites are
exported (the stratified sample of :mod:`orbitcloud.report.sample`), and at most
:data:`MAX_POSITIONS` satellite-samples: beyond it the cadence grows up to 600 s, then the time
span is cut (the document's ``description`` says so).

Accuracy: Lagrange interpolation of degree 7 through 300-s samples reproduces orbitcloud's own
propagation between samples to metres in LEO (``tests/report/test_czml.py`` bounds it, ``docs/report.md``
quotes the measured error).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.report.data.network import NETWORK_MAX_SATELLITES, network_setup
from orbitcloud.report.data.run import RunDir, open_run
from orbitcloud.report.sample import DEFAULT_CZML_SAMPLE, sample_satellites

#: Target spacing of position samples [s] (a multiple of the run step).
CADENCE_S = 300.0
#: Largest spacing used to stay within :data:`MAX_POSITIONS` [s].
MAX_CADENCE_S = 600.0
#: Most satellite-samples written (about 40 bytes each).
MAX_POSITIONS = 1_500_000
#: Lagrange interpolation degree (uses degree + 1 samples around each time).
DEGREE = 7
SHELL_RGBA = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
]


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a CZML document holds: satellites, sample stride [steps], number of samples, degree."""

    sats: np.ndarray
    stride: int
    n_samples: int
    degree: int
    truncated: bool

    def cadence_s(self, step_s: float) -> float:
        return self.stride * step_s


def plan(run: RunDir, sample: int | None = None) -> Plan:
    """Satellites, cadence and span of the export (rules in the module docstring)."""
    counts = np.array([int(s["satellites"]) for s in run.summary["shells"]], dtype=np.int64)
    sats = sample_satellites(counts, DEFAULT_CZML_SAMPLE if sample is None else sample).index
    stride = max(1, int(round(CADENCE_S / run.step_s))) if run.step_s < CADENCE_S else 1
    n = (run.n_steps - 1) // stride + 1
    while sats.size * n > MAX_POSITIONS and (stride + 1) * run.step_s <= MAX_CADENCE_S:
        stride += 1
        n = (run.n_steps - 1) // stride + 1
    truncated = False
    if sats.size * n > MAX_POSITIONS:
        n = max(2, MAX_POSITIONS // max(sats.size, 1))
        truncated = True
    degree = max(1, min(DEGREE, n - 1))
    return Plan(sats=sats, stride=stride, n_samples=n, degree=degree, truncated=truncated)


def _intervals(keys_per_sample: list[np.ndarray], n_samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of consecutive samples per key: (key, first sample, first sample after) arrays."""
    if not keys_per_sample or not any(k.size for k in keys_per_sample):
        z = np.zeros(0, np.int64)
        return z, z, z
    key = np.concatenate(keys_per_sample)
    k = np.concatenate([np.full(a.size, i, np.int64) for i, a in enumerate(keys_per_sample)])
    order = np.lexsort((k, key))
    key, k = key[order], k[order]
    new = np.ones(key.size, bool)
    new[1:] = (key[1:] != key[:-1]) | (k[1:] != k[:-1] + 1)
    start = np.flatnonzero(new)
    stop = np.append(start[1:], key.size)
    return key[start], k[start], k[stop - 1] + 1


def _iso(run: RunDir, t_s: float) -> str:
    ns = int(run.time_ns(t_s))
    text = str(np.datetime64(ns, "ns").astype("datetime64[ms]"))
    return text + "Z"


def build_packets(run: RunDir, sample: int | None = None) -> list:
    """The CZML document as czml3 packets (document packet first)."""
    from czml3 import Packet
    from czml3.properties import (
        Clock,
        Color,
        Point,
        Polyline,
        PolylineMaterial,
        Position,
        PositionList,
        SolidColorMaterial,
    )
    from czml3.types import TimeInterval, TimeIntervalCollection

    p = plan(run, sample)
    cad = p.cadence_s(run.step_s)
    t_s = np.arange(p.n_samples) * cad
    t_end = float(t_s[-1]) if p.truncated else run.t_last_s
    # position samples continue the grid PAD samples beyond both ends of the window, so that every
    # time inside it is interpolated from a centred stencil (one-sided stencils at the ends err by
    # tens of metres); the availability stays the run window
    pad = p.degree // 2 + 1
    k_last = int(math.ceil(t_end / cad - 1e-9))
    t_pos = np.arange(-pad, k_last + pad + 1) * cad
    start, stop = _iso(run, 0.0), _iso(run, t_end)
    window = TimeInterval(start=start, end=stop)
    drawn = f"{p.sats.size:,} of {run.n_sat:,} satellites" + (
        "" if p.sats.size == run.n_sat else " (stratified sample, docs/report.md)"
    )
    cut = f"; positions cut at {stop} to stay under {MAX_POSITIONS:,} satellite-samples" if p.truncated else ""
    desc = (
        f"orbitcloud run {run.summary['scenario']} ({run.summary.get('source', '')}): {drawn}; Earth-fixed positions "
        f"every {cad:g} s, Lagrange degree {p.degree}{cut}."
    )
    packets = [
        Packet(
            id="document",
            name=str(run.summary["scenario"]),
            version="1.0",
            description=desc,
            clock=Clock(
                interval=window, currentTime=start, multiplier=60, range="LOOP_STOP", step="SYSTEM_CLOCK_MULTIPLIER"
            ),
        )
    ]
    pos = run.positions_ecef_m(p.sats, t_pos)
    names = run.fleet.names(p.sats)
    shells = run.shell_names
    for row, (i, name) in enumerate(zip(p.sats.tolist(), names)):
        xyz = pos[row]
        ok = np.isfinite(xyz).all(axis=1)
        if not ok.any():
            continue
        samples = np.column_stack([t_pos[ok], np.round(xyz[ok])]).ravel().tolist()
        shell = int(run.shell_of[i])
        packets.append(
            Packet(
                id=f"sat-{i}",
                name=name,
                description=f"shell {shells[shell]}",
                availability=window,
                position=Position(
                    epoch=start,
                    referenceFrame="FIXED",
                    interpolationAlgorithm="LAGRANGE",
                    interpolationDegree=p.degree,
                    cartesian=samples,
                ),
                point=Point(pixelSize=4, color=Color(rgba=[*SHELL_RGBA[shell % len(SHELL_RGBA)], 255])),
            )
        )
    packets += _link_packets(
        run,
        p,
        t_s,
        start,
        Color,
        Polyline,
        PolylineMaterial,
        PositionList,
        SolidColorMaterial,
        TimeInterval,
        TimeIntervalCollection,
        Packet,
    )
    return packets


def _link_packets(
    run,
    p: Plan,
    t_s,
    start,
    Color,
    Polyline,
    PolylineMaterial,
    PositionList,
    SolidColorMaterial,
    TimeInterval,
    TimeIntervalCollection,
    Packet,
) -> list:
    """Stations and the ISL / ground-link packets with availability intervals."""
    from czml3.properties import Label, Point, Position

    out = []
    stations = run.stations if run.network_config else None
    if stations is not None:
        for j, name in enumerate(stations.names):
            out.append(
                Packet(
                    id=f"station-{j}",
                    name=name,
                    position=Position(
                        cartographicDegrees=[
                            float(np.degrees(stations.lon_rad[j])),
                            float(np.degrees(stations.lat_rad[j])),
                            float(stations.alt_m[j]),
                        ]
                    ),
                    point=Point(pixelSize=7, color=Color(rgba=[0, 109, 44, 255])),
                    label=Label(text=name, scale=0.5),
                )
            )
    ns = network_setup(run)
    if ns is None or run.n_sat > NETWORK_MAX_SATELLITES:
        return out
    from orbitcloud.network import simulate as S

    n_sat = run.n_sat
    drawn = np.zeros(n_sat, bool)
    drawn[p.sats] = True
    spec = run.spec_at(0.0, p.cadence_s(run.step_s), p.n_samples)
    stepper = S.NetworkStepper(ns, n_sat)
    isl_keys, gsl_keys = [], []
    for _k0, tt, x, y, z in S.positions(run.fleet, spec):
        gsl_at = S.ground_links_by_step(ns, x, y, z) if len(ns.stations) else None
        for j in range(x.shape[1]):
            if gsl_at is None:
                from orbitcloud.network.ground import Links

                z0 = np.zeros(0, np.int64)
                links = Links(z0, z0, z0, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
                net = stepper.build(x, y, z, j, float(tt[j]), lambda _j, _l=links: _l)
            else:
                net = stepper.build(x, y, z, j, float(tt[j]), gsl_at)
            a, b = np.minimum(net.isl_a, net.isl_b), np.maximum(net.isl_a, net.isl_b)
            keep = drawn[a] & drawn[b]
            isl_keys.append(a[keep] * n_sat + b[keep])
            g = net.gsl
            keep = drawn[g.sat]
            gsl_keys.append(g.station[keep] * n_sat + g.sat[keep])
    t_end = run.t_last_s if not p.truncated else float(t_s[-1])

    def when(k: int) -> str:
        return _iso(run, float(t_s[k]) if k < p.n_samples else t_end)

    for keys, kind, rgba, width in (
        (isl_keys, "isl", [90, 90, 220, 160], 1.0),
        (gsl_keys, "gsl", [0, 150, 60, 230], 2.0),
    ):
        key, first, after = _intervals(keys, p.n_samples)
        if not key.size:
            continue
        bounds = np.flatnonzero(np.diff(key)) + 1
        for grp in np.split(np.arange(key.size), bounds):
            a, b = divmod(int(key[grp[0]]), n_sat)
            ivals = [
                TimeInterval(start=when(int(first[i])), end=when(int(after[i])))
                for i in grp
                if when(int(first[i])) != when(int(after[i]))
            ]
            if not ivals:
                continue
            if kind == "isl":
                ident, refs, name = f"isl-{a}-{b}", [f"sat-{a}#position", f"sat-{b}#position"], f"ISL {a}–{b}"
            else:
                ident, refs, name = (
                    f"gsl-{a}-{b}",
                    [f"station-{a}#position", f"sat-{b}#position"],
                    f"ground link {stations.names[a]}–{b}",
                )
            out.append(
                Packet(
                    id=ident,
                    name=name,
                    availability=TimeIntervalCollection(values=ivals),
                    polyline=Polyline(
                        positions=PositionList(references=refs),
                        width=width,
                        arcType="NONE",
                        material=PolylineMaterial(solidColor=SolidColorMaterial(color=Color(rgba=rgba))),
                    ),
                )
            )
    return out


def write_czml(run_dir: Path, out: Path | None = None, *, sample: int | None = None) -> Path:
    """Write the CZML document of a results directory (default ``RUN_DIR/run.czml``); returns its path."""
    from czml3 import Document

    from orbitcloud.results.writer import write_text_atomic

    if sample is not None and sample < 1:
        raise OrbitcloudError(f"--sample: must be at least 1, got {sample}")
    run = open_run(run_dir)
    out = Path(out) if out is not None else run.path / "run.czml"
    if out.exists() and out.is_dir():
        raise OrbitcloudError(f"--out {out}: is a directory, expected a .czml file name")
    doc = Document(packets=build_packets(run, sample))
    try:
        write_text_atomic(out, doc.dumps())
    except OSError as exc:
        raise OrbitcloudError(f"--out {out}: cannot write: {exc.strerror}") from None
    return out
