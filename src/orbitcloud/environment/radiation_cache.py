"""Radiation environment: the in-memory and on-disk cache of the grids and field coordinates.

Files live in ``$ORBITCLOUD_CACHE/radiation`` (default ``~/.cache/orbitcloud``), named by a hash of
every input, :data:`MODEL_VERSION` and the ``aep8`` version; writes are atomic and best effort.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

#: Version of the grid computation (bump when the numbers change; part of the cache key).
MODEL_VERSION = 1


# --- cache --------------------------------------------------------------------------------------------------
def cache_dir() -> Path:
    """Directory of the on-disk grid cache: ``$ORBITCLOUD_CACHE/radiation`` (default ``~/.cache/orbitcloud``)."""
    base = os.environ.get("ORBITCLOUD_CACHE") or str(Path.home() / ".cache" / "orbitcloud")
    return Path(base) / "radiation"


def _aep8_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aep8")
    except PackageNotFoundError:  # pragma: no cover - aep8 is a dependency
        return "unknown"


def _key(kind: str, payload: dict) -> str:
    text = json.dumps({"kind": kind, "model": MODEL_VERSION, "aep8": _aep8_version(), **payload}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _load(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {n: data[n] for n in names}
    except Exception:  # missing, truncated or foreign file: recompute (the cache is best effort)
        return None


def _save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically (temporary file in the same directory, then rename); best effort."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return  # read-only or full disk: the run goes on without the cache


_MEMO: dict[str, object] = {}
