"""The REST contract (docs/service.md) on SQLite and PostgreSQL, in process: accounts and balances,
quotes and orders run on the twin and metered from what it delivered, idempotency, errors as
problems, limits."""

from __future__ import annotations

import json

import pytest

from orbitcloud.service.pricing import micro


def test_minimal_order_runs_on_the_twin_and_is_charged_from_delivery(api):
    acc, key = api.customer(100.0)
    r = api.client.post("/v1/quotes", json={"product": "accelerator_hours", "quantity": 2}, headers=key)
    assert r.status_code == 200, r.text
    quote = r.json()
    assert quote["price_credits"] > 0 and quote["plan"]["shell"] == "three-body"
    r = api.client.post("/v1/orders", json={"product": "accelerator_hours", "quantity": 2}, headers=key)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "queued" and order["price_credits"] == quote["price_credits"]
    bal = api.client.get(f"/v1/accounts/{acc}", headers=key).json()
    assert bal["balance"] == pytest.approx(100.0 - order["hold_credits"], abs=1e-6) and bal["held"] == order["hold_credits"]
    api.advance("2h")
    o = api.client.get(f"/v1/orders/{order['id']}", headers=key).json()
    assert o["status"] == "completed", o
    assert [e["status"] for e in o["events"]] == ["accepted", "queued", "running", "completed"]
    # metered: exactly the 2 accelerator-hours the shell delivered, charged at the plan's price
    assert o["metered"]["accelerator_s"] == pytest.approx(7200.0, abs=1e-6)
    per_h = o["plan"]["detail"]["price_per_accelerator_hour"]
    assert o["charged_credits"] == pytest.approx(micro(2 * per_h) / 1e6, abs=1e-6)
    usage = api.client.get("/v1/usage", params={"order_id": order["id"]}, headers=key).json()["items"]
    acc_s = [u for u in usage if u["metric"] == "accelerator_s"]
    assert sum(u["quantity"] for u in acc_s) == pytest.approx(7200.0, abs=1e-6)
    assert sum(u["credits"] for u in usage) == pytest.approx(o["charged_credits"], abs=1e-6)
    # the energy: 2 accelerator-hours of the 500 W three-body-744 computer = 1 kWh, metered, not priced
    kwh = [u for u in usage if u["metric"] == "energy_kwh"]
    assert sum(u["quantity"] for u in kwh) == pytest.approx(1.0, rel=1e-9) and all(u["credits"] == 0 for u in kwh)
    assert o["metered"]["energy_kwh"] == pytest.approx(1.0, rel=1e-9)
    bal = api.client.get(f"/v1/accounts/{acc}", headers=key).json()
    assert bal["held"] == 0.0
    assert bal["balance"] == pytest.approx(100.0 - o["charged_credits"] + o["credited_credits"], abs=1e-6)
    st = api.client.get(f"/v1/accounts/{acc}/ledger", headers=key).json()
    assert sum(i["credits"] for i in st["items"]) == pytest.approx(bal["balance"], abs=1e-6)
    kinds = {i["kind"] for i in st["items"]}
    assert kinds >= {"topup", "hold"} and ("credit_note" in kinds) == (o["credited_credits"] > 0)
    assert ("release" in kinds) == (o["charged_credits"] < o["hold_credits"])


def test_the_reservation_meter_equals_the_twins_delivered_accelerator_time(sqlite_api):
    """Two reservations on the same shell share what the shell delivered: together they are
    metered exactly the accelerator-seconds the bus reports (an independent sum of compute energy
    over accelerator power), until they are full."""
    api = sqlite_api
    _acc, key = api.customer(1000.0)
    ids = [api.client.post("/v1/orders", json={"product": "accelerator_hours", "quantity": q}, headers=key).json()["id"] for q in (50, 150)]
    sim = api.svc.host.sim
    e0 = sim.compute_delivered_j().copy()
    api.advance("1h")
    p = sim._bus.p
    delivered_s = float(((sim.compute_delivered_j() - e0) / p["p_acc_w"]).sum())
    got = [api.client.get(f"/v1/orders/{i}", headers=key).json()["metered"]["accelerator_s"] for i in ids]
    assert sum(got) == pytest.approx(delivered_s, rel=1e-9)
    assert got[1] / got[0] == pytest.approx(3.0, rel=1e-6)  # shares in proportion to what each still needs
    assert 0 < delivered_s < 12 * 3600.0  # 12 satellites, 1 accelerator each, at most one hour each


