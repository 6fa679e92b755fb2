"""More of Dify's service API for an app: completion messages (typed client, blocking and streaming), a
conversation's variables (the agent's input form as the conversation filled it: listed, changed, checked), and the
pings that keep a quiet stream alive — and end the turn when the client leaves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from dify_client import Client, models

from hezi.api.dify.app_wire import with_pings
from tests.apps.helpers import make_app, published_agent
from tests.conftest import LiveServer

FORM = [
    {"select": {"variable": "lang", "label": "Language", "required": True, "options": ["en", "zh"]}},
    {"text-input": {"variable": "name", "label": "Your name", "max_length": 20}},
]
SETTINGS = {"model_params": {"temperature": 0, "max_tokens": 12}, "user_input_form": FORM,
            "system_prompt": "Answer {{name}} in one short sentence, in {{lang}}."}  # fmt: skip


@pytest.fixture(scope="module")
def app(model_server: LiveServer) -> dict[str, Any]:
    admin = model_server.admin()
    ws = str(admin.create_workspace()["id"])
    made = make_app(admin, ws, agent_id=published_agent(admin, ws, config=SETTINGS)["id"])
    key = admin.post(f"/api/workspaces/{ws}/apps/{made['id']}/keys", json={"name": "k"}).json()["key"]
    return {**made, "key": key}


def test_completion_messages_answer_once_as_dify_does(model_server: LiveServer, app: dict[str, Any]) -> None:
    dify = Client(api_key=app["key"], api_base=f"{model_server.url}/v1")
    inputs = {"query": "What is a holiday?", "lang": "en", "name": "Ann"}
    done = dify.completion_messages(
        models.CompletionRequest(inputs=inputs, response_mode=models.ResponseMode.BLOCKING, user="ann"), timeout=300
    )
    assert isinstance(done, models.CompletionResponse)
    assert done.mode == "completion" and done.answer.strip() and done.metadata.usage.total_tokens > 0

    events = list(
        dify.completion_messages(
            models.CompletionRequest(inputs=inputs, response_mode=models.ResponseMode.STREAMING, user="ann"),
            timeout=300,
        )
    )
    assert [e.event for e in events][-1] == "message_end"
    assert "".join(getattr(e, "answer", "") or "" for e in events).strip()

    with httpx.Client(base_url=model_server.url, timeout=60) as http:
        auth = {"Authorization": f"Bearer {app['key']}"}
        missing = http.post("/v1/completion-messages", json={"inputs": {"lang": "en"}, "user": "ann"}, headers=auth)
        assert missing.status_code == 400 and missing.json()["code"] == "invalid_param"
        wrong = http.post("/v1/completion-messages", json={"inputs": {**inputs, "lang": "fr"}, "user": "ann"},
                          headers=auth)  # fmt: skip
        assert wrong.status_code == 400, wrong.text


def test_a_conversations_variables_are_its_form_values(model_server: LiveServer, app: dict[str, Any]) -> None:
    auth = {"Authorization": f"Bearer {app['key']}"}
    with httpx.Client(base_url=model_server.url, timeout=300, headers=auth) as http:
        first = http.post("/v1/chat-messages", json={"query": "Hi", "user": "bo", "response_mode": "blocking",
                                                     "inputs": {"lang": "en", "name": "Bo"}})  # fmt: skip
        assert first.status_code == 200, first.text
        conv = first.json()["conversation_id"]
        listed = http.get(f"/v1/conversations/{conv}/variables", params={"user": "bo"}).json()
        assert [(v["name"], v["value"], v["value_type"]) for v in listed["data"]] == [
            ("lang", "en", "string"),
            ("name", "Bo", "string"),
        ]
        assert listed["has_more"] is False and listed["data"][0]["description"] == "Language"
        lang = listed["data"][0]["id"]
        one = http.get(f"/v1/conversations/{conv}/variables", params={"user": "bo", "variable_name": "name"})
        assert [v["name"] for v in one.json()["data"]] == ["name"]

        changed = http.put(f"/v1/conversations/{conv}/variables/{lang}", json={"value": "zh", "user": "bo"})
        assert changed.status_code == 200 and changed.json()["value"] == "zh", changed.text
        again = http.get(f"/v1/conversations/{conv}/variables", params={"user": "bo"}).json()["data"]
        assert again[0]["id"] == lang and again[0]["value"] == "zh"  # the same variable, its new value
        listed_conv = http.get("/v1/conversations", params={"user": "bo"}).json()["data"][0]
        assert listed_conv["inputs"]["lang"] == "zh"  # the conversation's inputs are what later turns use

        bad = http.put(f"/v1/conversations/{conv}/variables/{lang}", json={"value": "fr", "user": "bo"})
        assert bad.status_code == 400 and "Language" in bad.json()["message"], bad.text
        unknown = http.put(f"/v1/conversations/{conv}/variables/{conv}", json={"value": "x", "user": "bo"})
        assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"  # as Dify says it
        stranger = http.get(f"/v1/conversations/{conv}/variables", params={"user": "eve"})
        assert stranger.status_code == 404 and stranger.json()["code"] == "conversation_not_exists"


@pytest.mark.asyncio
async def test_a_quiet_stream_is_kept_alive_with_pings() -> None:
    more = asyncio.Event()

    async def turn() -> AsyncIterator[dict[str, Any]]:
        yield {"event": "start"}
        await more.wait()  # a long tool call: nothing to say until it ends
        yield {"event": "end"}

    seen: list[dict[str, Any] | None] = []
    async for event in with_pings(turn(), every=0.01):
        seen.append(event)
        if event is None:
            more.set()  # a ping went out while the turn was quiet: let it go on
    assert seen[0] == {"event": "start"} and seen[-1] == {"event": "end"} and None in seen


@pytest.mark.asyncio
async def test_a_client_that_leaves_during_a_quiet_stream_ends_the_turn() -> None:
    ended = asyncio.Event()

    async def turn() -> AsyncIterator[dict[str, Any]]:
        try:
            yield {"event": "start"}
            await asyncio.Event().wait()  # never answers
            yield {"event": "end"}
        finally:
            ended.set()  # where the chat service stores the turn

    stream = with_pings(turn(), every=0.01)
    assert await anext(stream) == {"event": "start"}
    assert await anext(stream) is None
    await stream.aclose()  # the client went away
    await asyncio.wait_for(ended.wait(), timeout=10)
