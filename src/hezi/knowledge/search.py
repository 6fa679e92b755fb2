"""Retrieval from a knowledge base as callers ask for it: mode, fusion, top-k, threshold, metadata filters, rerank.
Settings a request leaves out come from the knowledge base's stored defaults."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.principal import Caller
from hezi.db.tables import KnowledgeBase
from hezi.knowledge import access, retrieval
from hezi.knowledge.access import Embed
from hezi.knowledge.schemas import RetrievalSettings, RetrievedChunk, RetrieveRequest, RetrieveResponse

# (workspace, model, query, passages) → one relevance score per passage, higher is better.
Rerank = Callable[[uuid.UUID, str, str, list[str]], Awaitable[list[float]]]
RERANK_CANDIDATES = 50  # how many fused candidates a reranker reorders: enough recall, bounded cost


def effective(kb: KnowledgeBase, body: RetrieveRequest) -> RetrievalSettings:
    """The request's settings over the knowledge base's defaults over the built-in ones."""
    asked = body.model_dump(include=set(RetrievalSettings.model_fields) & body.model_fields_set)
    return RetrievalSettings.model_validate({**(kb.retrieval or {}), **asked})


class SearchService:
    def __init__(self, db: AsyncSession, embed: Embed, rerank: Rerank | None = None) -> None:
        self.db = db
        self.embed = embed
        self.rerank = rerank

    async def retrieve(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, body: RetrieveRequest
    ) -> RetrieveResponse:
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=False)
        s = effective(kb, body)
        want = max(s.top_k, RERANK_CANDIDATES) if s.rerank_model else s.top_k
        wide = max(want * 4, 20)  # each list is cut wider than asked so fusion has material
        where = retrieval.metadata_filter(body.filters)
        vector: list[float] | None = None
        vector_hits: list[retrieval.Hit] = []
        text_hits = retrieval.TextHits([], retrieval.Density())
        if s.mode in ("vector", "hybrid"):
            vector = (await self.embed(kb.embedding_model, [body.query], workspace_id))[0]
            vector_hits = await retrieval.vector_hits(self.db, kb.id, kb.dims, vector, wide, where)
        tq = await retrieval.text_query(self.db, kb.id, body.query) if s.mode != "vector" else None
        if s.mode in ("full_text", "hybrid"):
            text_hits = await retrieval.full_text_hits(self.db, kb.id, tq, wide, where)
        used_weight: float | None = None
        if s.mode == "vector":
            hits = vector_hits[:want]
        elif s.mode == "full_text":
            hits = text_hits.hits[:want]
        else:
            assert vector is not None
            candidates = retrieval.union(vector_hits, text_hits.hits)
            await retrieval.score_both(self.db, kb.dims, vector, tq, candidates, text_hits.density)
            if s.fusion == "weighted":
                used_weight = round(retrieval.effective_vector_weight(s.vector_weight, vector_hits), 6)
                hits = retrieval.fuse_weighted(candidates, used_weight, want)
            else:
                by_id = {h.chunk_id: h.scores for h in candidates}
                hits = retrieval.fuse_rrf(vector_hits, text_hits.hits, k=want)
                for h in hits:
                    h.scores = by_id[h.chunk_id]
        chunks = await retrieval.load(self.db, hits)
        if s.rerank_model and chunks:
            chunks = await self._reranked(workspace_id, s.rerank_model, body.query, chunks)
        chunks = chunks[: s.top_k]
        if s.score_threshold is not None:
            chunks = [c for c in chunks if c["score"] >= s.score_threshold]
        return RetrieveResponse(
            query=body.query, mode=s.mode, vector_weight=used_weight, data=[RetrievedChunk(**c) for c in chunks]
        )

    async def _reranked(
        self, workspace_id: uuid.UUID, model: str, query: str, chunks: list[dict[str, object]]
    ) -> list[dict[str, object]]:
        """The reranker's score replaces the fused one; the first-stage scores stay visible beside it."""
        if self.rerank is None:
            raise RuntimeError("reranking was asked for but this service was built without a reranker")
        passages = [str(c["text"]) + (f"\n{c['answer']}" if c.get("answer") else "") for c in chunks]
        scores = await self.rerank(workspace_id, model, query, passages)
        for c, score in zip(chunks, scores, strict=True):
            c["score"] = round(score, 6)
            c["scores"] = {**c["scores"], "rerank": round(score, 6)}  # type: ignore[dict-item]
        return sorted(chunks, key=lambda c: -float(c["score"]))  # type: ignore[arg-type]
