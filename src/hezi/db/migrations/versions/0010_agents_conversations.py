"""agents and conversations: agents with drafts and published versions, tool providers, conversations as a tree
of messages, and files attached in chat

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def _workspace() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("workspace_id", sa.Uuid(), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False)


def _creator() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


def upgrade() -> None:
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    op.create_table(
        "agents",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _workspace(),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("icon", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("config", jsonb, nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        _creator(),
        *_timestamps(),
        sa.UniqueConstraint("workspace_id", "name", name="uq_agents_workspace_id_name"),
    )
    op.create_index(op.f("ix_agents_workspace_id"), "agents", ["workspace_id"])
    op.create_table(
        "agent_versions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("agent_id", sa.Uuid(), sa.ForeignKey("agents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("icon", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("config", jsonb, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _creator(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("agent_id", "version", name="uq_agent_versions_agent_id_version"),
    )
    op.create_index(op.f("ix_agent_versions_agent_id"), "agent_versions", ["agent_id"])
    op.create_table(
        "tool_providers",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _workspace(),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("config", jsonb, nullable=False),
        sa.Column("auth", jsonb, nullable=False),
        sa.Column("secret_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("tools", jsonb, nullable=False),
        _creator(),
        *_timestamps(),
        sa.UniqueConstraint("workspace_id", "name", name="uq_tool_providers_workspace_id_name"),
    )
    op.create_index(op.f("ix_tool_providers_workspace_id"), "tool_providers", ["workspace_id"])
    op.create_table(
        "conversations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _workspace(),
        sa.Column("agent_id", sa.Uuid(), sa.ForeignKey("agents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("agent_version", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("app_id", sa.Uuid(), nullable=True),
        sa.Column("end_user", sa.String(length=255), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("title_source", sa.String(length=8), nullable=False),
        sa.Column("inputs", jsonb, nullable=False),
        sa.Column("head_id", sa.Uuid(), nullable=True),
        *_timestamps(),
    )
    op.create_index(op.f("ix_conversations_agent_id"), "conversations", ["agent_id"])
    op.create_index(op.f("ix_conversations_app_id"), "conversations", ["app_id"])
    op.create_index("ix_conversations_owner", "conversations", ["workspace_id", "user_id", "updated_at"])
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("conversation_id", sa.Uuid(), sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("parent_id", sa.Uuid(), sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", jsonb, nullable=True),
        sa.Column("steps", jsonb, nullable=False),
        sa.Column("citations", jsonb, nullable=False),
        sa.Column("files", jsonb, nullable=False),
        sa.Column("suggested", jsonb, nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("rating", sa.String(length=8), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_messages_conversation_created", "messages", ["conversation_id", "created_at"])
    op.create_table(
        "chat_files",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _workspace(),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(op.f("ix_chat_files_workspace_id"), "chat_files", ["workspace_id"])


def downgrade() -> None:
    for table in ("chat_files", "messages", "conversations", "tool_providers", "agent_versions", "agents"):
        op.drop_table(table)
