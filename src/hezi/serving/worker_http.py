"""A small HTTP/1.1 client for a model worker's Unix socket, for the call on every generation's path.

httpx spent about a millisecond of the API process's CPU on each `POST /generate` (building the request, its pool,
h11 and anyio underneath); on a box whose cores also run the model, that millisecond was most of what the gateway
added to a short request. This speaks just what the worker's server answers — a status line, headers, then a body
that is chunked (a stream of NDJSON events) or has a Content-Length (a refusal) — over asyncio streams, and keeps
connections open between requests. Health checks and embeddings still use httpx.

A request either gets a whole answer, leaving its connection for the next one, or its connection is closed: the
worker reads a closed connection as a client that went away, and frees the sequence's slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

_CRLF = (b"\r\n", b"\n")


class WorkerUnreachable(Exception):
    """The worker refused the connection, or closed it, before any byte of an answer: it generated nothing."""


class WorkerConnectionLost(Exception):
    """The connection broke after the worker had begun to answer."""


class WorkerConnectTimeout(Exception):
    """The worker's socket did not accept a connection in time."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def usable(self) -> bool:
        """Still open at both ends, with nothing unread (a worker that closed an idle connection has sent EOF)."""
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class WorkerResponse:
    """The status and headers of an answer; its body is read once, by `lines()` or `read()`."""

    def __init__(self, conn: _Connection, status: int, headers: dict[str, str]) -> None:
        self.status = status
        self.headers = headers
        self.complete = False  # the whole body was read: the connection may serve another request
        self._conn = conn

    @property
    def keep_alive(self) -> bool:
        return self.complete and self.headers.get("connection", "").lower() != "close"

    async def _body(self) -> AsyncIterator[bytes]:
        reader = self._conn.reader
        try:
            if "chunked" in self.headers.get("transfer-encoding", "").lower():
                while True:
                    size_line = await reader.readline()
                    if not size_line.endswith(b"\n"):
                        raise WorkerConnectionLost("the worker closed the connection in the middle of its answer")
                    size = int(size_line.split(b";", 1)[0].strip(), 16)
                    if size == 0:
                        while (trailer := await reader.readline()) not in _CRLF:
                            if not trailer:
                                raise WorkerConnectionLost("the worker closed the connection after its answer")
                        break
                    data = await reader.readexactly(size + 2)  # the chunk and its CRLF
                    yield data[:-2]
            elif (length := self.headers.get("content-length")) is not None:
                if int(length):
                    yield await reader.readexactly(int(length))
            else:  # delimited by the end of the connection
                while data := await reader.read(65536):
                    yield data
                self.headers["connection"] = "close"
        except (asyncio.IncompleteReadError, ConnectionError, OSError, ValueError) as exc:
            raise WorkerConnectionLost(f"the connection to the worker broke: {exc!r}") from exc
        self.complete = True

    async def lines(self) -> AsyncIterator[bytes]:
        """The body's non-empty lines (the worker's NDJSON events), as they arrive."""
        pending = b""
        async for data in self._body():
            pending += data
            if b"\n" in pending:
                *whole, pending = pending.split(b"\n")
                for line in whole:
                    if line.strip():
                        yield line
        if pending.strip():
            yield pending

    async def read(self) -> bytes:
        return b"".join([data async for data in self._body()])


class WorkerClient:
    """Keep-alive connections to one worker process's Unix socket (as many as requests run at once)."""

    def __init__(self, socket_path: Path, *, connect_timeout: float = 10.0) -> None:
        self.socket_path = socket_path
        self.connect_timeout = connect_timeout
        self._idle: list[_Connection] = []

    async def _connect(self) -> _Connection:
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_unix_connection(str(self.socket_path))
        except TimeoutError as exc:
            raise WorkerConnectTimeout(f"the worker did not accept a connection in {self.connect_timeout:g} s") from exc
        except OSError as exc:  # no socket yet or any more, refused
            raise WorkerUnreachable(f"cannot connect to the worker: {exc}") from exc
        return _Connection(reader, writer)

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if conn.usable():
                return conn
            conn.close()
        return None

    @contextlib.asynccontextmanager
    async def post(self, path: str, payload: Any) -> AsyncIterator[WorkerResponse]:
        """POST `payload` as JSON; the answer's status and headers are read when this is entered."""
        body = json.dumps(payload).encode()
        request = (
            f"POST {path} HTTP/1.1\r\nhost: worker\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        ).encode() + body
        conn = self._take_idle()
        kept = conn is not None
        while True:
            if conn is None:
                conn = await self._connect()
            try:
                response = await self._send(conn, request)
                break
            except WorkerUnreachable:
                conn.close()
                conn = None
                if not kept:
                    raise
                kept = False  # a kept connection the worker had just closed: once more, on a new one
        try:
            yield response
        finally:
            if response.keep_alive:
                self._idle.append(conn)
            else:
                conn.close()

    @staticmethod
    async def _send(conn: _Connection, request: bytes) -> WorkerResponse:
        try:
            conn.writer.write(request)
            status_line = await conn.reader.readline()
            if not status_line:
                raise WorkerUnreachable("the worker closed the connection without answering")
            headers: dict[str, str] = {}
            while (line := await conn.reader.readline()) not in _CRLF:
                if not line:
                    raise WorkerUnreachable("the worker closed the connection in the middle of its headers")
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
        except (ConnectionError, OSError, ValueError) as exc:  # ValueError: a line longer than the stream's limit
            raise WorkerUnreachable(f"the connection to the worker broke before its answer: {exc!r}") from exc
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise WorkerUnreachable(f"the worker's answer is not HTTP: {status_line[:80]!r}")
        return WorkerResponse(conn, int(parts[1]), headers)

    def kept(self) -> tuple[int, int]:
        """(connections kept for the next request, of which the worker has closed since): for tests and debugging."""
        return len(self._idle), sum(1 for conn in self._idle if not conn.usable())

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()
