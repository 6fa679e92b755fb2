"""What a workflow run gets from above the executor: its RunContext and the callables that need the database.

`hezi.workflows` has no database inside, so a Tool node's tool is found here (ToolCatalogue: built-ins, OpenAPI
operations, MCP tools of the workspace), an Agent node's agent is loaded here (AgentService: the latest published
version, or the draft of one never published), and a file variable's text is read here — each in a short session of
its own, never held while the node runs.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.agents.context import RunContext
from hezi.agents.errors import AgentNotFound
from hezi.agents.events import AgentEvent
from hezi.agents.loop import AgentRun, Turn
from hezi.agents.service import AgentService
from hezi.agents.spec import AgentConfig, ToolRef
from hezi.agents.tools.base import Tool, ToolResult
from hezi.agents.tools.catalogue import ToolCatalogue
from hezi.db.tables import Agent, ChatFile
from hezi.egress import EgressPolicy
from hezi.errors import NotFound
from hezi.knowledge.retriever import Retriever
from hezi.secrets import SecretBox
from hezi.serving.client import ModelClient
from hezi.serving.usage import Attribution
from hezi.settings import Settings
from hezi.workflows.context import AgentRequest, ToolRequest, WorkflowContext

RUN_SECONDS = 600.0  # the longest one run (or one resumed part of it) may take
BUILTIN_PROVIDERS = frozenset({"builtin", "hezi", ""})


@dataclasses.dataclass(frozen=True)
class Collaborators:
    """The long-lived services a run uses, as ChatService holds them."""

    sessionmaker: async_sessionmaker[AsyncSession]
    models: ModelClient
    retriever: Retriever
    egress: EgressPolicy
    secrets: SecretBox
    settings: Settings


def workflow_context(
    c: Collaborators,
    workspace_id: uuid.UUID,
    who: Attribution,
    *,
    history: Sequence[dict[str, Any]] = (),
    app_id: uuid.UUID | None = None,
    end_user: str | None = None,
    user_id: uuid.UUID | None = None,
) -> WorkflowContext:
    """A run's context: its model calls metered to `who`; files readable are the caller's (or the end user's)."""
    run = RunContext(
        workspace_id=workspace_id, who=who, models=c.models, retriever=c.retriever, egress=c.egress,
        secrets=c.secrets, settings=c.settings, deadline=time.monotonic() + RUN_SECONDS,
    )  # fmt: skip
    tools = _Tools(c, workspace_id)
    agents = _Agents(c, workspace_id)
    files = _Files(c, workspace_id, app_id, end_user, user_id)
    return WorkflowContext(run=run, tool=tools, agent=agents, files=files, history=list(history))


def tool_ref(request: ToolRequest) -> ToolRef:
    """A Tool node's tool as an agent names it: a built-in by name, else the workspace's provider by its id."""
    if request.provider_type in BUILTIN_PROVIDERS or request.provider_id in BUILTIN_PROVIDERS:
        return ToolRef(provider="builtin", name=request.tool_name)
    return ToolRef(provider=request.provider_id, name=request.tool_name)


class _Tools:
    """Runs a Tool node's tool; each tool is found once per run."""

    def __init__(self, c: Collaborators, workspace_id: uuid.UUID) -> None:
        self.c, self.workspace_id = c, workspace_id
        self.found: dict[tuple[str, str], Tool] = {}

    async def __call__(self, request: ToolRequest, ctx: RunContext) -> ToolResult:
        ref = tool_ref(request)
        tool = self.found.get((ref.provider, ref.name))
        if tool is None:
            async with self.c.sessionmaker() as db:
                [tool] = await ToolCatalogue(db, self.c.secrets, self.c.egress).resolve(self.workspace_id, [ref])
            self.found[(ref.provider, ref.name)] = tool
        return await tool.call(request.arguments, ctx)


class _Agents:
    """Runs an Agent node's agent (one of this workspace's, or a config given inline) on the node's question."""

    def __init__(self, c: Collaborators, workspace_id: uuid.UUID) -> None:
        self.c, self.workspace_id = c, workspace_id

    async def __call__(self, request: AgentRequest, ctx: RunContext) -> AsyncIterator[AgentEvent]:
        config, tools = await self._load(request)
        if config.mode != "agent":
            raise AgentNotFound("An Agent node runs an agent, not a workflow.", code="agent_is_workflow")
        inner = dataclasses.replace(
            ctx, knowledge_base_ids=list(config.knowledge.knowledge_base_ids),
            retrieval=config.knowledge.retrieval.model_dump(), cited=0,
        )  # fmt: skip
        run = AgentRun(config, tools, inner, Turn(request.query, (), request.inputs))
        async for event in run.events():
            yield event

    async def _load(self, request: AgentRequest) -> tuple[AgentConfig, list[Tool]]:
        async with self.c.sessionmaker() as db:
            if request.config is not None:
                config = AgentConfig.model_validate(request.config)
            else:
                agent = await db.scalar(
                    select(Agent).where(Agent.id == _uuid(request.agent_id), Agent.workspace_id == self.workspace_id)
                )
                if agent is None:
                    raise AgentNotFound(f"No agent {request.agent_id} in this workspace.")
                config = (await AgentService(db).config_for(agent)).config
            tools = await ToolCatalogue(db, self.c.secrets, self.c.egress).resolve(self.workspace_id, config.tools)
        return config, tools


class _Files:
    """The text of a file a file variable names: one the caller (or the app's end user) uploaded."""

    def __init__(
        self, c: Collaborators, workspace_id: uuid.UUID, app_id: uuid.UUID | None, end_user: str | None,
        user_id: uuid.UUID | None,
    ) -> None:  # fmt: skip
        self.c, self.workspace_id = c, workspace_id
        self.app_id, self.end_user, self.user_id = app_id, end_user, user_id

    async def __call__(self, file_id: str) -> str:
        query = select(ChatFile.text).where(ChatFile.id == _uuid(file_id), ChatFile.workspace_id == self.workspace_id)
        if self.app_id is not None:
            query = query.where(ChatFile.app_id == self.app_id, ChatFile.end_user == self.end_user)
        else:
            query = query.where(ChatFile.user_id == self.user_id)
        async with self.c.sessionmaker() as db:
            text = await db.scalar(query)
        if text is None:
            raise NotFound(f"No such file: {file_id}", code="file_not_found")
        return text


def _uuid(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No such agent or file: {value}") from None
