"""Gateway usage of a workspace: requests, tokens and latency per model, user, key or day."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from hezi.api.deps import CallerDep, SessionDep
from hezi.serving.usage import GroupBy, UsageReader, UsageTotals

router = APIRouter(tags=["usage"])


@router.get("/workspaces/{workspace_id}/usage")
async def usage(
    workspace_id: uuid.UUID,
    caller: CallerDep,
    db: SessionDep,
    group_by: GroupBy = "model",
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> UsageTotals:
    return await UsageReader(db).totals(caller, workspace_id, group_by, days)
