"""What the report reads from a results directory and computes from it, one module per kind of data.

* :mod:`~orbitcloud.report.data.run` — :class:`RunDir` (summary, scenario, the fleet rebuilt and
  propagated with the run's own propagator), :func:`open_run`;
* :mod:`~orbitcloud.report.data.timeline` — fleet sums and percentile bands from ``timeseries.parquet``;
* :mod:`~orbitcloud.report.data.tables` — eclipse calendar, contact windows, fault events;
* :mod:`~orbitcloud.report.data.network` — links at one time, RTT over the run;
* :mod:`~orbitcloud.report.data.workloads` — ``requests.parquet``, ``workload_timeline.parquet``;
* :mod:`~orbitcloud.report.data.snapshot` — the drawn satellites at one time (globe and map);
* :mod:`~orbitcloud.report.data.gather` — :class:`ReportData`, all of the above for one report.

This package is the bottom of the report: its modules import nothing else of
``orbitcloud.report`` but :mod:`orbitcloud.report.sample`. This ``__init__`` only re-exports
them (``from orbitcloud.report import data as D``); modules of the report import the submodules.
"""

from __future__ import annotations

from orbitcloud.report.data.gather import ReportData, check_options, report_sample
from orbitcloud.report.data.network import (
    NETWORK_MAX_SATELLITES,
    RTT_MAX_SAMPLES,
    RTT_SAT_STEPS,
    LinksAt,
    RttSeries,
    links_at,
    network_setup,
    rtt_series,
)
from orbitcloud.report.data.run import SUMMARY, RunDir, iso_utc, open_run
from orbitcloud.report.data.snapshot import (
    COLORS,
    TRACKS,
    FleetSnapshot,
    break_antimeridian,
    default_time_s,
    fleet_snapshot,
)
from orbitcloud.report.data.tables import (
    ContactTable,
    EclipseCalendar,
    FaultLog,
    eclipse_calendar,
    interval_counts,
    load_contacts,
    load_faults,
)
from orbitcloud.report.data.timeline import (
    BAND_PERCENTILES,
    Timeline,
    group_quantiles,
    load_timeline,
    record_times_s,
    values_at,
)
from orbitcloud.report.data.workloads import (
    EO_FLOWS,
    LATENCY_COLUMNS,
    REQUEST_STATUSES,
    column,
    ecdf_points,
    load_requests,
    load_workload_timeline,
)

__all__ = [
    "BAND_PERCENTILES",
    "COLORS",
    "EO_FLOWS",
    "LATENCY_COLUMNS",
    "NETWORK_MAX_SATELLITES",
    "REQUEST_STATUSES",
    "RTT_MAX_SAMPLES",
    "RTT_SAT_STEPS",
    "SUMMARY",
    "TRACKS",
    "ContactTable",
    "EclipseCalendar",
    "FaultLog",
    "FleetSnapshot",
    "LinksAt",
    "ReportData",
    "RttSeries",
    "RunDir",
    "Timeline",
    "break_antimeridian",
    "check_options",
    "column",
    "default_time_s",
    "ecdf_points",
    "eclipse_calendar",
    "fleet_snapshot",
    "group_quantiles",
    "interval_counts",
    "iso_utc",
    "links_at",
    "load_contacts",
    "load_faults",
    "load_requests",
    "load_timeline",
    "load_workload_timeline",
    "network_setup",
    "open_run",
    "record_times_s",
    "report_sample",
    "rtt_series",
    "values_at",
]
