"""The running parts every entry point needs: database (embedded or external), migrations, jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import procrastinate
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hezi.db import migrate
from hezi.db.embedded_postgres import EmbeddedPostgres
from hezi.db.session import make_engine, make_sessionmaker
from hezi.db.urls import redact
from hezi.jobs.queue import build_job_app
from hezi.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    jobs: procrastinate.App


@asynccontextmanager
async def open_runtime(settings: Settings, *, migrate_db: bool = True) -> AsyncIterator[Runtime]:
    """Start (or connect to) PostgreSQL, migrate it, open the engine and the job queue; undo on exit."""
    embedded: EmbeddedPostgres | None = None
    url = settings.database_url
    if url is None:
        embedded = EmbeddedPostgres(settings.resolved_data_dir)
        url = await asyncio.to_thread(embedded.start)
        log.info("embedded PostgreSQL ready in %s", embedded.pgdata)
    try:
        if migrate_db:
            await asyncio.to_thread(migrate.upgrade, url)
        log.info("database %s at the latest migration", redact(url))
        engine = make_engine(url)
        jobs = build_job_app(url)
        try:
            async with jobs.open_async():
                yield Runtime(settings, url, engine, make_sessionmaker(engine), jobs)
        finally:
            await engine.dispose()
    finally:
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
