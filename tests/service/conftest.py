"""Fixtures of the service tests: databases (SQLite and PostgreSQL), in-process apps, live servers.

PostgreSQL: ``ORBITCLOUD_TEST_PG_URL`` names a server and a role that may create databases (``.ci/run``
installs Debian's ``postgresql``, starts the cluster as ``postgres`` and sets it); each test gets a
new database, dropped afterwards. Without the variable the PostgreSQL cases are skipped with the
reason, except in CI (``CI``, ``ORBITCLOUD_REQUIRE_SHARED`` or ``ORBITCLOUD_REQUIRE_PG`` set), where
they fail.
"""

from __future__ import annotations

import pytest
from service_helpers import (
    Api,
    LiveServer,
    make_pg_database,
    pg_admin_url,
    required_in_ci,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh database URL, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
        return
    if pg_admin_url() is None:
        msg = "ORBITCLOUD_TEST_PG_URL is not set (a PostgreSQL server with a role that may create databases)"
        if required_in_ci():
            pytest.fail(f"PostgreSQL tests required in CI: {msg}", pytrace=False)
        pytest.skip(msg)
    url, drop = make_pg_database()
    yield url
    drop()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'service.db'}"


@pytest.fixture
def api(db_url):
    a = Api(db_url)
    yield a
    a.close()


@pytest.fixture
def sqlite_api(sqlite_url):
    a = Api(sqlite_url)
    yield a
    a.close()


@pytest.fixture
def sqlite_live_server(sqlite_url, tmp_path):
    s = LiveServer(sqlite_url, tmp_path)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def live_server(db_url, tmp_path):
    s = LiveServer(db_url, tmp_path)
    s.start()
    yield s
    s.stop()

