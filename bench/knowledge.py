"""Knowledge benchmark: ingestion throughput, retrieval latency and retrieval quality, each beside a baseline.

    .venv/bin/python bench/knowledge.py [--million] [--queries 50] [--reference-pages 80] [--skip-latency]
                                        [--skip-ingestion]

Real documents come from tests/knowledge/debian.py (apt-get download, cached in ~/.cache/hezi-test-data): the
Debian FAQ's 16 chapter pages in English and Simplified Chinese (HTML) and the Debian Reference in both (PDF;
its first 80 pages by default, all with --reference-pages 0).
Nothing is written into the repository; hezi and PostgreSQL run on temporary data directories.

1. Ingestion, end to end through `hezi serve` (upload → durable job: parse → chunk → store → embed with the
   bundled all-minilm-l6-v2 → index): chunks/s and pages/s from the documents' own timestamps. Beside it, the parts
   measured alone on the same files and chunks: parse + chunk (+ search tokens) in-process, embedding through
   hezi's gateway (/v1/embeddings, batches of 16 like ingestion) and the embedding engine called directly
   (llama.cpp in this process, same GGUF, threads, context and batch size: the ceiling).
2. Latency p50/p95 at 100k (and 1M with --million) synthetic chunks: see bench/knowledge_latency.py.
3. Quality: recall@5 (and @1) of vector, full-text and hybrid retrieval through the API. The questions are the
   FAQ's own headings that are questions ("2.3. Is Debian free?" → "Is Debian free?"), each once; the right answer is
   a chunk whose own (deepest) heading has the question's number. English → English FAQ, Chinese → Chinese FAQ, and
   Chinese → English FAQ (the translation keeps the numbering). Note the heading is inside its answer chunk.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "bench")]
import bs4  # noqa: E402

warnings.filterwarnings("ignore", category=bs4.XMLParsedAsHTMLWarning)  # the FAQ is XHTML; lxml reads it fine

import knowledge_latency  # noqa: E402
from tests.knowledge import debian  # noqa: E402

from hezi.knowledge.chunking import chunk_document  # noqa: E402
from hezi.knowledge.parsing import parse_document  # noqa: E402
from hezi.knowledge.rules import rules_from  # noqa: E402
from hezi.knowledge.search_tokens import document_text, tokens  # noqa: E402
from hezi.serving.bundled import MINILM_NAME  # noqa: E402

PASSWORD = "bench-admin-password"


def scratch(prefix: str) -> Path:
    """A temporary folder removed when the run ends."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


EMBED_BATCH = 16  # what ingestion sends per call (hezi.knowledge.ingest.EMBED_BATCH)
LANGS: tuple[debian.Lang, ...] = ("en", "zh-cn")


def first_pages(pdf: Path, pages: int) -> Path:
    """The first `pages` pages of `pdf` as a new PDF in a temporary folder (text layer as it was); 0 = all of it."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(pdf)
    if not pages or pages >= len(reader.pages):
        return pdf
    writer = PdfWriter()
    for page in reader.pages[:pages]:
        writer.add_page(page)
    out = scratch("hezi-bench-pdf-") / pdf.name
    with out.open("wb") as fh:
        writer.write(fh)
    return out


class Doc:
    """One file, parsed and chunked here exactly as the ingestion job does it, timed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = path.read_bytes()
        t0 = time.perf_counter()
        parsed = parse_document(data, path.name)
        chunked = chunk_document(parsed, rules_from({}))
        self.search_tokens = [document_text(c.text) for c in chunked.chunks]
        self.seconds = time.perf_counter() - t0
        self.parsed = parsed
        self.chunks = chunked.chunks
        self.pages = parsed.page_count or 1


# --- hezi, started on a private data directory ---------------------------------------------------------------


@contextlib.contextmanager
def hezi() -> Iterator[tuple[str, dict[str, str], int]]:
    """hezi serve with its job worker and bundled models; (URL, auth header, the embedding worker's threads)."""
    data = Path(tempfile.mkdtemp(prefix="hezi-bench-knowledge-"))
    port = 18500 + os.getpid() % 1000
    env = {**os.environ, "HEZI_DATA_DIR": str(data), "HEZI_PORT": str(port), "HEZI_ADMIN_PASSWORD": PASSWORD,
           "HEZI_LOG_LEVEL": "WARNING",
           # The Debian Reference PDFs are 1.3-1.4 MB, over the 1 MiB default body limit that document uploads share.
           "HEZI_MAX_BODY_BYTES": str(32 * 1024 * 1024)}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "hezi", "serve"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError, KeyError, StopIteration):
                r = httpx.post(f"{url}/api/auth/login", json={"username": "admin", "password": PASSWORD}, timeout=5)
                if r.status_code == 200:
                    auth = {"Authorization": f"Bearer {r.json()['token']}"}
                    models = httpx.get(f"{url}/api/models", headers=auth, timeout=5).json()["data"]
                    emb = next(m for m in models if m["name"] == MINILM_NAME)
                    if emb["deployment"] and emb["deployment"]["status"] == "ready":
                        yield url, auth, int(emb["deployment"]["threads"])
                        return
            if proc.poll() is not None:
                raise SystemExit("hezi serve exited during start-up")
            time.sleep(0.5)
        raise SystemExit("hezi did not start in time")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)


