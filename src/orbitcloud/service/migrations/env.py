"""Alembic environment of the service's database (``orbitcloud db upgrade``; applied at start)."""

from __future__ import annotations

from alembic import context

from orbitcloud.service.db import metadata

config = context.config


def run_migrations_online() -> None:
    conn = config.attributes.get("connection")
    if conn is None:  # the alembic command line: the URL from the config
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover - the service never renders SQL offline
    raise SystemExit("orbitcloud migrations run online only")
run_migrations_online()
