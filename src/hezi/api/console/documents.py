"""Documents of a knowledge base (upload, Q&A pairs, pasted text, URL, list, metadata, delete) and their chunks
(list, edit, add)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status

from hezi.api.deps import CallerDep, ServicesDep, SettingsDep
from hezi.api.knowledge_deps import ChunksDep, DocumentsDep
from hezi.knowledge.document_metadata import parse_metadata_json
from hezi.knowledge.fetch import UrlFetcher
from hezi.knowledge.schemas import (
    ChunkCreate,
    ChunkPublic,
    ChunksPublic,
    ChunkUpdate,
    DocumentPublic,
    DocumentsPublic,
    DocumentUpdate,
    TextDocumentCreate,
    UrlDocumentCreate,
)

router = APIRouter(prefix="/workspaces/{workspace_id}/knowledge-bases/{kb_id}", tags=["knowledge"])


async def get_fetcher(services: ServicesDep, settings: SettingsDep) -> UrlFetcher:
    """URL imports go out through the egress guard and may bring in no more than an upload may."""
    return UrlFetcher(services.egress.allowed, max_bytes=settings.max_document_bytes,
                      timeout=settings.knowledge_url_timeout_seconds)  # fmt: skip


FetcherDep = Annotated[UrlFetcher, Depends(get_fetcher)]


@router.get("/documents")
async def list_documents(
    workspace_id: uuid.UUID,
    kb_id: uuid.UUID,
    caller: CallerDep,
    docs: DocumentsDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> DocumentsPublic:
    return await docs.list(caller, workspace_id, kb_id, offset=offset, limit=limit)


@router.post(
    "/documents",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string"}}}}},
)
async def upload_document(
    workspace_id: uuid.UUID,
    kb_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    docs: DocumentsDep,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
    mode: Annotated[
        Literal["document", "qa"],
        Query(description="qa: a CSV/XLSX of question/answer columns, each row one chunk (question embedded)"),
    ] = "document",
    metadata: Annotated[
        str | None, Query(max_length=16_384, description='a JSON object, e.g. {"department": "HR", "year": 2025}')
    ] = None,
) -> DocumentPublic:
    """The file's bytes as the body; ingestion runs in the background (watch the document's status)."""
    meta = parse_metadata_json(metadata) if metadata is not None else None
    source = "qa" if mode == "qa" else "upload"
    return await docs.add(caller, workspace_id, kb_id, filename, await request.body(), source, metadata=meta)


@router.post("/documents/text", status_code=status.HTTP_201_CREATED)
async def add_text(
    workspace_id: uuid.UUID, kb_id: uuid.UUID, body: TextDocumentCreate, caller: CallerDep, docs: DocumentsDep
) -> DocumentPublic:
    name = body.name if body.name.lower().endswith((".txt", ".md")) else f"{body.name}.txt"
    return await docs.add(caller, workspace_id, kb_id, name, body.text.encode(), "text", metadata=body.metadata)


@router.post("/documents/url", status_code=status.HTTP_201_CREATED)
async def add_url(
    workspace_id: uuid.UUID,
    kb_id: uuid.UUID,
    body: UrlDocumentCreate,
    caller: CallerDep,
    docs: DocumentsDep,
    fetcher: FetcherDep,
) -> DocumentPublic:
    """Fetched during the request (a refused address, a 404 or a too-large body is this request's error);
    ingested in the background like an upload."""
    return await docs.add_url(caller, workspace_id, kb_id, body, fetcher)


@router.patch("/documents/{doc_id}")
async def update_document(
    workspace_id: uuid.UUID,
    kb_id: uuid.UUID,
    doc_id: uuid.UUID,
    body: DocumentUpdate,
    caller: CallerDep,
    docs: DocumentsDep,
) -> DocumentPublic:
    """Replace the document's metadata (what retrieval filters match)."""
    return await docs.update(caller, workspace_id, kb_id, doc_id, body)


@router.post("/documents/{doc_id}/retry")
async def retry_document(
    workspace_id: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID, caller: CallerDep, docs: DocumentsDep
) -> DocumentPublic:
    """Queue a failed document again; it resumes where it stopped."""
    return await docs.retry(caller, workspace_id, kb_id, doc_id)


@router.delete("/documents/{doc_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_document(
    workspace_id: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID, caller: CallerDep, docs: DocumentsDep
) -> None:
    await docs.remove(caller, workspace_id, kb_id, doc_id)


@router.get("/documents/{doc_id}/chunks")
async def list_chunks(
    workspace_id: uuid.UUID,
    kb_id: uuid.UUID,
    doc_id: uuid.UUID,
    caller: CallerDep,
    chunks: ChunksDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ChunksPublic:
    return await chunks.list(caller, workspace_id, kb_id, doc_id, offset=offset, limit=limit)


@router.patch("/documents/{doc_id}/chunks/{chunk_id}")
async def update_chunk(
    workspace_id: uuid.UUID,
    kb_id: uuid.UUID,
    doc_id: uuid.UUID,
    chunk_id: int,
    body: ChunkUpdate,
    caller: CallerDep,
    chunks: ChunksDep,
) -> ChunkPublic:
    """Edit (embedded again at once) or disable a chunk; disabled chunks are never retrieved."""
    return await chunks.update(caller, workspace_id, kb_id, doc_id, chunk_id, body)


@router.post("/documents/{doc_id}/chunks", status_code=status.HTTP_201_CREATED)
async def add_chunk(
    workspace_id: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID, body: ChunkCreate, caller: CallerDep,
    chunks: ChunksDep,
) -> ChunkPublic:  # fmt: skip
    return await chunks.add(caller, workspace_id, kb_id, doc_id, body)
