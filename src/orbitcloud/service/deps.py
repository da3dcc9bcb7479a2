"""Request dependencies: who is calling (Bearer key, rate limit) and what the role may do."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from orbitcloud.service.auth import Principal, retry_after_header
from orbitcloud.service.problems import ApiError

bearer = HTTPBearer(auto_error=False, description="An API key: Authorization: Bearer KEY")


def svc(request: Request):
    return request.app.state.svc


async def principal(request: Request, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
    if cred is None or not cred.credentials:
        raise ApiError(401, "missing Authorization: Bearer KEY", "unauthorized", {"WWW-Authenticate": "Bearer"})
    s = request.app.state.svc
    key = cred.credentials
    p = s.keys.lookup(key) if len(key) <= 200 else None
    if p is None:
        raise ApiError(401, "unknown or revoked API key", "unauthorized", {"WWW-Authenticate": "Bearer"})
    wait = s.limiter.take(p.key_id)
    if wait > 0:
        raise ApiError(429, f"rate limit: {s.limiter.per_s:g} requests/s with bursts of {s.limiter.burst:g} per key",
                       "rate-limited", {"Retry-After": retry_after_header(wait)})
    return p


Caller = Annotated[Principal, Depends(principal)]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]


def need_admin(p: Principal) -> None:
    if not p.is_admin:
        raise ApiError(403, "needs an admin key", "forbidden")


def need_staff(p: Principal) -> None:
    if not p.staff:
        raise ApiError(403, "needs an admin or operator key", "forbidden")


def need_customer(p: Principal) -> None:
    if p.role != "customer" or p.account_id is None:
        raise ApiError(403, "needs a customer key (orders and quotes belong to an account)", "forbidden")


async def read(request: Request, fn):
    """``fn(conn)`` on a read connection. SQLite answers in-process in microseconds: run it here, on
    the event loop; PostgreSQL answers over a socket: run it in the thread pool, so that reads
    overlap while they wait for the server."""
    db = request.app.state.svc.db

    def go():
        with db.read() as conn:
            return fn(conn)

    if db.sqlite:
        return go()
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(go)


def body_hash(request: Request) -> str:
    return request.scope.get("state", {}).get("body_hash", "")
