"""Routes of the operator's TT&C (``docs/service.md``, operator TT&C endpoints; the model in
``docs/ttc.md``): commands, telemetry, the contact plan and alarms of the twin's TT&C layer.

Admin and operator keys only: any other key gets 404 with the body of a path that does not exist
(customers must not learn the routes are there). A twin without the TT&C layer answers 409 saying
how to turn it on. The twin's state is read under its lock; the telemetry history from the database.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from orbitcloud.service import schemas as S
from orbitcloud.service import store
from orbitcloud.service.auth import Principal
from orbitcloud.service.deps import Caller, IdemKey, body_hash, read, svc

ops_router = APIRouter(prefix="/v1/ops")
Limit = Annotated[int, Query(ge=1, le=1000)]
Time = Annotated[str | None, Query(max_length=40, description="ISO 8601 UTC time")]
SatQ = Annotated[str | None, Query(max_length=80, description="A satellite name or index")]
CommandId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_:\-]+$")]


async def operator(p: Caller) -> Principal:
    """Admin and operator keys; any other key is answered as a path that does not exist."""
    if not p.staff:
        raise StarletteHTTPException(404)
    return p


Operator = Annotated[Principal, Depends(operator)]


def hidden(request: Request) -> bool:
    """Whether ``request`` is for /v1/ops and carries a valid key that is not an operator's (FastAPI
    reads a body before the route's dependencies run: a body that does not parse must get the 404
    of :func:`operator` too)."""
    if not request.url.path.startswith(ops_router.prefix + "/"):
        return False
    auth = request.headers.get("authorization", "")
    scheme, _, key = auth.partition(" ")
    if scheme.lower() != "bearer" or not key or len(key) > 200:
        return False
    p = svc(request).keys.lookup(key.strip())
    return p is not None and not p.staff


@ops_router.post("/commands", status_code=201, response_model=S.TtcCommand,
                 summary="Send a telecommand to a satellite (admin, operator; needs the TT&C layer)")
def create_command(request: Request, body: S.TtcCommandIn, p: Operator, idem: IdemKey = None):
    s = svc(request)
    h = s.host
    with h.lock:  # taken before the database's write lock, as the twin's ticks do
        book = h.need_ttc().book
        n0 = len(book.rows)

        def create(conn, _):
            return 201, h.ttc_issue(conn, p.key_id, body.satellite, body.command, body.params, body.time_tag)

        try:
            st, out, rep = store.idempotent(s.db, p, idem, "POST", request.url.path, body_hash(request), create)
        except Exception:
            if len(book.rows) > n0:  # the live layer has a command the database does not: rebuild the twin
                h.restore()
            raise
        if rep and len(book.rows) > n0:  # the same key committed first elsewhere; this command was rolled back
            h.restore()
    return JSONResponse(out, status_code=st, headers={"Idempotent-Replayed": "true"} if rep else None)


@ops_router.get("/commands", response_model=S.TtcCommandList, summary="The command history as the ground knows it now, newest first")
def list_commands(request: Request, p: Operator, satellite: SatQ = None,
                  after: Annotated[str | None, Query(max_length=40, description="The next_after of the previous page")] = None,
                  limit: Limit = 100):
    return svc(request).host.commands(satellite, after, limit)


@ops_router.get("/commands/{command_id}", response_model=S.TtcCommand, summary="A command with the stages the ground knows")
def get_command(request: Request, command_id: CommandId, p: Operator):
    return svc(request).host.command(command_id)


@ops_router.get("/telemetry/latest", response_model=S.TtcLatest,
                summary="Per satellite: the newest housekeeping sample on the ground, its values and its age")
def telemetry_latest(request: Request, p: Operator):
    return svc(request).host.latest()


@ops_router.get("/telemetry", response_model=S.TtcTelemetryList,
                summary="Housekeeping history from the ground archive, in the order received")
async def telemetry(request: Request, p: Operator, satellite: SatQ = None, since: Time = None, until: Time = None,
                    after: Annotated[int, Query(ge=0, le=2**62, description="The next_after of the previous page")] = 0,
                    limit: Limit = 500):
    h = svc(request).host
    h.need_ttc()
    return await read(request, lambda conn: h.telemetry(conn, satellite, since, until, after, limit))


@ops_router.get("/contacts", response_model=S.TtcContactList, summary="The contact plan: passes overlapping [from, to], in rise order")
def contacts(request: Request, p: Operator, station: Annotated[str | None, Query(max_length=120)] = None, satellite: SatQ = None,
             t_from: Annotated[str | None, Query(alias="from", max_length=40, description="ISO 8601 UTC time")] = None,
             t_to: Annotated[str | None, Query(alias="to", max_length=40, description="ISO 8601 UTC time")] = None,
             after: Annotated[int, Query(ge=0, le=2**62, description="The next_after of the previous page")] = 0,
             limit: Limit = 500):
    return svc(request).host.contacts(station, satellite, t_from, t_to, after, limit)


@ops_router.get("/alarms", response_model=S.TtcAlarmList,
                summary="Alarm events raised and cleared on live telemetry (active=true: those active now)")
def alarms(request: Request, p: Operator, active: bool = False, satellite: SatQ = None,
           after: Annotated[int, Query(ge=0, le=2**62, description="The next_after of the previous page")] = 0,
           limit: Limit = 500):
    return svc(request).host.alarms(active, satellite, after, limit)
