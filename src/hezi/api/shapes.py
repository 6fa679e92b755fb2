"""Error shapes: each API answers errors in its own JSON, chosen by the route that matched, never by the URL.

A router declares its API's shape once, `APIRouter(..., route_class=SHAPE.route_class)`; the exception handlers
(api/errors.py) and the middlewares ask `shape_for(scope)`. Routes that declare none (the console's, /healthz…)
answer in hezi's own shape, as does a path no route matched — unless the routes nearest to it all speak one
other API (an unknown /v1/datasets/… path answers as Dify would). A stream that fails after its first byte
ends with `SHAPE.sse_event(...)`, the same error as a server-sent event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

# (status, code, message, details) → (the status to answer with, the body).
Encode = Callable[[int, str, str, Any], tuple[int, dict[str, Any]]]


@dataclass(frozen=True, eq=False)
class ErrorShape:
    """How one API writes an error: as a JSON response, as a server-sent event, and in its OpenAPI schema."""

    name: str
    encode: Encode
    # A validation error's message names the first bad field (SDK users see only the message); the console
    # shows each field's error from `details` instead.
    names_field: bool = True
    # Top-level fields a streamed error carries besides the body (Dify's `"event": "error"`).
    stream_fields: Mapping[str, Any] = field(default_factory=dict)
    # The error body's schema and the statuses routes of this API declare in OpenAPI.
    model: type[BaseModel] | None = None
    statuses: Mapping[int | str, str] = field(default_factory=dict)

    def body(self, status: int, code: str, message: str, details: Any = None) -> tuple[int, dict[str, Any]]:
        """The status to answer with (an API may report a status as another, OpenAI's 422 as 400) and the body."""
        return self.encode(status, code, message, details)

    def response(
        self, status: int, code: str, message: str, details: Any = None, headers: Mapping[str, str] | None = None
    ) -> JSONResponse:
        status, body = self.encode(status, code, message, details)
        return JSONResponse(body, status_code=status, headers=dict(headers) if headers else None)

    def sse_event(self, status: int, code: str, message: str, details: Any = None, **fields: Any) -> bytes:
        """The error as one server-sent event, for a stream that fails after its headers went out.

        `fields` are added at the top level of the event's JSON (Dify's `task_id`, a JSON-RPC `id`)."""
        _, body = self.encode(status, code, message, details)
        payload = json.dumps({**self.stream_fields, **body, **fields}, ensure_ascii=False, separators=(",", ":"))
        return f"data: {payload}\n\n".encode()

    @property
    def responses(self) -> dict[int | str, dict[str, Any]]:
        """OpenAPI `responses` declaring this shape for its error statuses."""
        if self.model is None:
            return {}
        return {status: {"model": self.model, "description": text} for status, text in self.statuses.items()}

    @cached_property
    def route_class(self) -> type[APIRoute]:
        """An APIRoute whose errors answer in this shape; its OpenAPI declares them (a router's own win)."""
        return type(f"{self.name.title().replace('-', '')}Route", (ShapedRoute,), {"error_shape": self})


class ShapedRoute(APIRoute):
    """A route that knows its API's error shape. Subclasses come from `ErrorShape.route_class`."""

    error_shape: ClassVar[ErrorShape]

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        kwargs["responses"] = {**self.error_shape.responses, **(kwargs.get("responses") or {})}
        super().__init__(path, endpoint, **kwargs)


# ---- the shapes ---------------------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The one error shape of the console API."""

    error: ErrorDetail


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """hezi's own error body: {"error": {"code", "message", "details"}}."""
    return {"error": {"code": code, "message": message, "details": details}}


def _console(status: int, code: str, message: str, details: Any) -> tuple[int, dict[str, Any]]:
    return status, error_body(code, message, details)


CONSOLE = ErrorShape(
    "console",
    _console,
    names_field=False,
    model=ErrorResponse,
    statuses={
        400: "Bad request", 401: "Not signed in", 403: "Not allowed", 404: "Not found", 409: "Conflict",
        413: "Too large", 422: "Invalid fields", 429: "Too many requests",
    },
)  # fmt: skip


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorResponse(BaseModel):
    """OpenAI's error shape, which its SDKs parse."""

    error: OpenAIErrorDetail


_OPENAI_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    503: "server_error",
}


