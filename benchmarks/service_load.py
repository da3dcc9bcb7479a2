"""Load on the operations service (``orbitcloud serve``) while its twin runs on an accelerated clock.

What it measures, for each database (SQLite, PostgreSQL), against one ``orbitcloud serve SCENARIO``
child process on 127.0.0.1 whose clock runs ``accelerated:N`` (default star-compute-2800, 150
simulated s per wall s: above the 100x the twin must keep, and what the server's one core can
afford beside the requests):

1. **orders** - closed-loop concurrent ``POST /v1/orders`` (``accelerator_hours``, 2 h, with an
   ``Idempotency-Key``) for ``--seconds``: orders created per second (201s), latency p50/p99.
2. **reads** - concurrent ``GET /v1/orders/{id}`` / ``GET /v1/accounts/{id}`` (45 % each) and
   ``GET /v1/orders?limit=10`` (10 %) for ``--seconds``: reads per second, latency p50/p99.
3. **ingestion** - batched ``POST /v1/usage`` (``accelerator_s`` events of 0.01 s on the orders of
   phase 1, ``--orders-per-batch`` orders in each batch, operator keys, ``--batch`` events per batch) for ``--seconds``: metered events per second; events past
   an order's hold (or on ended orders) are recorded unbilled and counted.
4. **twin** - ``GET /v1/clock`` before and after the phases (and between them): simulated seconds
   advanced per wall second ("x real time"), and how far behind its clock's target the twin fell.

Every customer account gets its own key, and the client paces each key below the server's per-key
rate limit (``service.rate_limit``, 50/s burst 100 by default), so with enough accounts no request
is refused with 429; 429s, other non-2xx answers and transport errors are counted as errors. The
load generator is this one asyncio process: set-up and clock reads go through an httpx client, the
load itself through one HTTP/1.1 keep-alive connection per concurrent worker (:class:`RawHttp`, a
minimal client, because ``httpx.AsyncClient`` costs about 2.4 ms of CPU a request here: it would
spend more than the two cores on 1,500 reads/s; ``--client httpx`` uses it anyway). It runs on the
same machine and competes with the server (and PostgreSQL) for the cores: the CPU each used is
printed per phase, and so is the machine's load from other work just before each server starts.
Latencies are measured by the client and so include its own scheduling. ``lag_s`` of
``GET /v1/clock`` is printed when the server reports it.

This is a benchmark, not a test: it prints a table (and with ``--json`` writes the details) and
passes or fails nothing. The figures of issue "service load" (2 cores: orders >= 300/s, reads >=
1,500/s with p99 <= 50 ms, ingestion >= 10,000 events/s, twin >= 100x real time) are printed for
reference only.

    python benchmarks/service_load.py                       # both databases, about 2.5 min
    python benchmarks/service_load.py --db sqlite --seconds 10
    python benchmarks/service_load.py --scenario three-body-12 --json out.json

PostgreSQL: ``--pg-url`` (default ``$ORBITCLOUD_TEST_PG_URL``, else
postgresql+psycopg://orbitcloud:orbitcloud@127.0.0.1/orbitcloud_test) names a server and a role that
may create databases; the benchmark creates a fresh database there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ADMIN_KEY = "bench-admin-" + secrets.token_hex(24)
DEFAULT_PG = "postgresql+psycopg://orbitcloud:orbitcloud@127.0.0.1/orbitcloud_test"
#: The client paces every key to this (below the server's default 50/s, burst 100).
KEY_RATE_PER_S, KEY_BURST = 45.0, 40.0
#: The server's default body limit of the usage ingestion (``service.max_usage_body_bytes``, 16 MiB).
DEFAULT_MAX_BODY = 16 * 1024 * 1024
#: Events per usage batch unless --batch says otherwise (about 400 kB of JSON).
DEFAULT_BATCH = 5000
TARGETS = "orders >= 300/s; reads >= 1,500/s with p99 <= 50 ms; ingestion >= 10,000 events/s; twin >= 100x real time"


# ---------------------------------------------------------------------------------------------- CPU accounting

_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / _TCK
    except (OSError, IndexError, ValueError):
        return None


def _machine_busy_s() -> float | None:
    """CPU seconds all cores spent busy since boot (Linux /proc/stat), None elsewhere."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + (v[4] if len(v) > 4 else 0)
        return (sum(v[:8]) - idle) / _TCK
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class CpuMark:
    t: float
    server: float | None
    client: float
    machine: float | None

    @classmethod
    def now(cls, server_pid: int) -> CpuMark:
        return cls(time.monotonic(), _proc_cpu_s(server_pid), time.process_time(), _machine_busy_s())

    def since(self, a: CpuMark) -> dict:
        wall = max(self.t - a.t, 1e-9)
        out = {"wall_s": round(wall, 3), "client_cores": round((self.client - a.client) / wall, 2)}
        if self.server is not None and a.server is not None:
            out["server_cores"] = round((self.server - a.server) / wall, 2)
        if self.machine is not None and a.machine is not None:
            out["machine_cores"] = round((self.machine - a.machine) / wall, 2)
            if "server_cores" in out:
                out["other_cores"] = round(max(out["machine_cores"] - out["server_cores"] - out["client_cores"], 0.0), 2)
        return out


