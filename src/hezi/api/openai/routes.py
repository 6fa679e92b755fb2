"""/v1 routes. Each parses, asks the gateway, and writes OpenAI's wire format back."""

from __future__ import annotations

import base64
import time
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from hezi.accounts.principal import Caller
from hezi.api.deps import CallerDep
from hezi.api.openai import wire
from hezi.errors import Forbidden, InvalidInput
from hezi.serving.gateway import Gateway
from hezi.serving.openai_schemas import ChatCompletionRequest, CompletionRequest, EmbeddingRequest
from hezi.serving.usage import Usage, UsageMeter

router = APIRouter(prefix="/v1", tags=["openai"])

DEFAULT_MAX_TOKENS = 512


def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def get_meter(request: Request) -> UsageMeter:
    meter: UsageMeter = request.app.state.meter
    return meter


def gateway_caller(caller: CallerDep) -> Caller:
    """A key needs the `api` scope to use the gateway; a signed-in console session always may."""
    p = caller.principal
    if p.via == "api_key" and "api" not in p.scopes:
        raise Forbidden("This API key does not have the 'api' scope.", code="insufficient_scope")
    return caller


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
MeterDep = Annotated[UsageMeter, Depends(get_meter)]
GatewayCallerDep = Annotated[Caller, Depends(gateway_caller)]


def _usage(caller: Caller, model: str, endpoint: str, outcome: wire.Outcome) -> Usage:
    p = caller.principal
    return Usage(
        workspace_id=p.key_workspace_id,
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


@router.get("/models")
async def list_models(_: GatewayCallerDep, gateway: GatewayDep) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "hezi", "kind": kind}
            for name, kind in gateway.models()
        ],
    }


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    body: ChatCompletionRequest, caller: GatewayCallerDep, gateway: GatewayDep, meter: MeterDep
) -> Response:
    payload: dict[str, Any] = {
        "messages": [m.model_dump(exclude_none=True) for m in body.messages],
        **body.sampling(DEFAULT_MAX_TOKENS),
    }
    if body.tools:
        payload["tools"] = [t.model_dump() for t in body.tools]
        payload["tool_choice"] = body.tool_choice or "auto"
    if body.response_format:
        payload["response_format"] = body.response_format
    outcome = wire.Outcome()
    events = await gateway.generate(body.model, payload)
    cid, created = wire.new_id("chatcmpl"), int(time.time())
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        stream = wire.chat_stream(
            events,
            outcome,
            cid=cid,
            created=created,
            model=body.model,
            include_usage=include_usage,
            on_end=lambda o: meter.record(_usage(caller, body.model, "chat", o)),
        )
        return StreamingResponse(
            stream, media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )
    try:
        await wire.collect(events, outcome)
    finally:
        meter.record(_usage(caller, body.model, "chat", outcome))
    return JSONResponse(wire.chat_completion(outcome, cid=cid, created=created, model=body.model))


@router.post("/completions", response_model=None)
async def completions(
    body: CompletionRequest, caller: GatewayCallerDep, gateway: GatewayDep, meter: MeterDep
) -> Response:
    outcome = wire.Outcome()
    events = await gateway.generate(body.model, {"prompt": body.text, **body.sampling(DEFAULT_MAX_TOKENS)})
    cid, created = wire.new_id("cmpl"), int(time.time())
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        stream = wire.completion_stream(
            events,
            outcome,
            cid=cid,
            created=created,
            model=body.model,
            include_usage=include_usage,
            on_end=lambda o: meter.record(_usage(caller, body.model, "completion", o)),
        )
        return StreamingResponse(
            stream, media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )
    try:
        await wire.collect(events, outcome)
    finally:
        meter.record(_usage(caller, body.model, "completion", outcome))
    prefix = body.text if body.echo else ""
    return JSONResponse(
        wire.text_completion(outcome, cid=cid, created=created, model=body.model, prefix=prefix)
    )


@router.post("/embeddings")
async def embeddings(
    body: EmbeddingRequest, caller: GatewayCallerDep, gateway: GatewayDep, meter: MeterDep
) -> dict[str, Any]:
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
