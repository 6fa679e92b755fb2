"""Tools of a workspace: the list an agent may use, and the tool providers (OpenAPI documents, MCP servers)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from hezi.agents.tools.catalogue import ToolCatalogue
from hezi.agents.tools.providers import ToolProviderService
from hezi.agents.tools.schemas import (
    ToolProviderCreate,
    ToolProviderPublic,
    ToolProvidersPublic,
    ToolProviderUpdate,
    ToolsPublic,
)
from hezi.api.deps import CallerDep, ServicesDep, SessionDep

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["tools"])


async def get_tool_providers(services: ServicesDep, db: SessionDep) -> ToolProviderService:
    return ToolProviderService(db, services.secrets, services.egress)


async def get_catalogue(services: ServicesDep, db: SessionDep) -> ToolCatalogue:
    return ToolCatalogue(db, services.secrets, services.egress)


ToolProvidersDep = Annotated[ToolProviderService, Depends(get_tool_providers)]
CatalogueDep = Annotated[ToolCatalogue, Depends(get_catalogue)]


@router.get("/tools")
async def list_tools(workspace_id: uuid.UUID, caller: CallerDep, catalogue: CatalogueDep) -> ToolsPublic:
    """Every tool an agent of this workspace may use: the built-ins and each provider's."""
    return await catalogue.list_tools(caller, workspace_id)


@router.get("/tool-providers")
async def list_tool_providers(
    workspace_id: uuid.UUID, caller: CallerDep, providers: ToolProvidersDep
) -> ToolProvidersPublic:
    return await providers.list_providers(caller, workspace_id)


@router.post("/tool-providers", status_code=status.HTTP_201_CREATED)
async def create_tool_provider(
    workspace_id: uuid.UUID, body: ToolProviderCreate, caller: CallerDep, providers: ToolProvidersDep
) -> ToolProviderPublic:
    """Its tools are read at once: a document or server that cannot be used is a 422 with the reason."""
    return await providers.create(caller, workspace_id, body)


@router.get("/tool-providers/{provider_id}")
async def get_tool_provider(
    workspace_id: uuid.UUID, provider_id: uuid.UUID, caller: CallerDep, providers: ToolProvidersDep
) -> ToolProviderPublic:
    return await providers.get(caller, workspace_id, provider_id)


@router.patch("/tool-providers/{provider_id}")
async def update_tool_provider(
    workspace_id: uuid.UUID,
    provider_id: uuid.UUID,
    body: ToolProviderUpdate,
    caller: CallerDep,
    providers: ToolProvidersDep,
) -> ToolProviderPublic:
    return await providers.update(caller, workspace_id, provider_id, body)


@router.delete("/tool-providers/{provider_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_tool_provider(
    workspace_id: uuid.UUID, provider_id: uuid.UUID, caller: CallerDep, providers: ToolProvidersDep
) -> None:
    await providers.delete(caller, workspace_id, provider_id)


@router.post("/tool-providers/{provider_id}/refresh")
async def refresh_tool_provider(
    workspace_id: uuid.UUID, provider_id: uuid.UUID, caller: CallerDep, providers: ToolProvidersDep
) -> ToolProviderPublic:
    """Read the tools again: the document fetched again from its URL, the MCP server asked again."""
    return await providers.refresh(caller, workspace_id, provider_id)
