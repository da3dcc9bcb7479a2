"""What each figure of the run summary means: ``orbitcloud explain KEY`` (``results/keys.yaml``).

A summary key is named by its path (``shells[].bus.soc_min``); a shell's keys share the text of the
fleet key of the same name (``bus.soc_min``), and a bare name (``soc_min``) finds every path ending in
it. Keys under a per-station or per-kind mapping are explained by the mapping.
"""

from __future__ import annotations

import functools
from importlib import resources

from orbitcloud.errors import OrbitcloudError


@functools.lru_cache(maxsize=1)
def explanations() -> dict[str, tuple[str, str]]:
    """path -> (unit, meaning)."""
    import yaml

    raw = yaml.safe_load(resources.files("orbitcloud.results").joinpath("keys.yaml").read_text("utf-8"))
    out = {}
    for key, text in raw.items():
        unit, _, meaning = str(text).partition("|")
        out[key] = (unit.strip(), meaning.strip())
    return out


def _canonical(path: str) -> list[str]:
    """The paths whose text explains ``path`` (most specific first)."""
    cands = [path]
    if path.startswith("shells[]."):
        cands.append(path[len("shells[]."):])
    return cands


def explain(path: str) -> tuple[str, str] | None:
    """(unit, meaning) of a summary path, or None."""
    table = explanations()
    for cand in _canonical(path):
        if cand in table:
            return table[cand]
    # an entry of a mapping (per station, per event kind): the mapping's text
    parent = path.rsplit(".", 1)[0] if "." in path else None
    if parent is not None and parent.endswith("[]"):  # a field of a list's items: the list's text
        parent = parent[:-2]
    if parent is not None and parent != path:
        for cand in _canonical(parent):
            if cand in table:
                return table[cand]
    return None


def lookup(query: str) -> list[tuple[str, str, str]]:
    """Every explained key matching ``query`` (a path, a bare name, or part of one): (key, unit, meaning)."""
    q = query.strip()
    if not q:
        raise OrbitcloudError("explain: give a key, e.g. orbitcloud explain soc_min (or --all)")
    table = explanations()
    exact = [k for k in table if k == q or k.endswith("." + q) or k.endswith("]." + q)]
    hits = exact or [k for k in table if q.lower() in k.lower()]
    if not hits:
        import difflib

        names = sorted({k.rsplit(".", 1)[-1] for k in table})
        near = difflib.get_close_matches(q, names, n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise OrbitcloudError(f"explain: no summary key {q!r}{hint} (orbitcloud explain --all lists them)")
    return [(k, *table[k]) for k in hits]
