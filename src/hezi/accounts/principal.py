"""Who is calling: a signed-in user (session), a key acting for its user or for one app, or an app's visitor."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from hezi.accounts.errors import InsufficientScope, PermissionDenied
from hezi.db.tables import User

Via = Literal["session", "api_key", "app_key"]


@dataclass(frozen=True)
class RateLimits:
    """What one key (or app) may use; None is unlimited."""

    rpm: int | None = None
    tokens_per_day: int | None = None

    @property
    def unlimited(self) -> bool:
        return self.rpm is None and self.tokens_per_day is None


@dataclass(frozen=True)
class Principal:
    # For an app key: the user who created it, to whom its usage is attributed. A detached row, shared by every
    # request of a cached key (key_cache): read it; never change it or add it to a session.
    user: User
    via: Via
    credential_id: uuid.UUID
    # A key works only inside the workspace it was created in.
    key_workspace_id: uuid.UUID | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    # An app key works only on this app's API.
    app_id: uuid.UUID | None = None
    limits: RateLimits = field(default_factory=RateLimits)

    @property
    def user_id(self) -> uuid.UUID:
        return self.user.id

    @property
    def is_session(self) -> bool:
        return self.via == "session"

    @property
    def is_key(self) -> bool:
        return self.via in ("api_key", "app_key")

    @property
    def api_key_id(self) -> uuid.UUID | None:
        """The key a request came with (user or app key), for usage attribution; None for a session."""
        return self.credential_id if self.is_key else None

    def require_scope(self, scope: str, *, sessions: bool = True) -> None:
        """A key must carry `scope`; a session passes when `sessions` allows it (sessions have no scopes)."""
        if self.is_session:
            if not sessions:
                raise PermissionDenied(
                    f"This API takes a workspace API key with the '{scope}' scope, not a session.",
                    code="api_key_required",
                )
            return
        if scope not in self.scopes:
            raise InsufficientScope(f"This API key does not have the '{scope}' scope.")


@dataclass(frozen=True)
class Caller:
    """A principal plus where the request came from, for the audit log."""

    principal: Principal
    ip: str | None = None


@dataclass(frozen=True)
class AppVisitor:
    """Someone using a published web app through its share link, without an account.

    `visitor_id` is opaque and stable for one browser (it comes back in a signed cookie, see `visitors`); it keys
    the visitor's conversations and rate limits, and names nobody.
    """

    visitor_id: str
    app_id: uuid.UUID
    workspace_id: uuid.UUID
