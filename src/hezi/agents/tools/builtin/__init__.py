"""The built-in tools every agent may use: current time, calculator, HTTP request, knowledge search and a Python
code interpreter.

They are registered in one dict, `BUILTIN_TOOLS` (name → tool), the way a plugin's tools would be, and offered to
agents as one toolset, `BuiltinToolset` (id "builtin"). Each tool is a small stateless class satisfying
`hezi.agents.tools.base.Tool`; whatever it touches (egress, retriever, settings, deadline) comes in the RunContext.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from hezi.agents.tools.base import Tool
from hezi.agents.tools.builtin.calculator import Calculator
from hezi.agents.tools.builtin.clock import CurrentTime
from hezi.agents.tools.builtin.code import CodeInterpreter
from hezi.agents.tools.builtin.http import HttpRequest
from hezi.agents.tools.builtin.knowledge import KnowledgeSearch

if TYPE_CHECKING:
    from hezi.agents.context import RunContext


def _registry(*tools: Tool) -> dict[str, Tool]:
    return {tool.name: tool for tool in tools}


BUILTIN_TOOLS: dict[str, Tool] = _registry(
    CurrentTime(), Calculator(), HttpRequest(), KnowledgeSearch(), CodeInterpreter()
)


class BuiltinToolset:
    """The built-in tools as a toolset; the agent loop sees them like any other source's tools."""

    id = "builtin"
    name = "Built-in"

    def __init__(self, tools: Mapping[str, Tool] | None = None) -> None:
        self._tools = dict(BUILTIN_TOOLS if tools is None else tools)

    async def tools(self, ctx: RunContext) -> list[Tool]:
        return list(self._tools.values())


__all__ = ["BUILTIN_TOOLS", "BuiltinToolset"]