def test_inference_order_is_metered_in_served_tokens(sqlite_api):
    api = sqlite_api
    _acc, key = api.customer(50.0)
    r = api.client.post("/v1/orders", json={"product": "inference", "city": "Hangzhou", "rate_per_s": 0.5, "in_tokens": 400,
                                            "out_tokens": 100, "duration": "2h"}, headers=key)
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    assert r.json()["plan"]["latency_s"] > 0
    api.advance("4h")
    o = api.client.get(f"/v1/orders/{oid}", headers=key).json()
    assert o["status"] == "completed", o
    m = o["metered"]
    ctl = api.svc.host.sim._ctl
    fig = ctl._stream_figures(ctl.work[o["work_id"]]["stream"])
    assert m["served"] == fig["served"] and m["input_tokens"] == fig["tokens_in"] and m["output_tokens"] == fig["tokens_out"]
    assert m["input_tokens"] == 400 * m["served"] and m["output_tokens"] == 100 * m["served"]
    p_in, p_out = o["plan"]["detail"]["price_per_m_input"], o["plan"]["detail"]["price_per_m_output"]
    assert o["charged_credits"] == pytest.approx(micro((m["input_tokens"] * p_in + m["output_tokens"] * p_out) / 1e6) / 1e6, abs=1e-6)
    assert o["charged_credits"] <= o["hold_credits"]


def test_quote_locks_the_price_and_must_match(api):
    _acc, key = api.customer(100.0)
    q = api.client.post("/v1/quotes", json={"product": "accelerator_hours", "quantity": 3}, headers=key).json()
    r = api.client.post("/v1/orders", json={"product": "accelerator_hours", "quantity": 4, "quote_id": q["id"]}, headers=key)
    assert r.status_code == 422 and "quantity" in r.json()["detail"]
    r = api.client.post("/v1/orders", json={"product": "accelerator_hours", "quote_id": q["id"]}, headers=key)
    assert r.status_code == 201, r.text
    o = r.json()
    assert o["quote_id"] == q["id"] and o["price_credits"] == q["price_credits"] and o["request"]["quantity"] == 3
    assert [e["status"] for e in o["events"]][:2] == ["quoted", "accepted"]
    other_acc, other = api.customer(100.0, "other")
    r = api.client.post("/v1/orders", json={"product": "accelerator_hours", "quote_id": q["id"]}, headers=other)
    assert r.status_code == 404


def test_idempotency_replays_and_conflicts(api):
    acc, key = api.customer(100.0)
    h = {**key, "Idempotency-Key": "order-1"}
    body = {"product": "accelerator_hours", "quantity": 1}
    a = api.client.post("/v1/orders", json=body, headers=h)
    b = api.client.post("/v1/orders", content=json.dumps(body, indent=2), headers={**h, "Content-Type": "application/json"})
    assert a.status_code == b.status_code == 201 and a.json() == b.json() and b.headers.get("Idempotent-Replayed") == "true"
    c = api.client.post("/v1/orders", json={**body, "quantity": 2}, headers=h)
    assert c.status_code == 409 and c.headers["content-type"] == "application/problem+json"
    assert len(api.client.get("/v1/orders", headers=key).json()["items"]) == 1
    # a refused request is not stored: the same key works once the body is fixed
    h2 = {**key, "Idempotency-Key": "order-2"}
    assert api.client.post("/v1/orders", json={**body, "quantity": -1}, headers=h2).status_code == 422
    assert api.client.post("/v1/orders", json=body, headers=h2).status_code == 201
    # top-ups too
    t = {**api.admin, "Idempotency-Key": "topup-1"}
    for _ in range(3):
        assert api.client.post(f"/v1/accounts/{acc}/topups", json={"credits": 5}, headers=t).status_code == 201
    st = api.client.get(f"/v1/accounts/{acc}/ledger", headers=key).json()
    assert sum(1 for i in st["items"] if i["kind"] == "topup") == 2  # the first 100 and one 5


