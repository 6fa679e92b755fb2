"""An agent on the real bundled model uses what the workspace gives it: its knowledge base (answers cite the right
document), a tool of an MCP server and an operation of an OpenAPI document, both served on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.agents.loopback import API_KEY, MCP_TOKEN, loopback_allowed_on, mcp_app, pets_app, serve
from tests.conftest import LiveServer
from tests.conversations.chat import answer_of, ask, make_agent
from tests.helpers import Api, unique
from tests.knowledge.test_knowledge_api import add_text


@pytest.fixture
def loopback_allowed(model_server: LiveServer) -> Iterator[None]:
    with loopback_allowed_on(model_server.app):
        yield


def steps_of(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["step"] for e in events if e["event"] == "step_end"]


def test_an_answer_cites_the_document_it_comes_from(model_server: LiveServer) -> None:
    api = model_server.admin()
    kb = api.create_knowledge_base(name=unique("handbook"))
    ws = kb["ws"]
    add_text(
        api,
        kb,
        "holidays.txt",
        "Employees get 25 days of paid holiday per year. Holidays must be booked a month ahead.",
    )
    add_text(api, kb, "parking.txt", "The car park opens at 7am. Parking permits are issued by reception.")
    agent = make_agent(
        api,
        ws,
        system_prompt="Answer the question in one sentence, using the passages.",
        knowledge={"knowledge_base_ids": [kb["id"]], "retrieval": {"top_k": 2}},
        model_params={"temperature": 0, "max_tokens": 64},
    )
    events = ask(api, ws, agent["id"], "How many days of paid holiday do employees get?", preview=True)
    cited = next(e["citations"] for e in events if e["event"] == "citations")
    assert cited[0]["n"] == 1 and cited[0]["document_name"] == "holidays.txt"
    assert "25 days" in cited[0]["text"]
    message = answer_of(events)
    assert message["citations"] == cited
    assert "25" in message["content"]


def _provider(api: Api, ws: str, **body: Any) -> dict[str, Any]:
    r = api.post(f"/api/workspaces/{ws}/tool-providers", json={"name": unique("tools"), **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.mark.usefixtures("loopback_allowed")
def test_an_mcp_servers_tool_is_called(model_server: LiveServer) -> None:
    api = model_server.admin()
    ws = api.create_workspace()["id"]
    with serve(mcp_app()) as url:
        provider = _provider(api, ws, kind="mcp", url=f"{url}/mcp", headers={"X-Token": MCP_TOKEN})
        agent = make_agent(api, ws, tools=[{"provider": provider["id"], "name": "add"}])
        events = ask(api, ws, agent["id"], "What is 20 plus 22?", preview=True)
    steps = steps_of(events)
    assert steps and steps[0]["tool"] == "add" and steps[0]["error"] is None, steps
    assert steps[0]["arguments"] == {"a": 20, "b": 22} and steps[0]["result"] == "42"


@pytest.mark.usefixtures("loopback_allowed")
def test_an_openapi_operation_is_called(model_server: LiveServer) -> None:
    api = model_server.admin()
    ws = api.create_workspace()["id"]
    with serve(pets_app()) as url:
        provider = _provider(
            api, ws, kind="openapi", spec_url=f"{url}/openapi.json",
            auth={"type": "api_key", "header": "X-API-Key", "value": API_KEY},
        )  # fmt: skip
        agent = make_agent(api, ws, tools=[{"provider": provider["id"], "name": "getPet"}])
        events = ask(api, ws, agent["id"], "Get the pet with id 7.", preview=True)
    steps = steps_of(events)
    assert steps and steps[0]["tool"] == "getPet" and steps[0]["error"] is None, steps
    assert '"name": "Rex"' in steps[0]["result"] or '"name":"Rex"' in steps[0]["result"], steps[0]
