"""The analytic Sun (Astronomical Almanac low-precision formula) against skyfield + JPL DE421.

Oracle: ``earth.at(t).observe(sun).apparent()`` (light time, aberration, deflection) expressed in
skyfield's TEME frame, at 400 instants spread over 2020-2030 (evenly in date, with the time of day
walking through the day by a golden-ratio step so no hour is favoured).

Measured (skyfield 1.55, DE421): largest direction error 0.0105 deg, RMS 0.0041 deg; largest
relative distance error 8.2e-5. The Almanac quotes 0.01 deg and about 1e-4 au for 1950-2050.
"""

from __future__ import annotations

import numpy as np
import pytest

from orbitcloud.constants import AU_M
from orbitcloud.ephemeris.sun import sun_position_m
from orbitcloud.timescale import jd_split

from skyfield import api as skyfield_api  # test-only oracle (the package never imports skyfield)

max_direction_error_deg = 0.02
rms_direction_error_deg = 0.006
max_distance_rel_error = 2e-4


@pytest.fixture(scope="module")
def de421():
    from skyfield_data import get_skyfield_data_path

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skyfield-data's finals2000A.all "expired" notice
        return skyfield_api.Loader(get_skyfield_data_path())("de421.bsp")


def _times(n: int = 400):
    start = np.datetime64("2020-01-01T00:00:00", "ns")
    end = np.datetime64("2030-12-31T00:00:00", "ns")
    span = int((end - start).astype(np.int64))
    k = np.arange(n, dtype=np.int64)
    day_ns = np.mod(k * 0.6180339887498949, 1.0) * 86400e9
    t_ns = start.astype(np.int64) + k * (span // (n - 1)) + day_ns.astype(np.int64)
    return start, t_ns.astype("datetime64[ns]")


def test_sun_direction_and_distance_vs_de421(de421):
    from skyfield.sgp4lib import TEME

    ts = skyfield_api.load.timescale(builtin=True)
    start, times = _times()
    assert times[-1] > np.datetime64("2030-12-01") and times.size >= 200
    jd, fr = jd_split(times)
    ours = sun_position_m(jd, fr)
    seconds = (times - start).astype(np.int64) / 1e9
    t = ts.utc(2020, 1, 1, 0, 0, seconds)
    ref = de421["earth"].at(t).observe(de421["sun"]).apparent().frame_xyz(TEME).m.T
    d_ours = np.linalg.norm(ours, axis=1)
    d_ref = np.linalg.norm(ref, axis=1)
    cos = np.einsum("ij,ij->i", ours, ref) / (d_ours * d_ref)
    ang = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    rel = np.abs(d_ours / d_ref - 1.0)
    rms = float(np.sqrt(np.mean(ang**2)))
    assert ang.max() <= max_direction_error_deg, f"max direction error {ang.max():.5f} deg at {times[ang.argmax()]}"
    assert rms <= rms_direction_error_deg, f"RMS direction error {rms:.5f} deg"
    assert rel.max() <= max_distance_rel_error, f"max relative distance error {rel.max():.2e}"
    # sanity of the oracle itself: the distance stays within the known perihelion/aphelion range
    assert 0.983 < d_ref.min() / AU_M and d_ref.max() / AU_M < 1.017


def test_sun_position_shape_and_scalar():
    jd, fr = jd_split(np.array(["2024-03-20T03:06:00"], dtype="datetime64[ns]"))
    out = sun_position_m(jd, fr)
    assert out.shape == (1, 3)
    # Published March equinox 2024: 03:06 UTC (USNO "Earth's Seasons"). The Sun's declination moves
    # 0.4 deg/day, so the minute rounding is worth 3e-4 deg; the formula is good to 0.01 deg.
    # Measured: 0.0018 deg.
    dec_deg = np.degrees(np.arcsin(out[0, 2] / np.linalg.norm(out[0])))
    assert abs(dec_deg) < 0.015  # the formula's own 0.01 deg accuracy dominates
