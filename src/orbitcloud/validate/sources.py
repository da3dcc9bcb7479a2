"""``orbitcloud sources``: every entry of every catalog (``src/orbitcloud/catalog/*.yaml``, read as raw
YAML, so that a file no loader checks is listed too) with its numbers and its ``source``."""

from __future__ import annotations

from importlib import resources
from typing import Any

from orbitcloud.errors import OrbitcloudError

#: Numbers shown in the table per entry (all of them are in ``--json``).
TABLE_NUMBERS = 6


def catalog_names() -> list[str]:
    d = resources.files("orbitcloud.catalog")
    return sorted(p.name[: -len(".yaml")] for p in d.iterdir() if p.name.endswith(".yaml"))


def _raw(name: str) -> Any:
    import yaml

    return yaml.safe_load(resources.files("orbitcloud.catalog").joinpath(f"{name}.yaml").read_text("utf-8"))


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):  # YAML 1.1 reads 989.0e12 (no exponent sign) as text
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _numbers(entry: dict, prefix: str = "") -> dict[str, float]:
    """Scalar numbers of an entry, nested mappings as ``a.b`` (lists and sub-entries with their own source skipped)."""
    out: dict[str, float] = {}
    nested: dict[str, float] = {}  # shown after the entry's own scalars
    for k, v in entry.items():
        if isinstance(v, dict):
            if "source" not in v:
                nested.update(_numbers(v, f"{prefix}{k}."))
            continue
        x = _number(v)
        if x is not None:
            out[f"{prefix}{k}"] = x
    out.update(nested)
    return out


def _other_sources(entry: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in entry.items():
        if isinstance(k, str) and k.endswith("_source") and isinstance(v, str):
            out[f"{prefix}{k}"] = v
        elif isinstance(v, dict) and k != "source":
            for kk, vv in _other_sources(v, f"{prefix}{k}.").items():
                out[kk] = vv
    return out


def _walk(catalog: str, data: Any, prefix: str = "") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if not isinstance(data, dict):
        return rows
    for key, value in data.items():
        if not isinstance(value, dict):
            continue
        if "source" in value:
            rows.append(dict(catalog=catalog, entry=f"{prefix}{key}", label=str(value.get("label", value.get("name", ""))),
                             numbers=_numbers(value), source=str(value["source"]), other_sources=_other_sources(value)))
            for sub_key, sub in value.items():  # containers: entries inside an entry, each with a source
                if isinstance(sub, dict) and sub and all(isinstance(x, dict) and "source" in x for x in sub.values()):
                    rows.extend(_walk(catalog, sub, f"{prefix}{key}.{sub_key}."))
        else:  # a section grouping entries (eo_sensors: sensors, filters)
            rows.extend(_walk(catalog, value, f"{prefix}{key}."))
    return rows


def source_rows(catalog: str | None = None) -> list[dict[str, Any]]:
    """One row per catalog entry: catalog, entry, label, numbers, source, other ``*_source`` texts."""
    known = catalog_names()
    if catalog is not None and catalog not in known:
        raise OrbitcloudError(f"sources: unknown catalog {catalog!r}; catalogs are {', '.join(known)}")
    rows: list[dict[str, Any]] = []
    for name in [catalog] if catalog else known:
        rows.extend(_walk(name, _raw(name)))
    return rows


def numbers_text(numbers: dict[str, float], limit: int = TABLE_NUMBERS) -> str:
    items = [f"{k} {v:.4g}" for k, v in list(numbers.items())[:limit]]
    if len(numbers) > limit:
        items.append(f"... ({len(numbers) - limit} more in --json)")
    return ", ".join(items)
