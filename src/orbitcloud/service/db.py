"""The service's database: tables (SQLAlchemy 2 Core), engines, and the transaction discipline.

One SQL database holds everything the service must not lose (``docs/service.md``, invariants):
accounts and API keys, the double-entry ledger (``transactions``, ``entries``, its ``ledger_head``),
quotes, orders and their life-cycle events, usage events, the twin's actions and clock, the operator's
TT&C commands and the ground's telemetry archive (``docs/service.md``, operator TT&C endpoints), and
the idempotency records. The schema is created and upgraded only by Alembic migrations
(:mod:`orbitcloud.service.migrate`); this module declares the same tables for queries.

Databases: SQLite (a file, WAL journal, ``synchronous=FULL``; writers take ``BEGIN IMMEDIATE`` so
balance checks and ledger writes are serialised) or PostgreSQL through psycopg 3
(``postgresql+psycopg://user:pass@host/db``; writers lock the ``ledger_head`` row). Amounts are
integers of micro-credits (:data:`MICRO` per credit).
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from pathlib import Path
from typing import Iterator

from sqlalchemy import (
    BigInteger, Column, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text, create_engine, event,
)
from sqlalchemy.engine import Connection, Engine

from orbitcloud.errors import OrbitcloudError

#: Micro-credits per credit: every amount in the database is an integer of these.
MICRO = 1_000_000

#: The chain's genesis hash (64 hex zeros): the ``prev_hash`` of the first entry.
GENESIS = "0" * 64

#: Default database of ``orbitcloud serve`` (in the working directory).
DEFAULT_URL = "sqlite:///orbitcloud-service.db"

metadata = MetaData()

ledger_head = Table(
    "ledger_head", metadata,
    Column("id", Integer, primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

accounts = Table(
    "accounts", metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # customer | system
    Column("credit_limit_micro", BigInteger, nullable=False, default=0),
    Column("spend_limit_micro", BigInteger, nullable=True),  # most one order may hold
    Column("created_at", String(40), nullable=False),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=True),
    Column("role", String(16), nullable=False),  # admin | operator | customer
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40), nullable=True),
)

transactions = Table(
    "transactions", metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(24), nullable=False),  # topup | transfer | hold | capture | release | credit_note
    Column("order_id", String(40), nullable=True),
    Column("reason", String(300), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("sim_time", String(40), nullable=True),
)

entries = Table(
    "entries", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("txn_id", String(40), ForeignKey("transactions.id"), nullable=False),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("amount_micro", BigInteger, nullable=False),
    Column("balance_after_micro", BigInteger, nullable=False),  # the account's balance with this entry
    Column("created_at", String(40), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_entries_account", "account_id", "seq"),
    Index("ix_entries_txn", "txn_id"),
)

quotes = Table(
    "quotes", metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("product", String(24), nullable=False),
    Column("request_json", Text, nullable=False),
    Column("plan_json", Text, nullable=False),
    Column("price_micro", BigInteger, nullable=False),
    Column("hold_micro", BigInteger, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Index("ix_quotes_account", "account_id"),
)

orders = Table(
    "orders", metadata,
    Column("id", String(40), primary_key=True),
    Column("seq", BigInteger, nullable=False),  # creation order (queue order on the twin)
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("product", String(24), nullable=False),
    Column("request_json", Text, nullable=False),
    Column("plan_json", Text, nullable=False),
    Column("quote_id", String(40), nullable=True),
    Column("price_micro", BigInteger, nullable=False),
    Column("hold_micro", BigInteger, nullable=False),
    Column("charged_micro", BigInteger, nullable=False, default=0),
    Column("credited_micro", BigInteger, nullable=False, default=0),
    Column("status", String(16), nullable=False),
    Column("work_id", String(40), nullable=True),
    Column("metered_json", Text, nullable=False, default="{}"),
    Column("reason", String(300), nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("sim_started", String(40), nullable=True),
    Column("sim_ended", String(40), nullable=True),
    Index("ix_orders_seq", "seq", unique=True),
    Index("ix_orders_account", "account_id", "seq"),
    Index("ix_orders_account_status", "account_id", "status"),
    Index("ix_orders_status", "status", "seq"),
)

order_events = Table(
    "order_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("at", String(40), nullable=False),
    Column("sim_time", String(40), nullable=True),
    Column("note", String(300), nullable=True),
    Index("ix_order_events_order", "order_id"),
)

usage_events = Table(
    "usage_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=False),
    Column("account_id", String(40), nullable=False),
    Column("metric", String(24), nullable=False),  # input_tokens | output_tokens | accelerator_s | bytes | tasks
    Column("quantity", Float, nullable=False),
    Column("credits_micro", BigInteger, nullable=False),
    Column("sim_time", String(40), nullable=True),
    Column("source", String(16), nullable=False),  # twin | ingest
    Column("created_at", String(40), nullable=False),
    Index("ix_usage_account", "account_id", "id"),
    Index("ix_usage_order", "order_id"),
)

twin_actions = Table(
    "twin_actions", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("step", BigInteger, nullable=False),
    Column("order_id", String(40), nullable=True),
    Column("action_json", Text, nullable=False),
)

twin_clock = Table(
    "twin_clock", metadata,
    Column("id", Integer, primary_key=True),
    Column("scenario", String(200), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("updated_at", String(40), nullable=False),
)

idempotency = Table(
    "idempotency", metadata,
    Column("key_id", String(40), primary_key=True),
    Column("idem_key", String(255), primary_key=True),
    Column("method", String(8), nullable=False),
    Column("path", String(300), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response_json", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)

#: The housekeeping parameters of the TT&C telemetry archive (``orbitcloud.ops.ttc.packets.HK_PARAMETERS``).
TTC_PARAMETERS = ("soc", "temperature_c", "compute_load", "devices_up", "fault_count", "dose_rad", "safe_mode")

ttc_commands = Table(  # operator TT&C commands, replayed at their steps when the twin is rebuilt
    "ttc_commands", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),  # the TT&C layer's command id (cmd-000001)
    Column("step", BigInteger, nullable=False),  # the twin's step when it was issued
    Column("satellite", Integer, nullable=False),  # index in the fleet
    Column("command", String(40), nullable=False),
    Column("params_json", Text, nullable=False),
    Column("time_tag_s", Float, nullable=True),  # release time [s from the run start]; null: at arrival
    Column("source", String(16), nullable=False),
    Column("key_id", String(40), nullable=False),
    Column("created_at", String(40), nullable=False),
)

ttc_telemetry = Table(  # the ground archive of housekeeping telemetry (one row per delivered sample)
    "ttc_telemetry", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("satellite", Integer, nullable=False),
    Column("sample_s", Float, nullable=False),  # sample time [s from the run start]
    Column("sample_time", String(40), nullable=False),
    Column("ground_time", String(40), nullable=False),
    *(Column(p, Float, nullable=True) for p in TTC_PARAMETERS),
    Index("ix_ttc_telemetry_sample", "satellite", "sample_s", unique=True),
)

#: Tables whose rows are never updated or deleted (triggers refuse it; see the migrations).
APPEND_ONLY = ("transactions", "entries", "usage_events", "order_events", "twin_actions", "ttc_commands", "ttc_telemetry")


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@functools.lru_cache(maxsize=512)
def _pyformat(sql: str) -> str:
    return _NAMED.sub(r"%(\1)s", sql)


def run(conn: Connection, sql: str, params=None):
    """Execute plain SQL with ``:name`` parameters (a dict, or a list of dicts for many rows) on
    either database, bypassing SQLAlchemy's statement compilation: the hot paths of the ledger and
    of order creation (a few statements each, thousands a second)."""
    if conn.dialect.name != "sqlite":
        sql = _pyformat(sql)
    return conn.exec_driver_sql(sql, params if params is not None else {})


class _Item:
    __slots__ = ("fn", "result", "exc", "done")

    def __init__(self, fn) -> None:
        self.fn, self.result, self.exc, self.done = fn, None, None, False


class _GroupCommit:
    """Leader/follower group commit (see :meth:`Database.grouped`): the first waiter commits the
    queue; those who arrive meanwhile wait for the next group."""

    def __init__(self, db: "Database") -> None:
        self.db = db
        self.queue: list[_Item] = []
        self.cv = threading.Condition()
        self.busy = False

    def run(self, fn):
        item = _Item(fn)
        with self.cv:
            self.queue.append(item)
            while not item.done:
                if self.busy:
                    self.cv.wait()
                    continue
                self.busy = True
                batch, self.queue = self.queue, []
                self.cv.release()
                try:
                    self._commit(batch)
                finally:
                    self.cv.acquire()
                    self.busy = False
                    self.cv.notify_all()
        if item.exc is not None:
            raise item.exc
        return item.result

    def _commit(self, batch: list[_Item]) -> None:
        try:
            with self.db.write() as conn:
                for it in batch:
                    sp = conn.begin_nested()
                    try:
                        it.result = it.fn(conn)
                        sp.commit()
                    except BaseException as exc:  # noqa: BLE001 - handed to its caller
                        sp.rollback()
                        it.exc = exc
        except BaseException as exc:  # noqa: BLE001 - the commit failed: nothing of the group is kept
            for it in batch:
                if it.exc is None:
                    it.exc, it.result = exc, None
        finally:
            for it in batch:
                it.done = True


def normalise_url(url: str) -> str:
    """A database URL as SQLAlchemy takes it: ``postgresql://`` means psycopg 3; a path means SQLite."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(url: str) -> bool:
    return normalise_url(url).startswith("sqlite")


