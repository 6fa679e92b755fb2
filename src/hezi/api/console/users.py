"""Platform user administration (superusers)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from hezi.accounts.schemas import PasswordReset, UserCreate, UserPublic, UsersPublic, UserUpdate
from hezi.api.deps import CallerDep, UserServiceDep

router = APIRouter(prefix="/users", tags=["users"])


@router.get("")
async def list_users(caller: CallerDep, users: UserServiceDep) -> UsersPublic:
    return await users.list(caller)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreate, caller: CallerDep, users: UserServiceDep) -> UserPublic:
    return await users.create(caller, body)


@router.patch("/{user_id}")
async def update_user(user_id: uuid.UUID, body: UserUpdate, caller: CallerDep, users: UserServiceDep) -> UserPublic:
    return await users.update(caller, user_id, body)


@router.post("/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT)
async def reset_password(user_id: uuid.UUID, body: PasswordReset, caller: CallerDep, users: UserServiceDep) -> None:
    await users.reset_password(caller, user_id, body.new_password)
