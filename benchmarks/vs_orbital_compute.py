"""Issue 14: orbitcloud side by side with the peer ``orbital-compute`` 0.3.0 on the peer's shape.

Usage::

    python3 -m venv /work/peer-venv && /work/peer-venv/bin/pip install orbital-compute==0.3.0
    python benchmarks/vs_orbital_compute.py [--peer-python /work/peer-venv/bin/python] [--repeat 3]
        [--peer-repeat 3] [--variants matched full] [--cold] [--keep DIR] [--json OUT.json]

The peer is run in its own virtual environment (``--peer-python``; it is never installed next to
orbitcloud). Without that interpreter, or without ``orbital_compute`` in it, the peer is skipped with
a message and only orbitcloud is timed. This script measures and prints; nothing here asserts a time.

The shape (orbital-compute 0.3.0)
---------------------------------
The PyPI wheel ships no benchmark module: the repository's ``benchmark.py`` (greedy v1 against
look-ahead v2 scheduler, 8 satellites, 12 h, 60 jobs) is not in the wheel, and the wheel's
``orbital-compute benchmark`` sub-command only runs ``python benchmark.py`` from the working
directory. The shape of issue 14 is the peer's engine,
``orbital_compute.simulator.Simulation(SimulationConfig(n_satellites=100, sim_duration_hours=24,
time_step_seconds=60, n_jobs=500))``, ``setup()`` then ``run()`` (what ``orbital-compute sim --sats 100
--hours 24 --jobs 500`` and the repository's ``run_sim.py`` do). Per step and satellite it computes:

* orbit: ``Satrec.sgp4`` for one satellite at one time (scalar Python call), a low-precision Sun
  (about 1 deg), a *cylindrical* Earth shadow (no penumbra, spherical Earth of 6,371 km), and a
  latitude/longitude on a sphere;
* power: panel output 2,000 W when not in shadow, 0 in shadow (no pointing, cell temperature,
  degradation); battery bookkeeping (5,000 Wh, 0.90/0.95 efficiencies, 20 % floor, start at 80 %);
  150 W housekeeping;
* thermal: one node (50 kJ/K) with a 4 m^2 one-sided radiator (emissivity 0.9), constant Earth IR and
  a solar term switched by the shadow flag; throttling between 75 and 85 deg C;
* scheduling: the v1 greedy scheduler, one job per satellite at a time, picking from a priority queue
  the first job whose power fits, charging instead in shadow below 50 % charge.

In ``setup()`` it also finds ground-station contact windows for its 10 ``DEFAULT_GROUND_STATIONS``
(Svalbard, Fairbanks, Wallops, Canberra, Bangalore, Hartebeest, Santiago, Tromso, McMurdo, Singapore;
5 or 10 deg masks) by propagating again every satellite for every station every 60 s; that is 90 %
of its run time. The 500 jobs are drawn with ``random.seed(42)``: power uniform 200-800 W, duration
uniform 300-3,600 s of compute, priority 1-8, one third checkpointable; all are queued at t = 0.
The orbits (``orbit.starlink_shell_1_sample``): synthetic TLEs at epoch 2026-03-26 00:00 UTC,
inclination 53 deg, mean motion 15.05 rev/day (about 550 km), e = 0.0001, satellite i with RAAN
3.6 i deg and mean anomaly 25.2 i deg (mod 360), i.e. 100 planes of one satellite.

The orbitcloud scenario (written to a temporary directory, not package data)
----------------------------------------------------------------------------
* Orbits: a Walker delta 53 deg: 100/100/7 at mean motion 15.05 rev/day (the peer's layout exactly:
  RAAN 3.6 j deg, argument of latitude 7 x 360 / 100 j = 25.2 j deg), epoch 2026-03-26T00:00:00Z,
  24 h at 60 s (1,440 steps, as the peer's loop), SGP4 (vectorised ``SatrecArray``).
* Hardware: the peer's satellite in orbitcloud terms: a 5.8 m^2 sun-tracking XTJ array (about 2 kW at
  1 AU), a 5,000 Wh Li-ion battery (0.90/0.95, SOC window 0.2-1.0, start 0.8), 150 W bus load, a 4 m^2
  one-sided radiator, 50 kJ/K, limits -20..75 deg C, and one 500 W accelerator (``three-body-744``,
  500 W: the middle of the peer's 200-800 W job range).
* Ground: the peer's 10 stations at its coordinates, one 10 deg mask (orbitcloud has one mask per
  ground segment), 0.5 Gbit/s down, 0.1 Gbit/s up, contacts every step; ISLs to the 4 nearest visible
  satellites (100 Gbit/s).
* Jobs: orbitcloud has no abstract "(power, duration) box" job; its closest equivalent is a request
  stream of LLM inference: each request is a unit of work that is dispatched by a placement policy to
  one satellite, queued, admitted, run at the speed the power and thermal bus allow, and accounted
  (served, pending or unreachable), which is what the peer's jobs go through. Mapping: 500 requests
  (a replayed trace of exactly 500 rows, one every 172.8 s, so all are submitted within the day), the
  peer's job list drawn with its own generator (``random.seed(42)``, same call order), and each job's
  compute duration mapped linearly onto its output length (300-3,600 s -> 1,000-7,000 tokens, 1,024
  prompt tokens; llama-3-8b int8, which fits the 8,192-token context); every satellite hosts a
  replica (``min_replicas: 100``, as every peer satellite can take a job), idle replicas draw no
  compute power (``idle_demand: 0``, as in the peer), ``power-aware`` placement (the peer's greedy
  scheduler likewise starts no job on a satellite in shadow below 50 % charge). Requests come from the 7 station sites that a
  53 deg shell can see above 10 deg (Svalbard, Tromso and McMurdo never can), weight 1 each.
* Variants: ``matched`` is the above; ``full`` adds the radiation environment (AE8/AP8 dose behind
  10 mm Al, accelerator faults), which the peer's engine does not model.

What is timed
-------------
* peer: ``python -c <Simulation(config).setup(); .run()>`` in the peer's interpreter, wall time of the
  process (imports included), median of ``--peer-repeat``; the child also reports its setup/run split.
* orbitcloud, subprocess: ``python -c "from orbitcloud.cli import main; main(['run', YAML, '--json'])"``,
  wall time of the process (interpreter start and imports included), median of ``--repeat``.
* orbitcloud, in-process: ``orbitcloud.cli.main(['run', YAML, '--json'])`` in this process, stdout
  captured; the first call (imports, numba cache loads) is reported apart, the median is over the
  ``--repeat`` calls after it.
* floor: bare ``SatrecArray.sgp4`` for the same 100 satellites and 1,440 times.

The process runs are interleaved in rounds (peer, then each orbitcloud variant), so that load from
other processes on the machine falls on both tools alike; besides the ratio of the medians the table
gives the *paired* ratio, the median over rounds of peer / orbitcloud within the same round.

Before timing, one untimed orbitcloud run fills the numba cache and the radiation-grid cache
(``$ORBITCLOUD_CACHE``, default ``~/.cache/orbitcloud``), so the figures are steady state. ``--cold``
gives every orbitcloud subprocess run an empty ``NUMBA_CACHE_DIR`` and ``ORBITCLOUD_CACHE`` instead
(the first run after installing).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The peer's benchmark shape (issue 14).
N_SAT = 100
HOURS = 24.0
STEP_S = 60.0
N_JOBS = 500
EPOCH = "2026-03-26T00:00:00Z"  # the peer's SimulationConfig.start_time and TLE epoch (26085.0)

#: The peer's DEFAULT_GROUND_STATIONS: (name, lat_deg, lon_deg, min_elevation_deg).
PEER_STATIONS = [
    ("Svalbard", 78.23, 15.39, 5.0),
    ("Fairbanks", 64.86, -147.72, 10.0),
    ("Wallops", 37.94, -75.46, 10.0),
    ("Canberra", -35.40, 148.98, 10.0),
    ("Bangalore", 13.03, 77.57, 10.0),
    ("Hartebeest", -25.89, 27.69, 10.0),
    ("Santiago", -33.15, -70.67, 10.0),
    ("Tromso", 69.66, 18.94, 5.0),
    ("McMurdo", -77.85, 166.67, 5.0),
    ("Singapore", 1.35, 103.82, 10.0),
]
#: Stations a 53 deg shell at ~550 km never sees above 10 deg elevation (no request source there).
NEVER_IN_VIEW = {"Svalbard", "Tromso", "McMurdo"}

PEER_PHYSICS = ("scalar SGP4 per sat and step, cylindrical shadow, ~1 deg Sun; on/off 2 kW panel, battery "
                "bookkeeping; 1-node radiator; greedy job queue; contacts: 10 stations re-propagated")
OC_PHYSICS = {
    "jobs": ("SatrecArray SGP4, conical shadow + penumbra, beta angle; sun-tracking array with cell temperature, "
             "battery SOC window, lumped thermal node with Earth IR and albedo, throttling; 10 stations: contact windows "
             "and downlink; the peer's 500 jobs as a batch backlog run wherever power and heat allow"),
    "matched": ("SatrecArray SGP4, conical shadow + penumbra, beta angle; sun-tracking array with cell temperature, "
                "battery SOC window, lumped thermal node with Earth IR and albedo, throttling; 10 stations + "
                "nearest-4 ISLs + routing every step; LLM serving (continuous batching), power-aware placement"),
    "full": "matched + AE8/AP8 trapped-particle dose behind 10 mm Al, GCR, accelerator faults (UECC, SDC, SEFI, TID, permanent)",
}

PEER_CHILD = r"""
import contextlib, io, json, sys, time
t0 = time.perf_counter()
import orbital_compute
from orbital_compute.simulator import Simulation, SimulationConfig
from orbital_compute.ground_stations import DEFAULT_GROUND_STATIONS
t1 = time.perf_counter()
n_sat, hours, step_s, n_jobs = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
cfg = SimulationConfig(n_satellites=n_sat, sim_duration_hours=hours, time_step_seconds=step_s, n_jobs=n_jobs)
with contextlib.redirect_stdout(io.StringIO()):
    sim = Simulation(cfg)
    sim.setup()
    t2 = time.perf_counter()
    res = sim.run()
    t3 = time.perf_counter()
