"""Bookkeeping of ``orbitcloud size``: the assumption table and the helpers that build the JSON result.

:class:`_Assumptions` records the value, unit and source of every input and default the sizing uses
(the output's ``assumptions``); :func:`_cat_src` and :func:`_econ_src` quote the ``source`` of a catalog
entry (``catalog/*.yaml``, ``catalog/economics.yaml``); :func:`_set` reads what a built-in design states
explicitly; :func:`_schema_default` reads a hardware-schema default (``scenario/hardware.py``,
``docs/scenario.md``); :func:`_finite` makes the result JSON-ready (non-finite floats -> ``None``).
Split out of :mod:`orbitcloud.design.sizing`, which re-exports every name.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from orbitcloud import catalog
from orbitcloud.design.defaults import SRC_INPUT


class _Assumptions:
    """Collects the value, unit and source of every input and default used."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def add(self, name: str, value: Any, unit: str, source: str) -> Any:
        self.rows[name] = {"name": name, "value": value, "unit": unit, "source": source}
        return value

    def pick(self, name: str, given: Any, unit: str, *fallbacks: tuple[Any, str]) -> Any:
        """The given input, else the first fallback ``(value, source)`` that is not None."""
        if given is not None:
            return self.add(name, given, unit, SRC_INPUT)
        for value, source in fallbacks:
            if value is not None:
                return self.add(name, value, unit, source)
        raise AssertionError(f"no default for {name}")  # pragma: no cover - programming error

    def econ(self, name: str, given: Any, unit: str, key: str | None = None) -> float:
        key = key or name
        return self.pick(name, given, unit, (catalog.default(key), _econ_src(key)))


def _cat_src(cat: str, name: str) -> str:
    return f"catalog/{cat}.yaml {name}: {catalog.entry(cat, name)['source']}"


def _econ_src(key: str) -> str:
    return f"catalog/economics.yaml {key}: {catalog.load('economics')[key]['source']}"


def _set(spec: Any, field: str) -> Any:
    """The value of ``field`` if the design states it explicitly (not a schema default), else None."""
    if spec is None or field not in spec.model_fields_set:
        return None
    return getattr(spec, field)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, (np.floating,)):
        return _finite(float(value))
    return value


def _schema_default(model: str, field: str) -> Any:
    from orbitcloud.scenario import hardware

    return getattr(hardware, model).model_fields[field].default
