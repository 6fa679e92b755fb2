"""Finding chunks: vector (cosine), full text (jieba tokens), and hybrid by reciprocal-rank fusion."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.knowledge.search_tokens import query_terms

RRF_K = 60  # the usual constant: ranks beyond the first few matter less and less


@dataclass
class Hit:
    chunk_id: int
    score: float


async def ensure_vector_index(db: AsyncSession, dims: int) -> None:
    """HNSW needs a fixed dimension: one partial index per dimension in use (decision 0007)."""
    await db.execute(
        text(
            f"CREATE INDEX IF NOT EXISTS ix_chunks_embedding_{dims} ON chunks "
            f"USING hnsw ((embedding::vector({int(dims)})) vector_cosine_ops) WHERE dims = {int(dims)}"
        )
    )


async def vector_hits(db: AsyncSession, kb_id: uuid.UUID, dims: int, vector: list[float], k: int) -> list[Hit]:
    d = int(dims)
    rows = await db.execute(
        text(
            f"SELECT id, 1 - ((embedding::vector({d})) <=> CAST(:q AS vector({d}))) AS score FROM chunks "  # noqa: S608
            f"WHERE knowledge_base_id = :kb AND dims = {d} AND enabled AND embedding IS NOT NULL "
            f"ORDER BY (embedding::vector({d})) <=> CAST(:q AS vector({d})) LIMIT :k"
        ),
        {"q": str(vector), "kb": kb_id, "k": k},
    )
    return [Hit(int(i), float(s)) for i, s in rows.all()]


async def full_text_hits(db: AsyncSession, kb_id: uuid.UUID, query: str, k: int) -> list[Hit]:
    terms = query_terms(query)
    if not terms:
        return []
    tsquery = " | ".join(f"'{t}'" for t in terms)
    rows = await db.execute(
        text(
            "SELECT id, ts_rank_cd(tokens, q) AS score FROM chunks, to_tsquery('simple', :q) q "
            "WHERE knowledge_base_id = :kb AND enabled AND tokens @@ q ORDER BY score DESC, id LIMIT :k"
        ),
        {"q": tsquery, "kb": kb_id, "k": k},
    )
    return [Hit(int(i), float(s)) for i, s in rows.all()]


def fuse(*lists: list[Hit], k: int) -> list[Hit]:
    """Reciprocal-rank fusion: each list adds 1 / (60 + rank); no score scales need to agree."""
    scores: dict[int, float] = {}
    for hits in lists:
        for rank, hit in enumerate(hits, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return [Hit(cid, score) for cid, score in ranked]


async def load(db: AsyncSession, hits: list[Hit]) -> list[dict[str, Any]]:
    """The chunks behind `hits`, in order, with their documents' names."""
    if not hits:
        return []
    rows = await db.execute(
        text(
            "SELECT c.id, c.document_id, d.name, c.ordinal, c.text, c.section, c.page_start, c.page_end "
            "FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ANY(:ids)"
        ),
        {"ids": [h.chunk_id for h in hits]},
    )
    by_id = {r[0]: r for r in rows.all()}
    out = []
    for h in hits:
        r = by_id.get(h.chunk_id)
        if r is not None:
            out.append({"document_id": r[1], "document_name": r[2], "ordinal": r[3], "text": r[4], "section": r[5],
                        "page_start": r[6], "page_end": r[7], "score": round(h.score, 6)})  # fmt: skip
    return out
