"""Platform-wide user administration (superusers only), and the first-start admin account."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit, key_cache, passwords
from hezi.accounts.auth import AuthService
from hezi.accounts.errors import (
    PermissionDenied,
    SessionRequired,
    UsernameTaken,
    UserNotFound,
    WorkspaceNotFound,
)
from hezi.accounts.principal import Caller
from hezi.accounts.roles import Role
from hezi.accounts.schemas import UserCreate, UserPublic, UsersPublic, UserUpdate
from hezi.db.tables import Membership, User, Workspace

DEFAULT_WORKSPACE_NAME = "Default"


def require_superuser(caller: Caller) -> None:
    """User administration needs a superuser signed in with a session, never an API key."""
    if not caller.principal.user.is_superuser:
        raise PermissionDenied("Only platform administrators can manage users.")
    if not caller.principal.is_session:
        raise SessionRequired("Managing users needs a signed-in session, not an API key.")


class UserService:
    def __init__(self, db: AsyncSession, auth: AuthService) -> None:
        self.db = db
        self.auth = auth

    async def list(self, caller: Caller) -> UsersPublic:
        require_superuser(caller)
        rows = (await self.db.scalars(select(User).order_by(User.created_at))).all()
        return UsersPublic(data=[UserPublic.model_validate(u) for u in rows], count=len(rows))

    async def create(self, caller: Caller, body: UserCreate) -> UserPublic:
        require_superuser(caller)
        user = await self._insert(body)
        audit.record_for(
            self.db,
            caller,
            "user.created",
            target=user.username,
            details={"is_superuser": user.is_superuser},
        )
        await self.db.commit()
        return UserPublic.model_validate(user)

    async def _insert(self, body: UserCreate) -> User:
        passwords.check_policy(body.password, username=body.username)
        user = User(
            username=body.username,
            display_name=body.display_name or body.username,
            password_hash=passwords.hash_password(body.password),
            is_superuser=body.is_superuser,
        )
        self.db.add(user)
        try:
            await self.db.flush()
        except IntegrityError:
            await self.db.rollback()
            raise UsernameTaken(f"The username {body.username!r} is taken.") from None
        return user

    async def update(self, caller: Caller, user_id: uuid.UUID, body: UserUpdate) -> UserPublic:
        require_superuser(caller)
        user = await self._get(user_id)
        changes = body.model_dump(exclude_unset=True, exclude_none=True)
        if user.id == caller.principal.user_id and (
            changes.get("is_active") is False or changes.get("is_superuser") is False
        ):
            raise PermissionDenied("You cannot disable yourself or remove your own administrator rights.")
        for field, value in changes.items():
            setattr(user, field, value)
        await key_cache.announce(self.db, users=[user.id])  # its keys' principals carry the user as it was
        audit.record_for(
            self.db,
            caller,
            "user.updated",
            target=user.username,
            details=changes,
        )
        await self.db.commit()
        return UserPublic.model_validate(user)

    async def reset_password(self, caller: Caller, user_id: uuid.UUID, new_password: str) -> None:
        require_superuser(caller)
        user = await self._get(user_id)
        passwords.check_policy(new_password, username=user.username)
        await self.auth.set_password(user.id, new_password)
        audit.record_for(
            self.db,
            caller,
            "password.reset",
            target=user.username,
        )
        await self.db.commit()

    async def _get(self, user_id: uuid.UUID) -> User:
        user = await self.db.get(User, user_id)
        if user is None:
            raise UserNotFound("No such user.")
        return user

    # --- used by the CLI, where the operator at the console is trusted ---

    async def create_unchecked(self, body: UserCreate, *, workspace: str | None = None) -> User:
        """Create a user from the CLI and add them to `workspace` (default: the default workspace)."""
        user = await self._insert(body)
        ws = await self.find_workspace(workspace)
        self.db.add(Membership(workspace_id=ws.id, user_id=user.id, role=Role.MEMBER))
        audit.record(self.db, "user.created", actor="cli", target=user.username, details={"via": "cli"})
        await self.db.commit()
        return user

    async def reset_password_unchecked(self, username: str, new_password: str) -> None:
        user = await self.by_username(username)
        passwords.check_policy(new_password, username=user.username)
        await self.auth.set_password(user.id, new_password)
        audit.record(self.db, "password.reset", actor="cli", target=user.username, details={"via": "cli"})
        await self.db.commit()

    async def by_username(self, username: str) -> User:
        user = await self.db.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None:
            raise UserNotFound(f"No user named {username!r}.")
        return user

    async def find_workspace(self, name_or_id: str | None) -> Workspace:
        if name_or_id is None:
            ws = await self.db.scalar(select(Workspace).where(Workspace.is_default))
        else:
            try:
                query = select(Workspace).where(Workspace.id == uuid.UUID(name_or_id))
            except ValueError:
                query = select(Workspace).where(Workspace.name == name_or_id)
            ws = (await self.db.scalars(query.order_by(Workspace.created_at))).first()
        if ws is None:
            raise WorkspaceNotFound(f"No workspace {name_or_id or '(default)'!r}.")
        return ws


@dataclass(frozen=True)
class Bootstrap:
    username: str
    password: str | None  # set only when hezi generated it, so it can be printed once


async def ensure_admin(db: AsyncSession, username: str, password: str | None) -> Bootstrap | None:
    """On first start: the admin account and the default workspace it owns. Returns None if they exist."""
    if await db.scalar(select(func.count()).select_from(User)):
        return None
    generated = password is None
    if password is not None:
        passwords.check_policy(password, username=username)
    secret = password or secrets.token_urlsafe(12)
    admin = User(
        username=username.strip().lower(),
        display_name="Administrator",
        password_hash=passwords.hash_password(secret),
        is_superuser=True,
    )
    workspace = Workspace(name=DEFAULT_WORKSPACE_NAME, is_default=True)
    db.add_all([admin, workspace])
    await db.flush()
    db.add(Membership(workspace_id=workspace.id, user_id=admin.id, role=Role.OWNER))
    audit.record(db, "user.created", actor="system", target=admin.username, details={"bootstrap": True})
    await db.commit()
    return Bootstrap(username=admin.username, password=secret if generated else None)
