"""A NUL character in any text input is refused with 400 `nul_character` in the API's shape, and nothing is stored:
PostgreSQL's text cannot hold one. Files may hold NUL bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from tests.api.shapes import console_error, dify_error, openai_error
from tests.conftest import LiveServer
from tests.helpers import Api, unique
from tests.knowledge.documents import make_docx


@pytest.fixture(scope="module")
def server(model_server: LiveServer) -> LiveServer:
    """Knowledge bases need an embedding model: the server with the bundled models."""
    return model_server


@pytest.fixture(scope="module")
def admin_module(server: LiveServer) -> Iterator[Api]:
    api = server.admin()
    yield api
    api.close()


@pytest.fixture
def db(server: LiveServer) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(server.database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def kb(admin_module: Api) -> dict[str, Any]:
    return admin_module.create_knowledge_base()


@pytest.fixture(scope="module")
def v1(server: LiveServer, admin_module: Api, kb: dict[str, Any]) -> Iterator[httpx.Client]:
    key = admin_module.create_key(kb["ws"], scopes=["api", "datasets"])["key"]
    with httpx.Client(base_url=f"{server.url}/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
        yield c


def _count(db: psycopg.Connection[Any], sql: str, *params: Any) -> int:
    row = db.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def test_openai_model_name(v1: httpx.Client, kb: dict[str, Any], db: psycopg.Connection[Any]) -> None:
    usage = "SELECT count(*) FROM usage_records WHERE workspace_id = %s"
    before = _count(db, usage, kb["ws"])
    chat = {"model": "smol\u0000lm", "messages": [{"role": "user", "content": "hi"}]}
    err = openai_error(v1.post("/chat/completions", json=chat), 400, "nul_character")
    assert err["param"] == "model" and err["type"] == "invalid_request_error"
    raw = json.dumps(chat).encode()  # the six characters \u0000, as every JSON encoder writes a NUL
    assert b"\\u0000" in raw
    err = openai_error(v1.post("/chat/completions", content=raw, headers={"Content-Type": "application/json"}), 400,
                       "nul_character")  # fmt: skip
    nested = {"model": "m", "messages": [{"role": "user", "content": "a\u0000"}]}
    err = openai_error(v1.post("/chat/completions", json=nested), 400, "nul_character")
    assert err["param"] == "messages.0.content"
    # Without a Content-Type FastAPI still reads the body as JSON; so does the check.
    openai_error(v1.post("/chat/completions", content=raw), 400, "nul_character")
    assert _count(db, usage, kb["ws"]) == before


def test_console_json_field(admin_module: Api, db: psycopg.Connection[Any]) -> None:
    name = unique("nul")
    r = admin_module.post("/api/workspaces", json={"name": f"{name}\u0000"})
    err = console_error(r, 400, "nul_character")
    assert err["details"][0]["loc"] == ["body", "name"]
    assert _count(db, "SELECT count(*) FROM workspaces WHERE name LIKE %s", f"{name}%") == 0
    # An escaped backslash followed by "u0000" is text, not a NUL.
    literal = admin_module.post("/api/workspaces", json={"name": f"{name}\\u0000"})
    assert literal.status_code == 201 and literal.json()["name"] == f"{name}\\u0000"


def test_query_and_path(admin_module: Api, kb: dict[str, Any], db: psycopg.Connection[Any]) -> None:
    docs = f"/api/workspaces/{kb['ws']}/knowledge-bases/{kb['id']}/documents"
    stored = "SELECT count(*) FROM documents WHERE knowledge_base_id = %s"
    before = _count(db, stored, kb["id"])
    r = admin_module.post(docs, params={"filename": "a\u0000.txt"}, content=b"hello")
    assert console_error(r, 400, "nul_character")["details"][0]["loc"] == ["query", "filename"]
    meta = admin_module.post(docs, params={"filename": "a.txt", "metadata": '{"k": "\\u0000"}'}, content=b"hello")
    assert console_error(meta, 400, "nul_character")["details"][0]["loc"] == ["query", "metadata"]
    assert _count(db, stored, kb["id"]) == before
    console_error(admin_module.get(f"/api/workspaces/{kb['ws']}%00/members"), 400, "nul_character")
    # Any query parameter, even one no route reads.
    console_error(admin_module.get("/api/auth/me", params={"anything": "x\u0000"}), 400, "nul_character")


def test_dify_dataset_name(v1: httpx.Client, kb: dict[str, Any], db: psycopg.Connection[Any]) -> None:
    name = unique("nul")
    err = dify_error(v1.post("/datasets", json={"name": f"{name}\u0000x"}), 400, "invalid_param")
    assert err["params"] == "name"
    assert _count(db, "SELECT count(*) FROM knowledge_bases WHERE name LIKE %s", f"{name}%") == 0
    assert dify_error(v1.get("/datasets", params={"keyword": "\u0000"}), 400, "invalid_param")["params"] == "keyword"


def test_dify_multipart_text_field_is_checked_its_file_is_not(
    v1: httpx.Client, kb: dict[str, Any], db: psycopg.Connection[Any]
) -> None:
    url = f"/datasets/{kb['id']}/document/create-by-file"
    stored = "SELECT count(*) FROM documents WHERE knowledge_base_id = %s"
    before = _count(db, stored, kb["id"])
    docx = make_docx()
    assert b"\x00" in docx
    bad_data = {"data": json.dumps({"indexing_technique": "high_quality", "name": "x\u0000"})}
    r = v1.post(url, files={"file": ("a.docx", docx)}, data=bad_data)
    assert dify_error(r, 400, "invalid_param")["params"] == "data"
    assert _count(db, stored, kb["id"]) == before
    r = v1.post(url, files={"file": ("a.docx", docx)}, data={"data": json.dumps({"indexing_technique": "economy"})})
    assert r.status_code == 200, r.text
    assert _count(db, stored, kb["id"]) == before + 1


def test_binary_uploads_are_files_not_text(admin_module: Api, kb: dict[str, Any]) -> None:
    """A document's bytes hold NULs (a .docx is a zip); with or without a Content-Type they are accepted."""
    docs = f"/api/workspaces/{kb['ws']}/knowledge-bases/{kb['id']}/documents"
    docx = make_docx()
    for headers in ({}, {"Content-Type": "application/octet-stream"}):
        r = admin_module.post(docs, params={"filename": unique("nul") + ".docx"}, content=docx, headers=headers)
        assert r.status_code == 201, r.text
