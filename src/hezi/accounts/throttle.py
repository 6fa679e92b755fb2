"""Login throttling: failures per account and per address slow the next attempts, then refuse them."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.errors import TooManyLoginAttempts
from hezi.db.base import utcnow
from hezi.db.tables import LoginFailure


@dataclass(frozen=True)
class ThrottlePolicy:
    slow_after: int
    max_failures: int
    ip_max_failures: int
    lockout_seconds: int
    window_seconds: int
    delay_seconds: float


def _keys(username: str, ip: str | None) -> dict[str, str]:
    keys = {"user": f"user:{username.lower()}"}
    if ip:
        keys["ip"] = f"ip:{ip}"
    return keys


class LoginThrottle:
    def __init__(self, db: AsyncSession, policy: ThrottlePolicy) -> None:
        self.db = db
        self.policy = policy

    async def before_attempt(self, username: str, ip: str | None) -> None:
        """Refuse while locked; otherwise wait longer the more recent failures there were."""
        now = utcnow()
        keys = _keys(username, ip)
        rows = (await self.db.scalars(select(LoginFailure).where(LoginFailure.key.in_(keys.values())))).all()
        worst = 0
        for row in rows:
            if row.locked_until and row.locked_until > now:
                retry = math.ceil((row.locked_until - now).total_seconds())
                raise TooManyLoginAttempts(
                    f"Too many failed logins. Try again in {retry} seconds.",
                    retry_after=retry,
                    details={"retry_after": retry},
                )
            if row.first_failure_at > now - timedelta(seconds=self.policy.window_seconds):
                worst = max(worst, row.failures if row.key.startswith("user:") else 0)
        if worst >= self.policy.slow_after:
            extra = worst - self.policy.slow_after + 1
            await asyncio.sleep(min(self.policy.delay_seconds * extra, 5.0))

    async def record_failure(self, username: str, ip: str | None) -> bool:
        """Count a failure; returns True when this failure locked the account or address."""
        now = utcnow()
        window_start = now - timedelta(seconds=self.policy.window_seconds)
        locked = False
        for kind, key in _keys(username, ip).items():
            limit = self.policy.max_failures if kind == "user" else self.policy.ip_max_failures
            # A failure older than the window starts a fresh count.
            fresh = {"key": key, "failures": 1, "first_failure_at": now, "last_failure_at": now}
            upsert = insert(LoginFailure).values(**fresh)
            stmt = upsert.on_conflict_do_update(
                index_elements=[LoginFailure.key],
                set_={
                    "failures": case(
                        (LoginFailure.first_failure_at < window_start, 1), else_=LoginFailure.failures + 1
                    ),
                    "first_failure_at": case(
                        (LoginFailure.first_failure_at < window_start, now),
                        else_=LoginFailure.first_failure_at,
                    ),
                    "last_failure_at": now,
                },
            ).returning(LoginFailure.failures)
            failures = (await self.db.execute(stmt)).scalar_one()
            if failures >= limit:
                until = now + timedelta(seconds=self.policy.lockout_seconds)
                row = await self.db.get(LoginFailure, key)
                assert row is not None
                row.locked_until = until
                row.failures = 0
                row.first_failure_at = now
                locked = True
        return locked

    async def record_success(self, username: str) -> None:
        # The address counter is left alone: logging into one's own account must not reset
        # the count of guesses at other accounts from the same address.
        await self.db.execute(delete(LoginFailure).where(LoginFailure.key == _keys(username, None)["user"]))
