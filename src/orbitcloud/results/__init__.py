"""Results: the summary of a run and the files written to a results directory (``docs/results.md``)."""

from orbitcloud.results.summary import build_summary
from orbitcloud.results.writer import RESULTS_LAYOUT_VERSION, write_results

__all__ = ["RESULTS_LAYOUT_VERSION", "build_summary", "write_results"]