nodes = sim.nodes
print(json.dumps({
    "version": getattr(orbital_compute, "__version__", "?"),
    "import_s": t1 - t0, "setup_s": t2 - t1, "run_s": t3 - t2,
    "stations": len(DEFAULT_GROUND_STATIONS),
    "jobs_completed": res["scheduler"]["completed"], "jobs_total": res["scheduler"]["total_jobs"],
    "fleet_utilization_pct": res["fleet_utilization_pct"],
    "contact_windows": sum(len(n.contact_windows) for n in nodes),
    "eclipse_fraction": sum(n.eclipse_steps for n in nodes) / max(1, sum(n.total_steps for n in nodes)),
}))
"""

OC_CHILD = "import sys; from orbitcloud.cli import main; sys.exit(main(sys.argv[1:]))"


# --------------------------------------------------------------------------------------------------
# the scenario
# --------------------------------------------------------------------------------------------------


def peer_jobs(n_jobs: int = N_JOBS) -> list[tuple[float, float, int, int]]:
    """The peer's job list, drawn as ``Simulation.setup`` draws it: (power_w, duration_s, type, priority)."""
    rng = random.Random(42)
    jobs = []
    for _ in range(n_jobs):
        power = rng.uniform(200.0, 800.0)
        duration = rng.uniform(300.0, 3600.0)
        kind = rng.choice([0, 0, 1])  # BATCH, BATCH, CHECKPOINT
        priority = rng.randint(1, 8)
        jobs.append((power, duration, kind, priority))
    return jobs


