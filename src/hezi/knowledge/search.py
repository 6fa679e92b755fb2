"""Retrieval as callers ask for it — mode, fusion, top-k, threshold, metadata filters, rerank — over one knowledge
base (SearchService: the console and the Dify API, after the caller's access check) or several at once (the
Retriever: agents and apps). Both go through `search`, the one search path.

Several knowledge bases are searched as one corpus: full-text term weights (idf) count their documents together,
proximity is measured against the densest chunk among them, the share of the question they know (which sets
weighted fusion's vector weight) counts their terms together, and hybrid's relative cosines start from the floor of
each embedding model's merged vector ranking. So a hit's score means the same whichever base it came from, and
searching bases A and B together ranks as searching one base holding both (docs/knowledge.md)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.principal import Caller
from hezi.db.tables import KnowledgeBase
from hezi.knowledge import access, retrieval
from hezi.knowledge.access import Embed, Rerank
from hezi.knowledge.retrieval import Density, Hit
from hezi.knowledge.schemas import (
    MetadataCondition,
    RetrievalSettings,
    RetrievedChunk,
    RetrieveRequest,
    RetrieveResponse,
)

RERANK_CANDIDATES = 50  # how many fused candidates a reranker reorders: enough recall, bounded cost

Session = Callable[[], AbstractAsyncContextManager[AsyncSession]]  # opens (or lends) a database session


@dataclass(frozen=True)
class Base:
    """A knowledge base as search needs it: a plain value that outlives the session it was read in."""

    id: uuid.UUID
    name: str
    embedding_model: str
    dims: int

    @classmethod
    def of(cls, kb: KnowledgeBase) -> Base:
        return cls(kb.id, kb.name, kb.embedding_model, kb.dims)


@dataclass
class Found:
    chunks: list[dict[str, Any]]  # retrieval.load's rows, best first, cut to top_k and the threshold
    vector_weights: dict[str, float]  # weighted hybrid: embedding model → the vector weight its hits were fused with


def effective(kb: KnowledgeBase, body: RetrieveRequest) -> RetrievalSettings:
    """The request's settings over the knowledge base's defaults over the built-in ones."""
    asked = body.model_dump(include=set(RetrievalSettings.model_fields) & body.model_fields_set)
    return RetrievalSettings.model_validate({**(kb.retrieval or {}), **asked})


async def search(
    session: Session,
    embed: Embed,
    rerank: Rerank | None,
    workspace_id: uuid.UUID,
    bases: Sequence[Base],
    query: str,
    s: RetrievalSettings,
    filters: Sequence[MetadataCondition] = (),
    match: Literal["all", "any"] = "all",
) -> Found:
    """Embed the question once per embedding model, search every base in one session, fuse them as one corpus and
    load the hits; rerank after the session is closed (no connection held while a model answers); cut."""
    if not bases:
        return Found([], {})
    vectors = await _vectors(embed, bases, query, workspace_id) if s.mode != "full_text" else {}
    want = max(s.top_k, RERANK_CANDIDATES) if s.rerank_model else s.top_k
    async with session() as db:
        hits, weights = await _first_stage(
            db, bases, query, s, retrieval.metadata_filter(list(filters), match), vectors, want
        )
        chunks = await retrieval.load(db, hits)
    if s.rerank_model and chunks:
        chunks = await _reranked(rerank, workspace_id, s.rerank_model, query, chunks)
    chunks = chunks[: s.top_k]
    if s.score_threshold is not None:
        chunks = [c for c in chunks if c["score"] >= s.score_threshold]
    return Found(chunks, weights)


async def _vectors(embed: Embed, bases: Sequence[Base], query: str, workspace_id: uuid.UUID) -> dict[str, list[float]]:
    """The question's vector for each embedding model among the bases (each model asked once, all at once)."""
    models = list(dict.fromkeys(b.embedding_model for b in bases))
    vectors = await asyncio.gather(*(embed(m, [query], workspace_id, role="query") for m in models))
    return {m: v[0] for m, v in zip(models, vectors, strict=True)}


def _ranked(hits: Iterable[Hit]) -> list[Hit]:
    return sorted(hits, key=lambda h: (-h.score, h.chunk_id))


