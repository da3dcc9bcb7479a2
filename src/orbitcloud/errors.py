"""The project's exception types.

Every problem caused by user input (a scenario file, a TLE file, a command-line value) raises
:class:`OrbitcloudError` with a one-line message that names the source (file and key path), the bad
value and what was expected. The CLI prints that line and exits with status 2.
"""

from __future__ import annotations


class OrbitcloudError(Exception):
    """A user-facing problem: bad input, an impossible request, a refused size."""

    exit_code = 2


class ScenarioError(OrbitcloudError):
    """A scenario document (or a file it names) is missing or invalid."""
