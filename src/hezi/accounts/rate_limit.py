"""Rate limits that hold across every server sharing the database: requests per minute and tokens per day.

Requests per minute use a sliding window estimated from two fixed one-minute counters (the previous minute's count,
weighted by how much of it still lies within the last 60 seconds, plus this minute's): one row per subject and
minute, counted with one atomic upsert per request that counts only what it admits. Tokens per day are a quota per
UTC day, read before a request and charged after it ends (when its usage is known), so the request that crosses the
quota finishes and the next one is refused. See docs/decisions/0011-app-keys-visitors-rate-limits.md.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.accounts.errors import RateLimited
from hezi.accounts.principal import Principal, RateLimits
from hezi.db.base import utcnow
from hezi.db.tables import RateCounter

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
# Counters older than this are of no use to any limit (the previous minute, today).
KEEP = timedelta(days=2)
_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}
# Float rounding must not refuse a request that arrives exactly when Retry-After said it could.
_SLACK = 1e-6


def key_subject(key_id: uuid.UUID) -> str:
    return f"key:{key_id}"


def app_subject(app_id: uuid.UUID) -> str:
    return f"app:{app_id}"


def minute_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def carried_weight(now: datetime) -> float:
    """How much of the previous minute still lies within the 60 seconds before `now`."""
    return 1.0 - (now - minute_start(now)).total_seconds() / MINUTE.total_seconds()


def rpm_retry_after(previous: int, current: int, limit: int, now: datetime) -> float:
    """Seconds until one more request fits under `limit`, if no other arrives meanwhile."""
    window = MINUTE.total_seconds()
    elapsed = (now - minute_start(now)).total_seconds()
    room = limit - current - 1
    if room >= 0:
        if previous <= room:  # it fits now (a race with a request that has since left the window)
            return 0.0
        # previous * (1 - f) + current + 1 <= limit  ⇔  f >= 1 - room / previous, later in this minute
        return max(0.0, (1.0 - room / previous) * window - elapsed)
    # Not this minute: in the next one, `current` is carried: current * (1 - f) + 1 <= limit.
    fraction = max(0.0, 1.0 - (limit - 1) / current) if current > 0 else 0.0
    return (window - elapsed) + fraction * window


def retry_seconds(seconds: float) -> int:
    """A Retry-After value: whole seconds, at least one."""
    return max(1, math.ceil(seconds - _SLACK))


# Counts the request if the sliding estimate stays within the limit and today's tokens are under their quota; no row
# comes back when it does not. ON CONFLICT's WHERE sees the latest committed count, so concurrent requests on any
# server serialise on the one row and never admit more than the limit between them.
_ADMIT = text(
    """
    WITH prior AS (
        SELECT coalesce((SELECT count FROM rate_counters WHERE subject = :rpm_subject AND window_start = :previous), 0)
                   * CAST(:weight AS double precision) AS carried,
               coalesce((SELECT count FROM rate_counters WHERE subject = :tpd_subject AND window_start = :day), 0)
                   AS tokens
    )
    INSERT INTO rate_counters AS c (subject, window_start, count)
    SELECT :rpm_subject, :minute, 1 FROM prior
    WHERE prior.carried + 1 <= :rpm_limit AND (CAST(:tpd AS bigint) IS NULL OR prior.tokens < CAST(:tpd AS bigint))
    ON CONFLICT (subject, window_start) DO UPDATE SET count = c.count + 1
    WHERE c.count + 1 + (SELECT carried FROM prior) <= :rpm_limit
    RETURNING c.count
    """
)

_COUNTS = text(
    """
    SELECT coalesce((SELECT count FROM rate_counters WHERE subject = :rpm_subject AND window_start = :previous), 0),
           coalesce((SELECT count FROM rate_counters WHERE subject = :rpm_subject AND window_start = :minute), 0),
           coalesce((SELECT count FROM rate_counters WHERE subject = :tpd_subject AND window_start = :day), 0)
    """
)

_CHARGE = text(
    """
    INSERT INTO rate_counters AS c (subject, window_start, count) VALUES (:subject, :day, :tokens)
    ON CONFLICT (subject, window_start) DO UPDATE SET count = c.count + EXCLUDED.count
    """
)


async def admit(db: AsyncSession, subject: str, limits: RateLimits, now: datetime) -> None:
    """Count one request of `subject` against `limits`, or raise RateLimited (a refused request is not counted)."""
    if limits.unlimited:
        return
    day = day_start(now)
    params = {
        "rpm_subject": f"{subject}:rpm",
        "tpd_subject": f"{subject}:tpd",
        "minute": minute_start(now),
        "previous": minute_start(now) - MINUTE,
        "day": day,
        "weight": carried_weight(now),
        "tpd": limits.tokens_per_day,
    }
    if limits.rpm is None:
        # No request count to keep: today's tokens are the only question.
        counts = (await db.execute(_COUNTS, params)).one()
        if limits.tokens_per_day is not None and counts[2] >= limits.tokens_per_day:
            raise _over_tokens(limits.tokens_per_day, day + DAY - now)
        return
    admitted = (await db.execute(_ADMIT, {**params, "rpm_limit": limits.rpm + _SLACK})).first()
    if admitted is not None:
        return
    previous, current, tokens = (await db.execute(_COUNTS, params)).one()
    if limits.tokens_per_day is not None and tokens >= limits.tokens_per_day:
        raise _over_tokens(limits.tokens_per_day, day + DAY - now)
    wait = retry_seconds(rpm_retry_after(previous, current, limits.rpm, now))
    raise RateLimited(
        f"Rate limit of {limits.rpm} requests per minute reached. Try again in {wait} seconds.",
        retry_after=wait,
        details={"limit": "requests_per_minute", "rpm": limits.rpm, "retry_after": wait},
    )


def _over_tokens(limit: int, until_tomorrow: timedelta) -> RateLimited:
    wait = retry_seconds(until_tomorrow.total_seconds())
    return RateLimited(
        f"The daily quota of {limit} tokens is used up; it renews at 00:00 UTC, in {wait} seconds.",
        retry_after=wait,
        details={"limit": "tokens_per_day", "tokens_per_day": limit, "retry_after": wait},
    )


async def charge(db: AsyncSession, subject: str, tokens: int, now: datetime) -> None:
    """Add a finished request's tokens to today's count of `subject`, in the caller's transaction."""
    if tokens > 0:
        await db.execute(_CHARGE, {"subject": f"{subject}:tpd", "day": day_start(now), "tokens": tokens})


