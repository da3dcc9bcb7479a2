"""Device fault models: the schema of ``catalog/faults.yaml`` (:class:`FaultModel`), the catalog, overrides.

A :class:`FaultModel` gives, for one accelerator type, the three single-event processes of a device
(``uecc``, ``sdc``, ``sefi``: :class:`DoseEffect`, events per rad(Si) or a cross-section per proton/cm^2,
with the downtime after each event and the rate multiplier past the degradation dose), its
total-ionising-dose thresholds (:class:`TidModel`) and its baseline permanent failure
(:class:`PermanentModel`, exponential or Weibull in the time since the device was powered).
:func:`resolve_faults` merges a scenario's override into the catalog entry. The generator that uses
these models is :mod:`orbitcloud.ops.faults`, which re-exports every name here.

Sources of the catalog values (details, arithmetic and assumptions in ``docs/faults.md`` and
``catalog/faults.yaml``):

* Suncatcher: Google Research blog (4 Nov 2025) and arXiv 2511.19468, TPU v6e (Trillium) in 67 MeV
  protons: HBM uncorrectable ECC ~1 per 50 rad, host crash ~1 per 400-450 rad, SDC 1 per 107 rad
  (first test) to 1 per 17 rad (re-test), HBM irregularities from 2 krad, no hard failure to 15 krad.
* Llama 3 (Meta, arXiv 2407.21783, table 5): 419 unexpected interruptions in 54 days on 16,384 H100
  (1.97e-5 per GPU-hour); 47.3 % (faulty GPU + HBM3) treated here as permanent device losses.
"""

from __future__ import annotations

import functools
import math
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from orbitcloud.errors import OrbitcloudError

HOUR_S = 3600.0


class FaultModelError(OrbitcloudError, ValueError):
    """A fault model, its override or the input of the generator is invalid."""


# --------------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DoseEffect(_Model):
    """One single-event process of a device (events per rad(Si), or a cross-section per proton/cm^2)."""

    per_rad: float | None = Field(default=None, ge=0.0, description="mean events per rad(Si) per device")
    per_rad_low: float | None = Field(default=None, ge=0.0, description="published range, low end")
    per_rad_high: float | None = Field(default=None, ge=0.0, description="published range, high end")
    cross_section_cm2: float | None = Field(default=None, ge=0.0, description="events per proton/cm^2 per device")
    recovery_s: float = Field(default=0.0, ge=0.0, description="device downtime after each event [s]")
    degraded_factor: float = Field(default=1.0, ge=0.0, description="rate multiplier past tid.degrade_rad")

    @model_validator(mode="after")
    def _check(self) -> "DoseEffect":
        if self.cross_section_cm2 is not None and self.per_rad:
            raise ValueError(
                f"give per_rad ({self.per_rad:g}) or cross_section_cm2 ({self.cross_section_cm2:g}), not both "
                "(set per_rad: 0 to use the cross-section)"
            )
        lo, hi = self.per_rad_low, self.per_rad_high
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"per_rad_low {lo:g} must not exceed per_rad_high {hi:g}")
        if self.per_rad and self.cross_section_cm2 is None:
            if (lo is not None and self.per_rad < lo) or (hi is not None and self.per_rad > hi):
                raise ValueError(
                    f"per_rad {self.per_rad:g} lies outside per_rad_low..per_rad_high "
                    f"({lo if lo is not None else '-'}..{hi if hi is not None else '-'}); widen the range too"
                )
        return self

    @property
    def clock(self) -> str:
        """``"dose"``, ``"fluence"`` or ``"off"``."""
        if self.cross_section_cm2 is not None:
            return "fluence" if self.cross_section_cm2 > 0.0 else "off"
        return "dose" if self.per_rad else "off"

    @property
    def rate_per_clock(self) -> float:
        """Events per rad (dose clock) or per proton/cm^2 (fluence clock); 0 when off."""
        if self.cross_section_cm2 is not None:
            return float(self.cross_section_cm2)
        return float(self.per_rad or 0.0)


class TidModel(_Model):
    """Total-ionising-dose thresholds of a device."""

    degrade_rad: float | None = Field(default=None, gt=0.0, description="dose where rates are multiplied")
    fail_rad: float | None = Field(default=None, gt=0.0, description="dose where the device is lost")
    spread_ln: float = Field(default=0.0, ge=0.0, le=3.0, description="log-normal sigma of per-device thresholds")
    spare_dose_factor: float = Field(default=1.0, ge=0.0, le=1.0, description="dose fraction a stored spare receives")

    @model_validator(mode="after")
    def _check(self) -> "TidModel":
        if self.degrade_rad is not None and self.fail_rad is not None and self.degrade_rad >= self.fail_rad:
            raise ValueError(f"degrade_rad {self.degrade_rad:g} must be below fail_rad {self.fail_rad:g}")
        return self


