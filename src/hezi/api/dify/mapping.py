"""Dify's concepts on hezi's: dataset = knowledge base, document = document, segment = chunk; pure functions."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from hezi.api.dify import schemas as dify
from hezi.errors import InvalidInput, NotFound
from hezi.knowledge.authorship import BaseAuthors
from hezi.knowledge.metadata_fields import BUILT_IN, Field
from hezi.knowledge.schemas import (
    ChunkPublic,
    DocumentPublic,
    KnowledgeBasePublic,
    RetrievalSettings,
    RetrievedChunk,
)
from hezi.knowledge.sizes import TextSize
from hezi.knowledge.tags import Tag
from hezi.knowledge.tokens import estimate_tokens

EMBEDDING_PROVIDER = "hezi"  # models are hezi's own deployments (bundled, imported, or a provider hezi routes to)

_SEARCH_TO_MODE = {
    "semantic_search": "vector",
    "full_text_search": "full_text",
    "keyword_search": "full_text",  # Dify's "economy" keyword index; hezi's full text (jieba tokens) plays its part
    "hybrid_search": "hybrid",
}
_MODE_TO_SEARCH = {"vector": "semantic_search", "full_text": "full_text_search", "hybrid": "hybrid_search"}

# hezi's document status → Dify's indexing_status and display_status.
_INDEXING = {"queued": "waiting", "parsing": "parsing", "embedding": "indexing", "ready": "completed",
             "failed": "error"}  # fmt: skip
_DISPLAY = {"queued": "queuing", "parsing": "indexing", "embedding": "indexing", "ready": "available",
            "failed": "error"}  # fmt: skip


def ts(when: datetime) -> int:
    return int(when.timestamp())


def user_id(who: uuid.UUID | None) -> str:
    """Dify's created_by / updated_by: the user's id; empty when the user is gone (their account was deleted)."""
    return str(who) if who is not None else ""


def parse_id(raw: str, what: str) -> uuid.UUID:
    """Dify's routes only match UUIDs, so anything else is simply not found."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(f"{what} not found.") from None


# --- requests → hezi ----------------------------------------------------------------------------------------------


def retrieval_settings(model: dify.RetrievalModel, *, economy: bool = False) -> dict[str, Any]:
    """The RetrievalSettings fields a Dify retrieval_model asks for; fields it leaves out stay unset (defaults)."""
    fields = model.model_fields_set
    out: dict[str, Any] = {}
    if "search_method" in fields or economy:
        out["mode"] = "full_text" if economy else _SEARCH_TO_MODE[model.search_method]
    if model.top_k is not None:
        out["top_k"] = model.top_k
    if "score_threshold_enabled" in fields or "score_threshold" in fields:
        enabled = bool(model.score_threshold_enabled) and model.score_threshold is not None
        out["score_threshold"] = model.score_threshold if enabled else None
    if model.weights is not None and model.weights.vector_setting is not None:
        out["fusion"] = "weighted"
        out["vector_weight"] = model.weights.vector_setting.vector_weight
    if "reranking_enable" in fields or "reranking_model" in fields:
        name = model.reranking_model.reranking_model_name if model.reranking_model else None
        out["rerank_model"] = name if model.reranking_enable and name else None
    return out


def chunking(rule: dify.ProcessRule | None) -> dict[str, Any] | None:
    """hezi chunking settings for a Dify process_rule, or None for "automatic" (the dataset's rules stand).

    Pre-processing rules (remove extra spaces, URLs and e-mails) are accepted and not applied: hezi's parsers
    already normalise whitespace, and dropping URLs would lose what citations point at.
    """
    if rule is None or rule.mode == "automatic":
        return None
    rules = rule.rules or dify.ProcessRules()
    seg = rules.segmentation or dify.Segmentation()
    child = rules.subchunk_segmentation or dify.Segmentation(max_tokens=min(200, seg.max_tokens))
    for s in (seg, child):
        if s.chunk_overlap >= s.max_tokens:  # refused here, not when the first document fails to chunk
            raise InvalidInput(f"chunk_overlap ({s.chunk_overlap}) must be less than max_tokens ({s.max_tokens}).",
                               code="invalid_param")  # fmt: skip
    if rule.mode == "custom":
        separator = _unescape(seg.separator)
        return {"mode": "custom", "separator": separator, "max_tokens": seg.max_tokens,
                "overlap_tokens": seg.chunk_overlap}  # fmt: skip
    return {"mode": "parent_child", "parent_max_tokens": seg.max_tokens, "child_max_tokens": child.max_tokens,
            "child_overlap_tokens": child.chunk_overlap}  # fmt: skip


