"""The fleet at one time (globe and ground-track map): the drawn satellites' positions, colour
values, links in use and ground tracks."""

from __future__ import annotations

import dataclasses

import numpy as np

from orbitcloud.report.data.network import LinksAt, links_at
from orbitcloud.report.data.run import RunDir
from orbitcloud.report.data.timeline import record_times_s, values_at

#: Colour choices of the globe and map: timeseries column (None: computed from the geometry), label, range.
COLORS: dict[str, tuple[str | None, str, tuple[float, float] | None]] = {
    "illumination": (None, "illumination (fraction of the solar disk)", (0.0, 1.0)),
    "soc": ("soc", "battery state of charge", (0.0, 1.0)),
    "temperature": ("t_k", "node temperature [°C]", None),
    "utilisation": ("utilisation", "accelerator utilisation", (0.0, 1.0)),
}
#: Satellites that get a ground track on the map (stratified like the drawn sample).
TRACKS = 24


@dataclasses.dataclass
class FleetSnapshot:
    """Drawn satellites at one time: positions, colour values, links and ground tracks."""

    t_s: float
    sats: np.ndarray  # drawn satellite indices (sorted)
    pos_m: np.ndarray  # (n, 3) Earth-fixed
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    color: str
    values: np.ndarray  # (n,) colour values (temperature in °C)
    values_t_s: float  # time the values belong to (the nearest recorded sample for timeseries columns)
    sun_m: np.ndarray  # (3,) Earth-fixed Sun position
    links: LinksAt | None
    track_sats: np.ndarray
    track_lon_deg: np.ndarray  # (k, T), NaN at antimeridian jumps
    track_lat_deg: np.ndarray
    track_t_s: np.ndarray


def default_time_s(run: RunDir) -> float:
    """The globe's default time: the middle of the run window, moved to the nearest recorded sample."""
    mid = 0.5 * run.t_last_s
    rec = record_times_s(run)
    if rec.size:
        return float(rec[np.argmin(np.abs(rec - mid))])
    return float(np.round(mid / run.step_s) * run.step_s)


def _geodetic_deg(pos_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from orbitcloud.ephemeris.frames import ecef_to_geodetic

    shape = pos_m.shape[:-1]
    ok = np.isfinite(pos_m).all(axis=-1)
    flat = np.where(ok[..., None], pos_m, 7e6).reshape(-1, 3)
    lat, lon, _ = ecef_to_geodetic(flat)
    lat = np.where(ok, np.degrees(lat).reshape(shape), np.nan)
    lon = np.where(ok, np.degrees(lon).reshape(shape), np.nan)
    return lat, lon


def break_antimeridian(lon_deg: np.ndarray, lat_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of (k, T) tracks with a NaN inserted where the longitude jumps by more than 180 deg."""
    k, n = lon_deg.shape
    jump = np.zeros((k, n), bool)
    jump[:, 1:] = np.abs(np.diff(lon_deg, axis=1)) > 180.0
    extra = int(jump.sum(axis=1).max()) if k else 0
    out_lon = np.full((k, n + extra), np.nan)
    out_lat = np.full((k, n + extra), np.nan)
    pos = np.arange(n)[None, :] + np.cumsum(jump, axis=1)
    rows = np.repeat(np.arange(k)[:, None], n, axis=1)
    out_lon[rows, pos] = lon_deg
    out_lat[rows, pos] = lat_deg
    return out_lon, out_lat


def fleet_snapshot(run: RunDir, t_s: float, color: str, sample, with_links: bool = True) -> FleetSnapshot:
    """Positions and colours of the drawn satellites at ``t_s``, links, and ground tracks.

    Illumination is computed at ``t_s`` with :func:`orbitcloud.environment.shadow.illumination`
    (conical shadow, the run's model); the other colours are the ``timeseries.parquet`` values at
    the recorded sample nearest ``t_s``. Ground tracks span one orbital period centred on ``t_s``
    (30-s resolution) for :data:`TRACKS` satellites chosen by the same stratified rule.
    """
    from orbitcloud.environment.shadow import illumination
    from orbitcloud.report.sample import sample_satellites

    sats = sample.index
    pos = run.positions_ecef_m(sats, np.array([t_s]))[:, 0, :]
    lat, lon = _geodetic_deg(pos)
    sun = run.sun_ecef_m(np.array([t_s]))
    column, _, _ = COLORS[color]
    if column is None:
        ok = np.isfinite(pos).all(axis=1)
        vals = np.full(sats.size, np.nan)
        if ok.any():
            vals[ok] = illumination(pos[ok, 0:1], pos[ok, 1:2], pos[ok, 2:3], sun)[:, 0]
        vals_t = t_s
    else:
        vals, vals_t = values_at(run, column, t_s, sats)
        if column == "t_k":
            vals = vals - 273.15
        vals = np.where(run.has_hardware[sats], vals, np.nan)
    links = links_at(run, t_s) if with_links else None
    # ground tracks: a stratified handful of the drawn satellites
    pick = sample_satellites(np.bincount(run.shell_of[sats], minlength=len(run.summary["shells"])), TRACKS).index
    track_sats = sats[pick]
    n_rev = run.fleet.no_kozai_rad_min[track_sats] * 1440.0 / (2 * np.pi) if track_sats.size else np.ones(1)
    period_s = 86400.0 / float(np.min(n_rev)) if track_sats.size else 0.0
    tt = t_s + np.arange(-0.5 * period_s, 0.5 * period_s + 1e-9, 30.0)
    tpos = run.positions_ecef_m(track_sats, tt)
    tlat, tlon = _geodetic_deg(tpos)
    tlon, tlat = break_antimeridian(tlon, tlat)
    return FleetSnapshot(
        t_s=t_s,
        sats=sats,
        pos_m=pos,
        lat_deg=lat,
        lon_deg=lon,
        color=color,
        values=vals,
        values_t_s=vals_t,
        sun_m=sun[0],
        links=links,
        track_sats=track_sats,
        track_lon_deg=tlon,
        track_lat_deg=tlat,
        track_t_s=tt,
    )
