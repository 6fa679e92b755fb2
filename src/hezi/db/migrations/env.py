"""Alembic environment: runs migrations on the connection hezi.db.migrate hands in."""

from __future__ import annotations

from alembic import context

from hezi.db.base import Base
from hezi.db.tables import *  # noqa: F403  (registers every table on Base.metadata)

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
