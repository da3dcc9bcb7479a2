"""The data flow is one-directional (docs/architecture.md): a package imports only from packages
upstream of it, at module level or inside functions (type-checking imports aside)."""

from __future__ import annotations

import ast
import collections
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "orbitcloud"

#: Upstream first; a package may import from its own rank and below (docs/architecture.md).
RANK = {
    "errors": 0, "constants": 0, "timescale": 0, "accel": 0, "atomic": 0, "__version__": 0,
    "catalog": 1,
    "scenario": 2,
    "fleet": 3,
    "ephemeris": 4,
    "environment": 5, "safety": 5,
    "network": 6, "bus": 6, "compute": 6,
    "ops": 7,
    "results": 8,
    "sim": 9,
    "design": 10, "report": 10,
    "netjob": 11, "job": 11, "display": 11, "service": 11, "client": 11, "sweep": 11, "validate": 11,
    "cli": 12, "__init__": 12,
}


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for sub in node.body:
                lines.update(range(sub.lineno, (sub.end_lineno or sub.lineno) + 1))
    return lines


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def import_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = collections.defaultdict(set)
    for f in ROOT.rglob("*.py"):
        rel = f.relative_to(ROOT.parent).with_suffix("")
        module = ".".join(rel.parts)
        src = "__init__" if module == "orbitcloud.__init__" else _package(module)
        tree = ast.parse(f.read_text("utf-8"))
        skip = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "orbitcloud":
                targets = [node.module] if node.module != "orbitcloud" else [f"orbitcloud.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.split(".")[0] == "orbitcloud"]
            else:
                continue
            for t in targets:
                dst = _package(t)
                if dst != src:
                    edges[src].add(dst)
    return edges


def test_every_package_has_a_rank():
    names = {p.stem if p.is_file() else p.name for p in ROOT.iterdir() if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))}
    assert names - set(RANK) == set(), "a new package: give it its place in the data flow (docs/architecture.md)"


def test_imports_flow_downstream_only():
    bad = [(src, dst) for src, dsts in import_edges().items() for dst in dsts
           if RANK[dst] > RANK[src] or (RANK[dst] == RANK[src] and dst != src)]
    assert not bad, f"imports against the data flow (package -> package it must not import): {sorted(bad)}"


def test_the_checker_sees_function_level_imports():
    edges = import_edges()
    assert "results" in edges["sim"]  # Simulation.finish imports the writers inside a function
    assert "sim" not in edges["results"]  # results names sim's types only for type checkers
