"""The audit log, per workspace and platform-wide."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hezi.accounts.audit_reader import AuditReader
from hezi.accounts.schemas import AuditEntriesPublic
from hezi.api.deps import CallerDep, SessionDep

router = APIRouter(tags=["audit"])

Limit = Annotated[int, Query(ge=1, le=500)]
BeforeId = Annotated[int | None, Query(ge=1)]


async def get_reader(db: SessionDep) -> AuditReader:
    return AuditReader(db)


ReaderDep = Annotated[AuditReader, Depends(get_reader)]


@router.get("/workspaces/{workspace_id}/audit-log")
async def workspace_audit_log(
    workspace_id: uuid.UUID,
    caller: CallerDep,
    reader: ReaderDep,
    limit: Limit = 100,
    before_id: BeforeId = None,
) -> AuditEntriesPublic:
    return await reader.for_workspace(caller, workspace_id, limit=limit, before_id=before_id)


@router.get("/audit-log")
async def audit_log(
    caller: CallerDep, reader: ReaderDep, limit: Limit = 100, before_id: BeforeId = None
) -> AuditEntriesPublic:
    return await reader.everything(caller, limit=limit, before_id=before_id)
