"""/v1 routes. Each parses, asks the gateway, and writes OpenAI's wire format back."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from hezi.accounts.principal import Caller, Principal
from hezi.accounts.workspaces import WorkspaceService
from hezi.api.deps import CallerDep, SessionDep
from hezi.api.openai import wire
from hezi.errors import Forbidden, InvalidInput
from hezi.serving import remote
from hezi.serving.gateway import Gateway
from hezi.serving.openai_schemas import ChatCompletionRequest, CompletionRequest, EmbeddingRequest, SamplingFields
from hezi.serving.providers import ProviderService, RemoteTarget
from hezi.serving.usage import Usage, UsageMeter

router = APIRouter(prefix="/v1", tags=["openai"])

DEFAULT_MAX_TOKENS = 512


def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def get_meter(request: Request) -> UsageMeter:
    meter: UsageMeter = request.app.state.meter
    return meter


@dataclass(frozen=True)
class GatewayCaller:
    caller: Caller
    workspace_id: uuid.UUID | None  # the key's workspace, or the console's current one

    @property
    def principal(self) -> Principal:
        return self.caller.principal


async def gateway_caller(
    caller: CallerDep, db: SessionDep, x_hezi_workspace: Annotated[uuid.UUID | None, Header()] = None
) -> GatewayCaller:
    """A key needs the `api` scope; a console session may name its workspace with X-Hezi-Workspace."""
    p = caller.principal
    if p.via == "api_key":
        if "api" not in p.scopes:
            raise Forbidden("This API key does not have the 'api' scope.", code="insufficient_scope")
        return GatewayCaller(caller, p.key_workspace_id)
    if x_hezi_workspace is not None:
        await WorkspaceService(db).access(caller, x_hezi_workspace)
    return GatewayCaller(caller, x_hezi_workspace)


def get_providers(request: Request, db: SessionDep) -> ProviderService:
    return ProviderService(db, request.app.state.secret_box, request.app.state.egress_allowed)


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
MeterDep = Annotated[UsageMeter, Depends(get_meter)]
GatewayCallerDep = Annotated[GatewayCaller, Depends(gateway_caller)]
ProvidersDep = Annotated[ProviderService, Depends(get_providers)]


def _usage(caller: GatewayCaller, model: str, endpoint: str, outcome: wire.Outcome) -> Usage:
    p = caller.principal
    return Usage(
        workspace_id=caller.workspace_id,
        user_id=p.user_id,
        api_key_id=p.credential_id if p.via == "api_key" else None,
        model=model,
        endpoint=endpoint,
        prompt_tokens=outcome.prompt_tokens,
        completion_tokens=outcome.completion_tokens,
        latency_ms=outcome.latency_ms,
        ttft_ms=outcome.ttft_ms,
        status=outcome.error or "ok",
    )


def _recorder(meter: UsageMeter, caller: GatewayCaller, model: str, endpoint: str) -> Callable[[wire.Outcome], None]:
    """Meters a request once its outcome is known (at the end of a stream, or of a whole answer)."""
    return lambda outcome: meter.record(_usage(caller, model, endpoint, outcome))


@router.get("/models")
async def list_models(caller: GatewayCallerDep, gateway: GatewayDep, providers: ProvidersDep) -> dict[str, Any]:
    local = [{"id": n, "object": "model", "created": 0, "owned_by": "hezi", "kind": k} for n, k in gateway.models()]
    remote = [
        {"id": name, "object": "model", "created": 0, "owned_by": name.split("/")[0], "kind": "remote"}
        for name in await providers.exposed(caller.workspace_id)
    ]
    return {"object": "list", "data": local + remote}


async def _remote(
    target: RemoteTarget, path: str, request: Request, stream: bool, on_end: Callable[[wire.Outcome], None]
) -> Response:
    """Relay to a remote provider; its answer (errors included) goes back as it came."""
    body = await request.json()
    outcome = wire.Outcome()
    if not stream:
        try:
            status, data = await remote.call(target, path, body)
            usage = data.get("usage") or {}
            outcome.prompt_tokens = int(usage.get("prompt_tokens") or 0)
            outcome.completion_tokens = int(usage.get("completion_tokens") or 0)
            outcome.error = None if status < 400 else f"upstream_{status}"
        finally:
            on_end(outcome)
        return JSONResponse(data, status_code=status if status < 500 else 502)
    status, lines = await remote.stream(target, path, body)

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for line in lines:
                if line.startswith(b"data: {") and b'"usage"' in line:
                    usage = json.loads(line[6:]).get("usage") or {}
                    outcome.prompt_tokens = int(usage.get("prompt_tokens") or 0)
                    outcome.completion_tokens = int(usage.get("completion_tokens") or 0)
                yield line
        finally:
            on_end(outcome)

    return StreamingResponse(relay(), status_code=status if status < 500 else 502, media_type="text/event-stream")


async def _local(
    events: AsyncIterator[dict[str, Any]],
    body: SamplingFields,
    caller: GatewayCaller,
    meter: UsageMeter,
    *,
    endpoint: str,
    cid: str,
    stream_fn: Callable[..., AsyncIterator[bytes]],
    build: Callable[[wire.Outcome, str, int], dict[str, Any]],
) -> Response:
    """A local generation as server-sent events or one JSON answer; metered either way."""
    outcome = wire.Outcome()
    created = int(time.time())
    record = _recorder(meter, caller, body.model, endpoint)

    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        chunks = stream_fn(events, outcome, cid=cid, created=created, model=body.model, include_usage=include_usage,
                           on_end=record)  # fmt: skip
        return StreamingResponse(chunks, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    try:
        await wire.collect(events, outcome)
    finally:
        record(outcome)
    return JSONResponse(build(outcome, cid, created))


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    body: ChatCompletionRequest,
    request: Request,
    caller: GatewayCallerDep,
    gateway: GatewayDep,
    meter: MeterDep,
    providers: ProvidersDep,
) -> Response:
    if target := await providers.resolve(caller.workspace_id, body.model):
        return await _remote(target, "/chat/completions", request, body.stream,
                             _recorder(meter, caller, body.model, "chat"))  # fmt: skip
    events = await gateway.generate(body.model, body.worker_body(DEFAULT_MAX_TOKENS))
    return await _local(
        events, body, caller, meter, endpoint="chat", cid=wire.new_id("chatcmpl"), stream_fn=wire.chat_stream,
        build=lambda o, cid, created: wire.chat_completion(o, cid=cid, created=created, model=body.model),
    )  # fmt: skip


@router.post("/completions", response_model=None)
async def completions(
    body: CompletionRequest,
    request: Request,
    caller: GatewayCallerDep,
    gateway: GatewayDep,
    meter: MeterDep,
    providers: ProvidersDep,
) -> Response:
    if target := await providers.resolve(caller.workspace_id, body.model):
        return await _remote(target, "/completions", request, body.stream,
                             _recorder(meter, caller, body.model, "completion"))  # fmt: skip
    events = await gateway.generate(body.model, {"prompt": body.text, **body.sampling(DEFAULT_MAX_TOKENS)})
    prefix = body.text if body.echo else ""

    def build(o: wire.Outcome, cid: str, created: int) -> dict[str, Any]:
        return wire.text_completion(o, cid=cid, created=created, model=body.model, prefix=prefix)

    return await _local(
        events, body, caller, meter, endpoint="completion", cid=wire.new_id("cmpl"), stream_fn=wire.completion_stream,
        build=build,
    )  # fmt: skip


@router.post("/embeddings", response_model=None)
async def embeddings(
    body: EmbeddingRequest,
    request: Request,
    caller: GatewayCallerDep,
    gateway: GatewayDep,
    meter: MeterDep,
    providers: ProvidersDep,
) -> Response | dict[str, Any]:
    if target := await providers.resolve(caller.workspace_id, body.model):
        return await _remote(target, "/embeddings", request, False,
                             _recorder(meter, caller, body.model, "embedding"))  # fmt: skip
    outcome = wire.Outcome()
    try:
        vectors, tokens = await gateway.embed(body.model, body.texts)
        outcome.prompt_tokens = tokens
    except Exception as exc:
        outcome.error = getattr(exc, "code", "error")
        raise
    finally:
        meter.record(_usage(caller, body.model, "embedding", outcome))
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
    return {
        "object": "list",
        "data": data,
        "model": body.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
