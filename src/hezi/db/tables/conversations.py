"""Tables of the conversations domain: conversations with an agent, and their messages as a tree (a regenerated
answer or an edited question is a sibling of the one it replaces, which is kept)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hezi.db.base import Base, Timestamped, new_id, utcnow


class Conversation(Timestamped, Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_owner", "workspace_id", "user_id", "updated_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    agent_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # None: the builder's preview of the draft; else the published version it talks to.
    agent_version: Mapped[int | None] = mapped_column(Integer)
    # A console user, or (for published apps) none and an end user named by `end_user`.
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    app_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    end_user: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    # "auto" until a person renames it: an auto title may be replaced, a chosen one never.
    title_source: Mapped[str] = mapped_column(String(8), nullable=False, default="auto")
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    # A chatflow's conversation variables as its turns left them (hezi.workflows.graph.ConversationVar).
    variables: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict, server_default="{}")
    # The newest message of the branch being shown; the history is its chain of parents.
    head_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow, onupdate=utcnow, nullable=False
    )


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_created", "conversation_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    )
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("messages.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), nullable=False)  # user | assistant
    content: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="ok")  # ok | error | stopped | paused
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # {"code", "message"}
    # Tool steps of the answer: [{index, tool, arguments, result, error, elapsed_ms, tokens}].
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    # Files attached to a question: [{id, name, size, chars}] (their text went into the context).
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    suggested: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    model: Mapped[str | None] = mapped_column(String(200))
    prompt_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    # The app annotation given as this answer instead of the model's (apps' annotation reply), if one was.
    annotation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("app_annotations.id", ondelete="SET NULL"), index=True
    )
    # The workflow run that gave this answer (a chatflow's turn), if one did.
    workflow_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("workflow_runs.id", ondelete="SET NULL"))
    # The human-input form a paused chatflow answer waits on: {node_id, title, form_content, inputs, user_actions}.
    form: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    rating: Mapped[str | None] = mapped_column(String(8))  # like | dislike
    feedback: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


class ChatFile(Base):
    """A file attached in chat: kept as the text its parser extracted, for the question it is sent with."""

    __tablename__ = "chat_files"
    __table_args__ = (Index("ix_chat_files_app_end_user", "app_id", "end_user"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    # A file an app's end user uploaded (Dify's /v1/files/upload): theirs alone, like their conversations.
    app_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("apps.id", ondelete="CASCADE"))
    end_user: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
