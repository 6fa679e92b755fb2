"""Dify's knowledge tags (/v1/datasets/tags…), metadata fields (/v1/datasets/{id}/metadata…) and embedding-model
list (/v1/workspaces/current/models/model-types/text-embedding). Each parses Dify's wire format and makes one call
into DifyLabels. Included before the dataset routes, so /datasets/tags is never read as a dataset id."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from hezi.api.dify import label_schemas as wire
from hezi.api.dify.auth import DatasetCallerDep
from hezi.api.dify.errors import DIFY
from hezi.api.dify.labels import DifyLabelsDep
from hezi.api.dify.schemas import MetadataFieldOut

router = APIRouter(prefix="/v1", tags=["dify"], route_class=DIFY.route_class)

_NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.get("/datasets/tags")
async def list_tags(dc: DatasetCallerDep, api: DifyLabelsDep) -> list[wire.KnowledgeTag]:
    return await api.list_tags(dc)


@router.post("/datasets/tags")
async def create_tag(body: wire.TagCreate, dc: DatasetCallerDep, api: DifyLabelsDep) -> wire.KnowledgeTag:
    return await api.create_tag(dc, body)


@router.patch("/datasets/tags")
async def rename_tag(body: wire.TagRename, dc: DatasetCallerDep, api: DifyLabelsDep) -> wire.KnowledgeTag:
    return await api.rename_tag(dc, body)


@router.delete("/datasets/tags", status_code=_NO_CONTENT)
async def delete_tag(body: wire.TagDelete, dc: DatasetCallerDep, api: DifyLabelsDep) -> Response:
    await api.delete_tag(dc, body)
    return Response(status_code=_NO_CONTENT)


@router.post("/datasets/tags/binding", status_code=_NO_CONTENT)
async def bind_tags(body: wire.TagBinding, dc: DatasetCallerDep, api: DifyLabelsDep) -> Response:
    await api.bind(dc, body)
    return Response(status_code=_NO_CONTENT)


@router.post("/datasets/tags/unbinding", status_code=_NO_CONTENT)
async def unbind_tags(body: wire.TagUnbinding, dc: DatasetCallerDep, api: DifyLabelsDep) -> Response:
    await api.unbind(dc, body)
    return Response(status_code=_NO_CONTENT)


@router.get("/datasets/{dataset_id}/tags")
@router.post("/datasets/{dataset_id}/tags", include_in_schema=False)  # some clients ask with POST
async def dataset_tags(dataset_id: str, dc: DatasetCallerDep, api: DifyLabelsDep) -> wire.DatasetTags:
    return await api.tags_of(dc, dataset_id)


@router.get("/datasets/{dataset_id}/metadata")
async def list_metadata(dataset_id: str, dc: DatasetCallerDep, api: DifyLabelsDep) -> wire.MetadataList:
    return await api.list_fields(dc, dataset_id)


@router.post("/datasets/{dataset_id}/metadata", status_code=status.HTTP_201_CREATED)
async def create_metadata(
    dataset_id: str, body: wire.MetadataCreate, dc: DatasetCallerDep, api: DifyLabelsDep
) -> MetadataFieldOut:
    return await api.create_field(dc, dataset_id, body)


@router.get("/datasets/{dataset_id}/metadata/built-in")
async def built_in_metadata(dataset_id: str, dc: DatasetCallerDep, api: DifyLabelsDep) -> wire.BuiltInFields:
    return await api.built_in_fields(dc, dataset_id)


@router.post("/datasets/{dataset_id}/metadata/built-in/{action}")
async def switch_built_in_metadata(
    dataset_id: str, action: str, dc: DatasetCallerDep, api: DifyLabelsDep
) -> wire.ActionResult:
    return await api.switch_built_in(dc, dataset_id, action)


@router.patch("/datasets/{dataset_id}/metadata/{metadata_id}")
async def rename_metadata(
    dataset_id: str, metadata_id: str, body: wire.MetadataRename, dc: DatasetCallerDep, api: DifyLabelsDep
) -> MetadataFieldOut:
    return await api.rename_field(dc, dataset_id, metadata_id, body)


@router.delete("/datasets/{dataset_id}/metadata/{metadata_id}", status_code=_NO_CONTENT)
async def delete_metadata(dataset_id: str, metadata_id: str, dc: DatasetCallerDep, api: DifyLabelsDep) -> Response:
    await api.delete_field(dc, dataset_id, metadata_id)
    return Response(status_code=_NO_CONTENT)


@router.post("/datasets/{dataset_id}/documents/metadata")
async def set_document_metadata(
    dataset_id: str, body: wire.MetadataOperations, dc: DatasetCallerDep, api: DifyLabelsDep
) -> wire.ActionResult:
    return await api.set_document_values(dc, dataset_id, body)


@router.get("/workspaces/current/models/model-types/text-embedding")
async def embedding_models(dc: DatasetCallerDep, api: DifyLabelsDep) -> wire.ModelsOfType:
    return await api.embedding_models(dc)
