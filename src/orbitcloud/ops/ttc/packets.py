"""The TT&C packet layer: CCSDS Space Packets carrying ECSS PUS-C telecommands and telemetry.

Packets are built and parsed with the ``spacepackets`` library (:class:`~spacepackets.ecss.tc.PusTc`,
:class:`~spacepackets.ecss.tm.PusTm`, the service-1 classes, :class:`CdsShortTimestamp`); this module
adds the command catalogue, the checks and the mission choices below.

Sources:

* CCSDS 133.0-B-2, Space Packet Protocol (2020): the 6-byte primary header (version 0, type 1 = TC /
  0 = TM, secondary-header flag, 11-bit APID, sequence flags, 14-bit sequence count, data length =
  bytes after the header - 1).
* ECSS-E-ST-70-41C, Telemetry and telecommand packet utilization (PUS-C, 15 April 2016): TC secondary
  header (PUS version 2, acknowledgement flags, service, subservice, 16-bit source id), TM secondary
  header (PUS version 2, time reference status, service, subservice, message counter, destination
  id, time), the packet error control CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF); services 1
  (request verification), 3 (housekeeping: TM[3,25]), 8 (function management: TC[8,1]), 11
  (time-based scheduling: TC[11,4]) and 17 (test: TC[17,1] / TM[17,2]).
* CCSDS 301.0-B-4, Time Code Formats (2010), 3.3: CDS with the 1958-01-01 epoch; "CDS short" here
  is the 7-byte form written by ``spacepackets``: P-field 0x40, 16-bit day count, 32-bit ms of day.

Mission choices (this twin's, not the standard's):

* APIDs: :data:`APID_COMMAND` (0x064) is the onboard command handler: telecommands go to it and its
  service-1 / 17 reports come from it; :data:`APID_HOUSEKEEPING` (0x065) sends TM[3,25].
* TC[8,1] application data: function id as u16, then the arguments big-endian in the
  :class:`ParamSpec` order (f32 = IEEE-754 binary32, u8, u32, bool = u8 0/1). The catalogue fixes
  each function's argument list, so arguments are positional (no N / argument-id fields).
* TC[11,4] application data: N as u32 (always 1 here), then per activity the release time (CDS
  short, 7 bytes) and the whole inner TC packet (its own header and CRC). No sub-schedule or group
  ids. The inner TC gets the same APID, sequence count and source id as the TC[11,4] around it, so
  both have the same request id: the inner packet never travels alone on the link, and the
  verification reports of the TC[11,4] and of the released command refer to one request id.
* TM[1,x] failure reports: failure code as u16, no failure data; step reports (TM[1,5]/[1,6]) are not
  used. TM[3,25]: structure id u16 = 1, then :data:`HK_PARAMETERS` in order as big-endian float32.
* Times: naive datetimes are taken as UTC, aware ones are converted to UTC; times are rounded to the
  nearest millisecond (half up, in integer microseconds) and decoded to aware UTC datetimes. CDS
  short covers 1958-01-01 to 2137-06-06; leap seconds (ms of day >= 86 400 000) are not produced and
  are refused on decoding.

Command catalogue (:data:`COMMANDS`)::

    name             TC       function  parameters                          meaning
    ping             [17,1]   -         -                                   are-you-alive; reply TM[17,2]
    power_cap        [8,1]    1         fraction  f32 [0, 1] (1)            cap compute at a share of target
    safe_mode        [8,1]    2         on        bool (u8 0/1)             enter (1) / leave (0) safe mode
    reboot           [8,1]    3         -                                   reboot the accelerators
    set_hk_interval  [8,1]    4         interval_s u32 [1, 86400] (s)       housekeeping report period

(``set_hk_interval`` stands in for TC[3,31] "modify the collection interval" as a TC[8,1] function.)

:func:`decode_command` never raises; it returns :class:`Rejected` with one of these codes::

    code  name           meaning
    1     HEADER         under 6 bytes, under the 13 bytes of the smallest PUS-C TC, packet version not 0,
                         no secondary header, sequence flags not "unsegmented", PUS version not 2, unparseable
    2     CRC            the packet error control (CRC-16/CCITT-FALSE) does not check
    3     ROUTING        a TM packet (type 0), or an APID other than the expected one
    4     SERVICE        service / subservice not in the catalogue (also TC[11,4] wrapping an unknown TC)
    5     FUNCTION       TC[8,1] function id not in the catalogue
    6     LENGTH         length field disagrees with the byte count (truncated / trailing bytes), or the
                         application data length is not the command's
    7     PARAMETER      a parameter outside its range, NaN / infinite, or a bool other than 0 / 1
    8     TIME_TAG       TC[11,4] with N != 1, a bad release-time field, or a TC[11,4] inside a TC[11,4]

Errors of the inner packet of a TC[11,4] carry the same codes, with the reason prefixed.
"""

