"""Nodes that hand their work to what the caller injects: Tool (any registered tool — builtin, OpenAPI, MCP — by
Dify's provider_type/provider_id/tool_name) and Agent (a hezi agent answers a question, with its own tools and
knowledge)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hezi.agents.tools.base import ToolFailed
from hezi.errors import DomainError
from hezi.serving.events import TextDelta
from hezi.workflows.context import AgentRequest, ToolRequest
from hezi.workflows.graph import VarType
from hezi.workflows.nodes.base import NodeContext, NodeData, NodeFailed, NodeResult, NodeType, Read, template_reads
from hezi.workflows.pool import VariablePool


class ToolInput(BaseModel):
    """A parameter's value: `variable` (a selector), `constant`, or `mixed` (text with references)."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["mixed", "variable", "constant"] = "constant"
    value: Any = None


def _inputs_reads(prefix: str, inputs: dict[str, ToolInput]) -> list[Read]:
    reads: list[Read] = []
    for name, i in inputs.items():
        if i.type == "variable" and isinstance(i.value, list) and len(i.value) >= 2:
            reads.append(Read(f"{prefix}.{name}.value", i.value))
        elif i.type == "mixed" and isinstance(i.value, str):
            reads += template_reads(f"{prefix}.{name}.value", i.value)
    return reads


def _resolve(pool: VariablePool, inputs: dict[str, ToolInput]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, i in inputs.items():
        if i.type == "variable":
            out[name] = pool.get(i.value, None) if isinstance(i.value, list) and len(i.value) >= 2 else None
        elif i.type == "mixed":
            out[name] = pool.render(str(i.value or ""))
        else:
            out[name] = i.value
    return out


class ToolData(NodeData):
    provider_id: str = Field(min_length=1)
    provider_type: str = "builtin"  # builtin, api (OpenAPI), mcp, workflow, plugin
    provider_name: str = ""
    tool_name: str = Field(min_length=1)
    tool_label: str = ""
    tool_configurations: dict[str, Any] = Field(default_factory=dict)
    tool_parameters: dict[str, ToolInput] = Field(default_factory=dict)


class Tool(NodeType[ToolData]):
    type = "tool"
    Data = ToolData

    def outputs(self) -> dict[str, VarType]:
        return {"text": "string", "json": "array[object]", "files": "array[file]"}

    def reads(self) -> list[Read]:
        return _inputs_reads("tool_parameters", self.data.tool_parameters)

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        if ctx.wf.tool is None:
            raise NodeFailed("Tools cannot be called in this run.", code="tools_unavailable")
        d = self.data
        configs = {k: v.get("value") if isinstance(v, dict) and "value" in v else v
                   for k, v in d.tool_configurations.items()}  # fmt: skip
        args = {**configs, **_resolve(pool, d.tool_parameters)}
        request = ToolRequest(d.provider_type, d.provider_id, d.tool_name, args, d.provider_name)
        try:
            result = await ctx.wf.tool(request, ctx.wf.run)
        except ToolFailed as exc:
            raise NodeFailed(exc.message, code=exc.code) from None
        except DomainError as exc:
            raise NodeFailed(exc.message, code=exc.code) from None
        value = result.value
        json_out = [value] if isinstance(value, dict) else value if isinstance(value, list) else []
        return NodeResult({"text": result.text(), "json": json_out, "files": []}, inputs=args)


class AgentData(NodeData):
    """Dify's agent node names a strategy and its parameters; hezi runs one of its own agents: `agent_id` (or the
    `agent` parameter), asked `query` (or the `query` parameter), the rest of agent_parameters as its inputs."""

    agent_id: str | None = None
    query: str = ""
    agent_strategy_provider_name: str = ""
    agent_strategy_name: str = ""
    agent_strategy_label: str = ""
    agent_parameters: dict[str, ToolInput] = Field(default_factory=dict)
    config: dict[str, Any] | None = None  # an inline agent config instead of agent_id


class Agent(NodeType[AgentData]):
    type = "agent"
    Data = AgentData

    def outputs(self) -> dict[str, VarType]:
        return {"text": "string", "usage": "object", "citations": "array[object]"}

    def reads(self) -> list[Read]:
        return template_reads("query", self.data.query) + _inputs_reads("agent_parameters", self.data.agent_parameters)

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        from hezi.agents.events import RunFinished

        if ctx.wf.agent is None:
            raise NodeFailed("Agents cannot be run in this workflow run.", code="agents_unavailable")
        params = _resolve(pool, self.data.agent_parameters)
        agent_id = self.data.agent_id or (str(params.pop("agent")) if params.get("agent") else None)
        query = pool.render(self.data.query) if self.data.query else str(params.pop("query", "") or "")
        if not query:
            query = str(pool.get(["sys", "query"], "") or "")
        if not query:
            raise NodeFailed("The agent has no question to answer.", code="empty_query")
        if agent_id is None and self.data.config is None:
            raise NodeFailed("Choose the agent to run.", code="invalid_settings")
        request = AgentRequest(agent_id, query, params, self.data.config)
        selector = [self.node.id, "text"]
        finished: RunFinished | None = None
        try:
            async for event in ctx.wf.agent(request, ctx.wf.run):
                if isinstance(event, TextDelta):
                    ctx.stream(event.text, selector)
                elif isinstance(event, RunFinished):
                    finished = event
        except DomainError as exc:
            raise NodeFailed(exc.message, code=exc.code) from None
        if finished is None:
            raise NodeFailed("The agent ended without an answer.", code="agent_failed")
        citations = [
            {"content": c.text, "title": c.document_name, "metadata": {"position": c.n, "score": c.score}}
            for c in finished.citations
        ]
        return NodeResult(
            {"text": finished.text, "usage": finished.usage.openai(), "citations": citations},
            inputs={"agent_id": agent_id, "query": query, **params},
            tokens=finished.usage.total_tokens,
        )
