"""Dify's knowledge API through a typed client from PyPI (dify-dataset-sdk: every answer validated by pydantic), as a
new user would point it at hezi: datasets, documents, segments, tags, metadata fields and filters, embedding models."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from dify_dataset_sdk import DifyDatasetClient
from dify_dataset_sdk._exceptions import DifyAPIError, DifyNotFoundError, DifyValidationError
from dify_dataset_sdk.datasets.models import (
    Dataset,
    MetadataCondition,
    MetadataFilteringConditions,
    RetrievalModel,
)
from dify_dataset_sdk.documents.models import Document
from dify_dataset_sdk.segments.models import Segment

from tests.conftest import LiveServer
from tests.helpers import Api, unique, wait_for

HR = "Annual leave: every employee has 25 days of paid leave a year, booked with their manager."
IT = "Laptops: every employee gets a laptop; broken ones are swapped by the IT desk within a day."


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def workspace(admin: Api) -> dict[str, Any]:
    return admin.create_workspace()


@pytest.fixture(scope="module")
def key(admin: Api, workspace: dict[str, Any]) -> str:
    return str(admin.create_key(workspace["id"], scopes=["datasets"])["key"])


@pytest.fixture(scope="module")
def client(model_server: LiveServer, key: str) -> DifyDatasetClient:
    return DifyDatasetClient(api_key=key, base_url=model_server.url, timeout=60)


def search(filtering: MetadataFilteringConditions | None = None) -> RetrievalModel:
    return RetrievalModel(search_method="hybrid_search", reranking_enable=False, top_k=5,
                          score_threshold_enabled=False, metadata_filtering_conditions=filtering)  # fmt: skip


def add_text(client: DifyDatasetClient, ds: str, name: str, text: str) -> Document:
    created = client.documents.create_by_text(ds, name=name, text=text)
    assert created.document.name == f"{name}.txt"

    def done() -> bool:
        status = client.documents.get_indexing_status(ds, created.batch).data[0]
        assert status.indexing_status != "error", status
        return status.indexing_status == "completed"

    wait_for(done, f"{name} indexed", timeout=90)
    return created.document


def test_datasets_documents_and_segments_validate_and_name_their_author(client: DifyDatasetClient, admin: Api) -> None:
    me = admin.me()["user"]["id"]
    name = unique("typed")
    ds = client.datasets.create(name=name, description="typed client", indexing_technique="high_quality")
    assert ds.created_by == ds.updated_by == me and ds.name == name
    assert client.datasets.get(ds.id).created_by == me
    page = client.datasets.list(keyword=name)
    assert page.total == 1 and [Dataset(**d).id for d in page.data] == [ds.id]

    # PATCH: renamed, described, searched by full text by default; what is not sent stays.
    full_text = RetrievalModel(search_method="full_text_search", reranking_enable=False, top_k=3,
                               score_threshold_enabled=False)  # fmt: skip
    changed = client.datasets.update(ds.id, name=f"{name}-2", description="changed", retrieval_model=full_text)
    assert (changed.name, changed.description, changed.updated_by) == (f"{name}-2", "changed", me)
    assert changed.embedding_model == ds.embedding_model and changed.updated_at >= ds.updated_at
    raw = client.datasets._client.get(f"/v1/datasets/{ds.id}")
    assert raw["retrieval_model_dict"]["search_method"] == "full_text_search"
    assert raw["retrieval_model_dict"]["top_k"] == 3

    doc = add_text(client, ds.id, "leave", HR)
    assert doc.created_by == me
    got = client.documents.get(ds.id, doc.id)
    assert got.id == doc.id and got.position == 1 and got.indexing_status == "completed" and got.created_by == me
    listed = client.documents.list(ds.id)
    assert [Document(**d).created_by for d in listed.data] == [me]

    segments = client.segments.list(ds.id, doc.id)
    assert segments.data and all(s.created_by == me for s in segments.data)
    first = segments.data[0]
    assert first.index_node_hash == hashlib.sha256(first.content.encode()).hexdigest()
    one = Segment(**client.segments.get(ds.id, doc.id, first.id)["data"])
    assert one == first
    added = client.segments.create(ds.id, doc.id, [{"content": "Sick leave needs a note after three days."}])
    assert (
        added.data[0].created_by == me
        and added.data[0].index_node_hash == hashlib.sha256(b"Sick leave needs a note after three days.").hexdigest()
    )

    found = client.datasets.retrieve(ds.id, "How many days of paid leave?")
    assert found.records and found.records[0].segment.document_id == doc.id
    assert found.records[0].segment.created_by == me and found.records[0].segment.index_node_hash

    models = client.models.list_embedding_models().data
    assert any(m["model"] == ds.embedding_model for p in models for m in p["models"])
    assert all(m["model_type"] == "text-embedding" for p in models for m in p["models"])

    client.datasets.delete(ds.id)
    with pytest.raises(DifyNotFoundError):
        client.datasets.get(ds.id)


def test_tags_are_made_bound_renamed_and_deleted(client: DifyDatasetClient, model_server: LiveServer) -> None:
    a = client.datasets.create(name=unique("tagged"))
    b = client.datasets.create(name=unique("untagged"))
    hr, it = client.tags.create(unique("hr")[:50]), client.tags.create(unique("it")[:50])
    assert hr.binding_count == 0 and {hr.id, it.id} <= {t.id for t in client.tags.list()}

    client.tags.bind_to_dataset(a.id, [hr.id, it.id])
    client.tags.bind_to_dataset(a.id, [hr.id])  # binding again is harmless
    bound = client.tags.get_dataset_tags(a.id, return_detail=True)
    assert {t.name for t in bound.data} == {hr.name, it.name} and bound.total == 2
    assert client.tags.get_dataset_tags(b.id) == []
    shown = client.datasets._client.get(f"/v1/datasets/{a.id}")["tags"]
    assert {t["id"] for t in shown} == {hr.id, it.id} and all(t["type"] == "knowledge" for t in shown)
    assert [d["id"] for d in client.datasets.list(tag_ids=[hr.id]).data] == [a.id]
    assert next(t for t in client.tags.list() if t.id == hr.id).binding_count == 1

    renamed = client.tags.update(hr.id, f"{hr.name}-x"[:50])
    assert renamed.name == f"{hr.name}-x"[:50] and renamed.binding_count == 1
    client.tags.unbind_from_dataset(a.id, hr.id)
    assert [t.id for t in client.tags.get_dataset_tags(a.id)] == [it.id]
    client.tags.delete(it.id)
    assert client.tags.get_dataset_tags(a.id) == [] and it.id not in {t.id for t in client.tags.list()}

    # A taken name, an unknown tag, another workspace's dataset: Dify's errors.
    with pytest.raises(DifyValidationError):
        client.tags.create(renamed.name)
    with pytest.raises(DifyNotFoundError):
        client.tags.bind_to_dataset(a.id, [it.id])
    with pytest.raises(DifyNotFoundError):
        client.tags.update("00000000-0000-0000-0000-000000000000", "nope")
    r = httpx.post(f"{model_server.url}/v1/datasets/tags/binding", json={"tag_ids": [], "target_id": a.id},
                   headers={"Authorization": f"Bearer {client._base.api_key}"})  # fmt: skip
    assert (
        r.status_code == 400 and set(r.json()) >= {"code", "message", "status"} and r.json()["code"] == "invalid_param"
    )


def test_metadata_fields_values_and_filters_dify_style(client: DifyDatasetClient, admin: Api) -> None:
    ds = client.datasets.create(name=unique("metadata"))
    department = client.metadata.create(ds.id, "string", "department")
    year = client.metadata.create(ds.id, "number", "year")
    assert (department.type, year.type) == ("string", "number")
    with pytest.raises(DifyValidationError):
        client.metadata.create(ds.id, "string", "department")  # taken
    with pytest.raises(DifyValidationError):
        client.metadata.create(ds.id, "string", "document_name")  # built in

    hr = add_text(client, ds.id, "leave", HR)
    it = add_text(client, ds.id, "laptops", IT)
    client.metadata.update_document_metadata(ds.id, [
        {"document_id": hr.id, "metadata_list": [{"id": department.id, "name": "department", "value": "HR"},
                                                {"id": year.id, "name": "year", "value": "2024"}]},
        {"document_id": it.id, "metadata_list": [{"id": department.id, "name": "department", "value": "IT"},
                                                {"id": year.id, "name": "year", "value": "2023"}]},
    ])  # fmt: skip
    fields = client.metadata.list(ds.id)
    assert [f.name for f in fields.doc_metadata] == ["department", "year"]
    raw = client.datasets._client.get(f"/v1/datasets/{ds.id}/metadata")
    assert {f["name"]: f["count"] for f in raw["doc_metadata"]} == {"department": 2, "year": 2}
    assert fields.built_in_field_enabled is False
    # Typed as declared: the year sent as text is stored as a number.
    got = client.datasets._client.get(f"/v1/datasets/{ds.id}/documents/{hr.id}")
    assert {m["name"]: m["value"] for m in got["doc_metadata"]} == {"department": "HR", "year": 2024}

    def hits(logical: str, *conditions: tuple[str, str, Any]) -> set[str]:
        filtering = MetadataFilteringConditions(logical_operator=logical, conditions=[  # type: ignore[arg-type]
            MetadataCondition(name=n, comparison_operator=op, value=v) for n, op, v in conditions])  # type: ignore[arg-type]  # fmt: skip
        found = client.datasets.retrieve(ds.id, "employee", retrieval_model=search(filtering))
        return {r.segment.document_id for r in found.records}

    assert hits("and", ("department", "is", "HR")) == {hr.id}
    assert hits("and", ("year", "≥", "2024")) == {hr.id}
    assert hits("and", ("year", "<", 2024), ("department", "is not", "HR")) == {it.id}
    assert hits("or", ("department", "is", "HR"), ("year", "=", 2023)) == {hr.id, it.id}
    assert hits("and", ("department", "start with", "i")) == {it.id}
    assert hits("and", ("department", "not contains", "h")) == {it.id}
    assert hits("and", ("department", "empty", None)) == set()

    # Renamed: the values follow the field; a partial update keeps the other field.
    renamed = client.metadata.update(ds.id, department.id, "team")
    assert renamed.name == "team" and hits("and", ("team", "is", "IT")) == {it.id}
    # (the typed client drops `partial_update`, which its model lacks: sent as Dify's docs write it)
    partial = {"document_id": it.id, "metadata_list": [{"id": year.id, "name": "year", "value": "2025"}],
               "partial_update": True}  # fmt: skip
    client.datasets._client.post(f"/v1/datasets/{ds.id}/documents/metadata", json={"operation_data": [partial]})
    got = client.datasets._client.get(f"/v1/datasets/{ds.id}/documents/{it.id}")
    assert {m["name"]: m["value"] for m in got["doc_metadata"]} == {"team": "IT", "year": 2025}
    with pytest.raises(DifyValidationError):  # not a number
        client.metadata.update_document_metadata(ds.id, [
            {"document_id": it.id, "metadata_list": [{"id": year.id, "name": "year", "value": "soon"}]}])  # fmt: skip

    # Built-in fields: on, they are values of every document and filter like the others; off, they go.
    client.metadata.toggle_built_in(ds.id, "enable")
    assert client.metadata.list(ds.id).built_in_field_enabled is True
    built = {m["name"]: m["value"] for m in client.datasets._client.get(
        f"/v1/datasets/{ds.id}/documents/{hr.id}")["doc_metadata"]}  # fmt: skip
    assert built["document_name"] == "leave.txt" and built["source"] == "file_upload"
    assert isinstance(built["upload_date"], int) and built["uploader"]
    assert hits("and", ("document_name", "is", "laptops.txt")) == {it.id}
    client.metadata.toggle_built_in(ds.id, "disable")
    got = client.datasets._client.get(f"/v1/datasets/{ds.id}/documents/{hr.id}")
    assert {m["name"] for m in got["doc_metadata"]} == {"team", "year"}

    client.metadata.delete(ds.id, year.id)
    assert [f.name for f in client.metadata.list(ds.id).doc_metadata] == ["team"]
    assert hits("and", ("year", "not empty", None)) == set()  # its values went with it
    shown = client.datasets.get(ds.id)
    assert shown.created_by
    assert [f["name"] for f in client.datasets._client.get(f"/v1/datasets/{ds.id}")["doc_metadata"]] == ["team"]


def test_labels_stay_in_the_keys_workspace(
    client: DifyDatasetClient, model_server: LiveServer, admin: Api, workspace: dict[str, Any]
) -> None:
    other_ws = admin.create_workspace()["id"]
    theirs = admin.post(f"/api/workspaces/{other_ws}/knowledge-bases", json={"name": unique("theirs")}).json()
    other = DifyDatasetClient(api_key=admin.create_key(other_ws, scopes=["datasets"])["key"],
                              base_url=model_server.url)  # fmt: skip
    their_tag = other.tags.create(unique("theirs")[:50])
    assert their_tag.id not in {t.id for t in client.tags.list()}
    mine = client.datasets.create(name=unique("mine"))
    with pytest.raises(DifyNotFoundError):
        client.tags.bind_to_dataset(mine.id, [their_tag.id])
    with pytest.raises(DifyNotFoundError):
        client.tags.get_dataset_tags(theirs["id"])
    with pytest.raises(DifyNotFoundError):
        client.metadata.list(theirs["id"])
    with pytest.raises(DifyNotFoundError):
        client.metadata.create(theirs["id"], "string", "x")
    with pytest.raises(DifyNotFoundError):
        client.datasets.update(theirs["id"], name="x")

    # Without the datasets scope, or with no key: refused in Dify's shape.
    api_only = DifyDatasetClient(api_key=admin.create_key(workspace["id"], scopes=["api"])["key"],
                                 base_url=model_server.url)  # fmt: skip
    with pytest.raises(DifyAPIError) as refused:
        api_only.tags.list()
    assert refused.value.status_code == 403
    r = httpx.get(f"{model_server.url}/v1/workspaces/current/models/model-types/text-embedding")
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    bad = httpx.patch(f"{model_server.url}/v1/datasets/{mine.id}", json={"name": ""},
                      headers={"Authorization": f"Bearer {client._base.api_key}"})  # fmt: skip
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_param" and bad.json()["params"] == "name"
