"""Long radiation runs (issue #4): 5 years of three-body-12 and suncatcher-81 at 1-h steps, and
three-body-12 for 1,000 days; wall time and the reliability figures.

Usage: python benchmarks/radiation_runs.py   (runs `orbitcloud run ... --json` as a user would)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

RUNS = [
    ("three-body-12", "1826d", "1h"),
    ("suncatcher-81", "1826d", "1h"),
    ("three-body-12", "1000d", "1h"),
]


def main() -> None:
    for name, duration, step in RUNS:
        cmd = [sys.executable, "-m", "orbitcloud.cli", "run", name, "--duration", duration, "--step", step, "--json"]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        wall = time.perf_counter() - t0
        s = json.loads(out)
        r = s["radiation"]
        print(
            f"{name} {duration} at {step}: {wall:.1f} s wall; dose {r['dose_rate_rad_per_yr_mean']:.0f} rad/yr "
            f"(max {r['dose_rad_max']:.0f} rad); availability {r['availability']:.4f}; events {r['events']}; "
            f"devices lost {r['devices_lost']}, spares used {r['spares_used']}/{r['spares_total']}; "
            f"first failure after {r['first_device_failure_s'] / 86400 if r['first_device_failure_s'] else float('nan'):.0f} d"
        )


if __name__ == "__main__":
    main()
