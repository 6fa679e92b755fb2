"""OpenAI's wire format: turning the gateway's events into completions, chunks and server-sent events."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from hezi.api.errors import openai_body
from hezi.errors import DomainError, Unavailable
from hezi.serving.llamacpp.chat import parse_tool_calls


@dataclass
class Outcome:
    """What a finished generation amounted to, for the response and for metering."""

    text: str = ""
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ttft_ms: int | None = None
    error: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def latency_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }


def sse(payload: dict[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"data: {data}\n\n".encode()


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


async def collect(events: AsyncIterator[dict[str, Any]], outcome: Outcome) -> Outcome:
    """Read a whole generation (non-streaming responses)."""
    tool_names: list[str] = []
    parts: list[str] = []
    try:
        async for event in events:
            kind = event["type"]
            if kind == "start":
                outcome.prompt_tokens = event["prompt_tokens"]
                tool_names = event.get("tool_names") or []
            elif kind == "token":
                if outcome.ttft_ms is None:
                    outcome.ttft_ms = outcome.latency_ms
                parts.append(event["text"])
            elif kind == "done":
                outcome.finish_reason = event["finish_reason"]
                outcome.completion_tokens = event["usage"]["completion_tokens"]
            elif kind == "error":
                outcome.error = event["code"]
                raise _WorkerError(event["code"], event["message"])
    finally:
        await _close(events)
    outcome.text = "".join(parts)
    if tool_names:
        outcome.tool_calls = parse_tool_calls(outcome.text, tool_names)
        if outcome.tool_calls:
            outcome.finish_reason = "tool_calls"
    return outcome


class _WorkerError(Unavailable):
    """An error the worker reported after it had accepted the request."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


def chat_completion(outcome: Outcome, *, cid: str, created: int, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": None if outcome.tool_calls else outcome.text}
    if outcome.tool_calls:
        message["tool_calls"] = [{k: v for k, v in c.items() if k != "index"} for c in outcome.tool_calls]
    return {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": outcome.finish_reason}],
        "usage": outcome.usage(),
    }


def text_completion(outcome: Outcome, *, cid: str, created: int, model: str, prefix: str = "") -> dict[str, Any]:
    return {
        "id": cid,
        "object": "text_completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "text": prefix + outcome.text,
                "logprobs": None,
                "finish_reason": outcome.finish_reason,
            }
        ],
        "usage": outcome.usage(),
    }


async def chat_stream(
    events: AsyncIterator[dict[str, Any]],
    outcome: Outcome,
    *,
    cid: str,
    created: int,
    model: str,
    include_usage: bool,
    on_end: Callable[[Outcome], None],
) -> AsyncIterator[bytes]:
    """Chunks as OpenAI streams them. With tools offered, output that starts like a tool call is held until
    it is complete, then sent as one `tool_calls` delta."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return sse(
            {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            }
        )

    tool_names: list[str] = []
    held: list[str] | None = None  # text held back while it may be a tool call
    try:
        async for event in events:
            kind = event["type"]
            if kind == "start":
                outcome.prompt_tokens = event["prompt_tokens"]
                tool_names = event.get("tool_names") or []
                held = [] if tool_names else None
                yield chunk({"role": "assistant", "content": ""})
            elif kind == "token":
                if outcome.ttft_ms is None:
                    outcome.ttft_ms = outcome.latency_ms
                text = event["text"]
                outcome.text += text
                if held is not None:
                    held.append(text)
                    so_far = "".join(held).lstrip()
                    if so_far and not so_far.startswith("{"):  # plain words: stream them after all
                        yield chunk({"content": "".join(held)})
                        held = None
                    continue
                yield chunk({"content": text})
            elif kind == "done":
                outcome.finish_reason = event["finish_reason"]
                outcome.completion_tokens = event["usage"]["completion_tokens"]
                if held is not None:
                    outcome.tool_calls = parse_tool_calls("".join(held), tool_names)
                    if outcome.tool_calls:
                        outcome.finish_reason = "tool_calls"
                        yield chunk({"tool_calls": outcome.tool_calls})
                    elif held:
                        yield chunk({"content": "".join(held)})
                yield chunk({}, outcome.finish_reason)
                if include_usage:
                    yield sse({"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                               "choices": [], "usage": outcome.usage()})  # fmt: skip
                yield sse("[DONE]")
            elif kind == "error":
                outcome.error = event["code"]
                yield sse(openai_body(500, event["code"], event["message"]))
                return
    except DomainError as exc:  # e.g. the worker died mid-stream
        outcome.error = exc.code
        yield sse(openai_body(503, exc.code, exc.message))
    finally:
        await _close(events)
        on_end(outcome)


async def completion_stream(
    events: AsyncIterator[dict[str, Any]],
    outcome: Outcome,
    *,
    cid: str,
    created: int,
    model: str,
    include_usage: bool,
    on_end: Callable[[Outcome], None],
) -> AsyncIterator[bytes]:
    def chunk(text: str, finish: str | None = None) -> bytes:
        return sse(
            {
                "id": cid,
                "object": "text_completion",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}],
            }
        )

    try:
        async for event in events:
            kind = event["type"]
            if kind == "start":
                outcome.prompt_tokens = event["prompt_tokens"]
            elif kind == "token":
                if outcome.ttft_ms is None:
                    outcome.ttft_ms = outcome.latency_ms
                outcome.text += event["text"]
                yield chunk(event["text"])
            elif kind == "done":
                outcome.finish_reason = event["finish_reason"]
                outcome.completion_tokens = event["usage"]["completion_tokens"]
                yield chunk("", outcome.finish_reason)
                if include_usage:
                    yield sse({"id": cid, "object": "text_completion", "created": created, "model": model,
                               "choices": [], "usage": outcome.usage()})  # fmt: skip
                yield sse("[DONE]")
            elif kind == "error":
                outcome.error = event["code"]
                yield sse(openai_body(500, event["code"], event["message"]))
                return
    except DomainError as exc:
        outcome.error = exc.code
        yield sse(openai_body(503, exc.code, exc.message))
    finally:
        await _close(events)
        on_end(outcome)


async def _close(events: AsyncIterator[dict[str, Any]]) -> None:
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        await aclose()
