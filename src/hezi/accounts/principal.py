"""Who is calling: a signed-in user (session) or an API key acting for its user in one workspace."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from hezi.db.tables import User


@dataclass(frozen=True)
class Principal:
    user: User
    via: Literal["session", "api_key"]
    credential_id: uuid.UUID
    # An API key works only inside the workspace it was created in.
    key_workspace_id: uuid.UUID | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def user_id(self) -> uuid.UUID:
        return self.user.id

    @property
    def is_session(self) -> bool:
        return self.via == "session"


@dataclass(frozen=True)
class Caller:
    """A principal plus where the request came from, for the audit log."""

    principal: Principal
    ip: str | None = None
