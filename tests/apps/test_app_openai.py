"""A published app as an OpenAI model (`app-{slug}`), driven by the `openai` SDK with the app's key: blocking and
streaming, the client's history carried into the turn, and the answer stored for the owner; the app's own limits
shared by every channel and key, refused with 429 and Retry-After in each API's error shape."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import psycopg
import pytest

from tests.apps.helpers import make_app, published_agent
from tests.conftest import LiveServer
from tests.helpers import Api

SETTINGS = {"model_params": {"temperature": 0, "max_tokens": 16}, "system_prompt": "Answer in one short sentence."}


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def ws(admin: Api) -> str:
    return str(admin.create_workspace()["id"])


def app_with_key(admin: Api, ws: str, **settings: Any) -> dict[str, Any]:
    agent = published_agent(admin, ws, config=SETTINGS)
    made = make_app(admin, ws, agent_id=agent["id"], **settings)
    key = admin.post(f"/api/workspaces/{ws}/apps/{made['id']}/keys", json={"name": "sdk"}).json()["key"]
    return {**made, "key": key}


def sdk(server: LiveServer, key: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=f"{server.url}/v1", timeout=300, max_retries=0)


def conversation_of(server: LiveServer, app_id: str, user: str) -> list[tuple[str, str]]:
    with psycopg.connect(server.database_url) as conn:
        rows = conn.execute(
            "SELECT m.role, m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.app_id = %s AND c.end_user = %s ORDER BY m.created_at", (app_id, user),
        ).fetchall()  # fmt: skip
    return [(r[0], r[1]) for r in rows]


def test_the_app_answers_as_an_openai_model(model_server: LiveServer, admin: Api, ws: str) -> None:
    app = app_with_key(admin, ws, name="Leave helper")
    client = sdk(model_server, app["key"])
    model = f"app-{app['slug']}"
    assert [m.id for m in client.models.list()] == [model]  # the key sees its app, nothing else

    done = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "How many days of leave do I get?"}], user="carol"
    )
    text = done.choices[0].message.content or ""
    assert text.strip() and done.choices[0].finish_reason == "stop"
    assert done.usage is not None and done.usage.prompt_tokens > 0 and done.usage.completion_tokens > 0
    assert conversation_of(model_server, app["id"], "carol") == [
        ("user", "How many days of leave do I get?"),
        ("assistant", text),
    ]

    # Streaming: the same events a model streams, the usage chunk when asked for.
    history = [
        {"role": "system", "content": "ignored: the app has its own prompt"},
        {"role": "user", "content": "How many days of leave do I get?"},
        {"role": "assistant", "content": text},
        {"role": "user", "content": "And sick days?"},
    ]
    chunks = list(
        client.chat.completions.create(
            model=model, messages=history, stream=True, stream_options={"include_usage": True}, user="dave"
        )
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed.strip()
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    # The client's earlier turns were the model's context (more prompt than the question alone), and the answer is
    # stored for the owner as dave's.
    alone = client.chat.completions.create(model=model, messages=[history[-1]], user="erin", max_tokens=4)
    assert chunks[-1].usage.prompt_tokens > alone.usage.prompt_tokens  # type: ignore[union-attr]
    assert conversation_of(model_server, app["id"], "dave") == [("user", "And sick days?"), ("assistant", streamed)]


def test_an_app_key_reaches_its_own_app_model_only(model_server: LiveServer, admin: Api, ws: str) -> None:
    mine, other = app_with_key(admin, ws), app_with_key(admin, ws)
    client = sdk(model_server, mine["key"])
    hello = [{"role": "user", "content": "Hello"}]
    for model in (f"app-{other['slug']}", "smollm2-135m-instruct"):
        with pytest.raises(openai.NotFoundError) as refused:
            client.chat.completions.create(model=model, messages=hello)  # type: ignore[arg-type]
        assert refused.value.code == "model_not_found"
    with pytest.raises(openai.PermissionDeniedError):  # embeddings and the rest are not an app's
        client.embeddings.create(model="multilingual-e5-small", input="hello")
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(
            model=f"app-{mine['slug']}", messages=hello,
            tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        )  # fmt: skip
    assert bad.value.code == "unsupported_parameter"
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model=f"app-{mine['slug']}", messages=[{"role": "assistant", "content": "x"}])
    assert bad.value.code == "invalid_messages"

    # The channel closed: app_unavailable, from the next request on.
    r = admin.patch(f"/api/workspaces/{ws}/apps/{mine['id']}", json={"channels": {"openai": False}})
    assert r.status_code == 200, r.text
    with pytest.raises(openai.BadRequestError) as closed:
        client.chat.completions.create(model=f"app-{mine['slug']}", messages=hello)
    assert closed.value.code == "app_unavailable"


def test_the_apps_request_limit_holds_across_its_channels(model_server: LiveServer, admin: Api, ws: str) -> None:
    app = app_with_key(admin, ws, name="Limited")
    r = admin.patch(f"/api/workspaces/{ws}/apps/{app['id']}", json={"rate_limit_rpm": 2})
    assert r.status_code == 200 and r.json()["rate_limit_rpm"] == 2, r.text
    second_key = admin.post(f"/api/workspaces/{ws}/apps/{app['id']}/keys", json={"name": "two"}).json()["key"]
    short = {"model": f"app-{app['slug']}", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}
    dify = {"query": "Hi", "user": "u", "response_mode": "blocking"}
    with httpx.Client(base_url=model_server.url, timeout=300) as http:
        first = http.post("/v1/chat/completions", json=short, headers={"Authorization": f"Bearer {app['key']}"})
        assert first.status_code == 200, first.text
        second = http.post("/v1/chat-messages", json=dify, headers={"Authorization": f"Bearer {second_key}"})
        assert second.status_code == 200, second.text
        # A third request in the same minute, by either key and either channel, is over the app's limit.
        third = http.post("/v1/chat-messages", json=dify, headers={"Authorization": f"Bearer {app['key']}"})
        assert third.status_code == 429, third.text
        assert third.json()["code"] == "rate_limit_error" and third.json()["status"] == 429
        assert 1 <= int(third.headers["Retry-After"]) <= 120  # a sliding minute: up to two fixed ones
        fourth = http.post("/v1/chat/completions", json=short, headers={"Authorization": f"Bearer {second_key}"})
        assert fourth.status_code == 429 and int(fourth.headers["Retry-After"]) >= 1
        assert fourth.json()["error"]["type"] == "rate_limit_error"
    # Refused requests store nothing: the two answered turns are all the app has.
    with psycopg.connect(model_server.database_url) as conn:
        count = conn.execute("SELECT count(*) FROM conversations WHERE app_id = %s", (app["id"],)).fetchone()
    assert count is not None and count[0] == 2
