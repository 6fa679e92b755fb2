"""Finding chunks: vector (cosine), full text (jieba tokens), hybrid by reciprocal-rank or weighted fusion, each
optionally narrowed by document metadata. SQL lives here; what callers ask for is shaped in search.py."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

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


def metadata_filter(conditions: list[MetadataCondition], match: Literal["all", "any"] = "all") -> Filter:
    """AND (or, matching "any", OR) of the conditions, every key and value bound as a parameter (never spliced into
    the SQL)."""
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
        elif c.op in ("contains", "not_contains", "starts_with", "ends_with"):
            params[v] = str(c.value).lower()
            text_, needle = f"lower(d.metadata ->> {key})", f"CAST(:{v} AS text)"
            test = {
                "contains": f"strpos({text_}, {needle}) > 0",
                "not_contains": f"NOT coalesce(strpos({text_}, {needle}) > 0, false)",
                "starts_with": f"left({text_}, length({needle})) = {needle}",
                "ends_with": f"right({text_}, length({needle})) = {needle}",
            }[c.op]
            parts.append(test)
        else:  # gt gte lt lte: only between values of the same JSON type (numbers with numbers, text with text)
            sym = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[c.op]
            parts.append(f"(jsonb_typeof({field_}) = jsonb_typeof({value}) AND {field_} {sym} {value})")
    if not parts:
        return Filter()
    # Unwrapped, so eq's containment can use the GIN index; a test left NULL by a missing key fails under OR too.
    return Filter("(" + (" AND " if match == "all" else " OR ").join(f"({p})" for p in parts) + ")", params)


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

    weights: dict[str, float]  # term → idf / Σ idf, so a chunk's share is how much of the question it covers
    match: str  # tsquery: the terms rare enough to pick candidates, or the rarest one if none is
    every: str  # tsquery: all of the terms (its cover density says how close together a chunk has them)
    # The idf-weighted share of the question's terms that occur in the knowledge bases at all (a term they lack
    # weighs as a term in no chunk). 1 when they know every word; near 0 for a Chinese question about English
    # documents, whose only known words are names like "Debian": then full text can only match those names.
    coverage: float = 1.0

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


async def text_query(db: AsyncSession, kb: uuid.UUID | Sequence[uuid.UUID], query: str) -> TextQuery | None:
    """The question's terms, normalised as the chunks' were, with their document frequencies in one round trip.

    Several knowledge bases count as one corpus (document frequencies and N summed), so a chunk's share of the
    question means the same in each of them and their full-text scores can be compared (docs/knowledge.md)."""
    terms = query_terms(query)
    if not terms:
        return None
    kbs = [kb] if isinstance(kb, uuid.UUID) else list(kb)
    found = (
        await db.execute(
            text(
                # N from the documents' chunk counts (kept with every insert and delete): a handful of rows,
                # where counting the chunks themselves scans an index of the whole base on every question.
                "SELECT q.term, coalesce(sum(t.df), 0), (SELECT coalesce(sum(chunks_total), 0) FROM documents "
                "WHERE knowledge_base_id = ANY(:kbs)) "
                "FROM unnest(tsvector_to_array(to_tsvector('simple', :q))) AS q(term) "
                "LEFT JOIN knowledge_terms t ON t.knowledge_base_id = ANY(:kbs) AND t.term = q.term AND t.df > 0 "
                "GROUP BY q.term ORDER BY q.term"
            ),
            {"kbs": kbs, "q": document_text(" ".join(terms))},
        )
    ).all()
    every_term = [(str(term), int(df), int(n)) for term, df, n in found]  # sums arrive as numeric
    rows = [r for r in every_term if r[1] > 0]
    if not rows:
        return None  # no word of the question occurs in these knowledge bases
    n = max(rows[0][2], *(r[1] for r in rows), 1)  # never below a df: idf stays positive
    idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df, _ in rows}
    total = sum(idf.values()) or 1.0
    unknown = sum(math.log(1 + (n + 0.5) / 0.5) for _, df, _ in every_term if df == 0)
    limit = max(min(SELECTIVE * n, MAX_CANDIDATES), MIN_CANDIDATES)
    rarest = min(rows, key=lambda r: r[1])[0]  # when every term is common, the least common one picks
    selective = [term for term, df, _ in rows if df <= limit] or [rarest]
    return TextQuery(
        {t: w / total for t, w in idf.items()},
        " | ".join(_lexeme(t) for t in selective),
        " & ".join(_lexeme(t) for t in idf),
        total / (total + unknown),
    )


# How much of a full-text score is proximity: a chunk's share of the question is scaled by 0.7 … 1 by how densely
# it holds the question's words (ts_rank_cd, against the best chunk's): mostly the selective words on their own,
# partly all of them together (ALL_WORDS). Many chunks can cover every word of a short question; without this the
# tie goes to storage order in full text and to the vector alone in hybrid (noise, for a model that does not read
# the language). Chosen on the Debian FAQ where its neighbours measured alike (docs/knowledge.md).
PROXIMITY = 0.3
ALL_WORDS = 0.3
# Cover density costs a pass over each chunk's positions, so only this many chunks with the best shares get it
# (every match on most bases; on a huge one asked only common words the ties are many and the signal weak).
PROXIMITY_CONTENDERS = 1000


@dataclass
class Density:
    """The best cover density among the chunks in contention, for the selective words and for all of them: what
    a chunk's own is measured against, in full text mode and when hybrid scores a vector hit's text."""

    best_any: float = 0.0
    best_all: float = 0.0


def _text_score(share: str, any_cover: str, all_cover: str, best_any: str, best_all: str) -> str:
    """SQL for share × (1 − PROXIMITY + PROXIMITY × density): 0…1, and 1 only for the densest full match."""
    density = (
        f"({1 - ALL_WORDS!r} * least(({any_cover}) / greatest({best_any}, 1e-9), 1)"
        f" + {ALL_WORDS!r} * least(({all_cover}) / greatest({best_all}, 1e-9), 1))"
    )
    return f"(({share}) * ({1 - PROXIMITY!r} + {PROXIMITY!r} * {density}))"


@dataclass
class TextHits:
    hits: list[Hit]
    density: Density
    # chunk id → (share, any_cover, all_cover): what a score is made of, to score it again against another density
    parts: dict[int, tuple[float, float, float]] = field(default_factory=dict)

    def against(self, best: Density) -> list[Hit]:
        """The hits scored against `best` (the densest among several bases searched together), best first."""
        if best == self.density:
            return self.hits
        hits = [Hit(i, text_score(*self.parts[i], best), {"full_text": text_score(*self.parts[i], best)})
                for i in (h.chunk_id for h in self.hits)]  # fmt: skip
        return sorted(hits, key=lambda h: (-h.score, h.chunk_id))


def text_score(share: float, any_cover: float, all_cover: float, best: Density) -> float:
    """_text_score in Python, for hits measured against a density other than their own base's."""
    density = (1 - ALL_WORDS) * min(any_cover / max(best.best_any, 1e-9), 1) + ALL_WORDS * min(
        all_cover / max(best.best_all, 1e-9), 1
    )
    return share * (1 - PROXIMITY + PROXIMITY * density)


