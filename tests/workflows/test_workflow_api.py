"""Workflow agents over the console API (decision 0023): a draft with problems is saved and its problems named by
node, publishing and running it refused; the draft runs over server-sent events in Dify's shapes with each node's
trace stored; a run stops; a run paused for human input resumes from the database, after the service restarts;
Dify DSL files import; a chatflow answers in the chat. Nodes that need no model (start, if-else, template, code,
human input, answer)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from hezi.conversations.workflow_runs import WorkflowRuns
from hezi.workflows.dsl import import_dify
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique, wait_for

DIFY_FILES = Path(__file__).parent / "fixtures" / "dify"


# --- graphs ------------------------------------------------------------------------------------------------------


def node(node_id: str, type_: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "title": node_id, "data": data or {}}


def edge(source: str, target: str, handle: str = "source") -> dict[str, Any]:
    return {"id": f"{source}-{handle}-{target}", "source": source, "source_handle": handle, "target": target}


def start(**types: str) -> dict[str, Any]:
    return node("start", "start", {"variables": [{"variable": v, "label": v, "type": t} for v, t in types.items()]})


def template(node_id: str, text: str, **variables: list[str]) -> dict[str, Any]:
    selectors = [{"variable": k, "value_selector": v} for k, v in variables.items()]
    return node(node_id, "template-transform", {"variables": selectors, "template": text})


def end(**outputs: list[str]) -> dict[str, Any]:
    return node("end", "end", {"outputs": [{"variable": k, "value_selector": v} for k, v in outputs.items()]})


def greeting_graph() -> dict[str, Any]:
    """start(name, lang) → if lang is zh → 你好 {{name}} | Hello {{name}} → aggregate → end(greeting)."""
    cond = {"variable_selector": ["start", "lang"], "comparison_operator": "is", "value": "zh"}
    nodes = [
        start(name="text-input", lang="select"),
        node("if", "if-else", {"cases": [{"case_id": "zh", "logical_operator": "and", "conditions": [cond]}]}),
        template("zh", "你好，{{ n }}", n=["start", "name"]),
        template("en", "Hello, {{ n }}", n=["start", "name"]),
        node(
            "agg", "variable-aggregator", {"output_type": "string", "variables": [["zh", "output"], ["en", "output"]]}
        ),
        end(greeting=["agg", "output"]),
    ]
    nodes[0]["data"]["variables"][1]["options"] = ["zh", "en"]
    edges = [edge("start", "if"), edge("if", "zh", "zh"), edge("if", "en", "false"), edge("zh", "agg"),
             edge("en", "agg"), edge("agg", "end")]  # fmt: skip
    return {"mode": "workflow", "nodes": nodes, "edges": edges}


def human_graph() -> dict[str, Any]:
    form = {
        "form_content": "Approve {{#start.item#}}?",
        "inputs": [{"type": "paragraph", "output_variable_name": "comment"}],
        "user_actions": [{"id": "approve", "title": "Approve"}, {"id": "reject", "title": "Reject"}],
    }
    nodes = [
        start(item="text-input"), node("ask", "human-input", form),
        template("yes", "approved {{ i }}: {{ c }}", i=["start", "item"], c=["ask", "comment"]),
        template("no", "rejected"),
        node("agg", "variable-aggregator", {"variables": [["yes", "output"], ["no", "output"]]}),
        end(result=["agg", "output"]),
    ]  # fmt: skip
    edges = [edge("start", "ask"), edge("ask", "yes", "approve"), edge("ask", "no", "reject"), edge("yes", "agg"),
             edge("no", "agg"), edge("agg", "end")]  # fmt: skip
    return {"mode": "workflow", "nodes": nodes, "edges": edges}


def slow_graph() -> dict[str, Any]:
    code = "import time\n\ndef main():\n    time.sleep(8)\n    return {'done': 'yes'}\n"
    slow = node("slow", "code", {"code": code, "outputs": {"done": {"type": "string"}}})
    return {"mode": "workflow", "nodes": [start(), slow, end(done=["slow", "done"])],
            "edges": [edge("start", "slow"), edge("slow", "end")]}  # fmt: skip


def chatflow_graph() -> dict[str, Any]:
    answer = node("answer", "answer", {"answer": "You said: {{#sys.query#}} / {{#t.output#}}"})
    nodes = [start(), template("t", "{{ q | upper }}", q=["sys", "query"]), answer]
    return {"mode": "chatflow", "nodes": nodes, "edges": [edge("start", "t"), edge("t", "answer")]}


# --- helpers -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def admin(live_server: LiveServer) -> Api:
    return live_server.admin()


@pytest.fixture(scope="module")
def ws(admin: Api) -> str:
    return str(admin.create_workspace()["id"])


def make_workflow(api: Api, ws: str, graph: dict[str, Any], mode: str | None = None) -> dict[str, Any]:
    config = {"mode": mode or graph["mode"], "workflow": graph}
    r = api.post(f"/api/workspaces/{ws}/agents", json={"name": unique("flow"), "config": config})
    assert r.status_code == 201, r.text
    return dict(r.json())


def stream(api: Api, path: str, body: dict[str, Any], timeout: float = 120) -> list[dict[str, Any]]:
    out = []
    with api.http.stream("POST", path, json=body, headers={"Authorization": f"Bearer {api.token}"},
                         timeout=timeout) as r:  # fmt: skip
        assert r.status_code == 200, r.read().decode()
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
    return out


def base(ws: str, agent: dict[str, Any]) -> str:
    return f"/api/workspaces/{ws}/agents/{agent['id']}/workflow"


def names(events: list[dict[str, Any]]) -> list[str]:
    return [e["event"] for e in events]


# --- tests -------------------------------------------------------------------------------------------------------


def test_a_draft_with_problems_is_saved_with_them_and_cannot_be_published_or_run(admin: Api, ws: str) -> None:
    agent = make_workflow(admin, ws, greeting_graph())
    assert agent["config"]["mode"] == "workflow" and agent["problems"] == []
    # The input form is read from the Start node: what apps show and check.
    assert [next(iter(f)) for f in agent["config"]["user_input_form"]] == ["text-input", "select"]

    broken = greeting_graph()
    broken["nodes"][3]["data"]["variables"][0]["value_selector"] = ["nowhere", "output"]  # en reads a missing node
    broken["nodes"].append(template("lost", "never reached"))
    r = admin.patch(f"/api/workspaces/{ws}/agents/{agent['id']}", json={"config": {"mode": "workflow",
                                                                                 "workflow": broken}})  # fmt: skip
    assert r.status_code == 200, r.text  # autosave: saved anyway
    problems = r.json()["problems"]
    by_node = {p["node_id"] for p in problems}
    assert {"en", "lost"} <= by_node, problems
    assert all(p["code"] and p["message"] for p in problems)
    saved = admin.get(f"/api/workspaces/{ws}/agents/{agent['id']}").json()
    assert [n["id"] for n in saved["config"]["workflow"]["nodes"]][-1] == "lost"

    refused = assert_error(admin.post(f"/api/workspaces/{ws}/agents/{agent['id']}/publish", json={}), 422,
                           "workflow_invalid")  # fmt: skip
    assert {p["node_id"] for p in refused["details"]["problems"]} == by_node
    assert_error(admin.post(f"{base(ws, agent)}/run", json={"inputs": {"name": "x", "lang": "en"}}), 422,
                 "workflow_invalid")  # fmt: skip

    # Checking a graph without saving it.
    checked = admin.post(f"{base(ws, agent)}/validate", json={"graph": greeting_graph()})
    assert checked.status_code == 200 and checked.json() == {"problems": [], "count": 0}
    shapeless = admin.post(f"{base(ws, agent)}/validate", json={"graph": {"nodes": [{"id": "a b", "type": "start"}]}})
    assert shapeless.json()["count"] >= 1 and shapeless.json()["problems"][0]["code"] == "invalid_graph"

    # A graph of the other mode is a problem too.
    r = admin.patch(f"/api/workspaces/{ws}/agents/{agent['id']}",
                    json={"config": {"mode": "chatflow", "workflow": greeting_graph()}})  # fmt: skip
    assert "mode_mismatch" in {p["code"] for p in r.json()["problems"]}


def test_the_draft_runs_over_sse_and_each_node_is_traced(admin: Api, ws: str) -> None:
    agent = make_workflow(admin, ws, greeting_graph())
    events = stream(admin, f"{base(ws, agent)}/run", {"inputs": {"name": "Ada", "lang": "zh"}})
    assert names(events)[0] == "workflow_started" and names(events)[-1] == "workflow_finished"
    run_id = events[0]["workflow_run_id"]
    assert all(e["workflow_run_id"] == run_id and e["task_id"] for e in events)
    started = [e["data"]["node_id"] for e in events if e["event"] == "node_started"]
    assert started == ["start", "if", "zh", "agg", "end"]  # the English branch is skipped
    done = events[-1]["data"]
    assert done["status"] == "succeeded" and done["outputs"] == {"greeting": "你好，Ada"}

    runs = admin.get(f"{base(ws, agent)}/runs").json()
    assert runs["count"] == 1 and runs["data"][0]["id"] == run_id
    assert runs["data"][0]["triggered_from"] == "debugging" and runs["data"][0]["agent_version"] is None
    detail = admin.get(f"{base(ws, agent)}/runs/{run_id}").json()
    assert detail["status"] == "succeeded" and detail["outputs"] == {"greeting": "你好，Ada"}
    assert detail["inputs"] == {"name": "Ada", "lang": "zh"} and detail["total_steps"] == 5
    assert detail["finished_at"] and detail["elapsed_time"] > 0 and detail["graph"]["nodes"][0]["id"] == "start"
    nodes = {n["node_id"]: n for n in detail["nodes"]}
    assert [n["node_id"] for n in detail["nodes"]] == started and [n["index"] for n in detail["nodes"]] == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert nodes["zh"]["inputs"] == {"n": "Ada"} and nodes["zh"]["outputs"] == {"output": "你好，Ada"}
    assert nodes["zh"]["status"] == "succeeded" and nodes["zh"]["predecessor_node_id"] == "if"
    assert all(n["elapsed_time"] >= 0 and n["tokens"] == 0 for n in detail["nodes"])

    # Inputs are checked against the Start node's form; another workspace's caller does not see the runs.
    assert_error(admin.post(f"{base(ws, agent)}/run", json={"inputs": {"name": "x", "lang": "fr"}}), 400,
                 "invalid_inputs")  # fmt: skip
    other = Api(admin.base_url)
    user = admin.create_user()
    other.login(user["username"], "password-123")
    assert other.get(f"{base(ws, agent)}/runs/{run_id}").status_code == 404


def test_a_run_can_be_stopped(admin: Api, ws: str, live_server: LiveServer) -> None:
    agent = make_workflow(admin, ws, slow_graph())
    seen: list[dict[str, Any]] = []
    started = threading.Event()

    def read() -> None:
        path = f"{base(ws, agent)}/run"
        with admin.http.stream("POST", path, json={"inputs": {}}, timeout=60,
                               headers={"Authorization": f"Bearer {admin.token}"}) as r:  # fmt: skip
            for line in r.iter_lines():
                if line.startswith("data: "):
                    seen.append(json.loads(line[6:]))
                    if seen[-1]["event"] == "node_started" and seen[-1]["data"]["node_id"] == "slow":
                        started.set()

    reader = threading.Thread(target=read)
    reader.start()
    wait_for(started.is_set, "the slow node to start", timeout=60)
    run_id = seen[0]["workflow_run_id"]
    assert admin.post(f"{base(ws, agent)}/runs/{run_id}/stop").status_code == 204
    reader.join(timeout=30)
    assert not reader.is_alive()
    assert seen[-1]["event"] == "workflow_finished" and seen[-1]["data"]["status"] == "stopped"
    detail = admin.get(f"{base(ws, agent)}/runs/{run_id}").json()
    assert detail["status"] == "stopped" and detail["finished_at"]
    assert {n["node_id"]: n["status"] for n in detail["nodes"]} == {"start": "succeeded", "slow": "stopped"}
    # Stopped already: nothing to stop.
    assert_error(admin.post(f"{base(ws, agent)}/runs/{run_id}/stop"), 404, "task_not_found")


def test_a_paused_run_resumes_from_the_database_after_a_restart(admin: Api, ws: str, live_server: LiveServer) -> None:
    agent = make_workflow(admin, ws, human_graph())
    events = stream(admin, f"{base(ws, agent)}/run", {"inputs": {"item": "the budget"}})
    assert names(events)[-2:] == ["human_input_required", "workflow_paused"], names(events)
    asked = events[-2]["data"]
    assert asked["node_id"] == "ask" and asked["form_content"] == "Approve the budget?"
    run_id = events[0]["workflow_run_id"]
    paused = admin.get(f"{base(ws, agent)}/runs/{run_id}").json()
    assert paused["status"] == "paused" and paused["finished_at"] is None
    with psycopg.connect(live_server.database_url) as conn:
        state = conn.execute("SELECT state FROM workflow_runs WHERE id = %s", (run_id,)).fetchone()
    assert state is not None and "ask" in state[0]["waiting"]

    # The service that paused it is gone: a new one (as after a restart) has only the database.
    services = live_server.app.state.services
    services.chat.workflows = WorkflowRuns(services.chat.workflows.c)
    path = f"{base(ws, agent)}/runs/{run_id}/resume"
    events = stream(admin, path, {"values": {"comment": "fine"}, "action": "approve"})
    assert events[-1]["event"] == "workflow_finished", events
    assert events[-1]["data"]["status"] == "succeeded"
    assert events[-1]["data"]["outputs"] == {"result": "approved the budget: fine"}
    assert all(e["workflow_run_id"] == run_id for e in events)
    done = admin.get(f"{base(ws, agent)}/runs/{run_id}").json()
    assert done["status"] == "succeeded" and done["outputs"] == {"result": "approved the budget: fine"}
    assert [(n["node_id"], n["status"]) for n in done["nodes"]] == [
        ("start", "succeeded"), ("ask", "paused"), ("ask", "succeeded"), ("yes", "succeeded"), ("agg", "succeeded"),
        ("end", "succeeded"),
    ]  # fmt: skip
    assert [n["index"] for n in done["nodes"]] == [1, 2, 3, 4, 5, 6]
    # It is over: a second resume is refused.
    assert_error(admin.post(path, json={"values": {}}), 409, "workflow_run_not_paused")


def test_dify_dsl_files_import_as_workflow_agents(admin: Api, ws: str) -> None:
    text = (DIFY_FILES / "workflow_v0.1.0_greeting.yml").read_bytes()
    r = admin.post(f"/api/workspaces/{ws}/agents/import", content=text, headers={"Content-Type": "text/yaml"})
    assert r.status_code == 201, r.text
    agent = r.json()
    assert agent["config"]["mode"] == "workflow" and agent["name"] == "问候 Greeting"
    assert agent["config"]["workflow"]["nodes"] and agent["problems"] == []
    # It publishes, and an agent file round trip keeps the graph.
    assert admin.post(f"/api/workspaces/{ws}/agents/{agent['id']}/publish", json={}).status_code == 201
    exported = admin.get(f"/api/workspaces/{ws}/agents/{agent['id']}/export").text
    again = admin.post(f"/api/workspaces/{ws}/agents/import", params={"replace": "true"}, content=exported,
                       headers={"Content-Type": "text/yaml"})  # fmt: skip
    assert again.status_code == 201 and again.json()["config"]["workflow"] == agent["config"]["workflow"]
    # Exported as a Dify file, it reads back as the same graph (what Dify imports); a plain agent has none, and
    # what Dify cannot hold (a Human input node) is named by node.
    dify = admin.get(f"/api/workspaces/{ws}/agents/{agent['id']}/export", params={"format": "dify"})
    assert dify.status_code == 200 and dify.headers["content-disposition"].endswith("-Greeting.yml"), dify.headers
    back = import_dify(dify.text)
    assert back.mode == "workflow" and back.name == "问候 Greeting"
    assert back.graph.model_dump(mode="json") == agent["config"]["workflow"]
    plain = admin.post(f"/api/workspaces/{ws}/agents", json={"name": unique("plain")}).json()
    assert_error(admin.get(f"/api/workspaces/{ws}/agents/{plain['id']}/export", params={"format": "dify"}), 400,
                 "not_a_workflow")  # fmt: skip
    human = make_workflow(admin, ws, human_graph())
    refused = assert_error(admin.get(f"/api/workspaces/{ws}/agents/{human['id']}/export", params={"format": "dify"}),
                           422, "dify_export_refused")  # fmt: skip
    assert [p.get("node_id") for p in refused["details"]["problems"]] == ["ask"]

    # What cannot be mapped is refused by node, and nothing is imported.
    before = admin.get(f"/api/workspaces/{ws}/agents").json()["count"]
    bad = (DIFY_FILES / "workflow_v0.6.0_unsupported.yml").read_bytes()
    refused = assert_error(
        admin.post(f"/api/workspaces/{ws}/agents/import", content=bad, headers={"Content-Type": "text/yaml"}), 422,
        "workflow_import_refused",
    )  # fmt: skip
    assert refused["details"]
    assert admin.get(f"/api/workspaces/{ws}/agents").json()["count"] == before


def test_a_chatflow_answers_in_the_chat_and_its_answer_names_the_run(admin: Api, ws: str) -> None:
    agent = make_workflow(admin, ws, chatflow_graph())
    events = stream(admin, f"/api/workspaces/{ws}/agents/{agent['id']}/chat", {"query": "hi there",
                                                                               "preview": True})  # fmt: skip
    text = "".join(e["text"] for e in events if e["event"] == "text")
    assert text == "You said: hi there / HI THERE"
    flow = [e["name"] for e in events if e["event"] == "workflow"]
    assert flow[0] == "workflow_started" and flow[-1] == "workflow_finished" and "node_finished" in flow
    message = next(e for e in events if e["event"] == "end")["message"]
    assert message["content"] == text and message["status"] == "ok" and message["workflow_run_id"]
    run = admin.get(f"{base(ws, agent)}/runs/{message['workflow_run_id']}").json()
    assert run["triggered_from"] == "chat" and run["conversation_id"] == message["conversation_id"]
    assert run["message_id"] == message["id"] and run["outputs"] == {"answer": text}


def approval_chatflow() -> dict[str, Any]:
    """A chatflow that says what it will do, asks a person, and answers by the button chosen."""
    form = {
        "form_content": "Refund {{#sys.query#}}?",
        "inputs": [{"type": "paragraph", "output_variable_name": "comment"}],
        "user_actions": [{"id": "approve", "title": "Approve"}, {"id": "reject", "title": "Reject"}],
    }
    nodes = [
        start(), node("said", "answer", {"answer": "Checking: {{#sys.query#}}. "}), node("ask", "human-input", form),
        node("yes", "answer", {"answer": "Refunded ({{#ask.comment#}})."}),
        node("no", "answer", {"answer": "Refused."}),
    ]  # fmt: skip
    edges = [edge("start", "said"), edge("said", "ask"), edge("ask", "yes", "approve"), edge("ask", "no", "reject")]
    return {"mode": "chatflow", "nodes": nodes, "edges": edges}


def test_a_chatflow_waits_in_the_chat_for_a_persons_answer_and_goes_on_with_it(
    admin: Api, ws: str, live_server: LiveServer
) -> None:
    """Human input in the chat: the answer is stored as paused with the form; the next question answers it (after a
    restart too) and the same run goes on; an answered form cannot be answered again."""
    agent = make_workflow(admin, ws, approval_chatflow())
    chat = f"/api/workspaces/{ws}/agents/{agent['id']}/chat"
    events = stream(admin, chat, {"query": "order 42", "preview": True})
    assert "".join(e["text"] for e in events if e["event"] == "text") == "Checking: order 42. "
    paused = next(e for e in events if e["event"] == "end")["message"]
    assert paused["status"] == "paused" and paused["content"] == "Checking: order 42. "
    form = paused["form"]
    assert form["node_id"] == "ask" and form["form_content"] == "Refund order 42?"
    assert [a["id"] for a in form["user_actions"]] == ["approve", "reject"]
    assert [i["output_variable_name"] for i in form["inputs"]] == ["comment"]
    conv = paused["conversation_id"]
    run = admin.get(f"{base(ws, agent)}/runs/{paused['workflow_run_id']}").json()
    assert run["status"] == "paused"
    stored = admin.get(f"/api/workspaces/{ws}/conversations/{conv}").json()
    assert stored["messages"][-1]["form"] == form, "the form is there when the conversation is opened again"

    # The service that paused it is gone: a new one (as after a restart) has only the database.
    services = live_server.app.state.services
    services.chat.workflows = WorkflowRuns(services.chat.workflows.c)
    answer = {"query": "Approve", "conversation_id": conv, "preview": True,
              "human_input": {"action": "approve", "values": {"comment": "within 30 days"}}}  # fmt: skip
    events = stream(admin, chat, answer)
    assert "".join(e["text"] for e in events if e["event"] == "text") == "Refunded (within 30 days)."
    done = next(e for e in events if e["event"] == "end")["message"]
    assert done["status"] == "ok" and done["form"] is None and done["workflow_run_id"] == paused["workflow_run_id"]
    run = admin.get(f"{base(ws, agent)}/runs/{paused['workflow_run_id']}").json()
    assert run["status"] == "succeeded" and run["message_id"] == done["id"]
    messages = admin.get(f"/api/workspaces/{ws}/conversations/{conv}").json()["messages"]
    assert [(m["role"], m["status"]) for m in messages] == [("user", "ok"), ("assistant", "ok")] * 2

    # Answered once: again (after the answer, or on the old answer) is refused before anything is stored.
    again = admin.post(chat, json=answer)
    assert_error(again, 409, "not_waiting_for_input")
    on_old = admin.post(chat, json={**answer, "parent_id": paused["id"]})
    assert_error(on_old, 409, "not_waiting_for_input")
    assert len(admin.get(f"/api/workspaces/{ws}/conversations/{conv}").json()["messages"]) == 4


def test_runs_are_refused_for_plain_agents(admin: Api, ws: str) -> None:
    r = admin.post(f"/api/workspaces/{ws}/agents", json={"name": unique("plain")})
    agent = r.json()
    assert_error(admin.post(f"{base(ws, agent)}/run", json={}), 400, "not_a_workflow")
    assert admin.get(f"{base(ws, agent)}/runs").json() == {"data": [], "count": 0}
    with pytest.raises(httpx.HTTPStatusError):
        admin.get(f"{base(ws, agent)}/runs/{agent['id']}").raise_for_status()