def test_insufficient_balance_and_spend_limit(api):
    acc, key = api.customer(1.0)
    r = api.client.post("/v1/orders", json={"product": "accelerator_hours", "quantity": 5}, headers=key)
    assert r.status_code == 402 and "available 1.000000" in r.json()["detail"]
    api.client.post(f"/v1/accounts/{acc}/topups", json={"credits": 99}, headers=api.admin)
    r = api.client.post(f"/v1/accounts/{acc}/limits", json={"spend_limit": 2.0}, headers=api.admin)
    assert r.status_code == 200 and r.json()["spend_limit"] == 2.0
    r = api.client.post("/v1/orders", json={"product": "accelerator_hours", "quantity": 5}, headers=key)
    assert r.status_code == 402 and "spend limit" in r.json()["detail"]
    assert api.client.get(f"/v1/accounts/{acc}", headers=key).json()["balance"] == 100.0


def test_cancel_releases_the_rest_of_the_hold(api):
    acc, key = api.customer(100.0)
    o = api.client.post("/v1/orders", json={"product": "accelerator_hours", "quantity": 20}, headers=key).json()
    api.advance("30min")
    r = api.client.post(f"/v1/orders/{o['id']}/cancel", headers=key)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    o2 = r.json()
    assert 0 < o2["charged_credits"] < o2["hold_credits"]
    assert api.client.get(f"/v1/accounts/{acc}", headers=key).json()["balance"] == pytest.approx(100 - o2["charged_credits"], abs=1e-6)
    assert api.client.post(f"/v1/orders/{o['id']}/cancel", headers=key).status_code == 409


def test_transfers_between_accounts(api):
    a, ka = api.customer(10.0, "a")
    b, kb = api.customer(0.0, "b")
    r = api.client.post("/v1/transfers", json={"from_account": a, "to_account": b, "credits": 4.5}, headers=ka)
    assert r.status_code == 201
    assert api.client.get(f"/v1/accounts/{b}", headers=kb).json()["balance"] == 4.5
    r = api.client.post("/v1/transfers", json={"from_account": b, "to_account": a, "credits": 5}, headers=ka)
    assert r.status_code == 404  # a's key cannot spend b's money
    r = api.client.post("/v1/transfers", json={"from_account": a, "to_account": b, "credits": 6}, headers=ka)
    assert r.status_code == 402


def test_errors_are_problems(api):
    _acc, key = api.customer(1.0)
    cases = [
        api.client.get("/v1/orders"),  # no key
        api.client.get("/v1/orders", headers={"Authorization": "Bearer nope"}),
        api.client.get("/v1/orders/ord_missing", headers=key),
        api.client.get("/v1/nothing-here", headers=key),
        api.client.post("/v1/orders", json={"product": "accelerator_hours", "quantity": 1, "colour": "red"}, headers=key),
        api.client.post("/v1/orders", json={"product": "teleport"}, headers=key),
        api.client.post("/v1/orders", content=b"{not json", headers={**key, "Content-Type": "application/json"}),
        api.client.post("/v1/accounts", json={"name": "x"}, headers=key),  # not admin
        api.client.delete("/v1/orders", headers=key),
    ]
    assert [c.status_code for c in cases] == [401, 401, 404, 404, 422, 422, 422, 403, 405]
    for c in cases:
        assert c.headers["content-type"] == "application/problem+json"
        p = c.json()
        assert p["status"] == c.status_code and p["title"] and "Traceback" not in c.text
    assert "colour" in cases[4].json()["detail"]


def test_body_size_limit(api):
    _acc, key = api.customer(1.0)
    big = {"product": "accelerator_hours", "quantity": 1, "shell": "x" * 70_000}
    r = api.client.post("/v1/orders", json=big, headers=key)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"