def write_trace(path: Path, duration_s: float, n_jobs: int = N_JOBS) -> None:
    """A replay trace of exactly ``n_jobs`` requests evenly over ``duration_s`` (Azure trace columns)."""
    gap_s = duration_s / n_jobs  # replay tiles with period n * gap: exactly n requests in [0, duration)
    lines = ["TIMESTAMP,ContextTokens,GeneratedTokens"]
    for i, (_, duration, _, _) in enumerate(peer_jobs(n_jobs)):
        out_tokens = round(1000 + 6000 * (duration - 300.0) / 3300.0)
        lines.append(f"{i * gap_s:.3f},1024,{out_tokens}")
    path.write_text("\n".join(lines) + "\n")


def scenario_yaml(variant: str, trace_name: str) -> str:
    stations = "\n".join(f"    - {{name: {n}, lat_deg: {lat}, lon_deg: {lon}}}" for n, lat, lon, _ in PEER_STATIONS)
    sources = "\n".join(
        f"      - {{name: {n}, lat_deg: {lat}, lon_deg: {lon}}}" for n, lat, lon, _ in PEER_STATIONS if n not in NEVER_IN_VIEW
    )
    radiation = "radiation: {shielding_mm_al: 10, solar: min}\n" if variant == "full" else ""
    if variant == "jobs":
        # the peer's 500 jobs as orbitcloud batch items (all queued at the start, as the peer queues
        # them): the mean job energy (power x duration) on the accelerator's OP per joule
        jobs = peer_jobs()
        energy_j = sum(p * d for p, d, _, _ in jobs) / len(jobs)
        ops_per_item = energy_j * 744e12 / 500.0
        workloads = f"""workloads:
  batch: {{input: local, items: {len(jobs)}, ops_per_item: {ops_per_item:.6g}, precision: int8}}
"""
        isl = "none"
    else:
        workloads = f"""workloads:
  inference:
    model: llama-3-8b
    precision: int8
    max_batch: 64
    arrivals: {{trace: {trace_name}}}
    sources:
{sources}
policies:
  placement: power-aware
  min_replicas: {N_SAT}
  idle_demand: 0.0
"""
        isl = "nearest, k: 4, capacity_gbps: 100"
    return f"""\
# Written by benchmarks/vs_orbital_compute.py: the orbital-compute 0.3.0 benchmark shape (see its docstring).
name: vs-orbital-compute-{variant}
epoch: {EPOCH}
duration: {HOURS * 3600:g}
step: {STEP_S:g}
seed: 42
{radiation}constellation:
  - kind: walker
    name: oc-shell
    mean_motion_rev_per_day: 15.05
    inclination_deg: 53
    planes: {N_SAT}
    sats_per_plane: 1
    phasing: 7
    hardware:
      label: the orbital-compute 0.3.0 default satellite, in orbitcloud terms
      compute: {{accelerator: three-body-744, count: 1, precision: int8, utilisation: 1.0}}
      bus_power_w: 150
      solar_array: {{area_m2: 5.8, cell: xtj, packing_factor: 0.85, pointing: sun_tracking}}
      battery: {{capacity_wh: 5000, technology: li-ion-space, charge_efficiency: 0.90, discharge_efficiency: 0.95, soc_min: 0.2, soc_max: 1.0, soc_initial: 0.8}}
      radiator: {{area_m2: 4.0, sides: 1, t_max_c: 75, t_min_c: -20}}
      capacitance_j_per_k: 50000
      initial_temp_c: 25
network:
  isl: {{topology: {isl}}}
ground:
  stations:
{stations}
  min_elevation_deg: 10
  downlink_gbps: 0.5
  uplink_gbps: 0.1
{workloads}"""


