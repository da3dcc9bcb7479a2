"""A tolerant catalogue reader: two-line element files where a broken entry is skipped and counted.

The fleet's own TLE reader (:mod:`orbitcloud.fleet.tle`) is strict: a scenario's TLE file must be
right. A catalogue (a CelesTrak or Space-Track download of thousands of objects) is screened as it
is: every entry is checked with the same rules (69 columns, modulo-10 checksum, matching catalogue
numbers; :func:`orbitcloud.fleet.tle.check_line`) and also by ``sgp4``'s own parser; an entry that
fails is reported (file, line number, why) and skipped. Only a file with no usable entry is an error.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from orbitcloud.errors import ScenarioError
from orbitcloud.fleet.tle import MAX_TLE_BYTES, TLE, check_line

#: How many skipped entries are named one by one in the report (the rest are counted).
MAX_NAMED_SKIPS = 20


@dataclasses.dataclass
class Catalog:
    """Element sets read from a catalogue file, and the entries skipped with their reasons."""

    source: str
    sets: list[TLE]
    skipped: list[str]  # "file:line: reason", one per skipped entry

    @property
    def n_skipped(self) -> int:
        return len(self.skipped)


def _is_line(raw: str, number: int) -> bool:
    return raw.startswith(f"{number} ") and len(raw.rstrip()) >= 24


def parse_catalog_text(text: str, source: str = "<catalog>") -> Catalog:
    """Parse 2LE/3LE text, skipping (and recording) every entry that does not check or initialise."""
    from sgp4.api import WGS72, Satrec

    lines = text.splitlines()
    sets: list[TLE] = []
    skipped: list[str] = []
    name = ""
    i = 0
    while i < len(lines):
        raw = lines[i]
        if not raw.strip():
            i += 1
            continue
        if _is_line(raw, 1):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if not _is_line(nxt, 2):
                skipped.append(f"{source}:{i + 1}: TLE line 1 without a line 2 after it" + (f" ({name})" if name else ""))
                name = ""
                i += 1
                continue
            try:
                l1 = check_line(raw, 1, source, i + 1)
                l2 = check_line(nxt, 2, source, i + 2)
                if l1[2:7] != l2[2:7]:
                    raise ScenarioError(f"{source}:{i + 2}: line 2 is for satellite {l2[2:7].strip()!r}, line 1 for {l1[2:7].strip()!r}")
                sat = Satrec.twoline2rv(l1, l2, WGS72)
                if sat.error != 0:
                    raise ScenarioError(f"{source}:{i + 1}: sgp4 cannot initialise these elements (error {sat.error})")
            except (ScenarioError, ValueError) as exc:
                skipped.append(f"{exc}" + (f" ({name})" if name else ""))
            else:
                sets.append(TLE(name=name, line1=l1, line2=l2, source=source, lineno=i + 1))
            name = ""
            i += 2
            continue
        if _is_line(raw, 2):
            skipped.append(f"{source}:{i + 1}: TLE line 2 without a line 1 before it")
            name = ""
            i += 1
            continue
        if name:
            skipped.append(f"{source}:{i}: name line {name!r} has no element lines after it")
        name = raw.strip()
        if name.startswith("0 "):
            name = name[2:].strip()
        i += 1
    if name:
        skipped.append(f"{source}:{len(lines)}: name line {name!r} has no element lines after it")
    return Catalog(source=source, sets=sets, skipped=skipped)


def read_catalog(path: Path | str) -> Catalog:
    """Read a catalogue TLE file tolerantly; raise :class:`ScenarioError` only when nothing is usable."""
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise ScenarioError(f"--catalog {source}: no such TLE file")
    if path.is_dir():
        raise ScenarioError(f"--catalog {source}: is a directory, expected a TLE file")
    size = path.stat().st_size
    if size > MAX_TLE_BYTES:
        raise ScenarioError(f"--catalog {source}: {size:,} bytes is too large for a TLE file (limit {MAX_TLE_BYTES:,})")
    try:
        text = path.read_bytes().decode("ascii", errors="replace")
    except OSError as exc:
        raise ScenarioError(f"--catalog {source}: cannot read: {exc}") from None
    cat = parse_catalog_text(text, source)
    if not cat.sets:
        first = f"; first problem: {cat.skipped[0]}" if cat.skipped else ""
        raise ScenarioError(f"--catalog {source}: no usable two-line element sets ({cat.n_skipped} broken entries skipped){first}")
    return cat


def skip_report(cat: Catalog) -> list[str]:
    """Lines for the user: each skipped entry (up to :data:`MAX_NAMED_SKIPS`) and the count."""
    if not cat.skipped:
        return []
    out = [f"skipped: {s}" for s in cat.skipped[:MAX_NAMED_SKIPS]]
    if cat.n_skipped > MAX_NAMED_SKIPS:
        out.append(f"... and {cat.n_skipped - MAX_NAMED_SKIPS:,} more")
    out.append(f"{cat.n_skipped:,} broken catalogue entries skipped, {len(cat.sets):,} read from {cat.source}")
    return out