def _unescape(separator: str) -> str:
    # Dify's clients often send the two characters backslash-n for a newline, and Dify reads them so.
    return separator.replace("\\n", "\n").replace("\\t", "\t") or "\n"


def text_document_name(name: str) -> str:
    return name if name.lower().endswith((".txt", ".md", ".markdown")) else f"{name}.txt"


def check_doc_form(doc_form: str, filename: str | None) -> str:
    """hezi's `source` for a Dify doc_form: Q&A pairs come from a CSV/XLSX of question/answer rows."""
    if doc_form != "qa_model":
        return "upload" if filename is not None else "text"
    if filename is None or not filename.lower().endswith((".csv", ".xlsx")):
        raise InvalidInput(
            "doc_form 'qa_model' takes a CSV or XLSX file of question/answer pairs; hezi does not generate Q&A "
            "pairs from text.",
            code="invalid_param",
        )
    return "qa"


# --- hezi → responses ---------------------------------------------------------------------------------------------


def retrieval_model_dict(s: RetrievalSettings) -> dify.RetrievalModelDict:
    return dify.RetrievalModelDict(
        search_method=_MODE_TO_SEARCH[s.mode],
        reranking_enable=s.rerank_model is not None,
        reranking_mode="weighted_score" if s.fusion == "weighted" else ("reranking_model" if s.rerank_model else None),
        reranking_model=dify.RerankingModelOut(
            reranking_provider_name=EMBEDDING_PROVIDER if s.rerank_model else "",
            reranking_model_name=s.rerank_model or "",
        ),
        weights={"weight_type": "customized", "vector_setting": {"vector_weight": s.vector_weight},
                 "keyword_setting": {"keyword_weight": round(1 - s.vector_weight, 6)}}
        if s.fusion == "weighted" else None,
        top_k=s.top_k,
        score_threshold_enabled=s.score_threshold is not None,
        score_threshold=s.score_threshold,
    )  # fmt: skip


def dataset(
    kb: KnowledgeBasePublic,
    size: TextSize,
    authors: BaseAuthors | None,
    tags: list[Tag],
    fields: list[Field],
    built_in: bool,
) -> dify.Dataset:
    return dify.Dataset(
        id=str(kb.id),
        name=kb.name,
        description=kb.description,
        # Every member of a workspace may search its knowledge bases: that is what hezi does, whatever was asked.
        permission="all_team_members",
        data_source_type="upload_file" if kb.documents else None,
        # A dataset searched by full text by default is what Dify calls "economy"; hezi embeds it all the same.
        indexing_technique="economy" if kb.retrieval.mode == "full_text" else "high_quality",
        document_count=kb.documents,
        word_count=size.characters,
        created_by=user_id(authors.created_by if authors else None),
        created_at=ts(kb.created_at),
        updated_by=user_id(authors.updated_by if authors else None),
        updated_at=ts(authors.updated_at if authors else kb.created_at),
        tags=[dify.DatasetTag(id=str(t.id), name=t.name) for t in tags],
        doc_metadata=[dify.MetadataFieldOut(id=str(f.id), name=f.name, type=f.type) for f in fields],
        built_in_field_enabled=built_in,
        embedding_model=kb.embedding_model,
        embedding_model_provider=EMBEDDING_PROVIDER,
        retrieval_model_dict=retrieval_model_dict(kb.retrieval),
        doc_form="hierarchical_model" if kb.chunking.get("mode") == "parent_child" else "text_model",
        total_documents=kb.documents,
        total_available_documents=kb.documents,
    )


