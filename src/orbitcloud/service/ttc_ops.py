"""The operator's TT&C on the service's twin: commands, the telemetry archive, contacts and alarms.

Mixed into :class:`~orbitcloud.service.twin.TwinHost` (its attributes are the host's); the routes are
in :mod:`orbitcloud.service.routes_ops` and the model in ``docs/ttc.md``. What is persisted:

* every operator command (``ttc_commands``, append-only) with the twin's step when it was issued, in
  the same transaction as its idempotency record; :meth:`TwinHost.restore` re-issues them at their
  steps (interleaved with the twin's actions), so the rebuilt layer gives every command the same id,
  uplink, stages and effects;
* the ground's telemetry archive (``ttc_telemetry``, append-only): the samples delivered since the last
  tick are written in the tick's transaction, with the clock's step; a restore rebuilds the layer's
  archive by replay and writes nothing twice (rows are unique by satellite and sample time).

Everything else (the command history as the ground knows it now, the newest telemetry, the contact
plan, alarms) is read from the live layer, under the twin's lock. Times are ISO 8601 UTC with
milliseconds; a layer time is seconds from the run's start.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import numpy as np

from orbitcloud.errors import OrbitcloudError
from orbitcloud.service import db as T
from orbitcloud.service.problems import ApiError

#: How a twin without the TT&C layer answers the operator's TT&C endpoints.
TTC_OFF = ("the twin has no TT&C layer: serve a scenario with a ttc: section, or start the service with "
           "`orbitcloud serve SCENARIO --ttc` (docs/ttc.md)")

_STAGES = ("accepted", "started", "completed", "failed")


def _problem(field: str, message: str) -> ApiError:
    """A 422 problem naming the field (as the request validation's problems do)."""
    msg = message[len(field) + 2:] if message.startswith(field + ": ") else message
    return ApiError(422, f"{field}: {msg}"[:500], "validation", extra={"errors": [{"field": field, "message": msg[:300]}]})


def parse_utc(text: str, field: str) -> dt.datetime:
    """ISO 8601 text as an aware UTC datetime (naive: UTC); a 422 naming ``field`` otherwise."""
    try:
        t = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise _problem(field, f"{text!r} is not an ISO 8601 UTC time such as 2026-03-20T06:00:00Z") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    if not 1957 <= t.year <= 2100:
        raise _problem(field, f"{text!r}: expected a time in 1957..2100")
    return t.astimezone(dt.UTC)


class TtcOps:
    """The TT&C half of the twin host (see the module docstring)."""

    # ------------------------------------------------------------------ basics

    @property
    def ttc(self):
        """The twin's TT&C layer, or None."""
        return self.sim._ttc

    def need_ttc(self):
        layer = self.sim._ttc
        if layer is None:
            raise ApiError(409, TTC_OFF, "ttc-off")
        return layer

    def t_ms(self, t_s: float | None) -> str | None:
        """A layer time [s from the start] as ISO 8601 UTC with milliseconds (None for none / never)."""
        if t_s is None or not math.isfinite(t_s):
            return None
        t = self.sim.start + dt.timedelta(seconds=float(t_s))
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"

    def t_of(self, text: str, field: str) -> float:
        """ISO 8601 text as a layer time [s from the start]."""
        return (parse_utc(text, field) - self.sim.start).total_seconds()

    def sat_index(self, s: str | int, field: str = "satellite") -> int:
        """A satellite by name or index (digits are an index); a 422 naming ``field`` otherwise."""
        layer = self.need_ttc()
        try:
            return layer.satellite(s)
        except OrbitcloudError as exc:
            if isinstance(s, str) and s.strip().isdigit():
                return self.sat_index(int(s.strip()), field)
            raise _problem(field, str(exc)) from None

    # ------------------------------------------------------------------ commands

    def ttc_issue(self, conn, key_id: str, satellite: str | int, command: str, params: dict, time_tag: str | None) -> dict:
        """Issue a command now and persist it in ``conn``'s transaction; returns its history row as
        the ground knows it now. The caller holds :attr:`lock` and restores the twin when the
        transaction does not commit (the layer has the command)."""
        from orbitcloud.ops.ttc import packets as PK

        layer = self.need_ttc()
        if self.sim.k >= self.sim.steps:
            raise ApiError(409, f"the twin has reached the end of its horizon ({self.t_iso()}); no command can run "
                                "(restart the service with a longer --horizon)", "end-of-horizon")
        sat = self.sat_index(satellite)
        if command not in PK.COMMANDS:
            raise _problem("command", f"{command!r} is unknown; commands: {', '.join(sorted(PK.COMMANDS))}")
        t_s = self.sim.k * self.sim.step_s
        tag_s = None
        if time_tag is not None:
            tag_s = self.t_of(time_tag, "time_tag")
            if tag_s < t_s:
                raise _problem("time_tag", f"{time_tag} is in the past (the twin's time is {self.t_ms(t_s)})")
            end_s = self.sim.steps * self.sim.step_s
            if tag_s > end_s:
                raise _problem("time_tag", f"{time_tag} is after the end of the twin's horizon ({self.t_ms(end_s)})")
        try:
            row = layer.issue(sat, command, params, time_tag_s=tag_s, t_s=t_s, source="operator")
        except OrbitcloudError as exc:
            msg = str(exc)
            field = next((f for f in ("satellite", "time_tag") if msg.startswith(f + ":")), "params")
            raise _problem(field, msg) from None
        except (TypeError, ValueError, OverflowError, ArithmeticError) as exc:  # a parameter the packer cannot take
            raise _problem("params", f"command {command!r}: {exc}") from None
        self._ttc_touched = True
        conn.execute(T.ttc_commands.insert().values(
            id=row["id"], step=self.sim.k, satellite=sat, command=command, params_json=json.dumps(params, sort_keys=True),
            time_tag_s=tag_s, source="operator", key_id=key_id, created_at=_now()))
        return self.command_view(self._known(row["id"]))

    def _known(self, cid: str) -> dict:
        """The history row of command ``cid`` as the ground knows it now."""
        hist = self.ttc.book.history(self.sim.k * self.sim.step_s)
        for r in hist:
            if r["id"] == cid:
                return r
        raise KeyError(cid)

    def command_view(self, r: dict) -> dict:
        stages = {}
        for st in _STAGES:
            on, gr = r.get(f"{st}_s"), r.get(f"{st}_ground_s")
            stages[st] = None if on is None or gr is None else {"onboard": self.t_ms(on), "ground": self.t_ms(gr)}
        failed_known = stages["failed"] is not None
        reason = r.get("reason") if (failed_known or r.get("path") is None) else None
        return {"id": r["id"], "satellite": self.ttc.names[r["satellite"]], "satellite_index": int(r["satellite"]),
                "command": r["command"], "params": r["params"], "source": r["source"], "status": r["status"],
                "issued": self.t_ms(r["issued_s"]), "time_tag": self.t_ms(r["time_tag_s"]), "path": r["path"],
                "bytes": r["bytes"], "uplink_start": self.t_ms(r["uplink_start_s"]), "stages": stages,
                "failure_code": r.get("failure_code") if failed_known else None, "reason": reason}

    def commands(self, satellite: str | None, after: str | None, limit: int) -> dict:
        """The command history, newest first (``after``: the last id of the previous page)."""
        with self.lock:
            self.need_ttc()
            sat = None if satellite is None else self.sat_index(satellite)
            hist = self.ttc.book.history(self.sim.k * self.sim.step_s)
            if after is not None:
                n = next((i for i, r in enumerate(hist) if r["id"] == after), None)
                hist = hist[:n] if n is not None else []
            out = []
            for r in reversed(hist):
                if sat is not None and r["satellite"] != sat:
                    continue
                out.append(self.command_view(r))
                if len(out) == limit:
                    break
        return {"items": out, "next_after": out[-1]["id"] if len(out) == limit else None}

    def command(self, cid: str) -> dict:
        from orbitcloud.service.problems import not_found

        with self.lock:
            self.need_ttc()
            try:
                return self.command_view(self._known(cid))
            except KeyError:
                raise not_found("command", cid) from None

    # ------------------------------------------------------------------ telemetry

    def _ttc_flush(self, conn) -> int | None:
        """Write the samples the ground received since the last tick (``conn``: the tick's
        transaction); returns the archive cursor to keep once it commits (None without TT&C)."""
        layer = self.sim._ttc
        if layer is None:
            return None
        rows, cursor = layer.archive_since(self._ttc_cursor)
        n = int(rows["sat"].size)
        if n:
            vals = rows["values"].astype(np.float64)
            cols = {p: [None if not math.isfinite(v) else v for v in vals[:, i].tolist()]
                    for i, p in enumerate(layer.params) if p in T.TTC_PARAMETERS}
            sats, t_s, g_s = rows["sat"].tolist(), rows["t_sample_s"].tolist(), rows["t_ground_s"].tolist()
            when: dict[float, str] = {}  # sample times fall on the housekeeping ticks: few distinct values
            out = []
            for j in range(n):
                ts = t_s[j]
                if ts not in when:
                    when[ts] = self.t_ms(ts)
                d = {"satellite": int(sats[j]), "sample_s": float(ts), "sample_time": when[ts], "ground_time": self.t_ms(g_s[j])}
                for p, c in cols.items():
                    d[p] = c[j]
                out.append(d)
            if conn.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as ins
            else:
                from sqlalchemy.dialects.sqlite import insert as ins
            stmt = ins(T.ttc_telemetry).on_conflict_do_nothing(index_elements=["satellite", "sample_s"])
            for i in range(0, n, 5000):
                conn.execute(stmt, out[i:i + 5000])
        return cursor

    def latest(self) -> dict:
        """Per satellite, the newest sample the ground has: its time, values and age now."""
        with self.lock:
            layer = self.need_ttc()
            lt = layer.latest()
            got = layer.store.delivered > 0
            t_now = self.sim.k * self.sim.step_s
            now = self.t_iso()
        items = []
        for i in range(layer.n):
            vals = {p: (float(lt[p][i]) if got[i] and math.isfinite(lt[p][i]) else None) for p in layer.params}
            items.append({"satellite": layer.names[i], "satellite_index": i,
                          "sample_time": self.t_ms(float(lt["sample_s"][i])) if got[i] else None,
                          "age_s": round(t_now - float(lt["sample_s"][i]), 3), "values": vals})
        return {"sim_time": now, "items": items}

    def telemetry(self, conn, satellite: str | None, since: str | None, until: str | None, after: int, limit: int) -> dict:
        """The ground archive from the database, in the order the ground received it (per satellite:
        oldest sample first); ``since``/``until`` bound the sample time (inclusive)."""
        layer = self.need_ttc()
        tab = T.ttc_telemetry
        q = tab.select().where(tab.c.id > after)
        if satellite is not None:
            q = q.where(tab.c.satellite == self.sat_index(satellite))
        if since is not None:
            q = q.where(tab.c.sample_s >= self.t_of(since, "since") - 1e-6)
        if until is not None:
            q = q.where(tab.c.sample_s <= self.t_of(until, "until") + 1e-6)
        rows = conn.execute(q.order_by(tab.c.id).limit(limit)).all()
        items = [{"id": int(r.id), "satellite": layer.names[r.satellite], "satellite_index": int(r.satellite),
                  "sample_time": r.sample_time, "ground_time": r.ground_time,
                  "values": {p: (None if getattr(r, p) is None else float(getattr(r, p))) for p in T.TTC_PARAMETERS}} for r in rows]
        return {"items": items, "next_after": items[-1]["id"] if len(items) == limit else None}

    # ------------------------------------------------------------------ contacts and alarms

    def _contact_table(self) -> dict[str, np.ndarray]:
        layer = self.need_ttc()
        cache = getattr(self, "_contacts_cache", None)
        if cache is not None and cache[0] is layer:
            return cache[1]
        c, sch, net = layer.contacts, layer.schedule, layer.net
        tab = {"sat": np.asarray(c.sat, np.int64), "station": np.asarray(c.station, np.int64),
               "rise_s": np.asarray(c.start_s, np.float64), "set_s": np.asarray(c.end_s, np.float64),
               "start_clipped": np.asarray(c.start_clipped, bool), "end_clipped": np.asarray(c.end_clipped, bool),
               "max_elevation_deg": np.asarray(c.max_elevation_deg, np.float64),
               "antenna": np.asarray(sch.antenna, np.int64), "served": np.asarray(sch.served, bool),
               "reason": np.asarray(sch.reason, dtype=object), "station_names": list(net.stations.names)}
        self._contacts_cache = (layer, tab)
        return tab

    def contacts(self, station: str | None, satellite: str | None, t_from: str | None, t_to: str | None,
                 after: int, limit: int) -> dict:
        """The contact plan's passes, in rise order: those overlapping [from, to]."""
        tab = self._contact_table()
        layer = self.ttc
        keep = np.ones(tab["sat"].size, bool)
        if station is not None:
            if station not in tab["station_names"]:
                raise _problem("station", f"no station named {station!r}; stations: {', '.join(tab['station_names'][:20])}")
            keep &= tab["station"] == tab["station_names"].index(station)
        if satellite is not None:
            keep &= tab["sat"] == self.sat_index(satellite)
        if t_from is not None:
            keep &= tab["set_s"] >= self.t_of(t_from, "from")
        if t_to is not None:
            keep &= tab["rise_s"] <= self.t_of(t_to, "to")
        idx = np.nonzero(keep)[0]
        idx = idx[np.argsort(tab["rise_s"][idx], kind="stable")]
        pos = np.arange(idx.size)
        idx = idx[pos >= after][:limit]
        items = []
        for j, i in enumerate(idx.tolist()):
            served = bool(tab["served"][i])
            reason = tab["reason"][i]
            items.append({"index": after + j, "satellite": layer.names[tab["sat"][i]], "satellite_index": int(tab["sat"][i]),
                          "station": tab["station_names"][tab["station"][i]], "rise_utc": self.t_ms(tab["rise_s"][i]),
                          "set_utc": self.t_ms(tab["set_s"][i]), "start_clipped": bool(tab["start_clipped"][i]),
                          "end_clipped": bool(tab["end_clipped"][i]),
                          "duration_s": round(float(tab["set_s"][i] - tab["rise_s"][i]), 3),
                          "max_elevation_deg": round(float(tab["max_elevation_deg"][i]), 3),
                          "antenna": int(tab["antenna"][i]) if served and tab["antenna"][i] >= 0 else None, "served": served,
                          "reason": None if served or reason in (None, "") else str(reason)})
        return {"items": items, "next_after": after + len(items) if len(items) == limit else None}

    def alarms(self, active: bool, satellite: str | None, after: int, limit: int) -> dict:
        """Alarm events (raised, cleared) as the ground saw them, or the alarms active now."""
        with self.lock:
            layer = self.need_ttc()
            sat = None if satellite is None else self.sat_index(satellite)
            t_now = self.sim.k * self.sim.step_s
            events = [(i, e) for i, e in enumerate(layer.events) if e["kind"] in ("alarm_raised", "alarm_cleared")
                      and (e["ground_s"] is None or e["ground_s"] <= t_now + 1e-9)]
            if active:
                last: dict[tuple[int, str], tuple[int, dict]] = {}
                for i, e in events:
                    last[(e["satellite"], e["parameter"])] = (i, e)
                ss, pp = layer.limits.active()
                chosen = []
                for s, p in zip(ss.tolist(), pp.tolist()):
                    hit = last.get((s, layer.params[p]))
                    if hit is not None:
                        chosen.append(hit)
                events = sorted(chosen, key=lambda x: x[0])
            if sat is not None:
                events = [(i, e) for i, e in events if e["satellite"] == sat]
            events = [(i, e) for i, e in events if i >= after][:limit]
            items = [{"index": i, "kind": e["kind"], "active": None, "satellite": layer.names[e["satellite"]],
                      "satellite_index": int(e["satellite"]), "parameter": e["parameter"], "level": e["level"],
                      "value": None if e["value"] is None or not math.isfinite(e["value"]) else float(e["value"]),
                      "sample_time": self.t_ms(e["t_s"]), "ground_time": self.t_ms(e["ground_s"]), "detail": e["detail"]}
                     for i, e in events]
            state = layer.limits.state
            for it in items:
                it["active"] = bool(state[it["satellite_index"], layer.params.index(it["parameter"])] > 0)
        return {"items": items, "next_after": items[-1]["index"] + 1 if len(items) == limit else None}

    # ------------------------------------------------------------------ restore

    def _replay_ttc(self, c) -> None:
        """Re-issue persisted command ``c`` (a ``ttc_commands`` row) at the current step."""
        layer = self.sim._ttc
        row = layer.issue(int(c.satellite), c.command, json.loads(c.params_json), time_tag_s=c.time_tag_s,
                          t_s=int(c.step) * self.sim.step_s, source=c.source)
        if row["id"] != c.id:
            raise OrbitcloudError(f"the database's TT&C command {c.id} replays as {row['id']}: the scenario's ttc: section "
                                  "changed since it was issued; serve the scenario it was made with or give another --db")


def _now() -> str:
    from orbitcloud.service.ledger import now_iso

    return now_iso()

