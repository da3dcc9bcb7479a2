"""Python client of the operations service (``orbitcloud serve``; ``docs/service.md``), on httpx.

::

    from orbitcloud.client import Client

    admin = Client("http://127.0.0.1:8000", key=ADMIN_KEY)
    acct = admin.create_account("acme")                    # {"id", "api_key", ...}
    admin.top_up(acct["id"], 100)
    me = Client("http://127.0.0.1:8000", key=acct["api_key"])
    q = me.quote({"product": "accelerator_hours", "quantity": 2})
    o = me.order({"product": "accelerator_hours", "quantity": 2, "quote_id": q["id"]})
    admin.advance("1h"); me.order_status(o["id"])["status"]

Every create sends an ``Idempotency-Key`` (a new UUID unless given), and :meth:`Client.order`
retries on connection errors and 5xx with the same key, so a retried order is placed once. Errors
raise :class:`ServiceError` with the problem's status, title and detail.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

__all__ = ["Client", "ServiceError"]


class ServiceError(Exception):
    """A problem answer of the service (RFC 9457): ``status``, ``title``, ``detail``, ``body``."""

    def __init__(self, status: int, body: dict) -> None:
        self.status = status
        self.body = body
        self.title = body.get("title", "")
        self.detail = body.get("detail", "")
        super().__init__(f"{status} {self.title}: {self.detail}")


class Client:
    """A session with the service (see the module docstring)."""

    def __init__(self, base_url: str, key: str, timeout_s: float = 30.0, retries: int = 5) -> None:
        import httpx

        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout_s, headers={"Authorization": f"Bearer {key}"})
        self.retries = int(retries)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing

    def _call(self, method: str, path: str, json: Any = None, params: dict | None = None, idempotency_key: str | None = None,
              retry: bool = False) -> Any:
        import httpx

        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        tries = self.retries if retry else 1
        for i in range(tries):
            try:
                r = self._http.request(method, path, json=json, params=params, headers=headers)
            except httpx.TransportError:
                if i + 1 >= tries:
                    raise
                time.sleep(min(0.1 * 2 ** i, 2.0))
                continue
            if retry and (r.status_code >= 500 or r.status_code == 429) and i + 1 < tries:
                time.sleep(float(r.headers.get("Retry-After", 0.1 * 2 ** i)) if r.status_code == 429 else min(0.1 * 2 ** i, 2.0))
                continue
            if r.status_code >= 400:
                try:
                    body = r.json()
                except ValueError:
                    body = {"title": r.reason_phrase, "detail": r.text[:300]}
                raise ServiceError(r.status_code, body)
            return r.json()
        raise RuntimeError("unreachable")  # pragma: no cover

    def _create(self, path: str, body: Any, idempotency_key: str | None) -> Any:
        return self._call("POST", path, json=body, idempotency_key=idempotency_key or str(uuid.uuid4()), retry=True)

    # ------------------------------------------------------------------ accounts and money

    def create_account(self, name: str, idempotency_key: str | None = None, **limits: float) -> dict:
        return self._create("/v1/accounts", {"name": name, **limits}, idempotency_key)

    def account(self, account_id: str) -> dict:
        return self._call("GET", f"/v1/accounts/{account_id}")

    def top_up(self, account_id: str, credits: float, reason: str = "top-up", idempotency_key: str | None = None) -> dict:
        return self._create(f"/v1/accounts/{account_id}/topups", {"credits": credits, "reason": reason}, idempotency_key)

    def transfer(self, from_account: str, to_account: str, credits: float, reason: str = "transfer",
                 idempotency_key: str | None = None) -> dict:
        return self._create("/v1/transfers", {"from_account": from_account, "to_account": to_account, "credits": credits,
                                              "reason": reason}, idempotency_key)

    def statement(self, account_id: str, after: int = 0, limit: int = 500) -> dict:
        return self._call("GET", f"/v1/accounts/{account_id}/ledger", params={"after": after, "limit": limit})

    # ------------------------------------------------------------------ work

    def products(self) -> dict:
        return self._call("GET", "/v1/products")

    def quote(self, work: dict, idempotency_key: str | None = None) -> dict:
        return self._create("/v1/quotes", work, idempotency_key)

    def order(self, work: dict, idempotency_key: str | None = None) -> dict:
        return self._create("/v1/orders", work, idempotency_key)

    def order_status(self, order_id: str) -> dict:
        return self._call("GET", f"/v1/orders/{order_id}")

    def orders(self, status: str | None = None, limit: int = 100) -> list[dict]:
        params = {"limit": limit} | ({"status": status} if status else {})
        return self._call("GET", "/v1/orders", params=params)["items"]

    def cancel(self, order_id: str) -> dict:
        return self._call("POST", f"/v1/orders/{order_id}/cancel")

    def usage(self, order_id: str | None = None, after: int = 0, limit: int = 500) -> dict:
        params = {"after": after, "limit": limit} | ({"order_id": order_id} if order_id else {})
        return self._call("GET", "/v1/usage", params=params)

    def ingest_usage(self, events: list[dict], idempotency_key: str | None = None) -> dict:
        return self._create("/v1/usage", {"events": events}, idempotency_key)

    # ------------------------------------------------------------------ the twin

    def clock(self) -> dict:
        return self._call("GET", "/v1/clock")

    def advance(self, duration: str | float = "1h") -> dict:
        return self._call("POST", "/v1/admin/clock/advance", json={"duration": duration})

    def fleet(self) -> dict:
        return self._call("GET", "/v1/fleet")

    def health(self) -> dict:
        return self._call("GET", "/healthz")
