"""/v1 routes: parse, ask the model client, write OpenAI's wire format back. No model logic lives here."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response

from hezi.accounts.principal import Caller
from hezi.accounts.workspaces import WorkspaceService
from hezi.api.deps import admit, authenticate
from hezi.api.openai import app_model, wire
from hezi.api.shapes import OPENAI
from hezi.errors import InvalidInput
from hezi.services import Services
from hezi.serving.client import ModelClient
from hezi.serving.openai_schemas import ChatCompletionRequest, CompletionRequest, EmbeddingRequest
from hezi.serving.remote import ProviderRefused
from hezi.serving.usage import Attribution

router = APIRouter(prefix="/v1", tags=["openai"], route_class=OPENAI.route_class)  # errors in OpenAI's shape


@dataclass(frozen=True)
class GatewayCaller:
    caller: Caller
    workspace_id: uuid.UUID | None  # the key's workspace, or the console's current one
    models: ModelClient

    def attribution(self) -> Attribution:
        p = self.caller.principal
        limited = p.limits.tokens_per_day is not None
        return Attribution(self.workspace_id, p.user_id, p.api_key_id, app_id=p.app_id, token_limited=limited)


async def gateway_for(request: Request, caller: Caller, workspace: uuid.UUID | None) -> GatewayCaller:
    """A key needs the `api` scope (and is rate-limited); a console session may name its workspace."""
    await admit(request, caller, "api")
    services: Services = request.app.state.services
    p = caller.principal
    if p.is_key:
        return GatewayCaller(caller, p.key_workspace_id, services.models)
    if workspace is not None:
        async with services.sessionmaker() as db:  # only then: a key's request opens no database session
            await WorkspaceService(db).access(caller, workspace)
    return GatewayCaller(caller, workspace, services.models)


async def gateway_caller(
    request: Request,
    caller: Annotated[Caller, Depends(authenticate)],
    x_hezi_workspace: Annotated[uuid.UUID | None, Header()] = None,
) -> GatewayCaller:
    """One dependency rather than a chain: this is on the path of every model call, and each dependency FastAPI
    resolves costs CPU there."""
    return await gateway_for(request, caller, x_hezi_workspace)


GatewayCallerDep = Annotated[GatewayCaller, Depends(gateway_caller)]
AnyCaller = Annotated[Caller, Depends(authenticate)]
WorkspaceHeader = Annotated[uuid.UUID | None, Header()]


async def app_key(request: Request, caller: Caller) -> bool:
    """Whether an app key calls (then only its app's model answers, `app_model`), once within its limits."""
    if caller.principal.via != "app_key":
        return False
    await admit(request, caller, "app", sessions=False)
    return True


def _relay(exc: ProviderRefused) -> JSONResponse:
    """A remote provider's refusal goes back as it came (its status and body), except its server errors."""
    return JSONResponse(exc.body, status_code=exc.status if exc.status < 500 else 502)


@router.get("/models")
async def list_models(request: Request, caller: AnyCaller, x_hezi_workspace: WorkspaceHeader = None) -> dict[str, Any]:
    services: Services = request.app.state.services
    if await app_key(request, caller):
        return app_model.model_list(await app_model.the_app(services, caller))
    gateway = await gateway_for(request, caller, x_hezi_workspace)
    return wire.model_list(await gateway.models.models(gateway.workspace_id))


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    body: ChatCompletionRequest, request: Request, caller: AnyCaller, x_hezi_workspace: WorkspaceHeader = None
) -> Response:
    if await app_key(request, caller):
        return await app_model.answer(request.app.state.services, caller, body)
    gateway = await gateway_for(request, caller, x_hezi_workspace)
    try:
        return await wire.answer(await gateway.models.stream(body, gateway.attribution()), body)
    except ProviderRefused as exc:
        return _relay(exc)


@router.post("/completions", response_model=None)
async def completions(body: CompletionRequest, caller: GatewayCallerDep) -> Response:
    try:
        return await wire.answer(await caller.models.complete_stream(body, caller.attribution()), body)
    except ProviderRefused as exc:
        return _relay(exc)


@router.post("/embeddings", response_model=None)
async def embeddings(body: EmbeddingRequest, caller: GatewayCallerDep) -> Response:
    try:
        result = await caller.models.embed(body.model, body.texts, caller.attribution())
    except ProviderRefused as exc:
        return _relay(exc)
    vectors = result.vectors
    if body.dimensions is not None and vectors and body.dimensions != len(vectors[0]):
        raise InvalidInput(
            f"This model makes {len(vectors[0])}-dimensional vectors; 'dimensions' cannot change that.",
            code="unsupported_dimensions",
        )
    data = []
    for i, vec in enumerate(vectors):
        value: Any = vec
        if body.encoding_format == "base64":
            value = base64.b64encode(np.asarray(vec, dtype="<f4").tobytes()).decode()
        data.append({"object": "embedding", "index": i, "embedding": value})
    usage = {"prompt_tokens": result.prompt_tokens, "total_tokens": result.prompt_tokens}
    return JSONResponse({"object": "list", "data": data, "model": body.model, "usage": usage})
