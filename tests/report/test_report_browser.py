"""The report in a real browser: headless Chromium (Debian ``chromium``) opens the page from a
file:// URL with no network; no console errors, every plot rendered, a screenshot saved.

Where Chromium or Playwright is missing the test is skipped with the reason, except in CI
(``CI`` or ``ORBITCLOUD_REQUIRE_SHARED=1``, set by ``.ci/run``, which installs Chromium), where it fails.
"""

from __future__ import annotations

import shutil

import pytest
from browser_helpers import require_browser
from report_helpers import load_report, write_schema_fixture

from orbitcloud.report import build_report


@pytest.fixture(scope="session")
def chromium_ready() -> None:
    """Skip (or fail in CI) before any run directory is made when the browser is missing."""
    require_browser()


def test_report_renders_in_chromium(chromium_ready, net_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(net_run, run_dir)
    write_schema_fixture(run_dir)  # every section, the workload views included
    page = build_report(run_dir, tmp_path / "report.html")
    r = load_report(page, tmp_path / "shots", timeout_s=180.0)
    assert r["errors"] == [] and r["page_errors"] == []
    assert r["outside_requests"] == []  # opens offline
    assert r["rendered"] == r["expected"] == len(r["plots"]) >= 18
    for p in r["plots"]:
        assert p["laidOut"] and p["svg"] and p["traces"] > 0 and not p["noWebGL"], p
    globe = r["plots"][0]
    assert globe["scene"] and globe["canvas"]  # the 3D globe drew into a WebGL canvas
    from PIL import Image

    names = [p.name for p in r["shots"]]
    assert names == [
        f"section-{s}.png" for s in ("summary", "fleet", "timelines", "eclipses", "network", "faults", "workloads")
    ]
    for path in r["shots"]:
        with Image.open(path) as im:
            assert im.width > 1000 and im.height > 300
            colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
            assert colours is not None and len(colours) > 200, path.name  # drawn, not a blank box