from __future__ import annotations

import binascii
import difflib
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from numbers import Integral, Real
from typing import Any

from spacepackets.ccsds.spacepacket import PacketType, SequenceFlags
from spacepackets.ccsds.time.cds import CdsShortTimestamp
from spacepackets.ecss.pus_1_verification import (
    ErrorCode,
    FailureNotice,
    ManagedParamsVerification,
    MessageSubtype,
    Service1Tm,
    VerificationParams,
)
from spacepackets.ecss.req_id import RequestId
from spacepackets.ecss.tc import InvalidTcCrc16Error, PusTc
from spacepackets.ecss.tm import InvalidTmCrc16Error, PusTm

from orbitcloud.errors import OrbitcloudError

APID_COMMAND = 0x064
APID_HOUSEKEEPING = 0x065
HK_PARAMETERS: tuple[str, ...] = (
    "soc", "temperature_c", "compute_load", "devices_up", "fault_count", "dose_rad", "safe_mode",
)
HK_STRUCTURE_ID = 1
STAGES = ("accepted", "started", "completed", "failed")

#: :class:`Rejected` codes (see the module docstring).
REJ_HEADER, REJ_CRC, REJ_ROUTING, REJ_SERVICE, REJ_FUNCTION, REJ_LENGTH, REJ_PARAMETER, REJ_TIME_TAG = (
    1, 2, 3, 4, 5, 6, 7, 8,
)

_PRIMARY_HEADER_BYTES = 6
_TC_SEC_HEADER_BYTES = 5
_CRC_BYTES = 2
_MIN_TC_BYTES = _PRIMARY_HEADER_BYTES + _TC_SEC_HEADER_BYTES + _CRC_BYTES
_CDS_BYTES = CdsShortTimestamp.TIMESTAMP_SIZE
_MAX_SEQ_COUNT = 0x3FFF
_MAX_APID = 0x7FF
_CDS_EPOCH = datetime(1958, 1, 1, tzinfo=UTC)
_MS_PER_DAY = 86_400_000
_PUS_C = 2
_SERVICE_SCHEDULE, _SUBSERVICE_INSERT = 11, 4
_SERVICE_HK, _SUBSERVICE_HK_REPORT = 3, 25
_SERVICE_TEST, _SUBSERVICE_PING, _SUBSERVICE_PING_REPLY = 17, 1, 2

_STAGE_SUBTYPES = {  # stage -> (success subtype, failure subtype)
    "accepted": (MessageSubtype.TM_ACCEPTANCE_SUCCESS, MessageSubtype.TM_ACCEPTANCE_FAILURE),
    "started": (MessageSubtype.TM_START_SUCCESS, MessageSubtype.TM_START_FAILURE),
    "completed": (MessageSubtype.TM_COMPLETION_SUCCESS, MessageSubtype.TM_COMPLETION_FAILURE),
}
_SUBTYPE_STAGES = {int(sub): (stage, i == 0) for stage, subs in _STAGE_SUBTYPES.items() for i, sub in enumerate(subs)}


class TtcError(OrbitcloudError):
    """A TT&C packet cannot be built or a received report cannot be read."""


