"""The double-entry ledger: append-only, hash-chained, balances derived from entries.

The invariants (``docs/service.md``) in short: every transaction's entries sum to zero; entries are
only inserted; a balance is the sum of an account's entries; a customer's available balance never goes
below minus its credit limit; each entry carries ``SHA-256(previous hash ‖ canonical fields)``.

Anchors: TigerBeetle's transfer model (debits = credits; immutable transfers; holds as two-phase
pending transfers that resolve once; balance guards that reject an overdraft atomically;
docs.tigerbeetle.com) and the classic double-entry rule (Pacioli, *Summa de arithmetica*, 1494).
Here a hold is an escrow transfer to the ``sys:holds`` account, resolved by captures to
``sys:revenue`` and one release back to the customer.

Every writer first locks the single ``ledger_head`` row (PostgreSQL ``SELECT ... FOR UPDATE``; on
SQLite the ``BEGIN IMMEDIATE`` of :meth:`Database.write` already makes it the only writer), so the
chain has one order and balance checks cannot race.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from orbitcloud.service import db as T

SYS_TOPUPS, SYS_HOLDS, SYS_REVENUE, SYS_CREDIT_NOTES = "sys:topups", "sys:holds", "sys:revenue", "sys:credit_notes"
#: System accounts that may go negative (money enters the ledger through them).
SOURCES = frozenset({SYS_TOPUPS, SYS_CREDIT_NOTES})


class LedgerError(Exception):
    """A transaction the ledger refuses (``code``: ``insufficient_funds``, ``unbalanced``, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


def entry_hash(prev_hash: str, seq: int, txn_id: str, account_id: str, amount_micro: int, balance_after_micro: int,
               created_at: str) -> str:
    """The chain's hash of one entry (canonical text of its fields after the previous hash)."""
    text = f"{prev_hash}|{seq}|{txn_id}|{account_id}|{amount_micro}|{balance_after_micro}|{created_at}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lock_head(conn: Connection) -> tuple[int, str]:
    """Lock the ledger's head row for this transaction; returns (last seq, last hash)."""
    sql = "SELECT last_seq, last_hash FROM ledger_head WHERE id = 1"
    if conn.dialect.name == "postgresql":
        sql += " FOR UPDATE"
    row = T.run(conn, sql).one()
    return int(row[0]), str(row[1])


def balance_micro(conn: Connection, account_id: str) -> int:
    """The sum of the account's entries [micro-credits] (its available balance: holds are already
    out), read as the running balance its latest entry carries (``verify`` recomputes every one)."""
    v = T.run(conn, "SELECT balance_after_micro FROM entries WHERE account_id = :a ORDER BY seq DESC LIMIT 1",
              {"a": account_id}).scalar_one_or_none()
    return 0 if v is None else int(v)


def open_holds_micro(conn: Connection, account_id: str) -> int:
    """What the account's open orders still hold [micro-credits]: hold - charged - released so far."""
    return int(T.run(conn, "SELECT COALESCE(SUM(hold_micro - charged_micro), 0) FROM orders WHERE account_id = :a "
                           "AND status IN ('accepted', 'queued', 'running')", {"a": account_id}).scalar_one())


@dataclass
class Posting:
    """One transaction to post: ``legs`` are (account id, signed amount in micro-credits)."""

    kind: str
    legs: Sequence[tuple[str, int]]
    reason: str
    order_id: str | None = None
    sim_time: str | None = None
    txn_id: str | None = None


def post(conn: Connection, postings: Iterable[Posting], guard: bool = True, limits: dict[str, int] | None = None) -> list[str]:
    """Append transactions (in this database transaction); returns their ids.

    Each must sum to zero. With ``guard`` (the default), a customer account that a posting debits may
    not end below minus its credit limit (read here, or given in ``limits`` by a caller that has just
    read the account): :class:`LedgerError` ``insufficient_funds`` and nothing is written (the
    caller's transaction rolls back).
    """
    postings = list(postings)
    if not postings:
        return []
    seq, prev = lock_head(conn)
    if guard:
        debits: dict[str, int] = {}
        for p in postings:
            for acc, amt in p.legs:
                if amt < 0 and acc not in SOURCES and not acc.startswith("sys:"):
                    debits[acc] = debits.get(acc, 0) + amt
        for acc, amt in debits.items():
            limit = (limits or {}).get(acc)
            if limit is None:
                limit = T.run(conn, "SELECT credit_limit_micro FROM accounts WHERE id = :a", {"a": acc}).scalar_one_or_none()
            if limit is None:
                raise LedgerError("unknown_account", f"account {acc} does not exist")
            have = balance_micro(conn, acc)
            # credits landing in the same batch count too (a transfer in, then a hold)
            incoming = sum(a for p in postings for (x, a) in p.legs if x == acc and a > 0)
            if have + incoming + amt < -int(limit):
                raise LedgerError("insufficient_funds",
                                  f"account {acc}: available {(have + incoming) / T.MICRO:.6f} credits, needs {-amt / T.MICRO:.6f} credits")
    created = now_iso()
    running: dict[str, int] = {}
    for p in postings:
        for acc, _amt in p.legs:
            if acc not in running:
                running[acc] = balance_micro(conn, acc)
    txn_rows, entry_rows, ids = [], [], []
    for p in postings:
        if len(p.legs) < 2:
            raise LedgerError("unbalanced", f"transaction {p.kind}: needs at least two entries")
        if sum(int(a) for _, a in p.legs) != 0:
            raise LedgerError("unbalanced", f"transaction {p.kind}: entries sum to {sum(a for _, a in p.legs)}, not 0")
        tid = p.txn_id or new_id("txn")
        ids.append(tid)
        txn_rows.append({"id": tid, "kind": p.kind, "order_id": p.order_id, "reason": p.reason[:300], "created_at": created,
                         "sim_time": p.sim_time})
        for acc, amt in p.legs:
            seq += 1
            running[acc] += int(amt)
            h = entry_hash(prev, seq, tid, acc, int(amt), running[acc], created)
            entry_rows.append({"seq": seq, "txn_id": tid, "account_id": acc, "amount_micro": int(amt), "balance_after_micro": running[acc],
                               "created_at": created, "prev_hash": prev, "hash": h})
            prev = h
    T.run(conn, "INSERT INTO transactions (id, kind, order_id, reason, created_at, sim_time) "
                "VALUES (:id, :kind, :order_id, :reason, :created_at, :sim_time)", txn_rows)
    T.run(conn, "INSERT INTO entries (seq, txn_id, account_id, amount_micro, balance_after_micro, created_at, prev_hash, hash) "
                "VALUES (:seq, :txn_id, :account_id, :amount_micro, :balance_after_micro, :created_at, :prev_hash, :hash)", entry_rows)
    T.run(conn, "UPDATE ledger_head SET last_seq = :s, last_hash = :h WHERE id = 1", {"s": seq, "h": prev})
    return ids


@dataclass
class VerifyReport:
    ok: bool
    entries: int
    transactions: int
    problem: str | None = None
    bad_seq: int | None = None


def verify(conn: Connection, batch: int = 50_000) -> VerifyReport:
    """Recompute the hash chain and the zero-sum rule over every entry; the first fault found."""
    prev, last_seq, n = T.GENESIS, 0, 0
    sums: dict[str, int] = {}
    bal: dict[str, int] = {}
    first_seq_of: dict[str, int] = {}
    while True:
        rows = conn.execute(select(T.entries).where(T.entries.c.seq > last_seq).order_by(T.entries.c.seq).limit(batch)).all()
        if not rows:
            break
        for r in rows:
            n += 1
            if r.seq != last_seq + 1:
                return VerifyReport(False, n, len(sums), f"entry {last_seq + 1} is missing (next is {r.seq})", last_seq + 1)
            if r.prev_hash != prev:
                return VerifyReport(False, n, len(sums), f"entry {r.seq}: prev_hash does not match entry {r.seq - 1}'s hash", r.seq)
            h = entry_hash(prev, r.seq, r.txn_id, r.account_id, int(r.amount_micro), int(r.balance_after_micro), r.created_at)
            if h != r.hash:
                return VerifyReport(False, n, len(sums), f"entry {r.seq}: hash does not match its fields (altered)", r.seq)
            bal[r.account_id] = bal.get(r.account_id, 0) + int(r.amount_micro)
            if bal[r.account_id] != int(r.balance_after_micro):
                return VerifyReport(False, n, len(sums), f"entry {r.seq}: running balance {int(r.balance_after_micro)} of {r.account_id} "
                                                         f"is not the sum of its entries, {bal[r.account_id]}", r.seq)
            sums[r.txn_id] = sums.get(r.txn_id, 0) + int(r.amount_micro)
            first_seq_of.setdefault(r.txn_id, r.seq)
            prev, last_seq = h, r.seq
    head = conn.execute(select(T.ledger_head.c.last_seq, T.ledger_head.c.last_hash)).one()
    if int(head.last_seq) != last_seq or head.last_hash != prev:
        return VerifyReport(False, n, len(sums), f"the ledger head says entry {head.last_seq}, the chain ends at {last_seq} (entries removed?)",
                            last_seq + 1 if int(head.last_seq) > last_seq else int(head.last_seq))
    for tid, s in sums.items():
        if s != 0:
            return VerifyReport(False, n, len(sums), f"transaction {tid} (from entry {first_seq_of[tid]}): entries sum to {s} micro-credits, not 0",
                                first_seq_of[tid])
    n_txn = conn.execute(select(func.count()).select_from(T.transactions)).scalar_one()
    if n_txn != len(sums):
        return VerifyReport(False, n, len(sums), f"{n_txn} transactions but {len(sums)} with entries (a transaction without entries)", None)
    neg = conn.execute(
        select(T.entries.c.account_id, func.sum(T.entries.c.amount_micro).label("s"), T.accounts.c.credit_limit_micro)
        .join(T.accounts, T.accounts.c.id == T.entries.c.account_id)
        .where(T.accounts.c.kind == "customer")
        .group_by(T.entries.c.account_id, T.accounts.c.credit_limit_micro)
    ).all()
    for r in neg:
        if int(r.s) < -int(r.credit_limit_micro):
            return VerifyReport(False, n, len(sums), f"account {r.account_id}: balance {int(r.s)} micro-credits is below its limit", None)
    holds = balance_micro(conn, SYS_HOLDS)
    open_total = int(conn.execute(select(func.coalesce(func.sum(T.orders.c.hold_micro - T.orders.c.charged_micro), 0)).where(
        T.orders.c.status.in_(("accepted", "queued", "running")))).scalar_one())
    if holds != open_total:
        return VerifyReport(False, n, len(sums), f"sys:holds holds {holds} micro-credits but open orders hold {open_total}", None)
    return VerifyReport(True, n, len(sums))
