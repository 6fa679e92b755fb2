"""Housekeeping: audit-log retention, expired sessions, stale login-failure and rate-limit counters."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import procrastinate
from sqlalchemy import delete

from hezi.accounts import audit, rate_limit
from hezi.db.base import utcnow
from hezi.db.tables import LoginFailure, Session
from hezi.hardware import sampler as hardware_sampler
from hezi.jobs.context import services_of

log = logging.getLogger(__name__)

PURGE_TASK = "maintenance.purge"
THIN_TASK = "maintenance.thin_hardware_samples"


def register(app: procrastinate.App) -> None:
    @app.periodic(cron="17 3 * * *", periodic_id="nightly")  # once a night, off the hour
    @app.task(name=PURGE_TASK, pass_context=True, queue="maintenance", retry=3)
    async def purge(context: procrastinate.JobContext, timestamp: int | None = None) -> dict[str, Any]:
        services = services_of(context)
        async with services.sessionmaker() as db:
            audit_rows = await audit.purge_older_than(db, services.settings.audit_retention_days)
            now = utcnow()
            sessions = await db.execute(delete(Session).where(Session.expires_at <= now))
            stale = now - timedelta(seconds=services.settings.login_failure_window_seconds)
            failures = await db.execute(
                delete(LoginFailure).where(
                    LoginFailure.last_failure_at < stale,
                    (LoginFailure.locked_until.is_(None)) | (LoginFailure.locked_until < now),
                )
            )
            counters = await rate_limit.purge(db, now)
            await db.commit()
        result = {
            "audit_entries": audit_rows,
            "sessions": int(getattr(sessions, "rowcount", 0) or 0),
            "login_failures": int(getattr(failures, "rowcount", 0) or 0),
            "rate_counters": counters,
        }
        log.info("maintenance purge", extra={"fields": result})
        return result

    @app.periodic(cron="*/10 * * * *", periodic_id="hardware")
    @app.task(name=THIN_TASK, pass_context=True, queue="maintenance")
    async def thin_samples(context: procrastinate.JobContext, timestamp: int | None = None) -> int:
        """Keep a day of hardware samples: all of the last hour, one a minute before that."""
        async with services_of(context).sessionmaker() as db:
            return await hardware_sampler.thin(db)
