"""Retrieval as a caller tunes it: per-mode scores, weighted fusion, metadata filters, stored defaults, parent
passages, rerank by a provider's reranker, and re-indexing when the embedding model changes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import psycopg
import pytest

from hezi.egress import parse_cidrs
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique
from tests.knowledge.embedders import deploy
from tests.knowledge.test_knowledge_api import add_text, base, wait_ready

DOCS = {
    "leave.txt": ("Annual leave: every employee has twenty-five days of paid annual leave per year. "
                  "Unused leave can be carried over until March.", {"department": "HR", "year": 2025}),
    "leave-2023.txt": ("Annual leave in 2023: employees had twenty days of paid annual leave per year.",
                       {"department": "HR", "year": 2023}),
    "servers.txt": ("The data centre has forty servers. Backups of every server run nightly at two o'clock.",
                    {"department": "IT", "year": 2025}),
    "travel.txt": ("Travel expenses are reimbursed within thirty days when receipts are attached.",
                   {"department": "Finance", "year": 2024, "draft": True}),
}  # fmt: skip


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def kb(admin: Api, model_server: LiveServer) -> dict[str, Any]:
    kb = admin.create_knowledge_base(name=unique("policies"))
    with psycopg.connect(model_server.database_url) as db:
        for name, (text, metadata) in DOCS.items():
            doc = add_text(admin, kb, name, text)
            db.execute("UPDATE documents SET metadata = %s WHERE id = %s", (json.dumps(metadata), doc["id"]))
    return kb


def search(admin: Api, kb: dict[str, Any], **body: Any) -> list[dict[str, Any]]:
    r = admin.post(f"{base(kb)}/retrieve", json=body)
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def names(hits: list[dict[str, Any]]) -> list[str]:
    return [h["document_name"] for h in hits]


def test_hybrid_hits_show_each_modes_score(admin: Api, kb: dict[str, Any]) -> None:
    hits = search(admin, kb, query="How many days of annual leave do employees get?", mode="hybrid", top_k=4)
    assert names(hits)[0] in ("leave.txt", "leave-2023.txt")
    for h in hits:
        assert h["scores"]["vector"] is not None and -1 <= h["scores"]["vector"] <= 1
        assert h["scores"]["full_text"] is not None and 0 <= h["scores"]["full_text"] <= 1
        assert h["scores"]["rerank"] is None
        assert h["chunk_id"] > 0 and h["metadata"]["department"] in ("HR", "IT", "Finance")
    servers = next(h for h in hits if h["document_name"] == "servers.txt")
    assert servers["scores"]["full_text"] == 0  # no query term in it: found by its vector alone
    only_vector = search(admin, kb, query="annual leave", mode="vector", top_k=2)
    assert all(h["scores"]["full_text"] is None for h in only_vector)


def test_weighted_fusion_follows_its_weight(admin: Api, kb: dict[str, Any]) -> None:
    q = "backups of the servers"
    vector_order = names(search(admin, kb, query=q, mode="vector", top_k=4))
    all_vector = search(admin, kb, query=q, mode="hybrid", fusion="weighted", vector_weight=1.0, top_k=4)
    assert names(all_vector) == vector_order
    assert [h["score"] for h in all_vector] == [h["scores"]["vector"] for h in all_vector]
    all_text = search(admin, kb, query=q, mode="hybrid", fusion="weighted", vector_weight=0.0, top_k=1)
    assert names(all_text) == ["servers.txt"] and all_text[0]["score"] == all_text[0]["scores"]["full_text"]
    # The default weight (0.5) is what the vector ranking gets when its best hit stands out; the response says the
    # weight this query was fused with, and every hit's score is that mix of its two scores.
    r = admin.post(f"{base(kb)}/retrieve", json={"query": q, "top_k": 4})
    used = r.json()["vector_weight"]
    assert 0 < used <= 0.5, used
    for h in r.json()["data"]:
        assert h["score"] == pytest.approx(
            used * h["scores"]["vector"] + (1 - used) * h["scores"]["full_text"], abs=2e-6
        )
    asked = admin.post(f"{base(kb)}/retrieve", json={"query": q, "vector_weight": 1.0}).json()
    assert asked["vector_weight"] == 1.0
    assert admin.post(f"{base(kb)}/retrieve", json={"query": q, "mode": "vector"}).json()["vector_weight"] is None


def test_metadata_filters_narrow_every_mode(admin: Api, kb: dict[str, Any]) -> None:
    q = "annual leave days"
    for mode in ("vector", "full_text", "hybrid"):
        hr = [{"key": "department", "value": "HR"}, {"key": "year", "op": "gte", "value": 2025}]
        hr_2025 = search(admin, kb, query=q, mode=mode, top_k=5, filters=hr)
        assert names(hr_2025) == ["leave.txt"], mode
    older = search(admin, kb, query=q, mode="vector", top_k=5, filters=[{"key": "year", "op": "lt", "value": 2025}])
    assert set(names(older)) == {"leave-2023.txt", "travel.txt"}
    some = search(admin, kb, query=q, mode="vector", top_k=5,
                  filters=[{"key": "department", "op": "in", "value": ["IT", "Finance"]}])  # fmt: skip
    assert set(names(some)) == {"servers.txt", "travel.txt"}
    assert names(search(admin, kb, query=q, mode="vector", filters=[{"key": "draft", "op": "exists"}])) == [
        "travel.txt"
    ]
    assert search(admin, kb, query=q, mode="hybrid", filters=[{"key": "department", "value": "Legal"}]) == []
    # a string is never "greater" than a number: comparisons hold only between values of one type
    assert search(admin, kb, query=q, mode="vector", filters=[{"key": "year", "op": "gt", "value": "2000"}]) == []
    bad = admin.post(f"{base(kb)}/retrieve", json={"query": q, "filters": [{"key": "x", "op": "like"}]})
    assert_error(bad, 422)


def test_stored_defaults_apply_when_a_request_names_none(admin: Api, kb: dict[str, Any]) -> None:
    r = admin.patch(base(kb), json={"retrieval": {"mode": "full_text", "top_k": 1}})
    assert r.status_code == 200, r.text
    assert r.json()["retrieval"]["mode"] == "full_text" and r.json()["retrieval"]["top_k"] == 1
    try:
        r = admin.post(f"{base(kb)}/retrieve", json={"query": "servers backups"})
        assert r.json()["mode"] == "full_text" and names(r.json()["data"]) == ["servers.txt"]
        r = admin.post(f"{base(kb)}/retrieve", json={"query": "servers backups", "mode": "vector", "top_k": 3})
        assert r.json()["mode"] == "vector" and len(r.json()["data"]) == 3  # the request wins
    finally:
        admin.patch(base(kb), json={"retrieval": {}})
    assert admin.get(base(kb)).json()["retrieval"]["mode"] == "hybrid"
    assert_error(admin.patch(base(kb), json={"retrieval": {"top_k": 0}}), 422)


def test_parent_child_hits_return_their_parent_passage(admin: Api) -> None:
    chunking = {"mode": "parent_child", "parent_max_tokens": 400, "child_max_tokens": 30}
    pc = admin.create_knowledge_base(chunking=chunking)
    passage = (
        "Visitors must sign in at the front desk. They receive a badge that must be worn at all times. "
        "Badges are returned when leaving. Lost badges are reported to security at once. "
        "Visitors are accompanied by their host in every area."
    )
    doc = add_text(admin, pc, "visitors.txt", passage + "\n\n" + "Parking is free for visitors on level two.")
    assert doc["status"] == "ready" and doc["chunks_total"] >= 3
    hit = search(admin, pc, query="lost badges reported to security", mode="hybrid", top_k=1)[0]
    assert "Lost badges" in hit["text"] and len(hit["text"]) < len(passage)
    assert hit["parent_text"] is not None and "sign in at the front desk" in hit["parent_text"]
    assert "Lost badges are reported" in hit["parent_text"]


class _Reranker(BaseHTTPRequestHandler):
    """Stands in for a remote reranking service (Jina/Cohere shape): scores by the share of query words a passage
    contains. Lexical, but it is a real HTTP server answering real calls."""

    calls: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
        words = set(body["query"].lower().replace("?", "").split())
        scores = [len(words & set(d.lower().replace(".", "").split())) / len(words) for d in body["documents"]]
        out = json.dumps({"results": [{"index": i, "relevance_score": s} for i, s in enumerate(scores)]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def reranker(model_server: LiveServer) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Reranker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state = model_server.app.state
    saved, state.services.egress.allowed = state.services.egress.allowed, parse_cidrs("127.0.0.0/8")
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    state.services.egress.allowed = saved
    server.shutdown()


def test_a_providers_reranker_reorders_the_candidates(admin: Api, kb: dict[str, Any], reranker: str) -> None:
    r = admin.post(f"/api/workspaces/{kb['ws']}/providers",
                   json={"name": "rr", "base_url": reranker, "api_key": "sk-rr", "models": ["rank-1"]})  # fmt: skip
    assert r.status_code == 201, r.text
    q = "when are receipts reimbursed"
    hits = search(admin, kb, query=q, mode="hybrid", top_k=2, rerank_model="rr/rank-1")
    assert names(hits)[0] == "travel.txt"
    assert hits[0]["score"] == hits[0]["scores"]["rerank"] == 1.0  # all four query words
    assert hits[1]["score"] == hits[1]["scores"]["rerank"] < 1.0
    assert hits[0]["scores"]["vector"] is not None  # the first stage's scores stay visible
    call = _Reranker.calls[-1]
    assert call["path"] == "/v1/rerank" and call["model"] == "rank-1" and call["auth"] == "Bearer sk-rr"
    assert call["query"] == q and len(call["documents"]) == 4  # every candidate, not only the top 2
    missing = admin.post(f"{base(kb)}/retrieve", json={"query": q, "rerank_model": "nope/none"})
    assert_error(missing, 400, "reranker_not_found")


def test_changing_the_embedding_model_reindexes_in_the_background(
    admin: Api, model_server: LiveServer, second_embedder: dict[str, Any]
) -> None:
    name = second_embedder["name"]
    kb = admin.create_knowledge_base()
    for n, (text, _) in DOCS.items():
        add_text(admin, kb, n, text)
    with psycopg.connect(model_server.database_url) as db:
        before = dict(db.execute("SELECT id, embedding::text FROM chunks WHERE knowledge_base_id = %s", (kb["id"],)))

    assert_error(admin.patch(base(kb), json={"embedding_model": "no-such-model"}), 404, "model_not_found")
    r = admin.patch(base(kb), json={"embedding_model": name})
    assert r.status_code == 200, r.text
    assert r.json()["embedding_model"] == name and r.json()["dims"] == 384
    deadline = time.monotonic() + 60
    while True:
        docs = admin.get(f"{base(kb)}/documents").json()["data"]
        if all(d["status"] == "ready" and d["chunks_embedded"] == d["chunks_total"] for d in docs):
            break
        assert time.monotonic() < deadline, docs
        time.sleep(0.3)
    with psycopg.connect(model_server.database_url) as db:
        after = dict(db.execute("SELECT id, embedding::text FROM chunks WHERE knowledge_base_id = %s", (kb["id"],)))
    assert after.keys() == before.keys() and all(after[i] is not None and after[i] != before[i] for i in after)
    hits = search(admin, kb, query="nightly backups of the servers", mode="vector", top_k=1)
    assert names(hits) == ["servers.txt"]


def test_embeddings_made_for_a_knowledge_base_are_metered_to_its_workspace(admin: Api) -> None:
    kb = admin.create_knowledge_base()
    ws = kb["ws"]
    add_text(admin, kb, "servers.txt", DOCS["servers.txt"][0])
    search(admin, kb, query="backups", mode="vector")
    deadline = time.monotonic() + 10
    while True:  # usage rows are written off the request path
        rows = admin.get(f"/api/workspaces/{ws}/usage", params={"group_by": "endpoint"}).json()["data"]
        knowledge = next((row for row in rows if row["key"] == "knowledge"), None)
        if knowledge and knowledge["requests"] >= 3:  # the dimension probe, the document, the query
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.2)
    assert knowledge["prompt_tokens"] > 10
    by_model = admin.get(f"/api/workspaces/{ws}/usage", params={"group_by": "model"}).json()["data"]
    assert [row["key"] for row in by_model] == ["multilingual-e5-small"]


def test_a_document_failed_for_a_stopped_model_is_retried_once_it_is_back(
    admin: Api, second_embedder: dict[str, Any]
) -> None:
    kb = admin.create_knowledge_base(embedding_model=second_embedder["name"])
    assert admin.post(f"/api/models/{second_embedder['id']}/stop").status_code == 200
    try:
        failed = add_text(admin, kb, "servers.txt", DOCS["servers.txt"][0])
        assert failed["status"] == "failed" and failed["error_code"] == "model_not_found", failed
        assert failed["chunks_total"] > 0  # parsed and stored before the embedding step failed
    finally:
        deploy(admin, second_embedder["id"])
    r = admin.post(f"{base(kb)}/documents/{failed['id']}/retry")
    assert r.status_code == 200 and r.json()["status"] == "queued", r.text
    done = wait_ready(admin, kb, failed["id"])
    assert done["status"] == "ready" and done["chunks_embedded"] == done["chunks_total"] == failed["chunks_total"]
    assert names(search(admin, kb, query="nightly backups", mode="vector")) == ["servers.txt"]
    assert_error(admin.post(f"{base(kb)}/documents/{failed['id']}/retry"), 409, "document_not_failed")


def test_chunks_longer_than_the_embedding_model_reads_are_embedded_on_their_beginning(admin: Api) -> None:
    """MiniLM reads 512 tokens; a knowledge base cutting 1500-token chunks still ingests (sentence-transformers
    truncates the same way), and the whole chunk stays searchable by its words."""
    chunking = {"mode": "custom", "separator": "\n\n", "max_tokens": 1500, "overlap_tokens": 0}
    kb = admin.create_knowledge_base(chunking=chunking)
    body = " ".join(f"Lighthouse keepers logged the weather in entry {i}." for i in range(120))
    doc = add_text(admin, kb, "log.txt", body + " The last entry mentions a shipwreck near the reef.")
    assert doc["status"] == "ready" and doc["chunks_total"] == 1, doc
    assert names(search(admin, kb, query="lighthouse keepers weather log", mode="vector")) == ["log.txt"]
    assert names(search(admin, kb, query="shipwreck reef", mode="full_text")) == ["log.txt"]


def test_words_standing_together_outrank_the_same_words_scattered(admin: Api) -> None:
    """Many chunks can hold every word of a short question; full text ranks the one where they stand together
    first, and hybrid sees the same text score, so the tie is not left to the vectors alone."""
    kb = admin.create_knowledge_base()
    add_text(admin, kb, "scattered.txt", "The password of the guest network changes monthly. Staff on the road use "
             "the VPN client. After three wrong attempts, wait ten minutes before you reset anything.")  # fmt: skip
    add_text(admin, kb, "together.txt", "Forgot it? To reset the VPN password, open the self-service portal, choose "
             "Reset VPN password and follow the mail it sends.")  # fmt: skip
    add_text(admin, kb, "printer.txt", "Printers on every floor accept badges; toner is in the store room.")
    text_hits = search(admin, kb, query="reset VPN password", mode="full_text", top_k=3)
    assert names(text_hits) == ["together.txt", "scattered.txt"], text_hits
    together, scattered = (h["scores"]["full_text"] for h in text_hits)
    assert together == 1.0 and 0.7 <= scattered < together  # both hold every word: only proximity differs
    hybrid = {h["document_name"]: h["scores"]["full_text"] for h in search(admin, kb, query="reset VPN password")}
    assert hybrid["together.txt"] == together and hybrid["scattered.txt"] == scattered
    assert hybrid["printer.txt"] == 0


def test_full_text_weighs_rare_words_over_common_ones(admin: Api, model_server: LiveServer) -> None:
    kb = admin.create_knowledge_base()
    common = [f"Debian release {i}: Debian ships Debian packages, and Debian mirrors carry Debian." for i in range(6)]
    for i, text in enumerate(common):
        add_text(admin, kb, f"debian-{i}.txt", text)
    rare = add_text(
        admin, kb, "say.txt", "You say the name Debian as deb-ee-en; to pronounce it, stress the first part."
    )
    hits = search(admin, kb, query="How do you pronounce Debian?", mode="full_text", top_k=3)
    # "pronounce" is in one chunk of seven, "Debian" in all seven: it adds almost nothing. say.txt covers the whole
    # question; proximity only scales that share (0.7…1), so it never lifts a chunk without the rare word.
    assert names(hits)[0] == "say.txt" and hits[0]["score"] >= 0.7 and hits[1]["score"] < 0.05
    either = search(admin, kb, query="Debian mirrors", mode="full_text", top_k=7)
    assert [h["score"] == 1.0 for h in either] == [True] * 6 + [False] and names(either)[-1] == "say.txt"

    def df(term: str) -> int:
        with psycopg.connect(model_server.database_url) as db:
            row = db.execute("SELECT df FROM knowledge_terms WHERE knowledge_base_id = %s AND term = %s",
                             (kb["id"], term)).fetchone()  # fmt: skip
        return int(row[0]) if row else 0

    assert (df("debian"), df("pronounce"), df("mirrors")) == (7, 1, 6)
    chunk = admin.get(f"{base(kb)}/documents/{rare['id']}/chunks").json()["data"][0]
    r = admin.patch(f"{base(kb)}/documents/{rare['id']}/chunks/{chunk['id']}", json={"text": "Mirrors carry it."})
    assert r.status_code == 200, r.text
    assert (df("debian"), df("pronounce"), df("mirrors")) == (6, 0, 7)
    assert search(admin, kb, query="pronounce", mode="full_text") == []
    assert admin.delete(f"{base(kb)}/documents/{rare['id']}").status_code == 204
    assert (df("debian"), df("mirrors")) == (6, 6)
