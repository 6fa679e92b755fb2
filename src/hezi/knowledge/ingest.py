"""Ingestion of one document: parse → chunk → store → embed in batches. Safe to run again after a crash.

Chunking is deterministic and (document, ordinal) is unique, so a rerun stores nothing twice; only chunks without
a vector are embedded, so a rerun picks up where the last one stopped.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

from sqlalchemy import exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.db.base import utcnow
from hezi.db.tables import Chunk, ChunkParent, Document, KnowledgeBase
from hezi.errors import DomainError, TooManyRequests, Unavailable
from hezi.knowledge import terms
from hezi.knowledge.access import Embed
from hezi.knowledge.chunking import chunk_document
from hezi.knowledge.parsing import ParseLimits, parse_document
from hezi.knowledge.parsing.qa import parse_qa
from hezi.knowledge.rules import rules_from
from hezi.knowledge.search_tokens import document_text

log = logging.getLogger(__name__)

EMBED_BATCH = 16


async def _status(db: AsyncSession, doc_id: uuid.UUID, status: str, **fields: object) -> None:
    await db.execute(update(Document).where(Document.id == doc_id).values(status=status, updated_at=utcnow(), **fields))
    await db.commit()


async def ingest(
    sessionmaker: async_sessionmaker[AsyncSession], doc_id: uuid.UUID, embed: Embed, limits: ParseLimits | None = None
) -> str:
    """Run (or resume) the ingestion of a document; returns its final status. Bad documents fail alone.

    `limits` carries the parse settings (sizes, OCR on or off and its page bound) from the server's settings.
    """
    async with sessionmaker() as db:
        row = (
            await db.execute(
                select(Document, KnowledgeBase)
                .join(KnowledgeBase, KnowledgeBase.id == Document.knowledge_base_id)
                .where(Document.id == doc_id)
            )
        ).first()
        if row is None:
            return "gone"  # deleted while queued
        doc, kb = row
        try:
            if doc.chunks_total == 0:
                await _status(db, doc.id, "parsing", error=None, error_code=None)
                await _store_chunks(db, doc, kb, limits or ParseLimits())
            await _status(db, doc.id, "embedding")
            await _embed(db, doc.id, kb, embed)
        except (Unavailable, TooManyRequests):
            raise  # a model worker restarting or busy: the job is retried with backoff, the document waits
        except DomainError as exc:
            log.info("document %s failed: %s", doc_id, exc.message)
            await db.rollback()  # expires `doc`: only the plain id is used from here on
            await _status(db, doc_id, "failed", error=exc.message, error_code=exc.code)
            return "failed"
        await _status(db, doc.id, "ready")
        return "ready"


async def _store_chunks(db: AsyncSession, doc: Document, kb: KnowledgeBase, limits: ParseLimits) -> None:
    data = await asyncio.to_thread(Path(doc.file_path).read_bytes)
    parents: list[dict[str, object]] = []  # parent–child mode: the passages hits on children return
    if doc.source == "qa":
        rows = await asyncio.to_thread(_qa_rows, data, doc, kb, limits)
    else:
        # Parsing runs in a thread: OCR of a scanned PDF takes seconds per page and must not stall the event loop.
        parsed = await asyncio.to_thread(parse_document, data, doc.name, limits)
        chunked = await asyncio.to_thread(chunk_document, parsed, rules_from(kb.chunking))
        rows = [
            {
                "document_id": doc.id,
                "knowledge_base_id": kb.id,
                "ordinal": c.ordinal,
                "parent_ordinal": c.parent_ordinal,
                "text": c.text,
                "section": " / ".join(c.section_path),
                "page_start": c.page_start,
                "page_end": c.page_end,
                "tokens": func.to_tsvector("simple", document_text(c.text)),
                "dims": kb.dims,
            }
            for c in chunked.chunks
        ]
        parents = [{"document_id": doc.id, "ordinal": p.ordinal, "text": p.text} for p in chunked.parents]
    for start in range(0, len(rows), 500):
        stmt = (
            insert(Chunk)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing(index_elements=[Chunk.document_id, Chunk.ordinal])
        )
        await db.execute(stmt)
    if parents:
        for start in range(0, len(parents), 500):
            await db.execute(insert(ChunkParent).values(parents[start : start + 500]).on_conflict_do_nothing())
    await terms.add_document(db, kb.id, doc.id)  # committed with the chunks: counted exactly once
    await db.execute(update(Document).where(Document.id == doc.id).values(chunks_total=len(rows)))
    await db.commit()


def _qa_rows(data: bytes, doc: Document, kb: KnowledgeBase, limits: ParseLimits) -> list[dict[str, object]]:
    """One chunk per pair: the question is what is embedded, full text matches the question and the answer."""
    return [
        {
            "document_id": doc.id,
            "knowledge_base_id": kb.id,
            "ordinal": i,
            "text": pair.question,
            "answer": pair.answer,
            "section": pair.sheet,
            "tokens": func.to_tsvector("simple", document_text(f"{pair.question}\n{pair.answer}")),
            "dims": kb.dims,
        }
        for i, pair in enumerate(parse_qa(data, doc.name, limits))
    ]


async def _embed(db: AsyncSession, doc_id: uuid.UUID, kb: KnowledgeBase, embed: Embed) -> None:
    while True:
        # Read the model for every batch, and write a vector only while that model is still the knowledge base's:
        # if it is changed meanwhile (a re-index), the rest is embedded with the new one and no stale vector stays.
        model = await db.scalar(select(KnowledgeBase.embedding_model).where(KnowledgeBase.id == kb.id))
        if model is None:
            return  # the knowledge base was deleted
        batch = (
            await db.execute(
                select(Chunk.id, Chunk.text)
                .where(Chunk.document_id == doc_id, Chunk.embedding.is_(None))
                .order_by(Chunk.ordinal)
                .limit(EMBED_BATCH)
            )
        ).all()
        if not batch:
            return
        vectors = await embed(model, [t for _, t in batch], kb.workspace_id)
        current = exists().where(KnowledgeBase.id == Chunk.knowledge_base_id, KnowledgeBase.embedding_model == model)
        for (chunk_id, _), vec in zip(batch, vectors, strict=True):
            await db.execute(update(Chunk).where(Chunk.id == chunk_id, current).values(embedding=vec))
        await db.execute(
            text(
                "UPDATE documents SET chunks_embedded = (SELECT count(*) FROM chunks WHERE document_id = :d "
                "AND embedding IS NOT NULL), updated_at = now() WHERE id = :d"
            ),
            {"d": doc_id},
        )
        await db.commit()