async def _first_stage(
    db: AsyncSession,
    bases: Sequence[Base],
    query: str,
    s: RetrievalSettings,
    where: retrieval.Filter,
    vectors: dict[str, list[float]],
    want: int,
) -> tuple[list[Hit], dict[str, float]]:
    """Each base searched in the asked mode, the rankings fused across bases: the fused top `want`, and the vector
    weight used per embedding model (weighted hybrid only)."""
    wide = max(want * 4, 20)  # each list is cut wider than asked so fusion has material
    by_vector: dict[uuid.UUID, list[Hit]] = {}
    if s.mode in ("vector", "hybrid"):
        for b in bases:
            by_vector[b.id] = await retrieval.vector_hits(db, b.id, b.dims, vectors[b.embedding_model], wide, where)
    tq = await retrieval.text_query(db, [b.id for b in bases], query) if s.mode != "vector" else None
    found_text: dict[uuid.UUID, retrieval.TextHits] = {}
    if s.mode in ("full_text", "hybrid"):
        for b in bases:
            found_text[b.id] = await retrieval.full_text_hits(db, b.id, tq, wide, where)
    # Proximity against the densest chunk of all the bases, not each base's own (one base: the same thing).
    densest = Density(
        max((t.density.best_any for t in found_text.values()), default=0.0),
        max((t.density.best_all for t in found_text.values()), default=0.0),
    )
    by_text = {kb: t.against(densest) for kb, t in found_text.items()}
    if s.mode == "vector":
        return _ranked(h for hits in by_vector.values() for h in hits)[:want], {}
    if s.mode == "full_text":
        return _ranked(h for hits in by_text.values() for h in hits)[:want], {}

    by_model: dict[str, list[Hit]] = {}  # hybrid candidates, each with both scores, grouped by embedding model
    for b in bases:
        candidates = retrieval.union(by_vector[b.id], by_text[b.id])
        await retrieval.score_both(db, b.dims, vectors[b.embedding_model], tq, candidates, densest)
        by_model.setdefault(b.embedding_model, []).extend(candidates)
    for model, candidates in by_model.items():
        floor = await _vector_floor(
            db, [b for b in bases if b.embedding_model == model], vectors[model], where, by_vector
        )
        retrieval.relative_cosines(candidates, floor)
    if s.fusion == "rrf":
        scores = {h.chunk_id: h.scores for hits in by_model.values() for h in hits}
        fused = retrieval.fuse_rrf(
            _ranked(h for hits in by_vector.values() for h in hits),
            _ranked(h for hits in by_text.values() for h in hits),
            k=want,
        )
        for h in fused:
            h.scores = scores[h.chunk_id]
        return fused, {}
    weight = round(retrieval.effective_vector_weight(s.vector_weight, tq.coverage if tq else 0.0), 6)
    weights = dict.fromkeys(by_model, weight)
    fused = [h for candidates in by_model.values() for h in retrieval.fuse_weighted(candidates, weight, want)]
    return _ranked(fused)[:want], weights


async def _vector_floor(
    db: AsyncSession,
    bases: Sequence[Base],
    vector: list[float],
    where: retrieval.Filter,
    by_vector: dict[uuid.UUID, list[Hit]],
) -> float:
    """Where relative cosines start for one embedding model's bases: the FLOOR_RANK-th best cosine of their merged
    vector ranking (cosines compare only within one model; merged, bases searched together rank as one base holding
    both). A metadata filter does not move it: a filtered ranking is measured against the bases' own ranking, so a
    chunk's score does not depend on what else the filter keeps, and a filter that keeps one chunk leaves it its
    score (against itself it would have none)."""
    if where.sql != "TRUE":
        by_vector = {b.id: await retrieval.vector_hits(db, b.id, b.dims, vector, retrieval.FLOOR_RANK) for b in bases}
    return retrieval.vector_floor([h for b in bases for h in by_vector[b.id]])


async def _reranked(
    rerank: Rerank | None, workspace_id: uuid.UUID, model: str, query: str, chunks: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The reranker's score replaces the fused one; the first-stage scores stay visible beside it."""
    if rerank is None:
        raise RuntimeError("reranking was asked for but this search was built without a reranker")
    passages = [str(c["text"]) + (f"\n{c['answer']}" if c.get("answer") else "") for c in chunks]
    scores = await rerank(workspace_id, model, query, passages)
    for c, score in zip(chunks, scores, strict=True):
        c["score"] = round(score, 6)
        c["scores"] = {**c["scores"], "rerank": round(score, 6)}
    return sorted(chunks, key=lambda c: -float(c["score"]))


class SearchService:
    """One knowledge base searched for a signed-in caller (or a dataset API key): the access check, the base's
    stored defaults, then the one search path on the request's session."""

    def __init__(self, db: AsyncSession, embed: Embed, rerank: Rerank | None = None) -> None:
        self.db = db
        self.embed = embed
        self.rerank = rerank

    async def retrieve(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, body: RetrieveRequest
    ) -> RetrieveResponse:
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=False)
        s = effective(kb, body)
        found = await search(
            lambda: nullcontext(self.db), self.embed, self.rerank, workspace_id, [Base.of(kb)], body.query, s,
            body.filters, body.filters_match,
        )  # fmt: skip
        return RetrieveResponse(
            query=body.query,
            mode=s.mode,
            vector_weight=found.vector_weights.get(kb.embedding_model),
            data=[RetrievedChunk(**c) for c in found.chunks],
        )
