"""Knowledge bases of a workspace: create, list, delete; documents by upload or text; retrieval."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from hezi.api.deps import CallerDep, RuntimeDep, SessionDep, SettingsDep
from hezi.jobs.knowledge import defer_ingest
from hezi.knowledge.chunks import ChunkService
from hezi.knowledge.schemas import (
    ChunkCreate,
    ChunkPublic,
    ChunksPublic,
    ChunkUpdate,
    DocumentPublic,
    DocumentsPublic,
    KnowledgeBaseCreate,
    KnowledgeBasePublic,
    KnowledgeBasesPublic,
    RetrieveRequest,
    RetrieveResponse,
    TextDocumentCreate,
)
from hezi.knowledge.service import KnowledgeService

router = APIRouter(prefix="/workspaces/{workspace_id}/knowledge-bases", tags=["knowledge"])


def get_service(request: Request, db: SessionDep, settings: SettingsDep, runtime: RuntimeDep) -> KnowledgeService:
    async def defer(doc_id: uuid.UUID) -> None:
        await defer_ingest(runtime.jobs, doc_id)

    return KnowledgeService(db, settings.resolved_data_dir / "knowledge", request.app.state.embed, defer)


ServiceDep = Annotated[KnowledgeService, Depends(get_service)]


@router.get("")
async def list_kbs(workspace_id: uuid.UUID, caller: CallerDep, kbs: ServiceDep) -> KnowledgeBasesPublic:
    return await kbs.list_bases(caller, workspace_id)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_kb(
    workspace_id: uuid.UUID, body: KnowledgeBaseCreate, caller: CallerDep, kbs: ServiceDep
) -> KnowledgeBasePublic:
    return await kbs.create(caller, workspace_id, body)


@router.get("/{kb_id}")
async def get_kb(workspace_id: uuid.UUID, kb_id: uuid.UUID, caller: CallerDep, kbs: ServiceDep) -> KnowledgeBasePublic:
    return await kbs.get(caller, workspace_id, kb_id)


@router.delete("/{kb_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_kb(workspace_id: uuid.UUID, kb_id: uuid.UUID, caller: CallerDep, kbs: ServiceDep) -> None:
    await kbs.delete(caller, workspace_id, kb_id)


@router.get("/{kb_id}/documents")
async def list_documents(
    workspace_id: uuid.UUID,
    kb_id: uuid.UUID,
    caller: CallerDep,
    kbs: ServiceDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> DocumentsPublic:
    return await kbs.documents(caller, workspace_id, kb_id, offset=offset, limit=limit)


@router.post(
    "/{kb_id}/documents",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string"}}}}},
)
async def upload_document(
    workspace_id: uuid.UUID,
    kb_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    kbs: ServiceDep,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
) -> DocumentPublic:
    """The file's bytes as the body; ingestion runs in the background (watch the document's status)."""
    return await kbs.add(caller, workspace_id, kb_id, filename, await request.body(), "upload")


@router.post("/{kb_id}/documents/text", status_code=status.HTTP_201_CREATED)
async def add_text(
    workspace_id: uuid.UUID, kb_id: uuid.UUID, body: TextDocumentCreate, caller: CallerDep, kbs: ServiceDep
) -> DocumentPublic:
    name = body.name if body.name.lower().endswith((".txt", ".md")) else f"{body.name}.txt"
    return await kbs.add(caller, workspace_id, kb_id, name, body.text.encode(), "text")


@router.delete("/{kb_id}/documents/{doc_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_document(
    workspace_id: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID, caller: CallerDep, kbs: ServiceDep
) -> None:
    await kbs.remove(caller, workspace_id, kb_id, doc_id)


def get_chunks(request: Request, db: SessionDep) -> ChunkService:
    return ChunkService(db, request.app.state.embed)


ChunksDep = Annotated[ChunkService, Depends(get_chunks)]


@router.get("/{kb_id}/documents/{doc_id}/chunks")
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


@router.patch("/{kb_id}/documents/{doc_id}/chunks/{chunk_id}")
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


@router.post("/{kb_id}/documents/{doc_id}/chunks", status_code=status.HTTP_201_CREATED)
async def add_chunk(
    workspace_id: uuid.UUID, kb_id: uuid.UUID, doc_id: uuid.UUID, body: ChunkCreate, caller: CallerDep,
    chunks: ChunksDep,
) -> ChunkPublic:  # fmt: skip
    return await chunks.add(caller, workspace_id, kb_id, doc_id, body)


@router.post("/{kb_id}/retrieve")
async def retrieve(
    workspace_id: uuid.UUID, kb_id: uuid.UUID, body: RetrieveRequest, caller: CallerDep, kbs: ServiceDep
) -> RetrieveResponse:
    return await kbs.retrieve(caller, workspace_id, kb_id, body)
