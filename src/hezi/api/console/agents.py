"""Agents of a workspace: the draft, published versions, templates, and agent files (YAML export and import)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response, status

from hezi.agents.schemas import (
    AgentCreate,
    AgentPublic,
    AgentPublish,
    AgentsPublic,
    AgentUpdate,
    AgentVersionPublic,
    AgentVersionsPublic,
    TemplatesPublic,
)
from hezi.agents.service import AgentService
from hezi.api.deps import CallerDep, ServicesDep, SessionDep
from hezi.conversations.workflow_support import WorkflowSupport
from hezi.errors import UnsupportedType

YAML_TYPES = ("text/yaml", "application/x-yaml", "application/yaml", "text/x-yaml", "text/plain")
_YAML_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {t: {"schema": {"type": "string"}} for t in ("text/yaml", "application/x-yaml")},
        "description": "an agent file, as `hezi agents export` writes it, or a Dify DSL file (`kind: app`)",
    }
}

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["agents"])


async def get_agents(db: SessionDep) -> AgentService:
    return AgentService(db, WorkflowSupport())


AgentsDep = Annotated[AgentService, Depends(get_agents)]


async def yaml_body(request: Request) -> bytes:
    """The request body, which must be declared as YAML (or plain text)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in YAML_TYPES:
        raise UnsupportedType(
            f"Send the agent file as 'Content-Type: text/yaml' (got {media_type or 'none'!r}).",
            code="unsupported_media_type",
        )
    return await request.body()


@router.get("/agents")
async def list_agents(workspace_id: uuid.UUID, caller: CallerDep, agents: AgentsDep) -> AgentsPublic:
    return await agents.list_agents(caller, workspace_id)


@router.post("/agents", status_code=status.HTTP_201_CREATED)
async def create_agent(workspace_id: uuid.UUID, body: AgentCreate, caller: CallerDep, agents: AgentsDep) -> AgentPublic:
    """A blank agent, or one from a template (`template`: its id; `lang`: the template's language)."""
    return await agents.create(caller, workspace_id, body)


@router.post("/agents/import", status_code=status.HTTP_201_CREATED, openapi_extra=_YAML_BODY)
async def import_agent(
    workspace_id: uuid.UUID,
    caller: CallerDep,
    agents: AgentsDep,
    text: Annotated[bytes, Depends(yaml_body)],
    replace: Annotated[bool, Query(description="overwrite the draft of the agent of the same name")] = False,
) -> AgentPublic:
    """An agent from an agent file, or a workflow agent from a Dify DSL file (`kind: app`, modes workflow and
    advanced-chat); 409 `agent_exists` unless `replace`, 422 `invalid_agent_file` naming the field in
    `details.field`, 422 `workflow_import_refused` listing by node what cannot be mapped (nothing is imported)."""
    return await agents.import_file(caller, workspace_id, text, replace=replace)


@router.get("/agents/{agent_id}")
async def get_agent(workspace_id: uuid.UUID, agent_id: uuid.UUID, caller: CallerDep, agents: AgentsDep) -> AgentPublic:
    return await agents.get(caller, workspace_id, agent_id)


@router.patch("/agents/{agent_id}")
async def update_agent(
    workspace_id: uuid.UUID, agent_id: uuid.UUID, body: AgentUpdate, caller: CallerDep, agents: AgentsDep
) -> AgentPublic:
    """The draft's autosave: each field given replaces the stored one (`config` the whole draft config). A workflow's
    draft is saved even with problems in its graph; `problems` lists them by node."""
    return await agents.update(caller, workspace_id, agent_id, body)


@router.delete("/agents/{agent_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_agent(workspace_id: uuid.UUID, agent_id: uuid.UUID, caller: CallerDep, agents: AgentsDep) -> None:
    await agents.delete(caller, workspace_id, agent_id)


@router.post("/agents/{agent_id}/publish", status_code=status.HTTP_201_CREATED)
async def publish_agent(
    workspace_id: uuid.UUID,
    agent_id: uuid.UUID,
    caller: CallerDep,
    agents: AgentsDep,
    services: ServicesDep,
    body: AgentPublish | None = None,
) -> AgentVersionPublic:
    version = await agents.publish(caller, workspace_id, agent_id, body or AgentPublish())
    services.warming.schedule(workspace_id, agent_id)  # its opening prompts, computed ahead of its first users
    return version


@router.get("/agents/{agent_id}/versions")
async def agent_versions(
    workspace_id: uuid.UUID, agent_id: uuid.UUID, caller: CallerDep, agents: AgentsDep
) -> AgentVersionsPublic:
    return await agents.versions(caller, workspace_id, agent_id)


@router.get(
    "/agents/{agent_id}/export",
    response_class=Response,
    responses={200: {"content": {"text/yaml": {"schema": {"type": "string"}}}, "description": "the agent file"}},
)
async def export_agent(
    workspace_id: uuid.UUID,
    agent_id: uuid.UUID,
    caller: CallerDep,
    agents: AgentsDep,
    format: Annotated[
        Literal["hezi", "dify"], Query(description="hezi: an agent file; dify: a workflow agent as a Dify DSL file")
    ] = "hezi",
) -> Response:
    """The draft as a file to download: hezi's agent file, or for a workflow agent Dify's DSL (`format=dify`;
    400 `not_a_workflow` for a plain agent, 422 `dify_export_refused` naming by node what Dify cannot hold)."""
    out = await agents.export(caller, workspace_id, agent_id, dify=format == "dify")
    ascii_name = out.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(out.filename)}"
    return Response(
        out.text, media_type=f"{out.media_type}; charset=utf-8", headers={"Content-Disposition": disposition}
    )


@router.get("/agent-templates")
async def agent_templates(
    workspace_id: uuid.UUID,
    caller: CallerDep,
    agents: AgentsDep,
    lang: Annotated[str, Query(description="en or zh-CN")] = "en",
) -> TemplatesPublic:
    return await agents.templates(caller, workspace_id, lang)
