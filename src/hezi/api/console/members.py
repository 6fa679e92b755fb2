"""Members of a workspace and their roles."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from hezi.accounts.schemas import MemberCreate, MemberPublic, MembersPublic, MemberUpdate
from hezi.api.deps import CallerDep, WorkspaceServiceDep

router = APIRouter(prefix="/workspaces/{workspace_id}/members", tags=["members"])


@router.get("")
async def list_members(workspace_id: uuid.UUID, caller: CallerDep, workspaces: WorkspaceServiceDep) -> MembersPublic:
    return await workspaces.members(caller, workspace_id)


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_member(
    workspace_id: uuid.UUID, body: MemberCreate, caller: CallerDep, workspaces: WorkspaceServiceDep
) -> MemberPublic:
    return await workspaces.add_member(caller, workspace_id, body.username, body.role)


@router.patch("/{user_id}")
async def change_role(
    workspace_id: uuid.UUID,
    user_id: uuid.UUID,
    body: MemberUpdate,
    caller: CallerDep,
    workspaces: WorkspaceServiceDep,
) -> MemberPublic:
    return await workspaces.change_role(caller, workspace_id, user_id, body.role)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    workspace_id: uuid.UUID, user_id: uuid.UUID, caller: CallerDep, workspaces: WorkspaceServiceDep
) -> None:
    await workspaces.remove_member(caller, workspace_id, user_id)
