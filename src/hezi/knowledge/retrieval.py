"""Finding chunks: vector (cosine), full text (jieba tokens), hybrid by reciprocal-rank or weighted fusion, each
optionally narrowed by document metadata. SQL lives here; what callers ask for is shaped in search.py."""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.knowledge.schemas import MetadataCondition
from hezi.knowledge.search_tokens import document_text, query_terms

RRF_K = 60  # the usual constant: ranks beyond the first few matter less and less


@dataclass
class Hit:
    chunk_id: int
    score: float
    scores: dict[str, float | None] = field(default_factory=dict)  # each mode's own score


@dataclass
class Filter:
    """A SQL condition on documents `d` plus its bound parameters."""

    sql: str = "TRUE"
    params: dict[str, Any] = field(default_factory=dict)


def metadata_filter(conditions: list[MetadataCondition]) -> Filter:
    """AND of the conditions, every key and value bound as a parameter (never spliced into the SQL)."""
    parts: list[str] = []
    params: dict[str, Any] = {}
    for i, c in enumerate(conditions):
        k, v = f"mk{i}", f"mv{i}"
        params[k] = c.key
        key = f"CAST(:{k} AS text)"  # psycopg sends untyped parameters; jsonb's operators need to know
        field_ = f"(d.metadata -> {key})"
        if c.op in ("exists", "not_exists"):
            parts.append(("" if c.op == "exists" else "NOT ") + f"(d.metadata ? {key})")
            continue
        params[v] = json.dumps(c.value)
        value = f"CAST(:{v} AS jsonb)"
        if c.op == "eq":
            parts.append(f"d.metadata @> jsonb_build_object({key}, {value})")  # containment: the GIN index helps
        elif c.op == "ne":
            parts.append(f"{field_} IS DISTINCT FROM {value}")
        elif c.op in ("in", "not_in"):
            test = f"{field_} IN (SELECT jsonb_array_elements({value}))"
            parts.append(test if c.op == "in" else f"NOT coalesce({test}, false)")
        elif c.op == "contains":
            params[v] = str(c.value)
            parts.append(f"strpos(lower(d.metadata ->> {key}), lower(CAST(:{v} AS text))) > 0")
        else:  # gt gte lt lte: only between values of the same JSON type (numbers with numbers, text with text)
            sym = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[c.op]
            parts.append(f"(jsonb_typeof({field_}) = jsonb_typeof({value}) AND {field_} {sym} {value})")
    return Filter(" AND ".join(parts) or "TRUE", params)


def _scope(kb_id: uuid.UUID, where: Filter) -> tuple[str, dict[str, Any]]:
    """Chunks of the knowledge base that are enabled and whose documents pass the metadata filter."""
    sql = "c.knowledge_base_id = :kb AND c.enabled"
    if where.sql != "TRUE":
        # where.sql is built by metadata_filter from fixed fragments; keys and values are bound parameters
        sql += f" AND c.document_id IN (SELECT d.id FROM documents d WHERE d.knowledge_base_id = :kb AND {where.sql})"  # noqa: S608
    return sql, {"kb": kb_id, **where.params}


async def ensure_vector_index(db: AsyncSession, dims: int) -> None:
    """HNSW needs a fixed dimension: one partial index per dimension in use (decision 0007)."""
    await db.execute(
        text(
            f"CREATE INDEX IF NOT EXISTS ix_chunks_embedding_{dims} ON chunks "
            f"USING hnsw ((embedding::vector({int(dims)})) vector_cosine_ops) WHERE dims = {int(dims)}"
        )
    )


