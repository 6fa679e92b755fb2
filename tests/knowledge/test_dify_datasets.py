"""Dify's knowledge API (/v1/datasets) end to end: a dataset key from the CLI, real ingestion, Dify's wire format."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import httpx
import pytest
from docx import Document as Docx

from tests.conftest import LiveServer
from tests.helpers import Api, unique
from tests.test_cli import hezi

ROCKETS = "A rocket engine burns fuel and oxidiser to push hot gas out of a nozzle, which pushes the rocket forward."
TEA = "Green tea is made from leaves that are not oxidised. Black tea is fully oxidised, which darkens it. 绿茶不发酵。"


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def workspace(admin: Api) -> dict[str, Any]:
    return admin.create_workspace()


@pytest.fixture(scope="module")
def dify(model_server: LiveServer, workspace: dict[str, Any]) -> httpx.Client:
    """A client holding a `datasets` key made the way the docs say: `hezi admin create-api-key --scope datasets`."""
    made = hezi(model_server, "admin", "create-api-key", "--user", model_server.admin_username,
                "--workspace", workspace["name"], "--name", "dify", "--scope", "datasets")  # fmt: skip
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    return httpx.Client(base_url=f"{model_server.url}/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60)


def assert_dify_error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Dify's error shape: {"code", "message", "status"} (and "params" naming a bad field)."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) - {"params"} == {"code", "message", "status"}, body
    assert body["code"] == code and body["status"] == status and isinstance(body["message"], str), body
    return dict(body)


def wait_completed(dify: httpx.Client, ds: str, batch: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = dify.get(f"/datasets/{ds}/documents/{batch}/indexing-status")
        assert r.status_code == 200, r.text
        status = r.json()["data"][0]
        if status["indexing_status"] in ("completed", "error") or time.monotonic() > deadline:
            return dict(status)
        assert status["indexing_status"] in ("waiting", "parsing", "indexing"), status
        time.sleep(0.2)


def docx_bytes(heading: str, text: str) -> bytes:
    doc = Docx()
    doc.add_heading(heading, level=1)
    doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_a_dataset_is_filled_indexed_searched_and_emptied(dify: httpx.Client) -> None:
    name = unique("dataset")
    r = dify.post("/datasets", json={"name": name, "description": "tests", "indexing_technique": "high_quality"})
    assert r.status_code == 200, r.text
    ds = r.json()
    assert ds["name"] == name and ds["indexing_technique"] == "high_quality" and ds["document_count"] == 0
    assert ds["embedding_model"] == "multilingual-e5-small" and isinstance(ds["created_at"], int)
    assert ds["retrieval_model_dict"]["search_method"] == "hybrid_search"
    assert_dify_error(dify.post("/datasets", json={"name": name}), 409, "dataset_name_duplicate")

    # A document from text, and one from a .docx file; each request is its own batch.
    r = dify.post(f"/datasets/{ds['id']}/document/create-by-text",
                  json={"name": "tea", "text": TEA, "process_rule": {"mode": "automatic"}})  # fmt: skip
    assert r.status_code == 200, r.text
    created = r.json()
    assert created["document"]["name"] == "tea.txt" and created["document"]["indexing_status"] == "waiting"
    assert len(created["batch"]) == 20 and created["document"]["position"] == 1
    tea = wait_completed(dify, ds["id"], created["batch"])
    assert tea["indexing_status"] == "completed" and tea["completed_segments"] == tea["total_segments"] >= 1
    assert tea["completed_at"] is not None and tea["error"] is None

    options = {"indexing_technique": "high_quality", "process_rule": {"mode": "automatic"}}
    r = dify.post(f"/datasets/{ds['id']}/document/create-by-file", data={"data": json.dumps(options)},
                  files={"file": ("rockets.docx", docx_bytes("Rocketry", ROCKETS))})  # fmt: skip
    assert r.status_code == 200, r.text
    rockets_doc = r.json()["document"]
    assert rockets_doc["name"] == "rockets.docx" and rockets_doc["data_source_type"] == "upload_file"
    assert r.json()["batch"] != created["batch"]
    assert wait_completed(dify, ds["id"], r.json()["batch"])["indexing_status"] == "completed"

    listed = dify.get(f"/datasets/{ds['id']}/documents", params={"page": 1, "limit": 1}).json()
    assert listed["total"] == 2 and listed["has_more"] is True and listed["limit"] == 1 and len(listed["data"]) == 1
    second = dify.get(f"/datasets/{ds['id']}/documents", params={"page": 2, "limit": 1}).json()
    assert second["has_more"] is False and second["data"][0]["id"] != listed["data"][0]["id"]
    found = dify.get(f"/datasets/{ds['id']}/documents", params={"keyword": "ROCKET"}).json()
    assert [d["name"] for d in found["data"]] == ["rockets.docx"] and found["total"] == 1
    doc = found["data"][0]
    assert doc["indexing_status"] == "completed" and doc["display_status"] == "available"
    assert doc["word_count"] >= len(ROCKETS) and doc["tokens"] > 0
    tea_doc = next(d for d in dify.get(f"/datasets/{ds['id']}/documents").json()["data"] if d["name"] == "tea.txt")
    tea_segs = dify.get(f"/datasets/{ds['id']}/documents/{tea_doc['id']}/segments").json()["data"]
    # The document's sums (SQL) agree with its segments' own counts (Python), Chinese included.
    assert tea_doc["tokens"] == sum(s["tokens"] for s in tea_segs) and tea_doc["word_count"] == sum(
        s["word_count"] for s in tea_segs
    )

    # Its segments: listed, one added by hand, edited, deleted.
    segs_url = f"/datasets/{ds['id']}/documents/{doc['id']}/segments"
    segs = dify.get(segs_url).json()
    assert segs["total"] >= 1 and segs["doc_form"] == "text_model"
    assert any("nozzle" in s["content"] for s in segs["data"])
    assert all(s["status"] == "completed" and s["enabled"] and s["document_id"] == doc["id"] for s in segs["data"])
    r = dify.post(segs_url, json={"segments": [{"content": "Hot air balloons rise because warm air is light."}]})
    assert r.status_code == 200, r.text
    balloon = r.json()["data"][0]
    assert balloon["position"] == segs["total"] + 1 and balloon["status"] == "completed"
    assert dify.get(segs_url, params={"keyword": "balloons"}).json()["total"] == 1
    r = dify.post(f"{segs_url}/{balloon['id']}", json={"segment": {"content": "Zeppelins float on hydrogen."}})
    assert r.status_code == 200 and r.json()["data"]["content"] == "Zeppelins float on hydrogen.", r.text

    # Retrieval finds the right segment in each of Dify's search methods.
    for method in ("hybrid_search", "semantic_search", "full_text_search", "keyword_search"):
        r = dify.post(f"/datasets/{ds['id']}/retrieve", json={
            "query": "How does a rocket engine push the rocket?",
            "retrieval_model": {"search_method": method, "reranking_enable": False, "top_k": 2,
                                "score_threshold_enabled": False}})  # fmt: skip
        assert r.status_code == 200, r.text
        top = r.json()["records"][0]
        assert "nozzle" in top["segment"]["content"], (method, top)
        assert top["segment"]["document"] == {"id": doc["id"], "data_source_type": "upload_file",
                                              "name": "rockets.docx"}  # fmt: skip
        assert len(r.json()["records"]) <= 2 and r.json()["query"] == {
            "content": "How does a rocket engine push the rocket?"
        }
    zeppelin = dify.post(f"/datasets/{ds['id']}/retrieve", json={"query": "why do zeppelins float"}).json()
    assert zeppelin["records"][0]["segment"]["id"] == balloon["id"]  # the edit is searchable at once

    assert dify.delete(f"{segs_url}/{balloon['id']}").status_code == 204
    assert dify.get(segs_url).json()["total"] == segs["total"]
    assert_dify_error(dify.delete(f"{segs_url}/{balloon['id']}"), 404, "not_found")

    got = dify.get(f"/datasets/{ds['id']}").json()
    assert got["document_count"] == 2 and got["word_count"] >= len(TEA) + len(ROCKETS)
    page = dify.get("/datasets", params={"keyword": name}).json()
    assert [d["id"] for d in page["data"]] == [ds["id"]] and page["total"] == 1 and page["page"] == 1

    assert dify.delete(f"/datasets/{ds['id']}/documents/{doc['id']}").status_code == 204
    assert dify.get(f"/datasets/{ds['id']}/documents").json()["total"] == 1
    assert all(
        rec["segment"]["document"]["id"] != doc["id"]
        for rec in dify.post(f"/datasets/{ds['id']}/retrieve", json={"query": "rocket nozzle"}).json()["records"]
    )
    assert dify.delete(f"/datasets/{ds['id']}").status_code == 204
    assert_dify_error(dify.get(f"/datasets/{ds['id']}"), 404, "not_found")


def test_difys_documented_requests_work_as_written(admin: Api, workspace: dict[str, Any], dify: httpx.Client) -> None:
    """Bodies copied from Dify's knowledge API docs (web/app/(commonLayout)/datasets/template/template.en.mdx)."""
    r = dify.post("/datasets", json={"name": unique("name"), "permission": "only_me"})
    assert r.status_code == 200, r.text
    ds = r.json()
    assert {"id", "name", "description", "provider", "permission", "data_source_type", "indexing_technique",
            "app_count", "document_count", "word_count", "created_by", "created_at", "updated_by", "updated_at",
            "embedding_model", "embedding_model_provider", "embedding_available", "retrieval_model_dict", "tags",
            "doc_form"} <= set(ds)  # fmt: skip

    # The older underscore spelling, with the docs' body.
    r = dify.post(f"/datasets/{ds['id']}/document/create_by_text",
                  json={"name": "text", "text": "text", "indexing_technique": "high_quality",
                        "process_rule": {"mode": "automatic"}})  # fmt: skip
    assert r.status_code == 200, r.text
    assert {"id", "position", "data_source_type", "data_source_info", "dataset_process_rule_id", "name",
            "created_from", "created_by", "created_at", "tokens", "indexing_status", "error", "enabled",
            "disabled_at", "disabled_by", "archived", "display_status", "word_count", "hit_count",
            "doc_form"} <= set(r.json()["document"])  # fmt: skip
    status = wait_completed(dify, ds["id"], r.json()["batch"])
    assert {"id", "indexing_status", "processing_started_at", "parsing_completed_at", "cleaning_completed_at",
            "splitting_completed_at", "completed_at", "paused_at", "error", "stopped_at", "completed_segments",
            "total_segments"} == set(status)  # fmt: skip

    # The docs' create_by_file `data`: a custom rule splitting at "###" — it becomes the dataset's chunking.
    data = ('{"indexing_technique":"high_quality","process_rule":{"rules":{"pre_processing_rules":'
            '[{"id":"remove_extra_spaces","enabled":true},{"id":"remove_urls_emails","enabled":true}],'
            '"segmentation":{"separator":"###","max_tokens":500}},"mode":"custom"}}')  # fmt: skip
    md = b"# Fruit\n\nApples grow on trees in orchards.###Bananas grow in tropical plantations."
    r = dify.post(f"/datasets/{ds['id']}/document/create_by_file", data={"data": data},
                  files={"file": ("fruit.md", md, "text/markdown")})  # fmt: skip
    assert r.status_code == 200, r.text
    doc = r.json()["document"]
    assert wait_completed(dify, ds["id"], r.json()["batch"])["indexing_status"] == "completed"
    kb = admin.get(f"/api/workspaces/{workspace['id']}/knowledge-bases/{ds['id']}").json()
    assert kb["chunking"] == {"mode": "custom", "separator": "###", "max_tokens": 500, "overlap_tokens": 0}
    segs = dify.get(f"/datasets/{ds['id']}/documents/{doc['id']}/segments").json()
    # hezi cuts at the separator, then packs the pieces up to max_tokens (Dify keeps each piece apart).
    assert segs["total"] == 1 and "Apples" in segs["data"][0]["content"]
    assert {"data", "doc_form", "has_more", "limit", "total", "page"} == set(segs)

    r = dify.post(f"/datasets/{ds['id']}/documents/{doc['id']}/segments",
                  json={"segments": [{"content": "1", "answer": "1", "keywords": ["a"]}]})  # fmt: skip
    assert r.status_code == 200, r.text
    seg = r.json()["data"][0]
    assert {"id", "position", "document_id", "content", "answer", "word_count", "tokens", "keywords",
            "index_node_id", "index_node_hash", "hit_count", "enabled", "disabled_at", "disabled_by", "status",
            "created_by", "created_at", "indexing_at", "completed_at", "error", "stopped_at"} <= set(seg)  # fmt: skip
    r = dify.post(f"/datasets/{ds['id']}/documents/{doc['id']}/segments/{seg['id']}",
                  json={"segment": {"content": "1", "answer": "1", "keywords": ["a"], "enabled": False}})  # fmt: skip
    assert r.status_code == 200 and r.json()["data"]["enabled"] is False, r.text

    r = dify.post(f"/datasets/{ds['id']}/retrieve", json={
        "query": "Where do bananas grow?",
        "retrieval_model": {
            "search_method": "keyword_search", "reranking_enable": False, "reranking_mode": None,
            "reranking_model": {"reranking_provider_name": "", "reranking_model_name": ""},
            "weights": None, "top_k": 2, "score_threshold_enabled": False, "score_threshold": None,
        },
    })  # fmt: skip
    assert r.status_code == 200, r.text
    record = r.json()["records"][0]
    assert "Bananas" in record["segment"]["content"] and isinstance(record["score"], float)
    assert {"segment", "score", "tsne_position"} <= set(record)


