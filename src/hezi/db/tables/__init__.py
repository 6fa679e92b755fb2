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
from hezi.db.tables.agents import Agent, AgentVersion, ToolProvider
from hezi.db.tables.annotations import AppAnnotation, AppAnnotationSetting
from hezi.db.tables.apps import App, AppRelease
from hezi.db.tables.conversations import ChatFile, Conversation, Message
from hezi.db.tables.hardware import HardwareSample
from hezi.db.tables.knowledge import Chunk, ChunkParent, Document, KnowledgeBase, KnowledgeTerm, MetadataField
from hezi.db.tables.knowledge_tags import KnowledgeBaseTag, KnowledgeTag
from hezi.db.tables.serving import Deployment, Model, Provider, UsageRecord
from hezi.db.tables.workflows import WorkflowNodeRun, WorkflowRun

__all__ = [
    "Agent",
    "AgentVersion",
    "ApiKey",
    "App",
    "AppAnnotation",
    "AppAnnotationSetting",
    "AppRelease",
    "AuditEntry",
    "ChatFile",
    "Chunk",
    "ChunkParent",
    "Conversation",
    "Deployment",
    "Document",
    "HardwareSample",
    "KnowledgeBase",
    "KnowledgeBaseTag",
    "KnowledgeTag",
    "KnowledgeTerm",
    "LoginFailure",
    "Membership",
    "Message",
    "MetadataField",
    "Model",
    "Provider",
    "RateCounter",
    "Session",
    "ToolProvider",
    "UsageRecord",
    "User",
    "WorkflowNodeRun",
    "WorkflowRun",
    "Workspace",
]