def write_scenarios(root: Path, variants: list[str]) -> dict[str, Path]:
    write_trace(root / "jobs.csv", HOURS * 3600.0)
    paths = {}
    for v in variants:
        p = root / f"vs-orbital-compute-{v}.yaml"
        p.write_text(scenario_yaml(v, "jobs.csv"))
        paths[v] = p
    return paths


# --------------------------------------------------------------------------------------------------
# runners
# --------------------------------------------------------------------------------------------------


def peer_available(python: str) -> str | None:
    """None when ``python`` can import orbital_compute, else why not (a message for the skip line)."""
    if not Path(python).exists():
        return (f"no interpreter at {python} (install it: python3 -m venv /work/peer-venv && "
                "/work/peer-venv/bin/pip install orbital-compute==0.3.0, or pass --peer-python)")
    p = subprocess.run([python, "-c", "import orbital_compute.simulator"], check=False, capture_output=True, text=True)
    if p.returncode != 0:
        tail = (p.stderr.strip().splitlines() or ["?"])[-1]
        return f"{python} cannot import orbital_compute ({tail})"
    return None


def peer_once(python: str) -> tuple[float, dict]:
    """One peer run in a fresh process: (wall time [s], what the child reports)."""
    t0 = time.perf_counter()
    p = subprocess.run([python, "-c", PEER_CHILD, str(N_SAT), str(HOURS), str(STEP_S), str(N_JOBS)],
                       check=False, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"peer run failed (exit {p.returncode}):\n{p.stderr[-3000:]}")
    return wall, json.loads(p.stdout.strip().splitlines()[-1])


