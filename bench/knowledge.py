"""Knowledge benchmark: ingestion throughput, query embedding, retrieval latency and retrieval quality, each beside
a baseline measured in the same run; both bundled embedding models side by side (before: all-minilm-l6-v2,
English only; after: multilingual-e5-small, the default).

    .venv/bin/python bench/knowledge.py [--million] [--queries 50] [--reference-pages 80] [--skip-latency]
                                        [--skip-ingestion]

Real documents come from tests/knowledge/debian.py (apt-get download, cached in ~/.cache/hezi-test-data): the
Debian FAQ's 16 chapter pages in English and Simplified Chinese (HTML), the Debian Reference's 14 pages in both
(HTML: every chapter) and its PDF in both (the first 80 pages by default, all with --reference-pages 0).
Nothing is written into the repository; hezi and PostgreSQL run on temporary data directories.

1. Ingestion, end to end through `hezi serve` (upload → durable job: parse → chunk → store → embed → index), once
   per embedding model into its own knowledge bases: chunks/s and pages/s from the documents' own timestamps. Beside
   it, on the FAQ, the parts measured alone on the same files and chunks: parse + chunk (+ search
   tokens) in-process, embedding through hezi's gateway (/v1/embeddings, batches of 16 like ingestion) and the
   embedding engine called directly (llama.cpp in this process, same GGUF, threads, context and batch size: the
   ceiling). Then each model's query embedding latency (one question per call, p50, through the gateway and
   direct) and its worker's memory (resident set of the worker process now, and its peak).
2. Latency p50/p95 at 100k (and 1M with --million) synthetic chunks: see bench/knowledge_latency.py.
3. Quality: recall@1 and recall@5 of vector, full-text and hybrid retrieval through the API, per model, on two sets:
   - the Debian FAQ (the set hezi's retrieval constants are chosen on): its own headings that are questions ("2.3.
     Is Debian free?" → "Is Debian free?"), each once; the right answer is a chunk whose own (deepest) heading has
     the question's number. Note the heading is inside its answer chunk.
   - the Debian Reference (held out: no constant is chosen on it): bench/data/debian_reference_questions.json, 42
     questions written from its content in both languages; the right answer is a chunk holding the answer's phrase
     in the document's language.
   English → English, Chinese → Chinese, and Chinese → English (a Chinese question against the English documents;
   both translations keep the original's numbering).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
from hezi.serving.bundled import E5_NAME, MINILM_NAME  # noqa: E402

PASSWORD = "bench-admin-password"


def scratch(prefix: str) -> Path:
    """A temporary folder removed when the run ends."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


EMBED_BATCH = 16  # what ingestion sends per call (hezi.knowledge.ingest.EMBED_BATCH)
LANGS: tuple[debian.Lang, ...] = ("en", "zh-cn")
MODELS = (MINILM_NAME, E5_NAME)  # before (English only), after (multilingual, the default): same run, same documents
REFERENCE_QUESTIONS = ROOT / "bench" / "data" / "debian_reference_questions.json"


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
    """hezi serve with its job worker and bundled models; (URL, auth header, an embedding worker's threads) once
    every embedding model in MODELS is ready."""
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
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError, KeyError):
                r = httpx.post(f"{url}/api/auth/login", json={"username": "admin", "password": PASSWORD}, timeout=5)
                if r.status_code == 200:
                    auth = {"Authorization": f"Bearer {r.json()['token']}"}
                    models = {
                        m["name"]: m for m in httpx.get(f"{url}/api/models", headers=auth, timeout=5).json()["data"]
                    }
                    deployments = [(models.get(name) or {}).get("deployment") for name in MODELS]
                    if all(d and d["status"] == "ready" for d in deployments):
                        yield url, auth, int(deployments[0]["threads"])  # type: ignore[index]
                        return
            if proc.poll() is not None:
                raise SystemExit("hezi serve exited during start-up")
            time.sleep(0.5)
        raise SystemExit(f"hezi did not start in time (or an embedding model in {MODELS} is missing)")
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


