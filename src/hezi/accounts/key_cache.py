"""API keys resolved without a database query on the hot path, and still revoked at once on every server.

Each server process keeps the principals of the keys it has seen recently (keyed by the key's sha256, for at most
`ttl` seconds, at most `max_entries`), and listens on one dedicated PostgreSQL connection for `NOTIFY hezi_principals`.
Whatever can make a cached principal wrong — a key revoked, a user changed or disabled, a member re-roled or removed,
a workspace deleted — calls `announce(db, …)` in the transaction that makes the change; PostgreSQL delivers the
notification to every listening server when that transaction commits, and each drops the entries it names.

The cache is only trusted while the listener is connected: when the connection drops, every entry is dropped and
each request looks its key up in the database again until the listener is back. Before trusting an entry the cache
reads whatever notifications have already reached its socket (one non-blocking recv), so a notification that
arrived while the event loop was busy is applied before the request it should refuse, not after.
See docs/decisions/0019-api-key-cache-listen-notify.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import psycopg
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.accounts import tokens
from hezi.accounts.auth import LAST_USED_RESOLUTION, KeyGrant, resolve_key
from hezi.accounts.principal import Principal
from hezi.db.base import utcnow
from hezi.db.tables import ApiKey
from hezi.db.urls import libpq_url

log = logging.getLogger(__name__)

CHANNEL = "hezi_principals"
# PostgreSQL refuses payloads of 8000 bytes or more; a change naming more than fits empties every cache.
_MAX_PAYLOAD = 7000
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


async def announce(
    db: AsyncSession,
    *,
    keys: Iterable[uuid.UUID] = (),
    users: Iterable[uuid.UUID] = (),
    workspaces: Iterable[uuid.UUID] = (),
    apps: Iterable[uuid.UUID] = (),
) -> None:
    """Tell every server, when the caller's transaction commits, to forget the principals of these keys, users
    (every key they own), workspaces (every key in them) and apps (their keys). Nothing is sent on rollback."""
    words = [f"k:{k}" for k in keys] + [f"u:{u}" for u in users]
    words += [f"w:{w}" for w in workspaces] + [f"a:{a}" for a in apps]
    if not words:
        return
    payload = " ".join(words)
    await db.execute(_NOTIFY, {"channel": CHANNEL, "payload": payload if len(payload) <= _MAX_PAYLOAD else "*"})


@dataclass
class _Entry:
    grant: KeyGrant
    cached_until: float  # time.monotonic()
    last_used_at: datetime


class KeyCache:
    """`authenticate(token)` for API keys: from memory while the listener is up, else from the database."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        database_url: str | None,
        *,
        ttl: float = 30.0,
        max_entries: int = 10_000,
        clock: Callable[[], datetime] = utcnow,
        reconnect_delays: tuple[float, float] = (0.2, 5.0),
    ) -> None:
        self.sessionmaker = sessionmaker
        self.database_url = libpq_url(database_url) if database_url else None
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self.reconnect_delays = reconnect_delays
        self._entries: dict[str, _Entry] = {}
        self._generation = 0  # moves on every notification and every change of the listener's state
        self._conn: psycopg.AsyncConnection[object] | None = None  # set only while LISTEN is in force
        self._fd: int | None = None
        self._lost = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._touches: set[asyncio.Task[None]] = set()
        self.hits = self.misses = self.notifications = self.dropped = self.reconnects = 0

    @property
    def enabled(self) -> bool:
        return self.database_url is not None and self.ttl > 0 and self.max_entries > 0

    @property
    def listening(self) -> bool:
        """Whether cached principals may be used: the listener is connected and LISTENing."""
        return self._conn is not None

    @property
    def listener_pid(self) -> int | None:
        """The PostgreSQL backend of the listening connection (pg_stat_activity.pid), while there is one."""
        return self._conn.info.backend_pid if self._conn is not None else None

    def __len__(self) -> int:
        return len(self._entries)

    # --- lifecycle (open_services) ---

    def start(self) -> None:
        if self.enabled and self._runner is None:
            self._runner = asyncio.create_task(self._listen_forever(), name="hezi-key-cache-listener")

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
        for task in list(self._touches):
            task.cancel()
        for task in list(self._touches):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- the hot path ---

    async def authenticate(self, token: str) -> Principal:
        """The principal of an API key, or NotAuthenticated (unknown, revoked, expired, owner disabled or gone)."""
        digest = tokens.digest(token)
        now = self.clock()
        entry = self._fresh(digest, now)
        if entry is not None:
            self.hits += 1
            if now - entry.last_used_at > LAST_USED_RESOLUTION:
                entry.last_used_at = now
                self._touch(entry.grant.key_id, now)
            return entry.grant.principal
        self.misses += 1
        generation = self._generation  # taken before the read: a change announced meanwhile keeps it out
        async with self.sessionmaker() as db:
            grant = await resolve_key(db, token, now)
        self._put(digest, grant, generation)
        return grant.principal

    def _fresh(self, digest: str, now: datetime) -> _Entry | None:
        if self._conn is None:
            return None
        self._poll()  # notifications already on the socket are applied before the entry is trusted
        entry = self._entries.get(digest)
        if entry is None:
            return None
        expires_at = entry.grant.expires_at
        if entry.cached_until <= time.monotonic() or (expires_at is not None and expires_at <= now):
            del self._entries[digest]  # the database says why (expired) or renews it
            return None
        return entry

    def _put(self, digest: str, grant: KeyGrant, generation: int) -> None:
        if self._conn is None or generation != self._generation:
            return
        if len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]  # the oldest
        self._entries[digest] = _Entry(grant, time.monotonic() + self.ttl, grant.last_used_at)

    def _touch(self, key_id: uuid.UUID, now: datetime) -> None:
        """Note a cached key's use (once a minute) off the request path."""
        task = asyncio.create_task(self._write_last_used(key_id, now), name="hezi-key-last-used")
        self._touches.add(task)
        task.add_done_callback(self._touches.discard)

    async def _write_last_used(self, key_id: uuid.UUID, now: datetime) -> None:
        try:
            async with self.sessionmaker() as db:
                await db.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
                await db.commit()
        except Exception:  # a missed last_used_at must never fail anything
            log.warning("could not note the use of API key %s", key_id, exc_info=True)

    # --- invalidation ---

    def _apply(self, payload: str) -> None:
        self.notifications += 1
        self._generation += 1
        words = set(payload.split())
        if "*" in words:
            self.dropped += len(self._entries)
            self._entries.clear()
            return
        stale = [digest for digest, entry in self._entries.items() if words & set(_names(entry.grant))]
        for digest in stale:
            del self._entries[digest]
        self.dropped += len(stale)

    def _forget_all(self) -> None:
        self._generation += 1
        self._entries.clear()

    # --- the listener: one connection, LISTEN, its socket watched by the event loop ---

    async def _listen_forever(self) -> None:
        assert self.database_url is not None
        first, longest = self.reconnect_delays
        delay = first
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self.database_url, autocommit=True, application_name="hezi key cache", keepalives=1,
                    keepalives_idle=30, keepalives_interval=10, keepalives_count=3,
                )  # fmt: skip
            except (psycopg.Error, OSError) as exc:
                log.warning("API key cache: cannot connect its listener (%s); keys are looked up each request", exc)
            else:
                try:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._attach(conn)
                    delay = first
                    await self._lost.wait()
                    log.warning("API key cache: listener connection lost; keys are looked up each request")
                except (psycopg.Error, OSError) as exc:
                    log.warning("API key cache: listener failed (%s); keys are looked up each request", exc)
                finally:
                    self._detach()
                    with contextlib.suppress(psycopg.Error, OSError):
                        await conn.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)

    def _attach(self, conn: psycopg.AsyncConnection[object]) -> None:
        self._lost = asyncio.Event()
        self._forget_all()  # whatever was announced while nobody listened is unknown: start empty
        self._fd = conn.pgconn.socket
        asyncio.get_running_loop().add_reader(self._fd, self._poll)
        self._conn = conn
        self.reconnects += 1

    def _detach(self) -> None:
        """Stop trusting entries (at once, from any callback) and stop watching the socket."""
        self._conn = None
        self._forget_all()
        if self._fd is not None:
            with contextlib.suppress(OSError, ValueError, RuntimeError):
                asyncio.get_running_loop().remove_reader(self._fd)
            self._fd = None
        self._lost.set()

    def _poll(self) -> None:
        """Apply every notification that has reached the listener's socket. Never blocks: libpq keeps its socket
        non-blocking. A broken connection stops the cache at once, before the listener task gets to run."""
        conn = self._conn
        if conn is None:
            return
        pgconn = conn.pgconn
        try:
            pgconn.consume_input()
            while (note := pgconn.notifies()) is not None:
                self._apply(note.extra.decode())
            broken = pgconn.status != psycopg.pq.ConnStatus.OK
        except (psycopg.Error, OSError):
            broken = True
        if broken:
            self._detach()


def _names(grant: KeyGrant) -> Iterator[str]:
    """The words of a notification that name this entry."""
    yield f"k:{grant.key_id}"
    yield f"u:{grant.user_id}"
    yield f"w:{grant.workspace_id}"
    if grant.app_id is not None:
        yield f"a:{grant.app_id}"


class KeyCacheCollector(Collector):
    """The cache's state for Prometheus: whether it is listening, its size, hits, misses and notifications."""

    def __init__(self, cache: KeyCache) -> None:
        self.cache = cache

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        c = self.cache
        yield GaugeMetricFamily(
            "hezi_api_key_cache_listening", "1 while cached API keys may be used (the listener is connected)",
            value=1 if c.listening else 0,
        )  # fmt: skip
        yield GaugeMetricFamily("hezi_api_key_cache_entries", "API keys held in the cache", value=len(c))
        yield CounterMetricFamily("hezi_api_key_cache_hits", "API keys resolved from the cache", value=c.hits)
        yield CounterMetricFamily("hezi_api_key_cache_misses", "API keys looked up in the database", value=c.misses)
        yield CounterMetricFamily(
            "hezi_api_key_cache_notifications", "changes announced by any server", value=c.notifications
        )
