"""Tables of the apps domain: an app serves one published version of an agent through the channels its owner opens
(web app, widget, Dify-style API, OpenAI model, MCP server), and every switch of that version is kept, so rolling back
is one step."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hezi.db.base import Base, Timestamped, new_id, utcnow


class App(Timestamped, Base):
    __tablename__ = "apps"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, index=True
    )
    agent_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # The published agent version every channel serves; changed only through a release (app_releases).
    agent_version: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    # Unique on the box: the app is the OpenAI model `app-{slug}` and its MCP endpoint is named by it.
    slug: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # The web app's address, /app/{token}: unguessable, so an unlisted app is not found by walking slugs.
    token: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    channels: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    access: Mapped[str] = mapped_column(String(16), nullable=False, default="public")  # public | password | workspace
    password_hash: Mapped[str | None] = mapped_column(String(255))
    allowed_origins: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    rate_limit_rpm: Mapped[int | None] = mapped_column(Integer)
    token_limit_per_day: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow, onupdate=utcnow, nullable=False
    )


class AppRelease(Base):
    """One switch of an app's version: the first release, each later one, each rollback."""

    __tablename__ = "app_releases"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False, index=True
    )
    agent_version: Mapped[int] = mapped_column(Integer, nullable=False)
    rollback: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
