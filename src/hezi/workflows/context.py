"""What a workflow run may touch: the agents' RunContext (models, retriever, egress guard, secrets, settings,
deadline) and the callables the caller injects for what needs the database, which lives outside workflows —
running a registered tool (builtin, OpenAPI, MCP) and running an agent as a node."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hezi.agents.context import RunContext
    from hezi.agents.events import AgentEvent
    from hezi.agents.tools.base import ToolResult


@dataclass(frozen=True, slots=True)
class ToolRequest:
    """A Tool node's call, by Dify's names: which provider (`builtin`, `api` for OpenAPI, `mcp`, …), which tool of
    it, and the arguments (the node's tool_configurations and its resolved tool_parameters together)."""

    provider_type: str
    provider_id: str
    tool_name: str
    arguments: dict[str, Any]
    provider_name: str = ""


@dataclass(frozen=True, slots=True)
class AgentRequest:
    """An Agent node's turn: the agent (by id, or an inline config), the question and the form inputs."""

    agent_id: str | None
    query: str
    inputs: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] | None = None  # an inline agent config (hezi.agents.spec.AgentConfig's fields)


# Runs one registered tool; raises ToolFailed (or a DomainError) when it cannot.
ToolInvoker = Callable[[ToolRequest, "RunContext"], Awaitable["ToolResult"]]
# Runs an agent (with AgentRun) and yields its events; the last is RunFinished.
AgentInvoker = Callable[[AgentRequest, "RunContext"], AsyncIterator["AgentEvent"]]
# The text of an uploaded file, by the id a file variable carries.
FileReader = Callable[[str], Awaitable[str]]


@dataclass
class WorkflowContext:
    run: RunContext
    tool: ToolInvoker | None = None
    agent: AgentInvoker | None = None
    files: FileReader | None = None
    # A chatflow's conversation before this turn (OpenAI roles), for LLM nodes whose `memory` is on.
    history: Sequence[dict[str, Any]] = ()
