"""Knowledge bases of a workspace: create and list them, add documents (ingested by a job), retrieve chunks."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit
from hezi.accounts.principal import Caller
from hezi.accounts.roles import Role
from hezi.accounts.workspaces import WorkspaceService
from hezi.db.base import utcnow
from hezi.db.tables import Chunk, Document, KnowledgeBase
from hezi.errors import Conflict, InvalidInput, NotFound
from hezi.knowledge import retrieval
from hezi.knowledge.filenames import safe_filename
from hezi.knowledge.parsing import supported_extensions
from hezi.knowledge.rules import DEFAULT, rules_from
from hezi.knowledge.schemas import (
    DocumentPublic,
    DocumentsPublic,
    KnowledgeBaseCreate,
    KnowledgeBasePublic,
    KnowledgeBasesPublic,
    RetrievedChunk,
    RetrieveRequest,
    RetrieveResponse,
)

DEFAULT_EMBEDDING_MODEL = "all-minilm-l6-v2"
Embed = Callable[[str, list[str]], Awaitable[list[list[float]]]]
Defer = Callable[[uuid.UUID], Awaitable[None]]


class KnowledgeBaseNotFound(NotFound):
    code = "knowledge_base_not_found"


class DocumentNotFound(NotFound):
    code = "document_not_found"


class KnowledgeBaseNameTaken(Conflict):
    code = "knowledge_base_name_taken"


class KnowledgeService:
    def __init__(self, db: AsyncSession, files: Path, embed: Embed, defer: Defer) -> None:
        self.db = db
        self.files = files  # where uploaded documents are kept, one folder per knowledge base
        self.embed = embed
        self.defer = defer

    async def _access(self, caller: Caller, workspace_id: uuid.UUID, write: bool) -> None:
        acc = await WorkspaceService(self.db).access(caller, workspace_id)
        if write:
            acc.require(Role.EDITOR, "change knowledge bases")

    async def _kb(self, workspace_id: uuid.UUID, kb_id: uuid.UUID) -> KnowledgeBase:
        kb = await self.db.scalar(
            select(KnowledgeBase).where(KnowledgeBase.id == kb_id, KnowledgeBase.workspace_id == workspace_id)
        )
        if kb is None:
            raise KnowledgeBaseNotFound("No such knowledge base in this workspace.")
        return kb

    # --- knowledge bases ---

    async def create(self, caller: Caller, workspace_id: uuid.UUID, body: KnowledgeBaseCreate) -> KnowledgeBasePublic:
        await self._access(caller, workspace_id, write=True)
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
        await self._access(caller, workspace_id, write=False)
        rows = (
            await self.db.scalars(
                select(KnowledgeBase).where(KnowledgeBase.workspace_id == workspace_id).order_by(KnowledgeBase.name)
            )
        ).all()
        counts = await self._counts([kb.id for kb in rows])
        data = [self._public_with(kb, *counts.get(kb.id, (0, 0))) for kb in rows]
        return KnowledgeBasesPublic(data=data, count=len(data))

    async def get(self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID) -> KnowledgeBasePublic:
        await self._access(caller, workspace_id, write=False)
        return await self._public(await self._kb(workspace_id, kb_id))

    async def delete(self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID) -> None:
        await self._access(caller, workspace_id, write=True)
        kb = await self._kb(workspace_id, kb_id)
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

    # --- documents ---

    async def add(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, filename: str, data: bytes, source: str
    ) -> DocumentPublic:
        """Keep the file and queue its ingestion; what is wrong with its content shows on the document later."""
        await self._access(caller, workspace_id, write=True)
        kb = await self._kb(workspace_id, kb_id)
        name = safe_filename(filename)
        if not name.lower().endswith(tuple(supported_extensions())):
            from hezi.knowledge.errors import UnsupportedDocument

            known = ", ".join(sorted(supported_extensions()))
            raise UnsupportedDocument(f"{name!r} is not a supported document type ({known}).")
        if not data:
            raise InvalidInput(f"{name!r} is empty.", code="empty_document")
        doc = Document(
            knowledge_base_id=kb.id, name=name, source=source, file_path="", sha256=hashlib.sha256(data).hexdigest(),
            size_bytes=len(data), status="queued", created_at=utcnow(), updated_at=utcnow(),
        )  # fmt: skip
        self.db.add(doc)
        await self.db.flush()
        path = self.files / str(kb.id) / f"{doc.id}{Path(name).suffix.lower()}"
        await asyncio.to_thread(_write, path, data)
        doc.file_path = str(path)
        audit.record_for(self.db, caller, "document.added", workspace_id=workspace_id, target=f"{kb.name}/{name}")
        await self.db.commit()
        await self.defer(doc.id)
        return _doc_public(doc)

    async def documents(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, *, offset: int = 0, limit: int = 500
    ) -> DocumentsPublic:
        """A page of the knowledge base's documents, oldest first; `count` is the total."""
        await self._access(caller, workspace_id, write=False)
        await self._kb(workspace_id, kb_id)
        rows = (
            await self.db.scalars(
                select(Document)
                .where(Document.knowledge_base_id == kb_id)
                .order_by(Document.created_at, Document.id)
                .offset(offset)
                .limit(limit)
            )
        ).all()
        total = await self.db.scalar(select(func.count()).where(Document.knowledge_base_id == kb_id)) or 0
        return DocumentsPublic(data=[_doc_public(d) for d in rows], count=int(total))

    async def remove(self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID) -> None:
        """Delete a document; its chunks go in the same transaction."""
        await self._access(caller, workspace_id, write=True)
        await self._kb(workspace_id, kb_id)
        doc = await self.db.scalar(select(Document).where(Document.id == doc_id, Document.knowledge_base_id == kb_id))
        if doc is None:
            raise DocumentNotFound("No such document in this knowledge base.")
        path = Path(doc.file_path)
        await self.db.delete(doc)
        await self.db.commit()
        path.unlink(missing_ok=True)

    # --- retrieval ---

    async def retrieve(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, body: RetrieveRequest
    ) -> RetrieveResponse:
        await self._access(caller, workspace_id, write=False)
        kb = await self._kb(workspace_id, kb_id)
        wide = max(body.top_k * 4, 20)  # each list is cut wider than top_k so fusion has material
        lists = []
        if body.mode in ("vector", "hybrid"):
            vector = (await self.embed(kb.embedding_model, [body.query]))[0]
            lists.append(await retrieval.vector_hits(self.db, kb.id, kb.dims, vector, wide))
        if body.mode in ("full_text", "hybrid"):
            lists.append(await retrieval.full_text_hits(self.db, kb.id, body.query, wide))
        hits = retrieval.fuse(*lists, k=body.top_k) if body.mode == "hybrid" else lists[0][: body.top_k]
        if body.score_threshold is not None:
            hits = [h for h in hits if h.score >= body.score_threshold]
        chunks = [RetrievedChunk(**c) for c in await retrieval.load(self.db, hits)]
        return RetrieveResponse(query=body.query, mode=body.mode, data=chunks)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _doc_public(d: Document) -> DocumentPublic:
    return DocumentPublic(
        id=d.id, name=d.name, source=d.source, size_bytes=d.size_bytes, status=d.status,
        error=d.error, error_code=d.error_code, chunks_total=d.chunks_total, chunks_embedded=d.chunks_embedded,
        created_at=d.created_at, updated_at=d.updated_at,
    )  # fmt: skip