def oc_once(python: str, path: Path, cold: bool) -> tuple[float, dict]:
    """One ``orbitcloud run PATH --json`` in a fresh process: (wall time [s], the summary)."""
    env = dict(os.environ)
    tmp = []
    if cold:
        for var in ("NUMBA_CACHE_DIR", "ORBITCLOUD_CACHE"):
            d = tempfile.mkdtemp(prefix=f"oc-cold-{var.lower()}-")
            tmp.append(d)
            env[var] = d
    try:
        t0 = time.perf_counter()
        p = subprocess.run([python, "-c", OC_CHILD, "run", str(path), "--json"], check=False, capture_output=True,
                           text=True, env=env, cwd=path.parent)
        wall = time.perf_counter() - t0
    finally:
        for d in tmp:
            shutil.rmtree(d, ignore_errors=True)
    if p.returncode != 0:
        raise SystemExit(f"orbitcloud run {path.name} failed (exit {p.returncode}):\n{p.stderr[-3000:]}")
    return wall, json.loads(p.stdout)


def _cli_in_process(path: Path) -> tuple[float, dict]:
    from orbitcloud.cli import main

    buf = io.StringIO()
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(buf):
            rc = main(["run", str(path), "--json"])
        wall = time.perf_counter() - t0
    finally:
        os.chdir(cwd)
    if rc not in (0, None):
        raise SystemExit(f"orbitcloud.cli.main(['run', {str(path)!r}, '--json']) returned {rc}")
    return wall, json.loads(buf.getvalue().strip().splitlines()[-1])


def run_oc_in_process(path: Path, reps: int) -> dict:
    first, summary = _cli_in_process(path)
    print(f"  orbitcloud {path.stem} in-process first call: {first:.2f} s", flush=True)
    walls = []
    for i in range(reps):
        wall, summary = _cli_in_process(path)
        walls.append(wall)
        print(f"  orbitcloud {path.stem} in-process rep {i + 1}/{reps}: {wall:.2f} s", flush=True)
    return {"first": first, "walls": walls, "summary": summary}


def sgp4_floor(reps: int) -> list[float]:
    """Bare SatrecArray.sgp4 on the peer's 100 satellites and 1,440 times (the propagation floor)."""
    import numpy as np
    from sgp4.api import WGS72, Satrec, SatrecArray

    sats = []
    for i in range(N_SAT):
        sat = Satrec()
        # the peer's elements; epoch 26085.0 = 2026-03-26 00:00 UT, 27,844 days after 1949-12-31 00:00 UT
        sat.sgp4init(WGS72, "i", 50000 + i, 27844.0, 0.0, 0.0, 0.0, 1e-4, 0.0, np.radians(53.0),
                     np.radians((3.6 * i * 7) % 360.0), 15.05 * 2 * np.pi / 1440.0, np.radians(3.6 * i))
        sats.append(sat)
    arr = SatrecArray(sats)
    n = int(HOURS * 3600 / STEP_S)
    jd = np.full(n, 2461125.5)  # 2026-03-26 00:00 UTC
    fr = np.arange(n) * STEP_S / 86400.0
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        arr.sgp4(jd, fr)
        out.append(time.perf_counter() - t0)
    return out


# --------------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------------


def _med(xs: list[float]) -> float:
    return statistics.median(xs)


def _span(xs: list[float]) -> str:
    return f"{min(xs):.3f}-{max(xs):.3f}" if len(xs) > 1 else "-"


def print_table(rows: list[dict], peer_median: float | None) -> None:
    print()
    print(f"shape: {N_SAT} satellites, {HOURS:g} h at {STEP_S:g} s ({int(HOURS * 3600 / STEP_S)} steps), "
          f"{len(PEER_STATIONS)} ground stations, {N_JOBS} jobs; {os.cpu_count()} CPUs, load {_load()}")
    head = (f"{'tool':<36} {'wall [s], median':>16} {'range':>13} {'n':>3} {'peer / this':>12} "
            f"{'paired':>7}  physics")
    print(head)
    print("-" * (len(head) + 20))
    for r in rows:
        ratio = f"{peer_median / r['median']:.1f}x" if peer_median and r["median"] > 0 else "-"
        paired = f"{r['paired']:.1f}x" if r.get("paired") else "-"
        print(f"{r['tool']:<36} {r['median']:>16.3f} {r['range']:>13} {r['n']:>3} {ratio:>12} {paired:>7}  {r['physics_key']}")
    print("peer / this: ratio of medians; paired: median over rounds of peer / this in the same round (process form).")
    print()
    print("physics:")
    seen = set()
    for r in rows:
        if r["physics_key"] not in seen:
            seen.add(r["physics_key"])
            print(f"  {r['physics_key']}: {r['physics']}")
    print()


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not available
        return "?"


