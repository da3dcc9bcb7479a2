"""The sections of the report page, one module each; each builds its part from
:class:`orbitcloud.report.data.gather.ReportData` and returns plotly figures and HTML in a
:class:`~orbitcloud.report.sections.base.Section`, which :mod:`orbitcloud.report.page` assembles.

========================  ==========================================================
module                    draws
========================  ==========================================================
``header``                header, key numbers, shells table, findings, what is not shown
``fleet``                 "Fleet at one time": ``globe`` (3D) and ``groundtrack`` (map)
``timelines``             power, state of charge, temperatures, compute, throttling
``eclipses``              eclipse calendar per shell
``network``               RTT timeline, contact Gantt chart, satellites in view, downlink
``ttc``                   TT&C: contact plan per antenna, command latency, telemetry age, alarms
``faults``                fault events and cumulative counts
``workloads``             latency CDFs, requests, throughput, training, Earth observation
``base``                  :class:`Section`, the plotly layout, HTML tables (shared)
========================  ==========================================================

Sections import :mod:`orbitcloud.report.data`, :mod:`orbitcloud.report.common`,
:mod:`orbitcloud.report.sample` and ``base``; never the page, and never another section (except
``fleet``, which places ``globe`` and ``groundtrack``).
"""
