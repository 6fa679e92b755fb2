"""Workflow and chatflow apps through Dify's service API, driven by the typed Dify client (dify-client-python):
/v1/workflows/run blocking and streaming, a run's result, stop, logs; a chatflow on /v1/chat-messages with the
workflow events around its messages; each mode refused on the other's route. Nodes that need no model, and one LLM
node on the bundled model."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from dify_client import Client, models
from dify_client.errors import DifyAPIError

from tests.apps.helpers import make_app
from tests.conftest import LiveServer
from tests.helpers import Api, unique, wait_for
from tests.workflows.test_workflow_api import chatflow_graph, edge, end, greeting_graph, node, slow_graph, start

TIMEOUT = {"timeout": 300}


def publish_app(api: Api, ws: str, graph: dict[str, Any], name: str) -> dict[str, Any]:
    body = {"name": unique("flow"), "config": {"mode": graph["mode"], "workflow": graph}}
    agent = api.post(f"/api/workspaces/{ws}/agents", json=body).json()
    assert api.post(f"/api/workspaces/{ws}/agents/{agent['id']}/publish", json={}).status_code == 201
    made = make_app(api, ws, agent_id=agent["id"], name=name)
    key = api.post(f"/api/workspaces/{ws}/apps/{made['id']}/keys", json={"name": "dify client"}).json()["key"]
    return {**made, "ws": ws, "key": key, "agent": agent}


@pytest.fixture(scope="module")
def admin(live_server: LiveServer) -> Api:
    return live_server.admin()


@pytest.fixture(scope="module")
def ws(admin: Api) -> str:
    return str(admin.create_workspace()["id"])


@pytest.fixture(scope="module")
def workflow_app(admin: Api, ws: str) -> dict[str, Any]:
    return publish_app(admin, ws, greeting_graph(), "Greeter")


@pytest.fixture(scope="module")
def chatflow_app(admin: Api, ws: str) -> dict[str, Any]:
    return publish_app(admin, ws, chatflow_graph(), "Echo")


def client(server: LiveServer, app: dict[str, Any]) -> Client:
    return Client(api_key=app["key"], api_base=f"{server.url}/v1")


def run_request(mode: models.ResponseMode, user: str, **inputs: Any) -> models.WorkflowsRunRequest:
    return models.WorkflowsRunRequest(inputs=inputs, response_mode=mode, user=user)


def test_a_workflow_app_runs_blocking_and_its_run_is_kept(
    live_server: LiveServer, workflow_app: dict[str, Any]
) -> None:
    dify = client(live_server, workflow_app)
    done = dify.run_workflows(run_request(models.ResponseMode.BLOCKING, "alice", name="Ada", lang="en"), **TIMEOUT)
    assert isinstance(done, models.WorkflowsRunResponse)  # every field the typed client requires, with its type
    assert done.data.status == models.WorkflowStatus.SUCCEEDED and done.data.outputs == {"greeting": "Hello, Ada"}
    assert done.workflow_run_id == done.data.id and done.task_id and done.data.total_steps == 5
    assert done.data.workflow_id == workflow_app["agent"]["id"]

    detail = dify.request(f"{live_server.url}/v1/workflows/run/{done.workflow_run_id}", "GET").json()
    assert detail["id"] == done.workflow_run_id and detail["status"] == "succeeded"
    assert detail["inputs"] == {"name": "Ada", "lang": "en"} and detail["outputs"] == {"greeting": "Hello, Ada"}
    assert {"total_steps", "total_tokens", "created_at", "finished_at", "elapsed_time", "error"} <= set(detail)
    info = dify.request(f"{live_server.url}/v1/info", "GET").json()
    assert info["mode"] == "workflow"
    params = dify.request(f"{live_server.url}/v1/parameters", "GET").json()
    assert [next(iter(f)) for f in params["user_input_form"]] == ["text-input", "select"]

    # Inputs are checked against the form; the workflow app is not a chat app.
    with pytest.raises(DifyAPIError) as bad:
        dify.run_workflows(run_request(models.ResponseMode.BLOCKING, "alice", name="Ada", lang="fr"), **TIMEOUT)
    assert bad.value.status == 400
    with pytest.raises(DifyAPIError) as chat:
        dify.chat_messages(models.ChatRequest(query="hi", user="alice", response_mode=models.ResponseMode.BLOCKING))
    assert chat.value.code == "not_chat_app"


def test_a_workflow_app_streams_difys_events(live_server: LiveServer, workflow_app: dict[str, Any]) -> None:
    dify = client(live_server, workflow_app)
    stream = dify.run_workflows(run_request(models.ResponseMode.STREAMING, "bob", name="Ada", lang="zh"), **TIMEOUT)
    events = list(stream)
    kinds = [str(e.event) for e in events]
    assert kinds[0] == "workflow_started" and kinds[-1] == "workflow_finished", kinds
    assert kinds.count("node_started") == kinds.count("node_finished") == 5
    for e in events:  # the typed client read each into its model
        assert isinstance(e, models.WorkflowsStreamResponse) and e.workflow_run_id == events[0].workflow_run_id
    # Each event's data holds what the client's typed models require (the client leaves some as dicts).
    typed = {"workflow_started": models.WorkflowStartedData, "node_started": models.NodeStartedData,
             "node_finished": models.NodeFinishedData, "workflow_finished": models.WorkflowFinishedData}  # fmt: skip
    for e in events:
        data = e.data if isinstance(e.data, dict) else e.data.model_dump()
        typed[str(e.event)](**data)
    finished = models.WorkflowFinishedData(**events[-1].data)
    assert finished.status == models.WorkflowStatus.SUCCEEDED and finished.outputs == {"greeting": "你好，Ada"}
    assert finished.workflow_id == workflow_app["agent"]["id"]


def test_runs_are_logged_and_another_apps_key_sees_none(
    live_server: LiveServer, admin: Api, ws: str, workflow_app: dict[str, Any]
) -> None:
    dify = client(live_server, workflow_app)
    dify.run_workflows(run_request(models.ResponseMode.BLOCKING, "carol", name="Logged", lang="en"), **TIMEOUT)
    logs = dify.request(f"{live_server.url}/v1/workflows/logs", "GET", params={"keyword": "Logged"}).json()
    assert logs["total"] == 1 and logs["page"] == 1 and not logs["has_more"]
    entry = logs["data"][0]
    assert entry["workflow_run"]["status"] == "succeeded" and entry["workflow_run"]["version"] == "1"
    assert entry["created_by_role"] == "end_user" and entry["created_by_end_user"]["session_id"] == "carol"
    everything = dify.request(f"{live_server.url}/v1/workflows/logs", "GET", params={"limit": 1}).json()
    assert everything["total"] >= 2 and everything["has_more"] and len(everything["data"]) == 1
    failed = dify.request(f"{live_server.url}/v1/workflows/logs", "GET", params={"status": "failed"}).json()
    assert failed["total"] == 0

    other = publish_app(admin, ws, greeting_graph(), "Other greeter")
    run_id = entry["id"]
    r = httpx.get(f"{live_server.url}/v1/workflows/run/{run_id}", headers={"Authorization": f"Bearer {other['key']}"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert client(live_server, other).request(f"{live_server.url}/v1/workflows/logs", "GET").json()["total"] == 0
    # The builder sees the app's runs among the agent's.
    runs = admin.get(f"/api/workspaces/{ws}/agents/{workflow_app['agent']['id']}/workflow/runs").json()
    assert run_id in {r["id"] for r in runs["data"] if r["triggered_from"] == "app-run"}


def test_a_streaming_run_stops_on_request(live_server: LiveServer, admin: Api, ws: str) -> None:
    app = publish_app(admin, ws, slow_graph(), "Slow")
    seen: list[dict[str, Any]] = []
    started = threading.Event()

    def read() -> None:
        body = {"inputs": {}, "response_mode": "streaming", "user": "dave"}
        with admin.http.stream("POST", "/v1/workflows/run", json=body, timeout=60,
                               headers={"Authorization": f"Bearer {app['key']}"}) as r:  # fmt: skip
            for line in r.iter_lines():
                if line.startswith("data: "):
                    seen.append(json.loads(line[6:]))
                    if seen[-1]["event"] == "node_started" and seen[-1]["data"]["node_id"] == "slow":
                        started.set()

    reader = threading.Thread(target=read)
    reader.start()
    wait_for(started.is_set, "the slow node to start", timeout=60)
    dify = client(live_server, app)
    assert dify.stop_workflows(seen[0]["task_id"], models.StopRequest(user="dave")).result == "success"
    reader.join(timeout=30)
    assert seen[-1]["event"] == "workflow_finished" and seen[-1]["data"]["status"] == "stopped"
    detail = dify.request(f"{live_server.url}/v1/workflows/run/{seen[0]['workflow_run_id']}", "GET").json()
    assert detail["status"] == "stopped"


def test_a_chatflow_app_answers_on_chat_messages(live_server: LiveServer, chatflow_app: dict[str, Any]) -> None:
    dify = client(live_server, chatflow_app)
    ask = models.ChatRequest(query="hello", user="erin", response_mode=models.ResponseMode.STREAMING)
    events = list(dify.chat_messages(ask, **TIMEOUT))
    kinds = [str(e.event) for e in events]
    assert kinds[0] == "workflow_started" and "node_finished" in kinds and "message" in kinds, kinds
    assert kinds.index("workflow_finished") < kinds.index("message_end") == len(kinds) - 1
    text = "".join(
        e.answer for e in events if isinstance(e, models.MessageStreamResponse) and str(e.event) == "message"
    )
    assert text == "You said: hello / HELLO"
    flow = [e for e in events if isinstance(e, models.ChatWorkflowsStreamResponse) or str(e.event) == "node_started"]
    run_id = events[0].workflow_run_id
    assert flow and all(getattr(e, "workflow_run_id", run_id) == run_id for e in flow)

    blocking = dify.request(f"{live_server.url}/v1/chat-messages", "POST", json={
        "query": "again", "user": "erin", "response_mode": "blocking",
        "conversation_id": next(e for e in events if str(e.event) == "message_end").conversation_id,
    }, **TIMEOUT).json()  # fmt: skip
    answer = models.ChatResponse(**blocking)
    assert answer.mode == "advanced-chat" and answer.answer == "You said: again / AGAIN"
    assert dify.request(f"{live_server.url}/v1/info", "GET").json()["mode"] == "advanced-chat"
    r = httpx.post(f"{live_server.url}/v1/workflows/run", json={"inputs": {}, "user": "erin"},
                   headers={"Authorization": f"Bearer {chatflow_app['key']}"})  # fmt: skip
    assert r.status_code == 400 and r.json()["code"] == "not_workflow_app"


def test_an_llm_node_answers_on_the_bundled_model(model_server: LiveServer) -> None:
    api = model_server.admin()
    ws = str(api.create_workspace()["id"])
    llm = node("llm", "llm", {
        "model": {"provider": "", "name": "smollm2-135m-instruct", "mode": "chat",
                  "completion_params": {"temperature": 0, "max_tokens": 16}},
        "prompt_template": [{"role": "user", "text": "Say hello to {{#start.name#}}."}],
    })  # fmt: skip
    graph = {"mode": "workflow", "nodes": [start(name="text-input"), llm, end(text=["llm", "text"])],
             "edges": [edge("start", "llm"), edge("llm", "end")]}  # fmt: skip
    app = publish_app(api, ws, graph, "Hello model")
    dify = client(model_server, app)
    done = dify.run_workflows(run_request(models.ResponseMode.BLOCKING, "fred", name="Ada"), **TIMEOUT)
    assert done.data.status == models.WorkflowStatus.SUCCEEDED, done.data.error
    assert isinstance(done.data.outputs, dict) and str(done.data.outputs["text"]).strip()
    assert done.data.total_tokens and done.data.total_tokens > 0
    detail = api.get(f"/api/workspaces/{ws}/agents/{app['agent']['id']}/workflow/runs/{done.workflow_run_id}").json()
    llm_run = next(n for n in detail["nodes"] if n["node_id"] == "llm")
    assert llm_run["tokens"] > 0 and llm_run["outputs"]["text"] == done.data.outputs["text"]


def test_a_chatflows_conversation_variables_carry_from_turn_to_turn(live_server: LiveServer, admin: Api) -> None:
    """A Dify chatflow with conversation variables, imported as Dify exports it: each turn's assigner writes them,
    the next turn reads what the last one left, Dify's conversation-variables routes list them with their types and
    change them (checked against the type), and another conversation starts from the defaults."""
    ws = str(admin.create_workspace()["id"])
    dsl = (Path(__file__).parents[1] / "workflows" / "fixtures" / "dify" / "chatflow_v0.6.0_counter.yml").read_bytes()
    agent = admin.post(f"/api/workspaces/{ws}/agents/import", content=dsl, headers={"Content-Type": "text/yaml"})
    assert agent.status_code == 201, agent.text
    agent_id = agent.json()["id"]
    assert admin.post(f"/api/workspaces/{ws}/agents/{agent_id}/publish", json={}).status_code == 201
    made = make_app(admin, ws, agent_id=agent_id, name="Counter")
    key = admin.post(f"/api/workspaces/{ws}/apps/{made['id']}/keys", json={"name": "k"}).json()["key"]

    with httpx.Client(base_url=live_server.url, timeout=120, headers={"Authorization": f"Bearer {key}"}) as http:

        def ask(query: str, conversation: str = "") -> dict[str, Any]:
            body = {"query": query, "user": "gus", "response_mode": "blocking", "conversation_id": conversation}
            r = http.post("/v1/chat-messages", json=body)
            assert r.status_code == 200, r.text
            return dict(r.json())

        first = ask("apples")
        conv = first["conversation_id"]
        assert first["answer"] == "Turn 1" and ask("pears", conv)["answer"] == "Turn 2"
        listed = http.get(f"/v1/conversations/{conv}/variables", params={"user": "gus"}).json()["data"]
        assert [(v["name"], v["value_type"], v["value"]) for v in listed] == [
            ("turns", "number", "2"), ("asked", "array[string]", '["apples", "pears"]'),
        ]  # fmt: skip
        assert listed[0]["description"] == "how many turns this conversation has had"

        turns = listed[0]["id"]
        changed = http.put(f"/v1/conversations/{conv}/variables/{turns}", json={"value": 10, "user": "gus"})
        assert changed.status_code == 200 and changed.json()["value"] == "10", changed.text
        assert ask("plums", conv)["answer"] == "Turn 11"
        wrong = http.put(f"/v1/conversations/{conv}/variables/{turns}", json={"value": "many", "user": "gus"})
        assert wrong.status_code == 400, wrong.text
        assert ask("figs")["answer"] == "Turn 1"  # a new conversation starts from the declared defaults
