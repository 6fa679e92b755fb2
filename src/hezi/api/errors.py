"""One JSON error shape for the console API, translated here — and only here — from domain errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

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
    UnsupportedType,
)

log = logging.getLogger(__name__)

_STATUS: list[tuple[type[DomainError], int]] = [
    (UnsupportedType, 415),  # before InvalidInput, its base
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


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The one error shape of the console API."""

    error: ErrorDetail


# Declared on the console routers so the OpenAPI schema (and the generated client) know the error shape.
CONSOLE_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in {
        400: "Bad request", 401: "Not signed in", 403: "Not allowed", 404: "Not found", 409: "Conflict",
        413: "Too large", 422: "Invalid fields", 429: "Too many requests",
    }.items()
}  # fmt: skip


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(status: int, code: str, message: str, details: Any = None, **headers: str) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers or None)


_OPENAI_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    503: "server_error",
}


def openai_body(status: int, code: str, message: str, details: Any = None) -> dict[str, Any]:
    """OpenAI's error shape, which its SDKs parse: the /v1 API answers in it."""
    param = None
    if isinstance(details, list) and details and isinstance(details[0], dict) and details[0].get("loc"):
        param = ".".join(str(p) for p in details[0]["loc"] if p != "body")
    return {
        "error": {
            "message": message,
            "type": _OPENAI_TYPES.get(status, "invalid_request_error"),
            "param": param,
            "code": code,
            **({"details": details} if isinstance(details, dict) else {}),
        }
    }


# An API that speaks another error shape: (status, code, message, details) → (status, body).
Shape = Callable[[int, str, str, Any], tuple[int, dict[str, Any]]]


def _openai_shape(status: int, code: str, message: str, details: Any) -> tuple[int, dict[str, Any]]:
    if status == 422:  # OpenAI reports invalid fields as 400
        status = 400
    return status, openai_body(status, code, message, details)


# Path prefix → shape; the longest matching prefix wins, the console's own shape when none matches.
_SHAPES: dict[str, Shape] = {"/v1": _openai_shape}


def register_shape(prefix: str, shape: Shape) -> None:
    """Errors under `prefix` (a path or a path and what is below it) answer in `shape`: e.g. Dify's /v1/datasets."""
    _SHAPES[prefix.rstrip("/")] = shape


def shaped(path: str, status: int, code: str, message: str, details: Any = None) -> tuple[int, dict[str, Any]]:
    """The status and body of an error at `path`, in the shape the API there speaks."""
    for prefix in sorted(_SHAPES, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "/"):
            return _SHAPES[prefix](status, code, message, details)
    return status, error_body(code, message, details)


def respond(
    request: Request, status: int, code: str, message: str, details: Any = None, **headers: str
) -> JSONResponse:
    """The error response in the shape the caller's API speaks."""
    status, body = shaped(request.url.path, status, code, message, details)
    return JSONResponse(body, status_code=status, headers=headers or None)


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
    if not request.url.path.startswith("/v1/"):
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
