"""Helpers of the service tests (imported by their conftest and by the tests): the admin key, the
PostgreSQL test databases, an in-process app (:class:`Api`) and a live server (:class:`LiveServer`)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ADMIN_KEY = "test-admin-key-" + "0123456789abcdef" * 2
SCENARIO = "three-body-12"
HORIZON = "3d"


def required_in_ci() -> bool:
    return any(os.environ.get(k, "") not in ("", "0", "false", "no") for k in ("CI", "ORBITCLOUD_REQUIRE_SHARED", "ORBITCLOUD_REQUIRE_PG"))


def pg_admin_url() -> str | None:
    return os.environ.get("ORBITCLOUD_TEST_PG_URL") or None


def make_pg_database() -> tuple[str, callable]:
    """A new empty PostgreSQL database: (its SQLAlchemy URL, a function that drops it)."""
    import psycopg

    base = pg_admin_url()
    name = "oc_test_" + secrets.token_hex(6)
    conninfo = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    head, _, _db = conninfo.rpartition("/")
    url = f"{head}/{name}".replace("postgresql://", "postgresql+psycopg://")

    def drop() -> None:
        # FORCE ends the test's own leftover sessions; an autovacuum worker that happens to be in the
        # database belongs to the superuser, which a non-superuser may not terminate
        # (InsufficientPrivilege). It leaves within moments, so try again for up to 10 s.
        for attempt in range(50):
            try:
                with psycopg.connect(conninfo, autocommit=True) as c:
                    c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
                if attempt == 49:
                    raise
                time.sleep(0.2)

    return url, drop


class Api:
    """An in-process app (FastAPI's TestClient) with the admin key and helpers."""

    def __init__(self, url: str, scenario: str = SCENARIO, horizon: str = HORIZON, **kw) -> None:
        from fastapi.testclient import TestClient

        from orbitcloud.service.app import Service, create_app

        self.svc = Service(scenario, url, admin_key=ADMIN_KEY, horizon=horizon, **kw)
        self.app = create_app(self.svc)
        self.client = TestClient(self.app, raise_server_exceptions=False)
        self.client.__enter__()
        self.admin = {"Authorization": f"Bearer {ADMIN_KEY}"}

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.svc.db.dispose()

    def customer(self, credits: float = 100.0, name: str = "acme") -> tuple[str, dict]:
        r = self.client.post("/v1/accounts", json={"name": name}, headers=self.admin)
        assert r.status_code == 201, r.text
        acc = r.json()
        if credits:
            r = self.client.post(f"/v1/accounts/{acc['id']}/topups", json={"credits": credits}, headers=self.admin)
            assert r.status_code == 201, r.text
        return acc["id"], {"Authorization": f"Bearer {acc['api_key']}"}

    def advance(self, duration: str) -> dict:
        r = self.client.post("/v1/admin/clock/advance", json={"duration": duration}, headers=self.admin)
        assert r.status_code == 200, r.text
        return r.json()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """``orbitcloud serve`` in a child process on 127.0.0.1 (restartable; ``kill9`` for crash tests)."""

    def __init__(self, url: str, workdir: Path, scenario: str = SCENARIO, clock: str = "manual", horizon: str = HORIZON,
                 args: tuple[str, ...] = ()) -> None:
        self.db, self.workdir, self.scenario, self.clock, self.horizon = url, workdir, scenario, clock, horizon
        self.args = tuple(args)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = workdir / "server.log"

    def start(self, timeout_s: float = 60.0) -> None:
        import httpx

        env = dict(os.environ)
        key = globals()["ADMIN_KEY"]
        if key:
            env["ORBITCLOUD_ADMIN_KEY"] = key
        else:
            env.pop("ORBITCLOUD_ADMIN_KEY", None)
        cmd = [sys.executable, "-c", "import sys; from orbitcloud.cli import main; sys.exit(main(sys.argv[1:]))", "serve", self.scenario,
               "--db", self.db, "--clock", self.clock, "--horizon", self.horizon, "--host", "127.0.0.1", "--port", str(self.port), *self.args]
        self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout_s:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.base + "/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start in {timeout_s} s: {self.log.read_text()[-2000:]}")

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()
