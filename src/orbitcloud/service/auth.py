"""API keys, roles and the per-key rate limit.

Keys are 32 random bytes from the OS CSPRNG (``secrets.token_urlsafe(32)``, prefixed ``ock_``), shown
once and stored only as their SHA-256 (a key of 256 random bits needs no slow hash: there is nothing
to brute-force; OWASP's password-storage guidance applies to low-entropy secrets). Lookup is by the
hash's index and the match is confirmed with :func:`hmac.compare_digest` (constant time). Roles:
``admin`` (everything), ``operator`` (the fleet, the clock, all orders and usage, usage ingestion;
no money), ``customer`` (its own account's objects only).

Rate limit: a token bucket per key (``service.rate_limit``: ``per_s`` refill, ``burst`` size), in the
process's memory; a request without a token gets 429 with ``Retry-After`` in whole seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import insert, select

from orbitcloud.service import db as T
from orbitcloud.service.ledger import new_id, now_iso

ROLES = ("admin", "operator", "customer")
KEY_PREFIX = "ock_"


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, role and (customers) account."""

    key_id: str
    role: str
    account_id: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def staff(self) -> bool:
        return self.role in ("admin", "operator")


def create_key(conn, role: str, account_id: str | None, key: str | None = None) -> tuple[str, str]:
    """Store a new key (its hash); returns (key id, the key itself)."""
    key = key or new_key()
    kid = new_id("key")
    conn.execute(insert(T.api_keys).values(id=kid, account_id=account_id, role=role, key_hash=key_hash(key), created_at=now_iso()))
    return kid, key


class KeyCache:
    """Looks keys up by hash, remembering answers for a short time (revocation clears it)."""

    def __init__(self, db, ttl_s: float = 5.0) -> None:
        self.db = db
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def lookup(self, key: str) -> Principal | None:
        h = key_hash(key)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(h)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        with self.db.read() as conn:
            row = conn.execute(select(T.api_keys).where(T.api_keys.c.key_hash == h)).first()
        p = None
        if row is not None and row.revoked_at is None and hmac.compare_digest(row.key_hash, h):
            p = Principal(row.id, row.role, row.account_id)
        with self._lock:
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[h] = (now, p)
        return p

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()


class RateLimiter:
    """Token buckets per key id (see the module docstring)."""

    def __init__(self, per_s: float, burst: float) -> None:
        self.per_s, self.burst = float(per_s), float(burst)
        self._b: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str) -> float:
        """0 when the request may go; else the seconds until a token is there."""
        now = time.monotonic()
        with self._lock:
            b = self._b.get(key_id)
            if b is None:
                b = self._b[key_id] = [self.burst, now]
            tokens = min(self.burst, b[0] + (now - b[1]) * self.per_s)
            b[1] = now
            if tokens >= 1.0:
                b[0] = tokens - 1.0
                return 0.0
            b[0] = tokens
            return (1.0 - tokens) / self.per_s


def retry_after_header(wait_s: float) -> str:
    return str(max(1, math.ceil(wait_s)))
