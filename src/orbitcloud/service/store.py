"""What the API does to the database: accounts, money movements, quotes, orders, usage, idempotency.

Every function that writes takes a connection of :meth:`Database.write` (one transaction); errors a
client can fix are :class:`~orbitcloud.service.problems.ApiError`, raised before anything is
committed. Tenancy: a customer's calls pass its account id, and a row of another account is answered
exactly as a missing one (:func:`~orbitcloud.service.problems.not_found`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from orbitcloud.service import db as T
from orbitcloud.service.auth import Principal, create_key
from orbitcloud.service.ledger import (
    SYS_HOLDS, SYS_TOPUPS, LedgerError, Posting, balance_micro, lock_head, new_id, now_iso, open_holds_micro, post,
)
from orbitcloud.service.pricing import credits, micro
from orbitcloud.service.problems import ApiError, not_found

#: How long idempotency records are kept [days] (docs/service.md).
IDEMPOTENCY_DAYS = 7
OPEN = ("accepted", "queued", "running")


def body_hash(body: bytes) -> str:
    """Hash of a request body for idempotency: of its canonical JSON when it parses, else its bytes."""
    try:
        canon = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canon = body
    return hashlib.sha256(canon).hexdigest()


def idempotent(db, principal: Principal, idem_key: str | None, method: str, path: str, bhash: str,
               create: Callable[[Any, Any], tuple[int, dict]], prepare: Callable[[], Any] | None = None) -> tuple[int, dict, bool]:
    """Run ``create(conn, prepared)`` once per (API key, Idempotency-Key): (status, body, replayed).

    ``prepare()`` (optional) runs outside the database transaction, only when there is no stored
    response, and its result is passed to ``create`` (the twin's plan of an order, say)."""
    if idem_key is None:
        ctx = prepare() if prepare is not None else None
        status, body = db.grouped(lambda conn: create(conn, ctx))
        return status, body, False
    if not 1 <= len(idem_key) <= 255:
        raise ApiError(400, "Idempotency-Key: 1 to 255 characters", "bad-idempotency-key")

    def stored(conn):
        row = T.run(conn, "SELECT method, path, body_hash, status, response_json FROM idempotency WHERE key_id = :k AND idem_key = :i",
                    {"k": principal.key_id, "i": idem_key}).first()
        if row is None:
            return None
        if row.body_hash != bhash or row.method != method or row.path != path:
            raise ApiError(409, "Idempotency-Key was used with a different request", "idempotency-conflict")
        return int(row.status), json.loads(row.response_json), True

    if prepare is not None:  # a retry should not pay for the plan again: look first
        with db.read() as conn:
            hit = stored(conn)
        if hit is not None:
            return hit
    ctx = prepare() if prepare is not None else None

    def once(conn):
        hit = stored(conn)
        if hit is not None:
            return hit
        status, body = create(conn, ctx)
        T.run(conn, "INSERT INTO idempotency (key_id, idem_key, method, path, body_hash, status, response_json, created_at) "
                    "VALUES (:k, :i, :m, :p, :b, :s, :r, :c)",
              {"k": principal.key_id, "i": idem_key, "m": method, "p": path, "b": bhash, "s": status, "r": json.dumps(body),
               "c": now_iso()})
        return status, body, False

    try:
        return db.grouped(once)
    except IntegrityError:  # the same key raced in another request and committed first
        with db.read() as conn:
            hit = stored(conn)
        if hit is None:
            raise
        return hit


# ---------------------------------------------------------------------------------------------- accounts

#: An account with its balance and open holds, in one round trip (``account_with_balance``).
_ACCOUNT_SQL = ("SELECT a.*, (SELECT COALESCE(SUM(e.amount_micro), 0) FROM entries e WHERE e.account_id = a.id) AS bal_micro, "
                "(SELECT COALESCE(SUM(o.hold_micro - o.charged_micro), 0) FROM orders o WHERE o.account_id = a.id "
                "AND o.status IN ('accepted', 'queued', 'running')) AS held_micro FROM accounts a WHERE a.id = :a")


def account_with_balance(conn, principal: Principal, account_id: str) -> dict:
    """The account view of ``GET /v1/accounts/{id}`` (404 as :func:`visible_account`), read at once."""
    row = T.run(conn, _ACCOUNT_SQL, {"a": account_id}).first()
    if row is None or (not principal.staff and principal.account_id != account_id) or (row.kind != "customer" and not principal.staff):
        raise not_found("account", account_id)
    return account_view(conn, row)


def account_view(conn, row) -> dict:
    if hasattr(row, "bal_micro"):
        bal, held = int(row.bal_micro), (int(row.held_micro) if row.kind == "customer" else 0)
    else:
        bal = balance_micro(conn, row.id)
        held = open_holds_micro(conn, row.id) if row.kind == "customer" else 0
    return {"id": row.id, "name": row.name, "kind": row.kind, "balance": credits(bal), "held": credits(held),
            "posted": credits(bal + held), "credit_limit": credits(int(row.credit_limit_micro)),
            "spend_limit": None if row.spend_limit_micro is None else credits(int(row.spend_limit_micro)), "created_at": row.created_at}


def visible_account(conn, principal: Principal, account_id: str):
    row = T.run(conn, "SELECT * FROM accounts WHERE id = :a", {"a": account_id}).first()
    if row is None or (not principal.staff and principal.account_id != account_id) or (row.kind != "customer" and not principal.staff):
        raise not_found("account", account_id)
    return row


def create_account(conn, name: str, credit_limit: float, spend_limit: float | None) -> dict:
    aid = new_id("acc")
    conn.execute(insert(T.accounts).values(id=aid, name=name, kind="customer", credit_limit_micro=micro(credit_limit),
                                           spend_limit_micro=None if spend_limit is None else micro(spend_limit), created_at=now_iso()))
    kid, key = create_key(conn, "customer", aid)
    return {"id": aid, "name": name, "api_key": key, "key_id": kid}


def topup(conn, account_id: str, amount: float, reason: str, sim_time: str | None) -> dict:
    row = conn.execute(select(T.accounts).where(T.accounts.c.id == account_id, T.accounts.c.kind == "customer")).first()
    if row is None:
        raise not_found("account", account_id)
    m = micro(amount)
    (tid,) = post(conn, [Posting("topup", [(SYS_TOPUPS, -m), (account_id, m)], reason, None, sim_time)])
    return {"id": tid, "kind": "topup", "credits": credits(m), "reason": reason, "created_at": now_iso(), "order_id": None}


def transfer(conn, principal: Principal, src: str, dst: str, amount: float, reason: str, sim_time: str | None) -> dict:
    if src == dst:
        raise ApiError(422, "from_account and to_account are the same account", "same-account")
    visible_account(conn, principal, src)
    if conn.execute(select(T.accounts.c.id).where(T.accounts.c.id == dst, T.accounts.c.kind == "customer")).first() is None:
        raise not_found("account", dst)
    m = micro(amount)
    try:
        (tid,) = post(conn, [Posting("transfer", [(src, -m), (dst, m)], reason, None, sim_time)])
    except LedgerError as exc:
        raise ApiError(402, str(exc), exc.code) from None
    return {"id": tid, "kind": "transfer", "credits": credits(m), "reason": reason, "created_at": now_iso(), "order_id": None}


def statement(conn, account_id: str, after: int, limit: int) -> dict:
    q = (select(T.entries.c.seq, T.entries.c.txn_id, T.entries.c.amount_micro, T.entries.c.created_at, T.transactions.c.kind,
                T.transactions.c.reason, T.transactions.c.order_id, T.transactions.c.sim_time)
         .join(T.transactions, T.transactions.c.id == T.entries.c.txn_id)
         .where(T.entries.c.account_id == account_id, T.entries.c.seq > after).order_by(T.entries.c.seq).limit(limit))
    items = [{"seq": int(r.seq), "txn_id": r.txn_id, "kind": r.kind, "credits": credits(int(r.amount_micro)), "reason": r.reason,
              "order_id": r.order_id, "created_at": r.created_at, "sim_time": r.sim_time} for r in conn.execute(q)]
    return {"account_id": account_id, "balance": credits(balance_micro(conn, account_id)), "items": items}


# ---------------------------------------------------------------------------------------------- quotes and orders

def order_view(row, events: list | None = None) -> dict:
    return {"id": row.id, "account_id": row.account_id, "product": row.product, "status": row.status,
            "price_credits": credits(int(row.price_micro)), "hold_credits": credits(int(row.hold_micro)),
            "charged_credits": credits(int(row.charged_micro)), "credited_credits": credits(int(row.credited_micro)),
            "quote_id": row.quote_id, "plan": json.loads(row.plan_json), "request": json.loads(row.request_json),
            "metered": json.loads(row.metered_json), "work_id": row.work_id, "reason": row.reason, "created_at": row.created_at,
            "updated_at": row.updated_at, "sim_started": row.sim_started, "sim_ended": row.sim_ended, "events": events or []}


def quote_view(row) -> dict:
    return {"id": row.id, "product": row.product, "price_credits": credits(int(row.price_micro)), "hold_credits": credits(int(row.hold_micro)),
            "plan": json.loads(row.plan_json), "created_at": row.created_at, "valid_until": row.expires_at}


def save_quote(conn, account_id: str, work: dict, plan: dict, price_m: int, hold_m: int, valid_s: float) -> dict:
    import datetime as dt

    qid = new_id("quo")
    now = dt.datetime.now(dt.UTC)
    exp = (now + dt.timedelta(seconds=valid_s)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    conn.execute(insert(T.quotes).values(id=qid, account_id=account_id, product=work["product"], request_json=json.dumps(work),
                                         plan_json=json.dumps(plan), price_micro=price_m, hold_micro=hold_m,
                                         created_at=now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), expires_at=exp))
    return {"id": qid, "product": work["product"], "price_credits": credits(price_m), "hold_credits": credits(hold_m), "plan": plan,
            "created_at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "valid_until": exp}


def locked_quote(conn, principal: Principal, quote_id: str, work: dict, explicit: set[str]):
    """The quote an order references, checked: the caller's, valid now, for the same work."""
    row = conn.execute(select(T.quotes).where(T.quotes.c.id == quote_id)).first()
    if row is None or row.account_id != principal.account_id:
        raise not_found("quote", quote_id)
    if row.expires_at < now_iso():
        raise ApiError(409, f"quote {quote_id} expired at {row.expires_at}", "quote-expired")
    q = json.loads(row.request_json)
    if q["product"] != work["product"]:
        raise ApiError(422, f"quote {quote_id} is for {q['product']}, not {work['product']}", "quote-mismatch")
    for k in explicit - {"product", "quote_id"}:
        if q.get(k) != work.get(k):
            raise ApiError(422, f"quote {quote_id}: {k} is {q.get(k)!r} in the quote, {work.get(k)!r} here", "quote-mismatch")
    return row, q


def create_order(conn, principal: Principal, work: dict, plan: dict, price_m: int, hold_m: int, quote_id: str | None,
                 sim_time: str) -> dict:
    spend, credit_limit = T.run(conn, "SELECT spend_limit_micro, credit_limit_micro FROM accounts WHERE id = :a",
                                {"a": principal.account_id}).one()
    if spend is not None and hold_m > int(spend):
        raise ApiError(402, f"the order holds {credits(hold_m):.6f} credits, more than the account's spend limit of "
                            f"{credits(int(spend)):.6f}", "spend-limit")
    oid = new_id("ord")
    now = now_iso()
    try:  # post() locks the ledger head first: the order sequence below is taken under that lock
        post(conn, [Posting("hold", [(principal.account_id, -hold_m), (SYS_HOLDS, hold_m)], f"hold for order {oid}", oid, sim_time)],
             limits={principal.account_id: int(credit_limit)})
    except LedgerError as exc:
        raise ApiError(402, str(exc), exc.code) from None
    seq = int(T.run(conn, "SELECT COALESCE(MAX(seq), 0) FROM orders").scalar_one()) + 1
    vals = {"id": oid, "seq": seq, "account_id": principal.account_id, "product": work["product"], "request_json": json.dumps(work),
            "plan_json": json.dumps(plan), "quote_id": quote_id, "price_micro": price_m, "hold_micro": hold_m, "charged_micro": 0,
            "credited_micro": 0, "status": "queued", "work_id": None, "metered_json": "{}", "reason": None, "created_at": now,
            "updated_at": now, "sim_started": None, "sim_ended": None}
    T.run(conn, f"INSERT INTO orders ({', '.join(vals)}) VALUES ({', '.join(':' + k for k in vals)})", vals)
    evs = ([{"order_id": oid, "status": "quoted", "at": now, "sim_time": sim_time, "note": quote_id}] if quote_id else []) + [
        {"order_id": oid, "status": "accepted", "at": now, "sim_time": sim_time, "note": None},
        {"order_id": oid, "status": "queued", "at": now, "sim_time": sim_time, "note": None}]
    T.run(conn, "INSERT INTO order_events (order_id, status, at, sim_time, note) VALUES (:order_id, :status, :at, :sim_time, :note)", evs)

    class _R:
        pass

    r = _R()
    r.__dict__.update(vals)
    return order_view(r, [{k: e[k] for k in ("status", "at", "sim_time", "note")} for e in evs])


def get_order(conn, principal: Principal, order_id: str) -> dict:
    row = T.run(conn, "SELECT * FROM orders WHERE id = :o", {"o": order_id}).first()
    if row is None or (not principal.staff and row.account_id != principal.account_id):
        raise not_found("order", order_id)
    evs = T.run(conn, "SELECT status, at, sim_time, note FROM order_events WHERE order_id = :o ORDER BY id", {"o": order_id}).all()
    return order_view(row, [dict(e._mapping) for e in evs])


def list_orders(conn, principal: Principal, status: str | None, after: str | None, limit: int) -> dict:
    where, params = [], {"lim": int(limit)}
    if not principal.staff:
        where.append("account_id = :a")
        params["a"] = principal.account_id
    if status is not None:
        where.append("status = :s")
        params["s"] = status
    if after is not None:
        seq = T.run(conn, "SELECT seq FROM orders WHERE id = :o", {"o": after}).scalar_one_or_none()
        where.append("seq < :seq")
        params["seq"] = seq if seq is not None else 0
    sql = "SELECT * FROM orders" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq DESC LIMIT :lim"
    rows = T.run(conn, sql, params).all()
    return {"items": [order_view(r) for r in rows], "next_after": rows[-1].id if len(rows) == limit else None}


# ---------------------------------------------------------------------------------------------- usage

def list_usage(conn, principal: Principal, order_id: str | None, after: int, limit: int) -> dict:
    q = select(T.usage_events).where(T.usage_events.c.id > after)
    if not principal.staff:
        q = q.where(T.usage_events.c.account_id == principal.account_id)
    if order_id is not None:
        q = q.where(T.usage_events.c.order_id == order_id)
    rows = conn.execute(q.order_by(T.usage_events.c.id).limit(limit)).all()
    items = [{"id": int(r.id), "order_id": r.order_id, "account_id": r.account_id, "metric": r.metric, "quantity": float(r.quantity),
              "credits": credits(int(r.credits_micro)), "sim_time": r.sim_time, "source": r.source, "created_at": r.created_at} for r in rows]
    return {"items": items, "next_after": items[-1]["id"] if len(items) == limit else None}


#: Which metrics an order of each product can be charged for by ingestion, and at which price.
INGEST_METRICS = {"inference": ("input_tokens", "output_tokens"), "accelerator_hours": ("accelerator_s",),
                  "training": ("accelerator_s",), "eo_task": ("tasks", "bytes")}


def ingest_usage(conn, events: list[dict], unit_price: Callable[[Any, str], float], sim_time: str) -> dict:
    """Record a batch of metered events (operator ingestion) and capture their price from the orders'
    holds: one capture per order per batch, never past the hold (the excess is recorded, unbilled)."""
    lock_head(conn)
    ids = sorted({e["order_id"] for e in events})
    rows = {r.id: r for r in conn.execute(select(T.orders).where(T.orders.c.id.in_(ids)))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise ApiError(404, f"no order {missing[0]}", "not-found")
    for e in events:
        o = rows[e["order_id"]]
        if e["metric"] not in INGEST_METRICS[o.product]:
            raise ApiError(422, f"order {o.id} ({o.product}) is not metered in {e['metric']}; metrics: {', '.join(INGEST_METRICS[o.product])}",
                           "bad-metric")
    room = {i: (int(r.hold_micro) - int(r.charged_micro)) if r.status in OPEN else 0 for i, r in rows.items()}
    per_order: dict[str, int] = {}
    out_rows, unbilled, now = [], 0, now_iso()
    for e in events:
        o = rows[e["order_id"]]
        want = micro(e["quantity"] * unit_price(o, e["metric"]))
        c = min(want, room[o.id])
        room[o.id] -= c
        if c < want:
            unbilled += 1
        per_order[o.id] = per_order.get(o.id, 0) + c
        out_rows.append({"order_id": o.id, "account_id": o.account_id, "metric": e["metric"], "quantity": float(e["quantity"]),
                         "credits_micro": int(c), "sim_time": sim_time, "source": "ingest", "created_at": now})
    conn.execute(insert(T.usage_events), out_rows)
    postings = [Posting("capture", [(SYS_HOLDS, -c), ("sys:revenue", c)], f"ingested usage of order {oid}", oid, sim_time)
                for oid, c in per_order.items() if c > 0]
    post(conn, postings, guard=False)
    for oid, c in per_order.items():
        if c > 0:
            conn.execute(update(T.orders).where(T.orders.c.id == oid).values(charged_micro=T.orders.c.charged_micro + c, updated_at=now))
    total = sum(per_order.values())
    return {"accepted": len(events), "charged_credits": credits(total), "unbilled": unbilled}
