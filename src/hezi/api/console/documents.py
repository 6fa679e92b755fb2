"""Documents of a knowledge base (upload, pasted text, list, delete) and their chunks (list, edit, add)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from hezi.api.deps import CallerDep
from hezi.api.knowledge_deps import ChunksDep, DocumentsDep
from hezi.knowledge.schemas import (
    ChunkCreate,
    ChunkPublic,
    ChunksPublic,
    ChunkUpdate,
    DocumentPublic,
    DocumentsPublic,
    TextDocumentCreate,
)

router = APIRouter(prefix="/workspaces/{workspace_id}/knowledge-bases/{kb_id}", tags=["knowledge"])


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
) -> DocumentPublic:
    """The file's bytes as the body; ingestion runs in the background (watch the document's status)."""
    return await docs.add(caller, workspace_id, kb_id, filename, await request.body(), "upload")


@router.post("/documents/text", status_code=status.HTTP_201_CREATED)
async def add_text(
    workspace_id: uuid.UUID, kb_id: uuid.UUID, body: TextDocumentCreate, caller: CallerDep, docs: DocumentsDep
) -> DocumentPublic:
    name = body.name if body.name.lower().endswith((".txt", ".md")) else f"{body.name}.txt"
    return await docs.add(caller, workspace_id, kb_id, name, body.text.encode(), "text")


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