async def full_text_hits(
    db: AsyncSession, kb_id: uuid.UUID, tq: TextQuery | None, k: int, where: Filter | None = None
) -> TextHits:
    """Chunks with the question's selective terms, ranked by the idf-weighted share of its terms they contain
    (a word in most chunks, like the product's name, counts for little), scaled by proximity.

    Cover density is the costly part, so it is measured only for the PROXIMITY_CONTENDERS chunks with the best
    shares (a plain top-N the planner can run in parallel); proximity scales a share by 0.7…1, so this is exact
    unless more than that many chunks share nearly the best share."""
    if tq is None:
        return TextHits([], Density())
    scope, params = _scope(kb_id, where or Filter())
    share, share_params = tq.score_sql()
    score = _text_score("share", "any_cover", "all_cover", "best_any", "best_all")
    rows = await db.execute(
        text(
            f"SELECT id, {score} AS score, best_any, best_all, share, any_cover, all_cover FROM (SELECT *, "  # noqa: S608
            "max(any_cover) OVER () AS best_any, "
            "max(all_cover) OVER () AS best_all FROM (SELECT m.id, m.share, "
            "ts_rank_cd(c.tokens, CAST(:match AS tsquery)) AS any_cover, "
            "ts_rank_cd(c.tokens, CAST(:every AS tsquery)) AS all_cover FROM "
            f"(SELECT c.id, {share} AS share FROM chunks c, CAST(:match AS tsquery) q WHERE {scope} AND c.tokens @@ q "
            f"ORDER BY share DESC, c.id LIMIT {int(PROXIMITY_CONTENDERS)}) m JOIN chunks c ON c.id = m.id) contending"
            ") r ORDER BY score DESC, id LIMIT :k"
        ),
        {"match": tq.match, "every": tq.every, "k": k, **params, **share_params},
    )
    found = rows.all()
    hits = [Hit(int(r[0]), float(r[1]), {"full_text": float(r[1])}) for r in found]
    parts = {int(r[0]): (float(r[4]), float(r[5]), float(r[6])) for r in found}
    return TextHits(hits, Density(float(found[0][2]), float(found[0][3])) if found else Density(), parts)


