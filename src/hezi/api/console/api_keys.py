"""API keys of a workspace."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from hezi.accounts.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeysPublic
from hezi.api.deps import ApiKeyServiceDep, CallerDep

router = APIRouter(prefix="/workspaces/{workspace_id}/api-keys", tags=["api-keys"])


@router.get("")
async def list_keys(workspace_id: uuid.UUID, caller: CallerDep, keys: ApiKeyServiceDep) -> ApiKeysPublic:
    return await keys.list(caller, workspace_id)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_key(
    workspace_id: uuid.UUID, body: ApiKeyCreate, caller: CallerDep, keys: ApiKeyServiceDep
) -> ApiKeyCreated:
    return await keys.create(caller, workspace_id, body)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_key(workspace_id: uuid.UUID, key_id: uuid.UUID, caller: CallerDep, keys: ApiKeyServiceDep) -> None:
    await keys.revoke(caller, workspace_id, key_id)
