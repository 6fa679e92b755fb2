"""Documents of a knowledge base: add one (kept on disk, ingested by a job), list them, delete one."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit
from hezi.accounts.principal import Caller
from hezi.db.base import utcnow
from hezi.db.tables import Document
from hezi.errors import InvalidInput
from hezi.knowledge import access
from hezi.knowledge.access import Defer
from hezi.knowledge.errors import UnsupportedDocument
from hezi.knowledge.filenames import safe_filename
from hezi.knowledge.parsing import supported_extensions
from hezi.knowledge.schemas import DocumentPublic, DocumentsPublic


class DocumentService:
    def __init__(self, db: AsyncSession, files: Path, defer: Defer) -> None:
        self.db = db
        self.files = files  # where uploaded documents are kept, one folder per knowledge base
        self.defer = defer

    async def add(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, filename: str, data: bytes, source: str
    ) -> DocumentPublic:
        """Keep the file and queue its ingestion; what is wrong with its content shows on the document later."""
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        name = safe_filename(filename)
        if not name.lower().endswith(tuple(supported_extensions())):
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
        return document_public(doc)

    async def list(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, *, offset: int = 0, limit: int = 500
    ) -> DocumentsPublic:
        """A page of the knowledge base's documents, oldest first; `count` is the total."""
        await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=False)
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
        return DocumentsPublic(data=[document_public(d) for d in rows], count=int(total))

    async def remove(self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID) -> None:
        """Delete a document; its chunks go in the same transaction."""
        await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        doc = await access.document(self.db, kb_id, doc_id)
        path = Path(doc.file_path)
        await self.db.delete(doc)
        await self.db.commit()
        path.unlink(missing_ok=True)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def document_public(d: Document) -> DocumentPublic:
    return DocumentPublic(
        id=d.id, name=d.name, source=d.source, size_bytes=d.size_bytes, status=d.status,
        error=d.error, error_code=d.error_code, chunks_total=d.chunks_total, chunks_embedded=d.chunks_embedded,
        created_at=d.created_at, updated_at=d.updated_at,
    )  # fmt: skip
