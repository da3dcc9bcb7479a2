"""CCSDS Conjunction Data Messages (CCSDS 508.0-B-1) and Orbit Ephemeris Messages (CCSDS 502.0-B-3).

Messages are composed as KVN text from one template per message type and read back by ``ccsds-ndm``
(which checks them against the CCSDS NDM/XML schema model: required keys, units, enumerations).
Parsing costs ~25 ms a message, so a run checks its first message (the template with that run's
values; every message of a run has the same keys) and tests parse many; ``validate=True`` checks one
explicitly. Files are written atomically.

Frames: the CDM 1.0 allows EME2000, GCRF or ITRF for the object states; the screening's TEME states
are rotated to the pseudo-Earth-fixed frame by GMST-82 (:mod:`orbitcloud.ephemeris.frames`: UT1 = UTC,
polar motion neglected, so PEF stands for ITRF, within ~15 m) and written as ITRF. Relative position
and velocity and the covariance are in object 1's (or each object's) RTN frame, from the TEME states.
OEMs are written in TEME (a registered SANA frame), as SGP4 gives them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from orbitcloud.constants import EARTH_ROTATION_RAD_S
from orbitcloud.errors import OrbitcloudError

ORIGINATOR = "ORBITCLOUD"


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (ASCII, LF, ending in a newline) to ``path`` atomically (:mod:`orbitcloud.atomic`)."""
    from orbitcloud.atomic import write_text_atomic

    write_text_atomic(Path(path), text if text.endswith("\n") else text + "\n", encoding="ascii", newline="\n")


def check_with_ccsds_ndm(kvn: str, what: str):
    """Parse KVN with ``ccsds-ndm`` (its object tree is returned); a message it refuses is an error."""
    from ccsds_ndm.ndm_kvn_io import NdmKvnIo

    try:
        return NdmKvnIo().from_string(kvn)
    except Exception as exc:  # the library raises several types; name the message that failed
        raise OrbitcloudError(f"{what}: ccsds-ndm refused the message: {type(exc).__name__}: {exc}") from None


def parse(path: Path):
    """Read a CDM/OEM file back with ``ccsds-ndm`` (the xsdata object tree)."""
    from ccsds_ndm.ndm_io import NdmIo

    return NdmIo().from_path(path)


def teme_to_itrf(r_km: np.ndarray, v_km_s: np.ndarray, gmst_rad: float) -> tuple[np.ndarray, np.ndarray]:
    """TEME state to the pseudo-Earth-fixed frame (ITRF without polar motion)."""
    from orbitcloud.ephemeris.frames import teme_to_ecef

    g = np.array([gmst_rad])
    r = teme_to_ecef(np.asarray(r_km, dtype=np.float64)[None, :], g)[0]
    v = teme_to_ecef(np.asarray(v_km_s, dtype=np.float64)[None, :], g)[0]
    v = v - np.cross([0.0, 0.0, EARTH_ROTATION_RAD_S], r)
    return r, v


