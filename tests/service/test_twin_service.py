"""The service's twin: rebuilt after a restart by replaying its persisted actions (identical to the
twin that never stopped), the running clocks, the admin key bootstrap, and the Python client."""

from __future__ import annotations

import time

import numpy as np
import pytest
from service_helpers import ADMIN_KEY, Api, LiveServer

from orbitcloud.errors import OrbitcloudError
from orbitcloud.service.clock import parse_clock

COLS = ("soc", "temperature_c", "battery_j", "compute_w", "work")


def _state(api) -> dict:
    t = api.svc.host.sim.state()
    return {c: t.column(c).to_pylist() for c in COLS}


def test_restart_replays_the_twin_exactly(sqlite_url):
    a = Api(sqlite_url)
    _acc, key = a.customer(500.0)
    for body in ({"product": "inference", "city": "Beijing", "rate_per_s": 1.0, "duration": "3h"},
                 {"product": "accelerator_hours", "quantity": 3},
                 {"product": "eo_task", "lat_deg": 30.0, "lon_deg": 120.0, "window": "6h"}):
        r = a.client.post("/v1/orders", json=body, headers=key)
        assert r.status_code in (201, 402), r.text
    a.advance("47min")
    r = a.client.post("/v1/orders", json={"product": "inference", "city": "Chengdu", "rate_per_s": 0.3, "duration": "1h"}, headers=key)
    assert r.status_code == 201
    a.advance("73min")
    before, k = _state(a), a.svc.host.sim.k
    orders = a.client.get("/v1/orders", headers=key).json()["items"]
    a.close()
    b = Api(sqlite_url)  # a new process would do the same: replay the actions, advance to the clock
    try:
        assert b.svc.host.sim.k == k
        after = _state(b)
        for c in COLS:
            if c == "work":
                assert after[c] == before[c]
            else:
                np.testing.assert_array_equal(np.array(after[c], float), np.array(before[c], float))
        assert b.client.get("/v1/orders", headers=key).json()["items"] == orders
        b.advance("2h")  # and goes on metering from where it was
        done = b.client.get("/v1/orders", params={"status": "completed"}, headers=key).json()["items"]
        assert len(done) >= 2
    finally:
        b.close()


def test_a_database_of_another_scenario_is_refused(sqlite_url):
    Api(sqlite_url).close()
    with pytest.raises(OrbitcloudError, match="belongs to scenario 'three-body-12'"):
        Api(sqlite_url, scenario="starlink-shell1")


def test_parse_clock():
    assert parse_clock("manual") == ("manual", None)
    assert parse_clock("realtime") == ("realtime", 1.0)
    assert parse_clock("accelerated:600") == ("accelerated", 600.0)
    for bad in ("fast", "accelerated:", "accelerated:-1", "accelerated:x"):
        with pytest.raises(OrbitcloudError, match="--clock"):
            parse_clock(bad)


def test_accelerated_clock_runs_the_twin(sqlite_url):
    a = Api(sqlite_url, clock="accelerated:3600")
    try:
        t0 = time.monotonic()
        while a.svc.host.sim.k < 60 and time.monotonic() - t0 < 30:
            time.sleep(0.2)
        k = a.svc.host.sim.k
        wall = time.monotonic() - t0
        assert k >= 60  # 3,600 simulated s per wall s: an hour of 60 s steps within seconds
        c = a.client.get("/v1/clock", headers=a.admin).json()
        assert c["mode"] == "accelerated" and c["speed"] == 3600.0 and c["step"] >= k
        r = a.client.post("/v1/admin/clock/advance", json={"duration": "1h"}, headers=a.admin)
        assert r.status_code == 409  # only a manual clock is advanced by hand
        assert wall < 30
    finally:
        a.close()


def test_admin_key_printed_once_when_not_given(sqlite_url, tmp_path, monkeypatch):
    import httpx

    s = LiveServer(sqlite_url, tmp_path)
    monkeypatch.delenv("ORBITCLOUD_ADMIN_KEY", raising=False)
    import service_helpers

    monkeypatch.setattr(service_helpers, "ADMIN_KEY", "")
    s.start()
    s.stop()
    log = s.log.read_text()
    assert log.count("admin key (shown once") == 1
    key = log.split("admin key (shown once, stored only as a hash): ")[1].split()[0]
    s.start()
    try:
        assert httpx.get(f"{s.base}/v1/clock", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    finally:
        s.stop()
    assert s.log.read_text().count("admin key (shown once") == 1  # not printed again
    assert ADMIN_KEY not in log


def test_python_client_tour(db_url, tmp_path):
    from orbitcloud.client import Client, ServiceError

    s = LiveServer(db_url, tmp_path)
    s.start()
    try:
        with Client(s.base, key=ADMIN_KEY) as admin:
            acct = admin.create_account("acme")
            admin.top_up(acct["id"], 100)
            with Client(s.base, key=acct["api_key"]) as me:
                q = me.quote({"product": "accelerator_hours", "quantity": 2})
                o = me.order({"product": "accelerator_hours", "quote_id": q["id"]}, idempotency_key="tour-1")
                assert me.order({"product": "accelerator_hours", "quote_id": q["id"]}, idempotency_key="tour-1")["id"] == o["id"]
                assert admin.advance("3h")["step"] == 180
                done = me.order_status(o["id"])
                assert done["status"] == "completed"
                assert me.account(acct["id"])["balance"] == pytest.approx(100 - done["charged_credits"] + done["credited_credits"], abs=1e-6)
                assert me.usage(o["id"])["items"] and me.statement(acct["id"])["items"]
                with pytest.raises(ServiceError) as e:
                    me.order({"product": "accelerator_hours", "quantity": 1e6})
                assert e.value.status == 402
                assert me.health()["status"] == "ok" and me.fleet()["satellites"] == 12
    finally:
        s.stop()
