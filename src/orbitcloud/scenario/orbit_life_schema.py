"""The scenario's ``orbit_life:`` section: drag and decay, station-keeping, disposal (``docs/orbit_life.md``).

```yaml
orbit_life:
  activity: mean            # min | mean | max (ECSS-E-ST-10-04C levels) or a CSV of daily indices
  drag_coefficient: 2.2
  station_keeping:          # omit: the satellites decay freely
    thruster: bht-600       # catalog/thrusters.yaml
    count: 1
    band_km: 1.0            # hold the mean altitude within [nominal - band, nominal]
    sunlit_only: true
  disposal:
    rule_years: 5           # FCC 22-74 (2022): 5 years after end of mission in LEO
  conjunctions:             # screen the run's window (omit: no screening)
    threshold_km: 5
    catalog: null           # a TLE file (relative to the scenario); null: the fleet against itself
    hbr_m: 20               # combined hard-body radius for Pc
```
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict, field_validator

from orbitcloud.scenario.base import Num, ScenarioModel

Count = Annotated[int, Strict()]


class StationKeepingSpec(ScenarioModel):
    """Electric propulsion that holds each designed satellite's altitude band."""

    thruster: str = Field(min_length=1)
    count: Count = Field(default=1, ge=1, le=64)
    band_km: Num = Field(default=1.0, gt=0.0, le=100.0)
    sunlit_only: bool = True

    @field_validator("thruster")
    @classmethod
    def _known(cls, value: str) -> str:
        from orbitcloud import catalog

        known = catalog.names("thrusters")
        if value not in known:
            raise ValueError(f"unknown thruster {value!r}; known: {', '.join(known)}")
        return value


class DisposalSpec(ScenarioModel):
    """End-of-life disposal check."""

    rule_years: Num = Field(default=5.0, gt=0.0, le=100.0)


class ConjunctionsSpec(ScenarioModel):
    """Conjunction screening over the run's window (``docs/conjunctions.md``)."""

    threshold_km: Num = Field(default=5.0, gt=0.0, le=1000.0)
    catalog: str | None = None
    hbr_m: Num = Field(default=20.0, gt=0.0, le=1000.0)


class OrbitLife(ScenarioModel):
    """Drag, decay, station-keeping and disposal of the fleet."""

    activity: str = "mean"
    drag_coefficient: Num = Field(default=2.2, gt=0.0, le=10.0)
    station_keeping: StationKeepingSpec | None = None
    disposal: DisposalSpec = DisposalSpec()
    conjunctions: ConjunctionsSpec | None = None

    @field_validator("activity")
    @classmethod
    def _activity(cls, value: str) -> str:
        v = value.strip()
        if v.lower() in ("min", "mean", "max"):
            return v.lower()
        if not v.lower().endswith(".csv"):
            raise ValueError(f"activity {value!r}: expected min, mean, max or the path of a CSV of daily indices (date,f107,f107a,ap)")
        return v