def gateway_embed(http: httpx.Client, key: str, model: str, texts: list[str]) -> float:
    """Seconds to embed `texts` through hezi's OpenAI-compatible endpoint, EMBED_BATCH at a time."""
    t0 = time.perf_counter()
    for i in range(0, len(texts), EMBED_BATCH):
        body = {"model": model, "input": texts[i : i + EMBED_BATCH]}
        http.post("/v1/embeddings", json=body, headers={"Authorization": f"Bearer {key}"}).raise_for_status()
    return time.perf_counter() - t0


def gateway_query_ms(http: httpx.Client, key: str, model: str, prefix: str, questions: list[str]) -> float:
    """p50 milliseconds to embed one question through /v1/embeddings, with the prefix retrieval adds ("query: ")."""
    headers = {"Authorization": f"Bearer {key}"}
    http.post("/v1/embeddings", json={"model": model, "input": prefix + questions[0]}, headers=headers)  # warm-up
    times = []
    for q in questions:
        t0 = time.perf_counter()
        http.post("/v1/embeddings", json={"model": model, "input": prefix + q}, headers=headers).raise_for_status()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def worker_memory(http: httpx.Client, model: str) -> tuple[float, float]:
    """The embedding worker's resident set now and at its peak, MiB (its process, from /proc: hezi runs here)."""
    deployment = next(m for m in http.get("/api/models").json()["data"] if m["name"] == model)["deployment"]
    rss = peak = 0.0
    for instance in deployment["instances"]:
        status = Path(f"/proc/{instance['pid']}/status").read_text()
        fields = {k: v for k, _, v in (line.partition(":") for line in status.splitlines())}
        rss += int(fields["VmRSS"].split()[0]) / 1024
        peak += int(fields["VmHWM"].split()[0]) / 1024
    return rss, peak


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


_engines: dict[tuple[str, int], Any] = {}


def engine(model: str, threads: int) -> Any:
    """The embedding engine hezi's worker runs for `model`, loaded in this process with the deployment's settings."""
    from hezi.serving.e5_gguf import ensure_e5_gguf
    from hezi.serving.llamacpp.embedding import EmbeddingEngine
    from hezi.serving.minilm_gguf import ensure_minilm_gguf

    if (model, threads) not in _engines:
        with quiet_stderr():
            ensure = {MINILM_NAME: ensure_minilm_gguf, E5_NAME: ensure_e5_gguf}[model]
            gguf = ensure(scratch(f"hezi-bench-{model}-"))
            _engines[model, threads] = EmbeddingEngine(str(gguf), n_ctx=512, n_parallel=4, n_threads=threads)
    return _engines[model, threads]


def direct_embed(model: str, texts: list[str], threads: int) -> float:
    """Seconds for the embedding engine itself, in this process, with the deployment's settings (the ceiling);
    infinite when the engine refuses an input (as ingestion would). Documents get their prefix, as in ingestion."""
    from hezi.serving.llamacpp.engine import EngineError

    e = engine(model, threads)
    with quiet_stderr():
        e.embed(texts[:EMBED_BATCH], role="document")  # warm-up
        t0 = time.perf_counter()
        try:
            for i in range(0, len(texts), EMBED_BATCH):
                e.embed(texts[i : i + EMBED_BATCH], role="document")
        except EngineError:
            return float("inf")
        return time.perf_counter() - t0


def direct_query_ms(model: str, questions: list[str], threads: int) -> float:
    """p50 milliseconds for the engine itself to embed one question (with the model's query prefix)."""
    e = engine(model, threads)
    times = []
    with quiet_stderr():
        e.embed(questions[:1], role="query")
        for q in questions:
            t0 = time.perf_counter()
            e.embed([q], role="query")
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


# --- quality --------------------------------------------------------------------------------------------------


@dataclass
class Asked:
    """A question and how to tell a retrieved chunk that answers it."""

    text: str
    right: Callable[[dict[str, Any]], bool]


@dataclass
class Case:
    pair: str  # "zh → en"
    kb: str  # which knowledge base of the model's it asks ("faq-en")
    asked: list[Asked]


def answerable(docs: list[Doc]) -> set[str]:
    """FAQ numbers that own at least one chunk under their own heading."""
    return {n for d in docs for c in d.chunks if (n := debian.section_number(" / ".join(c.section_path)))}