def print_results(peer: dict | None, oc: dict) -> None:
    print("results (sanity, not a comparison of models):")
    if peer:
        i = peer["info"]
        print(f"  peer {i['version']}: {i['jobs_completed']}/{i['jobs_total']} jobs completed, utilisation "
              f"{i['fleet_utilization_pct']} %, {i['contact_windows']} contact windows, eclipse fraction "
              f"{i['eclipse_fraction']:.3f}; setup (contacts) {_med(peer['setup_s']):.2f} s, loop {_med(peer['run_s']):.2f} s")
    for v, res in oc.items():
        s = res["summary"]
        inf = ((s.get("workloads") or {}).get("inference")) or {}
        net = s.get("network") or {}
        bus = s.get("bus") or {}
        batch = ((s.get("workloads") or {}).get("batch")) or {}
        if batch:
            print(f"  orbitcloud {v}: {batch.get('items_done')} of 500 jobs done; {net.get('contacts')} contacts; sunlit "
                  f"fraction {s.get('sunlit_fraction')}; min SOC {bus.get('soc_min')}; simulation loop {s.get('wall_time_s')} s")
            continue
        print(f"  orbitcloud {v}: {inf.get('requests')} requests, {inf.get('served')} served, {inf.get('pending')} pending, "
              f"{inf.get('unreachable')} unreachable; {net.get('contacts')} contacts; sunlit fraction "
              f"{s.get('sunlit_fraction')}; min SOC {bus.get('soc_min')}; simulation loop {s.get('wall_time_s')} s")


