"""``orbitcloud validate`` and ``orbitcloud sources`` through the CLI (``orbitcloud.cli.main``).

The quick set runs once for the module (about 5 s here); one case is then made to fail by tightening
its tolerance, one by breaking its model, and a reference tool is hidden to check the skip path.
"""

from __future__ import annotations

import json

import pytest

from orbitcloud.cli import main

FIELDS = ("case", "model", "reference", "source", "tolerance", "tolerance_unit", "error", "error_unit", "passed", "status", "wall_s")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    import contextlib
    import io

    out = tmp_path_factory.mktemp("validate")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["validate", "--quick", "--out", str(out)])
    return code, buf.getvalue(), out


def test_quick_passes_prints_the_table_and_writes_html_and_json(quick_run):
    code, text, out = quick_run
    assert code == 0, text
    for needle in ("sgp4.vallado", "eclipse.crossings", "ground.pass_times", "routing.rtt", "radiation.shieldose2_550km",
                   "drag.decay_cowell", "sizing.suncatcher_price", "llm.trtllm_h100_128_128", "passed, 0 failed"):
        assert needle in text, needle
    res = json.loads((out / "validation.json").read_text())
    assert res["mode"] == "quick" and res["counts"]["fail"] == 0
    assert res["wall_s"] < 60.0
    assert len(res["cases"]) >= 15
    for rec in res["cases"]:
        for f in FIELDS:
            assert f in rec, (rec["case"], f)
        assert rec["status"] == "pass", (rec["case"], rec["detail"])
        assert rec["reference"] and rec["source"] and rec["tolerance_unit"] and rec["error_unit"]
        assert rec["error"] <= rec["tolerance"]
    assert "engine_events" not in {r["case"].split(".")[-1] for r in res["cases"]}  # a full-only case
    page = (out / "validation.html").read_text()
    assert "Plotly.newPlot" in page and "sgp4.vallado" in page and "<script src=" not in page  # offline
    assert not list(out.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_a_failing_case_gives_exit_code_1(monkeypatch, tmp_path, capsys):
    from orbitcloud.validate import cases_design

    monkeypatch.setattr(cases_design, "CALIBRATION_REL_TOL", 1e-6)
    assert main(["validate", "--quick", "--out", str(tmp_path)]) == 1
    res = json.loads((tmp_path / "validation.json").read_text())
    failed = {r["case"] for r in res["cases"] if r["status"] == "fail"}
    assert failed == {"llm.a100_batch1_decode", "llm.trtllm_h100_128_128", "llm.trtllm_h100_2048_128", "llm.gpt2_124m_training"}
    assert "fail" in capsys.readouterr().out


def test_an_exception_in_a_case_is_a_failed_case_with_its_message():
    from orbitcloud.validate.common import Case
    from orbitcloud.validate.runner import run_cases

    def broken(full):
        raise ValueError("model blew up")

    res = run_cases(True, cases=[Case("x.broken", "nothing", broken)])
    (rec,) = res["cases"]
    assert rec["status"] == "fail" and not rec["passed"] and "ValueError: model blew up" in rec["detail"]


def test_missing_reference_tool_is_skipped_not_failed(monkeypatch):
    from orbitcloud.validate import cases, runner

    real = runner.have
    monkeypatch.setattr(runner, "have", lambda m: False if m.startswith("skyfield") else real(m))
    sky = [c for c in cases.CASES if c.needs][:1]
    res = runner.run_cases(True, cases=sky)
    (rec,) = res["cases"]
    assert rec["status"] == "skipped" and "install orbitcloud[validate]" in rec["detail"]
    assert res["counts"] == {"pass": 0, "fail": 0, "skipped": 1}


def test_sources_lists_the_h100_with_its_source(capsys):
    assert main(["sources", "accelerators"]) == 0
    text = capsys.readouterr().out
    assert "h100-sxm" in text and "NVIDIA H100 Tensor Core GPU" in text


def test_sources_json_parses_and_covers_every_catalog(capsys):
    from orbitcloud.validate.sources import catalog_names

    assert main(["sources", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["catalog"] for r in rows} == set(catalog_names())
    h100 = next(r for r in rows if r["catalog"] == "accelerators" and r["entry"] == "h100-sxm")
    assert h100["numbers"]["power_w"] == 700.0 and h100["numbers"]["ops_per_s.bf16"] == 989e12
    assert "datasheet" in h100["source"] and "train_mfu_source" in h100["other_sources"]
    assert all(len(r["source"]) >= 20 for r in rows)


def test_unknown_catalog_is_refused(capsys):
    assert main(["sources", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown catalog 'nope'" in err and "accelerators" in err and len(err.strip().splitlines()) == 1
