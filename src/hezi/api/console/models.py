"""The Models page: list, import (path or upload), deploy, stop, logs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from hezi.api.deps import CallerDep, ServicesDep, SessionDep, SettingsDep
from hezi.serving.registry import ModelRegistry
from hezi.serving.schemas import DeploymentSpec, FitCheck, ModelImportPath, ModelLogs, ModelPublic, ModelsPublic

router = APIRouter(prefix="/models", tags=["models"])


async def get_registry(services: ServicesDep, db: SessionDep, settings: SettingsDep) -> ModelRegistry:
    return ModelRegistry(db, settings, services.supervisor, services.prober)


RegistryDep = Annotated[ModelRegistry, Depends(get_registry)]


@router.get("")
async def list_models(caller: CallerDep, registry: RegistryDep) -> ModelsPublic:
    return await registry.list_models(caller)


@router.get("/{model_id}")
async def get_model(model_id: uuid.UUID, caller: CallerDep, registry: RegistryDep) -> ModelPublic:
    return await registry.get(model_id, caller)


@router.post("/import-path", status_code=status.HTTP_201_CREATED)
async def import_path(body: ModelImportPath, caller: CallerDep, registry: RegistryDep) -> ModelPublic:
    return await registry.import_path(caller, body.path, body.name)


@router.post(
    "/upload",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
async def upload(
    request: Request,
    caller: CallerDep,
    registry: RegistryDep,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
    name: Annotated[str | None, Query(max_length=128)] = None,
) -> ModelPublic:
    """The raw GGUF bytes as the body (streamed to disk as they arrive)."""
    declared = request.headers.get("content-length")
    return await registry.import_upload(
        caller, filename, request.stream(), name, declared=int(declared) if declared and declared.isdigit() else None
    )


@router.put("/{model_id}/deployment")
async def deploy(model_id: uuid.UUID, body: DeploymentSpec, caller: CallerDep, registry: RegistryDep) -> ModelPublic:
    return await registry.deploy(caller, model_id, body)


@router.get("/{model_id}/fit")
async def fit(
    model_id: uuid.UUID,
    _: CallerDep,
    registry: RegistryDep,
    context_size: Annotated[int | None, Query(ge=128, le=1_048_576)] = None,
    parallel: Annotated[int, Query(ge=1, le=64)] = 4,
    gpu_layers: Annotated[int | None, Query(ge=-1, le=10_000)] = None,
    device: Annotated[str | None, Query(pattern=r"^(cpu|cuda:\d{1,2})$")] = None,
    replicas: Annotated[int, Query(ge=1, le=16)] = 1,
    pinned_prefixes: Annotated[int, Query(ge=0, le=16)] = 2,
    kv_unified: bool = False,
) -> FitCheck:
    """Would this deployment fit? Memory needed per device (all replicas) against what is free, and placement."""
    spec = DeploymentSpec(
        context_size=context_size, parallel=parallel, gpu_layers=gpu_layers, device=device, replicas=replicas,
        pinned_prefixes=pinned_prefixes, kv_unified=kv_unified,
    )  # fmt: skip
    return await registry.fit(model_id, spec)


@router.post("/{model_id}/stop")
async def stop(model_id: uuid.UUID, caller: CallerDep, registry: RegistryDep) -> ModelPublic:
    return await registry.stop(caller, model_id)


@router.delete("/{model_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(model_id: uuid.UUID, caller: CallerDep, registry: RegistryDep) -> None:
    await registry.delete(caller, model_id)


@router.get("/{model_id}/logs")
async def logs(model_id: uuid.UUID, _: CallerDep, registry: RegistryDep) -> ModelLogs:
    return ModelLogs(lines=await registry.logs(model_id))
