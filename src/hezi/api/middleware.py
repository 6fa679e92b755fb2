"""ASGI middleware: request ids and one log line per request, and a cap on request body size."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hezi.api.errors import shaped

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
                await _reply(send, scope["path"], 400, "bad_request", "Invalid Content-Length header.")
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
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        await _reply(
            send,
            scope["path"],
            413,
            "payload_too_large",
            f"The request body is larger than {limit} bytes.",
            {"max_bytes": limit},
        )


async def _reply(send: Send, path: str, status: int, code: str, message: str, details: Any = None) -> None:
    status, body = shaped(path, status, code, message, details)  # in the shape the API at `path` speaks
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
