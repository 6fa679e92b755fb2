"""Dify's error shape, {"code", "message", "status"}, with Dify's codes: what its dataset clients test for.

hezi's domain errors keep their own messages; their codes become Dify's — by the specific hezi code where Dify has
a counterpart (a taken name is `dataset_name_duplicate`), otherwise by HTTP status, as Dify derives a code from its
exception class (404 `not_found`, 403 `forbidden`…).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from hezi.api.shapes import ErrorShape

# Codes Dify's knowledge API answers with: an error raised with one of them keeps it.
DIFY_CODES = frozenset({
    "bad_request", "invalid_param", "unauthorized", "forbidden", "not_found", "no_file_uploaded", "too_many_files",
    "file_too_large", "unsupported_file_type", "file_not_found", "dataset_name_duplicate", "dataset_not_initialized",
    "document_indexing", "archived_document_immutable", "invalid_action", "high_quality_dataset_only",
    "app_unavailable", "conversation_not_exists", "completion_request_error", "provider_quota_exceeded",
    "message_not_exists", "first_message_not_exists", "not_chat_app", "not_workflow_app",
})  # fmt: skip

_BY_HEZI_CODE: dict[str, tuple[int, str]] = {
    "knowledge_base_name_taken": (409, "dataset_name_duplicate"),
    "malformed_json": (400, "bad_request"),
    "validation_error": (400, "invalid_param"),  # Dify reports a bad field as 400 with `params` naming it
    "model_not_found": (400, "invalid_param"),  # an unknown embedding or rerank model is a bad parameter in Dify
    "wrong_model_kind": (400, "invalid_param"),
    # Dify's InvokeRateLimitHttpError: an app or key past its requests per minute or tokens per day.
    "rate_limited": (429, "rate_limit_error"),
}

_BY_STATUS = {
    400: "invalid_param",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "file_too_large",
    415: "unsupported_file_type",
    422: "invalid_param",
    429: "too_many_requests",
    500: "internal_server_error",
    503: "service_unavailable",
}


class DifyErrorBody(BaseModel):
    code: str
    message: str
    status: int
    params: str | None = None


def dify_shape(status: int, code: str, message: str, details: Any) -> tuple[int, dict[str, Any]]:
    """(status, code, message, details) → Dify's status and body."""
    if code in DIFY_CODES:
        dify_code = code
    elif code in _BY_HEZI_CODE:
        status, dify_code = _BY_HEZI_CODE[code]
    else:
        status = 400 if status == 422 else status
        dify_code = _BY_STATUS.get(status, "unknown")
    body: dict[str, Any] = {"code": dify_code, "message": message, "status": status}
    if dify_code == "invalid_param" and isinstance(details, list) and details and isinstance(details[0], dict):
        where = [str(p) for p in details[0].get("loc", ()) if p not in ("body", "query", "path")]
        if where:
            body["params"] = ".".join(where)
    return status, body


# Dify's APIs (the dataset API here, the app API to come) declare it: `APIRouter(route_class=DIFY.route_class)`.
# Dify streams an error as an event of its own kind: `data: {"event": "error", "code", "message", "status"}`.
DIFY = ErrorShape(
    "dify",
    dify_shape,
    stream_fields={"event": "error"},
    model=DifyErrorBody,
    statuses={
        400: "Bad request (invalid_param, no_file_uploaded…)", 401: "unauthorized", 403: "forbidden",
        404: "not_found", 409: "dataset_name_duplicate", 413: "file_too_large", 415: "unsupported_file_type",
        429: "too_many_requests", "4XX": "Other client errors (never 422: invalid fields are 400 invalid_param)",
    },
)  # fmt: skip
