"""An app's turn that the model refuses for load is a 429 with Retry-After before any response starts, on Dify's
and OpenAI's routes, streaming or not, and stores nothing: no new conversation, no question left without an
answer in an existing one, which goes on from where it was once the model has room."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest

from tests.apps.helpers import make_app, published_agent
from tests.conftest import LiveServer
from tests.helpers import Api

MODEL = "smollm2-135m-instruct"
SETTINGS = {"model": MODEL, "model_params": {"temperature": 0, "max_tokens": 8}}


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def app(admin: Api) -> dict[str, Any]:
    ws = str(admin.create_workspace()["id"])
    made = make_app(admin, ws, agent_id=published_agent(admin, ws, config=SETTINGS)["id"])
    key = admin.post(f"/api/workspaces/{ws}/apps/{made['id']}/keys", json={"name": "k"}).json()["key"]
    user_key = admin.post(f"/api/workspaces/{ws}/api-keys", json={"name": "filler"}).json()["key"]
    return {**made, "key": key, "user_key": user_key}


def messages_of(server: LiveServer, app_id: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(server.database_url) as conn:
        rows = conn.execute(
            "SELECT c.id::text, m.role, m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.app_id = %s ORDER BY m.created_at", (app_id,),
        ).fetchall()  # fmt: skip
    return [(r[0], r[1], r[2]) for r in rows]


@contextmanager
def saturated(model_server: LiveServer, app: dict[str, Any]) -> Iterator[None]:
    """Every sequence of the chat model busy with a long answer, and no queue behind them."""
    gateway = model_server.app.state.services.gateway
    saved = gateway.queue_per_model
    gateway.queue_per_model = 0  # capacity is then exactly the worker's parallel sequences
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Write a long story."}], "max_tokens": 400,
            "stream": True}  # fmt: skip
    headers = {"Authorization": f"Bearer {app['user_key']}"}
    parallel = model_server.app.state.services.supervisor.spec_for(MODEL).parallel
    try:
        with httpx.Client(base_url=model_server.url, timeout=120) as http:
            streams = [http.stream("POST", "/v1/chat/completions", json=body, headers=headers) for _ in range(parallel)]
            opened = [s.__enter__() for s in streams]  # each holds its sequence from its 200 on
            try:
                assert all(r.status_code == 200 for r in opened)
                yield
            finally:
                for s in streams:
                    s.__exit__(None, None, None)
    finally:
        gateway.queue_per_model = saved


@pytest.fixture
def model_full(model_server: LiveServer, app: dict[str, Any]) -> Iterator[None]:
    with saturated(model_server, app):
        yield


def dify(http: httpx.Client, app: dict[str, Any], mode: str, conversation: str = "") -> httpx.Response:
    body = {"query": "Hello", "user": "u1", "response_mode": mode, "conversation_id": conversation}
    return http.post("/v1/chat-messages", json=body, headers={"Authorization": f"Bearer {app['key']}"})


def test_a_busy_model_refuses_new_turns_before_they_start(
    model_server: LiveServer, app: dict[str, Any], model_full: None
) -> None:
    with httpx.Client(base_url=model_server.url, timeout=120) as http:
        for mode in ("streaming", "blocking"):
            refused = dify(http, app, mode)
            assert refused.status_code == 429, refused.text
            assert refused.json()["status"] == 429 and refused.headers["content-type"].startswith("application/json")
            assert int(refused.headers["Retry-After"]) >= 1
        for stream in (True, False):
            body = {"model": f"app-{app['slug']}", "messages": [{"role": "user", "content": "Hi"}], "stream": stream}
            refused = http.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {app['key']}"})
            assert refused.status_code == 429 and refused.json()["error"]["code"] == "model_busy", refused.text
            assert int(refused.headers["Retry-After"]) >= 1
    # A visitor of the web app (its own cookie, same-site) is refused the same way, in the console's error shape.
    token = app["web_app_path"].rsplit("/", 1)[1]
    with httpx.Client(base_url=f"{model_server.url}/app/{token}", timeout=120) as visitor:
        assert visitor.get("/api/app").status_code == 200  # the visitor's cookie
        refused = visitor.post("/api/chat", json={"query": "Hi"})
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "model_busy", refused.text
        assert int(refused.headers["Retry-After"]) >= 1
    assert messages_of(model_server, app["id"]) == []  # five refusals, nothing stored


def test_a_refused_follow_up_leaves_the_conversation_as_it_was(
    model_server: LiveServer, admin: Api, app: dict[str, Any]
) -> None:
    with httpx.Client(base_url=model_server.url, timeout=120) as http:
        first = dify(http, app, "blocking")
        assert first.status_code == 200, first.text
    conversation = first.json()["conversation_id"]
    before = messages_of(model_server, app["id"])
    assert [r[1] for r in before] == ["user", "assistant"]

    with saturated(model_server, app), httpx.Client(base_url=model_server.url, timeout=120) as http:
        assert dify(http, app, "streaming", conversation).status_code == 429
    assert messages_of(model_server, app["id"]) == before

    with httpx.Client(base_url=model_server.url, timeout=120) as http:
        again = dify(http, app, "blocking", conversation)
        assert again.status_code == 200, again.text
        listed = http.get("/v1/messages", params={"user": "u1", "conversation_id": conversation},
                          headers={"Authorization": f"Bearer {app['key']}"}).json()["data"]  # fmt: skip
    # The follow-up answers the first answer: the refused question left no branch behind.
    assert [m["id"] for m in listed] == [first.json()["message_id"], again.json()["message_id"]]
    assert listed[1]["parent_message_id"] is not None
