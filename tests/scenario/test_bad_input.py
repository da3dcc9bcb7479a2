"""Bad input on the command line: exit status 2, one line on stderr, no traceback, a useful message.

Every case drives ``orbitcloud.cli.main(["run", ..., "--json"])`` (and one the installed console
script) and checks that the message names the source (file, and line where there is one), the bad key
or value, and what was expected.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from orbitcloud.cli import main
from orbitcloud.scenario import builtin_names
from tle_samples import ISS_L1, ISS_L2, SYN_L1, SYN_L2

BASE = """\
name: bad-input
epoch: 2026-03-20T00:00:00Z
duration: 1h
step: 60s
constellation:
  - kind: walker
    altitude_km: 550
    inclination_deg: 53
    planes: 2
    sats_per_plane: 2
"""
# Line numbers in BASE: 1 name, 2 epoch, 3 duration, 4 step, 5 constellation, 6 "- kind",
# 7 altitude_km, 8 inclination_deg, 9 planes, 10 sats_per_plane.

SSO_SHELL = """\
  - kind: sso
    altitude_km: 550
    ltan: "10:30"
    sats_per_plane: 2
"""

# Element sets: tests/tle_samples.py (ISS, and a synthetic companion SYN).



GOOD_TLE = f"ISS (ZARYA)\n{ISS_L1}\n{ISS_L2}\nSYNTH-1\n{SYN_L1}\n{SYN_L2}\n"
# Lines of GOOD_TLE: 1 name, 2 ISS line 1, 3 ISS line 2, 4 name, 5 SYN line 1, 6 SYN line 2.


def _write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_error(code: int, out: str, err: str, *needles: str) -> str:
    """Assert the error contract and that every needle appears; returns the message after the prefix."""
    assert "Traceback" not in err, err
    assert code == 2, f"exit status {code}, stderr: {err!r}"
    assert out == "", f"stdout should be empty on error, got {out!r}"
    lines = err.splitlines()
    assert len(lines) == 1, f"expected exactly one line on stderr, got {len(lines)}: {err!r}"
    line = lines[0]
    assert line.startswith("orbitcloud: error: "), line
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line[len("orbitcloud: error: ") :]


def _run_file(capsys, tmp_path: Path, text: str, *extra: str) -> tuple[Path, str]:
    path = _write(tmp_path, text)
    code, out, err = _run(capsys, "run", str(path), "--json", *extra)
    return path, _one_error(code, out, err, str(path))


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------


def test_missing_scenario_file(capsys, tmp_path):
    path = tmp_path / "no-such-dir" / "missing.yaml"
    code, out, err = _run(capsys, "run", str(path), "--json")
    _one_error(code, out, err, str(path), "no such scenario file")


@pytest.mark.parametrize(
    "lineno, replacement",
    [
        (3, "duration: 1h: x"),  # mapping values are not allowed here
        (9, "\tplanes: 2"),  # a tab cannot start a token
        (8, "      inclination_deg: 53"),  # indentation breaks the mapping
    ],
)
def test_yaml_syntax_error_names_the_line(capsys, tmp_path, lineno, replacement):
    lines = BASE.splitlines()
    lines[lineno - 1] = replacement
    path, msg = _run_file(capsys, tmp_path, "\n".join(lines) + "\n")
    assert msg.startswith(f"{path}:{lineno}: "), msg
    assert "YAML syntax error" in msg


def test_yaml_unterminated_quote_names_a_real_line(capsys, tmp_path):
    """An unterminated quote on line 1 must not be reported at a line past the end of the file.

    PyYAML's ``problem_mark`` for this error is the end of the stream (here line 11 of a 10-line
    file); the useful location is the ``context_mark`` ("while scanning a quoted scalar", line 1).
    """
    text = BASE.replace("name: bad-input", 'name: "bad-input')
    n_lines = len(text.splitlines())
    path, msg = _run_file(capsys, tmp_path, text)
    match = re.match(rf"{re.escape(str(path))}:(\d+): ", msg)
    assert match, msg
    reported = int(match.group(1))
    assert 1 <= reported <= n_lines, f"line {reported} does not exist in a {n_lines}-line file: {msg}"
    assert reported == 1 or "line 1" in msg, msg


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-02-30T00:00:00Z"])
def test_impossible_calendar_date(capsys, tmp_path, bad):
    """YAML reads an unquoted date itself; an impossible one must still give one clear line."""
    path, msg = _run_file(capsys, tmp_path, BASE.replace("2026-03-20T00:00:00Z", bad))
    assert msg.startswith(f"{path}:2: "), msg
    assert "epoch" in msg or "2026" in msg


def test_duplicate_key_is_refused(capsys, tmp_path):
    """``planes`` written twice: YAML (and PyYAML silently) keeps the last; the input is ambiguous."""
    text = BASE.replace("    planes: 2\n", "    planes: 2\n    planes: 20\n")
    path, msg = _run_file(capsys, tmp_path, text)
    assert "planes" in msg


# --------------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------------


def test_unknown_top_level_key_suggests_nearest(capsys, tmp_path):
    path, msg = _run_file(capsys, tmp_path, BASE.replace("duration: 1h", "durration: 1h"))
    assert msg.startswith(f"{path}:3: durration: unknown key"), msg
    assert "did you mean 'duration'" in msg


@pytest.mark.parametrize(
    "old, new, lineno, suggestion",
    [
        ("planes: 2", "planez: 2", 9, "planes"),
        ("altitude_km: 550", "altitude: 550", 7, "altitude_km"),
    ],
)
def test_unknown_shell_key_suggests_nearest(capsys, tmp_path, old, new, lineno, suggestion):
    bad_key = new.split(":")[0]
    path, msg = _run_file(capsys, tmp_path, BASE.replace(old, new))
    assert msg.startswith(f"{path}:{lineno}: constellation[0].{bad_key}: unknown key"), msg
    assert f"did you mean '{suggestion}'" in msg


def test_unknown_kind_lists_kinds(capsys, tmp_path):
    path, msg = _run_file(capsys, tmp_path, BASE.replace("kind: walker", "kind: walkr"))
    assert msg.startswith(f"{path}:6: constellation[0]"), msg
    assert "'walkr'" in msg
    for kind in ("walker", "sso", "cluster", "tle"):
        assert kind in msg.split("'walkr'", 1)[1]


# --------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------


def test_negative_planes(capsys, tmp_path):
    path, msg = _run_file(capsys, tmp_path, BASE.replace("planes: 2", "planes: -3"))
    assert msg.startswith(f"{path}:9: constellation[0].planes: "), msg
    assert "-3" in msg and "1" in msg


@pytest.mark.parametrize("altitude", ["150", "45000"])
def test_altitude_out_of_range(capsys, tmp_path, altitude):
    path, msg = _run_file(capsys, tmp_path, BASE.replace("altitude_km: 550", f"altitude_km: {altitude}"))
    # the range check is a shell-level validator: the shell's line (6) or the key's line (7)
    assert re.match(rf"{re.escape(str(path))}:(6|7): constellation\[0\]", msg), msg
    assert "altitude_km" in msg and altitude in msg
    assert "160" in msg and "40000" in msg


def test_sso_altitude_without_sun_synchronous_solution(capsys, tmp_path):
    """Above ~5,974 km no inclination makes a circular orbit sun-synchronous (cos i < -1).

    Validation accepts it (160..40,000 km) and the fleet gets a nonsense inclination
    (about -5.8e6 deg at 6,000 km, NaN at 40,000 km) instead of a clear error.
    """
    text = BASE.split("constellation:\n")[0] + "constellation:\n" + SSO_SHELL.replace("550", "8000")
    path, msg = _run_file(capsys, tmp_path, text)
    assert "altitude_km" in msg and "8000" in msg


@pytest.mark.parametrize("value, shown", [("0s", "'0s'"), ("-5", "-5")])
def test_step_not_positive(capsys, tmp_path, value, shown):
    path, msg = _run_file(capsys, tmp_path, BASE.replace("step: 60s", f"step: {value}"))
    assert msg.startswith(f"{path}:4: step: "), msg
    assert shown in msg and "positive" in msg


def test_duration_ambiguous_unit_m(capsys, tmp_path):
    path, msg = _run_file(capsys, tmp_path, BASE.replace("duration: 1h", "duration: 3m"))
    assert msg.startswith(f"{path}:3: duration: "), msg
    assert "'3m'" in msg and "'min'" in msg


def test_ltan_out_of_range(capsys, tmp_path):
    text = BASE.split("constellation:\n")[0] + "constellation:\n" + SSO_SHELL.replace('"10:30"', '"25:00"')
    path, msg = _run_file(capsys, tmp_path, text)
    assert msg.startswith(f"{path}:8: constellation[0].ltan: "), msg
    assert "'25:00'" in msg and "HH:MM" in msg


@pytest.mark.parametrize(
    "key, value",
    [("raan0_deg", ".nan"), ("raan0_deg", ".inf"), ("inclination_deg", ".nan")],
)
def test_non_finite_angle_refused(capsys, tmp_path, key, value):
    """A NaN/inf angle must be refused, not turned into NaN elements and a null sunlit fraction."""
    text = BASE.replace("    planes: 2\n", f"    planes: 2\n    {key}: {value}\n").replace(
        "    inclination_deg: 53\n", "" if key == "inclination_deg" else "    inclination_deg: 53\n"
    )
    path, msg = _run_file(capsys, tmp_path, text)
    assert key in msg


@pytest.mark.parametrize("field, value", [("radius_m", ".inf"), ("spacing_m", "[.nan, 200]")])
def test_non_finite_cluster_geometry_refused(capsys, tmp_path, field, value):
    """A cluster with an infinite radius crashed with OverflowError inside the lattice builder."""
    shell = {"radius_m": "1000", "spacing_m": "[100, 200]"}
    shell[field] = value
    text = BASE.split("constellation:\n")[0] + (
        "constellation:\n"
        "  - kind: cluster\n"
        "    count: 5\n"
        f"    radius_m: {shell['radius_m']}\n"
        f"    spacing_m: {shell['spacing_m']}\n"
        "    reference: {kind: sso, altitude_km: 650, ltan: '18:00'}\n"
    )
    path, msg = _run_file(capsys, tmp_path, text)
    assert field in msg


def test_too_many_satellites_refused_before_allocating(capsys, tmp_path):
    """10,000 x 1,001 = 10,010,000 satellites (limit 10,000,000): refused without building arrays.

    One float64 array of 10 million satellites is 80 MB; the whole refusal must stay far below that.
    """
    text = BASE.replace("planes: 2", "planes: 10000").replace("sats_per_plane: 2", "sats_per_plane: 1001")
    path = _write(tmp_path, text)
    main(["run", str(path), "--json"])  # warm-up: lazy imports are not what is measured
    capsys.readouterr()
    tracemalloc.start()
    try:
        code = main(["run", str(path), "--json"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    out, err = capsys.readouterr()
    _one_error(code, out, err, str(path), "10,010,000", "10,000,000")
    assert peak < 8e6, f"peak traced allocation {peak / 1e6:.1f} MB while refusing the scenario"


# --------------------------------------------------------------------------------------------------
# TLE files
# --------------------------------------------------------------------------------------------------


def _tle_scenario(tmp_path: Path, tle_text: str) -> tuple[Path, Path]:
    tle = tmp_path / "fleet.tle"
    tle.write_text(tle_text, "ascii")
    text = BASE.split("constellation:\n")[0] + "constellation:\n  - kind: tle\n    path: fleet.tle\n"
    return _write(tmp_path, text), tle.resolve()


def test_tle_bad_checksum_names_file_and_line(capsys, tmp_path):
    bad = SYN_L1[:68] + str((int(SYN_L1[68]) + 1) % 10)
    scenario, tle = _tle_scenario(tmp_path, GOOD_TLE.replace(SYN_L1, bad))
    code, out, err = _run(capsys, "run", str(scenario), "--json")
    msg = _one_error(code, out, err, f"{tle}:5:", "checksum")
    assert msg.startswith(f"{tle}:5: "), msg


@pytest.mark.parametrize("delta", [-1, +1])
def test_tle_wrong_line_length_names_file_and_line(capsys, tmp_path, delta):
    bad = ISS_L2[:-5] + ISS_L2[-4:] if delta < 0 else ISS_L2[:-5] + "0" + ISS_L2[-5:]
    assert len(bad) == 69 + delta
    scenario, tle = _tle_scenario(tmp_path, GOOD_TLE.replace(ISS_L2, bad))
    code, out, err = _run(capsys, "run", str(scenario), "--json")
    msg = _one_error(code, out, err, f"{tle}:3:", str(69 + delta), "69")
    assert msg.startswith(f"{tle}:3: "), msg


def test_tle_good_file_runs(capsys, tmp_path):
    """Control for the TLE cases above: the unmodified file is accepted."""
    scenario, _ = _tle_scenario(tmp_path, GOOD_TLE)
    code, out, err = _run(capsys, "run", str(scenario), "--json", "--duration", "10min")
    assert code == 0, err
    assert '"satellites": 2' in out


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def test_unknown_scenario_name_lists_builtins(capsys):
    code, out, err = _run(capsys, "run", "no-such-scenario", "--json")
    msg = _one_error(code, out, err, "'no-such-scenario'")
    for name in builtin_names():
        assert name in msg
    assert len(builtin_names()) >= 9


@pytest.mark.parametrize(
    "option, value, needles",
    [
        ("--duration", "abc", ("--duration", "'abc'", "min")),
        ("--duration", "3m", ("--duration", "'3m'", "'min'")),
        ("--duration", "0", ("--duration", "positive")),
        ("--step", "-5", ("--step", "'-5'")),
        ("--propagator", "kepler", ("--propagator", "'kepler'", "sgp4", "fast")),
        ("--start", "yesterday", ("--start", "'yesterday'", "ISO 8601")),
        ("--start", "2026-02-30T00:00:00Z", ("--start", "2026-02-30")),
        ("--workers", "0", ("--workers", "0")),
    ],
)
def test_bad_option_value(capsys, option, value, needles):
    code, out, err = _run(capsys, "run", "three-body-12", "--json", option, value)
    _one_error(code, out, err, *needles)


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["run", "three-body-12", "--bogus"], "--bogus"),
        (["run", "three-body-12", "--workers", "many"], "--workers"),
        (["frobnicate"], "frobnicate"),
        (["run"], "scenario"),
    ],
)
def test_usage_errors_do_not_crash(capsys, argv, needle):
    """Usage errors go through click's machinery; main() must turn them into exit status 2.

    (typer >= 0.20 ships its own copy of click as ``typer._click`` and does not install ``click``, so
    ``import click`` inside ``orbitcloud.cli.main`` must not be needed to report them.)
    """
    code, out, err = _run(capsys, *argv)
    assert "Traceback" not in err
    assert code == 2, err
    assert needle.lower() in err.lower(), err


# --------------------------------------------------------------------------------------------------
# The installed console script
# --------------------------------------------------------------------------------------------------


def _console_script() -> list[str]:
    exe = shutil.which("orbitcloud") or str(Path(sys.executable).with_name("orbitcloud"))
    if os.path.exists(exe):
        return [exe]
    return [sys.executable, "-c", "import sys; from orbitcloud.cli import main; sys.exit(main())"]


def test_console_script_bad_input(tmp_path):
    path = _write(tmp_path, BASE.replace("planes: 2", "planez: 2"))
    proc = subprocess.run(
        [*_console_script(), "run", str(path), "--json"], capture_output=True, text=True, timeout=120
    )
    _one_error(proc.returncode, proc.stdout, proc.stderr, f"{path}:9:", "constellation[0].planez", "'planes'")


def test_console_script_usage_error(tmp_path):
    proc = subprocess.run(
        [*_console_script(), "run", "three-body-12", "--bogus"], capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stderr


@pytest.mark.parametrize("key, line", [
    ("inclination_deg", "    inclination_deg: yes\n"),
    ("altitude_km", "    altitude_km: true\n"),
])
def test_booleans_are_not_numbers(tmp_path, key, line):
    """pydantic's lax mode would read a YAML boolean as 1/0 in a float field; the schema refuses it."""
    from orbitcloud.errors import ScenarioError
    from orbitcloud.scenario import load_scenario

    text = (
        "name: b\nepoch: 2026-03-20T00:00:00Z\nduration: 1h\nstep: 60s\nconstellation:\n"
        "  - kind: walker\n    planes: 1\n    sats_per_plane: 1\n"
        + ("    altitude_km: 550\n" if key != "altitude_km" else "")
        + ("    inclination_deg: 53\n" if key != "inclination_deg" else "")
        + line
    )
    path = tmp_path / "b.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(str(path))
    msg = str(info.value)
    assert f"constellation[0].{key}" in msg and "expected a number, got true" in msg, msg
    assert "\n" not in msg
