"""The tool protocol every tool satisfies, wherever it comes from (built-in, OpenAPI operation, MCP server).

A tool declares a name, a description and a JSON schema for its arguments, and implements `call(args, ctx)`.
It returns text or JSON; a failure it can explain raises ToolFailed, whose message the model is shown so that the
loop can go on. Tools are grouped in toolsets (one per source: the built-ins, one OpenAPI document, one MCP
server); the agent loop sees only the flat list of tools and never asks where one came from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from hezi.agents.context import RunContext

# What OpenAI (and so every model's tool template) accepts as a function name.
TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ToolFailed(Exception):
    """The tool ran and could not do what was asked; `message` is shown to the model (and the user)."""

    def __init__(self, message: str, *, code: str = "tool_failed") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class ToolResult:
    """What a tool gives back: text, or a JSON-able value the loop serialises for the model.

    `citations` are knowledge hits the answer may cite (the knowledge-search tool fills them)."""

    value: str | dict[str, Any] | list[Any]
    citations: Sequence[Any] = field(default_factory=tuple)

    def text(self) -> str:
        if isinstance(self.value, str):
            return self.value
        return json.dumps(self.value, ensure_ascii=False)


@runtime_checkable
class Tool(Protocol):
    name: str
    description: str
    parameters: dict[str, Any]  # a JSON schema of type "object"

    async def call(self, args: dict[str, Any], ctx: RunContext) -> ToolResult: ...


def openai_tool(tool: Tool) -> dict[str, Any]:
    """The tool as an OpenAI `tools` entry, which the gateway turns into a grammar for local models."""
    return {
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters},
    }


class Toolset(Protocol):
    """Tools from one source. `tools()` may do I/O (an MCP server lists its tools when asked)."""

    id: str  # "builtin", or the id of the workspace's tool provider
    name: str

    async def tools(self, ctx: RunContext) -> list[Tool]: ...
