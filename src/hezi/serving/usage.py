"""Usage metering: one row per gateway request, and totals per key, user, model and day."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Date, cast, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.accounts import rate_limit
from hezi.accounts.principal import Caller
from hezi.accounts.roles import Role
from hezi.accounts.workspaces import WorkspaceService
from hezi.db.base import utcnow
from hezi.db.tables import ApiKey, UsageRecord, User

log = logging.getLogger(__name__)

GroupBy = Literal["model", "user", "api_key", "day", "endpoint"]


class UsageRow(BaseModel):
    key: str | None
    label: str | None
    requests: int
    prompt_tokens: int
    completion_tokens: int
    mean_latency_ms: float


class UsageTotals(BaseModel):
    group_by: str
    days: int
    data: list[UsageRow]


@dataclass(frozen=True)
class Attribution:
    """Whom a model call is metered to: the workspace, and the user, key, app, conversation or run behind it."""

    workspace_id: uuid.UUID | None
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    app_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = None
    run_id: uuid.UUID | None = None
    # Whether the key or app has a tokens-per-day limit: only then are its tokens charged (one write less a call).
    token_limited: bool = False


@dataclass
class Usage:
    workspace_id: uuid.UUID | None
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    model: str
    endpoint: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    ttft_ms: int | None = None
    status: str = "ok"
    app_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = None
    run_id: uuid.UUID | None = None
    token_limited: bool = False  # not stored: see Attribution

    @classmethod
    def of(cls, who: Attribution, model: str, endpoint: str) -> Usage:
        return cls(
            workspace_id=who.workspace_id, user_id=who.user_id, api_key_id=who.api_key_id, model=model,
            endpoint=endpoint, app_id=who.app_id, conversation_id=who.conversation_id, run_id=who.run_id,
            token_limited=who.token_limited,
        )  # fmt: skip

    def values(self, at: datetime) -> dict[str, Any]:
        """The usage_records row, as values to insert."""
        return {"at": at, **{k: v for k, v in self.__dict__.items() if k != "token_limited"}}


class UsageMeter:
    """Writes usage rows off the request path, so a stream's end never waits on the database.

    One writer task inserts whatever has piled up in one statement: a burst of a thousand finished streams costs a
    few inserts on one connection, not a thousand connections fighting over the pool. It lets rows gather for up to
    `linger` seconds first, so that steady traffic costs one write per interval rather than one per request (a
    transaction is a few milliseconds of this process's CPU) — except when a row charges a daily token quota, which
    must count at once, or when someone waits in `flush`.
    """

    BATCH = 500

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        observe: Callable[[Usage], None] | None = None,
        *,
        linger: float = 0.5,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.observe = observe  # e.g. the Prometheus metrics
        self.linger = linger
        self._queue: list[tuple[Usage, datetime]] = []  # each with when it ended: rows wait up to `linger`
        self._wake = asyncio.Event()
        self._hurry = asyncio.Event()  # stop lingering: a quota to charge, a full batch, or a flush
        self._writer: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    def record(self, usage: Usage) -> None:
        if self.observe is not None:
            self.observe(usage)
        self._queue.append((usage, utcnow()))
        self._idle.clear()
        self._wake.set()
        if usage.token_limited or len(self._queue) >= self.BATCH:
            self._hurry.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop(), name="hezi-usage-writer")

    async def _write_loop(self) -> None:
        while True:
            if not self._queue:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            if self.linger > 0 and not self._hurry.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.linger):
                        await self._hurry.wait()
            self._hurry.clear()
            batch, self._queue = self._queue[: self.BATCH], self._queue[self.BATCH :]
            try:
                async with self.sessionmaker() as db:
                    await db.execute(insert(UsageRecord), [u.values(at) for u, at in batch])
                    # Tokens count against the keys' and apps' daily limits in the same transaction as the rows.
                    await rate_limit.charge_usage(db, _spent([u for u, _ in batch]), utcnow())
                    await db.commit()
            except Exception:  # metering must never break serving; the failure is logged
                log.exception("could not record usage for %d requests", len(batch))

    async def flush(self) -> None:
        """Wait until every recorded row is written (tests, and shutdown)."""
        while self._writer is not None and not self._writer.done() and not self._idle.is_set():
            self._hurry.set()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.05):  # rows recorded meanwhile must not linger either
                    await self._idle.wait()

    async def close(self) -> None:
        await self.flush()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer


def _spent(batch: list[Usage]) -> Counter[str]:
    spent: Counter[str] = Counter()
    for u in batch:
        tokens = u.prompt_tokens + u.completion_tokens if u.token_limited else 0
        if tokens and u.api_key_id is not None:
            spent[rate_limit.key_subject(u.api_key_id)] += tokens
        if tokens and u.app_id is not None:
            spent[rate_limit.app_subject(u.app_id)] += tokens
    return spent


async def totals(
    db: AsyncSession,
    workspace_id: uuid.UUID,
    group_by: GroupBy,
    *,
    days: int = 30,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Requests, tokens and mean latency per group over the last `days`, largest first."""
    since = (now or utcnow()) - timedelta(days=days)
    key: Any
    label: Any
    query = select()
    if group_by == "model":
        key = label = UsageRecord.model
    elif group_by == "endpoint":  # chat, completion, embedding, or knowledge (hezi's own embeddings)
        key = label = UsageRecord.endpoint
    elif group_by == "day":
        key = label = cast(UsageRecord.at, Date)
    elif group_by == "user":
        key, label = UsageRecord.user_id, func.coalesce(func.max(User.username), "")
        query = query.outerjoin(User, User.id == UsageRecord.user_id)
    else:
        key, label = UsageRecord.api_key_id, func.coalesce(func.max(ApiKey.name), "")
        query = query.outerjoin(ApiKey, ApiKey.id == UsageRecord.api_key_id)
    query = (
        query.add_columns(
            key,
            label,
            func.count(),
            func.sum(UsageRecord.prompt_tokens),
            func.sum(UsageRecord.completion_tokens),
            func.avg(UsageRecord.latency_ms),
        )
        .select_from(UsageRecord)
        .where(UsageRecord.workspace_id == workspace_id, UsageRecord.at >= since)
        .group_by(key)
        .order_by(func.count().desc())
    )
    rows = (await db.execute(query)).all()
    return [
        {
            "key": str(k) if k is not None else None,
            "label": str(lbl) if lbl is not None else None,
            "requests": int(n),
            "prompt_tokens": int(p or 0),
            "completion_tokens": int(c or 0),
            "mean_latency_ms": round(float(lat or 0), 1),
        }
        for k, lbl, n, p, c, lat in rows
    ]


class UsageReader:
    """Usage totals of a workspace, for its owners and admins."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def totals(self, caller: Caller, workspace_id: uuid.UUID, group_by: GroupBy, days: int) -> UsageTotals:
        acc = await WorkspaceService(self.db).access(caller, workspace_id)
        acc.require(Role.ADMIN, "see usage")
        rows = await totals(self.db, workspace_id, group_by, days=days)
        return UsageTotals(group_by=group_by, days=days, data=[UsageRow(**r) for r in rows])
