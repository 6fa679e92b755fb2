"""The port through which the agents layer has a workflow agent's graph checked (decision 0023).

`hezi.agents` sits below `hezi.workflows`, so it cannot read a graph: `AgentConfig.workflow` is a plain dict here.
The layers above give `AgentService` a `WorkflowSupport` that can (hezi.conversations.workflow_support): it checks
a draft on save (saved anyway, with its problems in the answer), refuses to publish one with problems, and turns a
Dify DSL file into an agent file on import; it also lists the workflow templates beside the agent templates.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel

from hezi.agents.errors import WorkflowInvalid
from hezi.agents.spec import AgentConfig

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from hezi.agents.files import AgentFile
    from hezi.agents.schemas import TemplatePublic


class GraphProblem(BaseModel):
    """One thing wrong with a workflow's graph, on the node (or edge) it is about (hezi.workflows.graph.Problem)."""

    node_id: str | None = None
    edge_id: str | None = None
    field: str | None = None
    code: str
    message: str


class WorkflowSupport(Protocol):
    def check(self, config: AgentConfig) -> tuple[AgentConfig, list[GraphProblem]]:
        """The config to store (a workflow's input form read from its Start node) and its graph's problems; an agent
        in mode "agent" comes back as it is, with none."""
        ...

    async def convert(self, db: AsyncSession, workspace_id: uuid.UUID, text: bytes) -> AgentFile | None:
        """A Dify DSL file (`kind: app`) as an agent file, or None when `text` is not one (then it is hezi's own)."""
        ...

    def export_dify(self, config: AgentConfig, *, name: str, icon: str, description: str) -> str:
        """A workflow agent's config as a Dify DSL file (`kind: app`)."""
        ...

    def templates(self, lang: str) -> list[TemplatePublic]:
        """The workflow templates (hezi.workflows.templates) in a language, each as a workflow agent's config."""
        ...


def refuse_problems(problems: list[GraphProblem]) -> None:
    """Publishing or running a graph with problems is refused, naming each."""
    if problems:
        raise WorkflowInvalid(problems)