def test_rate_limit_answers_429_with_retry_after(db_url):
    from service_helpers import Api

    from orbitcloud.scenario.service_schema import RateLimit, Service

    a = Api(db_url)
    try:
        from orbitcloud.service.auth import RateLimiter

        a.svc.limiter = RateLimiter(RateLimit(per_s=2, burst=5).per_s, 5)
        _acc, key = a.customer(0.0)
        codes = [a.client.get("/v1/clock", headers=key).status_code for _ in range(8)]
        assert codes[:4] == [200] * 4 and 429 in codes  # the admin's calls did not use this key's bucket
        r = next(a.client.get("/v1/clock", headers=key) for _ in range(1))
        r = a.client.get("/v1/clock", headers=key)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert Service().rate_limit.per_s == 50.0  # the documented default
    finally:
        a.close()


def test_openapi_health_and_clock(api):
    spec = api.client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    for path in ("/v1/accounts", "/v1/accounts/{account_id}/topups", "/v1/quotes", "/v1/orders", "/v1/orders/{order_id}",
                 "/v1/usage", "/v1/accounts/{account_id}/ledger", "/v1/admin/clock/advance", "/healthz"):
        assert path in spec["paths"], path
    h = api.client.get("/healthz").json()
    assert h["status"] == "ok" and h["database"] in ("sqlite", "postgresql")
    c = api.advance("90min")
    assert c["sim_time"] == "2026-03-20T01:30:00Z" and c["step"] == 90 and c["mode"] == "manual"
    _acc, key = api.customer(1.0)
    r = api.client.post("/v1/admin/clock/advance", json={"duration": "1h"}, headers=key)
    assert r.status_code == 403
    assert api.client.get("/").status_code == 200


def test_keys_are_revocable_and_stored_as_hashes(api):
    from sqlalchemy import select

    from orbitcloud.service import db as T

    acc, key = api.customer(1.0)
    token = key["Authorization"].split()[1]
    with api.svc.db.read() as conn:
        stored = [r.key_hash for r in conn.execute(select(T.api_keys))]
    assert token not in stored and all(len(h) == 64 for h in stored)
    r = api.client.post(f"/v1/accounts/{acc}/keys", headers=key)
    assert r.status_code == 201
    new = {"Authorization": f"Bearer {r.json()['api_key']}"}
    kid = api.client.post("/v1/keys", json={"role": "operator"}, headers=api.admin).json()
    assert kid["role"] == "operator"
    old_id = [k for k in (r.json()["key_id"],)][0]
    assert api.client.post(f"/v1/keys/{old_id}/revoke", headers=key).status_code == 200
    assert api.client.get(f"/v1/accounts/{acc}", headers=new).status_code == 401
    assert api.client.get(f"/v1/accounts/{acc}", headers=key).status_code == 200
    op = {"Authorization": f"Bearer {kid['api_key']}"}
    assert api.client.get("/v1/orders", headers=op).status_code == 200
    assert api.client.post(f"/v1/accounts/{acc}/topups", json={"credits": 1}, headers=op).status_code == 403


def test_usage_ingestion_charges_the_hold_and_never_past_it(api):
    acc, key = api.customer(100.0)
    o = api.client.post("/v1/orders", json={"product": "accelerator_hours", "quantity": 1}, headers=key).json()
    api.advance("1min")  # running
    per_s = o["plan"]["detail"]["price_per_accelerator_hour"] / 3600.0
    ev = [{"order_id": o["id"], "metric": "accelerator_s", "quantity": 10.0} for _ in range(100)]
    r = api.client.post("/v1/usage", json={"events": ev}, headers=api.admin)
    assert r.status_code == 201 and r.json()["accepted"] == 100
    got = api.client.get(f"/v1/orders/{o['id']}", headers=key).json()
    assert got["charged_credits"] <= got["hold_credits"]
    assert r.json()["charged_credits"] == pytest.approx(min(100 * micro(10 * per_s), micro(got["hold_credits"]) - micro(0)) / 1e6, rel=1e-6, abs=2e-6) or r.json()["unbilled"] > 0
    r = api.client.post("/v1/usage", json={"events": [{"order_id": o["id"], "metric": "bytes", "quantity": 1.0}]}, headers=api.admin)
    assert r.status_code == 422
    assert api.client.post("/v1/usage", json={"events": ev[:1]}, headers=key).status_code == 403
    from orbitcloud.service.ledger import verify

    with api.svc.db.read() as conn:
        assert verify(conn).ok


