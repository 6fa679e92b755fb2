"""OpenAI's wire format: the model client's events and results as completions, chunks and server-sent events.

Field for field as OpenAI's published schema requires (CreateChatCompletionResponse and friends): strict clients
validate responses, so required-but-nullable fields such as `message.refusal` are always present.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi.responses import JSONResponse, Response, StreamingResponse

from hezi.api.errors import status_of
from hezi.api.shapes import OPENAI
from hezi.errors import DomainError
from hezi.serving.client import ChatStream, ModelInfo
from hezi.serving.events import ChatEvent, ChatResult, Finished, Started, TextDelta, ToolCall
from hezi.serving.openai_schemas import ChatCompletionRequest, CompletionRequest


def sse(payload: dict[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"data: {data}\n\n".encode()


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def model_list(models: list[ModelInfo]) -> dict[str, Any]:
    data = [{"id": m.name, "object": "model", "created": 0, "owned_by": m.owned_by, "kind": m.kind} for m in models]
    return {"object": "list", "data": data}


def chat_completion(result: ChatResult, *, cid: str, created: int, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": None if result.tool_calls else result.text,
        "refusal": None,
        "annotations": [],
    }
    if result.tool_calls:
        message["tool_calls"] = [c.openai() for c in result.tool_calls]
    return {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": result.finish_reason}],
        "usage": result.usage.openai(),
    }


def text_completion(result: ChatResult, *, cid: str, created: int, model: str, prefix: str = "") -> dict[str, Any]:
    return {
        "id": cid,
        "object": "text_completion",
        "created": created,
        "model": model,
        "choices": [
            {"index": 0, "text": prefix + result.text, "logprobs": None, "finish_reason": result.finish_reason}
        ],
        "usage": result.usage.openai(),
    }


Frame = Callable[[ChatEvent], dict[str, Any] | None]  # an event → one choice of a chunk, or nothing


def _chat_choice(event: ChatEvent) -> dict[str, Any] | None:
    delta: dict[str, Any]
    finish = None
    if isinstance(event, TextDelta):
        delta = {"content": event.text}
    elif isinstance(event, Started):
        delta = {"role": "assistant", "content": ""}
    elif isinstance(event, ToolCall):
        delta = {"tool_calls": [{"index": event.index, **event.openai()}]}
    else:
        delta, finish = {}, event.finish_reason
    return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}


def _text_choice(event: ChatEvent) -> dict[str, Any] | None:
    if isinstance(event, TextDelta):
        return {"index": 0, "text": event.text, "logprobs": None, "finish_reason": None}
    if isinstance(event, Finished):
        return {"index": 0, "text": "", "logprobs": None, "finish_reason": event.finish_reason}
    return None


async def _chunks(
    stream: ChatStream, choice: Frame, obj: str, *, cid: str, model: str, include_usage: bool
) -> AsyncIterator[bytes]:
    """The one streaming driver: each event as a chunk, the optional usage chunk, [DONE]; an error mid-stream
    as OpenAI's error object (the status line has gone out already)."""
    created = int(time.time())
    try:
        async for event in stream:
            if (c := choice(event)) is not None:
                yield sse({"id": cid, "object": obj, "created": created, "model": model, "choices": [c]})
            if isinstance(event, Finished):
                if include_usage:
                    usage = event.usage.openai()
                    yield sse({"id": cid, "object": obj, "created": created, "model": model, "choices": [],
                               "usage": usage})  # fmt: skip
                yield sse("[DONE]")
    except DomainError as exc:
        yield OPENAI.sse_event(status_of(exc), exc.code, exc.message)
    finally:
        await stream.aclose()  # a client that went away frees the model's slot now


def event_stream(chunks: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(chunks, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


async def answer(stream: ChatStream, body: ChatCompletionRequest | CompletionRequest) -> Response:
    """The answer as OpenAI sends it: chunks as server-sent events (`stream`), or one chat or text completion."""
    chat = isinstance(body, ChatCompletionRequest)
    cid = new_id("chatcmpl" if chat else "cmpl")
    if body.stream:
        choice, obj = (_chat_choice, "chat.completion.chunk") if chat else (_text_choice, "text_completion")
        usage = bool(body.stream_options and body.stream_options.include_usage)
        return event_stream(_chunks(stream, choice, obj, cid=cid, model=body.model, include_usage=usage))
    result = await stream.collect()
    created = int(time.time())
    if isinstance(body, ChatCompletionRequest):
        return JSONResponse(chat_completion(result, cid=cid, created=created, model=body.model))
    prefix = body.text if body.echo else ""  # `echo` puts the prompt before the text
    return JSONResponse(text_completion(result, cid=cid, created=created, model=body.model, prefix=prefix))
