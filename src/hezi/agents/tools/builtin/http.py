"""The http_request tool: one HTTP request on the agent's behalf, through the egress guard at every redirect hop,
bounded in time (the run's deadline) and in the size of the body shown to the model."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import httpx

from hezi.agents.tools.base import ToolFailed, ToolResult
from hezi.errors import DomainError

if TYPE_CHECKING:
    from hezi.agents.context import RunContext

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
USER_AGENT = "hezi-agent/0.1 (http_request tool)"
# Response headers worth showing a model; the rest are noise in its small context.
SHOWN_HEADERS = ("content-type", "content-length", "location", "last-modified", "etag", "retry-after")


class HttpRequest:
    name = "http_request"
    description = "Send an HTTP request to a URL and get the status, headers and body."

    def __init__(self, max_body_bytes: int = 64 * 1024, timeout: float = 30.0) -> None:
        self.max_body_bytes = max_body_bytes
        self.timeout = timeout
        self.parameters: dict[str, Any] = {
            "type": "object",
            "properties": {
                "url": {"type": "string", "description": "http:// or https:// URL"},
                "method": {"type": "string", "enum": list(METHODS), "description": "default GET"},
                "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                "body": {"type": "string", "description": "request body; JSON text is sent as JSON"},
            },
            "required": ["url"],
        }

    async def call(self, args: dict[str, Any], ctx: RunContext) -> ToolResult:
        url, method, headers, content = _request(args)
        timeout = ctx.time_left(self.timeout)
        if timeout <= 0:
            raise ToolFailed("No time is left for an HTTP request in this run.", code="timeout")
        try:
            async with asyncio.timeout(timeout):  # for the whole exchange: a trickling server beats httpx's timeouts
                async with ctx.egress.stream(method, url, headers=headers, content=content, io_timeout=timeout) as r:
                    body, truncated = await self._body(r)
        except TimeoutError:
            raise ToolFailed(f"{url} did not answer within {timeout:g} s.", code="timeout") from None
        except DomainError as exc:  # refused by the egress guard, a bad URL, a redirect loop
            raise ToolFailed(exc.message, code=exc.code) from None
        except httpx.HTTPError as exc:
            raise ToolFailed(f"Cannot reach {url}: {exc or type(exc).__name__}", code="http_error") from None
        out: dict[str, Any] = {
            "status": r.status_code,
            "headers": {k: r.headers[k] for k in SHOWN_HEADERS if k in r.headers},
            "body": body,
        }
        if truncated:
            out["truncated"] = f"only the first {self.max_body_bytes} bytes are shown"
        return ToolResult(out)

    async def _body(self, response: httpx.Response) -> tuple[str, bool]:
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > self.max_body_bytes:
                break
        truncated = len(data) > self.max_body_bytes
        encoding = response.charset_encoding or "utf-8"
        try:
            return bytes(data[: self.max_body_bytes]).decode(encoding, errors="replace"), truncated
        except LookupError:  # a charset Python does not know
            return bytes(data[: self.max_body_bytes]).decode("utf-8", errors="replace"), truncated


def _request(args: dict[str, Any]) -> tuple[str, str, dict[str, str], bytes | None]:
    """(url, method, headers, body) from the model's arguments, each checked."""
    url = args.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ToolFailed("Give the URL to request, e.g. https://example.com/.")
    method = str(args.get("method") or "GET").upper()
    if method not in METHODS:
        raise ToolFailed(f"method must be one of {', '.join(METHODS)}.")
    given = args.get("headers") or {}
    if not isinstance(given, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in given.items()):
        raise ToolFailed("headers must be an object of header names to text values.")
    headers = {"User-Agent": USER_AGENT, **given}
    body = args.get("body")
    if body is None or body == "":
        return url.strip(), method, headers, None
    if isinstance(body, dict | list):
        body = json.dumps(body, ensure_ascii=False)
    elif not isinstance(body, str):
        raise ToolFailed("body must be text (JSON text for a JSON API).")
    if not any(k.lower() == "content-type" for k in headers) and _is_json(body):
        headers["Content-Type"] = "application/json"
    return url.strip(), method, headers, body.encode()


def _is_json(text: str) -> bool:
    if not text.lstrip().startswith(("{", "[")):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
