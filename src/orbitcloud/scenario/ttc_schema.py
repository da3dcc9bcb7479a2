"""The scenario's ``ttc:`` section: telemetry, tracking and command (``docs/ttc.md``).

Every field is optional; ``ttc: {}`` (or ``orbitcloud run --ttc``) turns the layer on with the
defaults: the ``ground:`` section's stations as the TT&C network, laser relays over the ISLs when the
scenario has a ``network:`` section, housekeeping every minute into a 64 kB onboard store, and the
default limits and onboard rules below.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from orbitcloud.scenario.base import Num, ScenarioModel, Seconds

#: Parameters that limits apply to: the housekeeping parameters of ``ops/ttc/packets.py``.
LIMIT_PARAMETERS = ("soc", "temperature_c", "compute_load", "devices_up", "fault_count", "dose_rad", "safe_mode")


class LimitSet(ScenarioModel):
    """Yellow (warning) and red (alarm) limits of one parameter, low and high; None: no such limit.
    Must nest: ``red_low <= yellow_low < yellow_high <= red_high`` where given."""

    red_low: Num | None = None
    yellow_low: Num | None = None
    yellow_high: Num | None = None
    red_high: Num | None = None

    @model_validator(mode="after")
    def _nested(self) -> "LimitSet":
        seq = [(k, getattr(self, k)) for k in ("red_low", "yellow_low", "yellow_high", "red_high")]
        given = [(k, v) for k, v in seq if v is not None]
        for (ka, va), (kb, vb) in zip(given, given[1:]):
            if va > vb:
                raise ValueError(f"{ka} ({va:g}) must not exceed {kb} ({vb:g})")
        return self


def _default_limits() -> dict[str, LimitSet]:
    # battery state of charge: red below 20 %, yellow below 30 % (ASSUMPTION: common LEO depth-of-
    # discharge practice keeps Li-ion above 20-30 % SoC; docs/ttc.md); temperature: from each design's
    # maximum (``temperature_c`` limits given here replace it)
    return {"soc": LimitSet(red_low=0.2, yellow_low=0.3)}


class Autonomy(ScenarioModel):
    """Onboard rules that act without ground contact (each action is an event).

    ``safe_mode_soc``: battery state of charge below this enters safe mode (None: rule off; default
    the ``soc`` red-low limit); ``recover_soc``: onboard FDIR leaves safe mode above this (None: stays
    until the ground commands ``safe_mode`` off). ``overtemp_cap``: the compute cap applied while the
    temperature is above its red-high limit, lifted below yellow-high (None: rule off).
    ``reboot_after_errors``: that many device errors (UECC, SDC, SEFI) within ``error_window_s``
    reboot the accelerators (None: rule off).
    """

    safe_mode_soc: Num | Literal["red"] | None = "red"
    recover_soc: Num | None = Field(default=0.5, ge=0.0, le=1.0)
    overtemp_cap: Num | None = Field(default=0.5, ge=0.0, le=1.0)
    reboot_after_errors: int | None = Field(default=3, ge=1, le=1_000_000)
    error_window_s: Seconds = Field(default=3600.0, gt=0.0, le=365.25 * 86400.0)

    @field_validator("safe_mode_soc")
    @classmethod
    def _soc(cls, v: Any) -> Any:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not 0.0 <= v <= 1.0:
            raise ValueError(f"must be a state of charge in [0, 1] or 'red', got {v:g}")
        return v


class CommandEntry(ScenarioModel):
    """A command the ground sends during the run: issued at ``at`` (time from the start) to
    ``satellite`` (a name or an index), run onboard at ``time_tag`` (time from the start; None: as
    soon as it arrives). ``command``: ``ping``, ``power_cap`` (``params: {fraction}``),
    ``safe_mode`` (``{on}``), ``reboot``, ``set_hk_interval`` (``{interval_s}``)."""

    at: Seconds = Field(ge=0.0)
    satellite: str | int
    command: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    time_tag: Seconds | None = Field(default=None, ge=0.0)


class TTC(ScenarioModel):
    """TT&C layer options (see the module docstring and ``docs/ttc.md``).

    ``stations``: ``builtin:NAME``, a station CSV/YAML file with TT&C columns, or inline records
    (default: the ``ground:`` stations); ``antennas``, ``min_elevation_deg``, ``uplink_bps``,
    ``downlink_bps``: per-site values where the station data gives none. ``relays``: reach satellites
    out of contact over ISL paths to a satellite in contact (needs ``network:``); ``relay_every``:
    how often the relay paths are recomputed; ``relay_hop_latency_s``: processing per ISL hop on top
    of light time; ``relay_downlink_share``: the share of a gateway's downlink rate one relayed
    satellite may use; ``housekeeping_every``: onboard sampling interval; ``store_bytes``: onboard
    housekeeping store; ``drop``: what a full store drops; ``probe_every``: how often the latency
    statistics send a probe command to every satellite; ``priority``: antenna priority per shell name;
    ``handover_s``: antenna set-up time after a pass; ``min_pass_s``: shorter passes are not booked.
    """

    stations: str | list[dict[str, Any]] | None = None
    antennas: int | None = Field(default=None, ge=1, le=1000)
    min_elevation_deg: Num | None = Field(default=None, ge=-5.0, le=90.0)
    uplink_bps: Num | None = Field(default=None, gt=0.0, le=1e12)
    downlink_bps: Num | None = Field(default=None, gt=0.0, le=1e12)
    relays: bool = True
    relay_every: Seconds = Field(default=60.0, gt=0.0, le=86400.0)
    relay_hop_latency_s: Seconds = Field(default=0.001, ge=0.0, le=60.0)
    relay_max_hops: int | None = Field(default=None, ge=1, le=100_000)
    relay_downlink_share: Num = Field(default=0.1, gt=0.0, le=1.0)
    housekeeping_every: Seconds = Field(default=60.0, gt=0.0, le=86400.0)
    store_bytes: int = Field(default=65536, ge=64, le=1 << 34)
    drop: Literal["oldest", "newest"] = "oldest"
    probe_every: Seconds = Field(default=600.0, gt=0.0, le=86400.0)
    priority: dict[str, int] = Field(default_factory=dict)
    handover_s: Seconds = Field(default=0.0, ge=0.0, le=3600.0)
    min_pass_s: Seconds = Field(default=0.0, ge=0.0, le=86400.0)
    limits: dict[str, LimitSet] = Field(default_factory=_default_limits)
    autonomy: Autonomy = Field(default_factory=Autonomy)
    commands: list[CommandEntry] = Field(default_factory=list)

    @field_validator("limits")
    @classmethod
    def _known_parameters(cls, v: dict[str, LimitSet]) -> dict[str, LimitSet]:
        import difflib

        for name in v:
            if name not in LIMIT_PARAMETERS:
                near = difflib.get_close_matches(name, LIMIT_PARAMETERS, n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                raise ValueError(f"unknown parameter {name!r}{hint} (parameters: {', '.join(LIMIT_PARAMETERS)})")
        return v
