"""Property tests of the scenario loader: any input either loads or raises ScenarioError (one line).

Random documents (nested mappings, lists and scalars), mutations of a valid scenario (a key dropped,
a value replaced by a random one, a random key added) and random text are fed to ``parse_scenario``.
Nothing but :class:`~orbitcloud.errors.ScenarioError` may come out, and its message is a single line
that starts with the label. Whenever a document loads, every value it gives is compared with what the
scenario holds, read independently here (:func:`_assert_parsed_as_written`): durations from their
text (``docs/scenario.md`` "Durations": s/sec, min, h, d = 86,400 s, w = 604,800 s), epochs with the
standard library's ISO 8601 reader, local times ``HH:MM`` as hours, quantities as numbers, counts and
names as given, defaults of absent keys from the docs' tables. Valid generated walker/sso scenarios
load and build the right fleet.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from orbitcloud.errors import ScenarioError
from orbitcloud.fleet import build_fleet
from orbitcloud.scenario import parse_scenario
from orbitcloud.scenario.schema import Scenario

LABEL = "prop.yaml"
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALID = {
    "name": "prop",
    "description": "property test",
    "epoch": "2026-03-20T00:00:00Z",
    "duration": "1h",
    "step": "60s",
    "seed": 3,
    "constellation": [
        {"kind": "walker", "name": "w", "altitude_km": 550, "inclination_deg": 53, "planes": 3,
         "sats_per_plane": 4, "phasing": 1, "pattern": "delta", "raan0_deg": 10.0},
        {"kind": "sso", "name": "s", "altitude_km": 700, "ltan": "10:30", "planes": 2, "sats_per_plane": 3,
         "phasing": 0, "ltan_spacing_h": 1.5, "altitude_spacing_km": 10},
        {"kind": "cluster", "name": "c", "count": 5, "radius_m": 500, "spacing_m": [100, 200],
         "reference": {"kind": "sso", "altitude_km": 650, "ltan": "18:00", "arg_lat_deg": 0}},
        {"kind": "cluster", "count": 3, "radius_m": 500, "spacing_m": [100, 200],
         "reference": {"kind": "circular", "altitude_km": 650, "inclination_deg": 45, "raan_deg": 5}},
    ],
}
VALID_COUNT = 12 + 6 + 5 + 3

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["1h", "3m", "18:00", "25:00", "walker", "sso", "cluster", "tle", "circular", "-", "0s",
                     "2026-03-20T00:00:00Z", "1e400", "nan", "", " "]),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.dates(),
)
keys = st.one_of(
    st.text(max_size=12),
    st.sampled_from(sorted(set(Scenario.model_fields) | {"kind", "planes", "altitude_km", "ltan", "count",
                                                         "reference", "spacing_m", "path", "limit"})),
    st.integers(min_value=-5, max_value=5),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)),
    max_leaves=20,
)


def _dump(doc) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


# ---- the document's values, read independently of the schema -----------------------------------------

#: Seconds per duration unit (docs/scenario.md, "Durations"); ``m`` is refused there.
UNIT_S = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
#: Text pydantic's lax booleans accept (pydantic docs, "Conversion table"); YAML's own booleans come as bool.
TRUE_TEXT = {"1", "on", "t", "true", "y", "yes"}
FALSE_TEXT = {"0", "off", "f", "false", "n", "no"}


def _duration_s(value) -> float:
    """A duration as written: a number of seconds, or a number and one unit (case-insensitive)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = value.strip().lower()
    for unit in sorted(UNIT_S, key=len, reverse=True):  # "sec"/"min" before "s"
        if text.endswith(unit) and text[: -len(unit)].strip():
            return float(text[: -len(unit)].strip()) * UNIT_S[unit]
    return float(text)


def _number(value) -> float:
    """A quantity (km, deg, m, h ...): YAML numbers, and numeric text (PyYAML 1.1 reads ``1e3`` as text).

    YAML ``true``/``false`` are refused by the schema's quantity fields (``scenario/base.py``), so a
    document that parses never carries one here.
    """
    assert not isinstance(value, bool), f"a boolean was accepted as a number: {value!r}"
    if isinstance(value, bytes):
        value = value.decode()
    return float(value)


def _flag(value) -> bool:
    if isinstance(value, str):
        assert value.strip().lower() in TRUE_TEXT | FALSE_TEXT, value
        return value.strip().lower() in TRUE_TEXT
    assert value in (0, 1), value
    return bool(value)


