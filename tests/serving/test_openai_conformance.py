"""Every /v1 response, streamed chunks too, checked against OpenAI's published schema for it.

The schemas are OpenAI's own (fixtures/openai_schemas.json: the response components of openai/openai-openapi's
openapi.json, trimmed to required fields and types; its "source" names the commit, trim_openai_schemas.py remakes
it). Responses are read raw with httpx: the `openai` SDK fills in what is missing, strict clients refuse it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from hezi.serving.bundled import MINILM_NAME, SMOLLM2_NAME
from tests.conftest import LiveServer

SCHEMAS: dict[str, Any] = json.loads((Path(__file__).parent / "fixtures" / "openai_schemas.json").read_text())
DEFS: dict[str, Any] = SCHEMAS["$defs"]

# OpenAI's spec says a streamed completion chunk has the shape of a whole completion, where `finish_reason` is a
# required string; OpenAI's own stream (and every client) has it null until the last chunk, as for chat chunks.
# That one field is relaxed for streamed completions, and nothing else.
_chunk = copy.deepcopy(DEFS["CreateCompletionResponse"])
_reason = _chunk["properties"]["choices"]["items"]["properties"]["finish_reason"]
_chunk["properties"]["choices"]["items"]["properties"]["finish_reason"] = {"anyOf": [_reason, {"type": "null"}]}
DEFS = {**DEFS, "CreateCompletionStreamChunk": _chunk}

MODEL = SMOLLM2_NAME
ASK = [{"role": "user", "content": "Name three colours."}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
CITY = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["city", "population"],
}


def conforms(body: Any, schema: str) -> None:
    """Fails with every violation of OpenAI's `schema`, each at its JSON path."""
    validator = Draft202012Validator({"$defs": DEFS, "$ref": f"#/$defs/{schema}"})
    errors = sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors]
    assert not problems, f"not a {schema}: " + "; ".join(problems) + f"\n{json.dumps(body)[:2000]}"


@pytest.fixture(scope="module")
def v1(model_server: LiveServer) -> httpx.Client:
    admin = model_server.admin()
    key = admin.create_key(admin.default_workspace(), name="conformance")["key"]
    return httpx.Client(base_url=f"{model_server.url}/v1", headers={"Authorization": f"Bearer {key}"}, timeout=120)


