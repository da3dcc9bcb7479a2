"""A results directory opened for reading: summary, scenario and the fleet rebuilt exactly.

A results directory (``docs/results.md``) stores the scenario text as read (``scenario.yaml``) and
the run's start, step count, step and propagator (``summary.json``). :class:`RunDir` re-parses that
text with :func:`orbitcloud.scenario.parse_scenario` (relative paths such as TLE files or station
CSVs resolved against the original scenario file's folder when ``summary.source`` names one, else
against the run directory), rebuilds the fleet with :func:`orbitcloud.fleet.build_fleet` and
propagates any subset of satellites with the run's own propagator (SGP4 via
:func:`orbitcloud.ephemeris.propagate.sgp4_teme_km`, or the fast analytic mode via
:func:`~orbitcloud.ephemeris.propagate.fast_ecef_m`). Positions are therefore the run's positions,
not an approximation from the stored elements.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path
from typing import Any

import numpy as np

from orbitcloud.errors import OrbitcloudError

SUMMARY = "summary.json"


def _iso_to_ns(text: str) -> int:
    t = text[:-1] if text.endswith("Z") else text
    return int(np.datetime64(t, "ns").astype(np.int64))


def iso_utc(t_ns: int | np.integer) -> str:
    """ISO 8601 UTC text with seconds (``2026-03-20T00:10:00Z``) of nanoseconds since 1970."""
    return str(np.datetime64(int(t_ns), "ns").astype("datetime64[s]")) + "Z"


@dataclasses.dataclass
class RunDir:
    """A complete results directory (``summary.json`` present), opened for reading.

    Attributes
    ----------
    path : Path
    summary : dict
        ``summary.json``.
    start_ns : int
        Run start [ns since 1970, UTC].
    step_s : float
        Simulation step [s].
    n_steps : int
        Samples ``t = 0, step, ..., (n_steps - 1) step``.
    """

    path: Path
    summary: dict[str, Any]
    start_ns: int
    step_s: float
    n_steps: int

    @property
    def t_last_s(self) -> float:
        """Last sample time after the start [s]."""
        return (self.n_steps - 1) * self.step_s

    @property
    def n_sat(self) -> int:
        return int(self.summary["satellites"])

    @property
    def propagator(self) -> str:
        return str(self.summary.get("propagator", "sgp4"))

    def file(self, name: str) -> Path | None:
        """``path / name`` when it exists, else None."""
        p = self.path / name
        return p if p.is_file() else None

    @functools.cached_property
    def loaded(self):
        """The scenario re-parsed from ``scenario.yaml`` (a :class:`~orbitcloud.scenario.LoadedScenario`)."""
        from orbitcloud.scenario import parse_scenario

        p = self.path / "scenario.yaml"
        if not p.is_file():
            raise OrbitcloudError(f"{self.path}: no scenario.yaml; the report needs it to rebuild the fleet")
        source = str(self.summary.get("source", ""))
        base = self.path.resolve()
        if source and not source.startswith("builtin:"):
            original = Path(source).expanduser()
            if original.parent.is_dir():
                base = original.resolve().parent
        return parse_scenario(p.read_text("utf-8"), label=str(p), base_dir=base)

    @functools.cached_property
    def fleet(self):
        """The run's fleet (:class:`~orbitcloud.fleet.Fleet`), rebuilt from the scenario."""
        from orbitcloud.fleet import build_fleet

        fleet = build_fleet(self.loaded)
        if len(fleet) != self.n_sat:
            raise OrbitcloudError(
                f"{self.path}/scenario.yaml: rebuilds {len(fleet):,} satellites but summary.json has "
                f"{self.n_sat:,} (a TLE file changed since the run?)"
            )
        if self.loaded.scenario.orbit_life is not None and self.summary.get("orbit_life"):
            # the run's drag: the same B* its designed satellites flew (sim.orbit_life.plan)
            from orbitcloud.scenario.schema import parse_epoch
            from orbitcloud.sim.orbit_life import plan
            from orbitcloud.sim.setup import shell_designs

            held = any(sh and sh.get("thruster") for sh in self.summary["orbit_life"].get("shells") or [])
            with_bus = held or self.loaded.scenario.orbit_life.station_keeping is None
            plan(self.loaded, fleet, shell_designs(self.loaded), parse_epoch(self.summary["start"]),
                 float(self.summary["duration_s"]), int(self.summary["steps"]), with_bus=with_bus)
        return fleet

    @functools.cached_property
    def shell_of(self) -> np.ndarray:
        """Shell index of every satellite, int64 (n_sat,), from ``summary.shells`` counts (scenario order)."""
        counts = [int(s["satellites"]) for s in self.summary["shells"]]
        return np.repeat(np.arange(len(counts), dtype=np.int64), counts)

    @property
    def shell_names(self) -> list[str]:
        return [str(s["name"]) for s in self.summary["shells"]]

    @property
    def shell_starts(self) -> np.ndarray:
        counts = np.array([int(s["satellites"]) for s in self.summary["shells"]], dtype=np.int64)
        return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)

    @functools.cached_property
    def has_hardware(self) -> np.ndarray:
        """Per satellite: True when its shell simulated a bus (``shells[].bus`` not null)."""
        hw = np.array([s.get("bus") is not None for s in self.summary["shells"]], dtype=bool)
        return hw[self.shell_of] if hw.size else np.zeros(0, bool)

    def time_ns(self, t_s: np.ndarray | float) -> np.ndarray:
        """Absolute times [ns since 1970] of offsets ``t_s`` from the start."""
        return self.start_ns + np.round(np.asarray(t_s, dtype=np.float64) * 1e9).astype(np.int64)

    def datetimes(self, t_s: np.ndarray) -> np.ndarray:
        """``datetime64[ms]`` of offsets ``t_s`` (for plot axes)."""
        return self.time_ns(t_s).astype("datetime64[ns]").astype("datetime64[ms]")

    def parse_time_s(self, text: str | None, flag: str = "--time") -> float | None:
        """Seconds after the start of an ISO 8601 UTC time inside the run window (None stays None)."""
        if text is None:
            return None
        from orbitcloud.scenario.schema import parse_epoch

        try:
            when = parse_epoch(text)
        except ValueError as exc:
            raise OrbitcloudError(f"{flag}: {exc}") from None
        t_s = (int(np.datetime64(when, "ns").astype(np.int64)) - self.start_ns) / 1e9
        if not -1e-6 <= t_s <= self.t_last_s + 1e-6:
            raise OrbitcloudError(
                f"{flag}: {text!r} is outside the run window {iso_utc(self.start_ns)} .. "
                f"{iso_utc(self.time_ns(self.t_last_s))}"
            )
        return float(min(max(t_s, 0.0), self.t_last_s))

    def spec_at(self, t0_s: float, step_s: float, n_steps: int):
        """A :class:`~orbitcloud.sim.RunSpec` starting ``t0_s`` after the run start (same propagator)."""
        from orbitcloud.sim import RunSpec
        from orbitcloud.timescale import jd_split

        jd0, fr0 = jd_split(np.datetime64(int(self.time_ns(t0_s)), "ns"))
        return RunSpec(
            jd0=float(jd0), fr0=float(fr0), step_s=float(step_s), n_steps=int(n_steps), propagator=self.propagator
        )

    def positions_ecef_m(self, sats: np.ndarray, t_s: np.ndarray) -> np.ndarray:
        """Earth-fixed positions [m], shape (n, T, 3), of satellites ``sats`` at offsets ``t_s`` [s].

        Same propagator and frame as the run (TEME rotated by GMST-82, as in
        :func:`orbitcloud.network.simulate.positions`); NaN where SGP4 reports an error.
        """
        from orbitcloud.ephemeris.frames import gmst_for_times
        from orbitcloud.ephemeris.propagate import fast_ecef_m, fast_orbits, make_satrecs, sgp4_teme_km
        from orbitcloud.fleet import Fleet, FleetSlice
        from orbitcloud.timescale import jd_split

        fleet = self.fleet
        idx = np.asarray(sats, dtype=np.int64)
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        out = np.full((idx.size, t.size, 3), np.nan)
        if idx.size == 0 or t.size == 0:
            return out
        arrays = {name: getattr(fleet, name)[idx] for name in Fleet.ARRAYS}
        l1 = None if fleet.tle_line1 is None else fleet.tle_line1[idx]
        l2 = None if fleet.tle_line2 is None else fleet.tle_line2[idx]
        sl = FleetSlice(start=0, stop=idx.size, tle_line1=l1, tle_line2=l2, **arrays)
        jd0, fr0 = jd_split(np.datetime64(self.start_ns, "ns"))
        jd0, fr0 = float(jd0), float(fr0)
        from orbitcloud.timescale import jd_split_offset

        jd, fr = jd_split_offset(jd0, fr0, t)
        gmst = gmst_for_times(jd, fr)
        if self.propagator == "fast":
            orb = fast_orbits(sl, jd0, fr0)
            x, y, z, _ = fast_ecef_m(orb, t, gmst)
            out[..., 0], out[..., 1], out[..., 2] = x, y, z
            return out
        from sgp4.api import SatrecArray

        err, r_km, _ = sgp4_teme_km(SatrecArray(make_satrecs(sl)), jd, fr)
        c, s = np.cos(gmst), np.sin(gmst)
        rx, ry = r_km[..., 0] * 1000.0, r_km[..., 1] * 1000.0
        out[..., 0] = c * rx + s * ry
        out[..., 1] = c * ry - s * rx
        out[..., 2] = r_km[..., 2] * 1000.0
        out[err != 0] = np.nan
        return out

    def sun_ecef_m(self, t_s: np.ndarray) -> np.ndarray:
        """Sun position [m], shape (T, 3), in the same Earth-fixed axes."""
        from orbitcloud.ephemeris.frames import gmst_for_times, teme_to_ecef
        from orbitcloud.ephemeris.sun import sun_position_m
        from orbitcloud.timescale import jd_split, jd_split_offset

        jd0, fr0 = jd_split(np.datetime64(self.start_ns, "ns"))
        jd, fr = jd_split_offset(float(jd0), float(fr0), np.atleast_1d(np.asarray(t_s, dtype=np.float64)))
        return teme_to_ecef(sun_position_m(jd, fr), gmst_for_times(jd, fr))

    @functools.cached_property
    def network_config(self) -> bool:
        """True when the scenario has a ``network:`` or ``ground:`` section."""
        sc = self.loaded.scenario
        return sc.network is not None or sc.ground is not None

    @functools.cached_property
    def stations(self):
        """The scenario's ground stations, or None (no ``ground:`` section)."""
        if self.loaded.scenario.ground is None:
            return None
        from orbitcloud.network.simulate import load_stations

        return load_stations(self.loaded)


def open_run(run_dir: str | Path) -> RunDir:
    """Open a complete results directory; a missing or incomplete one raises :class:`OrbitcloudError`."""
    path = Path(run_dir)
    if not path.is_dir():
        raise OrbitcloudError(f"RUN_DIR {path}: not a directory (expected the --out folder of `orbitcloud run`)")
    p = path / SUMMARY
    if not p.is_file():
        raise OrbitcloudError(f"RUN_DIR {path}: no {SUMMARY}; not a complete results directory (see docs/results.md)")
    try:
        summary = json.loads(p.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise OrbitcloudError(f"RUN_DIR {path}/{SUMMARY}: cannot read: {exc}") from None
    for key in ("start", "steps", "step_s", "satellites", "shells"):
        if key not in summary:
            raise OrbitcloudError(
                f"RUN_DIR {path}/{SUMMARY}: key {key!r} missing; expected a run summary (docs/results.md)"
            )
    return RunDir(
        path=path,
        summary=summary,
        start_ns=_iso_to_ns(summary["start"]),
        step_s=float(summary["step_s"]),
        n_steps=int(summary["steps"]),
    )