class Database:
    """Engines for one database URL, and the two kinds of transaction (see the module docstring).

    ``write()`` is a transaction that may change money: on SQLite it begins ``IMMEDIATE`` (one writer
    at a time), after taking a lock of this process so that writers queue in order instead of
    polling SQLite's busy handler (one process owns the file); on PostgreSQL it runs at READ
    COMMITTED and the ledger locks its head row.
    ``read()`` is a connection that only reads, in autocommit: each statement sees the data committed
    when it starts (SQLite WAL readers never wait for the writer).
    """

    def __init__(self, url: str = DEFAULT_URL) -> None:
        self.url = normalise_url(url)
        self.sqlite = self.url.startswith("sqlite")
        self._writer = threading.Lock() if self.sqlite else None
        self._group = _GroupCommit(self)
        try:
            if self.sqlite:
                path = self.url.split("///", 1)[1] if "///" in self.url else ""
                if path in ("", ":memory:"):
                    raise OrbitcloudError(f"--db {url}: the service needs a database file (an in-memory SQLite database would lose everything)")
                parent = Path(path).parent
                if not parent.exists():
                    raise OrbitcloudError(f"--db {url}: folder {parent} does not exist")
                self.engine = self._sqlite_engine(immediate=True)
                self.read_engine = self._sqlite_engine(immediate=False)
            else:
                self.engine = create_engine(self.url, pool_size=20, max_overflow=20, pool_recycle=1800)
                # reads: autocommit, no BEGIN/COMMIT round trips (each statement sees committed data)
                self.read_engine = create_engine(self.url, pool_size=20, max_overflow=20, pool_recycle=1800,
                                                 isolation_level="AUTOCOMMIT")
        except OrbitcloudError:
            raise
        except Exception as exc:  # a bad URL, a missing driver
            raise OrbitcloudError(f"--db {url}: {type(exc).__name__}: {exc}") from None

    def _sqlite_engine(self, immediate: bool) -> Engine:
        engine = create_engine(self.url, connect_args={"check_same_thread": False, "timeout": 60.0},
                               pool_size=16, max_overflow=16)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):  # noqa: ANN001
            dbapi_conn.isolation_level = None  # the driver issues no BEGIN of its own; "begin" below does
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        if immediate:  # writers; readers send no BEGIN: each statement is its own read transaction
            @event.listens_for(engine, "begin")
            def _begin(conn):  # noqa: ANN001
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        if self._writer is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._writer, self.engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self.read_engine.connect() as conn:
            yield conn

    def grouped(self, fn):
        """``fn(conn)`` in a write transaction shared with the other callers waiting now (group
        commit): each runs in its own SAVEPOINT, in arrival order, so one that raises is rolled back
        alone and gets its exception; the rest are committed together and only then answered. One
        commit (one fsync on SQLite) serves many concurrent creates."""
        return self._group.run(fn)

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
