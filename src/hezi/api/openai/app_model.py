"""A published app as an OpenAI model: `app-{slug}` on /v1/chat/completions, called with that app's key.

OpenAI's clients send the whole conversation with every request and keep none on the server: the last message is
the question, the user and assistant messages before it are the turn's history (stored with the answer as a new
conversation of the app, so the owner's logs see it). The app answers with its agent's own prompt, tools and
knowledge: the client's system messages and tools are not the app's to change (a request with `tools` is refused,
not silently ignored). `user` names the end user (as Dify's `user` does), `inputs` fills the agent's input form.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi.responses import JSONResponse, Response

from hezi.accounts.principal import Caller
from hezi.api.errors import status_of
from hezi.api.openai import wire
from hezi.api.shapes import OPENAI
from hezi.apps import admission, gate
from hezi.db.tables import App
from hezi.errors import DomainError, InvalidInput, TooManyRequests
from hezi.services import Services
from hezi.serving.errors import ModelNotFound
from hezi.serving.openai_schemas import ChatCompletionRequest, Message
from hezi.serving.usage import Attribution

PREFIX = "app-"
END_USER = "openai"  # the end user of requests that name none


def model_name(app: App) -> str:
    return f"{PREFIX}{app.slug}"


async def the_app(services: Services, caller: Caller) -> App:
    """The key's app, if it is enabled and its OpenAI channel is open."""
    async with services.sessionmaker() as db:
        return await gate.open_app(db, caller.principal.app_id, "openai")


def model_list(app: App) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": model_name(app), "object": "model", "created": 0,
                                        "owned_by": "hezi-app", "kind": "app"}]}  # fmt: skip


def _text(m: Message) -> str:
    if isinstance(m.content, str):
        return m.content
    parts = m.content or []
    return "".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


def split(messages: list[Message]) -> tuple[str, list[dict[str, Any]]]:
    """The question (the last message, a user's) and the user and assistant turns before it."""
    last = messages[-1]
    question = _text(last).strip()
    if last.role != "user" or not question:
        raise InvalidInput(
            "The last message must be the user's question, with text.", code="invalid_messages",
            details={"param": "messages"},
        )  # fmt: skip
    earlier = [{"role": m.role, "content": _text(m)} for m in messages[:-1] if m.role in ("user", "assistant")]
    return question, [m for m in earlier if m["content"]]


def _extras(body: ChatCompletionRequest) -> tuple[str, dict[str, Any]]:
    extra = body.model_extra or {}
    user, inputs = extra.get("user") or END_USER, extra.get("inputs") or {}
    if not isinstance(user, str) or len(user) > 255:
        raise InvalidInput("'user' must be a string of at most 255 characters.", details={"param": "user"})
    if not isinstance(inputs, dict):
        raise InvalidInput("'inputs' must be an object: the agent's input form.", details={"param": "inputs"})
    return user, inputs


async def answer(services: Services, caller: Caller, body: ChatCompletionRequest) -> Response:
    app = await the_app(services, caller)
    if body.model != model_name(app):
        raise ModelNotFound(f"This key serves the model '{model_name(app)}' only, not '{body.model}'.")
    if body.tools:
        raise InvalidInput(
            "An app answers with its agent's own tools; 'tools' cannot be sent to it.", code="unsupported_parameter",
            details={"param": "tools"},
        )  # fmt: skip
    question, history = split(body.messages)
    user, inputs = _extras(body)
    await gate.admit(services.limiter, app)
    p = caller.principal
    turn = await services.chat.ask_app(gate.end_user(app, user, p.user_id), question, inputs, None)
    turn.history = history  # the client's conversation so far (ask_app found none stored: it is a new one)
    who = Attribution(
        workspace_id=app.workspace_id, user_id=p.user_id, api_key_id=p.api_key_id, app_id=app.id,
        conversation_id=turn.conversation.id, token_limited=gate.token_limited(app, p.limits),
    )  # fmt: skip
    events = await admission.started(services.sessionmaker, turn, services.chat.run(turn, who), new_conversation=True)
    cid, created = wire.new_id("chatcmpl"), int(time.time())
    if body.stream:
        usage = bool(body.stream_options and body.stream_options.include_usage)
        return wire.event_stream(_chunks(events, cid, created, body.model, include_usage=usage))
    text, message, error = [], None, None
    async for event in events:
        if event["event"] == "text":
            text.append(event["text"])
        elif event["event"] == "error":
            error = event
        elif event["event"] == "end":
            message = event["message"]
    if error is not None:
        raise _failure(error)
    result = {
        "id": cid, "object": "chat.completion", "created": created, "model": body.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(text), "refusal": None,
                                             "annotations": []}, "logprobs": None, "finish_reason": "stop"}],
        "usage": _usage(message),
    }  # fmt: skip
    return JSONResponse(result)


def _usage(message: dict[str, Any] | None) -> dict[str, int]:
    u = (message or {}).get("usage") or {}
    prompt, completion = int(u.get("prompt_tokens") or 0), int(u.get("completion_tokens") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _failure(event: dict[str, Any]) -> DomainError:
    code, message = str(event.get("code") or "error"), str(event.get("message") or "The answer failed.")
    if code in ("model_busy", "rate_limited"):
        return TooManyRequests(message, retry_after=1, code=code)
    return InvalidInput(message, code=code)


async def _chunks(
    events: AsyncIterator[dict[str, Any]], cid: str, created: int, model: str, *, include_usage: bool
) -> AsyncIterator[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return wire.sse({"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                         "choices": [choice]})  # fmt: skip

    yield chunk({"role": "assistant", "content": ""})
    failed = False
    async for event in events:  # to its end even after an error: the turn is stored when it ends
        kind = event["event"]
        if kind == "text":
            yield chunk({"content": event["text"]})
        elif kind == "error":
            failed, failure = True, _failure(event)
            yield OPENAI.sse_event(status_of(failure), failure.code, failure.message)
        elif kind == "end" and not failed:
            yield chunk({}, "stop")
            if include_usage:
                yield wire.sse({"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                                "choices": [], "usage": _usage(event["message"])})  # fmt: skip
            yield wire.sse("[DONE]")
