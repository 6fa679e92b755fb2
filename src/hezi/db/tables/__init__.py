"""Every table, imported here so Base.metadata is complete for Alembic."""

from hezi.db.tables.accounts import ApiKey, AuditEntry, LoginFailure, Membership, Session, User, Workspace

__all__ = ["ApiKey", "AuditEntry", "LoginFailure", "Membership", "Session", "User", "Workspace"]
