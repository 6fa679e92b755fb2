"""ASGI middleware: request ids and one log line per request, a cap on request body size, no NUL in text input."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from fastapi.routing import APIRoute
from python_multipart.multipart import parse_options_header
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hezi.api import nul
from hezi.api.shapes import route_for, shape_for

log = logging.getLogger("hezi.access")


class AccessLogMiddleware:
    """Tags each request with X-Request-ID (kept from the client when given) and logs it once done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")[:64]
        request_id = given if given.isprintable() and given else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            client = scope.get("client")
            log.info(
                "request",
                extra={
                    "fields": {
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                        "request_id": request_id,
                        "client": client[0] if client else None,
                    }
                },
            )


class BodyLimitMiddleware:
    """Refuses bodies over the limit with 413 before the app sees them, declared length or not.

    Paths in `streamed` (model uploads) are left alone: their handlers stream to disk and enforce their own,
    much larger, limits. Paths matching a pattern in `larger` (document uploads) get that pattern's limit instead.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        streamed: tuple[str, ...] = (),
        larger: tuple[tuple[re.Pattern[str], int], ...] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.streamed = streamed
        self.larger = larger

    def _limit(self, path: str) -> int:
        return next((limit for pattern, limit in self.larger if pattern.fullmatch(path)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in ("GET", "HEAD", "OPTIONS")
            or scope["path"].startswith(self.streamed)
        ):
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await _reply(send, scope, 400, "bad_request", "Invalid Content-Length header.")
                return
            if too_big:
                await self._refuse(scope, send, limit)
                return
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): read it all here, up to the limit, then replay it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        await self.app(scope, _replaying(body, receive), send)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        await _reply(
            send,
            scope,
            413,
            "payload_too_large",
            f"The request body is larger than {limit} bytes.",
            {"max_bytes": limit},
        )


class NulGuardMiddleware:
    """Refuses a NUL character in any text input with 400 `nul_character`, once for every route: PostgreSQL's text
    cannot hold one (a model name with a NUL once failed the usage insert).

    The path and the query are checked first; JSON and form bodies whole, before the app reads them (they are small:
    BodyLimitMiddleware, outside this one, caps them); a multipart body's text fields as they stream by (the form
    parser then fails with the error). Files (multipart file parts, raw uploads of any other type) are never
    looked at: a PDF or a GGUF holds NUL bytes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if nul.in_path(scope["path"]):
            await _refuse_nul(send, scope, ["path"])
            return
        query: bytes = scope.get("query_string", b"")
        if query and nul.in_query(query):
            await _refuse_nul(send, scope, nul.where_in_query(query))
            return
        kind = _text_body_kind(scope)
        if kind is None:
            await self.app(scope, receive, send)
        elif isinstance(kind, nul.MultipartTextScan):
            await self.app(scope, _scanning(receive, kind), send)
        else:
            await self._check_whole(scope, receive, send, kind)

    async def _check_whole(self, scope: Scope, receive: Receive, send: Send, kind: str) -> None:
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if kind == "json" and nul.in_json(body):
            await _refuse_nul(send, scope, nul.where_in_json(body))
            return
        if kind == "form" and nul.in_query(body):
            await _refuse_nul(send, scope, ["body", *nul.where_in_query(body)[1:]])
            return
        await self.app(scope, _replaying(body, receive), send)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app a body already read, whole, then goes on with the real one (disconnects)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _text_body_kind(scope: Scope) -> str | nul.MultipartTextScan | None:
    """How a request's body holds text: "json", "form", a multipart scanner, or None (no body, or a file)."""
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return None
    content_type = dict(scope.get("headers") or []).get(b"content-type")
    if content_type is None:
        # FastAPI reads a body without a content type as JSON when its route takes one; a raw upload is a file.
        route = route_for(scope)
        return "json" if isinstance(route, APIRoute) and route.body_field is not None else None
    media, options = parse_options_header(content_type)
    media = media.lower()
    if media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json")):
        return "json"
    if media == b"application/x-www-form-urlencoded":
        return "form"
    if media == b"multipart/form-data" and options.get(b"boundary"):
        return nul.MultipartTextScan(options[b"boundary"])
    return None


def _scanning(receive: Receive, scan: nul.MultipartTextScan) -> Receive:
    async def scanned() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            scan.feed(message.get("body", b""))  # raises NulCharacter, which the route answers in its shape
        return message

    return scanned


async def _refuse_nul(send: Send, scope: Scope, where: list[str | int]) -> None:
    exc = nul.NulCharacter(where)
    await _reply(send, scope, 400, exc.code, exc.message, exc.details)


async def _reply(send: Send, scope: Scope, status: int, code: str, message: str, details: Any = None) -> None:
    status, body = shape_for(scope).body(status, code, message, details)  # in the shape of the API it is for
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
