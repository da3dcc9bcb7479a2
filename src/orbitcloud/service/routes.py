"""Routes of accounts, money, quotes, orders, usage and the fleet (``docs/service.md``, the API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import JSONResponse

from orbitcloud.errors import OrbitcloudError
from orbitcloud.service import schemas as S
from orbitcloud.service import store
from orbitcloud.service.deps import Caller, IdemKey, body_hash, need_admin, need_customer, read, svc
from orbitcloud.service.problems import ApiError

router = APIRouter(prefix="/v1")
Id = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_:\-]+$")]
Limit = Annotated[int, Query(ge=1, le=1000)]


def _reply(status: int, body: dict, replayed: bool) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Idempotent-Replayed": "true"} if replayed else None)


# ---------------------------------------------------------------------------------------------- accounts

@router.post("/accounts", status_code=201, response_model=S.AccountCreated, summary="Create a customer account (admin)")
def create_account(request: Request, body: S.AccountCreate, p: Caller, idem: IdemKey = None):
    need_admin(p)
    s = svc(request)
    st, out, rep = store.idempotent(s.db, p, idem, "POST", request.url.path, body_hash(request),
                                    lambda conn, _: (201, store.create_account(conn, body.name, body.credit_limit, body.spend_limit)))
    return _reply(st, out, rep)


@router.get("/accounts", response_model=S.AccountList, summary="Accounts the key may see")
async def list_accounts(request: Request, p: Caller, limit: Limit = 100):
    from sqlalchemy import select

    from orbitcloud.service import db as T

    s = svc(request)
    with s.db.read() as conn:
        q = select(T.accounts).where(T.accounts.c.kind == "customer")
        if not p.staff:
            q = q.where(T.accounts.c.id == p.account_id)
        rows = conn.execute(q.order_by(T.accounts.c.created_at).limit(limit)).all()
        return {"items": [store.account_view(conn, r) for r in rows]}


@router.get("/accounts/{account_id}", response_model=S.Account, summary="An account with its balance")
async def get_account(request: Request, account_id: Id, p: Caller):
    return JSONResponse(await read(request, lambda conn: store.account_with_balance(conn, p, account_id)))


@router.post("/accounts/{account_id}/topups", status_code=201, response_model=S.Transaction, summary="Add credits (admin)")
def topup(request: Request, account_id: Id, body: S.TopUp, p: Caller, idem: IdemKey = None):
    need_admin(p)
    s = svc(request)
    st, out, rep = store.idempotent(s.db, p, idem, "POST", request.url.path, body_hash(request),
                                    lambda conn, _: (201, store.topup(conn, account_id, body.credits, body.reason, s.host.t_iso())))
    return _reply(st, out, rep)


@router.post("/accounts/{account_id}/limits", response_model=S.Account, summary="Set credit and spend limits (admin)")
def set_limits(request: Request, account_id: Id, body: S.Limits, p: Caller):
    from sqlalchemy import update

    from orbitcloud.service import db as T
    from orbitcloud.service.pricing import micro

    need_admin(p)
    s = svc(request)
    with s.db.write() as conn:
        row = store.visible_account(conn, p, account_id)
        vals = {}
        if body.credit_limit is not None:
            vals["credit_limit_micro"] = micro(body.credit_limit)
        if "spend_limit" in body.model_fields_set:
            vals["spend_limit_micro"] = None if body.spend_limit is None else micro(body.spend_limit)
        if vals:
            conn.execute(update(T.accounts).where(T.accounts.c.id == account_id).values(**vals))
        row = store.visible_account(conn, p, account_id)
        return store.account_view(conn, row)


@router.get("/accounts/{account_id}/ledger", response_model=S.Statement, summary="Statement: every movement with its reason")
async def ledger(request: Request, account_id: Id, p: Caller, after: Annotated[int, Query(ge=0)] = 0, limit: Limit = 500):
    def q(conn):
        store.visible_account(conn, p, account_id)
        return store.statement(conn, account_id, after, limit)

    return await read(request, q)


@router.post("/accounts/{account_id}/keys", status_code=201, response_model=S.KeyCreated, summary="A new key for the account")
def account_key(request: Request, account_id: Id, p: Caller, idem: IdemKey = None):
    from orbitcloud.service.auth import create_key

    s = svc(request)

    def create(conn, _):
        store.visible_account(conn, p, account_id)
        kid, key = create_key(conn, "customer", account_id)
        return 201, {"key_id": kid, "role": "customer", "account_id": account_id, "api_key": key}

    st, out, rep = store.idempotent(s.db, p, idem, "POST", request.url.path, body_hash(request), create)
    return _reply(st, out, rep)


@router.post("/transfers", status_code=201, response_model=S.Transaction, summary="Move credits between accounts")
def transfer(request: Request, body: S.Transfer, p: Caller, idem: IdemKey = None):
    s = svc(request)
    st, out, rep = store.idempotent(
        s.db, p, idem, "POST", request.url.path, body_hash(request),
        lambda conn, _: (201, store.transfer(conn, p, body.from_account, body.to_account, body.credits, body.reason, s.host.t_iso())))
    return _reply(st, out, rep)


# ---------------------------------------------------------------------------------------------- products, quotes, orders

@router.get("/products", summary="Products and their prices (credits)")
async def products(request: Request, p: Caller) -> dict:
    from orbitcloud.service.pricing import sources

    h = svc(request).host
    ctl = h.sim._ctl
    out = {"unit": "credit (set to one US dollar at ground-cloud list prices)", "sources": sources(), "products": []}
    if ctl is not None and ctl.inf is not None:
        pi, po = h.prices.token_prices(ctl.model.name)
        out["products"].append({"product": "inference", "model": ctl.model.name, "per_million_input": pi, "per_million_output": po})
    for d in {d.accelerator for d in h.sim.designs if d is not None and d.n_acc > 0 and d.accelerator is not None}:
        out["products"].append({"product": "accelerator_hours", "accelerator": d, "per_accelerator_hour": h.prices.accelerator_hour(d)})
    if ctl is not None and ctl.eo is not None:
        out["products"].append({"product": "eo_task", "per_task": h.prices.eo_task(), "per_gb_downlink": h.prices.downlink_per_gb()})
    return out


def _open_for_work(s) -> None:
    h = s.host
    if h.sim.k >= h.sim.steps:
        raise ApiError(409, f"the twin has reached the end of its horizon ({h.t_iso()}); no new work can run "
                            "(restart the service with a longer --horizon)", "end-of-horizon")


def _plan(s, work):
    try:
        return s.host.plan(work)
    except OrbitcloudError as exc:
        raise ApiError(422, str(exc), "unprocessable") from None


@router.post("/quotes", status_code=200, response_model=S.Quote, summary="Price and plan of work, from the twin")
def create_quote(request: Request, body: Annotated[S.Work, Body()], p: Caller, idem: IdemKey = None):
    need_customer(p)
    s = svc(request)
    _open_for_work(s)
    if body.quote_id is not None:
        raise ApiError(422, "quote_id: not allowed in a quote request", "validation")
    work = body.model_dump(mode="json", exclude={"quote_id"})

    def create(conn, planned):
        plan, price_m, hold_m = planned
        return 200, store.save_quote(conn, p.account_id, work, plan, price_m, hold_m, s.spec.quote_valid_s)

    st, out, rep = store.idempotent(s.db, p, idem, "POST", request.url.path, body_hash(request), create, lambda: _plan(s, body))
    return _reply(st, out, rep)


@router.get("/quotes/{quote_id}", response_model=S.Quote, summary="A quote")
async def get_quote(request: Request, quote_id: Id, p: Caller):
    from sqlalchemy import select

    from orbitcloud.service import db as T
    from orbitcloud.service.problems import not_found

    s = svc(request)
    with s.db.read() as conn:
        row = conn.execute(select(T.quotes).where(T.quotes.c.id == quote_id)).first()
    if row is None or (not p.staff and row.account_id != p.account_id):
        raise not_found("quote", quote_id)
    return store.quote_view(row)


@router.post("/orders", status_code=201, response_model=S.Order, summary="Order work (held now, charged as the twin delivers)")
def create_order(request: Request, body: Annotated[S.Work, Body()], p: Caller, idem: IdemKey = None):
    need_customer(p)
    s = svc(request)
    _open_for_work(s)
    work = body.model_dump(mode="json", exclude={"quote_id"})
    quote_id = body.quote_id

    def prepare():
        if quote_id is None:
            return _plan(s, body)
        return None

    def create(conn, planned):
        if quote_id is not None:
            import json

            row, q = store.locked_quote(conn, p, quote_id, work, set(body.model_fields_set))
            plan, price_m, hold_m = json.loads(row.plan_json), int(row.price_micro), int(row.hold_micro)
            w = q
        else:
            plan, price_m, hold_m = planned
            w = work
        return 201, store.create_order(conn, p, w, plan, price_m, hold_m, quote_id, s.host.t_iso())

    st, out, rep = store.idempotent(s.db, p, idem, "POST", request.url.path, body_hash(request), create, prepare)
    return _reply(st, out, rep)


@router.get("/orders", response_model=S.OrderList, summary="Orders, newest first")
async def list_orders(request: Request, p: Caller,
                status: Annotated[str | None, Query(pattern=r"^(accepted|queued|running|completed|failed|cancelled)$")] = None,
                after: Annotated[str | None, Query(max_length=40)] = None, limit: Limit = 100):
    return JSONResponse(await read(request, lambda conn: store.list_orders(conn, p, status, after, limit)))


@router.get("/orders/{order_id}", response_model=S.Order, summary="An order with its life cycle")
async def get_order(request: Request, order_id: Id, p: Caller):
    return JSONResponse(await read(request, lambda conn: store.get_order(conn, p, order_id)))


@router.post("/orders/{order_id}/cancel", response_model=S.Order, summary="Cancel an open order")
def cancel_order(request: Request, order_id: Id, p: Caller):
    s = svc(request)
    with s.db.read() as conn:
        store.get_order(conn, p, order_id)  # 404 for another account's order
    try:
        s.host.cancel(order_id)
    except OrbitcloudError as exc:
        raise ApiError(409, str(exc), "not-open") from None
    with s.db.read() as conn:
        return store.get_order(conn, p, order_id)


@router.get("/usage", response_model=S.UsageList, summary="Metered usage events")
async def usage(request: Request, p: Caller, order_id: Annotated[str | None, Query(max_length=40)] = None,
          after: Annotated[int, Query(ge=0)] = 0, limit: Limit = 500):
    def q(conn):
        if order_id is not None:
            store.get_order(conn, p, order_id)
        return store.list_usage(conn, p, order_id, after, limit)

    return await read(request, q)


@router.get("/fleet", summary="The fleet now: per satellite position, sunlight, battery, compute, work")
def fleet(request: Request, p: Caller) -> dict:
    return svc(request).host.fleet()  # a sync route: it may wait for the twin's lock
