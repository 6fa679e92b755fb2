"""Reading the audit log: who may read which part of it.

A module of its own because it asks `workspaces` for the caller's role, while `workspaces` (like every service)
writes through `audit`: kept in one module, the two imported each other.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import roles
from hezi.accounts.audit import list_entries
from hezi.accounts.errors import PermissionDenied
from hezi.accounts.principal import Caller
from hezi.accounts.schemas import AuditEntriesPublic
from hezi.accounts.workspaces import WorkspaceService


class AuditReader:
    """Who may read which part of the log: workspace admins their workspace, superusers everything."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def for_workspace(
        self, caller: Caller, workspace_id: uuid.UUID, *, limit: int, before_id: int | None
    ) -> AuditEntriesPublic:
        acc = await WorkspaceService(self.db).access(caller, workspace_id)
        acc.require(roles.READ_AUDIT, "read the audit log")
        return await list_entries(self.db, workspace_id=workspace_id, limit=limit, before_id=before_id)

    async def everything(self, caller: Caller, *, limit: int, before_id: int | None) -> AuditEntriesPublic:
        if not caller.principal.user.is_superuser or not caller.principal.is_session:
            raise PermissionDenied("Only platform administrators can read the whole audit log.")
        return await list_entries(self.db, workspace_id=None, limit=limit, before_id=before_id)
