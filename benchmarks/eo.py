"""Earth-observation workload: downlink reduction of the Three-Body constellation, and model cost.

``python benchmarks/eo.py`` (default ``run``) prints, for the built-in ``three-body-12`` fleet (12
satellites, one 500 km SSO plane; fast propagator, analytic Sun) over one day at 60 s, with three
Chinese ground stations (Beijing-Miyun, Kashgar, Sanya; 10 deg minimum elevation; 520 Mbps each, the
Sentinel-2 X-band class of design/REFERENCES.md -- the Three-Body ground segment is not published):

1. the ``three-body`` sensor with no filter, the CloudScout cloud screen and the semantic product,
   direct-to-ground only and with ISL relay (the 12 satellites in one ring, one ISL component):
   raw and downlinked bytes, downlink reduction, value density, ages, storage high-water marks;
2. the per-step cost of :class:`~orbitcloud.ops.eo.EOModel` for the 2,800 satellites of
   ``star-compute-2800`` (every satellite imaging), the workload of the issue's performance target.

``python benchmarks/eo.py planet`` runs the Planet TLE fleet of ../shared/data (188 satellites,
planet-dove sensor, 160 Mbps) for one day. ``python benchmarks/eo.py build-land-mask`` rebuilds
``src/orbitcloud/catalog/land_mask.yaml`` from the PyPI package global-land-mask (install it first; it
loads a ~1 GB grid).

Usage: python benchmarks/eo.py [run|planet|build-land-mask] [--steps 1440] [--cost-steps 120]
"""

from __future__ import annotations

import argparse
import base64
import sys
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
STEP_S = 60.0
STATIONS = [  # assumption: Chinese remote-sensing ground stations (CAS Aerospace Information Research Institute sites)
    {"name": "Miyun", "lat_deg": 40.45, "lon_deg": 116.85},
    {"name": "Kashgar", "lat_deg": 39.50, "lon_deg": 76.00},
    {"name": "Sanya", "lat_deg": 18.30, "lon_deg": 109.30},
]
PLANET_TLE = ROOT.parent / "shared" / "data" / "tle" / "planet-2023-04-20.tle"


def geometry(loaded, n_steps: int):
    """Earth-fixed positions (n, T, 3) [m], Sun unit vectors (T, 3) (Earth-fixed) and times [s]."""
    from orbitcloud.ephemeris.frames import gmst_for_times, teme_to_ecef
    from orbitcloud.ephemeris.propagate import fast_ecef_m, fast_orbits
    from orbitcloud.ephemeris.sun import sun_position_m
    from orbitcloud.fleet import build_fleet
    from orbitcloud.timescale import jd_split, jd_split_offset

    fleet = build_fleet(loaded)
    sl = fleet.slice(0, len(fleet))
    jd0, fr0 = (float(v) for v in jd_split(np.datetime64(loaded.scenario.epoch, "ns")))
    t_s = np.arange(n_steps) * STEP_S
    jd, fr = jd_split_offset(jd0, fr0, t_s)
    gmst = gmst_for_times(jd, fr)
    x, y, z, _ = fast_ecef_m(fast_orbits(sl, jd0, fr0), t_s, gmst)
    r = np.stack([np.asarray(v, dtype=np.float64) for v in (x, y, z)], axis=-1)
    sun = teme_to_ecef(sun_position_m(jd, fr), gmst)
    return r, sun / np.linalg.norm(sun, axis=1, keepdims=True), t_s


def contacts(r: np.ndarray, stations, rate_bps: float, min_elevation_deg: float = 10.0) -> np.ndarray:
    """(n, T) direct downlink rate: ``rate_bps`` while any station sees the satellite."""
    from orbitcloud.network.ground import stations_from_records, visibility

    st = stations_from_records(stations, label="benchmark stations")
    vis = visibility(st, r[..., 0], r[..., 1], r[..., 2], min_elevation_deg=min_elevation_deg).visible
    return np.where(vis.any(axis=0), rate_bps, 0.0)