class PermanentModel(_Model):
    """Baseline permanent device loss, in the time since the device was powered."""

    per_device_hour: float | None = Field(default=None, ge=0.0, description="constant hazard [1/h]")
    weibull_scale_hour: float | None = Field(default=None, gt=0.0, description="Weibull scale [h]")
    weibull_shape: float = Field(default=1.0, gt=0.0, le=20.0, description="Weibull shape (1: exponential)")

    @model_validator(mode="after")
    def _check(self) -> "PermanentModel":
        if self.per_device_hour is not None and self.weibull_scale_hour is not None:
            raise ValueError("give per_device_hour or weibull_scale_hour, not both")
        if self.per_device_hour is not None and self.weibull_shape != 1.0:
            raise ValueError(
                f"weibull_shape {self.weibull_shape:g} needs weibull_scale_hour (per_device_hour is the exponential case)"
            )
        return self

    @property
    def scale_s(self) -> float:
        """Weibull scale [s] (``inf``: no baseline failures)."""
        if self.weibull_scale_hour is not None:
            return self.weibull_scale_hour * HOUR_S
        if self.per_device_hour:
            return HOUR_S / self.per_device_hour
        return math.inf


class FaultModel(_Model):
    """The fault model of one accelerator type (see ``docs/faults.md``)."""

    label: str = ""
    source: str = ""
    assumptions: str = ""
    uecc: DoseEffect = DoseEffect()
    sdc: DoseEffect = DoseEffect()
    sefi: DoseEffect = DoseEffect()
    tid: TidModel = TidModel()
    permanent: PermanentModel = PermanentModel()


@functools.lru_cache(maxsize=None)
def _catalog() -> dict[str, Any]:
    import yaml

    text = resources.files("orbitcloud.catalog").joinpath("faults.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    for key, value in data.items():
        if not isinstance(value, dict) or not value.get("source"):
            raise RuntimeError(f"catalog faults.yaml: entry {key!r} has no source")  # packaging bug
    return data


def fault_catalog() -> dict[str, Any]:
    """``catalog/faults.yaml`` as a mapping of accelerator name to entry (do not modify it)."""
    return _catalog()


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "model"
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        shown = "" if isinstance(got, dict) or err["type"].startswith("value_error") else f" (got {got!r})"
        parts.append(f"{loc}: {msg}{shown}")
    return "; ".join(parts)


_RATE_PAIR = (("cross_section_cm2", ("per_rad",)), ("per_rad", ("cross_section_cm2",)))
_LIFE_PAIR = (("weibull_scale_hour", ("per_device_hour",)), ("per_device_hour", ("weibull_scale_hour", "weibull_shape")))


def resolve_faults(accelerator: str, override: dict[str, Any] | None = None) -> FaultModel:
    """The catalog fault model of ``accelerator`` with ``override`` merged in (nested keys one by one).

    Alternatives replace each other: an override that gives ``cross_section_cm2`` (``per_rad``) of a
    process drops the catalog's ``per_rad`` (``cross_section_cm2``); one that gives
    ``weibull_scale_hour`` (``per_device_hour``) drops the catalog's ``per_device_hour``
    (``weibull_scale_hour`` and ``weibull_shape``).

    Raises :class:`FaultModelError` naming the known accelerators, or the bad key and value.
    """
    data = _catalog()
    if accelerator not in data:
        raise FaultModelError(f"no fault model for accelerator {accelerator!r}; known: {', '.join(sorted(data))}")
    if override is not None and not isinstance(override, dict):
        raise FaultModelError(f"fault override for {accelerator} must be a mapping, got {type(override).__name__}")
    merged = _merge(data[accelerator], override or {})
    # alternatives replace each other: an override naming one drops the catalog's other
    for key, pairs in (("uecc", _RATE_PAIR), ("sdc", _RATE_PAIR), ("sefi", _RATE_PAIR), ("permanent", _LIFE_PAIR)):
        over = (override or {}).get(key)
        if isinstance(over, dict) and isinstance(merged.get(key), dict):
            for given, dropped in pairs:
                if given in over and not any(d in over for d in dropped):
                    merged[key] = {k: v for k, v in merged[key].items() if k not in dropped}
    try:
        return FaultModel.model_validate(merged)
    except ValidationError as exc:
        raise FaultModelError(f"fault model for {accelerator}: {_explain(exc)}") from None
