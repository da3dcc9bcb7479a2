"""``orbitcloud serve``, ``orbitcloud db upgrade`` and ``orbitcloud ledger verify``."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from orbitcloud.errors import OrbitcloudError

db_app = typer.Typer(no_args_is_help=True, help="The service's database.")
ledger_app = typer.Typer(no_args_is_help=True, help="The service's ledger.")

_DB_HELP = ("Database URL: a SQLite file (sqlite:///path.db, the default in the working directory) or PostgreSQL "
            "(postgresql+psycopg://user:password@host/db).")


def serve(
    scenario: str = typer.Argument(..., metavar="SCENARIO", help="A built-in scenario name or a YAML file."),
    db: str = typer.Option("sqlite:///orbitcloud-service.db", "--db", metavar="URL", help=_DB_HELP),
    clock: str = typer.Option("manual", "--clock", metavar="MODE",
                              help="manual (advanced by POST /v1/admin/clock/advance), realtime, or accelerated:N (N simulated s per wall s)."),
    host: str = typer.Option("127.0.0.1", "--host", metavar="ADDR", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", metavar="PORT", help="Port to listen on."),
    horizon: Optional[str] = typer.Option(None, "--horizon", metavar="DURATION",
                                          help="How far the twin may run (default: the scenario's service.horizon_s, 30 d)."),
    propagator: Optional[str] = typer.Option(None, "--propagator", metavar="NAME", help="sgp4 or fast (as orbitcloud run)."),
    ttc: Optional[bool] = typer.Option(None, "--ttc/--no-ttc", show_default=False,
                                       help="The TT&C layer and the operator's /v1/ops endpoints (docs/ttc.md). Default: on when the scenario has a ttc: section."),
    log_level: str = typer.Option("warning", "--log-level", metavar="LEVEL", help="uvicorn's log level."),
) -> None:
    """Run the operations service on a live twin of SCENARIO (docs/service.md).

    The admin key is ORBITCLOUD_ADMIN_KEY when set; else a new one is printed once, at the first start."""
    from orbitcloud.service.app import Service, create_app
    from orbitcloud.service.clock import parse_clock

    parse_clock(clock)
    if not 0 < port < 65536:
        raise OrbitcloudError(f"--port {port}: expected 1..65535")
    opts = {} if propagator is None else {"propagator": propagator}
    if ttc is not None:
        opts["ttc"] = ttc
    svc = Service(scenario, db, clock=clock, horizon=horizon, **opts)
    if svc.new_admin_key is not None:
        print(f"orbitcloud serve: admin key (shown once, stored only as a hash): {svc.new_admin_key}", flush=True)
    import uvicorn

    app = create_app(svc)
    where = "sqlite" if svc.db.sqlite else "postgresql"
    print(f"orbitcloud serve: {svc.host.name} at {svc.host.t_iso()} ({svc.mode} clock), {where} database, "
          f"http://{host}:{port}/", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, server_header=False)


@db_app.command("upgrade")
def db_upgrade(db: str = typer.Option("sqlite:///orbitcloud-service.db", "--db", metavar="URL", help=_DB_HELP)) -> None:
    """Apply the database migrations (Alembic) up to the newest."""
    from orbitcloud.service.db import Database
    from orbitcloud.service.migrate import upgrade

    rev = upgrade(Database(db))
    print(f"database at revision {rev}")


@ledger_app.command("verify")
def ledger_verify(db: str = typer.Option("sqlite:///orbitcloud-service.db", "--db", metavar="URL", help=_DB_HELP)) -> None:
    """Check the ledger: the hash chain, every transaction sums to zero, no balance below its limit,
    the holds account equals the open holds. Exit 0 when intact; 1 naming the first bad entry."""
    from orbitcloud.service.db import Database
    from orbitcloud.service.ledger import verify
    from orbitcloud.service.migrate import current_revision

    d = Database(db)
    if current_revision(d) is None:
        raise OrbitcloudError(f"--db {db}: not an orbitcloud service database (no migrations applied)")
    with d.read() as conn:
        rep = verify(conn)
    if rep.ok:
        print(f"ledger intact: {rep.entries:,} entries in {rep.transactions:,} transactions; chain and zero-sum verified")
        return
    print(f"ledger NOT intact: {rep.problem}", file=sys.stderr)
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(ledger_app, name="ledger")
