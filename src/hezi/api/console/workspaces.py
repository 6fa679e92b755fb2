"""Workspaces the caller belongs to."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from hezi.accounts.schemas import WorkspaceCreate, WorkspacePublic, WorkspacesPublic, WorkspaceUpdate
from hezi.api.deps import CallerDep, WorkspaceServiceDep

router = APIRouter(prefix="/workspaces", tags=["workspaces"])


@router.get("")
async def list_workspaces(caller: CallerDep, workspaces: WorkspaceServiceDep) -> WorkspacesPublic:
    return await workspaces.list(caller)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_workspace(
    body: WorkspaceCreate, caller: CallerDep, workspaces: WorkspaceServiceDep
) -> WorkspacePublic:
    return await workspaces.create(caller, body.name)


@router.patch("/{workspace_id}")
async def rename_workspace(
    workspace_id: uuid.UUID, body: WorkspaceUpdate, caller: CallerDep, workspaces: WorkspaceServiceDep
) -> WorkspacePublic:
    return await workspaces.rename(caller, workspace_id, body.name)


@router.delete("/{workspace_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_workspace(workspace_id: uuid.UUID, caller: CallerDep, workspaces: WorkspaceServiceDep) -> None:
    await workspaces.delete(caller, workspace_id)
