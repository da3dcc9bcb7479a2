"""The ``workloads.earth_observation:`` section of a scenario (pydantic), and the EO preset catalog.

Quantities keep the unit of the YAML key (``swath_km``, ``gsd_m``, ``storage_gb``); the workload model
(:mod:`orbitcloud.ops.eo`) resolves the section and the presets of ``catalog/eo_sensors.yaml`` into SI
(:func:`orbitcloud.ops.eo.eo_params`). Keys (``docs/earth_observation.md``):

``sensor``
    a sensor preset (``planet-dove``, ``sentinel-2-msi``, ``three-body``); ``swath_km``,
    ``frame_length_km``, ``gsd_m``, ``bands``, ``bits_per_sample``, ``storage_gb``, ``targets`` and
    ``min_sun_elevation_deg`` override the preset one by one.
``filter``
    ``none`` (keep every frame raw), a filter preset name (``cloudscout``, ``three-body-semantic``), or
    a mapping: ``{preset: NAME, ...overrides}`` or a complete ``{kind: cloud|semantic, ...}``.
``shells``
    names of the constellation shells whose satellites image (default: every satellite).
``relay``
    kept data may be relayed over ISLs to a satellite in ground contact (default true; needs ISLs).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, model_validator

from orbitcloud.errors import ScenarioError
from orbitcloud.scenario.base import Num, ScenarioModel

__all__ = [
    "EarthObservation",
    "EOFilter",
    "eo_catalog",
    "sensor_names",
    "filter_names",
    "parse_earth_observation",
    "SECTION",
]

#: Key path of the section in a scenario document (used in messages).
SECTION = "workloads.earth_observation"
#: Filter names that are not presets.
NO_FILTER = "none"
#: Catalog keys that document an entry (not parameters).
_DOC_KEYS = ("label", "source", "assumptions")


_Model = ScenarioModel


@functools.lru_cache(maxsize=None)
def eo_catalog() -> dict[str, dict[str, Any]]:
    """``catalog/eo_sensors.yaml``: ``{"sensors": {...}, "filters": {...}}`` (do not modify it)."""
    import yaml

    text = resources.files("orbitcloud.catalog").joinpath("eo_sensors.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    for section in ("sensors", "filters"):
        for key, value in data[section].items():
            if not isinstance(value, dict) or not value.get("source"):
                raise RuntimeError(f"catalog eo_sensors.yaml: {section}.{key} has no source")  # packaging bug
    return data


def sensor_names() -> list[str]:
    return sorted(eo_catalog()["sensors"])


def filter_names() -> list[str]:
    return sorted(eo_catalog()["filters"])


class EOFilter(_Model):
    """The onboard model that keeps or discards frames (a preset with overrides, or complete)."""

    preset: str | None = None
    kind: Literal["none", "cloud", "semantic"] | None = None
    cloud_threshold: Num | None = Field(default=None, gt=0.0, le=1.0)
    accuracy: Num | None = Field(default=None, ge=0.0, le=1.0)
    false_positive: Num | None = Field(default=None, ge=0.0, le=1.0)
    eval_cloudy_fraction: Num | None = Field(default=None, gt=0.0, lt=1.0)
    product_bits_per_pixel: Num | None = Field(default=None, gt=0.0)
    product_ratio: Num | None = Field(default=None, gt=0.0, le=1.0)
    ops_per_pixel: Num | None = Field(default=None, ge=0.0)
    precision: str | None = None
    power_w: Num | None = Field(default=None, ge=0.0)

    @model_validator(mode="after")
    def _check(self) -> "EOFilter":
        if self.preset is not None and self.preset not in eo_catalog()["filters"]:
            raise ValueError(f"unknown filter preset {self.preset!r}; known: {NO_FILTER}, {', '.join(filter_names())}")
        if self.preset is None and self.kind is None:
            raise ValueError("give a filter preset or a kind (none, cloud or semantic)")
        if self.product_bits_per_pixel is not None and self.product_ratio is not None:
            raise ValueError("give product_bits_per_pixel or product_ratio, not both")
        if self.accuracy is not None and self.false_positive is not None and self.accuracy + self.false_positive > 1.0:
            raise ValueError(
                f"accuracy {self.accuracy:g} + false_positive {self.false_positive:g} exceeds 1 "
                "(both are fractions of the same evaluated frames)"
            )
        return self

    def resolved(self) -> dict[str, Any]:
        """The preset entry (if any) with this mapping's keys laid over it (catalog keys only)."""
        base: dict[str, Any] = {}
        if self.preset is not None:
            base = {k: v for k, v in eo_catalog()["filters"][self.preset].items() if k not in _DOC_KEYS}
        over = self.model_dump(exclude_none=True, exclude={"preset"})
        return {**base, **over}


def _filter_value(value: object) -> object:
    """``filter: none`` and ``filter: PRESET`` are shorthands of ``{kind: none}`` and ``{preset: PRESET}``."""
    if isinstance(value, str):
        return {"kind": "none"} if value == NO_FILTER else {"preset": value}
    return value


FilterField = Annotated[EOFilter, BeforeValidator(_filter_value)]


class EarthObservation(_Model):
    """``workloads.earth_observation``: imaging satellites, their sensor, onboard filter and storage."""

    sensor: str = "planet-dove"
    shells: list[str] | None = Field(default=None, min_length=1)
    swath_km: Num | None = Field(default=None, gt=0.0, le=5000.0)
    frame_length_km: Num | None = Field(default=None, gt=0.0, le=5000.0)
    gsd_m: Num | None = Field(default=None, gt=0.0, le=100_000.0)
    bands: Num | None = Field(default=None, gt=0.0, le=10_000.0)
    bits_per_sample: int | None = Field(default=None, ge=1, le=64)
    storage_gb: Num | None = Field(default=None, ge=0.0)
    targets: Literal["all", "land"] | None = None
    min_sun_elevation_deg: Num | None = Field(default=None, ge=-90.0, lt=90.0)
    filter: FilterField = EOFilter(kind="none")
    relay: bool = True

    @model_validator(mode="after")
    def _names(self) -> "EarthObservation":
        if self.sensor not in eo_catalog()["sensors"]:
            raise ValueError(f"unknown sensor {self.sensor!r}; known: {', '.join(sensor_names())}")
        return self

    def filter_spec(self) -> dict[str, Any]:
        """The filter as a resolved mapping (``{"kind": "none"}`` for no filter)."""
        return self.filter.resolved()

    def sensor_spec(self) -> dict[str, Any]:
        """The sensor preset with this section's overrides laid over it."""
        base = {k: v for k, v in eo_catalog()["sensors"][self.sensor].items() if k not in _DOC_KEYS}
        keys = ("swath_km", "frame_length_km", "gsd_m", "bands", "bits_per_sample", "storage_gb", "targets",
                "min_sun_elevation_deg")
        return {**base, **{k: getattr(self, k) for k in keys if getattr(self, k) is not None}}


def _explain(exc: ValidationError, label: str) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict) or err["type"].startswith("value_error") else f" (got {got!r})"
    more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{label}{'.' + loc if loc else ''}: {msg}{shown}{more}"


def parse_earth_observation(data: Any, label: str = SECTION) -> EarthObservation:
    """Validate a mapping as :class:`EarthObservation`; one-line :class:`ScenarioError` on bad input."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{label}: expected a mapping, got {type(data).__name__}")
    try:
        return EarthObservation.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_explain(exc, label)) from None