# ---------------------------------------------------------------------------------------------- the server

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``orbitcloud serve`` in a child process (as tests/service/conftest.py's LiveServer)."""

    def __init__(self, scenario: str, db_url: str, clock: str, horizon: str, workdir: Path) -> None:
        self.scenario, self.db_url, self.clock, self.horizon, self.workdir = scenario, db_url, clock, horizon, workdir
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "server.log"
        self.proc: subprocess.Popen | None = None
        self.start_s = float("nan")

    def start(self, timeout_s: float = 600.0) -> None:
        env = dict(os.environ, ORBITCLOUD_ADMIN_KEY=ADMIN_KEY)
        cmd = [sys.executable, "-c", "import sys; from orbitcloud.cli import main; sys.exit(main(sys.argv[1:]))", "serve",
               self.scenario, "--db", self.db_url, "--clock", self.clock, "--horizon", self.horizon, "--host", "127.0.0.1",
               "--port", str(self.port)]
        t0 = time.monotonic()
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
        while time.monotonic() - t0 < timeout_s:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.base + "/healthz", timeout=2.0).status_code == 200:
                    self.start_s = time.monotonic() - t0
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not start in {timeout_s:.0f} s:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        return self.proc.returncode

    def log_tail(self, n: int = 40) -> str:
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def log_problems(self, n: int = 30) -> list[str]:
        """Log lines beyond the start banner (errors, tracebacks, warnings)."""
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return []
        keep = [ln for ln in lines if ln.strip() and not ln.startswith("orbitcloud serve:")]
        return keep[:n] + ([f"... {len(keep) - n} more lines"] if len(keep) > n else [])


