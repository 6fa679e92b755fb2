"""The nightly purge job runs through the real queue and the worker inside `hezi serve`."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg

from hezi.jobs.maintenance import PURGE_TASK
from hezi.jobs.queue import build_job_app
from tests.conftest import LiveServer
from tests.helpers import Api


async def _defer(database_url: str) -> int:
    app = build_job_app(database_url)
    async with app.open_async():
        job_id: int = await app.configure_task(PURGE_TASK).defer_async()
    return job_id


def test_purge_job_removes_old_audit_entries_and_expired_sessions(
    live_server: LiveServer, admin: Api, db: psycopg.Connection[Any]
) -> None:
    days = live_server.settings.audit_retention_days
    db.execute(
        "INSERT INTO audit_log (at, action, actor, details) VALUES "
        "(now() - make_interval(days => %s), 'test.ancient', 'tester', '{}'),"
        "(now() - make_interval(days => %s), 'test.recent', 'tester', '{}')",
        (days + 1, days - 1),
    )
    user = admin.create_user()
    stale = live_server.api().login(user["username"], user["password"])
    db.execute("UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE user_id = %s", (user["id"],))

    job_id = asyncio.run(_defer(live_server.database_url))
    deadline = time.monotonic() + 30
    status = None
    while time.monotonic() < deadline:
        row = db.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", (job_id,)).fetchone()
        status = row[0] if row else None
        if status in ("succeeded", "failed"):
            break
        time.sleep(0.2)
    assert status == "succeeded"

    actions = {r[0] for r in db.execute("SELECT action FROM audit_log WHERE actor = 'tester'").fetchall()}
    assert actions == {"test.recent"}
    assert db.execute("SELECT count(*) FROM sessions WHERE user_id = %s", (user["id"],)).fetchone() == (0,)
    assert stale.get("/api/auth/me").status_code == 401
