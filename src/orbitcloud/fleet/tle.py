"""Reading two-line element files, strictly.

Format: NORAD/CelesTrak two-line element sets, optionally preceded by a name line (the "3LE"
layout). Each element line must be 69 characters (trailing blanks removed and padded back) and carry
a valid modulo-10 checksum in column 69 (digits count their value, '-' counts 1; Space-Track
"Two-Line Element Set Format"). Errors name the file and the line number.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from orbitcloud.errors import ScenarioError

#: The largest TLE file read [bytes] (about 60 million satellites; the fleet limit stops far sooner).
MAX_TLE_BYTES = 2 * 1024**3


@dataclasses.dataclass(frozen=True)
class TLE:
    """One element set: its name (may be empty), both lines, and where it was read."""

    name: str
    line1: str
    line2: str
    source: str
    lineno: int


def checksum(line: str) -> int:
    """Modulo-10 checksum of the first 68 columns of a TLE line."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += ord(ch) - 48
        elif ch == "-":
            total += 1
    return total % 10


def check_line(line: str, number: int, source: str, lineno: int) -> str:
    """Validate one element line and return it padded to 69 columns; raise ScenarioError otherwise."""
    text = line.rstrip()
    where = f"{source}:{lineno}"
    if not text.startswith(f"{number} "):
        raise ScenarioError(f"{where}: expected TLE line {number} starting with '{number} ', got {text[:20]!r}")
    if len(text) != 69:
        raise ScenarioError(f"{where}: TLE line {number} has {len(text)} characters, expected 69")
    if not text.isascii():
        raise ScenarioError(f"{where}: TLE line {number} contains non-ASCII characters")
    if not text[68].isdigit():
        raise ScenarioError(f"{where}: TLE line {number} column 69 must be the checksum digit, got {text[68]!r}")
    expected = checksum(text)
    if int(text[68]) != expected:
        raise ScenarioError(
            f"{where}: TLE line {number} checksum is {text[68]}, the line sums to {expected}"
        )
    return text


def parse_tle_text(text: str, source: str = "<tle>") -> list[TLE]:
    """Parse TLE text (2LE or 3LE layout) into element sets, validating every line."""
    lines = text.splitlines()
    out: list[TLE] = []
    i = 0
    name = ""
    while i < len(lines):
        raw = lines[i]
        if not raw.strip():
            i += 1
            continue
        if raw.startswith("1 ") and len(raw.rstrip()) >= 60:
            if i + 1 >= len(lines):
                raise ScenarioError(f"{source}:{i + 1}: TLE line 1 has no line 2 after it")
            l1 = check_line(raw, 1, source, i + 1)
            l2 = check_line(lines[i + 1], 2, source, i + 2)
            if l1[2:7] != l2[2:7]:
                raise ScenarioError(
                    f"{source}:{i + 2}: TLE line 2 is for satellite {l2[2:7].strip()!r}, line 1 for {l1[2:7].strip()!r}"
                )
            out.append(TLE(name=name, line1=l1, line2=l2, source=source, lineno=i + 1))
            name = ""
            i += 2
            continue
        if raw.startswith("2 ") and len(raw.rstrip()) >= 60:
            raise ScenarioError(f"{source}:{i + 1}: TLE line 2 without a line 1 before it")
        if name:
            raise ScenarioError(f"{source}:{i + 1}: expected TLE line 1 after the name line {name!r}, got {raw[:30]!r}")
        name = raw.strip()
        if name.startswith("0 "):
            name = name[2:].strip()
        i += 1
    if name:
        raise ScenarioError(f"{source}:{len(lines)}: name line {name!r} has no element lines after it")
    return out


def read_tle_file(path: Path, label: str | None = None) -> list[TLE]:
    """Read and validate a TLE file; ``label`` is how the file is named in messages."""
    source = label or str(path)
    if not path.exists():
        raise ScenarioError(f"{source}: no such TLE file")
    if path.is_dir():
        raise ScenarioError(f"{source}: is a directory, expected a TLE file")
    size = path.stat().st_size
    if size > MAX_TLE_BYTES:
        raise ScenarioError(f"{source}: {size:,} bytes is too large for a TLE file (limit {MAX_TLE_BYTES:,})")
    try:
        text = path.read_text("ascii")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ScenarioError(f"{source}:{line}: non-ASCII byte in a TLE file") from None
    except OSError as exc:
        raise ScenarioError(f"{source}: cannot read: {exc}") from None
    sets = parse_tle_text(text, source)
    if not sets:
        raise ScenarioError(f"{source}: no two-line element sets found")
    return sets
