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
        default=None, description="a deployed embedding model; default: the bundled multilingual-e5-small"
    )
    chunking: dict[str, Any] = Field(default_factory=lambda: {"mode": "automatic"})
    retrieval: RetrievalSettings | None = None


class KnowledgeBaseUpdate(BaseModel):
    """Changing the embedding model re-indexes every chunk in the background; chunking applies to new documents."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    embedding_model: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    chunking: dict[str, Any] | None = None
    retrieval: RetrievalSettings | None = None


class KnowledgeBasePublic(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    embedding_model: str
    dims: int
    chunking: dict[str, Any]
    retrieval: RetrievalSettings
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
    metadata: dict[str, Any] | None = Field(default=None, description="key → string, number or boolean")


class UrlDocumentCreate(BaseModel):
    """A page or file fetched from the web (through the egress guard) when the request is made."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)] | None = None
    metadata: dict[str, Any] | None = Field(default=None, description="key → string, number or boolean")


class DocumentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metadata: dict[str, Any] = Field(description="replaces the document's metadata: key → string, number or boolean")


class DocumentPublic(BaseModel):
    id: uuid.UUID
    name: str
    source: str  # upload | text | url | qa
    source_url: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
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


Mode = Literal["vector", "full_text", "hybrid"]
MetadataValue = str | int | float | bool


class MetadataCondition(BaseModel):
    """One test on a document's metadata; a retrieval's conditions must all hold (or one, with filters_match "any")."""

    model_config = ConfigDict(extra="forbid")

    key: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    op: Literal[
        "eq", "ne", "in", "not_in", "contains", "not_contains", "starts_with", "ends_with", "gt", "gte", "lt", "lte",
        "exists", "not_exists",
    ] = "eq"  # fmt: skip
    value: MetadataValue | list[MetadataValue] | None = None


class RetrievalSettings(BaseModel):
    """How to search: asked per request, or stored on a knowledge base as the default for callers that name none."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = "hybrid"
    top_k: Annotated[int, Field(ge=1, le=100)] = 5
    # Vector scores are cosine similarities (-1…1), full-text scores the idf-weighted share of the question's terms
    # a chunk contains scaled by their proximity (0…1), hybrid scores RRF sums (rrf) or the weighted sum of the
    # relative cosine and the text score (weighted, 0…1); a rerank score replaces the score when a reranker ran.
    score_threshold: Annotated[float, Field(ge=-1)] | None = None
    # Weighted by default: both scores are 0…1 and say how well a chunk matches, which rank fusion throws away;
    # on the Debian FAQ it is the only fusion at least as good as the better mode alone in every case (bench).
    fusion: Literal["rrf", "weighted"] = "weighted"
    vector_weight: Annotated[float, Field(ge=0, le=1)] = Field(
        default=0.5,
        description="weighted fusion: score = w × vector + (1 − w) × full text (the vector score relative to the "
        "question's vector ranking), w raised for a question whose words the knowledge base mostly lacks (0 and 1 "
        "are kept as they are)",
    )
    rerank_model: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="a deployed reranker or provider/model; reorders the fused candidates"
    )


class RetrieveRequest(RetrievalSettings):
    """Settings not given here come from the knowledge base's stored retrieval defaults."""

    query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    filters: list[MetadataCondition] = Field(default_factory=list, max_length=20)
    filters_match: Literal["all", "any"] = Field(default="all", description="all filters must hold, or any one")


class HitScores(BaseModel):
    """Each mode's own score for a hit, so hit testing shows why it ranked where it did; None = not computed."""

    vector: float | None = Field(
        default=None,
        description="vector mode: the cosine similarity; hybrid: the cosine relative to the question's vector ranking "
        "(0 at its 20th best hit or below, 1 for an identical text), what weighted fusion mixes",
    )
    full_text: float | None = None
    rerank: float | None = None


class RetrievedChunk(BaseModel):
    chunk_id: int
    document_id: uuid.UUID
    document_name: str
    ordinal: int
    text: str
    answer: str | None = None
    # Parent–child knowledge bases: the parent passage the matched child belongs to (what a prompt should quote).
    parent_text: str | None = None
    section: str
    page_start: int | None
    page_end: int | None
    metadata: dict[str, Any] = Field(default_factory=dict)
    score: float
    scores: HitScores


class RetrieveResponse(BaseModel):
    query: str
    mode: str
    vector_weight: float | None = Field(
        default=None,
        description="weighted hybrid: the vector weight this query was fused with — the asked one, raised when the "
        "knowledge base lacks most of the question's words (a question in another language than the documents)",
    )
    data: list[RetrievedChunk]


class RetrievalHit(RetrievedChunk):
    """A passage found by the Retriever, with what a citation shows: `position` is its number in the answer's
    sources ([1], [2]…), and the knowledge base it came from is named beside its document."""

    model_config = ConfigDict(frozen=True)

    position: int = Field(description="1-based rank across every knowledge base searched: the [n] of a citation")
    knowledge_base_id: uuid.UUID
    knowledge_base_name: str

    @property
    def passage(self) -> str:
        """What a prompt should quote: the parent passage if there is one, else the chunk, with a Q&A answer."""
        body = self.parent_text or self.text
        return f"{body}\n{self.answer}" if self.answer else body


class Retrieval(BaseModel):
    """What the Retriever found for one question, best first."""

    model_config = ConfigDict(frozen=True)

    query: str
    hits: list[RetrievalHit]
    vector_weights: dict[str, float] = Field(
        default_factory=dict,
        description="weighted hybrid: embedding model → the vector weight its knowledge bases' hits were fused with",
    )


class ChunkPublic(BaseModel):
    id: int
    ordinal: int
    text: str
    answer: str | None = None  # Q&A chunks: `text` is the question (what is embedded), this the answer
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
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)] | None = None
    enabled: bool | None = None


class ChunkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)] | None = None


KnowledgeBaseCreate.model_rebuild()
KnowledgeBaseUpdate.model_rebuild()
KnowledgeBasePublic.model_rebuild()