def openai_body(status: int, code: str, message: str, details: Any = None) -> dict[str, Any]:
    """OpenAI's error body: {"error": {"message", "type", "param", "code"}}; `param` names the first bad field."""
    param = None
    if isinstance(details, list) and details and isinstance(details[0], dict) and details[0].get("loc"):
        param = ".".join(str(p) for p in details[0]["loc"] if p not in ("body", "query", "path"))
    return {
        "error": {
            "message": message,
            "type": _OPENAI_TYPES.get(status, "invalid_request_error"),
            "param": param or None,
            "code": code,
            **({"details": details} if isinstance(details, dict) else {}),
        }
    }


def _openai(status: int, code: str, message: str, details: Any) -> tuple[int, dict[str, Any]]:
    status = 400 if status == 422 else status  # OpenAI reports invalid fields as 400
    return status, openai_body(status, code, message, details)


OPENAI = ErrorShape(
    "openai",
    _openai,
    model=OpenAIErrorResponse,
    statuses={
        400: "Bad request", 401: "Invalid API key", 403: "Not allowed", 404: "Unknown model", 429: "Too many requests",
        503: "The model is not available", "4XX": "Other client errors (never 422: invalid fields are 400)",
    },
)  # fmt: skip

# JSON-RPC 2.0's reserved codes, and the server-error range (-32000…-32099) for the rest: MCP's transport.
_JSONRPC_BY_CODE = {"malformed_json": -32700, "validation_error": -32602, "nul_character": -32602}
_JSONRPC_BY_STATUS = {400: -32602, 404: -32601, 405: -32601, 422: -32602, 500: -32603}


def _jsonrpc(status: int, code: str, message: str, details: Any) -> tuple[int, dict[str, Any]]:
    number = _JSONRPC_BY_CODE.get(code) or _JSONRPC_BY_STATUS.get(status, -32000)
    error = {"code": number, "message": message, "data": {"status": status, "code": code, "details": details}}
    return status, {"jsonrpc": "2.0", "id": None, "error": error}


# For the MCP endpoint to come: `id` is null when the request's own could not be read; a streamed error
# passes it, `JSONRPC.sse_event(status, code, message, id=request_id)`.
JSONRPC = ErrorShape("jsonrpc", _jsonrpc)


# ---- which shape a request's error takes --------------------------------------------------------------------


def shape_of(route: BaseRoute | None) -> ErrorShape | None:
    """The shape a route declared, if any."""
    shape = getattr(route, "error_shape", None)
    return shape if isinstance(shape, ErrorShape) else None


def shape_for(scope: Scope) -> ErrorShape:
    """The error shape of the API a request was (or would be) routed to.

    After routing, the matched route says (Starlette puts it in `scope["route"]`, a 405's too). Before routing (a
    middleware refusing a body) the app's routes are matched here. A path no route claims (none matched, or only a
    catch-all) takes the shape of the routes sharing most of its leading segments when they all agree (below
    /v1/datasets/ every route is Dify's), otherwise the console's (/v1 itself is OpenAI's and Dify's)."""
    route = scope.get("route")
    if route is None:
        route = route_for(scope)
    shape = shape_of(route)
    if shape is not None:
        return shape
    return _nearest(scope) or CONSOLE


def route_for(scope: Scope) -> BaseRoute | None:
    """The route the app's router will hand this request to (a full match, else the first partial one)."""
    partial = None
    for route, entry in _routes(scope):
        match, _ = entry.matches(scope)
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial


def _routes(scope: Scope) -> Iterator[tuple[BaseRoute, Any]]:
    """(the route as declared, what matches it at its full path) for each of the app's routes."""
    app = scope.get("app")
    routes: list[BaseRoute] = getattr(getattr(app, "router", None), "routes", [])
    for context in iter_route_contexts(routes):  # included routers are not flattened into app.routes
        yield context.original_route, context


def _nearest(scope: Scope) -> ErrorShape | None:
    segments = scope.get("path", "").strip("/").split("/")
    best, shapes = 0, set()
    for route, entry in _routes(scope):
        shape = shape_of(route) or CONSOLE
        depth = _shared_segments(getattr(entry, "path", None) or "", segments)
        if depth > best:
            best, shapes = depth, {shape}
        elif depth == best and depth:
            shapes.add(shape)
    return next(iter(shapes)) if len(shapes) == 1 else None


def _shared_segments(template: str, segments: list[str]) -> int:
    """How many leading path segments a route's path template has in common with a request's."""
    n = 0
    for part, seg in zip(template.strip("/").split("/"), segments, strict=False):
        if part.startswith("{") and part.endswith("}") and ":path}" not in part:
            n += 1  # a single-segment parameter matches any segment
        elif part == seg:
            n += 1
        else:
            break
    return n
