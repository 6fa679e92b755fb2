"""A published app as an MCP server, driven by the official `mcp` SDK client over streamable HTTP with the app's
key: one tool named after the app whose schema carries the agent's input form, a call that answers with the
bundled model and is stored as the app's conversation, a follow-up in the same conversation, and refusals (no key,
another app's key, the channel closed, the app's request limit)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import anyio
import httpx
import psycopg
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.apps.helpers import make_app, published_agent
from tests.conftest import LiveServer
from tests.helpers import Api

FORM = [{"select": {"variable": "lang", "label": "Answer language", "required": True, "options": ["en", "zh"]}}]
SETTINGS = {"model_params": {"temperature": 0, "max_tokens": 16}, "user_input_form": FORM,
            "system_prompt": "Answer in one short sentence, in the language {{lang}}."}  # fmt: skip


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def ws(admin: Api) -> str:
    return str(admin.create_workspace()["id"])


def mcp_app(admin: Api, ws: str, **settings: Any) -> dict[str, Any]:
    agent = published_agent(admin, ws, config=SETTINGS, description="Answers questions about leave.")
    made = make_app(admin, ws, agent_id=agent["id"], channels={"mcp": True}, **settings)
    key = admin.post(f"/api/workspaces/{ws}/apps/{made['id']}/keys", json={"name": "mcp"}).json()["key"]
    return {**made, "key": key}


def with_session(
    server: LiveServer, app: dict[str, Any], key: str, use: Callable[[ClientSession], Coroutine[Any, Any, Any]]
) -> Any:
    async def run() -> Any:
        headers = {"Authorization": f"Bearer {key}"}
        async with (
            httpx.AsyncClient(headers=headers, timeout=300) as http,
            streamable_http_client(f"{server.url}/v1/apps/{app['slug']}/mcp", http_client=http) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await use(session)

    return anyio.run(run)


def test_the_app_is_one_tool_that_answers(model_server: LiveServer, admin: Api, ws: str) -> None:
    app = mcp_app(admin, ws, name="Leave helper")

    async def use(session: ClientSession) -> Any:
        tools = (await session.list_tools()).tools
        first = await session.call_tool(app["slug"], {"query": "How many days of leave?", "inputs": {"lang": "en"}})
        conversation = (first.structuredContent or {}).get("conversation_id")
        again = await session.call_tool(
            app["slug"], {"query": "And sick days?", "inputs": {"lang": "en"}, "conversation_id": conversation}
        )
        bad = await session.call_tool(app["slug"], {"query": "Hi", "inputs": {"lang": "fr"}})
        return tools, first, again, bad

    tools, first, again, bad = with_session(model_server, app, app["key"], use)
    assert [t.name for t in tools] == [app["slug"]]
    tool = tools[0]
    assert tool.description == "Answers questions about leave."
    assert tool.inputSchema["required"] == ["query", "inputs"]
    assert tool.inputSchema["properties"]["inputs"]["properties"]["lang"]["enum"] == ["en", "zh"]

    assert not first.isError and first.content[0].text.strip()  # type: ignore[union-attr]
    assert first.structuredContent is not None and first.structuredContent["answer"] == first.content[0].text  # type: ignore[union-attr]
    conversation = first.structuredContent["conversation_id"]
    assert not again.isError and again.structuredContent["conversation_id"] == conversation  # type: ignore[index]
    with psycopg.connect(model_server.database_url) as conn:
        rows = conn.execute(
            "SELECT m.role, m.content, c.end_user, c.app_id::text FROM messages m "
            "JOIN conversations c ON c.id = m.conversation_id WHERE c.id = %s ORDER BY m.created_at", (conversation,),
        ).fetchall()  # fmt: skip
    assert [(r[0], r[2], r[3]) for r in rows] == [("user", "mcp", app["id"]), ("assistant", "mcp", app["id"])] * 2
    assert rows[0][1] == "How many days of leave?" and rows[1][1] == first.content[0].text  # type: ignore[union-attr]
    # An input the form does not allow: an error result saying why (the tool's schema carries the form's options).
    assert bad.isError and "'fr' is not one of ['en', 'zh']" in bad.content[0].text  # type: ignore[union-attr]


def test_only_the_apps_key_reaches_it_while_the_channel_is_open(model_server: LiveServer, admin: Api, ws: str) -> None:
    app, other = mcp_app(admin, ws), mcp_app(admin, ws)
    url = f"{model_server.url}/v1/apps/{app['slug']}/mcp"
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}  # fmt: skip
    accept = {"Accept": "application/json, text/event-stream"}
    with httpx.Client(timeout=60) as http:
        nobody = http.post(url, json=init, headers=accept)
        assert nobody.status_code == 401 and nobody.json()["error"]["code"] < 0, nobody.text  # JSON-RPC's shape
        stranger = http.post(url, json=init, headers={**accept, "Authorization": f"Bearer {other['key']}"})
        assert stranger.status_code == 404, stranger.text
        ok = http.post(url, json=init, headers={**accept, "Authorization": f"Bearer {app['key']}"})
        assert ok.status_code == 200 and ok.json()["result"]["serverInfo"]["name"] == f"hezi-{app['slug']}"

        r = admin.patch(f"/api/workspaces/{ws}/apps/{app['id']}", json={"channels": {"mcp": False}})
        assert r.status_code == 200, r.text
        closed = http.post(url, json=init, headers={**accept, "Authorization": f"Bearer {app['key']}"})
        assert closed.status_code == 400 and "unavailable" in closed.json()["error"]["message"].lower(), closed.text


def test_tool_calls_count_against_the_apps_request_limit(model_server: LiveServer, admin: Api, ws: str) -> None:
    app = mcp_app(admin, ws)
    assert admin.patch(f"/api/workspaces/{ws}/apps/{app['id']}", json={"rate_limit_rpm": 1}).status_code == 200
    url = f"{model_server.url}/v1/apps/{app['slug']}/mcp"
    headers = {"Accept": "application/json, text/event-stream", "Authorization": f"Bearer {app['key']}"}
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": app["slug"], "arguments": {"query": "Hi", "inputs": {"lang": "en"}}}}  # fmt: skip
    listing = {"jsonrpc": "2.0", "id": 3, "method": "tools/list"}
    with httpx.Client(timeout=300) as http:
        for _ in range(3):  # listing is bookkeeping: it does not use up the limit
            assert http.post(url, json=listing, headers=headers).status_code == 200
        answered = http.post(url, json=call, headers=headers)
        assert answered.status_code == 200 and not answered.json()["result"]["isError"], answered.text
        refused = http.post(url, json=call, headers=headers)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1, refused.text
        assert "error" in refused.json()
