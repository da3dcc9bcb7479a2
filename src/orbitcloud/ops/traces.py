"""LLM request arrivals: a reader and replay of the Azure LLM inference traces, and a generator fitted to them.

A request is an arrival time and two token counts: the context (prompt) tokens and the generated
(output) tokens. Two sources:

* **replay** of a trace file (``read_azure_trace`` then ``replay``), for users who have the files;
* a **fitted generator** (``trace_model`` then ``TraceModel.sample``) whose parameters are shipped in
  ``catalog/llm_traces.yaml``; they are the output of ``fit_trace`` on the Azure files (the shared-data
  test re-fits and compares; ``benchmarks/fit_traces.py`` prints the catalog block).

The generator is a renewal process with independent (request-level) token lengths:

* inter-arrival times: a mixture of K gamma distributions (K = 1 is a plain gamma; shape 1 phases make a
  hyperexponential), fitted by maximum likelihood with the EM algorithm; the mean is matched exactly and
  the variance is then matched by the shape of the longest-mean component (two-moment matching, the
  quantities that set queueing delay in Kingman's / Whitt's approximations);
* token lengths: a mixture of bivariate normals in ``(ln in, ln out)`` (a bivariate log-normal mixture),
  fitted by EM; samples are ``round(exp(.))`` clipped to the trace's observed range.

K of each part is the smallest for which the Kolmogorov-Smirnov distance between the fitted marginal
and the data is at most ``KS_TARGET`` (details and measured numbers: ``docs/traces.md``).

Sources:

* Data: Patel et al., "Splitwise: Efficient generative LLM inference using phase splitting", ISCA 2024
  (arXiv 2311.18677); Azure LLM inference traces 2023 (github.com/Azure/AzurePublicDataset,
  AzureLLMInferenceDataset2023), licensed CC-BY 4.0 (attribution in the docs and catalog ``source``).
* EM: Dempster, Laird & Rubin, J. R. Stat. Soc. B 39 (1977) 1; mixtures: McLachlan & Peel, "Finite
  Mixture Models", Wiley 2000. Gamma shape M-step: Minka, "Estimating a Gamma distribution" (2002).
* Two-moment characterisation of arrival processes: Whitt, "The Queueing Network Analyzer", Bell Syst.
  Tech. J. 62 (1983) 2779; Kingman, Proc. Camb. Phil. Soc. 57 (1961) 902.
* Counter-based random numbers (Philox): Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
  SC'11.

Determinism. ``TraceModel.sample`` draws requests in blocks of ``BLOCK`` requests; block b uses a NumPy
``Generator(Philox)`` keyed by ``SeedSequence((seed, stream, b, tag))`` and nothing else, so the result
is a pure function of (seed, stream, duration, rate), a longer duration extends a shorter one, and
request j has the same token counts at any rate.

Layout: :mod:`orbitcloud.ops.trace_requests` (``Requests``, ``TraceError``, the reader and replay),
:mod:`orbitcloud.ops.trace_generator` (``TraceModel``: moments, sampling, (de)serialisation) and
:mod:`orbitcloud.ops.trace_fit` (``fit_trace``, ``trace_summary``); this module loads the shipped
catalog of fitted models (``trace_model``, ``trace_catalog``) and re-exports the names of the three.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from orbitcloud.ops.trace_fit import (  # re-exported
    EM_MAX_ITER,  # noqa: F401
    EM_TOL,  # noqa: F401
    GAP_FLOOR_S,  # noqa: F401
    KS_TARGET,
    MAX_GAP_COMPONENTS,  # noqa: F401
    MAX_TOKEN_COMPONENTS,  # noqa: F401
    VAR_FLOOR_LN,  # noqa: F401
    fit_trace,
    trace_summary,
)
from orbitcloud.ops.trace_generator import (  # re-exported
    BLOCK,
    MAX_REQUESTS,
    TraceModel,
)
from orbitcloud.ops.trace_requests import (  # re-exported
    Requests,
    TraceError,
    read_azure_trace,
    replay,
)

__all__ = [
    "BLOCK",
    "KS_TARGET",
    "MAX_REQUESTS",
    "Requests",
    "TraceError",
    "TraceModel",
    "fit_trace",
    "read_azure_trace",
    "replay",
    "trace_catalog",
    "trace_model",
    "trace_summary",
]


# --------------------------------------------------------------------------------------------------
# catalog
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _catalog() -> dict[str, Any]:
    import yaml

    text = resources.files("orbitcloud.catalog").joinpath("llm_traces.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    for key, value in data.items():
        if not isinstance(value, dict) or not value.get("source"):
            raise RuntimeError(f"catalog llm_traces.yaml: entry {key!r} has no source")  # packaging bug
    return data


def trace_catalog() -> dict[str, Any]:
    """``catalog/llm_traces.yaml`` as a mapping of model name to entry (do not modify it)."""
    return _catalog()


@functools.lru_cache(maxsize=None)
def trace_model(name: str) -> TraceModel:
    """A shipped fitted model: ``"azure-conv"`` or ``"azure-code"`` (``TraceError`` lists the names)."""
    data = _catalog()
    if name not in data:
        raise TraceError(f"unknown trace model {name!r}; known: {', '.join(sorted(data))}")
    return TraceModel.from_dict(data[name], name=name)
