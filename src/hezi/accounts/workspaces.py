"""Workspaces and their members: the unit every other resource is scoped to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit, key_cache, roles
from hezi.accounts.errors import (
    AlreadyMember,
    DefaultWorkspace,
    LastOwner,
    MemberNotFound,
    PermissionDenied,
    UserNotFound,
    WorkspaceNotFound,
)
from hezi.accounts.principal import Caller
from hezi.accounts.roles import Role
from hezi.accounts.schemas import (
    MemberPublic,
    MembersPublic,
    WorkspacePublic,
    WorkspaceRef,
    WorkspacesPublic,
)
from hezi.db.tables import Membership, User, Workspace


@dataclass(frozen=True)
class Access:
    """The caller's standing in one workspace."""

    workspace: Workspace
    role: Role

    def require(self, minimum: Role, what: str) -> None:
        if not self.role.at_least(minimum):
            raise PermissionDenied(f"You need the {minimum.value} role or higher to {what}.")


class WorkspaceService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def access(self, caller: Caller, workspace_id: uuid.UUID) -> Access:
        """The caller's role in the workspace. Outsiders get 404, so they learn nothing of it."""
        p = caller.principal
        if p.key_workspace_id is not None and p.key_workspace_id != workspace_id:
            raise WorkspaceNotFound("No such workspace.")
        row = (
            await self.db.execute(
                select(Workspace, Membership.role)
                .join(Membership, Membership.workspace_id == Workspace.id)
                .where(Workspace.id == workspace_id, Membership.user_id == p.user_id)
            )
        ).first()
        if row is None:
            raise WorkspaceNotFound("No such workspace.")
        return Access(workspace=row[0], role=Role(row[1]))

    async def refs(self, caller: Caller) -> list[WorkspaceRef]:
        """The workspaces the caller may act in (just the key's own for an API key)."""
        p = caller.principal
        query = (
            select(Workspace, Membership.role)
            .join(Membership, Membership.workspace_id == Workspace.id)
            .where(Membership.user_id == p.user_id)
            .order_by(Workspace.is_default.desc(), Workspace.created_at)
        )
        if p.key_workspace_id is not None:
            query = query.where(Workspace.id == p.key_workspace_id)
        rows = (await self.db.execute(query)).all()
        return [WorkspaceRef(id=ws.id, name=ws.name, role=Role(role)) for ws, role in rows]

    async def list(self, caller: Caller) -> WorkspacesPublic:
        p = caller.principal
        counts = select(Membership.workspace_id, func.count().label("n")).group_by(Membership.workspace_id).subquery()
        query = (
            select(Workspace, Membership.role, counts.c.n)
            .join(Membership, Membership.workspace_id == Workspace.id)
            .join(counts, counts.c.workspace_id == Workspace.id)
            .where(Membership.user_id == p.user_id)
            .order_by(Workspace.is_default.desc(), Workspace.created_at)
        )
        if p.key_workspace_id is not None:
            query = query.where(Workspace.id == p.key_workspace_id)
        out = [self._public(ws, Role(role), n) for ws, role, n in (await self.db.execute(query)).all()]
        return WorkspacesPublic(data=out, count=len(out))

    async def create(self, caller: Caller, name: str) -> WorkspacePublic:
        p = caller.principal
        if not p.is_session:
            raise PermissionDenied("Creating a workspace needs a signed-in session.")
        ws = Workspace(name=name)
        self.db.add(ws)
        await self.db.flush()
        self.db.add(Membership(workspace_id=ws.id, user_id=p.user_id, role=Role.OWNER))
        self._audit(caller, "workspace.created", ws.id, target=name)
        await self.db.commit()
        return self._public(ws, Role.OWNER, 1)

    async def rename(self, caller: Caller, workspace_id: uuid.UUID, name: str) -> WorkspacePublic:
        acc = await self.access(caller, workspace_id)
        acc.require(roles.RENAME_WORKSPACE, "rename this workspace")
        old = acc.workspace.name
        acc.workspace.name = name
        self._audit(caller, "workspace.updated", workspace_id, target=name, details={"old_name": old})
        await self.db.commit()
        return self._public(acc.workspace, acc.role, await self._count(workspace_id))

    async def delete(self, caller: Caller, workspace_id: uuid.UUID) -> None:
        acc = await self.access(caller, workspace_id)
        acc.require(roles.DELETE_WORKSPACE, "delete this workspace")
        if acc.workspace.is_default:
            raise DefaultWorkspace("The default workspace cannot be deleted.")
        # Recorded without a workspace id: the workspace's own entries go with it.
        audit.record_for(
            self.db,
            caller,
            "workspace.deleted",
            target=f"{acc.workspace.name} ({workspace_id})",
        )
        await self.db.delete(acc.workspace)
        await key_cache.announce(self.db, workspaces=[workspace_id])  # its keys go with it
        await self.db.commit()

    # --- members ---

    async def members(self, caller: Caller, workspace_id: uuid.UUID) -> MembersPublic:
        await self.access(caller, workspace_id)
        rows = (
            await self.db.execute(
                select(Membership, User)
                .join(User, User.id == Membership.user_id)
                .where(Membership.workspace_id == workspace_id)
                .order_by(Membership.created_at)
            )
        ).all()
        data = [self._member(m, u) for m, u in rows]
        return MembersPublic(data=data, count=len(data))

    async def add_member(self, caller: Caller, workspace_id: uuid.UUID, username: str, role: Role) -> MemberPublic:
        acc = await self.access(caller, workspace_id)
        self._check_grant(acc, role)
        user = await self.db.scalar(select(User).where(User.username == username))
        if user is None:
            raise UserNotFound(f"No user named {username!r}.")
        if await self.db.get(Membership, (workspace_id, user.id)) is not None:
            raise AlreadyMember(f"{username} is already a member of this workspace.")
        membership = Membership(workspace_id=workspace_id, user_id=user.id, role=role)
        self.db.add(membership)
        await self.db.flush()
        self._audit(caller, "member.added", workspace_id, target=user.username, details={"role": role.value})
        await self.db.commit()
        return self._member(membership, user)

    async def change_role(
        self, caller: Caller, workspace_id: uuid.UUID, user_id: uuid.UUID, role: Role
    ) -> MemberPublic:
        acc = await self.access(caller, workspace_id)
        membership, user = await self._membership(workspace_id, user_id)
        old = Role(membership.role)
        self._check_grant(acc, role)
        self._check_grant(acc, old)
        if old == Role.OWNER and role != Role.OWNER:
            await self._keep_an_owner(workspace_id)
        membership.role = role
        await key_cache.announce(self.db, users=[user_id])
        self._audit(
            caller,
            "member.role_changed",
            workspace_id,
            target=user.username,
            details={"old_role": old.value, "new_role": role.value},
        )
        await self.db.commit()
        return self._member(membership, user)

    async def remove_member(self, caller: Caller, workspace_id: uuid.UUID, user_id: uuid.UUID) -> None:
        acc = await self.access(caller, workspace_id)
        membership, user = await self._membership(workspace_id, user_id)
        if user_id != caller.principal.user_id:  # anyone may leave; removing others needs the right role
            self._check_grant(acc, Role(membership.role))
        if membership.role == Role.OWNER:
            await self._keep_an_owner(workspace_id)
        await self.db.delete(membership)
        await key_cache.announce(self.db, users=[user_id])  # the user's keys in this workspace end with it
        self._audit(caller, "member.removed", workspace_id, target=user.username)
        await self.db.commit()

    def _check_grant(self, acc: Access, role: Role) -> None:
        """Admins manage admins and below; only an owner grants or takes away ownership."""
        acc.require(roles.MANAGE_MEMBERS, "manage members")
        if role == Role.OWNER and acc.role != Role.OWNER:
            raise PermissionDenied("Only an owner can grant or change the owner role.")

    async def _keep_an_owner(self, workspace_id: uuid.UUID) -> None:
        owners = await self.db.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.workspace_id == workspace_id, Membership.role == Role.OWNER)
        )
        if (owners or 0) <= 1:
            raise LastOwner("A workspace needs at least one owner; make someone else owner first.")

    async def _membership(self, workspace_id: uuid.UUID, user_id: uuid.UUID) -> tuple[Membership, User]:
        row = (
            await self.db.execute(
                select(Membership, User)
                .join(User, User.id == Membership.user_id)
                .where(Membership.workspace_id == workspace_id, Membership.user_id == user_id)
            )
        ).first()
        if row is None:
            raise MemberNotFound("No such member in this workspace.")
        return row[0], row[1]

    async def _count(self, workspace_id: uuid.UUID) -> int:
        n = await self.db.scalar(
            select(func.count()).select_from(Membership).where(Membership.workspace_id == workspace_id)
        )
        return int(n or 0)

    def _audit(
        self,
        caller: Caller,
        action: str,
        workspace_id: uuid.UUID,
        *,
        target: str,
        details: dict[str, str] | None = None,
    ) -> None:
        audit.record_for(
            self.db,
            caller,
            action,
            workspace_id=workspace_id,
            target=target,
            details=details,
        )

    @staticmethod
    def _public(ws: Workspace, role: Role, members: int) -> WorkspacePublic:
        return WorkspacePublic(
            id=ws.id,
            name=ws.name,
            role=role,
            is_default=ws.is_default,
            member_count=members,
            created_at=ws.created_at,
        )

    @staticmethod
    def _member(m: Membership, u: User) -> MemberPublic:
        return MemberPublic(
            user_id=u.id,
            username=u.username,
            display_name=u.display_name,
            role=Role(m.role),
            joined_at=m.created_at,
        )
