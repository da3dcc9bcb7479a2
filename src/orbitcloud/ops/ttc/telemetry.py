"""Housekeeping telemetry: sampled onboard, stored and forwarded, archived on the ground.

Each satellite samples its housekeeping parameters (:data:`orbitcloud.ops.ttc.packets.HK_PARAMETERS`)
every ``housekeeping_every`` x its own stride (``set_hk_interval``) into an onboard store that holds
``store_bytes // hk_packet_bytes`` packets (a CCSDS/PUS TM[3,25] packet each, so the store is counted in
real packet bytes). The store is a FIFO per satellite (ring buffer, struct of arrays over the fleet):

* downlink drains it oldest first, within the bytes the satellite can send in the interval: its
  served direct contacts at the station's downlink rate, or its relay path within
  ``min(bottleneck ISL, relay_downlink_share x gateway downlink)`` (:class:`~orbitcloud.ops.ttc.access.Access`);
* a full store drops by the stated rule: ``oldest`` (overwrite the oldest sample, as a circular
  packet store of PUS service 15 does) or ``newest`` (refuse the new sample); every dropped sample
  is counted.

Delivered samples are archived (satellite, sample time, ground time, values). A sample is *live*
when it is the satellite's newest and nothing older is left onboard; older (stored, "back-orbit")
samples are archived but never raise live alarms (the Yamcs/COSMOS rule, ``design/OPERATIONS.md``).
Telemetry age: ground time minus the time of the newest sample the ground has (the run start before
the first one arrives).
"""

from __future__ import annotations

import numpy as np

__all__ = ["OnboardStore"]


class OnboardStore:
    """The fleet's onboard housekeeping stores and the ground archive (see the module docstring)."""

    def __init__(self, n_sat: int, n_param: int, capacity: int, drop: str, max_bytes: float = 2e9) -> None:
        need = n_sat * capacity * (4 * n_param + 8)
        if need > max_bytes:
            from orbitcloud.errors import ScenarioError

            raise ScenarioError(
                f"ttc.store_bytes: the onboard stores of {n_sat:,} satellites x {capacity:,} packets need "
                f"{need / 1e9:.1f} GB of memory in the twin; at most {max_bytes / 1e9:.0f} GB (make store_bytes smaller)")
        self.n, self.p, self.cap, self.drop = n_sat, n_param, int(capacity), drop
        self.vals = np.zeros((n_sat, self.cap, n_param), np.float32)
        self.t = np.zeros((n_sat, self.cap))
        self.head = np.zeros(n_sat, np.int64)  # samples taken (next write position: head % cap)
        self.tail = np.zeros(n_sat, np.int64)  # oldest sample still onboard
        self.lost = np.zeros(n_sat, np.int64)
        self.last_t = np.zeros(n_sat)  # newest sample time on the ground (run start before any)
        self.last_vals = np.full((n_sat, n_param), np.nan, np.float32)
        self.delivered = np.zeros(n_sat, np.int64)
        self._rows: list[dict[str, np.ndarray]] = []
        self._drained = 0

    def sample(self, sats: np.ndarray, t_s: float, values: np.ndarray) -> None:
        """Store a sample ``values`` (len(sats), P) taken at ``t_s`` by ``sats``."""
        if sats.size == 0:
            return
        full = (self.head[sats] - self.tail[sats]) >= self.cap
        if self.drop == "newest":
            keep = ~full
            self.lost[sats[full]] += 1
            sats, values = sats[keep], values[keep]
        else:
            over = sats[full]
            self.tail[over] += 1
            self.lost[over] += 1
        pos = self.head[sats] % self.cap
        self.vals[sats, pos] = values
        self.t[sats, pos] = t_s
        self.head[sats] += 1

    def downlink(self, budget_packets: np.ndarray, t_ground_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Send up to ``budget_packets`` (n,) oldest samples per satellite, reaching the ground at
        ``t_ground_s`` (n,). Returns the satellites whose newest delivered sample is live and those
        values (len, P)."""
        backlog = self.head - self.tail
        k = np.minimum(np.maximum(budget_packets, 0), backlog).astype(np.int64)
        sats = np.nonzero(k)[0]
        if sats.size == 0:
            return sats, np.zeros((0, self.p), np.float32)
        counts = k[sats]
        rep = np.repeat(sats, counts)
        offs = np.arange(rep.size) - np.repeat(np.cumsum(counts) - counts, counts)
        pos = (self.tail[rep] + offs) % self.cap
        self._rows.append({"sat": rep, "t_sample_s": self.t[rep, pos], "t_ground_s": np.maximum(t_ground_s[rep], self.t[rep, pos]),
                           "values": self.vals[rep, pos]})
        self.tail[sats] += counts
        self.delivered[sats] += counts
        newest = (self.tail[sats] - 1) % self.cap
        self.last_t[sats] = self.t[sats, newest]
        self.last_vals[sats] = self.vals[sats, newest]
        live = self.tail[sats] == self.head[sats]
        return sats[live], self.vals[sats[live], newest[live]]

    def age_s(self, t_s: float) -> np.ndarray:
        return t_s - self.last_t

    def stored(self) -> np.ndarray:
        return self.head - self.tail

    def rows(self, since_last: bool = False) -> dict[str, np.ndarray]:
        """The archive (all rows, or the rows since the previous ``since_last=True`` call)."""
        parts = self._rows[self._drained:] if since_last else self._rows
        if since_last:
            self._drained = len(self._rows)
        if not parts:
            return {"sat": np.zeros(0, np.int64), "t_sample_s": np.zeros(0), "t_ground_s": np.zeros(0),
                    "values": np.zeros((0, self.p), np.float32)}
        return {k: np.concatenate([r[k] for r in parts]) for k in parts[0]}
