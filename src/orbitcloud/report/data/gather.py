"""Everything one report draws, read and computed once from a results directory, and shared by
the HTML page (:mod:`orbitcloud.report.page`) and the PNG figures (:mod:`orbitcloud.report.figures`)."""

from __future__ import annotations

import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.report.data.network import rtt_series
from orbitcloud.report.data.run import RunDir
from orbitcloud.report.data.snapshot import COLORS, default_time_s, fleet_snapshot
from orbitcloud.report.data.tables import eclipse_calendar, load_contacts, load_faults
from orbitcloud.report.data.timeline import load_timeline
from orbitcloud.report.data.ttc import load_ttc
from orbitcloud.report.data.workloads import load_requests, load_workload_timeline
from orbitcloud.report.sample import DEFAULT_REPORT_SAMPLE, Sample, sample_satellites


def check_options(color: str, sample: int | None) -> None:
    """Refuse a bad ``--color`` or ``--sample`` before anything is read."""
    if color not in COLORS:
        raise OrbitcloudError(f"--color: {color!r} is not one of {', '.join(COLORS)}")
    if sample is not None and sample < 1:
        raise OrbitcloudError(f"--sample: must be at least 1, got {sample}")


def report_sample(run: RunDir, sample: int | None) -> Sample:
    """The satellites drawn on the globe and map (:func:`orbitcloud.report.sample.sample_satellites`)."""
    counts = np.array([int(s["satellites"]) for s in run.summary["shells"]], dtype=np.int64)
    return sample_satellites(counts, DEFAULT_REPORT_SAMPLE if sample is None else sample)


class ReportData:
    """Everything the report draws, computed once and shared by the HTML page and the PNG figures."""

    def __init__(self, run: RunDir, t_s: float | None, color: str, sample: int | None) -> None:
        self.run = run
        self.sample = report_sample(run, sample)
        self.t_s = default_time_s(run) if t_s is None else t_s
        self.color = color
        if color != "illumination" and run.file("timeseries.parquet") is None:
            raise OrbitcloudError(
                f"--color {color}: needs timeseries.parquet in {run.path} (run with --out DIR --record 10min)"
            )
        if color != "illumination" and not run.has_hardware.any():
            raise OrbitcloudError(f"--color {color}: no shell of this run has hardware; use --color illumination")
        self.snapshot = fleet_snapshot(run, self.t_s, color, self.sample)
        self.names = run.fleet.names(self.sample.index)
        self.timeline = load_timeline(run)
        self.calendar = eclipse_calendar(run)
        self.contacts = load_contacts(run)
        self.faults = load_faults(run)
        self.rtt = rtt_series(run) if run.network_config else None
        self.requests = load_requests(run)
        self.workload_timeline = load_workload_timeline(run)
        self.ttc = load_ttc(run)