def document_metadata(d: DocumentPublic, fields: list[Field], built_in: bool) -> list[dify.DocumentMetadataValue]:
    """The document's values of the base's declared fields, then the built-in ones while they are on."""
    out = [dify.DocumentMetadataValue(id=str(f.id), name=f.name, type=f.type, value=d.metadata[f.name])
           for f in fields if f.name in d.metadata]  # fmt: skip
    if built_in:
        out += [dify.DocumentMetadataValue(id="built-in", name=n, type=t, value=d.metadata[n])
                for n, t in BUILT_IN.items() if n in d.metadata]  # fmt: skip
    return out


def document(
    d: DocumentPublic,
    position: int,
    size: TextSize,
    created_by: uuid.UUID | None = None,
    metadata: list[dify.DocumentMetadataValue] | None = None,
) -> dify.Document:
    return dify.Document(
        id=str(d.id),
        position=position,
        data_source_info={"upload_file_id": str(d.id)},
        name=d.name,
        created_from="api" if d.source in ("upload", "text", "qa") else "web",
        created_by=user_id(created_by),
        created_at=ts(d.created_at),
        updated_at=ts(d.updated_at),
        tokens=size.tokens,
        indexing_status=_INDEXING[d.status],
        error=d.error,
        display_status=_DISPLAY[d.status],
        word_count=size.characters,
        doc_form="qa_model" if d.source == "qa" else "text_model",
        doc_metadata=metadata or [],
    )


def indexing_status(d: DocumentPublic) -> dify.IndexingStatus:
    """hezi keeps no per-stage times: a stage that is over reports the document's last change."""
    started = None if d.status == "queued" else ts(d.created_at)
    split = ts(d.updated_at) if d.status in ("embedding", "ready") else None
    return dify.IndexingStatus(
        id=str(d.id),
        indexing_status=_INDEXING[d.status],
        processing_started_at=started,
        parsing_completed_at=split,
        cleaning_completed_at=split,
        splitting_completed_at=split,
        completed_at=ts(d.updated_at) if d.status == "ready" else None,
        error=d.error,
        stopped_at=ts(d.updated_at) if d.status == "failed" else None,
        completed_segments=d.chunks_embedded,
        total_segments=d.chunks_total,
    )


def _chunk_fields(
    chunk_id: int, ordinal: int, document_id: object, text: str, answer: str | None, created_by: uuid.UUID | None
) -> dict[str, Any]:
    """What a segment says of its chunk, listed or retrieved alike (word_count and tokens as sizes.py sums them).
    Chunks are the document's: made by whoever added it (hezi keeps no per-chunk author)."""
    return {
        "id": str(chunk_id), "position": ordinal + 1, "document_id": str(document_id), "content": text,
        "answer": answer, "word_count": len(text) + len(answer or ""), "tokens": estimate_tokens(text),
        "index_node_id": str(chunk_id), "index_node_hash": node_hash(text, answer),
        "created_by": user_id(created_by), "updated_by": user_id(created_by),
    }  # fmt: skip


def node_hash(text: str, answer: str | None) -> str:
    return hashlib.sha256((text if answer is None else f"{text}\n{answer}").encode()).hexdigest()


def segment(c: ChunkPublic, doc: DocumentPublic, created_by: uuid.UUID | None) -> dify.Segment:
    return dify.Segment(
        **_chunk_fields(c.id, c.ordinal, doc.id, c.text, c.answer, created_by),
        enabled=c.enabled,
        status="completed" if c.embedded else "indexing",
        created_at=ts(doc.created_at),
        updated_at=ts(doc.updated_at),
        indexing_at=ts(doc.created_at),
        completed_at=ts(doc.updated_at) if c.embedded else None,
    )


def record(hit: RetrievedChunk, created: datetime, created_by: uuid.UUID | None) -> dify.Record:
    seg = dify.RecordSegment(
        **_chunk_fields(hit.chunk_id, hit.ordinal, hit.document_id, hit.text, hit.answer, created_by),
        enabled=True,  # disabled chunks are never retrieved
        status="completed",
        created_at=ts(created),
        updated_at=ts(created),
        indexing_at=ts(created),
        completed_at=ts(created),
        document=dify.RecordDocument(id=str(hit.document_id), name=hit.document_name),
    )
    return dify.Record(segment=seg, score=hit.score)
