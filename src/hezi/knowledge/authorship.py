"""Who made and last changed knowledge bases, and who added documents (Dify's created_by / updated_by): read in
one query for many rows, for callers that already checked access."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.db.tables import Document, KnowledgeBase


@dataclass(frozen=True)
class BaseAuthors:
    created_by: uuid.UUID | None
    updated_by: uuid.UUID | None
    updated_at: datetime


async def of_bases(db: AsyncSession, kb_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, BaseAuthors]:
    rows = await db.execute(
        select(KnowledgeBase.id, KnowledgeBase.created_by, KnowledgeBase.updated_by, KnowledgeBase.updated_at).where(
            KnowledgeBase.id.in_(list(kb_ids))
        )
    )
    return {kb: BaseAuthors(created, updated, at) for kb, created, updated, at in rows.all()}


async def of_documents(db: AsyncSession, doc_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID | None]:
    rows = await db.execute(select(Document.id, Document.created_by).where(Document.id.in_(list(doc_ids))))
    return {doc: by for doc, by in rows.all()}


async def position(db: AsyncSession, kb_id: uuid.UUID, doc_id: uuid.UUID) -> int:
    """A document's place in its knowledge base, oldest first from 1 (the order documents are listed in)."""
    created = await db.scalar(select(Document.created_at).where(Document.id == doc_id))
    if created is None:
        return 1
    before = await db.scalar(
        select(func.count())
        .select_from(Document)
        .where(Document.knowledge_base_id == kb_id, tuple_(Document.created_at, Document.id) < tuple_(created, doc_id))
    )
    return int(before or 0) + 1
