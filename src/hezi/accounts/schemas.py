"""Pydantic shapes of the accounts domain as the API shows them (names say their purpose)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from hezi.accounts.roles import Role

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def _username(value: str) -> str:
    value = value.strip().lower()
    if not _USERNAME.match(value):
        raise ValueError("2–64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit")
    return value


Username = Annotated[str, AfterValidator(_username)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
NewPassword = Annotated[str, StringConstraints(min_length=8, max_length=256)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Scope = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.:-]{0,31}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserPublic(Public):
    id: uuid.UUID
    username: str
    display_name: str
    is_superuser: bool
    is_active: bool
    created_at: datetime


class UsersPublic(BaseModel):
    data: list[UserPublic]
    count: int


class UserCreate(Strict):
    username: Username
    password: NewPassword
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] = ""
    is_superuser: bool = False


class UserUpdate(Strict):
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] | None = None
    is_active: bool | None = None
    is_superuser: bool | None = None


class PasswordReset(Strict):
    new_password: NewPassword


class PasswordChange(Strict):
    current_password: Password
    new_password: NewPassword


class LoginRequest(Strict):
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    password: Password


class LoginResponse(BaseModel):
    token: str
    expires_at: datetime
    user: UserPublic


class WorkspaceRef(BaseModel):
    id: uuid.UUID
    name: str
    role: Role


class Me(BaseModel):
    user: UserPublic
    workspaces: list[WorkspaceRef]
    # Set when the caller is an API key: the one workspace it is bound to.
    api_key_workspace_id: uuid.UUID | None = None


class WorkspacePublic(BaseModel):
    id: uuid.UUID
    name: str
    role: Role
    is_default: bool
    member_count: int
    created_at: datetime


class WorkspacesPublic(BaseModel):
    data: list[WorkspacePublic]
    count: int


class WorkspaceCreate(Strict):
    name: Name


class WorkspaceUpdate(Strict):
    name: Name


class MemberPublic(BaseModel):
    user_id: uuid.UUID
    username: str
    display_name: str
    role: Role
    joined_at: datetime


class MembersPublic(BaseModel):
    data: list[MemberPublic]
    count: int


class MemberCreate(Strict):
    username: Username
    role: Role = Role.MEMBER


class MemberUpdate(Strict):
    role: Role


class ApiKeyPublic(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    kind: Literal["user", "app"] = "user"
    app_id: uuid.UUID | None = None
    rate_limit_rpm: int | None = None
    token_limit_per_day: int | None = None
    created_by: str | None
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="the secret; shown only in this response")


class ApiKeysPublic(BaseModel):
    data: list[ApiKeyPublic]
    count: int


# Limits a key can be given; None (the default) is unlimited.
RequestsPerMinute = Annotated[
    int | None, Field(ge=1, le=1_000_000, description="requests per minute, counted across every server")
]
TokensPerDay = Annotated[
    int | None, Field(ge=1, le=10**12, description="prompt + completion tokens per UTC day, across every server")
]


class ApiKeyCreate(Strict):
    name: Name
    scopes: list[Scope] = Field(default_factory=lambda: ["api"], min_length=1, max_length=16)
    expires_at: datetime | None = None
    rate_limit_rpm: RequestsPerMinute = None
    token_limit_per_day: TokensPerDay = None


class AppKeyCreate(Strict):
    """A key for one app's API; its scope is fixed (`app`)."""

    name: Name
    expires_at: datetime | None = None
    rate_limit_rpm: RequestsPerMinute = None
    token_limit_per_day: TokensPerDay = None


class AuditEntryPublic(Public):
    id: int
    at: datetime
    action: str
    actor: str | None
    workspace_id: uuid.UUID | None
    target: str | None
    ip: str | None
    details: dict[str, Any]


class AuditEntriesPublic(BaseModel):
    data: list[AuditEntryPublic]
    count: int