def _pg_database(admin_url: str) -> tuple[str, callable]:
    """A fresh PostgreSQL database: (its URL, a function that drops it)."""
    import psycopg

    conninfo = admin_url.replace("postgresql+psycopg://", "postgresql://")
    name = "oc_bench_" + secrets.token_hex(5)
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    head = conninfo.rpartition("/")[0]

    def drop() -> None:
        with psycopg.connect(conninfo, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{head}/{name}".replace("postgresql://", "postgresql+psycopg://"), drop


# ---------------------------------------------------------------------------------------------- the client

class KeyPool:
    """Keys used in turn, each paced by a token bucket below the server's per-key limit."""

    def __init__(self, keys: list[str], rate: float = KEY_RATE_PER_S, burst: float = KEY_BURST) -> None:
        self.keys = list(keys)
        self.rate, self.burst = rate, burst
        now = time.monotonic()
        self.b = [[burst, now] for _ in keys]
        self.i = 0
        self.waits = 0

    async def take(self) -> int:
        """Index of a key that may send now (waits when every key is spent)."""
        n = len(self.keys)
        while True:
            now = time.monotonic()
            for j in range(n):
                k = (self.i + j) % n
                b = self.b[k]
                tok = min(self.burst, b[0] + (now - b[1]) * self.rate)
                b[1] = now
                b[0] = tok
                if tok >= 1.0:
                    b[0] = tok - 1.0
                    self.i = k + 1
                    return k
            self.waits += 1
            await asyncio.sleep(0.002)


@dataclass
class Stats:
    ok: int = 0
    lat_ok: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    by_kind: dict = field(default_factory=dict)
    wall_s: float = 0.0
    error_samples: list = field(default_factory=list)

    def record(self, kind: str, status: int | str, lat: float, ok: bool, body: str | None = None) -> None:
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        if ok:
            self.ok += 1
            self.lat_ok.append(lat)
        else:
            key = f"{kind}:{status}"
            self.errors[key] = self.errors.get(key, 0) + 1
            if body is not None and len(self.error_samples) < 5:
                self.error_samples.append(f"{kind} {status}: {body[:300]}")

    def n_errors(self) -> int:
        return sum(self.errors.values())

    def pct_ms(self, q: float) -> float:
        if not self.lat_ok:
            return float("nan")
        s = sorted(self.lat_ok)
        return 1e3 * s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]

    def summary(self) -> dict:
        return {"ok": self.ok, "per_s": round(self.ok / self.wall_s, 1) if self.wall_s else 0.0, "wall_s": round(self.wall_s, 3),
                "p50_ms": round(self.pct_ms(0.50), 2), "p90_ms": round(self.pct_ms(0.90), 2), "p99_ms": round(self.pct_ms(0.99), 2),
                "max_ms": round(1e3 * max(self.lat_ok), 2) if self.lat_ok else None, "errors": dict(self.errors),
                "requests_by_kind": dict(self.by_kind), "error_samples": list(self.error_samples)}


class RawHttp:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: one connection per worker.

    The load generator shares the machine's cores with the server, so its own cost matters: on the
    2-core machine of the issue, ``httpx.AsyncClient`` spends about 2.4 ms of CPU per request (it
    would need more than the two cores to send 1,500 requests/s), threads on ``httpx.Client`` about
    0.6 ms, this about 0.04 ms. ``--client httpx`` uses httpx for the load instead."""

    def __init__(self, host: str, port: int, timeout_s: float = 60.0) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self.conns: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}
        self.connects = 0

    async def _conn(self, w: int):
        c = self.conns.get(w)
        if c is None:
            c = await asyncio.open_connection(self.host, self.port)
            self.conns[w] = c
            self.connects += 1
        return c

    def _drop(self, w: int) -> None:
        c = self.conns.pop(w, None)
        if c is not None:
            c[1].close()

    async def _once(self, w: int, head: bytes, body: bytes) -> tuple[int, bytes]:
        r, wr = await self._conn(w)
        wr.write(head + body)
        await wr.drain()
        status_line = await r.readline()
        if not status_line:
            raise ConnectionResetError("connection closed by the server")
        status = int(status_line.split(None, 2)[1])
        length, chunked, close = 0, False, False
        while True:
            ln = await r.readline()
            if ln in (b"\r\n", b"\n", b""):
                break
            k, _, v = ln.partition(b":")
            k = k.strip().lower()
            if k == b"content-length":
                length = int(v)
            elif k == b"transfer-encoding" and b"chunked" in v.lower():
                chunked = True
            elif k == b"connection" and b"close" in v.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await r.readline()).split(b";")[0], 16)
                if size == 0:
                    await r.readline()
                    break
                parts.append(await r.readexactly(size))
                await r.readline()
            data = b"".join(parts)
        else:
            data = await r.readexactly(length) if length else b""
        if close:
            self._drop(w)
        return status, data

    async def request(self, w: int, method: str, path: str, headers: dict, body: bytes | None) -> tuple[int, bytes]:
        body = body or b""
        hdr = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        if body or method != "GET":
            hdr += f"content-length: {len(body)}\r\n"
        head = f"{method} {path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\n{hdr}\r\n".encode("latin-1")
        try:
            return await asyncio.wait_for(self._once(w, head, body), self.timeout_s)
        except BaseException:
            self._drop(w)
            raise

    def close(self) -> None:
        for w in list(self.conns):
            self._drop(w)


class Requester:
    """The load's requests, on :class:`RawHttp` (default) or on an ``httpx.AsyncClient``."""

    def __init__(self, kind: str, client: httpx.AsyncClient, base: str) -> None:
        self.kind, self.client = kind, client
        hostport = base.split("://", 1)[1]
        host, _, port = hostport.partition(":")
        self.raw = RawHttp(host, int(port)) if kind == "raw" else None

    async def call(self, w: int, method: str, path: str, key: str, body: bytes | None = None,
                   headers: dict | None = None) -> tuple[int | str, float, bytes | None]:
        """(status or error name, latency [s], response body or None)."""
        h = {"authorization": f"Bearer {key}", **(headers or {})}
        if body is not None:
            h.setdefault("content-type", "application/json")
        t0 = time.perf_counter()
        try:
            if self.raw is not None:
                st, data = await self.raw.request(w, method, path, h, body)
            else:
                r = await self.client.request(method, path, headers=h, content=body)
                st, data = r.status_code, r.content
            return st, time.perf_counter() - t0, data
        except (TimeoutError, httpx.TimeoutException):
            return "timeout", time.perf_counter() - t0, None
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError, httpx.TransportError) as exc:
            return type(exc).__name__, time.perf_counter() - t0, None

    def close(self) -> None:
        if self.raw is not None:
            self.raw.close()


