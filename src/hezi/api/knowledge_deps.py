"""The knowledge services as FastAPI dependencies, shared by the console API and the Dify-compatible dataset API."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import Depends

from hezi.api.deps import RuntimeDep, ServicesDep, SessionDep, SettingsDep
from hezi.jobs.knowledge import defer_ingest
from hezi.knowledge.access import Defer
from hezi.knowledge.bases import BaseService
from hezi.knowledge.chunks import ChunkService
from hezi.knowledge.documents import DocumentService
from hezi.knowledge.search import SearchService


def _files(settings: SettingsDep) -> Path:
    return settings.resolved_data_dir / "knowledge"


def _defer(runtime: RuntimeDep) -> Defer:
    async def defer(doc_id: uuid.UUID) -> None:
        await defer_ingest(runtime.jobs, doc_id)

    return defer


async def get_bases(services: ServicesDep, db: SessionDep, settings: SettingsDep, runtime: RuntimeDep) -> BaseService:
    return BaseService(db, _files(settings), services.embed, _defer(runtime))


async def get_documents(db: SessionDep, settings: SettingsDep, runtime: RuntimeDep) -> DocumentService:
    return DocumentService(db, _files(settings), _defer(runtime))


async def get_chunks(services: ServicesDep, db: SessionDep) -> ChunkService:
    return ChunkService(db, services.embed)


async def get_search(services: ServicesDep, db: SessionDep) -> SearchService:
    return SearchService(db, services.embed, services.reranker)


BasesDep = Annotated[BaseService, Depends(get_bases)]
DocumentsDep = Annotated[DocumentService, Depends(get_documents)]
ChunksDep = Annotated[ChunkService, Depends(get_chunks)]
SearchDep = Annotated[SearchService, Depends(get_search)]
