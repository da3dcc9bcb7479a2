"""The FastAPI application of ``orbitcloud serve`` (``docs/service.md``).

:func:`create_app` builds it around a :class:`Service` (the database, the twin host, keys, the rate
limiter and the clock). Errors are RFC 9457 problems; bodies over ``service.max_body_bytes`` are
refused (413) before they are read whole; unknown fields are refused (422); no traceback or key is
ever written to a response or the log.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from orbitcloud.errors import OrbitcloudError
from orbitcloud.service.problems import PROBLEM_TYPE, ApiError, problem_body

log = logging.getLogger("orbitcloud.service")


class Service:
    """Everything the routes share (``app.state.svc``)."""

    def __init__(self, scenario: Any, db_url: str, clock: str = "manual", horizon: Any = None, admin_key: str | None = None,
                 **sim_options: Any) -> None:
        from orbitcloud.service.auth import KeyCache, RateLimiter
        from orbitcloud.service.clock import parse_clock
        from orbitcloud.service.db import Database
        from orbitcloud.service.migrate import upgrade
        from orbitcloud.service.twin import TwinHost

        self.mode, self.speed = parse_clock(clock)
        self.db = Database(db_url)
        upgrade(self.db)
        self.host = TwinHost(scenario, self.db, horizon=horizon, **sim_options)
        spec = self.host.service
        self.spec = spec
        self.keys = KeyCache(self.db)
        self.limiter = RateLimiter(spec.rate_limit.per_s, spec.rate_limit.burst)
        self.max_body = int(spec.max_body_bytes)
        self.max_usage_body = int(spec.max_usage_body_bytes)
        self.new_admin_key = self._bootstrap_admin(admin_key if admin_key is not None else os.environ.get("ORBITCLOUD_ADMIN_KEY"))
        self.clock = None

    def _bootstrap_admin(self, key: str | None) -> str | None:
        """Register ``key`` as an admin key (idempotent); without one, create a key when the database
        has no admin key yet and return it (printed once)."""
        from sqlalchemy import select

        from orbitcloud.service import db as T
        from orbitcloud.service.auth import create_key, key_hash

        with self.db.write() as conn:
            if key:
                if len(key) < 16:
                    raise OrbitcloudError("ORBITCLOUD_ADMIN_KEY: use at least 16 characters (32 random bytes recommended)")
                if conn.execute(select(T.api_keys.c.id).where(T.api_keys.c.key_hash == key_hash(key))).first() is None:
                    create_key(conn, "admin", None, key)
                return None
            have = conn.execute(select(T.api_keys.c.id).where(T.api_keys.c.role == "admin", T.api_keys.c.revoked_at.is_(None))).first()
            if have is not None:
                return None
            _kid, new = create_key(conn, "admin", None)
            return new

    def start(self) -> None:
        if self.mode != "manual" and self.clock is None:
            from orbitcloud.service.clock import ClockThread

            self.clock = ClockThread(self.host, self.speed)
            self.clock.start()

    def stop(self) -> None:
        if self.clock is not None:
            self.clock.stop()
            self.clock = None


class BodyLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` (``usage_bytes`` for the batched usage
    ingestion, ``POST /v1/usage``) with 413, and keep the body's hash for idempotency in
    ``scope["state"]["body_hash"]``."""

    def __init__(self, app, max_bytes: int, usage_bytes: int | None = None) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.usage_bytes = usage_bytes or max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        limit = self.usage_bytes if scope.get("path") == "/v1/usage" else self.max_bytes
        headers = dict(scope.get("headers") or [])
        cl = headers.get(b"content-length")
        if cl is not None:
            try:
                too_big = int(cl) > limit
            except ValueError:
                too_big = True
            if too_big:
                return await _send_problem(send, 413, f"request body over {limit} bytes")
        chunks, size = [], 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            body = msg.get("body", b"")
            size += len(body)
            if size > limit:
                return await _send_problem(send, 413, f"request body over {limit} bytes")
            chunks.append(body)
            if not msg.get("more_body"):
                break
        whole = b"".join(chunks)
        from orbitcloud.service.store import body_hash

        scope.setdefault("state", {})["body_hash"] = body_hash(whole)
        done = False

        async def replay():
            nonlocal done
            if not done:
                done = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