def _epoch(value) -> dt.datetime:
    """ISO 8601 text or a YAML timestamp/date as a naive UTC datetime (offsets converted, none = UTC)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.strip())  # Python >= 3.11 reads "Z" and offsets
    elif not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = (value - value.utcoffset()).replace(tzinfo=None)
    return value


def _ltan_h(value) -> float:
    """``"HH:MM"`` as hours; an integer is YAML 1.1's sexagesimal reading of an unquoted HH:MM (minutes)."""
    if isinstance(value, str):
        hh, mm = value.strip().split(":")
        return int(hh) + int(mm) / 60.0
    return value / 60.0


def _same(path: str, got, want) -> None:
    if isinstance(want, float) and not math.isnan(want):
        assert isinstance(got, float) and got == want, f"{path}: parsed {got!r}, document says {want!r}"
    else:
        assert got == want and type(got) is type(want), f"{path}: parsed {got!r}, document says {want!r}"


def _check_fields(path: str, model, doc: dict, fields: dict) -> None:
    """``fields``: key -> (reader, default); an absent key must hold the default, an explicit null None
    (a null where the schema needs a value does not load)."""
    for key, (read, default) in fields.items():
        if key not in doc:
            want = default
        else:
            want = None if doc[key] is None else read(doc[key])
        _same(f"{path}.{key}", getattr(model, key), want)


_IDENT = lambda v: v  # noqa: E731  (names, kinds, counts: kept as written)
_SHELL_FIELDS = {
    "walker": {"kind": (_IDENT, None), "name": (_IDENT, None), "altitude_km": (_number, None),
               "mean_motion_rev_per_day": (_number, None), "inclination_deg": (_number, None),
               "planes": (_IDENT, None), "sats_per_plane": (_IDENT, None), "phasing": (_IDENT, 0),
               "pattern": (_IDENT, "delta"), "raan0_deg": (_number, 0.0)},
    "sso": {"kind": (_IDENT, None), "name": (_IDENT, None), "altitude_km": (_number, None),
            "mean_motion_rev_per_day": (_number, None), "ltan": (_ltan_h, None), "planes": (_IDENT, 1),
            "sats_per_plane": (_IDENT, None), "phasing": (_IDENT, 0), "ltan_spacing_h": (_number, None),
            "altitude_spacing_km": (_number, 0.0)},
    "cluster": {"kind": (_IDENT, None), "name": (_IDENT, None), "count": (_IDENT, None),
                "radius_m": (_number, None), "spacing_m": (lambda v: tuple(_number(x) for x in v), None)},
    "tle": {"kind": (_IDENT, None), "name": (_IDENT, None), "path": (_IDENT, None), "limit": (_IDENT, None),
            "planes": (_IDENT, None), "sats_per_plane": (_IDENT, None)},
}
_REFERENCE_FIELDS = {
    "sso": {"kind": (_IDENT, None), "altitude_km": (_number, None), "ltan": (_ltan_h, None),
            "arg_lat_deg": (_number, 0.0)},
    "circular": {"kind": (_IDENT, None), "altitude_km": (_number, None), "inclination_deg": (_number, None),
                 "raan_deg": (_number, 0.0), "arg_lat_deg": (_number, 0.0)},
}
_RADIATION_FIELDS = {"shielding_mm_al": (_number, 10.0), "solar": (_IDENT, "min"), "gcr_rad_per_yr": (_number, None),
                     "spe": (_flag, False), "subsample_s": (_number, 60.0)}


def _assert_parsed_as_written(doc: dict, sc: Scenario) -> None:
    """Every value of the loaded document ``doc`` equals the scenario's, read independently (above)."""
    _check_fields("", sc, doc, {"name": (_IDENT, None), "description": (_IDENT, ""), "epoch": (_epoch, None),
                                "duration": (_duration_s, None), "step": (_duration_s, 60.0), "seed": (_IDENT, 0)})
    assert len(sc.constellation) == len(doc["constellation"])
    for i, (shell, d) in enumerate(zip(sc.constellation, doc["constellation"])):
        _check_fields(f"constellation[{i}]", shell, d, _SHELL_FIELDS[d["kind"]])
        if d["kind"] in ("walker", "sso"):
            assert shell.count == shell.planes * shell.sats_per_plane
        if d["kind"] == "cluster":
            ref = d["reference"]
            _check_fields(f"constellation[{i}].reference", shell.reference, ref, _REFERENCE_FIELDS[ref["kind"]])
        if d.get("hardware") is None:
            assert shell.hardware is None
    rad = doc.get("radiation")
    if rad is None:
        assert sc.radiation is None
    else:
        _check_fields("radiation", sc.radiation, rad, _RADIATION_FIELDS)
    for key in ("network", "ground", "workloads", "policies"):  # their values: tests of their own
        if doc.get(key) is None:
            assert getattr(sc, key) is None, key


