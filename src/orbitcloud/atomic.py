"""Atomic file writes: a temporary file beside the target, fsynced, then ``os.replace`` over it, so a
reader (or a crash) sees the old file or the new one, never a part. Used by every writer of results,
contact plans and CCSDS messages."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary path beside ``path``, fsync it, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str, encoding: str = "utf-8", newline: str | None = "") -> None:
    """Write ``text`` atomically (``newline=""``: as given, no translation)."""

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding=encoding, newline=newline) as fh:
            fh.write(text)

    atomic_write(path, write)
