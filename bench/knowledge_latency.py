"""Retrieval latency at 100k (and, with --million, 1M) synthetic chunks, through hezi's own retrieval code.

A throwaway embedded PostgreSQL in a temporary directory gets hezi's schema (the real migrations), one knowledge
base, and chunks written with binary COPY: 384-dimensional vectors drawn around 1,000 random centres (real
embeddings cluster by topic; uniform noise would be the worst case for HNSW), and text sampled word by word from
the unigram frequencies of the real Debian documents' jieba tokens, so full-text queries match as many chunks as
they would in a real knowledge base of that size. Queries are the FAQ's own questions and vectors from the same
distribution. Baselines in the same run: exact scans with the indexes switched off.
"""

from __future__ import annotations

import asyncio
import statistics
import struct
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.db.embedded_postgres import EmbeddedPostgres
from hezi.db.migrate import upgrade
from hezi.db.session import make_engine, make_sessionmaker
from hezi.knowledge import retrieval

DIMS = 384
WORDS_PER_CHUNK = 110  # about what a 200-token chunk of the Debian Reference holds after jieba
CENTRES = 1000
TOP_K = 5
WIDE = max(TOP_K * 4, 20)  # what SearchService asks each list for before fusing


@dataclass
class Row:
    label: str
    p50_ms: float
    p95_ms: float
    n: int
    note: str = ""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class SyntheticCorpus:
    """Vectors and token text with a fixed seed, generated in slices so 1M chunks never sit in memory at once."""

    def __init__(self, vocabulary: Counter[str], seed: int = 5) -> None:
        self.rng = np.random.default_rng(seed)
        words, counts = zip(*vocabulary.most_common(), strict=True)
        self.words = np.array(words, dtype=object)
        self.p = np.array(counts, dtype=np.float64) / sum(counts)
        self.centres = self.rng.standard_normal((CENTRES, DIMS)).astype(np.float32)

    def vectors(self, n: int) -> np.ndarray:
        centre = self.centres[self.rng.integers(0, CENTRES, n)]
        v = centre + 0.6 * self.rng.standard_normal((n, DIMS)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        return v.astype(">f4")  # big-endian: pgvector's binary format

    def texts(self, n: int) -> list[str]:
        idx = self.rng.choice(len(self.words), size=(n, WORDS_PER_CHUNK), p=self.p)
        return [" ".join(self.words[row]) for row in idx]


def _copy_rows(conn: psycopg.Connection[Any], corpus: SyntheticCorpus, start: int, n: int) -> None:
    """Binary COPY into an unlogged staging table, slice by slice: (ordinal int4, text, embedding vector)."""
    head = struct.pack("!11sii", b"PGCOPY\n\xff\r\n\x00", 0, 0)
    with conn.cursor() as cur, cur.copy("COPY bench_stage (ordinal, text, embedding) FROM STDIN (FORMAT BINARY)") as cp:
        cp.write(head)
        step = 20_000
        for base in range(start, start + n, step):
            m = min(step, start + n - base)
            vecs, texts = corpus.vectors(m), corpus.texts(m)
            vec_head = struct.pack("!ihh", 4 + 4 * DIMS, DIMS, 0)
            parts = []
            for i in range(m):
                body = texts[i].encode()
                parts.append(struct.pack("!hii", 3, 4, base + i) + struct.pack("!i", len(body)) + body
                             + vec_head + vecs[i].tobytes())  # fmt: skip
            cp.write(b"".join(parts))
        cp.write(struct.pack("!h", -1))


def load(conn: psycopg.Connection[Any], corpus: SyntheticCorpus, kb: uuid.UUID, doc: uuid.UUID, start: int,
         n: int) -> float:  # fmt: skip
    """Add chunks `start`…`start+n` the way ingestion stores them (tsvector of the tokens, `simple` config)."""
    t0 = time.perf_counter()
    conn.execute("CREATE UNLOGGED TABLE IF NOT EXISTS bench_stage (ordinal int, text text, embedding vector)")
    conn.execute("TRUNCATE bench_stage")
    _copy_rows(conn, corpus, start, n)
    conn.execute(
        "INSERT INTO chunks (document_id, knowledge_base_id, ordinal, text, section, enabled, tokens, embedding, dims) "
        "SELECT %s, %s, ordinal, text, '', true, to_tsvector('simple', text), embedding, %s FROM bench_stage",
        (doc, kb, DIMS),
    )
    conn.execute("TRUNCATE bench_stage")
    # The document frequencies full-text ranking reads, counted afresh as ingestion would have kept them.
    conn.execute("DELETE FROM knowledge_terms WHERE knowledge_base_id = %s", (kb,))
    conn.execute(
        "INSERT INTO knowledge_terms (knowledge_base_id, term, df) SELECT %s, word, ndoc "
        "FROM ts_stat(format('SELECT tokens FROM chunks WHERE knowledge_base_id = %%L', CAST(%s AS text)))",
        (kb, str(kb)),
    )
    conn.execute("UPDATE documents SET chunks_total = %s WHERE id = %s", (start + n, doc))  # as ingestion keeps it
    conn.execute("VACUUM ANALYZE chunks")
    return time.perf_counter() - t0


def build_indexes(conn: psycopg.Connection[Any], url: str) -> tuple[float, float]:
    """(HNSW seconds, GIN seconds); HNSW through hezi's own ensure_vector_index."""
    t0 = time.perf_counter()

    async def hnsw() -> None:
        engine = make_engine(url, pool_size=1)
        try:
            async with engine.begin() as c:
                # The graph must fit in maintenance_work_mem or pgvector's build slows down many times over.
                await c.execute(text("SET maintenance_work_mem = '3GB'"))
                await c.execute(text("SET max_parallel_maintenance_workers = 1"))  # two cores: leader + one
                await retrieval.ensure_vector_index(AsyncSession(bind=c), DIMS)
        finally:
            await engine.dispose()

    asyncio.run(hnsw())
    t1 = time.perf_counter()
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("CREATE INDEX IF NOT EXISTS ix_chunks_tokens ON chunks USING gin (tokens)")
    return t1 - t0, time.perf_counter() - t1


def drop_indexes(conn: psycopg.Connection[Any]) -> None:
    conn.execute(f"DROP INDEX IF EXISTS ix_chunks_embedding_{DIMS}")
    conn.execute("DROP INDEX IF EXISTS ix_chunks_tokens")


Query = Callable[[AsyncSession, int], Awaitable[list[retrieval.Hit]]]


async def _time(sm: async_sessionmaker[AsyncSession], query: Query, n: int, setup: str = "") -> list[float]:
    out = []
    for i in range(n):
        async with sm() as db:
            if setup:
                await db.execute(text(setup))
            t0 = time.perf_counter()
            await query(db, i)
            out.append((time.perf_counter() - t0) * 1000)
            await db.rollback()
    return out


async def measure(url: str, kb: uuid.UUID, corpus: SyntheticCorpus, questions: list[str], n: int, label: str,
                  baselines: bool) -> list[Row]:  # fmt: skip
    """p50/p95 per mode, hezi's code paths; with `baselines`, the same queries with the indexes switched off."""
    engine = make_engine(url, pool_size=2)
    sm = make_sessionmaker(engine)
    qvecs = [v.astype(np.float32).tolist() for v in corpus.vectors(max(n, 50))]

    async def vector(db: AsyncSession, i: int) -> list[retrieval.Hit]:
        return await retrieval.vector_hits(db, kb, DIMS, qvecs[i], WIDE)

    async def full_text(db: AsyncSession, i: int) -> list[retrieval.Hit]:
        tq = await retrieval.text_query(db, kb, questions[i % len(questions)])  # its term lookup is part of the cost
        return (await retrieval.full_text_hits(db, kb, tq, WIDE)).hits

    async def hybrid(db: AsyncSession, i: int) -> list[retrieval.Hit]:
        # SearchService.retrieve's default hybrid path (weighted, 0.5), without the query's embedding (synthetic).
        tq = await retrieval.text_query(db, kb, questions[i % len(questions)])
        text_hits = await retrieval.full_text_hits(db, kb, tq, WIDE)
        vector_hits = await vector(db, i)
        candidates = retrieval.union(vector_hits, text_hits.hits)
        await retrieval.score_both(db, DIMS, qvecs[i], tq, candidates, text_hits.density)
        retrieval.relative_cosines(candidates, retrieval.vector_floor(vector_hits))
        weight = retrieval.effective_vector_weight(0.5, tq.coverage if tq else 0.0)
        return retrieval.fuse_weighted(candidates, weight, TOP_K)

    rows: list[Row] = []
    try:
        await _time(sm, vector, 5)  # warm the caches the way a live server has them
        await _time(sm, full_text, 5)
        vec = await _time(sm, vector, n)
        ft = await _time(sm, full_text, n)
        hy = await _time(sm, hybrid, n)
        rows += [Row(f"{label} vector (HNSW)", statistics.median(vec), percentile(vec, 0.95), n),
                 Row(f"{label} full text (GIN)", statistics.median(ft), percentile(ft, 0.95), n),
                 Row(f"{label} hybrid (weighted)", statistics.median(hy), percentile(hy, 0.95), n)]  # fmt: skip
        if baselines:
            m = min(n, 30)
            exact_sql = "SET LOCAL enable_indexscan = off"
            ex = await _time(sm, vector, m, exact_sql)
            recall = await _hnsw_recall(sm, vector, m, exact_sql)
            seq = await _time(sm, full_text, m, "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_indexscan = off")
            rows += [
                Row(f"{label} vector exact scan", statistics.median(ex), percentile(ex, 0.95), m,
                    f"HNSW ×{statistics.median(ex) / statistics.median(vec):.0f} faster; its recall@{WIDE} vs exact "
                    f"{recall:.2f}"),
                Row(f"{label} full text seq scan", statistics.median(seq), percentile(seq, 0.95), m,
                    f"GIN ×{statistics.median(seq) / statistics.median(ft):.1f} faster"),
            ]  # fmt: skip
        async with sm() as db:
            matched = []
            for q in questions[:20]:
                tq = await retrieval.text_query(db, kb, q)
                if tq is None:
                    continue
                sql = "SELECT count(*) FROM chunks WHERE knowledge_base_id = :kb AND tokens @@ CAST(:q AS tsquery)"
                c = await db.execute(text(sql), {"kb": kb, "q": tq.match})
                matched.append(int(c.scalar_one()))
        rows[1].note = f"a question's selective terms match {statistics.median(matched or [0]):,.0f} chunks (median)"
    finally:
        await engine.dispose()
    return rows


async def _hnsw_recall(sm: async_sessionmaker[AsyncSession], vector: Query, m: int, exact_sql: str) -> float:
    found = 0
    for i in range(m):
        async with sm() as db:
            approx = {h.chunk_id for h in await vector(db, i)}
            await db.rollback()
        async with sm() as db:
            await db.execute(text(exact_sql))
            exact = {h.chunk_id for h in await vector(db, i)}
            await db.rollback()
        found += len(approx & exact)
    return found / (m * WIDE)


def run(vocabulary: Counter[str], questions: list[str], *, sizes: list[int], queries: int) -> list[str]:
    """The latency table's lines."""
    lines = []
    with tempfile.TemporaryDirectory(prefix="hezi-bench-pg-") as tmp:
        pg = EmbeddedPostgres(Path(tmp))
        admin_url = pg.start()
        try:
            with psycopg.connect(admin_url, autocommit=True) as c:
                c.execute("CREATE DATABASE bench_latency")
            url = admin_url.replace("/hezi?", "/bench_latency?")
            upgrade(url)
            kb, doc, ws = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("INSERT INTO workspaces (id, name, is_default) VALUES (%s, 'bench', false)", (ws,))
                conn.execute(
                    "INSERT INTO knowledge_bases (id, workspace_id, name, description, embedding_model, dims, "
                    "chunking) VALUES (%s, %s, 'bench', '', 'synthetic', %s, '{}')",
                    (kb, ws, DIMS),
                )
                conn.execute(
                    "INSERT INTO documents (id, knowledge_base_id, name, source, file_path, sha256, size_bytes, "
                    "status, chunks_total, chunks_embedded, updated_at) "
                    "VALUES (%s, %s, 'synthetic', 'text', '', '', 0, 'ready', 0, 0, now())",
                    (doc, kb),
                )
                drop_indexes(conn)
                corpus = SyntheticCorpus(vocabulary)
                have = 0
                for size in sizes:
                    drop_indexes(conn)  # building after the load is much faster than keeping them up to date
                    load_s = load(conn, corpus, kb, doc, have, size - have)
                    have = size
                    hnsw_s, gin_s = build_indexes(conn, url)
                    label = f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}M"
                    lines.append(f"{label} chunks: COPY + tsvector {load_s:6.1f} s, HNSW build {hnsw_s:6.1f} s, "
                                 f"GIN build {gin_s:5.1f} s")  # fmt: skip
                    rows = asyncio.run(measure(url, kb, corpus, questions, queries, label, baselines=size == sizes[0]))
                    for r in rows:
                        lines.append(f"  {r.label:<26} p50 {r.p50_ms:8.1f} ms  p95 {r.p95_ms:8.1f} ms  (n={r.n})"
                                     + (f"  {r.note}" if r.note else ""))  # fmt: skip
        finally:
            pg.stop()
    return lines
