"""Parsing of durations written in scenario files and on the command line.

One parser for every duration of the project (scenario keys such as ``duration``, ``step``,
``policies.replan``, ``slo.ttft_s``, training intervals, and the CLI's ``--duration``, ``--step``,
``--record``). The accepted forms are documented in one place, ``docs/scenario.md`` ("Durations"):

* a bare number: seconds (``90``, ``0.1``, ``1e3``), as a YAML number or as text;
* a number with one unit, optionally separated by blanks, case-insensitive: ``ms``
  (milliseconds), ``s`` or ``sec`` (seconds), ``min`` (minutes), ``h`` (hours), ``d`` (days of
  86,400 s), ``w`` (weeks of 604,800 s). Examples: ``100ms``, ``0.1s``, ``90s``, ``15min``,
  ``1.5h``, ``1d``, ``2w``.

Refused, with a message saying why: ``m`` (ambiguous: minutes or months; write ``min``), ``us``
and other units (nothing in the twin is resolved below a millisecond), signs and negative values,
compound forms (``1h30min``), booleans, empty text, NaN and infinities. Zero is accepted here;
callers that need a positive value (``duration``, ``step``) say so themselves.
"""

from __future__ import annotations

import math
import numbers
import re

#: Seconds per unit for units of one second and more (the result is ``number * size``).
_UNITS_S = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
#: Sub-second units: the result is ``number / divisor`` (a correctly rounded division, so that
#: ``100ms`` is exactly the float 0.1).
_SUBSECOND_DIVISORS = {"ms": 1000.0}
#: The accepted units, as listed in messages.
UNITS = ("ms", "s", "sec", "min", "h", "d", "w")
_UNIT_LIST = "ms, s, min, h, d or w"
_EXAMPLES = "100ms, 0.1s, 90s, 15min, 1.5h, 1d"
_NUMBER = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_PATTERN = re.compile(rf"^\s*({_NUMBER})\s*([a-zA-Z]*)\s*$")
_COMPOUND = re.compile(rf"^\s*{_NUMBER}\s*[a-zA-Z]+\s*{_NUMBER}")


def parse_duration_s(value: object) -> float:
    """Return a duration in seconds (a finite float >= 0).

    Parameters
    ----------
    value : str or real number
        ``"100ms"``, ``"0.1s"``, ``"90s"``, ``"15min"``, ``"1.5h"``, ``"1d"``, ``"2w"``, or a
        number of seconds (``90``, ``0.1``, ``"0.1"``). See the module docstring.

    Raises
    ------
    ValueError
        With a message naming the value and what was expected; callers add the source and key path.
    """
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Real)):
        raise ValueError(f"{value!r} is not a duration; expected e.g. {_EXAMPLES} or a number of seconds")
    if isinstance(value, numbers.Real):
        t_s = float(value)
    else:
        t_s = _parse_text(value)
    if not math.isfinite(t_s):
        raise ValueError(f"{value!r} is not a finite duration")
    if t_s < 0.0:
        raise ValueError(f"{value!r}: a duration cannot be negative")
    return t_s


def _parse_text(value: str) -> float:
    text = value.strip()
    if not text:
        raise ValueError(f"{value!r} is not a duration (empty); expected e.g. {_EXAMPLES} or a number of seconds")
    match = _PATTERN.match(text)
    if not match:
        if text[0] in "+-":
            raise ValueError(
                f"{value!r} is not a duration: durations cannot be negative; write it without a sign (e.g. {_EXAMPLES})"
            )
        if _COMPOUND.match(text):
            raise ValueError(f"{value!r} is not a duration: write one number and one unit (e.g. 90min, not 1h30min)")
        raise ValueError(
            f"{value!r} is not a duration; expected a number of seconds or a number with unit {_UNIT_LIST} "
            f"(e.g. {_EXAMPLES})"
        )
    number, unit = match.groups()
    unit = unit.lower()
    if unit == "":
        return float(number)
    if unit == "m":
        raise ValueError(f"{value!r}: unit 'm' is ambiguous (minutes or months); write 'min' for minutes")
    if unit in _SUBSECOND_DIVISORS:
        return float(number) / _SUBSECOND_DIVISORS[unit]
    if unit in _UNITS_S:
        return float(number) * _UNITS_S[unit]
    if unit in ("us", "µs", "ns"):
        hint = "; nothing in the twin is resolved below a millisecond (write e.g. 0.5ms)"
    else:
        hint = ""
    raise ValueError(f"{value!r}: unknown unit {unit!r}; expected one of {_UNIT_LIST}{hint}")


def _shortest(number: float, unit: str, t_s: float, positional: bool = True) -> str | None:
    """The shortest decimal text ``NUMBER UNIT`` that parses back to exactly ``t_s``, or None.

    ``positional=True`` tries plain decimals (``0.025ms``) up to 17 decimals, otherwise
    exponent notation (``1e-297ms``). Positional is not used from 1e16 on (``1e+20s``)."""
    if positional and number >= 1e16:
        return None
    for n in range(18) if positional else range(1, 18):
        if positional:
            digits = f"{number:.{n}f}"
            if "." in digits:
                digits = digits.rstrip("0").rstrip(".")
        else:
            digits = f"{number:.{n}g}"
        try:
            if parse_duration_s(digits + unit) == t_s:
                return digits + unit
        except ValueError:  # rounded up past the largest float ("2e+308s")
            continue
    return None


def format_duration(t_s: float) -> str:
    """Format seconds compactly for messages and tables, in a form :func:`parse_duration_s` reads back.

    Whole days, hours or minutes use that unit (``86400`` -> ``"1d"``, ``5400`` -> ``"90min"``);
    other values of a second or more use seconds (``90`` -> ``"90s"``, ``1.5`` -> ``"1.5s"``),
    shorter ones milliseconds (``0.1`` -> ``"100ms"``, ``2.5e-05`` -> ``"0.025ms"``). For every
    finite ``t_s >= 0``, ``parse_duration_s(format_duration(t_s)) == t_s`` exactly. Negative
    values get a leading ``-`` (for messages; the parser refuses them); NaN and infinities are
    written as ``nan``, ``inf``.
    """
    t_s = float(t_s)
    if not math.isfinite(t_s):
        return str(t_s)
    if t_s < 0.0:
        return "-" + format_duration(-t_s)
    if t_s == 0.0:
        return "0s"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if t_s >= size and t_s % size == 0.0:
            count = t_s / size
            if count < 1e15:
                text = f"{int(count)}{unit}"
                if parse_duration_s(text) == t_s:
                    return text
    candidates = [(t_s * 1000.0, "ms")] if t_s < 1.0 else []
    candidates.append((t_s, "s"))
    for positional in (True, False):
        for number, unit in candidates:
            text = _shortest(number, unit, t_s, positional)
            if text is not None:
                return text
    return f"{t_s!r}s"  # pragma: no cover - repr always round-trips
