"""The scenario document: pydantic models, one per YAML mapping.

Every model forbids unknown keys (the loader turns that error into a suggestion of the nearest valid
key). Quantities keep the unit of the YAML key (``altitude_km``, ``inclination_deg``); the fleet layer
converts to SI. Key-by-key documentation: ``docs/scenario.md``.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Annotated, Literal, Union

from pydantic import BeforeValidator, Field, Strict, field_validator, model_validator

from orbitcloud.scenario.base import Num, ScenarioModel, Seconds
from orbitcloud.scenario.durations import parse_duration_s
from orbitcloud.scenario.hardware import HardwareField
from orbitcloud.scenario.link_budget_schema import GroundLinkBudget
from orbitcloud.scenario.orbit_life_schema import OrbitLife
from orbitcloud.scenario.service_schema import Service
from orbitcloud.scenario.ttc_schema import TTC
from orbitcloud.scenario.workloads import Policies, Workloads

#: Lowest and highest mean altitude accepted for designed shells [km]. Below 160 km an orbit decays
#: within days; above 40,000 km is beyond GEO and outside what SGP4 near-Earth shells are meant for.
MIN_ALTITUDE_KM = 160.0
MAX_ALTITUDE_KM = 40_000.0
#: The largest fleet a scenario may describe; refused before anything is allocated.
MAX_SATELLITES = 10_000_000
#: The most time steps one run may have (a year at 1 s is 3.2e7).
MAX_STEPS = 100_000_000


def _duration(value: object) -> float:
    return parse_duration_s(value)


DurationS = Annotated[float, BeforeValidator(_duration)]


#: Counts must be YAML integers (``true`` or ``2.5`` are refused, not coerced).
Count = Annotated[int, Strict()]


_Model = ScenarioModel


def _check_altitude(altitude_km: float | None, mean_motion: float | None) -> None:
    if (altitude_km is None) == (mean_motion is None):
        raise ValueError("give exactly one of altitude_km or mean_motion_rev_per_day")
    if altitude_km is not None and not MIN_ALTITUDE_KM <= altitude_km <= MAX_ALTITUDE_KM:
        raise ValueError(
            f"altitude_km {altitude_km:g} is outside {MIN_ALTITUDE_KM:g}..{MAX_ALTITUDE_KM:g} km"
        )
    if mean_motion is not None:
        from orbitcloud.constants import altitude_km_from_mean_motion

        alt = altitude_km_from_mean_motion(mean_motion)
        if not MIN_ALTITUDE_KM <= alt <= MAX_ALTITUDE_KM:
            raise ValueError(
                f"mean_motion_rev_per_day {mean_motion:g} gives altitude {alt:.0f} km, outside "
                f"{MIN_ALTITUDE_KM:g}..{MAX_ALTITUDE_KM:g} km"
            )


def _check_sso(altitude_km: float | None) -> None:
    from orbitcloud.constants import MAX_SSO_ALTITUDE_KM

    if altitude_km is not None and altitude_km > MAX_SSO_ALTITUDE_KM:
        raise ValueError(
            f"altitude_km {altitude_km:g} has no sun-synchronous circular orbit (J2 precession is too "
            f"weak above {MAX_SSO_ALTITUDE_KM:,.0f} km)"
        )


_LTAN = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


def _ltan_hours(value: object) -> float:
    if isinstance(value, str):
        match = _LTAN.match(value.strip())
        if match:
            return int(match.group(1)) + int(match.group(2)) / 60.0
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 18:00 as the sexagesimal integer 1080 (minutes).
        return value / 60.0
    raise ValueError(f"{value!r} is not a local time of ascending node; expected \"HH:MM\" such as \"18:00\"")


LtanH = Annotated[float, BeforeValidator(_ltan_hours)]


class CircularOrbit(_Model):
    """One circular reference orbit given by its elements (used as a cluster reference)."""

    kind: Literal["circular"]
    altitude_km: Num
    inclination_deg: Num = Field(ge=0.0, le=180.0)
    raan_deg: Num = 0.0
    arg_lat_deg: Num = 0.0

    @model_validator(mode="after")
    def _alt(self) -> "CircularOrbit":
        _check_altitude(self.altitude_km, None)
        return self


class SSOOrbit(_Model):
    """One sun-synchronous circular reference orbit (used as a cluster reference)."""

    kind: Literal["sso"]
    altitude_km: Num
    ltan: LtanH
    arg_lat_deg: Num = 0.0

    @model_validator(mode="after")
    def _alt(self) -> "SSOOrbit":
        _check_altitude(self.altitude_km, None)
        _check_sso(self.altitude_km)
        return self


ReferenceOrbit = Annotated[Union[SSOOrbit, CircularOrbit], Field(discriminator="kind")]


class WalkerShell(_Model):
    """Walker constellation i:T/P/F, delta (RAAN spread over 360 deg) or star (180 deg)."""

    kind: Literal["walker"]
    name: str | None = None
    hardware: HardwareField = None
    altitude_km: Num | None = None
    mean_motion_rev_per_day: Num | None = Field(default=None, gt=0.0)
    inclination_deg: Num = Field(ge=0.0, le=180.0)
    planes: Count = Field(ge=1)
    sats_per_plane: Count = Field(ge=1)
    phasing: Count = Field(default=0, ge=0)
    pattern: Literal["delta", "star"] = "delta"
    raan0_deg: Num = 0.0

    @model_validator(mode="after")
    def _check(self) -> "WalkerShell":
        _check_altitude(self.altitude_km, self.mean_motion_rev_per_day)
        if self.phasing >= self.planes:
            raise ValueError(f"phasing {self.phasing} must be below planes ({self.planes})")
        return self

    @property
    def count(self) -> int:
        return self.planes * self.sats_per_plane


class SSOShell(_Model):
    """Sun-synchronous shell: inclination from the J2 nodal rate, planes placed by local time."""

    kind: Literal["sso"]
    name: str | None = None
    hardware: HardwareField = None
    altitude_km: Num | None = None
    mean_motion_rev_per_day: Num | None = Field(default=None, gt=0.0)
    ltan: LtanH
    planes: Count = Field(default=1, ge=1)
    sats_per_plane: Count = Field(ge=1)
    phasing: Count = Field(default=0, ge=0)
    ltan_spacing_h: Num | None = Field(default=None, ge=0.0, le=24.0)
    altitude_spacing_km: Num = 0.0

    @model_validator(mode="after")
    def _check(self) -> "SSOShell":
        _check_altitude(self.altitude_km, self.mean_motion_rev_per_day)
        if self.altitude_spacing_km != 0.0:
            if self.altitude_km is None:
                raise ValueError("altitude_spacing_km needs altitude_km")
            top = self.altitude_km + (self.planes - 1) * self.altitude_spacing_km
            _check_altitude(top, None)
            _check_sso(max(top, self.altitude_km))
        if self.altitude_km is not None:
            _check_sso(self.altitude_km)
        else:
            from orbitcloud.constants import altitude_km_from_mean_motion

            _check_sso(altitude_km_from_mean_motion(self.mean_motion_rev_per_day))
        if self.phasing >= self.planes:
            raise ValueError(f"phasing {self.phasing} must be below planes ({self.planes})")
        return self

    @property
    def count(self) -> int:
        return self.planes * self.sats_per_plane


class ClusterShell(_Model):
    """Formation cluster: a radial x along-track lattice around a reference orbit (Suncatcher)."""

    kind: Literal["cluster"]
    name: str | None = None
    hardware: HardwareField = None
    count: Count = Field(ge=1)
    radius_m: Num = Field(gt=0.0)
    spacing_m: tuple[Num, Num]
    reference: ReferenceOrbit

    @field_validator("spacing_m")
    @classmethod
    def _positive(cls, value: tuple[float, float]) -> tuple[float, float]:
        if min(value) <= 0.0:
            raise ValueError(f"spacing_m {list(value)} must be two positive distances [radial, along-track]")
        return value


class TLEShell(_Model):
    """Satellites from a file of two-line element sets (path relative to the scenario file)."""

    kind: Literal["tle"]
    name: str | None = None
    hardware: HardwareField = None
    path: str
    limit: Count | None = Field(default=None, ge=1)
    planes: Count | None = Field(default=None, ge=1)
    sats_per_plane: Count | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _grid(self) -> "TLEShell":
        if (self.planes is None) != (self.sats_per_plane is None):
            raise ValueError("give both planes and sats_per_plane (satellites listed plane-major) or neither")
        return self


Shell = Annotated[Union[WalkerShell, SSOShell, ClusterShell, TLEShell], Field(discriminator="kind")]

#: Shell and reference classes by their ``kind`` tag (used to suggest keys in error messages).
KINDS: dict[str, type[_Model]] = {
    "walker": WalkerShell,
    "sso": SSOShell,
    "cluster": ClusterShell,
    "tle": TLEShell,
}
REFERENCE_KINDS: dict[str, type[_Model]] = {"sso": SSOOrbit, "circular": CircularOrbit}


class Radiation(_Model):
    """Radiation environment and faults (``docs/radiation.md``, ``docs/faults.md``)."""

    shielding_mm_al: Num = Field(default=10.0, ge=0.1, le=100.0)
    solar: Literal["min", "max"] = "min"
    gcr_rad_per_yr: Num | None = Field(default=None, ge=0.0, le=1000.0)
    spe: bool = False
    subsample_s: Seconds = Field(default=60.0, gt=0.0, le=3600.0)


class LinkBudget(_Model):
    """Optical ISL terminal for a link-budget capacity (``docs/links.md``)."""

    tx_power_w: Num = Field(gt=0.0)
    tx_aperture_m: Num = Field(gt=0.0)
    rx_aperture_m: Num = Field(gt=0.0)
    wavelength_nm: Num = Field(default=1550.0, gt=0.0)
    pointing_loss_db: Num = Field(default=3.0, ge=0.0)
    other_losses_db: Num = Field(default=3.0, ge=0.0)
    photons_per_bit: Num = Field(default=100.0, gt=0.0)
    max_rate_gbps: Num = Field(gt=0.0)


class ISL(_Model):
    """Inter-satellite links (``docs/links.md``)."""

    topology: Literal["plus_grid", "nearest", "cluster_mesh", "none"] = "none"
    k: Count = Field(default=4, ge=1)
    max_terminals: Count = Field(default=4, ge=1)
    max_range_km: Num | None = Field(default=None, gt=0.0)
    grazing_height_km: Num = Field(default=80.0, ge=0.0, le=1000.0)
    capacity_gbps: Num | None = Field(default=None, gt=0.0)
    link_budget: LinkBudget | None = None
    acquisition_s: Seconds = Field(default=0.0, ge=0.0)

    @model_validator(mode="after")
    def _capacity(self) -> "ISL":
        if self.capacity_gbps is not None and self.link_budget is not None:
            raise ValueError("give capacity_gbps or link_budget, not both")
        return self


class Flow(_Model):
    """One flow of the traffic matrix: from station ``src`` to station ``dst`` at ``demand_gbps``."""

    src: str
    dst: str
    demand_gbps: Num = Field(gt=0.0)


class Network(_Model):
    """Network options (``docs/links.md``, ``docs/routing.md``)."""

    isl: ISL = ISL()
    relay_via_ground: bool = False
    pairs: list[str] = Field(default_factory=list)  # "A,B": station pairs whose latency runs report
    flows: list[Flow] = Field(default_factory=list)  # traffic matrix routed max-min fairly in runs


class StationEntry(_Model):
    """One inline ground station."""

    name: str = Field(min_length=1)
    lat_deg: Num = Field(ge=-90.0, le=90.0)
    lon_deg: Num = Field(ge=-180.0, lt=360.0)
    elevation_m: Num = 0.0
    id: Count | None = None


class Ground(_Model):
    """Ground segment (``docs/ground.md``).

    ``stations`` is one of: ``builtin:NAME``, a station set shipped with the package
    (``builtin:cities-top100``, the 100 most populous cities of Hypatia, IMC 2020;
    ``builtin:ground-stations``, real sites with sources; or a subset of it such as
    ``builtin:ksat``, ``builtin:ssc``, ``builtin:aws``, ``builtin:china-rsgs``, ``builtin:china``);
    the path of a header-less station CSV (relative to the scenario file); or a list of inline
    stations. An unknown ``builtin:`` name is refused here, with the known names.
    """

    stations: str | list[StationEntry]
    min_elevation_deg: Num | None = Field(default=25.0, ge=0.0, lt=90.0)
    max_range_km: Num | None = Field(default=None, gt=0.0)
    downlink_gbps: Num = Field(default=10.0, ge=0.0)
    uplink_gbps: Num = Field(default=1.0, ge=0.0)
    max_tracked: Count | None = Field(default=None, ge=1)
    link_budget: GroundLinkBudget | None = None  #: rates from the geometry (docs/link_budget.md)

    @field_validator("stations")
    @classmethod
    def _builtin_known(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower().startswith("builtin:"):
            from orbitcloud import catalog

            name = value.strip()[len("builtin:"):].strip().lower()
            known = catalog.station_set_names()
            if name not in known:
                raise ValueError(
                    f"unknown built-in station set {value!r}; known: " + ", ".join("builtin:" + k for k in known)
                )
            return f"builtin:{name}"
        return value

    @model_validator(mode="after")
    def _criterion(self) -> "Ground":
        if self.min_elevation_deg is None and self.max_range_km is None:
            raise ValueError("give min_elevation_deg and/or max_range_km for ground visibility")
        return self


def parse_epoch(value: object) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        out = value
    elif isinstance(value, _dt.date):
        out = _dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            out = _dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 UTC time such as 2026-03-20T00:00:00Z") from None
    else:
        raise ValueError(f"{value!r} is not an ISO 8601 UTC time such as 2026-03-20T00:00:00Z")
    if out.tzinfo is not None:
        out = out.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    if not 1957 <= out.year <= 2100:
        raise ValueError(f"epoch year {out.year} is outside 1957..2100")
    return out


EpochUTC = Annotated[_dt.datetime, BeforeValidator(parse_epoch)]


class Scenario(_Model):
    """A whole scenario document.

    ``epoch`` is stored as a naive UTC datetime; ``duration`` and ``step`` in seconds.
    """

    name: str = Field(min_length=1)
    description: str = ""
    epoch: EpochUTC
    duration: DurationS
    step: DurationS = 60.0
    seed: Count = 0
    constellation: list[Shell] = Field(min_length=1)
    radiation: Radiation | None = None
    network: Network | None = None
    ground: Ground | None = None
    workloads: Workloads | None = None
    policies: Policies | None = None
    service: Service | None = None
    ttc: TTC | None = None
    orbit_life: OrbitLife | None = None

    @field_validator("duration")
    @classmethod
    def _duration_positive(cls, value: float) -> float:
        if value <= 0.0:
            raise ValueError(f"duration must be positive, got {value:g} s")
        return value

    @field_validator("step")
    @classmethod
    def _step_positive(cls, value: float) -> float:
        if value <= 0.0:
            raise ValueError(f"step must be positive, got {value:g} s")
        return value

    @model_validator(mode="after")
    def _sizes(self) -> "Scenario":
        designed = sum(s.count for s in self.constellation if not isinstance(s, TLEShell))
        if designed > MAX_SATELLITES:
            raise ValueError(
                f"the constellation has {designed:,} satellites; at most {MAX_SATELLITES:,} are supported"
            )
        steps = n_steps(self.duration, self.step)
        if steps > MAX_STEPS:
            raise ValueError(
                f"duration/step gives {steps:,} time steps; at most {MAX_STEPS:,} are supported"
            )
        return self


def n_steps(duration_s: float, step_s: float) -> int:
    """Number of samples: t = 0, step, ... covering [0, duration) (at least one)."""
    import math

    return max(1, math.ceil(duration_s / step_s - 1e-9))
