"""Contact plans as files: a CSV table of passes and an ION contact plan.

:func:`contacts_table` joins :class:`~orbitcloud.network.contacts.Contacts`, the antenna
:class:`~orbitcloud.network.contact_schedule.Schedule` and the
:class:`~orbitcloud.network.ttc_ground.GroundNetwork` into columns (UTC times as
``datetime64[ns]``, numpy's convention: no time zone, read as UTC); :func:`write_contacts_csv`
writes them with ISO 8601 times (``2026-03-01T12:00:00.000Z``, rounded to the millisecond).

:func:`write_ion_contact_plan` writes the booked passes as ``ionadmin`` commands of NASA JPL's
Interplanetary Overlay Network (ION; ``ionrc(5)``, ION-DTN ``ici/doc/pod5/ionrc.pod``):

* ``@ yyyy/mm/dd-hh:mm:ss`` -- the *at* command: the plan start (UTC) becomes the reference time of
  the relative times that follow, so the file means the same whenever it is loaded;
* ``a contact +START +STOP FROM TO RATE`` -- one per direction per pass: station -> satellite at the
  station's ``uplink_bps / 8`` bytes/s, satellite -> station at ``downlink_bps / 8`` bytes/s;
* ``a range +START +STOP FROM TO OWLT`` -- one per direction per pass: the one-way light time in
  whole seconds, at least 1 (ION's unit is the light second; ranges are directional in ION, a
  range from the lower to the higher node number also implying the reverse unless given).

START/STOP are whole seconds after the plan start, rounded inwards (``ceil(rise)``,
``floor(set)``) so that no contact is claimed outside its pass; passes shorter than that leaves
(STOP <= START) are left out and counted in a comment. Node numbers: stations ``1 .. n_st`` in
network order, satellite ``i`` is node ``1001 + i`` (so at most 1000 stations); the ``#`` comment
lines at the top map node numbers to names. Load with ``ionadmin < plan.ionrc`` (or
``ionadmin plan.ionrc``) on a node already initialised (``1 NODE config``, ``s``). Every file is
written to a temporary file in the same folder and moved into place (``os.replace``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from orbitcloud.network.contact_schedule import Schedule
from orbitcloud.network.contacts import Contacts
from orbitcloud.network.ttc_ground import GroundNetwork

__all__ = [
    "SAT_NODE_BASE",
    "STATION_NODE_BASE",
    "TABLE_COLUMNS",
    "contacts_table",
    "write_contacts_csv",
    "write_ion_contact_plan",
]

TABLE_COLUMNS = ("satellite", "station", "rise_utc", "set_utc", "duration_s", "max_elevation_deg", "antenna", "served",
                 "reason", "uplink_bps", "downlink_bps")
#: ION node number of station 0 (stations are 1 .. n_st) and of satellite 0 (satellites 1001 ..).
STATION_NODE_BASE = 1
SAT_NODE_BASE = 1001


def _atomic_write(path: str | Path, text: str) -> None:
    from orbitcloud.atomic import write_text_atomic

    write_text_atomic(Path(path), text)


def _check_lengths(contacts: Contacts, schedule: Schedule) -> None:
    if len(schedule) != len(contacts):
        raise ValueError(f"schedule has {len(schedule)} rows, contacts {len(contacts)}")


def _utc(start_utc, t_s: np.ndarray) -> np.ndarray:
    t0 = np.datetime64(start_utc, "ns")
    return t0 + np.round(np.asarray(t_s, dtype=np.float64) * 1e9).astype("timedelta64[ns]")


def contacts_table(
    contacts: Contacts, schedule: Schedule, *, start_utc: np.datetime64, sat_names: Sequence[str], net: GroundNetwork,
    rates: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """One row per pass: ``satellite``, ``station`` (names), ``rise_utc``/``set_utc``
    (``datetime64[ns]``, UTC = ``start_utc`` + seconds), ``duration_s``, ``max_elevation_deg``,
    ``antenna`` (-1 unserved), ``served``, ``reason``, and the station's per-antenna
    ``uplink_bps``/``downlink_bps`` (the rates the pass has, or would have, when served: ``rates``
    per pass when given, e.g. from a link budget, else the station's)."""
    _check_lengths(contacts, schedule)
    st = np.asarray(contacts.station, dtype=np.int64)
    sat = np.asarray(contacts.sat, dtype=np.int64)
    names = np.asarray(list(sat_names), dtype=object)
    if sat.size and sat.max() >= names.size:
        raise ValueError(f"sat_names has {names.size} names, contacts name satellite {int(sat.max())}")
    return {
        "satellite": names[sat],
        "station": np.asarray(net.stations.names, dtype=object)[st],
        "rise_utc": _utc(start_utc, contacts.start_s),
        "set_utc": _utc(start_utc, contacts.end_s),
        "duration_s": np.asarray(contacts.duration_s, dtype=np.float64),
        "max_elevation_deg": np.asarray(contacts.max_elevation_deg, dtype=np.float64),
        "antenna": np.asarray(schedule.antenna, dtype=np.int64),
        "served": np.asarray(schedule.served, dtype=bool),
        "reason": np.asarray(schedule.reason, dtype=object),
        "uplink_bps": net.uplink_bps[st] if rates is None else np.asarray(rates[0], dtype=np.float64),
        "downlink_bps": net.downlink_bps[st] if rates is None else np.asarray(rates[1], dtype=np.float64),
    }


def _iso(t: np.ndarray) -> np.ndarray:
    """ISO 8601 UTC with milliseconds (rounded half up) and 'Z'."""
    ms = (np.asarray(t, dtype="datetime64[ns]") + np.timedelta64(500_000, "ns")).astype("datetime64[ms]")
    return np.char.add(np.datetime_as_string(ms, unit="ms"), "Z")


def write_contacts_csv(path: str | Path, table: dict[str, np.ndarray]) -> None:
    """Write :func:`contacts_table` columns (in ``TABLE_COLUMNS`` order, header row) as CSV: times
    ISO 8601 UTC with 'Z' and milliseconds, floats in shortest round-trip form, ``served`` as
    ``true``/``false``. Atomic (temporary file + ``os.replace``)."""
    missing = [c for c in TABLE_COLUMNS if c not in table]
    if missing:
        raise ValueError(f"contacts table lacks column(s) {', '.join(missing)}")
    n = len(table["satellite"])
    if any(len(table[c]) != n for c in TABLE_COLUMNS):
        raise ValueError("contacts table columns differ in length: " + ", ".join(f"{c}={len(table[c])}" for c in TABLE_COLUMNS))
    cols = {
        "satellite": [str(x) for x in table["satellite"]],
        "station": [str(x) for x in table["station"]],
        "rise_utc": _iso(table["rise_utc"]).tolist(),
        "set_utc": _iso(table["set_utc"]).tolist(),
        "antenna": np.asarray(table["antenna"], dtype=np.int64).tolist(),
        "served": ["true" if x else "false" for x in np.asarray(table["served"], dtype=bool)],
        "reason": [str(x) for x in table["reason"]],
    }
    for c in ("duration_s", "max_elevation_deg", "uplink_bps", "downlink_bps"):
        cols[c] = [repr(x) for x in np.asarray(table[c], dtype=np.float64).tolist()]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(TABLE_COLUMNS)
    w.writerows(zip(*(cols[c] for c in TABLE_COLUMNS)))
    _atomic_write(path, buf.getvalue())


def _ion_time(t: np.datetime64) -> str:
    s = np.datetime_as_string(np.datetime64(t, "s"), unit="s")  # yyyy-mm-ddThh:mm:ss
    return s.replace("-", "/", 2).replace("T", "-")


def write_ion_contact_plan(
    path: str | Path,
    contacts: Contacts,
    schedule: Schedule,
    *,
    net: GroundNetwork,
    n_sat: int,
    sat_names: Sequence[str],
    start_utc: np.datetime64 | None = None,
    owlt_s: np.ndarray | None = None,
    include_unserved: bool = False,
    rates: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """Write the served passes (all passes with ``include_unserved``) as an ION contact plan.

    ``owlt_s``: one-way light time per contact row [s] (default 1 s, ION's resolution);
    ``start_utc``: the plan start, written as the ``@`` reference time (without it the relative
    times count from when ``ionadmin`` starts). ``rates``: ``(uplink_bps, downlink_bps)`` per
    contact row (default: the station's). Format, node numbers and rounding: module docstring.
    """
    _check_lengths(contacts, schedule)
    n_st = len(net)
    if n_st > SAT_NODE_BASE - STATION_NODE_BASE:
        raise ValueError(f"at most {SAT_NODE_BASE - STATION_NODE_BASE} stations fit below the satellite node numbers (got {n_st})")
    names = list(sat_names)
    if len(names) != n_sat:
        raise ValueError(f"sat_names has {len(names)} names, n_sat is {n_sat}")
    st = np.asarray(contacts.station, dtype=np.int64)
    sat = np.asarray(contacts.sat, dtype=np.int64)
    if sat.size and sat.max() >= n_sat:
        raise ValueError(f"contacts name satellite {int(sat.max())}, n_sat is {n_sat}")
    if owlt_s is None:
        owlt = np.ones(len(contacts), dtype=np.int64)
    else:
        o = np.asarray(owlt_s, dtype=np.float64).reshape(-1)
        if o.size != len(contacts) or not (np.isfinite(o).all() and (o >= 0).all()):
            raise ValueError(f"owlt_s must hold {len(contacts)} finite values >= 0 (got {o.size})")
        owlt = np.maximum(np.round(o), 1).astype(np.int64)
    shift_s = 0.0  # the '@' time is whole seconds: add the start's fraction of a second
    if start_utc is not None:
        t_ns = np.datetime64(start_utc, "ns")
        shift_s = float((t_ns - np.datetime64(t_ns, "s").astype("datetime64[ns]")) / np.timedelta64(1, "ns")) * 1e-9
    t0 = np.ceil(np.asarray(contacts.start_s, dtype=np.float64) + shift_s).astype(np.int64)
    t1 = np.floor(np.asarray(contacts.end_s, dtype=np.float64) + shift_s).astype(np.int64)
    if rates is None:
        up = np.maximum(np.round(net.uplink_bps[st] / 8.0), 1).astype(np.int64)
        down = np.maximum(np.round(net.downlink_bps[st] / 8.0), 1).astype(np.int64)
    else:
        up = np.maximum(np.round(np.asarray(rates[0], dtype=np.float64) / 8.0), 1).astype(np.int64)
        down = np.maximum(np.round(np.asarray(rates[1], dtype=np.float64) / 8.0), 1).astype(np.int64)
    lines = [
        "# ION contact plan (ionrc(5) commands for ionadmin) written by orbitcloud.network.contact_files",
        f"# plan start (UTC): {'not given' if start_utc is None else _ion_time(start_utc)}; times '+S' are whole seconds after it",
        "# load on an initialised ION node: ionadmin < this_file   (or: ionadmin this_file)",
        "# contacts: station -> satellite at uplink_bps / 8 bytes/s, satellite -> station at downlink_bps / 8 bytes/s;",
        "# ranges: one-way light time in whole seconds (at least 1), both directions",
        f"# nodes: stations {STATION_NODE_BASE}..{STATION_NODE_BASE + n_st - 1}, satellites {SAT_NODE_BASE}..{SAT_NODE_BASE + n_sat - 1}",
    ]
    lines += [f"#   node {STATION_NODE_BASE + j} station {name}" for j, name in enumerate(net.stations.names)]
    lines += [f"#   node {SAT_NODE_BASE + i} satellite {name}" for i, name in enumerate(names)]
    if start_utc is not None:
        lines.append(f"@ {_ion_time(start_utc)}")
    dropped = 0
    for part, rows in (("served passes", np.flatnonzero(schedule.served)),
                       ("unserved passes (not booked by the antenna schedule)", np.flatnonzero(~schedule.served) if include_unserved else None)):
        if rows is None:
            continue
        rows = rows[np.lexsort((sat[rows], st[rows], t0[rows]))]
        ok = t1[rows] > t0[rows]
        dropped += int((~ok).sum())
        rows = rows[ok]
        lines.append(f"# {part}: {rows.size}")
        for r, s, a, b, ow in zip(rows.tolist(), st[rows].tolist(), t0[rows].tolist(), t1[rows].tolist(), owlt[rows].tolist()):
            g, v = STATION_NODE_BASE + s, SAT_NODE_BASE + int(sat[r])
            lines.append(f"a contact +{a} +{b} {g} {v} {int(up[r])}")
            lines.append(f"a contact +{a} +{b} {v} {g} {int(down[r])}")
            lines.append(f"a range +{a} +{b} {g} {v} {ow}")
            lines.append(f"a range +{a} +{b} {v} {g} {ow}")
    if dropped:
        lines.append(f"# {dropped} pass(es) shorter than one whole second after rounding inwards were left out")
    _atomic_write(path, "\n".join(lines) + "\n")