@dataclass(frozen=True)
class ParamSpec:
    """One command argument: ``kind`` is ``"f32"``, ``"u8"``, ``"u32"`` or ``"bool"``; range [lo, hi]."""

    name: str
    kind: str
    lo: float
    hi: float
    unit: str
    description: str


@dataclass(frozen=True)
class CommandSpec:
    """One catalogue entry: TC[service, subservice], the TC[8,1] function id (None otherwise)."""

    name: str
    service: int
    subservice: int
    function_id: int | None
    params: tuple[ParamSpec, ...]
    description: str


_BOOL = ParamSpec("on", "bool", 0, 1, "", "1 enters safe mode, 0 leaves it")
COMMANDS: dict[str, CommandSpec] = {
    c.name: c
    for c in (
        CommandSpec("ping", 17, 1, None, (), "are-you-alive test; answered by TM[17,2]"),
        CommandSpec("power_cap", 8, 1, 1, (ParamSpec("fraction", "f32", 0.0, 1.0, "1", "share of the compute target"),),
                    "cap the compute power at a share of the target"),
        CommandSpec("safe_mode", 8, 1, 2, (_BOOL,), "enter or leave safe mode"),
        CommandSpec("reboot", 8, 1, 3, (), "reboot the accelerators"),
        CommandSpec("set_hk_interval", 8, 1, 4,
                    (ParamSpec("interval_s", "u32", 1, 86_400, "s", "housekeeping report period"),),
                    "set the housekeeping report period (TC[3,31] stand-in)"),
    )
}
_BY_FUNCTION = {c.function_id: c for c in COMMANDS.values() if c.service == 8}
_BY_SERVICE = {(c.service, c.subservice): c for c in COMMANDS.values() if c.service != 8}
_KIND_FMT = {"f32": ">f", "u8": ">B", "u32": ">I", "bool": ">B"}


@dataclass(frozen=True)
class DecodedCommand:
    """A telecommand that passed every check. ``release_utc`` is set for a TC[11,4]-wrapped command."""

    name: str
    params: dict[str, float | int | bool]
    request_id: int
    apid: int
    seq_count: int
    release_utc: datetime | None
    source_id: int


@dataclass(frozen=True)
class Rejected:
    """A refused packet: ``code`` from the table in the module docstring; ``request_id`` if readable."""

    code: int
    reason: str
    request_id: int | None


@dataclass(frozen=True)
class VerificationReport:
    """A decoded TM[1,x]: stage ``accepted``/``started``/``completed``; failure_code 0 on success."""

    stage: str
    ok: bool
    request_id: int
    time_utc: datetime
    failure_code: int


# ---------------------------------------------------------------------------------------------- time
def _cds_bytes(time_utc: datetime, what: str) -> bytes:
    """CDS short (7 bytes) of ``time_utc``, rounded to the nearest ms."""
    if not isinstance(time_utc, datetime):
        raise TtcError(f"{what}: got {time_utc!r}, expected a datetime (naive = UTC)")
    t = time_utc.replace(tzinfo=UTC) if time_utc.tzinfo is None else time_utc.astimezone(UTC)
    d = t - _CDS_EPOCH
    total_ms = (d.days * 86_400_000_000 + d.seconds * 1_000_000 + d.microseconds + 500) // 1000
    days, ms_of_day = divmod(total_ms, _MS_PER_DAY)
    if not 0 <= days <= 0xFFFF:
        raise TtcError(f"{what}: {time_utc.isoformat()} is outside the CDS short range, expected "
                       "1958-01-01 to 2137-06-06 UTC")
    return CdsShortTimestamp(ccsds_days=days, ms_of_day=ms_of_day, init_dt_unix_stamp=False).pack()


def _cds_datetime(field: bytes) -> datetime:
    """Aware UTC datetime of a CDS short field; ValueError if it is not a valid CDS short time."""
    days, ms_of_day = CdsShortTimestamp.unpack_from_raw(field)
    if ms_of_day >= _MS_PER_DAY:
        raise ValueError(f"ms of day {ms_of_day}, expected < {_MS_PER_DAY}")
    return _CDS_EPOCH + timedelta(days=days, milliseconds=ms_of_day)


