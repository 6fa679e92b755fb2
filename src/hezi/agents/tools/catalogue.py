"""The tools of a workspace: the built-ins and its providers' tools, listed for the builder and resolved for a run.

`resolve` turns an agent's tool references into callable tools from what is stored (no round trip to an MCP server
or a document's URL), with the providers' secrets opened; a reference to a tool the workspace no longer has is an
UnknownTool naming it. Names the model sees are kept unique across providers.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.principal import Caller
from hezi.accounts.workspaces import WorkspaceService
from hezi.agents.spec import ToolRef
from hezi.agents.tools.base import Tool, ToolResult
from hezi.agents.tools.builtin import BUILTIN_TOOLS, BuiltinToolset
from hezi.agents.tools.providers import ToolProviderService
from hezi.agents.tools.schemas import ToolInfo, ToolsPublic
from hezi.egress import EgressPolicy
from hezi.errors import Unprocessable
from hezi.secrets import SecretBox

if TYPE_CHECKING:
    from hezi.agents.context import RunContext

BUILTIN = "builtin"


class UnknownTool(Unprocessable):
    """An agent names a tool the workspace does not have (its provider was deleted, or no longer offers it)."""

    code = "unknown_tool"


@dataclass
class Renamed:
    """A tool under another name, when two providers offer tools of the same name to one agent."""

    tool: Tool
    name: str
    description: str
    parameters: dict[str, Any]

    async def call(self, args: dict[str, Any], ctx: RunContext) -> ToolResult:
        return await self.tool.call(args, ctx)


class ToolCatalogue:
    def __init__(self, db: AsyncSession, box: SecretBox, egress: EgressPolicy) -> None:
        self.db = db
        self.providers = ToolProviderService(db, box, egress)

    async def list_tools(self, caller: Caller, workspace_id: uuid.UUID) -> ToolsPublic:
        """Every tool an agent of the workspace may use: the built-ins first, then each provider's, by name."""
        await WorkspaceService(self.db).access(caller, workspace_id)
        builtin_name = BuiltinToolset().name
        data = [
            ToolInfo(provider=BUILTIN, provider_name=builtin_name, name=t.name, description=t.description,
                     parameters=t.parameters)
            for t in BUILTIN_TOOLS.values()
        ]  # fmt: skip
        for p in await self.providers.stored(workspace_id):
            data += [
                ToolInfo(provider=str(p.id), provider_name=p.name, name=t["name"],
                         description=t.get("description", ""), parameters=t.get("parameters", {}))
                for t in p.tools
            ]  # fmt: skip
        return ToolsPublic(data=data, count=len(data))

    async def resolve(self, workspace_id: uuid.UUID, refs: Sequence[ToolRef]) -> list[Tool]:
        """The agent's tools, callable, in the order it lists them; UnknownTool for one the workspace lacks.

        The caller has authorised the run in this workspace; the tools' secrets are opened here."""
        by_provider: dict[str, dict[str, Tool]] = {BUILTIN: dict(BUILTIN_TOOLS)}
        out: list[Tool] = []
        seen: set[tuple[str, str]] = set()
        names: set[str] = set()
        for i, ref in enumerate(refs):
            if (ref.provider, ref.name) in seen:
                continue
            seen.add((ref.provider, ref.name))
            if ref.provider not in by_provider:
                provider = await self.providers.find(workspace_id, ref.provider)
                if provider is None:
                    raise UnknownTool(
                        f"tools[{i}]: the tool {ref.name!r} comes from a tool provider this workspace does not have "
                        f"({ref.provider}).",
                        details={"field": f"tools[{i}]", "provider": ref.provider, "name": ref.name},
                    )
                by_provider[ref.provider] = self.providers.tools_of(provider)
            tool = by_provider[ref.provider].get(ref.name)
            if tool is None:
                where = "the built-in tools" if ref.provider == BUILTIN else "its tool provider"
                raise UnknownTool(
                    f"tools[{i}]: there is no tool {ref.name!r} among {where}.",
                    details={"field": f"tools[{i}]", "provider": ref.provider, "name": ref.name},
                )
            out.append(_unique(tool, names))
            names.add(out[-1].name)
        return out


def _unique(tool: Tool, names: set[str]) -> Tool:
    if tool.name not in names:
        return tool
    n = 2
    while (candidate := f"{tool.name[: 64 - len(str(n)) - 1]}_{n}") in names:
        n += 1
    return Renamed(tool, candidate, tool.description, tool.parameters)