def upload(http: httpx.Client, base: str, paths: list[Path]) -> dict[str, set[str]]:
    """Upload every file at once into the knowledge base at `base`; {base: document ids}."""
    ids = set()
    for p in paths:
        r = http.post(f"{base}/documents", params={"filename": p.name}, content=p.read_bytes(),
                      headers={"Content-Type": "application/octet-stream"})  # fmt: skip
        r.raise_for_status()
        ids.add(r.json()["id"])
    return {base: ids}


def wait(http: httpx.Client, pending: dict[str, set[str]]) -> tuple[float, list[dict[str, Any]]]:
    """Wait until every document is ready; seconds from the first upload to the last ready (server timestamps)."""
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        listed = {base: http.get(f"{base}/documents", params={"limit": 100}).json()["data"] for base in pending}
        docs = [d for base, ids in pending.items() for d in listed[base] if d["id"] in ids]
        if all(d["status"] in ("ready", "failed") for d in docs):
            first = min(datetime.fromisoformat(d["created_at"]) for d in docs)
            last = max(datetime.fromisoformat(d["updated_at"]) for d in docs)
            return (last - first).total_seconds(), docs
        time.sleep(0.25)
    raise SystemExit("ingestion did not finish in 30 minutes")


def gateway_embed(http: httpx.Client, key: str, texts: list[str]) -> float:
    """Seconds to embed `texts` through hezi's OpenAI-compatible endpoint, EMBED_BATCH at a time."""
    t0 = time.perf_counter()
    for i in range(0, len(texts), EMBED_BATCH):
        body = {"model": MINILM_NAME, "input": texts[i : i + EMBED_BATCH]}
        http.post("/v1/embeddings", json=body, headers={"Authorization": f"Bearer {key}"}).raise_for_status()
    return time.perf_counter() - t0


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """llama.cpp logs every graph it reserves to fd 2; the table is what this script is for."""
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


_engines: dict[int, Any] = {}


def direct_embed(texts: list[str], threads: int) -> float:
    """Seconds for the embedding engine itself, in this process, with the deployment's settings (the ceiling);
    infinite when the engine refuses an input (as ingestion would)."""
    from hezi.serving.llamacpp.embedding import EmbeddingEngine
    from hezi.serving.llamacpp.engine import EngineError
    from hezi.serving.minilm_gguf import ensure_minilm_gguf

    with quiet_stderr():
        if threads not in _engines:
            gguf = ensure_minilm_gguf(scratch("hezi-bench-minilm-"))
            _engines[threads] = EmbeddingEngine(str(gguf), n_ctx=512, n_parallel=4, n_threads=threads)
        engine = _engines[threads]
        engine.embed(texts[:EMBED_BATCH])  # warm-up
        t0 = time.perf_counter()
        try:
            for i in range(0, len(texts), EMBED_BATCH):
                engine.embed(texts[i : i + EMBED_BATCH])
        except EngineError:
            return float("inf")
        return time.perf_counter() - t0


# --- quality --------------------------------------------------------------------------------------------------


def answerable(docs: list[Doc]) -> set[str]:
    """FAQ numbers that own at least one chunk under their own heading."""
    return {n for d in docs for c in d.chunks if (n := debian.section_number(" / ".join(c.section_path)))}


def recall(
    http: httpx.Client, base: str, qs: list[debian.Question], mode: dict[str, Any]
) -> tuple[float, float, list[float]]:
    """recall@1, recall@5, and the vector weights a weighted hybrid fused with."""
    at1 = at5 = 0
    weights = []
    for q in qs:
        r = http.post(f"{base}/retrieve", json={"query": q.text, "top_k": 5, **mode})
        r.raise_for_status()
        found = [debian.section_number(h["section"]) for h in r.json()["data"]]
        at1 += found[:1] == [q.number]
        at5 += q.number in found
        if r.json().get("vector_weight") is not None:
            weights.append(float(r.json()["vector_weight"]))
    return at1 / len(qs), at5 / len(qs), weights


