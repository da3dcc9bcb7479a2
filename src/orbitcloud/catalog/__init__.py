"""Parameter catalogs shipped as package data: every entry carries a ``source``.

``accelerators``, ``solar_cells``, ``batteries``, ``coatings`` (thermo-optical), ``satellites`` (complete
built-in hardware designs), ``economics`` (defaults of ``orbitcloud size``) and ``service_prices``
(default prices of ``orbitcloud serve``). Files are YAML next to
this module; :func:`load` reads and caches one. :func:`entry` looks a name up and raises ``KeyError``
whose message lists the known names.

Ground stations (``docs/ground.md``, "Shipped station sets"): ``cities-top100.csv`` (the 100 most
populous cities as used by Hypatia, IMC 2020; provenance in ``cities-top100.SOURCE.md``) and
``ground_stations.yaml`` (real sites, each with a ``source``). :func:`station_sets` names the sets a
scenario can use as ``ground.stations: builtin:NAME``; :func:`station_set_names` lists them.
:mod:`orbitcloud.network.ground` turns them into ``Stations``.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

CATALOGS = ("accelerators", "solar_cells", "batteries", "coatings", "satellites", "economics", "service_prices", "solar_activity", "thrusters", "link_terminals")


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


#: The built-in station set read from ``cities-top100.csv``.
CITIES_SET = "cities-top100"
#: The built-in station set holding every entry of ``ground_stations.yaml``.
ALL_SITES_SET = "ground-stations"
CITIES_FILE = "cities-top100.csv"


def ground_station_sites() -> dict[str, Any]:
    """The entries of ``ground_stations.yaml`` (key -> entry with ``id``, ``name``, ``lat_deg``,
    ``lon_deg``, ``elevation_m``, ``operator``, ``sets``, ``source``); do not modify it."""
    return _load("ground_stations")


@functools.lru_cache(maxsize=None)
def station_sets() -> dict[str, tuple[str, ...]]:
    """Built-in station sets: name -> keys of ``ground_stations.yaml`` in file order
    (``()`` for ``cities-top100``, which is the CSV file)."""
    sites = ground_station_sites()
    out: dict[str, list[str]] = {CITIES_SET: [], ALL_SITES_SET: list(sites)}
    for key, site in sites.items():
        for name in site.get("sets", []):
            out.setdefault(str(name), []).append(key)
    return {name: tuple(keys) for name, keys in out.items()}


def station_set_names() -> list[str]:
    """Names of the built-in station sets: ``cities-top100``, ``ground-stations``, then the others sorted."""
    rest = sorted(n for n in station_sets() if n not in (CITIES_SET, ALL_SITES_SET))
    return [CITIES_SET, ALL_SITES_SET, *rest]


def cities_csv():
    """The shipped ``cities-top100.csv`` as an ``importlib.resources`` traversable."""
    return resources.files(__name__).joinpath(CITIES_FILE)
