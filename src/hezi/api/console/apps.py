"""Apps of a workspace: an agent's published version served as a web app, widget and APIs; releases and keys."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from hezi.accounts.schemas import ApiKeyCreated, ApiKeysPublic, AppKeyCreate
from hezi.api.deps import CallerDep, SessionDep
from hezi.apps.schemas import AppCreate, AppPublic, AppRelease, AppsPublic, AppUpdate, ReleasesPublic
from hezi.apps.service import AppService

router = APIRouter(prefix="/workspaces/{workspace_id}/apps", tags=["apps"])


async def get_apps(db: SessionDep) -> AppService:
    return AppService(db)


AppsDep = Annotated[AppService, Depends(get_apps)]


@router.get("")
async def list_apps(workspace_id: uuid.UUID, caller: CallerDep, apps: AppsDep) -> AppsPublic:
    return await apps.list(caller, workspace_id)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_app(workspace_id: uuid.UUID, body: AppCreate, caller: CallerDep, apps: AppsDep) -> AppPublic:
    """An app serving a published version of an agent (default: its latest); 409 `agent_not_published` for an
    agent with none, 409 `app_slug_taken`."""
    return await apps.create(caller, workspace_id, body)


@router.get("/{app_id}")
async def get_app(workspace_id: uuid.UUID, app_id: uuid.UUID, caller: CallerDep, apps: AppsDep) -> AppPublic:
    return await apps.get(caller, workspace_id, app_id)


@router.patch("/{app_id}")
async def update_app(
    workspace_id: uuid.UUID, app_id: uuid.UUID, body: AppUpdate, caller: CallerDep, apps: AppsDep
) -> AppPublic:
    """Name, slug, channels, access (a password app needs a password), allowed origins, limits (0 removes one);
    `enabled: false` stops every channel and key at once."""
    return await apps.update(caller, workspace_id, app_id, body)


@router.delete("/{app_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_app(workspace_id: uuid.UUID, app_id: uuid.UUID, caller: CallerDep, apps: AppsDep) -> Response:
    """The app, its keys and its end users' conversations."""
    await apps.delete(caller, workspace_id, app_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{app_id}/release")
async def release_app(
    workspace_id: uuid.UUID, app_id: uuid.UUID, body: AppRelease, caller: CallerDep, apps: AppsDep
) -> AppPublic:
    """Serve another published version from the next request on (404 `agent_version_not_found`)."""
    return await apps.release(caller, workspace_id, app_id, body.agent_version)


@router.post("/{app_id}/rollback")
async def roll_back_app(workspace_id: uuid.UUID, app_id: uuid.UUID, caller: CallerDep, apps: AppsDep) -> AppPublic:
    """Back to the version served before this one (409 `nothing_to_roll_back`)."""
    return await apps.rollback(caller, workspace_id, app_id)


@router.get("/{app_id}/releases")
async def list_releases(workspace_id: uuid.UUID, app_id: uuid.UUID, caller: CallerDep, apps: AppsDep) -> ReleasesPublic:
    return await apps.releases(caller, workspace_id, app_id)


@router.get("/{app_id}/keys")
async def list_app_keys(workspace_id: uuid.UUID, app_id: uuid.UUID, caller: CallerDep, apps: AppsDep) -> ApiKeysPublic:
    return await apps.list_keys(caller, workspace_id, app_id)


@router.post("/{app_id}/keys", status_code=status.HTTP_201_CREATED)
async def create_app_key(
    workspace_id: uuid.UUID, app_id: uuid.UUID, body: AppKeyCreate, caller: CallerDep, apps: AppsDep
) -> ApiKeyCreated:
    """A key for this app's APIs only; the secret is in this answer and never again."""
    return await apps.create_key(caller, workspace_id, app_id, body)


@router.delete("/{app_id}/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_app_key(
    workspace_id: uuid.UUID, app_id: uuid.UUID, key_id: uuid.UUID, caller: CallerDep, apps: AppsDep
) -> Response:
    await apps.revoke_key(caller, workspace_id, app_id, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
