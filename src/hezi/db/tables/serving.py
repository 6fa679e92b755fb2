"""Tables of the serving domain: models, their deployments, remote providers, usage records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hezi.db.base import Base, Timestamped, new_id, utcnow


class Model(Timestamped, Base):
    """A local model file (GGUF) known to the box. Models are box-wide: every workspace may use them."""

    __tablename__ = "models"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # The name API clients put in "model".
    name: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # chat | embedding
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # bundled | path | upload
    path: Mapped[str] = mapped_column(Text, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))


class Deployment(Timestamped, Base):
    """How a model is run: one per model; `desired` is what the supervisor converges to."""

    __tablename__ = "deployments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    model_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("models.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    context_size: Mapped[int] = mapped_column(Integer, nullable=False)
    threads: Mapped[int] = mapped_column(Integer, nullable=False)
    gpu_layers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    device: Mapped[str] = mapped_column(String(16), nullable=False, default="cpu")  # cpu | cuda:N
    parallel: Mapped[int] = mapped_column(Integer, nullable=False)
    replicas: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # Sequences kept for published apps' prompts (system prompt + tools), beside the `parallel` ones; chat only.
    pinned_prefixes: Mapped[int] = mapped_column(Integer, nullable=False, default=2, server_default="2")
    # One KV pool for all sequences (decision 0024): shared prefixes cost nothing, many users decode faster.
    kv_unified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="false")
    desired: Mapped[str] = mapped_column(String(16), nullable=False, default="running")  # running | stopped
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class Provider(Timestamped, Base):
    """A remote OpenAI-compatible endpoint of one workspace. The key is encrypted at rest."""

    __tablename__ = "providers"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_providers_workspace_id_name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    base_url: Mapped[str] = mapped_column(Text, nullable=False)
    api_key_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The provider's model ids exposed through the gateway, as "<provider name>/<model id>".
    models: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)


class UsageRecord(Base):
    """One gateway request: who, which model, tokens and latency."""

    __tablename__ = "usage_records"
    __table_args__ = (
        Index("ix_usage_records_workspace_at", "workspace_id", "at"),
        Index("ix_usage_records_model_at", "model", "at"),
        Index("ix_usage_records_app_at", "app_id", "at", postgresql_where=text("app_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("workspaces.id", ondelete="SET NULL"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("api_keys.id", ondelete="SET NULL"))
    model: Mapped[str] = mapped_column(String(200), nullable=False)
    endpoint: Mapped[str] = mapped_column(String(32), nullable=False)  # chat | completion | embedding | knowledge
    prompt_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    ttft_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32), nullable=False, default="ok")
    # What the call was made for, when hezi made it itself (an app, a conversation, a workflow run); no foreign
    # keys: usage outlives what it was for.
    app_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
