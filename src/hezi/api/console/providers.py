"""Remote model providers of a workspace."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from hezi.api.deps import CallerDep, ServicesDep, SessionDep
from hezi.serving.providers import (
    ProviderCreate,
    ProviderPublic,
    ProviderService,
    ProvidersPublic,
    ProviderTest,
    ProviderUpdate,
)

router = APIRouter(prefix="/workspaces/{workspace_id}/providers", tags=["providers"])


async def get_providers(services: ServicesDep, db: SessionDep) -> ProviderService:
    return services.providers.service(db)


ProvidersDep = Annotated[ProviderService, Depends(get_providers)]


@router.get("")
async def list_providers(workspace_id: uuid.UUID, caller: CallerDep, providers: ProvidersDep) -> ProvidersPublic:
    return await providers.list_providers(caller, workspace_id)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_provider(
    workspace_id: uuid.UUID, body: ProviderCreate, caller: CallerDep, providers: ProvidersDep
) -> ProviderPublic:
    return await providers.create(caller, workspace_id, body)


@router.patch("/{provider_id}")
async def update_provider(
    workspace_id: uuid.UUID,
    provider_id: uuid.UUID,
    body: ProviderUpdate,
    caller: CallerDep,
    providers: ProvidersDep,
) -> ProviderPublic:
    return await providers.update(caller, workspace_id, provider_id, body)


@router.delete("/{provider_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_provider(
    workspace_id: uuid.UUID, provider_id: uuid.UUID, caller: CallerDep, providers: ProvidersDep
) -> None:
    await providers.delete(caller, workspace_id, provider_id)


@router.post("/{provider_id}/test")
async def test_provider(
    workspace_id: uuid.UUID, provider_id: uuid.UUID, caller: CallerDep, providers: ProvidersDep
) -> ProviderTest:
    """Fetch the provider's model list with the stored key: shows whether URL, key and network work."""
    return await providers.test(caller, workspace_id, provider_id)
