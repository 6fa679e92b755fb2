"""Domain errors translated to HTTP — here, and only here — in the error shape of the API the request reached.

The shapes themselves (hezi's own, OpenAI's, JSON-RPC's; Dify's in api/dify/errors.py) live in api/shapes.py.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from hezi.api.shapes import (
    CONSOLE,
    ErrorDetail,
    ErrorResponse,
    ErrorShape,
    shape_for,
)
from hezi.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooLarge,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    Unprocessable,
    UnsupportedType,
)

log = logging.getLogger(__name__)

__all__ = [
    "CONSOLE_ERRORS", "ErrorDetail", "ErrorResponse", "ErrorShape", "error_response", "install", "respond",
    "status_of",
]  # fmt: skip

_STATUS: list[tuple[type[DomainError], int]] = [
    (UnsupportedType, 415),  # before InvalidInput, its base
    (Unprocessable, 422),  # likewise
    (InvalidInput, 400),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (TooLarge, 413),
    (TooManyRequests, 429),
    (Unavailable, 503),
]

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


# Declared on the console routers so the OpenAPI schema (and the generated client) know the error shape.
CONSOLE_ERRORS: dict[int | str, dict[str, Any]] = CONSOLE.responses


def error_response(status: int, code: str, message: str, details: Any = None, **headers: str) -> JSONResponse:
    """An error in hezi's own shape, for a route that answers one itself."""
    return CONSOLE.response(status, code, message, details, headers)


def respond(
    request: Request, status: int, code: str, message: str, details: Any = None, **headers: str
) -> JSONResponse:
    """The error response in the shape the caller's API speaks."""
    return shape_for(request.scope).response(status, code, message, details, headers)


def status_of(exc: DomainError) -> int:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 400


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {}
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    return respond(request, status_of(exc), exc.code, exc.message, exc.details, **headers)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _clean(exc.errors())
    if any(e["type"] == "json_invalid" for e in errors):
        return respond(request, 400, "malformed_json", "The request body is not valid JSON.", errors)
    first = errors[0] if errors else {"loc": [], "msg": ""}
    where = ".".join(str(p) for p in first["loc"] if p != "body")
    message = f"Invalid '{where}': {first['msg']}" if where else "Some fields are missing or invalid."
    if not shape_for(request.scope).names_field:
        message = "Some fields are missing or invalid."
    return respond(request, 422, "validation_error", message, errors)


def _clean(errors: Any) -> list[dict[str, Any]]:
    # Pydantic puts the offending input and exception objects in `ctx`; keep what a client can use.
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors]


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return respond(request, exc.status_code, code, message, None, **(exc.headers or {}))


async def _client_gone(request: Request, exc: Exception) -> JSONResponse:
    # The client closed the connection mid-body (a cancelled upload): nobody will read this answer.
    log.info("client disconnected during %s %s", request.method, request.url.path)
    return respond(request, 400, "client_disconnected", "The request body was not received in full.")


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return respond(request, 500, "internal_error", "Something went wrong on the server; it has been logged.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unhandled)
