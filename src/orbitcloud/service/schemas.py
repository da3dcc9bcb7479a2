"""Request and response bodies of the REST API (pydantic; unknown fields are refused).

Durations are text (``"90s"``, ``"1.5h"``, ``"1d"``) or seconds; amounts of money are credits
(numbers with at most six decimals: the ledger counts micro-credits).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator


def _utc_text(v: str):
    """(datetime, canonical 'YYYY-MM-DDTHH:MM:SSZ') of an ISO 8601 time, or a ValueError saying what is expected."""
    import datetime as dt

    try:
        t = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("an ISO 8601 UTC time such as 2026-03-20T06:00:00Z") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    if not 1957 <= t.year <= 2100:
        raise ValueError("a time in 1957..2100")
    return t, t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _duration(v: Any, lo_s: float, hi_s: float) -> float:
    from orbitcloud.scenario import parse_duration_s

    if isinstance(v, bool):
        raise ValueError("expected a duration such as '1h' or a number of seconds")
    try:
        s = parse_duration_s(v)
    except (ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from None
    if not lo_s <= s <= hi_s:
        raise ValueError(f"{s:g} s is outside {lo_s:g}..{hi_s:g} s")
    return s


Duration = Union[str, float]


def _credits(v: float) -> float:
    if abs(v * 1_000_000 - round(v * 1_000_000)) > 1e-6 * max(1.0, abs(v)):
        raise ValueError("at most six decimals (the ledger counts micro-credits)")
    return v


#: A positive amount of credits with at most six decimals.
Credits = Annotated[float, Field(gt=0, le=1e12), AfterValidator(_credits)]


# ---------------------------------------------------------------------------------------------- accounts

class AccountCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    credit_limit: float = Field(default=0.0, ge=0, le=1e12)
    spend_limit: float | None = Field(default=None, gt=0, le=1e12)


class AccountCreated(BaseModel):
    id: str
    name: str
    api_key: str = Field(description="Shown only in this response; stored as a hash.")
    key_id: str


class Account(BaseModel):
    id: str
    name: str
    kind: str
    balance: float = Field(description="Credits available: posted entries minus open holds.")
    held: float = Field(description="Credits held by open orders.")
    posted: float = Field(description="Credits posted (balance + held).")
    credit_limit: float
    spend_limit: float | None
    created_at: str


class AccountList(BaseModel):
    items: list[Account]


class TopUp(Body):
    credits: Credits
    reason: str = Field(default="top-up", max_length=200)


class Limits(Body):
    credit_limit: float | None = Field(default=None, ge=0, le=1e12)
    spend_limit: float | None = Field(default=None, gt=0, le=1e12)


class Transfer(Body):
    from_account: str = Field(min_length=1, max_length=40)
    to_account: str = Field(min_length=1, max_length=40)
    credits: Credits
    reason: str = Field(default="transfer", max_length=200)


class Transaction(BaseModel):
    id: str
    kind: str
    credits: float
    reason: str
    created_at: str
    order_id: str | None = None


class Statement(BaseModel):
    account_id: str
    balance: float
    items: list[dict[str, Any]] = Field(description="Every movement: seq, txn_id, kind, credits (+ in, - out), reason, order_id, created_at, sim_time.")


class KeyCreate(Body):
    role: Literal["admin", "operator", "customer"] = "operator"
    account_id: str | None = Field(default=None, max_length=40)


class KeyCreated(BaseModel):
    key_id: str
    role: str
    account_id: str | None
    api_key: str


class KeyRevoked(BaseModel):
    key_id: str
    revoked_at: str


# ---------------------------------------------------------------------------------------------- products

class WorkBody(Body):
    quote_id: str | None = Field(default=None, max_length=40,
                                 description="Orders: a valid quote for the same work locks its price (quotes: not allowed).")

class InferenceWork(WorkBody):
    """LLM inference: a stream of requests from a city (or a place) at a rate, for a duration."""

    product: Literal["inference"]
    model: str | None = Field(default=None, max_length=80, description="A model of the catalog; default: the scenario's serving model.")
    city: str | None = Field(default=None, max_length=120, description="A city of the 100-city list or of the scenario's sources.")
    lat_deg: float | None = Field(default=None, ge=-90, le=90)
    lon_deg: float | None = Field(default=None, ge=-180, le=360)
    rate_per_s: float = Field(default=0.5, gt=0, le=1000)
    in_tokens: int = Field(default=512, ge=1, le=200_000)
    out_tokens: int = Field(default=128, ge=1, le=200_000)
    duration: Duration = Field(default="1h", validate_default=True, description="A duration ('90s', '1.5h') or seconds.")

    @field_validator("duration")
    @classmethod
    def _d(cls, v):
        return _duration(v, 1.0, 7 * 86400.0)


class AcceleratorHoursWork(WorkBody):
    """Accelerator-hours on a shell in a time window: from ``start`` (default: now) for ``window``
    (metered from what the shell delivers)."""

    product: Literal["accelerator_hours"]
    quantity: float = Field(default=1.0, gt=0, le=1e6, description="Accelerator-hours.")
    shell: str | None = Field(default=None, max_length=80)
    start: str | None = Field(default=None, max_length=40, description="Simulated UTC time the window opens (ISO 8601); default now.")
    window: Duration = Field(default="24h", validate_default=True, description="A duration ('90s', '1.5h') or seconds.")

    @field_validator("window")
    @classmethod
    def _w(cls, v):
        return _duration(v, 60.0, 365 * 86400.0)

    @field_validator("start")
    @classmethod
    def _s(cls, v):
        return None if v is None else _utc_text(v)[1]


class TrainingWork(WorkBody):
    """A training job to a token target (``docs/training.md``; ``job`` takes any further keys)."""

    product: Literal["training"]
    model: str = Field(default="gpt2-124m", max_length=80)
    tokens: float = Field(default=1e8, gt=0, le=1e15)
    shell: str | None = Field(default=None, max_length=80)
    count: int | None = Field(default=None, ge=1, le=100_000)
    job: dict[str, Any] = Field(default_factory=dict, description="More keys of a workloads.training mapping.")


class EOTaskWork(WorkBody):
    """Image a target within a window; the filtered product is delivered at a contact."""

    product: Literal["eo_task"]
    lat_deg: float = Field(default=0.0, ge=-90, le=90)
    lon_deg: float = Field(default=0.0, ge=-180, le=360)
    window: Duration = Field(default="24h", validate_default=True, description="A duration ('90s', '1.5h') or seconds.")
    name: str | None = Field(default=None, max_length=120)

    @field_validator("window")
    @classmethod
    def _w(cls, v):
        return _duration(v, 60.0, 365 * 86400.0)


Work = Annotated[Union[InferenceWork, AcceleratorHoursWork, TrainingWork, EOTaskWork], Field(discriminator="product")]


class Plan(BaseModel):
    earliest_start: str
    expected_completion: str
    shell: str | None
    energy_kwh: float
    latency_s: float | None = Field(default=None, description="Inference: expected time to first token from the customer's place.")
    latency_s_promise: float | None = Field(default=None, description="Inference: promised p99 time to first token.")
    detail: dict[str, Any] = Field(default_factory=dict)


class Quote(BaseModel):
    id: str
    product: str
    price_credits: float
    hold_credits: float
    plan: Plan
    created_at: str
    valid_until: str


class Order(BaseModel):
    id: str
    account_id: str
    product: str
    status: str
    price_credits: float
    hold_credits: float
    charged_credits: float
    credited_credits: float
    quote_id: str | None
    plan: Plan
    request: dict[str, Any]
    metered: dict[str, Any]
    work_id: str | None
    reason: str | None
    created_at: str
    updated_at: str
    sim_started: str | None
    sim_ended: str | None
    events: list[dict[str, Any]] = Field(default_factory=list)


class OrderList(BaseModel):
    items: list[Order]
    next_after: str | None = None


class UsageEvent(BaseModel):
    id: int
    order_id: str
    account_id: str
    metric: str
    quantity: float
    credits: float
    sim_time: str | None
    source: str
    created_at: str


class UsageList(BaseModel):
    items: list[UsageEvent]
    next_after: int | None = None


class UsageIn(Body):
    order_id: str = Field(min_length=1, max_length=40)
    metric: Literal["input_tokens", "output_tokens", "accelerator_s", "bytes", "tasks"]
    quantity: float = Field(gt=0, le=1e15)


class UsageBatch(Body):
    events: list[UsageIn] = Field(min_length=1, max_length=100_000, description="Up to 100,000 events (bodies up to service.max_usage_body_bytes).")


class UsageAccepted(BaseModel):
    accepted: int
    charged_credits: float
    unbilled: int = Field(description="Events past the order's hold or for an ended order: recorded, not charged.")


class ClockAdvance(Body):
    duration: Duration = Field(default="1h", validate_default=True, description="A duration ('90s', '1.5h') or seconds.")

    @field_validator("duration")
    @classmethod
    def _d(cls, v):
        return _duration(v, 0.0, 366 * 86400.0)


class Clock(BaseModel):
    sim_time: str
    step: int
    step_s: float
    mode: str
    end: str
    speed: float | None = Field(default=None, description="Simulated seconds per wall second (accelerated clocks).")
    lag_s: float | None = Field(default=None, description="Running clocks: how far the twin is behind its clock [s].")
    error: str | None = Field(default=None, description="Running clocks: the last tick's error, if any.")


class WhoAmI(BaseModel):
    key_id: str
    role: str
    account_id: str | None


class Health(BaseModel):
    status: str
    sim_time: str
    database: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


# ---------------------------------------------------------------------------------------------- operator TT&C

class TtcCommandIn(Body):
    """A telecommand for one satellite (``docs/ttc.md``): ``ping``, ``power_cap`` (``{"fraction"}``),
    ``safe_mode`` (``{"on"}``), ``reboot``, ``set_hk_interval`` (``{"interval_s"}``)."""

    satellite: Union[Annotated[int, Field(strict=True, ge=0)], Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        description="A satellite name or its index in the fleet.")
    command: str = Field(min_length=1, max_length=40)
    params: dict[str, Any] = Field(default_factory=dict, description="The command's parameters.")
    time_tag: str | None = Field(default=None, max_length=40,
                                 description="Run onboard at this simulated UTC time (ISO 8601; a time-tagged TC[11,4]); null: on arrival.")

    @field_validator("satellite", mode="before")
    @classmethod
    def _sat(cls, v):
        ok = (isinstance(v, int) and not isinstance(v, bool) and v >= 0) or (isinstance(v, str) and 1 <= len(v) <= 80)
        if not ok:
            raise ValueError("a satellite name (1 to 80 characters) or index (a whole number >= 0)")
        return v

    @field_validator("time_tag")
    @classmethod
    def _t(cls, v):
        if v is not None:
            _utc_text(v)
        return v


class TtcStage(BaseModel):
    onboard: str = Field(description="When it happened onboard (simulated UTC).")
    ground: str = Field(description="When its report reached the ground.")


class TtcStages(BaseModel):
    accepted: TtcStage | None = None
    started: TtcStage | None = None
    completed: TtcStage | None = None
    failed: TtcStage | None = None


class TtcCommand(BaseModel):
    """A command's history as the ground knows it now: a stage is shown once its report came down."""

    id: str
    satellite: str
    satellite_index: int
    command: str
    params: dict[str, Any]
    source: str = Field(description="operator (the API) or scenario (the scenario's ttc.commands).")
    status: str = Field(description="queued | sent | onboard | completed | failed | rejected (as far as the ground knows).")
    issued: str
    time_tag: str | None
    path: str | None = Field(description="direct or relay: how the command goes up (null: no opportunity before the horizon).")
    bytes: int | None
    uplink_start: str | None = Field(description="When the ground sends it (its contact schedule).")
    stages: TtcStages
    failure_code: int | None
    reason: str | None


