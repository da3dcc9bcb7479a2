"""CDM and OEM files parse back with ccsds-ndm and carry the values written."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from orbitcloud.errors import OrbitcloudError
from orbitcloud.safety import ccsds

T0 = dt.datetime(2026, 3, 20, 1, 2, 3, 456000)


def test_cdm_round_trip(tmp_path):
    r_a, v_a = np.array([7000.0, 10.0, -5.0]), np.array([0.01, 7.5, 0.2])
    r_b, v_b = r_a + [0.3, -0.4, 0.0], np.array([0.0, 0.3, 7.5])
    path = ccsds.write_cdm(
        tmp_path / "a.cdm", message_id="M-1", creation=T0, tca=T0, start=T0, stop=T0 + dt.timedelta(hours=6),
        objects=[dict(designator="90001", name="FLEET-0001", maneuverable="YES"), dict(designator="44713", name="STARLINK-1007")],
        r_a_km=r_a, v_a_km_s=v_a, r_b_km=r_b, v_b_km_s=v_b, gmst_rad=1.0, pc=1.25e-5,
        cov_rtn_a_m2=np.diag([1e4, 2.5e5, 4e4]), cov_rtn_b_m2=np.diag([4e4, 1e6, 9e4]), threshold_km=5.0,
    )
    cdm = ccsds.parse(path)
    rel = cdm.body.relative_metadata_data
    assert rel.tca == "2026-03-20T01:02:03.456"
    assert rel.miss_distance.value == pytest.approx(500.0, abs=1e-3)
    assert rel.collision_probability == pytest.approx(1.25e-5)
    assert rel.relative_speed.value == pytest.approx(np.linalg.norm(v_b - v_a) * 1000, abs=1e-3)
    seg_a, seg_b = cdm.body.segment
    assert seg_a.metadata.object_name == "FLEET-0001" and seg_b.metadata.object_designator == "44713"
    assert seg_b.data.covariance_matrix.ct_t.value == pytest.approx(1e6)
    # ITRF state: a rotation of the TEME one, so the radius is kept
    sv = seg_a.data.state_vector
    assert np.hypot(np.hypot(sv.x.value, sv.y.value), sv.z.value) == pytest.approx(np.linalg.norm(r_a), rel=1e-9)


def test_oem_round_trip(tmp_path):
    epochs = [T0 + dt.timedelta(seconds=60 * k) for k in range(4)]
    r = np.arange(12, dtype=float).reshape(4, 3) + 7000.0
    v = np.arange(12, dtype=float).reshape(4, 3) * 0.1
    path = ccsds.write_oem(tmp_path / "a.oem", object_name="FLEET-0001", object_id="90001", creation=T0,
                           epochs=epochs, r_km=r, v_km_s=v)
    oem = ccsds.parse(path)
    seg = oem.body.segment[0]
    assert seg.metadata.ref_frame == "TEME" and seg.metadata.object_name == "FLEET-0001"
    states = seg.data.state_vector
    assert len(states) == 4
    assert states[2].epoch == "2026-03-20T01:04:03.456"
    assert [states[3].x.value, states[3].z_dot.value] == pytest.approx([7009.0, 1.1])


def test_bad_oem_refused(tmp_path):
    with pytest.raises(OrbitcloudError, match="OEM X"):
        ccsds.write_oem(tmp_path / "b.oem", object_name="X", object_id="1", creation=T0, epochs=[T0],
                        r_km=np.zeros((1, 3)), v_km_s=np.zeros((1, 3)))
