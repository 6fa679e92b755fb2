"""Dify's knowledge-API wire format: request bodies (unknown fields ignored, as Dify does) and response shapes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SearchMethod = Literal["semantic_search", "full_text_search", "hybrid_search", "keyword_search"]
DocForm = Literal["text_model", "hierarchical_model", "qa_model"]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


class DifyRequest(BaseModel):
    # Dify's clients send fields hezi has no use for (doc_language, tags, summary settings…); they are ignored.
    model_config = ConfigDict(extra="ignore")


# --- requests ---------------------------------------------------------------------------------------------------


class RerankingModel(DifyRequest):
    reranking_provider_name: str | None = None
    reranking_model_name: str | None = None


class VectorSetting(DifyRequest):
    vector_weight: Annotated[float, Field(ge=0, le=1)]


class Weights(DifyRequest):
    vector_setting: VectorSetting | None = None


class MetadataConditionIn(DifyRequest):
    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    comparison_operator: str  # Dify's: "contains", "is", "=", "≥", "before", "in"… (conditions.py maps them)
    value: str | int | float | list[str | int | float] | None = None


class MetadataFilteringConditions(DifyRequest):
    logical_operator: Literal["and", "or"] = "and"
    conditions: Annotated[list[MetadataConditionIn], Field(max_length=20)] = Field(default_factory=list)


class RetrievalModel(DifyRequest):
    search_method: SearchMethod = "semantic_search"
    reranking_enable: bool | None = False
    reranking_mode: str | None = None  # "reranking_model" | "weighted_score"
    reranking_model: RerankingModel | None = None
    weights: Weights | None = None
    top_k: Annotated[int, Field(ge=1, le=100)] | None = None
    score_threshold_enabled: bool | None = False
    score_threshold: float | None = None
    metadata_filtering_conditions: MetadataFilteringConditions | None = None


class DatasetCreate(DifyRequest):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    description: Annotated[str, StringConstraints(max_length=2000)] | None = ""
    indexing_technique: Literal["high_quality", "economy"] | None = None
    permission: Literal["only_me", "all_team_members", "partial_members"] | None = "only_me"
    provider: Literal["vendor"] = "vendor"  # external knowledge bases are not offered
    embedding_model: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    embedding_model_provider: str | None = None
    retrieval_model: RetrievalModel | None = None


class DatasetUpdate(DifyRequest):
    """PATCH /datasets/{id}: only what is sent changes."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)] | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    indexing_technique: Literal["high_quality", "economy"] | None = None
    permission: Literal["only_me", "all_team_members", "partial_members"] | None = None
    embedding_model: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    embedding_model_provider: str | None = None
    retrieval_model: RetrievalModel | None = None
    partial_member_list: list[Any] | None = None  # accepted; every member may search (see `permission`)


class Segmentation(DifyRequest):
    separator: Annotated[str, StringConstraints(max_length=100)] = "\n"
    max_tokens: Annotated[int, Field(ge=1, le=8000)] = 500
    chunk_overlap: Annotated[int, Field(ge=0)] = 0


class ProcessRules(DifyRequest):
    pre_processing_rules: list[dict[str, Any]] | None = None
    segmentation: Segmentation | None = None
    parent_mode: Literal["full-doc", "paragraph"] | None = None
    subchunk_segmentation: Segmentation | None = None


class ProcessRule(DifyRequest):
    mode: Literal["automatic", "custom", "hierarchical"] = "automatic"
    rules: ProcessRules | None = None


class DocumentOptions(DifyRequest):
    """What create-by-text takes beside name and text, and create-by-file in its `data` JSON string."""

    indexing_technique: Literal["high_quality", "economy"] | None = None
    doc_form: DocForm = "text_model"
    doc_language: str | None = None
    process_rule: ProcessRule | None = None
    retrieval_model: RetrievalModel | None = None
    embedding_model: str | None = None
    embedding_model_provider: str | None = None
    original_document_id: str | None = None


class DifyTextDocument(DocumentOptions):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=5_000_000)]


class SegmentIn(DifyRequest):
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    answer: Text | None = None
    keywords: list[str] | None = None


class SegmentsCreate(DifyRequest):
    segments: Annotated[list[SegmentIn], Field(min_length=1, max_length=100)]


class SegmentPatch(DifyRequest):
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)] | None = None
    answer: Text | None = None
    keywords: list[str] | None = None
    enabled: bool | None = None


class SegmentUpdate(DifyRequest):
    segment: SegmentPatch


class RetrieveBody(DifyRequest):
    query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    retrieval_model: RetrievalModel | None = None


# --- responses --------------------------------------------------------------------------------------------------


