"""Shared test fixtures.

Tests marked ``shared_data`` read ``../shared/data`` beside the project root (real TLEs, ground
stations, traces). Where it is absent they are skipped with the reason, unless
``ORBITCLOUD_REQUIRE_SHARED=1`` (set by ``.ci/run``), in which case they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ORBITCLOUD_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _require_shared() -> bool:
    return os.environ.get("ORBITCLOUD_REQUIRE_SHARED", "") not in ("", "0", "false", "no")


def pytest_runtest_setup(item):
    """Skip (or, with ORBITCLOUD_REQUIRE_SHARED=1, fail) ``shared_data`` tests without ../shared/data."""
    if "shared_data" in item.keywords and not SHARED_DATA.is_dir():
        if _require_shared():
            pytest.fail(f"ORBITCLOUD_REQUIRE_SHARED=1 but shared data is missing at {SHARED_DATA}", pytrace=False)
        pytest.skip(f"shared data not found at {SHARED_DATA} (a fresh clone has no ../shared)")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data``; fails or skips (see module docstring) when absent."""
    if not SHARED_DATA.is_dir():
        if _require_shared():
            pytest.fail(f"ORBITCLOUD_REQUIRE_SHARED=1 but {SHARED_DATA} is missing")
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def planet_tle(shared_data: Path) -> Path:
    return shared_data / "tle" / "planet-2023-04-20.tle"
