"""From a sweep spec to cases: design points, scenario documents, derived seeds and content hashes.

A *case* is one design point (an assignment of every parameter) run ``replicates`` times; each run
is a :class:`Case` with the scenario document as YAML text, its seed and ``key``, the SHA-256 of the
document and the run options (what ``--resume`` matches). The seed of run ``(i, r)`` is derived from
the sweep seed, ``i`` and ``r`` alone (SHA-256), so results do not depend on the executor, the order
of execution or the worker count. Everything is checked before any case runs: every distinct
document is parsed and validated, and a rejected value names its parameter.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import itertools
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.sweep.spec import MAX_CASES, SweepSpec

__all__ = ["Case", "Plan", "plan_cases", "case_seed", "set_path"]

#: Monte Carlo draws when no parameter says ``samples``.
DEFAULT_SAMPLES = 16


@dataclasses.dataclass(frozen=True)
class Case:
    index: int
    replicate: int
    seed: int
    values: dict[str, Any]
    text: str  # the scenario document (YAML)
    key: str  # content hash of the document and the run options


@dataclasses.dataclass
class Plan:
    """All the runs of a sweep and what the analysis needs."""

    spec: SweepSpec
    cases: list[Case]
    method: str
    names: list[str]  # parameter names in spec order
    problem: dict | None  # SALib problem of the ranged parameters (sobol, morris)
    x: np.ndarray | None  # (n_points, n_ranged) design matrix of the ranged parameters
    base_label: str
    base_dir: Path | None
    options: dict[str, Any]


def case_seed(sweep_seed: int, index: int, replicate: int) -> int:
    """The scenario seed of run ``(index, replicate)``: 31 bits of SHA-256 of the three numbers."""
    h = hashlib.sha256(f"orbitcloud-sweep:{int(sweep_seed)}:{int(index)}:{int(replicate)}".encode()).digest()
    return int.from_bytes(h[:8], "big") % (2**31 - 1)


def _base_document(spec: SweepSpec, spec_dir: Path | None) -> tuple[dict, str, Path | None]:
    import yaml

    base = spec.base
    looks_like_path = base.endswith((".yaml", ".yml")) or "/" in base
    if looks_like_path:
        path = Path(base)
        if not path.is_absolute() and spec_dir is not None:
            path = spec_dir / path
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise OrbitcloudError(f"base: cannot read the scenario file {path} ({exc.strerror or exc})") from None
        label, base_dir = str(path), path.resolve().parent
    else:
        f = resources.files("orbitcloud.scenario.builtin").joinpath(f"{base}.yaml")
        if not f.is_file():
            from orbitcloud.scenario.load import builtin_text

            builtin_text(base)  # raises the usual error listing the built-in names
        text, label, base_dir = f.read_text("utf-8"), f"builtin:{base}", None
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        raise OrbitcloudError(f"base: {label} is not a scenario mapping")
    return doc, label, base_dir


def set_path(doc: dict, path: str, value: Any, where: str) -> None:
    """Set ``doc`` at the dotted key path (list items by index). A shell's ``hardware`` given by
    name becomes ``{base: NAME}`` so its keys can be set. Missing mapping keys are created (the
    scenario's validation then names unknown ones); a missing list index is an error here."""
    parts = path.split(".")
    node: Any = doc
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        at = ".".join(parts[: i + 1])
        if isinstance(node, list):
            if not re.fullmatch(r"\d+", part):
                raise OrbitcloudError(f"{where}: {at}: {'.'.join(parts[:i]) or 'the document'} is a list; index it by number")
            k = int(part)
            if k >= len(node):
                raise OrbitcloudError(f"{where}: {at}: the base has {len(node)} item(s) there (indices 0..{len(node) - 1})")
            if last:
                node[k] = value
                return
            node = node[k]
        elif isinstance(node, dict):
            if last:
                node[part] = value
                return
            nxt = node.get(part)
            if isinstance(nxt, str) and part == "hardware":
                nxt = node[part] = {"base": nxt}
            elif nxt is None:
                nxt = node[part] = {}
            elif not isinstance(nxt, (dict, list)):
                raise OrbitcloudError(f"{where}: {at} is a value ({nxt!r}), not a section with keys")
            node = nxt
        else:  # pragma: no cover - guarded above
            raise OrbitcloudError(f"{where}: {at}: cannot go into {node!r}")


def _draw(p, n: int, rng: np.random.Generator) -> np.ndarray:
    lo, hi = p.range
    if p.dist == "uniform":
        return lo + (hi - lo) * rng.random(n)
    if p.dist == "normal":
        return lo + hi * rng.standard_normal(n)
    if p.dist == "loguniform":
        return np.exp(np.log(lo) + (np.log(hi) - np.log(lo)) * rng.random(n))
    return rng.triangular(lo, 0.5 * (lo + hi), hi, n)


def _points(spec: SweepSpec) -> tuple[list[dict[str, Any]], dict | None, np.ndarray | None]:
    """Design points (parameter -> value) in a fixed order, the SALib problem and the design matrix."""
    names = list(spec.parameters)
    grid = [n for n in names if spec.parameters[n].values is not None]
    ranged = [n for n in names if spec.parameters[n].range is not None]
    method = spec.method
    problem = x = None
    if ranged:
        if method in ("sobol", "morris"):
            from orbitcloud.sweep import analysis

            for n in ranged:
                if spec.parameters[n].dist not in ("uniform", "normal"):
                    raise OrbitcloudError(f"parameters.{n}: dist {spec.parameters[n].dist} is not supported by a "
                                          f"{method} design (uniform or normal)")
            problem = analysis.problem(ranged, [tuple(spec.parameters[n].range) for n in ranged],
                                       ["unif" if spec.parameters[n].dist == "uniform" else "norm" for n in ranged])
            if method == "sobol":
                x = analysis.sobol_design(problem, spec.design.n, spec.seed)
            else:
                x = analysis.morris_design(problem, spec.design.trajectories, spec.design.levels, spec.seed)
        else:
            counts = {spec.parameters[n].samples for n in ranged} - {None}
            if len(counts) > 1:
                raise OrbitcloudError(f"parameters: the ranged parameters ask for different samples ({sorted(counts)}); "
                                      "Monte Carlo draws one joint sample: give the same number")
            n = counts.pop() if counts else DEFAULT_SAMPLES
            rng = np.random.default_rng(np.random.SeedSequence([int(spec.seed), 0x5EEB]))
            x = np.stack([_draw(spec.parameters[name], n, rng) for name in ranged], axis=1)
    combos = list(itertools.product(*(spec.parameters[n].values for n in grid))) if grid else [()]
    rows = x if x is not None else np.zeros((1, 0))
    points = []
    for combo in combos:
        for row in rows:
            v = dict(zip(grid, combo))
            v.update({n: float(row[j]) for j, n in enumerate(ranged)})
            points.append({n: v[n] for n in names})
    return points, problem, x


def _check(text: str, label: str, base_dir: Path | None, values: dict[str, Any], where: str) -> None:
    from orbitcloud.errors import ScenarioError
    from orbitcloud.scenario.load import parse_scenario

    try:
        parse_scenario(text, label=label, base_dir=base_dir)
    except ScenarioError as exc:
        msg = str(exc)
        named = [n for n in values if re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", n) in msg or n in msg]
        who = ", ".join(f"{n} = {values[n]!r}" for n in (named or values))
        raise OrbitcloudError(f"{where}: parameters {who}: the scenario rejects it: {msg}") from None


def plan_cases(spec: SweepSpec, spec_dir: Path | None, label: str = "sweep") -> Plan:
    """Every run of the sweep, checked (see the module docstring)."""
    import yaml

    doc, base_label, base_dir = _base_document(spec, spec_dir)
    points, problem, x = _points(spec)
    total = len(points) * spec.replicates
    if total == 0:
        raise OrbitcloudError(f"{label}: the design gives no cases")
    if total > MAX_CASES:
        raise OrbitcloudError(f"{label}: {total:,} runs ({len(points):,} cases x {spec.replicates} replicates); "
                              f"at most {MAX_CASES:,}")
    options = dict(spec.options)
    opts_text = json.dumps(options, sort_keys=True, default=str)
    cases = []
    checked: set[str] = set()
    for i, values in enumerate(points):
        d = copy.deepcopy(doc)
        for name, value in values.items():
            set_path(d, name, value, f"{label}: parameters.{name}")
        for r in range(spec.replicates):
            seed = case_seed(spec.seed, i, r)
            d["seed"] = seed
            text = yaml.safe_dump(d, sort_keys=False)
            shape = yaml.safe_dump({**d, "seed": 0}, sort_keys=True)
            if shape not in checked:  # replicates differ only in the seed
                _check(text, f"{base_label} (sweep case {i})", base_dir, values, label)
                checked.add(shape)
            key = hashlib.sha256((text + "\n" + opts_text).encode()).hexdigest()
            cases.append(Case(i, r, seed, values, text, key))
    return Plan(spec, cases, spec.method, list(spec.parameters), problem, x, base_label, base_dir, options)