def simulate(spec_doc: dict, r, sun, t_s, rate, ops_per_s: float, seed: int, relay: bool):
    from orbitcloud.ops.eo import EOModel, eo_params
    from orbitcloud.scenario.eo_schema import parse_earth_observation

    p = eo_params(parse_earth_observation(spec_doc))
    n, n_t = r.shape[0], r.shape[1]
    model = EOModel(p, np.arange(n), np.full(n, ops_per_s), seed, STEP_S, n_t)
    comp = np.zeros(n, dtype=np.int64)
    t0 = time.perf_counter()
    for k in range(n_t):
        pool = np.array([rate[:, k].sum()]) if relay else None
        model.advance(k, t_s[k], STEP_S, r[:, k], sun[k], np.ones(n), rate[:, k], comp if relay else None, pool)
    return model, time.perf_counter() - t0


def fmt(s: dict) -> str:
    def g(x, scale=1.0, f="{:.1f}"):
        return "-" if x is None else f.format(x * scale)

    tb = {k: s[k] / 1e12 for k in ("captured_b", "kept_b", "downlinked_b", "lost_b")}
    h = {k: g(s[k], 1 / 3600, "{:.2f}") for k in ("age_mean_s", "age_p50_s", "age_p99_s")}
    return (f"raw {tb['captured_b']:7.2f} TB  kept {tb['kept_b']:6.2f} TB  down {tb['downlinked_b']:6.2f} TB  "
            f"lost {tb['lost_b']:5.2f} TB | reduction {g(s['downlink_reduction'], 100)} %  "
            f"downlinked {g(s['downlinked_fraction'], 100)} %  value density {g(s['value_density'], 100)} % "
            f"(captured {g(s['value_density_captured'], 100)} %) | "
            f"age mean/p50/p99 {h['age_mean_s']}/{h['age_p50_s']}/{h['age_p99_s']} h | "
            f"high water max {g(s['storage_high_water_fraction_max'], 100)} % | balance {s['conservation_error_b']} B")


def cmd_run(args) -> None:
    from orbitcloud.scenario import load_scenario

    loaded = load_scenario("three-body-12")
    r, sun, t_s = geometry(loaded, args.steps)
    rate = contacts(r, STATIONS, 520e6)
    print(f"three-body-12: {r.shape[0]} satellites x {args.steps} steps of {STEP_S:.0f} s; "
          f"contact {100 * (rate > 0).mean():.1f} % of satellite-steps at 520 Mbps")
    for filt in ("none", "cloudscout", "three-body-semantic"):
        for relay in (False, True):
            model, el = simulate({"sensor": "three-body", "filter": filt, "relay": relay}, r, sun, t_s, rate, 744e12,
                                 loaded.scenario.seed, relay)
            print(f"  {filt:20s} {'relay ' if relay else 'direct'}  {fmt(model.summary())}  [{el:.2f} s]")

    big = load_scenario("star-compute-2800")
    r2, sun2, t2 = geometry(big, args.cost_steps)
    rate2 = contacts(r2[:, :, :], STATIONS, 520e6)
    doc = {"sensor": "three-body", "filter": "three-body-semantic"}
    model, el = simulate(doc, r2, sun2, t2, rate2, 744e12, 1, True)
    per_step = el / args.cost_steps
    print(f"star-compute-2800 ({r2.shape[0]} imaging satellites), {args.cost_steps} steps: {1e3 * per_step:.1f} ms per "
          f"step -> {per_step * 1440:.1f} s per simulated day at 60 s; "
          f"reduction {100 * model.summary()['downlink_reduction']:.1f} %")


