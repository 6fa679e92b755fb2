"""How nodes that ask a model (LLM, question classifier, parameter extractor) name it and call it: Dify's
`model` block ({provider, name, mode, completion_params}) and one streamed call through the in-process ModelClient,
its JSON held to a schema by `response_format` where asked."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hezi.errors import DomainError
from hezi.serving.events import TextDelta
from hezi.serving.openai_schemas import ChatCompletionRequest
from hezi.workflows.nodes.base import NodeContext, NodeFailed

SAMPLING = ("temperature", "top_p", "max_tokens", "seed", "stop")


class ModelConfig(BaseModel):
    """Which model: hezi's deployed model by `name`, or a workspace provider's as `provider/name` (a `provider`
    other than "" or "hezi" is put in front of the name)."""

    model_config = ConfigDict(extra="ignore")

    provider: str = ""
    name: str = Field(min_length=1)
    mode: str = "chat"
    completion_params: dict[str, Any] = Field(default_factory=dict)

    @property
    def model(self) -> str:
        if not self.provider or self.provider == "hezi" or "/" in self.name:
            return self.name
        return f"{self.provider}/{self.name}"


def structured_format(schema: dict[str, Any], name: str = "output") -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}


async def call_model(
    config: ModelConfig,
    messages: list[dict[str, Any]],
    ctx: NodeContext,
    *,
    response_format: dict[str, Any] | None = None,
    on_text: Callable[[str], None] | None = None,
) -> tuple[str, int, dict[str, Any]]:
    """The model's answer text, the tokens it took and its usage; `on_text` sees each piece as it streams."""
    params = {k: v for k, v in config.completion_params.items() if k in SAMPLING and v is not None}
    try:
        request = ChatCompletionRequest(
            model=config.model, messages=messages, response_format=response_format, **params
        )
    except ValueError as exc:
        raise NodeFailed(f"The model settings are not valid: {exc}", code="invalid_model_settings") from None
    run = ctx.wf.run
    try:
        stream = await run.models.stream(request, run.who, endpoint="workflow", deadline=run.deadline)
        async for event in stream:
            if on_text is not None and isinstance(event, TextDelta) and event.text:
                on_text(event.text)
    except DomainError as exc:
        raise NodeFailed(exc.message, code=exc.code) from None
    result = stream.result
    usage = result.usage
    return (
        result.text,
        usage.total_tokens,
        {**usage.openai(), "finish_reason": result.finish_reason, "latency_ms": result.latency_ms},
    )


def parse_json(text: str) -> Any:
    """The JSON a model wrote (the first object in its text when it wrote more than that)."""
    try:
        return json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end:
            try:
                return json.loads(text[start : end + 1])
            except ValueError:
                pass
    raise NodeFailed("The model did not answer with valid JSON.", code="invalid_json")
