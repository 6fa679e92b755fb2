"""Errors of the accounts domain."""

from __future__ import annotations

from hezi.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests, Unauthenticated


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"


class NotAuthenticated(Unauthenticated):
    code = "not_authenticated"


class TooManyLoginAttempts(TooManyRequests):
    code = "too_many_attempts"


class RateLimited(TooManyRequests):
    """A key or app went past its requests per minute or tokens per day; `retry_after` says when it may again."""

    code = "rate_limited"


class InvalidVisitorToken(Unauthenticated):
    code = "invalid_visitor_token"


class PermissionDenied(Forbidden):
    code = "forbidden"


class SessionRequired(Forbidden):
    code = "session_required"


class InsufficientScope(Forbidden):
    code = "insufficient_scope"


class UserNotFound(NotFound):
    code = "user_not_found"


class WorkspaceNotFound(NotFound):
    code = "workspace_not_found"


class MemberNotFound(NotFound):
    code = "member_not_found"


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"


class UsernameTaken(Conflict):
    code = "username_taken"


class AlreadyMember(Conflict):
    code = "already_member"


class LastOwner(Conflict):
    code = "last_owner"


class DefaultWorkspace(Conflict):
    code = "default_workspace"


class WeakPassword(InvalidInput):
    code = "weak_password"


class WrongPassword(InvalidInput):
    code = "wrong_password"
