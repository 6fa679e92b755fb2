"""Dify's service API for chat apps, driven by a typed Dify client (dify-client-python) as a team moving from Dify
would: blocking and streaming answers, conversations kept per end user, the app's parameters, and keys that reach
their own app only."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest
from dify_client import Client, models
from dify_client.errors import DifyAPIError, DifyResourceNotFound

from tests.apps.helpers import make_app, published_agent
from tests.conftest import LiveServer
from tests.helpers import Api

TIMEOUT = {"timeout": 300}
SETTINGS = {"model_params": {"temperature": 0, "max_tokens": 24}, "opening_statement": "你好，我是请假助手。",
            "suggested_questions": ["年假有几天？"], "system_prompt": "Answer in one short sentence."}  # fmt: skip


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def app(admin: Api) -> dict[str, Any]:
    ws = str(admin.create_workspace()["id"])
    agent = published_agent(admin, ws, config=SETTINGS)
    made = make_app(admin, ws, agent_id=agent["id"], name="Leave helper")
    key = admin.post(f"/api/workspaces/{ws}/apps/{made['id']}/keys", json={"name": "dify client"}).json()["key"]
    return {**made, "ws": ws, "key": key}


def client(server: LiveServer, key: str) -> Client:
    return Client(api_key=key, api_base=f"{server.url}/v1")


def ask(mode: models.ResponseMode, user: str, conversation_id: str = "", query: str = "Hello") -> models.ChatRequest:
    return models.ChatRequest(query=query, user=user, response_mode=mode, conversation_id=conversation_id)


def stored(server: LiveServer, conversation_id: str) -> list[tuple[str, str, str | None]]:
    with psycopg.connect(server.database_url) as conn:
        rows = conn.execute(
            "SELECT m.role, m.content, c.end_user FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.id = %s ORDER BY m.created_at", (conversation_id,),
        ).fetchall()  # fmt: skip
    return [(r[0], r[1], r[2]) for r in rows]


def test_blocking_answers_are_dify_shaped_and_conversations_continue(
    model_server: LiveServer, app: dict[str, Any]
) -> None:
    dify = client(model_server, app["key"])
    raw = dify.request(f"{model_server.url}/v1/chat-messages", "POST",
                       json=ask(models.ResponseMode.BLOCKING, "alice").model_dump(), **TIMEOUT).json()  # fmt: skip
    answer = models.ChatResponse(**raw)  # every field the typed client requires, with its type
    assert answer.mode == "chat" and answer.answer.strip() and answer.message_id == raw["id"]
    assert answer.metadata.usage.total_tokens > 0 and answer.metadata.usage.latency > 0
    conversation = raw["conversation_id"]

    again = dify.request(f"{model_server.url}/v1/chat-messages", "POST",
                         json=ask(models.ResponseMode.BLOCKING, "alice", conversation, "And then?").model_dump(),
                         **TIMEOUT).json()  # fmt: skip
    assert again["conversation_id"] == conversation and again["message_id"] != raw["message_id"]
    rows = stored(model_server, conversation)
    assert [(r[0], r[2]) for r in rows] == [("user", "alice"), ("assistant", "alice")] * 2
    assert rows[1][1] == answer.answer and rows[2][1] == "And then?"

    # Another end user of the same app does not reach alice's conversation.
    with pytest.raises(DifyResourceNotFound) as refused:
        dify.chat_messages(ask(models.ResponseMode.BLOCKING, "bob", conversation), **TIMEOUT)
    assert refused.value.code == "conversation_not_exists"


def test_streaming_answers_arrive_as_dify_events(model_server: LiveServer, app: dict[str, Any]) -> None:
    events = list(client(model_server, app["key"]).chat_messages(ask(models.ResponseMode.STREAMING, "carol"),
                                                                 **TIMEOUT))  # fmt: skip
    texts = [e for e in events if isinstance(e, models.MessageStreamResponse)]
    end = events[-1]
    assert texts and isinstance(end, models.MessageEndStreamResponse), [e.event for e in events]
    assert {e.message_id for e in texts} == {end.message_id} and all(e.task_id for e in events)
    assert end.metadata is not None and end.metadata.usage.completion_tokens > 0
    conversation = texts[0].conversation_id
    rows = stored(model_server, conversation)
    assert rows[-1] == ("assistant", "".join(e.answer for e in texts), "carol")  # what streamed is what was kept


def test_parameters_info_and_meta_describe_the_served_version(model_server: LiveServer, app: dict[str, Any]) -> None:
    http = httpx.Client(base_url=f"{model_server.url}/v1", headers={"Authorization": f"Bearer {app['key']}"})
    params = http.get("/parameters", params={"user": "alice"}).json()
    assert params["opening_statement"] == "你好，我是请假助手。" and params["suggested_questions"] == ["年假有几天？"]
    assert params["user_input_form"] == [] and params["retriever_resource"] == {"enabled": True}
    assert params["annotation_reply"] == {"enabled": False}  # until the owner turns annotation replies on
    upload = params["file_upload"]
    assert upload["enabled"] and upload["allowed_file_upload_methods"] == ["local_file"]
    assert ".pdf" in upload["allowed_file_extensions"] and ".docx" in upload["allowed_file_extensions"]
    assert http.get("/info").json()["name"] == "Leave helper"
    assert http.get("/meta").json() == {"tool_icons": {}}


def test_keys_reach_their_own_open_app_only(model_server: LiveServer, admin: Api, app: dict[str, Any]) -> None:
    url = f"{model_server.url}/v1/parameters"
    assert httpx.get(url).status_code == 401
    user_key = admin.create_key(app["ws"])["key"]
    refused = httpx.get(url, headers={"Authorization": f"Bearer {user_key}"})
    assert refused.status_code == 403 and set(refused.json()) == {"code", "message", "status"}

    other = make_app(admin, app["ws"], agent_id=app["agent_id"], name="Other")
    other_key = admin.post(f"/api/workspaces/{app['ws']}/apps/{other['id']}/keys", json={"name": "k"}).json()["key"]
    assert httpx.get(url, headers={"Authorization": f"Bearer {other_key}"}).json()["opening_statement"]
    # The other app's key never sees this app's conversations.
    first = client(model_server, app["key"]).request(
        f"{model_server.url}/v1/chat-messages", "POST",
        json=ask(models.ResponseMode.BLOCKING, "dave").model_dump(), **TIMEOUT).json()  # fmt: skip
    with pytest.raises(DifyResourceNotFound):
        client(model_server, other_key).chat_messages(
            ask(models.ResponseMode.BLOCKING, "dave", first["conversation_id"]), **TIMEOUT)  # fmt: skip

    # Switched off — the whole app, or only its API channel — it answers app_unavailable at once.
    path = f"/api/workspaces/{app['ws']}/apps/{other['id']}"
    admin.patch(path, json={"channels": {"web_app": True, "widget": False, "api": False, "openai": True, "mcp": False}})
    closed = httpx.get(url, headers={"Authorization": f"Bearer {other_key}"})
    assert closed.status_code == 400 and closed.json()["code"] == "app_unavailable"
    with pytest.raises(DifyAPIError) as unavailable:
        client(model_server, other_key).chat_messages(ask(models.ResponseMode.BLOCKING, "dave"), **TIMEOUT)
    assert unavailable.value.code == "app_unavailable"


def test_an_end_users_conversations_are_listed_read_renamed_rated_and_deleted(
    model_server: LiveServer, app: dict[str, Any]
) -> None:
    dify = client(model_server, app["key"])
    http = httpx.Client(base_url=f"{model_server.url}/v1", headers={"Authorization": f"Bearer {app['key']}"},
                        timeout=300)  # fmt: skip

    def chat(user: str, query: str, conversation: str = "") -> dict[str, Any]:
        body = {"query": query, "user": user, "response_mode": "blocking", "conversation_id": conversation}
        r = http.post("/chat-messages", json=body)
        assert r.status_code == 200, r.text
        return dict(r.json())

    first = chat("erin", "年假有几天？")
    second = chat("erin", "病假呢？", first["conversation_id"])
    other = chat("erin", "Another topic")
    chat("frank", "Not erin's")

    listed = http.get("/conversations", params={"user": "erin", "limit": 1}).json()
    assert listed["has_more"] and [c["id"] for c in listed["data"]] == [other["conversation_id"]]
    rest = http.get("/conversations", params={"user": "erin", "last_id": listed["data"][0]["id"]}).json()
    assert [c["id"] for c in rest["data"]] == [first["conversation_id"]] and not rest["has_more"]
    assert rest["data"][0]["name"] == "年假有几天？" and rest["data"][0]["status"] == "normal"

    messages = http.get("/messages", params={"user": "erin", "conversation_id": first["conversation_id"]}).json()
    assert [(m["id"], m["query"]) for m in messages["data"]] == [
        (first["id"], "年假有几天？"),
        (second["id"], "病假呢？"),
    ]
    assert messages["data"][1]["answer"] == second["answer"] and not messages["has_more"]
    older = http.get("/messages", params={"user": "erin", "conversation_id": first["conversation_id"],
                                          "first_id": second["id"]}).json()  # fmt: skip
    assert [m["id"] for m in older["data"]] == [first["id"]]
    assert (
        http.get("/messages", params={"user": "frank", "conversation_id": first["conversation_id"]}).status_code == 404
    )

    renamed = http.post(f"/conversations/{first['conversation_id']}/name", json={"name": "假期", "user": "erin"}).json()
    assert renamed["name"] == "假期"
    auto = http.post(f"/conversations/{first['conversation_id']}/name", json={"auto_generate": True, "user": "erin"})
    assert auto.json()["name"] == "年假有几天？"

    # Feedback and suggestions through the typed client.
    rated = dify.feedback_messages(first["id"], models.FeedbackRequest(rating=models.Rating.LIKE, user="erin"))
    assert rated.result == "success"
    listed_again = http.get("/messages", params={"user": "erin", "conversation_id": first["conversation_id"]}).json()
    assert listed_again["data"][0]["feedback"] == {"rating": "like"}
    assert dify.suggest_messages(first["id"], models.ChatSuggestRequest(user="erin")).result == "success"
    with pytest.raises(DifyResourceNotFound):  # another end user cannot rate erin's answer
        dify.feedback_messages(first["id"], models.FeedbackRequest(rating=models.Rating.DISLIKE, user="frank"))

    gone = http.request("DELETE", f"/conversations/{other['conversation_id']}", json={"user": "erin"})
    assert gone.status_code == 204
    remaining = http.get("/conversations", params={"user": "erin"}).json()["data"]
    assert [c["id"] for c in remaining] == [first["conversation_id"]]
    missing = http.request("DELETE", f"/conversations/{other['conversation_id']}", json={"user": "erin"})
    assert missing.status_code == 404 and missing.json()["code"] == "conversation_not_exists"