def faq_cases(faq: dict[debian.Lang, list[Doc]], questions: dict[debian.Lang, list[debian.Question]]) -> list[Case]:
    """The FAQ's own questions; right: a chunk whose own heading has the question's number."""

    def asked(lang: debian.Lang, numbers: set[str]) -> list[Asked]:
        def right(number: str) -> Callable[[dict[str, Any]], bool]:
            return lambda hit: debian.section_number(hit["section"]) == number

        return [Asked(q.text, right(q.number)) for q in questions[lang] if q.number in numbers]

    en, zh = answerable(faq["en"]), answerable(faq["zh-cn"])
    return [Case("en → en", "faq-en", asked("en", en)), Case("zh → zh", "faq-zh-cn", asked("zh-cn", zh)),
            Case("zh → en", "faq-en", asked("zh-cn", en))]  # fmt: skip


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def reference_cases(ref: dict[debian.Lang, list[Doc]]) -> list[Case]:
    """The held-out questions; right: a chunk with one of the answer's phrases in the documents' language. Every
    phrase is checked against the chunks here first, so a changed chunker cannot silently make a question
    unanswerable."""
    data = json.loads(REFERENCE_QUESTIONS.read_text())["questions"]
    for lang in LANGS:
        texts = [_squeezed(c.text) for d in ref[lang] for c in d.chunks]
        missing = [
            q["answer"][lang] for q in data if not any(_squeezed(p) in t for p in q["answer"][lang] for t in texts)
        ]
        assert not missing, f"{REFERENCE_QUESTIONS.name}: no {lang} chunk holds {missing}"

    def asked(question: debian.Lang, documents: debian.Lang) -> list[Asked]:
        def right(phrases: list[str]) -> Callable[[dict[str, Any]], bool]:
            squeezed = [_squeezed(p) for p in phrases]
            return lambda hit: any(p in _squeezed(hit["text"]) for p in squeezed)

        return [Asked(q[question], right(q["answer"][documents])) for q in data]

    return [Case("en → en", "ref-en", asked("en", "en")), Case("zh → zh", "ref-zh-cn", asked("zh-cn", "zh-cn")),
            Case("zh → en", "ref-en", asked("zh-cn", "en"))]  # fmt: skip


def recall(http: httpx.Client, base: str, asked: list[Asked], mode: dict[str, Any]) -> tuple[int, int, list[float]]:
    """How many questions have an answer first and in the top five, and the vector weights a weighted hybrid used."""
    at1 = at5 = 0
    weights = []
    for q in asked:
        r = http.post(f"{base}/retrieve", json={"query": q.text, "top_k": 5, **mode})
        r.raise_for_status()
        right = [q.right(h) for h in r.json()["data"]]
        at1 += right[:1] == [True]
        at5 += any(right)
        if r.json().get("vector_weight") is not None:
            weights.append(float(r.json()["vector_weight"]))
    return at1, at5, weights


MODES: list[tuple[str, dict[str, Any]]] = [
    ("vector", {"mode": "vector"}),
    ("full text", {"mode": "full_text"}),
    ("hybrid (default)", {"mode": "hybrid"}),  # what a caller gets who names no fusion
    ("hybrid RRF", {"mode": "hybrid", "fusion": "rrf"}),
]


def quality(http: httpx.Client, title: str, cases: list[Case], kbs: dict[str, dict[str, str]]) -> None:
    """Print one set's table: every model, mode and language pair; then whether hybrid meets the bar."""
    print(f"\n### {title}")
    print(f"{'':<40}" + "".join(f"{c.pair:>16}" for c in cases))
    print(f"{'questions':<40}" + "".join(f"{len(c.asked):>16}" for c in cases))
    verdicts = []
    for model in MODELS:
        found: dict[str, list[tuple[int, int]]] = {}
        for name, mode in MODES:
            measured = [recall(http, kbs[model][c.kb], c.asked, mode) for c in cases]
            found[name] = [(a1, a5) for a1, a5, _ in measured]
            row = "".join(
                f"{a1 / len(c.asked):>9.2f} / {a5 / len(c.asked):.2f}"
                for c, (a1, a5) in zip(cases, found[name], strict=True)
            )
            print(f"{model + '  ' + name:<40}{row}")
            if name == "hybrid (default)":
                used = [statistics.median(w) if w else float("nan") for _, _, w in measured]
                print(f"{model + '  vector weight used':<40}" + "".join(f"{u:>16.2f}" for u in used)
                      + "   (median; asked 0.5, raised when the base lacks the question's words)")  # fmt: skip
        for i, c in enumerate(cases):
            best = max(found["vector"][i][1], found["full text"][i][1])
            got = found["hybrid (default)"][i][1]
            verdicts.append(f"{c.pair}: {'yes' if got >= best else 'NO'} ({got} vs {best} of {len(c.asked)})")
        print(f"hybrid (default) ≥ the better single mode at @5, {model}: " + "; ".join(verdicts[-len(cases) :]))


