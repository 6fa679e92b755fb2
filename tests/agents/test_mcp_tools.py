"""An MCP server (the `mcp` SDK's FastMCP over streamable HTTP, on loopback, checking a header) as a toolset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hezi.agents.tools.base import TOOL_NAME, ToolFailed
from hezi.agents.tools.mcp import McpServer, McpTool, McpToolset, McpUnavailable
from hezi.egress import EgressRefused
from tests.agents.loopback import DEFAULT, LOOPBACK, MCP_TOKEN, mcp_app, run_context, serve


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with serve(mcp_app()) as url:
        yield f"{url}/mcp"


@pytest.fixture
def server(endpoint: str) -> McpServer:
    return McpServer(endpoint, {"X-Token": MCP_TOKEN})


@pytest.mark.asyncio
async def test_the_servers_tools_are_listed_and_called(server: McpServer) -> None:
    tools = {t.name: t for t in await McpToolset("p1", "pets", server).tools(run_context(LOOPBACK))}
    assert set(tools) == {"add", "pets_greet", "explode"}  # "pets.greet" is not a name a model may call
    assert all(TOOL_NAME.match(name) for name in tools)
    assert tools["pets_greet"].remote_name == "pets.greet" and tools["pets_greet"].description == "Greet a pet by name."
    assert tools["add"].parameters["type"] == "object" and tools["add"].parameters["required"] == ["a", "b"]

    ctx = run_context(LOOPBACK)
    assert (await tools["add"].call({"a": 2, "b": 40}, ctx)).text() == "42"
    assert (await tools["pets_greet"].call({"name": "Rex"}, ctx)).text() == "Hello, Rex! 你好"
    with pytest.raises(ToolFailed) as failed:
        await tools["explode"].call({"reason": "on purpose"}, ctx)
    assert "exploded: on purpose" in failed.value.message and failed.value.code == "mcp_tool_error"


@pytest.mark.asyncio
async def test_a_stored_tool_calls_without_listing_again(server: McpServer) -> None:
    listed = await server.tools(LOOPBACK)
    stored = [t.summary() for t in listed]
    rebuilt = {t.name: t for t in (McpTool.from_summary(server, s) for s in stored)}
    assert (await rebuilt["pets_greet"].call({"name": "Tom"}, run_context(LOOPBACK))).text() == "Hello, Tom! 你好"


@pytest.mark.asyncio
async def test_a_wrong_header_or_a_closed_port_says_why(endpoint: str) -> None:
    with pytest.raises(McpUnavailable) as wrong:
        await McpServer(endpoint, {"X-Token": "nope"}).tools(LOOPBACK)
    assert "401" in wrong.value.message and endpoint in wrong.value.message
    with pytest.raises(McpUnavailable):
        await McpServer("http://127.0.0.1:1/mcp").tools(LOOPBACK)
    tool = McpTool(McpServer(endpoint), "add", "add", "Add", {"type": "object", "properties": {}})
    with pytest.raises(ToolFailed) as failed:
        await tool.call({"a": 1, "b": 2}, run_context(LOOPBACK))
    assert failed.value.code == "mcp_unavailable" and "401" in failed.value.message


@pytest.mark.asyncio
async def test_the_default_policy_refuses_loopback_metadata_and_redirects(server: McpServer, endpoint: str) -> None:
    with pytest.raises(EgressRefused):
        await server.tools(DEFAULT)
    with pytest.raises(EgressRefused):
        await McpServer("http://169.254.169.254/mcp").tools(LOOPBACK)
    with pytest.raises(McpUnavailable) as redirected:  # the SDK follows a redirect only within the origin
        await McpServer(endpoint.replace("/mcp", "/elsewhere"), {"X-Token": MCP_TOKEN}).tools(LOOPBACK)
    assert "307" in redirected.value.message and "169.254.169.254" in redirected.value.message
    tool = (await server.tools(LOOPBACK))[0]
    with pytest.raises(ToolFailed) as refused:
        await tool.call({"a": 1, "b": 2}, run_context(DEFAULT))
    assert refused.value.code == "egress_refused"
    with pytest.raises(ToolFailed) as listing:
        await McpToolset("p1", "pets", server).tools(run_context(DEFAULT))
    assert listing.value.code == "egress_refused"
