"""``orbitcloud conjunctions``: screen the fleet against a catalogue (or itself), write Parquet and CDMs.

Imported by ``orbitcloud.cli`` only when the command is registered; heavy modules load inside the
functions.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
import time
from pathlib import Path

import typer

from orbitcloud.errors import OrbitcloudError

#: Columns of conjunctions.parquet (the first five are the contract of the command).
COLUMNS = ("object_a", "object_b", "tca_utc", "miss_km", "pc", "satnum_a", "satnum_b", "tca_s",
           "relative_speed_km_s", "cdm")
#: CDM files are written for at most this many conjunctions, highest Pc first (then smallest miss);
#: the Parquet file lists every conjunction.
MAX_CDMS = 1_000


def _duration(value: str, flag: str) -> float:
    from orbitcloud.scenario import parse_duration_s

    try:
        out = parse_duration_s(value)
    except ValueError as exc:
        raise OrbitcloudError(f"{flag}: {exc}") from None
    if not out > 0:
        raise OrbitcloudError(f"{flag}: must be positive, got {value!r}")
    return out


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:60]


def write_parquet(path: Path, columns: dict) -> None:
    """Write a table atomically (:mod:`orbitcloud.atomic`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from orbitcloud.atomic import atomic_write

    table = pa.table(columns)
    atomic_write(Path(path), lambda tmp: pq.write_table(table, tmp))


def run_conjunctions(
    scenario: str, catalog: str | None = None, start: str | None = None, duration: str = "6h",
    threshold_km: float = 5.0, out: Path | None = None, hbr_m: float | None = None, oem: bool = False,
    sub_step_s: float = 20.0, node_step_s: float = 120.0, log=None,
) -> dict:
    """Screen and write; returns a summary. ``log`` receives progress lines (skipped catalogue entries)."""
    import numpy as np

    from orbitcloud.fleet import build_fleet
    from orbitcloud.safety import ccsds
    from orbitcloud.safety.collision import DEFAULT_HBR_M, DEFAULT_SIGMA_RTN_KM
    from orbitcloud.safety.conjunctions import check_window
    from orbitcloud.safety.screening import screen_fleet
    from orbitcloud.scenario import load_scenario
    from orbitcloud.scenario.schema import parse_epoch
    from orbitcloud.timescale import gmst82_rad, jd_split

    log = log or (lambda line: None)
    hbr_m = DEFAULT_HBR_M if hbr_m is None else hbr_m
    duration_s = _duration(duration, "--duration")
    check_window(duration_s, threshold_km)
    if not (isinstance(hbr_m, (int, float)) and math.isfinite(hbr_m) and 0 < hbr_m <= 1000):
        raise OrbitcloudError(f"--hbr-m: expected a hard-body radius in (0, 1000] m, got {hbr_m!r}")
    if out is None:
        raise OrbitcloudError("--out: give a directory for conjunctions.parquet and the CDMs")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OrbitcloudError(f"--out {out}: exists and is not a directory")
    t_wall = time.perf_counter()
    loaded = load_scenario(scenario)
    t0 = loaded.scenario.epoch
    if start is not None:
        try:
            t0 = parse_epoch(start)
        except ValueError as exc:
            raise OrbitcloudError(f"--start: {exc}") from None
    if t0.tzinfo is not None:
        t0 = t0.astimezone(dt.UTC).replace(tzinfo=None)
    fleet = build_fleet(loaded)
    skipped = 0
    sets = None
    if catalog is not None:
        from orbitcloud.safety.catalog_tle import read_catalog, skip_report

        cat = read_catalog(catalog)
        for line in skip_report(cat):
            log(line)
        skipped = cat.n_skipped
        sets = cat.sets
    t0_ns = np.datetime64(t0, "ns")
    jd0, fr0 = (float(x) for x in jd_split(t0_ns))
    sc = screen_fleet(fleet, sets, t0, duration_s, threshold_km, hbr_m, node_step_s=node_step_s, sub_step_s=sub_step_s)
    a, bset, res = sc.a, sc.bset, sc
    ia, ib, tca_s, miss, pc = sc.ia, sc.ib, sc.tca_s, sc.miss_km, sc.pc
    r_a, v_a, r_b, v_b = sc.r_a_km, sc.v_a_km_s, sc.r_b_km, sc.v_b_km_s
    tca_ns = t0_ns + np.round(tca_s * 1e9).astype("timedelta64[ns]")
    out.mkdir(parents=True, exist_ok=True)
    cdm_dir = out / "cdm"
    creation = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stop = t0 + dt.timedelta(seconds=duration_s)
    cdm_names = [""] * len(ia)
    sig = np.asarray(DEFAULT_SIGMA_RTN_KM) * 1000.0
    cov = np.diag(sig**2)
    n_cdm = min(len(ia), MAX_CDMS)
    worst = np.lexsort((miss, -pc))[:n_cdm]
    if n_cdm:
        cdm_dir.mkdir(exist_ok=True)
        jd_t, fr_t = jd_split(tca_ns)
        gmst = gmst82_rad(jd_t, fr_t)
    for n_written, e in enumerate(worst):  # one message per conjunction
        na, nb = a.names[int(ia[e])], bset.names[int(ib[e])]
        tca_dt = t0 + dt.timedelta(seconds=float(tca_s[e]))
        mid = f"{tca_dt.strftime('%Y%m%dT%H%M%S')}-{a.satnum[ia[e]]}-{bset.satnum[ib[e]]}-{e:05d}"
        name = f"{mid}.cdm"
        ccsds.write_cdm(
            cdm_dir / name, validate=n_written == 0, message_id=mid, creation=creation, tca=tca_dt, start=t0, stop=stop,
            objects=[dict(designator=str(a.satnum[ia[e]]), name=na, maneuverable="YES"),
                     dict(designator=str(bset.satnum[ib[e]]), name=nb, maneuverable="YES" if catalog is None else "N/A")],
            r_a_km=r_a[e], v_a_km_s=v_a[e], r_b_km=r_b[e], v_b_km_s=v_b[e], gmst_rad=float(gmst[e]), pc=float(pc[e]),
            cov_rtn_a_m2=cov, cov_rtn_b_m2=cov, threshold_km=threshold_km,
        )
        cdm_names[e] = f"cdm/{name}"
    if oem and len(ia):
        _write_oems(out / "oem", a, np.unique(ia), jd0, fr0, t0, duration_s, creation)
    write_parquet(out / "conjunctions.parquet", sc.columns(t0, cdm_names))
    summary = {
        "scenario": loaded.label if hasattr(loaded, "label") else str(scenario),
        "catalog": None if catalog is None else str(catalog),
        "catalog_skipped": skipped,
        "start_utc": t0.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": duration_s,
        "threshold_km": threshold_km,
        "hbr_m": hbr_m,
        "conjunctions": len(ia),
        "cdms_written": n_cdm,
        "pc_max": float(pc.max()) if len(pc) else 0.0,
        "miss_km_min": float(miss.min()) if len(miss) else None,
        "screening": {k: (float(v) if isinstance(v, float) else int(v)) for k, v in res.stats.items()},
        "wall_time_s": time.perf_counter() - t_wall,
    }
    return summary


def _write_oems(directory: Path, objs, idx, jd0: float, fr0: float, t0: dt.datetime, duration_s: float,
                creation: dt.datetime, step_s: float = 60.0) -> None:
    """One OEM (TEME, every ``step_s``) per fleet object in a conjunction."""
    import numpy as np
    from sgp4.api import SatrecArray

    from orbitcloud.safety import ccsds
    from orbitcloud.timescale import jd_split_offset

    t = np.arange(0.0, duration_s + 1e-9, step_s)
    if t[-1] < duration_s:
        t = np.append(t, duration_s)
    jd, fr = jd_split_offset(jd0, fr0, t)
    err, r, v = SatrecArray([objs.satrecs[int(i)] for i in idx]).sgp4(jd, fr)
    epochs = [t0 + dt.timedelta(seconds=float(x)) for x in t]
    for n, i in enumerate(idx):  # one file per object in a conjunction
        ok = err[n] == 0
        if ok.sum() < 2:
            continue
        ccsds.write_oem(directory / f"{_safe(objs.names[int(i)])}.oem", validate=n == 0, object_name=objs.names[int(i)],
                        object_id=str(objs.satnum[int(i)]), creation=creation,
                        epochs=[e for e, k in zip(epochs, ok) if k], r_km=r[n][ok], v_km_s=v[n][ok])


def conjunctions(
    scenario: str = typer.Argument(..., metavar="SCENARIO", help="Built-in scenario name or a YAML file: the fleet."),
    catalog: str | None = typer.Option(None, "--catalog", metavar="TLE", help="Catalogue TLE file to screen against (default: the fleet against itself). Broken entries are reported and skipped."),
    start: str | None = typer.Option(None, "--start", metavar="TIME", help="Window start, ISO 8601 UTC. Default: the scenario's epoch."),
    duration: str = typer.Option("6h", "--duration", metavar="DURATION", help="Window length: 90min, 6h, 1d or seconds."),
    threshold_km: float = typer.Option(5.0, "--threshold-km", metavar="KM", help="Report approaches closer than this, in km."),
    out: Path = typer.Option(..., "--out", metavar="DIR", help="Write conjunctions.parquet, cdm/*.cdm (and oem/*.oem) here."),
    hbr_m: float | None = typer.Option(None, "--hbr-m", metavar="M", help="Combined hard-body radius for Pc, in m. Default: 20."),
    oem: bool = typer.Option(False, "--oem", help="Also write a CCSDS OEM (TEME, 60 s) for each fleet object in a conjunction."),
    sub_step: float = typer.Option(20.0, "--sub-step-s", metavar="S", help="Coarse-pass sub-step in seconds (tuning)."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as one JSON object on stdout."),
) -> None:
    """Conjunction screening: close approaches, miss distance, probability of collision, CCSDS CDMs."""
    if not (math.isfinite(sub_step) and 0.5 <= sub_step <= 60):
        raise OrbitcloudError(f"--sub-step-s: expected 0.5 to 60 s, got {sub_step!r}")
    summary = run_conjunctions(scenario, catalog, start, duration, threshold_km, out, hbr_m, oem, sub_step_s=sub_step,
                               log=lambda line: print(line, file=sys.stderr))
    if json_out:
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    typer.echo(
        f"{summary['conjunctions']:,} conjunctions under {threshold_km:g} km in {summary['duration_s']:g} s from "
        f"{summary['start_utc']} (max Pc {summary['pc_max']:.3g}); {summary['cdms_written']:,} CDMs; "
        f"written to {out}/conjunctions.parquet in {summary['wall_time_s']:.1f} s"
    )