def _top100(http: httpx.Client, base: str, q: Asked, **mode: Any) -> list[dict[str, Any]]:
    r = http.post(f"{base}/retrieve", json={"query": q.text, "top_k": 100, **mode})
    r.raise_for_status()
    return list(r.json()["data"])


def dump_scores(http: httpx.Client, cases: list[Case], kbs: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Every question's first-stage material, for replaying fusion offline (bench/knowledge_replay.py): the vector
    and full-text rankings (top 100 each), both scores of every chunk in either (hybrid with the vector weight 1,
    then 0, keeps both scores of the top 100 by each; its vector scores are relative cosines), the share of the
    question the knowledge base knows (from the weight a hybrid at 0.5 reports), and which chunks answer it.
    Enough to replay fusion of lists cut at 20 (what top 5 asks for) without ingesting again."""
    out: dict[str, Any] = {}
    for model in MODELS:
        for c in cases:
            rows = []
            base = kbs[model][c.kb]
            for q in c.asked:
                vector, text = _top100(http, base, q, mode="vector"), _top100(http, base, q, mode="full_text")
                both = _top100(http, base, q, mode="hybrid", fusion="weighted", vector_weight=1.0)
                both += _top100(http, base, q, mode="hybrid", fusion="weighted", vector_weight=0.0)
                seen = {h["chunk_id"]: h for h in [*vector, *text, *both]}
                default = http.post(f"{base}/retrieve", json={"query": q.text, "top_k": 5, "vector_weight": 0.5})
                used = float(default.json()["vector_weight"])  # 0.5 / (0.5 + 0.5 × coverage)
                rows.append({
                    "question": q.text,
                    "coverage": (1 - used) / used,
                    "hybrid": [h["chunk_id"] for h in default.json()["data"]],  # what the replay must reproduce
                    "vector": [[h["chunk_id"], h["score"]] for h in vector],
                    "full_text": [[h["chunk_id"], h["score"]] for h in text],
                    "both": {h["chunk_id"]: [h["scores"]["vector"], h["scores"]["full_text"]] for h in both},
                    "right": sorted(i for i, h in seen.items() if q.right(h)),
                })  # fmt: skip
            out[f"{model} | {c.pair}"] = rows
    return out


# --- ingestion ------------------------------------------------------------------------------------------------


@dataclass
class Ingested:
    model: str
    label: str
    docs: list[Doc]
    wall: float
    gateway: float | None  # seconds, when measured (the FAQ)
    failed: str = ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--million", action="store_true", help="also measure latency at 1M chunks (a long HNSW build)")
    parser.add_argument("--queries", type=int, default=50, help="queries per latency figure")
    parser.add_argument("--reference-pages", type=int, default=80, help="pages of each Reference PDF (0: all)")
    parser.add_argument("--skip-ingestion", action="store_true", help="latency only (no hezi, no quality)")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--dump", type=Path, help="also write every question's scores here, for knowledge_replay.py")
    args = parser.parse_args()
    print(f"# knowledge benchmark — {len(os.sched_getaffinity(0))} CPUs, load average at start "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip

    try:
        faq = {lang: [Doc(p) for p in debian.faq_chapters(lang)] for lang in LANGS}
        ref = {lang: [Doc(p) for p in debian.reference_chapters(lang)] for lang in LANGS}
        pdf = {lang: Doc(first_pages(debian.reference_pdf(lang), args.reference_pages)) for lang in LANGS}
    except debian.DebianDataUnavailable as exc:
        print(f"Debian documents unavailable ({exc}); ingestion and quality are skipped")
        faq, ref, pdf = {}, {}, {}
    vocabulary: Counter[str] = Counter()
    headings: dict[debian.Lang, list[str]] = {lang: [] for lang in LANGS}
    for lang, docs in faq.items():
        for d in docs:
            headings[lang] += [b.text for b in d.parsed.blocks if b.kind == "heading"]
    for d in [*pdf.values(), *(x for docs in faq.values() for x in docs)]:
        vocabulary.update(t for s in d.search_tokens for t in s.split())
    questions = {lang: debian.questions(headings[lang]) for lang in LANGS}

    if faq and not args.skip_ingestion:
        run_ingestion_and_quality(faq, ref, pdf, questions, args.dump)
    if not args.skip_latency:
        if not vocabulary:  # no Debian documents: the chunking module's own words stand in
            vocabulary.update(tokens((ROOT / "src/hezi/knowledge/chunking.py").read_text()))
        asked = [q.text for lang in LANGS for q in questions[lang]] or ["how do I install a package"]
        sizes = [100_000] + ([1_000_000] if args.million else [])
        print("\n## retrieval latency, synthetic 384-d chunks (hezi's own retrieval code), top 20")
        for line in knowledge_latency.run(vocabulary, asked, sizes=sizes, queries=args.queries):
            print(line)


def run_ingestion_and_quality(
    faq: dict[debian.Lang, list[Doc]],
    ref: dict[debian.Lang, list[Doc]],
    pdf: dict[debian.Lang, Doc],
    questions: dict[debian.Lang, list[debian.Question]],
    dump: Path | None = None,
) -> None:
    # Each model ingests the same sets into knowledge bases of its own, one set at a time, the models one after the
    # other (never sharing the CPU). The FAQ both languages at once: 32 pages in the queue together.
    sets: list[tuple[str, dict[str, list[Doc]]]] = [
        ("Debian FAQ HTML, en + zh-cn", {f"faq-{lang}": faq[lang] for lang in LANGS}),
        *((f"Debian Reference HTML, {lang}", {f"ref-{lang}": ref[lang]}) for lang in LANGS),
        *((f"Debian Reference PDF, {lang}", {"pdf": [pdf[lang]]}) for lang in LANGS),
    ]
    measured_alone = {sets[0][0]}  # the parts alone on the FAQ; the bigger sets end to end only, to keep the run short
    texts = {label: [c.text for docs in by_kb.values() for d in docs for c in d.chunks] for label, by_kb in sets}
    # The direct baseline runs with hezi stopped, before and after it, so the two never share the CPU; the faster
    # of its two runs counts (these machines are shared and noisy).
    threads = len(os.sched_getaffinity(0))  # what a bundled deployment gets (registry.default_threads)
    before = {(m, label): direct_embed(m, texts[label], threads) for m in MODELS for label in measured_alone}
    again = measured_alone  # measured again after hezi stops
    asked = {lang: [q.text for q in questions[lang]][:50] for lang in LANGS}
    results: list[Ingested] = []
    query_ms: dict[str, tuple[float, float]] = {}
    memory: dict[str, tuple[float, float]] = {}
    with hezi() as (url, auth, threads), httpx.Client(base_url=url, headers=auth, timeout=120) as http:
        ws = http.get("/api/auth/me").json()["workspaces"][0]["id"]
        key = http.post(f"/api/workspaces/{ws}/api-keys", json={"name": "bench"}).json()["key"]
        prefixes = {m["name"]: m["embedding_prefixes"].get("query", "") for m in http.get("/api/models").json()["data"]}
        kbs: dict[str, dict[str, str]] = {}
        for model in MODELS:
            kbs[model] = {}
            for name in ("faq-en", "faq-zh-cn", "ref-en", "ref-zh-cn", "pdf"):
                r = http.post(
                    f"/api/workspaces/{ws}/knowledge-bases", json={"name": f"{name} {model}", "embedding_model": model}
                )
                r.raise_for_status()
                assert r.json()["embedding_model"] == model, r.json()
                kbs[model][name] = f"/api/workspaces/{ws}/knowledge-bases/{r.json()['id']}"
            for label, by_kb in sets:
                pending: dict[str, set[str]] = {}
                for kb, docs in by_kb.items():
                    pending |= upload(http, kbs[model][kb], [d.path for d in docs])
                wall, stored_docs = wait(http, pending)
                docs = [d for ds in by_kb.values() for d in ds]
                broken = [f"{d['name']}: {d['error']}" for d in stored_docs if d["status"] == "failed"]
                if broken:
                    results.append(Ingested(model, label, docs, wall, None, "; ".join(broken)))
                    continue
                stored = sum(d["chunks_total"] for d in stored_docs)
                assert stored == len(texts[label]), (label, stored, len(texts[label]))  # the same chunks on both sides
                gw = gateway_embed(http, key, model, texts[label]) if label in measured_alone else None
                results.append(Ingested(model, label, docs, wall, gw))
            query_ms[model] = tuple(gateway_query_ms(http, key, model, prefixes[model], asked[lang]) for lang in LANGS)  # type: ignore[assignment]
            memory[model] = worker_memory(http, model)

        print("\n## retrieval quality — recall@1 / recall@5 through the API (top 5)")
        tuning, held_out = faq_cases(faq, questions), reference_cases(ref)  # the latter checks its phrases first
        quality(http, "Debian FAQ, its own question headings (the set the constants are chosen on)", tuning, kbs)
        quality(http, "Debian Reference, questions written from its content (held out)", held_out, kbs)
        if dump is not None:
            scores = {"faq": dump_scores(http, tuning, kbs), "reference": dump_scores(http, held_out, kbs)}
            dump.write_text(json.dumps(scores))

    print(
        f"\n## ingestion — end to end through hezi serve; {threads} threads per embedding worker, "
        f"batches of {EMBED_BATCH}"
    )
    print(f"{'':<50}{'docs':>5}{'pages':>6}{'chunks':>7}{'e2e s':>8}{'chunks/s':>9}{'pages/s':>8}"
          f"{'parse+chunk s':>14}{'gateway embed s':>16}{'direct embed s':>15}{'e2e ÷ direct':>13}")  # fmt: skip
    rate: dict[tuple[str, str], float] = {}
    for row in results:
        name = f"{row.model}  {row.label}"
        if row.failed:
            print(f"{name:<50}{len(row.docs):>5}  FAILED after {row.wall:.1f} s: {row.failed}")
            continue
        n = len(texts[row.label])
        rate[row.model, row.label] = n / row.wall
        parse = sum(d.seconds for d in row.docs)
        pages = sum(d.pages for d in row.docs)
        line = (f"{name:<50}{len(row.docs):>5}{pages:>6}{n:>7}{row.wall:>8.1f}{n / row.wall:>9.1f}"
                f"{pages / row.wall:>8.2f}{parse:>14.1f}")  # fmt: skip
        if row.gateway is not None:
            direct = before[row.model, row.label]
            if row.label in again:
                direct = min(direct, direct_embed(row.model, texts[row.label], threads))
            line += f"{row.gateway:>16.1f}{direct:>15.1f}{direct / row.wall:>13.2f}"
        print(line)
    print("(e2e ÷ direct: ingestion's chunks/s as a share of the embedding engine's own chunks/s on the same chunks; "
          "HTML pages are chapter files)")  # fmt: skip
    for label, _ in sets:
        if (E5_NAME, label) in rate and (MINILM_NAME, label) in rate:
            print(f"chunks/s {E5_NAME} ÷ {MINILM_NAME}, {label}: {rate[E5_NAME, label] / rate[MINILM_NAME, label]:.2f}")

    print("\n## query embedding (one question per call, p50 ms over the FAQ's first 50 questions per language) and "
          "worker memory")  # fmt: skip
    print(
        f"{'':<26}{'gateway en':>11}{'gateway zh':>11}{'direct en':>10}{'direct zh':>10}{'worker RSS MiB':>15}"
        f"{'peak MiB':>9}"
    )
    for model in MODELS:
        direct_q = [direct_query_ms(model, asked[lang], threads) for lang in LANGS]
        rss, peak = memory[model]
        print(f"{model:<26}{query_ms[model][0]:>11.1f}{query_ms[model][1]:>11.1f}{direct_q[0]:>10.1f}{direct_q[1]:>10.1f}"
              f"{rss:>15.0f}{peak:>9.0f}")  # fmt: skip
    print(
        "(gateway: /v1/embeddings over HTTP with the model's query prefix, what a search pays plus HTTP; direct: the "
        "engine in this process; memory: the worker process after ingesting every set)"
    )


if __name__ == "__main__":
    main()
