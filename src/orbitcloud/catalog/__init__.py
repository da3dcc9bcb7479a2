"""Parameter catalogs shipped as package data: every entry carries a ``source``.

``accelerators``, ``solar_cells``, ``batteries``, ``coatings`` (thermo-optical), ``satellites`` (complete
built-in hardware designs) and ``economics`` (defaults of ``orbitcloud size``). Files are YAML next to
this module; :func:`load` reads and caches one. :func:`entry` looks a name up and raises ``KeyError``
whose message lists the known names.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

CATALOGS = ("accelerators", "solar_cells", "batteries", "coatings", "satellites", "economics")


@functools.lru_cache(maxsize=None)
def _load(name: str) -> dict[str, Any]:
    import yaml

    text = resources.files(__name__).joinpath(f"{name}.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    for key, value in data.items():
        if not isinstance(value, dict) or not value.get("source"):
            raise RuntimeError(f"catalog {name}.yaml: entry {key!r} has no source")  # packaging bug
    return data


def load(name: str) -> dict[str, Any]:
    """The catalog ``name`` as a mapping of entry name to entry (do not modify it)."""
    if name not in CATALOGS:
        raise ValueError(f"unknown catalog {name!r}; catalogs are {', '.join(CATALOGS)}")
    return _load(name)


def names(name: str) -> list[str]:
    return sorted(load(name))


def entry(catalog: str, key: str) -> dict[str, Any]:
    """One entry; ``KeyError`` with a message listing the known entries if ``key`` is not there."""
    data = load(catalog)
    if key not in data:
        singular = {"accelerators": "accelerator", "solar_cells": "solar cell", "batteries": "battery technology",
                    "coatings": "radiator coating", "satellites": "satellite design"}.get(catalog, catalog)
        raise KeyError(f"unknown {singular} {key!r}; known: {', '.join(sorted(data))}")
    return data[key]


def default(key: str) -> float:
    """A default number of ``orbitcloud size`` (economics catalog)."""
    return float(load("economics")[key]["value"])