class Guard:
    """ASGI middleware: an exception that escapes a route becomes a 500 problem here, logged as one
    line (method, path, exception type), so no traceback reaches the response or the log (Starlette's
    own error middleware would log one)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def watch(msg):
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # noqa: BLE001 - the one place every unexpected error ends
            log.error("internal error on %s %s: %s", scope.get("method"), scope.get("path"), type(exc).__name__)
            if not started:
                await _send_problem(send, 500, "internal error (logged on the server)", kind="internal")


async def _send_problem(send, status: int, detail: str, kind: str = "too-large") -> None:
    body = json.dumps(problem_body(status, detail, kind=kind)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_TYPE.encode()), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def problem_response(status: int, detail: str | None, request: Request | None = None, kind: str | None = None,
                     headers: dict | None = None, extra: dict | None = None) -> JSONResponse:
    inst = request.url.path if request is not None else None
    return JSONResponse(problem_body(status, detail, inst, kind, extra), status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def create_app(service: Service) -> FastAPI:
    """The application around ``service`` (see the module docstring)."""
    from contextlib import asynccontextmanager

    from orbitcloud import __version__
    from orbitcloud.service.routes import router
    from orbitcloud.service.routes_admin import admin_router
    from orbitcloud.service.routes_ops import ops_router

    @asynccontextmanager
    async def lifespan(_app):
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(title="orbitcloud operations service", version=__version__, lifespan=lifespan,
                  description="Metered compute of an orbital data center, executed on its live twin (docs/service.md).")
    app.state.svc = service

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return problem_response(exc.status, exc.detail, request, exc.kind, exc.headers, exc.extra)

    @app.exception_handler(OrbitcloudError)
    async def _oc_error(request: Request, exc: OrbitcloudError):
        return problem_response(422, str(exc), request, "unprocessable")

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        from orbitcloud.service.routes_ops import hidden

        if hidden(request):  # a body that does not parse, from a key that may not know /v1/ops exists
            return problem_response(404, "Not Found", request)
        errs = []
        for e in exc.errors()[:20]:
            loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            errs.append({"field": loc, "message": str(e.get("msg", ""))[:300]})
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errs[:5])
        return problem_response(422, detail or "invalid request", request, "validation", extra={"errors": errs})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return problem_response(exc.status_code, str(exc.detail) if exc.detail else None, request, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.error("internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return problem_response(500, "internal error (logged on the server)", request, "internal")

    app.include_router(router)
    app.include_router(admin_router)
    app.include_router(ops_router)
    app.add_middleware(BodyLimit, max_bytes=service.max_body, usage_bytes=service.max_usage_body)
    app.add_middleware(Guard)
    _problem_openapi(app)
    return app


def _problem_openapi(app: FastAPI) -> None:
    """Every operation documents its problem responses as ``application/problem+json``."""
    from fastapi.openapi.utils import get_openapi

    from orbitcloud.service.schemas import Problem

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        comps = schema.setdefault("components", {}).setdefault("schemas", {})
        comps["Problem"] = Problem.model_json_schema()
        for k in [k for k in comps if k in ("HTTPValidationError", "ValidationError")]:
            comps.pop(k)
        ref = {"$ref": "#/components/schemas/Problem"}
        for path, ops in schema.get("paths", {}).items():
            for method, op in ops.items():
                resp = op.setdefault("responses", {})
                codes = ["400", "401", "404", "405", "413", "422", "429", "500"] if path.startswith("/v1") else ["404", "405", "500"]
                if method in ("post",):
                    codes += ["402", "403", "409"]
                elif path.startswith("/v1"):
                    codes += ["403"]
                if path.startswith("/v1/ops/"):  # the twin has no TT&C layer (or its horizon has ended)
                    codes += ["409"]
                for c in codes:
                    resp[c] = {"description": "problem (RFC 9457)", "content": {PROBLEM_TYPE: {"schema": ref}}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
