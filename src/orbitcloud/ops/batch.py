"""Batch backlog: offline work that fills the compute the other workloads leave.

The Three-Body constellation's satellites filter their own imagery and serve an 8 B model; their
remaining capacity processes a backlog of scenes relayed over the laser links from partner satellites
(offline inference). Per step and satellite of the batch shells (vectorised over satellites):

1. **Demand.** ``spare = 1 - (the other workloads' demand)``; the satellite asks for ``spare`` when
   the backlog has items and it can get their input: with ``input: isl`` it needs at least one
   inter-satellite link up (its ISL-connected partners hold the scenes); otherwise its spare capacity
   is idle for want of a link (reported as *no link*).
2. **Work.** The bus delivers a speed ``v`` (fraction of nameplate compute) to the satellite; the
   batch share of it, ``v_b = v x demand_b / demand_total``, does ``v_b x ops_per_s x dt`` operations,
   i.e. that over ``ops_per_item`` items (fractions carry to the next step). Input is not a limit at
   laser rates (a 126 MB scene at 100 Gbit/s takes 10 ms; an 8 B model needs ~2 ms of a 744-TOPS
   computer per token, 4 s per 2,000-token scene), so it is not modelled further.

Operations per item: ``2 x params x tokens`` (a decoder's forward pass, Kaplan et al. 2020, "Scaling
Laws for Neural Language Models", sec. 2.1), unless ``ops_per_item`` is given.
"""

from __future__ import annotations

import math

import numpy as np

from orbitcloud.errors import OrbitcloudError


class BatchBacklog:
    """The backlog and its progress over the satellites ``sats`` (global indices)."""

    def __init__(self, cfg, sats: np.ndarray, ops_per_s: np.ndarray, util: np.ndarray, step_s: float) -> None:
        from orbitcloud.compute.models import llm

        self.cfg = cfg
        self.sats = np.asarray(sats, np.int64)
        self.ops_per_s = np.asarray(ops_per_s, dtype=np.float64)  # nameplate at the batch precision
        self.util = np.asarray(util, dtype=np.float64)  # the design's utilisation target
        self.dt = float(step_s)
        if cfg.ops_per_item is not None:
            self.ops_per_item = float(cfg.ops_per_item)
        else:
            try:
                self.ops_per_item = 2.0 * llm(cfg.model).params * cfg.tokens_per_item
            except OrbitcloudError as exc:
                raise OrbitcloudError(f"workloads.batch.model: {exc}") from None
        self.left = math.inf if cfg.items is None else float(cfg.items)
        self.items_done = 0.0
        self.ops_done = 0.0
        self.no_link_ops = 0.0  # nameplate operations idle for want of a link (x utilisation target)
        self.no_link_sat_s = 0.0
        self.busy_sat_s = 0.0
        self._demand = np.zeros(self.sats.size)
        self._steps = 0

    def demand(self, other_demand: np.ndarray, linked: np.ndarray) -> np.ndarray:
        """(m,) demand of the next step, from the other workloads' demand and the ISL state."""
        spare = np.clip(1.0 - np.asarray(other_demand, dtype=np.float64), 0.0, 1.0)
        if self.left <= 0.0:
            self._demand = np.zeros_like(spare)
            return self._demand
        ok = np.ones(spare.size, bool) if self.cfg.input == "local" else np.asarray(linked, bool)
        self._demand = np.where(ok, spare, 0.0)
        cut = ~ok & (spare > 0.0)
        if cut.any():
            self.no_link_ops += float(np.sum(spare[cut] * self.util[cut] * self.ops_per_s[cut])) * self.dt
            self.no_link_sat_s += float(cut.sum()) * self.dt
        return self._demand

    def advance(self, speed_share: np.ndarray) -> None:
        """The batch share of each satellite's delivered speed in the step (fraction of nameplate)."""
        ops = float(np.sum(np.asarray(speed_share, dtype=np.float64) * self.ops_per_s)) * self.dt
        items = ops / self.ops_per_item
        if items > self.left:
            items, ops = self.left, self.left * self.ops_per_item
        self.left -= items
        self.items_done += items
        self.ops_done += ops
        self.busy_sat_s += float(np.count_nonzero(np.asarray(speed_share) > 0.0)) * self.dt
        self._steps += 1

    def summary(self) -> dict:
        dur = self._steps * self.dt
        nameplate = float(np.sum(self.ops_per_s)) * dur
        return {
            "satellites": int(self.sats.size),
            "model": self.cfg.model if self.cfg.ops_per_item is None else None,
            "precision": self.cfg.precision,
            "ops_per_item": self.ops_per_item,
            "items_done": round(self.items_done, 3),
            "items_per_s": round(self.items_done / dur, 6) if dur > 0 else None,
            "ops_done": self.ops_done,
            "backlog_left": None if math.isinf(self.left) else round(self.left, 3),
            "nameplate_share": round(self.ops_done / nameplate, 6) if nameplate > 0 else None,
            "no_link_fraction": round(self.no_link_sat_s / (self.sats.size * dur), 6) if dur > 0 and self.sats.size else None,
            "no_link_ops": self.no_link_ops,
        }
