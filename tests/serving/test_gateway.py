"""The OpenAI-compatible gateway, driven by the official `openai` SDK against the real bundled model."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from hezi.serving.bundled import SMOLLM2_NAME
from tests.conftest import LiveServer

MODEL = SMOLLM2_NAME
ASK = [{"role": "user", "content": "Name three colours."}]


@pytest.fixture(scope="module")
def key(model_server: LiveServer) -> dict[str, Any]:
    admin = model_server.admin()
    return admin.create_key(admin.default_workspace(), name="gateway tests")


@pytest.fixture(scope="module")
def client(model_server: LiveServer, key: dict[str, Any]) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{model_server.url}/v1", api_key=key["key"], max_retries=0, timeout=120)


def test_models_lists_the_bundled_chat_model(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list().data]
    assert MODEL in ids


def test_chat_completion(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(model=MODEL, messages=ASK, max_tokens=24, temperature=0)
    choice = r.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content and choice.message.content.strip()
    assert choice.finish_reason in ("stop", "length")
    assert r.usage is not None and r.usage.prompt_tokens > 5
    assert 0 < r.usage.completion_tokens <= 24
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_streaming_matches_non_streaming_and_reports_usage(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model=MODEL, messages=ASK, max_tokens=20, temperature=0)
    stream = client.chat.completions.create(
        model=MODEL,
        messages=ASK,
        max_tokens=20,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [whole.choices[0].finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens  # type: ignore[union-attr]


def test_max_tokens_stop_and_seed(client: openai.OpenAI) -> None:
    capped = client.chat.completions.create(model=MODEL, messages=ASK, max_tokens=5, temperature=0)
    assert capped.choices[0].finish_reason == "length" and capped.usage.completion_tokens == 5  # type: ignore[union-attr]

    long = client.chat.completions.create(model=MODEL, messages=ASK, max_tokens=60, temperature=0)
    text = long.choices[0].message.content or ""
    word = next(w for w in text.split() if len(w) > 3)
    stopped = client.chat.completions.create(model=MODEL, messages=ASK, max_tokens=60, temperature=0, stop=[word])
    assert word not in (stopped.choices[0].message.content or "")
    assert stopped.choices[0].finish_reason == "stop"

    poem = [{"role": "user", "content": "Write a short poem about the sea."}]
    a, b, c = (
        client.chat.completions.create(model=MODEL, messages=poem, max_tokens=30, temperature=1.0, seed=s)
        for s in (7, 7, 8)
    )
    assert a.choices[0].message.content == b.choices[0].message.content
    assert a.choices[0].message.content != c.choices[0].message.content


def test_json_schema_is_enforced_even_on_a_tiny_model(client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["city", "population"],
        "additionalProperties": False,
    }
    r = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Describe Paris as JSON."}],
        max_tokens=80,
        temperature=0,
        response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": schema}},
    )
    data = json.loads(r.choices[0].message.content or "")
    assert set(data) == {"city", "population"}
    assert isinstance(data["city"], str) and isinstance(data["population"], int)


def test_json_object_mode(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(
        model=MODEL,
        messages=[
            {
                "role": "user",
                "content": 'Reply with a JSON object with the keys "name" and "colour" for a black cat called Tom.',
            }
        ],
        max_tokens=100,
        temperature=0,
        response_format={"type": "json_object"},
    )
    assert isinstance(json.loads(r.choices[0].message.content or ""), dict)


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city"],
        },
    },
}


def test_tool_calls_in_openai_shape(client: openai.OpenAI) -> None:
    ask = [{"role": "user", "content": "What is the weather in Beijing?"}]
    r = client.chat.completions.create(
        model=MODEL, messages=ask, tools=[WEATHER_TOOL], tool_choice="required", max_tokens=60, temperature=0
    )
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]  # type: ignore[index]
    assert call.type == "function" and call.function.name == "get_weather" and call.id.startswith("call_")
    args = json.loads(call.function.arguments)
    assert isinstance(args["city"], str)

    stream = client.chat.completions.create(
        model=MODEL, messages=ask, tools=[WEATHER_TOOL], tool_choice="required", max_tokens=60, temperature=0,
        stream=True,
    )  # fmt: skip
    chunks = list(stream)
    calls = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert [tc.function.name for tc in calls] == ["get_weather"]  # type: ignore[union-attr]
    assert json.loads(calls[0].function.arguments) == args  # type: ignore[union-attr, arg-type]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"

    # The tool's answer goes back in, and the model replies in words.
    follow = client.chat.completions.create(
        model=MODEL,
        messages=[
            *ask,
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21, "sky": "clear"}'},
        ],
        max_tokens=30,
        temperature=0,
    )
    assert follow.choices[0].message.content


def test_text_completions(client: openai.OpenAI) -> None:
    r = client.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=8, temperature=0)
    assert r.choices[0].text and r.usage.completion_tokens <= 8  # type: ignore[union-attr]
    streamed = "".join(
        c.choices[0].text
        for c in client.completions.create(
            model=MODEL, prompt="The capital of France is", max_tokens=8, temperature=0, stream=True
        )
        if c.choices
    )
    assert streamed == r.choices[0].text


def test_errors_in_openai_shape(client: openai.OpenAI, model_server: LiveServer, key: dict[str, Any]) -> None:
    with pytest.raises(openai.NotFoundError) as nf:
        client.chat.completions.create(model="no-such-model", messages=ASK)
    assert nf.value.code == "model_not_found"

    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=MODEL, messages=[{"role": "wizard", "content": "hi"}])  # type: ignore[list-item]
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=MODEL, messages=[])
    with pytest.raises(openai.BadRequestError) as n2:
        client.chat.completions.create(model=MODEL, messages=ASK, n=2)
    assert "n must be 1" in str(n2.value)

    huge = "word " * 5000
    with pytest.raises(openai.BadRequestError) as ctx:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": huge}])
    assert ctx.value.code == "context_length_exceeded"
    body = ctx.value.body
    assert isinstance(body, dict) and body["details"]["prompt_tokens"] > body["details"]["context_length"] == 2048

    with pytest.raises(openai.BadRequestError) as bad_schema:
        client.chat.completions.create(
            model=MODEL, messages=ASK,
            response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "no-such-type"}}},
        )  # fmt: skip
    assert bad_schema.value.code == "invalid_json_schema"

    # Raw HTTP: malformed JSON and a missing key get OpenAI-shaped errors too.
    r = httpx.post(f"{model_server.url}/v1/chat/completions", content=b"{", headers={
        "Authorization": f"Bearer {key['key']}", "Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    r = httpx.get(f"{model_server.url}/v1/models")
    assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"


def test_a_key_without_the_api_scope_is_refused(model_server: LiveServer) -> None:
    admin = model_server.admin()
    datasets_only = admin.create_key(admin.default_workspace(), scopes=["datasets"])
    c = openai.OpenAI(base_url=f"{model_server.url}/v1", api_key=datasets_only["key"], max_retries=0)
    with pytest.raises(openai.PermissionDeniedError):
        c.models.list()
