"""Knowledge bases of a workspace: create, list, read, delete; retrieval (hit testing)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from hezi.api.deps import CallerDep
from hezi.api.knowledge_deps import BasesDep, SearchDep
from hezi.knowledge.schemas import (
    KnowledgeBaseCreate,
    KnowledgeBasePublic,
    KnowledgeBasesPublic,
    KnowledgeBaseUpdate,
    RetrieveRequest,
    RetrieveResponse,
)

router = APIRouter(prefix="/workspaces/{workspace_id}/knowledge-bases", tags=["knowledge"])


@router.get("")
async def list_kbs(workspace_id: uuid.UUID, caller: CallerDep, kbs: BasesDep) -> KnowledgeBasesPublic:
    return await kbs.list_bases(caller, workspace_id)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_kb(
    workspace_id: uuid.UUID, body: KnowledgeBaseCreate, caller: CallerDep, kbs: BasesDep
) -> KnowledgeBasePublic:
    return await kbs.create(caller, workspace_id, body)


@router.get("/{kb_id}")
async def get_kb(workspace_id: uuid.UUID, kb_id: uuid.UUID, caller: CallerDep, kbs: BasesDep) -> KnowledgeBasePublic:
    return await kbs.get(caller, workspace_id, kb_id)


@router.patch("/{kb_id}")
async def update_kb(
    workspace_id: uuid.UUID, kb_id: uuid.UUID, body: KnowledgeBaseUpdate, caller: CallerDep, kbs: BasesDep
) -> KnowledgeBasePublic:
    """A new embedding model re-embeds every chunk in the background; documents show their progress meanwhile."""
    return await kbs.update(caller, workspace_id, kb_id, body)


@router.delete("/{kb_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_kb(workspace_id: uuid.UUID, kb_id: uuid.UUID, caller: CallerDep, kbs: BasesDep) -> None:
    await kbs.delete(caller, workspace_id, kb_id)


@router.post("/{kb_id}/retrieve")
async def retrieve(
    workspace_id: uuid.UUID, kb_id: uuid.UUID, body: RetrieveRequest, caller: CallerDep, search: SearchDep
) -> RetrieveResponse:
    return await search.retrieve(caller, workspace_id, kb_id, body)
