"""Documents of a knowledge base: add one (a file, pasted text, a URL, Q&A pairs; kept on disk, ingested by a job),
list them, change their metadata, delete one."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit
from hezi.accounts.principal import Caller
from hezi.db.base import utcnow
from hezi.db.tables import Document
from hezi.errors import Conflict, InvalidInput
from hezi.knowledge import access, terms
from hezi.knowledge.access import Defer
from hezi.knowledge.document_metadata import validate_metadata
from hezi.knowledge.errors import UnsupportedDocument
from hezi.knowledge.fetch import UrlFetcher, document_name
from hezi.knowledge.filenames import safe_filename
from hezi.knowledge.metadata_fields import write_built_in
from hezi.knowledge.parsing import supported_extensions
from hezi.knowledge.parsing.qa import QA_EXTENSIONS
from hezi.knowledge.schemas import DocumentPublic, DocumentsPublic, DocumentUpdate, UrlDocumentCreate


class DocumentService:
    def __init__(self, db: AsyncSession, files: Path, defer: Defer) -> None:
        self.db = db
        self.files = files  # where uploaded documents are kept, one folder per knowledge base
        self.defer = defer

    async def add(
        self,
        caller: Caller,
        workspace_id: uuid.UUID,
        kb_id: uuid.UUID,
        filename: str,
        data: bytes,
        source: str,
        *,
        metadata: dict[str, Any] | None = None,
        source_url: str | None = None,
        batch: str | None = None,
    ) -> DocumentPublic:
        """Keep the file and queue its ingestion; what is wrong with its content shows on the document later.

        `batch` groups the documents one request added, so their progress can be asked for together (Dify's API).

        `source` "qa" means a CSV/XLSX of question/answer pairs, each pair one chunk (knowledge/parsing/qa.py).
        """
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        name = safe_filename(filename)
        accepted = QA_EXTENSIONS if source == "qa" else tuple(supported_extensions())
        if not name.lower().endswith(accepted):
            what = "Q&A pairs" if source == "qa" else "document"
            raise UnsupportedDocument(f"{name!r} is not a supported {what} type ({', '.join(sorted(accepted))}).")
        if not data:
            raise InvalidInput(f"{name!r} is empty.", code="empty_document")
        meta = validate_metadata(metadata) if metadata is not None else {}
        doc = Document(
            knowledge_base_id=kb.id, name=name, source=source, source_url=source_url, metadata_=meta, file_path="",
            sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data), status="queued", created_at=utcnow(),
            updated_at=utcnow(), batch=batch, created_by=caller.principal.user_id,
        )  # fmt: skip
        if kb.built_in_metadata:  # Dify's built-in fields, switched on for this base
            await write_built_in(self.db, [doc])
        self.db.add(doc)
        await self.db.flush()
        path = self.files / str(kb.id) / f"{doc.id}{Path(name).suffix.lower()}"
        await asyncio.to_thread(_write, path, data)
        doc.file_path = str(path)
        audit.record_for(self.db, caller, "document.added", workspace_id=workspace_id, target=f"{kb.name}/{name}",
                         details={"source": source, **({"url": source_url} if source_url else {})})  # fmt: skip
        await self.db.commit()
        await self.defer(doc.id)
        return document_public(doc)

    async def add_url(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, body: UrlDocumentCreate, fetcher: UrlFetcher
    ) -> DocumentPublic:
        """Fetch the URL now (so a refused address or a 404 is the request's error), then ingest it like an upload."""
        await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)  # before anything goes out
        if body.metadata is not None:
            validate_metadata(body.metadata)
        fetched = await fetcher.fetch(body.url)
        name = document_name(fetched, body.name)
        return await self.add(caller, workspace_id, kb_id, name, fetched.data, "url",
                              metadata=body.metadata, source_url=fetched.url)  # fmt: skip

    async def update(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID, body: DocumentUpdate
    ) -> DocumentPublic:
        """Replace a document's metadata; retrieval filters see it at once (no re-embedding needed)."""
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        doc = await access.document(self.db, kb_id, doc_id)
        doc.metadata_ = validate_metadata(body.metadata)
        doc.updated_at = utcnow()
        audit.record_for(self.db, caller, "document.updated", workspace_id=workspace_id, target=f"{kb.name}/{doc.name}",
                         details={"metadata_keys": sorted(doc.metadata_)})  # fmt: skip
        await self.db.commit()
        await self.db.refresh(doc)
        return document_public(doc)

    async def list(
        self,
        caller: Caller,
        workspace_id: uuid.UUID,
        kb_id: uuid.UUID,
        *,
        offset: int = 0,
        limit: int = 500,
        keyword: str | None = None,
        batch: str | None = None,
    ) -> DocumentsPublic:
        """A page of the knowledge base's documents, oldest first; `count` is the total.

        `keyword` keeps the documents whose name contains it (any case); `batch`, those one request added."""
        await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=False)
        where = [Document.knowledge_base_id == kb_id]
        if keyword:
            escaped = keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(Document.name.ilike(f"%{escaped}%", escape="\\"))
        if batch is not None:
            where.append(Document.batch == batch)
        rows = (
            await self.db.scalars(
                select(Document).where(*where).order_by(Document.created_at, Document.id).offset(offset).limit(limit)
            )
        ).all()
        total = await self.db.scalar(select(func.count()).select_from(Document).where(*where)) or 0
        return DocumentsPublic(data=[document_public(d) for d in rows], count=int(total))

    async def get(self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID) -> DocumentPublic:
        await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=False)
        return document_public(await access.document(self.db, kb_id, doc_id))

    async def retry(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID
    ) -> DocumentPublic:
        """Queue a failed document again — after its embedding model is deployed again, OCR is turned on… It resumes
        where it stopped: chunks already stored are kept and only the missing vectors are made."""
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        doc = await access.document(self.db, kb_id, doc_id)
        if doc.status != "failed":
            raise Conflict(
                f"Only a failed document can be retried; this one is {doc.status}.", code="document_not_failed"
            )
        doc.status, doc.error, doc.error_code, doc.updated_at = "queued", None, None, utcnow()
        audit.record_for(self.db, caller, "document.retried", workspace_id=workspace_id, target=f"{kb.name}/{doc.name}")
        await self.db.commit()
        await self.defer(doc.id)
        return document_public(doc)

    async def remove(self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID) -> None:
        """Delete a document; its chunks go in the same transaction."""
        await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        doc = await access.document(self.db, kb_id, doc_id)
        path = Path(doc.file_path)
        await terms.remove_document(self.db, kb_id, doc.id)
        await self.db.delete(doc)
        await self.db.commit()
        path.unlink(missing_ok=True)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def document_public(d: Document) -> DocumentPublic:
    return DocumentPublic(
        id=d.id, name=d.name, source=d.source, source_url=d.source_url, metadata=d.metadata_ or {},
        size_bytes=d.size_bytes, status=d.status,
        error=d.error, error_code=d.error_code, chunks_total=d.chunks_total, chunks_embedded=d.chunks_embedded,
        created_at=d.created_at, updated_at=d.updated_at,
    )  # fmt: skip
