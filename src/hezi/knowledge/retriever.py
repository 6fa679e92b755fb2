"""The retriever agents and apps call: several knowledge bases of one workspace searched at once, fused (and
reranked) across them, hits numbered and named for citations.

It checks no user's access — the agent or app calling it was authorised to use the knowledge bases it names — but
it never reaches outside the workspace it is given. Built once at start; each call opens its own short sessions
and holds no database connection while a model embeds the question or reranks the candidates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.db.tables import KnowledgeBase
from hezi.errors import InvalidInput
from hezi.knowledge.access import Embed, KnowledgeBaseNotFound, Rerank
from hezi.knowledge.schemas import MetadataCondition, Retrieval, RetrievalHit, RetrievalSettings
from hezi.knowledge.search import Base, search


class Retriever:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], embed: Embed, rerank: Rerank | None = None
    ) -> None:
        self.sessionmaker = sessionmaker
        self.embed = embed
        self.rerank = rerank

    async def retrieve(
        self,
        workspace_id: uuid.UUID,
        knowledge_base_ids: Sequence[uuid.UUID],
        query: str,
        settings: RetrievalSettings | None = None,
        filters: Sequence[MetadataCondition] = (),
    ) -> Retrieval:
        """The best passages for `query` across the knowledge bases, best first, numbered from 1.

        `settings` apply to every base alike (the bases' own stored defaults are for callers that search one base
        and name none); `filters` narrow every base by document metadata. A base that is not in the workspace is
        refused with KnowledgeBaseNotFound, never skipped."""
        query = query.replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL
        if not query:
            raise InvalidInput("The question is empty.", code="empty_query")
        s = settings or RetrievalSettings()
        bases = await self._bases(workspace_id, list(dict.fromkeys(knowledge_base_ids)))
        found = await search(self.sessionmaker, self.embed, self.rerank, workspace_id, bases, query, s, filters)
        hits = [RetrievalHit(position=n, **chunk) for n, chunk in enumerate(found.chunks, start=1)]
        return Retrieval(query=query, hits=hits, vector_weights=found.vector_weights)

    async def _bases(self, workspace_id: uuid.UUID, ids: list[uuid.UUID]) -> list[Base]:
        if not ids:
            return []
        async with self.sessionmaker() as db:
            rows = await db.scalars(
                select(KnowledgeBase).where(KnowledgeBase.id.in_(ids), KnowledgeBase.workspace_id == workspace_id)
            )
            found = {kb.id: Base.of(kb) for kb in rows}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise KnowledgeBaseNotFound(
                "No such knowledge base in this workspace: " + ", ".join(missing), details={"knowledge_bases": missing}
            )
        return [found[i] for i in ids]