MODES: list[tuple[str, dict[str, Any]]] = [
    ("vector", {"mode": "vector"}),
    ("full text", {"mode": "full_text"}),
    ("hybrid (default)", {"mode": "hybrid"}),  # what a caller gets who names no fusion
    ("hybrid RRF", {"mode": "hybrid", "fusion": "rrf"}),
    ("hybrid weighted 0.7", {"mode": "hybrid", "fusion": "weighted", "vector_weight": 0.7}),
    ("hybrid weighted 0.5", {"mode": "hybrid", "fusion": "weighted", "vector_weight": 0.5}),
    ("hybrid weighted 0.4", {"mode": "hybrid", "fusion": "weighted", "vector_weight": 0.4}),
    ("hybrid weighted 0.3", {"mode": "hybrid", "fusion": "weighted", "vector_weight": 0.3}),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--million", action="store_true", help="also measure latency at 1M chunks (a long HNSW build)")
    parser.add_argument("--queries", type=int, default=50, help="queries per latency figure")
    parser.add_argument("--reference-pages", type=int, default=80, help="pages of each Reference PDF (0: all)")
    parser.add_argument("--skip-ingestion", action="store_true", help="latency only (no hezi, no quality)")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    print(f"# knowledge benchmark — {len(os.sched_getaffinity(0))} CPUs, load average at start "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip

    try:
        faq = {lang: [Doc(p) for p in debian.faq_chapters(lang)] for lang in LANGS}
        ref = {lang: Doc(first_pages(debian.reference_pdf(lang), args.reference_pages)) for lang in LANGS}
    except debian.DebianDataUnavailable as exc:
        print(f"Debian documents unavailable ({exc}); ingestion and quality are skipped")
        faq, ref = {}, {}
    vocabulary: Counter[str] = Counter()
    headings: dict[debian.Lang, list[str]] = {lang: [] for lang in LANGS}
    for lang, docs in faq.items():
        for d in docs:
            headings[lang] += [b.text for b in d.parsed.blocks if b.kind == "heading"]
    for d in [*ref.values(), *(x for docs in faq.values() for x in docs)]:
        vocabulary.update(t for s in d.search_tokens for t in s.split())
    questions = {lang: debian.questions(headings[lang]) for lang in LANGS}

    if faq and not args.skip_ingestion:
        run_ingestion_and_quality(faq, ref, questions)
    if not args.skip_latency:
        if not vocabulary:  # no Debian documents: the chunking module's own words stand in
            vocabulary.update(tokens((ROOT / "src/hezi/knowledge/chunking.py").read_text()))
        asked = [q.text for lang in LANGS for q in questions[lang]] or ["how do I install a package"]
        sizes = [100_000] + ([1_000_000] if args.million else [])
        print("\n## retrieval latency, synthetic 384-d chunks (hezi's own retrieval code), top 20")
        for line in knowledge_latency.run(vocabulary, asked, sizes=sizes, queries=args.queries):
            print(line)


def run_ingestion_and_quality(
    faq: dict[debian.Lang, list[Doc]], ref: dict[debian.Lang, Doc], questions: dict[debian.Lang, list[debian.Question]]
) -> None:
    sets: list[tuple[str, list[Doc]]] = [("Debian FAQ HTML, en + zh-cn", [d for lang in LANGS for d in faq[lang]]),
            *((f"Debian Reference PDF, {lang}", [ref[lang]]) for lang in LANGS)]  # fmt: skip
    # The direct baseline runs with hezi stopped, before and after it, so the two never share the CPU; the faster
    # of its two runs counts (these machines are shared and noisy).
    threads = len(os.sched_getaffinity(0))  # what a bundled deployment gets (registry.default_threads)
    before = {label: direct_embed([c.text for d in docs for c in d.chunks], threads) for label, docs in sets}
    again = {sets[0][0]}  # the small set is measured again after hezi stops; the PDFs once, to keep the run short
    with hezi() as (url, auth, threads), httpx.Client(base_url=url, headers=auth, timeout=120) as http:
        ws = http.get("/api/auth/me").json()["workspaces"][0]["id"]
        key = http.post(f"/api/workspaces/{ws}/api-keys", json={"name": "bench"}).json()["key"]
        kbs = {}
        for name in ("faq-en", "faq-zh-cn", "reference"):
            r = http.post(f"/api/workspaces/{ws}/knowledge-bases", json={"name": name})
            r.raise_for_status()
            kbs[name] = f"/api/workspaces/{ws}/knowledge-bases/{r.json()['id']}"
        results: list[tuple[str, list[Doc], list[str], float, float | None, str]] = []
        for label, docs in sets:
            if docs[0].path.suffix == ".html":  # both FAQ knowledge bases at once: 32 pages in the queue together
                pending = {
                    b: i
                    for lang in LANGS
                    for b, i in upload(http, kbs[f"faq-{lang}"], [d.path for d in faq[lang]]).items()
                }
            else:
                pending = upload(http, kbs["reference"], [d.path for d in docs])
            wall, stored_docs = wait(http, pending)
            broken = [f"{d['name']}: {d['error']}" for d in stored_docs if d["status"] == "failed"]
            texts = [c.text for d in docs for c in d.chunks]
            if broken:
                results.append((label, docs, texts, wall, None, "; ".join(broken)))
                continue
            stored = sum(d["chunks_total"] for d in stored_docs)
            assert stored == len(texts), (label, stored, len(texts))  # the same chunks on both sides
            gw = gateway_embed(http, key, texts)
            results.append((label, docs, texts, wall, gw, ""))

        print("\n## retrieval quality — recall@1 / recall@5 over the FAQ's own questions (API, top 5)")
        en_numbers, zh_numbers = answerable(faq["en"]), answerable(faq["zh-cn"])
        cases = [("en → en", [q for q in questions["en"] if q.number in en_numbers], kbs["faq-en"]),
                 ("zh → zh", [q for q in questions["zh-cn"] if q.number in zh_numbers], kbs["faq-zh-cn"]),
                 ("zh → en", [q for q in questions["zh-cn"] if q.number in en_numbers], kbs["faq-en"])]  # fmt: skip
        print(f"{'':<22}" + "".join(f"{c:>18}" for c, _, _ in cases))
        print(f"{'questions':<22}" + "".join(f"{len(qs):>18}" for _, qs, _ in cases))
        quality: dict[str, list[tuple[float, float]]] = {}
        used: list[float] = []
        for name, mode in MODES:
            probe = http.post(f"{kbs['faq-en']}/retrieve", json={"query": "probe", **mode})
            if probe.status_code != 200:
                print(f"{name:<22}  not available here ({probe.status_code})")
                continue
            measured = [recall(http, base, qs, mode) for _, qs, base in cases]
            quality[name] = [(a1, a5) for a1, a5, _ in measured]
            print(f"{name:<22}" + "".join(f"{a1:>11.2f} / {a5:.2f}" for a1, a5 in quality[name]))
            if name == "hybrid (default)":
                used = [statistics.median(w) if w else float("nan") for _, _, w in measured]
        print(f"{'default: vector weight':<22}" + "".join(f"{u:>18.2f}" for u in used)
              + "   (median used; asked 0.5, lowered when vector hits hardly differ)")  # fmt: skip
        for i, (case, qs, _) in enumerate(cases):
            best_single = max(quality["vector"][i][1], quality["full text"][i][1])
            for name in (n for n in quality if n.startswith("hybrid")):
                verdict = "yes" if quality[name][i][1] >= best_single - 1e-9 else "NO"
                found, best = round(quality[name][i][1] * len(qs)), round(best_single * len(qs))
                print(f"{name} ≥ the better single mode at @5, {case}: {verdict} "
                      f"({found} vs {best} of {len(qs)})")  # fmt: skip

    print(f"\n## ingestion — end to end through hezi serve; embedding: {MINILM_NAME}, {threads} threads, batches of "
          f"{EMBED_BATCH}")  # fmt: skip
    print(f"{'':<34}{'docs':>5}{'pages':>6}{'chunks':>7}{'e2e s':>8}{'chunks/s':>9}{'pages/s':>8}"
          f"{'parse+chunk s':>14}{'gateway embed s':>16}{'direct embed s':>15}{'e2e ÷ direct':>13}")  # fmt: skip
    for label, docs, texts, wall, embed_s, why in results:
        if embed_s is None:
            print(f"{label:<34}{len(docs):>5}  FAILED after {wall:.1f} s: {why}")
            continue
        gw = embed_s
        direct = min(before[label], direct_embed(texts, threads)) if label in again else before[label]
        parse = sum(d.seconds for d in docs)
        pages = sum(d.pages for d in docs)
        print(f"{label:<34}{len(docs):>5}{pages:>6}{len(texts):>7}{wall:>8.1f}{len(texts) / wall:>9.1f}"
              f"{pages / wall:>8.2f}{parse:>14.1f}{gw:>16.1f}{direct:>15.1f}{direct / wall:>13.2f}")  # fmt: skip
    print("(e2e ÷ direct: ingestion's chunks/s as a share of the embedding engine's own chunks/s on the same chunks; "
          "HTML pages are the FAQ's chapter files)")  # fmt: skip


if __name__ == "__main__":
    main()
