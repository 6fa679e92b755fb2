"""The audit log of security-relevant actions: written by the services (here), read by admins (`audit_reader`)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.principal import Caller
from hezi.accounts.schemas import AuditEntriesPublic, AuditEntryPublic
from hezi.db.base import utcnow
from hezi.db.tables import AuditEntry


def record(
    db: AsyncSession,
    action: str,
    *,
    actor: str | None = None,
    actor_user_id: uuid.UUID | None = None,
    workspace_id: uuid.UUID | None = None,
    target: str | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an entry to the caller's transaction, so it commits (or not) with the action it describes."""
    db.add(
        AuditEntry(
            at=utcnow(),
            action=action,
            actor=actor,
            actor_user_id=actor_user_id,
            workspace_id=workspace_id,
            target=target,
            ip=ip,
            details=details or {},
        )
    )


def record_for(db: AsyncSession, caller: Caller, action: str, **fields: Any) -> None:
    """`record`, with the actor, their user id and address taken from the caller."""
    p = caller.principal
    record(db, action, actor=p.user.username, actor_user_id=p.user_id, ip=caller.ip, **fields)


async def list_entries(
    db: AsyncSession, *, workspace_id: uuid.UUID | None, limit: int, before_id: int | None
) -> AuditEntriesPublic:
    """Newest first. `workspace_id=None` means every entry (platform admins only)."""
    query = select(AuditEntry)
    count_query = select(func.count()).select_from(AuditEntry)
    if workspace_id is not None:
        query = query.where(AuditEntry.workspace_id == workspace_id)
        count_query = count_query.where(AuditEntry.workspace_id == workspace_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    rows = (await db.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))).all()
    total = await db.scalar(count_query) or 0
    return AuditEntriesPublic(
        data=[
            AuditEntryPublic.model_validate({**_columns(row), "ip": str(row.ip) if row.ip is not None else None})
            for row in rows
        ],
        count=total,
    )


def _columns(row: AuditEntry) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in AuditEntry.__table__.columns}


async def purge_older_than(db: AsyncSession, days: int, *, now: datetime | None = None) -> int:
    """Delete entries older than `days`; returns how many went."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = await db.execute(delete(AuditEntry).where(AuditEntry.at < cutoff))
    await db.commit()
    return int(getattr(result, "rowcount", 0) or 0)
