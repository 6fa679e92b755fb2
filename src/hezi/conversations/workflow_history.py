"""Reading stored workflow runs: an agent's runs for its builders, one run with its node traces, and an app's runs
(Dify's /workflows/run/{id} and /workflows/logs)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.principal import Caller
from hezi.agents.service import AgentService
from hezi.conversations.errors import WorkflowRunNotFound
from hezi.conversations.workflow_schemas import NodeRunPublic, WorkflowRunDetail, WorkflowRunPublic, WorkflowRunsPublic
from hezi.db.tables import WorkflowNodeRun, WorkflowRun


class WorkflowHistory:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def list_runs(
        self, caller: Caller, workspace_id: uuid.UUID, agent_id: uuid.UUID, *, limit: int = 20, offset: int = 0
    ) -> WorkflowRunsPublic:
        """Newest first."""
        await AgentService(self.db).find(caller, workspace_id, agent_id)
        where = WorkflowRun.agent_id == agent_id
        rows = await self.db.scalars(
            select(WorkflowRun).where(where).order_by(WorkflowRun.created_at.desc()).limit(limit).offset(offset)
        )
        count = await self.db.scalar(select(func.count()).where(where)) or 0
        return WorkflowRunsPublic(data=[run_public(r) for r in rows], count=count)

    async def get_run(
        self, caller: Caller, workspace_id: uuid.UUID, agent_id: uuid.UUID, run_id: uuid.UUID
    ) -> WorkflowRunDetail:
        await AgentService(self.db).find(caller, workspace_id, agent_id)
        run = await self.db.scalar(
            select(WorkflowRun).where(WorkflowRun.id == run_id, WorkflowRun.agent_id == agent_id)
        )
        if run is None:
            raise WorkflowRunNotFound("No such run of this agent.")
        nodes = await self.db.scalars(
            select(WorkflowNodeRun).where(WorkflowNodeRun.run_id == run.id).order_by(WorkflowNodeRun.index)
        )
        return WorkflowRunDetail(**run_public(run).model_dump(), graph=run.graph, nodes=[node_public(n) for n in nodes])

    async def app_run(self, app_id: uuid.UUID, run_id: uuid.UUID) -> WorkflowRun:
        """A run of this app (any of its end users'), or WorkflowRunNotFound."""
        run = await self.db.scalar(select(WorkflowRun).where(WorkflowRun.id == run_id, WorkflowRun.app_id == app_id))
        if run is None:
            raise WorkflowRunNotFound("Workflow run not found.", code="not_found")
        return run

    async def app_logs(self, app_id: uuid.UUID, f: LogFilter) -> tuple[Sequence[WorkflowRun], int]:
        """An app's runs, newest first, a page of them and how many match."""
        where = [WorkflowRun.app_id == app_id]
        if f.status:
            where.append(WorkflowRun.status == f.status)
        if f.before is not None:
            where.append(WorkflowRun.created_at < f.before)
        if f.after is not None:
            where.append(WorkflowRun.created_at > f.after)
        if f.keyword:
            like = f"%{_escape(f.keyword)}%"
            where.append(or_(
                cast(WorkflowRun.inputs, Text).ilike(like, escape="\\"),
                cast(WorkflowRun.outputs, Text).ilike(like, escape="\\"),
                WorkflowRun.end_user.ilike(like, escape="\\"),
            ))  # fmt: skip
        rows = await self.db.scalars(
            select(WorkflowRun).where(*where).order_by(WorkflowRun.created_at.desc(), WorkflowRun.id.desc())
            .limit(f.limit).offset((f.page - 1) * f.limit)
        )  # fmt: skip
        total = await self.db.scalar(select(func.count()).select_from(WorkflowRun).where(*where)) or 0
        return rows.all(), total


@dataclass(frozen=True)
class LogFilter:
    keyword: str | None = None
    status: str | None = None
    before: datetime | None = None
    after: datetime | None = None
    page: int = 1
    limit: int = 20


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def run_public(r: WorkflowRun) -> WorkflowRunPublic:
    return WorkflowRunPublic(
        id=r.id, agent_id=r.agent_id, agent_version=r.agent_version, mode=r.mode, triggered_from=r.triggered_from,
        status=r.status, inputs=r.inputs, outputs=r.outputs, error=r.error, elapsed_time=r.elapsed_time,
        total_tokens=r.total_tokens, total_steps=r.total_steps, user_id=r.user_id, app_id=r.app_id,
        end_user=r.end_user, conversation_id=r.conversation_id, message_id=r.message_id, created_at=r.created_at,
        finished_at=r.finished_at,
    )  # fmt: skip


def node_public(n: WorkflowNodeRun) -> NodeRunPublic:
    return NodeRunPublic(
        id=n.id, index=n.index, node_id=n.node_id, node_type=n.node_type, title=n.title,
        predecessor_node_id=n.predecessor_node_id, status=n.status, inputs=n.inputs, process_data=n.process_data,
        outputs=n.outputs, error=n.error, tokens=n.tokens, elapsed_time=n.elapsed_time, extras=n.extras,
        created_at=n.created_at, finished_at=n.finished_at,
    )  # fmt: skip