async def vector_hits(
    db: AsyncSession, kb_id: uuid.UUID, dims: int, vector: list[float], k: int, where: Filter | None = None
) -> list[Hit]:
    d = int(dims)
    scope, params = _scope(kb_id, where or Filter())
    # HNSW returns at most ef_search rows, and a filter could leave fewer than k of them: widen the search and let
    # pgvector keep scanning until k rows pass (iterative scan, pgvector ≥ 0.8).
    await db.execute(text(f"SET LOCAL hnsw.ef_search = {max(40, min(int(k), 1000))}"))
    await db.execute(text("SET LOCAL hnsw.iterative_scan = relaxed_order"))
    rows = await db.execute(
        text(
            f"SELECT id, score FROM (SELECT c.id, "  # noqa: S608
            f"1 - ((c.embedding::vector({d})) <=> CAST(:q AS vector({d}))) AS score "
            f"FROM chunks c WHERE {scope} AND c.dims = {d} AND c.embedding IS NOT NULL "
            f"ORDER BY (c.embedding::vector({d})) <=> CAST(:q AS vector({d})) LIMIT :k) hits ORDER BY score DESC, id"
        ),
        {"q": str(vector), "k": k, **params},
    )
    return [Hit(int(i), float(s), {"vector": float(s)}) for i, s in rows.all()]


@dataclass
class TextQuery:
    """A question as full-text search sees it: its terms that occur in the knowledge base, each weighted by its
    inverse document frequency (BM25's idf), and the selective ones that decide which chunks are candidates."""

    weights: dict[str, float]  # term → idf / Σ idf, so a chunk's score is the share of the question it covers
    match: str  # tsquery: the terms rare enough to pick candidates, or the rarest one if none is

    def score_sql(self) -> tuple[str, dict[str, Any]]:
        """Σ weight of the question's terms the chunk `c` contains: 0…1."""
        parts, params = [], {}
        for i, (term, weight) in enumerate(self.weights.items()):
            parts.append(f"CASE WHEN c.tokens @@ CAST(:tt{i} AS tsquery) THEN {weight!r} ELSE 0 END")
            params[f"tt{i}"] = _lexeme(term)
        return "(" + " + ".join(parts) + ")", params


# A term in more than one chunk in twenty, or in more than MAX_CANDIDATES chunks, still scores (a little) but does
# not pick candidates: every candidate is scored, and a word in 50,000 chunks would make that seconds. A small base
# (MIN_CANDIDATES) has no need to narrow.
SELECTIVE = 0.05
MIN_CANDIDATES = 100
MAX_CANDIDATES = 10_000


def _lexeme(term: str) -> str:
    return "'" + term.replace("'", "''") + "'"


async def text_query(db: AsyncSession, kb_id: uuid.UUID, query: str) -> TextQuery | None:
    """The question's terms, normalised as the chunks' were, with their document frequencies in one round trip."""
    terms = query_terms(query)
    if not terms:
        return None
    rows = (
        await db.execute(
            text(
                "SELECT q.term, t.df, (SELECT count(*) FROM chunks WHERE knowledge_base_id = :kb) "
                "FROM unnest(tsvector_to_array(to_tsvector('simple', :q))) AS q(term) "
                "JOIN knowledge_terms t ON t.knowledge_base_id = :kb AND t.term = q.term AND t.df > 0"
            ),
            {"kb": kb_id, "q": document_text(" ".join(terms))},
        )
    ).all()
    if not rows:
        return None  # no word of the question occurs in this knowledge base
    n = max(int(rows[0][2]), 1)
    idf = {str(term): math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df, _ in rows}
    total = sum(idf.values()) or 1.0
    limit = max(min(SELECTIVE * n, MAX_CANDIDATES), MIN_CANDIDATES)
    rarest = str(min(rows, key=lambda r: int(r[1]))[0])  # when every term is common, the least common one picks
    selective = [str(term) for term, df, _ in rows if df <= limit] or [rarest]
    return TextQuery({t: w / total for t, w in idf.items()}, " | ".join(_lexeme(t) for t in selective))


async def full_text_hits(
    db: AsyncSession, kb_id: uuid.UUID, tq: TextQuery | None, k: int, where: Filter | None = None
) -> list[Hit]:
    """Chunks with the question's selective terms, ranked by the idf-weighted share of its terms they contain
    (a word in most chunks, like the product's name, counts for little), then by ts_rank_cd's proximity."""
    if tq is None:
        return []
    scope, params = _scope(kb_id, where or Filter())
    score, score_params = tq.score_sql()
    rows = await db.execute(
        text(
            f"SELECT c.id, {score} AS score FROM chunks c, CAST(:match AS tsquery) q "  # noqa: S608
            f"WHERE {scope} AND c.tokens @@ q ORDER BY score DESC, ts_rank_cd(c.tokens, q) DESC, c.id LIMIT :k"
        ),
        {"match": tq.match, "k": k, **params, **score_params},
    )
    return [Hit(int(i), float(s), {"full_text": float(s)}) for i, s in rows.all()]


