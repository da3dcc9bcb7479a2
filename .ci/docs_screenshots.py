"""Screenshots of a real run report for docs/gallery.md (docs/images/report-*.png).

    orbitcloud run three-body-12 --out /tmp/g --duration 6h --record 10min
    orbitcloud report /tmp/g
    python .ci/docs_screenshots.py /tmp/g/report.html docs/images

Uses Playwright with the distribution's Chromium (/usr/bin/chromium) when Playwright's own browser is
not installed; 1280x800 viewport, one PNG per report section.
"""

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

SECTIONS = ["fleet", "timelines", "eclipses", "network", "workloads"]


def main(report: str, out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=exe,
            args=["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(Path(report).resolve().as_uri())
        page.wait_for_timeout(5000)  # plotly and the WebGL globe
        page.screenshot(path=str(out / "report-summary.png"))
        for sid in SECTIONS:
            if page.query_selector(f"section#{sid}") is None:
                print(f"no section {sid} in the report", file=sys.stderr)
                continue
            page.eval_on_selector(
                f"section#{sid}", "e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 8)")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(out / f"report-{sid}.png"))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
