"""Which prompts to compute ahead: the opening prompts of published agents (issue 15).

When an agent version is published, and when hezi starts, the first model calls every conversation of the agent
makes (its tool question and its answer's system prompt, `agents.loop.opening_prompts`) are sent to the model's
workers to be kept computed; the workers ask again after a restart (`serving.prefixes`). A workflow's are its model
nodes' system prompts up to their first variable (`workflows.openings`). Remote models are skipped.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.agents.loop import opening_prompts
from hezi.agents.service import AgentService
from hezi.agents.tools.catalogue import ToolCatalogue
from hezi.db.tables import Agent
from hezi.egress import EgressPolicy
from hezi.errors import DomainError
from hezi.secrets import SecretBox
from hezi.serving.client import ModelClient
from hezi.workflows.graph import Graph
from hezi.workflows.openings import opening_prompts as workflow_openings

log = logging.getLogger(__name__)

AT_START = 32  # the most recently changed published agents warmed when hezi starts


class PrefixWarming:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        models: ModelClient,
        secrets: SecretBox,
        egress: EgressPolicy,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.models = models
        self.secrets = secrets
        self.egress = egress
        self._tasks: set[asyncio.Task[Any]] = set()

    def schedule(self, workspace_id: uuid.UUID, agent_id: uuid.UUID) -> None:
        """Warm the agent's latest published version in the background (a publish does not wait for it)."""
        self._spawn(self.agent(workspace_id, agent_id))

    def schedule_published(self) -> None:
        self._spawn(self.published())

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def agent(self, workspace_id: uuid.UUID, agent_id: uuid.UUID) -> int:
        """Send the agent's opening prompts to its model's workers; how many prompts × workers were asked."""
        try:
            async with self.sessionmaker() as db:
                agent = await db.scalar(select(Agent).where(Agent.id == agent_id, Agent.workspace_id == workspace_id))
                if agent is None:
                    return 0
                snapshot = await AgentService(db).config_for(agent)
                config = snapshot.config
                if snapshot.version is None:
                    return 0
                if config.mode == "agent":
                    tools = await ToolCatalogue(db, self.secrets, self.egress).resolve(workspace_id, config.tools)
                    prompts = [(config.model, messages) for messages in opening_prompts(config, tools)]
                else:
                    prompts = workflow_openings(Graph.model_validate(config.workflow or {}))
            asked = 0
            for i, (model, messages) in enumerate(prompts):
                asked += await self.models.warm(workspace_id, model, f"agent:{agent_id}:{i}", messages)
            return asked
        except DomainError as exc:  # a tool provider gone, a model renamed: the first user computes it instead
            log.info("not warming agent %s: %s", agent_id, exc)
            return 0
        except Exception:
            log.exception("warming agent %s failed", agent_id)
            return 0

    async def published(self) -> None:
        """At start: the published agents most recently changed, oldest first (the newest stays in the workers'
        least-recently-used order)."""
        async with self.sessionmaker() as db:
            rows = (
                await db.execute(
                    select(Agent.workspace_id, Agent.id)
                    .where(Agent.published_version.is_not(None))
                    .order_by(Agent.updated_at.desc())
                    .limit(AT_START)
                )
            ).all()
        for workspace_id, agent_id in reversed(rows):
            await self.agent(workspace_id, agent_id)