def _rtn(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rows: radial, transverse, normal unit vectors."""
    R = r / np.linalg.norm(r)
    N = np.cross(r, v)
    N = N / np.linalg.norm(N)
    return np.stack([R, np.cross(N, R), N])


_COV_KEYS = [
    "CR_R", "CT_R", "CT_T", "CN_R", "CN_T", "CN_N",
    "CRDOT_R", "CRDOT_T", "CRDOT_N", "CRDOT_RDOT",
    "CTDOT_R", "CTDOT_T", "CTDOT_N", "CTDOT_RDOT", "CTDOT_TDOT",
    "CNDOT_R", "CNDOT_T", "CNDOT_N", "CNDOT_RDOT", "CNDOT_TDOT", "CNDOT_NDOT",
]
_COV_IDX = [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2), (3, 0), (3, 1), (3, 2), (3, 3),
            (4, 0), (4, 1), (4, 2), (4, 3), (4, 4), (5, 0), (5, 1), (5, 2), (5, 3), (5, 4), (5, 5)]


def _cov_unit(key: str) -> str:
    dots = key.count("DOT")
    return ["m**2", "m**2/s", "m**2/s**2"][dots]


def cdm_kvn(
    *, message_id: str, creation: dt.datetime, tca: dt.datetime, start: dt.datetime, stop: dt.datetime,
    objects: list[dict], r_a_km, v_a_km_s, r_b_km, v_b_km_s, gmst_rad: float, pc: float,
    cov_rtn_a_m2: np.ndarray, cov_rtn_b_m2: np.ndarray, threshold_km: float,
) -> str:
    """The KVN text of one CDM. ``objects``: two dicts with ``designator``, ``name``, ``catalog``,
    ``covariance_method`` (CALCULATED / DEFAULT) and ``maneuverable`` (YES / NO / N/A);
    covariances 3x3 (position, RTN) [m^2]; states TEME [km, km/s]."""
    r_a, v_a, r_b, v_b = (np.asarray(x, dtype=np.float64) for x in (r_a_km, v_a_km_s, r_b_km, v_b_km_s))
    Q = _rtn(r_a, v_a)
    dr = Q @ (r_b - r_a) * 1000.0
    dv = Q @ (v_b - v_a) * 1000.0
    miss_m = float(np.linalg.norm(r_b - r_a) * 1000.0)
    speed = float(np.linalg.norm(v_b - v_a) * 1000.0)
    thr_m = threshold_km * 1000.0
    lines = [
        "CCSDS_CDM_VERS = 1.0",
        f"CREATION_DATE = {_iso(creation)}",
        f"ORIGINATOR = {ORIGINATOR}",
        f"MESSAGE_FOR = {objects[0]['name']}",
        f"MESSAGE_ID = {message_id}",
        f"TCA = {_iso(tca)}",
        f"MISS_DISTANCE = {miss_m:.3f} [m]",
        f"RELATIVE_SPEED = {speed:.3f} [m/s]",
        f"RELATIVE_POSITION_R = {dr[0]:.3f} [m]",
        f"RELATIVE_POSITION_T = {dr[1]:.3f} [m]",
        f"RELATIVE_POSITION_N = {dr[2]:.3f} [m]",
        f"RELATIVE_VELOCITY_R = {dv[0]:.6f} [m/s]",
        f"RELATIVE_VELOCITY_T = {dv[1]:.6f} [m/s]",
        f"RELATIVE_VELOCITY_N = {dv[2]:.6f} [m/s]",
        f"START_SCREEN_PERIOD = {_iso(start)}",
        f"STOP_SCREEN_PERIOD = {_iso(stop)}",
        "SCREEN_VOLUME_FRAME = RTN",
        "SCREEN_VOLUME_SHAPE = ELLIPSOID",
        f"SCREEN_VOLUME_X = {thr_m:.1f} [m]",
        f"SCREEN_VOLUME_Y = {thr_m:.1f} [m]",
        f"SCREEN_VOLUME_Z = {thr_m:.1f} [m]",
        f"COLLISION_PROBABILITY = {pc:.6E}",
        "COLLISION_PROBABILITY_METHOD = FOSTER-1992",
    ]
    for k, (obj, r, v, cov) in enumerate(((objects[0], r_a, v_a, cov_rtn_a_m2), (objects[1], r_b, v_b, cov_rtn_b_m2))):
        ri, vi = teme_to_itrf(r, v, gmst_rad)
        full = np.zeros((6, 6))
        full[:3, :3] = np.asarray(cov, dtype=np.float64)
        lines += [
            f"OBJECT = OBJECT{k + 1}",
            f"OBJECT_DESIGNATOR = {obj['designator']}",
            f"CATALOG_NAME = {obj.get('catalog', 'SATCAT')}",
            f"OBJECT_NAME = {obj['name']}",
            f"INTERNATIONAL_DESIGNATOR = {obj.get('international', 'UNKNOWN')}",
            f"EPHEMERIS_NAME = {obj.get('ephemeris', 'SGP4-TLE')}",
            f"COVARIANCE_METHOD = {obj.get('covariance_method', 'DEFAULT')}",
            f"MANEUVERABLE = {obj.get('maneuverable', 'N/A')}",
            "REF_FRAME = ITRF",
            f"X = {ri[0]:.6f} [km]",
            f"Y = {ri[1]:.6f} [km]",
            f"Z = {ri[2]:.6f} [km]",
            f"X_DOT = {vi[0]:.9f} [km/s]",
            f"Y_DOT = {vi[1]:.9f} [km/s]",
            f"Z_DOT = {vi[2]:.9f} [km/s]",
        ]
        for key, (i, j) in zip(_COV_KEYS, _COV_IDX):
            val = full[i, j] if i < 3 else (1.0 if i == j else 0.0) * 1e-6  # velocity part unknown: tiny
            lines.append(f"{key} = {val:.6E} [{_cov_unit(key)}]")
    return "\n".join(lines) + "\n"


def _write_checked(path: Path, text: str, what: str, validate: bool) -> Path:
    """Check a message with ``ccsds-ndm`` (``validate``), then write it atomically."""
    if validate:
        check_with_ccsds_ndm(text, what)
    atomic_write_text(Path(path), text)
    return Path(path)


def write_cdm(path: Path, validate: bool = True, **kw) -> Path:
    """Compose one CDM (:func:`cdm_kvn` keywords), check it with ``ccsds-ndm`` (``validate``), write atomically."""
    return _write_checked(path, cdm_kvn(**kw), f"CDM {kw.get('message_id')}", validate)


def oem_kvn(*, object_name: str, object_id: str, creation: dt.datetime, epochs: list[dt.datetime],
            r_km: np.ndarray, v_km_s: np.ndarray, frame: str = "TEME") -> str:
    """KVN text of a one-segment OEM (version 2.0), states [km, km/s] at UTC ``epochs``."""
    r = np.asarray(r_km, dtype=np.float64)
    v = np.asarray(v_km_s, dtype=np.float64)
    if len(epochs) < 2 or r.shape != (len(epochs), 3) or v.shape != r.shape:
        raise OrbitcloudError(f"OEM {object_name}: needs at least 2 states of shape (n, 3), got {r.shape} at {len(epochs)} epochs")
    lines = [
        "CCSDS_OEM_VERS = 2.0",
        f"CREATION_DATE = {_iso(creation)}",
        f"ORIGINATOR = {ORIGINATOR}",
        "",
        "META_START",
        f"OBJECT_NAME = {object_name}",
        f"OBJECT_ID = {object_id}",
        "CENTER_NAME = EARTH",
        f"REF_FRAME = {frame}",
        "TIME_SYSTEM = UTC",
        f"START_TIME = {_iso(epochs[0])}",
        f"STOP_TIME = {_iso(epochs[-1])}",
        "META_STOP",
        "",
    ]
    for t, ri, vi in zip(epochs, r, v):
        lines.append(f"{_iso(t)} {ri[0]:.6f} {ri[1]:.6f} {ri[2]:.6f} {vi[0]:.9f} {vi[1]:.9f} {vi[2]:.9f}")
    return "\n".join(lines) + "\n"


def write_oem(path: Path, validate: bool = True, **kw) -> Path:
    """Compose one OEM (:func:`oem_kvn` keywords), check it with ``ccsds-ndm`` (``validate``), write atomically."""
    return _write_checked(path, oem_kvn(**kw), f"OEM {kw.get('object_name')}", validate)