def test_an_unexpected_error_is_a_500_problem_without_traceback(sqlite_api, caplog, monkeypatch):
    api = sqlite_api
    _acc, key = api.customer(1.0)

    def boom():
        raise RuntimeError("secret detail ock_do_not_leak")

    monkeypatch.setattr(api.svc.host, "fleet", boom)
    with caplog.at_level("DEBUG"):
        r = api.client.get("/v1/fleet", headers=key)
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert "secret" not in r.text and "Traceback" not in r.text
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "internal error on GET /v1/fleet: RuntimeError" in logged
    assert "ock_do_not_leak" not in logged and all(rec.exc_info is None for rec in caplog.records)


def test_a_reservation_window_opens_at_its_start(sqlite_api):
    api = sqlite_api
    _acc, key = api.customer(100.0)
    r = api.client.post("/v1/orders", json={"product": "accelerator_hours", "quantity": 1, "start": "2026-03-20T02:00:00Z",
                                            "window": "6h"}, headers=key)
    assert r.status_code == 201, r.text
    o = r.json()
    assert o["plan"]["earliest_start"] == "2026-03-20T02:00:00Z"
    api.advance("1h")
    assert api.client.get(f"/v1/orders/{o['id']}", headers=key).json()["status"] == "queued"
    api.advance("4h")
    got = api.client.get(f"/v1/orders/{o['id']}", headers=key).json()
    assert got["sim_started"] == "2026-03-20T02:00:00Z" and got["status"] == "completed"
    bad = api.client.post("/v1/orders", json={"product": "accelerator_hours", "start": "2031-01-01T00:00:00Z"}, headers=key)
    assert bad.status_code == 422 and "horizon" in bad.json()["detail"]
    bad = api.client.post("/v1/orders", json={"product": "accelerator_hours", "start": "soon"}, headers=key)
    assert bad.status_code == 422


def test_a_missed_promise_gets_a_credit_note(sqlite_api):
    """A reservation the shell cannot fill in its window (100 accelerator-hours in 1 h on 12
    one-accelerator satellites) ends partial: charged for what was delivered, and credited
    sla_credit_fraction (10 %) of that automatically."""
    api = sqlite_api
    acc, key = api.customer(500.0)
    o = api.client.post("/v1/orders", json={"product": "accelerator_hours", "quantity": 100, "window": "1h"}, headers=key).json()
    api.advance("90min")
    got = api.client.get(f"/v1/orders/{o['id']}", headers=key).json()
    assert got["status"] == "completed" and "window ended" in got["reason"]
    assert 0 < got["metered"]["accelerator_s"] <= 12 * 3600.0
    assert got["charged_credits"] < got["hold_credits"]
    assert got["credited_credits"] == pytest.approx(round(got["charged_credits"] * 0.10, 6), abs=1e-6)
    st = api.client.get(f"/v1/accounts/{acc}/ledger", headers=key).json()["items"]
    notes = [i for i in st if i["kind"] == "credit_note"]
    assert len(notes) == 1 and notes[0]["credits"] == got["credited_credits"] and "window ended" in notes[0]["reason"]
    bal = api.client.get(f"/v1/accounts/{acc}", headers=key).json()["balance"]
    assert bal == pytest.approx(500.0 - got["charged_credits"] + got["credited_credits"], abs=1e-6)


def test_no_new_work_past_the_horizon(sqlite_url):
    from service_helpers import Api

    a = Api(sqlite_url, horizon="1h")
    try:
        _acc, key = a.customer(10.0)
        a.advance("1h")
        for path in ("/v1/quotes", "/v1/orders"):
            r = a.client.post(path, json={"product": "accelerator_hours", "quantity": 1}, headers=key)
            assert r.status_code == 409 and "end of its horizon" in r.json()["detail"]
        r = a.client.post("/v1/admin/clock/advance", json={"duration": "1h"}, headers=a.admin)
        assert r.status_code == 409
    finally:
        a.close()