def test_errors_answer_in_difys_shape_and_codes(
    model_server: LiveServer, admin: Api, workspace: dict[str, Any], dify: httpx.Client
) -> None:
    base = f"{model_server.url}/v1"
    ds = dify.post("/datasets", json={"name": unique("errors")}).json()
    url = f"/datasets/{ds['id']}"

    # Who may call: no key, another scheme, a wrong key → 401; a key without the scope, a session → 403.
    assert_dify_error(httpx.get(f"{base}/datasets"), 401, "unauthorized")
    assert_dify_error(httpx.get(f"{base}/datasets", headers={"Authorization": "Basic abc"}), 401, "unauthorized")
    assert_dify_error(httpx.get(f"{base}/datasets", headers={"Authorization": "Bearer hz-nope"}), 401, "unauthorized")
    api_only = admin.create_key(workspace["id"], scopes=["api"])["key"]
    assert_dify_error(httpx.get(f"{base}{url}", headers={"Authorization": f"Bearer {api_only}"}), 403, "forbidden")
    session = httpx.get(f"{base}/datasets", headers={"Authorization": f"Bearer {admin.token}"})
    assert_dify_error(session, 403, "forbidden")

    # Another workspace's dataset is not found, as is an unknown or malformed id.
    other_ws = admin.create_workspace()["id"]
    other = admin.post(f"/api/workspaces/{other_ws}/knowledge-bases", json={"name": unique("theirs")}).json()
    for path in (f"/datasets/{other['id']}", "/datasets/00000000-0000-0000-0000-000000000000", "/datasets/nope"):
        assert_dify_error(dify.get(path), 404, "not_found")
    assert_dify_error(dify.post(f"/datasets/{other['id']}/retrieve", json={"query": "q"}), 404, "not_found")
    assert_dify_error(dify.get(f"{url}/documents/20250101000000123456/indexing-status"), 404, "not_found")
    assert_dify_error(dify.delete(f"{url}/documents/{other['id']}"), 404, "not_found")

    # Bad bodies: not JSON, a field missing (named in `params`), a setting out of range.
    bad_json = dify.post("/datasets", content=b"{nope", headers={"Content-Type": "application/json"})
    assert_dify_error(bad_json, 400, "bad_request")
    missing = assert_dify_error(dify.post(f"{url}/document/create-by-text", json={"name": "n"}), 400, "invalid_param")
    assert missing["params"] == "text"
    bad_rule = {"name": "n", "text": "t", "process_rule": {"mode": "custom", "rules": {"segmentation": {
        "separator": "\\n", "max_tokens": 10, "chunk_overlap": 20}}}}  # fmt: skip
    assert_dify_error(dify.post(f"{url}/document/create-by-text", json=bad_rule), 400, "invalid_param")

    # Files: none, two, a type hezi cannot read, bad `data`, too large for the body limit.
    assert_dify_error(dify.post(f"{url}/document/create-by-file", data={"data": "{}"}), 400, "no_file_uploaded")
    two = [("file", ("a.txt", b"a")), ("other", ("b.txt", b"b"))]
    assert_dify_error(dify.post(f"{url}/document/create-by-file", files=two), 400, "too_many_files")
    exe = {"file": ("tool.exe", b"MZ\x90\x00")}
    assert_dify_error(dify.post(f"{url}/document/create-by-file", files=exe), 415, "unsupported_file_type")
    txt = {"file": ("a.txt", b"some text")}
    bad_data = dify.post(f"{url}/document/create-by-file", files=txt, data={"data": "{not json"})
    assert assert_dify_error(bad_data, 400, "invalid_param")["params"] == "data"
    big = {"file": ("big.txt", b"x" * (model_server.settings.max_document_bytes + 1))}
    assert_dify_error(dify.post(f"{url}/document/create-by-file", files=big), 413, "file_too_large")

    # A name taken; an embedding model that is not deployed.
    assert_dify_error(dify.post("/datasets", json={"name": ds["name"]}), 409, "dataset_name_duplicate")
    assert_dify_error(dify.post("/datasets", json={"name": "x", "embedding_model": "nope"}), 400, "invalid_param")
    assert dify.get(f"{url}/documents").json()["total"] == 0  # nothing above left a document behind


def test_difys_shapes_keep_the_console_schema_names(model_server: LiveServer) -> None:
    """Two models of one name would both be renamed module__path__Name in OpenAPI, and the web client's types too."""
    schema = httpx.get(f"{model_server.url}/api/openapi.json").json()
    assert [n for n in schema["components"]["schemas"] if "__" in n] == []
    assert "/v1/datasets/{dataset_id}/document/create-by-file" in schema["paths"]
