"""Document frequencies of search terms, kept per knowledge base as chunks come and go.

PostgreSQL's `ts_stat` counts, for a set of tsvectors, how many contain each lexeme; the counts are added when a
document's chunks are stored and taken away when they are deleted or edited, in the same transaction. The inner
queries are fixed text with a quoted literal id (`format(… %L …)`), never caller input.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_ADD = (
    "INSERT INTO knowledge_terms (knowledge_base_id, term, df) "
    "SELECT :kb, word, ndoc FROM ts_stat(format('SELECT tokens FROM chunks WHERE {col} = %L', CAST(:id AS text))) "
    "ORDER BY word "  # rows locked in one order, so two documents counted at once cannot deadlock
    "ON CONFLICT (knowledge_base_id, term) DO UPDATE SET df = knowledge_terms.df + excluded.df"
)
_REMOVE = (
    "UPDATE knowledge_terms t SET df = t.df - s.ndoc "
    "FROM ts_stat(format('SELECT tokens FROM chunks WHERE {col} = %L', CAST(:id AS text))) s "
    "WHERE t.knowledge_base_id = :kb AND t.term = s.word"
)


async def add_document(db: AsyncSession, kb_id: uuid.UUID, doc_id: uuid.UUID) -> None:
    await db.execute(text(_ADD.format(col="document_id")), {"kb": kb_id, "id": str(doc_id)})


async def remove_document(db: AsyncSession, kb_id: uuid.UUID, doc_id: uuid.UUID) -> None:
    await db.execute(text(_REMOVE.format(col="document_id")), {"kb": kb_id, "id": str(doc_id)})


async def add_chunk(db: AsyncSession, kb_id: uuid.UUID, chunk_id: int) -> None:
    await db.execute(text(_ADD.format(col="id")), {"kb": kb_id, "id": str(chunk_id)})


async def remove_chunk(db: AsyncSession, kb_id: uuid.UUID, chunk_id: int) -> None:
    await db.execute(text(_REMOVE.format(col="id")), {"kb": kb_id, "id": str(chunk_id)})


async def rebuild(db: AsyncSession, kb_id: uuid.UUID) -> None:
    """Count every chunk of the knowledge base afresh (chunks loaded in bulk, e.g. by a benchmark)."""
    await db.execute(text("DELETE FROM knowledge_terms WHERE knowledge_base_id = :kb"), {"kb": kb_id})
    await db.execute(text(_ADD.format(col="knowledge_base_id")), {"kb": kb_id, "id": str(kb_id)})