def _jbody(d: dict) -> bytes:
    return json.dumps(d, separators=(",", ":")).encode()


def _text(b: bytes | None) -> str | None:
    return None if b is None else b.decode("utf-8", "replace")


async def _admin(client: httpx.AsyncClient, pool: KeyPool, method: str, url: str, body: dict | None = None, tries: int = 20) -> dict:
    """A setup call with the admin key (retried on 429 and transport errors)."""
    for _ in range(tries):
        await pool.take()
        try:
            r = await client.request(method, url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, json=body)
        except httpx.TransportError:
            await asyncio.sleep(0.5)
            continue
        if 200 <= r.status_code < 300:
            return r.json()
        if r.status_code == 429:
            await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
            continue
        raise RuntimeError(f"setup {method} {url}: {r.status_code} {r.text[:500]}")
    raise RuntimeError(f"setup {method} {url}: gave up after {tries} tries")


async def _clock(client) -> dict:
    r = await client.get("/v1/clock", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    r.raise_for_status()
    d = r.json()
    d["_wall"] = time.monotonic()
    return d


def _twin_speed(c0: dict, c1: dict) -> dict:
    wall = c1["_wall"] - c0["_wall"]
    sim = (c1["step"] - c0["step"]) * c0["step_s"]
    out = {"sim_s": sim, "wall_s": round(wall, 3), "x_real_time": round(sim / wall, 1) if wall > 0 else float("nan"),
           "step_from": c0["step"], "step_to": c1["step"], "sim_time_to": c1["sim_time"]}
    if c0.get("speed"):
        out["behind_s"] = round(max(0.0, c0["speed"] * wall - sim), 1)  # of the clock's target over this span
    for k in ("lag_s", "error"):
        if k in c1:
            out[k] = c1[k]
    return out


async def _run_phase(n_workers: int, seconds: float, one) -> float:
    """``one(worker)`` in a closed loop on n_workers tasks for ``seconds``; returns the wall time."""
    stop_at = time.monotonic() + seconds

    async def worker(w: int) -> None:
        while time.monotonic() < stop_at:
            await one(w)

    t0 = time.monotonic()
    await asyncio.gather(*(worker(w) for w in range(n_workers)))
    return time.monotonic() - t0


async def _bench_one(server: Server, a) -> dict:
    limits = httpx.Limits(max_connections=a.clients + 8, max_keepalive_connections=a.clients + 8, keepalive_expiry=30.0)
    res: dict = {}
    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=httpx.Timeout(60.0), http2=False) as client:
        admin_pool = KeyPool([ADMIN_KEY])
        # ------------------------------------------------------------ setup
        t0 = time.monotonic()
        accounts: list[tuple[str, str]] = []
        sem = asyncio.Semaphore(8)

        async def make(i: int) -> None:
            async with sem:
                acc = await _admin(client, admin_pool, "POST", "/v1/accounts", {"name": f"bench-{i:03d}"})
                await _admin(client, admin_pool, "POST", f"/v1/accounts/{acc['id']}/topups", {"credits": 1_000_000})
                accounts.append((acc["id"], acc["api_key"]))

        await asyncio.gather(*(make(i) for i in range(a.accounts)))
        ops = [(await _admin(client, admin_pool, "POST", "/v1/keys", {"role": "operator"}))["api_key"] for _ in range(a.ingest_clients)]
        res["setup_s"] = round(time.monotonic() - t0, 2)
        req = Requester(a.client, client, server.base)
        cust = KeyPool([k for _, k in accounts])
        acc_of = [aid for aid, _ in accounts]
        orders_of: list[list[str]] = [[] for _ in accounts]
        all_orders: list[str] = []
        pid = server.proc.pid
        clocks = [await _clock(client)]
        phases: dict = {}

        # ------------------------------------------------------------ phase 1: orders
        st1 = Stats()
        order_body = _jbody({"product": "accelerator_hours", "quantity": 2})

        async def order(w: int) -> None:
            k = await cust.take()
            st, lat, data = await req.call(w, "POST", "/v1/orders", cust.keys[k], order_body, {"idempotency-key": str(uuid.uuid4())})
            ok = st == 201
            if ok:
                oid = json.loads(data)["id"]
                orders_of[k].append(oid)
                all_orders.append(oid)
            st1.record("POST /v1/orders", st, lat, ok, None if ok else _text(data))

        w0, m0 = cust.waits, CpuMark.now(pid)
        st1.wall_s = await _run_phase(a.clients, a.seconds, order)
        phases["orders"] = {**st1.summary(), "cpu": CpuMark.now(pid).since(m0), "key_pacing_waits": cust.waits - w0}
        clocks.append(await _clock(client))
        phases["orders"]["twin"] = _twin_speed(clocks[-2], clocks[-1])

        # ------------------------------------------------------------ phase 2: reads
        st2 = Stats()
        rnd = random.Random(1)

        async def read(w: int) -> None:
            k = await cust.take()
            x = rnd.random()
            if x < 0.45 and orders_of[k]:
                kind, url = "GET /v1/orders/{id}", f"/v1/orders/{rnd.choice(orders_of[k])}"
            elif x < 0.90:
                kind, url = "GET /v1/accounts/{id}", f"/v1/accounts/{acc_of[k]}"
            else:
                kind, url = "GET /v1/orders?limit=10", "/v1/orders?limit=10"
            st, lat, data = await req.call(w, "GET", url, cust.keys[k])
            ok = st == 200
            st2.record(kind, st, lat, ok, None if ok else _text(data))

        w0, m0 = cust.waits, CpuMark.now(pid)
        st2.wall_s = await _run_phase(a.clients, a.seconds, read)
        phases["reads"] = {**st2.summary(), "cpu": CpuMark.now(pid).since(m0), "key_pacing_waits": cust.waits - w0}
        clocks.append(await _clock(client))
        phases["reads"]["twin"] = _twin_speed(clocks[-2], clocks[-1])

        # ------------------------------------------------------------ phase 3: usage ingestion
        st3 = Stats()
        opool = KeyPool(ops)
        ing = {"events": 0, "charged_credits": 0.0, "unbilled": 0, "batch": 0, "batch_bytes": 0, "orders_per_batch": 0}
        if all_orders:
            batch = a.batch or _fit_batch(all_orders, a.max_body)
            ing["batch"] = batch
            cursor = [0]
            per = max(1, min(a.orders_per_batch, len(all_orders), batch))
            ing["orders_per_batch"] = per

            def make_body() -> bytes:
                # ``per`` consecutive orders of phase 1 (rotating), their events interleaved
                i = cursor[0]
                cursor[0] += per
                evs = [{"order_id": all_orders[(i + j % per) % len(all_orders)], "metric": "accelerator_s", "quantity": 0.01}
                       for j in range(batch)]
                return json.dumps({"events": evs}, separators=(",", ":")).encode()

            async def ingest(w: int) -> None:
                k = await opool.take()
                body = make_body()
                ing["batch_bytes"] = max(ing["batch_bytes"], len(body))
                st, lat, data = await req.call(w, "POST", "/v1/usage", opool.keys[k], body, {"idempotency-key": str(uuid.uuid4())})
                ok = st == 201
                if ok:
                    d = json.loads(data)
                    ing["events"] += int(d["accepted"])
                    ing["charged_credits"] += float(d["charged_credits"])
                    ing["unbilled"] += int(d["unbilled"])
                st3.record("POST /v1/usage", st, lat, ok, None if ok else _text(data))

            m0 = CpuMark.now(pid)
            st3.wall_s = await _run_phase(a.ingest_clients, a.seconds, ingest)
            cpu3 = CpuMark.now(pid).since(m0)
        else:
            cpu3 = {}
        s3 = st3.summary()
        s3.update({"batches_per_s": s3.pop("per_s"), "events": ing["events"],
                   "events_per_s": round(ing["events"] / st3.wall_s, 1) if st3.wall_s else 0.0, "batch_events": ing["batch"],
                   "batch_bytes": ing["batch_bytes"], "orders_per_batch": ing["orders_per_batch"], "unbilled": ing["unbilled"],
                   "charged_credits": round(ing["charged_credits"], 6),
                   "cpu": cpu3, "skipped": None if all_orders else "no orders from phase 1"})
        phases["ingestion"] = s3
        clocks.append(await _clock(client))
        phases["ingestion"]["twin"] = _twin_speed(clocks[-2], clocks[-1])

        res["phases"] = phases
        res["twin"] = _twin_speed(clocks[0], clocks[-1])
        res["twin"]["min_phase_x_real_time"] = min(p["twin"]["x_real_time"] for p in phases.values())
        res["orders_created"] = len(all_orders)
        res["accounts"] = len(accounts)
        res["client"] = a.client
        if req.raw is not None:
            res["client_connects"] = req.raw.connects
        req.close()
    return res


