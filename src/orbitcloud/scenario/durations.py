"""Parsing of durations written in scenario files and on the command line.

Accepted forms: a bare number of seconds (``90``, ``0.5``) or a number with one unit suffix:
``s`` (seconds), ``min`` (minutes), ``h`` (hours), ``d`` (days of 86,400 s), ``w`` (weeks).
``m`` is refused because it is ambiguous (minutes or months).
"""

from __future__ import annotations

import math
import re

_UNITS_S = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PATTERN = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")


def parse_duration_s(value: object) -> float:
    """Return a duration in seconds.

    Parameters
    ----------
    value : str or number
        ``"90s"``, ``"15min"``, ``"6h"``, ``"1d"``, ``"365d"``, ``"2w"`` or a number of seconds.

    Raises
    ------
    ValueError
        With a message saying what was expected; callers add the source and key path.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; expected e.g. 90s, 15min, 6h, 1d or seconds")
    if isinstance(value, (int, float)):
        t_s = float(value)
    elif isinstance(value, str):
        match = _PATTERN.match(value)
        if not match:
            raise ValueError(
                f"{value!r} is not a duration; expected a number with unit s, min, h, d or w "
                "(e.g. 90s, 15min, 6h, 1d)"
            )
        number, unit = match.groups()
        unit = unit.lower()
        if unit == "":
            unit = "s"
        if unit == "m":
            raise ValueError(f"{value!r}: unit 'm' is ambiguous; write 'min' for minutes")
        if unit not in _UNITS_S:
            raise ValueError(f"{value!r}: unknown unit {unit!r}; expected one of s, min, h, d, w")
        t_s = float(number) * _UNITS_S[unit]
    else:
        raise ValueError(f"{value!r} is not a duration; expected e.g. 90s, 15min, 6h, 1d or seconds")
    if not math.isfinite(t_s):
        raise ValueError(f"{value!r} is not a finite duration")
    return t_s


def format_duration(t_s: float) -> str:
    """Format seconds compactly for messages and tables (``86400`` -> ``"1d"``)."""
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if t_s >= size and t_s % size == 0:
            return f"{int(t_s // size)}{unit}"
    return f"{t_s:g}s"
