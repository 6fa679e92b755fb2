"""Documents carry free key → value metadata: set when added, replaced by PATCH, validated with a clear 400."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique
from tests.knowledge.test_knowledge_api import base


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()  # a knowledge base needs its embedding model deployed


@pytest.fixture(scope="module")
def kb(admin: Api) -> dict[str, Any]:
    return admin.create_knowledge_base(name=unique("meta"))


def listed(admin: Api, kb: dict[str, Any], doc_id: str) -> dict[str, Any]:
    return dict(next(d for d in admin.get(f"{base(kb)}/documents").json()["data"] if d["id"] == doc_id))


def test_metadata_is_set_on_upload_and_on_pasted_text(admin: Api, kb: dict[str, Any]) -> None:
    meta = {"department": "人力资源", "year": 2025, "public": True, "version": 1.5}
    r = admin.post(f"{base(kb)}/documents", params={"filename": "policy.txt", "metadata": json.dumps(meta)},
                   content=b"Leave policy.", headers={"Content-Type": "application/octet-stream"})  # fmt: skip
    assert r.status_code == 201 and r.json()["metadata"] == meta, r.text
    assert listed(admin, kb, r.json()["id"])["metadata"] == meta
    text = admin.post(f"{base(kb)}/documents/text", json={"name": "n", "text": "t", "metadata": {"k": "v"}})
    assert text.status_code == 201 and text.json()["metadata"] == {"k": "v"} and text.json()["source"] == "text"
    plain = admin.post(f"{base(kb)}/documents/text", json={"name": "m", "text": "t"})
    assert plain.json()["metadata"] == {} and plain.json()["source_url"] is None


def test_patch_replaces_the_metadata(admin: Api, kb: dict[str, Any]) -> None:
    doc = admin.post(f"{base(kb)}/documents/text", json={"name": "p", "text": "t", "metadata": {"a": 1}}).json()
    r = admin.patch(f"{base(kb)}/documents/{doc['id']}", json={"metadata": {"b": "two", "c": False}})
    assert r.status_code == 200 and r.json()["metadata"] == {"b": "two", "c": False}, r.text
    assert listed(admin, kb, doc["id"])["metadata"] == {"b": "two", "c": False}
    assert admin.patch(f"{base(kb)}/documents/{doc['id']}", json={"metadata": {}}).json()["metadata"] == {}


@pytest.mark.parametrize(
    "bad",
    [
        {"nested": {"a": 1}},
        {"list": [1, 2]},
        {"null": None},
        {"": "empty key"},
        {"k" * 65: "long key"},
        {"long": "x" * 1001},
        {f"k{i}": i for i in range(33)},
        ["not", "an", "object"],
    ],
)
def test_invalid_metadata_is_a_400(admin: Api, kb: dict[str, Any], bad: Any) -> None:
    doc = admin.post(f"{base(kb)}/documents/text", json={"name": "v", "text": "t"}).json()
    patch = admin.patch(f"{base(kb)}/documents/{doc['id']}", json={"metadata": bad})
    if isinstance(bad, dict):
        assert_error(patch, 400, "invalid_metadata")
        assert_error(admin.post(f"{base(kb)}/documents/text", json={"name": "w", "text": "t", "metadata": bad}),
                     400, "invalid_metadata")  # fmt: skip
    else:
        assert_error(patch, 422)  # not an object at all: the request's shape is wrong
    upload = admin.post(f"{base(kb)}/documents", params={"filename": "x.txt", "metadata": json.dumps(bad)},
                        content=b"x", headers={"Content-Type": "application/octet-stream"})  # fmt: skip
    assert_error(upload, 400, "invalid_metadata")


def test_upload_metadata_that_is_not_json_and_other_workspaces(model_server: LiveServer, admin: Api,
                                                               kb: dict[str, Any]) -> None:  # fmt: skip
    r = admin.post(f"{base(kb)}/documents", params={"filename": "x.txt", "metadata": "{department: HR}"},
                   content=b"x", headers={"Content-Type": "application/octet-stream"})  # fmt: skip
    assert_error(r, 400, "invalid_metadata")
    doc = admin.post(f"{base(kb)}/documents/text", json={"name": "s", "text": "t"}).json()
    member = admin.create_user()
    admin.add_member(kb["ws"], member["username"], "member")
    reader = model_server.api().login(member["username"], member["password"])
    assert_error(reader.patch(f"{base(kb)}/documents/{doc['id']}", json={"metadata": {"a": 1}}), 403)
    outsider = admin.create_user()
    other = model_server.api().login(outsider["username"], outsider["password"])
    assert_error(other.patch(f"{base(kb)}/documents/{doc['id']}", json={"metadata": {"a": 1}}), 404)
    assert_error(admin.patch(f"{base(kb)}/documents/00000000-0000-0000-0000-000000000000",
                             json={"metadata": {}}), 404, "document_not_found")  # fmt: skip
