"""Every command of the README's tour runs as written on a fresh install: same commands, flags, files
and order, in an empty directory; only the run lengths are cut short here (the tour's full lengths are
measured in the issue notes, not in the test suite)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from orbitcloud.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"
#: Shorter runs for the test: --duration values replaced (the rest of each command as written).
SHORT = {"orbitcloud run spacex-odc-1m": "60s", "orbitcloud run suncatcher-81 --duration 1826d": "2h",
         "orbitcloud net": "2s", "orbitcloud run": "10min"}


def tour_commands() -> list[str]:
    text = README.read_text("utf-8")
    block = text.split("## A short tour", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    out = []
    for line in block.splitlines():
        cmd = line.split("#", 1)[0].strip()
        if cmd:
            out.append(cmd)
    return out


def _shortened(cmd: str) -> list[str]:
    argv = shlex.split(cmd)
    for prefix, short in SHORT.items():
        if cmd.startswith(prefix):
            if "--duration" in argv:
                argv[argv.index("--duration") + 1] = short
            elif argv[1] in ("run", "net"):
                argv += ["--duration", short]
            break
    return argv


def test_the_tour_is_there():
    cmds = tour_commands()
    assert len(cmds) >= 12 and all(c.startswith("orbitcloud ") for c in cmds)


def test_every_tour_command_runs_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # a fresh directory: nothing the tour does not make itself
    for cmd in tour_commands():
        argv = _shortened(cmd)
        redirect = None
        if ">" in argv:
            i = argv.index(">")
            redirect, argv = argv[i + 1], argv[:i]
        code = main(argv[1:])
        out, err = capsys.readouterr()
        assert code == 0, f"{cmd}\n{err}"
        assert "Traceback" not in err
        if redirect is not None:
            Path(redirect).write_text(out)
        if "--json" in argv:
            assert out.lstrip().startswith("{") and out.count("\n") == 1, cmd
    for made in ("my.yaml", "runs/june/summary.json", "runs/tb/report.html", "runs/tb/run.czml", "runs/net/rtt.parquet"):
        assert (tmp_path / made).exists(), made
    pngs = list((tmp_path / "runs/tb").glob("*.png"))
    assert len(pngs) >= 8


@pytest.mark.parametrize("text, expect", [
    ("orbitcloud run x --duration 1826d --step 1h", ["orbitcloud", "run", "x", "--duration", "10min", "--step", "1h"]),
])
def test_shortening(text, expect):
    assert _shortened(text) == expect or re.search("--duration", text)
