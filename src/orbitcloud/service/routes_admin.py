"""Routes of the clock, keys, usage ingestion, health and the web console."""

from __future__ import annotations

from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse

from orbitcloud.service import schemas as S
from orbitcloud.service import store
from orbitcloud.service.deps import Caller, IdemKey, body_hash, need_admin, need_staff, svc
from orbitcloud.service.problems import ApiError, not_found

admin_router = APIRouter()
Id = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_:\-]+$")]


def _clock(s) -> dict:
    h = s.host
    out = {"sim_time": h.t_iso(), "step": h.sim.k, "step_s": h.sim.step_s, "mode": s.mode, "end": h.t_iso(h.sim.steps), "speed": s.speed}
    if s.clock is not None:
        out["lag_s"] = round(s.clock.lag_s, 3)
        out["error"] = s.clock.error
    return out


@admin_router.get("/healthz", response_model=S.Health, summary="Liveness: the twin's time and the database kind")
async def healthz(request: Request):
    s = svc(request)
    return {"status": "ok", "sim_time": s.host.t_iso(), "database": "sqlite" if s.db.sqlite else "postgresql"}


@admin_router.get("/", include_in_schema=False)
def console() -> HTMLResponse:
    html = resources.files("orbitcloud.service").joinpath("console/index.html").read_text("utf-8")
    return HTMLResponse(html, headers={"Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                                                  "script-src 'self' 'unsafe-inline'; img-src 'self' data:"})


@admin_router.get("/v1/whoami", response_model=S.WhoAmI, summary="The calling key: its id, role and account")
async def whoami(request: Request, p: Caller):
    return {"key_id": p.key_id, "role": p.role, "account_id": p.account_id}


@admin_router.get("/v1/clock", response_model=S.Clock, summary="The twin's clock")
async def clock(request: Request, p: Caller):
    return _clock(svc(request))


@admin_router.post("/v1/admin/clock/advance", response_model=S.Clock, summary="Advance the manual clock (admin, operator)")
def advance(request: Request, body: S.ClockAdvance, p: Caller):
    need_staff(p)
    s = svc(request)
    if s.mode != "manual":
        raise ApiError(409, f"the clock is {s.mode}; only a manual clock is advanced by hand", "clock-not-manual")
    if s.host.sim.k >= s.host.sim.steps:
        raise ApiError(409, f"the twin is at the end of its horizon ({s.host.t_iso()})", "end-of-horizon")
    s.host.advance(float(body.duration))
    return _clock(s)


@admin_router.post("/v1/keys", status_code=201, response_model=S.KeyCreated, summary="Create an API key (admin)")
def create_key(request: Request, body: S.KeyCreate, p: Caller, idem: IdemKey = None):
    from sqlalchemy import select

    from orbitcloud.service import db as T
    from orbitcloud.service.auth import create_key as make

    need_admin(p)
    s = svc(request)
    if (body.role == "customer") != (body.account_id is not None):
        raise ApiError(422, "account_id: a customer key needs one; admin and operator keys take none", "validation")

    def create(conn, _):
        if body.account_id is not None and conn.execute(select(T.accounts.c.id).where(
                T.accounts.c.id == body.account_id, T.accounts.c.kind == "customer")).first() is None:
            raise not_found("account", body.account_id)
        kid, key = make(conn, body.role, body.account_id)
        return 201, {"key_id": kid, "role": body.role, "account_id": body.account_id, "api_key": key}

    st, out, rep = store.idempotent(s.db, p, idem, "POST", request.url.path, body_hash(request), create)
    return JSONResponse(out, status_code=st)


@admin_router.post("/v1/keys/{key_id}/revoke", response_model=S.KeyRevoked, summary="Revoke a key (admin, or the account's own keys)")
def revoke_key(request: Request, key_id: Id, p: Caller):
    from sqlalchemy import select, update

    from orbitcloud.service import db as T
    from orbitcloud.service.ledger import now_iso

    s = svc(request)
    with s.db.write() as conn:
        row = conn.execute(select(T.api_keys).where(T.api_keys.c.id == key_id)).first()
        if row is None or (not p.is_admin and (p.role != "customer" or row.account_id != p.account_id)):
            raise not_found("key", key_id)
        at = row.revoked_at or now_iso()
        if row.revoked_at is None:
            conn.execute(update(T.api_keys).where(T.api_keys.c.id == key_id).values(revoked_at=at))
    s.keys.forget()
    return {"key_id": key_id, "revoked_at": at}


@admin_router.post("/v1/usage", status_code=201, response_model=S.UsageAccepted, summary="Ingest metered usage in batches (admin, operator)")
def ingest(request: Request, body: S.UsageBatch, p: Caller, idem: IdemKey = None):
    import json

    need_staff(p)
    s = svc(request)
    prices = s.host.prices

    def unit_price(o, metric: str) -> float:
        plan = json.loads(o.plan_json)
        d = plan.get("detail", {})
        if metric == "input_tokens":
            return d.get("price_per_m_input", 0.0) / 1e6
        if metric == "output_tokens":
            return d.get("price_per_m_output", 0.0) / 1e6
        if metric == "accelerator_s":
            acc = d.get("accelerator")
            per_h = d.get("price_per_accelerator_hour") or (prices.accelerator_hour(acc) if acc else 0.0)
            if o.product == "training":
                per_h = o.price_micro / 1e6 / max(d.get("accelerator_hours", 0.0), 1e-9)
            return per_h / 3600.0
        if metric == "bytes":
            return d.get("price_per_gb", 0.0) / 1e9
        return d.get("price_per_task", 0.0)

    events = [e.model_dump() for e in body.events]
    st, out, rep = store.idempotent(s.db, p, idem, "POST", request.url.path, body_hash(request),
                                    lambda conn, _: (201, store.ingest_usage(conn, events, unit_price, s.host.t_iso())))
    return JSONResponse(out, status_code=st)