def post(v1: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = v1.post(path, json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return dict(r.json())


def stream(v1: httpx.Client, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The chunks of a server-sent event stream, which must end with `data: [DONE]`."""
    with v1.stream("POST", path, json={**body, "stream": True}) as r:
        assert r.status_code == 200, r.read().decode()
        assert r.headers["content-type"].startswith("text/event-stream")
        data = [line[len("data: ") :] for line in r.iter_lines() if line.startswith("data: ")]
    assert data and data[-1] == "[DONE]", data[-3:]
    return [json.loads(d) for d in data[:-1]]


# --- /v1/chat/completions ------------------------------------------------------------------------------------------


def test_chat_completion(v1: httpx.Client) -> None:
    body = post(v1, "/chat/completions", {"model": MODEL, "messages": ASK, "max_tokens": 12, "temperature": 0})
    conforms(body, "CreateChatCompletionResponse")
    message = body["choices"][0]["message"]
    assert message["content"] and message["refusal"] is None
    assert message["annotations"] == []  # optional in the schema, but OpenAI sends it on every message


def test_chat_completion_with_a_tool_call(v1: httpx.Client) -> None:
    ask = [{"role": "user", "content": "What is the weather in Beijing?"}]
    body = post(v1, "/chat/completions", {"model": MODEL, "messages": ask, "tools": [WEATHER_TOOL],
                                          "tool_choice": "required", "max_tokens": 60, "temperature": 0})  # fmt: skip
    conforms(body, "CreateChatCompletionResponse")
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["tool_calls"], choice
    assert choice["message"]["content"] is None


def test_chat_completion_with_a_json_schema(v1: httpx.Client) -> None:
    body = post(v1, "/chat/completions", {
        "model": MODEL, "messages": [{"role": "user", "content": "Describe Paris as JSON."}], "max_tokens": 80,
        "temperature": 0, "response_format": {"type": "json_schema", "json_schema": {"name": "city", "schema": CITY}},
    })  # fmt: skip
    conforms(body, "CreateChatCompletionResponse")
    assert set(json.loads(body["choices"][0]["message"]["content"])) == {"city", "population"}


def test_chat_completion_chunks(v1: httpx.Client) -> None:
    chunks = stream(v1, "/chat/completions", {"model": MODEL, "messages": ASK, "max_tokens": 12, "temperature": 0})
    for chunk in chunks:
        conforms(chunk, "CreateChatCompletionStreamResponse")
    assert all(c["choices"] for c in chunks), "no usage-only chunk unless asked for"
    assert [c["choices"][0]["finish_reason"] for c in chunks][-1] in ("stop", "length")
    assert len({(c["id"], c["created"]) for c in chunks}) == 1  # every chunk has the same id and timestamp


def test_chat_completion_chunks_with_usage(v1: httpx.Client) -> None:
    chunks = stream(v1, "/chat/completions", {"model": MODEL, "messages": ASK, "max_tokens": 12, "temperature": 0,
                                              "stream_options": {"include_usage": True}})  # fmt: skip
    for chunk in chunks:
        conforms(chunk, "CreateChatCompletionStreamResponse")
    *text, last = chunks
    assert last["choices"] == [] and last["usage"]["completion_tokens"] > 0
    # "When present, it contains a null value except for the last chunk"
    assert all(c.get("usage") is None for c in text)


def test_chat_completion_chunks_with_a_tool_call(v1: httpx.Client) -> None:
    ask = [{"role": "user", "content": "What is the weather in Beijing?"}]
    body = {"model": MODEL, "messages": ask, "tools": [WEATHER_TOOL], "tool_choice": "required", "max_tokens": 60,
            "temperature": 0}  # fmt: skip
    chunks = stream(v1, "/chat/completions", body)
    for chunk in chunks:
        conforms(chunk, "CreateChatCompletionStreamResponse")
    calls = [tc for c in chunks for tc in c["choices"][0]["delta"].get("tool_calls") or []]
    assert calls and calls[0]["id"] and calls[0]["type"] == "function" and calls[0]["function"]["name"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


# --- /v1/completions ---------------------------------------------------------------------------------------------


def test_completion(v1: httpx.Client) -> None:
    body = post(v1, "/completions", {"model": MODEL, "prompt": "The capital of France is", "max_tokens": 8,
                                     "temperature": 0})  # fmt: skip
    conforms(body, "CreateCompletionResponse")


def test_completion_chunks(v1: httpx.Client) -> None:
    chunks = stream(v1, "/completions", {"model": MODEL, "prompt": "The capital of France is", "max_tokens": 8,
                                         "temperature": 0, "stream_options": {"include_usage": True}})  # fmt: skip
    for chunk in chunks:
        conforms(chunk, "CreateCompletionStreamChunk")
    *text, last = chunks
    assert text and text[-1]["choices"][0]["finish_reason"] in ("stop", "length")
    assert last["choices"] == [] and last["usage"]["completion_tokens"] > 0


# --- /v1/embeddings and /v1/models --------------------------------------------------------------------------------


def test_embeddings(v1: httpx.Client) -> None:
    for given in ("one sentence", ["a first sentence", "a second one"]):
        body = post(v1, "/embeddings", {"model": MINILM_NAME, "input": given})
        conforms(body, "CreateEmbeddingResponse")
        assert [d["index"] for d in body["data"]] == list(range(1 if isinstance(given, str) else 2))


def test_models(v1: httpx.Client) -> None:
    r = v1.get("/models")
    assert r.status_code == 200, r.text
    conforms(r.json(), "ListModelsResponse")
    assert {MODEL, MINILM_NAME} <= {m["id"] for m in r.json()["data"]}
