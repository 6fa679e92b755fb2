"""Tags of a workspace's knowledge bases (Dify's "knowledge tags"): a name per workspace, bound to many bases."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from hezi.db.base import Base, Timestamped, new_id, utcnow


class KnowledgeTag(Timestamped, Base):
    __tablename__ = "knowledge_tags"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_knowledge_tags_workspace_id_name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))


class KnowledgeBaseTag(Base):
    """A tag bound to a knowledge base; goes with either of them."""

    __tablename__ = "knowledge_base_tags"

    tag_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("knowledge_tags.id", ondelete="CASCADE"), primary_key=True
    )
    knowledge_base_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("knowledge_bases.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