async def charge_usage(db: AsyncSession, tokens_by_subject: Mapping[str, int], now: datetime) -> None:
    """Charge a batch of finished requests' tokens (the usage meter's), in the caller's transaction."""
    for subject, tokens in sorted(tokens_by_subject.items()):  # one order everywhere: concurrent writers never deadlock
        await charge(db, subject, tokens, now)


async def purge(db: AsyncSession, now: datetime | None = None) -> int:
    """Delete counters no limit looks at any more; returns how many went. The caller commits."""
    cutoff = (now or utcnow()) - KEEP
    result = await db.execute(delete(RateCounter).where(RateCounter.window_start < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


class RateLimiter:
    """Checks and charges limits in short sessions of its own, so a request holds no connection meanwhile."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock

    async def admit(self, subject: str, limits: RateLimits) -> None:
        """Count one request against `limits` or raise RateLimited (with `retry_after`)."""
        if limits.unlimited:
            return
        async with self.sessionmaker() as db:
            # Each statement is atomic on its own: no BEGIN and COMMIT round trips around it.
            await db.connection(execution_options=_AUTOCOMMIT)
            await admit(db, subject, limits, self.clock())

    async def charge(self, subject: str, limits: RateLimits, tokens: int) -> None:
        """Charge a finished request's tokens; nothing is kept for a subject without a daily quota."""
        if limits.tokens_per_day is None or tokens <= 0:
            return
        async with self.sessionmaker() as db:
            await db.connection(execution_options=_AUTOCOMMIT)
            await charge(db, subject, tokens, self.clock())

    async def admit_principal(self, principal: Principal) -> None:
        """Admit a request made with a key, against the key's own limits; sessions are not limited here."""
        if principal.api_key_id is not None:
            await self.admit(key_subject(principal.api_key_id), principal.limits)

    async def charge_principal(self, principal: Principal, tokens: int) -> None:
        """Charge a finished request's tokens to the key it was made with."""
        if principal.api_key_id is not None:
            await self.charge(key_subject(principal.api_key_id), principal.limits, tokens)
