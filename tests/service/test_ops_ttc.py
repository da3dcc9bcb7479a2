"""The operator's TT&C endpoints (``/v1/ops/*``, docs/service.md): commands to completion with their
stages, idempotency, validation, telemetry latest and history, the contact plan, alarms, a restart
that shows the same history and archive, customers answered 404, and a twin without TT&C 409.

The scenario is three-body-12 without its workloads (faster), with a ``ttc:`` section whose battery
limits are tight enough that eclipses raise and sunlight clears alarms, over a one-day horizon.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from service_helpers import ADMIN_KEY, Api, LiveServer

HORIZON = "1d"
ISO = "%Y-%m-%dT%H:%M:%S.%fZ"


def _scenario(tmp_path: Path) -> str:
    from importlib import resources

    text = resources.files("orbitcloud.scenario").joinpath("builtin/three-body-12.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)
    doc.pop("workloads", None)
    doc["ttc"] = {"limits": {"soc": {"red_low": 0.0, "yellow_low": 0.97}}, "autonomy": {"safe_mode_soc": None}}
    path = tmp_path / "three-body-12-ttc.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return str(path)


def _t(s: str) -> dt.datetime:
    return dt.datetime.strptime(s, ISO)


def _ops(api: Api, method: str, path: str, headers: dict | None = None, **kw):
    return api.client.request(method, "/v1/ops" + path, headers=headers or api.admin, **kw)


def _until(api: Api, cid: str, status: str, step: str = "30min", most: int = 48) -> dict:
    for _ in range(most):
        row = _ops(api, "GET", f"/commands/{cid}").json()
        if row["status"] == status:
            return row
        api.advance(step)
    raise AssertionError(f"{cid} did not reach {status}: {row}")


def test_commands_telemetry_contacts_alarms_and_restart(db_url, tmp_path):
    scen = _scenario(tmp_path)
    a = Api(db_url, scenario=scen, horizon=HORIZON)
    try:
        sat = a.svc.host.ttc.names[3]
        # a command round trip: issued, sent, accepted, started, completed; stage times in order
        body = {"satellite": sat, "command": "ping", "params": {}, "time_tag": None}
        r = _ops(a, "POST", "/commands", json=body, headers={**a.admin, "Idempotency-Key": "ping-1"})
        assert r.status_code == 201, r.text
        first = r.json()
        assert first["satellite"] == sat and first["satellite_index"] == 3 and first["command"] == "ping"
        assert first["status"] in ("queued", "sent") and first["issued"] == "2026-03-20T00:00:00.000Z"
        assert all(v is None for v in first["stages"].values())  # nothing has come down yet
        # the idempotent retry answers the same command; the same key with another body is refused
        again = _ops(a, "POST", "/commands", json=body, headers={**a.admin, "Idempotency-Key": "ping-1"})
        assert again.status_code == 201 and again.json() == first and again.headers["Idempotent-Replayed"] == "true"
        other = _ops(a, "POST", "/commands", json={**body, "satellite": 4}, headers={**a.admin, "Idempotency-Key": "ping-1"})
        assert other.status_code == 409 and other.headers["content-type"] == "application/problem+json"
        assert len(a.svc.host.ttc.book.rows) == 1
        done = _until(a, first["id"], "completed")
        st = done["stages"]
        assert st["failed"] is None and done["path"] in ("direct", "relay")
        on = [_t(done["issued"]), _t(done["uplink_start"])] + [_t(st[k]["onboard"]) for k in ("accepted", "started", "completed")]
        assert on == sorted(on)
        ground = [_t(st[k]["ground"]) for k in ("accepted", "started", "completed")]
        assert ground == sorted(ground) and all(_t(st[k]["ground"]) >= _t(st[k]["onboard"]) for k in ("accepted", "started", "completed"))
        assert ground[-1] <= a.svc.host.now.replace(tzinfo=None)

        # a time-tagged power cap by index: it runs at its time tag and the twin applies it
        now = a.svc.host.now
        tag = (now + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        r = _ops(a, "POST", "/commands", json={"satellite": 5, "command": "power_cap", "params": {"fraction": 0.5}, "time_tag": tag})
        assert r.status_code == 201, r.text
        cap = r.json()
        assert cap["time_tag"] == tag.replace("Z", ".000Z")
        row = _until(a, cap["id"], "completed", step="1h", most=12)
        assert _t(row["stages"]["started"]["onboard"]) >= _t(cap["time_tag"])
        assert a.svc.host.sim._cap[5] == 0.5 and a.svc.host.sim._cap[4] == 1.0

        # bad input: 422 naming the field, nothing issued
        n = len(a.svc.host.ttc.book.rows)
        past = (a.svc.host.now - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for bad, field in (({"satellite": "no-such-sat", "command": "ping"}, "satellite"),
                           ({"satellite": 99, "command": "ping"}, "satellite"),
                           ({"satellite": 0, "command": "warp_drive"}, "command"),
                           ({"satellite": 0, "command": "power_cap", "params": {"fraction": 2.0}}, "params"),
                           ({"satellite": 0, "command": "power_cap", "params": {}}, "params"),
                           ({"satellite": 0, "command": "ping", "time_tag": past}, "time_tag"),
                           ({"satellite": 0, "command": "ping", "time_tag": "tomorrow"}, "time_tag"),
                           ({"satellite": True, "command": "ping"}, "satellite"),
                           ({"satellite": 0, "command": "ping", "colour": "red"}, "colour")):
            r = _ops(a, "POST", "/commands", json=bad, headers={**a.admin, "Idempotency-Key": f"bad-{field}"})
            assert r.status_code == 422, (bad, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert field in [e["field"] for e in r.json()["errors"]], (bad, r.json())
        assert len(a.svc.host.ttc.book.rows) == n
        # a key refused for bad input can be reused once the input is fixed
        r = _ops(a, "POST", "/commands", json={"satellite": 0, "command": "ping"}, headers={**a.admin, "Idempotency-Key": "bad-command"})
        assert r.status_code == 201

        # the history: newest first, filtered by satellite, paginated
        hist = _ops(a, "GET", "/commands").json()["items"]
        assert [c["id"] for c in hist] == ["cmd-000003", "cmd-000002", "cmd-000001"]
        assert [c["id"] for c in _ops(a, "GET", "/commands", params={"satellite": sat}).json()["items"]] == [first["id"]]
        page = _ops(a, "GET", "/commands", params={"limit": 2}).json()
        assert len(page["items"]) == 2 and page["next_after"] == "cmd-000002"
        assert [c["id"] for c in _ops(a, "GET", "/commands", params={"after": page["next_after"]}).json()["items"]] == ["cmd-000001"]
        assert _ops(a, "GET", "/commands/cmd-999999").status_code == 404

        # telemetry: the newest sample per satellite and the archive in the database
        a.advance("2h")
        latest = _ops(a, "GET", "/telemetry/latest").json()
        assert len(latest["items"]) == 12 and latest["sim_time"] == a.svc.host.t_iso()
        got = [x for x in latest["items"] if x["sample_time"] is not None]
        assert got and all(0 <= x["age_s"] <= 86400 and x["values"]["soc"] is not None for x in got)
        tel = _ops(a, "GET", "/telemetry", params={"satellite": sat, "limit": 1000}).json()["items"]
        assert tel and all(x["satellite"] == sat for x in tel)
        times = [x["sample_time"] for x in tel]
        assert times == sorted(times) and len(set(times)) == len(times)
        assert all(_t(x["ground_time"]) >= _t(x["sample_time"]) for x in tel)
        mine = next(x for x in latest["items"] if x["satellite"] == sat)
        assert times[-1] == mine["sample_time"]
        assert tel[-1]["values"] == pytest.approx(mine["values"], rel=1e-6)
        window = _ops(a, "GET", "/telemetry", params={"satellite": sat, "since": times[1], "until": times[3]}).json()["items"]
        assert [x["sample_time"] for x in window] == times[1:4]
        p1 = _ops(a, "GET", "/telemetry", params={"limit": 5}).json()
        p2 = _ops(a, "GET", "/telemetry", params={"limit": 5, "after": p1["next_after"]}).json()
        assert p1["next_after"] is not None and p2["items"][0]["id"] > p1["items"][-1]["id"]

        # the contact plan
        plan = _ops(a, "GET", "/contacts", params={"limit": 1000}).json()["items"]
        assert plan and {c["station"] for c in plan} <= {"Miyun", "Kashgar", "Sanya"}
        assert all(c["rise_utc"] <= c["set_utc"] and c["max_elevation_deg"] >= 10 - 1e-3 for c in plan)
        assert [c["rise_utc"] for c in plan] == sorted(c["rise_utc"] for c in plan)
        assert any(c["served"] and c["antenna"] is not None for c in plan)
        sub = _ops(a, "GET", "/contacts", params={"station": "Kashgar", "satellite": 3, "from": "2026-03-20T06:00:00Z",
                                                  "to": "2026-03-20T18:00:00Z"}).json()["items"]
        assert all(c["station"] == "Kashgar" and c["satellite_index"] == 3 for c in sub)
        assert all(c["set_utc"] >= "2026-03-20T06:00:00" and c["rise_utc"] <= "2026-03-20T18:00:00.000Z" for c in sub)
        assert len(sub) == sum(1 for c in plan if c["station"] == "Kashgar" and c["satellite_index"] == 3
                               and c["set_utc"] >= "2026-03-20T06:00:00.000Z" and c["rise_utc"] <= "2026-03-20T18:00:00.000Z")
        r = _ops(a, "GET", "/contacts", params={"station": "Atlantis"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "station"

        # alarms: eclipses take the battery below the tight yellow limit and sunlight clears it
        al = _ops(a, "GET", "/alarms").json()["items"]
        kinds = {x["kind"] for x in al}
        assert "alarm_raised" in kinds, al[:3]
        assert all(x["parameter"] == "soc" and x["level"] in ("nominal", "yellow", "red") for x in al)
        assert all(_t(x["ground_time"]) >= _t(x["sample_time"]) for x in al)
        act = _ops(a, "GET", "/alarms", params={"active": "true"}).json()["items"]
        layer = a.svc.host.ttc
        assert len(act) == int((layer.limits.state > 0).sum()) and all(x["active"] and x["level"] != "nominal" for x in act)

        before = {"commands": _ops(a, "GET", "/commands").json(), "latest": _ops(a, "GET", "/telemetry/latest").json(),
                  "telemetry": _ops(a, "GET", "/telemetry", params={"limit": 1000}).json(), "alarms": _ops(a, "GET", "/alarms").json()}
        k = a.svc.host.sim.k
    finally:
        a.close()
    # a restarted service rebuilds the twin (the commands re-issued at their steps) and shows the same
    b = Api(db_url, scenario=scen, horizon=HORIZON)
    try:
        assert b.svc.host.sim.k == k
        assert _ops(b, "GET", "/commands").json() == before["commands"]
        assert _ops(b, "GET", "/telemetry/latest").json() == before["latest"]
        assert _ops(b, "GET", "/telemetry", params={"limit": 1000}).json() == before["telemetry"]
        assert _ops(b, "GET", "/alarms").json() == before["alarms"]
        assert b.svc.host.sim._cap[5] == 0.5
        # and goes on: the archive grows without writing a sample twice
        b.advance("1h")
        with b.svc.db.read() as conn:
            from sqlalchemy import text

            n, distinct = conn.execute(text("SELECT COUNT(*), COUNT(DISTINCT satellite || ':' || sample_time) FROM ttc_telemetry")).one()
        assert n == distinct and n > len(before["telemetry"]["items"])
        assert n == int(b.svc.host.ttc.store.delivered.sum())
    finally:
        b.close()


def test_customers_get_404_on_every_ops_route(sqlite_url, tmp_path):
    a = Api(sqlite_url, scenario=_scenario(tmp_path), horizon="6h")
    try:
        _acc, key = a.customer(10.0)
        spec = a.client.get("/openapi.json").json()
        routes = [(m.upper(), p) for p, ops in spec["paths"].items() if p.startswith("/v1/ops/") for m in ops]
        assert len(routes) >= 7
        nowhere = a.client.get("/v1/nothing-here", headers=key)
        assert nowhere.status_code == 404
        for method, path in routes:
            real = path.replace("{command_id}", "cmd-000001")
            body = {"satellite": 0, "command": "ping"} if method == "POST" else None
            r = a.client.request(method, real, json=body, headers=key)
            assert r.status_code == 404, (method, path, r.text)
            # the body of a path that does not exist: nothing says the route is there
            assert r.text.replace(real, "/v1/nothing-here") == nowhere.text, (method, path)
            assert a.client.request(method, real, json=body, headers=a.admin).status_code in (200, 201, 404)
        for raw in (b"{not json", b'{"satellite": -1}'):  # even a body that does not parse or validate
            r = a.client.post("/v1/ops/commands", content=raw, headers={**key, "Content-Type": "application/json"})
            assert r.status_code == 404 and r.text.replace("/v1/ops/commands", "/v1/nothing-here") == nowhere.text
        assert a.client.post("/v1/ops/commands", content=b"{not json", headers={**a.admin, "Content-Type": "application/json"}).status_code == 422
        assert len(a.svc.host.ttc.book.rows) == 1  # only the admin's command
        with a.svc.db.read() as conn:
            from sqlalchemy import text

            assert conn.execute(text("SELECT COUNT(*) FROM ttc_commands")).scalar_one() == 1
        # a command whose transaction fails is not left in the live twin (it is rebuilt from the database)
        import orbitcloud.service.ttc_ops as ops

        def boom():
            raise RuntimeError("disk full")

        real_now, ops._now = ops._now, boom
        try:
            r = a.client.post("/v1/ops/commands", json={"satellite": 2, "command": "ping"}, headers=a.admin)
        finally:
            ops._now = real_now
        assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
        assert len(a.svc.host.ttc.book.rows) == 1
        # an operator key may; POST with the operator key works as the admin's
        op = a.client.post("/v1/keys", json={"role": "operator"}, headers=a.admin).json()["api_key"]
        r = a.client.post("/v1/ops/commands", json={"satellite": 1, "command": "reboot"}, headers={"Authorization": f"Bearer {op}"})
        assert r.status_code == 201 and r.json()["id"] == "cmd-000002"
        spec_ops = spec["paths"]["/v1/ops/commands"]["post"]["responses"]
        assert {"201", "404", "409", "422"} <= set(spec_ops)
        assert "application/problem+json" in spec_ops["409"]["content"]
    finally:
        a.close()


def test_without_ttc_the_ops_routes_say_how_to_turn_it_on(sqlite_api):
    a = sqlite_api
    assert a.svc.host.ttc is None  # three-body-12 has no ttc: section: unchanged
    for method, path, body in (("POST", "/v1/ops/commands", {"satellite": 0, "command": "ping"}), ("GET", "/v1/ops/commands", None),
                               ("GET", "/v1/ops/telemetry/latest", None), ("GET", "/v1/ops/telemetry", None),
                               ("GET", "/v1/ops/contacts", None), ("GET", "/v1/ops/alarms", None)):
        r = a.client.request(method, path, json=body, headers=a.admin)
        assert r.status_code == 409, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json" and "--ttc" in r.json()["detail"]


def test_serve_ttc_flag_and_restore_refuses_a_twin_without_ttc(sqlite_url, tmp_path):
    import httpx

    from orbitcloud.errors import OrbitcloudError

    s = LiveServer(sqlite_url, tmp_path, horizon="6h", args=("--ttc",))
    s.start()
    try:
        h = {"Authorization": f"Bearer {ADMIN_KEY}"}
        r = httpx.post(f"{s.base}/v1/ops/commands", json={"satellite": 1, "command": "ping"}, headers=h)
        assert r.status_code == 201, r.text
        assert re.fullmatch(r"cmd-\d{6}", r.json()["id"])
    finally:
        s.stop()
    with pytest.raises(OrbitcloudError, match="serve with --ttc"):
        Api(sqlite_url, horizon="6h")