def _fit_batch(order_ids: list[str], max_body: int) -> int:
    """The most events per batch whose JSON body fits in ``max_body`` bytes (a little margin)."""
    longest = max(order_ids, key=len)
    one = len(json.dumps({"order_id": longest, "metric": "accelerator_s", "quantity": 0.01}, separators=(",", ":"))) + 1
    return max(1, min(100_000, (max_body - 64) // one))


# ---------------------------------------------------------------------------------------------- driver

def _auto_horizon(clock: str, seconds: float) -> str:
    m = re.fullmatch(r"accelerated:([0-9.eE+]+)", clock.strip().lower())
    speed = float(m.group(1)) if m else 1.0
    wall = 3 * seconds + 240.0  # three phases, setup, start and a margin
    return f"{max(24, math.ceil(speed * wall / 3600.0))}h"


def _background_cores(span_s: float = 2.0) -> float | None:
    """Cores busy on the machine over ``span_s`` before a run (other work that will compete)."""
    b0, t0 = _machine_busy_s(), time.monotonic()
    time.sleep(span_s)
    b1 = _machine_busy_s()
    return None if b0 is None or b1 is None else round((b1 - b0) / (time.monotonic() - t0), 2)


def run_db(kind: str, a, workdir: Path) -> dict:
    drop = None
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'service.db'}"
    else:
        url, drop = _pg_database(a.pg_url)
    server = Server(a.scenario, url, a.clock, a.horizon, workdir)
    out: dict = {"db": kind, "background_cores": _background_cores()}
    try:
        print(f"[{kind}] starting orbitcloud serve {a.scenario} --clock {a.clock} --horizon {a.horizon} ...", flush=True)
        server.start()
        out["server_start_s"] = round(server.start_s, 2)
        print(f"[{kind}] up in {server.start_s:.1f} s; {a.accounts} accounts, {a.clients} clients, {a.seconds:g} s per phase", flush=True)
        out.update(asyncio.run(_bench_one(server, a)))
        out["server_alive_after"] = server.alive()
    except Exception as exc:  # noqa: BLE001 - a benchmark reports what went wrong and goes on
        out["failure"] = f"{type(exc).__name__}: {exc}"[:2000]
        out["server_alive_after"] = server.alive()
    finally:
        rc = server.stop()
        out["server_exit"] = rc
        out["server_log"] = server.log_problems()
        if drop is not None:
            try:
                drop()
            except Exception as exc:  # noqa: BLE001
                out["drop_failure"] = str(exc)
    return out


def _fmt(v, spec: str) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return format(v, spec)


def print_table(results: list[dict], a) -> None:
    hdr = ("db", "orders/s", "order p50/p99 ms", "reads/s", "read p50/p99 ms", "events/s", "twin x RT", "errors")
    rows = []
    for r in results:
        if "phases" not in r:
            rows.append((r["db"], "-", "-", "-", "-", "-", "-", "FAILED"))
            continue
        o, rd, ing = r["phases"]["orders"], r["phases"]["reads"], r["phases"]["ingestion"]
        errs = o["errors"] | rd["errors"] | ing["errors"]
        rows.append((r["db"], _fmt(o["per_s"], ".0f"), f"{_fmt(o['p50_ms'], '.1f')} / {_fmt(o['p99_ms'], '.1f')}", _fmt(rd["per_s"], ".0f"),
                     f"{_fmt(rd['p50_ms'], '.1f')} / {_fmt(rd['p99_ms'], '.1f')}", _fmt(ing["events_per_s"], ",.0f"),
                     f"{_fmt(r['twin']['x_real_time'], '.0f')}x (min {_fmt(r['twin']['min_phase_x_real_time'], '.0f')})",
                     str(sum(errs.values()))))
    w = [max(len(h), *(len(x[i]) for x in rows)) for i, h in enumerate(hdr)]

    def line(cells) -> str:
        return "  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(cells))

    print()
    print(line(hdr))
    print(line(["-" * x for x in w]))
    for x in rows:
        print(line(x))
    print()
    print(f"targets of the issue (reference only, no pass/fail): {TARGETS}")
    for r in results:
        print(f"\n[{r['db']}]")
        if "failure" in r:
            print(f"  FAILED: {r['failure']}")
        if "phases" in r:
            print(f"  server start {r.get('server_start_s', float('nan')):.1f} s; setup {r['setup_s']:.1f} s; "
                  f"{r['orders_created']} orders created; {r['accounts']} accounts; "
                  f"{_fmt(r.get('background_cores'), '.2f')} cores busy with other work just before the server started")
            for name, p in r["phases"].items():
                c = p.get("cpu") or {}
                cpu = ", ".join(f"{k[:-6]} {v:.2f}" for k, v in c.items() if k.endswith("_cores"))
                tw = p["twin"]
                extra = ""
                if name == "ingestion":
                    extra = (f"; {p['events']:,} events in batches of {p['batch_events']} ({p['batch_bytes']:,} B, {p['orders_per_batch']} orders each), "
                             f"{p['batches_per_s']:.1f} batches/s, p50/p99 {_fmt(p['p50_ms'], '.0f')}/{_fmt(p['p99_ms'], '.0f')} ms, "
                             f"{p['unbilled']:,} unbilled")
                print(f"  {name:9s}: cores used [{cpu}]; twin {_fmt(tw['x_real_time'], '.0f')}x real time"
                      f" (behind its clock by {tw.get('behind_s', 0):.0f} s over the phase){extra}")
                if p["errors"]:
                    print(f"             errors: {p['errors']}")
                for s in p.get("error_samples", [])[:3]:
                    print(f"             e.g. {s}")
                if p.get("key_pacing_waits"):
                    print(f"             the client waited {p['key_pacing_waits']} times for a key under the rate limit "
                          f"(more --accounts would lift the cap of {KEY_RATE_PER_S:g}/s per key)")
            tw = r["twin"]
            print(f"  twin over the run: {tw['sim_s']:.0f} simulated s in {tw['wall_s']:.1f} wall s = {tw['x_real_time']:.0f}x real time "
                  f"(clock {a.clock}); now {tw['sim_time_to']}" + (f"; lag_s {tw['lag_s']}" if "lag_s" in tw else ""))
        if not r.get("server_alive_after", True) or r.get("server_exit") not in (0, -15, None):
            print(f"  server exit status {r.get('server_exit')} (alive at the end: {r.get('server_alive_after')})")
        if r.get("server_log"):
            print("  server log:")
            for ln in r["server_log"]:
                print(f"    {ln}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--scenario", default="star-compute-2800")
    ap.add_argument("--clock", default="accelerated:150", help="the server's --clock (default accelerated:150: the twin must keep >= 100x)")
    ap.add_argument("--horizon", default=None, help="the server's --horizon (default: long enough for the run at the clock's speed)")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each phase (default 20)")
    ap.add_argument("--clients", type=int, default=16, help="concurrent requests in the orders and reads phases (default 16)")
    ap.add_argument("--ingest-clients", type=int, default=4, help="concurrent usage batches (default 4)")
    ap.add_argument("--client", choices=("raw", "httpx"), default="raw",
                    help="load generator: raw (asyncio HTTP/1.1 keep-alive, cheap) or httpx (httpx.AsyncClient); default raw")
    ap.add_argument("--accounts", type=int, default=64, help=f"customer accounts, one key each, each paced to {KEY_RATE_PER_S:g}/s (default 64)")
    ap.add_argument("--batch", type=int, default=DEFAULT_BATCH, help=f"events per usage batch (default {DEFAULT_BATCH}; 0: as many as fit in --max-body)")
    ap.add_argument("--orders-per-batch", type=int, default=100,
                    help="distinct orders in each usage batch (default 100; the server posts one capture per order per batch)")
    ap.add_argument("--max-body", type=int, default=DEFAULT_MAX_BODY, help="the server's service.max_usage_body_bytes (default 16 MiB)")
    ap.add_argument("--pg-url", default=os.environ.get("ORBITCLOUD_TEST_PG_URL") or DEFAULT_PG)
    ap.add_argument("--json", metavar="OUT", help="write the full results here")
    a = ap.parse_args(argv)
    a.horizon = a.horizon or _auto_horizon(a.clock, a.seconds)
    kinds = ["sqlite", "postgresql"] if a.db == "both" else [a.db]
    machine = {"cpu_count": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
               "platform": platform.platform(), "python": platform.python_version(), "processor": platform.processor() or platform.machine()}
    print(f"machine: {machine['cpu_count']} CPUs ({machine['affinity']} usable), {machine['platform']}, Python {machine['python']}")
    print("the load generator (this process) runs on the same cores as the server and the database; 'cores used' per phase:\n"
          "  client = this process, server = orbitcloud serve, other = the rest of the machine (PostgreSQL's backends and\n"
          "  anything else running: figures taken while other work is busy understate the service)")
    results = []
    for kind in kinds:
        workdir = Path(tempfile.mkdtemp(prefix=f"oc-bench-{kind}-"))
        try:
            results.append(run_db(kind, a, workdir))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    print_table(results, a)
    if a.json:
        Path(a.json).write_text(json.dumps({"machine": machine, "options": vars(a), "targets": TARGETS, "results": results}, indent=2))
        print(f"\nwrote {a.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
