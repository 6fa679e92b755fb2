"""Tables of the knowledge domain: knowledge bases, their documents, and chunks with vectors and search tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from hezi.db.base import Base, Timestamped, new_id, utcnow


class KnowledgeBase(Timestamped, Base):
    __tablename__ = "knowledge_bases"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_knowledge_bases_workspace_id_name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    embedding_model: Mapped[str] = mapped_column(String(200), nullable=False)
    dims: Mapped[int] = mapped_column(Integer, nullable=False)
    # How documents are cut: {"mode": "automatic" | "custom" | "parent_child", ...} (hezi.knowledge.chunking).
    chunking: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    # Default retrieval settings (mode, top_k, score_threshold, weights, rerank_model) for callers that name none.
    retrieval: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict, server_default="{}")
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, server_default=func.now()
    )
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    # Dify's built-in metadata (document_name, uploader, upload_date, last_update_date, source) written into the
    # documents' metadata while this is on (knowledge/metadata_fields.py).
    built_in_metadata: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="false")


class MetadataField(Timestamped, Base):
    """A metadata key declared on a knowledge base with its type: what Dify's metadata API lists and types values by.
    Values stay in documents.metadata under the field's name, where retrieval filters read them."""

    __tablename__ = "knowledge_metadata_fields"
    __table_args__ = (
        UniqueConstraint("knowledge_base_id", "name", name="uq_knowledge_metadata_fields_knowledge_base_id_name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    knowledge_base_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("knowledge_bases.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    type: Mapped[str] = mapped_column(String(8), nullable=False)  # string | number | time (unix seconds)


class Document(Timestamped, Base):
    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_metadata", "metadata", postgresql_using="gin"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    knowledge_base_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("knowledge_bases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # upload | text | url | qa
    source_url: Mapped[str | None] = mapped_column(Text)
    # Documents added in one request share a batch (Dify's indexing-status is asked per batch).
    batch: Mapped[str | None] = mapped_column(String(32), index=True)
    # Free key → value pairs callers filter retrieval by (e.g. {"department": "HR", "year": 2025}).
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONB, nullable=False, default=dict, server_default="{}"
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    file_path: Mapped[str] = mapped_column(Text, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default="queued"
    )  # queued|parsing|embedding|ready|failed
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(64))
    chunks_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    chunks_embedded: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class Chunk(Base):
    """A piece of a document: its text, where it came from, its search tokens and its vector."""

    __tablename__ = "chunks"
    __table_args__ = (
        UniqueConstraint("document_id", "ordinal", name="uq_chunks_document_id_ordinal"),
        Index("ix_chunks_tokens", "tokens", postgresql_using="gin"),
        Index("ix_chunks_knowledge_base_id_dims", "knowledge_base_id", "dims"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False)
    knowledge_base_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("knowledge_bases.id", ondelete="CASCADE"), nullable=False
    )
    ordinal: Mapped[int] = mapped_column(Integer, nullable=False)
    parent_ordinal: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, nullable=False)  # what is embedded; the question of a Q&A pair
    answer: Mapped[str | None] = mapped_column(Text)  # the answer of a Q&A pair, returned with its question
    section: Mapped[str] = mapped_column(Text, nullable=False, default="")
    page_start: Mapped[int | None] = mapped_column(Integer)
    page_end: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # jieba tokens of Chinese and lower-cased words of other text, under PostgreSQL's `simple` configuration.
    tokens: Mapped[Any] = mapped_column(TSVECTOR, nullable=False)
    # No fixed dimension: HNSW indexes are partial, one per dimension (decision 0007).
    embedding: Mapped[Any] = mapped_column(Vector(), nullable=True)
    dims: Mapped[int] = mapped_column(Integer, nullable=False)


class ChunkParent(Base):
    """Parent–child knowledge bases: the passage a child chunk came from, returned with a hit on the child."""

    __tablename__ = "chunk_parents"

    document_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)


class KnowledgeTerm(Base):
    """How many chunks of a knowledge base contain a search term: the document frequency full-text ranking weighs
    terms by (a term in most chunks, such as the product's own name, says little about which chunk is meant)."""

    __tablename__ = "knowledge_terms"

    knowledge_base_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("knowledge_bases.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(Text, primary_key=True)
    df: Mapped[int] = mapped_column(Integer, nullable=False)