def _check(text: str) -> None:
    """parse_scenario(text) loads or raises ScenarioError with one line naming the label."""
    try:
        loaded = parse_scenario(text, label=LABEL)
    except ScenarioError as exc:
        msg = str(exc)
        assert "\n" not in msg and "\r" not in msg, f"multi-line message: {msg!r}"
        assert msg.startswith(LABEL), msg
        return
    assert loaded.scenario.constellation
    _assert_parsed_as_written(yaml.safe_load(text), loaded.scenario)


@SETTINGS
@given(doc=values)
@example(doc={"key\nwith a newline": 1})
def test_random_documents(doc):
    _check(_dump(doc))


@SETTINGS
@given(doc=st.dictionaries(st.sampled_from(sorted(Scenario.model_fields)), values, max_size=7))
def test_random_values_under_known_keys(doc):
    _check(_dump(doc))


# ---- mutations of a valid scenario ---------------------------------------------------------------


def _paths(node, prefix=()):
    """Every (container path, key) in the document."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix, k
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield prefix, i
            yield from _paths(v, prefix + (i,))


def _containers(node, prefix=()):
    if isinstance(node, dict):
        yield prefix
        for k, v in node.items():
            yield from _containers(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _containers(v, prefix + (i,))


def _get(doc, path):
    for k in path:
        doc = doc[k]
    return doc


def _copy(doc):
    return yaml.safe_load(_dump(doc))


@st.composite
def mutated(draw):
    doc = _copy(VALID)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        op = draw(st.sampled_from(["drop", "replace", "add"]))
        if op == "add":
            path = draw(st.sampled_from(list(_containers(doc))))
            _get(doc, path)[draw(keys)] = draw(values)
            continue
        paths = list(_paths(doc))
        if not paths:
            break
        parent_path, key = draw(st.sampled_from(paths))
        parent = _get(doc, parent_path)
        if op == "drop":
            del parent[key]
        else:
            parent[key] = draw(values)
    return doc


def test_valid_document_is_valid():
    """Control: the unmutated document loads and builds 26 satellites."""
    loaded = parse_scenario(_dump(VALID), label=LABEL)
    assert len(build_fleet(loaded)) == VALID_COUNT
    _assert_parsed_as_written(VALID, loaded.scenario)
    sc = loaded.scenario  # and a few values typed in, so the reader above is checked too
    assert sc.duration == 3600.0 and sc.step == 60.0 and sc.epoch == dt.datetime(2026, 3, 20)
    assert sc.constellation[1].ltan == 10.5 and sc.constellation[2].spacing_m == (100.0, 200.0)


@SETTINGS
@given(doc=mutated())
@example(doc={**VALID, "\r": None})
def test_mutated_scenarios(doc):
    _check(_dump(doc))


_FLEET_ARRAYS = ("no_kozai_rad_min", "ecco", "inclo_rad", "nodeo_rad", "argpo_rad", "mo_rad", "epoch_jd", "epoch_fr")


def _build_or_error(doc) -> None:
    """A document that validates either builds a fleet of finite elements or raises ScenarioError."""
    try:
        loaded = parse_scenario(_dump(doc), label=LABEL)
    except ScenarioError:
        return
    sc = loaded.scenario
    _assert_parsed_as_written(yaml.safe_load(_dump(doc)), sc)
    assume(sum(getattr(s, "count", 0) for s in sc.constellation) <= 20_000)
    try:
        fleet = build_fleet(loaded)
    except ScenarioError as exc:
        assert "\n" not in str(exc)
        return
    for name in _FLEET_ARRAYS:
        arr = getattr(fleet, name)
        assert np.isfinite(arr).all(), f"{name} has non-finite values for a scenario that validated"
    inc = np.degrees(fleet.inclo_rad)
    assert ((inc >= 0.0) & (inc <= 180.0)).all(), f"inclinations outside 0..180 deg: {inc.min()}..{inc.max()}"


def _with(path, value):
    doc = _copy(VALID)
    parent = _get(doc, path[:-1])
    parent[path[-1]] = value
    return doc


@SETTINGS
@given(doc=mutated())
@example(doc=_with(("constellation", 0, "raan0_deg"), math.nan))
@example(doc=_with(("constellation", 2, "radius_m"), math.inf))
@example(doc=_with(("constellation", 3, "reference", "arg_lat_deg"), math.nan))
@example(doc=_with(("constellation", 1, "altitude_km"), 9000))
def test_mutated_scenarios_build_or_error(doc):
    with np.errstate(all="ignore"):
        _build_or_error(doc)


# ---- random text -----------------------------------------------------------------------------------

yamlish = st.text(alphabet=list("abcdekmnpst_0123456789.:-+ \n\t[]{},'\"#&*!|>%@`?~\\") + ["\x00", "é"], max_size=200)


@SETTINGS
@given(text=st.one_of(st.text(max_size=200), yamlish))
@example(text="epoch: 2026-13-01\n")
@example(text="a: !!int 'x'\n")
@example(text="a: !!timestamp 'x'\n")
@example(text="a: !!bool 'x'\n")
@example(text="a: !!float 'x'\n")
@example(text="[" * 5000)
@example(text="a: &x [*x]\n")
@example(text="\ufeffname: x\n")
def test_random_text(text):
    _check(text)


@SETTINGS
@given(
    lines=st.lists(st.sampled_from(_dump(VALID).splitlines()), min_size=1, max_size=30),
    junk=st.lists(yamlish, max_size=3),
)
def test_shuffled_lines(lines, junk):
    _check("\n".join(lines + junk) + "\n")


# ---- valid generated scenarios -----------------------------------------------------------------


walker_shells = st.fixed_dictionaries(
    {
        "kind": st.just("walker"),
        "altitude_km": st.floats(min_value=160.0, max_value=40_000.0),
        "inclination_deg": st.floats(min_value=0.0, max_value=180.0),
        "planes": st.integers(min_value=1, max_value=12),
        "sats_per_plane": st.integers(min_value=1, max_value=12),
        "pattern": st.sampled_from(["delta", "star"]),
        "raan0_deg": st.floats(min_value=-720.0, max_value=720.0),
    }
).flatmap(lambda d: st.integers(min_value=0, max_value=d["planes"] - 1).map(lambda f: {**d, "phasing": f}))


def _ltan(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


sso_shells = st.fixed_dictionaries(
    {
        "kind": st.just("sso"),
        # sun-synchronous circular orbits exist up to about 5,974 km
        "altitude_km": st.floats(min_value=160.0, max_value=5_000.0),
        "ltan": st.integers(min_value=0, max_value=24 * 60 - 1).map(_ltan),
        "planes": st.integers(min_value=1, max_value=12),
        "sats_per_plane": st.integers(min_value=1, max_value=12),
        "ltan_spacing_h": st.one_of(st.none(), st.floats(min_value=0.0, max_value=24.0)),
    }
).flatmap(lambda d: st.integers(min_value=0, max_value=d["planes"] - 1).map(lambda f: {**d, "phasing": f}))


#: The generated durations and steps and their values in seconds, typed in.
DURATION_S = {"90s": 90.0, "15min": 900.0, "6h": 21_600.0, "1d": 86_400.0, "365d": 31_536_000.0, 3600: 3600.0,
              0.5: 0.5}
STEP_S = {"1s": 1.0, "10s": 10.0, "1min": 60.0, 60: 60.0, 30.5: 30.5}


@SETTINGS
@given(
    shells=st.lists(st.one_of(walker_shells, sso_shells), min_size=1, max_size=4),
    duration=st.sampled_from(sorted(DURATION_S, key=str)),
    step=st.sampled_from(sorted(STEP_S, key=str)),
)
def test_valid_generated_scenarios_build(shells, duration, step):
    doc = {"name": "gen", "epoch": "2026-03-20T00:00:00Z", "duration": duration, "step": step,
           "constellation": shells}
    loaded = parse_scenario(_dump(doc), label=LABEL)
    _assert_parsed_as_written(doc, loaded.scenario)
    assert loaded.scenario.duration == DURATION_S[duration] and loaded.scenario.step == STEP_S[step]
    expected = sum(s["planes"] * s["sats_per_plane"] for s in shells)
    assert sum(s.count for s in loaded.scenario.constellation) == expected
    fleet = build_fleet(loaded)
    assert len(fleet) == expected
    assert [s.count for s in fleet.shells] == [s["planes"] * s["sats_per_plane"] for s in shells]
    for name in _FLEET_ARRAYS:
        assert np.isfinite(getattr(fleet, name)).all(), name
    inc = np.degrees(fleet.inclo_rad)
    assert ((inc >= 0.0) & (inc <= 180.0)).all()
    for info, shell in zip(fleet.shells, shells):
        sel = slice(info.start, info.stop)
        if shell["kind"] == "walker":
            np.testing.assert_allclose(inc[sel], shell["inclination_deg"], atol=1e-9)
        else:
            assert (inc[sel] > 90.0).all(), "sun-synchronous orbits are retrograde"


@pytest.mark.parametrize("altitude_km", [160.0, 5_900.0])
def test_sso_range_edges_build(altitude_km):
    doc = {"name": "edge", "epoch": "2026-03-20", "duration": "1h",
           "constellation": [{"kind": "sso", "altitude_km": altitude_km, "ltan": "06:00", "sats_per_plane": 2}]}
    fleet = build_fleet(parse_scenario(_dump(doc)))
    inc = np.degrees(fleet.inclo_rad)
    assert np.isfinite(inc).all() and ((inc > 90.0) & (inc < 180.0)).all(), inc