async def score_both(
    db: AsyncSession, dims: int, vector: list[float], tq: TextQuery | None, hits: list[Hit], density: Density
) -> None:
    """Fill in the mode a hit was not found by (its cosine, or its text score; 0 when no term matches), so every
    hybrid hit shows both scores and weighted fusion compares like with like. `density` comes from
    full_text_hits, so a chunk scores the same here as in full-text mode."""
    if not hits:
        return
    d = int(dims)
    score, score_params = "0", dict[str, Any]()
    if tq is not None:
        share, score_params = tq.score_sql()
        q, e = "CAST(:match AS tsquery)", "CAST(:every AS tsquery)"
        any_cover = f"CASE WHEN c.tokens @@ {q} THEN ts_rank_cd(c.tokens, {q}) ELSE 0 END"
        score = _text_score(share, any_cover, f"ts_rank_cd(c.tokens, {e})", ":best_any", ":best_all")
        score_params = {**score_params, "match": tq.match, "every": tq.every, "best_any": density.best_any,
                        "best_all": density.best_all}  # fmt: skip
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


# Weighted fusion mixes a chunk's cosine *relative to the question's vector ranking* with its text score: 0 at the
# FLOOR_RANK-th best cosine (and below it), 1 for an identical text. Embedding models put unrelated texts at very
# different cosines (the twentieth best on the Debian FAQ: all-MiniLM-L6-v2 near 0.4 in English,
# multilingual-e5-small near 0.85), so a raw cosine against a 0…1 text score weighs one model's vectors far more
# than another's: E5's answer stands above the twentieth hit by a few hundredths, too little to outweigh any
# difference in text score (docs/decisions/0021).
FLOOR_RANK = 20


def vector_floor(vector: list[Hit]) -> float:
    """The FLOOR_RANK-th best cosine of a vector ranking (its worst when shorter): where relative cosines start."""
    cosines = sorted((h.score for h in vector), reverse=True)[:FLOOR_RANK]
    return cosines[-1] if cosines else 0.0


def relative_cosines(candidates: list[Hit], floor: float) -> None:
    """Each candidate's vector score becomes its cosine's share of the way from `floor` to 1 (0…1), in place."""
    span = max(1.0 - floor, 1e-9)
    for h in candidates:
        v = h.scores.get("vector")
        if v is not None:
            h.scores["vector"] = min(1.0, max(0.0, (v - floor) / span))


def effective_vector_weight(vector_weight: float, coverage: float) -> float:
    """The caller's weight against full text's, full text's counted only for the share of the question the
    knowledge bases know (TextQuery.coverage): a question in a language the documents are not written in is left
    to its vector. Still a weight in 0…1, so a full match in both modes scores 1; 0 and 1 keep their meaning."""
    if vector_weight in (0.0, 1.0):
        return vector_weight
    return vector_weight / (vector_weight + (1 - vector_weight) * coverage)


def fuse_weighted(candidates: list[Hit], vector_weight: float, k: int) -> list[Hit]:
    """score = w × vector score + (1 − w) × text score, over candidates whose both scores are known."""
    out = []
    for h in candidates:
        v, t = h.scores.get("vector") or 0.0, h.scores.get("full_text") or 0.0
        out.append(Hit(h.chunk_id, vector_weight * v + (1 - vector_weight) * t, h.scores))
    out.sort(key=lambda h: (-h.score, h.chunk_id))
    return out[:k]


async def load(db: AsyncSession, hits: list[Hit]) -> list[dict[str, Any]]:
    """The chunks behind `hits`, in order, with their documents' and knowledge bases' names, the documents'
    metadata and any parent passage."""
    if not hits:
        return []
    rows = await db.execute(
        text(
            "SELECT c.id, c.document_id, d.name, c.ordinal, c.text, c.answer, p.text, c.section, c.page_start, "
            "c.page_end, d.metadata, kb.id, kb.name FROM chunks c JOIN documents d ON d.id = c.document_id "
            "JOIN knowledge_bases kb ON kb.id = c.knowledge_base_id "
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
                        "metadata": r[10] or {}, "knowledge_base_id": r[11], "knowledge_base_name": r[12],
                        "score": round(h.score, 6),
                        "scores": {m: None if s is None else round(s, 6) for m, s in h.scores.items()}})  # fmt: skip
    return out
