"""Commanding: ground queues, uplink at the first opportunity, onboard time tags, PUS service 1 stages.

A command is issued on the ground at ``issued_s`` for one satellite, encoded as a real PUS-C
telecommand (``packets.encode_command``; time-tagged ones wrapped in TC[11,4]). It waits in that
satellite's ground queue (first in, first out) until the first opportunity: a served direct contact
or, with relays, an ISL path to a satellite in contact (:class:`~orbitcloud.ops.ttc.access.Access`),
whichever delivers first. It reaches the satellite after the packet's serialisation at the uplink
rate (the bottleneck ISL too on a relay path), the light time of the ground leg and the relay path's
latency. Onboard it is parsed (``packets.decode_command``): a packet that does not parse, or whose
release time has passed, is rejected with a TM[1,2] failure report. An accepted command runs at its
release time (on arrival when it has none) through the live twin's actions, whose effect starts at
the first step boundary at or after that time (the twin applies actions between steps); start and
completion (or failure) are reported with TM[1,3],
TM[1,7] / TM[1,8]. Every report reaches the ground at the satellite's next downlink opportunity, so
the history holds each stage's onboard time and the time the ground learned of it (Yamcs command
history; ECSS-E-ST-70-41C service 1).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["CommandBook", "first_uplink"]


def first_uplink(access, sats: np.ndarray, t_s: np.ndarray | float, bits: float, relays: bool) -> dict[str, np.ndarray]:
    """Arrival onboard [s] of a ``bits`` packet sent at the first opportunity at or after ``t_s``,
    directly and (with ``relays``) over the best relay path: ``arrival_s``, ``path`` (0 direct, 1
    relay, -1 none before the end), ``direct_s`` (the direct-only arrival), ``start_s``."""
    sats = np.asarray(sats, dtype=np.int64)
    t_d, up_d, _, _ = access.next_direct(sats, t_s)
    light = access.ground_light_s[sats]
    with np.errstate(divide="ignore", invalid="ignore"):
        arr_d = np.where(np.isfinite(t_d) & (up_d > 0), t_d + bits / np.where(up_d > 0, up_d, 1.0) + light, np.inf)
    if relays and access.relays:
        t_r, lat_r, cap_r, up_r = access.next_relay(sats, t_s)
        rate = np.minimum(up_r, cap_r)
        with np.errstate(divide="ignore", invalid="ignore"):
            arr_r = np.where(np.isfinite(t_r) & (rate > 0), t_r + bits / np.where(rate > 0, rate, 1.0) + light + lat_r, np.inf)
    else:
        arr_r = np.full(sats.shape, np.inf)
        t_r = arr_r
    use_r = arr_r < arr_d
    arrival = np.where(use_r, arr_r, arr_d)
    path = np.where(np.isfinite(arrival) & (arrival <= access.t_end_s), np.where(use_r, 1, 0), -1)
    return {"arrival_s": arrival, "path": path, "direct_s": arr_d, "start_s": np.where(use_r, t_r, t_d)}


def downlink_time(access, sat: int, t_s: float, relays: bool) -> float:
    """When a small report generated onboard at ``t_s`` reaches the ground (inf: not in the run)."""
    r = first_uplink(access, np.array([sat]), t_s, 0.0, relays)  # the same access, no serialisation
    return float(r["arrival_s"][0]) if r["path"][0] >= 0 else math.inf


class CommandBook:
    """Every command of a run: the ground queues, what is onboard and the history (one dict each)."""

    FIELDS = ("id", "satellite", "command", "params", "source", "issued_s", "time_tag_s", "path", "uplink_start_s",
              "arrival_s", "accepted_s", "started_s", "completed_s", "failed_s", "failure_code", "reason",
              "accepted_ground_s", "started_ground_s", "completed_ground_s", "failed_ground_s", "status", "bytes")

    def __init__(self, access, step_s: float, relays: bool) -> None:
        self.access, self.step_s, self.relays = access, step_s, relays
        self.rows: list[dict[str, Any]] = []
        self.queue_free_s: dict[int, float] = {}  # ground queue of each satellite: free after this time
        self.seq = 0
        self.pending: dict[int, list[dict[str, Any]]] = {}  # execution step -> commands

    def _report(self, row: dict[str, Any], stage: str, t_s: float) -> None:
        row[f"{stage}_s"] = t_s
        row[f"{stage}_ground_s"] = downlink_time(self.access, row["satellite"], t_s, self.relays)

    def add(self, row: dict[str, Any], raw: bytes, decode) -> dict[str, Any]:
        """Queue ``row`` (id, satellite, command, params, source, issued_s, time_tag_s) carrying the
        packet ``raw``; its uplink and onboard acceptance are worked out now (the access is known)."""
        sat = row["satellite"]
        bits = 8.0 * len(raw)
        t0 = max(row["issued_s"], self.queue_free_s.get(sat, -math.inf))
        up = first_uplink(self.access, np.array([sat]), t0, bits, self.relays)
        row.update({k: None for k in self.FIELDS if k not in row})
        row["bytes"] = len(raw)
        self.rows.append(row)
        if up["path"][0] < 0:
            row["status"] = "queued"
            row["reason"] = "no contact or relay path before the end of the run"
            self.queue_free_s[sat] = math.inf
            return row
        arrival = float(up["arrival_s"][0])
        row["path"] = "relay" if up["path"][0] == 1 else "direct"
        row["uplink_start_s"] = float(up["start_s"][0])
        row["arrival_s"] = arrival
        self.queue_free_s[sat] = arrival - self.access.ground_light_s[sat]
        dec = decode(raw)
        if not hasattr(dec, "name"):  # Rejected
            row["failure_code"] = int(dec.code)
            row["reason"] = dec.reason
            row["status"] = "rejected"
            self._report(row, "failed", arrival)
            return row
        release = arrival
        if dec.release_utc is not None:
            release = row["time_tag_s"]
            if release < arrival:
                row["failure_code"] = 8
                row["reason"] = f"release time {release:.3f} s has passed when the command arrived ({arrival:.3f} s)"
                row["status"] = "rejected"
                self._report(row, "failed", arrival)
                return row
        self._report(row, "accepted", arrival)
        row["status"] = "onboard"
        row["_exec_s"] = max(release, arrival)
        k = int(math.ceil(row["_exec_s"] / self.step_s - 1e-9))
        row["_exec_k"] = k
        row["_decoded"] = dec
        self.pending.setdefault(k, []).append(row)
        return row

    def due(self, k: int) -> list[dict[str, Any]]:
        return self.pending.pop(k, [])

    def next_k(self) -> int | None:
        return min(self.pending) if self.pending else None

    def executed(self, row: dict[str, Any], t_s: float, ok: bool, reason: str | None) -> None:
        """``row`` ran onboard at its release time (or arrival); the twin applied it at the step
        boundary ``t_s`` at or after that time."""
        t_s = row.pop("_exec_s", t_s)
        self._report(row, "started", t_s)
        if ok:
            self._report(row, "completed", t_s)
            row["status"] = "completed"
        else:
            row["failure_code"] = 9
            row["reason"] = reason
            row["status"] = "failed"
            self._report(row, "failed", t_s)

    def history(self, t_now_s: float | None = None) -> list[dict[str, Any]]:
        """The command history; with ``t_now_s``, only what the ground knows at that time (a stage
        whose report has not come down yet is shown as unknown)."""
        out = []
        for r in self.rows:
            row = {k: r.get(k) for k in self.FIELDS}
            if t_now_s is not None:
                for st in ("accepted", "started", "completed", "failed"):
                    g = row.get(f"{st}_ground_s")
                    if g is None or g > t_now_s:
                        row[f"{st}_s"] = None
                        row[f"{st}_ground_s"] = None
                if row["status"] in ("onboard", "completed", "failed", "rejected") and row["accepted_s"] is None and row["failed_s"] is None:
                    row["status"] = "sent" if (row["arrival_s"] or math.inf) <= t_now_s else "queued"
                elif row["status"] in ("completed", "failed") and row["completed_s"] is None and row["failed_s"] is None:
                    row["status"] = "onboard"
            out.append(row)
        return out
