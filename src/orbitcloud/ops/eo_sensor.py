"""Earth-observation sensor and onboard filter: parameters in SI, the classifier's per-class rates, frame draws.

* :func:`eo_params` resolves the ``workloads.earth_observation`` section (with its sensor and filter
  presets, ``catalog/eo_sensors.yaml``, which cite their sources) into :class:`EOParams`. Data per
  frame ``(swath / gsd) (L / gsd) bands bits / 8`` bytes, rounded up; a semantic filter stores a product
  of ``product_ratio`` of the raw size.
* Onboard filter (CloudScout-style, Giuffrida et al. 2020, Remote Sensing 12(14) 2205: 70 % threshold,
  92 % accuracy, 1 % false positives): :func:`per_class_rates` turns the published accuracy and
  false-positive figures into ``P(discard | clear) = FP / (1 - pi)`` and
  ``P(keep | cloudy) = (1 - accuracy - FP) / pi``, ``pi`` being the cloudy share of the evaluation set.
* :func:`frame_draws`: whether a frame is cloudy (the climatology of
  :mod:`orbitcloud.ops.eo_earth_data`, King et al. 2013) and whether the classifier discards it; a
  pure function of (seed, global satellite index, frame number) through
  :func:`orbitcloud.ops.faults.uniform_hash` (counter-based; Salmon et al. SC'11, SplitMix64), so
  results do not depend on how the fleet is cut into blocks.

The model that uses them is :class:`orbitcloud.ops.eo.EOModel`; :mod:`orbitcloud.ops.eo` re-exports the
names here. Details: ``docs/earth_observation.md``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.ops.eo_earth_data import cloud_table
from orbitcloud.ops.faults import uniform_hash
from orbitcloud.scenario.eo_schema import SECTION, EarthObservation

__all__ = [
    "STREAM_CLASSIFY",
    "STREAM_CLOUD",
    "EOError",
    "EOParams",
    "eo_params",
    "frame_draws",
    "per_class_rates",
]

#: ``uniform_hash`` streams (device slot 0); the fault model uses streams 1..9.
STREAM_CLOUD = 101
STREAM_CLASSIFY = 102
_DEVICE = 0


class EOError(OrbitcloudError, ValueError):
    """Bad input to the Earth-observation model."""


# --------------------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class EOParams:
    """Resolved Earth-observation parameters, SI (see :func:`eo_params`)."""

    sensor: str
    swath_m: float
    frame_length_m: float
    gsd_m: float
    bands: float
    bits_per_sample: int
    pixels_per_frame: float
    frame_size_b: int  # raw bytes per frame
    storage_b: int  # per satellite
    targets_land: bool
    min_sun_elevation_rad: float
    filter_kind: str  # "none", "cloud" or "semantic"
    cloud_threshold: float
    p_discard_clear: float
    p_keep_cloudy: float
    product_ratio: float  # stored / raw bytes of a frame the filter keeps
    product_size_b: int
    ops_per_frame: float  # [OP]
    precision: str
    filter_power_w: float
    relay: bool
    shells: tuple[str, ...] | None = None

    @property
    def raw_bits_per_m(self) -> float:
        """Raw data per metre of ground track [bit/m] (times the ground speed: the raw rate)."""
        return self.frame_size_b * 8.0 / self.frame_length_m


def per_class_rates(accuracy: float, false_positive: float, eval_cloudy_fraction: float) -> tuple[float, float]:
    """``(P(discard | clear), P(keep | cloudy))`` from published accuracy and false positives.

    ``false_positive`` and ``1 - accuracy - false_positive`` (false negatives) are fractions of all
    evaluated frames ("positive" = cloudy = discard); ``eval_cloudy_fraction`` is the cloudy share pi
    of that set: P(discard | clear) = FP / (1 - pi), P(keep | cloudy) = FN / pi.
    """
    pi = float(eval_cloudy_fraction)
    fn = 1.0 - float(accuracy) - float(false_positive)
    if fn < -1e-12:
        raise EOError(f"{SECTION}.filter: accuracy {accuracy:g} + false_positive {false_positive:g} exceeds 1")
    p_dc, p_kc = float(false_positive) / (1.0 - pi), max(fn, 0.0) / pi
    if p_dc > 1.0 or p_kc > 1.0:
        raise EOError(
            f"{SECTION}.filter: accuracy {accuracy:g}, false_positive {false_positive:g} and eval_cloudy_fraction "
            f"{pi:g} give per-class rates {p_dc:.3g} / {p_kc:.3g} above 1; expected a consistent evaluation set"
        )
    return p_dc, p_kc


def eo_params(spec: EarthObservation) -> EOParams:
    """Resolve the scenario section (with its sensor and filter presets) into :class:`EOParams`."""
    s = spec.sensor_spec()
    f = spec.filter_spec()
    swath_m, length_m, gsd_m = s["swath_km"] * 1e3, s["frame_length_km"] * 1e3, float(s["gsd_m"])
    bands, bits = float(s["bands"]), int(s["bits_per_sample"])
    for key, value in (("swath_km", s["swath_km"]), ("frame_length_km", s["frame_length_km"]), ("gsd_m", gsd_m),
                       ("bands", bands), ("bits_per_sample", bits)):
        if not value > 0:
            raise EOError(f"{SECTION}.{key}: must be positive, got {value!r}")
    if s["storage_gb"] < 0:
        raise EOError(f"{SECTION}.storage_gb: must be >= 0, got {s['storage_gb']!r}")
    if gsd_m > min(swath_m, length_m):
        raise EOError(f"{SECTION}.gsd_m: {gsd_m:g} m is larger than the frame ({swath_m:g} m x {length_m:g} m)")
    pixels = (swath_m / gsd_m) * (length_m / gsd_m)
    frame_b = int(math.ceil(pixels * bands * bits / 8.0))
    kind = f.get("kind", "none")
    p_dc = p_kc = 0.0
    ratio = 1.0
    ops_per_frame = 0.0
    if kind != "none":
        needed = ("accuracy", "false_positive", "eval_cloudy_fraction", "ops_per_pixel")
        missing = [k for k in needed if f.get(k) is None]
        if missing:
            raise EOError(f"{SECTION}.filter: {', '.join(missing)} missing (give a preset or the keys)")
        p_dc, p_kc = per_class_rates(f["accuracy"], f["false_positive"], f["eval_cloudy_fraction"])
        ops_per_frame = float(f["ops_per_pixel"]) * pixels
    if kind == "semantic":
        if f.get("product_ratio") is not None:
            ratio = float(f["product_ratio"])
        elif f.get("product_bits_per_pixel") is not None:
            ratio = float(f["product_bits_per_pixel"]) / (bands * bits)
        else:
            raise EOError(f"{SECTION}.filter: a semantic filter needs product_bits_per_pixel or product_ratio")
        if not 0.0 < ratio <= 1.0:
            raise EOError(
                f"{SECTION}.filter.product_bits_per_pixel: {f['product_bits_per_pixel']:g} bits per pixel is more than "
                f"the raw {bands * bits:g}; expected a product smaller than the frame"
            )
    product_b = frame_b if ratio == 1.0 else max(1, int(math.ceil(frame_b * ratio)))
    return EOParams(
        sensor=spec.sensor, swath_m=swath_m, frame_length_m=length_m, gsd_m=gsd_m, bands=bands, bits_per_sample=bits,
        pixels_per_frame=pixels, frame_size_b=frame_b, storage_b=int(round(float(s["storage_gb"]) * 1e9)),
        targets_land=s.get("targets", "all") == "land",
        min_sun_elevation_rad=math.radians(float(s.get("min_sun_elevation_deg", 0.0))),
        filter_kind=kind, cloud_threshold=float(f.get("cloud_threshold") or 0.7), p_discard_clear=p_dc,
        p_keep_cloudy=p_kc, product_ratio=ratio, product_size_b=product_b, ops_per_frame=ops_per_frame,
        precision=str(f.get("precision") or "int8"), filter_power_w=float(f.get("power_w") or 0.0),
        relay=bool(spec.relay), shells=None if spec.shells is None else tuple(spec.shells),
    )


def frame_draws(params: EOParams, seed: int, sat: np.ndarray, frame_no: np.ndarray, lat_rad: np.ndarray,
                land: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame random outcomes: ``(cloudy, discard)`` boolean arrays.

    ``cloudy``: the frame's cloud cover is at or above the threshold, with the climatological
    probability of its latitude band over land / ocean; ``discard``: the onboard classifier calls it
    cloudy (``P(discard | clear)``, ``1 - P(keep | cloudy)``; all False without a filter). A pure
    function of (seed, global satellite index ``sat``, frame number): chunk- and block-invariant.
    """
    sat = np.asarray(sat, dtype=np.int64)
    frame_no = np.asarray(frame_no, dtype=np.int64)
    p_cloud = cloud_table().probability(lat_rad, land)
    cloudy = uniform_hash(seed, sat, _DEVICE, STREAM_CLOUD, frame_no) < p_cloud
    if params.filter_kind == "none":
        return cloudy, np.zeros_like(cloudy)
    u2 = uniform_hash(seed, sat, _DEVICE, STREAM_CLASSIFY, frame_no)
    return cloudy, np.where(cloudy, u2 >= params.p_keep_cloudy, u2 < params.p_discard_clear)
