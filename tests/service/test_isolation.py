"""One customer never sees another's data: for every endpoint that takes an id (found from the app's
OpenAPI document, so a new endpoint cannot be forgotten), another customer's key gets 404 and a body that is
byte-for-byte the answer for an id that does not exist, with the id swapped."""

from __future__ import annotations

import re

import pytest


def _id_routes(client) -> list[tuple[str, str]]:
    """(method, path) of every operation with a path parameter, from the app's OpenAPI document
    (every route of the API is in it; only the console page at / is not)."""
    spec = client.get("/openapi.json").json()
    return [(m.upper(), path) for path, ops in spec["paths"].items() if "{" in path for m in ops]


BODIES = {
    ("POST", "/v1/accounts/{account_id}/topups"): {"credits": 1},
    ("POST", "/v1/accounts/{account_id}/limits"): {"spend_limit": 1},
}


def test_every_id_endpoint_hides_other_accounts(api):
    a, ka = api.customer(100.0, "alice")
    b, kb = api.customer(100.0, "bob")
    order = api.client.post("/v1/orders", json={"product": "accelerator_hours", "quantity": 1}, headers=ka).json()
    quote = api.client.post("/v1/quotes", json={"product": "accelerator_hours", "quantity": 1}, headers=ka).json()
    new_key = api.client.post(f"/v1/accounts/{a}/keys", headers=ka).json()
    api.advance("10min")
    ids = {"account_id": a, "order_id": order["id"], "quote_id": quote["id"], "key_id": new_key["key_id"],
           "command_id": "cmd-000001"}  # operator TT&C: customers get 404 whatever the id (test_ops_ttc.py)
    absent = {"account_id": "acc_00000000000000000000", "order_id": "ord_00000000000000000000",
             "quote_id": "quo_00000000000000000000", "key_id": "key_00000000000000000000", "command_id": "cmd-999999"}
    routes = _id_routes(api.client)
    covered = set()
    for method, path in routes:
        names = re.findall(r"{(\w+)}", path)
        assert all(n in ids for n in names), f"a new id kind in {path}: add it to this test"
        real = path.format(**{n: ids[n] for n in names})
        gone = path.format(**{n: absent[n] for n in names})
        body = BODIES.get((method, path))
        r = api.client.request(method, real, json=body, headers=kb)
        f = api.client.request(method, gone, json=body, headers=kb)
        if (method, path) in (("POST", "/v1/accounts/{account_id}/topups"), ("POST", "/v1/accounts/{account_id}/limits")):
            # admin-only: a customer is refused before any lookup, the same way for both ids
            assert r.status_code == f.status_code == 403, (method, path)
            assert r.text.replace(real, gone) == f.text
            covered.add((method, path))
            continue
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        assert f.status_code == 404
        swap = {ids[n]: absent[n] for n in names}
        text = r.text
        for k, v in swap.items():
            text = text.replace(k, v)
        assert text == f.text, (method, path)
        for secret in (a, order["id"], quote["id"]):
            assert secret not in r.text.replace(real, "") or secret in real
        covered.add((method, path))
    assert len(covered) == len(routes) >= 8
    # and lists show only one's own objects
    assert [o["id"] for o in api.client.get("/v1/orders", headers=kb).json()["items"]] == []
    assert {x["id"] for x in api.client.get("/v1/accounts", headers=kb).json()["items"]} == {b}
    assert all(u["account_id"] == b for u in api.client.get("/v1/usage", headers=kb).json()["items"])
    r = api.client.get("/v1/usage", params={"order_id": order["id"]}, headers=kb)
    assert r.status_code == 404
    # the owner still sees everything
    assert api.client.get(f"/v1/orders/{order['id']}", headers=ka).status_code == 200
    assert api.client.get(f"/v1/quotes/{quote['id']}", headers=ka).status_code == 200


@pytest.mark.parametrize("path", ["/v1/accounts/sys:holds", "/v1/accounts/sys:revenue/ledger"])
def test_system_accounts_are_not_visible_to_customers(api, path):
    _b, kb = api.customer(1.0, "bob")
    assert api.client.get(path, headers=kb).status_code == 404
    assert api.client.get(path, headers=api.admin).status_code == 200
