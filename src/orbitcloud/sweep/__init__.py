"""Sweeps, Monte Carlo and sensitivity over scenarios: ``orbitcloud sweep SPEC.yaml --out DIR``.

The spec (:mod:`orbitcloud.sweep.spec`) names a base scenario, parameters addressed by dotted key paths
into it, replicates, a design (values, Monte Carlo ranges, Sobol or Morris) and the summary keys to
collect. :mod:`orbitcloud.sweep.cases` turns it into cases, each a full scenario document with its own
derived seed and a content hash; :mod:`orbitcloud.sweep.runner` runs them on a local process pool or
on Ray, retries failures, resumes, and writes ``cases.parquet``; :mod:`orbitcloud.sweep.analysis`
computes Sobol / Morris indices and Monte Carlo summaries (SALib); :mod:`orbitcloud.sweep.report` the
offline ``sweep_report.html``. Guide: ``docs/sweeps.md``.
"""

from __future__ import annotations

__all__ = ["run_sweep"]


def run_sweep(*args, **kwargs):
    """:func:`orbitcloud.sweep.runner.run_sweep` (imported lazily)."""
    from orbitcloud.sweep.runner import run_sweep as _run

    return _run(*args, **kwargs)
