"""``orbitcloud conjunctions``: Parquet columns, CDMs, OEMs, broken catalogue entries, bad input."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from tle_samples import DEB_L1, DEB_L2, ISS_L1, ISS_L2, SYN_L1, SYN_L2

from orbitcloud.cli import main
from orbitcloud.safety import ccsds
from orbitcloud.safety.catalog_tle import parse_catalog_text, read_catalog

REQUIRED = {"object_a", "object_b", "tca_utc", "miss_km", "pc"}


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_self_screening_writes_parquet_cdms_and_oems(tmp_path, capsys):
    # suncatcher-81 is a formation of 81 satellites within a few km: every pair is a conjunction
    code, out, err = _run(capsys, "conjunctions", "suncatcher-81", "--duration", "20min", "--threshold-km", "5",
                          "--out", str(tmp_path), "--oem", "--json")
    assert code == 0, err
    summary = json.loads(out)
    table = pq.read_table(tmp_path / "conjunctions.parquet")
    assert REQUIRED <= set(table.column_names)
    assert table.num_rows == summary["conjunctions"] == 81 * 80 // 2
    assert str(table.schema.field("tca_utc").type) == "timestamp[ns, tz=UTC]"
    rows = table.to_pylist()
    assert all(0 <= r["miss_km"] <= 5.0 and 0.0 <= r["pc"] <= 1.0 for r in rows)
    best = max(rows, key=lambda r: r["pc"])
    assert best["cdm"], "the highest-Pc conjunction has a CDM"
    cdm = ccsds.parse(tmp_path / best["cdm"])
    rel = cdm.body.relative_metadata_data
    assert rel.miss_distance.value == pytest.approx(best["miss_km"] * 1000.0, abs=2e-3)
    assert rel.collision_probability == pytest.approx(best["pc"], rel=1e-5)
    assert rel.tca.startswith(best["tca_utc"].strftime("%Y-%m-%dT%H:%M:%S"))
    assert cdm.body.segment[0].metadata.object_name == best["object_a"]
    oems = sorted((tmp_path / "oem").glob("*.oem"))
    assert len(oems) == 80  # every fleet object but the last appears as object_a
    assert ccsds.parse(oems[0]).body.segment[0].metadata.ref_frame == "TEME"


def _catalog(tmp_path, broken: bool):
    bad = ISS_L1[:-1] + str((int(ISS_L1[-1]) + 1) % 10)  # wrong checksum
    lines = ["ISS (ZARYA)", bad if broken else ISS_L1, ISS_L2, "DEB", DEB_L1, DEB_L2, "SYN", SYN_L1, SYN_L2]
    p = tmp_path / "cat.tle"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_broken_catalogue_line_skipped_and_counted(tmp_path, capsys):
    path = _catalog(tmp_path, broken=True)
    cat = read_catalog(path)
    assert len(cat.sets) == 2 and cat.n_skipped == 1
    assert f"{path}:2" in cat.skipped[0] and "checksum" in cat.skipped[0] and "ISS (ZARYA)" in cat.skipped[0]
    code, out, err = _run(capsys, "conjunctions", "three-body-12", "--catalog", str(path), "--start", "2019-12-09T12:00:00Z",
                          "--duration", "1h", "--threshold-km", "5", "--out", str(tmp_path / "o"), "--json")
    assert code == 0, err
    assert "1 broken catalogue entries skipped, 2 read" in err and "checksum" in err
    assert json.loads(out)["catalog_skipped"] == 1
    assert REQUIRED <= set(pq.read_table(tmp_path / "o" / "conjunctions.parquet").column_names)


def test_catalogue_parser_counts_every_kind_of_break():
    text = "\n".join(["A", ISS_L1, "B", SYN_L2, "C", SYN_L1, SYN_L2[:40], "D", DEB_L1, DEB_L2, "E"])
    cat = parse_catalog_text(text, "x.tle")
    assert [t.name for t in cat.sets] == ["D"]
    assert cat.n_skipped == 4  # line 1 without line 2, line 2 alone, short line 2, dangling name


def test_nothing_usable_is_an_error(tmp_path, capsys):
    p = tmp_path / "junk.tle"
    p.write_text("hello\nworld\n")
    code, _, err = _run(capsys, "conjunctions", "three-body-12", "--catalog", str(p), "--out", str(tmp_path / "o"))
    assert code == 2 and "junk.tle" in err and "no usable" in err
    code, _, err = _run(capsys, "conjunctions", "three-body-12", "--catalog", str(tmp_path / "nope.tle"), "--out", str(tmp_path / "o"))
    assert code == 2 and "nope.tle" in err


@pytest.mark.parametrize("flag, value, needle", [
    ("--threshold-km", "-1", "--threshold-km"), ("--threshold-km", "0", "--threshold-km"),
    ("--threshold-km", "5000", "--threshold-km"), ("--duration", "0", "--duration"),
    ("--duration", "soon", "--duration"), ("--duration", "90d", "--duration"),
    ("--hbr-m", "-3", "--hbr-m"), ("--start", "yesterday", "--start"),
])
def test_bad_options_refused(tmp_path, capsys, flag, value, needle):
    code, out, err = _run(capsys, "conjunctions", "three-body-12", flag, value, "--out", str(tmp_path / "o"))
    assert code == 2
    assert err.startswith("orbitcloud: error: ") and needle in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "conjunctions.parquet").exists()


@pytest.mark.shared_data
def test_planet_catalogue_reads_clean_and_screens(shared_data, tmp_path, capsys):
    path = shared_data / "tle" / "planet-2023-04-20.tle"
    cat = read_catalog(path)
    assert cat.n_skipped == 0 and len(cat.sets) > 100
    code, out, err = _run(capsys, "conjunctions", "three-body-12", "--catalog", str(path), "--start", "2023-04-20T00:00:00Z",
                          "--duration", "2h", "--threshold-km", "10", "--out", str(tmp_path), "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["catalog_skipped"] == 0 and s["screening"]["objects_b"] == len(cat.sets)
    assert pq.read_table(tmp_path / "conjunctions.parquet").num_rows == s["conjunctions"]
