"""Tests of the TT&C packet layer (orbitcloud.ops.ttc.packets): CCSDS / PUS-C TCs and TMs."""

from __future__ import annotations

import binascii
import math
import struct
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacepackets.ecss.tc import PusTc

from orbitcloud.errors import OrbitcloudError
from orbitcloud.ops.ttc import packets as P

T0 = datetime(2031, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)


def crc16_ref(data: bytes) -> int:
    """Bitwise CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xor-out)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def recrc(b: bytes) -> bytes:
    """``b`` with its last two bytes replaced by a valid CRC (to reach the checks after the CRC)."""
    return b[:-2] + struct.pack(">H", crc16_ref(b[:-2]))


def tc(service: int, sub: int, app_data: bytes = b"", apid: int = P.APID_COMMAND, seq: int = 3) -> bytes:
    return bytes(PusTc(service=service, message_subtype=sub, apid=apid, app_data=app_data, seq_count=seq).pack())


def bound_values(spec: P.CommandSpec) -> list[dict]:
    """Parameter sets at both bounds and inside them."""
    if not spec.params:
        return [{}]
    out = []
    for where in (0.0, 0.37, 1.0):
        d = {}
        for p in spec.params:
            if p.kind == "f32":
                d[p.name] = p.lo + where * (p.hi - p.lo)
            elif p.kind == "bool":
                d[p.name] = where >= 0.5
            else:
                d[p.name] = round(p.lo + where * (p.hi - p.lo))
        out.append(d)
    return out


def assert_params_equal(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for k, v in want.items():
        if isinstance(v, float):  # float32 on the wire: the value rounded to binary32
            assert got[k] == struct.unpack(">f", struct.pack(">f", v))[0]
        else:
            assert got[k] == v and type(got[k]) is type(v)


# ----------------------------------------------------------------------------------- catalogue
def test_reference_crc_and_catalogue() -> None:
    assert crc16_ref(b"123456789") == 0x29B1 == binascii.crc_hqx(b"123456789", 0xFFFF)
    assert set(P.COMMANDS) >= {"ping", "power_cap", "safe_mode", "reboot", "set_hk_interval"}
    assert (P.COMMANDS["ping"].service, P.COMMANDS["ping"].subservice) == (17, 1)
    assert [P.COMMANDS[n].function_id for n in ("power_cap", "safe_mode", "reboot", "set_hk_interval")] == [1, 2, 3, 4]
    for name, spec in P.COMMANDS.items():
        assert spec.name == name and name in P.__doc__
        assert all(p.kind in ("f32", "u8", "u32", "bool") and p.lo <= p.hi for p in spec.params)
    assert P.STAGES == ("accepted", "started", "completed", "failed")
    assert issubclass(P.TtcError, OrbitcloudError)


@pytest.mark.parametrize("name", sorted(P.COMMANDS))
def test_round_trip_bare_and_time_tagged(name: str) -> None:
    spec = P.COMMANDS[name]
    for i, params in enumerate(bound_values(spec)):
        for release in (None, T0 + timedelta(days=i, milliseconds=i)):
            raw = P.encode_command(name, params, seq_count=100 + i, source_id=7, release_utc=release)
            d = P.decode_command(raw)
            assert isinstance(d, P.DecodedCommand), d
            assert (d.name, d.apid, d.seq_count, d.source_id, d.release_utc) == (name, P.APID_COMMAND, 100 + i, 7,
                                                                                   release)
            assert d.request_id == P.request_id_of(raw)
            assert_params_equal(d.params, params)
            assert len(raw) == P.command_packet_bytes(name, release is not None)


def test_matches_spacepackets_reference_ping() -> None:
    # the doc example of spacepackets.ecss.tc.PusTc (APID 1, seq 22)
    assert P.encode_command("ping", seq_count=22, apid=1).hex(",") == "18,01,c0,16,00,06,2f,11,01,00,00,ab,62"


def test_bare_bytes_by_hand() -> None:
    raw = P.encode_command("power_cap", {"fraction": 0.25}, seq_count=1234, source_id=0x0102)
    w0, w1, length = struct.unpack(">HHH", raw[:6])
    assert w0 >> 13 == 0  # packet version
    assert (w0 >> 12) & 1 == 1  # TC
    assert (w0 >> 11) & 1 == 1  # secondary header
    assert w0 & 0x7FF == P.APID_COMMAND
    assert w1 >> 14 == 0b11 and w1 & 0x3FFF == 1234  # unsegmented, sequence count
    assert length == len(raw) - 7
    assert raw[6] == 0x2F  # PUS version 2, ack flags 0b1111
    assert (raw[7], raw[8]) == (8, 1)
    assert struct.unpack(">H", raw[9:11])[0] == 0x0102
    assert struct.unpack(">Hf", raw[11:17]) == (1, 0.25)
    assert len(raw) == 19
    assert struct.unpack(">H", raw[-2:])[0] == crc16_ref(raw[:-2]) == binascii.crc_hqx(raw[:-2], 0xFFFF)
    assert P.request_id_of(raw) == struct.unpack(">I", raw[:4])[0] == (w0 << 16) | w1
    assert P.request_id_of(raw[:3]) is None


def test_time_tagged_bytes_by_hand() -> None:
    release = datetime(2031, 5, 6, 7, 8, 9, 123456)  # naive = UTC
    inner = P.encode_command("safe_mode", {"on": True}, seq_count=9)
    raw = P.encode_command("safe_mode", {"on": True}, seq_count=9, release_utc=release)
    assert raw[:4] == inner[:4]  # same APID and sequence count: one request id
    assert (raw[7], raw[8]) == (11, 4)
    data = raw[11:-2]
    assert struct.unpack(">I", data[:4])[0] == 1  # N
    assert data[4] == 0x40  # CDS short P-field
    days, ms = struct.unpack(">HI", data[5:11])
    assert days == (date(2031, 5, 6) - date(1958, 1, 1)).days
    assert ms == ((7 * 60 + 8) * 60 + 9) * 1000 + 123
    assert data[11:] == inner
    assert struct.unpack(">H", raw[-2:])[0] == crc16_ref(raw[:-2])
    assert len(raw) == 6 + 5 + 4 + 7 + len(inner) + 2


def test_release_time_rounding_and_zones() -> None:
    def rel(t: datetime) -> datetime:
        d = P.decode_command(P.encode_command("reboot", seq_count=0, release_utc=t))
        assert isinstance(d, P.DecodedCommand)
        return d.release_utc

    base = datetime(2030, 1, 1, 12, 0, 0)
    assert rel(base.replace(microsecond=123499)) == base.replace(microsecond=123000, tzinfo=UTC)
    assert rel(base.replace(microsecond=123500)) == base.replace(microsecond=124000, tzinfo=UTC)
    assert rel(datetime(2030, 1, 1, 23, 59, 59, 999600)) == datetime(2030, 1, 2, tzinfo=UTC)  # rolls over the day
    cet = timezone(timedelta(hours=1))
    assert rel(datetime(2030, 1, 1, 13, 0, tzinfo=cet)) == datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert rel(datetime(1958, 1, 1)) == datetime(1958, 1, 1, tzinfo=UTC)


# ------------------------------------------------------------------------------------ encode errors
@pytest.mark.parametrize(("name", "params", "kwargs", "words"), [
    ("power_cp", {"fraction": 0.5}, {}, ["power_cp", "did you mean 'power_cap'"]),
    ("launch_missiles", None, {}, ["launch_missiles", "expected one of"]),
    ("power_cap", None, {}, ["power_cap", "missing", "fraction"]),
    ("power_cap", {"fraction": 0.5, "x": 1}, {}, ["power_cap", "unknown parameter", "'x'"]),
    ("power_cap", {"fraction": 1.5}, {}, ["fraction", "1.5", "[0.0, 1.0]"]),
    ("power_cap", {"fraction": -0.01}, {}, ["fraction", "-0.01"]),
    ("power_cap", {"fraction": float("nan")}, {}, ["fraction", "nan", "finite"]),
    ("power_cap", {"fraction": "0.5"}, {}, ["fraction", "'0.5'"]),
    ("power_cap", {"fraction": True}, {}, ["fraction", "True"]),
    ("safe_mode", {"on": 2}, {}, ["'on'", "2", "bool"]),
    ("safe_mode", {"on": "yes"}, {}, ["'on'", "'yes'", "bool"]),
    ("set_hk_interval", {"interval_s": 0}, {}, ["interval_s", "0", "[1, 86400]"]),
    ("set_hk_interval", {"interval_s": 86401}, {}, ["interval_s", "86401"]),
    ("set_hk_interval", {"interval_s": 10.0}, {}, ["interval_s", "10.0", "integer"]),
    ("reboot", {"now": True}, {}, ["reboot", "now"]),
    ("ping", None, {"seq_count": -1}, ["seq_count", "-1", "[0, 16383]"]),
    ("ping", None, {"seq_count": 16384}, ["seq_count", "16384"]),
    ("ping", None, {"apid": 0x800}, ["apid", "2048"]),
    ("ping", None, {"source_id": 70000}, ["source_id", "70000"]),
    ("ping", None, {"release_utc": datetime(1957, 12, 31)}, ["release_utc", "1957", "CDS"]),
    ("ping", None, {"release_utc": "2030-01-01"}, ["release_utc", "datetime"]),
])
def test_encode_errors_name_the_problem(name, params, kwargs, words) -> None:
    kwargs = {"seq_count": 0, **kwargs}
    with pytest.raises(P.TtcError) as e:
        P.encode_command(name, params, **kwargs)
    for w in words:
        assert w in str(e.value)


# ------------------------------------------------------------------------------------ decode rejects
def _fault(b: bytes, **fields) -> bytes:
    """``b`` with primary-header fields changed and the CRC recomputed."""
    w0, w1 = struct.unpack(">HH", b[:4])
    if "version" in fields:
        w0 = (w0 & 0x1FFF) | (fields["version"] << 13)
    if "sec_hdr" in fields:
        w0 = (w0 & ~0x0800) | (fields["sec_hdr"] << 11)
    if "seq_flags" in fields:
        w1 = (w1 & 0x3FFF) | (fields["seq_flags"] << 14)
    return recrc(struct.pack(">HH", w0, w1) + b[4:])


GOOD = P.encode_command("power_cap", {"fraction": 0.5}, seq_count=3)
TAGGED = P.encode_command("set_hk_interval", {"interval_s": 60}, seq_count=4, release_utc=T0)
TAG_HEAD = struct.pack(">I", 1) + TAGGED[15:22]  # N and the release time of TAGGED


@pytest.mark.parametrize(("raw", "code", "word"), [
    (b"", 1, "primary header"),
    (GOOD[:5], 1, "primary header"),
    (GOOD[:6], 6, "truncated"),
    (GOOD[:-1], 6, "truncated"),
    (GOOD + b"\x00", 6, "trailing"),
    (GOOD[:4] + struct.pack(">H", 4) + GOOD[6:11], 1, "at least 13"),
    (GOOD[:-1] + bytes([GOOD[-1] ^ 1]), 2, "CRC"),
    (_fault(GOOD, version=1), 1, "packet version 1"),
    (_fault(GOOD, sec_hdr=0), 1, "secondary header"),
    (_fault(GOOD, seq_flags=0b01), 1, "sequence flags"),
    (recrc(GOOD[:6] + bytes([0x1F]) + GOOD[7:]), 1, "PUS version 1"),
    (tc(8, 1, struct.pack(">Hf", 1, 0.5), apid=0x065), 3, "APID 0x065"),
    (P.hk_tm(dict.fromkeys(P.HK_PARAMETERS, 0.0), T0), 3, "TM"),
    (tc(5, 1), 4, "TC[5,1]"),
    (tc(17, 3), 4, "TC[17,3]"),
    (tc(8, 1, struct.pack(">H", 99)), 5, "function id 99"),
    (tc(8, 1, b"\x00"), 6, "function id"),
    (tc(8, 1, struct.pack(">Hf", 1, 0.5) + b"\0"), 6, "power_cap"),
    (tc(8, 1, struct.pack(">H", 1)), 6, "power_cap"),
    (tc(17, 1, b"\0"), 6, "ping"),
    (tc(8, 1, struct.pack(">Hf", 1, 1.5)), 7, "fraction"),
    (tc(8, 1, struct.pack(">Hf", 1, -0.0001)), 7, "fraction"),
    (tc(8, 1, struct.pack(">Hf", 1, float("nan"))), 7, "nan"),
    (tc(8, 1, struct.pack(">Hf", 1, float("inf"))), 7, "inf"),
    (tc(8, 1, struct.pack(">HB", 2, 2)), 7, "safe_mode.on"),
    (tc(8, 1, struct.pack(">HI", 4, 0)), 7, "interval_s"),
    (tc(8, 1, struct.pack(">HI", 4, 2**32 - 1)), 7, "interval_s"),
    (tc(11, 4, struct.pack(">I", 2) + TAGGED[15:-2]), 8, "N = 2"),
    (tc(11, 4, TAG_HEAD[:4] + b"\x10" + TAG_HEAD[5:] + GOOD), 8, "release time"),
    (tc(11, 4, TAG_HEAD[:7] + struct.pack(">I", 86_400_000) + GOOD), 8, "ms of day"),
    (tc(11, 4, TAG_HEAD + TAGGED), 8, "inside a TC[11,4]"),
    (tc(11, 4, TAG_HEAD + GOOD[:-1] + bytes([GOOD[-1] ^ 0x80])), 2, "inner TC"),
    (tc(11, 4, TAG_HEAD + GOOD + b"\0"), 6, "inner TC"),
    (tc(11, 4, TAG_HEAD + tc(8, 1, struct.pack(">Hf", 1, 2.0))), 7, "inner TC"),
    (tc(11, 4, TAG_HEAD + tc(8, 1, struct.pack(">Hf", 1, 0.5), apid=5)), 3, "inner TC"),
    (tc(11, 4, TAG_HEAD), 6, "TC[11,4]"),
])
def test_decode_rejects_with_code(raw: bytes, code: int, word: str) -> None:
    r = P.decode_command(raw)
    assert isinstance(r, P.Rejected), r
    assert r.code == code, r
    assert word in r.reason
    assert r.request_id == (struct.unpack(">I", raw[:4])[0] if len(raw) >= 6 else None)


def test_decode_other_apid_on_request() -> None:
    raw = P.encode_command("reboot", seq_count=1, apid=0x123)
    assert isinstance(P.decode_command(raw), P.Rejected)
    assert P.decode_command(raw, apid=0x123).apid == 0x123


@pytest.mark.parametrize("raw", [GOOD, TAGGED])
def test_every_bit_flip_is_rejected(raw: bytes) -> None:
    for bit in range(8 * len(raw)):
        bad = bytearray(raw)
        bad[bit // 8] ^= 1 << (7 - bit % 8)
        r = P.decode_command(bytes(bad))
        assert isinstance(r, P.Rejected), bit
        # the length field (bits 32..47) makes the packet look truncated / overlong; elsewhere: CRC
        assert r.code == (P.REJ_LENGTH if 32 <= bit < 48 else P.REJ_CRC), (bit, r)


def test_every_truncation_is_rejected() -> None:
    for n in range(len(TAGGED)):
        r = P.decode_command(TAGGED[:n])
        assert isinstance(r, P.Rejected) and r.code in (1, 6)


def test_decode_odd_inputs_never_raise() -> None:
    for raw in (bytearray(GOOD), memoryview(GOOD), b"\xff" * 200, None, 12, "text"):
        assert isinstance(P.decode_command(raw), (P.Rejected, P.DecodedCommand))  # type: ignore[arg-type]
    assert isinstance(P.decode_command(bytearray(GOOD)), P.DecodedCommand)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_fuzz_random_bytes(raw: bytes) -> None:
    r = P.decode_command(raw)
    assert isinstance(r, (P.Rejected, P.DecodedCommand))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([GOOD, TAGGED, P.encode_command("ping", seq_count=1)]),
       st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4),
       st.booleans())
def test_fuzz_mutated_packets(raw: bytes, edits: list[tuple[int, int]], fix_crc: bool) -> None:
    b = bytearray(raw)
    for pos, val in edits:
        b[pos % len(b)] = val
    b = bytes(b)
    if fix_crc:  # get past the CRC to the deeper checks
        b = recrc(b)
    r = P.decode_command(b)
    assert isinstance(r, (P.Rejected, P.DecodedCommand))
    if isinstance(r, P.DecodedCommand):
        assert crc16_ref(b) == 0  # only CRC-valid packets get through
        assert r.name in P.COMMANDS and r.request_id == P.request_id_of(b)


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0, 1.0), st.integers(0, 16383), st.integers(1, 86400))
def test_fuzz_valid_round_trip(fraction: float, seq: int, interval_s: int) -> None:
    d = P.decode_command(P.encode_command("power_cap", {"fraction": fraction}, seq_count=seq))
    assert d.params["fraction"] == struct.unpack(">f", struct.pack(">f", fraction))[0] and d.seq_count == seq
    d = P.decode_command(P.encode_command("set_hk_interval", {"interval_s": interval_s}, seq_count=seq))
    assert d.params == {"interval_s": interval_s}


# ------------------------------------------------------------------------------------ verification
@pytest.mark.parametrize("stage", ["accepted", "started", "completed"])
@pytest.mark.parametrize("ok", [True, False])
def test_verification_round_trip(stage: str, ok: bool) -> None:
    rid = P.request_id_of(GOOD)
    t = datetime(2031, 5, 6, 7, 8, 9, 456789)
    raw = P.verification_tm(stage, rid, t, ok=ok, failure_code=0 if ok else 513, seq_count=17)
    subtype = {"accepted": 1, "started": 3, "completed": 7}[stage] + (0 if ok else 1)
    assert (raw[0] >> 4) & 1 == 0 and struct.unpack(">H", raw[:2])[0] & 0x7FF == P.APID_COMMAND
    assert struct.unpack(">H", raw[2:4])[0] & 0x3FFF == 17
    assert (raw[7], raw[8]) == (1, subtype)
    assert raw[13:20] == P._cds_bytes(t, "t")
    assert struct.unpack(">I", raw[20:24])[0] == rid
    assert raw[24:-2] == (b"" if ok else struct.pack(">H", 513))
    assert struct.unpack(">H", raw[-2:])[0] == crc16_ref(raw[:-2])
    rep = P.decode_verification(raw)
    assert rep == P.VerificationReport(stage, ok, rid, datetime(2031, 5, 6, 7, 8, 9, 457000, tzinfo=UTC),
                                       0 if ok else 513)


def test_verification_failed_stage_and_errors() -> None:
    raw = P.verification_tm("failed", 0x1864C003, T0, failure_code=5)
    assert raw[8] == 8
    assert P.decode_verification(raw) == P.VerificationReport("completed", False, 0x1864C003, T0, 5)
    with pytest.raises(P.TtcError, match="'done'"):
        P.verification_tm("done", 1, T0)
    with pytest.raises(P.TtcError, match="failure_code"):
        P.verification_tm("accepted", 1, T0, ok=False, failure_code=70000)
    with pytest.raises(P.TtcError, match="request_id"):
        P.verification_tm("accepted", -1, T0)
    for bad in (GOOD, P.hk_tm(dict.fromkeys(P.HK_PARAMETERS, 0.0), T0), raw[:-1], raw + b"\0", b"", raw[:10]):
        with pytest.raises(P.TtcError):
            P.decode_verification(bad)
    for bit in range(8 * len(raw)):
        bad = bytearray(raw)
        bad[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(P.TtcError):
            P.decode_verification(bytes(bad))


# ------------------------------------------------------------------------------------ housekeeping
HK = {"soc": 0.8125, "temperature_c": -12.3, "compute_load": 0.95, "devices_up": 63, "fault_count": 2,
      "dose_rad": 1234.567, "safe_mode": False}


def test_hk_round_trip() -> None:
    raw = P.hk_tm(HK, datetime(2031, 5, 6, 7, 8, 9, 999999), seq_count=42)
    assert len(raw) == P.hk_packet_bytes() == 6 + 7 + 7 + 2 + 4 * len(P.HK_PARAMETERS) + 2
    assert struct.unpack(">H", raw[:2])[0] & 0x7FF == P.APID_HOUSEKEEPING and (raw[7], raw[8]) == (3, 25)
    assert struct.unpack(">H", raw[20:22])[0] == 1  # structure id
    assert struct.unpack(">H", raw[-2:])[0] == crc16_ref(raw[:-2])
    t, vals = P.decode_hk(raw)
    assert t == datetime(2031, 5, 6, 7, 8, 10, tzinfo=UTC)
    assert list(vals) == list(P.HK_PARAMETERS)
    for k, v in HK.items():  # float32: relative error <= 2**-24
        assert math.isclose(vals[k], float(v), rel_tol=2**-24, abs_tol=0.0)


def test_hk_errors() -> None:
    with pytest.raises(P.TtcError, match="soc"):
        P.hk_tm({k: v for k, v in HK.items() if k != "soc"}, T0)
    with pytest.raises(P.TtcError, match="extra"):
        P.hk_tm({**HK, "extra": 1.0}, T0)
    with pytest.raises(P.TtcError, match="dose_rad"):
        P.hk_tm({**HK, "dose_rad": float("inf")}, T0)
    with pytest.raises(P.TtcError, match="dose_rad"):
        P.hk_tm({**HK, "dose_rad": 1e39}, T0)
    raw = P.hk_tm(HK, T0)
    for bad in (raw[:-1], raw[:-1] + bytes([raw[-1] ^ 4]), GOOD, P.verification_tm("accepted", 1, T0),
                recrc(raw[:21] + b"\x02" + raw[22:])):
        with pytest.raises(P.TtcError):
            P.decode_hk(bad)


def test_ping_reply_and_sizes() -> None:
    raw = P.ping_reply_tm(T0, seq_count=5)
    assert (raw[7], raw[8]) == (17, 2) and P.decode_ping_reply(raw) == T0
    with pytest.raises(P.TtcError):
        P.decode_ping_reply(P.hk_tm(HK, T0))
    for name in P.COMMANDS:
        bare, tagged = P.command_packet_bytes(name, False), P.command_packet_bytes(name, True)
        assert tagged == bare + 6 + 5 + 4 + 7 + 2
    assert P.command_packet_bytes("ping", False) == 13
    with pytest.raises(P.TtcError, match="pong"):
        P.command_packet_bytes("pong", False)
