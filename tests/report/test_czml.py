"""CZML export: document structure per the CZML specification, positions after Lagrange
interpolation against orbitcloud's propagation, and link availability against the network model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from orbitcloud.cli import main
from orbitcloud.report import data as D
from orbitcloud.report import write_czml

#: Interpolated positions agree with the propagator between samples to within this (measured
#: below 5 m in LEO with 300-s samples and degree 7; rounding to whole metres adds up to 0.9 m).
TEN_METRES = 10.0


def _iso_s(run, text: str) -> float:
    return (int(np.datetime64(text.rstrip("Z"), "ns").astype(np.int64)) - run.start_ns) / 1e9


def _intervals(run, value) -> list[tuple[float, float]]:
    items = value if isinstance(value, list) else [value]
    out = []
    for it in items:
        a, b = it.split("/")
        out.append((_iso_s(run, a), _iso_s(run, b)))
    return out


def lagrange(ts: np.ndarray, xs: np.ndarray, t: float, degree: int) -> np.ndarray:
    """Lagrange interpolation through the degree + 1 samples around t (Cesium's
    LagrangePolynomialApproximation picks the same centred window)."""
    n = ts.size
    i = int(np.searchsorted(ts, t)) - 1
    lo = int(np.clip(i - degree // 2, 0, n - degree - 1))
    idx = np.arange(lo, lo + degree + 1)
    out = np.zeros(xs.shape[1])
    for j in idx:
        others = idx[idx != j]
        out += np.prod((t - ts[others]) / (ts[j] - ts[others])) * xs[j]
    return out


@pytest.fixture(scope="module")
def czml(net_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("czml") / "net.czml"
    assert main(["export", "czml", str(net_run), "--out", str(out)]) == 0
    return json.loads(out.read_text())


def test_document_structure(czml, net_run):
    run = D.open_run(net_run)
    doc = czml[0]
    assert doc["id"] == "document" and doc["version"] == "1.0"
    clock = doc["clock"]
    a, b = _intervals(run, clock["interval"])[0]
    assert a == 0.0 and b == pytest.approx(run.t_last_s)
    ids = [p["id"] for p in czml]
    assert len(ids) == len(set(ids))  # every packet id unique
    sats = [p for p in czml if p["id"].startswith("sat-")]
    assert len(sats) == run.n_sat
    for p in sats:
        pos = p["position"]
        assert pos["referenceFrame"] == "FIXED" and pos["interpolationAlgorithm"] == "LAGRANGE"
        c = pos["cartesian"]
        assert len(c) % 4 == 0 and len(c) // 4 > pos["interpolationDegree"]
        t = np.asarray(c[0::4])
        assert (np.diff(t) > 0).all()
        assert _iso_s(run, pos["epoch"]) == 0.0
        # the samples cover the availability interval, with room for a centred stencil at both ends
        ((a, b),) = _intervals(run, p["availability"])
        assert t[0] < a and t[-1] > b
    refs = {p["id"] for p in czml}
    links = [p for p in czml if p["id"].startswith(("isl-", "gsl-"))]
    assert any(p["id"].startswith("isl-") for p in links) and any(p["id"].startswith("gsl-") for p in links)
    for p in links:
        for r in p["polyline"]["positions"]["references"]:
            ident, prop = r.split("#")
            assert ident in refs and prop == "position"
        iv = _intervals(run, p["availability"])
        for (a, b), (c, _) in zip(iv, iv[1:]):
            assert a < b < c  # sorted, disjoint, non-empty
        assert iv[0][0] >= 0.0 and iv[-1][1] <= run.t_last_s + 1e-6


def test_document_validates_with_czml3(czml):
    from czml3 import Document

    doc = Document.model_validate(czml)
    assert len(doc.packets) == len(czml)


def test_interpolated_positions_match_propagation(czml, net_run):
    run = D.open_run(net_run)
    worst = 0.0
    for p in [q for q in czml if q["id"].startswith("sat-")][::7]:
        c = np.asarray(p["position"]["cartesian"]).reshape(-1, 4)
        deg = p["position"]["interpolationDegree"]
        t_mid = 0.5 * (c[:-1, 0] + c[1:, 0])
        t_mid = t_mid[(t_mid >= 0) & (t_mid <= run.t_last_s)]
        truth = run.positions_ecef_m(np.array([int(p["id"][4:])]), t_mid)[0]
        est = np.array([lagrange(c[:, 0], c[:, 1:], t, deg) for t in t_mid])
        worst = max(worst, float(np.linalg.norm(est - truth, axis=1).max()))
    assert worst < TEN_METRES


def test_positions_are_earth_fixed(czml, net_run):
    """FIXED frame: a ground station's position is constant, and a satellite's samples agree with
    the Earth-fixed elevations of the run's contact windows (one station, one window)."""
    from orbitcloud.network.ground import look_angles

    run = D.open_run(net_run)
    ct = D.load_contacts(run)
    k = int(np.argmax(ct.end_s - ct.start_s))
    mid = 0.5 * (ct.start_s[k] + ct.end_s[k])
    sat = next(p for p in czml if p["id"] == f"sat-{ct.sat[k]}")
    c = np.asarray(sat["position"]["cartesian"]).reshape(-1, 4)
    r = lagrange(c[:, 0], c[:, 1:], mid, sat["position"]["interpolationDegree"])
    st = run.stations.subset([run.stations.index(ct.station[k])])
    _, el, _ = look_angles(st, np.array([[r[0]]]), np.array([[r[1]]]), np.array([[r[2]]]))
    assert np.degrees(el[0, 0, 0]) >= 20.0


