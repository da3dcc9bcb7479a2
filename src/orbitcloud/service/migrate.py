"""Alembic migrations of the service's database: applied at ``orbitcloud serve`` start and by
``orbitcloud db upgrade`` (the scripts are package data under ``migrations/``)."""

from __future__ import annotations

from pathlib import Path

from orbitcloud.errors import OrbitcloudError

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config("sqlite://")).get_current_head()


def current_revision(db) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db, revision: str = "head") -> str:
    """Upgrade ``db`` (a :class:`~orbitcloud.service.db.Database`) to ``revision``; returns the revision."""
    from alembic import command

    cfg = _config(db.url)
    try:
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except OrbitcloudError:
        raise
    except Exception as exc:
        raise OrbitcloudError(f"database {db.url.split('@')[-1]}: migration failed: {type(exc).__name__}: {exc}") from None
    return current_revision(db) or ""
