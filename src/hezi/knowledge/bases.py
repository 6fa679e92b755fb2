"""Knowledge bases of a workspace: create, list, read, delete."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

from sqlalchemy import func, select
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
from hezi.knowledge.schemas import KnowledgeBaseCreate, KnowledgeBasePublic, KnowledgeBasesPublic

DEFAULT_EMBEDDING_MODEL = "all-minilm-l6-v2"


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
        probe = await self.embed(model, ["dimension probe"])  # the model must exist and be an embedding model
        kb = KnowledgeBase(
            workspace_id=workspace_id, name=body.name, description=body.description, embedding_model=model,
            dims=len(probe[0]), chunking={**DEFAULT, **body.chunking} if body.chunking.get("mode", "automatic")
            == "automatic" else body.chunking, created_by=caller.principal.user_id, created_at=utcnow(),
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
            chunking=kb.chunking, documents=int(docs), chunks=int(chunks), created_at=kb.created_at,
        )  # fmt: skip