class RerankingModelOut(BaseModel):
    reranking_provider_name: str = ""
    reranking_model_name: str = ""


class RetrievalModelDict(BaseModel):
    search_method: SearchMethod
    reranking_enable: bool
    reranking_mode: str | None
    reranking_model: RerankingModelOut
    weights: dict[str, Any] | None
    top_k: int
    score_threshold_enabled: bool
    score_threshold: float | None


class DatasetTag(BaseModel):
    id: str
    name: str
    type: str = "knowledge"


class MetadataFieldOut(BaseModel):
    id: str
    name: str
    type: str


class DocumentMetadataValue(MetadataFieldOut):
    value: str | int | float | bool | None


class Dataset(BaseModel):
    id: str
    name: str
    description: str | None
    provider: str = "vendor"
    permission: str
    data_source_type: str | None
    indexing_technique: str
    app_count: int = 0
    document_count: int
    word_count: int
    created_by: str
    author_name: str | None = None
    created_at: int
    updated_by: str
    updated_at: int
    embedding_model: str
    embedding_model_provider: str
    embedding_available: bool = True
    retrieval_model_dict: RetrievalModelDict
    tags: list[DatasetTag] = Field(default_factory=list)
    doc_form: str | None = "text_model"
    external_knowledge_info: dict[str, Any] | None = None
    external_retrieval_model: dict[str, Any] | None = None
    doc_metadata: list[MetadataFieldOut] = Field(default_factory=list)
    built_in_field_enabled: bool = False
    total_documents: int
    total_available_documents: int
    enable_api: bool = True
    is_multimodal: bool = False


class DatasetsPage(BaseModel):
    data: list[Dataset]
    has_more: bool
    limit: int
    total: int
    page: int


class Document(BaseModel):
    id: str
    position: int
    data_source_type: str = "upload_file"
    data_source_info: dict[str, Any] | None
    dataset_process_rule_id: str | None = None
    name: str
    created_from: str
    created_by: str
    created_at: int
    updated_at: int | None = None
    tokens: int
    indexing_status: str
    error: str | None
    enabled: bool = True
    disabled_at: int | None = None
    disabled_by: str | None = None
    archived: bool = False
    display_status: str
    word_count: int
    hit_count: int = 0
    doc_form: str
    doc_metadata: list[DocumentMetadataValue] = Field(default_factory=list)


class DocumentCreated(BaseModel):
    document: Document
    batch: str


class DocumentsPage(BaseModel):
    data: list[Document]
    has_more: bool
    limit: int
    total: int
    page: int


class IndexingStatus(BaseModel):
    id: str
    indexing_status: str
    processing_started_at: int | None
    parsing_completed_at: int | None
    cleaning_completed_at: int | None
    splitting_completed_at: int | None
    completed_at: int | None
    paused_at: int | None = None
    error: str | None
    stopped_at: int | None
    completed_segments: int
    total_segments: int


class IndexingStatuses(BaseModel):
    data: list[IndexingStatus]


class Segment(BaseModel):
    id: str
    position: int
    document_id: str
    content: str
    sign_content: str | None = None
    answer: str | None
    word_count: int
    tokens: int
    keywords: list[str] = Field(default_factory=list)
    index_node_id: str
    index_node_hash: str  # sha256 of the content (and answer): what Dify's vector index keys a node by
    hit_count: int = 0
    enabled: bool
    disabled_at: int | None = None
    disabled_by: str | None = None
    status: str
    created_by: str
    created_at: int
    updated_at: int
    updated_by: str
    indexing_at: int | None
    completed_at: int | None
    error: str | None = None
    stopped_at: int | None = None
    child_chunks: list[dict[str, Any]] = Field(default_factory=list)


class SegmentsPage(BaseModel):
    data: list[Segment]
    doc_form: str
    has_more: bool
    limit: int
    total: int
    page: int


class SegmentsCreated(BaseModel):
    data: list[Segment]
    doc_form: str


class SegmentDetail(BaseModel):
    data: Segment
    doc_form: str


class SegmentUpdated(BaseModel):
    data: Segment
    doc_form: str


class RecordDocument(BaseModel):
    id: str
    data_source_type: str = "upload_file"
    name: str


class RecordSegment(Segment):
    document: RecordDocument


class Record(BaseModel):
    segment: RecordSegment
    score: float
    tsne_position: None = None
    child_chunks: list[dict[str, Any]] = Field(default_factory=list)
    files: list[dict[str, Any]] = Field(default_factory=list)
    summary: str | None = None


class Query(BaseModel):
    content: str


class RetrieveResult(BaseModel):
    query: Query
    records: list[Record]
