"""Every table, imported here so Base.metadata is complete for Alembic."""

from hezi.db.tables.accounts import (
    ApiKey,
    AuditEntry,
    LoginFailure,
    Membership,
    RateCounter,
    Session,
    User,
    Workspace,
)
from hezi.db.tables.hardware import HardwareSample
from hezi.db.tables.knowledge import Chunk, ChunkParent, Document, KnowledgeBase, KnowledgeTerm
from hezi.db.tables.serving import Deployment, Model, Provider, UsageRecord

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Chunk",
    "ChunkParent",
    "Deployment",
    "Document",
    "HardwareSample",
    "KnowledgeBase",
    "KnowledgeTerm",
    "LoginFailure",
    "Membership",
    "Model",
    "Provider",
    "RateCounter",
    "Session",
    "UsageRecord",
    "User",
    "Workspace",
]