def test_link_availability_matches_the_network(czml, net_run):
    """At every sample time, the ISLs and ground links in the document's availability are those the
    network model uses."""
    from orbitcloud.network import simulate as S

    run = D.open_run(net_run)
    avail = {p["id"]: _intervals(run, p["availability"]) for p in czml if p["id"].startswith(("isl-", "gsl-"))}
    ns = D.network_setup(run)
    stepper = S.NetworkStepper(ns, run.n_sat)
    cad = 300.0
    spec = run.spec_at(0.0, cad, int(run.t_last_s // cad) + 1)
    checked = 0
    for _k0, tt, x, y, z in S.positions(run.fleet, spec):
        gsl = S.ground_links_by_step(ns, x, y, z)
        for j in range(x.shape[1]):
            net = stepper.build(x, y, z, j, float(tt[j]), gsl)
            used = {f"isl-{min(a, b)}-{max(a, b)}" for a, b in zip(net.isl_a.tolist(), net.isl_b.tolist())}
            used |= {f"gsl-{g}-{s}" for g, s in zip(net.gsl.station.tolist(), net.gsl.sat.tolist())}
            t = float(tt[j])
            shown = {i for i, iv in avail.items() if any(a <= t < b or (b == run.t_last_s and t == b) for a, b in iv)}
            assert used == shown
            checked += 1
    assert checked >= 20


def test_large_fleet_is_sampled(tmp_path):
    """The plan draws at most the CZML sample and keeps satellite-samples under the budget."""
    from orbitcloud.report import czml as C

    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "sunrise-51600",
                "--duration",
                "30min",
                "--propagator",
                "fast",
                "--no-eclipses",
                "--no-bus",
                "--out",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    run = D.open_run(out)
    p = C.plan(run)
    assert p.sats.size == C.DEFAULT_CZML_SAMPLE and p.sats.size * p.n_samples <= C.MAX_POSITIONS
    path = write_czml(out, tmp_path / "s.czml", sample=300)
    doc = json.loads(path.read_text())
    assert sum(p["id"].startswith("sat-") for p in doc) == 300
    assert "300 of 51,600 satellites" in doc[0]["description"]
