"""Alembic environment: runs migrations on the connection hezi.db.migrate hands in."""

from __future__ import annotations

from typing import Any

from alembic import context

from hezi.db.base import Base
from hezi.db.tables import *  # noqa: F403  (registers every table on Base.metadata)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """procrastinate's tables are applied from its own schema file (migration 0002), not from models."""
    table = obj.table.name if type_ in ("index", "column") else name
    return not (table or "").startswith("procrastinate_")


connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=Base.metadata, compare_type=True, include_object=include_object
)
with context.begin_transaction():
    context.run_migrations()
