"""An MCP server as a toolset, over streamable HTTP with the official `mcp` SDK.

Each use opens a session (initialize, the request, close): a few round trips more than a kept session, but nothing
to go stale between the turns of a conversation, and nothing to re-open when the server restarts. The connection
goes through the egress guard: the URL is checked first and the SDK is handed an httpx client that connects only
where the guard approved (the SDK follows redirects only within the endpoint's origin, which that client pins).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
import httpx
from mcp import ClientSession, McpError
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from hezi import egress
from hezi.agents.tools.base import TOOL_NAME, ToolFailed, ToolResult
from hezi.errors import DomainError, Unprocessable

if TYPE_CHECKING:
    from hezi.agents.context import RunContext
    from hezi.egress import EgressPolicy

LIST_TIMEOUT = 20.0
CALL_TIMEOUT = 60.0
MAX_TOOLS = 500
MAX_RESULT_CHARS = 8_000


class McpUnavailable(Unprocessable):
    """The MCP server could not be reached, refused the session or answered with an error."""

    code = "mcp_unavailable"


@dataclass(frozen=True)
class McpServer:
    """Where the server is and the headers every request carries (its credentials among them)."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @asynccontextmanager
    async def session(self, policy: EgressPolicy, seconds: float) -> AsyncIterator[ClientSession]:
        """An initialised session, each HTTP wait bounded by `seconds`; closed (and the server told so) when the
        block ends."""
        destination = await policy.check(self.url)
        http_timeout = httpx.Timeout(seconds)
        async with (
            egress.client(self.url, destination, headers=dict(self.headers), timeout=http_timeout) as http,
            streamable_http_client(self.url, http_client=http) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session

    async def tools(self, policy: EgressPolicy, seconds: float = LIST_TIMEOUT) -> list[McpTool]:
        """The server's tools, each callable, within `seconds`; McpUnavailable (or the guard's refusal) saying why
        not."""
        listed: list[Any] = []
        try:
            with anyio.fail_after(seconds):
                async with self.session(policy, seconds) as session:
                    cursor: str | None = None
                    while len(listed) < MAX_TOOLS:
                        page = await session.list_tools(cursor)
                        listed += page.tools
                        cursor = page.nextCursor
                        if not cursor:
                            break
        except Exception as exc:
            raise self._failure(exc, "list its tools", seconds) from None
        out: list[McpTool] = []
        taken: set[str] = set()
        for t in listed[:MAX_TOOLS]:
            name = _unique(_tool_name(t.name), taken)
            taken.add(name)
            out.append(McpTool(self, t.name, name, (t.description or t.title or t.name)[:1024], _schema(t.inputSchema)))
        return out

    async def call(self, name: str, args: dict[str, Any], policy: EgressPolicy, seconds: float) -> CallToolResult:
        """Call the server's tool `name` within `seconds`."""
        try:
            with anyio.fail_after(seconds):
                async with self.session(policy, seconds) as session:
                    return await session.call_tool(name, args)
        except Exception as exc:
            raise self._failure(exc, f"call {name}", seconds) from None

    def _failure(self, exc: BaseException, doing: str, timeout: float) -> DomainError:
        cause = _cause(exc)
        if isinstance(cause, DomainError):  # the guard's refusal, a name that does not resolve
            return cause
        if isinstance(cause, TimeoutError):
            reason = f"no answer within {timeout:g} s"
        elif isinstance(cause, httpx.HTTPStatusError):
            reason = f"it answered HTTP {cause.response.status_code}"
            if location := cause.response.headers.get("location"):
                reason += f", a redirect to {location} (followed only within the endpoint's origin)"
        elif isinstance(cause, McpError):
            reason = cause.error.message
        else:
            reason = str(cause) or type(cause).__name__
        return McpUnavailable(f"Could not {doing} at the MCP server {self.url}: {reason}", details={"url": self.url})


def _cause(exc: BaseException) -> BaseException:
    """The first real error inside the task groups' exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = next((e for e in exc.exceptions if not isinstance(e, anyio.get_cancelled_exc_class())), exc.exceptions[0])
    return exc


def _tool_name(remote: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", remote).strip("_")[:64] or "tool"


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        suffix = f"_{n}"
        candidate, n = name[: 64 - len(suffix)] + suffix, n + 1
    assert TOOL_NAME.match(candidate)
    return candidate


def _schema(input_schema: Any) -> dict[str, Any]:
    schema = dict(input_schema) if isinstance(input_schema, dict) else {}
    schema.pop("$schema", None)
    schema["type"] = "object"
    schema.setdefault("properties", {})
    return schema


@dataclass
class McpTool:
    """One tool of an MCP server: `name` is what the model sees (sanitised), `remote_name` what the server calls it."""

    server: McpServer
    remote_name: str
    name: str
    description: str
    parameters: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """What a tool provider stores of it (and rebuilds it from without asking the server)."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters,
                "remote_name": self.remote_name}  # fmt: skip

    @classmethod
    def from_summary(cls, server: McpServer, entry: Mapping[str, Any]) -> McpTool:
        name = str(entry["name"])
        return cls(server, str(entry.get("remote_name") or name), name, str(entry.get("description") or ""),
                   dict(entry.get("parameters") or {"type": "object", "properties": {}}))  # fmt: skip

    async def call(self, args: dict[str, Any], ctx: RunContext) -> ToolResult:
        try:
            result = await self.server.call(self.remote_name, args, ctx.egress, ctx.time_left(CALL_TIMEOUT))
        except DomainError as exc:
            raise ToolFailed(exc.message, code=exc.code) from None
        text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
        if result.isError:
            raise ToolFailed(text[:MAX_RESULT_CHARS] or f"{self.name} failed", code="mcp_tool_error")
        if text:
            return ToolResult(text if len(text) <= MAX_RESULT_CHARS else text[:MAX_RESULT_CHARS] + "\n… (truncated)")
        if result.structuredContent is not None:
            return ToolResult(result.structuredContent)
        kinds = ", ".join(sorted({c.type for c in result.content}))
        return ToolResult(f"({kinds or 'no'} content)")


class McpToolset:
    """The tools of one MCP server, listed from it when asked."""

    def __init__(self, id: str, name: str, server: McpServer) -> None:
        self.id = id
        self.name = name
        self.server = server

    async def tools(self, ctx: RunContext) -> list[McpTool]:
        try:
            return await self.server.tools(ctx.egress, ctx.time_left(LIST_TIMEOUT))
        except DomainError as exc:
            raise ToolFailed(exc.message, code=exc.code) from None
