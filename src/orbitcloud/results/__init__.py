"""Results: the files of a results directory (``docs/results.md``) and the :class:`Result` of a run.

The format layer: writers (atomic), readers and :class:`Result`, which gives a run's tables from
memory or from a results directory alike. It takes plain arrays and dicts (the shapes that
``orbitcloud.sim`` produces) and imports nothing from ``sim``; the :class:`~orbitcloud.sim.Simulation`
writes through it.
"""

from orbitcloud.results.writer import RESULTS_LAYOUT_VERSION, write_results

__all__ = ["RESULTS_LAYOUT_VERSION", "write_results"]
