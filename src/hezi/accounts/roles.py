"""Workspace roles and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    MEMBER = "member"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANK = {Role.MEMBER: 0, Role.EDITOR: 1, Role.ADMIN: 2, Role.OWNER: 3}

# Who may do what inside a workspace; the service checks these, the UI only mirrors them.
MANAGE_MEMBERS = Role.ADMIN
MANAGE_API_KEYS = Role.ADMIN
# An app's keys belong to whoever may edit the app.
MANAGE_APP_KEYS = Role.EDITOR
READ_AUDIT = Role.ADMIN
RENAME_WORKSPACE = Role.ADMIN
DELETE_WORKSPACE = Role.OWNER
