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


class _ChatFrames:
    """Chat chunks. With tools offered, output that starts like a tool call is held until it is complete, then
    sent as one `tool_calls` delta."""

    object = "chat.completion.chunk"

    def __init__(self, envelope: Callable[[list[dict[str, Any]]], dict[str, Any]]) -> None:
        self.envelope = envelope
        self.tool_names: list[str] = []
        self.held: list[str] | None = None  # text held back while it may be a tool call

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        return sse(self.envelope([{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]))

    def start(self, event: dict[str, Any]) -> list[bytes]:
        self.tool_names = event.get("tool_names") or []
        self.held = [] if self.tool_names else None
        return [self._chunk({"role": "assistant", "content": ""})]

    def token(self, text: str) -> list[bytes]:
        if self.held is None:
            return [self._chunk({"content": text})]
        self.held.append(text)
        so_far = "".join(self.held).lstrip()
        if so_far and not so_far.startswith("{"):  # plain words: stream them after all
            out, self.held = [self._chunk({"content": "".join(self.held)})], None
            return out
        return []

    def done(self, outcome: Outcome) -> list[bytes]:
        out = []
        if self.held is not None:
            outcome.tool_calls = parse_tool_calls("".join(self.held), self.tool_names)
            if outcome.tool_calls:
                outcome.finish_reason = "tool_calls"
                out.append(self._chunk({"tool_calls": outcome.tool_calls}))
            elif self.held:
                out.append(self._chunk({"content": "".join(self.held)}))
        return [*out, self._chunk({}, outcome.finish_reason)]


class _CompletionFrames:
    object = "text_completion"

    def __init__(self, envelope: Callable[[list[dict[str, Any]]], dict[str, Any]]) -> None:
        self.envelope = envelope

    def _chunk(self, text: str, finish: str | None = None) -> bytes:
        return sse(self.envelope([{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}]))

    def start(self, event: dict[str, Any]) -> list[bytes]:
        return []

    def token(self, text: str) -> list[bytes]:
        return [self._chunk(text)]

    def done(self, outcome: Outcome) -> list[bytes]:
        return [self._chunk("", outcome.finish_reason)]


async def _stream(
    events: AsyncIterator[dict[str, Any]],
    outcome: Outcome,
    frames: type[_ChatFrames] | type[_CompletionFrames],
    *,
    cid: str,
    created: int,
    model: str,
    include_usage: bool,
    on_end: Callable[[Outcome], None],
) -> AsyncIterator[bytes]:
    """One event loop for both streaming endpoints: the outcome's bookkeeping, the optional usage chunk, [DONE],
    errors mid-stream and metering are here; what each chunk looks like is the endpoint's `frames`."""

    def envelope(choices: list[dict[str, Any]]) -> dict[str, Any]:
        return {"id": cid, "object": frames.object, "created": created, "model": model, "choices": choices}

    f = frames(envelope)
    try:
        async for event in events:
            kind = event["type"]
            if kind == "start":
                outcome.prompt_tokens = event["prompt_tokens"]
                for frame in f.start(event):
                    yield frame
            elif kind == "token":
                if outcome.ttft_ms is None:
                    outcome.ttft_ms = outcome.latency_ms
                outcome.text += event["text"]
                for frame in f.token(event["text"]):
                    yield frame
            elif kind == "done":
                outcome.finish_reason = event["finish_reason"]
                outcome.completion_tokens = event["usage"]["completion_tokens"]
                for frame in f.done(outcome):
                    yield frame
                if include_usage:
                    yield sse({**envelope([]), "usage": outcome.usage()})
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


def chat_stream(events: AsyncIterator[dict[str, Any]], outcome: Outcome, **kw: Any) -> AsyncIterator[bytes]:
    """Chat completion chunks as OpenAI streams them."""
    return _stream(events, outcome, _ChatFrames, **kw)


def completion_stream(events: AsyncIterator[dict[str, Any]], outcome: Outcome, **kw: Any) -> AsyncIterator[bytes]:
    """Text completion chunks as OpenAI streams them."""
    return _stream(events, outcome, _CompletionFrames, **kw)


async def _close(events: AsyncIterator[dict[str, Any]]) -> None:
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        await aclose()
