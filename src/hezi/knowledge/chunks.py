"""Chunks by hand: list a document's chunks, edit or disable one (an edited chunk is embedded again), add one."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit
from hezi.accounts.principal import Caller
from hezi.db.tables import Chunk, Document, KnowledgeBase
from hezi.errors import InvalidInput, NotFound
from hezi.knowledge import access, terms
from hezi.knowledge.access import Embed
from hezi.knowledge.schemas import ChunkCreate, ChunkPublic, ChunksPublic, ChunkUpdate
from hezi.knowledge.search_tokens import document_text


class ChunkNotFound(NotFound):
    code = "chunk_not_found"


def _public(c: Chunk) -> ChunkPublic:
    return ChunkPublic(
        id=c.id, ordinal=c.ordinal, text=c.text, answer=c.answer, section=c.section, page_start=c.page_start,
        page_end=c.page_end, enabled=c.enabled, embedded=c.embedding is not None,
    )  # fmt: skip


def _searchable(text: str, answer: str | None) -> str:
    """Full text matches a Q&A pair's question and its answer; only the question is embedded."""
    return f"{text}\n{answer}" if answer else text


class ChunkService:
    def __init__(self, db: AsyncSession, embed: Embed) -> None:
        self.db = db
        self.embed = embed

    async def _document(
        self, caller: Caller, ws: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID, *, write: bool
    ) -> tuple[KnowledgeBase, Document]:
        kb = await access.knowledge_base(self.db, caller, ws, kb_id, write=write, action="edit chunks")
        return kb, await access.document(self.db, kb_id, doc_id)

    async def list(
        self,
        caller: Caller,
        ws: uuid.UUID,
        kb_id: uuid.UUID,
        doc_id: uuid.UUID,
        *,
        offset: int,
        limit: int,
        keyword: str | None = None,
    ) -> ChunksPublic:
        """A page of the document's chunks in order; `keyword` keeps those whose text contains it (any case)."""
        await self._document(caller, ws, kb_id, doc_id, write=False)
        where = [Chunk.document_id == doc_id]
        if keyword:
            escaped = keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(Chunk.text.ilike(f"%{escaped}%", escape="\\"))
        rows = (
            await self.db.scalars(select(Chunk).where(*where).order_by(Chunk.ordinal).offset(offset).limit(limit))
        ).all()
        total = await self.db.scalar(select(func.count()).select_from(Chunk).where(*where)) or 0
        return ChunksPublic(data=[_public(c) for c in rows], count=int(total))

    async def get(
        self, caller: Caller, ws: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID, chunk_id: int
    ) -> ChunkPublic:
        await self._document(caller, ws, kb_id, doc_id, write=False)
        chunk = await self.db.scalar(select(Chunk).where(Chunk.id == chunk_id, Chunk.document_id == doc_id))
        if chunk is None:
            raise ChunkNotFound("No such chunk in this document.")
        return _public(chunk)

    async def remove(self, caller: Caller, ws: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID, chunk_id: int) -> None:
        """Delete one chunk (its vector and search tokens go with it); the document's counts follow."""
        kb, doc = await self._document(caller, ws, kb_id, doc_id, write=True)
        chunk = await self.db.scalar(select(Chunk).where(Chunk.id == chunk_id, Chunk.document_id == doc_id))
        if chunk is None:
            raise ChunkNotFound("No such chunk in this document.")
        doc.chunks_total = max(doc.chunks_total - 1, 0)
        if chunk.embedding is not None:
            doc.chunks_embedded = max(doc.chunks_embedded - 1, 0)
        await terms.remove_chunk(self.db, kb.id, chunk.id)
        await self.db.delete(chunk)
        audit.record_for(self.db, caller, "chunk.deleted", workspace_id=ws, target=f"{kb.name}#{chunk.ordinal}")
        await self.db.commit()

    async def update(
        self, caller: Caller, ws: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID, chunk_id: int, body: ChunkUpdate
    ) -> ChunkPublic:
        kb, _ = await self._document(caller, ws, kb_id, doc_id, write=True)
        chunk = await self.db.scalar(select(Chunk).where(Chunk.id == chunk_id, Chunk.document_id == doc_id))
        if chunk is None:
            raise ChunkNotFound("No such chunk in this document.")
        if body.enabled is not None:
            chunk.enabled = body.enabled
        if body.answer is not None and chunk.answer is None:
            raise InvalidInput("Only the chunks of Q&A pairs have an answer.", code="not_a_qa_chunk")
        if body.text is not None and body.text != chunk.text:
            chunk.text = body.text
            chunk.embedding = (await self.embed(kb.embedding_model, [body.text], ws))[0]  # searchable as edited
        if body.answer is not None:
            chunk.answer = body.answer
        if body.text is not None or body.answer is not None:
            await terms.remove_chunk(self.db, kb.id, chunk.id)  # its old words no longer count…
            chunk.tokens = func.to_tsvector("simple", document_text(_searchable(chunk.text, chunk.answer)))
            await self.db.flush()
            await terms.add_chunk(self.db, kb.id, chunk.id)  # …its new ones do
        audit.record_for(self.db, caller, "chunk.updated", workspace_id=ws, target=f"{kb.name}#{chunk.ordinal}",
                         details=body.model_dump(exclude_none=True, exclude={"text", "answer"}))  # fmt: skip
        await self.db.commit()
        await self.db.refresh(chunk)
        return _public(chunk)

    async def add(
        self, caller: Caller, ws: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID, body: ChunkCreate
    ) -> ChunkPublic:
        kb, doc = await self._document(caller, ws, kb_id, doc_id, write=True)
        vector = (await self.embed(kb.embedding_model, [body.text], ws))[0]
        last = await self.db.scalar(select(func.max(Chunk.ordinal)).where(Chunk.document_id == doc_id))
        chunk = Chunk(
            document_id=doc_id, knowledge_base_id=kb.id, ordinal=(last if last is not None else -1) + 1,
            text=body.text, answer=body.answer, section="",
            tokens=func.to_tsvector("simple", document_text(_searchable(body.text, body.answer))),
            embedding=vector, dims=kb.dims, enabled=True,
        )  # fmt: skip
        self.db.add(chunk)
        await self.db.flush()
        await terms.add_chunk(self.db, kb.id, chunk.id)
        doc.chunks_total += 1
        doc.chunks_embedded += 1
        audit.record_for(self.db, caller, "chunk.added", workspace_id=ws, target=f"{kb.name}/{doc.name}")
        await self.db.commit()
        await self.db.refresh(chunk)
        return _public(chunk)
