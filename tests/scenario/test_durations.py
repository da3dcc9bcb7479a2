"""Durations: every documented form (docs/scenario.md, "Durations"), in YAML, directly and on the
command line; the errors; and ``format_duration`` -> ``parse_duration_s`` round trips (hypothesis).

The expected values are typed in (seconds per unit: 1 ms = 1/1000 s, 1 min = 60 s, 1 h = 3,600 s,
1 d = 86,400 s, 1 w = 604,800 s), not computed by the code under test.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitcloud.cli import main
from orbitcloud.errors import ScenarioError
from orbitcloud.scenario import format_duration, load_scenario, parse_duration_s
from orbitcloud.scenario.workloads import Policies

#: The forms the issue names, and their values in seconds.
FORMS = {
    "100ms": 0.1,
    "0.1s": 0.1,
    "0.1": 0.1,
    "90s": 90.0,
    "15min": 900.0,
    "1.5h": 5400.0,
    "1d": 86400.0,
}
#: More spellings: case, blanks, `sec`, weeks, exponents, leading/trailing dots.
MORE = {
    "100 ms": 0.1,
    "100MS": 0.1,
    "250ms": 0.25,
    "1ms": 0.001,
    "0.5ms": 0.0005,
    "1500ms": 1.5,
    "90 sec": 90.0,
    "  6h ": 21600.0,
    "2w": 1209600.0,
    "365d": 31536000.0,
    "1e3": 1000.0,
    "1e3ms": 1.0,
    ".5h": 1800.0,
    "5.": 5.0,
    "0": 0.0,
    "0s": 0.0,
}

BASE = """\
name: durations
epoch: 2026-03-20T00:00:00Z
duration: {duration}
step: {step}
constellation:
  - kind: walker
    altitude_km: 550
    inclination_deg: 53
    planes: 2
    sats_per_plane: 2
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, "utf-8")
    return path


# ---- direct ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, seconds", sorted({**FORMS, **MORE}.items()))
def test_parse_text_forms(text, seconds):
    assert parse_duration_s(text) == seconds


def test_milliseconds_are_exact_decimal_seconds():
    # 100 ms is the float 0.1 exactly (a division by 1000, not a multiplication by 0.001)
    assert parse_duration_s("100ms") == parse_duration_s("0.1s") == parse_duration_s("0.1") == 0.1
    for n in range(0, 5000, 7):
        assert parse_duration_s(f"{n}ms") == n / 1000


@pytest.mark.parametrize("value, seconds", [(90, 90.0), (0.1, 0.1), (0, 0.0), (np.float64(1.5), 1.5), (np.int64(60), 60.0)])
def test_parse_numbers(value, seconds):
    out = parse_duration_s(value)
    assert out == seconds and type(out) is float


@pytest.mark.parametrize(
    "value, needles",
    [
        ("5m", ("'5m'", "ambiguous", "'min'")),
        ("3M", ("'3M'", "ambiguous")),
        ("1x", ("'1x'", "unknown unit 'x'", "ms, s, min, h, d or w")),
        ("5y", ("unknown unit 'y'",)),
        ("5us", ("unknown unit 'us'", "millisecond")),
        ("", ("not a duration", "empty")),
        ("   ", ("not a duration", "empty")),
        ("nan", ("'nan'", "not a duration")),
        ("inf", ("'inf'", "not a duration")),
        ("1e400", ("finite",)),
        ("1e400ms", ("finite",)),
        (math.nan, ("finite",)),
        (math.inf, ("finite",)),
        (-math.inf, ("finite",)),
        (-1, ("-1", "negative")),
        (-0.5, ("negative",)),
        ("-5s", ("'-5s'", "negative")),
        ("-5", ("'-5'", "negative")),
        ("+5s", ("'+5s'", "sign")),
        ("-", ("not a duration",)),
        ("1h30min", ("'1h30min'", "not a duration", "one unit")),
        ("ms", ("'ms'", "not a duration")),
        ("abc", ("not a duration", "min")),
        ("1,5h", ("not a duration",)),
        (True, ("not a duration",)),
        (None, ("not a duration",)),
        ([1], ("not a duration",)),
    ],
)
def test_parse_errors(value, needles):
    with pytest.raises(ValueError) as info:
        parse_duration_s(value)
    for needle in needles:
        assert needle in str(info.value), str(info.value)


# ---- YAML -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, seconds", sorted(FORMS.items()))
def test_yaml_step_and_duration(tmp_path, text, seconds):
    sc = load_scenario(_write(tmp_path, BASE.format(duration=text, step=text))).scenario
    assert sc.step == seconds and sc.duration == seconds


def test_yaml_numbers_and_quoted_text(tmp_path):
    sc = load_scenario(_write(tmp_path, BASE.format(duration="'0.1'", step=0.1))).scenario
    assert sc.duration == 0.1 and sc.step == 0.1
    sc = load_scenario(_write(tmp_path, BASE.format(duration=90, step='"100 ms"'))).scenario
    assert sc.duration == 90.0 and sc.step == 0.1


