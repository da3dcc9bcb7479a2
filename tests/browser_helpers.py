"""What the browser tests share: finding Debian's Chromium, and skipping (or, in CI, failing) when
it or Playwright is missing (``.ci/run`` installs Chromium and sets ``CI``)."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser")


def in_ci() -> bool:
    return any(os.environ.get(k, "") not in ("", "0", "false", "no") for k in ("CI", "ORBITCLOUD_REQUIRE_SHARED"))


def chromium_path() -> str | None:
    """The system Chromium executable, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_browser() -> str:
    """The Chromium executable; skips the test (fails it in CI) when Chromium or Playwright is missing."""
    exe = chromium_path()
    problem = None
    if exe is None:
        problem = "no chromium on PATH (Debian: apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install playwright; its browser download is not needed)"
    if problem:
        if in_ci():
            pytest.fail(f"browser test required in CI: {problem}", pytrace=False)
        pytest.skip(problem)
    return exe
