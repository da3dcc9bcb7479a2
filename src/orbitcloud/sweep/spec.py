"""The sweep spec (``docs/sweeps.md``): validated with pydantic, every error naming the file and the key.

```yaml
base: three-body-12            # a built-in scenario or a YAML file (relative to the spec)
options: {duration: 6h}        # run options (orbitcloud.run keywords: duration, step, propagator, ...)
seed: 7                        # the sweep's seed: each case's scenario seed is derived from it
replicates: 2                  # runs per case, each with its own derived seed
parameters:                    # dotted key paths into the scenario document
  constellation.0.altitude_km: {values: [500, 600]}
  radiation.shielding_mm_al: {range: [5, 20], dist: uniform}
design: {method: sobol, n: 64}  # optional: grid (default with values), mc, sobol, morris
outputs: [sunlit_fraction, bus.soc_min]   # summary keys (orbitcloud explain)
pareto: {x: bus.soc_min, y: sunlit_fraction, maximise: [true, true]}
retries: 1
```

Parameters with ``values`` form a grid (every combination); parameters with ``range`` are sampled:
by Monte Carlo (``samples`` draws, design ``mc``, the default when every parameter has a range), by a
Sobol design (Saltelli sampling, ``n`` a power of two) or a Morris design (``trajectories``,
``levels``). ``values`` and ``range`` parameters together: the sampled points are crossed with the grid.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from orbitcloud.errors import OrbitcloudError

#: Most cases one sweep may hold (replicates included): refused before anything runs.
MAX_CASES = 1_000_000


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameter(_Model):
    """One swept parameter: a list of ``values``, or a ``range`` with a distribution."""

    values: list[Any] | None = None
    range: tuple[float, float] | None = None
    dist: Literal["uniform", "normal", "loguniform", "triangular"] = "uniform"
    samples: int | None = Field(default=None, ge=1, le=MAX_CASES)

    @model_validator(mode="after")
    def _one(self) -> "Parameter":
        if (self.values is None) == (self.range is None):
            raise ValueError("give values: [...] or range: [low, high] (one of them)")
        if self.values is not None and not self.values:
            raise ValueError("values: an empty list gives no cases")
        if self.range is not None:
            lo, hi = self.range
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise ValueError(f"range {list(self.range)}: both ends must be finite numbers")
            if self.dist in ("uniform", "triangular", "loguniform") and not lo < hi:
                raise ValueError(f"range {list(self.range)}: low must be below high")
            if self.dist == "normal" and not hi > 0:
                raise ValueError(f"range {list(self.range)} with dist normal is [mean, standard deviation]: the deviation must be > 0")
            if self.dist == "loguniform" and lo <= 0:
                raise ValueError(f"range {list(self.range)} with dist loguniform: both ends must be > 0")
        return self


class Design(_Model):
    """How ranged parameters are sampled."""

    method: Literal["grid", "mc", "sobol", "morris"] = "mc"
    n: int | None = Field(default=None, ge=2, le=MAX_CASES)  # sobol base samples (a power of two)
    trajectories: int = Field(default=10, ge=2, le=100_000)  # morris
    levels: int = Field(default=4, ge=2, le=64)  # morris


class Pareto(_Model):
    x: str
    y: str
    maximise: tuple[bool, bool] = (True, True)


class SweepSpec(_Model):
    """A whole sweep spec (see the module docstring)."""

    base: str = Field(min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    replicates: int = Field(default=1, ge=1, le=100_000)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    design: Design | None = None
    outputs: list[str] = Field(min_length=1)
    pareto: Pareto | None = None
    retries: int = Field(default=1, ge=0, le=100)

    @field_validator("options")
    @classmethod
    def _options(cls, value: dict[str, Any]) -> dict[str, Any]:
        from orbitcloud.sim.setup import RunOptions

        import dataclasses

        allowed = {f.name for f in dataclasses.fields(RunOptions)} - {"out", "workers"}
        for key in value:
            if key not in allowed:
                raise ValueError(f"unknown run option {key!r}; options: {', '.join(sorted(allowed))}")
        return value

    @model_validator(mode="after")
    def _design(self) -> "SweepSpec":
        ranged = [k for k, p in self.parameters.items() if p.range is not None]
        if self.design is not None and self.design.method in ("sobol", "morris") and not ranged:
            raise ValueError(f"design {self.design.method}: needs parameters with range: [low, high]")
        if self.design is not None and self.design.method == "sobol":
            n = self.design.n
            if n is None or n & (n - 1):
                lo = 1 << max(1, (n or 64).bit_length() - 1)
                raise ValueError(f"design sobol: n must be a power of two (got {n}; e.g. {lo} or {lo * 2})")
        fixed = [k for k, p in self.parameters.items() if p.values is not None]
        if self.design is not None and self.design.method in ("sobol", "morris") and fixed:
            raise ValueError(f"design {self.design.method}: every parameter needs a range (these give values: "
                             f"{', '.join(fixed)}); run one sweep per value instead")
        if self.design is not None and self.design.method == "grid" and ranged:
            raise ValueError(f"design grid: parameters {', '.join(ranged)} have a range; give values or use mc/sobol/morris")
        if self.pareto is not None:
            for axis in (self.pareto.x, self.pareto.y):
                if axis not in self.outputs:
                    raise ValueError(f"pareto: {axis!r} is not one of the outputs ({', '.join(self.outputs)})")
        for name in self.parameters:
            if not name or any(not part for part in name.split(".")):
                raise ValueError(f"parameters: {name!r} is not a dotted key path such as constellation.0.altitude_km")
        return self

    @property
    def method(self) -> str:
        """The design in use: ``grid`` (values only), ``mc``, ``sobol`` or ``morris``."""
        if self.design is not None:
            return self.design.method
        return "mc" if any(p.range is not None for p in self.parameters.values()) else "grid"


def _located(exc: ValidationError, label: str) -> OrbitcloudError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict) or got is None else f" (got {got!r})"
    return OrbitcloudError(f"{label}: {loc}: {msg}{shown}" if loc else f"{label}: {msg}")


def parse_spec(source: str | Path | dict, label: str | None = None) -> tuple[SweepSpec, Path | None]:
    """A validated :class:`SweepSpec` and the directory relative paths resolve against (None for a
    mapping). Errors name the file and the key path."""
    import yaml

    base_dir = None
    if isinstance(source, dict):
        doc, label = source, label or "<sweep spec>"
    else:
        path = Path(source)
        label = label or str(path)
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            raise OrbitcloudError(f"{label}: no such sweep spec file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise OrbitcloudError(f"{label}: cannot read the sweep spec ({exc})") from None
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise OrbitcloudError(f"{label}: not valid YAML ({str(exc).splitlines()[0]})") from None
        base_dir = path.resolve().parent
    if not isinstance(doc, dict):
        raise OrbitcloudError(f"{label}: a sweep spec is a mapping with base, parameters and outputs")
    try:
        spec = SweepSpec.model_validate(doc)
    except ValidationError as exc:
        raise _located(exc, label) from None
    return spec, base_dir
