"""/v1/datasets routes. Each parses Dify's wire format and makes one call into DifyDatasets."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from hezi.api.dify import schemas as dify
from hezi.api.dify.auth import DatasetCallerDep
from hezi.api.dify.datasets import DifyDep
from hezi.api.dify.errors import DIFY
from hezi.errors import InvalidInput

router = APIRouter(prefix="/v1/datasets", tags=["dify"], route_class=DIFY.route_class)  # errors in Dify's shape

Page = Annotated[int, Query(ge=1)]
Limit = Annotated[int, Query(ge=1)]  # above 100 is capped, as Dify does


@router.post("")
async def create_dataset(body: dify.DatasetCreate, dc: DatasetCallerDep, api: DifyDep) -> dify.Dataset:
    return await api.create_dataset(dc, body)


@router.get("")
async def list_datasets(
    dc: DatasetCallerDep,
    api: DifyDep,
    page: Page = 1,
    limit: Limit = 20,
    keyword: str | None = None,
    tag_ids: Annotated[list[str] | None, Query()] = None,
    include_all: bool = False,  # every member sees every dataset of the workspace already
) -> dify.DatasetsPage:
    return await api.list_datasets(dc, page, limit, keyword, tag_ids or [])


@router.get("/{dataset_id}")
async def get_dataset(dataset_id: str, dc: DatasetCallerDep, api: DifyDep) -> dify.Dataset:
    return await api.get_dataset(dc, dataset_id)


@router.patch("/{dataset_id}")
async def update_dataset(dataset_id: str, body: dify.DatasetUpdate, dc: DatasetCallerDep, api: DifyDep) -> dify.Dataset:
    return await api.update_dataset(dc, dataset_id, body)


@router.delete("/{dataset_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_dataset(dataset_id: str, dc: DatasetCallerDep, api: DifyDep) -> Response:
    await api.delete_dataset(dc, dataset_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{dataset_id}/document/create-by-text")
@router.post("/{dataset_id}/document/create_by_text", include_in_schema=False)  # Dify's older spelling
async def create_by_text(
    dataset_id: str, body: dify.DifyTextDocument, dc: DatasetCallerDep, api: DifyDep
) -> dify.DocumentCreated:
    return await api.add_text(dc, dataset_id, body)


_MULTIPART = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "data": {"type": "string", "description": "JSON: indexing_technique, process_rule, doc_form…"},
                    },
                }
            }
        }
    }
}


@router.post("/{dataset_id}/document/create-by-file", openapi_extra=_MULTIPART)
@router.post("/{dataset_id}/document/create_by_file", include_in_schema=False)
async def create_by_file(dataset_id: str, request: Request, dc: DatasetCallerDep, api: DifyDep) -> dify.DocumentCreated:
    """Multipart: `file`, and `data`, a JSON string of the same settings create-by-text takes."""
    filename, data, options = await _upload(request)
    return await api.add_file(dc, dataset_id, filename, data, options)


@router.get("/{dataset_id}/documents")
async def list_documents(
    dataset_id: str,
    dc: DatasetCallerDep,
    api: DifyDep,
    page: Page = 1,
    limit: Limit = 20,
    keyword: str | None = None,
) -> dify.DocumentsPage:
    return await api.list_documents(dc, dataset_id, page, limit, keyword)


@router.get("/{dataset_id}/documents/{batch}/indexing-status")
async def indexing_status(dataset_id: str, batch: str, dc: DatasetCallerDep, api: DifyDep) -> dify.IndexingStatuses:
    return await api.indexing_status(dc, dataset_id, batch)


@router.get("/{dataset_id}/documents/{document_id}")
async def get_document(dataset_id: str, document_id: str, dc: DatasetCallerDep, api: DifyDep) -> dify.Document:
    return await api.get_document(dc, dataset_id, document_id)


@router.delete("/{dataset_id}/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_document(dataset_id: str, document_id: str, dc: DatasetCallerDep, api: DifyDep) -> Response:
    await api.delete_document(dc, dataset_id, document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{dataset_id}/documents/{document_id}/segments")
async def list_segments(
    dataset_id: str,
    document_id: str,
    dc: DatasetCallerDep,
    api: DifyDep,
    page: Page = 1,
    limit: Limit = 20,
    keyword: str | None = None,
) -> dify.SegmentsPage:
    return await api.list_segments(dc, dataset_id, document_id, page, limit, keyword)


@router.post("/{dataset_id}/documents/{document_id}/segments")
async def add_segments(
    dataset_id: str, document_id: str, body: dify.SegmentsCreate, dc: DatasetCallerDep, api: DifyDep
) -> dify.SegmentsCreated:
    return await api.add_segments(dc, dataset_id, document_id, body)


@router.get("/{dataset_id}/documents/{document_id}/segments/{segment_id}")
async def get_segment(
    dataset_id: str, document_id: str, segment_id: str, dc: DatasetCallerDep, api: DifyDep
) -> dify.SegmentDetail:
    return await api.get_segment(dc, dataset_id, document_id, segment_id)


@router.post("/{dataset_id}/documents/{document_id}/segments/{segment_id}")
async def update_segment(
    dataset_id: str, document_id: str, segment_id: str, body: dify.SegmentUpdate, dc: DatasetCallerDep, api: DifyDep
) -> dify.SegmentUpdated:
    return await api.update_segment(dc, dataset_id, document_id, segment_id, body)


@router.delete("/{dataset_id}/documents/{document_id}/segments/{segment_id}", status_code=204)
async def delete_segment(
    dataset_id: str, document_id: str, segment_id: str, dc: DatasetCallerDep, api: DifyDep
) -> Response:
    await api.delete_segment(dc, dataset_id, document_id, segment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{dataset_id}/retrieve")
@router.post("/{dataset_id}/hit-testing", include_in_schema=False)  # Dify's other name for the same call
async def retrieve(dataset_id: str, body: dify.RetrieveBody, dc: DatasetCallerDep, api: DifyDep) -> dify.RetrieveResult:
    return await api.retrieve(dc, dataset_id, body)


async def _upload(request: Request) -> tuple[str, bytes, dify.DocumentOptions]:
    """The one file and the `data` settings of a create-by-file request, with Dify's errors for what is missing."""
    try:
        async with request.form() as form:
            files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
            file = form.get("file")
            if not isinstance(file, UploadFile):
                raise InvalidInput("Please upload your file.", code="no_file_uploaded")
            if len(files) > 1:
                raise InvalidInput("Only one file is allowed.", code="too_many_files")
            if not file.filename:
                raise InvalidInput("The uploaded file has no name.", code="invalid_param")
            raw = form.get("data")
            return file.filename, await file.read(), _options(raw if isinstance(raw, str) else None)
    except MultiPartException as exc:
        raise InvalidInput(f"The multipart body could not be read: {exc.message}", code="bad_request") from None


def _options(raw: str | None) -> dify.DocumentOptions:
    if not raw:
        return dify.DocumentOptions()
    try:
        parsed: Any = json.loads(raw)
    except json.JSONDecodeError:
        raise InvalidInput("The 'data' field is not valid JSON.", code="invalid_param", details=[
            {"loc": ["data"], "msg": "not valid JSON", "type": "json_invalid"}]) from None  # fmt: skip
    try:
        return dify.DocumentOptions.model_validate(parsed)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(["data", *(str(p) for p in first["loc"])])
        detail = {"loc": where.split("."), "msg": first["msg"], "type": first["type"]}
        raise InvalidInput(f"Invalid '{where}': {first['msg']}", code="invalid_param", details=[detail]) from None
