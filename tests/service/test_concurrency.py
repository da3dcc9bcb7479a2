"""Races and crashes against a real ``orbitcloud serve`` on 127.0.0.1, on SQLite and PostgreSQL:
orders racing for one balance, and ``kill -9`` of the server while clients retry with idempotency
keys (docs/service.md, invariants 5, 7, 8)."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
from service_helpers import ADMIN_KEY, LiveServer

from orbitcloud.service.db import Database
from orbitcloud.service.ledger import verify

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
ORDER = {"product": "accelerator_hours", "quantity": 1}


def _customer(base: str, credits: float, name: str) -> tuple[str, dict]:
    r = httpx.post(f"{base}/v1/accounts", json={"name": name}, headers=ADMIN, timeout=30)
    assert r.status_code == 201, r.text
    acc = r.json()
    if credits:
        r = httpx.post(f"{base}/v1/accounts/{acc['id']}/topups", json={"credits": credits}, headers=ADMIN, timeout=30)
        assert r.status_code == 201, r.text
    return acc["id"], {"Authorization": f"Bearer {acc['api_key']}"}


def _check_ledger(url: str) -> None:
    d = Database(url)
    try:
        with d.read() as conn:
            rep = verify(conn)
        assert rep.ok, rep.problem
    finally:
        d.dispose()


def test_fifty_orders_race_for_a_balance_that_covers_ten(live_server):
    base = live_server.base
    acc, key = _customer(base, 0.0, "racer")
    price = httpx.post(f"{base}/v1/quotes", json=ORDER, headers=key, timeout=30).json()["hold_credits"]
    r = httpx.post(f"{base}/v1/accounts/{acc}/topups", json={"credits": round(10 * price, 6)}, headers=ADMIN, timeout=30)
    assert r.status_code == 201
    barrier = threading.Barrier(50)
    codes: list[int] = []
    lock = threading.Lock()

    def place(i: int) -> None:
        with httpx.Client(timeout=60) as c:
            barrier.wait()
            r = c.post(f"{base}/v1/orders", json=ORDER, headers={**key, "Idempotency-Key": f"race-{i}"})
        with lock:
            codes.append(r.status_code)

    threads = [threading.Thread(target=place, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(codes) == [201] * 10 + [402] * 40, codes
    a = httpx.get(f"{base}/v1/accounts/{acc}", headers=key, timeout=30).json()
    assert a["balance"] == 0.0 and a["held"] == pytest.approx(10 * price, abs=1e-6)
    assert len(httpx.get(f"{base}/v1/orders", headers=key, timeout=30).json()["items"]) == 10
    _check_ledger(live_server.db)


def test_kill_9_loses_nothing_acknowledged(db_url, tmp_path):
    """8 clients place orders with idempotency keys and retry until acknowledged while the server is
    killed with SIGKILL 5 times (and the twin advanced between restarts); afterwards every
    acknowledged order exists exactly once, the ledger balances and its chain verifies, no balance
    is negative, and the restarted twin is where the clock was."""
    srv = LiveServer(db_url, tmp_path)
    srv.start()
    base = srv.base
    n_clients, at_least, at_most = 8, 5, 400  # each client orders until the kills are over (bounded)
    customers = [_customer(base, 1000.0, f"c{i}") for i in range(n_clients)]
    acked: dict[str, str] = {}  # idempotency key -> order id
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[str] = []
    retries = [0]

    def client(i: int) -> None:
        acc, key = customers[i]
        with httpx.Client(timeout=10) as c:
            for j in range(at_most):
                if stop.is_set() and j >= at_least:
                    break
                ik = f"c{i}-{j}-{uuid.uuid4()}"
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    try:
                        r = c.post(f"{base}/v1/orders", json=ORDER, headers={**key, "Idempotency-Key": ik})
                    except httpx.TransportError:
                        with lock:
                            retries[0] += 1
                        time.sleep(0.05)
                        continue
                    if r.status_code == 201:
                        with lock:
                            acked[ik] = r.json()["id"]
                        break
                    if r.status_code >= 500:
                        time.sleep(0.05)
                        continue
                    errors.append(f"{r.status_code} {r.text[:200]}")
                    return
                time.sleep(0.02)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n_clients)]
    for t in threads:
        t.start()
    steps = []
    try:
        for _ in range(5):
            time.sleep(0.6)
            srv.kill9()
            srv.start()
            r = httpx.post(f"{base}/v1/admin/clock/advance", json={"duration": "10min"}, headers=ADMIN, timeout=60)
            assert r.status_code == 200, r.text
            steps.append(r.json()["step"])
        stop.set()
        for t in threads:
            t.join(timeout=180)
        assert not errors, errors[:3]
        assert retries[0] > 0  # the kills did land while clients were ordering
        assert len(acked) >= n_clients * at_least
        srv.kill9()
        srv.start()
        clock = httpx.get(f"{base}/v1/clock", headers=ADMIN, timeout=30).json()
        assert clock["step"] == steps[-1]  # the twin came back where its clock was
        seen: dict[str, int] = {}
        for acc, key in customers:
            after = None
            while True:
                params = {"limit": 1000} | ({"after": after} if after else {})
                page = httpx.get(f"{base}/v1/orders", params=params, headers=key, timeout=30).json()
                for o in page["items"]:
                    seen[o["id"]] = seen.get(o["id"], 0) + 1
                after = page["next_after"]
                if not after:
                    break
            a = httpx.get(f"{base}/v1/accounts/{acc}", headers=key, timeout=30).json()
            assert a["balance"] >= 0.0
        assert set(acked.values()) == set(seen) and all(v == 1 for v in seen.values())  # exactly once, nothing extra
        assert len(set(acked.values())) == len(acked)
    finally:
        stop.set()
        srv.stop()
    _check_ledger(db_url)
