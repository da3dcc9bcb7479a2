"""Screening of a fleet over a window, with Pc: the part ``orbitcloud conjunctions`` and runs share.

:func:`screen_fleet` returns the conjunctions as columns (``conjunctions.parquet``) and the states
at TCA the CDMs need; the same object in the fleet and the catalogue (same catalogue number, zero
miss) is no conjunction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np


@dataclasses.dataclass
class Screened:
    a: object  # Objects of the fleet
    bset: object  # Objects screened against (the fleet itself without a catalogue)
    ia: np.ndarray
    ib: np.ndarray
    tca_s: np.ndarray
    miss_km: np.ndarray
    pc: np.ndarray
    r_a_km: np.ndarray
    v_a_km_s: np.ndarray
    r_b_km: np.ndarray
    v_b_km_s: np.ndarray
    stats: dict

    def __len__(self) -> int:
        return int(self.ia.size)

    def columns(self, t0: dt.datetime, cdm_names: list[str] | None = None) -> dict:
        """The columns of ``conjunctions.parquet``."""
        import pyarrow as pa

        t0_ns = np.datetime64(t0, "ns")
        tca_ns = t0_ns + np.round(self.tca_s * 1e9).astype("timedelta64[ns]")
        speed = np.linalg.norm(self.v_b_km_s - self.v_a_km_s, axis=1) if len(self) else np.zeros(0)
        return {
            "object_a": [self.a.names[int(i)] for i in self.ia],
            "object_b": [self.bset.names[int(i)] for i in self.ib],
            "tca_utc": pa.array(tca_ns.astype("int64"), type=pa.timestamp("ns", tz="UTC")),
            "miss_km": self.miss_km,
            "pc": self.pc,
            "satnum_a": self.a.satnum[self.ia],
            "satnum_b": self.bset.satnum[self.ib],
            "tca_s": self.tca_s,
            "relative_speed_km_s": speed,
            "cdm": cdm_names if cdm_names is not None else [""] * len(self),
        }


def screen_fleet(fleet, catalog_sets, t0: dt.datetime, duration_s: float, threshold_km: float, hbr_m: float,
                 node_step_s: float = 120.0, sub_step_s: float = 20.0, workers: int | None = None) -> Screened:
    """Screen ``fleet`` against ``catalog_sets`` (parsed TLE sets; None: the fleet against itself)
    from ``t0`` for ``duration_s``; Pc by Foster with the default covariance (``safety.collision``)."""
    from orbitcloud.safety.collision import probability_of_collision
    from orbitcloud.safety.conjunctions import objects_from_fleet, objects_from_tles, screen
    from orbitcloud.timescale import jd_split

    a = objects_from_fleet(fleet)
    b = None if catalog_sets is None else objects_from_tles(catalog_sets)
    jd0, fr0 = (float(x) for x in jd_split(np.datetime64(t0, "ns")))
    res = screen(a, b, jd0, fr0, duration_s, threshold_km, node_step_s=node_step_s, sub_step_s=sub_step_s, workers=workers)
    bset = a if b is None else b
    keep = ~((a.satnum[res.ia] == bset.satnum[res.ib]) & (res.miss_km < 1e-3))
    r_a, v_a, r_b, v_b = res.r_a_km[keep], res.v_a_km_s[keep], res.r_b_km[keep], res.v_b_km_s[keep]
    pc = probability_of_collision(r_a, v_a, r_b, v_b, hbr_m=hbr_m)
    return Screened(a, bset, res.ia[keep], res.ib[keep], res.tca_s[keep], res.miss_km[keep], np.asarray(pc, float),
                    r_a, v_a, r_b, v_b, dict(res.stats))
