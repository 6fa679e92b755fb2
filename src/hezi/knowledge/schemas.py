"""API shapes of the knowledge domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class KnowledgeBaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    embedding_model: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="a deployed embedding model; default: the bundled all-minilm-l6-v2"
    )
    chunking: dict[str, Any] = Field(default_factory=lambda: {"mode": "automatic"})


class KnowledgeBasePublic(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    embedding_model: str
    dims: int
    chunking: dict[str, Any]
    documents: int
    chunks: int
    created_at: datetime


class KnowledgeBasesPublic(BaseModel):
    data: list[KnowledgeBasePublic]
    count: int


class TextDocumentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=5_000_000)]


class DocumentPublic(BaseModel):
    id: uuid.UUID
    name: str
    source: str
    size_bytes: int
    status: Literal["queued", "parsing", "embedding", "ready", "failed"]
    error: str | None
    error_code: str | None
    chunks_total: int
    chunks_embedded: int
    created_at: datetime
    updated_at: datetime


class DocumentsPublic(BaseModel):
    data: list[DocumentPublic]
    count: int


class RetrieveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    mode: Literal["vector", "full_text", "hybrid"] = "hybrid"
    top_k: Annotated[int, Field(ge=1, le=100)] = 5
    # Vector scores are cosine similarities (-1…1), full-text scores ts_rank_cd (≥ 0), hybrid scores RRF sums.
    score_threshold: Annotated[float, Field(ge=-1)] | None = None


class RetrievedChunk(BaseModel):
    document_id: uuid.UUID
    document_name: str
    ordinal: int
    text: str
    section: str
    page_start: int | None
    page_end: int | None
    score: float


class RetrieveResponse(BaseModel):
    query: str
    mode: str
    data: list[RetrievedChunk]


class ChunkPublic(BaseModel):
    id: int
    ordinal: int
    text: str
    section: str
    page_start: int | None
    page_end: int | None
    enabled: bool
    embedded: bool


class ChunksPublic(BaseModel):
    data: list[ChunkPublic]
    count: int


class ChunkUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)] | None = None
    enabled: bool | None = None


class ChunkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