# ---------------------------------------------------------------------------------------- commands
def _int_field(value: int, lo: int, hi: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or not lo <= int(value) <= hi:
        raise TtcError(f"{what}: got {value!r}, expected an integer in [{lo}, {hi}]")
    return int(value)


def _pack_param(cmd: str, p: ParamSpec, value: Any) -> bytes:
    what = f"command {cmd!r} parameter {p.name!r}"
    if p.kind == "f32":
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
            raise TtcError(f"{what}: got {value!r}, expected a finite number in [{p.lo}, {p.hi}] {p.unit}")
        if not p.lo <= float(value) <= p.hi:
            raise TtcError(f"{what}: {value!r} out of range, expected [{p.lo}, {p.hi}] {p.unit}")
        return struct.pack(">f", float(value))
    if p.kind == "bool":
        if not (isinstance(value, (bool, Integral)) and value in (0, 1)):
            raise TtcError(f"{what}: got {value!r}, expected a bool")
        return struct.pack(">B", int(bool(value)))
    return struct.pack(_KIND_FMT[p.kind], _int_field(value, int(p.lo), int(p.hi), what))


def _spec(name: str) -> CommandSpec:
    spec = COMMANDS.get(name) if isinstance(name, str) else None
    if spec is None:
        near = difflib.get_close_matches(str(name), COMMANDS, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise TtcError(f"command {name!r} is unknown{hint}, expected one of {sorted(COMMANDS)}")
    return spec


def _app_data(spec: CommandSpec, params: Mapping[str, Any] | None) -> bytes:
    params = {} if params is None else dict(params)
    names = [p.name for p in spec.params]
    unknown = sorted(set(params) - set(names), key=str)
    if unknown:
        raise TtcError(f"command {spec.name!r}: unknown parameter(s) {unknown}, expected {names or 'none'}")
    missing = [n for n in names if n not in params]
    if missing:
        raise TtcError(f"command {spec.name!r}: missing parameter(s) {missing}, expected {names}")
    out = b"" if spec.function_id is None else struct.pack(">H", spec.function_id)
    return out + b"".join(_pack_param(spec.name, p, params[p.name]) for p in spec.params)


def encode_command(name: str, params: Mapping[str, Any] | None = None, *, seq_count: int, source_id: int = 0,
                   release_utc: datetime | None = None, apid: int = APID_COMMAND) -> bytes:
    """The packed TC for catalogue command ``name``; wrapped in a TC[11,4] when ``release_utc`` is given.

    The TC[11,4] and its inner TC share ``apid``, ``seq_count`` and ``source_id`` (module docstring).
    Raises :class:`TtcError` on an unknown command, a missing / unknown / out-of-range / wrong-typed
    parameter, or a sequence count, source id, APID or release time outside its field.
    """
    spec = _spec(name)
    app_data = _app_data(spec, params)
    seq_count = _int_field(seq_count, 0, _MAX_SEQ_COUNT, f"command {name!r} seq_count")
    source_id = _int_field(source_id, 0, 0xFFFF, f"command {name!r} source_id")
    apid = _int_field(apid, 0, _MAX_APID, f"command {name!r} apid")
    inner = PusTc(service=spec.service, message_subtype=spec.subservice, apid=apid, app_data=app_data,
                  seq_count=seq_count, source_id=source_id).pack()
    if release_utc is None:
        return bytes(inner)
    tag = _cds_bytes(release_utc, f"command {name!r} release_utc")
    outer_data = struct.pack(">I", 1) + tag + bytes(inner)
    return bytes(PusTc(service=_SERVICE_SCHEDULE, message_subtype=_SUBSERVICE_INSERT, apid=apid,
                       app_data=outer_data, seq_count=seq_count, source_id=source_id).pack())


def request_id_of(raw: bytes) -> int | None:
    """ECSS request id of a packet: its first 4 bytes (version, type, flag, APID, seq flags, seq count)."""
    try:
        return struct.unpack(">I", bytes(raw[:4]))[0] if len(raw) >= 4 else None
    except Exception:  # noqa: BLE001 - any non-bytes input is "unreadable"
        return None


def _rej(code: int, reason: str, rid: int | None, prefix: str) -> Rejected:
    return Rejected(code, prefix + reason, rid)


def _decode_params(spec: CommandSpec, data: bytes, rid: int, prefix: str) -> dict[str, float | int | bool] | Rejected:
    sizes = [struct.calcsize(_KIND_FMT[p.kind]) for p in spec.params]
    if len(data) != sum(sizes):
        return _rej(REJ_LENGTH, f"{spec.name}: argument bytes {len(data)}, expected {sum(sizes)}", rid, prefix)
    out: dict[str, float | int | bool] = {}
    at = 0
    for p, n in zip(spec.params, sizes):
        (v,) = struct.unpack(_KIND_FMT[p.kind], data[at:at + n])
        at += n
        if p.kind == "f32":
            lo, hi = (struct.unpack(">f", struct.pack(">f", b))[0] for b in (p.lo, p.hi))
            if not (math.isfinite(v) and lo <= v <= hi):
                return _rej(REJ_PARAMETER, f"{spec.name}.{p.name} = {v!r}, expected [{p.lo}, {p.hi}] {p.unit}",
                            rid, prefix)
            out[p.name] = float(v)
        else:
            if not p.lo <= v <= p.hi:
                return _rej(REJ_PARAMETER, f"{spec.name}.{p.name} = {v}, expected [{p.lo:g}, {p.hi:g}] {p.unit}",
                            rid, prefix)
            out[p.name] = bool(v) if p.kind == "bool" else int(v)
    return out


def _decode_tc(raw: bytes, apid: int, nested: bool) -> DecodedCommand | Rejected:
    """Decode one TC; ``nested`` when it is the inner packet of a TC[11,4]."""
    prefix = "inner TC of TC[11,4]: " if nested else ""
    if len(raw) < _PRIMARY_HEADER_BYTES:
        return _rej(REJ_HEADER, f"{len(raw)} bytes, expected at least a {_PRIMARY_HEADER_BYTES}-byte primary header",
                    None, prefix)
    rid = struct.unpack(">I", raw[:4])[0]
    stated = struct.unpack(">H", raw[4:6])[0] + 1 + _PRIMARY_HEADER_BYTES
    if len(raw) != stated:
        what = "truncated" if len(raw) < stated else "trailing bytes"
        return _rej(REJ_LENGTH, f"{what}: packet data length field gives {stated} bytes, got {len(raw)}", rid, prefix)
    if stated < _MIN_TC_BYTES:
        return _rej(REJ_HEADER, f"packet of {stated} bytes, expected at least {_MIN_TC_BYTES} for a PUS-C TC",
                    rid, prefix)
    # The CRC comes first, so that a flipped bit anywhere outside the length field reads as code 2.
    if binascii.crc_hqx(raw, 0xFFFF) != 0:
        return _rej(REJ_CRC, "packet error control (CRC-16/CCITT-FALSE) does not check", rid, prefix)
    if raw[6] >> 4 != _PUS_C:
        return _rej(REJ_HEADER, f"PUS version {raw[6] >> 4}, expected {_PUS_C} (PUS-C)", rid, prefix)
    try:
        tc = PusTc.unpack(raw)
    except (InvalidTcCrc16Error, ValueError) as e:  # checked above; kept for safety
        return _rej(REJ_HEADER, f"unreadable PUS-C TC ({type(e).__name__})", rid, prefix)
    h = tc.sp_header
    if h.ccsds_version != 0:
        return _rej(REJ_HEADER, f"packet version {h.ccsds_version}, expected 0", rid, prefix)
    if h.packet_type != PacketType.TC:
        return _rej(REJ_ROUTING, "packet type 0 (TM), expected 1 (TC)", rid, prefix)
    if not h.sec_header_flag:
        return _rej(REJ_HEADER, "secondary header flag 0, expected 1 (PUS-C)", rid, prefix)
    if h.seq_flags != SequenceFlags.UNSEGMENTED:
        return _rej(REJ_HEADER, f"sequence flags {int(h.seq_flags):#04b}, expected 0b11 (unsegmented)", rid, prefix)
    if h.apid != apid:
        return _rej(REJ_ROUTING, f"APID {h.apid:#05x}, expected {apid:#05x}", rid, prefix)
    service, sub = tc.service, tc.message_subtype
    data = bytes(tc.app_data)
    release_utc = None
    if (service, sub) == (_SERVICE_SCHEDULE, _SUBSERVICE_INSERT):
        if nested:
            return _rej(REJ_TIME_TAG, "TC[11,4] inside a TC[11,4], expected a plain command", rid, prefix)
        head = 4 + _CDS_BYTES
        if len(data) < head + _MIN_TC_BYTES:
            return _rej(REJ_LENGTH, f"TC[11,4] application data {len(data)} bytes, expected at least "
                        f"{head + _MIN_TC_BYTES}", rid, prefix)
        (n,) = struct.unpack(">I", data[:4])
        if n != 1:
            return _rej(REJ_TIME_TAG, f"TC[11,4] activity count N = {n}, expected 1", rid, prefix)
        try:
            release_utc = _cds_datetime(data[4:head])
        except ValueError as e:
            return _rej(REJ_TIME_TAG, f"TC[11,4] release time field {data[4:head].hex()}: {e}", rid, prefix)
        inner = _decode_tc(data[head:], apid, nested=True)
        if isinstance(inner, Rejected):
            return Rejected(inner.code, inner.reason, rid)
        return DecodedCommand(inner.name, inner.params, rid, h.apid, h.seq_count, release_utc, tc.source_id)
    if service == 8 and sub == 1:
        if len(data) < 2:
            return _rej(REJ_LENGTH, f"TC[8,1] application data {len(data)} bytes, expected at least 2 "
                        "(function id)", rid, prefix)
        (fid,) = struct.unpack(">H", data[:2])
        spec = _BY_FUNCTION.get(fid)
        if spec is None:
            return _rej(REJ_FUNCTION, f"TC[8,1] function id {fid}, expected one of {sorted(_BY_FUNCTION)}",
                        rid, prefix)
        data = data[2:]
    else:
        spec = _BY_SERVICE.get((service, sub))
        if spec is None:
            known = sorted(f"[{s},{u}]" for s, u in [*_BY_SERVICE, (8, 1), (11, 4)])
            return _rej(REJ_SERVICE, f"TC[{service},{sub}] is not in the catalogue, expected one of {known}",
                        rid, prefix)
    params = _decode_params(spec, data, rid, prefix)
    if isinstance(params, Rejected):
        return params
    return DecodedCommand(spec.name, params, rid, h.apid, h.seq_count, release_utc, tc.source_id)


def decode_command(raw: bytes, *, apid: int = APID_COMMAND) -> DecodedCommand | Rejected:
    """Check and decode a received telecommand; never raises (see the failure-code table)."""
    try:
        return _decode_tc(bytes(raw), apid, nested=False)
    except Exception as e:  # noqa: BLE001 - the contract is "never raises"
        return Rejected(REJ_HEADER, f"unparseable packet ({type(e).__name__}: {e})", request_id_of(raw))


def command_packet_bytes(name: str, time_tagged: bool) -> int:
    """Size [bytes] of command ``name``, bare or wrapped in TC[11,4], computed by building one."""
    spec = _spec(name)
    params = {p.name: (p.lo if p.kind == "f32" else int(p.lo)) for p in spec.params}
    release = datetime(2030, 1, 1) if time_tagged else None
    return len(encode_command(name, params, seq_count=0, release_utc=release))


# ------------------------------------------------------------------------------------ verification
def verification_tm(stage: str, request_id: int, time_utc: datetime, *, ok: bool = True, failure_code: int = 0,
                    seq_count: int = 0, apid: int = APID_COMMAND) -> bytes:
    """PUS service-1 report: accepted -> TM[1,1]/[1,2], started -> TM[1,3]/[1,4], completed -> TM[1,7]/[1,8].

    ``stage="failed"`` is a completion failure, TM[1,8] (``ok`` is ignored; it decodes as
    ``completed``, not ok). Failure reports carry ``failure_code`` (u16); success reports none.
    """
    if stage not in STAGES:
        raise TtcError(f"verification stage {stage!r}, expected one of {STAGES}")
    if stage == "failed":
        stage, ok = "completed", False
    rid = _int_field(request_id, 0, 0xFFFF_FFFF, "verification request_id")
    code = _int_field(failure_code, 0, 0xFFFF, "verification failure_code")
    seq_count = _int_field(seq_count, 0, _MAX_SEQ_COUNT, "verification seq_count")
    apid = _int_field(apid, 0, _MAX_APID, "verification apid")
    subtype = _STAGE_SUBTYPES[stage][0 if ok else 1]
    notice = None if ok else FailureNotice(ErrorCode(pfc=16, val=code), b"")
    params = VerificationParams(req_id=RequestId.unpack(struct.pack(">I", rid)), failure_notice=notice)
    tm = Service1Tm(apid=apid, message_subtype=subtype, timestamp=_cds_bytes(time_utc, "verification time_utc"),
                    verif_params=params, seq_count=seq_count)
    return bytes(tm.pack())


def _unpack_tm(raw: bytes, what: str) -> PusTm:
    """A TM packet, CRC checked, exactly ``raw`` long; TtcError naming ``what`` otherwise."""
    raw = bytes(raw)
    if len(raw) < _PRIMARY_HEADER_BYTES + 7 + _CDS_BYTES + _CRC_BYTES:
        raise TtcError(f"{what}: {len(raw)} bytes, expected at least {_PRIMARY_HEADER_BYTES + 7 + _CDS_BYTES + 2}")
    stated = struct.unpack(">H", raw[4:6])[0] + 1 + _PRIMARY_HEADER_BYTES
    if stated != len(raw):
        raise TtcError(f"{what}: packet data length field gives {stated} bytes, got {len(raw)}")
    if (raw[0] >> 4) & 1 != PacketType.TM:
        raise TtcError(f"{what}: packet type 1 (TC), expected 0 (TM)")
    try:
        tm = PusTm.unpack(raw, timestamp_len=_CDS_BYTES)
    except InvalidTmCrc16Error:
        raise TtcError(f"{what}: packet error control (CRC-16) does not check") from None
    except ValueError as e:
        raise TtcError(f"{what}: unreadable PUS-C TM ({e})") from None
    return tm


def _tm_time(tm: PusTm, what: str) -> datetime:
    try:
        return _cds_datetime(bytes(tm.timestamp))
    except ValueError as e:
        raise TtcError(f"{what}: time field {bytes(tm.timestamp).hex()}: {e}, expected CDS short") from None


def decode_verification(raw: bytes) -> VerificationReport:
    """Decode a TM[1,1/2/3/4/7/8]; :class:`TtcError` on any other or a corrupt packet."""
    what = "verification report"
    tm = _unpack_tm(raw, what)
    if tm.service != 1 or tm.message_subtype not in _SUBTYPE_STAGES:
        raise TtcError(f"{what}: TM[{tm.service},{tm.message_subtype}], expected TM[1,x] with x in "
                       f"{sorted(_SUBTYPE_STAGES)}")
    stage, ok = _SUBTYPE_STAGES[tm.message_subtype]
    expected = 4 if ok else 6
    if len(tm.source_data) != expected:
        raise TtcError(f"{what}: TM[1,{tm.message_subtype}] source data {len(tm.source_data)} bytes, "
                       f"expected {expected}")
    s1 = Service1Tm.from_tm(tm, ManagedParamsVerification(bytes_step_id=1, bytes_err_code=2))
    code = 0 if ok else int(s1.error_code.val)
    return VerificationReport(stage, ok, s1.tc_req_id.as_u32(), _tm_time(tm, what), code)


# ------------------------------------------------------------------------------------ housekeeping
def hk_tm(values: Mapping[str, float], time_utc: datetime, *, seq_count: int = 0,
          apid: int = APID_HOUSEKEEPING) -> bytes:
    """TM[3,25] housekeeping report, structure id 1: :data:`HK_PARAMETERS` in order as big-endian float32."""
    unknown = sorted(set(values) - set(HK_PARAMETERS), key=str)
    missing = [n for n in HK_PARAMETERS if n not in values]
    if unknown or missing:
        raise TtcError(f"housekeeping values: unknown {unknown}, missing {missing}, expected {list(HK_PARAMETERS)}")
    data = bytearray(struct.pack(">H", HK_STRUCTURE_ID))
    for n in HK_PARAMETERS:
        v = values[n]
        ok = isinstance(v, Real) and math.isfinite(float(v)) and abs(float(v)) <= 3.4028234663852886e38
        if not ok:
            raise TtcError(f"housekeeping value {n!r}: got {v!r}, expected a finite number within float32 range")
        data += struct.pack(">f", float(v))
    tm = PusTm(service=_SERVICE_HK, message_subtype=_SUBSERVICE_HK_REPORT, source_data=bytes(data),
               timestamp=_cds_bytes(time_utc, "housekeeping time_utc"),
               apid=_int_field(apid, 0, _MAX_APID, "housekeeping apid"),
               seq_count=_int_field(seq_count, 0, _MAX_SEQ_COUNT, "housekeeping seq_count"))
    return bytes(tm.pack())


def decode_hk(raw: bytes) -> tuple[datetime, dict[str, float]]:
    """(time, values) of a TM[3,25] from :func:`hk_tm`; :class:`TtcError` on any other or a corrupt packet."""
    what = "housekeeping report"
    tm = _unpack_tm(raw, what)
    if (tm.service, tm.message_subtype) != (_SERVICE_HK, _SUBSERVICE_HK_REPORT):
        raise TtcError(f"{what}: TM[{tm.service},{tm.message_subtype}], expected TM[3,25]")
    data = bytes(tm.source_data)
    expected = 2 + 4 * len(HK_PARAMETERS)
    if len(data) != expected:
        raise TtcError(f"{what}: source data {len(data)} bytes, expected {expected}")
    (sid,) = struct.unpack(">H", data[:2])
    if sid != HK_STRUCTURE_ID:
        raise TtcError(f"{what}: structure id {sid}, expected {HK_STRUCTURE_ID}")
    vals = struct.unpack(f">{len(HK_PARAMETERS)}f", data[2:])
    return _tm_time(tm, what), dict(zip(HK_PARAMETERS, (float(v) for v in vals)))


def hk_packet_bytes() -> int:
    """Size [bytes] of one TM[3,25] housekeeping packet, computed by building one."""
    return len(hk_tm(dict.fromkeys(HK_PARAMETERS, 0.0), datetime(2030, 1, 1)))


# -------------------------------------------------------------------------------------------- ping
def ping_reply_tm(time_utc: datetime, *, seq_count: int = 0, apid: int = APID_COMMAND) -> bytes:
    """TM[17,2], the answer to the ``ping`` command TC[17,1] (empty source data)."""
    tm = PusTm(service=_SERVICE_TEST, message_subtype=_SUBSERVICE_PING_REPLY,
               timestamp=_cds_bytes(time_utc, "ping reply time_utc"),
               apid=_int_field(apid, 0, _MAX_APID, "ping reply apid"),
               seq_count=_int_field(seq_count, 0, _MAX_SEQ_COUNT, "ping reply seq_count"))
    return bytes(tm.pack())


def decode_ping_reply(raw: bytes) -> datetime:
    """Time of a TM[17,2]; :class:`TtcError` on any other or a corrupt packet."""
    what = "ping reply"
    tm = _unpack_tm(raw, what)
    if (tm.service, tm.message_subtype) != (_SERVICE_TEST, _SUBSERVICE_PING_REPLY) or tm.source_data:
        raise TtcError(f"{what}: TM[{tm.service},{tm.message_subtype}] with {len(tm.source_data)} data bytes, "
                       "expected TM[17,2] with none")
    return _tm_time(tm, what)
