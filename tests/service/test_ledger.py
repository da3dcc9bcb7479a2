"""The ledger's invariants (docs/service.md, 1-6) on SQLite and PostgreSQL: zero sum, append-only in
the database itself, balances from entries, no overdraft, and a hash chain that names the first
altered entry (also through ``orbitcloud ledger verify``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from orbitcloud.cli import main
from orbitcloud.service import db as T
from orbitcloud.service.db import Database
from orbitcloud.service.ledger import (
    SYS_TOPUPS,
    LedgerError,
    Posting,
    balance_micro,
    entry_hash,
    post,
    verify,
)
from orbitcloud.service.migrate import upgrade


@pytest.fixture
def ledger_db(db_url):
    d = Database(db_url)
    upgrade(d)
    with d.write() as conn:
        for aid in ("acc_a", "acc_b"):
            conn.execute(T.accounts.insert().values(id=aid, name=aid, kind="customer", credit_limit_micro=0, created_at="2026-01-01T00:00:00Z"))
    yield d
    d.dispose()


def test_postings_balance_and_chain(ledger_db):
    with ledger_db.write() as conn:
        post(conn, [Posting("topup", [(SYS_TOPUPS, -5_000_000), ("acc_a", 5_000_000)], "t")])
        post(conn, [Posting("transfer", [("acc_a", -1_250_000), ("acc_b", 1_250_000)], "t")])
    with ledger_db.read() as conn:
        assert balance_micro(conn, "acc_a") == 3_750_000 and balance_micro(conn, "acc_b") == 1_250_000
        assert balance_micro(conn, SYS_TOPUPS) == -5_000_000
        rows = conn.execute(select(T.entries).order_by(T.entries.c.seq)).all()
        assert [r.seq for r in rows] == [1, 2, 3, 4]
        prev = T.GENESIS
        for r in rows:  # the chain recomputed here, independently of verify()
            assert r.prev_hash == prev
            assert r.hash == entry_hash(prev, r.seq, r.txn_id, r.account_id, r.amount_micro, r.balance_after_micro, r.created_at)
            prev = r.hash
        # each entry carries its account's running balance: the sum of its entries so far
        run: dict[str, int] = {}
        for r in rows:
            run[r.account_id] = run.get(r.account_id, 0) + r.amount_micro
            assert r.balance_after_micro == run[r.account_id]
        rep = verify(conn)
    assert rep.ok and rep.entries == 4 and rep.transactions == 2


def test_unbalanced_and_overdraft_are_refused_atomically(ledger_db):
    with pytest.raises(LedgerError) as e:
        with ledger_db.write() as conn:
            post(conn, [Posting("topup", [(SYS_TOPUPS, -1), ("acc_a", 2)], "bad")])
    assert e.value.code == "unbalanced"
    with pytest.raises(LedgerError) as e:
        with ledger_db.write() as conn:
            post(conn, [Posting("topup", [(SYS_TOPUPS, -10), ("acc_a", 10)], "ok"),
                        Posting("transfer", [("acc_a", -11), ("acc_b", 11)], "overdraft")])
    assert e.value.code == "insufficient_funds"
    with ledger_db.read() as conn:  # nothing of the failed batch was written
        assert conn.execute(select(T.entries)).first() is None
        assert verify(conn).ok


@pytest.mark.parametrize("statement", ["UPDATE entries SET amount_micro = 0", "DELETE FROM entries",
                                       "UPDATE transactions SET reason = 'x'", "DELETE FROM transactions"])
def test_the_database_refuses_changes_to_entries(ledger_db, statement):
    with ledger_db.write() as conn:
        post(conn, [Posting("topup", [(SYS_TOPUPS, -7), ("acc_a", 7)], "t")])
    with pytest.raises(Exception) as e:
        with ledger_db.write() as conn:
            conn.execute(text(statement))
    assert "append-only" in str(e.value)
    with ledger_db.read() as conn:
        assert balance_micro(conn, "acc_a") == 7


def _drop_guards(d: Database) -> None:
    """What an attacker with database access would do first: remove the triggers."""
    with d.write() as conn:
        if d.sqlite:
            conn.execute(text("DROP TRIGGER entries_no_update"))
            conn.execute(text("DROP TRIGGER entries_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER entries_append_only ON entries"))


@pytest.mark.parametrize("tamper", ["amount", "account", "delete_middle", "delete_last"])
def test_verify_names_the_first_altered_entry(ledger_db, tamper, capsys):
    with ledger_db.write() as conn:
        for i in range(5):
            post(conn, [Posting("topup", [(SYS_TOPUPS, -(i + 1)), ("acc_a", i + 1)], f"t{i}")])
    _drop_guards(ledger_db)
    with ledger_db.write() as conn:
        if tamper == "amount":  # zero-sum kept: both legs changed, only the chain can tell
            conn.execute(text("UPDATE entries SET amount_micro = -100 WHERE seq = 5"))
            conn.execute(text("UPDATE entries SET amount_micro = 100 WHERE seq = 6"))
        elif tamper == "account":
            conn.execute(text("UPDATE entries SET account_id = 'acc_b' WHERE seq = 6"))
        elif tamper == "delete_middle":
            conn.execute(text("DELETE FROM entries WHERE seq = 7"))
        else:
            conn.execute(text("DELETE FROM entries WHERE seq = 10"))
    with ledger_db.read() as conn:
        rep = verify(conn)
    expect = {"amount": 5, "account": 6, "delete_middle": 7, "delete_last": 10}[tamper]
    assert not rep.ok and rep.bad_seq == expect, rep
    assert main(["ledger", "verify", "--db", ledger_db.url]) == 1
    err = capsys.readouterr().err
    assert f"entry {expect}" in err and "NOT intact" in err


def test_a_rewritten_chain_with_a_false_running_balance_is_caught(ledger_db):
    """An attacker who changes an entry's running balance and recomputes every later hash keeps the
    chain consistent; the running-balance check still names the entry."""
    with ledger_db.write() as conn:
        for i in range(4):
            post(conn, [Posting("topup", [(SYS_TOPUPS, -(i + 1)), ("acc_a", i + 1)], f"t{i}")])
    _drop_guards(ledger_db)
    with ledger_db.write() as conn:
        rows = conn.execute(select(T.entries).order_by(T.entries.c.seq)).all()
        prev = T.GENESIS
        for r in rows:
            bal = r.balance_after_micro + (1_000_000 if r.seq >= 4 and r.account_id == "acc_a" else 0)
            h = entry_hash(prev, r.seq, r.txn_id, r.account_id, r.amount_micro, bal, r.created_at)
            conn.execute(text("UPDATE entries SET balance_after_micro = :b, prev_hash = :p, hash = :h WHERE seq = :s"),
                         {"b": bal, "p": prev, "h": h, "s": r.seq})
            prev = h
        conn.execute(text("UPDATE ledger_head SET last_hash = :h"), {"h": prev})
    with ledger_db.read() as conn:
        rep = verify(conn)
    assert not rep.ok and rep.bad_seq == 4 and "running balance" in rep.problem


def test_verify_cli_exit_0_when_intact(ledger_db, capsys):
    with ledger_db.write() as conn:
        post(conn, [Posting("topup", [(SYS_TOPUPS, -3), ("acc_a", 3)], "t")])
    assert main(["ledger", "verify", "--db", ledger_db.url]) == 0
    assert "ledger intact: 2 entries in 1 transactions" in capsys.readouterr().out


def test_verify_cli_refuses_a_database_that_is_not_ours(tmp_path, capsys):
    assert main(["ledger", "verify", "--db", f"sqlite:///{tmp_path / 'empty.db'}"]) == 2
    assert "not an orbitcloud service database" in capsys.readouterr().err


def test_db_upgrade_is_idempotent(db_url, capsys):
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert main(["db", "upgrade", "--db", db_url]) == 0
    from orbitcloud.service.migrate import head_revision

    assert capsys.readouterr().out.count(f"database at revision {head_revision()}") == 2


def test_the_migrations_build_exactly_the_declared_tables(db_url):
    """Alembic's autogenerate comparison of the migrated database with ``orbitcloud.service.db``
    finds nothing to change: a table or index declared without its migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    d = Database(db_url)
    upgrade(d)
    try:
        with d.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), T.metadata)
    finally:
        d.dispose()
    assert diff == []
