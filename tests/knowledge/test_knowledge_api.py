"""Knowledge bases end to end: real documents ingested by the job, embedded by the bundled model, retrieved."""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

import psycopg
import pytest
from docx import Document as Docx

from hezi.jobs.knowledge import defer_ingest
from hezi.jobs.queue import build_job_app
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique

TEA = (
    "Green tea is made from leaves that are not oxidised. It is steamed or pan-fired soon after picking.\n\n"
    "Black tea is fully oxidised, which gives it a darker colour and a stronger taste."
)
ROCKETS = "A rocket engine burns fuel and oxidiser to push hot gas out of a nozzle, which pushes the rocket forward."
ZH = "长城是中国古代的军事防御工程。它西起嘉峪关，东至山海关，全长两万多公里。"


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def kb(admin: Api) -> dict[str, Any]:
    return admin.create_knowledge_base(name=unique("kb"), description="tests")


def base(kb: dict[str, Any]) -> str:
    return f"/api/workspaces/{kb['ws']}/knowledge-bases/{kb['id']}"


def wait_ready(admin: Api, kb: dict[str, Any], doc_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = next(d for d in admin.get(f"{base(kb)}/documents").json()["data"] if d["id"] == doc_id)
        if doc["status"] in ("ready", "failed"):
            return dict(doc)
        time.sleep(0.2)
    raise AssertionError(f"document not ingested in time: {doc}")


def add_text(admin: Api, kb: dict[str, Any], name: str, text: str) -> dict[str, Any]:
    r = admin.post(f"{base(kb)}/documents/text", json={"name": name, "text": text})
    assert r.status_code == 201, r.text
    return wait_ready(admin, kb, r.json()["id"])


def upload(admin: Api, kb: dict[str, Any], filename: str, data: bytes) -> Any:
    return admin.post(f"{base(kb)}/documents", params={"filename": filename}, content=data,
                      headers={"Content-Type": "application/octet-stream"})  # fmt: skip


def retrieve(admin: Api, kb: dict[str, Any], query: str, mode: str, k: int = 3) -> list[dict[str, Any]]:
    r = admin.post(f"{base(kb)}/retrieve", json={"query": query, "mode": mode, "top_k": k})
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def test_knowledge_base_is_created_with_the_bundled_multilingual_embedding_model(
    admin: Api, kb: dict[str, Any]
) -> None:
    assert kb["embedding_model"] == "multilingual-e5-small" and kb["dims"] == 384
    assert admin.get(base(kb)).json()["name"] == kb["name"]
    again = admin.post(f"/api/workspaces/{kb['ws']}/knowledge-bases", json={"name": kb["name"]})
    assert_error(again, 409, "knowledge_base_name_taken")
    bad = admin.post(f"/api/workspaces/{kb['ws']}/knowledge-bases", json={"name": "x", "embedding_model": "nope"})
    assert_error(bad, 404, "model_not_found")
    wrong_kind = admin.post(f"/api/workspaces/{kb['ws']}/knowledge-bases",
                            json={"name": "y", "embedding_model": "smollm2-135m-instruct"})  # fmt: skip
    assert_error(wrong_kind, 400, "wrong_model_kind")


def test_documents_are_ingested_and_found_by_each_mode(admin: Api, kb: dict[str, Any]) -> None:
    tea = add_text(admin, kb, "tea", TEA)
    assert tea["status"] == "ready" and tea["chunks_total"] >= 1 and tea["chunks_embedded"] == tea["chunks_total"]

    docx = Docx()
    docx.add_heading("Rocketry", level=1)
    docx.add_paragraph(ROCKETS)
    buf = io.BytesIO()
    docx.save(buf)
    r = upload(admin, kb, "rockets.docx", buf.getvalue())
    assert r.status_code == 201 and r.json()["status"] == "queued"
    rockets = wait_ready(admin, kb, r.json()["id"])
    assert rockets["status"] == "ready"

    for mode in ("vector", "full_text", "hybrid"):
        hits = retrieve(admin, kb, "How does a rocket engine push the rocket?", mode)
        assert hits and hits[0]["document_name"] == "rockets.docx", (mode, hits)
        assert hits[0]["section"] == "Rocketry"
    tea_hits = retrieve(admin, kb, "Which tea is oxidised fully?", "hybrid")
    assert tea_hits[0]["document_name"] == "tea.txt"


def test_chinese_full_text_search_uses_jieba(admin: Api, kb: dict[str, Any]) -> None:
    add_text(admin, kb, "great-wall", ZH)
    hits = retrieve(admin, kb, "长城有多长？", "full_text")
    assert hits and hits[0]["document_name"] == "great-wall.txt" and "嘉峪关" in hits[0]["text"]
    hybrid = retrieve(admin, kb, "长城有多长？", "hybrid")
    assert hybrid[0]["document_name"] == "great-wall.txt"


def test_bad_documents_fail_alone_with_their_reason(admin: Api, kb: dict[str, Any]) -> None:
    assert_error(upload(admin, kb, "tool.exe", b"MZ\x90\x00"), 415)
    assert_error(upload(admin, kb, "empty.txt", b""), 400)
    r = upload(admin, kb, "broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage")
    assert r.status_code == 201
    failed = wait_ready(admin, kb, r.json()["id"])
    assert failed["status"] == "failed" and failed["error_code"] and failed["error"]
    ok = add_text(admin, kb, "still-fine", "Documents after a broken one are ingested as usual.")
    assert ok["status"] == "ready"
    everything = admin.get(f"{base(kb)}/documents").json()
    page = admin.get(f"{base(kb)}/documents", params={"offset": 1, "limit": 2}).json()
    assert page["count"] == everything["count"] and [d["id"] for d in page["data"]] == [
        d["id"] for d in everything["data"][1:3]
    ]


def test_ingestion_resumes_without_duplicates_and_deleting_removes_chunks(
    model_server: LiveServer, admin: Api, kb: dict[str, Any]
) -> None:
    long_text = "\n\n".join(f"Paragraph {i} is about topic number {i} and nothing else." * 12 for i in range(12))
    doc = add_text(admin, kb, "long", long_text)
    assert doc["chunks_total"] > 3
    with psycopg.connect(model_server.database_url, autocommit=True) as conn:
        # As if the server had died halfway through embedding.
        conn.execute("UPDATE chunks SET embedding = NULL WHERE document_id = %s AND ordinal >= 2", (doc["id"],))
        conn.execute("UPDATE documents SET status = 'embedding' WHERE id = %s", (doc["id"],))

    async def requeue() -> None:
        jobs = build_job_app(model_server.database_url)
        async with jobs.open_async():
            import uuid

            await defer_ingest(jobs, uuid.UUID(doc["id"]))

    asyncio.run(requeue())
    again = wait_ready(admin, kb, doc["id"])
    assert again["status"] == "ready" and again["chunks_embedded"] == again["chunks_total"] == doc["chunks_total"]
    with psycopg.connect(model_server.database_url) as conn:
        counts = conn.execute(
            "SELECT count(*), count(DISTINCT ordinal), count(embedding) FROM chunks WHERE document_id = %s",
            (doc["id"],),
        ).fetchone()
    assert counts == (doc["chunks_total"],) * 3

    assert admin.delete(f"{base(kb)}/documents/{doc['id']}").status_code == 204
    with psycopg.connect(model_server.database_url) as conn:
        left = conn.execute("SELECT count(*) FROM chunks WHERE document_id = %s", (doc["id"],)).fetchone()
    assert left == (0,)
    assert all(h["document_name"] != "long.txt" for h in retrieve(admin, kb, "topic number 7", "hybrid", 10))


def test_knowledge_bases_are_scoped_to_their_workspace(
    model_server: LiveServer, admin: Api, kb: dict[str, Any]
) -> None:
    outsider = admin.create_user()
    api = model_server.api().login(outsider["username"], outsider["password"])
    assert_error(api.get(f"/api/workspaces/{kb['ws']}/knowledge-bases"), 404)
    assert_error(api.post(f"{base(kb)}/retrieve", json={"query": "tea"}), 404)
    member = admin.create_user()
    admin.add_member(kb["ws"], member["username"], "member")
    reader = model_server.api().login(member["username"], member["password"])
    assert reader.post(f"{base(kb)}/retrieve", json={"query": "tea"}).status_code == 200
    assert_error(reader.post(f"{base(kb)}/documents/text", json={"name": "n", "text": "t"}), 403)


def test_chunks_can_be_listed_edited_disabled_and_added_by_hand(admin: Api, kb: dict[str, Any]) -> None:
    doc = add_text(admin, kb, "editable", "Sailing boats use the wind.\n\nA keel keeps a boat upright.")
    url = f"{base(kb)}/documents/{doc['id']}/chunks"
    listed = admin.get(url).json()
    assert listed["count"] == doc["chunks_total"] and all(c["embedded"] and c["enabled"] for c in listed["data"])
    first = listed["data"][0]

    edited = admin.patch(f"{url}/{first['id']}", json={"text": "Zeppelins float because hydrogen is light."})
    assert edited.status_code == 200 and edited.json()["text"].startswith("Zeppelins") and edited.json()["embedded"]
    for mode in ("full_text", "vector"):
        hits = retrieve(admin, kb, "Why do zeppelins float?", mode)
        assert hits[0]["text"].startswith("Zeppelins"), mode  # the edit is searchable at once, both ways

    assert admin.patch(f"{url}/{first['id']}", json={"enabled": False}).json()["enabled"] is False
    assert all(not h["text"].startswith("Zeppelins") for h in retrieve(admin, kb, "Why do zeppelins float?", "hybrid"))

    added = admin.post(url, json={"text": "Hot air balloons rise because warm air is lighter than cold air."})
    assert added.status_code == 201 and added.json()["ordinal"] == doc["chunks_total"]
    assert retrieve(admin, kb, "why do hot air balloons rise", "hybrid")[0]["text"].startswith("Hot air")
    assert_error(admin.patch(f"{url}/999999999", json={"enabled": True}), 404, "chunk_not_found")
    assert_error(admin.patch(f"{url}/{first['id']}", json={"text": ""}), 422)


def test_documents_may_be_larger_than_other_request_bodies(
    admin: Api, kb: dict[str, Any], model_server: LiveServer
) -> None:
    small_limit, limit = model_server.settings.max_body_bytes, model_server.settings.max_document_bytes
    assert small_limit < limit
    line = "Lighthouses guide ships along the coast at night with a rotating beam of light.\n"
    big = (line * (small_limit // len(line) + 100)).encode()  # over the 1 MiB of ordinary bodies
    r = upload(admin, kb, "lighthouses.txt", big)
    assert r.status_code == 201, r.text
    assert r.json()["size_bytes"] == len(big)
    too_big = upload(admin, kb, "huge.txt", b"x" * (limit + 1))
    assert assert_error(too_big, 413, "payload_too_large")["details"] == {"max_bytes": limit}
    # ordinary JSON bodies keep their own, smaller limit
    r = admin.post(
        f"/api/workspaces/{kb['ws']}/knowledge-bases", json={"name": "x" * 10, "description": "d" * small_limit}
    )
    assert_error(r, 413, "payload_too_large")
    admin.delete(f"{base(kb)}/documents/{upload_id(admin, kb, 'lighthouses.txt')}")


def upload_id(admin: Api, kb: dict[str, Any], name: str) -> str:
    return str(next(d["id"] for d in admin.get(f"{base(kb)}/documents").json()["data"] if d["name"] == name))
