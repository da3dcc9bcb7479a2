"""Run the golden cases: select quick or full, time each, turn an exception into a failed case."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from orbitcloud.validate.common import SKIP_HINT, Case, Skip, have


def _record(case: Case, full: bool) -> dict[str, Any]:
    base = dict(case=case.name, model=case.model, reference="", source="", tolerance=None, tolerance_unit="",
                error=None, error_unit="", passed=False, status="fail", detail="", series=None, wall_s=0.0)
    missing = [m for m in case.needs if not have(m)]
    if missing:
        base.update(status="skipped", detail=f"{SKIP_HINT} (missing {', '.join(missing)})")
        return base
    t0 = time.perf_counter()
    try:
        got = case.run(full)
        base.update(got)
        base["status"] = "pass" if base["passed"] else "fail"
    except Skip as exc:
        base.update(status="skipped", detail=str(exc) or SKIP_HINT)
    except Exception as exc:  # noqa: BLE001 -- a broken case is a failed case with its message, not a crash of the run
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        base.update(status="fail", passed=False, detail=f"{type(exc).__name__}: {exc} ({tb.filename.rsplit('/', 1)[-1]}:{tb.lineno})")
    base["wall_s"] = round(time.perf_counter() - t0, 3)
    return base


def run_cases(quick: bool, cases: Iterable[Case] | None = None,
              progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Every case (``quick``: those marked quick, in their quick variant); returns the whole result."""
    from orbitcloud import __version__
    from orbitcloud.validate.cases import CASES
    from orbitcloud.validate.common import version

    chosen = [c for c in (CASES if cases is None else cases) if c.quick or not quick]
    t0 = time.perf_counter()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    records = []
    for case in chosen:
        rec = _record(case, full=not quick)
        records.append(rec)
        if progress is not None:
            progress(rec)
    counts = {k: sum(r["status"] == k for r in records) for k in ("pass", "fail", "skipped")}
    tools = {d: version(d) for d in ("sgp4", "skyfield", "skyfield-data", "networkx", "aep8", "pymsis", "numpy")}
    return dict(orbitcloud=__version__, mode="quick" if quick else "full", started_utc=started,
                wall_s=round(time.perf_counter() - t0, 2), counts=counts, tools=tools, cases=records)
