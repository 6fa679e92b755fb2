"""Knowledge bases of a workspace: create, list, read, delete."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit
from hezi.accounts.principal import Caller
from hezi.db.base import utcnow
from hezi.db.tables import Chunk, Document, KnowledgeBase
from hezi.errors import Conflict
from hezi.knowledge import access, retrieval
from hezi.knowledge.access import Defer, Embed
from hezi.knowledge.rules import DEFAULT, rules_from
from hezi.knowledge.schemas import (
    KnowledgeBaseCreate,
    KnowledgeBasePublic,
    KnowledgeBasesPublic,
    KnowledgeBaseUpdate,
    RetrievalSettings,
)

DEFAULT_EMBEDDING_MODEL = "multilingual-e5-small"  # bundled; Chinese and English (decision 0020)


class KnowledgeBaseNameTaken(Conflict):
    code = "knowledge_base_name_taken"


class BaseService:
    def __init__(self, db: AsyncSession, files: Path, embed: Embed, defer: Defer) -> None:
        self.db = db
        self.files = files  # where uploaded documents are kept, one folder per knowledge base
        self.embed = embed
        self.defer = defer

    async def create(self, caller: Caller, workspace_id: uuid.UUID, body: KnowledgeBaseCreate) -> KnowledgeBasePublic:
        await access.workspace(self.db, caller, workspace_id, write=True)
        rules_from(body.chunking)  # refuse bad settings now, not at the first document
        model = body.embedding_model or DEFAULT_EMBEDDING_MODEL
        probe = await self.embed(model, ["dimension probe"], workspace_id)  # it must exist and be an embedding model
        kb = KnowledgeBase(
            workspace_id=workspace_id, name=body.name, description=body.description, embedding_model=model,
            dims=len(probe[0]), chunking={**DEFAULT, **body.chunking} if body.chunking.get("mode", "automatic")
            == "automatic" else body.chunking, created_by=caller.principal.user_id, created_at=utcnow(),
            updated_by=caller.principal.user_id, updated_at=utcnow(),
            retrieval=body.retrieval.model_dump() if body.retrieval else {},
        )  # fmt: skip
        self.db.add(kb)
        try:
            await self.db.flush()
        except IntegrityError:
            await self.db.rollback()
            raise KnowledgeBaseNameTaken(f"This workspace already has a knowledge base named {body.name!r}.") from None
        await retrieval.ensure_vector_index(self.db, kb.dims)
        audit.record_for(self.db, caller, "knowledge_base.created", workspace_id=workspace_id, target=kb.name)
        await self.db.commit()
        return await self._public(kb)

    async def list_bases(self, caller: Caller, workspace_id: uuid.UUID) -> KnowledgeBasesPublic:
        await access.workspace(self.db, caller, workspace_id, write=False)
        rows = (
            await self.db.scalars(
                select(KnowledgeBase).where(KnowledgeBase.workspace_id == workspace_id).order_by(KnowledgeBase.name)
            )
        ).all()
        counts = await self._counts([kb.id for kb in rows])
        data = [self._public_with(kb, *counts.get(kb.id, (0, 0))) for kb in rows]
        return KnowledgeBasesPublic(data=data, count=len(data))

    async def get(self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID) -> KnowledgeBasePublic:
        return await self._public(await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=False))

    async def update(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, body: KnowledgeBaseUpdate
    ) -> KnowledgeBasePublic:
        """Rename, describe, change defaults; a new embedding model re-embeds every chunk in the background."""
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        changed = sorted(body.model_fields_set)
        if body.name is not None:
            kb.name = body.name
        if body.description is not None:
            kb.description = body.description
        if body.chunking is not None:
            rules_from(body.chunking)
            kb.chunking = {**DEFAULT, **body.chunking} if body.chunking.get("mode", "automatic") == "automatic" \
                else body.chunking  # fmt: skip
        if body.retrieval is not None:
            kb.retrieval = body.retrieval.model_dump()
        kb.updated_by, kb.updated_at = caller.principal.user_id, utcnow()
        requeue: list[uuid.UUID] = []
        if body.embedding_model is not None and body.embedding_model != kb.embedding_model:
            requeue = await self._reindex(kb, body.embedding_model)
        try:
            await self.db.flush()
        except IntegrityError:
            await self.db.rollback()
            raise KnowledgeBaseNameTaken(f"This workspace already has a knowledge base named {body.name!r}.") from None
        audit.record_for(self.db, caller, "knowledge_base.updated", workspace_id=workspace_id, target=kb.name,
                         details={"changed": changed, "reindexed_documents": len(requeue)})  # fmt: skip
        await self.db.commit()
        for doc_id in requeue:
            await self.defer(doc_id)
        return await self._public(kb)

    async def _reindex(self, kb: KnowledgeBase, model: str) -> list[uuid.UUID]:
        """Point the knowledge base at `model`, drop every vector and queue its documents to be embedded again.

        Ingestion writes a vector only while the model it was made with is still the knowledge base's
        (ingest._embed), so a job that was running with the old model cannot leave old vectors behind."""
        probe = await self.embed(model, ["dimension probe"], kb.workspace_id)  # it must be an embedding model
        kb.embedding_model, kb.dims = model, len(probe[0])
        await retrieval.ensure_vector_index(self.db, kb.dims)
        await self.db.execute(
            update(Chunk).where(Chunk.knowledge_base_id == kb.id).values(embedding=None, dims=kb.dims)
        )
        rows = await self.db.execute(
            update(Document)
            .where(Document.knowledge_base_id == kb.id, Document.chunks_total > 0)
            .values(status="queued", chunks_embedded=0, error=None, error_code=None, updated_at=utcnow())
            .returning(Document.id)
        )
        return [r[0] for r in rows.all()]

    async def delete(self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID) -> None:
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        audit.record_for(self.db, caller, "knowledge_base.deleted", workspace_id=workspace_id, target=kb.name)
        await self.db.delete(kb)  # documents and chunks go with it (ON DELETE CASCADE)
        await self.db.commit()
        await asyncio.to_thread(shutil.rmtree, self.files / str(kb_id), True)

    async def _counts(self, kb_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
        """Documents and chunks per knowledge base, in two grouped queries whatever the number of bases."""
        docs: dict[uuid.UUID, int] = dict(
            (await self.db.execute(
                select(Document.knowledge_base_id, func.count())
                .where(Document.knowledge_base_id.in_(kb_ids))
                .group_by(Document.knowledge_base_id)
            )).all()
        )  # fmt: skip
        chunks: dict[uuid.UUID, int] = dict(
            (await self.db.execute(
                select(Chunk.knowledge_base_id, func.count())
                .where(Chunk.knowledge_base_id.in_(kb_ids))
                .group_by(Chunk.knowledge_base_id)
            )).all()
        )  # fmt: skip
        return {kb_id: (int(docs.get(kb_id, 0)), int(chunks.get(kb_id, 0))) for kb_id in kb_ids}

    async def _public(self, kb: KnowledgeBase) -> KnowledgeBasePublic:
        return self._public_with(kb, *(await self._counts([kb.id]))[kb.id])

    @staticmethod
    def _public_with(kb: KnowledgeBase, docs: int, chunks: int) -> KnowledgeBasePublic:
        return KnowledgeBasePublic(
            id=kb.id, name=kb.name, description=kb.description, embedding_model=kb.embedding_model, dims=kb.dims,
            chunking=kb.chunking, retrieval=RetrievalSettings.model_validate(kb.retrieval or {}),
            documents=int(docs), chunks=int(chunks), created_at=kb.created_at,
        )  # fmt: skip
