"""Retrieval from a knowledge base as callers ask for it: modes, top-k, threshold."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.principal import Caller
from hezi.knowledge import access, retrieval
from hezi.knowledge.access import Embed
from hezi.knowledge.schemas import RetrievedChunk, RetrieveRequest, RetrieveResponse


class SearchService:
    def __init__(self, db: AsyncSession, embed: Embed) -> None:
        self.db = db
        self.embed = embed

    async def retrieve(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, body: RetrieveRequest
    ) -> RetrieveResponse:
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=False)
        wide = max(body.top_k * 4, 20)  # each list is cut wider than top_k so fusion has material
        lists = []
        if body.mode in ("vector", "hybrid"):
            vector = (await self.embed(kb.embedding_model, [body.query]))[0]
            lists.append(await retrieval.vector_hits(self.db, kb.id, kb.dims, vector, wide))
        if body.mode in ("full_text", "hybrid"):
            lists.append(await retrieval.full_text_hits(self.db, kb.id, body.query, wide))
        hits = retrieval.fuse(*lists, k=body.top_k) if body.mode == "hybrid" else lists[0][: body.top_k]
        if body.score_threshold is not None:
            hits = [h for h in hits if h.score >= body.score_threshold]
        chunks = [RetrievedChunk(**c) for c in await retrieval.load(self.db, hits)]
        return RetrieveResponse(query=body.query, mode=body.mode, data=chunks)
