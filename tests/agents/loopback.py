"""Real servers on loopback for the tool tests: an OpenAPI-described API (FastAPI) and an MCP server (the `mcp` SDK),
each checking the credentials it was given, served by uvicorn in a thread."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from mcp.server.fastmcp import FastMCP
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from hezi.agents.context import RunContext
from hezi.egress import EgressPolicy, parse_cidrs
from hezi.serving.usage import Attribution
from tests.helpers import wait_for

API_KEY = "key-123"
TOKEN = "token-456"
MCP_TOKEN = "mcp-789"


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """Serves `app` on 127.0.0.1 until the block ends; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive(), "the test server to start", timeout=30)
    assert thread.is_alive(), "the test server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class Pet(BaseModel):
    name: str
    tag: str | None = None
    friends: list[Pet] = []


def pets_app() -> FastAPI:
    """A small pet-shop API: every call needs the API key or the bearer token and says which it saw."""
    app = FastAPI(title="Pets", servers=[{"url": "/"}])

    def auth(x_api_key: str | None = Header(None), authorization: str | None = Header(None)) -> str:
        if x_api_key == API_KEY:
            return "api_key"
        if authorization == f"Bearer {TOKEN}":
            return "bearer"
        raise HTTPException(401, "who are you?")

    @app.get("/pets/{pet_id}", operation_id="getPet", summary="Get a pet by its id")
    def get_pet(pet_id: str, verbose: bool = False, how: str = Depends(auth)) -> dict[str, Any]:
        return {"id": pet_id, "name": "Rex", "verbose": verbose, "auth": how}

    @app.post("/pets", operation_id="createPet", summary="Add a pet")
    def create_pet(
        pet: Pet,
        dry_run: bool = Query(False),
        x_request_id: str | None = Header(None),
        how: str = Depends(auth),
    ) -> dict[str, Any]:
        return {"created": pet.model_dump(), "dry_run": dry_run, "request_id": x_request_id, "auth": how}

    @app.get("/search", operation_id="search pets!", summary="Search")
    def search(tag: list[str] = Query(), how: str = Depends(auth)) -> dict[str, Any]:
        return {"tags": tag}

    @app.get("/broken", operation_id="broken")
    def broken(how: str = Depends(auth)) -> PlainTextResponse:
        return PlainTextResponse("the database is on fire", status_code=500)

    @app.get("/big", operation_id="big")
    def big(how: str = Depends(auth)) -> PlainTextResponse:
        return PlainTextResponse("x" * 100_000)

    @app.get("/moved/{pet_id}", operation_id="moved")
    def moved(pet_id: str, how: str = Depends(auth)) -> RedirectResponse:
        return RedirectResponse(f"/pets/{pet_id}", status_code=307)

    @app.get("/to-metadata", operation_id="toMetadata")
    def to_metadata() -> RedirectResponse:
        return RedirectResponse("http://169.254.169.254/latest/meta-data/", status_code=302)

    @app.get("/hop", operation_id="hop")
    def hop(to: str) -> RedirectResponse:
        return RedirectResponse(to, status_code=307)

    @app.get("/headers", operation_id="headers")
    def seen_headers(request: Request) -> dict[str, str | None]:
        return {name: request.headers.get(name) for name in ("x-api-key", "authorization")}

    @app.get("/spec-to-private")
    def spec_to_private() -> RedirectResponse:
        return RedirectResponse("http://10.1.2.3/openapi.json", status_code=302)

    return app


def mcp_app() -> ASGIApp:
    """An MCP server (streamable HTTP at /mcp) that answers only requests carrying X-Token: MCP_TOKEN."""
    mcp = FastMCP("pets-mcp")

    @mcp.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @mcp.tool(name="pets.greet")
    def greet(name: str) -> str:
        """Greet a pet by name."""
        return f"Hello, {name}! 你好"

    @mcp.tool()
    def explode(reason: str) -> str:
        """Always fails."""
        raise ValueError(f"exploded: {reason}")

    inner = mcp.streamable_http_app()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/elsewhere":
            location = b"http://169.254.169.254/mcp"
            await send({"type": "http.response.start", "status": 307, "headers": [(b"location", location)]})
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["type"] == "http" and dict(scope["headers"]).get(b"x-token") != MCP_TOKEN.encode():
            await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"missing or wrong X-Token"})
            return
        await inner(scope, receive, send)

    return app


def run_context(egress: EgressPolicy) -> RunContext:
    """A run's context with only what tools of this kind touch: the egress policy (and the clock)."""
    unused = cast(Any, None)
    return RunContext(
        workspace_id=uuid.uuid4(), who=Attribution(None), models=unused, retriever=unused, egress=egress,
        secrets=unused, settings=unused,
    )  # fmt: skip


@contextmanager
def loopback_allowed_on(app: Any) -> Iterator[None]:
    """A live server's guard as if started with HEZI_EGRESS_ALLOW_CIDRS=127.0.0.0/8 (it reads its list per call)."""
    egress = app.state.services.egress
    before = egress.allowed
    egress.allowed = parse_cidrs("127.0.0.0/8")
    try:
        yield
    finally:
        egress.allowed = before


LOOPBACK = EgressPolicy.from_setting("127.0.0.0/8")
DEFAULT = EgressPolicy.from_setting("")