class TtcCommandList(BaseModel):
    items: list[TtcCommand]
    next_after: str | None = None


class TtcLatestItem(BaseModel):
    satellite: str
    satellite_index: int
    sample_time: str | None = Field(description="The newest sample on the ground (null: none yet).")
    age_s: float = Field(description="Now minus that sample's time (minus the run start before the first).")
    values: dict[str, float | None]


class TtcLatest(BaseModel):
    sim_time: str
    items: list[TtcLatestItem]


class TtcSample(BaseModel):
    id: int
    satellite: str
    satellite_index: int
    sample_time: str
    ground_time: str
    values: dict[str, float | None]


class TtcTelemetryList(BaseModel):
    items: list[TtcSample]
    next_after: int | None = None


class TtcContact(BaseModel):
    index: int
    satellite: str
    satellite_index: int
    station: str
    rise_utc: str
    set_utc: str
    start_clipped: bool = Field(description="The window was open at the start of the horizon (rise_utc is the start).")
    end_clipped: bool = Field(description="The window is open at the end of the horizon (set_utc is the end).")
    duration_s: float
    max_elevation_deg: float
    antenna: int | None
    served: bool
    reason: str | None = Field(description="Why an unserved pass got no antenna.")


class TtcContactList(BaseModel):
    items: list[TtcContact]
    next_after: int | None = None


class TtcAlarm(BaseModel):
    index: int
    kind: str = Field(description="alarm_raised (a worse level) or alarm_cleared (a better one).")
    active: bool = Field(description="Whether this parameter's alarm is active now.")
    satellite: str
    satellite_index: int
    parameter: str
    level: str = Field(description="nominal, yellow or red: the level after the change.")
    value: float | None
    sample_time: str
    ground_time: str | None
    detail: str


class TtcAlarmList(BaseModel):
    items: list[TtcAlarm]
    next_after: int | None = None