def cmd_planet(args) -> None:
    from orbitcloud.scenario.load import parse_scenario

    text = f"""
name: planet-eo
epoch: 2023-04-20T00:00:00Z
duration: 1d
step: 60s
constellation:
  - kind: tle
    name: planet
    path: {PLANET_TLE}
"""
    loaded = parse_scenario(text, label="planet-eo", base_dir=ROOT)
    r, sun, t_s = geometry(loaded, args.steps)
    stations = STATIONS + [{"name": "Svalbard", "lat_deg": 78.23, "lon_deg": 15.39},
                           {"name": "Fairbanks", "lat_deg": 64.86, "lon_deg": -147.85}]
    rate = contacts(r, stations, 160e6)
    for filt in ("none", "cloudscout"):
        # cloudscout on an assumed 1 TOPS (int8) vision processor: about half the frames can be screened
        doc = {"sensor": "planet-dove", "filter": filt, "relay": False}
        model, el = simulate(doc, r, sun, t_s, rate, 1e12, 1, False)
        print(f"planet ({r.shape[0]} satellites) {filt:12s} {fmt(model.summary())}  [{el:.2f} s]")


def cmd_build_land_mask(args) -> None:
    """Rebuild catalog/land_mask.yaml from global-land-mask (GLOBE 1 km) by majority vote to 0.1 deg."""
    from global_land_mask import globe  # pip install global-land-mask (MIT); ~1 GB in memory

    factor = 12  # 12 x 1/120 deg = 0.1 deg
    full = ~globe._mask  # True = land; rows 90 -> -90 deg, columns -180 -> 180 deg
    rows, cols = full.shape[0] // factor, full.shape[1] // factor
    frac = full.reshape(rows, factor, cols, factor).mean(axis=(1, 3))
    land = frac >= 0.5
    lat = 90.0 - (np.arange(rows) + 0.5) * 180.0 / rows
    w = np.cos(np.radians(lat))
    area_frac = float((land.mean(axis=1) * w).sum() / w.sum())
    exact = float((frac.mean(axis=1) * w).sum() / w.sum())
    blob = base64.b64encode(zlib.compress(np.packbits(land).tobytes(), 9)).decode("ascii")
    out = Path(args.out)
    header = "# Land/sea mask (see docs/earth_observation.md)\n"
    if out.exists():
        header = out.read_text("utf-8").split("land_mask:")[0]
    body = [
        "land_mask:",
        '  source: "GLOBE 1 km DEM land/sea mask (NOAA NGDC, Hastings & Dunbar 1999) via global-land-mask 1.0.0 '
        '(Karin, MIT); majority vote to 0.1 deg by orbitcloud"',
        "  resolution_deg: 0.1",
        f"  rows: {rows}        # latitude bands, north to south: row i covers latitudes "
        "[90 - (i + 1) * 0.1, 90 - i * 0.1) deg",
        f"  cols: {cols}        # longitude, west to east: column j covers longitudes "
        "[-180 + j * 0.1, -180 + (j + 1) * 0.1) deg",
        f"  land_area_fraction: {area_frac:.6f}",
        '  encoding: "base64 of the zlib-compressed numpy.packbits (big-endian bit order) of the rows x cols boolean '
        'grid, row-major; 1 = land"',
        "  data: |-",
    ] + ["    " + blob[i:i + 100] for i in range(0, len(blob), 100)]
    out.write_text(header + "\n".join(body) + "\n", "utf-8")
    print(f"wrote {out}: land fraction {area_frac:.4f} (1 km mask {exact:.4f}), {len(blob):,} base64 characters")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", nargs="?", default="run", choices=("run", "planet", "build-land-mask"))
    ap.add_argument("--steps", type=int, default=1440)
    ap.add_argument("--cost-steps", type=int, default=120)
    ap.add_argument("--out", default=str(ROOT / "src" / "orbitcloud" / "catalog" / "land_mask.yaml"))
    args = ap.parse_args(argv)
    {"run": cmd_run, "planet": cmd_planet, "build-land-mask": cmd_build_land_mask}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