def main() -> None:
    ap = argparse.ArgumentParser(description="orbitcloud vs orbital-compute 0.3.0 on the peer's benchmark shape (issue 14).")
    ap.add_argument("--peer-python", default=os.environ.get("ORBITAL_COMPUTE_PYTHON", "/work/peer-venv/bin/python"),
                    help="Python of the venv with orbital-compute==0.3.0 (default /work/peer-venv/bin/python).")
    ap.add_argument("--skip-peer", action="store_true", help="Do not run the peer.")
    ap.add_argument("--repeat", type=int, default=3, help="Timed orbitcloud repetitions per mode (median reported).")
    ap.add_argument("--peer-repeat", type=int, default=None, help="Timed peer repetitions (default: --repeat).")
    ap.add_argument("--variants", nargs="+", default=["jobs", "matched", "full"], choices=["jobs", "matched", "full"],
                    help="orbitcloud scenario variants: jobs (bus, ground, the peer's 500 jobs as batch items, no ISLs: the "
                         "peer's model), matched (+ nearest-4 ISLs and routing, the jobs as LLM requests), full (+ radiation).")
    ap.add_argument("--no-subprocess", action="store_true", help="Skip the orbitcloud subprocess form.")
    ap.add_argument("--no-in-process", action="store_true", help="Skip the orbitcloud in-process form.")
    ap.add_argument("--cold", action="store_true",
                    help="Each orbitcloud subprocess run gets an empty NUMBA_CACHE_DIR and ORBITCLOUD_CACHE.")
    ap.add_argument("--orbitcloud-python", default=sys.executable, help="Python for the orbitcloud subprocess form.")
    ap.add_argument("--keep", type=Path, default=None, help="Write the scenarios here (kept) instead of a temp dir.")
    ap.add_argument("--json", type=Path, default=None, help="Also write all timings to this JSON file.")
    args = ap.parse_args()
    reps = max(1, args.repeat)
    peer_reps = max(1, args.peer_repeat if args.peer_repeat is not None else reps)

    tmp = None
    if args.keep is not None:
        root = args.keep
        root.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="vs-orbital-compute-")
        root = Path(tmp.name)
    try:
        paths = write_scenarios(root, args.variants)
        print(f"scenarios in {root}: {', '.join(p.name for p in paths.values())}")
        rows: list[dict] = []
        record: dict = {"shape": {"satellites": N_SAT, "hours": HOURS, "step_s": STEP_S, "jobs": N_JOBS,
                                  "stations": len(PEER_STATIONS)}, "machine_cpus": os.cpu_count(),
                        "load_avg_start": _load()}

        peer_why = "--skip-peer" if args.skip_peer else peer_available(args.peer_python)
        if peer_why is None:
            print(f"peer: orbital-compute via {args.peer_python}, {peer_reps} repetition(s)", flush=True)
        else:
            print(f"peer: skipped: {peer_why}")
        oc: dict[str, dict] = {}
        sub = {v: {"walls": [], "summary": None} for v in paths} if not args.no_subprocess else {}
        if sub and not args.cold:
            # untimed: fill the numba and radiation-grid caches so the timed runs are steady state
            for v, p in paths.items():
                print(f"  orbitcloud {v}: untimed warm-up run (numba and radiation-grid caches)", flush=True)
                oc_once(args.orbitcloud_python, p, cold=False)
        peer = {"walls": [], "setup_s": [], "run_s": [], "info": None} if peer_why is None else None
        rounds = max(reps if sub else 0, peer_reps if peer is not None else 0)
        # interleaved rounds (peer, then each variant), so that load from other processes hits both alike
        for i in range(rounds):
            if peer is not None and i < peer_reps:
                wall, info = peer_once(args.peer_python)
                peer["walls"].append(wall)
                peer["setup_s"].append(info["setup_s"])
                peer["run_s"].append(info["run_s"])
                peer["info"] = info
                print(f"  round {i + 1}: peer {wall:.2f} s (setup {info['setup_s']:.2f} s, run {info['run_s']:.2f} s)", flush=True)
            if i < reps:
                for v, p in paths.items():
                    if v in sub:
                        wall, summary = oc_once(args.orbitcloud_python, p, args.cold)
                        sub[v]["walls"].append(wall)
                        sub[v]["summary"] = summary
                        print(f"  round {i + 1}: orbitcloud {v} {wall:.2f} s (simulation loop {summary.get('wall_time_s')} s)",
                              flush=True)
        if peer is not None:
            rows.append({"tool": f"orbital-compute {peer['info']['version']} (process)", "median": _med(peer["walls"]),
                         "range": _span(peer["walls"]), "n": len(peer["walls"]), "physics": PEER_PHYSICS,
                         "physics_key": "peer", "paired": None})
            record["peer"] = peer
        for v, res in sub.items():
            oc[v] = res
            pairs = [pw / ow for pw, ow in zip(peer["walls"], res["walls"])] if peer is not None else []
            rows.append({"tool": f"orbitcloud {v} (process{', cold' if args.cold else ''})", "median": _med(res["walls"]),
                         "range": _span(res["walls"]), "n": len(res["walls"]), "physics": OC_PHYSICS[v], "physics_key": v,
                         "paired": _med(pairs) if pairs else None})
            record[f"orbitcloud_{v}_subprocess"] = {"walls": res["walls"], "loop_s": res["summary"].get("wall_time_s"),
                                                    "paired_ratios": pairs, "cold": args.cold}
        for v, p in paths.items():
            if not args.no_in_process:
                res = run_oc_in_process(p, reps)
                oc.setdefault(v, res)
                rows.append({"tool": f"orbitcloud {v} (in-process)", "median": _med(res["walls"]),
                             "range": _span(res["walls"]), "n": reps, "physics": OC_PHYSICS[v], "physics_key": v,
                             "paired": None})
                record[f"orbitcloud_{v}_in_process"] = {"first": res["first"], "walls": res["walls"]}
        floor = sgp4_floor(max(3, reps))
        rows.append({"tool": "floor: bare SatrecArray.sgp4", "median": _med(floor), "range": _span(floor), "n": len(floor),
                     "physics": f"positions only, {N_SAT} x {int(HOURS * 3600 / STEP_S)} (sgp4 only, in this process)",
                     "physics_key": "floor", "paired": None})
        record["sgp4_floor"] = floor

        print_table(rows, _med(peer["walls"]) if peer else None)
        record["load_avg_end"] = _load()
        if oc:
            print_results(peer, oc)
        if args.json is not None:
            args.json.write_text(json.dumps(record, indent=2) + "\n")
            print(f"timings written to {args.json}")
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
