"""The in-process model client, called directly (no HTTP in front of it): local workers and a remote provider,
streaming and not, tool calls, and the usage row attributed to whom the call was made for."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from hezi.egress import parse_cidrs
from hezi.services import Services
from hezi.serving.bundled import MINILM_NAME, SMOLLM2_NAME
from hezi.serving.client import ChatStream, ModelClient
from hezi.serving.events import ChatEvent, Finished, Started, TextDelta, ToolCall
from hezi.serving.openai_schemas import ChatCompletionRequest
from hezi.serving.usage import Attribution
from tests.conftest import LiveServer
from tests.helpers import Api
from tests.serving.providers import add_self_provider

CALCULATOR = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Evaluate an arithmetic expression.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string", "maxLength": 40}},
            "required": ["expression"],
        },
    },
}


@pytest.fixture(scope="module")
def services(model_server: LiveServer) -> Services:
    s: Services = model_server.app.state.services
    return s


@pytest.fixture(scope="module")
def workspace(model_server: LiveServer) -> uuid.UUID:
    return uuid.UUID(model_server.admin().create_workspace()["id"])


@pytest.fixture
def remote_model(model_server: LiveServer, services: Services, workspace: uuid.UUID) -> Iterator[str]:
    """hezi's own /v1 on loopback registered as the workspace's provider "self" (loopback allowed for the test)."""
    admin = model_server.admin()
    saved, services.egress.allowed = services.egress.allowed, parse_cidrs("127.0.0.0/8")
    r, _ = add_self_provider(admin, model_server.url, str(workspace))
    yield f"self/{SMOLLM2_NAME}"
    admin.delete(f"/api/workspaces/{workspace}/providers/{r.json()['id']}")
    services.egress.allowed = saved


def _request(model: str, **fields: Any) -> ChatCompletionRequest:
    return ChatCompletionRequest.model_validate(
        {"model": model, "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 8, **fields}
    )


async def _read(
    models: ModelClient, request: ChatCompletionRequest, who: Attribution
) -> tuple[list[ChatEvent], ChatStream]:
    stream = await models.stream(request, who)
    return [e async for e in stream], stream


def _usage_rows(server: LiveServer, run_id: uuid.UUID) -> list[tuple[Any, ...]]:
    with psycopg.connect(server.database_url) as conn:
        return conn.execute(
            "SELECT workspace_id, user_id, api_key_id, app_id, conversation_id, model, endpoint, prompt_tokens,"
            " completion_tokens, status FROM usage_records WHERE run_id = %s",
            (run_id,),
        ).fetchall()


def _wait_for_usage(server: LiveServer, services: Services, run_id: uuid.UUID, count: int) -> list[tuple[Any, ...]]:
    server.run(services.meter.flush())  # the writer runs off the request path; wait until it has written
    deadline = time.monotonic() + 10
    while (rows := _usage_rows(server, run_id)) and len(rows) < count and time.monotonic() < deadline:
        server.run(services.meter.flush())
    return rows


def _who(workspace: uuid.UUID) -> Attribution:
    return Attribution(workspace, app_id=uuid.uuid4(), conversation_id=uuid.uuid4(), run_id=uuid.uuid4())


@pytest.mark.parametrize("where", ["local", "remote"])
def test_stream_and_chat_give_the_same_events_and_meter_once_each(
    model_server: LiveServer, services: Services, workspace: uuid.UUID, where: str, request: pytest.FixtureRequest
) -> None:
    model = request.getfixturevalue("remote_model") if where == "remote" else SMOLLM2_NAME
    who = _who(workspace)
    events, stream = model_server.run(_read(services.models, _request(model), who))
    assert isinstance(events[0], Started) and isinstance(events[-1], Finished)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text and stream.result.text == text
    assert stream.result.finish_reason in ("stop", "length")
    assert stream.result.usage.completion_tokens > 0 and stream.result.usage.prompt_tokens > 0
    assert stream.result.ttft_ms is not None and stream.result.latency_ms >= stream.result.ttft_ms

    whole = model_server.run(services.models.chat(_request(model, temperature=0), who))
    assert whole.text and whole.usage.completion_tokens > 0 and whole.finish_reason in ("stop", "length")

    rows = _wait_for_usage(model_server, services, who.run_id, 2)  # type: ignore[arg-type]
    assert len(rows) == 2, rows
    for ws, user, key, app, conversation, row_model, endpoint, prompt, completion, status in rows:
        assert (ws, user, key, app, conversation) == (workspace, None, None, who.app_id, who.conversation_id)
        assert (row_model, endpoint, status) == (model, "chat", "ok")
        assert prompt > 0 and completion > 0


@pytest.mark.parametrize("where", ["local", "remote"])
def test_a_forced_tool_call_comes_back_as_a_tool_call_event(
    model_server: LiveServer, services: Services, workspace: uuid.UUID, where: str, request: pytest.FixtureRequest
) -> None:
    model = request.getfixturevalue("remote_model") if where == "remote" else SMOLLM2_NAME
    chat = _request(
        model, messages=[{"role": "user", "content": "What is 12 * 7?"}], tools=[CALCULATOR],
        tool_choice="required", max_tokens=200, temperature=0,
    )  # fmt: skip
    who = _who(workspace)
    events, stream = model_server.run(_read(services.models, chat, who))
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert calls and calls[0].name == "calculator" and calls[0].id, events
    assert isinstance(calls[0].parsed_arguments()["expression"], str)
    assert not any(isinstance(e, TextDelta) for e in events), "a tool call's JSON is not streamed as text"
    assert stream.result.finish_reason == "tool_calls" and stream.result.tool_calls == calls
    whole = model_server.run(services.models.chat(chat, who))
    assert whole.tool_calls and whole.tool_calls[0].name == "calculator" and whole.finish_reason == "tool_calls"
    rows = _wait_for_usage(model_server, services, who.run_id, 2)  # type: ignore[arg-type]
    assert len(rows) == 2 and all(r[-1] == "ok" for r in rows)


def test_closing_a_stream_early_meters_it_as_cancelled(
    model_server: LiveServer, services: Services, workspace: uuid.UUID
) -> None:
    who = _who(workspace)

    async def first_token_then_close() -> str:
        stream = await services.models.stream(_request(SMOLLM2_NAME, max_tokens=200), who)
        async for event in stream:
            if isinstance(event, TextDelta):
                break
        await stream.aclose()
        return stream.result.text

    assert model_server.run(first_token_then_close())
    rows = _wait_for_usage(model_server, services, who.run_id, 1)  # type: ignore[arg-type]
    assert [r[-1] for r in rows] == ["cancelled"]
    assert rows[0][8] < 200


def test_embeddings_local_and_remote_are_metered(
    model_server: LiveServer, services: Services, workspace: uuid.UUID, remote_model: str
) -> None:
    who = _who(workspace)
    local = model_server.run(services.models.embed(MINILM_NAME, ["a box", "盒子"], who))
    remote = model_server.run(services.models.embed(f"self/{MINILM_NAME}", ["a box", "盒子"], who))
    assert len(local.vectors) == len(remote.vectors) == 2 and len(local.vectors[0]) == 384
    assert local.prompt_tokens > 0 and remote.prompt_tokens == local.prompt_tokens
    assert max(abs(a - b) for a, b in zip(local.vectors[1], remote.vectors[1], strict=True)) < 1e-4
    rows = _wait_for_usage(model_server, services, who.run_id, 2)  # type: ignore[arg-type]
    assert sorted(r[5] for r in rows) == sorted([MINILM_NAME, f"self/{MINILM_NAME}"])
    assert all(r[6] == "embedding" and r[-1] == "ok" for r in rows)


def test_unknown_models_are_refused_before_any_event(
    model_server: LiveServer, services: Services, workspace: uuid.UUID
) -> None:
    from hezi.serving.errors import ModelNotFound

    with pytest.raises(ModelNotFound):
        model_server.run(services.models.stream(_request("no-such-model"), _who(workspace)))
    names = [m.name for m in model_server.run(services.models.models(workspace))]
    assert SMOLLM2_NAME in names and MINILM_NAME in names


def test_the_openai_route_is_one_more_caller(model_server: LiveServer, workspace: uuid.UUID) -> None:
    """The HTTP route meters through the same client: its row names the key that called."""
    admin: Api = model_server.admin()
    key = admin.create_key(str(workspace), name="route")
    r = model_server.api().post(
        "/v1/chat/completions", json=_request(SMOLLM2_NAME).model_dump(exclude_none=True),
        headers={"Authorization": f"Bearer {key['key']}"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    message = r.json()["choices"][0]["message"]
    assert message["refusal"] is None and message["content"]
    services: Services = model_server.app.state.services
    model_server.run(services.meter.flush())
    with psycopg.connect(model_server.database_url) as conn:
        rows = conn.execute(
            "SELECT workspace_id, endpoint, completion_tokens, status FROM usage_records WHERE api_key_id = %s",
            (key["id"],),
        ).fetchall()
    assert len(rows) == 1 and rows[0][:2] == (workspace, "chat") and rows[0][2] > 0 and rows[0][3] == "ok"


def test_tokens_a_key_spends_count_against_its_daily_limit(model_server: LiveServer, workspace: uuid.UUID) -> None:
    """The meter charges each finished call's tokens to its key: once over the day's quota, the key gets 429."""
    admin: Api = model_server.admin()
    key = admin.create_key(str(workspace), name="quota", token_limit_per_day=30)
    headers = {"Authorization": f"Bearer {key['key']}"}
    body = _request(SMOLLM2_NAME, max_tokens=40).model_dump(exclude_none=True)
    first = model_server.api().post("/v1/chat/completions", json=body, headers=headers)
    assert first.status_code == 200, first.text
    spent = first.json()["usage"]["total_tokens"]
    assert spent > 30
    services: Services = model_server.app.state.services
    model_server.run(services.meter.flush())  # the charge is written with the usage row
    refused = model_server.api().post("/v1/chat/completions", json=body, headers=headers)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "rate_limited"
