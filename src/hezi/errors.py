"""Base classes for domain errors. Domains raise subclasses; api/errors.py maps each kind to HTTP once."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An error a user can act on. `code` is stable and machine-readable; `message` is for people."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class InvalidInput(DomainError):
    code = "invalid_input"


class Unauthenticated(DomainError):
    code = "not_authenticated"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class TooManyRequests(DomainError):
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None, details: Any = None) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """Temporarily cannot serve (a dependency is starting or restarting); retrying later may work."""

    code = "unavailable"


class TooLarge(DomainError):
    code = "payload_too_large"


class Unprocessable(InvalidInput):
    """Well-formed, but what it names cannot be used: a document that is not OpenAPI 3, a server that cannot be
    reached (HTTP 422, like a field that fails validation)."""

    code = "unprocessable"


class UnsupportedType(InvalidInput):
    """A kind of content hezi does not accept (HTTP 415)."""

    code = "unsupported_media_type"
