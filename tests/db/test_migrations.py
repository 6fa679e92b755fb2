"""Migrations build the whole schema on an empty database, and the tables match the models."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from hezi.db import migrate
from hezi.db.base import Base
from hezi.db.tables import User  # noqa: F401  (registers the tables)
from hezi.db.urls import sqlalchemy_url


def test_upgrade_from_empty_builds_everything_and_matches_models(new_database: Callable[[], str]) -> None:
    url = new_database()
    assert migrate.current(url) is None
    migrate.upgrade(url)
    migrate.upgrade(url)  # a second start finds nothing to do
    assert migrate.current(url) is not None

    with psycopg.connect(url) as conn:
        ext = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        assert ext is not None and ext[0].startswith("0.8")
        version = conn.execute("SHOW server_version").fetchone()
        assert version is not None and version[0].startswith("18")
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {
        "users",
        "workspaces",
        "memberships",
        "sessions",
        "api_keys",
        "audit_log",
        "procrastinate_jobs",
    } <= tables

    engine = create_engine(sqlalchemy_url(url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    ours = [d for d in diff if "procrastinate" not in repr(d)]
    assert ours == [], f"models and migrations differ; add a migration: {ours}"
