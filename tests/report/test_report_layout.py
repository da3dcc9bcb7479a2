"""The layout of ``orbitcloud.report``: no import cycle, data flows one way, no module past 600 lines.

The import graph is read from the source (``ast``), not from ``sys.modules``, so imports inside
functions (the report imports plotly, matplotlib and some of its own modules lazily) count as much
as those at module level. An edge ``a -> b`` is an explicit import of report module ``b`` by ``a``:
``import orbitcloud.report.x``, ``from orbitcloud.report.x import name``, ``from orbitcloud.report
import x`` (``b`` is the submodule ``x`` when one exists, else the package) and their relative forms.
The parent packages Python initialises on the way are not edges: a package ``__init__`` that
re-exports its submodules is the usual shape, and a real cycle through it needs an explicit import
of the package, which is an edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import orbitcloud.report

PACKAGE = "orbitcloud.report"
ROOT = Path(orbitcloud.report.__file__).parent
MAX_LINES = 600

#: Which groups a module of each group may import (docs/architecture.md, "The report"):
#: data -> sections -> page, the PNG figures and the CZML export from data and the leaves only.
GROUPS = {
    "leaf": set(),  # sample, coastlines, common: nothing of the report
    "data": {"leaf", "data"},
    "sections": {"leaf", "data", "sections"},
    "figures": {"leaf", "data"},
    "czml": {"leaf", "data"},
    "page": {"leaf", "data", "sections", "figures"},
    "api": {"page", "czml"},  # orbitcloud.report itself: build_report, write_czml
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([PACKAGE, *parts])] = path
    return out


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Report modules that ``name`` (source ``path``) imports anywhere in its source."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    package = name if _is_package(path) else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = alias.name
                while target and target not in known:  # `import a.b.c` names a.b.c (or a module above it)
                    target = target.rpartition(".")[0]
                if target:
                    out.add(target)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                if sub in known:
                    out.add(sub)
                elif module in known:
                    out.add(module)
    out.discard(name)
    return out


def import_graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {name: _imports(name, path, known) for name, path in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path ``[a, b, ..., a]``, or None when it is acyclic."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def group(name: str) -> str:
    rest = name.removeprefix(PACKAGE).lstrip(".")
    head = rest.split(".")[0]
    if not rest:
        return "api"
    if head in ("sample", "coastlines", "common"):
        return "leaf"
    if head in GROUPS:
        return head
    raise AssertionError(f"{name}: not assigned to a group of the report layout (add it to GROUPS)")


def test_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"y"}, "y": {"y"}}) == ["y", "y"]


def test_graph_sees_imports_inside_functions():
    graph = import_graph()
    # build_report imports the PNG writer inside the function; the API imports the page inside one too
    assert f"{PACKAGE}.figures" in graph[f"{PACKAGE}.page"]
    assert f"{PACKAGE}.page" in graph[PACKAGE]
    assert f"{PACKAGE}.sections.fleet" in graph[f"{PACKAGE}.page"]  # `from ...sections import fleet`
    assert f"{PACKAGE}.sample" in graph[f"{PACKAGE}.data.snapshot"]  # inside fleet_snapshot
    assert f"{PACKAGE}.coastlines" in graph[f"{PACKAGE}.figures"]


def test_no_import_cycle_in_the_report():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle in orbitcloud.report: " + " -> ".join(cycle)


def test_no_module_imports_a_module_that_imports_it_back():
    graph = import_graph()
    pairs = sorted((a, b) for a, deps in graph.items() for b in deps if a in graph.get(b, ()))
    assert not pairs, f"modules importing each other: {pairs}"


def test_data_flows_one_way():
    bad = []
    for name, deps in import_graph().items():
        for dep in deps:
            if group(dep) not in GROUPS[group(name)]:
                bad.append(f"{name} ({group(name)}) imports {dep} ({group(dep)})")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("name", sorted(_modules()))
def test_module_size(name):
    lines = len(_modules()[name].read_text("utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name}: {lines} lines (at most {MAX_LINES}; split it by idea)"