async def score_both(db: AsyncSession, dims: int, vector: list[float], tq: TextQuery | None, hits: list[Hit]) -> None:
    """Fill in the mode a hit was not found by (its cosine, or its text score; 0 when no term matches), so every
    hybrid hit shows both scores and weighted fusion compares like with like."""
    if not hits:
        return
    d = int(dims)
    score, score_params = tq.score_sql() if tq else ("0", {})
    rows = await db.execute(
        text(
            f"SELECT c.id, 1 - ((c.embedding::vector({d})) <=> CAST(:q AS vector({d}))), {score} "  # noqa: S608
            "FROM chunks c WHERE c.id = ANY(:ids)"
        ),
        {"q": str(vector), "ids": [h.chunk_id for h in hits], **score_params},
    )
    both = {int(i): (v, t) for i, v, t in rows.all()}
    for h in hits:
        v, t = both.get(h.chunk_id, (None, None))
        h.scores = {"vector": None if v is None else float(v), "full_text": None if t is None else float(t)}


def union(*lists: list[Hit]) -> list[Hit]:
    seen: dict[int, Hit] = {}
    for hits in lists:
        for h in hits:
            seen.setdefault(h.chunk_id, Hit(h.chunk_id, h.score, dict(h.scores)))
    return list(seen.values())


def fuse_rrf(*lists: list[Hit], k: int) -> list[Hit]:
    """Reciprocal-rank fusion: each list adds 1 / (60 + rank); no score scales need to agree."""
    scores: dict[int, float] = {}
    for hits in lists:
        for rank, hit in enumerate(hits, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    by_id = {h.chunk_id: h for h in union(*lists)}
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return [Hit(cid, score, by_id[cid].scores) for cid, score in ranked]


def fuse_weighted(candidates: list[Hit], vector_weight: float, k: int) -> list[Hit]:
    """score = w × cosine + (1 − w) × normalised text rank, over candidates whose both scores are known."""
    out = []
    for h in candidates:
        v, t = h.scores.get("vector") or 0.0, h.scores.get("full_text") or 0.0
        out.append(Hit(h.chunk_id, vector_weight * v + (1 - vector_weight) * t, h.scores))
    out.sort(key=lambda h: (-h.score, h.chunk_id))
    return out[:k]


async def load(db: AsyncSession, hits: list[Hit]) -> list[dict[str, Any]]:
    """The chunks behind `hits`, in order, with their documents' names and metadata and any parent passage."""
    if not hits:
        return []
    rows = await db.execute(
        text(
            "SELECT c.id, c.document_id, d.name, c.ordinal, c.text, c.answer, p.text, c.section, c.page_start, "
            "c.page_end, d.metadata FROM chunks c JOIN documents d ON d.id = c.document_id "
            "LEFT JOIN chunk_parents p ON p.document_id = c.document_id AND p.ordinal = c.parent_ordinal "
            "WHERE c.id = ANY(:ids)"
        ),
        {"ids": [h.chunk_id for h in hits]},
    )
    by_id = {r[0]: r for r in rows.all()}
    out = []
    for h in hits:
        r = by_id.get(h.chunk_id)
        if r is not None:
            out.append({"chunk_id": r[0], "document_id": r[1], "document_name": r[2], "ordinal": r[3], "text": r[4],
                        "answer": r[5], "parent_text": r[6], "section": r[7], "page_start": r[8], "page_end": r[9],
                        "metadata": r[10] or {}, "score": round(h.score, 6),
                        "scores": {m: None if s is None else round(s, 6) for m, s in h.scores.items()}})  # fmt: skip
    return out
