"""Calling a remote OpenAI-compatible provider, its streams normalised into hezi's model events."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import httpx

from hezi.errors import Unavailable
from hezi.serving.events import ChatEvent, Finished, Started, TextDelta, TokenUsage, ToolCall
from hezi.serving.providers import TIMEOUT, RemoteTarget


class ProviderFailed(Unavailable):
    code = "provider_failed"


class ProviderRefused(Unavailable):
    """The provider answered with an error status; `status` and `body` are its own, for callers that relay them."""

    code = "provider_refused"

    def __init__(self, status: int, body: Any) -> None:
        message = _error_message(body) or f"The provider answered {status}."
        super().__init__(f"The provider refused the request ({status}): {message}", details={"status": status})
        self.status = status
        self.body = body


def _error_message(body: Any) -> str:
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            return str(err.get("message") or "")
        if isinstance(err, str):
            return err
        return str(body.get("message") or "")
    return ""


def _headers(target: RemoteTarget) -> dict[str, str]:
    return {"Authorization": f"Bearer {target.api_key}"} if target.api_key else {}


async def call(target: RemoteTarget, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """A non-streaming call: the provider's status and JSON body."""
    try:
        async with target.client(TIMEOUT) as http:
            r = await http.post(
                f"{target.base_url}{path}", json={**body, "model": target.model}, headers=_headers(target)
            )
    except httpx.HTTPError as exc:
        raise ProviderFailed(f"The provider at {target.base_url} could not be reached: {exc}") from exc
    try:
        data = r.json()
    except json.JSONDecodeError:
        raise ProviderFailed(f"The provider answered {r.status_code} with a body that is not JSON.") from None
    return r.status_code, data


async def call_ok(target: RemoteTarget, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A non-streaming call that must succeed: an error status raises ProviderRefused."""
    status, data = await call(target, path, body)
    if status >= 400:
        raise ProviderRefused(status, data)
    return data


def usage_of(data: dict[str, Any]) -> TokenUsage:
    usage = data.get("usage") or {}
    return TokenUsage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))


def tool_calls_of(message: dict[str, Any]) -> list[ToolCall]:
    return [
        ToolCall(i, str(c.get("id") or f"call_{i}"), str(c["function"]["name"]), c["function"].get("arguments") or "")
        for i, c in enumerate(message.get("tool_calls") or [])
        if isinstance(c, dict) and isinstance(c.get("function"), dict) and c["function"].get("name")
    ]


async def events(target: RemoteTarget, path: str, body: dict[str, Any]) -> AsyncIterator[ChatEvent]:
    """A streaming call as model events. An error status raises here, before any event; a failure mid-stream
    raises ProviderFailed from the iteration."""
    http = target.client(TIMEOUT)
    # Providers send usage in a last chunk only when asked; hezi meters every call.
    payload = {**body, "model": target.model, "stream": True, "stream_options": {"include_usage": True}}
    try:
        response = await http.send(
            http.build_request("POST", f"{target.base_url}{path}", json=payload, headers=_headers(target)),
            stream=True,
        )
    except httpx.HTTPError as exc:
        await http.aclose()
        raise ProviderFailed(f"The provider at {target.base_url} could not be reached: {exc}") from exc
    if response.status_code >= 400:
        try:
            raw = await response.aread()
        finally:
            await response.aclose()
            await http.aclose()
        try:
            data: Any = json.loads(raw)
        except json.JSONDecodeError:
            data = {"error": {"message": raw[:300].decode(errors="replace")}}
        raise ProviderRefused(response.status_code, data)
    return _read_stream(http, response)


async def _read_stream(http: httpx.AsyncClient, response: httpx.Response) -> AsyncGenerator[ChatEvent]:
    calls: dict[int, dict[str, str]] = {}  # tool calls arrive in pieces, by index
    finish: str | None = None
    usage = TokenUsage()
    try:
        yield Started(prompt_tokens=0)  # the provider says how many only in its usage chunk
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            try:
                chunk = json.loads(data)
            except json.JSONDecodeError:
                raise ProviderFailed(f"The provider sent a chunk that is not JSON: {data[:200]}") from None
            if "error" in chunk:
                raise ProviderFailed(f"The provider stopped with an error: {_error_message(chunk)}")
            if chunk.get("usage"):
                usage = usage_of(chunk)
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") or {}
                if text := delta.get("content") or choice.get("text"):
                    yield TextDelta(text)
                for piece in delta.get("tool_calls") or []:
                    call = calls.setdefault(int(piece.get("index", len(calls))), {"id": "", "name": "", "args": ""})
                    fn = piece.get("function") or {}
                    call["id"] = piece.get("id") or call["id"]
                    call["name"] += fn.get("name") or ""
                    call["args"] += fn.get("arguments") or ""
                finish = choice.get("finish_reason") or finish
    except httpx.HTTPError as exc:
        raise ProviderFailed(f"The provider stopped streaming: {exc}") from exc
    finally:
        await response.aclose()
        await http.aclose()
    for i, (index, c) in enumerate(sorted(calls.items())):
        yield ToolCall(i, c["id"] or f"call_{index}", c["name"], c["args"])
    yield Finished(finish or ("tool_calls" if calls else "stop"), usage)
