"""``orbitcloud report --png``: one PNG per main figure whose inputs exist, beside the HTML."""

from __future__ import annotations

import struct

from orbitcloud.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NET_FIGURES = {
    "globe",
    "map",
    "power",
    "soc",
    "temperature",
    "compute",
    "throttling",
    "eclipses",
    "rtt",
    "contacts",
    "faults",
}


def _png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def test_png_figures_for_every_section(net_run, tmp_path, capsys):
    out = tmp_path / "figs" / "net.html"
    out.parent.mkdir()
    assert main(["report", str(net_run), "--out", str(out), "--png"]) == 0
    assert f"report written to {out}" in capsys.readouterr().out
    pngs = sorted(tmp_path.joinpath("figs").glob("net-*.png"))
    assert {p.stem.removeprefix("net-") for p in pngs} == NET_FIGURES
    for p in pngs:
        w, h = _png_size(p)
        assert w >= 900 and h >= 250  # 150 dpi figures of at least 6 x 1.7 in
        assert p.stat().st_size > 10_000  # drawn, not blank


def test_png_only_what_exists(plain_run, tmp_path):
    out = tmp_path / "plain.html"
    assert main(["report", str(plain_run), "--out", str(out), "--png"]) == 0
    assert {p.stem.removeprefix("plain-") for p in tmp_path.glob("plain-*.png")} == {"globe", "map"}