def test_yaml_other_duration_keys_use_the_same_parser():
    pol = Policies(replan="15min", telemetry_delay="100ms", route_every="1.5h", eclipse_lookahead="0.1", migrate_after=90)
    assert (pol.replan, pol.telemetry_delay, pol.route_every, pol.eclipse_lookahead, pol.migrate_after) == (
        900.0, 0.1, 5400.0, 0.1, 90.0,
    )
    with pytest.raises(ValueError, match="ambiguous"):
        Policies(replan="5m")


@pytest.mark.parametrize(
    "step, needles",
    [
        ("5m", ("scenario.yaml:4", "step", "'5m'", "'min'")),
        ("1x", ("scenario.yaml:4", "step", "unknown unit 'x'")),
        ("-5", ("scenario.yaml:4", "step", "negative")),
        ("'-5s'", ("scenario.yaml:4", "step", "negative")),
        ("0", ("scenario.yaml:4", "step", "positive")),
        (".nan", ("scenario.yaml:4", "step", "finite")),
        (".inf", ("scenario.yaml:4", "step", "finite")),
        ("''", ("scenario.yaml:4", "step", "empty")),
    ],
)
def test_yaml_errors_name_file_line_key(tmp_path, step, needles):
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, BASE.format(duration="1h", step=step)))
    for needle in needles:
        assert needle in str(info.value), str(info.value)


# ---- command line ---------------------------------------------------------------------------------------

NET_GROUND = """\
ground:
  stations:
    - {name: A, lat_deg: 10.0, lon_deg: 20.0}
    - {name: B, lat_deg: 11.0, lon_deg: 21.0}
"""


@pytest.mark.parametrize("step, seconds", [("100ms", 0.1), ("0.1s", 0.1), ("0.1", 0.1), ("90s", 90.0), ("15min", 900.0)])
def test_cli_net_step_and_duration(tmp_path, capsys, step, seconds):
    # `orbitcloud net --step 100ms` (NetOptions -> job.prepare -> parse_duration_s)
    path = _write(tmp_path, BASE.format(duration="1h", step="60s") + NET_GROUND)
    duration = "1.5h" if seconds >= 60 else "2s"
    assert main(["net", str(path), "--pair", "A,B", "--duration", duration, "--step", step, "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["step_s"] == seconds
    assert s["duration_s"] == {"2s": 2.0, "1.5h": 5400.0}[duration]
    assert s["steps"] == {("2s", 0.1): 20, ("1.5h", 90.0): 60, ("1.5h", 900.0): 6}[(duration, seconds)]


@pytest.mark.parametrize("text, seconds", sorted(FORMS.items()))
def test_run_options_duration_step_record(tmp_path, text, seconds):
    # `orbitcloud run --duration/--step/--record` go through job.prepare as well
    from orbitcloud.job import JobOptions, prepare

    path = _write(tmp_path, BASE.format(duration="1h", step="60s"))
    _, _, spec, _, duration_s = prepare(str(path), JobOptions(duration=text, step=text))
    assert duration_s == seconds and spec.step_s == seconds and spec.n_steps == 1


def test_cli_bad_step_is_one_line(tmp_path, capsys):
    path = _write(tmp_path, BASE.format(duration="1h", step="60s") + NET_GROUND)
    assert main(["net", str(path), "--pair", "A,B", "--step", "5m", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert "--step" in err and "'5m'" in err and "'min'" in err


# ---- format_duration ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds, text",
    [
        (0.0, "0s"),
        (0.1, "100ms"),
        (0.25, "250ms"),
        (0.001, "1ms"),
        (2.5e-05, "0.025ms"),
        (1e-07, "0.0000001s"),
        (1.5, "1.5s"),
        (90.0, "90s"),
        (900.0, "15min"),
        (5400.0, "90min"),
        (3600.0, "1h"),
        (86400.0, "1d"),
        (604800.0, "7d"),
        (3600.5, "3600.5s"),
        (1e20, "1e+20s"),
        (-90.0, "-90s"),
        (math.inf, "inf"),
        (math.nan, "nan"),
    ],
)
def test_format_duration_examples(seconds, text):
    assert format_duration(seconds) == text


@settings(max_examples=2000, deadline=None)
@given(st.floats(min_value=0.0, allow_nan=False, allow_infinity=False))
def test_format_then_parse_round_trips_any_float(t_s):
    assert parse_duration_s(format_duration(t_s)) == t_s


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["ms", "s", "min", "h", "d", "w"]))
def test_format_then_parse_round_trips_whole_units(n, unit):
    t_s = parse_duration_s(f"{n}{unit}")
    text = format_duration(t_s)
    assert parse_duration_s(text) == t_s
    assert len(text) <= len(f"{n}{unit}") + 4  # compact: never much longer than what was written


@settings(max_examples=500, deadline=None)
@given(st.floats(min_value=1e-9, max_value=1e12, allow_nan=False, allow_infinity=False))
def test_format_duration_uses_the_documented_units(t_s):
    text = format_duration(t_s)
    assert text.endswith(("ms", "s", "min", "h", "d")) and not text.endswith("m")
    if t_s >= 1.0:
        assert not text.endswith("ms")
